//! Approximate matching: the edit distance of a pattern to stretches of a text, computed 64
//! pattern characters at a time with Myers' bit-vector algorithm (Myers 1999, "A fast bit-vector
//! algorithm for approximate string matching based on dynamic programming", with its blocks for
//! patterns longer than a machine word, as restated by Hyyrö 2003).
//!
//! Owns [`BitPattern`]. Input: a pattern and a text, both as characters. Output: for each text
//! position, the least edit distance (Levenshtein, in characters) between the pattern and a
//! stretch of the text ending there, whenever that distance is within a bound.
//! Must not: know about normalisation, documents, byte offsets of a particular text, or scoring;
//! callers tag each text character with whatever position they need back.
//!
//! The result equals Sellers' dynamic programming column by column (property-tested against a
//! plain version below), in O(n·⌈m/64⌉) word operations for a text of n and a pattern of m
//! characters, and less with a small bound: blocks whose cells all exceed the bound are skipped
//! (Ukkonen's cut-off, per block, as in Myers' paper).

/// Where an alignment of the pattern may start in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Start {
    /// Anywhere (semi-global, Sellers): the distance to the best stretch ending at each position.
    Anywhere,
    /// At the text's first character (global at the start): the distance to the whole text
    /// read so far, i.e. to each prefix of the text.
    AtTextStart,
}

/// Pattern characters per block: the bits of a machine word.
const BLOCK: usize = 64;

/// A pattern prepared for [`BitPattern::scan`]: for each character it contains, one bit mask
/// per block saying where it occurs.
#[derive(Clone, Debug)]
pub(super) struct BitPattern {
    /// Length in characters; at least 1.
    len: usize,
    n_blocks: usize,
    /// Symbol of each ASCII character; `n_symbols` for one the pattern lacks.
    ascii_symbols: [u32; 128],
    /// The pattern's non-ASCII characters, sorted; the symbol of `other_chars[i]` is
    /// `first_other_symbol + i`.
    other_chars: Vec<char>,
    first_other_symbol: usize,
    /// `match_masks[symbol * n_blocks + block]` has bit `i` set where the pattern's character
    /// `block * 64 + i` is that symbol. The last symbol (a character not in the pattern) has no
    /// bits set.
    match_masks: Vec<u64>,
}

impl BitPattern {
    /// Prepares `pattern`, or `None` if it is empty.
    pub(super) fn new(pattern: impl IntoIterator<Item = char>) -> Option<Self> {
        let pattern: Vec<char> = pattern.into_iter().collect();
        if pattern.is_empty() {
            return None;
        }
        let mut ascii: Vec<char> = pattern.iter().copied().filter(char::is_ascii).collect();
        ascii.sort_unstable();
        ascii.dedup();
        let mut other_chars: Vec<char> =
            pattern.iter().copied().filter(|c| !c.is_ascii()).collect();
        other_chars.sort_unstable();
        other_chars.dedup();
        let n_symbols = ascii.len() + other_chars.len();
        let absent = u32::try_from(n_symbols).expect("a pattern has fewer than 2^32 symbols");
        let mut ascii_symbols = [absent; 128];
        for (symbol, character) in ascii.iter().enumerate() {
            ascii_symbols[*character as usize] =
                u32::try_from(symbol).expect("at most 128 ASCII symbols");
        }
        let n_blocks = pattern.len().div_ceil(BLOCK);
        let mut bit_pattern = BitPattern {
            len: pattern.len(),
            n_blocks,
            ascii_symbols,
            other_chars,
            first_other_symbol: ascii.len(),
            match_masks: vec![0; (n_symbols + 1) * n_blocks],
        };
        for (index, &character) in pattern.iter().enumerate() {
            let symbol = bit_pattern.symbol(character);
            bit_pattern.match_masks[symbol * n_blocks + index / BLOCK] |= 1 << (index % BLOCK);
        }
        Some(bit_pattern)
    }

