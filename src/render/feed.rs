//! The Atom feed: `atom.xml` (RFC 4287), one entry per source and per annotation, newest first,
//! the newest `feed_limit` of them (`site.toml`).
//!
//! Input: the `Briefing`, the site's absolute base URL and title. Output: the feed's XML text.
//! Entry ids are the absolute URLs of the source page and of the annotated passage, so they stay
//! the same from build to build. Dates come from the content only (a source's or annotation's
//! `date`); an undated item takes the newest date in the briefing, or 1970-01-01 when nothing is
//! dated. Must not: read the clock, or emit anything but well-formed, escaped XML.

use std::fmt::Write as _;

use jiff::civil::Date;

use super::markdown::{self, LinkContext, escape_html};
use super::{Renderer, flatten_whitespace};
use crate::model::{Annotation, AnnotationKind, Doc};

/// Characters of the passage shown in an annotation entry's title.
const TITLE_QUOTE_CHARS: usize = 80;

/// One entry's XML.
struct Entry {
    xml: String,
}

impl Renderer<'_, '_> {
    /// `atom.xml` for the whole briefing.
    pub(super) fn feed(&self, site_title: &str) -> String {
        let briefing = self.briefing;
        let newest = briefing
            .docs
            .iter()
            .filter_map(|doc| doc.date)
            .chain(briefing.annotations.iter().filter_map(|a| a.date))
            .max()
            .unwrap_or(Date::constant(1970, 1, 1));
        // Absolute links in entry content: a feed reader shows it away from the site.
        let links = LinkContext {
            base_path: &self.config.base_url.absolute,
            targets: self.links.targets,
        };

        // Newest first, then only the newest `feed_limit` are written out. Stable: equal dates
        // keep sources first, then annotations in reading order.
        let mut items: Vec<(Date, Option<crate::model::AnnotationId>, usize)> = Vec::new();
        for (index, doc) in briefing.docs.iter().enumerate() {
            items.push((doc.date.unwrap_or(newest), None, index));
        }
        for (index, doc) in briefing.docs.iter().enumerate() {
            for &id in &doc.annotations {
                let updated = briefing.annotation(id).date.unwrap_or(newest);
                items.push((updated, Some(id), index));
            }
        }
        items.sort_by_key(|&(updated, _, _)| std::cmp::Reverse(updated));
        items.truncate(self.config.feed_limit);
        let entries: Vec<Entry> = items
            .into_iter()
            .map(|(updated, annotation, index)| {
                let doc = &briefing.docs[index];
                match annotation {
                    None => self.doc_entry(doc, updated),
                    Some(id) => {
                        self.annotation_entry(doc, briefing.annotation(id), updated, &links)
                    }
                }
            })
            .collect();

        let base = &self.config.base_url.absolute;
        let mut xml = String::new();
        xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        let _ = writeln!(
            xml,
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
            escape_xml(&self.config.language)
        );
        let _ = writeln!(xml, "  <id>{}</id>", escape_xml(base));
        let _ = writeln!(xml, "  <title>{}</title>", escape_xml(site_title));
        if !self.config.description.is_empty() {
            let _ = writeln!(
                xml,
                "  <subtitle>{}</subtitle>",
                escape_xml(&self.config.description)
            );
        }
        let _ = writeln!(xml, "  <updated>{}</updated>", timestamp(newest));
        let _ = writeln!(
            xml,
            "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
            escape_xml(&self.urls.absolute("atom.xml"))
        );
        let _ = writeln!(
            xml,
            "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape_xml(base)
        );
        let _ = writeln!(
            xml,
            "  <author><name>{}</name></author>",
            escape_xml(site_title)
        );
        xml.push_str("  <generator>gloss</generator>\n");
        for entry in entries {
            xml.push_str(&entry.xml);
        }
        xml.push_str("</feed>\n");
        xml
    }

