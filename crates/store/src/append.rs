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

/// Numbers, stamps and chains `events` after `head`, their canonical forms already made
/// (`prepared[i]` belongs to `events[i]`). Global positions are left at 0 for the backend to
/// fill in.
pub fn build_prepared(
    child_id: Uuid,
    head: &Head,
    recorded_at: DateTime<Utc>,
    events: Vec<NewEvent>,
    prepared: &[Canonical],
) -> Vec<StoredEvent> {
    chain_events(child_id, head, events, prepared, |_| recorded_at)
}

/// An append's events numbered, stamped and chained after `head`, with the `recorded_at` its
/// answer is remembered at: the store's clock `now`, or for history ([`crate::HistoricAppend`])
/// the times `given`, checked by [`history_times`]. `prepared[i]` belongs to `events[i]`.
pub fn stamp(
    child_id: Uuid,
    head: &Head,
    now: DateTime<Utc>,
    events: Vec<NewEvent>,
    prepared: &[Canonical],
    history: Option<&[DateTime<Utc>]>,
) -> Result<(DateTime<Utc>, Vec<StoredEvent>), StoreError> {
    match history {
        None => {
            let at = recorded_at(now, head);
            Ok((at, build_prepared(child_id, head, at, events, prepared)))
        }
        Some(given) => {
            let times = history_times(now, head, &events, given)?;
            let at = times.last().copied().unwrap_or(now);
            Ok((at, build_history(child_id, head, &times, events, prepared)))
        }
    }
}

/// The `recorded_at` of each event of a history append ([`crate::HistoricAppend`]), checked:
/// one time per event, none later than `now` (history is what was recorded, never what will
/// be), none earlier than the stream's last `recorded_at`, and none earlier than the event
/// before it, so that "recorded by then" stays a prefix of the stream as it is for appends
/// stamped by the store's clock.
pub fn history_times(
    now: DateTime<Utc>,
    head: &Head,
    events: &[NewEvent],
    given: &[DateTime<Utc>],
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    let refuse = |i: usize, why: String| {
        StoreError::new(
            StoreErrorKind::Unstorable {
                field: format!("events[{i}].recorded_at"),
            },
            format!("events[{i}].recorded_at: {why}; nothing was written"),
        )
    };
    if given.len() != events.len() {
        return Err(StoreError::new(
            StoreErrorKind::Config,
            format!(
                "a history append needs one recorded_at per event: {} events, {} times",
                events.len(),
                given.len()
            ),
        ));
    }
    let now = chain::truncate_to_micros(now);
    let mut last = head.recorded_at;
    let mut out = Vec::with_capacity(given.len());
    for (i, t) in given.iter().enumerate() {
        let t = chain::truncate_to_micros(*t);
        if t > now {
            return Err(refuse(
                i,
                format!("{t} is in the future (the store's clock reads {now})"),
            ));
        }
        if let Some(before) = last
            && t < before
        {
            return Err(refuse(
                i,
                format!("{t} is earlier than the stream's previous recorded_at {before}"),
            ));
        }
        last = Some(t);
        out.push(t);
    }
    Ok(out)
}

/// [`build_prepared`] with a `recorded_at` per event, as [`history_times`] checked them.
pub fn build_history(
    child_id: Uuid,
    head: &Head,
    recorded_at: &[DateTime<Utc>],
    events: Vec<NewEvent>,
    prepared: &[Canonical],
) -> Vec<StoredEvent> {
    let fallback = recorded_at.last().copied().unwrap_or_default();
    chain_events(child_id, head, events, prepared, |i| {
        recorded_at.get(i).copied().unwrap_or(fallback)
    })
}

/// The events are moved into the stored ones, not copied: on SQLite this runs on the one
/// writer thread, where a copy of each event's JSON tree was work every append waited behind.
fn chain_events(
    child_id: Uuid,
    head: &Head,
    events: Vec<NewEvent>,
    prepared: &[Canonical],
    recorded_at: impl Fn(usize) -> DateTime<Utc>,
) -> Vec<StoredEvent> {
    let mut prev = head
        .hash
        .clone()
        .unwrap_or_else(|| chain::GENESIS.to_owned());
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        let mut stored = StoredEvent {
            global_position: 0,
            child_id,
            sequence: head.sequence + i as u64 + 1,
            event_id: e.event_id,
            event_type: e.event_type,
            event_version: e.event_version,
            occurred_at: chain::truncate_to_micros(e.occurred_at),
            recorded_at: recorded_at(i),
            recorded_by: e.recorded_by,
            agency: e.agency,
            token_id: e.token_id,
            data: e.data,
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

    fn event() -> NewEvent {
        NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "conversation_recorded".into(),
            event_version: 1,
            occurred_at: Utc::now() - chrono::Duration::days(3),
            recorded_by: serde_json::json!({}),
            agency: "school:a".into(),
            token_id: None,
            data: serde_json::json!({}),
        }
    }

    #[test]
    fn history_times_are_refused_in_the_future_or_going_backwards() {
        let now = Utc::now();
        let day = chrono::Duration::days(1);
        let events = [event(), event()];
        let head = Head::default();
        assert!(history_times(now, &head, &events, &[now - day * 2, now - day]).is_ok());
        // One time per event.
        assert!(history_times(now, &head, &events, &[now - day]).is_err());
        // Never in the future.
        let err = history_times(now, &head, &events, &[now - day, now + day]).unwrap_err();
        assert!(err.to_string().contains("events[1].recorded_at"), "{err}");
        // Never backwards within the append, nor before the stream's head.
        assert!(history_times(now, &head, &events, &[now - day, now - day * 2]).is_err());
        let head = Head {
            sequence: 1,
            recorded_at: Some(now - day),
            hash: None,
        };
        assert!(history_times(now, &head, &events, &[now - day * 2, now]).is_err());
    }
}
