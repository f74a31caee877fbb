//! Caseline's event store: the one place where a child's events live.
//!
//! Every other crate reaches storage through [`EventStore`]. The backend is picked by the
//! store URL's scheme ([`open`]): `sqlite://PATH` (the embedded default), `postgres://…`, and
//! `kurrentdb://…` / `esdb://…` (behind the `kurrentdb` cargo feature).
//!
//! What every backend guarantees is pinned by one conformance suite (`tests/conformance`):
//! atomic appends with an optional expected sequence, idempotency keys scoped to an agency and
//! stored in the same transaction as the events, `recorded_at` from the store's own clock and
//! never earlier than the stream's previous one, a global position that grows in commit order
//! and is never passed over by a reader, and a hash chain per child.
//!
//! This crate deliberately knows nothing of record types or their rules: an event's `data` is
//! opaque JSON here. The domain decides what may be appended; the store keeps it.

// The trait and its value types are the contract other crates code against. Backends live in
// their own modules and are chosen in `open`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The sequence of the last event in a child's stream; 0 for a stream that does not exist.
pub type Sequence = u64;

/// A position in the store-wide order of events. Positions grow in commit order; a reader
/// paging with [`EventStore::read_all`] never skips one.
pub type GlobalPosition = u64;

/// What an appender expects the child's stream to be at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expected {
    /// Append whatever the stream's sequence is.
    Any,
    /// The stream must not exist yet (a registration).
    NoStream,
    /// The stream's last sequence must be exactly this (`If-Match`).
    Exactly(Sequence),
}

/// One event to append, as the domain produced it. `recorded_at`, `sequence`, the global
/// position and the hashes are the store's to assign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub event_id: Uuid,
    /// The record type, e.g. `referral_made`.
    pub event_type: String,
    /// The version of that type's `data` schema, for upcasting.
    pub event_version: u32,
    pub occurred_at: DateTime<Utc>,
    /// The `person` who recorded it (`{ name, role, agency }`), as JSON.
    pub recorded_by: serde_json::Value,
    /// The agency of the token that appended it.
    pub agency: String,
    /// The token that appended it (`None` for imports of history or the command line).
    pub token_id: Option<Uuid>,
    pub data: serde_json::Value,
}

/// An idempotency key as a client sent it, scoped to the token's agency, with a hash of the
/// request body so a reused key with a different body can be told apart from a retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyKey {
    pub agency: String,
    pub key: String,
    /// Hex SHA-256 of the canonical request (the caller decides what "the same body" means).
    pub request_hash: String,
}

/// A unique identifier claimed by a child (an NHS number, UPN or local id), claimed in the
/// same transaction as the events so two registrations can never both hold it. The store
/// compares `kind` and `value` as given; spelling them canonically is the caller's job
/// (`casework::identifier_claims`), since the store does not know the domain's identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdentifierClaim {
    /// `nhs_number`, `upn` or `la_child_id`.
    pub kind: String,
    pub value: String,
}

/// One atomic append to one child's stream: all of `events` or none of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppendRequest {
    pub child_id: Uuid,
    pub expected: Expected,
    pub events: Vec<NewEvent>,
    pub idempotency: Option<IdempotencyKey>,
    /// Identifiers this append claims for the child; a claim held by another child fails the
    /// whole append with [`StoreErrorKind::IdentifierTaken`].
    pub claims: Vec<IdentifierClaim>,
}

/// An append of history recorded elsewhere first (an earlier system's records, the
/// generator's synthetic year): as an [`AppendRequest`], but each event keeps the
/// `recorded_at` given (`recorded_at[i]` for `request.events[i]`). The store still refuses a
/// time in the future or one earlier than the stream's previous `recorded_at`, so "recorded
/// by then" remains a prefix of every stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoricAppend {
    pub request: AppendRequest,
    pub recorded_at: Vec<DateTime<Utc>>,
}

/// An event as the store holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub global_position: GlobalPosition,
    pub child_id: Uuid,
    /// 1 for the registration, then +1 per event.
    pub sequence: Sequence,
    pub event_id: Uuid,
    pub event_type: String,
    pub event_version: u32,
    pub occurred_at: DateTime<Utc>,
    /// The store's clock when the append committed; never the client's.
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: serde_json::Value,
    pub agency: String,
    pub token_id: Option<Uuid>,
    pub data: serde_json::Value,
    /// Hex SHA-256 of the previous event's `hash` (64 zeros for sequence 1) and this
    /// event's canonical bytes (see [`chain`]).
    pub prev_hash: String,
    pub hash: String,
}

