//! A synthetic council: a year of realistic children's journeys through a threshold
//! framework, for demonstrations, load tests and benchmarks.
//!
//! Every record is made the way the API makes one: its data is built as the domain's record
//! type (`domain::record`, with text and codes made fallibly in `build`), serialised to JSON
//! and parsed as a posted record (`domain::envelope::RecordInput::parse`), and the child's
//! whole journey is decided by the aggregate (`domain::child::Child::decide`) before anything
//! is written. A record the generator could not build is returned as
//! [`GenerateError::Shape`], one the domain refuses as [`GenerateError::Refused`]: both are
//! bugs in this generator, naming the child and the record; nothing is ever skipped.
//!
//! - [`journeys`] yields each child's registration and records as [`store::NewEvent`]s with the
//!   identifier claims, without a store (for benchmarks and tests).
//! - [`generate`] writes them: one atomic append per child (registration and records together,
//!   `Expected::NoStream`), many children per [`store::EventStore::append_history`] call so the
//!   store can commit them together. Each record keeps a realistic `recorded_at` (most
//!   written up within hours, a tail days later, some agencies slower: `timing`), written as
//!   an import writes history, so the report's late-recording figures and the journey's
//!   `known_at` view show what a real council's would.
//!
//! The same [`Options`] (seed included) always give the same children, ids, times and words.
//! Rates live in `rates`, people and places in `people`, identifiers in `identifiers` and
//! `identity`, the paths through the tiers in `journey`.
//!
//! What this crate does not do: speak HTTP (it writes to the store directly, as an import
//! would, with no token ids), read the clock (the year is given), or check rules itself.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use domain::child::{Child, ChildCommand, ChildEvent, EventBody, Services};
use domain::envelope::RecordInput;
use domain::framework::Framework;
use domain::record::RecordData;
use domain::registration::ChildDetails;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use serde_json::json;
use store::{AppendRequest, EventStore, Expected, HistoricAppend, IdentifierClaim, NewEvent};
use uuid::Uuid;

mod build;
mod catalogue;
mod identifiers;
mod identity;
mod journey;
mod people;
mod rates;
mod text;
mod timing;

pub use people::default_localities;

/// The last day of the default year: the end of October 2026, a month before this crate was
/// written, so a default run never writes into the future.
pub const DEFAULT_END: (i32, u32, u32) = (2026, 10, 31);

/// How many children go to the store in one `append_many` call.
pub const CHILDREN_PER_WRITE: usize = 200;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many children.
    pub children: usize,
    /// The same seed gives the same council, record for record.
    pub seed: u64,
    /// The framework the deployment runs (its levels, indicators and section 47 list).
    pub framework: &'static Framework,
    /// The first day of the year generated; the year ends the day before the same date a
    /// year later.
    pub start: NaiveDate,
    /// Where children live (`locality` in registrations); the framework's council's
    /// districts when built with [`Options::new`].
    pub localities: Vec<String>,
}

impl Options {
    /// `children` children of a year ending on [`DEFAULT_END`], living in the framework's
    /// council's districts.
    pub fn new(children: usize, seed: u64, framework: &'static Framework) -> Options {
        let (y, m, d) = DEFAULT_END;
        let end = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
        Options {
            children,
            seed,
            framework,
            start: year_before(end),
            localities: default_localities(framework),
        }
    }

    /// The same options for the year ending on `end` (inclusive).
    pub fn ending(mut self, end: NaiveDate) -> Options {
        self.start = year_before(end);
        self
    }

    /// The last day of the year generated.
    pub fn end(&self) -> NaiveDate {
        self.start
            .checked_add_months(Months::new(12))
            .and_then(|d| d.pred_opt())
            .unwrap_or(self.start)
    }

    /// The first moment of the year and the moment after its last day, in UTC. Every
    /// record's `occurred_at` falls between them.
    fn period(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self.start.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let end = self
            .end()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        match (start, end) {
            (Some(s), Some(e)) => (s, e),
            _ => (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MIN_UTC),
        }
    }
}

fn year_before(end: NaiveDate) -> NaiveDate {
    end.succ_opt()
        .and_then(|d| d.checked_sub_months(Months::new(12)))
        .unwrap_or(end)
}

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub children: u64,
    pub events: u64,
    /// Events by type, `child_registered` included.
    pub by_type: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, child: &GeneratedChild) {
        self.children += 1;
        self.events += child.events.len() as u64;
        for e in &child.events {
            *self.by_type.entry(e.event_type.clone()).or_default() += 1;
        }
    }
}

