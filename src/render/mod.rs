//! Render: [`Briefing`] → the site's files, each handed to an [`output::Sink`](crate::output::Sink) as soon as it is made.
//!
//! Owns tera, Markdown → HTML, highlighting of annotated passages, URLs and the site's file
//! layout. Templates see only the structs in [`views`]. No disk I/O: `output` writes the tree.

mod body;
mod charts;
mod export;
mod feed;
pub mod live;
pub mod markdown;
pub mod search;
mod site_files;
mod text_fragment;
pub mod views;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use anyhow::Context as _;
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::model::{Annotation, AnnotationId, Briefing, DocId, EntityId, EntityKind, ThemeId};
use crate::output::Sink;
use crate::source::{Body, SiteTheme, SourceSet};
use markdown::{LinkContext, LinkTargets};
use views::*;

/// The built site: output-relative paths (`sources/a/index.html`) and their bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputTree {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl OutputTree {
    pub fn n_pages(&self) -> usize {
        self.files.keys().filter(|p| p.ends_with(".html")).count()
    }
}

/// Where each page lives, under the base path.
struct Urls<'c> {
    config: &'c Config,
}

impl Urls<'_> {
    fn path(&self, relative: &str) -> String {
        format!("{}{relative}", self.config.base_url.path)
    }
    fn absolute(&self, relative: &str) -> String {
        format!("{}{relative}", self.config.base_url.absolute)
    }
    fn doc(&self, slug: &str) -> String {
        self.path(&format!("sources/{slug}/"))
    }
    fn entity(&self, slug: &str) -> String {
        self.path(&format!("entities/{slug}/"))
    }
    fn theme(&self, slug: &str) -> String {
        self.path(&format!("themes/{slug}/"))
    }
}

/// The templates every site theme has.
const REQUIRED_TEMPLATES: [&str; 9] = [
    "index.html",
    "source.html",
    "entities.html",
    "entity.html",
    "themes.html",
    "theme.html",
    "annotations.html",
    "404.html",
    "note.html",
];

/// The largest output of each template so far, so that the next page of the same template is
/// rendered into a buffer that is big enough from the start (no copying as it grows).
struct SizeHints {
    sizes: Vec<(&'static str, std::sync::atomic::AtomicUsize)>,
}

impl SizeHints {
    fn new() -> Self {
        SizeHints {
            sizes: REQUIRED_TEMPLATES
                .iter()
                .chain(&["search.html"])
                .map(|name| (*name, std::sync::atomic::AtomicUsize::new(0)))
                .collect(),
        }
    }

    fn slot(&self, template: &str) -> Option<&std::sync::atomic::AtomicUsize> {
        self.sizes
            .iter()
            .find(|(name, _)| *name == template)
            .map(|(_, size)| size)
    }

    /// A capacity for the next output of `template`: its largest so far and an eighth more.
    fn capacity(&self, template: &str) -> usize {
        let largest = self
            .slot(template)
            .map_or(0, |size| size.load(std::sync::atomic::Ordering::Relaxed));
        largest + largest / 8
    }

