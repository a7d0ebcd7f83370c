//! How a source's HTML shows its annotations and entities: marks across formatting and blocks,
//! repeated text told apart by prefix and suffix, typographic variants, overlaps, entity
//! aliases on word boundaries, Markdown annotations, and sanitising of editor Markdown.

use scraper::{ElementRef, Html};

use crate::highlights::assert_every_quote_highlighted;
use crate::html::{self, select, text};
use crate::links::assert_internal_links_resolve;
use crate::site_test::SiteTest;

/// The marks of one annotation, in document order.
fn marks<'a>(document: &'a Html, annotation: &str) -> Vec<ElementRef<'a>> {
    select(document, &format!("mark[data-annotation=\"{annotation}\"]"))
}

/// The nearest enclosing element named `name`, if any.
fn enclosing<'a>(element: ElementRef<'a>, name: &str) -> Option<ElementRef<'a>> {
    element
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|ancestor| ancestor.value().name() == name)
}

#[test]
fn formatting_fixture_highlights_every_quote() {
    let site = SiteTest::new("render/formatting");
    site.build();
    assert_every_quote_highlighted(&site);
    insta::assert_snapshot!(site.main_html("sources/council-minutes/"));
}

#[test]
fn quote_crosses_emphasis_links_and_code_spans() {
    let site = SiteTest::new("render/formatting");
    site.build();
    let document = html::parse(&site.page("sources/council-minutes/"));
    // The text of the annotation's marks that sit inside an `element`.
    let inside = |annotation: &str, element: &str| {
        marks(&document, annotation)
            .into_iter()
            .filter(|mark| enclosing(*mark, element).is_some())
            .map(text)
            .collect::<Vec<_>>()
    };
    assert_eq!(inside("across-emphasis", "em"), ["approved the plan"]);
    assert_eq!(inside("across-link", "a"), ["full minutes"]);
    assert_eq!(
        marks(&document, "across-link")
            .iter()
            .filter_map(|mark| enclosing(*mark, "a"))
            .filter_map(|link| link.attr("href"))
            .collect::<Vec<_>>(),
        ["https://example.com/minutes"],
        "the link keeps its target around the highlighted text"
    );
    assert_eq!(inside("across-code-span", "code"), ["make deploy"]);
    assert_eq!(inside("across-code-span", "strong"), ["new"]);
    assert_eq!(inside("inside-heading", "h1"), ["harbour", " council"]);
}

#[test]
fn quote_across_blocks_has_marks_in_each_block() {
    let site = SiteTest::new("render/formatting");
    site.build();
    let document = html::parse(&site.page("sources/council-minutes/"));
    for (annotation, block) in [
        ("across-paragraphs", "p"),
        ("across-list-items", "li"),
        ("across-blockquote", "p"),
    ] {
        let blocks: Vec<String> = marks(&document, annotation)
            .into_iter()
            .map(|mark| text(enclosing(mark, block).expect("the mark is inside a block")))
            .collect();
        assert!(
            blocks.len() >= 2 && blocks.windows(2).all(|pair| pair[0] != pair[1]),
            "`{annotation}` has a mark in each of several <{block}> blocks: {blocks:?}"
        );
    }
}

/// The text of the paragraph holding each mark of `annotation`.
fn paragraphs_of(document: &Html, annotation: &str) -> Vec<String> {
    marks(document, annotation)
        .into_iter()
        .map(|mark| text(enclosing(mark, "p").expect("the mark is in a paragraph")))
        .collect()
}

#[test]
fn prefix_picks_one_of_repeated_passages() {
    let site = SiteTest::new("render/repeated-text");
    site.build();
    let document = html::parse(&site.page("sources/weather-log/"));
    let paragraphs = paragraphs_of(&document, "picked-by-prefix");
    assert!(
        paragraphs.iter().all(|p| p.starts_with("On Tuesday")),
        "{paragraphs:?}"
    );
}

#[test]
fn suffix_picks_one_of_repeated_passages() {
    let site = SiteTest::new("render/repeated-text");
    site.build();
    let document = html::parse(&site.page("sources/weather-log/"));
    let paragraphs = paragraphs_of(&document, "picked-by-suffix");
    assert!(
        paragraphs.iter().all(|p| p.starts_with("On Wednesday")),
        "{paragraphs:?}"
    );
}

#[test]
fn prefix_and_suffix_together_pick_one_of_repeated_passages() {
    let site = SiteTest::new("render/repeated-text");
    site.build();
    let document = html::parse(&site.page("sources/weather-log/"));
    let paragraphs = paragraphs_of(&document, "picked-by-both");
    assert!(
        paragraphs.iter().all(|p| p.starts_with("On Monday")),
        "{paragraphs:?}"
    );
    assert_every_quote_highlighted(&site);
    insta::assert_snapshot!(site.main_html("sources/weather-log/"));
}

