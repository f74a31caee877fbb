//! The read and write path over HTTP, measured as a user meets it: the real `caseline serve`
//! (release build) on a fresh store, a load client in this process beside it on the same
//! machine, and the store alone measured in the same run as the reference. Prints a Markdown
//! table for docs/BENCHMARKS.md.
//!
//! `cargo bench -p caseline --bench http`. Environment:
//! - `CASELINE_BENCH_SECONDS`: each row's duration (default 10).
//! - `CASELINE_BENCH_BIN`: another `caseline` binary to measure instead (a build of the commit
//!   before a change, for before/after in one run); `CASELINE_BENCH_BIN_LABEL` names it.
//! - `CASELINE_BENCH_POSTGRES_URL` (or `CASELINE_TEST_POSTGRES_URL`): also run on PostgreSQL,
//!   in a fresh database.
//! - `CASELINE_BENCH_STORE`: an existing store to add the "county" row on (a copy is used:
//!   `sqlite://…` files are copied first, so the original is never written to).
//! - `CASELINE_BENCH_ONLY`: a comma-separated list of row names to run (`single`, `batch10`,
//!   `batch100`, `long`, `postgres`, `county`, `countystore`, `store`, `floor`). `floor` asks
//!   `GET /health` of the same server with the same 64 clients: what HTTP alone costs on this
//!   machine, the server's side and the load client's, the part of a record's cost no handler
//!   work removes. `countystore` (with `CASELINE_BENCH_STORE`, in each pair) is the store alone
//!   on a copy of the county: what the county's size costs the store itself.
//! - `CASELINE_BENCH_WARM_UP`: seconds of the same load before each row, not measured.
//! - `CASELINE_BENCH_CLIENT`: `hyper` to load with hyper's client instead of the default,
//!   which writes each request's bytes to a socket and reads the answer with `httparse`.
//! - `CASELINE_BENCH_PAIRS`: with `store` and `single`, run the SQLite store alone and single
//!   records this many times in turn (default 1) and add a row with the median of each pair's
//!   ratio: on a shared machine whose speed moves from minute to minute, one pair's ratio can
//!   be off by ten points either way. With `single` and `county`, the county row runs in each
//!   pair too, straight after the fresh store's single records, and a row gives the median of
//!   county ÷ fresh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use uuid::Uuid;

const SCHOOL: &str = "school:norwich-high";
const CLIENTS: usize = 64;
const CHILDREN_PER_CLIENT: usize = 10;

fn seconds() -> f64 {
    std::env::var("CASELINE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10.0)
}

/// `CASELINE_BENCH_WARM_UP`: seconds of the same load before a row is measured, unmeasured.
fn warm_up() -> Option<f64> {
    std::env::var("CASELINE_BENCH_WARM_UP")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| *s > 0.0)
}

fn wanted(row: &str) -> bool {
    match std::env::var("CASELINE_BENCH_ONLY") {
        Ok(only) => only.split(',').any(|r| r.trim() == row),
        Err(_) => true,
    }
}

fn bin() -> String {
    std::env::var("CASELINE_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_caseline").into())
}

fn cli(args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run caseline");
    assert!(
        out.status.success(),
        "caseline {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn token(store: &str, role: &str, agency: &str) -> String {
    // `token create` refuses a store that does not exist: make it first. A build from before
    // `init` existed creates the store itself and refuses the word, which is harmless here.
    let _ = Command::new(bin())
        .args(["init", "--store", store])
        .output();
    let out = cli(&[
        "token", "create", "--role", role, "--agency", agency, "--name", "bench", "--store", store,
    ]);
    let v: Value = serde_json::from_str(&out).expect("token JSON");
    v["token"].as_str().unwrap().to_owned()
}

struct Server {
    process: Child,
    base: String,
}

impl Server {
    fn start(store: &str) -> Server {
        let mut process = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--store", store])
            .env("CASELINE_RATE_PER_SECOND", "1000000")
            .env("CASELINE_RATE_BURST", "1000000")
            .env("RUST_LOG", "warn")
            // A PostgreSQL store needs a pseudonym key from outside it; a fixed one will do.
            .env("CASELINE_PSEUDONYM_KEY", "5e".repeat(32))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start caseline serve");
        let stdout = process.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("server exited").unwrap();
            if let Some(addr) = line.strip_prefix("listening on ") {
                break addr.trim().to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { process, base }
    }

    async fn ready(&self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(600);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/ready", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server never became ready");
    }
}

impl Server {
    /// The CPU time the server has used so far (user and system, from `/proc`), or `None` where
    /// there is no `/proc`. Beside a rate, it says what each request cost the server, which
    /// moves less than the rate when other work shares the machine's cores.
    fn cpu_seconds(&self) -> Option<f64> {
        cpu_seconds_of(&self.process.id().to_string())
    }
}

/// A process's CPU time so far (user and system, from `/proc/<pid>/stat`; `self` for this
/// one, the load client), or `None` where there is no `/proc`.
fn cpu_seconds_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces): utime
    // and stime are the 12th and 13th, in clock ticks.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks_per_second())
}

