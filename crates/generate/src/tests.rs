//! The generator's promises: every child passes the domain (read back as the store would
//! hand it over, and decided again record by record), the same seed repeats exactly, and the
//! mix of records is in the bands the seed documents and national returns suggest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use domain::access::{Role, may_append};
use domain::child::{Child, ChildCommand, ChildEvent, Services};
use domain::envelope::RecordInput;
use domain::record::RecordType;
use serde_json::{Value, json};

use super::*;

fn options(children: usize, seed: u64, framework: &str) -> Options {
    Options::new(children, seed, Framework::by_name(framework).unwrap())
}

fn run(options: &Options) -> Vec<GeneratedChild> {
    journeys(options)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// 2000 Norfolk children, shared by the tests that read the mix.
fn council() -> &'static [GeneratedChild] {
    static C: OnceLock<Vec<GeneratedChild>> = OnceLock::new();
    C.get_or_init(|| run(&options(2000, 42, "norfolk")))
}

fn stored(e: &NewEvent) -> ChildEvent {
    ChildEvent::from_stored(
        e.event_id,
        &e.event_type,
        e.event_version,
        e.occurred_at,
        e.recorded_by.clone(),
        e.data.clone(),
    )
    .unwrap_or_else(|err| panic!("{} does not read back: {err}", e.event_type))
}

/// Decides every record again, one at a time, from its stored form, against the fold of
/// the events before it: what an agency replaying the journey through the API would get.
fn replay(child: &GeneratedChild, framework: &'static Framework, now: chrono::DateTime<Utc>) {
    let services = Services { framework, now };
    let mut events = child.events.iter();
    let first = events.next().expect("a registration");
    assert_eq!(first.event_type, "child_registered");
    let mut c = Child::from_events([stored(first)]);
    for (i, e) in events.enumerate() {
        let mut data = e.data.clone();
        if let Some(o) = data.as_object_mut() {
            o.remove("suggested");
        }
        let input = RecordInput::parse(json!({
            "type": e.event_type, "occurred_at": e.occurred_at.to_rfc3339(),
            "recorded_by": e.recorded_by, "data": data,
        }))
        .unwrap_or_else(|err| panic!("record {} ({}) does not parse: {err}", i + 1, e.event_type));
        let role = if e.agency.starts_with("front_door:") {
            Role::FrontDoor
        } else {
            Role::Recorder
        };
        may_append(role, &input.data)
            .unwrap_or_else(|err| panic!("{} may not record {}: {err}", e.agency, e.event_type));
        assert_eq!(
            e.recorded_by["agency"], e.agency,
            "recorded_by.agency is the appending agency"
        );
        let decided = c
            .decide(
                ChildCommand::Append {
                    records: vec![(e.event_id, input)],
                    batch: false,
                },
                &services,
            )
            .unwrap_or_else(|err| {
                panic!(
                    "child {}: record {} ({}) refused on replay: {err} {:?}",
                    child.child_id,
                    i + 1,
                    e.event_type,
                    err.errors()
                )
            });
        for d in decided {
            c.apply(d);
        }
    }
    let folded = Child::from_events(child.events.iter().map(stored));
    assert_eq!(
        folded.state(),
        c.state(),
        "the stored events fold to the same state"
    );
}

#[test]
fn three_hundred_children_pass_the_domain_in_both_frameworks() {
    for name in domain::framework::NAMES {
        let opts = options(300, 7, name);
        let (start, end) = opts.period();
        let children = run(&opts);
        assert_eq!(children.len(), 300);
        for child in &children {
            assert!(child.events.len() >= 2, "every child has a record");
            for e in &child.events {
                assert!(
                    e.occurred_at >= start - chrono::Duration::hours(3) && e.occurred_at <= end,
                    "{} at {} is outside the year",
                    e.event_type,
                    e.occurred_at
                );
                assert_eq!(e.event_version, domain::child::EVENT_VERSION);
            }
            replay(child, opts.framework, end);
        }
        let ids: BTreeSet<Uuid> = children.iter().map(|c| c.child_id).collect();
        assert_eq!(ids.len(), 300, "child ids are unique");
        let claims: Vec<&IdentifierClaim> = children.iter().flat_map(|c| &c.claims).collect();
        let distinct: BTreeSet<(&str, &str)> = claims
            .iter()
            .map(|c| (c.kind.as_str(), c.value.as_str()))
            .collect();
        assert_eq!(
            distinct.len(),
            claims.len(),
            "no identifier is claimed twice"
        );
    }
}

