//! The PostgreSQL backend.
//!
//! Appends go through one writer task per process that owns a dedicated connection and folds
//! whatever is queued into one transaction (group commit), written in a handful of statements
//! whatever its size ([`group`]); a group one of whose statements fails is run again with each
//! request in its own SAVEPOINT, so each gets its own answer.
//! Every writing transaction takes the same transaction-scoped advisory lock before it assigns
//! global positions (`max + 1`), and holds it until commit, so positions grow in commit order
//! even with several Caseline processes on one database: a reader paging by position can never
//! pass over an event that commits later at a lower position. `recorded_at` is the server's
//! `clock_timestamp()` read once per group after the lock is taken, never earlier than the
//! stream's previous one.
//!
//! The writer prepares its statements once per connection ([`Prepared`]): a statement sent as
//! text is prepared again on every use, a round trip each time.
//!
//! The writer's queue is bounded ([`crate::writer::DEFAULT_QUEUE`] by default): a full queue
//! refuses the append at once with [`StoreErrorKind::Busy`]. A panic in the writer task is
//! caught and the writer starts again on a new connection; [`EventStore::writer_running`] is
//! false meanwhile.
//!
//! Reads and the small writes (read log, tokens, checkpoints, secrets) use a connection pool.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, NoTls, Row, Statement, ToStatement};
use uuid::Uuid;

mod group;
mod migrate;

use crate::append::{self, Head};
use crate::storable::{self, Unreadable};
use crate::writer::{self, WriterHealth};
use crate::{
    AppendRequest, Appended, EventStore, GlobalPosition, ReadLogEntry, Sequence, SessionRecord,
    SigninGrant, StoreError, StoreErrorKind, StoredEvent, TokenRecord, Verification,
};

/// The advisory lock every writing transaction holds while it assigns positions.
const WRITE_LOCK: i64 = 0x4341_5345_4c49_4e45; // "CASELINE"
const MAX_GROUP: usize = 512;

/// An append waiting for the writer: the request, the given `recorded_at` of each event when
/// it is history ([`crate::HistoricAppend`]), and where to send the answer.
type Pending = (
    AppendRequest,
    Option<Vec<DateTime<Utc>>>,
    oneshot::Sender<Result<Appended, StoreError>>,
);

/// The PostgreSQL backend; cheap to clone.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
    /// Bounded: `try_send` on a full queue is the store's "busy".
    writer: mpsc::Sender<Pending>,
    queue_capacity: usize,
    health: Arc<WriterHealth>,
}

// The backend's name in front of each of its errors ([`crate::error::unavailable`]).
/// The saved position of the read model `name` (0 if never saved), its row locked for the rest
/// of `tx`: two saves of one model take turns.
async fn locked_read_model_position(
    tx: &tokio_postgres::Transaction<'_>,
    name: &str,
) -> Result<u64, StoreError> {
    tx.execute(
        "INSERT INTO read_models (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
        &[&name],
    )
    .await
    .map_err(|e| unavailable("save read model", e))?;
    let stored: i64 = tx
        .query_one(
            "SELECT position FROM read_models WHERE name = $1 FOR UPDATE",
            &[&name],
        )
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| unavailable("save read model", e))?;
    Ok(stored.max(0) as u64)
}

/// Writes `rows` of the read model `name`, each replacing the child's row if it has one: in
/// chunks, each one statement over arrays, so a rebuild's every child is a few round trips
/// rather than one per child.
async fn upsert_read_model_rows(
    tx: &tokio_postgres::Transaction<'_>,
    name: &str,
    rows: &[(Uuid, Vec<u8>)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(2000) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| *id).collect();
        let data: Vec<&[u8]> = chunk.iter().map(|(_, d)| d.as_slice()).collect();
        tx.execute(
            "INSERT INTO read_model_rows (name, child_id, data) \
             SELECT $1, id, data FROM UNNEST($2::uuid[], $3::bytea[]) AS r (id, data) \
             ON CONFLICT (name, child_id) DO UPDATE SET data = excluded.data",
            &[&name, &ids, &data],
        )
        .await
        .map_err(|e| unavailable("save read model rows", e))?;
    }
    Ok(())
}

fn unavailable(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    crate::error::unavailable("postgres", what, e)
}

fn corrupt(what: String) -> StoreError {
    crate::error::corrupt("postgres", &what)
}

impl Postgres {
    /// Connects, applies migrations and starts the writer task, with a queue of
    /// [`writer::DEFAULT_QUEUE`] appends.
    pub async fn connect(url: &str) -> Result<Postgres, StoreError> {
        Postgres::connect_with_queue(url, writer::DEFAULT_QUEUE).await
    }

    /// [`Postgres::connect`] with room for `queue_capacity` appends waiting for the writer
    /// (at least 1); one more is refused with [`StoreErrorKind::Busy`].
    pub async fn connect_with_queue(
        url: &str,
        queue_capacity: usize,
    ) -> Result<Postgres, StoreError> {
        let queue_capacity = queue_capacity.max(1);
        let config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| {
            StoreError::with_source(StoreErrorKind::Config, format!("postgres: bad URL: {e}"), e)
        })?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| unavailable("build pool", e))?;
        {
            let mut client = pool.get().await.map_err(|e| unavailable("connect", e))?;
            migrate::migrate(&mut client).await?;
        }
        let (tx, rx) = mpsc::channel(queue_capacity);
        let health = WriterHealth::new();
        health.set_running(true);
        tokio::spawn(supervise_writer(config, rx, Arc::clone(&health)));
        Ok(Postgres {
            pool,
            writer: tx,
            queue_capacity,
            health,
        })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(|e| unavailable("connect", e))
    }
}

/// Runs the writer until the store is dropped, starting it again after a panic
/// ([`writer::supervise`]; tokio-postgres rolls back a transaction dropped uncommitted). Each
/// run opens a new connection, since a panic may have left the old one mid-conversation.
async fn supervise_writer(
    config: tokio_postgres::Config,
    rx: mpsc::Receiver<Pending>,
    health: Arc<WriterHealth>,
) {
    let mut state = (config, rx);
    writer::supervise(&mut state, &health, "postgres", |(config, rx)| {
        Box::pin(writer_loop(config, rx))
    })
    .await;
}

