//! Arbitrary bytes as an annotation file, both as YAML (`.yaml`) and as Markdown with front
//! matter (`.md`): parsing never panics, every diagnostic span lies within the text on char
//! boundaries, and rendering the diagnostics as an editor sees them never panics either.

#![no_main]

use std::path::PathBuf;

use gloss_fuzz::assert_range_in;
use gloss_fuzz::gloss::diagnostics::{Span, render_human};
use gloss_fuzz::gloss::files::{Files, SourceFile};
use gloss_fuzz::gloss::source::parse_annotation_text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for path in [
        "content/annotations/fuzz.yaml",
        "content/annotations/fuzz.md",
    ] {
        let (_n_annotations, diagnostics) = parse_annotation_text(path, text);
        let check = |span: &Span, what: &str| {
            assert_range_in(text, &(span.start..span.end), &format!("{path}: {what}"));
        };
        // The same one-file table the parser built, so `FileId`s agree, for rendering.
        let mut files = Files::default();
        files.add(SourceFile::new(PathBuf::from(path), text.to_owned()));
        for diagnostic in &diagnostics {
            check(&diagnostic.primary, &diagnostic.message);
            for (span, label) in &diagnostic.related {
                check(span, label);
            }
            if let Some(fix) = &diagnostic.fix {
                check(&fix.span, "fix");
            }
            let _ = render_human(diagnostic, &files, false);
        }
    }
});
