//! Keeping the cross-child read model up to date: follow the store's global position from a
//! saved snapshot, catch up at start, then as records arrive; rebuild from zero on demand.
//!
//! The model and the position it reflects are saved together ([`store::EventStore::
//! save_snapshot`]), so a crash between an append and a save loses nothing: the next start
//! loads the last snapshot and catches up from its position. A child touched by new events is
//! recomputed from its whole stream, which is what makes a late correction of an old record
//! count.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use domain::framework::Framework;
use store::{EventStore, GlobalPosition, StoreError};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::across::Across;

/// The snapshot's name in the store.
pub const SNAPSHOT: &str = "across";

/// Events read from the store per page while catching up.
const PAGE: usize = 2000;

/// Save a snapshot at least this often while catching up, so a crash mid-rebuild does not
/// start over.
const SAVE_EVERY: Duration = Duration::from_secs(10);

/// The read model and the task that follows the store.
pub struct Projections {
    store: Arc<dyn EventStore>,
    framework: &'static Framework,
    model: RwLock<Arc<Across>>,
    caught_up: AtomicBool,
    /// The store's last known position, for the lag.
    head: AtomicU64,
    wake: Notify,
    /// Serialises catching up and rebuilding.
    turn: tokio::sync::Mutex<()>,
}

impl Projections {
    /// Loads the saved snapshot (or starts empty); call [`Projections::catch_up`] or
    /// [`Projections::follow`] next.
    pub async fn load(
        store: Arc<dyn EventStore>,
        framework: &'static Framework,
    ) -> Result<Arc<Projections>, StoreError> {
        let model = match store.load_snapshot(SNAPSHOT).await? {
            Some((_, bytes)) => match Across::from_bytes(&bytes) {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "rebuilding the read model from zero");
                    Across::default()
                }
            },
            None => Across::default(),
        };
        Ok(Arc::new(Projections {
            store,
            framework,
            model: RwLock::new(Arc::new(model)),
            caught_up: AtomicBool::new(false),
            head: AtomicU64::new(0),
            wake: Notify::new(),
            turn: tokio::sync::Mutex::new(()),
        }))
    }

    /// The model as it stands (cheap: shares the current version).
    pub fn model(&self) -> Arc<Across> {
        self.model.read().map(|m| m.clone()).unwrap_or_default()
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

    /// Asks the follower to look for new events now (called after an append).
    pub fn notify(&self) {
        self.wake.notify_one();
    }

    /// Applies every event after the model's position; returns how many were applied.
    /// `progress` is told the position reached after each page.
    pub async fn catch_up(
        &self,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let _turn = self.turn.lock().await;
        // A wake-up that finds nothing new (another got there first) costs one small read and
        // no copy of the model.
        if self
            .store
            .read_all(self.model().position(), 1)
            .await?
            .is_empty()
        {
            self.caught_up.store(true, Ordering::Release);
            return Ok(0);
        }
        let mut model = (*self.model()).clone();
        let applied = self.advance(&mut model, progress).await?;
        Ok(applied)
    }

    /// Throws the model away and rebuilds it from the first event; returns the events applied.
    pub async fn rebuild(
        &self,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let _turn = self.turn.lock().await;
        self.caught_up.store(false, Ordering::Release);
        let mut model = Across::default();
        self.publish(model.clone());
        let applied = self.advance(&mut model, progress).await?;
        Ok(applied)
    }

    async fn advance(
        &self,
        model: &mut Across,
        progress: &(dyn Fn(GlobalPosition) + Sync),
    ) -> Result<u64, StoreError> {
        let mut applied = 0u64;
        let mut saved = Instant::now();
        let started_at = model.position();
        loop {
            let page = self.store.read_all(model.position(), PAGE).await?;
            let Some(last) = page.last().map(|e| e.global_position) else {
                break;
            };
            let touched: BTreeSet<Uuid> = page.iter().map(|e| e.child_id).collect();
            for child in touched {
                // The whole stream up to this page's end: later events are applied with
                // their own page, so the model reflects exactly the events up to `last`.
                let mut events = self.store.read_stream(child, 0, usize::MAX).await?;
                events.retain(|e| e.global_position <= last);
                model.refresh_child(child, &events, self.framework);
            }
            applied += page.len() as u64;
            model.set_position(last);
            self.head.fetch_max(last, Ordering::AcqRel);
            metrics::counter!("caseline_projection_events_total").increment(page.len() as u64);
            progress(last);
            if saved.elapsed() >= SAVE_EVERY {
                self.save(model).await?;
                saved = Instant::now();
            }
            if page.len() < PAGE {
                break;
            }
        }
        if model.position() != started_at || applied > 0 {
            self.save(model).await?;
        }
        self.publish(model.clone());
        self.caught_up.store(true, Ordering::Release);
        metrics::gauge!("caseline_projection_position").set(model.position() as f64);
        metrics::gauge!("caseline_projection_lag_events").set(self.lag() as f64);
        Ok(applied)
    }

    async fn save(&self, model: &Across) -> Result<(), StoreError> {
        self.store
            .save_snapshot(SNAPSHOT, model.position(), model.to_bytes())
            .await
    }

    fn publish(&self, model: Across) {
        if let Ok(mut m) = self.model.write() {
            *m = Arc::new(model);
        }
    }

    /// Follows the store until the process ends: catches up, then again whenever notified
    /// or every `poll` (appends by other processes are seen that way).
    pub async fn follow(self: Arc<Self>, poll: Duration) {
        loop {
            match self.catch_up(&|_| {}).await {
                Ok(n) if n > 0 => tracing::debug!(events = n, "read model caught up"),
                Ok(_) => {}
                Err(e) => {
                    self.caught_up.store(false, Ordering::Release);
                    tracing::warn!(error = %e, "the read model could not catch up; retrying");
                }
            }
            // Also learn the store's head, for the lag, when nothing new was applied.
            if let Ok(next) = self.store.read_all(self.model().position(), 1).await {
                match next.first() {
                    Some(e) => {
                        self.head.fetch_max(e.global_position, Ordering::AcqRel);
                        self.caught_up.store(false, Ordering::Release);
                        continue;
                    }
                    None => metrics::gauge!("caseline_projection_lag_events").set(0.0),
                }
            }
            let _ = tokio::time::timeout(poll, self.wake.notified()).await;
        }
    }
}