async fn writer_loop(config: &tokio_postgres::Config, rx: &mut mpsc::Receiver<Pending>) {
    let mut client: Option<(tokio_postgres::Client, Prepared)> = None;
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        if client.as_ref().is_none_or(|(c, _)| c.is_closed()) {
            let connected = match config.connect(NoTls).await {
                Ok((c, conn)) => {
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::warn!("postgres writer connection ended: {e}");
                        }
                    });
                    Prepared::on(&c).await.map(|st| (c, st))
                }
                Err(e) => Err(e),
            };
            match connected {
                Ok(c) => client = Some(c),
                Err(e) => {
                    let msg = format!(
                        "postgres: the writer cannot connect: {}",
                        crate::error::describe(&e)
                    );
                    for (_, _, reply) in group {
                        let _ = reply.send(Err(StoreError::new(
                            StoreErrorKind::Unavailable,
                            msg.clone(),
                        )));
                    }
                    continue;
                }
            }
        }
        let Some((c, st)) = client.as_mut() else {
            continue;
        };
        metrics::histogram!("caseline_group_commit_size", "backend" => "postgres")
            .record(group.len() as f64);
        if let group::Ran::Again(group, why) = group::run(c, st, group).await {
            // A statement of the group failed (a reused event id, say): nothing was written,
            // and the savepoint path gives each append its own answer.
            tracing::debug!("postgres: the group runs again append by append: {why}");
            run_group(c, st, group).await;
        }
    }
}

/// One group commit, append by append: the path a group takes when [`group::run`] could not
/// write it in one go. Each job runs in its own savepoint. In PostgreSQL any failed statement
/// outside a savepoint aborts the whole transaction, after which `COMMIT` quietly rolls back
/// (it answers `ROLLBACK`, not an error); so if a savepoint cannot be opened or ended the group
/// is rolled back and every waiter gets an error, and before committing the writer checks the
/// transaction still accepts statements. Waiters are answered only once the commit succeeded.
async fn run_group(client: &mut tokio_postgres::Client, st: &Prepared, group: Vec<Pending>) {
    let fail_all = |group: Vec<Pending>, msg: String| {
        for (_, _, reply) in group {
            let _ = reply.send(Err(StoreError::new(
                StoreErrorKind::Unavailable,
                msg.clone(),
            )));
        }
    };
    let mut tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(group, format!("postgres: begin: {e}")),
    };
    if let Err(e) = tx
        .execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await
    {
        return fail_all(group, format!("postgres: lock: {e}"));
    }
    // Read once for the group, under the lock: no other writer can move the position until
    // this transaction ends, and the clock only needs to be the server's.
    let (now, mut last): (DateTime<Utc>, i64) = match tx
        .query_one(&st.clock_and_position, &[])
        .await
        .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    {
        Ok(read) => read,
        Err(e) => return fail_all(group, format!("postgres: read the clock and position: {e}")),
    };
    let mut results = Vec::with_capacity(group.len());
    let mut pending = group.into_iter();
    let mut lost: Option<String> = None;
    for (request, history, reply) in pending.by_ref() {
        let sp = match tx.savepoint("job").await {
            Ok(sp) => sp,
            Err(e) => {
                lost = Some(format!("postgres: open a savepoint: {e}"));
                results.push((Err(unavailable("open a savepoint", e)), reply));
                break;
            }
        };
        let result = append_in(&sp, st, now, last, request, history).await;
        let end = if result.is_ok() {
            sp.commit().await
        } else {
            sp.rollback().await
        };
        if let Err(e) = end {
            lost = Some(format!("postgres: end a savepoint: {e}"));
            results.push((Err(unavailable("end a savepoint", e)), reply));
            break;
        }
        if let Ok(appended) = &result
            && !appended.replayed
        {
            last += appended.events.len() as i64;
        }
        results.push((result, reply));
    }
    // Jobs after a lost one never ran; they share the group's fate.
    let not_run: Vec<Pending> = pending.collect();
    match finish(tx, &st.probe, lost).await {
        Ok(()) => {
            for (result, reply) in results {
                let _ = reply.send(result);
            }
        }
        Err(why) => {
            tracing::error!("{why}; nothing in the group was written");
            let all = results
                .into_iter()
                .map(|(r, reply)| (Some(r), reply))
                .chain(not_run.into_iter().map(|(_, _, reply)| (None, reply)));
            for (result, reply) in all {
                let _ = reply.send(Err(group_failed(result, &why)));
            }
        }
    }
}

/// Ends a group's transaction: rolls it back if the group was `lost`, otherwise commits it,
/// but only after `probe` (`SELECT 1`) shows the transaction is not aborted. An aborted
/// transaction refuses every statement, while its `COMMIT` answers `ROLLBACK` without an
/// error: committing blind would acknowledge appends that were never written.
async fn finish(
    tx: tokio_postgres::Transaction<'_>,
    probe: &Statement,
    lost: Option<String>,
) -> Result<(), String> {
    let lost = match lost {
        Some(why) => Some(why),
        None => tx
            .query_one(probe, &[])
            .await
            .err()
            .map(|e| format!("postgres: the transaction was aborted: {e}")),
    };
    match lost {
        Some(why) => {
            if let Err(e) = tx.rollback().await {
                tracing::error!("postgres: rolling back the group failed: {e}");
            }
            Err(why)
        }
        None => tx
            .commit()
            .await
            .map_err(|e| format!("postgres: commit: {}", crate::error::describe(&e))),
    }
}

/// The answer for a job whose group was rolled back: its own error if it had one (nothing of
/// it was written either way), otherwise the group's.
fn group_failed(own: Option<Result<Appended, StoreError>>, why: &str) -> StoreError {
    match own {
        Some(Err(e)) => e,
        _ => StoreError::new(StoreErrorKind::Unavailable, why.to_owned()),
    }
}

