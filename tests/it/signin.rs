//! People in a browser, without one: single-use sign-in links from the command line, the
//! session cookie and its flags, the pages it opens (and the API it does not), CSRF on
//! sign-out, expiry, and reads logged under the person's name and session.
//! (The identity provider's flow runs in headless Chromium: tests/signin.sh.)

use reqwest::redirect::Policy;
use serde_json::Value;
use uuid::Uuid;

use crate::support::{Server, TestStore, build, cli};

/// A browser that does not follow redirects, so each answer can be looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// `caseline signin-link` for the server's store and address.
fn link(server: &Server, role: &str, agency: &str, name: &str, next: Option<&str>) -> String {
    let listen = server.base.trim_start_matches("http://").to_owned();
    let mut args = vec![
        "signin-link",
        "--role",
        role,
        "--agency",
        agency,
        "--name",
        name,
        "--store",
        &server.store.url,
        "--listen",
        &listen,
    ];
    if let Some(next) = next {
        args.extend(["--next", next]);
    }
    let (code, out, err) = cli(&args);
    assert_eq!(code, 0, "signin-link failed: {err}");
    let link = out.trim().to_owned();
    assert!(
        link.starts_with(&format!("{}/signin/link/", server.base)),
        "{link}"
    );
    link
}

/// Opens a link; returns the answer's status, its Location and the session cookie it set
/// (`name=value`) with the cookie's attributes.
async fn open(url: &str) -> (u16, Option<String>, Option<(String, String)>) {
    let res = browser().get(url).send().await.unwrap();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("caseline_session="))
        .map(|v| {
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            (pair.to_owned(), attrs.to_owned())
        });
    (res.status().as_u16(), location, cookie)
}

async fn page(server: &Server, path: &str, cookie: &str) -> (u16, Option<String>, String) {
    let res = browser()
        .get(format!("{}{path}", server.base))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, location, res.text().await.unwrap_or_default())
}

/// The CSRF token in a page's sign-out form.
fn csrf(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a sign-out form")
        + 19;
    page[at..].split('"').next().unwrap().to_owned()
}

async fn sign_out(server: &Server, cookie: &str, csrf: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/signout", server.base))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap()
}

async fn a_child(server: &Server) -> Uuid {
    let front = server.client("front_door", "front_door:norfolk-mash").await;
    let child = front.register("front_door:norfolk-mash").await;
    front
        .record(child, build::conversation("front_door:norfolk-mash", 30))
        .await;
    child
}

#[tokio::test]
async fn a_signin_link_opens_one_session_once_with_a_safe_cookie() {
    let server = Server::start().await;
    let child = a_child(&server).await;
    let journey = format!("/v1/children/{child}/journey");
    let url = link(
        &server,
        "auditor",
        "council:audit",
        "Ann Auditor",
        Some(&journey),
    );

    let (status, location, cookie) = open(&url).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some(journey.as_str()));
    let (cookie, attrs) = cookie.expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(flag), "{flag} missing from {attrs}");
    }
    // Plain HTTP on a loopback listener: a Secure cookie would never come back.
    assert!(!attrs.contains("Secure"), "{attrs}");

    let (status, _, body) = page(&server, &journey, &cookie).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Signed in as <strong>Ann Auditor</strong>"),
        "{body}"
    );
    assert!(body.contains("action=\"/signout\""));

    // Single use: the same link again opens nothing.
    let (status, _, again) = open(&url).await;
    assert_eq!(status, 410);
    assert!(again.is_none());
}

#[tokio::test]
async fn reads_through_a_session_are_logged_under_the_persons_name_and_session() {
    let server = Server::start().await;
    let child = a_child(&server).await;
    let journey = format!("/v1/children/{child}/journey");
    let (_, _, cookie) = open(&link(
        &server,
        "auditor",
        "council:audit",
        "Ann Auditor",
        None,
    ))
    .await;
    let (cookie, _) = cookie.unwrap();
    assert_eq!(page(&server, &journey, &cookie).await.0, 200);

    let auditor = server.client("auditor", "council:audit").await;
    let audit = auditor.get(&format!("/v1/children/{child}/audit")).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let reads = audit.body["reads"].as_array().unwrap();
    let by_person: Vec<&Value> = reads
        .iter()
        .filter(|r| r["person"] == "Ann Auditor")
        .collect();
    assert_eq!(by_person.len(), 1, "{reads:?}");
    let read = by_person[0];
    assert_eq!(read["role"], "auditor");
    assert_eq!(read["agency"], "council:audit");
    assert!(read["token_id"].is_null());
    assert!(
        read["session_id"]
            .as_str()
            .is_some_and(|s| s.parse::<Uuid>().is_ok()),
        "{read}"
    );
    assert!(read["what"].as_str().unwrap().contains("page"), "{read}");
    // Reads through a token carry no person.
    assert!(reads.iter().any(|r| r["person"].is_null()));
    // The request log names the person and the session too.
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains("\"person\":\"Ann Auditor\"") && l.contains("journey")),
        "no request log line names the person"
    );
}

