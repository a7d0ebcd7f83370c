//! The HTTP side of `gloss serve`: the accept loop, request paths → files of the in-memory
//! [`OutputTree`], and the event stream that open pages listen to.
//!
//! Owns connection limits, path validation ([`resolve`]), content types and the injection of
//! the live-reload script and overlay into HTML responses. Reads only the [`ServeState`]'s
//! snapshot: it never touches the disk, so no request path can reach a file outside the site,
//! and it still rejects every path that tries to.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{
    HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_REQUEST_HEAD, SHUTDOWN_GRACE, ServeState, Snapshot,
    overlay,
};

/// The event stream's path under the base path.
pub(super) const EVENTS_PATH: &str = "__gloss/events";

/// Accepts connections until shutdown, at most [`MAX_CONNECTIONS`] at once, then lets the
/// responses in flight finish (event streams end at shutdown) for up to [`SHUTDOWN_GRACE`].
pub(super) async fn serve_connections(listener: TcpListener, state: Arc<ServeState>) {
    let mut shutdown = state.shutdown.clone();
    let router = Router::new().fallback(respond).with_state(state);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(MAX_REQUEST_HEAD)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the connection semaphore is never closed"),
            _ = shutdown.wait_for(|&stop| stop) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    eprintln!("warning: accepting a connection failed: {err}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.wait_for(|&stop| stop) => break,
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away mid-response is not the server's problem.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            eprintln!("warning: closed connections that were still busy after {} s", SHUTDOWN_GRACE.as_secs());
        }
    }
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// A file of the tree, by its key (`sources/a/index.html`).
    File(String),
    /// Somewhere else: a folder without its slash, or `/` when the site lives under `/repo/`.
    Redirect(String),
    /// The live-reload event stream.
    Events,
    /// One of serve's own files (the reload script, the overlay's stylesheet), by its path
    /// under the base path.
    Asset(&'static str),
    /// Under the base path, but no site has been built yet.
    NoSite,
    NotFound,
}

/// Maps a raw (still percent-encoded) request path to a [`Route`]. Anything that could name
/// a file outside the site is [`Route::NotFound`]: `.` and `..` segments, encoded slashes and
/// backslashes, NUL and other control characters, empty segments, invalid UTF-8.
/// `has_file` is `None` while there is no site.
fn resolve(raw_path: &str, base_path: &str, has_file: Option<&dyn Fn(&str) -> bool>) -> Route {
    let Some(path) = decode_path(raw_path) else {
        return Route::NotFound;
    };
    if path == "/" && base_path != "/" {
        return Route::Redirect(base_path.to_string());
    }
    if base_path.len() > 1 && path == base_path[..base_path.len() - 1] {
        return Route::Redirect(base_path.to_string());
    }
    let Some(relative) = path.strip_prefix(base_path) else {
        return Route::NotFound;
    };
    if relative == EVENTS_PATH {
        return Route::Events;
    }
    for asset in [overlay::RELOAD_SCRIPT_PATH, overlay::OVERLAY_STYLE_PATH] {
        if relative == asset {
            return Route::Asset(asset);
        }
    }
    let Some(has_file) = has_file else {
        return Route::NoSite;
    };
    if relative.is_empty() || relative.ends_with('/') {
        let index = format!("{relative}index.html");
        return if has_file(&index) {
            Route::File(index)
        } else {
            Route::NotFound
        };
    }
    if has_file(relative) {
        Route::File(relative.to_string())
    } else if has_file(&format!("{relative}/index.html")) {
        // The raw path was validated above, so it is safe to echo in `Location`.
        Route::Redirect(format!("{raw_path}/"))
    } else {
        Route::NotFound
    }
}

/// Percent-decodes a request path and checks it names something inside the site; `None` when
/// it does not (see [`resolve`]).
fn decode_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') {
        return None;
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                let byte = u8::from_str_radix(hex, 16).ok()?;
                // A slash or backslash inside a segment would let one segment act as many.
                if byte == b'/' || byte == b'\\' {
                    return None;
                }
                i += 3;
                byte
            }
            byte => {
                i += 1;
                byte
            }
        };
        decoded.push(byte);
    }
    let decoded = String::from_utf8(decoded).ok()?;
    if decoded.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let segments: Vec<&str> = decoded[1..].split('/').collect();
    let (last, folders) = segments
        .split_last()
        .expect("split yields at least one item");
    if folders
        .iter()
        .any(|segment| segment.is_empty() || *segment == "." || *segment == "..")
        || *last == "."
        || *last == ".."
    {
        return None;
    }
    Some(decoded)
}

