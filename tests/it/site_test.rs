//! [`SiteTest`]: one fixture briefing in a temporary folder, the `gloss` binary run on it, and
//! its output read back (after mdBook's `BookTest`).
//!
//! Input: a fixture under `tests/fixtures/`. Output: [`Run`]s with the temporary path shown as
//! `[ROOT]`, and the output folder's files, pages and `<main>` regions.
//! It never touches the repository's own files: everything happens in the temporary copy.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

/// The repository root (where `Cargo.toml`, `content/` and `themes/` are).
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests").join("fixtures")
}

/// A briefing copied into a temporary folder, ready to run `gloss` on.
pub struct SiteTest {
    /// Keeps the folder alive for the test's duration.
    _dir: TempDir,
    root: PathBuf,
}

/// What one run of `gloss` did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl SiteTest {
    /// Copies `tests/fixtures/<fixture>/` (such as `build/minimal`) into a fresh temporary
    /// folder, adding the repository's `themes/default` when the fixture has no `themes/`.
    pub fn new(fixture: &str) -> SiteTest {
        let site = SiteTest::empty();
        let source = fixtures_dir().join(fixture);
        assert!(
            source.join("site.toml").is_file(),
            "fixture {} has no site.toml",
            source.display()
        );
        copy_dir(&source, &site.root);
        site.add_default_theme_if_missing();
        site
    }

    /// The repository's own briefing: its `site.toml`, `content/`, `themes/` and `static/`.
    pub fn seed() -> SiteTest {
        let site = SiteTest::empty();
        fs::copy(repo_root().join("site.toml"), site.root.join("site.toml"))
            .expect("copy the repository's site.toml");
        for folder in ["content", "themes", "static"] {
            let source = repo_root().join(folder);
            if source.is_dir() {
                copy_dir(&source, &site.root.join(folder));
            }
        }
        site
    }

    /// An empty temporary folder (no `site.toml`).
    pub fn empty() -> SiteTest {
        let dir = tempfile::Builder::new()
            .prefix("gloss-it-")
            .tempdir()
            .expect("create a temporary folder");
        // Canonical, so the path gloss prints is the one we replace with `[ROOT]`.
        let root = dir
            .path()
            .canonicalize()
            .expect("canonicalize the temporary folder");
        SiteTest { _dir: dir, root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Replaces this briefing's `site.toml` and `content/` (and `themes/` if the fixture has
    /// one) with the fixture's, leaving everything else, such as a built `public/`, in place.
    pub fn replace_briefing_with(&self, fixture: &str) {
        let source = fixtures_dir().join(fixture);
        assert!(
            source.join("site.toml").is_file(),
            "fixture {} has no site.toml",
            source.display()
        );
        fs::remove_dir_all(self.root.join("content")).expect("remove content/");
        fs::copy(source.join("site.toml"), self.root.join("site.toml")).expect("copy site.toml");
        copy_dir(&source.join("content"), &self.root.join("content"));
        if source.join("themes").is_dir() {
            fs::remove_dir_all(self.root.join("themes")).expect("remove themes/");
            copy_dir(&source.join("themes"), &self.root.join("themes"));
        }
    }

    fn add_default_theme_if_missing(&self) {
        let themes = self.root.join("themes");
        if !themes.exists() {
            copy_dir(
                &repo_root().join("themes").join("default"),
                &themes.join("default"),
            );
        }
    }

    /// Runs `gloss <args>` in the briefing's folder.
    pub fn gloss(&self, args: &[&str]) -> Run {
        self.gloss_with_env(args, &[])
    }

    /// Runs `gloss <args>` in the briefing's folder with extra environment variables.
    pub fn gloss_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gloss"));
        command
            .args(args)
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().expect("run the gloss binary");
        Run {
            code: output.status.code(),
            stdout: self.normalize(&String::from_utf8_lossy(&output.stdout)),
            stderr: self.normalize(&String::from_utf8_lossy(&output.stderr)),
        }
    }

    /// `gloss build`, expected to succeed.
    #[track_caller]
    pub fn build(&self) -> Run {
        self.gloss(&["build"]).assert_success()
    }

    /// The temporary path as `[ROOT]` and the build time as `[ELAPSED]`, so output is stable.
    fn normalize(&self, text: &str) -> String {
        let root = self.root.to_string_lossy();
        let text = text.replace(root.as_ref(), "[ROOT]");
        replace_elapsed(&text)
    }

    /// The default output folder, `public/`.
    pub fn output_dir(&self) -> PathBuf {
        self.root.join("public")
    }

    /// The HTML of a page, by its URL path relative to the site root: `""` for the front page,
    /// `sources/a/` for a source, `404.html` for a file.
    #[track_caller]
    pub fn page(&self, page: &str) -> String {
        let path = self.output_dir().join(page_file(page));
        fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("reading page {}: {err}", path.display()))
    }

    /// The `<main>…</main>` region of a page, as written.
    #[track_caller]
    pub fn main_html(&self, page: &str) -> String {
        crate::html::main_region(&self.page(page)).to_string()
    }

    /// Every file of the output folder, relative, with forward slashes, sorted.
    pub fn output_paths(&self) -> Vec<String> {
        self.output_files().into_keys().collect()
    }

    /// Every file of the output folder and its bytes.
    pub fn output_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.output_dir())
    }

    /// Every file under the briefing's folder and its bytes (content, themes and output).
    pub fn all_files(&self) -> BTreeMap<String, Vec<u8>> {
        files_under(&self.root)
    }

    /// The HTML pages of the output folder, by output path.
    pub fn output_pages(&self) -> BTreeMap<String, String> {
        self.output_files()
            .into_iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .map(|(path, bytes)| {
                let html = String::from_utf8(bytes).expect("pages are UTF-8");
                (path, html)
            })
            .collect()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    #[track_caller]
    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative))
            .unwrap_or_else(|err| panic!("reading {relative}: {err}"))
    }

    pub fn write(&self, relative: &str, text: &str) {
        self.write_bytes(relative, text.as_bytes());
    }

    pub fn write_bytes(&self, relative: &str, bytes: &[u8]) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create the file's folder");
        }
        fs::write(&path, bytes).unwrap_or_else(|err| panic!("writing {relative}: {err}"));
    }

    /// Rewrites a file through `change`; fails if the change leaves it as it was.
    #[track_caller]
    pub fn edit(&self, relative: &str, change: impl FnOnce(&str) -> String) {
        let before = self.read(relative);
        let after = change(&before);
        assert_ne!(before, after, "editing {relative} changed nothing");
        self.write(relative, &after);
    }

    pub fn remove(&self, relative: &str) {
        let path = self.path(relative);
        if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        }
        .unwrap_or_else(|err| panic!("removing {relative}: {err}"));
    }

    /// Rewrites every text file of `content/` and `site.toml` with CRLF line endings and a
    /// UTF-8 byte-order mark.
    pub fn convert_to_crlf_with_bom(&self) {
        let mut paths: Vec<String> = files_under(&self.root.join("content"))
            .into_keys()
            .map(|path| format!("content/{path}"))
            .collect();
        paths.push("site.toml".to_string());
        for path in paths {
            let text = self.read(&path);
            let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
            self.write(&path, &format!("\u{feff}{crlf}"));
        }
    }
}

