//! `POST /v1/admin/projections/rebuild`: throws the cross-child read model away and rebuilds
//! it from the first event. Answers when done, with the count; `/ready` is false meanwhile.

use std::time::Instant;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Action;
use crate::auth::Caller;
use crate::problem::ApiResult;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Rebuilt {
    /// Events applied.
    pub events: u64,
    /// Children in the rebuilt model.
    pub children: usize,
    /// The global position the model now reflects.
    pub position: u64,
    pub seconds: f64,
}

/// Rebuilds the read models from the event store.
#[utoipa::path(post, path = "/v1/admin/projections/rebuild", operation_id = "rebuild_projections", tag = "tokens",
    responses((status = 200, description = "Rebuilt", body = Rebuilt)))]
pub async fn rebuild(caller: Caller, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    caller.may(Action::RebuildProjections)?;
    let started = Instant::now();
    tracing::info!(by = ?caller.token_id, "rebuilding the read models");
    let events = state.projections.rebuild(&|_| {}).await?;
    let model = state.projections.model();
    Ok(HttpResponse::Ok().json(Rebuilt {
        events,
        children: model.children(),
        position: model.position(),
        seconds: started.elapsed().as_secs_f64(),
    }))
}
