//! Problems in a briefing's content, as data, and their rendering for editors.
//!
//! Owns [`Diagnostic`], [`Code`], [`Severity`], [`Span`] and the [`Diagnostics`] collector, plus
//! the rustc-style terminal rendering. Stages push diagnostics and carry on, so one run reports
//! every problem. Line and column are computed only when rendering.
//! This module never reads or writes files.

use std::fmt::Write as _;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::files::{FileId, Files};

/// A byte range in one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, range: Range<usize>) -> Self {
        Span {
            file,
            start: range.start,
            end: range.end,
        }
    }

    /// An empty span at the start of a file, for problems with the file as a whole.
    pub fn file_start(file: FileId) -> Self {
        Span::new(file, 0..0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Every diagnostic gloss can report. The string form (`as_str`) is stable: editors and
/// tools match on it. Each variant says what triggers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// A file is not valid UTF-8, is too large, or holds NUL bytes.
    InvalidFile,
    /// YAML (a file or a front-matter block) does not parse.
    YamlSyntax,
    /// A Markdown file's front matter is missing its closing `---`, or is required and absent.
    FrontMatter,
    /// A key that this kind of file does not have.
    UnknownKey,
    /// A required key is absent.
    MissingField,
    /// A value has the wrong type or is not one of the allowed values.
    InvalidValue,
    /// A slug or id breaks the `[a-z0-9][a-z0-9-]*` rule.
    InvalidSlug,
    /// Two sources, entities or themes share a slug.
    DuplicateSlug,
    /// Two annotations share an id.
    DuplicateId,
    /// Two entities claim the same alias.
    DuplicateAlias,
    /// An annotation names a source that does not exist.
    UnknownSource,
    /// An annotation tags an entity that does not exist.
    UnknownEntity,
    /// An annotation tags a theme that does not exist.
    UnknownTheme,
    /// A quote (or prefix, suffix) is empty or only white space.
    EmptyQuote,
    /// A quote is not in the text of its source.
    QuoteNotFound,
    /// A quote occurs more than once and prefix/suffix do not pick one.
    QuoteAmbiguous,
    /// A `status` on an annotation that is not a claim.
    StatusWithoutClaim,
    /// A link in Markdown written as `@/path` points at no page of the site.
    BrokenInternalLink,
    /// `site.toml` is missing, malformed or has an invalid value.
    Config,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidFile => "invalid-file",
            Code::YamlSyntax => "yaml-syntax",
            Code::FrontMatter => "front-matter",
            Code::UnknownKey => "unknown-key",
            Code::MissingField => "missing-field",
            Code::InvalidValue => "invalid-value",
            Code::InvalidSlug => "invalid-slug",
            Code::DuplicateSlug => "duplicate-slug",
            Code::DuplicateId => "duplicate-id",
            Code::DuplicateAlias => "duplicate-alias",
            Code::UnknownSource => "unknown-source",
            Code::UnknownEntity => "unknown-entity",
            Code::UnknownTheme => "unknown-theme",
            Code::EmptyQuote => "empty-quote",
            Code::QuoteNotFound => "quote-not-found",
            Code::QuoteAmbiguous => "quote-ambiguous",
            Code::StatusWithoutClaim => "status-without-claim",
            Code::BrokenInternalLink => "broken-internal-link",
            Code::Config => "config",
        }
    }
}

/// One problem in the content, with the place it was found and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Span,
    /// Other places that explain the problem (each ambiguous candidate, the first duplicate).
    pub related: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, primary: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary,
            related: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, primary: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, primary, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }
}

/// The diagnostics of one run, in the order found; sorted by place before rendering.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.list.push(diagnostic);
    }

    pub fn extend(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        self.list.extend(diagnostics);
    }

    pub fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn n_errors(&self) -> usize {
        self.list
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn n_warnings(&self) -> usize {
        self.list.len() - self.n_errors()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Diagnostics ordered by file path, position, then code, so output is deterministic
    /// whatever order the stages ran in.
    pub fn sorted(&self, files: &Files) -> Vec<&Diagnostic> {
        let mut sorted: Vec<&Diagnostic> = self.list.iter().collect();
        sorted.sort_by(|a, b| {
            files
                .path(a.primary.file)
                .cmp(files.path(b.primary.file))
                .then(a.primary.start.cmp(&b.primary.start))
                .then(a.code.cmp(&b.code))
                .then(a.message.cmp(&b.message))
        });
        sorted.dedup();
        sorted
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

/// Renders one diagnostic like rustc: header, `--> file:line:col`, the snippet with carets,
/// related places, then `= help:`.
pub fn render_human(diagnostic: &Diagnostic, files: &Files, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let file = files.get(diagnostic.primary.file);
    let path = display_path(&file.path);
    let mut snippet = Snippet::source(file.text.as_str())
        .path(path.clone())
        .fold(true)
        .annotation(AnnotationKind::Primary.span(clamp(
            &file.text,
            diagnostic.primary.start..diagnostic.primary.end,
        )));
    let mut other_files = Vec::new();
    for (span, label) in &diagnostic.related {
        if span.file == diagnostic.primary.file {
            snippet = snippet.annotation(
                AnnotationKind::Context
                    .span(clamp(&file.text, span.start..span.end))
                    .label(label.as_str()),
            );
        } else {
            other_files.push((span, label));
        }
    }
    let mut group = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.as_str())
        .element(snippet);
    for (span, label) in other_files {
        let other = files.get(span.file);
        group = group.element(
            Snippet::source(other.text.as_str())
                .path(display_path(&other.path))
                .fold(true)
                .annotation(
                    AnnotationKind::Context
                        .span(clamp(&other.text, span.start..span.end))
                        .label(label.as_str()),
                ),
        );
    }
    let mut report: Vec<Group> = vec![group];
    if let Some(help) = &diagnostic.help {
        report.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = renderer.render(&report);
    out.push('\n');
    out
}

/// One line per diagnostic: `file:line:col: severity[code]: message`.
pub fn render_short(diagnostic: &Diagnostic, files: &Files) -> String {
    let file = files.get(diagnostic.primary.file);
    let (line, column) = file.line_col(diagnostic.primary.start);
    let mut out = format!(
        "{}:{line}:{column}: {}[{}]: {}",
        display_path(&file.path),
        diagnostic.severity.as_str(),
        diagnostic.code.as_str(),
        diagnostic.message
    );
    if let Some(help) = &diagnostic.help {
        let _ = write!(out, " (help: {help})");
    }
    out
}

/// Paths are shown with forward slashes on every platform, relative to the briefing root.
pub fn display_path(path: &std::path::Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn clamp(text: &str, range: Range<usize>) -> Range<usize> {
    let start = crate::files::floor_char_boundary(text, range.start);
    let end = crate::files::floor_char_boundary(text, range.end.max(start));
    start..end
}

/// A value from a content file with the span it was written at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// The closest of `candidates` to a misspelt `word`, if one is close enough to suggest.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

/// "did you mean `x`?" help text, or a list of what is allowed when nothing is close.
pub fn suggestion_help(word: &str, candidates: &[&str], what: &str) -> String {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if candidates.is_empty() => format!("there are no {what} yet"),
        None if candidates.len() <= 12 => format!(
            "expected one of {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("no {what} has a similar name"),
    }
}
