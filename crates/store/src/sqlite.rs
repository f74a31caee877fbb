//! The embedded store: one SQLite file, WAL, `synchronous=FULL`.
//!
//! Writes go through one writer thread that owns the only write connection. It drains whatever
//! is queued into one transaction (group commit), giving each request its own SAVEPOINT so
//! that one request's conflict rolls back only that request, commits once, and only then
//! answers every waiter. Throughput under many clients is therefore bounded by commits, not by
//! one fsync per record. Because every write is serialised through that thread (and, across
//! processes, through `BEGIN IMMEDIATE`), global positions are assigned in commit order.
//!
//! The queue in front of the writer is bounded ([`crate::writer::DEFAULT_QUEUE`] by default): a
//! full queue refuses the append at once with [`StoreErrorKind::Busy`] rather than letting
//! waiters pile up. A panic in the writer is caught; the writer reopens its connection and
//! starts again, and [`EventStore::writer_running`] is false meanwhile.
//!
//! Reads use their own connections from a small pool on tokio's blocking threads; WAL lets
//! them run beside the writer.
//!
//! This module does not know record types; `data` is opaque JSON.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use uuid::Uuid;

mod backup;
mod heads;
mod migrate;
mod read_model;
mod token_reads;

pub use backup::{BackupCopied, backup};

use crate::append::{self, Head};
use crate::chain::format_time;
use crate::storable::{self, Unreadable};
use crate::writer::{self, WriterHealth};
use crate::{
    AppendRequest, Appended, EventStore, GlobalPosition, ReadLogEntry, Sequence, SessionRecord,
    SigninGrant, StoreError, StoreErrorKind, StoredEvent, TokenRecord, Verification,
};
use heads::Heads;
use read_model::{Piece, SaveInPieces};

/// Most requests the writer folds into one transaction: large enough to amortise the fsync,
/// small enough that the first waiter is not kept long.
const MAX_GROUP: usize = 512;

/// A request for the writer. It is handed the group's transaction once its savepoint is open,
/// or the error that kept the savepoint from opening, in which case it does not run and its
/// waiter gets that error; and the writer's remembered heads, which an append reads and adds
/// to.
type Job = Box<dyn FnOnce(Result<&Transaction<'_>, StoreError>, &mut Heads) -> Completion + Send>;

/// What a job left behind: whether its savepoint is kept, and how to answer its waiter once
/// the commit's fate is known.
struct Completion {
    ok: bool,
    deliver: Box<dyn FnOnce(Option<StoreError>) + Send>,
}

/// The SQLite backend.
pub struct SqliteStore {
    path: PathBuf,
    /// Dropped with the store, which stops the checkpoint thread.
    _stop_checkpoints: mpsc::Sender<()>,
    /// Bounded: `try_send` on a full queue is the store's "busy".
    writer: mpsc::SyncSender<Job>,
    queue_capacity: usize,
    health: Arc<WriterHealth>,
    readers: Mutex<Vec<Connection>>,
    /// The token checks' own connection and what it has read since the last commit
    /// (`token_reads`); opened at the first check.
    token_reads: Mutex<Option<token_reads::TokenReads>>,
    /// Held through a save of read model rows: a save written in pieces must not have another
    /// save of this process between them, which `data_version` (other connections' commits
    /// only) would not see (`read_model`).
    read_model_saves: tokio::sync::Mutex<()>,
}

// The backend's name in front of each of its errors ([`crate::error::unavailable`]).
fn unavailable(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    crate::error::unavailable("sqlite", what, e)
}

fn corrupt(what: String) -> StoreError {
    crate::error::corrupt("sqlite", &what)
}

/// How long a connection waits for a lock another holds before it gives up.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| unavailable("open", e))?;
    // WAL so readers never block the writer; FULL so a commit is on disk when it returns.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| unavailable("journal_mode", e))?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| unavailable("synchronous", e))?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| unavailable("foreign_keys", e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| unavailable("busy_timeout", e))?;
    Ok(conn)
}

/// Opens the writer's connection: like any other, but with automatic checkpoints off (see
/// [`SqliteStore::open`]).
fn open_writer_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = open_connection(path)?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)
        .map_err(|e| unavailable("wal_autocheckpoint", e))?;
    // When the WAL starts over (see `checkpoint_loop`), the file is kept as long as it is, up
    // to this, and written over from the top: cut back to 128 MiB at every start, it was
    // regrown through new pages that the kernel zeroes first, and on a county's store the
    // writer spent up to a quarter of its time zeroing them (docs/BENCHMARKS.md, eighteenth round).
    // The checkpointer trims it once the store is quiet (`QUIET_TICKS_BEFORE_TRIM`).
    conn.pragma_update(None, "journal_size_limit", WAL_KEPT_BYTES)
        .map_err(|e| unavailable("journal_size_limit", e))?;
    size_writer_cache(&conn)?;
    Ok(conn)
}

/// The writer's page cache below and past SQLite's pending-byte page ([`size_writer_cache`]).
const SMALL_STORE_CACHE_KIB: i64 = 8 * 1024;
const LARGE_STORE_CACHE_KIB: i64 = 64 * 1024;

/// How many groups the writer commits between looks at the database's size.
const GROUPS_BETWEEN_CACHE_SIZING: u32 = 1024;

/// Sizes the writer's page cache by the database's size: 64 MiB once the database reaches the
/// page holding SQLite's pending byte (1 GiB into the file), 8 MiB before.
///
/// Every append descends the event-id, child and identifier indexes to a random leaf; on a
/// county's store (1 GB) SQLite's default 2 MiB cache misses most of them and reads each from
/// the OS again, and 64 MiB keeps the upper levels and the recent leaves (single records on a
/// county's store went from 72-73% of a fresh store's rate to 76-82%, docs/BENCHMARKS.md).
///
/// A smaller store pays for a large cache at every commit. When a B-tree page splits, SQLite
/// renumbers the new pages through a spare page number, the pending-byte page's; below 1 GiB
/// that number lies past the database's end, and the commit after such a split then walks the
/// whole page cache to drop pages past the end (`pcache1TruncateUnsafe`). On a fresh store
/// under single records that walk was a fifth of the writer thread with 64 MiB. Once the
/// database holds the pending-byte page there is nothing past the end and no walk.
///
/// Setting the size it already has changes nothing, so it is set at every look.
fn size_writer_cache(conn: &Connection) -> Result<(), StoreError> {
    let (pages, page_size): (i64, i64) = conn
        .query_row(
            "SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| unavailable("read the database's size", e))?;
    conn.pragma_update(None, "cache_size", -writer_cache_kib(pages, page_size))
        .map_err(|e| unavailable("cache_size", e))
}

/// The writer's cache for a database of `pages` pages of `page_size` bytes; see
/// [`size_writer_cache`].
fn writer_cache_kib(pages: i64, page_size: i64) -> i64 {
    // SQLite's PENDING_BYTE: the page holding it is the spare number a split renumbers through.
    const PENDING_BYTE: i64 = 0x4000_0000;
    let pending_page = PENDING_BYTE / page_size.max(512) + 1;
    if pages >= pending_page {
        LARGE_STORE_CACHE_KIB
    } else {
        SMALL_STORE_CACHE_KIB
    }
}

impl SqliteStore {
    /// Opens (creating if need be) the store at `path`, applies migrations and starts the
    /// writer thread, with a queue of [`writer::DEFAULT_QUEUE`] appends.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with_queue(path, writer::DEFAULT_QUEUE)
    }

    /// [`SqliteStore::open`] with room for `queue_capacity` appends waiting for the writer
    /// (at least 1); one more is refused with [`StoreErrorKind::Busy`].
    pub fn open_with_queue(
        path: impl AsRef<Path>,
        queue_capacity: usize,
    ) -> Result<SqliteStore, StoreError> {
        let queue_capacity = queue_capacity.max(1);
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable("create the store's folder", e))?;
        }
        // Checkpoints copy the WAL into the database file and fsync it. Left to SQLite's
        // automatic checkpoint they run inside whichever commit crosses the threshold, i.e. on
        // the one writer thread, stalling every waiter in that group. A background connection
        // checkpoints instead (PASSIVE: it never blocks the writer).
        let mut conn = open_writer_connection(&path)?;
        migrate::migrate(&mut conn)?;
        let checkpointer = open_connection(&path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let restart = Arc::new(AtomicBool::new(false));
        let restart_asked = Arc::clone(&restart);
        thread::Builder::new()
            .name("caseline-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, stopped, &restart_asked))
            .map_err(|e| unavailable("start the checkpoint thread", e))?;
        let (tx, rx) = mpsc::sync_channel::<Job>(queue_capacity);
        let health = WriterHealth::new();
        health.set_running(true);
        {
            let (path, health) = (path.clone(), Arc::clone(&health));
            thread::Builder::new()
                .name("caseline-sqlite-writer".into())
                .spawn(move || supervise_writer(path, conn, rx, health, &restart))
                .map_err(|e| unavailable("start the writer thread", e))?;
        }
        Ok(SqliteStore {
            path,
            _stop_checkpoints: stop,
            writer: tx,
            queue_capacity,
            health,
            readers: Mutex::new(Vec::new()),
            token_reads: Mutex::new(None),
            read_model_saves: tokio::sync::Mutex::new(()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the writer thread is running now (false while it restarts after a panic).
    pub fn writer_running(&self) -> bool {
        self.health.running()
    }

    /// Runs `f` inside the writer's next transaction and answers once it has committed.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.write_heads(move |tx, _| f(tx)).await
    }

    /// [`SqliteStore::write`] for a job that reads or changes streams' heads (an append, an
    /// import).
    async fn write_heads<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, &mut Heads) -> Result<T, StoreError> + Send + 'static,
    {
        let (job, answer) = job(f);
        self.writer.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => writer::busy("sqlite", self.queue_capacity),
            mpsc::TrySendError::Disconnected(_) => StoreError::new(
                StoreErrorKind::Unavailable,
                "sqlite: the writer thread has stopped",
            ),
        })?;
        answer.await.map_err(|_| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                "sqlite: the writer thread stopped before answering",
            )
        })?
    }

    /// Runs `f` on a pooled read connection on a blocking thread.
    async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || this.read_here(f))
            .await
            .map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Unavailable,
                    format!("sqlite: read task failed: {e}"),
                )
            })?
    }

    /// A token by its secret's hash, on the calling thread, from what the token checks' own
    /// connection read since the database last changed (`token_reads`).
    fn token_here(&self, secret_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        let mut slot = self
            .token_reads
            .lock()
            .map_err(|_| corrupt("token reads lock poisoned".into()))?;
        let reads = match &mut *slot {
            Some(reads) => reads,
            empty => empty.insert(token_reads::TokenReads::new(open_connection(&self.path)?)),
        };
        reads.token(secret_hash, |c, hash| {
            tokens_in(c, &[hash]).map(|found| found.into_iter().next())
        })
    }

    /// Runs `f` on a pooled read connection on the calling thread. For a read of a few
    /// microseconds on an async thread (an idempotency key, asked before every append that
    /// carries one): handing it to a blocking thread and waking the caller again cost more than
    /// the read. A WAL reader never waits for the writer or a checkpoint.
    fn read_here<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self
            .readers
            .lock()
            .map_err(|_| corrupt("reader pool lock poisoned".into()))?
            .pop()
        {
            Some(c) => c,
            None => open_connection(&self.path)?,
        };
        let result = f(&conn);
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < 8
        {
            pool.push(conn);
        }
        result
    }
}