/// The axum handler for every request.
async fn respond(State(state): State<Arc<ServeState>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "method not allowed: the preview only answers GET and HEAD\n",
        )
            .into_response();
    }
    let snapshot = state.current();
    // Finding a file and making a page may wait for a rebuild to let go of the engine, and
    // making a page takes a while: both happen off the async threads.
    let answer = tokio::task::spawn_blocking(move || answer(&snapshot, &uri)).await;
    match answer {
        Ok(Some(response)) => response,
        Ok(None) => events(&state),
        Err(err) => {
            eprintln!("error: answering a request stopped unexpectedly: {err}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
    }
}

/// The response to a GET or HEAD of `uri`; `None` for the event stream, which is async.
fn answer(snapshot: &Snapshot, uri: &Uri) -> Option<Response> {
    let site = snapshot.site.as_deref();
    let has_file = |key: &str| site.is_some_and(|site| site.contains(key));
    let route = resolve(
        uri.path(),
        &snapshot.base_path,
        site.map(|_| &has_file as &dyn Fn(&str) -> bool),
    );
    let make = |key: &str| match site.map(|site| site.file(key)) {
        Some(Ok(bytes)) => Ok(bytes),
        Some(Err(err)) => Err(format!("{err:#}")),
        None => Ok(None),
    };
    Some(match route {
        Route::Events => return None,
        Route::Asset(path) => {
            let bytes = overlay::asset(path).expect("resolve returns only serve's own files");
            file_response(StatusCode::OK, path, bytes.as_bytes(), snapshot)
        }
        Route::Redirect(location) => {
            let location = match uri.query() {
                Some(query) => format!("{location}?{query}"),
                None => location,
            };
            redirect(&location)
        }
        Route::File(key) => match make(&key) {
            Ok(Some(bytes)) => file_response(StatusCode::OK, &key, &bytes, snapshot),
            // The site was replaced between finding the file and making it.
            Ok(None) => plain(StatusCode::NOT_FOUND, "not found\n"),
            Err(error) => failure(&key, &error),
        },
        Route::NotFound => match make("404.html") {
            Ok(Some(page)) => file_response(StatusCode::NOT_FOUND, "404.html", &page, snapshot),
            Ok(None) => plain(StatusCode::NOT_FOUND, "not found\n"),
            Err(error) => failure("404.html", &error),
        },
        Route::NoSite => file_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "index.html",
            overlay::NO_SITE_PAGE.as_bytes(),
            snapshot,
        ),
    })
}

/// A page that could not be made (a template failed): said on the terminal and in the answer.
fn failure(key: &str, error: &str) -> Response {
    eprintln!("error: making {key}: {error}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("gloss could not make this page: {error}\n"),
    )
        .into_response()
}

