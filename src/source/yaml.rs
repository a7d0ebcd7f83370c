//! The one place gloss parses YAML: `serde-saphyr` (the maintained successor of the archived
//! `serde_yaml`), with its spans turned into gloss [`Span`]s and its errors into diagnostics.
//!
//! Owns the mapping from saphyr locations and errors to gloss types, and [`plain_tree`], which
//! reads a plain document straight from saphyr's parser (`granit_parser`); nothing else in gloss
//! names either. It never reads files.

use serde::de::DeserializeOwned;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Error, Location};

use crate::diagnostics::{Code, Diagnostic, Span, Spanned, suggestion_help};
use crate::files::FileId;

mod subset;

/// A YAML value with where it was written, as saphyr reports it. Convert with [`Place::spanned`].
pub type Yaml<T> = serde_saphyr::Spanned<T>;

/// Where a YAML document sits: the file and the byte offset of its first character.
#[derive(Clone, Copy, Debug)]
pub struct Place<'t> {
    pub file: FileId,
    pub offset: usize,
    /// The YAML text itself, to turn line/column into bytes when saphyr has no byte offset.
    pub yaml: &'t str,
}

impl Place<'_> {
    pub fn span(&self, location: &Location) -> Span {
        let span = location.span();
        let (start, len) = match (span.byte_offset(), span.byte_len()) {
            (Some(start), Some(len)) => (start as usize, len as usize),
            _ => (
                self.offset_of(location.line() as usize, location.column() as usize),
                0,
            ),
        };
        let start = start.min(self.yaml.len());
        let end = (start + len).min(self.yaml.len());
        Span::new(self.file, self.offset + start..self.offset + end)
    }

    pub fn spanned<T>(&self, value: Yaml<T>) -> Spanned<T> {
        let span = self.span(&value.referenced);
        Spanned::new(value.value, span)
    }

    pub fn spanned_opt<T>(&self, value: Option<Yaml<T>>) -> Option<Spanned<T>> {
        value.map(|v| self.spanned(v))
    }

    pub fn spanned_vec<T>(&self, values: Option<Vec<Yaml<T>>>) -> Vec<Spanned<T>> {
        values
            .unwrap_or_default()
            .into_iter()
            .map(|v| self.spanned(v))
            .collect()
    }

    fn offset_of(&self, line: usize, column: usize) -> usize {
        let mut offset = 0;
        for _ in 1..line.max(1) {
            match self.yaml[offset..].find('\n') {
                Some(i) => offset += i + 1,
                None => return self.yaml.len(),
            }
        }
        self.yaml[offset..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| offset + i)
            .unwrap_or(self.yaml.len())
    }
}

/// Parses one YAML document into `T`; on failure returns the diagnostic. `what` names the
/// kind of file for messages ("an annotation file"), `keys` lists the keys it may have.
pub fn parse<T: DeserializeOwned>(
    place: Place<'_>,
    what: &str,
    keys: &[&str],
) -> Result<T, Diagnostic> {
    if place.yaml.trim().is_empty() {
        return Err(Diagnostic::error(
            Code::MissingField,
            Span::new(place.file, place.offset..place.offset),
            format!("{what} has no keys"),
        )
        .with_help(format!(
            "it needs at least `{}: ...`",
            keys.first().copied().unwrap_or("a value")
        )));
    }
    serde_saphyr::from_str::<T>(place.yaml).map_err(|err| diagnostic(&err, place, what))
}

