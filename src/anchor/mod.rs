//! Anchoring: from a quote (with optional prefix and suffix) to one range of a source's
//! reader text, or a precise reason why not.
//!
//! Owns the reader text ([`text`]), normalisation ([`normalize`](mod@normalize)) and the search
//! ([`DocIndex`]).
//! Pure: no I/O, no tera, no diagnostics; callers turn an [`AnchorError`] into a diagnostic.
//!
//! Matching compares normalised text (white space, quotes, dashes, ellipses, NFC/NFD; see
//! [`normalize`](mod@normalize)) and is case-sensitive. A match never starts or ends inside a
//! character that normalisation rewrote, nor right before a combining mark. Results never guess:
//! a quote that matches nowhere, or in more than one place after prefix and suffix, is an error
//! that says where to look.
//!
//! Two lookups: [`DocIndex::find`] is exact only. [`DocIndex::locate`] also tolerates a source
//! corrected since the quote was taken (module `drift`, with the bit-parallel edit-distance
//! search in module `fuzzy`): it anchors a quote of 12 characters or more at the one place it is
//! at least 90% similar to, judged with prefix, suffix and position, and says so in
//! [`Located::drift`] so the caller can warn; it never re-anchors silently.

mod drift;
mod fuzzy;
pub mod normalize;
pub mod text;

#[cfg(test)]
mod proptests;

use std::ops::Range;

use normalize::{Normalized, normalize};

pub use drift::word_diff;

pub use text::{ReaderText, TextEvent};

/// What an annotation says about where it is: the quote and optional context around it.
#[derive(Clone, Copy, Debug)]
pub struct Selector<'a> {
    pub quote: &'a str,
    pub prefix: Option<&'a str>,
    pub suffix: Option<&'a str>,
}

/// One of several places a quote matches, with context that would single it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Byte range in the reader text.
    pub range: Range<usize>,
    /// The shortest text right before this occurrence that makes it unique (whole words).
    pub prefix: Option<String>,
    /// The shortest text right after this occurrence that makes it unique (whole words).
    pub suffix: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorError {
    /// The quote is empty or only white space.
    EmptyQuote,
    /// No occurrence. `closest` is the reader-text range most like the quote, if any is
    /// reasonably close.
    NotFound { closest: Option<Range<usize>> },
    /// The quote occurs, but prefix/suffix rule out every occurrence. `occurrences` are where
    /// the quote alone matches.
    ContextNotFound { occurrences: Vec<Range<usize>> },
    /// More than one occurrence is left after prefix and suffix. From [`DocIndex::locate`],
    /// also: no occurrence fits, and several places match the quote approximately about equally
    /// well (a drift tie; [`DocIndex::find`] then returns `NotFound` or `ContextNotFound`).
    /// Each candidate's prefix and suffix single it out among these candidates.
    Ambiguous { candidates: Vec<Candidate> },
}

/// Where [`DocIndex::locate`] anchored a quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// Byte range in the reader text: non-empty, trimmed, on character boundaries.
    pub range: Range<usize>,
    /// `Some` when the quote (or its prefix and suffix) no longer match exactly and this place
    /// was chosen as the clear best approximate match; the caller must tell the editor.
    pub drift: Option<Drift>,
}

/// How a drifted anchor differs from what the annotation says.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    /// The text now at the anchored place (reader text, whitespace as in the source).
    pub current: String,
    /// 0.0..=1.0 similarity of the quote to `current` (normalised): 1 − distance / the quote's
    /// length in characters. At least 0.9 for an accepted drift.
    pub similarity: f64,
    /// Edit distance in chars (normalised). 0 when only the prefix or suffix drifted.
    pub distance: usize,
    /// 0.0..=1.0 similarity of the selector's prefix to the text now right before `current`
    /// (1.0 when it still matches exactly); `None` when the selector has no prefix.
    pub prefix_similarity: Option<f64>,
    /// Like `prefix_similarity`, for the suffix and the text right after `current`.
    pub suffix_similarity: Option<f64>,
}

/// At most this many words of context are tried when suggesting a prefix or suffix.
const MAX_SUGGESTED_CONTEXT_WORDS: usize = 12;

/// How many of a quote's first bytes its exact search looks for (see `DocIndex::occurrences`).
const SEARCH_HEAD_BYTES: usize = 16;

/// Closest-text search is skipped for quotes longer than this many characters.
const MAX_FUZZY_QUOTE_CHARS: usize = 2_000;

/// Closest-text search stops after this many edit-distance cells and reports the best so far.
const MAX_FUZZY_CELLS: usize = 20_000_000;

/// At most this many words are dropped from each edge of the closest text.
const MAX_FIT_STEPS: usize = 16;

/// A source's reader text prepared for many quote lookups: normalised once.
#[derive(Clone, Debug)]
pub struct DocIndex {
    /// The reader text, for suggesting context in its own spelling.
    reader_text: String,
    /// The reader text normalised, with the map back to reader offsets.
    normalized: Normalized,
}

/// One place the quote alone matches.
#[derive(Clone, Debug)]
struct Occurrence {
    /// Range in the normalised text.
    normalized: Range<usize>,
    /// Range in the reader text: non-empty, trimmed, on character boundaries.
    reader: Range<usize>,
}

impl DocIndex {
    /// Normalises `reader_text` (see [`ReaderText::text`]) once for every later [`DocIndex::find`].
    pub fn new(reader_text: &str) -> Self {
        DocIndex {
            reader_text: reader_text.to_owned(),
            normalized: normalize(reader_text),
        }
    }

    /// The reader text this index searches.
    pub fn reader_text(&self) -> &str {
        &self.reader_text
    }

    /// The byte range in the reader text that the selector picks out, matching exactly (after
    /// normalisation).
    pub fn find(&self, selector: &Selector<'_>) -> Result<Range<usize>, AnchorError> {
        let quote = normalize(selector.quote);
        let needle = quote.text.trim_matches(' ');
        self.find_exact(needle, selector)
            .map_err(|error| self.with_closest(error, needle))
    }

