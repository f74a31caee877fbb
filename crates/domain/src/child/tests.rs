//! Rules through one `check(given, when, then)` helper, obligations, corrections, and property
//! tests of the fold.

use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::level::{StatutoryBasis, Tier};
use crate::registration::ChildDetailsFields;

mod census_practice;

fn services() -> Services {
    Services {
        framework: Framework::by_name("norfolk").unwrap(),
        now: t(30),
    }
}

/// Day `d` of November 2026 at 10:00 UTC (the 20th is a Friday).
fn t(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d.min(30), 10, 0, 0).unwrap()
}

fn person(agency: &str) -> Value {
    json!({ "name": "A Practitioner", "role": "practitioner", "agency": agency })
}

fn school() -> Value {
    person("school:norwich-high")
}

fn id() -> Uuid {
    Uuid::new_v4()
}

/// A record posted by a school on day `d`.
fn rec(d: u32, kind: &str, data: Value) -> (Uuid, RecordInput) {
    let body = json!({ "type": kind, "occurred_at": t(d).to_rfc3339(), "recorded_by": school(), "data": data });
    (
        id(),
        RecordInput::parse(body).unwrap_or_else(|e| panic!("{kind}: {e}")),
    )
}

fn registered() -> Child {
    let details = ChildDetails::new(ChildDetailsFields {
        given_name: "Sam".parse_text(),
        family_name: "Example".parse_text(),
        date_of_birth: NaiveDate::from_ymd_opt(2012, 3, 2),
        expected_date_of_birth: None,
        gender: serde_json::from_value(json!("male")).unwrap(),
        ethnicity: None,
        disability: vec![],
        locality: "Norwich".parse_text(),
        identifiers: None,
    })
    .unwrap();
    let recorded_by: Person = serde_json::from_value(school()).unwrap();
    let cmd = ChildCommand::Register {
        event_id: id(),
        occurred_at: t(1),
        recorded_by,
        details: Box::new(details),
    };
    Child::from_events(Child::default().decide(cmd, &services()).unwrap())
}

trait ParseText {
    fn parse_text(self) -> crate::shapes::Text;
}
impl ParseText for &str {
    fn parse_text(self) -> crate::shapes::Text {
        crate::shapes::Text::new(self).unwrap()
    }
}

/// The child after `given`, each record decided and applied in turn (they must all pass).
fn after(given: Vec<(Uuid, RecordInput)>) -> Child {
    let mut c = registered();
    for r in given {
        let kind = r.1.record_type();
        let events = c
            .decide(
                ChildCommand::Append {
                    records: vec![r],
                    batch: false,
                },
                &services(),
            )
            .unwrap_or_else(|e| panic!("given {kind} was refused: {e}"));
        for e in events {
            c.apply(e);
        }
    }
    c
}

/// `when` must break a rule: the error is a 422 at `field` whose detail contains `detail`.
fn check(given: Vec<(Uuid, RecordInput)>, when: (Uuid, RecordInput), field: &str, detail: &str) {
    // A fresh event id, so a record reused as both given and when breaks its own rule rather
    // than the one-id-per-event rule.
    let when = (id(), when.1);
    let kind = when.1.record_type();
    let c = after(given);
    let e = c
        .decide(
            ChildCommand::Append {
                records: vec![when],
                batch: false,
            },
            &services(),
        )
        .err()
        .unwrap_or_else(|| panic!("{kind} should break the rule \"{detail}\""));
    assert_eq!(e.kind(), crate::InvalidKind::Rule, "{kind}: {e}");
    assert_eq!(e.errors()[0].field, field, "{kind}: {e}");
    // `detail` names the rule; the rule's wording or the field's message must carry it.
    assert!(
        e.detail().contains(detail) || e.errors()[0].message.contains(detail),
        "{kind}: detail was {:?}, message {:?}",
        e.detail(),
        e.errors()[0].message
    );
}

fn accept(given: Vec<(Uuid, RecordInput)>, when: (Uuid, RecordInput)) -> Child {
    let mut all = given;
    all.push(when);
    after(all)
}

// --- builders of common records ------------------------------------------------------

fn sought(consent: Uuid, purpose: &str) -> (Uuid, RecordInput) {
    rec(
        2,
        "consent_sought",
        json!({ "consent_id": consent, "purpose": purpose, "sought_from": { "relationship": "mother" }, "explained": "who sees what and why" }),
    )
}
fn given_consent(consent: Uuid) -> (Uuid, RecordInput) {
    rec(
        2,
        "consent_given",
        json!({ "consent_id": consent, "given_by": { "relationship": "mother" } }),
    )
}
fn refused(consent: Uuid) -> (Uuid, RecordInput) {
    rec(
        2,
        "consent_refused",
        json!({ "consent_id": consent, "refused_by": { "relationship": "mother" } }),
    )
}
fn referral(referral: Uuid, consent: Value) -> (Uuid, RecordInput) {
    rec(
        3,
        "referral_made",
        json!({ "referral_id": referral, "to": "front_door", "concerns": ["bruising"], "immediate_risk": false, "family_aware": true, "consent": consent }),
    )
}
fn decided(referral: Uuid, tier: u8) -> (Uuid, RecordInput) {
    rec(
        4,
        "referral_decided",
        json!({ "referral_id": referral, "decision": "early_help", "decided_level": { "tier": tier }, "rationale": "r" }),
    )
}
fn step(kind: &str, from: Value, to: Value, reason: &str) -> (Uuid, RecordInput) {
    rec(
        5,
        kind,
        json!({ "from": from, "to": to, "reasons": [{ "kind": reason, "detail": "d" }], "rationale": "r", "decided_by": school(), "family_informed": true }),
    )
}
fn plan(plan: Uuid, kind: &str) -> (Uuid, RecordInput) {
    rec(
        6,
        "plan_started",
        json!({ "plan_id": plan, "kind": kind, "lead": school(), "review_by": "2026-12-20", "category": "neglect" }),
    )
}
fn strategy(sd: Uuid, decision: &str) -> (Uuid, RecordInput) {
    rec(
        7,
        "strategy_discussion_held",
        json!({ "strategy_discussion_id": sd, "participants": [person("police:norfolk"), school()], "decision": decision, "rationale": "r" }),
    )
}
fn conversation(c: Uuid) -> (Uuid, RecordInput) {
    rec(
        2,
        "conversation_recorded",
        json!({ "conversation_id": c, "kind": "with_child", "participants": [{ "relationship": "child" }], "worries": ["hungry"] }),
    )
}
fn lvl(tier: u8, basis: &str) -> Value {
    json!({ "tier": tier, "statutory_basis": basis })
}

