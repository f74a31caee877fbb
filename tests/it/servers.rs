//! Two `caseline serve` processes on one PostgreSQL database, as behind a load balancer, behave
//! as one: appends from both land in one gapless stream, a retry on the other server gets the
//! first answer, a cross-child read on one reflects the other's `201` (with `min_position` and
//! without), a
//! correction racing an append on the other loses nothing and duplicates nothing, and one NHS
//! number is registered once.
//!
//! PostgreSQL only (SQLite is one process's file). Skipped with a note when
//! `CASELINE_TEST_POSTGRES_URL` is unset on a developer's machine; under CI it fails instead.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::build::*;
use crate::support::{Api, Resp, Server, TestStore, cli};

const SCHOOL: &str = "school:norwich-high";
const MASH: &str = "front_door:norfolk-mash";

/// Two servers on one fresh PostgreSQL database with the same pseudonym key.
async fn two_servers() -> Option<(Server, Server)> {
    let Some(store) = TestStore::postgres().await else {
        eprintln!(
            "skipped: CASELINE_TEST_POSTGRES_URL is not set, so two servers on one database \
             were not tried"
        );
        return None;
    };
    let key = store
        .key_file()
        .expect("a PostgreSQL test store has a key file");
    let a = Server::start_on(store, &[]).await;
    let b = Server::start_on(
        a.store.shared(),
        &[(
            "CASELINE_PSEUDONYM_KEY_FILE",
            key.to_str().expect("a UTF-8 path"),
        )],
    )
    .await;
    Some((a, b))
}

