//! Output: where the rendered files go, and the only writer of the output folder.
//!
//! Rendering hands each file to a [`Sink`] as soon as it is made, so a site is never held in
//! memory whole. [`Staging`] fingerprints each file (XXH3-128 and length) and compares it with
//! the list in the previous build's marker file: an unchanged file is left where it is, not
//! written again (its modification time stays); any other file is written, in parallel as
//! rendering runs, to a staging folder beside the output. Only when the build succeeded does
//! [`Staging::commit`] move the staged files in and remove the previous build's files that the
//! new one no longer has, so a failed build leaves the previous site as it was. A first build,
//! or a forced one into a folder gloss did not write, is staged whole and swapped in.
//! The marker records which files gloss wrote: gloss refuses a folder without it (unless
//! forced) and removes only files it lists, so it never deletes a file it did not write. While
//! the commit moves files, the marker lists the ones being replaced without a fingerprint, so
//! a build interrupted there writes them again next time. [`OutputTree`] (in memory, for
//! `serve` and tests) and [`Discard`] (`check`) are the other sinks.
//! Must not: decide what a file holds.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context as _, bail};
use rayon::prelude::*;

use crate::render::OutputTree;

/// Name of the file that marks a folder as written by gloss.
pub const MARKER: &str = ".gloss-output";
const MARKER_TEXT: &str = "This folder is written by gloss, which replaces and removes only the files listed here. Files (XXH3-128 or - while being replaced, length, path):\n";

/// Takes the site's files one by one, from several threads at once.
pub trait Sink: Sync {
    /// One file of the site: `path` relative to the output root (`sources/a/index.html`).
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()>;

    /// One file of the site, written by `write` as it is made, for files too big to hold whole
    /// (the annotation export). By default the bytes are gathered and [`Sink::put`].
    fn put_with(&self, path: &str, write: &mut WriteFile<'_>) -> anyhow::Result<()> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        self.put(path, bytes)
    }

    /// Whether the bytes are kept. A sink that drops them ([`Discard`]) is sent only what can
    /// report a problem: the pages, not the feed, the export or the search index.
    fn keeps_bytes(&self) -> bool {
        true
    }
}

/// What [`Sink::put_with`] calls to write a file.
pub type WriteFile<'w> = dyn FnMut(&mut dyn std::io::Write) -> anyhow::Result<()> + 'w;

/// Keeps the site in memory.
impl Sink for Mutex<OutputTree> {
    fn put(&self, path: &str, mut bytes: Vec<u8>) -> anyhow::Result<()> {
        // Pages are rendered into buffers sized for the largest page of their template; kept
        // for the whole serve session, each must not hold more than its bytes.
        bytes.shrink_to_fit();
        self.lock()
            .unwrap_or_else(|e| e.into_inner())
            .files
            .insert(path.to_string(), bytes);
        Ok(())
    }
}

/// Drops every file: `gloss check` renders to find problems and writes nothing.
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _path: &str, _bytes: Vec<u8>) -> anyhow::Result<()> {
        Ok(())
    }

    fn keeps_bytes(&self) -> bool {
        false
    }
}

/// A new site being written: changed files go to a staging folder beside `output_dir`, and
/// [`Staging::commit`] moves them in; dropping it uncommitted removes the staging folder and
/// leaves the previous site as it was.
pub struct Staging {
    output_dir: PathBuf,
    staging: PathBuf,
    /// The previous site's marker, when the output folder is gloss's and is updated in place;
    /// `None` when the whole site is staged and swapped in.
    previous: Option<Manifest>,
    /// Every file of the new site and whether it was staged (changed), to find a file/folder
    /// clash, count, and list in the new marker.
    files: Mutex<Vec<NewFile>>,
    n_bytes: AtomicU64,
    n_unchanged: AtomicUsize,
    /// Nanoseconds spent hashing and writing files, summed over threads.
    writing_nanos: AtomicU64,
    committed: bool,
}

/// A file of the new site.
struct NewFile {
    path: String,
    fingerprint: Fingerprint,
    /// Written to the staging folder; otherwise the previous site's copy is kept.
    staged: bool,
}

/// How much a [`Staging`] wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteStats {
    pub n_files: usize,
    /// Of `n_files`, how many were unchanged and left as they were.
    pub n_unchanged: usize,
    pub n_bytes: u64,
    /// Time spent hashing and writing files, summed over the threads that did it (while pages
    /// were being rendered).
    pub writing: std::time::Duration,
}

