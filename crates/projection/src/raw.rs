//! The raw stream, paged: each event exactly as stored.
//!
//! What it deliberately does not do: apply corrections or leave out retracted events. The raw
//! stream is for systems that keep their own copy, and a copy must hold what the store holds.
//! A `record_corrected` carries `corrects` so a reader can follow it without parsing `data`.

use serde::{Deserialize, Serialize};
use store::StoredEvent;
use uuid::Uuid;

use crate::record::Record;

/// `GET /v1/children/{child_id}/events?after=&limit=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEvents<'a> {
    pub events: Vec<RawEvent<'a>>,
    /// The `after` that asks for the next page; `null` when this page reaches the end of the
    /// events handed in.
    pub next_after: Option<u64>,
}

/// One stored event: the record shape every view shares ([`Record`], as recorded, never
/// corrected) and what the store keeps besides. The record's fields are the record's own, so a
/// field added to the record shape appears here too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawEvent<'a> {
    #[serde(flatten)]
    pub record: Record<'a>,
    pub event_version: u32,
    pub agency: String,
    pub token_id: Option<Uuid>,
    pub global_position: u64,
    pub prev_hash: String,
    pub hash: String,
}

impl<'a> From<&'a StoredEvent> for RawEvent<'a> {
    fn from(e: &'a StoredEvent) -> RawEvent<'a> {
        RawEvent {
            record: Record::as_recorded(e),
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
pub fn raw_events(events: &[StoredEvent], after: u64, limit: usize) -> RawEvents<'_> {
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
