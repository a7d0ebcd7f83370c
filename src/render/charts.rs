//! Charts: the briefing drawn as small inline SVG pictures at build time.
//!
//! Owns the layout and markup of four charts: the network of the most-mentioned entities (the
//! entities page), an entity's neighbourhood (its page), the timeline of dated sources and
//! annotations (the front page) and, per source, where each theme's annotations fall along the
//! text (the source page).
//! Input: the `Briefing` and the site's URLs; output: the chart views in `views`, each an SVG
//! string plus the words and links that stand in for it (captions, lists, link names).
//! Each chart is gathered from the model into plain data first (`*Data`), then drawn by a pure
//! function of that data, which the tests below exercise.
//!
//! No I/O, no tera, no JavaScript, no randomness: layouts are fixed formulas and every
//! coordinate is written with one decimal, so the output is a deterministic function of the
//! briefing. No colours either: shapes carry `chart-*`, `chart-kind-*` and `kind-*` classes that
//! the site theme's stylesheet colours, so dark mode and print follow the page.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;

use super::markdown::escape_html;
use super::views::{
    ChartKindView, ChartView, DocRef, EntityRefView, NetworkChartView, NetworkNodeView,
    ThemeStripView, ThemeStripsView, TimelineChartView, TimelineDayView, TimelineLaneView,
};
use super::{Urls, display_date, kind_label};
use crate::model::{Briefing, DocId, EntityId, EntityKind};

/// The network shows at most this many entities: the most mentioned.
const NETWORK_MAX_NODES: usize = 25;
/// An entity's neighbourhood shows at most this many related entities: the closest.
const NEIGHBOURHOOD_MAX_NODES: usize = 16;
/// Label size in SVG user units; widths below are estimated from it.
const FONT_SIZE: f64 = 12.0;

// ------------------------------------------------------------------ entity network

/// One entity drawn in a network chart.
#[derive(Clone, Debug)]
struct NodeData {
    name: String,
    kind: EntityKind,
    url: String,
    /// Mentions (network) or paragraphs shared with the centre (neighbourhood).
    count: usize,
}

/// The network of the most-mentioned entities: nodes in drawing order, and weighted edges
/// between node indices (`a < b`).
#[derive(Clone, Debug)]
struct NetworkData {
    nodes: Vec<NodeData>,
    edges: Vec<(usize, usize, usize)>,
}

/// The entities page's network: the most-mentioned entities, joined where they are named in the
/// same paragraph. None when fewer than three entities are mentioned or no two share a paragraph.
pub(super) fn entity_network(briefing: &Briefing<'_>, urls: &Urls<'_>) -> Option<NetworkChartView> {
    let mut chosen: Vec<EntityId> = (0..briefing.entities.len())
        .map(EntityId::from_index)
        .filter(|&id| !briefing.entity(id).mentions.is_empty())
        .collect();
    let n_mentioned = chosen.len();
    chosen.sort_by_key(|&id| {
        let entity = briefing.entity(id);
        (Reverse(entity.mentions.len()), entity.name.as_str(), id)
    });
    chosen.truncate(NETWORK_MAX_NODES);
    // Around the chart by kind, so each kind is one stretch of the arcs.
    chosen.sort_by_key(|&id| {
        let entity = briefing.entity(id);
        (
            entity.kind,
            Reverse(entity.mentions.len()),
            entity.name.as_str(),
            id,
        )
    });
    let index_of: BTreeMap<EntityId, usize> =
        chosen.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut edges = Vec::new();
    for (a, &id) in chosen.iter().enumerate() {
        for &(other, shared) in &briefing.entity(id).related {
            if let Some(&b) = index_of.get(&other)
                && a < b
            {
                edges.push((a, b, shared));
            }
        }
    }
    if chosen.len() < 3 || edges.is_empty() {
        return None;
    }
    let entity_ref = |id: EntityId, count: usize| {
        let entity = briefing.entity(id);
        EntityRefView {
            slug: entity.slug.clone(),
            name: entity.name.clone(),
            kind: entity.kind.as_str(),
            url: urls.entity(&entity.slug),
            count,
        }
    };
    let data = NetworkData {
        nodes: chosen
            .iter()
            .map(|&id| {
                let entity = briefing.entity(id);
                NodeData {
                    name: entity.name.clone(),
                    kind: entity.kind,
                    url: urls.entity(&entity.slug),
                    count: entity.mentions.len(),
                }
            })
            .collect(),
        edges,
    };
    let nodes = chosen
        .iter()
        .map(|&id| {
            let entity = briefing.entity(id);
            NetworkNodeView {
                entity: entity_ref(id, entity.mentions.len()),
                neighbours: entity
                    .related
                    .iter()
                    .filter(|(other, _)| index_of.contains_key(other))
                    .map(|&(other, shared)| entity_ref(other, shared))
                    .collect(),
            }
        })
        .collect();
    let kinds = data.nodes.iter().map(|n| n.kind);
    let shown = if chosen.len() < n_mentioned {
        format!("The {} most-mentioned entities", chosen.len())
    } else {
        format!("The {} entities mentioned in the sources", chosen.len())
    };
    let caption = format!(
        "{shown}. A line joins two entities named in the same paragraph; the thicker the line, \
         the more paragraphs they share. The bigger the dot, the more mentions."
    );
    Some(NetworkChartView {
        chart: ChartView {
            svg: draw_network(&data),
            caption,
            kinds: key(kinds),
        },
        nodes,
    })
}

