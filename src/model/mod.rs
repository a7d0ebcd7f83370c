//! Model: [`SourceSet`] → [`Briefing`], the resolved, cross-linked graph of a briefing.
//!
//! Owns validation of slugs, ids and references, anchoring every annotation (through
//! `anchor`), entity-mention detection and the backlinks that entity and theme pages need.
//! Arenas indexed by id newtypes; no I/O, no templates, no URLs or file layout.
//! Content problems are diagnostics, never `Err`.

mod mentions;
mod resolve;

use std::ops::Range;

use crate::anchor::ReaderText;
use crate::diagnostics::{Diagnostics, Spanned};
use crate::files::FileId;
use crate::source::{Body, SourceSet};

pub use resolve::{default_annotation_id, slugify};

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
    pub note: Option<Spanned<String>>,
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
#[derive(Debug)]
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
}

impl<'a> Briefing<'a> {
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
}

/// Resolves the raw content into a [`Briefing`], pushing every problem found.
pub fn build<'a>(sources: &'a SourceSet, diagnostics: &mut Diagnostics) -> Briefing<'a> {
    resolve::build(sources, &sources.annotations, diagnostics)
}

/// [`build`] with the raw annotations apart from `sources` (whose own list is ignored), so
/// that the caller can free them once the briefing is made: the briefing keeps what it needs
/// of each annotation, and borrows only the sources' texts.
pub fn build_from<'a>(
    sources: &'a SourceSet,
    annotations: &[crate::source::RawAnnotation],
    diagnostics: &mut Diagnostics,
) -> Briefing<'a> {
    resolve::build(sources, annotations, diagnostics)
}
