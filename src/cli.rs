//! The command line: `gloss build` and `gloss check`, their options, output and exit codes.
//!
//! Owns argument parsing (clap), printing diagnostics and the summary line, and mapping
//! results to exit codes: 0 clean (warnings allowed), 1 content errors, 2 usage or I/O failure.
//! It holds no pipeline logic: it calls [`crate::build_with`], which writes through [`crate::output`].

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;
use crate::diagnostics::{render_github, render_human, render_json};
use crate::{BuildResult, SearchIndex, Summary, Target};

#[derive(Parser, Debug)]
#[command(
    name = "gloss",
    version,
    about = "Build annotated briefings: sources, annotations, entities and themes, cross-linked into a static site"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build the site into the output folder (default `public/`).
    Build(BuildArgs),
    /// Run the whole pipeline and report problems, writing nothing.
    Check(CheckArgs),
    /// Make a new piece of content: `gloss new annotation --source SLUG --quote "…"`.
    #[command(subcommand)]
    New(NewCommand),
    /// Start a new briefing in DIR: site.toml, one example of each content kind, the default
    /// site theme and a GitHub Pages workflow.
    Init(InitArgs),
    /// Serve a live preview: build in memory, rebuild on every change, reload open pages.
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The briefing's folder (holding site.toml).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// The address to listen on; anything but loopback lets other machines see the preview.
    #[arg(long, default_value = "127.0.0.1")]
    interface: std::net::IpAddr,
    /// Open the site in the default browser.
    #[arg(long)]
    open: bool,
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// The briefing's folder (holding site.toml).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Where to write the site (default: `output_dir` from site.toml, or `public`).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Override `base_url`, e.g. `https://owner.github.io/repo/`.
    #[arg(long)]
    base_url: Option<String>,
    /// Replace the output folder even if gloss did not write it.
    #[arg(long)]
    force: bool,
    /// Print the time of each stage (load, model, render, write) and the counts.
    #[arg(long)]
    timings: bool,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// The briefing's folder (holding site.toml).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// How to print diagnostics: for people, as JSON lines, or as GitHub Actions annotations.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Treat warnings as errors (exit 1 when there are any).
    #[arg(long)]
    deny_warnings: bool,
    /// Rewrite annotation files in place for fixable problems (a drifted quote updated to the
    /// current text), touching nothing else in the file; then check again.
    #[arg(long)]
    fix: bool,
}

#[derive(Subcommand, Debug)]
enum NewCommand {
    /// Print an annotation for a passage, with the shortest prefix or suffix that makes the quote
    /// unique (or append it to an annotation file).
    Annotation(NewAnnotationArgs),
}

#[derive(Args, Debug)]
struct NewAnnotationArgs {
    /// The briefing's folder (holding site.toml).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// The slug of the source.
    #[arg(long)]
    source: String,
    /// The passage, copied from the source.
    #[arg(long)]
    quote: String,
    /// Entity slugs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    entities: Vec<String>,
    /// Theme slugs, comma-separated.
    #[arg(long, value_delimiter = ',')]
    themes: Vec<String>,
    /// Append to this annotation file instead of printing.
    #[arg(long)]
    append: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct InitArgs {
    /// The folder to create (it must not exist or be empty).
    dir: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// rustc-style snippets (colour on a terminal unless NO_COLOR is set).
    Human,
    /// One JSON object per line per diagnostic.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`).
    Github,
}

const EXIT_CONTENT: u8 = 1;
const EXIT_FATAL: u8 = 2;

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { EXIT_FATAL } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Build(args) => build(args),
        Command::Check(args) => check(args),
        Command::Serve(args) => crate::serve::run(crate::serve::ServeOptions {
            root: absolute(&args.root),
            interface: args.interface,
            port: args.port,
            open: args.open,
        })
        .map(|()| ExitCode::SUCCESS),
        Command::Init(args) => init(args),
        Command::New(NewCommand::Annotation(args)) => new_annotation(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

fn build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        output_dir: args.output.map(|o| absolute(&o)),
        base_url: args.base_url,
    };
    let result = crate::build_with(
        &absolute(&args.root),
        &overrides,
        SearchIndex::Build,
        Target::Folder { force: args.force },
    )?;
    report(&result, Format::Human);
    let (Some(summary), Some(config)) = (&result.site, &result.config) else {
        return Ok(content_failure(&result));
    };
    if args.timings {
        print_timings(&result);
    }
    println!(
        "built {} into {} in {}",
        counts(summary),
        config.output_dir.display(),
        seconds(&result)
    );
    Ok(ExitCode::SUCCESS)
}

