//! Watching the briefing's inputs for `gloss serve`: `site.toml`, `content/`, `themes/` and
//! `static/`.
//!
//! Owns the notify watcher and its debouncer. Output: batches of changed input paths, sent
//! once a burst of file events has settled. It reads nothing and decides nothing: the rebuild
//! loop in `serve` does. Reads by the build itself (file opens) are not changes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

use super::{DEBOUNCE, DEBOUNCE_TICK};

/// The folders under the root whose every file is an input.
const INPUT_FOLDERS: [&str; 3] = ["content", "themes", "static"];

/// A settled batch of changed inputs.
pub(super) struct Change {
    pub paths: Vec<PathBuf>,
    /// When the first of its file events was seen: the save that started it.
    pub since: Instant,
}

/// Keeps the watch alive; dropping it stops watching.
pub(super) struct Watcher {
    root: PathBuf,
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl Watcher {
    /// Starts watching `root` (for `site.toml` and the input folders appearing) and each input
    /// folder that exists. Each settled batch of changed inputs is sent to `changes`.
    pub(super) fn start(
        root: &Path,
        changes: mpsc::UnboundedSender<Change>,
    ) -> anyhow::Result<Watcher> {
        let filter_root = root.to_path_buf();
        let debouncer = new_debouncer(
            DEBOUNCE,
            Some(DEBOUNCE_TICK),
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    let events: Vec<_> = events
                        .into_iter()
                        .filter(|event| !matches!(event.kind, EventKind::Access(_)))
                        .collect();
                    let since = events.iter().map(|event| event.time).min();
                    let paths: Vec<PathBuf> = events
                        .into_iter()
                        .flat_map(|event| event.event.paths)
                        .filter(|path| is_input(&filter_root, path))
                        .collect();
                    if !paths.is_empty() {
                        let since = since.unwrap_or_else(Instant::now);
                        let _ = changes.send(Change { paths, since });
                    }
                }
                Err(errors) => {
                    for error in errors {
                        eprintln!("warning: watching for changes: {error}");
                    }
                }
            },
        )
        .context("starting the file watcher")?;
        let mut watcher = Watcher {
            root: root.to_path_buf(),
            debouncer,
        };
        watcher
            .debouncer
            .watch(root, RecursiveMode::NonRecursive)
            .with_context(|| format!("watching {}", root.display()))?;
        for folder in INPUT_FOLDERS {
            watcher.watch_folder(folder);
        }
        Ok(watcher)
    }

    /// Watches again the input folders that were created, replaced or removed in `changed`
    /// (a folder made after the server started, or swapped by a `git checkout`).
    pub(super) fn rewatch_folders(&mut self, changed: &[PathBuf]) {
        for folder in INPUT_FOLDERS {
            let path = self.root.join(folder);
            if changed.contains(&path) {
                // The old watch may already be gone with the folder; that is fine.
                let _ = self.debouncer.unwatch(&path);
                self.watch_folder(folder);
            }
        }
    }

    fn watch_folder(&mut self, folder: &str) {
        let path = self.root.join(folder);
        if !path.is_dir() {
            return;
        }
        if let Err(err) = self.debouncer.watch(&path, RecursiveMode::Recursive) {
            eprintln!("warning: not watching {}: {err}", path.display());
        }
    }
}

/// Whether a changed path can change the site: `site.toml` or anything in an input folder,
/// except editors' swap and backup files.
fn is_input(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let mut components = relative.components();
    let Some(first) = components.next() else {
        return false;
    };
    let first = first.as_os_str();
    let in_inputs = if components.next().is_none() {
        first == "site.toml" || INPUT_FOLDERS.iter().any(|folder| first == *folder)
    } else {
        INPUT_FOLDERS.iter().any(|folder| first == *folder)
    };
    in_inputs && !is_editor_scratch(path)
}

/// Vim's swap files and write test, Emacs' lock and backup files, and the like.
fn is_editor_scratch(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
        return false;
    };
    name.ends_with('~')
        || name.starts_with(".#")
        || name == "4913"
        || (name.starts_with('.')
            && [".swp", ".swx", ".swo"]
                .iter()
                .any(|suffix| name.ends_with(suffix)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_site_toml_and_the_input_folders() {
        let root = Path::new("/b");
        for path in [
            "/b/site.toml",
            "/b/content",
            "/b/content/annotations/a.yaml",
            "/b/themes/default/templates/base.html",
            "/b/static/logo.svg",
        ] {
            assert!(is_input(root, Path::new(path)), "{path}");
        }
        for path in [
            "/b/public/index.html",
            "/b/public",
            "/b/README.md",
            "/b/site.toml~",
            "/b/content/annotations/.a.yaml.swp",
            "/b/content/annotations/4913",
            "/b/content/.#a.md",
            "/elsewhere/site.toml",
        ] {
            assert!(!is_input(root, Path::new(path)), "{path}");
        }
    }
}
