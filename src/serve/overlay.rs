//! What `gloss serve` adds to HTML responses: the live-reload script and, while the content has
//! errors, the diagnostics overlay.
//!
//! Input: diagnostics (with the [`Files`] their spans point into) or a fatal error's text, and
//! the current [`Snapshot`]. Output: HTML fragments, every piece of content escaped, and the
//! two files they load (the reload script and the overlay's stylesheet): no inline script or
//! style, so the site theme's Content-Security-Policy applies to served pages unchanged.
//! Only served pages get these; the built tree never does.

use std::fmt::Write as _;

use crate::diagnostics::{Diagnostic, Diagnostics, Severity, display_path};
use crate::files::Files;

use super::Snapshot;
use super::http::EVENTS_PATH;

/// The element id the script looks for; the overlay's styles are scoped to it.
const OVERLAY_ID: &str = "gloss-overlay";

/// Served for every page while no build has succeeded yet; the overlay says why.
pub(super) const NO_SITE_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n\
<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>gloss serve: the site could not be built</title>\n</head>\n<body>\n<main>\n\
<h1>The site could not be built</h1>\n\
<p>Fix the problems shown below; this page reloads as soon as the site builds.</p>\n\
</main>\n</body>\n</html>\n";

/// Where served pages load the live-reload script and the overlay's stylesheet from, under the
/// base path. They are files, not inline code, so the site theme's Content-Security-Policy
/// (`script-src 'self'`, `style-src 'self'`: no inline code) lets them run.
pub(super) const RELOAD_SCRIPT_PATH: &str = "__gloss/reload.js";
pub(super) const OVERLAY_STYLE_PATH: &str = "__gloss/overlay.css";

/// What goes before `</body>` of a served page: the overlay (when there is one) and the
/// script that keeps the page in step with the server. The page's build generation and the
/// event stream's URL reach the script as data attributes.
pub(super) fn injection(snapshot: &Snapshot) -> String {
    let events_url = format!("{}{EVENTS_PATH}", snapshot.base_path);
    let script_url = format!("{}{RELOAD_SCRIPT_PATH}", snapshot.base_path);
    let mut html = String::new();
    if let Some(overlay) = &snapshot.overlay {
        html.push_str(overlay);
    }
    let _ = writeln!(
        html,
        "<script data-gloss-serve src=\"{}\" data-generation=\"{}\" data-events=\"{}\"></script>",
        escape(&script_url),
        snapshot.generation,
        escape(&events_url)
    );
    html
}

/// One of serve's own files (the reload script, the overlay's stylesheet), by its path under
/// the base path.
pub(super) fn asset(relative: &str) -> Option<&'static str> {
    match relative {
        RELOAD_SCRIPT_PATH => Some(RELOAD_SCRIPT),
        OVERLAY_STYLE_PATH => Some(STYLE),
        _ => None,
    }
}

/// The live-reload client. Hidden tabs drop their event stream (browsers allow only a few
/// connections per server) and catch up when shown again: the first event after connecting
/// carries the current state, so a page that missed a build reloads then. It also loads the
/// overlay's stylesheet and makes the overlay's "hide" button work, without inline code.
const RELOAD_SCRIPT: &str = r##"// gloss serve: keeps an open page in step with the server; not part of the built site.
(() => {
  const script = document.currentScript;
  const generation = Number(script.dataset.generation);
  const eventsUrl = script.dataset.events;
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = new URL("overlay.css", script.src).href;
  (document.head || document.documentElement).append(style);
  let source = null;
  function showOverlay(html) {
    document.getElementById("gloss-overlay")?.remove();
    if (html) document.body.insertAdjacentHTML("beforeend", html);
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("#gloss-overlay [data-gloss-hide]");
    if (button) button.closest("#gloss-overlay").remove();
  });
  function connect() {
    if (source) return;
    source = new EventSource(eventsUrl);
    source.addEventListener("state", (event) => {
      const state = JSON.parse(event.data);
      if (state.generation !== generation) location.reload();
      else showOverlay(state.overlay);
    });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) { source?.close(); source = null; } else connect();
  });
  if (!document.hidden) connect();
})();
"##;

/// The overlay for a build with content errors: every diagnostic, in the order `check` prints
/// them, with its place (`file:line:col`), the offending line, related places and the help.
pub(super) fn render_diagnostics(diagnostics: &Diagnostics, files: &Files) -> String {
    let sorted = diagnostics.sorted(files);
    let n_errors = sorted
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let title = format!(
        "{n_errors} error{} in the content",
        if n_errors == 1 { "" } else { "s" }
    );
    let mut items = String::new();
    for diagnostic in sorted {
        render_one(&mut items, diagnostic, files);
    }
    frame(&title, &format!("<ol>\n{items}</ol>\n"))
}

/// The overlay for a build that could not run (unreadable file, template error, ...).
pub(super) fn render_failure(error: &str) -> String {
    frame(
        "the build failed",
        &format!(
            "<ol>\n<li class=\"error\"><p class=\"message\">{}</p></li>\n</ol>\n",
            escape(error)
        ),
    )
}