impl Staging {
    /// Checks that `output_dir` may be written (`force` allows a folder gloss did not write)
    /// and creates the staging folder beside it.
    pub fn open(output_dir: &Path, force: bool) -> anyhow::Result<Staging> {
        let (parent, name) = parent_and_name(output_dir)?;
        let mut previous = None;
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
            // A marker that cannot be read (written by hand, cut short) says the folder is
            // gloss's but not which files: it is replaced whole.
            previous = owned.then(|| Manifest::read(output_dir)).flatten();
        }
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let staging = parent.join(format!(".{name}.gloss-staging-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .with_context(|| format!("removing stale {}", staging.display()))?;
        }
        fs::create_dir(&staging).with_context(|| format!("creating {}", staging.display()))?;
        Ok(Staging {
            output_dir: output_dir.to_path_buf(),
            staging,
            previous,
            files: Mutex::new(Vec::new()),
            n_bytes: AtomicU64::new(0),
            n_unchanged: AtomicUsize::new(0),
            writing_nanos: AtomicU64::new(0),
            committed: false,
        })
    }

    /// Puts the new site in place of the previous one: moves the staged files into the output
    /// folder and removes the previous site's files the new one does not have, or swaps the
    /// staging folder in whole.
    pub fn commit(mut self) -> anyhow::Result<WriteStats> {
        let mut files = std::mem::take(&mut *self.files.lock().unwrap_or_else(|e| e.into_inner()));
        check_paths(files.iter().map(|file| file.path.as_str()))?;
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        match self.previous.take() {
            Some(previous) => self.move_in(&files, &previous)?,
            None => self.swap_in(&files)?,
        }
        Ok(WriteStats {
            n_files: files.len(),
            n_unchanged: self.n_unchanged.load(Ordering::Relaxed),
            n_bytes: self.n_bytes.load(Ordering::Relaxed),
            writing: std::time::Duration::from_nanos(self.writing_nanos.load(Ordering::Relaxed)),
        })
    }

    /// The staging folder holds the whole site: it becomes the output folder, and whatever was
    /// there before (a folder gloss was forced to replace, or an empty one) is removed.
    fn swap_in(&mut self, files: &[NewFile]) -> anyhow::Result<()> {
        let marker = self.staging.join(MARKER);
        fs::write(&marker, Manifest::text(files.iter().map(NewFile::entry)))
            .with_context(|| format!("writing {}", marker.display()))?;
        let output_dir = &self.output_dir;
        let (parent, name) = parent_and_name(output_dir)?;
        let old: Option<PathBuf> = if output_dir.exists() {
            let old = parent.join(format!(".{name}.gloss-old-{}", std::process::id()));
            if old.exists() {
                fs::remove_dir_all(&old)
                    .with_context(|| format!("removing stale {}", old.display()))?;
            }
            fs::rename(output_dir, &old).with_context(|| {
                format!("moving the previous site {} aside", output_dir.display())
            })?;
            Some(old)
        } else {
            None
        };
        if let Err(err) = fs::rename(&self.staging, output_dir) {
            if let Some(old) = &old {
                let _ = fs::rename(old, output_dir);
            }
            return Err(err)
                .with_context(|| format!("moving the new site into {}", output_dir.display()));
        }
        self.committed = true;
        if let Some(old) = old {
            remove_tree(&old).with_context(|| format!("removing {}", old.display()))?;
        }
        Ok(())
    }

