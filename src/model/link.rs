//! Linking the annotations into a [`Base`]: each annotation is assigned to its source, anchored
//! and checked (or taken from the anchor cache when its file did not change), given its number,
//! and listed on its source, entities and themes; then the "unused" warnings.
//! Everything here depends on the annotations; what does not is `resolve`'s, done once per
//! `Base`. Docs are worked on in parallel and their results merged in doc order, so the
//! briefing and the order of the diagnostics are the same on every run, cached or not.

use std::borrow::{Borrow, Cow};
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use rayon::prelude::*;

use super::anchor_cache::{Anchored, CachedFile, FileKey, Linked, Lookup};
use super::resolve::{date, non_empty, optional, parse_choice, url};
use super::*;
use crate::anchor::{AnchorError, DocIndex, Drift, Located, Selector, word_diff};
use crate::diagnostics::{Code, Span, suggestion_help};
use crate::source::RawAnnotation;

/// An annotation on its way into the briefing.
struct Pending<'r> {
    raw: &'r RawAnnotation,
    /// Its file, as an index into the link's files.
    file: usize,
    /// Its place among that file's annotations that reached a source.
    position: usize,
}

/// What checking one annotation found, or where to find it.
enum Found<'c> {
    /// The check the cache holds; its annotation is in the pool.
    Reused(&'c Linked),
    /// A new check; the annotation is in its doc's list of new ones.
    Checked {
        diagnostics: Vec<Diagnostic>,
        annotation: Option<u32>,
        id_span: Span,
    },
}

impl Found<'_> {
    fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Found::Reused(linked) => &linked.diagnostics,
            Found::Checked { diagnostics, .. } => diagnostics,
        }
    }

    fn id_span(&self) -> Span {
        match self {
            Found::Reused(linked) => linked.id_span,
            Found::Checked { id_span, .. } => *id_span,
        }
    }

    /// The annotation found, from the pool or from the doc's new ones.
    fn annotation<'f>(
        &'f self,
        pool: &'f [Option<Annotation>],
        new: &'f [Option<Annotation>],
    ) -> Option<&'f Annotation> {
        let (list, index) = match self {
            Found::Reused(linked) => (pool, linked.annotation?),
            Found::Checked { annotation, .. } => (new, (*annotation)?),
        };
        Some(
            list[index as usize]
                .as_ref()
                .expect("an annotation is taken out only once, at the end"),
        )
    }

    /// Takes the annotation found out of the pool or the doc's new ones.
    fn take(&self, pool: &mut [Option<Annotation>], new: &mut [Option<Annotation>]) -> Annotation {
        let (list, index) = match self {
            Found::Reused(linked) => (pool, linked.annotation),
            Found::Checked { annotation, .. } => (new, *annotation),
        };
        index
            .and_then(|index| list[index as usize].take())
            .expect("only annotations found are taken, each once")
    }
}

/// What one doc's annotations were checked into: one [`Found`] for each, and the new annotations.
type DocFound<'c> = (Vec<Found<'c>>, Vec<Option<Annotation>>);

/// A new check, for the cache: the annotation's file and place in it, its anchoring when that
/// is new too, its diagnostics and where its id is written.
type NewCheck = (usize, usize, Option<Anchored>, Vec<Diagnostic>, Span);

