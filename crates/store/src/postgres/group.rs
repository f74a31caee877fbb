//! A group commit in a handful of statements, however many appends it holds.
//!
//! The savepoint path ([`super::run_group`]) sends about four statements per append (open a
//! savepoint, read the stream's head, insert, release), each a round trip to the server: with
//! 64 writers that, not the commit's flush, bounded PostgreSQL at a few thousand records a
//! second. Here the group's heads, idempotency keys and identifier holders are each read in one
//! statement, every append is decided in memory in queue order (exactly the checks the
//! savepoint path makes, through the same [`crate::append`] functions), and what was decided is
//! written with one `INSERT … SELECT FROM unnest(…)` per table. The advisory lock is held from
//! before the reads until the commit, so nothing another process writes can come between what
//! was read and what is written.
//!
//! An append refused in memory (a conflict, a taken identifier, a reused key) writes nothing,
//! as its rolled-back savepoint did. If a statement fails (say a client reused an event id,
//! which only the unique index knows), the transaction is rolled back before anything is
//! answered and the caller runs the same group through the savepoint path, which gives each
//! append its own answer. Every statement's outcome is seen here, so the transaction cannot be
//! aborted unnoticed when it is committed, and the savepoint path's probe is not needed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::Statement;
use uuid::Uuid;

use super::{Pending, WRITE_LOCK, corrupt, unavailable};
use crate::append::{self, Head};
use crate::{Appended, StoreError, StoredEvent};

const HEADS: &str = "SELECT c.id, e.sequence, e.recorded_at, e.hash FROM unnest($1::uuid[]) AS c(id) \
     CROSS JOIN LATERAL (SELECT sequence, recorded_at, hash FROM events WHERE child_id = c.id \
     ORDER BY sequence DESC LIMIT 1) e";
const KEYS: &str = "SELECT i.agency, i.key, i.request_hash, i.result FROM idempotency i \
     JOIN unnest($1::text[], $2::text[]) AS k(agency, key) ON i.agency = k.agency AND i.key = k.key";
const HOLDERS: &str = "SELECT i.kind, i.value, i.child_id FROM identifiers i \
     JOIN unnest($1::text[], $2::text[]) AS c(kind, value) ON i.kind = c.kind AND i.value = c.value";
const INSERT_EVENTS: &str = "INSERT INTO events (global_position, child_id, sequence, event_id, \
     event_type, event_version, occurred_at, recorded_at, recorded_by, agency, token_id, data, \
     prev_hash, hash) SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::uuid[], \
     $5::text[], $6::int4[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::text[], \
     $11::uuid[], $12::jsonb[], $13::text[], $14::text[])";
const INSERT_CLAIMS: &str = "INSERT INTO identifiers (kind, value, child_id) \
     SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])";
const INSERT_ANSWERS: &str = "INSERT INTO idempotency (agency, key, request_hash, child_id, \
     result, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::uuid[], \
     $5::jsonb[], $6::timestamptz[])";

/// The group path's statements, prepared once per connection.
pub(super) struct Statements {
    heads: Statement,
    keys: Statement,
    holders: Statement,
    insert_events: Statement,
    insert_claims: Statement,
    insert_answers: Statement,
}

impl Statements {
    pub(super) async fn on(
        c: &tokio_postgres::Client,
    ) -> Result<Statements, tokio_postgres::Error> {
        Ok(Statements {
            heads: c.prepare(HEADS).await?,
            keys: c.prepare(KEYS).await?,
            holders: c.prepare(HOLDERS).await?,
            insert_events: c.prepare(INSERT_EVENTS).await?,
            insert_claims: c.prepare(INSERT_CLAIMS).await?,
            insert_answers: c.prepare(INSERT_ANSWERS).await?,
        })
    }
}

/// How a group went.
pub(super) enum Ran {
    /// Committed (or its commit failed), and every waiter answered.
    Answered,
    /// A statement failed before the commit: the transaction was rolled back, nothing was
    /// written and nobody answered; run the group through the savepoint path.
    Again(Vec<Pending>, String),
}

