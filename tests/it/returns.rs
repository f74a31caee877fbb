//! The statutory returns over HTTP and the command line: who may produce which, what an
//! inspector sees, that every production is logged, and that a bad year is named.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use serde_json::json;
use uuid::Uuid;

use crate::support::build::{self, new_id, person, record};
use crate::support::{Server, TestStore, cli};

const FRONT_DOOR: &str = "front_door:norfolk-mash";

/// A child referred by a school this morning and sent for a child in need assessment: in the
/// census of the current collection year and Annex A's list 3.
async fn referred_child(server: &Server) -> Uuid {
    let fd = server.client("front_door", FRONT_DOOR).await;
    let mut registration = build::registration(FRONT_DOOR, None);
    registration["child"]["identifiers"] = json!({ "la_child_id": "NCC-7001" });
    registration["child"]["ethnicity"] = json!("WBRI");
    let r = fd.post("/v1/children", registration).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let child: Uuid = r.body["child_id"].as_str().unwrap().parse().unwrap();
    let (consent, referral) = (new_id(), new_id());
    fd.record(
        child,
        build::consent_sought(FRONT_DOOR, 120, consent, "referral"),
    )
    .await;
    fd.record(child, build::consent_given(FRONT_DOOR, 110, consent))
        .await;
    fd.record(
        child,
        record(
            "referral_made",
            FRONT_DOOR,
            100,
            json!({
                "referral_id": referral, "to": "front_door", "concerns": ["bruising on arms"],
                "immediate_risk": false, "family_aware": true, "consent": { "consent_id": consent },
                "source": "2A",
            }),
        ),
    )
    .await;
    fd.record(
        child,
        record(
            "referral_decided",
            FRONT_DOOR,
            90,
            json!({
                "referral_id": referral, "decision": "child_in_need_assessment",
                "decided_level": build::level(3, "section_17"), "rationale": "needs an assessment",
                "primary_need": "N1", "referrer_informed": { "how": "phone" },
            }),
        ),
    )
    .await;
    let _ = person(FRONT_DOOR);
    child
}

/// The collection year today falls in, written `2026-27`.
fn this_year() -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let first = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    format!("{first}-{:02}", (first + 1) % 100)
}

