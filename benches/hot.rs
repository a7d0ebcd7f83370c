//! Benchmarks of the hot paths, on real text: the seed briefing (`content/`), the seed articles
//! in `../shared/seeds/`, and a sample of BBC News articles read at bench time from
//! `../shared/corpus/bbc` (or `$GLOSS_BENCH_CORPUS`; the BBC benches are skipped with a message
//! when it is absent, and the corpus is never copied into the repository).
//!
//! - `reader_text`: extracting the reader text with its offsets, and mapping reader ranges back
//!   to the Markdown source.
//! - `anchor`: normalising a document once (`DocIndex::new`), then anchoring many quotes: the
//!   seed's own annotations (with their prefixes and suffixes), every sentence of the BBC sample,
//!   and drifted quotes (one character edited) that go through the approximate search.
//! - `model_build`: resolving a briefing. `model::mentions::AliasMatcher` is private, so alias
//!   matching is measured through `model::build` on three variants of the same BBC sample: no
//!   entities (`plain`), many entities with aliases (`aliases`), and that plus annotations
//!   (`full`). `aliases` minus `plain` is the cost of matching aliases.
//! - `model_relink`: what `gloss serve` does when one annotation file is saved: `model::link`
//!   on a `model::Base` kept from the last link (then `Briefing::into_base`), the saved file
//!   anchored and checked again and every other file's annotations taken from the anchor cache;
//!   `model_base` is making the `Base` in the first place. On the seed and the BBC sample.
//! - `render`: rendering every page (`render::render_site`, search index left out, files counted
//!   and dropped) of the seed and of the BBC sample.
//! - `pipeline`: the whole pipeline of the seed in process, as `gloss check` runs it
//!   (`gloss::build_with`, nothing kept) and as `gloss::build` (search index, site in memory).
//!
//! `cargo bench --bench hot`; `cargo bench --bench hot -- --quick` for a fast pass;
//! `cargo bench --bench hot --no-run` to compile only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hint::black_box;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use gloss::anchor::{DocIndex, ReaderText, Selector};
use gloss::config::{self, Config, Overrides};
use gloss::diagnostics::Diagnostics;
use gloss::files::{Files, SourceFile};
use gloss::source::SourceSet;
use gloss::{SearchIndex, Target, model, output, render, source};

/// BBC articles read from each of the corpus's five categories.
const BBC_PER_CATEGORY: usize = 20;
/// Annotations per article in the `full` BBC briefing.
const BBC_ANNOTATIONS_PER_ARTICLE: usize = 5;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------
// Test data

/// One plain-text article as Markdown: paragraphs separated by blank lines.
struct Article {
    category: String,
    stem: String,
    headline: String,
    markdown: String,
}

impl Article {
    fn slug(&self) -> String {
        format!("{}-{}", self.category, self.stem)
    }
}

/// Paragraphs of a plain-text file (blank-line separated), white space collapsed.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|block| block.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|block| !block.is_empty())
        .collect()
}

fn read_text_lossy(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(match String::from_utf8(bytes) {
        Ok(text) => text,
        // One article of the corpus is Latin-1.
        Err(error) => error.into_bytes().iter().map(|&b| char::from(b)).collect(),
    })
}

/// The first [`BBC_PER_CATEGORY`] articles of each category, or `None` (said once) when the
/// corpus is not there.
fn bbc_sample() -> Option<&'static [Article]> {
    static SAMPLE: OnceLock<Option<Vec<Article>>> = OnceLock::new();
    SAMPLE
        .get_or_init(|| {
            let corpus = std::env::var_os("GLOSS_BENCH_CORPUS")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo_root().join("../shared/corpus/bbc"));
            let articles = read_bbc(&corpus);
            if articles.is_empty() {
                eprintln!(
                    "note: no BBC corpus at {}; skipping the BBC benchmarks (set GLOSS_BENCH_CORPUS)",
                    corpus.display()
                );
                return None;
            }
            Some(articles)
        })
        .as_deref()
}