/// Has the OS write out what earlier rows left dirty before a row starts (`sync`), so that a
/// row's commits do not wait behind the last row's writeback: the store alone, which spends
/// most of its time in `fsync`, measured 21,000-35,000 records/s in one hour without it.
/// Where there is no `sync`, the row runs as it finds the disk.
fn settle() {
    let _ = Command::new("sync").status();
}

/// Linux's `USER_HZ` (`getconf CLK_TCK`), 100 where it cannot be asked.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.process.id().to_string()])
            .status();
        let _ = self.process.wait();
    }
}

fn person() -> Value {
    json!({ "name": "A Teacher", "role": "designated_safeguarding_lead", "agency": SCHOOL })
}

fn conversation() -> Value {
    json!({
        "type": "conversation_recorded",
        "occurred_at": (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339(),
        "recorded_by": person(),
        "data": {
            "conversation_id": Uuid::new_v4(), "kind": "with_child",
            "participants": [{ "relationship": "child" }],
            "worries": ["Came to school hungry three days this week"],
            "child_voice": { "views": "There is no food at home on Thursdays" }
        }
    })
}

fn registration() -> Value {
    json!({
        "child": { "given_name": "Sam", "family_name": "Example", "date_of_birth": "2014-03-02",
                   "gender": "male", "locality": "Norwich" },
        "occurred_at": (Utc::now() - chrono::Duration::days(1)).to_rfc3339(),
        "recorded_by": person(),
    })
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> u16 {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let _ = r.bytes().await;
        status
    }

    async fn register(&self) -> Uuid {
        let (status, body) = self.post("/v1/children", &registration()).await;
        assert_eq!(status, 201, "{body}");
        body["child_id"].as_str().unwrap().parse().unwrap()
    }
}

struct Row {
    what: String,
    rate: f64,
    unit: &'static str,
    p50_ms: f64,
    p99_ms: f64,
    note: String,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A conversation record's JSON with a fresh `conversation_id`, written straight to text: the
/// load client shares the machine's two cores with the server, so what it spends building a
/// request the server cannot have.
struct Bodies {
    before: String,
    after: String,
}

impl Bodies {
    fn new() -> Bodies {
        let text = conversation().to_string();
        let marker = "\"conversation_id\":\"";
        let at = text.find(marker).expect("a conversation_id") + marker.len();
        let end = at + text[at..].find('"').expect("the id's end");
        Bodies {
            before: text[..at].to_owned(),
            after: text[end..].to_owned(),
        }
    }

    fn record(&self, out: &mut String) {
        out.push_str(&self.before);
        out.push_str(&Uuid::new_v4().to_string());
        out.push_str(&self.after);
    }

    fn one(&self) -> Bytes {
        let mut out = String::with_capacity(self.before.len() + self.after.len() + 36);
        self.record(&mut out);
        Bytes::from(out)
    }

    /// The body of one request of `ask` (none for `GET /health`).
    fn asked(&self, ask: Ask) -> Bytes {
        match ask {
            Ask::Records(1) => self.one(),
            Ask::Records(n) => self.batch(n),
            Ask::Health => Bytes::new(),
        }
    }

    fn batch(&self, n: usize) -> Bytes {
        let mut out = String::from("{\"records\":[");
        for i in 0..n {
            if i > 0 {
                out.push(',');
            }
            self.record(&mut out);
        }
        out.push_str("]}");
        Bytes::from(out)
    }
}

/// Which load client sends the requests (`CASELINE_BENCH_CLIENT`): `wire` (the default) writes
/// each request's bytes to its own keep-alive socket and reads the answer with `httparse`, as
/// load tools such as wrk do; `hyper` is hyper's own HTTP/1.1 connection (the client of the
/// tenth to thirteenth rounds). The server cannot tell them apart: the same bytes arrive.
fn wire_client() -> bool {
    std::env::var("CASELINE_BENCH_CLIENT").map_or(true, |c| c != "hyper")
}

/// One client's keep-alive HTTP/1.1 connection.
enum Connection {
    Hyper(http1::SendRequest<Full<Bytes>>),
    Wire(Wire),
}

async fn connection(base: &str) -> Connection {
    let addr = base.trim_start_matches("http://");
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the server");
    tcp.set_nodelay(true).expect("TCP_NODELAY");
    if wire_client() {
        return Connection::Wire(Wire {
            tcp,
            request: Vec::with_capacity(4096),
            answer: Vec::with_capacity(4096),
        });
    }
    let (send, conn) = http1::handshake(TokioIo::new(tcp))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(conn);
    Connection::Hyper(send)
}

/// A socket, the next request's bytes and the last answer's: each request is one write and
/// (nearly always) one read, with nothing else between the load and the server.
struct Wire {
    tcp: tokio::net::TcpStream,
    request: Vec<u8>,
    answer: Vec<u8>,
}

impl Wire {
    /// Sends the bytes in `request` and reads the whole answer: its status and its body.
    async fn ask(&mut self) -> (u16, &[u8]) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.tcp
            .write_all(&self.request)
            .await
            .expect("send the request");
        self.answer.clear();
        loop {
            let n = self
                .tcp
                .read_buf(&mut self.answer)
                .await
                .expect("read the answer");
            assert!(n > 0, "the server closed the connection");
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head) =
                response.parse(&self.answer).expect("an HTTP/1.1 answer")
            {
                let length: usize = response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                    .expect("every answer of these routes has a Content-Length");
                let status = response.code.expect("a status");
                if self.answer.len() >= head + length {
                    return (status, &self.answer[head..head + length]);
                }
            }
        }
    }
}

