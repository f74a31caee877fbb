//! The rules of docs/RECORDS.md that depend on a child's record: ids introduced must be new, ids
//! referred to must exist (and be open, given or dispensed as the rule says), levels must be
//! allowed by the framework and follow from the current one, and the rest.
//!
//! Each broken rule is an [`Invalid::rule`] whose detail names the rule in a practitioner's
//! words and whose field is the JSON path of the offending value. Shapes were checked when the
//! record was parsed; this module assumes them.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{ChildState, ConsentStatus, Services};
use crate::error::Invalid;
use crate::level::{Level, StatutoryBasis};
use crate::record::*;

type Checked = Result<RecordData, Invalid>;

/// What `family_informed.about_event_id` may name (docs/RECORDS.md, `family_informed`: a
/// referral, a service change or a change of tier); closing a case is a change of tier (back to 1).
pub(super) const FAMILY_TOLD_OF: &[&str] = &[
    "referral_made",
    "referral_decided",
    "service_started",
    "service_ended",
    "stepped_up",
    "stepped_down",
    "case_closed",
];

fn rule(detail: &str, field: &str, message: impl Into<String>) -> Invalid {
    Invalid::rule(detail, field, message)
}

fn new_id(exists: bool, field: &str, what: &str) -> Result<(), Invalid> {
    if exists {
        return Err(rule(
            &format!("A new {what} needs an id not used before for this child."),
            field,
            "is already used for this child",
        ));
    }
    Ok(())
}

fn known(exists: bool, field: &str, what: &str) -> Result<(), Invalid> {
    if !exists {
        return Err(rule(
            &format!("The {what} referred to must be on this child's record."),
            field,
            format!("no {what} with this id on this child's record"),
        ));
    }
    Ok(())
}

fn consent_status(state: &ChildState, id: Uuid) -> Option<ConsentStatus> {
    state.consents.get(&id).map(|c| c.status)
}

fn given(state: &ChildState, id: Uuid, field: &str, detail: &str) -> Result<(), Invalid> {
    match consent_status(state, id) {
        Some(ConsentStatus::Given) => Ok(()),
        Some(s) => Err(rule(
            detail,
            field,
            format!("this consent is {}, not given", status_word(s)),
        )),
        None => Err(rule(
            detail,
            field,
            "no consent with this id on this child's record",
        )),
    }
}

fn status_word(s: ConsentStatus) -> &'static str {
    match s {
        ConsentStatus::Sought => "sought",
        ConsentStatus::Given => "given",
        ConsentStatus::Refused => "refused",
        ConsentStatus::Withdrawn => "withdrawn",
        ConsentStatus::Dispensed => "dispensed with",
    }
}

fn allowed(services: &Services, level: Level, field: &str) -> Result<(), Invalid> {
    if services.framework.allows(level) {
        return Ok(());
    }
    let allowed: Vec<String> = services
        .framework
        .allowed_levels()
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    Err(rule(
        &format!(
            "The {} does not use this level.",
            services.framework.title()
        ),
        field,
        format!(
            "{level} is not one of the allowed levels: {}",
            allowed.join(", ")
        ),
    ))
}

fn has_text<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_some_and(|l| !l.is_empty())
}

/// Types that may still be recorded on a closed case: reopening it, putting right what is on
/// it, and what is owed or disputed about decisions already taken.
fn allowed_when_closed(r: &RecordData) -> bool {
    matches!(
        r,
        RecordData::CaseReopened(_)
            | RecordData::RecordCorrected(_)
            | RecordData::ChildDetailsUpdated(_)
            | RecordData::ReferrerInformed(_)
            | RecordData::FamilyInformed(_)
            | RecordData::InformationShared(_)
            | RecordData::InformationWithheld(_)
            | RecordData::DisagreementRaised(_)
            | RecordData::DisagreementEscalated(_)
            | RecordData::DisagreementResolved(_)
    )
}