// --- every rule, broken ------------------------------------------------------------------

#[test]
fn conversations() {
    let c = id();
    check(
        vec![conversation(c)],
        conversation(c),
        "data.conversation_id",
        "id not used before",
    );
    check(
        vec![],
        rec(
            2,
            "conversation_recorded",
            json!({ "conversation_id": id(), "kind": "with_child", "participants": [{ "relationship": "child" }], "opinions": ["fine"] }),
        ),
        "data.worries",
        "at least one of",
    );
    check(
        vec![],
        rec(
            2,
            "conversation_recorded",
            json!({ "conversation_id": id(), "kind": "front_door_consultation", "participants": [school()], "facts": ["f"] }),
        ),
        "data.advice",
        "no anonymous consultations",
    );
    check(
        vec![],
        rec(
            2,
            "conversation_recorded",
            json!({ "conversation_id": id(), "kind": "with_child", "participants": [school()], "facts": ["f"], "about_referral_id": id() }),
        ),
        "data.about_referral_id",
        "must be on this child's record",
    );
}

#[test]
fn assessments() {
    let a = id();
    let ok = |aid: Uuid| {
        rec(
            8,
            "needs_assessed",
            json!({ "assessment_id": aid, "assessment": "single_assessment", "decided_level": { "tier": 2 }, "rationale": "r" }),
        )
    };
    check(
        vec![ok(a)],
        ok(a),
        "data.assessment_id",
        "id not used before",
    );
    check(
        vec![],
        rec(
            8,
            "needs_assessed",
            json!({ "assessment_id": id(), "assessment": "screening", "indicators": [{ "code": "NOR-CD-01-T2" }, { "code": "XYZ" }], "decided_level": { "tier": 2 }, "rationale": "r" }),
        ),
        "data.indicators[1].code",
        "descriptor catalogue",
    );
    check(
        vec![],
        rec(
            8,
            "needs_assessed",
            json!({ "assessment_id": id(), "assessment": "screening", "section_47_indicators": ["NOPE"], "decided_level": { "tier": 4, "statutory_basis": "section_47" }, "rationale": "r" }),
        ),
        "data.section_47_indicators[0]",
        "section 47 list",
    );
    check(
        vec![],
        rec(
            8,
            "needs_assessed",
            json!({ "assessment_id": id(), "assessment": "screening", "decided_level": { "tier": 4, "statutory_basis": "section_17" }, "rationale": "r" }),
        ),
        "data.decided_level",
        "does not use this level",
    );
    check(
        vec![],
        rec(
            8,
            "needs_assessed",
            json!({ "assessment_id": id(), "assessment": "screening", "decided_level": { "tier": 2 }, "rationale": "r", "factors": ["1A", "21"] }),
        ),
        "data.factors[1]",
        "stands alone",
    );
}

#[test]
fn an_assessment_stores_the_suggestion_beside_the_decision() {
    let c = accept(
        vec![],
        rec(
            8,
            "needs_assessed",
            json!({ "assessment_id": id(), "assessment": "single_assessment", "section_47_indicators": ["NOR-S47-17"], "decided_level": { "tier": 3 }, "rationale": "family engaging" }),
        ),
    );
    let Some(ChildEvent {
        body: EventBody::Record(RecordData::NeedsAssessed(n)),
        ..
    }) = c.history().last()
    else {
        panic!("no assessment")
    };
    let s = n.suggested.as_ref().unwrap();
    assert_eq!(s.level, Level::new(Tier::FOUR, StatutoryBasis::Section47));
    assert_eq!(
        n.decided_level,
        Level::new(Tier::THREE, StatutoryBasis::None),
        "never overridden"
    );
    // And it survives storage.
    let last = c.history().last().unwrap();
    let back = ChildEvent::from_stored(
        last.event_id,
        last.event_type(),
        1,
        last.occurred_at,
        serde_json::to_value(&last.recorded_by).unwrap(),
        last.data_json(),
    )
    .unwrap();
    assert_eq!(&back, last);
}

#[test]
fn consents() {
    let k = id();
    check(
        vec![sought(k, "referral")],
        sought(k, "referral"),
        "data.consent_id",
        "id not used before",
    );
    check(
        vec![
            sought(k, "referral"),
            given_consent(k),
            rec(
                2,
                "consent_withdrawn",
                json!({ "consent_id": k, "withdrawn_by": { "relationship": "mother" } }),
            ),
        ],
        given_consent(k),
        "data.consent_id",
        "needs a new consent_id",
    );
    check(
        vec![sought(k, "referral")],
        rec(
            2,
            "consent_withdrawn",
            json!({ "consent_id": k, "withdrawn_by": { "relationship": "mother" } }),
        ),
        "data.consent_id",
        "Only a consent that was given",
    );
    check(
        vec![sought(k, "referral"), refused(k)],
        refused(k),
        "data.consent_id",
        "new request needs a new consent_id",
    );
    check(
        vec![],
        rec(
            2,
            "consent_dispensed_with",
            json!({ "consent_id": id(), "purpose": "referral", "grounds": ["risk_to_child"], "reasons": "r" }),
        ),
        "data.approved_by",
        "approved by a manager",
    );
    check(
        vec![sought(k, "referral")],
        rec(
            2,
            "consent_dispensed_with",
            json!({ "consent_id": k, "purpose": "referral", "grounds": ["risk_to_child"], "reasons": "r", "approved_by": school() }),
        ),
        "data.consent_id",
        "id not used before",
    );
}

#[test]
fn information_sharing() {
    let k = id();
    let shared = |consent: Option<Uuid>, purpose: &str| {
        let mut d = json!({ "purpose": purpose, "shared_with": ["police:norfolk"], "what": "w" });
        if let Some(c) = consent {
            d["consent_id"] = json!(c);
        }
        rec(3, "information_shared", d)
    };
    check(
        vec![],
        shared(None, "referral"),
        "data.consent_id",
        "or says why",
    );
    check(
        vec![sought(k, "referral")],
        shared(Some(k), "referral"),
        "data.consent_id",
        "consent given",
    );
    check(
        vec![sought(k, "service"), given_consent(k)],
        shared(Some(k), "referral"),
        "data.consent_id",
        "matching purpose",
    );
    accept(
        vec![sought(k, "information_sharing"), given_consent(k)],
        shared(Some(k), "referral"),
    );
}

