//! The site made on demand, one file at a time, for `gloss serve`.
//!
//! Owns the table of every path a build would write (its [`Route`]) and the state shared by the
//! pages made from one briefing: the annotation views, each made the first time a page needs
//! it; and [`InternalLinks`], the `@/` links found in editors' Markdown, which `serve` keeps
//! from one briefing to the next. Input: the same [`Inputs`] a build renders; output: the bytes of
//! one file, identical to what `render_site` hands its sink for that path (the search index
//! aside: serve builds it apart). Must not: render anything before it is asked for, keep the
//! files it made (the server decides what to cache), or do I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{
    Inputs, ROWS_PER_PAGE, SOURCES_PER_PAGE, SiteTargets, Views, broken_link, markdown, n_pages,
    page_path, site_files,
};
use crate::diagnostics::{Diagnostic, Span, Spanned};
use crate::model::{DocId, EntityId, ThemeId};

/// How to make one file of the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Source(DocId),
    Entity {
        id: EntityId,
        number: usize,
        n_pages: usize,
    },
    Theme {
        id: ThemeId,
        number: usize,
        n_pages: usize,
    },
    Annotations {
        number: usize,
        n_pages: usize,
    },
    Index {
        number: usize,
        n_pages: usize,
    },
    Entities,
    Themes,
    NotFound,
    /// A file of the site theme's `static/`, by index.
    ThemeStatic(usize),
    /// A file of the briefing's `static/`, by index.
    Static(usize),
    SyntaxCss,
    Search,
    Feed,
    Export,
    /// `sitemap.xml`, `robots.txt`, `.nojekyll`, `CNAME`.
    HostFile,
}

impl Route {
    /// Whether the file is made by a template of the site theme.
    fn uses_template(self) -> bool {
        !matches!(
            self,
            Route::ThemeStatic(_)
                | Route::Static(_)
                | Route::SyntaxCss
                | Route::Feed
                | Route::Export
                | Route::HostFile
        )
    }
}

/// A briefing's site, made page by page as it is asked for. Build it with the [`Inputs`] it is
/// then always asked with.
pub struct LiveSite {
    views: Views,
    routes: BTreeMap<String, Route>,
    /// Every page's path, as `render_site` lists them for the sitemap.
    pages: Vec<String>,
    /// Whether some source page highlights code, so every other page links `syntax.css`.
    highlighted: bool,
}

impl LiveSite {
    /// Lists the files without making them. Only sources with a fenced code block are
    /// rendered, to learn whether the site needs `syntax.css`.
    pub fn new(inputs: Inputs<'_, '_>) -> anyhow::Result<LiveSite> {
        let briefing = inputs.briefing;
        let mut live = LiveSite {
            views: Views::kept(briefing),
            routes: BTreeMap::new(),
            pages: Vec::new(),
            highlighted: false,
        };
        let with_code: Vec<usize> = (briefing.docs.par_iter().enumerate())
            .filter(|(_, doc)| has_code_with_language(doc))
            .map(|(index, _)| index)
            .collect();
        if !with_code.is_empty() {
            let targets = SiteTargets { briefing };
            let renderer = inputs.renderer(&targets, &live.views);
            let plain_site = renderer.site(false);
            live.highlighted = with_code
                .into_par_iter()
                .map(|index| {
                    renderer
                        .source_page(DocId::from_index(index), &plain_site)
                        .map(|page| page.highlighted_code)
                })
                .collect::<anyhow::Result<Vec<bool>>>()?
                .contains(&true);
        }
        live.list(inputs);
        Ok(live)
    }

