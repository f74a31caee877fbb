//! Integrity and access from outside: nothing a client sends can break a child's record (times
//! out of range, control characters, parallel retries), corrections and recording stay inside
//! the role table, a recorder reads only where its agency has standing, and refused reads are
//! in the read log. Each runs on SQLite and, where the backend matters, on PostgreSQL too.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::build::*;
use crate::support::{Api, Server, TestStore, cli};

const SCHOOL: &str = "school:norwich-high";
const POLICE: &str = "police:norfolk";
const MASH: &str = "front_door:norfolk-mash";

/// The stores a backend-sensitive test runs on: SQLite, and PostgreSQL when configured.
async fn stores() -> Vec<TestStore> {
    let mut out = vec![TestStore::sqlite()];
    match TestStore::postgres().await {
        Some(pg) => out.push(pg),
        None => eprintln!("CASELINE_TEST_POSTGRES_URL unset: PostgreSQL part skipped"),
    }
    out
}

fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    if let Some(v) = body.pointer_mut(pointer) {
        *v = value;
    }
    body
}

#[tokio::test]
async fn times_and_text_no_backend_can_keep_are_refused_and_the_child_stays_readable() {
    for store in stores().await {
        let url = store.url.clone();
        let server = Server::start_on(store, &[]).await;
        let school = server.client("recorder", SCHOOL).await;
        let auditor = server.client("auditor", "council:audit").await;

        // A registration dated in year -1, and a date of birth after the registration.
        let r = school
            .post(
                "/v1/children",
                with(
                    registration(SCHOOL, None),
                    "/occurred_at",
                    json!("-0001-01-01T00:00:00Z"),
                ),
            )
            .await;
        r.problem(400);
        assert_eq!(r.fields(), ["occurred_at"], "{}", r.text);
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("2026-11-20T10:15:00Z")
        );
        let r = school
            .post(
                "/v1/children",
                with(
                    registration(SCHOOL, None),
                    "/child/date_of_birth",
                    json!("9999-01-01"),
                ),
            )
            .await;
        r.problem(422);
        assert_eq!(r.fields(), ["child.date_of_birth"], "{}", r.text);

        let child = school.register(SCHOOL).await;
        let path = format!("/v1/children/{child}/records");
        for bad in [
            "-0001-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
        ] {
            let r = school
                .post(
                    &path,
                    with(conversation(SCHOOL, 5), "/occurred_at", json!(bad)),
                )
                .await;
            r.problem(400);
            assert_eq!(r.fields(), ["occurred_at"], "{bad}: {}", r.text);
        }
        // Dated before the child's birth (2014-03-02), and a plan reviewed before it starts.
        let r = school
            .post(
                &path,
                with(
                    conversation(SCHOOL, 5),
                    "/occurred_at",
                    json!("2010-01-01T09:00:00Z"),
                ),
            )
            .await;
        r.problem(422);
        assert_eq!(r.fields(), ["occurred_at"], "{}", r.text);
        let r = school
            .post(
                &path,
                with(
                    plan_started(SCHOOL, 5, new_id()),
                    "/data/review_by",
                    json!("-0001-01-01"),
                ),
            )
            .await;
        assert!(matches!(r.status, 400 | 422), "{}", r.text);
        assert_eq!(r.fields(), ["data.review_by"], "{}", r.text);

        // Control characters: NUL anywhere, escape sequences; tabs and line breaks stay.
        for (pointer, field) in [
            ("/data/worries/0", "data.worries[0]"),
            ("/recorded_by/name", "recorded_by.name"),
            ("/data/child_voice/views", "data.child_voice.views"),
        ] {
            for bad in ["a\u{0}b", "red \u{1b}[31m alert", "bell\u{7}"] {
                let r = school
                    .post(&path, with(conversation(SCHOOL, 5), pointer, json!(bad)))
                    .await;
                r.problem(400);
                assert_eq!(r.fields(), [field], "{bad:?}: {}", r.text);
            }
        }
        let kept = "line one\nline two\r\n\tand a tab; Zoë 🙂";
        let id = school
            .record(
                child,
                with(conversation(SCHOOL, 5), "/data/worries/0", json!(kept)),
            )
            .await;
        // Times are kept to the microsecond, so every backend reads back what it acknowledged.
        school
            .record(
                child,
                with(
                    conversation(SCHOOL, 5),
                    "/occurred_at",
                    json!("2026-11-20T10:15:00.123456789+00:00"),
                ),
            )
            .await;

        let journey = auditor.get(&format!("/v1/children/{child}/journey")).await;
        assert_eq!(journey.status, 200, "{}", journey.text);
        let records = journey.body["records"].as_array().unwrap();
        let mine = records.iter().find(|r| r["event_id"] == json!(id)).unwrap();
        assert_eq!(mine["data"]["worries"][0], kept);
        assert!(
            records
                .iter()
                .any(|r| r["occurred_at"] == "2026-11-20T10:15:00.123456Z"),
            "{records:?}"
        );
        assert_eq!(
            school.get(&format!("/v1/children/{child}")).await.status,
            200
        );
        assert_eq!(server.anonymous().get("/ready").await.status, 200);
        let (code, out, err) = cli(&["verify", "--store", &url]);
        assert_eq!(code, 0, "verify: {out}{err}");
    }
}

