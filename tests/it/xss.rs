//! Nothing an editor writes is executed by a reader's browser: a briefing stuffed with XSS
//! payloads (in Markdown bodies, notes, descriptions, every front-matter string and
//! `site.toml`) builds, and no page of the output holds a script, an event handler, a
//! `javascript:`/`vbscript:`/`data:` URL, a frame, a form, a style or a `<base>` of the
//! editor's making. The feed's HTML content is held to the same rules, and the feed and the
//! JSON-LD export stay well-formed.
//!
//! Every output page is parsed with `scraper` (html5ever, as a browser parses), so entity
//! encodings, odd case and white space inside schemes are judged as a browser would see them.
//! URL fields (`url`, link URLs) only take http(s) addresses: any other scheme is an error.

use scraper::{ElementRef, Html, Node};

use crate::site_test::SiteTest;

/// The site's base path: theme scripts and stylesheets must live under it.
const BASE_URL: &str = "https://example.org/repo/";
const BASE_PATH: &str = "/repo/";

/// Payloads, one per Markdown paragraph: HTML vectors (scripts, handlers, URL schemes in any
/// case and encoding, SVG and MathML, `<base>`, refresh, forms, frames, plugins, styles) and
/// Markdown vectors (inline, autolink, image and reference links).
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" oNeRrOr=\"alert(1)\">",
    "<img src=`x`onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"0\" y=\"20\">svg link</text></a></svg>",
    "<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">math link</math>",
    "<a href=\"javascript:alert(1)\">plain</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">mixed case</a>",
    "<a href=\"&#106;avascript:alert(1)\">decimal entity</a>",
    "<a href=\"&#x6A;avascript&#x3A;alert(1)\">hex entity</a>",
    "<a href=\"javascript&colon;alert(1)\">named entity</a>",
    "<a href=\"java&#9;script:alert(1)\">tab entity</a>",
    "<a href=\"java\tscript:alert(1)\">raw tab</a>",
    "<a href=\"java\nscript:alert(1)\">raw newline</a>",
    "<a href=\" &#1;javascript:alert(1)\">leading space and control</a>",
    "<a href=\"%6Aavascript:alert(1)\">percent-encoded</a>",
    "<a href=\"vbscript:msgbox(1)\">vbscript</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<img src=\"data:image/svg+xml,&lt;svg onload=alert(1)&gt;\">",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><input type=\"submit\"></form>",
    "<button formaction=\"javascript:alert(1)\">button</button>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=\"stylesheet\" href=\"javascript:alert(1)\">",
    "<details open ontoggle=alert(1)>details</details>",
    "<video><source onerror=alert(1)></video>",
    "<input autofocus onfocus=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "{{ config }} {% raw %}template{% endraw %}",
    "[inline](javascript:alert(1))",
    "[upper](JAVASCRIPT:alert(1))",
    "[angle](<javascript:alert(1)>)",
    "[entity](&#106;avascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[titled](https://example.com \"onmouseover=alert(1)\")",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "![image](javascript:alert(1))",
    "![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[reference][evil] and [collapsed][]\n\n[evil]: javascript:alert(1)\n[collapsed]: vbscript:msgbox(1)",
];

/// What a one-line front-matter or `site.toml` string carries: markup that breaks out of text,
/// double- and single-quoted attributes, and a URL scheme.
const LINE_PAYLOAD: &str =
    "\"'><script>alert(1)</script><img src=x onerror=alert(1)> javascript:alert(1) {{ 7*7 }}";

/// Every payload as Markdown paragraphs.
fn payload_markdown() -> String {
    PAYLOADS.join("\n\n") + "\n"
}

/// A YAML (and TOML) double-quoted string: JSON's escapes are valid in both.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialise")
}

/// A one-line payload made distinct by `label` (entity names and aliases must differ).
fn line(label: &str) -> String {
    quoted(&format!("{label} {LINE_PAYLOAD}"))
}

