//! Raw, as-authored content types and their parsing from front matter and YAML files.
//!
//! Each raw type mirrors one kind of content file; every field keeps its span. YAML that is
//! plain ([`yaml::plain_tree`]) and has only the keys and value shapes its kind allows becomes a
//! raw type straight from its tree (`plain_*`); anything else goes through private `Yaml*`
//! shapes that `serde` fills (unknown keys rejected), which reports what is wrong. Tests hold the
//! two readings to the same values and spans.

use std::sync::Arc;

use serde::Deserialize;

use super::yaml::{self, Place, Plain, Yaml};
use super::{Body, Kind, Parsed, Text, frontmatter};
use crate::diagnostics::{Code, Diagnostic, Span, Spanned};
use crate::files::{FileId, Files};

/// `content/_index.md`: the front page.
#[derive(Clone, Debug)]
pub struct RawIndex {
    pub file: FileId,
    pub title: Option<Text>,
    pub summary: Option<Text>,
    pub body: Body,
}

/// `content/sources/<stem>.md`: a source document.
#[derive(Clone, Debug)]
pub struct RawDoc {
    pub file: FileId,
    pub stem: String,
    pub title: Text,
    pub publisher: Option<Text>,
    pub author: Option<Text>,
    pub date: Option<Text>,
    pub url: Option<Text>,
    pub summary: Option<Text>,
    pub slug: Option<Text>,
    pub draft: Option<Spanned<bool>>,
    pub body: Body,
}

/// `content/entities/<stem>.md`: a company, person, product and so on.
#[derive(Clone, Debug)]
pub struct RawEntity {
    pub file: FileId,
    pub stem: String,
    pub name: Text,
    pub kind: Option<Text>,
    pub aliases: Vec<Text>,
    pub url: Option<Text>,
    pub slug: Option<Text>,
    pub body: Body,
}