/// Frames (pages) the WAL may hold before the checkpointer has it start again from the top:
/// 32,768 of 4 KiB, 128 MiB. A restart holds appends back while it finishes (30-80 ms on a
/// county's store: it copies what the last passive checkpoint left and syncs the database),
/// so it is kept rare. Single records write about two and a half frames each (the event, its
/// leaf of the child index, their share of the rest), so that is every 3 s under a steady
/// 5,000 records a second and about every second at 12,000 (docs/BENCHMARKS.md, nineteenth
/// round). At four times this the writer is asked to do it ([`checkpoint_loop`]).
const RESTART_AFTER_FRAMES: i64 = 32_768;

/// The largest WAL file kept between starts over: above the most that `checkpoint_loop` lets
/// the WAL grow to (`4 * RESTART_AFTER_FRAMES` frames of 4 KiB and their headers, about
/// 540 MB), so under load the file is written over rather than cut and regrown; a WAL that
/// grew past it (a reader holding the restart back) is cut back to it.
const WAL_KEPT_BYTES: i64 = 1024 * 1024 * 1024;
// Well above the WAL's length (4 KiB pages and 24-byte frame headers) when the writer is asked
// to start it over.
const _: () = assert!(WAL_KEPT_BYTES > 4 * RESTART_AFTER_FRAMES * (4096 + 24));

/// Checkpoints that found nothing new, in a row, before the checkpointer trims the WAL file
/// to nothing: 30 s without an append. The file kept under load ([`WAL_KEPT_BYTES`]) is then
/// given back to the disk.
const QUIET_TICKS_BEFORE_TRIM: u32 = 60;

/// Checkpoints the WAL twice a second from its own connection until the store is dropped
/// (its end of `stopped` then disconnects).
///
/// A PASSIVE checkpoint never waits, so it never stalls an append; but under a steady stream
/// of appends it never finds the WAL idle either, and SQLite starts the WAL over only after a
/// checkpoint that saw its end with no writer in between. Left alone the WAL then grows without
/// bound (a generated county left 6.2 GB of WAL beside a 1 GB database) and every read pays for
/// it, since finding a page in the WAL's index costs a probe per 4,096 frames. So once the WAL
/// is long and a passive pass has copied all of it, a RESTART checkpoint waits briefly
/// ([`RESTART_WAIT`]) for the append in flight, copies what is left, and makes the next append
/// start at the top. A writer that is never idle gives that wait the write lock only by chance
/// (the store alone, 64 writers: 1.5 GB of WAL in 10 s, docs/BENCHMARKS.md, eighteenth round),
/// so once the WAL is four times too long the checkpointer asks the writer (`restart`) to
/// start it over itself between two groups ([`start_wal_over`]). The file is written over from
/// the top as it is ([`WAL_KEPT_BYTES`]); once the store has been quiet for
/// [`QUIET_TICKS_BEFORE_TRIM`] checkpoints, a TRUNCATE checkpoint cuts it to nothing.
fn checkpoint_loop(conn: Connection, stopped: mpsc::Receiver<()>, restart: &AtomicBool) {
    let mut quiet = Quiet::default();
    while let Err(mpsc::RecvTimeoutError::Timeout) =
        stopped.recv_timeout(std::time::Duration::from_millis(500))
    {
        let passive = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        let (frames, copied) = match passive {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!("sqlite: checkpoint failed: {e}");
                continue;
            }
        };
        if frames >= 4 * RESTART_AFTER_FRAMES {
            restart.store(true, Ordering::Release);
        } else if frames >= RESTART_AFTER_FRAMES && copied >= frames {
            start_wal_over(&conn);
        }
        if quiet.trim_now(frames, copied)
            && let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        {
            tracing::warn!("sqlite: checkpoint (truncate) failed: {e}");
        }
    }
}

/// How long a start over of the WAL ([`start_wal_over`]) waits for the write lock, readers of
/// the old frames, or a checkpoint in progress, before it gives up until the next try.
const RESTART_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Starts the WAL over: a RESTART checkpoint on `conn` that waits for locks at most
/// [`RESTART_WAIT`] (appends wait behind it meanwhile), copies what is not yet copied, and
/// makes the next append write from the top. Run by the checkpointer, or by the writer
/// between two groups when asked: it holds the write lock already, so it waits only for
/// readers of the old frames. A reader that holds on longer (an export, a backup) only puts
/// the start over off until the next try.
fn start_wal_over(conn: &Connection) {
    if let Err(e) = conn.busy_timeout(RESTART_WAIT) {
        tracing::warn!("sqlite: {e}");
        return;
    }
    match conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0)) {
        Ok(0) => metrics::counter!("caseline_sqlite_wal_restarts_total").increment(1),
        Ok(_) => tracing::debug!("sqlite: the WAL could not start over yet (a reader holds it)"),
        Err(e) => tracing::warn!("sqlite: checkpoint (restart) failed: {e}"),
    }
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!("sqlite: {e}");
    }
}

/// Whether the store has gone quiet: the same frames, all copied, at
/// [`QUIET_TICKS_BEFORE_TRIM`] checkpoints in a row. No frames counts too: a WAL started over
/// just before the appends stopped has none but keeps its file.
#[derive(Default)]
struct Quiet {
    frames: i64,
    ticks: u32,
}

impl Quiet {
    /// Takes one passive checkpoint's answer (frames in the WAL, frames copied); true once,
    /// when the WAL should be trimmed.
    fn trim_now(&mut self, frames: i64, copied: i64) -> bool {
        if copied < frames || frames != self.frames {
            self.frames = frames;
            self.ticks = 0;
            return false;
        }
        self.ticks = self.ticks.saturating_add(1);
        self.ticks == QUIET_TICKS_BEFORE_TRIM
    }
}

/// Wraps `f` as a job for the writer, with the receiver its answer arrives on.
fn job<T, F>(f: F) -> (Job, tokio::sync::oneshot::Receiver<Result<T, StoreError>>)
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>, &mut Heads) -> Result<T, StoreError> + Send + 'static,
{
    let (reply, answer) = tokio::sync::oneshot::channel::<Result<T, StoreError>>();
    let job: Job = Box::new(move |tx, heads| {
        let result = tx.and_then(|tx| f(tx, heads));
        Completion {
            ok: result.is_ok(),
            deliver: Box::new(move |group_error| {
                let result = match (group_error, result) {
                    (Some(e), Ok(_)) => Err(e),
                    (_, r) => r,
                };
                // The waiter may have gone (client hung up); the write stands regardless.
                let _ = reply.send(result);
            }),
        }
    });
    (job, answer)
}

