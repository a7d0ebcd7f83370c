//! Normalisation for matching: one function, [`normalize`], that both the reader text and the
//! editor's quote, prefix and suffix go through, so that text which reads the same compares equal.
//!
//! Owns the equivalence rules and the map from normalised bytes back to original bytes.
//! Input: any `&str`. Output: [`Normalized`], the normalised text plus that map.
//! Must not: search, know about Markdown, or change case (matching is case-sensitive).
//!
//! The rules:
//! - every run of white space (any Unicode `White_Space` character) becomes one `' '`;
//! - typographic single quotes and primes become `'`, double ones `"`;
//! - hyphen-like and dash characters become `-`;
//! - `…` becomes `...`;
//! - text is put in Unicode canonical decomposition (NFD), one segment (a character plus the
//!   combining marks after it) at a time, so canonical reordering never leaves the segment.
//!
//! A segment whose output differs from its input becomes one indivisible *piece*: a match may
//! not start or end inside it. Unchanged text forms *verbatim* pieces that map byte for byte.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{canonical_combining_class, decompose_canonical};

/// Text after [`normalize`], with a map back to the text it came from.
#[derive(Clone, Debug)]
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// Pieces in order; `pieces[0].normalized_start == 0` whenever `text` is non-empty, and
    /// every piece covers at least one normalised byte.
    pieces: Vec<Piece>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PieceKind {
    /// The normalised bytes equal the original bytes: offsets map one to one.
    Verbatim,
    /// The normalised bytes replace the original range as a whole.
    Replaced,
}

/// A stretch of normalised text and the original range it came from. Its normalised end is the
/// next piece's `normalized_start` (or the end of the text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    normalized_start: usize,
    original_start: usize,
    original_end: usize,
    kind: PieceKind,
}

/// Normalises `original` for matching (see the module documentation for the rules).
pub fn normalize(original: &str) -> Normalized {
    let mut builder = Builder {
        text: String::with_capacity(original.len()),
        pieces: Vec::new(),
        in_space_run: false,
    };
    let bytes = original.as_bytes();
    // Reused for every segment that needs decomposing.
    let mut mapped = String::new();
    let mut at = 0;
    while at < bytes.len() {
        // The common case first: a run of visible ASCII maps to itself, byte for byte. Its last
        // character is left to the general path when a non-ASCII character follows, which may
        // be a combining mark of the same segment.
        let mut run_end = at
            + bytes[at..]
                .iter()
                .position(|b| !b.is_ascii_graphic())
                .unwrap_or(bytes.len() - at);
        if run_end < bytes.len() && !bytes[run_end].is_ascii() && run_end > at {
            run_end -= 1;
        }
        if run_end > at {
            builder.push(at..run_end, &original[at..run_end], PieceKind::Verbatim);
            at = run_end;
            continue;
        }
        let segment_start = at;
        let mut rest = original[at..].chars();
        let Some(first) = rest.next() else { break };
        let mut segment_end = segment_start + first.len_utf8();
        for next in rest {
            if !continues_segment(next) {
                break;
            }
            segment_end += next.len_utf8();
        }
        at = segment_end;
        let segment_range = segment_start..segment_end;
        let is_single_char = segment_end - segment_start == first.len_utf8();
        if is_single_char {
            if first.is_whitespace() {
                builder.push_space(segment_range, first == ' ');
                continue;
            }
            if let Some(replacement) = replacement(first) {
                builder.push(segment_range, replacement, PieceKind::Replaced);
                continue;
            }
            if first.is_ascii() {
                builder.push(
                    segment_range,
                    &original[segment_start..segment_end],
                    PieceKind::Verbatim,
                );
                continue;
            }
        }
        let segment = &original[segment_start..segment_end];
        mapped.clear();
        for decomposed in segment.nfd() {
            match replacement(decomposed) {
                Some(replacement) => mapped.push_str(replacement),
                None if decomposed.is_whitespace() => mapped.push(' '),
                None => mapped.push(decomposed),
            }
        }
        let kind = if mapped == segment {
            PieceKind::Verbatim
        } else {
            PieceKind::Replaced
        };
        builder.push(segment_range, &mapped, kind);
    }
    Normalized {
        text: builder.text,
        pieces: builder.pieces,
    }
}

