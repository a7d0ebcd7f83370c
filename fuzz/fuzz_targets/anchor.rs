//! A Markdown source and a selector (quote, optional prefix and suffix) through
//! `DocIndex::find`, `DocIndex::locate` and `DocIndex::unique_context`: nothing panics; every
//! range returned (a match, a candidate, an occurrence, the closest text) lies within the reader
//! text on char boundaries and maps through `ReaderText::source_range` onto char boundaries of
//! the Markdown; a match is non-empty, and for `find` its text normalises to the quote.

#![no_main]

use gloss_fuzz::gloss::anchor::normalize::normalize;
use gloss_fuzz::gloss::anchor::{AnchorError, DocIndex, ReaderText, Selector};
use gloss_fuzz::{assert_non_empty_range_in, assert_range_in};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    markdown: String,
    quote: String,
    prefix: Option<String>,
    suffix: Option<String>,
}

fuzz_target!(|input: Input| {
    let reader = ReaderText::extract(&input.markdown);
    let text = reader.text.as_str();
    let index = DocIndex::new(text);
    let selector = Selector {
        quote: &input.quote,
        prefix: input.prefix.as_deref(),
        suffix: input.suffix.as_deref(),
    };
    let check_match = |range: &std::ops::Range<usize>, what: &str| {
        assert_non_empty_range_in(text, range, what);
        let source = reader.source_range(range.clone());
        assert_range_in(&input.markdown, &source, &format!("source range of {what}"));
    };

    let found = index.find(&selector);
    match &found {
        Ok(range) => {
            check_match(range, "find");
            let needle = normalize(&input.quote).text;
            let needle = needle.trim_matches(' ');
            assert_eq!(
                normalize(&text[range.clone()]).text,
                needle,
                "find: the text at {range:?} does not normalise to the quote"
            );
            let candidate = index.unique_context(range.clone());
            assert_eq!(&candidate.range, range, "unique_context of a found range");
        }
        Err(error) => check_error(error, &check_match),
    }

    match index.locate(&selector) {
        Ok(located) => {
            check_match(&located.range, "locate");
            match &located.drift {
                None => assert_eq!(
                    found.as_ref().ok(),
                    Some(&located.range),
                    "an exact locate agrees with find"
                ),
                Some(drift) => {
                    assert!(found.is_err(), "locate drifted although find matched");
                    assert_eq!(drift.current, text[located.range.clone()]);
                }
            }
        }
        Err(error) => check_error(&error, &check_match),
    }
});

fn check_error(error: &AnchorError, check_match: &dyn Fn(&std::ops::Range<usize>, &str)) {
    match error {
        AnchorError::EmptyQuote | AnchorError::NotFound { closest: None } => {}
        AnchorError::NotFound {
            closest: Some(closest),
        } => check_match(closest, "closest text"),
        AnchorError::ContextNotFound { occurrences } => {
            assert!(
                !occurrences.is_empty(),
                "context not found, but no occurrence"
            );
            for occurrence in occurrences {
                check_match(occurrence, "occurrence");
            }
        }
        AnchorError::Ambiguous { candidates } => {
            assert!(
                candidates.len() > 1,
                "ambiguous with fewer than two candidates"
            );
            for candidate in candidates {
                check_match(&candidate.range, "candidate");
            }
        }
    }
}
