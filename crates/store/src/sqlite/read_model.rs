//! The read model's rows in SQLite, and a save written in pieces.
//!
//! A save of the read model ([`crate::EventStore::save_read_model`]) goes through the store's
//! one writer, whose transaction holds the database's only write lock. Written as one job, a
//! save of many large rows held every append behind it: on a county's store, 640 children of a
//! few hundred records each were 13 MB of rows and 50-100 ms of the writer every two seconds.
//! So a large save is written as several jobs of at most [`SAVE_PIECE_BYTES`] of rows each,
//! the appends that arrive meanwhile committed between them, and the position moves only with
//! the last ([`SaveInPieces`]).
//!
//! That is the same as one transaction, because:
//! - every piece is written only while the stored position is not beyond the save's, checked
//!   in its own transaction, so a row never replaces one saved for a later position (the rule
//!   [`crate::EventStore::save_read_model_rows`] keeps for a rebuild's rows);
//! - rows ahead of the stored position are safe: a restart catches up from that position and
//!   folds every child with events after it from its whole stream again;
//! - if anything else committed between the pieces (another process on the same file: a
//!   second server, `caseline rebuild`), SQLite's `data_version` says so, and the last job
//!   writes every row again, with the position, as a one-job save would have. `data_version`
//!   is the writer connection's own count, so a writer restarted in between (a new
//!   connection, [`crate::writer::WriterHealth::restarts`]) counts as something else too.

use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::unavailable;
use crate::{GlobalPosition, StoreError};

/// A save of more rows than this (their bytes) is written in pieces of about this size.
pub(super) const SAVE_PIECE_BYTES: usize = 256 * 1024;

/// The stored position of the read model `name`, if it was ever saved.
pub(super) fn position(tx: &Transaction<'_>, name: &str) -> Result<Option<u64>, StoreError> {
    let stored: Option<i64> = tx
        .query_row(
            "SELECT position FROM read_models WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| unavailable("read model position", e))?;
    Ok(stored.map(|p| p.max(0) as u64))
}

/// Writes `rows` of the read model `name`, each replacing the child's row if it has one.
pub(super) fn upsert_rows(
    tx: &Transaction<'_>,
    name: &str,
    rows: &[(Uuid, Vec<u8>)],
) -> Result<(), StoreError> {
    let mut upsert = tx
        .prepare_cached(
            "INSERT INTO read_model_rows (name, child_id, data) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name, child_id) DO UPDATE SET data = excluded.data",
        )
        .map_err(|e| unavailable("save read model rows", e))?;
    for (id, data) in rows {
        upsert
            .execute(params![name, id.to_string(), data])
            .map_err(|e| unavailable("save read model rows", e))?;
    }
    Ok(())
}

/// SQLite's count of commits by other connections to the file, as this connection sees it:
/// it changes only when another connection (another process) has committed since.
fn data_version(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    tx.query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(|e| unavailable("data_version", e))
}

/// What one piece of a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece {
    /// Written; the save goes on.
    Written,
    /// The stored position is beyond the save's: the save ends, nothing more written (a later
    /// model is saved; the pieces written before are safe beside it, as the module says).
    Behind,
    /// Another connection committed since the first piece: the save writes no more pieces,
    /// and its last job ([`SaveInPieces::finish`]) writes every row.
    Interleaved,
}

/// One save of the read model, written as pieces through the writer and ended by
/// [`SaveInPieces::finish`], which moves the position. Each method is one job's work, run in
/// the writer's transaction.
pub(super) struct SaveInPieces {
    name: String,
    position: GlobalPosition,
    rows: Vec<(Uuid, Vec<u8>)>,
    removed: Vec<Uuid>,
    /// Where each piece but the last ends in `rows`.
    ends: Vec<usize>,
    /// How many pieces are written.
    written: usize,
    /// The writer's restarts and its connection's `data_version` when the first piece was
    /// written: `finish` writes every row if they have moved since.
    version: Option<(u64, i64)>,
}

