//! Children folded once and kept: a memory-bounded cache of each child's stored events and
//! their fold, brought up to date by reading only the events after the cached sequence.
//!
//! Each child has a slot whose async mutex is also the child's turn to append: within this
//! process, appends to one child queue on it rather than race; across processes the store's
//! expected sequence still decides, and a conflict brings the slot up to date. A reader takes
//! the slot's lock only long enough to bring it up to date and take a shared copy
//! ([`Folded`] behind an `Arc`); an append that finds readers holding the old copy writes a new
//! one. The budget counts events (the size of a child's fold grows with them), and the least
//! recently used children are dropped first; a dropped child is folded again on its next use.
//!
//! What it deliberately does not do: decide anything (that is [`crate::Casework`]'s, with the
//! domain), or persist folds (a cold child is read from the store whole).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use domain::child::{Child, ChildEvent, ChildState};
use domain::record::RecordType;
use lru::LruCache;
use store::{EventStore, StoredEvent};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use uuid::Uuid;

use crate::error::CaseworkError;

/// One child's stored events and their fold. A child resumed from a kept state (or demoted
/// to it, [`Folded::demoted`], or registered here and not read since, [`Turn::registered`])
/// holds neither stored nor domain events, only their fold: what walks or shows the events (a
/// read, a batch, a correction) folds the child whole first.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// Every stored event of a whole child, in order; none for a resumed one.
    pub events: Vec<StoredEvent>,
    pub child: Child,
}

impl Folded {
    /// The sequence of the last event (0 for no stream). A child resumed from a kept state
    /// holds no events, so this is the fold's count, not the events'.
    pub fn sequence(&self) -> u64 {
        self.child.sequence()
    }

    /// Whether the records need the child's whole history to be decided: a correction among
    /// them (one record or a batch). A child resumed from a kept state is folded whole first.
    pub fn needs_whole(records: &[domain::envelope::RecordInput]) -> bool {
        records.iter().any(domain::envelope::RecordInput::corrects)
    }

    /// Folds stored events from nothing.
    pub fn of(events: Vec<StoredEvent>) -> Result<Folded, CaseworkError> {
        let mut folded = Folded::default();
        folded.extend(events)?;
        Ok(folded)
    }

    /// Adds events read back from the store (they follow the last one).
    pub fn extend(&mut self, events: Vec<StoredEvent>) -> Result<(), CaseworkError> {
        for e in events {
            self.child.apply(parse(&e)?);
            if self.child.is_whole() {
                self.events.push(e);
            }
        }
        Ok(())
    }

    /// What the fold counts against the cache's budget, in events' worth: each stored event
    /// it holds, and for a child resumed from a state ([`Folded::demoted`]) that state, whose
    /// size grows with the events folded into it (their ids) at about a
    /// [`STATE_EVENTS_PER_EVENT`]th of what a held event costs.
    pub fn weight(&self) -> usize {
        let state = if self.child.is_whole() {
            0
        } else {
            self.state_weight()
        };
        self.events.len().saturating_add(state)
    }

    /// What the child's state alone weighs ([`Folded::demoted`]).
    fn state_weight(&self) -> usize {
        1 + usize::try_from(self.sequence()).unwrap_or(usize::MAX) / STATE_EVENTS_PER_EVENT
    }

    /// The fold without its events: the child's state alone, as if resumed from it. Enough to
    /// decide a single record that corrects nothing; a read, a batch or a correction reads
    /// the whole history again ([`Turn::refresh`], [`Turn::bring_up`]).
    fn demoted(&self) -> Folded {
        Folded {
            events: Vec::new(),
            child: Child::resume(self.child.state().clone(), self.sequence()),
        }
    }

    /// Adds events this process just appended, with the domain events they were made from
    /// (no need to parse back what was just decided).
    pub fn extend_appended(&mut self, stored: Vec<StoredEvent>, decided: Vec<ChildEvent>) {
        for e in decided {
            self.child.apply(e);
        }
        // A resumed child keeps only the fold (what its appends are decided against): holding
        // its new events as well served nothing and cost their drop once it was let go, a
        // fiftieth of the server's CPU under single records over the cache's budget
        // (docs/BENCHMARKS.md, twelfth round).
        if self.child.is_whole() {
            self.events.extend(stored);
        }
    }
}