/// Runs the writer until the store is dropped, starting it again after a panic.
///
/// A panic inside a group unwinds through its transaction (rusqlite rolls it back on drop) and
/// drops the group's jobs, so each of their waiters hears "the writer stopped before
/// answering" and none is told its append is durable. The connection is then reopened, since
/// a panic may have left it anywhere, and the writer takes the next job. While it is down,
/// `health` says so (`/ready` is false).
fn supervise_writer(
    path: PathBuf,
    conn: Connection,
    rx: mpsc::Receiver<Job>,
    health: Arc<WriterHealth>,
    restart: &AtomicBool,
) {
    let mut conn = Some(conn);
    loop {
        let mut c = match conn.take() {
            Some(c) => c,
            None => match open_writer_connection(&path) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!("sqlite: the writer cannot reopen the store: {e}");
                    // Answer what waits meanwhile rather than leave it hanging, and notice
                    // when the store has been dropped (every sender gone).
                    match rx.recv_timeout(writer::RESTART_BACKOFF * 5) {
                        Ok(job) => {
                            let c = job(
                                Err(StoreError::new(
                                    StoreErrorKind::Unavailable,
                                    format!("sqlite: the writer is restarting: {e}"),
                                )),
                                &mut Heads::new(1),
                            );
                            (c.deliver)(None);
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                    continue;
                }
            },
        };
        health.set_running(true);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            writer_loop(&mut c, &rx, restart);
        }));
        health.set_running(false);
        match outcome {
            // Every sender is gone: the store was dropped.
            Ok(()) => return,
            Err(panic) => {
                let n = health.restarted("sqlite");
                tracing::error!(
                    restarts = n,
                    "sqlite: the writer panicked ({}); its group was rolled back and every waiter in it told so; restarting",
                    writer::panic_message(panic.as_ref())
                );
                drop(c);
                thread::sleep(writer::RESTART_BACKOFF);
            }
        }
    }
}

fn writer_loop(conn: &mut Connection, rx: &mpsc::Receiver<Job>, restart: &AtomicBool) {
    let mut groups: u32 = 0;
    // Made afresh with each (re)start of the writer: a panic forgets them with its group.
    let mut heads = Heads::new(heads::REMEMBERED);
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        run_group(conn, jobs, &mut heads);
        if restart.swap(false, Ordering::AcqRel) {
            start_wal_over(conn);
        }
        // The store grows past 1 GiB while it runs: its cache grows with it.
        groups = groups.wrapping_add(1);
        if groups.is_multiple_of(GROUPS_BETWEEN_CACHE_SIZING)
            && let Err(e) = size_writer_cache(conn)
        {
            tracing::warn!("{e}");
        }
    }
}

/// One group commit. Each job runs in its own savepoint; a job whose savepoint cannot open
/// does not run and its waiter gets the error. If a savepoint cannot be ended (released, or
/// rolled back after its job failed), the transaction no longer holds what the jobs think it
/// does, so the whole group is rolled back and every waiter gets an error: nothing in it is
/// acknowledged. Waiters are answered only once the commit's fate is known.
fn run_group(conn: &mut Connection, jobs: Vec<Job>, heads: &mut Heads) {
    metrics_batch(jobs.len());
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let e = unavailable("begin a transaction", e);
            tracing::error!("{e}");
            heads.forget();
            for job in jobs {
                let c = job(
                    Err(StoreError::new(StoreErrorKind::Unavailable, e.to_string())),
                    heads,
                );
                (c.deliver)(None);
            }
            return;
        }
    };
    heads.begin(&tx);
    let mut completions = Vec::with_capacity(jobs.len());
    let mut group_error: Option<StoreError> = None;
    for job in jobs {
        if group_error.is_some() {
            // The group is lost already: do not run the rest against a transaction that will
            // be rolled back.
            completions.push(job(
                Err(StoreError::new(
                    StoreErrorKind::Unavailable,
                    "sqlite: an earlier append in the same commit could not be undone, so the commit was abandoned",
                )),
                heads,
            ));
            continue;
        }
        if let Err(e) = tx
            .prepare_cached("SAVEPOINT job")
            .and_then(|mut s| s.execute([]))
        {
            let e = unavailable("open a savepoint", e);
            tracing::error!("{e}");
            completions.push(job(Err(e), heads));
            heads.job_undone();
            continue;
        }
        let completion = job(Ok(&tx), heads);
        // A kept statement for the common end, as for the savepoint's start: parsing
        // `RELEASE job` afresh for every append was work on the one writer thread.
        let end = if completion.ok {
            tx.prepare_cached("RELEASE job")
                .and_then(|mut s| s.execute([]))
                .map(drop)
        } else {
            tx.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        match end {
            Ok(()) if completion.ok => heads.job_kept(),
            Ok(()) => heads.job_undone(),
            Err(e) => {
                let e = unavailable("end a savepoint", e);
                tracing::error!("{e}; rolling back the whole group");
                group_error = Some(e);
            }
        }
        completions.push(completion);
    }
    let group_error = match group_error {
        Some(e) => {
            if let Err(r) = tx.rollback() {
                tracing::error!("sqlite: rolling back the group failed: {r}");
            }
            Some(e)
        }
        None => tx.commit().err().map(|e| unavailable("commit", e)),
    };
    match group_error {
        None => heads.committed(),
        Some(_) => heads.forget(),
    }
    for c in completions {
        let err = group_error
            .as_ref()
            .map(|e| StoreError::new(StoreErrorKind::Unavailable, e.to_string()));
        (c.deliver)(err);
    }
}

/// Records how many appends shared one commit: the measure of group commit at work. The
/// `metrics` facade does nothing until a process installs a recorder (the server does).
fn metrics_batch(size: usize) {
    metrics::histogram!("caseline_group_commit_size", "backend" => "sqlite").record(size as f64);
    tracing::trace!(group_size = size, "sqlite group commit");
}

// --- row mapping -------------------------------------------------------------------------

const SESSION_COLUMNS: &str =
    "id, secret_hash, csrf_token, role, agency, name, via, created_at, last_seen_at, expires_at";

/// An event's columns but the chain's hashes, in the order [`text_row`] reads them.
macro_rules! text_columns {
    () => {
        "global_position, child_id, sequence, event_id, event_type, event_version, \
         occurred_at, recorded_at, recorded_by, agency, token_id, data"
    };
}

/// Every column of an event: [`TEXT_COLUMNS`], then the chain's hashes ([`event_row`]).
const EVENT_COLUMNS: &str = concat!(text_columns!(), ", prev_hash, hash");

fn parse_uuid(s: &str, what: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|e| corrupt(format!("{what} {s:?} is not a UUID: {e}")))
}

fn parse_time(s: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("{what} {s:?} is not a time: {e}")))
}

fn parse_json(s: &str, what: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(s).map_err(|e| corrupt(format!("{what} is not JSON: {e}")))
}

/// The columns [`text_row`] reads: an event's without the chain's hashes, which no reader of
/// the text needs.
const TEXT_COLUMNS: &str = text_columns!();

/// An event as [`TEXT_COLUMNS`] hold it, leaving `data` and `recorded_by` as the text stored.
/// Ids and times are parsed where SQLite holds them rather than copied into strings first: a
/// rebuild reads every event of the store this way.
fn text_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<crate::StoredText, StoreError>> {
    let text = |i: usize| -> rusqlite::Result<&str> {
        let value = r.get_ref(i)?;
        value
            .as_str()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, value.data_type(), e.into()))
    };
    let (pos, seq, ver): (i64, i64, i64) = (r.get(0)?, r.get(2)?, r.get(5)?);
    let (child, id, ty) = (text(1)?, text(3)?, text(4)?);
    let (occ, rec, by, agency) = (text(6)?, text(7)?, text(8)?, text(9)?);
    let token = match r.get_ref(10)? {
        rusqlite::types::ValueRef::Null => None,
        _ => Some(text(10)?),
    };
    let data = text(11)?;
    let event = || -> Result<crate::StoredText, StoreError> {
        Ok(crate::StoredText {
            global_position: u64::try_from(pos)
                .map_err(|_| corrupt(format!("negative position {pos}")))?,
            child_id: parse_uuid(child, "child_id")?,
            sequence: u64::try_from(seq)
                .map_err(|_| corrupt(format!("negative sequence {seq}")))?,
            event_id: parse_uuid(id, "event_id")?,
            event_type: ty.to_owned(),
            event_version: u32::try_from(ver).map_err(|_| corrupt(format!("bad version {ver}")))?,
            occurred_at: parse_time(occ, "occurred_at")?,
            recorded_at: parse_time(rec, "recorded_at")?,
            recorded_by: by.to_owned(),
            agency: agency.to_owned(),
            token_id: token.map(|t| parse_uuid(t, "token_id")).transpose()?,
            data: data.to_owned(),
        })
    };
    Ok(event())
}

/// An event as [`EVENT_COLUMNS`] hold it (the text row's columns, then the chain's hashes),
/// its JSON parsed.
fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredEvent, StoreError>> {
    let text = text_row(r)?;
    let (prev_hash, hash): (String, String) = (r.get(12)?, r.get(13)?);
    Ok(text.and_then(|t| {
        let recorded_by = parse_json(&t.recorded_by, "recorded_by")?;
        let data = parse_json(&t.data, "data")?;
        Ok(t.with_json(recorded_by, data, prev_hash, hash))
    }))
}

