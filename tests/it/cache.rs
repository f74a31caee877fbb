//! Children folded once and kept: with a cache budget far smaller than the children in use,
//! every answer is still right (a dropped child is folded again from the store), and the
//! budget and evictions show in `/metrics`.

use serde_json::json;

use crate::support::build::*;
use crate::support::{Server, TestStore};

const SCHOOL: &str = "school:norwich-high";

#[tokio::test]
async fn a_small_cache_drops_children_and_answers_stay_right() {
    let server =
        Server::start_on(TestStore::sqlite(), &[("CASELINE_CHILD_CACHE_EVENTS", "4")]).await;
    let school = server.client("recorder", SCHOOL).await;
    let mut children = Vec::new();
    for _ in 0..5 {
        children.push(school.register(SCHOOL).await);
    }
    // Interleaved appends, so each child is dropped and folded again between its records.
    for round in 0..3 {
        for (i, child) in children.iter().enumerate() {
            let mut r = conversation(SCHOOL, 30 - round);
            r["data"]["worries"] = json!([format!("child {i}, round {round}")]);
            school.record(*child, r).await;
        }
    }
    for (i, child) in children.iter().enumerate() {
        let case = school.get(&format!("/v1/children/{child}")).await;
        assert_eq!(case.status, 200, "{}", case.text);
        assert_eq!(case.body["sequence"], 4, "{}", case.text);
        let journey = school.get(&format!("/v1/children/{child}/journey")).await;
        let worries: Vec<String> = journey.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["data"]["worries"][0].as_str().map(str::to_owned))
            .collect();
        assert_eq!(
            worries,
            (0..3)
                .map(|round| format!("child {i}, round {round}"))
                .collect::<Vec<_>>()
        );
    }
    let metrics = server.anonymous().get("/metrics").await.text;
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} not in /metrics"))
    };
    assert_eq!(value("caseline_child_cache_budget_events"), 4.0);
    assert!(value("caseline_child_cache_events") <= 4.0);
    assert!(value("caseline_child_cache_evictions_total") > 0.0);
}

/// A journey's JSON is kept per child version and sight (`api::kept_journeys`): read again it is
/// the same; after an append it has the new record; a recorder's kept journey never shows
/// another agency's records, nor an auditor's theirs; every read is still in the audit.
#[tokio::test]
async fn a_kept_journey_is_never_stale_and_never_another_callers() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let front_door = server.client("front_door", "front_door:norfolk-mash").await;
    let auditor = server.client("auditor", "council:audit").await;
    let child = school.register(SCHOOL).await;
    school.record(child, conversation(SCHOOL, 30)).await;
    front_door
        .record(child, conversation("front_door:norfolk-mash", 20))
        .await;
    let path = format!("/v1/children/{child}/journey");
    let count = |r: &crate::support::Resp| r.body["records"].as_array().map_or(0, Vec::len);

    let first = auditor.get(&path).await;
    let again = auditor.get(&path).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.text, again.text, "read again, the same answer");
    assert_eq!(count(&first), 3, "{}", first.text);

    // The recorder sees its own records only, whichever was kept first.
    let own = school.get(&path).await;
    assert_eq!(count(&own), 2, "{}", own.text);
    assert!(
        !own.text.contains("front_door:norfolk-mash"),
        "{}",
        own.text
    );
    assert_eq!(auditor.get(&path).await.text, first.text);

    // An append moves the key: the next read has the new record.
    let added = school.record(child, conversation(SCHOOL, 10)).await;
    let after = auditor.get(&path).await;
    assert_eq!(count(&after), 4, "{}", after.text);
    assert!(after.text.contains(&added.to_string()), "{}", after.text);
    let own = school.get(&path).await;
    assert_eq!(count(&own), 3, "{}", own.text);

    // Every read went to the read log, kept answer or not.
    let audit = auditor.get(&format!("/v1/children/{child}/audit")).await;
    let journeys = audit.text.matches("\"journey\"").count();
    assert!(journeys >= 6, "six journey reads logged: {}", audit.text);
}
