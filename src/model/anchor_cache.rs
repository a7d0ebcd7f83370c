//! The anchoring of each annotation file, kept in a [`Base`](super::Base) from one `link` to
//! the next so that only the files whose text changed are anchored (and checked) again.
//!
//! Owns the cache's key and entries. An entry is keyed by the file's [`FileId`] and an XXH3-128
//! hash of its path and text, and holds, for each of the file's annotations that reached a
//! source (in the file's order), the anchoring outcome (range and drift warning, or the error)
//! and what checking the annotation found. The same path and text parse to the same
//! annotations, and everything else anchoring and checking look at (the docs, the slugs of
//! sources, entities and themes) belongs to the `Base`, whose sources cannot change while it
//! lives; so an entry whose key matches holds exactly what `link` would find again.
//!
//! The checked annotations themselves live in the last [`Briefing`](super::Briefing) while it
//! lives and come back as the cache's pool with [`Briefing::into_base`](super::Briefing::into_base):
//! each entry says where in the pool its annotation is, so the next `link` moves it instead of
//! making it again. It anchors and checks nothing itself and reads no files: `link` does both.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Weak};

use super::Annotation;
use crate::diagnostics::{Diagnostic, Span};
use crate::files::{FileId, Files, SourceFile};

/// Where one annotation's quote is (with the warning when it drifted), or why it is nowhere.
/// Diagnostics are boxed: they are rare, and most entries are a bare range.
pub(super) type Anchored = Result<(Range<usize>, Option<Box<Diagnostic>>), Box<Diagnostic>>;

/// What identifies a file's content: a hash of its path and text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileKey(u128);

impl FileKey {
    pub(super) fn of(file: &SourceFile) -> FileKey {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        // The path decides how the text is parsed (YAML or Markdown); its length keeps the
        // boundary between path and text unambiguous.
        let path = file.path.as_os_str().as_encoded_bytes();
        hasher.update(&(path.len() as u64).to_le_bytes());
        hasher.update(path);
        hasher.update(file.text.as_bytes());
        FileKey(hasher.digest128())
    }
}

/// One annotation as the last `link` left it.
#[derive(Debug)]
pub(super) struct Linked {
    pub(super) anchored: Anchored,
    /// What checking the annotation found, after its anchoring's own diagnostic.
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Where the checked annotation is in the pool; `None` when it is not valid.
    pub(super) annotation: Option<u32>,
    /// Where its id is written (its quote, when it has none), for duplicate ids.
    pub(super) id_span: Span,
}

/// One annotation file's entry.
#[derive(Debug)]
pub(super) struct CachedFile {
    pub(super) id: FileId,
    pub(super) key: FileKey,
    /// The text the key was computed from, while anything else holds it: when the same shared
    /// text comes again (the usual case in `gloss serve`), it need not be hashed again.
    pub(super) text: Weak<SourceFile>,
    /// Its annotations that reached a source, in the file's order.
    pub(super) linked: Vec<Linked>,
    /// Whether the checks in `linked` can be used again: not when one of the file's annotations
    /// was dropped for a duplicate id (whether it is one depends on the other files).
    pub(super) checked: bool,
}

#[derive(Debug, Default)]
pub(super) struct AnchorCache {
    files: Vec<CachedFile>,
    /// The annotations of the last briefing, given back by `into_base`; empty while it lives.
    pool: Vec<Annotation>,
    /// How many annotations the last briefing was made with.
    lent: usize,
    /// Annotations the last `link` took from the cache, and those it anchored anew.
    hits: usize,
    anchored: usize,
}

/// The files of one `link`: the entry of each file whose key has not changed, and the pool.
pub(super) struct Lookup {
    pub(super) keys: Vec<(FileKey, Weak<SourceFile>)>,
    pub(super) cached: Vec<Option<CachedFile>>,
    pub(super) pool: Vec<Option<Annotation>>,
}

impl AnchorCache {
    /// Takes out the entries of `wanted` (each file with its number of annotations that reached
    /// a source) whose path and text in `files` are those they were made from, and the pool.
    /// Entries of other files are dropped: a `link` [refills](Self::refill) the cache with its
    /// own files only.
    pub(super) fn look_up(&mut self, files: &Files, wanted: &[(FileId, usize)]) -> Lookup {
        let mut entries: HashMap<FileId, CachedFile> = std::mem::take(&mut self.files)
            .into_iter()
            .map(|entry| (entry.id, entry))
            .collect();
        let known: Vec<Option<(FileKey, Weak<SourceFile>)>> = wanted
            .iter()
            .map(|(id, _)| {
                let entry = entries.get(id)?;
                std::ptr::eq(entry.text.as_ptr(), files.get(*id))
                    .then(|| (entry.key, entry.text.clone()))
            })
            .collect();
        // Hashing every annotation file is most of a first link's lookup: in parallel.
        let keys: Vec<(FileKey, Weak<SourceFile>)> = {
            use rayon::prelude::*;
            wanted
                .par_iter()
                .zip(known)
                .map(|(&(id, _), known)| {
                    known.unwrap_or_else(|| {
                        let file = files.shared(id);
                        (FileKey::of(file), Arc::downgrade(file))
                    })
                })
                .collect()
        };
        let cached = wanted
            .iter()
            .zip(&keys)
            .map(|(&(id, n_annotations), (key, _))| {
                entries
                    .remove(&id)
                    .filter(|entry| entry.key == *key && entry.linked.len() == n_annotations)
            })
            .collect();
        let pool = std::mem::take(&mut self.pool)
            .into_iter()
            .map(Some)
            .collect();
        Lookup { keys, cached, pool }
    }

    /// Puts in the entries of the files of a `link` that made a briefing with `lent`
    /// annotations, and its counts.
    pub(super) fn refill(
        &mut self,
        files: Vec<CachedFile>,
        lent: usize,
        hits: usize,
        anchored: usize,
    ) {
        self.files = files;
        self.lent = lent;
        self.hits = hits;
        self.anchored = anchored;
    }

    /// Takes back the annotations the entries point at, from the briefing the last `link` made.
    /// If there are not as many as it was made with, they are not the ones the entries point
    /// at: the next `link` checks every annotation again.
    pub(super) fn give_back(&mut self, annotations: Vec<Annotation>) {
        if annotations.len() == self.lent {
            self.pool = annotations;
        }
    }

    pub(super) fn hits(&self) -> usize {
        self.hits
    }

    pub(super) fn anchored(&self) -> usize {
        self.anchored
    }

    #[cfg(test)]
    pub(super) fn n_files(&self) -> usize {
        self.files.len()
    }
}