/// The minimal briefing with every payload in every place that takes text.
fn payload_briefing() -> SiteTest {
    let site = SiteTest::new("build/minimal");
    site.write(
        "site.toml",
        &format!(
            "title = {}\nbase_url = \"{BASE_URL}\"\ndescription = {}\n",
            line("Site"),
            line("Description")
        ),
    );
    site.write(
        "content/_index.md",
        &format!(
            "---\ntitle: {}\nsummary: {}\n---\n\n{}",
            line("Front"),
            line("Summary"),
            payload_markdown()
        ),
    );
    site.write(
        "content/sources/payloads.md",
        &format!(
            "---\ntitle: {}\npublisher: {}\nauthor: {}\ndate: 2024-05-01\nurl: \"https://example.com/a?b=1&c=<2>\"\nsummary: {}\n---\n\nThe harbour said hello to the Payload Agency today.\n\n{}",
            line("Title"),
            line("Publisher"),
            line("Author"),
            line("Summary"),
            payload_markdown()
        )
        .replace("&c=<2>", "&c=2"),
    );
    site.write(
        "content/entities/payload-agency.md",
        &format!(
            "---\nname: \"Payload Agency\"\naliases: [{}, {}]\nurl: \"https://example.com/agency\"\n---\n\n{}",
            line("Alias one"),
            line("Alias two"),
            payload_markdown()
        ),
    );
    site.write(
        "content/entities/markup-entity.md",
        &format!(
            "---\nname: {}\nkind: person\n---\n\n{}",
            line("Entity"),
            payload_markdown()
        ),
    );
    site.write(
        "content/themes/payloads.md",
        &format!(
            "---\ntitle: {}\norder: 2\n---\n\n{}",
            line("Theme"),
            payload_markdown()
        ),
    );
    let note: String = payload_markdown()
        .lines()
        .map(|line| format!("      {line}\n"))
        .collect();
    site.write(
        "content/annotations/payloads.yaml",
        &format!(
            "source: payloads\nannotations:\n  - id: payload-note\n    quote: \"The harbour said hello\"\n    kind: claim\n    status: disputed\n    author: {}\n    entities: [payload-agency, markup-entity]\n    themes: [payloads]\n    links:\n      - title: {}\n        url: \"https://example.com/link\"\n    note: |\n{note}",
            line("Author"),
            line("Link title"),
        ),
    );
    site.write(
        "content/annotations/payload-file.md",
        &format!(
            "---\nsource: payloads\nid: payload-file\nquote: \"Payload Agency today\"\nentities: [payload-agency]\nthemes: [payloads]\nauthor: {}\n---\n\n{}",
            line("Markdown author"),
            payload_markdown()
        ),
    );
    site
}

/// Theme scripts the pages may load: external, from the site itself.
fn is_theme_script(src: &str) -> bool {
    src.strip_prefix(BASE_PATH)
        .is_some_and(|path| path == "search.js" || path.starts_with("pagefind/"))
}

/// Attributes whose value a browser follows or runs as a URL.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "data",
    "codebase",
    "cite",
    "background",
    "poster",
    "ping",
    "lowsrc",
    "dynsrc",
    "values",
    "from",
    "to",
    "by",
];

/// Elements no page may hold (their theme-made exceptions are checked separately).
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "math",
    "foreignobject",
    "animate",
    "set",
    "animatemotion",
    "animatetransform",
    "template",
];

/// A URL as a browser reads its scheme: ASCII tab and newlines removed anywhere, leading and
/// trailing controls and spaces trimmed, lowercase.
fn url_scheme_view(url: &str) -> String {
    url.chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .trim_matches(|c: char| c <= ' ')
        .to_ascii_lowercase()
}

