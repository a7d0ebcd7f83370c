//! The repository's own briefing (`site.toml`, `content/`, `themes/`) builds without errors and
//! its site holds together: every annotation highlighted where `/annotations/` says, every
//! internal link and fragment resolving, at the root and under a base path.

use crate::highlights::{assert_every_quote_highlighted, listed_annotations};
use crate::html;
use crate::links::assert_internal_links_resolve;
use crate::site_test::SiteTest;

#[track_caller]
fn build_seed(args: &[&str]) -> SiteTest {
    let site = SiteTest::seed();
    let mut all_args = vec!["build"];
    all_args.extend_from_slice(args);
    let run = site.gloss(&all_args).assert_success();
    run.assert_no_panic();
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("error"))
        .collect();
    assert!(errors.is_empty(), "the seed has no errors:\n{}", run.stderr);
    site
}

#[test]
fn seed_briefing_checks_without_errors() {
    let site = SiteTest::seed();
    let run = site.gloss(&["check"]).assert_success();
    assert!(
        !run.stderr.lines().any(|line| line.starts_with("error")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("no errors"), "{}", run.stdout);
}

#[test]
fn every_listed_annotation_is_highlighted_once_in_its_source() {
    let site = build_seed(&[]);
    let listed = listed_annotations(&site);
    assert!(!listed.is_empty(), "the seed has annotations");
    for (id, slug) in &listed {
        let document = html::parse(&site.page(&format!("sources/{slug}/")));
        let highlights = html::highlights(&document);
        let highlight = highlights
            .get(id)
            .unwrap_or_else(|| panic!("`{id}` is highlighted on sources/{slug}/"));
        let anchor = format!("ann-{id}");
        assert_eq!(highlight.first_mark_id.as_deref(), Some(anchor.as_str()));
        assert_eq!(html::count_id(&document, &anchor), 1, "`{anchor}` once");
        assert!(!highlight.text.trim().is_empty(), "`{id}` marks some text");
    }
}

#[test]
fn every_authored_quote_is_highlighted() {
    let site = build_seed(&[]);
    assert_every_quote_highlighted(&site);
}

#[test]
fn every_internal_link_resolves() {
    let site = build_seed(&[]);
    assert_internal_links_resolve(&site, "/");
}

#[test]
fn every_internal_link_resolves_under_a_base_path() {
    let site = build_seed(&["--base-url", "https://example.github.io/briefing/"]);
    for (path, page) in site.output_pages() {
        for url in html::urls(&html::parse(&page)) {
            assert!(
                !url.starts_with('/') || url.starts_with("/briefing/"),
                "{path}: `{url}` honours the base path"
            );
        }
    }
    assert_internal_links_resolve(&site, "/briefing/");
}
