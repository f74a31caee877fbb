//! What every handler shares: the store, the framework, the configuration, the limiter, the
//! use cases (with their cache of folded children) and the cross-child read model.

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
    /// Every request's token, looked up in the store; checks arriving together share a read.
    pub token_checks: Arc<crate::token_checks::TokenChecks>,
    /// The use cases over a child's record, with the children it keeps folded.
    pub casework: Arc<casework::Casework>,
    /// Journeys' JSON kept per child version and sight (`kept_journeys`).
    pub kept_journeys: Arc<crate::kept_journeys::KeptJourneys>,
    /// The cross-child read model (disagreements, the inspection report) and its follower.
    pub projections: Arc<projection::Projections>,
    /// The key pseudonyms are made with; see `routes::report`.
    pub pseudonym_key: Arc<Vec<u8>>,
    /// The highest global position this process has acknowledged with a `201`: a cross-child
    /// read waits for the read model to reach it (`consistency`).
    pub acknowledged: Arc<crate::consistency::Acknowledged>,
    /// The council's identity provider, when one is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
}
