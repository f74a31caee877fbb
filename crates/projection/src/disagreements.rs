//! The professional-disagreement review: every disagreement from first word to resolution,
//! across any number of children, with the decision in dispute, each stage and its positions,
//! how long each stage took, how it ended, and which agencies are party to it.
//!
//! A disagreement is the thread of one `disagreement_id` within one child's stream: a
//! `disagreement_raised` opens it at stage 1 (the practitioner's own line manager or
//! designated safeguarding lead), each `disagreement_escalated` moves it to the stage it names
//! (2 agency leads, 3 senior managers, 4 the safeguarding partnership), and a
//! `disagreement_resolved` ends it. The thread is read in `sequence` order, the order the
//! domain checked its rules in; the times shown are `occurred_at`, when things happened.
//!
//! The threads are read from the child's typed record ([`ChildRecord`]): corrections are
//! resolved by the domain, as for the case and the rules: a corrected record
//! reads its corrected data (a corrected escalation may name another stage), a retracted one
//! is gone. A retracted `disagreement_raised` takes its whole thread with it; a retracted
//! escalation or resolution leaves the thread as if it had never been recorded. The record in
//! dispute is shown as it now reads (`about`); if it was retracted, `about` is `null` and
//! `about_retracted` says why.
//!
//! Days in a stage are counted twice, because reviewers ask both questions: `working_days`
//! (England's working days after the day the stage began, up to and including the day it
//! ended, `domain::calendar`) and `calendar_days` (days between the two UTC dates). A stage
//! still open has no length until the caller says when "now" is ([`Disagreement::with_days_to`]):
//! this module reads no clock.
//!
//! What it deliberately does not do: decide who may see a disagreement (the API does, with
//! [`Disagreement::involves`] for recorders), check the rules (stored threads that break
//! today's rules are shown as recorded, never refused), or read the store.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use domain::calendar;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use domain::child::{ChildEvent, EventBody, Standing};
use domain::record::{DisagreementEscalated, DisagreementRaised, DisagreementResolved, RecordData};
use domain::shapes::Person;

use crate::child_record::{ChildRecord, Stored, code};
use crate::record::Record;

pub(crate) const DISAGREEMENT_RAISED: &str = "disagreement_raised";
pub(crate) const DISAGREEMENT_ESCALATED: &str = "disagreement_escalated";
pub(crate) const DISAGREEMENT_RESOLVED: &str = "disagreement_resolved";

/// Whether a disagreement is still being worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementStatus {
    Open,
    Resolved,
}

impl DisagreementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DisagreementStatus::Open => "open",
            DisagreementStatus::Resolved => "resolved",
        }
    }
}

impl fmt::Display for DisagreementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `?status=` value that is neither `open` nor `resolved`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a disagreement status; expected open or resolved",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for DisagreementStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(DisagreementStatus::Open),
            "resolved" => Ok(DisagreementStatus::Resolved),
            other => Err(UnknownStatus(other.to_owned())),
        }
    }
}

/// `GET /v1/disagreements/{disagreement_id}`: docs/CONTRACT.md's `{ disagreement_id, child_id,
/// status, stage, about_event_id, stages, resolution }` and what a reviewer needs besides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub disagreement_id: Uuid,
    pub child_id: Uuid,
    pub status: DisagreementStatus,
    /// The stage it is at now (or ended at): 1 to 4.
    pub stage: u8,
    /// The decision in dispute, as recorded; `null` only if the raising record's id cannot
    /// be read (data of an older shape).
    pub about_event_id: Option<Uuid>,
    /// The record in dispute as it now reads (corrections applied), if it is among the
    /// child's events and stands.
    pub about: Option<Record<'static>>,
    /// True when the record in dispute was later retracted (it is then absent from `about`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub about_retracted: bool,
    /// The practitioner who raised it: `{ name, role, agency }`.
    pub raised_by: Value,
    /// When it was raised (`occurred_at` of the `disagreement_raised`).
    pub raised_at: DateTime<Utc>,
    /// The `disagreement_raised` record.
    pub raised_event_id: Uuid,
    /// What the raiser wanted instead.
    pub desired_outcome: Option<String>,
    /// Every stage entered, in order. Stages passed over by an escalation (1 straight to 3)
    /// are not listed.
    pub stages: Vec<Stage>,
    /// How it ended; `null` while open.
    pub resolution: Option<Resolution>,
    /// Every agency involved, sorted: the raiser's, the agency that recorded the decision in
    /// dispute, and every agency that recorded, escalated, stated a position in or resolved
    /// the disagreement.
    pub parties: Vec<String>,
}

