//! Output: [`OutputTree`] → the output folder, the only writer of it.
//!
//! The site is written to a staging folder beside the output and swapped in only when every
//! file is written, so a failed or interrupted build leaves the previous site intact. A marker
//! file records that gloss owns the folder; gloss refuses to replace a folder without it
//! (unless forced), so it never deletes files it did not write.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use rayon::prelude::*;

use crate::render::OutputTree;

/// Name of the file that marks a folder as written by gloss.
pub const MARKER: &str = ".gloss-output";
const MARKER_TEXT: &str = "This folder is written by gloss and replaced on every build.\n";

/// Replaces `output_dir` with `tree`. `force` allows replacing a folder gloss did not write.
pub fn write(tree: &OutputTree, output_dir: &Path, force: bool) -> anyhow::Result<()> {
    check_paths(tree)?;
    let parent = output_dir
        .parent()
        .context("the output folder has no parent folder")?;
    let name = output_dir
        .file_name()
        .context("the output folder has no name")?
        .to_string_lossy()
        .into_owned();
    if output_dir.exists() {
        if !output_dir.is_dir() {
            bail!(
                "{} exists and is not a folder; remove it or choose another output folder",
                output_dir.display()
            );
        }
        let owned = output_dir.join(MARKER).is_file();
        let empty = fs::read_dir(output_dir)
            .with_context(|| format!("reading {}", output_dir.display()))?
            .next()
            .is_none();
        if !owned && !empty && !force {
            bail!(
                "{} holds files that gloss did not write (no {MARKER} marker); \
                 choose an empty or new output folder, or pass --force to replace it",
                output_dir.display()
            );
        }
    }
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;

    let staging = parent.join(format!(".{name}.gloss-staging-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("removing stale {}", staging.display()))?;
    }
    fs::create_dir(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let previous = output_dir.is_dir().then_some(output_dir);
    if let Err(err) = write_tree(tree, &staging, previous) {
        let _ = fs::remove_dir_all(&staging);
        return Err(err);
    }

    let old: Option<PathBuf> = if output_dir.exists() {
        let old = parent.join(format!(".{name}.gloss-old-{}", std::process::id()));
        if old.exists() {
            fs::remove_dir_all(&old)
                .with_context(|| format!("removing stale {}", old.display()))?;
        }
        fs::rename(output_dir, &old)
            .with_context(|| format!("moving the previous site {} aside", output_dir.display()))?;
        Some(old)
    } else {
        None
    };
    if let Err(err) = fs::rename(&staging, output_dir) {
        if let Some(old) = &old {
            let _ = fs::rename(old, output_dir);
        }
        let _ = fs::remove_dir_all(&staging);
        return Err(err)
            .with_context(|| format!("moving the new site into {}", output_dir.display()));
    }
    if let Some(old) = old {
        fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    Ok(())
}

/// Refuses a tree that could not be written as a folder: a file whose path is also the folder
/// of other files (a `static/sources` file beside the `sources/` pages), or a path that is not
/// a plain relative one. Checked before anything is written, so the message names the clash
/// instead of an I/O error in the staging folder.
fn check_paths(tree: &OutputTree) -> anyhow::Result<()> {
    for path in tree.files.keys() {
        let plain = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && path
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..");
        if !plain {
            bail!(
                "the site would hold a file at `{path}`, which is not a path inside the output folder"
            );
        }
        let folder = format!("{path}/");
        if let Some((inside, _)) = tree.files.range(folder.clone()..).next()
            && inside.starts_with(&folder)
        {
            bail!(
                "the site would hold both a file `{path}` and the file `{inside}` in a folder of \
                 that name; rename or remove `{path}` in `static/` (or in the site theme's \
                 `static/`)"
            );
        }
    }
    Ok(())
}

/// Writes `tree` under `root`; files whose bytes equal the same file in `previous` (the site
/// being replaced) are hard-linked from it instead ([`write_or_link`]).
fn write_tree(tree: &OutputTree, root: &Path, previous: Option<&Path>) -> anyhow::Result<()> {
    let mut folders: Vec<PathBuf> = tree
        .files
        .keys()
        .filter_map(|path| Path::new(path).parent().map(|p| root.join(p)))
        .collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    tree.files
        .par_iter()
        .try_for_each(|(path, bytes)| -> anyhow::Result<()> {
            let target = root.join(path);
            let old = previous.map(|previous| previous.join(path));
            write_or_link(&target, bytes, old.as_deref())
                .with_context(|| format!("writing {}", target.display()))
        })?;
    fs::write(root.join(MARKER), MARKER_TEXT)
        .with_context(|| format!("writing {}", root.join(MARKER).display()))?;
    Ok(())
}

/// Writes `bytes` to `target`, or hard-links `previous` there when it holds exactly these bytes:
/// an unchanged page keeps its modification time (rsync and HTTP caches see it unchanged) and
/// costs no copy. Falls back to writing when linking fails (another file system, no support).
fn write_or_link(target: &Path, bytes: &[u8], previous: Option<&Path>) -> std::io::Result<()> {
    if let Some(previous) = previous
        && fs::symlink_metadata(previous)
            .is_ok_and(|meta| meta.is_file() && meta.len() == bytes.len() as u64)
        && fs::read(previous).is_ok_and(|old| old == bytes)
        && fs::hard_link(previous, target).is_ok()
    {
        return Ok(());
    }
    fs::write(target, bytes)
}
