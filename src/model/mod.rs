//! Model: [`SourceSet`] → [`Briefing`], the resolved, cross-linked graph of a briefing.
//!
//! Owns validation of slugs, ids and references, anchoring every annotation (through
//! `anchor`), entity-mention detection and the backlinks that entity and theme pages need.
//! Arenas indexed by id newtypes; no I/O, no templates, no URLs or file layout.
//! Content problems are diagnostics, never `Err`.
//!
//! It works in two steps, so that `gloss serve` can redo only the second when annotation files
//! change: [`base`] resolves everything that does not depend on annotations (the front page,
//! sources with their reader text, entities, themes, entity mentions, related entities) into a
//! [`Base`]; [`link`] adds the annotations to a `Base` (anchoring, validation, ids, numbering,
//! backlinks, entities' themes, "unused" warnings) and makes the [`Briefing`], which
//! [`Briefing::into_base`] turns back into the `Base` for the next `link`. The `Base` keeps
//! what each annotation file's annotations were anchored and checked into, keyed by the file
//! and a hash of its path and text, so a `link` anchors and checks again only the files that
//! changed. `gloss build` and `check` run the same two steps once ([`build_from`]), with the
//! same output as any later `link` of the same inputs.
//! Must not: read files, keep anything that outlives the [`SourceSet`] it borrows, or let the
//! order of parallel work reach the briefing or the diagnostics.
//!
//! - `resolve`: sources, entities, themes, mentions → `Base`.
//! - `link`: annotations + `Base` → `Briefing`.
//! - `mentions`: the alias automaton.
//! - `anchor_cache`: each annotation file's anchoring and checks, reused while its text is the
//!   same.

mod anchor_cache;
mod link;
mod mentions;
#[cfg(test)]
mod relink_tests;
mod resolve;

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use crate::anchor::ReaderText;
use crate::diagnostics::{Diagnostic, Diagnostics, Spanned};
use crate::files::{FileId, Files};
use crate::source::{Body, RawAnnotation, SourceSet, Unloaded};

pub use link::default_annotation_id;
pub use resolve::slugify;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }

            pub fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).expect("fewer than 2^32 items"))
            }
        }
    };
}

id_type!(DocId);
id_type!(EntityId);
id_type!(ThemeId);
id_type!(AnnotationId);
id_type!(MentionId);

