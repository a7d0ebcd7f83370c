//! Drift-tolerant anchoring: where a quote that no longer occurs exactly (the source was
//! corrected since) stands now, if one place is clearly it.
//!
//! Owns the search for approximate matches over the normalised text, their scoring by quote,
//! prefix, suffix and position together, the rules for accepting one, and [`word_diff`] to show
//! an editor what changed.
//! Input: a [`DocIndex`], the normalised quote and the selector. Output: one place with its edit
//! distance, several places that score about the same, or nothing.
//! Must not: accept a short quote, a distant one, or one of several near-equal places, or hide
//! from the caller that a match is approximate ([`DocIndex::locate`] reports it as a drift).
//!
//! How a place is chosen:
//! 1. Every end position in the normalised text where the quote's edit distance (in characters,
//!    semi-global) is at most 10% of its length, found with [`BitPattern`] in O(n·⌈m/64⌉).
//! 2. For each end, the start with the least distance (found by the same search run backwards
//!    from the end), preferring a start at a word edge; trimmed of white space and widened to
//!    boundaries of the normalised text, so it maps back onto the reader text.
//! 3. Each such region is scored: quote similarity (1 − distance/length), plus how well the
//!    prefix matches the text right before it and the suffix the text right after it (each also
//!    approximate, 1 − distance/length of the best alignment touching the region), plus
//!    position when the caller has a hint, plus a little for edges at word boundaries.
//! 4. Regions where a given prefix or suffix fits less than half-way
//!    ([`MIN_CONTEXT_SIMILARITY`]) are dropped. The best of the rest wins only if no region at
//!    another place (start or end more than the edit bound away) scores within
//!    [`CLEAR_WIN_MARGIN`] of it; a position hint is part of the score, so it can settle a tie
//!    between places that are otherwise equal.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use super::fuzzy::{BitPattern, Start};
use super::normalize::normalize;
use super::{DocIndex, MAX_FUZZY_QUOTE_CHARS, Occurrence, Selector, normalize_context};

/// Quotes shorter than this (in normalised characters) never match approximately: a typo in a
/// short quote is as likely to be another passage.
const MIN_DRIFT_QUOTE_CHARS: usize = 12;

/// The edit distance of a drifted match is at most this percentage of the quote's length
/// (a similarity of at least 90%).
const MAX_DRIFT_PERCENT: usize = 10;

/// More end positions than this within the edit bound means the text repeats itself too much
/// for any one place to be clearly the quote's; no drift is accepted.
const MAX_DRIFT_CANDIDATES: usize = 10_000;

/// Finding the start of every candidate costs about (quote length + bound) × ⌈quote length / 64⌉
/// word operations; past this many in all (a long quote with many look-alikes), no drift is
/// accepted rather than taking seconds.
const MAX_DRIFT_WORK: usize = 200_000_000;

/// At most this many characters of prefix (the ones nearest the quote) and of suffix are scored.
const MAX_CONTEXT_CHARS: usize = 256;

/// Weights of the score's parts (each part is a similarity in 0.0..=1.0). The quote counts most;
/// context can outweigh a few edits in the quote (an exact copy of the words elsewhere loses to
/// the edited original whose context fits); position is worth less than 5% of the quote.
const QUOTE_WEIGHT: f64 = 50.0;
const CONTEXT_WEIGHT: f64 = 20.0;
const POSITION_WEIGHT: f64 = 2.0;
/// Added for each edge of a region that is not inside a word, so that among equally close
/// regions at one place the one an editor would select wins.
const WORD_EDGE_WEIGHT: f64 = 0.25;

/// The winner must score at least this much above the best region at any other place: the
/// same as 2% of quote similarity or 5% of a context's.
const CLEAR_WIN_MARGIN: f64 = 1.0;

/// A prefix or suffix the selector gives must be at least this similar to the text around a
/// region for the region to be accepted.
const MIN_CONTEXT_SIMILARITY: f64 = 0.5;

/// What the drift search concluded.
#[derive(Clone, Debug)]
pub(super) enum Outcome {
    /// One place is clearly the quote's.
    Found(DriftedMatch),
    /// Several places score within [`CLEAR_WIN_MARGIN`] of each other, in document order.
    Tie(Vec<Occurrence>),
    /// No place is close enough, or the quote is too short for approximate matching.
    Rejected,
}

/// The place a drifted quote is anchored to.
#[derive(Clone, Debug)]
pub(super) struct DriftedMatch {
    /// Range in the reader text: non-empty, trimmed, on character boundaries.
    pub reader: Range<usize>,
    /// Edit distance in characters between the normalised quote and `reader`'s text,
    /// normalised.
    pub distance: usize,
    /// Similarity of the given prefix to the text right before; `None` without a prefix.
    pub prefix_similarity: Option<f64>,
    /// Similarity of the given suffix to the text right after; `None` without a suffix.
    pub suffix_similarity: Option<f64>,
}

