//! The KurrentDB / EventStoreDB backend, through the official `kurrentdb` client.
//!
//! A child's events live in the stream `child-<uuid>`: revision `n` is sequence `n + 1`, the
//! expected revision gives optimistic concurrency, and the global position is made from the
//! event's `$all` position, commit and prepare together ([`global_position`]). Each event's `data` is the record's data; its custom metadata carries everything
//! else the store keeps (version, times, recorder, agency, token, hashes).
//!
//! KurrentDB has no multi-stream transactions, so what SQL backends hold in one transaction is
//! spread over streams here, and the order of writes is chosen so a crash leaves nothing that
//! a retry cannot mend (docs/STORE.md says more):
//! - idempotency: event ids are derived from the agency and key (UUID v5), so a retry after a
//!   crash is de-duplicated by the server itself; the first answer is then recorded in
//!   `caseline-idempotency-<hash>` (first writer wins) for the request-hash check;
//! - identifiers: `caseline-identifier-<kind>-<value>`, created with "no stream expected", so
//!   only one child can ever hold one; it is claimed before the child's events are written;
//! - read log, tokens, checkpoints and secrets: their own streams.
//! - `recorded_at` is this process's clock (never earlier than the stream's previous one),
//!   because the hash must cover it before the server assigns its own `created` time.
//!
//! No KurrentDB server can be installed on the machines this project is built on, so this
//! backend is compiled in CI but its conformance suite runs only where
//! `CASELINE_TEST_KURRENTDB_URL` names a server.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, EventData, Position, ReadAllOptions,
    ReadStreamOptions, StreamPosition, StreamState, SubscriptionFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::append::{self, Head};
use crate::storable::Unreadable;
use crate::{
    AppendRequest, Appended, EventStore, GlobalPosition, ReadLogEntry, Sequence, StoreError,
    StoreErrorKind, StoredEvent, TokenRecord, Verification,
};

const CHILD_PREFIX: &str = "child-";
const TOKENS: &str = "caseline-tokens";

// The backend's name in front of each of its errors ([`crate::error::unavailable`]).
fn unavailable(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    crate::error::unavailable("kurrentdb", what, e)
}

fn corrupt(what: String) -> StoreError {
    crate::error::corrupt("kurrentdb", &what)
}