fn read_bbc(corpus: &Path) -> Vec<Article> {
    let Ok(entries) = std::fs::read_dir(corpus) else {
        return Vec::new();
    };
    let mut categories: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    categories.sort();
    let mut articles = Vec::new();
    for category_dir in categories {
        let Ok(entries) = std::fs::read_dir(&category_dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        let category = file_stem(&category_dir);
        for path in files.into_iter().take(BBC_PER_CATEGORY) {
            let Some(text) = read_text_lossy(&path) else {
                continue;
            };
            let mut blocks = paragraphs(&text).into_iter();
            let Some(headline) = blocks.next() else {
                continue;
            };
            articles.push(Article {
                category: category.clone(),
                stem: file_stem(&path),
                headline,
                markdown: blocks.collect::<Vec<_>>().join("\n\n"),
            });
        }
    }
    articles
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The seed's own articles: the bodies of `content/sources/*.md` and `../shared/seeds/*.txt`.
fn seed_texts(sources: &SourceSet) -> Vec<String> {
    let mut texts: Vec<String> = sources
        .docs
        .iter()
        .map(|doc| doc.body.text(&sources.files).to_string())
        .collect();
    if let Ok(entries) = std::fs::read_dir(repo_root().join("../shared/seeds")) {
        let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if let Some(text) = read_text_lossy(&path) {
                texts.push(paragraphs(&text).join("\n\n"));
            }
        }
    }
    texts
}

/// A briefing loaded from disk: its config and sources.
fn load(root: &Path) -> (Config, SourceSet) {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root, &Overrides::default(), &mut files, &mut diagnostics)
        .expect("site.toml is readable")
        .expect("site.toml is valid");
    let sources = source::load(&config, files, &mut diagnostics).expect("the briefing loads");
    assert!(
        !diagnostics.has_errors(),
        "{} does not load cleanly",
        root.display()
    );
    (config, sources)
}

/// Sentences of a reader text that a quote could be: 40 to 300 bytes, split after ". ".
fn sentences(reader_text: &str) -> impl Iterator<Item = &str> {
    reader_text
        .split_inclusive(". ")
        .map(str::trim)
        .filter(|sentence| (40..=300).contains(&sentence.len()))
}

/// The quote with one ASCII letter near its middle changed, so it no longer matches exactly.
fn drift(quote: &str) -> Option<String> {
    let middle = quote.len() / 2;
    let at = (middle..quote.len()).find(|&i| quote.as_bytes()[i].is_ascii_lowercase())?;
    let replacement = if quote.as_bytes()[at] == b'x' {
        'q'
    } else {
        'x'
    };
    let mut drifted = quote.to_string();
    drifted.replace_range(at..at + 1, &replacement.to_string());
    Some(drifted)
}

/// A document prepared for anchoring, with quotes known to anchor in it.
struct Prepared {
    index: DocIndex,
    /// Sentences that occur exactly once, with their reader ranges.
    quotes: Vec<(String, Range<usize>)>,
}

fn prepare(markdown: &str) -> (ReaderText<'_>, Prepared) {
    let reader = ReaderText::extract(markdown);
    let index = DocIndex::new(&reader.text);
    let quotes = sentences(&reader.text)
        .filter_map(|sentence| {
            let selector = Selector {
                quote: sentence,
                prefix: None,
                suffix: None,
            };
            let range = index.find(&selector).ok()?;
            Some((sentence.to_string(), range))
        })
        .collect();
    (reader, Prepared { index, quotes })
}

// ---------------------------------------------------------------------------------------------
// reader_text

