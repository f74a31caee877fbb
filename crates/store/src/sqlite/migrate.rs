//! SQLite's migration runner: applies [`crate::migrations::SQLITE`] in order at open and checks
//! the checksum of each one already applied ([`crate::migrations::plan`] decides).
//!
//! Everything happens in one `BEGIN IMMEDIATE` transaction, which takes the database's write
//! lock, so two processes opening one file together do not both apply a migration, and a
//! refused (changed) migration leaves the store exactly as it was.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::unavailable;
use crate::StoreError;
use crate::chain::format_time;
use crate::migrations::{self, Step};

pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let failed = |e| unavailable("migrate", e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL, checksum TEXT)",
    )
    .map_err(failed)?;
    // Stores migrated before checksums were kept have the table without the column.
    let has_checksum: bool = tx
        .query_row(
            "SELECT count(*) > 0 FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'",
            [],
            |r| r.get(0),
        )
        .map_err(failed)?;
    if !has_checksum {
        tx.execute_batch("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
            .map_err(failed)?;
    }
    for migration in migrations::SQLITE {
        let recorded: Option<Option<String>> = tx
            .query_row(
                "SELECT checksum FROM schema_migrations WHERE name = ?1",
                [migration.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(failed)?;
        let recorded = recorded.as_ref().map(|c| c.as_deref());
        match migrations::plan("sqlite", migration, recorded)? {
            Step::Done => {}
            Step::Apply { checksum } => {
                tx.execute_batch(migration.sql)
                    .map_err(|e| unavailable(&format!("migration {}", migration.name), e))?;
                tx.execute(
                    "INSERT INTO schema_migrations (name, applied_at, checksum) VALUES (?1, ?2, ?3)",
                    params![migration.name, format_time(Utc::now()), checksum],
                )
                .map_err(failed)?;
            }
            Step::RecordChecksum { checksum } => {
                tx.execute(
                    "UPDATE schema_migrations SET checksum = ?2 WHERE name = ?1",
                    params![migration.name, checksum],
                )
                .map_err(failed)?;
            }
        }
    }
    tx.commit().map_err(failed)
}
