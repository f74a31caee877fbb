//! What every handler shares: the store, the framework, the configuration, the limiter.

use std::sync::Arc;

use domain::framework::Framework;
use store::EventStore;

use crate::config::Config;
use crate::rate_limit::Limiter;

/// Shared by every worker; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
    /// The threshold framework the deployment is configured with.
    pub framework: &'static Framework,
    pub config: Arc<Config>,
    pub limiter: Arc<Limiter>,
    /// Serialises appends to one child within this process, so concurrent writers queue
    /// rather than lose optimistic races over and over. Across processes the store's expected
    /// sequence still decides.
    pub child_locks: Arc<ChildLocks>,
    /// The cross-child read model (disagreements, the inspection report) and its follower.
    pub projections: Arc<projection::Projections>,
    /// The key pseudonyms are made with; see `routes::report`.
    pub pseudonym_key: Arc<Vec<u8>>,
}

/// A fixed set of async locks, one picked per child by its id: bounded memory, and two
/// children sharing a stripe only ever wait for each other's (short) appends.
pub struct ChildLocks {
    stripes: Vec<tokio::sync::Mutex<()>>,
}

impl ChildLocks {
    const STRIPES: usize = 1024;

    pub fn new() -> ChildLocks {
        ChildLocks {
            stripes: (0..Self::STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// Waits for the child's stripe.
    pub async fn lock(&self, child_id: uuid::Uuid) -> tokio::sync::MutexGuard<'_, ()> {
        let i = (child_id.as_u128() % Self::STRIPES as u128) as usize;
        self.stripes[i].lock().await
    }
}

impl Default for ChildLocks {
    fn default() -> Self {
        ChildLocks::new()
    }
}