#[test]
fn typographic_variants_match_their_plain_spelling() {
    let site = SiteTest::new("render/typography");
    site.build();
    assert_every_quote_highlighted(&site);
    insta::assert_snapshot!(site.main_html("sources/typography/"));
}

#[test]
fn highlights_keep_the_source_spelling() {
    let site = SiteTest::new("render/typography");
    site.build();
    let document = html::parse(&site.page("sources/typography/"));
    let highlights = html::highlights(&document);
    let highlighted = |id: &str| highlights[id].text.clone();
    assert_eq!(
        highlighted("straight-for-curly"),
        "said \u{201c}we will rebuild\u{201d} and left \u{2014} quickly"
    );
    assert_eq!(
        highlighted("apostrophe-and-ellipsis"),
        "It\u{2019}s a long road\u{2026} but"
    );
    assert_eq!(highlighted("nbsp-as-space"), "10\u{a0}euros per\u{a0}day");
    assert_eq!(highlighted("nfc-for-nfd"), "The cafe\u{301} on the quay");
    assert_eq!(highlighted("nfd-for-nfc"), "na\u{ef}ve plan");
}

#[test]
fn overlapping_annotations_each_keep_their_whole_passage() {
    let site = SiteTest::new("render/overlapping");
    site.build();
    assert_every_quote_highlighted(&site);
    insta::assert_snapshot!(site.main_html("sources/budget-speech/"));
}

#[test]
fn nested_annotation_marks_sit_inside_the_enclosing_ones() {
    let site = SiteTest::new("render/overlapping");
    site.build();
    let document = html::parse(&site.page("sources/budget-speech/"));
    for inner in marks(&document, "tax-part") {
        let outer = inner
            .ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| a.attr("data-annotation") == Some("whole-promise"));
        assert!(
            outer.is_some(),
            "every piece of `tax-part` is inside `whole-promise`"
        );
    }
}

/// `(entity slug, text)` of every entity mention in a page's source body, in order.
fn mentions(document: &Html) -> Vec<(String, String)> {
    select(document, "main [data-entity]")
        .into_iter()
        .map(|mention| {
            (
                mention.attr("data-entity").unwrap_or_default().to_string(),
                text(mention),
            )
        })
        .collect()
}

#[test]
fn entity_alias_is_found_only_on_word_boundaries() {
    let site = SiteTest::new("render/entity-aliases");
    site.build();
    let document = html::parse(&site.page("sources/lab-news/"));
    let found = mentions(&document);
    let expected: Vec<(String, String)> = [
        ("mai", "Microsoft AI"),
        ("microsoft", "Microsoft"),
        ("mai", "MAI"),
        ("mai", "MAI"),
        ("microsoft", "Microsoft"),
        ("mai", "Microsoft AI"),
    ]
    .iter()
    .map(|(slug, text)| (slug.to_string(), text.to_string()))
    .collect();
    assert_eq!(
        found, expected,
        "`MAI` inside `MAINTAIN`/`MAIN` and lowercase `microsoft` are not mentions"
    );
    assert_every_quote_highlighted(&site);
    insta::assert_snapshot!(site.main_html("sources/lab-news/"));
}

#[test]
fn longest_entity_alias_wins() {
    let site = SiteTest::new("render/entity-aliases");
    site.build();
    let document = html::parse(&site.page("sources/lab-news/"));
    let first = mentions(&document).into_iter().next();
    assert_eq!(
        first,
        Some(("mai".to_string(), "Microsoft AI".to_string())),
        "`Microsoft AI` is one mention of MAI, not `Microsoft` followed by text"
    );
}

#[test]
fn every_entity_mention_has_its_own_id() {
    let site = SiteTest::new("render/entity-aliases");
    site.build();
    let document = html::parse(&site.page("sources/lab-news/"));
    let ids: Vec<&str> = select(&document, "main [data-entity]")
        .into_iter()
        .map(|mention| mention.attr("id").expect("a mention has an id"))
        .collect();
    for id in &ids {
        assert_eq!(html::count_id(&document, id), 1, "`{id}` is unique");
    }
    assert_internal_links_resolve(&site, "/");
}

