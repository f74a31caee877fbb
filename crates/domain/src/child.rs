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

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::calendar;
use crate::envelope::RecordInput;
use crate::error::{FieldError, Invalid};
use crate::framework::Framework;
use crate::level::Level;
use crate::record::*;
use crate::registration::ChildDetails;
use crate::shapes::{self, Person};

/// How far ahead of the server's clock `occurred_at` may be (clock skew between systems).
pub const FUTURE_TOLERANCE_MINUTES: i64 = 5;

/// The type name of the registration event, which is never posted as a record.
pub const CHILD_REGISTERED: &str = "child_registered";

/// What a decision needs from outside: the deployment's framework and the current time.
#[derive(Debug, Clone, Copy)]
pub struct Services {
    pub framework: &'static Framework,
    pub now: DateTime<Utc>,
}

/// What an agency asks of a child's record.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildCommand {
    Register {
        event_id: Uuid,
        occurred_at: DateTime<Utc>,
        recorded_by: Person,
        details: Box<ChildDetails>,
    },
    /// One record (`batch: false`, errors at `data.…`) or a batch (errors at `records[i].…`),
    /// all accepted or none. Each record comes with the event id the caller minted for it.
    Append {
        records: Vec<(Uuid, RecordInput)>,
        batch: bool,
    },
}

/// What an event says happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Registered(ChildDetails),
    Record(RecordData),
}

impl EventBody {
    pub fn event_type(&self) -> &'static str {
        match self {
            EventBody::Registered(_) => CHILD_REGISTERED,
            EventBody::Record(r) => r.record_type().as_str(),
        }
    }
}

/// One event of a child's stream, as the domain sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildEvent {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_by: Person,
    pub body: EventBody,
}

/// The version every event type is written at today.
pub const EVENT_VERSION: u32 = 1;

/// An event read back could not be understood (a type this build does not know, or data
/// that no longer parses). Stored events are a contract with the future: this should never
/// happen for events this code wrote.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("event {event_id} of type {event_type} v{version} cannot be read: {problem}")]
pub struct UnreadableEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub version: u32,
    pub problem: String,
}

impl ChildEvent {
    pub fn event_type(&self) -> &'static str {
        self.body.event_type()
    }

    pub fn event_version(&self) -> u32 {
        EVENT_VERSION
    }

    /// The event's `data` as stored.
    pub fn data_json(&self) -> serde_json::Value {
        match &self.body {
            EventBody::Registered(d) => serde_json::to_value(d).unwrap_or(serde_json::Value::Null),
            EventBody::Record(r) => r.to_json(),
        }
    }

    /// Reads a stored event back, upcasting older versions of its data first.
    pub fn from_stored(
        event_id: Uuid,
        event_type: &str,
        version: u32,
        occurred_at: DateTime<Utc>,
        recorded_by: serde_json::Value,
        data: serde_json::Value,
    ) -> Result<ChildEvent, UnreadableEvent> {
        let unreadable = |problem: String| UnreadableEvent {
            event_id,
            event_type: event_type.to_owned(),
            version,
            problem,
        };
        let data = upcast(event_type, version, data).map_err(unreadable)?;
        let recorded_by: Person = shapes::parse_stored(recorded_by, "recorded_by")
            .map_err(|e| unreadable(e.to_string()))?;
        let body = if event_type == CHILD_REGISTERED {
            EventBody::Registered(
                ChildDetails::parse_stored(data, "data").map_err(|e| unreadable(e.to_string()))?,
            )
        } else {
            let t: RecordType = event_type
                .parse()
                .map_err(|e: crate::record::UnknownRecordType| unreadable(e.to_string()))?;
            EventBody::Record(
                RecordData::parse_stored(t, data).map_err(|e| unreadable(e.to_string()))?,
            )
        };
        Ok(ChildEvent {
            event_id,
            occurred_at,
            recorded_by,
            body,
        })
    }
}

/// Brings an older version of a type's data up to today's. Every type is at version 1, so
/// there is nothing to do yet; version 0 never existed and is refused, which the tests use to
/// prove the hook is consulted.
fn upcast(
    event_type: &str,
    version: u32,
    data: serde_json::Value,
) -> Result<serde_json::Value, String> {
    match version {
        EVENT_VERSION => Ok(data),
        v => Err(format!(
            "no upcaster from version {v} of {event_type} to version {EVENT_VERSION}"
        )),
    }
}

