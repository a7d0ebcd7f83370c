//! Resolution of the sources, entities, themes and front page into a [`Base`]: slugs, values,
//! reader texts, entity mentions and related entities, each problem a diagnostic.
//! Knows nothing of annotations (`link` adds them); the value checks it shares with `link`
//! (dates, URLs, choices) live here.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use pulldown_cmark::Event;
use rayon::prelude::*;

use super::anchor_cache::AnchorCache;
use super::mentions::AliasMatcher;
use super::*;
use crate::diagnostics::{Code, Diagnostic, Span, suggestion_help};
use crate::source::{RawDoc, RawEntity, RawTheme, Text};

pub(super) fn base(sources: &SourceSet) -> Base<'_> {
    let mut diagnostics = Diagnostics::default();
    let front = front(sources);
    let mut unloaded = sources.unloaded.clone();
    let mut docs = docs(sources, &mut unloaded, &mut diagnostics);
    let (mut entities, aliases) = entities(sources, &mut unloaded, &mut diagnostics);
    let themes = themes(sources, &mut unloaded, &mut diagnostics);

    let doc_slugs: FastMap<String, DocId> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.slug.clone(), DocId::from_index(i)))
        .collect();
    let draft_slugs: BTreeSet<String> = sources
        .docs
        .iter()
        .filter(|d| d.draft.as_ref().is_some_and(|v| v.value))
        .map(|d| doc_slug(d).to_string())
        .collect();
    let entity_slugs: FastMap<String, EntityId> = entities
        .iter()
        .enumerate()
        .map(|(i, e)| (e.slug.clone(), EntityId::from_index(i)))
        .collect();
    let theme_slugs: FastMap<String, ThemeId> = themes
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.clone(), ThemeId::from_index(i)))
        .collect();

    let mentions = mentions(&mut docs, &mut entities, &aliases);
    related_entities(&docs, &mut entities, &mentions);
    Base {
        front,
        docs,
        entities,
        themes,
        mentions,
        kept: Kept {
            sources,
            unloaded,
            doc_slugs,
            draft_slugs,
            entity_slugs,
            theme_slugs,
            diagnostics: diagnostics.into_vec(),
            cache: AnchorCache::default(),
        },
    }
}

fn front(sources: &SourceSet) -> Front {
    match &sources.index {
        Some(index) => Front {
            title: index.title.as_ref().map(|t| t.value.clone()),
            summary: index.summary.as_ref().map(|t| t.value.clone()),
            body: Some(index.body),
        },
        None => Front::default(),
    }
}

fn doc_slug(raw: &RawDoc) -> &str {
    raw.slug
        .as_ref()
        .map(|s| s.value.as_str())
        .unwrap_or(&raw.stem)
}

/// Checks a slug (explicit or from the file name) and that it is not taken yet.
fn check_slug(
    what: &str,
    explicit: Option<&Text>,
    stem: &str,
    file: FileId,
    claimed: &BTreeMap<String, Span>,
    taken: &mut BTreeMap<String, Span>,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    let (slug, span) = match explicit {
        Some(text) => (text.value.clone(), text.span),
        None => (stem.to_string(), Span::file_start(file)),
    };
    if !is_valid_slug(&slug) {
        let message = match explicit {
            Some(_) => format!("the slug `{slug}` is not valid"),
            None => format!("the file name `{stem}` is not a valid slug"),
        };
        let help = match explicit {
            Some(_) => format!(
                "a slug is lowercase letters, digits and hyphens, starting with a letter or digit, such as `{}`",
                slugify(&slug)
            ),
            None => format!(
                "rename the file to `{}.md` or add `slug: {}` to its front matter",
                slugify(stem),
                slugify(stem)
            ),
        };
        let mut diagnostic = Diagnostic::error(Code::InvalidSlug, span, message).with_help(help);
        // `Harbour Report.md` beside `harbour-report.md`: renaming as suggested would collide.
        let suggestion = slugify(match explicit {
            Some(_) => &slug,
            None => stem,
        });
        if let Some(other) = claimed.get(&suggestion).filter(|other| other.file != file) {
            diagnostic = Diagnostic::error(
                Code::InvalidSlug,
                span,
                format!(
                    "{}, and the slug made from it, `{suggestion}`, is taken by another of the {what}",
                    diagnostic.message
                ),
            )
            .with_related(*other, format!("`{suggestion}` is this one's slug"))
            .with_help(
                "give this file a name or a `slug` of its own (lowercase letters, digits and hyphens), or remove one of the two",
            );
        }
        diagnostics.push(diagnostic);
        return None;
    }
    if let Some(first) = taken.get(&slug) {
        diagnostics.push(
            Diagnostic::error(
                Code::DuplicateSlug,
                span,
                format!("two {what} have the slug `{slug}`"),
            )
            .with_related(*first, "the other one")
            .with_help("give one of them a different `slug`"),
        );
        return None;
    }
    taken.insert(slug.clone(), span);
    Some(slug)
}

