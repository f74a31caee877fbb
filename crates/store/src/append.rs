//! The parts of an append every backend shares: checking the expected sequence, choosing
//! `recorded_at`, and numbering and chaining the new events.
//!
//! Pure functions only: each backend runs them inside its own transaction, after reading the
//! stream's head under that transaction's lock.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::chain::{self, Hashed};
use crate::{Expected, NewEvent, Sequence, StoreError, StoreErrorKind, StoredEvent};

/// The last event of a stream, as an append needs it.
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub sequence: Sequence,
    pub recorded_at: Option<DateTime<Utc>>,
    pub hash: Option<String>,
}

/// A conflict unless the stream is where the appender expects it.
pub fn check_expected(expected: Expected, actual: Sequence) -> Result<(), StoreError> {
    let ok = match expected {
        Expected::Any => true,
        Expected::NoStream => actual == 0,
        Expected::Exactly(n) => actual == n,
    };
    if ok {
        return Ok(());
    }
    let expected = match expected {
        Expected::Any => "any".to_owned(),
        Expected::NoStream => "no stream".to_owned(),
        Expected::Exactly(n) => n.to_string(),
    };
    Err(StoreError::new(
        StoreErrorKind::Conflict {
            expected: expected.clone(),
            actual,
        },
        format!("the child's record is at sequence {actual}, not {expected}"),
    ))
}

/// The store's clock, never earlier than the stream's previous `recorded_at`, so that
/// "recorded by then" is a prefix of the stream.
pub fn recorded_at(now: DateTime<Utc>, head: &Head) -> DateTime<Utc> {
    let now = chain::truncate_to_micros(now);
    match head.recorded_at {
        Some(last) if last > now => last,
        _ => now,
    }
}

/// Numbers, stamps and chains `events` after `head`. Global positions are left at 0 for the
/// backend to fill in.
pub fn build(
    child_id: Uuid,
    head: &Head,
    recorded_at: DateTime<Utc>,
    events: &[NewEvent],
) -> Vec<StoredEvent> {
    let prepared: Vec<Canonical> = events.iter().map(Canonical::of).collect();
    build_prepared(child_id, head, recorded_at, events, &prepared)
}

/// An event's `data` and `recorded_by` in canonical JSON, made before the event is queued
/// for the writer. The same strings are what the backend stores.
#[derive(Debug, Clone)]
pub struct Canonical {
    pub data: String,
    pub recorded_by: String,
}

impl Canonical {
    pub fn of(e: &NewEvent) -> Canonical {
        Canonical {
            data: chain::canonical_json(&e.data),
            recorded_by: chain::canonical_json(&e.recorded_by),
        }
    }
}

/// [`build`] with the canonical forms already made (`prepared[i]` belongs to `events[i]`).
pub fn build_prepared(
    child_id: Uuid,
    head: &Head,
    recorded_at: DateTime<Utc>,
    events: &[NewEvent],
    prepared: &[Canonical],
) -> Vec<StoredEvent> {
    let mut prev = head
        .hash
        .clone()
        .unwrap_or_else(|| chain::GENESIS.to_owned());
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let mut stored = StoredEvent {
            global_position: 0,
            child_id,
            sequence: head.sequence + i as u64 + 1,
            event_id: e.event_id,
            event_type: e.event_type.clone(),
            event_version: e.event_version,
            occurred_at: chain::truncate_to_micros(e.occurred_at),
            recorded_at,
            recorded_by: e.recorded_by.clone(),
            agency: e.agency.clone(),
            token_id: e.token_id,
            data: e.data.clone(),
            prev_hash: prev.clone(),
            hash: String::new(),
        };
        stored.hash = match prepared.get(i) {
            Some(c) => chain::hash_bytes(
                &prev,
                &chain::canonical_bytes_with(&Hashed::from(&stored), &c.data, &c.recorded_by),
            ),
            None => chain::hash(&prev, &Hashed::from(&stored)),
        };
        prev = stored.hash.clone();
        out.push(stored);
    }
    out
}

/// An append must carry at least one event: an empty one would answer with nothing to point at.
pub fn check_not_empty(events: &[NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(StoreError::new(
            StoreErrorKind::Config,
            "an append needs at least one event",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_sequence_is_checked() {
        assert!(check_expected(Expected::Any, 7).is_ok());
        assert!(check_expected(Expected::NoStream, 0).is_ok());
        assert!(check_expected(Expected::Exactly(7), 7).is_ok());
        let err = check_expected(Expected::Exactly(6), 7).unwrap_err();
        assert_eq!(
            err.kind(),
            &StoreErrorKind::Conflict {
                expected: "6".into(),
                actual: 7
            }
        );
        assert!(check_expected(Expected::NoStream, 1).is_err());
    }

    #[test]
    fn recorded_at_never_goes_backwards() {
        let later = Utc::now() + chrono::Duration::seconds(60);
        let head = Head {
            sequence: 1,
            recorded_at: Some(later),
            hash: None,
        };
        assert_eq!(recorded_at(Utc::now(), &head), later);
    }
}