/// Whether `character` belongs to the segment of the character before it: it is a combining
/// mark once decomposed (checked on the decomposition, so canonical reordering stays inside
/// one segment and normalising twice changes nothing).
fn continues_segment(character: char) -> bool {
    if character.is_ascii() {
        return false;
    }
    let mut first_class = None;
    decompose_canonical(character, |decomposed| {
        if first_class.is_none() {
            first_class = Some(canonical_combining_class(decomposed));
        }
    });
    first_class.is_some_and(|class| class != 0)
}

/// What a punctuation character reads as, if it is one that has a plain ASCII twin.
fn replacement(character: char) -> Option<&'static str> {
    match character {
        // ‘ ’ ‚ ‛ ′ ‵
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}' => Some("'"),
        // “ ” „ ‟ ″ ‶
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}' => Some("\""),
        // ‐ ‑ ‒ – — ― −
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => Some("-"),
        '\u{2026}' => Some("..."),
        _ => None,
    }
}

struct Builder {
    text: String,
    pieces: Vec<Piece>,
    /// The text ends with the `' '` of a white-space run that later white space joins.
    in_space_run: bool,
}

impl Builder {
    fn push(&mut self, original: Range<usize>, normalized: &str, kind: PieceKind) {
        self.in_space_run = false;
        if normalized.is_empty() {
            // Cannot happen (NFD never erases a character), but a piece must cover output bytes.
            return;
        }
        if kind == PieceKind::Verbatim
            && let Some(last) = self.pieces.last_mut()
            && last.kind == PieceKind::Verbatim
            && last.original_end == original.start
        {
            last.original_end = original.end;
        } else {
            self.pieces.push(Piece {
                normalized_start: self.text.len(),
                original_start: original.start,
                original_end: original.end,
                kind,
            });
        }
        self.text.push_str(normalized);
    }

    /// One white-space character at `original`; `is_plain_space` if it is U+0020.
    fn push_space(&mut self, original: Range<usize>, is_plain_space: bool) {
        if !self.in_space_run {
            // A lone plain space is kept verbatim so ordinary prose stays one piece.
            let kind = if is_plain_space {
                PieceKind::Verbatim
            } else {
                PieceKind::Replaced
            };
            self.push(original, " ", kind);
            self.in_space_run = true;
            return;
        }
        let last = self
            .pieces
            .last_mut()
            .expect("a space run always has a piece for its ' '");
        match last.kind {
            PieceKind::Replaced => last.original_end = original.end,
            PieceKind::Verbatim => {
                // The run began with a plain space at the end of a verbatim piece: move that
                // space into its own replaced piece that also covers this character.
                last.original_end -= 1;
                let run_start = last.original_end;
                if last.original_end == last.original_start {
                    self.pieces.pop();
                }
                self.pieces.push(Piece {
                    normalized_start: self.text.len() - 1,
                    original_start: run_start,
                    original_end: original.end,
                    kind: PieceKind::Replaced,
                });
            }
        }
    }
}

impl Normalized {
    /// Index of the piece that holds the normalised byte at `offset` (`offset < text.len()`).
    fn piece_index(&self, offset: usize) -> usize {
        self.pieces
            .partition_point(|piece| piece.normalized_start <= offset)
            .checked_sub(1)
            .expect("the first piece starts at 0, so some piece starts at or before any offset")
    }

    fn piece_normalized_end(&self, index: usize) -> usize {
        self.pieces
            .get(index + 1)
            .map_or(self.text.len(), |next| next.normalized_start)
    }