/// `content/themes/<stem>.md`: a briefing theme (a topic), not the site's look.
#[derive(Clone, Debug)]
pub struct RawTheme {
    pub file: FileId,
    pub stem: String,
    pub title: Text,
    pub slug: Option<Text>,
    pub order: Option<Spanned<i64>>,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub struct RawLink {
    pub title: Text,
    pub url: Text,
}

/// One annotation, from a YAML list item or a Markdown annotation file.
#[derive(Clone, Debug)]
pub struct RawAnnotation {
    pub file: FileId,
    /// The whole item (YAML) or front matter (Markdown), for problems with the annotation as such.
    pub span: Span,
    pub source: Text,
    pub quote: Text,
    // The fields most annotations leave out are boxed: an absent one then takes 8 bytes, not
    // 48, and a briefing can hold a hundred thousand raw annotations at once.
    pub prefix: Option<Box<Text>>,
    pub suffix: Option<Box<Text>>,
    pub id: Option<Text>,
    /// Shared with the briefing's annotation, which keeps it after the raw annotations are
    /// freed (so the two are never held at once).
    pub note: Option<Spanned<Arc<str>>>,
    pub entities: Vec<Text>,
    pub themes: Vec<Text>,
    pub kind: Option<Text>,
    pub status: Option<Box<Text>>,
    pub author: Option<Box<Text>>,
    pub date: Option<Box<Text>>,
    pub links: Vec<RawLink>,
}

/// A text as shared between owners.
fn shared(text: Text) -> Spanned<Arc<str>> {
    Spanned::new(Arc::from(text.value), text.span)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlIndex {
    title: Option<Yaml<String>>,
    summary: Option<Yaml<String>>,
}
const INDEX_KEYS: &[&str] = &["title", "summary"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlDoc {
    title: Yaml<String>,
    publisher: Option<Yaml<String>>,
    author: Option<Yaml<String>>,
    date: Option<Yaml<String>>,
    url: Option<Yaml<String>>,
    summary: Option<Yaml<String>>,
    slug: Option<Yaml<String>>,
    draft: Option<Yaml<bool>>,
}
const DOC_KEYS: &[&str] = &[
    "title",
    "publisher",
    "author",
    "date",
    "url",
    "summary",
    "slug",
    "draft",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlEntity {
    name: Yaml<String>,
    kind: Option<Yaml<String>>,
    aliases: Option<Vec<Yaml<String>>>,
    url: Option<Yaml<String>>,
    slug: Option<Yaml<String>>,
}
const ENTITY_KEYS: &[&str] = &["name", "kind", "aliases", "url", "slug"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlTheme {
    title: Yaml<String>,
    slug: Option<Yaml<String>>,
    order: Option<Yaml<i64>>,
}
const THEME_KEYS: &[&str] = &["title", "slug", "order"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlAnnotationFile {
    source: Yaml<String>,
    annotations: Yaml<Vec<Yaml<YamlAnnotationItem>>>,
}
const ANNOTATION_FILE_KEYS: &[&str] = &["source", "annotations"];

/// One annotation of an annotation file. [`plain_annotation`] reads the same keys from a plain
/// file: a key added here and not there only sends files that use it to serde.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlAnnotationItem {
    quote: Yaml<String>,
    prefix: Option<Yaml<String>>,
    suffix: Option<Yaml<String>>,
    id: Option<Yaml<String>>,
    note: Option<Yaml<String>>,
    entities: Option<Vec<Yaml<String>>>,
    themes: Option<Vec<Yaml<String>>>,
    kind: Option<Yaml<String>>,
    status: Option<Yaml<String>>,
    author: Option<Yaml<String>>,
    date: Option<Yaml<String>>,
    links: Option<Vec<YamlLink>>,
}

/// The front matter of a Markdown annotation file: the item's keys plus `source`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlAnnotationFrontMatter {
    source: Yaml<String>,
    quote: Yaml<String>,
    prefix: Option<Yaml<String>>,
    suffix: Option<Yaml<String>>,
    id: Option<Yaml<String>>,
    note: Option<Yaml<String>>,
    entities: Option<Vec<Yaml<String>>>,
    themes: Option<Vec<Yaml<String>>>,
    kind: Option<Yaml<String>>,
    status: Option<Yaml<String>>,
    author: Option<Yaml<String>>,
    date: Option<Yaml<String>>,
    links: Option<Vec<YamlLink>>,
}
const ANNOTATION_KEYS: &[&str] = &[
    "source", "quote", "prefix", "suffix", "id", "note", "entities", "themes", "kind", "status",
    "author", "date", "links",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlLink {
    title: Yaml<String>,
    url: Yaml<String>,
}

pub(super) fn parse(
    files: &Files,
    file: FileId,
    kind: Kind,
    diagnostics: &mut Vec<Diagnostic>,
) -> Parsed {
    let result = match kind {
        Kind::Index => parse_index(files, file).map(Parsed::Index),
        Kind::Doc => parse_doc(files, file).map(Parsed::Doc),
        Kind::Entity => parse_entity(files, file).map(Parsed::Entity),
        Kind::Theme => parse_theme(files, file).map(Parsed::Theme),
        Kind::AnnotationYaml => {
            parse_annotation_yaml(files, file, diagnostics).map(Parsed::Annotations)
        }
        Kind::AnnotationMarkdown => {
            parse_annotation_markdown(files, file).map(|a| Parsed::Annotations(vec![a]))
        }
    };
    match result {
        Ok(parsed) => {
            report_control_characters(&parsed, diagnostics);
            report_deep_nesting(files, &parsed, diagnostics);
            parsed
        }
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            Parsed::Nothing
        }
    }
}

/// YAML escapes (`"\e"`, `"\x07"`, `"\u0085"`) can put control characters into a value that
/// the file-level check cannot see; they would reach pages (where HTML forbids them) and
/// terminals. Each is an error at its value.
fn report_control_characters(parsed: &Parsed, diagnostics: &mut Vec<Diagnostic>) {
    let mut texts: Vec<&Text> = Vec::new();
    match parsed {
        Parsed::Index(index) => texts.extend(index.title.iter().chain(&index.summary)),
        Parsed::Doc(doc) => {
            texts.push(&doc.title);
            texts.extend(
                [
                    &doc.publisher,
                    &doc.author,
                    &doc.date,
                    &doc.url,
                    &doc.summary,
                    &doc.slug,
                ]
                .into_iter()
                .flatten(),
            );
        }
        Parsed::Entity(entity) => {
            texts.push(&entity.name);
            texts.extend(
                [&entity.kind, &entity.url, &entity.slug]
                    .into_iter()
                    .flatten(),
            );
            texts.extend(&entity.aliases);
        }
        Parsed::Theme(theme) => {
            texts.push(&theme.title);
            texts.extend(&theme.slug);
        }
        Parsed::Annotations(annotations) => {
            for annotation in annotations {
                texts.push(&annotation.quote);
                texts.extend(
                    [
                        annotation.prefix.as_deref(),
                        annotation.suffix.as_deref(),
                        annotation.id.as_ref(),
                        annotation.kind.as_ref(),
                        annotation.status.as_deref(),
                        annotation.author.as_deref(),
                        annotation.date.as_deref(),
                    ]
                    .into_iter()
                    .flatten(),
                );
                texts.extend(annotation.entities.iter().chain(&annotation.themes));
                for link in &annotation.links {
                    texts.extend([&link.title, &link.url]);
                }
            }
            // Every annotation of a file names the same `source`; check it once.
            texts.extend(annotations.first().map(|a| &a.source));
        }
        Parsed::Nothing => {}
    }
    let annotations: &[RawAnnotation] = match parsed {
        Parsed::Annotations(annotations) => annotations,
        _ => &[],
    };
    let notes = annotations.iter().filter_map(|a| a.note.as_ref());
    let texts = (texts
        .into_iter()
        .map(|text| (text.value.as_str(), text.span)))
    .chain(notes.map(|note| (&*note.value, note.span)));
    for (text, span) in texts {
        if let Some((_, character)) = super::first_forbidden_control(text) {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span,
                    format!(
                        "the value holds the control character U+{:04X}",
                        u32::from(character)
                    ),
                )
                .with_help("remove the escape that makes it (such as `\\e`, `\\a` or `\\x07`)"),
            );
        }
    }
}

/// The deepest nesting of Markdown (block quotes, lists, emphasis, links) and raw HTML elements
/// gloss renders. Briefings use a handful of levels; the HTML parser of the sanitiser slows
/// down quadratically with depth (100,000 nested `>` would take many minutes), so deeper
/// Markdown is an error rather than a build that never ends.
pub const MAX_MARKDOWN_NESTING: usize = 100;

/// Reports each Markdown body and note nested deeper than [`MAX_MARKDOWN_NESTING`].
fn report_deep_nesting(files: &Files, parsed: &Parsed, diagnostics: &mut Vec<Diagnostic>) {
    let mut bodies: Vec<Body> = Vec::new();
    let mut notes: Vec<&Spanned<Arc<str>>> = Vec::new();
    match parsed {
        Parsed::Index(index) => bodies.push(index.body),
        Parsed::Doc(doc) => bodies.push(doc.body),
        Parsed::Entity(entity) => bodies.push(entity.body),
        Parsed::Theme(theme) => bodies.push(theme.body),
        Parsed::Annotations(annotations) => {
            notes.extend(annotations.iter().filter_map(|a| a.note.as_ref()))
        }
        Parsed::Nothing => {}
    }
    let message = format!(
        "Markdown nested more than {MAX_MARKDOWN_NESTING} levels deep (block quotes, lists, emphasis, links and HTML elements count)"
    );
    let help = "flatten the nesting; no briefing needs that many levels";
    for body in bodies {
        if let Some(offset) = too_deep(body.text(files)) {
            let at = body.start + offset;
            diagnostics.push(
                Diagnostic::error(Code::InvalidFile, Span::new(body.file, at..at), &message)
                    .with_help(help),
            );
        }
    }
    for note in notes {
        if too_deep(&note.value).is_some() {
            diagnostics
                .push(Diagnostic::error(Code::InvalidValue, note.span, &message).with_help(help));
        }
    }
}

/// Where `markdown` first nests deeper than [`MAX_MARKDOWN_NESTING`], as a byte offset.
fn too_deep(markdown: &str) -> Option<usize> {
    use pulldown_cmark::{Event, Parser};
    // Most notes are prose that cannot nest at all; they need not be parsed.
    if !may_nest(markdown) {
        return None;
    }
    let mut depth = 0usize;
    let mut open_html: Vec<String> = Vec::new();
    let events = Parser::new_ext(markdown, crate::anchor::text::markdown_options());
    for (event, range) in events.into_offset_iter() {
        match event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Html(html) | Event::InlineHtml(html) => {
                open_html_elements(&html, &mut open_html)
            }
            _ => {}
        }
        if depth + open_html.len() > MAX_MARKDOWN_NESTING {
            return Some(range.start);
        }
    }
    None
}

/// Whether `markdown` may hold anything nested beyond its paragraphs: every block or inline
/// element but paragraphs and indented code (which hold no others) starts with one of these
/// characters (headings `#` and `=`/`-` underlines, block quotes `>`, list items `-`, `+`, `*`
/// and `1.`/`1)`, fences, tables `|`, emphasis `*`/`_`, strikethrough `~`, links and images
/// `[`/`!`, HTML and autolinks `<`). Text without any of them nests one level deep at most
/// (a test checks it with the Markdown parser).
fn may_nest(markdown: &str) -> bool {
    let bytes = markdown.as_bytes();
    bytes.iter().enumerate().any(|(index, &byte)| match byte {
        b'#' | b'=' | b'-' | b'>' | b'+' | b'*' | b'_' | b'~' | b'`' | b'|' | b'[' | b'!'
        | b'<' => true,
        b'.' | b')' => index > 0 && bytes[index - 1].is_ascii_digit(),
        _ => false,
    })
}

/// Follows the elements raw HTML opens and closes, roughly as an HTML parser would: void
/// elements open nothing, and a `<p>` (`<li>`, ...) closes the open one before it.
fn open_html_elements(html: &str, open: &mut Vec<String>) {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    ];
    const SELF_CLOSING_SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "option", "tr", "td", "th"];
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() {
            continue;
        }
        if closing {
            if let Some(index) = open.iter().rposition(|element| *element == name) {
                open.truncate(index);
            }
            continue;
        }
        let tag_end = rest.find('>').unwrap_or(rest.len());
        if VOID.contains(&name.as_str()) || rest[..tag_end].ends_with('/') {
            continue;
        }
        if SELF_CLOSING_SIBLINGS.contains(&name.as_str())
            && let Some(index) = open.iter().rposition(|element| *element == name)
        {
            open.truncate(index);
        }
        open.push(name);
        if open.len() > MAX_MARKDOWN_NESTING {
            return;
        }
    }
}