/// A slug is `[a-z0-9][a-z0-9-]*`: safe as a single path segment and a URL fragment.
pub fn is_valid_slug(slug: &str) -> bool {
    let mut chars = slug.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && slug.len() <= 200
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntityKind {
    Organization,
    Person,
    Product,
    Model,
    Initiative,
    Place,
    Other,
}

impl EntityKind {
    pub const ALL: [EntityKind; 7] = [
        EntityKind::Organization,
        EntityKind::Person,
        EntityKind::Product,
        EntityKind::Model,
        EntityKind::Initiative,
        EntityKind::Place,
        EntityKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Organization => "organization",
            EntityKind::Person => "person",
            EntityKind::Product => "product",
            EntityKind::Model => "model",
            EntityKind::Initiative => "initiative",
            EntityKind::Place => "place",
            EntityKind::Other => "other",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnnotationKind {
    Note,
    Context,
    Claim,
    Question,
    Correction,
}

impl AnnotationKind {
    pub const ALL: [AnnotationKind; 5] = [
        AnnotationKind::Note,
        AnnotationKind::Context,
        AnnotationKind::Claim,
        AnnotationKind::Question,
        AnnotationKind::Correction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationKind::Note => "note",
            AnnotationKind::Context => "context",
            AnnotationKind::Claim => "claim",
            AnnotationKind::Question => "question",
            AnnotationKind::Correction => "correction",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClaimStatus {
    Unverified,
    Supported,
    Disputed,
    False,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 4] = [
        ClaimStatus::Unverified,
        ClaimStatus::Supported,
        ClaimStatus::Disputed,
        ClaimStatus::False,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Unverified => "unverified",
            ClaimStatus::Supported => "supported",
            ClaimStatus::Disputed => "disputed",
            ClaimStatus::False => "false",
        }
    }
}

/// A source document with its reader text and what points into it.
#[derive(Debug)]
pub struct Doc<'a> {
    pub slug: String,
    pub title: String,
    pub publisher: Option<String>,
    pub author: Option<String>,
    pub date: Option<jiff::civil::Date>,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub file: FileId,
    pub body: Body,
    pub reader: ReaderText<'a>,
    /// Reader-text ranges of the top-level blocks (paragraphs, headings, lists, ...).
    pub blocks: Vec<Range<usize>>,
    /// This doc's annotations in reading order.
    pub annotations: Vec<AnnotationId>,
    /// This doc's entity mentions in reading order.
    pub mentions: Vec<MentionId>,
}

impl Doc<'_> {
    /// The index of the top-level block that holds a reader offset.
    pub fn block_of(&self, offset: usize) -> Option<usize> {
        let after = self.blocks.partition_point(|block| block.start <= offset);
        after.checked_sub(1)
    }

    /// The sentence around a reader-text range, within its block: from the end of the previous
    /// sentence to the end of this one.
    pub fn sentence_around(&self, range: Range<usize>) -> Range<usize> {
        let text = self.reader.text.as_str();
        let block = self
            .block_of(range.start)
            .map(|b| self.blocks[b].clone())
            .unwrap_or(0..text.len());
        let is_end = |i: usize, c: char| {
            matches!(c, '.' | '!' | '?')
                && text[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        };
        let start = text[block.start..range.start]
            .char_indices()
            .rev()
            .find(|&(i, c)| is_end(block.start + i, c))
            .map(|(i, c)| block.start + i + c.len_utf8())
            .unwrap_or(block.start);
        let end = text[range.end.min(block.end).max(range.start)..block.end.max(range.end)]
            .char_indices()
            .find(|&(i, c)| is_end(range.end + i, c))
            .map(|(i, c)| range.end + i + c.len_utf8())
            .unwrap_or(block.end.max(range.end));
        let sentence = &text[start..end];
        let trimmed_start = start + (sentence.len() - sentence.trim_start().len());
        trimmed_start..end
    }
}

#[derive(Debug)]
pub struct Entity {
    pub slug: String,
    pub name: String,
    pub kind: EntityKind,
    /// Every name the entity is found by, the name first.
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub description: Body,
    pub file: FileId,
    /// Where the name is written, for diagnostics.
    pub name_span: crate::diagnostics::Span,
    pub mentions: Vec<MentionId>,
    pub annotations: Vec<AnnotationId>,
    /// Entities mentioned in the same block, with how many blocks they share; most first.
    pub related: Vec<(EntityId, usize)>,
    /// Themes of the annotations that tag this entity, with counts; most first.
    pub themes: Vec<(ThemeId, usize)>,
}

#[derive(Debug)]
pub struct Theme {
    pub slug: String,
    pub title: String,
    pub order: i64,
    pub description: Body,
    pub file: FileId,
    /// Where the title is written, for diagnostics.
    pub title_span: crate::diagnostics::Span,
    /// Annotations tagged with the theme, in source then reading order.
    pub annotations: Vec<AnnotationId>,
}

#[derive(Clone, Debug)]
pub struct Link {
    pub title: String,
    pub url: String,
}

#[derive(Debug)]
pub struct Annotation {
    pub id: String,
    pub doc: DocId,
    /// The passage, as a byte range of the doc's reader text.
    pub range: Range<usize>,
    /// 1-based position among its doc's annotations, in reading order.
    pub number: usize,
    /// Shared with the raw annotation it was made from.
    pub note: Option<Spanned<std::sync::Arc<str>>>,
    pub entities: Vec<EntityId>,
    pub themes: Vec<ThemeId>,
    pub kind: AnnotationKind,
    pub status: Option<ClaimStatus>,
    pub author: Option<String>,
    pub date: Option<jiff::civil::Date>,
    pub links: Vec<Link>,
    pub file: FileId,
    /// Where the quote is written, for diagnostics.
    pub quote_span: crate::diagnostics::Span,
}

/// One place where an entity's name or alias occurs in a doc's reader text.
#[derive(Clone, Debug)]
pub struct Mention {
    pub entity: EntityId,
    pub doc: DocId,
    pub range: Range<usize>,
    /// The element id in the source page, unique in that page.
    pub html_id: String,
}

/// The front page.
#[derive(Debug, Default)]
pub struct Front {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<Body>,
}

/// The resolved briefing: arenas and backlinks. Everything in it has been validated.
pub struct Briefing<'a> {
    pub front: Front,
    pub docs: Vec<Doc<'a>>,
    pub entities: Vec<Entity>,
    /// Sorted by `order`, then title.
    pub themes: Vec<Theme>,
    pub annotations: Vec<Annotation>,
    pub mentions: Vec<Mention>,
    /// How long finding every quote in its source took, a part of [`build`], for
    /// `gloss build --timings`.
    pub anchoring: std::time::Duration,
    /// What goes back into the [`Base`] besides the arenas.
    kept: Kept<'a>,
}

impl<'a> Briefing<'a> {
    /// The source whose slug is `slug`.
    pub fn doc_by_slug(&self, slug: &str) -> Option<DocId> {
        self.kept.doc_slugs.get(slug).copied()
    }

    /// The entity whose slug is `slug`.
    pub fn entity_by_slug(&self, slug: &str) -> Option<EntityId> {
        self.kept.entity_slugs.get(slug).copied()
    }

    /// The theme whose slug is `slug`.
    pub fn theme_by_slug(&self, slug: &str) -> Option<ThemeId> {
        self.kept.theme_slugs.get(slug).copied()
    }

    pub fn doc(&self, id: DocId) -> &Doc<'a> {
        &self.docs[id.index()]
    }

    pub fn entity(&self, id: EntityId) -> &Entity {
        &self.entities[id.index()]
    }

    pub fn theme(&self, id: ThemeId) -> &Theme {
        &self.themes[id.index()]
    }

    pub fn annotation(&self, id: AnnotationId) -> &Annotation {
        &self.annotations[id.index()]
    }

    pub fn mention(&self, id: MentionId) -> &Mention {
        &self.mentions[id.index()]
    }

    /// How many annotations the [`link`] that made this briefing took from the anchor cache
    /// (their file's path and text had not changed since the link before), for timings and
    /// tests.
    pub fn cache_hits(&self) -> usize {
        self.kept.cache.hits()
    }

    /// How many annotations the [`link`] that made this briefing anchored anew (all of them, the
    /// first time).
    pub fn n_anchored(&self) -> usize {
        self.kept.cache.anchored()
    }

    /// Gives the Base back (with its anchor cache, now holding this link's results), with
    /// everything `link` added cleared, for the next `link`.
    ///
    /// The annotations go back into the cache, which hands those of unchanged files to the next
    /// `link` instead of making them again; so the arenas should be as `link` made them (a
    /// `link` checks that each annotation it takes back is the one it expects, and makes it
    /// again otherwise).
    pub fn into_base(self) -> Base<'a> {
        let Briefing {
            front,
            mut docs,
            mut entities,
            mut themes,
            annotations,
            mentions,
            anchoring: _,
            kept,
        } = self;
        for doc in &mut docs {
            doc.annotations.clear();
        }
        for entity in &mut entities {
            entity.annotations.clear();
            entity.themes.clear();
        }
        for theme in &mut themes {
            theme.annotations.clear();
        }
        let mut kept = kept;
        kept.cache.give_back(annotations);
        Base {
            front,
            docs,
            entities,
            themes,
            mentions,
            kept,
        }
    }
}

