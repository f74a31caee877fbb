//! The crash test: a child process appends from many tasks and is killed with SIGKILL at a
//! random moment, several times over. After each kill the store is reopened and must hold every
//! append that had been acknowledged, no half batch, no duplicate when the same idempotency keys
//! are retried, and chains that verify. SQLite always; PostgreSQL when
//! `CASELINE_TEST_POSTGRES_URL` is set.
//!
//! The writer is this same test binary, re-run with `CASELINE_CRASH_WRITER` set; it prints one
//! `ACK` line per acknowledged append.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use store::{AppendRequest, EventStore, Expected, IdempotencyKey};
use support::event;
use uuid::Uuid;

const TASKS: usize = 24;
const ROUNDS: usize = 4;

fn request(round: usize, task: usize, n: usize) -> (String, AppendRequest) {
    let key = format!("r{round}-t{task}-n{n}");
    let size = 1 + (task + n) % 3;
    let child = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("r{round}-t{task}").as_bytes());
    let events = (0..size)
        .map(|i| {
            let mut e = event(i as u64);
            e.data = json!({ "batch": key, "size": size, "i": i });
            e
        })
        .collect();
    let req = AppendRequest {
        child_id: child,
        expected: Expected::Any,
        events,
        idempotency: Some(IdempotencyKey {
            agency: "school:crash".into(),
            key: key.clone(),
            request_hash: format!("hash-of-{key}"),
        }),
        claims: vec![],
    };
    (key, req)
}

/// The writer's side: append until killed, acknowledging each append on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_writer_entry() {
    let (Ok(url), Ok(round)) = (
        std::env::var("CASELINE_CRASH_WRITER"),
        std::env::var("CASELINE_CRASH_ROUND"),
    ) else {
        return; // Not the writer: the parent tests below drive it.
    };
    let round: usize = round.parse().unwrap();
    let store = store::open(&url).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let (key, req) = request(round, task, n);
                let a = store.append(req).await.unwrap();
                let ids: Vec<String> = a.events.iter().map(|e| e.event_id.to_string()).collect();
                // One write per line so a kill cannot interleave two acknowledgements.
                println!("ACK {key} {}", ids.join(","));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

fn kill_after_random_time(url: &str, round: usize) -> BTreeMap<String, Vec<String>> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_writer_entry",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("CASELINE_CRASH_WRITER", url)
        .env("CASELINE_CRASH_ROUND", round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        let mut acked = BTreeMap::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some((key, ids)) = line
                .strip_prefix("ACK ")
                .and_then(|rest| rest.split_once(' '))
            {
                acked.insert(key.to_owned(), ids.split(',').map(str::to_owned).collect());
            }
        }
        acked
    });
    // Let it get going, then kill it at a moment of its own choosing (not ours).
    let millis = 300 + (Uuid::new_v4().as_u128() % 900) as u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(millis) {
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    lines.join().unwrap()
}

/// Ends every session left on the test database (the killed writer's) and waits until none is
/// left. PostgreSQL carries out what a session has received whether or not its client is still
/// there, so a group the writer sent just before it was killed could otherwise commit after the
/// counts are taken (seen once in CI, on a busy machine: 37 events more at the end than after
/// the retries); once its session has ended, it has landed or never will.
async fn end_sessions(admin: &str, name: &str) {
    let (c, conn) = tokio_postgres::connect(admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: i64 = c
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{left} sessions on {name} would not end"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn check_after_crash(
    store: &std::sync::Arc<dyn EventStore>,
    round: usize,
    acked: &BTreeMap<String, Vec<String>>,
) {
    // A killed writer's last transaction may still be committing on the server (PostgreSQL
    // finishes a COMMIT it has received even when the client is gone): unacknowledged, so it may
    // land or not, but it must land before the counts below are taken.
    let mut all = store.read_all(0, 1_000_000).await.unwrap();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let again = store.read_all(0, 1_000_000).await.unwrap();
        if again.len() == all.len() {
            break;
        }
        all = again;
    }
    // Every acknowledged append is there.
    let present: std::collections::BTreeSet<String> =
        all.iter().map(|e| e.event_id.to_string()).collect();
    for (key, ids) in acked {
        for id in ids {
            assert!(
                present.contains(id),
                "acknowledged append {key} lost event {id}"
            );
        }
    }
    // No half batch.
    let mut batches: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for e in &all {
        let key = e.data["batch"].as_str().unwrap().to_owned();
        let size = e.data["size"].as_u64().unwrap();
        let entry = batches.entry(key).or_insert((size, 0));
        entry.1 += 1;
    }
    for (key, (size, count)) in &batches {
        assert_eq!(size, count, "batch {key} is only partly stored");
    }
    // Retrying acknowledged keys records nothing new.
    let before = all.len();
    for task in 0..TASKS {
        for n in 0.. {
            let (key, req) = request(round, task, n);
            let Some(ids) = acked.get(&key) else { break };
            let again = store.append(req).await.unwrap();
            assert!(again.replayed, "retry of {key} wrote anew");
            let again_ids: Vec<String> = again
                .events
                .iter()
                .map(|e| e.event_id.to_string())
                .collect();
            assert_eq!(&again_ids, ids);
        }
    }
    assert_eq!(store.read_all(0, 1_000_000).await.unwrap().len(), before);
    let v = store.verify(None).await.unwrap();
    assert!(v.broken.is_empty(), "{:?}", v.broken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill() {
    if std::env::var("CASELINE_CRASH_WRITER").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let mut total = 0;
    for round in 0..ROUNDS {
        let acked = kill_after_random_time(&url, round);
        total += acked.len();
        let store = store::open(&url).await.unwrap();
        check_after_crash(&store, round, &acked).await;
    }
    assert!(
        total > 0,
        "the writer acknowledged nothing before it was killed"
    );
    eprintln!("sqlite crash test: {total} acknowledged appends over {ROUNDS} kills, all present");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_sigkill() {
    if std::env::var("CASELINE_CRASH_WRITER").is_ok() {
        return;
    }
    let Some((admin, name, url)) = support::create_postgres_database().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    let mut total = 0;
    for round in 0..ROUNDS {
        let acked = kill_after_random_time(&url, round);
        total += acked.len();
        end_sessions(&admin, &name).await;
        let store = store::open(&url).await.unwrap();
        check_after_crash(&store, round, &acked).await;
    }
    let _cleanup =
        support::postgres_fresh_for(admin, name, url.clone(), store::open(&url).await.unwrap());
    assert!(
        total > 0,
        "the writer acknowledged nothing before it was killed"
    );
    eprintln!("postgres crash test: {total} acknowledged appends over {ROUNDS} kills, all present");
}