/// What each request of a load asks.
#[derive(Clone, Copy)]
enum Ask {
    /// `batch` records to one child (1: the single-record route).
    Records(usize),
    /// `GET /health`, which does nothing but answer: what HTTP itself costs on this machine,
    /// the server's side and the load client's.
    Health,
}

/// 64 clients, each asking `ask` of its own 10 children in turn.
async fn load(
    api: Arc<Api>,
    children: Arc<Vec<Uuid>>,
    ask: Ask,
    secs: f64,
) -> (f64, Vec<Duration>) {
    let bodies = Arc::new(Bodies::new());
    let authorization = Arc::new(format!("Bearer {}", api.token));
    let host = Arc::new(api.base.trim_start_matches("http://").to_owned());
    let mut connections = Vec::new();
    for _ in 0..CLIENTS {
        connections.push(connection(&api.base).await);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(c, mut connection)| {
            let children = children.clone();
            let bodies = bodies.clone();
            let authorization = authorization.clone();
            let host = host.clone();
            // hyper's headers, made once as the tenth to thirteenth rounds made them.
            let authorization_value = HeaderValue::from_str(&authorization).unwrap();
            let host_value = HeaderValue::from_str(&host).unwrap();
            tokio::spawn(async move {
                let paths: Vec<String> = children
                    [c * CHILDREN_PER_CLIENT..(c + 1) * CHILDREN_PER_CLIENT]
                    .iter()
                    .map(|child| match ask {
                        Ask::Records(1) => format!("/v1/children/{child}/records"),
                        Ask::Records(_) => format!("/v1/children/{child}/records:batch"),
                        Ask::Health => "/health".to_owned(),
                    })
                    .collect();
                let length = bodies.asked(ask).len();
                let heads: Vec<Vec<u8>> = paths
                    .iter()
                    .map(|path| {
                        let method = if length == 0 { "GET" } else { "POST" };
                        let mut head = format!(
                            "{method} {path} HTTP/1.1\r\nHost: {host}\r\n\
                             Authorization: {authorization}\r\n"
                        );
                        if length > 0 {
                            head.push_str(&format!(
                                "Content-Type: application/json\r\nContent-Length: {length}\r\n"
                            ));
                        }
                        head.push_str("\r\n");
                        head.into_bytes()
                    })
                    .collect();
                let mut latencies = Vec::new();
                let mut records = 0usize;
                let mut i = 0;
                while Instant::now() < deadline {
                    let k = i % CHILDREN_PER_CLIENT;
                    let path = &paths[k];
                    i += 1;
                    let t = Instant::now();
                    let (expected, n) = match ask {
                        Ask::Records(batch) => (201, batch),
                        Ask::Health => (200, 1),
                    };
                    let body = bodies.asked(ask);
                    match &mut connection {
                        Connection::Wire(wire) => {
                            // Every body of one load has the same length (only its ids
                            // differ), so each path's head is written once, below.
                            wire.request.clear();
                            wire.request.extend_from_slice(&heads[k]);
                            assert_eq!(body.len(), length, "the head's Content-Length");
                            wire.request.extend_from_slice(&body);
                            let (status, answer) = wire.ask().await;
                            assert_eq!(status, expected, "{}", String::from_utf8_lossy(answer));
                        }
                        Connection::Hyper(send) => {
                            let request = if body.is_empty() {
                                hyper::Request::get(path.as_str())
                            } else {
                                hyper::Request::post(path.as_str())
                                    .header(CONTENT_TYPE, "application/json")
                            }
                            .header(HOST, host_value.clone())
                            .header(AUTHORIZATION, authorization_value.clone())
                            .body(Full::new(body))
                            .unwrap();
                            send.ready().await.expect("connection ready");
                            let response = send.send_request(request).await.expect("request");
                            let status = response.status().as_u16();
                            let body = response.into_body().collect().await.expect("response body");
                            assert_eq!(
                                status,
                                expected,
                                "{}",
                                String::from_utf8_lossy(&body.to_bytes())
                            );
                        }
                    }
                    latencies.push(t.elapsed());
                    records += n;
                }
                (records, latencies)
            })
        })
        .collect();
    let mut total = 0;
    let mut all = Vec::new();
    for t in tasks {
        let (n, l) = t.await.unwrap();
        total += n;
        all.extend(l);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    (total as f64 / elapsed, all)
}

async fn serve_and_load(store: &str, label: &str, ask: Ask, secs: f64) -> Row {
    let recorder = token(store, "recorder", SCHOOL);
    let server = Server::start(store);
    // reqwest for the registrations; the load has connections of its own (`connection`).
    let http = reqwest::Client::new();
    server.ready(&http).await;
    let api = Arc::new(Api {
        http,
        base: server.base.clone(),
        token: recorder,
    });
    let mut children = Vec::new();
    for _ in 0..CLIENTS * CHILDREN_PER_CLIENT {
        children.push(api.register().await);
    }
    let children = Arc::new(children);
    if let Some(warm) = warm_up() {
        load(api.clone(), children.clone(), ask, warm).await;
    }
    settle();
    let cpu_before = server.cpu_seconds();
    let client_before = cpu_seconds_of("self");
    let (rate, latencies) = load(api, children, ask, secs).await;
    let cpu = cpu_before.zip(server.cpu_seconds()).map(|(a, b)| b - a);
    let client = client_before
        .zip(cpu_seconds_of("self"))
        .map(|(a, b)| b - a);
    let (batch, unit, each) = match ask {
        Ask::Records(batch) => (batch, "records/s", "a record"),
        Ask::Health => (1, "requests/s", "a request"),
    };
    let records = (latencies.len() * batch) as f64;
    let per_record = |cpu: f64| cpu * 1e6 / records.max(1.0);
    let mut cost = cpu.map_or(String::new(), |cpu| {
        format!(", server CPU {:.0} µs {each}", per_record(cpu))
    });
    // The load client shares the machine's cores with the server: what it costs a record is
    // what the server could not have.
    if let Some(client) = client {
        cost.push_str(&format!(", load client {:.0} µs", per_record(client)));
    }
    Row {
        what: label.to_owned(),
        rate,
        unit,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        // The longest waits too: a pause of the writer (a save, a checkpoint) shows there
        // before it moves the 99th percentile.
        note: format!(
            "{} requests{cost}; p99.9 {:.0} ms, longest {:.0} ms",
            latencies.len(),
            percentile(&latencies, 0.999),
            percentile(&latencies, 1.0)
        ),
    }
}

/// A child with 1,000 records: p50/p99 of its case, journey and audit, and of appending to it.
async fn long_child(store: &str, secs: f64) -> Vec<Row> {
    let recorder = token(store, "recorder", SCHOOL);
    let auditor = token(store, "auditor", "council:audit");
    let server = Server::start(store);
    let http = reqwest::Client::new();
    server.ready(&http).await;
    let school = Api {
        http: http.clone(),
        base: server.base.clone(),
        token: recorder,
    };
    let audit = Api {
        http,
        base: server.base.clone(),
        token: auditor,
    };
    let child = school.register().await;
    for _ in 0..10 {
        let records: Vec<Value> = (0..100).map(|_| conversation()).collect();
        let (status, body) = school
            .post(
                &format!("/v1/children/{child}/records:batch"),
                &json!({ "records": records }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut rows = Vec::new();
    for (what, path) in [
        ("case", format!("/v1/children/{child}")),
        ("journey", format!("/v1/children/{child}/journey")),
        ("audit", format!("/v1/children/{child}/audit")),
    ] {
        let deadline = Instant::now() + Duration::from_secs_f64(secs / 4.0);
        let mut l = Vec::new();
        while Instant::now() < deadline {
            let t = Instant::now();
            assert_eq!(audit.get(&path).await, 200);
            l.push(t.elapsed());
        }
        l.sort();
        rows.push(Row {
            what: format!("SQLite, {what} of a 1,000-record child (one client)"),
            rate: l.len() as f64 / (secs / 4.0),
            unit: "reads/s",
            p50_ms: percentile(&l, 0.5),
            p99_ms: percentile(&l, 0.99),
            note: String::new(),
        });
    }
    let deadline = Instant::now() + Duration::from_secs_f64(secs / 4.0);
    let mut l = Vec::new();
    while Instant::now() < deadline {
        let t = Instant::now();
        let (status, body) = school
            .post(&format!("/v1/children/{child}/records"), &conversation())
            .await;
        assert_eq!(status, 201, "{body}");
        l.push(t.elapsed());
    }
    l.sort();
    rows.push(Row {
        what: "SQLite, append to a 1,000-record child (one client)".into(),
        rate: l.len() as f64 / (secs / 4.0),
        unit: "records/s",
        p50_ms: percentile(&l, 0.5),
        p99_ms: percentile(&l, 0.99),
        note: String::new(),
    });
    rows
}

/// The store alone: 64 writers appending single conversation records straight to the store
/// (each to its own 10 children, `Expected::Any`), what the HTTP path is measured against.
/// Event ids are made as the server makes them (time-ordered, version 7).
async fn store_alone(url: &str, secs: f64) -> Row {
    use store::{AppendRequest, Expected, NewEvent};
    let store = store::open(url).await.expect("open store");
    let event = || NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "conversation_recorded".into(),
        event_version: 1,
        occurred_at: Utc::now(),
        recorded_by: person(),
        agency: SCHOOL.into(),
        token_id: None,
        data: conversation()["data"].clone(),
    };
    let children: Arc<Vec<Vec<Uuid>>> = Arc::new(
        (0..CLIENTS)
            .map(|_| (0..CHILDREN_PER_CLIENT).map(|_| Uuid::new_v4()).collect())
            .collect(),
    );
    // The warm-up appends to the same children as the row, as `load` does.
    let phases = warm_up()
        .into_iter()
        .map(|w| (w, false))
        .chain([(secs, true)]);
    let mut all = Vec::new();
    let mut elapsed = 0.0;
    for (phase, measured) in phases {
        settle();
        let deadline = Instant::now() + Duration::from_secs_f64(phase);
        let start = Instant::now();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let store = store.clone();
                let children = children.clone();
                tokio::spawn(async move {
                    let children = &children[c];
                    let mut l = Vec::new();
                    let mut i = 0;
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        store
                            .append(AppendRequest {
                                child_id: children[i % CHILDREN_PER_CLIENT],
                                expected: Expected::Any,
                                events: vec![event()],
                                idempotency: None,
                                claims: vec![],
                            })
                            .await
                            .expect("append");
                        i += 1;
                        l.push(t.elapsed());
                    }
                    l
                })
            })
            .collect();
        for t in tasks {
            let l = t.await.unwrap();
            if measured {
                all.extend(l);
            }
        }
        if measured {
            elapsed = start.elapsed().as_secs_f64();
        }
    }
    all.sort();
    Row {
        what: format!("{} store alone, 64 writers, single records", backend(url)),
        rate: all.len() as f64 / elapsed,
        unit: "records/s",
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
        note: "reference, same run".into(),
    }
}