/// What the group decided, to be written in one go.
#[derive(Default)]
struct Writes {
    events: Vec<StoredEvent>,
    claims: Vec<(String, String, Uuid)>,
    answers: Vec<(String, String, String, Uuid, Value, DateTime<Utc>)>,
}

/// The group as read under the lock and as changed by the appends decided so far.
struct Seen {
    now: DateTime<Utc>,
    last: i64,
    heads: HashMap<Uuid, Head>,
    /// `(agency, key)` → the request's hash and its first answer.
    answers: HashMap<(String, String), (String, Appended)>,
    /// `(kind, value)` → the child holding it.
    holders: HashMap<(String, String), Uuid>,
}

pub(super) async fn run(
    client: &mut tokio_postgres::Client,
    st: &super::Prepared,
    group: Vec<Pending>,
) -> Ran {
    let tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => return Ran::Again(group, format!("postgres: begin: {e}")),
    };
    let decided = match read_and_decide(&tx, st, &group).await {
        Ok(d) => d,
        Err(e) => {
            drop(tx); // rolls back
            return Ran::Again(group, e.to_string());
        }
    };
    let (results, writes) = decided;
    if let Err(e) = write(&tx, &st.group, &writes).await {
        drop(tx);
        return Ran::Again(group, e.to_string());
    }
    match tx.commit().await {
        Ok(()) => {
            for ((_, _, reply), result) in group.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            let why = format!("postgres: commit: {}", crate::error::describe(&e));
            tracing::error!("{why}; nothing in the group was written");
            for ((_, _, reply), result) in group.into_iter().zip(results) {
                let _ = reply.send(Err(super::group_failed(Some(result), &why)));
            }
        }
    }
    Ran::Answered
}

type Decided = (Vec<Result<Appended, StoreError>>, Writes);

async fn read_and_decide(
    tx: &tokio_postgres::Transaction<'_>,
    st: &super::Prepared,
    group: &[Pending],
) -> Result<Decided, StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await
        .map_err(|e| unavailable("lock", e))?;
    let row = tx
        .query_one(&st.clock_and_position, &[])
        .await
        .map_err(|e| unavailable("read the clock and position", e))?;
    let now: DateTime<Utc> = row.try_get(0).map_err(|e| corrupt(e.to_string()))?;
    let last: i64 = row.try_get(1).map_err(|e| corrupt(e.to_string()))?;
    let mut seen = Seen {
        now,
        last,
        heads: heads(tx, &st.group.heads, group).await?,
        answers: answers(tx, &st.group.keys, group).await?,
        holders: holders(tx, &st.group.holders, group).await?,
    };
    let mut writes = Writes::default();
    let results = group
        .iter()
        .map(|(request, history, _)| decide(&mut seen, &mut writes, request, history.as_deref()))
        .collect();
    Ok((results, writes))
}

async fn heads(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &Statement,
    group: &[Pending],
) -> Result<HashMap<Uuid, Head>, StoreError> {
    let mut children: Vec<Uuid> = group.iter().map(|(r, _, _)| r.child_id).collect();
    children.sort_unstable();
    children.dedup();
    let rows = tx
        .query(statement, &[&children])
        .await
        .map_err(|e| unavailable("read the streams' heads", e))?;
    let mut out = HashMap::with_capacity(children.len());
    for r in rows {
        let child: Uuid = r.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let sequence: i64 = r.try_get(1).map_err(|e| corrupt(e.to_string()))?;
        out.insert(
            child,
            Head {
                sequence: u64::try_from(sequence)
                    .map_err(|_| corrupt("negative sequence".into()))?,
                recorded_at: Some(r.try_get(2).map_err(|e| corrupt(e.to_string()))?),
                hash: Some(r.try_get(3).map_err(|e| corrupt(e.to_string()))?),
            },
        );
    }
    Ok(out)
}