fn stem(files: &Files, file: FileId) -> String {
    files
        .path(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Splits a Markdown file: where its front matter is (`None` when it has none and need not),
/// and its body.
fn front_matter_place<'f>(
    files: &'f Files,
    file: FileId,
    what: &str,
    keys: &[&str],
    required: bool,
) -> Result<(Option<Place<'f>>, Body), Diagnostic> {
    let text = files.get(file).text.as_str();
    let split = frontmatter::split(text).map_err(|unclosed| {
        Diagnostic::error(
            Code::FrontMatter,
            Span::new(file, unclosed.opening),
            "front matter is not closed",
        )
        .with_help("end the front matter with a line holding only `---`")
    })?;
    let body = Body {
        file,
        start: split.body.start,
        end: split.body.end,
    };
    let Some(range) = split.front_matter else {
        if required {
            return Err(Diagnostic::error(
                Code::FrontMatter,
                Span::file_start(file),
                format!("{what} has no front matter"),
            )
            .with_help(format!(
                "start the file with a `---` line, the keys (at least `{}: ...`), then another `---` line",
                keys.first().copied().unwrap_or("title")
            )));
        }
        return Ok((None, body));
    };
    let place = Place {
        file,
        offset: range.start,
        yaml: &text[range],
    };
    Ok((Some(place), body))
}

/// The front matter of `file` parsed into `T`, with its place, and the body.
fn front_matter<'f, T: serde::de::DeserializeOwned>(
    files: &'f Files,
    file: FileId,
    what: &str,
    keys: &[&str],
    required: bool,
) -> Result<(Option<(T, Place<'f>)>, Body), Diagnostic> {
    let (place, body) = front_matter_place(files, file, what, keys, required)?;
    let Some(place) = place else {
        return Ok((None, body));
    };
    let value = yaml::parse::<T>(place, what, keys)?;
    Ok((Some((value, place)), body))
}

fn parse_index(files: &Files, file: FileId) -> Result<RawIndex, Diagnostic> {
    let (place, body) = front_matter_place(files, file, "the front page", INDEX_KEYS, false)?;
    let Some(place) = place else {
        return Ok(RawIndex {
            file,
            title: None,
            summary: None,
            body,
        });
    };
    match plain_index(place, body) {
        Some(index) => Ok(index),
        None => serde_index(place, body),
    }
}

/// [`parse_index`] with serde, which reports what is wrong.
fn serde_index(place: Place<'_>, body: Body) -> Result<RawIndex, Diagnostic> {
    let yaml: YamlIndex = yaml::parse(place, "the front page", INDEX_KEYS)?;
    Ok(RawIndex {
        file: place.file,
        title: place.spanned_opt(yaml.title),
        summary: place.spanned_opt(yaml.summary),
        body,
    })
}

fn parse_doc(files: &Files, file: FileId) -> Result<RawDoc, Diagnostic> {
    let (place, body) = front_matter_place(files, file, "a source", DOC_KEYS, true)?;
    let place = place.expect("required front matter is present");
    let stem = stem(files, file);
    match plain_doc(place, &stem, body) {
        Some(doc) => Ok(doc),
        None => serde_doc(place, stem, body),
    }
}

/// [`parse_doc`] with serde, which reports what is wrong.
fn serde_doc(place: Place<'_>, stem: String, body: Body) -> Result<RawDoc, Diagnostic> {
    let yaml: YamlDoc = yaml::parse(place, "a source", DOC_KEYS)?;
    Ok(RawDoc {
        file: place.file,
        stem,
        title: place.spanned(yaml.title),
        publisher: place.spanned_opt(yaml.publisher),
        author: place.spanned_opt(yaml.author),
        date: place.spanned_opt(yaml.date),
        url: place.spanned_opt(yaml.url),
        summary: place.spanned_opt(yaml.summary),
        slug: place.spanned_opt(yaml.slug),
        draft: place.spanned_opt(yaml.draft),
        body,
    })
}

fn parse_entity(files: &Files, file: FileId) -> Result<RawEntity, Diagnostic> {
    let (place, body) = front_matter_place(files, file, "an entity", ENTITY_KEYS, true)?;
    let place = place.expect("required front matter is present");
    let stem = stem(files, file);
    match plain_entity(place, &stem, body) {
        Some(entity) => Ok(entity),
        None => serde_entity(place, stem, body),
    }
}

/// [`parse_entity`] with serde, which reports what is wrong.
fn serde_entity(place: Place<'_>, stem: String, body: Body) -> Result<RawEntity, Diagnostic> {
    let yaml: YamlEntity = yaml::parse(place, "an entity", ENTITY_KEYS)?;
    Ok(RawEntity {
        file: place.file,
        stem,
        name: place.spanned(yaml.name),
        kind: place.spanned_opt(yaml.kind),
        aliases: place.spanned_vec(yaml.aliases),
        url: place.spanned_opt(yaml.url),
        slug: place.spanned_opt(yaml.slug),
        body,
    })
}

fn parse_theme(files: &Files, file: FileId) -> Result<RawTheme, Diagnostic> {
    let (place, body) = front_matter_place(files, file, "a theme", THEME_KEYS, true)?;
    let place = place.expect("required front matter is present");
    let stem = stem(files, file);
    match plain_theme(place, &stem, body) {
        Some(theme) => Ok(theme),
        None => serde_theme(place, stem, body),
    }
}

/// [`parse_theme`] with serde, which reports what is wrong.
fn serde_theme(place: Place<'_>, stem: String, body: Body) -> Result<RawTheme, Diagnostic> {
    let yaml: YamlTheme = yaml::parse(place, "a theme", THEME_KEYS)?;
    Ok(RawTheme {
        file: place.file,
        stem,
        title: place.spanned(yaml.title),
        slug: place.spanned_opt(yaml.slug),
        order: place.spanned_opt(yaml.order),
        body,
    })
}

/// The keys and values of a plain front matter ([`yaml::plain_tree`]); `None` when it is not
/// plain or not keys and values.
fn plain_entries(place: Place<'_>) -> Option<Vec<(Text, Plain)>> {
    match yaml::plain_tree(place)? {
        Plain::Map(_, entries) => Some(entries),
        _ => None,
    }
}

/// A plain value that must be text.
fn plain_text(value: Plain) -> Option<Text> {
    match value {
        Plain::Text(text) => Some(text),
        _ => None,
    }
}

/// A plain value that must be a list of text.
fn plain_texts(value: Plain) -> Option<Vec<Text>> {
    match value {
        Plain::List(_, items) => items.into_iter().map(plain_text).collect(),
        _ => None,
    }
}

/// A plain value that must be `true` or `false`, written so: YAML's other spellings (`yes`,
/// `True`, `on`, ...) are left to serde.
fn plain_bool(value: Plain) -> Option<Spanned<bool>> {
    let text = plain_text(value)?;
    let value = match text.value.as_str() {
        "true" => true,
        "false" => false,
        _ => return None,
    };
    Some(Spanned::new(value, text.span))
}

/// A plain value that must be a whole number, written as decimal digits with an optional `-`
/// and no leading zero: other spellings (`+1`, `0x1f`, `1_000`, `010`) are left to serde.
fn plain_integer(value: Plain) -> Option<Spanned<i64>> {
    let text = plain_text(value)?;
    let digits = text.value.strip_prefix('-').unwrap_or(&text.value);
    let simple = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !simple {
        return None;
    }
    Some(Spanned::new(text.value.parse().ok()?, text.span))
}

/// The front page's front matter read plainly (see [`plain_doc`]).
fn plain_index(place: Place<'_>, body: Body) -> Option<RawIndex> {
    let mut index = RawIndex {
        file: place.file,
        title: None,
        summary: None,
        body,
    };
    for (key, value) in plain_entries(place)? {
        match key.value.as_str() {
            "title" => index.title = Some(plain_text(value)?),
            "summary" => index.summary = Some(plain_text(value)?),
            _ => return None,
        }
    }
    Some(index)
}

/// A source's front matter read from its plain tree ([`yaml::plain_tree`]), when every key is
/// one it may have and every value has the shape it must have: the same `RawDoc`, with the same
/// places, as serde gives (a test compares them). `None` otherwise: serde then reads it and
/// reports what is wrong.
fn plain_doc(place: Place<'_>, stem: &str, body: Body) -> Option<RawDoc> {
    let mut title = None;
    let (mut publisher, mut author, mut date, mut url) = (None, None, None, None);
    let (mut summary, mut slug, mut draft) = (None, None, None);
    for (key, value) in plain_entries(place)? {
        match key.value.as_str() {
            "title" => title = Some(plain_text(value)?),
            "publisher" => publisher = Some(plain_text(value)?),
            "author" => author = Some(plain_text(value)?),
            "date" => date = Some(plain_text(value)?),
            "url" => url = Some(plain_text(value)?),
            "summary" => summary = Some(plain_text(value)?),
            "slug" => slug = Some(plain_text(value)?),
            "draft" => draft = Some(plain_bool(value)?),
            _ => return None,
        }
    }
    Some(RawDoc {
        file: place.file,
        stem: stem.to_string(),
        title: title?,
        publisher,
        author,
        date,
        url,
        summary,
        slug,
        draft,
        body,
    })
}

/// An entity's front matter read plainly (see [`plain_doc`]).
fn plain_entity(place: Place<'_>, stem: &str, body: Body) -> Option<RawEntity> {
    let (mut name, mut kind, mut aliases, mut url, mut slug) = (None, None, None, None, None);
    for (key, value) in plain_entries(place)? {
        match key.value.as_str() {
            "name" => name = Some(plain_text(value)?),
            "kind" => kind = Some(plain_text(value)?),
            "aliases" => aliases = Some(plain_texts(value)?),
            "url" => url = Some(plain_text(value)?),
            "slug" => slug = Some(plain_text(value)?),
            _ => return None,
        }
    }
    Some(RawEntity {
        file: place.file,
        stem: stem.to_string(),
        name: name?,
        kind,
        aliases: aliases.unwrap_or_default(),
        url,
        slug,
        body,
    })
}

/// A theme's front matter read plainly (see [`plain_doc`]).
fn plain_theme(place: Place<'_>, stem: &str, body: Body) -> Option<RawTheme> {
    let (mut title, mut slug, mut order) = (None, None, None);
    for (key, value) in plain_entries(place)? {
        match key.value.as_str() {
            "title" => title = Some(plain_text(value)?),
            "slug" => slug = Some(plain_text(value)?),
            "order" => order = Some(plain_integer(value)?),
            _ => return None,
        }
    }
    Some(RawTheme {
        file: place.file,
        stem: stem.to_string(),
        title: title?,
        slug,
        order,
        body,
    })
}

/// The outline of an annotation file: the source and where each item starts. Items are parsed
/// one by one afterwards, so a mistake in one annotation does not hide the others' problems.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlAnnotationOutline {
    source: Yaml<String>,
    annotations: Yaml<Vec<Yaml<serde::de::IgnoredAny>>>,
}

