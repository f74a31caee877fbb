//! `GET /health`, `GET /ready`, `GET /metrics`: for orchestrators and scrapers, no token.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, ApiResult, ErrorKind};
use crate::state::AppState;
use crate::telemetry;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` while the process serves.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "operations", security(()),
    responses((status = 200, description = "The process is up", body = Health)))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The store answers. (Per-child views are folded on demand, so there is no projection lag to
/// wait for in this version.)
#[utoipa::path(get, path = "/ready", tag = "operations", security(()),
    responses(
        (status = 200, description = "The store answers", body = Health),
        (status = 503, description = "The store does not answer", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn ready(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.store.ping().await.map_err(|e| {
        ApiError::new(ErrorKind::Unavailable, "the event store does not answer").with_source(e)
    })?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text exposition", body = String,
        content_type = "text/plain")))]
pub async fn metrics() -> HttpResponse {
    let handle = telemetry::metrics_handle();
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}