fn reader_text(c: &mut Criterion) {
    let (_, seed) = load(repo_root());
    let seed = seed_texts(&seed);
    let mut group = c.benchmark_group("reader_text");
    bench_extract(&mut group, "extract/seed", &seed);
    if let Some(articles) = bbc_sample() {
        let markdown: Vec<String> = articles.iter().map(|a| a.markdown.clone()).collect();
        bench_extract(&mut group, "extract/bbc_sample", &markdown);

        // Mapping every sentence's reader range back to the Markdown source.
        let prepared: Vec<(ReaderText<'_>, Prepared)> =
            markdown.iter().map(|m| prepare(m)).collect();
        let n_ranges: usize = prepared.iter().map(|(_, p)| p.quotes.len()).sum();
        group.throughput(Throughput::Elements(n_ranges as u64));
        group.bench_function("source_range/bbc_sample", |b| {
            b.iter(|| {
                let mut sum = 0;
                for (reader, prepared) in &prepared {
                    for (_, range) in &prepared.quotes {
                        sum += reader.source_range(black_box(range.clone())).end;
                    }
                }
                sum
            })
        });
    }
    group.finish();
}

fn bench_extract(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    texts: &[String],
) {
    let n_bytes: usize = texts.iter().map(String::len).sum();
    group.throughput(Throughput::Bytes(n_bytes as u64));
    group.bench_function(name, |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|text| ReaderText::extract(black_box(text)).events.len())
                .sum::<usize>()
        })
    });
}

// ---------------------------------------------------------------------------------------------
// anchor

/// The seed's annotations: each quote with its prefix and suffix, and the index of its source.
struct SeedQuotes {
    indexes: Vec<DocIndex>,
    selectors: Vec<(usize, String, Option<String>, Option<String>)>,
}

fn seed_quotes() -> SeedQuotes {
    let (_, sources) = load(repo_root());
    let mut by_slug = BTreeMap::new();
    let mut indexes = Vec::new();
    for doc in &sources.docs {
        let slug = doc
            .slug
            .as_ref()
            .map_or_else(|| doc.stem.clone(), |slug| slug.value.clone());
        let reader = ReaderText::extract(doc.body.text(&sources.files));
        by_slug.insert(slug, indexes.len());
        indexes.push(DocIndex::new(&reader.text));
    }
    let selectors = sources
        .annotations
        .iter()
        .filter_map(|annotation| {
            let doc = *by_slug.get(&annotation.source.value)?;
            Some((
                doc,
                annotation.quote.value.clone(),
                annotation.prefix.as_ref().map(|p| p.value.clone()),
                annotation.suffix.as_ref().map(|s| s.value.clone()),
            ))
        })
        .collect();
    SeedQuotes { indexes, selectors }
}