/// One child's events, ready for the store: the registration first, then every record, in
/// the order the domain decided them.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedChild {
    pub child_id: Uuid,
    pub events: Vec<NewEvent>,
    /// The identifiers the registration and any later update claim.
    pub claims: Vec<IdentifierClaim>,
    /// When each event was recorded (`recorded_at[i]` for `events[i]`): never before it
    /// occurred, never earlier than the event before it, never after the generated year.
    pub recorded_at: Vec<DateTime<Utc>>,
}

impl GeneratedChild {
    /// The child's whole journey as one atomic append to a new stream.
    pub fn into_request(self) -> AppendRequest {
        AppendRequest {
            child_id: self.child_id,
            expected: Expected::NoStream,
            events: self.events,
            idempotency: None,
            claims: self.claims,
        }
    }

    /// The child's whole journey as history: one atomic append to a new stream, each event
    /// keeping its `recorded_at`.
    pub fn into_history(self) -> HistoricAppend {
        let recorded_at = self.recorded_at.clone();
        HistoricAppend {
            request: self.into_request(),
            recorded_at,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The options cannot make a council.
    #[error("the options cannot be used: {0}")]
    Options(String),
    /// The generator built a record that is not valid (a bug here): text that is blank or
    /// too long, a code not on its list, or JSON that does not parse.
    #[error("child {index}: the generator built a {record_type} that does not parse: {detail}")]
    Shape {
        index: usize,
        record_type: String,
        detail: String,
    },
    /// The domain refused a record the generator built (a bug here).
    #[error(
        "child {index} ({child_id}): the domain refused record {position} ({record_type}, occurred {occurred_at}): {detail}"
    )]
    Refused {
        index: usize,
        child_id: Uuid,
        /// The record's place in the child's journey, 0 for the registration.
        position: usize,
        record_type: String,
        occurred_at: DateTime<Utc>,
        detail: String,
    },
    /// The thread building journeys stopped unexpectedly (a panic: a bug here).
    #[error("the generating thread stopped: {0}")]
    Stopped(String),
    /// The store refused or failed an append.
    #[error("storing child {child_id} failed")]
    Store {
        child_id: Uuid,
        #[source]
        source: store::StoreError,
    },
}

/// The council the options describe, or why the options cannot make one.
fn council(options: &Options) -> Result<people::Council, String> {
    if options.localities.is_empty() {
        return Err("give at least one locality".to_owned());
    }
    if options.localities.iter().any(|l| l.trim().is_empty()) {
        return Err("a locality may not be blank".to_owned());
    }
    Ok(people::Council::new(options.framework, &options.localities))
}

/// Every child of the run, in order, each decided by the domain. An `Err` is a bug in the
/// generator (or unusable options) and names what was refused.
pub fn journeys(
    options: &Options,
) -> impl Iterator<Item = Result<GeneratedChild, GenerateError>> + use<> {
    let council = council(options);
    let seed = options.seed;
    let (start, end) = options.period();
    let framework = options.framework;
    (0..options.children).map(move |index| {
        let council = council
            .as_ref()
            .map_err(|e| GenerateError::Options(e.clone()))?;
        let built = journey::build(council, seed, index as u64, start, end);
        let mut child = decide(index, built, framework, end)?;
        // Its own generator, so the delays do not disturb the journeys' random draws.
        let mut rng = StdRng::seed_from_u64(identifiers::mix(seed, (index as u64) ^ 0xDE1A_7ED0));
        let stream: Vec<(DateTime<Utc>, &str)> = child
            .events
            .iter()
            .map(|e| (e.occurred_at, e.agency.as_str()))
            .collect();
        child.recorded_at = timing::recorded_times(&mut rng, &stream, end);
        Ok(child)
    })
}

/// Writes `options.children` journeys to `store`, [`CHILDREN_PER_WRITE`] children per
/// `append_many`, and counts what was written. Stops at the first error; children written
/// before it stay written.
pub async fn generate(store: &dyn EventStore, options: &Options) -> Result<Summary, GenerateError> {
    let mut summary = Summary::default();
    // Build the next batch on a blocking thread while the store writes this one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<GeneratedChild>, GenerateError>>(2);
    let opts = options.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(CHILDREN_PER_WRITE);
        for child in journeys(&opts) {
            match child {
                Ok(c) => batch.push(c),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
            if batch.len() == CHILDREN_PER_WRITE {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(CHILDREN_PER_WRITE));
                if tx.blocking_send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Ok(batch));
        }
    });
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        let ids: Vec<Uuid> = batch.iter().map(|c| c.child_id).collect();
        for c in &batch {
            summary.add(c);
        }
        let results = store
            .append_history(
                batch
                    .into_iter()
                    .map(GeneratedChild::into_history)
                    .collect(),
            )
            .await;
        for (child_id, r) in ids.into_iter().zip(results) {
            r.map_err(|source| GenerateError::Store { child_id, source })?;
        }
        tracing::debug!(
            children = summary.children,
            events = summary.events,
            "generated"
        );
    }
    // The producer has finished once the channel closes; a panic there would be a bug.
    if let Err(e) = producer.await {
        return Err(GenerateError::Stopped(e.to_string()));
    }
    Ok(summary)
}