fn file_response(status: StatusCode, key: &str, bytes: &[u8], snapshot: &Snapshot) -> Response {
    let content_type = content_type(key);
    let body = if content_type.starts_with("text/html") {
        inject(bytes, &overlay::injection(snapshot))
    } else {
        bytes.to_vec()
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // A preview changes under the reader: never let the browser reuse an old copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
            "",
        )
            .into_response(),
        Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// Inserts `addition` before the last `</body>` (any case), or at the end when there is none.
fn inject(html: &[u8], addition: &str) -> Vec<u8> {
    let needle = b"</body>";
    let at = html
        .windows(needle.len())
        .rposition(|window| window.eq_ignore_ascii_case(needle))
        .unwrap_or(html.len());
    [&html[..at], addition.as_bytes(), &html[at..]].concat()
}

/// The `Content-Type` for a path of the tree, by its extension.
fn content_type(key: &str) -> &'static str {
    let extension = key
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "xml" => "application/xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" | "md" => "text/plain; charset=utf-8",
        "pdf" => "application/pdf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The event stream an open page listens to: one `state` event now, then one after every
/// build that changed the site, the overlay or the base path; it ends at shutdown.
fn events(state: &ServeState) -> Response {
    let snapshots = state.snapshot.subscribe();
    let shutdown = state.shutdown.clone();
    let stream = futures_util::stream::unfold(
        (snapshots, shutdown, true),
        |(mut snapshots, mut shutdown, first)| async move {
            if !first {
                tokio::select! {
                    changed = snapshots.changed() => changed.ok()?,
                    _ = shutdown.wait_for(|&stop| stop) => return None,
                }
            }
            if *shutdown.borrow() {
                return None;
            }
            let event = state_event(&snapshots.borrow_and_update());
            Some((Ok::<Event, Infallible>(event), (snapshots, shutdown, false)))
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `{"generation": 3, "overlay": "<div ...>"}`: the page reloads when the generation is not
/// its own, and otherwise shows this overlay (or none, when it is empty).
fn state_event(snapshot: &Snapshot) -> Event {
    let data = serde_json::json!({
        "generation": snapshot.generation,
        "overlay": snapshot.overlay.as_deref().unwrap_or(""),
    });
    // Compact JSON escapes line breaks, which SSE data may not hold.
    Event::default().event("state").data(data.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, base: &str, expected: Route) {
        let files = [
            "index.html",
            "404.html",
            "style.css",
            "sources/a/index.html",
            "a b.txt",
        ];
        let has_file = |key: &str| files.contains(&key);
        assert_eq!(
            resolve(raw, base, Some(&has_file)),
            expected,
            "{raw} under {base}"
        );
    }

    fn file(key: &str) -> Route {
        Route::File(key.to_string())
    }

    fn redirect(location: &str) -> Route {
        Route::Redirect(location.to_string())
    }

    #[test]
    fn pages_are_found_under_the_base_path() {
        check("/repo/", "/repo/", file("index.html"));
        check("/repo/style.css", "/repo/", file("style.css"));
        check("/repo/sources/a/", "/repo/", file("sources/a/index.html"));
        check(
            "/repo/sources/a/index.html",
            "/repo/",
            file("sources/a/index.html"),
        );
        check("/repo/a%20b.txt", "/repo/", file("a b.txt"));
        check("/", "/", file("index.html"));
    }

    #[test]
    fn paths_that_forget_the_base_path_are_not_found() {
        check("/style.css", "/repo/", Route::NotFound);
        check("/sources/a/", "/repo/", Route::NotFound);
    }

    #[test]
    fn root_and_folders_without_slash_redirect() {
        check("/", "/repo/", redirect("/repo/"));
        check("/repo", "/repo/", redirect("/repo/"));
        check("/repo/sources/a", "/repo/", redirect("/repo/sources/a/"));
        check("/sources/a", "/", redirect("/sources/a/"));
    }

    #[test]
    fn folders_without_index_are_not_listed() {
        check("/repo/sources/", "/repo/", Route::NotFound);
        check("/repo/sources", "/repo/", Route::NotFound);
    }

    #[test]
    fn traversal_is_not_found() {
        for raw in [
            "/../",
            "/..",
            "/repo/../repo/",
            "/repo/./index.html",
            "/repo/%2e%2e/repo/",
            "/repo/%2E%2E/",
            "/repo/..%2fsite.toml",
            "/repo/sources%2Fa/",
            "/repo/%5c..%5csite.toml",
            "/repo/\\..\\site.toml",
            "/repo/index.html%00",
            "/repo/index.html%00.css",
            "/repo//index.html",
            "/repo/%ff",
            "/repo/%zz",
            "/repo/%2",
            "repo/",
        ] {
            check(raw, "/repo/", Route::NotFound);
            check(raw, "/", Route::NotFound);
        }
    }

    #[test]
    fn the_event_stream_lives_under_the_base_path() {
        check("/repo/__gloss/events", "/repo/", Route::Events);
        check("/__gloss/events", "/repo/", Route::NotFound);
        assert_eq!(resolve("/repo/x", "/repo/", None), Route::NoSite);
        assert_eq!(
            resolve("/repo/__gloss/events", "/repo/", None),
            Route::Events
        );
    }

    #[test]
    fn serves_own_files_live_under_the_base_path_even_without_a_site() {
        for path in [overlay::RELOAD_SCRIPT_PATH, overlay::OVERLAY_STYLE_PATH] {
            check(&format!("/repo/{path}"), "/repo/", Route::Asset(path));
            check(&format!("/{path}"), "/repo/", Route::NotFound);
            assert_eq!(
                resolve(&format!("/repo/{path}"), "/repo/", None),
                Route::Asset(path)
            );
            assert!(overlay::asset(path).is_some());
        }
    }

    #[test]
    fn injection_goes_before_the_last_body_end_tag() {
        assert_eq!(
            inject(b"<body>a</body></html>", "<s>"),
            b"<body>a<s></body></html>"
        );
        assert_eq!(inject(b"<BODY>a</BODY>", "<s>"), b"<BODY>a<s></BODY>");
        assert_eq!(inject(b"no body", "<s>"), b"no body<s>");
    }

    #[test]
    fn content_types_follow_the_extension() {
        for (key, expected) in [
            ("index.html", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("logo.svg", "image/svg+xml"),
            ("feed.xml", "application/xml; charset=utf-8"),
            ("data.json", "application/json"),
            ("a.png", "image/png"),
            ("a.JPG", "image/jpeg"),
            ("font.woff2", "font/woff2"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("LICENSE", "application/octet-stream"),
        ] {
            assert_eq!(content_type(key), expected, "{key}");
        }
    }
}