fn diagnostic(err: &Error, place: Place<'_>, what: &str) -> Diagnostic {
    let err = err.without_snippet();
    let span = err
        .location()
        .map(|location| place.span(&location))
        .unwrap_or(Span::new(place.file, place.offset..place.offset));
    match err {
        // A problem met while replaying an alias: report the problem itself, where the alias is
        // used, and point at the anchor it repeats.
        Error::AliasError {
            error, locations, ..
        } => {
            let mut diagnostic = diagnostic(error, place, what);
            let defined = place.span(&locations.defined_location);
            if locations.defined_location != Location::UNKNOWN && defined != diagnostic.primary {
                diagnostic = diagnostic.with_related(defined, "the anchor (`&name`) it repeats");
            }
            diagnostic
        }
        Error::SerdeUnknownField {
            field, expected, ..
        } => {
            let span = widen_to_key(span, place, field);
            Diagnostic::error(
                Code::UnknownKey,
                span,
                format!("unknown key `{field}` in {what}"),
            )
            .with_help(suggestion_help(field, expected, "keys"))
        }
        Error::SerdeMissingField { field, .. } => Diagnostic::error(
            Code::MissingField,
            span,
            format!("missing required key `{field}` in {what}"),
        )
        .with_help(format!("add `{field}: ...`")),
        Error::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => Diagnostic::error(
            Code::InvalidValue,
            span,
            format!("expected {}, found {unexpected}", plain_expected(expected)),
        )
        .with_help(type_help(expected)),
        Error::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => Diagnostic::error(
            Code::InvalidValue,
            span,
            format!("expected {}, found {unexpected}", plain_expected(expected)),
        ),
        Error::SerdeUnknownVariant {
            variant, expected, ..
        } => Diagnostic::error(
            Code::InvalidValue,
            span,
            format!("`{variant}` is not an allowed value"),
        )
        .with_help(suggestion_help(variant, expected, "values")),
        Error::DuplicateMappingKey { key, .. } => Diagnostic::error(
            Code::YamlSyntax,
            span,
            match key {
                Some(key) => format!("the key `{key}` appears twice"),
                None => "a key appears twice".to_string(),
            },
        )
        .with_help("keep one of them"),
        // The value is valid YAML but of the wrong shape: a list where text belongs, and so on.
        Error::Unexpected { expected, .. } => {
            let found = found_at(span, place);
            let (expected, help) = match *expected {
                "sequence start" => ("a list", type_help("sequence")),
                "mapping start" => (
                    "keys and values",
                    format!("write {what} as `key: value` lines"),
                ),
                "string scalar" | "scalar" => ("text", type_help("string")),
                other => (other, type_help(other)),
            };
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("expected {expected}, found {found}"),
            )
            .with_help(help)
        }
        Error::InvalidScalar { ty, .. } => {
            let found = found_at(span, place);
            let (expected, help) = match *ty {
                ty if ty.contains("bool") => {
                    ("`true` or `false`", "write `true` or `false`".to_string())
                }
                ty if ty.starts_with('i') || ty.starts_with('u') => (
                    "a whole number",
                    "write a whole number such as `1`, without quotes".to_string(),
                ),
                ty if ty.starts_with('f') => {
                    ("a number", "write a number such as `1.5`".to_string())
                }
                _ => (
                    "another kind of value",
                    "see the README for this key's values".to_string(),
                ),
            };
            Diagnostic::error(
                Code::InvalidValue,
                span,
                format!("expected {expected}, found {found}"),
            )
            .with_help(help)
        }
        Error::NullIntoString { .. } => Diagnostic::error(
            Code::InvalidValue,
            span,
            match key_before(span, place) {
                Some(key) => format!("`{key}` has no value"),
                None => "a value is missing".to_string(),
            },
        )
        .with_help("write the value after the colon, or remove the key"),
        Error::MultipleDocuments { .. } => Diagnostic::error(
            Code::YamlSyntax,
            span,
            format!("{what} holds more than one YAML document"),
        )
        .with_help("remove the `---` line that starts a second document, or split the file in two"),
        Error::Budget { breach, .. } => too_much(span, what, budget_reason(breach)),
        Error::AliasReplayCounterOverflow { .. }
        | Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. } => too_much(
            span,
            what,
            "aliases (`*name`) repeat more data than gloss reads",
        ),
        Error::AliasReplayStackDepthExceeded { .. } => too_much(
            span,
            what,
            "aliases (`*name`) are nested in each other too deeply",
        ),
        other => {
            let message = other.to_string();
            let message = without_location(first_line(&message));
            let help = if message.contains("anchor") {
                "an alias `*name` repeats a value marked `&name` earlier in the same file; mark the value or write it out"
            } else if message.contains("tab") {
                "indent with spaces: YAML does not allow tabs for indentation"
            } else if message.contains("quoted scalar") || message.contains("unclosed quote") {
                "a quoted value may lack its closing quote mark: check this line and the ones above"
            } else if message.contains("recursion limit") {
                "lists and mappings are nested too deeply; gloss files need only a few levels"
            } else {
                "check indentation, and quote text that contains `: `, `#` or starts with a quote mark"
            };
            // saphyr may report a tab at the end of the scalar before it; point at the tab.
            let span = if message.contains("found a tab") {
                tab_after(span, place).unwrap_or(span)
            } else {
                span
            };
            Diagnostic::error(Code::YamlSyntax, span, format!("invalid YAML: {message}"))
                .with_help(help)
        }
    }
}

