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

/// The store answers, its writer runs, and the cross-child read model has caught up with it.
/// (Per-child views are folded on demand from the child's stream, so they never lag.)
#[utoipa::path(get, path = "/ready", tag = "operations", security(()),
    responses(
        (status = 200, description = "The store answers", body = Health),
        (status = 503, description = "The store does not answer, its writer is restarting, or the read models are catching up", body = crate::problem::Problem,
            content_type = "application/problem+json"),
    ))]
pub async fn ready(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.store.ping().await.map_err(|e| {
        ApiError::new(ErrorKind::Unavailable, "the event store does not answer").with_source(e)
    })?;
    // A store that answers reads but has no writer cannot take a record: not ready until the
    // writer has been restarted.
    if !state.store.writer_running() {
        return Err(ApiError::new(
            ErrorKind::Unavailable,
            "the event store's writer is restarting",
        ));
    }
    let caught_up = state.projections.check_caught_up().await.map_err(|e| {
        ApiError::new(ErrorKind::Unavailable, "the event store does not answer").with_source(e)
    })?;
    if !caught_up {
        return Err(ApiError::new(
            ErrorKind::Unavailable,
            match state.projections.lag() {
                1 => "the read models are catching up (1 event behind)".to_owned(),
                lag => format!("the read models are catching up ({lag} events behind)"),
            },
        ));
    }
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
