//! Arbitrary Markdown through `ReaderText::extract`: every event's reader range lies within the
//! reader text on char boundaries, reader ranges never go backwards, every event's source range
//! lies within the Markdown, and `source_offset` / `source_range` of any reader offset or range
//! land within the Markdown on char boundaries.

#![no_main]

use gloss_fuzz::gloss::anchor::ReaderText;
use gloss_fuzz::{assert_range_in, probe_offsets};
use libfuzzer_sys::fuzz_target;

/// Beyond this many probe offsets, ranges are sampled instead of tried pairwise (keeps an input
/// linear in its length).
const MAX_SAMPLED_OFFSETS: usize = 48;

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    let reader = ReaderText::extract(markdown);
    let text = reader.text.as_str();

    let mut previous_end = 0;
    for text_event in &reader.events {
        assert_range_in(text, &text_event.reader, "event reader range");
        assert!(
            text_event.reader.start >= previous_end,
            "reader range {:?} starts before the previous one ends ({previous_end})",
            text_event.reader
        );
        previous_end = text_event.reader.end;
        assert_range_in(markdown, &text_event.source, "event source range");
    }

    let offsets = probe_offsets(text);
    for &offset in &offsets {
        let source = reader.source_offset(offset);
        assert_range_in(markdown, &(source..source), "source_offset");
    }
    // Every range from every offset to itself, the next offset and the end; and a grid of
    // ranges between sampled offsets (every pair when the text is short).
    for (index, &start) in offsets.iter().enumerate() {
        let ends = [
            Some(start),
            offsets.get(index + 1).copied(),
            Some(text.len()),
        ];
        for end in ends.into_iter().flatten() {
            check_source_range(markdown, &reader, start..end);
        }
    }
    let step = (offsets.len() / MAX_SAMPLED_OFFSETS).max(1);
    let sampled: Vec<usize> = offsets.iter().step_by(step).copied().collect();
    for &start in &sampled {
        for &end in &sampled {
            check_source_range(markdown, &reader, start..end);
        }
    }
});

fn check_source_range(markdown: &str, reader: &ReaderText<'_>, range: std::ops::Range<usize>) {
    let source = reader.source_range(range.clone());
    assert!(
        source.start <= source.end && markdown.get(source.clone()).is_some(),
        "source_range({range:?}) is {source:?}, not a range of {markdown:?} on char boundaries"
    );
}
