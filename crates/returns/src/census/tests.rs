//! The census of hand-built journeys: every value the DfE asks for, checked.

use domain::record::{
    AssessmentKind as A, ClosureReason, ConferenceKind as K, ConferenceOutcome as O,
    EnquiryOutcome, PlanCategory, PlanKind, ReferralDecision as D,
};
use domain::registration::Gender;
use uuid::Uuid;

use super::*;
use crate::census_xml::{CensusWriter, Source};
use crate::testkit::{Journey, Who, day};

fn year() -> CollectionYear {
    "2025-26".parse().expect("a year")
}

fn census(j: &Journey) -> Option<CensusChild> {
    census_child(Uuid::from_u128(7), &j.child(), year())
}

/// A child in need, then on a child protection plan that runs over 31 March.
fn protected() -> Journey {
    let mut j = Journey::register(
        day(2025, 4, 20),
        Who {
            disability: vec!["MOB", "LD"],
            upn: Some("Z926200124001"),
            former_upn: Some("N926200124002"),
            ..Who::default()
        },
    );
    j.refer(day(2025, 5, 6), "2A")
        .decide(day(2025, 5, 7), D::ChildInNeedAssessment, "N1")
        .assess(
            A::SingleAssessment,
            day(2025, 5, 7),
            day(2025, 6, 10),
            &["3B", "4B"],
        )
        .start_plan(day(2025, 6, 11), PlanKind::ChildInNeedPlan, None)
        .end_plan(day(2025, 9, 1))
        .start_enquiry(day(2025, 9, 1))
        .conclude_enquiry(day(2025, 9, 15), EnquiryOutcome::ConferenceNeeded)
        .conference(
            day(2025, 9, 19),
            K::Initial,
            O::PlanStarted,
            Some(PlanCategory::Neglect),
        )
        .start_plan(
            day(2025, 9, 19),
            PlanKind::ChildProtectionPlan,
            Some(PlanCategory::Neglect),
        )
        .conference(
            day(2025, 12, 12),
            K::Review,
            O::PlanContinued,
            Some(PlanCategory::Multiple),
        )
        .conference(day(2026, 3, 10), K::Review, O::PlanContinued, None)
        // After the year: not yet known to the 2025-26 return.
        .end_plan(day(2026, 5, 1))
        .close(day(2026, 6, 1), Some(ClosureReason::RC7));
    j
}

#[test]
fn every_census_value_of_a_hand_built_journey() {
    let c = census(&protected()).expect("in the census");
    assert_eq!(
        c,
        CensusChild {
            la_child_id: "NCC000123".into(),
            upn: Some("Z926200124001".into()),
            former_upn: Some("N926200124002".into()),
            upn_unknown: None,
            birth_date: Some(day(2015, 6, 1)),
            expected_birth_date: None,
            sex: "F",
            ethnicity: Some("WBRI".into()),
            disabilities: vec!["MOB".into(), "LD".into()],
            episodes: vec![Episode {
                referral_date: day(2025, 5, 6),
                referral_source: Some("2A".into()),
                primary_need: Some("N1".into()),
                closure: None,
                initial_cpc: None,
                referral_nfa: false,
                assessments: vec![Assessment {
                    start: day(2025, 5, 7),
                    authorised: Some(day(2025, 6, 10)),
                    factors: vec!["3B".into(), "4B".into()],
                    child_seen: Some(true),
                }],
                cin_plans: vec![(day(2025, 6, 11), Some(day(2025, 9, 1)))],
                section_47: vec![Section47 {
                    start: day(2025, 9, 1),
                    // 15 working days after Monday 1 September 2025.
                    icpc_target: day(2025, 9, 22),
                    icpc: Some(day(2025, 9, 19)),
                    icpc_not_required: false,
                }],
                cp_plans: vec![CpPlan {
                    start: day(2025, 9, 19),
                    end: None,
                    initial_category: Some("NEG"),
                    latest_category: Some("MUL"),
                    previous_plans: 0,
                    reviews: vec![day(2025, 12, 12), day(2026, 3, 10)],
                }],
            }],
        }
    );
    // The next year sees the plan end and the case close.
    let next = census_child(
        Uuid::from_u128(7),
        &protected().child(),
        "2026-27".parse().unwrap(),
    )
    .expect("still open in April 2026");
    let e = &next.episodes[0];
    assert_eq!(e.closure, Some((day(2026, 6, 1), "RC7".into())));
    assert_eq!(e.cp_plans[0].end, Some(day(2026, 5, 1)));
    assert!(
        e.cp_plans[0].reviews.is_empty(),
        "reviews of the year before stay there"
    );
    assert!(
        e.assessments.is_empty(),
        "an assessment authorised last year is not returned again"
    );
    assert!(
        e.section_47.is_empty(),
        "an enquiry whose conference sat last year is done"
    );
}

