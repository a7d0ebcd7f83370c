//! `gloss new annotation`: a ready-to-use annotation for a passage of a source, with the
//! shortest prefix or suffix that makes the quote unique.
//!
//! Reads the briefing through the usual pipeline (config, source, model) and prints YAML, or
//! appends it to an annotation file. It writes only the file it was asked to append to.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};

use crate::anchor::{AnchorError, DocIndex, Selector};
use crate::config::Overrides;
use crate::diagnostics::Diagnostics;
use crate::files::Files;

pub struct NewAnnotation<'a> {
    pub source: &'a str,
    pub quote: &'a str,
    pub entities: &'a [String],
    pub themes: &'a [String],
}

/// The annotation as a YAML list item (indented for an `annotations:` list).
pub fn render(root: &Path, request: &NewAnnotation<'_>) -> anyhow::Result<String> {
    let mut diagnostics = Diagnostics::default();
    let mut files = Files::default();
    let Some(config) =
        crate::config::load(root, &Overrides::default(), &mut files, &mut diagnostics)?
    else {
        bail!("site.toml has problems; run `gloss check` to see them");
    };
    let sources = crate::source::load(&config, files, &mut diagnostics)?;
    let briefing = crate::model::build(&sources, &mut diagnostics);
    let Some(doc) = briefing.docs.iter().find(|d| d.slug == request.source) else {
        let known: Vec<&str> = briefing.docs.iter().map(|d| d.slug.as_str()).collect();
        bail!(
            "no source has the slug `{}`; {}",
            request.source,
            crate::diagnostics::suggestion_help(request.source, &known, "sources")
        );
    };
    let index = DocIndex::new(&doc.reader.text);
    let selector = Selector {
        quote: request.quote,
        prefix: None,
        suffix: None,
    };
    let range = match index.find(&selector) {
        Ok(range) => range,
        Err(AnchorError::Ambiguous { candidates }) => {
            let first = candidates
                .first()
                .context("an ambiguous quote has candidates")?;
            eprintln!(
                "note: the quote occurs {} times; this annotation picks the first (change its prefix/suffix to pick another)",
                candidates.len()
            );
            first.range.clone()
        }
        Err(AnchorError::EmptyQuote) => bail!("the quote is empty"),
        Err(AnchorError::NotFound {
            closest: Some(closest),
        }) => bail!(
            "the quote is not in source `{}`; closest text: \"{}\"",
            request.source,
            &doc.reader.text[closest]
        ),
        Err(_) => bail!("the quote is not in source `{}`", request.source),
    };
    let context = index.unique_context(range.clone());
    let passage: String = doc.reader.text[range]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let mut item = String::new();
    let _ = writeln!(item, "  - quote: {}", yaml_string(&passage));
    if let Some(prefix) = &context.prefix {
        let _ = writeln!(item, "    prefix: {}", yaml_string(prefix));
    } else if let Some(suffix) = &context.suffix {
        let _ = writeln!(item, "    suffix: {}", yaml_string(suffix));
    }
    let _ = writeln!(item, "    kind: note");
    let _ = writeln!(
        item,
        "    note: |\n      What this passage means and why it matters."
    );
    if !request.entities.is_empty() {
        let _ = writeln!(item, "    entities: [{}]", request.entities.join(", "));
    }
    if !request.themes.is_empty() {
        let _ = writeln!(item, "    themes: [{}]", request.themes.join(", "));
    }
    Ok(item)
}

/// Appends the item to `file`, creating it (with its `source:` line) if needed.
pub fn append(file: &Path, source: &str, item: &str) -> anyhow::Result<()> {
    let mut text = if file.exists() {
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
    } else {
        format!("source: {source}\nannotations:\n")
    };
    if !text
        .lines()
        .any(|line| line.trim_end() == format!("source: {source}"))
    {
        bail!(
            "{} holds annotations of another source; append to the file of `{source}`",
            file.display()
        );
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(item);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}
