//! Whether a store URL names a store that already exists, without creating anything: the
//! command line's administrative commands refuse a mistyped store rather than make an empty one
//! and report success on it.

use crate::{StoreError, StoreErrorKind, sqlite_path};

/// `Ok(true)` when the store exists: a SQLite file that is there; a PostgreSQL database that
/// holds Caseline's tables (an empty or unreachable one is not a store); any other backend is
/// taken to exist (its client reports when it cannot be reached).
pub async fn exists(url: &str) -> Result<bool, StoreError> {
    let scheme = url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "sqlite" => Ok(std::path::Path::new(sqlite_path(url)?).is_file()),
        "postgres" | "postgresql" => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .map_err(|e| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("postgres: connect: {}", crate::describe_error(&e)),
                    )
                })?;
            let task = tokio::spawn(connection);
            let row = client
                .query_one("SELECT to_regclass('events') IS NOT NULL", &[])
                .await
                .map_err(|e| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("postgres: {}", crate::describe_error(&e)),
                    )
                })?;
            drop(client);
            task.abort();
            Ok(row.get::<_, bool>(0))
        }
        _ => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_sqlite_file_does_not_exist_and_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo.db");
        let url = format!("sqlite://{}", path.display());
        assert!(!exists(&url).await.unwrap());
        assert!(!path.exists(), "nothing created");
        std::fs::write(&path, b"").unwrap();
        assert!(exists(&url).await.unwrap());
    }
}
