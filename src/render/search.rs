//! Search: the full-text index of the briefing, built at build time, and the search page that
//! queries it in the browser.
//!
//! Owns what is searchable, how it can be filtered, how text becomes terms, and the index format
//! (docs/search.md). Input: the [`Briefing`]. Output: one [`SearchRecord`] per source, entity,
//! theme and annotation, built from the model rather than by re-reading rendered pages, each with
//! the filters `type`, `theme` (theme titles) and `entity` (entity names); [`bundle`] turns them
//! into a sharded index of plain JSON files under [`BUNDLE_DIR`] of the `OutputTree`:
//! `meta.json`, term shards keyed by the terms' first characters, record chunks and filter
//! chunks, so that the browser downloads only the shards a query needs.
//! Must not: decide how results look or rank them at query time. That is `search.html` and the
//! site theme's `search.js`, which folds and splits a query exactly as `fold_into` and
//! `for_each_word` do here.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::io::Write;
use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::views::{EntityGroupView, EntityRefView, SearchPage, SearchTypeView, SiteView};
use super::{Emitter, Inputs, Renderer, kind_label};
use crate::anchor::ReaderText;
use crate::files::Files;
use crate::model::{AnnotationId, Briefing, Doc, DocId, Entity, EntityId, EntityKind, ThemeId};

/// Folder of the search index in the output, relative to the site's root. Not `search/`: that
/// folder holds the search page.
pub const BUNDLE_DIR: &str = "search-index/";

/// Version of the index format in `meta.json`; a client refuses an index it does not know.
const FORMAT: u32 = 1;
/// Records per `records/<n>.json` file. The client fetches the chunks of the results it shows,
/// which are often far apart: small chunks (about 7 KiB at BBC scale) keep a page of results to
/// a hundred-odd kilobytes.
const RECORDS_PER_CHUNK: usize = 16;
/// Term shards are keyed by the terms' first two characters; a shard bigger than this is split
/// by the next character, down to [`MAX_SHARD_KEY_CHARS`].
const FIRST_KEY_CHARS: usize = 2;
const MAX_SHARD_KEY_CHARS: usize = 6;
const SHARD_TARGET_BYTES: usize = 32 * 1024;
/// Words are cut to this many characters, here and in the client, so that one long token (a
/// hash, a run-together URL) cannot bloat a shard.
const MAX_TERM_CHARS: usize = 40;
/// How many times a title word counts against a word of the text.
const TITLE_BOOST: u32 = 5;
/// BM25's saturation and length normalisation, and the scale of the stored integer weights
/// (1 to 99).
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;
const WEIGHT_SCALE: f32 = 99.0 / (BM25_K1 + 1.0);
/// The text stored with a record, from which the client cuts an excerpt around the first match:
/// the start of a page's text, and more of an annotation's, its quote and its note, where a
/// reader's word was most likely found.
const TEXT_MAX_CHARS: usize = 240;
const ANNOTATION_TEXT_MAX_CHARS: usize = 600;
/// Record ids per filter file, about: `filters/<name>/<n>.json` holds the values whose hash
/// falls in chunk `n`.
const FILTER_IDS_PER_CHUNK: usize = 8192;
/// The filters whose values live in filter files. `type` is a range of record ids in
/// `meta.json`, as records are stored by type.
const FILTER_NAMES: [&str; 2] = ["theme", "entity"];

/// What a search result is, as the `type` filter names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKind {
    Source,
    Entity,
    Theme,
    Annotation,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Source,
        RecordKind::Entity,
        RecordKind::Theme,
        RecordKind::Annotation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Source => "source",
            RecordKind::Entity => "entity",
            RecordKind::Theme => "theme",
            RecordKind::Annotation => "annotation",
        }
    }

    fn plural_label(self) -> &'static str {
        match self {
            RecordKind::Source => "Sources",
            RecordKind::Entity => "Entities",
            RecordKind::Theme => "Themes",
            RecordKind::Annotation => "Annotations",
        }
    }
}

/// One searchable thing: a page, or an annotation at its place in its source page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRecord {
    /// Where the result leads, from the site's root without the base path
    /// (`/sources/a/#ann-b`); the search page's script puts the base path in front.
    pub url: String,
    /// Its words count more than those of `content`. Shown as the result's link; an annotation's title
    /// is its quote, shown shortened and in quotation marks.
    pub title: String,
    /// The rest of the text that is searched and quoted in excerpts: what a reader sees, not
    /// Markdown.
    pub content: String,
    pub kind: RecordKind,
    pub meta: RecordMeta,
    /// Titles of the themes the record belongs to.
    pub themes: FilterValues,
    /// Names of the entities the record mentions or is tagged with.
    pub entities: FilterValues,
}

/// The values of one filter of a record, in order and each once. Most records have a handful:
/// a sorted `Vec` holds four in 64 bytes, where a `BTreeSet`'s one node takes about 200, which
/// came to 25 MB at 90,000 records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterValues(Vec<Arc<str>>);

impl FilterValues {
    pub fn insert(&mut self, value: Arc<str>) {
        if let Err(at) = self.0.binary_search(&value) {
            self.0.insert(at, value);
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Arc<str>> {
        self.0.iter()
    }
}

impl Extend<Arc<str>> for FilterValues {
    fn extend<I: IntoIterator<Item = Arc<str>>>(&mut self, values: I) {
        for value in values {
            self.insert(value);
        }
    }
}

/// Shown with a result: an entity's kind; an annotation's kind, claim status, number and source.
/// Shared strings, so that the thousands of records cost few allocations to make and to drop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordMeta {
    pub kind: Option<&'static str>,
    pub status: Option<&'static str>,
    pub number: Option<usize>,
    pub source: Option<Arc<str>>,
}

impl SearchRecord {
    fn new(kind: RecordKind, url: String, title: String, content: String) -> Self {
        SearchRecord {
            url,
            title,
            content,
            kind,
            meta: RecordMeta::default(),
            themes: FilterValues::default(),
            entities: FilterValues::default(),
        }
    }
}

/// Every record of the briefing, in a fixed order: sources, entities, themes, then the
/// annotations, by source and in reading order.
pub fn records(briefing: &Briefing<'_>, files: &Files) -> Vec<SearchRecord> {
    let names = Names {
        themes: briefing
            .themes
            .iter()
            .map(|theme| Arc::from(theme.title.as_str()))
            .collect(),
        entities: briefing
            .entities
            .iter()
            .map(|entity| Arc::from(entity.name.as_str()))
            .collect(),
    };
    let source_titles: Vec<Arc<str>> = briefing
        .docs
        .iter()
        .map(|doc| Arc::from(doc.title.as_str()))
        .collect();
    // Each annotation with its source, in the order of their records: by source, in reading
    // order.
    let annotations: Vec<(DocId, AnnotationId)> = briefing
        .docs
        .iter()
        .enumerate()
        .flat_map(|(index, doc)| {
            let id = DocId::from_index(index);
            doc.annotations
                .iter()
                .map(move |&annotation| (id, annotation))
        })
        .collect();
    let mut records = Vec::with_capacity(
        briefing.docs.len() + briefing.entities.len() + briefing.themes.len() + annotations.len(),
    );
    // Each kind in parallel (extracting the text of every note and description is most of the
    // work), made in place at the end of `records`: the records are never held twice.
    records.par_extend(
        briefing
            .docs
            .par_iter()
            .map(|doc| doc_record(briefing, doc, &names)),
    );
    records.par_extend(
        briefing
            .entities
            .par_iter()
            .enumerate()
            .map(|(index, entity)| entity_record(index, entity, files, &names)),
    );
    for (index, theme) in briefing.themes.iter().enumerate() {
        let description = ReaderText::extract(theme.description.text(files)).text;
        let mut record = SearchRecord::new(
            RecordKind::Theme,
            format!("/themes/{}/", theme.slug),
            theme.title.clone(),
            description,
        );
        record.themes.insert(names.themes[index].clone());
        for &annotation in &theme.annotations {
            record.entities.extend(
                briefing
                    .annotation(annotation)
                    .entities
                    .iter()
                    .map(|&e| names.entity(e)),
            );
        }
        records.push(record);
    }
    records.par_extend(annotations.par_iter().map(|&(doc, annotation)| {
        annotation_record(
            briefing,
            briefing.doc(doc),
            annotation,
            &source_titles[doc.index()],
            &names,
        )
    }));
    records
}

/// Theme titles and entity names, shared by the records that name them.
struct Names {
    themes: Vec<Arc<str>>,
    entities: Vec<Arc<str>>,
}

impl Names {
    fn theme(&self, id: ThemeId) -> Arc<str> {
        self.themes[id.index()].clone()
    }

