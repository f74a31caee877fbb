//! The audit: every record ever appended to a child's stream, with who recorded it through
//! which token, corrections and retractions linked both ways, and every read of the child's
//! data.
//!
//! Unlike the journey, nothing is left out and nothing is filtered by time: a retracted
//! record is here with `retracted: true` and `retracted_by`, a retracted correction is here
//! and no longer corrects. Records are in `sequence` order, the order they were recorded in,
//! because that is the question an auditor asks ("what did we know when?").
//!
//! What it deliberately does not do: decide who may see the audit (the API does), or verify
//! the hash chain (the store does; the hashes are shown so a reader can check them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use store::{ReadLogEntry, StoredEvent};
use uuid::Uuid;

use crate::history::History;
use crate::record::Record;

/// `GET /v1/children/{child_id}/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit<'a> {
    pub child_id: Uuid,
    /// Every record, retracted or not, in `sequence` order.
    pub records: Vec<AuditRecord<'a>>,
    /// Every read of this child's data, oldest first.
    pub reads: Vec<Read>,
}

/// A record with who appended it and what later records say about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord<'a> {
    /// The shared record shape: `data` as it now reads, `corrected_by` the corrections that
    /// count, `original_data` as first recorded, `corrects` on a correction.
    #[serde(flatten)]
    pub record: Record<'a>,
    /// The token that appended it; `null` for history imported or written by the command
    /// line.
    pub token_id: Option<Uuid>,
    /// The agency of that token.
    pub agency: String,
    /// The version of the record type's schema the data was written in.
    pub event_version: u32,
    /// Whether a retraction that still counts takes this record out of the journey.
    pub retracted: bool,
    /// That retraction.
    pub retracted_by: Option<Uuid>,
    /// The hash chain link, for a reader who wants to check it.
    pub prev_hash: String,
    pub hash: String,
}

/// One logged read: `{ at, token_id, agency, role, what }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    pub at: DateTime<Utc>,
    pub token_id: Option<Uuid>,
    pub agency: String,
    pub role: String,
    /// What was read, e.g. `journey?as_of=…`.
    pub what: String,
}

/// The audit of one child's events (in any order) and the reads of its data.
///
/// `child_id` is that of the first event, else of the first read, else nil.
pub fn audit<'a>(events: &'a [StoredEvent], reads: &[ReadLogEntry]) -> Audit<'a> {
    let child_id = events
        .first()
        .map(|e| e.child_id)
        .or_else(|| reads.first().map(|r| r.child_id))
        .unwrap_or_default();
    let history = History::resolve(events);

    let records = history
        .all()
        .map(|entry| AuditRecord {
            record: entry.record(),
            token_id: entry.event.token_id,
            agency: entry.event.agency.clone(),
            event_version: entry.event.event_version,
            retracted: entry.is_retracted(),
            retracted_by: entry.retracted_by,
            prev_hash: entry.event.prev_hash.clone(),
            hash: entry.event.hash.clone(),
        })
        .collect();

    let mut reads: Vec<Read> = reads
        .iter()
        .map(|r| Read {
            at: r.at,
            token_id: r.token_id,
            agency: r.agency.clone(),
            role: r.role.clone(),
            what: r.what.clone(),
        })
        .collect();
    // The store hands reads oldest first; a stable sort keeps that promise if it is broken.
    reads.sort_by_key(|r| r.at);

    Audit {
        child_id,
        records,
        reads,
    }
}
