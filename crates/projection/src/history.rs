//! One child's history with its corrections and retractions resolved: the common ground of
//! every view in this crate.
//!
//! A `record_corrected` event never changes the event it points at; it is a later record
//! that says "read that one differently" (`corrected_data`) or "that one should not be here"
//! (`retract: true`). This module works out, for one set of events, which events are
//! retracted, which corrections count, and what each event's data now reads. The views then
//! only decide what to show.
//!
//! What it deliberately does not do: filter by time (the caller hands in the events that
//! pass its filter, so a correction that is not yet known does not count), parse record
//! types beyond the few fields of `record_corrected`, or reject anything. Stored data may be
//! of an old shape; a correction that cannot be read is kept as a record and has no effect.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use crate::record::Record;

/// The record type that corrects or retracts another record.
pub(crate) const RECORD_CORRECTED: &str = "record_corrected";

/// What a `record_corrected` event says, read from its data as recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Effect<'a> {
    /// `retract: true`: the target leaves the journey (and stays in the audit).
    Retract,
    /// `corrected_data`: the target now reads this.
    Replace(&'a Value),
    /// A correction with neither (or an unreadable one): shown, linked, without effect.
    Nothing,
}

/// One event and what the rest of the history says about it.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub event: &'a StoredEvent,
    /// For a `record_corrected`: the event it points at, if its data names one.
    pub corrects: Option<Uuid>,
    effect: Effect<'a>,
    /// Corrections whose `corrected_data` applies to this event, oldest first.
    pub corrected_by: Vec<Uuid>,
    /// The first retraction that counts against this event.
    pub retracted_by: Option<Uuid>,
    /// The data as it now reads; see [`Entry::data`].
    current: &'a Value,
}

impl<'a> Entry<'a> {
    pub(crate) fn is_retracted(&self) -> bool {
        self.retracted_by.is_some()
    }

    pub(crate) fn record_type(&self) -> &'a str {
        self.event.event_type.as_str()
    }

    /// The data as it now reads: that of the latest correction that counts, else as recorded.
    pub(crate) fn data(&self) -> &'a Value {
        self.current
    }

    /// The record shape every view shares, with the correction links filled in.
    pub(crate) fn record(&self) -> Record<'a> {
        let corrected = !self.corrected_by.is_empty();
        Record {
            event_id: self.event.event_id,
            sequence: self.event.sequence,
            record_type: Cow::Borrowed(self.event.event_type.as_str()),
            occurred_at: self.event.occurred_at,
            recorded_at: self.event.recorded_at,
            recorded_by: Cow::Borrowed(&self.event.recorded_by),
            data: Cow::Borrowed(self.data()),
            corrects: self.corrects,
            corrected_by: self.corrected_by.clone(),
            original_data: corrected.then_some(Cow::Borrowed(&self.event.data)),
        }
    }

    fn new(event: &'a StoredEvent) -> Entry<'a> {
        let (corrects, effect) = read_correction(event);
        Entry {
            event,
            corrects,
            effect,
            corrected_by: Vec::new(),
            retracted_by: None,
            current: &event.data,
        }
    }
}

/// A child's events in sequence order, corrections and retractions resolved.
#[derive(Debug, Clone)]
pub(crate) struct History<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> History<'a> {
    /// Resolves the given events. They need not be sorted; duplicates of an event id (which
    /// the store never produces) keep the first by sequence.
    pub(crate) fn resolve<I>(events: I) -> History<'a>
    where
        I: IntoIterator<Item = &'a StoredEvent>,
    {
        let mut events: Vec<&StoredEvent> = events.into_iter().collect();
        events.sort_by_key(|e| e.sequence);
        let mut seen = std::collections::HashSet::new();
        events.retain(|e| seen.insert(e.event_id));

        let mut entries: Vec<Entry<'a>> = events.into_iter().map(Entry::new).collect();
        let index: HashMap<Uuid, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.event.event_id, i))
            .collect();

        // A correction only ever points backwards: the store refuses one that names an
        // unknown record, so its target has a lower sequence. One that points forwards (or at
        // itself) comes from data we cannot trust and is ignored.
        let target_of = |i: usize, entries: &[Entry<'a>]| -> Option<usize> {
            let target = entries[i].corrects?;
            index.get(&target).copied().filter(|&t| t < i)
        };

        // Retractions first, newest to oldest: whether a retraction counts depends only on
        // later retractions (those pointing at it), which are all decided by the time we
        // reach it. So a retracted retraction restores its target, and a retracted
        // correction no longer corrects.
        for i in (0..entries.len()).rev() {
            if entries[i].is_retracted() || entries[i].effect != Effect::Retract {
                continue;
            }
            if let Some(t) = target_of(i, &entries) {
                // Walking backwards, the last one set is the earliest retraction.
                entries[t].retracted_by = Some(entries[i].event.event_id);
            }
        }

        // Then data corrections that still count, oldest to newest, so the latest wins.
        // A correction of a correction's data is not applied: a correction is undone by
        // retracting it, and letting corrections rewrite corrections would make what a
        // record reads depend on a chain no reader could follow.
        for i in 0..entries.len() {
            if entries[i].is_retracted() {
                continue;
            }
            let Effect::Replace(new_data) = entries[i].effect else {
                continue;
            };
            let Some(t) = target_of(i, &entries) else {
                continue;
            };
            if entries[t].record_type() == RECORD_CORRECTED {
                continue;
            }
            let id = entries[i].event.event_id;
            entries[t].corrected_by.push(id);
            entries[t].current = new_data;
        }

        History { entries }
    }

    /// Every event, retracted or not, in sequence order.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Entry<'a>> {
        self.entries.iter()
    }

    /// The events that stand: not retracted, in sequence order.
    pub(crate) fn standing(&self) -> impl Iterator<Item = &Entry<'a>> {
        self.entries.iter().filter(|e| !e.is_retracted())
    }
}

/// Reads a `record_corrected` event's target and effect; anything else corrects nothing.
fn read_correction(event: &StoredEvent) -> (Option<Uuid>, Effect<'_>) {
    if event.event_type != RECORD_CORRECTED {
        return (None, Effect::Nothing);
    }
    let target = event
        .data
        .get("corrects_event_id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok());
    // `retract` wins over `corrected_data` if a record somehow carries both: taking a
    // record out is the safer reading of an ambiguous correction.
    let effect = if event.data.get("retract").and_then(Value::as_bool) == Some(true) {
        Effect::Retract
    } else if let Some(data) = event.data.get("corrected_data").filter(|d| !d.is_null()) {
        Effect::Replace(data)
    } else {
        Effect::Nothing
    };
    (target, effect)
}