    fn entity(&self, id: EntityId) -> Arc<str> {
        self.entities[id.index()].clone()
    }
}

/// The record of a source: its own text, and the entities and themes of its annotations.
fn doc_record(briefing: &Briefing<'_>, doc: &Doc<'_>, names: &Names) -> SearchRecord {
    let mut content = Vec::new();
    for line in [&doc.publisher, &doc.author, &doc.summary]
        .into_iter()
        .flatten()
    {
        content.push(as_sentence(line));
    }
    content.push(doc.reader.text.clone());
    let mut record = SearchRecord::new(
        RecordKind::Source,
        format!("/sources/{}/", doc.slug),
        doc.title.clone(),
        content.join("\n"),
    );
    for &mention in &doc.mentions {
        record
            .entities
            .insert(names.entity(briefing.mention(mention).entity));
    }
    for &annotation in &doc.annotations {
        let annotation = briefing.annotation(annotation);
        record
            .entities
            .extend(annotation.entities.iter().map(|&e| names.entity(e)));
        record
            .themes
            .extend(annotation.themes.iter().map(|&t| names.theme(t)));
    }
    record
}

/// The record of an annotation of `doc`, whose title is `source_title`.
fn annotation_record(
    briefing: &Briefing<'_>,
    doc: &Doc<'_>,
    id: AnnotationId,
    source_title: &Arc<str>,
    names: &Names,
) -> SearchRecord {
    let annotation = briefing.annotation(id);
    let quote = single_spaced(&doc.reader.text[annotation.range.clone()]);
    let note = annotation
        .note
        .as_ref()
        .map(|note| ReaderText::extract(&note.value).text)
        .unwrap_or_default();
    let mut item = SearchRecord::new(
        RecordKind::Annotation,
        format!("/sources/{}/#ann-{}", doc.slug, annotation.id),
        quote,
        note,
    );
    item.meta = RecordMeta {
        kind: Some(annotation.kind.as_str()),
        status: annotation.status.map(|status| status.as_str()),
        number: Some(annotation.number),
        source: Some(source_title.clone()),
    };
    item.themes
        .extend(annotation.themes.iter().map(|&t| names.theme(t)));
    item.entities
        .extend(annotation.entities.iter().map(|&e| names.entity(e)));
    // An entity named inside the quote is one the annotation is about, tagged or not.
    for &mention in &doc.mentions {
        let mention = briefing.mention(mention);
        if annotation.range.start <= mention.range.start
            && mention.range.end <= annotation.range.end
        {
            item.entities.insert(names.entity(mention.entity));
        }
    }
    item
}

fn entity_record(index: usize, entity: &Entity, files: &Files, names: &Names) -> SearchRecord {
    let description = ReaderText::extract(entity.description.text(files)).text;
    // `aliases` starts with the name itself.
    let content = match entity.aliases.get(1..) {
        Some(others) if !others.is_empty() => {
            format!(
                "{} (also {}).\n{description}",
                entity.name,
                others.join(", ")
            )
        }
        _ => format!("{}.\n{description}", entity.name),
    };
    let mut record = SearchRecord::new(
        RecordKind::Entity,
        format!("/entities/{}/", entity.slug),
        entity.name.clone(),
        content,
    );
    record.meta.kind = Some(entity.kind.as_str());
    record.entities.insert(names.entities[index].clone());
    record
        .themes
        .extend(entity.themes.iter().map(|&(t, _)| names.theme(t)));
    record
}

/// `line` ending in punctuation, so that excerpts read as sentences where a line runs into the
/// text after it.
fn as_sentence(line: &str) -> String {
    let line = line.trim();
    match line.chars().last() {
        Some(last) if last.is_alphanumeric() => format!("{line}."),
        _ => line.to_string(),
    }
}

/// `text` cut at a word boundary to at most about `max_chars` characters, with an ellipsis when
/// something was cut.
fn shorten(text: &str, max_chars: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text.to_string();
    };
    let head = &text[..cut];
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if space > 0 => &head[..space],
        _ => head,
    };
    format!(
        "{}…",
        head.trim_end_matches(|c: char| matches!(c, ',' | ';' | ':' | '.') || c.is_whitespace())
    )
}

/// `parts` joined by spaces, with each run of whitespace as one space, trimmed, and cut at a
/// word boundary to at most about `max_chars` characters with an ellipsis when something was
/// cut: [`shorten`] after [`super::flatten_whitespace`], in one pass that stops at the cut.
/// Stretches that are already single-spaced, most of any text, are copied whole: the text is
/// copied up to one character past `max_chars`, then cut back to the last space.
fn excerpt_text(parts: &[&str], max_chars: usize) -> String {
    let length: usize = parts.iter().map(|part| part.len()).sum();
    let mut out = String::with_capacity(length.min(max_chars.saturating_mul(2)) + 4);
    let mut n_chars = 0;
    for part in parts {
        let mut rest = part.trim_start();
        while !rest.is_empty() {
            if !out.is_empty() {
                out.push(' ');
                n_chars += 1;
            }
            let (run, run_chars) =
                single_spaced_run(rest, max_chars.saturating_add(1).saturating_sub(n_chars));
            out.push_str(run);
            n_chars += run_chars;
            if n_chars > max_chars {
                // `out` has one character too many: keep the words that end before it, or the
                // start of a first word that is too long on its own.
                match out.rfind(' ') {
                    Some(space) => out.truncate(space),
                    None => {
                        out.pop();
                    }
                }
                out.truncate(out.trim_end_matches([',', ';', ':', '.']).len());
                out.push('…');
                return out;
            }
            rest = rest[run.len()..].trim_start();
        }
    }
    out
}

/// `text` with each run of whitespace as one space, trimmed.
fn single_spaced(text: &str) -> String {
    excerpt_text(&[text], usize::MAX)
}

/// The longest start of `text` (which starts with a character that is not whitespace) of at
/// most `max_chars` characters whose whitespace is single ASCII spaces between other
/// characters, and its number of characters.
fn single_spaced_run(text: &str, max_chars: usize) -> (&str, usize) {
    let bytes = text.as_bytes();
    let (mut at, mut n_chars) = (0, 0);
    while n_chars < max_chars {
        // Printable ASCII other than the space, a byte a character: most of the text.
        let room = (max_chars - n_chars).min(bytes.len() - at);
        let printable = bytes[at..at + room]
            .iter()
            .position(|byte| !(0x21..0x7f).contains(byte))
            .unwrap_or(room);
        at += printable;
        n_chars += printable;
        if n_chars == max_chars {
            break;
        }
        let Some(&byte) = bytes.get(at) else {
            break;
        };
        let width = if byte == b' ' {
            // A space stays when a character that is not whitespace follows it.
            match bytes.get(at + 1) {
                Some(&next) if next.is_ascii() && is_ascii_whitespace(next) => break,
                Some(&next) if !next.is_ascii() && char_at(text, at + 1).is_whitespace() => break,
                Some(_) => 1,
                None => break,
            }
        } else if byte.is_ascii() {
            if is_ascii_whitespace(byte) {
                break;
            }
            1
        } else {
            let c = char_at(text, at);
            if c.is_whitespace() {
                break;
            }
            c.len_utf8()
        };
        at += width;
        n_chars += 1;
    }
    (&text[..at], n_chars)
}

/// What `char::is_whitespace` says of an ASCII byte (which, unlike
/// `u8::is_ascii_whitespace`, includes the vertical tab).
fn is_ascii_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t'..=b'\r')
}

// ---------------------------------------------------------------------------------------------
// Terms: how text becomes the words the index is keyed by. search.js does the same to a query:
// `text.toLowerCase().normalize("NFD")`, marks removed, `ς` as `σ`, then runs of
// `[\p{Alphabetic}\p{N}]` (what `char::is_alphanumeric` accepts), each cut to MAX_TERM_CHARS.

/// Appends `text` folded for search: lowercase, diacritics removed (canonical decomposition
/// without its combining marks, so `Café` becomes `cafe`), final sigma as sigma.
fn fold_into(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // A run of ASCII is copied and lowercased whole: most text is ASCII with a curly quote
        // or an accented letter here and there.
        let run_end = bytes[at..]
            .iter()
            .position(|byte| !byte.is_ascii())
            .map_or(bytes.len(), |n| at + n);
        if run_end > at {
            let start = out.len();
            out.push_str(&text[at..run_end]);
            out[start..].make_ascii_lowercase();
        }
        let Some(c) = text[run_end..].chars().next() else {
            return;
        };
        fold_char_into(c, out);
        at = run_end + c.len_utf8();
    }
}

/// Appends a non-ASCII `c` folded for search, as [`fold_into`] says.
fn fold_char_into(c: char, out: &mut String) {
    for lower in c.to_lowercase() {
        unicode_normalization::char::decompose_canonical(lower, |part| {
            if !unicode_normalization::char::is_combining_mark(part) {
                out.push(if part == 'ς' { 'σ' } else { part });
            }
        });
    }
}

/// Calls `f(offset, word)` for each word of folded `text`: a maximal run of alphanumeric
/// characters, cut to [`MAX_TERM_CHARS`]. Bytes below 128 are told apart with
/// `u8::is_ascii_alphanumeric`, which is what `char::is_alphanumeric` says of them; only other
/// characters are decoded.
fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(usize, &'t str)) {
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        // To the start of the next word.
        let start = loop {
            match bytes.get(at) {
                None => return,
                Some(byte) if byte.is_ascii() => {
                    if byte.is_ascii_alphanumeric() {
                        break at;
                    }
                    at += 1;
                }
                Some(_) => {
                    let c = char_at(text, at);
                    if c.is_alphanumeric() {
                        break at;
                    }
                    at += c.len_utf8();
                }
            }
        };
        // To its end.
        let mut ascii = true;
        loop {
            match bytes.get(at) {
                Some(byte) if byte.is_ascii() => {
                    if !byte.is_ascii_alphanumeric() {
                        break;
                    }
                    at += 1;
                }
                Some(_) => {
                    let c = char_at(text, at);
                    if !c.is_alphanumeric() {
                        break;
                    }
                    ascii = false;
                    at += c.len_utf8();
                }
                None => break,
            }
        }
        let word = &text[start..at];
        f(
            start,
            if ascii {
                &word[..word.len().min(MAX_TERM_CHARS)]
            } else {
                cut_term(word)
            },
        );
    }
}