    fn record(&self, template: &str, size: usize) {
        if let Some(slot) = self.slot(template) {
            slot.fetch_max(size, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Compiles the site theme's templates once.
pub fn compile_templates(site_theme: &SiteTheme) -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::new();
    tera.set_escape_fn(markdown::escape_html_to);
    tera.add_raw_templates(
        site_theme
            .templates
            .iter()
            .map(|t| (t.name.as_str(), t.text.as_str())),
    )
    .with_context(|| {
        format!(
            "compiling the templates of site theme `{}`",
            site_theme.name
        )
    })?;
    for required in REQUIRED_TEMPLATES {
        if !tera.contains_template(required) {
            anyhow::bail!(
                "site theme `{}` has no template `{required}` (expected in themes/{}/templates/)",
                site_theme.name,
                site_theme.name
            );
        }
    }
    Ok(tera)
}

/// What [`render_site`] made: how many pages it sent to the sink, problems found while
/// rendering, and the search records when the index was deferred.
pub struct Rendering {
    pub n_pages: usize,
    pub diagnostics: Vec<Diagnostic>,
    pub deferred_search: Option<Vec<search::SearchRecord>>,
    /// How long each step of the render took, in order, for `build --timings`.
    pub steps: Vec<(&'static str, std::time::Duration)>,
}

/// Hands rendered files to the [`Sink`] and remembers the pages, for the sitemap.
pub(crate) struct Emitter<'s> {
    sink: &'s dyn Sink,
    pages: std::sync::Mutex<Vec<String>>,
}

impl<'s> Emitter<'s> {
    fn new(sink: &'s dyn Sink) -> Self {
        Emitter {
            sink,
            pages: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Sends a page on and returns the problems found while rendering it.
    fn page(&self, page: Rendered) -> anyhow::Result<Vec<Diagnostic>> {
        self.pages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(page.path.clone());
        self.sink.put(&page.path, page.html)?;
        Ok(page.diagnostics)
    }

    /// Renders and sends on every page of `items`, in parallel.
    fn all<I, F>(
        &self,
        diagnostics: &mut Vec<Diagnostic>,
        items: I,
        render: F,
    ) -> anyhow::Result<()>
    where
        I: ParallelIterator,
        F: Fn(I::Item) -> anyhow::Result<Rendered> + Sync + Send,
    {
        let found: Vec<Vec<Diagnostic>> = items
            .map(|item| render(item).and_then(|page| self.page(page)))
            .collect::<anyhow::Result<_>>()?;
        diagnostics.extend(found.into_iter().flatten());
        Ok(())
    }

    /// Sends on a file that is not a page and is written as it is made (the export).
    fn file_with(
        &self,
        path: &str,
        write: &mut crate::output::WriteFile<'_>,
    ) -> anyhow::Result<()> {
        self.sink.put_with(path, write)
    }

    /// Sends on a file that is not a page (an asset, the feed, the search index).
    pub(crate) fn file(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        if path.ends_with(".html") {
            self.pages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(path.to_string());
        }
        self.sink.put(path, bytes)
    }
}

/// Renders every page into `sink`. Problems found while rendering content (a broken `@/` link)
/// are returned as diagnostics; template failures and sink failures are `Err`.
pub fn render_site(
    config: &Config,
    sources: &SourceSet,
    briefing: &Briefing<'_>,
    search_index: crate::SearchIndex,
    sink: &dyn Sink,
) -> anyhow::Result<Rendering> {
    let tera = compile_templates(&sources.site_theme)?;
    let inputs = Inputs {
        config,
        sources,
        briefing,
        tera: &tera,
    };
    let targets = SiteTargets { briefing };
    let no_views = Views::none();
    if !sink.keeps_bytes() {
        // Nothing is kept (`gloss check`): only what can report a problem runs, the
        // templates do not.
        let views = Views::kept(briefing);
        let renderer = inputs.renderer(&targets, &views);
        let mut diagnostics = renderer.link_diagnostics();
        diagnostics.extend(inputs.renderer(&targets, &no_views).render_notes().1);
        return Ok(Rendering {
            n_pages: renderer.count_pages(),
            diagnostics,
            deferred_search: None,
            steps: Vec::new(),
        });
    }
    let emitter = Emitter::new(sink);
    let mut steps = Steps::default();
    // The search index first: it takes the most memory of any step, and takes it while the
    // memory freed after the model is still free, before the notes and the pages take any.
    // The link targets too are made after it, as it reads none: they took 36 MiB at 86,000
    // annotations, and the index's peak plus theirs was the build's.
    let deferred_search = search::add_index(inputs, &emitter, search_index)?;
    steps.end("search index");
    // Notes are rendered once, before any view is made (and read no view).
    let (notes, note_diagnostics) = inputs.renderer(&targets, &no_views).render_notes();
    steps.end("notes");
    let views = Views::per_page(briefing, notes, &sources.site_theme);
    let renderer = inputs.renderer(&targets, &views);
    let extras = inputs.renderer(&targets, &no_views);
    // The feed and the export read no view and no page: one thread makes them while the
    // others make the pages (alone, they would keep all but one core idle).
    let (pages, beside) = rayon::join(
        || renderer.render_pages(&emitter, &mut steps),
        || {
            let started = std::time::Instant::now();
            extras.feed_and_export(&emitter).map(|()| started.elapsed())
        },
    );
    let (diagnostics, site) = pages?;
    steps.beside("feed and export (beside the pages)", beside?);
    drop(renderer);
    drop(views);
    let mut rendering = extras.render_files(emitter, &site, diagnostics, deferred_search)?;
    steps.end("search page, sitemap");
    rendering.diagnostics.extend(note_diagnostics);
    rendering.steps = steps.done;
    Ok(rendering)
}

/// The steps of a render timed so far: each ends where the next begins.
struct Steps {
    done: Vec<(&'static str, std::time::Duration)>,
    since: std::time::Instant,
}

impl Default for Steps {
    fn default() -> Self {
        Steps {
            done: Vec::new(),
            since: std::time::Instant::now(),
        }
    }
}

impl Steps {
    /// A step run beside the others, which took `time`.
    fn beside(&mut self, step: &'static str, time: std::time::Duration) {
        self.done.push((step, time));
    }

    fn end(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((step, now - self.since));
        self.since = now;
    }
}

/// Every page and fragment an `@/` link may point at, looked up in the briefing: the front
/// page, the indexes, each source, entity and theme page, and on a source page its highlights
/// (`ann-<id>`), notes (`note-<id>`) and entity mentions. Nothing is made in advance, so a
/// briefing with a hundred thousand annotations costs nothing until a link is checked.
pub(crate) struct SiteTargets<'r, 'a> {
    pub briefing: &'r Briefing<'a>,
}

impl LinkTargets for SiteTargets<'_, '_> {
    fn contains(&self, page: &str, fragment: Option<&str>) -> bool {
        let briefing = self.briefing;
        if let Some(slug) = page
            .strip_prefix("sources/")
            .and_then(|p| p.strip_suffix('/'))
        {
            let Some(id) = briefing.doc_by_slug(slug) else {
                return false;
            };
            let Some(fragment) = fragment else {
                return true;
            };
            let doc = briefing.doc(id);
            let id_is = |prefix: &str| {
                fragment.strip_prefix(prefix).is_some_and(|annotation_id| {
                    doc.annotations
                        .iter()
                        .any(|&a| briefing.annotation(a).id == annotation_id)
                })
            };
            return id_is("ann-")
                || id_is("note-")
                || doc
                    .mentions
                    .iter()
                    .any(|&m| briefing.mention(m).html_id == fragment);
        }
        if fragment.is_some() {
            return false;
        }
        if let Some(slug) = page
            .strip_prefix("entities/")
            .and_then(|p| p.strip_suffix('/'))
        {
            return briefing.entity_by_slug(slug).is_some();
        }
        if let Some(slug) = page
            .strip_prefix("themes/")
            .and_then(|p| p.strip_suffix('/'))
        {
            return briefing.theme_by_slug(slug).is_some();
        }
        matches!(page, "" | "entities/" | "themes/" | "annotations/")
    }
}

/// What rendering reads: the configuration, the loaded sources (for the site theme, static
/// files and texts), the briefing and the compiled templates.
#[derive(Clone, Copy)]
pub struct Inputs<'r, 'a> {
    pub config: &'r Config,
    pub sources: &'r SourceSet,
    pub briefing: &'r Briefing<'a>,
    pub tera: &'r tera::Tera,
}

impl<'r, 'a> Inputs<'r, 'a> {
    fn renderer(self, targets: &'r dyn LinkTargets, views: &'r Views) -> Renderer<'r, 'a> {
        Renderer {
            config: self.config,
            sources: self.sources,
            briefing: self.briefing,
            tera: self.tera,
            urls: Urls {
                config: self.config,
            },
            links: LinkContext {
                base_path: &self.config.base_url.path,
                targets,
            },
            views,
            size_hints: SizeHints::new(),
        }
    }
}

/// Each annotation as pages show it (an [`AnnotationView`] as a template value), by annotation
/// index. Kept views (`serve`) are made when a page first needs one and shared by every page
/// that lists it. A build makes a view for each page that shows it and drops it with the page:
/// the views of all annotations held at once took 200 MiB at 80,000 annotations, and making
/// one again costs less than a tenth of rendering the card it fills.
pub(crate) struct Views {
    shared: OnceLock<SharedRefs>,
    kept: Vec<OnceLock<tera::Value>>,
    /// Per page: each annotation's note, rendered once (`render_notes`).
    notes: Option<Vec<Option<String>>>,
    /// Per page: whether the views of pages other than source pages need `original_url` (the
    /// link to the passage in the original, the costliest field to make). The source page's
    /// notes show it; other pages' views have it only if some template there names it.
    cards_name_original_url: bool,
    /// Each theme's summary (a [`ThemeSummaryView`]), by theme index, made once for all the
    /// pages of the theme: it lists every source of the theme, so a list of `n` pages that
    /// made it for each page would take time in `n²`.
    theme_summaries: Vec<OnceLock<tera::Value>>,
}

impl Views {
    /// Views of `briefing`'s annotations, kept once made.
    pub(crate) fn kept(briefing: &Briefing<'_>) -> Views {
        Views {
            shared: OnceLock::new(),
            kept: slots(briefing.annotations.len()),
            notes: None,
            cards_name_original_url: true,
            theme_summaries: slots(briefing.themes.len()),
        }
    }

    /// Views made for each page, from the notes rendered once, by annotation index.
    fn per_page(
        briefing: &Briefing<'_>,
        notes: Vec<Option<String>>,
        site_theme: &SiteTheme,
    ) -> Views {
        // A template that names the field in text (`a.original_url`, `a["original_url"]`); the
        // source page and its notes always have it.
        let cards_name_original_url = site_theme.templates.iter().any(|template| {
            !matches!(template.name.as_str(), "note.html" | "source.html")
                && template.text.contains("original_url")
        });
        Views {
            shared: OnceLock::new(),
            kept: Vec::new(),
            notes: Some(notes),
            cards_name_original_url,
            theme_summaries: slots(briefing.themes.len()),
        }
    }

    /// For the renderers that show no annotation and no theme summary (the search index, the
    /// notes, the feed and the export, the sitemap).
    fn none() -> Views {
        Views {
            shared: OnceLock::new(),
            kept: Vec::new(),
            notes: None,
            cards_name_original_url: false,
            theme_summaries: Vec::new(),
        }
    }
}

/// `n` empty slots of values made once.
fn slots<T>(n: usize) -> Vec<OnceLock<T>> {
    (0..n).map(|_| OnceLock::new()).collect()
}

struct Renderer<'r, 'a> {
    config: &'r Config,
    sources: &'r SourceSet,
    briefing: &'r Briefing<'a>,
    tera: &'r tera::Tera,
    urls: Urls<'r>,
    links: LinkContext<'r>,
    views: &'r Views,
    size_hints: SizeHints,
}

/// The template values of every source, entity and theme reference, made once and shared by the
/// annotations that name them.
struct SharedRefs {
    docs: Vec<tera::Value>,
    entities: Vec<tera::Value>,
    themes: Vec<tera::Value>,
}

/// `view` as a template value.
fn template_value<T: serde::Serialize>(view: &T) -> anyhow::Result<tera::Value> {
    tera::Value::try_from_serializable(view).context("preparing the data of an annotation")
}

/// One rendered page or the problems met while rendering it.
struct Rendered {
    path: String,
    html: Vec<u8>,
    diagnostics: Vec<Diagnostic>,
    highlighted_code: bool,
}

/// A page rendered after the source pages: `(id, page number, number of pages)` for a list
/// page.
#[derive(Clone, Copy)]
enum PageJob {
    Front(usize, usize),
    Entities,
    Themes,
    NotFound,
    Entity(EntityId, usize, usize),
    Theme(ThemeId, usize, usize),
    Annotations(usize, usize),
}

impl Renderer<'_, '_> {
    /// Renders every page and copies the static files into `emitter`; returns the problems
    /// found and the site's template value.
    fn render_pages(
        &self,
        emitter: &Emitter<'_>,
        steps: &mut Steps,
    ) -> anyhow::Result<(Vec<Diagnostic>, SiteView)> {
        let briefing = self.briefing;
        let site = self.site(false);
        // Each page goes to the sink as soon as it is made: the site is never held whole.
        let highlighted = std::sync::atomic::AtomicBool::new(false);
        let mut diagnostics: Vec<Diagnostic> = briefing
            .docs
            .par_iter()
            .enumerate()
            .map(|(index, _)| {
                let page = self.source_page(DocId::from_index(index), &site)?;
                if page.highlighted_code {
                    highlighted.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                emitter.page(page)
            })
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        steps.end("source pages");
        let highlighted = highlighted.into_inner();
        let site = self.site(highlighted);
        // Every other page in one parallel batch: a barrier between kinds of page would leave a
        // core idle while the other finishes the last page of a kind. The front page (it lists
        // every source) takes longest, so it starts first, and the entity and theme indexes,
        // the next largest, come last, so the three are not held in memory at once (at 8,900
        // sources that was the build's peak). A list page with many pages is a job per page.
        let front_order = self.front_order();
        let n_front_pages = front_order.len().div_ceil(SOURCES_PER_PAGE).max(1);
        let mut jobs: Vec<PageJob> = (1..=n_front_pages)
            .map(|number| PageJob::Front(number, n_front_pages))
            .collect();
        for (index, entity) in briefing.entities.iter().enumerate() {
            let n_pages = n_pages(entity.mentions.len(), entity.annotations.len());
            let id = EntityId::from_index(index);
            jobs.extend((1..=n_pages).map(|number| PageJob::Entity(id, number, n_pages)));
        }
        for (index, theme) in briefing.themes.iter().enumerate() {
            let n_pages = n_pages(0, theme.annotations.len());
            let id = ThemeId::from_index(index);
            jobs.extend((1..=n_pages).map(|number| PageJob::Theme(id, number, n_pages)));
        }
        let n_annotation_pages = briefing.annotations.len().div_ceil(ROWS_PER_PAGE).max(1);
        jobs.extend(
            (1..=n_annotation_pages).map(|number| PageJob::Annotations(number, n_annotation_pages)),
        );
        jobs.extend([PageJob::Entities, PageJob::Themes, PageJob::NotFound]);
        emitter.all(&mut diagnostics, jobs.into_par_iter(), |job| match job {
            PageJob::Front(number, n_pages) => {
                self.index_page(&front_order, number, n_pages, &site)
            }
            PageJob::Entities => self.entities_page(&site),
            PageJob::Themes => self.themes_page(&site),
            PageJob::NotFound => self.not_found_page(&site),
            PageJob::Entity(id, number, n_pages) => self.entity_page(id, number, n_pages, &site),
            PageJob::Theme(id, number, n_pages) => self.theme_page(id, number, n_pages, &site),
            PageJob::Annotations(number, n_pages) => self.annotations_page(number, n_pages, &site),
        })?;
        steps.end("entity, theme and index pages");
        for file in &self.sources.site_theme.static_files {
            emitter.file(&file.output_path, file.bytes.clone())?;
        }
        for file in &self.sources.static_files {
            emitter.file(&file.output_path, file.bytes.clone())?;
        }
        if highlighted {
            emitter.file("syntax.css", markdown::syntax_css().into_bytes())?;
        }
        Ok((diagnostics, site))
    }

    /// The feed and the export (`annotations.jsonld`), with a sink that keeps them.
    fn feed_and_export(&self, emitter: &Emitter<'_>) -> anyhow::Result<()> {
        if emitter.sink.keeps_bytes() {
            let title = self.site(false).title;
            emitter.file("atom.xml", self.feed(&title).into_bytes())?;
            emitter.file_with("annotations.jsonld", &mut |out| {
                self.annotation_export(&title, out)
            })?;
        }
        Ok(())
    }

    /// After the pages, the feed and the export: the search page and the sitemap.
    fn render_files(
        &self,
        emitter: Emitter<'_>,
        site: &SiteView,
        diagnostics: Vec<Diagnostic>,
        deferred_search: Option<Vec<search::SearchRecord>>,
    ) -> anyhow::Result<Rendering> {
        let sink = emitter.sink;

        self.add_search_page(site, &emitter)?;
        let static_paths: BTreeSet<&str> = self
            .sources
            .static_files
            .iter()
            .map(|f| f.output_path.as_str())
            .collect();
        let mut pages = emitter
            .pages
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        pages.sort();
        for (path, bytes) in site_files::files(&pages, self.config) {
            if !static_paths.contains(path) {
                sink.put(path, bytes)?;
            }
        }
        Ok(Rendering {
            n_pages: pages.len(),
            diagnostics,
            deferred_search,
            steps: Vec::new(),
        })
    }

    /// How many pages [`Self::render`] makes, without making them.
    fn count_pages(&self) -> usize {
        let briefing = self.briefing;
        let entity_pages: usize = briefing
            .entities
            .iter()
            .map(|e| n_pages(e.mentions.len(), e.annotations.len()))
            .sum();
        let theme_pages: usize = briefing
            .themes
            .iter()
            .map(|t| n_pages(0, t.annotations.len()))
            .sum();
        let annotation_pages = briefing.annotations.len().div_ceil(ROWS_PER_PAGE).max(1);
        // The front page, the entity and theme indexes, 404, and the search page if any.
        let fixed = 4 + usize::from(self.tera.contains_template("search.html"));
        briefing.docs.len() + entity_pages + theme_pages + annotation_pages + fixed
    }

    /// The problems rendering would report, found without rendering: broken `@/` links in
    /// source bodies, descriptions and the front page (notes are checked by
    /// [`Self::render_notes`]).
    fn link_diagnostics(&self) -> Vec<Diagnostic> {
        let mut diagnostics = self.source_link_diagnostics();
        for body in self.editor_bodies() {
            self.body_html(body, &mut diagnostics);
        }
        diagnostics
    }

    /// The descriptions of entities and themes and the front page's body, in that order.
    fn editor_bodies(&self) -> impl Iterator<Item = &Body> {
        let briefing = self.briefing;
        (briefing.entities.iter().map(|entity| &entity.description))
            .chain(briefing.themes.iter().map(|theme| &theme.description))
            .chain(&briefing.front.body)
    }

    /// The broken `@/` links of the sources' bodies, whose links are parsed already.
    fn source_link_diagnostics(&self) -> Vec<Diagnostic> {
        self.briefing
            .docs
            .par_iter()
            .flat_map_iter(|doc| {
                doc.reader
                    .events
                    .iter()
                    .filter_map(move |event| match &event.event {
                        pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link {
                            dest_url,
                            ..
                        }) => self
                            .links
                            .resolve(dest_url)
                            .err()
                            .map(|target| broken_link(doc.body.span(), &target)),
                        _ => None,
                    })
            })
            .collect()
    }

    fn site(&self, syntax_css: bool) -> SiteView {
        let title = self
            .briefing
            .front
            .title
            .clone()
            .unwrap_or_else(|| self.config.title.clone());
        SiteView {
            title,
            description: self.config.description.clone(),
            language: self.config.language.clone(),
            base_url: self.config.base_url.absolute.clone(),
            base_path: self.config.base_url.path.clone(),
            syntax_css,
            n_sources: self.briefing.docs.len(),
            n_entities: self.briefing.entities.len(),
            n_themes: self.briefing.themes.len(),
            n_annotations: self.briefing.annotations.len(),
        }
    }

    fn page(
        &self,
        title: String,
        relative: &str,
        section: &'static str,
        description: Option<&str>,
    ) -> PageMeta {
        PageMeta {
            title,
            canonical_url: self.urls.absolute(relative),
            section,
            description: description
                .map(str::to_owned)
                .unwrap_or_else(|| self.config.description.clone()),
        }
    }

    fn render_template<T: serde::Serialize>(
        &self,
        template: &str,
        view: &T,
    ) -> anyhow::Result<Vec<u8>> {
        let context = tera::Context::from_serialize(view)
            .with_context(|| format!("preparing the data of `{template}`"))?;
        let mut html = Vec::with_capacity(self.size_hints.capacity(template));
        self.tera
            .render_to(template, &context, &mut html)
            .with_context(|| format!("rendering template `{template}`"))?;
        self.size_hints.record(template, html.len());
        Ok(html)
    }

    /// Editor Markdown as HTML, with broken `@/` links reported at `span`.
    fn markdown(&self, text: &str, span: Span, diagnostics: &mut Vec<Diagnostic>) -> String {
        let mut broken = Vec::new();
        let html = markdown::to_html(text, &self.links, &mut broken);
        for target in broken {
            diagnostics.push(broken_link(span, &target));
        }
        html
    }

    fn body_html(&self, body: &Body, diagnostics: &mut Vec<Diagnostic>) -> String {
        self.markdown(body.text(&self.sources.files), body.span(), diagnostics)
    }

    fn doc_ref(&self, id: DocId) -> DocRef {
        let doc = self.briefing.doc(id);
        DocRef {
            slug: doc.slug.clone(),
            title: doc.title.clone(),
            url: self.urls.doc(&doc.slug),
        }
    }

    fn doc_summary(&self, id: DocId) -> DocSummaryView {
        let doc = self.briefing.doc(id);
        DocSummaryView {
            slug: doc.slug.clone(),
            title: doc.title.clone(),
            url: self.urls.doc(&doc.slug),
            publisher: doc.publisher.clone(),
            author: doc.author.clone(),
            date: doc.date.map(|d| d.to_string()),
            date_display: doc.date.map(display_date),
            summary: doc.summary.clone(),
            original_url: doc.url.clone(),
            n_annotations: doc.annotations.len(),
            n_mentions: doc.mentions.len(),
        }
    }

    fn entity_ref(&self, id: EntityId, count: usize) -> EntityRefView {
        let entity = self.briefing.entity(id);
        EntityRefView {
            slug: entity.slug.clone(),
            name: entity.name.clone(),
            kind: entity.kind.as_str(),
            url: self.urls.entity(&entity.slug),
            count,
        }
    }

    fn theme_ref(&self, id: ThemeId, count: usize) -> ThemeRefView {
        let theme = self.briefing.theme(id);
        ThemeRefView {
            slug: theme.slug.clone(),
            title: theme.title.clone(),
            url: self.urls.theme(&theme.slug),
            count,
        }
    }

    /// Every annotation's note as HTML, in parallel, with the broken links found in them.
    fn render_notes(&self) -> (Vec<Option<String>>, Vec<Diagnostic>) {
        let rendered: Vec<(Option<String>, Vec<Diagnostic>)> = self
            .briefing
            .annotations
            .par_iter()
            .map(|annotation| {
                let mut diagnostics = Vec::new();
                let html = annotation
                    .note
                    .as_ref()
                    .map(|note| self.markdown(&note.value, note.span, &mut diagnostics));
                (html, diagnostics)
            })
            .collect();
        let mut diagnostics = Vec::new();
        let notes = rendered
            .into_iter()
            .map(|(html, found)| {
                diagnostics.extend(found);
                html
            })
            .collect();
        (notes, diagnostics)
    }

    /// An annotation as every page shows it: made for this page from its rendered note
    /// ([`Views::per_page`]), or made the first time a page asks for it and shared from then on.
    fn annotation_view(
        &self,
        id: AnnotationId,
        on_source_page: bool,
    ) -> anyhow::Result<AnnotationRef<'_>> {
        if let Some(notes) = &self.views.notes {
            let note_html = notes[id.index()].clone();
            let original_url = on_source_page || self.views.cards_name_original_url;
            let view = self.make_view(id, note_html, original_url, self.shared_refs()?);
            return Ok(AnnotationRef {
                value: Cow::Owned(template_value(&view)?),
            });
        }
        let slot = &self.views.kept[id.index()];
        if let Some(value) = slot.get() {
            return Ok(AnnotationRef {
                value: Cow::Borrowed(value),
            });
        }
        let annotation = self.briefing.annotation(id);
        // Broken links in notes are reported by `render_notes`, which every build runs.
        let mut reported_elsewhere = Vec::new();
        let note_html = annotation
            .note
            .as_ref()
            .map(|note| self.markdown(&note.value, note.span, &mut reported_elsewhere));
        let value = template_value(&self.make_view(id, note_html, true, self.shared_refs()?))?;
        Ok(AnnotationRef {
            value: Cow::Borrowed(slot.get_or_init(|| value)),
        })
    }

    /// The shared template values of every source, entity and theme reference, made once.
    fn shared_refs(&self) -> anyhow::Result<&SharedRefs> {
        if let Some(shared) = self.views.shared.get() {
            return Ok(shared);
        }
        let shared = self.make_shared_refs()?;
        Ok(self.views.shared.get_or_init(|| shared))
    }

    fn make_shared_refs(&self) -> anyhow::Result<SharedRefs> {
        let briefing = self.briefing;
        Ok(SharedRefs {
            docs: (0..briefing.docs.len())
                .map(|i| template_value(&self.doc_ref(DocId::from_index(i))))
                .collect::<anyhow::Result<_>>()?,
            entities: (0..briefing.entities.len())
                .map(|i| {
                    let id = EntityId::from_index(i);
                    template_value(&self.entity_ref(id, briefing.entity(id).mentions.len()))
                })
                .collect::<anyhow::Result<_>>()?,
            themes: (0..briefing.themes.len())
                .map(|i| {
                    let id = ThemeId::from_index(i);
                    template_value(&self.theme_ref(id, briefing.theme(id).annotations.len()))
                })
                .collect::<anyhow::Result<_>>()?,
        })
    }

    /// The view of annotation `id`; without `original_url` unless `original_url` (see
    /// [`Views`]).
    fn make_view<'s>(
        &self,
        id: AnnotationId,
        note_html: Option<String>,
        original_url: bool,
        shared: &'s SharedRefs,
    ) -> AnnotationView<'s> {
        let annotation: &Annotation = self.briefing.annotation(id);
        let doc = self.briefing.doc(annotation.doc);
        AnnotationView {
            id: annotation.id.clone(),
            number: annotation.number,
            anchor: format!("ann-{}", annotation.id),
            note_anchor: format!("note-{}", annotation.id),
            url: format!("{}#ann-{}", self.urls.doc(&doc.slug), annotation.id),
            quote: flatten_whitespace(&doc.reader.text[annotation.range.clone()]),
            note_html,
            kind: annotation.kind.as_str(),
            status: annotation.status.map(|s| s.as_str()),
            author: annotation.author.clone(),
            date: annotation.date.map(|d| d.to_string()),
            links: annotation
                .links
                .iter()
                .map(|l| LinkView {
                    title: l.title.clone(),
                    url: l.url.clone(),
                })
                .collect(),
            entities: annotation
                .entities
                .iter()
                .map(|e| &shared.entities[e.index()])
                .collect(),
            themes: annotation
                .themes
                .iter()
                .map(|t| &shared.themes[t.index()])
                .collect(),
            source: &shared.docs[annotation.doc.index()],
            original_url: doc.url.as_ref().filter(|_| original_url).map(|url| {
                text_fragment::original_passage_url(url, &doc.reader.text, annotation.range.clone())
            }),
        }
    }

    fn source_page(&self, id: DocId, site: &SiteView) -> anyhow::Result<Rendered> {
        let briefing = self.briefing;
        let doc = briefing.doc(id);
        let mut diagnostics = Vec::new();
        let annotations: Vec<AnnotationRef<'_>> = doc
            .annotations
            .iter()
            .map(|&a| self.annotation_view(a, true))
            .collect::<anyhow::Result<_>>()?;
        let mut notes = BTreeMap::new();
        let site_value = tera::Value::try_from_serializable(site)
            .context("preparing the data of `note.html`")?;
        for (&annotation_id, view) in doc.annotations.iter().zip(&annotations) {
            let note = self.render_template(
                "note.html",
                &NoteContext {
                    site: &site_value,
                    annotation: view.clone(),
                },
            )?;
            // Templates write only text, so this never fails; the check is cheap on a note.
            let note = String::from_utf8(note).context("a note rendered as invalid UTF-8")?;
            notes.insert(annotation_id, note);
        }
        let entity_url = |index: usize| self.urls.entity(&briefing.entities[index].slug);
        let body = body::render(doc, briefing, &entity_url, &notes, &self.links);
        for target in body.broken_links {
            diagnostics.push(broken_link(doc.body.span(), &target));
        }
        let body_html = body.html;

        let mut entity_counts: BTreeMap<EntityId, usize> = BTreeMap::new();
        for mention in &doc.mentions {
            *entity_counts
                .entry(briefing.mention(*mention).entity)
                .or_insert(0) += 1;
        }
        for annotation in &doc.annotations {
            for entity in &briefing.annotation(*annotation).entities {
                entity_counts.entry(*entity).or_insert(0);
            }
        }
        let mut entities: Vec<EntityRefView> = entity_counts
            .into_iter()
            .map(|(e, count)| self.entity_ref(e, count))
            .collect();
        entities.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let mut theme_counts: BTreeMap<ThemeId, usize> = BTreeMap::new();
        for annotation in &doc.annotations {
            for theme in &briefing.annotation(*annotation).themes {
                *theme_counts.entry(*theme).or_insert(0) += 1;
            }
        }
        let themes = theme_counts
            .into_iter()
            .map(|(t, count)| self.theme_ref(t, count))
            .collect();
        let relative = format!("sources/{}/", doc.slug);
        let view = SourcePage {
            site: SiteView {
                syntax_css: site.syntax_css || body.highlighted_code,
                ..site.clone()
            },
            page: self.page(
                doc.title.clone(),
                &relative,
                "source",
                doc.summary.as_deref(),
            ),
            doc: self.doc_summary(id),
            body_html,
            entities,
            themes,
            annotations,
            theme_strips: charts::theme_strips(briefing, &self.urls, id),
        };
        Ok(Rendered {
            path: format!("{relative}index.html"),
            html: self.render_template("source.html", &view)?,
            diagnostics,
            highlighted_code: body.highlighted_code,
        })
    }

    /// Page `number` of `n_pages` of an entity: the entity, and that page's slice of its
    /// mentions and of its annotations.
    fn entity_page(
        &self,
        id: EntityId,
        number: usize,
        n_pages: usize,
        site: &SiteView,
    ) -> anyhow::Result<Rendered> {
        let briefing = self.briefing;
        let entity = briefing.entity(id);
        let mut diagnostics = Vec::new();
        let description_html = self.body_html(&entity.description, &mut diagnostics);
        let mut groups: Vec<MentionGroupView> = Vec::new();
        for mention_id in page_slice(&entity.mentions, number, CARDS_PER_PAGE) {
            let mention = briefing.mention(*mention_id);
            let doc = briefing.doc(mention.doc);
            let sentence = doc.sentence_around(mention.range.clone());
            let text = doc.reader.text.as_str();
            let view = MentionView {
                before: flatten_whitespace(&text[sentence.start..mention.range.start]),
                text: text[mention.range.clone()].to_string(),
                after: flatten_whitespace(
                    &text[mention.range.end..sentence.end.max(mention.range.end)],
                ),
                url: format!("{}#{}", self.urls.doc(&doc.slug), mention.html_id),
            };
            match groups.last_mut() {
                Some(group) if group.doc.slug == doc.slug => group.mentions.push(view),
                _ => groups.push(MentionGroupView {
                    doc: self.doc_ref(mention.doc),
                    mentions: vec![view],
                }),
            }
        }
        let annotations = page_slice(&entity.annotations, number, CARDS_PER_PAGE)
            .iter()
            .map(|&a| self.annotation_view(a, false))
            .collect::<anyhow::Result<_>>()?;
        let n_mention_sources = entity
            .mentions
            .iter()
            .map(|&m| briefing.mention(m).doc)
            .collect::<BTreeSet<DocId>>()
            .len();
        let list = format!("entities/{}/", entity.slug);
        let relative = page_path(&list, number);
        let view = EntityPage {
            site: site.clone(),
            page: self.page(page_title(&entity.name, number), &relative, "entity", None),
            entity: EntityView {
                slug: entity.slug.clone(),
                name: entity.name.clone(),
                kind: entity.kind.as_str(),
                aliases: entity.aliases.iter().skip(1).cloned().collect(),
                url: entity.url.clone(),
                description_html,
                n_mentions: entity.mentions.len(),
                n_mention_sources,
                n_annotations: entity.annotations.len(),
            },
            mentions: groups,
            annotations,
            // The rail and the chart are the entity's, over all its pages: on the first only.
            related: entity.related[..if number == 1 { entity.related.len() } else { 0 }]
                .iter()
                .map(|&(e, count)| self.entity_ref(e, count))
                .collect(),
            themes: entity.themes[..if number == 1 { entity.themes.len() } else { 0 }]
                .iter()
                .map(|&(t, count)| self.theme_ref(t, count))
                .collect(),
            neighbourhood: (number == 1)
                .then(|| charts::entity_neighbourhood(briefing, &self.urls, id))
                .flatten(),
            pagination: self.pagination(&list, number, n_pages),
        };
        Ok(Rendered {
            path: format!("{relative}index.html"),
            html: self.render_template("entity.html", &view)?,
            diagnostics,
            highlighted_code: false,
        })
    }

    fn theme_summary(&self, id: ThemeId, diagnostics: &mut Vec<Diagnostic>) -> ThemeSummaryView {
        let theme = self.briefing.theme(id);
        let mut per_doc: BTreeMap<DocId, usize> = BTreeMap::new();
        for &annotation in &theme.annotations {
            *per_doc
                .entry(self.briefing.annotation(annotation).doc)
                .or_insert(0) += 1;
        }
        let n_sources = per_doc.len();
        let mut docs: Vec<(DocId, usize)> = per_doc.into_iter().collect();
        docs.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
        docs.truncate(THEME_SUMMARY_SOURCES);
        ThemeSummaryView {
            slug: theme.slug.clone(),
            title: theme.title.clone(),
            url: self.urls.theme(&theme.slug),
            description_html: self.body_html(&theme.description, diagnostics),
            n_annotations: theme.annotations.len(),
            n_sources,
            sources: docs.into_iter().map(|(d, _)| self.doc_ref(d)).collect(),
        }
    }

    /// The summary of theme `id` as a template value, made once (see [`Views`]). The
    /// problems its description has go to the page that made it.
    fn shared_theme_summary(
        &self,
        id: ThemeId,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> anyhow::Result<&tera::Value> {
        let slot = &self.views.theme_summaries[id.index()];
        if let Some(value) = slot.get() {
            return Ok(value);
        }
        // Two pages may both make it; the first kept wins, and the same problems are reported
        // once (diagnostics are deduplicated).
        let value = template_value(&self.theme_summary(id, diagnostics))?;
        Ok(slot.get_or_init(|| value))
    }

    fn grouped(
        &self,
        annotations: &[AnnotationId],
    ) -> anyhow::Result<Vec<AnnotationGroupView<'_>>> {
        let mut groups: Vec<AnnotationGroupView> = Vec::new();
        for &id in annotations {
            let doc = self.briefing.annotation(id).doc;
            let view = self.annotation_view(id, false)?;
            match groups.last_mut() {
                Some(group) if group.doc.slug == self.briefing.doc(doc).slug => {
                    group.annotations.push(view)
                }
                _ => groups.push(AnnotationGroupView {
                    doc: self.doc_ref(doc),
                    annotations: vec![view],
                }),
            }
        }
        Ok(groups)
    }

    /// Page `number` of `n_pages` of a theme: its summary and that page's slice of its
    /// annotations.
    fn theme_page(
        &self,
        id: ThemeId,
        number: usize,
        n_pages: usize,
        site: &SiteView,
    ) -> anyhow::Result<Rendered> {
        let briefing = self.briefing;
        let theme = briefing.theme(id);
        let mut diagnostics = Vec::new();
        let summary = self.shared_theme_summary(id, &mut diagnostics)?;
        let groups = self.grouped(page_slice(&theme.annotations, number, CARDS_PER_PAGE))?;
        // The rail of entities is the theme's, over all its pages: shown on the first only.
        let mut entity_counts: BTreeMap<EntityId, usize> = BTreeMap::new();
        let rail = if number == 1 {
            &theme.annotations[..]
        } else {
            &[]
        };
        for annotation in rail {
            for entity in &briefing.annotation(*annotation).entities {
                *entity_counts.entry(*entity).or_insert(0) += 1;
            }
        }
        let mut entities: Vec<EntityRefView> = entity_counts
            .into_iter()
            .map(|(e, count)| self.entity_ref(e, count))
            .collect();
        entities.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let list = format!("themes/{}/", theme.slug);
        let relative = page_path(&list, number);
        let view = ThemePage {
            site: site.clone(),
            page: self.page(page_title(&theme.title, number), &relative, "theme", None),
            theme: summary,
            groups,
            entities,
            pagination: self.pagination(&list, number, n_pages),
        };
        Ok(Rendered {
            path: format!("{relative}index.html"),
            html: self.render_template("theme.html", &view)?,
            diagnostics,
            highlighted_code: false,
        })
    }

    /// The sources in the front page's order: newest first (undated last), then by title.
    pub(super) fn front_order(&self) -> Vec<DocId> {
        let docs = &self.briefing.docs;
        let mut order: Vec<DocId> = (0..docs.len()).map(DocId::from_index).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (self.briefing.doc(a), self.briefing.doc(b));
            b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title))
        });
        order
    }

