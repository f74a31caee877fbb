//! Retrying safely: an idempotent retry records nothing new, a stale If-Match records nothing,
//! and concurrent appends to one child all land, in some order, with no gaps.

use reqwest::Method;
use serde_json::json;

use crate::support::Server;
use crate::support::build::*;

const SCHOOL: &str = "school:norwich-high";

#[tokio::test]
async fn an_idempotent_retry_records_nothing_new() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");
    let body = conversation(SCHOOL, 30);
    let key = [("Idempotency-Key", "retry-1")];

    let first = school
        .send(Method::POST, &path, Some(body.clone()), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    // The same body again (even the same conversation id, which alone would be a 422).
    let again = school
        .send(Method::POST, &path, Some(body.clone()), &key)
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // The same key with another body is refused.
    let other = school
        .send(Method::POST, &path, Some(conversation(SCHOOL, 30)), &key)
        .await;
    other.problem(422);
    // Another agency's same key is its own.
    let police = server.client("recorder", "police:norfolk").await;
    let theirs = police
        .send(
            Method::POST,
            &path,
            Some(conversation("police:norfolk", 30)),
            &key,
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);

    let case = school.get(&format!("/v1/children/{child}")).await;
    assert_eq!(
        case.body["sequence"], 3,
        "registration, the first conversation, police's"
    );

    // Registration retries too.
    let reg = registration(SCHOOL, Some(NHS_NUMBER));
    let a = school
        .send(
            Method::POST,
            "/v1/children",
            Some(reg.clone()),
            &[("Idempotency-Key", "reg-1")],
        )
        .await;
    let b = school
        .send(
            Method::POST,
            "/v1/children",
            Some(reg),
            &[("Idempotency-Key", "reg-1")],
        )
        .await;
    assert_eq!((a.status, b.status), (201, 201), "{} {}", a.text, b.text);
    assert_eq!(a.body["child_id"], b.body["child_id"]);
}

#[tokio::test]
async fn a_stale_if_match_records_nothing() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");
    let ok = school
        .send(
            Method::POST,
            &path,
            Some(conversation(SCHOOL, 30)),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    let stale = school
        .send(
            Method::POST,
            &path,
            Some(conversation(SCHOOL, 30)),
            &[("If-Match", "\"1\"")],
        )
        .await;
    stale.problem(409);
    let batch = json!({ "records": [conversation(SCHOOL, 20), conversation(SCHOOL, 10)] });
    school
        .send(
            Method::POST,
            &format!("{path}:batch"),
            Some(batch),
            &[("If-Match", "\"1\"")],
        )
        .await
        .problem(409);
    school
        .send(
            Method::POST,
            &path,
            Some(conversation(SCHOOL, 30)),
            &[("If-Match", "soon")],
        )
        .await
        .problem(400);
    let case = school.get(&format!("/v1/children/{child}")).await;
    assert_eq!(case.body["sequence"], 2);
}

#[tokio::test]
async fn a_batch_is_all_or_nothing_and_concurrent_appends_all_land() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");

    // The second record breaks a rule: nothing is recorded, and the error names it.
    let mut broken = conversation(SCHOOL, 10);
    broken["data"]["worries"] = json!([]);
    let r = school
        .post(
            &format!("{path}:batch"),
            json!({ "records": [conversation(SCHOOL, 20), broken] }),
        )
        .await;
    r.problem(422);
    assert!(
        r.fields().iter().all(|f| f.starts_with("records[1].")),
        "{:?}",
        r.fields()
    );
    let r = school
        .post(
            &format!("{path}:batch"),
            json!({ "records": [conversation(SCHOOL, 20), conversation(SCHOOL, 10)] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["records"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["sequence"], 3);

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let school = school.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            school.post(&path, conversation(SCHOOL, 5)).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 201);
    }
    let mash = server.client("front_door", "front_door:norfolk-mash").await;
    let events = mash
        .get(&format!("/v1/children/{child}/events?limit=1000"))
        .await;
    let seqs: Vec<u64> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=23).collect::<Vec<_>>());
}
