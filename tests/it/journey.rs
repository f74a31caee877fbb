//! One child's whole journey, checking the case, obligations, journey (both time filters) and
//! audit at each step.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::Server;
use crate::support::build::*;

const SCHOOL: &str = "school:norwich-high";
const MASH: &str = "front_door:norfolk-mash";
const DAY: i64 = 24 * 60;

fn kinds(case: &Value) -> Vec<String> {
    case["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn level_of(v: &Value) -> (u64, String) {
    (
        v["tier"].as_u64().unwrap(),
        v["statutory_basis"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_child_through_the_front_door_to_section_47_and_back() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let mash = server.client("front_door", MASH).await;
    let auditor = server.client("auditor", "council:audit").await;

    // The school registers the child and records a conversation with them.
    let child = school.register(SCHOOL).await;
    let case_path = format!("/v1/children/{child}");
    let conversation = school.record(child, conversation(SCHOOL, 20 * DAY)).await;
    let case = school.get(&case_path).await;
    assert_eq!(case.status, 200, "{}", case.text);
    assert_eq!(level_of(&case.body["level"]), (1, "none".into()));
    assert!(
        case.body["level"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert_eq!(case.body["sequence"], 2);
    assert_eq!(case.header("etag"), Some("\"2\""));

    // Consent to refer is sought and refused; the school refers anyway, telling the front door.
    let consent = new_id();
    school
        .record(child, consent_sought(SCHOOL, 19 * DAY, consent, "referral"))
        .await;
    school
        .record(child, consent_refused(SCHOOL, 19 * DAY - 60, consent))
        .await;
    let referral = new_id();
    let referral_event = school
        .record(
            child,
            referral_despite_refusal(SCHOOL, 19 * DAY - 120, referral, consent),
        )
        .await;
    let case = school.get(&case_path).await.body;
    assert_eq!(case["open_referrals"][0]["referral_id"], json!(referral));
    assert_eq!(case["consent"][0]["status"], "refused");
    let owed = kinds(&case);
    assert!(
        owed.contains(&"decide_referral".into()) && owed.contains(&"inform_family".into()),
        "{owed:?}"
    );

    // The front door decides: a strategy discussion, tier 4 under section 47; the child steps up.
    mash.record(
        child,
        referral_decided(
            MASH,
            19 * DAY - 180,
            referral,
            "strategy_discussion",
            4,
            "section_47",
        ),
    )
    .await;
    let before_step_up = ago(19 * DAY - 200);
    let step_up = mash
        .record(
            child,
            step(
                "stepped_up",
                MASH,
                19 * DAY - 240,
                level(1, "none"),
                level(4, "section_47"),
                "indicators",
            ),
        )
        .await;
    let known_before_strategy = chrono::Utc::now().to_rfc3339();
    let case = school.get(&case_path).await.body;
    assert_eq!(level_of(&case["level"]), (4, "section_47".into()));
    assert!(case["open_referrals"].as_array().unwrap().is_empty());
    let owed = kinds(&case);
    assert!(
        owed.contains(&"inform_referrer".into()) && !owed.contains(&"decide_referral".into()),
        "{owed:?}"
    );

    // A recorder may not take a child to tier 3 or 4: that is the front door's decision.
    let r = school
        .post(
            &format!("{case_path}/records"),
            step(
                "stepped_down",
                SCHOOL,
                60,
                level(4, "section_47"),
                level(2, "none"),
                "needs_met",
            ),
        )
        .await;
    r.problem(403);

    // Strategy discussion, enquiry, and the step down to section 17 with a plan.
    let strategy = new_id();
    mash.record(child, strategy_discussion(MASH, 18 * DAY, strategy))
        .await;
    let enquiry = new_id();
    mash.record(
        child,
        enquiry_started(MASH, 18 * DAY - 60, enquiry, strategy),
    )
    .await;
    mash.record(child, enquiry_concluded(MASH, 10 * DAY, enquiry))
        .await;
    mash.record(
        child,
        step(
            "stepped_down",
            MASH,
            10 * DAY - 60,
            level(4, "section_47"),
            level(3, "section_17"),
            "assessment",
        ),
    )
    .await;
    let plan = new_id();
    mash.record(child, plan_started(MASH, 10 * DAY - 120, plan))
        .await;
    let case = school.get(&case_path).await.body;
    assert_eq!(level_of(&case["level"]), (3, "section_17".into()));
    assert_eq!(case["open_plans"][0]["plan_id"], json!(plan));
    assert!(kinds(&case).contains(&"review_plan".into()));

    // Nor take the child out of tier 3 by closing the case.
    let close = record(
        "case_closed",
        SCHOOL,
        60,
        json!({ "reason": "moved away", "closed_by": person(SCHOOL) }),
    );
    school
        .post(&format!("{case_path}/records"), close)
        .await
        .problem(403);

    // Obligations met: the family and the referrer told.
    school
        .record(child, family_informed(SCHOOL, 9 * DAY, referral_event))
        .await;
    let told = mash
        .record(child, referrer_informed(MASH, 9 * DAY, referral))
        .await;
    let case = school.get(&case_path).await.body;
    let owed = kinds(&case);
    assert!(
        !owed.contains(&"inform_family".into()) && !owed.contains(&"inform_referrer".into()),
        "{owed:?}"
    );

    // A correction of the conversation, and a retraction of the referrer being told (it was
    // another referral): the obligation comes back.
    let corrected = json!({
        "conversation_id": new_id(), "kind": "with_child", "participants": [{ "relationship": "child" }],
        "worries": ["comes to school hungry most days"],
    });
    let correction = school
        .record(child, correction(SCHOOL, 8 * DAY, conversation, corrected))
        .await;
    let retraction_event = mash.record(child, retraction(MASH, 8 * DAY, told)).await;

    // The referral cannot be retracted alone: its decision, the family being told and the
    // steps rest on it. The answer names a record that would be left on nothing.
    let refused = school
        .post(
            &format!("{case_path}/records"),
            retraction(SCHOOL, 8 * DAY, referral_event),
        )
        .await;
    let problem = refused.problem(422);
    assert_eq!(refused.fields(), ["data.corrects_event_id"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("would no longer pass")),
        "{problem}"
    );
    let case = school.get(&case_path).await.body;
    assert!(kinds(&case).contains(&"inform_referrer".into()));

    // The journey now: tier intervals 1 → 4/s47 → 3/s17, the retracted record absent, the
    // corrected one reading its new data and linked to its correction.
    let journey = school.get(&format!("{case_path}/journey")).await;
    assert_eq!(journey.status, 200, "{}", journey.text);
    let levels: Vec<(u64, String)> = journey.body["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(level_of)
        .collect();
    assert_eq!(
        levels,
        vec![
            (1, "none".into()),
            (4, "section_47".into()),
            (3, "section_17".into())
        ]
    );
    assert!(journey.body["levels"][2]["to"].is_null());
    assert!(journey.body["levels"][0]["to"].is_string());
    let records = journey.body["records"].as_array().unwrap();
    let find = |id: Uuid| records.iter().find(|r| r["event_id"] == json!(id));
    assert!(
        find(told).is_none(),
        "a retracted record leaves the journey"
    );
    let conv = find(conversation).expect("the conversation stands");
    assert_eq!(
        conv["data"]["worries"][0],
        "comes to school hungry most days"
    );
    assert_eq!(
        conv["original_data"]["worries"][0],
        "comes to school hungry"
    );
    assert_eq!(conv["corrected_by"], json!([correction]));
    // A recorder sees its own agency's records only (and what was shared with it): the front
    // door's decisions and steps are in the front door's and the auditor's journey, not here.
    assert!(
        records.iter().all(|r| r["recorded_by"]["agency"] == SCHOOL),
        "{records:?}"
    );
    assert!(find(step_up).is_none());
    let full = mash.get(&format!("{case_path}/journey")).await;
    assert!(
        full.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["event_id"] == json!(step_up))
    );

    // As it stood before the step-up (by occurred_at): tier 1 only.
    let then = school
        .get(&format!(
            "{case_path}/journey?as_of={}",
            urlencode(&before_step_up)
        ))
        .await;
    assert_eq!(then.status, 200, "{}", then.text);
    let levels: Vec<(u64, String)> = then.body["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(level_of)
        .collect();
    assert_eq!(levels, vec![(1, "none".into())]);
    // As known just after the step-up was recorded (by recorded_at): tier 4, no strategy yet,
    // and the conversation not yet corrected.
    let known = mash
        .get(&format!(
            "{case_path}/journey?known_at={}",
            urlencode(&known_before_strategy)
        ))
        .await;
    assert_eq!(known.status, 200, "{}", known.text);
    let levels: Vec<(u64, String)> = known.body["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(level_of)
        .collect();
    assert_eq!(levels.last(), Some(&(4, "section_47".into())));
    let types: Vec<&str> = known.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    assert!(!types.contains(&"strategy_discussion_held"));
    let conv = known.body["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["event_id"] == json!(conversation))
        .unwrap();
    assert_eq!(conv["data"]["worries"][0], "comes to school hungry");
    assert!(
        known.body["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["event_id"] == json!(step_up))
    );
    // Both filters together.
    let both = school
        .get(&format!(
            "{case_path}/journey?as_of={}&known_at={}",
            urlencode(&before_step_up),
            urlencode(&known_before_strategy)
        ))
        .await;
    assert_eq!(both.body["levels"].as_array().unwrap().len(), 1);

    // The audit: every record with its token and agency, the retraction linked, every read.
    let audit = auditor.get(&format!("{case_path}/audit")).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let records = audit.body["records"].as_array().unwrap();
    assert_eq!(records.len() as u64, case["sequence"].as_u64().unwrap());
    let told_row = records
        .iter()
        .find(|r| r["event_id"] == json!(told))
        .expect("retracted record stays in the audit");
    assert_eq!(told_row["retracted"], true);
    assert_eq!(told_row["retracted_by"], json!(retraction_event));
    assert_eq!(told_row["agency"], MASH);
    assert!(
        records
            .iter()
            .all(|r| r["token_id"].is_string() && r["recorded_at"].is_string())
    );
    let reads = audit.body["reads"].as_array().unwrap();
    assert!(
        reads
            .iter()
            .any(|r| r["agency"] == SCHOOL && r["what"] == "case")
    );
    assert!(reads.iter().any(|r| {
        r["what"]
            .as_str()
            .is_some_and(|w| w.starts_with("journey?as_of="))
    }));
    assert!(
        reads
            .iter()
            .any(|r| r["role"] == "auditor" && r["what"] == "audit"),
        "this read is in the answer"
    );

    // The consent ledger.
    let ledger = school.get(&format!("{case_path}/consent")).await;
    assert_eq!(ledger.status, 200, "{}", ledger.text);
    assert_eq!(ledger.body["consents"][0]["status"], "refused");
    assert_eq!(
        ledger.body["consents"][0]["history"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The raw stream, paged.
    let page = mash.get(&format!("{case_path}/events?limit=5")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["events"].as_array().unwrap().len(), 5);
    assert_eq!(page.body["next_after"], 5);
    let rest = mash
        .get(&format!("{case_path}/events?after=5&limit=1000"))
        .await;
    assert!(rest.body["next_after"].is_null());
    assert_eq!(rest.body["events"][0]["sequence"], 6);
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
