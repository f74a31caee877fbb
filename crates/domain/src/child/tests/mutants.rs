//! Rules that cargo-mutants showed untested (docs/TESTING.md, "Mutation testing"): each test
//! fails when one operator, value or match arm in `rules.rs` or `access.rs` is changed. Through
//! the same `check`/`accept` helpers and builders as the rest of the rules' tests.

use super::*;
use StepReasonKind::{Assessment, ConsentRefused, Indicators, NeedsMet};

#[test]
fn withdrawing_a_consent_only_sought_says_it_is_still_sought() {
    let k = id();
    let withdrawn = || rec(2, build::consent_withdrawn().id(k));
    check(
        vec![sought(k, ConsentPurpose::Referral)],
        withdrawn(),
        "data.consent_id",
        "this consent is sought, not given",
    );
    check(
        vec![
            sought(k, ConsentPurpose::Referral),
            given_consent(k),
            withdrawn(),
        ],
        given_consent(k),
        "data.consent_id",
        "this consent is already withdrawn",
    );
}

#[test]
fn an_early_help_plan_needs_no_category() {
    // (A child protection plan with its category is accepted in `census_practice`.)
    accept(
        vec![],
        rec(6, build::plan_started().kind(PlanKind::EarlyHelpPlan)),
    );
}

#[test]
fn factor_21_on_its_own_is_accepted() {
    accept(
        vec![],
        rec(8, build::needs_assessed().decided(tier(1)).factors(&["21"])),
    );
}

#[test]
fn a_step_down_may_rest_on_a_refusal_of_consent() {
    accept(
        vec![step(up(tier(1), tier(2), Indicators))],
        step(down(tier(2), tier(1), ConsentRefused)),
    );
}

#[test]
fn stepping_down_from_section_17_to_a_lower_tier_needs_no_consent() {
    accept(
        vec![step(up(tier(1), level(3, Section17), Assessment))],
        step(down(level(3, Section17), tier(2), NeedsMet)),
    );
}

#[test]
fn a_step_names_each_continuing_service_in_place_once() {
    let s = id();
    let started = rec(5, build::service_started().id(s).family_informed(true));
    let up = || up(tier(1), tier(2), Indicators);
    accept(
        vec![started.clone_record()],
        step(up().continuing_services(vec![s])),
    );
    check(
        vec![started],
        step(up().continuing_services(vec![s, s])),
        "data.continuing_services[1]",
        "services in place",
    );
}

/// The id of a school's step up from tier 1 to 2, and the child after it.
fn schools_step() -> (Uuid, Child) {
    let up = step(up(tier(1), tier(2), Indicators));
    let up_id = up.0;
    (up_id, after(vec![up]))
}

#[test]
fn a_refused_correction_says_whether_it_retracted_or_corrected_and_what_the_front_door_may_do() {
    use crate::access::{Role, may_append_to};
    let (up_id, c) = schools_step();
    let retract = rec(
        6,
        build::record_corrected()
            .corrects(up_id)
            .reason("wrong child")
            .retract(),
    );
    let (_, why) =
        may_append_to(Role::Recorder, "police:norfolk", &c, &retract.1.data).unwrap_err();
    assert!(
        why.0
            .contains("police:norfolk may retract only its own agency's records")
            && !why.0.contains("the front door may"),
        "{why}"
    );
    let correct = rec(
        6,
        build::record_corrected()
            .corrects(up_id)
            .corrected_to(up(tier(1), tier(2), Assessment)),
    );
    let (_, why) =
        may_append_to(Role::FrontDoor, "front_door:mash", &c, &correct.1.data).unwrap_err();
    assert!(
        why.0.contains("may correct only its own agency's records")
            && why
                .0
                .contains("the front door may retract another agency's record"),
        "{why}"
    );
}

#[test]
fn the_front_door_may_not_correct_another_agencys_record_by_marking_it_retracted_too() {
    use crate::access::{Role, may_append_to};
    let (up_id, c) = schools_step();
    let both = rec(
        6,
        build::record_corrected()
            .corrects(up_id)
            .retract()
            .corrected_to(up(tier(1), tier(2), Assessment)),
    );
    let (field, _) =
        may_append_to(Role::FrontDoor, "front_door:mash", &c, &both.1.data).unwrap_err();
    assert_eq!(field, "data.corrects_event_id");
}

#[test]
fn what_needs_to_happen_or_what_is_working_well_is_enough_for_a_conversation() {
    let mut needs = build::conversation_recorded().no_worries().data();
    needs.needs_to_happen = Some(vec![build::text("a school place by January")]);
    accept(vec![], rec(2, RecordData::ConversationRecorded(needs)));
    let mut well = build::conversation_recorded().no_worries().data();
    well.working_well = Some(vec![build::text("grandmother collects from school")]);
    accept(vec![], rec(2, RecordData::ConversationRecorded(well)));
}

#[test]
fn a_child_in_need_plan_refused_beside_a_child_protection_plan_names_each_plan() {
    use crate::record::{ConferenceKind, ConferenceOutcome};
    let cp = id();
    // Day 10 is a Tuesday.
    let conference = rec(
        10,
        build::child_protection_conference_held()
            .kind(ConferenceKind::Initial)
            .outcome(ConferenceOutcome::PlanStarted)
            .plan(cp),
    );
    let cp_plan = rec(
        10,
        build::plan_started()
            .id(cp)
            .kind(PlanKind::ChildProtectionPlan)
            .category(PlanCategory::Neglect),
    );
    check(
        vec![conference, cp_plan],
        rec(11, build::plan_started().kind(PlanKind::ChildInNeedPlan)),
        "data.kind",
        &format!("a child in need plan cannot start while child protection plan {cp} is open"),
    );
}
