//! The child aggregate: a child's events folded into what the case view needs, and the
//! decision whether new records may join them.
//!
//! `decide` checks every rule of docs/RECORDS.md that depends on the child's state (ids new or
//! existing, consents given, referrals open, levels allowed, ...) and turns accepted records
//! into events; `apply` folds an event into the state and never fails, so events already
//! recorded always fold, even after a correction changes history. A correction re-folds the
//! whole history with the corrected data in place of the original (or without a retracted
//! record), so the state equals having recorded the corrected data in the first place.
//!
//! This module does not know who is asking (the role table is `crate::access`), does not read a
//! clock (`Services::now` is handed in) and does not know where events are stored.
//!
//! Split by job: `event` the stored event and its upcasting, `state` the state and its fold
//! (with the history as it stands after corrections), `decide` the decision, and `rules`
//! every rule checked against the state; this module is the aggregate, [`Child`], and re-exports
//! the rest, so `domain::child::…` names what it always named.

use uuid::Uuid;

use crate::record::*;

mod decide;
mod event;
mod rules;
mod state;

pub use decide::{ChildCommand, FUTURE_TOLERANCE_MINUTES, Services};
pub use event::{CHILD_REGISTERED, ChildEvent, EVENT_VERSION, EventBody, UnreadableEvent};
pub use state::{
    ChildState, Consent, ConsentStatus, Disagreement, FOLD_VERSION, Obligation, ObligationKind,
    Plan, Referral, Service, Standing, standing,
};
use state::{fold_effective, fold_standing};

// What this module imported before it was split and its tests (`use super::*`) still name.
#[cfg(test)]
use crate::{
    envelope::RecordInput, framework::Framework, level::Level, registration::ChildDetails,
    shapes::Person,
};
#[cfg(test)]
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A child's record: every event in order and the state they fold to.
///
/// A child resumed from a kept state ([`Child::resume`]) holds no events, not even those applied
/// after it: its state and sequence are whole, and it decides records that correct nothing
/// (one or a batch); a correction, which weighs the whole history, and anything that shows
/// the history need the child folded from all its events ([`Child::is_whole`]). Holding the
/// events applied since the resume served nothing, and cost their memory, and their drop when
/// the child was let go (docs/BENCHMARKS.md, twelfth round).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Child {
    history: Vec<ChildEvent>,
    state: ChildState,
    /// For a resumed child, the events folded into `state` (it holds none of them); 0 for a
    /// whole history.
    resumed_at: u64,
}

impl Child {
    /// Folds events as read from the store.
    pub fn from_events(events: impl IntoIterator<Item = ChildEvent>) -> Child {
        let mut c = Child::default();
        for e in events {
            c.apply(e);
        }
        c
    }

    /// A child whose first `sequence` events are already folded into `state` (a state kept
    /// by an earlier fold of the same [`FOLD_VERSION`]); later events are applied as usual.
    pub fn resume(state: ChildState, sequence: u64) -> Child {
        Child {
            history: Vec::new(),
            state,
            resumed_at: sequence,
        }
    }

    /// A copy holding the state and sequence alone (as if resumed from it): what records that
    /// correct nothing are decided against, without copying the history.
    pub fn state_alone(&self) -> Child {
        Child::resume(self.state.clone(), self.sequence())
    }

    /// Whether the whole history is held (not resumed from a kept state). A correction and
    /// anything that walks the history need a whole child.
    pub fn is_whole(&self) -> bool {
        self.resumed_at == 0
    }

    pub fn state(&self) -> &ChildState {
        &self.state
    }

    /// Every event, in order; none for a resumed child.
    pub fn history(&self) -> &[ChildEvent] {
        &self.history
    }

    /// Every event of the history as it stands after every correction, in recorded order
    /// (one entry per event of [`Child::history`], at the same index).
    pub fn standing(&self) -> Vec<Standing<'_>> {
        standing(&self.history)
    }

    /// The number of events, which is the stream's sequence.
    pub fn sequence(&self) -> u64 {
        self.resumed_at + self.history.len() as u64
    }

    /// The event with `event_id` and the child's state just before it, with every correction
    /// in the whole history applied (what a correction of it is checked against).
    pub fn record_and_state_before(&self, event_id: Uuid) -> Option<(&ChildEvent, ChildState)> {
        let pos = self.history.iter().position(|e| e.event_id == event_id)?;
        Some((&self.history[pos], fold_standing(&self.history, pos)))
    }

    /// Folds one event. Never fails: rules were checked when it was decided.
    pub fn apply(&mut self, e: ChildEvent) {
        let refold = matches!(&e.body, EventBody::Record(RecordData::RecordCorrected(_)));
        // A correction re-folds the whole history, which a resumed child does not hold: its
        // caller folds the child from all its events first.
        debug_assert!(
            self.is_whole() || !refold,
            "a correction applied to a resumed child"
        );
        if !self.is_whole() {
            self.state.apply(&e);
            self.resumed_at += 1;
            return;
        }
        self.history.push(e);
        if refold {
            self.state = fold_effective(&self.history);
        } else if let Some(last) = self.history.last() {
            self.state.apply(last);
        }
    }
}

#[cfg(test)]
mod tests;
