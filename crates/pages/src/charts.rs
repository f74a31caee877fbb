//! Small SVG charts, drawn for a page and inlined in it: a vertical bar chart, horizontal bars
//! of a rate, stacked bars of parts of a whole, and a step timeline of a child's tiers.
//!
//! Each chart is computed here (the geometry, in a fixed `viewBox` the page's stylesheet
//! scales to the width available) and written by an askama template of its own under
//! `templates/charts/`, so its text is escaped like any other text on the page. Each carries
//! a `<title>` and a `<desc>` that say the same numbers in words, and is labelled by them
//! (`role="img"`, `aria-labelledby`): one [`Frame`] and one `charts/frame.svg` for all four,
//! so they are labelled alike; the page also shows the numbers in a table beside it. Their
//! geometries only look alike (each its own fixed dimensions and axes) and stay apart.
//! Colours come from the page's stylesheet by class, so print and screen can differ.
//!
//! Why not a charting crate: `plotters` (svg backend, no `ttf`) builds here without a font
//! library, but its SVG has a fixed pixel size, no `<title>`/`<desc>` or ARIA, colours and
//! font sizes as attributes, and label areas sized by estimate; fixing that meant rewriting its
//! output as a string. Four charts this simple are clearer drawn directly.
//!
//! What it deliberately does not do: measure text. There is no font here, so label widths are
//! estimated from their length; a label that may not fit is shortened (the table beside the
//! chart has it whole) or, on a timeline interval too short for it, replaced by its number.

use std::fmt;

use askama::Template;
use chrono::{DateTime, Utc};

use crate::labels;

/// SVG markup this module drew from its own templates, which escape all text. It is the only
/// markup a page inserts without escaping it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Svg(String);

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Svg {}

/// A coordinate, written to one decimal place without a trailing `.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Px(f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = (self.0 * 10.0).round() / 10.0;
        // `-0` and non-finite values would be invalid or odd in an attribute.
        if v == 0.0 || !v.is_finite() {
            f.write_str("0")
        } else {
            write!(f, "{v}")
        }
    }
}

/// What every chart's `<svg>` opens with (`templates/charts/frame.svg`): its class, its
/// `viewBox`, and the `<title>` and `<desc>` it is labelled by (`role="img"`,
/// `aria-labelledby`). One place, so every chart is labelled for a screen reader alike.
struct Frame {
    /// The chart's kind, e.g. `bar-chart`, after the class `chart` all share.
    class: &'static str,
    /// Unique on the page: the title's and description's ids derive from it.
    id: String,
    title: String,
    desc: String,
    width: Px,
    height: Px,
}

/// A chart's numbers in words, as its description says them: one sentence, the parts apart
/// by semicolons.
fn sentence(parts: Vec<String>) -> String {
    format!("{}.", parts.join("; "))
}

/// About how wide a label of `chars` characters is at `font_px`, in a proportional sans-serif
/// font: wide enough for most text, so a label estimated to fit does fit.
fn text_width(text: &str, font_px: f64) -> f64 {
    text.chars().count() as f64 * font_px * 0.6
}

/// `text` cut to at most `max` characters, with an ellipsis if cut. A short code in brackets
/// at the end ("Individual: family member, relative or carer (1A)") is kept, the words before
/// it cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if let Some(open) = text.rfind(" (").filter(|_| text.ends_with(')')) {
        let code = &text[open..];
        let code_len = code.chars().count();
        if code_len <= 8 && code_len + 2 < max {
            return format!("{}{code}", shorten(&text[..open], max - code_len));
        }
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.truncate(s.trim_end().len());
    s.push('…');
    s
}