fn backend(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// The bench's scratch databases on a PostgreSQL server: made one per row, dropped at the end,
/// so runs do not pile databases up on a shared server.
struct ScratchPostgres {
    base: String,
    client: tokio_postgres::Client,
    made: Vec<String>,
}

impl ScratchPostgres {
    async fn connect(base: &str) -> ScratchPostgres {
        let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
            .await
            .expect("connect to postgres");
        tokio::spawn(conn);
        ScratchPostgres {
            base: base.to_owned(),
            client,
            made: Vec::new(),
        }
    }

    /// A new empty database, as a URL.
    async fn fresh(&mut self) -> String {
        let name = format!("caseline_bench_{}", Uuid::new_v4().simple());
        self.client
            .execute(&format!("CREATE DATABASE {name}"), &[])
            .await
            .expect("create database");
        self.made.push(name.clone());
        // The row before may have left the server writing out its pages: have that done now,
        // not during this row (needs a superuser; without one the row simply runs as it finds
        // it).
        let _ = self.client.execute("CHECKPOINT", &[]).await;
        let base = &self.base;
        match base.rfind('/') {
            Some(i) if !base[..i].ends_with('/') => format!("{}/{name}", &base[..i]),
            _ => format!("{base}/{name}"),
        }
    }

    /// Drops every database this bench made. The servers that used them have stopped; `FORCE`
    /// ends any connection a pool left behind.
    async fn drop_all(self) {
        for name in &self.made {
            if let Err(e) = self
                .client
                .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
                .await
            {
                eprintln!("could not drop the bench's database {name}: {e}");
            }
        }
    }
}

/// With more than one pair, a row with the median of the pairs' ratios and each ratio in its
/// note: on a shared machine whose speed moves from minute to minute, one pair's ratio can be
/// off by ten points either way, and the median of pairs run side by side is not.
fn median_of_pairs(what: &str, mut ratios: Vec<f64>) -> Option<Row> {
    if ratios.len() < 2 {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let median = if ratios.len() % 2 == 1 {
        ratios[ratios.len() / 2]
    } else {
        (ratios[ratios.len() / 2 - 1] + ratios[ratios.len() / 2]) / 2.0
    };
    let each: Vec<String> = ratios
        .iter()
        .map(|r| format!("{:.0}%", r * 100.0))
        .collect();
    Some(Row {
        what: format!("{what}, median of {} pairs", ratios.len()),
        rate: median * 100.0,
        unit: "%",
        p50_ms: 0.0,
        p99_ms: 0.0,
        note: format!("each pair, lowest first: {}", each.join(", ")),
    })
}

/// Single records on a copy (at `copy`) of the county store at `county` (`sqlite://…`); the
/// copy is removed after the row.
async fn county_row(county: &str, copy: &std::path::Path, secs: f64) -> Row {
    let url = county_copy(county, copy);
    let row = serve_and_load(
        &url,
        "SQLite county store, 64 clients, single records",
        Ask::Records(1),
        secs,
    )
    .await;
    remove_copy(copy);
    row
}

/// The store alone on a copy of the county store: what the county's own size costs the store
/// (its B-trees deeper, its checkpoints copying pages into a gigabyte file), beside what it
/// costs the HTTP path.
async fn county_store_alone(county: &str, copy: &std::path::Path, secs: f64) -> Row {
    let url = county_copy(county, copy);
    let mut row = store_alone(&url, secs).await;
    row.what = "SQLite county store alone, 64 writers, single records".into();
    remove_copy(copy);
    row
}

/// Copies the county store at `county` (`sqlite://…`) to `copy`, on the disk before a row
/// starts, and gives the copy's URL.
fn county_copy(county: &str, copy: &std::path::Path) -> String {
    let path = county
        .strip_prefix("sqlite://")
        .expect("a sqlite:// county store");
    std::fs::copy(path, copy).expect("copy the county store");
    // Written to the disk before the row starts: left to the kernel, the copy's gigabyte of
    // dirty pages was flushed while the row ran, its writes queued beside the server's
    // commits and its flushing on the same two cores (no server meets that in service).
    std::fs::File::open(copy)
        .and_then(|f| f.sync_all())
        .expect("sync the county store's copy");
    format!("sqlite://{}", copy.display())
}

fn remove_copy(copy: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut file = copy.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::main]
async fn main() {
    let secs = seconds();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let label = std::env::var("CASELINE_BENCH_BIN_LABEL").unwrap_or_else(|_| {
        if std::env::var("CASELINE_BENCH_BIN").is_ok() {
            "other build".into()
        } else {
            "this build".into()
        }
    });
    let mut rows = Vec::new();
    let pairs: usize = std::env::var("CASELINE_BENCH_PAIRS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1);
    let county_store = std::env::var("CASELINE_BENCH_STORE").ok();
    let county = county_store.clone().filter(|_| wanted("county"));
    let (mut ratios, mut county_ratios) = (Vec::new(), Vec::new());
    for pair in 0..pairs {
        let (mut alone, mut fresh) = (None, None);
        if wanted("store") {
            let row = store_alone(&sqlite(&format!("alone{pair}.db")), secs).await;
            alone = Some(row.rate);
            rows.push(row);
        }
        if wanted("single") {
            let row = serve_and_load(
                &sqlite(&format!("single{pair}.db")),
                "SQLite, 64 clients, single records",
                Ask::Records(1),
                secs,
            )
            .await;
            if let Some(alone) = alone {
                ratios.push(row.rate / alone);
            }
            fresh = Some(row.rate);
            rows.push(row);
        }
        if let Some(county) = &county_store
            && wanted("countystore")
        {
            let copy = dir.path().join(format!("county-alone{pair}.db"));
            rows.push(county_store_alone(county, &copy, secs).await);
        }
        if let Some(county) = &county {
            let row = county_row(county, &dir.path().join(format!("county{pair}.db")), secs).await;
            if let Some(fresh) = fresh {
                county_ratios.push(row.rate / fresh);
            }
            rows.push(row);
        }
    }
    rows.extend(median_of_pairs(
        "SQLite single records ÷ store alone",
        ratios,
    ));
    rows.extend(median_of_pairs(
        "SQLite county store ÷ fresh store, single records",
        county_ratios,
    ));
    if wanted("floor") {
        rows.push(
            serve_and_load(
                &sqlite("floor.db"),
                "HTTP alone: GET /health, 64 clients (what a request costs before any work)",
                Ask::Health,
                secs,
            )
            .await,
        );
    }
    if wanted("batch10") {
        rows.push(
            serve_and_load(
                &sqlite("b10.db"),
                "SQLite, 64 clients, batches of 10",
                Ask::Records(10),
                secs,
            )
            .await,
        );
    }
    if wanted("batch100") {
        rows.push(
            serve_and_load(
                &sqlite("b100.db"),
                "SQLite, 64 clients, batches of 100",
                Ask::Records(100),
                secs,
            )
            .await,
        );
    }
    if wanted("long") {
        rows.extend(long_child(&sqlite("long.db"), secs).await);
    }
    let pg = std::env::var("CASELINE_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("CASELINE_TEST_POSTGRES_URL"))
        .ok();
    if let Some(base) = pg
        && wanted("postgres")
    {
        let mut scratch = ScratchPostgres::connect(&base).await;
        if wanted("store") {
            rows.push(store_alone(&scratch.fresh().await, secs).await);
        }
        let url = scratch.fresh().await;
        rows.push(
            serve_and_load(
                &url,
                "PostgreSQL, 64 clients, single records",
                Ask::Records(1),
                secs,
            )
            .await,
        );
        scratch.drop_all().await;
    }

    println!(
        "\n{label}, {secs} s a row, {} cores",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    println!("| what | rate | p50 ms | p99 ms | note |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for r in rows {
        println!(
            "| {} | {:.0} {} | {:.1} | {:.1} | {} |",
            r.what, r.rate, r.unit, r.p50_ms, r.p99_ms, r.note
        );
    }
}
