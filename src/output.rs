//! Output: where the rendered files go, and the only writer of the output folder.
//!
//! Rendering hands each file to a [`Sink`] as soon as it is made, so a site is never held in
//! memory whole. [`Staging`] writes them (in parallel, as rendering runs) to a staging folder
//! beside the output and swaps it in only when the build succeeded, so a failed or interrupted
//! build leaves the previous site intact. Unchanged files are hard-linked from the previous
//! site and keep their modification time. A marker file records that gloss owns the folder;
//! gloss refuses to replace a folder without it (unless forced), so it never deletes files it
//! did not write. [`OutputTree`] (in memory, for `serve` and tests) and [`Discard`] (`check`)
//! are the other sinks. Must not: decide what a file holds.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context as _, bail};

use crate::render::OutputTree;

/// Name of the file that marks a folder as written by gloss.
pub const MARKER: &str = ".gloss-output";
const MARKER_TEXT: &str = "This folder is written by gloss and replaced on every build. Files (XXH3-128, length, path):\n";

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

/// A new site being written beside `output_dir`; [`Staging::commit`] swaps it in, and dropping
/// it uncommitted removes it and leaves the previous site as it was.
pub struct Staging {
    output_dir: PathBuf,
    staging: PathBuf,
    /// The site being replaced, to hard-link unchanged files from.
    previous: Option<PathBuf>,
    /// What the previous site's marker says each file held.
    manifest: Manifest,
    /// Every file written, to find a file/folder clash, count, and list in the new marker.
    written: Mutex<Vec<(String, Fingerprint)>>,
    n_bytes: AtomicU64,
    n_linked: AtomicUsize,
    /// Nanoseconds spent writing and linking files, summed over threads.
    writing_nanos: AtomicU64,
    committed: bool,
}

/// How much a [`Staging`] wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteStats {
    pub n_files: usize,
    /// Of `n_files`, how many were unchanged and hard-linked from the previous site.
    pub n_unchanged: usize,
    pub n_bytes: u64,
    /// Time spent hashing, writing and linking files, summed over the threads that did it
    /// (while pages were being rendered).
    pub writing: std::time::Duration,
}

impl Staging {
    /// Checks that `output_dir` may be replaced (`force` allows a folder gloss did not write)
    /// and creates the staging folder beside it.
    pub fn open(output_dir: &Path, force: bool) -> anyhow::Result<Staging> {
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
        let previous = output_dir.is_dir().then(|| output_dir.to_path_buf());
        let manifest = previous.as_deref().map(Manifest::read).unwrap_or_default();
        Ok(Staging {
            output_dir: output_dir.to_path_buf(),
            staging,
            previous,
            manifest,
            written: Mutex::new(Vec::new()),
            n_bytes: AtomicU64::new(0),
            n_linked: AtomicUsize::new(0),
            writing_nanos: AtomicU64::new(0),
            committed: false,
        })
    }

    /// Writes the marker and swaps the staging folder in for the output folder.
    pub fn commit(mut self) -> anyhow::Result<WriteStats> {
        let mut written =
            std::mem::take(&mut *self.written.lock().unwrap_or_else(|e| e.into_inner()));
        check_paths(written.iter().map(|(path, _)| path.as_str()))?;
        written.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        fs::write(self.staging.join(MARKER), Manifest::text(&written))
            .with_context(|| format!("writing {}", self.staging.join(MARKER).display()))?;
        let output_dir = &self.output_dir;
        let parent = output_dir
            .parent()
            .context("the output folder has no parent folder")?;
        let name = output_dir
            .file_name()
            .context("the output folder has no name")?
            .to_string_lossy()
            .into_owned();
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
        Ok(WriteStats {
            n_files: written.len(),
            n_unchanged: self.n_linked.load(Ordering::Relaxed),
            n_bytes: self.n_bytes.load(Ordering::Relaxed),
            writing: std::time::Duration::from_nanos(self.writing_nanos.load(Ordering::Relaxed)),
        })
    }

    fn record(&self, path: &str, fingerprint: Fingerprint) {
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.to_string(), fingerprint));
    }

    /// The previous site's copy of `path` when it holds exactly `fingerprint`'s bytes, as its
    /// marker recorded them, and nobody has touched it since (it is no newer than the marker).
    fn unchanged(&self, path: &str, fingerprint: Fingerprint) -> Option<PathBuf> {
        let previous = self.previous.as_ref()?.join(path);
        if self.manifest.files.get(path) != Some(&fingerprint) {
            return None;
        }
        let meta = fs::symlink_metadata(&previous).ok()?;
        let untouched = meta.is_file()
            && meta.len() == fingerprint.len
            && meta
                .modified()
                .ok()
                .zip(self.manifest.written)
                .is_some_and(|(m, w)| m <= w);
        untouched.then_some(previous)
    }
}

