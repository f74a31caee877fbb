//! Rules through one `check(given, when, then)` helper, obligations, corrections, and property
//! tests of the fold.

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;
use crate::level::{StatutoryBasis, Tier};
use crate::record::{
    AssessmentKind, ConsentPurpose, ConversationKind, PlanCategory, PlanKind, ReferralDecision,
    StepReasonKind, StrategyDecision,
};
use crate::registration::{ChildDetailsChanges, ChildDetailsFields, Gender};
use crate::shapes::Party;
use crate::testing::{self as build, Build, level, person, tier};
use StatutoryBasis::{Section17, Section47};

mod census_practice;
mod mutants;

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

fn school() -> Person {
    build::practitioner()
}

fn id() -> Uuid {
    Uuid::new_v4()
}

/// A record posted by a school on day `d`, parsed as a client's post.
fn rec(d: u32, data: impl Build) -> (Uuid, RecordInput) {
    (id(), build::posted(data).at(t(d)).by(school()).input())
}

fn registered() -> Child {
    let details = ChildDetails::new(ChildDetailsFields {
        given_name: "Sam".parse_text(),
        family_name: "Example".parse_text(),
        date_of_birth: NaiveDate::from_ymd_opt(2012, 3, 2),
        expected_date_of_birth: None,
        gender: Gender::Male,
        ethnicity: None,
        disability: vec![],
        locality: "Norwich".parse_text(),
        identifiers: None,
    })
    .unwrap();
    let cmd = ChildCommand::Register {
        event_id: id(),
        occurred_at: t(1),
        recorded_by: school(),
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

// --- common records, on the days the tests expect them ---------------------------------

fn sought(consent: Uuid, purpose: ConsentPurpose) -> (Uuid, RecordInput) {
    rec(2, build::consent_sought().id(consent).purpose(purpose))
}
fn given_consent(consent: Uuid) -> (Uuid, RecordInput) {
    rec(2, build::consent_given().id(consent))
}
fn refused(consent: Uuid) -> (Uuid, RecordInput) {
    rec(2, build::consent_refused().id(consent))
}
/// A referral to the front door about bruising, its consent set by the caller.
fn referral(referral: build::ReferralMadeBuilder) -> (Uuid, RecordInput) {
    rec(3, referral)
}
fn decided(referral: Uuid, level: Level) -> (Uuid, RecordInput) {
    rec(
        4,
        build::referral_decided()
            .referral(referral)
            .decided(level)
            .rationale("r"),
    )
}
fn step(step: build::StepBuilder) -> (Uuid, RecordInput) {
    rec(5, step.family_informed(true))
}
fn up(from: Level, to: Level, reason: StepReasonKind) -> build::StepBuilder {
    build::stepped_up().from(from).to(to).reason(reason)
}
fn down(from: Level, to: Level, reason: StepReasonKind) -> build::StepBuilder {
    build::stepped_down().from(from).to(to).reason(reason)
}
fn plan(plan: Uuid, kind: PlanKind) -> (Uuid, RecordInput) {
    rec(
        6,
        build::plan_started()
            .id(plan)
            .kind(kind)
            .category(PlanCategory::Neglect),
    )
}
fn strategy(sd: Uuid, decision: StrategyDecision) -> (Uuid, RecordInput) {
    rec(
        7,
        build::strategy_discussion_held().id(sd).decision(decision),
    )
}
fn conversation(c: Uuid) -> (Uuid, RecordInput) {
    rec(2, build::conversation_recorded().id(c))
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
            build::conversation_recorded()
                .no_worries()
                .opinions(&["fine"]),
        ),
        "data.worries",
        "at least one of",
    );
    check(
        vec![],
        rec(
            2,
            build::conversation_recorded()
                .kind(ConversationKind::FrontDoorConsultation)
                .participants(vec![Party::Person(school())])
                .no_worries()
                .facts(&["f"]),
        ),
        "data.advice",
        "no anonymous consultations",
    );
    check(
        vec![],
        rec(
            2,
            build::conversation_recorded()
                .participants(vec![Party::Person(school())])
                .no_worries()
                .facts(&["f"])
                .about_referral(id()),
        ),
        "data.about_referral_id",
        "must be on this child's record",
    );
}

