//! PostgreSQL's migration runner: applies [`crate::migrations::POSTGRES`] in order at connect
//! and checks the checksum of each one already applied ([`crate::migrations::plan`] decides).
//!
//! Everything happens in one transaction holding an advisory lock, so two processes starting
//! together do not race, and a refused (changed) migration leaves the database as it was.

use super::unavailable;
use crate::StoreError;
use crate::migrations::{self, Step};

/// The advisory lock migrations hold, so two processes starting at once do not race.
const MIGRATE_LOCK: i64 = 0x4341_5345_4d49_4752;

pub(super) async fn migrate(client: &mut deadpool_postgres::Object) -> Result<(), StoreError> {
    let failed = |e| unavailable("migrate", e);
    let tx = client.transaction().await.map_err(failed)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await
        .map_err(failed)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), checksum TEXT)",
    )
    .await
    .map_err(failed)?;
    // Stores migrated before checksums were kept have the table without the column. Looked up
    // first rather than `ADD COLUMN IF NOT EXISTS` on every start, which PostgreSQL refuses to
    // a role that does not own the table even when the column is there.
    let has_checksum: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum')",
            &[],
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(failed)?;
    if !has_checksum {
        tx.batch_execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
            .await
            .map_err(failed)?;
    }
    for migration in migrations::POSTGRES {
        let row = tx
            .query_opt(
                "SELECT checksum FROM schema_migrations WHERE name = $1",
                &[&migration.name],
            )
            .await
            .map_err(failed)?;
        let recorded: Option<Option<String>> = match row {
            Some(r) => Some(r.try_get(0).map_err(failed)?),
            None => None,
        };
        let recorded = recorded.as_ref().map(|c| c.as_deref());
        match migrations::plan("postgres", migration, recorded)? {
            Step::Done => {}
            Step::Apply { checksum } => {
                tx.batch_execute(migration.sql)
                    .await
                    .map_err(|e| unavailable(&format!("migration {}", migration.name), e))?;
                tx.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    &[&migration.name, &checksum],
                )
                .await
                .map_err(failed)?;
            }
            Step::RecordChecksum { checksum } => {
                tx.execute(
                    "UPDATE schema_migrations SET checksum = $2 WHERE name = $1",
                    &[&migration.name, &checksum],
                )
                .await
                .map_err(failed)?;
            }
        }
    }
    tx.commit().await.map_err(failed)
}
