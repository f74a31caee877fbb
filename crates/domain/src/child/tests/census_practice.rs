//! The census rules that encode practice and are refused at recording (docs/RETURNS.md): one
//! statutory plan at a time, a child protection plan on its conference's day, an initial
//! conference on a working day, RC8 and RC9 only after an assessment alone.

use super::*;

/// A child protection conference on day `d` of November 2026.
fn conference(d: u32, kind: &str, outcome: &str, plan_id: Option<Uuid>) -> (Uuid, RecordInput) {
    let mut data = json!({ "conference_id": id(), "kind": kind, "chair": school(), "attendees": ["police:norfolk"], "outcome": outcome });
    if let Some(p) = plan_id {
        data["plan_id"] = json!(p);
    }
    rec(d, "child_protection_conference_held", data)
}

/// A plan of `kind` started on day `d`.
fn plan_on(d: u32, plan_id: Uuid, kind: &str) -> (Uuid, RecordInput) {
    rec(
        d,
        "plan_started",
        json!({ "plan_id": plan_id, "kind": kind, "lead": school(), "review_by": "2026-12-20", "category": "neglect" }),
    )
}

fn ended(d: u32, plan_id: Uuid) -> (Uuid, RecordInput) {
    rec(
        d,
        "plan_ended",
        json!({ "plan_id": plan_id, "reason": "stepped_up" }),
    )
}

fn closed(d: u32, reason: &str) -> (Uuid, RecordInput) {
    rec(
        d,
        "case_closed",
        json!({ "reason": "assessment completed", "closed_by": school(), "closure_reason": reason }),
    )
}

#[test]
fn a_child_in_need_plan_and_a_child_protection_plan_never_run_together() {
    let (cin, cp) = (id(), id());
    // Day 10 is a Tuesday.
    check(
        vec![
            plan_on(9, cin, "child_in_need_plan"),
            conference(10, "initial", "plan_started", Some(cp)),
        ],
        plan_on(10, cp, "child_protection_plan"),
        "data.kind",
        "do not run together",
    );
    check(
        vec![
            conference(10, "initial", "plan_started", Some(cp)),
            plan_on(10, cp, "child_protection_plan"),
        ],
        plan_on(11, cin, "child_in_need_plan"),
        "data.kind",
        "do not run together",
    );
    // Ended first, the child protection plan starts; an early help plan runs beside either.
    accept(
        vec![
            plan_on(9, cin, "child_in_need_plan"),
            conference(10, "initial", "plan_started", Some(cp)),
            ended(10, cin),
            plan_on(10, cp, "child_protection_plan"),
        ],
        plan_on(11, id(), "early_help_plan"),
    );
}

#[test]
fn a_child_protection_plan_starts_on_the_day_of_the_conference_that_decided_it() {
    let cp = id();
    check(
        vec![],
        plan_on(10, cp, "child_protection_plan"),
        "data.kind",
        "conference that decided it",
    );
    check(
        vec![conference(10, "initial", "no_plan", None)],
        plan_on(10, cp, "child_protection_plan"),
        "data.kind",
        "conference that decided it",
    );
    check(
        vec![conference(10, "initial", "plan_started", Some(id()))],
        plan_on(10, cp, "child_protection_plan"),
        "data.kind",
        "conference that decided it",
    );
    check(
        vec![conference(10, "initial", "plan_started", Some(cp))],
        plan_on(11, cp, "child_protection_plan"),
        "occurred_at",
        "sat on 2026-11-10",
    );
    accept(
        vec![conference(10, "initial", "plan_started", Some(cp))],
        plan_on(10, cp, "child_protection_plan"),
    );
    // A conference that names no plan decides whichever plan starts that day.
    accept(
        vec![conference(12, "initial", "plan_started", None)],
        plan_on(12, cp, "child_protection_plan"),
    );
}

#[test]
fn an_initial_conference_sits_on_a_working_day() {
    // The 21st of November 2026 is a Saturday.
    check(
        vec![],
        conference(21, "initial", "no_plan", None),
        "occurred_at",
        "not a working day",
    );
    // A review conference is not held to the rule (the census counts initial ones).
    let cp = id();
    accept(
        vec![
            conference(20, "initial", "plan_started", Some(cp)),
            plan_on(20, cp, "child_protection_plan"),
        ],
        conference(21, "review", "plan_continued", Some(cp)),
    );
}

#[test]
fn rc8_and_rc9_close_only_a_case_that_went_no_further_than_an_assessment() {
    let (sd, e) = (id(), id());
    let enquiry = [
        strategy(sd, "section_47_enquiry"),
        rec(
            8,
            "section_47_enquiry_started",
            json!({ "enquiry_id": e, "strategy_discussion_id": sd, "lead": school() }),
        ),
        rec(
            9,
            "section_47_enquiry_concluded",
            json!({ "enquiry_id": e, "outcome": "not_substantiated", "rationale": "r" }),
        ),
    ];
    for reason in ["RC8", "RC9"] {
        check(
            enquiry.iter().map(|r| r.clone_record()).collect(),
            closed(10, reason),
            "data.closure_reason",
            "a section 47 enquiry since it was opened",
        );
    }
    let cin = id();
    check(
        vec![plan_on(9, cin, "child_in_need_plan"), ended(10, cin)],
        closed(11, "RC8"),
        "data.closure_reason",
        "a child in need plan",
    );
    // RC7 says the case went further; an early help plan alone leaves RC8 open.
    accept(
        enquiry.iter().map(|r| r.clone_record()).collect(),
        closed(10, "RC7"),
    );
    let eh = id();
    accept(
        vec![plan_on(9, eh, "early_help_plan"), ended(10, eh)],
        closed(11, "RC8"),
    );
    // A closure ends the episode: reopened, the case may close after an assessment alone.
    let mut history: Vec<_> = enquiry.iter().map(|r| r.clone_record()).collect();
    history.push(closed(10, "RC7"));
    history.push(rec(
        11,
        "case_reopened",
        json!({ "reason": "a new referral" }),
    ));
    accept(history, closed(12, "RC8"));
}