/// A region of the normalised text that matches the quote approximately, scored.
#[derive(Clone, Debug)]
struct Scored {
    region: Range<usize>,
    distance: usize,
    /// |characters in the region − characters in the quote|, to prefer regions of the quote's
    /// length among equal scores.
    length_gap: usize,
    prefix_similarity: Option<f64>,
    suffix_similarity: Option<f64>,
    score: f64,
}

/// Looks for the one place where `needle` (the normalised quote, trimmed) stands after edits;
/// see the module documentation. `position_hint` is a reader-text offset where the quote is
/// expected, if the caller knows one.
pub(super) fn drifted_match(
    index: &DocIndex,
    needle: &str,
    selector: &Selector<'_>,
    position_hint: Option<usize>,
) -> Outcome {
    let quote_len = needle.chars().count();
    if !(MIN_DRIFT_QUOTE_CHARS..=MAX_FUZZY_QUOTE_CHARS).contains(&quote_len) {
        return Outcome::Rejected;
    }
    let max_distance = quote_len * MAX_DRIFT_PERCENT / 100;
    let (Some(forward), Some(backward)) = (
        BitPattern::new(needle.chars()),
        BitPattern::new(needle.chars().rev()),
    ) else {
        return Outcome::Rejected;
    };
    let text = index.normalized.text.as_str();
    let mut ends = Vec::new();
    forward.scan(
        text.char_indices()
            .map(|(start, character)| (start + character.len_utf8(), character)),
        Start::Anywhere,
        max_distance,
        |end, _| ends.push(end),
    );
    let work_per_end = (quote_len + max_distance) * quote_len.div_ceil(64);
    if ends.len() > MAX_DRIFT_CANDIDATES || ends.len() * work_per_end > MAX_DRIFT_WORK {
        return Outcome::Rejected;
    }
    // Every candidate region with its exact distance, keyed (and so ordered) by position.
    let mut regions: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for end in ends {
        let Some((start, distance)) =
            best_start(text, end, &backward, quote_len + max_distance, max_distance)
        else {
            continue;
        };
        let tidied = tidy(index, start..end);
        if tidied.is_empty() {
            continue;
        }
        let distance = if tidied == (start..end) {
            distance
        } else {
            forward.distance_to(text[tidied.clone()].chars())
        };
        if distance <= max_distance {
            regions.insert((tidied.start, tidied.end), distance);
        }
    }

    let prefix = selector
        .prefix
        .map(normalize_context)
        .filter(|prefix| !prefix.is_empty());
    let suffix = selector
        .suffix
        .map(normalize_context)
        .filter(|suffix| !suffix.is_empty());
    // The prefix is aligned backwards from the region's start, nearest characters first.
    let prefix_pattern = prefix.as_deref().and_then(|prefix| {
        let chars: Vec<char> = prefix.chars().collect();
        let nearest = &chars[chars.len().saturating_sub(MAX_CONTEXT_CHARS)..];
        BitPattern::new(nearest.iter().rev().copied())
    });
    let suffix_pattern = suffix
        .as_deref()
        .and_then(|suffix| BitPattern::new(suffix.chars().take(MAX_CONTEXT_CHARS)));
    // Many regions share a start (they differ in where they end).
    let mut prefix_similarities: HashMap<usize, f64> = HashMap::new();
    let reader_len = index.reader_text.len().max(1) as f64;
    let mut scored = Vec::with_capacity(regions.len());
    for ((start, end), distance) in regions {
        let prefix_similarity = prefix_pattern.as_ref().map(|pattern| {
            *prefix_similarities.entry(start).or_insert_with(|| {
                context_similarity(pattern, text[..start].trim_end_matches(' ').chars().rev())
            })
        });
        let suffix_similarity = suffix_pattern.as_ref().map(|pattern| {
            context_similarity(pattern, text[end..].trim_start_matches(' ').chars())
        });
        if [prefix_similarity, suffix_similarity]
            .into_iter()
            .flatten()
            .any(|similarity| similarity < MIN_CONTEXT_SIMILARITY)
        {
            continue;
        }
        let mut score = QUOTE_WEIGHT * similarity(distance, quote_len)
            + CONTEXT_WEIGHT
                * (prefix_similarity.unwrap_or(0.0) + suffix_similarity.unwrap_or(0.0));
        if let Some(hint) = position_hint {
            let at = index.normalized.covering_original_range(start..end).start;
            let closeness = 1.0 - at.abs_diff(hint) as f64 / reader_len;
            score += POSITION_WEIGHT * closeness.max(0.0);
        }
        for edge in [start, end] {
            if is_word_edge(text, edge) {
                score += WORD_EDGE_WEIGHT;
            }
        }
        scored.push(Scored {
            region: start..end,
            distance,
            length_gap: text[start..end].chars().count().abs_diff(quote_len),
            prefix_similarity,
            suffix_similarity,
            score,
        });
    }
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.distance.cmp(&b.distance))
            .then(a.length_gap.cmp(&b.length_gap))
            .then(a.region.start.cmp(&b.region.start))
            .then(a.region.end.cmp(&b.region.end))
    });
    let Some(best) = scored.first() else {
        return Outcome::Rejected;
    };
    // One representative per place among the regions that score about as well as the best.
    let mut places: Vec<&Scored> = vec![best];
    for candidate in &scored[1..] {
        if candidate.score < best.score - CLEAR_WIN_MARGIN {
            break;
        }
        if places
            .iter()
            .all(|place| is_other_place(text, &place.region, &candidate.region, max_distance))
        {
            places.push(candidate);
        }
    }
    if places.len() > 1 {
        let mut tied: Vec<Occurrence> = places
            .iter()
            .filter_map(|place| {
                let reader = index.reader_range(place.region.clone())?;
                Some(Occurrence {
                    normalized: place.region.clone(),
                    reader,
                })
            })
            .collect();
        tied.sort_by_key(|place| (place.normalized.start, place.normalized.end));
        return Outcome::Tie(tied);
    }
    let Some(reader) = index.reader_range(best.region.clone()) else {
        return Outcome::Rejected;
    };
    // The caller shows the reader text, trimmed (which can drop white space that a combining
    // mark kept in the region): measure exactly that.
    let current = normalize(&index.reader_text[reader.clone()]).text;
    let distance = forward.distance_to(current.trim_matches(' ').chars());
    if distance > max_distance {
        return Outcome::Rejected;
    }
    Outcome::Found(DriftedMatch {
        reader,
        distance,
        prefix_similarity: best.prefix_similarity,
        suffix_similarity: best.suffix_similarity,
    })
}

