//! The files a static host and crawlers look for: `sitemap.xml`, `robots.txt`, `.nojekyll`, and
//! `CNAME` when `site.toml` names a custom domain.
//!
//! Input: the finished `OutputTree` (the sitemap lists every page in it) and the `Config`.
//! Output: those files added to the tree. A file of the same name from `static/` is kept as the
//! editor wrote it. Must not: read the clock (no `lastmod`), or list `404.html`.

use super::OutputTree;
use super::feed::escape_xml;
use crate::config::Config;

/// Adds the host files; call it after every page is in `tree`, so the sitemap lists them all.
pub(super) fn add(tree: &mut OutputTree, config: &Config) {
    let base = &config.base_url.absolute;
    let sitemap = sitemap(tree, base);
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
    for (path, text) in files {
        tree.files
            .entry(path.to_string())
            .or_insert_with(|| text.into_bytes());
    }
}

/// Every HTML page but `404.html`, at its pretty URL, in path order.
fn sitemap(tree: &OutputTree, base: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in tree.files.keys() {
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
        let mut tree = OutputTree::default();
        for path in [
            "index.html",
            "404.html",
            "sources/a/index.html",
            "style.css",
        ] {
            tree.files.insert(path.to_string(), Vec::new());
        }
        assert_eq!(
            sitemap(&tree, "https://o.github.io/r/"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n  \
             <url><loc>https://o.github.io/r/</loc></url>\n  \
             <url><loc>https://o.github.io/r/sources/a/</loc></url>\n\
             </urlset>\n"
        );
    }
}