// --- State --------------------------------------------------------------------------------

/// How a consent stands: the latest of what was recorded for its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Sought,
    Given,
    Refused,
    Withdrawn,
    Dispensed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    pub consent_id: Uuid,
    pub purpose: Option<ConsentPurpose>,
    pub status: ConsentStatus,
    /// The events of this consent, oldest first.
    pub history: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    pub referral_id: Uuid,
    /// The agency that made it (it has standing with the child).
    pub made_by: String,
    pub made_event_id: Uuid,
    pub made_at: DateTime<Utc>,
    pub decided: Option<ReferralDecision>,
    pub decided_event_id: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub referrer_informed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub plan_id: Uuid,
    pub kind: PlanKind,
    /// Agencies that lead the plan or own one of its actions.
    pub agencies: BTreeSet<String>,
    pub review_by: NaiveDate,
    pub open: bool,
    pub started_event_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub service_id: Uuid,
    pub service: String,
    /// The agency that provides it.
    pub provider: String,
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    pub disagreement_id: Uuid,
    pub about_event_id: Uuid,
    pub stage: u8,
    /// When each stage began, stage 1 first.
    pub stages: Vec<(u8, DateTime<Utc>)>,
    pub open: bool,
}

/// A conference whose outcome was a child protection plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDecision {
    pub on: NaiveDate,
    pub plan_id: Option<Uuid>,
}

/// What took a case beyond an assessment alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeyondAssessment {
    Section47Enquiry,
    ChildInNeedPlan,
    ChildProtectionPlan,
    ChildProtectionConference,
}

impl BeyondAssessment {
    /// In a practitioner's words, for a refusal.
    pub fn words(self) -> &'static str {
        match self {
            BeyondAssessment::Section47Enquiry => "a section 47 enquiry",
            BeyondAssessment::ChildInNeedPlan => "a child in need plan",
            BeyondAssessment::ChildProtectionPlan => "a child protection plan",
            BeyondAssessment::ChildProtectionConference => "a child protection conference",
        }
    }
}

/// Something owed to the child or a partner until a later record meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    InformReferrer,
    InformFamily,
    DecideReferral,
    ReviewPlan,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Obligation {
    pub kind: ObligationKind,
    pub about_event_id: Uuid,
    pub due_by: DateTime<Utc>,
}

/// What the case view needs, folded from the events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildState {
    pub registered: bool,
    /// The agency that registered the child.
    pub registered_by: Option<String>,
    /// Whether the child was registered before birth (records dated before the birth are
    /// then about an unborn child).
    pub registered_unborn: bool,
    /// Agencies named in an `information_shared` record that stands.
    pub shared_with: BTreeSet<String>,
    pub details: Option<ChildDetails>,
    pub level: Option<Level>,
    pub level_since: Option<DateTime<Utc>>,
    pub lead_worker: Option<Person>,
    pub referrals: BTreeMap<Uuid, Referral>,
    pub plans: BTreeMap<Uuid, Plan>,
    pub services: BTreeMap<Uuid, Service>,
    pub strategy_discussions: BTreeMap<Uuid, StrategyDecision>,
    /// Section 47 enquiries: open or concluded.
    pub enquiries: BTreeMap<Uuid, bool>,
    pub conferences: BTreeSet<Uuid>,
    /// Conferences that decided a child protection plan: the day each sat and the plan it
    /// names, if it names one. A plan starts on its conference's day (census rules 2883, 2885).
    pub plan_decisions: BTreeMap<Uuid, PlanDecision>,
    /// The first statutory step beyond an assessment (a section 47 enquiry, a child in need or
    /// child protection plan, a conference) since the case last closed: a case that had one
    /// does not close with RC8 or RC9, which say "after an assessment, nothing more" (census
    /// rule 2990).
    pub beyond_assessment: Option<BeyondAssessment>,
    pub conversations: BTreeSet<Uuid>,
    pub assessments: BTreeSet<Uuid>,
    pub disagreements: BTreeMap<Uuid, Disagreement>,
    pub consents: BTreeMap<Uuid, Consent>,
    /// Events the family must be told of, with when that became owed.
    pub family_to_inform: BTreeMap<Uuid, DateTime<Utc>>,
    pub closed: bool,
    /// Agencies that have recorded on this child (recorders may read only such children).
    pub agencies: BTreeSet<String>,
    /// Every event of this child that stands (not retracted), with its type.
    #[serde(with = "event_types")]
    pub events: BTreeMap<Uuid, &'static str>,
}