    /// Page `number` of `n_pages` of the front page: the briefing's header and rail on each,
    /// its body on the first, and that page's slice of the sources (in `order`, from
    /// [`Self::front_order`]) with their timeline.
    pub(super) fn index_page(
        &self,
        order: &[DocId],
        number: usize,
        n_pages: usize,
        site: &SiteView,
    ) -> anyhow::Result<Rendered> {
        let briefing = self.briefing;
        let mut diagnostics = Vec::new();
        let body_html = match &briefing.front.body {
            Some(body) if number == 1 => self.body_html(body, &mut diagnostics),
            _ => String::new(),
        };
        let on_page = page_slice(order, number, SOURCES_PER_PAGE);
        let docs: Vec<DocSummaryView> = on_page.iter().map(|&id| self.doc_summary(id)).collect();
        let themes = (0..briefing.themes.len())
            .map(|i| {
                let id = ThemeId::from_index(i);
                self.theme_ref(id, briefing.theme(id).annotations.len())
            })
            .collect();
        let mut top_entities: Vec<EntityRefView> = (0..briefing.entities.len())
            .map(|i| {
                let id = EntityId::from_index(i);
                self.entity_ref(id, briefing.entity(id).mentions.len())
            })
            .filter(|e| e.count > 0)
            .collect();
        top_entities.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        top_entities.truncate(12);
        let relative = page_path("", number);
        let view = IndexPage {
            site: site.clone(),
            page: self.page(
                page_title(&site.title, number),
                &relative,
                "home",
                briefing.front.summary.as_deref(),
            ),
            summary: briefing.front.summary.clone(),
            body_html,
            docs,
            themes,
            top_entities,
            timeline: charts::timeline(briefing, on_page, n_pages > 1, &self.urls),
            pagination: self.pagination("", number, n_pages),
        };
        Ok(Rendered {
            path: format!("{relative}index.html"),
            html: self.render_template("index.html", &view)?,
            diagnostics,
            highlighted_code: false,
        })
    }

