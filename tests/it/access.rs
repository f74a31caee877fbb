//! docs/CONTRACT.md's "who may do what", walked: each role against each route, with a recorder of
//! the child's own agency and one of another agency.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::build::*;
use crate::support::{Api, Server};

const SCHOOL: &str = "school:norwich-high";
const OTHER: &str = "police:norfolk";

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    OwnRecorder,
    OtherRecorder,
    FrontDoor,
    Auditor,
    Inspector,
    Admin,
}

const EVERYONE: [Who; 6] = [
    Who::OwnRecorder,
    Who::OtherRecorder,
    Who::FrontDoor,
    Who::Auditor,
    Who::Inspector,
    Who::Admin,
];

fn agency(who: Who) -> &'static str {
    match who {
        Who::OwnRecorder => SCHOOL,
        Who::OtherRecorder => OTHER,
        Who::FrontDoor => "front_door:norfolk-mash",
        Who::Auditor => "council:audit",
        Who::Inspector => "ofsted:inspection",
        Who::Admin => "council:admin",
    }
}

fn role(who: Who) -> &'static str {
    match who {
        Who::OwnRecorder | Who::OtherRecorder => "recorder",
        Who::FrontDoor => "front_door",
        Who::Auditor => "auditor",
        Who::Inspector => "inspector",
        Who::Admin => "admin",
    }
}

/// Asserts `who` is allowed (the `allowed` status) or refused with 403.
fn expect(who: Who, allowed: bool, ok: u16, status: u16, what: &str, text: &str) {
    let want = if allowed { ok } else { 403 };
    assert_eq!(status, want, "{who:?} {what}: {text}");
}

#[tokio::test]
async fn each_role_against_each_route() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let mut clients: Vec<(Who, Api)> = Vec::new();
    for who in EVERYONE {
        let api = if who == Who::Admin {
            server.admin()
        } else {
            server.client(role(who), agency(who)).await
        };
        clients.push((who, api));
    }
    let child = school.register(SCHOOL).await;
    school
        .post("/v1/children", registration(SCHOOL, Some(NHS_NUMBER)))
        .await;

    for (who, api) in &clients {
        let who = *who;
        let reads = matches!(who, Who::OwnRecorder | Who::FrontDoor | Who::Auditor);
        for view in ["", "/journey", "/consent"] {
            let r = api.get(&format!("/v1/children/{child}{view}")).await;
            expect(
                who,
                reads,
                200,
                r.status,
                &format!("reads {view:?}"),
                &r.text,
            );
        }
        let r = api.get(&format!("/v1/children/{child}/audit")).await;
        expect(who, who == Who::Auditor, 200, r.status, "audit", &r.text);
        let r = api.get(&format!("/v1/children/{child}/events")).await;
        expect(
            who,
            matches!(who, Who::FrontDoor | Who::Auditor),
            200,
            r.status,
            "events",
            &r.text,
        );
        let r = api
            .get(&format!("/v1/children?nhs_number={NHS_NUMBER}"))
            .await;
        expect(
            who,
            matches!(who, Who::FrontDoor | Who::Auditor),
            200,
            r.status,
            "lookup",
            &r.text,
        );
        let r = api.get("/v1/disagreements").await;
        expect(
            who,
            !matches!(who, Who::Inspector | Who::Admin),
            200,
            r.status,
            "disagreements",
            &r.text,
        );
        let r = api.get("/v1/reports/inspection").await;
        expect(
            who,
            matches!(who, Who::FrontDoor | Who::Auditor | Who::Inspector),
            200,
            r.status,
            "report",
            &r.text,
        );
        let r = api.get("/v1/tokens").await;
        expect(who, who == Who::Admin, 200, r.status, "tokens", &r.text);
        let r = api
            .send(Method::POST, "/v1/admin/projections/rebuild", None, &[])
            .await;
        expect(who, who == Who::Admin, 200, r.status, "rebuild", &r.text);

        // Writing: as its own agency, on a child of its own making or another's.
        let writes = matches!(who, Who::OwnRecorder | Who::OtherRecorder | Who::FrontDoor);
        let r = api
            .post("/v1/children", registration(agency(who), None))
            .await;
        expect(who, writes, 201, r.status, "register", &r.text);
        let fresh = school.register(SCHOOL).await;
        let r = api
            .post(
                &format!("/v1/children/{fresh}/records"),
                conversation(agency(who), 5),
            )
            .await;
        expect(who, writes, 201, r.status, "append", &r.text);
        if who == Who::OtherRecorder {
            // Recording grants no read (docs/CONTRACT.md, standing): having recorded on it, the
            // other agency still may not read that child.
            assert_eq!(api.get(&format!("/v1/children/{fresh}")).await.status, 403);
        }
        // Front-door-only types.
        let r = api
            .post(
                &format!("/v1/children/{fresh}/records"),
                decided_missing_referral(agency(who)),
            )
            .await;
        let front_door_only_status = if who == Who::FrontDoor { 422 } else { 403 };
        assert_eq!(
            r.status, front_door_only_status,
            "{who:?} referral_decided: {}",
            r.text
        );
    }
}

/// A `referral_decided` about a referral that does not exist: the front door gets past the
/// role table to the rule (422); everyone else stops at the role table (403).
fn decided_missing_referral(agency: &str) -> Value {
    let mut r = referral_decided(agency, 5, new_id(), "no_further_action", 1, "none");
    r["data"]["referrer_informed"] = json!({ "how": "email" });
    r
}
