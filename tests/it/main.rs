//! Integration tests for gloss: the real binary run on fixture briefings.
//!
//! Each fixture in `tests/fixtures/<area>/<case>/` is a complete mini briefing (`site.toml` and
//! `content/`; the repository's `themes/default` is added when it has no `themes/`).
//! [`site_test::SiteTest`] copies one into a temporary folder, runs `gloss` there and reads the
//! output back. Snapshots (insta, in `snapshots/`) hold rendered diagnostics, the `<main>` HTML of
//! pages and sorted lists of output paths; everything else is asserted as structure.
//!
//! Modules, by the behaviour they cover:
//! - `build`: good briefings build, with the pages, URLs and ids the product promises;
//! - `render`: how quotes are highlighted and entities linked in a source's HTML, and sanitising;
//! - `check`: broken briefings are reported in full, in one run, and nothing is written;
//! - `cli`: arguments, exit codes, the output folder's safety rules, determinism;
//! - `invalid`: the bad-input catalogue: every kind of broken file is a located diagnostic, never
//!   a panic or a slow build, and the previous site survives (also a build failing mid-write);
//! - `seed`: the repository's own briefing builds cleanly and its site is internally consistent;
//! - `xss`: editor text full of XSS payloads never becomes script, styles, frames or forms.

mod highlights;
mod html;
mod links;
mod site_test;

mod build;
mod check;
mod cli;
mod invalid;
mod live;
mod render;
mod seed;
mod xss;
