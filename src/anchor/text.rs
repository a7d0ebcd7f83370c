//! The text a reader sees, extracted from Markdown with offsets both ways.
//!
//! Owns the definition of reader text: what of a Markdown source counts as text a reader can
//! quote, and how block boundaries read (as white space). Input: Markdown source. Output:
//! [`ReaderText`], the plain text plus every pulldown-cmark event with the source bytes it came
//! from and the reader bytes it contributes, so the renderer can walk the same events and mark
//! reader ranges, and diagnostics can map reader offsets back to source offsets.
//! Must not: normalise, search, render HTML or decide what is sanitised.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Markdown options used everywhere gloss parses Markdown, so reader text and rendering agree.
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// One pulldown-cmark event with the source bytes it came from and the reader-text bytes it
/// contributes (empty for events that contribute no text).
#[derive(Clone, Debug)]
pub struct TextEvent<'a> {
    pub event: Event<'a>,
    pub source: Range<usize>,
    pub reader: Range<usize>,
}

/// A Markdown document as a reader sees it: the plain text, and the events that produced it.
///
/// `text` is the concatenation of what `Text`, `Code`, `SoftBreak` (`" "`) and `HardBreak`
/// (`"\n"`) events contribute, outside image alt text, with a `"\n"` wherever a block starts or
/// ends and the text does not already end in white space. Those separators belong to no event.
#[derive(Clone, Debug)]
pub struct ReaderText<'a> {
    pub text: String,
    pub events: Vec<TextEvent<'a>>,
    /// The events that contribute text, in reader order, for mapping offsets to the source.
    spans: Vec<ReaderSpan>,
    /// Length of the Markdown source, where offsets past the last span map.
    source_len: usize,
}

/// Where one event's reader text sits in the reader text and in the source.
#[derive(Clone, Debug)]
struct ReaderSpan {
    reader: Range<usize>,
    source: Range<usize>,
    /// Start of the event's text in the source when the source spells it byte for byte
    /// (plain text, the inside of a code span); offsets inside such a span map exactly.
    verbatim_source_start: Option<usize>,
}

impl<'a> ReaderText<'a> {
    /// Parses `markdown` once and keeps every event with its source and reader ranges.
    pub fn extract(markdown: &'a str) -> Self {
        let mut extractor = Extractor {
            text: String::with_capacity(markdown.len()),
            events: Vec::new(),
            spans: Vec::new(),
            separator_pending: false,
            image_depth: 0,
        };
        for (event, source) in Parser::new_ext(markdown, markdown_options()).into_offset_iter() {
            extractor.add(markdown, event, source);
        }
        ReaderText {
            text: extractor.text,
            events: extractor.events,
            spans: extractor.spans,
            source_len: markdown.len(),
        }
    }

    /// The byte offset in the Markdown source of a reader-text offset (exact inside plain text,
    /// otherwise the start of the event that produced it).
    ///
    /// An offset in a block separator maps to the start of the next event with text, or to the
    /// end of the source after the last one.
    pub fn source_offset(&self, reader_offset: usize) -> usize {
        let index = self
            .spans
            .partition_point(|span| span.reader.end <= reader_offset);
        match self.spans.get(index) {
            None => self.source_len,
            Some(span) if reader_offset < span.reader.start => span.source.start,
            Some(span) => match span.verbatim_source_start {
                Some(verbatim_start) => verbatim_start + (reader_offset - span.reader.start),
                None => span.source.start,
            },
        }
    }

    /// The source range that a reader-text range comes from: exact where both ends fall in plain
    /// text, otherwise widened to whole events (a code span with its backticks, an entity).
    pub fn source_range(&self, reader_range: Range<usize>) -> Range<usize> {
        let start = self.source_offset(reader_range.start);
        if reader_range.end <= reader_range.start {
            return start..start;
        }
        let last_byte = reader_range.end - 1;
        let index = self
            .spans
            .partition_point(|span| span.reader.end <= last_byte);
        let end = match self.spans.get(index) {
            Some(span) if span.reader.start <= last_byte => match span.verbatim_source_start {
                Some(verbatim_start) => {
                    verbatim_start + (reader_range.end.min(span.reader.end) - span.reader.start)
                }
                None => span.source.end,
            },
            // The range ends in a separator or past the text: end where the text before ends.
            _ => index
                .checked_sub(1)
                .and_then(|previous| self.spans.get(previous))
                .map_or(start, ReaderSpan::source_end),
        };
        start..end.max(start)
    }
}

impl ReaderSpan {
    fn source_end(&self) -> usize {
        match self.verbatim_source_start {
            Some(verbatim_start) => verbatim_start + self.reader.len(),
            None => self.source.end,
        }
    }
}

