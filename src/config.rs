//! `site.toml` → [`Config`].
//!
//! Owns the site settings, their defaults and validation, and turns relative paths into
//! absolute ones. Problems in `site.toml` are diagnostics pointing into it.
//! It never reads content.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

use crate::diagnostics::{Code, Diagnostic, Diagnostics, Span, suggestion_help};
use crate::files::{FileId, Files, SourceFile};

/// The base URL split into what pages need: the absolute form for feeds and canonical links,
/// the path for internal links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// Always ends with `/`, e.g. `https://owner.github.io/repo/`.
    pub absolute: String,
    /// The path part, always starting and ending with `/`, e.g. `/repo/`.
    pub path: String,
}

impl BaseUrl {
    /// Parses an absolute `http(s)://host[/path]` URL; `None` when it is not one.
    pub fn parse(url: &str) -> Option<BaseUrl> {
        let url = url.trim();
        let after_scheme = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        if after_scheme.contains(['?', '#', ' ', '\\', '"', '<', '>']) {
            return None;
        }
        let (host, path) = match after_scheme.find('/') {
            Some(slash) => after_scheme.split_at(slash),
            None => (after_scheme, "/"),
        };
        if host.is_empty() || path.split('/').any(|segment| segment == "..") {
            return None;
        }
        let mut path = path.to_string();
        if !path.ends_with('/') {
            path.push('/');
        }
        let scheme_len = url.len() - after_scheme.len();
        Some(BaseUrl {
            absolute: format!("{}{host}{path}", &url[..scheme_len]),
            path,
        })
    }
}

/// Site settings, validated, with absolute paths.
#[derive(Clone, Debug)]
pub struct Config {
    pub root: PathBuf,
    pub title: String,
    pub base_url: BaseUrl,
    pub description: String,
    pub language: String,
    /// Name of the site theme: a folder under `themes/`.
    pub site_theme: String,
    pub output_dir: PathBuf,
    /// Custom domain for GitHub Pages (a bare host name); when set, the site gets a `CNAME` file.
    pub cname: Option<String>,
    /// How many entries `atom.xml` holds, newest first (`feed_limit`, default
    /// [`DEFAULT_FEED_LIMIT`]). Feed readers poll the whole file, so it stays small.
    pub feed_limit: usize,
}

/// Entries in `atom.xml` when `site.toml` sets no `feed_limit`.
pub const DEFAULT_FEED_LIMIT: usize = 100;

impl Config {
    pub fn content_dir(&self) -> PathBuf {
        self.root.join("content")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.root.join("themes")
    }

    pub fn site_theme_dir(&self) -> PathBuf {
        self.themes_dir().join(&self.site_theme)
    }

    pub fn static_dir(&self) -> PathBuf {
        self.root.join("static")
    }
}

/// What the command line may override.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub output_dir: Option<PathBuf>,
    pub base_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: toml::Spanned<String>,
    base_url: toml::Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    language: Option<toml::Spanned<String>>,
    #[serde(default)]
    theme: Option<toml::Spanned<String>>,
    #[serde(default)]
    output_dir: Option<toml::Spanned<String>>,
    #[serde(default)]
    cname: Option<toml::Spanned<String>>,
    #[serde(default)]
    feed_limit: Option<toml::Spanned<i64>>,
}

const KEYS: &[&str] = &[
    "title",
    "base_url",
    "description",
    "language",
    "theme",
    "output_dir",
    "cname",
    "feed_limit",
];

/// Reads `site.toml` under `root`. Content problems are pushed to `diagnostics` and give
/// `Ok(None)`; only I/O failures are `Err`.
pub fn load(
    root: &Path,
    overrides: &Overrides,
    files: &mut Files,
    diagnostics: &mut Diagnostics,
) -> anyhow::Result<Option<Config>> {
    let path = root.join("site.toml");
    // The same limit as content files, so a huge or endless file is refused, not read.
    if let Ok(metadata) = std::fs::metadata(&path)
        && metadata.len() > crate::source::MAX_FILE_BYTES
    {
        let file = files.add(SourceFile::new("site.toml".into(), String::new()));
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidFile,
                Span::new(file, 0..0),
                format!(
                    "`site.toml` is {} bytes, more than the {} MiB gloss reads",
                    metadata.len(),
                    crate::source::MAX_FILE_BYTES / (1024 * 1024)
                ),
            )
            .with_help("`site.toml` needs only a few lines"),
        );
        return Ok(None);
    }
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (is this a gloss briefing? `gloss init` makes one)",
            path.display()
        )
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid_up_to = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let file = files.add(SourceFile::new("site.toml".into(), lossy));
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidFile,
                    Span::new(file, valid_up_to..valid_up_to),
                    "`site.toml` is not valid UTF-8",
                )
                .with_help("save the file as UTF-8"),
            );
            return Ok(None);
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    let file = files.add(SourceFile::new("site.toml".into(), text));
    let text = files.get(file).text.as_str();
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(err) => {
            diagnostics.push(toml_diagnostic(&err, file, text));
            return Ok(None);
        }
    };
    Ok(validate(raw, root, overrides, file, diagnostics))
}

