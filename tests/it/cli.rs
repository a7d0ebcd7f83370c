//! The command line: exit codes (0 ok, 1 content errors, 2 usage or I/O), `--root`, `--output`,
//! `check` writing nothing, the output folder's ownership marker and protected folders, and
//! byte-identical output from run to run, thread count to thread count, time zone to time zone,
//! locale to locale and whatever order the file system lists files in.

use std::collections::BTreeMap;

use crate::site_test::{SiteTest, files_under};

#[test]
fn unknown_flag_is_a_usage_error() {
    let site = SiteTest::new("build/minimal");
    let run = site.gloss(&["build", "--frobnicate"]).assert_code(2);
    assert!(run.stderr.contains("--frobnicate"), "{}", run.stderr);
    assert!(!site.output_dir().exists(), "nothing is written");
}

#[test]
fn unknown_command_is_a_usage_error() {
    let site = SiteTest::new("build/minimal");
    site.gloss(&["publish"]).assert_code(2);
}

#[test]
fn missing_site_toml_is_an_error_naming_it() {
    let site = SiteTest::empty();
    let run = site.gloss(&["build"]).assert_code(2);
    run.assert_no_panic();
    assert!(run.stderr.contains("site.toml"), "{}", run.stderr);
    assert!(!site.output_dir().exists(), "nothing is written");
}

#[test]
fn missing_site_toml_error_suggests_only_existing_commands() {
    let site = SiteTest::empty();
    let run = site.gloss(&["check"]).assert_code(2);
    if run.stderr.contains("gloss init") {
        site.gloss(&["init", "--help"]).assert_success();
    }
}

#[test]
fn check_writes_nothing() {
    let site = SiteTest::new("build/minimal");
    let before = site.all_files();
    let run = site.gloss(&["check"]).assert_success();
    assert!(run.stdout.starts_with("checked "), "{}", run.stdout);
    assert!(
        site.all_files() == before,
        "the briefing folder is unchanged"
    );
}

#[test]
fn check_exits_1_on_content_errors() {
    let site = SiteTest::new("check/quote-not-found");
    let before = site.all_files();
    let run = site.gloss(&["check"]).assert_code(1);
    assert!(run.stderr.contains("error[quote-not-found]"));
    assert!(
        site.all_files() == before,
        "the briefing folder is unchanged"
    );
}

#[test]
fn root_flag_builds_a_briefing_elsewhere() {
    let briefing = SiteTest::new("build/minimal");
    let elsewhere = SiteTest::empty();
    let root = briefing.root().to_string_lossy().into_owned();
    elsewhere
        .gloss(&["build", "--root", &root])
        .assert_success();
    assert!(briefing.output_dir().join("index.html").is_file());
    assert!(
        !elsewhere.output_dir().exists(),
        "the working folder is not written"
    );
}

#[test]
fn output_flag_chooses_the_output_folder() {
    let site = SiteTest::new("build/minimal");
    site.gloss(&["build", "--output", "site-out"])
        .assert_success();
    assert!(site.path("site-out/index.html").is_file());
    assert!(site.path("site-out/.gloss-output").is_file());
    assert!(!site.output_dir().exists(), "public/ is not written");
}

#[test]
fn timings_name_every_stage_and_what_was_written() {
    let site = SiteTest::new("build/minimal");
    let run = site.gloss(&["build", "--timings"]).assert_success();
    for stage in ["load ", "model ", "anchor ", "render ", "write ", "commit "] {
        let line = run
            .stderr
            .lines()
            .find(|line| {
                line.trim_start().starts_with(stage) || line.contains(&format!("which {stage}"))
            })
            .unwrap_or_else(|| panic!("no {stage:?} line in {:?}", run.stderr));
        assert!(
            line.trim_end().ends_with("ms") || line.contains(" ms "),
            "{line:?}"
        );
    }
    let files = site.output_paths().len() - 1; // not the marker
    assert!(
        run.stderr.contains(&format!("{files} files (0 unchanged)")),
        "{:?}",
        run.stderr
    );
    let again = site.gloss(&["build", "--timings"]).assert_success();
    assert!(
        again
            .stderr
            .contains(&format!("{files} files ({files} unchanged)")),
        "{:?}",
        again.stderr
    );
}