    /// The output folder is gloss's, and the staging folder holds the files that changed: they
    /// are moved in, and the previous site's files that the new one does not have are removed
    /// (then their folders, when that leaves them empty). Files gloss did not write stay.
    fn move_in(&mut self, files: &[NewFile], previous: &Manifest) -> anyhow::Result<()> {
        let paths: HashSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
        let mut removed: Vec<&str> = previous
            .files
            .keys()
            .map(String::as_str)
            .filter(|path| !paths.contains(path))
            .collect();
        removed.sort_unstable();
        let staged: Vec<&str> = files
            .iter()
            .filter(|file| file.staged)
            .map(|file| file.path.as_str())
            .collect();
        let marker_is_current = previous.files.len() == files.len()
            && files
                .iter()
                .all(|file| previous.files.get(&file.path) == Some(&Some(file.fingerprint)));
        if staged.is_empty() && marker_is_current {
            // The output folder already holds exactly this site.
            self.committed = true;
            return fs::remove_dir_all(&self.staging)
                .with_context(|| format!("removing {}", self.staging.display()));
        }
        let removed_set: HashSet<&str> = removed.iter().copied().collect();
        self.check_way(&staged, &removed_set)?;

        // While files move, the marker lists every file of both sites, the ones being replaced
        // or removed without a fingerprint: an interrupted commit leaves them to be rewritten.
        let changing: HashSet<&str> = staged.iter().chain(&removed).copied().collect();
        let mut during: Vec<(&str, Option<Fingerprint>)> = files
            .iter()
            .map(|file| {
                let known = !changing.contains(file.path.as_str());
                (file.path.as_str(), known.then_some(file.fingerprint))
            })
            .chain(removed.iter().map(|path| (*path, None)))
            .collect();
        during.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.write_marker(Manifest::text(during.into_iter()))?;

        let output_dir = &self.output_dir;
        for path in &removed {
            let target = output_dir.join(path);
            match fs::remove_file(&target) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                // Someone put a folder where gloss's file was: it is not gloss's to remove.
                Err(_) if target.symlink_metadata().is_ok_and(|meta| meta.is_dir()) => continue,
                Err(err) => {
                    return Err(err).with_context(|| format!("removing {}", target.display()));
                }
            }
            // Folders left empty go too; a folder holding anything else stays.
            let mut folder = Path::new(path).parent();
            while let Some(inside) = folder.filter(|f| !f.as_os_str().is_empty()) {
                if fs::remove_dir(output_dir.join(inside)).is_err() {
                    break;
                }
                folder = inside.parent();
            }
        }
        staged.par_iter().try_for_each(|path| {
            let (from, to) = (self.staging.join(path), output_dir.join(path));
            if to.symlink_metadata().is_ok_and(|meta| meta.is_dir()) {
                // Only an empty folder is removed: a file gloss did not write stays, and the
                // error says where.
                fs::remove_dir(&to).with_context(|| {
                    format!("{} is a folder, where gloss writes a file", to.display())
                })?;
            }
            let moved = match fs::rename(&from, &to) {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    if let Some(folder) = to.parent() {
                        fs::create_dir_all(folder)?;
                    }
                    fs::rename(&from, &to)
                }
                other => other,
            };
            moved.with_context(|| format!("moving {} into place", to.display()))
        })?;
        self.write_marker(Manifest::text(files.iter().map(NewFile::entry)))?;
        self.committed = true;
        fs::remove_dir_all(&self.staging)
            .with_context(|| format!("removing {}", self.staging.display()))
    }

    /// Refuses to move staged files in where something gloss did not write is in the way: a
    /// folder or a link where a file goes, or a file or a link where a folder goes. A link in
    /// the output folder is never followed.
    fn check_way(&self, staged: &[&str], removed: &HashSet<&str>) -> anyhow::Result<()> {
        let mut folders_seen: HashSet<&str> = HashSet::new();
        for path in staged {
            for (end, _) in path.match_indices('/') {
                let folder = &path[..end];
                if !folders_seen.insert(folder) {
                    continue;
                }
                match fs::symlink_metadata(self.output_dir.join(folder)) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(meta) if meta.is_file() && removed.contains(folder) => break,
                    Ok(_) => bail!(
                        "`{folder}` in {} is in the way of `{path}`, which gloss writes; \
                         gloss did not write it: move it out of the output folder",
                        self.output_dir.display()
                    ),
                    Err(_) => break,
                }
            }
            // A folder here is the previous site's, left empty once its files are removed;
            // moving the file in fails on one that is not.
            match fs::symlink_metadata(self.output_dir.join(path)) {
                Ok(meta) if meta.is_symlink() => bail!(
                    "`{path}` in {} is a link, where gloss writes a file; \
                     gloss did not write it: move it out of the output folder",
                    self.output_dir.display()
                ),
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes the marker into the output folder whole: written beside, then renamed over it.
    fn write_marker(&self, text: String) -> anyhow::Result<()> {
        let next = self.staging.join(MARKER);
        fs::write(&next, text).with_context(|| format!("writing {}", next.display()))?;
        let marker = self.output_dir.join(MARKER);
        fs::rename(&next, &marker).with_context(|| format!("writing {}", marker.display()))
    }

    fn record(&self, path: &str, fingerprint: Fingerprint, staged: bool) {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(NewFile {
                path: path.to_string(),
                fingerprint,
                staged,
            });
        if !staged {
            self.n_unchanged.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether the previous site's copy of `path` holds exactly `fingerprint`'s bytes, as its
    /// marker recorded them, and nobody has touched it since (it is no newer than the marker).
    fn unchanged(&self, path: &str, fingerprint: Fingerprint) -> bool {
        let Some(previous) = &self.previous else {
            return false;
        };
        if previous.files.get(path) != Some(&Some(fingerprint)) {
            return false;
        }
        let Ok(meta) = fs::symlink_metadata(self.output_dir.join(path)) else {
            return false;
        };
        meta.is_file()
            && meta.len() == fingerprint.len
            && meta
                .modified()
                .ok()
                .zip(previous.written)
                .is_some_and(|(m, w)| m <= w)
    }
}

impl NewFile {
    fn entry(&self) -> (&str, Option<Fingerprint>) {
        (&self.path, Some(self.fingerprint))
    }
}

fn parent_and_name(output_dir: &Path) -> anyhow::Result<(&Path, String)> {
    let parent = output_dir
        .parent()
        .context("the output folder has no parent folder")?;
    let name = output_dir
        .file_name()
        .context("the output folder has no name")?
        .to_string_lossy()
        .into_owned();
    Ok((parent, name))
}

/// Removes the folder `root` and all it holds, like [`fs::remove_dir_all`], on every core: the
/// entries two levels down (each source's and entity's folder) are removed in parallel.
fn remove_tree(root: &Path) -> std::io::Result<()> {
    let mut folders = Vec::new();
    let mut leaves = Vec::new();
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            for child in fs::read_dir(entry.path())? {
                leaves.push(child?);
            }
            folders.push(entry.path());
        } else {
            leaves.push(entry);
        }
    }
    leaves.par_iter().try_for_each(|entry| {
        // A symbolic link is removed, never followed.
        if entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())
        } else {
            fs::remove_file(entry.path())
        }
    })?;
    for folder in folders {
        fs::remove_dir(folder)?;
    }
    fs::remove_dir(root)
}