/// What an event's custom metadata carries.
#[derive(Debug, Serialize, Deserialize)]
struct Meta {
    child_id: Uuid,
    sequence: u64,
    event_version: u32,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    recorded_by: Value,
    agency: String,
    token_id: Option<Uuid>,
    prev_hash: String,
    hash: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct IdempotencyRecord {
    request_hash: String,
    result: Appended,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum TokenEvent {
    Created(TokenRecord),
    Revoked { id: Uuid, at: DateTime<Utc> },
}

/// The KurrentDB backend.
#[derive(Clone)]
pub struct Kurrent {
    client: Client,
}

fn stream_of(child_id: Uuid) -> String {
    format!("{CHILD_PREFIX}{child_id}")
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// Bits of a global position that hold an event's prepare position's distance from its commit
/// position. Every event of one append shares the append's commit position and has its own
/// prepare position at or after it, no further than the append's size in the log; KurrentDB
/// refuses appends over its `MaxAppendSize` (1 MiB by default, 16 MiB at most in practice), so
/// 24 bits hold the distance, leaving 40 bits (a log of 1 TiB) for the commit position.
const PREPARE_BITS: u32 = 24;

/// The global position of an event at `$all` position `p`: `commit × 2^24 + (prepare −
/// commit)`.
///
/// `$all` is ordered by (commit, prepare), and the events of one multi-event append share a
/// commit position, so the commit position alone is not unique: a reader that paged by it
/// dropped every event after the first of such an append. This mapping is unique and keeps
/// `$all`'s order (the commit position decides, then the prepare position within it), and
/// [`log_position`] turns it back into the position to resume reading from. A position it
/// cannot represent (an explicit transaction's prepare before its commit, a distance over
/// 2^24, a log over 1 TiB) is refused as corrupt rather than wrapped into a wrong order.
fn global_position(p: Position) -> Result<GlobalPosition, StoreError> {
    let offset = p.prepare.checked_sub(p.commit);
    match offset {
        Some(offset) if offset < (1 << PREPARE_BITS) && p.commit < (1 << (64 - PREPARE_BITS)) => {
            Ok((p.commit << PREPARE_BITS) | offset)
        }
        _ => Err(corrupt(format!(
            "the $all position (commit {}, prepare {}) cannot be mapped to a global position: \
             the prepare position must lie within 2^{PREPARE_BITS} bytes after the commit position \
             and the commit position below 2^{}",
            p.commit,
            p.prepare,
            64 - PREPARE_BITS
        ))),
    }
}

/// The `$all` position a global position was made from (the inverse of [`global_position`]).
fn log_position(g: GlobalPosition) -> Position {
    let commit = g >> PREPARE_BITS;
    Position {
        commit,
        prepare: commit + (g & ((1 << PREPARE_BITS) - 1)),
    }
}

fn to_stored(e: &kurrentdb::RecordedEvent) -> Result<StoredEvent, StoreError> {
    let meta: Meta = serde_json::from_slice(&e.custom_metadata)
        .map_err(|err| corrupt(format!("event {} has unreadable metadata: {err}", e.id)))?;
    let data: Value = serde_json::from_slice(&e.data)
        .map_err(|err| corrupt(format!("event {} has unreadable data: {err}", e.id)))?;
    Ok(StoredEvent {
        global_position: global_position(e.position)?,
        child_id: meta.child_id,
        sequence: meta.sequence,
        event_id: e.id,
        event_type: e.event_type.clone(),
        event_version: meta.event_version,
        occurred_at: meta.occurred_at,
        recorded_at: meta.recorded_at,
        recorded_by: meta.recorded_by,
        agency: meta.agency,
        token_id: meta.token_id,
        data,
        prev_hash: meta.prev_hash,
        hash: meta.hash,
    })
}

/// A child's event whose metadata or data cannot be read back, named from what the server
/// itself knows of it (its stream, revision and id).
fn unreadable(e: &kurrentdb::RecordedEvent, err: &StoreError) -> Unreadable {
    Unreadable {
        child_id: e
            .stream_id()
            .strip_prefix(CHILD_PREFIX)
            .and_then(|s| Uuid::parse_str(s).ok()),
        sequence: Some(e.revision + 1),
        event_id: Some(e.id),
        problem: err.to_string(),
    }
}

/// The events that can be read back and those that cannot, as on the SQL backends.
fn split(events: &[kurrentdb::RecordedEvent]) -> (Vec<StoredEvent>, Vec<Unreadable>) {
    let (mut out, mut bad) = (Vec::new(), Vec::new());
    for e in events {
        match to_stored(e) {
            Ok(s) => out.push(s),
            Err(err) => bad.push(unreadable(e, &err)),
        }
    }
    (out, bad)
}

fn to_event_data(e: &StoredEvent) -> Result<EventData, StoreError> {
    let meta = Meta {
        child_id: e.child_id,
        sequence: e.sequence,
        event_version: e.event_version,
        occurred_at: e.occurred_at,
        recorded_at: e.recorded_at,
        recorded_by: e.recorded_by.clone(),
        agency: e.agency.clone(),
        token_id: e.token_id,
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
    };
    EventData::json(e.event_type.clone(), &e.data)
        .and_then(|d| d.id(e.event_id).metadata_as_json(&meta))
        .map_err(|err| corrupt(format!("could not encode event {}: {err}", e.event_id)))
}

fn json_event<T: Serialize>(kind: &str, payload: &T) -> Result<EventData, StoreError> {
    EventData::json(kind, payload)
        .map(|d| d.id(Uuid::new_v4()))
        .map_err(|e| corrupt(format!("could not encode {kind}: {e}")))
}

impl Kurrent {
    pub async fn connect(url: &str) -> Result<Kurrent, StoreError> {
        let settings: ClientSettings =
            url.parse()
                .map_err(|e: kurrentdb::ClientSettingsParseError| {
                    StoreError::new(StoreErrorKind::Config, format!("kurrentdb: bad URL: {e}"))
                })?;
        let client = Client::new(settings)
            .map_err(|e| StoreError::new(StoreErrorKind::Config, format!("kurrentdb: {e}")))?;
        Ok(Kurrent { client })
    }

    /// Every event of a stream, oldest first; empty if the stream does not exist.
    async fn read_whole(
        &self,
        stream: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<kurrentdb::RecordedEvent>, StoreError> {
        let options = ReadStreamOptions::default()
            .position(StreamPosition::Position(from))
            .max_count(limit);
        let mut reader = match self.client.read_stream(stream.to_owned(), &options).await {
            Ok(r) => r,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(unavailable("read stream", e)),
        };
        let mut out = Vec::new();
        loop {
            match reader.next().await {
                Ok(Some(resolved)) => {
                    if let Some(e) = resolved.event {
                        out.push(e);
                    }
                }
                Ok(None) => break,
                Err(kurrentdb::Error::ResourceNotFound) => break,
                Err(e) => return Err(unavailable("read stream", e)),
            }
        }
        Ok(out)
    }

    async fn last(&self, stream: &str) -> Result<Option<kurrentdb::RecordedEvent>, StoreError> {
        let options = ReadStreamOptions::default()
            .position(StreamPosition::End)
            .backwards()
            .max_count(1);
        let mut reader = match self.client.read_stream(stream.to_owned(), &options).await {
            Ok(r) => r,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(None),
            Err(e) => return Err(unavailable("read stream", e)),
        };
        match reader.next().await {
            Ok(Some(r)) => Ok(r.event),
            Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
            Err(e) => Err(unavailable("read stream", e)),
        }
    }

    async fn head(&self, child_id: Uuid) -> Result<Head, StoreError> {
        match self.last(&stream_of(child_id)).await? {
            None => Ok(Head::default()),
            Some(e) => {
                let s = to_stored(&e)?;
                Ok(Head {
                    sequence: s.sequence,
                    recorded_at: Some(s.recorded_at),
                    hash: Some(s.hash),
                })
            }
        }
    }

    async fn write(
        &self,
        stream: String,
        state: StreamState,
        events: Vec<EventData>,
    ) -> Result<kurrentdb::WriteResult, kurrentdb::Error> {
        self.client
            .append_to_stream(
                stream,
                &AppendToStreamOptions::default().stream_state(state),
                events,
            )
            .await
    }

    /// All child events after `after`, in `$all` order. Reading `$all` from a position
    /// includes the event at that position, so anything at or below the highest (commit,
    /// prepare) pair already seen is skipped. Both halves count: the events of one append
    /// share a commit position and differ only in their prepare positions.
    ///
    /// Events that cannot be read back are returned apart (and do not count towards `limit`),
    /// so one bad event does not fail every read that passes over it.
    async fn all_child_events(
        &self,
        after: GlobalPosition,
        limit: usize,
    ) -> Result<(Vec<StoredEvent>, Vec<Unreadable>), StoreError> {
        const PAGE: usize = 512;
        let mut out = Vec::new();
        let mut bad = Vec::new();
        let start = log_position(after);
        let mut floor = (after > 0).then_some((start.commit, start.prepare));
        let mut from = if after == 0 {
            StreamPosition::Start
        } else {
            StreamPosition::Position(start)
        };
        loop {
            let options = ReadAllOptions::default().position(from).max_count(PAGE);
            let mut reader = self
                .client
                .read_all(&options)
                .await
                .map_err(|e| unavailable("read $all", e))?;
            let mut seen = 0;
            let mut last = None;
            while let Some(resolved) = reader
                .next()
                .await
                .map_err(|e| unavailable("read $all", e))?
            {
                seen += 1;
                let Some(e) = resolved.event else { continue };
                last = Some(e.position);
                let here = (e.position.commit, e.position.prepare);
                if floor.is_some_and(|f| here <= f) {
                    continue;
                }
                floor = Some(here);
                if !e.stream_id().starts_with(CHILD_PREFIX) {
                    continue;
                }
                match to_stored(&e) {
                    Ok(s) => out.push(s),
                    Err(err) => bad.push(unreadable(&e, &err)),
                }
                if out.len() >= limit {
                    return Ok((out, bad));
                }
            }
            match last {
                Some(p) if seen == PAGE => from = StreamPosition::Position(p),
                _ => return Ok((out, bad)),
            }
        }
    }

    async fn claim(&self, req: &AppendRequest) -> Result<(), StoreError> {
        for claim in &req.claims {
            let stream = format!(
                "caseline-identifier-{}-{}",
                claim.kind,
                digest(&[&claim.value])
            );
            let event = json_event(
                "identifier_claimed",
                &serde_json::json!({ "child_id": req.child_id }),
            )?;
            match self
                .write(stream.clone(), StreamState::NoStream, vec![event])
                .await
            {
                Ok(_) => {}
                Err(kurrentdb::Error::WrongExpectedVersion { .. }) => {
                    let holder = self.read_whole(&stream, 0, 1).await?;
                    let existing = holder
                        .first()
                        .and_then(|e| serde_json::from_slice::<Value>(&e.data).ok())
                        .and_then(|v| v["child_id"].as_str().and_then(|s| Uuid::parse_str(s).ok()))
                        .ok_or_else(|| {
                            corrupt(format!("identifier stream {stream} is unreadable"))
                        })?;
                    if existing != req.child_id {
                        return Err(StoreError::identifier_taken(&claim.kind, existing));
                    }
                }
                Err(e) => return Err(unavailable("claim identifier", e)),
            }
        }
        Ok(())
    }
}

impl Kurrent {
    /// An append, stamped by this process's clock, or as history keeping the given
    /// `recorded_at` of each event ([`crate::HistoricAppend`]).
    async fn append_at(
        &self,
        mut req: AppendRequest,
        history: Option<Vec<DateTime<Utc>>>,
    ) -> Result<Appended, StoreError> {
        append::check_not_empty(&req.events)?;
        crate::storable::check_append(&req)?;
        let idem_stream = req
            .idempotency
            .as_ref()
            .map(|k| format!("caseline-idempotency-{}", digest(&[&k.agency, &k.key])));
        if let (Some(key), Some(_)) = (&req.idempotency, &idem_stream) {
            if let Some(first) = self.idempotent_answer(key).await? {
                return Ok(first);
            }
            // Ids from the key, so the server de-duplicates a retry after a crash.
            for (i, e) in req.events.iter_mut().enumerate() {
                e.event_id = Uuid::new_v5(
                    &Uuid::NAMESPACE_OID,
                    format!("{}\u{0}{}\u{0}{i}", key.agency, key.key).as_bytes(),
                );
            }
        }
        self.claim(&req).await?;
        let head = self.head(req.child_id).await?;
        append::check_expected(req.expected, head.sequence)?;
        let prepared: Vec<append::Canonical> =
            req.events.iter().map(append::Canonical::of).collect();
        let (_, mut events) = append::stamp(
            req.child_id,
            &head,
            Utc::now(),
            req.events,
            &prepared,
            history.as_deref(),
        )?;
        let data = events
            .iter()
            .map(to_event_data)
            .collect::<Result<Vec<_>, _>>()?;
        // The chain was built on this head: the write must land exactly on it.
        let state = if head.sequence == 0 {
            StreamState::NoStream
        } else {
            StreamState::StreamRevision(head.sequence - 1)
        };
        let written = match self.write(stream_of(req.child_id), state, data).await {
            Ok(w) => w,
            Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => {
                let actual = match current {
                    kurrentdb::CurrentRevision::Current(r) => r + 1,
                    kurrentdb::CurrentRevision::NoStream => 0,
                };
                return Err(StoreError::new(
                    StoreErrorKind::Conflict {
                        expected: head.sequence.to_string(),
                        actual,
                    },
                    format!(
                        "the child's record moved to sequence {actual} while this append was prepared"
                    ),
                ));
            }
            Err(e) => return Err(unavailable("append", e)),
        };
        // The server reports the position of the write; read the events back for each one's.
        let stored = self
            .read_whole(&stream_of(req.child_id), head.sequence, events.len())
            .await?;
        for (e, s) in events.iter_mut().zip(stored.iter()) {
            e.global_position = global_position(s.position)?;
        }
        if events.iter().any(|e| e.global_position == 0) {
            let at = global_position(written.position)?;
            for e in &mut events {
                e.global_position = at;
            }
        }
        let appended = Appended {
            child_id: req.child_id,
            events,
            replayed: false,
        };
        if let (Some(key), Some(stream)) = (&req.idempotency, idem_stream) {
            let record = IdempotencyRecord {
                request_hash: key.request_hash.clone(),
                result: appended.clone(),
            };
            // First writer wins; a concurrent twin that lost will find this record next time.
            let _ = self
                .write(
                    stream,
                    StreamState::NoStream,
                    vec![json_event("idempotency_recorded", &record)?],
                )
                .await;
        }
        Ok(appended)
    }
}

#[async_trait]
impl EventStore for Kurrent {
    async fn append(&self, req: AppendRequest) -> Result<Appended, StoreError> {
        self.append_at(req, None).await
    }

    async fn append_history(
        &self,
        requests: Vec<crate::HistoricAppend>,
    ) -> Vec<Result<Appended, StoreError>> {
        let mut out = Vec::with_capacity(requests.len());
        for h in requests {
            out.push(self.append_at(h.request, Some(h.recorded_at)).await);
        }
        out
    }

    async fn read_stream(
        &self,
        child_id: Uuid,
        after: Sequence,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (out, bad) = split(&self.read_whole(&stream_of(child_id), after, limit).await?);
        bad.iter().for_each(Unreadable::log);
        Ok(out)
    }

    async fn stream_sequence(&self, child_id: Uuid) -> Result<Sequence, StoreError> {
        Ok(self.head(child_id).await?.sequence)
    }

    /// The last child event in `$all`, read backwards through a server-side filter on the
    /// children's stream prefix: one event, not a walk over the whole log (the trait's default).
    async fn head_position(&self) -> Result<GlobalPosition, StoreError> {
        let options = ReadAllOptions::default()
            .position(StreamPosition::End)
            .backwards()
            .filter(SubscriptionFilter::on_stream_name().add_prefix(CHILD_PREFIX))
            .max_count(1);
        let mut reader = self
            .client
            .read_all(&options)
            .await
            .map_err(|e| unavailable("read $all", e))?;
        while let Some(resolved) = reader
            .next()
            .await
            .map_err(|e| unavailable("read $all", e))?
        {
            if let Some(e) = resolved.event
                && e.stream_id().starts_with(CHILD_PREFIX)
            {
                return global_position(e.position);
            }
        }
        Ok(0)
    }

    async fn read_all(
        &self,
        after: GlobalPosition,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let (out, bad) = self.all_child_events(after, limit).await?;
        bad.iter().for_each(Unreadable::log);
        Ok(out)
    }

    async fn find_by_identifier(
        &self,
        kind: &str,
        value: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let stream = format!("caseline-identifier-{kind}-{}", digest(&[value]));
        Ok(self
            .read_whole(&stream, 0, 1)
            .await?
            .first()
            .and_then(|e| serde_json::from_slice::<Value>(&e.data).ok())
            .and_then(|v| v["child_id"].as_str().and_then(|s| Uuid::parse_str(s).ok())))
    }

    async fn verify(&self, child_id: Option<Uuid>) -> Result<Verification, StoreError> {
        type Read = (Vec<StoredEvent>, Vec<Unreadable>);
        let mut by_child: BTreeMap<Uuid, Read> = BTreeMap::new();
        let (events, bad) = match child_id {
            Some(id) => split(&self.read_whole(&stream_of(id), 0, usize::MAX).await?),
            None => self.all_child_events(0, usize::MAX).await?,
        };
        for e in events {
            by_child.entry(e.child_id).or_default().0.push(e);
        }
        for u in bad {
            // An event whose stream names no child cannot be told to anyone's chain; it is
            // logged instead.
            match u.child_id {
                Some(id) => by_child.entry(id).or_default().1.push(u),
                None => u.log(),
            }
        }
        let mut report = Verification::default();
        for (id, (mut events, unreadable)) in by_child {
            events.sort_by_key(|e| e.global_position);
            crate::storable::verify_child(&mut report, id, &events, &unreadable);
        }
        Ok(report)
    }

    async fn import(&self, events: Vec<StoredEvent>) -> Result<u64, StoreError> {
        events
            .iter()
            .try_for_each(crate::storable::check_imported)?;
        let (events, bad) = self.all_child_events(0, 1).await?;
        if !events.is_empty() || !bad.is_empty() {
            return Err(StoreError::new(
                StoreErrorKind::NotEmpty,
                "the store already holds events: import needs an empty store",
            ));
        }
        // Global positions are the server's to assign; ids, times, sequences and hashes are kept.
        let mut n = 0;
        for e in &events {
            let state = if e.sequence <= 1 {
                StreamState::NoStream
            } else {
                StreamState::StreamRevision(e.sequence - 2)
            };
            self.write(stream_of(e.child_id), state, vec![to_event_data(e)?])
                .await
                .map_err(|err| unavailable(&format!("import event {}", e.event_id), err))?;
            n += 1;
        }
        Ok(n)
    }

    async fn log_read(&self, entry: ReadLogEntry) -> Result<(), StoreError> {
        let stream = format!("caseline-reads-{}", entry.child_id);
        self.write(
            stream,
            StreamState::Any,
            vec![json_event("child_read", &entry)?],
        )
        .await
        .map_err(|e| unavailable("log read", e))?;
        Ok(())
    }

    async fn reads(&self, child_id: Uuid) -> Result<Vec<ReadLogEntry>, StoreError> {
        self.read_whole(&format!("caseline-reads-{child_id}"), 0, usize::MAX)
            .await?
            .iter()
            .map(|e| {
                serde_json::from_slice(&e.data)
                    .map_err(|err| corrupt(format!("read log entry: {err}")))
            })
            .collect()
    }

    async fn create_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.write(
            TOKENS.to_owned(),
            StreamState::Any,
            vec![json_event("token_created", &TokenEvent::Created(token))?],
        )
        .await
        .map_err(|e| unavailable("create token", e))?;
        Ok(())
    }

    async fn tokens_by_secret_hashes(
        &self,
        secret_hashes: &[String],
    ) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(self
            .tokens()
            .await?
            .into_iter()
            .filter(|t| secret_hashes.contains(&t.secret_hash))
            .collect())
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let mut tokens: Vec<TokenRecord> = Vec::new();
        for e in self.read_whole(TOKENS, 0, usize::MAX).await? {
            match serde_json::from_slice::<TokenEvent>(&e.data)
                .map_err(|err| corrupt(format!("token event: {err}")))?
            {
                TokenEvent::Created(t) => tokens.push(t),
                TokenEvent::Revoked { id, at } => {
                    if let Some(t) = tokens.iter_mut().find(|t| t.id == id) {
                        t.revoked_at.get_or_insert(at);
                    }
                }
            }
        }
        Ok(tokens)
    }

    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        if !self.tokens().await?.iter().any(|t| t.id == id) {
            return Ok(false);
        }
        self.write(
            TOKENS.to_owned(),
            StreamState::Any,
            vec![json_event(
                "token_revoked",
                &TokenEvent::Revoked { id, at },
            )?],
        )
        .await
        .map_err(|e| unavailable("revoke token", e))?;
        Ok(true)
    }

    async fn checkpoint(&self, name: &str) -> Result<GlobalPosition, StoreError> {
        match self.last(&format!("caseline-checkpoint-{name}")).await? {
            None => Ok(0),
            Some(e) => serde_json::from_slice::<u64>(&e.data)
                .map_err(|err| corrupt(format!("checkpoint: {err}"))),
        }
    }

    async fn save_checkpoint(&self, name: &str, at: GlobalPosition) -> Result<(), StoreError> {
        self.write(
            format!("caseline-checkpoint-{name}"),
            StreamState::Any,
            vec![json_event("checkpoint_saved", &at)?],
        )
        .await
        .map_err(|e| unavailable("save checkpoint", e))?;
        Ok(())
    }

    async fn load_snapshot(
        &self,
        name: &str,
    ) -> Result<Option<(GlobalPosition, Vec<u8>)>, StoreError> {
        match self.last(&format!("caseline-snapshot-{name}")).await? {
            None => Ok(None),
            Some(e) => {
                let (position, hexed): (u64, String) = serde_json::from_slice(&e.data)
                    .map_err(|err| corrupt(format!("snapshot {name}: {err}")))?;
                let data =
                    hex::decode(hexed).map_err(|err| corrupt(format!("snapshot {name}: {err}")))?;
                Ok(Some((position, data)))
            }
        }
    }

    async fn save_snapshot(
        &self,
        name: &str,
        position: GlobalPosition,
        data: Vec<u8>,
    ) -> Result<(), StoreError> {
        // One event holds both, so the state and its position are never read apart. The save
        // is conditional on the last one's position; the expected revision makes the check
        // and the write one step (a racing save makes this one look again).
        let stream = format!("caseline-snapshot-{name}");
        let hexed = hex::encode(&data);
        loop {
            let (state, stored) = match self.last(&stream).await? {
                None => (StreamState::NoStream, None),
                Some(e) => {
                    let (at, _): (u64, String) = serde_json::from_slice(&e.data)
                        .map_err(|err| corrupt(format!("snapshot {name}: {err}")))?;
                    (StreamState::StreamRevision(e.revision), Some(at))
                }
            };
            if stored.is_some_and(|at| at > position) {
                return Ok(());
            }
            match self
                .write(
                    stream.clone(),
                    state,
                    vec![json_event("snapshot_saved", &(position, &hexed))?],
                )
                .await
            {
                Ok(_) => return Ok(()),
                Err(kurrentdb::Error::WrongExpectedVersion { .. }) => continue,
                Err(e) => return Err(unavailable("save snapshot", e)),
            }
        }
    }

    async fn secret(&self, name: &str, init: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let stream = format!("caseline-secret-{name}");
        // First writer wins; everyone then reads the winner's value.
        let _ = self
            .write(
                stream.clone(),
                StreamState::NoStream,
                vec![json_event("secret_created", &hex::encode(&init))?],
            )
            .await;
        let first = self.read_whole(&stream, 0, 1).await?;
        let hexed: String = first
            .first()
            .and_then(|e| serde_json::from_slice(&e.data).ok())
            .ok_or_else(|| corrupt(format!("secret {name} is unreadable")))?;
        hex::decode(hexed).map_err(|e| corrupt(format!("secret {name}: {e}")))
    }

    async fn idempotent_answer(
        &self,
        key: &crate::IdempotencyKey,
    ) -> Result<Option<Appended>, StoreError> {
        let stream = format!("caseline-idempotency-{}", digest(&[&key.agency, &key.key]));
        let Some(first) = self.read_whole(&stream, 0, 1).await?.into_iter().next() else {
            return Ok(None);
        };
        let record: IdempotencyRecord = serde_json::from_slice(&first.data)
            .map_err(|e| corrupt(format!("idempotency record unreadable: {e}")))?;
        if record.request_hash != key.request_hash {
            return Err(StoreError::idempotency_key_reused(&key.key));
        }
        let mut result = record.result;
        result.replayed = true;
        Ok(Some(result))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .server_info()
            .await
            .map_err(|e| unavailable("ping", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(commit: u64, prepare: u64) -> Position {
        Position { commit, prepare }
    }

    #[test]
    fn the_events_of_one_append_get_distinct_positions_in_all_order() {
        // Three events of one append share commit 1000; the next append commits at 1400.
        let order = [
            at(1000, 1000),
            at(1000, 1130),
            at(1000, 1260),
            at(1400, 1400),
        ];
        let mapped: Vec<u64> = order.iter().map(|p| global_position(*p).unwrap()).collect();
        assert!(mapped.windows(2).all(|w| w[0] < w[1]), "{mapped:?}");
        for (p, g) in order.iter().zip(&mapped) {
            assert_eq!(log_position(*g), *p, "the mapping turns back");
        }
    }

    #[test]
    fn positions_it_cannot_order_are_refused() {
        assert!(
            global_position(at(1000, 999)).is_err(),
            "prepare before commit"
        );
        assert!(
            global_position(at(0, 1 << PREPARE_BITS)).is_err(),
            "too far apart"
        );
        assert!(
            global_position(at(1 << 40, 1 << 40)).is_err(),
            "log too large"
        );
        assert_eq!(global_position(at(0, 0)).unwrap(), 0);
    }

    proptest::proptest! {
        #[test]
        fn the_mapping_keeps_all_order(
            c1 in 0u64..(1 << 40), d1 in 0u64..(1 << 24),
            c2 in 0u64..(1 << 40), d2 in 0u64..(1 << 24),
        ) {
            let (a, b) = (at(c1, c1 + d1), at(c2, c2 + d2));
            let (ga, gb) = (global_position(a).unwrap(), global_position(b).unwrap());
            proptest::prop_assert_eq!((a.commit, a.prepare).cmp(&(b.commit, b.prepare)), ga.cmp(&gb));
        }
    }
}
