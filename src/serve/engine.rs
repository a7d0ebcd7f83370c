//! The briefing `gloss serve` keeps between rebuilds, and its site, made page by page.
//!
//! Owns the loaded inputs (configuration, sources, compiled templates), the resolved briefing
//! and the annotation files as last parsed. When only annotation files changed it reads just
//! those and links the annotations again ([`model::link`], which keeps everything resolved from
//! the sources and reuses the anchoring of unchanged files); any other change loads a new
//! engine. Pages are made when a request asks for them ([`LiveSite`]), so a rebuild renders
//! nothing. It serves only a briefing that linked without errors: after an edit with errors it
//! links the last good annotation files again, so the previous site stays served.
//! Must not: write any file, print, or know about HTTP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use self_cell::self_cell;

use crate::Summary;
use crate::config::{self, Config, Overrides};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::files::{FileId, Files};
use crate::model::{self, Briefing};
use crate::render::live::{InternalLinks, LiveSite};
use crate::render::search::SearchRecord;
use crate::render::{self, Inputs};
use crate::source::{self, RawAnnotation, SourceSet};

/// What an engine was loaded from; it never changes while the engine lives.
struct Loaded {
    config: Config,
    /// Everything read, the raw annotations taken out (they live in [`AnnotationFiles`]).
    sources: SourceSet,
    tera: tera::Tera,
    /// The load stage's diagnostics about anything but annotation files.
    load_diagnostics: Vec<Diagnostic>,
    /// The `@/` links of the notes and descriptions checked so far, kept from one link of the
    /// annotations to the next.
    links: InternalLinks,
}

/// One annotation file as parsed.
struct ParsedFile {
    file: FileId,
    annotations: Vec<RawAnnotation>,
    /// Problems found while reading and parsing it.
    diagnostics: Vec<Diagnostic>,
}

impl ParsedFile {
    fn empty(file: FileId) -> ParsedFile {
        ParsedFile {
            file,
            annotations: Vec::new(),
            diagnostics: Vec::new(),
        }
    }
}

/// The annotation files, by path, and the table of texts their spans point into.
#[derive(Clone)]
struct AnnotationFiles {
    /// The sources' own table, plus the texts of annotation files read since.
    files: Files,
    by_path: BTreeMap<PathBuf, Arc<ParsedFile>>,
}

impl AnnotationFiles {
    fn annotations(&self) -> Vec<&RawAnnotation> {
        self.by_path
            .values()
            .flat_map(|parsed| &parsed.annotations)
            .collect()
    }

    fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.by_path.values().flat_map(|parsed| &parsed.diagnostics)
    }
}

/// What changes with each rebuild.
struct State<'a> {
    /// Linked from `good`'s files when there are any, else from `current`'s (with errors).
    briefing: Option<Briefing<'a>>,
    /// The annotation files as last edited.
    current: AnnotationFiles,
    /// The last annotation files that linked without errors, and their site.
    good: Option<(AnnotationFiles, LiveSite)>,
}

self_cell!(
    /// A loaded briefing and what was resolved from it: see the module documentation.
    pub(super) struct Engine {
        owner: Loaded,
        #[covariant]
        dependent: State,
    }
);

/// What a load or a relink found.
pub(super) struct Outcome {
    /// Every problem, as `gloss build` would report them.
    pub diagnostics: Diagnostics,
    /// The table the diagnostics' spans point into.
    pub files: Files,
    /// The counts of the site, when it built without errors.
    pub summary: Option<Summary>,
    /// Whether any input changed (a save that wrote the same bytes changes nothing).
    pub changed: bool,
}

