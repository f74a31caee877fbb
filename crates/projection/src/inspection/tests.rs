//! The inspection report on a small hand-built dataset: every figure against the value worked
//! out by hand (the working is in the comments), the locality and correction edge cases, the
//! absence of identities, and snapshots of the JSON and the CSV.
//!
//! The dataset covers November 2026 (the 2nd is a Monday; no bank holidays that month).

use chrono::{Duration, NaiveDate};
use serde_json::json;
use store::StoredEvent;
use uuid::Uuid;

use super::cases::CaseFold;
use super::testkit::*;
use super::{InspectionReport, Period, SUPPRESSED, inspection_report};
use crate::child_record::ChildRecord;

fn november() -> Period {
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).expect("a November date");
    Period::new(d(1), d(30)).expect("a valid period")
}

/// A stand-in for the API's HMAC: stable, and not the id in any spelling.
fn pseudonym(id: Uuid) -> String {
    let n = (id.as_u128() >> 64) as u64;
    format!("C-{:06x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40)
}

/// The children of the dataset, each described where it is built.
struct Dataset {
    children: Vec<ChildBuilder>,
}

impl Dataset {
    fn events(&self) -> Vec<StoredEvent> {
        world(&self.children.iter().collect::<Vec<_>>())
    }

    fn report(&self, locality: Option<&str>) -> InspectionReport {
        inspection_report(&self.events(), norfolk(), november(), locality, &pseudonym)
    }
}

fn dataset() -> Dataset {
    // A: Norwich, 15 in November. Referred by the school in March (decided, no further
    // action) and again on Mon 2 Nov (a re-referral), decided next day with the referrer told.
    // Assessed on the 10th with a tier 3 exploitation indicator (running away) and decided at
    // tier 2: below the suggestion. The school disagrees on the 12th, escalates on the 19th,
    // and the front door changes the decision on the 26th.
    let mut a = ChildBuilder::register(1, "Norwich", "2011-03-01", at(2025, 10, 5, 10));
    let (a1, _) = a.referral(at(2026, 3, 10, 9), SCHOOL, Some("2A"), ConsentFor::Given);
    a.decide(
        at(2026, 3, 11, 9),
        a1,
        ReferralDecision::NoFurtherAction,
        1,
        true,
    );
    let (a2, _) = a.referral(nov(2, 9), SCHOOL, Some("2A"), ConsentFor::Given);
    a.decide(nov(3, 10), a2, ReferralDecision::EarlyHelp, 2, true);
    a.conversation(nov(4, 10), SCHOOL, "heard");
    let a_assessed = a.assess(
        nov(10, 10),
        MASH,
        AssessmentKind::EarlyHelpAssessment,
        &["NOR-CD-19-T3"],
        &[],
        tier(2),
        None,
    );
    a.step(nov(10, 11), true, tier(1), tier(2), true);
    let d = a.raise(nov(12, 10), SCHOOL, a_assessed);
    a.escalate(nov(19, 10), SCHOOL, d, 2, MASH);
    a.resolve(nov(26, 10), MASH, d, DisagreementOutcome::DecisionChanged);

    // B: Great Yarmouth, 7, registered in the period. Referred by the police on Friday the 6th
    // with consent dispensed; decided on Tuesday the 10th (late: due by the end of Monday),
    // no further action, and the police never told. A second referral on the 20th was
    // entered on the wrong child and retracted. One early help assessment as suggested.
    let mut b = ChildBuilder::register(2, "Great Yarmouth", "2019-06-15", nov(2, 8));
    let (b1, _) = b.referral(nov(6, 15), POLICE, Some("6"), ConsentFor::Dispensed);
    b.conversation(nov(6, 16), POLICE, "reason");
    b.conversation(nov(7, 10), POLICE, "none");
    b.decide(nov(10, 9), b1, ReferralDecision::NoFurtherAction, 1, false);
    b.assess(
        nov(12, 10),
        MASH,
        AssessmentKind::EarlyHelpAssessment,
        &["NOR-CD-02-T2"],
        &[],
        tier(2),
        None,
    );
    let (_, b2) = b.referral(nov(20, 9), SCHOOL, Some("2A"), ConsentFor::Given);
    b.retract(nov(21, 9), SCHOOL, b2);

    // C: 16, Norwich until she moves to Great Yarmouth on the 16th. Referred by health on
    // the 3rd despite the mother's refusal; the mother is told on the 5th (late), the front
    // door decides the same day and tells the referrer next morning. A single assessment
    // (started the 4th, done the 13th) decides tier 3 under section 17, as suggested; she
    // steps up without the family told. In Great Yarmouth: a strategy discussion on the 18th,
    // an enquiry, an initial conference on Friday the 27th, a child protection plan, tier 4.
    let mut c = ChildBuilder::register(3, "Norwich", "2010-01-20", at(2025, 1, 10, 10));
    let (c1, c1_made) = c.referral(nov(3, 10), HEALTH, Some("3A"), ConsentFor::Refused);
    c.decide(
        nov(3, 16),
        c1,
        ReferralDecision::ChildInNeedAssessment,
        3,
        false,
    );
    c.referrer_informed(nov(4, 9), c1);
    c.family_informed(nov(5, 10), c1_made);
    c.assess(
        nov(13, 10),
        MASH,
        AssessmentKind::SingleAssessment,
        &["NOR-CD-02-T2", "NOR-FE-02-T2"],
        &[],
        level(3, StatutoryBasis::Section17),
        Some("2026-11-04"),
    );
    c.step(
        nov(13, 12),
        true,
        tier(1),
        level(3, StatutoryBasis::Section17),
        false,
    );
    c.update_details(
        nov(16, 9),
        ChildDetailsChanges {
            locality: Some(domain::testing::text("Great Yarmouth")),
            ..ChildDetailsChanges::default()
        },
    );
    let sd = c.strategy(nov(18, 10), StrategyDecision::Section47Enquiry);
    c.enquiry(nov(18, 14), sd);
    c.conference(
        nov(27, 10),
        ConferenceKind::Initial,
        ConferenceOutcome::PlanStarted,
    );
    c.step(
        nov(27, 11),
        true,
        level(3, StatutoryBasis::Section17),
        level(4, StatutoryBasis::Section47),
        true,
    );
    c.plan(nov(27, 12), PlanKind::ChildProtectionPlan, "2026-12-10");

    // D: Norwich, 14. An early help plan from October whose review (due the 5th) came on the
    // 9th, and whose next review (due the 26th) never came. Two exploitation assessments: the
    // first decided above its tier 2 suggestion; the second decided tier 1, then corrected to
    // tier 2. A conversation recorded on him belonged to another child and was retracted.
    let mut dd = ChildBuilder::register(4, "Norwich", "2012-05-05", at(2026, 9, 1, 10));
    let plan = dd.plan(at(2026, 10, 20, 10), PlanKind::EarlyHelpPlan, "2026-11-05");
    dd.review(nov(9, 10), plan, "2026-11-26");
    dd.assess(
        nov(20, 10),
        MASH,
        AssessmentKind::EarlyHelpAssessment,
        &["NOR-CD-21-T2"],
        &[],
        tier(3),
        None,
    );
    let wrong = dd.conversation(nov(21, 10), SCHOOL, "heard");
    dd.retract(nov(22, 10), SCHOOL, wrong);
    let second = dd.assess(
        nov(24, 10),
        MASH,
        AssessmentKind::EarlyHelpAssessment,
        &["NOR-CD-10-T2"],
        &[],
        tier(1),
        None,
    );
    let mut corrected = dd.data_of(second);
    if let RecordData::NeedsAssessed(n) = &mut corrected {
        n.decided_level = tier(2);
        // A client never sends the server's suggestion, so a correction does not carry it.
        n.suggested = None;
    }
    dd.correct(nov(25, 10), MASH, second, corrected);

    // E: registered after the period, with a referral after it: in no figure.
    let mut e = ChildBuilder::register(5, "Norwich", "2015-02-02", at(2026, 12, 5, 10));
    e.referral(at(2026, 12, 6, 10), SCHOOL, Some("2A"), ConsentFor::Given);

    // F: Great Yarmouth, 6. At tier 2 since 2025; steps down on the 17th without the family
    // told, who are told next day (on time). A service started on the 2nd without the family
    // told, and they never are.
    let mut f = ChildBuilder::register(6, "Great Yarmouth", "2020-01-01", at(2024, 6, 1, 10));
    f.step(at(2025, 2, 1, 10), true, tier(1), tier(2), true);
    f.service(nov(2, 10), None, false);
    let down = f.step(nov(17, 10), false, tier(2), tier(1), false);
    f.family_informed(nov(18, 10), down);

    Dataset {
        children: vec![a, b, c, dd, e, f],
    }
}

#[test]
fn referrals_follow_those_received_in_the_period() {
    let r = dataset().report(None).referrals;
    // A2 (2nd), B1 (6th), C1 (3rd); B2 was retracted, A1 is March, E's is December.
    assert_eq!(r.received, 3);
    assert_eq!(r.decided, 3);
    // A2 decided the next day, C1 the same day; B1 on Tuesday for a Friday referral.
    assert_eq!(r.decided_within_one_working_day, 2);
    assert_eq!(r.no_further_action, 1);
    // A2 on the decision, C1 by a referrer_informed; B1 never.
    assert_eq!(r.referrer_informed, 2);
    // A2: A1 was in March, within 12 months.
    assert_eq!(r.re_referrals_within_12_months, 1);
    assert_eq!(r.no_further_action_rate, Some(0.3333));
    assert_eq!(r.re_referral_rate, Some(0.3333));
}

#[test]
fn no_further_action_by_referral_source() {
    let r = dataset().report(None).referrals;
    let keys: Vec<&str> = r.by_source.keys().map(String::as_str).collect();
    assert_eq!(keys, ["2A", "3A", "6"]);
    let police = &r.by_source["6"];
    assert_eq!(
        (police.received, police.decided, police.no_further_action),
        (1, 1, 1)
    );
    assert_eq!(police.no_further_action_rate, Some(1.0));
    assert_eq!(r.by_source["2A"].no_further_action_rate, Some(0.0));
}

#[test]
fn consent_of_the_referrals() {
    let c = dataset().report(None).consent;
    assert_eq!(c.referrals_with_consent, 1, "A2");
    assert_eq!(c.referrals_consent_dispensed, 1, "B1");
    assert_eq!(c.referrals_consent_refused_proceeded, 1, "C1");
    assert_eq!(
        c.family_told_after_refusal, 1,
        "C1's mother, told on the 5th"
    );
    assert_eq!(c.referrals_consent_not_recorded, 0);
}

#[test]
fn the_childs_voice() {
    let v = dataset().report(None).child_voice;
    // A heard; B a reason only; B nothing; D's was retracted.
    assert_eq!(v.conversations, 3);
    assert_eq!(v.conversations_with_child_voice, 1);
    assert_eq!(v.conversations_child_voice_not_captured, 1);
    assert_eq!((v.assessments, v.assessments_with_child_voice), (5, 5));
}

#[test]
fn levels_at_the_end_and_steps() {
    let l = dataset().report(None).levels;
    // A at 2, B at 1, C at 4, D at 1, F back to 1; E registered after the period.
    assert_eq!(
        (
            l.at_end.tier_1,
            l.at_end.tier_2,
            l.at_end.tier_3,
            l.at_end.tier_4
        ),
        (3, 1, 0, 1)
    );
    // A on the 10th, C on the 13th and 27th; F's step down on the 17th.
    assert_eq!((l.step_ups, l.step_downs), (3, 1));
}

#[test]
fn threshold_consistency_by_locality_and_referring_agency() {
    let t = dataset().report(None).threshold_consistency;
    // A below (2 for 3), B as (2), C as (3 s17 for 3), D1 above (3 for 2), D2 as (2 for 2,
    // corrected, its suggestion worked out again).
    assert_eq!(t.all.assessments, 5);
    assert_eq!(t.all.decided_as_suggested, 3);
    assert_eq!(t.all.decided_above_suggested, 1);
    assert_eq!(t.all.decided_below_suggested, 1);
    assert_eq!(t.all.suggestion_recomputed, 1);

    // C was still in Norwich when assessed on the 13th.
    let norwich = &t.by_locality["Norwich"];
    assert_eq!(
        (
            norwich.assessments,
            norwich.decided_as_suggested,
            norwich.decided_below_suggested
        ),
        (4, 2, 1)
    );
    assert_eq!(t.by_locality["Great Yarmouth"].assessments, 1);

    let by = &t.by_referring_agency;
    assert_eq!(
        by[SCHOOL].decided_below_suggested, 1,
        "A, referred by the school"
    );
    assert_eq!(by[POLICE].decided_as_suggested, 1, "B");
    assert_eq!(by[HEALTH].decided_as_suggested, 1, "C");
    assert_eq!(
        (
            by["no_referral"].assessments,
            by["no_referral"].decided_above_suggested
        ),
        (2, 1),
        "D"
    );
}

#[test]
fn older_children_with_exploitation_indicators_judged_below_targeted_support() {
    let o = dataset().report(None).older_children_exploitation;
    // A (15, CD-19), D1 (14, CD-21), D2 (14, CD-10); C is 16 but has none tagged.
    assert_eq!(o.assessments, 3);
    // A at 2, D2 at 2 once corrected; D1 was decided at 3.
    assert_eq!(o.decided_tier_1_or_2, 2);
    // Only A's indicator suggested tier 3.
    assert_eq!(o.suggested_tier_3_or_4, 1);
    assert_eq!(o.children, 2);
}

#[test]
fn child_protection_and_its_timeliness() {
    let report = dataset().report(None);
    let cp = &report.child_protection;
    assert_eq!(
        (
            cp.strategy_discussions,
            cp.section_47_enquiries,
            cp.initial_conferences,
            cp.plans_started,
            cp.plans_ended
        ),
        (1, 1, 1, 1, 0)
    );
    let t = &report.timeliness;
    // 18th to 27th: 7 working days.
    assert_eq!(
        (
            t.initial_conferences.held,
            t.initial_conferences.within_15_working_days
        ),
        (1, 1)
    );
    // C's single assessment, 4th to 13th: 7 working days; the others are early help.
    assert_eq!(
        (
            t.assessments.completed,
            t.assessments.within_45_working_days
        ),
        (1, 1)
    );
    assert_eq!(
        (
            t.referral_decisions.received,
            t.referral_decisions.within_one_working_day,
            t.referral_decisions.later
        ),
        (3, 2, 1)
    );
}

#[test]
fn disagreements_raised_and_resolved() {
    let d = dataset().report(None).disagreements;
    assert_eq!(
        (d.raised, d.resolved, d.open_at_end, d.escalated),
        (1, 1, 0, 1)
    );
    // 12th to 26th: 14 days, 10 working days.
    assert_eq!(d.median_days_to_resolve, Some(14.0));
    assert_eq!(d.median_working_days_to_resolve, Some(10.0));
}

#[test]
fn obligations_due_in_the_period_met_late_or_never() {
    let o = dataset().report(None).obligations;
    let kind = |k: &str| {
        let f = &o.by_kind[k];
        (f.due, f.met_on_time, f.met_late, f.not_met)
    };
    // A2 and C1 decided in time, B1 late.
    assert_eq!(kind("decide_referral"), (3, 2, 1, 0));
    // A2 on the decision, C1 next morning; B1's referrer never told.
    assert_eq!(kind("inform_referrer"), (3, 2, 0, 1));
    // C1's refusal told late; C's step on the 13th never; F's step down told next day; F's
    // service never.
    assert_eq!(kind("inform_family"), (4, 1, 1, 2));
    // D's plan: reviewed late for the 5th, never for the 26th. C's plan is due in December.
    assert_eq!(kind("review_plan"), (2, 0, 1, 1));
    assert_eq!(
        (o.all.due, o.all.met_on_time, o.all.met_late, o.all.not_met),
        (12, 5, 3, 4)
    );
}

#[test]
fn a_locality_counts_what_happened_while_the_child_lived_there() {
    let r = dataset().report(Some(" great yarmouth "));
    assert_eq!(r.locality.as_deref(), Some("great yarmouth"));
    // B1 only: C1 was made while C lived in Norwich.
    assert_eq!(r.referrals.received, 1);
    // B and F at 1; C moved here and ends at 4.
    assert_eq!((r.levels.at_end.tier_1, r.levels.at_end.tier_4), (2, 1));
    // C's step on the 27th (her step on the 13th was in Norwich); F's step down.
    assert_eq!((r.levels.step_ups, r.levels.step_downs), (1, 1));
    assert_eq!(
        (
            r.child_protection.strategy_discussions,
            r.child_protection.plans_started
        ),
        (1, 1)
    );
    assert_eq!(r.threshold_consistency.all.assessments, 1);
    assert_eq!(r.disagreements.raised, 0);
    // B, C, F were active here in the period.
    assert_eq!(r.children.len(), 3);
}

#[test]
fn a_plan_that_ends_before_its_review_owes_none() {
    let mut c = ChildBuilder::register(9, "Norwich", "2015-01-01", at(2026, 10, 1, 10));
    // Ended on the 10th, before its review on the 20th: nothing owed.
    c.conference(
        nov(2, 9),
        ConferenceKind::Initial,
        ConferenceOutcome::PlanStarted,
    );
    let cp = c.plan(nov(2, 10), PlanKind::ChildProtectionPlan, "2026-11-20");
    c.end_plan(nov(10, 10), cp);
    // Due on the 6th, never reviewed, ended on the 12th: a review not met.
    let eh = c.plan(nov(3, 10), PlanKind::EarlyHelpPlan, "2026-11-06");
    c.end_plan(nov(12, 10), eh);
    let report = inspection_report(&world(&[&c]), norfolk(), november(), None, &pseudonym);
    let plans = &report.obligations.by_kind["review_plan"];
    assert_eq!(
        (plans.due, plans.met_on_time, plans.met_late, plans.not_met),
        (1, 0, 0, 1)
    );
    assert_eq!(
        (
            report.child_protection.plans_started,
            report.child_protection.plans_ended
        ),
        (1, 1)
    );
}

#[test]
fn a_re_referral_is_one_within_twelve_months() {
    let mut c = ChildBuilder::register(10, "Norwich", "2015-01-01", at(2025, 1, 1, 10));
    // 2 Oct 2025 is more than twelve months before 3 Nov 2026; 3 Nov 2025 is exactly twelve.
    for day in [at(2025, 10, 2, 10), at(2025, 11, 3, 10), nov(3, 10)] {
        c.referral(day, SCHOOL, None, ConsentFor::Given);
    }
    let report = inspection_report(&world(&[&c]), norfolk(), november(), None, &pseudonym);
    assert_eq!(
        (
            report.referrals.received,
            report.referrals.re_referrals_within_12_months
        ),
        (1, 1)
    );
    assert_eq!(report.referrals.by_source["not_recorded"].received, 1);
    // Undecided: due by the end of Wednesday the 4th, never met.
    assert_eq!(report.timeliness.referral_decisions.not_decided, 1);
    assert_eq!(report.obligations.by_kind["decide_referral"].not_met, 1);

    let mut d = ChildBuilder::register(11, "Norwich", "2015-01-01", at(2025, 1, 1, 10));
    d.referral(at(2025, 11, 2, 10), SCHOOL, None, ConsentFor::Given);
    d.referral(nov(3, 10), SCHOOL, None, ConsentFor::Given);
    let report = inspection_report(&world(&[&d]), norfolk(), november(), None, &pseudonym);
    assert_eq!(
        report.referrals.re_referrals_within_12_months, 0,
        "a year and a day before"
    );
}

#[test]
fn recording_delay_by_agency() {
    let mut c = ChildBuilder::register(7, "Norwich", "2015-01-01", at(2026, 10, 1, 10));
    c.delay = Duration::hours(2);
    c.conversation(nov(2, 10), SCHOOL, "heard");
    c.delay = Duration::hours(4);
    c.conversation(nov(3, 10), SCHOOL, "heard");
    c.delay = Duration::hours(30);
    c.conversation(nov(4, 10), SCHOOL, "heard");
    c.delay = Duration::minutes(30);
    c.conversation(nov(5, 10), POLICE, "heard");
    let report = inspection_report(&world(&[&c]), norfolk(), november(), None, &pseudonym);
    let d = &report.recording_delay;
    let school = &d.by_agency[SCHOOL];
    assert_eq!(
        (
            school.records,
            school.median_hours,
            school.p90_hours,
            school.over_24_hours
        ),
        (3, Some(4.0), Some(30.0), 1)
    );
    assert_eq!(d.by_agency[POLICE].median_hours, Some(0.5));
    // All four: 0.5, 2, 4, 30 → median 3, p90 the 4th value. The registration was in October.
    assert_eq!(
        (d.all.records, d.all.median_hours, d.all.p90_hours),
        (4, Some(3.0), Some(30.0))
    );
}

#[test]
fn a_retracted_registration_detail_and_an_unreadable_record_are_tolerated() {
    let mut c = ChildBuilder::register(8, "Norwich", "2015-01-01", at(2026, 10, 1, 10));
    c.conversation(nov(2, 10), SCHOOL, "heard");
    let mut events = world(&[&c]);
    // Data of an older shape: fields missing or of the wrong type. JSON on purpose: no typed
    // builder can make a record the domain would refuse.
    let mut odd = events[1].clone();
    odd.event_id = Uuid::from_u128(99);
    odd.sequence = 99;
    odd.event_type = "referral_made".into();
    odd.data = json!({ "referral_id": 7, "consent": "yes" });
    events.push(odd.clone());
    odd.event_id = Uuid::from_u128(100);
    odd.sequence = 100;
    odd.event_type = "needs_assessed".into();
    odd.data = json!({ "decided_level": { "tier": 9 }, "indicators": "none" });
    events.push(odd);
    let report = inspection_report(&events, norfolk(), november(), None, &pseudonym);
    // Records the domain cannot read are left out of the read model (and logged); the rest
    // of the child's record still counts.
    assert_eq!(
        report.referrals.received, 0,
        "the unreadable referral is left out"
    );
    assert_eq!(report.threshold_consistency.all.assessments, 0);
    assert_eq!(
        report.child_voice.assessments, 0,
        "the unreadable assessment too"
    );
    assert_eq!(
        report.child_voice.conversations, 1,
        "the conversation still counts"
    );
}

#[test]
fn an_empty_store_gives_zeros_and_nulls() {
    let report = inspection_report(&[], norfolk(), november(), None, &pseudonym);
    assert_eq!(report.referrals.received, 0);
    assert_eq!(report.referrals.no_further_action_rate, None);
    assert_eq!(report.disagreements.median_days_to_resolve, None);
    assert!(report.children.is_empty());
    assert_eq!(report.to_csv().lines().next(), Some("section,figure,value"));
}

#[test]
fn a_period_runs_forwards() {
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).expect("a date");
    assert!(Period::new(d(2), d(1)).is_err());
    assert!(
        serde_json::from_value::<Period>(json!({ "from": "2026-11-02", "to": "2026-11-01" }))
            .is_err()
    );
    assert_eq!(Period::new(d(1), d(1)).map(|p| p.contains(d(1))), Ok(true));
}