/// A file's length and content hash (XXH3, 128 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    hash: u128,
}

impl Fingerprint {
    fn of(bytes: &[u8]) -> Self {
        Fingerprint {
            len: bytes.len() as u64,
            hash: xxhash_rust::xxh3::xxh3_128(bytes),
        }
    }
}

/// The marker file: the notice, then one line per file gloss wrote (`<hash> <length> <path>`,
/// or `- - <path>` for a file being replaced), so the next build can tell unchanged files
/// without reading them, and knows which files are its own to replace or remove.
#[derive(Debug, Default)]
struct Manifest {
    /// Each file's fingerprint; `None` while it is being replaced.
    files: HashMap<String, Option<Fingerprint>>,
    /// When the marker was written: a file modified later was edited by hand.
    written: Option<std::time::SystemTime>,
}

impl Manifest {
    /// The marker of `output_dir`, or `None` when it cannot be read as one.
    fn read(output_dir: &Path) -> Option<Manifest> {
        let path = output_dir.join(MARKER);
        let text = fs::read_to_string(&path).ok()?;
        let mut lines = text.lines();
        lines.next()?;
        let mut files = HashMap::new();
        for line in lines {
            let mut parts = line.splitn(3, ' ');
            let (hash, len, path) = (parts.next()?, parts.next()?, parts.next()?);
            check_plain(path).ok()?;
            let fingerprint = if (hash, len) == ("-", "-") {
                None
            } else {
                Some(Fingerprint {
                    hash: u128::from_str_radix(hash, 16).ok()?,
                    len: len.parse().ok()?,
                })
            };
            files.insert(path.to_string(), fingerprint);
        }
        Some(Manifest {
            files,
            written: fs::metadata(&path).and_then(|m| m.modified()).ok(),
        })
    }

    fn text<'p>(files: impl Iterator<Item = (&'p str, Option<Fingerprint>)>) -> String {
        use std::fmt::Write as _;
        let mut text = String::from(MARKER_TEXT);
        for (path, fingerprint) in files {
            let _ = match fingerprint {
                Some(f) => writeln!(text, "{:032x} {} {path}", f.hash, f.len),
                None => writeln!(text, "- - {path}"),
            };
        }
        text
    }
}

