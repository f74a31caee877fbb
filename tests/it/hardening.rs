//! Integrity and access at the edges: where the pseudonym key lives, bodies that say one thing
//! twice or in another charset, the headers every answer carries, 401s that tell nothing,
//! and budgets for clients without a valid token.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::support::build::*;
use crate::support::{Server, TestStore, cli};

const SCHOOL: &str = "school:norwich-high";
const FRONT_DOOR: &str = "front_door:norfolk-mash";

/// The directory of a test's SQLite store.
fn store_dir(store: &TestStore) -> std::path::PathBuf {
    let path = store.url.strip_prefix("sqlite://").expect("a sqlite store");
    Path::new(path).parent().expect("a directory").to_owned()
}

/// Asks the store (without a server) for the legacy secret, without making one.
async fn legacy_secret(url: &str) -> Vec<u8> {
    let store = store::open(url).await.expect("open store");
    let held = store
        .secret(api::pseudonym_key::LEGACY_SECRET, Vec::new())
        .await
        .expect("read secret");
    store
        .forget_secret(api::pseudonym_key::LEGACY_SECRET)
        .await
        .expect("forget");
    held
}

/// The report's pseudonyms, once the read model has caught up with the one child.
async fn pseudonyms(front: &crate::support::Api) -> Vec<String> {
    for _ in 0..100 {
        let r = front.get("/v1/reports/inspection").await;
        assert_eq!(r.status, 200, "{}", r.text);
        let names: Vec<String> = r.body["children"]
            .as_array()
            .expect("children")
            .iter()
            .map(|c| c["pseudonym"].as_str().expect("pseudonym").to_owned())
            .collect();
        if !names.is_empty() {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the report never showed the child");
}

#[tokio::test]
async fn the_pseudonym_key_is_a_private_file_beside_the_store_not_in_it() {
    let store = TestStore::sqlite();
    let dir = store_dir(&store);
    let server = Server::start_on(store, &[]).await;
    let key_file = dir.join("pseudonym.key");
    let meta = std::fs::metadata(&key_file).expect("the key file is created on first start");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&key_file).unwrap();
    let key = hex::decode(text.trim()).expect("hex");
    assert_eq!(key.len(), 32);

    // Pseudonyms are made with the file's key.
    let front = server.client("front_door", FRONT_DOOR).await;
    let child = front.register(FRONT_DOOR).await;
    assert_eq!(
        pseudonyms(&front).await,
        vec![api::routes::report::pseudonym(&key, child)]
    );
    // Nothing of it is in the store, so no copy of the store carries it.
    assert!(legacy_secret(&server.store.url).await.is_empty());
    let db = std::fs::read(server.store.url.strip_prefix("sqlite://").unwrap()).unwrap();
    assert!(!db.windows(32).any(|w| w == key.as_slice()));
}

#[tokio::test]
async fn a_key_kept_in_the_store_by_an_older_version_moves_to_the_file_and_pseudonyms_stay() {
    let store = TestStore::sqlite();
    let dir = store_dir(&store);
    let old_key = [7u8; 32];
    {
        let s = store::open(&store.url).await.unwrap();
        assert_eq!(
            s.secret(api::pseudonym_key::LEGACY_SECRET, old_key.to_vec())
                .await
                .unwrap(),
            old_key.to_vec()
        );
    }
    // A backup of such a store leaves the key out.
    let backup = dir.join("backup.db");
    let (code, _, err) = cli(&[
        "backup",
        "--store",
        &store.url,
        "--to",
        backup.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left out of the backup"), "{err}");
    let copied = std::fs::read(&backup).unwrap();
    assert!(!copied.windows(32).any(|w| w == old_key.as_slice()));

    let server = Server::start_on(store, &[]).await;
    let text = std::fs::read_to_string(dir.join("pseudonym.key")).unwrap();
    assert_eq!(text.trim(), hex::encode(old_key));
    let front = server.client("front_door", FRONT_DOOR).await;
    let child = front.register(FRONT_DOOR).await;
    assert_eq!(
        pseudonyms(&front).await,
        vec![api::routes::report::pseudonym(&old_key, child)]
    );
    assert!(legacy_secret(&server.store.url).await.is_empty());
}

#[tokio::test]
async fn a_key_file_others_may_read_is_refused_and_the_environment_may_carry_the_key() {
    let store = TestStore::sqlite();
    let dir = store_dir(&store);
    let key = [9u8; 32];
    let hexed = hex::encode(key);
    // Made once so the store exists, as an operator whose key is in the environment does;
    // the token is made the way an operator does.
    let init = std::process::Command::new(crate::support::bin())
        .args(["init", "--store", &store.url])
        .env("CASELINE_PSEUDONYM_KEY", &hexed)
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    store.token("admin", "council:admin");
    let key_file = dir.join("elsewhere").join("k");
    std::fs::create_dir_all(key_file.parent().unwrap()).unwrap();
    std::fs::write(&key_file, format!("{}\n", hex::encode([1u8; 32]))).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = cli(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        &store.url,
        "--pseudonym-key-file",
        key_file.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("chmod 600"), "{err}");

    let server = Server::start_on(store, &[("CASELINE_PSEUDONYM_KEY", &hexed)]).await;
    assert!(!dir.join("pseudonym.key").exists());
    let front = server.client("front_door", FRONT_DOOR).await;
    let child = front.register(FRONT_DOOR).await;
    assert_eq!(
        pseudonyms(&front).await,
        vec![api::routes::report::pseudonym(&key, child)]
    );
    assert!(
        !server.logs().iter().any(|l| l.contains(&hexed)),
        "the key must never be logged"
    );
}

#[tokio::test]
async fn a_key_given_twice_is_refused_naming_its_path() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let records = format!("/v1/children/{child}/records");

    let r = school
        .raw(
            Method::POST,
            &records,
            Some("application/json"),
            br#"{"type":"conversation_recorded","type":"referral_made"}"#.to_vec(),
        )
        .await;
    r.problem(400);
    assert_eq!(r.fields(), vec!["type"]);

    // Deep inside the record: the body is otherwise valid.
    let body = serde_json::to_string(&conversation(SCHOOL, 10)).unwrap();
    let twice = body.replacen("\"worries\":", "\"worries\":[\"first\"],\"worries\":", 1);
    assert_ne!(body, twice);
    let r = school
        .raw(
            Method::POST,
            &records,
            Some("application/json"),
            twice.into_bytes(),
        )
        .await;
    r.problem(400);
    assert_eq!(r.fields(), vec!["data.worries"]);
    // Nothing was recorded.
    let events = server
        .client("auditor", "council:audit")
        .await
        .get(&format!("/v1/children/{child}/events"))
        .await;
    assert_eq!(events.body["events"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn json_in_any_charset_but_utf8_is_refused_naming_it() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    let child = school.register(SCHOOL).await;
    let records = format!("/v1/children/{child}/records");
    let body = serde_json::to_vec(&conversation(SCHOOL, 10)).unwrap();

    for ct in [
        "application/json; charset=latin1",
        "application/json;charset=ISO-8859-1",
        "application/json; charset=\"utf-16\"",
    ] {
        let r = school
            .raw(Method::POST, &records, Some(ct), body.clone())
            .await;
        r.problem(415);
        let named = ct.rsplit('=').next().unwrap().trim_matches('"');
        assert!(
            r.body["detail"].as_str().unwrap().contains(named),
            "{}",
            r.text
        );
    }
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=UTF-8",
    ] {
        let fresh = serde_json::to_vec(&conversation(SCHOOL, 10)).unwrap();
        let r = school.raw(Method::POST, &records, Some(ct), fresh).await;
        assert_eq!(r.status, 201, "{ct}: {}", r.text);
    }
}

#[tokio::test]
async fn every_answer_says_nosniff_and_no_referrer_and_pages_carry_a_strict_policy() {
    let server = Server::start().await;
    let front = server.client("front_door", FRONT_DOOR).await;
    let child = front.register(FRONT_DOOR).await;
    let html = [("accept", "text/html")];
    for r in [
        server.anonymous().get("/health").await,
        server.anonymous().get("/v1/children").await,
        server.anonymous().get("/no/such/route").await,
        front.get(&format!("/v1/children/{child}")).await,
        front
            .send(Method::GET, "/v1/reports/inspection", None, &html)
            .await,
    ] {
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }
    assert_eq!(
        front
            .get(&format!("/v1/children/{child}"))
            .await
            .header("content-security-policy"),
        None,
        "JSON needs no page policy"
    );

    for path in [
        "/v1/reports/inspection".to_owned(),
        format!("/v1/children/{child}/journey"),
    ] {
        let r = front.send(Method::GET, &path, None, &html).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        let csp = r.header("content-security-policy").expect("a policy");
        for part in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("script"), "{csp}");
        // The page's own stylesheet is allowed by its hash, and nothing else is inline.
        let hash = api::pages::inline_style_hash(&r.text).expect("an inline stylesheet");
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
        assert!(!r.text.contains("<script"));
        assert!(!r.text.contains(" style="));
    }
}

#[tokio::test]
async fn a_revoked_token_is_answered_exactly_as_an_unknown_one() {
    let server = Server::start().await;
    let r = server
        .admin()
        .post(
            "/v1/tokens",
            json!({ "agency": SCHOOL, "role": "recorder", "name": "old" }),
        )
        .await;
    let (id, secret) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["token"].as_str().unwrap().to_owned(),
    );
    let revoked = server
        .admin()
        .send(Method::DELETE, &format!("/v1/tokens/{id}"), None, &[])
        .await;
    assert_eq!(revoked.status, 204);
    let unknown = auth_like(&secret);

    let path = "/v1/children?nhs_number=9434765919";
    let a = server.with_token(&secret).get(path).await;
    let b = server.with_token(&unknown).get(path).await;
    a.problem(401);
    assert_eq!((a.status, &a.text), (b.status, &b.text));
    let names = |r: &crate::support::Resp| {
        let mut v: Vec<(String, String)> = r
            .headers
            .iter()
            .filter(|(k, _)| !["x-request-id", "date", "content-length"].contains(&k.as_str()))
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&a), names(&b));
}