impl Run {
    #[track_caller]
    pub fn assert_success(self) -> Run {
        self.assert_code(0)
    }

    #[track_caller]
    pub fn assert_code(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Fails if the program panicked (a panic is never an acceptable way to report a problem).
    #[track_caller]
    pub fn assert_no_panic(&self) {
        for needle in ["panicked", "RUST_BACKTRACE"] {
            assert!(
                !self.stderr.contains(needle),
                "stderr shows a panic:\n{}",
                self.stderr
            );
        }
    }
}

/// The output file of a page URL path: `sources/a/` → `sources/a/index.html`.
pub fn page_file(page: &str) -> String {
    if page.is_empty() || page.ends_with('/') {
        format!("{page}index.html")
    } else {
        page.to_string()
    }
}

/// `in 0.07 s` (the build time in the summary line) → `in [ELAPSED]`.
fn replace_elapsed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let number = &after[4..];
        let digits = number
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(number.len());
        if digits > 0 && number[digits..].starts_with(" s") {
            out.push_str(" in [ELAPSED]");
            rest = &number[digits + 2..];
        } else {
            out.push_str(" in ");
            rest = number;
        }
    }
    out.push_str(rest);
    out
}

/// Copies a folder recursively (files as bytes).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|err| panic!("creating {}: {err}", to.display()));
    let mut entries: Vec<_> = fs::read_dir(from)
        .unwrap_or_else(|err| panic!("reading {}: {err}", from.display()))
        .map(|entry| entry.expect("read a folder entry"))
        .collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|err| panic!("copying {}: {err}", entry.path().display()));
        }
    }
}

/// Every file under `dir` (relative paths with forward slashes) and its bytes; empty when
/// `dir` does not exist.
pub fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if dir.is_dir() {
        collect_files(dir, dir, &mut files);
    }
    files
}

fn collect_files(base: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in fs::read_dir(dir).expect("read a folder") {
        let entry = entry.expect("read a folder entry");
        let path = entry.path();
        if entry.file_type().expect("file type").is_dir() {
            collect_files(base, &path, files);
        } else {
            let relative = path
                .strip_prefix(base)
                .expect("under the base folder")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(relative, fs::read(&path).expect("read a file"));
        }
    }
}

#[test]
fn elapsed_time_is_replaced() {
    assert_eq!(
        replace_elapsed("built 1 pages into [ROOT]/public in 0.07 s\n"),
        "built 1 pages into [ROOT]/public in [ELAPSED]\n"
    );
    assert_eq!(replace_elapsed("fine in May"), "fine in May");
}
