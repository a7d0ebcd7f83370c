//! Linking again after [`Briefing::into_base`], as `gloss serve` does when annotation files
//! change: the briefing and diagnostics must be exactly those of a fresh [`build_from`] of the
//! same inputs, and the anchoring of unchanged files must come from the cache.

use std::path::{Path, PathBuf};

use super::*;
use crate::config::{self, Overrides};
use crate::diagnostics::Diagnostic;
use crate::files::SourceFile;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("the folder is readable");
        let target = to.join(
            entry
                .path()
                .strip_prefix(from)
                .expect("walkdir stays under its root"),
        );
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("creating a folder");
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a file");
        }
    }
}

/// A copy of a briefing (the repository's own when `content` is the repository) in a temporary
/// folder, with the repository's site theme when it has none.
fn copy_briefing(briefing: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::copy(briefing.join("site.toml"), dir.path().join("site.toml"))
        .expect("copying site.toml");
    copy_dir(&briefing.join("content"), &dir.path().join("content"));
    let themes = if briefing.join("themes").is_dir() {
        briefing.join("themes")
    } else {
        repo().join("themes")
    };
    copy_dir(&themes, &dir.path().join("themes"));
    dir
}

/// The sources of the briefing at `root`, and the load stage's diagnostics (which every model
/// run is handed first, as `gloss build` does); `None` when its `site.toml` does not load.
fn load(root: &Path) -> Option<(SourceSet, Vec<Diagnostic>)> {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root, &Overrides::default(), &mut files, &mut diagnostics)
        .expect("site.toml is readable")?;
    let sources =
        crate::source::load(&config, files, &mut diagnostics).expect("the briefing loads");
    Some((sources, diagnostics.into_vec()))
}

fn collector(load_diagnostics: &[Diagnostic]) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    diagnostics.extend(load_diagnostics.iter().cloned());
    diagnostics
}

/// Everything in a briefing but how long anchoring took.
fn arenas(briefing: &Briefing<'_>) -> String {
    format!(
        "{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}\n{:#?}",
        briefing.front,
        briefing.docs,
        briefing.entities,
        briefing.themes,
        briefing.annotations,
        briefing.mentions
    )
}

/// A fresh build of `sources`: its arenas and diagnostics.
fn fresh(sources: &SourceSet, load_diagnostics: &[Diagnostic]) -> (String, Vec<Diagnostic>) {
    let mut diagnostics = collector(load_diagnostics);
    let briefing = build_from(sources, &sources.annotations, &mut diagnostics);
    (arenas(&briefing), diagnostics.into_vec())
}

/// Links `annotations` into `base` with a collector holding `load_diagnostics`.
fn relink<'a>(
    base: Base<'a>,
    files: &Files,
    annotations: &[RawAnnotation],
    load_diagnostics: &[Diagnostic],
) -> (Briefing<'a>, Vec<Diagnostic>) {
    let mut diagnostics = collector(load_diagnostics);
    let briefing = link(base, files, annotations, &mut diagnostics);
    (briefing, diagnostics.into_vec())
}

/// The seed briefing and every fixture briefing whose `site.toml` loads.
fn briefings() -> Vec<PathBuf> {
    let mut briefings = vec![repo().to_path_buf()];
    for entry in walkdir::WalkDir::new(repo().join("tests/fixtures")).sort_by_file_name() {
        let entry = entry.expect("the fixtures are readable");
        if entry.file_name() == "site.toml" {
            briefings.push(
                entry
                    .path()
                    .parent()
                    .expect("a file has a folder")
                    .to_path_buf(),
            );
        }
    }
    briefings
}

#[test]
fn linking_again_gives_what_a_fresh_build_gives() {
    let mut n_checked = 0;
    for briefing in briefings() {
        let copy = copy_briefing(&briefing);
        let Some((sources, load_diagnostics)) = load(copy.path()) else {
            continue;
        };
        let (expected, expected_diagnostics) = fresh(&sources, &load_diagnostics);
        let name = briefing.display();

        let (first, diagnostics) = relink(
            base(&sources),
            &sources.files,
            &sources.annotations,
            &load_diagnostics,
        );
        assert_eq!(arenas(&first), expected, "{name}: first link");
        assert_eq!(diagnostics, expected_diagnostics, "{name}: first link");
        assert_eq!(first.cache_hits(), 0, "{name}: the cache starts empty");
        let n_anchored = first.n_anchored();

        let mut base = first.into_base();
        for round in 1..=2 {
            let (again, diagnostics) = relink(
                base,
                &sources.files,
                &sources.annotations,
                &load_diagnostics,
            );
            assert_eq!(
                arenas(&again),
                expected,
                "{name}: link {round} after into_base"
            );
            assert_eq!(diagnostics, expected_diagnostics, "{name}: link {round}");
            assert_eq!(again.cache_hits(), n_anchored, "{name}: link {round}");
            assert_eq!(again.n_anchored(), 0, "{name}: link {round}");
            base = again.into_base();
        }
        n_checked += 1;
    }
    assert!(n_checked > 10, "the fixtures were found");
}

