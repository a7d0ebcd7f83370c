//! Turns a folder of plain-text news articles into a gloss briefing, for benchmarks and scale
//! tests: `cargo run --release --example bbc_briefing -- CORPUS_DIR OUT_DIR [--scale N]`.
//!
//! The corpus layout is `<category>/<nnn>.txt`, each file a headline line, then paragraphs
//! separated by blank lines (the BBC News dataset). Out come sources (one per article, `N`
//! copies with `--scale N`), entities (capitalised names found in at least two articles),
//! themes (one per category) and about ten annotations per source quoting real sentences,
//! each checked with gloss's own anchoring so the briefing builds without errors.
//! Files that are not UTF-8 are reported and read as Latin-1.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gloss::anchor::{DocIndex, ReaderText, Selector};

const LEADING_STOP: &[&str] = &[
    "The",
    "A",
    "An",
    "But",
    "And",
    "Or",
    "In",
    "On",
    "At",
    "Of",
    "For",
    "To",
    "From",
    "By",
    "With",
    "As",
    "It",
    "Its",
    "He",
    "She",
    "They",
    "We",
    "I",
    "This",
    "That",
    "These",
    "Those",
    "If",
    "When",
    "While",
    "After",
    "Before",
    "Last",
    "Next",
    "Now",
    "So",
    "Yet",
    "Also",
    "However",
    "Meanwhile",
    "His",
    "Her",
    "Their",
    "Our",
    "There",
    "Here",
    "Under",
    "Over",
    "Since",
    "Despite",
    "According",
    "Although",
    "Speaking",
    "Like",
    "Many",
    "Some",
    "Both",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
];
const MAX_ENTITIES: usize = 3000;
const ANNOTATIONS_PER_SOURCE: usize = 10;

struct Article {
    category: String,
    stem: String,
    headline: String,
    paragraphs: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(corpus), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: bbc_briefing CORPUS_DIR OUT_DIR [--scale N]");
        std::process::exit(2);
    };
    let scale: usize = match args.get(2).map(String::as_str) {
        Some("--scale") => args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1),
        _ => 1,
    };
    if let Err(err) = run(Path::new(corpus), Path::new(out), scale) {
        eprintln!("error: {err}");
        std::process::exit(2);
    }
}

fn run(corpus: &Path, out: &Path, scale: usize) -> std::io::Result<()> {
    let articles = read_corpus(corpus)?;
    let entities = find_entities(&articles);
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    for dir in [
        "content/sources",
        "content/entities",
        "content/themes",
        "content/annotations",
    ] {
        std::fs::create_dir_all(out.join(dir))?;
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&here.join("themes/default"), &out.join("themes/default"))?;
    std::fs::write(
        out.join("site.toml"),
        "title = \"BBC News 2004-2005\"\nbase_url = \"https://example.org/bbc/\"\n\
         description = \"2,225 BBC News articles, annotated.\"\n",
    )?;
    std::fs::write(
        out.join("content/_index.md"),
        "---\ntitle: \"BBC News 2004-2005\"\nsummary: \"A benchmark briefing.\"\n---\n\nArticles from the BBC News dataset.\n",
    )?;

    let categories: BTreeSet<&str> = articles.iter().map(|a| a.category.as_str()).collect();
    for (order, category) in categories.iter().enumerate() {
        std::fs::write(
            out.join(format!("content/themes/{category}.md")),
            format!(
                "---\ntitle: \"{}\"\norder: {order}\n---\n\nArticles filed under {category}.\n",
                title_case(category)
            ),
        )?;
    }
    for (slug, (name, kind)) in &entities.by_slug {
        std::fs::write(
            out.join(format!("content/entities/{slug}.md")),
            format!(
                "---\nname: {}\nkind: {kind}\n---\n\n{name}, as named in the articles.\n",
                yaml_string(name)
            ),
        )?;
    }

    let matcher = EntityMatcher::new(&entities);
    let (mut n_sources, mut n_annotations) = (0, 0);
    for copy in 1..=scale {
        for article in &articles {
            let slug = if copy == 1 {
                format!("{}-{}", article.category, article.stem)
            } else {
                format!("{}-{}-c{copy}", article.category, article.stem)
            };
            let body = article.paragraphs.join("\n\n");
            let mut source = String::new();
            let _ = write!(
                source,
                "---\ntitle: {}\npublisher: \"BBC News\"\ndate: {}\nsummary: {}\n---\n\n{body}\n",
                yaml_string(&article.headline),
                fake_date(&slug),
                yaml_string(article.paragraphs.first().map(String::as_str).unwrap_or(""))
            );
            std::fs::write(out.join(format!("content/sources/{slug}.md")), &source)?;
            let annotations = annotate(&slug, &article.category, &body, &matcher);
            n_annotations += annotations.1;
            std::fs::write(
                out.join(format!("content/annotations/{slug}.yaml")),
                annotations.0,
            )?;
            n_sources += 1;
        }
    }
    eprintln!(
        "wrote {n_sources} sources, {} entities, {} themes, {n_annotations} annotations to {}",
        entities.by_slug.len(),
        categories.len(),
        out.display()
    );
    Ok(())
}

