//! The read model across children: each child's facts for the inspection report and its
//! professional disagreements, kept up to date by [`crate::follow`] and saved as one row per
//! child ([`Across::row`], MessagePack) with the global position it reflects.
//!
//! A child's facts are those of its whole typed record (the domain's events and its resolution
//! of corrections; a correction may change any earlier record), read from the start or
//! extended by new records where that gives the same facts
//! ([`crate::inspection::cases::CaseFold`]), so the model is a function of the events up to
//! `position`, whatever order or batches they arrived in. Per-child views (case, journey,
//! audit) are not here: they are folded on demand from one child's stream and cannot lag.

use std::sync::Arc;

use domain::framework::Framework;
use store::{GlobalPosition, StoredEvent, StoredText};
use uuid::Uuid;

use crate::child_record::ChildRecord;
use crate::disagreements::{Disagreement, DisagreementStatus};
use crate::inspection::cases::Case;
use crate::inspection::{self, InspectionReport, Period};

/// The version of a child's row encoding. A row of another version is not read: the model is
/// rebuilt from the events instead. Version 2: facts read from the domain's typed record.
/// Version 3: the times that grow with a child's history as two integers
/// (`inspection::row_time`), and its agencies listed once.
const ROW_FORMAT: u8 = 3;

/// The model's children are kept in this many shards, by the first 12 bits of their id. A
/// touched child copies its shard when readers still hold the model before (`Arc::make_mut`):
/// with 256 shards a county's 66,000 children made that 258 entries a touch, and copying and
/// dropping them stood out in a profile of appends on a county store (docs/BENCHMARKS.md,
/// fifth round). 4,096 keep it to about 16, for 4,096 pointers a publish.
const SHARDS: usize = 4096;

/// Every child's facts, as of `position`.
#[derive(Debug, Clone)]
pub struct Across {
    position: GlobalPosition,
    /// Shards by the id's first 12 bits, so iterating them in order is iterating children in id
    /// order. Each shard and each child's facts are shared: taking a copy of the model to
    /// update it (while readers keep the old one) costs a pointer per shard, and changing a
    /// child copies only its shard's map (about 1/4,096 of the children), not the whole map.
    cases: Vec<Arc<Shard>>,
}

/// One shard's children, in id order. A sorted list rather than a tree: a touched child's shard
/// is copied (see [`SHARDS`]), and a list of a county's 16 or so is copied with one allocation
/// where a tree took one a node (the copy stood out in a county's profile beside a fresh
/// store's, docs/BENCHMARKS.md, sixteenth round).
type Shard = Vec<(Uuid, Arc<Case>)>;

impl Default for Across {
    fn default() -> Across {
        Across {
            position: 0,
            cases: (0..SHARDS).map(|_| Arc::new(Vec::new())).collect(),
        }
    }
}

fn shard(child_id: Uuid) -> usize {
    let [first, second, ..] = *child_id.as_bytes();
    (usize::from(first) << 4 | usize::from(second) >> 4) % SHARDS
}

/// The saved rows could not be read back (written by another version, or damaged): the caller
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

    /// Every child's facts, in child id order.
    fn all(&self) -> impl Iterator<Item = &Case> + '_ {
        self.cases
            .iter()
            .flat_map(|c| c.iter())
            .map(|(_, case)| case.as_ref())
    }

    /// How many children the model holds.
    pub fn children(&self) -> usize {
        self.cases.iter().map(|c| c.len()).sum()
    }

    /// The ids of the children the model holds, in order.
    pub fn child_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.cases.iter().flat_map(|c| c.iter().map(|(id, _)| *id))
    }

    /// Recomputes one child from its whole stream, in sequence order.
    pub fn refresh_child(&mut self, child_id: Uuid, events: &[StoredEvent], framework: &Framework) {
        let refs: Vec<&StoredEvent> = events.iter().collect();
        self.refresh(&ChildRecord::of(child_id, &refs), framework);
    }

    /// Recomputes one child's facts from its typed record.
    pub fn refresh(&mut self, record: &ChildRecord, framework: &Framework) {
        self.put(record.child_id(), Arc::new(Case::of(record, framework)));
    }

    /// Puts a child's facts, read elsewhere ([`crate::inspection::cases::CaseFold`]), into
    /// the model.
    pub(crate) fn put(&mut self, child_id: Uuid, case: Arc<Case>) {
        let shard = Arc::make_mut(&mut self.cases[shard(child_id)]);
        match shard.binary_search_by_key(&child_id, |(id, _)| *id) {
            Ok(i) => {
                if let Some(kept) = shard.get_mut(i) {
                    kept.1 = case;
                }
            }
            Err(i) => shard.insert(i, (child_id, case)),
        }
    }

    /// Puts children folded elsewhere ([`fold_children`]) into the model.
    pub(crate) fn insert_folded(&mut self, cases: Vec<(Uuid, Case)>) {
        for (id, case) in cases {
            self.put(id, Arc::new(case));
        }
    }

    /// The inspection report of `period` (and `locality`).
    pub fn report(
        &self,
        framework: &Framework,
        period: Period,
        locality: Option<&str>,
        pseudonymise: &dyn Fn(Uuid) -> String,
    ) -> InspectionReport {
        inspection::report_of_cases(self.all(), framework, period, locality, pseudonymise)
    }

    /// Every disagreement with `status` (all when `None`), oldest raised first.
    pub fn disagreements(&self, status: Option<DisagreementStatus>) -> Vec<&Disagreement> {
        let mut out: Vec<&Disagreement> = self
            .all()
            .flat_map(|c| c.disagreements.iter())
            .filter(|d| status.is_none_or(|s| d.status == s))
            .collect();
        out.sort_by_key(|d| (d.raised_at, d.disagreement_id));
        out
    }

    /// One disagreement by id.
    pub fn disagreement(&self, id: Uuid) -> Option<&Disagreement> {
        self.all()
            .flat_map(|c| c.disagreements.iter())
            .find(|d| d.disagreement_id == id)
    }

    /// One child's row for [`store::EventStore::save_read_model`]: a format byte, then the
    /// child's facts as MessagePack with field names (`None` if the model does not hold the
    /// child). Field names are kept because the facts share shapes with the API's JSON
    /// (`skip_serializing_if`, JSON values), which a format without them cannot read back.
    pub fn row(&self, child_id: Uuid) -> Option<Vec<u8>> {
        let shard = &self.cases[shard(child_id)];
        let i = shard.binary_search_by_key(&child_id, |(id, _)| *id).ok()?;
        let (_, case) = shard.get(i)?;
        Some(row_of(child_id, case))
    }

    /// The model saved as rows ([`Across::row`]) at `position`.
    pub fn from_rows(
        position: GlobalPosition,
        rows: Vec<(Uuid, Vec<u8>)>,
    ) -> Result<Across, UnreadableSnapshot> {
        let mut model = Across {
            position,
            ..Across::default()
        };
        for (id, bytes) in rows {
            let case: Case = match bytes.split_first() {
                Some((&ROW_FORMAT, rest)) => rmp_serde::from_slice(rest)
                    .map_err(|e| UnreadableSnapshot(format!("child {id}: {e}")))?,
                _ => {
                    return Err(UnreadableSnapshot(format!(
                        "child {id}: not a row of format {ROW_FORMAT}"
                    )));
                }
            };
            model.put(id, Arc::new(case));
        }
        Ok(model)
    }
}