/// Removes the folder `root` and all it holds, like [`fs::remove_dir_all`], on every core: the
/// entries two levels down (each source's and entity's folder) are removed in parallel.
fn remove_tree(root: &Path) -> std::io::Result<()> {
    use rayon::prelude::*;
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

/// The marker file: the notice, then one line per file gloss wrote (`<hash> <length> <path>`),
/// so the next build can tell unchanged files without reading them.
#[derive(Debug, Default)]
struct Manifest {
    files: std::collections::HashMap<String, Fingerprint>,
    /// When the marker was written: a file modified later was edited by hand.
    written: Option<std::time::SystemTime>,
}

impl Manifest {
    fn read(output_dir: &Path) -> Manifest {
        let path = output_dir.join(MARKER);
        let Ok(text) = fs::read_to_string(&path) else {
            return Manifest::default();
        };
        let files = text
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut parts = line.splitn(3, ' ');
                let hash = u128::from_str_radix(parts.next()?, 16).ok()?;
                let len = parts.next()?.parse().ok()?;
                Some((parts.next()?.to_string(), Fingerprint { len, hash }))
            })
            .collect();
        Manifest {
            files,
            written: fs::metadata(&path).and_then(|m| m.modified()).ok(),
        }
    }

    fn text(written: &[(String, Fingerprint)]) -> String {
        let mut text = String::from(MARKER_TEXT);
        for (path, fingerprint) in written {
            text.push_str(&format!(
                "{:032x} {} {path}\n",
                fingerprint.hash, fingerprint.len
            ));
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
        self.record(path, fingerprint);
        let target = self.staging.join(path);
        let old = self.unchanged(path, fingerprint);
        self.n_bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        match write_or_link(&target, &bytes, old.as_deref()) {
            Ok(linked) => {
                if linked {
                    self.n_linked.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
            Err(err) => {
                // A file where a folder must go (or the reverse) fails here or at another path
                // first, depending on the order; name the clash rather than the I/O error.
                let written = self.written.lock().unwrap_or_else(|e| e.into_inner());
                check_paths(written.iter().map(|(path, _)| path.as_str()))?;
                Err(err).with_context(|| format!("writing {}", target.display()))
            }
        }
    }
}

impl Staging {
    /// [`Sink::put_with`]: the bytes go to the staging file as they are written, and are
    /// fingerprinted on the way; an unchanged file is then swapped for a link to the old one.
    fn stream(&self, path: &str, write: &mut WriteFile<'_>) -> anyhow::Result<()> {
        check_plain(path)?;
        let target = self.staging.join(path);
        if let Some(folder) = target.parent() {
            fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
        }
        let file =
            fs::File::create(&target).with_context(|| format!("writing {}", target.display()))?;
        let mut writer = FingerprintWriter {
            inner: std::io::BufWriter::with_capacity(256 * 1024, file),
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            len: 0,
        };
        write(&mut writer)?;
        writer
            .inner
            .into_inner()
            .map_err(|err| err.into_error())
            .with_context(|| format!("writing {}", target.display()))?;
        let fingerprint = Fingerprint {
            len: writer.len,
            hash: writer.hasher.digest128(),
        };
        self.record(path, fingerprint);
        self.n_bytes.fetch_add(writer.len, Ordering::Relaxed);
        if let Some(old) = self.unchanged(path, fingerprint) {
            // Keep the old file, and so its modification time.
            let linked = fs::remove_file(&target).and_then(|()| fs::hard_link(&old, &target));
            linked.with_context(|| format!("linking {}", target.display()))?;
            self.n_linked.fetch_add(1, Ordering::Relaxed);
        }
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

/// Replaces `output_dir` with `tree`. `force` allows replacing a folder gloss did not write.
pub fn write(tree: &OutputTree, output_dir: &Path, force: bool) -> anyhow::Result<WriteStats> {
    check_paths(tree.files.keys().map(String::as_str))?;
    let staging = Staging::open(output_dir, force)?;
    {
        use rayon::prelude::*;
        tree.files
            .par_iter()
            .try_for_each(|(path, bytes)| staging.put(path, bytes.clone()))?;
    }
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

/// Writes `bytes` to `target`, or hard-links `unchanged` (the previous site's copy, known to
/// hold these bytes) there: an unchanged page keeps its modification time (rsync and HTTP
/// caches see it unchanged) and costs no copy. Falls back to writing when linking fails
/// (another file system, no support). Creates `target`'s folder when missing. `Ok(true)` when
/// it linked.
fn write_or_link(target: &Path, bytes: &[u8], unchanged: Option<&Path>) -> std::io::Result<bool> {
    let create_folder = || match target.parent() {
        Some(folder) => fs::create_dir_all(folder),
        None => Ok(()),
    };
    if let Some(previous) = unchanged {
        let linked = match fs::hard_link(previous, target) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                create_folder()?;
                fs::hard_link(previous, target)
            }
            other => other,
        };
        if linked.is_ok() {
            return Ok(true);
        }
    }
    match fs::write(target, bytes) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            create_folder()?;
            fs::write(target, bytes)?;
        }
        other => other?,
    }
    Ok(false)
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

    #[test]
    fn the_previous_site_is_removed_whole_and_links_in_it_are_not_followed() {
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
        let mut names: Vec<_> = fs::read_dir(&output)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, [MARKER, "index.html"]);
        assert_eq!(
            fs::read_to_string(outside.join("keep.txt")).expect("still there"),
            "keep"
        );
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left.len(), 2, "no old site left beside: {left:?}");
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