/// A stored event as the domain reads it (through the upcasters).
pub fn parse(e: &StoredEvent) -> Result<ChildEvent, CaseworkError> {
    Ok(ChildEvent::from_stored(
        e.event_id,
        &e.event_type,
        e.event_version,
        e.occurred_at,
        e.recorded_by.clone(),
        e.data.clone(),
    )?)
}

/// How many events folded into a kept state weigh as much as one event held whole (its stored
/// form and its typed event, 2-3 KB; the state keeps about 50 bytes an event, its id).
const STATE_EVENTS_PER_EVENT: usize = 32;

/// Whether a stored event is a correction.
fn corrects(e: &StoredEvent) -> bool {
    e.event_type == RecordType::RecordCorrected.as_str()
}

/// What a slot counts against the budget, readable without the slot's lock.
#[derive(Default)]
struct Weight {
    events: AtomicUsize,
    /// Dropped from the cache: a turn still held on it no longer counts.
    evicted: AtomicBool,
    /// The sequence of the child's state last kept in the store (0: none known). Here rather
    /// than in the fold, so noting it never copies a fold a reader holds.
    kept_at: AtomicU64,
}

/// A child's slot: its fold (once loaded) behind the child's turn.
#[derive(Clone, Default)]
struct Slot {
    folded: Arc<AsyncMutex<Option<Arc<Folded>>>>,
    weight: Arc<Weight>,
}

/// A child's slot, locked: the child's turn, with its fold.
pub struct Turn<'a> {
    guard: OwnedMutexGuard<Option<Arc<Folded>>>,
    weight: Arc<Weight>,
    child_id: Uuid,
    cache: &'a ChildCache,
}

