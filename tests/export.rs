//! Publishing outputs: the W3C Web Annotation export (`annotations.jsonld`), the Atom feed
//! (`atom.xml`), the GitHub Pages files (`sitemap.xml`, `robots.txt`, `.nojekyll`, `CNAME`) and
//! the links back to the passage in the original article.
//!
//! Each test builds a briefing (the repository's own, or a small one written here) in a
//! temporary folder through the library. The export is checked against the model's reader text
//! always, and against the W3C test-suite schemas when the site checks are installed
//! (`shared/checks/install.sh` beside the repository; `GLOSS_ANNOTATION_VALIDATOR` may name
//! another `validate-annotations.py`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use gloss::config::Overrides;
use gloss::diagnostics::Diagnostics;
use gloss::files::Files;
use serde_json::Value;
use tempfile::TempDir;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create folder");
    for entry in fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A briefing in a temporary folder.
struct Briefing {
    _dir: TempDir,
    root: PathBuf,
}

impl Briefing {
    /// The repository's own briefing.
    fn seed() -> Briefing {
        let briefing = Briefing::empty();
        fs::copy(
            repo_root().join("site.toml"),
            briefing.root.join("site.toml"),
        )
        .expect("copy site.toml");
        copy_dir(&repo_root().join("content"), &briefing.root.join("content"));
        copy_dir(&repo_root().join("themes"), &briefing.root.join("themes"));
        briefing
    }

    /// A one-source briefing whose source has a `url`, with the repository's site theme.
    fn with_original(site_toml_extra: &str) -> Briefing {
        let briefing = Briefing::empty();
        copy_dir(&repo_root().join("themes"), &briefing.root.join("themes"));
        briefing.write(
            "site.toml",
            &format!(
                "title = \"Ports & harbours\"\nbase_url = \"https://example.github.io/briefing/\"\n{site_toml_extra}"
            ),
        );
        briefing.write(
            "content/_index.md",
            "---\ntitle: \"Ports & harbours\"\n---\n\nSummary.\n",
        );
        briefing.write(
            "content/sources/harbour.md",
            "---\ntitle: \"Harbour <report>\"\ndate: 2024-03-05\nurl: \"https://news.example.com/harbour?id=7&lang=en\"\n---\n\n\
             The Harbour Authority will build a new quay next spring, a long-awaited step.\n\n\
             Work is expected to take two years. Costs are put at 40 million.\n",
        );
        briefing.write(
            "content/entities/harbour-authority.md",
            "---\nname: \"Harbour Authority\"\nkind: organization\n---\n\nRuns the port.\n",
        );
        briefing.write(
            "content/themes/infrastructure.md",
            "---\ntitle: \"Infrastructure\"\n---\n\nQuays and roads.\n",
        );
        briefing.write(
            "content/annotations/harbour.yaml",
            "source: harbour\nannotations:\n\
             \x20 - id: quay\n\
             \x20   quote: \"new quay next spring, a long-awaited\"\n\
             \x20   kind: claim\n\
             \x20   status: supported\n\
             \x20   note: \"Confirmed; see [the costs](@/sources/harbour/#ann-costs) & <b>more</b>.\"\n\
             \x20   entities: [harbour-authority]\n\
             \x20   themes: [infrastructure]\n\
             \x20   author: Desk\n\
             \x20   date: 2024-04-01\n\
             \x20 - id: costs\n\
             \x20   quote: \"long-awaited step. Work is expected\"\n\
             \x20 - id: tagged\n\
             \x20   quote: \"Costs are put at 40 million.\"\n\
             \x20   themes: [infrastructure]\n",
        );
        briefing
    }

    fn empty() -> Briefing {
        let dir = tempfile::Builder::new()
            .prefix("gloss-export-")
            .tempdir()
            .expect("create a temporary folder");
        let root = dir.path().to_path_buf();
        Briefing { _dir: dir, root }
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.root.join(path);
        fs::create_dir_all(path.parent().expect("has a parent")).expect("create folder");
        fs::write(path, text).expect("write file");
    }