fn anchoring(c: &mut Criterion) {
    let mut group = c.benchmark_group("anchor");
    let seed = seed_quotes();
    group.throughput(Throughput::Elements(seed.selectors.len() as u64));
    group.bench_function("find/seed_annotations", |b| {
        b.iter(|| {
            seed.selectors
                .iter()
                .filter(|(doc, quote, prefix, suffix)| {
                    let selector = Selector {
                        quote,
                        prefix: prefix.as_deref(),
                        suffix: suffix.as_deref(),
                    };
                    seed.indexes[*doc].find(black_box(&selector)).is_ok()
                })
                .count()
        })
    });

    let Some(articles) = bbc_sample() else {
        group.finish();
        return;
    };
    let readers: Vec<String> = articles
        .iter()
        .map(|a| ReaderText::extract(&a.markdown).text)
        .collect();
    let n_bytes: usize = readers.iter().map(String::len).sum();
    group.throughput(Throughput::Bytes(n_bytes as u64));
    group.bench_function("index_new/bbc_sample", |b| {
        b.iter(|| {
            readers
                .iter()
                .map(|text| DocIndex::new(black_box(text)).reader_text().len())
                .sum::<usize>()
        })
    });

    let prepared: Vec<Prepared> = articles.iter().map(|a| prepare(&a.markdown).1).collect();
    let n_quotes: usize = prepared.iter().map(|p| p.quotes.len()).sum();
    group.throughput(Throughput::Elements(n_quotes as u64));
    group.bench_function("find/bbc_every_sentence", |b| {
        b.iter(|| {
            let mut found = 0;
            for doc in &prepared {
                for (quote, _) in &doc.quotes {
                    let selector = Selector {
                        quote,
                        prefix: None,
                        suffix: None,
                    };
                    found += usize::from(doc.index.find(black_box(&selector)).is_ok());
                }
            }
            found
        })
    });

    // Every fourth sentence with one letter changed, kept where `locate` accepts the drift.
    let drifted: Vec<(&DocIndex, String)> = prepared
        .iter()
        .flat_map(|doc| {
            doc.quotes.iter().step_by(4).filter_map(|(quote, _)| {
                let drifted = drift(quote)?;
                let selector = Selector {
                    quote: &drifted,
                    prefix: None,
                    suffix: None,
                };
                let located = doc.index.locate(&selector).ok()?;
                located.drift.is_some().then_some((&doc.index, drifted))
            })
        })
        .collect();
    group.throughput(Throughput::Elements(drifted.len() as u64));
    group.sample_size(20);
    group.bench_function("locate/bbc_drifted", |b| {
        b.iter(|| {
            drifted
                .iter()
                .filter(|(index, quote)| {
                    let selector = Selector {
                        quote,
                        prefix: None,
                        suffix: None,
                    };
                    index.locate(black_box(&selector)).is_ok()
                })
                .count()
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Briefings written at bench time (into a temporary folder) from the BBC sample

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// Sources and themes only.
    Plain,
    /// Plus an entity for every capitalised name, some with an acronym alias.
    Aliases,
    /// Plus annotations quoting sentences.
    Full,
}

/// Words that start a capitalised run but are not part of a name.
const STOP_WORDS: &[&str] = &[
    "The", "A", "An", "But", "And", "Or", "In", "On", "At", "Of", "For", "To", "From", "By",
    "With", "As", "It", "Its", "He", "She", "They", "We", "I", "This", "That", "If", "When",
    "While", "After", "Before", "Last", "Next", "Now", "So", "Yet", "Also", "However", "His",
    "Her", "Their", "There", "Mr", "Mrs", "Ms", "Dr",
];

/// Runs of two to four capitalised words, without leading or trailing stop words.
fn capitalised_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let mut flush = |run: &mut Vec<&str>| {
        while run.first().is_some_and(|w| STOP_WORDS.contains(w)) {
            run.remove(0);
        }
        while run.last().is_some_and(|w| STOP_WORDS.contains(w)) {
            run.pop();
        }
        if (2..=4).contains(&run.len()) {
            names.push(run.join(" "));
        }
        run.clear();
    };
    for raw in text.split_whitespace() {
        let word = raw.trim_end_matches([',', '.', ';', ':', '!', '?', '"', ')', '\'']);
        let capitalised = word.len() > 1
            && word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if capitalised {
            run.push(word);
        } else {
            flush(&mut run);
        }
        if raw != word {
            flush(&mut run);
        }
    }
    flush(&mut run);
    names
}

/// Entities (slug → name and aliases) for every name in the sample; names of three or more
/// words also get their initials as an alias when no other entity claims them.
fn entities(articles: &[Article]) -> BTreeMap<String, (String, Vec<String>)> {
    let names: BTreeSet<String> = articles
        .iter()
        .flat_map(|a| capitalised_names(&a.markdown))
        .collect();
    let mut entities = BTreeMap::new();
    let mut claimed: BTreeSet<String> = names.clone();
    for name in names {
        let slug = model::slugify(&name);
        if !model::is_valid_slug(&slug) || entities.contains_key(&slug) {
            continue;
        }
        let mut aliases = Vec::new();
        let words: Vec<&str> = name.split(' ').collect();
        if words.len() >= 3 {
            let initials: String = words.iter().filter_map(|w| w.chars().next()).collect();
            if claimed.insert(initials.clone()) {
                aliases.push(initials);
            }
        }
        entities.insert(slug, (name, aliases));
    }
    entities
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("the site theme is readable");
        let relative = entry
            .path()
            .strip_prefix(from)
            .expect("walkdir stays under its root");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("creating a theme folder");
        } else {
            std::fs::copy(entry.path(), &target).expect("copying a theme file");
        }
    }
}

/// Writes the BBC sample as a briefing under `root`; returns (entities, aliases, annotations).
fn write_briefing(root: &Path, articles: &[Article], variant: Variant) -> (usize, usize, usize) {
    let write = |relative: &str, text: &str| {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("a file has a folder"))
            .expect("creating a content folder");
        std::fs::write(&path, text).expect("writing a content file");
    };
    copy_dir(
        &repo_root().join("themes/default"),
        &root.join("themes/default"),
    );
    write(
        "site.toml",
        "title = \"BBC sample\"\nbase_url = \"https://example.org/bbc/\"\n",
    );
    write(
        "content/_index.md",
        "---\ntitle: \"BBC sample\"\n---\n\nA benchmark briefing.\n",
    );
    let categories: BTreeSet<&str> = articles.iter().map(|a| a.category.as_str()).collect();
    for category in &categories {
        write(
            &format!("content/themes/{category}.md"),
            &format!("---\ntitle: \"{category}\"\n---\n\nArticles filed under {category}.\n"),
        );
    }
    let (mut n_entities, mut n_aliases, mut n_annotations) = (0, 0, 0);
    if variant != Variant::Plain {
        for (slug, (name, aliases)) in entities(articles) {
            let aliases: Vec<String> = aliases.iter().map(|a| yaml_string(a)).collect();
            write(
                &format!("content/entities/{slug}.md"),
                &format!(
                    "---\nname: {}\naliases: [{}]\n---\n\n{name}, as named in the articles.\n",
                    yaml_string(&name),
                    aliases.join(", ")
                ),
            );
            n_entities += 1;
            n_aliases += 1 + aliases.len();
        }
    }
    for (number, article) in articles.iter().enumerate() {
        let slug = article.slug();
        write(
            &format!("content/sources/{slug}.md"),
            &format!(
                "---\ntitle: {}\ndate: 2005-01-{:02}\n---\n\n{}\n",
                yaml_string(&article.headline),
                number % 28 + 1,
                article.markdown
            ),
        );
        if variant == Variant::Full {
            let (_, prepared) = prepare(&article.markdown);
            let step = (prepared.quotes.len() / BBC_ANNOTATIONS_PER_ARTICLE).max(1);
            let mut yaml = format!("source: {slug}\nannotations:\n");
            for (quote, _) in prepared
                .quotes
                .iter()
                .step_by(step)
                .take(BBC_ANNOTATIONS_PER_ARTICLE)
            {
                let _ = write!(
                    yaml,
                    "  - quote: {}\n    note: \"Why this sentence matters.\"\n    themes: [{}]\n",
                    yaml_string(quote),
                    article.category
                );
                n_annotations += 1;
            }
            write(&format!("content/annotations/{slug}.yaml"), &yaml);
        }
    }
    (n_entities, n_aliases, n_annotations)
}