fn draw_network(data: &NetworkData) -> String {
    const SPACING: f64 = 28.0;
    const INNER: f64 = 150.0;
    const BULGE: f64 = 120.0;
    const MARGIN: f64 = 10.0;
    let arcs = two_arcs(data.nodes.len(), SPACING, INNER, BULGE);
    let max_count = data.nodes.iter().map(|n| n.count).max().unwrap_or(1).max(1) as f64;
    let radius = |count: usize| 3.5 + 8.5 * (count as f64 / max_count).sqrt();
    let label_width = data
        .nodes
        .iter()
        .map(|n| text_width(&n.name, FONT_SIZE))
        .fold(0.0, f64::max);
    let half_width = INNER + BULGE + 12.0 + 6.0 + label_width + MARGIN;
    let width = (2.0 * half_width).ceil();
    let height = (2.0 * arcs.half_height + SPACING + 2.0 * MARGIN).ceil();
    let centre = Point {
        x: width / 2.0,
        y: height / 2.0,
    };
    let at = |i: usize| arcs.points[i].offset(centre);

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart chart-network" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-size="{FONT_SIZE}" role="group" aria-labelledby="chart-network-title"><title id="chart-network-title">Network of the {n} entities drawn: who is named in the same paragraphs</title>"#,
        w = num(width),
        h = num(height),
        n = data.nodes.len(),
    );
    let max_weight = data.edges.iter().map(|e| e.2).max().unwrap_or(1).max(1) as f64;
    let mut edges = data.edges.clone();
    // Heavier lines drawn last, on top.
    edges.sort_by_key(|&(a, b, weight)| (weight, a, b));
    svg.push_str(r#"<g class="chart-edges" aria-hidden="true">"#);
    for (a, b, weight) in edges {
        let (from, to) = (at(a), at(b));
        let middle = Point {
            x: (from.x + to.x) / 2.0,
            y: (from.y + to.y) / 2.0,
        };
        // Bend each line towards the centre, the more the longer it is: lines between nodes on
        // one arc curve inwards, clear of the labels, and lines across stay nearly straight.
        let inwards = Point {
            x: centre.x - middle.x,
            y: centre.y - middle.y,
        };
        let to_centre = inwards.x.hypot(inwards.y);
        let length = (to.x - from.x).hypot(to.y - from.y);
        let pull = if to_centre > 0.0 {
            (0.5 * length).min(0.8 * to_centre) / to_centre
        } else {
            0.0
        };
        let control = Point {
            x: middle.x + inwards.x * pull,
            y: middle.y + inwards.y * pull,
        };
        let share = weight as f64 / max_weight;
        let _ = write!(
            svg,
            r#"<path d="M{} {}Q{} {} {} {}" stroke-width="{}" stroke-opacity="{}"/>"#,
            num(from.x),
            num(from.y),
            num(control.x),
            num(control.y),
            num(to.x),
            num(to.y),
            num(0.7 + 3.8 * share),
            num2(0.22 + 0.58 * share),
        );
    }
    svg.push_str("</g>");
    for (i, node) in data.nodes.iter().enumerate() {
        let point = at(i);
        let r = radius(node.count);
        let right = arcs.points[i].x >= 0.0;
        let n_neighbours = data
            .edges
            .iter()
            .filter(|&&(a, b, _)| a == i || b == i)
            .count();
        let _ = write!(
            svg,
            r#"<a href="{url}" class="chart-node chart-kind-{kind}"><title>{name} ({kind}): {count} mention{s}, in the same paragraphs as {n_neighbours} of the entities drawn</title><circle cx="{x}" cy="{y}" r="{r}"/><text x="{lx}" y="{y}" dy="0.35em"{anchor}>{name}</text></a>"#,
            url = escape_html(&node.url),
            kind = node.kind.as_str(),
            name = escape_html(&node.name),
            count = node.count,
            s = plural(node.count),
            x = num(point.x),
            y = num(point.y),
            r = num(r),
            lx = num(if right {
                point.x + r + 5.0
            } else {
                point.x - r - 5.0
            }),
            anchor = if right { "" } else { r#" text-anchor="end""# },
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The key of a chart's colours: each kind drawn, in the usual order of kinds.
fn key(kinds: impl Iterator<Item = EntityKind>) -> Vec<ChartKindView> {
    let drawn: std::collections::BTreeSet<EntityKind> = kinds.collect();
    drawn
        .into_iter()
        .map(|kind| ChartKindView {
            kind: kind.as_str(),
            label: kind_label(kind),
        })
        .collect()
}

// ------------------------------------------------------------------ an entity's neighbourhood

/// The entity at the centre and its closest related entities.
#[derive(Clone, Debug)]
struct NeighbourhoodData {
    name: String,
    kind: EntityKind,
    /// `count` is the paragraphs shared with the centre; most first.
    neighbours: Vec<NodeData>,
}

/// An entity page's picture: the entity, and the entities most often named in the same
/// paragraphs. None when it shares no paragraph with another entity.
pub(super) fn entity_neighbourhood(
    briefing: &Briefing<'_>,
    urls: &Urls<'_>,
    id: EntityId,
) -> Option<ChartView> {
    let entity = briefing.entity(id);
    if entity.related.is_empty() {
        return None;
    }
    let data = NeighbourhoodData {
        name: entity.name.clone(),
        kind: entity.kind,
        neighbours: entity
            .related
            .iter()
            .take(NEIGHBOURHOOD_MAX_NODES)
            .map(|&(other, shared)| {
                let other = briefing.entity(other);
                NodeData {
                    name: other.name.clone(),
                    kind: other.kind,
                    url: urls.entity(&other.slug),
                    count: shared,
                }
            })
            .collect(),
    };
    let n = data.neighbours.len();
    let which = if n < entity.related.len() {
        format!(
            "The {n} of its {} related entities most often named",
            entity.related.len()
        )
    } else if n == 1 {
        "The one entity named".to_string()
    } else {
        format!("The {n} entities named")
    };
    let caption = format!(
        "{which} in the same paragraphs as {}. The number and the thickness of each line is how \
         many paragraphs they share.",
        entity.name
    );
    let kinds = data.neighbours.iter().map(|n| n.kind).chain([data.kind]);
    Some(ChartView {
        svg: draw_neighbourhood(&data),
        caption,
        kinds: key(kinds),
    })
}

fn draw_neighbourhood(data: &NeighbourhoodData) -> String {
    const SPACING: f64 = 28.0;
    const BULGE: f64 = 40.0;
    const MARGIN: f64 = 10.0;
    // As narrow as the centre's (bold) name allows, so the chart stays legible on a phone.
    let inner = (text_width(&data.name, FONT_SIZE) * 1.12 / 2.0 + 24.0).max(64.0);
    let arcs = two_arcs(data.neighbours.len(), SPACING, inner, BULGE);
    let label = |node: &NodeData| {
        text_width(&node.name, FONT_SIZE) + text_width(&format!(" {}", node.count), FONT_SIZE)
    };
    let label_width = data.neighbours.iter().map(label).fold(0.0, f64::max);
    let half_width = inner + BULGE + 6.0 + 6.0 + label_width + MARGIN;
    let width = (2.0 * half_width).ceil();
    // Room below the centre for its name, whatever the number of neighbours.
    let height = (2.0 * arcs.half_height + SPACING + 2.0 * MARGIN)
        .max(96.0)
        .ceil();
    let centre = Point {
        x: width / 2.0,
        y: height / 2.0,
    };
    let max_weight = data
        .neighbours
        .iter()
        .map(|n| n.count)
        .max()
        .unwrap_or(1)
        .max(1) as f64;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart chart-neighbourhood" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-size="{FONT_SIZE}" role="group" aria-labelledby="chart-neighbourhood-title"><title id="chart-neighbourhood-title">{name} and the entities named in the same paragraphs</title>"#,
        w = num(width),
        h = num(height),
        name = escape_html(&data.name),
    );
    let mut order: Vec<usize> = (0..data.neighbours.len()).collect();
    order.sort_by_key(|&i| (data.neighbours[i].count, Reverse(i)));
    svg.push_str(r#"<g class="chart-edges" aria-hidden="true">"#);
    for i in order {
        let point = arcs.points[i].offset(centre);
        let share = data.neighbours[i].count as f64 / max_weight;
        let _ = write!(
            svg,
            r#"<path d="M{} {}L{} {}" stroke-width="{}" stroke-opacity="{}"/>"#,
            num(centre.x),
            num(centre.y),
            num(point.x),
            num(point.y),
            num(0.8 + 4.2 * share),
            num2(0.25 + 0.45 * share),
        );
    }
    svg.push_str("</g>");
    for (i, node) in data.neighbours.iter().enumerate() {
        let point = arcs.points[i].offset(centre);
        let right = arcs.points[i].x >= 0.0;
        let _ = write!(
            svg,
            r#"<a href="{url}" class="chart-node chart-kind-{kind}"><title>{name} ({kind}): in {count} of the same paragraph{s}</title><circle cx="{x}" cy="{y}" r="5"/><text x="{lx}" y="{y}" dy="0.35em"{anchor}>{name}<tspan class="chart-count"> {count}</tspan></text></a>"#,
            url = escape_html(&node.url),
            kind = node.kind.as_str(),
            name = escape_html(&node.name),
            count = node.count,
            s = plural(node.count),
            x = num(point.x),
            y = num(point.y),
            lx = num(if right {
                point.x + 11.0
            } else {
                point.x - 11.0
            }),
            anchor = if right { "" } else { r#" text-anchor="end""# },
        );
    }
    let _ = write!(
        svg,
        r#"<g class="chart-centre chart-kind-{kind}"><circle cx="{x}" cy="{y}" r="9"/><text class="chart-centre-label" x="{x}" y="{ly}" text-anchor="middle">{name}</text></g></svg>"#,
        kind = data.kind.as_str(),
        x = num(centre.x),
        y = num(centre.y),
        ly = num(centre.y + 28.0),
        name = escape_html(&data.name),
    );
    svg
}

// ------------------------------------------------------------------ timeline

/// One source's dated things.
#[derive(Clone, Debug)]
struct LaneData {
    title: String,
    published: Option<Date>,
    /// Annotations per day.
    days: BTreeMap<Date, usize>,
}

/// The timeline of a front page's sources (`docs`; `paged` when the front page has others on
/// other pages): per source, its publication date and the days its annotations were written.
/// Sources with nothing dated have no lane; None when nothing is dated at all.
pub(super) fn timeline(
    briefing: &Briefing<'_>,
    docs: &[DocId],
    paged: bool,
    urls: &Urls<'_>,
) -> Option<TimelineChartView> {
    let mut lanes: Vec<(DocId, LaneData)> = Vec::new();
    for &id in docs {
        let doc = briefing.doc(id);
        let mut days: BTreeMap<Date, usize> = BTreeMap::new();
        for &annotation in &doc.annotations {
            if let Some(date) = briefing.annotation(annotation).date {
                *days.entry(date).or_insert(0) += 1;
            }
        }
        if doc.date.is_some() || !days.is_empty() {
            lanes.push((
                id,
                LaneData {
                    title: doc.title.clone(),
                    published: doc.date,
                    days,
                },
            ));
        }
    }
    if lanes.is_empty() {
        return None;
    }
    lanes.sort_by(|(_, a), (_, b)| {
        (a.first_date(), &a.title, a.published).cmp(&(b.first_date(), &b.title, b.published))
    });

    let n_docs = docs.len();
    let n_dated_docs = docs
        .iter()
        .filter(|&&id| briefing.doc(id).date.is_some())
        .count();
    let annotations = || {
        docs.iter()
            .flat_map(|&id| &briefing.doc(id).annotations)
            .map(|&a| briefing.annotation(a))
    };
    let n_annotations = annotations().count();
    let n_dated_annotations = annotations().filter(|a| a.date.is_some()).count();
    let data: Vec<LaneData> = lanes.iter().map(|(_, lane)| lane.clone()).collect();
    let mut caption = timeline_caption(
        &data,
        (n_dated_docs, n_docs),
        (n_dated_annotations, n_annotations),
    );
    if paged {
        caption.insert_str(0, "The sources on this page. ");
    }
    let svg = draw_timeline(&data);
    let lanes = lanes
        .into_iter()
        .map(|(id, lane)| {
            let doc = briefing.doc(id);
            TimelineLaneView {
                doc: DocRef {
                    slug: doc.slug.clone(),
                    title: doc.title.clone(),
                    url: urls.doc(&doc.slug),
                },
                date: lane.published.map(|d| d.to_string()),
                date_display: lane.published.map(display_date),
                days: lane
                    .days
                    .iter()
                    .map(|(&date, &count)| TimelineDayView {
                        date: date.to_string(),
                        date_display: display_date(date),
                        n_annotations: count,
                    })
                    .collect(),
            }
        })
        .collect();
    Some(TimelineChartView {
        chart: ChartView {
            svg,
            caption,
            kinds: Vec::new(),
        },
        lanes,
    })
}

impl LaneData {
    fn first_date(&self) -> Option<Date> {
        let first_day = self.days.keys().next().copied();
        match (self.published, first_day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.published.into_iter().chain(self.days.keys().copied())
    }
}

/// Says what is dated and when, and what is not: `(dated, all)` sources and annotations.
fn timeline_caption(
    lanes: &[LaneData],
    (dated_docs, docs): (usize, usize),
    (dated_annotations, annotations): (usize, usize),
) -> String {
    let first = lanes.iter().flat_map(LaneData::dates).min();
    let last = lanes.iter().flat_map(LaneData::dates).max();
    let when = match (first, last) {
        (Some(first), Some(last)) if first == last => format!("on {}", display_date(first)),
        (Some(first), Some(last)) => {
            format!("between {} and {}", display_date(first), display_date(last))
        }
        _ => String::new(),
    };
    let of = |dated: usize, all: usize, noun: &str| {
        if dated == all {
            if all == 1 {
                format!("The {noun}")
            } else {
                format!("All {all} {noun}s")
            }
        } else {
            format!("{dated} of the {all} {noun}s")
        }
    };
    let mut caption = match (dated_docs, dated_annotations) {
        (0, _) => format!(
            "{} {} written {when}, source by source (circles, sized by the number per day).",
            of(dated_annotations, annotations, "annotation"),
            if dated_annotations == 1 {
                "was"
            } else {
                "were"
            },
        ),
        (_, 0) => format!(
            "{} {} published {when} (diamonds).",
            of(dated_docs, docs, "source"),
            if dated_docs == 1 { "was" } else { "were" },
        ),
        _ => format!(
            "When the sources were published (diamonds) and their annotations written (circles, \
             sized by the number per day), {when}."
        ),
    };
    if dated_docs == 0 {
        caption.push_str(" The sources carry no publication dates.");
    } else if dated_docs < docs {
        let undated = docs - dated_docs;
        caption.push_str(&format!(
            " {undated} source{} carr{} no publication date.",
            plural(undated),
            if undated == 1 { "ies" } else { "y" }
        ));
    }
    if dated_annotations > 0 && dated_annotations < annotations {
        let undated = annotations - dated_annotations;
        caption.push_str(&format!(
            " {undated} annotation{} carr{} no date.",
            plural(undated),
            if undated == 1 { "ies" } else { "y" }
        ));
    }
    caption
}

/// The timeline is `role="img"`, named by its `<title>`; its caption and a table beside it
/// say what it shows.
fn draw_timeline(lanes: &[LaneData]) -> String {
    const WIDTH: f64 = 440.0;
    const LEFT: f64 = 0.0;
    /// Room right of the last circle for its count.
    const RIGHT: f64 = 40.0;
    const LANE: f64 = 46.0;
    const TOP: f64 = 6.0;
    let first = lanes
        .iter()
        .flat_map(LaneData::dates)
        .min()
        .expect("a timeline lane has a date");
    let last = lanes
        .iter()
        .flat_map(LaneData::dates)
        .max()
        .expect("a timeline lane has a date");
    let span = days_between(first, last) as f64;
    let (x0, x1) = (LEFT + 10.0, WIDTH - RIGHT);
    let x = |date: Date| {
        if span == 0.0 {
            (x0 + x1) / 2.0
        } else {
            x0 + days_between(first, date) as f64 / span * (x1 - x0)
        }
    };
    let max_per_day = lanes
        .iter()
        .flat_map(|l| l.days.values().copied())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let radius = |count: usize| 2.5 + 6.5 * (count as f64 / max_per_day).sqrt();
    let axis_y = TOP + lanes.len() as f64 * LANE + 4.0;
    let height = (axis_y + 22.0).ceil();

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart chart-timeline" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-size="{FONT_SIZE}" role="img" aria-labelledby="chart-timeline-title"><title id="chart-timeline-title">Timeline of the sources and their annotations</title>"#,
        w = num(WIDTH),
        h = num(height),
    );
    let ticks = timeline_ticks(first, last, &x);
    for (tick_x, _) in &ticks {
        let _ = write!(
            svg,
            r#"<path class="chart-grid" d="M{x} {top}V{bottom}"/>"#,
            x = num(*tick_x),
            top = num(TOP + 18.0),
            bottom = num(axis_y),
        );
    }
    for (index, lane) in lanes.iter().enumerate() {
        let label_y = TOP + index as f64 * LANE + 12.0;
        let track_y = label_y + 18.0;
        let _ = write!(
            svg,
            r#"<text class="chart-lane-label" x="{LEFT}" y="{y}">{title}</text><path class="chart-track" d="M{x0} {t}H{x1}"/>"#,
            y = num(label_y),
            // Lane labels are semibold: wider than the estimate.
            title = escape_html(&fit(&lane.title, (WIDTH - LEFT) / 1.12, FONT_SIZE)),
            t = num(track_y),
            x0 = num(x0),
            x1 = num(x1),
        );
        let days: Vec<(f64, usize)> = lane.days.iter().map(|(&d, &c)| (x(d), c)).collect();
        for (i, &(day_x, count)) in days.iter().enumerate() {
            let r = radius(count);
            let _ = write!(
                svg,
                r#"<circle class="chart-annotated" cx="{}" cy="{}" r="{}"/>"#,
                num(day_x),
                num(track_y),
                num(r)
            );
            // Number the circle where the next one leaves room for it.
            let room = days
                .get(i + 1)
                .map_or(WIDTH - day_x, |&(next_x, _)| next_x - day_x);
            if room > r + 30.0 {
                let _ = write!(
                    svg,
                    r#"<text class="chart-count" x="{}" y="{}" dy="0.35em">{count}</text>"#,
                    num(day_x + r + 4.0),
                    num(track_y),
                );
            }
        }
        if let Some(published) = lane.published {
            let px = x(published);
            let _ = write!(
                svg,
                r#"<path class="chart-published" d="M{} {}l6 6-6 6-6-6z"/>"#,
                num(px),
                num(track_y - 6.0)
            );
        }
    }
    let _ = write!(
        svg,
        r#"<path class="chart-axis" d="M{x0} {y}H{x1}"/>"#,
        x0 = num(x0),
        x1 = num(x1),
        y = num(axis_y),
    );
    for (i, (tick_x, label)) in ticks.iter().enumerate() {
        let anchor = if ticks.len() == 1 {
            "middle"
        } else if i == 0 {
            "start"
        } else if i == ticks.len() - 1 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            svg,
            r#"<path class="chart-axis" d="M{x} {y}v4"/><text class="chart-tick" x="{x}" y="{ty}" text-anchor="{anchor}">{label}</text>"#,
            x = num(*tick_x),
            y = num(axis_y),
            ty = num(axis_y + 16.0),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Labelled ticks: the first and last day, and month (or year) starts between them where they
/// leave room for their labels.
fn timeline_ticks(first: Date, last: Date, x: &dyn Fn(Date) -> f64) -> Vec<(f64, String)> {
    const MIN_GAP: f64 = 78.0;
    if first == last {
        return vec![(x(first), short_date(first))];
    }
    let mut ticks = vec![(x(first), short_date(first))];
    let end = (x(last), short_date(last));
    let span_days = days_between(first, last);
    let yearly = span_days > 3 * 366;
    let mut date = first.first_of_month();
    loop {
        date = if yearly {
            Date::new(date.year() + 1, 1, 1).expect("1 January is a date")
        } else {
            date.last_of_month()
                .tomorrow()
                .expect("dates before 9999 have a tomorrow")
        };
        if date >= last {
            break;
        }
        let tick_x = x(date);
        let clear_before = ticks.last().is_none_or(|(t, _)| tick_x - t >= MIN_GAP);
        if clear_before && end.0 - tick_x >= MIN_GAP {
            let label = if yearly {
                date.year().to_string()
            } else {
                format!("{} {}", month_abbreviation(date), date.year())
            };
            ticks.push((tick_x, label));
        }
    }
    if end.0 - ticks.last().map_or(f64::MIN, |t| t.0) >= MIN_GAP {
        ticks.push(end);
    } else if ticks.len() > 1 {
        // The last day matters more than the month before it.
        ticks.pop();
        ticks.push(end);
    }
    ticks
}

fn days_between(first: Date, date: Date) -> i64 {
    i64::from((date - first).get_days())
}

fn month_abbreviation(date: Date) -> &'static str {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS[(date.month() - 1) as usize]
}

fn short_date(date: Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_abbreviation(date),
        date.year()
    )
}

// ------------------------------------------------------------------ theme strips

/// One annotation's place in a source.
#[derive(Clone, Debug)]
struct StripMark {
    number: usize,
    anchor: String,
    kind: &'static str,
    /// Where the passage starts and ends, as fractions of the reader text.
    start: f64,
    end: f64,
}

/// A source page's strips: per theme (in briefing order, then annotations under no theme), where
/// its annotations fall along the reader text. None when the source has no annotations.
pub(super) fn theme_strips(
    briefing: &Briefing<'_>,
    urls: &Urls<'_>,
    id: DocId,
) -> Option<ThemeStripsView> {
    let doc = briefing.doc(id);
    let length = doc.reader.text.len();
    if doc.annotations.is_empty() || length == 0 {
        return None;
    }
    let mut by_theme: BTreeMap<usize, Vec<StripMark>> = BTreeMap::new();
    let mut unthemed = Vec::new();
    for &annotation_id in &doc.annotations {
        let annotation = briefing.annotation(annotation_id);
        let mark = StripMark {
            number: annotation.number,
            anchor: format!("ann-{}", annotation.id),
            kind: annotation.kind.as_str(),
            start: annotation.range.start as f64 / length as f64,
            end: annotation.range.end as f64 / length as f64,
        };
        if annotation.themes.is_empty() {
            unthemed.push(mark.clone());
        }
        for theme in &annotation.themes {
            by_theme
                .entry(theme.index())
                .or_default()
                .push(mark.clone());
        }
    }
    let mut strips: Vec<ThemeStripView> = by_theme
        .into_iter()
        .map(|(index, marks)| {
            let theme = &briefing.themes[index];
            ThemeStripView {
                title: theme.title.clone(),
                url: Some(urls.theme(&theme.slug)),
                count: marks.len(),
                svg: draw_strip(&format!("Annotations on {}", theme.title), &marks),
            }
        })
        .collect();
    if !unthemed.is_empty() {
        // With no themes at all, the one strip is simply every annotation.
        let (title, label) = if strips.is_empty() {
            ("All annotations", "All annotations")
        } else {
            ("No theme", "Annotations under no theme")
        };
        strips.push(ThemeStripView {
            title: title.to_string(),
            url: None,
            count: unthemed.len(),
            svg: draw_strip(label, &unthemed),
        });
    }
    Some(ThemeStripsView {
        caption: "Where each theme’s annotations fall in the text, from its beginning (left) to \
                  its end (right). Each mark is one annotation, coloured by kind, and links to \
                  its passage."
            .to_string(),
        strips,
    })
}

/// One strip, 1000 units wide, stretched to its box: marks are rectangles, so stretching only
/// widens them. Each links to its passage. `label` names the strip (`Annotations on Chips`).
fn draw_strip(label: &str, marks: &[StripMark]) -> String {
    const WIDTH: f64 = 1000.0;
    const MIN_MARK: f64 = 5.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart chart-strip" viewBox="0 0 1000 24" preserveAspectRatio="none" role="group" aria-label="{label}, in reading order"><path class="chart-track" d="M0 12H1000"/>"#,
        label = escape_html(label),
    );
    for mark in marks {
        let width = ((mark.end - mark.start) * WIDTH).max(MIN_MARK);
        let x = (mark.start * WIDTH).min(WIDTH - width);
        let percent = (mark.start * 100.0).round() as u32;
        let _ = write!(
            svg,
            r##"<a href="#{anchor}" class="chart-mark kind-{kind}"><title>Note {number} ({kind}), {percent}% into the text</title><rect x="{x}" y="3" width="{w}" height="18"/></a>"##,
            anchor = escape_html(&mark.anchor),
            kind = mark.kind,
            number = mark.number,
            x = num(x),
            w = num(width),
        );
    }
    svg.push_str("</svg>");
    svg
}

// ------------------------------------------------------------------ geometry and text

#[derive(Clone, Copy, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

impl Point {
    fn offset(self, by: Point) -> Point {
        Point {
            x: self.x + by.x,
            y: self.y + by.y,
        }
    }
}

/// Node positions around the centre, and the half height they span.
struct Arcs {
    points: Vec<Point>,
    half_height: f64,
}

/// Places `n` nodes on two facing arcs, clockwise from the top right: the first half down the
/// right arc, the rest up the left one, `spacing` apart vertically. Labels then point outwards,
/// never collide (they are a row apart) and never cross the lines in the middle.
fn two_arcs(n: usize, spacing: f64, inner: f64, bulge: f64) -> Arcs {
    let n_right = n.div_ceil(2);
    let n_left = n - n_right;
    let half_height = n_right.saturating_sub(1) as f64 * spacing / 2.0;
    let reach = half_height + spacing;
    let place = |row: usize, rows: usize, side: f64| {
        let y = (row as f64 - (rows as f64 - 1.0) / 2.0) * spacing;
        let t = y / reach;
        Point {
            x: side * (inner + bulge * (1.0 - t * t).sqrt()),
            y,
        }
    };
    let points = (0..n)
        .map(|i| {
            if i < n_right {
                place(i, n_right, 1.0)
            } else {
                place(n_left - 1 - (i - n_right), n_left, -1.0)
            }
        })
        .collect();
    Arcs {
        points,
        half_height,
    }
}

/// A generous estimate of a label's width in a system sans-serif, so labels fit their box.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '\'' | '’' | '.' | ',' | ':' | ';' | '!' | '|' => 0.3,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '-' | '"' => 0.38,
            'm' | 'w' | 'M' | 'W' | '—' => 0.9,
            c if c.is_ascii_digit() => 0.6,
            c if c.is_uppercase() => 0.7,
            _ => 0.58,
        })
        .sum::<f64>()
        * size
}

/// `text`, shortened at a word with an ellipsis to fit `width`.
fn fit(text: &str, width: f64, size: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split_whitespace() {
        let candidate = if out.is_empty() {
            word.to_string()
        } else {
            format!("{out} {word}")
        };
        if text_width(&candidate, size) + text_width("…", size) > width {
            break;
        }
        out = candidate;
    }
    let out = out.trim_end_matches([',', ';', ':', '.', '-', '—']);
    format!("{out}…")
}

/// A coordinate with one decimal and no trailing `.0`: deterministic and short. It is written
/// where it is formatted, with no string of its own: charts have thousands of them per page.
fn num(value: f64) -> Num {
    Num(value)
}

struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Integer arithmetic and digits written by hand: number formatting was a measurable
        // share of rendering at scale.
        let tenths = (self.0 * 10.0).round() as i64;
        let magnitude = tenths.unsigned_abs();
        if magnitude == 0 {
            return f.write_str("0");
        }
        // Written from the end: a sign, up to 19 digits, a point and a digit.
        let mut digits = [0u8; 24];
        let mut at = digits.len();
        let mut put = |byte: u8| {
            at -= 1;
            digits[at] = byte;
        };
        if !magnitude.is_multiple_of(10) {
            put(b'0' + (magnitude % 10) as u8);
            put(b'.');
        }
        let mut whole = magnitude / 10;
        loop {
            put(b'0' + (whole % 10) as u8);
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        if tenths < 0 {
            put(b'-');
        }
        f.write_str(std::str::from_utf8(&digits[at..]).map_err(|_| std::fmt::Error)?)
    }
}

