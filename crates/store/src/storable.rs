//! What every backend can keep and give back, checked before anything is written; and how an
//! event row that can no longer be read back (written by an older version, or altered) is
//! named instead of failing every read that passes over it.
//!
//! The rules are the intersection of the backends: times within the years 0001 to 9999 (the
//! RFC 3339 form SQLite stores and the hash chain covers has four-digit years; PostgreSQL
//! would keep a BC date, but no other store could import it), and no NUL character in any
//! string (PostgreSQL's `text` and `jsonb` cannot hold one, and refused it as a failed
//! statement, which callers read as "store unavailable" and retried forever).
//!
//! This module does not decide what a record may say; the domain does. It only refuses what
//! a store would corrupt or could not read back.

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::{AppendRequest, BrokenLink, Sequence, StoreError, StoreErrorKind, StoredEvent};

/// The first and last year every backend can store and read back.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

fn unstorable(field: String, why: String) -> StoreError {
    StoreError::new(
        StoreErrorKind::Unstorable {
            field: field.clone(),
        },
        format!("{field}: {why}; nothing was written"),
    )
}

fn check_time(t: DateTime<Utc>, field: impl Fn() -> String) -> Result<(), StoreError> {
    if YEARS.contains(&t.year()) {
        return Ok(());
    }
    Err(unstorable(
        field(),
        format!(
            "the time {t} is outside the years {:04} to {:04} that every store can keep",
            YEARS.start(),
            YEARS.end()
        ),
    ))
}

fn check_text(s: &str, field: impl Fn() -> String) -> Result<(), StoreError> {
    if !s.contains('\0') {
        return Ok(());
    }
    Err(unstorable(
        field(),
        "contains a NUL character (\\u0000), which a store cannot keep".to_owned(),
    ))
}