/// The character of `text` that starts at byte `at`, a character boundary before its end.
fn char_at(text: &str, at: usize) -> char {
    text[at..]
        .chars()
        .next()
        .expect("a character starts at a boundary before the end")
}

fn cut_term(word: &str) -> &str {
    if word.len() <= MAX_TERM_CHARS {
        return word;
    }
    match word.char_indices().nth(MAX_TERM_CHARS) {
        Some((cut, _)) => &word[..cut],
        None => word,
    }
}

/// The first `n` characters of `term` (all of it when shorter).
fn prefix_chars(term: &str, n: usize) -> &str {
    match term.char_indices().nth(n) {
        Some((cut, _)) => &term[..cut],
        None => term,
    }
}

/// The file name of the shard with `key`: ASCII letters and digits as they are, any other
/// character as `_` and six hex digits of its code point, so names are plain ASCII and never
/// differ only in case.
fn shard_file_name(key: &str) -> String {
    let mut name = String::with_capacity(key.len());
    for c in key.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else {
            name.push_str(&format!("_{:06x}", u32::from(c)));
        }
    }
    name
}

/// A small multiplicative hash (FxHash's step, eight bytes at a time) of words and of the index's
/// files: std's SipHash costs several times more. Its values are the same on every machine, so
/// the index's version is too.
#[derive(Default)]
struct TermHasher(u64);

impl TermHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for TermHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(
                chunk.try_into().expect("chunks_exact gives 8 bytes"),
            ));
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the bucket, weakly mixed: fold the high
        // bits in (as murmur3's finaliser does).
        let hash = self.0 ^ (self.0 >> 33);
        hash.wrapping_mul(0xff51_afd7_ed55_8ccd) ^ (hash >> 29)
    }
}

/// The slots of a run's words: an open-addressing table probed once per word of the text.
/// Each entry holds a word's first eight bytes and its length, so most words (which are short)
/// are matched without reading the text they point into, which is rarely in cache: a general
/// map costs twice as much here, where every word of the briefing is looked up.
struct WordTable {
    entries: Vec<WordEntry>,
    len: usize,
}

#[derive(Clone, Copy)]
struct WordEntry {
    head: u64,
    /// Hash bits above, length (up to 255) in the low byte.
    tag: u32,
    slot: u32,
}

const EMPTY_ENTRY: WordEntry = WordEntry {
    head: 0,
    tag: 0,
    slot: u32::MAX,
};

impl Default for WordTable {
    fn default() -> Self {
        WordTable {
            entries: vec![EMPTY_ENTRY; 1 << 12],
            len: 0,
        }
    }
}

impl WordTable {
    /// The slot of `word` in `terms`, which gets a copy of it at the end when it is new.
    fn slot(&mut self, word: &str, terms: &mut RunTerms) -> usize {
        let (hash, entry) = WordTable::entry(word, terms.len());
        let mask = self.entries.len() - 1;
        let mut at = (hash >> 40) as usize & mask;
        loop {
            let found = self.entries[at];
            if found.slot == u32::MAX {
                break;
            }
            if found.tag == entry.tag
                && found.head == entry.head
                && (word.len() <= 8 || terms.get(found.slot as usize)[8..] == word[8..])
            {
                return found.slot as usize;
            }
            at = (at + 1) & mask;
        }
        self.entries[at] = entry;
        terms.push(word);
        self.len += 1;
        if self.len * 2 > self.entries.len() {
            self.grow(terms);
        }
        terms.len() - 1
    }

    fn entry(word: &str, slot: usize) -> (u64, WordEntry) {
        let head = word_head(word.as_bytes());
        let hash = word_hash(word.as_bytes(), head);
        let entry = WordEntry {
            head,
            tag: (hash as u32 & !0xff) | word.len().min(255) as u32,
            slot: slot as u32,
        };
        (hash, entry)
    }

    fn grow(&mut self, terms: &RunTerms) {
        let size = self.entries.len() * 2;
        self.entries = vec![EMPTY_ENTRY; size];
        for (slot, word) in terms.iter().enumerate() {
            let (hash, entry) = WordTable::entry(word, slot);
            let mut at = (hash >> 40) as usize & (size - 1);
            while self.entries[at].slot != u32::MAX {
                at = (at + 1) & (size - 1);
            }
            self.entries[at] = entry;
        }
    }
}

/// The distinct words of a run, in the order they were first met, copied into one string: the
/// run's folded text is dropped record by record, and a run has a few thousand distinct words
/// for hundreds of thousands of words of text.
#[derive(Default)]
struct RunTerms {
    text: String,
    /// Where each word ends in `text`; it starts where the one before ends.
    ends: Vec<usize>,
}

impl RunTerms {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, slot: usize) -> &str {
        let start = match slot {
            0 => 0,
            _ => self.ends[slot - 1],
        };
        &self.text[start..self.ends[slot]]
    }

    fn push(&mut self, word: &str) {
        self.text.push_str(word);
        self.ends.push(self.text.len());
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|slot| self.get(slot))
    }
}

/// The first eight bytes of `word`, or all of a shorter word: with the word's length, a word of
/// up to eight bytes is known by it alone. Read with loads of four or eight bytes that may
/// overlap (one per byte for a word under four bytes), not copied byte by byte: most words are
/// short, and every word of the briefing goes through here.
fn word_head(word: &[u8]) -> u64 {
    let n = word.len();
    if n >= 8 {
        load_u64(word, 0)
    } else if n >= 4 {
        u64::from(load_u32(word, 0)) | (u64::from(load_u32(word, n - 4)) << 32)
    } else if n > 0 {
        u64::from(word[0]) | (u64::from(word[n / 2]) << 8) | (u64::from(word[n - 1]) << 16)
    } else {
        0
    }
}

fn load_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

fn load_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"))
}

/// A fast hash of a word whose [`word_head`] is `head`, eight bytes at a time (FxHash's step,
/// then a final mix so that both the high bits, which place an entry, and the low bits, its
/// tag, depend on every byte). The last eight bytes of a longer word may overlap the ones
/// before: the length is hashed too.
fn word_hash(word: &[u8], head: u64) -> u64 {
    let n = word.len();
    let mut hasher = TermHasher(n as u64);
    hasher.add(head);
    if n > 8 {
        let mut at = 8;
        while at + 8 < n {
            hasher.add(load_u64(word, at));
            at += 8;
        }
        hasher.add(load_u64(word, n - 8));
    }
    hasher.finish()
}

/// Appends a record's title and text to `out`, folded and joined by a line break, and returns
/// where the title ends.
fn fold_record_into(record: &SearchRecord, out: &mut String) -> usize {
    out.reserve(record.title.len() + record.content.len() + 1);
    fold_into(&record.title, out);
    let title_end = out.len();
    out.push('\n');
    fold_into(&record.content, out);
    title_end
}

/// A term in a record: how often it occurs in the title and in the rest (saturating).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Posting {
    record: u32,
    in_title: u16,
    in_content: u16,
}

impl Posting {
    fn new(record: u32) -> Self {
        Posting {
            record,
            in_title: 0,
            in_content: 0,
        }
    }
}

/// The terms of a run of records (a slice of the records of about equal text), and their
/// postings grouped by term.
struct RunIndex {
    terms: RunTerms,
    /// `postings[starts[slot]..starts[slot + 1]]` are the postings of `terms[slot]`, in record
    /// order.
    starts: Vec<usize>,
    postings: Vec<Posting>,
}

impl RunIndex {
    fn postings_of(&self, slot: usize) -> &[Posting] {
        &self.postings[self.starts[slot]..self.starts[slot + 1]]
    }
}

/// What indexing the records gives: each run's terms and postings, each record's number of
/// words, and the record chunks handed on.
struct Indexed {
    runs: Vec<RunIndex>,
    n_words: Vec<u32>,
    files: Vec<IndexFile>,
}

/// Writes the record chunks of `records` and indexes them: runs of whole chunks of about equal
/// text, a few per thread, in parallel. Each record's strings are freed as soon as it is
/// indexed, so the records' text, its folded copy and the postings are never all held at once.
/// The result does not depend on how the records were cut into runs, so not on the number of
/// threads either.
fn index_records(records: &mut [SearchRecord], put: &PutFile<'_>) -> anyhow::Result<Indexed> {
    let text_bytes = |record: &SearchRecord| record.title.len() + record.content.len() + 1;
    let total_bytes: usize = records.iter().map(text_bytes).sum();
    let run_bytes = total_bytes
        .div_ceil(rayon::current_num_threads() * RUNS_PER_THREAD)
        .max(1);
    let mut run_lengths = Vec::new();
    let (mut length, mut bytes) = (0, 0);
    for chunk in records.chunks(RECORDS_PER_CHUNK) {
        length += chunk.len();
        bytes += chunk.iter().map(text_bytes).sum::<usize>();
        if bytes >= run_bytes {
            run_lengths.push(length);
            (length, bytes) = (0, 0);
        }
    }
    if length > 0 {
        run_lengths.push(length);
    }

    let mut n_words = vec![0u32; records.len()];
    let mut runs: Vec<(usize, &mut [SearchRecord], &mut [u32])> =
        Vec::with_capacity(run_lengths.len());
    let (mut records_left, mut counts_left, mut first) = (records, n_words.as_mut_slice(), 0);
    for length in run_lengths {
        let (run_records, rest) = records_left.split_at_mut(length);
        let (run_counts, counts_rest) = counts_left.split_at_mut(length);
        runs.push((first, run_records, run_counts));
        (records_left, counts_left, first) = (rest, counts_rest, first + length);
    }
    let indexed: Vec<(RunIndex, Vec<IndexFile>)> = runs
        .into_par_iter()
        .map(|(first, records, counts)| index_run(records, first, counts, put))
        .collect::<anyhow::Result<_>>()?;
    let (runs, files): (Vec<RunIndex>, Vec<Vec<IndexFile>>) = indexed.into_iter().unzip();
    Ok(Indexed {
        runs,
        n_words,
        files: files.into_iter().flatten().collect(),
    })
}

