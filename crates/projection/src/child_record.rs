//! One child's record as the domain reads it: the typed events (through the domain's
//! upcasters) and what the store adds to each (sequence, `recorded_at`, the recording token's
//! agency). The cross-child read model derives its facts from this, never from stored JSON, so
//! corrections and retractions are resolved once, by the domain ([`domain::child::standing`],
//! what [`domain::child::Child::standing`] is made of), for the case, the rules and the read
//! model alike.
//!
//! It grows event by event: a child appended to is extended with its new events only.
//!
//! An event that cannot be read (a type or shape this build does not know) is left out and
//! named in the log; everything after it is still read. The store's own checks keep events
//! this build wrote readable, so this is for data written by other versions.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::child::{ChildEvent, Standing};
use domain::record::RecordData;
use serde_json::Value;
use store::{GlobalPosition, StoredEvent, StoredText};
use uuid::Uuid;

use crate::record::Record;

/// What the store adds to an event the domain read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub sequence: u64,
    pub recorded_at: DateTime<Utc>,
    /// The agency of the token that recorded it. Shared: a child's record holds it once per
    /// event (copying the text for each was a twentieth of the server's CPU under load).
    pub agency: Arc<str>,
}

/// One child's typed record, up to `sequence`.
#[derive(Debug, Clone, Default)]
pub struct ChildRecord {
    child_id: Uuid,
    /// The domain's events, without the domain's fold of them ([`domain::child::Child`]): the
    /// read model reads what stands of each event ([`domain::child::standing`]) and never the
    /// case's state, so folding every event into that state was work for nothing (about a
    /// sixth of the read model's follower under load, docs/BENCHMARKS.md, sixteenth round).
    history: Vec<ChildEvent>,
    /// One entry per event of `history`, at the same index.
    stored: Vec<Stored>,
    /// The last stored event seen, readable or not.
    sequence: u64,
    position: GlobalPosition,
}

/// One event as it stands, with what the store added.
pub(crate) struct Entry<'a> {
    pub event: &'a ChildEvent,
    pub stored: &'a Stored,
}

impl ChildRecord {
    pub fn new(child_id: Uuid) -> ChildRecord {
        ChildRecord {
            child_id,
            ..ChildRecord::default()
        }
    }

    /// A child's events (any order; duplicates of a sequence keep the first).
    pub fn of(child_id: Uuid, events: &[&StoredEvent]) -> ChildRecord {
        let mut events = events.to_vec();
        events.sort_by_key(|e| e.sequence);
        events.dedup_by_key(|e| e.sequence);
        let mut record = ChildRecord::new(child_id);
        for e in events {
            record.push(e);
        }
        record
    }

    pub fn child_id(&self) -> Uuid {
        self.child_id
    }

    /// The sequence of the last event pushed (0 for none).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The global position of the last event pushed.
    pub fn position(&self) -> GlobalPosition {
        self.position
    }

    /// The domain's events, in sequence order (unreadable ones left out).
    pub(crate) fn history(&self) -> &[ChildEvent] {
        &self.history
    }

