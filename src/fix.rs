//! `gloss check --fix`: applies the machine-applicable fixes of diagnostics to the content
//! files they point into.
//!
//! Owns rewriting annotation files in place: only the bytes a fix names change, so comments,
//! order and formatting stay. It never touches a file that changed since it was read, and
//! writes each file whole through a temporary file and a rename.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::diagnostics::{Diagnostic, Fix};
use crate::files::{FileId, Files};

/// Applies every fix; returns how many were applied, per file path (relative to the root).
pub fn apply(
    root: &Path,
    files: &Files,
    diagnostics: &[&Diagnostic],
) -> anyhow::Result<BTreeMap<String, usize>> {
    let mut by_file: BTreeMap<FileId, Vec<&Fix>> = BTreeMap::new();
    for diagnostic in diagnostics {
        if let Some(fix) = &diagnostic.fix {
            by_file.entry(fix.span.file).or_default().push(fix);
        }
    }
    let mut applied = BTreeMap::new();
    for (file_id, mut fixes) in by_file {
        let file = files.get(file_id);
        let path = root.join(&file.path);
        let on_disk = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let (bom, text) = match on_disk.strip_prefix('\u{feff}') {
            Some(rest) => ("\u{feff}", rest),
            None => ("", on_disk.as_str()),
        };
        if text != file.text {
            eprintln!(
                "note: {} changed since it was checked; not fixed",
                file.path.display()
            );
            continue;
        }
        fixes.sort_by_key(|fix| (fix.span.start, fix.span.end));
        let mut out = String::with_capacity(text.len() + 64);
        out.push_str(bom);
        let mut at = 0;
        let mut count = 0;
        for fix in fixes {
            if fix.span.start < at || fix.span.end > text.len() {
                continue; // overlapping fixes: apply the first only
            }
            out.push_str(&text[at..fix.span.start]);
            out.push_str(&fix.replacement);
            at = fix.span.end;
            count += 1;
        }
        out.push_str(&text[at..]);
        let temporary = path.with_extension("gloss-fix.tmp");
        std::fs::write(&temporary, &out)
            .with_context(|| format!("writing {}", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("replacing {}", path.display()))?;
        applied.insert(crate::diagnostics::display_path(&file.path), count);
    }
    Ok(applied)
}