    /// The routes, in the order `render_site` sends their files (a later file of the same path
    /// replaces an earlier one, as in the built tree).
    fn list(&mut self, inputs: Inputs<'_, '_>) {
        let briefing = inputs.briefing;
        let page = |live: &mut LiveSite, path: String, route: Route| {
            live.pages.push(path.clone());
            live.routes.insert(path, route);
        };
        for (index, doc) in briefing.docs.iter().enumerate() {
            page(
                self,
                format!("sources/{}/index.html", doc.slug),
                Route::Source(DocId::from_index(index)),
            );
        }
        // A list on several pages: `page/<n>/` under the list's path for all but the first.
        let paginated =
            |live: &mut LiveSite, list: &str, n_pages: usize, route: &dyn Fn(usize) -> Route| {
                for number in 1..=n_pages {
                    page(
                        live,
                        format!("{}index.html", page_path(list, number)),
                        route(number),
                    );
                }
            };
        for (index, entity) in briefing.entities.iter().enumerate() {
            let id = EntityId::from_index(index);
            let n_pages = n_pages(entity.mentions.len(), entity.annotations.len());
            let list = format!("entities/{}/", entity.slug);
            paginated(self, &list, n_pages, &|number| Route::Entity {
                id,
                number,
                n_pages,
            });
        }
        for (index, theme) in briefing.themes.iter().enumerate() {
            let id = ThemeId::from_index(index);
            let n_pages = n_pages(0, theme.annotations.len());
            let list = format!("themes/{}/", theme.slug);
            paginated(self, &list, n_pages, &|number| Route::Theme {
                id,
                number,
                n_pages,
            });
        }
        let n_front_pages = briefing.docs.len().div_ceil(SOURCES_PER_PAGE).max(1);
        paginated(self, "", n_front_pages, &|number| Route::Index {
            number,
            n_pages: n_front_pages,
        });
        let n_annotation_pages = briefing.annotations.len().div_ceil(ROWS_PER_PAGE).max(1);
        paginated(self, "annotations/", n_annotation_pages, &|number| {
            Route::Annotations {
                number,
                n_pages: n_annotation_pages,
            }
        });
        for (path, route) in [
            ("entities/index.html", Route::Entities),
            ("themes/index.html", Route::Themes),
            ("404.html", Route::NotFound),
        ] {
            page(self, path.to_string(), route);
        }
        // Files that are not pages count as pages when they are HTML, as in `Emitter::file`.
        let file = |live: &mut LiveSite, path: &str, route: Route| {
            if path.ends_with(".html") {
                live.pages.push(path.to_string());
            }
            live.routes.insert(path.to_string(), route);
        };
        for (index, static_file) in inputs.sources.site_theme.static_files.iter().enumerate() {
            file(self, &static_file.output_path, Route::ThemeStatic(index));
        }
        for (index, static_file) in inputs.sources.static_files.iter().enumerate() {
            file(self, &static_file.output_path, Route::Static(index));
        }
        if self.highlighted {
            file(self, "syntax.css", Route::SyntaxCss);
        }
        if inputs.tera.contains_template("search.html") {
            file(self, "search/index.html", Route::Search);
        }
        file(self, "atom.xml", Route::Feed);
        file(self, "annotations.jsonld", Route::Export);
        self.pages.sort();
        let static_paths: BTreeSet<&str> = inputs
            .sources
            .static_files
            .iter()
            .map(|f| f.output_path.as_str())
            .collect();
        for (path, _) in site_files::files(&[], inputs.config) {
            if !static_paths.contains(path) {
                self.routes.insert(path.to_string(), Route::HostFile);
            }
        }
    }

    /// Whether the site has a file at `path` (`sources/a/index.html`).
    pub fn contains(&self, path: &str) -> bool {
        self.routes.contains_key(path)
    }

    /// How many pages the site has, counted as `gloss build` counts them.
    pub fn n_pages(&self) -> usize {
        self.pages.len()
    }

    /// Every path of the site, in path order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }

    /// Makes the first file of each kind (the front page, a source, an entity, a theme, the
    /// annotation index, ...) and drops them: a template that fails at run time fails here,
    /// when the site is loaded, instead of on some later request.
    pub fn try_each_kind(&self, inputs: Inputs<'_, '_>) -> anyhow::Result<()> {
        let mut tried = std::collections::HashSet::new();
        for (path, route) in &self.routes {
            if route.uses_template() && tried.insert(std::mem::discriminant(route)) {
                self.file(inputs, path)?;
            }
        }
        Ok(())
    }

