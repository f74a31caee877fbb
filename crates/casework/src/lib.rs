//! Casework: the use cases over one child's record, below HTTP and above the store. The API,
//! the generator and the command line all record through here, so one record's path (load,
//! check the role table, decide, append, retry) is written once.
//!
//! - [`Casework::register`]: a new child, its identifiers claimed with its first event.
//! - [`Casework::append`]: records (one, or a batch all or none) to a child: the agency and the
//!   role table ([`domain::access`]) against the child as it stands, the domain's decision, an
//!   append at exactly the sequence decided against, and on losing a race a fresh look and a
//!   new decision (unless the caller pinned a sequence). A retried `Idempotency-Key` gets the
//!   first answer, also when the retry raced its own first attempt.
//! - [`Casework::read`]: a child's events and fold, up to date with the store.
//!
//! Children are folded once and kept ([`cache`]): an append to a child with a thousand records
//! decides against the kept fold and appends, without reading or folding the thousand again.
//!
//! What it deliberately does not do: speak HTTP, log reads (a read is logged by whoever answers
//! it), or know the cross-child read model. Whoever keeps one may be told of each append as it
//! is acknowledged, with the domain's events ([`Casework::on_appended`]), so it need not read
//! back and parse what was just decided.

mod acknowledged;
pub mod cache;
mod error;
pub mod snapshot;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::access::{self, Denied, Role};
use domain::child::{Child, ChildCommand, ChildEvent, EVENT_VERSION, EventBody, Services};
use domain::envelope::RecordInput;
use domain::framework::Framework;
use domain::record::RecordData;
use domain::registration::{ChildDetails, Identifiers};
use domain::shapes::Person;
use store::{
    AppendRequest, Appended, EventStore, Expected, IdempotencyKey, IdentifierClaim, NewEvent,
    StoreErrorKind, StoredEvent,
};
use uuid::Uuid;

pub use acknowledged::{Acknowledged, AcknowledgedEvent};
pub use cache::{ChildCache, Folded, Turn};
pub use error::CaseworkError;

/// How often an append without a pinned sequence decides again after losing a race.
const ATTEMPTS: usize = 8;

/// Who is recording: a token's role and agency (and the token, for the audit).
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: Role,
    pub agency: String,
    pub token_id: Option<Uuid>,
}

/// The options of one append.
#[derive(Debug, Clone, Default)]
pub struct Append {
    /// The records, in order.
    pub records: Vec<RecordInput>,
    /// A batch (errors at `records[i].…`) or one record (errors at `data.…`).
    pub batch: bool,
    /// The client's key, scoped to its agency and bound to the request's hash.
    pub idempotency: Option<IdempotencyKey>,
    /// Append only if the child's stream is at exactly this sequence (`If-Match`).
    pub pinned: Option<u64>,
}

/// Told of each append this process made, once the store has acknowledged it: the events as
/// stored (positions, sequences, `recorded_at`, agency) and the domain's events they were made
/// from, in the same order.
pub type Listener = Box<dyn Fn(&[StoredEvent], &[ChildEvent]) + Send + Sync>;

/// The use cases, over one store and framework.
pub struct Casework {
    store: Arc<dyn EventStore>,
    framework: &'static Framework,
    cache: ChildCache,
    listener: Option<Listener>,
}

impl Casework {
    /// `cache_events`: how many events' worth of folded children to keep.
    pub fn new(
        store: Arc<dyn EventStore>,
        framework: &'static Framework,
        cache_events: usize,
    ) -> Casework {
        Casework {
            store,
            framework,
            cache: ChildCache::new(cache_events),
            listener: None,
        }
    }

    /// Tells `listener` of every append acknowledged from now on (not of replayed answers,
    /// which wrote nothing). It runs on the appending task, so it should only hand over.
    pub fn on_appended(mut self, listener: Listener) -> Casework {
        self.listener = Some(listener);
        self
    }

    fn tell(&self, appended: &Appended, decided: &[ChildEvent]) {
        if let Some(listener) = &self.listener {
            listener(&appended.events, decided);
        }
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    pub fn framework(&self) -> &'static Framework {
        self.framework
    }