    /// Exact match first; otherwise a drift-tolerant match: the one place where the quote (12
    /// normalised characters or more) stands with at most 10% of its characters edited, judged
    /// together with how well prefix and suffix fit there, clearly better than any other place.
    ///
    /// An exact occurrence whose prefix or suffix no longer fits competes with approximate
    /// matches whose context does, so a lightly edited original with its context wins over an
    /// exact copy of the words elsewhere. A given prefix or suffix must fit the chosen place at
    /// least half-way. A tie between places is [`AnchorError::Ambiguous`]; otherwise a failure is
    /// the error [`DocIndex::find`] gives.
    pub fn locate(&self, selector: &Selector<'_>) -> Result<Located, AnchorError> {
        self.locate_with_hint(selector, None)
    }

    /// Like [`DocIndex::locate`], with the reader-text offset where the quote was last anchored
    /// (say, from an earlier build): among approximate matches, nearer ones score a little
    /// higher, which can settle a tie between places that are otherwise equal. Exact matches
    /// ignore it.
    pub fn locate_near(
        &self,
        selector: &Selector<'_>,
        position_hint: usize,
    ) -> Result<Located, AnchorError> {
        self.locate_with_hint(selector, Some(position_hint))
    }

    fn locate_with_hint(
        &self,
        selector: &Selector<'_>,
        position_hint: Option<usize>,
    ) -> Result<Located, AnchorError> {
        let quote = normalize(selector.quote);
        let needle = quote.text.trim_matches(' ');
        let exact_error = match self.find_exact(needle, selector) {
            Ok(range) => return Ok(Located { range, drift: None }),
            Err(error @ (AnchorError::NotFound { .. } | AnchorError::ContextNotFound { .. })) => {
                error
            }
            Err(error) => return Err(error),
        };
        match drift::drifted_match(self, needle, selector, position_hint) {
            drift::Outcome::Found(found) => {
                return Ok(Located {
                    range: found.reader.clone(),
                    drift: Some(Drift {
                        current: self.reader_text[found.reader].to_owned(),
                        similarity: drift::similarity(found.distance, needle.chars().count()),
                        distance: found.distance,
                        prefix_similarity: found.prefix_similarity,
                        suffix_similarity: found.suffix_similarity,
                    }),
                });
            }
            drift::Outcome::Tie(places) => {
                if places.len() > 1 {
                    return Err(AnchorError::Ambiguous {
                        candidates: (0..places.len())
                            .map(|index| Candidate {
                                range: places[index].reader.clone(),
                                prefix: self.shortest_unique_prefix(index, &places),
                                suffix: self.shortest_unique_suffix(index, &places),
                            })
                            .collect(),
                    });
                }
            }
            drift::Outcome::Rejected => {}
        }
        Err(self.with_closest(exact_error, needle))
    }

    /// For a range found in this doc: the shortest whole-word prefix and/or suffix that make its
    /// text unique (same as [`Candidate`]'s suggestions), for `gloss new annotation` and `--fix`.
    ///
    /// The range is trimmed of white space. Both are `None` when its text occurs only there, or
    /// when it is not a range a quote could match (it cuts a character that normalisation
    /// rewrote).
    pub fn unique_context(&self, range: Range<usize>) -> Candidate {
        let range = trim_range(&self.reader_text, range);
        let mut candidate = Candidate {
            range: range.clone(),
            prefix: None,
            suffix: None,
        };
        let Some(text) = self.reader_text.get(range.clone()) else {
            return candidate;
        };
        let needle = normalize(text).text;
        let needle = needle.trim_matches(' ');
        if needle.is_empty() {
            return candidate;
        }
        let occurrences = self.occurrences(needle);
        if occurrences.len() < 2 {
            return candidate;
        }
        if let Some(target) = occurrences
            .iter()
            .position(|occurrence| occurrence.reader == range)
        {
            candidate.prefix = self.shortest_unique_prefix(target, &occurrences);
            candidate.suffix = self.shortest_unique_suffix(target, &occurrences);
        }
        candidate
    }

    /// The reader-text range of a normalised range whose ends are boundaries, trimmed, if that
    /// is not empty.
    fn reader_range(&self, normalized: Range<usize>) -> Option<Range<usize>> {
        let original = self.normalized.original_range(normalized)?;
        let reader = trim_range(&self.reader_text, original);
        (!reader.is_empty()).then_some(reader)
    }

    /// Fills in the closest text of a `NotFound` (left out by [`DocIndex::find_exact`], as it
    /// costs more than the search itself).
    fn with_closest(&self, error: AnchorError, needle: &str) -> AnchorError {
        match error {
            AnchorError::NotFound { closest: None } => AnchorError::NotFound {
                closest: self.closest(needle),
            },
            other => other,
        }
    }

    /// [`DocIndex::find`] for the normalised, trimmed quote `needle`, except that a `NotFound`
    /// has no closest text yet.
    fn find_exact(
        &self,
        needle: &str,
        selector: &Selector<'_>,
    ) -> Result<Range<usize>, AnchorError> {
        if needle.is_empty() {
            return Err(AnchorError::EmptyQuote);
        }
        let occurrences = self.occurrences(needle);
        if occurrences.is_empty() {
            return Err(AnchorError::NotFound { closest: None });
        }
        let prefix = selector
            .prefix
            .map(normalize_context)
            .filter(|prefix| !prefix.is_empty());
        let suffix = selector
            .suffix
            .map(normalize_context)
            .filter(|suffix| !suffix.is_empty());
        let matching: Vec<usize> = (0..occurrences.len())
            .filter(|&index| {
                let occurrence = &occurrences[index];
                prefix
                    .as_deref()
                    .is_none_or(|prefix| self.prefix_matches(occurrence, prefix))
                    && suffix
                        .as_deref()
                        .is_none_or(|suffix| self.suffix_matches(occurrence, suffix))
            })
            .collect();
        match matching.as_slice() {
            [] => Err(AnchorError::ContextNotFound {
                occurrences: occurrences
                    .into_iter()
                    .map(|occurrence| occurrence.reader)
                    .collect(),
            }),
            [only] => Ok(occurrences[*only].reader.clone()),
            several => Err(AnchorError::Ambiguous {
                candidates: several
                    .iter()
                    .map(|&index| Candidate {
                        range: occurrences[index].reader.clone(),
                        prefix: self.shortest_unique_prefix(index, &occurrences),
                        suffix: self.shortest_unique_suffix(index, &occurrences),
                    })
                    .collect(),
            }),
        }
    }

