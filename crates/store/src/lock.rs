//! Who may write a store wholesale: a running server holds a shared lock on its store for as
//! long as it serves, and a command that writes a store behind a server's back (`caseline
//! generate`) takes the lock exclusively or refuses. Several servers may share a PostgreSQL
//! store; none may share it with the generator.
//!
//! - SQLite: an advisory `flock` on `<db>.lock` beside the database file. The kernel drops it
//!   when the process ends, however it ends, so a crashed server never leaves a stale lock.
//! - PostgreSQL: a session advisory lock ([`SERVER_LOCK`]) on a connection of its own, held
//!   open while the lock is; PostgreSQL drops it when that connection closes.
//! - KurrentDB: no lock (the backend has none to offer); the operator keeps the generator away
//!   from a served store.
//!
//! This module does not stop an ordinary append, a read or an import: those go through the
//! store's own transactions and are safe beside a server.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use crate::{StoreError, StoreErrorKind, sqlite_path};

/// The PostgreSQL advisory lock key servers hold shared ("CL-SERVE" as bytes).
pub const SERVER_LOCK: i64 = 0x434C_2D53_4552_5645;

/// A held lock; dropping it lets go.
pub struct StoreLock {
    _held: Held,
}

enum Held {
    // Held for its lock, which closing the file releases.
    File(#[allow(dead_code)] File),
    Postgres {
        _client: tokio_postgres::Client,
        connection: tokio::task::JoinHandle<()>,
    },
    Nothing,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let Held::Postgres { connection, .. } = &self._held {
            // Closing the connection is what releases a session lock.
            connection.abort();
        }
    }
}

/// How the lock is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// A server: others may serve the same store too.
    Serving,
    /// A wholesale writer: nobody may serve meanwhile.
    Exclusive,
}

/// The file the lock of a SQLite store is taken on: `<db>.lock`.
pub fn sqlite_lock_file(url: &str) -> Result<PathBuf, StoreError> {
    Ok(PathBuf::from(format!("{}.lock", sqlite_path(url)?)))
}

fn held_elsewhere(mode: LockMode) -> StoreError {
    let why = match mode {
        LockMode::Serving => {
            "another command (caseline generate) is writing this store wholesale; start the server once it has finished"
        }
        LockMode::Exclusive => {
            "a server (caseline serve) is running on this store; stop it first, or write through its API"
        }
    };
    StoreError::new(StoreErrorKind::Locked, why)
}

/// Takes the lock of the store `url` names, without waiting: a [`StoreErrorKind::Locked`]
/// error when it is held in a way that excludes `mode`.
pub async fn lock(url: &str, mode: LockMode) -> Result<StoreLock, StoreError> {
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    let held = match scheme.as_str() {
        "sqlite" => {
            let path = sqlite_lock_file(url)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("creating {}: {e}", dir.display()),
                    )
                })?;
            }
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("opening the lock file {}: {e}", path.display()),
                    )
                })?;
            let taken = match mode {
                LockMode::Serving => file.try_lock_shared(),
                LockMode::Exclusive => file.try_lock(),
            };
            match taken {
                Ok(()) => Held::File(file),
                Err(TryLockError::WouldBlock) => return Err(held_elsewhere(mode)),
                Err(TryLockError::Error(e)) => {
                    return Err(StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("locking {}: {e}", path.display()),
                    ));
                }
            }
        }
        "postgres" | "postgresql" => {
            let unavailable = |e: tokio_postgres::Error| {
                StoreError::new(
                    StoreErrorKind::Unavailable,
                    format!("postgres: {}", crate::describe_error(&e)),
                )
            };
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .map_err(unavailable)?;
            let connection = tokio::spawn(async move {
                let _ = connection.await;
            });
            let sql = match mode {
                LockMode::Serving => "SELECT pg_try_advisory_lock_shared($1)",
                LockMode::Exclusive => "SELECT pg_try_advisory_lock($1)",
            };
            let taken: bool = client
                .query_one(sql, &[&SERVER_LOCK])
                .await
                .and_then(|r| r.try_get(0))
                .map_err(unavailable)?;
            if !taken {
                connection.abort();
                return Err(held_elsewhere(mode));
            }
            Held::Postgres {
                _client: client,
                connection,
            }
        }
        _ => Held::Nothing,
    };
    Ok(StoreLock { _held: held })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_keeps_the_generator_out_and_the_generator_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("caseline.db").display());
        let serving = lock(&url, LockMode::Serving).await.unwrap();
        let again = lock(&url, LockMode::Serving).await;
        assert!(again.is_ok(), "servers share");
        let err = lock(&url, LockMode::Exclusive).await.err().unwrap();
        assert_eq!(err.kind(), &StoreErrorKind::Locked);
        drop((serving, again));
        let exclusive = lock(&url, LockMode::Exclusive).await.unwrap();
        let err = lock(&url, LockMode::Serving).await.err().unwrap();
        assert_eq!(err.kind(), &StoreErrorKind::Locked);
        drop(exclusive);
        assert!(lock(&url, LockMode::Serving).await.is_ok());
    }
}
