//! `gloss serve`: a live preview of the briefing, made in memory and served over HTTP.
//!
//! Owns the file watcher (`watcher`), the HTTP loop (`http`), the kept briefing (`engine`) and
//! the one struct they share, `ServeState`: the site being served (the last one without
//! errors), the diagnostics overlay, and the channel that tells open pages to reload or to
//! show or clear the overlay.
//! Input: [`ServeOptions`] (the briefing root, interface and port). Output: HTTP responses.
//! A change to annotation files only relinks the kept briefing; any other change loads it
//! again. Pages are made when requested, by the same code `gloss build` writes them with.
//! It must not write the output folder or any other file, keep state in globals, or change
//! the built pages: the live-reload script and the overlay are added to HTML responses on
//! their way out, so the site it serves is byte for byte the one `gloss build` would write
//! for the same `base_url`.

mod engine;
mod http;
mod overlay;
mod watcher;

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::Summary;
use crate::config::{self, Overrides};
use crate::diagnostics::{Diagnostics, render_human};
use crate::files::Files;
use engine::Engine;

/// How long the watcher waits for a burst of file events to settle before rebuilding: an
/// editor's save (a temporary file renamed over the old one) takes well under this.
const DEBOUNCE: Duration = Duration::from_millis(5);
/// How often the debouncer looks for settled bursts.
const DEBOUNCE_TICK: Duration = Duration::from_millis(2);
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
#[derive(Clone)]
struct Snapshot {
    /// The last site that built without errors; `None` until one has.
    site: Option<Arc<Served>>,
    /// Counts the trees published; an open page reloads when it differs from the page's own.
    generation: u64,
    /// The path part of `base_url` (`/` or `/repo/`): the site is served under it.
    base_path: String,
    /// The diagnostics overlay (HTML) while the content has errors.
    overlay: Option<String>,
}

/// A site being served: the engine that makes its pages, and its search index (the previous
/// site's until the new one is built).
struct Served {
    engine: Arc<RwLock<Engine>>,
    search: Arc<BTreeMap<String, Vec<u8>>>,
}

impl Served {
    fn contains(&self, path: &str) -> bool {
        self.search.contains_key(path) || read(&self.engine).contains(path)
    }

    /// Makes (or finds) the file at `path`.
    fn file(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self.search.get(path) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => read(&self.engine).file(path),
        }
    }
}

/// The engine, even if a thread panicked while holding it (its state is replaced whole).
fn read(engine: &RwLock<Engine>) -> std::sync::RwLockReadGuard<'_, Engine> {
    engine.read().unwrap_or_else(|e| e.into_inner())
}

/// The state the watcher, the rebuilds and the HTTP handlers share, owned by [`run`].
struct ServeState {
    root: PathBuf,
    /// The engine the next change is applied to: the last one loaded, with or without errors
    /// (`None` when `site.toml` is broken, so that the next change loads again).
    engine: Mutex<Option<Arc<RwLock<Engine>>>>,
    /// `http://127.0.0.1:1111`: the server's origin, which replaces `base_url`'s so canonical
    /// links and feeds point at the preview.
    origin: String,
    /// The current snapshot. Receivers (one per open page's event stream) are told of each
    /// new one, so this is also the reload broadcast.
    snapshot: watch::Sender<Arc<Snapshot>>,
    /// Becomes `true` on Ctrl-C: event streams end and the accept loop stops.
    shutdown: watch::Receiver<bool>,
    /// One thread, at a lower priority where the system allows it, for the search indexes made
    /// after an edit: they run while the next edit may be relinking, on rayon's shared pool
    /// they made its work wait behind theirs. `None` if the thread could not be started (the
    /// shared pool is used then).
    background: Option<rayon::ThreadPool>,
}

/// What one build did, for the terminal.
struct RebuildReport {
    /// From the first change seen (or the start of the first build) to the reload sent.
    elapsed: Duration,
    outcome: RebuildOutcome,
    /// Diagnostics (errors and warnings) rendered for the terminal.
    diagnostics_text: String,
    base_path_changed: bool,
    /// Whether a site (this build's or an older one) is being served.
    has_site: bool,
    /// The generation of the new site this build published, whose search index is still to
    /// be built.
    new_site: Option<u64>,
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