pub(super) fn link<'a, R: Borrow<RawAnnotation>>(
    base: Base<'a>,
    files: &Files,
    raw_annotations: &[R],
    diagnostics: &mut Diagnostics,
) -> Briefing<'a> {
    let Base {
        front,
        mut docs,
        mut entities,
        mut themes,
        mentions,
        mut kept,
    } = base;
    diagnostics.extend(kept.diagnostics.iter().cloned());
    let (by_doc, link_files) = assign(&kept, raw_annotations, diagnostics);

    let anchoring_started = std::time::Instant::now();
    let Lookup {
        keys,
        cached,
        mut pool,
    } = kept.cache.look_up(files, &link_files);
    let anchored = anchor(&docs, &by_doc, &cached, kept.sources);
    let anchoring = anchoring_started.elapsed();

    let mut found = check_all(&docs, &by_doc, &anchored, &cached, &pool, &kept);
    let duplicates = report(&by_doc, &anchored, &found, &pool, diagnostics);
    let order = reading_order(&found, &pool, &duplicates);

    // The briefing's annotations, noting where each came from.
    let mut annotations: Vec<Annotation> = Vec::with_capacity(order.iter().map(Vec::len).sum());
    let mut placed: Vec<(usize, usize)> = Vec::with_capacity(annotations.capacity());
    for ((pending, order), (found, new)) in by_doc.iter().zip(order).zip(&mut found) {
        for item in order {
            annotations.push(found[item].take(&mut pool, new));
            placed.push((pending[item].file, pending[item].position));
        }
        // Freed as the briefing's list fills, so the two are not held at once.
        *new = Vec::new();
    }
    drop(pool);

    let hits: usize = cached
        .iter()
        .zip(&link_files)
        .filter(|(entry, _)| entry.is_some())
        .map(|(_, &(_, n_annotations))| n_annotations)
        .sum();
    let n_anchored = link_files.iter().map(|&(_, n)| n).sum::<usize>() - hits;
    let new_checks = new_checks(&by_doc, anchored, found);
    let mut entries = entries(&link_files, keys, cached, new_checks);
    for (index, (file, position)) in placed.into_iter().enumerate() {
        entries[file].linked[position].annotation =
            Some(u32::try_from(index).expect("fewer than 2^32 annotations"));
    }
    // Whether an annotation is a duplicate depends on the other files: its file is checked
    // again next time.
    for &(doc_index, item) in &duplicates {
        entries[by_doc[doc_index][item].file].checked = false;
    }
    kept.cache
        .refill(entries, annotations.len(), hits, n_anchored);

    number(
        &mut annotations,
        &by_doc,
        &mut docs,
        &mut entities,
        &mut themes,
    );
    entity_themes(&mut entities, &annotations);
    // With errors in the content, "unused" would often just mean "its annotation failed".
    if !diagnostics.has_errors() && !kept.unloaded.any {
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
        kept,
    }
}

/// Anchors the annotations the cache has no anchoring of; each doc with any is normalised once,
/// docs in parallel.
fn anchor<'c>(
    docs: &[Doc<'_>],
    by_doc: &[Vec<Pending<'_>>],
    cached: &'c [Option<CachedFile>],
    sources: &SourceSet,
) -> Vec<Vec<Cow<'c, Anchored>>> {
    docs.par_iter()
        .zip(by_doc.par_iter())
        .map(|(doc, pending)| {
            let mut index: Option<DocIndex> = None;
            pending
                .iter()
                .map(|pending| match &cached[pending.file] {
                    Some(entry) => Cow::Borrowed(&entry.linked[pending.position].anchored),
                    None => {
                        let index = index.get_or_insert_with(|| DocIndex::new(&doc.reader.text));
                        Cow::Owned(
                            anchor_one(&sources.files, doc, index, pending.raw)
                                .map(|(range, drift)| (range, drift.map(Box::new)))
                                .map_err(Box::new),
                        )
                    }
                })
                .collect()
        })
        .collect()
}