#[test]
fn the_same_seed_repeats_and_another_differs() {
    let a = run(&options(60, 11, "norfolk"));
    let b = run(&options(60, 11, "norfolk"));
    assert_eq!(a, b);
    let c = run(&options(60, 12, "norfolk"));
    assert_ne!(a[0].child_id, c[0].child_id);
    assert_ne!(a[0].events, c[0].events);
    // The year moves with the options.
    let end = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let d = run(&options(10, 11, "norfolk").ending(end));
    let last = d
        .iter()
        .flat_map(|c| &c.events)
        .map(|e| e.occurred_at)
        .max()
        .unwrap();
    assert!(last.date_naive() <= end, "{last}");
}

#[test]
fn options_without_localities_are_refused() {
    let mut o = options(1, 1, "norfolk");
    o.localities.clear();
    let first = journeys(&o).next().unwrap();
    assert!(matches!(first, Err(GenerateError::Options(_))));
}

#[test]
fn a_record_the_generator_could_not_build_is_an_error_naming_the_child_and_record() {
    let o = options(1, 5, "norfolk");
    let c = super::council(&o).unwrap();
    let (start, end) = o.period();
    let mut built = journey::build(&c, o.seed, 3, start, end);
    let first = built.records.first_mut().expect("a journey writes records");
    let kind = first.kind;
    // What build::text gives for blank text.
    first.data = Err(build::text(" ").unwrap_err());
    match decide(3, built, o.framework, end) {
        Err(GenerateError::Shape {
            index,
            record_type,
            detail,
        }) => {
            assert_eq!((index, record_type.as_str()), (3, kind));
            assert!(detail.contains("must not be blank"), "{detail}");
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
}

fn counts(children: &[GeneratedChild]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for e in children.iter().flat_map(|c| &c.events) {
        *m.entry(e.event_type.clone()).or_default() += 1;
    }
    m
}

fn of_type<'a>(children: &'a [GeneratedChild], t: &'a str) -> impl Iterator<Item = &'a NewEvent> {
    children
        .iter()
        .flat_map(|c| &c.events)
        .filter(move |e| e.event_type == t)
}

#[test]
fn every_record_type_appears_in_two_thousand_children() {
    let m = counts(council());
    let missing: Vec<&str> = RecordType::ALL
        .iter()
        .map(|t| t.as_str())
        .filter(|t| !m.contains_key(*t))
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole.max(1) as f64
}

#[test]
fn the_mix_is_realistic() {
    let children = council();
    let decided: Vec<&NewEvent> = of_type(children, "referral_decided").collect();
    let nfa = decided
        .iter()
        .filter(|e| e.data["decision"] == "no_further_action")
        .count();
    let nfa_share = share(nfa, decided.len());
    assert!(
        (0.2..=0.5).contains(&nfa_share),
        "no further action {nfa_share:.2}"
    );

    // Referral sources: police, schools and health make most referrals.
    let made: Vec<&NewEvent> = of_type(children, "referral_made").collect();
    let source = |e: &&NewEvent| e.data["source"].as_str().unwrap_or("").to_owned();
    let police = made.iter().filter(|e| source(e) == "6").count();
    let schools = made.iter().filter(|e| source(e) == "2A").count();
    let health = made.iter().filter(|e| source(e).starts_with('3')).count();
    assert!(
        (0.2..=0.4).contains(&share(police, made.len())),
        "police {police}"
    );
    assert!(
        (0.1..=0.3).contains(&share(schools, made.len())),
        "schools {schools}"
    );
    assert!(share(police + schools + health, made.len()) > 0.5);
    let sources: BTreeSet<String> = made.iter().map(source).collect();
    assert!(sources.len() >= 15, "sources {sources:?}");

    // Consent: most given, some refused and referred anyway, some dispensed with.
    let refused_proceeding = made
        .iter()
        .filter(|e| e.data["consent"].get("refused_consent_id").is_some())
        .count();
    let dispensed = made
        .iter()
        .filter(|e| e.data["consent"].get("dispensed_consent_id").is_some())
        .count();
    assert!(
        (0.03..=0.2).contains(&share(refused_proceeding, made.len())),
        "{refused_proceeding}"
    );
    assert!(
        (0.05..=0.35).contains(&share(dispensed, made.len())),
        "{dispensed}"
    );

    // Decisions within one working day, and some not.
    let made_at: BTreeMap<String, chrono::DateTime<Utc>> = made
        .iter()
        .map(|e| (e.data["referral_id"].to_string(), e.occurred_at))
        .collect();
    let on_time = decided
        .iter()
        .filter(|d| {
            made_at
                .get(&d.data["referral_id"].to_string())
                .is_some_and(|m| timing::within_a_working_day(*m, d.occurred_at))
        })
        .count();
    assert!(
        (0.65..=0.95).contains(&share(on_time, decided.len())),
        "on time {on_time}"
    );

    // The child's voice: heard in many conversations, missing from many.
    let conversations: Vec<&NewEvent> = of_type(children, "conversation_recorded").collect();
    let heard = conversations
        .iter()
        .filter(|e| {
            let v = &e.data["child_voice"];
            v.get("views").is_some() || v.get("behaviour_observed").is_some()
        })
        .count();
    assert!(
        (0.35..=0.85).contains(&share(heard, conversations.len())),
        "voice {heard}"
    );

    // Threshold consistency: mostly as suggested, some above and below.
    let assessed: Vec<&NewEvent> = of_type(children, "needs_assessed").collect();
    let level = |v: &Value| {
        (
            v["tier"].as_u64().unwrap_or(0),
            v["statutory_basis"].as_str().unwrap_or("none").to_owned(),
        )
    };
    let as_suggested = assessed
        .iter()
        .filter(|e| level(&e.data["decided_level"]) == level(&e.data["suggested"]["level"]))
        .count();
    assert!(
        (0.4..=0.9).contains(&share(as_suggested, assessed.len())),
        "as suggested {as_suggested} of {}",
        assessed.len()
    );

    // Exploitation-tagged indicators for some older children.
    let f = Framework::by_name("norfolk").unwrap();
    let exploitation = assessed
        .iter()
        .filter(|e| {
            e.data["indicators"].as_array().is_some_and(|l| {
                l.iter().any(|i| {
                    i["code"]
                        .as_str()
                        .and_then(|c| f.indicator(c))
                        .is_some_and(|i| i.has_tag("exploitation"))
                })
            })
        })
        .count();
    assert!(exploitation >= 10, "exploitation indicators {exploitation}");

    // Initial conferences within 15 working days of the strategy discussion, and some not.
    let (mut within, mut initial) = (0, 0);
    for c in children {
        let mut discussed = None;
        for e in &c.events {
            match e.event_type.as_str() {
                "strategy_discussion_held" if discussed.is_none() => {
                    discussed = Some(e.occurred_at);
                }
                "child_protection_conference_held" if e.data["kind"] == "initial" => {
                    if let Some(sd) = discussed.take() {
                        initial += 1;
                        let days = domain::calendar::working_days_between(
                            sd.date_naive(),
                            e.occurred_at.date_naive(),
                        );
                        if days <= 15 {
                            within += 1;
                        }
                    }
                }
                "case_closed" => discussed = None,
                _ => {}
            }
        }
    }
    assert!(
        initial >= 20 && (0.5..1.0).contains(&share(within, initial)),
        "{within} of {initial}"
    );

    // Child protection, disagreement, corrections, returns.
    let m = counts(children);
    let n = |t: &str| m.get(t).copied().unwrap_or(0);
    assert!(n("section_47_enquiry_started") >= 20, "{m:?}");
    assert!(n("strategy_discussion_held") >= n("section_47_enquiry_started"));
    assert!(n("child_protection_conference_held") >= 10);
    assert!(n("disagreement_raised") >= 10 && n("disagreement_resolved") >= 5);
    assert!(n("stepped_up") >= 200 && n("stepped_down") >= 100);
    let retractions = of_type(children, "record_corrected")
        .filter(|e| e.data["retract"] == true)
        .count();
    assert!(retractions >= 5, "retractions {retractions}");
    assert!(n("record_corrected") > retractions as u64);
    let re_referred = children
        .iter()
        .filter(|c| {
            c.events
                .iter()
                .filter(|e| e.event_type == "referral_made")
                .count()
                >= 2
        })
        .count();
    assert!(re_referred >= 50, "re-referred {re_referred}");
    assert!(n("case_closed") >= 300 && n("case_reopened") >= 30);

    // Ages 0-17 and some unborn; NHS numbers for most.
    let registrations: Vec<&NewEvent> = of_type(children, "child_registered").collect();
    let unborn = registrations
        .iter()
        .filter(|e| e.data.get("expected_date_of_birth").is_some())
        .count();
    assert!(unborn >= 10, "unborn {unborn}");
    let with_nhs = registrations
        .iter()
        .filter(|e| e.data["identifiers"].get("nhs_number").is_some())
        .count();
    assert!(share(with_nhs, registrations.len()) > 0.8);
    let with_upn = registrations
        .iter()
        .filter(|e| e.data["identifiers"].get("upn").is_some())
        .count();
    assert!(with_upn >= 500, "upn {with_upn}");
}

#[test]
fn front_door_only_records_come_from_the_front_door() {
    for e in council().iter().flat_map(|c| &c.events) {
        let front_door_only = matches!(
            e.event_type.as_str(),
            "referral_decided"
                | "strategy_discussion_held"
                | "section_47_enquiry_started"
                | "section_47_enquiry_concluded"
                | "child_protection_conference_held"
        );
        if front_door_only {
            assert_eq!(e.agency, "front_door:norfolk-mash", "{}", e.event_type);
        }
    }
    // Closing a case at tier 3 or 4 takes the child to tier 1: the front door's call.
    for c in council() {
        let mut tier = 1;
        for e in &c.events {
            match e.event_type.as_str() {
                "stepped_up" | "stepped_down" => {
                    tier = e.data["to"]["tier"].as_u64().unwrap();
                }
                "case_closed" => {
                    if tier >= 3 {
                        assert_eq!(e.agency, "front_door:norfolk-mash");
                    }
                    tier = 1;
                }
                _ => {}
            }
        }
    }
}

#[test]
fn every_year_of_the_calendar_and_one_locality_pass_the_domain() {
    // Years from the calendar's first to its last, ending in different months (over
    // Christmas, Easter and the one-off bank holidays), in both frameworks.
    for (i, year) in (2016..=2030).step_by(2).enumerate() {
        for name in domain::framework::NAMES {
            let end = NaiveDate::from_ymd_opt(year, 1 + (i as u32 * 5) % 12, 28).unwrap();
            let mut o = options(150, year as u64, name).ending(end);
            if i % 3 == 0 {
                o.localities = vec!["Only Town".into()];
            }
            for child in journeys(&o) {
                if let Err(e) = child {
                    panic!("{name} {end}: {e}");
                }
            }
        }
    }
}
