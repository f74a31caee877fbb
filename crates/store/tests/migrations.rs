//! Migration checksums: a store refuses to open when a migration it already applied has
//! changed, names that migration, and is left as it was; a store migrated before checksums
//! were kept gets them recorded on its next open. SQLite always; PostgreSQL when
//! `CASELINE_TEST_POSTGRES_URL` is set.
//!
//! An edited migration file cannot be compiled into the test binary, so the tests change the
//! recorded checksum instead: to the store the two are the same disagreement.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use store::{Expected, StoreErrorKind};
use support::{append, event};
use uuid::Uuid;

const EDITED: &str = "0002_snapshots";

fn sqlite_path(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
}

fn sqlite_checksums(url: &str) -> Vec<(String, Option<String>)> {
    let c = rusqlite::Connection::open(sqlite_path(url)).unwrap();
    let mut st = c
        .prepare("SELECT name, checksum FROM schema_migrations ORDER BY name")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn sqlite_exec(url: &str, sql: &str) {
    rusqlite::Connection::open(sqlite_path(url))
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

async fn postgres_client(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c
}

async fn postgres_checksums(url: &str) -> Vec<(String, Option<String>)> {
    postgres_client(url)
        .await
        .query(
            "SELECT name, checksum FROM schema_migrations ORDER BY name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Every migration is recorded with a checksum: 64 hex characters.
fn all_recorded(checksums: &[(String, Option<String>)]) {
    assert!(checksums.len() >= 4, "{checksums:?}");
    for (name, c) in checksums {
        let c = c
            .as_deref()
            .unwrap_or_else(|| panic!("{name} has no checksum"));
        assert!(
            c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}: {c}"
        );
    }
}

/// The error `store::open` gives, which must name the changed migration.
async fn refused(url: &str) {
    let Err(err) = store::open(url).await else {
        panic!("a store whose applied migration changed must not open");
    };
    assert_eq!(
        err.kind(),
        &StoreErrorKind::MigrationChanged {
            name: EDITED.into()
        },
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("migration {EDITED} was changed")),
        "{message}"
    );
}

#[tokio::test]
async fn sqlite_records_a_checksum_per_migration() {
    let fresh = support::sqlite().await;
    all_recorded(&sqlite_checksums(&fresh.url));
    // Opening again checks and changes nothing.
    let before = sqlite_checksums(&fresh.url);
    drop(store::open(&fresh.url).await.unwrap());
    assert_eq!(sqlite_checksums(&fresh.url), before);
}

#[tokio::test]
async fn sqlite_a_changed_migration_is_refused_by_name() {
    let fresh = support::sqlite().await;
    let child = Uuid::new_v4();
    fresh
        .store
        .append(append(child, Expected::NoStream, vec![event(1)]))
        .await
        .unwrap();
    sqlite_exec(
        &fresh.url,
        &format!(
            "UPDATE schema_migrations SET checksum = '{}' WHERE name = '{EDITED}'",
            "0".repeat(64)
        ),
    );
    refused(&fresh.url).await;
    // Refusing wrote nothing: the recorded checksum is still the altered one.
    let recorded = sqlite_checksums(&fresh.url);
    let edited = recorded.iter().find(|(n, _)| n == EDITED).unwrap();
    assert_eq!(edited.1.as_deref(), Some("0".repeat(64).as_str()));
}

#[tokio::test]
async fn sqlite_a_store_from_before_checksums_gets_them() {
    let fresh = support::sqlite().await;
    let expected = sqlite_checksums(&fresh.url);
    // The table as earlier versions made it: no checksum column.
    sqlite_exec(
        &fresh.url,
        "ALTER TABLE schema_migrations DROP COLUMN checksum",
    );
    let store = store::open(&fresh.url).await.unwrap();
    assert_eq!(sqlite_checksums(&fresh.url), expected);
    store
        .append(append(Uuid::new_v4(), Expected::NoStream, vec![event(1)]))
        .await
        .unwrap();
}

/// Migration 0005 moves a read model's rows from the WITHOUT ROWID table of 0003 to an
/// ordinary one: a store saved before it keeps every row and its position, and saves and
/// removes rows as before afterwards.
#[tokio::test]
async fn sqlite_read_model_rows_saved_before_0005_are_kept() {
    let fresh = support::sqlite().await;
    let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
    // A row of a few KB, as a child's facts are, and small ones.
    let (big, small) = (vec![7u8; 6000], vec![1u8, 2, 3]);
    // The table as 0003 made it, holding the rows, and the store as it was before 0005.
    sqlite_exec(
        &fresh.url,
        &format!(
            "DROP TABLE read_model_rows;
             CREATE TABLE read_model_rows (name TEXT NOT NULL, child_id TEXT NOT NULL, \
               data BLOB NOT NULL, PRIMARY KEY (name, child_id)) WITHOUT ROWID;
             INSERT INTO read_model_rows VALUES ('across', '{b}', x'{}'), ('across', '{a}', x'010203');
             INSERT INTO read_models VALUES ('across', 41, '2026-11-30T00:00:00Z');
             DELETE FROM schema_migrations WHERE name = '0005_read_model_rows_by_rowid';",
            "07".repeat(6000)
        ),
    );
    let store = store::open(&fresh.url).await.unwrap();
    assert_eq!(
        store.load_read_model("across").await.unwrap(),
        (41, vec![(a, small.clone()), (b, big.clone())])
    );
    all_recorded(&sqlite_checksums(&fresh.url));
    store
        .save_read_model(
            "across",
            42,
            vec![(c, small.clone()), (a, big.clone())],
            vec![b],
        )
        .await
        .unwrap();
    assert_eq!(
        store.load_read_model("across").await.unwrap(),
        (42, vec![(a, big), (c, small)])
    );
}

#[tokio::test]
async fn postgres_records_a_checksum_per_migration() {
    let Some(fresh) = support::postgres().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    let before = postgres_checksums(&fresh.url).await;
    all_recorded(&before);
    drop(store::open(&fresh.url).await.unwrap());
    assert_eq!(postgres_checksums(&fresh.url).await, before);
}

#[tokio::test]
async fn postgres_a_changed_migration_is_refused_by_name() {
    let Some(fresh) = support::postgres().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    fresh
        .store
        .append(append(Uuid::new_v4(), Expected::NoStream, vec![event(1)]))
        .await
        .unwrap();
    postgres_client(&fresh.url)
        .await
        .execute(
            "UPDATE schema_migrations SET checksum = $1 WHERE name = $2",
            &[&"0".repeat(64), &EDITED],
        )
        .await
        .unwrap();
    refused(&fresh.url).await;
    let recorded = postgres_checksums(&fresh.url).await;
    let edited = recorded.iter().find(|(n, _)| n == EDITED).unwrap();
    assert_eq!(edited.1.as_deref(), Some("0".repeat(64).as_str()));
}

#[tokio::test]
async fn postgres_a_store_from_before_checksums_gets_them() {
    let Some(fresh) = support::postgres().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    let expected = postgres_checksums(&fresh.url).await;
    postgres_client(&fresh.url)
        .await
        .batch_execute("ALTER TABLE schema_migrations DROP COLUMN checksum")
        .await
        .unwrap();
    let store = store::open(&fresh.url).await.unwrap();
    assert_eq!(postgres_checksums(&fresh.url).await, expected);
    store
        .append(append(Uuid::new_v4(), Expected::NoStream, vec![event(1)]))
        .await
        .unwrap();
}