// ---------------------------------------------------------------------------------------------
// model_build and render

fn bench_model_build(c: &mut Criterion, name: &str, sources: &SourceSet) {
    c.bench_function(name, |b| {
        b.iter(|| {
            let mut diagnostics = Diagnostics::default();
            model::build(black_box(sources), &mut diagnostics)
                .mentions
                .len()
        })
    });
}

/// Making a `Base`, and linking again after one annotation file changed: the link alternates
/// between the sources' own file table and a clone in which that file has a comment added at
/// its end (the same annotations, a different text), so every link finds one file changed.
fn bench_relink(c: &mut Criterion, name: &str, sources: &SourceSet) {
    let mut group = c.benchmark_group("model_base");
    group.bench_function(name, |b| b.iter(|| model::base(black_box(sources))));
    group.finish();

    let Some(changed) = sources
        .annotations
        .get(sources.annotations.len() / 2)
        .map(|raw| raw.file)
    else {
        return;
    };
    let mut edited = sources.files.clone();
    let file = sources.files.get(changed);
    edited.replace(
        changed,
        SourceFile::new(file.path.clone(), format!("{}\n# edited\n", file.text)),
    );
    let mut diagnostics = Diagnostics::default();
    let briefing = model::build(sources, &mut diagnostics);
    assert!(!diagnostics.has_errors(), "{name}: the briefing has errors");
    let mut base = Some(briefing.into_base());
    let mut use_edited = false;
    let mut group = c.benchmark_group("model_relink");
    group.bench_function(name, |b| {
        b.iter(|| {
            use_edited = !use_edited;
            let files = if use_edited { &edited } else { &sources.files };
            let mut diagnostics = Diagnostics::default();
            let briefing = model::link(
                base.take().expect("each link puts the base back"),
                files,
                &sources.annotations,
                &mut diagnostics,
            );
            assert_eq!(
                briefing.n_anchored(),
                sources
                    .annotations
                    .iter()
                    .filter(|raw| raw.file == changed)
                    .count(),
                "{name}: only the changed file is anchored again"
            );
            let n_annotations = briefing.annotations.len();
            base = Some(briefing.into_base());
            n_annotations
        })
    });
    group.finish();
}