/// `build --timings`, on stderr: each stage's time and the peak memory at its end, then what
/// was written.
fn print_timings(result: &BuildResult) {
    let t = &result.timings;
    let ms = |d: std::time::Duration| format!("{:>8.1} ms", d.as_secs_f64() * 1000.0);
    let peak = |bytes: Option<u64>| match bytes {
        Some(bytes) => format!("   peak memory {:>4} MiB", bytes.div_ceil(1024 * 1024)),
        None => String::new(),
    };
    eprintln!(
        "load (read and parse)              {}{}",
        ms(t.load),
        peak(t.peak_memory[0])
    );
    eprintln!(
        "model (resolve, link, anchor)      {}{}",
        ms(t.model),
        peak(t.peak_memory[1])
    );
    eprintln!("  of which anchor (find quotes)    {}", ms(t.anchor));
    eprintln!(
        "render (pages, search, export)     {}{}",
        ms(t.render),
        peak(t.peak_memory[2])
    );
    for (step, time) in &t.render_steps {
        eprintln!("  {step:<33}{}", ms(*time));
    }
    if let Some(written) = &result.written {
        eprintln!(
            "  write (during render, all threads){}",
            ms(written.writing)
        );
    }
    eprintln!("commit (move the new site in)      {}", ms(t.commit));
    if let Some(written) = &result.written {
        eprintln!(
            "{} files ({} unchanged), {} bytes",
            written.n_files, written.n_unchanged, written.n_bytes
        );
    }
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let root = absolute(&args.root);
    // `check` writes nothing, so it skips the search index, the costliest output.
    let check_build = |root: &Path| {
        crate::build_with(
            root,
            &Overrides::default(),
            SearchIndex::Skip,
            Target::Nowhere,
        )
    };
    let mut result = check_build(&root)?;
    if args.fix {
        let sorted = result.diagnostics.sorted(&result.files);
        let applied = crate::fix::apply(&root, &result.files, &sorted)?;
        if !applied.is_empty() {
            for (path, count) in &applied {
                eprintln!(
                    "fixed {count} problem{} in {path}",
                    if *count == 1 { "" } else { "s" }
                );
            }
            result = check_build(&root)?;
        }
    }
    report(&result, args.format);
    let Some(summary) = &result.site else {
        return Ok(content_failure(&result));
    };
    let n_warnings = result.diagnostics.n_warnings();
    if args.deny_warnings && n_warnings > 0 {
        eprintln!(
            "error: {n_warnings} warning{} denied by --deny-warnings",
            if n_warnings == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::from(EXIT_CONTENT));
    }
    let summary_line = format!(
        "checked {}: no errors{} in {}",
        counts(summary),
        match result.diagnostics.n_warnings() {
            0 => String::new(),
            1 => ", 1 warning".to_string(),
            n => format!(", {n} warnings"),
        },
        seconds(&result)
    );
    // JSON and GitHub output go to stdout for tools; keep the summary out of that stream.
    if args.format == Format::Human {
        println!("{summary_line}");
    } else {
        eprintln!("{summary_line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn new_annotation(args: NewAnnotationArgs) -> anyhow::Result<ExitCode> {
    let request = crate::new_annotation::NewAnnotation {
        source: &args.source,
        quote: &args.quote,
        entities: &args.entities,
        themes: &args.themes,
    };
    let item = match crate::new_annotation::render(&absolute(&args.root), &request) {
        Ok(item) => item,
        Err(err) => {
            eprintln!("error: {err:#}");
            return Ok(ExitCode::from(EXIT_CONTENT));
        }
    };
    match &args.append {
        Some(file) => {
            crate::new_annotation::append(file, &args.source, &item)?;
            println!("appended to {}", file.display());
        }
        None => print!("{item}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let written = crate::scaffold::init(&args.dir)?;
    println!(
        "created a briefing in {} ({} files); next: cd into it and run `gloss build`",
        args.dir.display(),
        written.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn content_failure(result: &BuildResult) -> ExitCode {
    let n = result.diagnostics.n_errors();
    eprintln!(
        "error: {n} problem{} in the content; nothing was written",
        if n == 1 { "" } else { "s" }
    );
    ExitCode::from(EXIT_CONTENT)
}

/// Prints every diagnostic, errors and warnings alike, in a stable order: for people on
/// stderr, as JSON or GitHub commands on stdout (where tools read them).
fn report(result: &BuildResult, format: Format) {
    let diagnostics = result.diagnostics.sorted(&result.files);
    match format {
        Format::Human => {
            use rayon::prelude::*;
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            // Laying a diagnostic out takes far longer than printing it, and a big briefing can
            // have thousands of warnings: they are laid out on every core, then printed in
            // order through one buffer.
            let rendered: Vec<String> = diagnostics
                .par_iter()
                .map(|diagnostic| render_human(diagnostic, &result.files, color))
                .collect();
            let mut stderr = std::io::BufWriter::new(std::io::stderr().lock());
            for text in rendered {
                let _ = writeln!(stderr, "{text}");
            }
            let _ = stderr.flush();
        }
        Format::Json | Format::Github => {
            let mut stdout = std::io::stdout().lock();
            for diagnostic in diagnostics {
                let line = if format == Format::Json {
                    render_json(diagnostic, &result.files)
                } else {
                    render_github(diagnostic, &result.files)
                };
                let _ = writeln!(stdout, "{line}");
            }
        }
    }
}

fn counts(summary: &Summary) -> String {
    format!(
        "{} sources, {} entities, {} themes, {} annotations, {} pages",
        summary.n_sources,
        summary.n_entities,
        summary.n_themes,
        summary.n_annotations,
        summary.n_pages
    )
}

fn seconds(result: &BuildResult) -> String {
    format!("{:.2} s", result.elapsed.as_secs_f64())
}

/// An absolute path without `.` components, so messages show `/briefing/public`, not
/// `/briefing/./public`.
fn absolute(path: &std::path::Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}
