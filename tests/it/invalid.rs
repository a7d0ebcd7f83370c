//! The bad-input catalogue: every kind of broken file an editor (or a hostile pull request) can
//! produce is reported as a diagnostic with its `file:line:col`, exit 1, no panic, quickly,
//! and the previous site is left byte for byte as it was.
//!
//! Each case in `tests/fixtures/invalid/<case>/` is the minimal briefing with one kind of
//! mistake (several files may show it, one per file kind). Cases too big to commit (a file over
//! the size limit, YAML nested a hundred thousand levels deep) are made by the test in the
//! temporary copy. The driver first builds `build/minimal`, then swaps in the broken briefing,
//! as `check.rs` does. Inputs that must simply work (CRLF and a byte-order mark, right-to-left
//! text, combining characters, emoji) are here too, next to their broken twins, and so is the
//! promise that a build failing while it writes leaves the previous site intact.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::check::{assert_every_error_is_located, root_entries};
use crate::site_test::{Run, SiteTest};

/// How long a rejected build may take. Generous for a debug build on a busy machine; an alias
/// bomb or a quadratic parse would take minutes.
const QUICK: Duration = Duration::from_secs(20);

/// [`assert_rejected_after`] with no change to the fixture.
#[track_caller]
fn assert_rejected(case: &str, locations: &[&str]) -> String {
    assert_rejected_after(case, |_| {}, locations)
}

/// Builds a good briefing, replaces it with `invalid/<case>`, applies `change`, builds again,
/// and asserts what every rejected build must do: exit 1 without a panic, within [`QUICK`];
/// each of `locations` named as `file:line:col` (after `-->` for a problem, `:::` for a related
/// place); every error located; nothing reported as built; the previous output byte for byte
/// as it was, with no staging folder left beside it. Returns the diagnostics as shown.
#[track_caller]
fn assert_rejected_after(case: &str, change: impl FnOnce(&SiteTest), locations: &[&str]) -> String {
    let site = SiteTest::new("build/minimal");
    site.build();
    let output_before = site.output_files();
    let entries_before = root_entries(&site);

    site.replace_briefing_with(&format!("invalid/{case}"));
    change(&site);
    let started = Instant::now();
    let run = site.gloss(&["build"]);
    let elapsed = started.elapsed();
    run.assert_no_panic();
    let run = run.assert_code(1);
    assert!(
        elapsed < QUICK,
        "rejecting `{case}` took {elapsed:?}:\n{}",
        run.stderr
    );
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

/// The codes of the errors shown, in order.
fn error_codes(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("error[")?.split(']').next())
        .collect()
}

// --- YAML and front matter that do not parse ----------------------------------------------