/// A round top for an axis at or above `max`, and the step between its ticks (at most five).
fn nice_scale(max: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let mut magnitude = 1u64;
    loop {
        for m in [1, 2, 5] {
            let step = m * magnitude;
            if max.div_ceil(step) <= 5 {
                return (max.div_ceil(step) * step, step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

// --- Vertical bars -----------------------------------------------------------------------

/// One bar: a count with a label and an optional second line.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub label: String,
    pub sublabel: Option<String>,
    pub value: u64,
}

struct BarGeometry {
    label: String,
    sublabel: Option<String>,
    value: u64,
    x: Px,
    y: Px,
    width: Px,
    height: Px,
    centre: Px,
    value_y: Px,
}

struct Tick {
    label: String,
    x: Px,
    y: Px,
}

#[derive(Template)]
#[template(path = "charts/bar_chart.svg", escape = "html")]
struct BarChart {
    frame: Frame,
    left: Px,
    right: Px,
    bottom: Px,
    label_y: Px,
    sublabel_y: Px,
    ticks: Vec<Tick>,
    bars: Vec<BarGeometry>,
}

/// Vertical bars of counts, e.g. children by tier. `id` must be unique on the page.
pub(crate) fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> Result<Svg, askama::Error> {
    const WIDTH: f64 = 520.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 508.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 204.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let (top_value, step) = nice_scale(max);
    let y_of = |v: u64| BOTTOM - (BOTTOM - TOP) * v as f64 / top_value as f64;

    let ticks = (0..=top_value / step)
        .map(|i| {
            let v = i * step;
            Tick {
                label: v.to_string(),
                x: Px(LEFT - 8.0),
                y: Px(y_of(v)),
            }
        })
        .collect();

    let slot = (RIGHT - LEFT) / bars.len().max(1) as f64;
    let max_label = ((slot - 8.0) / (12.0 * 0.6)).max(4.0) as usize;
    let geometry = bars
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = LEFT + slot * i as f64 + slot * 0.2;
            let y = y_of(b.value);
            BarGeometry {
                label: shorten(&b.label, max_label),
                sublabel: b.sublabel.as_deref().map(|s| shorten(s, max_label)),
                value: b.value,
                x: Px(x),
                y: Px(y),
                width: Px(slot * 0.6),
                height: Px(BOTTOM - y),
                centre: Px(x + slot * 0.3),
                value_y: Px(y - 6.0),
            }
        })
        .collect();

    let desc = bars
        .iter()
        .map(|b| match &b.sublabel {
            Some(s) => format!("{} ({s}): {}", b.label, b.value),
            None => format!("{}: {}", b.label, b.value),
        })
        .collect();

    let chart = BarChart {
        frame: Frame {
            class: "bar-chart",
            id: id.to_owned(),
            title: title.to_owned(),
            desc: sentence(desc),
            width: Px(WIDTH),
            height: Px(BOTTOM + 48.0),
        },
        left: Px(LEFT),
        right: Px(RIGHT),
        bottom: Px(BOTTOM),
        label_y: Px(BOTTOM + 20.0),
        sublabel_y: Px(BOTTOM + 36.0),
        ticks,
        bars: geometry,
    };
    chart.render().map(Svg)
}

// --- Horizontal bars of a rate --------------------------------------------------------------

/// One row: a rate from 0 to 1 (none when it has no denominator) and a note saying what it is
/// of, e.g. "2 of 5 decided".
#[derive(Debug, Clone)]
pub(crate) struct RateBar {
    pub label: String,
    pub rate: Option<f64>,
    pub note: String,
}

struct RateRow {
    label: String,
    full_label: String,
    text: String,
    label_x: Px,
    y: Px,
    bar_y: Px,
    text_x: Px,
    width: Option<Px>,
}

#[derive(Template)]
#[template(path = "charts/horizontal_bars.svg", escape = "html")]
struct HorizontalBars {
    frame: Frame,
    left: Px,
    top: Px,
    bottom: Px,
    bar_height: Px,
    ticks: Vec<Tick>,
    rows: Vec<RateRow>,
}

/// Horizontal bars of rates (0 to 100%), one row each, e.g. no further action by referral
/// source. A row without a rate has no bar and says so.
pub(crate) fn horizontal_bars(
    id: &str,
    title: &str,
    rows: &[RateBar],
) -> Result<Svg, askama::Error> {
    const WIDTH: f64 = 800.0;
    const LEFT: f64 = 320.0;
    const RIGHT: f64 = 600.0;
    const TOP: f64 = 28.0;
    const ROW: f64 = 28.0;
    const BAR: f64 = 16.0;
    let bottom = TOP + ROW * rows.len().max(1) as f64;
    let x_of = |rate: f64| LEFT + (RIGHT - LEFT) * rate.clamp(0.0, 1.0);

    let ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .map(|r| Tick {
            label: labels::percent(Some(*r)).replace(".0%", "%"),
            x: Px(x_of(*r)),
            y: Px(TOP - 10.0),
        })
        .collect();

    let geometry = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let y = TOP + ROW * i as f64 + ROW / 2.0;
            let end = r.rate.map_or(LEFT, x_of);
            let text = match r.rate {
                Some(rate) => format!("{} ({})", labels::percent(Some(rate)), r.note),
                None => r.note.clone(),
            };
            RateRow {
                label: shorten(&r.label, ((LEFT - 16.0) / (12.0 * 0.6)) as usize),
                full_label: r.label.clone(),
                text,
                label_x: Px(LEFT - 8.0),
                y: Px(y),
                bar_y: Px(y - BAR / 2.0),
                text_x: Px(end + 6.0),
                width: r.rate.map(|rate| Px((x_of(rate) - LEFT).max(1.0))),
            }
        })
        .collect();

    let desc = rows
        .iter()
        .map(|r| match r.rate {
            Some(rate) => format!("{}: {} ({})", r.label, labels::percent(Some(rate)), r.note),
            None => format!("{}: {}", r.label, r.note),
        })
        .collect();

    let chart = HorizontalBars {
        frame: Frame {
            class: "horizontal-bars",
            id: id.to_owned(),
            title: title.to_owned(),
            desc: if rows.is_empty() {
                "Nothing to show.".to_owned()
            } else {
                sentence(desc)
            },
            width: Px(WIDTH),
            height: Px(bottom + 8.0),
        },
        left: Px(LEFT),
        top: Px(TOP),
        bottom: Px(bottom),
        bar_height: Px(BAR),
        ticks,
        rows: geometry,
    };
    chart.render().map(Svg)
}