/// A row of [`READ_COLUMNS`]: [`to_text`] with the JSON parsed and the chain's hashes, as
/// SQLite's reader does (tokio-postgres would parse `jsonb` from the same text).
fn to_event(r: &Row) -> Result<StoredEvent, StoreError> {
    let text = to_text(r)?;
    let json = |t: &str, what: &str| {
        serde_json::from_str(t).map_err(|e| corrupt(format!("{what} is not JSON: {e}")))
    };
    let recorded_by = json(&text.recorded_by, "recorded_by")?;
    let data = json(&text.data, "data")?;
    let hash = |i: usize, what: &str| -> Result<String, StoreError> {
        r.try_get(i).map_err(|e| corrupt(format!("{what}: {e}")))
    };
    let (prev_hash, hash) = (hash(12, "prev_hash")?, hash(13, "hash")?);
    Ok(text.with_json(recorded_by, data, prev_hash, hash))
}

/// One page of [`EventStore::read_children`], each row made into an `E` by `convert`.
async fn read_children_in<E>(
    c: &deadpool_postgres::ClientWrapper,
    after: Option<Uuid>,
    limit: usize,
    up_to: GlobalPosition,
    convert: fn(&Row) -> Result<E, StoreError>,
) -> Result<Vec<E>, StoreError> {
    let limit = limit.clamp(1, i64::MAX as usize) as i64;
    let up_to = up_to.min(i64::MAX as u64) as i64;
    // `uuid` orders by bytes; the nil id sorts first, and no child has it, so `>=` it
    // starts from the first child.
    let (mut from, mut inclusive) = match after {
        Some(a) => (a, false),
        None => (Uuid::nil(), true),
    };
    loop {
        let op = if inclusive { ">=" } else { ">" };
        // (PostgreSQL has no `max(uuid)`.)
        let last: Option<Uuid> = c
            .query_opt(
                &format!(
                    "SELECT child_id FROM (SELECT DISTINCT child_id FROM events \
                         WHERE child_id {op} $1 ORDER BY child_id LIMIT $2) AS page \
                         ORDER BY child_id DESC LIMIT 1"
                ),
                &[&from, &limit],
            )
            .await
            .map_err(|e| unavailable("read children", e))?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?;
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        let rows = c
            .query(
                &format!(
                    "SELECT {READ_COLUMNS} FROM events WHERE child_id {op} $1 AND child_id <= $2 \
                         AND global_position <= $3 ORDER BY child_id, sequence"
                ),
                &[&from, &last, &up_to],
            )
            .await
            .map_err(|e| unavailable("read children", e))?;
        let (page, bad) = split_rows(&rows, convert);
        bad.iter().for_each(Unreadable::log);
        // A range whose every event is unreadable or above `up_to` is passed over, so an
        // empty answer always means no child is left.
        if !page.is_empty() {
            return Ok(page);
        }
        (from, inclusive) = (last, false);
    }
}

/// Rows that could be read back and rows that could not (named, see [`Unreadable`]): a
/// `timestamptz` of `infinity`, say, has no value in Rust's time types. Reads leave the latter
/// out rather than fail whole.
fn split_events(rows: &[Row]) -> (Vec<StoredEvent>, Vec<Unreadable>) {
    split_rows(rows, to_event)
}

/// [`split_events`], each row made into an `E` by `convert`.
fn split_rows<E>(
    rows: &[Row],
    convert: fn(&Row) -> Result<E, StoreError>,
) -> (Vec<E>, Vec<Unreadable>) {
    let (mut out, mut bad) = (Vec::new(), Vec::new());
    for r in rows {
        match convert(r) {
            Ok(e) => out.push(e),
            Err(e) => bad.push(Unreadable {
                child_id: r.try_get(1).ok(),
                sequence: r
                    .try_get::<_, i64>(2)
                    .ok()
                    .and_then(|s| u64::try_from(s).ok()),
                event_id: r.try_get(3).ok(),
                problem: e.to_string(),
            }),
        }
    }
    (out, bad)
}

const EVENT_COLUMNS: &str = "global_position, child_id, sequence, event_id, event_type, event_version, \
     occurred_at, recorded_at, recorded_by, agency, token_id, data, prev_hash, hash";

/// [`EVENT_COLUMNS`] as every read selects them: the JSON as the text PostgreSQL prints it, which
/// a scan parses straight into the domain's types ([`to_text`]) and other reads into values
/// ([`to_event`]).
const READ_COLUMNS: &str = "global_position, child_id, sequence, event_id, event_type, event_version, \
     occurred_at, recorded_at, recorded_by::text, agency, token_id, data::text, prev_hash, hash";

/// A row of [`READ_COLUMNS`], its JSON left as text and its hashes left out.
fn to_text(r: &Row) -> Result<crate::StoredText, StoreError> {
    let get_i64 = |i: usize| {
        r.try_get::<_, i64>(i)
            .map_err(|e| corrupt(format!("column {i}: {e}")))
    };
    let get = |i: usize, what: &str| -> Result<String, StoreError> {
        r.try_get(i).map_err(|e| corrupt(format!("{what}: {e}")))
    };
    Ok(crate::StoredText {
        global_position: u64::try_from(get_i64(0)?)
            .map_err(|_| corrupt("negative position".into()))?,
        child_id: r
            .try_get(1)
            .map_err(|e| corrupt(format!("child_id: {e}")))?,
        sequence: u64::try_from(get_i64(2)?).map_err(|_| corrupt("negative sequence".into()))?,
        event_id: r
            .try_get(3)
            .map_err(|e| corrupt(format!("event_id: {e}")))?,
        event_type: get(4, "event_type")?,
        event_version: u32::try_from(
            r.try_get::<_, i32>(5)
                .map_err(|e| corrupt(format!("version: {e}")))?,
        )
        .map_err(|_| corrupt("negative version".into()))?,
        occurred_at: r
            .try_get(6)
            .map_err(|e| corrupt(format!("occurred_at: {e}")))?,
        recorded_at: r
            .try_get(7)
            .map_err(|e| corrupt(format!("recorded_at: {e}")))?,
        recorded_by: get(8, "recorded_by")?,
        agency: get(9, "agency")?,
        token_id: r
            .try_get(10)
            .map_err(|e| corrupt(format!("token_id: {e}")))?,
        data: get(11, "data")?,
    })
}

