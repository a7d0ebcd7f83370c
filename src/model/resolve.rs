//! Resolution of raw content into the [`Briefing`]: slugs, references, anchors, mentions and
//! backlinks, each problem a diagnostic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use pulldown_cmark::Event;
use rayon::prelude::*;

use super::mentions::AliasMatcher;
use super::*;
use crate::anchor::{AnchorError, DocIndex, Drift, Located, Selector, word_diff};
use crate::diagnostics::{Code, Diagnostic, Span, suggestion_help};
use crate::files::Files;
use crate::source::{RawAnnotation, RawDoc, RawEntity, RawTheme, Text};

/// One annotation with its anchored range, or the diagnostic saying why it has none.
type AnchorResult<'r> = (
    &'r RawAnnotation,
    Result<(Range<usize>, Option<Diagnostic>), Diagnostic>,
);

pub(super) fn build<'a>(
    sources: &'a SourceSet,
    raw_annotations: &[RawAnnotation],
    diagnostics: &mut Diagnostics,
) -> Briefing<'a> {
    let files = &sources.files;
    let front = front(sources);
    // Sources, entities and themes that failed to load or were rejected here (a bad slug, an
    // empty title): references to them are not reported again as unknown slugs.
    let mut unloaded = sources.unloaded.clone();
    let docs = docs(sources, &mut unloaded, diagnostics);
    let (mut entities, aliases) = entities(sources, &mut unloaded, diagnostics);
    let mut themes = themes(sources, &mut unloaded, diagnostics);
    let mut docs: Vec<Doc<'a>> = docs;

    let doc_slugs: HashMap<&str, DocId> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.slug.as_str(), DocId::from_index(i)))
        .collect();
    let draft_slugs: BTreeSet<String> = sources
        .docs
        .iter()
        .filter(|d| d.draft.as_ref().is_some_and(|v| v.value))
        .map(|d| doc_slug(d).to_string())
        .collect();
    let entity_slugs: HashMap<&str, EntityId> = entities
        .iter()
        .enumerate()
        .map(|(i, e)| (e.slug.as_str(), EntityId::from_index(i)))
        .collect();
    let theme_slugs: HashMap<&str, ThemeId> = themes
        .iter()
        .enumerate()
        .map(|(i, t)| (t.slug.as_str(), ThemeId::from_index(i)))
        .collect();

    // Anchor every annotation; each doc is normalised once, docs in parallel.
    let mut by_doc: Vec<Vec<&RawAnnotation>> = vec![Vec::new(); docs.len()];
    // The annotations of one YAML file share its `source:` line: report it once.
    let mut reported_sources: std::collections::HashSet<Span> = std::collections::HashSet::new();
    for raw in raw_annotations {
        match doc_slugs.get(raw.source.value.as_str()) {
            Some(doc) => by_doc[doc.index()].push(raw),
            None if draft_slugs.contains(&raw.source.value)
                || unloaded.docs.contains(&raw.source.value) => {}
            None if !reported_sources.insert(raw.source.span) => {}
            None => {
                let mut known: Vec<&str> = doc_slugs.keys().copied().collect();
                known.sort_unstable();
                diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownSource,
                        raw.source.span,
                        format!("no source has the slug `{}`", raw.source.value),
                    )
                    .with_help(suggestion_help(
                        &raw.source.value,
                        &known,
                        "sources",
                    )),
                );
            }
        }
    }
    let anchoring_started = std::time::Instant::now();
    let anchored: Vec<Vec<AnchorResult<'_>>> = docs
        .par_iter()
        .zip(by_doc.par_iter())
        .map(|(doc, raws)| {
            if raws.is_empty() {
                return Vec::new();
            }
            let index = DocIndex::new(&doc.reader.text);
            raws.iter()
                .map(|raw| (*raw, anchor_one(files, doc, &index, raw)))
                .collect()
        })
        .collect();
    let anchoring = anchoring_started.elapsed();

    let mut annotations: Vec<Annotation> = Vec::new();
    let mut ids: HashMap<String, Span> = HashMap::new();
    for (doc_index, results) in anchored.into_iter().enumerate() {
        let doc_id = DocId::from_index(doc_index);
        for (raw, result) in results {
            let range = match result {
                Ok((range, drift_warning)) => {
                    diagnostics.extend(drift_warning);
                    range
                }
                Err(diagnostic) => {
                    diagnostics.push(diagnostic);
                    // Still check the rest of the annotation, so one run reports everything.
                    let _ = annotation(
                        raw,
                        doc_id,
                        &docs[doc_index],
                        0..0,
                        &entity_slugs,
                        &theme_slugs,
                        &unloaded,
                        diagnostics,
                    );
                    continue;
                }
            };
            let Some(annotation) = annotation(
                raw,
                doc_id,
                &docs[doc_index],
                range,
                &entity_slugs,
                &theme_slugs,
                &unloaded,
                diagnostics,
            ) else {
                continue;
            };
            let id_span = raw.id.as_ref().map(|id| id.span).unwrap_or(raw.quote.span);
            if let Some(first) = ids.get(&annotation.id) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateId,
                        id_span,
                        format!("two annotations have the id `{}`", annotation.id),
                    )
                    .with_related(*first, "first used here")
                    .with_help(if raw.id.is_some() {
                        "give each annotation its own `id`"
                    } else {
                        "these annotations select the same passage; give one of them an explicit `id`"
                    }),
                );
                continue;
            }
            ids.insert(annotation.id.clone(), id_span);
            annotations.push(annotation);
        }
    }

    // Reading order within each doc, and numbering.
    annotations.sort_by(|a, b| {
        (a.doc, a.range.start, std::cmp::Reverse(a.range.end), &a.id).cmp(&(
            b.doc,
            b.range.start,
            std::cmp::Reverse(b.range.end),
            &b.id,
        ))
    });
    let mut number = 0;
    let mut previous_doc = None;
    for (index, annotation) in annotations.iter_mut().enumerate() {
        if previous_doc != Some(annotation.doc) {
            number = 0;
            previous_doc = Some(annotation.doc);
        }
        number += 1;
        annotation.number = number;
        let id = AnnotationId::from_index(index);
        docs[annotation.doc.index()].annotations.push(id);
        for entity in &annotation.entities {
            entities[entity.index()].annotations.push(id);
        }
        for theme in &annotation.themes {
            themes[theme.index()].annotations.push(id);
        }
    }

    let mentions = mentions(&mut docs, &mut entities, &aliases);
    link_entities(&docs, &mut entities, &mentions, &annotations);
    // With errors in the content, "unused" would often just mean "its annotation failed".
    if !diagnostics.has_errors() && !unloaded.any {
        warn_unused(
            &docs,
            &entities,
            &themes,
            &annotations,
            &mentions,
            diagnostics,
        );
    }

    Briefing {
        front,
        docs,
        entities,
        themes,
        annotations,
        mentions,
        anchoring,
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

fn non_empty(text: &Text, what: &str, diagnostics: &mut Diagnostics) -> bool {
    if text.value.trim().is_empty() {
        diagnostics.push(
            Diagnostic::error(Code::InvalidValue, text.span, format!("{what} is empty"))
                .with_help(format!("write the {what}")),
        );
        return false;
    }
    true
}

fn date(text: Option<&Text>, diagnostics: &mut Diagnostics) -> Option<jiff::civil::Date> {
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

fn url(text: Option<&Text>, diagnostics: &mut Diagnostics) -> Option<String> {
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

fn optional(text: &Option<Text>) -> Option<String> {
    text.as_ref()
        .map(|t| t.value.trim().to_string())
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
    let mut docs = Vec::new();
    for raw in &sources.docs {
        if raw.draft.as_ref().is_some_and(|d| d.value) {
            continue;
        }
        let Some(doc) = doc(&sources.files, raw, &claimed, &mut taken, diagnostics) else {
            reject(&mut unloaded.docs, raw.slug.as_ref(), &raw.stem);
            continue;
        };
        docs.push(doc);
    }
    docs.sort_by(|a, b| a.slug.cmp(&b.slug));
    docs
}

fn doc<'a>(
    files: &'a Files,
    raw: &RawDoc,
    claimed: &BTreeMap<String, Span>,
    taken: &mut BTreeMap<String, Span>,
    diagnostics: &mut Diagnostics,
) -> Option<Doc<'a>> {
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
    let reader = ReaderText::extract(raw.body.text(files));
    let blocks = top_level_blocks(&reader);
    Some(Doc {
        slug,
        title: raw.title.value.trim().to_string(),
        publisher: optional(&raw.publisher),
        author: optional(&raw.author),
        date,
        url,
        summary: optional(&raw.summary),
        file: raw.file,
        body: raw.body,
        reader,
        blocks,
        annotations: Vec::new(),
        mentions: Vec::new(),
    })
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

fn parse_choice<T: Copy>(
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

/// Anchors one annotation in its doc, or explains why it cannot be.
fn anchor_one(
    files: &Files,
    doc: &Doc<'_>,
    index: &DocIndex,
    raw: &RawAnnotation,
) -> Result<(Range<usize>, Option<Diagnostic>), Diagnostic> {
    for (what, text) in [("prefix", &raw.prefix), ("suffix", &raw.suffix)] {
        if let Some(text) = text
            && text.value.trim().is_empty()
        {
            return Err(Diagnostic::error(
                Code::EmptyQuote,
                text.span,
                format!("the {what} is empty"),
            )
            .with_help(format!(
                "remove `{what}` or write the text around the quote"
            )));
        }
    }
    let selector = Selector {
        quote: &raw.quote.value,
        prefix: raw.prefix.as_ref().map(|p| p.value.as_str()),
        suffix: raw.suffix.as_ref().map(|s| s.value.as_str()),
    };
    let source_file = files.get(doc.file);
    let line_of = |reader_range: &Range<usize>| {
        let offset = doc.body.start + doc.reader.source_offset(reader_range.start);
        source_file.line_col(offset).0
    };
    let source_path = crate::diagnostics::display_path(&source_file.path);
    let excerpt = |range: &Range<usize>| excerpt(&doc.reader.text[range.clone()]);
    let doc_span = |range: &Range<usize>| {
        let source = doc.reader.source_range(range.clone());
        Span::new(
            doc.file,
            doc.body.start + source.start..doc.body.start + source.end,
        )
    };
    match index.locate(&selector) {
        Ok(Located { range, drift: None }) => Ok((range, None)),
        Ok(Located {
            range,
            drift: Some(drift),
        }) => {
            let warning = drift_warning(
                raw,
                &drift,
                &line_of(&range).to_string(),
                &source_path,
                doc_span(&range),
            );
            Ok((range, Some(warning)))
        }
        Err(AnchorError::EmptyQuote) => {
            Err(
                Diagnostic::error(Code::EmptyQuote, raw.quote.span, "the quote is empty")
                    .with_help("copy the passage you annotate from the source into `quote`"),
            )
        }
        Err(AnchorError::NotFound { closest }) => {
            let diagnostic = Diagnostic::error(
                Code::QuoteNotFound,
                raw.quote.span,
                format!("quote not found in source `{}` ({source_path})", doc.slug),
            );
            Err(match closest {
                Some(range) => diagnostic
                    .with_related(doc_span(&range), "closest text")
                    .with_help(format!(
                        "closest text, line {}: \"{}\"; copy the passage exactly from the source",
                        line_of(&range),
                        excerpt(&range)
                    )),
                None => diagnostic.with_help(
                    "nothing similar is in the source; check the `source` slug and copy the passage exactly",
                ),
            })
        }
        Err(AnchorError::ContextNotFound { occurrences }) => {
            let lines: Vec<String> = occurrences.iter().map(|r| line_of(r).to_string()).collect();
            let mut diagnostic = Diagnostic::error(
                Code::QuoteNotFound,
                raw.prefix
                    .as_ref()
                    .or(raw.suffix.as_ref())
                    .map(|t| t.span)
                    .unwrap_or(raw.quote.span),
                format!(
                    "the quote is in source `{}` but not with this prefix/suffix",
                    doc.slug
                ),
            )
            .with_help(format!(
                "the quote occurs on line{} {} of {source_path}; make `prefix`/`suffix` the text right around the one you mean",
                if lines.len() == 1 { "" } else { "s" },
                lines.join(", ")
            ));
            for range in occurrences.iter().take(8) {
                diagnostic = diagnostic.with_related(doc_span(range), "the quote occurs here");
            }
            Err(diagnostic)
        }
        Err(AnchorError::Ambiguous { candidates }) => {
            let lines: Vec<String> = candidates
                .iter()
                .map(|c| line_of(&c.range).to_string())
                .collect();
            let mut diagnostic = Diagnostic::error(
                Code::QuoteAmbiguous,
                raw.quote.span,
                format!(
                    "the quote matches {} places in source `{}` (lines {})",
                    candidates.len(),
                    doc.slug,
                    lines.join(", ")
                ),
            );
            let mut suggestions = Vec::new();
            for candidate in &candidates {
                let line = line_of(&candidate.range);
                let how = match (&candidate.prefix, &candidate.suffix) {
                    (Some(prefix), Some(suffix)) if suffix.len() < prefix.len() => {
                        format!("suffix: \"{suffix}\"")
                    }
                    (Some(prefix), _) => format!("prefix: \"{prefix}\""),
                    (None, Some(suffix)) => format!("suffix: \"{suffix}\""),
                    (None, None) => "a longer quote".to_string(),
                };
                suggestions.push(format!("line {line}: add `{how}`"));
                diagnostic = diagnostic
                    .with_related(doc_span(&candidate.range), format!("match on line {line}"));
            }
            Err(diagnostic.with_help(format!(
                "say which one you mean with the text right before or after it: {}",
                suggestions.join("; ")
            )))
        }
    }
}

/// The warning for a quote re-anchored to a lightly edited passage: never silent, with the
/// difference and a fix that updates the quote to the current text.
fn drift_warning(
    raw: &RawAnnotation,
    drift: &Drift,
    line: &str,
    source_path: &str,
    place: Span,
) -> Diagnostic {
    let current = drift
        .current
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let message = if drift.distance == 0 {
        format!(
            "the text around the quote changed in the source; re-anchored to line {line} of {source_path}"
        )
    } else {
        format!(
            "quote drifted: re-anchored to edited text on line {line} of {source_path} ({:.0}% similar): {}",
            drift.similarity * 100.0,
            word_diff(&raw.quote.value, &current)
        )
    };
    let mut warning = Diagnostic::warning(Code::QuoteDrifted, raw.quote.span, message)
        .with_related(place, "anchored here");
    if drift.distance > 0 {
        let replacement = serde_json::to_string(&current).expect("strings serialise");
        warning = warning
            .with_help(format!(
                "update the quote to the current text: {replacement} (`gloss check --fix` does it)"
            ))
            .with_fix(raw.quote.span, replacement);
    } else {
        warning =
            warning.with_help("check that the note still fits, then update `prefix`/`suffix`");
    }
    warning
}

/// A passage shortened for a one-line message.
fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 80 {
        flat
    } else {
        let cut: String = flat.chars().take(77).collect();
        format!("{cut}...")
    }
}

#[allow(clippy::too_many_arguments)]
fn annotation(
    raw: &RawAnnotation,
    doc_id: DocId,
    doc: &Doc<'_>,
    range: Range<usize>,
    entity_slugs: &HashMap<&str, EntityId>,
    theme_slugs: &HashMap<&str, ThemeId>,
    unloaded: &crate::source::Unloaded,
    diagnostics: &mut Diagnostics,
) -> Option<Annotation> {
    let n_errors = diagnostics.n_errors();
    let id = match &raw.id {
        Some(id) => {
            let value = id.value.trim();
            let valid = !value.is_empty()
                && value.len() <= 200
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                diagnostics.push(
                    Diagnostic::error(
                        Code::InvalidSlug,
                        id.span,
                        format!("the id `{value}` is not valid"),
                    )
                    .with_help(format!(
                        "an id is lowercase letters, digits and hyphens, such as `{}`",
                        slugify(value)
                    )),
                );
            }
            value.to_string()
        }
        None => default_annotation_id(&doc.slug, &doc.reader.text[range.clone()]),
    };

    let mut entities = Vec::new();
    for slug in &raw.entities {
        match entity_slugs.get(slug.value.trim()) {
            Some(&entity) if !entities.contains(&entity) => entities.push(entity),
            Some(_) => {}
            None if unloaded.entities.contains(slug.value.trim()) => {}
            None => {
                let mut known: Vec<&str> = entity_slugs.keys().copied().collect();
                known.sort_unstable();
                diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownEntity,
                        slug.span,
                        format!("no entity has the slug `{}`", slug.value),
                    )
                    .with_help(suggestion_help(
                        slug.value.trim(),
                        &known,
                        "entities",
                    )),
                );
            }
        }
    }
    let mut themes = Vec::new();
    for slug in &raw.themes {
        match theme_slugs.get(slug.value.trim()) {
            Some(&theme) if !themes.contains(&theme) => themes.push(theme),
            Some(_) => {}
            None if unloaded.themes.contains(slug.value.trim()) => {}
            None => {
                let mut known: Vec<&str> = theme_slugs.keys().copied().collect();
                known.sort_unstable();
                diagnostics.push(
                    Diagnostic::error(
                        Code::UnknownTheme,
                        slug.span,
                        format!("no theme has the slug `{}`", slug.value),
                    )
                    .with_help(suggestion_help(
                        slug.value.trim(),
                        &known,
                        "themes",
                    )),
                );
            }
        }
    }
    let kind = match &raw.kind {
        Some(text) => parse_choice(
            text,
            &AnnotationKind::ALL,
            AnnotationKind::as_str,
            "kind of annotation",
            diagnostics,
        ),
        None => Some(AnnotationKind::Note),
    };
    let status = match &raw.status {
        Some(text) => {
            let status = parse_choice(
                text,
                &ClaimStatus::ALL,
                ClaimStatus::as_str,
                "claim status",
                diagnostics,
            );
            if kind.is_some_and(|k| k != AnnotationKind::Claim) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::StatusWithoutClaim,
                        text.span,
                        "`status` is only for annotations of kind `claim`",
                    )
                    .with_help("add `kind: claim` or remove `status`"),
                );
            }
            status
        }
        None if kind == Some(AnnotationKind::Claim) => Some(ClaimStatus::Unverified),
        None => None,
    };
    let date = date(raw.date.as_ref(), diagnostics);
    let mut links = Vec::new();
    for link in &raw.links {
        non_empty(&link.title, "link title", diagnostics);
        if let Some(url) = url(Some(&link.url), diagnostics) {
            links.push(Link {
                title: link.title.value.trim().to_string(),
                url,
            });
        }
    }
    if diagnostics.n_errors() > n_errors {
        return None;
    }
    Some(Annotation {
        id,
        doc: doc_id,
        range,
        number: 0,
        note: raw.note.clone().filter(|n| !n.value.trim().is_empty()),
        entities,
        themes,
        kind: kind.expect("no new errors"),
        status,
        author: optional(&raw.author),
        date,
        links,
        file: raw.file,
        quote_span: raw.quote.span,
    })
}