/// Checks the annotations the cache has no check of, docs in parallel.
fn check_all<'c>(
    docs: &[Doc<'_>],
    by_doc: &[Vec<Pending<'_>>],
    anchored: &[Vec<Cow<'_, Anchored>>],
    cached: &'c [Option<CachedFile>],
    pool: &[Option<Annotation>],
    kept: &Kept<'_>,
) -> Vec<DocFound<'c>> {
    docs.par_iter()
        .enumerate()
        .zip(by_doc.par_iter().zip(anchored.par_iter()))
        .map(|((doc_index, doc), (pending, anchored))| {
            let mut new = Vec::new();
            let found = pending
                .iter()
                .zip(anchored)
                .map(|(pending, anchored)| {
                    if let Some(linked) = reused(cached, pool, pending) {
                        return Found::Reused(linked);
                    }
                    let raw = pending.raw;
                    let doc_id = DocId::from_index(doc_index);
                    let (diagnostics, annotation) = check(raw, doc_id, doc, anchored, kept);
                    let annotation = annotation.map(|annotation| {
                        new.push(Some(annotation));
                        u32::try_from(new.len() - 1).expect("fewer than 2^32 annotations")
                    });
                    Found::Checked {
                        diagnostics,
                        annotation,
                        id_span: raw.id.as_ref().map(|id| id.span).unwrap_or(raw.quote.span),
                    }
                })
                .collect();
            (found, new)
        })
        .collect()
}

/// Pushes each annotation's diagnostics, in doc order then the annotations' order, and a
/// duplicate id's; the first annotation with an id keeps it. Returns the duplicates, as
/// (doc, annotation) indexes in order.
fn report(
    by_doc: &[Vec<Pending<'_>>],
    anchored: &[Vec<Cow<'_, Anchored>>],
    found: &[DocFound<'_>],
    pool: &[Option<Annotation>],
    diagnostics: &mut Diagnostics,
) -> Vec<(usize, usize)> {
    let mut ids: FastMap<&str, Span> = FastMap::default();
    ids.reserve(by_doc.iter().map(Vec::len).sum());
    let mut duplicates: Vec<(usize, usize)> = Vec::new();
    for (doc_index, (anchored, (found, new))) in anchored.iter().zip(found).enumerate() {
        for (item, (anchored, found)) in anchored.iter().zip(found).enumerate() {
            match anchored.as_ref() {
                Ok((_, Some(warning))) => diagnostics.push(Diagnostic::clone(warning)),
                Err(error) => diagnostics.push(Diagnostic::clone(error)),
                Ok((_, None)) => {}
            }
            diagnostics.extend(found.diagnostics().iter().cloned());
            let Some(annotation) = found.annotation(pool, new) else {
                continue;
            };
            let id_span = found.id_span();
            let Some(first) = ids.get(annotation.id.as_str()) else {
                ids.insert(&annotation.id, id_span);
                continue;
            };
            let explicit = by_doc[doc_index][item].raw.id.is_some();
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateId,
                    id_span,
                    format!("two annotations have the id `{}`", annotation.id),
                )
                .with_related(*first, "first used here")
                .with_help(if explicit {
                    "give each annotation its own `id`"
                } else {
                    "these annotations select the same passage; give one of them an explicit `id`"
                }),
            );
            duplicates.push((doc_index, item));
        }
    }
    duplicates
}

/// The annotations of each doc that go into the briefing, in reading order, as indexes.
fn reading_order(
    found: &[DocFound<'_>],
    pool: &[Option<Annotation>],
    duplicates: &[(usize, usize)],
) -> Vec<Vec<usize>> {
    found
        .par_iter()
        .enumerate()
        .map(|(doc_index, (found, new))| {
            let mut items: Vec<(usize, &Annotation)> = found
                .iter()
                .enumerate()
                .filter(|&(item, _)| duplicates.binary_search(&(doc_index, item)).is_err())
                .filter_map(|(item, found)| Some((item, found.annotation(pool, new)?)))
                .collect();
            items.sort_by(|(_, a), (_, b)| {
                (a.range.start, std::cmp::Reverse(a.range.end), &a.id).cmp(&(
                    b.range.start,
                    std::cmp::Reverse(b.range.end),
                    &b.id,
                ))
            });
            items.into_iter().map(|(item, _)| item).collect()
        })
        .collect()
}

/// The checks (and anchorings) this link made, for the cache.
fn new_checks(
    by_doc: &[Vec<Pending<'_>>],
    anchored: Vec<Vec<Cow<'_, Anchored>>>,
    found: Vec<DocFound<'_>>,
) -> Vec<NewCheck> {
    let mut checks = Vec::with_capacity(by_doc.iter().map(Vec::len).sum());
    for (pending, (anchored, (found, _))) in by_doc.iter().zip(anchored.into_iter().zip(found)) {
        for (pending, (anchored, found)) in pending.iter().zip(anchored.into_iter().zip(found)) {
            if let Found::Checked {
                diagnostics,
                id_span,
                ..
            } = found
            {
                let anchored = match anchored {
                    Cow::Owned(anchored) => Some(anchored),
                    Cow::Borrowed(_) => None,
                };
                checks.push((
                    pending.file,
                    pending.position,
                    anchored,
                    diagnostics,
                    id_span,
                ));
            }
        }
    }
    checks
}

/// The cache's entries after this link: those of unchanged files with the new checks put in,
/// and new ones for the others. No annotation has its place in the pool yet.
fn entries(
    link_files: &[(FileId, usize)],
    keys: Vec<(FileKey, std::sync::Weak<crate::files::SourceFile>)>,
    cached: Vec<Option<CachedFile>>,
    new_checks: Vec<NewCheck>,
) -> Vec<CachedFile> {
    let mut new_entries: Vec<Vec<Option<Linked>>> = cached
        .iter()
        .zip(link_files)
        .map(|(entry, &(_, n_annotations))| {
            let n_slots = if entry.is_some() { 0 } else { n_annotations };
            (0..n_slots).map(|_| None).collect()
        })
        .collect();
    let mut rechecked = Vec::new();
    for (file, position, anchored, diagnostics, id_span) in new_checks {
        match anchored {
            Some(anchored) => {
                new_entries[file][position] = Some(Linked {
                    anchored,
                    diagnostics,
                    annotation: None,
                    id_span,
                })
            }
            None => rechecked.push((file, position, diagnostics)),
        }
    }
    let mut entries: Vec<CachedFile> = link_files
        .iter()
        .zip(keys)
        .zip(cached.into_iter().zip(new_entries))
        .map(|((&(id, _), (key, text)), (entry, new))| {
            entry.unwrap_or_else(|| CachedFile {
                id,
                key,
                text,
                linked: new
                    .into_iter()
                    .map(|linked| linked.expect("every annotation of a new entry is anchored"))
                    .collect(),
                checked: true,
            })
        })
        .collect();
    for (file, position, diagnostics) in rechecked {
        let linked = &mut entries[file].linked[position];
        linked.diagnostics = diagnostics;
        linked.annotation = None;
        entries[file].checked = true;
    }
    entries
}

/// Numbers each doc's annotations and lists them on their doc, entities and themes; each doc's
/// annotations are a run of the list.
fn number(
    annotations: &mut [Annotation],
    by_doc: &[Vec<Pending<'_>>],
    docs: &mut [Doc<'_>],
    entities: &mut [Entity],
    themes: &mut [Theme],
) {
    let mut number = 0;
    let mut previous_doc = None;
    for (index, annotation) in annotations.iter_mut().enumerate() {
        if previous_doc != Some(annotation.doc) {
            number = 0;
            previous_doc = Some(annotation.doc);
            let n_annotations = by_doc[annotation.doc.index()].len();
            docs[annotation.doc.index()]
                .annotations
                .reserve_exact(n_annotations);
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
}

/// Assigns each annotation to its doc, noting its file (each file with its number of
/// annotations that reached a source), and reports unknown sources.
fn assign<'r, R: Borrow<RawAnnotation>>(
    kept: &Kept<'_>,
    raw_annotations: &'r [R],
    diagnostics: &mut Diagnostics,
) -> (Vec<Vec<Pending<'r>>>, Vec<(FileId, usize)>) {
    let mut by_doc: Vec<Vec<Pending<'r>>> = Vec::new();
    by_doc.resize_with(kept.doc_slugs.len(), Vec::new);
    let mut link_files: Vec<(FileId, usize)> = Vec::new();
    let mut file_indexes: FastMap<FileId, usize> = FastMap::default();
    // The annotations of one YAML file share its `source:` line: it is looked up, and reported
    // when unknown, once.
    let mut previous: Option<(Span, Option<DocId>)> = None;
    let mut reported_sources: HashSet<Span> = HashSet::new();
    for raw in raw_annotations {
        let raw: &RawAnnotation = raw.borrow();
        let doc = match previous {
            Some((span, doc)) if span == raw.source.span => doc,
            _ => {
                let doc = source_doc(kept, raw, &mut reported_sources, diagnostics);
                previous = Some((raw.source.span, doc));
                doc
            }
        };
        let Some(doc) = doc else {
            continue;
        };
        let file = match link_files.last() {
            Some(&(last, _)) if last == raw.file => link_files.len() - 1,
            _ => *file_indexes.entry(raw.file).or_insert_with(|| {
                link_files.push((raw.file, 0));
                link_files.len() - 1
            }),
        };
        let position = link_files[file].1;
        link_files[file].1 += 1;
        by_doc[doc.index()].push(Pending {
            raw,
            file,
            position,
        });
    }
    (by_doc, link_files)
}

/// The doc an annotation's `source` names, if any; an unknown one is reported once.
fn source_doc(
    kept: &Kept<'_>,
    raw: &RawAnnotation,
    reported_sources: &mut HashSet<Span>,
    diagnostics: &mut Diagnostics,
) -> Option<DocId> {
    let slug = raw.source.value.as_str();
    if let Some(&doc) = kept.doc_slugs.get(slug) {
        return Some(doc);
    }
    let silent = kept.draft_slugs.contains(slug) || kept.unloaded.docs.contains(slug);
    if !silent && reported_sources.insert(raw.source.span) {
        let mut known: Vec<&str> = kept.doc_slugs.keys().map(String::as_str).collect();
        known.sort_unstable();
        diagnostics.push(
            Diagnostic::error(
                Code::UnknownSource,
                raw.source.span,
                format!("no source has the slug `{slug}`"),
            )
            .with_help(suggestion_help(slug, &known, "sources")),
        );
    }
    None
}

/// The cache's check of an annotation, when its file's entry has one (and its annotation, if
/// valid, is still in the pool where the entry says).
fn reused<'c>(
    cached: &'c [Option<CachedFile>],
    pool: &[Option<Annotation>],
    pending: &Pending<'_>,
) -> Option<&'c Linked> {
    let entry = cached[pending.file]
        .as_ref()
        .filter(|entry| entry.checked)?;
    let linked = &entry.linked[pending.position];
    if let Some(index) = linked.annotation {
        // The briefing's arenas are public: make sure what came back is this annotation.
        let annotation = pool.get(index as usize)?.as_ref()?;
        if annotation.file != pending.raw.file || annotation.quote_span != pending.raw.quote.span {
            return None;
        }
    }
    Some(linked)
}

/// Checks one anchored annotation: the diagnostics found (after the anchoring's own), and the
/// annotation when it is valid.
fn check(
    raw: &RawAnnotation,
    doc_id: DocId,
    doc: &Doc<'_>,
    anchored: &Anchored,
    kept: &Kept<'_>,
) -> (Vec<Diagnostic>, Option<Annotation>) {
    let mut diagnostics = Diagnostics::default();
    let annotation = match anchored {
        Ok((range, _)) => annotation(raw, doc_id, doc, range.clone(), kept, &mut diagnostics),
        Err(_) => {
            // Still check the rest of the annotation, so one run reports everything.
            let _ = annotation(raw, doc_id, doc, 0..0, kept, &mut diagnostics);
            None
        }
    };
    (diagnostics.into_vec(), annotation)
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

/// Checks one annotation's own values and references; `None` when any of them is wrong.
fn annotation(
    raw: &RawAnnotation,
    doc_id: DocId,
    doc: &Doc<'_>,
    range: Range<usize>,
    kept: &Kept<'_>,
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

    let entities = tags(
        &raw.entities,
        &kept.entity_slugs,
        &kept.unloaded.entities,
        (Code::UnknownEntity, "entity", "entities"),
        diagnostics,
    );
    let themes = tags(
        &raw.themes,
        &kept.theme_slugs,
        &kept.unloaded.themes,
        (Code::UnknownTheme, "theme", "themes"),
        diagnostics,
    );
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
    let date = date(raw.date.as_deref(), diagnostics);
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
        author: optional(raw.author.as_deref()),
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

/// Each entity's themes: those of the annotations that tag it, most first.
fn entity_themes(entities: &mut [Entity], annotations: &[Annotation]) {
    entities.par_iter_mut().for_each(|entity| {
        let mut counts: BTreeMap<ThemeId, usize> = BTreeMap::new();
        for annotation in &entity.annotations {
            for theme in &annotations[annotation.index()].themes {
                *counts.entry(*theme).or_insert(0) += 1;
            }
        }
        let mut list: Vec<(ThemeId, usize)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        entity.themes = list;
    });
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
    // Annotations one at a time, in parallel; their warnings in the annotations' order.
    let untagged: Vec<Option<Diagnostic>> = annotations
        .par_iter()
        .map(|annotation| {
            untagged_mentions(
                annotation,
                &docs[annotation.doc.index()],
                entities,
                mentions,
            )
        })
        .collect();
    diagnostics.extend(untagged.into_iter().flatten());
}

/// The warning for an annotated passage that mentions entities the annotation does not tag.
fn untagged_mentions(
    annotation: &Annotation,
    doc: &Doc<'_>,
    entities: &[Entity],
    mentions: &[Mention],
) -> Option<Diagnostic> {
    // A doc's mentions are in reading order and do not overlap: those inside the passage are a
    // run of them, from the first that starts at or after the passage's start.
    let first = doc
        .mentions
        .partition_point(|id| mentions[id.index()].range.start < annotation.range.start);
    let mut untagged: Vec<&Entity> = Vec::new();
    for mention_id in &doc.mentions[first..] {
        let mention = &mentions[mention_id.index()];
        if mention.range.start > annotation.range.end {
            break;
        }
        let inside = mention.range.end <= annotation.range.end;
        let entity = &entities[mention.entity.index()];
        if inside
            && !annotation.entities.contains(&mention.entity)
            && !untagged.iter().any(|e| e.slug == entity.slug)
        {
            untagged.push(entity);
        }
    }
    if untagged.is_empty() {
        return None;
    }
    let names: Vec<String> = untagged.iter().map(|e| format!("`{}`", e.name)).collect();
    let slugs: Vec<&str> = untagged.iter().map(|e| e.slug.as_str()).collect();
    Some(
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
    )
}

/// The entities or themes an annotation is tagged with, each once, in the order given: a slug
/// that names none is an error (with the nearest slugs as help), unless its file failed to load.
/// `unknown` is the error's code and the singular and plural of what the slugs name.
fn tags<Id: Copy + PartialEq>(
    slugs: &[crate::source::Text],
    by_slug: &FastMap<String, Id>,
    unloaded: &BTreeSet<String>,
    (code, singular, plural): (Code, &str, &str),
    diagnostics: &mut Diagnostics,
) -> Vec<Id> {
    let mut ids = Vec::new();
    for slug in slugs {
        match by_slug.get(slug.value.trim()) {
            Some(&id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None if unloaded.contains(slug.value.trim()) => {}
            None => {
                let mut known: Vec<&str> = by_slug.keys().map(String::as_str).collect();
                known.sort_unstable();
                diagnostics.push(
                    Diagnostic::error(
                        code,
                        slug.span,
                        format!("no {singular} has the slug `{}`", slug.value),
                    )
                    .with_help(suggestion_help(
                        slug.value.trim(),
                        &known,
                        plural,
                    )),
                );
            }
        }
    }
    ids
}