    /// Every place the normalised `needle` occurs, overlapping ones included, that starts and
    /// ends on boundaries of the normalised text.
    fn occurrences(&self, needle: &str) -> Vec<Occurrence> {
        let haystack = self.normalized.text.as_str();
        // The search looks for the quote's first bytes and compares the rest where they are
        // found: preparing a search takes time in the length of what it looks for, and a quote
        // is searched for in one source only, whose text is not much longer than the quote.
        let head = &needle.as_bytes()[..needle.len().min(SEARCH_HEAD_BYTES)];
        let finder = memchr::memmem::Finder::new(head);
        let mut occurrences = Vec::new();
        let mut search_from = 0;
        while let Some(found) = haystack
            .get(search_from..)
            .and_then(|rest| finder.find(rest.as_bytes()))
        {
            let start = search_from + found;
            if !haystack.as_bytes()[start..].starts_with(needle.as_bytes()) {
                let first_char_len = haystack[start..].chars().next().map_or(1, char::len_utf8);
                search_from = start + first_char_len;
                continue;
            }
            let normalized = start..start + needle.len();
            if let Some(original) = self.normalized.original_range(normalized.clone()) {
                let reader = trim_range(&self.reader_text, original);
                if !reader.is_empty() {
                    occurrences.push(Occurrence { normalized, reader });
                }
            }
            let first_char_len = haystack[start..].chars().next().map_or(1, char::len_utf8);
            search_from = start + first_char_len;
        }
        occurrences
    }

    /// Whether the normalised text before `occurrence`, ignoring white space at the join, ends
    /// with the normalised `prefix` (which must not start inside a piece).
    fn prefix_matches(&self, occurrence: &Occurrence, prefix: &str) -> bool {
        let before = self.normalized.text[..occurrence.normalized.start].trim_end_matches(' ');
        before.ends_with(prefix) && self.normalized.is_boundary(before.len() - prefix.len())
    }

    /// Whether the normalised text after `occurrence`, ignoring white space at the join, starts
    /// with the normalised `suffix` (which must not end inside a piece).
    fn suffix_matches(&self, occurrence: &Occurrence, suffix: &str) -> bool {
        let after = &self.normalized.text[occurrence.normalized.end..];
        let trimmed = after.trim_start_matches(' ');
        let suffix_start = occurrence.normalized.end + (after.len() - trimmed.len());
        trimmed.starts_with(suffix) && self.normalized.is_boundary(suffix_start + suffix.len())
    }

    /// The fewest whole words right before `occurrences[target]` that, as a prefix, match it
    /// and no other occurrence.
    fn shortest_unique_prefix(&self, target: usize, occurrences: &[Occurrence]) -> Option<String> {
        let occurrence = &occurrences[target];
        let starts = words_before(&self.reader_text, occurrence.reader.start);
        let contexts =
            starts.map(|word_start| &self.reader_text[word_start..occurrence.reader.start]);
        self.shortest_unique_context(target, occurrences, contexts, Self::prefix_matches)
    }

    /// The fewest whole words right after `occurrences[target]` that, as a suffix, match it
    /// and no other occurrence.
    fn shortest_unique_suffix(&self, target: usize, occurrences: &[Occurrence]) -> Option<String> {
        let occurrence = &occurrences[target];
        let ends = words_after(&self.reader_text, occurrence.reader.end);
        let contexts = ends.map(|word_end| &self.reader_text[occurrence.reader.end..word_end]);
        self.shortest_unique_context(target, occurrences, contexts, Self::suffix_matches)
    }

