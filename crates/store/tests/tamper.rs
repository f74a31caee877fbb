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

/// What a store holding one unreadable row must still do: serve every other event (a page of
/// `read_all` is filled from beyond the bad row, so a reader paging one at a time still sees
/// them all) and have `verify` name the row and what is wrong with it.
async fn one_unreadable_row_is_named_and_passed_over(
    s: &Arc<dyn EventStore>,
    victim: Uuid,
    bad: Uuid,
    what: &str,
) {
    let all = s.read_all(0, 100).await.unwrap();
    assert_eq!(all.len(), 5, "every other event is served");
    assert!(all.iter().all(|e| e.event_id != bad));
    let mut paged = Vec::new();
    let mut after = 0;
    while let Some(e) = s.read_all(after, 1).await.unwrap().pop() {
        after = e.global_position;
        paged.push(e.event_id);
    }
    assert_eq!(
        paged.len(),
        5,
        "paging one at a time passes over the bad row"
    );
    assert_eq!(s.read_stream(victim, 0, 100).await.unwrap().len(), 2);
    let mut sequences = Vec::new();
    let mut after = 0;
    while let Some(e) = s.read_stream(victim, after, 1).await.unwrap().pop() {
        after = e.sequence;
        sequences.push(e.sequence);
    }
    assert_eq!(
        sequences,
        vec![1, 3],
        "a child's stream paged one at a time, too"
    );
    let v = s.verify(None).await.unwrap();
    only_victim_named(&v, victim, 2);
    assert_eq!(v.broken[0].event_id, Some(bad));
    assert!(
        v.broken[0].problem.contains("unreadable") && v.broken[0].problem.contains(what),
        "{:?}",
        v.broken[0]
    );
    assert_eq!(v.events, 6, "the unreadable row is counted");
}

#[tokio::test]
async fn sqlite_an_unreadable_time_is_named_and_the_rest_served() {
    let fresh = support::sqlite().await;
    let (victim, ids) = seed(&fresh.store).await;
    // What an older version could write: a year before 0001 in RFC 3339's extended form.
    sqlite_exec(
        &fresh.url,
        &format!(
            "UPDATE events SET occurred_at = '-0001-01-01T00:00:00Z' WHERE event_id = '{}'",
            ids[1]
        ),
    );
    one_unreadable_row_is_named_and_passed_over(&fresh.store, victim, ids[1], "-0001-01-01").await;
}

#[tokio::test]
async fn postgres_an_unreadable_time_is_named_and_the_rest_served() {
    let Some(fresh) = support::postgres().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    let (victim, ids) = seed(&fresh.store).await;
    // `infinity` is a timestamptz PostgreSQL keeps but no Rust time can hold.
    postgres_exec(
        &fresh.url,
        &format!(
            "UPDATE events SET occurred_at = 'infinity' WHERE event_id = '{}'",
            ids[1]
        ),
    )
    .await;
    one_unreadable_row_is_named_and_passed_over(&fresh.store, victim, ids[1], "occurred_at").await;
}

/// PostgreSQL keeps BC dates, and they read back (chrono counts 1 BC as year 0): such an event
/// is served as it is, and an import of it into any store is refused by name. Here the row was
/// altered behind the store's back, so `verify` also names it as altered.
#[tokio::test]
async fn postgres_a_bc_time_reads_back() {
    let Some(fresh) = support::postgres().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    let (victim, ids) = seed(&fresh.store).await;
    postgres_exec(
        &fresh.url,
        &format!(
            "UPDATE events SET occurred_at = '0001-12-31 00:00:00+00 BC' WHERE event_id = '{}'",
            ids[1]
        ),
    )
    .await;
    let stream = fresh.store.read_stream(victim, 0, 100).await.unwrap();
    assert_eq!(stream.len(), 3);
    use chrono::Datelike;
    assert_eq!(stream[1].occurred_at.year(), 0);
    only_victim_named(&fresh.store.verify(None).await.unwrap(), victim, 2);
    let target = support::sqlite().await;
    let err = target.store.import(stream).await.unwrap_err();
    assert!(
        matches!(err.kind(), store::StoreErrorKind::Unstorable { field } if field.contains("occurred_at")),
        "{err}"
    );
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
