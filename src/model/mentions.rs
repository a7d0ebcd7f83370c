//! Entity mentions: every alias of every entity found in the reader text, with one
//! Aho-Corasick automaton for all aliases, longest alias first, on word boundaries only.

use std::collections::BTreeMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind, StartKind};

use super::EntityId;

/// All aliases of all entities, compiled once per build.
pub struct AliasMatcher {
    automaton: Option<AhoCorasick>,
    owners: Vec<EntityId>,
}

impl AliasMatcher {
    /// `aliases` pairs each alias with its entity; aliases are unique (checked before).
    pub fn new(aliases: &[(String, EntityId)]) -> Self {
        let patterns: Vec<&str> = aliases.iter().map(|(alias, _)| alias.as_str()).collect();
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(StartKind::Both)
                    .build(&patterns)
                    .expect("alias automaton within size limits"),
            )
        };
        AliasMatcher {
            automaton,
            owners: aliases.iter().map(|(_, entity)| *entity).collect(),
        }
    }

    /// Mentions in `text`, in order, not overlapping. A match is kept only on word boundaries,
    /// so `MAI` is not found inside `MAINTAIN`; where the longest alias at a place is not on a
    /// word boundary, shorter aliases starting there are tried.
    pub fn find(&self, text: &str) -> Vec<(EntityId, Range<usize>)> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let input = aho_corasick::Input::new(text).range(at..);
            let Some(found_match) = automaton.find(input) else {
                break;
            };
            let range = found_match.range();
            if is_word_boundary(text, range.start) && is_word_boundary(text, range.end) {
                found.push((self.owners[found_match.pattern().as_usize()], range.clone()));
                at = range.end;
            } else if let Some(shorter) = self.shorter_at(text, range.start) {
                found.push(shorter.clone());
                at = shorter.1.end;
            } else {
                at = next_char(text, range.start);
            }
        }
        found
    }

    /// The longest alias starting exactly at `start` that ends on a word boundary.
    fn shorter_at(&self, text: &str, start: usize) -> Option<(EntityId, Range<usize>)> {
        let automaton = self.automaton.as_ref()?;
        if !is_word_boundary(text, start) {
            return None;
        }
        let mut best: BTreeMap<usize, EntityId> = BTreeMap::new();
        // Overlapping search is not available for leftmost automata; anchored search over each
        // end point is cheap because aliases are short.
        for end in (start + 1..=text.len())
            .filter(|&e| text.is_char_boundary(e))
            .take(200)
        {
            let input = aho_corasick::Input::new(&text[..end])
                .range(start..end)
                .anchored(aho_corasick::Anchored::Yes);
            if let Ok(Some(found_match)) = automaton.try_find(input)
                && found_match.end() == end
                && is_word_boundary(text, end)
            {
                best.insert(end, self.owners[found_match.pattern().as_usize()]);
            }
        }
        best.into_iter()
            .next_back()
            .map(|(end, entity)| (entity, start..end))
    }
}

fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map(|c| at + c.len_utf8())
        .unwrap_or(text.len())
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// True where a word does not continue across `at`.
fn is_word_boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at..].chars().next();
    !(before.is_some_and(is_word_char) && after.is_some_and(is_word_char))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(aliases: &[&str], text: &str, expected: &[&str]) {
        let pairs: Vec<(String, EntityId)> = aliases
            .iter()
            .enumerate()
            .map(|(i, a)| (a.to_string(), EntityId::from_index(i)))
            .collect();
        let matcher = AliasMatcher::new(&pairs);
        let found: Vec<&str> = matcher
            .find(text)
            .into_iter()
            .map(|(_, range)| &text[range])
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn aliases_match_on_word_boundaries_only() {
        check(&["MAI"], "MAINTAIN the MAI plan, MAI's", &["MAI", "MAI"]);
    }

    #[test]
    fn longest_alias_wins() {
        check(
            &["Microsoft", "Microsoft AI"],
            "Microsoft AI and Microsoft",
            &["Microsoft AI", "Microsoft"],
        );
    }

    #[test]
    fn shorter_alias_is_tried_when_the_longest_is_inside_a_word() {
        check(&["Open", "OpenAI"], "OpenAIX and Open", &["Open"]);
        check(&["Meta", "Meta AIs"], "Meta AIsle", &["Meta"]);
    }

    #[test]
    fn matching_is_case_sensitive() {
        check(&["Azure"], "azure Azure", &["Azure"]);
    }
}