/// A valid slug made from any text: lowercase ASCII letters and digits, hyphens between words.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "untitled".to_string()
    } else {
        slug
    }
}

pub(super) fn non_empty(text: &Text, what: &str, diagnostics: &mut Diagnostics) -> bool {
    if text.value.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(Code::InvalidValue, text.span, format!("{what} is empty"))
                .with_help(format!("write the {what}")),
        );
        return false;
    }
    true
}

pub(super) fn date(
    text: Option<&Text>,
    diagnostics: &mut Diagnostics,
) -> Option<jiff::civil::Date> {
    let text = text?;
    let value = text.value.trim();
    let parsed = if value.len() == 10 {
        value.parse::<jiff::civil::Date>().ok()
    } else {
        None
    };
    if parsed.is_none() {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidValue,
                text.span,
                format!("`{value}` is not a date"),
            )
            .with_help("write dates as YYYY-MM-DD, such as `2024-06-30`"),
        );
    }
    parsed
}

pub(super) fn url(text: Option<&Text>, diagnostics: &mut Diagnostics) -> Option<String> {
    let text = text?;
    let value = text.value.trim();
    let lower = value.to_ascii_lowercase();
    let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
        && value.len() > 8
        && !value.contains(char::is_whitespace)
        && !value.contains(['"', '<', '>', '\\']);
    if !ok {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidValue,
                text.span,
                format!("`{value}` is not an http(s) URL"),
            )
            .with_help("write a full address such as `https://example.com/article`"),
        );
        return None;
    }
    Some(value.to_string())
}

pub(super) fn optional(text: Option<&Text>) -> Option<String> {
    text.map(|t| t.value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The slugs each file of one kind would claim (its explicit `slug`, or its file name), so a
/// file whose name is not a slug can be told when the slug made from it is taken.
fn claimed_slugs<'r>(
    raws: impl Iterator<Item = (Option<&'r Text>, &'r str, FileId)>,
) -> BTreeMap<String, Span> {
    let mut claimed = BTreeMap::new();
    for (explicit, stem, file) in raws {
        let (slug, span) = match explicit {
            Some(text) => (text.value.clone(), text.span),
            None => (stem.to_string(), Span::file_start(file)),
        };
        if is_valid_slug(&slug) {
            claimed.entry(slug).or_insert(span);
        }
    }
    claimed
}

/// Remembers the names a rejected source, entity or theme goes by.
fn reject(names: &mut BTreeSet<String>, explicit: Option<&Text>, stem: &str) {
    names.insert(stem.to_string());
    if let Some(text) = explicit {
        names.insert(text.value.trim().to_string());
    }
}

fn docs<'a>(
    sources: &'a SourceSet,
    unloaded: &mut crate::source::Unloaded,
    diagnostics: &mut Diagnostics,
) -> Vec<Doc<'a>> {
    let mut taken = BTreeMap::new();
    let claimed = claimed_slugs(
        sources
            .docs
            .iter()
            .filter(|raw| !raw.draft.as_ref().is_some_and(|d| d.value))
            .map(|raw| (raw.slug.as_ref(), raw.stem.as_str(), raw.file)),
    );
    let mut checked = Vec::new();
    for raw in &sources.docs {
        if raw.draft.as_ref().is_some_and(|d| d.value) {
            continue;
        }
        let Some(doc) = check_doc(raw, &claimed, &mut taken, diagnostics) else {
            reject(&mut unloaded.docs, raw.slug.as_ref(), &raw.stem);
            continue;
        };
        checked.push(doc);
    }
    // Extracting the reader text is most of the work, and each doc's is its own: in parallel
    // (collecting keeps the order).
    let mut docs: Vec<Doc<'a>> = checked
        .into_par_iter()
        .map(|checked| checked.into_doc(&sources.files))
        .collect();
    docs.sort_by(|a, b| a.slug.cmp(&b.slug));
    docs
}

/// A source whose front matter passed the checks, before its reader text is extracted.
struct CheckedDoc<'r> {
    raw: &'r RawDoc,
    slug: String,
    date: Option<jiff::civil::Date>,
    url: Option<String>,
}

fn check_doc<'r>(
    raw: &'r RawDoc,
    claimed: &BTreeMap<String, Span>,
    taken: &mut BTreeMap<String, Span>,
    diagnostics: &mut Diagnostics,
) -> Option<CheckedDoc<'r>> {
    let slug = check_slug(
        "sources",
        raw.slug.as_ref(),
        &raw.stem,
        raw.file,
        claimed,
        taken,
        diagnostics,
    );
    let title_ok = non_empty(&raw.title, "title", diagnostics);
    let date = date(raw.date.as_ref(), diagnostics);
    let url = url(raw.url.as_ref(), diagnostics);
    let slug = slug.filter(|_| title_ok)?;
    Some(CheckedDoc {
        raw,
        slug,
        date,
        url,
    })
}

