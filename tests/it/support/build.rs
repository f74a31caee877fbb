//! Small builders for request bodies, so a test reads as the practice it describes.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// A valid NHS number (check digit 9 with weights 10..2).
pub(crate) const NHS_NUMBER: &str = "9434765919";

pub(crate) fn person(agency: &str) -> Value {
    json!({ "name": "A Practitioner", "role": "designated_safeguarding_lead", "agency": agency })
}

pub(crate) fn new_id() -> Uuid {
    Uuid::new_v4()
}

/// A registration by `agency`, with an NHS number if given.
pub(crate) fn registration(agency: &str, nhs_number: Option<&str>) -> Value {
    let mut child = json!({
        "given_name": "Sam", "family_name": "Example", "date_of_birth": "2014-03-02",
        "gender": "male", "locality": "Norwich",
    });
    if let Some(n) = nhs_number {
        child["identifiers"] = json!({ "nhs_number": n });
    }
    json!({ "child": child, "occurred_at": ago(60 * 24 * 30), "recorded_by": person(agency) })
}

/// An RFC 3339 time `minutes` before now.
pub(crate) fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339()
}

/// A record of `kind` recorded by `agency`, `minutes` ago.
pub(crate) fn record(kind: &str, agency: &str, minutes_ago: i64, data: Value) -> Value {
    json!({ "type": kind, "occurred_at": ago(minutes_ago), "recorded_by": person(agency), "data": data })
}

pub(crate) fn level(tier: u8, basis: &str) -> Value {
    json!({ "tier": tier, "statutory_basis": basis })
}

pub(crate) fn conversation(agency: &str, at: i64) -> Value {
    record(
        "conversation_recorded",
        agency,
        at,
        json!({
            "conversation_id": new_id(), "kind": "with_child",
            "participants": [{ "relationship": "child" }],
            "worries": ["comes to school hungry"],
            "child_voice": { "views": "I don't want to go home" },
        }),
    )
}

pub(crate) fn consent_sought(agency: &str, at: i64, consent: Uuid, purpose: &str) -> Value {
    record(
        "consent_sought",
        agency,
        at,
        json!({
            "consent_id": consent, "purpose": purpose, "sought_from": { "relationship": "mother" },
            "explained": "a referral to the front door: what is shared, with whom and why",
        }),
    )
}

pub(crate) fn consent_refused(agency: &str, at: i64, consent: Uuid) -> Value {
    record(
        "consent_refused",
        agency,
        at,
        json!({ "consent_id": consent, "refused_by": { "relationship": "mother" } }),
    )
}

pub(crate) fn consent_given(agency: &str, at: i64, consent: Uuid) -> Value {
    record(
        "consent_given",
        agency,
        at,
        json!({ "consent_id": consent, "given_by": { "relationship": "mother" } }),
    )
}

pub(crate) fn referral_despite_refusal(
    agency: &str,
    at: i64,
    referral: Uuid,
    consent: Uuid,
) -> Value {
    record(
        "referral_made",
        agency,
        at,
        json!({
            "referral_id": referral, "to": "front_door", "concerns": ["bruising on arms"],
            "immediate_risk": false, "family_aware": true, "source": "2A",
            "consent": { "refused_consent_id": consent, "proceeding_reason": "risk of significant harm",
                         "front_door_told_consent_withheld": true },
        }),
    )
}

pub(crate) fn referral_decided(
    agency: &str,
    at: i64,
    referral: Uuid,
    decision: &str,
    tier: u8,
    basis: &str,
) -> Value {
    record(
        "referral_decided",
        agency,
        at,
        json!({
            "referral_id": referral, "decision": decision, "decided_level": level(tier, basis),
            "rationale": "injuries unexplained; police to be involved",
        }),
    )
}

pub(crate) fn step(
    kind: &str,
    agency: &str,
    at: i64,
    from: Value,
    to: Value,
    reason: &str,
) -> Value {
    record(
        kind,
        agency,
        at,
        json!({
            "from": from, "to": to, "reasons": [{ "kind": reason, "detail": "see decision" }],
            "rationale": "as decided", "decided_by": person(agency), "family_informed": true,
        }),
    )
}

pub(crate) fn strategy_discussion(agency: &str, at: i64, id: Uuid) -> Value {
    record(
        "strategy_discussion_held",
        agency,
        at,
        json!({
            "strategy_discussion_id": id,
            "participants": [person("police:norfolk"), person(agency)],
            "decision": "section_47_enquiry", "rationale": "reasonable cause to suspect significant harm",
        }),
    )
}

pub(crate) fn enquiry_started(agency: &str, at: i64, enquiry: Uuid, strategy: Uuid) -> Value {
    record(
        "section_47_enquiry_started",
        agency,
        at,
        json!({
            "enquiry_id": enquiry, "strategy_discussion_id": strategy, "lead": person(agency),
        }),
    )
}

pub(crate) fn enquiry_concluded(agency: &str, at: i64, enquiry: Uuid) -> Value {
    record(
        "section_47_enquiry_concluded",
        agency,
        at,
        json!({
            "enquiry_id": enquiry, "outcome": "substantiated_no_conference", "rationale": "family engaging",
        }),
    )
}

pub(crate) fn plan_started(agency: &str, at: i64, plan: Uuid) -> Value {
    record(
        "plan_started",
        agency,
        at,
        json!({
            "plan_id": plan, "kind": "child_in_need_plan", "lead": person(agency), "review_by": "2027-06-30",
        }),
    )
}

pub(crate) fn family_informed(agency: &str, at: i64, about: Uuid) -> Value {
    record(
        "family_informed",
        agency,
        at,
        json!({ "about_event_id": about, "how": "phone call", "by": person(agency) }),
    )
}

pub(crate) fn referrer_informed(agency: &str, at: i64, referral: Uuid) -> Value {
    record(
        "referrer_informed",
        agency,
        at,
        json!({ "referral_id": referral, "how": "email" }),
    )
}

pub(crate) fn correction(agency: &str, at: i64, of: Uuid, corrected_data: Value) -> Value {
    record(
        "record_corrected",
        agency,
        at,
        json!({
            "corrects_event_id": of, "reason": "mistyped", "corrected_data": corrected_data,
        }),
    )
}

pub(crate) fn retraction(agency: &str, at: i64, of: Uuid) -> Value {
    record(
        "record_corrected",
        agency,
        at,
        json!({ "corrects_event_id": of, "reason": "entered on the wrong child", "retract": true }),
    )
}
