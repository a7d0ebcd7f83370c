//! `gloss init DIR`: a new briefing that builds and passes `gloss check` at once.
//!
//! Owns the starter content, the embedded copy of the default site theme and the GitHub Pages
//! workflow. It writes only into a folder that does not exist yet or is empty, and never
//! overwrites a file.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, bail};

/// The default site theme, compiled into the binary so `init` works anywhere.
pub const DEFAULT_SITE_THEME: &[(&str, &str)] = &[
    (
        "static/search.css",
        include_str!("../themes/default/static/search.css"),
    ),
    (
        "static/search.js",
        include_str!("../themes/default/static/search.js"),
    ),
    (
        "static/style.css",
        include_str!("../themes/default/static/style.css"),
    ),
    (
        "templates/404.html",
        include_str!("../themes/default/templates/404.html"),
    ),
    (
        "templates/annotations.html",
        include_str!("../themes/default/templates/annotations.html"),
    ),
    (
        "templates/base.html",
        include_str!("../themes/default/templates/base.html"),
    ),
    (
        "templates/components.html",
        include_str!("../themes/default/templates/components.html"),
    ),
    (
        "templates/entities.html",
        include_str!("../themes/default/templates/entities.html"),
    ),
    (
        "templates/entity.html",
        include_str!("../themes/default/templates/entity.html"),
    ),
    (
        "templates/index.html",
        include_str!("../themes/default/templates/index.html"),
    ),
    (
        "templates/note.html",
        include_str!("../themes/default/templates/note.html"),
    ),
    (
        "templates/search.html",
        include_str!("../themes/default/templates/search.html"),
    ),
    (
        "templates/source.html",
        include_str!("../themes/default/templates/source.html"),
    ),
    (
        "templates/theme.html",
        include_str!("../themes/default/templates/theme.html"),
    ),
    (
        "templates/themes.html",
        include_str!("../themes/default/templates/themes.html"),
    ),
];

const SITE_TOML: &str = r#"title = "A new briefing"
base_url = "https://owner.github.io/repo/"
description = "What this briefing is about, in one sentence."
language = "en"
theme = "default"
output_dir = "public"
"#;

const INDEX: &str = r#"---
title: "A new briefing"
summary: "One or two sentences that say what the reader will learn."
---

## Executive summary

Write the briefing's bottom line here.

## Key judgments

- **A first judgment.** Link it to the annotation that supports it ([evidence](@/sources/example-report/#ann-river-plan)).
"#;

const SOURCE: &str = r#"---
title: "Example Corp sets out a plan for the river district"
publisher: "Example Gazette"
date: 2025-01-15
summary: "A short report on a redevelopment plan, to show how sources are annotated."
---

Example Corp said on Tuesday that it would spend *two years* rebuilding the river district, starting with the old mill.

The company expects the first homes to open next spring. Critics say the timetable is ambitious.
"#;

const ENTITY: &str = r#"---
name: "Example Corp"
kind: organization
aliases: ["the company"]
---

A fictional developer, used to show how entities work. Every mention of its name or aliases in
the sources is linked to this page.
"#;

const THEME: &str = r#"---
title: "Urban redevelopment"
order: 1
---

Plans to rebuild parts of the city, and how realistic they are.
"#;

const ANNOTATIONS: &str = r#"# Annotations anchor notes to exact passages of a source. A quote that is not found, or
# matches more than one place, is an error. Run `gloss check` to verify.
source: example-report
annotations:
  - id: river-plan
    quote: "it would spend two years rebuilding the river district"
    kind: claim
    status: unverified
    note: |
      The plan has not been filed with the city yet.
    entities: [example-corp]
    themes: [urban-redevelopment]

  - quote: "Critics say the timetable is ambitious."
    kind: context
    note: Similar projects in the region took four to five years.
    themes: [urban-redevelopment]
"#;

const GITIGNORE: &str = "/public\n";

const WORKFLOW: &str = r#"# Build the briefing with gloss and publish it on GitHub Pages.
# Settings → Pages → Source: GitHub Actions.
name: Publish briefing

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
      - name: Install the pinned Rust toolchain
        run: |
          rustup toolchain install 1.95.0 --profile minimal
          rustup default 1.95.0
      - name: Install gloss
        run: cargo install --locked gloss
      - id: pages
        uses: actions/configure-pages@v6
      - name: Check the briefing
        run: gloss check --format github
      - name: Build the site
        run: gloss build --base-url "${{ steps.pages.outputs.base_url }}/"
      - uses: actions/upload-pages-artifact@v5
        with:
          path: public

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v5
"#;

/// Writes a new briefing into `dir`, which must not exist or be empty.
pub fn init(dir: &Path) -> anyhow::Result<Vec<String>> {
    if dir.exists() {
        let mut entries =
            fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty; gloss init only writes into a new or empty folder",
                dir.display()
            );
        }
    }
    let mut files: Vec<(String, &str)> = vec![
        ("site.toml".to_string(), SITE_TOML),
        (".gitignore".to_string(), GITIGNORE),
        (".github/workflows/pages.yml".to_string(), WORKFLOW),
        ("content/_index.md".to_string(), INDEX),
        ("content/sources/example-report.md".to_string(), SOURCE),
        ("content/entities/example-corp.md".to_string(), ENTITY),
        ("content/themes/urban-redevelopment.md".to_string(), THEME),
        (
            "content/annotations/example-report.yaml".to_string(),
            ANNOTATIONS,
        ),
    ];
    for (path, text) in DEFAULT_SITE_THEME {
        files.push((format!("themes/default/{path}"), text));
    }
    for (path, text) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded theme must list every file of `themes/default`, or `init` would scaffold
    /// an incomplete theme.
    #[test]
    fn embedded_theme_lists_every_file_of_the_default_theme() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
        let mut on_disk: Vec<String> = walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(&root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = DEFAULT_SITE_THEME
            .iter()
            .map(|(p, _)| p.to_string())
            .collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn init_makes_a_briefing_that_builds_without_problems() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("briefing");
        init(&root).expect("init");
        let result = crate::build(&root, &crate::config::Overrides::default()).expect("build");
        assert!(
            result.diagnostics.is_empty(),
            "{:?}",
            result.diagnostics.into_vec()
        );
        assert!(result.site.is_some());
    }

    #[test]
    fn init_refuses_a_folder_with_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("keep.txt"), "mine").expect("write");
        assert!(init(dir.path()).is_err());
        assert_eq!(
            fs::read_to_string(dir.path().join("keep.txt")).expect("read"),
            "mine"
        );
    }
}