    /// The pattern's length in characters.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn symbol(&self, character: char) -> usize {
        if character.is_ascii() {
            return self.ascii_symbols[character as usize] as usize;
        }
        match self.other_chars.binary_search(&character) {
            Ok(index) => self.first_other_symbol + index,
            Err(_) => self.first_other_symbol + self.other_chars.len(),
        }
    }

    /// Reads `text` (each character with a tag the caller wants back) and calls
    /// `report(tag, distance)` after every character where the edit distance between the
    /// pattern and the best stretch of text ending with that character (starting where `start`
    /// allows) is at most `max_distance`. Never reports for the empty text before the first
    /// character.
    pub(super) fn scan<T>(
        &self,
        text: impl IntoIterator<Item = (T, char)>,
        start: Start,
        max_distance: usize,
        mut report: impl FnMut(T, usize),
    ) {
        let last = self.n_blocks - 1;
        let last_size = self.len - last * BLOCK;
        let block_size = |block: usize| if block == last { last_size } else { BLOCK };
        let high_bit = |block: usize| 1u64 << (block_size(block) - 1);
        // Column j of the table, per block: vertical deltas as positive and negative bit
        // vectors, and the value of the block's last row. Before any text (j = 0) row i is i.
        let mut positive = vec![u64::MAX; self.n_blocks];
        let mut negative = vec![0u64; self.n_blocks];
        let mut last_row_score: Vec<usize> = (0..self.n_blocks)
            .map(|block| block * BLOCK + block_size(block))
            .collect();
        // Blocks after `active` have every cell above `max_distance` and are not computed; a
        // block's top row starts at block * 64 + 1, which exceeds the bound past this one.
        let mut active = (max_distance.saturating_sub(1) / BLOCK).min(last);
        let row_zero_delta: i8 = match start {
            Start::Anywhere => 0,
            Start::AtTextStart => 1,
        };
        for (tag, character) in text {
            let symbol = self.symbol(character);
            let masks = &self.match_masks[symbol * self.n_blocks..(symbol + 1) * self.n_blocks];
            let mut carry = row_zero_delta;
            for block in 0..=active {
                carry = advance_block(
                    &mut positive[block],
                    &mut negative[block],
                    masks[block],
                    high_bit(block),
                    carry,
                );
                last_row_score[block] = add_delta(last_row_score[block], carry);
            }
            // The next block's top row can come within the bound only through a match below a
            // cell at the bound, or below a cell that just decreased (Myers 1999, section 4).
            while active < last
                && add_delta(last_row_score[active], -carry) <= max_distance
                && (masks[active + 1] & 1 != 0 || carry < 0)
            {
                active += 1;
                // Its previous column was never computed: stand in the largest values it can
                // have (each row one more than the row above). They only overestimate, and the
                // cells within the bound never depend on them.
                positive[active] = u64::MAX;
                negative[active] = 0;
                let previous_top = add_delta(last_row_score[active - 1], -carry);
                carry = advance_block(
                    &mut positive[active],
                    &mut negative[active],
                    masks[active],
                    high_bit(active),
                    carry,
                );
                last_row_score[active] = add_delta(previous_top + block_size(active), carry);
            }
            // A block whose last row is this far above the bound has every cell above it.
            while active > 0 && last_row_score[active] >= max_distance.saturating_add(BLOCK) {
                active -= 1;
            }
            if active == last && last_row_score[last] <= max_distance {
                report(tag, last_row_score[last]);
            }
        }
    }

    /// The edit distance between the pattern and the whole of `text`.
    pub(super) fn distance_to(&self, text: impl IntoIterator<Item = char>) -> usize {
        let mut distance = self.len;
        self.scan(
            text.into_iter().map(|character| ((), character)),
            Start::AtTextStart,
            usize::MAX,
            |(), at| distance = at,
        );
        distance
    }
}