/// Checks one record (not a correction), said to have happened `at`, against the state;
/// returns it, with anything the server adds (a `needs_assessed`'s suggestion).
pub(super) fn check(
    state: &ChildState,
    data: RecordData,
    at: DateTime<Utc>,
    services: &Services,
) -> Checked {
    if state.closed && !allowed_when_closed(&data) {
        return Err(rule(
            "The case is closed: reopen it (case_reopened) before recording new work on it.",
            "type",
            format!("{} cannot be recorded on a closed case", data.record_type()),
        ));
    }
    match data {
        RecordData::ConversationRecorded(c) => conversation(state, c),
        RecordData::NeedsAssessed(n) => needs_assessed(state, n, services),
        RecordData::ConsentSought(c) => {
            new_id(
                state.consents.contains_key(&c.consent_id),
                "data.consent_id",
                "consent",
            )?;
            Ok(RecordData::ConsentSought(c))
        }
        RecordData::ConsentGiven(c) => {
            const D: &str =
                "A consent given after it was withdrawn or dispensed with needs a new consent_id.";
            if let Some(
                s @ (ConsentStatus::Withdrawn | ConsentStatus::Dispensed | ConsentStatus::Given),
            ) = consent_status(state, c.consent_id)
            {
                return Err(rule(
                    D,
                    "data.consent_id",
                    format!("this consent is already {}", status_word(s)),
                ));
            }
            Ok(RecordData::ConsentGiven(c))
        }
        RecordData::ConsentRefused(c) => {
            const D: &str = "A refusal answers a consent that is being sought; a new request needs a new consent_id.";
            if let Some(
                s @ (ConsentStatus::Withdrawn | ConsentStatus::Dispensed | ConsentStatus::Refused),
            ) = consent_status(state, c.consent_id)
            {
                return Err(rule(
                    D,
                    "data.consent_id",
                    format!("this consent is already {}", status_word(s)),
                ));
            }
            Ok(RecordData::ConsentRefused(c))
        }
        RecordData::ConsentWithdrawn(c) => {
            given(
                state,
                c.consent_id,
                "data.consent_id",
                "Only a consent that was given can be withdrawn.",
            )?;
            Ok(RecordData::ConsentWithdrawn(c))
        }
        RecordData::ConsentDispensedWith(c) => {
            new_id(
                state.consents.contains_key(&c.consent_id),
                "data.consent_id",
                "consent",
            )?;
            if c.approved_by.is_none() && c.approval_not_possible_reason.is_none() {
                return Err(rule(
                    "A decision not to seek consent is approved by a manager where possible, or says why approval was not possible.",
                    "data.approved_by",
                    "give approved_by or approval_not_possible_reason",
                ));
            }
            Ok(RecordData::ConsentDispensedWith(c))
        }
        RecordData::InformationShared(i) => information_shared(state, i),
        RecordData::InformationWithheld(i) => Ok(RecordData::InformationWithheld(i)),
        RecordData::ReferralMade(r) => referral_made(state, r),
        RecordData::ReferralDecided(d) => {
            const D: &str = "A referral is decided once; a change is a correction or a professional disagreement.";
            match state.referrals.get(&d.referral_id) {
                None => {
                    return Err(rule(
                        "The referral decided must be on this child's record.",
                        "data.referral_id",
                        "no referral with this id on this child's record",
                    ));
                }
                Some(r) if r.decided.is_some() => {
                    return Err(rule(
                        D,
                        "data.referral_id",
                        "this referral is already decided",
                    ));
                }
                Some(_) => {}
            }
            allowed(services, d.decided_level, "data.decided_level")?;
            Ok(RecordData::ReferralDecided(d))
        }
        RecordData::ReferrerInformed(i) => {
            known(
                state.referrals.contains_key(&i.referral_id),
                "data.referral_id",
                "referral",
            )?;
            Ok(RecordData::ReferrerInformed(i))
        }
        RecordData::FamilyInformed(f) => {
            match state.events.get(&f.about_event_id) {
                None => known(false, "data.about_event_id", "record")?,
                Some(t) if !FAMILY_TOLD_OF.contains(t) => {
                    return Err(rule(
                        "A family is told of a referral, a service change or a change of tier.",
                        "data.about_event_id",
                        format!(
                            "names a {t}; it must name one of: {}",
                            FAMILY_TOLD_OF.join(", ")
                        ),
                    ));
                }
                Some(_) => {}
            }
            Ok(RecordData::FamilyInformed(f))
        }
        RecordData::SteppedUp(s) => step(state, s, true, services).map(RecordData::SteppedUp),
        RecordData::SteppedDown(s) => step(state, s, false, services).map(RecordData::SteppedDown),
        RecordData::LeadWorkerAssigned(l) => {
            if let Some(p) = l.plan_id {
                known(state.plans.contains_key(&p), "data.plan_id", "plan")?;
            }
            Ok(RecordData::LeadWorkerAssigned(l))
        }
        RecordData::ServiceStarted(s) => {
            new_id(
                state.services.contains_key(&s.service_id),
                "data.service_id",
                "service",
            )?;
            Ok(RecordData::ServiceStarted(s))
        }
        RecordData::ServiceEnded(s) => {
            match state.services.get(&s.service_id) {
                None => known(false, "data.service_id", "service")?,
                Some(svc) if !svc.open => {
                    return Err(rule(
                        "Only a service in place can end.",
                        "data.service_id",
                        "this service has already ended",
                    ));
                }
                Some(_) => {}
            }
            if let Some(p) = s.agreed_in_plan_id {
                known(
                    state.plans.contains_key(&p),
                    "data.agreed_in_plan_id",
                    "plan",
                )?;
            }
            Ok(RecordData::ServiceEnded(s))
        }
        RecordData::PlanStarted(p) => {
            new_id(state.plans.contains_key(&p.plan_id), "data.plan_id", "plan")?;
            if p.kind == PlanKind::ChildProtectionPlan && p.category.is_none() {
                return Err(rule(
                    "A child protection plan records its category (neglect, physical, emotional or sexual abuse, or multiple).",
                    "data.category",
                    "is required for a child protection plan",
                ));
            }
            one_statutory_plan_at_a_time(state, p.kind)?;
            if p.kind == PlanKind::ChildProtectionPlan {
                decided_by_a_conference(state, p.plan_id, at.date_naive())?;
            }
            Ok(RecordData::PlanStarted(p))
        }
        RecordData::PlanReviewed(p) => {
            open_plan(state, p.plan_id)?;
            Ok(RecordData::PlanReviewed(p))
        }
        RecordData::PlanEnded(p) => {
            open_plan(state, p.plan_id)?;
            Ok(RecordData::PlanEnded(p))
        }
        RecordData::StrategyDiscussionHeld(s) => {
            new_id(
                state
                    .strategy_discussions
                    .contains_key(&s.strategy_discussion_id),
                "data.strategy_discussion_id",
                "strategy discussion",
            )?;
            if s.participants.len() < 2 {
                return Err(rule(
                    "A strategy discussion involves at least two professionals (police and children's services expected).",
                    "data.participants",
                    "needs at least two people",
                ));
            }
            Ok(RecordData::StrategyDiscussionHeld(s))
        }
        RecordData::Section47EnquiryStarted(s) => {
            new_id(
                state.enquiries.contains_key(&s.enquiry_id),
                "data.enquiry_id",
                "section 47 enquiry",
            )?;
            match state.strategy_discussions.get(&s.strategy_discussion_id) {
                None => known(false, "data.strategy_discussion_id", "strategy discussion")?,
                Some(StrategyDecision::Section47Enquiry) => {}
                Some(_) => {
                    return Err(rule(
                        "A section 47 enquiry starts from a strategy discussion that decided on one.",
                        "data.strategy_discussion_id",
                        "this strategy discussion did not decide on a section 47 enquiry",
                    ));
                }
            }
            Ok(RecordData::Section47EnquiryStarted(s))
        }
        RecordData::Section47EnquiryConcluded(s) => {
            match state.enquiries.get(&s.enquiry_id) {
                None => known(false, "data.enquiry_id", "section 47 enquiry")?,
                Some(false) => {
                    return Err(rule(
                        "Only an open section 47 enquiry can be concluded.",
                        "data.enquiry_id",
                        "this enquiry is already concluded",
                    ));
                }
                Some(true) => {}
            }
            Ok(RecordData::Section47EnquiryConcluded(s))
        }
        RecordData::ChildProtectionConferenceHeld(c) => {
            new_id(
                state.conferences.contains(&c.conference_id),
                "data.conference_id",
                "conference",
            )?;
            let day = at.date_naive();
            if c.kind == ConferenceKind::Initial && !crate::calendar::is_working_day(day) {
                let what = crate::calendar::bank_holiday(day).map_or_else(
                    || day.format("a %A").to_string(),
                    std::borrow::ToOwned::to_owned,
                );
                return Err(rule(
                    "An initial child protection conference sits on a working day (census rule 8875); date it (occurred_at) on the day it sat.",
                    "occurred_at",
                    format!("{day} is {what}, not a working day"),
                ));
            }
            Ok(RecordData::ChildProtectionConferenceHeld(c))
        }
        RecordData::DisagreementRaised(d) => {
            new_id(
                state.disagreements.contains_key(&d.disagreement_id),
                "data.disagreement_id",
                "disagreement",
            )?;
            known(
                state.events.contains_key(&d.about_event_id),
                "data.about_event_id",
                "decision",
            )?;
            Ok(RecordData::DisagreementRaised(d))
        }
        RecordData::DisagreementEscalated(d) => {
            let current = open_disagreement(state, d.disagreement_id)?;
            if !(2..=4).contains(&d.to_stage) || d.to_stage <= current {
                return Err(rule(
                    "A disagreement escalates to a higher stage: 2 agency leads, 3 senior managers, 4 the safeguarding partnership.",
                    "data.to_stage",
                    format!("must be higher than the current stage {current} and at most 4"),
                ));
            }
            Ok(RecordData::DisagreementEscalated(d))
        }
        RecordData::DisagreementResolved(d) => {
            open_disagreement(state, d.disagreement_id)?;
            if let Some(f) = d.follow_up_event_id {
                known(
                    state.events.contains_key(&f),
                    "data.follow_up_event_id",
                    "record",
                )?;
            }
            Ok(RecordData::DisagreementResolved(d))
        }
        RecordData::CaseClosed(c) => {
            const D: &str =
                "A case closes only when no plan, section 47 enquiry or referral is still open.";
            if let Some(p) = state.plans.values().find(|p| p.open) {
                return Err(rule(D, "type", format!("plan {} is still open", p.plan_id)));
            }
            if let Some((id, _)) = state.enquiries.iter().find(|(_, open)| **open) {
                return Err(rule(
                    D,
                    "type",
                    format!("section 47 enquiry {id} is still open"),
                ));
            }
            if let Some(r) = state.referrals.values().find(|r| r.decided.is_none()) {
                return Err(rule(
                    D,
                    "type",
                    format!("referral {} is not decided", r.referral_id),
                ));
            }
            if let (Some(reason @ (ClosureReason::RC8 | ClosureReason::RC9)), Some(beyond)) =
                (c.closure_reason, state.beyond_assessment)
            {
                return Err(rule(
                    "RC8 and RC9 say a case closed after an assessment and nothing more (census rule 2990); a case that went further closes with another reason, usually RC7.",
                    "data.closure_reason",
                    format!(
                        "is {reason:?}, but the case had {} since it was opened",
                        beyond.words()
                    ),
                ));
            }
            Ok(RecordData::CaseClosed(c))
        }
        RecordData::CaseReopened(c) => {
            if !state.closed {
                return Err(rule(
                    "Only a closed case can be reopened.",
                    "type",
                    "the case is open",
                ));
            }
            Ok(RecordData::CaseReopened(c))
        }
        RecordData::ChildDetailsUpdated(u) => {
            if u.changes.is_empty() {
                return Err(rule(
                    "An update changes at least one detail.",
                    "data.changes",
                    "names no change",
                ));
            }
            if let Some(d) = &state.details {
                d.with_changes(&u.changes).map_err(|m| {
                    rule(
                        "The child's details after the change must still be complete.",
                        "data.changes",
                        m,
                    )
                })?;
            }
            Ok(RecordData::ChildDetailsUpdated(u))
        }
        // Corrections are checked by the aggregate, which holds the history.
        RecordData::RecordCorrected(c) => Ok(RecordData::RecordCorrected(c)),
    }
}