#[test]
fn children_are_pseudonyms_with_counts() {
    let report = dataset().report(None);
    // A, B, C, D, F: E had nothing in the period.
    assert_eq!(report.children.len(), 5);
    let names: Vec<&str> = report
        .children
        .iter()
        .map(|c| c.pseudonym.as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "rows are in pseudonym order");
    let a = report
        .children
        .iter()
        .find(|c| c.pseudonym == pseudonym(Uuid::from_u128(1 << 64)))
        .expect("A's row");
    assert_eq!(
        (a.referrals, a.re_referrals, a.decided_below_suggested),
        (1, 1, 1)
    );
    assert!(a.older_child_exploitation_decided_tier_1_or_2);
    assert_eq!(a.age_band, "14-17");
    assert_eq!(
        a.level_at_end.as_ref().map(|l| (l.tier, l.name.as_str())),
        Some((2, "Early Help"))
    );
}

#[test]
fn no_identity_appears_in_the_json_or_the_csv() {
    let data = dataset();
    let report = data.report(None);
    let json = serde_json::to_string(&report).expect("the report serialises");
    let csv = report.to_csv();
    for child in &data.children {
        let reg = child.registration();
        let mut secrets: Vec<String> = ["given_name", "family_name", "date_of_birth"]
            .iter()
            .filter_map(|f| reg[*f].as_str().map(str::to_owned))
            .collect();
        for id in ["nhs_number", "upn", "la_child_id"] {
            secrets.extend(reg["identifiers"][id].as_str().map(str::to_owned));
        }
        secrets.push(child.child_id().to_string());
        secrets.push(child.child_id().simple().to_string());
        secrets.extend(child.events().iter().map(|e| e.event_id.to_string()));
        assert!(secrets.len() > 8);
        for secret in &secrets {
            assert!(!json.contains(secret.as_str()), "the JSON shows {secret}");
            assert!(!csv.contains(secret.as_str()), "the CSV shows {secret}");
        }
    }
    for practitioner in ["Pat Worker", "Given", "Family"] {
        assert!(
            !json.contains(practitioner) && !csv.contains(practitioner),
            "{practitioner}"
        );
    }
}

