//! The token checks made on the asking thread (`EventStore::token_here`), answered from what
//! was read since the database last changed.
//!
//! Every request's token is looked up after the request arrived, so that a revocation takes
//! effect at once, from any process on the file. Read from the store every time, that lookup
//! was about a twentieth of the server's CPU under single records: a read transaction, the
//! `tokens` index, seven columns turned into a `TokenRecord` (docs/BENCHMARKS.md, twentieth
//! round). Here one connection keeps the tokens it has read, and before answering from them
//! asks SQLite's `PRAGMA data_version`, which changes on this connection whenever any other
//! connection (the writer, another process) has committed since it last asked; that pragma
//! opens a read transaction of its own, so it sees every commit made before the request
//! arrived. A change forgets everything read. Under load the writer commits hundreds of times
//! a second and the requests between two commits share one read; a token revoked (or created)
//! anywhere is a commit, so no answer outlives it.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::{StoreError, TokenRecord};

/// At most this many tokens (or unknown secrets) are remembered between two commits; past it,
/// everything is forgotten, so a flood of unknown secrets on a quiet store cannot grow it.
const REMEMBERED: usize = 1024;

pub(super) struct TokenReads {
    conn: Connection,
    /// `PRAGMA data_version` when `known` was last emptied.
    version: Option<i64>,
    /// What the store held for each secret hash asked since then (`None`: no such token).
    known: HashMap<String, Option<TokenRecord>>,
}

impl TokenReads {
    pub(super) fn new(conn: Connection) -> TokenReads {
        TokenReads {
            conn,
            version: None,
            known: HashMap::new(),
        }
    }

    /// The token with this secret hash as the store holds it now; `read` reads it when it is
    /// not known since the last commit.
    pub(super) fn token(
        &mut self,
        secret_hash: &str,
        read: impl FnOnce(&Connection, &str) -> Result<Option<TokenRecord>, StoreError>,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let version = self
            .conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .map_err(|e| super::unavailable("read the data version", e))?;
        if self.version != Some(version) || self.known.len() >= REMEMBERED {
            self.known.clear();
            self.version = Some(version);
        }
        if let Some(known) = self.known.get(secret_hash) {
            return Ok(known.clone());
        }
        // Read after the version: a commit between the two is seen by the read, and changes
        // the version the next check finds, so it is never answered from stale.
        let found = read(&self.conn, secret_hash)?;
        self.known.insert(secret_hash.to_owned(), found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn token(hash: &str) -> TokenRecord {
        TokenRecord {
            id: Uuid::nil(),
            agency: "school:a".into(),
            role: "recorder".into(),
            name: "t".into(),
            secret_hash: hash.into(),
            created_at: Utc::now(),
            revoked_at: None,
        }
    }

    fn store() -> (tempfile::TempDir, Connection, TokenReads) {
        let (dir, writer, other) = crate::sqlite::two_connections();
        (dir, writer, TokenReads::new(other))
    }

    #[test]
    fn a_token_is_read_once_between_commits() {
        let (_dir, _writer, mut reads) = store();
        let mut asked = 0;
        for _ in 0..3 {
            let found = reads
                .token("h", |_, h| {
                    asked += 1;
                    Ok(Some(token(h)))
                })
                .unwrap();
            assert_eq!(found.map(|t| t.secret_hash), Some("h".to_owned()));
        }
        assert_eq!(asked, 1);
    }

    #[test]
    fn any_commit_elsewhere_forgets_what_was_read() {
        let (_dir, writer, mut reads) = store();
        reads.token("h", |_, h| Ok(Some(token(h)))).unwrap();
        // Another connection commits (a revocation, a new token, or any append).
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let revoked = reads
            .token("h", |_, h| {
                Ok(Some(TokenRecord {
                    revoked_at: Some(Utc::now()),
                    ..token(h)
                }))
            })
            .unwrap();
        assert!(revoked.unwrap().revoked_at.is_some(), "read again");
    }

    #[test]
    fn an_unknown_secret_is_remembered_as_unknown_until_a_commit() {
        let (_dir, writer, mut reads) = store();
        assert!(reads.token("nope", |_, _| Ok(None)).unwrap().is_none());
        let again = reads.token("nope", |_, h| Ok(Some(token(h)))).unwrap();
        assert!(
            again.is_none(),
            "no commit since: answered from what was read"
        );
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let created = reads.token("nope", |_, h| Ok(Some(token(h)))).unwrap();
        assert!(created.is_some(), "a token created since is found");
    }

    #[test]
    fn at_most_so_many_are_remembered() {
        let (_dir, _writer, mut reads) = store();
        for i in 0..REMEMBERED + 10 {
            reads.token(&format!("h{i}"), |_, _| Ok(None)).unwrap();
        }
        assert!(reads.known.len() <= REMEMBERED);
    }
}