/// An opacity with two decimals.
fn num2(value: f64) -> String {
    let hundredths = (value * 100.0).round() as i64;
    let sign = if hundredths < 0 { "-" } else { "" };
    let magnitude = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Num` as it was defined, with the standard library's integer formatting.
    fn num_by_format(value: f64) -> String {
        let tenths = (value * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let magnitude = tenths.unsigned_abs();
        match magnitude % 10 {
            _ if magnitude == 0 => "0".to_string(),
            0 => format!("{sign}{}", magnitude / 10),
            digit => format!("{sign}{}.{digit}", magnitude / 10),
        }
    }

    proptest::proptest! {
        #[test]
        fn numbers_are_written_as_formatting_writes_them(value in proptest::num::f64::ANY) {
            proptest::prop_assert_eq!(num(value).to_string(), num_by_format(value));
        }

        #[test]
        fn coordinates_are_written_as_formatting_writes_them(value in -5000.0f64..5000.0) {
            proptest::prop_assert_eq!(num(value).to_string(), num_by_format(value));
        }
    }

    fn node(name: &str, kind: EntityKind, count: usize) -> NodeData {
        NodeData {
            name: name.to_string(),
            kind,
            url: format!("/entities/{}/", name.to_lowercase()),
            count,
        }
    }

    /// Every element opened is closed, in order: inline SVG in HTML must be well-formed.
    fn assert_well_formed(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("every tag is closed") + start;
            let tag = &rest[start + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "closing `{name}` in {svg}");
            } else if !tag.ends_with('/') {
                open.push(tag.split_whitespace().next().expect("a tag has a name"));
            }
            rest = &rest[end + 1..];
        }
        assert!(open.is_empty(), "left open: {open:?}");
    }

    #[test]
    fn numbers_have_one_decimal_and_no_negative_zero() {
        assert_eq!(num(1.0).to_string(), "1");
        assert_eq!(num(1.25).to_string(), "1.3");
        assert_eq!(num(-0.04).to_string(), "0");
        assert_eq!(num(123.456).to_string(), "123.5");
        assert_eq!(num2(0.181), "0.18");
        assert_eq!(num2(1.0), "1.00");
        assert_eq!(num2(0.05), "0.05");
        assert_eq!(num(-2.46).to_string(), "-2.5");
        assert_eq!(num(0.96).to_string(), "1");
    }

    #[test]
    fn arcs_go_clockwise_down_the_right_and_up_the_left() {
        let arcs = two_arcs(5, 20.0, 100.0, 50.0);
        let sides: Vec<bool> = arcs.points.iter().map(|p| p.x > 0.0).collect();
        assert_eq!(sides, [true, true, true, false, false]);
        assert!(arcs.points[0].y < arcs.points[1].y && arcs.points[1].y < arcs.points[2].y);
        assert!(arcs.points[3].y > arcs.points[4].y);
        // The middle of an arc bulges out furthest.
        assert!(arcs.points[1].x > arcs.points[0].x);
        assert_eq!(arcs.half_height, 20.0);
    }

    #[test]
    fn network_links_every_node_and_weights_its_lines() {
        let data = NetworkData {
            nodes: vec![
                node("Microsoft", EntityKind::Organization, 40),
                node("OpenAI", EntityKind::Organization, 20),
                node("Satya <Nadella>", EntityKind::Person, 2),
            ],
            edges: vec![(0, 1, 9), (0, 2, 1)],
        };
        let svg = draw_network(&data);
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<a href=").count(), 3);
        assert!(svg.contains(r#"href="/entities/openai/""#));
        assert!(svg.contains("Satya &lt;Nadella&gt;"));
        assert!(
            svg.contains(r#"stroke-width="4.5""#),
            "the heaviest line: {svg}"
        );
        assert!(!svg.contains('#'), "no colours in the markup: {svg}");
        assert_eq!(svg, draw_network(&data), "drawn the same every time");
    }

    #[test]
    fn neighbourhood_puts_the_entity_in_the_middle() {
        let data = NeighbourhoodData {
            name: "Microsoft".to_string(),
            kind: EntityKind::Organization,
            neighbours: vec![node("OpenAI", EntityKind::Organization, 7)],
        };
        let svg = draw_neighbourhood(&data);
        assert_well_formed(&svg);
        assert!(svg.contains(r#"class="chart-centre-label""#));
        assert!(svg.contains(r#"<tspan class="chart-count"> 7</tspan>"#));
    }

    fn lane(title: &str, published: Option<Date>, days: &[(Date, usize)]) -> LaneData {
        LaneData {
            title: title.to_string(),
            published,
            days: days.iter().copied().collect(),
        }
    }

    #[test]
    fn one_dated_day_is_one_centred_tick() {
        let day = Date::constant(2026, 11, 23);
        let lanes = [lane("A", None, &[(day, 22)]), lane("B", None, &[(day, 34)])];
        let caption = timeline_caption(&lanes, (0, 2), (56, 56));
        assert_eq!(
            caption,
            "All 56 annotations were written on 23 November 2026, source by source (circles, \
             sized by the number per day). The sources carry no publication dates."
        );
        let svg = draw_timeline(&lanes);
        assert_well_formed(&svg);
        assert_eq!(svg.matches(r#"class="chart-tick""#).count(), 1);
        assert!(svg.contains(">23 Nov 2026</text>"));
        assert!(svg.contains(r#"role="img" aria-labelledby="chart-timeline-title""#));
    }

    #[test]
    fn ticks_fall_on_month_starts_that_leave_room() {
        let first = Date::constant(2024, 1, 15);
        let last = Date::constant(2024, 12, 20);
        let span = days_between(first, last) as f64;
        let x = |d: Date| days_between(first, d) as f64 / span * 400.0;
        let labels: Vec<String> = timeline_ticks(first, last, &x)
            .into_iter()
            .map(|(_, label)| label)
            .collect();
        assert_eq!(
            labels,
            [
                "15 Jan 2024",
                "Apr 2024",
                "Jul 2024",
                "Oct 2024",
                "20 Dec 2024"
            ]
        );
    }

    #[test]
    fn dated_sources_get_diamonds_and_the_caption_names_the_undated() {
        let lanes = [lane(
            "A",
            Some(Date::constant(2024, 3, 5)),
            &[(Date::constant(2024, 3, 9), 2)],
        )];
        let caption = timeline_caption(&lanes, (1, 2), (2, 3));
        assert_eq!(
            caption,
            "When the sources were published (diamonds) and their annotations written (circles, \
             sized by the number per day), between 5 March 2024 and 9 March 2024. 1 source \
             carries no publication date. 1 annotation carries no date."
        );
        let svg = draw_timeline(&lanes);
        assert_well_formed(&svg);
        assert!(svg.contains(r#"class="chart-published""#));
    }

    #[test]
    fn strip_marks_link_to_their_passages_and_stay_inside() {
        let marks = [
            StripMark {
                number: 1,
                anchor: "ann-first".to_string(),
                kind: "claim",
                start: 0.0,
                end: 0.1,
            },
            StripMark {
                number: 2,
                anchor: "ann-last".to_string(),
                kind: "note",
                start: 0.999,
                end: 1.0,
            },
        ];
        let svg = draw_strip("Annotations on Chips & clouds", &marks);
        assert_well_formed(&svg);
        assert!(svg.contains(r##"<a href="#ann-first" class="chart-mark kind-claim"><title>Note 1 (claim), 0% into the text</title><rect x="0" y="3" width="100" height="18"/></a>"##));
        assert!(svg.contains(r#"<rect x="995" y="3" width="5" height="18"/>"#));
        assert!(svg.contains("Annotations on Chips &amp; clouds"));
    }

    #[test]
    fn long_titles_are_shortened_at_a_word() {
        assert_eq!(fit("Short title", 400.0, 12.0), "Short title");
        let long = "Microsoft pursues a dual-track AI strategy: the OpenAI partnership plus in-house frontier models";
        let fitted = fit(long, 300.0, 12.0);
        assert!(fitted.ends_with('…') && text_width(&fitted, 12.0) <= 300.0);
        assert!(long.starts_with(fitted.trim_end_matches('…')));
    }
}