#[test]
fn referrals() {
    let (r, k) = (id(), id());
    check(
        vec![
            sought(k, "referral"),
            given_consent(k),
            referral(r, json!({ "consent_id": k })),
        ],
        referral(r, json!({ "consent_id": k })),
        "data.referral_id",
        "id not used before",
    );
    check(
        vec![sought(k, "referral")],
        referral(r, json!({ "consent_id": k })),
        "data.consent.consent_id",
        "consent that was given",
    );
    check(
        vec![],
        referral(r, json!({ "dispensed_consent_id": k })),
        "data.consent.dispensed_consent_id",
        "dispense",
    );
    check(
        vec![sought(k, "referral"), refused(k)],
        referral(
            r,
            json!({ "refused_consent_id": k, "front_door_told_consent_withheld": true }),
        ),
        "data.consent.proceeding_reason",
        "records why",
    );
    check(
        vec![sought(k, "referral"), refused(k)],
        referral(
            r,
            json!({ "refused_consent_id": k, "proceeding_reason": "risk" }),
        ),
        "data.consent.front_door_told_consent_withheld",
        "tells the front door",
    );
    check(
        vec![sought(k, "referral"), given_consent(k)],
        referral(
            r,
            json!({ "refused_consent_id": k, "proceeding_reason": "risk", "front_door_told_consent_withheld": true }),
        ),
        "data.consent.refused_consent_id",
        "consent was refused",
    );
    let made = vec![
        sought(k, "referral"),
        given_consent(k),
        referral(r, json!({ "consent_id": k })),
    ];
    let mut twice = made.clone_records();
    twice.push(decided(r, 2));
    check(twice, decided(r, 2), "data.referral_id", "decided once");
    check(
        vec![],
        decided(r, 2),
        "data.referral_id",
        "must be on this child's record",
    );
    check(
        made.clone_records(),
        decided(r, 5 - 1).with_level(lvl(4, "section_17")),
        "data.decided_level",
        "does not use this level",
    );
    check(
        vec![],
        rec(
            5,
            "referrer_informed",
            json!({ "referral_id": id(), "how": "phone" }),
        ),
        "data.referral_id",
        "must be on this child's record",
    );
    check(
        vec![],
        rec(
            5,
            "family_informed",
            json!({ "about_event_id": id(), "how": "letter", "by": school() }),
        ),
        "data.about_event_id",
        "must be on this child's record",
    );
    // A family is told of a referral, a service change or a change of tier; not of a
    // conversation.
    let talk = conversation(id());
    let talk_id = talk.0;
    check(
        vec![talk],
        rec(
            5,
            "family_informed",
            json!({ "about_event_id": talk_id, "how": "letter", "by": school() }),
        ),
        "data.about_event_id",
        "referral, a service change or a change of tier",
    );
    let up = step("stepped_up", lvl(1, "none"), lvl(2, "none"), "indicators");
    let up_id = up.0;
    accept(
        vec![up],
        rec(
            6,
            "family_informed",
            json!({ "about_event_id": up_id, "how": "letter", "by": school() }),
        ),
    );
}

#[test]
fn steps() {
    check(
        vec![],
        step("stepped_up", lvl(2, "none"), lvl(3, "none"), "indicators"),
        "data.from",
        "current level",
    );
    check(
        vec![],
        step(
            "stepped_up",
            lvl(1, "none"),
            lvl(4, "section_17"),
            "indicators",
        ),
        "data.to",
        "does not use this level",
    );
    check(
        vec![step(
            "stepped_up",
            lvl(1, "none"),
            lvl(2, "none"),
            "indicators",
        )],
        step("stepped_up", lvl(2, "none"), lvl(1, "none"), "indicators"),
        "data.to",
        "higher level",
    );
    check(
        vec![],
        step("stepped_down", lvl(1, "none"), lvl(2, "none"), "needs_met"),
        "data.to",
        "lower level",
    );
    check(
        vec![],
        step(
            "stepped_up",
            lvl(1, "none"),
            lvl(2, "none"),
            "consent_refused",
        ),
        "data.reasons",
        "not a reason to escalate",
    );
    let at_17 = vec![step(
        "stepped_up",
        lvl(1, "none"),
        lvl(3, "section_17"),
        "assessment",
    )];
    check(
        at_17.clone_records(),
        step(
            "stepped_down",
            lvl(3, "section_17"),
            lvl(3, "none"),
            "needs_met",
        ),
        "data.consent_id",
        "needs the family's consent",
    );
    let k = id();
    let mut with_sought = at_17.clone_records();
    with_sought.push(sought(k, "step_down"));
    let mut down = step(
        "stepped_down",
        lvl(3, "section_17"),
        lvl(3, "none"),
        "needs_met",
    );
    down = down.with_field("consent_id", json!(k));
    check(
        with_sought.clone_records(),
        down.clone_record(),
        "data.consent_id",
        "given consent",
    );
    with_sought.push(given_consent(k));
    accept(with_sought, down);
    check(
        vec![],
        step("stepped_up", lvl(1, "none"), lvl(2, "none"), "indicators")
            .with_field("assessment_id", json!(id())),
        "data.assessment_id",
        "must be on this child's record",
    );
    check(
        vec![],
        step("stepped_up", lvl(1, "none"), lvl(2, "none"), "indicators")
            .with_field("continuing_services", json!([id()])),
        "data.continuing_services[0]",
        "services in place",
    );
}

