//! Keeping the cross-child read model up to date: load the saved rows, catch up at start, then
//! as records arrive; rebuild from zero on demand.
//!
//! Publish, then persist. New events are applied to a copy of the model, which readers get at
//! once; the children they touched are marked dirty, and a background step
//! ([`Projections::persist`], every [`PERSIST_EVERY`] or as soon as [`PERSIST_AT`] children are
//! dirty) writes only those children's rows with the model's position, in one transaction
//! ([`store::EventStore::save_read_model`]). The rows and the position saved therefore always
//! reflect exactly the events up to that position; a crash between publishing and persisting
//! loses nothing, the next start loads the rows and catches up from their position.
//!
//! A child touched by new events has the facts of its whole typed record (the domain's events
//! and fold, [`ChildRecord`]), which is what makes a late correction of an old record count.
//! The records of recently touched children are kept (a cache bounded by children and by
//! events, `crate::kept`) with their facts kept open ([`CaseFold`]), so a child appended to
//! again is extended with its new events only: no read of its stream, no parsing of what came
//! before, and its facts extended by the new records (read again from the start only for a
//! correction or a disagreement). Past the events' budget a child keeps its facts alone, which
//! new records still extend unless they need the whole record. A rebuild
//! reads the store once in child order
//! ([`store::EventStore::read_children_text`]), folding each child once on a second thread
//! while the next page is read, and hands each folded page's rows to the store's writer as it
//! goes ([`store::EventStore::save_read_model_rows`], without the position); then it catches up
//! with what was appended meanwhile and saves those children with the position.
//!
//! What it does not do: write events, or decide what a reader may see.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use domain::child::ChildEvent;
use domain::framework::Framework;
use store::{EventStore, GlobalPosition, StoreError, StoreErrorKind, StoredEvent, StoredText};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::across::{self, Across};
use crate::child_record::ChildRecord;
use crate::inspection::cases::CaseFold;
use crate::kept::{Kept, KeptChildren};

/// The read model's name in the store.
pub const READ_MODEL: &str = "across";

/// Events read from the store per page while catching up.
const PAGE: usize = 2000;

/// Children read per page while rebuilding (whole streams: about 15 events a child).
const CHILDREN_PAGE: usize = 512;

/// Dirty children are persisted at most this often... Each save encodes every child touched
/// since the last (their whole facts) and holds the single writer for its transaction, so it is
/// not done more often than a restart's catch-up needs: a crash costs re-applying at most this
/// much, never a lost record.
pub const PERSIST_EVERY: Duration = Duration::from_secs(2);

/// ... or at once when this many are dirty.
pub const PERSIST_AT: usize = 5000;

/// How long the follower lets new events gather after applying some, before it reads again.
/// A cross-child read waits for the position it needs (`?min_position=`), so this is at most
/// the extra wait of a read that comes straight after an append.
const GATHER: Duration = Duration::from_millis(2);

/// While a long catch-up runs, readers are given the model at least this often.
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// How many events handed over by appends ([`Projections::offer`]) wait for the follower at
/// most; past that the newest are let go (the follower applies from its position up, so those
/// nearest it are the ones worth keeping), and read back from the store when their turn comes.
const OFFERED_KEPT: usize = 8 * PAGE;

/// How many recently touched children are kept ([`KeptChildren`]), so that the next append to
/// one of them costs no read of its stream and no parsing of its earlier events. Bounded so
/// memory does not grow with the council ...
const RECORDS_KEPT: usize = 1024;

/// ... nor with their histories: past this many events in the kept records (about 1 KB each),
/// the least recently touched children keep their facts alone.
const KEPT_EVENTS: usize = 200_000;

/// What readers see, and which children changed since the last persist.
#[derive(Default)]
struct Published {
    model: Arc<Across>,
    /// Children whose facts changed since the rows were last saved. Updated under the same
    /// lock as `model`, so a persist takes a model and exactly the children it changed.
    dirty: BTreeSet<Uuid>,
}

