//! Search: the full-text index of the briefing, built at build time with Pagefind, and the
//! search page that queries it in the browser.
//!
//! Owns what is searchable and how it can be filtered. Input: the [`Briefing`]. Output: one
//! [`SearchRecord`] per source, entity, theme and annotation, built from the model rather than by
//! re-reading rendered pages, each with the filters `type`, `theme` (theme titles) and `entity`
//! (entity names); Pagefind turns them into its bundle (index chunks, filters, fragments,
//! `pagefind.js` and its WebAssembly) under [`BUNDLE_DIR`] of the `OutputTree`.
//! Pagefind runs in memory here: no disk I/O and nothing loaded from other hosts at run time.
//! Must not: decide how results look. That is `search.html` and the site theme's `search.js`.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;

use super::views::{EntityGroupView, EntityRefView, SearchPage, SearchTypeView, SiteView};
use super::{OutputTree, Renderer, flatten_whitespace, kind_label};
use crate::anchor::ReaderText;
use crate::files::Files;
use crate::model::{Briefing, EntityId, EntityKind, ThemeId};

/// Folder of the Pagefind bundle in the output, relative to the site's root.
pub const BUNDLE_DIR: &str = "pagefind/";

/// Files of the bundle that gloss does not publish: Pagefind's ready-made search interfaces
/// and its highlighter. The site theme brings its own small interface on top of `pagefind.js`.
const UNUSED_BUNDLE_FILES: [&str; 7] = [
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
];

/// What a search result is, as the `type` filter names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKind {
    Source,
    Entity,
    Theme,
    Annotation,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Source,
        RecordKind::Entity,
        RecordKind::Theme,
        RecordKind::Annotation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Source => "source",
            RecordKind::Entity => "entity",
            RecordKind::Theme => "theme",
            RecordKind::Annotation => "annotation",
        }
    }

    fn plural_label(self) -> &'static str {
        match self {
            RecordKind::Source => "Sources",
            RecordKind::Entity => "Entities",
            RecordKind::Theme => "Themes",
            RecordKind::Annotation => "Annotations",
        }
    }
}

/// One searchable thing: a page, or an annotation at its place in its source page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRecord {
    /// Where the result leads, from the site's root without the base path
    /// (`/sources/a/#ann-b`); the search page's script puts the base path in front.
    pub url: String,
    pub title: String,
    /// The text that is searched and quoted in excerpts: what a reader sees, not Markdown.
    pub content: String,
    pub kind: RecordKind,
    /// Shown with the result: the entity kind or annotation kind, and an annotation's source.
    pub meta: BTreeMap<&'static str, String>,
    /// Titles of the themes the record belongs to.
    pub themes: BTreeSet<String>,
    /// Names of the entities the record mentions or is tagged with.
    pub entities: BTreeSet<String>,
    /// Places in the page that are results of their own (Pagefind's sub-results): a source's
    /// annotations, at `#ann-<id>`. One record per page with its annotations inside keeps the
    /// number of records (and of Pagefind fragments) to the number of pages.
    pub anchors: Vec<SearchAnchor>,
}

/// A passage of a record's page that is a result of its own, found by the words of `content`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchAnchor {
    /// The element id in the page (`ann-…`).
    pub id: String,
    pub title: String,
    pub content: String,
}

impl SearchRecord {
    fn new(kind: RecordKind, url: String, title: String, content: String) -> Self {
        SearchRecord {
            url,
            title,
            content,
            kind,
            meta: BTreeMap::new(),
            themes: BTreeSet::new(),
            entities: BTreeSet::new(),
            anchors: Vec::new(),
        }
    }

    /// `type` is the record's kind, then `annotation` when it holds annotations, so that the
    /// filter `type = annotation` keeps the pages whose annotations are sub-results.
    fn filters(&self) -> BTreeMap<String, Vec<String>> {
        let mut filters = BTreeMap::new();
        let mut types = vec![self.kind.as_str().to_string()];
        if !self.anchors.is_empty() && self.kind != RecordKind::Annotation {
            types.push(RecordKind::Annotation.as_str().to_string());
        }
        filters.insert("type".to_string(), types);
        if !self.themes.is_empty() {
            filters.insert("theme".to_string(), self.themes.iter().cloned().collect());
        }
        if !self.entities.is_empty() {
            filters.insert(
                "entity".to_string(),
                self.entities.iter().cloned().collect(),
            );
        }
        filters
    }
}

