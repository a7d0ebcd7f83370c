//! A source's body as HTML: the Markdown structure, every annotated passage wrapped in
//! `<mark data-annotation>` elements, entity mentions as `data-entity` elements, and each
//! note placed right after the top-level block where its passage starts.
//!
//! Works from the reader text's events so highlights land on exactly the anchored bytes.
//! Raw HTML in a source is dropped (it is not reader text and is not trusted).

use std::collections::BTreeMap;

use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};

use super::markdown::{LinkContext, escape_html, escape_html_into, highlight_code};
use crate::model::{AnnotationId, Briefing, Doc};

/// Something wrapped around a stretch of reader text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Wrapper {
    /// An entity mention (index into `briefing.mentions`); outermost.
    Mention(usize),
    /// An annotation (index into `briefing.annotations`).
    Mark(usize),
}

struct Span {
    start: usize,
    end: usize,
    wrapper: Wrapper,
}

pub struct BodyOutput {
    pub html: String,
    pub broken_links: Vec<String>,
    pub highlighted_code: bool,
}

/// Renders `doc`'s body. `notes` holds each annotation's rendered note (an `<aside>`).
pub fn render(
    doc: &Doc<'_>,
    briefing: &Briefing<'_>,
    entity_url: &dyn Fn(usize) -> String,
    notes: &BTreeMap<AnnotationId, String>,
    links: &LinkContext<'_>,
) -> BodyOutput {
    let text = doc.reader.text.as_str();
    let mut spans: Vec<Span> = Vec::new();
    for &mention_id in &doc.mentions {
        let mention = briefing.mention(mention_id);
        spans.push(Span {
            start: mention.range.start,
            end: mention.range.end,
            wrapper: Wrapper::Mention(mention_id.index()),
        });
    }
    for &annotation_id in &doc.annotations {
        let annotation = briefing.annotation(annotation_id);
        spans.push(Span {
            start: annotation.range.start,
            end: annotation.range.end,
            wrapper: Wrapper::Mark(annotation_id.index()),
        });
    }
    // Outer wrappers first: mentions, then longer (earlier-starting) marks.
    spans.sort_by(|a, b| {
        (
            a.wrapper.is_mark(),
            a.start,
            std::cmp::Reverse(a.end),
            a.wrapper,
        )
            .cmp(&(
                b.wrapper.is_mark(),
                b.start,
                std::cmp::Reverse(b.end),
                b.wrapper,
            ))
    });
    // Where each annotation's last piece ends, to put its note reference there.
    let mut notes_by_block: BTreeMap<usize, Vec<AnnotationId>> = BTreeMap::new();
    for &annotation_id in &doc.annotations {
        let annotation = briefing.annotation(annotation_id);
        let block = doc.block_of(annotation.range.start).unwrap_or(0);
        notes_by_block.entry(block).or_default().push(annotation_id);
    }

    let mut state = State {
        out: Vec::with_capacity(doc.reader.events.len() + spans.len() * 4),
        opened: vec![false; briefing.annotations.len().max(1)],
        opened_mentions: Vec::new(),
        pending_refs: Vec::new(),
        link_depth: 0,
        passage_open: false,
        broken_links: Vec::new(),
        highlighted_code: false,
    };
    let mut depth = 0usize;
    let mut block_index = 0usize;
    let mut block_has_text = false;
    let mut code_block: Option<(String, Vec<usize>)> = None;

    for (event_index, text_event) in doc.reader.events.iter().enumerate() {
        let event = &text_event.event;
        // Code blocks without highlights are handed to syntect whole.
        if let Some((_, indices)) = &mut code_block {
            indices.push(event_index);
            if matches!(event, Event::End(TagEnd::CodeBlock)) {
                let (language, indices) = code_block.take().expect("inside a code block");
                state.code_block(doc, &spans, &language, &indices, text, briefing, entity_url);
                depth -= 1;
                if depth == 0 {
                    state.end_block(block_has_text, &mut block_index, &notes_by_block, notes);
                    block_has_text = false;
                }
            }
            if !text_event.reader.is_empty() {
                block_has_text = true;
            }
            continue;
        }
        match event {
            Event::Start(tag) => {
                if depth == 0 && notes_by_block.contains_key(&block_index) && !state.passage_open {
                    state.passage_open = true;
                    state.html("<div class=\"passage\"><div class=\"passage-text\">");
                }
                depth += 1;
                match tag {
                    Tag::CodeBlock(kind) => {
                        let language = match kind {
                            CodeBlockKind::Fenced(info) => {
                                info.split_whitespace().next().unwrap_or("").to_string()
                            }
                            CodeBlockKind::Indented => String::new(),
                        };
                        code_block = Some((language, vec![event_index]));
                    }
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    } => {
                        state.link_depth += 1;
                        let dest_url = match links.resolve(dest_url) {
                            Ok(resolved) => resolved,
                            Err(target) => {
                                state.broken_links.push(target);
                                "#".into()
                            }
                        };
                        state.out.push(Event::Start(Tag::Link {
                            link_type: *link_type,
                            dest_url,
                            title: title.clone(),
                            id: id.clone(),
                        }));
                    }
                    Tag::HtmlBlock => {}
                    other => state.out.push(Event::Start(other.clone())),
                }
            }
            Event::End(tag_end) => {
                depth = depth.saturating_sub(1);
                match tag_end {
                    TagEnd::HtmlBlock => {}
                    TagEnd::Link => {
                        state.out.push(Event::End(TagEnd::Link));
                        state.link_depth -= 1;
                        if state.link_depth == 0 {
                            state.flush_refs(briefing);
                        }
                    }
                    other => state.out.push(Event::End(*other)),
                }
                if depth == 0 {
                    state.end_block(block_has_text, &mut block_index, &notes_by_block, notes);
                    block_has_text = false;
                }
            }
            Event::Text(_) | Event::Code(_) if !text_event.reader.is_empty() => {
                block_has_text = true;
                let is_code = matches!(event, Event::Code(_));
                if is_code {
                    state.html("<code>");
                }
                state.pieces(
                    text,
                    text_event.reader.clone(),
                    &spans,
                    briefing,
                    entity_url,
                    true,
                );
                if is_code {
                    state.html("</code>");
                }
                if state.link_depth == 0 {
                    state.flush_refs(briefing);
                }
            }
            // A soft line break reads as a space; inside a passage it must stay inside the marks,
            // or every wrapped line would leave a gap in the highlight.
            Event::SoftBreak if !text_event.reader.is_empty() => {
                state.pieces(
                    text,
                    text_event.reader.clone(),
                    &spans,
                    briefing,
                    entity_url,
                    true,
                );
            }
            Event::SoftBreak => state.out.push(Event::SoftBreak),
            Event::HardBreak => state.out.push(Event::HardBreak),
            Event::Html(_) | Event::InlineHtml(_) => {}
            other => state.out.push(other.clone()),
        }
    }
    let mut html = String::with_capacity(text.len() * 2);
    // Raw HTML was dropped above; the rest is safe by construction (no sanitiser pass).
    super::markdown::push_safe_html(&mut html, state.out.into_iter());
    BodyOutput {
        html,
        broken_links: state.broken_links,
        highlighted_code: state.highlighted_code,
    }
}