#[test]
fn the_xml_carries_every_element_in_the_dfe_order() {
    let c = census(&protected()).expect("in the census");
    let source = Source::new("926", "Caseline").expect("a source");
    let at = day(2026, 4, 2).and_hms_opt(9, 0, 0).unwrap().and_utc();
    let mut w = CensusWriter::start(Vec::new(), year(), &source, at).expect("header");
    w.child(&c).expect("child");
    let (bytes, n) = w.finish().expect("finish");
    assert_eq!(n, 1);
    let xml = String::from_utf8(bytes).expect("UTF-8");
    for expected in [
        "<Collection>CIN</Collection>",
        "<Year>2026</Year>",
        "<ReferenceDate>2026-03-31</ReferenceDate>",
        "<LEA>926</LEA>",
        "<SoftwareCode>Caseline</SoftwareCode>",
        "<LAchildID>NCC000123</LAchildID>",
        "<UPN>Z926200124001</UPN>",
        "<FormerUPN>N926200124002</FormerUPN>",
        "<PersonBirthDate>2015-06-01</PersonBirthDate>",
        "<Sex>F</Sex>",
        "<Ethnicity>WBRI</Ethnicity>",
        "<Disability>MOB</Disability>",
        "<Disability>LD</Disability>",
        "<CINreferralDate>2025-05-06</CINreferralDate>",
        "<ReferralSource>2A</ReferralSource>",
        "<PrimaryNeedCode>N1</PrimaryNeedCode>",
        "<ReferralNFA>false</ReferralNFA>",
        "<AssessmentActualStartDate>2025-05-07</AssessmentActualStartDate>",
        "<AssessmentAuthorisationDate>2025-06-10</AssessmentAuthorisationDate>",
        "<AssessmentFactors>3B</AssessmentFactors>",
        "<CINPlanStartDate>2025-06-11</CINPlanStartDate>",
        "<CINPlanEndDate>2025-09-01</CINPlanEndDate>",
        "<S47ActualStartDate>2025-09-01</S47ActualStartDate>",
        "<InitialCPCtarget>2025-09-22</InitialCPCtarget>",
        "<DateOfInitialCPC>2025-09-19</DateOfInitialCPC>",
        "<ICPCnotRequired>false</ICPCnotRequired>",
        "<CPPstartDate>2025-09-19</CPPstartDate>",
        "<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse>",
        "<LatestCategoryOfAbuse>MUL</LatestCategoryOfAbuse>",
        "<NumberOfPreviousCPP>0</NumberOfPreviousCPP>",
        "<CPPreviewDate>2025-12-12</CPPreviewDate>",
    ] {
        assert!(xml.contains(expected), "{expected} missing from\n{xml}");
    }
    assert!(!xml.contains("CINclosureDate"), "closed after the year");
    assert!(!xml.contains("CPPendDate"), "ended after the year");
    // The DfE's order: identifiers, characteristics, then the episode's modules.
    let at = |s: &str| xml.find(s).unwrap_or(usize::MAX);
    assert!(at("<ChildIdentifiers>") < at("<ChildCharacteristics>"));
    assert!(at("<ReferralNFA>") < at("<Assessments>"));
    assert!(at("<Assessments>") < at("<CINPlanDates>"));
    assert!(at("<CINPlanDates>") < at("<Section47>"));
    assert!(at("<Section47>") < at("<ChildProtectionPlans>"));
}

#[test]
fn two_episodes_in_a_year_the_first_a_referral_with_no_further_action() {
    let mut j = Journey::register(day(2025, 4, 1), Who::default());
    j.refer(day(2025, 4, 10), "6")
        .decide(day(2025, 4, 11), D::NoFurtherAction, "N9")
        .refer(day(2025, 7, 1), "3A")
        .decide(day(2025, 7, 2), D::ChildInNeedAssessment, "N4")
        .assess(
            A::SingleAssessment,
            day(2025, 7, 2),
            day(2025, 8, 20),
            &["21"],
        )
        .close(day(2025, 8, 21), Some(ClosureReason::RC8));
    let c = census(&j).expect("in the census");
    assert_eq!(c.episodes.len(), 2);
    let (nfa, assessed) = (&c.episodes[0], &c.episodes[1]);
    assert!(nfa.referral_nfa);
    assert_eq!(nfa.referral_date, day(2025, 4, 10));
    assert_eq!(
        nfa.closure,
        Some((day(2025, 4, 11), "RC8".into())),
        "RC8 on the day of the decision"
    );
    assert!(nfa.assessments.is_empty());
    assert!(!assessed.referral_nfa);
    assert_eq!(assessed.referral_source.as_deref(), Some("3A"));
    assert_eq!(assessed.closure, Some((day(2025, 8, 21), "RC8".into())));
    assert_eq!(assessed.assessments[0].factors, vec!["21".to_owned()]);
}