#[test]
fn services_and_plans() {
    let (s, p) = (id(), id());
    let started = rec(
        5,
        "service_started",
        json!({ "service_id": s, "service": "parenting group", "provider": "council:early-help", "family_informed": true }),
    );
    check(
        vec![started.clone_record()],
        started.clone_record(),
        "data.service_id",
        "id not used before",
    );
    let ended = rec(
        6,
        "service_ended",
        json!({ "service_id": s, "reason": "done", "family_informed": true }),
    );
    check(
        vec![],
        ended.clone_record(),
        "data.service_id",
        "must be on this child's record",
    );
    check(
        vec![started.clone_record(), ended.clone_record()],
        ended.clone_record(),
        "data.service_id",
        "in place can end",
    );
    check(
        vec![plan(p, "early_help_plan")],
        plan(p, "early_help_plan"),
        "data.plan_id",
        "id not used before",
    );
    check(
        vec![],
        rec(
            6,
            "plan_started",
            json!({ "plan_id": id(), "kind": "child_protection_plan", "lead": school(), "review_by": "2026-12-20" }),
        ),
        "data.category",
        "records its category",
    );
    let review = rec(
        7,
        "plan_reviewed",
        json!({ "plan_id": p, "progress": "p", "next_review_by": "2027-01-20" }),
    );
    check(
        vec![],
        review.clone_record(),
        "data.plan_id",
        "must be on this child's record",
    );
    let end = rec(
        8,
        "plan_ended",
        json!({ "plan_id": p, "reason": "needs_met" }),
    );
    check(
        vec![plan(p, "early_help_plan"), end.clone_record()],
        review,
        "data.plan_id",
        "Only an open plan",
    );
    check(
        vec![],
        rec(
            6,
            "lead_worker_assigned",
            json!({ "lead_worker": school(), "plan_id": id() }),
        ),
        "data.plan_id",
        "must be on this child's record",
    );
}

#[test]
fn child_protection() {
    let (sd, e) = (id(), id());
    check(
        vec![strategy(sd, "section_47_enquiry")],
        strategy(sd, "section_47_enquiry"),
        "data.strategy_discussion_id",
        "id not used before",
    );
    check(
        vec![],
        rec(
            7,
            "strategy_discussion_held",
            json!({ "strategy_discussion_id": id(), "participants": [school()], "decision": "no_section_47", "rationale": "r" }),
        ),
        "data.participants",
        "at least two",
    );
    let start = |sd: Uuid| {
        rec(
            8,
            "section_47_enquiry_started",
            json!({ "enquiry_id": e, "strategy_discussion_id": sd, "lead": school() }),
        )
    };
    check(
        vec![],
        start(sd),
        "data.strategy_discussion_id",
        "must be on this child's record",
    );
    check(
        vec![strategy(sd, "no_section_47")],
        start(sd),
        "data.strategy_discussion_id",
        "decided on one",
    );
    check(
        vec![strategy(sd, "section_47_enquiry"), start(sd)],
        start(sd),
        "data.enquiry_id",
        "id not used before",
    );
    let conclude = rec(
        9,
        "section_47_enquiry_concluded",
        json!({ "enquiry_id": e, "outcome": "not_substantiated", "rationale": "r" }),
    );
    check(
        vec![],
        conclude.clone_record(),
        "data.enquiry_id",
        "must be on this child's record",
    );
    check(
        vec![
            strategy(sd, "section_47_enquiry"),
            start(sd),
            conclude.clone_record(),
        ],
        conclude,
        "data.enquiry_id",
        "already concluded"
            .replace("already concluded", "Only an open")
            .as_str(),
    );
    let conf = id();
    let held = rec(
        10,
        "child_protection_conference_held",
        json!({ "conference_id": conf, "kind": "initial", "chair": school(), "attendees": ["police:norfolk"], "outcome": "no_plan" }),
    );
    check(
        vec![held.clone_record()],
        held,
        "data.conference_id",
        "id not used before",
    );
}

#[test]
fn disagreements() {
    let (d, k) = (id(), id());
    let base = sought(k, "referral");
    let about = base.0;
    let raised = rec(
        4,
        "disagreement_raised",
        json!({ "disagreement_id": d, "about_event_id": about, "raised_by": school(), "position": "p", "desired_outcome": "o" }),
    );
    check(
        vec![base.clone_record(), raised.clone_record()],
        raised.clone_record(),
        "data.disagreement_id",
        "id not used before",
    );
    check(
        vec![],
        rec(
            4,
            "disagreement_raised",
            json!({ "disagreement_id": id(), "about_event_id": id(), "raised_by": school(), "position": "p", "desired_outcome": "o" }),
        ),
        "data.about_event_id",
        "must be on this child's record",
    );
    let escalate = |stage: u8| {
        rec(
            5,
            "disagreement_escalated",
            json!({ "disagreement_id": d, "to_stage": stage, "escalated_by": school(), "positions": [{ "party": school(), "position": "p" }], "reason": "r" }),
        )
    };
    check(
        vec![base.clone_record(), raised.clone_record()],
        escalate(1),
        "data.to_stage",
        "higher stage",
    );
    check(
        vec![base.clone_record(), raised.clone_record(), escalate(3)],
        escalate(2),
        "data.to_stage",
        "higher stage",
    );
    check(
        vec![base.clone_record(), raised.clone_record()],
        escalate(5),
        "data.to_stage",
        "higher stage",
    );
    check(
        vec![],
        escalate(2),
        "data.disagreement_id",
        "must be on this child's record",
    );
    let resolve = rec(
        6,
        "disagreement_resolved",
        json!({ "disagreement_id": d, "outcome": "decision_upheld", "resolution": "r", "resolved_by": school() }),
    );
    check(
        vec![
            base.clone_record(),
            raised.clone_record(),
            resolve.clone_record(),
        ],
        escalate(2),
        "data.disagreement_id",
        "Only an open disagreement",
    );
    check(
        vec![base.clone_record(), raised.clone_record()],
        resolve.with_field("follow_up_event_id", json!(id())),
        "data.follow_up_event_id",
        "must be on this child's record",
    );
}

#[test]
fn closing_and_reopening() {
    let p = id();
    let close = rec(
        10,
        "case_closed",
        json!({ "reason": "needs met", "closed_by": school() }),
    );
    check(
        vec![plan(p, "early_help_plan")],
        close.clone_record(),
        "type",
        "no plan",
    );
    let (r, k) = (id(), id());
    check(
        vec![
            sought(k, "referral"),
            given_consent(k),
            referral(r, json!({ "consent_id": k })),
        ],
        close.clone_record(),
        "type",
        "no plan, section 47 enquiry or referral",
    );
    let reopen = rec(11, "case_reopened", json!({ "reason": "new worries" }));
    check(vec![], reopen.clone_record(), "type", "Only a closed case");
    check(
        vec![close.clone_record()],
        conversation(id()),
        "type",
        "The case is closed",
    );
    let c = accept(vec![close.clone_record()], reopen);
    assert!(!c.state().closed);
}