/// A YAML file that would take too long or too much memory to read: alias bombs, deep
/// nesting. Reported as a syntax problem: such files are never meant.
fn too_much(span: Span, what: &str, reason: &str) -> Diagnostic {
    Diagnostic::error(
        Code::YamlSyntax,
        span,
        format!("{what} is too large or too deeply nested to read: {reason}"),
    )
    .with_help(
        "write the values out instead of repeating aliases, and keep nesting to a few levels",
    )
}

fn budget_reason(breach: &BudgetBreach) -> &'static str {
    match breach {
        BudgetBreach::Depth { .. } => "lists and mappings are nested too deeply",
        BudgetBreach::Aliases { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
            "it uses too many aliases (`*name`)"
        }
        BudgetBreach::Anchors { .. } => "it defines too many anchors (`&name`)",
        BudgetBreach::ScalarBytes { .. } => "its values, with aliases repeated, hold too much text",
        _ => "it holds more values than gloss reads",
    }
}

/// The first tab at or after `span` on its line or the next one.
fn tab_after(span: Span, place: Place<'_>) -> Option<Span> {
    let start = (span.start - place.offset).min(place.yaml.len());
    let rest = &place.yaml[start..];
    let two_lines = rest
        .match_indices('\n')
        .nth(1)
        .map_or(rest.len(), |(index, _)| index);
    let tab = rest[..two_lines].find('\t')?;
    let at = place.offset + start + tab;
    Some(Span::new(span.file, at..at + 1))
}

/// What the editor wrote where a value of another kind was expected, in words.
fn found_at(span: Span, place: Place<'_>) -> String {
    let start = (span.start - place.offset).min(place.yaml.len());
    let rest = place.yaml[start..].trim_start_matches([' ', '\t']);
    let end = (span.end.max(span.start) - place.offset).clamp(start, place.yaml.len());
    let written = place.yaml[start..end].trim();
    if rest.starts_with('[') || rest.starts_with("- ") || rest.starts_with("-\n") {
        "a list".to_string()
    } else if rest.starts_with('{') {
        "keys and values".to_string()
    } else if written.is_empty() {
        "something else".to_string()
    } else {
        let line = written.lines().next().unwrap_or(written);
        let shown: String = line.chars().take(40).collect();
        let cut = if shown.len() < line.len() { "..." } else { "" };
        format!("`{shown}{cut}`")
    }
}

