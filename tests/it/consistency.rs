//! Read-your-writes across children: every `201` carries `Caseline-Position`, a cross-child read
//! straight after a `201` reflects it (no waiting for `/ready`), `?min_position` asks for a
//! position, and one the read model cannot reach in time is a 503 with `Retry-After`.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::support::build::*;
use crate::support::{Api, Resp, Server, TestStore};

const SCHOOL: &str = "school:norwich-high";
const MASH: &str = "front_door:norfolk-mash";

/// The `Caseline-Position` of a 201.
pub(crate) fn position(r: &Resp) -> u64 {
    assert_eq!(r.status, 201, "{}", r.text);
    r.header("caseline-position")
        .unwrap_or_else(|| panic!("a 201 without Caseline-Position: {:?}", r.headers))
        .parse()
        .expect("Caseline-Position is a whole number")
}

/// A disagreement raised by the school about one of its own records; returns its id and the
/// child's.
async fn raised(school: &Api) -> (Uuid, Uuid) {
    let child = school.register(SCHOOL).await;
    let about = school.record(child, conversation(SCHOOL, 30)).await;
    let disagreement = new_id();
    school
        .record(
            child,
            record("disagreement_raised", SCHOOL, 20, json!({
                "disagreement_id": disagreement, "about_event_id": about, "raised_by": person(SCHOOL),
                "position": "the child is hungry every day", "desired_outcome": "early help",
            })),
        )
        .await;
    (child, disagreement)
}

fn resolution(disagreement: Uuid) -> serde_json::Value {
    record(
        "disagreement_resolved",
        SCHOOL,
        10,
        json!({
            "disagreement_id": disagreement, "outcome": "decision_upheld",
            "resolution": "agreed at the meeting", "resolved_by": person(SCHOOL),
        }),
    )
}

#[tokio::test]
async fn the_review_read_straight_after_a_resolution_says_resolved() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let mash = server.client("front_door", MASH).await;
    let mut last = 0;
    for round in 0..20 {
        let (child, disagreement) = raised(&school).await;
        let r = school
            .post(
                &format!("/v1/children/{child}/records"),
                resolution(disagreement),
            )
            .await;
        let at = position(&r);
        assert!(at > last, "positions grow: {at} after {last}");
        last = at;
        // No waiting for /ready: the 201 is enough.
        let one = mash.get(&format!("/v1/disagreements/{disagreement}")).await;
        assert_eq!(one.status, 200, "round {round}: {}", one.text);
        assert_eq!(
            one.body["status"], "resolved",
            "round {round}: {}",
            one.text
        );
        let list = school.get("/v1/disagreements?status=resolved").await;
        assert_eq!(list.status, 200, "{}", list.text);
        assert_eq!(
            list.body["disagreements"].as_array().unwrap().len(),
            round + 1,
            "round {round}: {}",
            list.text
        );
    }
}

#[tokio::test]
async fn the_report_straight_after_an_append_counts_it_in_every_format() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let inspector = server.client("inspector", "ofsted:inspection").await;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(2);
    let path = format!("/v1/reports/inspection?from={from}&to={today}");
    let child = school.register(SCHOOL).await;
    for n in 1..=6 {
        let r = school
            .post(
                &format!("/v1/children/{child}/records"),
                conversation(SCHOOL, 5),
            )
            .await;
        position(&r);
        if n % 2 == 1 {
            let json = inspector.get(&path).await;
            assert_eq!(json.status, 200, "{}", json.text);
            assert_eq!(
                json.body["child_voice"]["conversations"], n,
                "{}",
                json.text
            );
        } else {
            let csv = inspector
                .send(Method::GET, &path, None, &[("Accept", "text/csv")])
                .await;
            assert_eq!(csv.status, 200, "{}", csv.text);
            assert!(
                csv.text
                    .contains(&format!("child_voice,conversations,{n}\n")),
                "{}",
                csv.text
            );
        }
    }
    // The batch's position is its last record's, and the page counts the batch too.
    let r = school
        .post(
            &format!("/v1/children/{child}/records:batch"),
            json!({ "records": [conversation(SCHOOL, 4), conversation(SCHOOL, 3)] }),
        )
        .await;
    let at = position(&r);
    let page = inspector
        .send(Method::GET, &path, None, &[("Accept", "text/html")])
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let json = inspector.get(&format!("{path}&min_position={at}")).await;
    assert_eq!(
        json.body["child_voice"]["conversations"], 8,
        "{}",
        json.text
    );
}

