//! The test harness: the real `caseline` binary started on a random port over a fresh store,
//! a small HTTP client that keeps status, headers and body together, and builders for the
//! records the tests post.

#![allow(dead_code)]

pub(crate) mod build;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use uuid::Uuid;

/// The binary under test.
pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_caseline")
}

/// Runs `caseline ARGS` to completion; returns (exit code, stdout, stderr).
pub(crate) fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run caseline");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The admin URL of the test PostgreSQL server, if the environment names one.
///
/// On a developer's machine a missing URL skips the PostgreSQL half of a test (the test says
/// so). Under CI (`CI` set, as every CI service does) it fails the test instead: a CI job that
/// lost its database must not pass having tested SQLite alone.
pub(crate) fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("CASELINE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let in_ci = std::env::var("CI")
        .is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
    if url.is_none() && in_ci {
        panic!(
            "CI is set but CASELINE_TEST_POSTGRES_URL is not: under CI the PostgreSQL tests must run, \
             so set CASELINE_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB (or unset CI to skip them locally)"
        );
    }
    url
}

/// A store for one test: a fresh SQLite file, or a fresh PostgreSQL database when asked.
pub(crate) struct TestStore {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    pub(crate) fn sqlite() -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("caseline.db").display());
        TestStore {
            url,
            _dir: Some(dir),
        }
    }

    /// A new, empty database on the server `CASELINE_TEST_POSTGRES_URL` names; `None` when
    /// the variable is unset (the test then says so and passes on SQLite alone).
    pub(crate) async fn postgres() -> Option<TestStore> {
        let base = postgres_admin_url()?;
        let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
            .await
            .expect("connect to postgres");
        tokio::spawn(conn);
        let name = format!("caseline_it_{}", Uuid::new_v4().simple());
        client
            .execute(&format!("CREATE DATABASE {name}"), &[])
            .await
            .expect("create database");
        let url = match base.rfind('/') {
            Some(i) if !base[..i].ends_with('/') => format!("{}/{name}", &base[..i]),
            _ => format!("{base}/{name}"),
        };
        // A PostgreSQL store has no directory for the pseudonym key to sit beside: the test's
        // own temporary one holds it (see `Server::start_on`).
        let dir = tempfile::tempdir().expect("temp dir");
        Some(TestStore {
            url,
            _dir: Some(dir),
        })
    }

    /// The same store for another server: the same URL, nothing of its own to clean up.
    pub(crate) fn shared(&self) -> TestStore {
        TestStore {
            url: self.url.clone(),
            _dir: None,
        }
    }

    /// The pseudonym key file a server over this PostgreSQL store is started with (see
    /// [`Server::start_on`]); a second server on the store must be given the same one.
    pub(crate) fn key_file(&self) -> Option<std::path::PathBuf> {
        self._dir
            .as_ref()
            .filter(|_| !self.url.starts_with("sqlite://"))
            .map(|d| d.path().join("pseudonym.key"))
    }

    /// Creates the store if it is not there yet (`caseline init`, how an operator starts).
    pub(crate) fn init(&self) {
        let (code, _, err) = cli(&["init", "--store", &self.url]);
        assert_eq!(code, 0, "init failed: {err}");
    }

    /// Creates a token through the command line (how an operator makes the first admin),
    /// after `init`, since `token create` refuses a store that does not exist.
    pub(crate) fn token(&self, role: &str, agency: &str) -> String {
        self.init();
        let (code, out, err) = cli(&[
            "token", "create", "--role", role, "--agency", agency, "--name", "test", "--store",
            &self.url,
        ]);
        assert_eq!(code, 0, "token create failed: {err}");
        let v: Value = serde_json::from_str(&out).expect("token create prints JSON");
        v["token"].as_str().expect("token in output").to_owned()
    }
}

/// A running server process.
pub(crate) struct Server {
    pub base: String,
    pub store: TestStore,
    process: Child,
    pub log: Arc<Mutex<Vec<String>>>,
    admin: String,
}