    /// The first of `contexts` (growing a word at a time) that `matches` the target occurrence
    /// and no other, spelled as in the reader text with white-space runs as one space.
    fn shortest_unique_context<'t>(
        &self,
        target: usize,
        occurrences: &[Occurrence],
        contexts: impl Iterator<Item = &'t str>,
        matches: fn(&Self, &Occurrence, &str) -> bool,
    ) -> Option<String> {
        // A longer context only matches where a shorter one did, so rivals only ever shrink.
        let mut rivals: Vec<usize> = (0..occurrences.len())
            .filter(|&index| index != target)
            .collect();
        for context in contexts.take(MAX_SUGGESTED_CONTEXT_WORDS) {
            let normalized = normalize_context(context);
            if normalized.is_empty() || !matches(self, &occurrences[target], &normalized) {
                continue;
            }
            rivals.retain(|&rival| matches(self, &occurrences[rival], &normalized));
            if rivals.is_empty() {
                return Some(context.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        None
    }

    /// The reader-text range most like `needle` (already normalised and trimmed), if its edit
    /// distance is within a third of the quote's length; see [`best_fuzzy_match`] and
    /// [`fit_to_words`].
    fn closest(&self, needle: &str) -> Option<Range<usize>> {
        let text = self.normalized.text.as_str();
        let fuzzy = best_fuzzy_match(text, needle)?;
        let fitted = fit_to_words(text, needle, fuzzy);
        let matched = &text[fitted.clone()];
        let trimmed_start = fitted.start + (matched.len() - matched.trim_start_matches(' ').len());
        let trimmed_end = fitted.start + matched.trim_end_matches(' ').len();
        if trimmed_start >= trimmed_end {
            return None;
        }
        let original = self
            .normalized
            .covering_original_range(trimmed_start..trimmed_end);
        let reader = trim_range(&self.reader_text, original);
        (!reader.is_empty()).then_some(reader)
    }
}

/// A stretch of normalised text that matches the needle approximately.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FuzzyMatch {
    /// Edit distance (in characters) between the needle and `text[range]`.
    distance: usize,
    /// Byte range in the normalised text.
    range: Range<usize>,
}

/// The stretch of `text` with the least edit distance to `needle`, if that distance is at most
/// a third of the needle's length (the first such stretch to end, on ties).
///
/// Sellers' semi-global edit distance over characters, with Ukkonen's cut-off so only rows that
/// can still end within the bound are computed; the work is capped by [`MAX_FUZZY_CELLS`],
/// after which the best match so far is returned.
fn best_fuzzy_match(text: &str, needle: &str) -> Option<FuzzyMatch> {
    let pattern: Vec<char> = needle.chars().collect();
    let pattern_len = pattern.len();
    let max_distance = pattern_len / 3;
    if max_distance == 0 || pattern_len > MAX_FUZZY_QUOTE_CHARS {
        return None;
    }
    let too_far = max_distance + 1;
    // Column j of the table: cost[i] is the least edit distance between pattern[..i] and a
    // stretch of text ending after the j-th character; start[i] is where that stretch starts.
    // Rows past `previous_rows` of the previous column were not computed and count as too far.
    let mut previous_cost: Vec<usize> = (0..=pattern_len).collect();
    let mut previous_start = vec![0usize; pattern_len + 1];
    let mut current_cost = vec![too_far; pattern_len + 1];
    let mut current_start = vec![0usize; pattern_len + 1];
    let mut previous_rows = pattern_len;
    let mut last_active_row = max_distance;
    let mut cells = 0usize;
    let mut best: Option<FuzzyMatch> = None;
    for (text_start, text_char) in text.char_indices() {
        let text_end = text_start + text_char.len_utf8();
        let rows = (last_active_row + 1).min(pattern_len);
        current_cost[0] = 0;
        current_start[0] = text_end;
        for row in 1..=rows {
            let substitution = previous_cost[row - 1] + usize::from(pattern[row - 1] != text_char);
            let deletion = current_cost[row - 1] + 1;
            let insertion = if row <= previous_rows {
                previous_cost[row] + 1
            } else {
                too_far
            };
            let (cost, start) = if substitution <= deletion && substitution <= insertion {
                (substitution, previous_start[row - 1])
            } else if deletion <= insertion {
                (deletion, current_start[row - 1])
            } else {
                (insertion, previous_start[row])
            };
            current_cost[row] = cost.min(too_far);
            current_start[row] = start;
        }
        cells += rows;
        last_active_row = rows;
        while last_active_row > 0 && current_cost[last_active_row] > max_distance {
            last_active_row -= 1;
        }
        let distance = current_cost[pattern_len];
        if rows == pattern_len
            && distance <= max_distance
            && best.as_ref().is_none_or(|best| distance < best.distance)
        {
            best = Some(FuzzyMatch {
                distance,
                range: current_start[pattern_len]..text_end,
            });
        }
        std::mem::swap(&mut previous_cost, &mut current_cost);
        std::mem::swap(&mut previous_start, &mut current_start);
        previous_rows = rows;
        if cells > MAX_FUZZY_CELLS || best.as_ref().is_some_and(|best| best.distance == 0) {
            break;
        }
    }
    best
}

/// Adjusts a fuzzy match of `needle` in `text` (normalised; words are separated by `' '`) to
/// what an editor would call the closest text: each edge is widened to a whole word if that
/// adds at most half as many edits as characters, then whole words are dropped from either
/// edge while that adds fewer than half as many edits as characters dropped. Minimal edit
/// distance alone likes ragged edges ("12% over t" for "12 percent"); this prefers "12%".
fn fit_to_words(text: &str, needle: &str, fuzzy: FuzzyMatch) -> Range<usize> {
    let FuzzyMatch {
        mut distance,
        range: Range { mut start, mut end },
    } = fuzzy;
    let word_start = text[..start].rfind(' ').map_or(0, |space| space + 1);
    if word_start < start {
        let new_distance = strsim::levenshtein(needle, &text[word_start..end]);
        if is_worth_widening(
            distance,
            new_distance,
            text[word_start..start].chars().count(),
        ) {
            (start, distance) = (word_start, new_distance);
        }
    }
    let word_end = text[end..]
        .find(' ')
        .map_or(text.len(), |space| end + space);
    if word_end > end {
        let new_distance = strsim::levenshtein(needle, &text[start..word_end]);
        if is_worth_widening(distance, new_distance, text[end..word_end].chars().count()) {
            (end, distance) = (word_end, new_distance);
        }
    }
    for _ in 0..MAX_FIT_STEPS {
        let Some(last_space) = text[start..end].trim_end_matches(' ').rfind(' ') else {
            break;
        };
        let new_end = start + text[start..start + last_space].trim_end_matches(' ').len();
        let new_distance = strsim::levenshtein(needle, &text[start..new_end]);
        if new_end <= start
            || !is_worth_dropping(distance, new_distance, text[new_end..end].chars().count())
        {
            break;
        }
        (end, distance) = (new_end, new_distance);
    }
    for _ in 0..MAX_FIT_STEPS {
        let Some(first_space) = text[start..end].trim_start_matches(' ').find(' ') else {
            break;
        };
        let leading_spaces =
            text[start..end].len() - text[start..end].trim_start_matches(' ').len();
        let after_space = start + leading_spaces + first_space;
        let new_start = after_space
            + (text[after_space..end].len() - text[after_space..end].trim_start_matches(' ').len());
        let new_distance = strsim::levenshtein(needle, &text[new_start..end]);
        if new_start >= end
            || !is_worth_dropping(
                distance,
                new_distance,
                text[start..new_start].chars().count(),
            )
        {
            break;
        }
        (start, distance) = (new_start, new_distance);
    }
    start..end
}

/// Whether widening a closest-text edge by `added_chars` characters to a whole word is worth
/// moving the edit distance from `distance` to `new_distance`.
fn is_worth_widening(distance: usize, new_distance: usize, added_chars: usize) -> bool {
    2 * new_distance <= 2 * distance + added_chars
}

/// Whether dropping `dropped_chars` characters (a word) from a closest-text edge is worth
/// moving the edit distance from `distance` to `new_distance`.
fn is_worth_dropping(distance: usize, new_distance: usize, dropped_chars: usize) -> bool {
    2 * new_distance < 2 * distance + dropped_chars
}

/// A prefix or suffix normalised like the quote, without white space at either end (white
/// space at the join is optional, and at the far end it is irrelevant).
fn normalize_context(context: &str) -> String {
    normalize(context).text.trim_matches(' ').to_owned()
}

/// `range` of `text` without leading or trailing white space.
fn trim_range(text: &str, range: Range<usize>) -> Range<usize> {
    let Some(slice) = text.get(range.clone()) else {
        return range.start..range.start;
    };
    let start = range.start + (slice.len() - slice.trim_start().len());
    let end = range.start + slice.trim_end().len();
    start..end.max(start)
}

/// Starts of the first, second, … whole word before `offset` (a word being a run of non-white
/// space, the one touching `offset` included), nearest first.
fn words_before(text: &str, offset: usize) -> impl Iterator<Item = usize> + '_ {
    let mut cut = text
        .get(..offset)
        .map_or(0, |before| before.trim_end().len());
    std::iter::from_fn(move || {
        if cut == 0 {
            return None;
        }
        let before = &text[..cut];
        let word_start = before
            .char_indices()
            .rev()
            .find(|(_, character)| character.is_whitespace())
            .map_or(0, |(index, character)| index + character.len_utf8());
        cut = text[..word_start].trim_end().len();
        Some(word_start)
    })
}