#[tokio::test]
async fn a_session_opens_the_pages_and_nothing_else() {
    let server = Server::start().await;
    let child = a_child(&server).await;
    let (_, _, cookie) = open(&link(
        &server,
        "front_door",
        "front_door:norfolk-mash",
        "Fran",
        None,
    ))
    .await;
    let (cookie, _) = cookie.unwrap();
    let http = browser();
    let get = |path: String, accept: &'static str| {
        http.get(format!("{}{path}", server.base))
            .header("cookie", cookie.clone())
            .header("accept", accept)
            .send()
    };
    // The journey as JSON, the case even as a page, the report as JSON: the API's, not a
    // browser's, so a cookie opens none of them.
    for (path, accept) in [
        (format!("/v1/children/{child}/journey"), "application/json"),
        (format!("/v1/children/{child}"), "text/html"),
        (format!("/v1/children/{child}/audit"), "text/html"),
        ("/v1/reports/inspection".to_owned(), "application/json"),
    ] {
        let res = get(path.clone(), accept).await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{path} {accept}");
    }
    // Nor can it write: a cross-site form could otherwise post records as the person.
    let res = http
        .post(format!("{}/v1/children/{child}/records", server.base))
        .header("cookie", cookie.clone())
        .json(&build::conversation("front_door:norfolk-mash", 30))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    // The report page it does open.
    let res = get("/v1/reports/inspection".to_owned(), "text/html")
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
}