#[test]
fn output_dir_from_site_toml_is_used() {
    let site = SiteTest::new("build/minimal");
    site.edit("site.toml", |text| format!("{text}output_dir = \"docs\"\n"));
    site.build();
    assert!(site.path("docs/index.html").is_file());
}

#[test]
fn build_marks_its_output_folder_as_its_own() {
    let site = SiteTest::new("build/minimal");
    site.build();
    assert!(
        site.output_paths().contains(&".gloss-output".to_string()),
        "the marker is written"
    );
}

#[test]
fn build_refuses_an_output_folder_it_did_not_write() {
    let site = SiteTest::new("build/minimal");
    site.write("public/notes.txt", "my own notes\n");
    let run = site.gloss(&["build"]).assert_code(2);
    run.assert_no_panic();
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(
        site.output_paths(),
        ["notes.txt"],
        "the folder is left exactly as it was"
    );
    assert_eq!(site.read("public/notes.txt"), "my own notes\n");
}

#[test]
fn force_replaces_an_output_folder_it_did_not_write() {
    let site = SiteTest::new("build/minimal");
    site.write("public/notes.txt", "my own notes\n");
    site.gloss(&["build", "--force"]).assert_success();
    let paths = site.output_paths();
    assert!(paths.contains(&".gloss-output".to_string()));
    assert!(paths.contains(&"index.html".to_string()));
}

#[test]
fn build_uses_an_empty_folder_without_a_marker() {
    let site = SiteTest::new("build/minimal");
    std::fs::create_dir(site.output_dir()).expect("create public/");
    site.build();
    assert!(site.output_dir().join(".gloss-output").is_file());
}

#[test]
fn rebuild_drops_pages_of_removed_content() {
    let site = SiteTest::new("build/drafts");
    site.build();
    site.remove("content/sources/published-story.md");
    site.remove("content/annotations/published-story.yaml");
    site.build();
    assert!(
        !site
            .output_paths()
            .iter()
            .any(|path| path.contains("published-story")),
        "the removed source's page is gone"
    );
}

/// Asserts that a build with `args` (after `build`) fails, writes no output folder and leaves
/// the briefing's inputs as they were.
#[track_caller]
fn assert_output_refused(site: &SiteTest, args: &[&str]) -> String {
    let before = site.all_files();
    let mut all_args = vec!["build"];
    all_args.extend_from_slice(args);
    let run = site.gloss(&all_args);
    run.assert_no_panic();
    assert_ne!(run.code, Some(0), "build {args:?} is refused");
    assert!(
        site.all_files() == before,
        "build {args:?} changes no file of the briefing"
    );
    assert!(!site.output_dir().exists(), "nothing is written");
    run.stderr
}

#[test]
fn output_dir_content_in_site_toml_is_refused() {
    let site = SiteTest::new("build/minimal");
    site.edit("site.toml", |text| {
        format!("{text}output_dir = \"content\"\n")
    });
    let stderr = assert_output_refused(&site, &[]);
    assert!(stderr.contains("--> site.toml:4:14"), "{stderr}");
}

#[test]
fn output_dir_root_in_site_toml_is_refused() {
    let site = SiteTest::new("build/minimal");
    site.edit("site.toml", |text| format!("{text}output_dir = \".\"\n"));
    assert_output_refused(&site, &[]);
}

#[test]
fn output_flag_naming_a_protected_folder_is_refused() {
    let site = SiteTest::new("build/minimal");
    for output in [
        ".",
        "..",
        "content",
        "content/out",
        "themes",
        "themes/default",
    ] {
        assert_output_refused(&site, &["--output", output]);
    }
}

#[test]
fn invalid_base_url_flag_is_refused() {
    let site = SiteTest::new("build/minimal");
    let stderr = assert_output_refused(&site, &["--base-url", "example.org/briefing"]);
    assert!(stderr.contains("example.org/briefing"), "{stderr}");
}

/// Builds the repository's briefing into `out` with `threads` rayon threads; returns the tree.
fn seed_output(site: &SiteTest, out: &str, threads: &str) -> BTreeMap<String, Vec<u8>> {
    site.gloss_with_env(
        &["build", "--output", out],
        &[("RAYON_NUM_THREADS", threads)],
    )
    .assert_success();
    files_under(&site.path(out))
}

