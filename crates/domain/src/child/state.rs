//! The state and its fold: what the case view needs ([`ChildState`]: level, referrals, plans,
//! consents, obligations, standing, ...), how one event changes it (`apply`, which never fails),
//! and the history as it stands after every correction ([`Standing`]), folded again whenever a
//! correction changes it.
//!
//! It does not check rules (`decide`, `rules`): events already recorded always fold.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CHILD_REGISTERED, ChildEvent, EventBody};
use crate::calendar;
use crate::level::Level;
use crate::record::*;
use crate::registration::ChildDetails;
use crate::shapes::Person;

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
    /// Looked up, never listed: hashed rather than ordered, since a child's thousandth record
    /// then costs one probe here, not a walk down a tree of a thousand ids whose nodes are out
    /// of the cache (the two inserts a record were 1.4% of the server's CPU under load,
    /// docs/BENCHMARKS.md, sixteenth round). Written in id order, as before.
    #[serde(with = "sorted_ids")]
    pub conversations: HashSet<Uuid>,
    pub assessments: BTreeSet<Uuid>,
    pub disagreements: BTreeMap<Uuid, Disagreement>,
    pub consents: BTreeMap<Uuid, Consent>,
    /// Events the family must be told of, with when that became owed.
    pub family_to_inform: BTreeMap<Uuid, DateTime<Utc>>,
    pub closed: bool,
    /// Agencies that have recorded on this child (recorders may read only such children).
    pub agencies: BTreeSet<String>,
    /// Every event of this child that stands (not retracted), with its type. Hashed, as
    /// `conversations`; written in id order.
    #[serde(with = "event_types")]
    pub events: HashMap<Uuid, &'static str>,
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
            date_of_birth: self
                .details
                .as_ref()
                .and_then(super::super::registration::ChildDetails::date_of_birth),
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

    pub(super) fn apply(&mut self, e: &ChildEvent) {
        // A child's records come from a handful of agencies: the text is copied only for a new one.
        let agency = e.recorded_by.agency.as_str();
        if !self.agencies.contains(agency) {
            self.agencies.insert(agency.to_owned());
        }
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
                self.consent(c.consent_id, Some(c.purpose), ConsentStatus::Sought, id);
            }
            RecordData::ConsentGiven(c) => {
                self.consent(c.consent_id, None, ConsentStatus::Given, id);
            }
            RecordData::ConsentRefused(c) => {
                self.consent(c.consent_id, None, ConsentStatus::Refused, id);
            }
            RecordData::ConsentWithdrawn(c) => {
                self.consent(c.consent_id, None, ConsentStatus::Withdrawn, id);
            }
            RecordData::ConsentDispensedWith(c) => {
                self.consent(c.consent_id, Some(c.purpose), ConsentStatus::Dispensed, id);
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
                        self.went_beyond_assessment(BeyondAssessment::ChildInNeedPlan);
                    }
                    PlanKind::ChildProtectionPlan => {
                        self.went_beyond_assessment(BeyondAssessment::ChildProtectionPlan);
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
    use std::collections::{BTreeMap, HashMap};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use uuid::Uuid;

    use crate::record::RecordType;

    pub(super) fn serialize<S: Serializer>(
        events: &HashMap<Uuid, &'static str>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        events.iter().collect::<BTreeMap<_, _>>().serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<HashMap<Uuid, &'static str>, D::Error> {
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

/// A set of ids written in order, so that a kept state's bytes do not depend on the order a
/// hash set happens to hold them in.
mod sorted_ids {
    use std::collections::{BTreeSet, HashSet};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use uuid::Uuid;

    pub(super) fn serialize<S: Serializer>(ids: &HashSet<Uuid>, s: S) -> Result<S::Ok, S::Error> {
        ids.iter().collect::<BTreeSet<_>>().serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<HashSet<Uuid>, D::Error> {
        Vec::<Uuid>::deserialize(d).map(HashSet::from_iter)
    }
}

/// The version of the fold: what [`ChildState`] holds and how events change it. A state kept
/// outside the process ([`Child::resume`](super::Child::resume)) is only used by a build of the
/// same version; bump it whenever `ChildState` or its `apply` changes, so a kept state is folded
/// again instead.
pub const FOLD_VERSION: u32 = 2;

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
    pub(super) fn agency(&self) -> &str {
        match self {
            Standing::AsRecorded(e) | Standing::Retracted(e) => e.recorded_by.agency.as_str(),
            Standing::Corrected(e) => e.recorded_by.agency.as_str(),
        }
    }
}

/// A history with every correction applied: corrected data in place of the original,
/// retracted records marked, in recorded order ([`super::Child::standing`] for a child's
/// history; the read model, which keeps events without their fold, calls it on its own).
pub fn standing(history: &[ChildEvent]) -> Vec<Standing<'_>> {
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
pub(super) fn fold_effective(history: &[ChildEvent]) -> ChildState {
    fold_standing(history, history.len())
}

/// The state of the first `len` events of a history, with every correction in the whole
/// history applied to them.
pub(super) fn fold_standing(history: &[ChildEvent], len: usize) -> ChildState {
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