    fn doc_entry(&self, doc: &Doc<'_>, updated: Date) -> Entry {
        let url = self.urls.absolute(&format!("sources/{}/", doc.slug));
        let mut xml = String::from("  <entry>\n");
        let _ = writeln!(xml, "    <id>{}</id>", escape_xml(&url));
        let _ = writeln!(xml, "    <title>{}</title>", escape_xml(&doc.title));
        let _ = writeln!(
            xml,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape_xml(&url)
        );
        if let Some(original) = &doc.url {
            let _ = writeln!(
                xml,
                "    <link rel=\"related\" href=\"{}\"/>",
                escape_xml(original)
            );
        }
        let _ = writeln!(xml, "    <updated>{}</updated>", timestamp(updated));
        if let Some(date) = doc.date {
            let _ = writeln!(xml, "    <published>{}</published>", timestamp(date));
        }
        xml.push_str("    <category term=\"source\" label=\"Source\"/>\n");
        let byline: Vec<&str> = [doc.author.as_deref(), doc.publisher.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let summary = match (&doc.summary, byline.is_empty()) {
            (Some(summary), true) => Some(summary.clone()),
            (Some(summary), false) => Some(format!("{summary} ({})", byline.join(", "))),
            (None, false) => Some(byline.join(", ")),
            (None, true) => None,
        };
        if let Some(summary) = summary {
            let _ = writeln!(
                xml,
                "    <summary type=\"text\">{}</summary>",
                escape_xml(&summary)
            );
        }
        xml.push_str("  </entry>\n");
        Entry { xml }
    }

    fn annotation_entry(
        &self,
        doc: &Doc<'_>,
        annotation: &Annotation,
        updated: Date,
        links: &LinkContext<'_>,
    ) -> Entry {
        let briefing = self.briefing;
        let doc_url = self.urls.absolute(&format!("sources/{}/", doc.slug));
        let url = format!("{doc_url}#ann-{}", annotation.id);
        let quote = flatten_whitespace(&doc.reader.text[annotation.range.clone()]);
        let quote = quote.trim();
        let mut title = kind_title(annotation.kind).to_string();
        if let Some(status) = annotation.status {
            let _ = write!(title, " ({})", status.as_str());
        }
        let _ = write!(title, ": “{}”", shorten(quote, TITLE_QUOTE_CHARS));

        let mut content = format!("<blockquote><p>{}</p></blockquote>\n", escape_html(quote));
        if let Some(note) = &annotation.note {
            // Broken `@/` links are reported by the source page that renders the same note.
            content.push_str(&markdown::to_html(&note.value, links, &mut Vec::new()));
        }
        let _ = write!(
            content,
            "<p>On <a href=\"{}\">{}</a></p>",
            escape_html(&doc_url),
            escape_html(&doc.title)
        );

        let mut xml = String::from("  <entry>\n");
        let _ = writeln!(xml, "    <id>{}</id>", escape_xml(&url));
        let _ = writeln!(xml, "    <title>{}</title>", escape_xml(&title));
        let _ = writeln!(
            xml,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape_xml(&url)
        );
        if let Some(original) = &doc.url {
            let original = super::text_fragment::original_passage_url(
                original,
                &doc.reader.text,
                annotation.range.clone(),
            );
            let _ = writeln!(
                xml,
                "    <link rel=\"related\" href=\"{}\"/>",
                escape_xml(&original)
            );
        }
        let _ = writeln!(xml, "    <updated>{}</updated>", timestamp(updated));
        if let Some(date) = annotation.date {
            let _ = writeln!(xml, "    <published>{}</published>", timestamp(date));
        }
        if let Some(author) = &annotation.author {
            let _ = writeln!(
                xml,
                "    <author><name>{}</name></author>",
                escape_xml(author)
            );
        }
        let _ = writeln!(
            xml,
            "    <category term=\"{}\" label=\"{}\"/>",
            annotation.kind.as_str(),
            kind_title(annotation.kind)
        );
        for &theme in &annotation.themes {
            let theme = briefing.theme(theme);
            let _ = writeln!(
                xml,
                "    <category term=\"{}\" scheme=\"{}\" label=\"{}\"/>",
                escape_xml(&theme.slug),
                escape_xml(&self.urls.absolute("themes/")),
                escape_xml(&theme.title)
            );
        }
        let _ = writeln!(
            xml,
            "    <content type=\"html\">{}</content>",
            escape_xml(&content)
        );
        xml.push_str("  </entry>\n");
        Entry { xml }
    }
}

fn kind_title(kind: AnnotationKind) -> &'static str {
    match kind {
        AnnotationKind::Note => "Note",
        AnnotationKind::Context => "Context",
        AnnotationKind::Claim => "Claim",
        AnnotationKind::Question => "Question",
        AnnotationKind::Correction => "Correction",
    }
}

/// An RFC 3339 timestamp at midnight UTC: the content has dates, not times.
fn timestamp(date: Date) -> String {
    format!("{date}T00:00:00Z")
}

/// `text` cut to at most `max` characters at a word boundary, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > 0 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Text escaped for XML content and attribute values; characters XML 1.0 forbids (control
/// characters other than tab and line breaks, U+FFFE, U+FFFF) are dropped.
pub(super) fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape_xml("a < b & \"c\" 'd' >\u{1}\u{ffff}\n"),
            "a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt;\n"
        );
    }

    #[test]
    fn long_quotes_are_shortened_at_a_word() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three four", 10), "one two…");
        assert_eq!(shorten("one two, three", 9), "one two…");
    }

    #[test]
    fn timestamps_are_midnight_utc() {
        assert_eq!(
            timestamp(Date::constant(2026, 11, 3)),
            "2026-11-03T00:00:00Z"
        );
    }
}