impl Turn<'_> {
    /// The child whose turn this is.
    pub fn child_id(&self) -> Uuid {
        self.child_id
    }

    /// The fold as it stands in the slot (None before the first load).
    pub fn folded(&self) -> Option<&Arc<Folded>> {
        self.guard.as_ref()
    }

    /// Loads the child if the slot is empty, or reads the events after the cached sequence
    /// (another process may have appended); the whole history, as reads need it. `None`: the
    /// child has no stream.
    pub async fn refresh(
        &mut self,
        store: &dyn EventStore,
    ) -> Result<Option<Arc<Folded>>, CaseworkError> {
        self.bring_up(store, true).await
    }

    /// [`Turn::refresh`] for an append: unless `whole` (a correction), a child not
    /// in the cache starts from its kept state ([`crate::snapshot`]) and the events after it.
    pub async fn bring_up(
        &mut self,
        store: &dyn EventStore,
        whole: bool,
    ) -> Result<Option<Arc<Folded>>, CaseworkError> {
        match self.guard.as_mut() {
            Some(folded) if whole && !folded.child.is_whole() => {
                if !self.load_whole(store).await? {
                    return Ok(None);
                }
            }
            None => {
                let resumed = if whole {
                    false
                } else {
                    self.resume(store).await?
                };
                if !resumed && !self.load_whole(store).await? {
                    return Ok(None);
                }
            }
            Some(folded) => {
                metrics::counter!("caseline_child_cache_hits_total").increment(1);
                let after = folded.sequence();
                let newer = store.read_stream(self.child_id, after, usize::MAX).await?;
                if newer.is_empty() {
                    return Ok(self.guard.clone());
                }
                if !folded.child.is_whole() && newer.iter().any(corrects) {
                    // A correction re-folds the whole history, which a resumed child lacks.
                    if !self.load_whole(store).await? {
                        return Ok(None);
                    }
                } else {
                    Arc::make_mut(folded).extend(newer)?;
                }
            }
        }
        self.reweigh();
        Ok(self.guard.clone())
    }

    /// Folds the child from its whole stream into the slot; false if it has none.
    async fn load_whole(&mut self, store: &dyn EventStore) -> Result<bool, CaseworkError> {
        let events = store.read_stream(self.child_id, 0, usize::MAX).await?;
        if events.is_empty() {
            return Ok(false);
        }
        metrics::counter!("caseline_child_cache_misses_total").increment(1);
        *self.guard = Some(Arc::new(Folded::of(events)?));
        Ok(true)
    }

    /// Starts the child from its kept state and the events after it; false if no state of
    /// this fold version is kept, or a correction follows it (the whole history is needed).
    async fn resume(&mut self, store: &dyn EventStore) -> Result<bool, CaseworkError> {
        let Some((sequence, state)) = crate::snapshot::load(store, self.child_id).await? else {
            return Ok(false);
        };
        let newer = store
            .read_stream(self.child_id, sequence, usize::MAX)
            .await?;
        if newer.iter().any(corrects) {
            return Ok(false);
        }
        let mut folded = Folded {
            events: Vec::new(),
            child: Child::resume(state, sequence),
        };
        folded.extend(newer)?;
        metrics::counter!("caseline_child_cache_resumed_total").increment(1);
        self.weight.kept_at.fetch_max(sequence, Ordering::AcqRel);
        *self.guard = Some(Arc::new(folded));
        Ok(true)
    }

    /// The child's state to keep in the store, if it has grown [`crate::snapshot::KEEP_EVERY`]
    /// events past the last one kept (noted as kept from now on).
    pub fn state_to_keep(&self) -> Option<(u64, ChildState)> {
        let folded = self.guard.as_ref()?;
        let sequence = folded.sequence();
        let kept = self.weight.kept_at.load(Ordering::Acquire);
        if sequence < kept + crate::snapshot::KEEP_EVERY {
            return None;
        }
        self.weight.kept_at.fetch_max(sequence, Ordering::AcqRel);
        Some((sequence, folded.child.state().clone()))
    }

    /// Keeps a child this process just registered as its state alone. What its appends are
    /// decided against is the fold; its events are wanted only by what walks or shows them (a
    /// read, a batch, a correction), which folds it whole from the store first, once, and
    /// keeps it whole from then on. A child that is written to here and never read here so
    /// holds no events at all: under single records to many children, holding each new
    /// child's events until the budget demoted it cost their copy into the cache and then
    /// their drop (docs/BENCHMARKS.md, thirteenth round), and the memory between the two.
    pub fn registered(&mut self, stored: Vec<StoredEvent>, decided: Vec<ChildEvent>) {
        // Already folded: something found the child (a lookup by identifier, say) between its
        // commit and this turn and read it from the store, registration included.
        if self.guard.is_some() {
            return;
        }
        let mut whole = Folded::default();
        whole.extend_appended(stored, decided);
        *self.guard = Some(Arc::new(whole.demoted()));
        self.reweigh();
    }

    /// Records what this process just appended.
    pub fn appended(&mut self, stored: Vec<StoredEvent>, decided: Vec<ChildEvent>) {
        match self.guard.as_mut() {
            Some(folded) => Arc::make_mut(folded).extend_appended(stored, decided),
            None => {
                let mut f = Folded::default();
                f.extend_appended(stored, decided);
                *self.guard = Some(Arc::new(f));
            }
        }
        self.reweigh();
    }

    /// Forgets the fold (after an error that may have left it behind the store).
    pub fn forget(&mut self) {
        *self.guard = None;
        self.reweigh();
    }

    fn reweigh(&self) {
        let now = self.guard.as_ref().map_or(0, |f| f.weight());
        if self.weight.evicted.load(Ordering::Acquire) {
            return;
        }
        let before = self.weight.events.swap(now, Ordering::AcqRel);
        self.cache.adjust(before, now);
    }
}

/// The cache: slots by child, least recently used dropped first once the events they hold
/// pass the budget.
pub struct ChildCache {
    slots: Mutex<LruCache<Uuid, Slot>>,
    budget: usize,
    held: AtomicUsize,
}