/// The id of an annotation that has none: the first words of the passage and a short hash of
/// the source and passage. It depends on nothing else, so it stays the same when other
/// annotations come and go.
pub fn default_annotation_id(doc_slug: &str, passage: &str) -> String {
    let normalized = crate::anchor::normalize::normalize(passage).text;
    let words: Vec<&str> = normalized.split_whitespace().take(5).collect();
    let mut stem = slugify(&words.join(" "));
    if stem.len() > 40 {
        let cut = stem[..40].rfind('-').unwrap_or(40);
        stem.truncate(cut);
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in doc_slug.bytes().chain([0]).chain(normalized.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{stem}-{:06x}", hash & 0xff_ffff)
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

/// Related entities (sharing a block) and each entity's themes.
fn link_entities(
    docs: &[Doc<'_>],
    entities: &mut [Entity],
    mentions: &[Mention],
    annotations: &[Annotation],
) {
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
    for entity in entities.iter_mut() {
        let mut counts: BTreeMap<ThemeId, usize> = BTreeMap::new();
        for annotation in &entity.annotations {
            for theme in &annotations[annotation.index()].themes {
                *counts.entry(*theme).or_insert(0) += 1;
            }
        }
        let mut list: Vec<(ThemeId, usize)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        entity.themes = list;
    }
}

/// Warnings for what is probably an oversight: entities and themes nothing points at, and
/// annotated passages that mention an entity they do not tag.
fn warn_unused(
    docs: &[Doc<'_>],
    entities: &[Entity],
    themes: &[Theme],
    annotations: &[Annotation],
    mentions: &[Mention],
    diagnostics: &mut Diagnostics,
) {
    for entity in entities {
        if entity.mentions.is_empty() && entity.annotations.is_empty() {
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnusedEntity,
                    entity.name_span,
                    format!(
                        "the entity `{}` is never mentioned in a source and no annotation tags it",
                        entity.slug
                    ),
                )
                .with_help("add the name it appears under to `aliases`, tag it in an annotation, or remove the entity"),
            );
        }
    }
    for theme in themes {
        if theme.annotations.is_empty() {
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnusedTheme,
                    theme.title_span,
                    format!("no annotation is tagged with the theme `{}`", theme.slug),
                )
                .with_help(format!(
                    "add `{}` to the `themes` of the annotations it covers, or remove the theme",
                    theme.slug
                )),
            );
        }
    }
    for annotation in annotations {
        let doc = &docs[annotation.doc.index()];
        let mut untagged: Vec<&Entity> = Vec::new();
        for mention_id in &doc.mentions {
            let mention = &mentions[mention_id.index()];
            let inside = annotation.range.start <= mention.range.start
                && mention.range.end <= annotation.range.end;
            let entity = &entities[mention.entity.index()];
            if inside
                && !annotation.entities.contains(&mention.entity)
                && !untagged.iter().any(|e| e.slug == entity.slug)
            {
                untagged.push(entity);
            }
        }
        if untagged.is_empty() {
            continue;
        }
        let names: Vec<String> = untagged.iter().map(|e| format!("`{}`", e.name)).collect();
        let slugs: Vec<&str> = untagged.iter().map(|e| e.slug.as_str()).collect();
        diagnostics.push(
            Diagnostic::warning(
                Code::UntaggedMention,
                annotation.quote_span,
                format!(
                    "the passage mentions {} but the annotation does not tag {}",
                    names.join(", "),
                    if untagged.len() == 1 { "it" } else { "them" }
                ),
            )
            .with_help(format!("add {} to `entities`", slugs.join(", "))),
        );
    }
}