impl Engine {
    /// Loads the briefing at `root` whole. `Ok(None)` with the diagnostics when `site.toml`
    /// itself is broken; `Err` for I/O and template failures.
    pub(super) fn load(
        root: &Path,
        overrides: &Overrides,
    ) -> anyhow::Result<Result<(Engine, Outcome), Outcome>> {
        let mut files = Files::default();
        let mut diagnostics = Diagnostics::default();
        let Some(config) = config::load(root, overrides, &mut files, &mut diagnostics)? else {
            return Ok(Err(Outcome {
                diagnostics,
                files,
                summary: None,
                changed: true,
            }));
        };
        let mut sources = source::load(&config, files, &mut diagnostics)?;
        let tera = render::compile_templates(&sources.site_theme)?;
        let raw_annotations = std::mem::take(&mut sources.annotations);

        // The load stage's diagnostics, split into those of annotation files (kept with their
        // file, replaced when it is read again) and the rest (kept for the engine's life).
        let is_annotation_file = |file: FileId| {
            source::is_annotation_path(&config, &config.root.join(sources.files.path(file)))
        };
        let mut by_path: BTreeMap<PathBuf, ParsedFile> = BTreeMap::new();
        let mut load_diagnostics = Vec::new();
        for diagnostic in diagnostics.into_vec() {
            if is_annotation_file(diagnostic.primary.file) {
                let path = config
                    .root
                    .join(sources.files.path(diagnostic.primary.file));
                by_path
                    .entry(path)
                    .or_insert_with(|| ParsedFile::empty(diagnostic.primary.file))
                    .diagnostics
                    .push(diagnostic);
            } else {
                load_diagnostics.push(diagnostic);
            }
        }
        for raw in raw_annotations {
            let path = config.root.join(sources.files.path(raw.file));
            by_path
                .entry(path)
                .or_insert_with(|| ParsedFile::empty(raw.file))
                .annotations
                .push(raw);
        }
        let current = AnnotationFiles {
            files: sources.files.clone(),
            by_path: by_path
                .into_iter()
                .map(|(path, parsed)| (path, Arc::new(parsed)))
                .collect(),
        };
        let loaded = Loaded {
            config,
            sources,
            tera,
            load_diagnostics,
            links: InternalLinks::default(),
        };
        let mut outcome = None;
        let engine = Engine::try_new(loaded, |loaded| -> anyhow::Result<State<'_>> {
            let base = model::base(&loaded.sources);
            let (state, found) = State::link(loaded, base, current, None)?;
            // New templates are tried on a page of each kind before the site is served.
            if let Some((briefing, site)) = state.site() {
                site.try_each_kind(loaded.inputs(briefing))?;
            }
            outcome = Some(found);
            Ok(state)
        })?;
        let outcome = outcome.expect("set by a successful link");
        Ok(Ok((engine, outcome)))
    }

    /// Whether a change to these paths is one [`Self::relink`] can take: annotation files
    /// (changed, added or removed) and files under `content/` that gloss does not read (an
    /// editor's temporary file), nothing else. A path that is gone counts as unread only if no
    /// file gloss loaded was under it (it was not a folder of content).
    pub(super) fn takes(&self, changed: &[PathBuf]) -> bool {
        let loaded = self.borrow_owner();
        let config = &loaded.config;
        let content_dir = config.content_dir();
        let held_content = |folder: &Path| {
            (loaded.sources.files.paths()).any(|path| config.root.join(path).starts_with(folder))
        };
        let unread = |path: &Path| {
            path.starts_with(&content_dir)
                && !source::is_content_path(config, path)
                && if path.exists() {
                    path.is_file()
                } else {
                    !held_content(path)
                }
        };
        // A content file that failed to load silences the "unused" warnings of the whole
        // briefing: only a full load can tell when that is over.
        !changed.is_empty()
            && !loaded.sources.unloaded.any
            && changed.iter().all(|path| {
                if source::is_annotation_path(config, path) {
                    !path.is_dir()
                } else {
                    unread(path)
                }
            })
    }

    /// Reads the changed annotation files again and links every annotation anew.
    pub(super) fn relink(&mut self, changed: &[PathBuf]) -> anyhow::Result<Outcome> {
        self.with_dependent_mut(|loaded, state| {
            let mut current = state.current.clone();
            let mut any_change = false;
            let annotation_paths = changed
                .iter()
                .filter(|path| source::is_annotation_path(&loaded.config, path));
            for path in annotation_paths {
                let mut diagnostics = Vec::new();
                let read = source::load_annotation_file(
                    &loaded.config,
                    &mut current.files,
                    path,
                    &mut diagnostics,
                )?;
                let before = current.by_path.get(path).map(|p| p.file);
                match read {
                    Some((file, annotations)) => {
                        let same = before.is_some_and(|before| {
                            current.files.get(before).text == current.files.get(file).text
                        });
                        if !same {
                            any_change = true;
                            current.by_path.insert(
                                path.clone(),
                                Arc::new(ParsedFile {
                                    file,
                                    annotations,
                                    diagnostics,
                                }),
                            );
                        }
                    }
                    None => any_change |= current.by_path.remove(path).is_some(),
                }
            }
            if !any_change {
                return Ok(state.outcome_unchanged());
            }
            let base = state
                .briefing
                .take()
                .expect("an engine always holds a briefing")
                .into_base();
            let good = state.good.take();
            let (next, outcome) = State::link(loaded, base, current, good)?;
            *state = next;
            Ok(outcome)
        })
    }

    /// Makes the file at `path` of the site being served; `None` when there is no such file
    /// or no site (nothing has linked without errors yet).
    pub(super) fn file(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.with_dependent(|loaded, state| match state.site() {
            Some((briefing, site)) => site.file(loaded.inputs(briefing), path),
            None => Ok(None),
        })
    }

    /// Whether the site being served has a file at `path`.
    pub(super) fn contains(&self, path: &str) -> bool {
        self.with_dependent(|_, state| state.site().is_some_and(|(_, site)| site.contains(path)))
    }

    /// The search records of the site being served.
    pub(super) fn search_records(&self) -> Option<(Vec<SearchRecord>, String)> {
        self.with_dependent(|loaded, state| {
            state.site().map(|(briefing, _)| {
                (
                    crate::render::search::records(briefing, &loaded.sources.files),
                    loaded.config.language.clone(),
                )
            })
        })
    }
}