async fn answers(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &Statement,
    group: &[Pending],
) -> Result<HashMap<(String, String), (String, Appended)>, StoreError> {
    let (agencies, keys): (Vec<&str>, Vec<&str>) = group
        .iter()
        .filter_map(|(r, _, _)| r.idempotency.as_ref())
        .map(|k| (k.agency.as_str(), k.key.as_str()))
        .unzip();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx
        .query(statement, &[&agencies, &keys])
        .await
        .map_err(|e| unavailable("read idempotency keys", e))?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let agency: String = r.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let key: String = r.try_get(1).map_err(|e| corrupt(e.to_string()))?;
        let hash: String = r.try_get(2).map_err(|e| corrupt(e.to_string()))?;
        let result: Value = r.try_get(3).map_err(|e| corrupt(e.to_string()))?;
        let first: Appended = serde_json::from_value(result)
            .map_err(|e| corrupt(format!("stored idempotent result is not readable: {e}")))?;
        out.insert((agency, key), (hash, first));
    }
    Ok(out)
}

async fn holders(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &Statement,
    group: &[Pending],
) -> Result<HashMap<(String, String), Uuid>, StoreError> {
    let (kinds, values): (Vec<&str>, Vec<&str>) = group
        .iter()
        .flat_map(|(r, _, _)| r.claims.iter())
        .map(|c| (c.kind.as_str(), c.value.as_str()))
        .unzip();
    if kinds.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx
        .query(statement, &[&kinds, &values])
        .await
        .map_err(|e| unavailable("read identifiers", e))?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get(0).map_err(|e| corrupt(e.to_string()))?;
        let value: String = r.try_get(1).map_err(|e| corrupt(e.to_string()))?;
        let child: Uuid = r.try_get(2).map_err(|e| corrupt(e.to_string()))?;
        out.insert((kind, value), child);
    }
    Ok(out)
}

/// One append, decided against what the group has seen and written so far; what it writes is
/// added to `writes` only if it succeeds.
fn decide(
    seen: &mut Seen,
    writes: &mut Writes,
    req: &crate::AppendRequest,
    history: Option<&[DateTime<Utc>]>,
) -> Result<Appended, StoreError> {
    append::check_not_empty(&req.events)?;
    if let Some(key) = &req.idempotency
        && let Some((hash, first)) = seen.answers.get(&(key.agency.clone(), key.key.clone()))
    {
        if *hash != key.request_hash {
            return Err(StoreError::idempotency_key_reused(&key.key));
        }
        let mut first = first.clone();
        first.replayed = true;
        return Ok(first);
    }
    let head = seen.heads.get(&req.child_id).cloned().unwrap_or_default();
    append::check_expected(req.expected, head.sequence)?;
    let mut claims = Vec::new();
    for claim in &req.claims {
        let id = (claim.kind.clone(), claim.value.clone());
        let holder = seen
            .holders
            .get(&id)
            .copied()
            .or_else(|| claims.iter().find(|c| **c == id).map(|_| req.child_id));
        match holder {
            Some(existing) if existing != req.child_id => {
                return Err(StoreError::identifier_taken(&claim.kind, existing));
            }
            Some(_) => {}
            None => claims.push(id),
        }
    }
    let prepared: Vec<append::Canonical> = req.events.iter().map(append::Canonical::of).collect();
    let (recorded_at, mut events) = append::stamp(
        req.child_id,
        &head,
        seen.now,
        req.events.clone(),
        &prepared,
        history,
    )?;
    for (i, e) in events.iter_mut().enumerate() {
        e.global_position = seen.last as u64 + i as u64 + 1;
    }
    let appended = Appended {
        child_id: req.child_id,
        events,
        replayed: false,
    };
    if let Some(key) = &req.idempotency {
        let result = serde_json::to_value(&appended)
            .map_err(|e| corrupt(format!("could not serialise the result: {e}")))?;
        writes.answers.push((
            key.agency.clone(),
            key.key.clone(),
            key.request_hash.clone(),
            req.child_id,
            result,
            recorded_at,
        ));
        seen.answers.insert(
            (key.agency.clone(), key.key.clone()),
            (key.request_hash.clone(), appended.clone()),
        );
    }
    if let Some(tail) = appended.events.last() {
        seen.heads.insert(
            req.child_id,
            Head {
                sequence: tail.sequence,
                recorded_at: Some(tail.recorded_at),
                hash: Some(tail.hash.clone()),
            },
        );
    }
    seen.last += appended.events.len() as i64;
    for (kind, value) in claims {
        seen.holders
            .insert((kind.clone(), value.clone()), req.child_id);
        writes.claims.push((kind, value, req.child_id));
    }
    writes.events.extend(appended.events.iter().cloned());
    Ok(appended)
}