#[tokio::test]
async fn a_browser_without_a_session_is_sent_to_sign_in_and_back() {
    let server = Server::start().await;
    let child = a_child(&server).await;
    let journey = format!("/v1/children/{child}/journey?as_of=2030-01-01T00:00:00Z");
    let (status, location, _) = page(&server, &journey, "caseline_session=cl_nonsense").await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(
        location.starts_with("/signin?next=%2Fv1%2Fchildren%2F"),
        "{location}"
    );

    // Without an identity provider, the sign-in page says how to get a link.
    let res = browser()
        .get(format!("{}{location}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("caseline signin-link"));

    // A link's next page is followed only if it is on this server.
    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let (status, location, _) = open(&link(
            &server,
            "auditor",
            "council:audit",
            "Ann",
            Some(evil),
        ))
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/session"), "{evil}");
    }
    // Without a cookie, the API still answers as it always did.
    let res = server.anonymous().get(&journey).await;
    res.problem(401);
}

#[tokio::test]
async fn sign_out_needs_the_forms_csrf_token_and_the_old_cookie_then_opens_nothing() {
    let server = Server::start().await;
    let (_, _, cookie) = open(&link(&server, "inspector", "ofsted:east", "Ian", None)).await;
    let (cookie, _) = cookie.unwrap();
    let (status, _, landing) = page(&server, "/session", &cookie).await;
    assert_eq!(status, 200);
    let token = csrf(&landing);

    for wrong in ["", "cl_guess"] {
        let res = sign_out(&server, &cookie, wrong).await;
        assert_eq!(res.status().as_u16(), 403, "{wrong:?}");
    }
    // Still signed in after the forged attempts.
    assert_eq!(
        page(&server, "/v1/reports/inspection", &cookie).await.0,
        200
    );

    let res = sign_out(&server, &cookie, &token).await;
    assert_eq!(res.status().as_u16(), 200);
    let cleared = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_owned();
    assert!(
        cleared.starts_with("caseline_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    // The old cookie, kept by someone who copied it, opens nothing.
    let (status, location, _) = page(&server, "/v1/reports/inspection", &cookie).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/signin"));
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_expiry() {
    for var in ["CASELINE_SESSION_IDLE_SECS", "CASELINE_SESSION_MAX_SECS"] {
        let server = Server::start_on(TestStore::sqlite(), &[(var, "1")]).await;
        let (_, _, cookie) = open(&link(&server, "inspector", "ofsted:east", "Ian", None)).await;
        let (cookie, _) = cookie.unwrap();
        assert_eq!(page(&server, "/session", &cookie).await.0, 200, "{var}");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let (status, location, _) = page(&server, "/v1/reports/inspection", &cookie).await;
        assert_eq!(status, 303, "{var}");
        assert!(location.unwrap().starts_with("/signin"), "{var}");
    }
}

#[test]
fn signin_link_refuses_a_missing_store_and_an_unknown_role() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("nope.db").display());
    let (code, _, err) = cli(&[
        "signin-link",
        "--role",
        "auditor",
        "--agency",
        "council:audit",
        "--name",
        "Ann",
        "--store",
        &missing,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("no Caseline store"), "{err}");
    assert!(!dir.path().join("nope.db").exists(), "nothing is created");

    let store = TestStore::sqlite();
    store.token("admin", "council:admin");
    let (code, _, err) = cli(&[
        "signin-link",
        "--role",
        "boss",
        "--agency",
        "council:audit",
        "--name",
        "Ann",
        "--store",
        &store.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown role"), "{err}");
}

#[tokio::test]
async fn the_demo_prints_links_that_sign_an_auditor_and_an_inspector_in() {
    use std::io::{BufRead, BufReader};
    let mut demo = std::process::Command::new(crate::support::bin())
        .args(["demo", "--listen", "127.0.0.1:0", "--children", "5"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("listening on ");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .unwrap();
    let link = |who: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(&format!("{who}: ")))
            .filter(|l| l.contains("/signin/link/"))
            .unwrap_or_else(|| panic!("no {who} link in {lines:#?}"))
            .to_owned()
    };
    let (status, location, cookie) = open(&link("auditor")).await;
    assert_eq!(status, 303);
    assert!(location.unwrap().ends_with("/journey"));
    assert!(cookie.is_some());
    let (status, location, _) = open(&link("inspector")).await;
    assert_eq!(status, 303);
    assert!(
        location
            .unwrap()
            .starts_with("/v1/reports/inspection?from=")
    );
    let _ = demo.kill();
    let _ = demo.wait();
}

/// Sessions live in the store: on PostgreSQL, a session opened through one server opens pages on
/// another, and signing out on one ends it on both.
#[tokio::test]
async fn a_session_is_honoured_by_every_server_on_a_postgres_store() {
    let Some(store) = TestStore::postgres().await else {
        eprintln!(
            "skipped: CASELINE_TEST_POSTGRES_URL is not set, so sessions over PostgreSQL were not tried"
        );
        return;
    };
    let key = store
        .key_file()
        .expect("a PostgreSQL test store has a key file");
    let a = Server::start_on(store, &[]).await;
    let b = Server::start_on(
        a.store.shared(),
        &[("CASELINE_PSEUDONYM_KEY_FILE", key.to_str().unwrap())],
    )
    .await;
    let (_, _, cookie) = open(&link(&a, "inspector", "ofsted:east", "Ian", None)).await;
    let (cookie, _) = cookie.unwrap();
    let (status, _, landing) = page(&b, "/session", &cookie).await;
    assert_eq!(status, 200);
    assert_eq!(page(&b, "/v1/reports/inspection", &cookie).await.0, 200);
    assert_eq!(
        sign_out(&b, &cookie, &csrf(&landing))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(page(&a, "/v1/reports/inspection", &cookie).await.0, 303);
}

/// Behind a TLS proxy (a public https:// URL), the cookie is `Secure` and `__Host-`: only ever
/// sent over TLS, to this host, and no subdomain can plant one.
#[tokio::test]
async fn behind_tls_the_cookie_is_secure_and_for_this_host_only() {
    let server = Server::start_on(
        TestStore::sqlite(),
        &[("CASELINE_PUBLIC_URL", "https://caseline.example")],
    )
    .await;
    let listen = server.base.trim_start_matches("http://").to_owned();
    let (code, out, err) = cli(&[
        "signin-link",
        "--role",
        "auditor",
        "--agency",
        "council:audit",
        "--name",
        "Ann",
        "--store",
        &server.store.url,
        "--listen",
        &listen,
    ]);
    assert_eq!(code, 0, "{err}");
    let res = browser().get(out.trim()).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap();
    assert!(
        cookie.starts_with("__Host-caseline_session=cl_"),
        "{cookie}"
    );
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    assert!(!cookie.contains("Domain="), "{cookie}");
}

/// A backup leaves sessions out: a server restored from it honours no cookie of before.
#[tokio::test]
async fn a_backup_carries_no_sessions() {
    use std::io::{BufRead, BufReader};
    let server = Server::start().await;
    let (_, _, cookie) = open(&link(&server, "inspector", "ofsted:east", "Ian", None)).await;
    let (cookie, _) = cookie.unwrap();
    assert_eq!(page(&server, "/session", &cookie).await.0, 200);

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let (code, _, err) = cli(&[
        "backup",
        "--store",
        &server.store.url,
        "--to",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut restored = std::process::Command::new(crate::support::bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(format!("sqlite://{}", copy.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = restored.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
    })
    .await
    .unwrap()
    .expect("the restored server starts");
    let res = browser()
        .get(format!("{base}/v1/reports/inspection"))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let _ = restored.kill();
    let _ = restored.wait();
}

/// An inspector following a journey link is refused as a token would be (403), but on a page
/// a person can read, and the refusal is in the child's read log under their name.
#[tokio::test]
async fn a_person_refused_a_page_reads_why_on_a_page() {
    let server = Server::start().await;
    let child = a_child(&server).await;
    let (_, _, cookie) = open(&link(&server, "inspector", "ofsted:east", "Ian", None)).await;
    let (cookie, _) = cookie.unwrap();
    let res = browser()
        .get(format!("{}/v1/children/{child}/journey", server.base))
        .header("accept", "text/html")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let body = res.text().await.unwrap();
    assert!(body.contains("may not"), "{body}");
    let auditor = server.client("auditor", "council:audit").await;
    let audit = auditor.get(&format!("/v1/children/{child}/audit")).await;
    assert!(
        audit.body["reads"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["person"] == "Ian" && r["what"].as_str().unwrap().starts_with("refused 403")),
        "{}",
        audit.text
    );
}