fn is_dangerous_url(url: &str) -> bool {
    let url = url_scheme_view(url);
    ["javascript:", "vbscript:", "data:", "livescript:"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
}

/// Every way `document` could run script or load active content, as readable problems.
fn executable_content(document: &Html, page: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for node in document.tree.nodes() {
        let Node::Element(element) = node.value() else {
            continue;
        };
        let name = element.name().to_ascii_lowercase();
        let mut problem = |what: String| problems.push(format!("{page}: {what}"));
        if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
            problem(format!("a <{name}> element"));
        }
        match name.as_str() {
            "script" => {
                let src = element.attr("src");
                if !src.is_some_and(is_theme_script) {
                    problem(format!("a script that is not the theme's: src {src:?}"));
                }
                let inline: String = ElementRef::wrap(node).expect("an element").text().collect();
                if !inline.trim().is_empty() {
                    problem(format!("an inline script: {inline:?}"));
                }
            }
            "form" => {
                let theme_search = element.id() == Some("search-form")
                    && element.attr("action") == Some(&format!("{BASE_PATH}search/")[..]);
                if !theme_search {
                    problem(format!("a form: {:?}", element.attrs().collect::<Vec<_>>()));
                }
            }
            "meta" => {
                if let Some(equiv) = element.attr("http-equiv")
                    && !equiv.eq_ignore_ascii_case("content-security-policy")
                {
                    problem(format!("<meta http-equiv={equiv:?}>"));
                }
            }
            "link" => {
                let href = element.attr("href").unwrap_or_default();
                if !(href.starts_with(BASE_PATH) || href.starts_with(BASE_URL)) {
                    problem(format!("a <link> to {href:?}"));
                }
            }
            _ => {}
        }
        for (attribute, value) in element.attrs() {
            let attribute = attribute.to_ascii_lowercase();
            if attribute.starts_with("on") {
                problem(format!("<{name} {attribute}={value:?}>"));
            }
            if attribute == "style" {
                problem(format!("<{name} style={value:?}>"));
            }
            if attribute == "srcdoc" {
                problem(format!("<{name} srcdoc={value:?}>"));
            }
            if URL_ATTRIBUTES.contains(&attribute.as_str()) && is_dangerous_url(value) {
                problem(format!("<{name} {attribute}={value:?}>"));
            }
        }
    }
    problems
}

/// A very small XML well-formedness check: balanced, properly nested tags, quoted attributes,
/// no stray `<` and only the five predefined or numeric character references.
fn assert_well_formed_xml(xml: &str, name: &str) {
    fn check_text(text: &str, name: &str) {
        assert!(
            !text.contains('<'),
            "{name}: a raw `<` in text or attribute"
        );
        let mut rest = text;
        while let Some(at) = rest.find('&') {
            let after = &rest[at + 1..];
            let end = after.find(';').unwrap_or_else(|| {
                panic!(
                    "{name}: `&` without `;` near {:?}",
                    &after[..after.len().min(30)]
                )
            });
            let reference = &after[..end];
            let ok = matches!(reference, "amp" | "lt" | "gt" | "quot" | "apos")
                || reference.strip_prefix("#x").is_some_and(|hex| {
                    !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit())
                })
                || reference
                    .strip_prefix('#')
                    .is_some_and(|dec| !dec.is_empty() && dec.chars().all(|c| c.is_ascii_digit()));
            assert!(ok, "{name}: the reference `&{reference};`");
            rest = &after[end + 1..];
        }
    }
    let mut rest = xml.trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = &after[after.find("?>").expect("the declaration ends") + 2..];
    }
    let mut stack: Vec<String> = Vec::new();
    let mut n_roots = 0;
    while let Some(at) = rest.find('<') {
        check_text(&rest[..at], name);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").expect("comment ends") + 3..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            rest = &after[after.find("]]>").expect("CDATA ends") + 3..];
            continue;
        }
        // A tag ends at the first `>` outside quotes.
        let mut quote = None;
        let end = rest
            .char_indices()
            .find(|&(_, c)| match quote {
                Some(q) if c == q => {
                    quote = None;
                    false
                }
                Some(_) => false,
                None if c == '"' || c == '\'' => {
                    quote = Some(c);
                    false
                }
                None => c == '>',
            })
            .map(|(index, _)| index)
            .unwrap_or_else(|| panic!("{name}: a tag does not end"));
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(closing) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("{name}: `</{closing}>` closes nothing"));
            assert_eq!(open, closing.trim(), "{name}: tags nest");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (tag_name, mut attributes) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        assert!(
            !tag_name.is_empty()
                && tag_name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_' | '.')),
            "{name}: the tag name `{tag_name}`"
        );
        loop {
            attributes = attributes.trim_start();
            if attributes.is_empty() {
                break;
            }
            let (attribute, after) = attributes
                .split_once('=')
                .unwrap_or_else(|| panic!("{name}: attribute without value in <{tag_name}>"));
            assert!(!attribute.trim().is_empty(), "{name}: attribute name");
            let after = after.trim_start();
            let quote = after.chars().next().expect("a value");
            assert!(
                quote == '"' || quote == '\'',
                "{name}: unquoted attribute in <{tag_name}>"
            );
            let value_end = after[1..].find(quote).expect("the value ends") + 1;
            check_text(&after[1..value_end], name);
            attributes = &after[value_end + 1..];
        }
        if stack.is_empty() {
            n_roots += 1;
        }
        if !self_closing {
            stack.push(tag_name.to_string());
        }
    }
    check_text(rest.trim(), name);
    assert!(rest.trim().is_empty(), "{name}: text after the root");
    assert!(stack.is_empty(), "{name}: unclosed {stack:?}");
    assert_eq!(n_roots, 1, "{name}: one root element");
}

