//! Text fragments: a link to an annotated passage in the original article, as
//! `url#:~:text=[prefix-,]textStart[,textEnd][,-suffix]` (WICG "URL Fragment Text Directives").
//!
//! Input: the source's `url`, its reader text and the passage's byte range in it. Output: the URL
//! that makes a browser scroll to the passage and highlight it. Pure string work: no I/O, and it
//! does not check that the original still says the same thing.
//!
//! A browser matches each term on word boundaries and never across a block (paragraph, heading,
//! list item), so the terms are whole white-space-separated words, and context never reaches past
//! a line break of the reader text, which is where blocks end.

use std::ops::Range;

/// Words of context before and after the passage.
const CONTEXT_WORDS: usize = 3;
/// Passages longer than this many words are written as `textStart,textEnd`.
const MAX_EXACT_WORDS: usize = 10;
/// Words in each of `textStart` and `textEnd` for a long passage.
const RANGE_WORDS: usize = 5;

/// `url` with a text directive for the passage at `passage` (a byte range of `reader_text`).
/// A directive already on `url` is replaced; a plain fragment (`#section`) is kept before it.
pub fn original_passage_url(url: &str, reader_text: &str, passage: Range<usize>) -> String {
    let url = url.split_once(":~:").map_or(url, |(before, _)| before);
    let Some(directive) = text_directive(reader_text, passage) else {
        return url.to_string();
    };
    let separator = if url.contains('#') { "" } else { "#" };
    format!("{url}{separator}:~:text={directive}")
}

/// The value of `text=` for the passage, terms already percent-encoded; `None` for a passage
/// with no words.
fn text_directive(reader_text: &str, passage: Range<usize>) -> Option<String> {
    let text = &reader_text[passage.clone()];
    let blocks: Vec<Vec<&str>> = text
        .split('\n')
        .map(|block| block.split_whitespace().collect::<Vec<_>>())
        .filter(|words| !words.is_empty())
        .collect();
    let (first, last) = (blocks.first()?, blocks.last()?);

    let block_start = reader_text[..passage.start]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    let block_end = reader_text[passage.end..]
        .find('\n')
        .map_or(reader_text.len(), |newline| passage.end + newline);
    // Only the words next to the passage are read: this runs for each annotation on each page
    // that shows it, and a block can be long.
    let mut before: Vec<&str> = reader_text[block_start..passage.start]
        .split_whitespace()
        .rev()
        .take(CONTEXT_WORDS)
        .collect();
    before.reverse();
    let prefix = before.join(" ");
    let suffix = reader_text[passage.end..block_end]
        .split_whitespace()
        .take(CONTEXT_WORDS)
        .collect::<Vec<_>>()
        .join(" ");

    let mut terms = Vec::new();
    if !prefix.is_empty() {
        terms.push(format!("{}-", encode_term(&prefix)));
    }
    if blocks.len() == 1 && first.len() <= MAX_EXACT_WORDS {
        terms.push(encode_term(&first.join(" ")));
    } else {
        let start = &first[..first.len().min(RANGE_WORDS)];
        let end = &last[last.len().saturating_sub(RANGE_WORDS)..];
        terms.push(encode_term(&start.join(" ")));
        terms.push(encode_term(&end.join(" ")));
    }
    if !suffix.is_empty() {
        terms.push(format!("-{}", encode_term(&suffix)));
    }
    Some(terms.join(","))
}