const HEAD: &str = "SELECT sequence, recorded_at, hash FROM events WHERE child_id = $1 ORDER BY sequence DESC LIMIT 1";
const IDEMPOTENCY: &str =
    "SELECT request_hash, result FROM idempotency WHERE agency = $1 AND key = $2";
const IDENTIFIER_HOLDER: &str = "SELECT child_id FROM identifiers WHERE kind = $1 AND value = $2";
const CLAIM_IDENTIFIER: &str =
    "INSERT INTO identifiers (kind, value, child_id) VALUES ($1, $2, $3)";
const REMEMBER_ANSWER: &str = "INSERT INTO idempotency (agency, key, request_hash, child_id, result, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
const CLOCK_AND_POSITION: &str =
    "SELECT clock_timestamp(), COALESCE(MAX(global_position), 0) FROM events";

fn insert_event_sql() -> String {
    format!(
        "INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )
}

/// The writer's statements, prepared on its connection when it connects.
struct Prepared {
    head: Statement,
    idempotency: Statement,
    identifier_holder: Statement,
    claim_identifier: Statement,
    insert_event: Statement,
    remember_answer: Statement,
    clock_and_position: Statement,
    probe: Statement,
    group: group::Statements,
}

impl Prepared {
    async fn on(c: &tokio_postgres::Client) -> Result<Prepared, tokio_postgres::Error> {
        Ok(Prepared {
            head: c.prepare(HEAD).await?,
            idempotency: c.prepare(IDEMPOTENCY).await?,
            identifier_holder: c.prepare(IDENTIFIER_HOLDER).await?,
            claim_identifier: c.prepare(CLAIM_IDENTIFIER).await?,
            insert_event: c.prepare(&insert_event_sql()).await?,
            remember_answer: c.prepare(REMEMBER_ANSWER).await?,
            clock_and_position: c.prepare(CLOCK_AND_POSITION).await?,
            probe: c.prepare("SELECT 1").await?,
            group: group::Statements::on(c).await?,
        })
    }
}

async fn head<S>(c: &impl GenericClient, statement: &S, child_id: Uuid) -> Result<Head, StoreError>
where
    S: ?Sized + ToStatement + Sync + Send,
{
    let row = c
        .query_opt(statement, &[&child_id])
        .await
        .map_err(|e| unavailable("read the stream's head", e))?;
    match row {
        None => Ok(Head::default()),
        Some(r) => Ok(Head {
            sequence: u64::try_from(r.try_get::<_, i64>(0).map_err(|e| corrupt(e.to_string()))?)
                .map_err(|_| corrupt("negative sequence".into()))?,
            recorded_at: Some(r.try_get(1).map_err(|e| corrupt(e.to_string()))?),
            hash: Some(r.try_get(2).map_err(|e| corrupt(e.to_string()))?),
        }),
    }
}

async fn insert_event<S>(
    c: &impl GenericClient,
    statement: &S,
    e: &StoredEvent,
) -> Result<(), StoreError>
where
    S: ?Sized + ToStatement + Sync + Send,
{
    let params: [&(dyn ToSql + Sync); 14] = [
        &(e.global_position as i64),
        &e.child_id,
        &(e.sequence as i64),
        &e.event_id,
        &e.event_type,
        &(e.event_version as i32),
        &e.occurred_at,
        &e.recorded_at,
        &e.recorded_by,
        &e.agency,
        &e.token_id,
        &e.data,
        &e.prev_hash,
        &e.hash,
    ];
    let result = c.execute(statement, &params).await;
    match result {
        Ok(_) => Ok(()),
        Err(err)
            if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
                && err
                    .as_db_error()
                    .and_then(|d| d.constraint())
                    .is_some_and(|c| c.contains("event_id")) =>
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
async fn idempotent_in<C, S>(
    c: &C,
    statement: &S,
    key: &crate::IdempotencyKey,
) -> Result<Option<Appended>, StoreError>
where
    C: tokio_postgres::GenericClient,
    S: ?Sized + ToStatement + Sync + Send,
{
    let found = c
        .query_opt(statement, &[&key.agency, &key.key])
        .await
        .map_err(|e| unavailable("read idempotency key", e))?;
    let Some(row) = found else { return Ok(None) };
    let hash: String = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
    if hash != key.request_hash {
        return Err(StoreError::idempotency_key_reused(&key.key));
    }
    let result: serde_json::Value = row.try_get(1).map_err(|e| corrupt(e.to_string()))?;
    let mut first: Appended = serde_json::from_value(result)
        .map_err(|e| corrupt(format!("stored idempotent result is not readable: {e}")))?;
    first.replayed = true;
    Ok(Some(first))
}

/// One append inside the group's transaction: `now` is the group's clock reading and `last`
/// the highest global position so far (the group's reading plus what earlier jobs added).
async fn append_in(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Prepared,
    now: DateTime<Utc>,
    last: i64,
    req: AppendRequest,
    history: Option<Vec<DateTime<Utc>>>,
) -> Result<Appended, StoreError> {
    append::check_not_empty(&req.events)?;
    if let Some(key) = &req.idempotency
        && let Some(first) = idempotent_in(tx, &st.idempotency, key).await?
    {
        return Ok(first);
    }
    let head = head(tx, &st.head, req.child_id).await?;
    append::check_expected(req.expected, head.sequence)?;
    for claim in &req.claims {
        let holder = tx
            .query_opt(&st.identifier_holder, &[&claim.kind, &claim.value])
            .await
            .map_err(|e| unavailable("read identifier", e))?;
        match holder {
            Some(row) => {
                let existing: Uuid = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
                if existing != req.child_id {
                    return Err(StoreError::identifier_taken(&claim.kind, existing));
                }
            }
            None => {
                tx.execute(
                    &st.claim_identifier,
                    &[&claim.kind, &claim.value, &req.child_id],
                )
                .await
                .map_err(|e| unavailable("claim identifier", e))?;
            }
        }
    }
    let prepared: Vec<append::Canonical> = req.events.iter().map(append::Canonical::of).collect();
    let (recorded_at, mut events) = append::stamp(
        req.child_id,
        &head,
        now,
        req.events,
        &prepared,
        history.as_deref(),
    )?;
    for (i, e) in events.iter_mut().enumerate() {
        e.global_position = last as u64 + i as u64 + 1;
        insert_event(tx, &st.insert_event, e).await?;
    }
    let appended = Appended {
        child_id: req.child_id,
        events,
        replayed: false,
    };
    if let Some(key) = &req.idempotency {
        let result = serde_json::to_value(&appended)
            .map_err(|e| corrupt(format!("could not serialise the result: {e}")))?;
        tx.execute(
            &st.remember_answer,
            &[
                &key.agency,
                &key.key,
                &key.request_hash,
                &req.child_id,
                &result,
                &recorded_at,
            ],
        )
        .await
        .map_err(|e| unavailable("store idempotency key", e))?;
    }
    Ok(appended)
}

fn to_token(r: &Row) -> Result<TokenRecord, StoreError> {
    let c = |e: tokio_postgres::Error| corrupt(format!("token row: {e}"));
    Ok(TokenRecord {
        id: r.try_get(0).map_err(c)?,
        agency: r.try_get(1).map_err(c)?,
        role: r.try_get(2).map_err(c)?,
        name: r.try_get(3).map_err(c)?,
        secret_hash: r.try_get(4).map_err(c)?,
        created_at: r.try_get(5).map_err(c)?,
        revoked_at: r.try_get(6).map_err(c)?,
    })
}

const SESSION_COLUMNS: &str =
    "id, secret_hash, csrf_token, role, agency, name, via, created_at, last_seen_at, expires_at";

const TOKEN_COLUMNS: &str = "id, agency, role, name, secret_hash, created_at, revoked_at";

impl Postgres {
    /// Queues an append (with its given times when it is history) for the writer and waits
    /// for the answer.
    async fn submit(
        &self,
        request: AppendRequest,
        history: Option<Vec<DateTime<Utc>>>,
    ) -> Result<Appended, StoreError> {
        storable::check_append(&request)?;
        let (reply, answer) = oneshot::channel();
        self.writer
            .try_send((request, history, reply))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => writer::busy("postgres", self.queue_capacity),
                mpsc::error::TrySendError::Closed(_) => StoreError::new(
                    StoreErrorKind::Unavailable,
                    "postgres: the writer task has stopped",
                ),
            })?;
        answer.await.map_err(|_| {
            StoreError::new(
                StoreErrorKind::Unavailable,
                "postgres: the writer stopped before answering",
            )
        })?
    }
}

#[async_trait]
impl EventStore for Postgres {
    async fn append(&self, request: AppendRequest) -> Result<Appended, StoreError> {
        self.submit(request, None).await
    }

    async fn append_history(
        &self,
        requests: Vec<crate::HistoricAppend>,
    ) -> Vec<Result<Appended, StoreError>> {
        let futures: Vec<_> = requests
            .into_iter()
            .map(|h| self.submit(h.request, Some(h.recorded_at)))
            .collect();
        futures::future::join_all(futures).await
    }

    async fn append_many(&self, requests: Vec<AppendRequest>) -> Vec<Result<Appended, StoreError>> {
        let futures: Vec<_> = requests.into_iter().map(|r| self.append(r)).collect();
        futures::future::join_all(futures).await
    }

    async fn read_stream(
        &self,
        child_id: Uuid,
        after: Sequence,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let c = self.client().await?;
        read_filled(&c, Some(&child_id), after, limit, "read stream").await
    }

    async fn stream_sequence(&self, child_id: Uuid) -> Result<Sequence, StoreError> {
        let c = self.client().await?;
        Ok(head(&**c, HEAD, child_id).await?.sequence)
    }

    async fn read_all(
        &self,
        after: GlobalPosition,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let c = self.client().await?;
        read_filled(&c, None, after, limit, "read all").await
    }

    async fn find_by_identifier(
        &self,
        kind: &str,
        value: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT child_id FROM identifiers WHERE kind = $1 AND value = $2",
                &[&kind, &value],
            )
            .await
            .map_err(|e| unavailable("find identifier", e))?;
        row.map(|r| r.try_get(0).map_err(|e| corrupt(e.to_string())))
            .transpose()
    }

    async fn verify(&self, child_id: Option<Uuid>) -> Result<Verification, StoreError> {
        let c = self.client().await?;
        let children: Vec<Uuid> = match child_id {
            Some(id) => vec![id],
            None => c
                .query(
                    "SELECT DISTINCT child_id FROM events ORDER BY child_id",
                    &[],
                )
                .await
                .map_err(|e| unavailable("verify", e))?
                .iter()
                .map(|r| r.try_get(0).map_err(|e| corrupt(e.to_string())))
                .collect::<Result<_, _>>()?,
        };
        let mut report = Verification::default();
        for child in children {
            let rows = c
                .query(
                    &format!(
                        "SELECT {READ_COLUMNS} FROM events WHERE child_id = $1 ORDER BY sequence"
                    ),
                    &[&child],
                )
                .await
                .map_err(|e| unavailable("verify", e))?;
            let (events, unreadable) = split_events(&rows);
            storable::verify_child(&mut report, child, &events, &unreadable);
        }
        Ok(report)
    }

    async fn import(&self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        events.iter().try_for_each(storable::check_imported)?;
        let mut c = self.client().await?;
        let tx = c
            .transaction()
            .await
            .map_err(|e| unavailable("import", e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .await
            .map_err(|e| unavailable("import", e))?;
        let existing: i64 = tx
            .query_one("SELECT COUNT(*) FROM events", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| unavailable("import", e))?;
        if existing > 0 {
            return Err(StoreError::new(
                StoreErrorKind::NotEmpty,
                format!("the store already holds {existing} events: import needs an empty store"),
            ));
        }
        let insert = insert_event_sql();
        for e in &events {
            insert_event(&*tx, insert.as_str(), e).await?;
        }
        tx.commit().await.map_err(|e| unavailable("import", e))?;
        Ok(events.len() as u64)
    }

    async fn idempotency_records(&self) -> Result<Vec<crate::IdempotencyRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT agency, key, request_hash, child_id, result, created_at \
                 FROM idempotency ORDER BY created_at, agency, key",
                &[],
            )
            .await
            .map_err(|e| unavailable("list idempotency keys", e))?;
        rows.iter()
            .map(|r| {
                let c = |e: tokio_postgres::Error| corrupt(format!("idempotency row: {e}"));
                Ok(crate::IdempotencyRecord {
                    agency: r.try_get(0).map_err(c)?,
                    key: r.try_get(1).map_err(c)?,
                    request_hash: r.try_get(2).map_err(c)?,
                    child_id: r.try_get(3).map_err(c)?,
                    result: r.try_get(4).map_err(c)?,
                    created_at: r.try_get(5).map_err(c)?,
                })
            })
            .collect()
    }

    async fn restore_idempotency(
        &self,
        records: Vec<crate::IdempotencyRecord>,
    ) -> Result<u64, StoreError> {
        let mut c = self.client().await?;
        let tx = c
            .transaction()
            .await
            .map_err(|e| unavailable("restore idempotency keys", e))?;
        let mut n = 0;
        for r in &records {
            n += tx
                .execute(
                    "INSERT INTO idempotency (agency, key, request_hash, child_id, result, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agency, key) DO NOTHING",
                    &[&r.agency, &r.key, &r.request_hash, &r.child_id, &r.result, &r.created_at],
                )
                .await
                .map_err(|e| unavailable("restore idempotency key", e))?;
        }
        tx.commit()
            .await
            .map_err(|e| unavailable("restore idempotency keys", e))?;
        Ok(n)
    }

    async fn log_read(&self, entry: ReadLogEntry) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO read_log (child_id, at, token_id, agency, role, what, person, session_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&entry.child_id, &entry.at, &entry.token_id, &entry.agency, &entry.role, &entry.what, &entry.person, &entry.session_id],
        )
        .await
        .map_err(|e| unavailable("log read", e))?;
        Ok(())
    }

    async fn reads(&self, child_id: Uuid) -> Result<Vec<ReadLogEntry>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query("SELECT at, token_id, agency, role, what, person, session_id FROM read_log WHERE child_id = $1 ORDER BY id", &[&child_id])
            .await
            .map_err(|e| unavailable("reads", e))?;
        rows.iter()
            .map(|r| {
                let c = |e: tokio_postgres::Error| corrupt(format!("read log row: {e}"));
                Ok(ReadLogEntry {
                    child_id,
                    at: r.try_get(0).map_err(c)?,
                    token_id: r.try_get(1).map_err(c)?,
                    agency: r.try_get(2).map_err(c)?,
                    role: r.try_get(3).map_err(c)?,
                    what: r.try_get(4).map_err(c)?,
                    person: r.try_get(5).map_err(c)?,
                    session_id: r.try_get(6).map_err(c)?,
                })
            })
            .collect()
    }

    async fn create_token(&self, t: TokenRecord) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            &format!("INSERT INTO tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &t.id,
                &t.agency,
                &t.role,
                &t.name,
                &t.secret_hash,
                &t.created_at,
                &t.revoked_at,
            ],
        )
        .await
        .map_err(|e| unavailable("create token", e))?;
        Ok(())
    }

    async fn tokens_by_secret_hashes(
        &self,
        secret_hashes: &[String],
    ) -> Result<Vec<TokenRecord>, StoreError> {
        let c = self.client().await?;
        let statement = c
            .prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens WHERE secret_hash = ANY($1)"
            ))
            .await
            .map_err(|e| unavailable("find tokens", e))?;
        let rows = c
            .query(&statement, &[&secret_hashes])
            .await
            .map_err(|e| unavailable("find tokens", e))?;
        rows.iter().map(to_token).collect()
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id"),
                &[],
            )
            .await
            .map_err(|e| unavailable("list tokens", e))?;
        rows.iter().map(to_token).collect()
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                &[&id, &at],
            )
            .await
            .map_err(|e| unavailable("revoke token", e))?;
        Ok(n > 0)
    }

    async fn create_session(&self, s: SessionRecord) -> Result<(), StoreError> {
        let c = self.client().await?;
        // Sessions past their absolute expiry can never be used again: forgetting them here
        // keeps the table to the sessions that might still be.
        c.execute(
            "DELETE FROM sessions WHERE expires_at < $1",
            &[&s.created_at],
        )
        .await
        .map_err(|e| unavailable("forget expired sessions", e))?;
        c.execute(
            &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
            &[
                &s.id,
                &s.secret_hash,
                &s.csrf_token,
                &s.role,
                &s.agency,
                &s.name,
                &s.via,
                &s.created_at,
                &s.last_seen_at,
                &s.expires_at,
            ],
        )
        .await
        .map_err(|e| unavailable("create session", e))?;
        Ok(())
    }

    async fn session_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE secret_hash = $1"),
                &[&secret_hash],
            )
            .await
            .map_err(|e| unavailable("find session", e))?;
        let Some(r) = row else { return Ok(None) };
        let c = |e: tokio_postgres::Error| corrupt(format!("session row: {e}"));
        Ok(Some(SessionRecord {
            id: r.try_get(0).map_err(c)?,
            secret_hash: r.try_get(1).map_err(c)?,
            csrf_token: r.try_get(2).map_err(c)?,
            role: r.try_get(3).map_err(c)?,
            agency: r.try_get(4).map_err(c)?,
            name: r.try_get(5).map_err(c)?,
            via: r.try_get(6).map_err(c)?,
            created_at: r.try_get(7).map_err(c)?,
            last_seen_at: r.try_get(8).map_err(c)?,
            expires_at: r.try_get(9).map_err(c)?,
        }))
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2",
            &[&id, &at],
        )
        .await
        .map_err(|e| unavailable("touch session", e))?;
        Ok(())
    }

    async fn delete_session(&self, id: Uuid) -> Result<bool, StoreError> {
        let c = self.client().await?;
        let n = c
            .execute("DELETE FROM sessions WHERE id = $1", &[&id])
            .await
            .map_err(|e| unavailable("delete session", e))?;
        Ok(n > 0)
    }

    async fn create_grant(&self, g: SigninGrant) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM signin_grants WHERE expires_at < $1",
            &[&Utc::now()],
        )
        .await
        .map_err(|e| unavailable("forget expired grants", e))?;
        c.execute(
            "INSERT INTO signin_grants (secret_hash, purpose, payload, expires_at) VALUES ($1, $2, $3, $4)",
            &[&g.secret_hash, &g.purpose, &g.payload, &g.expires_at],
        )
        .await
        .map_err(|e| unavailable("create grant", e))?;
        Ok(())
    }

    async fn take_grant(&self, secret_hash: &str) -> Result<Option<SigninGrant>, StoreError> {
        let c = self.client().await?;
        // One statement finds and removes it: of two takers at once, one gets the row.
        let row = c
            .query_opt(
                "DELETE FROM signin_grants WHERE secret_hash = $1 RETURNING secret_hash, purpose, payload, expires_at",
                &[&secret_hash],
            )
            .await
            .map_err(|e| unavailable("take grant", e))?;
        let Some(r) = row else { return Ok(None) };
        let c = |e: tokio_postgres::Error| corrupt(format!("grant row: {e}"));
        Ok(Some(SigninGrant {
            secret_hash: r.try_get(0).map_err(c)?,
            purpose: r.try_get(1).map_err(c)?,
            payload: r.try_get(2).map_err(c)?,
            expires_at: r.try_get(3).map_err(c)?,
        }))
    }

    async fn checkpoint(&self, name: &str) -> Result<GlobalPosition, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt("SELECT position FROM checkpoints WHERE name = $1", &[&name])
            .await
            .map_err(|e| unavailable("read checkpoint", e))?;
        let p: i64 = match row {
            Some(r) => r.try_get(0).map_err(|e| corrupt(e.to_string()))?,
            None => 0,
        };
        Ok(p.max(0) as u64)
    }

    async fn save_checkpoint(&self, name: &str, at: GlobalPosition) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            &[&name, &(at as i64)],
        )
        .await
        .map_err(|e| unavailable("save checkpoint", e))?;
        Ok(())
    }

    async fn load_snapshot(
        &self,
        name: &str,
    ) -> Result<Option<(GlobalPosition, Vec<u8>)>, StoreError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT position, data FROM snapshots WHERE name = $1",
                &[&name],
            )
            .await
            .map_err(|e| unavailable("read snapshot", e))?;
        let Some(row) = row else { return Ok(None) };
        let position: i64 = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let data: Vec<u8> = row.try_get(1).map_err(|e| corrupt(e.to_string()))?;
        Ok(Some((position.max(0) as u64, data)))
    }

    async fn save_snapshot(
        &self,
        name: &str,
        position: GlobalPosition,
        data: Vec<u8>,
    ) -> Result<(), StoreError> {
        let c = self.client().await?;
        // Conditional in SQL (see `EventStore::save_snapshot`): a save that reflects fewer
        // events than the stored one leaves it alone. The row lock ON CONFLICT takes makes
        // two racing saves compare against each other, not against a stale read.
        c.execute(
            "INSERT INTO snapshots (name, position, data) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET position = excluded.position, data = excluded.data, saved_at = clock_timestamp() WHERE snapshots.position <= excluded.position",
            &[&name, &(position as i64), &data],
        )
        .await
        .map_err(|e| unavailable("save snapshot", e))?;
        Ok(())
    }

    async fn head_position(&self) -> Result<GlobalPosition, StoreError> {
        // Positions are assigned under the write lock and committed in order, so the highest
        // one visible has every lower one committed before it.
        let c = self.client().await?;
        let p: Option<i64> = c
            .query_one("SELECT max(global_position) FROM events", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| unavailable("read head", e))?;
        Ok(p.unwrap_or(0).max(0) as u64)
    }

    async fn read_children(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: GlobalPosition,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let c = self.client().await?;
        read_children_in(&c, after, limit, up_to, to_event)
            .await
            .map(Some)
    }

    async fn read_children_text(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: GlobalPosition,
    ) -> Result<Option<Vec<crate::StoredText>>, StoreError> {
        let c = self.client().await?;
        read_children_in(&c, after, limit, up_to, to_text)
            .await
            .map(Some)
    }

    async fn load_read_model(&self, name: &str) -> Result<crate::ReadModelRows, StoreError> {
        let mut c = self.client().await?;
        // One snapshot of the database, so the rows and the position are one moment's.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| unavailable("read model", e))?;
        let position: Option<i64> = tx
            .query_opt("SELECT position FROM read_models WHERE name = $1", &[&name])
            .await
            .map_err(|e| unavailable("read model", e))?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?;
        let rows = tx
            .query(
                "SELECT child_id, data FROM read_model_rows WHERE name = $1 ORDER BY child_id",
                &[&name],
            )
            .await
            .map_err(|e| unavailable("read model rows", e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: Uuid = r.try_get(0).map_err(|e| corrupt(e.to_string()))?;
            let data: Vec<u8> = r.try_get(1).map_err(|e| corrupt(e.to_string()))?;
            out.push((id, data));
        }
        tx.commit()
            .await
            .map_err(|e| unavailable("read model", e))?;
        Ok((position.unwrap_or(0).max(0) as u64, out))
    }

    async fn save_read_model(
        &self,
        name: &str,
        position: GlobalPosition,
        changed: Vec<(Uuid, Vec<u8>)>,
        removed: Vec<Uuid>,
    ) -> Result<(), StoreError> {
        // Its own connection and transaction, not the append writer's: the only lock taken is
        // the read model's own row, which serialises two saves of the same model.
        let mut c = self.client().await?;
        let tx = c
            .transaction()
            .await
            .map_err(|e| unavailable("save read model", e))?;
        if locked_read_model_position(&tx, name).await? > position {
            return Ok(());
        }
        tx.execute(
            "UPDATE read_models SET position = $2, saved_at = clock_timestamp() WHERE name = $1",
            &[&name, &(position as i64)],
        )
        .await
        .map_err(|e| unavailable("save read model", e))?;
        upsert_read_model_rows(&tx, name, &changed).await?;
        if !removed.is_empty() {
            tx.execute(
                "DELETE FROM read_model_rows WHERE name = $1 AND child_id = ANY($2)",
                &[&name, &removed],
            )
            .await
            .map_err(|e| unavailable("remove read model rows", e))?;
        }
        tx.commit()
            .await
            .map_err(|e| unavailable("save read model", e))?;
        Ok(())
    }

    async fn save_read_model_rows(
        &self,
        name: &str,
        up_to: GlobalPosition,
        rows: Vec<(Uuid, Vec<u8>)>,
    ) -> Result<bool, StoreError> {
        let mut c = self.client().await?;
        let tx = c
            .transaction()
            .await
            .map_err(|e| unavailable("save read model rows", e))?;
        // The position's row stays locked until commit, so a save for a later position
        // cannot slip in between the check and the rows.
        if locked_read_model_position(&tx, name).await? > up_to {
            return Ok(false);
        }
        upsert_read_model_rows(&tx, name, &rows).await?;
        tx.commit()
            .await
            .map_err(|e| unavailable("save read model rows", e))?;
        Ok(true)
    }

    async fn secret(&self, name: &str, init: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &init],
        )
        .await
        .map_err(|e| unavailable("store secret", e))?;
        let row = c
            .query_one("SELECT value FROM secrets WHERE name = $1", &[&name])
            .await
            .map_err(|e| unavailable("read secret", e))?;
        row.try_get(0).map_err(|e| corrupt(e.to_string()))
    }

    async fn forget_secret(&self, name: &str) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.execute("DELETE FROM secrets WHERE name = $1", &[&name])
            .await
            .map_err(|e| unavailable("forget secret", e))?;
        Ok(())
    }

    async fn idempotent_answer(
        &self,
        key: &crate::IdempotencyKey,
    ) -> Result<Option<Appended>, StoreError> {
        let c = self.client().await?;
        idempotent_in(&**c, IDEMPOTENCY, key).await
    }

    fn writer_running(&self) -> bool {
        self.health.running()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let c = self.client().await?;
        c.query_one("SELECT 1", &[])
            .await
            .map_err(|e| unavailable("ping", e))?;
        Ok(())
    }
}

