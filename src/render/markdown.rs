//! Markdown → safe HTML for editor-written text (notes, descriptions, the front page), and the
//! pieces the source-body renderer shares: `@/` internal links, code highlighting, sanitising.

use std::borrow::Cow;
use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Parser, Tag, TagEnd};

use crate::anchor::text::markdown_options;

/// The pages and fragments of the site, to check `@/` links against.
pub trait LinkTargets: Sync {
    /// Whether `page` (relative to the site root, like `sources/a/` or `entities/`) is a page
    /// of the site, and `fragment` (like `ann-x`), when given, an element of it.
    fn contains(&self, page: &str, fragment: Option<&str>) -> bool;
}

/// An `@/` link's page (relative to the site root) and fragment.
type InternalLink<'u> = (Cow<'u, str>, Option<&'u str>);

/// How links in editor Markdown are resolved.
pub struct LinkContext<'s> {
    pub base_path: &'s str,
    pub targets: &'s dyn LinkTargets,
}

impl LinkContext<'_> {
    /// Resolves `@/path#frag` to the base path; `Err` with the target when it points at nothing.
    pub fn resolve<'u>(&self, url: &'u str) -> Result<CowStr<'u>, String> {
        let Some((path, fragment)) = self.internal(url)? else {
            return Ok(CowStr::Borrowed(url));
        };
        let mut resolved = format!("{}{path}", self.base_path);
        if let Some(fragment) = fragment {
            resolved.push('#');
            resolved.push_str(fragment);
        }
        Ok(CowStr::Boxed(resolved.into_boxed_str()))
    }

    /// The target of `url` when it is an `@/` link that points at nothing (what [`resolve`]
    /// reports), without making the resolved URL.
    ///
    /// [`resolve`]: Self::resolve
    pub fn broken(&self, url: &str) -> Option<String> {
        self.internal(url).err()
    }

    /// For an `@/` link that points at something: the page it names (relative to the site
    /// root, ending in `/` unless it names a file) and the fragment. `Ok(None)` for any other
    /// URL, `Err` with the target (the text after `@/`) for a broken `@/` link.
    fn internal<'u>(&self, url: &'u str) -> Result<Option<InternalLink<'u>>, String> {
        let Some(internal) = url.strip_prefix("@/") else {
            return Ok(None);
        };
        let (path, fragment) = match internal.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (internal, None),
        };
        let path = path.trim_start_matches('/');
        let path = if !path.is_empty() && !path.ends_with('/') && !path.contains('.') {
            Cow::Owned(format!("{path}/"))
        } else {
            Cow::Borrowed(path)
        };
        if !self.targets.contains(&path, fragment) {
            return Err(internal.to_string());
        }
        Ok(Some((path, fragment)))
    }
}

/// The destinations of the `@/` links and images of editor Markdown, in order: what
/// [`to_html`] resolves, found without writing any HTML.
pub fn internal_links(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, markdown_options())
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if dest_url.starts_with("@/") =>
            {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

/// Editor Markdown as sanitised HTML; `broken` collects `@/` targets that do not exist.
pub fn to_html(markdown: &str, links: &LinkContext<'_>, broken: &mut Vec<String>) -> String {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(markdown, markdown_options()) {
        if let Some((language, text)) = &mut code {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let html = highlight_code(language, text);
                    events.push(Event::Html(html.into()));
                    code = None;
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let language = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((language, String::new()));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = resolve_or_report(links, dest_url, broken);
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = resolve_or_report(links, dest_url, broken);
                events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    let raw_html = events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    if raw_html {
        // Editors' own HTML is the one thing that needs a full sanitiser; most notes have none.
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        return sanitize(&html);
    }
    push_safe_html(&mut html, events.into_iter());
    html
}

/// Writes Markdown events as HTML that is safe by construction: raw HTML is dropped, link and
/// image URLs other than `http`, `https`, `mailto` and scheme-less ones are removed, external
/// links get `rel="noopener noreferrer"`, and tables carry no inline `style`. Everything else
/// pulldown-cmark writes is text it escapes and tags from a fixed set, so no sanitiser pass is
/// needed. Callers insert their own trusted HTML as `Event::Html`, so raw HTML from editors must
/// already be filtered out of `events`.
pub fn push_safe_html<'e>(out: &mut String, events: impl Iterator<Item = Event<'e>>) {
    let events = events.map(|event| match event {
        Event::Start(Tag::Link {
            dest_url, title, ..
        }) => {
            let mut tag = String::from("<a");
            if let Some(url) = safe_url(&dest_url) {
                tag.push_str(" href=\"");
                escape_html_into(&mut tag, url);
                tag.push('"');
                if is_external(url) {
                    tag.push_str(" rel=\"noopener noreferrer\"");
                }
            }
            if !title.is_empty() {
                tag.push_str(" title=\"");
                escape_html_into(&mut tag, &title);
                tag.push('"');
            }
            tag.push('>');
            Event::Html(tag.into())
        }
        Event::End(TagEnd::Link) => Event::Html("</a>".into()),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: if safe_url(&dest_url).is_some() {
                dest_url
            } else {
                CowStr::Borrowed("")
            },
            title,
            id,
        }),
        Event::Start(Tag::Table(alignments)) => Event::Start(Tag::Table(vec![
            pulldown_cmark::Alignment::None;
            alignments.len()
        ])),
        other => other,
    });
    pulldown_cmark::html::push_html(out, events);
}

