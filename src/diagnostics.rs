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
    /// Warning: a quote was not found exactly but re-anchored to a lightly edited passage.
    QuoteDrifted,
    /// Warning: an entity is never mentioned in a source and no annotation tags it.
    UnusedEntity,
    /// Warning: no annotation is tagged with a theme.
    UnusedTheme,
    /// Warning: an annotated passage mentions an entity that the annotation does not tag.
    UntaggedMention,
}

impl Code {
    /// Every code, for documentation and tests.
    pub const ALL: [Code; 23] = [
        Code::InvalidFile,
        Code::YamlSyntax,
        Code::FrontMatter,
        Code::UnknownKey,
        Code::MissingField,
        Code::InvalidValue,
        Code::InvalidSlug,
        Code::DuplicateSlug,
        Code::DuplicateId,
        Code::DuplicateAlias,
        Code::UnknownSource,
        Code::UnknownEntity,
        Code::UnknownTheme,
        Code::EmptyQuote,
        Code::QuoteNotFound,
        Code::QuoteAmbiguous,
        Code::StatusWithoutClaim,
        Code::BrokenInternalLink,
        Code::Config,
        Code::QuoteDrifted,
        Code::UnusedEntity,
        Code::UnusedTheme,
        Code::UntaggedMention,
    ];

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
            Code::QuoteDrifted => "quote-drifted",
            Code::UnusedEntity => "unused-entity",
            Code::UnusedTheme => "unused-theme",
            Code::UntaggedMention => "untagged-mention",
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
    /// A machine-applicable fix: replace the bytes of `span` with the text (`gloss check --fix`).
    pub fix: Option<Box<Fix>>,
}

/// A replacement that fixes a diagnostic, applied to the file `span` points into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
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
            fix: None,
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

    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix = Some(Box::new(Fix {
            span,
            replacement: replacement.into(),
        }));
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

/// Where a diagnostic points, as editors and tools count: 1-based lines, 1-based char columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn position(span: Span, files: &Files) -> Position {
    let file = files.get(span.file);
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end.max(span.start));
    Position {
        file: display_path(&file.path),
        line,
        column,
        end_line,
        end_column,
    }
}

/// One JSON object (one line) per diagnostic, for editors and scripts.
pub fn render_json(diagnostic: &Diagnostic, files: &Files) -> String {
    let at = position(diagnostic.primary, files);
    let related: Vec<serde_json::Value> = diagnostic
        .related
        .iter()
        .map(|(span, label)| {
            let p = position(*span, files);
            serde_json::json!({
                "file": p.file, "line": p.line, "column": p.column,
                "end_line": p.end_line, "end_column": p.end_column, "message": label,
            })
        })
        .collect();
    let fix = diagnostic.fix.as_ref().map(|fix| {
        let p = position(fix.span, files);
        serde_json::json!({
            "file": p.file, "line": p.line, "column": p.column,
            "end_line": p.end_line, "end_column": p.end_column,
            "replacement": fix.replacement,
        })
    });
    serde_json::json!({
        "code": diagnostic.code.as_str(),
        "severity": diagnostic.severity.as_str(),
        "file": at.file,
        "line": at.line,
        "column": at.column,
        "end_line": at.end_line,
        "end_column": at.end_column,
        "message": diagnostic.message,
        "help": diagnostic.help,
        "related": related,
        "suggested_replacement": fix,
    })
    .to_string()
}

/// A GitHub Actions workflow command, so a pull request shows the problem on its line:
/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
pub fn render_github(diagnostic: &Diagnostic, files: &Files) -> String {
    let at = position(diagnostic.primary, files);
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&at.file),
        at.line,
        at.column,
        at.end_line,
        at.end_column,
        escape_property(&format!("gloss {}", diagnostic.code.as_str())),
        escape_data(&message)
    )
}

/// Escaping of a workflow command's message (GitHub's `escapeData`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value (GitHub's `escapeProperty`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::SourceFile;

    fn one_file(text: &str) -> (Files, FileId) {
        let mut files = Files::default();
        let id = files.add(SourceFile::new(
            "content/a,b:c.yaml".into(),
            text.to_string(),
        ));
        (files, id)
    }

    #[test]
    fn github_commands_escape_data_and_properties() {
        let (files, id) = one_file("quote: \"x\"\n");
        let diagnostic =
            Diagnostic::error(Code::QuoteNotFound, Span::new(id, 7..10), "100% not\nfound")
                .with_help("try: this, or that");
        assert_eq!(
            render_github(&diagnostic, &files),
            "::error file=content/a%2Cb%3Ac.yaml,line=1,col=8,endLine=1,endColumn=11,title=gloss quote-not-found::100%25 not%0Afound%0Ahelp: try: this, or that"
        );
    }

    #[test]
    fn json_has_positions_and_fix() {
        let (files, id) = one_file("a\nquote: x\n");
        let diagnostic = Diagnostic::warning(Code::QuoteDrifted, Span::new(id, 9..10), "drifted")
            .with_fix(Span::new(id, 9..10), "y");
        let value: serde_json::Value =
            serde_json::from_str(&render_json(&diagnostic, &files)).expect("valid JSON");
        assert_eq!(value["line"], 2);
        assert_eq!(value["column"], 8);
        assert_eq!(value["severity"], "warning");
        assert_eq!(value["suggested_replacement"]["replacement"], "y");
    }

    #[test]
    fn did_you_mean_finds_close_words_only() {
        assert_eq!(did_you_mean("qoute", ["quote", "prefix"]), Some("quote"));
        assert_eq!(did_you_mean("zzz", ["quote", "prefix"]), None);
    }

    #[test]
    fn every_code_is_documented() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md");
        let docs = std::fs::read_to_string(path).expect("read docs/diagnostics.md");
        let headings: Vec<&str> = docs.lines().map(str::trim_end).collect();
        for code in Code::ALL {
            let heading = format!("## {}", code.as_str());
            assert!(
                headings.contains(&heading.as_str()),
                "docs/diagnostics.md has no `{heading}` section"
            );
        }
    }
}