/// [`Across::row`] of one child's facts.
fn row_of(child_id: Uuid, case: &Case) -> Vec<u8> {
    let mut out = vec![ROW_FORMAT];
    // Writing to a Vec fails only for a value serde cannot represent, which `Case` has none
    // of; such a row would be written empty and read back as unreadable, rebuilding.
    if let Err(e) = rmp_serde::encode::write_named(&mut out, case) {
        tracing::error!(child = %child_id, error = %e, "a child's read model row cannot be encoded");
        out.clear();
    }
    out
}

/// Children folded from a page of whole streams, ready for [`Across::insert_folded`], and
/// their rows ([`Across::row`]), encoded where they were folded.
pub(crate) struct Folded {
    pub(crate) cases: Vec<(Uuid, Case)>,
    pub(crate) rows: Vec<(Uuid, Vec<u8>)>,
}

/// Folds each child in `events` (whole streams, grouped by child and in sequence order, as
/// [`store::EventStore::read_children_text`] returns them) once, reading each event's JSON
/// text straight into the domain's types.
pub(crate) fn fold_children(events: Vec<StoredText>, framework: &Framework) -> Folded {
    let mut out = Vec::new();
    let mut current: Option<ChildRecord> = None;
    for e in events {
        if current.as_ref().is_some_and(|r| r.child_id() != e.child_id)
            && let Some(done) = current.take()
        {
            out.push((done.child_id(), Case::of(&done, framework)));
        }
        current
            .get_or_insert_with(|| ChildRecord::new(e.child_id))
            .push_text(&e);
    }
    if let Some(done) = current {
        out.push((done.child_id(), Case::of(&done, framework)));
    }
    let rows = out
        .iter()
        .map(|(id, case)| (*id, row_of(*id, case)))
        .collect();
    Folded { cases: out, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shards hold children in id order: the report and the saved rows go through them in
    /// order, so the same events always give the same output.
    #[test]
    fn children_come_out_in_id_order() {
        let mut ids: Vec<Uuid> = (0..3000u128)
            .map(|i| Uuid::from_u128(i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)))
            .chain([Uuid::nil(), Uuid::max(), Uuid::from_u128(1 << 116)])
            .collect();
        let framework = Framework::by_name("norfolk").unwrap();
        let mut model = Across::default();
        for &id in &ids {
            model.refresh(&ChildRecord::new(id), framework);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(model.child_ids().collect::<Vec<_>>(), ids);
    }

    /// A row reads back as the facts it was made from; a cut one is refused (and the model
    /// is then rebuilt), never read as something else.
    #[test]
    fn rows_read_back_and_cut_ones_are_refused() {
        let framework = Framework::by_name("norfolk").unwrap();
        let id = Uuid::from_u128(7);
        let mut model = Across::default();
        model.refresh(&ChildRecord::new(id), framework);
        let row = model.row(id).unwrap();
        let back = Across::from_rows(9, vec![(id, row.clone())]).unwrap();
        assert_eq!(back.row(id), Some(row.clone()));
        assert_eq!(back.position(), 9);
        let cut = row[..row.len() / 2].to_vec();
        assert!(Across::from_rows(0, vec![(id, cut)]).is_err());
    }
}
