//! The writer's memory of the last event of each child it appended to, so that an append to a
//! child it wrote to lately needs no read of the stream's head. That read descends the
//! `(child_id, sequence)` index and then the events table; on a county's store (a million
//! events) it was the writer's largest step after the commit itself (docs/BENCHMARKS.md,
//! sixteenth round).
//!
//! What is remembered is only ever what the writer's own committed transactions wrote, so it
//! is exactly what the read would return, with two ways to go stale, both closed here:
//! - **Another connection wrote** (a second process on the same file, an import, a repair):
//!   SQLite's `PRAGMA data_version` changes on this connection whenever any other connection
//!   has committed since it last looked. The writer looks at the start of every group, under
//!   `BEGIN IMMEDIATE`'s write lock (so nothing can commit between the look and the appends),
//!   and forgets everything when it moved.
//! - **This connection's write did not stand** (a job's savepoint rolled back, a group rolled
//!   back, a commit that failed): heads written inside a group are pending until the group
//!   commits; a job's are dropped when its savepoint is rolled back, and the whole group's
//!   when it is not committed. A failed commit forgets everything, since what stands is
//!   then unknown.

use std::num::NonZeroUsize;

use lru::LruCache;
use rusqlite::Transaction;
use uuid::Uuid;

use crate::StoredEvent;
use crate::append::Head;

/// Children remembered (least recently appended to forgotten first): a few megabytes, far more
/// than the children being written to in any second.
pub(super) const REMEMBERED: usize = 65_536;

pub(super) struct Heads {
    committed: LruCache<Uuid, Head>,
    /// Heads written by this group's jobs, in order; not yet committed.
    pending: Vec<(Uuid, Head)>,
    /// How much of `pending` the jobs before the running one left.
    kept: usize,
    /// `PRAGMA data_version` as this connection last read it.
    data_version: Option<i64>,
}

impl Heads {
    pub(super) fn new(remembered: usize) -> Heads {
        Heads {
            committed: LruCache::new(NonZeroUsize::new(remembered).unwrap_or(NonZeroUsize::MIN)),
            pending: Vec::new(),
            kept: 0,
            data_version: None,
        }
    }

    /// At the start of a group, inside its transaction: forgets everything if another
    /// connection has committed since the last group (or if that cannot be told).
    pub(super) fn begin(&mut self, tx: &Transaction<'_>) {
        self.pending.clear();
        self.kept = 0;
        let version = tx
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .ok();
        if version.is_none() || version != self.data_version {
            self.committed.clear();
        }
        self.data_version = version;
    }

    /// The head of `child` as this transaction sees it, if remembered.
    pub(super) fn get(&mut self, child: Uuid) -> Option<&Head> {
        // The latest pending write of this child, else what was committed.
        match self.pending.iter().rposition(|(c, _)| *c == child) {
            Some(i) => self.pending.get(i).map(|(_, h)| h),
            None => self.committed.get(&child),
        }
    }

    /// The running job appended `event`, the new last event of its child.
    pub(super) fn appended(&mut self, event: &StoredEvent) {
        self.pending.push((
            event.child_id,
            Head {
                sequence: event.sequence,
                recorded_at: Some(event.recorded_at),
                hash: Some(event.hash.clone()),
            },
        ));
    }

    /// The running job's savepoint was released: its writes stand as long as the group does.
    pub(super) fn job_kept(&mut self) {
        self.kept = self.pending.len();
    }

    /// The running job's savepoint was rolled back (or never opened): its writes are gone.
    pub(super) fn job_undone(&mut self) {
        self.pending.truncate(self.kept);
    }

    /// The group committed: what its jobs wrote stands.
    pub(super) fn committed(&mut self) {
        self.pending.truncate(self.kept);
        for (child, head) in self.pending.drain(..) {
            self.committed.put(child, head);
        }
        self.kept = 0;
    }