/// Ends of the first, second, … whole word after `offset`, nearest first.
fn words_after(text: &str, offset: usize) -> impl Iterator<Item = usize> + '_ {
    let mut cut = text
        .get(offset..)
        .map_or(text.len(), |after| text.len() - after.trim_start().len());
    std::iter::from_fn(move || {
        if cut >= text.len() {
            return None;
        }
        let after = &text[cut..];
        let word_end = cut + after.find(char::is_whitespace).unwrap_or(after.len());
        cut = text.len() - text[word_end..].trim_start().len();
        Some(word_end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn quote(quote: &str) -> Selector<'_> {
        Selector {
            quote,
            prefix: None,
            suffix: None,
        }
    }

    pub(super) fn with_context<'a>(
        quote: &'a str,
        prefix: Option<&'a str>,
        suffix: Option<&'a str>,
    ) -> Selector<'a> {
        Selector {
            quote,
            prefix,
            suffix,
        }
    }

    /// Looks `selector` up in `reader_text` and checks the outcome, written with the matched
    /// text in brackets inside the whole reader text, e.g. `found He said [hello].`
    fn check(reader_text: &str, selector: Selector<'_>, expected: &str) {
        let result = DocIndex::new(reader_text).find(&selector);
        assert_eq!(
            describe(reader_text, &result),
            expected,
            "looking up {selector:?} in {reader_text:?}"
        );
    }

    /// Like [`check`], but on the reader text of a Markdown source.
    fn check_markdown(markdown: &str, selector: Selector<'_>, expected: &str) {
        let reader = ReaderText::extract(markdown);
        check(&reader.text, selector, expected);
    }

    pub(super) fn describe(text: &str, result: &Result<Range<usize>, AnchorError>) -> String {
        match result {
            Ok(range) => format!("found {}", bracketed(text, range)),
            Err(AnchorError::EmptyQuote) => "empty quote".to_owned(),
            Err(AnchorError::NotFound { closest: None }) => "not found".to_owned(),
            Err(AnchorError::NotFound {
                closest: Some(closest),
            }) => {
                format!("not found, closest {}", bracketed(text, closest))
            }
            Err(AnchorError::ContextNotFound { occurrences }) => {
                let occurrences: Vec<String> = occurrences
                    .iter()
                    .map(|range| bracketed(text, range))
                    .collect();
                format!(
                    "context not found; occurrences: {}",
                    occurrences.join(" | ")
                )
            }
            Err(AnchorError::Ambiguous { candidates }) => {
                let candidates: Vec<String> = candidates
                    .iter()
                    .map(|candidate| {
                        format!(
                            "{} prefix {} suffix {}",
                            bracketed(text, &candidate.range),
                            candidate
                                .prefix
                                .as_deref()
                                .map_or("-".to_owned(), |prefix| format!("{prefix:?}")),
                            candidate
                                .suffix
                                .as_deref()
                                .map_or("-".to_owned(), |suffix| format!("{suffix:?}")),
                        )
                    })
                    .collect();
                format!("ambiguous: {}", candidates.join(" | "))
            }
        }
    }

    /// `text` with `range` in brackets, after checking the range is one a caller may use.
    pub(super) fn bracketed(text: &str, range: &Range<usize>) -> String {
        let matched = text
            .get(range.clone())
            .expect("range lies on character boundaries of the text");
        assert!(!matched.is_empty(), "empty range {range:?}");
        assert_eq!(
            matched.trim(),
            matched,
            "range {range:?} starts or ends with white space"
        );
        format!(
            "{}[{}]{}",
            &text[..range.start],
            matched,
            &text[range.end..]
        )
    }

    #[test]
    fn exact_quote_is_found() {
        check("He said hello.", quote("hello"), "found He said [hello].");
        check(
            "He said hello.",
            quote("He said hello."),
            "found [He said hello.]",
        );
    }

    #[test]
    fn quote_at_start_and_end_of_document() {
        check(
            "alpha beta gamma",
            quote("alpha"),
            "found [alpha] beta gamma",
        );
        check(
            "alpha beta gamma",
            quote("gamma"),
            "found alpha beta [gamma]",
        );
        check(
            "\n alpha beta gamma \n",
            quote("gamma"),
            "found \n alpha beta [gamma] \n",
        );
        check(
            "\n alpha beta gamma \n",
            quote("alpha"),
            "found \n [alpha] beta gamma \n",
        );
    }

    #[test]
    fn white_space_at_ends_of_quote_is_ignored() {
        check(
            "He said hello.",
            quote("  hello \n"),
            "found He said [hello].",
        );
        check(
            "He said hello.",
            quote("\u{a0}said hello\t"),
            "found He [said hello].",
        );
    }

    #[test]
    fn empty_quote_is_an_error() {
        check("text", quote(""), "empty quote");
        check("text", quote(" \n\t\u{a0}"), "empty quote");
    }

    #[test]
    fn white_space_runs_match_one_space() {
        check(
            "revenue\ngrew  by\u{a0}12%",
            quote("revenue grew by 12%"),
            "found [revenue\ngrew  by\u{a0}12%]",
        );
        check(
            "revenue grew by 12%",
            quote("revenue\r\n grew\tby\u{2009}12%"),
            "found [revenue grew by 12%]",
        );
    }

    #[test]
    fn curly_and_straight_quotes_match_both_ways() {
        check(
            "He said \u{201c}go now\u{201d} and left.",
            quote("\"go now\""),
            "found He said [\u{201c}go now\u{201d}] and left.",
        );
        check(
            "He said \"go now\" and left.",
            quote("\u{201c}go now\u{201d}"),
            "found He said [\"go now\"] and left.",
        );
        check(
            "It\u{2019}s late",
            quote("It's late"),
            "found [It\u{2019}s late]",
        );
        check("It's late", quote("It\u{2019}s late"), "found [It's late]");
        check(
            "\u{201e}Guten Tag\u{201c}",
            quote("\"Guten Tag\""),
            "found [\u{201e}Guten Tag\u{201c}]",
        );
    }

    #[test]
    fn dashes_match_a_hyphen() {
        check(
            "in 2019\u{2013}2020",
            quote("2019-2020"),
            "found in [2019\u{2013}2020]",
        );
        check(
            "yes \u{2014} no",
            quote("yes - no"),
            "found [yes \u{2014} no]",
        );
        check("yes - no", quote("yes \u{2014} no"), "found [yes - no]");
        check(
            "minus \u{2212}3",
            quote("minus -3"),
            "found [minus \u{2212}3]",
        );
    }

    #[test]
    fn ellipsis_matches_three_dots() {
        check(
            "wait\u{2026} what",
            quote("wait... what"),
            "found [wait\u{2026} what]",
        );
        check(
            "wait... what",
            quote("wait\u{2026} what"),
            "found [wait... what]",
        );
    }

    #[test]
    fn composed_and_decomposed_forms_match() {
        check(
            "un caf\u{e9} noir",
            quote("cafe\u{301}"),
            "found un [caf\u{e9}] noir",
        );
        check(
            "un cafe\u{301} noir",
            quote("caf\u{e9}"),
            "found un [cafe\u{301}] noir",
        );
    }

    #[test]
    fn match_never_splits_a_character() {
        // "cafe" is not "café", whichever form the text uses; the closest text shows why.
        check(
            "un caf\u{e9} noir",
            quote("cafe"),
            "not found, closest un [caf\u{e9}] noir",
        );
        check(
            "un cafe\u{301} noir",
            quote("cafe"),
            "not found, closest un [cafe\u{301}] noir",
        );
        check(
            "so\u{2026}",
            quote("so."),
            "not found, closest [so\u{2026}]",
        );
    }

    #[test]
    fn matching_is_case_sensitive() {
        check(
            "the Board met",
            quote("the board met"),
            "not found, closest [the Board met]",
        );
        check("abc", quote("ABC"), "not found");
    }

    #[test]
    fn quote_crosses_inline_markup() {
        check_markdown(
            "He *really* said [it](http://x) `now`.",
            quote("really said it now."),
            "found He [really said it now.]",
        );
        check_markdown(
            "a **bold *and* em** b",
            quote("bold and em"),
            "found a [bold and em] b",
        );
        check_markdown("a `x` b", quote("a x b"), "found [a x b]");
    }

    #[test]
    fn quote_crosses_block_boundaries() {
        check_markdown(
            "end of one.\n\nStart of two.",
            quote("one. Start"),
            "found end of [one.\nStart] of two.",
        );
        check_markdown(
            "# Heading\nBody text",
            quote("Heading Body"),
            "found [Heading\nBody] text",
        );
        check_markdown(
            "| a | b |\n|---|---|\n| c | d |",
            quote("b c"),
            "found a\n[b\nc]\nd",
        );
        check_markdown("- one\n- two", quote("one two"), "found [one\ntwo]");
        check_markdown(
            "line one\nline two",
            quote("one line"),
            "found line [one line] two",
        );
    }

    #[test]
    fn markup_is_not_matchable() {
        check_markdown(
            "He *really* said",
            quote("*really*"),
            "not found, closest He [really] said",
        );
        check_markdown(
            "see [docs](http://example.com/page)",
            quote("example.com"),
            "not found",
        );
    }

    #[test]
    fn image_alt_text_is_not_matchable() {
        check_markdown(
            "A chart ![revenue by quarter](c.png) here.",
            quote("revenue by quarter"),
            "not found",
        );
    }

    #[test]
    fn crlf_sources_match() {
        check_markdown(
            "first line\r\nsecond line\r\n\r\nnext para",
            quote("line second"),
            "found first [line second] line\nnext para",
        );
        check_markdown(
            "first line\r\nsecond line\r\n\r\nnext para",
            quote("line\nnext"),
            "found first line second [line\nnext] para",
        );
    }

    #[test]
    fn prefix_picks_one_occurrence() {
        let text = "Bob said hello. Ann said hello.";
        check(
            text,
            with_context("hello", Some("Ann said"), None),
            "found Bob said hello. Ann said [hello].",
        );
        check(
            text,
            with_context("hello", Some("Bob said "), None),
            "found Bob said [hello]. Ann said hello.",
        );
        check(
            text,
            with_context("hello", Some("  Ann\nsaid\u{a0}"), None),
            "found Bob said hello. Ann said [hello].",
        );
        // The prefix may stop mid-word.
        check(
            text,
            with_context("hello", Some("nn said"), None),
            "found Bob said hello. Ann said [hello].",
        );
    }

    #[test]
    fn white_space_at_the_join_is_optional() {
        check(
            "Xsaid hello. said hello",
            with_context("hello", Some("Xsaid"), None),
            "found Xsaid [hello]. said hello",
        );
        check(
            "saidhello. said hello.",
            with_context("hello", Some("said"), None),
            "ambiguous: said[hello]. said hello. prefix - suffix \". said\" | saidhello. said [hello]. prefix \"saidhello. said\" suffix -",
        );
        check(
            "a saidhello b. said hello c",
            with_context("hello", Some("said "), Some("b")),
            "found a said[hello] b. said hello c",
        );
        check(
            "a said hello b. hello c",
            with_context("hello", None, Some(" b.")),
            "found a said [hello] b. hello c",
        );
        check(
            "a said helloc. hello c",
            with_context("hello", None, Some("c")),
            "ambiguous: a said [hello]c. hello c prefix \"said\" suffix \"c.\" | a said helloc. [hello] c prefix \"helloc.\" suffix -",
        );
    }

    #[test]
    fn suffix_picks_one_occurrence() {
        let text = "hello Bob, hello Ann";
        check(
            text,
            with_context("hello", None, Some("Ann")),
            "found hello Bob, [hello] Ann",
        );
        check(
            text,
            with_context("hello", None, Some("Bob,")),
            "found [hello] Bob, hello Ann",
        );
        check(
            text,
            with_context("hello", Some(""), Some(" \n")),
            "ambiguous: [hello] Bob, hello Ann prefix - suffix \"Bob,\" | hello Bob, [hello] Ann prefix \"Bob,\" suffix \"Ann\"",
        );
    }

    #[test]
    fn context_follows_the_same_equivalences() {
        let text = "She said \u{201c}no\u{201d} \u{2014} twice. She said no \u{2014} once.";
        check(
            text,
            with_context("no", Some("said \""), Some("\" - twice")),
            "found She said \u{201c}[no]\u{201d} \u{2014} twice. She said no \u{2014} once.",
        );
    }

    #[test]
    fn prefix_and_suffix_together() {
        let text = "x a y. x a z. w a y.";
        check(
            text,
            with_context("a", Some("x"), Some("y")),
            "found x [a] y. x a z. w a y.",
        );
    }

    #[test]
    fn context_that_matches_no_occurrence_lists_occurrences() {
        check(
            "Bob said hello. Ann said hello.",
            with_context("hello", Some("Eve said"), None),
            "context not found; occurrences: Bob said [hello]. Ann said hello. | Bob said hello. Ann said [hello].",
        );
        check(
            "only one hello here",
            with_context("hello", None, Some("there")),
            "context not found; occurrences: only one [hello] here",
        );
    }

    #[test]
    fn ambiguous_quote_lists_every_candidate_with_context() {
        // A capitalised "The rate" is not an occurrence: matching is case-sensitive. The last
        // candidate needs two words of suffix, as "rose" also follows the first.
        let text = "the rate rose. Then the rate fell. Later The rate rose again.";
        check(
            text,
            quote("the rate"),
            "ambiguous: \
             [the rate] rose. Then the rate fell. Later The rate rose again. prefix - suffix \"rose.\" | \
             the rate rose. Then [the rate] fell. Later The rate rose again. prefix \"Then\" suffix \"fell.\"",
        );
        let text = "the rate rose. Then the rate fell. Later the rate rose again.";
        check(
            text,
            quote("the rate"),
            "ambiguous: \
             [the rate] rose. Then the rate fell. Later the rate rose again. prefix - suffix \"rose.\" | \
             the rate rose. Then [the rate] fell. Later the rate rose again. prefix \"Then\" suffix \"fell.\" | \
             the rate rose. Then the rate fell. Later [the rate] rose again. prefix \"Later\" suffix \"rose again.\"",
        );
    }

    #[test]
    fn candidates_left_by_a_prefix_get_context_unique_among_all_occurrences() {
        check(
            "x a y. x a y. w a z.",
            with_context("a", Some("x"), None),
            "ambiguous: \
             x [a] y. x a y. w a z. prefix - suffix \"y. x\" | \
             x a y. x [a] y. w a z. prefix \"y. x\" suffix \"y. w\"",
        );
    }

    #[test]
    fn overlapping_occurrences_are_ambiguous() {
        check(
            "aaa",
            quote("aa"),
            "ambiguous: [aa]a prefix - suffix \"a\" | a[aa] prefix \"a\" suffix -",
        );
    }

    #[test]
    fn candidates_without_unique_context_have_none() {
        check(
            "x y x y",
            quote("y"),
            "ambiguous: x [y] x y prefix - suffix \"x\" | x y x [y] prefix \"y x\" suffix -",
        );
        check(
            "same same",
            quote("same"),
            "ambiguous: [same] same prefix - suffix \"same\" | same [same] prefix \"same\" suffix -",
        );
    }

    #[test]
    fn missing_quote_reports_closest_text() {
        check(
            "In Q3 revenue grew by 12% over the year.",
            quote("revenue grew by 12 percent"),
            "not found, closest In Q3 [revenue grew by 12%] over the year.",
        );
        check(
            "The committee approved the budget.",
            quote("the comittee aproved"),
            "not found, closest [The committee approved] the budget.",
        );
        check(
            "We met on Tuesday to discuss it.",
            quote("met on Thursday"),
            "not found, closest We [met on Tuesday] to discuss it.",
        );
        check(
            "The committee approved the budget.",
            quote("a completely different sentence"),
            "not found",
        );
    }

    #[test]
    fn hostile_unicode_never_panics() {
        let texts = [
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{645}\u{631}\u{62d}\u{628}\u{627} \u{5e9}\u{5dc}\u{5d5}\u{5dd}",
            "e\u{301}\u{323}\u{301} \u{301}\u{301} a\u{a0}\u{301}",
            "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467} \u{1f44d}\u{1f3fd} \u{1f468}",
            "\u{ac01}\u{ac00} \u{1100}\u{1161}",
            "\u{2026}\u{2026}\u{2019}\u{301}\u{2014}",
            "\u{202e}reversed\u{202c} \u{feff}\u{200b}",
            "",
            " ",
        ];
        let quotes = [
            "\u{5dc}\u{5d5}",
            "\u{645}",
            "\u{301}",
            "e",
            "\u{1f468}",
            "\u{1f469}",
            "\u{200d}",
            "\u{1100}\u{1161}",
            "\u{ac00}",
            ".",
            "...",
            "'",
            "-",
            "reversed",
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd} x",
            "a\u{301}",
            "\u{fffd}",
            "\u{10ffff}",
        ];
        for text in texts {
            let index = DocIndex::new(text);
            for quote_text in quotes {
                for context in [None, Some("\u{301}"), Some("\u{1f468}"), Some(".")] {
                    let result = index.find(&with_context(quote_text, context, context));
                    // Describing checks every returned range lies on boundaries and is trimmed.
                    describe(text, &result);
                }
            }
        }
    }

    /// A small deterministic generator (xorshift), so random tests need no dependency.
    struct Random(u64);

    impl Random {
        fn below(&mut self, bound: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % bound as u64) as usize
        }

        fn text(&mut self, alphabet: &[&str], max_pieces: usize) -> String {
            (0..self.below(max_pieces))
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    pub(super) const HOSTILE_ALPHABET: &[&str] = &[
        "a",
        "b",
        " ",
        "  ",
        "\n",
        "\r\n",
        "\t",
        "\u{a0}",
        "e\u{301}",
        "\u{e9}",
        "\u{301}",
        "\u{323}",
        "\u{2019}",
        "'",
        "\u{201c}",
        "\"",
        "\u{2014}",
        "-",
        "\u{2026}",
        "...",
        ".",
        "\u{5e9}",
        "\u{645}",
        "\u{1f468}\u{200d}\u{1f469}",
        "\u{ac01}",
        "\u{f73}",
        "*",
        "_",
        "`",
        "[",
        "](u)",
        "![",
        "#",
        "|",
        "\\",
        "&amp;",
        "<b>",
        "- ",
        "> ",
    ];

    #[test]
    fn random_text_round_trips_through_find() {
        let mut random = Random(0x5eed_1234_abcd_ef01);
        for _ in 0..3_000 {
            let markdown = random.text(HOSTILE_ALPHABET, 30);
            let reader = ReaderText::extract(&markdown);
            let index = DocIndex::new(&reader.text);
            let range = reader.source_range(0..reader.text.len());
            assert!(
                markdown.get(range).is_some(),
                "source range of {markdown:?}"
            );
            // Quote a random stretch of the reader text (on character boundaries).
            let boundaries: Vec<usize> = (0..=reader.text.len())
                .filter(|&offset| reader.text.is_char_boundary(offset))
                .collect();
            let start = boundaries[random.below(boundaries.len())];
            let end = boundaries[random.below(boundaries.len())].max(start);
            let quoted = &reader.text[start..end];
            let result = index.find(&quote(quoted));
            let description = describe(&reader.text, &result);
            if let Ok(found) = &result {
                let needle = normalize(quoted).text.trim_matches(' ').to_owned();
                let found_text = normalize(&reader.text[found.clone()]).text;
                assert_eq!(found_text, needle, "{description} for {quoted:?}");
                assert!(markdown.get(reader.source_range(found.clone())).is_some());
            }
            if quoted.trim().is_empty() {
                assert_eq!(result, Err(AnchorError::EmptyQuote));
            }
        }
    }

    #[test]
    fn found_range_maps_to_source() {
        let markdown = "# Results\r\n\r\nRevenue *grew* by `12%` in\r\nQ3 &amp; Q4.";
        let reader = ReaderText::extract(markdown);
        let index = DocIndex::new(&reader.text);
        let found = index
            .find(&quote("grew by 12% in Q3"))
            .expect("the quote occurs once");
        assert_eq!(
            &reader.text[found.clone()],
            "grew by 12% in\nQ3".replace('\n', " ")
        );
        assert_eq!(
            &markdown[reader.source_range(found.clone())],
            "grew* by `12%` in\r\nQ3"
        );
        assert_eq!(&markdown[reader.source_offset(found.start)..][..4], "grew");
        let entity = index
            .find(&quote("Q3 & Q4"))
            .expect("the quote occurs once");
        assert_eq!(&markdown[reader.source_range(entity)], "Q3 &amp; Q4");
    }

    #[test]
    fn closest_search_stays_cheap_on_huge_documents() {
        let paragraph =
            "The quick brown fox jumps over the lazy dog while the committee deliberates. ";
        let text = paragraph.repeat(20_000);
        let index = DocIndex::new(&text);
        let long_quote =
            "the committee deliberated at length about nothing in particular ".repeat(20);
        let started = std::time::Instant::now();
        let result = index.find(&quote(&long_quote));
        assert!(matches!(result, Err(AnchorError::NotFound { .. })));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
    }

    /// `DocIndex::occurrences` as it was defined: a search for the whole quote.
    fn occurrences_by_whole_search(
        index: &DocIndex,
        needle: &str,
    ) -> Vec<(Range<usize>, Range<usize>)> {
        let haystack = index.normalized.text.as_str();
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut found = Vec::new();
        let mut search_from = 0;
        while let Some(at) = haystack
            .get(search_from..)
            .and_then(|rest| finder.find(rest.as_bytes()))
        {
            let start = search_from + at;
            let normalized = start..start + needle.len();
            if let Some(original) = index.normalized.original_range(normalized.clone()) {
                let reader = trim_range(&index.reader_text, original);
                if !reader.is_empty() {
                    found.push((normalized, reader));
                }
            }
            search_from = start + haystack[start..].chars().next().map_or(1, char::len_utf8);
        }
        found
    }

    proptest::proptest! {
        /// Quotes longer and shorter than the searched head, in texts that repeat it in part
        /// and in whole, overlapping.
        #[test]
        fn occurrences_agree_with_a_search_for_the_whole_quote(
            text in "(aaaaaaaaaaaaaaaaaaaa|aaaaaaaaaaaaaaaab|[ab é\n—]){0,12}",
            from in 0usize..200,
            len in 0usize..60,
            other in "[ab é]{0,24}",
            use_other in proptest::bool::ANY,
        ) {
            let index = DocIndex::new(&text);
            let normalized = index.normalized.text.clone();
            let needle = if use_other {
                other
            } else {
                let chars: Vec<char> = normalized.chars().collect();
                let from = from.min(chars.len());
                chars[from..(from + len).min(chars.len())].iter().collect()
            };
            let got: Vec<(Range<usize>, Range<usize>)> = index
                .occurrences(&needle)
                .into_iter()
                .map(|o| (o.normalized, o.reader))
                .collect();
            proptest::prop_assert_eq!(got, occurrences_by_whole_search(&index, &needle));
        }
    }
}
