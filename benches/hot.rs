//! Benchmarks of the hot paths, on the seed briefing in this repository:
//! reader-text extraction, anchoring (exact and drift-tolerant), alias matching (through
//! `model::build`), and rendering every page. `cargo bench`; `cargo bench --no-run` to compile.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use gloss::anchor::{DocIndex, ReaderText, Selector};
use gloss::config::{self, Overrides};
use gloss::diagnostics::Diagnostics;
use gloss::files::Files;
use gloss::{SearchIndex, model, render, source};

fn seed_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A real article of the seed, its Markdown body without front matter.
fn article() -> String {
    let path = seed_root().join("content/sources/microsoft-dual-track-strategy.md");
    let text = std::fs::read_to_string(&path).expect("the seed article is readable");
    match text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
    {
        Some((_, body)) => body.to_string(),
        None => text,
    }
}

fn reader_text(c: &mut Criterion) {
    let markdown = article();
    c.bench_function("reader_text_extract", |b| {
        b.iter(|| ReaderText::extract(black_box(&markdown)).text.len())
    });
}

fn anchoring(c: &mut Criterion) {
    let markdown = article();
    let reader = ReaderText::extract(&markdown).text;
    let index = DocIndex::new(&reader);
    // A quote of twelve words from the middle of the article, and the same with a typo.
    let words: Vec<&str> = reader.split_whitespace().collect();
    let middle = words.len() / 2;
    let quote = words[middle..(middle + 12).min(words.len())].join(" ");
    let drifted = quote.replacen('e', "a", 1);
    c.bench_function("anchor_index_new", |b| {
        b.iter(|| DocIndex::new(black_box(&reader)))
    });
    c.bench_function("anchor_find", |b| {
        let selector = Selector {
            quote: &quote,
            prefix: None,
            suffix: None,
        };
        b.iter(|| index.find(black_box(&selector)).ok())
    });
    c.bench_function("anchor_locate_drifted", |b| {
        let selector = Selector {
            quote: &drifted,
            prefix: None,
            suffix: None,
        };
        b.iter(|| index.locate(black_box(&selector)).ok())
    });
}

/// The seed briefing loaded once: config and sources.
fn load_seed() -> (config::Config, source::SourceSet) {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(
        seed_root(),
        &Overrides::default(),
        &mut files,
        &mut diagnostics,
    )
    .expect("site.toml is readable")
    .expect("site.toml is valid");
    let sources = source::load(&config, files, &mut diagnostics).expect("the seed loads");
    (config, sources)
}

fn model_build(c: &mut Criterion) {
    let (_, sources) = load_seed();
    // Resolving, anchoring every annotation and matching every alias (Aho-Corasick).
    c.bench_function("model_build_seed", |b| {
        b.iter(|| {
            let mut diagnostics = Diagnostics::default();
            model::build(black_box(&sources), &mut diagnostics)
                .mentions
                .len()
        })
    });
}

fn render_seed(c: &mut Criterion) {
    let (config, sources) = load_seed();
    let mut diagnostics = Diagnostics::default();
    let briefing = model::build(&sources, &mut diagnostics);
    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    group.bench_function("render_site_seed", |b| {
        b.iter(|| {
            render::render_site(&config, &sources, &briefing, SearchIndex::Skip)
                .expect("the seed renders")
                .tree
                .files
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, reader_text, anchoring, model_build, render_seed);
criterion_main!(benches);