    /// Builds the site in memory; panics on any error diagnostic.
    fn build(&self, base_url: Option<&str>) -> Site {
        let overrides = Overrides {
            base_url: base_url.map(str::to_owned),
            ..Overrides::default()
        };
        let result = gloss::build(&self.root, &overrides).expect("the build runs");
        assert!(
            !result.diagnostics.has_errors(),
            "the briefing builds: {:#?}",
            result.diagnostics.into_vec()
        );
        let tree = result.tree.expect("a site when there are no errors");
        Site { files: tree.files }
    }

    /// The build's diagnostics rendered as editors see them (for a briefing that fails).
    fn build_errors(&self) -> String {
        let result = gloss::build(&self.root, &Overrides::default()).expect("the build runs");
        assert!(result.site.is_none(), "the build is refused");
        result
            .diagnostics
            .sorted(&result.files)
            .into_iter()
            .map(|d| gloss::diagnostics::render_short(d, &result.files))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every source's slug and reader text, from the model.
    fn reader_texts(&self) -> Vec<(String, String)> {
        let mut files = Files::default();
        let mut diagnostics = Diagnostics::default();
        let config = gloss::config::load(
            &self.root,
            &Overrides::default(),
            &mut files,
            &mut diagnostics,
        )
        .expect("read site.toml")
        .expect("valid site.toml");
        let sources = gloss::source::load(&config, files, &mut diagnostics).expect("load");
        let briefing = gloss::model::build(&sources, &mut diagnostics);
        briefing
            .docs
            .iter()
            .map(|doc| (doc.slug.clone(), doc.reader.text.clone()))
            .collect()
    }
}

struct Site {
    files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl Site {
    fn text(&self, path: &str) -> &str {
        let bytes = self
            .files
            .get(path)
            .unwrap_or_else(|| panic!("{path} is written"));
        std::str::from_utf8(bytes).expect("UTF-8")
    }

    fn json(&self, path: &str) -> Value {
        serde_json::from_str(self.text(path)).expect("valid JSON")
    }

    fn items(&self) -> Vec<Value> {
        self.json("annotations.jsonld")["first"]["items"]
            .as_array()
            .expect("first.items is an array")
            .clone()
    }
}

fn selector<'v>(item: &'v Value, kind: &str) -> &'v Value {
    item["target"]["selector"]
        .as_array()
        .expect("selectors are an array")
        .iter()
        .find(|s| s["type"] == kind)
        .unwrap_or_else(|| panic!("{} has a {kind}", item["id"]))
}

fn str_of<'v>(value: &'v Value, key: &str) -> &'v str {
    value[key].as_str().unwrap_or("")
}

#[test]
fn export_lists_every_annotation_with_consistent_selectors() {
    let briefing = Briefing::seed();
    let site = briefing.build(None);
    let collection = site.json("annotations.jsonld");
    assert_eq!(collection["@context"], "http://www.w3.org/ns/anno.jsonld");
    assert_eq!(collection["type"], "AnnotationCollection");
    assert_eq!(collection["first"]["type"], "AnnotationPage");
    let items = site.items();
    assert_eq!(collection["total"].as_u64(), Some(items.len() as u64));

    let readers = briefing.reader_texts();
    let mut expected_ids = BTreeSet::new();
    for (slug, _) in &readers {
        let page = site.text(&format!("sources/{slug}/index.html"));
        for id in page
            .split(" data-annotation=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            expected_ids.insert(format!("https://example.org/sources/{slug}/#ann-{id}"));
        }
    }
    let ids: BTreeSet<String> = items.iter().map(|i| str_of(i, "id").to_string()).collect();
    assert_eq!(ids, expected_ids, "one item per annotation, at its passage");

    for item in &items {
        assert_eq!(item["type"], "Annotation");
        let source = str_of(&item["target"], "source");
        let (slug, text) = readers
            .iter()
            .find(|(slug, _)| source == format!("https://example.org/sources/{slug}/"))
            .unwrap_or_else(|| panic!("{} targets a source page, not {source}", item["id"]));
        assert!(str_of(item, "id").starts_with(source), "{slug}");
        let chars: Vec<char> = text.chars().collect();
        let quote = selector(item, "TextQuoteSelector");
        let position = selector(item, "TextPositionSelector");
        let start = position["start"].as_u64().expect("start") as usize;
        let end = position["end"].as_u64().expect("end") as usize;
        assert!(start < end && end <= chars.len(), "{}", item["id"]);
        let at = |range: std::ops::Range<usize>| chars[range].iter().collect::<String>();
        assert_eq!(at(start..end), str_of(quote, "exact"), "{}", item["id"]);
        let prefix = str_of(quote, "prefix");
        let suffix = str_of(quote, "suffix");
        assert!(prefix.chars().count() <= 32 && suffix.chars().count() <= 32);
        assert_eq!(at(start - prefix.chars().count()..start), prefix);
        assert_eq!(at(end..end + suffix.chars().count()), suffix);
    }
}