/// `GET /v1/disagreements`: `{ "disagreements": [...] }`, oldest raised first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisagreementList {
    pub disagreements: Vec<Disagreement>,
}

/// One stage of a disagreement: `{ stage, entered_at, left_at, positions }` and more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub stage: u8,
    pub entered_at: DateTime<Utc>,
    /// When the next stage began or the disagreement was resolved; `null` while current.
    pub left_at: Option<DateTime<Utc>>,
    /// The positions stated on entering the stage: the raiser's at stage 1, those the
    /// escalation listed at later stages.
    pub positions: Vec<StagePosition>,
    /// Who raised (stage 1) or escalated (later stages) it to here.
    pub entered_by: Value,
    /// Why it was escalated to this stage; `null` at stage 1.
    pub reason: Option<String>,
    /// The record that began this stage.
    pub event_id: Uuid,
    /// Working days in England after the day the stage began, up to and including the day it
    /// ended (or `days_counted_to`); `null` while open and not measured.
    pub working_days: Option<i64>,
    /// Calendar days between the UTC dates the stage began and ended.
    pub calendar_days: Option<i64>,
    /// For a stage still open whose days were counted to a time the caller gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_counted_to: Option<DateTime<Utc>>,
}

/// A party's position: `{ party, position }` as docs/RECORDS.md has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagePosition {
    /// `{ name, role, agency }`.
    pub party: Value,
    pub position: Option<String>,
}

/// How a disagreement ended, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// `decision_upheld`, `decision_changed` or `withdrawn`, as recorded.
    pub outcome: Option<String>,
    /// What was agreed.
    pub resolution: Option<String>,
    pub resolved_by: Value,
    pub resolved_at: DateTime<Utc>,
    /// The record that follows the resolution through (e.g. a corrected decision), if named.
    pub follow_up_event_id: Option<Uuid>,
    /// The `disagreement_resolved` record.
    pub event_id: Uuid,
    /// From raising to resolution, counted as the stages are.
    pub working_days_to_resolve: i64,
    pub calendar_days_to_resolve: i64,
}

impl Disagreement {
    pub fn is_open(&self) -> bool {
        self.status == DisagreementStatus::Open
    }

    /// Whether `agency` raised this disagreement or is party to it (recorded the decision in
    /// dispute, escalated it, stated a position in it, recorded one of its records, or
    /// resolved it). A recorder sees only the disagreements this is true of.
    pub fn involves(&self, agency: &str) -> bool {
        self.parties.iter().any(|p| p == agency)
    }

    /// This disagreement with its open stage measured up to `now` (`days_counted_to`).
    /// Stages already left keep their lengths; a resolved disagreement is unchanged.
    pub fn with_days_to(mut self, now: DateTime<Utc>) -> Disagreement {
        if let Some(stage) = self.stages.last_mut()
            && stage.left_at.is_none()
        {
            let (working, calendar) = days_between(stage.entered_at, now);
            stage.working_days = Some(working);
            stage.calendar_days = Some(calendar);
            stage.days_counted_to = Some(now);
        }
        self
    }

    /// Sort key: oldest raised first, then by child and id so the order never depends on how
    /// the events were handed in.
    fn order_key(&self) -> (DateTime<Utc>, Uuid, Uuid) {
        (self.raised_at, self.child_id, self.disagreement_id)
    }
}