#[tokio::test]
async fn corrections_stay_inside_the_role_table() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let police = server.client("recorder", POLICE).await;
    let mash = server.client("front_door", MASH).await;
    let auditor = server.client("auditor", "council:audit").await;
    let child = school.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");

    // The school's own 1 → 2 step-up, corrected into a step to tier 4: refused.
    let up = step(
        "stepped_up",
        SCHOOL,
        60,
        level(1, "none"),
        level(2, "none"),
        "indicators",
    );
    let up_id = school.record(child, up.clone()).await;
    let mut to_four = up["data"].clone();
    to_four["to"] = level(4, "section_47");
    let r = school
        .post(&path, correction(SCHOOL, 50, up_id, to_four))
        .await;
    r.problem(403);
    assert_eq!(r.fields(), ["data.corrected_data"], "{}", r.text);

    // The front door's decision, corrected by the school to no further action: refused.
    let consent = new_id();
    let referral = new_id();
    school
        .record(child, consent_given(SCHOOL, 58, consent))
        .await;
    school
        .record(
            child,
            record(
                "referral_made",
                SCHOOL,
                57,
                json!({ "referral_id": referral, "to": "front_door", "concerns": ["bruising"],
                        "immediate_risk": false, "family_aware": true, "consent": { "consent_id": consent } }),
            ),
        )
        .await;
    let decided = referral_decided(MASH, 55, referral, "early_help", 2, "none");
    let decided_id = mash.record(child, decided.clone()).await;
    let mut nfa = decided["data"].clone();
    nfa["decision"] = json!("no_further_action");
    nfa["decided_level"] = level(1, "none");
    let r = school
        .post(&path, correction(SCHOOL, 50, decided_id, nfa.clone()))
        .await;
    r.problem(403);
    assert_eq!(r.fields(), ["data.corrects_event_id"], "{}", r.text);
    assert!(
        r.body["detail"].as_str().unwrap().contains(MASH),
        "{}",
        r.text
    );

    // Another recorder may neither correct nor retract the school's records.
    let conv = school.record(child, conversation(SCHOOL, 40)).await;
    police
        .post(&path, retraction(POLICE, 30, conv))
        .await
        .problem(403);
    // The front door may retract a record entered on the wrong child, not correct it.
    mash.post(
        &path,
        correction(MASH, 30, conv, conversation(SCHOOL, 40)["data"].clone()),
    )
    .await
    .problem(403);
    let retraction_id = mash.record(child, retraction(MASH, 30, conv)).await;
    // Its own decision it may correct.
    mash.record(child, correction(MASH, 20, decided_id, nfa))
        .await;

    let case = mash.get(&format!("/v1/children/{child}")).await;
    assert_eq!(case.body["level"]["tier"], 2, "{}", case.text);
    let audit = auditor.get(&format!("/v1/children/{child}/audit")).await;
    let records = audit.body["records"].as_array().unwrap();
    let row = |id: Uuid| records.iter().find(|r| r["event_id"] == json!(id)).unwrap();
    assert_eq!(row(conv)["retracted"], true);
    assert_eq!(row(conv)["retracted_by"], json!(retraction_id));
    assert_eq!(
        row(retraction_id)["agency"],
        MASH,
        "the audit shows who retracted"
    );
}