/// Turns a built journey into events, through the domain: the registration, then every
/// record decided as one batch against the registered child.
fn decide(
    index: usize,
    built: journey::Built,
    framework: &'static Framework,
    now: DateTime<Utc>,
) -> Result<GeneratedChild, GenerateError> {
    let services = Services { framework, now };
    let child_id = built.child_id;
    let shape = |record_type: &str, detail: String| GenerateError::Shape {
        index,
        record_type: record_type.to_owned(),
        detail,
    };
    let refused = |position: usize, record_type: &str, at: DateTime<Utc>, detail: String| {
        GenerateError::Refused {
            index,
            child_id,
            position,
            record_type: record_type.to_owned(),
            occurred_at: at,
            detail,
        }
    };

    let reg = &built.registration;
    let data = reg.data.clone().map_err(|e| shape(reg.kind, e))?;
    let details = ChildDetails::parse(data, "child").map_err(|e| shape(reg.kind, e.to_string()))?;
    let recorded_by = reg.by.person().map_err(|e| shape(reg.kind, e))?;
    let registered = Child::default()
        .decide(
            ChildCommand::Register {
                event_id: reg.event_id,
                occurred_at: reg.at,
                recorded_by,
                details: Box::new(details),
            },
            &services,
        )
        .map_err(|e| refused(0, reg.kind, reg.at, e.to_string()))?;
    let child = Child::from_events(registered.clone());

    let mut inputs = Vec::with_capacity(built.records.len());
    for r in &built.records {
        let data = r.data.clone().map_err(|e| shape(r.kind, e))?;
        let recorded_by = r.by.person().map_err(|e| shape(r.kind, e))?;
        // Posted as JSON, as a client posts it: the record is parsed the way the API parses one.
        let body = json!({
            "type": r.kind,
            "occurred_at": r.at.to_rfc3339(),
            "recorded_by": recorded_by,
            "data": data,
        });
        let input = RecordInput::parse(body).map_err(|e| shape(r.kind, e.to_string()))?;
        inputs.push((r.event_id, input));
    }
    let records = if inputs.is_empty() {
        Vec::new()
    } else {
        child
            .decide(
                ChildCommand::Append {
                    records: inputs,
                    batch: true,
                },
                &services,
            )
            .map_err(|e| {
                // The error names the failing record as `records[i]…`.
                let field = e
                    .errors()
                    .first()
                    .map(|f| f.field.clone())
                    .unwrap_or_default();
                let position = field
                    .strip_prefix("records[")
                    .and_then(|s| s.split(']').next())
                    .and_then(|n| n.parse::<usize>().ok());
                let (kind, at) = position
                    .and_then(|i| built.records.get(i))
                    .map_or(("record", now), |r| (r.kind, r.at));
                let detail = format!(
                    "{} ({})",
                    e,
                    e.errors()
                        .iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                refused(position.map_or(0, |p| p + 1), kind, at, detail)
            })?
    };

    let mut claims = Vec::new();
    let mut events = Vec::with_capacity(1 + records.len());
    for e in registered.iter().chain(records.iter()) {
        match &e.body {
            EventBody::Registered(d) => claims.extend(identity::claims(d.identifiers())),
            EventBody::Record(RecordData::ChildDetailsUpdated(u)) => {
                claims.extend(identity::claims(u.changes.identifiers.as_ref()));
            }
            EventBody::Record(_) => {}
        }
        events.push(new_event(e));
    }
    Ok(GeneratedChild {
        child_id,
        events,
        claims,
        // Filled in by `journeys`, which owns the delays' random draws.
        recorded_at: Vec::new(),
    })
}

/// An event as the store takes it; the agency is the recorder's, with no token (the
/// generator writes as an import does).
fn new_event(e: &ChildEvent) -> NewEvent {
    casework::stored_form(e, e.recorded_by.agency.as_str(), None)
}

#[cfg(test)]
mod tests;