/// Every disagreement among `events`, which may belong to any number of children and come in
/// any order. Oldest raised first.
pub fn disagreements(events: &[StoredEvent]) -> Vec<Disagreement> {
    let mut by_child: HashMap<Uuid, Vec<&StoredEvent>> = HashMap::new();
    for e in events {
        by_child.entry(e.child_id).or_default().push(e);
    }
    let mut out: Vec<Disagreement> = by_child
        .into_iter()
        .filter(|(_, evs)| evs.iter().any(|e| is_disagreement_type(&e.event_type)))
        .flat_map(|(child_id, evs)| child_disagreements(child_id, evs))
        .collect();
    out.sort_by_key(Disagreement::order_key);
    out
}

/// The review kept up to date event by event (or batch by batch), for a read model that
/// follows the store. It answers exactly what [`disagreements`] answers for the same events,
/// however they were split into batches and in whatever order they came: each child's
/// disagreements are recomputed from all of that child's events whenever one arrives.
///
/// It keeps every event of every child, because any record may become the decision in
/// dispute, and a correction may arrive at any time. Children with no disagreement record
/// cost only that memory: nothing is computed for them.
#[derive(Debug, Clone, Default)]
pub struct DisagreementReview {
    children: HashMap<Uuid, ChildThreads>,
}

#[derive(Debug, Clone, Default)]
struct ChildThreads {
    events: Vec<StoredEvent>,
    seen: HashSet<Uuid>,
    /// Whether any disagreement record has arrived: until one does, there is nothing to
    /// compute.
    any_disagreement: bool,
    disagreements: Vec<Disagreement>,
}

impl DisagreementReview {
    pub fn new() -> DisagreementReview {
        DisagreementReview::default()
    }

    /// Folds one event. An event already applied (same child, same event id) is ignored, so
    /// a redelivered page does no harm.
    pub fn apply(&mut self, event: &StoredEvent) {
        self.apply_all(std::slice::from_ref(event));
    }

    /// Folds a batch, recomputing each affected child once.
    pub fn apply_all(&mut self, events: &[StoredEvent]) {
        let mut dirty: BTreeSet<Uuid> = BTreeSet::new();
        for e in events {
            let child = self.children.entry(e.child_id).or_default();
            if !child.seen.insert(e.event_id) {
                continue;
            }
            child.any_disagreement |= is_disagreement_type(&e.event_type);
            child.events.push(e.clone());
            if child.any_disagreement {
                dirty.insert(e.child_id);
            }
        }
        for child_id in dirty {
            if let Some(child) = self.children.get_mut(&child_id) {
                child.disagreements = child_disagreements(child_id, child.events.iter().collect());
            }
        }
    }

    /// Every disagreement, or those with `status`, oldest raised first.
    pub fn list(&self, status: Option<DisagreementStatus>) -> Vec<&Disagreement> {
        let mut out: Vec<&Disagreement> = self
            .children
            .values()
            .flat_map(|c| c.disagreements.iter())
            .filter(|d| status.is_none_or(|s| d.status == s))
            .collect();
        out.sort_by_key(|d| d.order_key());
        out
    }

    /// One disagreement by id. Ids are chosen by clients and unique within a child; should two
    /// children hold the same id, the one raised first is answered.
    pub fn get(&self, disagreement_id: Uuid) -> Option<&Disagreement> {
        self.children
            .values()
            .flat_map(|c| c.disagreements.iter())
            .filter(|d| d.disagreement_id == disagreement_id)
            .min_by_key(|d| d.order_key())
    }

    /// The disagreements of one child, oldest raised first.
    pub fn of_child(&self, child_id: Uuid) -> &[Disagreement] {
        self.children
            .get(&child_id)
            .map_or(&[], |c| c.disagreements.as_slice())
    }
}

fn is_disagreement_type(t: &str) -> bool {
    matches!(
        t,
        DISAGREEMENT_RAISED | DISAGREEMENT_ESCALATED | DISAGREEMENT_RESOLVED
    )
}

