//! The journey page: one child's tier history as a step chart and a table, then every record
//! that stands in the order things happened, then the records retracted, struck through.
//!
//! Links run both ways by event id: a correction links to the record it corrects (or
//! retracts), a corrected record to its corrections, a tier interval to the record that began
//! it, and a field holding the event id of a record on the page (`about_event_id`) to that
//! record. The anchor of a record is `record-<event_id>` wherever on the page it is.
//!
//! What it deliberately does not do: decide what the page may show. The caller has already
//! filtered the journey (`as_of`, `known_at`) and chosen whether to name the child
//! ([`JourneyView::title`]); the page shows the records' data as recorded, identities included,
//! because it is for those allowed to read the journey itself.

use std::collections::{HashMap, HashSet};

use askama::Template;
use chrono::{DateTime, Utc};
use projection::{Journey, Record, TimeFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::PagesError;
use crate::charts::{self, Mark, Step, Svg};
use crate::data::{self, Token};
use crate::labels::{self, TimeText};

/// What the caller adds to a journey to make a page of it.
#[derive(Debug, Clone, PartialEq)]
pub struct JourneyView<'r> {
    /// The child's name for the heading and the page title, if the caller shows it; `None`
    /// gives a heading without a name.
    pub title: Option<String>,
    /// The deployment's framework title, e.g. "Norfolk Threshold Guide".
    pub framework_title: String,
    /// The filter the journey was made with, marked on the chart and said in words.
    pub filter: TimeFilter,
    /// The records retracted (the journey leaves them out), shown struck through in a section
    /// of their own; in any order (they are shown by `occurred_at`, then `sequence`).
    pub retracted: Vec<Record<'r>>,
    /// When the page is made: where the current level's interval ends on the chart unless
    /// `filter.as_of` says otherwise.
    pub generated_at: DateTime<Utc>,
}

/// The journey as an HTML page.
pub fn journey_page(journey: &Journey<'_>, view: &JourneyView<'_>) -> Result<String, PagesError> {
    let page = JourneyPage::new(journey, view).map_err(|source| PagesError::Render {
        page: "journey",
        source,
    })?;
    page.render().map_err(|source| PagesError::Render {
        page: "journey",
        source,
    })
}

/// A link to a record on the page, or the words for one that is not on it.
struct Link {
    href: Option<String>,
    text: String,
}

struct RecordedBy {
    name: String,
    role: String,
    agency: String,
}

struct RecordView {
    anchor: String,
    sequence: u64,
    label: String,
    type_code: String,
    occurred: TimeText,
    recorded: TimeText,
    delay: Option<String>,
    recorded_by: RecordedBy,
    data: Vec<Token>,
    /// A `record_corrected` that retracts its target.
    retraction: bool,
    /// On a correction: the record it corrects or retracts.
    corrects: Option<Link>,
    /// On a corrected record: its corrections, and the data as first recorded.
    corrected_by: Vec<Link>,
    original: Option<Vec<Token>>,
    /// On a retracted record: the retraction, when it is on the page.
    retracted_by: Option<Link>,
}

struct LevelRow {
    number: usize,
    tier: u8,
    name: String,
    basis: String,
    from: TimeText,
    to: Option<TimeText>,
    begun_by: Link,
}

#[derive(Template)]
#[template(path = "journey.html")]
struct JourneyPage<'a> {
    page_title: String,
    heading: String,
    child_id: String,
    framework_title: &'a str,
    as_of: Option<TimeText>,
    known_at: Option<TimeText>,
    generated: TimeText,
    current: Option<String>,
    chart: Option<Svg>,
    levels: Vec<LevelRow>,
    records: Vec<RecordView>,
    retracted: Vec<RecordView>,
}

/// What the page knows of each record it shows: its sequence and label, for link text.
type Shown = HashMap<Uuid, (u64, String)>;

impl<'a> JourneyPage<'a> {
    fn new(
        journey: &Journey<'_>,
        view: &'a JourneyView<'_>,
    ) -> Result<JourneyPage<'a>, askama::Error> {
        // A record the journey holds is not retracted, whatever the caller says: showing it
        // twice would give two elements one anchor.
        let standing: HashSet<Uuid> = journey.records.iter().map(|r| r.event_id).collect();
        let mut retracted: Vec<&Record<'_>> = view
            .retracted
            .iter()
            .filter(|r| !standing.contains(&r.event_id))
            .collect();
        retracted.sort_by_key(|r| (r.occurred_at, r.sequence));

        let shown: Shown = journey
            .records
            .iter()
            .chain(retracted.iter().copied())
            .map(|r| (r.event_id, (r.sequence, label_of(r))))
            .collect();
        let linkable: HashMap<Uuid, String> = shown
            .iter()
            .map(|(id, (sequence, label))| (*id, format!("record {sequence}, {label}")))
            .collect();