struct Extractor<'a> {
    text: String,
    events: Vec<TextEvent<'a>>,
    spans: Vec<ReaderSpan>,
    /// A block started or ended since the last text: separate the next text with white space.
    separator_pending: bool,
    /// How many images we are inside; their alt text is not reader text.
    image_depth: usize,
}

impl<'a> Extractor<'a> {
    fn add(&mut self, markdown: &str, event: Event<'a>, source: Range<usize>) {
        let mut reader = self.text.len()..self.text.len();
        let mut verbatim_source_start = None;
        match &event {
            Event::Start(Tag::Image { .. }) => self.image_depth += 1,
            Event::End(TagEnd::Image) => self.image_depth = self.image_depth.saturating_sub(1),
            Event::Start(tag) => self.note_tag(&tag.to_end()),
            Event::End(tag_end) => self.note_tag(tag_end),
            Event::Rule => self.separator_pending = true,
            _ if self.image_depth > 0 => {}
            Event::Text(text) => {
                reader = self.append(text);
                verbatim_source_start =
                    (markdown.get(source.clone()) == Some(&**text)).then_some(source.start);
            }
            Event::Code(code) => {
                reader = self.append(code);
                verbatim_source_start = code_content_start(markdown, &source, code);
            }
            Event::SoftBreak => reader = self.append(" "),
            Event::HardBreak => reader = self.append("\n"),
            // Html and InlineHtml are sanitised away; the other events carry no text a reader
            // sees with the options gloss enables.
            _ => {}
        }
        if !reader.is_empty() {
            self.spans.push(ReaderSpan {
                reader: reader.clone(),
                source: source.clone(),
                verbatim_source_start,
            });
        }
        self.events.push(TextEvent {
            event,
            source,
            reader,
        });
    }

    fn note_tag(&mut self, tag_end: &TagEnd) {
        let is_inline = matches!(
            tag_end,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        );
        if !is_inline {
            self.separator_pending = true;
        }
    }

    /// Appends `contribution` to the reader text (after a separator if one is pending) and
    /// returns the range it occupies.
    fn append(&mut self, contribution: &str) -> Range<usize> {
        if contribution.is_empty() {
            return self.text.len()..self.text.len();
        }
        if self.separator_pending
            && !self.text.is_empty()
            && !self.text.ends_with(char::is_whitespace)
        {
            self.text.push('\n');
        }
        self.separator_pending = false;
        let start = self.text.len();
        self.text.push_str(contribution);
        start..self.text.len()
    }
}