    pub fn cache(&self) -> &ChildCache {
        &self.cache
    }

    fn services(&self) -> Services {
        Services {
            framework: self.framework,
            now: Utc::now(),
        }
    }

    /// A child's events and fold, up to date with the store; `UnknownChild` if it has none.
    pub async fn read(&self, child_id: Uuid) -> Result<Arc<Folded>, CaseworkError> {
        let mut turn = self.cache.turn(child_id).await;
        let folded = turn
            .refresh(self.store.as_ref())
            .await?
            .ok_or(CaseworkError::UnknownChild(child_id))?;
        self.keep_state(&turn);
        Ok(folded)
    }

    /// Registers a child: the registration decided, its identifiers claimed in the same
    /// transaction (a child already holding one is the store's `IdentifierTaken`).
    pub async fn register(
        &self,
        actor: &Actor,
        occurred_at: DateTime<Utc>,
        recorded_by: Person,
        details: ChildDetails,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Acknowledged, CaseworkError> {
        check_agency(actor, &recorded_by, "recorded_by.agency")?;
        if let Some(first) = self.replayed(idempotency.as_ref()).await? {
            return Ok(first);
        }
        let child_id = Uuid::new_v4();
        let claims = identifier_claims(details.identifiers());
        let events = Child::default().decide(
            ChildCommand::Register {
                event_id: Uuid::now_v7(),
                occurred_at,
                recorded_by,
                details: Box::new(details),
            },
            &self.services(),
        )?;
        let appended = self
            .store
            .append(AppendRequest {
                child_id,
                expected: Expected::NoStream,
                events: events.iter().map(|e| new_event(e, actor)).collect(),
                idempotency,
                claims,
            })
            .await?;
        let acknowledged = Acknowledged::of(&appended);
        if !appended.replayed {
            self.tell(&appended, &events);
            let mut turn = self.cache.turn(appended.child_id).await;
            turn.registered(appended.events, events);
        }
        Ok(acknowledged)
    }

    /// Appends records to a child; see the crate's docs.
    pub async fn append(
        &self,
        actor: &Actor,
        child_id: Uuid,
        request: Append,
    ) -> Result<Acknowledged, CaseworkError> {
        let Append {
            records,
            batch,
            idempotency,
            pinned,
        } = request;
        let at = |i: usize, field: &str| {
            if batch {
                format!("records[{i}].{field}")
            } else {
                field.to_owned()
            }
        };
        // What can be known without the child: the agency, and whether this role may ever
        // record the type. A role that may not hears so before anything is read.
        for (i, input) in records.iter().enumerate() {
            check_agency(actor, &input.recorded_by, &at(i, "recorded_by.agency"))?;
            access::may_append(actor.role, &input.data).map_err(|denied| {
                CaseworkError::Denied {
                    field: at(i, "type"),
                    denied,
                }
            })?;
        }
        if let Some(first) = self.replayed(idempotency.as_ref()).await? {
            return Ok(first);
        }

        let mut turn = self.cache.turn(child_id).await;
        // The kept fold is decided against as it is; if another process appended meanwhile,
        // the store's expected sequence says so and the fold is brought up to date. A refusal
        // is never sent from a kept fold alone: it may be missing another process's records
        // that this one refers to (a disagreement about a decision recorded through the other
        // server), so the fold is brought up to date and the records decided again first.
        // A child not kept here starts from its kept state when the records need no more
        // (records that correct nothing, one or a batch); a correction weighs the whole history.
        let whole = Folded::needs_whole(&records);
        let (mut folded, mut fresh) = match turn.folded() {
            Some(f) if !whole || f.child.is_whole() => (f.clone(), false),
            _ => (
                turn.bring_up(self.store.as_ref(), whole)
                    .await?
                    .ok_or(CaseworkError::UnknownChild(child_id))?,
                true,
            ),
        };
        for _ in 0..ATTEMPTS {
            let sequence = folded.sequence();
            if let Some(p) = pinned
                && p != sequence
            {
                // The kept fold may be behind another process: look again before refusing.
                folded = turn
                    .bring_up(self.store.as_ref(), whole)
                    .await?
                    .ok_or(CaseworkError::UnknownChild(child_id))?;
                fresh = true;
                if folded.sequence() != p {
                    return Err(CaseworkError::NotAtSequence {
                        expected: p,
                        actual: folded.sequence(),
                    });
                }
                continue;
            }
            let decided = match self.decide(actor, &folded.child, &records, batch) {
                Ok(decided) => decided,
                Err(e) => {
                    // Another server may have appended this very request meanwhile.
                    if let Some(first) = self.replayed(idempotency.as_ref()).await? {
                        return Ok(first);
                    }
                    if !fresh {
                        fresh = true;
                        folded = turn
                            .bring_up(self.store.as_ref(), whole)
                            .await?
                            .ok_or(CaseworkError::UnknownChild(child_id))?;
                        if folded.sequence() != sequence {
                            tracing::debug!(%child_id, "refused against a kept fold that was behind; deciding again");
                            continue;
                        }
                    }
                    return Err(e);
                }
            };
            let request = AppendRequest {
                child_id,
                expected: Expected::Exactly(sequence),
                events: decided.iter().map(|e| new_event(e, actor)).collect(),
                idempotency: idempotency.clone(),
                claims: updated_identifier_claims(&decided),
            };
            match self.store.append(request).await {
                Ok(appended) => {
                    let acknowledged = Acknowledged::of(&appended);
                    if !appended.replayed {
                        self.tell(&appended, &decided);
                        // This turn's own handle on the fold goes first: held, it would make
                        // the slot copy the whole child (events and history) to add one record.
                        drop(folded);
                        // The events themselves go to the kept fold; the answer has what it
                        // needs of them.
                        turn.appended(appended.events, decided);
                        self.keep_state(&turn);
                    }
                    return Ok(acknowledged);
                }
                Err(e) if matches!(e.kind(), StoreErrorKind::Conflict { .. }) => {
                    if let Some(first) = self.replayed(idempotency.as_ref()).await? {
                        return Ok(first);
                    }
                    tracing::debug!(%child_id, "lost an append race; deciding again");
                    folded = turn
                        .bring_up(self.store.as_ref(), whole)
                        .await?
                        .ok_or(CaseworkError::UnknownChild(child_id))?;
                    fresh = true;
                }
                Err(e) => {
                    // Whether the append landed is unknown (a lost connection after COMMIT):
                    // the next turn reads the child afresh.
                    turn.forget();
                    return Err(e.into());
                }
            }
        }
        Err(CaseworkError::Contended)
    }

    /// The role table against the child as it stands, then the domain's decision; for a batch
    /// the role table is walked again over the decided events, since a later record joins
    /// the state its earlier ones made.
    fn decide(
        &self,
        actor: &Actor,
        child: &Child,
        records: &[RecordInput],
        batch: bool,
    ) -> Result<Vec<ChildEvent>, CaseworkError> {
        let denied = |i: usize, (field, denied): (&str, Denied)| CaseworkError::Denied {
            field: if batch {
                format!("records[{i}].{field}")
            } else {
                field.to_owned()
            },
            denied,
        };
        for (i, input) in records.iter().enumerate() {
            access::may_append_to(actor.role, &actor.agency, child, &input.data)
                .map_err(|r| denied(i, r))?;
        }
        // Event ids in time order (UUID version 7): each new id lands at the end of the
        // store's event-id index rather than on a random leaf of it, so a group commit dirties
        // one leaf of that index, not one per record (on a county's store, random ids made
        // every commit write a page per record there).
        let decided = child.decide(
            ChildCommand::Append {
                records: records
                    .iter()
                    .cloned()
                    .map(|r| (Uuid::now_v7(), r))
                    .collect(),
                batch,
            },
            &self.services(),
        )?;
        if batch {
            // The state alone unless the batch corrects (`Child::state_alone`): the role table
            // reads the state, and a copy of the history would cost what the child has recorded.
            let mut scratch = if Folded::needs_whole(records) {
                child.clone()
            } else {
                child.state_alone()
            };
            for (i, event) in decided.iter().enumerate() {
                if let EventBody::Record(data) = &event.body {
                    access::may_append_to(actor.role, &actor.agency, &scratch, data)
                        .map_err(|r| denied(i, r))?;
                }
                scratch.apply(event.clone());
            }
        }
        Ok(decided)
    }

    /// Keeps the child's state in the store when it has grown enough since the last one kept,
    /// off the request's path: a failure costs only a longer fold next time.
    fn keep_state(&self, turn: &Turn<'_>) {
        let Some((sequence, state)) = turn.state_to_keep() else {
            return;
        };
        let store = self.store.clone();
        let child_id = turn.child_id();
        tokio::spawn(async move {
            if let Err(e) = crate::snapshot::save(store.as_ref(), child_id, sequence, &state).await
            {
                tracing::debug!(%child_id, error = %e, "a child's state could not be kept");
            }
        });
    }

    /// The first answer to a request with this key, if it was recorded.
    async fn replayed(
        &self,
        key: Option<&IdempotencyKey>,
    ) -> Result<Option<Acknowledged>, CaseworkError> {
        let Some(k) = key else { return Ok(None) };
        Ok(self
            .store
            .idempotent_answer(k)
            .await?
            .as_ref()
            .map(Acknowledged::of))
    }
}

/// A record must be recorded as the token's own agency (docs/CONTRACT.md).
fn check_agency(actor: &Actor, recorded_by: &Person, field: &str) -> Result<(), CaseworkError> {
    let agency = recorded_by.agency.as_str();
    if agency == actor.agency {
        return Ok(());
    }
    Err(CaseworkError::Denied {
        field: field.to_owned(),
        denied: Denied(format!(
            "this token records for {}, not for {agency}",
            actor.agency
        )),
    })
}

/// An event as the store takes it, from the domain's event and who recorded it.
pub fn new_event(e: &ChildEvent, actor: &Actor) -> NewEvent {
    stored_form(e, &actor.agency, actor.token_id)
}

/// The domain's event as the store takes it, appended for `agency` through `token_id` (none
/// for history written as an import writes it, as the generator does).
pub fn stored_form(e: &ChildEvent, agency: &str, token_id: Option<Uuid>) -> NewEvent {
    NewEvent {
        event_id: e.event_id,
        event_type: e.event_type().to_owned(),
        event_version: EVENT_VERSION,
        occurred_at: e.occurred_at,
        recorded_by: serde_json::to_value(&e.recorded_by).unwrap_or(serde_json::Value::Null),
        agency: agency.to_owned(),
        token_id,
        data: e.data_json(),
    }
}

/// The claims a child's identifiers make, in their canonical spelling (the NHS number's digits
/// only, the UPN in capitals, the local id trimmed), so a lookup and a claim always meet.
///
/// This lives here rather than in the store because the store knows nothing of the domain's
/// types: to it a claim is a `kind` and a `value`. Every caller that claims identifiers (the
/// API's lookup, the generator, registration and updates below) spells them through this one
/// function.
pub fn identifier_claims(ids: Option<&Identifiers>) -> Vec<IdentifierClaim> {
    let Some(ids) = ids else { return Vec::new() };
    let claim = |kind: &str, value: &str| IdentifierClaim {
        kind: kind.to_owned(),
        value: value.to_owned(),
    };
    let mut out = Vec::new();
    if let Some(n) = &ids.nhs_number {
        out.push(claim("nhs_number", n.as_str()));
    }
    if let Some(u) = &ids.upn {
        out.push(claim("upn", u.as_str()));
    }
    if let Some(l) = &ids.la_child_id {
        out.push(claim("la_child_id", l.as_str().trim()));
    }
    out
}

/// Identifiers a `child_details_updated` adds, claimed with the append so no two children
/// hold the same NHS number.
fn updated_identifier_claims(events: &[ChildEvent]) -> Vec<IdentifierClaim> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Record(RecordData::ChildDetailsUpdated(u)) => u.changes.identifiers.as_ref(),
            _ => None,
        })
        .flat_map(|ids| identifier_claims(Some(ids)))
        .collect()
}