#[test]
fn the_report_is_the_same_however_the_events_are_ordered() {
    let data = dataset();
    let mut events = data.events();
    let first = inspection_report(&events, norfolk(), november(), None, &pseudonym);
    events.reverse();
    let second = inspection_report(&events, norfolk(), november(), None, &pseudonym);
    assert_eq!(first, second);
}

#[test]
fn the_csv_names_each_figure_as_the_json_does() {
    let csv = dataset().report(None).to_csv();
    for line in [
        "section,figure,value",
        "report,framework,norfolk",
        "period,from,2026-11-01",
        "referrals,received,3",
        "referrals.by_source,6/no_further_action_rate,1.0",
        "levels.at_end,1,3",
        "threshold_consistency.by_locality,Norwich/decided_as_suggested,2",
        "timeliness.referral_decisions,within_one_working_day,2",
        "obligations.by_kind,inform_family/not_met,2",
        "report,locality,",
    ] {
        assert!(csv.lines().any(|l| l == line), "no line {line:?} in\n{csv}");
    }
    assert!(
        csv.lines()
            .any(|l| l.starts_with("children,C-") && l.contains("/level_at_end.tier,"))
    );
}

#[test]
fn snapshot_of_the_json() {
    insta::assert_json_snapshot!("inspection_report_november", dataset().report(None));
}