/// Where a code span's text starts in the source, if the source spells it byte for byte
/// between the backtick fences (CommonMark strips one space on each side when both exist).
fn code_content_start(markdown: &str, source: &Range<usize>, code: &str) -> Option<usize> {
    let raw = markdown.get(source.clone())?;
    let fence_len = raw.len() - raw.trim_start_matches('`').len();
    if fence_len == 0 || raw.len() < 2 * fence_len || !raw.ends_with(&raw[..fence_len]) {
        return None;
    }
    let inner_start = source.start + fence_len;
    let inner = &raw[fence_len..raw.len() - fence_len];
    if inner == code {
        return Some(inner_start);
    }
    let stripped = inner
        .strip_prefix(' ')
        .and_then(|inner| inner.strip_suffix(' '));
    (stripped == Some(code)).then_some(inner_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extracts `markdown` and checks the reader text, and that every event's reader range
    /// holds exactly that event's own text.
    fn check(markdown: &str, expected: &str) {
        let reader = ReaderText::extract(markdown);
        assert_eq!(reader.text, expected, "reader text of {markdown:?}");
        check_events_are_sound(markdown, &reader);
    }

    fn check_events_are_sound(markdown: &str, reader: &ReaderText<'_>) {
        let mut image_depth = 0;
        for text_event in &reader.events {
            let contributed = &reader.text[text_event.reader.clone()];
            match &text_event.event {
                Event::Start(Tag::Image { .. }) => image_depth += 1,
                Event::End(TagEnd::Image) => image_depth -= 1,
                Event::Text(text) | Event::Code(text) if image_depth == 0 => {
                    assert_eq!(contributed, &**text, "event text in {markdown:?}");
                }
                Event::SoftBreak if image_depth == 0 => assert_eq!(contributed, " "),
                Event::HardBreak if image_depth == 0 => assert_eq!(contributed, "\n"),
                _ => assert_eq!(
                    contributed, "",
                    "{:?} contributes no text",
                    text_event.event
                ),
            }
            assert!(
                markdown.get(text_event.source.clone()).is_some(),
                "source range on char boundaries"
            );
        }
    }

    #[test]
    fn blocks_read_as_separated_lines() {
        check(
            "# Title\n\nPara *one*.\n\n- a\n- b",
            "Title\nPara one.\na\nb",
        );
        check("> quoted\n\nnext", "quoted\nnext");
        check("a\n\n---\n\nb", "a\nb");
        check("1. first\n2. second\n\n   more", "first\nsecond\nmore");
        check("", "");
    }

    #[test]
    fn inline_markup_is_not_text() {
        check(
            "a *b* **c** ~~d~~ [e](http://x) <f@x.org> `g`",
            "a b c d e f@x.org g",
        );
        check("a \\* b &amp; c", "a * b & c");
        check("a <b>bold</b> c", "a bold c");
    }

    #[test]
    fn line_breaks_read_as_white_space() {
        check("a\nb", "a b");
        check("a  \nb", "a\nb");
        check("a\\\nb", "a\nb");
        check("a\r\nb\r\n\r\nc", "a b\nc");
    }

    #[test]
    fn code_is_text() {
        check("use `` `x` `` and ` y `", "use `x` and y");
        check("```rust\nfn main() {}\n```\nafter", "fn main() {}\nafter");
        check(
            "    indented\r\n    code\r\n\r\nafter",
            "indented\ncode\nafter",
        );
    }

    #[test]
    fn table_cells_are_separated() {
        check("| a | b |\n|---|---|\n| c | *d* |\n", "a\nb\nc\nd");
    }

    #[test]
    fn images_and_html_blocks_are_not_text() {
        check("see ![alt *text*](x.png) here", "see  here");
        check("![outer [in](u) ![inner](v)](w) after", " after");
        check("<div>\nhidden\n</div>\n\npara", "para");
    }

    #[test]
    fn any_unicode_is_kept() {
        check(
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} *\u{645}\u{631}\u{62d}\u{628}\u{627}*",
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{645}\u{631}\u{62d}\u{628}\u{627}",
        );
        check(
            "cafe\u{301} \u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",
            "cafe\u{301} \u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}",
        );
        check("\u{301}*\u{301}*\u{feff}", "\u{301}\u{301}\u{feff}");
    }

    /// Finds `needle` in the reader text of `markdown` and checks the source text that
    /// `source_range` maps it to.
    fn check_source_range(markdown: &str, needle: &str, expected_source: &str) {
        let reader = ReaderText::extract(markdown);
        let start = reader
            .text
            .find(needle)
            .expect("test needle occurs in the reader text");
        let range = reader.source_range(start..start + needle.len());
        assert_eq!(
            &markdown[range.clone()],
            expected_source,
            "source of {needle:?} in {markdown:?}"
        );
        assert_eq!(
            reader.source_offset(start),
            range.start,
            "source_offset agrees with source_range"
        );
    }

    #[test]
    fn source_range_is_exact_in_plain_text() {
        check_source_range("Para *one* two", "one", "one");
        check_source_range("Para *one* two", "ne t", "ne* t");
        check_source_range("one\n\ntwo", "one\ntwo", "one\n\ntwo");
        check_source_range("a\r\nb", "a b", "a\r\nb");
        check_source_range(
            "# Caf\u{e9} \u{5e9}\u{5dc}\u{5d5}\u{5dd}",
            "\u{5dc}\u{5d5}",
            "\u{5dc}\u{5d5}",
        );
        check_source_range("```\r\nx\r\ny\r\n```", "x\ny", "x\r\ny");
    }

    #[test]
    fn source_range_inside_code_spans_is_exact() {
        check_source_range("use `` `x` `` now", "`x`", "`x`");
        check_source_range("use ` y ` now", "y", "y");
        check_source_range("use `code` now", "ode", "ode");
    }

    #[test]
    fn source_range_widens_to_events_that_are_spelled_differently() {
        check_source_range("a &amp; b", "&", "&amp;");
        check_source_range("a &amp; b", "a & b", "a &amp; b");
        check_source_range("x  \ny", "x\ny", "x  \ny");
    }

    #[test]
    fn source_offset_of_separators_and_ends() {
        let markdown = "one\n\ntwo";
        let reader = ReaderText::extract(markdown);
        assert_eq!(reader.text, "one\ntwo");
        // The separator "\n" at reader offset 3 maps to the start of "two".
        assert_eq!(&markdown[reader.source_offset(3)..], "two");
        assert_eq!(reader.source_offset(reader.text.len()), markdown.len());
        assert_eq!(reader.source_offset(usize::MAX), markdown.len());
        assert_eq!(
            reader.source_range(7..usize::MAX),
            markdown.len()..markdown.len()
        );
        assert_eq!(ReaderText::extract("").source_range(0..3), 0..0);
    }

    #[test]
    fn image_alt_text_has_no_reader_range() {
        let reader = ReaderText::extract("x ![alt](u) y");
        let alt = reader
            .events
            .iter()
            .find(|text_event| matches!(&text_event.event, Event::Text(text) if &**text == "alt"))
            .expect("the alt text is an event");
        assert!(alt.reader.is_empty());
    }
}