impl Sink for Staging {
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let result = self.write(path, bytes);
        self.add_writing_time(started);
        result
    }

    fn put_with(&self, path: &str, write: &mut WriteFile<'_>) -> anyhow::Result<()> {
        // The time of making the bytes is counted too: they are made as they are written.
        let started = std::time::Instant::now();
        let result = self.stream(path, write);
        self.add_writing_time(started);
        result
    }
}

impl Staging {
    fn add_writing_time(&self, started: std::time::Instant) {
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.writing_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// [`Sink::put`].
    fn write(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        check_plain(path)?;
        let fingerprint = Fingerprint::of(&bytes);
        self.n_bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if self.unchanged(path, fingerprint) {
            self.record(path, fingerprint, false);
            return Ok(());
        }
        self.record(path, fingerprint, true);
        let target = self.staging.join(path);
        let written = match fs::write(&target, &bytes) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => target
                .parent()
                .map_or(Ok(()), fs::create_dir_all)
                .and_then(|()| fs::write(&target, &bytes)),
            other => other,
        };
        if let Err(err) = written {
            // A file where a folder must go (or the reverse) fails here or at another path
            // first, depending on the order; name the clash rather than the I/O error.
            let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            check_paths(files.iter().map(|file| file.path.as_str()))?;
            return Err(err).with_context(|| format!("writing {}", target.display()));
        }
        Ok(())
    }

    /// [`Sink::put_with`]: the bytes go to the staging file as they are written, and are
    /// fingerprinted on the way; an unchanged file is then dropped from the staging folder.
    fn stream(&self, path: &str, write: &mut WriteFile<'_>) -> anyhow::Result<()> {
        check_plain(path)?;
        let target = self.staging.join(path);
        if let Some(folder) = target.parent() {
            fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        }
        let file =
            fs::File::create(&target).with_context(|| format!("writing {}", target.display()))?;
        // Buffered before the hasher, so it hashes large runs rather than each small write.
        let mut buffered = std::io::BufWriter::with_capacity(
            256 * 1024,
            FingerprintWriter {
                inner: file,
                hasher: xxhash_rust::xxh3::Xxh3::new(),
                len: 0,
            },
        );
        write(&mut buffered)?;
        let writer = buffered
            .into_inner()
            .map_err(|err| err.into_error())
            .with_context(|| format!("writing {}", target.display()))?;
        let fingerprint = Fingerprint {
            len: writer.len,
            hash: writer.hasher.digest128(),
        };
        self.n_bytes.fetch_add(writer.len, Ordering::Relaxed);
        let unchanged = self.unchanged(path, fingerprint);
        if unchanged {
            fs::remove_file(&target).with_context(|| format!("removing {}", target.display()))?;
        }
        self.record(path, fingerprint, !unchanged);
        Ok(())
    }
}

/// A writer that hashes and counts what passes through it.
struct FingerprintWriter<W> {
    inner: W,
    hasher: xxhash_rust::xxh3::Xxh3,
    len: u64,
}

impl<W: std::io::Write> std::io::Write for FingerprintWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Writes `tree` as the site in `output_dir`. `force` allows replacing a folder gloss did not
/// write.
pub fn write(tree: &OutputTree, output_dir: &Path, force: bool) -> anyhow::Result<WriteStats> {
    check_paths(tree.files.keys().map(String::as_str))?;
    let staging = Staging::open(output_dir, force)?;
    tree.files
        .par_iter()
        .try_for_each(|(path, bytes)| staging.put(path, bytes.clone()))?;
    staging.commit()
}

/// Refuses a path that is not a plain relative one inside the output folder.
fn check_plain(path: &str) -> anyhow::Result<()> {
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
    Ok(())
}