impl ChildState {
    /// The child's level now (tier 1 until a step says otherwise).
    pub fn current_level(&self) -> Level {
        self.level.unwrap_or(Level::UNIVERSAL)
    }

    /// Whether `agency` has standing with the child (docs/CONTRACT.md): it registered the child,
    /// made a referral about them, was named in an `information_shared` record, provides one
    /// of their open services, leads or owns an action in one of their open plans, or is the
    /// lead worker's agency. Recording alone grants none. Retracted records count for nothing,
    /// since the state is folded with corrections applied.
    pub fn has_standing(&self, agency: &str) -> bool {
        self.registered_by.as_deref() == Some(agency)
            || self.referrals.values().any(|r| r.made_by == agency)
            || self.shared_with.contains(agency)
            || self
                .services
                .values()
                .any(|s| s.open && s.provider == agency)
            || self
                .plans
                .values()
                .any(|p| p.open && p.agencies.contains(agency))
            || self
                .lead_worker
                .as_ref()
                .is_some_and(|p| p.agency.as_str() == agency)
    }

    /// What the date rules need to know of the child's birth.
    pub fn born(&self) -> crate::dates::Born {
        crate::dates::Born {
            date_of_birth: self.details.as_ref().and_then(|d| d.date_of_birth()),
            registered_unborn: self.registered_unborn,
        }
    }

    /// What is owed now, soonest first.
    pub fn obligations(&self) -> Vec<Obligation> {
        let mut out = Vec::new();
        for r in self.referrals.values() {
            match (r.decided_at, r.referrer_informed) {
                (None, _) => out.push(Obligation {
                    kind: ObligationKind::DecideReferral,
                    about_event_id: r.made_event_id,
                    due_by: calendar::end_of_next_working_day(r.made_at),
                }),
                (Some(at), false) => out.push(Obligation {
                    kind: ObligationKind::InformReferrer,
                    about_event_id: r.decided_event_id.unwrap_or(r.made_event_id),
                    due_by: calendar::end_of_next_working_day(at),
                }),
                _ => {}
            }
        }
        for (about, since) in &self.family_to_inform {
            out.push(Obligation {
                kind: ObligationKind::InformFamily,
                about_event_id: *about,
                due_by: calendar::end_of_next_working_day(*since),
            });
        }
        for p in self.plans.values().filter(|p| p.open) {
            let end_of_day = p
                .review_by
                .succ_opt()
                .unwrap_or(p.review_by)
                .and_hms_opt(0, 0, 0);
            if let Some(t) = end_of_day {
                out.push(Obligation {
                    kind: ObligationKind::ReviewPlan,
                    about_event_id: p.started_event_id,
                    due_by: t.and_utc(),
                });
            }
        }
        out.sort_by(|a, b| {
            (a.due_by, a.kind, a.about_event_id).cmp(&(b.due_by, b.kind, b.about_event_id))
        });
        out
    }