#[test]
fn snapshot_of_the_csv() {
    insta::assert_snapshot!(
        "inspection_report_november_csv",
        dataset().report(None).to_csv()
    );
}

// --- Small numbers -------------------------------------------------------------------------

#[test]
fn a_report_of_every_locality_is_published_as_it_is() {
    let report = dataset().report(None);
    assert!(!report.small_counts.is_active());
    assert!(!report.suppresses_any());
    assert_eq!(
        report.published_json(),
        serde_json::to_string(&report).unwrap()
    );
}

#[test]
fn in_one_locality_figures_resting_on_fewer_than_five_children_are_withheld() {
    // Norwich holds A, C and D in November (E is registered after it): three children.
    let report = dataset().report(Some("Norwich"));
    assert!(report.small_counts.is_active());
    let published: serde_json::Value = serde_json::from_str(&report.published_json()).unwrap();
    let exact = serde_json::to_value(&report).unwrap();
    // Every number the exact report has is either 0 (kept), or withheld: three children
    // cannot make a figure resting on five.
    fn check(exact: &serde_json::Value, published: &serde_json::Value, path: &str) {
        match (exact, published) {
            (serde_json::Value::Object(e), serde_json::Value::Object(p)) => {
                assert_eq!(e.len(), p.len(), "{path}");
                for (k, v) in e {
                    check(v, &p[k], &format!("{path}.{k}"));
                }
            }
            (serde_json::Value::Array(e), serde_json::Value::Array(p)) => {
                for (i, (e, p)) in e.iter().zip(p).enumerate() {
                    check(e, p, &format!("{path}[{i}]"));
                }
            }
            (serde_json::Value::Number(n), p) if n.as_u64() == Some(0) => {
                assert_eq!(p, exact, "{path}: a count of 0 is kept");
            }
            (serde_json::Value::Number(_), p) if path.ends_with(".tier") => {
                assert_eq!(p, exact, "{path}: a tier is not a count");
            }
            (serde_json::Value::Number(_), p) => {
                assert_eq!(*p, SUPPRESSED, "{path}");
            }
            (e, p) => assert_eq!(e, p, "{path}"),
        }
    }
    check(&exact, &published, "");
    assert!(report.suppresses_any());
    assert_eq!(published["referrals"]["received"], SUPPRESSED);
    assert_eq!(published["locality"], "Norwich");
    let csv = report.to_csv();
    assert!(csv.contains("referrals,received,<5\n"), "{csv}");
    // Counts of nothing stay 0.
    assert_eq!(
        published["child_protection"]["plans_ended"],
        exact["child_protection"]["plans_ended"]
    );
}