    fn entities_page(&self, site: &SiteView) -> anyhow::Result<Rendered> {
        let briefing = self.briefing;
        let groups = EntityKind::ALL
            .iter()
            .filter_map(|&kind| {
                let mut entities: Vec<EntityRefView> = (0..briefing.entities.len())
                    .map(EntityId::from_index)
                    .filter(|&id| briefing.entity(id).kind == kind)
                    .map(|id| self.entity_ref(id, briefing.entity(id).mentions.len()))
                    .collect();
                if entities.is_empty() {
                    return None;
                }
                entities.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
                Some(EntityGroupView {
                    kind: kind.as_str(),
                    label: kind_label(kind),
                    entities,
                })
            })
            .collect();
        let view = EntitiesPage {
            site: site.clone(),
            page: self.page("Entities".to_string(), "entities/", "entities", None),
            groups,
            network: charts::entity_network(briefing, &self.urls),
        };
        Ok(Rendered {
            path: "entities/index.html".to_string(),
            html: self.render_template("entities.html", &view)?,
            diagnostics: Vec::new(),
            highlighted_code: false,
        })
    }

    fn themes_page(&self, site: &SiteView) -> anyhow::Result<Rendered> {
        let mut diagnostics = Vec::new();
        let themes = (0..self.briefing.themes.len())
            .map(|i| self.theme_summary(ThemeId::from_index(i), &mut diagnostics))
            .collect();
        let view = ThemesPage {
            site: site.clone(),
            page: self.page("Themes".to_string(), "themes/", "themes", None),
            themes,
        };
        Ok(Rendered {
            path: "themes/index.html".to_string(),
            html: self.render_template("themes.html", &view)?,
            diagnostics,
            highlighted_code: false,
        })
    }