// --- Stacked bars of parts of a whole -------------------------------------------------------

/// What a part of a whole means, which sets its colour: on time, late, or not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    OnTime,
    Late,
    Unknown,
}

impl Part {
    fn class(self) -> &'static str {
        match self {
            Part::OnTime => "on-time",
            Part::Late => "late",
            Part::Unknown => "unknown",
        }
    }
}

/// One part of a row: its words ("within one working day") and count.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub part: Part,
    pub label: String,
    pub value: u64,
}

/// One row: a whole (e.g. the referrals received) and its parts, which add up to it.
#[derive(Debug, Clone)]
pub(crate) struct Stack {
    pub label: String,
    pub sublabel: String,
    pub segments: Vec<Segment>,
}

struct SegmentGeometry {
    class: &'static str,
    title: String,
    x: Px,
    width: Px,
    /// The count, written inside the segment when it fits.
    text: Option<String>,
    text_x: Px,
}

struct StackRow {
    label: String,
    sublabel: String,
    total_text: String,
    label_y: Px,
    sublabel_y: Px,
    bar_y: Px,
    text_y: Px,
    empty: bool,
    segments: Vec<SegmentGeometry>,
}

struct LegendEntry {
    class: &'static str,
    label: &'static str,
    x: Px,
    text_x: Px,
}

