//! gloss: a static site generator for annotated briefings.
//!
//! The pipeline is the module list: `config` reads `site.toml`, `source` loads the content,
//! `model` resolves it (anchoring quotes through `anchor`), `render` turns the briefing into
//! pages, `output` writes them. `build`, `check` and (later) `serve` share [`build`].

pub mod anchor;
pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod files;
pub mod fix;
pub mod model;
pub mod new_annotation;
pub mod output;
pub mod render;
pub mod scaffold;
pub mod serve;
pub mod source;

use std::path::Path;
use std::time::{Duration, Instant};

use config::{Config, Overrides};
use diagnostics::Diagnostics;
use files::Files;
use render::OutputTree;

/// Counts for the one-line summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub n_sources: usize,
    pub n_entities: usize,
    pub n_themes: usize,
    pub n_annotations: usize,
    pub n_pages: usize,
}

/// What to do with the search index, the most expensive output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SearchIndex {
    /// Build it with the pages (`gloss build`).
    #[default]
    Build,
    /// Hand its records back in [`BuildResult::deferred_search`], to be indexed after the pages
    /// are published (`gloss serve`).
    Defer,
    /// Leave it out: nothing is written (`gloss check`).
    Skip,
}

/// Where the built site goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Kept in memory, in [`BuildResult::tree`] (`serve`, tests).
    Memory,
    /// Written to the configured output folder as it is rendered, swapped in at the end when
    /// there were no errors. `force` replaces a folder gloss did not write.
    Folder { force: bool },
    /// Rendered and dropped (`check`).
    Nowhere,
}

/// How long each stage took, and the peak memory at its end, for `gloss build --timings`.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub load: Duration,
    /// Resolving and anchoring: slugs, quotes, mentions, backlinks.
    pub model: Duration,
    /// The part of `model` spent finding the quotes in their sources.
    pub anchor: Duration,
    /// Rendering, with the files written as they are made.
    pub render: Duration,
    /// The steps of `render`, in order (none for `check`).
    pub render_steps: Vec<(&'static str, Duration)>,
    /// Swapping the new site in for the old one.
    pub commit: Duration,
    /// The process's peak resident memory at the end of load, model and render, in bytes,
    /// where the system reports it (Linux).
    pub peak_memory: [Option<u64>; 3],
}

/// The peak resident memory of this process so far, in bytes (`VmHWM` on Linux).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// What one run of the pipeline produced: the files read, every diagnostic, and the site
/// when there were no errors.
pub struct BuildResult {
    pub files: Files,
    pub diagnostics: Diagnostics,
    pub config: Option<Config>,
    /// The counts of the site, when it was built (no errors).
    pub site: Option<Summary>,
    /// The site itself, with [`Target::Memory`].
    pub tree: Option<OutputTree>,
    /// What was written, with [`Target::Folder`].
    pub written: Option<output::WriteStats>,
    /// Search records still to index, with [`SearchIndex::Defer`].
    pub deferred_search: Option<Vec<render::search::SearchRecord>>,
    pub timings: Timings,
    pub elapsed: Duration,
}

/// Runs the whole pipeline in memory, search index included. Content problems are in
/// `diagnostics` (and then `site` is `None`); `Err` is for I/O and template failures.
pub fn build(root: &Path, overrides: &Overrides) -> anyhow::Result<BuildResult> {
    build_with(root, overrides, SearchIndex::Build, Target::Memory)
}

/// [`build`], choosing what happens to the search index and where the site goes.
pub fn build_with(
    root: &Path,
    overrides: &Overrides,
    search_index: SearchIndex,
    target: Target,
) -> anyhow::Result<BuildResult> {
    let started = Instant::now();
    let mut timings = Timings::default();
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let Some(config) = config::load(root, overrides, &mut files, &mut diagnostics)? else {
        return Ok(BuildResult {
            files,
            diagnostics,
            config: None,
            site: None,
            tree: None,
            written: None,
            deferred_search: None,
            timings,
            elapsed: started.elapsed(),
        });
    };
    let stage = Instant::now();
    let mut sources = source::load(&config, files, &mut diagnostics)?;
    timings.load = stage.elapsed();
    timings.peak_memory[0] = peak_memory();
    let stage = Instant::now();
    // The raw annotations are freed as soon as the briefing holds what it needs of them.
    let raw_annotations = std::mem::take(&mut sources.annotations);
    let briefing = model::build_from(&sources, &raw_annotations, &mut diagnostics);
    drop(raw_annotations);
    timings.model = stage.elapsed();
    timings.anchor = briefing.anchoring;
    timings.peak_memory[1] = peak_memory();
    let mut deferred_search = None;
    let mut tree = None;
    let mut written = None;
    let site = if diagnostics.has_errors() {
        None
    } else {
        let stage = Instant::now();
        let memory = std::sync::Mutex::new(OutputTree::default());
        let staging = match target {
            Target::Folder { force } => Some(output::Staging::open(&config.output_dir, force)?),
            Target::Memory | Target::Nowhere => None,
        };
        let sink: &dyn output::Sink = match (&staging, target) {
            (Some(staging), _) => staging,
            (None, Target::Memory) => &memory,
            (None, _) => &output::Discard,
        };
        let rendering = render::render_site(&config, &sources, &briefing, search_index, sink)?;
        timings.render = stage.elapsed();
        timings.render_steps = rendering.steps;
        timings.peak_memory[2] = peak_memory();
        diagnostics.extend(rendering.diagnostics);
        deferred_search = rendering.deferred_search;
        let summary = Summary {
            n_sources: briefing.docs.len(),
            n_entities: briefing.entities.len(),
            n_themes: briefing.themes.len(),
            n_annotations: briefing.annotations.len(),
            n_pages: rendering.n_pages,
        };
        if diagnostics.has_errors() {
            // Dropping the staging folder uncommitted leaves the previous site as it was.
            None
        } else {
            let stage = Instant::now();
            if let Some(staging) = staging {
                written = Some(staging.commit()?);
            }
            timings.commit = stage.elapsed();
            if target == Target::Memory {
                tree = Some(memory.into_inner().unwrap_or_else(|e| e.into_inner()));
            }
            Some(summary)
        }
    };
    drop(briefing);
    Ok(BuildResult {
        files: sources.files,
        diagnostics,
        config: Some(config),
        site,
        tree,
        written,
        deferred_search,
        timings,
        elapsed: started.elapsed(),
    })
}