    /// Page `number` of `n_pages` of the annotation index.
    fn annotations_page(
        &self,
        number: usize,
        n_pages: usize,
        site: &SiteView,
    ) -> anyhow::Result<Rendered> {
        let first = (number - 1) * ROWS_PER_PAGE;
        let last = (first + ROWS_PER_PAGE).min(self.briefing.annotations.len());
        let slice: Vec<AnnotationId> = (first..last).map(AnnotationId::from_index).collect();
        let groups = self.grouped(&slice)?;
        let relative = page_path("annotations/", number);
        let view = AnnotationsPage {
            site: site.clone(),
            page: self.page(
                page_title("Annotations", number),
                &relative,
                "annotations",
                None,
            ),
            groups,
            pagination: self.pagination("annotations/", number, n_pages),
        };
        Ok(Rendered {
            path: format!("{relative}index.html"),
            html: self.render_template("annotations.html", &view)?,
            diagnostics: Vec::new(),
            highlighted_code: false,
        })
    }

    /// Links between the pages of the list at `list` (relative, `themes/a/`); none for a list
    /// on one page.
    fn pagination(&self, list: &str, number: usize, n_pages: usize) -> Option<PaginationView> {
        if n_pages <= 1 {
            return None;
        }
        let url = |n: usize| self.urls.path(&page_path(list, n));
        Some(PaginationView {
            number,
            n_pages,
            previous_url: (number > 1).then(|| url(number - 1)),
            next_url: (number < n_pages).then(|| url(number + 1)),
            pages: pager(number, n_pages)
                .into_iter()
                .scan(0, |previous, n| {
                    let gap_before = *previous != 0 && n > *previous + 1;
                    *previous = n;
                    Some(PageLinkView {
                        number: n,
                        url: url(n),
                        current: n == number,
                        gap_before,
                    })
                })
                .collect(),
        })
    }

