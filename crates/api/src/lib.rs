//! Caseline's HTTP API: actix-web over the domain, the store and the per-child views.
//!
//! - [`server`]: builds the app (routes, middleware, limits) and runs it with a graceful stop.
//! - [`routes`]: one module per resource; every handler authenticates through
//!   [`auth::Caller`], names its [`access::Action`] to the one role table, and fails through
//!   [`problem::ApiError`], the one closed table of error kinds.
//! - [`body`]: reading a JSON body so that nothing a client sends becomes a 500.
//! - [`openapi`]: `/openapi.json`, generated from the handlers and the domain's schemas;
//!   [`views`] describes the projection's read views for it.
//! - [`consistency`]: read-your-writes across children (`Caseline-Position`, `min_position`).
//! - [`session`], [`oidc`]: people in a browser sign in (the council's identity provider, or a
//!   single-use link) and get a session that opens the pages, and only the pages.
//! - [`telemetry`]: JSON logs with a request id, Prometheus metrics.
//!
//! What it deliberately does not do: decide whether a record is valid (the domain), how it is
//! kept (the store), or how a view is folded (projection). It translates, authorises and logs.

pub mod access;
pub mod auth;
pub mod body;
pub mod config;
pub mod connections;
pub mod consistency;
pub mod kept_journeys;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod problem;
pub mod production;
pub mod pseudonym_key;
pub mod rate_limit;
pub mod routes;
pub mod server;
pub mod session;
pub mod state;
pub mod telemetry;
pub mod token_checks;
pub mod views;

pub use config::Config;
pub use server::{Running, start};
pub use state::AppState;