    fn apply(&mut self, e: &ChildEvent) {
        self.agencies
            .insert(e.recorded_by.agency.as_str().to_owned());
        self.events.insert(e.event_id, e.event_type());
        let at = e.occurred_at;
        let id = e.event_id;
        let data = match &e.body {
            EventBody::Registered(d) => {
                self.registered = true;
                self.registered_by = Some(e.recorded_by.agency.as_str().to_owned());
                self.registered_unborn = d.expected_date_of_birth().is_some();
                self.details = Some(d.clone());
                self.level = Some(Level::UNIVERSAL);
                self.level_since = Some(at);
                return;
            }
            EventBody::Record(r) => r,
        };
        match data {
            RecordData::ChildDetailsUpdated(u) => {
                if let Some(d) = &self.details
                    && let Ok(changed) = d.with_changes(&u.changes)
                {
                    self.details = Some(changed);
                }
            }
            RecordData::ConversationRecorded(c) => {
                self.conversations.insert(c.conversation_id);
            }
            RecordData::NeedsAssessed(n) => {
                self.assessments.insert(n.assessment_id);
            }
            RecordData::ConsentSought(c) => {
                self.consent(c.consent_id, Some(c.purpose), ConsentStatus::Sought, id)
            }
            RecordData::ConsentGiven(c) => {
                self.consent(c.consent_id, None, ConsentStatus::Given, id)
            }
            RecordData::ConsentRefused(c) => {
                self.consent(c.consent_id, None, ConsentStatus::Refused, id)
            }
            RecordData::ConsentWithdrawn(c) => {
                self.consent(c.consent_id, None, ConsentStatus::Withdrawn, id)
            }
            RecordData::ConsentDispensedWith(c) => {
                self.consent(c.consent_id, Some(c.purpose), ConsentStatus::Dispensed, id)
            }
            RecordData::InformationShared(i) => {
                self.shared_with
                    .extend(i.shared_with.iter().map(|a| a.as_str().to_owned()));
            }
            RecordData::InformationWithheld(_) => {}
            RecordData::ReferralMade(r) => {
                self.referrals.insert(
                    r.referral_id,
                    Referral {
                        referral_id: r.referral_id,
                        made_by: e.recorded_by.agency.as_str().to_owned(),
                        made_event_id: id,
                        made_at: at,
                        decided: None,
                        decided_event_id: None,
                        decided_at: None,
                        referrer_informed: false,
                    },
                );
                if matches!(r.consent, ReferralConsent::RefusedProceeding { .. }) {
                    self.family_to_inform.insert(id, at);
                }
            }
            RecordData::ReferralDecided(d) => {
                if let Some(r) = self.referrals.get_mut(&d.referral_id) {
                    r.decided = Some(d.decision);
                    r.decided_event_id = Some(id);
                    r.decided_at = Some(at);
                    r.referrer_informed = d.referrer_informed.is_some();
                }
            }
            RecordData::ReferrerInformed(i) => {
                if let Some(r) = self.referrals.get_mut(&i.referral_id) {
                    r.referrer_informed = true;
                }
            }
            RecordData::FamilyInformed(f) => {
                self.family_to_inform.remove(&f.about_event_id);
            }
            RecordData::SteppedUp(s) | RecordData::SteppedDown(s) => {
                self.level = Some(s.to);
                self.level_since = Some(at);
                if s.family_informed != Some(true) {
                    self.family_to_inform.insert(id, at);
                }
            }
            RecordData::LeadWorkerAssigned(l) => self.lead_worker = Some(l.lead_worker.clone()),
            RecordData::ServiceStarted(s) => {
                self.services.insert(
                    s.service_id,
                    Service {
                        service_id: s.service_id,
                        service: s.service.as_str().to_owned(),
                        provider: s.provider.as_str().to_owned(),
                        open: true,
                    },
                );
                if s.family_informed != Some(true) {
                    self.family_to_inform.insert(id, at);
                }
            }
            RecordData::ServiceEnded(s) => {
                if let Some(svc) = self.services.get_mut(&s.service_id) {
                    svc.open = false;
                }
                if s.family_informed != Some(true) {
                    self.family_to_inform.insert(id, at);
                }
            }
            RecordData::PlanStarted(p) => {
                match p.kind {
                    PlanKind::ChildInNeedPlan => {
                        self.went_beyond_assessment(BeyondAssessment::ChildInNeedPlan)
                    }
                    PlanKind::ChildProtectionPlan => {
                        self.went_beyond_assessment(BeyondAssessment::ChildProtectionPlan)
                    }
                    PlanKind::EarlyHelpPlan | PlanKind::FamilySupportPlan => {}
                }
                self.plans.insert(
                    p.plan_id,
                    Plan {
                        plan_id: p.plan_id,
                        kind: p.kind,
                        agencies: std::iter::once(p.lead.agency.as_str().to_owned())
                            .chain(action_agencies(p.actions.as_deref()))
                            .collect(),
                        review_by: p.review_by,
                        open: true,
                        started_event_id: id,
                    },
                );
            }
            RecordData::PlanReviewed(p) => {
                if let Some(plan) = self.plans.get_mut(&p.plan_id) {
                    plan.review_by = p.next_review_by;
                    plan.agencies.extend(action_agencies(p.actions.as_deref()));
                }
            }
            RecordData::PlanEnded(p) => {
                if let Some(plan) = self.plans.get_mut(&p.plan_id) {
                    plan.open = false;
                }
            }
            RecordData::StrategyDiscussionHeld(s) => {
                self.strategy_discussions
                    .insert(s.strategy_discussion_id, s.decision);
            }
            RecordData::Section47EnquiryStarted(s) => {
                self.went_beyond_assessment(BeyondAssessment::Section47Enquiry);
                self.enquiries.insert(s.enquiry_id, true);
            }
            RecordData::Section47EnquiryConcluded(s) => {
                self.enquiries.insert(s.enquiry_id, false);
            }
            RecordData::ChildProtectionConferenceHeld(c) => {
                self.went_beyond_assessment(BeyondAssessment::ChildProtectionConference);
                self.conferences.insert(c.conference_id);
                if c.outcome == ConferenceOutcome::PlanStarted {
                    self.plan_decisions.insert(
                        c.conference_id,
                        PlanDecision {
                            on: at.date_naive(),
                            plan_id: c.plan_id,
                        },
                    );
                }
            }
            RecordData::DisagreementRaised(d) => {
                self.disagreements.insert(
                    d.disagreement_id,
                    Disagreement {
                        disagreement_id: d.disagreement_id,
                        about_event_id: d.about_event_id,
                        stage: 1,
                        stages: vec![(1, at)],
                        open: true,
                    },
                );
            }
            RecordData::DisagreementEscalated(d) => {
                if let Some(x) = self.disagreements.get_mut(&d.disagreement_id) {
                    x.stage = d.to_stage;
                    x.stages.push((d.to_stage, at));
                }
            }
            RecordData::DisagreementResolved(d) => {
                if let Some(x) = self.disagreements.get_mut(&d.disagreement_id) {
                    x.open = false;
                }
            }
            // Corrections are applied by re-folding the history in `Child::apply`.
            RecordData::RecordCorrected(_) => {}
            RecordData::CaseClosed(_) => {
                self.closed = true;
                self.beyond_assessment = None;
                self.level = Some(Level::UNIVERSAL);
                self.level_since = Some(at);
            }
            RecordData::CaseReopened(_) => self.closed = false,
        }
    }

