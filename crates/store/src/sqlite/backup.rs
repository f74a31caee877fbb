//! SQLite's online backup: a consistent copy of a store that may be in use, written beside
//! the target and moved into place only once complete and checked.
//!
//! It copies what the record is; it does not restore, and it leaves out what belongs to the
//! running deployment rather than the record (browser sessions and sign-in links).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{corrupt, unavailable};
use crate::{StoreError, StoreErrorKind};

/// What [`backup`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupCopied {
    pub pages: u64,
    pub bytes: u64,
    /// Events in the copy.
    pub events: u64,
}

/// Copies the SQLite store at `source` into a new file at `target` while it may be in use:
/// SQLite's online backup, taken in one step so the copy is one consistent moment of the store.
/// In WAL mode that step is a read transaction, so a running server goes on appending
/// meanwhile. Everything is copied: events, idempotency answers, identifier claims, tokens (as
/// hashes), the read log, checkpoints and snapshots; people's browser sessions and sign-in links
/// are left out. (The pseudonym key is no longer kept in
/// the store; `caseline backup` removes one an older version left there from the copy.)
///
/// The copy is written beside `target` and renamed into place only once it is complete and
/// passes SQLite's `quick_check`, so a failed backup leaves no half file. Refuses to overwrite
/// `target` or to create a store where there was none.
pub fn backup(source: &Path, target: &Path) -> Result<BackupCopied, StoreError> {
    use rusqlite::OpenFlags;
    use rusqlite::backup::{Backup, StepResult};

    let config = |m: String| StoreError::new(StoreErrorKind::Config, m);
    if !source.is_file() {
        return Err(config(format!("there is no store at {}", source.display())));
    }
    if target.exists() {
        return Err(config(format!(
            "{} already exists: a backup never overwrites a file",
            target.display()
        )));
    }
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| unavailable("open the store to back up", e))?;
    from.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| unavailable("busy_timeout", e))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| unavailable("create the backup's folder", e))?;
    }
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);

    let copied = (|| {
        let mut to = Connection::open(&partial).map_err(|e| unavailable("create the backup", e))?;
        let pages = {
            let b = Backup::new(&from, &mut to).map_err(|e| unavailable("start the backup", e))?;
            loop {
                match b.step(-1).map_err(|e| unavailable("copy the store", e))? {
                    StepResult::Done => break,
                    // Another connection holds a lock for a moment: try again shortly.
                    StepResult::Busy | StepResult::Locked | StepResult::More => {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    // `StepResult` is non-exhaustive.
                    _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
            b.progress().pagecount.max(0) as u64
        };
        // Sessions and sign-in links belong to the running deployment, not to the record: a
        // restored copy must not bring back a session signed out since, or a link used since.
        for table in ["sessions", "signin_grants"] {
            let there: i64 = to
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .map_err(|e| unavailable("look for a table in the backup", e))?;
            if there > 0 {
                to.execute(&format!("DELETE FROM {table}"), [])
                    .map_err(|e| unavailable("leave sessions out of the backup", e))?;
            }
        }
        let check: String = to
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| unavailable("check the backup", e))?;
        if check != "ok" {
            return Err(corrupt(format!(
                "the backup failed SQLite's quick_check: {check}"
            )));
        }
        let events: i64 = to
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .map_err(|e| unavailable("count the backup's events", e))?;
        let page_size: i64 = to
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(|e| unavailable("read the page size", e))?;
        to.close()
            .map_err(|(_, e)| unavailable("close the backup", e))?;
        Ok(BackupCopied {
            pages,
            bytes: pages * page_size.max(0) as u64,
            events: events.max(0) as u64,
        })
    })();
    let copied = match copied {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, target).map_err(|e| unavailable("move the backup into place", e))?;
    Ok(copied)
}