    /// The group was rolled back, or its commit failed: nothing it wrote is remembered, and
    /// nothing before it either, since a failed commit leaves what stands unknown.
    pub(super) fn forget(&mut self) {
        self.pending.clear();
        self.kept = 0;
        self.committed.clear();
        self.data_version = None;
    }

    #[cfg(test)]
    pub(super) fn remembered(&self) -> usize {
        self.committed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use rusqlite::{Connection, TransactionBehavior};

    fn event(child: Uuid, sequence: u64) -> StoredEvent {
        StoredEvent {
            global_position: sequence,
            child_id: child,
            sequence,
            event_id: Uuid::new_v4(),
            event_type: "t".into(),
            event_version: 1,
            occurred_at: Utc::now(),
            recorded_at: Utc::now(),
            recorded_by: serde_json::Value::Null,
            agency: "a".into(),
            token_id: None,
            data: serde_json::Value::Null,
            prev_hash: String::new(),
            hash: format!("{sequence}"),
        }
    }

    fn sequence(heads: &mut Heads, child: Uuid) -> Option<u64> {
        heads.get(child).map(|h| h.sequence)
    }

    fn begin(conn: &mut Connection, heads: &mut Heads) {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        heads.begin(&tx);
        tx.commit().unwrap();
    }

    fn store() -> (tempfile::TempDir, Connection, Connection) {
        crate::sqlite::two_connections()
    }

    #[test]
    fn a_committed_group_is_remembered_and_a_later_write_wins() {
        let (_dir, mut conn, _other) = store();
        let mut heads = Heads::new(8);
        let child = Uuid::new_v4();
        begin(&mut conn, &mut heads);
        heads.appended(&event(child, 1));
        heads.job_kept();
        heads.appended(&event(child, 2));
        heads.job_kept();
        assert_eq!(
            sequence(&mut heads, child),
            Some(2),
            "seen inside the group"
        );
        heads.committed();
        begin(&mut conn, &mut heads);
        assert_eq!(sequence(&mut heads, child), Some(2));
    }

    #[test]
    fn an_undone_job_or_a_lost_group_leaves_nothing() {
        let (_dir, mut conn, _other) = store();
        let mut heads = Heads::new(8);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        begin(&mut conn, &mut heads);
        heads.appended(&event(a, 1));
        heads.job_kept();
        heads.appended(&event(a, 2));
        heads.appended(&event(b, 1));
        heads.job_undone();
        assert_eq!(sequence(&mut heads, a), Some(1));
        assert_eq!(sequence(&mut heads, b), None);
        heads.committed();
        begin(&mut conn, &mut heads);
        heads.appended(&event(a, 2));
        heads.job_kept();
        heads.forget();
        assert_eq!(sequence(&mut heads, a), None, "a lost group forgets all");
    }

    #[test]
    fn another_connections_commit_forgets_everything() {
        let (_dir, mut conn, other) = store();
        let mut heads = Heads::new(8);
        let child = Uuid::new_v4();
        begin(&mut conn, &mut heads);
        heads.appended(&event(child, 1));
        heads.job_kept();
        heads.committed();
        // The writer's own commit does not move its data_version.
        conn.execute("INSERT INTO t VALUES (1)", []).unwrap();
        begin(&mut conn, &mut heads);
        assert_eq!(sequence(&mut heads, child), Some(1));
        other.execute("INSERT INTO t VALUES (2)", []).unwrap();
        begin(&mut conn, &mut heads);
        assert_eq!(sequence(&mut heads, child), None);
    }

    #[test]
    fn the_least_recently_appended_are_forgotten_first() {
        let (_dir, mut conn, _other) = store();
        let mut heads = Heads::new(2);
        let children: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        begin(&mut conn, &mut heads);
        for c in &children {
            heads.appended(&event(*c, 1));
            heads.job_kept();
        }
        heads.committed();
        assert_eq!(heads.remembered(), 2);
        assert_eq!(sequence(&mut heads, children[0]), None);
        assert_eq!(sequence(&mut heads, children[2]), Some(1));
    }
}
