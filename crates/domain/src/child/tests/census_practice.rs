//! The census rules that encode practice and are refused at recording (docs/RETURNS.md): one
//! statutory plan at a time, a child protection plan on its conference's day, an initial
//! conference on a working day, RC8 and RC9 only after an assessment alone.

use super::*;
use crate::record::{ClosureReason, ConferenceKind, ConferenceOutcome, PlanEndReason};

/// A child protection conference on day `d` of November 2026.
fn conference(
    d: u32,
    kind: ConferenceKind,
    outcome: ConferenceOutcome,
    plan_id: Option<Uuid>,
) -> (Uuid, RecordInput) {
    let held = build::child_protection_conference_held()
        .kind(kind)
        .outcome(outcome);
    rec(
        d,
        match plan_id {
            Some(p) => held.plan(p),
            None => held,
        },
    )
}

/// A plan of `kind` started on day `d`.
fn plan_on(d: u32, plan_id: Uuid, kind: PlanKind) -> (Uuid, RecordInput) {
    rec(
        d,
        build::plan_started()
            .id(plan_id)
            .kind(kind)
            .category(PlanCategory::Neglect),
    )
}

fn ended(d: u32, plan_id: Uuid) -> (Uuid, RecordInput) {
    rec(
        d,
        build::plan_ended()
            .plan(plan_id)
            .reason(PlanEndReason::SteppedUp),
    )
}

fn closed(d: u32, reason: ClosureReason) -> (Uuid, RecordInput) {
    rec(
        d,
        build::case_closed()
            .reason("assessment completed")
            .closure_reason(reason),
    )
}

use ConferenceKind::{Initial, Review};
use ConferenceOutcome::{NoPlan, PlanContinued, PlanStarted};
use PlanKind::{ChildInNeedPlan, ChildProtectionPlan, EarlyHelpPlan};

#[test]
fn a_child_in_need_plan_and_a_child_protection_plan_never_run_together() {
    let (cin, cp) = (id(), id());
    // Day 10 is a Tuesday.
    check(
        vec![
            plan_on(9, cin, ChildInNeedPlan),
            conference(10, Initial, PlanStarted, Some(cp)),
        ],
        plan_on(10, cp, ChildProtectionPlan),
        "data.kind",
        "do not run together",
    );
    check(
        vec![
            conference(10, Initial, PlanStarted, Some(cp)),
            plan_on(10, cp, ChildProtectionPlan),
        ],
        plan_on(11, cin, ChildInNeedPlan),
        "data.kind",
        "do not run together",
    );
    // Ended first, the child protection plan starts; an early help plan runs beside either.
    accept(
        vec![
            plan_on(9, cin, ChildInNeedPlan),
            conference(10, Initial, PlanStarted, Some(cp)),
            ended(10, cin),
            plan_on(10, cp, ChildProtectionPlan),
        ],
        plan_on(11, id(), EarlyHelpPlan),
    );
}

#[test]
fn a_child_protection_plan_starts_on_the_day_of_the_conference_that_decided_it() {
    let cp = id();
    check(
        vec![],
        plan_on(10, cp, ChildProtectionPlan),
        "data.kind",
        "conference that decided it",
    );
    check(
        vec![conference(10, Initial, NoPlan, None)],
        plan_on(10, cp, ChildProtectionPlan),
        "data.kind",
        "conference that decided it",
    );
    check(
        vec![conference(10, Initial, PlanStarted, Some(id()))],
        plan_on(10, cp, ChildProtectionPlan),
        "data.kind",
        "conference that decided it",
    );
    check(
        vec![conference(10, Initial, PlanStarted, Some(cp))],
        plan_on(11, cp, ChildProtectionPlan),
        "occurred_at",
        "sat on 2026-11-10",
    );
    accept(
        vec![conference(10, Initial, PlanStarted, Some(cp))],
        plan_on(10, cp, ChildProtectionPlan),
    );
    // A conference that names no plan decides whichever plan starts that day.
    accept(
        vec![conference(12, Initial, PlanStarted, None)],
        plan_on(12, cp, ChildProtectionPlan),
    );
}

#[test]
fn an_initial_conference_sits_on_a_working_day() {
    // The 21st of November 2026 is a Saturday.
    check(
        vec![],
        conference(21, Initial, NoPlan, None),
        "occurred_at",
        "not a working day",
    );
    // A review conference is not held to the rule (the census counts initial ones).
    let cp = id();
    accept(
        vec![
            conference(20, Initial, PlanStarted, Some(cp)),
            plan_on(20, cp, ChildProtectionPlan),
        ],
        conference(21, Review, PlanContinued, Some(cp)),
    );
}

#[test]
fn rc8_and_rc9_close_only_a_case_that_went_no_further_than_an_assessment() {
    let (sd, e) = (id(), id());
    let enquiry = [
        strategy(sd, StrategyDecision::Section47Enquiry),
        rec(
            8,
            build::section_47_enquiry_started()
                .id(e)
                .strategy_discussion(sd),
        ),
        rec(9, build::section_47_enquiry_concluded().enquiry(e)),
    ];
    for reason in [ClosureReason::RC8, ClosureReason::RC9] {
        check(
            enquiry.iter().map(super::RecordExt::clone_record).collect(),
            closed(10, reason),
            "data.closure_reason",
            "a section 47 enquiry since it was opened",
        );
    }
    let cin = id();
    check(
        vec![plan_on(9, cin, ChildInNeedPlan), ended(10, cin)],
        closed(11, ClosureReason::RC8),
        "data.closure_reason",
        "a child in need plan",
    );
    // RC7 says the case went further; an early help plan alone leaves RC8 open.
    accept(
        enquiry.iter().map(super::RecordExt::clone_record).collect(),
        closed(10, ClosureReason::RC7),
    );
    let eh = id();
    accept(
        vec![plan_on(9, eh, EarlyHelpPlan), ended(10, eh)],
        closed(11, ClosureReason::RC8),
    );
    // A closure ends the episode: reopened, the case may close after an assessment alone.
    let mut history: Vec<_> = enquiry.iter().map(super::RecordExt::clone_record).collect();
    history.push(closed(10, ClosureReason::RC7));
    history.push(rec(11, build::case_reopened().reason("a new referral")));
    accept(history, closed(12, ClosureReason::RC8));
}