async fn write(
    tx: &tokio_postgres::Transaction<'_>,
    st: &Statements,
    writes: &Writes,
) -> Result<(), StoreError> {
    if !writes.events.is_empty() {
        let e = &writes.events;
        let positions: Vec<i64> = e.iter().map(|e| e.global_position as i64).collect();
        let children: Vec<Uuid> = e.iter().map(|e| e.child_id).collect();
        let sequences: Vec<i64> = e.iter().map(|e| e.sequence as i64).collect();
        let ids: Vec<Uuid> = e.iter().map(|e| e.event_id).collect();
        let types: Vec<&str> = e.iter().map(|e| e.event_type.as_str()).collect();
        let versions: Vec<i32> = e.iter().map(|e| e.event_version as i32).collect();
        let occurred: Vec<DateTime<Utc>> = e.iter().map(|e| e.occurred_at).collect();
        let recorded: Vec<DateTime<Utc>> = e.iter().map(|e| e.recorded_at).collect();
        let by: Vec<&Value> = e.iter().map(|e| &e.recorded_by).collect();
        let agencies: Vec<&str> = e.iter().map(|e| e.agency.as_str()).collect();
        let tokens: Vec<Option<Uuid>> = e.iter().map(|e| e.token_id).collect();
        let data: Vec<&Value> = e.iter().map(|e| &e.data).collect();
        let prev: Vec<&str> = e.iter().map(|e| e.prev_hash.as_str()).collect();
        let hashes: Vec<&str> = e.iter().map(|e| e.hash.as_str()).collect();
        tx.execute(
            &st.insert_events,
            &[
                &positions, &children, &sequences, &ids, &types, &versions, &occurred, &recorded,
                &by, &agencies, &tokens, &data, &prev, &hashes,
            ],
        )
        .await
        .map_err(|e| unavailable("insert events", e))?;
    }
    if !writes.claims.is_empty() {
        let kinds: Vec<&str> = writes.claims.iter().map(|c| c.0.as_str()).collect();
        let values: Vec<&str> = writes.claims.iter().map(|c| c.1.as_str()).collect();
        let children: Vec<Uuid> = writes.claims.iter().map(|c| c.2).collect();
        tx.execute(&st.insert_claims, &[&kinds, &values, &children])
            .await
            .map_err(|e| unavailable("claim identifiers", e))?;
    }
    if !writes.answers.is_empty() {
        let a = &writes.answers;
        let agencies: Vec<&str> = a.iter().map(|a| a.0.as_str()).collect();
        let keys: Vec<&str> = a.iter().map(|a| a.1.as_str()).collect();
        let hashes: Vec<&str> = a.iter().map(|a| a.2.as_str()).collect();
        let children: Vec<Uuid> = a.iter().map(|a| a.3).collect();
        let results: Vec<&Value> = a.iter().map(|a| &a.4).collect();
        let created: Vec<DateTime<Utc>> = a.iter().map(|a| a.5).collect();
        tx.execute(
            &st.insert_answers,
            &[&agencies, &keys, &hashes, &children, &results, &created],
        )
        .await
        .map_err(|e| unavailable("store idempotency keys", e))?;
    }
    Ok(())
}