#[test]
fn the_future_is_five_minutes_away() {
    let mut r = conversation(id());
    r.1.occurred_at = services().now + Duration::minutes(6);
    check(
        vec![],
        r,
        "occurred_at",
        "more than 5 minutes in the future",
    );
    let mut ok = conversation(id());
    ok.1.occurred_at = services().now + Duration::minutes(4);
    accept(vec![], ok);
}

#[test]
fn corrections() {
    let c = id();
    let original = conversation(c);
    let target = original.0;
    let correct = |data: Value| {
        rec(
            12,
            "record_corrected",
            json!({ "corrects_event_id": target, "reason": "typo" }).merged(data),
        )
    };
    check(
        vec![],
        correct(json!({ "retract": true })),
        "data.corrects_event_id",
        "A correction points at a record of this child",
    );
    check(
        vec![original.clone_record()],
        correct(json!({})),
        "data.corrected_data",
        "either gives the whole corrected data",
    );
    check(
        vec![original.clone_record()],
        correct(json!({ "retract": true, "corrected_data": {} })),
        "data.retract",
        "retracts it",
    );
    // Corrected data must pass its type's rules: no worries, facts etc. any more.
    check(
        vec![original.clone_record()],
        correct(
            json!({ "corrected_data": { "conversation_id": c, "kind": "with_child", "participants": [{ "relationship": "child" }], "opinions": ["o"] } }),
        ),
        "data.corrected_data.worries",
        "at least one of",
    );
    // A retracted record cannot be corrected again, nor a correction corrected.
    let retraction = correct(json!({ "retract": true }));
    let retraction_id = retraction.0;
    check(
        vec![original.clone_record(), retraction.clone_record()],
        correct(json!({ "retract": true })),
        "data.corrects_event_id",
        "retracted",
    );
    check(
        vec![original.clone_record(), retraction],
        rec(
            13,
            "record_corrected",
            json!({ "corrects_event_id": retraction_id, "reason": "r", "retract": true }),
        ),
        "data.corrects_event_id",
        "A correction points",
    );
}

/// A correction of `target` on day 12: `extra` is `{"retract": true}` or the corrected data.
fn correction_of(target: Uuid, extra: Value) -> (Uuid, RecordInput) {
    rec(
        12,
        "record_corrected",
        json!({ "corrects_event_id": target, "reason": "entered in error" }).merged(extra),
    )
}

#[test]
fn a_retraction_may_not_leave_a_later_record_on_nothing() {
    // A plan since reviewed cannot be retracted while the review stands...
    let p = id();
    let started = plan(p, "early_help_plan");
    let started_id = started.0;
    let reviewed = rec(
        7,
        "plan_reviewed",
        json!({ "plan_id": p, "progress": "some", "next_review_by": "2027-01-10" }),
    );
    let reviewed_id = reviewed.0;
    check(
        vec![started.clone_record(), reviewed.clone_record()],
        correction_of(started_id, json!({ "retract": true })),
        "data.corrects_event_id",
        "may not leave a later record resting on something that no longer stands",
    );
    let c = after(vec![started.clone_record(), reviewed.clone_record()]);
    let e = c
        .decide(
            ChildCommand::Append {
                records: vec![correction_of(started_id, json!({ "retract": true }))],
                batch: false,
            },
            &services(),
        )
        .unwrap_err();
    assert!(
        e.errors()[0].message.contains(&reviewed_id.to_string())
            && e.errors()[0].message.contains("plan_reviewed"),
        "the message names the record that would break: {e}"
    );
    // ... but the review first, then the plan, is fine: one by one or in one batch.
    let c = accept(
        vec![started.clone_record(), reviewed.clone_record()],
        correction_of(reviewed_id, json!({ "retract": true })),
    );
    let c = {
        let mut c = c;
        let events = c
            .decide(
                ChildCommand::Append {
                    records: vec![correction_of(started_id, json!({ "retract": true }))],
                    batch: false,
                },
                &services(),
            )
            .unwrap();
        events.into_iter().for_each(|e| c.apply(e));
        c
    };
    assert!(c.state().plans.is_empty());
    let c = after(vec![started, reviewed]);
    let events = c
        .decide(
            ChildCommand::Append {
                records: vec![
                    correction_of(reviewed_id, json!({ "retract": true })),
                    correction_of(started_id, json!({ "retract": true })),
                ],
                batch: true,
            },
            &services(),
        )
        .unwrap();
    assert_eq!(events.len(), 2);
}