/// The disagreements of one child's events (any order), oldest raised first.
pub(crate) fn child_disagreements(child_id: Uuid, events: Vec<&StoredEvent>) -> Vec<Disagreement> {
    let record = ChildRecord::of(child_id, &events);
    threads(&record, &record.standing())
}

/// A record of a disagreement's thread (raised, escalated, resolved).
pub(crate) fn is_about_a_disagreement(e: &ChildEvent) -> bool {
    matches!(
        &e.body,
        EventBody::Record(
            RecordData::DisagreementRaised(_)
                | RecordData::DisagreementEscalated(_)
                | RecordData::DisagreementResolved(_)
        )
    )
}

/// The disagreements of one child's typed record (`standing` is its
/// [`ChildRecord::standing`]), oldest raised first.
pub(crate) fn threads(
    record: &ChildRecord,
    standing: &[(Standing<'_>, &Stored)],
) -> Vec<Disagreement> {
    let mut out: Vec<Disagreement> = Vec::new();
    // Most children have none: nothing is indexed for them.
    if !standing
        .iter()
        .any(|(s, _)| s.event().is_some_and(is_about_a_disagreement))
    {
        return out;
    }
    let by_id: HashMap<Uuid, usize> = record
        .history()
        .iter()
        .enumerate()
        .map(|(i, e)| (e.event_id, i))
        .collect();
    let mut index: HashMap<Uuid, usize> = HashMap::new();

    for (s, stored) in standing {
        let Some(event) = s.event() else {
            continue;
        };
        let EventBody::Record(data) = &event.body else {
            continue;
        };
        match data {
            RecordData::DisagreementRaised(r) => {
                // An id is new for the child when raised; a second raise of the same id is
                // data the rules would have refused, and the first thread stands.
                if index.contains_key(&r.disagreement_id) {
                    continue;
                }
                index.insert(r.disagreement_id, out.len());
                let target = by_id.get(&r.about_event_id).copied();
                out.push(raise(record, standing, event, stored, r, target));
            }
            RecordData::DisagreementEscalated(x) => {
                let Some(d) = index.get(&x.disagreement_id).and_then(|&i| out.get_mut(i)) else {
                    continue;
                };
                // Nothing follows a resolution: an escalation after it is not part of the
                // thread the reviewers are shown.
                if d.resolution.is_some() {
                    continue;
                }
                escalate(d, event, stored, x);
            }
            RecordData::DisagreementResolved(x) => {
                let Some(d) = index.get(&x.disagreement_id).and_then(|&i| out.get_mut(i)) else {
                    continue;
                };
                if d.resolution.is_some() {
                    continue;
                }
                resolve(d, event, stored, x);
            }
            _ => {}
        }
    }

    for d in &mut out {
        d.parties.sort();
        d.parties.dedup();
    }
    out.sort_by_key(Disagreement::order_key);
    out
}

fn person(p: &Person) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

fn raise(
    record: &ChildRecord,
    standing: &[(Standing<'_>, &Stored)],
    event: &ChildEvent,
    stored: &Stored,
    r: &DisagreementRaised,
    target: Option<usize>,
) -> Disagreement {
    let at = event.occurred_at;
    let raised_by = person(&r.raised_by);
    let retracted = target.is_some_and(|t| standing.get(t).is_some_and(|(s, _)| s.is_retracted()));
    let about = target
        .filter(|_| !retracted)
        .and_then(|t| record.record_at(standing, t));

    let mut parties = vec![
        stored.agency.to_string(),
        r.raised_by.agency.as_str().to_owned(),
    ];
    if let Some((s, target_stored)) = target.and_then(|t| standing.get(t)) {
        parties.push(target_stored.agency.to_string());
        let original = match s {
            Standing::AsRecorded(e) | Standing::Retracted(e) => e.recorded_by.agency.as_str(),
            Standing::Corrected(e) => e.recorded_by.agency.as_str(),
        };
        parties.push(original.to_owned());
    }

    Disagreement {
        disagreement_id: r.disagreement_id,
        child_id: record.child_id(),
        status: DisagreementStatus::Open,
        stage: 1,
        about_event_id: Some(r.about_event_id),
        about,
        about_retracted: retracted,
        raised_by: raised_by.clone(),
        raised_at: at,
        raised_event_id: event.event_id,
        desired_outcome: Some(r.desired_outcome.as_str().to_owned()),
        stages: vec![Stage {
            stage: 1,
            entered_at: at,
            left_at: None,
            positions: vec![StagePosition {
                party: raised_by.clone(),
                position: Some(r.position.as_str().to_owned()),
            }],
            entered_by: raised_by,
            reason: None,
            event_id: event.event_id,
            working_days: None,
            calendar_days: None,
            days_counted_to: None,
        }],
        resolution: None,
        parties,
    }
}

fn escalate(d: &mut Disagreement, event: &ChildEvent, stored: &Stored, x: &DisagreementEscalated) {
    // A stage out of range is passed over: guessing one would put the thread at a stage
    // nobody recorded.
    if !(1..=4).contains(&x.to_stage) {
        return;
    }
    let at = event.occurred_at;
    close_stage(d, at);
    let positions: Vec<StagePosition> = x
        .positions
        .iter()
        .map(|p| StagePosition {
            party: person(&p.party),
            position: Some(p.position.as_str().to_owned()),
        })
        .collect();
    d.parties.push(stored.agency.to_string());
    d.parties.push(x.escalated_by.agency.as_str().to_owned());
    d.parties.extend(
        x.positions
            .iter()
            .map(|p| p.party.agency.as_str().to_owned()),
    );
    d.stage = x.to_stage;
    d.stages.push(Stage {
        stage: x.to_stage,
        entered_at: at,
        left_at: None,
        positions,
        entered_by: person(&x.escalated_by),
        reason: Some(x.reason.as_str().to_owned()),
        event_id: event.event_id,
        working_days: None,
        calendar_days: None,
        days_counted_to: None,
    });
}

fn resolve(d: &mut Disagreement, event: &ChildEvent, stored: &Stored, x: &DisagreementResolved) {
    let at = event.occurred_at;
    close_stage(d, at);
    d.parties.push(stored.agency.to_string());
    d.parties.push(x.resolved_by.agency.as_str().to_owned());
    let (working, calendar) = days_between(d.raised_at, at);
    d.status = DisagreementStatus::Resolved;
    d.resolution = Some(Resolution {
        outcome: code(&x.outcome),
        resolution: Some(x.resolution.as_str().to_owned()),
        resolved_by: person(&x.resolved_by),
        resolved_at: at,
        follow_up_event_id: x.follow_up_event_id,
        event_id: event.event_id,
        working_days_to_resolve: working,
        calendar_days_to_resolve: calendar,
    });
}

fn close_stage(d: &mut Disagreement, at: DateTime<Utc>) {
    if let Some(stage) = d.stages.last_mut()
        && stage.left_at.is_none()
    {
        let (working, calendar) = days_between(stage.entered_at, at);
        stage.left_at = Some(at);
        stage.working_days = Some(working);
        stage.calendar_days = Some(calendar);
    }
}

/// (working days, calendar days) from the UTC date of `from` to that of `to`; never negative,
/// so a record backdated before the one it follows reads as a stage of no length.
pub(crate) fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> (i64, i64) {
    let (a, b) = (from.date_naive(), to.date_naive());
    (
        calendar::working_days_between(a, b),
        (b - a).num_days().max(0),
    )
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::inspection::testkit::*;

    /// A school disputes the front door's decision on a referral (Mon 2 Nov), escalates it
    /// on Mon 9 with the police's position beside its own, and the front door upholds it on
    /// Mon 16.
    fn disputed() -> (ChildBuilder, Uuid, Uuid) {
        let mut c = ChildBuilder::register(1, "Norwich", "2011-03-01", nov(1, 9));
        let (referral, _) = c.referral(nov(2, 9), SCHOOL, Some("2A"), ConsentFor::Given);
        let decision = c.decide(
            nov(2, 15),
            referral,
            ReferralDecision::NoFurtherAction,
            1,
            true,
        );
        let d = c.raise(nov(2, 16), SCHOOL, decision);
        c.escalate(nov(9, 10), SCHOOL, d, 2, POLICE);
        c.resolve(nov(16, 12), MASH, d, DisagreementOutcome::DecisionUpheld);
        (c, d, decision)
    }

    #[test]
    fn a_thread_from_first_word_to_resolution() {
        let (c, id, decision) = disputed();
        let all = disagreements(c.events());
        assert_eq!(all.len(), 1);
        let d = &all[0];
        assert_eq!((d.disagreement_id, d.child_id), (id, c.child_id()));
        assert_eq!((d.status, d.stage), (DisagreementStatus::Resolved, 2));
        assert_eq!(d.about_event_id, Some(decision));
        let about = d.about.as_ref().expect("the decision in dispute");
        assert_eq!(
            (about.record_type.as_ref(), about.data["decision"].as_str()),
            ("referral_decided", Some("no_further_action"))
        );
        assert_eq!(d.desired_outcome.as_deref(), Some("an assessment"));

        assert_eq!(d.stages.len(), 2);
        let (one, two) = (&d.stages[0], &d.stages[1]);
        assert_eq!(
            (one.stage, one.entered_at, one.left_at),
            (1, nov(2, 16), Some(nov(9, 10)))
        );
        assert_eq!(one.positions.len(), 1);
        assert_eq!(
            one.positions[0].position.as_deref(),
            Some("the child needs more help")
        );
        // Mon 2 to Mon 9: five working days, seven calendar days.
        assert_eq!((one.working_days, one.calendar_days), (Some(5), Some(7)));
        assert_eq!(
            (two.stage, two.left_at, two.positions.len()),
            (2, Some(nov(16, 12)), 2)
        );
        assert_eq!(
            two.reason.as_deref(),
            Some("no agreement at the stage before")
        );

        let r = d.resolution.as_ref().expect("resolved");
        assert_eq!(
            (r.outcome.as_deref(), r.resolved_at),
            (Some("decision_upheld"), nov(16, 12))
        );
        assert_eq!(
            (r.working_days_to_resolve, r.calendar_days_to_resolve),
            (10, 14)
        );
        assert_eq!(d.parties, [MASH, POLICE, SCHOOL]);
    }

    #[test]
    fn the_contract_names_are_in_the_json() {
        let (c, _, _) = disputed();
        let v = serde_json::to_value(&disagreements(c.events())[0]).expect("serialises");
        for field in [
            "disagreement_id",
            "child_id",
            "status",
            "stage",
            "about_event_id",
            "stages",
            "resolution",
        ] {
            assert!(v.get(field).is_some(), "{field}");
        }
        assert_eq!(v["status"], "resolved");
        for field in ["stage", "entered_at", "left_at", "positions"] {
            assert!(v["stages"][0].get(field).is_some(), "stages[0].{field}");
        }
    }

    #[test]
    fn who_is_party_to_it() {
        let (c, _, _) = disputed();
        let d = &disagreements(c.events())[0];
        // The raiser, the front door (whose decision it is, and who resolved it), and the
        // police (a position at stage 2); nobody else.
        assert!(d.involves(SCHOOL) && d.involves(MASH) && d.involves(POLICE));
        assert!(!d.involves(HEALTH));
    }

    #[test]
    fn retractions_and_corrections_rewrite_the_thread() {
        // A retracted resolution reopens it at the stage it had reached.
        let (mut c, id, _) = disputed();
        let resolution = c.events().last().map(|e| e.event_id).expect("events");
        c.retract(nov(17, 9), MASH, resolution);
        let d = &disagreements(c.events())[0];
        assert_eq!(
            (d.status, d.stage, d.resolution.is_none()),
            (DisagreementStatus::Open, 2, true)
        );
        assert_eq!(d.stages[1].left_at, None);

        // A corrected escalation names another stage.
        let escalation = c
            .events()
            .iter()
            .find(|e| e.event_type == DISAGREEMENT_ESCALATED)
            .map(|e| e.event_id);
        let escalation = escalation.expect("an escalation");
        let mut data = c.data_of(escalation);
        if let RecordData::DisagreementEscalated(x) = &mut data {
            x.to_stage = 3;
        }
        c.correct(nov(17, 10), SCHOOL, escalation, data);
        let d = &disagreements(c.events())[0];
        assert_eq!((d.stage, d.stages[1].stage), (3, 3));

        // A retracted raise takes the thread away (its escalations go with it: the domain
        // refuses to leave them resting on nothing).
        let raised = c
            .events()
            .iter()
            .find(|e| e.event_type == DISAGREEMENT_RAISED)
            .map(|e| e.event_id);
        let mut thread: Vec<Uuid> = c
            .events()
            .iter()
            .filter(|e| e.event_type == DISAGREEMENT_ESCALATED)
            .map(|e| e.event_id)
            .collect();
        thread.push(raised.expect("a raise"));
        c.retract_together(nov(17, 11), SCHOOL, &thread);
        assert!(
            disagreements(c.events())
                .iter()
                .all(|d| d.disagreement_id != id)
        );
    }

    #[test]
    fn a_retracted_decision_in_dispute_is_not_shown() {
        let mut c = ChildBuilder::register(2, "Norwich", "2011-03-01", nov(1, 9));
        let talk = c.conversation(nov(2, 9), SCHOOL, "heard");
        c.raise(nov(3, 9), HEALTH, talk);
        // The domain now refuses this retraction while the disagreement stands; a history
        // recorded before that rule may hold one, and the review must still read it.
        c.retract_unchecked(nov(4, 9), SCHOOL, talk);
        let d = &disagreements(c.events())[0];
        assert!(d.about.is_none() && d.about_retracted);
        assert_eq!(d.about_event_id, Some(talk));
        // The school recorded what is disputed, so it stays party to it.
        assert!(d.involves(SCHOOL));
    }

    #[test]
    fn an_open_stage_is_measured_only_when_asked() {
        let mut c = ChildBuilder::register(3, "Norwich", "2011-03-01", nov(1, 9));
        let talk = c.conversation(nov(2, 9), SCHOOL, "heard");
        c.raise(nov(2, 10), SCHOOL, talk);
        let d = disagreements(c.events()).remove(0);
        assert_eq!(
            (d.stages[0].working_days, d.stages[0].days_counted_to),
            (None, None)
        );
        let d = d.with_days_to(nov(9, 12));
        assert_eq!(
            (d.stages[0].working_days, d.stages[0].calendar_days),
            (Some(5), Some(7))
        );
        assert_eq!(d.stages[0].days_counted_to, Some(nov(9, 12)));
    }

    #[test]
    fn the_review_lists_by_status_and_finds_by_id() {
        let (a, resolved, _) = disputed();
        let mut b = ChildBuilder::register(4, "Norwich", "2012-01-01", nov(1, 9));
        let talk = b.conversation(nov(3, 9), SCHOOL, "heard");
        let open = b.raise(nov(3, 10), HEALTH, talk);
        let mut review = DisagreementReview::new();
        for e in world(&[&a, &b]) {
            review.apply(&e);
        }
        let ids = |s| {
            review
                .list(s)
                .iter()
                .map(|d| d.disagreement_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(None), [resolved, open], "oldest raised first");
        assert_eq!(ids(Some(DisagreementStatus::Open)), [open]);
        assert_eq!(ids(Some(DisagreementStatus::Resolved)), [resolved]);
        assert_eq!(review.get(open).map(|d| d.child_id), Some(b.child_id()));
        assert!(review.get(Uuid::from_u128(7)).is_none());
        assert_eq!(review.of_child(a.child_id()).len(), 1);
        assert_eq!("open".parse(), Ok(DisagreementStatus::Open));
        assert!("closed".parse::<DisagreementStatus>().is_err());
    }

    #[test]
    fn data_of_an_older_shape_is_read_without_panicking() {
        // The stored data is broken as JSON on purpose: no typed builder can make a record
        // the domain would refuse.
        let (c, id, _) = disputed();
        let mut events = c.events().to_vec();
        for e in &mut events {
            match e.event_type.as_str() {
                DISAGREEMENT_RAISED => {
                    e.data = json!({ "disagreement_id": id.to_string(), "about_event_id": 5 });
                }
                DISAGREEMENT_ESCALATED => e.data["to_stage"] = json!("two"),
                DISAGREEMENT_RESOLVED => e.data = json!({ "disagreement_id": id.to_string() }),
                _ => {}
            }
        }
        // Records the domain cannot read are left out of the record (and logged): with its
        // raising record unreadable there is no thread to show, and nothing panics.
        assert!(disagreements(&events).is_empty());
        // An unreadable escalation alone leaves the thread at the stage before it.
        let mut events = c.events().to_vec();
        for e in &mut events {
            if e.event_type == DISAGREEMENT_ESCALATED {
                e.data["to_stage"] = json!("two");
            }
        }
        let d = &disagreements(&events)[0];
        assert_eq!((d.stage, d.stages.len()), (1, 1));
        assert_eq!(d.status, DisagreementStatus::Resolved);
    }

    /// Three children whose threads cross: one resolved and then its resolution retracted,
    /// one corrected, one about a record corrected after the disagreement was raised.
    fn tangled() -> Vec<StoredEvent> {
        let (mut a, _, _) = disputed();
        let resolution = a.events().last().map(|e| e.event_id).expect("events");
        a.retract(nov(20, 9), MASH, resolution);

        let mut b = ChildBuilder::register(5, "Great Yarmouth", "2013-01-01", nov(1, 9));
        b.delay = Duration::minutes(10);
        let talk = b.conversation(nov(2, 9), SCHOOL, "heard");
        let d = b.raise(nov(3, 9), HEALTH, talk);
        let e = b.escalate(nov(4, 9), HEALTH, d, 3, SCHOOL);
        let mut data = b.data_of(e);
        if let RecordData::DisagreementEscalated(x) = &mut data {
            x.to_stage = 2;
        }
        b.correct(nov(5, 9), HEALTH, e, data);

        let mut c = ChildBuilder::register(6, "Norwich", "2014-01-01", nov(1, 9));
        let (referral, _) = c.referral(nov(2, 9), POLICE, Some("6"), ConsentFor::Dispensed);
        let decided = c.decide(nov(2, 12), referral, ReferralDecision::EarlyHelp, 2, true);
        let d = c.raise(nov(3, 12), POLICE, decided);
        let mut data = c.data_of(decided);
        if let RecordData::ReferralDecided(x) = &mut data {
            x.decision = ReferralDecision::TargetedEarlyHelp;
            x.decided_level = tier(3);
        }
        c.correct(nov(4, 12), MASH, decided, data);
        c.resolve(nov(6, 12), POLICE, d, DisagreementOutcome::DecisionChanged);
        world(&[&a, &b, &c])
    }

    proptest! {
        #[test]
        fn the_review_does_not_depend_on_batches_or_order(
            shuffled in Just(tangled()).prop_shuffle(),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
            replay in any::<prop::sample::Index>(),
        ) {
            let expected = disagreements(&tangled());
            prop_assert_eq!(expected.len(), 3);

            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(shuffled.len() + 1)).collect();
            cuts.push(0);
            cuts.push(shuffled.len());
            cuts.sort_unstable();
            let mut review = DisagreementReview::new();
            for w in cuts.windows(2) {
                review.apply_all(&shuffled[w[0]..w[1]]);
            }
            // A page delivered twice changes nothing.
            let again = replay.index(shuffled.len());
            review.apply_all(&shuffled[again..]);

            let incremental: Vec<Disagreement> = review.list(None).into_iter().cloned().collect();
            prop_assert_eq!(&incremental, &expected);
            prop_assert_eq!(disagreements(&shuffled), expected);
        }
    }
}