/// One text character through one block (Myers 1999, `advance_block`): updates the block's
/// vertical delta vectors from the match mask `matches` and the horizontal delta `carry_in` at
/// the row above the block, and returns the horizontal delta at the block's last row
/// (`high_bit`).
#[inline]
fn advance_block(
    positive: &mut u64,
    negative: &mut u64,
    matches: u64,
    high_bit: u64,
    carry_in: i8,
) -> i8 {
    let vertical_positive = *positive;
    let vertical_negative = *negative;
    let mut matches = matches;
    let x_vertical = matches | vertical_negative;
    if carry_in < 0 {
        matches |= 1;
    }
    let x_horizontal = ((matches & vertical_positive).wrapping_add(vertical_positive)
        ^ vertical_positive)
        | matches;
    let mut horizontal_positive = vertical_negative | !(x_horizontal | vertical_positive);
    let mut horizontal_negative = vertical_positive & x_horizontal;
    let carry_out = if horizontal_positive & high_bit != 0 {
        1
    } else if horizontal_negative & high_bit != 0 {
        -1
    } else {
        0
    };
    horizontal_positive <<= 1;
    horizontal_negative <<= 1;
    if carry_in < 0 {
        horizontal_negative |= 1;
    } else if carry_in > 0 {
        horizontal_positive |= 1;
    }
    *positive = horizontal_negative | !(x_vertical | horizontal_positive);
    *negative = horizontal_positive & x_vertical;
    carry_out
}