/// Takes every rendered file and keeps only its size: `output::Discard` tells the renderer that
/// nothing is kept, and then it skips the templates (as `gloss check` does).
#[derive(Default)]
struct CountingSink {
    n_bytes: AtomicUsize,
}

impl output::Sink for CountingSink {
    fn put(&self, _path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.n_bytes.fetch_add(bytes.len(), Ordering::Relaxed);
        Ok(())
    }
}

fn bench_render(c: &mut Criterion, name: &str, config: &Config, sources: &SourceSet) {
    let mut diagnostics = Diagnostics::default();
    let briefing = model::build(sources, &mut diagnostics);
    assert!(!diagnostics.has_errors(), "{name}: the briefing has errors");
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.bench_function(name, |b| {
        b.iter(|| {
            let sink = CountingSink::default();
            let rendering =
                render::render_site(config, sources, &briefing, SearchIndex::Skip, &sink)
                    .expect("the briefing renders");
            (rendering.n_pages, sink.n_bytes.into_inner())
        })
    });
    group.finish();
}

fn seed_site(c: &mut Criterion) {
    let (config, sources) = load(repo_root());
    bench_model_build(c, "model_build/seed", &sources);
    bench_relink(c, "seed", &sources);
    bench_render(c, "render_site/seed", &config, &sources);
    // The whole pipeline in process: what `gloss check` runs (pages rendered and dropped), and
    // `gloss::build` (search index included, the site kept in memory).
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    group.bench_function("check/seed", |b| {
        b.iter(|| {
            let result = gloss::build_with(
                repo_root(),
                &Overrides::default(),
                SearchIndex::Skip,
                Target::Nowhere,
            )
            .expect("the seed builds");
            assert!(
                !result.diagnostics.has_errors(),
                "the seed builds without errors"
            );
            result
        })
    });
    group.bench_function("build_in_memory/seed", |b| {
        b.iter(|| {
            let result = gloss::build(repo_root(), &Overrides::default()).expect("the seed builds");
            assert!(result.tree.is_some(), "the seed builds without errors");
            result
        })
    });
    group.finish();
}

fn bbc_site(c: &mut Criterion) {
    let Some(articles) = bbc_sample() else {
        return;
    };
    let folder = tempfile::tempdir().expect("a temporary folder");
    for (variant, label) in [
        (Variant::Plain, "plain"),
        (Variant::Aliases, "aliases"),
        (Variant::Full, "full"),
    ] {
        let root = folder.path().join(label);
        let (n_entities, n_aliases, n_annotations) = write_briefing(&root, articles, variant);
        eprintln!(
            "bbc_sample/{label}: {} sources, {n_entities} entities, {n_aliases} names and aliases, \
             {n_annotations} annotations",
            articles.len()
        );
        let (config, sources) = load(&root);
        bench_model_build(c, &format!("model_build/bbc_sample_{label}"), &sources);
        if variant == Variant::Full {
            bench_relink(c, "bbc_sample_full", &sources);
            bench_render(c, "render_site/bbc_sample_full", &config, &sources);
        }
    }
}

criterion_group!(benches, reader_text, anchoring, seed_site, bbc_site);
criterion_main!(benches);