/// The read model and the task that follows the store.
pub struct Projections {
    store: Arc<dyn EventStore>,
    framework: &'static Framework,
    published: RwLock<Published>,
    caught_up: AtomicBool,
    /// The store's last known position, for the lag.
    head: AtomicU64,
    wake: Notify,
    /// Serialises catching up and rebuilding.
    turn: tokio::sync::Mutex<()>,
    /// Serialises persisting (and keeps it off while a rebuild runs).
    persisting: tokio::sync::Mutex<()>,
    /// The position of the rows last saved.
    persisted: AtomicU64,
    /// Wakes the persist step early when many children are dirty.
    persist_wake: Notify,
    /// Recently touched children's typed records (or facts alone), up to the model's
    /// position, with their facts kept open.
    kept: Mutex<KeptChildren>,
    /// Events this process appended, as the domain decided them, by global position.
    offered: Mutex<BTreeMap<GlobalPosition, Offered>>,
}

/// What a page's events make of a touched child.
enum Touched {
    /// Its whole typed record, with the facts kept from an earlier part of it, if any.
    Whole(ChildRecord, Option<CaseFold>),
    /// A child kept as its facts alone, those facts extended by the page's events.
    Facts(Kept),
}

/// An event an append of this process handed over ([`Projections::offer`]): what the store
/// added to it, and the domain's event itself, so the follower need not read it back and
/// parse it.
struct Offered {
    child_id: Uuid,
    sequence: u64,
    global_position: GlobalPosition,
    recorded_at: DateTime<Utc>,
    agency: String,
    event: Box<ChildEvent>,
}

/// An event for the follower to apply: read back from the store, or handed over.
enum Incoming {
    Stored(StoredEvent),
    Offered(Offered),
}

impl Incoming {
    fn child_id(&self) -> Uuid {
        match self {
            Incoming::Stored(e) => e.child_id,
            Incoming::Offered(o) => o.child_id,
        }
    }

    fn sequence(&self) -> u64 {
        match self {
            Incoming::Stored(e) => e.sequence,
            Incoming::Offered(o) => o.sequence,
        }
    }

    fn global_position(&self) -> GlobalPosition {
        match self {
            Incoming::Stored(e) => e.global_position,
            Incoming::Offered(o) => o.global_position,
        }
    }

