//! The consent and information-sharing ledger: each consent by its `consent_id` with its
//! purpose, its status now and every record about it, and every decision to share or to
//! withhold information.
//!
//! Corrections apply (a consent record whose `consent_id` was corrected moves to the
//! corrected consent) and retracted records are left out, as in the journey. Order is
//! `sequence` order: a consent's status is the latest record about it as recorded, which is
//! also the order the rules were checked in (a withdrawal can only follow a recorded
//! consent).
//!
//! What it deliberately does not do: judge whether a consent was valid for what it was used
//! for (the domain does that when a record is appended), or filter by time.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use crate::history::History;
use crate::record::Record;

/// `GET /v1/children/{child_id}/consent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentLedger<'a> {
    pub child_id: Uuid,
    /// In the order each consent was first recorded.
    pub consents: Vec<Consent<'a>>,
    /// `information_shared` and `information_withheld` records, in `sequence` order.
    pub information_sharing: Vec<Record<'a>>,
}

/// One consent: `{ consent_id, purpose, status, history }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consent<'a> {
    /// As recorded; a UUID in every record this server accepted.
    pub consent_id: String,
    /// From `consent_sought` or `consent_dispensed_with`; `null` if neither is on record.
    pub purpose: Option<String>,
    pub status: ConsentStatus,
    /// Every standing record about this consent, in `sequence` order.
    pub history: Vec<Record<'a>>,
}

/// The latest of sought / given / refused / withdrawn / dispensed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Sought,
    Given,
    Refused,
    Withdrawn,
    /// `consent_dispensed_with`: not sought, with the grounds recorded.
    Dispensed,
}

impl ConsentStatus {
    /// The status a record of this type leaves its consent in; `None` for other types.
    pub fn after(record_type: &str) -> Option<ConsentStatus> {
        Some(match record_type {
            "consent_sought" => ConsentStatus::Sought,
            "consent_given" => ConsentStatus::Given,
            "consent_refused" => ConsentStatus::Refused,
            "consent_withdrawn" => ConsentStatus::Withdrawn,
            "consent_dispensed_with" => ConsentStatus::Dispensed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Sought => "sought",
            ConsentStatus::Given => "given",
            ConsentStatus::Refused => "refused",
            ConsentStatus::Withdrawn => "withdrawn",
            ConsentStatus::Dispensed => "dispensed",
        }
    }
}

/// The ledger of one child's events (in any order).
pub fn consent_ledger(events: &[StoredEvent]) -> ConsentLedger<'_> {
    let child_id = events.first().map(|e| e.child_id).unwrap_or_default();
    let history = History::resolve(events);

    let mut consents: Vec<Consent<'_>> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut information_sharing = Vec::new();

    for entry in history.standing() {
        let record_type = entry.record_type();
        if matches!(record_type, "information_shared" | "information_withheld") {
            information_sharing.push(entry.record());
            continue;
        }
        let Some(status) = ConsentStatus::after(record_type) else {
            continue;
        };
        // A consent record without a readable id cannot be put with the others; it stays
        // in the journey and the audit.
        let Some(consent_id) = entry.data().get("consent_id").and_then(Value::as_str) else {
            continue;
        };
        let consent_id = canonical_id(consent_id);
        let purpose = entry
            .data()
            .get("purpose")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let i = *by_id.entry(consent_id.clone()).or_insert_with(|| {
            consents.push(Consent {
                consent_id,
                purpose: None,
                status,
                history: Vec::new(),
            });
            consents.len() - 1
        });
        let consent = &mut consents[i];
        consent.status = status;
        if purpose.is_some() {
            consent.purpose = purpose;
        }
        consent.history.push(entry.record());
    }

    ConsentLedger {
        child_id,
        consents,
        information_sharing,
    }
}

/// The same UUID may be written in upper or lower case; group by one spelling.
fn canonical_id(id: &str) -> String {
    Uuid::parse_str(id).map_or_else(|_| id.to_owned(), |u| u.to_string())
}