    /// Whether a match may start or end at this normalised offset: a character boundary that
    /// is not inside a replaced piece and not right before a combining mark.
    pub fn is_boundary(&self, offset: usize) -> bool {
        if offset == 0 || offset == self.text.len() {
            return true;
        }
        if offset > self.text.len() || !self.text.is_char_boundary(offset) {
            return false;
        }
        let piece = self.pieces[self.piece_index(offset)];
        if piece.kind == PieceKind::Replaced && piece.normalized_start != offset {
            return false;
        }
        !self.text[offset..].chars().next().is_some_and(is_combining)
    }

    /// The original range that the normalised range `normalized` stands for, if both ends are
    /// boundaries (see [`Normalized::is_boundary`]) and the range is non-empty.
    pub fn original_range(&self, normalized: Range<usize>) -> Option<Range<usize>> {
        if normalized.start >= normalized.end
            || normalized.end > self.text.len()
            || !self.is_boundary(normalized.start)
            || !self.is_boundary(normalized.end)
        {
            return None;
        }
        Some(self.original_start(normalized.start)..self.original_end(normalized.end))
    }

    /// The smallest original range that covers the normalised range `normalized`, widened to
    /// whole pieces and segments where it starts or ends inside one.
    pub fn covering_original_range(&self, normalized: Range<usize>) -> Range<usize> {
        let mut start = normalized.start.min(self.text.len());
        let mut end = normalized.end.clamp(start, self.text.len());
        while !self.is_boundary(start) {
            start -= 1;
        }
        while !self.is_boundary(end) {
            end += 1;
        }
        if start == end {
            let offset = if start < self.text.len() {
                self.original_start(start)
            } else {
                self.original_len()
            };
            return offset..offset;
        }
        self.original_start(start)..self.original_end(end)
    }

    /// Original offset of a boundary that starts a non-empty normalised range.
    fn original_start(&self, offset: usize) -> usize {
        let piece = self.pieces[self.piece_index(offset)];
        match piece.kind {
            PieceKind::Verbatim => piece.original_start + (offset - piece.normalized_start),
            PieceKind::Replaced => piece.original_start,
        }
    }

    /// Original offset of a boundary (`offset > 0`) that ends a non-empty normalised range.
    fn original_end(&self, offset: usize) -> usize {
        let index = self.piece_index(offset - 1);
        let piece = self.pieces[index];
        match piece.kind {
            PieceKind::Verbatim => piece.original_start + (offset - piece.normalized_start),
            PieceKind::Replaced => {
                debug_assert_eq!(
                    offset,
                    self.piece_normalized_end(index),
                    "ends inside a replaced piece"
                );
                piece.original_end
            }
        }
    }

    /// Length of the original text's covered part (the whole original text).
    fn original_len(&self) -> usize {
        self.pieces.last().map_or(0, |piece| piece.original_end)
    }
}

