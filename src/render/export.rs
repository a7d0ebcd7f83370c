//! Standard export: `annotations.jsonld`, every annotation of the briefing as a W3C Web
//! Annotation (<https://www.w3.org/TR/annotation-model/>), in one `AnnotationCollection` with
//! its only page embedded.
//!
//! Input: the `Briefing` and the site's absolute base URL. Output: the JSON-LD text.
//! Each annotation targets its source page, selected twice over the source's reader text (the
//! text gloss quotes against): a `TextQuoteSelector` and a `TextPositionSelector` counted in
//! Unicode code points. Must not: read the clock (dates come from the content only), or depend on
//! map iteration order (structs keep their field order; items follow the sources' reading order).

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};
use serde::Serialize;

use super::Renderer;
use crate::anchor::text::markdown_options;
use crate::model::{Annotation, AnnotationKind};

const CONTEXT: &str = "http://www.w3.org/ns/anno.jsonld";
/// Characters of reader text in a `TextQuoteSelector`'s `prefix` and `suffix`.
const QUOTE_CONTEXT_CHARS: usize = 32;

#[derive(Serialize)]
struct Collection<I: Serialize> {
    #[serde(rename = "@context")]
    context: &'static str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    label: String,
    total: usize,
    first: Page<I>,
    last: String,
}

#[derive(Serialize)]
struct Page<I: Serialize> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "partOf")]
    part_of: String,
    #[serde(rename = "startIndex")]
    start_index: usize,
    /// The annotations, each made as it is written ([`Items`]) so the export is never held
    /// twice in memory.
    items: I,
}

/// Every annotation of the briefing in reading order, serialised one by one.
struct Items<'r, 'a, 'b>(&'r Renderer<'a, 'b>);