/// A secret of the same shape as `secret` that was never issued.
fn auth_like(secret: &str) -> String {
    let last = secret.chars().last().unwrap();
    let other = if last == 'A' { 'B' } else { 'A' };
    format!("{}{other}", &secret[..secret.len() - 1])
}

#[tokio::test]
async fn an_address_that_keeps_failing_to_authenticate_is_slowed_down() {
    let server = Server::start_on(
        TestStore::sqlite(),
        &[
            ("CASELINE_AUTH_FAILURE_BURST", "3"),
            ("CASELINE_AUTH_FAILURES_PER_MINUTE", "1"),
        ],
    )
    .await;
    let guesser = server.with_token("cl_guess");
    for _ in 0..3 {
        guesser.get("/v1/disagreements").await.problem(401);
    }
    let r = server.anonymous().get("/v1/disagreements").await;
    r.problem(429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // A valid token from the same address is not held back by others' failures.
    let front = server.client("front_door", FRONT_DOOR).await;
    assert_eq!(front.get("/v1/disagreements").await.status, 200);
    let metrics = server.anonymous().get("/metrics").await.text;
    assert!(
        metrics.contains("caseline_auth_failures_limited_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_locality_of_three_children_shows_its_figures_as_fewer_than_five() {
    let server = Server::start().await;
    let school = server.client("recorder", SCHOOL).await;
    for _ in 0..3 {
        // The builder registers children in Norwich.
        let child = school.register(SCHOOL).await;
        school.record(child, conversation(SCHOOL, 30)).await;
    }
    let front = server.client("front_door", FRONT_DOOR).await;
    let path = "/v1/reports/inspection?locality=Norwich";
    let mut json = front.get(path).await;
    for _ in 0..100 {
        if json.body["children"].as_array().map(Vec::len) == Some(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        json = front.get(path).await;
    }
    assert_eq!(json.status, 200, "{}", json.text);
    assert_eq!(json.body["children"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        json.body["child_voice"]["conversations"], "<5",
        "{}",
        json.text
    );
    assert_eq!(
        json.body["child_voice"]["conversations_with_child_voice"],
        "<5"
    );
    assert_eq!(json.body["children"][0]["conversations"], "<5");
    // Nothing counted stays 0.
    assert_eq!(json.body["child_protection"]["plans_started"], 0);
    // The same report for every locality is exact.
    let all = front.get("/v1/reports/inspection").await;
    assert_eq!(all.body["child_voice"]["conversations"], 3, "{}", all.text);

    let csv = front
        .send(Method::GET, path, None, &[("accept", "text/csv")])
        .await;
    assert!(
        csv.text.contains("child_voice,conversations,<5\n"),
        "{}",
        csv.text
    );
    assert!(!csv.text.contains("child_voice,conversations,3\n"));

    let page = front
        .send(Method::GET, path, None, &[("accept", "text/html")])
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("<td class=\"num\">&#60;5</td>"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<svg"), "a chart would show the number");
}

/// Sends raw bytes on a new connection and returns everything the server answers until it
/// closes or goes quiet.
async fn raw_http(base: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.strip_prefix("http://").expect("http base");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                // One answer is enough: headers and a body of the length they announce.
                let text = String::from_utf8_lossy(&out);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn low_level_http_errors_are_problems_too() {
    let server = Server::start().await;
    let front = server.client("front_door", FRONT_DOOR).await;
    let child = front.register(FRONT_DOOR).await;

    // A path segment that is not a UUID.
    let r = front.get("/v1/children/not-a-uuid/journey").await;
    assert_eq!(r.problem(400)["errors"][0]["field"], "path");
    // A query string that does not parse, or names an unknown parameter.
    front
        .get(&format!("/v1/children/{child}/events?limit=many"))
        .await
        .problem(400);
    front
        .get("/v1/reports/inspection?from=2026-01-01&colour=red")
        .await
        .problem(400);
    front
        .get("/v1/reports/inspection?from=%ZZ")
        .await
        .problem(400);
    // A method the route does not take keeps its Allow header.
    let r = front
        .send(Method::PUT, "/v1/children", Some(json!({})), &[])
        .await;
    r.problem(405);
    assert!(
        r.header("allow").is_some_and(|a| a.contains("POST")),
        "{:?}",
        r.headers
    );
    // A body announced larger than the limit is refused before it is read.
    let r = front
        .raw(
            Method::POST,
            "/v1/children",
            Some("application/json"),
            vec![b' '; 2 * 1024 * 1024],
        )
        .await;
    r.problem(413);
    // A body whose chunked encoding breaks off mid-way.
    let answer = raw_http(
        &server.base,
        b"POST /v1/children HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    )
    .await;
    assert!(
        answer.is_empty() || answer.contains("application/problem+json"),
        "{answer}"
    );

    // A request line too long for actix-http's parser is refused there, before any of our
    // code runs: a 400 with no body and the connection closed (docs/OPERATIONS.md). It is
    // never a 500, and never reaches a handler.
    let long = format!(
        "GET /v1/children/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let answer = raw_http(&server.base, long.as_bytes()).await;
    let status = answer.split(' ').nth(1).unwrap_or("");
    assert!(["400", "414", "431", ""].contains(&status), "{answer}");
    // A large header the parser accepts reaches the app like any other.
    let big = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(60_000)
    );
    let answer = raw_http(&server.base, big.as_bytes()).await;
    let status = answer.split(' ').nth(1).unwrap_or("");
    assert!(["200", "400", "431", ""].contains(&status), "{answer}");
}

#[tokio::test]
async fn idle_connections_beyond_the_cap_do_not_starve_a_real_request() {
    let server = Server::start_on(
        TestStore::sqlite(),
        &[
            ("CASELINE_MAX_CONNECTIONS", "20"),
            ("CASELINE_REQUEST_HEAD_TIMEOUT_MS", "1000"),
        ],
    )
    .await;
    let addr = server.base.strip_prefix("http://").unwrap().to_owned();
    // Three times the cap, each connected and silent.
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(
            tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect"),
        );
    }
    // The request waits in the listen queue at worst until idle connections are dropped; a
    // generous bound stands for "the client gave up", as it did before the cap.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let health = client
        .get(format!("{}/health", server.base))
        .send()
        .await
        .expect("an answer, not a time-out");
    assert_eq!(health.status(), 200);
    drop(idle);

    let metrics = server.anonymous().get("/metrics").await.text;
    assert!(metrics.contains("caseline_connections_max 20"), "{metrics}");
    assert!(metrics.contains("caseline_connections_open"), "{metrics}");
    assert!(
        server.logs().iter().any(|l| l.contains("connection cap")),
        "the cap in force is logged at start"
    );
}

#[tokio::test]
async fn a_connection_accepted_beyond_the_cap_is_answered_503_and_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Two workers hold two connections each, so a fourth is accepted though the cap is 3.
    let server = Server::start_on(TestStore::sqlite(), &[("CASELINE_MAX_CONNECTIONS", "3")]).await;
    let addr = server.base.strip_prefix("http://").unwrap().to_owned();
    let request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut open = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..4 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        answers.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        // Kept open (HTTP/1.1 keep-alive), so each counts while the next connects.
        open.push(stream);
    }
    for a in &answers[..3] {
        assert!(a.starts_with("HTTP/1.1 200"), "{a}");
    }
    let last = answers[3].to_ascii_lowercase();
    assert!(last.starts_with("http/1.1 503"), "{last}");
    assert!(last.contains("connection: close"), "{last}");
    assert!(last.contains("application/problem+json"), "{last}");
    drop(open);

    // The server learns of the closed connections when it next polls them, so a new one may
    // still be over the cap for a moment: ask again until it is let in.
    let mut metrics = server.anonymous().get("/metrics").await;
    for _ in 0..100 {
        if metrics.status != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        metrics = server.anonymous().get("/metrics").await;
    }
    let metrics = metrics.text;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("caseline_connections_refused_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

#[tokio::test]
async fn on_postgresql_the_key_must_be_placed_and_an_old_one_moves_out_of_the_database() {
    let Some(store) = TestStore::postgres().await else {
        eprintln!("CASELINE_TEST_POSTGRES_URL is not set: the key on PostgreSQL is not checked");
        return;
    };
    // The store is created by the first command; no default place for the key beside it.
    store.token("admin", "council:admin");
    let (code, _, err) = cli(&["serve", "--listen", "127.0.0.1:0", "--store", &store.url]);
    assert_ne!(code, 0);
    assert!(err.contains("--pseudonym-key-file"), "{err}");

    let old_key = [5u8; 32];
    {
        let s = store::open(&store.url).await.unwrap();
        s.secret(api::pseudonym_key::LEGACY_SECRET, old_key.to_vec())
            .await
            .unwrap();
    }
    let url = store.url.clone();
    // The harness names a key file in the test's own directory for a PostgreSQL store.
    let server = Server::start_on(store, &[]).await;
    let front = server.client("front_door", FRONT_DOOR).await;
    let child = front.register(FRONT_DOOR).await;
    assert_eq!(
        pseudonyms(&front).await,
        vec![api::routes::report::pseudonym(&old_key, child)]
    );
    assert!(legacy_secret(&url).await.is_empty());
}