#[tokio::test]
async fn recording_grants_no_read_standing_does() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let police = server.client("recorder", POLICE).await;
    let auditor = server.client("auditor", "council:audit").await;

    let r = school
        .post("/v1/children", registration(SCHOOL, Some(NHS_NUMBER)))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let child: Uuid = r.body["child_id"].as_str().unwrap().parse().unwrap();
    let secret = school.record(child, conversation(SCHOOL, 30)).await;

    // The police may not look the child up, and registering the same NHS number tells them
    // the child's id: that is a lookup, and is logged as one.
    police
        .get(&format!("/v1/children?nhs_number={NHS_NUMBER}"))
        .await
        .problem(403);
    let r = police
        .post("/v1/children", registration(POLICE, Some(NHS_NUMBER)))
        .await;
    r.problem(409);
    assert_eq!(r.body["existing_child_id"], json!(child));

    // A throwaway record lands (a concern can come from anywhere) but opens nothing.
    let theirs = police.record(child, conversation(POLICE, 20)).await;
    for what in ["", "/journey", "/consent"] {
        police
            .get(&format!("/v1/children/{child}{what}"))
            .await
            .problem(403);
    }
    police
        .post(
            &format!("/v1/children/{child}/records"),
            retraction(POLICE, 10, secret),
        )
        .await
        .problem(403);

    let audit = auditor.get(&format!("/v1/children/{child}/audit")).await;
    let reads = audit.body["reads"].as_array().unwrap();
    let by_police: Vec<&str> = reads
        .iter()
        .filter(|r| r["agency"] == POLICE)
        .filter_map(|r| r["what"].as_str())
        .collect();
    assert!(
        by_police.iter().any(|w| w.starts_with("lookup:nhs_number")),
        "the 409 is a logged lookup: {by_police:?}"
    );
    for refused in [
        "refused 403: case",
        "refused 403: journey",
        "refused 403: consent",
    ] {
        assert!(
            by_police.contains(&refused),
            "{refused} not in {by_police:?}"
        );
    }

    // Once the school shares with the police, they have standing: the case, and in the
    // journey only their own record and the sharing record that names them.
    let shared = school
        .record(
            child,
            record(
                "information_shared",
                SCHOOL,
                5,
                json!({ "purpose": "safeguarding", "shared_with": [POLICE], "what": "attendance",
                        "without_consent_reason": "risk of significant harm" }),
            ),
        )
        .await;
    assert_eq!(
        police.get(&format!("/v1/children/{child}")).await.status,
        200
    );
    let journey = police.get(&format!("/v1/children/{child}/journey")).await;
    assert_eq!(journey.status, 200, "{}", journey.text);
    let ids: Vec<Value> = journey.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event_id"].clone())
        .collect();
    assert!(
        ids.contains(&json!(theirs)) && ids.contains(&json!(shared)),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&json!(secret)),
        "another agency's record: {ids:?}"
    );
    // Still no retracting of the school's records.
    police
        .post(
            &format!("/v1/children/{child}/records"),
            retraction(POLICE, 1, secret),
        )
        .await
        .problem(403);
}

/// Twelve parallel POSTs with one key and one body: every one gets the first answer.
async fn parallel_retries(server: &Server) {
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let path = format!("/v1/children/{child}/records");
    let body = conversation(SCHOOL, 5);
    let sends = (0..12).map(|_| {
        let school: Api = school.clone();
        let path = path.clone();
        let body = body.clone();
        tokio::spawn(async move {
            school
                .send(
                    Method::POST,
                    &path,
                    Some(body),
                    &[("Idempotency-Key", "twelve")],
                )
                .await
        })
    });
    let answers: Vec<_> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    for a in &answers {
        assert_eq!(a.status, 201, "{}", a.text);
    }
    let first = &answers[0].body["event_id"];
    assert!(answers.iter().all(|a| &a.body["event_id"] == first));
    let replays = answers
        .iter()
        .filter(|a| a.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replays, 11);
    let case = school.get(&format!("/v1/children/{child}")).await;
    assert_eq!(case.body["sequence"], 2, "one record, once");
}

#[tokio::test]
async fn parallel_retries_with_one_key_all_get_the_first_answer() {
    for store in stores().await {
        let server = Server::start_on(store, &[]).await;
        parallel_retries(&server).await;
    }
}