/// 1 − distance/length, the similarity of a text at `distance` edits from one of `len` chars.
pub(super) fn similarity(distance: usize, len: usize) -> f64 {
    if len == 0 {
        return 0.0;
    }
    (1.0 - distance as f64 / len as f64).max(0.0)
}

/// The start of the stretch ending at `end` with the least edit distance to the quote (the
/// reversed quote is `backward`), at most `max_len` characters long and `max_distance` edits
/// away; among equally close starts, one at a word edge, then the nearest to `end`.
fn best_start(
    text: &str,
    end: usize,
    backward: &BitPattern,
    max_len: usize,
    max_distance: usize,
) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize, bool)> = None;
    backward.scan(
        text[..end].char_indices().rev().take(max_len),
        Start::AtTextStart,
        max_distance,
        |start, distance| {
            let at_word_edge = is_word_edge(text, start);
            let is_better = best.is_none_or(|(_, best_distance, best_at_word_edge)| {
                distance < best_distance
                    || (distance == best_distance && at_word_edge && !best_at_word_edge)
            });
            if is_better {
                best = Some((start, distance, at_word_edge));
            }
        },
    );
    best.map(|(start, distance, _)| (start, distance))
}

/// `region` of the normalised text without white space at either end, then widened to
/// boundaries (see [`super::normalize::Normalized::is_boundary`]) so it maps to the reader text.
fn tidy(index: &DocIndex, region: Range<usize>) -> Range<usize> {
    let normalized = &index.normalized;
    let text = normalized.text.as_str();
    let slice = &text[region.clone()];
    let mut start = region.start + (slice.len() - slice.trim_start_matches(' ').len());
    let mut end = region.start + slice.trim_end_matches(' ').len();
    if start >= end {
        return start..start;
    }
    while !normalized.is_boundary(start) {
        start -= text[..start]
            .chars()
            .next_back()
            .map_or(start, char::len_utf8);
    }
    while !normalized.is_boundary(end) {
        end += text[end..]
            .chars()
            .next()
            .map_or(text.len() - end, char::len_utf8);
    }
    start..end
}

/// How well the context `pattern` matches the text read outward from a region (`outward`: the
/// characters before it backwards, or after it forwards), its far end free: 1 − the least edit
/// distance between the pattern and a stretch of text starting at the region, over its length.
fn context_similarity(pattern: &BitPattern, outward: impl Iterator<Item = char>) -> f64 {
    let len = pattern.len();
    // The empty stretch is `len` edits away; a stretch over twice the pattern's length is more.
    let mut least = len;
    pattern.scan(
        outward.take(2 * len).map(|character| ((), character)),
        Start::AtTextStart,
        len,
        |(), distance| least = least.min(distance),
    );
    similarity(least, len)
}

/// Whether `offset` is not inside a word: a letter or digit is not on both sides of it.
fn is_word_edge(text: &str, offset: usize) -> bool {
    let before = text[..offset].chars().next_back();
    let after = text[offset..].chars().next();
    !(before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric))
}

/// Whether two regions are different places rather than two readings of one: their starts or
/// their ends are more than `max_distance` characters apart.
fn is_other_place(text: &str, a: &Range<usize>, b: &Range<usize>, max_distance: usize) -> bool {
    let chars_between = |x: usize, y: usize| text[x.min(y)..x.max(y)].chars().count();
    chars_between(a.start, b.start) > max_distance || chars_between(a.end, b.end) > max_distance
}

