//! The raw stream, paged: each event exactly as stored.
//!
//! What it deliberately does not do: apply corrections or leave out retracted events. The raw
//! stream is for systems that keep their own copy, and a copy must hold what the store holds.
//! A `record_corrected` carries `corrects` so a reader can follow it without parsing `data`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use crate::history::RECORD_CORRECTED;

/// `GET /v1/children/{child_id}/events?after=&limit=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEvents {
    pub events: Vec<RawEvent>,
    /// The `after` that asks for the next page; `null` when this page reaches the end of the
    /// events handed in.
    pub next_after: Option<u64>,
}

/// One stored event: the record shape (`event_id`, `sequence`, `type`, `occurred_at`,
/// `recorded_at`, `recorded_by`, `data`) and what the store keeps besides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEvent {
    pub event_id: Uuid,
    pub sequence: u64,
    #[serde(rename = "type")]
    pub record_type: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Value,
    /// As recorded, never corrected.
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
    pub event_version: u32,
    pub agency: String,
    pub token_id: Option<Uuid>,
    pub global_position: u64,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&StoredEvent> for RawEvent {
    fn from(e: &StoredEvent) -> RawEvent {
        let corrects = (e.event_type == RECORD_CORRECTED)
            .then(|| e.data.get("corrects_event_id").and_then(Value::as_str))
            .flatten()
            .and_then(|s| Uuid::parse_str(s).ok());
        RawEvent {
            event_id: e.event_id,
            sequence: e.sequence,
            record_type: e.event_type.clone(),
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            recorded_by: e.recorded_by.clone(),
            data: e.data.clone(),
            corrects,
            event_version: e.event_version,
            agency: e.agency.clone(),
            token_id: e.token_id,
            global_position: e.global_position,
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

/// The events with `sequence > after`, at most `limit` of them (at least one: a page of
/// none would never move on), in sequence order.
///
/// `next_after` is set when events beyond the page were handed in, so a caller that reads
/// `limit + 1` events from the store after `after` learns whether there is more without a
/// second read.
pub fn raw_events(events: &[StoredEvent], after: u64, limit: usize) -> RawEvents {
    let mut later: Vec<&StoredEvent> = events.iter().filter(|e| e.sequence > after).collect();
    later.sort_by_key(|e| e.sequence);
    let limit = limit.max(1);
    let more = later.len() > limit;
    later.truncate(limit);
    let next_after = if more {
        later.last().map(|e| e.sequence)
    } else {
        None
    };
    RawEvents {
        events: later.into_iter().map(RawEvent::from).collect(),
        next_after,
    }
}
