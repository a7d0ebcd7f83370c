//! Good briefings build: every page at its pretty URL, links under the base path, drafts left
//! out, line endings and byte-order marks of no consequence, annotation ids stable.

use std::collections::BTreeMap;

use crate::highlights::{assert_every_quote_highlighted, listed_annotations};
use crate::html;
use crate::links::assert_internal_links_resolve;
use crate::site_test::SiteTest;

#[test]
fn minimal_briefing_writes_every_page_at_a_pretty_url() {
    let site = SiteTest::new("build/minimal");
    site.build();
    let paths = site.output_paths();
    for page in [
        "index.html",
        "404.html",
        "sources/harbour-report/index.html",
        "entities/index.html",
        "entities/harbour-authority/index.html",
        "themes/index.html",
        "themes/infrastructure/index.html",
        "annotations/index.html",
    ] {
        assert!(paths.contains(&page.to_string()), "{page} is written");
    }
    for path in paths.iter().filter(|p| p.ends_with(".html")) {
        assert!(
            path == "404.html" || path.ends_with("/index.html") || path == "index.html",
            "{path} is a pretty URL (`<path>/index.html`)"
        );
    }
    // Content-hashed names (the search index's) would change with every wording change.
    let mut layout: Vec<String> = paths.iter().map(|path| redact_hashes(path)).collect();
    layout.dedup();
    insta::assert_snapshot!(layout.join("\n"));
}