/// `url` when a browser following it runs nothing: no scheme (a path or fragment), or `http`,
/// `https`, `mailto`. Control characters and tabs, which browsers strip before reading the
/// scheme (`java&#9;script:`), make a URL unsafe outright.
pub fn safe_url(url: &str) -> Option<&str> {
    if url.chars().any(|c| c.is_control()) {
        return None;
    }
    let trimmed = url.trim_start();
    let scheme_end = trimmed.find([':', '/', '?', '#']);
    match scheme_end {
        Some(end) if trimmed[end..].starts_with(':') => {
            let scheme = trimmed[..end].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto").then_some(url)
        }
        _ => Some(url),
    }
}

fn is_external(url: &str) -> bool {
    let lower = url
        .trim_start()
        .get(..8)
        .unwrap_or(url)
        .to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || url.starts_with("//")
}

fn resolve_or_report<'u>(
    links: &LinkContext<'_>,
    dest_url: CowStr<'u>,
    broken: &mut Vec<String>,
) -> CowStr<'u> {
    match links.resolve(&dest_url) {
        Ok(CowStr::Boxed(resolved)) => CowStr::Boxed(resolved),
        Ok(_) => dest_url,
        Err(target) => {
            broken.push(target);
            CowStr::Borrowed("#")
        }
    }
}

/// Removes anything executable from HTML: scripts, event handlers, `javascript:` URLs,
/// iframes, forms, styles. Keeps what gloss itself emits (marks, data attributes, ids).
pub fn sanitize(html: &str) -> String {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let mut builder = ammonia::Builder::default();
            builder
                .add_tags(["mark", "aside", "section", "figure", "figcaption", "time"])
                .add_generic_attributes(["id", "class", "title", "lang", "dir"])
                .add_tag_attributes("mark", ["data-annotation"])
                .add_tag_attributes("a", ["data-entity", "aria-label", "aria-describedby"])
                .add_tag_attributes("span", ["data-entity"])
                .add_tag_attributes("aside", ["aria-label", "data-annotation"])
                .add_tag_attributes("time", ["datetime"])
                .add_tag_attributes("div", ["data-block"])
                .url_schemes(["http", "https", "mailto"].into_iter().collect())
                .link_rel(Some("noopener noreferrer"))
                .id_prefix(None);
            builder
        })
        .clean(html)
        .to_string()
}

/// Highlights a code block with syntect into class-based HTML (`<pre class="code">`), falling
/// back to plain escaped text for unknown languages. Syntax definitions load on first use.
pub fn highlight_code(language: &str, code: &str) -> String {
    use syntect::html::{ClassStyle, ClassedHTMLGenerator};
    use syntect::parsing::SyntaxSet;
    use syntect::util::LinesWithEndings;

    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    let syntaxes = SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines);
    let language_class = language
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '+')
        .collect::<String>();
    let syntax = (!language.is_empty())
        .then(|| syntaxes.find_syntax_by_token(language))
        .flatten();
    let Some(syntax) = syntax else {
        return format!(
            "<pre class=\"code\"><code>{}</code></pre>\n",
            escape_html(code)
        );
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        syntaxes,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return format!(
                "<pre class=\"code\"><code>{}</code></pre>\n",
                escape_html(code)
            );
        }
    }
    format!(
        "<pre class=\"code highlighted\"><code class=\"language-{language_class}\">{}</code></pre>\n",
        generator.finalize()
    )
}