#[derive(Template)]
#[template(path = "charts/stacked_bars.svg", escape = "html")]
struct StackedBars {
    frame: Frame,
    left: Px,
    total_x: Px,
    label_x: Px,
    bar_height: Px,
    bar_width: Px,
    legend: Vec<LegendEntry>,
    rows: Vec<StackRow>,
}

/// Rows of parts of a whole, each row as wide as the chart (so rows of different sizes
/// compare as proportions), with the counts written in and the whole at the end of the row.
pub(crate) fn stacked_bars(id: &str, title: &str, rows: &[Stack]) -> Result<Svg, askama::Error> {
    const WIDTH: f64 = 800.0;
    const LEFT: f64 = 260.0;
    const RIGHT: f64 = 700.0;
    const TOP: f64 = 40.0;
    const ROW: f64 = 52.0;
    const BAR: f64 = 24.0;
    let geometry = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let total: u64 = row.segments.iter().map(|s| s.value).sum();
            let y = TOP + ROW * i as f64;
            let mut x = LEFT;
            let segments = row
                .segments
                .iter()
                .filter(|s| s.value > 0)
                .map(|s| {
                    let width = (RIGHT - LEFT) * s.value as f64 / total.max(1) as f64;
                    let count = s.value.to_string();
                    let g = SegmentGeometry {
                        class: s.part.class(),
                        title: format!(
                            "{}: {} {} ({})",
                            row.label,
                            s.value,
                            s.label,
                            labels::share(s.value, total)
                        ),
                        x: Px(x),
                        width: Px(width),
                        text: (text_width(&count, 12.0) + 8.0 <= width).then_some(count),
                        text_x: Px(x + width / 2.0),
                    };
                    x += width;
                    g
                })
                .collect();
            StackRow {
                label: shorten(&row.label, 34),
                sublabel: shorten(&row.sublabel, 40),
                total_text: if total == 0 {
                    "none in the period".to_owned()
                } else {
                    format!("of {total}")
                },
                label_y: Px(y + BAR / 2.0 - 2.0),
                sublabel_y: Px(y + BAR / 2.0 + 13.0),
                bar_y: Px(y),
                text_y: Px(y + BAR / 2.0 + 4.0),
                empty: total == 0,
                segments,
            }
        })
        .collect();

    let legend = [
        (Part::OnTime, "on time", LEFT),
        (Part::Late, "late", LEFT + 110.0),
        (Part::Unknown, "not decided or not known", LEFT + 200.0),
    ]
    .into_iter()
    .map(|(part, label, x)| LegendEntry {
        class: part.class(),
        label,
        x: Px(x),
        text_x: Px(x + 18.0),
    })
    .collect();

    let desc = rows
        .iter()
        .map(|row| {
            let total: u64 = row.segments.iter().map(|s| s.value).sum();
            let parts = row
                .segments
                .iter()
                .map(|s| format!("{} {}", s.value, s.label))
                .collect::<Vec<_>>()
                .join(", ");
            format!("{} ({}): {total} in all, {parts}", row.label, row.sublabel)
        })
        .collect();

    let chart = StackedBars {
        frame: Frame {
            class: "stacked-bars",
            id: id.to_owned(),
            title: title.to_owned(),
            desc: sentence(desc),
            width: Px(WIDTH),
            height: Px(TOP + ROW * rows.len().max(1) as f64),
        },
        left: Px(LEFT),
        total_x: Px(RIGHT + 8.0),
        label_x: Px(LEFT - 10.0),
        bar_height: Px(BAR),
        bar_width: Px(RIGHT - LEFT),
        legend,
        rows: geometry,
    };
    chart.render().map(Svg)
}

// --- The step timeline of a child's tiers ---------------------------------------------------

/// One interval of the tier history: its tier, its words ("Early Help, section 17") and when.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub tier: u8,
    pub tier_name: String,
    pub label: String,
    pub from: DateTime<Utc>,
    /// `None` while current: the interval runs to the chart's `until`.
    pub to: Option<DateTime<Utc>>,
}

