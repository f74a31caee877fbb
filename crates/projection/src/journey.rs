//! The journey: a child's tier history as intervals and every record that stands, as the
//! record stood at a chosen time (`as_of`, by `occurred_at`) and with what was known at a
//! chosen time (`known_at`, by `recorded_at`).
//!
//! The time filter is applied first and the history resolved afterwards, so a correction or a
//! retraction counts only if it passes the filter too: a retraction recorded after `known_at`
//! does not yet retract, a correction that occurred after `as_of` does not yet correct.
//!
//! What it deliberately does not do: check rules. A step whose `from` does not match the
//! level before it is still a step; the level it reaches is its `to`. Nor does it read a
//! clock: "current" means "the last interval within the events handed in".

use chrono::{DateTime, Utc};
use domain::framework::Framework;
use domain::level::{Level, StatutoryBasis, Tier};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use crate::history::{Entry, History};
use crate::record::{Record, TimeFilter};

/// `GET /v1/children/{child_id}/journey`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journey<'a> {
    pub child_id: Uuid,
    /// The tier history, oldest first, by `occurred_at`. Empty before registration.
    pub levels: Vec<LevelInterval>,
    /// Every record that stands (retracted ones are left out), oldest first by
    /// `occurred_at`, ties by `sequence`. Corrections are records too: a `record_corrected`
    /// appears at its own place with `corrects` naming the record it changes, and the
    /// corrected record carries `corrected_by`, its current `data` and `original_data`.
    pub records: Vec<Record<'a>>,
}

/// One interval of the tier history: `{ tier, name, statutory_basis, from, to }`, `to` being
/// `null` while the level is current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelInterval {
    pub tier: Tier,
    /// The tier's name in the deployment's framework.
    pub name: String,
    pub statutory_basis: StatutoryBasis,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    /// The record that began this interval: the registration, a step or a closure.
    pub event_id: Uuid,
}

/// The record types that change a child's level.
const STEPPED_UP: &str = "stepped_up";
const STEPPED_DOWN: &str = "stepped_down";
const CASE_CLOSED: &str = "case_closed";
const CHILD_REGISTERED: &str = "child_registered";

/// The journey of one child's events (in any order) as filtered by `filter`.
///
/// `child_id` is that of the first event; an empty slice (which the API answers with a 404
/// before asking) gives the nil id.
pub fn journey<'a>(
    events: &'a [StoredEvent],
    framework: &Framework,
    filter: TimeFilter,
) -> Journey<'a> {
    let child_id = events.first().map(|e| e.child_id).unwrap_or_default();
    let history = History::resolve(events.iter().filter(|e| filter.admits(e)));

    let mut standing: Vec<&Entry<'_>> = history.standing().collect();
    standing.sort_by_key(|e| (e.event.occurred_at, e.event.sequence));

    Journey {
        child_id,
        levels: level_intervals(&standing, framework),
        records: standing.iter().map(|e| e.record()).collect(),
    }
}

/// What a record does to the child's level, for [`lay_out_levels`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LevelChange {
    /// The registration: the history starts here, at tier 1.
    Registered,
    /// A step (to its `to`) or a closure (to tier 1).
    To(Level),
    None,
}

/// The tier history of the standing entries, which are sorted by `occurred_at`.
pub(crate) fn level_intervals(
    standing: &[&Entry<'_>],
    framework: &Framework,
) -> Vec<LevelInterval> {
    lay_out_levels(
        standing.iter().map(|entry| {
            let change = match entry.record_type() {
                CHILD_REGISTERED => LevelChange::Registered,
                // A step whose `to` cannot be read is left out rather than guessed at.
                STEPPED_UP | STEPPED_DOWN => entry
                    .data()
                    .get("to")
                    .and_then(read_level)
                    .map_or(LevelChange::None, LevelChange::To),
                CASE_CLOSED => LevelChange::To(Level::UNIVERSAL),
                _ => LevelChange::None,
            };
            (entry.event.occurred_at, entry.event.event_id, change)
        }),
        framework,
    )
}

/// The tier history of a child's standing records, given in `occurred_at` order (ties by
/// sequence) with what each does to the level: the one layout the journey and the read model
/// share.
///
/// Intervals follow `occurred_at`, not `sequence`: a step recorded late still begins its
/// interval when it happened, and the levels after it are laid out around it. The level a
/// step reaches is its (corrected) `to`; a closure returns the child to tier 1.
pub(crate) fn lay_out_levels(
    records: impl IntoIterator<Item = (DateTime<Utc>, Uuid, LevelChange)>,
    framework: &Framework,
) -> Vec<LevelInterval> {
    let records: Vec<(DateTime<Utc>, Uuid, LevelChange)> = records.into_iter().collect();
    // A child starts at tier 1 when registered. Without a registration in view (an import of
    // part of a history, or a retracted registration) the history starts at its first record.
    let start = records
        .iter()
        .find(|r| r.2 == LevelChange::Registered)
        .or_else(|| records.first());
    let Some(&(start_at, start_id, _)) = start else {
        return Vec::new();
    };

    // Change points in occurred order: (when, level, why).
    let mut changes: Vec<(DateTime<Utc>, Level, Uuid)> =
        vec![(start_at, Level::UNIVERSAL, start_id)];
    for &(at, event_id, change) in &records {
        if let LevelChange::To(level) = change {
            // A step dated before the registration (the registration's own date may have
            // been recorded approximately) takes effect from the registration.
            changes.push((at.max(start_at), level, event_id));
        }
    }

    let mut intervals: Vec<LevelInterval> = Vec::new();
    for (at, level, event_id) in changes {
        // Two changes at the same instant: the later (in occurred, then sequence order) is
        // where the child was left; an interval of no length says nothing.
        if intervals.last().is_some_and(|last| last.from == at) {
            intervals.pop();
        }
        match intervals.last_mut() {
            // No change of level (a closure of a case already at tier 1, a repeated step, or
            // a same-instant change undone): the interval goes on.
            Some(last)
                if (last.tier, last.statutory_basis) == (level.tier, level.statutory_basis) =>
            {
                last.to = None;
                continue;
            }
            Some(last) => last.to = Some(at),
            None => {}
        }
        intervals.push(LevelInterval {
            tier: level.tier,
            name: framework.tier_name(level.tier).to_string(),
            statutory_basis: level.statutory_basis,
            from: at,
            to: None,
            event_id,
        });
    }
    intervals
}

/// Reads a `level` (`{ "tier": 1-4, "statutory_basis"? }`) tolerantly: unknown fields are
/// ignored, a missing basis is `none`, anything unreadable is `None`.
pub(crate) fn read_level(value: &Value) -> Option<Level> {
    let tier = value
        .get("tier")
        .and_then(Value::as_u64)
        .and_then(|n| u8::try_from(n).ok())
        .and_then(Tier::new)?;
    let basis = match value.get("statutory_basis") {
        None | Some(Value::Null) => StatutoryBasis::None,
        Some(v) => serde_json::from_value(v.clone()).ok()?,
    };
    Some(Level::new(tier, basis))
}
