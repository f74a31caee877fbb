//! The record shape every view shares, and the time filter of the journey.
//!
//! A record is one event as a reader sees it: `{ event_id, sequence, type, occurred_at,
//! recorded_at, recorded_by, data }` (docs/CONTRACT.md, "Shapes of answers"), with the links a
//! correction adds. These names are parsed by other teams: add fields, never rename.
//!
//! What it deliberately does not do: interpret `data`. It stays JSON as recorded (or as
//! corrected), so a record of an older shape is shown as it was written.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use crate::history::RECORD_CORRECTED;

/// One record as the journey, the consent ledger and the raw stream show it.
///
/// It borrows the stored event's JSON where it can (`Cow`): a journey of 1,000 records is
/// written out from the events as read, not from a deep copy of each (which profiling showed
/// to be most of a long child's journey).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<'a> {
    pub event_id: Uuid,
    pub sequence: u64,
    /// The record type, e.g. `referral_made`.
    #[serde(rename = "type")]
    pub record_type: Cow<'a, str>,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The person who recorded it: `{ name, role, agency }`.
    pub recorded_by: Cow<'a, Value>,
    /// The data as it now reads: the latest correction's `corrected_data` on a corrected
    /// record, else as recorded.
    pub data: Cow<'a, Value>,
    /// On a `record_corrected`: the event it corrects or retracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
    /// On a corrected record: the corrections whose data applies, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrected_by: Vec<Uuid>,
    /// On a corrected record: the data as first recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_data: Option<Cow<'a, Value>>,
}

impl<'a> Record<'a> {
    /// A stored event as recorded, whatever corrected it since (the raw stream's view). A
    /// `record_corrected` carries `corrects`, so a reader can follow it without parsing `data`.
    pub fn as_recorded(e: &'a StoredEvent) -> Record<'a> {
        let corrects = (e.event_type == RECORD_CORRECTED)
            .then(|| e.data.get("corrects_event_id").and_then(Value::as_str))
            .flatten()
            .and_then(|s| Uuid::parse_str(s).ok());
        Record {
            event_id: e.event_id,
            sequence: e.sequence,
            record_type: Cow::Borrowed(e.event_type.as_str()),
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            recorded_by: Cow::Borrowed(&e.recorded_by),
            data: Cow::Borrowed(&e.data),
            corrects,
            corrected_by: Vec::new(),
            original_data: None,
        }
    }

    /// The record with its own copy of everything it borrowed, to outlive the events.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            record_type: Cow::Owned(self.record_type.into_owned()),
            recorded_by: Cow::Owned(self.recorded_by.into_owned()),
            data: Cow::Owned(self.data.into_owned()),
            original_data: self.original_data.map(|d| Cow::Owned(d.into_owned())),
            ..self
        }
    }
}

/// Which events a time-travelling view may see. Both bounds are inclusive and combine: an
/// event passes when it had occurred by `as_of` and had been recorded by `known_at`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFilter {
    /// The journey as it stood at this time: events with `occurred_at <= as_of`.
    pub as_of: Option<DateTime<Utc>>,
    /// Only what had been recorded by this time: events with `recorded_at <= known_at`.
    pub known_at: Option<DateTime<Utc>>,
}

impl TimeFilter {
    /// No filter: everything recorded.
    pub const NONE: TimeFilter = TimeFilter {
        as_of: None,
        known_at: None,
    };

    /// Whether `event` passes. A correction or retraction is an event like any other: one
    /// that does not pass does not correct or retract.
    pub fn admits(&self, event: &StoredEvent) -> bool {
        self.as_of.is_none_or(|t| event.occurred_at <= t)
            && self.known_at.is_none_or(|t| event.recorded_at <= t)
    }
}