impl ChildCache {
    /// A cache holding up to `budget_events` events' worth of folded children (0 keeps
    /// nothing beyond the children in use).
    pub fn new(budget_events: usize) -> ChildCache {
        metrics::gauge!("caseline_child_cache_budget_events").set(budget_events as f64);
        ChildCache {
            slots: Mutex::new(LruCache::unbounded()),
            budget: budget_events,
            held: AtomicUsize::new(0),
        }
    }

    /// The budget, in events.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Events held now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// Children with a slot now.
    pub fn children(&self) -> usize {
        self.slots.lock().map_or(0, |s| s.len())
    }

    /// Waits for the child's turn.
    pub async fn turn(&self, child_id: Uuid) -> Turn<'_> {
        let slot = self.slot(child_id);
        Turn {
            guard: slot.folded.lock_owned().await,
            weight: slot.weight,
            child_id,
            cache: self,
        }
    }

    fn slot(&self, child_id: Uuid) -> Slot {
        match self.slots.lock() {
            Ok(mut slots) => slots.get_or_insert(child_id, Slot::default).clone(),
            // A poisoned map (a panic while it was held) still gives a working, uncached turn.
            Err(_) => Slot::default(),
        }
    }

    fn adjust(&self, before: usize, now: usize) {
        if now >= before {
            self.held.fetch_add(now - before, Ordering::AcqRel);
        } else {
            self.held.fetch_sub(before - now, Ordering::AcqRel);
        }
        if self.held() > self.budget {
            self.evict();
        }
        metrics::gauge!("caseline_child_cache_events").set(self.held() as f64);
    }

    /// Brings the cache within its budget, least recently used first. A child held whole is
    /// first demoted to its state alone (a fraction of the weight) and kept, as most recently
    /// used, so that its next append costs a look for newer events rather than a fold from
    /// the store: with clients writing to more children than the budget holds, in turn (the
    /// one pattern where least-recently-used eviction misses every time), every append would
    /// otherwise read its child back from the store (docs/BENCHMARKS.md, ninth round). A child
    /// already demoted (or too small to gain by it) is dropped; one in use (its turn held) is
    /// passed over, unless nothing else is left.
    fn evict(&self) {
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        // Slots put back as most recently used (in use, or just demoted): once as many as the
        // cache holds have been, whatever comes next goes, so this always ends.
        let mut spared = 0;
        while self.held() > self.budget {
            let Some((child_id, slot)) = slots.pop_lru() else {
                break;
            };
            if spared <= slots.len() {
                match slot.folded.clone().try_lock_owned() {
                    // In use: its turn is being taken now, so it is the most recently used.
                    Err(_) => {
                        slots.push(child_id, slot);
                        spared += 1;
                        continue;
                    }
                    Ok(mut folded) => {
                        if let Some(whole) =
                            folded.as_ref().filter(|f| f.weight() > f.state_weight())
                        {
                            let demoted = whole.demoted();
                            let now = demoted.weight();
                            *folded = Some(Arc::new(demoted));
                            drop(folded);
                            let before = slot.weight.events.swap(now, Ordering::AcqRel);
                            self.held.fetch_sub(
                                before.saturating_sub(now).min(self.held()),
                                Ordering::AcqRel,
                            );
                            slots.push(child_id, slot);
                            spared += 1;
                            metrics::counter!("caseline_child_cache_demotions_total").increment(1);
                            continue;
                        }
                    }
                }
            }
            slot.weight.evicted.store(true, Ordering::Release);
            let w = slot.weight.events.swap(0, Ordering::AcqRel);
            self.held.fetch_sub(w.min(self.held()), Ordering::AcqRel);
            metrics::counter!("caseline_child_cache_evictions_total").increment(1);
        }
        metrics::gauge!("caseline_child_cache_children").set(slots.len() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(child_id: Uuid, sequence: u64) -> StoredEvent {
        StoredEvent {
            global_position: sequence,
            child_id,
            sequence,
            event_id: Uuid::new_v4(),
            event_type: "case_reopened".into(),
            event_version: 1,
            occurred_at: chrono::Utc::now(),
            recorded_at: chrono::Utc::now(),
            recorded_by: serde_json::json!({}),
            agency: "school:x".into(),
            token_id: None,
            data: serde_json::json!({}),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_least_recently_used_children_go_first_once_over_budget() {
        // Too small a budget for even a's state beside b, which is in use.
        let cache = ChildCache::new(6);
        let a = Uuid::new_v4();
        let b = Uuid::new_v4();
        run(async {
            for child in [a, b] {
                let mut t = cache.turn(child).await;
                let (stored, decided) = folded(child, 6);
                t.appended(stored, decided);
                drop(t);
            }
        });
        assert_eq!(cache.held(), 6, "a was dropped to fit b");
        assert_eq!(cache.children(), 1);
    }

    /// Runs a test's turns to completion.
    fn run<F: std::future::Future>(test: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(test)
    }

    /// A child of `n` conversations, as stored and as the domain decided them.
    fn folded(child_id: Uuid, n: u64) -> (Vec<StoredEvent>, Vec<ChildEvent>) {
        use domain::testing::{Build, conversation_recorded, practitioner};
        let stored: Vec<StoredEvent> = (1..=n).map(|s| event(child_id, s)).collect();
        let decided = stored
            .iter()
            .map(|e| ChildEvent {
                event_id: e.event_id,
                occurred_at: e.occurred_at,
                recorded_by: practitioner(),
                body: domain::child::EventBody::Record(conversation_recorded().build()),
            })
            .collect();
        (stored, decided)
    }

    #[test]
    fn a_registration_keeps_its_state_alone_unless_the_child_was_folded_meanwhile() {
        let cache = ChildCache::new(100);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        run(async {
            let mut t = cache.turn(a).await;
            let (stored, decided) = folded(a, 1);
            t.registered(stored, decided);
            let kept = t.folded().unwrap();
            assert!(kept.events.is_empty() && !kept.child.is_whole());
            assert_eq!(kept.sequence(), 1);
            drop(t);
            assert_eq!(cache.held(), 1);

            // b was read from the store (three events, the first its registration) before its
            // registering turn came: that fold stands, the registration not folded twice.
            let mut t = cache.turn(b).await;
            let (stored, decided) = folded(b, 3);
            t.appended(stored.clone(), decided.clone());
            t.registered(stored[..1].to_vec(), decided[..1].to_vec());
            let kept = t.folded().unwrap();
            assert!(kept.child.is_whole());
            assert_eq!((kept.sequence(), kept.events.len()), (3, 3));
        });
    }

    #[test]
    fn over_budget_a_child_held_whole_is_kept_as_its_state_first() {
        let cache = ChildCache::new(100);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        run(async {
            let mut t = cache.turn(a).await;
            let (stored, decided) = folded(a, 64);
            t.appended(stored, decided);
            drop(t);
            assert_eq!(cache.held(), 64);
            let mut t = cache.turn(b).await;
            let (stored, decided) = folded(b, 64);
            t.appended(stored, decided);
            drop(t);
            // a no longer fits whole: it is kept as its state, which weighs 1 + 64 / 32.
            assert_eq!(cache.children(), 2);
            assert_eq!(cache.held(), 64 + 3);
            let t = cache.turn(a).await;
            let kept = t.folded().unwrap();
            assert!(kept.events.is_empty() && !kept.child.is_whole());
            assert_eq!(kept.sequence(), 64);
            assert_eq!(kept.child.state().events.len(), 64);
            drop(t);
            // Demoted, it is the first to go when even that does not fit.
            let c = Uuid::new_v4();
            let mut t = cache.turn(c).await;
            let (stored, decided) = folded(c, 35);
            t.appended(stored, decided);
            drop(t);
            assert!(cache.held() <= 100, "{}", cache.held());
        });
    }
}