    fn went_beyond_assessment(&mut self, how: BeyondAssessment) {
        self.beyond_assessment.get_or_insert(how);
    }

    fn consent(
        &mut self,
        consent_id: Uuid,
        purpose: Option<ConsentPurpose>,
        status: ConsentStatus,
        event_id: Uuid,
    ) {
        let c = self.consents.entry(consent_id).or_insert(Consent {
            consent_id,
            purpose,
            status,
            history: Vec::new(),
        });
        c.status = status;
        if c.purpose.is_none() {
            c.purpose = purpose;
        }
        c.history.push(event_id);
    }
}

/// The agencies of the practitioners who own `actions`.
fn action_agencies(actions: Option<&[crate::shapes::Action]>) -> impl Iterator<Item = String> + '_ {
    actions
        .into_iter()
        .flatten()
        .filter_map(|a| match &a.owner {
            crate::shapes::Party::Person(p) => Some(p.agency.as_str().to_owned()),
            crate::shapes::Party::FamilyMember(_) => None,
        })
}

/// The event types of a state's `events`, written as their names and read back as this
/// build's own names (an unknown name cannot be a type this build folded, so the state is
/// refused and folded from the events instead).
mod event_types {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use uuid::Uuid;

    use crate::record::RecordType;

    pub(super) fn serialize<S: Serializer>(
        events: &BTreeMap<Uuid, &'static str>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        events.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Uuid, &'static str>, D::Error> {
        let named: BTreeMap<Uuid, String> = BTreeMap::deserialize(d)?;
        named
            .into_iter()
            .map(|(id, name)| {
                let t: &'static str = if name == super::CHILD_REGISTERED {
                    super::CHILD_REGISTERED
                } else {
                    name.parse::<RecordType>()
                        .map_err(serde::de::Error::custom)?
                        .as_str()
                };
                Ok((id, t))
            })
            .collect()
    }
}

/// The version of the fold: what [`ChildState`] holds and how events change it. A state kept
/// outside the process ([`Child::resume`]) is only used by a build of the same version; bump
/// it whenever `ChildState` or its `apply` changes, so a kept state is folded again instead.
pub const FOLD_VERSION: u32 = 2;

// --- The aggregate ----------------------------------------------------------------------------