#[tokio::test]
async fn every_201_carries_its_position_and_a_replay_the_first_answers() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let body = registration(SCHOOL, None);
    let registered = school
        .send(
            Method::POST,
            "/v1/children",
            Some(body.clone()),
            &[("Idempotency-Key", "reg-1")],
        )
        .await;
    let first = position(&registered);
    let child = registered.body["child_id"].as_str().unwrap().to_owned();
    let again = school
        .send(
            Method::POST,
            "/v1/children",
            Some(body),
            &[("Idempotency-Key", "reg-1")],
        )
        .await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(position(&again), first);

    let body = conversation(SCHOOL, 5);
    let path = format!("/v1/children/{child}/records");
    let one = school
        .send(
            Method::POST,
            &path,
            Some(body.clone()),
            &[("Idempotency-Key", "rec-1")],
        )
        .await;
    let at = position(&one);
    assert!(at > first);
    // Something else lands between the first answer and its retry.
    school
        .record(child.parse().unwrap(), conversation(SCHOOL, 4))
        .await;
    let retry = school
        .send(
            Method::POST,
            &path,
            Some(body),
            &[("Idempotency-Key", "rec-1")],
        )
        .await;
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        position(&retry),
        at,
        "a replay carries the first answer's position"
    );
}

#[tokio::test]
async fn a_position_the_read_model_cannot_reach_is_a_503_with_retry_after() {
    let server = Server::start_on(TestStore::sqlite(), &[("CASELINE_READ_WAIT_MS", "300")]).await;
    let mash = server.client("front_door", MASH).await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let r = school
        .post(
            &format!("/v1/children/{child}/records"),
            conversation(SCHOOL, 5),
        )
        .await;
    let head = position(&r);
    // Within reach: answered.
    let ok = mash
        .get(&format!("/v1/disagreements?min_position={head}"))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let beyond = head + 1000;
    let today = chrono::Utc::now().date_naive();
    for path in [
        format!("/v1/disagreements?min_position={beyond}"),
        format!("/v1/disagreements/{}?min_position={beyond}", new_id()),
        format!("/v1/reports/inspection?to={today}&min_position={beyond}"),
    ] {
        let r = mash.get(&path).await;
        r.problem(503);
        let retry: u64 = r
            .header("retry-after")
            .unwrap_or_else(|| panic!("{path}: a 503 without Retry-After"))
            .parse()
            .unwrap();
        assert!(retry >= 1, "{path}");
    }
    for path in [
        "/v1/disagreements?min_position=soon",
        "/v1/disagreements?min_position=-1",
        "/v1/reports/inspection?min_position=1.5",
    ] {
        let r = mash.get(path).await;
        r.problem(400);
        assert_eq!(r.fields(), vec!["min_position"], "{path}: {}", r.text);
    }
    let r = mash
        .get(&format!("/v1/disagreements/{}?min_position=x", new_id()))
        .await;
    r.problem(400);
    assert_eq!(r.fields(), vec!["min_position"], "{}", r.text);
}

#[tokio::test]
async fn the_openapi_document_names_min_position_and_caseline_position() {
    let server = Server::start().await;
    let doc = server.anonymous().get("/openapi.json").await.body;
    for path in [
        "/v1/disagreements",
        "/v1/disagreements/{disagreement_id}",
        "/v1/reports/inspection",
        "/v1/returns/cin-census",
        "/v1/returns/annex-a",
    ] {
        let op = &doc["paths"][path]["get"];
        let param = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "min_position")
            .unwrap_or_else(|| panic!("{path} has no min_position: {op}"));
        assert_eq!(param["in"], "query", "{path}");
        assert_eq!(param["schema"]["type"], "integer", "{path}: {param}");
        assert!(
            op["responses"]["503"]["headers"]["Retry-After"].is_object(),
            "{path}"
        );
    }
    for (path, method) in [
        ("/v1/children", "post"),
        ("/v1/children/{child_id}/records", "post"),
        ("/v1/children/{child_id}/records:batch", "post"),
    ] {
        assert!(
            doc["paths"][path][method]["responses"]["201"]["headers"]["Caseline-Position"]
                .is_object(),
            "{method} {path}"
        );
    }
}