    fn not_found_page(&self, site: &SiteView) -> anyhow::Result<Rendered> {
        let view = NotFoundPage {
            site: site.clone(),
            page: self.page("Page not found".to_string(), "404.html", "404", None),
        };
        Ok(Rendered {
            path: "404.html".to_string(),
            html: self.render_template("404.html", &view)?,
            diagnostics: Vec::new(),
            highlighted_code: false,
        })
    }
}

/// Sources named in a theme's summary (on the themes index): those it has most annotations in.
const THEME_SUMMARY_SOURCES: usize = 10;
/// Sources per page of the front page's list (and of its timeline).
const SOURCES_PER_PAGE: usize = 50;
/// Annotation cards (and mentions) per page of a theme or entity.
const CARDS_PER_PAGE: usize = 100;
/// Rows per page of the annotation index, which are smaller than cards.
const ROWS_PER_PAGE: usize = 200;

/// Pages needed for a list page showing `n_mentions` mentions and `n_cards` annotation cards,
/// `CARDS_PER_PAGE` of each per page; at least one.
fn n_pages(n_mentions: usize, n_cards: usize) -> usize {
    n_mentions.max(n_cards).div_ceil(CARDS_PER_PAGE).max(1)
}

/// Pages on either side of the current one that a pager links to.
const PAGER_REACH: usize = 2;