#[test]
fn children_with_nothing_in_the_locality_are_counted_once_as_if_counted_each() {
    // The tally counts the children whose own figures are nobody's (nothing in the locality
    // or the period) as one report with their number: it must withhold exactly what
    // counting every child's own report would.
    use super::cases::Case;
    use super::figures::{Scope, compute};
    use super::{SmallCounts, report_of};

    let data = dataset();
    let events = data.events();
    let mut by_child: std::collections::BTreeMap<Uuid, Vec<&StoredEvent>> = Default::default();
    for e in &events {
        by_child.entry(e.child_id).or_default().push(e);
    }
    let cases: Vec<Case> = by_child
        .iter()
        .map(|(id, evs)| Case::read(*id, evs, norfolk()))
        .collect();
    for locality in ["Norwich", "great yarmouth", "King's Lynn"] {
        let scope = Scope {
            period: november(),
            locality: Some(locality),
        };
        let each = cases.iter().map(|case| {
            let alone = compute(&[case], &scope, norfolk());
            let report = report_of(
                alone,
                norfolk(),
                &scope,
                &|_| String::new(),
                SmallCounts::default(),
            );
            (serde_json::to_value(report).unwrap(), 1)
        });
        assert_eq!(
            data.report(Some(locality)).small_counts,
            SmallCounts::tally(each),
            "{locality}"
        );
    }
}