impl Wrapper {
    fn is_mark(self) -> bool {
        matches!(self, Wrapper::Mark(_))
    }
}

struct State<'e> {
    out: Vec<Event<'e>>,
    /// Whether an annotation's first piece has been written (it carries the `id`).
    opened: Vec<bool>,
    opened_mentions: Vec<usize>,
    /// Note references waiting for the end of the enclosing link.
    pending_refs: Vec<usize>,
    link_depth: usize,
    /// A `div.passage` is open around the current top-level block.
    passage_open: bool,
    broken_links: Vec<String>,
    highlighted_code: bool,
}

impl<'e> State<'e> {
    fn html(&mut self, html: impl Into<String>) {
        self.out.push(Event::Html(html.into().into()));
    }

    fn end_block(
        &mut self,
        block_has_text: bool,
        block_index: &mut usize,
        notes_by_block: &BTreeMap<usize, Vec<AnnotationId>>,
        notes: &BTreeMap<AnnotationId, String>,
    ) {
        if !block_has_text {
            return;
        }
        if self.passage_open
            && let Some(annotations) = notes_by_block.get(block_index)
        {
            self.passage_open = false;
            let mut html = String::from("</div><div class=\"passage-notes\">");
            for annotation in annotations {
                if let Some(note) = notes.get(annotation) {
                    html.push_str(note);
                }
            }
            html.push_str("</div></div>\n");
            self.html(html);
        }
        *block_index += 1;
    }

