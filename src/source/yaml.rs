//! The one place gloss parses YAML: `serde-saphyr` (the maintained successor of the archived
//! `serde_yaml`), with its spans turned into gloss [`Span`]s and its errors into diagnostics.
//!
//! Owns the mapping from saphyr locations and errors to gloss types; nothing else in gloss names
//! `serde_saphyr`. It never reads files.

use serde::de::DeserializeOwned;
use serde_saphyr::{Error, Location};

use crate::diagnostics::{Code, Diagnostic, Span, Spanned, suggestion_help};
use crate::files::FileId;

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
            format!("{what} is empty"),
        )
        .with_help(format!(
            "it needs at least: {}",
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
        other => Diagnostic::error(
            Code::YamlSyntax,
            span,
            format!(
                "invalid YAML: {}",
                without_location(first_line(&other.to_string()))
            ),
        )
        .with_help(
            "check indentation, and quote text that contains `: `, `#` or starts with a quote mark",
        ),
    }
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