/// An event as a scan by child reads it ([`EventStore::read_children_text`]): its `data` and
/// `recorded_by` left as the JSON text stored, for a reader that parses them straight into
/// its own types, and without the chain's hashes.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredText {
    pub global_position: GlobalPosition,
    pub child_id: Uuid,
    pub sequence: Sequence,
    pub event_id: Uuid,
    pub event_type: String,
    pub event_version: u32,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: String,
    pub agency: String,
    pub token_id: Option<Uuid>,
    pub data: String,
}

impl StoredText {
    /// The event as the store holds it, given its JSON parsed and the chain's hashes.
    pub fn with_json(
        self,
        recorded_by: serde_json::Value,
        data: serde_json::Value,
        prev_hash: String,
        hash: String,
    ) -> StoredEvent {
        StoredEvent {
            global_position: self.global_position,
            child_id: self.child_id,
            sequence: self.sequence,
            event_id: self.event_id,
            event_type: self.event_type,
            event_version: self.event_version,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            recorded_by,
            agency: self.agency,
            token_id: self.token_id,
            data,
            prev_hash,
            hash,
        }
    }
}

impl From<StoredEvent> for StoredText {
    fn from(e: StoredEvent) -> StoredText {
        StoredText {
            global_position: e.global_position,
            child_id: e.child_id,
            sequence: e.sequence,
            event_id: e.event_id,
            event_type: e.event_type,
            event_version: e.event_version,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            recorded_by: e.recorded_by.to_string(),
            agency: e.agency,
            token_id: e.token_id,
            data: e.data.to_string(),
        }
    }
}

/// What an append returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appended {
    pub child_id: Uuid,
    /// The appended events, in order.
    pub events: Vec<StoredEvent>,
    /// True when this answer is the first answer to an earlier append with the same
    /// idempotency key and request hash: nothing new was written.
    pub replayed: bool,
}

/// A read model's saved position and its rows, one per child, ordered by child id.
pub type ReadModelRows = (GlobalPosition, Vec<(Uuid, Vec<u8>)>);

/// One read of a child's data, logged before the answer is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadLogEntry {
    pub child_id: Uuid,
    pub at: DateTime<Utc>,
    pub token_id: Option<Uuid>,
    pub agency: String,
    pub role: String,
    /// What was read, e.g. `case`, `journey?as_of=…`, `lookup:nhs_number`.
    pub what: String,
    /// The person who read it, for a read through a browser session (`None` for a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// That browser session's public id (never its secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Uuid>,
}

/// A person's browser session as stored: only a hash of the cookie's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The public id, written to the read log; never the secret.
    pub id: Uuid,
    /// Hex SHA-256 of the cookie's secret.
    pub secret_hash: String,
    /// The token every form of this session carries.
    pub csrf_token: String,
    pub role: String,
    pub agency: String,
    /// The person's name, as the identity provider or the sign-in link gave it.
    pub name: String,
    /// How the person signed in: `oidc` or `link`.
    pub via: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute expiry; the idle one is the caller's, from `last_seen_at`.
    pub expires_at: DateTime<Utc>,
}

/// A single-use grant on the way to a session: a sign-in link, or a sign-in at the identity
/// provider under way. Taking it removes it, so it opens at most one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigninGrant {
    /// Hex SHA-256 of the grant's secret (the link's token, or the OIDC `state`).
    pub secret_hash: String,
    /// `link` or `oidc`.
    pub purpose: String,
    /// What the grant carries, as JSON text (who the link signs in; the PKCE verifier).
    pub payload: String,
    pub expires_at: DateTime<Utc>,
}

/// An idempotency key with the first answer it was given, as a move between stores carries
/// it (`caseline migrate`), so a retry after the move still gets that answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub agency: String,
    pub key: String,
    pub request_hash: String,
    pub child_id: Uuid,
    /// The first answer ([`Appended`]) as JSON.
    pub result: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A bearer token as stored: only a hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: Uuid,
    pub agency: String,
    pub role: String,
    pub name: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The first broken link found in one child's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    pub child_id: Uuid,
    /// The sequence at which the chain stops holding.
    pub sequence: Sequence,
    pub event_id: Option<Uuid>,
    /// What is wrong, in words: altered, missing, reordered.
    pub problem: String,
}