/// A child whose records arrive out of time order: backdated conversations, a move of
/// locality recorded after a later one, plan reviews out of order, the referrer told before
/// the decision, and a step dated before earlier records.
fn backdated() -> ChildBuilder {
    let mut g = ChildBuilder::register(7, "Norwich", "2012-05-05", nov(1, 9));
    g.conversation(nov(20, 10), SCHOOL, "heard");
    g.conversation(nov(3, 10), HEALTH, "reason");
    let gy = |c: &str| ChildDetailsChanges {
        locality: Some(domain::testing::text(c)),
        ..ChildDetailsChanges::default()
    };
    g.update_details(nov(18, 9), gy("Great Yarmouth"));
    g.update_details(nov(10, 9), gy("King's Lynn"));
    g.update_details(nov(18, 9), gy("Norwich"));
    let (r, _) = g.referral(nov(4, 9), SCHOOL, Some("2A"), ConsentFor::Given);
    g.referrer_informed(nov(9, 9), r);
    g.decide(nov(6, 9), r, ReferralDecision::EarlyHelp, 2, true);
    g.referrer_informed(nov(5, 9), r);
    let plan = g.plan(nov(6, 12), PlanKind::ChildInNeedPlan, "2026-12-06");
    g.review(nov(25, 9), plan, "2027-01-06");
    g.review(nov(12, 9), plan, "2026-12-20");
    let up = g.step(nov(2, 9), true, tier(1), tier(2), false);
    g.family_informed(nov(21, 9), up);
    g.conversation(nov(1, 8), POLICE, "none");
    g
}