/// Every record of the briefing, in a fixed order: sources (each with its annotations as
/// anchors), entities, themes.
pub fn records(briefing: &Briefing<'_>, files: &Files) -> Vec<SearchRecord> {
    let theme_title = |id: ThemeId| briefing.theme(id).title.clone();
    let entity_name = |id: EntityId| briefing.entity(id).name.clone();
    let mut records =
        Vec::with_capacity(briefing.docs.len() + briefing.entities.len() + briefing.themes.len());

    for doc in &briefing.docs {
        let mut content = vec![as_sentence(&doc.title)];
        for line in [&doc.publisher, &doc.author, &doc.summary]
            .into_iter()
            .flatten()
        {
            content.push(as_sentence(line));
        }
        content.push(doc.reader.text.clone());
        let mut record = SearchRecord::new(
            RecordKind::Source,
            format!("/sources/{}/", doc.slug),
            doc.title.clone(),
            content.join("\n"),
        );
        for &mention in &doc.mentions {
            record
                .entities
                .insert(entity_name(briefing.mention(mention).entity));
        }
        for &annotation in &doc.annotations {
            let annotation = briefing.annotation(annotation);
            record
                .entities
                .extend(annotation.entities.iter().map(|&e| entity_name(e)));
            record
                .themes
                .extend(annotation.themes.iter().map(|&t| theme_title(t)));
            let quote = flatten_whitespace(&doc.reader.text[annotation.range.clone()]);
            let quote = quote.trim();
            let note = annotation
                .note
                .as_ref()
                .map(|note| ReaderText::extract(&note.value).text)
                .unwrap_or_default();
            record.anchors.push(SearchAnchor {
                id: format!("ann-{}", annotation.id),
                title: format!("“{}”", shorten(quote, 90)),
                content: format!("{quote}\n{note}"),
            });
        }
        records.push(record);
    }

    for entity in &briefing.entities {
        let description = ReaderText::extract(entity.description.text(files)).text;
        // `aliases` starts with the name itself.
        let content = match entity.aliases.get(1..) {
            Some(others) if !others.is_empty() => {
                format!(
                    "{} (also {}).\n{description}",
                    entity.name,
                    others.join(", ")
                )
            }
            _ => format!("{}.\n{description}", entity.name),
        };
        let mut record = SearchRecord::new(
            RecordKind::Entity,
            format!("/entities/{}/", entity.slug),
            entity.name.clone(),
            content,
        );
        record.meta.insert("kind", entity.kind.as_str().to_string());
        record.entities.insert(entity.name.clone());
        record
            .themes
            .extend(entity.themes.iter().map(|&(t, _)| theme_title(t)));
        records.push(record);
    }

    for theme in &briefing.themes {
        let description = ReaderText::extract(theme.description.text(files)).text;
        let mut record = SearchRecord::new(
            RecordKind::Theme,
            format!("/themes/{}/", theme.slug),
            theme.title.clone(),
            format!("{}\n{description}", as_sentence(&theme.title)),
        );
        record.themes.insert(theme.title.clone());
        for &annotation in &theme.annotations {
            record.entities.extend(
                briefing
                    .annotation(annotation)
                    .entities
                    .iter()
                    .map(|&e| entity_name(e)),
            );
        }
        records.push(record);
    }

    records
}

/// `line` ending in punctuation, so that excerpts read as sentences where a title runs into the
/// text after it.
fn as_sentence(line: &str) -> String {
    let line = line.trim();
    match line.chars().last() {
        Some(last) if last.is_alphanumeric() => format!("{line}."),
        _ => line.to_string(),
    }
}