/// The page numbers a pager on page `number` of `n_pages` links to, in order: the first, the
/// last, and those within [`PAGER_REACH`] of `number`. A gap of one page is filled, since its
/// link takes no more room than the `…` it would leave.
fn pager(number: usize, n_pages: usize) -> Vec<usize> {
    let near = number.saturating_sub(PAGER_REACH).max(1)..=(number + PAGER_REACH).min(n_pages);
    let mut pages: Vec<usize> = Vec::new();
    for n in std::iter::once(1)
        .chain(near)
        .chain(std::iter::once(n_pages))
    {
        match pages.last() {
            Some(&last) if n <= last => continue,
            Some(&last) if n == last + 2 => pages.push(last + 1),
            _ => {}
        }
        pages.push(n);
    }
    pages
}

/// The `number`-th (from 1) slice of `per_page` items; empty past the end.
fn page_slice<T>(items: &[T], number: usize, per_page: usize) -> &[T] {
    let first = ((number - 1) * per_page).min(items.len());
    let last = (first + per_page).min(items.len());
    &items[first..last]
}

/// Where page `number` of the list at `list` lives: the list's own path for the first page,
/// `page/<number>/` under it for the others.
fn page_path(list: &str, number: usize) -> String {
    if number == 1 {
        list.to_string()
    } else {
        format!("{list}page/{number}/")
    }
}

fn page_title(title: &str, number: usize) -> String {
    if number == 1 {
        title.to_string()
    } else {
        format!("{title} (page {number})")
    }
}

fn broken_link(span: Span, target: &str) -> Diagnostic {
    Diagnostic::error(
        Code::BrokenInternalLink,
        span,
        format!("the link `@/{target}` points at no page or passage of this briefing"),
    )
    .with_help("internal links look like `@/sources/<slug>/`, `@/entities/<slug>/`, `@/themes/<slug>/` or `@/sources/<slug>/#ann-<annotation id>`")
}

fn kind_label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Organization => "Organizations",
        EntityKind::Person => "People",
        EntityKind::Product => "Products",
        EntityKind::Model => "Models",
        EntityKind::Initiative => "Initiatives",
        EntityKind::Place => "Places",
        EntityKind::Other => "Other",
    }
}

fn display_date(date: jiff::civil::Date) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[(date.month() - 1) as usize],
        date.year()
    )
}