/// Runs of records per thread: enough that the threads finish together, and that the runs
/// being indexed at once (one per thread) hold little of the index's memory.
const RUNS_PER_THREAD: usize = 4;

/// Writes the record chunks of `records` (whose ids start at `first`, a multiple of
/// [`RECORDS_PER_CHUNK`]) and indexes them in one pass, with one map look-up per word, then
/// groups the postings by term (a counting sort, which keeps record order); `n_words` receives
/// each record's number of words. Each record's text is freed once it is indexed.
fn index_run(
    records: &mut [SearchRecord],
    first: usize,
    n_words: &mut [u32],
    put: &PutFile<'_>,
) -> anyhow::Result<(RunIndex, Vec<IndexFile>)> {
    debug_assert_eq!(first % RECORDS_PER_CHUNK, 0, "runs are whole record chunks");
    let mut files = Vec::with_capacity(records.len().div_ceil(RECORDS_PER_CHUNK));
    let mut slots = WordTable::default();
    let mut terms = RunTerms::default();
    // Per term, the record of its latest posting and where that posting is in `unsorted`.
    let mut latest: Vec<(u32, u32)> = Vec::new();
    let mut unsorted: Vec<(u32, Posting)> = Vec::new();
    let mut folded = String::new();
    let chunks = records
        .chunks_mut(RECORDS_PER_CHUNK)
        .zip(n_words.chunks_mut(RECORDS_PER_CHUNK));
    for (number, (chunk, counts)) in chunks.enumerate() {
        let chunk_first = first + number * RECORDS_PER_CHUNK;
        files.push(IndexFile::put(
            format!(
                "{BUNDLE_DIR}records/{}.json",
                chunk_first / RECORDS_PER_CHUNK
            ),
            record_chunk_json(chunk),
            put,
        )?);
        for (offset, (record, n_words)) in chunk.iter_mut().zip(counts).enumerate() {
            let id = (chunk_first + offset) as u32;
            folded.clear();
            let title_end = fold_record_into(record, &mut folded);
            // Written and folded: the record's strings are not needed any more.
            record.url = String::new();
            record.title = String::new();
            record.content = String::new();
            for_each_word(&folded, |at, word| {
                *n_words += 1;
                let slot = slots.slot(word, &mut terms);
                if slot == latest.len() {
                    latest.push((u32::MAX, 0));
                }
                let (latest_record, position) = &mut latest[slot];
                if *latest_record != id {
                    *latest_record = id;
                    *position = unsorted.len() as u32;
                    unsorted.push((slot as u32, Posting::new(id)));
                }
                let posting = &mut unsorted[*position as usize].1;
                if at < title_end {
                    posting.in_title = posting.in_title.saturating_add(1);
                } else {
                    posting.in_content = posting.in_content.saturating_add(1);
                }
            });
        }
    }
    drop(folded);
    drop(latest);
    drop(slots);
    let mut starts = vec![0usize; terms.len() + 1];
    for &(slot, _) in &unsorted {
        starts[slot as usize + 1] += 1;
    }
    for slot in 1..starts.len() {
        starts[slot] += starts[slot - 1];
    }
    let mut next = starts.clone();
    let mut postings = vec![Posting::new(0); unsorted.len()];
    for (slot, posting) in unsorted {
        let slot = slot as usize;
        postings[next[slot]] = posting;
        next[slot] += 1;
    }
    let run = RunIndex {
        terms,
        starts,
        postings,
    };
    Ok((run, files))
}

/// A term of the index: how many records have it, and where its postings are.
struct Term<'a> {
    text: &'a str,
    n_postings: usize,
    /// A range of [`Inverted::pieces`].
    pieces: Range<usize>,
}

/// The inverted index: the runs' postings and every term in sorted order.
struct Inverted<'a> {
    runs: &'a [RunIndex],
    terms: Vec<Term<'a>>,
    /// Per term, (run, slot in the run) where its postings are, in run order.
    pieces: Vec<(u32, u32)>,
}

impl Inverted<'_> {
    /// The postings of `term`, in record order: runs cover increasing ranges of records.
    fn postings<'s>(&'s self, term: &Term<'_>) -> impl Iterator<Item = &'s Posting> {
        self.pieces[term.pieces.clone()]
            .iter()
            .flat_map(|&(run, slot)| self.runs[run as usize].postings_of(slot as usize))
    }
}

/// Merges the runs' terms into one sorted list.
fn invert(runs: &[RunIndex]) -> Inverted<'_> {
    // Every run's terms with their number of postings, sorted by text then run: each term's
    // pieces in run order.
    let mut pieces: Vec<(&str, u32, u32, u32)> = runs
        .iter()
        .enumerate()
        .flat_map(|(number, run)| {
            run.terms.iter().enumerate().map(move |(slot, text)| {
                let count = run.starts[slot + 1] - run.starts[slot];
                (text, number as u32, slot as u32, count as u32)
            })
        })
        .collect();
    pieces.par_sort_unstable_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let mut terms: Vec<Term<'_>> = Vec::new();
    let mut start = 0;
    for group in pieces.chunk_by(|a, b| a.0 == b.0) {
        terms.push(Term {
            text: group[0].0,
            n_postings: group.iter().map(|piece| piece.3 as usize).sum(),
            pieces: start..start + group.len(),
        });
        start += group.len();
    }
    let pieces = pieces
        .iter()
        .map(|&(_, run, slot, _)| (run, slot))
        .collect();
    Inverted {
        runs,
        terms,
        pieces,
    }
}

/// How a posting's weight is computed: BM25's term-frequency part, title words counting
/// [`TITLE_BOOST`] times, damped for records longer than the average. Stored as 1 to 99; the
/// client multiplies it by the term's rarity (its number of postings).
struct Weighting {
    /// Per record, BM25's length part: `k1 · (1 − b + b · words / average words)`.
    length: Vec<f32>,
    /// Per record, the weight of a term that occurs once, outside the title: most postings.
    once: Vec<u8>,
}

impl Weighting {
    fn new(n_words: &[u32]) -> Weighting {
        let total: u64 = n_words.iter().map(|&n| u64::from(n)).sum();
        let average_words = (total as f32 / n_words.len().max(1) as f32).max(1.0);
        let length: Vec<f32> = n_words
            .iter()
            .map(|&n| BM25_K1 * (1.0 - BM25_B + BM25_B * n as f32 / average_words))
            .collect();
        let once = length.iter().map(|&length| bm25(1.0, length)).collect();
        Weighting { length, once }
    }

    fn weight(&self, posting: &Posting) -> u8 {
        let record = posting.record as usize;
        match (posting.in_title, posting.in_content) {
            (0, 1) => self.once[record],
            (in_title, in_content) => {
                let frequency = TITLE_BOOST * u32::from(in_title) + u32::from(in_content);
                bm25(frequency as f32, self.length[record])
            }
        }
    }
}

fn bm25(frequency: f32, length: f32) -> u8 {
    let weight = WEIGHT_SCALE * frequency * (BM25_K1 + 1.0) / (frequency + length);
    weight.round().clamp(1.0, 99.0) as u8
}

/// One `terms/<key>.json`: the terms of `terms` (a range of the sorted terms).
#[derive(Debug, PartialEq, Eq)]
struct Shard {
    key: String,
    terms: Range<usize>,
}