fn add_delta(score: usize, delta: i8) -> usize {
    score.wrapping_add_signed(isize::from(delta))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain dynamic-programming table's last row (Sellers 1980 for [`Start::Anywhere`]):
    /// `row[j]` is the least edit distance between `pattern` and a stretch of `text` ending
    /// after `j` characters.
    pub(in crate::anchor) fn last_row_by_table(
        pattern: &[char],
        text: &[char],
        start: Start,
    ) -> Vec<usize> {
        let mut column: Vec<usize> = (0..=pattern.len()).collect();
        let mut row = vec![pattern.len()];
        for (j, &text_char) in text.iter().enumerate() {
            let mut diagonal = column[0];
            column[0] = match start {
                Start::Anywhere => 0,
                Start::AtTextStart => j + 1,
            };
            for i in 1..=pattern.len() {
                let substitution = diagonal + usize::from(pattern[i - 1] != text_char);
                diagonal = column[i];
                column[i] = substitution.min(column[i - 1] + 1).min(column[i] + 1);
            }
            row.push(column[pattern.len()]);
        }
        row
    }

    /// What `scan` reports, as (characters read, distance).
    fn scanned(pattern: &[char], text: &[char], start: Start, bound: usize) -> Vec<(usize, usize)> {
        let bit_pattern = BitPattern::new(pattern.iter().copied()).expect("non-empty pattern");
        let mut reported = Vec::new();
        bit_pattern.scan(
            text.iter().enumerate().map(|(index, &c)| (index + 1, c)),
            start,
            bound,
            |end, distance| reported.push((end, distance)),
        );
        reported
    }

    /// Checks that `scan` reports exactly the table's cells within `bound`, and that the best
    /// end positions agree.
    fn check_against_table(pattern: &[char], text: &[char], start: Start, bound: usize) {
        let row = last_row_by_table(pattern, text, start);
        let expected: Vec<(usize, usize)> = row
            .iter()
            .enumerate()
            .skip(1)
            .filter(|&(_, &distance)| distance <= bound)
            .map(|(end, &distance)| (end, distance))
            .collect();
        let reported = scanned(pattern, text, start, bound);
        assert_eq!(
            reported, expected,
            "pattern {pattern:?} text {text:?} {start:?} bound {bound}"
        );
        let best = |cells: &[(usize, usize)]| -> Vec<usize> {
            let least = cells.iter().map(|&(_, distance)| distance).min();
            cells
                .iter()
                .filter(|&&(_, distance)| Some(distance) == least)
                .map(|&(end, _)| end)
                .collect()
        };
        assert_eq!(best(&reported), best(&expected));
    }

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    #[test]
    fn known_distances() {
        let cases = [
            ("kitten", "sitting", Start::AtTextStart, 3),
            ("abc", "xxabcxx", Start::Anywhere, 0),
            ("abc", "xxabxcxx", Start::Anywhere, 1),
            ("caf\u{e9}", "cafe\u{301}", Start::AtTextStart, 2),
            ("\u{1f980}\u{1f980}", "a\u{1f980}b", Start::Anywhere, 1),
        ];
        for (pattern, text, start, expected) in cases {
            let reported = scanned(&chars(pattern), &chars(text), start, usize::MAX);
            let least = reported.iter().map(|&(_, distance)| distance).min();
            let least = match start {
                Start::Anywhere => least,
                Start::AtTextStart => reported.last().map(|&(_, distance)| distance),
            };
            assert_eq!(least, Some(expected), "{pattern:?} in {text:?}");
        }
        let kitten = BitPattern::new("kitten".chars()).expect("non-empty");
        assert_eq!(kitten.distance_to("sitting".chars()), 3);
        assert_eq!(kitten.distance_to("".chars()), 6);
    }

    #[test]
    fn empty_pattern_is_refused() {
        assert!(BitPattern::new("".chars()).is_none());
    }

    #[test]
    fn blocks_join_at_word_boundaries() {
        // Patterns of exactly 64, 65 and 128 characters, with the one edit placed on each side
        // of a block boundary.
        for len in [63, 64, 65, 127, 128, 129, 200] {
            let pattern: Vec<char> = (0..len).map(|i| char::from(b'a' + (i % 7) as u8)).collect();
            for edit_at in [0, 62, 63, 64, 65, len - 1] {
                let mut text = vec!['x'; 5];
                let mut edited = pattern.clone();
                if edit_at < len {
                    edited[edit_at] = 'Z';
                }
                text.extend(edited);
                text.extend(['y'; 5]);
                for bound in [0, 1, 2, 70, usize::MAX] {
                    check_against_table(&pattern, &text, Start::Anywhere, bound);
                    check_against_table(&pattern, &text, Start::AtTextStart, bound);
                }
            }
        }
    }

    /// Characters from a few small alphabets (to force many matches) or anywhere in Unicode.
    fn alphabet_char() -> impl Strategy<Value = Vec<char>> {
        prop_oneof![
            Just(vec!['a', 'b']),
            Just(vec!['a', 'b', 'c', ' ']),
            Just(vec!['e', '\u{301}', '\u{e9}', '\u{65e5}', '\u{1f980}', ' ']),
            Just(vec![]),
        ]
    }

    fn string_from(alphabet: Vec<char>, len: std::ops::Range<usize>) -> BoxedStrategy<Vec<char>> {
        if alphabet.is_empty() {
            proptest::collection::vec(any::<char>(), len).boxed()
        } else {
            proptest::collection::vec(proptest::sample::select(alphabet), len).boxed()
        }
    }

    fn pattern_and_text() -> impl Strategy<Value = (Vec<char>, Vec<char>)> {
        alphabet_char().prop_flat_map(|alphabet| {
            (
                string_from(alphabet.clone(), 1..200),
                string_from(alphabet, 0..500),
            )
        })
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 200,
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
            )),
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn bit_parallel_equals_table_anywhere(
            (pattern, text) in pattern_and_text(),
            bound in prop_oneof![0..12usize, 0..260usize],
        ) {
            check_against_table(&pattern, &text, Start::Anywhere, bound);
        }

        #[test]
        fn bit_parallel_equals_table_at_text_start(
            (pattern, text) in pattern_and_text(),
            bound in prop_oneof![0..12usize, 0..260usize, Just(usize::MAX)],
        ) {
            check_against_table(&pattern, &text, Start::AtTextStart, bound);
        }

        #[test]
        fn bit_parallel_equals_table_on_near_copies(
            pattern in string_from(vec!['a', 'b', 'c', '\u{e9}', ' '], 1..200),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..3u8), 0..12),
            padding in 0..40usize,
        ) {
            // A text holding an edited copy of the pattern, so small bounds have matches.
            let mut copy = pattern.clone();
            for (at, kind) in edits {
                let at = at.index(copy.len() + 1);
                match kind {
                    0 => copy.insert(at, 'x'),
                    1 if at < copy.len() => { copy.remove(at); }
                    _ if at < copy.len() => copy[at] = 'y',
                    _ => {}
                }
            }
            let mut text = vec!['b'; padding];
            text.extend(copy);
            text.extend(vec!['a'; padding]);
            for bound in [0, 1, 3, pattern.len() / 10, 12] {
                check_against_table(&pattern, &text, Start::Anywhere, bound);
            }
        }
    }
}