#[test]
fn assessments() {
    let a = id();
    let assessed = || build::needs_assessed().rationale("r");
    let ok = |aid: Uuid| rec(8, assessed().id(aid));
    check(
        vec![ok(a)],
        ok(a),
        "data.assessment_id",
        "id not used before",
    );
    let screening = || assessed().kind(AssessmentKind::Screening);
    check(
        vec![],
        rec(8, screening().indicators(&["NOR-CD-01-T2", "XYZ"])),
        "data.indicators[1].code",
        "descriptor catalogue",
    );
    check(
        vec![],
        rec(
            8,
            screening()
                .section_47_indicators(&["NOPE"])
                .decided(level(4, Section47)),
        ),
        "data.section_47_indicators[0]",
        "section 47 list",
    );
    check(
        vec![],
        rec(8, screening().decided(level(4, Section17))),
        "data.decided_level",
        "does not use this level",
    );
    check(
        vec![],
        rec(8, screening().factors(&["1A", "21"])),
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
            build::needs_assessed()
                .section_47_indicators(&["NOR-S47-17"])
                .decided(tier(3))
                .rationale("family engaging"),
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
    let withdrawn = || rec(2, build::consent_withdrawn().id(k));
    check(
        vec![sought(k, ConsentPurpose::Referral)],
        sought(k, ConsentPurpose::Referral),
        "data.consent_id",
        "id not used before",
    );
    check(
        vec![
            sought(k, ConsentPurpose::Referral),
            given_consent(k),
            withdrawn(),
        ],
        given_consent(k),
        "data.consent_id",
        "needs a new consent_id",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral)],
        withdrawn(),
        "data.consent_id",
        "Only a consent that was given",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral), refused(k)],
        refused(k),
        "data.consent_id",
        "new request needs a new consent_id",
    );
    let dispensed = || build::consent_dispensed_with().reasons("r");
    check(
        vec![],
        rec(2, dispensed().unapproved()),
        "data.approved_by",
        "approved by a manager",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral)],
        rec(2, dispensed().id(k).approved_by(school())),
        "data.consent_id",
        "id not used before",
    );
}

#[test]
fn information_sharing() {
    let k = id();
    let shared = |consent: Option<Uuid>| {
        let d = build::information_shared()
            .what("w")
            .nothing_said_of_consent();
        rec(
            3,
            match consent {
                Some(c) => d.consent(c),
                None => d,
            },
        )
    };
    check(vec![], shared(None), "data.consent_id", "or says why");
    check(
        vec![sought(k, ConsentPurpose::Referral)],
        shared(Some(k)),
        "data.consent_id",
        "consent given",
    );
    check(
        vec![sought(k, ConsentPurpose::Service), given_consent(k)],
        shared(Some(k)),
        "data.consent_id",
        "matching purpose",
    );
    accept(
        vec![
            sought(k, ConsentPurpose::InformationSharing),
            given_consent(k),
        ],
        shared(Some(k)),
    );
}

