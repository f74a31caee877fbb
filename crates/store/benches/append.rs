//! Append throughput and latency, printed as a Markdown table.
//!
//! `cargo bench -p store` runs it on SQLite (a temp file) and, when `CASELINE_BENCH_POSTGRES_URL`
//! or `CASELINE_TEST_POSTGRES_URL` names a server, on PostgreSQL (a fresh database, dropped
//! after). Every append is durable before it is counted. A raw rusqlite insert loop of the same
//! rows, 1,000 per transaction with the same pragmas, runs in the same process as the ceiling.
//! `CASELINE_BENCH_SECONDS` sets each row's duration (default 3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use store::{AppendRequest, EventStore, Expected, NewEvent};
use uuid::Uuid;

fn event(n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "conversation_recorded".into(),
        event_version: 1,
        occurred_at: Utc::now(),
        recorded_by: json!({ "name": "A Teacher", "role": "designated_safeguarding_lead", "agency": "school:norwich-high" }),
        agency: "school:norwich-high".into(),
        token_id: Some(Uuid::new_v4()),
        data: json!({
            "conversation_id": Uuid::new_v4(), "kind": "with_child", "n": n,
            "participants": [{ "relationship": "child" }],
            "worries": ["Came to school hungry three days this week"],
            "child_voice": { "views": "There is no food at home on Thursdays" }
        }),
    }
}

struct Row {
    backend: &'static str,
    case: String,
    records_per_s: f64,
    appends_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn run(
    store: Arc<dyn EventStore>,
    backend: &'static str,
    writers: usize,
    batch: usize,
    secs: f64,
) -> Row {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let child = Uuid::new_v4();
            let mut lat = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                let events = (0..batch).map(|i| event(n + i as u64)).collect();
                let req = AppendRequest {
                    child_id: child,
                    expected: Expected::Any,
                    events,
                    idempotency: None,
                    claims: vec![],
                };
                let t = Instant::now();
                store.append(req).await.unwrap();
                lat.push(t.elapsed());
                n += batch as u64;
            }
            lat
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let appends = all.len() as f64;
    Row {
        backend,
        case: if batch == 1 {
            format!("{writers} writers, single records")
        } else {
            format!("{writers} writers, batches of {batch}")
        },
        records_per_s: appends * batch as f64 / elapsed,
        appends_per_s: appends / elapsed,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
    }
}

/// The ceiling: the same rows straight into SQLite, 1,000 to a transaction.
fn raw_sqlite(secs: f64) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.execute_batch(include_str!("../migrations/sqlite/0001_init.sql"))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n: u64 = 0;
    let mut lat = Vec::new();
    let child = Uuid::new_v4().to_string();
    while Instant::now() < deadline {
        let t = Instant::now();
        let tx = c.unchecked_transaction().unwrap();
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO events (child_id, sequence, event_id, event_type, event_version, occurred_at, recorded_at, \
                     recorded_by, agency, token_id, data, prev_hash, hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                )
                .unwrap();
            for _ in 0..1000 {
                n += 1;
                let e = event(n);
                let now = store::chain::format_time(Utc::now());
                stmt.execute(rusqlite::params![
                    child,
                    n as i64,
                    e.event_id.to_string(),
                    e.event_type,
                    1,
                    now,
                    now,
                    e.recorded_by.to_string(),
                    e.agency,
                    e.token_id.map(|t| t.to_string()),
                    e.data.to_string(),
                    store::chain::GENESIS,
                    store::chain::GENESIS
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
        lat.push(t.elapsed());
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort();
    Row {
        backend: "raw rusqlite",
        case: "1 writer, 1,000 rows a transaction".into(),
        records_per_s: n as f64 / elapsed,
        appends_per_s: lat.len() as f64 / elapsed,
        p50_ms: percentile(&lat, 0.5),
        p99_ms: percentile(&lat, 0.99),
    }
}

async fn suite(store: Arc<dyn EventStore>, backend: &'static str, secs: f64, rows: &mut Vec<Row>) {
    for writers in [1, 16, 64, 256] {
        rows.push(run(store.clone(), backend, writers, 1, secs).await);
    }
    for batch in [10, 100] {
        rows.push(run(store.clone(), backend, 16, batch, secs).await);
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would pass nothing useful. Ignore args.
    let secs: f64 = std::env::var("CASELINE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let mut rows = Vec::new();
    rows.push(raw_sqlite(secs));
    let dir = tempfile::tempdir().unwrap();
    let sqlite = store::open(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ))
    .await
    .unwrap();
    suite(sqlite, "sqlite", secs, &mut rows).await;

    let pg = std::env::var("CASELINE_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("CASELINE_TEST_POSTGRES_URL"))
        .ok();
    if let Some(admin) = pg {
        let name = format!("caseline_bench_{}", Uuid::new_v4().simple());
        let (c, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url: url::Url = admin.parse().unwrap();
        url.set_path(&format!("/{name}"));
        let store = store::open(url.as_str()).await.unwrap();
        suite(store, "postgres", secs, &mut rows).await;
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    } else {
        eprintln!(
            "PostgreSQL skipped: set CASELINE_BENCH_POSTGRES_URL or CASELINE_TEST_POSTGRES_URL"
        );
    }

    let ceiling = rows[0].records_per_s;
    println!("| backend | case | records/s | appends/s | p50 ms | p99 ms | % of raw ceiling |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for r in &rows {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0}% |",
            r.backend,
            r.case,
            r.records_per_s,
            r.appends_per_s,
            r.p50_ms,
            r.p99_ms,
            100.0 * r.records_per_s / ceiling
        );
    }
}
