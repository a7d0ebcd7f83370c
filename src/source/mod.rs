//! Load: `content/`, `themes/<site theme>/` and `static/` → [`SourceSet`].
//!
//! The only module that reads the briefing's inputs. It produces the file table and raw,
//! as-authored types (`RawDoc`, `RawEntity`, `RawTheme`, `RawAnnotation`) whose fields keep
//! the span they were written at. Malformed files are diagnostics and are skipped; only I/O
//! failures are `Err`. It resolves nothing: slugs, references and quotes are `model`'s job.

mod frontmatter;
mod raw;
pub mod yaml;

use std::io::Read as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Diagnostics, Span, Spanned};
use crate::files::{FileId, Files, SourceFile};

pub use raw::{RawAnnotation, RawDoc, RawEntity, RawIndex, RawLink, RawTheme};

/// Largest content file gloss reads; bigger ones are reported, not loaded.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where a Markdown body lies in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Body {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Body {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    pub fn text<'f>(&self, files: &'f Files) -> &'f str {
        &files.get(self.file).text[self.range()]
    }

    pub fn span(&self) -> Span {
        Span::new(self.file, self.range())
    }
}

/// One template of the site theme: its name as templates refer to it (`page.html`) and text.
#[derive(Clone, Debug)]
pub struct Template {
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

/// A file copied to the output as is: its path relative to the output root.
#[derive(Clone, Debug)]
pub struct StaticFile {
    pub output_path: String,
    pub bytes: Vec<u8>,
}

/// The site theme (the look: templates and assets), as opposed to a briefing theme (a topic).
#[derive(Clone, Debug)]
pub struct SiteTheme {
    pub name: String,
    pub templates: Vec<Template>,
    pub static_files: Vec<StaticFile>,
}

/// Everything read for one build.
#[derive(Debug)]
pub struct SourceSet {
    pub files: Files,
    pub index: Option<RawIndex>,
    pub docs: Vec<RawDoc>,
    pub entities: Vec<RawEntity>,
    pub themes: Vec<RawTheme>,
    pub annotations: Vec<RawAnnotation>,
    pub site_theme: SiteTheme,
    /// Files from the briefing's top-level `static/`, which win over the site theme's.
    pub static_files: Vec<StaticFile>,
    /// Content files that could not be read or parsed (already reported).
    pub unloaded: Unloaded,
}

/// The file stems of sources, entities and themes that failed to load, so references to them
/// are not reported a second time as unknown slugs.
#[derive(Clone, Debug, Default)]
pub struct Unloaded {
    pub docs: std::collections::BTreeSet<String>,
    pub entities: std::collections::BTreeSet<String>,
    pub themes: std::collections::BTreeSet<String>,
    /// True when any content file failed to load: "unused" warnings would be guesses then.
    pub any: bool,
}

impl Unloaded {
    fn note(&mut self, kind: Kind, path: &Path) {
        self.any = true;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match kind {
            Kind::Doc => self.docs.insert(stem),
            Kind::Entity => self.entities.insert(stem),
            Kind::Theme => self.themes.insert(stem),
            _ => false,
        };
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Index,
    Doc,
    Entity,
    Theme,
    AnnotationYaml,
    AnnotationMarkdown,
}

fn classify(relative: &Path) -> Option<Kind> {
    let parts: Vec<&str> = relative.iter().filter_map(|p| p.to_str()).collect();
    let extension = relative.extension().and_then(|e| e.to_str()).unwrap_or("");
    match (parts.as_slice(), extension) {
        (["_index.md"], _) => Some(Kind::Index),
        (["sources", _], "md") => Some(Kind::Doc),
        (["entities", _], "md") => Some(Kind::Entity),
        (["themes", _], "md") => Some(Kind::Theme),
        (["annotations", ..], "yaml" | "yml") => Some(Kind::AnnotationYaml),
        (["annotations", ..], "md") => Some(Kind::AnnotationMarkdown),
        _ => None,
    }
}

/// Every file under `content_dir` (none when it does not exist), depth first with each folder's
/// entries by name. Which of them are content, and of which kind, is [`content_kind`]'s call.
fn content_files(content_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    if !content_dir.is_dir() {
        return Ok(paths);
    }
    for entry in walkdir::WalkDir::new(content_dir).sort_by(by_path) {
        let entry = entry.with_context(|| format!("reading {}", content_dir.display()))?;
        if entry.file_type().is_file() {
            paths.push(entry.into_path());
        }
    }
    Ok(paths)
}

/// What kind of content the file at `path` under `content_dir` is; `None` for files gloss does
/// not read, hidden ones (a part of the path starts with `.`) included.
fn content_kind(content_dir: &Path, path: &Path) -> Option<Kind> {
    let relative = path
        .strip_prefix(content_dir)
        .expect("walkdir yields paths under its root");
    if relative
        .iter()
        .any(|part| part.to_str().is_some_and(|p| p.starts_with('.')))
    {
        return None;
    }
    classify(relative)
}

/// The path diagnostics show for a file: relative to the briefing's root.
fn display_path(config: &Config, path: &Path) -> PathBuf {
    path.strip_prefix(&config.root)
        .unwrap_or(path)
        .to_path_buf()
}

/// Reads the whole briefing. `files` already holds `site.toml`.
pub fn load(
    config: &Config,
    mut files: Files,
    diagnostics: &mut Diagnostics,
) -> anyhow::Result<SourceSet> {
    let content_dir = config.content_dir();
    // Classifying, reading, checking and indexing the lines of each file happen in parallel;
    // only adding the files to the table (which numbers them) is sequential.
    let read: Vec<(PathBuf, Kind, Result<SourceFile, ReadProblem>)> = content_files(&content_dir)?
        .into_par_iter()
        .filter_map(|path| {
            let kind = content_kind(&content_dir, &path)?;
            let result =
                read_text(&path).map(|text| SourceFile::new(display_path(config, &path), text));
            Some((path, kind, result))
        })
        .collect();

    let mut loaded: Vec<(FileId, Kind)> = Vec::new();
    let mut unloaded = Unloaded::default();
    for (path, kind, result) in read {
        match result {
            Ok(file) => {
                let id = files.add(file);
                loaded.push((id, kind));
            }
            Err(ReadProblem::Io(err)) => {
                return Err(err).with_context(|| format!("reading {}", path.display()));
            }
            Err(problem) => {
                unloaded.note(kind, &path);
                let (text, offset, message, help) = problem.describe();
                let id = files.add(SourceFile::new(display_path(config, &path), text));
                diagnostics.push(
                    Diagnostic::error(Code::InvalidFile, Span::new(id, offset..offset), message)
                        .with_help(help),
                );
            }
        }
    }

    let parsed: Vec<(Parsed, Vec<Diagnostic>)> = loaded
        .par_iter()
        .map(|&(file, kind)| {
            let mut local = Vec::new();
            let parsed = raw::parse(&files, file, kind, &mut local);
            (parsed, local)
        })
        .collect();

    let mut index = None;
    let mut docs = Vec::new();
    let mut entities = Vec::new();
    let mut themes = Vec::new();
    // Sized up front: a large briefing has tens of thousands of annotations, and growing the
    // vector would copy them all again and again.
    let mut annotations = Vec::with_capacity(
        parsed
            .iter()
            .map(|(parsed, _)| match parsed {
                Parsed::Annotations(raws) => raws.len(),
                _ => 0,
            })
            .sum(),
    );
    for ((parsed, local), &(file, kind)) in parsed.into_iter().zip(&loaded) {
        diagnostics.extend(local);
        match parsed {
            Parsed::Index(raw) => index = Some(raw),
            Parsed::Doc(raw) => docs.push(raw),
            Parsed::Entity(raw) => entities.push(raw),
            Parsed::Theme(raw) => themes.push(raw),
            Parsed::Annotations(raws) => annotations.extend(raws),
            Parsed::Nothing => unloaded.note(kind, files.path(file)),
        }
    }

    let site_theme = load_site_theme(config)?;
    let static_files = if config.static_dir().is_dir() {
        read_static(&config.static_dir())?
    } else {
        Vec::new()
    };

    Ok(SourceSet {
        files,
        index,
        docs,
        entities,
        themes,
        annotations,
        site_theme,
        static_files,
        unloaded,
    })
}

/// Whether `path` (under the briefing's root) is an annotation file that [`load`] reads, by its
/// place and name alone (it may no longer exist).
pub fn is_annotation_path(config: &Config, path: &Path) -> bool {
    let content_dir = config.content_dir();
    path.starts_with(&content_dir)
        && matches!(
            content_kind(&content_dir, path),
            Some(Kind::AnnotationYaml | Kind::AnnotationMarkdown)
        )
}

/// Whether `path` (under the briefing's root) is, by its place and name alone, a content file
/// that [`load`] reads. Hidden files, editors' temporary files and formats gloss ignores are
/// not.
pub fn is_content_path(config: &Config, path: &Path) -> bool {
    let content_dir = config.content_dir();
    path.starts_with(&content_dir) && content_kind(&content_dir, path).is_some()
}

/// Reads and parses the one annotation file at `path` exactly as [`load`] does, adding its
/// text to `files` (for `gloss serve`, which reloads only the annotation files that changed).
/// `Ok(None)` when the file is gone; problems with its content are in `diagnostics`, with an
/// empty list of annotations.
pub fn load_annotation_file(
    config: &Config,
    files: &mut Files,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> anyhow::Result<Option<(FileId, Vec<RawAnnotation>)>> {
    let kind = if path.extension().is_some_and(|e| e == "md") {
        Kind::AnnotationMarkdown
    } else {
        Kind::AnnotationYaml
    };
    let file = match read_text(path) {
        Ok(text) => SourceFile::new(display_path(config, path), text),
        Err(ReadProblem::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(ReadProblem::Io(err)) => {
            return Err(err).with_context(|| format!("reading {}", path.display()));
        }
        Err(problem) => {
            let (text, offset, message, help) = problem.describe();
            let id = files.add(SourceFile::new(display_path(config, path), text));
            diagnostics.push(
                Diagnostic::error(Code::InvalidFile, Span::new(id, offset..offset), message)
                    .with_help(help),
            );
            return Ok(Some((id, Vec::new())));
        }
    };
    let id = files.add(file);
    let annotations = match raw::parse(files, id, kind, diagnostics) {
        Parsed::Annotations(annotations) => annotations,
        _ => Vec::new(),
    };
    Ok(Some((id, annotations)))
}

/// Parses `text` as the one annotation file `path` (under `content/annotations/`) exactly as
/// [`load`] parses a file it has read: a path ending in `.md` as a Markdown annotation (front
/// matter plus note), anything else as a YAML annotation file.
///
/// Returns how many annotations parsed and the diagnostics, whose spans point into `text`.
/// For fuzzing (`fuzz/`) and tests: it reads nothing from disk.
pub fn parse_annotation_text(path: &str, text: &str) -> (usize, Vec<Diagnostic>) {
    let kind = if path.ends_with(".md") {
        Kind::AnnotationMarkdown
    } else {
        Kind::AnnotationYaml
    };
    let mut files = Files::default();
    let file = files.add(SourceFile::new(PathBuf::from(path), text.to_owned()));
    let mut diagnostics = Vec::new();
    let n_annotations = match raw::parse(&files, file, kind, &mut diagnostics) {
        Parsed::Annotations(annotations) => annotations.len(),
        _ => 0,
    };
    (n_annotations, diagnostics)
}

/// What one content file turned into.
enum Parsed {
    Index(RawIndex),
    Doc(RawDoc),
    Entity(RawEntity),
    Theme(RawTheme),
    Annotations(Vec<RawAnnotation>),
    Nothing,
}

enum ReadProblem {
    Io(std::io::Error),
    TooLarge(u64),
    NotUtf8 {
        lossy: String,
        offset: usize,
    },
    /// A NUL or other control character that is not white space (the text shows it as a
    /// visible symbol so the diagnostic cannot drive the terminal).
    Control {
        text: String,
        offset: usize,
        character: char,
    },
}

impl ReadProblem {
    fn describe(self) -> (String, usize, String, String) {
        match self {
            ReadProblem::TooLarge(size) => (
                String::new(),
                0,
                format!(
                    "file is {size} bytes, more than the {} MiB gloss reads",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
                "split it into smaller files".to_string(),
            ),
            ReadProblem::NotUtf8 { lossy, offset } => (
                lossy,
                offset,
                "file is not valid UTF-8".to_string(),
                "save it as UTF-8 (the first invalid byte is marked)".to_string(),
            ),
            ReadProblem::Control {
                text,
                offset,
                character: '\0',
            } => (
                text,
                offset,
                "file contains a NUL byte".to_string(),
                "remove the NUL byte; content files must be plain text".to_string(),
            ),
            ReadProblem::Control {
                text,
                offset,
                character,
            } => (
                text,
                offset,
                format!(
                    "file contains the control character U+{:04X}",
                    u32::from(character)
                ),
                "remove it; content files must be plain text (tabs and line breaks are fine)"
                    .to_string(),
            ),
            ReadProblem::Io(_) => unreachable!("I/O errors are returned, not described"),
        }
    }
}

/// Reads a content file as text: size-checked, UTF-8, byte-order mark removed.
fn read_text(path: &Path) -> Result<String, ReadProblem> {
    // One open serves both the size check and the read (`fs::metadata` then `fs::read` would
    // look the path up twice and ask for the size twice).
    let file = std::fs::File::open(path).map_err(ReadProblem::Io)?;
    let size = file.metadata().map_err(ReadProblem::Io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ReadProblem::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    // Read through `&File` with a limit: `File::read_to_end` would ask the system for the size
    // and the position again (two more system calls per file, of thousands). The limit holds a
    // file that grew since it was measured to what the size check allows.
    (&file)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadProblem::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadProblem::TooLarge(bytes.len() as u64));
    }
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
            // The lossy text has replacement characters where invalid bytes were; offsets before
            // the first one are unchanged.
            return Err(ReadProblem::NotUtf8 { lossy, offset });
        }
    };
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if let Some((offset, character)) = first_forbidden_control(&text) {
        return Err(ReadProblem::Control {
            text: text.chars().map(visible_control).collect(),
            offset,
            character,
        });
    }
    Ok(text)
}

/// A control character that has no place in a text file or a web page: everything the HTML
/// standard forbids (C0 and C1 controls, DEL) except the white space tab, line feed, form
/// feed and carriage return.
pub(crate) fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\u{c}' | '\r')
}

/// The first [forbidden control character](is_forbidden_control) in `text` and its byte offset.
///
/// Every content file and every parsed value goes through this, so it tests bytes, 64 at a time
/// without stopping early (which the compiler turns into vector instructions), and looks closer
/// only at a block that may hold one. In UTF-8 the C0 controls and DEL are single bytes, and the
/// C1 controls (U+0080 to U+009F) are the only chars encoded as 0xC2 then 0x80 to 0x9F.
pub(crate) fn first_forbidden_control(text: &str) -> Option<(usize, char)> {
    const BLOCK: usize = 64;
    let bytes = text.as_bytes();
    let mut block_start = 0;
    for block in bytes.chunks(BLOCK) {
        let suspect = block
            .iter()
            .fold(0u8, |any, &byte| any | u8::from(may_start_control(byte)));
        if suspect != 0
            && let Some(offset) = (block_start..block_start + block.len())
                .find(|&at| starts_forbidden_control(bytes, at))
        {
            // A control starts with an ASCII byte or 0xC2, both at a char boundary.
            return text[offset..].chars().next().map(|c| (offset, c));
        }
        block_start += block.len();
    }
    None
}

/// Whether `byte` may start a forbidden control: a C0 control other than white space, DEL, or
/// the lead byte of U+0080 to U+00BF. Written without branches so blocks of bytes test at once.
fn may_start_control(byte: u8) -> bool {
    let c0 = (byte < 0x20) & (byte != b'\t') & (byte != b'\n') & (byte != 0x0c) & (byte != b'\r');
    c0 | (byte == 0x7f) | (byte == 0xc2)
}

/// Whether a forbidden control char starts at byte `at` of UTF-8 `bytes`.
fn starts_forbidden_control(bytes: &[u8], at: usize) -> bool {
    match bytes[at] {
        b'\t' | b'\n' | 0x0c | b'\r' => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => bytes
            .get(at + 1)
            .is_some_and(|next| (0x80..=0x9f).contains(next)),
        _ => false,
    }
}

/// A forbidden control character as a visible symbol (`␛` for ESC), anything else as is.
fn visible_control(c: char) -> char {
    match u32::from(c) {
        code @ 0..=0x1f if is_forbidden_control(c) => {
            char::from_u32(0x2400 + code).expect("control pictures are chars")
        }
        0x7f => '\u{2421}',
        _ if is_forbidden_control(c) => '\u{fffd}',
        _ => c,
    }
}

/// Orders the entries of one directory by name, as `sort_by_file_name` does, but by comparing
/// whole paths: siblings share their parent's path, so the order is the same, and comparing
/// paths needs no parsing of their components (thousands of files per folder make that show).
fn by_path(a: &walkdir::DirEntry, b: &walkdir::DirEntry) -> std::cmp::Ordering {
    a.path().as_os_str().cmp(b.path().as_os_str())
}

fn load_site_theme(config: &Config) -> anyhow::Result<SiteTheme> {
    let dir = config.site_theme_dir();
    let templates_dir = dir.join("templates");
    let mut templates = Vec::new();
    if templates_dir.is_dir() {
        for entry in walkdir::WalkDir::new(&templates_dir).sort_by_file_name() {
            let entry = entry.with_context(|| format!("reading {}", templates_dir.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let name = entry
                .path()
                .strip_prefix(&templates_dir)
                .expect("walkdir yields paths under its root")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(entry.path())
                .with_context(|| format!("reading template {}", entry.path().display()))?;
            templates.push(Template {
                name,
                path: entry.path().to_path_buf(),
                text,
            });
        }
    }
    let static_dir = dir.join("static");
    let static_files = if static_dir.is_dir() {
        read_static(&static_dir)?
    } else {
        Vec::new()
    };
    Ok(SiteTheme {
        name: config.site_theme.clone(),
        templates,
        static_files,
    })
}

fn read_static(dir: &Path) -> anyhow::Result<Vec<StaticFile>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir yields paths under its root");
        let Some(output_path) = relative.to_str().map(|p| p.replace('\\', "/")) else {
            anyhow::bail!(
                "static file name is not valid UTF-8: {}",
                entry.path().display()
            );
        };
        let bytes = std::fs::read(entry.path())
            .with_context(|| format!("reading {}", entry.path().display()))?;
        out.push(StaticFile { output_path, bytes });
    }
    Ok(out)
}

/// A value that must be text, with its span, used by raw parsing.
pub(crate) type Text = Spanned<String>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition [`first_forbidden_control`] must agree with, one char at a time.
    fn first_forbidden_control_by_chars(text: &str) -> Option<(usize, char)> {
        text.char_indices().find(|&(_, c)| is_forbidden_control(c))
    }