impl SaveInPieces {
    pub(super) fn new(
        name: String,
        position: GlobalPosition,
        rows: Vec<(Uuid, Vec<u8>)>,
        removed: Vec<Uuid>,
        piece_bytes: usize,
    ) -> SaveInPieces {
        let mut ends = Vec::new();
        let mut bytes = 0;
        for (i, (_, row)) in rows.iter().enumerate() {
            bytes += row.len();
            // The last piece is written by `finish`, so a piece ends only with rows after it.
            if bytes >= piece_bytes && i + 1 < rows.len() {
                ends.push(i + 1);
                bytes = 0;
            }
        }
        SaveInPieces {
            name,
            position,
            rows,
            removed,
            ends,
            written: 0,
            version: None,
        }
    }

    /// Whether a piece is still to be written before [`SaveInPieces::finish`] (unless one
    /// ended the save as [`Piece::Behind`] or [`Piece::Interleaved`]).
    pub(super) fn more(&self) -> bool {
        self.written < self.ends.len()
    }

    /// Writes the next piece (call while [`SaveInPieces::more`]) in the writer's transaction
    /// `tx`, the writer having restarted `restarts` times.
    pub(super) fn write_next(
        &mut self,
        tx: &Transaction<'_>,
        restarts: u64,
    ) -> Result<Piece, StoreError> {
        let version = (restarts, data_version(tx)?);
        if self.version.is_some_and(|v| v != version) {
            return Ok(Piece::Interleaved);
        }
        if position(tx, &self.name)?.is_some_and(|p| p > self.position) {
            return Ok(Piece::Behind);
        }
        let start = self.written.checked_sub(1).map_or(0, |i| self.ends[i]);
        let Some(&end) = self.ends.get(self.written) else {
            return Ok(Piece::Written);
        };
        upsert_rows(tx, &self.name, &self.rows[start..end])?;
        self.version = Some(version);
        self.written += 1;
        Ok(Piece::Written)
    }