#[test]
fn referrals() {
    let (r, k) = (id(), id());
    let made = || build::referral_made().id(r);
    check(
        vec![
            sought(k, ConsentPurpose::Referral),
            given_consent(k),
            referral(made().consent_given(k)),
        ],
        referral(made().consent_given(k)),
        "data.referral_id",
        "id not used before",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral)],
        referral(made().consent_given(k)),
        "data.consent.consent_id",
        "consent that was given",
    );
    check(
        vec![],
        referral(made().consent_dispensed(k)),
        "data.consent.dispensed_consent_id",
        "dispense",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral), refused(k)],
        referral(made().consent_refused(k).front_door_told_consent_withheld()),
        "data.consent.proceeding_reason",
        "records why",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral), refused(k)],
        referral(made().consent_refused(k).proceeding_because("risk")),
        "data.consent.front_door_told_consent_withheld",
        "tells the front door",
    );
    check(
        vec![sought(k, ConsentPurpose::Referral), given_consent(k)],
        referral(
            made()
                .consent_refused(k)
                .proceeding_because("risk")
                .front_door_told_consent_withheld(),
        ),
        "data.consent.refused_consent_id",
        "consent was refused",
    );
    let made = vec![
        sought(k, ConsentPurpose::Referral),
        given_consent(k),
        referral(made().consent_given(k)),
    ];
    let mut twice = made.clone_records();
    twice.push(decided(r, tier(2)));
    check(
        twice,
        decided(r, tier(2)),
        "data.referral_id",
        "decided once",
    );
    check(
        vec![],
        decided(r, tier(2)),
        "data.referral_id",
        "must be on this child's record",
    );
    check(
        made.clone_records(),
        decided(r, level(4, Section17)),
        "data.decided_level",
        "does not use this level",
    );
    check(
        vec![],
        rec(5, build::referrer_informed().referral(id())),
        "data.referral_id",
        "must be on this child's record",
    );
    check(
        vec![],
        rec(5, build::family_informed().about(id())),
        "data.about_event_id",
        "must be on this child's record",
    );
    // A family is told of a referral, a service change or a change of tier; not of a
    // conversation.
    let talk = conversation(id());
    let talk_id = talk.0;
    check(
        vec![talk],
        rec(5, build::family_informed().about(talk_id)),
        "data.about_event_id",
        "referral, a service change or a change of tier",
    );
    let up = step(up(tier(1), tier(2), StepReasonKind::Indicators));
    let up_id = up.0;
    accept(vec![up], rec(6, build::family_informed().about(up_id)));
}

#[test]
fn steps() {
    use StepReasonKind::{Assessment, ConsentRefused, Indicators, NeedsMet};
    check(
        vec![],
        step(up(tier(2), tier(3), Indicators)),
        "data.from",
        "current level",
    );
    check(
        vec![],
        step(up(tier(1), level(4, Section17), Indicators)),
        "data.to",
        "does not use this level",
    );
    check(
        vec![step(up(tier(1), tier(2), Indicators))],
        step(up(tier(2), tier(1), Indicators)),
        "data.to",
        "higher level",
    );
    check(
        vec![],
        step(down(tier(1), tier(2), NeedsMet)),
        "data.to",
        "lower level",
    );
    check(
        vec![],
        step(up(tier(1), tier(2), ConsentRefused)),
        "data.reasons",
        "not a reason to escalate",
    );
    let at_17 = vec![step(up(tier(1), level(3, Section17), Assessment))];
    check(
        at_17.clone_records(),
        step(down(level(3, Section17), tier(3), NeedsMet)),
        "data.consent_id",
        "needs the family's consent",
    );
    let k = id();
    let mut with_sought = at_17.clone_records();
    with_sought.push(sought(k, ConsentPurpose::StepDown));
    let down = step(down(level(3, Section17), tier(3), NeedsMet).consent(k));
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
        step(up(tier(1), tier(2), Indicators).assessment(id())),
        "data.assessment_id",
        "must be on this child's record",
    );
    check(
        vec![],
        step(up(tier(1), tier(2), Indicators).continuing_services(vec![id()])),
        "data.continuing_services[0]",
        "services in place",
    );
}

#[test]
fn services_and_plans() {
    let (s, p) = (id(), id());
    let started = rec(5, build::service_started().id(s).family_informed(true));
    check(
        vec![started.clone_record()],
        started.clone_record(),
        "data.service_id",
        "id not used before",
    );
    let ended = rec(
        6,
        build::service_ended()
            .service(s)
            .reason("done")
            .family_informed(true),
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
        vec![plan(p, PlanKind::EarlyHelpPlan)],
        plan(p, PlanKind::EarlyHelpPlan),
        "data.plan_id",
        "id not used before",
    );
    check(
        vec![],
        rec(6, build::plan_started().kind(PlanKind::ChildProtectionPlan)),
        "data.category",
        "records its category",
    );
    let review = rec(7, build::plan_reviewed().plan(p).progress("p"));
    check(
        vec![],
        review.clone_record(),
        "data.plan_id",
        "must be on this child's record",
    );
    let end = rec(8, build::plan_ended().plan(p));
    check(
        vec![plan(p, PlanKind::EarlyHelpPlan), end.clone_record()],
        review,
        "data.plan_id",
        "Only an open plan",
    );
    check(
        vec![],
        rec(6, build::lead_worker_assigned().plan(id())),
        "data.plan_id",
        "must be on this child's record",
    );
}