fn read_corpus(corpus: &Path) -> std::io::Result<Vec<Article>> {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(corpus)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "txt"))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    let mut articles = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path)?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                eprintln!("note: {} is not UTF-8; read as Latin-1", path.display());
                err.into_bytes().iter().map(|&b| char::from(b)).collect()
            }
        };
        let mut blocks = text
            .split("\n\n")
            .map(|b| b.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|b| !b.is_empty());
        let Some(headline) = blocks.next() else {
            eprintln!("note: {} is empty; skipped", path.display());
            continue;
        };
        let category = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        articles.push(Article {
            category,
            stem,
            headline,
            paragraphs: blocks.map(|b| escape_markdown(&b)).collect(),
        });
    }
    Ok(articles)
}

/// Keeps article text from turning into Markdown markup (lists, headings, emphasis).
fn escape_markdown(paragraph: &str) -> String {
    let mut out = String::with_capacity(paragraph.len());
    for c in paragraph.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    }
    out
}

struct Entities {
    /// slug → (name, kind)
    by_slug: BTreeMap<String, (String, &'static str)>,
}

/// Capitalised runs of two to four words, without leading function words, found in at least
/// two articles; the most widespread first.
fn find_entities(articles: &[Article]) -> Entities {
    let mut document_frequency: BTreeMap<String, usize> = BTreeMap::new();
    for article in articles {
        let mut seen = BTreeSet::new();
        for paragraph in &article.paragraphs {
            for name in capitalised_runs(paragraph) {
                seen.insert(name);
            }
        }
        for name in seen {
            *document_frequency.entry(name).or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<(String, usize)> = document_frequency
        .into_iter()
        .filter(|(_, n)| *n >= 2)
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut by_slug = BTreeMap::new();
    for (name, _) in ranked {
        if by_slug.len() >= MAX_ENTITIES {
            break;
        }
        let slug = gloss::model::slugify(&name);
        let kind = if name.ends_with(" Party")
            || name.ends_with(" Bank")
            || name.ends_with(" Group")
            || name.ends_with(" Office")
            || name.ends_with(" Club")
        {
            "organization"
        } else if name.split(' ').count() == 2 {
            "person"
        } else {
            "other"
        };
        by_slug.entry(slug).or_insert((name, kind));
    }
    Entities { by_slug }
}

fn capitalised_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let flush = |current: &mut Vec<&str>, runs: &mut Vec<String>| {
        while current.first().is_some_and(|w| LEADING_STOP.contains(w)) {
            current.remove(0);
        }
        while current.last().is_some_and(|w| LEADING_STOP.contains(w)) {
            current.pop();
        }
        if (2..=4).contains(&current.len()) {
            runs.push(current.join(" "));
        }
        current.clear();
    };
    for raw in text.split(' ') {
        let word = raw.trim_end_matches([',', '.', ';', ':', '!', '?', '"', ')', '\'']);
        let clean = word.trim_start_matches(['"', '(', '\'']);
        let capitalised = clean.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && clean.len() > 1
            && clean
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '&')
            && clean == word;
        if capitalised {
            current.push(clean);
        } else {
            flush(&mut current, &mut runs);
        }
        if raw != word {
            flush(&mut current, &mut runs);
        }
    }
    flush(&mut current, &mut runs);
    runs
}

struct EntityMatcher {
    automaton: aho_corasick::AhoCorasick,
    slugs: Vec<String>,
}

impl EntityMatcher {
    fn new(entities: &Entities) -> Self {
        let names: Vec<&str> = entities.by_slug.values().map(|(n, _)| n.as_str()).collect();
        EntityMatcher {
            automaton: aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(&names)
                .expect("names build an automaton"),
            slugs: entities.by_slug.keys().cloned().collect(),
        }
    }

    fn slugs_in(&self, text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = self
            .automaton
            .find_iter(text)
            .map(|m| self.slugs[m.pattern().as_usize()].as_str())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// About ten annotations quoting whole sentences spread over the article, each one checked to
/// anchor exactly once.
fn annotate(slug: &str, category: &str, body: &str, matcher: &EntityMatcher) -> (String, usize) {
    let reader = ReaderText::extract(body);
    let index = DocIndex::new(&reader.text);
    let sentences: Vec<&str> = reader
        .text
        .split_inclusive(". ")
        .map(str::trim)
        .filter(|s| (40..=300).contains(&s.len()))
        .collect();
    let step = (sentences.len() / ANNOTATIONS_PER_SOURCE).max(1);
    let mut yaml = format!("source: {slug}\nannotations:\n");
    let mut count = 0;
    for (k, sentence) in sentences
        .iter()
        .step_by(step)
        .take(ANNOTATIONS_PER_SOURCE)
        .enumerate()
    {
        let selector = Selector {
            quote: sentence,
            prefix: None,
            suffix: None,
        };
        if index.find(&selector).is_err() {
            continue;
        }
        let entities = matcher.slugs_in(sentence);
        let kind = ["note", "context", "claim", "question"][k % 4];
        let _ = write!(
            yaml,
            "  - id: {slug}-{k}\n    quote: {}\n    kind: {kind}\n    note: \"Annotation {k} on this article: what the sentence says and why it matters.\"\n    entities: [{}]\n    themes: [{category}]\n",
            yaml_string(sentence),
            entities.join(", ")
        );
        count += 1;
    }
    if count == 0 {
        yaml = format!("source: {slug}\nannotations: []\n");
    }
    (yaml, count)
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// A date derived from the slug, so the same corpus gives the same briefing.
fn fake_date(slug: &str) -> String {
    let hash = slug
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("2004-{:02}-{:02}", 1 + hash % 12, 1 + (hash / 12) % 28)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let relative = entry.path().strip_prefix(from).expect("under from");
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