    let first = rebuild_in_background(&state, Vec::new(), Instant::now()).await;
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
            site: None,
            generation: 0,
            base_path: "/".to_string(),
            overlay: None,
        }));
        let background = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "gloss-search-index".to_string())
            .start_handler(|_| lower_this_threads_priority())
            .build()
            .ok();
        ServeState {
            root,
            engine: Mutex::new(None),
            origin,
            snapshot,
            shutdown,
            background,
        }
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    /// The address of the site's home page.
    fn url(&self) -> String {
        format!("{}{}", self.origin, self.current().base_path)
    }

    /// Applies a change and publishes the result: the new site when it has no errors, else
    /// the overlay over the last good one. `changed` lists the changed inputs (empty for the
    /// first build), `since` is when the first of them was seen. Blocking (it reads the disk).
    fn rebuild(&self, changed: &[PathBuf], since: Instant) -> RebuildReport {
        let previous = self.current();
        let kept = self
            .engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .filter(|engine| read(engine).takes(changed));
        let mut base_path = previous.base_path.clone();
        let result = match kept {
            Some(engine) => {
                let relinked = engine
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .relink(changed);
                relinked.map(|outcome| (Some(engine), outcome))
            }
            None => self.load(&mut base_path),
        };
        let (next, outcome, diagnostics_text) = match result {
            Ok((_, outcome)) if !outcome.changed => {
                let report = RebuildReport {
                    new_site: None,
                    elapsed: since.elapsed(),
                    outcome: RebuildOutcome::Built {
                        summary: outcome.summary.unwrap_or_default(),
                        changed: false,
                    },
                    diagnostics_text: String::new(),
                    base_path_changed: false,
                    has_site: previous.site.is_some(),
                };
                return report;
            }
            Ok((Some(engine), outcome)) if outcome.summary.is_some() => {
                let next = Snapshot {
                    site: Some(Arc::new(Served {
                        engine,
                        search: previous
                            .site
                            .as_ref()
                            .map(|site| site.search.clone())
                            .unwrap_or_default(),
                    })),
                    generation: previous.generation + 1,
                    base_path: base_path.clone(),
                    overlay: None,
                };
                let summary = outcome.summary.unwrap_or_default();
                // The warnings are written out after the reload is sent: a briefing can have
                // hundreds, and the reader need not wait for the terminal.
                let (diagnostics, files) = (outcome.diagnostics, outcome.files);
                let text: DiagnosticsText =
                    Box::new(move || terminal_diagnostics(&diagnostics, &files));
                (
                    next,
                    RebuildOutcome::Built {
                        summary,
                        changed: true,
                    },
                    text,
                )
            }
            Ok((_, outcome)) => {
                let next = Snapshot {
                    site: previous.site.clone(),
                    generation: previous.generation,
                    base_path: base_path.clone(),
                    overlay: Some(overlay::render_diagnostics(
                        &outcome.diagnostics,
                        &outcome.files,
                    )),
                };
                (
                    next,
                    RebuildOutcome::ContentErrors {
                        n_errors: outcome.diagnostics.n_errors(),
                    },
                    {
                        let text = terminal_diagnostics(&outcome.diagnostics, &outcome.files);
                        Box::new(move || text) as DiagnosticsText
                    },
                )
            }
            Err(err) => {
                let error = format!("{err:#}");
                let next = Snapshot {
                    site: previous.site.clone(),
                    generation: previous.generation,
                    base_path: base_path.clone(),
                    overlay: Some(overlay::render_failure(&error)),
                };
                let text: DiagnosticsText = Box::new(String::new);
                (next, RebuildOutcome::Failed { error }, text)
            }
        };
        let base_path_changed = previous.generation > 0 && base_path != previous.base_path;
        let has_site = next.site.is_some();
        let new_site = next.generation != previous.generation;
        self.snapshot.send_if_modified(|current| {
            let modified = current.generation != next.generation
                || current.overlay != next.overlay
                || current.base_path != next.base_path;
            *current = Arc::new(next);
            modified
        });
        let elapsed = since.elapsed();
        RebuildReport {
            new_site: new_site.then_some(self.current().generation),
            elapsed,
            outcome,
            diagnostics_text: diagnostics_text(),
            base_path_changed,
            has_site,
        }
    }

    /// Loads the briefing anew into a new engine, which the next change is applied to.
    /// `base_path` becomes the configured one, when `site.toml` is valid.
    fn load(
        &self,
        base_path: &mut String,
    ) -> anyhow::Result<(Option<Arc<RwLock<Engine>>>, engine::Outcome)> {
        // `base_url`'s path is kept and its origin replaced by the server's. When `site.toml`
        // itself is broken nothing is overridden, so the build reports the real problem.
        let configured_path = configured_base_path(&self.root);
        if let Some(path) = &configured_path {
            base_path.clone_from(path);
        }
        let overrides = Overrides {
            output_dir: None,
            base_url: configured_path.map(|path| format!("{}{path}", self.origin)),
        };
        let loaded = Engine::load(&self.root, &overrides);
        let mut slot = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        match loaded {
            Ok(Ok((engine, outcome))) => {
                let engine = Arc::new(RwLock::new(engine));
                *slot = Some(engine.clone());
                Ok((Some(engine), outcome))
            }
            Ok(Err(outcome)) => {
                *slot = None;
                Ok((None, outcome))
            }
            Err(err) => {
                *slot = None;
                Err(err)
            }
        }
    }
}