fn parse_annotation_yaml(
    files: &Files,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<RawAnnotation>, Diagnostic> {
    let text = files.get(file).text.as_str();
    let place = Place {
        file,
        offset: 0,
        yaml: text,
    };
    // The common case, a plain file without mistakes, is read straight from the parser's events.
    if let Some(annotations) = plain_annotation_file(place) {
        return Ok(annotations);
    }
    // Anything else parses in one pass with serde. Only a file that fails is parsed again item
    // by item, so that each mistaken annotation gets its own diagnostic.
    let whole_file_mistake = match yaml::parse::<YamlAnnotationFile>(
        place,
        "an annotation file",
        ANNOTATION_FILE_KEYS,
    ) {
        Ok(whole) => {
            let source = place.spanned(whole.source);
            return Ok(whole
                .annotations
                .value
                .into_iter()
                .map(|item| raw_annotation(place, &source, item))
                .collect());
        }
        Err(diagnostic) => diagnostic,
    };
    let outline: YamlAnnotationOutline =
        yaml::parse(place, "an annotation file", ANNOTATION_FILE_KEYS)?;
    let source = place.spanned(outline.source);
    let starts: Vec<usize> = outline
        .annotations
        .value
        .iter()
        .map(|item| place.span(&item.referenced).start)
        .collect();
    let mut annotations = Vec::with_capacity(starts.len());
    for (index, &start) in starts.iter().enumerate() {
        let end = match starts.get(index + 1) {
            Some(&next) => line_start(text, next),
            None => top_level_end(text, start),
        };
        let line_begin = line_start(text, start);
        let indent = &text[line_begin..start];
        // Re-indent the item's first line as it sits in the file ("  - quote:" becomes
        // "    quote:") so the item parses alone with the spans of the whole file.
        let padded: String;
        let item_place =
            if start > 0 && indent.chars().all(|c| c == ' ' || c == '-') && start <= end {
                padded = format!("{}{}", " ".repeat(indent.len()), &text[start..end]);
                Place {
                    file,
                    offset: line_begin,
                    yaml: &padded,
                }
            } else {
                // Flow-style or unusual layouts: the whole file's first mistake is reported.
                return Err(whole_file_mistake);
            };
        match yaml::parse::<YamlAnnotationItem>(item_place, "an annotation", ITEM_KEYS) {
            Ok(item) => annotations.push(raw_annotation_item(item_place, &source, item, start)),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    Ok(annotations)
}

const ITEM_KEYS: &[&str] = &[
    "quote", "prefix", "suffix", "id", "note", "entities", "themes", "kind", "status", "author",
    "date", "links",
];

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0)
}

/// Where the list that holds the item at `start` ends: before the next line that starts a new
/// top-level key, or at the end of the file.
fn top_level_end(text: &str, start: usize) -> usize {
    let mut line = match text[start..].find('\n') {
        Some(i) => start + i + 1,
        None => return text.len(),
    };
    while line < text.len() {
        let first = text[line..].chars().next();
        if first.is_some_and(|c| !c.is_whitespace() && c != '#' && c != '-') {
            return line;
        }
        line = match text[line..].find('\n') {
            Some(i) => line + i + 1,
            None => text.len(),
        };
    }
    text.len()
}

/// An annotation file read from its plain tree ([`yaml::plain_tree`]), when every key is one it
/// may have and every value has the shape it must have: the same annotations, with the same
/// places, as serde gives (a test compares them). `None` otherwise: serde then reads the file and
/// reports what is wrong.
fn plain_annotation_file(place: Place<'_>) -> Option<Vec<RawAnnotation>> {
    let Plain::Map(_, entries) = yaml::plain_tree(place)? else {
        return None;
    };
    let (mut source, mut items) = (None, None);
    for (key, value) in entries {
        match (key.value.as_str(), value) {
            ("source", Plain::Text(text)) => source = Some(text),
            ("annotations", Plain::List(_, list)) => items = Some(list),
            _ => return None,
        }
    }
    let source = source?;
    items?
        .into_iter()
        .map(|item| plain_annotation(place, Some(&source), item))
        .collect()
}

/// One annotation from its plain keys and values; `source` is the file's, or `None` when the
/// keys must name it (a Markdown annotation's front matter).
fn plain_annotation(place: Place<'_>, source: Option<&Text>, item: Plain) -> Option<RawAnnotation> {
    let Plain::Map(span, entries) = item else {
        return None;
    };
    let mut own_source = None;
    let (text, texts) = (plain_text, plain_texts);
    let mut quote = None;
    let mut raw = RawAnnotation {
        file: place.file,
        span: Span::new(place.file, span.start..span.start),
        source: Spanned::new(String::new(), span),
        quote: Spanned::new(String::new(), span),
        prefix: None,
        suffix: None,
        id: None,
        note: None,
        entities: Vec::new(),
        themes: Vec::new(),
        kind: None,
        status: None,
        author: None,
        date: None,
        links: Vec::new(),
    };
    for (key, value) in entries {
        match key.value.as_str() {
            "source" if source.is_none() => own_source = Some(text(value)?),
            "quote" => quote = Some(text(value)?),
            "prefix" => raw.prefix = Some(Box::new(text(value)?)),
            "suffix" => raw.suffix = Some(Box::new(text(value)?)),
            "id" => raw.id = Some(text(value)?),
            "note" => raw.note = Some(shared(text(value)?)),
            "entities" => raw.entities = texts(value)?,
            "themes" => raw.themes = texts(value)?,
            "kind" => raw.kind = Some(text(value)?),
            "status" => raw.status = Some(Box::new(text(value)?)),
            "author" => raw.author = Some(Box::new(text(value)?)),
            "date" => raw.date = Some(Box::new(text(value)?)),
            "links" => raw.links = plain_links(value)?,
            _ => return None,
        }
    }
    raw.quote = quote?;
    raw.source = match source {
        Some(source) => source.clone(),
        None => own_source?,
    };
    Some(raw)
}

/// A Markdown annotation read plainly (see [`plain_annotation_file`]): its front matter's keys,
/// and its body as the note. `None` for anything else, a note given twice included.
fn plain_annotation_markdown(
    files: &Files,
    place: Place<'_>,
    body: &Body,
) -> Option<RawAnnotation> {
    let mut raw = plain_annotation(place, None, yaml::plain_tree(place)?)?;
    raw.span = Span::new(place.file, place.offset..place.offset + place.yaml.len());
    if let Some(note) = body_note(files, body) {
        if raw.note.is_some() {
            return None;
        }
        raw.note = Some(shared(note));
    }
    Some(raw)
}

/// The body of a Markdown annotation as its note; `None` when it is blank.
fn body_note(files: &Files, body: &Body) -> Option<Text> {
    let text = body.text(files);
    // The note leaves gloss as text too (annotations.jsonld): give it the line endings a YAML
    // note has, so a CRLF file exports the same note as its LF twin.
    (!text.trim().is_empty()).then(|| Spanned::new(text.replace("\r\n", "\n"), body.span()))
}

fn plain_links(value: Plain) -> Option<Vec<RawLink>> {
    let Plain::List(_, items) = value else {
        return None;
    };
    items
        .into_iter()
        .map(|item| {
            let Plain::Map(_, entries) = item else {
                return None;
            };
            let (mut title, mut url) = (None, None);
            for (key, value) in entries {
                let Plain::Text(text) = value else {
                    return None;
                };
                match key.value.as_str() {
                    "title" => title = Some(text),
                    "url" => url = Some(text),
                    _ => return None,
                }
            }
            Some(RawLink {
                title: title?,
                url: url?,
            })
        })
        .collect()
}

fn raw_annotation(
    place: Place<'_>,
    source: &Text,
    item: Yaml<YamlAnnotationItem>,
) -> RawAnnotation {
    let start = place.span(&item.referenced).start;
    raw_annotation_item(place, source, item.value, start)
}

fn raw_annotation_item(
    place: Place<'_>,
    source: &Text,
    item: YamlAnnotationItem,
    start: usize,
) -> RawAnnotation {
    RawAnnotation {
        file: place.file,
        span: Span::new(place.file, start..start),
        source: source.clone(),
        quote: place.spanned(item.quote),
        prefix: place.spanned_opt(item.prefix).map(Box::new),
        suffix: place.spanned_opt(item.suffix).map(Box::new),
        id: place.spanned_opt(item.id),
        note: place.spanned_opt(item.note).map(shared),
        entities: place.spanned_vec(item.entities),
        themes: place.spanned_vec(item.themes),
        kind: place.spanned_opt(item.kind),
        status: place.spanned_opt(item.status).map(Box::new),
        author: place.spanned_opt(item.author).map(Box::new),
        date: place.spanned_opt(item.date).map(Box::new),
        links: links(place, item.links),
    }
}

fn parse_annotation_markdown(files: &Files, file: FileId) -> Result<RawAnnotation, Diagnostic> {
    let (place, body) = front_matter_place(files, file, "an annotation", ANNOTATION_KEYS, true)?;
    if let Some(raw) = place.and_then(|place| plain_annotation_markdown(files, place, &body)) {
        return Ok(raw);
    }
    serde_annotation_markdown(files, file)
}

/// [`parse_annotation_markdown`] with serde, which reports what is wrong.
fn serde_annotation_markdown(files: &Files, file: FileId) -> Result<RawAnnotation, Diagnostic> {
    let (parsed, body) = front_matter::<YamlAnnotationFrontMatter>(
        files,
        file,
        "an annotation",
        ANNOTATION_KEYS,
        true,
    )?;
    let (yaml, place) = parsed.expect("required front matter is present");
    let note_in_front_matter = place.spanned_opt(yaml.note);
    let note = match (body_note(files, &body), note_in_front_matter) {
        (None, note) => note,
        (Some(_), Some(duplicate)) => {
            return Err(Diagnostic::error(
                Code::InvalidValue,
                duplicate.span,
                "the note is given twice: as `note:` and as the file's body",
            )
            .with_help("keep the note in the body and remove the `note:` key"));
        }
        (Some(note), None) => Some(note),
    }
    .map(shared);
    Ok(RawAnnotation {
        file,
        span: Span::new(file, place.offset..place.offset + place.yaml.len()),
        source: place.spanned(yaml.source),
        quote: place.spanned(yaml.quote),
        prefix: place.spanned_opt(yaml.prefix).map(Box::new),
        suffix: place.spanned_opt(yaml.suffix).map(Box::new),
        id: place.spanned_opt(yaml.id),
        note,
        entities: place.spanned_vec(yaml.entities),
        themes: place.spanned_vec(yaml.themes),
        kind: place.spanned_opt(yaml.kind),
        status: place.spanned_opt(yaml.status).map(Box::new),
        author: place.spanned_opt(yaml.author).map(Box::new),
        date: place.spanned_opt(yaml.date).map(Box::new),
        links: links(place, yaml.links),
    })
}

fn links(place: Place<'_>, links: Option<Vec<YamlLink>>) -> Vec<RawLink> {
    links
        .unwrap_or_default()
        .into_iter()
        .map(|link| RawLink {
            title: place.spanned(link.title),
            url: place.spanned(link.url),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde makes of an annotation file that parses whole.
    fn by_serde(place: Place<'_>) -> Option<Vec<RawAnnotation>> {
        let whole: YamlAnnotationFile =
            yaml::parse(place, "an annotation file", ANNOTATION_FILE_KEYS).ok()?;
        let source = place.spanned(whole.source);
        Some(
            whole
                .annotations
                .value
                .into_iter()
                .map(|item| raw_annotation(place, &source, item))
                .collect(),
        )
    }

    /// The plain reading gives what serde gives, or nothing.
    fn agree(yaml: &str) -> Result<Option<usize>, TestCaseError> {
        let mut files = Files::default();
        let file = files.add(crate::files::SourceFile::new(
            "a.yaml".into(),
            yaml.to_string(),
        ));
        let place = Place {
            file,
            offset: 0,
            yaml,
        };
        let plain = plain_annotation_file(place);
        if let Some(plain) = &plain {
            let serde = by_serde(place);
            prop_assert!(serde.is_some(), "read plainly, refused by serde:\n{yaml}");
            prop_assert_eq!(
                format!("{plain:?}"),
                format!("{serde:?}")
                    .replacen("Some(", "", 1)
                    .strip_suffix(')')
                    .unwrap_or_default()
                    .to_string(),
                "{}",
                yaml
            );
        }
        Ok(plain.map(|p| p.len()))
    }

    /// The same for a Markdown annotation: whether it was read plainly.
    fn agree_markdown(text: &str) -> Result<bool, TestCaseError> {
        let mut files = Files::default();
        let file = files.add(crate::files::SourceFile::new(
            "a.md".into(),
            text.to_string(),
        ));
        let Ok((Some(place), body)) = front_matter_place(&files, file, "an annotation", &[], true)
        else {
            return Ok(false);
        };
        let Some(plain) = plain_annotation_markdown(&files, place, &body) else {
            return Ok(false);
        };
        let serde = serde_annotation_markdown(&files, file);
        prop_assert!(serde.is_ok(), "read plainly, refused by serde:\n{text}");
        prop_assert_eq!(
            format!("{plain:?}"),
            format!("{:?}", serde.ok())
                .replacen("Some(", "", 1)
                .strip_suffix(')')
                .unwrap_or_default()
                .to_string(),
            "{}",
            text
        );
        Ok(true)
    }

    #[test]
    fn the_files_of_the_seed_briefing_and_the_fixtures_read_plainly_as_serde_reads_them() {
        let (mut n_plain, mut n_front_matter_plain) = (0, 0);
        for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/content"))
            .into_iter()
            .chain(walkdir::WalkDir::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures"
            )))
            .filter_map(Result::ok)
        {
            let path = entry.path();
            let annotations = path.components().any(|c| c.as_os_str() == "annotations");
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            if !annotations {
                if path.extension().is_some_and(|e| e == "md") {
                    n_front_matter_plain += agree_front_matter_of(&text)
                        .expect("agree")
                        .iter()
                        .filter(|&&plain| plain)
                        .count();
                }
                continue;
            }
            if path.extension().is_some_and(|e| e == "md") {
                n_plain += usize::from(agree_markdown(&text).expect("agree"));
            } else if path.extension().is_some_and(|e| e == "yaml") {
                n_plain += usize::from(agree(&text).expect("agree").is_some());
            }
        }
        // The common case must take the plain path, or it saves nothing.
        assert!(n_plain >= 10, "only {n_plain} files read plainly");
        assert!(
            n_front_matter_plain >= 10,
            "only {n_front_matter_plain} front matters read plainly"
        );
    }

    /// A plain reading and serde's of the same front matter agree, when there is a plain one.
    fn same<T: std::fmt::Debug>(
        plain: Option<T>,
        serde: impl FnOnce() -> Result<T, Diagnostic>,
        text: &str,
    ) -> Result<bool, TestCaseError> {
        let Some(plain) = plain else {
            return Ok(false);
        };
        let serde = serde();
        prop_assert!(serde.is_ok(), "read plainly, refused by serde:\n{}", text);
        prop_assert_eq!(
            format!("{plain:?}"),
            format!("{:?}", serde.ok())
                .replacen("Some(", "", 1)
                .strip_suffix(')')
                .unwrap_or_default()
                .to_string(),
            "{}",
            text
        );
        Ok(true)
    }

    /// Whether the front matter of the Markdown file `text` reads plainly as a source, an
    /// entity, a theme and the front page, each checked against what serde reads.
    fn agree_front_matter_of(text: &str) -> Result<[bool; 4], TestCaseError> {
        let mut files = Files::default();
        let file = files.add(crate::files::SourceFile::new(
            "a.md".into(),
            text.to_string(),
        ));
        let Ok((Some(place), body)) = front_matter_place(&files, file, "a source", &[], true)
        else {
            return Ok([false; 4]);
        };
        let stem = "a";
        Ok([
            same(
                plain_doc(place, stem, body),
                || serde_doc(place, stem.to_string(), body),
                text,
            )?,
            same(
                plain_entity(place, stem, body),
                || serde_entity(place, stem.to_string(), body),
                text,
            )?,
            same(
                plain_theme(place, stem, body),
                || serde_theme(place, stem.to_string(), body),
                text,
            )?,
            same(plain_index(place, body), || serde_index(place, body), text)?,
        ])
    }

    /// The same for front matter `yaml`, in a file with a body.
    fn agree_front_matter(yaml: &str) -> Result<[bool; 4], TestCaseError> {
        agree_front_matter_of(&format!("---\n{yaml}---\n\nThe body.\n"))
    }

    #[test]
    fn typical_front_matter_reads_plainly() {
        let check = |yaml: &str, expected: [bool; 4]| {
            assert_eq!(agree_front_matter(yaml).expect("agree"), expected, "{yaml}");
            let crlf = yaml.replace('\n', "\r\n");
            assert_eq!(
                agree_front_matter(&crlf).expect("agree"),
                expected,
                "{crlf}"
            );
        };
        check(
            "title: \"Ad sales boost Time Warner profit\"\npublisher: \"BBC News\"\ndate: 2004-09-06\nsummary: \"Profits jumped 76% to $1.13bn (\u{a3}600m).\"\ndraft: false\n",
            [true, false, false, false],
        );
        check(
            "title: Ad sales\nurl: https://example.org/a\ndate: '2005-01-02'\nslug: ad-sales\n",
            [true, false, false, false],
        );
        check(
            "name: Academy Award\nkind: person\naliases:\n- Award\n- \"The Oscars\"\n",
            [false, true, false, false],
        );
        check(
            "title: \"Business\"\norder: 0\n",
            [false, false, true, false],
        );
        check(
            "title: Home\nsummary: A briefing.\n",
            [true, false, false, true],
        );
        // Values YAML may type otherwise, and keys a kind may not have, are left to serde.
        check("title: a\ndraft: yes\n", [false, false, false, false]);
        check("title: a\norder: 010\n", [false, false, false, false]);
        check("title: ~\n", [false; 4]);
    }

    /// Values YAML may read as another type than text, or not at all.
    const TYPED_VALUES: &[&str] = &[
        "true",
        "false",
        "True",
        "FALSE",
        "yes",
        "no",
        "on",
        "y",
        "'true'",
        "\"false\"",
        "0",
        "1",
        "-3",
        "42",
        "-0",
        "010",
        "+1",
        "0x1f",
        "0o7",
        "1_000",
        "1.5",
        "1e3",
        ".inf",
        "'7'",
        "\"12\"",
        "9223372036854775807",
        "-9223372036854775808",
        "99999999999999999999",
        "2024-03-05",
        "'2024-03-05'",
        "2024-03-05T10:00:00Z",
        "~",
        "null",
        "''",
        "\"\"",
        "[]",
        "[a, b]",
        "{a: b}",
        "- a",
    ];

    fn typed_text() -> impl Strategy<Value = String> {
        prop::sample::select(TYPED_VALUES).prop_map(str::to_string)
    }

    /// The values of `draft` and `order` written most often.
    const USUAL_TYPED_VALUES: &[&str] = &[
        "true", "false", "'false'", "\"true\"", "0", "-3", "42", "'7'", "-0", "010",
    ];

    /// One `key: value` line, or mostly a list for `aliases` (`style` 0: in brackets; 1: items in
    /// the key's column; 2 and 4: indented); `draft` and `order` are mostly given typed values.
    fn front_matter_entry(
        key: &str,
        (text, typed, usual, list, style): (String, &str, &str, Vec<String>, u8),
    ) -> String {
        match (key, style) {
            ("aliases", 0) => format!("{key}: [{}]", list.join(", ")),
            ("aliases", 1 | 2 | 4) => {
                let indent = if style == 1 { "" } else { "  " };
                let items: String = list.iter().map(|v| format!("\n{indent}- {v}")).collect();
                format!("{key}:{items}")
            }
            ("draft" | "order", 1 | 2) => format!("{key}: {usual}"),
            (_, 0) => format!("{key}: {typed}"),
            _ => format!("{key}: {text}"),
        }
    }

    /// Front matter for one kind of file: some of its keys in any order, perhaps one more that
    /// it may not have or has already, values of every type, LF or CRLF line ends.
    fn front_matter_yaml() -> impl Strategy<Value = String> {
        let kinds = prop::sample::select(vec![DOC_KEYS, ENTITY_KEYS, THEME_KEYS, INDEX_KEYS]);
        let value = || {
            (
                scalar(),
                prop::sample::select(TYPED_VALUES),
                prop::sample::select(USUAL_TYPED_VALUES),
                prop::collection::vec(prop_oneof![3 => scalar(), 1 => typed_text()], 0..3),
                0..6u8,
            )
        };
        kinds
            .prop_flat_map(move |keys| {
                (
                    prop::sample::subsequence(keys.to_vec(), 0..=keys.len()).prop_shuffle(),
                    prop::collection::vec(value(), keys.len() + 1),
                    prop::sample::select(vec![
                        None,
                        None,
                        None,
                        None,
                        Some("nope"),
                        Some("title"),
                        Some("name"),
                        Some("aliases"),
                        Some("draft"),
                        Some("order"),
                    ]),
                    any::<bool>(),
                )
            })
            .prop_map(|(mut keys, values, extra, crlf)| {
                keys.extend(extra);
                let mut yaml = String::new();
                for (key, value) in keys.iter().zip(values) {
                    yaml.push_str(&front_matter_entry(key, value));
                    yaml.push('\n');
                }
                if crlf {
                    yaml = yaml.replace('\n', "\r\n");
                }
                yaml
            })
    }

    /// The front matter the property below draws is read plainly often enough, as each kind, to
    /// test the plain reading.
    #[test]
    fn many_drawn_front_matters_read_plainly() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut n_read, n_drawn) = ([0; 4], 2000);
        for _ in 0..n_drawn {
            let yaml = front_matter_yaml()
                .new_tree(&mut runner)
                .expect("front matter")
                .current();
            let read = agree_front_matter(&yaml).expect("agree");
            for (n, read) in n_read.iter_mut().zip(read) {
                *n += usize::from(read);
            }
        }
        assert!(
            n_read.iter().all(|&n| n * 50 > n_drawn),
            "only {n_read:?} of {n_drawn} read"
        );
    }

    #[test]
    fn a_typical_file_reads_plainly() {
        let yaml = "source: a\nannotations:\n  - quote: \"One.\\nTwo.\"\n    kind: note\n    note: >\n      A note\n      folded.\n    entities: [acme, bob]\n    themes:\n      - money\n    date: 2024-05-01\n    links:\n      - title: 'It''s here'\n        url: https://example.org/\n";
        assert_eq!(agree(yaml).expect("agree"), Some(1));
        // Windows line endings and a byte order mark read the same way serde reads them.
        let crlf = yaml.replace('\n', "\r\n");
        assert_eq!(agree(&crlf).expect("agree"), Some(1));
        assert!(
            agree(&format!("\u{feff}{yaml}"))
                .expect("agree")
                .is_some_and(|n| n == 1)
        );
    }

    /// A YAML value written in one of the styles YAML has, with the escapes each needs.
    fn scalar() -> impl Strategy<Value = String> {
        let text = "[a-zA-Z0-9 :#'\"\\\\,.!?{}\\[\\]&*~|>%@`é\t-]{0,12}";
        (text, "[a-zA-Z][a-z0-9 .,-]{0,12}[a-z]", 0..14u8).prop_map(|(text, words, style)| {
            match style {
                0 | 1 => text,
                2 | 3 => words,
                4 | 5 => format!("'{}'", text.replace('\'', "''")),
                6 | 7 => format!(
                    "\"{}\"",
                    text.replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\t', "\\t")
                ),
                8 => format!("|\n      {words}\n      {text}"),
                9 => format!(">-\n      {words}\n\n      {text}"),
                10 => format!("{words} # a comment"),
                // Text over several lines, which folds.
                12 => format!("{words}\n      {words} -\n\n      {words}"),
                13 => format!(
                    "'{words}\n\n      {}\n       {words}'",
                    text.replace('\'', "''")
                ),
                _ => [
                    "~",
                    "null",
                    "",
                    "yes",
                    "12",
                    "2024-01-01",
                    "*a",
                    "&a x",
                    "!!str x",
                ][text.len() % 9]
                    .to_string(),
            }
        })
    }

    fn entry() -> impl Strategy<Value = String> {
        let keys = prop::sample::select(vec![
            "prefix", "suffix", "id", "note", "kind", "status", "author", "date", "entities",
            "entities", "themes", "themes", "links", "links", "quote", "nope",
        ]);
        (
            keys,
            scalar(),
            prop::collection::vec(scalar(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(key, value, list, flow)| match key {
                "entities" | "themes" if flow => format!("{key}: [{}]", list.join(", ")),
                "entities" | "themes" => {
                    let items: String = list.iter().map(|v| format!("\n      - {v}")).collect();
                    format!("{key}:{items}")
                }
                "links" => format!("links:\n      - title: {value}\n        url: {value}"),
                _ => format!("{key}: {value}"),
            })
    }

    /// The deepest nesting of `markdown`, counted as [`too_deep`] counts it.
    fn nesting(markdown: &str) -> usize {
        use pulldown_cmark::{Event, Parser};
        let (mut depth, mut deepest) = (0usize, 0);
        let mut open_html: Vec<String> = Vec::new();
        for event in Parser::new_ext(markdown, crate::anchor::text::markdown_options()) {
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth = depth.saturating_sub(1),
                Event::Html(html) | Event::InlineHtml(html) => {
                    open_html_elements(&html, &mut open_html)
                }
                _ => {}
            }
            deepest = deepest.max(depth + open_html.len());
        }
        deepest
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn text_that_may_not_nest_nests_one_level_at_most(
            markdown in "([a-z0-9 .,:;'\"?()&\\%$@/{}^\n]|    |\\*|- |1\\. |\\[|>|<b>|#){0,40}",
        ) {
            if !may_nest(&markdown) {
                prop_assert!(nesting(&markdown) <= 1, "{:?}", markdown);
            }
        }
    }

    #[test]
    fn notes_nest_as_the_parser_finds() {
        assert!(!may_nest(
            "Annotation 0 on this article: what it says (and why)."
        ));
        assert!(may_nest("1. a"));
        assert_eq!(nesting("> - *a*"), 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        #[test]
        fn a_plain_markdown_annotation_agrees_with_serde(
            source in scalar(),
            quote in scalar(),
            entries in prop::collection::vec(entry(), 0..4),
            body in "[a-z \n\r]{0,8}",
        ) {
            let mut text = format!("---\nsource: {source}\nquote: {quote}\n");
            for entry in &entries {
                text.push_str(&entry.replace("\n    ", "\n"));
                text.push('\n');
            }
            text.push_str("---\n");
            text.push_str(&body);
            agree_markdown(&text)?;
        }

        #[test]
        fn a_plain_reading_agrees_with_serde(
            items in prop::collection::vec((scalar(), prop::collection::vec(entry(), 0..4)), 0..4),
            source in scalar(),
        ) {
            let mut yaml = format!("source: {source}\nannotations:\n");
            for (quote, entries) in &items {
                yaml.push_str(&format!("  - quote: {quote}\n"));
                for entry in entries {
                    yaml.push_str("    ");
                    yaml.push_str(entry);
                    yaml.push('\n');
                }
            }
            agree(&yaml)?;
        }
    }

    proptest! {
        // Cheap cases, and about one in ten is read plainly as each kind.
        #![proptest_config(ProptestConfig::with_cases(8192))]
        #[test]
        fn a_plain_front_matter_agrees_with_serde(yaml in front_matter_yaml()) {
            agree_front_matter(&yaml)?;
        }
    }
}