/// The seed briefing before and after `edit` of its annotation file `name`: the briefing, the
/// changed file's id, and the edited sources (with the same file ids: the same files exist).
struct Edit {
    _before_dir: tempfile::TempDir,
    _after_dir: tempfile::TempDir,
    before: SourceSet,
    before_diagnostics: Vec<Diagnostic>,
    after: SourceSet,
    after_diagnostics: Vec<Diagnostic>,
    file: FileId,
}

impl Edit {
    fn new(name: &str, edit: impl FnOnce(&str) -> String) -> Edit {
        let before_dir = copy_briefing(repo());
        let after_dir = copy_briefing(repo());
        let path = Path::new("content/annotations").join(name);
        let text = std::fs::read_to_string(after_dir.path().join(&path)).expect("the file exists");
        let edited = edit(&text);
        assert_ne!(edited, text, "the edit changes the file");
        std::fs::write(after_dir.path().join(&path), edited).expect("writing the edit");
        let (before, before_diagnostics) = load(before_dir.path()).expect("the seed loads");
        let (after, after_diagnostics) = load(after_dir.path()).expect("the seed loads");
        let file = before
            .annotations
            .iter()
            .map(|raw| raw.file)
            .find(|&file| before.files.path(file) == path)
            .expect("the edited file has annotations");
        assert_eq!(after.files.path(file), path, "the edited file keeps its id");
        Edit {
            _before_dir: before_dir,
            _after_dir: after_dir,
            before,
            before_diagnostics,
            after,
            after_diagnostics,
            file,
        }
    }

    /// The table of the sources before the edit, with the edited file's new text, as
    /// `gloss serve` makes it.
    fn files(&self) -> Files {
        let mut files = self.before.files.clone();
        let edited = self.after.files.get(self.file);
        files.replace(
            self.file,
            SourceFile::new(edited.path.clone(), edited.text.clone()),
        );
        files
    }

    /// Links the sources before the edit, then the edited annotations into what that left, as
    /// `gloss serve` does after a save.
    fn relink_after_saving(&self) -> (Briefing<'_>, Vec<Diagnostic>) {
        let (first, _) = relink(
            base(&self.before),
            &self.before.files,
            &self.before.annotations,
            &self.before_diagnostics,
        );
        relink(
            first.into_base(),
            &self.files(),
            &self.after.annotations,
            &self.after_diagnostics,
        )
    }

    fn n_annotations_of(sources: &SourceSet, file: FileId) -> usize {
        sources
            .annotations
            .iter()
            .filter(|raw| raw.file == file)
            .count()
    }
}

#[test]
fn an_edited_file_is_anchored_again_and_the_others_come_from_the_cache() {
    let edit = Edit::new("microsoft-self-reliant-ai.yaml", |text| {
        text.replacen(
            "quote: \"Microsoft is working to make more of its artificial intelligence infrastructure self-reliant, even as it continues to collaborate closely with OpenAI\"",
            "quote: \"Microsoft is working to make more of its artificial intelligence infrastructure self-reliant\"",
            1,
        )
        .replacen("This is the article's core thesis", "This is the core thesis", 1)
    });
    let (expected, expected_diagnostics) = fresh(&edit.after, &edit.after_diagnostics);
    let (unedited, _) = fresh(&edit.before, &edit.before_diagnostics);
    assert_ne!(expected, unedited, "the edit changes the briefing");

    let (relinked, diagnostics) = edit.relink_after_saving();
    assert_eq!(arenas(&relinked), expected);
    assert_eq!(diagnostics, expected_diagnostics);
    let n_edited = Edit::n_annotations_of(&edit.after, edit.file);
    assert_eq!(relinked.n_anchored(), n_edited);
    assert_eq!(
        relinked.cache_hits(),
        edit.after.annotations.len() - n_edited
    );

    // And back: the old text is anchored again (its entry was replaced by the edited one's).
    let (back, diagnostics) = relink(
        relinked.into_base(),
        &edit.before.files,
        &edit.before.annotations,
        &edit.before_diagnostics,
    );
    let (_, unedited_diagnostics) = fresh(&edit.before, &edit.before_diagnostics);
    assert_eq!(arenas(&back), unedited);
    assert_eq!(diagnostics, unedited_diagnostics);
    assert_eq!(back.n_anchored(), n_edited);
}