impl CheckedDoc<'_> {
    fn into_doc(self, files: &Files) -> Doc<'_> {
        let raw = self.raw;
        let reader = ReaderText::extract(raw.body.text(files));
        let blocks = top_level_blocks(&reader);
        Doc {
            slug: self.slug,
            title: raw.title.value.trim().to_string(),
            publisher: optional(raw.publisher.as_ref()),
            author: optional(raw.author.as_ref()),
            date: self.date,
            url: self.url,
            summary: optional(raw.summary.as_ref()),
            file: raw.file,
            body: raw.body,
            reader,
            blocks,
            annotations: Vec::new(),
            mentions: Vec::new(),
        }
    }
}

/// Reader ranges of the top-level blocks, from the events' nesting.
fn top_level_blocks(reader: &ReaderText<'_>) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<Range<usize>> = None;
    for event in &reader.events {
        match &event.event {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(block) = current.take()
                {
                    blocks.push(block);
                }
            }
            _ => {}
        }
        if !event.reader.is_empty() {
            current = Some(match current {
                Some(block) => block.start..event.reader.end,
                None => event.reader.clone(),
            });
            if depth == 0 {
                blocks.extend(current.take());
            }
        }
    }
    blocks.extend(current);
    blocks
}

pub(super) fn parse_choice<T: Copy>(
    text: &Text,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    let value = text.value.trim();
    if let Some(found) = all.iter().copied().find(|&choice| name(choice) == value) {
        return Some(found);
    }
    let names: Vec<&str> = all.iter().map(|&choice| name(choice)).collect();
    diagnostics.push(
        Diagnostic::error(
            Code::InvalidValue,
            text.span,
            format!("`{value}` is not a {what}"),
        )
        .with_help(suggestion_help(value, &names, "values")),
    );
    None
}

fn entities(
    sources: &SourceSet,
    unloaded: &mut crate::source::Unloaded,
    diagnostics: &mut Diagnostics,
) -> (Vec<Entity>, Vec<(String, EntityId)>) {
    let mut taken = BTreeMap::new();
    let claimed = claimed_slugs(
        sources
            .entities
            .iter()
            .map(|raw| (raw.slug.as_ref(), raw.stem.as_str(), raw.file)),
    );
    let mut entities: Vec<(Entity, &RawEntity)> = Vec::new();
    for raw in &sources.entities {
        let slug = check_slug(
            "entities",
            raw.slug.as_ref(),
            &raw.stem,
            raw.file,
            &claimed,
            &mut taken,
            diagnostics,
        );
        let name_ok = non_empty(&raw.name, "name", diagnostics);
        let kind = match &raw.kind {
            Some(text) => parse_choice(
                text,
                &EntityKind::ALL,
                EntityKind::as_str,
                "kind of entity",
                diagnostics,
            ),
            None => Some(EntityKind::Other),
        };
        let url = url(raw.url.as_ref(), diagnostics);
        let (Some(slug), true, Some(kind)) = (slug, name_ok, kind) else {
            reject(&mut unloaded.entities, raw.slug.as_ref(), &raw.stem);
            continue;
        };
        let name = raw.name.value.trim().to_string();
        let mut aliases = vec![name.clone()];
        for alias in &raw.aliases {
            let value = alias.value.trim();
            if value.is_empty() {
                diagnostics.push(
                    Diagnostic::error(Code::InvalidValue, alias.span, "an alias is empty")
                        .with_help("remove the empty alias"),
                );
            } else if !aliases.iter().any(|a| a == value) {
                aliases.push(value.to_string());
            }
        }
        entities.push((
            Entity {
                slug,
                name,
                kind,
                aliases,
                url,
                description: raw.body,
                file: raw.file,
                name_span: raw.name.span,
                mentions: Vec::new(),
                annotations: Vec::new(),
                related: Vec::new(),
                themes: Vec::new(),
            },
            raw,
        ));
    }
    entities.sort_by(|a, b| a.0.slug.cmp(&b.0.slug));

    // Every alias belongs to one entity.
    let mut owners: BTreeMap<String, (usize, Span)> = BTreeMap::new();
    let mut aliases = Vec::new();
    for (index, (entity, raw)) in entities.iter().enumerate() {
        for alias in &entity.aliases {
            let span = raw
                .aliases
                .iter()
                .find(|a| a.value.trim() == alias)
                .map(|a| a.span)
                .unwrap_or(raw.name.span);
            match owners.get(alias) {
                Some((owner, first_span)) if *owner != index => {
                    diagnostics.push(
                        Diagnostic::error(
                            Code::DuplicateAlias,
                            span,
                            format!(
                                "the alias `{alias}` is claimed by `{}` and `{}`",
                                entities[*owner].0.slug, entity.slug
                            ),
                        )
                        .with_related(*first_span, "also claimed here")
                        .with_help("an alias must name one entity; remove it from one of them"),
                    );
                }
                Some(_) => {}
                None => {
                    owners.insert(alias.clone(), (index, span));
                    aliases.push((alias.clone(), EntityId::from_index(index)));
                }
            }
        }
    }
    (entities.into_iter().map(|(e, _)| e).collect(), aliases)
}