/// The briefing's own data; what it keeps for [`Briefing::into_base`] is left out.
impl std::fmt::Debug for Briefing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Briefing")
            .field("front", &self.front)
            .field("docs", &self.docs)
            .field("entities", &self.entities)
            .field("themes", &self.themes)
            .field("annotations", &self.annotations)
            .field("mentions", &self.mentions)
            .field("anchoring", &self.anchoring)
            .finish_non_exhaustive()
    }
}

/// Everything resolved from the sources, entities and themes, before any annotation:
/// kept by `gloss serve` between rebuilds while only annotation files change.
///
/// Its arenas are a [`Briefing`]'s without annotations: no doc, entity or theme lists an
/// annotation, and entities have no themes yet; mentions and related entities are there.
pub struct Base<'a> {
    front: Front,
    docs: Vec<Doc<'a>>,
    entities: Vec<Entity>,
    themes: Vec<Theme>,
    mentions: Vec<Mention>,
    kept: Kept<'a>,
}

/// What a [`Base`] holds besides the arenas, carried through each [`Briefing`] it makes.
struct Kept<'a> {
    /// The sources the base was resolved from; their texts cannot change while it lives, so
    /// neither can the docs the anchor cache's ranges point into.
    sources: &'a SourceSet,
    /// Sources, entities and themes that failed to load or were rejected (a bad slug, an empty
    /// title): references to them are not reported again as unknown slugs.
    unloaded: Unloaded,
    doc_slugs: FastMap<String, DocId>,
    draft_slugs: BTreeSet<String>,
    entity_slugs: FastMap<String, EntityId>,
    theme_slugs: FastMap<String, ThemeId>,
    /// What resolving the sources, entities and themes found, handed out by every `link`.
    diagnostics: Vec<Diagnostic>,
    cache: anchor_cache::AnchorCache,
}

