//! The site `gloss serve` makes page by page (`render::live::LiveSite`) is the site `gloss build`
//! writes: the same paths, the same bytes, the same page count.

use gloss::config::{self, Overrides};
use gloss::diagnostics::Diagnostics;
use gloss::files::Files;
use gloss::render::live::{InternalLinks, LiveSite};
use gloss::render::search::BUNDLE_DIR;
use gloss::render::{Inputs, compile_templates};

use crate::site_test::{SiteTest, fixtures_dir};

/// Loads and resolves the briefing at `root` as `gloss serve` does, lists its site, and hands
/// `check` the inputs, the site and the diagnostics so far (with the table they point into).
fn with_live_site<T>(
    root: &std::path::Path,
    check: impl FnOnce(Inputs<'_, '_>, &LiveSite, Diagnostics, &Files) -> T,
) -> T {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root, &Overrides::default(), &mut files, &mut diagnostics)
        .expect("site.toml is read")
        .expect("site.toml is valid");
    let sources = gloss::source::load(&config, files, &mut diagnostics).expect("content loads");
    let briefing = gloss::model::build(&sources, &mut diagnostics);
    let tera = compile_templates(&sources.site_theme).expect("templates compile");
    let inputs = Inputs {
        config: &config,
        sources: &sources,
        briefing: &briefing,
        tera: &tera,
    };
    let live = LiveSite::new(inputs).expect("the site is listed");
    check(inputs, &live, diagnostics, &sources.files)
}

/// Builds the briefing whole, then makes every file again on demand, and compares.
fn assert_live_matches_build(site: &SiteTest) -> Vec<String> {
    let root = site.root();
    let built = gloss::build(root, &Overrides::default()).expect("the pipeline runs");
    let tree = built.tree.expect("the briefing builds without errors");
    with_live_site(root, |inputs, live, _, _| {
        let expected: Vec<&str> = tree
            .files
            .keys()
            .map(String::as_str)
            .filter(|path| !path.starts_with(BUNDLE_DIR))
            .collect();
        assert_eq!(live.paths().collect::<Vec<_>>(), expected);
        for path in expected {
            let bytes = live
                .file(inputs, path)
                .expect("renders")
                .expect("is listed");
            assert!(bytes == tree.files[path], "{path} differs from the build's");
        }
        assert_eq!(live.n_pages(), built.site.expect("built").n_pages);
        assert_eq!(live.file(inputs, "nowhere/index.html").expect("runs"), None);
        assert!(
            live.diagnostics(inputs, &InternalLinks::default())
                .is_empty()
        );
    });
    tree.files.into_keys().collect()
}

#[test]
fn every_file_of_the_seed_briefing_is_the_one_the_build_writes() {
    let _ = assert_live_matches_build(&SiteTest::seed());
}

#[test]
fn every_file_of_each_fixture_is_the_one_the_build_writes() {
    for group in ["build", "render"] {
        let mut fixtures: Vec<_> = std::fs::read_dir(fixtures_dir().join(group))
            .expect("fixtures are listed")
            .map(|entry| entry.expect("fixture").file_name())
            .collect();
        fixtures.sort();
        for fixture in fixtures {
            let fixture = format!("{group}/{}", fixture.to_string_lossy());
            let _ = assert_live_matches_build(&SiteTest::new(&fixture));
        }
    }
}

/// Highlighted code (which adds `syntax.css` to every page), a static file that replaces a
/// generated one, and lists long enough to paginate (the front page's sources too).
#[test]
fn highlighting_static_overrides_and_pagination_match_the_build() {
    let site = SiteTest::seed();
    site.edit("content/sources/microsoft-self-reliant-ai.md", |text| {
        format!("{text}\n```rust\nfn main() {{}}\n```\n")
    });
    site.write("static/robots.txt", "User-agent: *\nDisallow: /\n");
    let mut body = String::from("---\ntitle: Many lines\ndate: 2025-01-01\n---\n\n");
    let mut annotations = String::from("source: many-lines\nannotations:\n");
    for n in 0..250 {
        body.push_str(&format!("Line {n} of the list names Microsoft once.\n\n"));
        annotations.push_str(&format!(
            "  - quote: \"Line {n} of the list\"\n    entities: [microsoft]\n"
        ));
    }
    site.write("content/sources/many-lines.md", &body);
    for n in 0..50 {
        site.write(
            &format!("content/sources/short-{n:02}.md"),
            &format!("---\ntitle: Short {n}\n---\n\nA short source.\n"),
        );
    }
    site.write("content/annotations/many-lines.yaml", &annotations);
    let paths = assert_live_matches_build(&site);
    for path in [
        "syntax.css",
        "robots.txt",
        "annotations/page/2/index.html",
        "entities/microsoft/page/3/index.html",
        "page/2/index.html",
    ] {
        assert!(paths.iter().any(|p| p == path), "the build made no {path}");
    }
}

/// The live site reports the broken `@/` links a build reports, wherever they are written,
/// even spelled with a character reference, in a briefing that otherwise has no internal link
/// (where the live site skips the check when nothing could be one).
#[test]
fn broken_internal_links_are_found_as_the_build_finds_them() {
    let note = "content/annotations/harbour-report.yaml";
    let cases = [
        ("no link", note, None),
        ("a note", note, Some("[this](@/sources/nowhere/)")),
        (
            "a referenced note",
            note,
            Some("[this](&#64;/sources/nowhere/)"),
        ),
        (
            "a source",
            "content/sources/harbour-report.md",
            Some("[this](@/sources/nowhere/)"),
        ),
        (
            "an entity",
            "content/entities/harbour-authority.md",
            Some("[this](@/sources/nowhere/)"),
        ),
    ];
    for (place, file, link) in cases {
        let site = SiteTest::new("build/minimal");
        site.edit("content/_index.md", |text| {
            text.replace("[one source](@/sources/harbour-report/)", "one source")
        });
        if let Some(link) = link {
            site.edit(file, |text| {
                if file == note {
                    text.replacen(
                        "The tender was published in January.",
                        &format!("See {link}."),
                        1,
                    )
                } else {
                    format!("{text}\nSee {link}.\n")
                }
            });
        }
        let root = site.root();
        let built = gloss::build(root, &Overrides::default()).expect("the pipeline runs");
        let expected: Vec<String> = built
            .diagnostics
            .sorted(&built.files)
            .into_iter()
            .map(|d| gloss::diagnostics::render_short(d, &built.files))
            .collect();
        assert_eq!(
            expected.iter().any(|m| m.contains("sources/nowhere")),
            link.is_some(),
            "{place}: {expected:?}"
        );
        let found = with_live_site(root, |inputs, live, mut diagnostics, files| {
            diagnostics.extend(live.diagnostics(inputs, &InternalLinks::default()));
            diagnostics
                .sorted(files)
                .into_iter()
                .map(|d| gloss::diagnostics::render_short(d, files))
                .collect::<Vec<String>>()
        });
        assert_eq!(found, expected, "{place}");
    }
}
