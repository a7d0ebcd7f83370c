//! Search: the seed briefing, built for a sub-path, ships a Pagefind bundle under `pagefind/` and
//! a search page whose form and script point at it under the base path.
//! The browser side (typing a query, filters) is `tests/browser/search.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use scraper::{Html, Selector};

const BASE_URL: &str = "https://example.github.io/briefing/";
const BASE_PATH: &str = "/briefing/";

/// Builds the repository's own briefing (the seed) into `out` for [`BASE_URL`].
fn build_seed(out: &Path) {
    let root = env!("CARGO_MANIFEST_DIR");
    let run = Command::new(env!("CARGO_BIN_EXE_gloss"))
        .args(["build", "--root", root, "--base-url", BASE_URL, "--output"])
        .arg(out)
        .output()
        .expect("gloss runs");
    assert!(
        run.status.success(),
        "gloss build succeeds: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("output folder is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("output file is readable");
                files.insert(
                    path.strip_prefix(dir).expect("under dir").to_path_buf(),
                    bytes,
                );
            }
        }
    }
    files
}

fn attribute(html: &Html, selector: &str, name: &str) -> String {
    let selector = Selector::parse(selector).expect("valid selector");
    html.select(&selector)
        .next()
        .unwrap_or_else(|| panic!("the search page has `{selector:?}`"))
        .value()
        .attr(name)
        .unwrap_or_else(|| panic!("`{name}` is set"))
        .to_string()
}

#[test]
fn seed_build_ships_the_pagefind_bundle() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let bundle = out.join("pagefind");
    for file in ["pagefind.js", "pagefind-worker.js", "pagefind-entry.json"] {
        assert!(bundle.join(file).is_file(), "pagefind/{file} is written");
    }
    let entry: serde_json::Value = serde_json::from_slice(
        &std::fs::read(bundle.join("pagefind-entry.json")).expect("entry is readable"),
    )
    .expect("entry is JSON");
    let english = &entry["languages"]["en"];
    let hash = english["hash"].as_str().expect("the `en` index has a hash");
    assert!(bundle.join(format!("pagefind.{hash}.pf_meta")).is_file());
    let wasm = english["wasm"].as_str().expect("`en` has stemming");
    assert!(bundle.join(format!("wasm.{wasm}.pagefind")).is_file());
    for (folder, extension) in [
        ("index", "pf_index"),
        ("filter", "pf_filter"),
        ("fragment", "pf_fragment"),
    ] {
        let chunks: Vec<_> = std::fs::read_dir(bundle.join(folder))
            .unwrap_or_else(|_| panic!("pagefind/{folder}/ is written"))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        assert!(
            !chunks.is_empty()
                && chunks
                    .iter()
                    .all(|p| p.extension().is_some_and(|e| e == extension)),
            "pagefind/{folder}/ holds .{extension} files"
        );
    }
    assert!(
        !bundle.join("pagefind-ui.js").exists(),
        "Pagefind's own UI is not shipped: the site theme has its own"
    );
}

#[test]
fn search_page_points_at_the_bundle_under_the_base_path() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let page = Html::parse_document(
        &std::fs::read_to_string(out.join("search/index.html")).expect("search page is written"),
    );
    let form = "form#search-form";
    assert_eq!(
        attribute(&page, form, "data-bundle-path"),
        format!("{BASE_PATH}pagefind/")
    );
    assert_eq!(attribute(&page, form, "data-base-path"), BASE_PATH);
    assert_eq!(
        attribute(&page, form, "action"),
        format!("{BASE_PATH}search/")
    );
    let script = attribute(&page, "script[type=module]", "src");
    assert_eq!(script, format!("{BASE_PATH}search.js"));
    assert!(out.join("search.js").is_file() && out.join("search.css").is_file());
    for (control, label) in [
        ("search-query", "Search for"),
        ("search-type", "Type"),
        ("search-theme", "Theme"),
        ("search-entity", "Entity"),
    ] {
        let selector = Selector::parse(&format!("label[for={control}]")).expect("valid selector");
        let text: String = page
            .select(&selector)
            .next()
            .unwrap_or_else(|| panic!("#{control} has a label"))
            .text()
            .collect();
        assert_eq!(text.trim(), label);
    }
    let noscript = Selector::parse("noscript").expect("valid selector");
    assert!(
        page.select(&noscript).next().is_some(),
        "the page says that search needs JavaScript"
    );
}

#[test]
fn every_page_links_to_search_in_the_header() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let link = Selector::parse(".site-nav a").expect("valid selector");
    for (path, bytes) in files_under(&out) {
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let page = Html::parse_document(&String::from_utf8_lossy(&bytes));
        assert!(
            page.select(&link)
                .any(|a| a.value().attr("href") == Some(&format!("{BASE_PATH}search/"))),
            "{} links to the search page",
            path.display()
        );
    }
}

#[test]
fn two_builds_give_byte_identical_search_files() {
    let temp = tempfile::tempdir().expect("temp dir");
    let first = temp.path().join("first");
    let second = temp.path().join("second");
    build_seed(&first);
    build_seed(&second);
    let first = files_under(&first);
    let second = files_under(&second);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>(),
        "same file names (Pagefind names chunks by content hash)"
    );
    for (path, bytes) in &first {
        assert!(
            second[path] == *bytes,
            "{} is byte-identical",
            path.display()
        );
    }
}
