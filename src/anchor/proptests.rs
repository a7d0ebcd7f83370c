//! Property tests for the promises anchoring makes about offsets, on generated Markdown:
//! every range `find` or `locate` anchors lies on char boundaries of the reader text and maps
//! through [`ReaderText::source_range`] onto char boundaries of the Markdown source; and
//! normalising is idempotent.
//!
//! The fuzz target `fuzz/fuzz_targets/anchor.rs` checks the same promises on inputs libFuzzer
//! grows; these run with `cargo test` on every change.

use std::ops::Range;

use proptest::prelude::*;

use super::normalize::normalize;
use super::tests::{HOSTILE_ALPHABET, with_context};
use super::{DocIndex, ReaderText};

/// Markdown built from pieces that stress the reader text and normalisation (markup, CRLF,
/// combining marks, typographic punctuation), or any string at all.
fn markdown() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(proptest::sample::select(HOSTILE_ALPHABET), 0..60)
            .prop_map(|pieces| pieces.concat()),
        1 => any::<String>(),
    ]
}

/// A quote taken from the reader text (`from`, `len` in char boundaries), possibly with a
/// hostile piece on either end, or any string.
#[derive(Clone, Debug)]
enum QuoteChoice {
    Taken {
        from: prop::sample::Index,
        len: usize,
        before: Option<&'static str>,
        after: Option<&'static str>,
    },
    Any(String),
}

fn quote_choice() -> impl Strategy<Value = QuoteChoice> {
    let hostile = || proptest::option::of(proptest::sample::select(HOSTILE_ALPHABET));
    prop_oneof![
        4 => (any::<prop::sample::Index>(), 0..40usize, hostile(), hostile()).prop_map(
            |(from, len, before, after)| QuoteChoice::Taken { from, len, before, after }
        ),
        1 => any::<String>().prop_map(QuoteChoice::Any),
    ]
}

impl QuoteChoice {
    fn quote(&self, reader_text: &str) -> String {
        match self {
            QuoteChoice::Taken {
                from,
                len,
                before,
                after,
            } => {
                let boundaries: Vec<usize> = (0..=reader_text.len())
                    .filter(|&offset| reader_text.is_char_boundary(offset))
                    .collect();
                let from = from.index(boundaries.len());
                let to = (from + len).min(boundaries.len() - 1);
                format!(
                    "{}{}{}",
                    before.unwrap_or(""),
                    &reader_text[boundaries[from]..boundaries[to]],
                    after.unwrap_or("")
                )
            }
            QuoteChoice::Any(quote) => quote.clone(),
        }
    }
}

/// `range` is a non-empty range of the reader text on char boundaries, and its source range is
/// a range of the Markdown on char boundaries.
fn check_anchored_range(markdown: &str, reader: &ReaderText<'_>, range: &Range<usize>) {
    assert!(
        range.start < range.end,
        "empty anchored range {range:?} in {:?}",
        reader.text
    );
    assert!(
        reader.text.get(range.clone()).is_some(),
        "anchored range {range:?} is not on char boundaries of the reader text {:?}",
        reader.text
    );
    let source = reader.source_range(range.clone());
    assert!(
        source.start <= source.end && markdown.get(source.clone()).is_some(),
        "source range {source:?} of {range:?} is not on char boundaries of {markdown:?}"
    );
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 300,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn anchored_ranges_map_to_char_boundaries(
        markdown in markdown(),
        quote_choice in quote_choice(),
        prefix in proptest::option::of(proptest::sample::select(HOSTILE_ALPHABET)),
        suffix in proptest::option::of(proptest::sample::select(HOSTILE_ALPHABET)),
    ) {
        let reader = ReaderText::extract(&markdown);
        let index = DocIndex::new(&reader.text);
        let quote = quote_choice.quote(&reader.text);
        let selector = with_context(&quote, prefix, suffix);
        if let Ok(range) = index.find(&selector) {
            check_anchored_range(&markdown, &reader, &range);
        }
        if let Ok(located) = index.locate(&selector) {
            check_anchored_range(&markdown, &reader, &located.range);
        }
    }

    #[test]
    fn normalizing_is_idempotent(
        text in prop_oneof![
            proptest::collection::vec(proptest::sample::select(HOSTILE_ALPHABET), 0..60)
                .prop_map(|pieces| pieces.concat()),
            any::<String>(),
        ],
    ) {
        let once = normalize(&text).text;
        let twice = normalize(&once).text;
        prop_assert_eq!(twice, once, "normalising {:?} twice", text);
    }
}