    #[test]
    fn finds_the_same_control_characters_as_a_char_by_char_search() {
        let padding = "x".repeat(61);
        let texts = [
            String::new(),
            "plain text, tabs\tand line ends\r\n and a form feed \u{c}".to_string(),
            "£ é ’ \u{a0} \u{a0}\u{bf} \u{100} 😀".to_string(),
            "NUL \0".to_string(),
            "ESC \u{1b}[31m".to_string(),
            "DEL \u{7f}".to_string(),
            "NEL \u{85} and APC \u{9f}".to_string(),
            "\u{80}".to_string(),
            // Around the 64-byte blocks: a control as the last and first byte of a block, and a
            // C1 control and a harmless two-byte char straddling the boundary.
            format!("{padding}ab\u{1}"),
            format!("{padding}abc\u{1}"),
            format!("{padding}ab\u{85}"),
            format!("{padding}ab\u{a3}z"),
            format!("{padding}{padding}{padding}ok \u{9f}"),
        ];
        for text in &texts {
            assert_eq!(
                first_forbidden_control(text),
                first_forbidden_control_by_chars(text),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn control_search_agrees_with_chars(text in "(\\PC|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{a0}-\\u{ff}]){0,200}") {
            proptest::prop_assert_eq!(
                first_forbidden_control(&text),
                first_forbidden_control_by_chars(&text)
            );
        }
    }

    #[test]
    fn walks_a_folder_in_the_order_of_sort_by_file_name() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let names = [
            "a",
            "a.md",
            "a-b.md",
            "a b.md",
            "B.md",
            "_index.md",
            "é.md",
            "z",
            "a0",
            "ab",
        ];
        for name in names {
            std::fs::write(dir.path().join(name), "")?;
        }
        std::fs::create_dir(dir.path().join("a.d"))?;
        std::fs::write(dir.path().join("a.d").join("x.md"), "")?;
        let walk = |walker: walkdir::WalkDir| -> Vec<PathBuf> {
            walker
                .into_iter()
                .filter_map(Result::ok)
                .map(|entry| entry.into_path())
                .collect()
        };
        assert_eq!(
            walk(walkdir::WalkDir::new(dir.path()).sort_by(by_path)),
            walk(walkdir::WalkDir::new(dir.path()).sort_by_file_name())
        );
        Ok(())
    }

    #[test]
    fn reads_text_without_its_byte_order_mark() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.md");
        std::fs::write(&path, "\u{feff}---\ntitle: A\n---\n")?;
        assert!(matches!(read_text(&path), Ok(text) if text == "---\ntitle: A\n---\n"));
        std::fs::write(&path, "\u{feff}\u{feff}x")?;
        assert!(matches!(read_text(&path), Ok(text) if text == "\u{feff}x"));
        Ok(())
    }
}
