//! Markdown → safe HTML for editor-written text (notes, descriptions, the front page), and the
//! pieces the source-body renderer shares: `@/` internal links, code highlighting, sanitising.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Parser, Tag, TagEnd};

use crate::anchor::text::markdown_options;

/// The pages and fragments of the site, to check `@/` links against.
#[derive(Debug, Default)]
pub struct SiteIndex {
    /// Paths relative to the site root, like `sources/a/`, and fragments like `sources/a/#ann-x`.
    pub targets: HashSet<String>,
}

/// How links in editor Markdown are resolved.
pub struct LinkContext<'s> {
    pub base_path: &'s str,
    pub site_index: &'s SiteIndex,
}

impl LinkContext<'_> {
    /// Resolves `@/path#frag` to the base path; `Err` with the target when it points at nothing.
    pub fn resolve<'u>(&self, url: &'u str) -> Result<CowStr<'u>, String> {
        let Some(internal) = url.strip_prefix("@/") else {
            return Ok(CowStr::Borrowed(url));
        };
        let (path, fragment) = match internal.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (internal, None),
        };
        let mut path = path.trim_start_matches('/').to_string();
        if !path.is_empty() && !path.ends_with('/') && !path.contains('.') {
            path.push('/');
        }
        let exists = self.site_index.targets.contains(&path)
            && fragment.is_none_or(|f| self.site_index.targets.contains(&format!("{path}#{f}")));
        if !exists {
            return Err(internal.to_string());
        }
        let mut resolved = format!("{}{path}", self.base_path);
        if let Some(fragment) = fragment {
            resolved.push('#');
            resolved.push_str(fragment);
        }
        Ok(CowStr::Boxed(resolved.into_boxed_str()))
    }
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
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html)
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
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        let index = SiteIndex {
            targets: ["sources/a/".to_string(), "sources/a/#ann-x".to_string()]
                .into_iter()
                .collect(),
        };
        let links = LinkContext {
            base_path: "/repo/",
            site_index: &index,
        };
        let mut broken = Vec::new();
        to_html(markdown, &links, &mut broken)
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
}