#[test]
fn entity_mention_inside_a_link_is_not_a_nested_link() {
    let site = SiteTest::new("render/entity-aliases");
    site.build();
    let document = html::parse(&site.page("sources/lab-news/"));
    assert!(select(&document, "a a").is_empty(), "no link inside a link");
    let in_link: Vec<String> = select(
        &document,
        "a[href=\"https://example.com/blog\"] [data-entity]",
    )
    .into_iter()
    .map(text)
    .collect();
    assert_eq!(in_link, ["Microsoft AI"], "the mention is still marked");
}

#[test]
fn markdown_annotation_body_is_its_note() {
    let site = SiteTest::new("render/markdown-annotation");
    site.build();
    assert_every_quote_highlighted(&site);
    let document = html::parse(&site.page("sources/rail-plan/"));
    let note = select(&document, "#note-journey-time")
        .into_iter()
        .next()
        .expect("the note of the Markdown annotation is on the page");
    assert_eq!(
        html::select_in(note, "strong")
            .into_iter()
            .map(text)
            .collect::<Vec<_>>(),
        ["fifty"],
        "the body is rendered as Markdown"
    );
    assert!(
        html::select_in(note, "a[href=\"/entities/operator/\"]")
            .into_iter()
            .any(|link| text(link) == "the operator"),
        "its `@/` link is resolved"
    );
    insta::assert_snapshot!(site.main_html("sources/rail-plan/"));
}

#[test]
fn annotation_files_in_subfolders_and_with_yml_extension_are_read() {
    let site = SiteTest::new("render/markdown-annotation");
    site.build();
    let listed = crate::highlights::listed_annotations(&site);
    assert!(
        listed.contains_key("journey-time"),
        "content/annotations/desk/*.md"
    );
    assert!(
        listed
            .keys()
            .any(|id| id.starts_with("the-operator-claims")),
        "content/annotations/*.yml: {listed:?}"
    );
}

/// What the `unsafe-markdown` fixture smuggles into its Markdown, as CSS selectors: none of it
/// may reach a page. (The site theme may have scripts and forms of its own, so the check looks
/// for the fixture's payloads, each of which calls `alert(…)` or names `example.com/embed`,
/// `evil.example` or `display: none`.)
const SMUGGLED: &[&str] = &[
    "iframe",
    "frame",
    "object",
    "embed",
    "form[action*=\"evil.example\"]",
    "input[name=x]",
];

#[test]
fn unsafe_markdown_is_sanitised_on_every_page() {
    let site = SiteTest::new("render/unsafe-markdown");
    site.build();
    for (path, page) in site.output_pages() {
        let document = html::parse(&page);
        for css in SMUGGLED {
            let found: Vec<String> = select(&document, css)
                .into_iter()
                .map(|element| element.html())
                .collect();
            assert!(found.is_empty(), "{path}: `{css}` survived: {found:?}");
        }
        for element in select(&document, "script, style") {
            let code = text(element);
            assert!(
                !code.contains("alert(") && !code.contains("display: none"),
                "{path}: smuggled <{}> survived: {code}",
                element.value().name()
            );
        }
        for element in select(&document, "*") {
            for (name, value) in element.value().attrs() {
                assert!(
                    !value.contains("alert("),
                    "{path}: `{name}=\"{value}\"` on <{}> survived",
                    element.value().name()
                );
                if ["href", "src", "action", "formaction"].contains(&name) {
                    assert!(
                        !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                        "{path}: `{name}=\"{value}\"`"
                    );
                }
            }
        }
    }
}

#[test]
fn sanitising_keeps_the_annotated_text() {
    let site = SiteTest::new("render/unsafe-markdown");
    site.build();
    assert_every_quote_highlighted(&site);
}

#[test]
fn passage_across_a_soft_line_break_is_highlighted_without_a_gap() {
    let site = SiteTest::new("render/wrapped-lines");
    site.build();
    assert_every_quote_highlighted(&site);
}

#[test]
fn link_to_the_sources_folder_resolves_or_is_reported() {
    let site = SiteTest::new("build/minimal");
    site.edit("content/_index.md", |text| {
        format!("{text}\nSee [every source](@/sources/).\n")
    });
    let run = site.gloss(&["build"]);
    if run.code == Some(0) {
        assert_internal_links_resolve(&site, "/");
    } else {
        assert!(
            run.stderr.contains("error[broken-internal-link]"),
            "{}",
            run.stderr
        );
    }
}