/// A time marked across the chart, e.g. "as of".
#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub label: String,
    pub at: DateTime<Utc>,
    /// `as-of` or `known-at`: how the line is drawn.
    pub class: &'static str,
}

struct TierBand {
    tier: u8,
    name: String,
    y: Px,
    height: Px,
    label_y: Px,
    name_y: Px,
}

struct Interval {
    class: String,
    title: String,
    x: Px,
    y: Px,
    width: Px,
    label: String,
    label_y: Px,
    label_x: Px,
    anchor: &'static str,
    riser: Option<(Px, Px)>,
}

struct MarkLine {
    class: &'static str,
    text: String,
    x: Px,
    text_x: Px,
    text_y: Px,
    anchor: &'static str,
}

#[derive(Template)]
#[template(path = "charts/step_timeline.svg", escape = "html")]
struct StepTimeline {
    frame: Frame,
    left: Px,
    right: Px,
    axis_y: Px,
    tick_end: Px,
    mark_top: Px,
    band_label_x: Px,
    band_width: Px,
    bands: Vec<TierBand>,
    intervals: Vec<Interval>,
    ticks: Vec<Tick>,
    marks: Vec<MarkLine>,
}

/// The tier history as steps: time across (from the first interval to `until`, widened to
/// take in every mark), tiers 1 to 4 up. Each interval is labelled with its number and words
/// where they fit, and carries them in full as a tooltip; `None` when there is no interval.
pub(crate) fn step_timeline(
    id: &str,
    title: &str,
    steps: &[Step],
    marks: &[Mark],
    until: DateTime<Utc>,
) -> Result<Option<Svg>, askama::Error> {
    const WIDTH: f64 = 960.0;
    const LEFT: f64 = 170.0;
    const RIGHT: f64 = 900.0;
    const TOP: f64 = 44.0;
    const BAND: f64 = 46.0;
    const BAR: f64 = 14.0;
    const FONT: f64 = 11.0;

    let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
        return Ok(None);
    };
    let mut start = first.from;
    let mut end = last.to.unwrap_or(until).max(last.from);
    for m in marks {
        start = start.min(m.at);
        end = end.max(m.at);
    }
    if end <= start {
        end = start + chrono::Duration::days(1);
    }
    let span = (end - start).num_seconds().max(1) as f64;
    let x_of = |at: DateTime<Utc>| LEFT + (RIGHT - LEFT) * (at - start).num_seconds() as f64 / span;
    let band_top = |tier: u8| TOP + BAND * f64::from(4u8.saturating_sub(tier));
    let centre = |tier: u8| band_top(tier) + BAND / 2.0;

    let bands = (1..=4u8)
        .rev()
        .map(|tier| TierBand {
            tier,
            name: steps
                .iter()
                .find(|s| s.tier == tier)
                .map(|s| shorten(&s.tier_name, 24))
                .unwrap_or_default(),
            y: Px(band_top(tier)),
            height: Px(BAND),
            label_y: Px(centre(tier) - 2.0),
            name_y: Px(centre(tier) + 12.0),
        })
        .collect();

    // Each label sits above its interval, in its tier's band, and may run past the interval
    // into the band's free space: up to the next interval on the same tier (or the chart's
    // edge), and clear of the labels already placed in that band. If the words do not fit
    // after the interval's start, they end at its end; if neither, the number alone is shown
    // (the table under the chart has the words).
    let mut band_free_from = [LEFT; 5];
    let mut intervals = Vec::with_capacity(steps.len());
    for (i, s) in steps.iter().enumerate() {
        let x = x_of(s.from);
        let to = s.to.unwrap_or(end);
        let width = (x_of(to) - x).max(2.0);
        let bar_end = x + width;
        let band = usize::from(s.tier.min(4));
        let free_from = band_free_from.get(band).copied().unwrap_or(LEFT);
        let limit = steps
            .iter()
            .skip(i + 1)
            .find(|later| later.tier == s.tier)
            .map_or(WIDTH - 4.0, |later| x_of(later.from) - 4.0);
        let numbered = format!("{}. {}", i + 1, s.label);
        let wide = text_width(&numbered, FONT);
        let number = (i + 1).to_string();
        let (label, label_x, anchor) = if x >= free_from && x + wide <= limit {
            (numbered, x + 1.0, "start")
        } else if bar_end - wide >= free_from + 4.0 && bar_end <= limit {
            (numbered, bar_end - 1.0, "end")
        } else {
            (number, x + 1.0, "start")
        };
        let label_right = match anchor {
            "end" => bar_end,
            _ => label_x + text_width(&label, FONT),
        };
        if let Some(slot) = band_free_from.get_mut(band) {
            *slot = slot.max(label_right + 4.0).max(bar_end);
        }
        let until_text = match s.to {
            Some(to) => labels::day(to),
            None => "now".to_owned(),
        };
        let riser = i
            .checked_sub(1)
            .and_then(|p| steps.get(p))
            .map(|prev| (Px(centre(prev.tier)), Px(centre(s.tier))));
        intervals.push(Interval {
            class: format!("tier-{}", s.tier),
            title: format!(
                "{}. Tier {}: {}, {} to {}",
                i + 1,
                s.tier,
                s.label,
                labels::day(s.from),
                until_text
            ),
            x: Px(x),
            y: Px(centre(s.tier) - BAR / 2.0),
            width: Px(width),
            label,
            label_y: Px(centre(s.tier) - BAR / 2.0 - 4.0),
            label_x: Px(label_x),
            anchor,
            riser,
        });
    }

    let axis_y = TOP + BAND * 4.0;
    let short = (end - start) < chrono::Duration::days(3);
    let ticks = (0..=4)
        .map(|i| {
            let at = start + chrono::Duration::seconds((span * f64::from(i) / 4.0) as i64);
            Tick {
                label: if short {
                    labels::clock(at)
                } else {
                    labels::day(at)
                },
                x: Px(x_of(at)),
                y: Px(axis_y + 18.0),
            }
        })
        .collect();

    let middle = (LEFT + RIGHT) / 2.0;
    let marks = marks
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let x = x_of(m.at);
            let right_half = x > middle;
            MarkLine {
                class: m.class,
                text: format!("{}: {}", m.label, labels::day(m.at)),
                x: Px(x),
                text_x: Px(if right_half { x - 4.0 } else { x + 4.0 }),
                text_y: Px(14.0 + 16.0 * i as f64),
                anchor: if right_half { "end" } else { "start" },
            }
        })
        .collect();

    let desc = steps
        .iter()
        .map(|s| {
            let until_text = match s.to {
                Some(to) => format!("until {}", labels::day(to)),
                None => "to now".to_owned(),
            };
            format!(
                "tier {} ({}) from {} {until_text}",
                s.tier,
                s.label,
                labels::day(s.from)
            )
        })
        .collect::<Vec<_>>();

    let chart = StepTimeline {
        frame: Frame {
            class: "step-timeline",
            id: id.to_owned(),
            title: title.to_owned(),
            desc: capitalise(&sentence(desc)),
            width: Px(WIDTH),
            height: Px(axis_y + 32.0),
        },
        left: Px(LEFT),
        right: Px(RIGHT),
        axis_y: Px(axis_y),
        tick_end: Px(axis_y + 5.0),
        mark_top: Px(TOP - 6.0),
        band_label_x: Px(LEFT - 12.0),
        band_width: Px(RIGHT - LEFT),
        bands,
        intervals,
        ticks,
        marks,
    };
    chart.render().map(|s| Some(Svg(s)))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_label_keeps_its_code() {
        assert_eq!(shorten("Schools (2A)", 40), "Schools (2A)");
        assert_eq!(
            shorten("Individual: family member, relative or carer (1A)", 42),
            "Individual: family member, relative… (1A)"
        );
        assert_eq!(shorten("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn scales_are_round_and_have_at_most_five_steps() {
        assert_eq!(nice_scale(0), (1, 1));
        assert_eq!(nice_scale(3), (3, 1));
        assert_eq!(nice_scale(7), (8, 2));
        assert_eq!(nice_scale(23), (25, 5));
        assert_eq!(nice_scale(101), (150, 50));
    }

    #[test]
    fn coordinates_are_short() {
        assert_eq!(Px(12.0).to_string(), "12");
        assert_eq!(Px(12.345).to_string(), "12.3");
        assert_eq!(Px(-0.01).to_string(), "0");
        assert_eq!(Px(f64::NAN).to_string(), "0");
    }

    #[test]
    fn chart_text_is_escaped() {
        let svg = bar_chart(
            "c",
            "<script>alert(1)</script>",
            &[Bar {
                label: "a & \"b\"".to_owned(),
                sublabel: Some("<i>".to_owned()),
                value: 2,
            }],
        )
        .map(|s| s.to_string())
        .unwrap_or_default();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<i>"), "{svg}");
        assert!(svg.contains("a &#38; &#34;b&#34;"), "{svg}");
    }

    fn day(d: u32) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 1, d, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    fn step(tier: u8, label: &str, from: u32, to: Option<u32>) -> Step {
        Step {
            tier,
            tier_name: format!("Name {tier}"),
            label: label.to_owned(),
            from: day(from),
            to: to.map(day),
        }
    }

    #[test]
    fn a_timeline_labels_what_fits_and_numbers_what_does_not() {
        let steps = [
            step(1, "Universal services, no statutory basis", 1, Some(2)),
            step(4, "A", 2, Some(3)),
            step(1, "Universal services, no statutory basis", 3, Some(4)),
            step(2, "Early Help, no statutory basis", 4, None),
        ];
        let svg = step_timeline("t", "Tiers", &steps, &[], day(31))
            .ok()
            .flatten()
            .map(|s| s.to_string())
            .unwrap_or_default();
        // The first interval's words would run into the third, on the same tier: its number.
        assert!(svg.contains(">1</text>"), "{svg}");
        // The second's fit in the free band after it; the last runs to `until`.
        assert!(svg.contains(">2. A</text>"), "{svg}");
        assert!(
            svg.contains(">4. Early Help, no statutory basis</text>"),
            "{svg}"
        );
        assert!(svg.contains("to now"), "{svg}");
        assert!(svg.contains(">31 Jan 2026</text>"), "{svg}");
        // Tiers never reached have no name; the others have theirs.
        assert!(svg.contains(">Name 2</text>") && !svg.contains(">Name 3</text>"));
    }

    #[test]
    fn marks_widen_the_timeline_and_are_labelled() {
        let steps = [step(1, "U", 10, None)];
        let marks = [
            Mark {
                label: "Known at".to_owned(),
                at: day(2),
                class: "known-at",
            },
            Mark {
                label: "As of".to_owned(),
                at: day(20),
                class: "as-of",
            },
        ];
        let svg = step_timeline("t", "Tiers", &steps, &marks, day(20))
            .ok()
            .flatten()
            .map(|s| s.to_string())
            .unwrap_or_default();
        assert!(
            svg.contains(">2 Jan 2026</text>"),
            "the axis starts at the earliest mark"
        );
        assert!(svg.contains("Known at: 2 Jan 2026"));
        assert!(svg.contains("As of: 20 Jan 2026"));
        assert!(svg.contains("<g class=\"mark as-of\">"));
    }

    #[test]
    fn a_timeline_without_intervals_is_no_chart() {
        let chart = step_timeline("t", "x", &[], &[], DateTime::<Utc>::MIN_UTC);
        assert!(matches!(chart, Ok(None)));
    }
}