/// Refuses a set of paths that could not be written as a folder: a file whose path is also the
/// folder of other files (a `static/sources` file beside the `sources/` pages), or a path that
/// is not a plain relative one, so the message names the clash instead of an I/O error.
fn check_paths<'p>(paths: impl Iterator<Item = &'p str>) -> anyhow::Result<()> {
    let mut sorted: Vec<&str> = paths.collect();
    sorted.sort_unstable();
    sorted.dedup();
    for (index, path) in sorted.iter().enumerate() {
        check_plain(path)?;
        let folder = format!("{path}/");
        // Paths inside `folder` sort right after `path` and its other extensions (`a-b`, `a.x`
        // sort before `a/`), so look ahead for the first path at or past `folder`.
        let rest = &sorted[index + 1..];
        let at = rest.partition_point(|p| *p < folder.as_str());
        if let Some(inside) = rest.get(at)
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt as _;

    use super::*;

    fn build(output: &Path, files: &[(&str, &str)]) -> WriteStats {
        let staging = Staging::open(output, false).expect("open");
        for (path, text) in files {
            staging.put(path, text.as_bytes().to_vec()).expect("put");
        }
        staging.commit().expect("commit")
    }

    #[test]
    fn streamed_files_are_fingerprinted_like_put_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        let stream = |text: &'static str| {
            let staging = Staging::open(&output, false).expect("open");
            staging
                .put_with("data/big.json", &mut |out| {
                    for part in text.split_inclusive(',') {
                        out.write_all(part.as_bytes())?;
                    }
                    Ok(())
                })
                .expect("put_with");
            staging.commit().expect("commit")
        };
        stream("[1,2,3]");
        let inode = || {
            fs::metadata(output.join("data/big.json"))
                .expect("stat")
                .ino()
        };
        let first = inode();
        let stats = stream("[1,2,3]");
        assert_eq!((stats.n_unchanged, stats.n_bytes), (1, 7));
        assert_eq!(inode(), first, "unchanged: the same file, linked");
        stream("[1,2,4]");
        assert_ne!(inode(), first);
        assert_eq!(
            fs::read_to_string(output.join("data/big.json")).expect("read"),
            "[1,2,4]"
        );
        // The same bytes through `put` are recognised as unchanged too.
        let staging = Staging::open(&output, false).expect("open");
        staging
            .put("data/big.json", b"[1,2,4]".to_vec())
            .expect("put");
        assert_eq!(staging.commit().expect("commit").n_unchanged, 1);
    }

    #[test]
    fn unchanged_files_keep_their_inode_and_changed_ones_are_rewritten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("a/index.html", "same"), ("b.css", "old")]);
        let inode = |p: &str| fs::metadata(output.join(p)).expect("stat").ino();
        let (a, b) = (inode("a/index.html"), inode("b.css"));
        let stats = build(&output, &[("a/index.html", "same"), ("b.css", "new")]);
        assert_eq!(stats.n_unchanged, 1);
        assert_eq!(inode("a/index.html"), a, "unchanged: the same file, linked");
        assert_ne!(inode("b.css"), b);
        assert_eq!(
            fs::read_to_string(output.join("b.css")).expect("read"),
            "new"
        );
    }

    #[test]
    fn a_file_edited_by_hand_after_the_build_is_written_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("page.html", "gloss")]);
        // Same length, other bytes, newer than the marker.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(output.join("page.html"), "hand!").expect("edit");
        let stats = build(&output, &[("page.html", "gloss")]);
        assert_eq!(stats.n_unchanged, 0);
        assert_eq!(
            fs::read_to_string(output.join("page.html")).expect("read"),
            "gloss"
        );
    }

    #[test]
    fn a_dropped_staging_leaves_the_previous_site_and_no_folder_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("index.html", "v1")]);
        let staging = Staging::open(&output, false).expect("open");
        staging.put("index.html", b"v2".to_vec()).expect("put");
        drop(staging);
        assert_eq!(
            fs::read_to_string(output.join("index.html")).expect("read"),
            "v1"
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["public"]);
    }

    #[test]
    fn a_file_where_a_folder_must_go_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let staging = Staging::open(&dir.path().join("public"), false).expect("open");
        staging.put("sources", b"x".to_vec()).expect("put");
        let err = staging
            .put("sources/a/index.html", b"y".to_vec())
            .expect_err("a clash");
        assert!(
            format!("{err:#}")
                .contains("both a file `sources` and the file `sources/a/index.html`"),
            "{err:#}"
        );
    }

    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(folder)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_previous_sites_files_go_and_links_in_it_are_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(
            &output,
            &[
                ("index.html", "v1"),
                ("sources/a/index.html", "a"),
                ("sources/a/deeper/x.txt", "x"),
                ("search-index/terms/0.json", "[]"),
            ],
        );
        // A link someone put into the site to a folder outside it.
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).expect("mkdir");
        fs::write(outside.join("keep.txt"), "keep").expect("write");
        std::os::unix::fs::symlink(&outside, output.join("sources/linked")).expect("symlink");
        std::os::unix::fs::symlink(&outside, output.join("linked")).expect("symlink");
        build(&output, &[("index.html", "v2")]);
        // Gloss's own files and the folders they leave empty are gone; the links, which gloss
        // did not make, stay, and what they point at is untouched.
        assert_eq!(names(&output), [MARKER, "index.html", "linked", "sources"]);
        assert_eq!(names(&output.join("sources")), ["linked"]);
        assert_eq!(names(&outside), ["keep.txt"]);
        assert_eq!(
            names(dir.path()),
            ["outside", "public"],
            "nothing left beside"
        );
    }

    #[test]
    fn a_file_gloss_did_not_write_stays() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("index.html", "v1"), ("a/index.html", "a")]);
        fs::write(output.join("a/notes.txt"), "mine").expect("write");
        build(&output, &[("index.html", "v2")]);
        assert_eq!(names(&output), [MARKER, "a", "index.html"]);
        assert_eq!(names(&output.join("a")), ["notes.txt"]);
    }

    #[test]
    fn a_folder_put_where_a_removed_file_was_stays() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("index.html", "v1"), ("old.html", "old")]);
        fs::remove_file(output.join("old.html")).expect("remove");
        fs::create_dir(output.join("old.html")).expect("mkdir");
        fs::write(output.join("old.html/mine.txt"), "mine").expect("write");
        build(&output, &[("index.html", "v2")]);
        assert_eq!(names(&output.join("old.html")), ["mine.txt"]);
        assert_eq!(
            fs::read_to_string(output.join("index.html")).expect("read"),
            "v2"
        );
    }

    #[test]
    fn an_unchanged_rebuild_writes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        let files = [("index.html", "v1"), ("a/index.html", "a")];
        build(&output, &files);
        let marker = || fs::metadata(output.join(MARKER)).expect("stat").modified();
        let before = marker().expect("mtime");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let stats = build(&output, &files);
        assert_eq!((stats.n_files, stats.n_unchanged), (2, 2));
        assert_eq!(
            marker().expect("mtime"),
            before,
            "the marker was not rewritten"
        );
        assert_eq!(names(dir.path()), ["public"], "no staging folder left");
    }

    /// A commit cut short after it listed a file as being replaced, with the new bytes moved in
    /// (their modification time from before the marker): the next build writes the file again
    /// even though its bytes equal what the marker once said.
    #[test]
    fn a_file_listed_as_being_replaced_is_written_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("page.html", "one")]);
        let staged = dir.path().join("staged.html");
        fs::write(&staged, "two").expect("write");
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(output.join(MARKER), format!("{MARKER_TEXT}- - page.html\n")).expect("marker");
        fs::rename(&staged, output.join("page.html")).expect("move in");
        let stats = build(&output, &[("page.html", "one")]);
        assert_eq!(stats.n_unchanged, 0);
        assert_eq!(
            fs::read_to_string(output.join("page.html")).expect("read"),
            "one"
        );
    }

    #[test]
    fn a_link_in_the_way_is_refused_and_the_site_left_as_it_was() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        build(&output, &[("index.html", "v1")]);
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).expect("mkdir");
        std::os::unix::fs::symlink(&outside, output.join("sources")).expect("symlink");
        let staging = Staging::open(&output, false).expect("open");
        staging.put("index.html", b"v2".to_vec()).expect("put");
        staging
            .put("sources/a/index.html", b"a".to_vec())
            .expect("put");
        let err = staging.commit().expect_err("a link in the way");
        assert!(format!("{err:#}").contains("`sources`"), "{err:#}");
        assert!(
            names(&outside).is_empty(),
            "nothing written through the link"
        );
        assert_eq!(
            fs::read_to_string(output.join("index.html")).expect("read"),
            "v1"
        );
        assert_eq!(names(dir.path()), ["outside", "public"]);
    }

    #[test]
    fn a_folder_without_the_marker_is_not_replaced_unless_forced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let output = dir.path().join("public");
        fs::create_dir(&output).expect("mkdir");
        fs::write(output.join("mine.txt"), "keep").expect("write");
        assert!(Staging::open(&output, false).is_err());
        assert!(Staging::open(&output, true).is_ok());
    }
}