    /// Makes the file at `path`; `None` when the site has none there. `Err` for template
    /// failures.
    pub fn file(&self, inputs: Inputs<'_, '_>, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(&route) = self.routes.get(path) else {
            return Ok(None);
        };
        let targets = SiteTargets {
            briefing: inputs.briefing,
        };
        let renderer = inputs.renderer(&targets, &self.views);
        let site = renderer.site(self.highlighted);
        let bytes = match route {
            Route::Source(id) => renderer.source_page(id, &renderer.site(false))?.html,
            Route::Entity {
                id,
                number,
                n_pages,
            } => renderer.entity_page(id, number, n_pages, &site)?.html,
            Route::Theme {
                id,
                number,
                n_pages,
            } => renderer.theme_page(id, number, n_pages, &site)?.html,
            Route::Annotations { number, n_pages } => {
                renderer.annotations_page(number, n_pages, &site)?.html
            }
            Route::Index { number, n_pages } => {
                let order = renderer.front_order();
                renderer.index_page(&order, number, n_pages, &site)?.html
            }
            Route::Entities => renderer.entities_page(&site)?.html,
            Route::Themes => renderer.themes_page(&site)?.html,
            Route::NotFound => renderer.not_found_page(&site)?.html,
            Route::ThemeStatic(index) => {
                inputs.sources.site_theme.static_files[index].bytes.clone()
            }
            Route::Static(index) => inputs.sources.static_files[index].bytes.clone(),
            Route::SyntaxCss => markdown::syntax_css().into_bytes(),
            Route::Search => {
                renderer.render_template("search.html", &renderer.search_page(&site))?
            }
            Route::Feed => renderer.feed(&site.title).into_bytes(),
            Route::Export => {
                let mut bytes = Vec::new();
                renderer.annotation_export(&site.title, &mut bytes)?;
                bytes
            }
            Route::HostFile => site_files::files(&self.pages, inputs.config)
                .into_iter()
                .find(|(name, _)| *name == path)
                .map(|(_, bytes)| bytes)
                .unwrap_or_default(),
        };
        Ok(Some(bytes))
    }

    /// The problems rendering every page would report (broken `@/` links in notes, bodies,
    /// descriptions and the front page), found without rendering, as `gloss check` finds them
    /// and in the same order. Briefings with no `@/` link at all (the usual case when they are
    /// large) are cleared by a quick scan; otherwise the links of each Markdown text are taken
    /// from `links` (parsed once per text, then kept) and checked against this briefing.
    pub fn diagnostics(&self, inputs: Inputs<'_, '_>, links: &InternalLinks) -> Vec<Diagnostic> {
        if !may_link_inside(inputs) {
            return Vec::new();
        }
        let targets = SiteTargets {
            briefing: inputs.briefing,
        };
        let renderer = inputs.renderer(&targets, &self.views);
        let files = &inputs.sources.files;
        let notes: Vec<&Spanned<Arc<str>>> = (inputs.briefing.annotations.iter())
            .filter_map(|annotation| annotation.note.as_ref())
            .collect();
        let check = |found: Vec<Arc<[String]>>, spans: &mut dyn Iterator<Item = Span>| {
            let mut diagnostics = Vec::new();
            for (span, found) in spans.zip(found) {
                for url in found.iter() {
                    if let Some(target) = renderer.links.broken(url) {
                        diagnostics.push(broken_link(span, &target));
                    }
                }
            }
            diagnostics
        };
        let found = links.of_notes(notes.iter().map(|note| &note.value));
        let mut diagnostics = check(found, &mut notes.iter().map(|note| note.span));
        diagnostics.extend(renderer.source_link_diagnostics());
        let found = links.of_texts(renderer.editor_bodies().map(|body| body.text(files)));
        diagnostics.extend(check(
            found,
            &mut renderer.editor_bodies().map(|b| b.span()),
        ));
        diagnostics
    }
}