/// `text` cut at a word boundary to at most about `max_chars` characters, with an ellipsis when
/// something was cut.
fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(index, _)| index);
    let head = &text[..cut];
    let head = match head.rfind(' ') {
        Some(space) if space > 0 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Indexes `records` with Pagefind and returns its bundle: paths relative to the site's root
/// (under [`BUNDLE_DIR`]) and their bytes. File names inside are content hashes, so the same
/// records give the same files.
pub fn bundle(
    records: Vec<SearchRecord>,
    language: &str,
) -> anyhow::Result<BTreeMap<String, Vec<u8>>> {
    // Pagefind's API is async and needs a tokio runtime. Indexing runs on a thread of its own
    // so that a caller already inside a runtime (`serve` rebuilding) cannot nest runtimes.
    // Pagefind's script looks the index up by the page's `lang`, lowercased (falling back to
    // the language before `-`, then to the biggest index).
    let language = language.to_lowercase();
    let files = std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .context("starting the search indexer")?;
                runtime.block_on(index(records, language))
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    let mut bundle = BTreeMap::new();
    for file in files {
        let name = file.filename.to_string_lossy().replace('\\', "/");
        if UNUSED_BUNDLE_FILES.contains(&name.as_str()) {
            continue;
        }
        bundle.insert(format!("{BUNDLE_DIR}{name}"), file.contents);
    }
    Ok(bundle)
}

async fn index(
    records: Vec<SearchRecord>,
    language: String,
) -> anyhow::Result<Vec<pagefind::api::SyntheticFile>> {
    let options = pagefind::options::PagefindServiceConfig::builder()
        .force_language(language.clone())
        .build();
    let mut index = pagefind::api::PagefindIndex::new(Some(options))
        .context("configuring the search indexer")?;
    for record in records {
        if !record.anchors.is_empty() {
            let url = record.url.clone();
            index
                .add_html_file(None, Some(url.clone()), record_html(&record, &language))
                .await
                .with_context(|| format!("indexing `{url}` for search"))?;
            continue;
        }
        let filters = record.filters();
        let mut meta: BTreeMap<String, String> = record
            .meta
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect();
        meta.insert("title".to_string(), record.title);
        index
            .add_custom_record(
                record.url.clone(),
                record.content,
                language.clone(),
                Some(meta),
                Some(filters),
                None,
            )
            .await
            .with_context(|| format!("indexing `{}` for search", record.url))?;
    }
    index.get_files().await.context("building the search index")
}

/// A record with anchors as the small HTML page Pagefind reads: the page's text, then each
/// anchor as an element with its id and a `data-pagefind-title`, which Pagefind turns into a
/// sub-result. Title, meta and filters are attributes whose values are taken verbatim (commas
/// and colons in entity names are safe there).
fn record_html(record: &SearchRecord, language: &str) -> String {
    let mut html = format!("<html lang=\"{}\"><body>", escape_html(language));
    let mut tag = |kind: &str, name: &str, value: &str| {
        html.push_str(&format!(
            "<span data-pagefind-{kind}=\"{name}[data-value]\" data-value=\"{}\"></span>",
            escape_html(value)
        ));
    };
    tag("meta", "title", &record.title);
    for (key, value) in &record.meta {
        tag("meta", key, value);
    }
    for (name, values) in record.filters() {
        for value in values {
            tag("filter", &name, &value);
        }
    }
    html.push_str(&format!("<p>{}</p>", escape_html(&record.content)));
    for anchor in &record.anchors {
        html.push_str(&format!(
            "<section id=\"{}\" data-pagefind-title=\"{}\"><p>{}</p></section>",
            escape_html(&anchor.id),
            escape_html(&anchor.title),
            escape_html(&anchor.content)
        ));
    }
    html.push_str("</body></html>");
    html
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

impl Renderer<'_, '_> {
    /// Adds the Pagefind bundle and, when the site theme has `search.html`, the search page.
    /// Site themes made before search existed have no such template and still build.
    /// Adds the search page and, as `mode` says, the index: built now, handed back to build
    /// later (`serve` publishes pages first), or left out (`check`).
    pub(super) fn add_search(
        &self,
        site: &SiteView,
        tree: &mut OutputTree,
        mode: crate::SearchIndex,
    ) -> anyhow::Result<Option<Vec<SearchRecord>>> {
        let deferred = match mode {
            crate::SearchIndex::Build => {
                let records = records(self.briefing, &self.sources.files);
                tree.files.extend(bundle(records, &self.config.language)?);
                None
            }
            crate::SearchIndex::Defer => Some(records(self.briefing, &self.sources.files)),
            crate::SearchIndex::Skip => None,
        };
        if self.tera.contains_template("search.html") {
            let html = self.render_template("search.html", &self.search_page(site))?;
            tree.files
                .insert("search/index.html".to_string(), html.into_bytes());
        }
        Ok(deferred)
    }

    fn search_page(&self, site: &SiteView) -> SearchPage {
        let briefing = self.briefing;
        let entity_groups = EntityKind::ALL
            .iter()
            .filter_map(|&kind| {
                let mut entities: Vec<EntityRefView> = (0..briefing.entities.len())
                    .map(EntityId::from_index)
                    .filter(|&id| briefing.entity(id).kind == kind)
                    .map(|id| self.entity_ref(id, briefing.entity(id).mentions.len()))
                    .collect();
                entities.sort_by(|a, b| a.name.cmp(&b.name).then(a.slug.cmp(&b.slug)));
                (!entities.is_empty()).then_some(EntityGroupView {
                    kind: kind.as_str(),
                    label: kind_label(kind),
                    entities,
                })
            })
            .collect();
        SearchPage {
            site: site.clone(),
            page: self.page("Search".to_string(), "search/", "search", None),
            bundle_path: self.urls.path(BUNDLE_DIR),
            types: RecordKind::ALL
                .iter()
                .map(|&kind| SearchTypeView {
                    value: kind.as_str(),
                    label: kind.plural_label(),
                })
                .collect(),
            themes: (0..briefing.themes.len())
                .map(|i| {
                    let id = ThemeId::from_index(i);
                    self.theme_ref(id, briefing.theme(id).annotations.len())
                })
                .collect(),
            entity_groups,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: RecordKind, url: &str, content: &str) -> SearchRecord {
        SearchRecord::new(kind, url.to_string(), url.to_string(), content.to_string())
    }

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(shorten("the Maia chip", 20), "the Maia chip");
    }

    #[test]
    fn long_text_is_cut_at_a_word_with_an_ellipsis() {
        assert_eq!(
            shorten("the Maia AI accelerator, specifically designed", 26),
            "the Maia AI accelerator…"
        );
    }

    #[test]
    fn filters_name_type_themes_and_entities_sorted() {
        let mut annotation = record(RecordKind::Annotation, "/sources/a/#ann-x", "text");
        annotation.themes.insert("Zebra crossings".to_string());
        annotation.themes.insert("Access".to_string());
        annotation.entities.insert("Maia".to_string());
        let filters = annotation.filters();
        assert_eq!(filters["type"], ["annotation"]);
        assert_eq!(filters["theme"], ["Access", "Zebra crossings"]);
        assert_eq!(filters["entity"], ["Maia"]);
    }

    #[test]
    fn record_without_themes_or_entities_has_only_a_type_filter() {
        let filters = record(RecordKind::Source, "/sources/a/", "text").filters();
        assert_eq!(filters.keys().collect::<Vec<_>>(), ["type"]);
    }

    #[test]
    fn bundle_lives_under_the_bundle_dir_without_pagefind_ui() {
        let bundle = bundle(
            vec![record(RecordKind::Source, "/sources/a/", "Maia chips")],
            "en",
        )
        .expect("indexing one record succeeds");
        assert!(bundle.keys().all(|path| path.starts_with(BUNDLE_DIR)));
        for needed in ["pagefind/pagefind.js", "pagefind/pagefind-entry.json"] {
            assert!(bundle.contains_key(needed), "{needed} is in the bundle");
        }
        assert!(!bundle.contains_key("pagefind/pagefind-ui.js"));
        assert!(bundle.keys().any(|path| path.ends_with(".pf_fragment")));
    }

    #[test]
    fn same_records_give_the_same_bundle() {
        let records = vec![
            record(RecordKind::Source, "/sources/a/", "Maia chips in Azure"),
            record(RecordKind::Entity, "/entities/maia/", "Maia accelerator"),
        ];
        let first = bundle(records.clone(), "en").expect("indexing succeeds");
        let second = bundle(records, "en").expect("indexing succeeds");
        assert_eq!(first, second);
    }
}