/// Cuts the sorted terms into shards: by their first [`FIRST_KEY_CHARS`] characters, a shard
/// bigger than [`SHARD_TARGET_BYTES`] split again by one more character. Terms sharing a prefix
/// are contiguous in sorted order, so each shard is a range. The shard of a term is the one whose
/// key is the longest key that is a prefix of the term, which is what the client looks for.
fn plan_shards(terms: &[Term<'_>]) -> Vec<Shard> {
    let mut shards = Vec::new();
    split_into_shards(terms, 0, FIRST_KEY_CHARS, &mut shards);
    shards
}

fn split_into_shards(terms: &[Term<'_>], offset: usize, key_chars: usize, shards: &mut Vec<Shard>) {
    let mut start = 0;
    while start < terms.len() {
        let key = prefix_chars(terms[start].text, key_chars);
        let end = start
            + terms[start..]
                .iter()
                .take_while(|term| prefix_chars(term.text, key_chars) == key)
                .count();
        let group = &terms[start..end];
        if group.len() > 1
            && key_chars < MAX_SHARD_KEY_CHARS
            && estimated_shard_bytes(group) > SHARD_TARGET_BYTES
        {
            split_into_shards(group, offset + start, key_chars + 1, shards);
        } else {
            shards.push(Shard {
                key: key.to_string(),
                terms: offset + start..offset + end,
            });
        }
        start = end;
    }
}

fn estimated_shard_bytes(terms: &[Term<'_>]) -> usize {
    terms
        .iter()
        .map(|term| term.text.len() + 6 + term.n_postings * 6)
        .sum()
}

/// `{"term":[record,weight,record,weight,…],…}`, each record id after the first given as the
/// difference from the one before. Terms are letters and digits, which need no JSON escaping.
fn shard_json(terms: &[Term<'_>], inverted: &Inverted<'_>, weighting: &Weighting) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimated_shard_bytes(terms) + 4);
    out.push(b'{');
    for (index, term) in terms.iter().enumerate() {
        debug_assert!(term.text.chars().all(char::is_alphanumeric));
        if index > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(term.text.as_bytes());
        out.extend_from_slice(b"\":[");
        let mut previous = 0;
        for (position, posting) in inverted.postings(term).enumerate() {
            if position > 0 {
                out.push(b',');
            }
            push_decimal(&mut out, posting.record - previous);
            out.push(b',');
            push_decimal(&mut out, u32::from(weighting.weight(posting)));
            previous = posting.record;
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
    out
}

fn push_decimal(out: &mut Vec<u8>, n: u32) {
    // Weights are below 100, and so are most gaps between record ids.
    if n < 10 {
        out.push(b'0' + n as u8);
    } else if n < 100 {
        out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
    } else {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut rest = n;
        while rest > 0 {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        out.extend_from_slice(&digits[at..]);
    }
}

/// FNV-1a (32 bits) of `value`'s UTF-8 bytes: which filter file holds a value. search.js
/// computes the same.
fn filter_hash(value: &str) -> u32 {
    value.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// A record as `records/<n>.json` holds it: what a result shows. Written by
/// [`RecordJson::write`]; in tests, serde's form of it is what that must match byte for byte.
#[cfg_attr(test, derive(Serialize))]
struct RecordJson<'a> {
    #[cfg_attr(test, serde(rename = "type"))]
    kind: &'static str,
    url: &'a str,
    title: String,
    /// The start of the record's text, from which the client cuts the excerpt.
    text: String,
    #[cfg_attr(test, serde(skip_serializing_if = "RecordMetaJson::is_empty"))]
    meta: RecordMetaJson<'a>,
}

#[cfg_attr(test, derive(Serialize))]
struct RecordMetaJson<'a> {
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    kind: Option<&'static str>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    status: Option<&'static str>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    number: Option<usize>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    source: Option<&'a str>,
}

impl RecordMetaJson<'_> {
    fn is_empty(&self) -> bool {
        self.kind.is_none()
            && self.status.is_none()
            && self.number.is_none()
            && self.source.is_none()
    }
}

impl<'a> RecordJson<'a> {
    fn new(record: &'a SearchRecord) -> Self {
        let (title, text) = match record.kind {
            // The quote, then the note.
            RecordKind::Annotation => (
                format!("“{}”", shorten(&record.title, 90)),
                match record.content.trim() {
                    "" => excerpt_text(&[&record.title], ANNOTATION_TEXT_MAX_CHARS),
                    note => excerpt_text(&[&record.title, "—", note], ANNOTATION_TEXT_MAX_CHARS),
                },
            ),
            _ => (
                record.title.clone(),
                excerpt_text(&[record.content.as_str()], TEXT_MAX_CHARS),
            ),
        };
        RecordJson {
            kind: record.kind.as_str(),
            url: &record.url,
            title,
            text,
            meta: RecordMetaJson {
                kind: record.meta.kind,
                status: record.meta.status,
                number: record.meta.number,
                source: record.meta.source.as_deref(),
            },
        }
    }
}

impl RecordJson<'_> {
    /// Appends the record as serde_json writes it: `{"type":…,"url":…,"title":…,"text":…}`,
    /// then `"meta"` with the fields it has, if any.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"type\":");
        push_json_string(out, self.kind);
        out.extend_from_slice(b",\"url\":");
        push_json_string(out, self.url);
        out.extend_from_slice(b",\"title\":");
        push_json_string(out, &self.title);
        out.extend_from_slice(b",\"text\":");
        push_json_string(out, &self.text);
        if !self.meta.is_empty() {
            let meta = &self.meta;
            // Each present field after `{` or `,`: the first one present opens the object.
            let mut opening: &[u8] = b",\"meta\":{";
            let mut field = |out: &mut Vec<u8>, key: &[u8]| {
                out.extend_from_slice(opening);
                out.extend_from_slice(key);
                opening = b",";
            };
            if let Some(kind) = meta.kind {
                field(out, b"\"kind\":");
                push_json_string(out, kind);
            }
            if let Some(status) = meta.status {
                field(out, b"\"status\":");
                push_json_string(out, status);
            }
            if let Some(number) = meta.number {
                field(out, b"\"number\":");
                write!(out, "{number}").expect("writing to a Vec cannot fail");
            }
            if let Some(source) = meta.source {
                field(out, b"\"source\":");
                push_json_string(out, source);
            }
            out.push(b'}');
        }
        out.push(b'}');
    }
}

/// Appends `text` as a JSON string escaped as serde_json escapes it: `"`, `\` and the control
/// characters below U+0020, as `\b`, `\t`, `\n`, `\f`, `\r` or else `\u00xx`; nothing else
/// (not `/`, not U+007F, not non-ASCII). Looks at eight bytes at a time: the text of records
/// rarely has anything to escape, and serde_json's byte-by-byte loop was most of the cost of
/// writing them.
fn push_json_string(out: &mut Vec<u8>, text: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // High bits of the bytes that are zero: exact as to whether there is one.
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let bytes = text.as_bytes();
    out.reserve(text.len() + 2);
    out.push(b'"');
    // Bytes before `copied` are in `out`.
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        if at + 8 <= bytes.len() {
            let word = load_u64(bytes, at);
            let special = (word.wrapping_sub(ONES * 0x20) & !word & HIGHS)
                | zero_bytes(word ^ (ONES * u64::from(b'"')))
                | zero_bytes(word ^ (ONES * u64::from(b'\\')));
            if special == 0 {
                at += 8;
                continue;
            }
        }
        let end = (at + 8).min(bytes.len());
        for index in at..end {
            let byte = bytes[index];
            let escape: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                b'\t' => b"\\t",
                b'\n' => b"\\n",
                0x0c => b"\\f",
                b'\r' => b"\\r",
                0x00..0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    &[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(byte >> 4)],
                        HEX[usize::from(byte & 0xf)],
                    ]
                }
                _ => continue,
            };
            out.extend_from_slice(&bytes[copied..index]);
            out.extend_from_slice(escape);
            copied = index + 1;
        }
        at = end;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

#[derive(Serialize)]
struct MetaJson<'a> {
    format: u32,
    /// A hash of every other file: the client asks for `terms/…?v=<version>`, so a browser
    /// never combines a cached shard with a newer index.
    version: String,
    language: &'a str,
    records: usize,
    records_per_chunk: usize,
    /// Record ids `[start, end)` of each type.
    types: BTreeMap<&'static str, [usize; 2]>,
    terms: TermsJson,
    filters: BTreeMap<&'static str, FilterJson>,
}

#[derive(Serialize)]
struct TermsJson {
    max_term_chars: usize,
    /// Every shard key, sorted.
    keys: Vec<String>,
}

#[derive(Serialize)]
struct FilterJson {
    chunks: usize,
}