/// Events of one child after sequence `after` (`child` given) or of every child after global
/// position `after`, at most `limit`, in order. Rows that cannot be read back are left out (and
/// logged), and the page is filled from beyond them, so a reader is never told it has caught up
/// while readable events remain after an unreadable one.
async fn read_filled(
    c: &deadpool_postgres::ClientWrapper,
    child: Option<&Uuid>,
    after: u64,
    limit: usize,
    what: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    let (sql, cursor) = match child {
        Some(_) => (
            format!(
                "SELECT {READ_COLUMNS} FROM events WHERE child_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3"
            ),
            2,
        ),
        None => (
            format!(
                "SELECT {READ_COLUMNS} FROM events WHERE global_position > $1 ORDER BY global_position LIMIT $2"
            ),
            0,
        ),
    };
    // Asked many times a second (the follower, every read of a child): prepared once per
    // connection, not on every use.
    let statement = c
        .prepare_cached(&sql)
        .await
        .map_err(|e| unavailable(what, e))?;
    let mut out = Vec::new();
    let mut from = after as i64;
    loop {
        let want = limit.saturating_sub(out.len()).min(i64::MAX as usize) as i64;
        let rows = match child {
            Some(id) => c.query(&statement, &[id, &from, &want]).await,
            None => c.query(&statement, &[&from, &want]).await,
        }
        .map_err(|e| unavailable(what, e))?;
        let last = rows.last().and_then(|r| r.try_get::<_, i64>(cursor).ok());
        let (page, bad) = split_events(&rows);
        bad.iter().for_each(Unreadable::log);
        out.extend(page);
        match last {
            Some(last) if !bad.is_empty() && out.len() < limit && last > from => from = last,
            _ => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test server, if the environment names one; under CI (`CI` set) a missing one fails
    /// the test rather than skipping it.
    fn server() -> Option<String> {
        let url = std::env::var("CASELINE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty());
        let in_ci = std::env::var("CI")
            .is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
        if url.is_none() && in_ci {
            panic!(
                "CI is set but CASELINE_TEST_POSTGRES_URL is not: under CI the PostgreSQL tests must run"
            );
        }
        url
    }

    async fn connect(url: &str) -> tokio_postgres::Client {
        let (c, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
        tokio::spawn(conn);
        c
    }

    #[tokio::test]
    async fn an_aborted_transaction_is_never_reported_committed() {
        let Some(url) = server() else {
            eprintln!(
                "skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested"
            );
            return;
        };
        let mut c = connect(&url).await;
        let probe = c.prepare("SELECT 1").await.unwrap();
        c.batch_execute("CREATE TEMP TABLE written (x int)")
            .await
            .unwrap();
        // The premise: COMMIT of an aborted transaction is not an error.
        let tx = c.transaction().await.unwrap();
        tx.batch_execute("INSERT INTO written VALUES (1)")
            .await
            .unwrap();
        assert!(tx.batch_execute("SELECT 1/0").await.is_err());
        assert!(
            tx.commit().await.is_ok(),
            "PostgreSQL answers ROLLBACK, not an error"
        );

        // So the writer probes first.
        let tx = c.transaction().await.unwrap();
        tx.batch_execute("INSERT INTO written VALUES (2)")
            .await
            .unwrap();
        assert!(tx.batch_execute("SELECT 1/0").await.is_err());
        let err = finish(tx, &probe, None).await.unwrap_err();
        assert!(err.contains("aborted"), "{err}");

        // A lost group is rolled back; a healthy one commits.
        let tx = c.transaction().await.unwrap();
        tx.batch_execute("INSERT INTO written VALUES (3)")
            .await
            .unwrap();
        assert!(finish(tx, &probe, Some("lost".into())).await.is_err());
        let tx = c.transaction().await.unwrap();
        tx.batch_execute("INSERT INTO written VALUES (4)")
            .await
            .unwrap();
        finish(tx, &probe, None).await.unwrap();

        let rows: Vec<i32> = c
            .query("SELECT x FROM written ORDER BY x", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(rows, vec![4], "only the healthy group was written");
    }
}
