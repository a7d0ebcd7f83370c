//! Reading gloss's HTML back: the `<main>` region, highlight marks, entity mentions, ids and
//! links, parsed with `scraper` so assertions are about structure, not formatting.

use std::collections::{BTreeMap, BTreeSet};

use scraper::{ElementRef, Html, Selector};
use unicode_normalization::UnicodeNormalization as _;

/// The `<main …>…</main>` region of a page, exactly as written.
#[track_caller]
pub fn main_region(html: &str) -> &str {
    let start = html.find("<main").expect("the page has a <main> element");
    let end = html[start..]
        .find("</main>")
        .map(|end| start + end + "</main>".len())
        .expect("the <main> element is closed");
    &html[start..end]
}

pub fn parse(html: &str) -> Html {
    Html::parse_document(html)
}

/// Every element matching a CSS selector, in document order.
#[track_caller]
pub fn select<'a>(document: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|err| panic!("selector {css}: {err}"));
    document.select(&selector).collect()
}

/// Every element matching a CSS selector under `element`, in document order.
#[track_caller]
pub fn select_in<'a>(element: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|err| panic!("selector {css}: {err}"));
    element.select(&selector).collect()
}

pub fn text(element: ElementRef<'_>) -> String {
    element.text().collect()
}

/// One annotation's highlight on a page.
#[derive(Debug)]
pub struct Highlight {
    /// The text of its marks joined in document order, with one space where consecutive marks
    /// sit in different blocks (paragraphs, list items, headings…), since the white space
    /// between blocks belongs to no mark.
    pub text: String,
    /// The `id` of its first mark.
    pub first_mark_id: Option<String>,
    /// `id`s on its other marks (there should be none).
    pub later_mark_ids: Vec<String>,
}

/// Elements whose text is a block of its own: marks in two of them are separated by white space.
const BLOCKS: &[&str] = &[
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "td",
    "th",
    "dt",
    "dd",
    "figcaption",
];

/// Every annotation highlighted on a page, by annotation id (`data-annotation`).
pub fn highlights(document: &Html) -> BTreeMap<String, Highlight> {
    let mut found: BTreeMap<String, (Highlight, Option<ElementRef<'_>>)> = BTreeMap::new();
    for mark in select(document, "mark[data-annotation]") {
        let annotation = mark
            .attr("data-annotation")
            .expect("selected by data-annotation")
            .to_string();
        let block = mark
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|ancestor| BLOCKS.contains(&ancestor.value().name()));
        let mark_text = text(mark);
        let id = mark.attr("id").map(str::to_owned);
        match found.get_mut(&annotation) {
            None => {
                found.insert(
                    annotation,
                    (
                        Highlight {
                            text: mark_text,
                            first_mark_id: id,
                            later_mark_ids: Vec::new(),
                        },
                        block,
                    ),
                );
            }
            Some((highlight, previous_block)) => {
                if *previous_block != block {
                    highlight.text.push(' ');
                }
                highlight.text.push_str(&mark_text);
                highlight.later_mark_ids.extend(id);
                *previous_block = block;
            }
        }
    }
    found
        .into_iter()
        .map(|(annotation, (highlight, _))| (annotation, highlight))
        .collect()
}

/// How many elements of the page carry `id`.
pub fn count_id(document: &Html, id: &str) -> usize {
    select(document, "[id]")
        .into_iter()
        .filter(|element| element.attr("id") == Some(id))
        .count()
}

/// Every `id` on the page.
pub fn ids(document: &Html) -> BTreeSet<String> {
    select(document, "[id]")
        .into_iter()
        .filter_map(|element| element.attr("id").map(str::to_owned))
        .collect()
}

/// Every URL the page points at from `href`, `src` or `action`, in document order.
pub fn urls(document: &Html) -> Vec<String> {
    let mut urls = Vec::new();
    for element in select(document, "[href], [src], [action]") {
        for attribute in ["href", "src", "action"] {
            if let Some(url) = element.attr(attribute) {
                urls.push(url.to_string());
            }
        }
    }
    urls
}

/// Text as a reader compares it: NFC, typographic quotes, dashes and ellipses spelt plainly,
/// white space runs as one space, trimmed. Written independently of gloss's own normaliser.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfc() {
        let replacement: Option<&str> = match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' => Some("'"),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' => Some("\""),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => Some("-"),
            '\u{2026}' => Some("..."),
            _ => None,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        match replacement {
            Some(replacement) => out.push_str(replacement),
            None => out.push(c),
        }
    }
    out
}

#[test]
fn fold_equates_what_reads_the_same() {
    assert_eq!(
        fold("  \u{201c}Caf\u{65}\u{301}\u{201d}\u{a0}\u{2014} it\u{2019}s\n\n done\u{2026} "),
        "\"Caf\u{e9}\" - it's done..."
    );
}