        // The retraction of each retracted record, if it is on the page.
        let retracted_by: HashMap<Uuid, Uuid> = journey
            .records
            .iter()
            .filter(|r| retracts(r))
            .filter_map(|r| target_of(r).map(|t| (t, r.event_id)))
            .collect();

        let heading = match view.title.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => format!("Journey of {name}"),
            _ => "A child's journey".to_owned(),
        };
        let current = journey.levels.last().filter(|l| l.to.is_none()).map(|l| {
            format!(
                "Tier {}, {}, {}, since {}",
                l.tier.get(),
                l.name,
                labels::statutory_basis(l.statutory_basis.as_str()),
                labels::day(l.from)
            )
        });

        let levels = journey
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| LevelRow {
                number: i + 1,
                tier: l.tier.get(),
                name: l.name.clone(),
                basis: labels::statutory_basis(l.statutory_basis.as_str()),
                from: TimeText::new(l.from),
                to: l.to.map(TimeText::new),
                begun_by: link(l.event_id, &shown),
            })
            .collect();

        let steps: Vec<Step> = journey
            .levels
            .iter()
            .map(|l| Step {
                tier: l.tier.get(),
                tier_name: l.name.clone(),
                label: format!(
                    "{}, {}",
                    l.name,
                    labels::statutory_basis(l.statutory_basis.as_str())
                ),
                from: l.from,
                to: l.to,
            })
            .collect();
        let mut marks = Vec::new();
        if let Some(at) = view.filter.as_of {
            marks.push(Mark {
                label: "As of".to_owned(),
                at,
                class: "as-of",
            });
        }
        if let Some(at) = view.filter.known_at {
            marks.push(Mark {
                label: "Known at".to_owned(),
                at,
                class: "known-at",
            });
        }
        let chart = charts::step_timeline(
            "journey-levels",
            "The child's tier over time",
            &steps,
            &marks,
            view.filter.as_of.unwrap_or(view.generated_at),
        )?;

        let record_view = |r: &Record<'_>| RecordView {
            anchor: data::anchor(r.event_id),
            sequence: r.sequence,
            label: label_of(r),
            type_code: r.record_type.to_string(),
            occurred: TimeText::new(r.occurred_at),
            recorded: TimeText::new(r.recorded_at),
            delay: labels::recording_delay(r.occurred_at, r.recorded_at),
            recorded_by: recorded_by(&r.recorded_by),
            data: data::tokens(&r.data, &linkable),
            retraction: retracts(r),
            corrects: target_of(r).map(|t| link(t, &shown)),
            corrected_by: r.corrected_by.iter().map(|c| link(*c, &shown)).collect(),
            original: r.original_data.as_ref().map(|d| data::tokens(d, &linkable)),
            retracted_by: retracted_by.get(&r.event_id).map(|c| link(*c, &shown)),
        };

        Ok(JourneyPage {
            page_title: format!("{heading} · {}", view.framework_title),
            heading,
            child_id: journey.child_id.to_string(),
            framework_title: &view.framework_title,
            as_of: view.filter.as_of.map(TimeText::new),
            known_at: view.filter.known_at.map(TimeText::new),
            generated: TimeText::new(view.generated_at),
            current,
            chart,
            levels,
            records: journey.records.iter().map(record_view).collect(),
            retracted: retracted.into_iter().map(record_view).collect(),
        })
    }
}

/// Whether `r` is a correction that retracts its target.
fn retracts(r: &Record<'_>) -> bool {
    r.record_type == "record_corrected" && r.data.get("retract") == Some(&Value::Bool(true))
}

/// The record a correction corrects: the link the projection made, else the id in its data.
fn target_of(r: &Record<'_>) -> Option<Uuid> {
    if r.record_type != "record_corrected" {
        return r.corrects;
    }
    r.corrects.or_else(|| {
        r.data
            .get("corrects_event_id")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
    })
}

fn label_of(r: &Record<'_>) -> String {
    labels::record_type(&r.record_type, retracts(r))
}

fn link(event_id: Uuid, shown: &Shown) -> Link {
    match shown.get(&event_id) {
        Some((sequence, label)) => Link {
            href: Some(format!("#{}", data::anchor(event_id))),
            text: format!("record {sequence}, {label}"),
        },
        None => Link {
            href: None,
            text: format!("a record not on this page ({event_id})"),
        },
    }
}

/// `{ name, role, agency }`, read tolerantly: a record of an older shape still says what it
/// can.
fn recorded_by(value: &Value) -> RecordedBy {
    let field = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    RecordedBy {
        name: field("name").unwrap_or("name not recorded").to_owned(),
        role: field("role").map_or_else(|| "role not recorded".to_owned(), labels::humanise),
        agency: field("agency").unwrap_or("agency not recorded").to_owned(),
    }
}