fn themes(
    sources: &SourceSet,
    unloaded: &mut crate::source::Unloaded,
    diagnostics: &mut Diagnostics,
) -> Vec<Theme> {
    let mut taken = BTreeMap::new();
    let claimed = claimed_slugs(
        sources
            .themes
            .iter()
            .map(|raw| (raw.slug.as_ref(), raw.stem.as_str(), raw.file)),
    );
    let mut themes = Vec::new();
    for raw in &sources.themes {
        match theme(raw, &claimed, &mut taken, diagnostics) {
            Some(theme) => themes.push(theme),
            None => reject(&mut unloaded.themes, raw.slug.as_ref(), &raw.stem),
        }
    }
    themes.sort_by(|a, b| (a.order, &a.title, &a.slug).cmp(&(b.order, &b.title, &b.slug)));
    themes
}

fn theme(
    raw: &RawTheme,
    claimed: &BTreeMap<String, Span>,
    taken: &mut BTreeMap<String, Span>,
    diagnostics: &mut Diagnostics,
) -> Option<Theme> {
    let slug = check_slug(
        "themes",
        raw.slug.as_ref(),
        &raw.stem,
        raw.file,
        claimed,
        taken,
        diagnostics,
    );
    let title_ok = non_empty(&raw.title, "title", diagnostics);
    let slug = slug.filter(|_| title_ok)?;
    Some(Theme {
        slug,
        title: raw.title.value.trim().to_string(),
        order: raw.order.as_ref().map(|o| o.value).unwrap_or(i64::MAX),
        description: raw.body,
        file: raw.file,
        title_span: raw.title.span,
        annotations: Vec::new(),
    })
}

fn mentions(
    docs: &mut [Doc<'_>],
    entities: &mut [Entity],
    aliases: &[(String, EntityId)],
) -> Vec<Mention> {
    let matcher = AliasMatcher::new(aliases);
    let found: Vec<Vec<(EntityId, Range<usize>)>> = docs
        .par_iter()
        .map(|doc| {
            // Mentions must lie inside one text event so they can become one element.
            matcher
                .find(&doc.reader.text)
                .into_iter()
                .filter(|(_, range)| {
                    doc.reader
                        .events
                        .iter()
                        .any(|e| e.reader.start <= range.start && range.end <= e.reader.end)
                })
                .collect()
        })
        .collect();
    let mut mentions = Vec::new();
    for (doc_index, doc_mentions) in found.into_iter().enumerate() {
        let mut counters: HashMap<EntityId, usize> = HashMap::new();
        for (entity, range) in doc_mentions {
            let counter = counters.entry(entity).or_insert(0);
            *counter += 1;
            let id = MentionId::from_index(mentions.len());
            mentions.push(Mention {
                entity,
                doc: DocId::from_index(doc_index),
                range,
                html_id: format!("m-{}-{}", entities[entity.index()].slug, counter),
            });
            docs[doc_index].mentions.push(id);
            entities[entity.index()].mentions.push(id);
        }
    }
    mentions
}

/// Related entities: those mentioned in the same top-level block, with how many blocks.
fn related_entities(docs: &[Doc<'_>], entities: &mut [Entity], mentions: &[Mention]) {
    let mut related: Vec<BTreeMap<EntityId, usize>> = vec![BTreeMap::new(); entities.len()];
    for doc in docs {
        let mut by_block: BTreeMap<usize, BTreeSet<EntityId>> = BTreeMap::new();
        for mention_id in &doc.mentions {
            let mention = &mentions[mention_id.index()];
            if let Some(block) = doc.block_of(mention.range.start) {
                by_block.entry(block).or_default().insert(mention.entity);
            }
        }
        for present in by_block.values() {
            for &a in present {
                for &b in present {
                    if a != b {
                        *related[a.index()].entry(b).or_insert(0) += 1;
                    }
                }
            }
        }
    }
    for (index, counts) in related.into_iter().enumerate() {
        let mut list: Vec<(EntityId, usize)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        entities[index].related = list;
    }
}