#[test]
fn a_correction_may_not_break_the_steps_after_it_unless_they_are_corrected_with_it() {
    let up = step("stepped_up", lvl(1, "none"), lvl(3, "none"), "indicators");
    let down = step("stepped_down", lvl(3, "none"), lvl(2, "none"), "needs_met");
    let (up_id, down_id) = (up.0, down.0);
    let to_4 = |id| {
        correction_of(
            id,
            json!({ "corrected_data": { "from": lvl(1, "none"), "to": lvl(4, "section_47"), "reasons": [{ "kind": "indicators", "detail": "d" }], "rationale": "r", "decided_by": school() } }),
        )
    };
    let from_4 = correction_of(
        down_id,
        json!({ "corrected_data": { "from": lvl(4, "section_47"), "to": lvl(2, "none"), "reasons": [{ "kind": "needs_met", "detail": "d" }], "rationale": "r", "decided_by": school() } }),
    );
    // Alone, the step-up's correction leaves the step-down starting from a level the child
    // was not at.
    check(
        vec![up.clone_record(), down.clone_record()],
        to_4(up_id),
        "data.corrects_event_id",
        "current level",
    );
    // Both in one batch: the step-down's corrected data is checked against the corrected
    // step-up before it.
    let c = after(vec![up, down]);
    let events = c
        .decide(
            ChildCommand::Append {
                records: vec![to_4(up_id), from_4],
                batch: true,
            },
            &services(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = c;
    events.into_iter().for_each(|e| c.apply(e));
    assert_eq!(
        c.state().current_level(),
        Level::new(Tier::TWO, StatutoryBasis::None)
    );
}

#[test]
fn a_registration_cannot_be_corrected_and_registering_twice_is_refused() {
    let c = registered();
    let reg = c.history()[0].event_id;
    let e = c
        .decide(
            ChildCommand::Append {
                records: vec![rec(
                    3,
                    "record_corrected",
                    json!({ "corrects_event_id": reg, "reason": "r", "retract": true }),
                )],
                batch: false,
            },
            &services(),
        )
        .unwrap_err();
    assert!(
        e.errors()[0].message.contains("child_details_updated"),
        "{e}"
    );
    let recorded_by: Person = serde_json::from_value(school()).unwrap();
    let details = match &c.history()[0].body {
        EventBody::Registered(d) => d.clone(),
        _ => unreachable!(),
    };
    let again = ChildCommand::Register {
        event_id: id(),
        occurred_at: t(2),
        recorded_by,
        details: Box::new(details),
    };
    assert!(c.decide(again, &services()).is_err());
}

#[test]
fn details_updates_and_event_ids() {
    check(
        vec![],
        rec(
            3,
            "child_details_updated",
            json!({ "changes": {}, "reason": "r" }),
        ),
        "data.changes",
        "at least one detail",
    );
    check(
        vec![],
        rec(
            3,
            "child_details_updated",
            json!({ "changes": { "expected_date_of_birth": "2027-01-01" }, "reason": "r" }),
        ),
        "data.changes",
        "still be complete",
    );
    accept(
        vec![],
        rec(
            3,
            "child_details_updated",
            json!({ "changes": { "locality": "Thetford" }, "reason": "moved" }),
        ),
    );
    let k = id();
    let c = after(vec![sought(k, "referral")]);
    let used = c.history()[1].event_id;
    let e = c
        .decide(
            ChildCommand::Append {
                records: vec![(used, given_consent(k).1)],
                batch: false,
            },
            &services(),
        )
        .unwrap_err();
    assert_eq!(
        (e.errors()[0].field.as_str(), e.detail()),
        ("event_id", "Each record has its own event id.")
    );
    let e = Child::default()
        .decide(
            ChildCommand::Append {
                records: vec![given_consent(k)],
                batch: false,
            },
            &services(),
        )
        .unwrap_err();
    assert!(e.detail().contains("registered child"), "{e}");
}

#[test]
fn consent_given_after_dispensation_and_services_agreed_in_unknown_plans() {
    let k = id();
    let dispensed = rec(
        2,
        "consent_dispensed_with",
        json!({ "consent_id": k, "purpose": "referral", "grounds": ["risk_to_child"], "reasons": "r", "approval_not_possible_reason": "out of hours" }),
    );
    check(
        vec![dispensed],
        given_consent(k),
        "data.consent_id",
        "already dispensed with",
    );
    let s = id();
    let started = rec(
        5,
        "service_started",
        json!({ "service_id": s, "service": "s", "provider": "p", "family_informed": true }),
    );
    check(
        vec![started],
        rec(
            6,
            "service_ended",
            json!({ "service_id": s, "reason": "done", "agreed_in_plan_id": id() }),
        ),
        "data.agreed_in_plan_id",
        "must be on this child's record",
    );
}

// --- obligations ------------------------------------------------------------------------

#[test]
fn obligations_owed_and_met() {
    let (r, k) = (id(), id());
    // Referral made on Tuesday 3rd despite refusal: decide by end of Wednesday 4th, tell the family.
    let made = referral(
        r,
        json!({ "refused_consent_id": k, "proceeding_reason": "risk", "front_door_told_consent_withheld": true }),
    );
    let made_id = made.0;
    let c = after(vec![sought(k, "referral"), refused(k), made.clone_record()]);
    let kinds: Vec<_> = c
        .state()
        .obligations()
        .iter()
        .map(|o| (o.kind, o.about_event_id))
        .collect();
    assert!(kinds.contains(&(ObligationKind::DecideReferral, made_id)));
    assert!(kinds.contains(&(ObligationKind::InformFamily, made_id)));
    let due = c
        .state()
        .obligations()
        .into_iter()
        .find(|o| o.kind == ObligationKind::DecideReferral)
        .unwrap()
        .due_by;
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap());

    // Decided without telling the referrer: that is owed instead; telling them meets it.
    let c = after(vec![
        sought(k, "referral"),
        refused(k),
        made.clone_record(),
        decided(r, 2),
    ]);
    let kinds: Vec<_> = c.state().obligations().iter().map(|o| o.kind).collect();
    assert!(
        kinds.contains(&ObligationKind::InformReferrer)
            && !kinds.contains(&ObligationKind::DecideReferral)
    );
    let c = after(vec![
        sought(k, "referral"),
        refused(k),
        made.clone_record(),
        decided(r, 2),
        rec(
            5,
            "referrer_informed",
            json!({ "referral_id": r, "how": "phone" }),
        ),
        rec(
            5,
            "family_informed",
            json!({ "about_event_id": made_id, "how": "visit", "by": school() }),
        ),
    ]);
    assert!(
        c.state().obligations().is_empty(),
        "{:?}",
        c.state().obligations()
    );

    // A plan owes its review; a step without telling the family owes that.
    let p = id();
    let c = after(vec![
        plan(p, "early_help_plan"),
        rec(
            5,
            "stepped_up",
            json!({ "from": { "tier": 1 }, "to": { "tier": 2 }, "reasons": [{ "kind": "indicators", "detail": "d" }], "rationale": "r", "decided_by": school() }),
        ),
    ]);
    let kinds: Vec<_> = c.state().obligations().iter().map(|o| o.kind).collect();
    assert!(
        kinds.contains(&ObligationKind::ReviewPlan)
            && kinds.contains(&ObligationKind::InformFamily)
    );
}

// --- the fold ---------------------------------------------------------------------------

#[test]
fn a_batch_is_all_or_nothing_and_names_the_failing_record() {
    let c = registered();
    let k = id();
    let batch = vec![
        sought(k, "referral"),
        given_consent(k),
        referral(id(), json!({ "consent_id": id() })),
    ];
    let e = c
        .decide(
            ChildCommand::Append {
                records: batch,
                batch: true,
            },
            &services(),
        )
        .unwrap_err();
    assert_eq!(e.errors()[0].field, "records[2].data.consent.consent_id");
    let batch = vec![
        sought(k, "referral"),
        given_consent(k),
        referral(id(), json!({ "consent_id": k })),
    ];
    assert_eq!(
        c.decide(
            ChildCommand::Append {
                records: batch,
                batch: true
            },
            &services()
        )
        .unwrap()
        .len(),
        3
    );
}

#[test]
fn a_stored_event_of_an_unknown_version_is_refused_by_the_upcaster() {
    let c = registered();
    let e = &c.history()[0];
    let err = ChildEvent::from_stored(
        e.event_id,
        e.event_type(),
        0,
        e.occurred_at,
        serde_json::to_value(&e.recorded_by).unwrap(),
        e.data_json(),
    )
    .unwrap_err();
    assert!(err.problem.contains("no upcaster from version 0"), "{err}");
}

/// A generated run of steps: each from the current level to another allowed level.
fn steps_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..5, 1..12)
}

