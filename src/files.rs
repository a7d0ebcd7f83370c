//! The table of input files that diagnostics point into.
//!
//! Owns [`FileId`], [`SourceFile`] and [`Files`]: the text of every content file gloss read,
//! with a line index, made the first time a byte offset is shown as `line:column` (most files
//! never are: at 8,900 sources the indexes of every file took 18 MiB).
//! It holds text only; reading from disk is `source`'s job.
//! Files are shared (`Arc`), so a clone of the table is cheap: `gloss serve` keeps one per
//! rebuild, in which it replaces or adds the annotation files that changed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in [`Files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(u32);

/// One input file: its path relative to the briefing root and its text
/// (UTF-8, byte-order mark removed, line endings as authored).
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    /// Where each line starts, made when first needed.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        SourceFile {
            path,
            text,
            line_starts: OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// 1-based line and 1-based column (in chars) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line_starts = self.line_starts();
        let line_idx = line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = line_starts[line_idx];
        let column = self.text[line_start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count();
        (line_idx + 1, column + 1)
    }

    /// Byte offset where a 1-based line starts (clamped to the end of the text).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts()
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Byte offset of a 1-based line and 1-based char column.
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| start + i)
            .unwrap_or(self.text.len())
    }
}

/// The largest char boundary at or before `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every file read for one build, addressed by [`FileId`]. Cloning it shares the texts.
#[derive(Clone, Debug, Default)]
pub struct Files {
    files: Vec<Arc<SourceFile>>,
}

impl Files {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 input files"));
        self.files.push(Arc::new(file));
        id
    }

    /// Puts `file` in the place of the file `id`, in this table only (its clones keep theirs).
    pub fn replace(&mut self, id: FileId, file: SourceFile) {
        self.files[id.0 as usize] = Arc::new(file);
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file `id` as shared with this table's clones: two tables hold the same text when
    /// they share it (`Arc::ptr_eq`), without comparing it.
    pub(crate) fn shared(&self, id: FileId) -> &Arc<SourceFile> {
        &self.files[id.0 as usize]
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.get(id).path
    }

    /// The path of every file, in the order they were added.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|file| file.path.as_path())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_from_one() {
        let file = SourceFile::new("a.md".into(), "ab\n’x\r\ny".into());
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(3), (2, 1));
        assert_eq!(file.line_col(6), (2, 2));
        assert_eq!(file.line_col(9), (3, 1));
        assert_eq!(file.offset_of(2, 2), 6);
    }

    #[test]
    fn replacing_a_file_leaves_clones_as_they_were() {
        let mut files = Files::default();
        let id = files.add(SourceFile::new("a.yaml".into(), "old".into()));
        let before = files.clone();
        files.replace(id, SourceFile::new("a.yaml".into(), "new\ntext".into()));
        assert_eq!(files.get(id).text, "new\ntext");
        assert_eq!(files.get(id).line_col(4), (2, 1));
        assert_eq!(before.get(id).text, "old");
    }
}
