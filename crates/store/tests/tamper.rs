//! Tampering behind the store's back: altering, deleting or swapping an event's row with raw
//! SQL makes `verify` name the child and the record. SQLite always; PostgreSQL when
//! `CASELINE_TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use store::{EventStore, Expected, Verification};
use support::{append, event};
use uuid::Uuid;

/// Two children with three events each; returns the child that will be tampered with.
async fn seed(s: &Arc<dyn EventStore>) -> (Uuid, Vec<Uuid>) {
    let victim = Uuid::new_v4();
    let a = s
        .append(append(
            victim,
            Expected::Any,
            vec![event(1), event(2), event(3)],
        ))
        .await
        .unwrap();
    s.append(append(
        Uuid::new_v4(),
        Expected::Any,
        vec![event(1), event(2), event(3)],
    ))
    .await
    .unwrap();
    (victim, a.events.iter().map(|e| e.event_id).collect())
}

fn only_victim_named(v: &Verification, victim: Uuid, sequence: u64) {
    assert_eq!(
        v.broken.len(),
        1,
        "exactly the tampered child is reported: {:?}",
        v.broken
    );
    assert_eq!(v.broken[0].child_id, victim);
    assert_eq!(v.broken[0].sequence, sequence, "{:?}", v.broken[0]);
}

fn sqlite_exec(url: &str, sql: &str) {
    let path = url.trim_start_matches("sqlite://");
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(sql).unwrap();
}

async fn postgres_exec(url: &str, sql: &str) {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c.batch_execute(sql).await.unwrap();
}

#[tokio::test]
async fn sqlite_altered_deleted_and_swapped_rows_are_named() {
    for (sql, seq) in [
        (
            "UPDATE events SET data = '{\"n\":99}' WHERE event_id = '{e2}'",
            2,
        ),
        ("DELETE FROM events WHERE event_id = '{e2}'", 2),
        (
            "UPDATE events SET sequence = -1 WHERE event_id = '{e2}'; \
             UPDATE events SET sequence = 2 WHERE event_id = '{e3}'; \
             UPDATE events SET sequence = 3 WHERE event_id = '{e2}'",
            2,
        ),
        (
            "UPDATE events SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE event_id = '{e3}'",
            3,
        ),
    ] {
        let fresh = support::sqlite().await;
        let (victim, ids) = seed(&fresh.store).await;
        let sql = sql
            .replace("{e2}", &ids[1].to_string())
            .replace("{e3}", &ids[2].to_string());
        sqlite_exec(&fresh.url, &sql);
        let v = fresh.store.verify(None).await.unwrap();
        only_victim_named(&v, victim, seq);
    }
}

#[tokio::test]
async fn postgres_altered_deleted_and_swapped_rows_are_named() {
    if support::postgres_admin_url().is_none() {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    }
    for (sql, seq) in [
        (
            "UPDATE events SET data = '{\"n\":99}' WHERE event_id = '{e2}'",
            2,
        ),
        ("DELETE FROM events WHERE event_id = '{e2}'", 2),
        (
            "UPDATE events SET sequence = -1 WHERE event_id = '{e2}'; \
             UPDATE events SET sequence = 2 WHERE event_id = '{e3}'; \
             UPDATE events SET sequence = 3 WHERE event_id = '{e2}'",
            2,
        ),
        (
            "UPDATE events SET agency = 'police:elsewhere' WHERE event_id = '{e3}'",
            3,
        ),
    ] {
        let fresh = support::postgres().await.unwrap();
        let (victim, ids) = seed(&fresh.store).await;
        let sql = sql
            .replace("{e2}", &ids[1].to_string())
            .replace("{e3}", &ids[2].to_string());
        postgres_exec(&fresh.url, &sql).await;
        let v = fresh.store.verify(None).await.unwrap();
        only_victim_named(&v, victim, seq);
    }
}