impl Loaded {
    fn inputs<'r, 'a>(&'r self, briefing: &'r Briefing<'a>) -> Inputs<'r, 'a> {
        Inputs {
            config: &self.config,
            sources: &self.sources,
            briefing,
            tera: &self.tera,
        }
    }
}

impl<'a> State<'a> {
    /// Links `current`'s annotations to `base`, with every diagnostic of the build; when that
    /// finds errors and there were good annotation files before, links those again, so that
    /// the site served stays theirs.
    fn link(
        loaded: &'a Loaded,
        base: model::Base<'a>,
        current: AnnotationFiles,
        good: Option<(AnnotationFiles, LiveSite)>,
    ) -> anyhow::Result<(State<'a>, Outcome)> {
        let mut diagnostics = Diagnostics::default();
        diagnostics.extend(loaded.load_diagnostics.iter().cloned());
        diagnostics.extend(current.diagnostics().cloned());
        let briefing = model::link(
            base,
            &current.files,
            &current.annotations(),
            &mut diagnostics,
        );
        if !diagnostics.has_errors() {
            let inputs = loaded.inputs(&briefing);
            let site = LiveSite::new(inputs)?;
            diagnostics.extend(site.diagnostics(inputs, &loaded.links));
            if !diagnostics.has_errors() {
                let summary = summary(&briefing, &site);
                let outcome = Outcome {
                    diagnostics,
                    files: current.files.clone(),
                    summary: Some(summary),
                    changed: true,
                };
                let state = State {
                    briefing: Some(briefing),
                    good: Some((current.clone(), site)),
                    current,
                };
                return Ok((state, outcome));
            }
        }
        let outcome = Outcome {
            diagnostics,
            files: current.files.clone(),
            summary: None,
            changed: true,
        };
        let briefing = match &good {
            Some((good_files, _)) => model::link(
                briefing.into_base(),
                &good_files.files,
                &good_files.annotations(),
                &mut Diagnostics::default(),
            ),
            None => briefing,
        };
        let state = State {
            briefing: Some(briefing),
            current,
            good,
        };
        Ok((state, outcome))
    }

    /// The briefing and site being served, if any.
    fn site(&self) -> Option<(&Briefing<'a>, &LiveSite)> {
        match (&self.briefing, &self.good) {
            (Some(briefing), Some((_, site))) => Some((briefing, site)),
            _ => None,
        }
    }

    /// The outcome of a rebuild that changed nothing: the state as it is.
    fn outcome_unchanged(&self) -> Outcome {
        Outcome {
            diagnostics: Diagnostics::default(),
            files: self.current.files.clone(),
            summary: self.site().map(|(briefing, site)| summary(briefing, site)),
            changed: false,
        }
    }
}