#[test]
fn a_referral_to_early_help_closes_with_rc9() {
    let mut j = Journey::register(day(2025, 4, 1), Who::default());
    j.refer(day(2025, 10, 6), "2A")
        .decide(day(2025, 10, 7), D::EarlyHelp, "N5");
    let e = &census(&j).expect("in the census").episodes[0];
    assert!(e.referral_nfa);
    assert_eq!(e.closure, Some((day(2025, 10, 7), "RC9".into())));
    assert_eq!(e.primary_need.as_deref(), Some("N5"));
}

#[test]
fn nothing_after_a_closure_or_an_nfa_joins_the_episode() {
    let mut j = Journey::register(day(2025, 4, 1), Who::default());
    j.refer(day(2025, 10, 6), "2A")
        .decide(day(2025, 10, 7), D::NoFurtherAction, "N9")
        // An early help assessment is not the census's; a plan with no open episode is not either.
        .assess(
            A::SingleAssessment,
            day(2025, 10, 8),
            day(2025, 10, 20),
            &["21"],
        )
        .start_plan(day(2025, 10, 21), PlanKind::ChildInNeedPlan, None);
    let e = &census(&j).expect("in the census").episodes[0];
    assert!(e.assessments.is_empty() && e.cin_plans.is_empty());
}

#[test]
fn an_unborn_child_has_an_expected_date_sex_u_and_un1() {
    let mut j = Journey::register(
        day(2026, 1, 5),
        Who {
            born: None,
            expected: Some(day(2026, 6, 1)),
            gender: Gender::Female,
            la_child_id: None,
            ..Who::default()
        },
    );
    j.refer(day(2026, 1, 10), "3B");
    let c = census(&j).expect("in the census");
    assert_eq!(c.birth_date, None);
    assert_eq!(c.expected_birth_date, Some(day(2026, 6, 1)));
    assert_eq!(c.sex, "U", "the census has no sex for an unborn child");
    assert_eq!(c.upn_unknown.as_deref(), Some("UN1"));
    assert_eq!(
        c.la_child_id, "00000000000000000000",
        "the child id's first 20 hex digits"
    );
    let e = &c.episodes[0];
    assert_eq!(e.primary_need.as_deref(), Some("N0"), "awaiting a decision");
    assert_eq!(e.closure, None);
}

#[test]
fn a_child_with_no_upn_gives_the_recorded_reason_or_none() {
    let mut j = Journey::register(
        day(2025, 4, 1),
        Who {
            upn_unknown: Some("UN2"),
            ethnicity: None,
            ..Who::default()
        },
    );
    j.refer(day(2025, 5, 1), "1A");
    let c = census(&j).expect("in the census");
    assert_eq!(
        (c.upn.as_deref(), c.upn_unknown.as_deref()),
        (None, Some("UN2"))
    );
    assert_eq!(c.ethnicity.as_deref(), Some("NOBT"), "not yet obtained");

    let mut j = Journey::register(day(2025, 4, 1), Who::default());
    j.refer(day(2025, 5, 1), "1A");
    let c = census(&j).expect("in the census");
    assert_eq!(
        c.upn_unknown, None,
        "a school-age child's reason is not guessed"
    );
}

#[test]
fn a_second_cp_plan_counts_the_first_and_episodes_outside_the_year_are_left_out() {
    let mut j = Journey::register(day(2023, 1, 2), Who::default());
    j.refer(day(2023, 1, 3), "6")
        .decide(day(2023, 1, 3), D::StrategyDiscussion, "N1")
        .start_plan(
            day(2023, 2, 1),
            PlanKind::ChildProtectionPlan,
            Some(PlanCategory::PhysicalAbuse),
        )
        .end_plan(day(2023, 9, 1))
        .close(day(2023, 10, 2), Some(ClosureReason::RC7));
    assert_eq!(census(&j), None, "closed before the year");
    j.refer(day(2025, 11, 3), "6")
        .decide(day(2025, 11, 3), D::StrategyDiscussion, "N1")
        .conference(day(2025, 11, 20), K::Initial, O::PlanStarted, None)
        .start_plan(
            day(2025, 11, 20),
            PlanKind::ChildProtectionPlan,
            Some(PlanCategory::EmotionalAbuse),
        );
    let c = census(&j).expect("in the census");
    assert_eq!(c.episodes.len(), 1);
    let e = &c.episodes[0];
    assert_eq!(
        e.initial_cpc,
        Some(day(2025, 11, 20)),
        "no enquiry: the episode's own"
    );
    assert_eq!(e.cp_plans[0].previous_plans, 1);
    assert_eq!(e.cp_plans[0].initial_category, Some("EMO"));
}

#[test]
fn a_retracted_referral_opens_no_episode() {
    let mut j = Journey::register(day(2025, 4, 1), Who::default());
    j.refer(day(2025, 5, 1), "1A").retract_last(day(2025, 5, 2));
    assert_eq!(census(&j), None);
}