    /// Writes reader text `range` split where wrappers start or end, each piece inside the
    /// wrappers that cover it.
    fn pieces(
        &mut self,
        text: &str,
        range: std::ops::Range<usize>,
        spans: &[Span],
        briefing: &Briefing<'_>,
        entity_url: &dyn Fn(usize) -> String,
        allow_refs: bool,
    ) {
        let covering: Vec<&Span> = spans
            .iter()
            .filter(|s| s.start < range.end && s.end > range.start)
            .collect();
        let mut cuts: Vec<usize> = vec![range.start, range.end];
        for span in &covering {
            for cut in [span.start, span.end] {
                if cut > range.start && cut < range.end {
                    cuts.push(cut);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut html = String::new();
        for window in cuts.windows(2) {
            let (start, end) = (window[0], window[1]);
            let active: Vec<&&Span> = covering
                .iter()
                .filter(|s| s.start <= start && s.end >= end)
                .collect();
            for span in &active {
                match span.wrapper {
                    Wrapper::Mention(index) => {
                        let mention = &briefing.mentions[index];
                        let entity = briefing.entity(mention.entity);
                        let first = !self.opened_mentions.contains(&index);
                        let id = if first {
                            self.opened_mentions.push(index);
                            format!(" id=\"{}\"", mention.html_id)
                        } else {
                            String::new()
                        };
                        if self.link_depth == 0 {
                            html.push_str(&format!(
                                "<a class=\"mention\" data-entity=\"{}\"{id} href=\"{}\">",
                                entity.slug,
                                escape_html(&entity_url(mention.entity.index()))
                            ));
                        } else {
                            html.push_str(&format!(
                                "<span class=\"mention\" data-entity=\"{}\"{id}>",
                                entity.slug
                            ));
                        }
                    }
                    Wrapper::Mark(index) => {
                        let annotation = &briefing.annotations[index];
                        let id = if self.opened[index] {
                            String::new()
                        } else {
                            self.opened[index] = true;
                            format!(" id=\"ann-{}\"", annotation.id)
                        };
                        html.push_str(&format!(
                            "<mark class=\"kind-{}\" data-annotation=\"{}\"{id}>",
                            annotation.kind.as_str(),
                            annotation.id
                        ));
                    }
                }
            }
            escape_html_into(&mut html, &text[start..end]);
            for span in active.iter().rev() {
                html.push_str(match span.wrapper {
                    Wrapper::Mention(_) if self.link_depth == 0 => "</a>",
                    Wrapper::Mention(_) => "</span>",
                    Wrapper::Mark(_) => "</mark>",
                });
            }
            if allow_refs {
                let mut ending: Vec<usize> = covering
                    .iter()
                    .filter_map(|span| match span.wrapper {
                        Wrapper::Mark(index) if span.end == end => Some(index),
                        _ => None,
                    })
                    .collect();
                ending.sort_by_key(|&i| briefing.annotations[i].number);
                self.pending_refs.extend(ending);
                if self.link_depth == 0 {
                    self.write_refs(&mut html, briefing);
                }
            }
        }
        self.html(html);
    }

    /// Note references (superscript numbers linking to the notes), outside any link.
    fn flush_refs(&mut self, briefing: &Briefing<'_>) {
        if self.pending_refs.is_empty() {
            return;
        }
        let mut html = String::new();
        self.write_refs(&mut html, briefing);
        self.html(html);
    }

    fn write_refs(&mut self, html: &mut String, briefing: &Briefing<'_>) {
        for index in std::mem::take(&mut self.pending_refs) {
            let annotation = &briefing.annotations[index];
            html.push_str(&format!(
                "<sup class=\"note-ref\"><a href=\"#note-{id}\" aria-label=\"Note {n}\">{n}</a></sup>",
                id = annotation.id,
                n = annotation.number
            ));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn code_block(
        &mut self,
        doc: &Doc<'_>,
        spans: &[Span],
        language: &str,
        indices: &[usize],
        text: &str,
        briefing: &Briefing<'_>,
        entity_url: &dyn Fn(usize) -> String,
    ) {
        let events = &doc.reader.events;
        let ranges: Vec<std::ops::Range<usize>> = indices
            .iter()
            .map(|&i| events[i].reader.clone())
            .filter(|r| !r.is_empty())
            .collect();
        let touched = ranges.iter().any(|range| {
            spans
                .iter()
                .any(|s| s.start < range.end && s.end > range.start)
        });
        if !touched {
            let code: String = ranges.iter().map(|r| &text[r.clone()]).collect();
            self.highlighted_code |= !language.is_empty();
            self.html(highlight_code(language, &code));
            return;
        }
        self.html("<pre class=\"code\"><code>");
        for range in ranges {
            self.pieces(text, range, spans, briefing, entity_url, true);
        }
        self.html("</code></pre>\n");
        self.flush_refs(briefing);
    }
}