fn cell(c: &Data) -> String {
    match c {
        Data::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn returns_follow_the_role_table_show_inspectors_pseudonyms_and_are_logged() {
    let server = Server::start_on(TestStore::sqlite(), &[("CASELINE_LA_CODE", "926")]).await;
    let child = referred_child(&server).await;
    let year = this_year();
    let fd = server.client("front_door", FRONT_DOOR).await;
    let auditor = server.client("auditor", "council:audit").await;
    let inspector = server.client("inspector", "ofsted:inspection").await;
    let recorder = server.client("recorder", "school:norwich-high").await;

    // The census: front door and auditor, with the council's id; never an inspector.
    let census = format!("/v1/returns/cin-census?year={year}");
    for api in [&fd, &auditor] {
        let r = api.get(&census).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.header("content-type"),
            Some("application/xml; charset=utf-8")
        );
        for expected in [
            "<LEA>926</LEA>",
            "<SoftwareCode>Caseline</SoftwareCode>",
            "<LAchildID>NCC7001</LAchildID>",
            "<ReferralSource>2A</ReferralSource>",
            "<PrimaryNeedCode>N1</PrimaryNeedCode>",
            "<ReferralNFA>false</ReferralNFA>",
            "</Message>",
        ] {
            assert!(r.text.contains(expected), "{expected} missing: {}", r.text);
        }
    }
    let admin = server.admin();
    for api in [&inspector, &recorder, &admin] {
        api.get(&census).await.problem(403);
    }

    // A year not written as the DfE writes it is a 400 naming the parameter and the form.
    for bad in ["2025", "2025-2026", "2025-27"] {
        let r = fd.get(&format!("/v1/returns/cin-census?year={bad}")).await;
        let p = r.problem(400);
        assert_eq!(r.fields(), ["year"], "{}", r.text);
        assert!(
            p["detail"].as_str().unwrap().contains("2025-26"),
            "{}",
            r.text
        );
    }

    // Annex A: the front door sees the council's id; an inspector the report's pseudonym and
    // the month of birth only; a recorder nothing.
    let (status, kind, bytes) = fd.get_bytes("/v1/returns/annex-a").await;
    assert_eq!(status, 200);
    assert_eq!(kind.as_deref(), Some(api::routes::returns::XLSX));
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx");
    let list3 = book.worksheet_range("List 3 Referrals").expect("list 3");
    let row = list3.rows().nth(1).expect("the referral");
    assert_eq!(cell(&row[0]), "NCC7001");
    assert_eq!(cell(&row[6]), "e) 2A: Schools");

    let (status, _, bytes) = inspector.get_bytes("/v1/returns/annex-a?months=3").await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx");
    let list3 = book.worksheet_range("List 3 Referrals").expect("list 3");
    let row = list3.rows().nth(1).expect("the referral");
    let pseudonym = cell(&row[0]);
    assert!(pseudonym.starts_with("c-"), "{pseudonym}");
    let report = inspector.get("/v1/reports/inspection").await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert!(
        report.text.contains(&pseudonym),
        "the inspection report names the child by the same pseudonym"
    );
    let csv = inspector.get("/v1/returns/annex-a?format=csv&list=3").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.text.contains(&pseudonym), "{}", csv.text);
    assert!(
        csv.text.contains("2014-03,"),
        "month of birth: {}",
        csv.text
    );
    assert!(
        !csv.text.contains("2014-03-02")
            && !csv.text.contains("NCC")
            && !csv.text.contains(&child.to_string())
    );
    assert!(
        !csv.text.contains("Sam") && !csv.text.contains("Example"),
        "no names"
    );
    recorder.get("/v1/returns/annex-a").await.problem(403);
    admin.get("/v1/returns/annex-a").await.problem(403);
    server
        .anonymous()
        .get("/v1/returns/annex-a")
        .await
        .problem(401);
    let r = fd.get("/v1/returns/annex-a?format=csv").await;
    r.problem(400);
    assert_eq!(r.fields(), ["list"]);

    // Every production is in the log: who, when, which return, which period.
    let store = store::open(&server.store.url).await.expect("the store");
    let log = store
        .reads(api::production::PRODUCTIONS)
        .await
        .expect("the log");
    let whats: Vec<(String, String)> = log
        .iter()
        .map(|e| (e.agency.clone(), e.what.clone()))
        .collect();
    assert!(
        whats.contains(&(
            FRONT_DOOR.to_owned(),
            format!("return:cin-census?year={year}")
        )),
        "{whats:?}"
    );
    assert!(
        whats.contains(&(
            "council:audit".to_owned(),
            format!("return:cin-census?year={year}")
        )),
        "{whats:?}"
    );
    assert!(
        whats.iter().any(|(a, w)| a == "ofsted:inspection"
            && w.starts_with("return:annex-a?from=")
            && w.ends_with("&pseudonyms")),
        "{whats:?}"
    );
    assert!(
        whats
            .iter()
            .any(|(a, w)| a == "ofsted:inspection" && w.contains("&list=3")),
        "{whats:?}"
    );
    assert!(log.iter().all(|e| e.token_id.is_some()));
    assert_eq!(
        log.len(),
        5,
        "refused and invalid requests produce nothing: {whats:?}"
    );
}