fn conversation(state: &ChildState, c: ConversationRecorded) -> Checked {
    new_id(
        state.conversations.contains(&c.conversation_id),
        "data.conversation_id",
        "conversation",
    )?;
    if !(has_text(&c.worries)
        || has_text(&c.working_well)
        || has_text(&c.needs_to_happen)
        || has_text(&c.facts))
    {
        return Err(rule(
            "A conversation records at least one of: what we are worried about, what is working well, what needs to happen, or the facts.",
            "data.worries",
            "give worries, working_well, needs_to_happen or facts",
        ));
    }
    if c.kind == ConversationKind::FrontDoorConsultation && c.advice.is_none() {
        return Err(rule(
            "Every consultation with the front door goes on the child's record with what was advised and why (no anonymous consultations).",
            "data.advice",
            "is required for a front_door_consultation",
        ));
    }
    if let Some(r) = c.about_referral_id {
        known(
            state.referrals.contains_key(&r),
            "data.about_referral_id",
            "referral",
        )?;
    }
    Ok(RecordData::ConversationRecorded(c))
}

fn needs_assessed(state: &ChildState, mut n: NeedsAssessed, services: &Services) -> Checked {
    new_id(
        state.assessments.contains(&n.assessment_id),
        "data.assessment_id",
        "assessment",
    )?;
    let f = services.framework;
    for (i, ind) in n.indicators.iter().flatten().enumerate() {
        if f.indicator(&ind.code).is_none() {
            return Err(rule(
                &format!(
                    "Indicator codes come from the {} descriptor catalogue (docs/FRAMEWORKS.md; GET /openapi.json lists them).",
                    f.title()
                ),
                &format!("data.indicators[{i}].code"),
                format!(
                    "`{}` is not an indicator of the {} framework",
                    ind.code,
                    f.name()
                ),
            ));
        }
    }
    for (i, code) in n.section_47_indicators.iter().flatten().enumerate() {
        if f.section_47(code).is_none() {
            return Err(rule(
                &format!(
                    "Section 47 indicator codes come from the {} section 47 list (docs/FRAMEWORKS.md).",
                    f.title()
                ),
                &format!("data.section_47_indicators[{i}]"),
                format!(
                    "`{code}` is not a section 47 indicator of the {} framework",
                    f.name()
                ),
            ));
        }
    }
    allowed(services, n.decided_level, "data.decided_level")?;
    if let Some(factors) = &n.factors
        && factors.len() > 1
        && let Some(i) = factors.iter().position(|x| x.as_str() == "21")
    {
        return Err(rule(
            "Factor 21 (no factors identified) stands alone.",
            &format!("data.factors[{i}]"),
            "21 cannot be given with other factors",
        ));
    }
    // The suggestion is stored beside the decision; it never replaces it.
    let suggested = {
        let (codes, s47) = n.indicator_codes();
        f.suggest(&codes, &s47)
    };
    n.suggested = Some(suggested);
    Ok(RecordData::NeedsAssessed(n))
}