/// `en_c49df65f3c.pf_meta` → `en_[HASH].pf_meta`: a run of 7 or more hex digits after `_`.
fn redact_hashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('_') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let hex = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        if hex >= 7 {
            out.push_str("[HASH]");
            rest = &rest[hex..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn hashed_file_names_are_redacted() {
    assert_eq!(
        redact_hashes("pagefind/pagefind.en_c49df65f3c.pf_meta"),
        "pagefind/pagefind.en_[HASH].pf_meta"
    );
    assert_eq!(
        redact_hashes("entities/harbour_authority/index.html"),
        "entities/harbour_authority/index.html"
    );
}

#[test]
fn minimal_briefing_source_page() {
    let site = SiteTest::new("build/minimal");
    site.build();
    assert_every_quote_highlighted(&site);
    insta::assert_snapshot!(site.main_html("sources/harbour-report/"));
}

#[test]
fn minimal_briefing_links_resolve() {
    let site = SiteTest::new("build/minimal");
    site.build();
    assert_internal_links_resolve(&site, "/");
}

#[test]
fn build_prints_a_summary_naming_the_output_folder() {
    let site = SiteTest::new("build/minimal");
    let run = site.build();
    assert!(
        run.stdout.starts_with("built ") && run.stdout.contains("[ROOT]"),
        "summary line: {}",
        run.stdout
    );
    assert_eq!(run.stderr, "", "a clean build prints nothing to stderr");
}

#[test]
fn front_page_renders_the_index_body_and_links_each_source() {
    let site = SiteTest::new("build/minimal");
    site.build();
    let document = html::parse(&site.page(""));
    let links_to_source = html::urls(&document)
        .into_iter()
        .filter(|url| url == "/sources/harbour-report/")
        .count();
    assert!(
        links_to_source >= 2,
        "the `@/` link in _index.md and the source list both point at the source"
    );
    assert!(
        !site.page("").contains("@/"),
        "`@/` links are resolved, not written as is"
    );
}

#[test]
fn entity_page_links_to_each_mention_of_the_entity() {
    let site = SiteTest::new("build/minimal");
    site.build();
    let source = html::parse(&site.page("sources/harbour-report/"));
    let mentions: Vec<String> = html::select(&source, "[data-entity=\"harbour-authority\"]")
        .into_iter()
        .map(|mention| {
            let id = mention.attr("id").expect("a mention has its own id");
            format!("/sources/harbour-report/#{id}")
        })
        .collect();
    assert!(!mentions.is_empty(), "the source mentions the entity");
    let entity_urls = html::urls(&html::parse(&site.page("entities/harbour-authority/")));
    for mention in &mentions {
        assert!(
            entity_urls.contains(mention),
            "the entity page links to {mention}"
        );
    }
}

#[test]
fn draft_sources_are_left_out() {
    let site = SiteTest::new("build/drafts");
    site.build();
    assert!(
        !site
            .output_paths()
            .iter()
            .any(|path| path.contains("unfinished-story")),
        "no page for the draft"
    );
    for (path, page) in site.output_pages() {
        assert!(
            !page.contains("unfinished-story") && !page.contains("Unfinished story"),
            "{path} neither links to nor names the draft"
        );
    }
    assert_eq!(
        listed_annotations(&site).values().collect::<Vec<_>>(),
        ["published-story"],
        "only the published source's annotation is listed"
    );
    assert_every_quote_highlighted(&site);
}

#[test]
fn base_url_path_prefixes_every_internal_link() {
    let site = SiteTest::new("build/minimal");
    site.gloss(&["build", "--base-url", "https://example.github.io/briefing/"])
        .assert_success();
    for (path, page) in site.output_pages() {
        for url in html::urls(&html::parse(&page)) {
            if url.starts_with('/') {
                assert!(
                    url.starts_with("/briefing/"),
                    "{path}: `{url}` starts with the base path"
                );
            }
        }
    }
    assert_internal_links_resolve(&site, "/briefing/");
    assert_every_quote_highlighted(&site);
}

#[test]
fn base_url_makes_canonical_links_absolute() {
    let site = SiteTest::new("build/minimal");
    site.gloss(&["build", "--base-url", "https://example.github.io/briefing/"])
        .assert_success();
    let document = html::parse(&site.page("sources/harbour-report/"));
    let canonical: Vec<&str> = html::select(&document, "link[rel=canonical]")
        .into_iter()
        .filter_map(|link| link.attr("href"))
        .collect();
    assert_eq!(
        canonical,
        ["https://example.github.io/briefing/sources/harbour-report/"]
    );
}

#[test]
fn base_url_in_site_toml_with_a_path_is_honoured() {
    let site = SiteTest::new("build/minimal");
    site.edit("site.toml", |text| {
        text.replace(
            "base_url = \"https://example.org/\"",
            "base_url = \"https://example.org/port\"",
        )
    });
    site.build();
    assert_internal_links_resolve(&site, "/port/");
}

#[test]
fn crlf_and_bom_files_build_like_their_lf_twin() {
    let lf = SiteTest::new("build/line-endings");
    lf.build();
    let crlf = SiteTest::new("build/line-endings");
    crlf.convert_to_crlf_with_bom();
    assert!(
        crlf.read("content/sources/ferry-timetable.md")
            .starts_with("\u{feff}---\r\n"),
        "the twin really has a byte-order mark and CRLF"
    );
    crlf.build();
    assert_eq!(
        lf.output_paths(),
        crlf.output_paths(),
        "same pages from both"
    );
    for page in lf.output_pages().keys() {
        assert_eq!(
            lf.main_html(page),
            crlf.main_html(page),
            "{page} has the same <main> from CRLF + BOM files"
        );
    }
    assert_every_quote_highlighted(&crlf);
}

#[test]
fn multi_line_values_and_every_file_kind_render() {
    let site = SiteTest::new("build/line-endings");
    site.build();
    assert_every_quote_highlighted(&site);
    assert_internal_links_resolve(&site, "/");
    insta::assert_snapshot!(site.main_html("sources/ferry-timetable/"));
}

/// Default ids of the annotations on a source page, by their passage.
fn default_ids(site: &SiteTest, page: &str, explicit: &[&str]) -> BTreeMap<String, String> {
    let document = html::parse(&site.page(page));
    html::highlights(&document)
        .into_iter()
        .filter(|(id, _)| !explicit.contains(&id.as_str()))
        .map(|(id, highlight)| (html::fold(&highlight.text), id))
        .collect()
}

#[test]
fn default_annotation_ids_survive_other_annotations_changing() {
    let site = SiteTest::new("build/line-endings");
    site.build();
    let page = "sources/ferry-timetable/";
    let before = default_ids(&site, page, &["council-approval"]);
    assert!(
        !before.is_empty(),
        "the fixture has annotations without an id"
    );

    // Remove the first annotation and add one before the others.
    site.edit("content/annotations/ferry-timetable.yaml", |text| {
        let start = text.find("  - id: council-approval").expect("first item");
        let end = text.find("  - quote:").expect("second item");
        format!(
            "{}  - quote: \"Summer timetable\"\n{}",
            &text[..start],
            &text[end..]
        )
    });
    site.build();
    let mut after = default_ids(&site, page, &["council-approval"]);
    assert!(
        after.remove("Summer timetable").is_some(),
        "the new annotation is highlighted"
    );
    assert_eq!(
        before, after,
        "the other annotations keep their default ids"
    );
}