/// A combining mark: a character with a non-zero canonical combining class.
fn is_combining(character: char) -> bool {
    !character.is_ascii() && canonical_combining_class(character) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normalises `original` and checks the text, that normalising is idempotent, and that every
    /// piece maps back onto character boundaries of the original.
    fn check(original: &str, expected: &str) {
        let normalized = normalize(original);
        assert_eq!(normalized.text, expected, "normalising {original:?}");
        let twice = normalize(&normalized.text);
        assert_eq!(
            twice.text, normalized.text,
            "normalising {original:?} twice"
        );
        check_map_is_sound(original, &normalized);
    }

    fn check_map_is_sound(original: &str, normalized: &Normalized) {
        let mut previous_end = 0;
        for (index, piece) in normalized.pieces.iter().enumerate() {
            let normalized_end = normalized.piece_normalized_end(index);
            assert!(
                piece.normalized_start < normalized_end,
                "empty piece in {original:?}"
            );
            assert_eq!(
                piece.original_start, previous_end,
                "gap before piece {index} of {original:?}"
            );
            assert!(original.is_char_boundary(piece.original_start));
            assert!(original.is_char_boundary(piece.original_end));
            if piece.kind == PieceKind::Verbatim {
                assert_eq!(
                    &original[piece.original_start..piece.original_end],
                    &normalized.text[piece.normalized_start..normalized_end],
                    "verbatim piece {index} of {original:?}"
                );
            }
            previous_end = piece.original_end;
        }
        assert_eq!(
            previous_end,
            original.len(),
            "pieces of {original:?} do not reach the end"
        );
    }

    #[test]
    fn plain_ascii_is_unchanged() {
        check(
            "Hello, world! It's \"fine\" - really...",
            "Hello, world! It's \"fine\" - really...",
        );
        check("", "");
    }

    #[test]
    fn white_space_runs_become_one_space() {
        check("a  b", "a b");
        check("a\nb", "a b");
        check("a\r\n\r\nb", "a b");
        check("a\t \u{a0}b", "a b");
        check("a\u{a0}b", "a b");
        check("a\u{2009}b\u{202f}c\u{3000}d\u{2028}e", "a b c d e");
        check("  leading and trailing \n", " leading and trailing ");
    }

    #[test]
    fn typographic_quotes_become_straight() {
        check(
            "\u{2018}single\u{2019} \u{201c}double\u{201d}",
            "'single' \"double\"",
        );
        check("it\u{2019}s", "it's");
        check("\u{201a}low\u{2018} \u{201e}low\u{201c}", "'low' \"low\"");
        check("5\u{2032} 6\u{2033}", "5' 6\"");
    }

    #[test]
    fn dashes_become_hyphens() {
        check(
            "a\u{2013}b\u{2014}c\u{2010}d\u{2011}e\u{2012}f\u{2212}g",
            "a-b-c-d-e-f-g",
        );
    }

    #[test]
    fn ellipsis_becomes_three_dots() {
        check("wait\u{2026} what", "wait... what");
    }

    #[test]
    fn composed_and_decomposed_forms_are_equal() {
        check("caf\u{e9}", "cafe\u{301}");
        check("cafe\u{301}", "cafe\u{301}");
        // Canonical reordering: dot below (class 220) sorts before acute (class 230).
        check("e\u{301}\u{323}", "e\u{323}\u{301}");
        check("\u{1e0b}\u{323}", "d\u{323}\u{307}");
        // Hangul syllables decompose into jamo.
        check("\u{ac01}", "\u{1100}\u{1161}\u{11a8}");
    }

    #[test]
    fn other_scripts_and_emoji_are_unchanged() {
        check(
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{645}\u{631}\u{62d}\u{628}\u{627}",
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{645}\u{631}\u{62d}\u{628}\u{627}",
        );
        check(
            "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} \u{1f44d}\u{1f3fd}",
            "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} \u{1f44d}\u{1f3fd}",
        );
        check("\u{65e5}\u{672c}\u{8a9e}", "\u{65e5}\u{672c}\u{8a9e}");
    }

    #[test]
    fn odd_sequences_stay_sound_and_idempotent() {
        // Combining marks with no base, after white space or after replaced punctuation; a
        // starter (U+0F73) whose decomposition starts with combining marks.
        for original in [
            "\u{301}",
            "\u{301}\u{323}abc",
            "a \u{301} b",
            "a\u{a0}\u{301}  b",
            "\u{2019}\u{301}x",
            "\u{2026}\u{323}\u{301}",
            "x\u{301}\u{f73}",
            "\u{f73}\u{f71}",
            "\r\n\u{feff}\u{200b}",
        ] {
            let normalized = normalize(original);
            assert_eq!(
                normalize(&normalized.text).text,
                normalized.text,
                "idempotent for {original:?}"
            );
            check_map_is_sound(original, &normalized);
        }
    }

    /// Maps the normalised range of `needle`'s first occurrence in `normalize(original)` back
    /// and checks the original text it covers (`None` if the range splits a piece).
    fn check_original_range(original: &str, needle: &str, expected: Option<&str>) {
        let normalized = normalize(original);
        let start = normalized
            .text
            .find(needle)
            .expect("test needle occurs in the normalised text");
        let range = normalized.original_range(start..start + needle.len());
        assert_eq!(
            range.map(|range| &original[range]),
            expected,
            "mapping {needle:?} in {original:?}"
        );
    }

    #[test]
    fn ranges_map_back_to_original_text() {
        check_original_range(
            "He said \u{201c}go now\u{201d}.",
            "\"go now\"",
            Some("\u{201c}go now\u{201d}"),
        );
        check_original_range("one\n\n  two", "one two", Some("one\n\n  two"));
        check_original_range("a caf\u{e9} b", "cafe\u{301}", Some("caf\u{e9}"));
        check_original_range(
            "x \u{5e9}\u{5dc}\u{5d5}\u{5dd} y",
            "\u{5dc}\u{5d5}",
            Some("\u{5dc}\u{5d5}"),
        );
        check_original_range("wait\u{2026}", "wait...", Some("wait\u{2026}"));
    }

    #[test]
    fn ranges_that_split_a_piece_do_not_map() {
        // Inside an ellipsis, before a combining mark, inside a decomposed syllable.
        check_original_range("wait\u{2026}", "wait.", None);
        check_original_range("caf\u{e9}", "cafe", None);
        check_original_range("cafe\u{301}", "cafe", None);
        check_original_range("\u{ac01}", "\u{1100}\u{1161}", None);
    }

    #[test]
    fn covering_range_widens_to_whole_pieces() {
        let original = "say caf\u{e9}\u{2026} now";
        let normalized = normalize(original);
        let start = normalized.text.find("cafe").expect("present");
        let range = normalized.covering_original_range(start..start + "cafe\u{301}.".len());
        assert_eq!(&original[range], "caf\u{e9}\u{2026}");
    }

    /// The rules applied one segment at a time, without the ASCII fast path of [`normalize`].
    fn normalize_segment_by_segment(original: &str) -> Normalized {
        let mut builder = Builder {
            text: String::new(),
            pieces: Vec::new(),
            in_space_run: false,
        };
        let mut chars = original.char_indices().peekable();
        while let Some((start, first)) = chars.next() {
            let mut end = start + first.len_utf8();
            while let Some(&(next_start, next)) = chars.peek() {
                if !continues_segment(next) {
                    break;
                }
                chars.next();
                end = next_start + next.len_utf8();
            }
            let segment = &original[start..end];
            if segment.chars().count() == 1 && first.is_whitespace() {
                builder.push_space(start..end, first == ' ');
                continue;
            }
            let mapped: String = segment
                .nfd()
                .map(|c| match replacement(c) {
                    Some(replacement) => replacement.to_string(),
                    None if c.is_whitespace() => " ".to_string(),
                    None => c.to_string(),
                })
                .collect();
            let kind = if mapped == segment {
                PieceKind::Verbatim
            } else {
                PieceKind::Replaced
            };
            builder.push(start..end, &mapped, kind);
        }
        Normalized {
            text: builder.text,
            pieces: builder.pieces,
        }
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_fast_path_changes_nothing(
            original in "([a-zA-Z0-9 .,'\"\\-]|\u{301}|\u{323}|\u{2019}|\u{2026}|\u{e9}|\n|\t|\u{a0}|\u{ac01}){0,40}"
        ) {
            let fast = normalize(&original);
            let slow = normalize_segment_by_segment(&original);
            proptest::prop_assert_eq!(&fast.text, &slow.text);
            proptest::prop_assert_eq!(&fast.pieces, &slow.pieces);
        }
    }
}