fn information_shared(state: &ChildState, i: InformationShared) -> Checked {
    const D: &str = "Information shared rests on a consent given for a matching purpose, or says why it was shared without consent.";
    match (&i.consent_id, &i.without_consent_reason) {
        (None, None) => {
            return Err(rule(
                D,
                "data.consent_id",
                "give consent_id or without_consent_reason",
            ));
        }
        (Some(id), _) => {
            given(state, *id, "data.consent_id", D)?;
            let purpose = state.consents.get(id).and_then(|c| c.purpose);
            let matches = match purpose {
                None => true,
                Some(ConsentPurpose::InformationSharing) => true,
                Some(p) => serde_json::to_value(p)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s == i.purpose.as_str()))
                    .unwrap_or(false),
            };
            if !matches {
                return Err(rule(
                    D,
                    "data.consent_id",
                    format!("this consent was for another purpose than {}", i.purpose),
                ));
            }
        }
        (None, Some(_)) => {}
    }
    Ok(RecordData::InformationShared(i))
}

fn referral_made(state: &ChildState, r: ReferralMade) -> Checked {
    new_id(
        state.referrals.contains_key(&r.referral_id),
        "data.referral_id",
        "referral",
    )?;
    match &r.consent {
        ReferralConsent::Given { consent_id } => {
            given(
                state,
                *consent_id,
                "data.consent.consent_id",
                "A referral with consent names a consent that was given.",
            )?;
        }
        ReferralConsent::Dispensed {
            dispensed_consent_id,
        } => {
            if consent_status(state, *dispensed_consent_id) != Some(ConsentStatus::Dispensed) {
                return Err(rule(
                    "A referral without seeking consent names the recorded decision to dispense with it.",
                    "data.consent.dispensed_consent_id",
                    "no consent_dispensed_with with this id on this child's record",
                ));
            }
        }
        ReferralConsent::RefusedProceeding {
            refused_consent_id,
            proceeding_reason,
            front_door_told_consent_withheld,
        } => {
            const D: &str = "A referral made although consent was refused records why, and tells the front door that consent was withheld.";
            if consent_status(state, *refused_consent_id) != Some(ConsentStatus::Refused) {
                return Err(rule(
                    D,
                    "data.consent.refused_consent_id",
                    "no refused consent with this id on this child's record",
                ));
            }
            if proceeding_reason.is_none() {
                return Err(rule(
                    D,
                    "data.consent.proceeding_reason",
                    "say why the referral goes ahead without consent",
                ));
            }
            if *front_door_told_consent_withheld != Some(true) {
                return Err(rule(
                    D,
                    "data.consent.front_door_told_consent_withheld",
                    "must be true: the front door must be told consent was withheld",
                ));
            }
        }
    }
    Ok(RecordData::ReferralMade(r))
}