/// The stylesheet for highlighted code: a light and a dark palette, by `prefers-color-scheme`.
pub fn syntax_css() -> String {
    use syntect::highlighting::ThemeSet;
    use syntect::html::{ClassStyle, css_for_theme_with_class_style};
    let themes = ThemeSet::load_defaults();
    let style = ClassStyle::SpacedPrefixed { prefix: "hl-" };
    let light = themes
        .themes
        .get("InspiredGitHub")
        .and_then(|t| css_for_theme_with_class_style(t, style).ok())
        .unwrap_or_default();
    let dark = themes
        .themes
        .get("base16-ocean.dark")
        .and_then(|t| css_for_theme_with_class_style(t, style).ok())
        .unwrap_or_default();
    format!(
        "/* Generated by gloss from syntect themes. */\n{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
    )
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_html_into(&mut out, text);
    out
}

pub fn escape_html_into(out: &mut String, text: &str) {
    let _ = for_each_escaped_run(text, |run| {
        out.push_str(run);
        Ok(())
    });
}

/// Templates' autoescaping (set by `compile_templates`): the same bytes as tera's own escaping,
/// written a run at a time rather than a byte at a time, which made it a tenth of the render.
pub fn escape_html_to(text: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for_each_escaped_run(text, |run| out.write_all(run.as_bytes()))
}

/// Calls `put` with `text` escaped for HTML, in pieces: runs of text that need no escaping and
/// the entities of the five characters that do (`&`, `<`, `>`, `"` and `'`).
fn for_each_escaped_run(
    text: &str,
    mut put: impl FnMut(&str) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // The escaped characters are ASCII, so `index` is a character boundary.
        put(&text[start..index])?;
        put(entity)?;
        start = index + 1;
    }
    put(&text[start..])
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Targets listed as strings: pages (`sources/a/`) and fragments (`sources/a/#ann-x`).
    impl LinkTargets for HashSet<String> {
        fn contains(&self, page: &str, fragment: Option<&str>) -> bool {
            HashSet::contains(self, page)
                && fragment.is_none_or(|f| HashSet::contains(self, &format!("{page}#{f}")))
        }
    }

    fn html(markdown: &str) -> String {
        let index: HashSet<String> = ["sources/a/".to_string(), "sources/a/#ann-x".to_string()]
            .into_iter()
            .collect();
        let links = LinkContext {
            base_path: "/repo/",
            targets: &index,
        };
        let mut broken = Vec::new();
        to_html(markdown, &links, &mut broken)
    }

    #[test]
    fn only_safe_url_schemes_are_kept() {
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "vbscript:x",
            "data:text/html,<script>",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
        for good in [
            "https://a.example/x",
            "mailto:a@b",
            "/sources/a/",
            "#ann-x",
            "a/b:c",
            "?q=a:b",
        ] {
            assert_eq!(safe_url(good), Some(good), "{good}");
        }
    }

    #[test]
    fn notes_without_raw_html_are_written_safe_without_the_sanitiser() {
        let out =
            html("[a](java&#9;script:alert(1)) [b](https://x.example \"t\") ![i](javascript:x)");
        assert!(!out.contains("script:"), "{out}");
        assert!(out.contains("<a rel") || out.contains("<a>"), "{out}");
        assert!(
            out.contains(
                "<a href=\"https://x.example\" rel=\"noopener noreferrer\" title=\"t\">b</a>"
            ),
            "{out}"
        );
        let table = html("| a |\n|:-:|\n| b |");
        assert!(!table.contains("style"), "{table}");
    }

    #[test]
    fn internal_links_gain_the_base_path() {
        assert!(html("[x](@/sources/a/#ann-x)").contains("href=\"/repo/sources/a/#ann-x\""));
    }

    #[test]
    fn scripts_and_handlers_are_removed() {
        let out = html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1))",
        );
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("onerror"), "{out}");
        assert!(
            !out.to_ascii_lowercase().contains("href=\"javascript:"),
            "{out}"
        );
    }

    #[test]
    fn escaping_for_templates_writes_the_bytes_tera_would() {
        for text in [
            "",
            "plain",
            "<a href=\"x\">Tom & Jerry's</a>",
            "&&''\"\"<<>>",
            "café — «ünïcode» & ‘quotes’ <b>",
            "ends with &",
        ] {
            let mut ours = Vec::new();
            escape_html_to(text, &mut ours).expect("writing to a Vec");
            let mut teras = Vec::new();
            tera::escape_html(text, &mut teras).expect("writing to a Vec");
            assert_eq!(ours, teras, "{text}");
            assert_eq!(escape_html(text).as_bytes(), teras, "{text}");
        }
    }
}