impl ServeState {
    /// Indexes the search records of the site of `generation` and swaps the new index in,
    /// without a reload: the pages did not change. A newer site makes it give up.
    fn index_search(&self, generation: u64) {
        let current = self.current();
        let Some(site) = current
            .site
            .clone()
            .filter(|_| current.generation == generation)
        else {
            return;
        };
        let Some((records, language)) = read(&site.engine).search_records() else {
            return;
        };
        let bundle = match crate::render::search::bundle(records, &language) {
            Ok(bundle) => bundle,
            Err(err) => {
                eprintln!("warning: the search index was not rebuilt: {err:#}");
                return;
            }
        };
        let search = Arc::new(bundle);
        self.snapshot.send_if_modified(|current| {
            if current.site.is_none() || current.generation != generation {
                // A newer site was published meanwhile; its own index follows.
                return false;
            }
            let mut next = (**current).clone();
            next.site = Some(Arc::new(Served {
                engine: site.engine.clone(),
                search: search.clone(),
            }));
            *current = Arc::new(next);
            false
        });
    }
}

/// The path part of `site.toml`'s `base_url`, when `site.toml` is valid.
fn configured_base_path(root: &Path) -> Option<String> {
    let mut files = Files::default();
    let mut diagnostics = Diagnostics::default();
    let config = config::load(root, &Overrides::default(), &mut files, &mut diagnostics).ok()??;
    Some(config.base_url.path)
}

/// The diagnostics of a rebuild as written to the terminal, made when asked for.
type DiagnosticsText = Box<dyn FnOnce() -> String + Send>;

/// Gives the calling thread a lower scheduling priority (nice 10), so that it yields to the
/// threads relinking an edit. Linux only: elsewhere the call would apply to the whole process.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `setpriority` reads its three integer arguments and changes no memory; on
        // Linux, `PRIO_PROCESS` with 0 names the calling thread. A failure leaves the
        // priority as it was, which is harmless.
        let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    }
}

fn terminal_diagnostics(diagnostics: &Diagnostics, files: &Files) -> String {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    diagnostics
        .sorted(files)
        .into_iter()
        .map(|diagnostic| render_human(diagnostic, files, color) + "\n")
        .collect()
}

async fn rebuild_in_background(
    state: &Arc<ServeState>,
    changed: Vec<PathBuf>,
    since: Instant,
) -> Option<RebuildReport> {
    let building = state.clone();
    match tokio::task::spawn_blocking(move || building.rebuild(&changed, since)).await {
        Ok(report) => {
            // The first site's index is ready before the server says it is serving; later
            // ones are built while the next change may already be relinking.
            if let Some(generation) = report.new_site {
                let indexing = tokio::task::spawn_blocking({
                    let state = state.clone();
                    move || match &state.background {
                        // The first index is waited for: all cores make it.
                        Some(pool) if generation > 1 => {
                            pool.install(|| state.index_search(generation))
                        }
                        _ => state.index_search(generation),
                    }
                });
                if generation == 1 {
                    let _ = indexing.await;
                }
            }
            Some(report)
        }
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
    mut changes: mpsc::UnboundedReceiver<watcher::Change>,
    mut watcher: Option<watcher::Watcher>,
) {
    let mut shutdown = state.shutdown.clone();
    loop {
        let first = tokio::select! {
            batch = changes.recv() => match batch {
                Some(batch) => batch,
                None => break,
            },
            _ = shutdown.wait_for(|&stop| stop) => break,
        };
        let since = first.since;
        let mut changed = first.paths;
        while let Ok(more) = changes.try_recv() {
            changed.extend(more.paths);
        }
        changed.sort();
        changed.dedup();
        if let Some(watcher) = &mut watcher {
            watcher.rewatch_folders(&changed);
        }
        let report = rebuild_in_background(&state, changed.clone(), since).await;
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

/// One line per build on stdout (`a.yaml changed: reload sent 9 ms after the save (...)`),
/// diagnostics on stderr.
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
        RebuildOutcome::Built {
            changed: false,
            summary,
        } => format!("{cause}no page changed in {ms:.0} ms ({})", counts(summary)),
        RebuildOutcome::Built { summary, .. } if verb == "built" => {
            format!("built in {ms:.0} ms ({})", counts(summary))
        }
        // Pages are made when asked for, so the reload goes out once the briefing is relinked;
        // `ms` counts from the save (the first file event), debounce included.
        RebuildOutcome::Built { summary, .. } => format!(
            "{cause}reload sent {ms:.0} ms after the save ({})",
            counts(summary)
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