    /// Writes what is left and moves the position, or, if anything else committed since the
    /// first piece, every row with the position; nothing if the stored position is beyond the
    /// save's (never backwards; an equal position is applied).
    pub(super) fn finish(&self, tx: &Transaction<'_>, restarts: u64) -> Result<(), StoreError> {
        if position(tx, &self.name)?.is_some_and(|p| p > self.position) {
            return Ok(());
        }
        // Nothing to compare when the save was one piece.
        let whole = match self.version {
            Some(first) => first != (restarts, data_version(tx)?),
            None => true,
        };
        let from = match self.written.checked_sub(1) {
            Some(i) if !whole => self.ends[i],
            _ => 0,
        };
        tx.execute(
            "INSERT INTO read_models (name, position, saved_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, \
             saved_at = excluded.saved_at",
            params![
                self.name,
                self.position as i64,
                crate::chain::format_time(chrono::Utc::now())
            ],
        )
        .map_err(|e| unavailable("save read model", e))?;
        upsert_rows(tx, &self.name, &self.rows[from..])?;
        let mut delete = tx
            .prepare_cached("DELETE FROM read_model_rows WHERE name = ?1 AND child_id = ?2")
            .map_err(|e| unavailable("remove read model rows", e))?;
        for id in &self.removed {
            delete
                .execute(params![self.name, id.to_string()])
                .map_err(|e| unavailable("remove read model rows", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, TransactionBehavior};

    use super::*;

    /// A migrated store's file and two connections to it: the writer's and another process's.
    fn two_connections() -> (tempfile::TempDir, Connection, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut writer = super::super::open_writer_connection(&path).unwrap();
        super::super::migrate::migrate(&mut writer).unwrap();
        let other = super::super::open_connection(&path).unwrap();
        (dir, writer, other)
    }

    /// Runs `f` in a transaction of its own, committed, as a writer's job is.
    fn job<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> T) -> T {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        let out = f(&tx);
        tx.commit().unwrap();
        out
    }

    fn rows(ids: &[Uuid], byte: u8, len: usize) -> Vec<(Uuid, Vec<u8>)> {
        ids.iter().map(|id| (*id, vec![byte; len])).collect()
    }

    fn stored(conn: &Connection) -> (Option<i64>, Vec<(String, Vec<u8>)>) {
        let position = conn
            .query_row(
                "SELECT position FROM read_models WHERE name = 'm'",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT child_id, data FROM read_model_rows WHERE name = 'm' ORDER BY child_id",
            )
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (position, rows)
    }

    /// Writes every piece, each in its own job, then finishes; `between` runs after the first.
    fn save(
        writer: &mut Connection,
        mut save: SaveInPieces,
        mut between: impl FnMut(),
    ) -> Vec<Piece> {
        let mut pieces = Vec::new();
        while save.more() {
            let piece = job(writer, |tx| save.write_next(tx, 0).unwrap());
            pieces.push(piece);
            if pieces.len() == 1 {
                between();
            }
            match piece {
                Piece::Written => {}
                Piece::Behind => return pieces,
                Piece::Interleaved => break,
            }
        }
        job(writer, |tx| save.finish(tx, 0).unwrap());
        pieces
    }

    fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
        ids.sort();
        ids
    }

    #[test]
    fn a_save_ends_its_pieces_where_they_reach_the_size_and_keeps_the_last_for_the_end() {
        let ids: Vec<Uuid> = (0..10).map(|_| Uuid::new_v4()).collect();
        let s = SaveInPieces::new("m".into(), 1, rows(&ids, 1, 100), vec![], 256);
        assert_eq!(s.ends, vec![3, 6, 9]);
        let s = SaveInPieces::new("m".into(), 1, rows(&ids, 1, 100), vec![], 1000);
        assert_eq!(s.ends, Vec::<usize>::new());
        assert!(!s.more());
        let s = SaveInPieces::new("m".into(), 1, vec![], vec![], 1);
        assert!(!s.more());
    }

    #[test]
    fn a_save_in_pieces_keeps_every_row_and_the_position() {
        let (_dir, mut writer, _other) = two_connections();
        let ids = sorted((0..10).map(|_| Uuid::new_v4()).collect());
        let gone = Uuid::new_v4();
        job(&mut writer, |tx| {
            upsert_rows(tx, "m", &rows(&[gone], 9, 3)).unwrap();
        });
        let pieces = save(
            &mut writer,
            SaveInPieces::new("m".into(), 7, rows(&ids, 1, 100), vec![gone], 256),
            || {},
        );
        assert_eq!(pieces, vec![Piece::Written; 3]);
        let (position, saved) = stored(&writer);
        assert_eq!(position, Some(7));
        let want: Vec<(String, Vec<u8>)> = ids
            .iter()
            .map(|id| (id.to_string(), vec![1; 100]))
            .collect();
        assert_eq!(saved, want, "every row, the removed one gone");
    }

    /// Another process saves a model at a lower position between the pieces, over a row
    /// already written: the last job writes every row again, so the position never goes
    /// with a row older than it.
    #[test]
    fn a_commit_by_another_process_between_the_pieces_has_every_row_written_again() {
        let (_dir, mut writer, mut other) = two_connections();
        let ids = sorted((0..10).map(|_| Uuid::new_v4()).collect());
        let pieces = save(
            &mut writer,
            SaveInPieces::new("m".into(), 7, rows(&ids, 1, 100), vec![], 256),
            || {
                job(&mut other, |tx| {
                    let older =
                        SaveInPieces::new("m".into(), 5, rows(&ids[..1], 2, 10), vec![], 1 << 20);
                    older.finish(tx, 0).unwrap();
                });
            },
        );
        assert_eq!(pieces, vec![Piece::Written, Piece::Interleaved]);
        let (position, saved) = stored(&writer);
        assert_eq!(position, Some(7));
        assert!(
            saved.iter().all(|(_, row)| row == &vec![1; 100]),
            "{saved:?}"
        );
        assert_eq!(saved.len(), 10);
    }

    /// The writer restarted between the pieces (a new connection, whose `data_version` says
    /// nothing of what the old one saw): the last job writes every row again.
    #[test]
    fn a_writer_restarted_between_the_pieces_has_every_row_written_again() {
        let (_dir, mut writer, _other) = two_connections();
        let ids = sorted((0..10).map(|_| Uuid::new_v4()).collect());
        let mut s = SaveInPieces::new("m".into(), 7, rows(&ids, 1, 100), vec![], 256);
        assert_eq!(
            job(&mut writer, |tx| s.write_next(tx, 0).unwrap()),
            Piece::Written
        );
        // Something this save cannot see by `data_version` (the same connection) replaces a
        // row it wrote: what a save on the old connection could have done.
        job(&mut writer, |tx| {
            upsert_rows(tx, "m", &rows(&ids[..1], 2, 10)).unwrap();
        });
        assert_eq!(
            job(&mut writer, |tx| s.write_next(tx, 1).unwrap()),
            Piece::Interleaved
        );
        job(&mut writer, |tx| s.finish(tx, 1).unwrap());
        let (position, saved) = stored(&writer);
        assert_eq!(position, Some(7));
        assert_eq!(saved.len(), 10);
        assert!(
            saved.iter().all(|(_, row)| row == &vec![1; 100]),
            "{saved:?}"
        );
    }

    /// A later model saved (by another process) between the pieces: the save stops and moves
    /// nothing back; the later model's rows stay.
    #[test]
    fn a_later_save_between_the_pieces_ends_the_save() {
        let (_dir, mut writer, mut other) = two_connections();
        let ids = sorted((0..10).map(|_| Uuid::new_v4()).collect());
        let later = Uuid::new_v4();
        let pieces = save(
            &mut writer,
            SaveInPieces::new("m".into(), 7, rows(&ids, 1, 100), vec![], 256),
            || {
                job(&mut other, |tx| {
                    SaveInPieces::new("m".into(), 9, rows(&[later], 3, 10), vec![], 1 << 20)
                        .finish(tx, 0)
                        .unwrap();
                });
            },
        );
        // The next piece sees the other process's commit first; the last job then finds the
        // later position and writes nothing.
        assert_eq!(pieces, vec![Piece::Written, Piece::Interleaved]);
        let (position, saved) = stored(&writer);
        assert_eq!(position, Some(9));
        assert!(saved.contains(&(later.to_string(), vec![3; 10])));
        // The first piece's rows (written while the stored position was not beyond 7) stay.
        assert_eq!(saved.len(), 4);
    }

    #[test]
    fn a_save_behind_the_stored_position_writes_nothing_and_an_equal_one_is_applied() {
        let (_dir, mut writer, _other) = two_connections();
        let a = Uuid::new_v4();
        job(&mut writer, |tx| {
            SaveInPieces::new("m".into(), 9, rows(&[a], 1, 10), vec![], 1)
                .finish(tx, 0)
                .unwrap();
        });
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
        let pieces = save(
            &mut writer,
            SaveInPieces::new("m".into(), 8, rows(&ids, 2, 100), vec![a], 100),
            || {},
        );
        assert_eq!(pieces, vec![Piece::Behind]);
        assert_eq!(
            stored(&writer),
            (Some(9), vec![(a.to_string(), vec![1; 10])])
        );
        save(
            &mut writer,
            SaveInPieces::new("m".into(), 9, rows(&[a], 4, 10), vec![], 1),
            || {},
        );
        assert_eq!(
            stored(&writer),
            (Some(9), vec![(a.to_string(), vec![4; 10])])
        );
    }
}