#[test]
fn two_builds_give_byte_identical_output() {
    let site = SiteTest::seed();
    let first = seed_output(&site, "first", "2");
    let second = seed_output(&site, "second", "2");
    assert!(!first.is_empty());
    assert!(first == second, "{}", first_difference(&first, &second));
}

#[test]
fn thread_count_does_not_change_the_output() {
    let site = SiteTest::seed();
    let one = seed_output(&site, "one-thread", "1");
    let two = seed_output(&site, "two-threads", "2");
    assert!(one == two, "{}", first_difference(&one, &two));
}

/// The seed briefing's inputs (`site.toml`, `content/`, `themes/`, `static/`), by path.
fn seed_inputs() -> BTreeMap<String, Vec<u8>> {
    let repo = crate::site_test::repo_root();
    let mut inputs = BTreeMap::new();
    inputs.insert(
        "site.toml".to_string(),
        std::fs::read(repo.join("site.toml")).expect("read site.toml"),
    );
    for folder in ["content", "themes", "static"] {
        for (path, bytes) in files_under(&repo.join(folder)) {
            inputs.insert(format!("{folder}/{path}"), bytes);
        }
    }
    inputs
}

/// Writes `inputs` under `root`, creating files (and their folders) in the order given.
fn write_inputs<'a>(
    root: &std::path::Path,
    inputs: impl Iterator<Item = (&'a String, &'a Vec<u8>)>,
) {
    for (path, bytes) in inputs {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("create a folder");
        std::fs::write(&target, bytes).expect("write an input");
    }
}

/// The names in `folder` in the order the file system lists them.
fn listing_order(folder: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .expect("read a folder")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// Two copies of the seed briefing, one written in sorted order on the temporary folder's file
/// system and one in reverse order on a tmpfs (which lists a folder newest first), built under
/// opposite time zones, locales and thread counts: the sites are the same, byte for byte.
#[test]
fn time_zone_locale_and_file_order_do_not_change_the_output() {
    let inputs = seed_inputs();
    let sorted = SiteTest::empty();
    write_inputs(sorted.root(), inputs.iter());
    // tmpfs lists files in reverse creation order; elsewhere the order is the file system's own.
    let shm = std::path::Path::new("/dev/shm");
    let reversed_dir = if shm.is_dir() {
        tempfile::Builder::new().prefix("gloss-it-").tempdir_in(shm)
    } else {
        tempfile::Builder::new().prefix("gloss-it-").tempdir()
    }
    .expect("create a temporary folder");
    let reversed = reversed_dir.path().canonicalize().expect("canonical path");
    write_inputs(&reversed, inputs.iter().rev());
    if shm.is_dir() {
        let folders = [
            "content",
            "content/sources",
            "content/entities",
            "content/annotations",
        ];
        assert!(
            folders
                .iter()
                .any(|folder| listing_order(&sorted.root().join(folder))
                    != listing_order(&reversed.join(folder))),
            "the two copies list some folder in different orders"
        );
    }

    let build = |root: &std::path::Path, env: &[(&str, &str)]| {
        let root = root.to_string_lossy().into_owned();
        let out = format!("{root}/out");
        sorted
            .gloss_with_env(&["build", "--root", &root, "--output", &out], env)
            .assert_success();
        files_under(std::path::Path::new(&out))
    };
    let first = build(
        sorted.root(),
        &[
            ("TZ", "Pacific/Kiritimati"),
            ("LC_ALL", "C"),
            ("LANG", "C"),
            ("RAYON_NUM_THREADS", "1"),
        ],
    );
    let second = build(
        &reversed,
        &[
            ("TZ", "UTC"),
            ("LC_ALL", "en_US.UTF-8"),
            ("LANG", "tr_TR.UTF-8"),
            ("RAYON_NUM_THREADS", "3"),
        ],
    );
    assert!(!first.is_empty());
    assert!(first == second, "{}", first_difference(&first, &second));
}

pub(crate) fn first_difference(
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
) -> String {
    if a.keys().ne(b.keys()) {
        return format!(
            "different files: {:?} vs {:?}",
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>()
        );
    }
    a.iter()
        .find(|(path, bytes)| b.get(*path) != Some(bytes))
        .map(|(path, _)| format!("{path} differs"))
        .unwrap_or_default()
}
