//! Test support shared by the store's integration tests: fresh stores on every backend, and
//! small builders for appends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;
use store::{AppendRequest, EventStore, Expected, IdempotencyKey, NewEvent};
use uuid::Uuid;

/// A store and whatever must outlive it (a temp folder, a database to drop).
pub(crate) struct Fresh {
    pub store: Arc<dyn EventStore>,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_db: Option<(String, String)>,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_db.take() {
            // Best effort: a database left behind by a failed test is harmless and named so.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok((c, conn)) =
                        tokio_postgres::connect(&admin, tokio_postgres::NoTls).await
                    {
                        tokio::spawn(conn);
                        let _ = c
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

pub(crate) async fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caseline.db").display());
    let store = store::open(&url).await.unwrap();
    Fresh {
        store,
        url,
        _dir: Some(dir),
        drop_db: None,
    }
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
    if url.is_none() && in_ci() {
        panic!(
            "CI is set but CASELINE_TEST_POSTGRES_URL is not: under CI the PostgreSQL tests must run, \
             so set CASELINE_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB (or unset CI to skip them locally)"
        );
    }
    url
}

/// Whether the tests run under CI: `CI` set to anything but empty, `0` or `false`.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// A fresh database on the test server, dropped afterwards.
pub(crate) async fn create_postgres_database() -> Option<(String, String, String)> {
    let admin = postgres_admin_url()?;
    let name = format!("caseline_test_{}", Uuid::new_v4().simple());
    let (c, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut cfg: url::Url = admin.parse().unwrap();
    cfg.set_path(&format!("/{name}"));
    Some((admin, name, cfg.to_string()))
}

pub(crate) async fn postgres() -> Option<Fresh> {
    let (admin, name, url) = create_postgres_database().await?;
    let store = store::open(&url).await.unwrap();
    Some(Fresh {
        store,
        url,
        _dir: None,
        drop_db: Some((admin, name)),
    })
}

/// Reuses a database already created (for reopening after a crash).
pub(crate) fn postgres_fresh_for(
    admin: String,
    name: String,
    url: String,
    store: Arc<dyn EventStore>,
) -> Fresh {
    Fresh {
        store,
        url,
        _dir: None,
        drop_db: Some((admin, name)),
    }
}

pub(crate) fn event(n: u64) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "conversation_recorded".into(),
        event_version: 1,
        occurred_at: Utc::now() - chrono::Duration::hours(1),
        recorded_by: json!({ "name": "A Teacher", "role": "designated_safeguarding_lead", "agency": "school:norwich-high" }),
        agency: "school:norwich-high".into(),
        token_id: Some(Uuid::new_v4()),
        data: json!({ "n": n, "worries": ["hungry"], "nested": { "b": 1, "a": [1, 2.5, "x"] } }),
    }
}

pub(crate) fn append(child: Uuid, expected: Expected, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest {
        child_id: child,
        expected,
        events,
        idempotency: None,
        claims: vec![],
    }
}

pub(crate) fn key(agency: &str, key: &str, hash: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey {
        agency: agency.into(),
        key: key.into(),
        request_hash: hash.into(),
    })
}