/// A WAL database in a temporary folder, with a table `t`, and two connections to it: for the
/// tests of what one connection learns of the other's commits (`heads`, `token_reads`).
#[cfg(test)]
fn two_connections() -> (tempfile::TempDir, Connection, Connection) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("two.db");
    let first = Connection::open(&path).expect("open the first connection");
    first
        .execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER);")
        .expect("a WAL database with a table");
    let second = Connection::open(&path).expect("open the second connection");
    (dir, first, second)
}

/// One page of [`EventStore::read_children`], each row made into an `E` by `convert`.
fn read_children_in<E>(
    c: &Connection,
    after: Option<Uuid>,
    limit: usize,
    up_to: GlobalPosition,
    (columns, convert): (&str, RowReader<E>),
) -> Result<Vec<E>, StoreError> {
    // Child ids are kept as lower-case hyphenated text, whose order is the ids' byte order.
    // The page's last child is found first, so the events are then one range scan of the
    // (child_id, sequence) index, in order.
    let mut from = after.map(|a| a.to_string()).unwrap_or_default();
    let limit = limit.clamp(1, i64::MAX as usize) as i64;
    loop {
        let last: Option<String> = c
            .query_row(
                "SELECT max(child_id) FROM (SELECT DISTINCT child_id FROM events \
                 WHERE child_id > ?1 ORDER BY child_id LIMIT ?2)",
                params![from, limit],
                |r| r.get(0),
            )
            .map_err(|e| unavailable("read children", e))?;
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        let (page, bad, _) = query_split(
            c,
            &format!(
                "SELECT {columns} FROM events WHERE child_id > ?1 AND child_id <= ?2 \
                 AND global_position <= ?3 ORDER BY child_id, sequence"
            ),
            params![from, last, up_to.min(i64::MAX as u64) as i64],
            convert,
        )?;
        bad.iter().for_each(Unreadable::log);
        // A range whose every event is unreadable or above `up_to` is passed over, so an
        // empty answer always means no child is left.
        if !page.is_empty() {
            return Ok(page);
        }
        from = last;
    }
}

/// Event rows that could be read back, rows that could not (named, see [`Unreadable`]), and
/// the global position and sequence of the last row of either kind (where a page that left
/// rows out goes on from).
type Split<E = StoredEvent> = (Vec<E>, Vec<Unreadable>, Option<(GlobalPosition, Sequence)>);

fn query_events_split(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Split, StoreError> {
    query_split(conn, sql, params, event_row)
}

/// Makes an `E` of an event's row: the outer error when the row cannot be read at all, the
/// inner when what it holds is not an event.
type RowReader<E> = fn(&rusqlite::Row<'_>) -> rusqlite::Result<Result<E, StoreError>>;

/// [`query_events_split`], each row made into an `E` by `convert`. The query's first four
/// columns are the global position, child id, sequence and event id, which name a row that
/// cannot be read back.
fn query_split<E>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    convert: RowReader<E>,
) -> Result<Split<E>, StoreError> {
    let mut stmt = conn
        .prepare_cached(sql)
        .map_err(|e| unavailable("prepare", e))?;
    let mut rows = stmt.query(params).map_err(|e| unavailable("query", e))?;
    let (mut out, mut bad, mut last) = (Vec::new(), Vec::new(), None);
    while let Some(row) = rows.next().map_err(|e| unavailable("read row", e))? {
        let read = |i: usize| row.get::<_, i64>(i).map_err(|e| unavailable("read row", e));
        let (pos, seq) = (read(0)?, read(2)?);
        last = Some((
            u64::try_from(pos).unwrap_or(0),
            u64::try_from(seq).unwrap_or(0),
        ));
        match convert(row).map_err(|e| unavailable("read row", e))? {
            Ok(e) => out.push(e),
            // Named as far as the row allows.
            Err(e) => {
                let id = |i: usize| {
                    let value = row.get_ref(i).ok()?;
                    Uuid::parse_str(value.as_str().ok()?).ok()
                };
                bad.push(Unreadable {
                    child_id: id(1),
                    sequence: u64::try_from(seq).ok(),
                    event_id: id(3),
                    problem: e.to_string(),
                });
            }
        }
    }
    Ok((out, bad, last))
}

fn head(tx: &Connection, child_id: Uuid) -> Result<Head, StoreError> {
    let row: Option<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT sequence, recorded_at, hash FROM events WHERE child_id = ?1 ORDER BY sequence DESC LIMIT 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([child_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
        })
        .map_err(|e| unavailable("read the stream's head", e))?;
    match row {
        None => Ok(Head::default()),
        Some((seq, rec, hash)) => Ok(Head {
            sequence: u64::try_from(seq)
                .map_err(|_| corrupt(format!("negative sequence {seq}")))?,
            recorded_at: Some(parse_time(&rec, "recorded_at")?),
            hash: Some(hash),
        }),
    }
}

fn insert_event(
    tx: &Connection,
    e: &StoredEvent,
    c: &append::Canonical,
) -> Result<u64, StoreError> {
    let result = tx.prepare_cached(
        "INSERT INTO events (child_id, sequence, event_id, event_type, event_version, occurred_at, \
         recorded_at, recorded_by, agency, token_id, data, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    ).and_then(|mut stmt| stmt.execute(
        params![
            e.child_id.to_string(),
            e.sequence as i64,
            e.event_id.to_string(),
            e.event_type,
            i64::from(e.event_version),
            format_time(e.occurred_at),
            format_time(e.recorded_at),
            c.recorded_by,
            e.agency,
            e.token_id.map(|t| t.to_string()),
            c.data,
            e.prev_hash,
            e.hash,
        ],
    ));
    match result {
        Ok(_) => Ok(tx.last_insert_rowid() as u64),
        Err(rusqlite::Error::SqliteFailure(f, msg))
            if f.code == rusqlite::ErrorCode::ConstraintViolation
                && msg.as_deref().is_some_and(|m| m.contains("event_id")) =>
        {
            Err(StoreError::new(
                StoreErrorKind::DuplicateEventId(e.event_id),
                format!("an event with id {} is already recorded", e.event_id),
            ))
        }
        Err(err) => Err(unavailable("insert event", err)),
    }
}

/// The first answer to an append made with `key`, `IdempotencyKeyReused` if the key was used
/// with another request, `None` if unused; inside an append's transaction or outside one.
/// The tokens with these secret hashes, through one prepared statement.
fn tokens_in(
    c: &Connection,
    secret_hashes: &[impl AsRef<str>],
) -> Result<Vec<TokenRecord>, StoreError> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = ?1"
        ))
        .map_err(|e| unavailable("find token", e))?;
    let mut out = Vec::new();
    for h in secret_hashes {
        let raw = stmt
            .query_row([h.as_ref()], to_token)
            .optional()
            .map_err(|e| unavailable("find token", e))?;
        out.extend(raw.map(token_from).transpose()?);
    }
    Ok(out)
}

fn idempotent_in(
    c: &Connection,
    key: &crate::IdempotencyKey,
) -> Result<Option<Appended>, StoreError> {
    let found: Option<(String, String)> = c
        .prepare_cached(
            "SELECT request_hash, result FROM idempotency WHERE agency = ?1 AND key = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![key.agency, key.key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(|e| unavailable("read idempotency key", e))?;
    let Some((hash, result)) = found else {
        return Ok(None);
    };
    if hash != key.request_hash {
        return Err(StoreError::idempotency_key_reused(&key.key));
    }
    let mut first: Appended = serde_json::from_str(&result)
        .map_err(|e| corrupt(format!("stored idempotent result is not readable: {e}")))?;
    first.replayed = true;
    Ok(Some(first))
}

/// One append in the writer's transaction. `history` holds the given `recorded_at` of each
/// event of a history append ([`crate::HistoricAppend`]); without it the store's clock stamps
/// them.
fn append_in(
    tx: &Transaction<'_>,
    heads: &mut Heads,
    req: AppendRequest,
    prepared: Vec<append::Canonical>,
    now: DateTime<Utc>,
    history: Option<Vec<DateTime<Utc>>>,
) -> Result<Appended, StoreError> {
    append::check_not_empty(&req.events)?;
    if let Some(key) = &req.idempotency
        && let Some(first) = idempotent_in(tx, key)?
    {
        return Ok(first);
    }
    let read;
    let head = match heads.get(req.child_id) {
        Some(remembered) => remembered,
        None => {
            read = head(tx, req.child_id)?;
            &read
        }
    };
    append::check_expected(req.expected, head.sequence)?;
    for claim in &req.claims {
        let holder: Option<String> = tx
            .query_row(
                "SELECT child_id FROM identifiers WHERE kind = ?1 AND value = ?2",
                params![claim.kind, claim.value],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| unavailable("read identifier", e))?;
        match holder {
            Some(h) if h != req.child_id.to_string() => {
                let existing = parse_uuid(&h, "identifier holder")?;
                return Err(StoreError::identifier_taken(&claim.kind, existing));
            }
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO identifiers (kind, value, child_id) VALUES (?1, ?2, ?3)",
                    params![claim.kind, claim.value, req.child_id.to_string()],
                )
                .map_err(|e| unavailable("claim identifier", e))?;
            }
        }
    }
    let (recorded_at, mut events) = append::stamp(
        req.child_id,
        head,
        now,
        req.events,
        &prepared,
        history.as_deref(),
    )?;
    for (e, c) in events.iter_mut().zip(&prepared) {
        e.global_position = insert_event(tx, e, c)?;
    }
    if let Some(last) = events.last() {
        heads.appended(last);
    }
    let appended = Appended {
        child_id: req.child_id,
        events,
        replayed: false,
    };
    if let Some(key) = &req.idempotency {
        let result = serde_json::to_string(&appended)
            .map_err(|e| corrupt(format!("could not serialise the result: {e}")))?;
        tx.execute(
            "INSERT INTO idempotency (agency, key, request_hash, child_id, result, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                key.agency,
                key.key,
                key.request_hash,
                req.child_id.to_string(),
                result,
                format_time(recorded_at)
            ],
        )
        .map_err(|e| unavailable("store idempotency key", e))?;
    }
    Ok(appended)
}