fn toml_diagnostic(err: &toml::de::Error, file: FileId, text: &str) -> Diagnostic {
    let span = Span::new(file, err.span().unwrap_or(0..0));
    let message = err.message().trim();
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some(key) = rest.split('`').next()
    {
        return Diagnostic::error(
            Code::UnknownKey,
            span,
            format!("unknown key `{key}` in `site.toml`"),
        )
        .with_help(suggestion_help(key, KEYS, "keys"));
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(key) = rest.split('`').next()
    {
        return Diagnostic::error(
            Code::MissingField,
            span,
            format!("`site.toml` is missing the required key `{key}`"),
        )
        .with_help(match key {
            "base_url" => {
                "add a line like `base_url = \"https://owner.github.io/repo/\"`".to_string()
            }
            _ => format!("add a line like `{key} = \"...\"`"),
        });
    }
    if message.starts_with("duplicate key") {
        let key = text
            .get(span.start..span.end)
            .map(str::trim)
            .filter(|key| !key.is_empty());
        return Diagnostic::error(
            Code::Config,
            span,
            match key {
                Some(key) => format!("the key `{key}` appears twice in `site.toml`"),
                None => "a key appears twice in `site.toml`".to_string(),
            },
        )
        .with_help("keep one of them");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        let plain = |kind: &str| match kind.trim() {
            "a string" | "string" => "text".to_string(),
            "sequence" | "a sequence" | "array" => "a list".to_string(),
            "map" | "a map" | "table" => "a table".to_string(),
            "integer" | "an integer" => "a whole number".to_string(),
            "boolean" | "a boolean" => "`true` or `false`".to_string(),
            other => other.to_string(),
        };
        let expected = plain(expected);
        let help = if expected == "text" {
            "write text in double quotes, like `title = \"My briefing\"`"
        } else {
            "see the README's section on site.toml for the expected keys and values"
        };
        return Diagnostic::error(
            Code::Config,
            span,
            format!("expected {expected}, found {}", plain(found)),
        )
        .with_help(help);
    }
    Diagnostic::error(
        Code::Config,
        span,
        format!("invalid `site.toml`: {message}"),
    )
    .with_help("see the README's section on site.toml for the expected keys and values")
}

fn validate(
    raw: RawConfig,
    root: &Path,
    overrides: &Overrides,
    file: FileId,
    diagnostics: &mut Diagnostics,
) -> Option<Config> {
    let n_errors = diagnostics.n_errors();
    let spanned = |value: &toml::Spanned<String>| Span::new(file, value.span());

    let base_url_text = overrides
        .base_url
        .clone()
        .unwrap_or_else(|| raw.base_url.get_ref().clone());
    let base_url = BaseUrl::parse(&base_url_text);
    if base_url.is_none() {
        let origin = if overrides.base_url.is_some() {
            "`--base-url`"
        } else {
            "`base_url`"
        };
        diagnostics.push(
            Diagnostic::error(
                Code::Config,
                spanned(&raw.base_url),
                format!("{origin} `{base_url_text}` is not an absolute http(s) URL"),
            )
            .with_help("write it like `https://owner.github.io/repo/`"),
        );
    }

    let language = raw
        .language
        .as_ref()
        .map(|l| l.get_ref().clone())
        .unwrap_or_else(|| "en".to_string());
    let language_ok = !language.is_empty()
        && language.len() <= 35
        && language
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if !language_ok && let Some(spanned_language) = &raw.language {
        diagnostics.push(
            Diagnostic::error(
                Code::Config,
                spanned(spanned_language),
                format!("`language` `{language}` is not a language tag"),
            )
            .with_help("use a BCP 47 tag such as `en`, `en-GB` or `fr`"),
        );
    }

    let site_theme = raw
        .theme
        .as_ref()
        .map(|t| t.get_ref().clone())
        .unwrap_or_else(|| "default".to_string());
    if let Some(theme) = &raw.theme
        && !crate::model::is_valid_slug(theme.get_ref())
    {
        diagnostics.push(
            Diagnostic::error(
                Code::Config,
                spanned(theme),
                format!("`theme` `{site_theme}` is not a folder name under `themes/`"),
            )
            .with_help("use the name of a folder in `themes/`, such as `default`"),
        );
    } else if !root.join("themes").join(&site_theme).is_dir() {
        let span = raw
            .theme
            .as_ref()
            .map(spanned)
            .unwrap_or(Span::file_start(file));
        diagnostics.push(
            Diagnostic::error(
                Code::Config,
                span,
                format!(
                    "theme `{site_theme}` not found: there is no folder `themes/{site_theme}/`"
                ),
            )
            .with_help("copy a theme into `themes/` or set `theme` to the name of one that exists"),
        );
    }

    let output_dir = match (&overrides.output_dir, &raw.output_dir) {
        (Some(dir), _) => absolute(root, dir),
        (None, Some(dir)) => absolute(root, Path::new(dir.get_ref())),
        (None, None) => root.join("public"),
    };
    if let Some(reason) = unsafe_output_dir(root, &output_dir) {
        let span = raw
            .output_dir
            .as_ref()
            .filter(|_| overrides.output_dir.is_none())
            .map(spanned)
            .unwrap_or(Span::file_start(file));
        diagnostics.push(
            Diagnostic::error(
                Code::Config,
                span,
                format!("output folder `{}` {reason}", output_dir.display()),
            )
            .with_help("write the site to a folder of its own, such as `public`"),
        );
    }

    let cname = raw.cname.as_ref().map(|c| c.get_ref().trim().to_string());
    if let (Some(cname), Some(spanned_cname)) = (&cname, &raw.cname)
        && !is_host_name(cname)
    {
        diagnostics.push(
            Diagnostic::error(
                Code::Config,
                spanned(spanned_cname),
                format!("`cname` `{cname}` is not a bare host name"),
            )
            .with_help("write only the custom domain, like `briefing.example.org`: no `https://`, path or port"),
        );
    }

    let feed_limit = match &raw.feed_limit {
        None => DEFAULT_FEED_LIMIT,
        Some(limit) => match usize::try_from(*limit.get_ref()) {
            Ok(limit) if limit > 0 => limit,
            _ => {
                diagnostics.push(
                    Diagnostic::error(
                        Code::Config,
                        Span::new(file, limit.span()),
                        format!("`feed_limit` is {}; it must be at least 1", limit.get_ref()),
                    )
                    .with_help(format!(
                        "set how many entries `atom.xml` holds, such as {DEFAULT_FEED_LIMIT}, or remove the key"
                    )),
                );
                DEFAULT_FEED_LIMIT
            }
        },
    };

    if diagnostics.n_errors() > n_errors {
        return None;
    }
    Some(Config {
        root: root.to_path_buf(),
        title: raw.title.into_inner(),
        base_url: base_url.expect("checked above"),
        description: raw.description.unwrap_or_default(),
        language,
        site_theme,
        output_dir,
        cname: cname.map(|c| c.to_ascii_lowercase()),
        feed_limit,
    })
}

/// A DNS host name with at least two labels (`briefing.example.org`): what GitHub Pages
/// accepts in `CNAME`. Each label is 1 to 63 letters, digits or hyphens, not starting or ending
/// with a hyphen.
fn is_host_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

fn absolute(root: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    lexically_normal(&joined)
}

/// Resolves `.` and `..` without touching the disk, so the checks below see the real target.
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Why `output_dir` may not be used, if it may not: it must not be the root, hold the inputs,
/// or sit inside them.
fn unsafe_output_dir(root: &Path, output_dir: &Path) -> Option<&'static str> {
    let root = lexically_normal(root);
    let protected = [
        root.clone(),
        root.join("content"),
        root.join("themes"),
        root.join("static"),
        root.join("src"),
        root.join("tests"),
        root.join(".git"),
    ];
    if protected.iter().any(|p| p.starts_with(output_dir)) {
        return Some(
            "would contain the briefing's own files (it is the root or a parent of its inputs)",
        );
    }
    if protected[1..].iter().any(|p| output_dir.starts_with(p)) {
        return Some("is inside one of the briefing's input folders");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_its_path_and_gains_a_trailing_slash() {
        let base = BaseUrl::parse("https://owner.github.io/repo").expect("valid");
        assert_eq!(base.absolute, "https://owner.github.io/repo/");
        assert_eq!(base.path, "/repo/");
        let bare = BaseUrl::parse("http://localhost:1111").expect("valid");
        assert_eq!(bare.path, "/");
        assert!(BaseUrl::parse("owner.github.io/repo").is_none());
        assert!(BaseUrl::parse("https://x/a/../b").is_none());
    }

    #[test]
    fn cname_must_be_a_bare_host_name() {
        for good in ["briefing.example.org", "Example.COM", "a-b.c.io"] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "https://example.org",
            "example.org/briefing",
            "example.org:443",
            "localhost",
            "-a.example.org",
            "a..org",
            "192.168.0.1",
            "",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn output_dir_may_not_hold_inputs() {
        let root = Path::new("/b");
        assert!(unsafe_output_dir(root, Path::new("/b")).is_some());
        assert!(unsafe_output_dir(root, Path::new("/")).is_some());
        assert!(unsafe_output_dir(root, Path::new("/b/content")).is_some());
        assert!(unsafe_output_dir(root, Path::new("/b/content/x")).is_some());
        assert!(unsafe_output_dir(root, Path::new("/b/public")).is_none());
        assert!(unsafe_output_dir(root, Path::new("/elsewhere/out")).is_none());
    }
}