#[test]
fn unclosed_quote_is_a_yaml_error_that_hints_at_the_missing_quote_mark() {
    let stderr = assert_rejected(
        "yaml-unclosed-quote",
        &["content/annotations/harbour-report.yaml:7:12"],
    );
    assert_eq!(error_codes(&stderr), ["yaml-syntax"]);
    assert!(stderr.contains("closing quote mark"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn tab_indentation_is_reported_with_a_hint_to_use_spaces() {
    let stderr = assert_rejected(
        "yaml-tab-indentation",
        &["content/annotations/harbour-report.yaml:4:1"],
    );
    assert!(stderr.contains("indent with spaces"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn second_yaml_document_in_an_annotation_file_is_reported() {
    let stderr = assert_rejected(
        "yaml-second-document",
        &["content/annotations/harbour-report.yaml:16:1"],
    );
    assert!(stderr.contains("more than one YAML document"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn key_written_twice_is_reported_at_the_second() {
    let stderr = assert_rejected(
        "yaml-duplicate-key",
        &["content/annotations/harbour-report.yaml:6:5"],
    );
    assert!(stderr.contains("the key `kind` appears twice"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn alias_to_an_unknown_anchor_is_reported() {
    let stderr = assert_rejected(
        "yaml-unknown-anchor",
        &["content/annotations/harbour-report.yaml:9:13"],
    );
    assert_eq!(error_codes(&stderr), ["yaml-syntax"]);
    insta::assert_snapshot!(stderr);
}

#[test]
fn malformed_front_matter_is_reported_where_it_breaks() {
    let stderr = assert_rejected(
        "front-matter-malformed",
        &["content/sources/harbour-report.md:4:9"],
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn front_matter_that_is_a_list_is_reported() {
    let stderr = assert_rejected(
        "front-matter-not-a-mapping",
        &["content/entities/harbour-authority.md:2:1"],
    );
    assert!(
        stderr.contains("expected keys and values, found a list"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn annotation_file_that_is_a_list_is_reported() {
    let stderr = assert_rejected(
        "annotation-file-not-a-mapping",
        &["content/annotations/harbour-report.yaml:1:1"],
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn unclosed_front_matter_of_a_markdown_annotation_is_reported() {
    let stderr = assert_rejected(
        "front-matter-unclosed-in-annotation",
        &["content/annotations/quay.md:1:1"],
    );
    assert_eq!(error_codes(&stderr), ["front-matter"]);
    insta::assert_snapshot!(stderr);
}

// --- Values of the wrong type ---------------------------------------------------------------

#[test]
fn list_where_text_is_expected_is_reported_in_every_file_kind() {
    let stderr = assert_rejected(
        "list-where-text-expected",
        &[
            "content/annotations/harbour-report.yaml:8:7",
            "content/sources/harbour-report.md:2:8",
            "content/themes/infrastructure.md:2:8",
        ],
    );
    assert_eq!(
        error_codes(&stderr),
        ["invalid-value", "invalid-value", "invalid-value"]
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn text_where_a_list_is_expected_is_reported_in_every_file_kind() {
    let stderr = assert_rejected(
        "text-where-list-expected",
        &[
            "content/annotations/harbour-report.yaml:8:15",
            "content/annotations/quay.md:4:8",
            "content/entities/harbour-authority.md:4:10",
        ],
    );
    assert!(
        stderr.contains("expected a list, found `harbour-authority`"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

/// `slug: 2024` is the text `2024`, a valid slug; `slug: 3.14` is the text `3.14`, which is not.
#[test]
fn numbers_and_words_in_the_wrong_place_are_reported() {
    let stderr = assert_rejected(
        "number-where-slug-or-text-expected",
        &[
            "content/sources/ferry-notice.md:4:8",
            "content/sources/harbour-report.md:7:7",
            "content/themes/ferries.md:3:8",
            "content/themes/infrastructure.md:3:8",
        ],
    );
    assert!(
        !stderr.contains("error[unknown-source]"),
        "annotations on the source with the bad slug are not reported again:\n{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn required_values_left_empty_are_reported() {
    let stderr = assert_rejected(
        "empty-values",
        &[
            "content/entities/harbour-authority.md:2:7",
            "content/sources/harbour-report.md:2:6",
            "content/themes/infrastructure.md:2:8",
        ],
    );
    assert!(stderr.contains("`title` has no value"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn wrong_type_in_site_toml_is_reported() {
    let stderr = assert_rejected("wrong-type-in-site-toml", &["site.toml:1:9"]);
    assert!(stderr.contains("expected text, found a list"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

// --- Unknown and misspelt keys ----------------------------------------------------------------

#[test]
fn misspelt_keys_are_reported_in_every_file_kind_in_one_run() {
    let stderr = assert_rejected(
        "misspelt-keys-in-every-file-kind",
        &[
            "content/_index.md:3:1",
            "content/annotations/extra.yaml:1:1",
            "content/annotations/harbour-report.yaml:8:5",
            "content/annotations/harbour-report.yaml:18:9",
            "content/annotations/quay.md:4:1",
            "content/entities/harbour-authority.md:3:1",
            "content/sources/harbour-report.md:4:1",
            "content/themes/infrastructure.md:3:1",
        ],
    );
    for (typo, key) in [
        ("sumary", "summary"),
        ("sources", "source"),
        ("entites", "entities"),
        ("prefx", "prefix"),
        ("kinds", "kind"),
        ("auther", "author"),
        ("oder", "order"),
    ] {
        assert!(
            stderr.contains(&format!("unknown key `{typo}`"))
                && stderr.contains(&format!("did you mean `{key}`?")),
            "`{typo}` is reported with `{key}` suggested:\n{stderr}"
        );
    }
    assert!(stderr.contains("unknown key `ulr`"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn misspelt_key_in_site_toml_suggests_the_right_one() {
    let stderr = assert_rejected("misspelt-key-in-site-toml", &["site.toml:2:1"]);
    assert!(stderr.contains("did you mean `base_url`?"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn key_written_twice_in_site_toml_is_named() {
    let stderr = assert_rejected("duplicate-key-in-site-toml", &["site.toml:4:1"]);
    assert!(stderr.contains("the key `title` appears twice"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

// --- Missing required fields ------------------------------------------------------------------

#[test]
fn missing_required_keys_are_reported_in_every_file_kind() {
    let stderr = assert_rejected(
        "missing-required-fields",
        &[
            "content/annotations/extra.yaml:1:1",
            "content/annotations/harbour-report.yaml:13:9",
            "content/annotations/quay.md:3:1",
            "content/themes/infrastructure.md:2:1",
        ],
    );
    for key in ["source", "url", "quote", "title"] {
        assert!(
            stderr.contains(&format!("missing required key `{key}`")),
            "`{key}` is named:\n{stderr}"
        );
    }
    insta::assert_snapshot!(stderr);
}

#[test]
fn missing_base_url_in_site_toml_is_reported() {
    let stderr = assert_rejected("missing-base-url-in-site-toml", &["site.toml:1:1"]);
    assert!(stderr.contains("`base_url`"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

// --- Empty files --------------------------------------------------------------------------------

#[test]
fn empty_and_blank_files_of_every_kind_are_reported() {
    let stderr = assert_rejected(
        "empty-files",
        &[
            "content/annotations/blank.yaml:1:1",
            "content/annotations/empty.md:1:1",
            "content/annotations/empty.yaml:1:1",
            "content/entities/blank.md:1:1",
            "content/sources/empty.md:1:1",
            "content/themes/empty.md:1:1",
        ],
    );
    assert_eq!(
        error_codes(&stderr).len(),
        6,
        "one error per file:\n{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn empty_front_matter_is_reported() {
    let stderr = assert_rejected(
        "empty-front-matter",
        &["content/sources/ferry-notice.md:2:1"],
    );
    assert!(stderr.contains("`title: ...`"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn empty_site_toml_is_reported() {
    let stderr = assert_rejected("empty-site-toml", &["site.toml:1:1"]);
    insta::assert_snapshot!(stderr);
}

// --- Duplicates ---------------------------------------------------------------------------------

#[test]
fn duplicate_slugs_and_ids_point_at_both_files() {
    let stderr = assert_rejected(
        "duplicate-ids-and-slugs",
        &[
            "content/annotations/quay.md:3:5",
            "content/annotations/harbour-report.yaml:3:9",
            "content/entities/port-authority.md:3:7",
            "content/entities/harbour-authority.md:1:1",
            "content/themes/works.md:3:7",
            "content/themes/infrastructure.md:1:1",
        ],
    );
    assert_eq!(
        error_codes(&stderr),
        ["duplicate-id", "duplicate-slug", "duplicate-slug"]
    );
    insta::assert_snapshot!(stderr);
}

/// `Harbour Report.md` beside `harbour-report.md`: the usual help ("rename the file to
/// `harbour-report.md`") would lead straight into a duplicate, so the error names the other file.
#[test]
fn file_name_whose_slug_is_taken_names_the_other_file() {
    let stderr = assert_rejected(
        "slugs-collide-after-slugifying",
        &[
            "content/sources/Harbour Report.md:1:1",
            "content/sources/harbour-report.md:1:1",
        ],
    );
    assert!(
        stderr.contains("`harbour-report`, is taken by another of the sources"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("rename the file to `harbour-report.md`"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

// --- Slugs and ids that try to leave the output folder -------------------------------------

#[test]
fn slugs_and_ids_that_would_leave_the_output_folder_are_rejected() {
    let stderr = assert_rejected(
        "slugs-that-leave-the-output-folder",
        &[
            "content/annotations/harbour-report.yaml:3:9",
            "content/entities/harbour-authority.md:4:7",
            "content/sources/dots.md:4:7",
            "content/sources/ferry-notice.md:4:7",
            "content/themes/infrastructure.md:4:7",
        ],
    );
    assert_eq!(
        error_codes(&stderr),
        ["invalid-slug"; 5],
        "only the slugs, not the references to what they name:\n{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

// --- Encodings and bytes ------------------------------------------------------------------------

#[test]
fn non_utf8_annotation_file_is_reported_at_the_first_bad_byte() {
    let stderr = assert_rejected(
        "non-utf8-annotation-file",
        &["content/annotations/harbour-report.yaml:7:52"],
    );
    assert_eq!(error_codes(&stderr), ["invalid-file"]);
    insta::assert_snapshot!(stderr);
}

#[test]
fn non_utf8_site_toml_is_reported_at_the_first_bad_byte() {
    let stderr = assert_rejected("non-utf8-site-toml", &["site.toml:1:31"]);
    assert_eq!(error_codes(&stderr), ["invalid-file"]);
    insta::assert_snapshot!(stderr);
}

#[test]
fn nul_byte_is_reported_where_it_is() {
    let stderr = assert_rejected(
        "nul-byte",
        &["content/annotations/harbour-report.yaml:7:36"],
    );
    assert!(stderr.contains("NUL byte"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

/// A raw escape character would reach pages (HTML forbids it) and, through diagnostics, the
/// editor's terminal; it is reported and shown as a visible symbol.
#[test]
fn control_character_in_a_file_is_reported_and_shown_harmlessly() {
    let stderr = assert_rejected(
        "control-characters-in-a-file",
        &["content/sources/harbour-report.md:10:36"],
    );
    assert!(stderr.contains("U+001B"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no raw escape reaches the terminal"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn control_characters_made_by_yaml_escapes_are_reported() {
    let stderr = assert_rejected(
        "control-characters-in-values",
        &[
            "content/annotations/harbour-report.yaml:10:13",
            "content/sources/harbour-report.md:2:8",
        ],
    );
    assert!(
        stderr.contains("U+0085") && stderr.contains("U+001B"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{7}'));
    insta::assert_snapshot!(stderr);
}

/// Every text file of the twin rewritten with CRLF line endings and a byte-order mark builds
/// exactly the same site: every file, byte for byte (`annotations.jsonld` once carried the
/// CRLF of Markdown notes).
#[test]
fn crlf_and_bom_build_the_same_site_byte_for_byte() {
    let lf = SiteTest::new("build/line-endings");
    let crlf = SiteTest::new("build/line-endings");
    crlf.convert_to_crlf_with_bom();
    assert!(crlf.read("site.toml").starts_with('\u{feff}'));
    lf.build();
    let run = crlf.build();
    run.assert_no_panic();
    let lf_files = lf.output_files();
    let crlf_files = crlf.output_files();
    assert!(!lf_files.is_empty());
    assert!(
        lf_files == crlf_files,
        "{}",
        crate::cli::first_difference(&lf_files, &crlf_files)
    );
}

// --- Resource limits ----------------------------------------------------------------------------

/// A file over `MAX_FILE_BYTES` (16 MiB) is reported, not read; it is made here, not committed.
#[test]
fn file_over_the_size_limit_is_reported_not_read() {
    let stderr = assert_rejected_after(
        "very-large-file",
        |site| {
            let mut text = String::from("---\ntitle: \"Huge\"\n---\n\n");
            let line = "The harbour was busy again today, and the quay was full of boats.\n";
            while text.len() <= 16 * 1024 * 1024 {
                text.push_str(line);
            }
            site.write("content/sources/huge.md", &text);
        },
        &["content/sources/huge.md:1:1"],
    );
    assert_eq!(error_codes(&stderr), ["invalid-file"]);
    assert!(
        stderr.contains("more than the 16 MiB gloss reads"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn site_toml_over_the_size_limit_is_reported_not_read() {
    let stderr = assert_rejected_after(
        "very-large-file",
        |site| {
            let mut text = site.read("site.toml");
            let comment = "# a comment line that makes site.toml far larger than it needs to be\n";
            while text.len() <= 16 * 1024 * 1024 {
                text.push_str(comment);
            }
            site.write("site.toml", &text);
        },
        &["site.toml:1:1"],
    );
    assert_eq!(error_codes(&stderr), ["invalid-file"]);
    insta::assert_snapshot!(stderr);
}

/// "Billion laughs": nine levels of nine aliases would expand to 387 million strings. saphyr's
/// budget stops it at once, and the error says why in words.
#[test]
fn yaml_alias_bomb_is_stopped_quickly_with_a_clear_error() {
    let stderr = assert_rejected("yaml-alias-bomb", &["content/annotations/laughs.yaml:3:51"]);
    assert_eq!(error_codes(&stderr), ["yaml-syntax"]);
    assert!(
        stderr.contains("too large or too deeply nested"),
        "{stderr}"
    );
    assert!(!stderr.contains('{'), "no debug output:\n{stderr}");
    insta::assert_snapshot!(stderr);
}

/// A hundred thousand nested flow lists, a thousand nested block lists, and deep flow lists in
/// front matter: each stopped by a nesting limit (no stack overflow), each a clear error.
#[test]
fn deeply_nested_yaml_is_stopped_quickly_with_a_clear_error() {
    let depth = 100_000;
    let stderr = assert_rejected_after(
        "yaml-deep-nesting",
        |site| {
            site.write(
                "content/annotations/flow.yaml",
                &format!(
                    "source: harbour-report\nannotations: {}{}\n",
                    "[".repeat(depth),
                    "]".repeat(depth)
                ),
            );
            let block: String = (0..1000)
                .map(|level| format!("{}- \n", "  ".repeat(level)))
                .collect();
            site.write(
                "content/annotations/block.yaml",
                &format!("source: harbour-report\nannotations:\n{block}"),
            );
            site.write(
                "content/themes/deep.md",
                &format!("---\ntitle: {}\n---\n\nDeep.\n", "[".repeat(depth)),
            );
        },
        &[
            "content/annotations/flow.yaml:2:269",
            "content/themes/deep.md:2:8",
        ],
    );
    assert!(
        stderr.contains("content/annotations/block.yaml:"),
        "the block nesting is reported:\n{stderr}"
    );
    assert!(!stderr.contains("Depth {"), "no debug output:\n{stderr}");
    insta::assert_snapshot!(stderr);
}

/// Markdown nested a hundred thousand levels deep (block quotes, raw HTML elements, emphasis)
/// would keep the HTML sanitiser busy for many minutes: it is an error at the place where the
/// nesting passes the limit, in bodies and in YAML notes alike.
#[test]
fn deeply_nested_markdown_is_stopped_quickly_with_a_clear_error() {
    let depth = 100_000;
    let stderr = assert_rejected_after(
        "markdown-deep-nesting",
        |site| {
            site.write(
                "content/sources/deep-quotes.md",
                &format!("---\ntitle: \"Deep\"\n---\n\n{} text\n", ">".repeat(depth)),
            );
            site.write(
                "content/themes/deep-html.md",
                &format!(
                    "---\ntitle: \"Deep\"\n---\n\nIntro.\n\n{}x{}\n",
                    "<div>".repeat(depth),
                    "</div>".repeat(depth)
                ),
            );
            site.edit("content/annotations/harbour-report.yaml", |text| {
                text.replace(
                    "note: \"The tender was published in January.\"",
                    &format!("note: \"{}deep{}\"", "*".repeat(depth), "*".repeat(depth)),
                )
            });
        },
        &[
            "content/annotations/harbour-report.yaml:7:11",
            "content/sources/deep-quotes.md:5:101",
            "content/themes/deep-html.md:7:1",
        ],
    );
    assert_eq!(
        error_codes(&stderr),
        ["invalid-value", "invalid-file", "invalid-file"]
    );
    insta::assert_snapshot!(stderr);
}

/// A hundred levels is plenty, and not an error.
#[test]
fn markdown_nested_a_few_levels_builds() {
    let site = SiteTest::new("build/minimal");
    site.edit("content/themes/infrastructure.md", |text| {
        format!(
            "{text}\n{} quoted\n\n{}nested{}\n",
            ">".repeat(20),
            "<div>".repeat(20),
            "</div>".repeat(20)
        )
    });
    site.build();
}

// --- Quotes ---------------------------------------------------------------------------------------

#[test]
fn empty_and_blank_quotes_prefixes_and_suffixes_are_reported() {
    let stderr = assert_rejected(
        "empty-and-blank-quotes",
        &[
            "content/annotations/harbour-report.yaml:15:12",
            "content/annotations/harbour-report.yaml:16:12",
            "content/annotations/harbour-report.yaml:17:12",
            "content/annotations/harbour-report.yaml:19:13",
            "content/annotations/harbour-report.yaml:21:13",
            "content/annotations/quay.md:3:8",
        ],
    );
    assert_eq!(error_codes(&stderr), ["empty-quote"; 6]);
    insta::assert_snapshot!(stderr);
}

/// The right quotes for `invalid/unicode-quotes-wrong`, copied from its source.
const UNICODE_QUOTES_RIGHT: &str = "source: voices
annotations:
  - id: arabic
    quote: \"الميناء سيُغلق يوم الثلاثاء\"
  - id: hebrew
    quote: \"שלום לכולם\"
  - id: combining
    quote: \"The caf\u{e9} owner\"
  - id: emoji
    quote: \"pleased 🎉👩\u{200d}👩\u{200d}👧 and waved a 🇳🇴 flag\"
";

/// Right-to-left text, a combining accent (quoted precomposed) and emoji sequences are
/// highlighted when the quote is right.
#[test]
fn right_to_left_combining_and_emoji_quotes_are_highlighted() {
    let site = SiteTest::new("invalid/unicode-quotes-wrong");
    site.write("content/annotations/voices.yaml", UNICODE_QUOTES_RIGHT);
    let run = site.build();
    run.assert_no_panic();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    crate::highlights::assert_every_quote_highlighted(&site);
}

/// Wrong Arabic and Hebrew words are errors that show the closest text; a wrong emoji or a
/// missing accent is close enough to re-anchor, with a warning that shows the difference.
#[test]
fn wrong_right_to_left_combining_and_emoji_quotes_are_reported() {
    let stderr = assert_rejected(
        "unicode-quotes-wrong",
        &[
            "content/annotations/voices.yaml:4:12",
            "content/sources/voices.md:5:27",
            "content/annotations/voices.yaml:6:12",
            "content/sources/voices.md:7:23",
            "content/annotations/voices.yaml:8:12",
            "content/annotations/voices.yaml:10:12",
        ],
    );
    assert_eq!(error_codes(&stderr), ["quote-not-found", "quote-not-found"]);
    assert!(stderr.contains("warning[quote-drifted]"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

// --- A build that fails while writing -----------------------------------------------------------

/// What a build that fails while writing must do: exit 2 (an I/O failure) without a panic and
/// report nothing as built. Returns the error as shown.
#[track_caller]
fn assert_failed_write_keeps_the_old_site(run: Run) -> String {
    run.assert_no_panic();
    assert_eq!(
        run.code,
        Some(2),
        "an I/O failure is fatal:\n{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.stderr
}

/// A file of the site's `static/` named like a folder gloss writes pages into cannot be written;
/// the build says which and leaves the previous site as it was.
#[test]
fn static_file_in_the_way_of_a_page_folder_keeps_the_old_site() {
    let site = SiteTest::new("build/minimal");
    site.build();
    let before = site.output_files();
    site.write("static/sources", "not a folder\n");
    let entries_before = root_entries(&site);
    let run = site.gloss(&["build"]);
    let stderr = assert_failed_write_keeps_the_old_site(run);
    assert!(
        stderr.contains("both a file `sources` and the file `sources/harbour-report/index.html`"),
        "{stderr}"
    );
    assert!(
        site.output_files() == before,
        "the previous site is untouched"
    );
    assert_eq!(
        root_entries(&site),
        entries_before,
        "no staging folder is left"
    );
}

/// Writing fails half way (the file-size limit is hit, as a full disk would be): the staging
/// folder is removed and the previous site stays. `ulimit -f` works for root too, where
/// `chmod` would not; SIGXFSZ is ignored so the write returns an error instead of killing gloss.
#[test]
fn build_failing_half_way_through_writing_keeps_the_old_site() {
    let site = SiteTest::new("build/minimal");
    site.build();
    let before = site.output_files();
    // Bigger than the limit below, so writing it must fail; the pages before it are written.
    site.write_bytes("static/large.bin", &vec![b'x'; 4 * 1024 * 1024]);
    let entries_before = root_entries(&site);
    let output = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2048 && exec \"$0\" build")
        .arg(env!("CARGO_BIN_EXE_gloss"))
        .current_dir(site.root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run gloss under sh");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let stderr = assert_failed_write_keeps_the_old_site(run);
    assert!(
        stderr.contains("large.bin"),
        "the error names the file:\n{stderr}"
    );
    assert!(
        site.output_files() == before,
        "the previous site is untouched"
    );
    assert_eq!(
        root_entries(&site),
        entries_before,
        "no staging folder is left"
    );
    // And with room again, the build goes through.
    site.build();
    assert!(site.output_files().contains_key("large.bin"));
}