#[test]
fn a_duplicate_id_made_by_an_edit_is_reported_and_cleared_by_the_next() {
    // The edited file's annotation loses to the other file's (whose source comes first), and
    // the other way round.
    check_duplicate_id(
        "microsoft-self-reliant-ai.yaml",
        "id: s1-unnamed-remarks",
        "id: s2-fundamental-reshaping",
    );
    check_duplicate_id(
        "microsoft-dual-track-strategy.yaml",
        "id: s2-fundamental-reshaping",
        "id: s1-unnamed-remarks",
    );
}

fn check_duplicate_id(name: &str, id: &str, taken_id: &str) {
    let edit = Edit::new(name, |text| text.replacen(id, taken_id, 1));
    let (expected, expected_diagnostics) = fresh(&edit.after, &edit.after_diagnostics);
    assert!(
        expected_diagnostics
            .iter()
            .any(|d| d.code == crate::diagnostics::Code::DuplicateId),
        "the edit makes a duplicate id"
    );
    let (duplicated, diagnostics) = edit.relink_after_saving();
    let files = edit.files();
    assert_eq!(arenas(&duplicated), expected);
    assert_eq!(diagnostics, expected_diagnostics);

    // The same files again: the one that lost its annotation to the duplicate is checked again.
    let (again, diagnostics) = relink(
        duplicated.into_base(),
        &files,
        &edit.after.annotations,
        &edit.after_diagnostics,
    );
    assert_eq!(arenas(&again), expected);
    assert_eq!(diagnostics, expected_diagnostics);

    let (unedited, unedited_diagnostics) = fresh(&edit.before, &edit.before_diagnostics);
    let (back, diagnostics) = relink(
        again.into_base(),
        &edit.before.files,
        &edit.before.annotations,
        &edit.before_diagnostics,
    );
    assert_eq!(arenas(&back), unedited);
    assert_eq!(diagnostics, unedited_diagnostics);
}

#[test]
fn entries_of_files_left_out_of_a_link_are_dropped() {
    let copy = copy_briefing(repo());
    let (sources, load_diagnostics) = load(copy.path()).expect("the seed loads");
    let first_file = sources.annotations[0].file;
    let (one, other): (Vec<RawAnnotation>, Vec<RawAnnotation>) = sources
        .annotations
        .iter()
        .cloned()
        .partition(|raw| raw.file == first_file);
    assert!(
        !one.is_empty() && !other.is_empty(),
        "the seed has two annotation files"
    );

    let (all, _) = relink(
        base(&sources),
        &sources.files,
        &sources.annotations,
        &load_diagnostics,
    );
    assert_eq!(all.kept.cache.n_files(), 2);
    let (only_one, _) = relink(all.into_base(), &sources.files, &one, &load_diagnostics);
    assert_eq!(only_one.kept.cache.n_files(), 1);
    assert_eq!(only_one.cache_hits(), one.len());
    let (all_again, diagnostics) = relink(
        only_one.into_base(),
        &sources.files,
        &sources.annotations,
        &load_diagnostics,
    );
    assert_eq!(all_again.n_anchored(), other.len());
    assert_eq!(all_again.cache_hits(), one.len());
    let (expected, expected_diagnostics) = fresh(&sources, &load_diagnostics);
    assert_eq!(arenas(&all_again), expected);
    assert_eq!(diagnostics, expected_diagnostics);
}

#[test]
fn annotations_can_be_given_by_reference() {
    let copy = copy_briefing(repo());
    let (sources, load_diagnostics) = load(copy.path()).expect("the seed loads");
    let references: Vec<&RawAnnotation> = sources.annotations.iter().collect();
    let mut diagnostics = collector(&load_diagnostics);
    let briefing = link(
        base(&sources),
        &sources.files,
        &references,
        &mut diagnostics,
    );
    let (expected, expected_diagnostics) = fresh(&sources, &load_diagnostics);
    assert_eq!(arenas(&briefing), expected);
    assert_eq!(diagnostics.into_vec(), expected_diagnostics);
}

#[test]
fn a_base_can_move_to_another_thread() {
    fn is_send<T: Send>() {}
    is_send::<Base<'static>>();
    is_send::<Briefing<'static>>();
}