/// The result of walking every chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub children: u64,
    pub events: u64,
    pub broken: Vec<BrokenLink>,
}

mod error;
mod migrations;
pub use error::{StoreError, StoreErrorKind, describe as describe_error};

pub mod chain;
mod exists;
pub mod lock;
pub use exists::exists;

mod read_model;

mod storable;
mod writer;
pub use storable::YEARS as STORABLE_YEARS;
pub use writer::{BUSY_RETRY_AFTER_SECS, DEFAULT_QUEUE};

/// The event store. One implementation per backend; all pass the same conformance suite.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends atomically; returns once the events are durable.
    async fn append(&self, request: AppendRequest) -> Result<Appended, StoreError>;

    /// Appends several requests (usually for different children) as independent appends that
    /// may share one commit. Each gets its own result; one failing does not fail the others.
    async fn append_many(&self, requests: Vec<AppendRequest>) -> Vec<Result<Appended, StoreError>> {
        let mut out = Vec::with_capacity(requests.len());
        for r in requests {
            out.push(self.append(r).await);
        }
        out
    }

    /// Appends history ([`HistoricAppend`]) as [`EventStore::append_many`] appends new
    /// records, each event keeping its given `recorded_at`. Every backend here takes it
    /// (KurrentDB keeps `recorded_at` in each event's metadata); the default refuses, for a
    /// backend that could not keep given times.
    async fn append_history(
        &self,
        requests: Vec<HistoricAppend>,
    ) -> Vec<Result<Appended, StoreError>> {
        requests
            .iter()
            .map(|_| {
                Err(StoreError::new(
                    StoreErrorKind::Config,
                    "this store cannot keep recorded_at times given with history",
                ))
            })
            .collect()
    }

    /// The first answer to an append made with this idempotency key, if the key was used:
    /// `Ok(Some(_))` (with `replayed` set) when used with the same request hash,
    /// [`StoreErrorKind::IdempotencyKeyReused`] when used with a different one, `Ok(None)` when
    /// unused. A fast path for callers that must decide before they append; `append` makes the
    /// same check inside its transaction, so a race between the two is still safe.
    async fn idempotent_answer(&self, key: &IdempotencyKey)
    -> Result<Option<Appended>, StoreError>;

    /// The child's events with sequence greater than `after`, at most `limit`, in order.
    async fn read_stream(
        &self,
        child_id: Uuid,
        after: Sequence,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The child's last sequence, 0 if it has no stream.
    async fn stream_sequence(&self, child_id: Uuid) -> Result<Sequence, StoreError>;

    /// Events of every child after `after` in global order, at most `limit`. Never returns a
    /// position while a lower one may still commit.
    async fn read_all(
        &self,
        after: GlobalPosition,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The child holding an identifier, if any.
    async fn find_by_identifier(&self, kind: &str, value: &str)
    -> Result<Option<Uuid>, StoreError>;

    /// Walks every child's chain (or only `child_id`'s) and reports the first broken link per
    /// child.
    async fn verify(&self, child_id: Option<Uuid>) -> Result<Verification, StoreError>;

    /// Loads exported events into an empty store, keeping ids, times, sequences, order and
    /// hashes. Fails if the store already holds events.
    async fn import(&self, events: Vec<StoredEvent>) -> Result<u64, StoreError>;

    /// Every idempotency key and its first answer, oldest first (for a move between
    /// stores). The default refuses: a backend that cannot list them cannot be moved from
    /// with them.
    async fn idempotency_records(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        Err(StoreError::new(
            StoreErrorKind::Config,
            "this store cannot list its idempotency keys; use SQLite or PostgreSQL",
        ))
    }

    /// Keeps idempotency keys and their first answers brought from another store, in one
    /// transaction; a key already here is left as it is. Returns how many were added.
    async fn restore_idempotency(
        &self,
        records: Vec<IdempotencyRecord>,
    ) -> Result<u64, StoreError> {
        let _ = records;
        Err(StoreError::new(
            StoreErrorKind::Config,
            "this store cannot take idempotency keys from another; use SQLite or PostgreSQL",
        ))
    }

    /// Appends to the read log; returns once durable.
    async fn log_read(&self, entry: ReadLogEntry) -> Result<(), StoreError>;

    /// The reads of one child's data, oldest first.
    async fn reads(&self, child_id: Uuid) -> Result<Vec<ReadLogEntry>, StoreError>;

    async fn create_token(&self, token: TokenRecord) -> Result<(), StoreError>;
    /// The token with this secret hash, if any ([`EventStore::tokens_by_secret_hashes`] for one).
    async fn token_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self
            .tokens_by_secret_hashes(&[secret_hash.to_owned()])
            .await?
            .into_iter()
            .next())
    }

    /// The tokens with any of these secret hashes, in one read: the checks of requests that
    /// arrived together (`api::token_checks`).
    async fn tokens_by_secret_hashes(
        &self,
        secret_hashes: &[String],
    ) -> Result<Vec<TokenRecord>, StoreError>;
    /// The token with this secret hash read on the calling thread, by a store whose read of it
    /// costs less than handing it to another thread and being woken with the answer (SQLite's,
    /// from a file of its own: a few microseconds); `None` from a store that must wait for it
    /// (over the network), whose checks are batched instead (`api::token_checks`).
    fn token_here(&self, _secret_hash: &str) -> Option<Result<Option<TokenRecord>, StoreError>> {
        None
    }
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revokes at once; false if no such token.
    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// A named checkpoint (a projection's global position), 0 if never saved.
    async fn checkpoint(&self, name: &str) -> Result<GlobalPosition, StoreError>;
    async fn save_checkpoint(&self, name: &str, at: GlobalPosition) -> Result<(), StoreError>;

    /// A read model's saved state and the global position it reflects, if one was saved.
    async fn load_snapshot(
        &self,
        name: &str,
    ) -> Result<Option<(GlobalPosition, Vec<u8>)>, StoreError>;

    /// Saves a read model's state with the position it reflects, replacing the last one; the
    /// two are written together so a restart never pairs a state with the wrong position.
    ///
    /// Never goes backwards: if the stored snapshot reflects a higher position (another
    /// process, or a slower save of this one, got further), the save is dropped and `Ok` is
    /// returned, since the stored state already covers everything this one does. At an equal
    /// position the new save replaces the old (the same events folded, perhaps in a newer
    /// format after an upgrade). The condition is checked by the backend in the same statement
    /// as the write, so two racing saves cannot both win.
    async fn save_snapshot(
        &self,
        name: &str,
        position: GlobalPosition,
        data: Vec<u8>,
    ) -> Result<(), StoreError>;

    /// Leaves the store's files compact at the end of a wholesale write (`generate`,
    /// `import`): SQLite folds its WAL into the database file and empties it, which a command
    /// that exits at once would otherwise leave to the next open. Others have nothing to do.
    async fn settle(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The highest global position the store holds now (0 when empty): every position at or
    /// below it has committed. The default pages through [`EventStore::read_all`]; the SQL
    /// backends ask for the maximum.
    async fn head_position(&self) -> Result<GlobalPosition, StoreError> {
        let mut head = 0;
        loop {
            let page = self.read_all(head, 10_000).await?;
            match page.last() {
                Some(e) => head = e.global_position,
                None => return Ok(head),
            }
        }
    }

    /// Whole children, for a rebuild that folds each child once: the events of the first
    /// `limit` children whose id is greater than `after` (all children from the first when
    /// `None`), ordered by child id (byte order) and then sequence, leaving out events above
    /// `up_to` (a head position taken before the scan, so the result is exactly the events up
    /// to it). A child is never split between pages: the next page starts after the last
    /// child returned. An empty page means no child is left.
    ///
    /// `Ok(None)` when the backend cannot scan by child (the default, and KurrentDB's); the
    /// caller then reads by global position instead.
    async fn read_children(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: GlobalPosition,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let _ = (after, limit, up_to);
        Ok(None)
    }

    /// [`EventStore::read_children`], each event's `data` and `recorded_by` as the JSON text
    /// stored ([`StoredText`]): a rebuild parses each event once, straight into the domain's
    /// types, rather than into a `Value` first. The default goes through `read_children`.
    async fn read_children_text(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: GlobalPosition,
    ) -> Result<Option<Vec<StoredText>>, StoreError> {
        Ok(self
            .read_children(after, limit, up_to)
            .await?
            .map(|page| page.into_iter().map(StoredText::from).collect()))
    }

    /// A read model kept as one row per child plus the position it reflects: the position
    /// (0 if never saved) and every row, ordered by child id, read in one consistent view.
    ///
    /// The default keeps the rows in one snapshot (`<name>.rows`, [`EventStore::save_snapshot`]),
    /// so a backend without transactions across streams (KurrentDB) still works, at the cost
    /// of rewriting every row on each save; the SQL backends keep a row per child.
    async fn load_read_model(&self, name: &str) -> Result<ReadModelRows, StoreError> {
        match self.load_snapshot(&format!("{name}.rows")).await? {
            Some((position, bytes)) => Ok((position, read_model::decode(&bytes)?)),
            None => Ok((0, Vec::new())),
        }
    }

    /// Saves the rows of children `changed` since the last save (replacing theirs), removes
    /// the rows of `removed`, and moves the read model's position to `position`, as one
    /// transaction would: a restart never pairs rows with the wrong position.
    ///
    /// A backend may write many rows in several transactions before the one that moves the
    /// position (SQLite does, so that one save does not hold its single writer long), on the
    /// terms of [`EventStore::save_read_model_rows`]: each written only while the stored
    /// position is not beyond `position`, and every row written again with the position if
    /// anything else committed in between.
    ///
    /// Never goes backwards, as [`EventStore::save_snapshot`]: a save at a position lower than
    /// the stored one writes nothing and returns `Ok`; an equal position is applied.
    async fn save_read_model(
        &self,
        name: &str,
        position: GlobalPosition,
        changed: Vec<(Uuid, Vec<u8>)>,
        removed: Vec<Uuid>,
    ) -> Result<(), StoreError> {
        let snapshot = format!("{name}.rows");
        let (stored, rows) = self.load_read_model(name).await?;
        if stored > position {
            return Ok(());
        }
        let mut rows: std::collections::BTreeMap<Uuid, Vec<u8>> = rows.into_iter().collect();
        rows.extend(changed);
        for id in removed {
            rows.remove(&id);
        }
        self.save_snapshot(&snapshot, position, read_model::encode(&rows))
            .await
    }

    /// Saves rows of a rebuild under way, each reflecting its child's events up to `up_to`,
    /// without moving the read model's position; returns whether they were written.
    ///
    /// A rebuild hands its rows over as it folds them, so the writer works beside the scan
    /// rather than after it. The rows are safe beside a lower stored position: a restart
    /// catches up from that position, and every child with events after it is recomputed
    /// from its whole stream. They are not written (`false`) when the stored position is
    /// beyond `up_to`, in the same transaction as the check, so a row never replaces one
    /// saved for a later position. The default writes nothing and returns `false`: a backend
    /// that keeps all rows in one snapshot would rewrite them all for each call; the caller
    /// then saves them with the position ([`EventStore::save_read_model`]).
    async fn save_read_model_rows(
        &self,
        name: &str,
        up_to: GlobalPosition,
        rows: Vec<(Uuid, Vec<u8>)>,
    ) -> Result<bool, StoreError> {
        let _ = (name, up_to, rows);
        Ok(false)
    }

    /// A deployment secret by name (e.g. the pseudonym key), created with `init` on first use
    /// so every process of a deployment agrees on it.
    async fn secret(&self, name: &str, init: Vec<u8>) -> Result<Vec<u8>, StoreError>;

    /// Removes a deployment secret, so that it no longer travels with the store's backups
    /// (the pseudonym key moved to a file of its own). Removing one that is not there is not
    /// an error. The default keeps it: a backend that cannot delete (KurrentDB's streams are
    /// append-only) still works, and the operator is told in docs/OPERATIONS.md.
    async fn forget_secret(&self, name: &str) -> Result<(), StoreError> {
        let _ = name;
        Ok(())
    }

    /// Whether the backend answers now.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Keeps a new browser session. Backends without sessions refuse (the default), so a
    /// person cannot sign in there, though tokens still work.
    async fn create_session(&self, session: SessionRecord) -> Result<(), StoreError> {
        let _ = session;
        Err(no_sessions())
    }

    /// The session whose secret hashes to `secret_hash`, expired or not (the caller decides).
    async fn session_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let _ = secret_hash;
        Err(no_sessions())
    }

    /// Notes that a session was used at `at`, for its idle expiry.
    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _ = (id, at);
        Err(no_sessions())
    }

    /// Ends a session at once; false if there was none.
    async fn delete_session(&self, id: Uuid) -> Result<bool, StoreError> {
        let _ = id;
        Err(no_sessions())
    }

    /// Keeps a single-use sign-in grant (and forgets grants that have expired).
    async fn create_grant(&self, grant: SigninGrant) -> Result<(), StoreError> {
        let _ = grant;
        Err(no_sessions())
    }

    /// Takes the grant whose secret hashes to `secret_hash`: it is removed in the same step,
    /// so of two takers at most one gets it. Expired or not: the caller decides.
    async fn take_grant(&self, secret_hash: &str) -> Result<Option<SigninGrant>, StoreError> {
        let _ = secret_hash;
        Err(no_sessions())
    }

    /// Whether the backend's writer is running, for `/ready`. The SQL backends funnel every
    /// append through one writer that is restarted after a panic; while it restarts, appends
    /// cannot be answered and this is false. Backends without such a writer are always ready
    /// to write as far as this is concerned (`ping` covers the server).
    fn writer_running(&self) -> bool {
        true
    }
}