fn step(state: &ChildState, s: Step, up: bool, services: &Services) -> Result<Step, Invalid> {
    let current = state.current_level();
    if s.from != current {
        return Err(rule(
            "A step starts from the child's current level.",
            "data.from",
            format!("the child is at {current}, not {}", s.from),
        ));
    }
    allowed(services, s.to, "data.to")?;
    if up && s.to <= s.from {
        return Err(rule(
            "A step up goes to a higher level.",
            "data.to",
            format!("{} is not above {}", s.to, s.from),
        ));
    }
    if !up && s.to >= s.from {
        return Err(rule(
            "A step down goes to a lower level.",
            "data.to",
            format!("{} is not below {}", s.to, s.from),
        ));
    }
    if up
        && s.reasons
            .iter()
            .all(|r| r.kind == StepReasonKind::ConsentRefused)
    {
        return Err(rule(
            "A refusal of consent on its own is not a reason to escalate a case.",
            "data.reasons",
            "give a reason other than consent_refused",
        ));
    }
    let s17_to_none = s.from.tier == s.to.tier
        && s.from.statutory_basis == StatutoryBasis::Section17
        && s.to.statutory_basis == StatutoryBasis::None;
    if !up && s17_to_none {
        match s.consent_id {
            None => {
                return Err(rule(
                    "Stepping down from a social worker under section 17 within the same tier needs the family's consent.",
                    "data.consent_id",
                    "is required: name the family's given consent",
                ));
            }
            Some(id) => given(
                state,
                id,
                "data.consent_id",
                "Stepping down from section 17 within a tier needs the family's given consent.",
            )?,
        }
    } else if let Some(id) = s.consent_id {
        given(
            state,
            id,
            "data.consent_id",
            "A step names a consent that was given.",
        )?;
    }
    if let Some(a) = s.assessment_id {
        known(
            state.assessments.contains(&a),
            "data.assessment_id",
            "assessment",
        )?;
    }
    let mut seen = BTreeSet::new();
    for (i, svc) in s.continuing_services.iter().flatten().enumerate() {
        let open = state.services.get(svc).is_some_and(|x| x.open);
        if !open || !seen.insert(*svc) {
            return Err(rule(
                "Continuing services are services in place for this child.",
                &format!("data.continuing_services[{i}]"),
                "no service in place with this id",
            ));
        }
    }
    Ok(s)
}