impl Server {
    /// The server on a fresh SQLite store.
    pub(crate) async fn start() -> Server {
        Server::start_on(TestStore::sqlite(), &[]).await
    }

    /// The server over `store`, with extra `CASELINE_*` variables.
    pub(crate) async fn start_on(store: TestStore, env: &[(&str, &str)]) -> Server {
        // The first admin token is made on the command line before the server opens the store.
        let admin = store.token("admin", "council:admin");
        let mut cmd = Command::new(bin());
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            &store.url,
            "--log-format",
            "json",
            "--workers",
            "2",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if !store.url.starts_with("sqlite://")
            && let Some(dir) = &store._dir
        {
            cmd.env(
                "CASELINE_PSEUDONYM_KEY_FILE",
                dir.path().join("pseudonym.key"),
            );
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut process = cmd.spawn().expect("start caseline serve");
        let stdout = process.stdout.take().expect("stdout");
        let stderr = process.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(addr) = line.strip_prefix("listening on ")
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(addr.to_owned());
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
            });
        }
        let base = tokio::task::spawn_blocking(move || {
            rx.recv_timeout(std::time::Duration::from_secs(60))
        })
        .await
        .expect("join")
        .unwrap_or_else(|_| panic!("the server did not start"));
        Server {
            base,
            store,
            process,
            log,
            admin,
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    /// A client with no token.
    pub(crate) fn anonymous(&self) -> Api {
        Api {
            http: http(),
            base: self.base.clone(),
            token: None,
        }
    }

    pub(crate) fn admin(&self) -> Api {
        self.with_token(&self.admin.clone())
    }

    pub(crate) fn with_token(&self, token: &str) -> Api {
        Api {
            http: http(),
            base: self.base.clone(),
            token: Some(token.to_owned()),
        }
    }

    /// A client for a new token of `role` and `agency`, created through the API by the admin.
    pub(crate) async fn client(&self, role: &str, agency: &str) -> Api {
        let r = self
            .admin()
            .post(
                "/v1/tokens",
                json!({ "agency": agency, "role": role, "name": "test" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        self.with_token(r.body["token"].as_str().expect("secret"))
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code.
    pub(crate) fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status();
        self.process.wait().ok().and_then(|s| s.code())
    }

    pub(crate) fn logs(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().build().expect("http client")
}

/// A client speaking for one token.
#[derive(Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    pub base: String,
    token: Option<String>,
}

/// An answer: status, headers, the body as text and (when it is JSON) as a value.
#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer of `status` and returns it.
    pub(crate) fn problem(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(
            self.body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("https://")),
            "{}",
            self.text
        );
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        &self.body
    }

    /// The `field`s of a problem's `errors`.
    pub(crate) fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Api {
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        into_resp(req.send().await.expect("request")).await
    }

    /// Sends raw bytes with a content type, for malformed-input tests.
    pub(crate) async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .body(bytes);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        into_resp(req.send().await.expect("request")).await
    }

    /// The same token speaking to another server (as behind a load balancer).
    pub(crate) fn at(&self, server: &Server) -> Api {
        Api {
            base: server.base.clone(),
            ..self.clone()
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None, &[]).await
    }

    /// A GET whose body is kept as bytes (a workbook), with its status and content type.
    pub(crate) async fn get_bytes(&self, path: &str) -> (u16, Option<String>, Vec<u8>) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.bytes().await.expect("body").to_vec();
        (status, content_type, bytes)
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    /// Registers a child as `agency` and returns its id.
    pub(crate) async fn register(&self, agency: &str) -> Uuid {
        let r = self
            .post("/v1/children", build::registration(agency, None))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["child_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("child_id")
    }

    /// Posts one record and asserts it was recorded; returns its event id.
    pub(crate) async fn record(&self, child: Uuid, record: Value) -> Uuid {
        let r = self
            .post(&format!("/v1/children/{child}/records"), record)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["event_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("event_id")
    }
}

async fn into_resp(res: reqwest::Response) -> Resp {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        body,
    }
}