/// A child's record: every event in order and the state they fold to.
///
/// A child resumed from a kept state ([`Child::resume`]) holds only the events after it: its
/// state and sequence are whole, and it decides single records that correct nothing; a batch or
/// a correction, which weigh the whole history, need the child folded from all its events
/// ([`Child::is_whole`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Child {
    history: Vec<ChildEvent>,
    state: ChildState,
    /// Events folded into `state` before `history` begins (0 for a whole history).
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

    /// Whether the whole history is held (not resumed from a kept state). A batch, a
    /// correction and anything that walks the history need a whole child.
    pub fn is_whole(&self) -> bool {
        self.resumed_at == 0
    }

    pub fn state(&self) -> &ChildState {
        &self.state
    }

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
        self.history.push(e);
        if refold {
            self.state = fold_effective(&self.history);
        } else if let Some(last) = self.history.last() {
            self.state.apply(last);
        }
    }

    /// Decides a command against the current state: the events to record, or why not.
    pub fn decide(
        &self,
        command: ChildCommand,
        services: &Services,
    ) -> Result<Vec<ChildEvent>, Invalid> {
        match command {
            ChildCommand::Register {
                event_id,
                occurred_at,
                recorded_by,
                details,
            } => {
                if self.state.registered {
                    return Err(Invalid::rule(
                        "This child is already registered.",
                        "child",
                        "already registered",
                    ));
                }
                check_not_future(occurred_at, services, "occurred_at")?;
                crate::dates::check_registration(&details, occurred_at)?;
                Ok(vec![ChildEvent {
                    event_id,
                    occurred_at,
                    recorded_by,
                    body: EventBody::Registered(*details),
                }])
            }
            ChildCommand::Append { mut records, batch } => {
                // One record that corrects nothing joins the state as it is: no copy of the
                // history to decide against (what keeps an append to a long record cheap).
                if !batch
                    && records.len() == 1
                    && !matches!(records[0].1.data, RecordData::RecordCorrected(_))
                    && let Some((event_id, input)) = records.pop()
                {
                    return Ok(vec![self.decide_one(event_id, input, services)?]);
                }
                let mut scratch = self.clone();
                let mut out = Vec::with_capacity(records.len());
                for (i, (event_id, input)) in records.into_iter().enumerate() {
                    let prefix = if batch {
                        format!("records[{i}]")
                    } else {
                        String::new()
                    };
                    let event = scratch
                        .decide_one(event_id, input, services)
                        .map_err(|e| e.prefixed(&prefix))?;
                    scratch.apply(event.clone());
                    out.push(event);
                }
                self.check_still_sound(&scratch, &out, batch, services)?;
                Ok(out)
            }
        }
    }

    /// A correction or retraction may not pull the ground from under a later record: retracting
    /// a plan that was since reviewed, or correcting a step so the next step's `from` no longer
    /// matches, would leave the journey telling something that could not have been recorded.
    /// Checked once for the whole command, so a batch may correct a record and its dependants
    /// together; only records that break because of this command count, so a history recorded
    /// under older rules does not block new corrections.
    fn check_still_sound(
        &self,
        after: &Child,
        recorded: &[ChildEvent],
        batch: bool,
        services: &Services,
    ) -> Result<(), Invalid> {
        let Some(first) = recorded
            .iter()
            .position(|e| matches!(&e.body, EventBody::Record(RecordData::RecordCorrected(_))))
        else {
            return Ok(());
        };
        let broken = unsound(&after.history, services);
        if broken.is_empty() {
            return Ok(());
        }
        let before = unsound(&self.history, services);
        let Some((id, (kind, why))) = broken.into_iter().find(|(id, _)| !before.contains_key(id))
        else {
            return Ok(());
        };
        let field = if batch {
            format!("records[{first}].data.corrects_event_id")
        } else {
            "data.corrects_event_id".to_owned()
        };
        Err(Invalid::rule(
            "A correction or retraction may not leave a later record resting on something that no longer stands: correct or retract that record first, or in the same batch.",
            field,
            format!(
                "record {id} ({}) would no longer pass: {why}",
                kind.as_str()
            ),
        ))
    }

    fn decide_one(
        &self,
        event_id: Uuid,
        input: RecordInput,
        services: &Services,
    ) -> Result<ChildEvent, Invalid> {
        if !self.state.registered {
            return Err(Invalid::rule(
                "Records can only be added to a registered child.",
                "",
                "the child is not registered",
            ));
        }
        if self.state.events.contains_key(&event_id)
            || self.history.iter().any(|e| e.event_id == event_id)
        {
            return Err(Invalid::rule(
                "Each record has its own event id.",
                "event_id",
                "already used for this child",
            ));
        }
        check_not_future(input.occurred_at, services, "occurred_at")?;
        let RecordInput {
            occurred_at,
            recorded_by,
            data,
        } = input;
        crate::dates::check_record(&data, occurred_at, self.state.born())?;
        let data = match data {
            RecordData::RecordCorrected(c) => {
                RecordData::RecordCorrected(self.check_correction(c, services)?)
            }
            other => rules::check(&self.state, other, occurred_at, services)?,
        };
        Ok(ChildEvent {
            event_id,
            occurred_at,
            recorded_by,
            body: EventBody::Record(data),
        })
    }

    fn check_correction(
        &self,
        c: RecordCorrected,
        services: &Services,
    ) -> Result<RecordCorrected, Invalid> {
        const RULE: &str = "A correction points at a record of this child (not its registration or another correction) and either gives the whole corrected data or retracts it.";
        let Some(pos) = self
            .history
            .iter()
            .position(|e| e.event_id == c.corrects_event_id)
        else {
            return Err(Invalid::rule(
                RULE,
                "data.corrects_event_id",
                "no record of this child has this id",
            ));
        };
        let target = &self.history[pos];
        let target_type = match &target.body {
            EventBody::Registered(_) => {
                return Err(Invalid::rule(
                    RULE,
                    "data.corrects_event_id",
                    "a registration is changed with child_details_updated, not corrected",
                ));
            }
            EventBody::Record(RecordData::RecordCorrected(_)) => {
                return Err(Invalid::rule(
                    RULE,
                    "data.corrects_event_id",
                    "correct the original record, not a correction",
                ));
            }
            EventBody::Record(r) => r.record_type(),
        };
        if !self.state.events.contains_key(&c.corrects_event_id) {
            return Err(Invalid::rule(
                RULE,
                "data.corrects_event_id",
                "this record was retracted",
            ));
        }
        match (&c.corrected_data, c.retract) {
            (Some(_), Some(true)) => Err(Invalid::rule(
                RULE,
                "data.retract",
                "give corrected_data or retract: true, not both",
            )),
            (None, Some(true)) => Ok(c),
            (None, _) => Err(Invalid::rule(
                RULE,
                "data.corrected_data",
                "give the whole corrected data, or retract: true",
            )),
            (Some(data), _) => {
                let parsed = RecordData::parse(target_type, data.clone())
                    .map_err(|e| reroot(e, "data.corrected_data"))?;
                // The corrected data must pass its type's rules against the records before the
                // original as they stand now (earlier corrections, in this batch too, applied).
                let before = fold_standing(&self.history, pos);
                crate::dates::check_record(&parsed, target.occurred_at, before.born())
                    .map_err(|e| reroot(e, "data.corrected_data"))?;
                rules::check(&before, parsed, target.occurred_at, services)
                    .map_err(|e| reroot(e, "data.corrected_data"))?;
                Ok(c)
            }
        }
    }
}

