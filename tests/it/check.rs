//! Broken briefings are rejected: every problem is reported in one run as `file:line:col` with a
//! snippet and help, the exit code is 1, nothing is written and the previous site survives.
//!
//! Each case in `tests/fixtures/check/<case>/` is a complete briefing with one kind of mistake
//! (`many-errors` has many). The driver first builds `build/minimal` so there is a previous site,
//! then swaps in the broken briefing and builds again.

use std::collections::BTreeSet;
use std::fs;

use crate::site_test::{Run, SiteTest};

/// Builds a good briefing, replaces it with `check/<case>`, builds again, and asserts what every
/// rejected build must do: exit 1 without a panic; each of `locations` named as `file:line:col`
/// (after `-->` for the problem, `:::` for related places); every error located; the previous
/// output byte for byte as it was; no other file written. Returns the diagnostics as shown.
#[track_caller]
fn assert_rejected(case: &str, locations: &[&str]) -> String {
    let site = SiteTest::new("build/minimal");
    site.build();
    let output_before = site.output_files();
    let entries_before = root_entries(&site);

    site.replace_briefing_with(&format!("check/{case}"));
    let run = site.gloss(&["build"]).assert_code(1);
    run.assert_no_panic();
    for location in locations {
        assert!(
            run.stderr.contains(&format!("--> {location}\n"))
                || run.stderr.contains(&format!("::: {location}\n")),
            "the diagnostics point at {location}:\n{}",
            run.stderr
        );
    }
    assert_every_error_is_located(&run);
    assert!(
        run.stdout.is_empty(),
        "nothing is reported as built:\n{}",
        run.stdout
    );
    assert!(
        site.output_files() == output_before,
        "the previous site is untouched"
    );
    assert_eq!(
        root_entries(&site),
        entries_before,
        "no staging or other folder is left beside the output"
    );
    run.stderr
}