/// Pages other than the source page leave out an annotation's link to the passage in the
/// original unless a template there names it: a site theme whose cards show it gets it.
#[test]
fn cards_of_a_theme_that_names_the_original_link_have_it() {
    let site = SiteTest::new("build/minimal");
    site.build().assert_success();
    assert!(
        site.page("sources/harbour-report/")
            .contains("href=\"https://example.com/harbour#:~:text="),
        "the note links to the passage in the original"
    );
    assert!(
        !site
            .page("entities/harbour-authority/")
            .contains("card-original")
    );
    site.edit("themes/default/templates/components.html", |t| {
        t.replacen(
            "<blockquote class=\"card-quote\">",
            "{% if annotation.original_url %}<a class=\"card-original\" href=\"{{ annotation.original_url }}\">original</a>{% endif %}<blockquote class=\"card-quote\">",
            1,
        )
    });
    site.build().assert_success();
    for page in ["entities/harbour-authority/", "themes/infrastructure/"] {
        assert!(
            site.page(page)
                .contains("class=\"card-original\" href=\"https://example.com/harbour#:~:text="),
            "{page}: the card shows the link to the original"
        );
    }
}

/// The minimal briefing with `n` more sources, `extra-00`, ..., dated a day apart from
/// 2025-01-01 (`extra-00` the oldest), each with one annotation under the theme
/// `infrastructure`.
fn minimal_with_sources(n: usize) -> SiteTest {
    let site = SiteTest::new("build/minimal");
    for i in 0..n {
        site.write(
            &format!("content/sources/extra-{i:02}.md"),
            &format!(
                "---\ntitle: \"Extra {i:02}\"\ndate: 2025-{:02}-{:02}\n---\n\nThe quay report number {i} is out.\n",
                1 + i / 28,
                1 + i % 28
            ),
        );
        site.write(
            &format!("content/annotations/extra-{i:02}.yaml"),
            &format!(
                "source: extra-{i:02}\nannotations:\n  - quote: \"report number {i} is out\"\n    themes: [infrastructure]\n"
            ),
        );
    }
    site
}

fn source_titles(page: &str) -> Vec<String> {
    let document = Html::parse_document(page);
    select(&document, "li.source-item h3 a")
        .into_iter()
        .map(|a| text(a))
        .collect()
}

#[test]
fn the_front_page_lists_fifty_sources_and_the_rest_on_numbered_pages() {
    let site = minimal_with_sources(60);
    site.build().assert_success();
    let first = site.page("");
    let second = site.page("page/2/");
    // Newest first: the minimal briefing's own source, of 2024, last.
    let expected: Vec<String> = (0..60)
        .rev()
        .map(|i| format!("Extra {i:02}"))
        .chain(["Harbour report".to_string()])
        .collect();
    assert_eq!(source_titles(&first), expected[..50]);
    assert_eq!(source_titles(&second), expected[50..]);
    assert!(!site.output_dir().join("page/3/index.html").exists());
    assert!(
        first.contains(r#"<a rel="next" href="/page/2/">"#),
        "{first}"
    );
    assert!(second.contains(r#"<a rel="prev" href="/">"#));
    assert!(second.contains("<title>Minimal briefing (page 2)"));
    // The timeline shows the page's sources; the body is on the first page only.
    for (page, n_lanes) in [(&first, 50), (&second, 11)] {
        let document = Html::parse_document(page);
        assert_eq!(select(&document, "text.chart-lane-label").len(), n_lanes);
        assert!(page.contains("The sources on this page."));
    }
    assert!(first.contains("summary-body"));
    assert!(!second.contains("summary-body"));
    assert!(
        site.read("public/sitemap.xml")
            .contains("https://example.org/page/2/")
    );
    assert_internal_links_resolve(&site, "/");
}

#[test]
fn the_themes_index_names_a_themes_ten_busiest_sources_and_links_to_all() {
    let site = minimal_with_sources(12);
    site.write(
        "content/annotations/extra-more.yaml",
        "source: extra-03\nannotations:\n  - quote: \"The quay report\"\n    themes: [infrastructure]\n",
    );
    site.build().assert_success();
    let index = site.page("themes/");
    let document = Html::parse_document(&index);
    let listed: Vec<String> = select(&document, ".theme-sources a")
        .into_iter()
        .map(|a| text(a))
        .collect();
    // extra-03 has two annotations; the rest one each, in the order of content/sources/.
    let mut expected = vec!["Extra 03".to_string()];
    expected.extend(
        (0..12)
            .filter(|&i| i != 3)
            .map(|i| format!("Extra {i:02}"))
            .take(9),
    );
    assert_eq!(listed, expected);
    assert!(
        index.contains("14 annotations in 13 sources, most in:"),
        "{index}"
    );
    assert!(index.contains(r#"<a href="/themes/infrastructure/">All 13 sources"#));
    assert!(
        site.page("themes/infrastructure/")
            .contains("14 annotations <span aria-hidden=\"true\">·</span> 13 sources")
    );
}
