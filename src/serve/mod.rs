//! `gloss serve`: a live preview of the briefing, built in memory and served over HTTP.
//!
//! Owns the file watcher (`watcher`), the HTTP loop (`http`) and the one struct they share,
//! `ServeState`: the latest good [`OutputTree`], the diagnostics overlay, and the channel
//! that tells open pages to reload or to show or clear the overlay.
//! Input: [`ServeOptions`] (the briefing root, interface and port). Output: HTTP responses.
//! It calls [`crate::build`] exactly as `build` and `check` do. It must not write the output
//! folder or any other file, keep state in globals, or change the built pages: the live-reload
//! script and the overlay are added to HTML responses on their way out, so the tree it serves
//! is byte for byte the one `gloss build` would write for the same `base_url`.

mod http;
mod overlay;
mod watcher;

use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::config::{self, Overrides};
use crate::diagnostics::{Diagnostics, render_human};
use crate::files::Files;
use crate::render::OutputTree;
use crate::render::search::BUNDLE_DIR;
use crate::{BuildResult, Summary};

/// How long the watcher waits for a burst of file events to settle before rebuilding.
const DEBOUNCE: Duration = Duration::from_millis(50);
/// Connections served at once; further ones wait in the listen backlog.
const MAX_CONNECTIONS: usize = 64;
/// Largest request head (request line and headers) read; hyper answers 431 beyond it.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// A client that has not sent a whole request head by then is disconnected.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long Ctrl-C waits for responses in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// What `gloss serve` was asked to do.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The briefing's folder (holding `site.toml`), absolute.
    pub root: PathBuf,
    pub interface: IpAddr,
    /// 0 picks a free port; the chosen one is printed.
    pub port: u16,
    /// Open the site in the default browser once it is served.
    pub open: bool,
}

/// What requests are answered from: replaced whole after every build, never edited in place.
#[derive(Debug, Clone)]
struct Snapshot {
    /// The last site that built without errors; `None` until one has.
    tree: Option<Arc<OutputTree>>,
    /// Counts the trees published; an open page reloads when it differs from the page's own.
    generation: u64,
    /// The path part of `base_url` (`/` or `/repo/`): the site is served under it.
    base_path: String,
    /// The diagnostics overlay (HTML) while the content has errors.
    overlay: Option<String>,
}

/// The state the watcher, the rebuilds and the HTTP handlers share, owned by [`run`].
struct ServeState {
    root: PathBuf,
    /// `http://127.0.0.1:1111`: the server's origin, which replaces `base_url`'s so canonical
    /// links and feeds point at the preview.
    origin: String,
    /// The current snapshot. Receivers (one per open page's event stream) are told of each
    /// new one, so this is also the reload broadcast.
    snapshot: watch::Sender<Arc<Snapshot>>,
    /// Becomes `true` on Ctrl-C: event streams end and the accept loop stops.
    shutdown: watch::Receiver<bool>,
}

/// What one build did, for the terminal.
struct RebuildReport {
    elapsed: Duration,
    outcome: RebuildOutcome,
    /// Diagnostics (errors and warnings) rendered for the terminal.
    diagnostics_text: String,
    base_path_changed: bool,
    /// Whether a site (this build's or an older one) is being served.
    has_site: bool,
}

enum RebuildOutcome {
    Built { summary: Summary, changed: bool },
    ContentErrors { n_errors: usize },
    Failed { error: String },
}

/// Runs the preview server until Ctrl-C. `Err` when it cannot start (the port is taken, the
/// briefing has no `site.toml`, ...); content errors are shown in the pages instead.
pub fn run(options: ServeOptions) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(options))
}

async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    anyhow::ensure!(
        options.root.join("site.toml").is_file(),
        "there is no site.toml in {} (is this a gloss briefing?)",
        options.root.display()
    );
    let listener = TcpListener::bind((options.interface, options.port))
        .await
        .with_context(|| {
            format!(
                "listening on {}",
                SocketAddr::new(options.interface, options.port)
            )
        })?;
    let address = listener
        .local_addr()
        .context("reading the listening address")?;
    if !address.ip().is_loopback() {
        eprintln!(
            "warning: serving on {}, which other machines may reach; the preview has no access control",
            address.ip()
        );
    }

    let (shutdown_sender, shutdown) = watch::channel(false);
    let state = Arc::new(ServeState::new(
        options.root.clone(),
        format!("http://{address}"),
        shutdown,
    ));

    // Watch before the first build, so an edit made while it runs is not missed.
    let (change_sender, changes) = mpsc::unbounded_channel();
    let watcher = match watcher::Watcher::start(&options.root, change_sender) {
        Ok(watcher) => Some(watcher),
        Err(err) => {
            eprintln!("warning: not watching for changes: {err:#}");
            None
        }
    };

    let first = rebuild_in_background(&state).await;
    print_report(&first, "built", &[]);
    let url = state.url();
    println!("serving at {url}");
    let _ = std::io::stdout().flush();
    if options.open {
        open_browser(url);
    }

    tokio::spawn(rebuild_on_change(state.clone(), changes, watcher));
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = shutdown_sender.send(true);
    });
    http::serve_connections(listener, state).await;
    println!("stopped");
    Ok(())
}