/// A token row as SQLite holds it: id, agency, role, name, secret hash, created, revoked.
type RawToken = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

fn to_token(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawToken> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn token_from(raw: RawToken) -> Result<TokenRecord, StoreError> {
    let (id, agency, role, name, secret_hash, created, revoked) = raw;
    Ok(TokenRecord {
        id: parse_uuid(&id, "token id")?,
        agency,
        role,
        name,
        secret_hash,
        created_at: parse_time(&created, "created_at")?,
        revoked_at: revoked
            .as_deref()
            .map(|t| parse_time(t, "revoked_at"))
            .transpose()?,
    })
}

const TOKEN_COLUMNS: &str = "id, agency, role, name, secret_hash, created_at, revoked_at";

/// A handle that implements [`EventStore`]; cheap to clone.
#[derive(Clone)]
pub struct Sqlite(Arc<SqliteStore>);

impl Sqlite {
    pub fn open(path: impl AsRef<Path>) -> Result<Sqlite, StoreError> {
        Ok(Sqlite(Arc::new(SqliteStore::open(path)?)))
    }

    /// [`Sqlite::open`] with room for `queue_capacity` appends waiting for the writer.
    pub fn open_with_queue(
        path: impl AsRef<Path>,
        queue_capacity: usize,
    ) -> Result<Sqlite, StoreError> {
        Ok(Sqlite(Arc::new(SqliteStore::open_with_queue(
            path,
            queue_capacity,
        )?)))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

#[async_trait]
impl EventStore for Sqlite {
    async fn append(&self, request: AppendRequest) -> Result<Appended, StoreError> {
        storable::check_append(&request)?;
        // Canonical JSON is made here, on the caller's task, so the one writer thread only
        // numbers, hashes and inserts.
        let prepared: Vec<append::Canonical> =
            request.events.iter().map(append::Canonical::of).collect();
        self.0
            .write_heads(move |tx, heads| append_in(tx, heads, request, prepared, Utc::now(), None))
            .await
    }

    async fn append_history(
        &self,
        requests: Vec<crate::HistoricAppend>,
    ) -> Vec<Result<Appended, StoreError>> {
        let futures: Vec<_> = requests
            .into_iter()
            .map(|h| async move {
                storable::check_append(&h.request)?;
                let prepared: Vec<append::Canonical> =
                    h.request.events.iter().map(append::Canonical::of).collect();
                let (request, given) = (h.request, h.recorded_at);
                self.0
                    .write_heads(move |tx, heads| {
                        append_in(tx, heads, request, prepared, Utc::now(), Some(given))
                    })
                    .await
            })
            .collect();
        futures::future::join_all(futures).await
    }

    async fn append_many(&self, requests: Vec<AppendRequest>) -> Vec<Result<Appended, StoreError>> {
        // Submitting them all before awaiting any lets the writer put them in one commit.
        let futures: Vec<_> = requests.into_iter().map(|r| self.append(r)).collect();
        futures::future::join_all(futures).await
    }

    async fn read_stream(
        &self,
        child_id: Uuid,
        after: Sequence,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.0
            .read(move |c| {
                // As in `read_all`: a page that left an unreadable row out is filled from
                // beyond it.
                let mut out = Vec::new();
                let mut from = after;
                loop {
                    let want = limit.saturating_sub(out.len());
                    let (page, bad, last) = query_events_split(
                        c,
                        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE child_id = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3"),
                        params![child_id.to_string(), from as i64, want.min(i64::MAX as usize) as i64],
                    )?;
                    bad.iter().for_each(Unreadable::log);
                    out.extend(page);
                    match last {
                        Some((_, last)) if !bad.is_empty() && out.len() < limit && last > from => from = last,
                        _ => return Ok(out),
                    }
                }
            })
            .await
    }

    async fn stream_sequence(&self, child_id: Uuid) -> Result<Sequence, StoreError> {
        self.0.read(move |c| Ok(head(c, child_id)?.sequence)).await
    }

    async fn read_all(
        &self,
        after: GlobalPosition,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.0
            .read(move |c| {
                // Rows that cannot be read back are left out; the page is filled from beyond
                // them, so a reader is never told it has caught up while readable events
                // remain after an unreadable one.
                let mut out = Vec::new();
                let mut from = after;
                loop {
                    let want = limit.saturating_sub(out.len());
                    let (page, bad, last) = query_events_split(
                        c,
                        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE global_position > ?1 ORDER BY global_position LIMIT ?2"),
                        params![from as i64, want.min(i64::MAX as usize) as i64],
                    )?;
                    bad.iter().for_each(Unreadable::log);
                    out.extend(page);
                    match last {
                        Some((last, _)) if !bad.is_empty() && out.len() < limit && last > from => from = last,
                        _ => return Ok(out),
                    }
                }
            })
            .await
    }

    async fn find_by_identifier(
        &self,
        kind: &str,
        value: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let (kind, value) = (kind.to_owned(), value.to_owned());
        self.0
            .read(move |c| {
                let found: Option<String> = c
                    .query_row(
                        "SELECT child_id FROM identifiers WHERE kind = ?1 AND value = ?2",
                        params![kind, value],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| unavailable("find identifier", e))?;
                found
                    .as_deref()
                    .map(|s| parse_uuid(s, "child_id"))
                    .transpose()
            })
            .await
    }

    async fn verify(&self, child_id: Option<Uuid>) -> Result<Verification, StoreError> {
        self.0
            .read(move |c| {
                let children: Vec<String> = match child_id {
                    Some(id) => vec![id.to_string()],
                    None => {
                        let mut stmt = c
                            .prepare("SELECT DISTINCT child_id FROM events ORDER BY child_id")
                            .map_err(|e| unavailable("verify", e))?;
                        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| unavailable("verify", e))?;
                        rows.collect::<Result<_, _>>().map_err(|e| unavailable("verify", e))?
                    }
                };
                let mut report = Verification::default();
                for child in children {
                    let id = parse_uuid(&child, "child_id")?;
                    let (events, unreadable, _) = query_events_split(
                        c,
                        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE child_id = ?1 ORDER BY sequence"),
                        [child],
                    )?;
                    storable::verify_child(&mut report, id, &events, &unreadable);
                }
                Ok(report)
            })
            .await
    }

    async fn import(&self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        events.iter().try_for_each(storable::check_imported)?;
        self.0
            .write_heads(move |tx, heads| {
                // Streams written other than by an append: no remembered head may outlive it.
                heads.forget();
                let existing: i64 = tx
                    .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
                    .map_err(|e| unavailable("import", e))?;
                if existing > 0 {
                    return Err(StoreError::new(
                        StoreErrorKind::NotEmpty,
                        format!("the store already holds {existing} events: import needs an empty store"),
                    ));
                }
                let mut n = 0;
                for e in &events {
                    tx.execute(
                        &format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
                        params![
                            e.global_position as i64,
                            e.child_id.to_string(),
                            e.sequence as i64,
                            e.event_id.to_string(),
                            e.event_type,
                            i64::from(e.event_version),
                            format_time(e.occurred_at),
                            format_time(e.recorded_at),
                            e.recorded_by.to_string(),
                            e.agency,
                            e.token_id.map(|t| t.to_string()),
                            e.data.to_string(),
                            e.prev_hash,
                            e.hash,
                        ],
                    )
                    .map_err(|err| unavailable(&format!("import event {}", e.event_id), err))?;
                    n += 1;
                }
                Ok(n)
            })
            .await
    }

    async fn idempotency_records(&self) -> Result<Vec<crate::IdempotencyRecord>, StoreError> {
        self.0
            .read(move |c| {
                let mut stmt = c
                    .prepare(
                        "SELECT agency, key, request_hash, child_id, result, created_at \
                         FROM idempotency ORDER BY created_at, agency, key",
                    )
                    .map_err(|e| unavailable("list idempotency keys", e))?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                        ))
                    })
                    .map_err(|e| unavailable("list idempotency keys", e))?;
                let mut out = Vec::new();
                for row in rows {
                    let (agency, key, request_hash, child, result, created) =
                        row.map_err(|e| unavailable("list idempotency keys", e))?;
                    out.push(crate::IdempotencyRecord {
                        agency,
                        key,
                        request_hash,
                        child_id: parse_uuid(&child, "idempotency child_id")?,
                        result: serde_json::from_str(&result).map_err(|e| {
                            corrupt(format!("stored idempotent result is not readable: {e}"))
                        })?,
                        created_at: parse_time(&created, "idempotency created_at")?,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn restore_idempotency(
        &self,
        records: Vec<crate::IdempotencyRecord>,
    ) -> Result<u64, StoreError> {
        self.0
            .write(move |tx| {
                let mut n = 0;
                for r in &records {
                    n += tx
                        .execute(
                            "INSERT OR IGNORE INTO idempotency (agency, key, request_hash, child_id, result, created_at) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![
                                r.agency,
                                r.key,
                                r.request_hash,
                                r.child_id.to_string(),
                                r.result.to_string(),
                                format_time(r.created_at)
                            ],
                        )
                        .map_err(|e| unavailable("restore idempotency key", e))?
                        as u64;
                }
                Ok(n)
            })
            .await
    }

    async fn log_read(&self, entry: ReadLogEntry) -> Result<(), StoreError> {
        self.0
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO read_log (child_id, at, token_id, agency, role, what, person, session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        entry.child_id.to_string(),
                        format_time(entry.at),
                        entry.token_id.map(|t| t.to_string()),
                        entry.agency,
                        entry.role,
                        entry.what,
                        entry.person,
                        entry.session_id.map(|s| s.to_string())
                    ],
                )
                .map_err(|e| unavailable("log read", e))?;
                Ok(())
            })
            .await
    }

    async fn reads(&self, child_id: Uuid) -> Result<Vec<ReadLogEntry>, StoreError> {
        self.0
            .read(move |c| {
                let mut stmt = c
                    .prepare("SELECT at, token_id, agency, role, what, person, session_id FROM read_log WHERE child_id = ?1 ORDER BY id")
                    .map_err(|e| unavailable("reads", e))?;
                let rows = stmt
                    .query_map([child_id.to_string()], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, Option<String>>(5)?, r.get::<_, Option<String>>(6)?))
                    })
                    .map_err(|e| unavailable("reads", e))?;
                let mut out = Vec::new();
                for row in rows {
                    let (at, token, agency, role, what, person, session) = row.map_err(|e| unavailable("reads", e))?;
                    out.push(ReadLogEntry {
                        child_id,
                        at: parse_time(&at, "at")?,
                        token_id: token.as_deref().map(|t| parse_uuid(t, "token_id")).transpose()?,
                        agency,
                        role,
                        what,
                        person,
                        session_id: session.as_deref().map(|s| parse_uuid(s, "session_id")).transpose()?,
                    });
                }
                Ok(out)
            })
            .await
    }

    async fn create_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.0
            .write(move |tx| {
                tx.execute(
                    &format!(
                        "INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                    ),
                    params![
                        token.id.to_string(),
                        token.agency,
                        token.role,
                        token.name,
                        token.secret_hash,
                        format_time(token.created_at),
                        token.revoked_at.map(format_time)
                    ],
                )
                .map_err(|e| unavailable("create token", e))?;
                Ok(())
            })
            .await
    }

    async fn tokens_by_secret_hashes(
        &self,
        secret_hashes: &[String],
    ) -> Result<Vec<TokenRecord>, StoreError> {
        // One borrowed connection and one prepared statement for the whole batch, on this
        // thread (`read_here`).
        self.0.read_here(|c| tokens_in(c, secret_hashes))
    }

    fn token_here(&self, secret_hash: &str) -> Option<Result<Option<TokenRecord>, StoreError>> {
        Some(self.0.token_here(secret_hash))
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.0
            .read(move |c| {
                let mut stmt = c
                    .prepare(&format!(
                        "SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id"
                    ))
                    .map_err(|e| unavailable("list tokens", e))?;
                let rows = stmt
                    .query_map([], to_token)
                    .map_err(|e| unavailable("list tokens", e))?;
                let mut out = Vec::new();
                for row in rows {
                    out.push(token_from(row.map_err(|e| unavailable("list tokens", e))?)?);
                }
                Ok(out)
            })
            .await
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.0
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                        params![id.to_string(), format_time(at)],
                    )
                    .map_err(|e| unavailable("revoke token", e))?;
                Ok(n > 0)
            })
            .await
    }

    async fn create_session(&self, session: SessionRecord) -> Result<(), StoreError> {
        self.0
            .write(move |tx| {
                // Sessions past their absolute expiry can never be used again: forgetting them
                // here keeps the table to the sessions that might still be.
                tx.execute(
                    "DELETE FROM sessions WHERE expires_at < ?1",
                    [format_time(session.created_at)],
                )
                .map_err(|e| unavailable("forget expired sessions", e))?;
                tx.execute(
                    &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                    params![
                        session.id.to_string(),
                        session.secret_hash,
                        session.csrf_token,
                        session.role,
                        session.agency,
                        session.name,
                        session.via,
                        format_time(session.created_at),
                        format_time(session.last_seen_at),
                        format_time(session.expires_at)
                    ],
                )
                .map_err(|e| unavailable("create session", e))?;
                Ok(())
            })
            .await
    }

    async fn session_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let h = secret_hash.to_owned();
        self.0
            .read(move |c| {
                let raw = c
                    .query_row(
                        &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = ?1"),
                        [h],
                        |r| {
                            Ok([
                                r.get::<_, String>(0)?,
                                r.get(1)?,
                                r.get(2)?,
                                r.get(3)?,
                                r.get(4)?,
                                r.get(5)?,
                                r.get(6)?,
                                r.get(7)?,
                                r.get(8)?,
                                r.get(9)?,
                            ])
                        },
                    )
                    .optional()
                    .map_err(|e| unavailable("find session", e))?;
                let Some(
                    [
                        id,
                        secret_hash,
                        csrf_token,
                        role,
                        agency,
                        name,
                        via,
                        created,
                        seen,
                        expires,
                    ],
                ) = raw
                else {
                    return Ok(None);
                };
                Ok(Some(SessionRecord {
                    id: parse_uuid(&id, "session id")?,
                    secret_hash,
                    csrf_token,
                    role,
                    agency,
                    name,
                    via,
                    created_at: parse_time(&created, "created_at")?,
                    last_seen_at: parse_time(&seen, "last_seen_at")?,
                    expires_at: parse_time(&expires, "expires_at")?,
                }))
            })
            .await
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.0
            .write(move |tx| {
                tx.execute(
                    "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
                    params![id.to_string(), format_time(at)],
                )
                .map_err(|e| unavailable("touch session", e))?;
                Ok(())
            })
            .await
    }

    async fn delete_session(&self, id: Uuid) -> Result<bool, StoreError> {
        self.0
            .write(move |tx| {
                let n = tx
                    .execute("DELETE FROM sessions WHERE id = ?1", [id.to_string()])
                    .map_err(|e| unavailable("delete session", e))?;
                Ok(n > 0)
            })
            .await
    }

    async fn create_grant(&self, grant: SigninGrant) -> Result<(), StoreError> {
        self.0
            .write(move |tx| {
                tx.execute(
                    "DELETE FROM signin_grants WHERE expires_at < ?1",
                    [format_time(Utc::now())],
                )
                .map_err(|e| unavailable("forget expired grants", e))?;
                tx.execute(
                    "INSERT INTO signin_grants (secret_hash, purpose, payload, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        grant.secret_hash,
                        grant.purpose,
                        grant.payload,
                        format_time(grant.expires_at)
                    ],
                )
                .map_err(|e| unavailable("create grant", e))?;
                Ok(())
            })
            .await
    }

    async fn take_grant(&self, secret_hash: &str) -> Result<Option<SigninGrant>, StoreError> {
        let h = secret_hash.to_owned();
        self.0
            .write(move |tx| {
                // One statement finds and removes it, in the one writer: a second taker finds
                // nothing.
                let raw = tx
                    .query_row(
                        "DELETE FROM signin_grants WHERE secret_hash = ?1 RETURNING secret_hash, purpose, payload, expires_at",
                        [h],
                        |r| Ok([r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?]),
                    )
                    .optional()
                    .map_err(|e| unavailable("take grant", e))?;
                let Some([secret_hash, purpose, payload, expires]) = raw else {
                    return Ok(None);
                };
                Ok(Some(SigninGrant {
                    secret_hash,
                    purpose,
                    payload,
                    expires_at: parse_time(&expires, "expires_at")?,
                }))
            })
            .await
    }

    async fn checkpoint(&self, name: &str) -> Result<GlobalPosition, StoreError> {
        let name = name.to_owned();
        self.0
            .read(move |c| {
                let p: Option<i64> = c
                    .query_row(
                        "SELECT position FROM checkpoints WHERE name = ?1",
                        [name],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| unavailable("read checkpoint", e))?;
                Ok(p.unwrap_or(0).max(0) as u64)
            })
            .await
    }

    async fn save_checkpoint(&self, name: &str, at: GlobalPosition) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.0
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) \
                     ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                    params![name, at as i64],
                )
                .map_err(|e| unavailable("save checkpoint", e))?;
                Ok(())
            })
            .await
    }

    async fn load_snapshot(
        &self,
        name: &str,
    ) -> Result<Option<(GlobalPosition, Vec<u8>)>, StoreError> {
        let name = name.to_owned();
        self.0
            .read(move |c| {
                c.query_row(
                    "SELECT position, data FROM snapshots WHERE name = ?1",
                    [name],
                    |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get::<_, Vec<u8>>(1)?)),
                )
                .optional()
                .map_err(|e| unavailable("read snapshot", e))
            })
            .await
    }

    async fn save_snapshot(
        &self,
        name: &str,
        position: GlobalPosition,
        data: Vec<u8>,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.0
            .write(move |tx| {
                // Conditional in SQL (see `EventStore::save_snapshot`): a save that reflects
                // fewer events than the stored one leaves it alone.
                tx.execute(
                    "INSERT INTO snapshots (name, position, data, saved_at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (name) DO UPDATE SET position = excluded.position, \
                     data = excluded.data, saved_at = excluded.saved_at \
                     WHERE snapshots.position <= excluded.position",
                    params![name, position as i64, data, format_time(Utc::now())],
                )
                .map_err(|e| unavailable("save snapshot", e))?;
                Ok(())
            })
            .await
    }

    async fn head_position(&self) -> Result<GlobalPosition, StoreError> {
        self.0
            .read(|c| {
                let p: Option<i64> = c
                    .query_row("SELECT max(global_position) FROM events", [], |r| r.get(0))
                    .map_err(|e| unavailable("read head", e))?;
                Ok(p.unwrap_or(0).max(0) as u64)
            })
            .await
    }

    async fn read_children(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: GlobalPosition,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        self.0
            .read(move |c| {
                read_children_in(c, after, limit, up_to, (EVENT_COLUMNS, event_row)).map(Some)
            })
            .await
    }

    async fn read_children_text(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: GlobalPosition,
    ) -> Result<Option<Vec<crate::StoredText>>, StoreError> {
        self.0
            .read(move |c| {
                read_children_in(c, after, limit, up_to, (TEXT_COLUMNS, text_row)).map(Some)
            })
            .await
    }

    async fn load_read_model(&self, name: &str) -> Result<crate::ReadModelRows, StoreError> {
        let name = name.to_owned();
        self.0
            .read(move |c| {
                // One read transaction, so the rows and the position are one moment's.
                let tx = c
                    .unchecked_transaction()
                    .map_err(|e| unavailable("read model", e))?;
                let position = read_model::position(&tx, &name)?;
                let mut rows = Vec::new();
                {
                    let mut stmt = tx
                        .prepare(
                            "SELECT child_id, data FROM read_model_rows WHERE name = ?1 \
                             ORDER BY child_id",
                        )
                        .map_err(|e| unavailable("read model rows", e))?;
                    let mut found = stmt
                        .query([&name])
                        .map_err(|e| unavailable("read model rows", e))?;
                    while let Some(r) = found
                        .next()
                        .map_err(|e| unavailable("read model rows", e))?
                    {
                        let id: String = r.get(0).map_err(|e| unavailable("read model rows", e))?;
                        let data: Vec<u8> =
                            r.get(1).map_err(|e| unavailable("read model rows", e))?;
                        rows.push((parse_uuid(&id, "read model child_id")?, data));
                    }
                }
                tx.commit().map_err(|e| unavailable("read model", e))?;
                Ok((position.unwrap_or(0), rows))
            })
            .await
    }

    async fn save_read_model(
        &self,
        name: &str,
        position: GlobalPosition,
        changed: Vec<(Uuid, Vec<u8>)>,
        removed: Vec<Uuid>,
    ) -> Result<(), StoreError> {
        // Through the writer, whose transaction holds the database's one write lock, so each
        // position check and its writes cannot interleave with another save. The rows come
        // encoded; the writer only inserts them, a piece per job when they are many, so the
        // appends are committed between the pieces (`read_model`).
        let _saving = self.0.read_model_saves.lock().await;
        let mut save = SaveInPieces::new(
            name.to_owned(),
            position,
            changed,
            removed,
            read_model::SAVE_PIECE_BYTES,
        );
        while save.more() {
            let piece;
            let health = Arc::clone(&self.0.health);
            (save, piece) = self
                .0
                .write(move |tx| {
                    let piece = save.write_next(tx, health.restarts())?;
                    Ok((save, piece))
                })
                .await?;
            match piece {
                Piece::Written => {}
                Piece::Behind => return Ok(()),
                // The last job writes every row.
                Piece::Interleaved => break,
            }
        }
        let health = Arc::clone(&self.0.health);
        self.0
            .write(move |tx| save.finish(tx, health.restarts()))
            .await
    }

    async fn save_read_model_rows(
        &self,
        name: &str,
        up_to: GlobalPosition,
        rows: Vec<(Uuid, Vec<u8>)>,
    ) -> Result<bool, StoreError> {
        let name = name.to_owned();
        let _saving = self.0.read_model_saves.lock().await;
        self.0
            .write(move |tx| {
                if read_model::position(tx, &name)?.is_some_and(|p| p > up_to) {
                    return Ok(false);
                }
                read_model::upsert_rows(tx, &name, &rows)?;
                Ok(true)
            })
            .await
    }

    async fn secret(&self, name: &str, init: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let name = name.to_owned();
        self.0
            .write(move |tx| {
                tx.execute(
                    "INSERT OR IGNORE INTO secrets (name, value) VALUES (?1, ?2)",
                    params![name, init],
                )
                .map_err(|e| unavailable("store secret", e))?;
                tx.query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .map_err(|e| unavailable("read secret", e))
            })
            .await
    }

    async fn forget_secret(&self, name: &str) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.0
            .write(move |tx| {
                // Overwrite the freed bytes too, so the secret is not left in the file's free
                // pages for a later copy of the file to carry.
                tx.pragma_update(None, "secure_delete", "ON")
                    .map_err(|e| unavailable("secure_delete", e))?;
                tx.execute("DELETE FROM secrets WHERE name = ?1", [name])
                    .map_err(|e| unavailable("forget secret", e))?;
                Ok(())
            })
            .await?;
        // The page that held it is still in the main file until the WAL is checkpointed; a
        // copy of the file alone (or a process that exits at once) would keep it. A checkpoint
        // that cannot finish now (a long reader) is left to the background one.
        let done = self
            .0
            .read(|c| {
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(|e| unavailable("checkpoint", e))
            })
            .await;
        if !matches!(done, Ok(0)) {
            tracing::warn!("sqlite: the WAL could not be checkpointed after removing a secret");
        }
        Ok(())
    }

    async fn settle(&self) -> Result<(), StoreError> {
        let busy = self
            .0
            .read(|c| {
                c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(|e| unavailable("checkpoint", e))
            })
            .await?;
        if busy != 0 {
            tracing::warn!(
                "sqlite: the WAL could not be emptied (a reader held it); the next open will"
            );
        }
        Ok(())
    }

    async fn idempotent_answer(
        &self,
        key: &crate::IdempotencyKey,
    ) -> Result<Option<Appended>, StoreError> {
        // Asked before every append that carries a key: on this thread (`read_here`).
        self.0.read_here(|c| idempotent_in(c, key))
    }

    fn writer_running(&self) -> bool {
        self.0.writer_running()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.0
            .read(|c| {
                c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                    .map_err(|e| unavailable("ping", e))?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_keeps_a_large_cache_only_past_the_pending_byte_page() {
        // 4 KiB pages: the pending byte is on page 262,145.
        assert_eq!(writer_cache_kib(1, 4096), SMALL_STORE_CACHE_KIB);
        assert_eq!(writer_cache_kib(262_144, 4096), SMALL_STORE_CACHE_KIB);
        assert_eq!(writer_cache_kib(262_145, 4096), LARGE_STORE_CACHE_KIB);
        // 64 KiB pages reach it at page 16,385.
        assert_eq!(writer_cache_kib(16_384, 65_536), SMALL_STORE_CACHE_KIB);
        assert_eq!(writer_cache_kib(16_385, 65_536), LARGE_STORE_CACHE_KIB);
    }

    /// The WAL file is trimmed once, after the same fully copied WAL has been seen at
    /// `QUIET_TICKS_BEFORE_TRIM` checkpoints in a row; an append (the frames moving) or a
    /// checkpoint that could not copy everything starts the count again.
    #[test]
    fn the_wal_is_trimmed_once_after_the_store_goes_quiet() {
        let mut quiet = Quiet::default();
        let ticks = |q: &mut Quiet, n: u32, frames: i64, copied: i64| {
            (0..n).filter(|_| q.trim_now(frames, copied)).count()
        };
        // Busy: the frames move at every look.
        for f in 1..200 {
            assert!(!quiet.trim_now(f * 10, f * 10));
        }
        // Quiet but not all copied (a reader held the copy back): never trimmed.
        assert_eq!(ticks(&mut quiet, 200, 5_000, 4_000), 0);
        // Quiet and copied: trimmed exactly once, at the last of the quiet checkpoints.
        assert_eq!(
            ticks(&mut quiet, QUIET_TICKS_BEFORE_TRIM - 1, 5_000, 5_000),
            0
        );
        assert_eq!(ticks(&mut quiet, 1, 5_000, 5_000), 1);
        assert_eq!(ticks(&mut quiet, 500, 5_000, 5_000), 0);
        // A WAL started over as the appends stopped has no frames but keeps its file: trimmed
        // once too (and once the file is empty, trimming it again costs next to nothing).
        assert_eq!(ticks(&mut quiet, QUIET_TICKS_BEFORE_TRIM + 1, 0, 0), 1);
        assert_eq!(ticks(&mut quiet, 500, 0, 0), 0);
        assert_eq!(ticks(&mut quiet, QUIET_TICKS_BEFORE_TRIM + 1, 30, 30), 1);
        // An append in the middle of the quiet count starts it over.
        assert_eq!(ticks(&mut quiet, QUIET_TICKS_BEFORE_TRIM - 1, 31, 31), 0);
        assert_eq!(ticks(&mut quiet, 1, 32, 32), 0);
        assert_eq!(ticks(&mut quiet, QUIET_TICKS_BEFORE_TRIM, 32, 32), 1);
    }

    /// A setting of the writer's connection on a fresh store.
    fn fresh_writer_setting(pragma: &str) -> i64 {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_writer_connection(&dir.path().join("s.db")).unwrap();
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_writer_keeps_the_wal_file_under_load() {
        assert_eq!(fresh_writer_setting("journal_size_limit"), WAL_KEPT_BYTES);
    }

    /// Frames in the WAL since it last started over, and how many of them are copied.
    fn wal_frames(conn: &Connection) -> (i64, i64) {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })
        .unwrap()
    }

    fn write_rows(conn: &Connection, names: std::ops::Range<u32>) {
        for i in names {
            conn.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?1, 1)",
                [format!("row {i}")],
            )
            .unwrap();
        }
    }

    /// A store's file, migrated, and the writer's connection to it (the folder goes with the
    /// first).
    fn migrated_writer() -> (tempfile::TempDir, PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut conn = open_writer_connection(&path).unwrap();
        migrate::migrate(&mut conn).unwrap();
        (dir, path, conn)
    }

    /// The writer starts the WAL over between groups: what was written stays, the next write
    /// goes to the top, and the writer's connection waits for locks as long as before.
    #[test]
    fn the_writer_starts_the_wal_over_and_keeps_what_was_written() {
        let (_dir, path, conn) = migrated_writer();
        write_rows(&conn, 0..200);
        assert!(wal_frames(&conn).0 >= 200);
        start_wal_over(&conn);
        write_rows(&conn, 200..201);
        let (frames, _) = wal_frames(&conn);
        assert!(frames <= 4, "the WAL started over: {frames} frames");
        assert_eq!(checkpoints(&path), 201);
        let waits: i64 = conn
            .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
            .unwrap();
        assert_eq!(u128::try_from(waits).unwrap(), BUSY_TIMEOUT.as_millis());
    }

    /// A reader of the old frames puts the start over off, briefly (appends wait behind it),
    /// and nothing is lost; once it is done the WAL starts over.
    #[test]
    fn a_reader_puts_the_start_over_off_only_briefly() {
        let (_dir, path, conn) = migrated_writer();
        write_rows(&conn, 0..100);
        let mut reader = open_connection(&path).unwrap();
        let snapshot = reader.transaction().unwrap();
        let seen: i64 = snapshot
            .query_row("SELECT count(*) FROM checkpoints", [], |r| r.get(0))
            .unwrap();
        write_rows(&conn, 100..200);
        let started = std::time::Instant::now();
        start_wal_over(&conn);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        write_rows(&conn, 200..201);
        assert!(wal_frames(&conn).0 > 4, "the reader kept the old frames");
        assert_eq!(seen, 100);
        drop(snapshot);
        start_wal_over(&conn);
        write_rows(&conn, 201..202);
        assert!(wal_frames(&conn).0 <= 4);
        assert_eq!(checkpoints(&path), 202);
    }

    #[test]
    fn a_fresh_store_opens_its_writer_with_the_small_cache() {
        assert_eq!(fresh_writer_setting("cache_size"), -SMALL_STORE_CACHE_KIB);
    }

    fn checkpoint_job(
        name: &'static str,
    ) -> (Job, tokio::sync::oneshot::Receiver<Result<(), StoreError>>) {
        job(move |tx, _| {
            tx.execute(
                "INSERT INTO checkpoints (name, position) VALUES (?1, 1)",
                [name],
            )
            .map_err(|e| unavailable("insert", e))?;
            Ok(())
        })
    }

    fn checkpoints(path: &Path) -> i64 {
        let c = open_connection(path).unwrap();
        c.query_row("SELECT count(*) FROM checkpoints", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_savepoint_that_cannot_be_rolled_back_fails_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("caseline.db");
        let store = SqliteStore::open(&path).unwrap();
        let mut conn = open_writer_connection(&path).unwrap();
        let (before, before_answer) = checkpoint_job("before");
        // Releasing its own savepoint and then failing leaves the writer nothing to roll back
        // to: the insert it made would be committed with the group if the group went on.
        let (broken, broken_answer) = job(|tx, _| {
            tx.execute_batch(
                "INSERT INTO checkpoints (name, position) VALUES ('broken', 1); RELEASE job",
            )
            .map_err(|e| unavailable("insert", e))?;
            Err::<(), _>(StoreError::new(StoreErrorKind::Config, "this job fails"))
        });
        let (after, after_answer) = checkpoint_job("after");
        run_group(&mut conn, vec![before, broken, after], &mut Heads::new(8));
        for answer in [before_answer, broken_answer, after_answer] {
            assert!(
                answer.blocking_recv().unwrap().is_err(),
                "nothing acknowledged"
            );
        }
        assert_eq!(checkpoints(&path), 0, "the whole group was rolled back");
        drop(store);
    }

    #[test]
    fn a_job_whose_savepoint_cannot_open_fails_without_running() {
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let (j, answer) = job(move |_tx, _| {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        let c = j(
            Err(StoreError::new(StoreErrorKind::Unavailable, "no savepoint")),
            &mut Heads::new(8),
        );
        assert!(!c.ok);
        (c.deliver)(None);
        let err = answer.blocking_recv().unwrap().unwrap_err();
        assert_eq!(err.kind(), &StoreErrorKind::Unavailable);
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "the job did not run"
        );
    }

    #[test]
    fn a_failed_job_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("caseline.db");
        let store = SqliteStore::open(&path).unwrap();
        let mut conn = open_writer_connection(&path).unwrap();
        let (a, a_answer) = checkpoint_job("a");
        let (dup, dup_answer) = checkpoint_job("a");
        let (b, b_answer) = checkpoint_job("b");
        run_group(&mut conn, vec![a, dup, b], &mut Heads::new(8));
        assert!(a_answer.blocking_recv().unwrap().is_ok());
        assert!(dup_answer.blocking_recv().unwrap().is_err());
        assert!(b_answer.blocking_recv().unwrap().is_ok());
        assert_eq!(checkpoints(&path), 2);
        drop(store);
    }

    #[tokio::test]
    async fn settling_empties_the_wal_into_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = Sqlite::open(&path).unwrap();
        for n in 0..50 {
            store.save_checkpoint(&format!("c{n}"), n).await.unwrap();
        }
        let wal = || std::fs::metadata(dir.path().join("c.db-wal")).map_or(0, |m| m.len());
        assert!(wal() > 0, "the writes are in the WAL first");
        store.settle().await.unwrap();
        assert_eq!(wal(), 0, "and in the database file once settled");
        assert_eq!(store.checkpoint("c49").await.unwrap(), 49);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_with_busy() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_with_queue(dir.path().join("c.db"), 1).unwrap());
        // The first job holds the writer until released; the second fills the queue.
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .write(move |_tx| {
                        let _ = started_tx.send(());
                        let _ = released.recv();
                        Ok(())
                    })
                    .await
            })
        };
        tokio::task::spawn_blocking(move || started.recv())
            .await
            .unwrap()
            .unwrap();
        let (queued, queued_answer) = job(|_tx, _| Ok(()));
        assert!(store.writer.try_send(queued).is_ok());
        let err = store.write(|_tx| Ok(())).await.unwrap_err();
        assert_eq!(
            err.kind(),
            &StoreErrorKind::Busy {
                retry_after_secs: 1
            }
        );
        release.send(()).unwrap();
        assert!(holder.await.unwrap().is_ok());
        assert!(queued_answer.await.unwrap().is_ok());
        assert!(
            store.write(|_tx| Ok(())).await.is_ok(),
            "room again once drained"
        );
    }

    #[tokio::test]
    async fn a_panicking_writer_is_restarted() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("c.db")).unwrap();
        assert!(store.writer_running());
        let err = store
            .write(|_tx| -> Result<(), StoreError> {
                panic!("a bug in a job (this panic is the test)")
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &StoreErrorKind::Unavailable, "{err}");
        // The next write waits in the queue while the writer restarts, then succeeds.
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO checkpoints (name, position) VALUES ('x', 1)",
                    [],
                )
                .map_err(|e| unavailable("insert", e))?;
                Ok(())
            })
            .await
            .unwrap();
        assert!(store.writer_running());
        assert_eq!(store.health.restarts(), 1);
    }
}