/// Percent-encodes one term of a text directive: everything but ASCII letters, digits and
/// `.`, `_`, `~`. The spec requires `-`, `&` and `,` to be encoded, since they delimit terms and
/// directives; encoding the rest keeps the URL valid wherever it is pasted.
pub fn encode_term(term: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(term.len() * 3);
    for byte in term.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL for the passage `quote` (which must occur once) in `reader_text`.
    fn check(reader_text: &str, quote: &str, expected: &str) {
        let start = reader_text.find(quote).expect("quote in reader text");
        let url = original_passage_url(
            "https://example.com/a",
            reader_text,
            start..start + quote.len(),
        );
        assert_eq!(url, expected);
    }

    #[test]
    fn delimiters_and_spaces_are_percent_encoded() {
        assert_eq!(encode_term("a-b, c&d"), "a%2Db%2C%20c%26d");
        assert_eq!(encode_term("it’s #1"), "it%E2%80%99s%20%231");
        assert_eq!(encode_term("v1.2_x~y"), "v1.2_x~y");
    }

    #[test]
    fn short_passage_has_a_few_words_of_context() {
        check(
            "The company first invested $1 billion in OpenAI back in 2019, signaling a shift.",
            "invested $1 billion",
            "https://example.com/a#:~:text=The%20company%20first-,invested%20%241%20billion,-in%20OpenAI%20back",
        );
    }

    #[test]
    fn passage_at_the_edges_of_its_paragraph_has_no_context() {
        check(
            "First paragraph ends here.\nWhole second paragraph.\nThird.",
            "Whole second paragraph.",
            "https://example.com/a#:~:text=Whole%20second%20paragraph.",
        );
    }

    #[test]
    fn long_passage_is_written_as_start_and_end() {
        check(
            "Before it one two three four five six seven eight nine ten eleven after it.",
            "one two three four five six seven eight nine ten eleven",
            "https://example.com/a#:~:text=Before%20it-,one%20two%20three%20four%20five,seven%20eight%20nine%20ten%20eleven,-after%20it.",
        );
    }

    #[test]
    fn passage_across_paragraphs_starts_and_ends_in_its_own_blocks() {
        check(
            "Alpha beta gamma.\nDelta epsilon.",
            "gamma.\nDelta",
            "https://example.com/a#:~:text=Alpha%20beta-,gamma.,Delta,-epsilon.",
        );
    }

    /// The context words as first written: every word of the block around the passage, then
    /// the last (first) few. The fast reading must give the same directive.
    fn directive_by_definition(reader_text: &str, passage: Range<usize>) -> Option<String> {
        let text = &reader_text[passage.clone()];
        let blocks: Vec<Vec<&str>> = text
            .split('\n')
            .map(|block| block.split_whitespace().collect::<Vec<_>>())
            .filter(|words| !words.is_empty())
            .collect();
        let (first, last) = (blocks.first()?, blocks.last()?);
        let block_start = reader_text[..passage.start]
            .rfind('\n')
            .map_or(0, |n| n + 1);
        let block_end = reader_text[passage.end..]
            .find('\n')
            .map_or(reader_text.len(), |n| passage.end + n);
        let before: Vec<&str> = reader_text[block_start..passage.start]
            .split_whitespace()
            .collect();
        let after: Vec<&str> = reader_text[passage.end..block_end]
            .split_whitespace()
            .collect();
        let prefix = before[before.len().saturating_sub(CONTEXT_WORDS)..].join(" ");
        let suffix = after[..after.len().min(CONTEXT_WORDS)].join(" ");
        let encode = |term: &str| {
            term.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~') {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        let mut terms = Vec::new();
        if !prefix.is_empty() {
            terms.push(format!("{}-", encode(&prefix)));
        }
        if blocks.len() == 1 && first.len() <= MAX_EXACT_WORDS {
            terms.push(encode(&first.join(" ")));
        } else {
            let start = &first[..first.len().min(RANGE_WORDS)];
            let end = &last[last.len().saturating_sub(RANGE_WORDS)..];
            terms.push(encode(&start.join(" ")));
            terms.push(encode(&end.join(" ")));
        }
        if !suffix.is_empty() {
            terms.push(format!("-{}", encode(&suffix)));
        }
        Some(terms.join(","))
    }

    proptest::proptest! {
        #[test]
        fn the_directive_is_the_one_by_definition(
            text in "[ a-zé,&\u{a0}\n-]{0,80}",
            a in 0usize..81,
            b in 0usize..81,
        ) {
            let (mut start, mut end) = (a.min(b).min(text.len()), a.max(b).min(text.len()));
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
            proptest::prop_assert_eq!(
                text_directive(&text, start..end),
                directive_by_definition(&text, start..end)
            );
        }
    }

    #[test]
    fn existing_fragment_is_kept_and_old_directive_replaced() {
        let text = "one two";
        assert_eq!(
            original_passage_url("https://example.com/a#top", text, 0..3),
            "https://example.com/a#top:~:text=one,-two"
        );
        assert_eq!(
            original_passage_url("https://example.com/a#:~:text=old", text, 4..7),
            "https://example.com/a#:~:text=one-,two"
        );
    }
}