/// The key written on the same line right before `span` (`title:` → `title`), if any.
fn key_before(span: Span, place: Place<'_>) -> Option<&str> {
    let start = (span.start - place.offset).min(place.yaml.len());
    let line_start = place.yaml[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = place.yaml[line_start..start].trim();
    // saphyr points at the value, or at the colon when the value is left out.
    let before = before
        .strip_suffix(':')
        .or_else(|| place.yaml[start..].starts_with(':').then_some(before))?;
    let key = before
        .trim_start_matches("- ")
        .trim()
        .trim_matches(['"', '\'']);
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(key)
}

/// saphyr points an unknown key at its start; cover the whole key so the carets underline it.
fn widen_to_key(span: Span, place: Place<'_>, key: &str) -> Span {
    let relative = span.start - place.offset;
    if place.yaml[relative..].starts_with(key) {
        Span::new(span.file, span.start..span.start + key.len())
    } else {
        span
    }
}

fn plain_expected(expected: &str) -> String {
    match expected {
        "a string" | "string" => "text".to_string(),
        "a sequence" | "sequence" => "a list".to_string(),
        "a boolean" => "`true` or `false`".to_string(),
        other => other.to_string(),
    }
}

fn type_help(expected: &str) -> String {
    if expected.contains("sequence") {
        "write a list, like `[a, b]` or one `- item` per line".to_string()
    } else if expected.contains("string") {
        "write text, quoted if it contains `: ` or starts with a special character".to_string()
    } else if expected.contains("bool") {
        "write `true` or `false`".to_string()
    } else {
        format!("write {}", plain_expected(expected))
    }
}

/// saphyr's messages end with a position relative to the YAML block; the diagnostic shows the
/// position in the file instead.
fn without_location(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(i) => message[..i].trim_end(),
        None => message,
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

/// A YAML node as [`plain_tree`] reads it: text, a list, or keys and values, each with its place.
#[derive(Debug)]
pub enum Plain {
    Text(Spanned<String>),
    List(Span, Vec<Plain>),
    Map(Span, Vec<(Spanned<String>, Plain)>),
}

/// More nodes than this and [`plain_tree`] leaves the file to [`parse`], which enforces
/// saphyr's budget (250,000 nodes, 1,000,000 events).
const PLAIN_MAX_NODES: usize = 100_000;

/// The YAML document `place.yaml` read straight from the parser's events, when it is plain: one
/// document of keys and values, lists and text, without anchors, aliases, tags, null-like plain
/// text or a key twice, and far from saphyr's budgets. `None` for anything else, mistakes
/// included: the caller then parses the text with [`parse`], which reports them, so a plain
/// reading never changes what gloss says. Text is what saphyr gives a `String` (the parser's
/// value, escapes and folding applied), with the same places; a test compares the two.
///
/// Annotation files and front matter are all the YAML a briefing has, and most are plain: this
/// skips serde's layers, about half of their parse time. Most are written in a narrow subset of
/// YAML, which [`subset::read`] reads by hand for a fraction of the parser's time; the rest goes
/// through the parser's events.
pub fn plain_tree(place: Place<'_>) -> Option<Plain> {
    subset::read(place).or_else(|| plain_tree_from_events(place))
}

/// [`plain_tree`] read from the parser's events.
fn plain_tree_from_events(place: Place<'_>) -> Option<Plain> {
    use granit_parser::{Event, Parser};
    let budget = serde_saphyr::budget::Budget::default();
    // The parser's limits as saphyr sets them; its errors all mean `None` anyway.
    let options = granit_parser::options! {
        simple_key_max_lookahead: budget.simple_key_max_lookahead,
        flow_nesting_limit: budget.flow_nesting_limit,
        emit_comments: false,
    };
    let mut events = Parser::new_from_str_with_options(place.yaml, options);
    let mut next = move || match events.next() {
        Some(Ok((event, span))) => Some((event, span)),
        _ => None,
    };
    let span_of = |span: granit_parser::Span| -> Option<Span> {
        let start = span.start.byte_offset()?;
        let end = span.end.byte_offset()?;
        let end = end.min(place.yaml.len());
        Some(Span::new(
            place.file,
            place.offset + start.min(end)..place.offset + end,
        ))
    };
    let (Event::StreamStart, _) = next()? else {
        return None;
    };
    let (Event::DocumentStart(..), _) = next()? else {
        return None;
    };
    // Open collections, innermost last, and the key waiting for its value in each map.
    let mut open: Vec<(Plain, Option<Spanned<String>>)> = Vec::new();
    let mut done = None;
    let mut n_nodes = 0;
    while done.is_none() {
        let (event, span) = next()?;
        n_nodes += 1;
        if n_nodes > PLAIN_MAX_NODES {
            return None;
        }
        let node = match event {
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let plain = style == granit_parser::ScalarStyle::Plain;
                if plain && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    return None;
                }
                let text = Spanned::new(text.into_owned(), span_of(span)?);
                match open.last_mut() {
                    // A key: it waits for its value.
                    Some((Plain::Map(_, entries), key @ None)) => {
                        if entries.iter().any(|(k, _)| k.value == text.value) {
                            return None;
                        }
                        *key = Some(text);
                        continue;
                    }
                    _ => Plain::Text(text),
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                // A collection as a key is not plain.
                if anchor != 0
                    || tag.is_some()
                    || matches!(open.last(), Some((Plain::Map(..), None)))
                {
                    return None;
                }
                let span = span_of(span)?;
                let collection = match event {
                    Event::SequenceStart(..) => Plain::List(span, Vec::new()),
                    _ => Plain::Map(span, Vec::new()),
                };
                open.push((collection, None));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop()? {
                (collection, None) => collection,
                (_, Some(_)) => return None,
            },
            _ => return None,
        };
        match open.last_mut() {
            None => done = Some(node),
            Some((Plain::List(_, items), _)) => items.push(node),
            Some((Plain::Map(_, entries), key)) => entries.push((key.take()?, node)),
            Some((Plain::Text(_), _)) => return None,
        }
    }
    let (Event::DocumentEnd, _) = next()? else {
        return None;
    };
    let (Event::StreamEnd, _) = next()? else {
        return None;
    };
    done
}
