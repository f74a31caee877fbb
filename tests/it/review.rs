//! The cross-child views over HTTP: the disagreement review (with its access rule), the
//! inspection report in every format without identities, and the read model surviving a
//! restart and a crash.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::build::*;
use crate::support::{Api, Server};

const SCHOOL: &str = "school:norwich-high";
const MASH: &str = "front_door:norfolk-mash";

/// Waits until `/ready` says the read models have caught up.
async fn ready(api: &Api) {
    for _ in 0..200 {
        if api.get("/ready").await.status == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the read models did not catch up");
}

/// A child referred by the school, decided NFA by the front door, and the school disagreeing.
async fn disputed(school: &Api, mash: &Api) -> (Uuid, Uuid) {
    let child = school
        .post("/v1/children", registration(SCHOOL, Some(NHS_NUMBER)))
        .await
        .body["child_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let consent = new_id();
    school
        .record(child, consent_sought(SCHOOL, 600, consent, "referral"))
        .await;
    school
        .record(child, consent_given(SCHOOL, 590, consent))
        .await;
    let referral = new_id();
    school
        .record(
            child,
            record("referral_made", SCHOOL, 580, json!({
                "referral_id": referral, "to": "front_door", "concerns": ["hungry"], "immediate_risk": false,
                "family_aware": true, "consent": { "consent_id": consent }, "source": "2A",
            })),
        )
        .await;
    let decision = mash
        .record(
            child,
            referral_decided(MASH, 570, referral, "no_further_action", 1, "none"),
        )
        .await;
    let disagreement = new_id();
    school
        .record(
            child,
            record("disagreement_raised", SCHOOL, 560, json!({
                "disagreement_id": disagreement, "about_event_id": decision, "raised_by": person(SCHOOL),
                "position": "the child is hungry every day", "desired_outcome": "early help",
            })),
        )
        .await;
    school
        .record(
            child,
            record(
                "disagreement_escalated",
                SCHOOL,
                300,
                json!({
                    "disagreement_id": disagreement, "to_stage": 2, "escalated_by": person(SCHOOL),
                    "positions": [{ "party": person(SCHOOL), "position": "needs early help" },
                                  { "party": person(MASH), "position": "threshold not met" }],
                    "reason": "no agreement at stage 1",
                }),
            ),
        )
        .await;
    (child, disagreement)
}

#[tokio::test]
async fn disagreements_and_the_report_without_identities() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let mash = server.client("front_door", MASH).await;
    let police = server.client("recorder", "police:norfolk").await;
    let inspector = server.client("inspector", "ofsted:inspection").await;
    let (child, disagreement) = disputed(&school, &mash).await;
    ready(&mash).await;

    let list = school.get("/v1/disagreements?status=open").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let d = &list.body["disagreements"][0];
    assert_eq!(d["disagreement_id"], json!(disagreement));
    assert_eq!(d["child_id"], json!(child));
    assert_eq!(d["status"], "open");
    assert_eq!(d["stage"], 2);
    let stages = d["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert!(stages[0]["left_at"].is_string() && stages[1]["left_at"].is_null());
    assert_eq!(stages[1]["positions"].as_array().unwrap().len(), 2);
    assert!(d["resolution"].is_null());
    let one = mash.get(&format!("/v1/disagreements/{disagreement}")).await;
    assert_eq!(one.status, 200, "{}", one.text);
    // An agency that is no party sees nothing of it.
    assert!(
        police.get("/v1/disagreements").await.body["disagreements"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    police
        .get(&format!("/v1/disagreements/{disagreement}"))
        .await
        .problem(404);
    school
        .get("/v1/disagreements?status=closed")
        .await
        .problem(400);
    assert!(
        school.get("/v1/disagreements?status=resolved").await.body["disagreements"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(30);
    let path = format!("/v1/reports/inspection?from={from}&to={today}");
    let json = inspector.get(&path).await;
    assert_eq!(json.status, 200, "{}", json.text);
    assert_eq!(json.body["referrals"]["received"], 1);
    assert_eq!(json.body["referrals"]["no_further_action"], 1);
    assert_eq!(json.body["consent"]["referrals_with_consent"], 1);
    assert_eq!(json.body["disagreements"]["raised"], 1);
    assert_eq!(json.body["framework"], "norfolk");
    let csv = inspector
        .send(Method::GET, &path, None, &[("Accept", "text/csv")])
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.starts_with("section,figure,value\n"));
    assert!(csv.text.contains("referrals,received,1"));
    for text in [&json.text, &csv.text] {
        for secret in [
            child.to_string(),
            "Sam".into(),
            "Example".into(),
            NHS_NUMBER.into(),
            "2014-03-02".into(),
        ] {
            assert!(!text.contains(&secret), "the report shows {secret}");
        }
    }
    let pseudonym = json.body["children"][0]["pseudonym"]
        .as_str()
        .unwrap()
        .to_owned();
    // Stable across requests.
    assert_eq!(
        mash.get(&path).await.body["children"][0]["pseudonym"],
        json!(pseudonym)
    );
    inspector
        .get(&format!("/v1/reports/inspection?from={today}&to={from}"))
        .await
        .problem(400);
    inspector
        .get("/v1/reports/inspection?from=last-week")
        .await
        .problem(400);
}

#[tokio::test]
async fn the_read_model_survives_a_restart_and_a_crash() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let mash = server.client("front_door", MASH).await;
    let (_, disagreement) = disputed(&school, &mash).await;
    ready(&mash).await;
    let before: Value = mash.get("/v1/disagreements").await.body;

    // Killed without warning right after an append: the next start catches up from the
    // snapshot's position and nothing is lost.
    let child = school.register(SCHOOL).await;
    school.record(child, conversation(SCHOOL, 10)).await;
    let store = {
        let mut server = server;
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &server.pid().to_string()])
            .status();
        std::mem::replace(&mut server.store, crate::support::TestStore::sqlite())
    };
    let again = Server::start_on(store, &[]).await;
    let mash = again.client("front_door", MASH).await;
    ready(&mash).await;
    let after = mash.get("/v1/disagreements").await.body;
    assert_eq!(
        after["disagreements"][0]["disagreement_id"],
        json!(disagreement)
    );
    assert_eq!(
        after["disagreements"].as_array().unwrap().len(),
        before["disagreements"].as_array().unwrap().len()
    );
    let today = chrono::Utc::now().date_naive();
    let report = mash
        .get(&format!("/v1/reports/inspection?from={today}&to={today}"))
        .await
        .body;
    assert_eq!(
        report["child_voice"]["conversations"], 1,
        "the conversation recorded just before the crash counts"
    );

    // A rebuild from zero gives the same model.
    let admin = again.admin();
    let r = admin
        .send(Method::POST, "/v1/admin/projections/rebuild", None, &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["children"], 2);
    let rebuilt = mash.get("/v1/disagreements").await.body;
    assert_eq!(without_clock(rebuilt), without_clock(after));
}

/// A disagreement list without the one field that depends on when it was asked for.
fn without_clock(mut list: Value) -> Value {
    for d in list["disagreements"].as_array_mut().into_iter().flatten() {
        for s in d["stages"].as_array_mut().into_iter().flatten() {
            if let Some(o) = s.as_object_mut() {
                o.remove("days_counted_to");
            }
        }
    }
    list
}

/// The server hands what it appends to its read model in memory, as the domain decided it,
/// instead of reading it back: the report and the review it then gives must be exactly what a
/// rebuild, reading every stored event back, gives. Several record types, a correction and a
/// retraction, and a needs assessment (whose stored form adds the framework's suggestion).
#[tokio::test]
async fn what_the_server_hands_its_read_model_is_what_a_rebuild_reads_back() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let mash = server.client("front_door", MASH).await;
    let (child, _) = disputed(&school, &mash).await;
    let conversation_id = school.record(child, conversation(SCHOOL, 500)).await;
    school
        .record(
            child,
            correction(SCHOOL, 490, conversation_id, {
                let mut c = conversation(SCHOOL, 500)["data"].clone();
                c["kind"] = json!("with_family");
                c
            }),
        )
        .await;
    let stray = school.record(child, conversation(SCHOOL, 480)).await;
    school.record(child, retraction(SCHOOL, 470, stray)).await;
    let assessment = domain::examples::example(domain::record::RecordType::NeedsAssessed);
    school
        .record(child, record("needs_assessed", SCHOOL, 460, assessment))
        .await;

    let other = school.register(SCHOOL).await;
    let consent = new_id();
    school
        .record(other, consent_sought(SCHOOL, 400, consent, "referral"))
        .await;
    school
        .record(other, consent_refused(SCHOOL, 390, consent))
        .await;
    let referral = new_id();
    school
        .record(
            other,
            referral_despite_refusal(SCHOOL, 380, referral, consent),
        )
        .await;
    mash.record(
        other,
        referral_decided(MASH, 370, referral, "strategy_discussion", 4, "section_47"),
    )
    .await;
    mash.record(other, referrer_informed(MASH, 360, referral))
        .await;
    let strategy = new_id();
    mash.record(other, strategy_discussion(MASH, 350, strategy))
        .await;
    let enquiry = new_id();
    mash.record(other, enquiry_started(MASH, 340, enquiry, strategy))
        .await;
    mash.record(other, enquiry_concluded(MASH, 330, enquiry))
        .await;
    mash.record(other, plan_started(MASH, 320, new_id())).await;

    ready(&mash).await;
    let metrics = server.anonymous().get("/metrics").await.text;
    let handed_over: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("caseline_projection_events_handed_over_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(handed_over > 0.0, "nothing was handed over:\n{metrics}");
    let from = (chrono::Utc::now() - chrono::Duration::days(60)).date_naive();
    let to = chrono::Utc::now().date_naive();
    let report_path = format!("/v1/reports/inspection?from={from}&to={to}");
    let live_report = mash.get(&report_path).await;
    assert_eq!(live_report.status, 200, "{}", live_report.text);
    let live_review = mash.get("/v1/disagreements").await.body;

    let r = server
        .admin()
        .send(Method::POST, "/v1/admin/projections/rebuild", None, &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(mash.get(&report_path).await.body, live_report.body);
    assert_eq!(
        without_clock(mash.get("/v1/disagreements").await.body),
        without_clock(live_review)
    );
}