/// What a backend without browser sessions answers.
fn no_sessions() -> StoreError {
    StoreError::new(
        StoreErrorKind::Config,
        "this store keeps no browser sessions: people sign in with a SQLite or PostgreSQL store",
    )
}

pub mod append;
#[cfg(feature = "kurrentdb")]
pub mod kurrent;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

/// The store URL used when none is given: a file beside the working directory.
pub const DEFAULT_URL: &str = "sqlite://./data/caseline.db";

/// The file a `sqlite://PATH` URL names; a configuration error for any other URL.
pub fn sqlite_path(url: &str) -> Result<&str, StoreError> {
    let path = url
        .split_once("://")
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("sqlite"))
        .map(|(_, path)| path)
        .ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Config,
                format!("{url:?} is not a sqlite:// URL"),
            )
        })?;
    if path.is_empty() {
        return Err(StoreError::new(
            StoreErrorKind::Config,
            "a sqlite:// URL needs a file path, e.g. sqlite://./data/caseline.db",
        ));
    }
    Ok(path)
}

/// Opens the store a URL names: `sqlite://PATH` (relative, or absolute as `sqlite:///PATH`),
/// `postgres://…` / `postgresql://…`, or `kurrentdb://…` / `esdb://…`.
pub async fn open(url: &str) -> Result<Arc<dyn EventStore>, StoreError> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("sqlite") => {
            let path = sqlite_path(url)?.to_owned();
            let store = tokio::task::spawn_blocking(move || sqlite::Sqlite::open(path))
                .await
                .map_err(|e| {
                    StoreError::new(
                        StoreErrorKind::Unavailable,
                        format!("opening the store failed: {e}"),
                    )
                })??;
            Ok(Arc::new(store))
        }
        Some("postgres" | "postgresql") => Ok(Arc::new(postgres::Postgres::connect(url).await?)),
        #[cfg(feature = "kurrentdb")]
        Some(
            "kurrentdb" | "kurrentdb+discover" | "esdb" | "esdb+discover" | "kurrent"
            | "kurrent+discover" | "kdb" | "kdb+discover",
        ) => Ok(Arc::new(kurrent::Kurrent::connect(url).await?)),
        #[cfg(not(feature = "kurrentdb"))]
        Some(
            "kurrentdb" | "kurrentdb+discover" | "esdb" | "esdb+discover" | "kurrent"
            | "kurrent+discover" | "kdb" | "kdb+discover",
        ) => Err(StoreError::new(
            StoreErrorKind::Config,
            // The URL is not repeated: it may carry a password.
            "the store URL names a KurrentDB store, but this binary was built without KurrentDB support \
             (the backend is off by default until its conformance suite has run against a real server); \
             build with `cargo build --release -p caseline --features kurrentdb` to use it",
        )),
        _ => Err(StoreError::new(
            StoreErrorKind::Config,
            format!(
                "the store URL {url:?} has no scheme Caseline knows: use sqlite://PATH, postgres://… or kurrentdb://…"
            ),
        )),
    }
}
