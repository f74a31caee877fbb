//! The inspection report of a seeded generated council, pinned: any change to a figure's
//! definition (or to the generator) shows up here as a snapshot diff to review.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate};
use domain::framework::Framework;
use projection::inspection::{Period, inspection_report};
use store::StoredEvent;

/// The generated council as the store would hold it, with `recorded_at` two hours after
/// `occurred_at` (a store would stamp its own clock, which a snapshot cannot pin).
fn council() -> (Vec<StoredEvent>, generate::Options) {
    let framework = Framework::by_name("norfolk").unwrap();
    let end = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
    let options = generate::Options::new(150, 42, framework).ending(end);
    let mut events = Vec::new();
    let mut position = 0;
    for child in generate::journeys(&options) {
        let child = child.expect("every generated record passes the domain");
        for (i, e) in child.events.into_iter().enumerate() {
            position += 1;
            events.push(StoredEvent {
                global_position: position,
                child_id: child.child_id,
                sequence: i as u64 + 1,
                event_id: e.event_id,
                event_type: e.event_type,
                event_version: e.event_version,
                occurred_at: e.occurred_at,
                recorded_at: e.occurred_at + Duration::hours(2),
                recorded_by: e.recorded_by,
                agency: e.agency,
                token_id: e.token_id,
                data: e.data,
                prev_hash: String::new(),
                hash: String::new(),
            });
        }
    }
    (events, options)
}

#[test]
fn the_report_of_a_seeded_council_is_pinned() {
    let (events, options) = council();
    let framework = Framework::by_name("norfolk").unwrap();
    let period = Period::new(options.start, options.end()).unwrap();
    let pseudonym = |id: uuid::Uuid| format!("p-{}", &id.simple().to_string()[..12]);
    let report = inspection_report(&events, framework, period, None, &pseudonym);
    insta::assert_json_snapshot!("generated_council_report", report);
    insta::assert_snapshot!("generated_council_report_csv", report.to_csv());

    // One locality of it, too: a part of the whole.
    let norwich = inspection_report(&events, framework, period, Some("Norwich"), &pseudonym);
    assert!(norwich.referrals.received <= report.referrals.received);
}