#[test]
fn child_protection() {
    use StrategyDecision::{NoSection47, Section47Enquiry};
    let (sd, e) = (id(), id());
    check(
        vec![strategy(sd, Section47Enquiry)],
        strategy(sd, Section47Enquiry),
        "data.strategy_discussion_id",
        "id not used before",
    );
    check(
        vec![],
        rec(
            7,
            build::strategy_discussion_held()
                .participants(vec![school()])
                .decision(NoSection47),
        ),
        "data.participants",
        "at least two",
    );
    let start = |sd: Uuid| {
        rec(
            8,
            build::section_47_enquiry_started()
                .id(e)
                .strategy_discussion(sd),
        )
    };
    check(
        vec![],
        start(sd),
        "data.strategy_discussion_id",
        "must be on this child's record",
    );
    check(
        vec![strategy(sd, NoSection47)],
        start(sd),
        "data.strategy_discussion_id",
        "decided on one",
    );
    check(
        vec![strategy(sd, Section47Enquiry), start(sd)],
        start(sd),
        "data.enquiry_id",
        "id not used before",
    );
    let conclude = rec(9, build::section_47_enquiry_concluded().enquiry(e));
    check(
        vec![],
        conclude.clone_record(),
        "data.enquiry_id",
        "must be on this child's record",
    );
    check(
        vec![
            strategy(sd, Section47Enquiry),
            start(sd),
            conclude.clone_record(),
        ],
        conclude,
        "data.enquiry_id",
        "already concluded"
            .replace("already concluded", "Only an open")
            .as_str(),
    );
    let held = rec(10, build::child_protection_conference_held());
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
    let base = sought(k, ConsentPurpose::Referral);
    let about = base.0;
    let raised = rec(4, build::disagreement_raised().id(d).about(about));
    check(
        vec![base.clone_record(), raised.clone_record()],
        raised.clone_record(),
        "data.disagreement_id",
        "id not used before",
    );
    check(
        vec![],
        rec(4, build::disagreement_raised()),
        "data.about_event_id",
        "must be on this child's record",
    );
    let escalate = |stage: u8| {
        rec(
            5,
            build::disagreement_escalated()
                .disagreement(d)
                .to_stage(stage),
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
    let resolved = || build::disagreement_resolved().disagreement(d);
    check(
        vec![
            base.clone_record(),
            raised.clone_record(),
            rec(6, resolved()),
        ],
        escalate(2),
        "data.disagreement_id",
        "Only an open disagreement",
    );
    check(
        vec![base.clone_record(), raised.clone_record()],
        rec(6, resolved().follow_up(id())),
        "data.follow_up_event_id",
        "must be on this child's record",
    );
}

#[test]
fn closing_and_reopening() {
    let p = id();
    let close = rec(10, build::case_closed());
    check(
        vec![plan(p, PlanKind::EarlyHelpPlan)],
        close.clone_record(),
        "type",
        "no plan",
    );
    let (r, k) = (id(), id());
    check(
        vec![
            sought(k, ConsentPurpose::Referral),
            given_consent(k),
            referral(build::referral_made().id(r).consent_given(k)),
        ],
        close.clone_record(),
        "type",
        "no plan, section 47 enquiry or referral",
    );
    let reopen = rec(11, build::case_reopened());
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
    let correct = || build::record_corrected().corrects(target);
    check(
        vec![],
        rec(12, correct().retract()),
        "data.corrects_event_id",
        "A correction points at a record of this child",
    );
    check(
        vec![original.clone_record()],
        rec(12, correct()),
        "data.corrected_data",
        "either gives the whole corrected data",
    );
    // The corrected data is left empty: the rule against retracting and correcting at once is
    // checked before the data is parsed as the corrected record's type.
    check(
        vec![original.clone_record()],
        rec(
            12,
            correct().retract().corrected_json(serde_json::json!({})),
        ),
        "data.retract",
        "retracts it",
    );
    // Corrected data must pass its type's rules: no worries, facts etc. any more.
    check(
        vec![original.clone_record()],
        rec(
            12,
            correct().corrected_to(
                build::conversation_recorded()
                    .id(c)
                    .no_worries()
                    .opinions(&["o"]),
            ),
        ),
        "data.corrected_data.worries",
        "at least one of",
    );
    // A retracted record cannot be corrected again, nor a correction corrected.
    let retraction = rec(12, correct().retract());
    let retraction_id = retraction.0;
    check(
        vec![original.clone_record(), retraction.clone_record()],
        rec(12, correct().retract()),
        "data.corrects_event_id",
        "retracted",
    );
    check(
        vec![original.clone_record(), retraction],
        rec(
            13,
            build::record_corrected()
                .corrects(retraction_id)
                .reason("r")
                .retract(),
        ),
        "data.corrects_event_id",
        "A correction points",
    );
}

/// A correction of `target` on day 12, entered in error: retract it or give the corrected data.
fn correction_of(target: Uuid) -> build::RecordCorrectedBuilder {
    build::record_corrected()
        .corrects(target)
        .reason("entered in error")
}

fn retraction_of(target: Uuid) -> (Uuid, RecordInput) {
    rec(12, correction_of(target).retract())
}

/// A retracted record no longer stands, but its event id stays used: a new record under
/// it is refused, as under the id of a record that stands.
#[test]
fn a_retracted_records_event_id_stays_used() {
    let k = id();
    let sought = sought(k, ConsentPurpose::Referral);
    let sought_id = sought.0;
    let c = accept(vec![sought], retraction_of(sought_id));
    assert!(
        !c.state().events.contains_key(&sought_id),
        "it no longer stands"
    );
    for used in [sought_id, c.history()[2].event_id] {
        refused_as_used(&c, used, given_consent(id()).1);
    }
}

/// `record` under the event id `used` is refused: the id is already this child's.
fn refused_as_used(c: &Child, used: Uuid, record: RecordInput) {
    let e = c
        .decide(
            ChildCommand::Append {
                records: vec![(used, record)],
                batch: false,
            },
            &services(),
        )
        .unwrap_err();
    assert_eq!(
        (e.errors()[0].field.as_str(), e.detail()),
        ("event_id", "Each record has its own event id.")
    );
}

#[test]
fn a_retraction_may_not_leave_a_later_record_on_nothing() {
    // A plan since reviewed cannot be retracted while the review stands...
    let p = id();
    let started = plan(p, PlanKind::EarlyHelpPlan);
    let started_id = started.0;
    let reviewed = rec(
        7,
        build::plan_reviewed()
            .plan(p)
            .progress("some")
            .next_review_by(NaiveDate::from_ymd_opt(2027, 1, 10).unwrap()),
    );
    let reviewed_id = reviewed.0;
    check(
        vec![started.clone_record(), reviewed.clone_record()],
        retraction_of(started_id),
        "data.corrects_event_id",
        "may not leave a later record resting on something that no longer stands",
    );
    let c = after(vec![started.clone_record(), reviewed.clone_record()]);
    let e = c
        .decide(
            ChildCommand::Append {
                records: vec![retraction_of(started_id)],
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
        retraction_of(reviewed_id),
    );
    let c = {
        let mut c = c;
        let events = c
            .decide(
                ChildCommand::Append {
                    records: vec![retraction_of(started_id)],
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
                records: vec![retraction_of(reviewed_id), retraction_of(started_id)],
                batch: true,
            },
            &services(),
        )
        .unwrap();
    assert_eq!(events.len(), 2);
}

#[test]
fn a_correction_may_not_break_the_steps_after_it_unless_they_are_corrected_with_it() {
    use StepReasonKind::{Indicators, NeedsMet};
    let up = step(up(tier(1), tier(3), Indicators));
    let down = step(down(tier(3), tier(2), NeedsMet));
    let (up_id, down_id) = (up.0, down.0);
    let to_4 = |id| {
        rec(
            12,
            correction_of(id).corrected_to(self::up(tier(1), level(4, Section47), Indicators)),
        )
    };
    let from_4 = rec(
        12,
        correction_of(down_id).corrected_to(self::down(level(4, Section47), tier(2), NeedsMet)),
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
                    build::record_corrected()
                        .corrects(reg)
                        .reason("r")
                        .retract(),
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
    let recorded_by = school();
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
            build::child_details_updated()
                .changes(ChildDetailsChanges::default())
                .reason("r"),
        ),
        "data.changes",
        "at least one detail",
    );
    check(
        vec![],
        rec(
            3,
            build::child_details_updated()
                .changes(ChildDetailsChanges {
                    expected_date_of_birth: NaiveDate::from_ymd_opt(2027, 1, 1),
                    ..ChildDetailsChanges::default()
                })
                .reason("r"),
        ),
        "data.changes",
        "still be complete",
    );
    accept(
        vec![],
        rec(3, build::child_details_updated().reason("moved")),
    );
    let k = id();
    let c = after(vec![sought(k, ConsentPurpose::Referral)]);
    refused_as_used(&c, c.history()[1].event_id, given_consent(k).1);
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
        build::consent_dispensed_with()
            .id(k)
            .reasons("r")
            .approval_not_possible("out of hours"),
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
        build::service_started()
            .id(s)
            .service("s")
            .provider("p")
            .family_informed(true),
    );
    check(
        vec![started],
        rec(
            6,
            build::service_ended()
                .service(s)
                .reason("done")
                .agreed_in_plan(id()),
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
        build::referral_made()
            .id(r)
            .consent_refused(k)
            .proceeding_because("risk")
            .front_door_told_consent_withheld(),
    );
    let made_id = made.0;
    let c = after(vec![
        sought(k, ConsentPurpose::Referral),
        refused(k),
        made.clone_record(),
    ]);
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
        sought(k, ConsentPurpose::Referral),
        refused(k),
        made.clone_record(),
        decided(r, tier(2)),
    ]);
    let kinds: Vec<_> = c.state().obligations().iter().map(|o| o.kind).collect();
    assert!(
        kinds.contains(&ObligationKind::InformReferrer)
            && !kinds.contains(&ObligationKind::DecideReferral)
    );
    let c = after(vec![
        sought(k, ConsentPurpose::Referral),
        refused(k),
        made.clone_record(),
        decided(r, tier(2)),
        rec(5, build::referrer_informed().referral(r)),
        rec(5, build::family_informed().about(made_id).how("visit")),
    ]);
    assert!(
        c.state().obligations().is_empty(),
        "{:?}",
        c.state().obligations()
    );

    // A plan owes its review; a step without telling the family owes that.
    let p = id();
    let c = after(vec![
        plan(p, PlanKind::EarlyHelpPlan),
        // Not told: no `family_informed`.
        rec(5, build::stepped_up()),
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
        sought(k, ConsentPurpose::Referral),
        given_consent(k),
        referral(build::referral_made().consent_given(id())),
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
        sought(k, ConsentPurpose::Referral),
        given_consent(k),
        referral(build::referral_made().consent_given(k)),
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
        let mut s = if to > current {
            up(current, to, StepReasonKind::Indicators)
        } else {
            down(current, to, StepReasonKind::NeedsMet)
        };
        if to < current && current.tier == to.tier {
            // s17 to none within a tier needs a given consent: record one first.
            let k = id();
            out.push(sought(k, ConsentPurpose::StepDown));
            out.push(given_consent(k));
            s = s.consent(k);
        }
        out.push(step(s));
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
    fn a_batch_that_corrects_nothing_is_decided_alike_against_the_state_alone(targets in steps_strategy(), earlier in 0usize..6) {
        // A batch that corrects nothing reads no history: against a child resumed from its
        // state (what the cache keeps) it is decided exactly as against the whole child.
        let whole = after((0..earlier).map(|_| conversation(id())).collect());
        let resumed = whole.state_alone();
        // A registered child has a sequence, so its state alone holds no history.
        prop_assert!(!resumed.is_whole() && resumed.history().is_empty());
        let records = step_records(&targets);
        if records.is_empty() {
            return Ok(());
        }
        let batch = |c: &Child| c.decide(ChildCommand::Append { records: records.clone_records(), batch: true }, &services());
        let (on_whole, on_state) = (batch(&whole), batch(&resumed));
        prop_assert_eq!(&on_whole, &on_state);
        if let (Ok(events), Ok(_)) = (on_whole, on_state) {
            let (mut a, mut b) = (whole.clone(), resumed.clone());
            for e in events {
                a.apply(e.clone());
                b.apply(e);
            }
            prop_assert_eq!(a.state(), b.state());
            prop_assert_eq!(a.sequence(), b.sequence());
        }
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
        // A resumed child holds none of its events, only their fold.
        prop_assert_eq!(resumed.history().len(), if cut == 0 { history.len() } else { 0 });
    }

    #[test]
    fn a_correction_equals_recording_the_corrected_data_first(worry in "[a-z]{1,12}", plan_days in 1u32..28) {
        // Record a plan with one review date, then correct it to another: the state must equal
        // recording the corrected plan in the first place (bar the correction's own event).
        let p = id();
        let original = plan(p, PlanKind::EarlyHelpPlan);
        let corrected_plan = build::plan_started().id(p).kind(PlanKind::FamilySupportPlan).review_by(NaiveDate::from_ymd_opt(2027, 1, plan_days).unwrap());
        let correction = rec(12, build::record_corrected().corrects(original.0).reason(&worry).corrected_to(corrected_plan.clone()));
        let corrected = after(vec![original.clone_record(), conversation(id()), correction]);
        let direct_plan = rec(6, corrected_plan);
        let direct = after(vec![direct_plan, conversation(id())]);
        let strip = |s: &ChildState| { let mut s = s.clone(); s.events.clear(); s.conversations.clear(); for p in s.plans.values_mut() { p.started_event_id = Uuid::nil(); } s };
        prop_assert_eq!(strip(corrected.state()), strip(direct.state()));
    }
}

// --- small helpers on test records -------------------------------------------------------

trait RecordExt: Sized {
    fn clone_record(&self) -> Self;
}

impl RecordExt for (Uuid, RecordInput) {
    /// The same record with the same event id (`check` gives `when` a fresh one).
    fn clone_record(&self) -> Self {
        (self.0, self.1.clone())
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

// --- standing, dates, and who may correct what ------------------------------------------

/// `r` as if recorded by `agency`.
fn by(agency: &str, mut r: (Uuid, RecordInput)) -> (Uuid, RecordInput) {
    r.1.recorded_by = person(agency);
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
        build::information_shared()
            .purpose("safety")
            .shared_with(&["health:gp"])
            .what("w")
            .without_consent_because("urgent"),
    );
    let service = rec(
        3,
        build::service_started()
            .service("Family support")
            .provider("early_help:team"),
    );
    let lead = rec(
        3,
        build::lead_worker_assigned().lead_worker(person("charity:home-start")),
    );
    let consent = id();
    let c = after(vec![
        given_consent(consent),
        by(
            "police:norfolk",
            referral(build::referral_made().id(r).consent_given(consent)),
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
        referral(build::referral_made().id(r).consent_dispensed(consent)),
    );
    let made_id = made.0;
    let dispensed = rec(
        2,
        build::consent_dispensed_with()
            .id(consent)
            .reasons("r")
            .approval_not_possible("night"),
    );
    let retract = by(
        "police:norfolk",
        rec(
            4,
            build::record_corrected()
                .corrects(made_id)
                .reason("wrong child")
                .retract(),
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
    let mut p = plan(id(), PlanKind::EarlyHelpPlan);
    if let RecordData::PlanStarted(ps) = &mut p.1.data {
        ps.review_by = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    }
    check(vec![], p, "data.review_by", "on or after the day");
}

#[test]
fn a_correction_is_judged_by_the_role_table_where_the_original_stands() {
    use crate::access::{Role, may_append_to};
    let up = step(up(tier(1), tier(2), StepReasonKind::Indicators));
    let up_id = up.0;
    let c = after(vec![up]);
    let correct_to = |to: Level| {
        rec(
            6,
            build::record_corrected()
                .corrects(up_id)
                .reason("r")
                .corrected_to(self::up(tier(1), to, StepReasonKind::Indicators)),
        )
    };
    let school = "school:norwich-high";
    // The school's own step, corrected within tiers 1-2: fine.
    assert!(may_append_to(Role::Recorder, school, &c, &correct_to(tier(2)).1.data).is_ok());
    // Corrected into a step to tier 4: only the front door could have recorded that.
    let (field, why) = may_append_to(
        Role::Recorder,
        school,
        &c,
        &correct_to(level(4, Section47)).1.data,
    )
    .unwrap_err();
    assert_eq!(field, "data.corrected_data");
    assert!(why.0.contains("front door"), "{why}");
    // Another agency may not correct or retract it; the front door may retract, not correct.
    let retract = rec(
        6,
        build::record_corrected()
            .corrects(up_id)
            .reason("wrong child")
            .retract(),
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
            &correct_to(tier(2)).1.data
        )
        .is_err()
    );
}

#[test]
fn a_school_may_not_correct_the_front_doors_decision() {
    use crate::access::{Role, may_append_to};
    let r = id();
    let consent = id();
    let d = by("front_door:mash", decided(r, tier(2)));
    let d_id = d.0;
    let c = after(vec![
        given_consent(consent),
        referral(build::referral_made().id(r).consent_given(consent)),
        d,
    ]);
    let correction = rec(
        6,
        build::record_corrected()
            .corrects(d_id)
            .reason("r")
            .corrected_to(
                build::referral_decided()
                    .referral(r)
                    .decision(ReferralDecision::NoFurtherAction)
                    .decided(tier(1))
                    .rationale("r"),
            ),
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

/// A rebuild reads stored JSON text straight into the domain's types: every record type's
/// example and a registration read the same from text as from a parsed value (an assessment,
/// whose server-added `suggested` is taken out first, is read through the value).
#[test]
fn stored_text_reads_as_the_stored_value_does() {
    let c = registered();
    let person = serde_json::to_value(&c.history()[0].recorded_by).unwrap();
    let by = serde_json::to_string(&person).unwrap();
    let at = chrono::Utc::now();
    let same = |event_type: &str, data: serde_json::Value| {
        let from_value =
            ChildEvent::from_stored(id(), event_type, 1, at, person.clone(), data.clone());
        let from_text = ChildEvent::from_stored_text(
            id(),
            event_type,
            1,
            at,
            &by,
            &serde_json::to_string(&data).unwrap(),
        );
        match (from_value, from_text) {
            (Ok(v), Ok(t)) => assert_eq!(v.body, t.body, "{event_type}"),
            (v, t) => panic!("{event_type}: {v:?} / {t:?}"),
        }
    };
    for t in crate::record::RecordType::ALL {
        same(t.as_str(), crate::examples::example(*t));
    }
    same("child_registered", crate::examples::child_details_example());
    same(c.history()[0].event_type(), c.history()[0].data_json());

    // Text that is not the type's JSON is named, as a value's would be.
    let bad =
        ChildEvent::from_stored_text(id(), "case_closed", 1, at, &by, "{\"closure_reason\": 7}");
    assert!(bad.unwrap_err().problem.contains("data.closure_reason"));
    let trailing = ChildEvent::from_stored_text(id(), "case_reopened", 1, at, &by, "{} {}");
    assert!(trailing.is_err());
    // An older version still goes through the upcasters.
    let old = ChildEvent::from_stored_text(id(), "case_reopened", 0, at, &by, "{}");
    assert!(
        old.unwrap_err()
            .problem
            .contains("no upcaster from version 0")
    );
}