impl Serialize for Items<'_, '_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        let briefing = self.0.briefing;
        let mut seq = serializer.serialize_seq(None)?;
        for doc in &briefing.docs {
            for &id in &doc.annotations {
                seq.serialize_element(&self.0.web_annotation(briefing.annotation(id)))?;
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct WebAnnotation {
    #[serde(rename = "@context")]
    context: &'static str,
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    motivation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    creator: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    body: Vec<Body>,
    target: Target,
}

#[derive(Serialize)]
struct Person {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Body {
    Textual {
        #[serde(rename = "type")]
        kind: &'static str,
        purpose: &'static str,
        value: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        format: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    Resource {
        #[serde(rename = "type")]
        kind: &'static str,
        purpose: &'static str,
        source: String,
    },
}

impl Body {
    fn text(purpose: &'static str, value: String) -> Body {
        Body::Textual {
            kind: "TextualBody",
            purpose,
            value,
            format: None,
            language: None,
        }
    }

    fn resource(purpose: &'static str, source: String) -> Body {
        Body::Resource {
            kind: "SpecificResource",
            purpose,
            source,
        }
    }
}

#[derive(Serialize)]
struct Target {
    #[serde(rename = "type")]
    kind: &'static str,
    source: String,
    /// The original article the source page reproduces.
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    selector: (TextQuoteSelector, TextPositionSelector),
}

#[derive(Serialize)]
struct TextQuoteSelector {
    #[serde(rename = "type")]
    kind: &'static str,
    exact: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    prefix: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    suffix: String,
}

#[derive(Serialize)]
struct TextPositionSelector {
    #[serde(rename = "type")]
    kind: &'static str,
    start: usize,
    end: usize,
}

impl Renderer<'_, '_> {
    /// `annotations.jsonld`: the collection, pretty-printed, ending with a newline.
    pub(super) fn annotation_export(
        &self,
        site_title: &str,
        out: &mut dyn std::io::Write,
    ) -> anyhow::Result<()> {
        let collection_id = self.urls.absolute("annotations.jsonld");
        let page_id = format!("{collection_id}#page-1");
        let collection = Collection {
            context: CONTEXT,
            id: collection_id.clone(),
            kind: "AnnotationCollection",
            label: format!("Annotations of {site_title}"),
            total: self.briefing.docs.iter().map(|d| d.annotations.len()).sum(),
            first: Page {
                id: page_id.clone(),
                kind: "AnnotationPage",
                part_of: collection_id,
                start_index: 0,
                items: Items(self),
            },
            last: page_id,
        };
        // Compact: a machine-read file of tens of megabytes at thousands of sources. serde_json
        // writes a token at a time: buffered here, each is a copy into a buffer of a known type
        // rather than a call through `dyn Write`.
        use std::io::Write as _;
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
        serde_json::to_writer(&mut buffered, &collection)?;
        buffered.write_all(b"\n")?;
        buffered.flush()?;
        Ok(())
    }

    fn web_annotation(&self, annotation: &Annotation) -> WebAnnotation {
        let doc = self.briefing.doc(annotation.doc);
        let page = self.urls.absolute(&format!("sources/{}/", doc.slug));
        let reader_text = doc.reader.text.as_str();
        let date = annotation.date.map(|date| format!("{date}T00:00:00Z"));

        let mut body = Vec::new();
        if let Some(note) = &annotation.note {
            body.push(Body::Textual {
                kind: "TextualBody",
                purpose: "commenting",
                value: absolute_internal_links(
                    note.value.trim_end(),
                    &self.config.base_url.absolute,
                ),
                format: Some("text/markdown"),
                language: Some(self.config.language.clone()),
            });
        }
        if annotation.kind != AnnotationKind::Note {
            body.push(Body::text("classifying", annotation.kind.as_str().into()));
        }
        if let Some(status) = annotation.status {
            body.push(Body::text("assessing", status.as_str().into()));
        }
        for &entity in &annotation.entities {
            let slug = &self.briefing.entity(entity).slug;
            let url = self.urls.absolute(&format!("entities/{slug}/"));
            body.push(Body::resource("identifying", url));
        }
        for &theme in &annotation.themes {
            body.push(Body::text(
                "tagging",
                self.briefing.theme(theme).title.clone(),
            ));
        }
        for link in &annotation.links {
            body.push(Body::resource("linking", link.url.clone()));
        }
        let motivation = if annotation.note.is_some() {
            "commenting"
        } else if !annotation.themes.is_empty() {
            "tagging"
        } else if !annotation.entities.is_empty() {
            "identifying"
        } else {
            "highlighting"
        };

        let quote = QuoteSelection::new(reader_text, annotation.range.clone());
        WebAnnotation {
            context: CONTEXT,
            id: format!("{page}#ann-{}", annotation.id),
            kind: "Annotation",
            motivation,
            creator: annotation.author.clone().map(|name| Person {
                kind: "Person",
                name,
            }),
            created: date.clone(),
            modified: date,
            body,
            target: Target {
                kind: "SpecificResource",
                source: page,
                via: doc.url.clone(),
                selector: (
                    TextQuoteSelector {
                        kind: "TextQuoteSelector",
                        exact: quote.exact,
                        prefix: quote.prefix,
                        suffix: quote.suffix,
                    },
                    TextPositionSelector {
                        kind: "TextPositionSelector",
                        start: quote.start,
                        end: quote.end,
                    },
                ),
            },
        }
    }
}

/// A passage of reader text as the two selectors describe it.
#[derive(Debug, PartialEq, Eq)]
struct QuoteSelection {
    exact: String,
    prefix: String,
    suffix: String,
    /// Code-point offsets of the passage in the reader text.
    start: usize,
    end: usize,
}

impl QuoteSelection {
    /// `range` is a byte range of `text` on character boundaries.
    fn new(text: &str, range: Range<usize>) -> QuoteSelection {
        let exact = text[range.clone()].to_string();
        let start = text[..range.start].chars().count();
        let end = start + exact.chars().count();
        let mut prefix: Vec<char> = text[..range.start]
            .chars()
            .rev()
            .take(QUOTE_CONTEXT_CHARS)
            .collect();
        prefix.reverse();
        let suffix = text[range.end..]
            .chars()
            .take(QUOTE_CONTEXT_CHARS)
            .collect();
        QuoteSelection {
            exact,
            prefix: prefix.into_iter().collect(),
            suffix,
            start,
            end,
        }
    }
}

/// Editor Markdown with its `@/` links (inline or reference-style) made absolute, so the note
/// still links into the briefing when read outside the site.
fn absolute_internal_links(markdown: &str, base_url: &str) -> String {
    // Only a link whose text holds `@/` is rewritten; most notes have none, and need no parse.
    if memchr::memmem::find(markdown.as_bytes(), b"@/").is_none() {
        return markdown.to_string();
    }
    let parser = Parser::new_ext(markdown, markdown_options()).into_offset_iter();
    let mut at_offsets: Vec<usize> = parser
        .reference_definitions()
        .iter()
        .filter(|(_, def)| def.dest.starts_with("@/"))
        .filter_map(|(_, def)| {
            markdown[def.span.clone()]
                .rfind(&*def.dest)
                .map(|at| def.span.start + at)
        })
        .collect();
    for (event, range) in parser {
        let (Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. })) =
            event
        else {
            continue;
        };
        if dest_url.starts_with("@/")
            && let Some(at) = markdown[range.clone()].rfind(&*dest_url)
        {
            at_offsets.push(range.start + at);
        }
    }
    at_offsets.sort_unstable();
    at_offsets.dedup();
    let mut out = String::with_capacity(markdown.len() + at_offsets.len() * base_url.len());
    let mut copied = 0;
    for at in at_offsets {
        out.push_str(&markdown[copied..at]);
        out.push_str(base_url);
        copied = at + "@/".len();
    }
    out.push_str(&markdown[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_counts_code_points_and_keeps_context() {
        let text = "Café “au lait” is\nserved hot.";
        let start = text.find("au lait").expect("in text");
        let selection = QuoteSelection::new(text, start..start + "au lait".len());
        assert_eq!(
            selection,
            QuoteSelection {
                exact: "au lait".into(),
                prefix: "Café “".into(),
                suffix: "” is\nserved hot.".into(),
                start: 6,
                end: 13,
            }
        );
    }

    #[test]
    fn selection_context_is_at_most_32_characters() {
        let text = format!("{}passage{}", "a".repeat(40), "b".repeat(40));
        let selection = QuoteSelection::new(&text, 40..47);
        assert_eq!(selection.prefix, "a".repeat(32));
        assert_eq!(selection.suffix, "b".repeat(32));
        assert_eq!((selection.start, selection.end), (40, 47));
    }

    #[test]
    fn internal_links_become_absolute() {
        let base = "https://example.org/repo/";
        assert_eq!(
            absolute_internal_links(
                "See [a](@/sources/a/#ann-x) and [b][ref], not `@/code` or [c](https://x.org/@/y).\n\n[ref]: @/themes/b/\n",
                base
            ),
            "See [a](https://example.org/repo/sources/a/#ann-x) and [b][ref], not `@/code` or [c](https://x.org/@/y).\n\n[ref]: https://example.org/repo/themes/b/\n"
        );
    }
}