/// Where a value is inside a field (`data.items[2]`), written out only for an error: checking
/// is on every append's path, and a path formatted for every key was an allocation each.
#[derive(Clone, Copy)]
enum At<'a> {
    Field(&'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Field(name) => f.write_str(name),
            At::Key(parent, k) => write!(f, "{parent}.{k}"),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Every string in `v`, keys included, at its path (`data.notes`, `data.items[2]`).
fn check_json(v: &Value, path: &str) -> Result<(), StoreError> {
    check_json_at(v, At::Field(path))
}

fn check_json_at(v: &Value, at: At<'_>) -> Result<(), StoreError> {
    match v {
        Value::String(s) => check_text(s, || at.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_json_at(item, At::Index(&at, i))),
        Value::Object(map) => map.iter().try_for_each(|(k, item)| {
            check_text(k, || format!("{at} (a key)"))?;
            check_json_at(item, At::Key(&at, k))
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// The field name a client knows, with the event's index when the append carries several.
fn field(index: Option<usize>, name: &str) -> String {
    match index {
        Some(i) => format!("events[{i}].{name}"),
        None => name.to_owned(),
    }
}

/// Refuses an append holding anything a backend could not keep or read back, naming the field.
pub(crate) fn check_append(req: &AppendRequest) -> Result<(), StoreError> {
    let several = req.events.len() > 1;
    for (i, e) in req.events.iter().enumerate() {
        let at = several.then_some(i);
        check_time(e.occurred_at, || field(at, "occurred_at"))?;
        check_text(&e.event_type, || field(at, "event_type"))?;
        check_text(&e.agency, || field(at, "agency"))?;
        check_json(&e.recorded_by, &field(at, "recorded_by"))?;
        check_json(&e.data, &field(at, "data"))?;
    }
    if let Some(key) = &req.idempotency {
        check_text(&key.key, || "Idempotency-Key".to_owned())?;
        check_text(&key.agency, || "agency".to_owned())?;
        check_text(&key.request_hash, || "request_hash".to_owned())?;
    }
    for claim in &req.claims {
        check_text(&claim.value, || claim.kind.clone())?;
        check_text(&claim.kind, || "identifier kind".to_owned())?;
    }
    Ok(())
}

/// Refuses an imported event holding anything a backend could not keep or read back.
pub(crate) fn check_imported(e: &StoredEvent) -> Result<(), StoreError> {
    let name = |f: &str| format!("event {} {f}", e.event_id);
    check_time(e.occurred_at, || name("occurred_at"))?;
    check_time(e.recorded_at, || name("recorded_at"))?;
    for (f, s) in [
        ("event_type", &e.event_type),
        ("agency", &e.agency),
        ("prev_hash", &e.prev_hash),
        ("hash", &e.hash),
    ] {
        check_text(s, || name(f))?;
    }
    check_json(&e.recorded_by, &name("recorded_by"))?;
    check_json(&e.data, &name("data"))
}

/// An event row the store holds but cannot read back, named as far as its row allows.
///
/// Reads pass over it (logging it once per read) so one bad row does not make a child's
/// record, the export or the read models fail as a whole; `verify` reports it as that child's
/// broken link. What it cannot be is served: the store has no value to give for the field.
#[derive(Debug, Clone)]
pub(crate) struct Unreadable {
    pub child_id: Option<Uuid>,
    pub sequence: Option<Sequence>,
    pub event_id: Option<Uuid>,
    pub problem: String,
}

impl Unreadable {
    /// Logs that a read passed over this row.
    pub(crate) fn log(&self) {
        tracing::error!(
            child_id = ?self.child_id,
            sequence = ?self.sequence,
            event_id = ?self.event_id,
            "an event cannot be read back and was left out of the answer: {}; `caseline verify` names it",
            self.problem
        );
        metrics::counter!("caseline_unreadable_events_total").increment(1);
    }

    fn broken(&self, child_id: Uuid) -> BrokenLink {
        BrokenLink {
            child_id,
            sequence: self.sequence.unwrap_or(0),
            event_id: self.event_id,
            problem: format!("unreadable: {}", self.problem),
        }
    }
}

/// Adds one child's rows to `report`: each counts as an event, readable or not, and the
/// child's first broken link (see [`first_broken`]) is named. Every backend's `verify` calls
/// this, so they count and report alike.
pub(crate) fn verify_child(
    report: &mut crate::Verification,
    child_id: Uuid,
    events: &[StoredEvent],
    unreadable: &[Unreadable],
) {
    report.children += 1;
    report.events += (events.len() + unreadable.len()) as u64;
    if let Some(b) = first_broken(child_id, events, unreadable) {
        report.broken.push(b);
    }
}

/// The first broken link in one child's chain: the earlier of what the chain of its readable
/// events shows and its first unreadable row. At the same sequence the unreadable row is the
/// better description (the chain only sees a missing event there).
fn first_broken(
    child_id: Uuid,
    events: &[StoredEvent],
    unreadable: &[Unreadable],
) -> Option<BrokenLink> {
    let chain = crate::chain::verify_chain(child_id, events);
    let bad = unreadable
        .iter()
        .min_by_key(|u| u.sequence.unwrap_or(0))
        .map(|u| u.broken(child_id));
    match (chain, bad) {
        (Some(c), Some(b)) if c.sequence < b.sequence => Some(c),
        (_, Some(b)) => Some(b),
        (c, None) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Expected, IdempotencyKey, NewEvent};
    use chrono::TimeZone;
    use serde_json::json;

    fn event() -> NewEvent {
        NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "conversation_recorded".into(),
            event_version: 1,
            occurred_at: Utc::now(),
            recorded_by: json!({ "name": "A", "role": "dsl", "agency": "school:a" }),
            agency: "school:a".into(),
            token_id: None,
            data: json!({ "notes": "fine", "items": ["a", { "b": "c" }] }),
        }
    }

    fn request(events: Vec<NewEvent>) -> AppendRequest {
        AppendRequest {
            child_id: Uuid::new_v4(),
            expected: Expected::Any,
            events,
            idempotency: None,
            claims: vec![],
        }
    }

    fn check(given: AppendRequest, then_field: Option<&str>) {
        match (check_append(&given), then_field) {
            (Ok(()), None) => {}
            (Err(e), Some(f)) => assert_eq!(
                e.kind(),
                &StoreErrorKind::Unstorable { field: f.into() },
                "{e}"
            ),
            (got, want) => panic!("expected {want:?}, got {got:?}"),
        }
    }

    #[test]
    fn times_within_the_years_every_store_keeps_pass() {
        let mut e = event();
        e.occurred_at = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap();
        check(request(vec![e.clone()]), None);
        e.occurred_at = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        check(request(vec![e]), None);
    }

    #[test]
    fn times_outside_them_are_refused_by_field() {
        let mut e = event();
        e.occurred_at = Utc.with_ymd_and_hms(0, 12, 31, 0, 0, 0).unwrap();
        check(request(vec![e.clone()]), Some("occurred_at"));
        e.occurred_at = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
        check(request(vec![event(), e]), Some("events[1].occurred_at"));
    }

    #[test]
    fn a_nul_anywhere_in_a_string_is_refused_by_path() {
        let mut e = event();
        e.data = json!({ "items": ["a", { "b": "c\u{0}d" }] });
        check(request(vec![e.clone()]), Some("data.items[1].b"));
        e.data = json!({ "k\u{0}": 1 });
        check(request(vec![e.clone()]), Some("data (a key)"));
        e.data = json!({});
        e.recorded_by = json!({ "name": "\u{0}" });
        check(request(vec![e]), Some("recorded_by.name"));
        let mut keyed = request(vec![event()]);
        keyed.idempotency = Some(IdempotencyKey {
            agency: "school:a".into(),
            key: "k\u{0}".into(),
            request_hash: "h".into(),
        });
        check(keyed, Some("Idempotency-Key"));
    }

    #[test]
    fn an_unreadable_row_is_the_broken_link_unless_the_chain_breaks_earlier() {
        let child = Uuid::new_v4();
        let bad = Unreadable {
            child_id: Some(child),
            sequence: Some(2),
            event_id: None,
            problem: "occurred_at \"-0001-01-01T00:00:00Z\" is not a time".into(),
        };
        let b = first_broken(child, &[], std::slice::from_ref(&bad)).unwrap();
        assert_eq!(b.sequence, 2);
        assert!(b.problem.contains("-0001-01-01"), "{}", b.problem);
        assert!(first_broken(child, &[], &[]).is_none());
    }
}