/// Moves an error's `data.…` paths under `root` (a correction's corrected data).
fn reroot(e: Invalid, root: &str) -> Invalid {
    let errors: Vec<FieldError> = e
        .errors()
        .iter()
        .map(|f| FieldError {
            field: f.field.replacen("data", root, 1),
            message: f.message.clone(),
        })
        .collect();
    e.with_errors(errors)
}

fn check_not_future(at: DateTime<Utc>, services: &Services, field: &str) -> Result<(), Invalid> {
    if at > services.now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        return Err(Invalid::rule(
            "A record cannot say it happened more than 5 minutes in the future.",
            field,
            format!(
                "is after the server's clock ({}) by more than 5 minutes",
                services.now.to_rfc3339()
            ),
        ));
    }
    Ok(())
}

/// One event of a history as it stands after every correction: what every view of the
/// child reads, so that corrections are resolved in one place (the domain) for the case, the
/// rules and the read models alike.
#[derive(Debug, Clone)]
pub enum Standing<'a> {
    /// As recorded.
    AsRecorded(&'a ChildEvent),
    /// With its corrected data in place of the original.
    Corrected(Box<ChildEvent>),
    /// Retracted: out of the state, though still in the history and the audit.
    Retracted(&'a ChildEvent),
}

impl Standing<'_> {
    /// The event as it stands, unless retracted.
    pub fn event(&self) -> Option<&ChildEvent> {
        match self {
            Standing::AsRecorded(e) => Some(e),
            Standing::Corrected(e) => Some(e),
            Standing::Retracted(_) => None,
        }
    }

    /// Whether a correction replaced its data.
    pub fn is_corrected(&self) -> bool {
        matches!(self, Standing::Corrected(_))
    }

    /// Whether a retraction took it out.
    pub fn is_retracted(&self) -> bool {
        matches!(self, Standing::Retracted(_))
    }

    /// Who recorded it (a retracted record's agency still counts as having recorded).
    fn agency(&self) -> &str {
        match self {
            Standing::AsRecorded(e) | Standing::Retracted(e) => e.recorded_by.agency.as_str(),
            Standing::Corrected(e) => e.recorded_by.agency.as_str(),
        }
    }
}