/// The hasher of the model's maps of slugs, ids and files: XXH3 on the key's bytes, several
/// times faster than the standard SipHash on short keys. The keys come from the briefing's own
/// files, so there is no one to craft colliding keys against it.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, self.0);
    }

    /// The end mark of a `str` (`0xff`) and the small ids: a multiply folds them in, cheaper than
    /// another XXH3 call.
    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// Resolves sources, entities, themes, the front page and entity mentions (and related
/// entities, which depend only on mentions). Its diagnostics are kept inside the Base and handed
/// out again by every `link`.
pub fn base<'a>(sources: &'a SourceSet) -> Base<'a> {
    resolve::base(sources)
}

/// Adds the annotations to a Base: anchoring (reusing the Base's cache for annotation files whose
/// text did not change), validation, ids, numbering, backlinks, entities' themes, "unused" warnings.
/// Pushes the Base's own diagnostics and then its own into `diagnostics`.
/// `files` is the table the raw annotations' spans point into: the SourceSet's own `files`, or a
/// clone of it in which some annotation files were replaced (`Files::replace`) or added (`Files::add`).
///
/// `annotations` may be the raw annotations themselves or references to them (`&[RawAnnotation]`
/// or `&[&RawAnnotation]`), in the order `source::load` gives them.
/// "Unused" warnings are given only when `diagnostics` (which holds the load stage's too) has no
/// errors at the end and every content file loaded.
pub fn link<'a, R: Borrow<RawAnnotation>>(
    base: Base<'a>,
    files: &Files,
    annotations: &[R],
    diagnostics: &mut Diagnostics,
) -> Briefing<'a> {
    link::link(base, files, annotations, diagnostics)
}

/// Resolves the raw content into a [`Briefing`], pushing every problem found.
pub fn build<'a>(sources: &'a SourceSet, diagnostics: &mut Diagnostics) -> Briefing<'a> {
    link(
        base(sources),
        &sources.files,
        &sources.annotations,
        diagnostics,
    )
}

/// [`build`] with the raw annotations apart from `sources` (whose own list is ignored), so
/// that the caller can free them once the briefing is made: the briefing keeps what it needs
/// of each annotation, and borrows only the sources' texts.
pub fn build_from<'a>(
    sources: &'a SourceSet,
    annotations: &[RawAnnotation],
    diagnostics: &mut Diagnostics,
) -> Briefing<'a> {
    link(base(sources), &sources.files, annotations, diagnostics)
}