    /// How many events the domain holds (for the follower's memory budget).
    pub fn len(&self) -> usize {
        self.stored.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// Adds the next stored event of this child. An event at or before the last one pushed
    /// is ignored (a page delivered twice does no harm).
    pub fn push(&mut self, e: &StoredEvent) {
        if e.sequence > self.sequence {
            self.push_owned(e.clone());
        }
    }

    /// [`ChildRecord::push`] for an event the caller no longer needs: its data is moved into
    /// the domain's event rather than copied.
    pub fn push_owned(&mut self, e: StoredEvent) {
        if e.sequence <= self.sequence {
            return;
        }
        let event = ChildEvent::from_stored(
            e.event_id,
            &e.event_type,
            e.event_version,
            e.occurred_at,
            e.recorded_by,
            e.data,
        );
        self.add(
            e.child_id,
            e.sequence,
            e.global_position,
            e.recorded_at,
            &e.agency,
            event,
        );
    }

    /// [`ChildRecord::push`] for an event this process appended, as the domain decided it (no
    /// JSON to parse), with what the store added to it.
    pub(crate) fn push_decided(
        &mut self,
        sequence: u64,
        position: GlobalPosition,
        recorded_at: DateTime<Utc>,
        agency: &str,
        event: ChildEvent,
    ) {
        if sequence <= self.sequence {
            return;
        }
        let child_id = self.child_id;
        self.add(child_id, sequence, position, recorded_at, agency, Ok(event));
    }

    /// [`ChildRecord::push`] for an event read as text ([`store::StoredText`], a rebuild's
    /// scan): its JSON is parsed once, straight into the domain's types.
    pub fn push_text(&mut self, e: &StoredText) {
        if e.sequence <= self.sequence {
            return;
        }
        let event = ChildEvent::from_stored_text(
            e.event_id,
            &e.event_type,
            e.event_version,
            e.occurred_at,
            &e.recorded_by,
            &e.data,
        );
        self.add(
            e.child_id,
            e.sequence,
            e.global_position,
            e.recorded_at,
            &e.agency,
            event,
        );
    }

    /// Folds the next event, or names in the log one the domain cannot read.
    fn add(
        &mut self,
        child_id: Uuid,
        sequence: u64,
        position: GlobalPosition,
        recorded_at: DateTime<Utc>,
        agency: &str,
        event: Result<ChildEvent, domain::child::UnreadableEvent>,
    ) {
        self.sequence = sequence;
        self.position = self.position.max(position);
        match event {
            Ok(event) => {
                self.history.push(event);
                // Shared with the event before when the same agency recorded it, as it mostly
                // is: no allocation an event.
                let agency = match self.stored.last() {
                    Some(last) if *last.agency == *agency => last.agency.clone(),
                    _ => Arc::from(agency),
                };
                self.stored.push(Stored {
                    sequence,
                    recorded_at,
                    agency,
                });
            }
            Err(unreadable) => {
                tracing::warn!(child = %child_id, sequence, error = %unreadable,
                    "an event the read model cannot read is left out of it");
            }
        }
    }

    /// Every event as it stands after every correction (retracted ones as
    /// [`Standing::Retracted`]), with what the store added, in sequence order.
    pub(crate) fn standing(&self) -> Vec<(Standing<'_>, &Stored)> {
        domain::child::standing(&self.history)
            .into_iter()
            .zip(&self.stored)
            .collect()
    }

    /// The events that stand (not retracted), in sequence order.
    pub(crate) fn entries<'a>(standing: &'a [(Standing<'a>, &'a Stored)]) -> Vec<Entry<'a>> {
        standing
            .iter()
            .filter_map(|(s, stored)| s.event().map(|event| Entry { event, stored }))
            .collect()
    }

    /// The events from `index` of [`ChildRecord::history`] on, as recorded: what stands of
    /// them when no correction names them (the caller's to know).
    pub(crate) fn entries_from(&self, index: usize) -> impl Iterator<Item = Entry<'_>> {
        self.history()
            .get(index..)
            .unwrap_or_default()
            .iter()
            .zip(self.stored.get(index..).unwrap_or_default())
            .map(|(event, stored)| Entry { event, stored })
    }

    /// The shared record shape of the event at `index` of [`ChildRecord::standing`], with its
    /// correction links, as the journey shows it.
    pub(crate) fn record_at(
        &self,
        standing: &[(Standing<'_>, &Stored)],
        index: usize,
    ) -> Option<Record<'static>> {
        let (s, stored) = standing.get(index)?;
        let original = self.history.get(index)?;
        let event = s.event().unwrap_or(original);
        let corrected_by: Vec<Uuid> = if s.is_corrected() {
            self.history
                .iter()
                .filter_map(|e| match &e.body {
                    domain::child::EventBody::Record(RecordData::RecordCorrected(c))
                        if c.corrects_event_id == original.event_id && c.retract != Some(true) =>
                    {
                        Some(e.event_id)
                    }
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        let corrects = match &event.body {
            domain::child::EventBody::Record(RecordData::RecordCorrected(c)) => {
                Some(c.corrects_event_id)
            }
            _ => None,
        };
        Some(Record {
            event_id: event.event_id,
            sequence: stored.sequence,
            record_type: Cow::Borrowed(event.event_type()),
            occurred_at: event.occurred_at,
            recorded_at: stored.recorded_at,
            recorded_by: Cow::Owned(
                serde_json::to_value(&event.recorded_by).unwrap_or(Value::Null),
            ),
            data: Cow::Owned(event.data_json()),
            corrects,
            original_data: (!corrected_by.is_empty()).then(|| Cow::Owned(original.data_json())),
            corrected_by,
        })
    }
}

/// A code or enum value as the text it is stored as (`"1A"`, `"no_further_action"`).
pub(crate) fn code<T: serde::Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => Some(s),
        _ => None,
    }
}
