//! The check every good briefing passes: each annotation its editor wrote is highlighted on its
//! source's page, the text of its marks joined in document order reads as its quote, the first
//! mark alone carries `id="ann-ID"`, and `/annotations/` lists exactly the highlighted ones.
//!
//! The authored side is read from the briefing's own files (YAML and Markdown annotations,
//! source front matter for slugs and drafts) with a lenient parser of its own, so the check does
//! not rely on gloss's reading of them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::html::{self, fold};
use crate::site_test::{SiteTest, files_under};

#[derive(Deserialize)]
struct AnnotationFile {
    source: String,
    annotations: Vec<AnnotationItem>,
}

#[derive(Deserialize)]
struct AnnotationItem {
    quote: String,
    id: Option<String>,
}

#[derive(Deserialize)]
struct AnnotationFrontMatter {
    source: String,
    quote: String,
    id: Option<String>,
}

#[derive(Deserialize)]
struct SourceFrontMatter {
    slug: Option<String>,
    draft: Option<bool>,
}

/// One annotation as its editor wrote it.
#[derive(Debug)]
pub struct Authored {
    pub file: String,
    pub source: String,
    pub quote: String,
    pub id: Option<String>,
}

/// Every annotation under `content/annotations/`, in file order.
pub fn authored_annotations(root: &Path) -> Vec<Authored> {
    let mut authored = Vec::new();
    for (path, bytes) in files_under(&root.join("content").join("annotations")) {
        let text = text_of(&path, &bytes);
        let file = format!("content/annotations/{path}");
        if path.ends_with(".yaml") || path.ends_with(".yml") {
            let parsed: AnnotationFile = serde_saphyr::from_str(&text)
                .unwrap_or_else(|err| panic!("parsing {file} in the test: {err}"));
            for item in parsed.annotations {
                authored.push(Authored {
                    file: file.clone(),
                    source: parsed.source.clone(),
                    quote: item.quote,
                    id: item.id,
                });
            }
        } else if path.ends_with(".md") {
            let parsed: AnnotationFrontMatter = serde_saphyr::from_str(front_matter(&text))
                .unwrap_or_else(|err| panic!("parsing {file} in the test: {err}"));
            authored.push(Authored {
                file,
                source: parsed.source,
                quote: parsed.quote,
                id: parsed.id,
            });
        }
    }
    authored
}

/// Source slugs and whether each is a draft.
fn sources(root: &Path) -> BTreeMap<String, bool> {
    let mut sources = BTreeMap::new();
    for (path, bytes) in files_under(&root.join("content").join("sources")) {
        let Some(stem) = path.strip_suffix(".md") else {
            continue;
        };
        let text = text_of(&path, &bytes);
        let parsed: SourceFrontMatter = serde_saphyr::from_str(front_matter(&text))
            .unwrap_or_else(|err| panic!("parsing source {path} in the test: {err}"));
        let slug = parsed.slug.unwrap_or_else(|| stem.to_string());
        sources.insert(slug, parsed.draft.unwrap_or(false));
    }
    sources
}

fn text_of(path: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec())
        .unwrap_or_else(|err| panic!("{path} is not UTF-8: {err}"));
    text.trim_start_matches('\u{feff}').replace("\r\n", "\n")
}

/// The YAML between the first two `---` lines.
#[track_caller]
fn front_matter(text: &str) -> &str {
    let rest = text
        .strip_prefix("---\n")
        .expect("a Markdown file with front matter");
    let end = rest.find("\n---").expect("front matter is closed");
    &rest[..end + 1]
}

/// Asserts the highlighting contract for every annotation of the briefing built in `public/`.
#[track_caller]
pub fn assert_every_quote_highlighted(site: &SiteTest) {
    let authored = authored_annotations(site.root());
    let sources = sources(site.root());
    let mut highlighted: BTreeMap<String, String> = BTreeMap::new();
    for (slug, draft) in &sources {
        let page = format!("sources/{slug}/");
        if *draft {
            assert!(
                !site.output_dir().join(&page).exists(),
                "draft source `{slug}` has a page"
            );
            continue;
        }
        let document = html::parse(&site.page(&page));
        let highlights = html::highlights(&document);
        for (id, highlight) in &highlights {
            let anchor = format!("ann-{id}");
            assert_eq!(
                highlight.first_mark_id.as_deref(),
                Some(anchor.as_str()),
                "the first mark of `{id}` on {page} carries its id"
            );
            assert!(
                highlight.later_mark_ids.is_empty(),
                "only the first mark of `{id}` on {page} has an id, not {:?}",
                highlight.later_mark_ids
            );
            assert_eq!(
                html::count_id(&document, &anchor),
                1,
                "`{anchor}` is on {page} exactly once"
            );
            highlighted.insert(id.clone(), slug.clone());
        }
        let mut expected: Vec<String> = authored
            .iter()
            .filter(|a| &a.source == slug)
            .map(|a| fold(&a.quote))
            .collect();
        expected.sort();
        let mut actual: Vec<String> = highlights.values().map(|h| fold(&h.text)).collect();
        actual.sort();
        assert_eq!(
            actual, expected,
            "the highlighted passages on {page} read as the quotes annotating `{slug}`"
        );
        for annotation in authored.iter().filter(|a| &a.source == slug) {
            if let Some(id) = &annotation.id {
                let highlight = highlights.get(id).unwrap_or_else(|| {
                    panic!("annotation `{id}` ({}) is highlighted", annotation.file)
                });
                assert_eq!(
                    fold(&highlight.text),
                    fold(&annotation.quote),
                    "annotation `{id}` highlights its own quote"
                );
            }
        }
    }
    for annotation in &authored {
        assert!(
            sources.contains_key(&annotation.source),
            "{} annotates a source that exists",
            annotation.file
        );
    }
    assert_eq!(
        listed_annotations(site),
        highlighted,
        "/annotations/ lists every highlighted annotation, linked to its source"
    );
}

/// The annotations `/annotations/` links to (`…/sources/<slug>/#ann-<id>`): id → source slug.
pub fn listed_annotations(site: &SiteTest) -> BTreeMap<String, String> {
    let document = html::parse(&site.page("annotations/"));
    let mut listed = BTreeMap::new();
    for url in html::urls(&document) {
        let Some((path, id)) = url.split_once("#ann-") else {
            continue;
        };
        let slug = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        listed.insert(id.to_string(), slug);
    }
    listed
}
