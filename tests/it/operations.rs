//! Health, readiness, metrics, the OpenAPI document and its page, and a graceful stop.

use serde_json::Value;

use crate::support::Server;
use crate::support::build::*;

#[tokio::test]
async fn health_ready_metrics_and_the_documents() {
    let server = Server::start().await;
    let anon = server.anonymous();
    assert_eq!(anon.get("/health").await.status, 200);
    assert_eq!(anon.get("/ready").await.status, 200);
    let school = server.client("recorder", "school:norwich-high").await;
    school.register("school:norwich-high").await;
    let metrics = anon.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    for series in [
        "caseline_http_requests_total",
        "caseline_http_request_duration_seconds",
        "caseline_events_appended_total",
        "caseline_append_batch_size",
        "caseline_group_commit_size",
    ] {
        assert!(
            metrics.text.contains(series),
            "{series} missing from /metrics"
        );
    }
    assert!(
        metrics.text.contains("route=\"/v1/children\""),
        "requests by route pattern"
    );

    let doc = anon.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/v1/children",
        "/v1/children/{child_id}",
        "/v1/children/{child_id}/records",
        "/v1/children/{child_id}/records:batch",
        "/v1/children/{child_id}/journey",
        "/v1/children/{child_id}/audit",
        "/v1/children/{child_id}/consent",
        "/v1/children/{child_id}/events",
        "/v1/disagreements",
        "/v1/disagreements/{disagreement_id}",
        "/v1/reports/inspection",
        "/v1/tokens",
        "/v1/tokens/{token_id}",
        "/v1/admin/projections/rebuild",
        "/health",
        "/ready",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        doc.body["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let schemas = doc.body["components"]["schemas"].as_object().unwrap();
    for t in [
        "ConversationRecordedData",
        "ReferralDecidedData",
        "RecordCorrectedData",
        "NewSteppedUp",
        "Problem",
        "Case",
    ] {
        assert!(schemas.contains_key(t), "{t} missing");
    }
    assert_eq!(
        schemas["NewRecord"]["oneOf"].as_array().map(Vec::len),
        Some(32)
    );
    let mapping = &schemas["NewRecord"]["discriminator"]["mapping"];
    assert!(mapping.get("section_47_enquiry_started").is_some());

    // Every operation has its own operationId (code generators name functions by it), and every
    // link leads to one of them, with parameters that operation takes.
    let mut operations = std::collections::BTreeMap::new();
    for item in paths.values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().expect("an operationId");
            let params: Vec<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| p["name"].as_str().unwrap().to_owned())
                        .collect()
                })
                .unwrap_or_default();
            assert!(
                operations.insert(id.to_owned(), params).is_none(),
                "operationId {id} is used twice"
            );
        }
    }
    let mut links = 0;
    for item in paths.values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"].as_object().unwrap().values() {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flat_map(|l| l.values())
                {
                    let target = link["operationId"].as_str().unwrap();
                    let takes = operations
                        .get(target)
                        .unwrap_or_else(|| panic!("no operation {target}"));
                    for p in link["parameters"].as_object().unwrap().keys() {
                        assert!(takes.contains(p), "{target} takes no {p}");
                    }
                    links += 1;
                }
            }
        }
    }
    assert!(
        links >= 5,
        "the registration, the records and tokens link onwards"
    );

    // The page renders from files the server itself serves: no network needed.
    let page = anon.get("/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.text.to_lowercase().contains("swagger"));
    let css = anon.get("/docs/swagger-ui.css").await;
    assert_eq!(css.status, 200);
    let init = anon.get("/docs/swagger-initializer.js").await;
    assert!(init.text.contains("/openapi.json"));
}

#[tokio::test]
async fn sigterm_finishes_in_flight_appends_and_loses_nothing_acknowledged() {
    let mut server = Server::start().await;
    let school = server.client("recorder", "school:norwich-high").await;
    let child = school.register("school:norwich-high").await;
    let path = format!("/v1/children/{child}/records");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let school = school.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(i * 2)).await;
            let r = school
                .post(&path, conversation("school:norwich-high", 5))
                .await;
            (r.status == 201).then(|| r.body["event_id"].as_str().unwrap_or_default().to_owned())
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let code = tokio::task::spawn_blocking(move || {
        let code = server.terminate();
        (code, server)
    })
    .await
    .unwrap();
    let (exit, server) = code;
    assert_eq!(exit, Some(0), "a clean exit on SIGTERM");
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Ok(Some(id)) = t.await {
            acknowledged.push(id);
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "some appends were answered before the stop"
    );
    let (code, out, err) = crate::support::cli(&["export", "--store", &server.store.url]);
    assert_eq!(code, 0, "{err}");
    let stored: Vec<String> = out
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["event_id"].as_str().map(str::to_owned))
        .collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged event {id} was lost");
    }
    let _ = new_id();
}