/// A child in need plan and a child protection plan never run together (census rules 4001,
/// 4016, 4017): the one ends before the other starts, in the same batch if need be.
fn one_statutory_plan_at_a_time(state: &ChildState, kind: PlanKind) -> Result<(), Invalid> {
    let other = match kind {
        PlanKind::ChildInNeedPlan => PlanKind::ChildProtectionPlan,
        PlanKind::ChildProtectionPlan => PlanKind::ChildInNeedPlan,
        PlanKind::EarlyHelpPlan | PlanKind::FamilySupportPlan => return Ok(()),
    };
    let Some(open) = state.plans.values().find(|p| p.open && p.kind == other) else {
        return Ok(());
    };
    let (this, that) = match kind {
        PlanKind::ChildInNeedPlan => ("child in need", "child protection"),
        _ => ("child protection", "child in need"),
    };
    Err(rule(
        "A child in need plan and a child protection plan do not run together (census rules 4001, 4016, 4017): end the one (plan_ended) before the other starts, in the same batch if they change on the same day.",
        "data.kind",
        format!(
            "a {this} plan cannot start while {that} plan {} is open",
            open.plan_id
        ),
    ))
}

/// A child protection plan is decided by a child protection conference and starts on the day
/// it sat (census rules 2883, 2885): the conference is recorded first, with outcome
/// `plan_started`, naming this plan or none.
fn decided_by_a_conference(
    state: &ChildState,
    plan_id: Uuid,
    on: NaiveDate,
) -> Result<(), Invalid> {
    const D: &str = "A child protection plan starts on the day of the child protection conference that decided it (census rules 2883, 2885): record the conference (outcome plan_started) first, and date the plan (occurred_at) on the day the conference sat.";
    let deciding: Vec<NaiveDate> = state
        .plan_decisions
        .values()
        .filter(|d| d.plan_id.is_none_or(|id| id == plan_id))
        .map(|d| d.on)
        .collect();
    if deciding.contains(&on) {
        return Ok(());
    }
    match deciding.iter().max() {
        None => Err(rule(
            D,
            "data.kind",
            "no child protection conference on this child's record decided on a plan",
        )),
        Some(sat) => Err(rule(
            D,
            "occurred_at",
            format!("is {on}, but the conference that decided this plan sat on {sat}"),
        )),
    }
}

fn open_plan(state: &ChildState, id: Uuid) -> Result<(), Invalid> {
    match state.plans.get(&id) {
        None => known(false, "data.plan_id", "plan"),
        Some(p) if !p.open => Err(rule(
            "Only an open plan can be reviewed or ended.",
            "data.plan_id",
            "this plan has ended",
        )),
        Some(_) => Ok(()),
    }
}

fn open_disagreement(state: &ChildState, id: Uuid) -> Result<u8, Invalid> {
    match state.disagreements.get(&id) {
        None => known(false, "data.disagreement_id", "disagreement").map(|_| 0),
        Some(d) if !d.open => Err(rule(
            "Only an open disagreement can be escalated or resolved.",
            "data.disagreement_id",
            "this disagreement is resolved",
        )),
        Some(d) => Ok(d.stage),
    }
}
