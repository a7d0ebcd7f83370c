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
    if let Err(err) = write_tree(tree, &staging) {
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

fn write_tree(tree: &OutputTree, root: &Path) -> anyhow::Result<()> {
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
            fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))
        })?;
    fs::write(root.join(MARKER), MARKER_TEXT)
        .with_context(|| format!("writing {}", root.join(MARKER).display()))?;
    Ok(())
}
