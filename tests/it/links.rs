//! The check that a built site holds together: every link to the site itself (`href`, `src`,
//! `action` under the base path, or a bare `#fragment`) names a file of the output, and every
//! fragment is an `id` on the page it points at.

use std::collections::{BTreeMap, BTreeSet};

use crate::html;
use crate::site_test::{SiteTest, page_file};

/// One link that does not resolve: the page it is on, the URL and why.
pub type BrokenLink = (String, String, &'static str);

/// Every internal link of the site in `public/` that does not resolve, when the site lives
/// under `base_path` (such as `/` or `/briefing/`).
pub fn broken_internal_links(site: &SiteTest, base_path: &str) -> Vec<BrokenLink> {
    let pages = site.output_pages();
    let paths: BTreeSet<String> = site.output_paths().into_iter().collect();
    let ids: BTreeMap<&str, BTreeSet<String>> = pages
        .iter()
        .map(|(path, page)| (path.as_str(), html::ids(&html::parse(page))))
        .collect();
    let mut broken = Vec::new();
    for (page_path, page) in &pages {
        for url in html::urls(&html::parse(page)) {
            let problem = if let Some(fragment) = url.strip_prefix('#') {
                (!fragment.is_empty() && !ids[page_path.as_str()].contains(fragment))
                    .then_some("no element on this page has that id")
            } else if let Some(internal) = url.strip_prefix(base_path) {
                let (path, fragment) = match internal.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (internal, None),
                };
                let target = page_file(path);
                if !paths.contains(&target) {
                    Some("no such file in the output")
                } else if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                    let target_ids = ids.get(target.as_str());
                    (!target_ids.is_some_and(|ids| ids.contains(fragment)))
                        .then_some("no element on the target page has that id")
                } else {
                    None
                }
            } else if is_external(&url) {
                None
            } else if url.starts_with('/') {
                Some("outside the base path")
            } else {
                Some("relative or unknown kind of URL")
            };
            if let Some(problem) = problem {
                broken.push((page_path.clone(), url, problem));
            }
        }
    }
    broken
}

/// Links that leave the site (or carry their content, like `data:`), which this check skips.
fn is_external(url: &str) -> bool {
    ["https://", "http://", "//", "mailto:", "tel:", "data:"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
}

/// Asserts that every internal link of the site in `public/` resolves.
#[track_caller]
pub fn assert_internal_links_resolve(site: &SiteTest, base_path: &str) {
    let broken = broken_internal_links(site, base_path);
    assert!(
        broken.is_empty(),
        "links that do not resolve (page, url, problem):\n{}",
        broken
            .iter()
            .map(|(page, url, problem)| format!("  {page}: {url} ({problem})"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
