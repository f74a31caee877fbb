//! `GET /v1/disagreements` and `GET /v1/disagreements/{disagreement_id}`: the professional-
//! disagreement review, from the cross-child read model.
//!
//! A recorder sees only the disagreements its agency raised or is party to; a disagreement it
//! may not see is a 404 to it, as if it did not exist (its existence is itself information
//! about a child). Each disagreement shown is a read of its child's record and is logged.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use projection::{Disagreement, DisagreementList, DisagreementStatus};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::access::{Action, Scope};
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::routes::child::log_read;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// `open` or `resolved`; both when left out.
    pub status: Option<String>,
}

fn visible(scope: Scope, caller: &Caller, d: &Disagreement) -> bool {
    scope != Scope::DisagreementsOwnAgencyIsPartyTo || d.involves(&caller.agency)
}

/// The disagreements, oldest raised first, each with its stages, positions and resolution.
#[utoipa::path(get, path = "/v1/disagreements", operation_id = "list_disagreements", tag = "review", params(ReviewQuery),
    responses(
        (status = 200, description = "The disagreements the caller may see", body = DisagreementList),
        (status = 400, description = "`status` is not open or resolved", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReviewQuery>,
) -> ApiResult<HttpResponse> {
    let scope = caller.may(Action::ReadDisagreements)?;
    let status = match query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(s.parse::<DisagreementStatus>().map_err(|e| {
            ApiError::new(ErrorKind::InvalidParameter, e.to_string())
                .with_field("status", "open or resolved")
        })?),
    };
    let model = state.projections.model();
    let now = Utc::now();
    let shown: Vec<Disagreement> = model
        .disagreements(status)
        .into_iter()
        .filter(|d| visible(scope, &caller, d))
        .map(|d| d.clone().with_days_to(now))
        .collect();
    let mut children: Vec<Uuid> = shown.iter().map(|d| d.child_id).collect();
    children.sort();
    children.dedup();
    for child in children {
        log_read(&state, &caller, child, "disagreements".into()).await?;
    }
    Ok(HttpResponse::Ok().json(DisagreementList {
        disagreements: shown,
    }))
}

/// One disagreement.
#[utoipa::path(get, path = "/v1/disagreements/{disagreement_id}", operation_id = "get_disagreement", tag = "review",
    params(("disagreement_id" = Uuid, Path, description = "The disagreement")),
    responses(
        (status = 200, description = "The disagreement", body = Disagreement),
        (status = 404, description = "No such disagreement (or not one the caller's agency is party to)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let scope = caller.may(Action::ReadDisagreements)?;
    let id = path.into_inner();
    let model = state.projections.model();
    let d = model
        .disagreement(id)
        .filter(|d| visible(scope, &caller, d))
        .ok_or_else(|| ApiError::new(ErrorKind::NotFound, format!("no disagreement with id {id}")))?
        .clone()
        .with_days_to(Utc::now());
    log_read(&state, &caller, d.child_id, format!("disagreement:{id}")).await?;
    Ok(HttpResponse::Ok().json(d))
}
