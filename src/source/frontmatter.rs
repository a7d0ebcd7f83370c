//! Splitting a Markdown file into its YAML front matter and its body.

use std::ops::Range;

/// Where the front matter's YAML and the body lie in a file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The YAML between the `---` lines; `None` when the file has no front matter.
    pub front_matter: Option<Range<usize>>,
    pub body: Range<usize>,
}

/// Why a front-matter block could not be split off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unclosed {
    /// The opening `---` line.
    pub opening: Range<usize>,
}

/// Splits `---\n<yaml>\n---\n<body>`; CRLF line endings work. A file that does not start with
/// a `---` line has no front matter.
pub fn split(text: &str) -> Result<Split, Unclosed> {
    let Some(first_line_end) = line_end(text, 0) else {
        return Ok(no_front_matter(text));
    };
    if text[..first_line_end.content_end].trim_end() != "---" {
        return Ok(no_front_matter(text));
    }
    let yaml_start = first_line_end.next_start;
    let mut line_start = yaml_start;
    while line_start < text.len() {
        let end = line_end(text, line_start).expect("line_start is inside the text");
        let line = &text[line_start..end.content_end];
        if line.trim_end() == "---" || line.trim_end() == "..." {
            return Ok(Split {
                front_matter: Some(yaml_start..line_start),
                body: end.next_start..text.len(),
            });
        }
        line_start = end.next_start;
    }
    Err(Unclosed {
        opening: 0..first_line_end.content_end,
    })
}

fn no_front_matter(text: &str) -> Split {
    Split {
        front_matter: None,
        body: 0..text.len(),
    }
}

struct LineEnd {
    /// End of the line's content, before `\r\n` or `\n`.
    content_end: usize,
    /// Start of the next line (or the text's end).
    next_start: usize,
}

fn line_end(text: &str, start: usize) -> Option<LineEnd> {
    if start > text.len() || (start == text.len() && start != 0) {
        return None;
    }
    Some(match text[start..].find('\n') {
        Some(i) => {
            let newline = start + i;
            let content_end = if text[..newline].ends_with('\r') {
                newline - 1
            } else {
                newline
            };
            LineEnd {
                content_end,
                next_start: newline + 1,
            }
        }
        None => LineEnd {
            content_end: text.len(),
            next_start: text.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, front_matter: Option<&str>, body: &str) {
        let split = split(text).expect("closed");
        assert_eq!(split.front_matter.map(|r| &text[r]), front_matter);
        assert_eq!(&text[split.body], body);
    }

    #[test]
    fn splits_front_matter_from_body() {
        check("---\ntitle: A\n---\nBody\n", Some("title: A\n"), "Body\n");
        check(
            "---\r\ntitle: A\r\n---\r\nBody",
            Some("title: A\r\n"),
            "Body",
        );
        check("No front matter\n", None, "No front matter\n");
        check("---\n---\n", Some(""), "");
        check("", None, "");
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        assert!(split("---\ntitle: A\nBody\n").is_err());
    }
}