impl ServeState {
    fn new(root: PathBuf, origin: String, shutdown: watch::Receiver<bool>) -> ServeState {
        let (snapshot, _) = watch::channel(Arc::new(Snapshot {
            tree: None,
            generation: 0,
            base_path: "/".to_string(),
            overlay: None,
        }));
        ServeState {
            root,
            origin,
            snapshot,
            shutdown,
        }
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    /// The address of the site's home page.
    fn url(&self) -> String {
        format!("{}{}", self.origin, self.current().base_path)
    }

    /// Runs the pipeline once and publishes the result: a new tree when it built, else the
    /// overlay over the last good one. Blocking (it reads the disk and renders).
    fn rebuild(&self) -> RebuildReport {
        let started = Instant::now();
        let previous = self.current();
        // `base_url`'s path is kept and its origin replaced by the server's. When `site.toml`
        // itself is broken nothing is overridden, so the build reports the real problem.
        let configured_path = configured_base_path(&self.root);
        let base_path = configured_path
            .clone()
            .unwrap_or_else(|| previous.base_path.clone());
        let overrides = Overrides {
            output_dir: None,
            base_url: configured_path.map(|path| format!("{}{path}", self.origin)),
        };
        // The search index is built after the pages are published: the reload does not wait
        // for it, and until it is ready the previous index keeps answering.
        let mut deferred_search = None;
        let (next, outcome, diagnostics_text) = match crate::build_with(
            &self.root,
            &overrides,
            crate::SearchIndex::Defer,
            crate::Target::Memory,
        ) {
            Ok(BuildResult {
                files,
                diagnostics,
                site: Some(summary),
                tree: Some(mut tree),
                deferred_search: records,
                ..
            }) => {
                if let Some(previous_tree) = previous.tree.as_deref() {
                    tree.files.extend(
                        previous_tree
                            .files
                            .range(BUNDLE_DIR.to_string()..)
                            .take_while(|(path, _)| path.starts_with(BUNDLE_DIR))
                            .map(|(path, bytes)| (path.clone(), bytes.clone())),
                    );
                }
                deferred_search = records;
                let changed = previous.tree.as_deref() != Some(&tree);
                let next = Snapshot {
                    tree: if changed {
                        Some(Arc::new(tree))
                    } else {
                        previous.tree.clone()
                    },
                    generation: previous.generation + u64::from(changed),
                    base_path: base_path.clone(),
                    overlay: None,
                };
                (
                    next,
                    RebuildOutcome::Built { summary, changed },
                    terminal_diagnostics(&diagnostics, &files),
                )
            }
            Ok(BuildResult {
                files, diagnostics, ..
            }) => {
                let next = Snapshot {
                    tree: previous.tree.clone(),
                    generation: previous.generation,
                    base_path: base_path.clone(),
                    overlay: Some(overlay::render_diagnostics(&diagnostics, &files)),
                };
                (
                    next,
                    RebuildOutcome::ContentErrors {
                        n_errors: diagnostics.n_errors(),
                    },
                    terminal_diagnostics(&diagnostics, &files),
                )
            }
            Err(err) => {
                let error = format!("{err:#}");
                let next = Snapshot {
                    tree: previous.tree.clone(),
                    generation: previous.generation,
                    base_path: base_path.clone(),
                    overlay: Some(overlay::render_failure(&error)),
                };
                (next, RebuildOutcome::Failed { error }, String::new())
            }
        };
        let base_path_changed = previous.generation > 0 && base_path != previous.base_path;
        let has_site = next.tree.is_some();
        self.snapshot.send_if_modified(|current| {
            let modified = current.generation != next.generation
                || current.overlay != next.overlay
                || current.base_path != next.base_path;
            *current = Arc::new(next);
            modified
        });
        let elapsed = started.elapsed();
        if let Some(records) = deferred_search {
            self.index_search(records);
        }
        RebuildReport {
            elapsed,
            outcome,
            diagnostics_text,
            base_path_changed,
            has_site,
        }
    }
}

impl ServeState {
    /// Indexes the search records and swaps the new index into the published tree, without a
    /// reload: the pages did not change.
    fn index_search(&self, records: Vec<crate::render::search::SearchRecord>) {
        let Some(language) = configured_language(&self.root) else {
            return;
        };
        let bundle = match crate::render::search::bundle(records, &language) {
            Ok(bundle) => bundle,
            Err(err) => {
                eprintln!("warning: the search index was not rebuilt: {err:#}");
                return;
            }
        };
        self.snapshot.send_if_modified(|current| {
            let Some(tree) = current.tree.as_deref() else {
                return false;
            };
            let mut tree = tree.clone();
            tree.files.retain(|path, _| !path.starts_with(BUNDLE_DIR));
            tree.files.extend(bundle);
            let mut next = (**current).clone();
            next.tree = Some(Arc::new(tree));
            *current = Arc::new(next);
            false
        });
    }
}

fn configured_language(root: &Path) -> Option<String> {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root, &Overrides::default(), &mut files, &mut diagnostics).ok()??;
    Some(config.language)
}