/// `text` with each run of whitespace made one space (at its ends too), as
/// `char::is_whitespace` has whitespace. One pass over the bytes, copying what lies between the
/// runs that change (a single space between words stays as it is): this is done for every
/// annotation on every page that shows it.
fn flatten_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut index) = (0, 0);
    while index < bytes.len() {
        if !MAY_START_WHITESPACE[usize::from(bytes[index])] {
            index += 1;
            continue;
        }
        // Not whitespace (inside a character, none starts), or a single space kept as it is.
        let unchanged = match whitespace_at(text, index) {
            None => true,
            Some(_) => bytes[index] == b' ' && whitespace_at(text, index + 1).is_none(),
        };
        if unchanged {
            index += 1;
            continue;
        }
        out.push_str(&text[copied..index]);
        out.push(' ');
        while let Some(len) = whitespace_at(text, index) {
            index += len;
        }
        copied = index;
    }
    out.push_str(&text[copied..]);
    out
}

/// The bytes a whitespace character can start with in UTF-8 (see [`whitespace_at`]).
const MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let starts: [u8; 10] = [
        b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r', 0xc2, 0xe1, 0xe2, 0xe3,
    ];
    let mut i = 0;
    while i < starts.len() {
        table[starts[i] as usize] = true;
        i += 1;
    }
    table
};

/// The length in bytes of the whitespace character that starts at byte `index` of `text`, if
/// one does (none past the end, or inside a character).
fn whitespace_at(text: &str, index: usize) -> Option<usize> {
    let byte = *text.as_bytes().get(index)?;
    if byte.is_ascii() {
        return matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r').then_some(1);
    }
    // The other whitespace characters (U+0085, U+00A0, U+1680, U+2000 to U+200A, U+2028,
    // U+2029, U+202F, U+205F, U+3000) start with one of these bytes in UTF-8.
    if !matches!(byte, 0xc2 | 0xe1 | 0xe2 | 0xe3) {
        return None;
    }
    let c = text.get(index..)?.chars().next()?;
    c.is_whitespace().then_some(c.len_utf8())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{LinkTargets, SiteTargets, flatten_whitespace, pager};
    use crate::model::Briefing;
    use proptest::prelude::*;

    #[test]
    fn a_pager_links_the_ends_and_the_pages_near_this_one() {
        assert_eq!(pager(1, 2), [1, 2]);
        assert_eq!(pager(1, 400), [1, 2, 3, 400]);
        assert_eq!(pager(200, 400), [1, 198, 199, 200, 201, 202, 400]);
        assert_eq!(pager(400, 400), [1, 398, 399, 400]);
        // A gap of one page shows the page instead.
        assert_eq!(pager(4, 9), [1, 2, 3, 4, 5, 6, 9]);
        assert_eq!(pager(6, 9), [1, 4, 5, 6, 7, 8, 9]);
        assert_eq!(pager(5, 7), [1, 2, 3, 4, 5, 6, 7]);
    }

    proptest! {
        /// Every page can reach every other by its pager's links: they are in order, they hold
        /// the first, the last and this page, and never more than 2 * reach + 5 links (the
        /// ends, this page, its neighbours and two filled gaps).
        #[test]
        fn pager_links_are_ordered_and_few(n_pages in 1usize..500, pick in 0usize..500) {
            let number = pick % n_pages + 1;
            let pages = pager(number, n_pages);
            prop_assert!(pages.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(pages.first(), Some(&1));
            prop_assert_eq!(pages.last(), Some(&n_pages));
            prop_assert!(pages.contains(&number));
            prop_assert!(pages.len() <= 2 * super::PAGER_REACH + 5);
            if number < n_pages {
                prop_assert!(pages.contains(&(number + 1)));
            }
        }
    }

    /// The definition: one char at a time.
    fn flattened_char_by_char(text: &str) -> String {
        let mut out = String::new();
        let mut space = false;
        for c in text.chars() {
            if c.is_whitespace() {
                space = true;
            } else {
                if space {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
        if space {
            out.push(' ');
        }
        out
    }

    #[test]
    fn whitespace_runs_become_one_space() {
        assert_eq!(flatten_whitespace("  a\n\tb  c "), " a b c ");
        assert_eq!(flatten_whitespace("a\u{a0}\u{2003}é"), "a é");
        assert_eq!(flatten_whitespace(""), "");
        assert_eq!(flatten_whitespace("\n"), " ");
    }

    proptest! {
        #[test]
        fn flattening_agrees_with_its_definition(text in "[a é\\n\\t\u{85}\u{a0}\u{a9}\u{1680}\u{16a0}\u{2003}\u{205f}\u{3000}\u{3001}x—]{0,40}") {
            prop_assert_eq!(flatten_whitespace(&text), flattened_char_by_char(&text));
        }

        #[test]
        fn flattening_ascii_agrees_with_its_definition(text in "[ a.\\t\\n\\r\u{b}\u{c}\u{1c}]{0,40}") {
            prop_assert_eq!(flatten_whitespace(&text), flattened_char_by_char(&text));
        }
    }

    /// The targets as the set of strings they once were made into, to hold the lookup to.
    fn listed_targets(briefing: &Briefing<'_>) -> HashSet<String> {
        let mut targets: HashSet<String> = ["", "entities/", "themes/", "annotations/"]
            .into_iter()
            .map(String::from)
            .collect();
        for doc in &briefing.docs {
            let page = format!("sources/{}/", doc.slug);
            targets.insert(page.clone());
            for annotation in &doc.annotations {
                let annotation = briefing.annotation(*annotation);
                targets.insert(format!("{page}#ann-{}", annotation.id));
                targets.insert(format!("{page}#note-{}", annotation.id));
            }
        }
        for mention in &briefing.mentions {
            let doc = briefing.doc(mention.doc);
            targets.insert(format!("sources/{}/#{}", doc.slug, mention.html_id));
        }
        for entity in &briefing.entities {
            targets.insert(format!("entities/{}/", entity.slug));
        }
        for theme in &briefing.themes {
            targets.insert(format!("themes/{}/", theme.slug));
        }
        targets
    }

    /// On the seed briefing, every listed target is found, and so is nothing else: the same
    /// pages with each other's fragments, other folders, the fragments of index pages.
    #[test]
    fn link_targets_are_the_pages_and_fragments_of_the_site() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = crate::files::Files::default();
        let mut diagnostics = crate::diagnostics::Diagnostics::default();
        let config = crate::config::load(root, &Default::default(), &mut files, &mut diagnostics)
            .expect("site.toml is read")
            .expect("site.toml is valid");
        let sources = crate::source::load(&config, files, &mut diagnostics).expect("loads");
        let briefing = crate::model::build(&sources, &mut diagnostics);
        assert!(!diagnostics.has_errors());
        let listed = listed_targets(&briefing);
        let targets = SiteTargets {
            briefing: &briefing,
        };
        let split = |target: &str| match target.split_once('#') {
            Some((page, fragment)) => (page.to_string(), Some(fragment.to_string())),
            None => (target.to_string(), None),
        };
        let fragments: Vec<Option<String>> = listed.iter().map(|t| split(t).1).collect();
        let pages: HashSet<String> = listed
            .iter()
            .map(|t| split(t).0)
            .chain(["sources/", "search/", "sources/nowhere/", "entities/x/y/"].map(String::from))
            .collect();
        assert!(listed.len() > 100, "{} targets", listed.len());
        for page in &pages {
            for fragment in fragments
                .iter()
                .chain([&None, &Some("nowhere".to_string())])
            {
                let expected = match fragment {
                    Some(f) => listed.contains(&format!("{page}#{f}")),
                    None => listed.contains(page),
                };
                assert_eq!(
                    targets.contains(page, fragment.as_deref()),
                    expected,
                    "{page} #{fragment:?}"
                );
            }
        }
    }
}