fn levels() -> Vec<Level> {
    Framework::by_name("norfolk")
        .unwrap()
        .allowed_levels()
        .to_vec()
}

fn level_json(l: Level) -> Value {
    json!({ "tier": l.tier.get(), "statutory_basis": l.statutory_basis.as_str() })
}

/// Records stepping through `targets` (indices into the allowed levels), skipping no-ops.
fn step_records(targets: &[usize]) -> Vec<(Uuid, RecordInput)> {
    let all = levels();
    let mut current = Level::UNIVERSAL;
    let mut out = Vec::new();
    for &i in targets {
        let to = all[i % all.len()];
        if to == current {
            continue;
        }
        let kind = if to > current {
            "stepped_up"
        } else {
            "stepped_down"
        };
        let reason = if to > current {
            "indicators"
        } else {
            "needs_met"
        };
        let mut r = step(kind, level_json(current), level_json(to), reason);
        if kind == "stepped_down" && current.tier == to.tier {
            // s17 to none within a tier needs a given consent: record one first.
            let k = id();
            out.push(sought(k, "step_down"));
            out.push(given_consent(k));
            r = r.with_field("consent_id", json!(k));
        }
        out.push(r);
        current = to;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn folding_is_deterministic_and_the_level_is_the_last_steps(targets in steps_strategy()) {
        let records = step_records(&targets);
        let c = after(records.clone_records());
        let again = Child::from_events(c.history().to_vec());
        prop_assert_eq!(again.state(), c.state());
        let last_to = c.history().iter().rev().find_map(|e| match &e.body {
            EventBody::Record(RecordData::SteppedUp(s) | RecordData::SteppedDown(s)) => Some(s.to),
            _ => None,
        });
        prop_assert_eq!(c.state().current_level(), last_to.unwrap_or(Level::UNIVERSAL));
    }

    #[test]
    fn a_batch_equals_the_same_records_one_by_one(targets in steps_strategy()) {
        let records = step_records(&targets);
        let base = registered();
        let mut one_by_one = base.clone();
        for r in records.clone_records() {
            for e in one_by_one.decide(ChildCommand::Append { records: vec![r], batch: false }, &services()).unwrap() {
                one_by_one.apply(e);
            }
        }
        let mut batched = base.clone();
        let events = base.decide(ChildCommand::Append { records: records.clone_records(), batch: true }, &services());
        if records.is_empty() {
            return Ok(());
        }
        for e in events.unwrap() {
            batched.apply(e);
        }
        prop_assert_eq!(batched.state(), one_by_one.state());
    }

    #[test]
    fn resuming_from_a_kept_state_equals_the_whole_fold(targets in steps_strategy(), cut in 0usize..64) {
        // The state kept at any point (through its serialised form, as a store keeps it), with
        // the later events applied to it, is the state of folding every event.
        let whole = after(step_records(&targets).clone_records());
        let history = whole.history();
        let cut = cut % (history.len() + 1);
        let prefix = Child::from_events(history[..cut].to_vec());
        let kept: ChildState =
            serde_json::from_value(serde_json::to_value(prefix.state()).unwrap()).unwrap();
        let mut resumed = Child::resume(kept, cut as u64);
        for e in &history[cut..] {
            resumed.apply(e.clone());
        }
        prop_assert_eq!(resumed.state(), whole.state());
        prop_assert_eq!(resumed.sequence(), whole.sequence());
        prop_assert_eq!(resumed.is_whole(), cut == 0);
    }

    #[test]
    fn a_correction_equals_recording_the_corrected_data_first(worry in "[a-z]{1,12}", plan_days in 1u32..28) {
        // Record a plan with one review date, then correct it to another: the state must equal
        // recording the corrected plan in the first place (bar the correction's own event).
        let p = id();
        let original = plan(p, "early_help_plan");
        let corrected_data = json!({ "plan_id": p, "kind": "family_support_plan", "lead": school(), "review_by": format!("2027-01-{plan_days:02}") });
        let correction = rec(12, "record_corrected", json!({ "corrects_event_id": original.0, "reason": worry, "corrected_data": corrected_data }));
        let corrected = after(vec![original.clone_record(), conversation(id()), correction]);
        let direct_plan = rec(6, "plan_started", corrected_data.clone());
        let direct = after(vec![direct_plan, conversation(id())]);
        let strip = |s: &ChildState| { let mut s = s.clone(); s.events.clear(); s.conversations.clear(); for p in s.plans.values_mut() { p.started_event_id = Uuid::nil(); } s };
        prop_assert_eq!(strip(corrected.state()), strip(direct.state()));
    }
}

// --- small helpers on test records -------------------------------------------------------

trait RecordExt: Sized {
    fn clone_record(&self) -> Self;
    fn with_field(self, field: &str, value: Value) -> Self;
    fn with_level(self, level: Value) -> Self {
        self.with_field("decided_level", level)
    }
}

impl RecordExt for (Uuid, RecordInput) {
    /// The same record with the same event id (`check` gives `when` a fresh one).
    fn clone_record(&self) -> Self {
        (self.0, self.1.clone())
    }
    fn with_field(self, field: &str, value: Value) -> Self {
        let mut data = self.1.data.to_json();
        data[field] = value;
        let parsed = RecordData::parse(self.1.record_type(), data).unwrap();
        (
            self.0,
            RecordInput {
                data: parsed,
                ..self.1
            },
        )
    }
}

trait RecordsExt {
    fn clone_records(&self) -> Vec<(Uuid, RecordInput)>;
}

impl RecordsExt for Vec<(Uuid, RecordInput)> {
    fn clone_records(&self) -> Vec<(Uuid, RecordInput)> {
        self.iter().map(|r| (r.0, r.1.clone())).collect()
    }
}

trait Merge {
    fn merged(self, other: Value) -> Value;
}

impl Merge for Value {
    fn merged(mut self, other: Value) -> Value {
        if let (Some(a), Value::Object(b)) = (self.as_object_mut(), other) {
            a.extend(b);
        }
        self
    }
}

// --- standing, dates, and who may correct what ------------------------------------------

/// `r` as if recorded by `agency`.
fn by(agency: &str, mut r: (Uuid, RecordInput)) -> (Uuid, RecordInput) {
    r.1.recorded_by = serde_json::from_value(person(agency)).unwrap();
    r
}

#[test]
fn standing_comes_from_the_contracts_list_and_never_from_recording_alone() {
    let c = after(vec![by("police:norfolk", conversation(id()))]);
    let s = c.state();
    assert!(
        s.has_standing("school:norwich-high"),
        "registered the child"
    );
    assert!(
        !s.has_standing("police:norfolk"),
        "recording grants no read"
    );

    let r = id();
    let shared = rec(
        3,
        "information_shared",
        json!({ "purpose": "safety", "shared_with": ["health:gp"], "what": "w", "without_consent_reason": "urgent" }),
    );
    let service = rec(
        3,
        "service_started",
        json!({ "service_id": id(), "service": "Family support", "provider": "early_help:team" }),
    );
    let lead = rec(
        3,
        "lead_worker_assigned",
        json!({ "lead_worker": person("charity:home-start") }),
    );
    let consent = id();
    let c = after(vec![
        given_consent_for(consent),
        by(
            "police:norfolk",
            referral(r, json!({ "consent_id": consent })),
        ),
        shared,
        service,
        lead,
    ]);
    let s = c.state();
    for agency in [
        "police:norfolk",
        "health:gp",
        "early_help:team",
        "charity:home-start",
    ] {
        assert!(s.has_standing(agency), "{agency}");
    }
    assert!(!s.has_standing("school:elsewhere"));
}

#[test]
fn a_retracted_referral_gives_no_standing() {
    let r = id();
    let consent = id();
    let made = by(
        "police:norfolk",
        referral(r, json!({ "dispensed_consent_id": consent })),
    );
    let made_id = made.0;
    let dispensed = rec(
        2,
        "consent_dispensed_with",
        json!({ "consent_id": consent, "purpose": "referral", "grounds": ["risk_to_child"], "reasons": "r", "approval_not_possible_reason": "night" }),
    );
    let retract = by(
        "police:norfolk",
        rec(
            4,
            "record_corrected",
            json!({ "corrects_event_id": made_id, "reason": "wrong child", "retract": true }),
        ),
    );
    let c = after(vec![dispensed, made, retract]);
    assert!(!c.state().has_standing("police:norfolk"));
}

#[test]
fn a_record_dated_before_birth_is_refused_unless_the_child_was_registered_unborn() {
    let mut r = conversation(id());
    r.1.occurred_at = Utc.with_ymd_and_hms(2011, 1, 1, 10, 0, 0).unwrap();
    check(vec![], r, "occurred_at", "before their birth");
}

#[test]
fn a_plan_review_date_before_the_plan_is_refused() {
    let mut p = plan(id(), "early_help_plan");
    if let RecordData::PlanStarted(ps) = &mut p.1.data {
        ps.review_by = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    }
    check(vec![], p, "data.review_by", "on or after the day");
}

#[test]
fn a_correction_is_judged_by_the_role_table_where_the_original_stands() {
    use crate::access::{Role, may_append_to};
    let up = step("stepped_up", lvl(1, "none"), lvl(2, "none"), "indicators");
    let up_id = up.0;
    let c = after(vec![up]);
    let correct_to = |to: Value| {
        rec(
            6,
            "record_corrected",
            json!({ "corrects_event_id": up_id, "reason": "r", "corrected_data": { "from": lvl(1, "none"), "to": to, "reasons": [{ "kind": "indicators", "detail": "d" }], "rationale": "r", "decided_by": school() } }),
        )
    };
    let school = "school:norwich-high";
    // The school's own step, corrected within tiers 1-2: fine.
    assert!(
        may_append_to(
            Role::Recorder,
            school,
            &c,
            &correct_to(lvl(2, "none")).1.data
        )
        .is_ok()
    );
    // Corrected into a step to tier 4: only the front door could have recorded that.
    let (field, why) = may_append_to(
        Role::Recorder,
        school,
        &c,
        &correct_to(lvl(4, "section_47")).1.data,
    )
    .unwrap_err();
    assert_eq!(field, "data.corrected_data");
    assert!(why.0.contains("front door"), "{why}");
    // Another agency may not correct or retract it; the front door may retract, not correct.
    let retract = rec(
        6,
        "record_corrected",
        json!({ "corrects_event_id": up_id, "reason": "wrong child", "retract": true }),
    );
    let (field, _) =
        may_append_to(Role::Recorder, "police:norfolk", &c, &retract.1.data).unwrap_err();
    assert_eq!(field, "data.corrects_event_id");
    assert!(may_append_to(Role::FrontDoor, "front_door:mash", &c, &retract.1.data).is_ok());
    assert!(
        may_append_to(
            Role::FrontDoor,
            "front_door:mash",
            &c,
            &correct_to(lvl(2, "none")).1.data
        )
        .is_err()
    );
}

#[test]
fn a_school_may_not_correct_the_front_doors_decision() {
    use crate::access::{Role, may_append_to};
    let r = id();
    let consent = id();
    let d = by("front_door:mash", decided(r, 2));
    let d_id = d.0;
    let c = after(vec![
        given_consent_for(consent),
        referral(r, json!({ "consent_id": consent })),
        d,
    ]);
    let correction = rec(
        6,
        "record_corrected",
        json!({ "corrects_event_id": d_id, "reason": "r", "corrected_data": { "referral_id": r, "decision": "no_further_action", "decided_level": { "tier": 1 }, "rationale": "r" } }),
    );
    assert!(
        may_append_to(
            Role::Recorder,
            "school:norwich-high",
            &c,
            &correction.1.data
        )
        .is_err()
    );
}

fn given_consent_for(consent: Uuid) -> (Uuid, RecordInput) {
    rec(
        2,
        "consent_given",
        json!({ "consent_id": consent, "given_by": { "relationship": "mother" } }),
    )
}
