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
use std::time::Instant;

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

/// What one run of the pipeline produced: the files read, every diagnostic, and the site
/// when there were no errors.
pub struct BuildResult {
    pub files: Files,
    pub diagnostics: Diagnostics,
    pub config: Option<Config>,
    pub site: Option<(OutputTree, Summary)>,
    pub elapsed: std::time::Duration,
}

/// Runs the whole pipeline in memory. Content problems are in `diagnostics` (and then `site`
/// is `None`); `Err` is for I/O and template failures.
pub fn build(root: &Path, overrides: &Overrides) -> anyhow::Result<BuildResult> {
    let started = Instant::now();
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let Some(config) = config::load(root, overrides, &mut files, &mut diagnostics)? else {
        return Ok(BuildResult {
            files,
            diagnostics,
            config: None,
            site: None,
            elapsed: started.elapsed(),
        });
    };
    let sources = source::load(&config, files, &mut diagnostics)?;
    let briefing = model::build(&sources, &mut diagnostics);
    let site = if diagnostics.has_errors() {
        None
    } else {
        let (tree, render_diagnostics) = render::render_site(&config, &sources, &briefing)?;
        diagnostics.extend(render_diagnostics);
        let summary = Summary {
            n_sources: briefing.docs.len(),
            n_entities: briefing.entities.len(),
            n_themes: briefing.themes.len(),
            n_annotations: briefing.annotations.len(),
            n_pages: tree.n_pages(),
        };
        (!diagnostics.has_errors()).then_some((tree, summary))
    };
    drop(briefing);
    Ok(BuildResult {
        files: sources.files,
        diagnostics,
        config: Some(config),
        site,
        elapsed: started.elapsed(),
    })
}