/// A history with every correction applied: corrected data in place of the original,
/// retracted records marked, in recorded order.
fn standing(history: &[ChildEvent]) -> Vec<Standing<'_>> {
    let mut corrections: BTreeMap<Uuid, Option<&serde_json::Value>> = BTreeMap::new();
    for e in history {
        if let EventBody::Record(RecordData::RecordCorrected(c)) = &e.body {
            let replacement = if c.retract == Some(true) {
                None
            } else {
                c.corrected_data.as_ref()
            };
            corrections.insert(c.corrects_event_id, replacement);
        }
    }
    history
        .iter()
        .map(|e| match corrections.get(&e.event_id) {
            None => Standing::AsRecorded(e),
            Some(None) => Standing::Retracted(e),
            Some(Some(data)) => {
                let replaced = match &e.body {
                    EventBody::Record(r) => RecordData::parse(r.record_type(), (*data).clone())
                        .ok()
                        .map(EventBody::Record),
                    EventBody::Registered(_) => None,
                };
                match replaced {
                    Some(body) => Standing::Corrected(Box::new(ChildEvent { body, ..e.clone() })),
                    None => Standing::AsRecorded(e),
                }
            }
        })
        .collect()
}

/// The state of a history with every correction applied.
fn fold_effective(history: &[ChildEvent]) -> ChildState {
    fold_standing(history, history.len())
}

/// The state of the first `len` events of a history, with every correction in the whole
/// history applied to them.
fn fold_standing(history: &[ChildEvent], len: usize) -> ChildState {
    let mut state = ChildState::default();
    for s in standing(history).into_iter().take(len) {
        match s.event() {
            Some(e) => state.apply(e),
            None => {
                state.agencies.insert(s.agency().to_owned());
            }
        }
    }
    state
}

/// The records of a history that, as it stands after its corrections, would not pass their
/// rules against what stood before them: each with its type and the rule it breaks.
///
/// Corrections themselves are not re-checked (they were checked against the history they
/// corrected), nor is the registration.
fn unsound(history: &[ChildEvent], services: &Services) -> BTreeMap<Uuid, (RecordType, String)> {
    let mut out = BTreeMap::new();
    let mut state = ChildState::default();
    for s in standing(history) {
        let Some(e) = s.event() else {
            state.agencies.insert(s.agency().to_owned());
            continue;
        };
        if let EventBody::Record(r) = &e.body
            && !matches!(r, RecordData::RecordCorrected(_))
            && let Err(why) = rules::check(&state, r.clone(), e.occurred_at, services)
        {
            out.insert(e.event_id, (r.record_type(), why.detail().to_owned()));
        }
        state.apply(e);
    }
    out
}

// --- Serde ------------------------------------------------------------------------------

impl Serialize for ChildEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ChildEvent", 5)?;
        st.serialize_field("event_id", &self.event_id)?;
        st.serialize_field("type", self.event_type())?;
        st.serialize_field("occurred_at", &self.occurred_at)?;
        st.serialize_field("recorded_by", &self.recorded_by)?;
        st.serialize_field("data", &self.data_json())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for ChildEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            event_id: Uuid,
            #[serde(rename = "type")]
            event_type: String,
            occurred_at: DateTime<Utc>,
            recorded_by: serde_json::Value,
            data: serde_json::Value,
        }
        let r = Raw::deserialize(d)?;
        ChildEvent::from_stored(
            r.event_id,
            &r.event_type,
            EVENT_VERSION,
            r.occurred_at,
            r.recorded_by,
            r.data,
        )
        .map_err(serde::de::Error::custom)
    }
}

mod rules;

#[cfg(test)]
mod tests;