/// A word-level inline diff from `old` to `new`, for showing an editor how a quote drifted:
/// words only in `old` as `[-…-]`, words only in `new` as `{+…+}`, white space as single
/// spaces, e.g. `revenue grew by [-12 percent-]{+12%+}`. Words compare after normalisation
/// (curly quotes, dashes, …), and unchanged words are written as in `new`.
pub fn word_diff(old: &str, new: &str) -> String {
    let old_words: Vec<&str> = old.split_whitespace().collect();
    let new_words: Vec<&str> = new.split_whitespace().collect();
    let old_keys: Vec<String> = old_words.iter().map(|word| normalize(word).text).collect();
    let new_keys: Vec<String> = new_words.iter().map(|word| normalize(word).text).collect();
    // Common words at either end need no table.
    let common_start = old_keys
        .iter()
        .zip(&new_keys)
        .take_while(|(old, new)| old == new)
        .count();
    let common_end = old_keys[common_start..]
        .iter()
        .rev()
        .zip(new_keys[common_start..].iter().rev())
        .take_while(|(old, new)| old == new)
        .count();
    let old_middle = &old_keys[common_start..old_keys.len() - common_end];
    let new_middle = &new_keys[common_start..new_keys.len() - common_end];
    // common[i][j]: length of the longest common subsequence of old_middle[i..], new_middle[j..].
    let width = new_middle.len() + 1;
    let mut common = vec![0u32; (old_middle.len() + 1) * width];
    for i in (0..old_middle.len()).rev() {
        for j in (0..new_middle.len()).rev() {
            common[i * width + j] = if old_middle[i] == new_middle[j] {
                common[(i + 1) * width + j + 1] + 1
            } else {
                common[(i + 1) * width + j].max(common[i * width + j + 1])
            };
        }
    }
    let mut pieces: Vec<String> = new_words[..common_start]
        .iter()
        .map(|word| (*word).to_owned())
        .collect();
    let mut deleted: Vec<&str> = Vec::new();
    let mut inserted: Vec<&str> = Vec::new();
    // A change is written as one piece: what went, then what came, with nothing between.
    let flush = |pieces: &mut Vec<String>, deleted: &mut Vec<&str>, inserted: &mut Vec<&str>| {
        let mut change = String::new();
        if !deleted.is_empty() {
            change = format!("[-{}-]", deleted.join(" "));
            deleted.clear();
        }
        if !inserted.is_empty() {
            change.push_str(&format!("{{+{}+}}", inserted.join(" ")));
            inserted.clear();
        }
        if !change.is_empty() {
            pieces.push(change);
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < old_middle.len() || j < new_middle.len() {
        if i < old_middle.len() && j < new_middle.len() && old_middle[i] == new_middle[j] {
            flush(&mut pieces, &mut deleted, &mut inserted);
            pieces.push(new_words[common_start + j].to_owned());
            i += 1;
            j += 1;
        } else if j == new_middle.len()
            || (i < old_middle.len() && common[(i + 1) * width + j] >= common[i * width + j + 1])
        {
            deleted.push(old_words[common_start + i]);
            i += 1;
        } else {
            inserted.push(new_words[common_start + j]);
            j += 1;
        }
    }
    flush(&mut pieces, &mut deleted, &mut inserted);
    pieces.extend(
        new_words[new_words.len() - common_end..]
            .iter()
            .map(|word| (*word).to_owned()),
    );
    pieces.join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::fuzzy::tests::last_row_by_table;
    use super::super::tests::{HOSTILE_ALPHABET, bracketed, describe, quote, with_context};
    use super::super::{AnchorError, Located};
    use super::*;
    use proptest::prelude::*;

    /// Locates `selector` in `reader_text` and checks the outcome: `exact [..]` or
    /// `drifted [..] distance N: <word diff>` (with context similarities when given), or the
    /// error as [`describe`] writes it.
    fn check(reader_text: &str, selector: Selector<'_>, expected: &str) {
        let index = DocIndex::new(reader_text);
        let result = index.locate(&selector);
        assert_eq!(
            describe_located(reader_text, &selector, &result),
            expected,
            "locating {selector:?} in {reader_text:?}"
        );
    }

    fn describe_located(
        text: &str,
        selector: &Selector<'_>,
        result: &Result<Located, AnchorError>,
    ) -> String {
        match result {
            Ok(Located { range, drift: None }) => format!("exact {}", bracketed(text, range)),
            Ok(Located {
                range,
                drift: Some(drift),
            }) => {
                assert_eq!(drift.current, text[range.clone()]);
                let context: String = [
                    ("prefix", drift.prefix_similarity),
                    ("suffix", drift.suffix_similarity),
                ]
                .into_iter()
                .filter_map(|(what, similarity)| {
                    similarity.map(|similarity| format!(" {what} {similarity:.2}"))
                })
                .collect();
                format!(
                    "drifted {} distance {}{context}: {}",
                    bracketed(text, range),
                    drift.distance,
                    word_diff(selector.quote, &drift.current)
                )
            }
            Err(error) => describe(text, &Err(error.clone())),
        }
    }

    #[test]
    fn exact_match_is_not_a_drift() {
        check(
            "Revenue grew by 12 percent in the third quarter.",
            quote("grew by 12 percent"),
            "exact Revenue [grew by 12 percent] in the third quarter.",
        );
    }

    #[test]
    fn changed_word_in_a_long_quote_drifts() {
        check(
            "In the third quarter, revenue grew by 12 percent compared with last year. Costs fell.",
            quote("revenue grew by 11 percent compared with last year"),
            "drifted In the third quarter, [revenue grew by 12 percent compared with last year]. \
             Costs fell. distance 1: revenue grew by [-11-]{+12+} percent compared with last year",
        );
    }

    #[test]
    fn typo_and_punctuation_fixes_drift() {
        check(
            "The committee approved the budget, after a long debate.",
            quote("The comittee approved the budget after a long debate"),
            "drifted [The committee approved the budget, after a long debate]. distance 2: \
             The [-comittee-]{+committee+} approved the [-budget-]{+budget,+} after a long debate",
        );
        check(
            "We will \u{201c}review the policy\u{201d} \u{2014} twice a year, at least.",
            quote("We will \"review the policy\" - twice a year at least."),
            "drifted [We will \u{201c}review the policy\u{201d} \u{2014} twice a year, at least.] \
             distance 1: We will \u{201c}review the policy\u{201d} \u{2014} twice a \
             [-year-]{+year,+} at least.",
        );
    }

    #[test]
    fn changed_last_word_keeps_whole_words() {
        check(
            "They set the budget for the coming fiscal year 2025. Then they left.",
            quote("the budget for the coming fiscal year 2024"),
            "drifted They set [the budget for the coming fiscal year 2025]. Then they left. \
             distance 1: the budget for the coming fiscal year [-2024-]{+2025+}",
        );
    }

    #[test]
    fn heavily_rewritten_sentence_is_not_found() {
        check(
            "Sales rose sharply in the spring as demand recovered.",
            quote("Revenue fell slightly during the autumn because demand weakened"),
            "not found",
        );
        // 6 edits in 40 characters is more than 10%, though it is the closest text.
        check(
            "Revenue grew by 12% over the year.",
            quote("Revenue grew by 12 percent over the year"),
            "not found, closest [Revenue grew by 12% over the year].",
        );
    }

    #[test]
    fn short_quotes_never_drift() {
        // 11 characters with one typo: within 10% of 12 would be one edit, but too short.
        check(
            "The cat sat on the mat.",
            quote("sat on teh."),
            "not found, closest The cat [sat on the] mat.",
        );
        // 12 characters: long enough.
        check(
            "The cat sat on the mat.",
            quote("sat on thw mat"),
            "drifted The cat [sat on the mat]. distance 1: sat on [-thw-]{+the+} mat",
        );
        // A swap of two letters is two edits: too many for 14 characters.
        check(
            "The cat sat on the mat.",
            quote("sat on teh mat"),
            "not found, closest The cat [sat on the mat].",
        );
        check(
            "Bob said hello. Ann said hello.",
            with_context("hello", Some("Eve said"), None),
            "context not found; occurrences: Bob said [hello]. Ann said hello. | Bob said hello. Ann said [hello].",
        );
    }

    const LOOK_ALIKE: &str = "Old memo: revenue grew by 12 percent in the third quarter, they claimed. \
        New report: the CFO said revenue grew by 12 per cent in the third quarter, beating forecasts.";

    #[test]
    fn edited_original_with_its_context_beats_an_exact_copy_elsewhere() {
        let quoted = "revenue grew by 12 percent in the third quarter";
        let index = DocIndex::new(LOOK_ALIKE);
        let selector = with_context(quoted, Some("the CFO said"), Some(", beating forecasts"));
        // `find` stays exact: the copy is there, but not with this context.
        assert!(matches!(
            index.find(&selector),
            Err(AnchorError::ContextNotFound { .. })
        ));
        check(
            LOOK_ALIKE,
            selector,
            "drifted Old memo: revenue grew by 12 percent in the third quarter, they claimed. \
             New report: the CFO said [revenue grew by 12 per cent in the third quarter], beating forecasts. \
             distance 1 prefix 1.00 suffix 1.00: revenue grew by 12 [-percent-]{+per cent+} in the third quarter",
        );
        // One side of context is enough.
        check(
            LOOK_ALIKE,
            with_context(quoted, Some("CFO said"), None),
            "drifted Old memo: revenue grew by 12 percent in the third quarter, they claimed. \
             New report: the CFO said [revenue grew by 12 per cent in the third quarter], beating forecasts. \
             distance 1 prefix 1.00: revenue grew by 12 [-percent-]{+per cent+} in the third quarter",
        );
        // Without context the exact copy is found, as before.
        check(
            LOOK_ALIKE,
            quote(quoted),
            "exact Old memo: [revenue grew by 12 percent in the third quarter], they claimed. \
             New report: the CFO said revenue grew by 12 per cent in the third quarter, beating forecasts.",
        );
    }

    #[test]
    fn context_that_fits_nowhere_keeps_the_error() {
        check(
            LOOK_ALIKE,
            with_context(
                "revenue grew by 12 percent in the third quarter",
                Some("a completely unrelated preamble"),
                None,
            ),
            "context not found; occurrences: Old memo: [revenue grew by 12 percent in the third quarter], \
             they claimed. New report: the CFO said revenue grew by 12 per cent in the third quarter, \
             beating forecasts.",
        );
    }

    #[test]
    fn drifted_context_alone_is_reported() {
        check(
            "Intro. As the chair put it, the budget is final and binding. End.",
            with_context(
                "the budget is final and binding",
                Some("As the chairman put it,"),
                None,
            ),
            "drifted Intro. As the chair put it, [the budget is final and binding]. End. \
             distance 0 prefix 0.87: the budget is final and binding",
        );
    }

    const TWINS: &str = "First: the quarterly results were very strong. \
        Second: the quarterly results were very strong.";

    #[test]
    fn equally_good_places_are_ambiguous() {
        check(
            TWINS,
            quote("the quarterly results were really strong"),
            "ambiguous: \
             First: [the quarterly results were very strong]. Second: the quarterly results were very strong. \
             prefix \"First:\" suffix \". Second:\" | \
             First: the quarterly results were very strong. Second: [the quarterly results were very strong]. \
             prefix \"Second:\" suffix -",
        );
        // A near-tie: 1 and 2 edits in 56 characters.
        check(
            "A: the board reviewed the proposal on Monday and approved it. \
             B: the board reviewed the proposal on Sunday and approved it.",
            quote("the board reviewed the proposal on Snday and approved it"),
            "ambiguous: \
             A: [the board reviewed the proposal on Monday and approved it]. \
             B: the board reviewed the proposal on Sunday and approved it. prefix \"A:\" suffix \". B:\" | \
             A: the board reviewed the proposal on Monday and approved it. \
             B: [the board reviewed the proposal on Sunday and approved it]. prefix \"B:\" suffix -",
        );
    }

    #[test]
    fn context_or_position_settles_a_tie() {
        check(
            TWINS,
            with_context(
                "the quarterly results were really strong",
                Some("Second:"),
                None,
            ),
            "drifted First: the quarterly results were very strong. \
             Second: [the quarterly results were very strong]. distance 4 prefix 1.00: \
             the quarterly results were [-really-]{+very+} strong",
        );
        let filler = " Nothing to see here.".repeat(20);
        let text = format!(
            "One: the quarterly results were very strong.{filler} Two: the quarterly results were very strong."
        );
        let index = DocIndex::new(&text);
        let selector = quote("the quarterly results were really strong");
        assert!(matches!(
            index.locate(&selector),
            Err(AnchorError::Ambiguous { .. })
        ));
        let second = text.rfind("the quarterly").expect("the second place");
        let located = index
            .locate_near(&selector, second)
            .expect("the hint picks the second place");
        assert_eq!(located.range.start, second);
        assert_eq!(
            located.drift.map(|drift| drift.distance),
            Some(4),
            "still reported as drifted"
        );
    }

    #[test]
    fn quote_longer_than_a_machine_word_drifts() {
        let text = "Preamble. The independent review found that the programme had met most of its \
                    targets, although delivery in rural areas lagged behind and several contracts \
                    were awarded without competition. Closing remarks.";
        // A 174-character quote (three blocks of the bit-parallel search) with 7 edits, within
        // the 17 allowed: at the start, on both sides of the first block boundary (characters
        // 61 and 66), in the second and third blocks, and at the end.
        check(
            text,
            quote(
                "tha independent review found that the programme had met most 0f it targets, \
                 although delivery in rural area lagged behind and several contract were \
                 awarded without competiton",
            ),
            "drifted Preamble. [The independent review found that the programme had met most of its \
             targets, although delivery in rural areas lagged behind and several contracts were \
             awarded without competition]. Closing remarks. distance 7: [-tha-]{+The+} independent \
             review found that the programme had met most [-0f it-]{+of its+} targets, although \
             delivery in rural [-area-]{+areas+} lagged behind and several [-contract-]{+contracts+} \
             were awarded without [-competiton-]{+competition+}",
        );
    }

    #[test]
    fn unicode_text_drifts_on_character_boundaries() {
        check(
            "Le comit\u{e9} a approuv\u{e9} le budget pour l\u{2019}ann\u{e9}e prochaine sans d\u{e9}bat.",
            quote("Le comite a approuve le budget pour l'annee prochaine sans debat"),
            "drifted [Le comit\u{e9} a approuv\u{e9} le budget pour l\u{2019}ann\u{e9}e prochaine sans \
             d\u{e9}bat]. distance 4: Le [-comite-]{+comit\u{e9}+} a [-approuve-]{+approuv\u{e9}+} le \
             budget pour [-l'annee-]{+l\u{2019}ann\u{e9}e+} prochaine sans [-debat-]{+d\u{e9}bat+}",
        );
        check(
            "\u{6771}\u{4eac}\u{90fd}\u{306e}\u{4eba}\u{53e3}\u{306f}\u{524d}\u{5e74}\u{3088}\u{308a}\u{5897}\u{52a0}\u{3057}\u{305f}\u{3002}",
            quote(
                "\u{6771}\u{4eac}\u{90fd}\u{306e}\u{4eba}\u{53e3}\u{306f}\u{524d}\u{5e74}\u{3088}\u{308a}\u{5897}\u{5927}\u{3057}\u{305f}",
            ),
            // Without spaces between words, the whole sentence is one word to the diff.
            "drifted [\u{6771}\u{4eac}\u{90fd}\u{306e}\u{4eba}\u{53e3}\u{306f}\u{524d}\u{5e74}\u{3088}\u{308a}\u{5897}\u{52a0}\u{3057}\u{305f}]\u{3002} distance 1: \
             [-\u{6771}\u{4eac}\u{90fd}\u{306e}\u{4eba}\u{53e3}\u{306f}\u{524d}\u{5e74}\u{3088}\u{308a}\u{5897}\u{5927}\u{3057}\u{305f}-]{+\u{6771}\u{4eac}\u{90fd}\u{306e}\u{4eba}\u{53e3}\u{306f}\u{524d}\u{5e74}\u{3088}\u{308a}\u{5897}\u{52a0}\u{3057}\u{305f}+}",
        );
        check(
            "Team \u{1f680} launched v2 of the app \u{1f389} after a long beta.",
            quote("Team \u{1f6f8} launched v2 of the app \u{1f389} after a long beta"),
            "drifted [Team \u{1f680} launched v2 of the app \u{1f389} after a long beta]. distance 1: \
             Team [-\u{1f6f8}-]{+\u{1f680}+} launched v2 of the app \u{1f389} after a long beta",
        );
    }

    #[test]
    fn combining_mark_after_white_space_is_measured_as_shown() {
        // Normalisation joins the space and the mark into one piece, so the matched region
        // starts at the space; the distance is that of the text shown, without it.
        check(
            "Intro: \u{f73}\u{f73} the budget was approved today.",
            quote("\u{f73}\u{f73} the budget was aproved today"),
            "drifted Intro: [\u{f73}\u{f73} the budget was approved today]. distance 1: \
             \u{f73}\u{f73} the budget was [-aproved-]{+approved+} today",
        );
    }

    #[test]
    fn word_diff_shows_changed_words() {
        let cases = [
            (
                "revenue grew by 12 percent",
                "revenue grew by 12%",
                "revenue grew by [-12 percent-]{+12%+}",
            ),
            ("a b c", "a b c", "a b c"),
            ("a  b\nc", "a b c", "a b c"),
            ("the cat sat", "the dog sat", "the [-cat-]{+dog+} sat"),
            ("the cat", "the big cat", "the {+big+} cat"),
            ("the big cat", "the cat", "the [-big-] cat"),
            ("", "new words", "{+new words+}"),
            ("old words", "", "[-old words-]"),
            (
                "it's \"done\"",
                "it\u{2019}s \u{201c}done\u{201d}",
                "it\u{2019}s \u{201c}done\u{201d}",
            ),
            ("a x b y c", "a b c", "a [-x-] b [-y-] c"),
        ];
        for (old, new, expected) in cases {
            assert_eq!(word_diff(old, new), expected, "{old:?} → {new:?}");
        }
    }

    #[test]
    fn unique_context_of_a_drifted_match() {
        let index = DocIndex::new(TWINS);
        let second = TWINS.rfind("the quarterly").expect("the second place");
        let range = second..second + "the quarterly results were very strong".len();
        let candidate = index.unique_context(range.clone());
        assert_eq!(candidate.range, range);
        assert_eq!(candidate.prefix.as_deref(), Some("Second:"));
        assert_eq!(candidate.suffix, None);
        let unique = index.unique_context(0..6);
        assert_eq!((unique.prefix, unique.suffix), (None, None));
    }

    /// Checks what any result of `locate` promises: ranges a caller may use, an exact match
    /// that is exact, and a drift that is long enough, close enough and measured right.
    fn check_invariants(
        text: &str,
        selector: &Selector<'_>,
        result: &Result<Located, AnchorError>,
    ) {
        // Describing checks every range lies on boundaries and is trimmed.
        let description = describe_located(text, selector, result);
        let Ok(located) = result else {
            return;
        };
        let needle = normalize(selector.quote).text;
        let needle = needle.trim_matches(' ');
        let found = normalize(&text[located.range.clone()]).text;
        let found = found.trim_matches(' ');
        let quote_len = needle.chars().count();
        match &located.drift {
            None => assert_eq!(found, needle, "{description}"),
            Some(drift) => {
                assert!(quote_len >= MIN_DRIFT_QUOTE_CHARS, "{description}");
                assert_eq!(
                    drift.distance,
                    strsim::levenshtein(needle, found),
                    "{description}"
                );
                assert!(drift.distance * 10 <= quote_len, "{description}");
                assert!(drift.similarity >= 0.9, "{description}");
            }
        }
    }

    /// Words of random letters, so a passage of a few words occurs once and nothing else is
    /// close to it.
    fn document() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[a-z]{2,8}", 10..200)
    }

    /// Edits as (where, what): 0 inserts, 1 deletes, 2 substitutes a letter.
    fn edits() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, char)>> {
        proptest::collection::vec(
            (
                any::<prop::sample::Index>(),
                0..3u8,
                proptest::char::range('a', 'z'),
            ),
            0..8,
        )
    }

    fn apply(quote: &str, edits: &[(prop::sample::Index, u8, char)]) -> String {
        let mut chars: Vec<char> = quote.chars().collect();
        for (at, kind, letter) in edits {
            let at = at.index(chars.len() + 1);
            match kind {
                0 => chars.insert(at, *letter),
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ if at < chars.len() => chars[at] = *letter,
                _ => {}
            }
        }
        chars.into_iter().collect()
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 150,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
            )),
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn lightly_edited_passage_drifts_to_its_place(
            words in document(),
            first in any::<prop::sample::Index>(),
            n_words in 2..12usize,
            edits in edits(),
        ) {
            let text = words.join(" ");
            let first = first.index(words.len());
            let last = (first + n_words).min(words.len());
            let start: usize = words[..first].iter().map(|word| word.len() + 1).sum();
            let passage_len = words[first..last].join(" ").len();
            let passage = start..start + passage_len;
            let edited = apply(&text[passage.clone()], &edits);
            let selector = quote(&edited);
            let result = DocIndex::new(&text).locate(&selector);
            check_invariants(&text, &selector, &result);
            let needle = normalize(&edited).text.trim_matches(' ').to_owned();
            let quote_len = needle.chars().count();
            let edit_distance = strsim::levenshtein(&needle, &text[passage.clone()]);
            let max_distance = quote_len / 10;
            // Nothing elsewhere may come near the quote (the shrinker likes "aa aa aa").
            let needle_chars: Vec<char> = needle.chars().collect();
            let text_chars: Vec<char> = text.chars().collect();
            let row = last_row_by_table(&needle_chars, &text_chars, Start::Anywhere);
            let has_look_alike = row.iter().enumerate().any(|(end, &distance)| {
                distance <= 2 * max_distance + 2 && end.abs_diff(passage.end) > max_distance
            });
            if (MIN_DRIFT_QUOTE_CHARS..100).contains(&quote_len)
                && edit_distance * 10 <= quote_len
                && !has_look_alike
            {
                let located = result.expect("a lightly edited passage is found");
                prop_assert!(located.range.start.abs_diff(passage.start) <= max_distance);
                prop_assert!(located.range.end.abs_diff(passage.end) <= max_distance);
                let distance = located.drift.map_or(0, |drift| drift.distance);
                prop_assert!(distance <= edit_distance);
            }
        }

        #[test]
        fn hostile_text_keeps_the_promises(
            pieces in proptest::collection::vec(proptest::sample::select(HOSTILE_ALPHABET), 0..60),
            start in any::<prop::sample::Index>(),
            len in 0..40usize,
            edits in edits(),
            context in proptest::option::of(proptest::sample::select(HOSTILE_ALPHABET)),
        ) {
            let text: String = pieces.concat();
            let boundaries: Vec<usize> =
                (0..=text.len()).filter(|&offset| text.is_char_boundary(offset)).collect();
            let from = start.index(boundaries.len());
            let to = (from + len).min(boundaries.len() - 1);
            let edited = apply(&text[boundaries[from]..boundaries[to]], &edits);
            let selector = with_context(&edited, context, context);
            let result = DocIndex::new(&text).locate(&selector);
            check_invariants(&text, &selector, &result);
        }
    }

    #[test]
    fn locate_is_fast_enough_on_a_long_repetitive_document() {
        let text = "ab ".repeat(20_000);
        let index = DocIndex::new(&text);
        for quoted in [
            "ab ab ab ab ax ab ab",
            "ab ab ab ab ab ab ab ab ab ab ab ab x",
        ] {
            let result = index.locate(&quote(quoted));
            assert!(result.is_err(), "{quoted:?}: {result:?}");
        }
    }
}