/// The names directly in the briefing's folder.
pub(crate) fn root_entries(site: &SiteTest) -> BTreeSet<String> {
    fs::read_dir(site.root())
        .expect("read the briefing folder")
        .map(|entry| {
            entry
                .expect("read an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Every `error[code]: …` header is followed by `--> path:line:col` with numbers, and the
/// closing line counts the errors shown.
#[track_caller]
pub(crate) fn assert_every_error_is_located(run: &Run) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    let mut n_errors = 0;
    for (index, line) in lines.iter().enumerate() {
        if !line.starts_with("error[") {
            continue;
        }
        n_errors += 1;
        let location = lines
            .get(index + 1)
            .and_then(|next| next.trim_start().strip_prefix("--> "))
            .unwrap_or_else(|| panic!("`{line}` is followed by its location:\n{}", run.stderr));
        let mut parts = location.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse::<usize>().ok());
        let line_number = parts.next().and_then(|l| l.parse::<usize>().ok());
        let path = parts.next().unwrap_or_default();
        assert!(
            column.is_some_and(|c| c >= 1) && line_number.is_some_and(|l| l >= 1),
            "`{location}` has a line and column"
        );
        assert!(
            path == "site.toml" || path.starts_with("content/"),
            "`{location}` names a briefing file relative to its root"
        );
    }
    assert!(n_errors > 0, "at least one error is shown:\n{}", run.stderr);
    let summary = format!(
        "error: {n_errors} problem{} in the content; nothing was written",
        if n_errors == 1 { "" } else { "s" }
    );
    assert!(
        run.stderr.trim_end().ends_with(&summary),
        "the last line counts the {n_errors} errors shown:\n{}",
        run.stderr
    );
}

#[test]
fn quote_not_found_names_the_closest_text() {
    let stderr = assert_rejected(
        "quote-not-found",
        &[
            "content/annotations/harbour-report.yaml:8:12",
            "content/sources/harbour-report.md:6:23",
        ],
    );
    assert!(stderr.contains("error[quote-not-found]"));
    assert!(stderr.contains("closest text, line 6: \"will build a new quay next spring\""));
    insta::assert_snapshot!(stderr);
}

#[test]
fn quote_differing_only_in_case_is_not_found() {
    let site = SiteTest::new("build/minimal");
    site.edit("content/annotations/harbour-report.yaml", |text| {
        text.replace(
            "will build a new quay next spring",
            "Will Build a New Quay next spring",
        )
    });
    let run = site.gloss(&["check"]).assert_code(1);
    assert!(
        run.stderr.contains("error[quote-not-found]"),
        "{}",
        run.stderr
    );
}

#[test]
fn ambiguous_quote_lists_every_candidate_with_a_suggestion() {
    let stderr = assert_rejected(
        "quote-ambiguous",
        &[
            "content/annotations/harbour-report.yaml:8:12",
            "content/sources/harbour-report.md:8:1",
            "content/sources/harbour-report.md:8:30",
        ],
    );
    assert!(stderr.contains("error[quote-ambiguous]"));
    insta::assert_snapshot!(stderr);
}

/// The `prefix: "…"` or `suffix: "…"` lines suggested as ``add `…` `` in a diagnostic's help.
fn suggested_context(stderr: &str) -> Vec<String> {
    stderr
        .split("add `")
        .skip(1)
        .filter_map(|rest| rest.split('`').next())
        .filter(|suggestion| {
            suggestion.starts_with("prefix: ") || suggestion.starts_with("suffix: ")
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn ambiguous_quote_suggestions_single_out_each_candidate() {
    let site = SiteTest::new("check/quote-ambiguous");
    let run = site.gloss(&["check"]).assert_code(1);
    let suggestions = suggested_context(&run.stderr);
    let n_candidates = run.stderr.matches("match on line").count();
    assert!(n_candidates >= 2, "{}", run.stderr);
    assert_eq!(
        suggestions.len(),
        n_candidates,
        "one suggestion per candidate:\n{}",
        run.stderr
    );
    // One annotation per suggestion: each must now pick a different occurrence.
    site.edit("content/annotations/harbour-report.yaml", |text| {
        let start = text
            .find("  - id: busy-harbour")
            .expect("the ambiguous item");
        let items: String = suggestions
            .iter()
            .enumerate()
            .map(|(index, suggestion)| {
                format!(
                    "  - id: harbour-{index}\n    quote: \"The harbour was\"\n    {suggestion}\n"
                )
            })
            .collect();
        format!("{}{items}", &text[..start])
    });
    site.build();
    crate::highlights::assert_every_quote_highlighted(&site);
    // Two annotations on the same passage would nest their marks.
    let document = crate::html::parse(&site.page("sources/harbour-report/"));
    let nested = crate::html::select(
        &document,
        "mark[data-annotation^=harbour-] mark[data-annotation^=harbour-]",
    );
    assert!(nested.is_empty(), "the suggestions pick different places");
}

#[test]
fn prefix_that_rules_out_every_occurrence_lists_where_the_quote_is() {
    let stderr = assert_rejected(
        "context-rules-out-every-occurrence",
        &[
            "content/annotations/harbour-report.yaml:9:13",
            "content/sources/harbour-report.md:8:1",
            "content/sources/harbour-report.md:8:30",
        ],
    );
    assert!(stderr.contains("error[quote-not-found]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_source_slug_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-source",
        &["content/annotations/ferry-notice.yaml:1:9"],
    );
    assert!(stderr.contains("did you mean `ferry-notice`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_entity_slug_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-entity",
        &["content/annotations/harbour-report.yaml:9:16"],
    );
    assert!(stderr.contains("did you mean `harbour-authority`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_theme_slug_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-theme",
        &["content/annotations/harbour-report.yaml:9:14"],
    );
    assert!(stderr.contains("did you mean `infrastructure`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_key_in_an_annotation_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-key-in-annotation",
        &["content/annotations/harbour-report.yaml:9:5"],
    );
    assert!(stderr.contains("unknown key `notes`") && stderr.contains("did you mean `note`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_key_in_a_source_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-key-in-source",
        &["content/sources/ferry-notice.md:4:1"],
    );
    assert!(
        stderr.contains("unknown key `publsher`") && stderr.contains("did you mean `publisher`?")
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_key_in_an_entity_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-key-in-entity",
        &["content/entities/port-gazette.md:4:1"],
    );
    assert!(stderr.contains("unknown key `alias`") && stderr.contains("did you mean `aliases`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_key_in_site_toml_suggests_the_closest() {
    let stderr = assert_rejected("unknown-key-in-site-toml", &["site.toml:3:1"]);
    assert!(
        stderr.contains("unknown key `descripton`")
            && stderr.contains("did you mean `description`?")
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_key_in_a_link_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-key-in-link",
        &["content/annotations/ferry-notice.yaml:5:9"],
    );
    assert!(stderr.contains("unknown key `titel`") && stderr.contains("did you mean `title`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_top_level_key_in_an_annotation_file_suggests_the_closest() {
    let stderr = assert_rejected(
        "unknown-key-in-annotation-file",
        &["content/annotations/ferry-notice.yaml:2:1"],
    );
    assert!(
        stderr.contains("unknown key `annotation`")
            && stderr.contains("did you mean `annotations`?")
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn missing_quote_is_reported() {
    let stderr = assert_rejected(
        "missing-quote",
        &["content/annotations/harbour-report.yaml:8:5"],
    );
    assert!(stderr.contains("error[missing-field]") && stderr.contains("`quote`"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn missing_source_title_is_reported() {
    let stderr = assert_rejected(
        "missing-source-title",
        &["content/sources/ferry-notice.md:2:1"],
    );
    assert!(stderr.contains("error[missing-field]") && stderr.contains("`title`"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn missing_entity_name_is_reported() {
    let stderr = assert_rejected(
        "missing-entity-name",
        &["content/entities/port-gazette.md:2:1"],
    );
    assert!(stderr.contains("error[missing-field]") && stderr.contains("`name`"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn invalid_slug_is_reported_with_a_valid_one() {
    let stderr = assert_rejected("invalid-slug", &["content/sources/ferry-notice.md:4:7"]);
    assert!(stderr.contains("error[invalid-slug]") && stderr.contains("`ferry-notice`"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn file_name_that_is_not_a_slug_is_reported() {
    let stderr = assert_rejected(
        "invalid-file-name-slug",
        &["content/sources/Ferry Notice.md:1:1"],
    );
    assert!(stderr.contains("error[invalid-slug]") && stderr.contains("ferry-notice.md"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn slug_with_a_parent_folder_is_rejected() {
    let stderr = assert_rejected(
        "slug-with-parent-dir",
        &["content/sources/ferry-notice.md:4:7"],
    );
    assert!(stderr.contains("error[invalid-slug]") && stderr.contains("`../../escape`"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn duplicate_slug_points_at_both_sources() {
    let stderr = assert_rejected(
        "duplicate-slug",
        &[
            "content/sources/ferry.md:1:1",
            "content/sources/ferry-notice.md:4:7",
        ],
    );
    assert!(stderr.contains("error[duplicate-slug]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn duplicate_annotation_id_points_at_both() {
    let stderr = assert_rejected(
        "duplicate-annotation-id",
        &["content/annotations/harbour-report.yaml:7:9"],
    );
    assert!(stderr.contains("error[duplicate-id]") && stderr.contains("first used here"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn alias_claimed_by_two_entities_is_reported() {
    let stderr = assert_rejected(
        "duplicate-alias",
        &[
            "content/entities/port-gazette.md:4:11",
            "content/entities/harbour-authority.md:4:11",
        ],
    );
    assert!(stderr.contains("error[duplicate-alias]") && stderr.contains("`the Port`"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn impossible_date_is_reported() {
    let stderr = assert_rejected("bad-date", &["content/sources/ferry-notice.md:3:7"]);
    assert!(stderr.contains("`2024-04-31` is not a date"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_annotation_kind_suggests_the_closest() {
    let stderr = assert_rejected(
        "bad-kind",
        &["content/annotations/harbour-report.yaml:9:11"],
    );
    assert!(stderr.contains("error[invalid-value]") && stderr.contains("did you mean `claim`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unknown_claim_status_suggests_the_closest() {
    let stderr = assert_rejected(
        "bad-status",
        &["content/annotations/harbour-report.yaml:10:13"],
    );
    assert!(stderr.contains("error[invalid-value]") && stderr.contains("did you mean `disputed`?"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn status_on_a_non_claim_is_reported() {
    let stderr = assert_rejected(
        "status-without-claim",
        &["content/annotations/harbour-report.yaml:10:13"],
    );
    assert!(stderr.contains("error[status-without-claim]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn malformed_yaml_is_reported_where_it_breaks() {
    let stderr = assert_rejected(
        "malformed-yaml",
        &["content/annotations/ferry-notice.yaml:3:12"],
    );
    assert!(stderr.contains("error[yaml-syntax]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn unclosed_front_matter_is_reported() {
    let stderr = assert_rejected(
        "unclosed-front-matter",
        &["content/sources/ferry-notice.md:1:1"],
    );
    assert!(stderr.contains("error[front-matter]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn blank_quote_is_reported() {
    let stderr = assert_rejected(
        "empty-quote",
        &["content/annotations/harbour-report.yaml:8:12"],
    );
    assert!(stderr.contains("error[empty-quote]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn non_utf8_file_is_reported_at_the_first_bad_byte() {
    let stderr = assert_rejected("non-utf8-file", &["content/sources/ferry-notice.md:8:8"]);
    assert!(stderr.contains("error[invalid-file]"));
    insta::assert_snapshot!(stderr);
}

#[test]
fn every_error_across_files_is_reported_in_one_run() {
    let expected = [
        ("unknown-theme", "content/annotations/ferry-notice.md:4:10"),
        ("invalid-value", "content/annotations/ferry-notice.md:5:7"),
        ("yaml-syntax", "content/annotations/gazette.yaml:3:12"),
        (
            "quote-not-found",
            "content/annotations/harbour-report.yaml:8:12",
        ),
        (
            "unknown-entity",
            "content/annotations/harbour-report.yaml:11:16",
        ),
        (
            "status-without-claim",
            "content/annotations/harbour-report.yaml:15:13",
        ),
        (
            "duplicate-id",
            "content/annotations/harbour-report.yaml:16:9",
        ),
        ("invalid-value", "content/entities/port-gazette.md:3:7"),
        ("invalid-value", "content/sources/ferry-notice.md:3:7"),
        ("invalid-value", "content/sources/ferry-notice.md:4:6"),
        ("unknown-key", "content/themes/ferries.md:3:1"),
    ];
    let locations: Vec<&str> = expected.iter().map(|(_, location)| *location).collect();
    let stderr = assert_rejected("many-errors", &locations);
    // Each code is reported at its own place, in file order.
    let lines: Vec<&str> = stderr.lines().collect();
    let reported: Vec<(String, String)> = lines
        .windows(2)
        .filter_map(|pair| {
            let code = pair[0].strip_prefix("error[")?.split(']').next()?;
            let location = pair[1].trim_start().strip_prefix("--> ")?;
            Some((code.to_string(), location.to_string()))
        })
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(code, location)| (code.to_string(), location.to_string()))
        .collect();
    assert_eq!(reported, expected);
    insta::assert_snapshot!(stderr);
}

#[test]
fn check_reports_the_same_diagnostics_as_build() {
    let site = SiteTest::new("check/many-errors");
    let build = site.gloss(&["build"]).assert_code(1);
    let check = site.gloss(&["check"]).assert_code(1);
    assert_eq!(check.stderr, build.stderr);
}

#[test]
fn crlf_and_bom_files_report_the_same_lines_and_columns() {
    let lf = SiteTest::new("check/many-errors");
    let crlf = SiteTest::new("check/many-errors");
    crlf.convert_to_crlf_with_bom();
    let lf_run = lf.gloss(&["check"]).assert_code(1);
    let crlf_run = crlf.gloss(&["check"]).assert_code(1);
    assert_eq!(crlf_run.stderr, lf_run.stderr);
}

#[test]
fn annotation_on_a_source_with_a_front_matter_error_gets_no_unknown_source_error() {
    let stderr = assert_rejected(
        "annotation-on-a-broken-source",
        &["content/sources/ferry-notice.md:4:1"],
    );
    assert!(
        !stderr.contains("error[unknown-source]"),
        "the source exists; only its front matter is wrong:\n{stderr}"
    );
}

#[test]
fn theme_tagged_by_an_unanchored_annotation_is_not_called_unused() {
    let stderr = assert_rejected(
        "tags-of-an-unanchored-annotation",
        &["content/annotations/harbour-report.yaml:4:12"],
    );
    assert!(
        !stderr.contains("warning[unused-theme]"),
        "an annotation does tag the theme; it failed for another reason:\n{stderr}"
    );
}

/// `check` finds broken `@/` links without rendering pages; it must report exactly what `build`
/// reports, wherever the link is: a source body, a note, an entity's or a theme's description,
/// the front page.
#[test]
fn check_reports_the_broken_links_build_reports() {
    let site = SiteTest::new("build/minimal");
    let broken = |text: &str, target: &str| format!("{text}\n\nSee [this](@/{target}/).\n");
    site.edit("content/sources/harbour-report.md", |t| {
        broken(t, "sources/gone")
    });
    site.edit("content/entities/harbour-authority.md", |t| {
        broken(t, "entities/gone")
    });
    site.edit("content/themes/infrastructure.md", |t| {
        broken(t, "themes/gone")
    });
    site.edit("content/_index.md", |t| broken(t, "nowhere"));
    site.edit("content/annotations/harbour-report.yaml", |t| {
        t.replacen("note: ", "note: See [this](@/annotations/gone/). ", 1)
    });
    let errors = |run: &Run| -> BTreeSet<String> {
        run.stderr
            .lines()
            .filter(|line| {
                line.starts_with("error[")
                    || line.starts_with("  --> ")
                    || line.starts_with(" --> ")
            })
            .map(str::to_owned)
            .collect()
    };
    let built = site.gloss(&["build"]).assert_code(1);
    let checked = site.gloss(&["check"]).assert_code(1);
    let found = errors(&built);
    for target in [
        "sources/gone",
        "entities/gone",
        "themes/gone",
        "nowhere",
        "annotations/gone",
    ] {
        assert!(
            built.stderr.contains(&format!("`@/{target}/`")),
            "build reports @/{target}/:\n{}",
            built.stderr
        );
    }
    assert_eq!(
        errors(&checked),
        found,
        "check:\n{}\nbuild:\n{}",
        checked.stderr,
        built.stderr
    );
}

/// The table of link targets is only made when some text may link inside the site: a good
/// `@/` link that is the only one of the briefing, in any of the places one can be, must still
/// resolve (it would be reported broken if the table were left out).
#[test]
fn a_lone_internal_link_resolves_wherever_it_is() {
    let link = "See [the passage](@/sources/harbour-report/#ann-new-quay).";
    // (file, how the link goes in, the page that shows it)
    type Place<'l> = (&'l str, &'l dyn Fn(&str) -> String, &'l str);
    let places: [Place; 5] = [
        (
            "content/sources/harbour-report.md",
            &|t| format!("{t}\n{link}\n"),
            "sources/harbour-report/",
        ),
        (
            "content/annotations/harbour-report.yaml",
            &|t| t.replacen("note: \"", &format!("note: \"{link} "), 1),
            "sources/harbour-report/",
        ),
        (
            "content/entities/harbour-authority.md",
            &|t| format!("{t}\n{link}\n"),
            "entities/harbour-authority/",
        ),
        (
            "content/themes/infrastructure.md",
            &|t| format!("{t}\n{link}\n"),
            "themes/infrastructure/",
        ),
        ("content/_index.md", &|t| format!("{t}\n{link}\n"), ""),
    ];
    for (file, add_link, page) in places {
        let site = SiteTest::new("build/minimal");
        // The fixture's own front-page link goes, so this is the briefing's only `@/` link.
        site.edit("content/_index.md", |t| {
            t.replace("[one source](@/sources/harbour-report/)", "one source")
        });
        site.edit(file, add_link);
        let run = site.gloss(&["build"]).assert_code(0);
        assert!(
            !run.stderr.contains("broken-internal-link"),
            "{file}: the link is good:\n{}",
            run.stderr
        );
        assert!(
            site.page(page)
                .contains("href=\"/sources/harbour-report/#ann-new-quay\""),
            "{file}: the link is resolved on `{page}`"
        );
    }
}
