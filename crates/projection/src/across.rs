//! The read model across children: each child's facts for the inspection report and its
//! professional disagreements, kept up to date by [`crate::follow`] and saved with the global
//! position it reflects.
//!
//! A child's facts are always recomputed from its whole stream (a correction may change any
//! earlier record), so the model is a function of the events up to `position`, whatever order
//! or batches they arrived in. Per-child views (case, journey, audit) are not here: they are
//! folded on demand from one child's stream and cannot lag.

use std::collections::BTreeMap;
use std::sync::Arc;

use domain::framework::Framework;
use serde::{Deserialize, Serialize};
use store::{GlobalPosition, StoredEvent};
use uuid::Uuid;

use crate::disagreements::{Disagreement, DisagreementStatus};
use crate::inspection::cases::Case;
use crate::inspection::{self, InspectionReport, Period};

/// Every child's facts, as of `position`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Across {
    position: GlobalPosition,
    /// Shared, so taking a copy of the model to update it (while readers keep the old one)
    /// costs a pointer per child, not the children's facts.
    cases: BTreeMap<Uuid, Arc<Case>>,
}

/// The snapshot could not be read back (written by another version, or damaged): the caller
/// rebuilds from zero.
#[derive(Debug, thiserror::Error)]
#[error("the saved read model cannot be read: {0}")]
pub struct UnreadableSnapshot(String);

impl Across {
    /// The global position of the last event this model reflects.
    pub fn position(&self) -> GlobalPosition {
        self.position
    }

    pub fn set_position(&mut self, position: GlobalPosition) {
        self.position = position;
    }

    /// How many children the model holds.
    pub fn children(&self) -> usize {
        self.cases.len()
    }

    /// Recomputes one child from its whole stream, in sequence order.
    pub fn refresh_child(&mut self, child_id: Uuid, events: &[StoredEvent], framework: &Framework) {
        let refs: Vec<&StoredEvent> = events.iter().collect();
        self.cases
            .insert(child_id, Arc::new(Case::read(child_id, &refs, framework)));
    }

    /// The inspection report of `period` (and `locality`).
    pub fn report(
        &self,
        framework: &Framework,
        period: Period,
        locality: Option<&str>,
        pseudonymise: &dyn Fn(Uuid) -> String,
    ) -> InspectionReport {
        inspection::report_of_cases(
            self.cases.values().map(|c| c.as_ref()),
            framework,
            period,
            locality,
            pseudonymise,
        )
    }

    /// Every disagreement with `status` (all when `None`), oldest raised first.
    pub fn disagreements(&self, status: Option<DisagreementStatus>) -> Vec<&Disagreement> {
        let mut out: Vec<&Disagreement> = self
            .cases
            .values()
            .flat_map(|c| c.disagreements.iter())
            .filter(|d| status.is_none_or(|s| d.status == s))
            .collect();
        out.sort_by_key(|d| (d.raised_at, d.disagreement_id));
        out
    }

    /// One disagreement by id.
    pub fn disagreement(&self, id: Uuid) -> Option<&Disagreement> {
        self.cases
            .values()
            .flat_map(|c| c.disagreements.iter())
            .find(|d| d.disagreement_id == id)
    }

    /// The model as bytes, for [`store::EventStore::save_snapshot`].
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Across, UnreadableSnapshot> {
        serde_json::from_slice(bytes).map_err(|e| UnreadableSnapshot(e.to_string()))
    }
}