fn row(case: &super::cases::Case) -> Vec<u8> {
    rmp_serde::to_vec_named(case).expect("facts encode")
}

/// Every child of the test council and the backdated one, its facts read in pieces cut at
/// `cuts` by `piece` (given the facts so far, the record so far and the piece's records alone),
/// against the facts of its whole record read at once.
fn pieces_read_as_the_whole(
    cuts: &[proptest::sample::Index],
    piece: impl Fn(&mut Option<super::cases::CaseFold>, &ChildRecord, &ChildRecord),
) -> Result<(), proptest::test_runner::TestCaseError> {
    use super::cases::Case;

    let mut children = dataset().children;
    children.push(backdated());
    for child in &children {
        let events = child.events();
        let whole = {
            let refs: Vec<&StoredEvent> = events.iter().collect();
            Case::of(&ChildRecord::of(child.child_id(), &refs), norfolk())
        };
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(events.len() + 1)).collect();
        cuts.push(events.len());
        cuts.sort_unstable();
        let mut so_far = ChildRecord::new(child.child_id());
        let mut fold = None;
        let mut read = 0;
        for cut in cuts {
            let mut part = ChildRecord::new(child.child_id());
            for e in &events[read..cut] {
                so_far.push(e);
                part.push(e);
            }
            read = cut;
            piece(&mut fold, &so_far, &part);
        }
        let extended = fold.expect("read at least once").case();
        proptest::prop_assert_eq!(row(&extended), row(&whole), "child {}", child.child_id());
    }
    Ok(())
}

