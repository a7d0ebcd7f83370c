//! Integration tests for `gloss serve`: the real binary, on a copy of the repository's own
//! briefing served under a GitHub-Pages-style base path, spoken to over raw TCP so that no HTTP
//! client normalises the request paths under test.
//!
//! Each test starts its own server on a free port (`--port 0`) and reads the address from the
//! `serving at http://127.0.0.1:PORT/briefing/` line it prints. Nothing touches the network
//! beyond 127.0.0.1, and nothing outside the temporary copy is written.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const BASE_URL: &str = "https://example.github.io/briefing/";
const BASE_PATH: &str = "/briefing/";
const SCRIPT_MARK: &str = "<script data-gloss-serve ";
const OVERLAY_MARK: &str = "id=\"gloss-overlay\"";

/// A running `gloss serve` on a temporary copy of the seed briefing; killed on drop.
struct Server {
    child: Child,
    dir: TempDir,
    port: u16,
    stdout: Arc<Mutex<Vec<String>>>,
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Copies the repository's `site.toml`, `content/` and `themes/` into a temporary folder,
/// with `base_url` under a sub-path.
fn seed_copy() -> TempDir {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let site_toml = fs::read_to_string(repo.join("site.toml")).expect("read site.toml");
    let site_toml: String = site_toml
        .lines()
        .map(|line| {
            if line.starts_with("base_url") {
                format!("base_url = \"{BASE_URL}\"\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    fs::write(dir.path().join("site.toml"), site_toml).expect("write site.toml");
    for folder in ["content", "themes"] {
        copy_dir(&repo.join(folder), &dir.path().join(folder));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create a folder");
    for entry in fs::read_dir(from).expect("read a folder") {
        let entry = entry.expect("read a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// The first annotation file of the briefing (in name order).
fn annotation_file(root: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = fs::read_dir(root.join("content/annotations"))
        .expect("read content/annotations")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files.into_iter().next().expect("an annotation file")
}

/// Makes the first quote of the first annotation file one the source does not contain.
fn break_first_quote(root: &Path) -> (PathBuf, String) {
    let path = annotation_file(root);
    let original = fs::read_to_string(&path).expect("read annotations");
    let broken = original.replacen("quote: \"", "quote: \"zzz not in the source ", 1);
    assert_ne!(
        broken, original,
        "the annotation file has a double-quoted quote"
    );
    fs::write(&path, broken).expect("write annotations");
    (path, original)
}

impl Server {
    fn start(dir: TempDir) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gloss"))
            .args(["serve", "--port", "0", "--root"])
            .arg(dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gloss serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().expect("stdout lock").push(line);
            }
        });
        let mut server = Server {
            child,
            dir,
            port: 0,
            stdout: lines,
        };
        let line = server.wait_for_line("serving at ");
        let url = line.trim_start_matches("serving at ");
        let rest = url
            .strip_prefix("http://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected address line: {line}"));
        let (port, path) = rest.split_at(rest.find('/').expect("a path after the port"));
        assert_eq!(path, BASE_PATH, "served under base_url's path");
        server.port = port.parse().expect("a port number");
        server
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Waits (up to 60 s) for a stdout line containing `needle` and returns it.
    fn wait_for_line(&mut self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(line) = self
                .stdout
                .lock()
                .expect("stdout lock")
                .iter()
                .find(|line| line.contains(needle))
            {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("gloss serve exited ({status}) before printing `{needle}`");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no `{needle}` line; stdout: {:?}",
                self.stdout.lock().expect("stdout lock")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one request with `target` written as is, and reads the whole response.
    fn request(&self, method: &str, target: &str) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("set a read timeout");
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("send the request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the response");
        parse_response(&raw)
    }

    fn get(&self, target: &str) -> Response {
        self.request("GET", target)
    }

    /// Polls `target` every 25 ms (for up to 10 s) until `done` holds for its body.
    fn poll(&self, target: &str, what: &str, done: impl Fn(&str) -> bool) -> Response {
        let started = Instant::now();
        loop {
            let response = self.get(target);
            if done(&response.text()) {
                return response;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{target} never {what}; stdout: {:?}",
                self.stdout.lock().expect("stdout lock")
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_response(raw: &[u8]) -> Response {
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[head_end + 4..].to_vec(),
    }
}

/// The site `gloss build` writes for the same base URL the server uses, path → bytes.
fn built_site(root: &Path, base_url: &str) -> BTreeMap<String, Vec<u8>> {
    let output = root.join("built");
    let status = Command::new(env!("CARGO_BIN_EXE_gloss"))
        .args(["build", "--base-url", base_url, "--root"])
        .arg(root)
        .arg("--output")
        .arg(&output)
        .stdout(Stdio::null())
        .status()
        .expect("run gloss build");
    assert!(status.success(), "gloss build failed");
    let mut files = BTreeMap::new();
    collect_files(&output, &output, &mut files);
    fs::remove_dir_all(&output).expect("remove the built site");
    files
}

fn collect_files(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in fs::read_dir(dir).expect("read a folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect_files(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under the root");
            let key = relative.to_string_lossy().replace('\\', "/");
            if !key.starts_with('.') {
                files.insert(key, fs::read(&path).expect("read a built file"));
            }
        }
    }
}

/// The served HTML without what serve injects before `</body>`.
fn without_injection(served: &str) -> String {
    let start = served.find(SCRIPT_MARK).expect("the injected script");
    let end = served.rfind("</body>").expect("a body end tag");
    format!("{}{}", &served[..start], &served[end..])
}

#[test]
fn traversal_and_encoded_separators_are_not_found() {
    let server = Server::start(seed_copy());
    for target in [
        "/../",
        "/../site.toml",
        "/briefing/../site.toml",
        "/briefing/../../../../etc/passwd",
        "/%2e%2e/",
        "/briefing/%2e%2e/site.toml",
        "/briefing/%2E%2E/%2E%2E/etc/passwd",
        "/briefing/..%2fsite.toml",
        "/briefing/..%2Fsite.toml",
        "/briefing/sources%2f",
        "/%5c..%5csite.toml",
        "/briefing/%5c..%5csite.toml",
        "/briefing/\\..\\site.toml",
        "/briefing/index.html%00",
        "/briefing/%00",
        "/briefing//index.html",
        "/briefing/./index.html",
    ] {
        let response = server.get(target);
        assert_eq!(response.status, 404, "{target}");
        assert!(
            !response.text().contains("base_url"),
            "{target} leaked site.toml"
        );
    }
}

#[test]
fn unknown_paths_get_the_sites_404_page() {
    let server = Server::start(seed_copy());
    let built = built_site(
        server.root(),
        &format!("http://127.0.0.1:{}{BASE_PATH}", server.port),
    );
    let response = server.get("/briefing/no-such-page/");
    assert_eq!(response.status, 404);
    let expected = String::from_utf8(built["404.html"].clone()).expect("UTF-8 404 page");
    assert_eq!(without_injection(&response.text()), expected);
}

#[test]
fn only_get_and_head_are_allowed() {
    let server = Server::start(seed_copy());
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let response = server.request(method, BASE_PATH);
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), Some("GET, HEAD"), "{method}");
    }
    let head = server.request("HEAD", BASE_PATH);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    let get = server.get(BASE_PATH);
    assert_eq!(
        head.header("content-length").map(str::to_owned),
        Some(get.body.len().to_string())
    );
}

#[test]
fn the_site_lives_under_the_base_path_only() {
    let server = Server::start(seed_copy());
    let root = server.get("/");
    assert_eq!(root.status, 308);
    assert_eq!(root.header("location"), Some(BASE_PATH));
    let without_slash = server.get("/briefing");
    assert_eq!(without_slash.header("location"), Some(BASE_PATH));

    let home = server.get(BASE_PATH);
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    // A link that forgets the prefix breaks locally as it would on GitHub Pages.
    assert_eq!(server.get("/index.html").status, 404);
    assert_eq!(server.get("/style.css").status, 404);
}

#[test]
fn folders_redirect_to_their_slash_and_are_never_listed() {
    let server = Server::start(seed_copy());
    let built = built_site(
        server.root(),
        &format!("http://127.0.0.1:{}{BASE_PATH}", server.port),
    );
    let folder = built
        .keys()
        .find_map(|key| key.strip_suffix("/index.html").filter(|f| f.contains('/')))
        .expect("a nested page");
    let response = server.get(&format!("{BASE_PATH}{folder}"));
    assert_eq!(response.status, 308, "{folder}");
    let location = format!("{BASE_PATH}{folder}/");
    assert_eq!(response.header("location"), Some(location.as_str()));
    let parent = folder.rsplit_once('/').expect("nested").0;
    if !built.contains_key(&format!("{parent}/index.html")) {
        assert_eq!(server.get(&format!("{BASE_PATH}{parent}/")).status, 404);
    }
}

#[test]
fn served_files_are_the_built_files_and_only_html_gets_the_script() {
    let server = Server::start(seed_copy());
    let base_url = format!("http://127.0.0.1:{}{BASE_PATH}", server.port);
    let built = built_site(server.root(), &base_url);
    assert!(built.keys().any(|key| !key.ends_with(".html")));
    for (key, bytes) in &built {
        let target = format!(
            "{BASE_PATH}{}",
            key.strip_suffix("index.html").unwrap_or(key)
        );
        let response = server.get(&target);
        assert_eq!(response.status, 200, "{target}");
        if key.ends_with(".html") {
            let built_html = String::from_utf8(bytes.clone()).expect("UTF-8 page");
            assert!(!built_html.contains("data-gloss-serve"), "{key} as built");
            let served = response.text();
            assert!(served.contains(SCRIPT_MARK), "{target} has the script");
            assert!(!served.contains(OVERLAY_MARK), "{target} has no overlay");
            assert_eq!(without_injection(&served), built_html, "{target}");
            assert_eq!(
                response.header("content-type"),
                Some("text/html; charset=utf-8")
            );
        } else {
            assert_eq!(&response.body, bytes, "{target}");
            if key.ends_with(".css") {
                assert_eq!(
                    response.header("content-type"),
                    Some("text/css; charset=utf-8")
                );
            }
        }
    }
}

#[test]
fn the_event_stream_starts_with_the_current_state() {
    let server = Server::start(seed_copy());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(
        stream,
        "GET /briefing/__gloss/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .expect("send the request");
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    while !String::from_utf8_lossy(&received).contains("\"generation\"") {
        let n = stream.read(&mut buffer).expect("read the event stream");
        assert!(n > 0, "stream closed early");
        received.extend_from_slice(&buffer[..n]);
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{text}"
    );
    assert!(text.contains("event: state"), "{text}");
    assert!(text.contains(r#""overlay":"""#), "{text}");
}

#[test]
fn content_errors_show_an_overlay_until_fixed() {
    let mut server = Server::start(seed_copy());
    let (path, original) = break_first_quote(server.root());
    let file_name = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let broken = server.poll(BASE_PATH, "showed the overlay", |body| {
        body.contains(OVERLAY_MARK)
    });
    let body = broken.text();
    assert_eq!(broken.status, 200, "the last good site is still served");
    assert!(body.contains("quote-not-found"), "{body}");
    assert!(
        body.contains(&format!("content/annotations/{file_name}:")),
        "the overlay names the file and line: {body}"
    );
    assert!(
        !body.contains("zzz not in the source <"),
        "editor text is escaped"
    );
    server.wait_for_line("build found 1 error");

    fs::write(&path, original).expect("restore annotations");
    server.poll(BASE_PATH, "cleared the overlay", |body| {
        !body.contains(OVERLAY_MARK)
    });
}

#[test]
fn a_first_build_with_errors_serves_the_overlay() {
    let dir = seed_copy();
    let (path, _) = break_first_quote(dir.path());
    let server = Server::start(dir);
    let response = server.get(BASE_PATH);
    assert_eq!(response.status, 503);
    let body = response.text();
    assert!(body.contains(OVERLAY_MARK), "{body}");
    let file_name = path.file_name().expect("file name").to_string_lossy();
    assert!(body.contains(&*file_name), "{body}");
    assert!(body.contains(SCRIPT_MARK), "{body}");
}

#[cfg(unix)]
#[test]
fn interrupt_stops_the_server_cleanly_with_an_open_event_stream() {
    let mut server = Server::start(seed_copy());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    write!(
        stream,
        "GET /briefing/__gloss/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .expect("send the request");
    let mut buffer = [0; 1024];
    let n = stream.read(&mut buffer).expect("read the first event");
    assert!(n > 0);

    let status = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait for gloss serve") {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "gloss serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
    server.wait_for_line("stopped");
}

/// Saving an annotation file relinks the kept briefing: the page shows the edit, serve says how
/// soon after the save the reload went out, every file served is the one a fresh build
/// writes, and a save of the same bytes reloads nothing.
#[test]
fn an_annotation_edit_is_served_as_a_fresh_build_would_write_it() {
    let mut server = Server::start(seed_copy());
    let path = annotation_file(server.root());
    let original = fs::read_to_string(&path).expect("read annotations");
    let marker = "Edited-by-the-serve-test";
    let edited = original.replacen("note: |\n      ", &format!("note: |\n      {marker} "), 1);
    assert_ne!(edited, original, "the file has a block note");
    // Written beside it and renamed over it, as editors save.
    let temporary = path.with_extension("yaml.tmp");
    fs::write(&temporary, &edited).expect("write annotations");
    fs::rename(&temporary, &path).expect("rename over the annotations");
    let line = server.wait_for_line("reload sent");
    let name = path
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    assert!(
        line.starts_with(&format!("content/annotations/{name} changed: reload sent ")),
        "{line}"
    );
    let page = server.poll(BASE_PATH, "showed the edit anywhere", |_| true);
    assert_eq!(page.status, 200);
    let source = original
        .lines()
        .find_map(|l| l.strip_prefix("source: "))
        .expect("a source line")
        .trim()
        .to_string();
    server.poll(
        &format!("{BASE_PATH}sources/{source}/"),
        "showed the edited note",
        |body| body.contains(marker),
    );
    let base_url = format!("http://127.0.0.1:{}{BASE_PATH}", server.port);
    for (key, bytes) in built_site(server.root(), &base_url) {
        if key.starts_with("search/index/") {
            continue; // rebuilt in the background after the reload
        }
        let target = format!(
            "{BASE_PATH}{}",
            key.strip_suffix("index.html").unwrap_or(&key)
        );
        let response = server.get(&target);
        assert_eq!(response.status, 200, "{target}");
        if key.ends_with(".html") {
            let built = String::from_utf8(bytes).expect("UTF-8 page");
            assert_eq!(without_injection(&response.text()), built, "{target}");
        } else {
            assert_eq!(response.body, bytes, "{target}");
        }
    }

    fs::write(&path, &edited).expect("write the same bytes");
    server.wait_for_line("no page changed");
}
