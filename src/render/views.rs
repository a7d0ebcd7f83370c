//! The theme API: the only data templates see.
//!
//! Every struct here is serialised into a tera context. Model types never reach templates;
//! renaming a field here is a breaking change for every site theme.
//! URLs are ready to use (they carry the base path); `*_html` fields are sanitised HTML.

use serde::Serialize;

/// Site-wide values, under `site` in every template.
#[derive(Clone, Debug, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub language: String,
    /// Absolute base URL with trailing slash, for canonical links and feeds.
    pub base_url: String,
    /// Path of the site's root with trailing slash (`/` or `/repo/`), for internal links.
    pub base_path: String,
    /// True when a code block was highlighted and `syntax.css` exists.
    pub syntax_css: bool,
    pub n_sources: usize,
    pub n_entities: usize,
    pub n_themes: usize,
    pub n_annotations: usize,
}

/// What every page has besides `site`: under `page`.
#[derive(Clone, Debug, Serialize)]
pub struct PageMeta {
    pub title: String,
    /// The page's own absolute URL.
    pub canonical_url: String,
    /// `home`, `source`, `entities`, `entity`, `themes`, `theme`, `annotations`, `search` or
    /// `404`.
    pub section: &'static str,
    pub description: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DocRef {
    pub slug: String,
    pub title: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DocSummaryView {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub publisher: Option<String>,
    pub author: Option<String>,
    /// `YYYY-MM-DD`, for `<time datetime>`.
    pub date: Option<String>,
    /// Human form, such as `5 March 2024`.
    pub date_display: Option<String>,
    pub summary: Option<String>,
    /// The original article's URL, if known.
    pub original_url: Option<String>,
    pub n_annotations: usize,
    pub n_mentions: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntityRefView {
    pub slug: String,
    pub name: String,
    pub kind: &'static str,
    pub url: String,
    /// Mentions (or tagged annotations, where it says so) in the context of the list.
    pub count: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThemeRefView {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub count: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkView {
    pub title: String,
    pub url: String,
}

/// An annotation as templates see it. The source, entity and theme references are template
/// values made once per source, entity and theme and shared by every annotation that names
/// them (a tera map is reference-counted), which keeps 20,000 annotations' views small.
#[derive(Clone, Debug, Serialize)]
pub struct AnnotationView<'s> {
    pub id: String,
    /// 1-based number in its source, in reading order.
    pub number: usize,
    /// Element id of the highlight in the source page: `ann-<id>`.
    pub anchor: String,
    /// Element id of the note in the source page: `note-<id>`.
    pub note_anchor: String,
    /// Link to the highlighted passage in its source page.
    pub url: String,
    /// The annotated passage as the reader sees it.
    pub quote: String,
    pub note_html: Option<String>,
    pub kind: &'static str,
    pub status: Option<&'static str>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub links: Vec<LinkView>,
    /// [`EntityRefView`]s.
    pub entities: Vec<&'s tera::Value>,
    /// [`ThemeRefView`]s.
    pub themes: Vec<&'s tera::Value>,
    /// A [`DocRef`].
    pub source: &'s tera::Value,
    /// The passage in the original article (a `#:~:text=` link), when the source has a `url`.
    pub original_url: Option<String>,
}

/// An [`AnnotationView`] as pages list it: its template value (it serialises as the view),
/// either shared by every page that shows the annotation or made for this page alone.
#[derive(Clone, Debug)]
pub struct AnnotationRef<'v> {
    pub value: std::borrow::Cow<'v, tera::Value>,
}

impl Serialize for AnnotationRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // tera passes its own values through without converting them again.
        self.value.serialize(serializer)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct IndexPage {
    pub site: SiteView,
    pub page: PageMeta,
    pub summary: Option<String>,
    pub body_html: String,
    pub docs: Vec<DocSummaryView>,
    pub themes: Vec<ThemeRefView>,
    /// Most-mentioned entities first.
    pub top_entities: Vec<EntityRefView>,
    /// This page's sources and their annotations by date; none when nothing is dated.
    pub timeline: Option<TimelineChartView>,
    /// The sources are listed [`SOURCES_PER_PAGE`](super) to a page: the first on the front
    /// page, page `n` at `page/n/`. Absent when they fit on one page.
    pub pagination: Option<PaginationView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SourcePage<'v> {
    pub site: SiteView,
    pub page: PageMeta,
    pub doc: DocSummaryView,
    /// The source text with `<mark data-annotation>` highlights, `data-entity` mentions and
    /// notes beside their passages.
    pub body_html: String,
    pub entities: Vec<EntityRefView>,
    pub themes: Vec<ThemeRefView>,
    pub annotations: Vec<AnnotationRef<'v>>,
    /// Where each theme's annotations fall along the text; none without annotations.
    pub theme_strips: Option<ThemeStripsView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntityGroupView {
    pub kind: &'static str,
    /// Plural heading, such as `Organizations`.
    pub label: &'static str,
    pub entities: Vec<EntityRefView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntitiesPage {
    pub site: SiteView,
    pub page: PageMeta,
    pub groups: Vec<EntityGroupView>,
    /// The most-mentioned entities and the paragraphs they share; none when no two entities
    /// share one.
    pub network: Option<NetworkChartView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MentionView {
    /// The sentence around the mention, in three parts.
    pub before: String,
    pub text: String,
    pub after: String,
    /// Link to the mention in its source page.
    pub url: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MentionGroupView {
    pub doc: DocRef,
    pub mentions: Vec<MentionView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntityView {
    pub slug: String,
    pub name: String,
    pub kind: &'static str,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub description_html: String,
    pub n_mentions: usize,
    /// Sources that mention the entity, over all pages of a paginated entity page.
    pub n_mention_sources: usize,
    /// Annotations tagged with the entity, over all pages.
    pub n_annotations: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntityPage<'v> {
    pub site: SiteView,
    pub page: PageMeta,
    pub entity: EntityView,
    pub mentions: Vec<MentionGroupView>,
    pub annotations: Vec<AnnotationRef<'v>>,
    pub related: Vec<EntityRefView>,
    pub themes: Vec<ThemeRefView>,
    /// The entity and its most related entities; none without related entities. `related` is
    /// its text alternative.
    pub neighbourhood: Option<ChartView>,
    /// Set when the mentions and annotations run over several pages: this page holds the
    /// `number`-th slice of each.
    pub pagination: Option<PaginationView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThemeSummaryView {
    pub slug: String,
    pub title: String,
    pub url: String,
    pub description_html: String,
    pub n_annotations: usize,
    /// How many sources have an annotation under the theme.
    pub n_sources: usize,
    /// The sources with the most annotations under the theme, at most ten, most first (then
    /// in the order of `content/sources/`); the theme's page lists them all.
    pub sources: Vec<DocRef>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThemesPage {
    pub site: SiteView,
    pub page: PageMeta,
    pub themes: Vec<ThemeSummaryView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnnotationGroupView<'v> {
    pub doc: DocRef,
    pub annotations: Vec<AnnotationRef<'v>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThemePage<'v> {
    pub site: SiteView,
    pub page: PageMeta,
    /// A [`ThemeSummaryView`], made once for all the pages of the theme.
    pub theme: &'v tera::Value,
    /// This page's slice of the theme's annotations, by source.
    pub groups: Vec<AnnotationGroupView<'v>>,
    pub entities: Vec<EntityRefView>,
    pub pagination: Option<PaginationView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AnnotationsPage<'v> {
    pub site: SiteView,
    pub page: PageMeta,
    /// This page's slice of all annotations, by source.
    pub groups: Vec<AnnotationGroupView<'v>>,
    pub pagination: Option<PaginationView>,
}

/// Links between the pages of a long list. The first page keeps the list's own URL
/// (`annotations/`); page `n` lives at `page/n/` under it (`annotations/page/2/`). Absent when
/// the list fits on one page.
#[derive(Clone, Debug, Serialize)]
pub struct PaginationView {
    /// This page's number, from 1.
    pub number: usize,
    pub n_pages: usize,
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
    /// The pages a pager links to, in order: the first and the last, this one and the two
    /// on either side of it (and a page between them where only one is left
    /// out). A list of 400 pages gives each page at most 9 links, not 400.
    pub pages: Vec<PageLinkView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PageLinkView {
    pub number: usize,
    pub url: String,
    pub current: bool,
    /// Pages are left out between the link before this one and this one (show `…`).
    pub gap_before: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct NotFoundPage {
    pub site: SiteView,
    pub page: PageMeta,
}

/// One value of the search page's `type` filter, such as `annotation` labelled `Annotations`.
#[derive(Clone, Debug, Serialize)]
pub struct SearchTypeView {
    pub value: &'static str,
    pub label: &'static str,
}

/// The search page (`search.html`, optional in a site theme). Searching runs in the browser on
/// gloss's sharded index under `bundle_path` (docs/search.md); the filter values are listed here so the form is
/// complete before any script runs. Filter values are theme titles and entity names.
#[derive(Clone, Debug, Serialize)]
pub struct SearchPage {
    pub site: SiteView,
    pub page: PageMeta,
    /// Folder of the search index under the base path, with trailing slash
    /// (`/briefing/search-index/`): the page's script fetches the index's files from it.
    pub bundle_path: String,
    pub types: Vec<SearchTypeView>,
    /// In briefing order.
    pub themes: Vec<ThemeRefView>,
    /// By kind, then by name.
    pub entity_groups: Vec<EntityGroupView>,
}

/// The context of `note.html`, rendered once per annotation into the source page.
#[derive(Clone, Debug, Serialize)]
pub struct NoteContext<'v> {
    /// The page's [`SiteView`], as a template value made once for all the notes of the page.
    pub site: &'v tera::Value,
    pub annotation: AnnotationRef<'v>,
}

/// A chart drawn at build time as inline SVG (see `render::charts`). The SVG carries no
/// colours: its shapes have `chart-*` classes (and `kind-*` or `chart-kind-*` classes) for the
/// site theme's stylesheet to colour, so dark mode and print work. Ids inside are unique per page.
#[derive(Clone, Debug, Serialize)]
pub struct ChartView {
    /// The `<svg>` element, safe to insert unescaped.
    pub svg: String,
    /// What the chart shows, in one or two sentences, for its caption.
    pub caption: String,
    /// The entity kinds whose colours the chart uses, for its key; empty when it uses none.
    pub kinds: Vec<ChartKindView>,
}

/// An entity kind shown in a chart, for its key.
#[derive(Clone, Debug, Serialize)]
pub struct ChartKindView {
    pub kind: &'static str,
    /// Plural label, such as `Organizations`.
    pub label: &'static str,
}

/// One entity in the network chart, with its neighbours in the chart (its text alternative).
#[derive(Clone, Debug, Serialize)]
pub struct NetworkNodeView {
    /// `count` is the entity's mentions.
    pub entity: EntityRefView,
    /// Entities of the chart named in the same paragraphs; `count` is the paragraphs shared.
    /// Most first.
    pub neighbours: Vec<EntityRefView>,
}

/// The network of the most-mentioned entities, on the entities page.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkChartView {
    pub chart: ChartView,
    /// The entities drawn, in the chart's order.
    pub nodes: Vec<NetworkNodeView>,
}

/// A day on which some of a source's annotations are dated.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineDayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Human form, such as `5 March 2024`.
    pub date_display: String,
    pub n_annotations: usize,
}

/// One source's row in the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineLaneView {
    pub doc: DocRef,
    /// The source's publication date, `YYYY-MM-DD`, if known.
    pub date: Option<String>,
    pub date_display: Option<String>,
    /// Days with dated annotations, earliest first.
    pub days: Vec<TimelineDayView>,
}

/// The timeline of sources and dated annotations, on the front page. Sources with nothing
/// dated have no lane.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineChartView {
    pub chart: ChartView,
    pub lanes: Vec<TimelineLaneView>,
}

/// One theme's strip on a source page: where its annotations fall along the text.
#[derive(Clone, Debug, Serialize)]
pub struct ThemeStripView {
    /// The theme's title; `No theme` for annotations filed under none, or `All annotations` when
    /// no annotation of the source has a theme.
    pub title: String,
    /// The theme page; none for the strip of annotations without a theme.
    pub url: Option<String>,
    /// Annotations in the strip.
    pub count: usize,
    /// The strip: each mark links to its passage (`#ann-<id>`) and is named for its note.
    pub svg: String,
}

/// Where each theme's annotations fall in a source, near the top of its page.
#[derive(Clone, Debug, Serialize)]
pub struct ThemeStripsView {
    pub caption: String,
    /// In briefing order of themes, then `No theme`.
    pub strips: Vec<ThemeStripView>,
}