    /// Adds the event to its child's record.
    fn push_to(self, record: &mut ChildRecord) {
        match self {
            Incoming::Stored(e) => record.push_owned(e),
            Incoming::Offered(o) => record.push_decided(
                o.sequence,
                o.global_position,
                o.recorded_at,
                &o.agency,
                *o.event,
            ),
        }
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(StoreErrorKind::Unavailable, format!("{what}: {e}"))
}

impl Projections {
    /// Loads the saved rows (or starts empty); call [`Projections::catch_up`] or
    /// [`Projections::follow`] next. Rows that cannot be read (another version's, or damaged)
    /// are dropped and the model rebuilt from zero, as it is when nothing was saved (a store
    /// that held the whole-model JSON snapshot of earlier versions: migration 0003 removes it).
    pub async fn load(
        store: Arc<dyn EventStore>,
        framework: &'static Framework,
    ) -> Result<Arc<Projections>, StoreError> {
        let (position, rows) = store.load_read_model(READ_MODEL).await?;
        let model = tokio::task::spawn_blocking(move || Across::from_rows(position, rows))
            .await
            .map_err(|e| failed("reading the saved read model", e))?;
        let model = match model {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "rebuilding the read model from zero");
                Across::default()
            }
        };
        Ok(Projections::with(store, framework, model))
    }

    /// Starts from an empty model without reading the saved rows: for a rebuild, which
    /// rewrites the row of every child the store holds (reading and decoding the old rows
    /// first was a tenth of a county's rebuild, for nothing). A row is only ever written for
    /// a child with events, and events are never removed, so no old row is left over.
    pub fn empty(store: Arc<dyn EventStore>, framework: &'static Framework) -> Arc<Projections> {
        Projections::with(store, framework, Across::default())
    }

    fn with(
        store: Arc<dyn EventStore>,
        framework: &'static Framework,
        model: Across,
    ) -> Arc<Projections> {
        Arc::new(Projections {
            store,
            framework,
            persisted: AtomicU64::new(model.position()),
            published: RwLock::new(Published {
                model: Arc::new(model),
                dirty: BTreeSet::new(),
            }),
            caught_up: AtomicBool::new(false),
            head: AtomicU64::new(0),
            wake: Notify::new(),
            turn: tokio::sync::Mutex::new(()),
            persisting: tokio::sync::Mutex::new(()),
            persist_wake: Notify::new(),
            kept: Mutex::new(KeptChildren::new(RECORDS_KEPT, KEPT_EVENTS)),
            offered: Mutex::new(BTreeMap::new()),
        })
    }

    /// How many events the kept children's records may hold between them (200,000 unless
    /// set); past it the least recently touched keep their facts alone. For tests, which
    /// set 0 to take that path on every child.
    pub fn set_kept_events(&self, events: usize) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.set_budget(events);
        }
    }

    /// The model as it stands (cheap: shares the current version).
    pub fn model(&self) -> Arc<Across> {
        self.published
            .read()
            .map(|p| p.model.clone())
            .unwrap_or_default()
    }

    /// Whether the model had caught up with the store when last checked.
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Acquire)
    }

    /// Asks the store whether any event lies beyond the model's position: the exact answer
    /// for `/ready`, at the cost of one small read.
    pub async fn check_caught_up(&self) -> Result<bool, StoreError> {
        let position = self.model().position();
        let next = self.store.read_all(position, 1).await?;
        if let Some(e) = next.first() {
            self.head.fetch_max(e.global_position, Ordering::AcqRel);
            self.wake.notify_one();
            return Ok(false);
        }
        Ok(self.caught_up())
    }

    /// Events the store holds that the model does not reflect yet (as last seen).
    pub fn lag(&self) -> u64 {
        self.head
            .load(Ordering::Acquire)
            .saturating_sub(self.model().position())
    }

    /// The position of the rows last saved in the store.
    pub fn persisted(&self) -> GlobalPosition {
        self.persisted.load(Ordering::Acquire)
    }

    /// Asks the follower to look for new events now (called after an append).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Hands over the events of an append this process made, once the store acknowledged
    /// them (`stored`), with the domain's events they were made from (`decided`, in the same
    /// order), and wakes the follower. The follower applies handed-over events only in an
    /// unbroken run from its position; where one is missing (another process appended it, or
    /// its append has not been handed over yet) it reads the store as before, so what it
    /// applies is always exactly the store's order.
    pub fn offer(&self, stored: &[StoredEvent], decided: &[ChildEvent]) {
        if stored.len() == decided.len()
            && let Ok(mut offered) = self.offered.lock()
        {
            for (s, event) in stored.iter().zip(decided) {
                offered.insert(
                    s.global_position,
                    Offered {
                        child_id: s.child_id,
                        sequence: s.sequence,
                        global_position: s.global_position,
                        recorded_at: s.recorded_at,
                        agency: s.agency.clone(),
                        event: Box::new(event.clone()),
                    },
                );
            }
            while offered.len() > OFFERED_KEPT {
                offered.pop_last();
            }
        }
        self.notify();
    }

    /// The handed-over events that follow `after` without a gap (at most a page); those at or
    /// before it are let go.
    fn take_offered(&self, after: GlobalPosition) -> Vec<Incoming> {
        let Ok(mut offered) = self.offered.lock() else {
            return Vec::new();
        };
        while offered.first_key_value().is_some_and(|(&p, _)| p <= after) {
            offered.pop_first();
        }
        let mut run = Vec::new();
        let mut next = after + 1;
        while run.len() < PAGE
            && let Some(o) = offered.remove(&next)
        {
            run.push(Incoming::Offered(o));
            next += 1;
        }
        run
    }

    /// The events after `after`: the handed-over run that follows it, or else a page read from
    /// the store.
    async fn next_page(&self, after: GlobalPosition) -> Result<Vec<Incoming>, StoreError> {
        let run = self.take_offered(after);
        if !run.is_empty() {
            metrics::counter!("caseline_projection_events_handed_over_total")
                .increment(run.len() as u64);
            return Ok(run);
        }
        Ok(self
            .store
            .read_all(after, PAGE)
            .await?
            .into_iter()
            .map(Incoming::Stored)
            .collect())
    }

    /// Applies every event after the model's position and publishes the result; returns how
    /// many were applied. `progress` is told the position reached after each page. A model
    /// that holds nothing yet is built by [`Projections::rebuild`]'s scan instead. The rows
    /// are saved later ([`Projections::persist`]).
    pub async fn catch_up(
        &self,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let turn = self.turn.lock().await;
        // A wake-up that finds nothing new (another got there first) costs one read and no
        // copy of the model; one that finds something applies the page it read.
        let current = self.model();
        let first = self.next_page(current.position()).await?;
        if first.is_empty() {
            self.caught_up.store(true, Ordering::Release);
            metrics::gauge!("caseline_projection_lag_events").set(0.0);
            return Ok(0);
        }
        if current.position() == 0 && current.children() == 0 {
            let persisting = self.persisting.lock().await;
            let applied = self.rebuild_locked(progress).await;
            drop((persisting, turn));
            return applied;
        }
        let mut model = (*current).clone();
        drop(current);
        self.advance_from(&mut model, first, progress).await
    }

    /// Rebuilds the model from the first event and saves every child's row; returns the events
    /// applied. Readers see an empty model until the new one is published.
    pub async fn rebuild(
        &self,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let _turn = self.turn.lock().await;
        let _persisting = self.persisting.lock().await;
        self.rebuild_locked(progress).await
    }

    /// [`Projections::rebuild`], with both locks held by the caller.
    async fn rebuild_locked(
        &self,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        self.caught_up.store(false, Ordering::Release);
        if let Ok(mut kept) = self.kept.lock() {
            kept.clear();
        }
        // The old model is let go first (readers see an empty one, and `/ready` says so, for
        // the seconds a rebuild takes), so two whole models are never held at once. Its dirty
        // children stay marked; every child is marked once the new model is built.
        self.publish(Across::default(), []);
        // A store that cannot scan by child leaves an empty model to catch up from zero.
        let Scanned {
            mut model,
            events: mut applied,
            unsaved,
        } = self.scan(progress).await?.unwrap_or_default();
        // The children whose rows the scan could not save are saved with the position, as
        // are the old model's dirty ones (kept, so a child the new model lacks loses its row)
        // and those the catch-up below touches.
        self.publish(model.clone(), unsaved);
        applied += self.advance(&mut model, progress).await?;
        self.persist_locked().await?;
        Ok(applied)
    }

    /// Reads the store once in child order up to its head and folds each child once. The
    /// child id space is cut into one lane per core; each lane reads its pages in order and
    /// folds each page (and encodes its rows) on a blocking thread while its next page is
    /// read, and the folded children are gathered here. Their rows go on to the store as they
    /// come ([`save_rows`]), so the single writer works beside the scan rather than after it.
    /// `None` if the store cannot scan by child (the caller then catches up by position from
    /// zero).
    async fn scan(
        &self,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<Option<Scanned>, StoreError> {
        let head = self.store.head_position().await?;
        // Known from now on, so the lag (`/ready`, metrics) says how far a rebuild has to go,
        // not just that the next event is missing.
        self.head.fetch_max(head, Ordering::AcqRel);
        // Asked once before the lanes start, so a store that cannot scan says so up front.
        if self
            .store
            .read_children_text(None, 1, head)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let lanes = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        // Each lane sends at most a couple of folded pages ahead of the gathering.
        let (tx, mut rx) =
            tokio::sync::mpsc::channel::<Result<(u64, across::Folded), StoreError>>(2 * lanes);
        let width = u128::MAX / lanes as u128;
        let mut tasks = tokio::task::JoinSet::new();
        for lane in 0..lanes as u128 {
            let from = (lane > 0).then(|| Uuid::from_u128(lane * width - 1));
            let until = (lane + 1 < lanes as u128).then(|| Uuid::from_u128((lane + 1) * width));
            let (store, framework, tx) = (self.store.clone(), self.framework, tx.clone());
            tasks.spawn(async move {
                if let Err(e) = scan_lane(store, framework, head, from, until, &tx).await {
                    let _ = tx.send(Err(e)).await;
                }
            });
        }
        drop(tx);
        // A few pages of rows may wait for the writer; the lanes wait beyond that.
        let (rows_tx, rows_rx) = tokio::sync::mpsc::channel(4);
        let saver = tokio::spawn(save_rows(self.store.clone(), head, rows_rx));
        let mut model = Across::default();
        let mut folded = 0u64;
        while let Some(page) = rx.recv().await {
            let (events, children) = page?;
            model.insert_folded(children.cases);
            if rows_tx.send(children.rows).await.is_err() {
                // The saver stopped on an error, which its join below returns.
                break;
            }
            folded += events;
            metrics::counter!("caseline_projection_events_total").increment(events);
            progress(folded);
        }
        drop(rows_tx);
        let unsaved = saver
            .await
            .map_err(|e| failed("saving the read model's rows", e))??;
        while let Some(done) = tasks.join_next().await {
            done.map_err(|e| failed("scanning children", e))?;
        }
        model.set_position(head);
        self.head.fetch_max(head, Ordering::AcqRel);
        Ok(Some(Scanned {
            model,
            events: folded,
            unsaved,
        }))
    }

    /// Applies pages of events by global position to `model`, publishing it as it goes and
    /// once at the end.
    async fn advance(
        &self,
        model: &mut Across,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let first = self.next_page(model.position()).await?;
        self.advance_from(model, first, progress).await
    }

    /// [`Projections::advance`], given the first page (the events after the model's position).
    async fn advance_from(
        &self,
        model: &mut Across,
        first: Vec<Incoming>,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let mut applied = 0u64;
        let mut touched = BTreeSet::new();
        let mut published = Instant::now();
        let started_at = model.position();
        let mut next = Some(first);
        loop {
            let page = match next.take() {
                Some(page) => page,
                None => self.next_page(model.position()).await?,
            };
            let Some(last) = page.last().map(Incoming::global_position) else {
                break;
            };
            let full = page.len() == PAGE;
            applied += page.len() as u64;
            metrics::counter!("caseline_projection_events_total").increment(page.len() as u64);
            // Each touched child once per page, with the page's events for it in order.
            let mut by_child: BTreeMap<Uuid, Vec<Incoming>> = BTreeMap::new();
            for e in page {
                by_child.entry(e.child_id()).or_default().push(e);
            }
            for (child, new) in by_child {
                // The child up to this page's end: later events are applied with their own
                // page, so the model reflects exactly the events up to `last`.
                let kept = match self.touch(child, new, last).await? {
                    Touched::Facts(kept) => kept,
                    Touched::Whole(record, fold) => {
                        let fold = match fold {
                            Some(mut fold) => {
                                fold.extend(&record, self.framework);
                                fold
                            }
                            None => CaseFold::of(&record, self.framework),
                        };
                        Kept::whole(record, fold)
                    }
                };
                model.put(child, kept.fold.case());
                if let Ok(mut kept_children) = self.kept.lock() {
                    kept_children.put(child, kept);
                    metrics::gauge!("caseline_projection_kept_events")
                        .set(kept_children.events() as f64);
                }
                touched.insert(child);
            }
            model.set_position(last);
            self.head.fetch_max(last, Ordering::AcqRel);
            progress(last);
            if full && published.elapsed() >= PUBLISH_EVERY {
                self.publish(model.clone(), std::mem::take(&mut touched));
                published = Instant::now();
            }
            if !full {
                break;
            }
        }
        if model.position() != started_at || !touched.is_empty() {
            self.publish(model.clone(), touched);
        }
        self.caught_up.store(true, Ordering::Release);
        metrics::gauge!("caseline_projection_position").set(model.position() as f64);
        metrics::gauge!("caseline_projection_lag_events").set(self.lag() as f64);
        Ok(applied)
    }

    /// A child up to `last`, given the events of it that a page brought. A child kept whole:
    /// its record extended with them when they follow on from it, else with what the store
    /// holds beyond it, and the facts kept from before. A child kept as its facts alone: those
    /// facts extended with them, when they follow on and can be read without the rest of the
    /// record ([`CaseFold::extend_part`]). Otherwise (not kept, or a correction or a
    /// disagreement for a child kept as its facts) its whole record read from the store.
    async fn touch(
        &self,
        child: Uuid,
        new: Vec<Incoming>,
        last: GlobalPosition,
    ) -> Result<Touched, StoreError> {
        let kept = self
            .kept
            .lock()
            .ok()
            .and_then(|mut k| k.take(child))
            // A child kept beyond `last` cannot be wound back (it never is: the kept ones
            // are at most the previous page's end); it is read again.
            .filter(|k| k.position <= last);
        let follows_on = |known: u64| {
            new.first().is_some_and(|e| e.sequence() == known + 1)
                && new
                    .windows(2)
                    .all(|w| w[1].sequence() == w[0].sequence() + 1)
        };
        let (mut record, fold) = match kept {
            Some(Kept {
                record: Some(record),
                fold,
                ..
            }) => (record, Some(fold)),
            Some(Kept {
                record: None,
                mut fold,
                sequence,
                position,
            }) if follows_on(sequence) => {
                let mut part = ChildRecord::new(child);
                for e in new {
                    e.push_to(&mut part);
                }
                if fold.extend_part(&part, self.framework) {
                    return Ok(Touched::Facts(Kept {
                        record: None,
                        fold,
                        sequence: part.sequence(),
                        position: position.max(part.position()),
                    }));
                }
                let mut record = ChildRecord::new(child);
                self.read_beyond(&mut record, last).await?;
                return Ok(Touched::Whole(record, None));
            }
            _ => (ChildRecord::new(child), None),
        };
        if follows_on(record.sequence()) {
            for e in new {
                e.push_to(&mut record);
            }
        } else {
            self.read_beyond(&mut record, last).await?;
        }
        Ok(Touched::Whole(record, fold))
    }

    /// Extends `record` with what the store holds of its child beyond it, up to `last`.
    async fn read_beyond(
        &self,
        record: &mut ChildRecord,
        last: GlobalPosition,
    ) -> Result<(), StoreError> {
        let more = self
            .store
            .read_stream(record.child_id(), record.sequence(), usize::MAX)
            .await?;
        for e in more.into_iter().filter(|e| e.global_position <= last) {
            record.push_owned(e);
        }
        Ok(())
    }

    /// Gives readers `model`, and marks `touched` to be persisted.
    fn publish(&self, model: Across, touched: impl IntoIterator<Item = Uuid>) {
        let mut many = false;
        if let Ok(mut p) = self.published.write() {
            p.model = Arc::new(model);
            p.dirty.extend(touched);
            many = p.dirty.len() >= PERSIST_AT;
        }
        if many {
            self.persist_wake.notify_one();
        }
    }

    /// Saves the rows of the children changed since the last save, with the published
    /// model's position, in one transaction. Nothing to do costs nothing. On failure the
    /// children stay dirty for the next try.
    pub async fn persist(&self) -> Result<(), StoreError> {
        let _persisting = self.persisting.lock().await;
        self.persist_locked().await
    }

    async fn persist_locked(&self) -> Result<(), StoreError> {
        let Ok((model, dirty)) = self
            .published
            .write()
            .map(|mut p| (p.model.clone(), std::mem::take(&mut p.dirty)))
        else {
            return Ok(());
        };
        let position = model.position();
        if dirty.is_empty() && position <= self.persisted() {
            return Ok(());
        }
        let started = Instant::now();
        // Encoding is CPU work proportional to the dirty children: off the async threads.
        let (dirty, changed, removed) = tokio::task::spawn_blocking(move || {
            let mut changed = Vec::with_capacity(dirty.len());
            let mut removed = Vec::new();
            for &id in &dirty {
                match model.row(id) {
                    Some(row) => changed.push((id, row)),
                    None => removed.push(id),
                }
            }
            (dirty, changed, removed)
        })
        .await
        .map_err(|e| failed("encoding the read model", e))?;
        let rows = changed.len();
        match self
            .store
            .save_read_model(READ_MODEL, position, changed, removed)
            .await
        {
            Ok(()) => {
                self.persisted.fetch_max(position, Ordering::AcqRel);
                metrics::counter!("caseline_projection_rows_saved_total").increment(rows as u64);
                metrics::histogram!("caseline_projection_persist_seconds")
                    .record(started.elapsed().as_secs_f64());
                Ok(())
            }
            Err(e) => {
                if let Ok(mut p) = self.published.write() {
                    p.dirty.extend(dirty);
                }
                Err(e)
            }
        }
    }

    /// Persists dirty children every [`PERSIST_EVERY`], or sooner when many are dirty, until
    /// the process ends.
    async fn persist_loop(self: Arc<Self>) {
        loop {
            let _ = tokio::time::timeout(PERSIST_EVERY, self.persist_wake.notified()).await;
            if let Err(e) = self.persist().await {
                tracing::warn!(error = %e, "the read model could not be saved; retrying");
            }
        }
    }

    /// Follows the store until the process ends: catches up, then again whenever notified
    /// or every `poll` (appends by other processes are seen that way); persists in the
    /// background meanwhile.
    pub async fn follow(self: Arc<Self>, poll: Duration) {
        // Stopped with the follower (its task aborted, or the runtime shut down).
        struct AbortOnDrop(tokio::task::JoinHandle<()>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let _persister = AbortOnDrop(tokio::spawn(Arc::clone(&self).persist_loop()));
        loop {
            match self.catch_up(&|_| {}).await {
                Ok(n) if n > 0 => {
                    tracing::debug!(events = n, "read model caught up");
                    // More is probably on its way (appends wake the follower): a moment's
                    // pause lets one page take what a burst of appends brought, rather than a
                    // read, a copy of the model and a publish for every few records.
                    tokio::time::sleep(GATHER).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    self.caught_up.store(false, Ordering::Release);
                    tracing::warn!(error = %e, "the read model could not catch up; retrying");
                }
            }
            // An append's wake-up while catching up is kept by `Notify` (a permit), so none
            // is lost between the read that found nothing and this wait.
            let _ = tokio::time::timeout(poll, self.wake.notified()).await;
        }
    }
}

/// What [`Projections::scan`] built: the model at the store's head, the events folded into it,
/// and the children whose rows it could not save ([`save_rows`]).
#[derive(Default)]
struct Scanned {
    model: Across,
    events: u64,
    unsaved: Vec<Uuid>,
}

/// Saves the rows a scan up to `head` sends, in order, as each arrives (or several at once when
/// the writer has fallen behind); returns the children whose rows were not saved. After the
/// store first declines ([`EventStore::save_read_model_rows`]: it keeps rows only with a
/// position, or a later model has been saved since), the rest are not offered, only counted
/// as unsaved.
async fn save_rows(
    store: Arc<dyn EventStore>,
    head: GlobalPosition,
    mut pages: tokio::sync::mpsc::Receiver<Vec<(Uuid, Vec<u8>)>>,
) -> Result<Vec<Uuid>, StoreError> {
    let mut unsaved = Vec::new();
    let mut declined = false;
    while let Some(mut rows) = pages.recv().await {
        while rows.len() < 4 * CHILDREN_PAGE
            && let Ok(more) = pages.try_recv()
        {
            rows.extend(more);
        }
        let ids = rows.iter().map(|(id, _)| *id);
        if declined {
            unsaved.extend(ids);
            continue;
        }
        let ids: Vec<Uuid> = ids.collect();
        if !store.save_read_model_rows(READ_MODEL, head, rows).await? {
            declined = true;
            unsaved.extend(ids);
        }
    }
    Ok(unsaved)
}

/// One lane of [`Projections::scan`]: the children after `from` and before `until`, read a page
/// at a time and folded on a blocking thread while the next page is read; each folded page is
/// sent with its count of events.
async fn scan_lane(
    store: Arc<dyn EventStore>,
    framework: &'static Framework,
    head: GlobalPosition,
    from: Option<Uuid>,
    until: Option<Uuid>,
    tx: &tokio::sync::mpsc::Sender<Result<(u64, across::Folded), StoreError>>,
) -> Result<(), StoreError> {
    // The page ends at the first child of the next lane, which is that lane's to fold.
    let within = |mut page: Vec<StoredText>| {
        let cut = until.and_then(|u| page.iter().position(|e| e.child_id >= u));
        let done = cut.is_some() || page.is_empty();
        if let Some(cut) = cut {
            page.truncate(cut);
        }
        (page, done)
    };
    let (mut page, mut done) = within(
        store
            .read_children_text(from, CHILDREN_PAGE, head)
            .await?
            .unwrap_or_default(),
    );
    while !page.is_empty() {
        let after = page.last().map(|e| e.child_id);
        let events = page.len() as u64;
        // The page is moved to the fold, and dropped there too.
        let fold = tokio::task::spawn_blocking(move || across::fold_children(page, framework));
        let next = async {
            if done {
                Ok(Some(Vec::new()))
            } else {
                store.read_children_text(after, CHILDREN_PAGE, head).await
            }
        };
        let (folded, next) = tokio::join!(fold, next);
        let folded = folded.map_err(|e| failed("folding children", e))?;
        if tx.send(Ok((events, folded))).await.is_err() {
            return Ok(());
        }
        (page, done) = within(next?.unwrap_or_default());
    }
    Ok(())
}