/// The path part of `site.toml`'s `base_url`, when `site.toml` is valid.
fn configured_base_path(root: &Path) -> Option<String> {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root, &Overrides::default(), &mut files, &mut diagnostics).ok()??;
    Some(config.base_url.path)
}

fn terminal_diagnostics(diagnostics: &Diagnostics, files: &Files) -> String {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    diagnostics
        .sorted(files)
        .into_iter()
        .map(|diagnostic| render_human(diagnostic, files, color) + "\n")
        .collect()
}

async fn rebuild_in_background(state: &Arc<ServeState>) -> Option<RebuildReport> {
    let state = state.clone();
    match tokio::task::spawn_blocking(move || state.rebuild()).await {
        Ok(report) => Some(report),
        Err(err) => {
            eprintln!("error: the build stopped unexpectedly: {err}");
            None
        }
    }
}

/// Rebuilds after each settled burst of changes until shutdown. Changes that arrive during a
/// build are gathered into the next one.
async fn rebuild_on_change(
    state: Arc<ServeState>,
    mut changes: mpsc::UnboundedReceiver<Vec<PathBuf>>,
    mut watcher: Option<watcher::Watcher>,
) {
    let mut shutdown = state.shutdown.clone();
    loop {
        let mut changed = tokio::select! {
            batch = changes.recv() => match batch {
                Some(batch) => batch,
                None => break,
            },
            _ = shutdown.wait_for(|&stop| stop) => break,
        };
        while let Ok(more) = changes.try_recv() {
            changed.extend(more);
        }
        changed.sort();
        changed.dedup();
        if let Some(watcher) = &mut watcher {
            watcher.rewatch_folders(&changed);
        }
        let report = rebuild_in_background(&state).await;
        let changed: Vec<String> = changed
            .iter()
            .map(|path| {
                crate::diagnostics::display_path(path.strip_prefix(&state.root).unwrap_or(path))
            })
            .collect();
        print_report(&report, "rebuilt", &changed);
        if report.is_some_and(|report| report.base_path_changed) {
            println!("serving at {}", state.url());
        }
    }
}

/// One line per build on stdout (`rebuilt in 9 ms (...)`), diagnostics on stderr.
fn print_report(report: &Option<RebuildReport>, verb: &str, changed: &[String]) {
    let Some(report) = report else { return };
    if !report.diagnostics_text.is_empty() {
        let _ = std::io::stderr().write_all(report.diagnostics_text.as_bytes());
    }
    let cause = match changed {
        [] => String::new(),
        [one] => format!("{one} changed: "),
        [first, rest @ ..] => format!("{first} and {} more changed: ", rest.len()),
    };
    let ms = report.elapsed.as_secs_f64() * 1000.0;
    let line = match &report.outcome {
        RebuildOutcome::Built { summary, changed } => format!(
            "{cause}{verb} in {ms:.0} ms ({}){}",
            counts(summary),
            if *changed { "" } else { ", no page changed" }
        ),
        RebuildOutcome::ContentErrors { n_errors } => format!(
            "{cause}build found {n_errors} error{} in {ms:.0} ms{}",
            if *n_errors == 1 { "" } else { "s" },
            still_serving(report)
        ),
        RebuildOutcome::Failed { error } => {
            format!(
                "{cause}build failed in {ms:.0} ms: {error}{}",
                still_serving(report)
            )
        }
    };
    println!("{line}");
    let _ = std::io::stdout().flush();
}

fn still_serving(report: &RebuildReport) -> &'static str {
    if report.has_site {
        "; still serving the last good site, with the errors shown over it"
    } else {
        "; no site yet: every page shows the errors"
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

/// Opens the site in the default browser; a machine without one only gets a note.
fn open_browser(url: String) {
    tokio::task::spawn_blocking(move || {
        if let Err(err) = opener::open_browser(&url) {
            eprintln!("note: could not open a browser ({err}); open {url} yourself");
        }
    });
}

/// Resolves on Ctrl-C (or SIGTERM on Unix). A signal that cannot be listened for never fires.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