fn render_one(out: &mut String, diagnostic: &Diagnostic, files: &Files) {
    let severity = diagnostic.severity.as_str();
    let _ = writeln!(
        out,
        "<li class=\"{severity}\">\n<p class=\"message\"><strong>{severity}[{}]</strong>: {}</p>",
        diagnostic.code.as_str(),
        escape(&diagnostic.message)
    );
    let file = files.get(diagnostic.primary.file);
    let (line, column) = file.line_col(diagnostic.primary.start);
    let _ = writeln!(
        out,
        "<p class=\"place\">{}:{line}:{column}</p>",
        escape(&display_path(&file.path))
    );
    let excerpt = excerpt(
        &file.text,
        diagnostic.primary.start,
        diagnostic.primary.end,
        line,
    );
    if !excerpt.is_empty() {
        let _ = writeln!(out, "<pre>{}</pre>", escape(&excerpt));
    }
    for (span, label) in &diagnostic.related {
        let related = files.get(span.file);
        let (line, column) = related.line_col(span.start);
        let _ = writeln!(
            out,
            "<p class=\"related\">{}:{line}:{column}: {}</p>",
            escape(&display_path(&related.path)),
            escape(label)
        );
    }
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "<p class=\"help\">help: {}</p>", escape(help));
    }
    out.push_str("</li>\n");
}

/// The line holding `start`, numbered, with carets under the span (clipped to that line).
fn excerpt(text: &str, start: usize, end: usize, line: usize) -> String {
    let start = crate::files::floor_char_boundary(text, start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line_text = text[line_start..line_end].trim_end_matches('\r');
    if line_text.trim().is_empty() {
        return String::new();
    }
    let end = crate::files::floor_char_boundary(text, end.clamp(start, line_end));
    let padding = text[line_start..start].chars().count();
    let width = text[start..end].chars().count().max(1);
    let number = line.to_string();
    format!(
        "{number} | {line_text}\n{} | {}{}",
        " ".repeat(number.len()),
        " ".repeat(padding),
        "^".repeat(width)
    )
}

fn frame(title: &str, body: &str) -> String {
    format!(
        "<div id=\"{OVERLAY_ID}\" role=\"alert\">\n\
<div class=\"box\">\n<p class=\"title\"><strong>gloss serve: {}</strong>; pages update once it is fixed \
<button type=\"button\" data-gloss-hide aria-label=\"Hide until the next build\">hide</button></p>\n\
{body}</div>\n</div>\n",
        escape(title)
    )
}

/// The overlay's stylesheet, served at [`OVERLAY_STYLE_PATH`].
const STYLE: &str = "\
#gloss-overlay{position:fixed;inset:auto 0 0 0;z-index:2147483647;max-height:60vh;overflow:auto;\
background:#1d1f21;color:#eee;font:14px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
border-top:4px solid #e5534b;box-shadow:0 -4px 16px rgba(0,0,0,.4);text-align:left}\
#gloss-overlay .box{padding:12px 16px}\
#gloss-overlay p{margin:4px 0}\
#gloss-overlay ol{margin:8px 0;padding-left:24px}\
#gloss-overlay li{margin:0 0 12px}\
#gloss-overlay li.error strong{color:#ff7b72}\
#gloss-overlay li.warning strong{color:#e3b341}\
#gloss-overlay .place{color:#79c0ff}\
#gloss-overlay .help{color:#7ee787}\
#gloss-overlay pre{margin:4px 0;padding:6px 8px;background:#2d2f31;color:#eee;overflow:auto;white-space:pre}\
#gloss-overlay button{float:right;font:inherit;color:#eee;background:#3a3d40;border:1px solid #777;border-radius:4px;cursor:pointer}";

/// Escapes text for HTML element content and quoted attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Code, Span};
    use crate::files::SourceFile;

    #[test]
    fn overlay_shows_place_line_and_help_escaped() {
        let mut files = Files::default();
        let text = "source: a\nannotations:\n  - quote: \"<b>not here</b>\"\n";
        let file = files.add(SourceFile::new(
            "content/annotations/a.yaml".into(),
            text.to_string(),
        ));
        let start = text.find("\"<b>").expect("quote in the text");
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(
            Diagnostic::error(
                Code::QuoteNotFound,
                Span::new(file, start..start + 17),
                "quote not found in `a` <script>",
            )
            .with_help("closest text: \"a & b\""),
        );
        let html = render_diagnostics(&diagnostics, &files);
        assert!(html.contains("content/annotations/a.yaml:3:12"), "{html}");
        assert!(html.contains("error[quote-not-found]"), "{html}");
        assert!(
            html.contains("quote not found in `a` &lt;script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("3 |   - quote: &quot;&lt;b&gt;not here&lt;/b&gt;&quot;\n  |            ^^^^^^^^^^^^^^^^^"),
            "{html}"
        );
        assert!(
            html.contains("help: closest text: &quot;a &amp; b&quot;"),
            "{html}"
        );
        assert!(!html.contains("<b>"), "{html}");
    }
}