proptest::proptest! {
    /// A child's facts read in pieces, extending them with each piece's records, are the
    /// facts read from the whole record at once: wherever the pieces are cut (before or after
    /// a correction, a retraction, a disagreement, a backdated record).
    #[test]
    fn facts_extended_record_by_record_are_the_facts_of_the_whole_record(
        cuts in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..6),
    ) {
        pieces_read_as_the_whole(&cuts, |fold, so_far, _| match fold {
            Some(f) => f.extend(so_far, norfolk()),
            None => *fold = Some(CaseFold::of(so_far, norfolk())),
        })?;
    }

    /// A child's facts kept without its record, extended by each piece's records alone where
    /// that can be done ([`super::cases::CaseFold::extend_part`]) and read from the whole
    /// record where it cannot (a correction, a disagreement), are the facts read from the
    /// whole record at once: what the read model's kept children rely on past their budget.
    #[test]
    fn facts_extended_by_parts_alone_are_the_facts_of_the_whole_record(
        cuts in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..6),
    ) {
        pieces_read_as_the_whole(&cuts, |fold, so_far, part| {
            if !fold.as_mut().is_some_and(|f| f.extend_part(part, norfolk())) {
                *fold = Some(CaseFold::of(so_far, norfolk()));
            }
        })?;
    }
}

/// Conversations extend facts kept without the record; a disagreement cannot (its thread is
/// built from the whole record), nor a correction.
#[test]
fn only_records_that_stand_alone_extend_facts_kept_without_the_record() {
    let mut g = ChildBuilder::register(9, "Norwich", "2013-04-04", nov(1, 9));
    let first = g.conversation(nov(2, 10), SCHOOL, "heard");
    let before = g.events().len();
    g.conversation(nov(3, 10), HEALTH, "reason");
    g.raise(nov(4, 10), SCHOOL, first);
    let events = g.events();
    let part = |from: usize, to: usize| {
        let mut part = ChildRecord::new(g.child_id());
        for e in &events[from..to] {
            part.push(e);
        }
        part
    };
    let mut fold = CaseFold::of(&part(0, before), norfolk());
    assert!(fold.extend_part(&part(before, before + 1), norfolk()));
    assert!(!fold.extend_part(&part(before + 1, before + 2), norfolk()));
}

/// The backdated child's facts are ordered by when things happened, whatever order they
/// were recorded in: the locality of each day, the earliest time the referrer was told, the
/// plan's reviews, and the step up dated before the records recorded ahead of it.
#[test]
fn records_out_of_time_order_are_read_by_when_they_happened() {
    use super::cases::Case;
    use crate::child_record::ChildRecord;

    let g = backdated();
    let refs: Vec<&StoredEvent> = g.events().iter().collect();
    let case = Case::of(&ChildRecord::of(g.child_id(), &refs), norfolk());
    assert_eq!(case.locality_at(nov(5, 9)), Some("Norwich"));
    assert_eq!(case.locality_at(nov(12, 9)), Some("King's Lynn"));
    // Two moves at the same instant: the later-recorded one is where the child lives.
    assert_eq!(case.locality_at(nov(19, 9)), Some("Norwich"));
    assert_eq!(case.referrals[0].referrer_informed_at, Some(nov(5, 9)));
    let reviews: Vec<_> = case.plans[0].reviews.iter().map(|r| r.0).collect();
    assert_eq!(reviews, [nov(12, 9), nov(25, 9)]);
    let levels: Vec<_> = case.levels.iter().map(|l| (l.tier.get(), l.from)).collect();
    assert_eq!(levels, [(1, nov(1, 9)), (2, nov(2, 9))]);
}
