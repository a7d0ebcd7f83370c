//! The files a static host and crawlers look for: `sitemap.xml`, `robots.txt`, `.nojekyll`, and
//! `CNAME` when `site.toml` names a custom domain.
//!
//! Input: the paths of every page (the sitemap lists them) and the `Config`. Output: those
//! files; the caller keeps a file of the same name from `static/` as the editor wrote it.
//! Must not: read the clock (no `lastmod`), or list `404.html`.

use super::feed::escape_xml;
use crate::config::Config;

/// The host files, given every page's path in path order.
pub(super) fn files(pages: &[String], config: &Config) -> Vec<(&'static str, Vec<u8>)> {
    let base = &config.base_url.absolute;
    let sitemap = sitemap(pages, base);
    let mut files = vec![
        ("sitemap.xml", sitemap),
        (
            "robots.txt",
            format!("User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n"),
        ),
        // GitHub Pages serves the folder as it is instead of running Jekyll over it, which
        // would hide files and folders that start with `_` or `.`.
        (".nojekyll", String::new()),
    ];
    if let Some(cname) = &config.cname {
        files.push(("CNAME", format!("{cname}\n")));
    }
    files
        .into_iter()
        .map(|(path, text)| (path, text.into_bytes()))
        .collect()
}

/// Every HTML page but `404.html`, at its pretty URL, in path order.
fn sitemap(pages: &[String], base: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in pages {
        if !path.ends_with(".html") || path == "404.html" {
            continue;
        }
        let pretty = path.strip_suffix("index.html").unwrap_or(path);
        xml.push_str("  <url><loc>");
        xml.push_str(&escape_xml(&format!("{base}{pretty}")));
        xml.push_str("</loc></url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_lists_pages_at_pretty_urls_without_404() {
        let pages: Vec<String> = [
            "404.html",
            "index.html",
            "sources/a/index.html",
            "style.css",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            sitemap(&pages, "https://o.github.io/r/"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n  \
             <url><loc>https://o.github.io/r/</loc></url>\n  \
             <url><loc>https://o.github.io/r/sources/a/</loc></url>\n\
             </urlset>\n"
        );
    }
}