#[test]
fn export_passes_the_w3c_web_annotation_schemas() {
    // The site checks live in `shared/checks/`, beside the repository (or where the variable says).
    let validator = std::env::var_os("GLOSS_ANNOTATION_VALIDATOR")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            repo_root().join("../shared/checks/validate-annotations.py"),
            PathBuf::from("/work/shared/checks/validate-annotations.py"),
        ])
        .find(|path| path.is_file())
        .unwrap_or_default();
    let checks_home = std::env::var_os("CHECKS_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/site-checks"))
        });
    let python = checks_home
        .map(|home| home.join("venv/bin/python"))
        .filter(|python| python.is_file());
    let (true, Some(python)) = (validator.is_file(), python) else {
        eprintln!("skipped: the W3C annotation validator is not installed");
        return;
    };
    for briefing in [Briefing::seed(), Briefing::with_original("")] {
        let site = briefing.build(None);
        let export = briefing.root.join("annotations.jsonld");
        fs::write(&export, site.text("annotations.jsonld")).expect("write the export");
        let output = Command::new(&python)
            .arg(&validator)
            .arg(&export)
            .output()
            .expect("run the validator");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("validate-annotations: OK"), "{stdout}");
    }
}

#[test]
fn export_carries_note_tags_author_and_dates() {
    let site = Briefing::with_original("").build(None);
    let items = site.items();
    let quay = items
        .iter()
        .find(|i| str_of(i, "id").ends_with("#ann-quay"))
        .expect("the quay annotation");
    assert_eq!(
        quay["id"],
        "https://example.github.io/briefing/sources/harbour/#ann-quay"
    );
    assert_eq!(quay["motivation"], "commenting");
    assert_eq!(quay["created"], "2024-04-01T00:00:00Z");
    assert_eq!(quay["creator"]["type"], "Person");
    assert_eq!(quay["creator"]["name"], "Desk");
    assert_eq!(
        quay["target"]["via"],
        "https://news.example.com/harbour?id=7&lang=en"
    );
    let bodies = quay["body"].as_array().expect("bodies");
    let purpose =
        |p: &str| -> Vec<&Value> { bodies.iter().filter(|b| b["purpose"] == p).collect() };
    let note = purpose("commenting")[0];
    assert_eq!(note["type"], "TextualBody");
    assert_eq!(note["format"], "text/markdown");
    assert!(
        str_of(note, "value")
            .contains("(https://example.github.io/briefing/sources/harbour/#ann-costs)"),
        "@/ links are absolute: {note}"
    );
    assert_eq!(
        purpose("identifying")[0]["source"],
        "https://example.github.io/briefing/entities/harbour-authority/"
    );
    assert_eq!(purpose("tagging")[0]["value"], "Infrastructure");

    let costs = items
        .iter()
        .find(|i| str_of(i, "id").ends_with("#ann-costs"))
        .expect("the costs annotation");
    assert!(costs.get("created").is_none(), "no date, no timestamp");
    assert!(costs.get("creator").is_none());
    assert_eq!(
        str_of(selector(costs, "TextQuoteSelector"), "exact"),
        "long-awaited step.\nWork is expected",
        "a passage across paragraphs keeps the reader text's break"
    );
    let tagged = items
        .iter()
        .find(|i| str_of(i, "id").ends_with("#ann-tagged"))
        .expect("the tagged annotation");
    assert_eq!(tagged["motivation"], "tagging");
}