/// Indexes `records` and returns the index: paths relative to the site's root (under
/// [`BUNDLE_DIR`]) and their bytes. The same records give the same files, byte for byte.
/// The format is described in docs/search.md.
pub fn bundle(
    records: Vec<SearchRecord>,
    language: &str,
) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    let files = std::sync::Mutex::new(BTreeMap::new());
    bundle_into(records, language, &|path, bytes| {
        files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path, bytes);
        Ok(())
    })?;
    Ok(files.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// Where [`bundle_into`] sends each file of the index as soon as it is made.
pub type PutFile<'p> = dyn Fn(String, Vec<u8>) -> anyhow::Result<()> + Sync + 'p;

/// [`bundle`], handing each file to `put` as soon as it is made (in parallel, in no particular
/// order; `meta.json` last), so that the index is never held whole.
pub fn bundle_into(
    mut records: Vec<SearchRecord>,
    language: &str,
    put: &PutFile<'_>,
) -> anyhow::Result<()> {
    // Records by type, so that the `type` filter is a range of ids; stable, so that within a
    // type the order of `records` is kept (annotations of one source stay together, and their
    // record chunks are fetched together). [`records`] makes them in this order already.
    if !records.is_sorted_by_key(|record| record.kind) {
        records.sort_by_key(|record| record.kind);
    }
    let n_records = records.len();
    let mut types = BTreeMap::new();
    for kind in RecordKind::ALL {
        let start = records.partition_point(|record| record.kind < kind);
        let end = records.partition_point(|record| record.kind <= kind);
        types.insert(kind.as_str(), [start, end]);
    }
    // The filter values are kept for the filter files, which are made after the records are
    // indexed and their text freed.
    let values: Vec<[FilterValues; 2]> = records
        .iter_mut()
        .map(|record| {
            [
                std::mem::take(&mut record.themes),
                std::mem::take(&mut record.entities),
            ]
        })
        .collect();
    let indexed = index_records(&mut records, put)?;
    drop(records);
    let Indexed {
        runs,
        n_words,
        files: mut written,
    } = indexed;
    // The terms and the filters are independent: each side's sequential steps (merging terms,
    // grouping filter values) run while the other side keeps the second thread busy.
    let (terms, filters) = rayon::join(
        move || term_files(&runs, n_words, put),
        || stored_filters(&values, put),
    );
    let (keys, shard_files) = terms?;
    let (filters, filter_files) = filters?;
    drop(values);

    written.extend(shard_files);
    written.extend(filter_files);
    written.par_sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let mut version = TermHasher::default();
    for file in &written {
        version.write_u64(file.hash);
    }
    let meta = MetaJson {
        format: FORMAT,
        version: format!("{:016x}", version.finish()),
        language,
        records: n_records,
        records_per_chunk: RECORDS_PER_CHUNK,
        types,
        terms: TermsJson {
            max_term_chars: MAX_TERM_CHARS,
            keys,
        },
        filters,
    };
    let mut bytes = serde_json::to_vec(&meta).expect("meta serializes to JSON");
    bytes.push(b'\n');
    put(format!("{BUNDLE_DIR}meta.json"), bytes)
}

/// A file of the index that was handed on: its path, and a hash of its path and bytes for the
/// index's version.
struct IndexFile {
    path: String,
    hash: u64,
}

impl IndexFile {
    /// Hashes the file where it is made, while its bytes are in cache, and hands it to `put`.
    fn put(path: String, bytes: Vec<u8>, put: &PutFile<'_>) -> anyhow::Result<Self> {
        let mut hasher = TermHasher::default();
        hasher.write(path.as_bytes());
        hasher.write(&bytes);
        let file = IndexFile {
            hash: hasher.finish(),
            path: path.clone(),
        };
        put(path, bytes)?;
        Ok(file)
    }
}

/// The term shards of the index of `runs`, handed to `put`, and their keys in order.
fn term_files(
    runs: &[RunIndex],
    n_words: Vec<u32>,
    put: &PutFile<'_>,
) -> anyhow::Result<(Vec<String>, Vec<IndexFile>)> {
    let inverted = invert(runs);
    let weighting = Weighting::new(&n_words);
    drop(n_words);
    let shards = plan_shards(&inverted.terms);
    let files = shards
        .par_iter()
        .map(|shard| {
            IndexFile::put(
                format!("{BUNDLE_DIR}terms/{}.json", shard_file_name(&shard.key)),
                shard_json(&inverted.terms[shard.terms.clone()], &inverted, &weighting),
                put,
            )
        })
        .collect::<anyhow::Result<_>>()?;
    let keys = shards.into_iter().map(|shard| shard.key).collect();
    Ok((keys, files))
}

/// `records/<n>.json`: the JSON array of `records` as [`RecordJson`], and a line break.
fn record_chunk_json(records: &[SearchRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 512);
    for (index, record) in records.iter().enumerate() {
        out.push(if index == 0 { b'[' } else { b',' });
        RecordJson::new(record).write(&mut out);
    }
    if records.is_empty() {
        out.push(b'[');
    }
    out.extend_from_slice(b"]\n");
    out
}

/// The filter files of every filter of [`FILTER_NAMES`], handed to `put`, from each record's
/// values of those filters (in that order), and what `meta.json` says of them.
fn stored_filters(
    values: &[[FilterValues; 2]],
    put: &PutFile<'_>,
) -> anyhow::Result<(BTreeMap<&'static str, FilterJson>, Vec<IndexFile>)> {
    let mut filters = BTreeMap::new();
    let mut files = Vec::new();
    for (index, name) in FILTER_NAMES.into_iter().enumerate() {
        let (filter, filter_files) = filter_files(values, index, name, put)?;
        files.extend(filter_files);
        filters.insert(name, filter);
    }
    Ok((filters, files))
}

/// The files of filter `name`, the `index`th of each record's `values`, handed to `put`: for
/// each value, the ids of the records that have it, spread over chunks by [`filter_hash`].
fn filter_files(
    values: &[[FilterValues; 2]],
    index: usize,
    name: &str,
    put: &PutFile<'_>,
) -> anyhow::Result<(FilterJson, Vec<IndexFile>)> {
    let mut pairs: Vec<(&str, u32)> = values
        .iter()
        .enumerate()
        .flat_map(|(id, values)| values[index].iter().map(move |value| (&**value, id as u32)))
        .collect();
    pairs.par_sort_unstable();
    let n_chunks = pairs.len().div_ceil(FILTER_IDS_PER_CHUNK).max(1);
    let mut chunks: Vec<BTreeMap<&str, Vec<u32>>> = vec![BTreeMap::new(); n_chunks];
    for group in pairs.chunk_by(|a, b| a.0 == b.0) {
        let value = group[0].0;
        let ids: Vec<u32> = group.iter().map(|&(_, id)| id).collect();
        chunks[filter_hash(value) as usize % n_chunks].insert(value, delta_encoded(&ids));
    }
    let files = chunks
        .iter()
        .enumerate()
        .map(|(number, chunk)| {
            let mut bytes = serde_json::to_vec(chunk).expect("filter values serialize to JSON");
            bytes.push(b'\n');
            IndexFile::put(
                format!("{BUNDLE_DIR}filters/{name}/{number}.json"),
                bytes,
                put,
            )
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((FilterJson { chunks: n_chunks }, files))
}

/// Sorted ids as the first, then the difference from the one before.
fn delta_encoded(ids: &[u32]) -> Vec<u32> {
    let mut previous = 0;
    ids.iter()
        .map(|&id| {
            let delta = id - previous;
            previous = id;
            delta
        })
        .collect()
}

/// Adds, as `mode` says, the search index of `inputs`' briefing: built now, handed back to be
/// built later (`serve` publishes pages first), or left out (`check`). It needs no renderer:
/// records are made from the model, and their text has no links to check.
pub(super) fn add_index(
    inputs: Inputs<'_, '_>,
    emitter: &Emitter<'_>,
    mode: crate::SearchIndex,
) -> anyhow::Result<Option<Vec<SearchRecord>>> {
    let files = &inputs.sources.files;
    Ok(match mode {
        crate::SearchIndex::Build => {
            let records = records(inputs.briefing, files);
            bundle_into(records, &inputs.config.language, &|path, bytes| {
                emitter.file(&path, bytes)
            })?;
            None
        }
        crate::SearchIndex::Defer => Some(records(inputs.briefing, files)),
        crate::SearchIndex::Skip => None,
    })
}

impl Renderer<'_, '_> {
    /// Adds the search page when the site theme has `search.html`. Site themes made before
    /// search existed have no such template and still build.
    pub(super) fn add_search_page(
        &self,
        site: &SiteView,
        emitter: &Emitter<'_>,
    ) -> anyhow::Result<()> {
        if self.tera.contains_template("search.html") {
            let html = self.render_template("search.html", &self.search_page(site))?;
            emitter.file("search/index.html", html)?;
        }
        Ok(())
    }

    pub(super) fn search_page(&self, site: &SiteView) -> SearchPage {
        let briefing = self.briefing;
        let entity_groups = EntityKind::ALL
            .iter()
            .filter_map(|&kind| {
                let mut entities: Vec<EntityRefView> = (0..briefing.entities.len())
                    .map(EntityId::from_index)
                    .filter(|&id| briefing.entity(id).kind == kind)
                    .map(|id| self.entity_ref(id, briefing.entity(id).mentions.len()))
                    .collect();
                entities.sort_by(|a, b| a.name.cmp(&b.name).then(a.slug.cmp(&b.slug)));
                (!entities.is_empty()).then_some(EntityGroupView {
                    kind: kind.as_str(),
                    label: kind_label(kind),
                    entities,
                })
            })
            .collect();
        SearchPage {
            site: site.clone(),
            page: self.page("Search".to_string(), "search/", "search", None),
            bundle_path: self.urls.path(BUNDLE_DIR),
            types: RecordKind::ALL
                .iter()
                .map(|&kind| SearchTypeView {
                    value: kind.as_str(),
                    label: kind.plural_label(),
                })
                .collect(),
            themes: (0..briefing.themes.len())
                .map(|i| {
                    let id = ThemeId::from_index(i);
                    self.theme_ref(id, briefing.theme(id).annotations.len())
                })
                .collect(),
            entity_groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn filter_values_are_kept_in_order_and_once() {
        let mut values = FilterValues::default();
        values.extend(["b", "a", "c", "a", "b"].map(Arc::from));
        values.insert(Arc::from("0"));
        let listed: Vec<&str> = values.iter().map(|value| &**value).collect();
        assert_eq!(listed, ["0", "a", "b", "c"]);
    }

    fn record(kind: RecordKind, url: &str, title: &str, content: &str) -> SearchRecord {
        SearchRecord::new(
            kind,
            url.to_string(),
            title.to_string(),
            content.to_string(),
        )
    }

    /// `text` as the index's terms, in order: folded, then split into words.
    fn words(text: &str) -> Vec<String> {
        let mut folded = String::new();
        fold_into(text, &mut folded);
        let mut words = Vec::new();
        for_each_word(&folded, |_, word| words.push(word.to_string()));
        words
    }

    /// The shard keys whose files may hold a term starting with `word`, as search.js picks
    /// them: the longest key that is a prefix of `word`, and every longer key starting with it.
    fn keys_for_prefix<'k>(keys: &'k [String], word: &str) -> Vec<&'k str> {
        let longest = keys
            .iter()
            .filter(|key| word.starts_with(key.as_str()))
            .max_by_key(|key| key.len());
        longest
            .into_iter()
            .chain(
                keys.iter()
                    .filter(|key| key.len() > word.len() && key.starts_with(word)),
            )
            .map(String::as_str)
            .collect()
    }

    fn json(bundle: &BTreeMap<String, Vec<u8>>, path: &str) -> serde_json::Value {
        let bytes = bundle
            .get(&format!("{BUNDLE_DIR}{path}"))
            .unwrap_or_else(|| panic!("{BUNDLE_DIR}{path} is in the index"));
        serde_json::from_slice(bytes).expect("index files are JSON")
    }

    /// Every term of the bundle whose text starts with `prefix`, with its postings as
    /// (record id, weight), found as the client finds them: through `meta.json`'s keys.
    fn lookup(
        bundle: &BTreeMap<String, Vec<u8>>,
        prefix: &str,
    ) -> BTreeMap<String, Vec<(u64, u64)>> {
        let meta = json(bundle, "meta.json");
        let keys: Vec<String> = serde_json::from_value(meta["terms"]["keys"].clone())
            .expect("meta lists the shard keys");
        let mut found = BTreeMap::new();
        for key in keys_for_prefix(&keys, prefix) {
            let shard = json(bundle, &format!("terms/{}.json", shard_file_name(key)));
            for (term, flat) in shard.as_object().expect("a shard is an object") {
                if !term.starts_with(prefix) {
                    continue;
                }
                let flat: Vec<u64> = serde_json::from_value(flat.clone()).expect("numbers");
                let mut record = 0;
                let postings = flat
                    .chunks(2)
                    .map(|pair| {
                        record += pair[0];
                        (record, pair[1])
                    })
                    .collect();
                found.insert(term.clone(), postings);
            }
        }
        found
    }

    fn url_of(bundle: &BTreeMap<String, Vec<u8>>, record: u64) -> String {
        let meta = json(bundle, "meta.json");
        let per_chunk = meta["records_per_chunk"].as_u64().expect("chunk size");
        let chunk = json(bundle, &format!("records/{}.json", record / per_chunk));
        chunk[(record % per_chunk) as usize]["url"]
            .as_str()
            .expect("a record has a url")
            .to_string()
    }

    fn sample() -> Vec<SearchRecord> {
        let mut annotation = record(
            RecordKind::Annotation,
            "/sources/chips/#ann-maia",
            "the Maia AI accelerator",
            "Microsoft's chip for Azure.",
        );
        annotation.entities.insert(Arc::from("Maia"));
        annotation.themes.insert(Arc::from("Silicon"));
        annotation.meta.source = Some(Arc::from("Chips"));
        let mut entity = record(
            RecordKind::Entity,
            "/entities/maia/",
            "Maia",
            "Maia (also Maia 100).\nAn AI accelerator.",
        );
        entity.entities.insert(Arc::from("Maia"));
        vec![
            record(
                RecordKind::Source,
                "/sources/chips/",
                "Chips",
                "Microsoft builds the Maia chip. Café owners do not.",
            ),
            annotation,
            entity,
            record(RecordKind::Theme, "/themes/silicon/", "Silicon", "Chips."),
        ]
    }

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(shorten("the Maia chip", 20), "the Maia chip");
    }

    #[test]
    fn long_text_is_cut_at_a_word_with_an_ellipsis() {
        assert_eq!(
            shorten("the Maia AI accelerator, specifically designed", 26),
            "the Maia AI accelerator…"
        );
    }

    #[test]
    fn excerpt_text_flattens_whitespace_and_cuts_at_a_word() {
        assert_eq!(excerpt_text(&["  the Maia\n\n chip "], 20), "the Maia chip");
        assert_eq!(
            excerpt_text(&["the Maia AI", "accelerator,\nspecifically designed"], 26),
            "the Maia AI accelerator…"
        );
    }

    /// [`excerpt_text`] as it was defined before it copied runs: word by word.
    fn excerpt_by_word(parts: &[&str], max_chars: usize) -> String {
        let mut out = String::new();
        let mut n_chars = 0;
        for word in parts.iter().flat_map(|part| part.split_whitespace()) {
            let word_chars = word.chars().count();
            let needed = word_chars + usize::from(!out.is_empty());
            if n_chars + needed > max_chars {
                if out.is_empty() {
                    out.push_str(prefix_chars(word, max_chars));
                }
                return format!("{}…", out.trim_end_matches([',', ';', ':', '.']));
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
            n_chars += needed;
        }
        out
    }

    /// Text with every kind of whitespace, alone and in runs, around words of ASCII and other
    /// characters and the punctuation an excerpt's end is trimmed of.
    const SPACED_TEXT: &str = "([a-z]{1,12}|[,;:.]|\u{e9}t\u{e9}|\u{6771}|\u{1}|\u{7f}| | {2,3}|\t|\n|\u{b}|\u{c}|\r|\u{85}|\u{a0}|\u{2003}|\u{3000}){0,40}";

    proptest::proptest! {
        #[test]
        fn copying_runs_excerpts_as_word_by_word_did(
            parts in proptest::collection::vec(SPACED_TEXT, 0..4),
            max_chars in 0usize..120,
        ) {
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(
                excerpt_text(&parts, max_chars),
                excerpt_by_word(&parts, max_chars)
            );
        }

        #[test]
        fn single_spaced_is_flattened_and_trimmed(text in SPACED_TEXT) {
            let flattened = super::super::flatten_whitespace(&text);
            proptest::prop_assert_eq!(single_spaced(&text), flattened.trim());
        }
    }

    /// Strings with every character serde_json escapes, in runs of plain text long and short,
    /// so that the escapes fall anywhere in an eight-byte step.
    const JSON_TEXT: &str =
        "([a-z /]{0,11}|[\\u{0}-\\u{1f}]|\"|\\\\|\\u{7f}|\\u{e9}|\\u{2028}|\\u{1f600}){0,30}";

    fn json_string(text: &str) -> String {
        let mut out = Vec::new();
        push_json_string(&mut out, text);
        String::from_utf8(out).expect("escaping keeps UTF-8")
    }

    proptest::proptest! {
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(text in JSON_TEXT) {
            let expected = serde_json::to_string(&text).expect("a string serializes");
            proptest::prop_assert_eq!(json_string(&text), expected);
        }

        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(text in proptest::prelude::any::<String>()) {
            let expected = serde_json::to_string(&text).expect("a string serializes");
            proptest::prop_assert_eq!(json_string(&text), expected);
        }

        #[test]
        fn record_chunks_are_written_as_serde_json_writes_them(
            texts in proptest::collection::vec(JSON_TEXT, 4),
            number in proptest::option::of(0usize..100_000),
            n_records in 1usize..4,
        ) {
            let mut records = sample();
            records.truncate(n_records);
            for record in &mut records {
                record.url = texts[0].clone();
                record.title = texts[1].clone();
                record.content = texts[2].clone();
                record.meta.number = number;
                if record.meta.source.is_some() {
                    record.meta.source = Some(Arc::from(texts[3].as_str()));
                }
            }
            records[0].meta.status = Some("disputed");
            let json: Vec<RecordJson<'_>> = records.iter().map(RecordJson::new).collect();
            let mut expected = serde_json::to_vec(&json).expect("records serialize to JSON");
            expected.push(b'\n');
            proptest::prop_assert_eq!(
                String::from_utf8(record_chunk_json(&records)).expect("UTF-8"),
                String::from_utf8(expected).expect("UTF-8")
            );
        }
    }

    #[test]
    fn records_without_meta_have_no_meta_object() {
        let records = [record(RecordKind::Source, "/s/", "S", "Text.")];
        assert_eq!(
            String::from_utf8(record_chunk_json(&records)).expect("UTF-8"),
            "[{\"type\":\"source\",\"url\":\"/s/\",\"title\":\"S\",\"text\":\"Text.\"}]\n"
        );
    }

    #[test]
    fn words_are_lowercase_runs_of_letters_and_digits() {
        assert_eq!(
            words("Microsoft's MAI-1 (2025), Azure!"),
            ["microsoft", "s", "mai", "1", "2025", "azure"]
        );
    }

    #[test]
    fn diacritics_are_folded_away() {
        assert_eq!(words("Café DÉJÀ Ünïcödé"), ["cafe", "deja", "unicode"]);
        // Decomposed input folds the same as precomposed.
        assert_eq!(words("Cafe\u{301}"), ["cafe"]);
        assert_eq!(words("İstanbul"), ["istanbul"]);
    }

    #[test]
    fn final_sigma_folds_to_sigma() {
        assert_eq!(words("ΟΔΟΣ οδός"), ["οδοσ", "οδοσ"]);
    }

    #[test]
    fn scripts_without_case_are_words_too() {
        assert_eq!(words("Москва 東京"), ["москва", "東京"]);
    }

    #[test]
    fn long_words_are_cut_to_the_term_length() {
        let long = "a".repeat(100);
        assert_eq!(words(&long), ["a".repeat(MAX_TERM_CHARS)]);
    }

    /// [`fold_into`] as it was defined before its ASCII runs: character by character.
    fn fold_by_char(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                fold_char_into(c, &mut out);
            }
        }
        out
    }

    /// [`for_each_word`] as it was defined before its ASCII fast path: character by character.
    fn words_by_char(text: &str) -> Vec<(usize, &str)> {
        let mut words = Vec::new();
        let mut start = None;
        for (offset, c) in text.char_indices() {
            if c.is_alphanumeric() {
                start.get_or_insert(offset);
            } else if let Some(word_start) = start.take() {
                words.push((word_start, cut_term(&text[word_start..offset])));
            }
        }
        if let Some(word_start) = start {
            words.push((word_start, cut_term(&text[word_start..])));
        }
        words
    }

    /// Text that mixes ASCII words, punctuation and long runs with letters, digits, marks,
    /// spaces and punctuation from outside ASCII.
    const MIXED_TEXT: &str = "([a-zA-Z0-9 .,'\"\\-]|[a-z]{30,50}|\u{301}|\u{e9}|\u{c9}|\u{130}|\u{3a3}|\u{3c2}|\u{41c}|\u{6771}|\u{ff11}|\u{b2}|\u{2019}|\u{2014}|\u{a0}|\u{3000}|\u{1f600}|\n){0,60}";

    proptest::proptest! {
        #[test]
        fn folding_by_ascii_runs_changes_nothing(text in MIXED_TEXT) {
            let mut folded = String::new();
            fold_into(&text, &mut folded);
            proptest::prop_assert_eq!(folded, fold_by_char(&text));
        }

        #[test]
        fn the_ascii_fast_path_of_words_changes_nothing(text in MIXED_TEXT) {
            let folded = fold_by_char(&text);
            let mut words = Vec::new();
            for_each_word(&folded, |offset, word| words.push((offset, word)));
            proptest::prop_assert_eq!(&words, &words_by_char(&folded));
            // Unfolded text too: the fast path must not rely on folding.
            let mut words = Vec::new();
            for_each_word(&text, |offset, word| words.push((offset, word)));
            proptest::prop_assert_eq!(&words, &words_by_char(&text));
        }

        #[test]
        fn word_heads_tell_words_of_a_length_apart(
            a in "[a-c\u{e9}]{0,10}",
            b in "[a-c\u{e9}]{0,10}",
        ) {
            if a.len() == b.len() && a.len() <= 8 {
                proptest::prop_assert_eq!(
                    word_head(a.as_bytes()) == word_head(b.as_bytes()),
                    a == b
                );
            }
            if a == b {
                proptest::prop_assert_eq!(
                    word_hash(a.as_bytes(), word_head(a.as_bytes())),
                    word_hash(b.as_bytes(), word_head(b.as_bytes()))
                );
            }
        }
    }

    #[test]
    fn shard_file_names_are_ascii() {
        assert_eq!(shard_file_name("ma"), "ma");
        assert_eq!(shard_file_name("20"), "20");
        assert_eq!(shard_file_name("мо"), "_00043c_00043e");
    }

    #[test]
    fn the_word_table_tells_words_apart() {
        let words = [
            "a",
            "ab",
            "abc",
            "abcdefgh",
            "abcdefgi",
            "abcdefghi",
            "abcdefghj",
            "москва",
            "東京",
        ];
        let mut table = WordTable::default();
        let mut terms = RunTerms::default();
        for round in 0..2 {
            for (index, word) in words.iter().enumerate() {
                assert_eq!(
                    table.slot(word, &mut terms),
                    index,
                    "`{word}`, round {round}"
                );
            }
        }
        // Enough words to grow the table several times.
        let many: Vec<String> = (0..10_000).map(|n| format!("w{n}")).collect();
        for word in &many {
            table.slot(word, &mut terms);
        }
        for (index, word) in many.iter().enumerate() {
            assert_eq!(table.slot(word, &mut terms), words.len() + index);
        }
    }

    #[test]
    fn decimals_are_written_plainly() {
        for n in [0, 7, 10, 99, 100, 12_345, u32::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(String::from_utf8(out).expect("ASCII"), n.to_string());
        }
    }

    #[test]
    fn filter_hash_is_fnv_1a() {
        assert_eq!(filter_hash(""), 0x811c_9dc5);
        assert_eq!(filter_hash("a"), 0xe40c_292c);
    }

    /// `names` as sorted index terms with `n_postings` postings each.
    fn sorted_terms<'a>(names: &[&'a str], n_postings: usize) -> Vec<Term<'a>> {
        let mut names = names.to_vec();
        names.sort_unstable();
        names
            .into_iter()
            .map(|text| Term {
                text,
                n_postings,
                pieces: 0..0,
            })
            .collect()
    }

    #[test]
    fn small_groups_are_keyed_by_two_characters() {
        let terms = sorted_terms(&["a", "maia", "map", "microsoft"], 1);
        let keys: Vec<String> = plan_shards(&terms).into_iter().map(|s| s.key).collect();
        assert_eq!(keys, ["a", "ma", "mi"]);
    }

    /// Every term is in the shard whose key is the longest key that is a prefix of it, and a
    /// prefix lookup finds every term that starts with the prefix.
    #[test]
    fn big_groups_split_and_prefix_lookups_still_find_every_term() {
        let names = ["th", "the", "then", "there", "thx", "microsoft", "micro"];
        let terms = sorted_terms(&names, 2000);
        let shards = plan_shards(&terms);
        let keys: Vec<String> = shards.iter().map(|s| s.key.clone()).collect();
        assert!(
            keys.iter().any(|key| key.chars().count() > FIRST_KEY_CHARS),
            "a big group is split: {keys:?}"
        );
        for shard in &shards {
            for term in &terms[shard.terms.clone()] {
                let term = term.text;
                let longest = keys
                    .iter()
                    .filter(|key| term.starts_with(key.as_str()))
                    .max_by_key(|key| key.len());
                assert_eq!(
                    longest,
                    Some(&shard.key),
                    "`{term}` is in its longest-key shard"
                );
            }
        }
        for prefix in ["th", "the", "ther", "mi", "micro", "thx"] {
            let picked = keys_for_prefix(&keys, prefix);
            let found: BTreeSet<&str> = shards
                .iter()
                .filter(|shard| picked.contains(&shard.key.as_str()))
                .flat_map(|shard| terms[shard.terms.clone()].iter().map(|t| t.text))
                .filter(|term| term.starts_with(prefix))
                .collect();
            let expected: BTreeSet<&str> = names
                .iter()
                .copied()
                .filter(|t| t.starts_with(prefix))
                .collect();
            assert_eq!(found, expected, "terms starting with `{prefix}`");
        }
    }

    #[test]
    fn same_records_give_the_same_files() {
        let first = bundle(sample(), "en").expect("indexing succeeds");
        let second = bundle(sample(), "en").expect("indexing succeeds");
        assert_eq!(first, second);
        assert!(first.keys().all(|path| path.starts_with(BUNDLE_DIR)));
    }

    #[test]
    fn the_files_do_not_depend_on_the_number_of_threads() {
        let records: Vec<SearchRecord> = (0..300)
            .map(|n| {
                record(
                    RecordKind::ALL[n % 4],
                    &format!("/r/{n}/"),
                    &format!("Record {n}"),
                    &format!("word{} shared text {} and more {}", n % 7, n * 31 % 101, n),
                )
            })
            .collect();
        let with = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool")
                .install(|| bundle(records.clone(), "en").expect("indexing succeeds"))
        };
        assert_eq!(with(1), with(3));
    }

    #[test]
    fn a_changed_record_changes_the_version() {
        let first = bundle(sample(), "en").expect("indexing succeeds");
        let mut records = sample();
        records[0].content.push_str(" More.");
        let second = bundle(records, "en").expect("indexing succeeds");
        assert_ne!(
            json(&first, "meta.json")["version"],
            json(&second, "meta.json")["version"]
        );
    }

    #[test]
    fn the_shard_of_a_term_lists_every_record_that_has_it() {
        let bundle = bundle(sample(), "en").expect("indexing succeeds");
        let found = lookup(&bundle, "maia");
        let urls: BTreeSet<String> = found["maia"]
            .iter()
            .map(|&(record, _)| url_of(&bundle, record))
            .collect();
        assert_eq!(
            urls,
            BTreeSet::from(
                [
                    "/sources/chips/",
                    "/sources/chips/#ann-maia",
                    "/entities/maia/"
                ]
                .map(String::from)
            )
        );
    }

    #[test]
    fn a_title_word_weighs_more_than_a_word_of_the_text() {
        let bundle = bundle(sample(), "en").expect("indexing succeeds");
        let weights: BTreeMap<String, u64> = lookup(&bundle, "maia")["maia"]
            .iter()
            .map(|&(record, weight)| (url_of(&bundle, record), weight))
            .collect();
        assert!(weights["/entities/maia/"] > weights["/sources/chips/"]);
    }

    #[test]
    fn a_prefix_finds_the_words_it_starts() {
        let bundle = bundle(sample(), "en").expect("indexing succeeds");
        assert!(lookup(&bundle, "micro").contains_key("microsoft"));
        // Folded on both sides: `café` is indexed as `cafe`.
        assert!(lookup(&bundle, "caf").contains_key("cafe"));
    }

    #[test]
    fn records_are_stored_by_type_and_type_is_a_range() {
        let bundle = bundle(sample(), "en").expect("indexing succeeds");
        let meta = json(&bundle, "meta.json");
        assert_eq!(meta["records"], 4);
        let range = |kind: &str| -> [u64; 2] {
            serde_json::from_value(meta["types"][kind].clone()).expect("a range")
        };
        assert_eq!(range("source"), [0, 1]);
        assert_eq!(range("entity"), [1, 2]);
        assert_eq!(range("theme"), [2, 3]);
        assert_eq!(range("annotation"), [3, 4]);
        assert_eq!(url_of(&bundle, 3), "/sources/chips/#ann-maia");
        let chunk = json(&bundle, "records/0.json");
        assert_eq!(chunk[3]["type"], "annotation");
        assert_eq!(chunk[3]["meta"]["source"], "Chips");
        assert_eq!(
            chunk[0]["text"],
            "Microsoft builds the Maia chip. Café owners do not."
        );
    }

    #[test]
    fn filter_files_list_the_records_of_each_value() {
        let bundle = bundle(sample(), "en").expect("indexing succeeds");
        let meta = json(&bundle, "meta.json");
        let chunks = meta["filters"]["entity"]["chunks"]
            .as_u64()
            .expect("chunks");
        let chunk = filter_hash("Maia") as u64 % chunks;
        let values = json(&bundle, &format!("filters/entity/{chunk}.json"));
        // Delta-encoded: the entity (1), then the annotation (3).
        assert_eq!(values["Maia"], serde_json::json!([1, 2]));
        let themes = json(&bundle, "filters/theme/0.json");
        assert_eq!(themes["Silicon"], serde_json::json!([3]));
    }
}