/// The destinations of the `@/` links of each Markdown text checked so far. `serve` keeps one
/// from one briefing to the next, so that a relink after an edit parses only the texts that
/// changed; every link is still checked against the new briefing, whose annotations (and so
/// fragments) may differ.
#[derive(Default)]
pub struct InternalLinks {
    /// Notes, by the address of their text, which an unchanged annotation file keeps from one
    /// briefing to the next. Each entry holds the text, so that no other note can be given its
    /// address while the entry is kept; entries only they hold are dropped.
    notes: Mutex<HashMap<usize, NoteLinks>>,
    /// Descriptions and the front page, by a hash of the text (XXH3-128).
    texts: Mutex<HashMap<u128, Arc<[String]>>>,
}

/// A note's text and the destinations of its `@/` links.
type NoteLinks = (Arc<str>, Arc<[String]>);

impl InternalLinks {
    /// The `@/` link destinations of each note, in order; the notes not seen before are parsed
    /// in parallel.
    fn of_notes<'t>(&self, notes: impl Iterator<Item = &'t Arc<str>>) -> Vec<Arc<[String]>> {
        let notes: Vec<(&Arc<str>, usize)> = notes
            .map(|note| (note, Arc::as_ptr(note).cast::<u8>() as usize))
            .collect();
        let mut found = self
            .notes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let new: Vec<(usize, NoteLinks)> = notes
            .par_iter()
            .filter(|(_, address)| !found.contains_key(address))
            .map(|&(note, address)| {
                let links = markdown::internal_links(note).into();
                (address, (note.clone(), links))
            })
            .collect();
        found.extend(new);
        let links = notes
            .iter()
            .map(|(_, address)| found[address].1.clone())
            .collect();
        found.retain(|_, (note, _)| Arc::strong_count(note) > 1);
        links
    }

    /// The `@/` link destinations of each text, in order.
    fn of_texts<'t>(&self, texts: impl Iterator<Item = &'t str>) -> Vec<Arc<[String]>> {
        let texts: Vec<(&str, u128)> = texts
            .map(|text| (text, xxhash_rust::xxh3::xxh3_128(text.as_bytes())))
            .collect();
        let mut found = self
            .texts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for &(text, hash) in &texts {
            found
                .entry(hash)
                .or_insert_with(|| markdown::internal_links(text).into());
        }
        texts.iter().map(|(_, hash)| found[hash].clone()).collect()
    }
}

/// Whether some editor text may hold an `@/` link: a source body with one (its links are
/// parsed already), or a note, description or front page whose Markdown has an `@` (or a
/// character reference, which could spell one).
fn may_link_inside(inputs: Inputs<'_, '_>) -> bool {
    let briefing = inputs.briefing;
    let files = &inputs.sources.files;
    let may_spell_at =
        |text: &str| text.contains('@') || text.contains("&#") || text.contains("&commat;");
    let body_links = briefing.docs.par_iter().any(|doc| {
        doc.reader.events.iter().any(|event| {
            matches!(
                &event.event,
                pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link { dest_url, .. })
                    if dest_url.starts_with("@/")
            )
        })
    });
    body_links
        || briefing.annotations.par_iter().any(|a| {
            a.note
                .as_ref()
                .is_some_and(|note| may_spell_at(&note.value))
        })
        || briefing
            .entities
            .iter()
            .any(|e| may_spell_at(e.description.text(files)))
        || briefing
            .themes
            .iter()
            .any(|t| may_spell_at(t.description.text(files)))
        || briefing
            .front
            .body
            .as_ref()
            .is_some_and(|body| may_spell_at(body.text(files)))
}

/// Whether a source has a fenced code block that names a language: only those can be
/// highlighted.
fn has_code_with_language(doc: &crate::model::Doc<'_>) -> bool {
    doc.reader.events.iter().any(|event| {
        matches!(
            &event.event,
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::CodeBlock(
                pulldown_cmark::CodeBlockKind::Fenced(language)
            )) if !language.is_empty()
        )
    })
}