#[test]
fn note_links_to_the_passage_in_the_original() {
    let site = Briefing::with_original("").build(None);
    let page = site.text("sources/harbour/index.html");
    assert!(
        page.contains(
            "href=\"https://news.example.com/harbour?id=7&amp;lang=en#:~:text=will%20build%20a-,new%20quay%20next%20spring%2C%20a%20long%2Dawaited,-step.\""
        ),
        "{page}"
    );
    assert!(
        page.contains("aria-label=\"Note 1: the passage in the original article\""),
        "the link has an accessible name"
    );
    assert!(
        page.contains("#:~:text=next%20spring%2C%20a-,long%2Dawaited%20step.,Work%20is%20expected,-to%20take%20two"),
        "a passage across paragraphs is a start and an end in their own paragraphs"
    );
}

#[test]
fn feed_has_an_entry_per_source_and_annotation_newest_first() {
    let site = Briefing::with_original("").build(None);
    let feed = site.text("atom.xml");
    assert!(feed.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""
    ));
    for required in [
        "<id>https://example.github.io/briefing/</id>",
        "<title>Ports &amp; harbours</title>",
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"https://example.github.io/briefing/atom.xml\"/>",
        "<link rel=\"alternate\" type=\"text/html\" href=\"https://example.github.io/briefing/\"/>",
        "<updated>2024-04-01T00:00:00Z</updated>",
    ] {
        assert!(feed.contains(required), "{required}\n{feed}");
    }
    let ids: Vec<&str> = feed
        .split("<entry>\n    <id>")
        .skip(1)
        .filter_map(|rest| rest.split("</id>").next())
        .collect();
    let base = "https://example.github.io/briefing/sources/harbour/";
    assert_eq!(
        ids,
        [
            format!("{base}#ann-quay"),
            format!("{base}#ann-costs"),
            format!("{base}#ann-tagged"),
            base.to_string(),
        ],
        "the dated annotation first; undated items take the newest date; the source's own date is oldest"
    );
    assert!(feed.contains("<title>Harbour &lt;report&gt;</title>"));
    assert!(
        feed.contains("&lt;b&gt;more&lt;/b&gt;"),
        "note HTML is escaped inside the feed"
    );
    if let Some(parsed) = python_parses_xml(feed) {
        assert!(parsed, "atom.xml is well-formed XML");
    }
}

/// `Some(well_formed)` when python3 is available to parse `xml`; `None` otherwise.
fn python_parses_xml(xml: &str) -> Option<bool> {
    use std::io::Write as _;
    let mut child = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; E.fromstring(sys.stdin.buffer.read())",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(xml.as_bytes())
        .ok()?;
    Some(child.wait().ok()?.success())
}

#[test]
fn pages_files_use_absolute_urls_under_the_base_path() {
    let site = Briefing::seed().build(Some("https://example.github.io/briefing/"));
    let sitemap = site.text("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.github.io/briefing/</loc>"));
    assert!(sitemap.contains(
        "<loc>https://example.github.io/briefing/sources/microsoft-self-reliant-ai/</loc>"
    ));
    assert!(!sitemap.contains("404"), "the not-found page is not listed");
    let pages = site
        .files
        .keys()
        .filter(|p| p.ends_with(".html") && *p != "404.html")
        .count();
    assert_eq!(
        sitemap.matches("<loc>").count(),
        pages,
        "every page is listed"
    );
    assert_eq!(
        site.text("robots.txt"),
        "User-agent: *\nAllow: /\n\nSitemap: https://example.github.io/briefing/sitemap.xml\n"
    );
    assert!(site.files.contains_key(".nojekyll"));
    assert!(
        !site.files.contains_key("CNAME"),
        "no custom domain by default"
    );
    assert!(site.text("index.html").contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/briefing/atom.xml\""
    ));
}

#[test]
fn cname_writes_the_custom_domain() {
    let site = Briefing::with_original("cname = \"Briefing.Example.org\"\n").build(None);
    assert_eq!(site.text("CNAME"), "briefing.example.org\n");
}

#[test]
fn cname_that_is_not_a_host_name_is_an_error() {
    let errors =
        Briefing::with_original("cname = \"https://briefing.example.org/\"\n").build_errors();
    assert!(errors.contains("is not a bare host name"), "{errors}");
}

#[test]
fn two_builds_are_byte_identical() {
    let briefing = Briefing::with_original("");
    let first = briefing.build(None);
    let second = briefing.build(None);
    assert!(
        first.files == second.files,
        "the same inputs give the same bytes"
    );
    let seed = Briefing::seed();
    assert!(seed.build(None).files == seed.build(None).files);
}