#[tokio::test]
async fn the_census_needs_an_la_code_and_the_command_line_writes_it() {
    let server = Server::start().await;
    referred_child(&server).await;
    let fd = server.client("front_door", FRONT_DOOR).await;
    let r = fd
        .get(&format!("/v1/returns/cin-census?year={}", this_year()))
        .await;
    let p = r.problem(503);
    assert!(
        p["detail"].as_str().unwrap().contains("--la-code"),
        "{}",
        r.text
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cin.xml");
    let year = this_year();
    let (code, _, err) = cli(&[
        "returns",
        "cin-census",
        "--year",
        &year,
        "--la-code",
        "926",
        "--store",
        &server.store.url,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let xml = std::fs::read_to_string(&out).unwrap();
    assert!(
        xml.contains("<LEA>926</LEA>") && xml.contains("<CINreferralDate>"),
        "{xml}"
    );
    assert!(err.contains("1 children"), "a final count: {err}");

    let xlsx = dir.path().join("annex.xlsx");
    let to = chrono::Utc::now().date_naive().to_string();
    let (code, _, err) = cli(&[
        "returns",
        "annex-a",
        "--to",
        &to,
        "--store",
        &server.store.url,
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut book: Xlsx<_> = calamine::open_workbook(&xlsx).expect("an xlsx");
    assert_eq!(book.sheet_names().len(), 7);
    assert!(
        book.worksheet_range("List 3 Referrals")
            .unwrap()
            .rows()
            .count()
            == 2
    );

    // A mistyped store is refused and nothing is created.
    let missing = dir.path().join("nowhere.db");
    let url = format!("sqlite://{}", missing.display());
    let (code, _, err) = cli(&[
        "returns",
        "cin-census",
        "--year",
        "2025-26",
        "--la-code",
        "926",
        "--store",
        &url,
        "--out",
        dir.path().join("x.xml").to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("no Caseline store"), "{err}");
    assert!(!missing.exists() && !dir.path().join("x.xml").exists());
    // Nor is a bad year or LA code taken.
    let (code, _, err) = cli(&[
        "returns",
        "cin-census",
        "--year",
        "2025",
        "--la-code",
        "926",
        "--store",
        &server.store.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("2025-26"), "{err}");
    let (code, _, err) = cli(&[
        "returns",
        "cin-census",
        "--year",
        "2025-26",
        "--la-code",
        "9",
        "--store",
        &server.store.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("three-digit"), "{err}");
}

/// The census rules that encode practice are refused when a record would break them, with the
/// rule and the census rule's number named (docs/RETURNS.md).
#[tokio::test]
async fn the_census_practice_rules_are_refused_with_the_rule_named() {
    use chrono::{Datelike, Days, Utc, Weekday};

    let server = Server::start().await;
    let child = referred_child(&server).await;
    let fd = server.client("front_door", FRONT_DOOR).await;
    let post = |record: serde_json::Value| {
        let fd = &fd;
        async move {
            fd.post(&format!("/v1/children/{child}/records"), record)
                .await
        }
    };

    // A child protection plan that no conference decided.
    let plan = record(
        "plan_started",
        FRONT_DOOR,
        30,
        json!({ "plan_id": new_id(), "kind": "child_protection_plan", "lead": person(FRONT_DOOR), "review_by": (Utc::now().date_naive() + Days::new(30)).to_string(), "category": "neglect" }),
    );
    let r = post(plan).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.body["detail"].as_str().unwrap().contains("2883"),
        "{}",
        r.text
    );
    assert_eq!(r.body["errors"][0]["field"], "data.kind", "{}", r.text);

    // An initial conference dated on last Saturday.
    let mut saturday = Utc::now().date_naive() - Days::new(1);
    while saturday.weekday() != Weekday::Sat {
        saturday = saturday - Days::new(1);
    }
    let mut conference = record(
        "child_protection_conference_held",
        FRONT_DOOR,
        0,
        json!({ "conference_id": new_id(), "kind": "initial", "chair": person(FRONT_DOOR), "attendees": ["police:norfolk"], "outcome": "no_plan" }),
    );
    conference["occurred_at"] = json!(format!("{saturday}T10:00:00Z"));
    let r = post(conference).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.body["detail"].as_str().unwrap().contains("8875"),
        "{}",
        r.text
    );
    assert_eq!(r.body["errors"][0]["field"], "occurred_at", "{}", r.text);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Saturday"),
        "{}",
        r.text
    );
}
