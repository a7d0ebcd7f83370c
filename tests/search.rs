//! Search: the seed briefing, built for a sub-path, ships gloss's sharded search index under
//! `search-index/` (docs/search.md) and a search page whose form and script point at it under
//! the base path.
//! The browser side (typing a query, filters) is `tests/browser/search.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use scraper::{Html, Selector};

const BASE_URL: &str = "https://example.github.io/briefing/";
const BASE_PATH: &str = "/briefing/";
/// Where the search index is, under the site's root.
const INDEX_DIR: &str = "search-index";

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

fn json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|_| panic!("{} is written", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("{} is JSON", path.display()))
}

/// The search index as the search page's script reads it.
struct Index {
    dir: PathBuf,
    meta: serde_json::Value,
}

impl Index {
    fn open(site: &Path) -> Index {
        let dir = site.join(INDEX_DIR);
        let meta = json(&dir.join("meta.json"));
        Index { dir, meta }
    }

    fn keys(&self) -> Vec<String> {
        serde_json::from_value(self.meta["terms"]["keys"].clone()).expect("meta lists the keys")
    }

    /// The file name of a shard key, as `shardFileName` in search.js makes it.
    fn shard_path(&self, key: &str) -> PathBuf {
        let mut name = String::new();
        for c in key.chars() {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                name.push(c);
            } else {
                name.push_str(&format!("_{:06x}", u32::from(c)));
            }
        }
        self.dir.join("terms").join(format!("{name}.json"))
    }

    /// Record ids of the records that have exactly the term `word`.
    fn records_with(&self, word: &str) -> Vec<u64> {
        let keys = self.keys();
        let key = keys
            .iter()
            .filter(|key| word.starts_with(key.as_str()))
            .max_by_key(|key| key.len())
            .unwrap_or_else(|| panic!("a shard holds `{word}`"));
        let shard = json(&self.shard_path(key));
        let flat: Vec<u64> = serde_json::from_value(shard[word].clone())
            .unwrap_or_else(|_| panic!("`{word}` is in its shard"));
        let mut record = 0;
        flat.chunks(2)
            .map(|pair| {
                record += pair[0];
                record
            })
            .collect()
    }

    fn record(&self, id: u64) -> serde_json::Value {
        let per_chunk = self.meta["records_per_chunk"].as_u64().expect("chunk size");
        let chunk = json(&self.dir.join(format!("records/{}.json", id / per_chunk)));
        chunk[(id % per_chunk) as usize].clone()
    }
}

#[test]
fn seed_build_ships_a_sharded_search_index() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let index = Index::open(&out);
    assert_eq!(index.meta["format"], 1);
    let keys = index.keys();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(
            index.shard_path(key).is_file(),
            "the shard of `{key}` is written"
        );
    }
    let n_records = index.meta["records"].as_u64().expect("a record count");
    let per_chunk = index.meta["records_per_chunk"]
        .as_u64()
        .expect("chunk size");
    for chunk in 0..n_records.div_ceil(per_chunk) {
        assert!(index.dir.join(format!("records/{chunk}.json")).is_file());
    }
    for name in ["theme", "entity"] {
        let chunks = index.meta["filters"][name]["chunks"]
            .as_u64()
            .expect("a chunk count");
        for chunk in 0..chunks {
            assert!(
                index
                    .dir
                    .join(format!("filters/{name}/{chunk}.json"))
                    .is_file()
            );
        }
    }
    for (path, bytes) in files_under(&index.dir) {
        assert!(
            serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(),
            "{} is JSON",
            path.display()
        );
    }
    assert!(
        !out.join("pagefind").exists(),
        "no Pagefind bundle is shipped"
    );
}

#[test]
fn maia_is_found_in_the_source_the_entity_and_annotations() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let index = Index::open(&out);
    let records: Vec<serde_json::Value> = index
        .records_with("maia")
        .into_iter()
        .map(|id| index.record(id))
        .collect();
    let has = |kind: &str, url: &str| {
        records
            .iter()
            .any(|record| record["type"] == kind && record["url"] == url)
    };
    assert!(has("source", "/sources/microsoft-dual-track-strategy/"));
    assert!(has("entity", "/entities/maia/"));
    assert!(has(
        "annotation",
        "/sources/microsoft-dual-track-strategy/#ann-s2-maia-chip"
    ));
    let annotation = records
        .iter()
        .find(|record| record["url"] == "/sources/microsoft-dual-track-strategy/#ann-s2-maia-chip")
        .expect("the annotation is a result");
    assert!(
        annotation["text"]
            .as_str()
            .is_some_and(|text| text.contains("Maia")),
        "its text, from which the excerpt is cut, shows the word"
    );
    assert!(annotation["meta"]["source"].is_string());
}

#[test]
fn each_type_is_a_range_of_records_of_that_type() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let index = Index::open(&out);
    for kind in ["source", "entity", "theme", "annotation"] {
        let range: [u64; 2] =
            serde_json::from_value(index.meta["types"][kind].clone()).expect("a range per type");
        assert!(range[0] < range[1], "the seed has records of type {kind}");
        for id in range[0]..range[1] {
            assert_eq!(index.record(id)["type"], kind);
        }
    }
}

#[test]
fn search_page_points_at_the_index_under_the_base_path() {
    let temp = tempfile::tempdir().expect("temp dir");
    let out = temp.path().join("site");
    build_seed(&out);
    let page = Html::parse_document(
        &std::fs::read_to_string(out.join("search/index.html")).expect("search page is written"),
    );
    let form = "form#search-form";
    assert_eq!(
        attribute(&page, form, "data-index-path"),
        format!("{BASE_PATH}{INDEX_DIR}/")
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
        "same file names"
    );
    for (path, bytes) in &first {
        assert!(
            second[path] == *bytes,
            "{} is byte-identical",
            path.display()
        );
    }
}