/// The child's stream as the front door reads it through `api`.
async fn events(api: &Api, child: Uuid) -> Vec<Value> {
    let r = api
        .get(&format!("/v1/children/{child}/events?limit=1000"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["events"].as_array().unwrap().clone()
}

/// Asserts the stream is 1..=n without gaps or repeats; returns n.
fn gapless(events: &[Value]) -> u64 {
    let sequences: Vec<u64> = events
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    let n = sequences.len() as u64;
    assert_eq!(sequences, (1..=n).collect::<Vec<_>>(), "a gap or a repeat");
    let ids: BTreeSet<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len() as u64, n, "an event recorded twice");
    n
}

fn position(r: &Resp) -> u64 {
    r.header("caseline-position")
        .expect("a 201 carries Caseline-Position")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn two_servers_on_one_postgres_database_behave_as_one() {
    let Some((a, b)) = two_servers().await else {
        return;
    };
    // Tokens live in the store: one token works on both.
    let school_a = a.client("recorder", SCHOOL).await;
    let school_b = school_a.at(&b);
    let mash_a = a.client("front_door", MASH).await;
    let mash_b = mash_a.at(&b);
    let child = school_a.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");

    // Alternating, each server's kept fold of the child is behind the other's last append.
    for i in 0..8u64 {
        let api = if i % 2 == 0 { &school_b } else { &school_a };
        let r = api.post(&path, conversation(SCHOOL, 60)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.body["sequence"], i + 2, "{}", r.text);
    }
    // An If-Match the other server made true.
    let r = school_a
        .send(
            Method::POST,
            &path,
            Some(conversation(SCHOOL, 59)),
            &[("If-Match", "\"9\"")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = school_b
        .send(
            Method::POST,
            &path,
            Some(conversation(SCHOOL, 59)),
            &[("If-Match", "\"10\"")],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = school_a
        .send(
            Method::POST,
            &path,
            Some(conversation(SCHOOL, 59)),
            &[("If-Match", "\"10\"")],
        )
        .await;
    r.problem(409);
    // And at once: both servers appending to the same child together.
    for _ in 0..8 {
        let (ra, rb) = tokio::join!(
            school_a.post(&path, conversation(SCHOOL, 58)),
            school_b.post(&path, conversation(SCHOOL, 58)),
        );
        assert_eq!(ra.status, 201, "{}", ra.text);
        assert_eq!(rb.status, 201, "{}", rb.text);
        assert_ne!(ra.body["sequence"], rb.body["sequence"]);
    }
    let n = gapless(&events(&mash_a, child).await);
    assert_eq!(n, 1 + 8 + 2 + 16);
    for api in [&mash_a, &mash_b] {
        let case = api.get(&format!("/v1/children/{child}")).await;
        assert_eq!(case.status, 200, "{}", case.text);
        assert_eq!(case.body["sequence"], n, "{}", case.text);
    }

    // A retry on the other server gets the first answer and records nothing.
    let body = conversation(SCHOOL, 50);
    let first = school_a
        .send(
            Method::POST,
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", "retry-elsewhere")],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let retry = school_b
        .send(
            Method::POST,
            &path,
            Some(body),
            &[("Idempotency-Key", "retry-elsewhere")],
        )
        .await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["event_id"], first.body["event_id"]);
    assert_eq!(position(&retry), position(&first));
    // A retry sent to both at once (a client that timed out on one) lands once too.
    let body = conversation(SCHOOL, 49);
    let (ra, rb) = tokio::join!(
        school_a.send(
            Method::POST,
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", "both-at-once")]
        ),
        school_b.send(
            Method::POST,
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", "both-at-once")]
        ),
    );
    assert_eq!(ra.status, 201, "{}", ra.text);
    assert_eq!(rb.status, 201, "{}", rb.text);
    assert_eq!(ra.body["event_id"], rb.body["event_id"]);
    assert_eq!(gapless(&events(&mash_b, child).await), n + 2);

    // A cross-child read on one server reflects a 201 of the other through min_position.
    for round in 0..10 {
        let about = school_a.record(child, conversation(SCHOOL, 40)).await;
        let disagreement = new_id();
        school_b
            .record(
                child,
                record("disagreement_raised", SCHOOL, 30, json!({
                    "disagreement_id": disagreement, "about_event_id": about,
                    "raised_by": person(SCHOOL), "position": "not met", "desired_outcome": "review",
                })),
            )
            .await;
        let resolved = school_a
            .post(
                &path,
                record(
                    "disagreement_resolved",
                    SCHOOL,
                    20,
                    json!({
                        "disagreement_id": disagreement, "outcome": "withdrawn",
                        "resolution": "agreed", "resolved_by": person(SCHOOL),
                    }),
                ),
            )
            .await;
        assert_eq!(resolved.status, 201, "{}", resolved.text);
        let at = position(&resolved);
        // Through min_position, and without it: a server waits for the store's last position
        // as the read begins, which covers every other server's 201 before it.
        let asked = if round % 2 == 0 {
            format!("min_position={at}")
        } else {
            String::new()
        };
        let seen = mash_b
            .get(&format!("/v1/disagreements/{disagreement}?{asked}"))
            .await;
        assert_eq!(seen.status, 200, "round {round}: {}", seen.text);
        assert_eq!(
            seen.body["status"], "resolved",
            "round {round}: {}",
            seen.text
        );
        let today = chrono::Utc::now().date_naive();
        let report = mash_b
            .get(&format!(
                "/v1/reports/inspection?from={}&to={today}&{asked}",
                today - chrono::Duration::days(2)
            ))
            .await;
        assert_eq!(report.status, 200, "{}", report.text);
        assert_eq!(
            report.body["disagreements"]["resolved"],
            round + 1,
            "{}",
            report.text
        );
    }

    // A correction on one server racing an append on the other: each lands or is refused
    // plainly, and nothing is lost or recorded twice.
    for _ in 0..6 {
        let before = gapless(&events(&mash_a, child).await);
        let original = conversation(SCHOOL, 10);
        let mut corrected = original["data"].clone();
        corrected["worries"] = json!(["comes to school hungry and tired"]);
        let of = school_b.record(child, original).await;
        let (rc, ra) = tokio::join!(
            school_a.post(&path, correction(SCHOOL, 5, of, corrected)),
            school_b.post(&path, conversation(SCHOOL, 5)),
        );
        let mut landed = 1;
        for r in [&rc, &ra] {
            match r.status {
                201 => landed += 1,
                409 | 422 => {
                    r.problem(r.status);
                }
                other => panic!("neither landed nor refused plainly: {other} {}", r.text),
            }
        }
        let after = events(&mash_b, child).await;
        assert_eq!(gapless(&after), before + landed);
        if rc.status == 201 {
            let journey = mash_a.get(&format!("/v1/children/{child}/journey")).await;
            let row = journey.body["records"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["event_id"] == json!(of))
                .cloned()
                .unwrap();
            assert_eq!(row["corrected_by"], json!([rc.body["event_id"]]), "{row}");
        }
    }

    // One NHS number registered on both at once: one child, and the other hears which.
    let (ra, rb) = tokio::join!(
        school_a.post("/v1/children", registration(SCHOOL, Some(NHS_NUMBER))),
        school_b.post("/v1/children", registration(SCHOOL, Some(NHS_NUMBER))),
    );
    let (won, lost) = if ra.status == 201 { (ra, rb) } else { (rb, ra) };
    assert_eq!(won.status, 201, "{}", won.text);
    lost.problem(409);
    assert_eq!(
        lost.body["existing_child_id"], won.body["child_id"],
        "{}",
        lost.text
    );
    for api in [&mash_a, &mash_b] {
        let found = api
            .get(&format!("/v1/children?nhs_number={NHS_NUMBER}"))
            .await;
        assert_eq!(
            found.body["child_id"], won.body["child_id"],
            "{}",
            found.text
        );
    }

    // A registration retried on the other server, and one sent to both at once, registers one child.
    let body = registration(SCHOOL, None);
    let first = school_a
        .send(
            Method::POST,
            "/v1/children",
            Some(body.clone()),
            &[("Idempotency-Key", "register-elsewhere")],
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let retry = school_b
        .send(
            Method::POST,
            "/v1/children",
            Some(body),
            &[("Idempotency-Key", "register-elsewhere")],
        )
        .await;
    assert_eq!(retry.status, 201, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["child_id"], first.body["child_id"]);
    let body = registration(SCHOOL, None);
    let (ra, rb) = tokio::join!(
        school_a.send(
            Method::POST,
            "/v1/children",
            Some(body.clone()),
            &[("Idempotency-Key", "register-both")]
        ),
        school_b.send(
            Method::POST,
            "/v1/children",
            Some(body.clone()),
            &[("Idempotency-Key", "register-both")]
        ),
    );
    assert_eq!(ra.status, 201, "{}", ra.text);
    assert_eq!(rb.status, 201, "{}", rb.text);
    assert_eq!(ra.body["child_id"], rb.body["child_id"]);

    // A token revoked through one server is refused by the other at once.
    let police = a.client("recorder", "police:norfolk").await;
    let id = a.admin().get("/v1/tokens").await.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["agency"] == "police:norfolk")
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .unwrap();
    assert_eq!(police.at(&b).get("/v1/disagreements").await.status, 200);
    let r = a
        .admin()
        .send(Method::DELETE, &format!("/v1/tokens/{id}"), None, &[])
        .await;
    assert!(r.status == 204 || r.status == 200, "{}", r.text);
    police.at(&b).get("/v1/disagreements").await.problem(401);

    // Every chain still verifies.
    let (code, out, err) = cli(&["verify", "--store", &a.store.url]);
    assert_eq!(code, 0, "{out}{err}");
}
