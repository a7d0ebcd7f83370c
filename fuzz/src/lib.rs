//! Checks shared by the fuzz targets in `fuzz_targets/`: each panics, with the offending range,
//! when a range gloss returned breaks a promise about the text it points into.
//!
//! Must not: parse or anchor anything itself; the targets call gloss and hand the results here.

use std::ops::Range;

pub use gloss;

/// `range` is ordered, within `text` and on char boundaries at both ends.
pub fn assert_range_in(text: &str, range: &Range<usize>, what: &str) {
    assert!(
        range.start <= range.end,
        "{what}: inverted range {range:?} in {text:?}"
    );
    assert!(
        range.end <= text.len(),
        "{what}: range {range:?} past the end ({}) of {text:?}",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: range {range:?} splits a character of {text:?}"
    );
}

/// Like [`assert_range_in`], and the range is not empty.
pub fn assert_non_empty_range_in(text: &str, range: &Range<usize>, what: &str) {
    assert_range_in(text, range, what);
    assert!(
        range.start < range.end,
        "{what}: empty range {range:?} in {text:?}"
    );
}

/// Every reader-text offset worth probing: each char boundary, and some past the end.
pub fn probe_offsets(text: &str) -> Vec<usize> {
    let mut offsets: Vec<usize> = (0..=text.len())
        .filter(|&offset| text.is_char_boundary(offset))
        .collect();
    offsets.extend([text.len() + 1, usize::MAX]);
    offsets
}