/// XML character references and the five entities back to text.
fn unescape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').expect("references end");
        let reference = &after[..end];
        let decoded = match reference {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => reference
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| reference.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        out.push(decoded.expect("a known reference"));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn payloads_everywhere_build_a_site_that_runs_no_editor_script() {
    assert!(PAYLOADS.len() >= 30);
    let site = payload_briefing();
    let run = site.build();
    run.assert_no_panic();

    let pages = site.output_pages();
    assert!(pages.len() > 5);
    let mut problems = Vec::new();
    for (path, page) in &pages {
        problems.extend(executable_content(&Html::parse_document(page), path));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // The search page keeps the theme's own script, so the check above is not vacuous.
    let search = Html::parse_document(&site.page("search/"));
    let scripts = crate::html::select(&search, "script[src]");
    assert_eq!(scripts.len(), 1, "the theme's search script");
}

#[test]
fn editor_text_is_shown_as_text_not_dropped() {
    let site = payload_briefing();
    site.build();
    let home = Html::parse_document(&site.page(""));
    let title = crate::html::select(&home, "title");
    let title = crate::html::text(title[0]);
    assert!(
        title.contains("<script>alert(1)</script>") && title.contains("{{ 7*7 }}"),
        "the site title is escaped, not stripped or evaluated: {title:?}"
    );
    let source = Html::parse_document(&site.page("sources/payloads/"));
    let main = crate::html::text(crate::html::select(&source, "main")[0]);
    assert!(
        main.contains("Publisher \"'><script>alert(1)</script>"),
        "the publisher is shown as written:\n{main}"
    );
    assert!(main.contains("{{ config }}"), "Markdown is not a template");
}

#[test]
fn feed_and_export_stay_well_formed_and_the_feed_html_is_sanitised() {
    let site = payload_briefing();
    site.build();
    let feed = site.read("public/atom.xml");
    assert_well_formed_xml(&feed, "atom.xml");
    assert_well_formed_xml(&site.read("public/sitemap.xml"), "sitemap.xml");
    let mut n_contents = 0;
    for piece in feed.split("<content type=\"html\">").skip(1) {
        let escaped = piece.split("</content>").next().expect("content ends");
        let html = unescape_xml(escaped);
        let problems = executable_content(&Html::parse_fragment(&html), "atom.xml content");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        n_contents += 1;
    }
    assert!(n_contents >= 2, "the notes are in the feed");
    let export: serde_json::Value =
        serde_json::from_str(&site.read("public/annotations.jsonld")).expect("JSON-LD parses");
    assert_eq!(export["total"], 3, "every annotation is exported");
    assert!(
        export["label"]
            .as_str()
            .is_some_and(|label| label.contains("<script>alert(1)</script>")),
        "the site title is data in the export: {}",
        export["label"]
    );
}

/// `url` and link URLs take only http(s) addresses: every other scheme, however written, is an
/// error at the value, and nothing is written.
#[test]
fn url_fields_refuse_every_other_scheme() {
    let bad = [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "//evil.example/x",
        "https://example.com/\" onmouseover=\"alert(1)",
        "https://example.com/<script>",
    ];
    let site = SiteTest::new("build/minimal");
    let links: String = bad
        .iter()
        .map(|url| format!("      - title: \"bad\"\n        url: {}\n", quoted(url)))
        .collect();
    site.edit("content/annotations/harbour-report.yaml", |text| {
        format!("{text}{links}")
    });
    site.edit("content/sources/harbour-report.md", |text| {
        text.replace("https://example.com/harbour", "javascript:alert(1)")
    });
    site.edit("content/entities/harbour-authority.md", |text| {
        text.replace("https://example.com/authority", "data:text/html,x")
    });
    let run = site.gloss(&["build"]).assert_code(1);
    run.assert_no_panic();
    let n_rejected = run
        .stderr
        .lines()
        .filter(|line| {
            line.starts_with("error[invalid-value]") && line.contains("is not an http(s) URL")
        })
        .count();
    assert_eq!(n_rejected, bad.len() + 2, "{}", run.stderr);
    assert!(!site.output_dir().exists(), "nothing is written");
}

#[test]
fn url_scheme_view_sees_schemes_as_browsers_do() {
    for url in [
        "javascript:x",
        " JAVASCRIPT:x",
        "java\tscript:x",
        "\u{1}data:x",
        "vbscript:x",
    ] {
        assert!(is_dangerous_url(url), "{url:?}");
    }
    for url in [
        "https://x",
        "/repo/a/",
        "#ann-x",
        "%6Aavascript:x",
        "mailto:a@b",
    ] {
        assert!(!is_dangerous_url(url), "{url:?}");
    }
}

/// The checker itself finds each kind of executable content (so a clean result means something).
#[test]
fn the_checker_finds_what_it_looks_for() {
    let cases = [
        "<script>alert(1)</script>",
        "<script src=\"/repo/evil.js\"></script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"java&#9;script:alert(1)\">x</a>",
        "<svg><a href=\"javascript:alert(1)\">x</a></svg>",
        "<iframe></iframe>",
        "<object></object>",
        "<embed>",
        "<base href=\"/\">",
        "<meta http-equiv=\"refresh\" content=\"0\">",
        "<form action=\"/repo/x\"></form>",
        "<button formaction=\"data:text/html,x\">x</button>",
        "<div style=\"color:red\">x</div>",
        "<style>a{}</style>",
        "<math></math>",
        "<svg><animate attributeName=\"href\" values=\"javascript:alert(1)\"/></svg>",
    ];
    for case in cases {
        let document = Html::parse_document(&format!(
            "<!DOCTYPE html><html><head></head><body>{case}</body></html>"
        ));
        assert!(
            !executable_content(&document, "case").is_empty(),
            "{case} is found"
        );
    }
    let theme = format!(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'\"><link rel=\"stylesheet\" href=\"{BASE_PATH}style.css\"></head><body><form id=\"search-form\" action=\"{BASE_PATH}search/\"></form><script type=\"module\" src=\"{BASE_PATH}search.js\"></script></body></html>"
    );
    let problems = executable_content(&Html::parse_document(&theme), "theme");
    assert!(problems.is_empty(), "{problems:?}");
}

/// Every page carries the theme's strict Content-Security-Policy, before anything it governs:
/// scripts only from the site itself (no WebAssembly, no workers), no inline code or styles,
/// no plugins, no `<base>`.
#[test]
fn every_page_carries_a_strict_content_security_policy() {
    let site = SiteTest::new("build/minimal");
    site.build();
    for (path, page) in site.output_pages() {
        let document = Html::parse_document(&page);
        let policies =
            crate::html::select(&document, "head meta[http-equiv=Content-Security-Policy]");
        assert_eq!(policies.len(), 1, "{path} has one policy");
        let policy = policies[0].attr("content").unwrap_or_default();
        for directive in [
            "default-src 'self'",
            "script-src 'self';",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(
                policy.contains(directive),
                "{path}: {directive} in {policy:?}"
            );
        }
        for loose in ["unsafe-inline", "unsafe-eval", "worker-src"] {
            assert!(!policy.contains(loose), "{path}: {loose} in {policy:?}");
        }
        let at = page.find("Content-Security-Policy").expect("the policy");
        for governed in ["<link", "<script", "<style", "<img"] {
            assert!(
                page.find(governed).is_none_or(|first| at < first),
                "{path}: the policy comes before the first {governed}"
            );
        }
    }
}