fn summary(briefing: &Briefing<'_>, site: &LiveSite) -> Summary {
    Summary {
        n_sources: briefing.docs.len(),
        n_entities: briefing.entities.len(),
        n_themes: briefing.themes.len(),
        n_annotations: briefing.annotations.len(),
        n_pages: site.n_pages(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy of the repository's briefing in a temporary folder.
    fn seed_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("site.toml"), dir.path().join("site.toml")).expect("copy");
        for folder in ["content", "themes"] {
            copy_dir(&repo.join(folder), &dir.path().join(folder));
        }
        dir
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("create a folder");
        for entry in std::fs::read_dir(from).expect("list a folder") {
            let entry = entry.expect("an entry");
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).expect("copy a file");
            }
        }
    }

    fn load(root: &Path) -> (Engine, Outcome) {
        match Engine::load(root, &Overrides::default()) {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(_)) => panic!("site.toml is broken"),
            Err(err) => panic!("loading failed: {err:#}"),
        }
    }

    /// Every file of the engine's site, by path.
    fn site(engine: &Engine) -> BTreeMap<String, Vec<u8>> {
        let paths: Vec<String> = engine.with_dependent(|_, state| {
            state
                .site()
                .map(|(_, site)| site.paths().map(str::to_owned).collect())
                .unwrap_or_default()
        });
        paths
            .into_iter()
            .map(|path| {
                let bytes = engine.file(&path).expect("renders").expect("listed");
                (path, bytes)
            })
            .collect()
    }

    fn messages(outcome: &Outcome) -> Vec<String> {
        outcome
            .diagnostics
            .sorted(&outcome.files)
            .into_iter()
            .map(|d| crate::diagnostics::render_short(d, &outcome.files))
            .collect()
    }

    /// After each edit, the relinked engine serves exactly what a fresh load does, and reports
    /// the same problems.
    #[test]
    fn relinking_after_edits_gives_the_site_a_fresh_load_gives() {
        let dir = seed_copy();
        let root = dir.path();
        let (mut engine, first) = load(root);
        assert!(first.summary.is_some(), "{:?}", messages(&first));
        let annotations = root.join("content/annotations");
        let file = annotations.join("microsoft-self-reliant-ai.yaml");
        let original = std::fs::read_to_string(&file).expect("read");
        let added = annotations.join("added.yaml");
        // Each edit: the paths it changes, and the change.
        type Edit = (Vec<PathBuf>, Box<dyn Fn()>);
        let edits: Vec<Edit> = vec![
            // A note edited.
            (vec![file.clone()], {
                let (file, original) = (file.clone(), original.clone());
                Box::new(move || {
                    let edited =
                        original.replacen("This is the article's core thesis", "Edited", 1);
                    assert_ne!(edited, original);
                    std::fs::write(&file, edited).expect("write");
                })
            }),
            // A new file with an annotation that tags an entity.
            (vec![added.clone()], {
                let added = added.clone();
                Box::new(move || {
                    std::fs::write(
                        &added,
                        "source: microsoft-self-reliant-ai\nannotations:\n  - quote: \"parallel tracks\"\n    entities: [openai]\n    note: Added.\n",
                    )
                    .expect("write");
                })
            }),
            // A quote that is not in the source: an error, the last good site stays.
            (vec![file.clone()], {
                let (file, original) = (file.clone(), original.clone());
                Box::new(move || {
                    let broken = original.replacen(
                        "quote: \"",
                        "quote: \"Zebras quietly juggle seventeen violins; ",
                        1,
                    );
                    std::fs::write(&file, broken).expect("write");
                })
            }),
            // A file that is not YAML: an error from the parser.
            (vec![added.clone()], {
                let added = added.clone();
                Box::new(move || {
                    std::fs::write(&added, "source: [unclosed\n").expect("write");
                })
            }),
            // The annotation a note of the other, unchanged file links to renamed: that link
            // is broken now, though the note's text (whose links serve keeps) did not change.
            (vec![file.clone(), added.clone()], {
                let (file, original, added) = (file.clone(), original.clone(), added.clone());
                Box::new(move || {
                    let renamed =
                        original.replacen("id: s1-expansion-not-replacement", "id: s1-renamed", 1);
                    assert_ne!(renamed, original);
                    std::fs::write(&file, renamed).expect("write");
                    std::fs::remove_file(&added).expect("remove");
                })
            }),
            // Fixed again, and the new file removed.
            (vec![file.clone(), added.clone()], {
                let (file, original, added) = (file.clone(), original.clone(), added.clone());
                Box::new(move || {
                    std::fs::write(&file, &original).expect("write");
                    std::fs::write(&added, "").expect("write");
                    std::fs::remove_file(&added).expect("remove");
                })
            }),
        ];
        let mut last_good = site(&engine);
        let expect_errors = [false, false, true, true, true, false];
        assert_eq!(edits.len(), expect_errors.len());
        for ((changed, edit), errors) in edits.into_iter().zip(expect_errors) {
            edit();
            assert!(engine.takes(&changed));
            let outcome = engine.relink(&changed).expect("relinks");
            let (fresh, fresh_outcome) = load(root);
            assert_eq!(messages(&outcome), messages(&fresh_outcome));
            let built = crate::build(root, &Overrides::default()).expect("builds");
            let built_messages: Vec<String> = built
                .diagnostics
                .sorted(&built.files)
                .into_iter()
                .map(|d| crate::diagnostics::render_short(d, &built.files))
                .collect();
            assert_eq!(
                messages(&outcome),
                built_messages,
                "as `gloss build` reports"
            );
            assert_eq!(outcome.summary, fresh_outcome.summary);
            assert_eq!(
                outcome.diagnostics.has_errors(),
                errors,
                "{:?}",
                messages(&outcome)
            );
            if outcome.summary.is_some() {
                let relinked = site(&engine);
                assert!(relinked == site(&fresh), "the relinked site differs");
                assert!(relinked != last_good, "the edit shows");
                last_good = relinked;
            } else {
                assert!(site(&engine) == last_good, "the last good site stays");
            }
        }
    }

    #[test]
    fn only_annotation_files_and_ignored_content_are_relinked() {
        let dir = seed_copy();
        let root = dir.path();
        let (engine, _) = load(root);
        let scratch = root.join("content/annotations/notes.txt");
        std::fs::write(&scratch, "not content").expect("write");
        let renamed_away = root.join("content/annotations/a.yaml.tmp");
        assert!(engine.takes(&[
            root.join("content/annotations/gone.yaml"),
            scratch,
            renamed_away
        ]));
        for path in [
            root.join("site.toml"),
            root.join("content/sources/microsoft-self-reliant-ai.md"),
            root.join("themes/default/templates/base.html"),
            root.join("content/annotations"),
        ] {
            assert!(
                !engine.takes(std::slice::from_ref(&path)),
                "{}",
                path.display()
            );
        }
        // A folder of content moved away: only its own path is reported.
        std::fs::rename(root.join("content/sources"), root.join("moved")).expect("move");
        assert!(!engine.takes(&[root.join("content/sources")]));
        assert!(!engine.takes(&[]));
    }

    #[test]
    fn a_template_that_fails_on_a_page_fails_the_load() {
        let dir = seed_copy();
        let root = dir.path();
        let template = root.join("themes/default/templates/entity.html");
        let text = std::fs::read_to_string(&template).expect("read");
        let broken = text.replacen(
            "{% block main %}",
            "{% block main %}{{ no_such_value.field }}",
            1,
        );
        assert_ne!(broken, text);
        std::fs::write(&template, broken).expect("write");
        let error = match Engine::load(root, &Overrides::default()) {
            Err(error) => format!("{error:#}"),
            Ok(_) => panic!("the broken template was not noticed"),
        };
        assert!(
            error.contains("rendering template `entity.html`"),
            "{error}"
        );
    }

    #[test]
    fn saving_the_same_bytes_changes_nothing() {
        let dir = seed_copy();
        let root = dir.path();
        let (mut engine, _) = load(root);
        let file = root.join("content/annotations/microsoft-self-reliant-ai.yaml");
        let outcome = engine.relink(&[file]).expect("relinks");
        assert!(!outcome.changed);
    }
}
