//! `GET /v1/disagreements` and `GET /v1/disagreements/{disagreement_id}`: the professional-
//! disagreement review, from the cross-child read model.
//!
//! A recorder sees only the disagreements its agency raised or is party to; a disagreement it
//! may not see is a 404 to it, as if it did not exist (its existence is itself information
//! about a child). Each disagreement shown is a read of its child's record and is logged.
//! Both reads reflect every record acknowledged before them ([`crate::consistency`]).

use actix_web::{HttpResponse, web};
use chrono::Utc;
use projection::{Disagreement, DisagreementList, DisagreementStatus};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::access::{Action, Scope};
use crate::auth::Caller;
use crate::consistency;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::routes::child::log_read;
use crate::state::AppState;
use crate::views;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// `open` or `resolved`; both when left out.
    pub status: Option<String>,
    /// Reflect at least the record at this global position (a `Caseline-Position` from a
    /// `201`, perhaps another server's); see [`AtPosition`].
    #[param(value_type = Option<u64>, minimum = 0)]
    pub min_position: Option<String>,
}

/// The one query parameter of a read of one disagreement.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtPosition {
    /// Reflect at least the record at this global position: the `Caseline-Position` of a
    /// `201` (from any server on the same store). Every record this server acknowledged
    /// before the request is reflected without it. A 503 with `Retry-After` if the read model
    /// cannot get there in time.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub min_position: Option<String>,
}

fn visible(scope: Scope, caller: &Caller, d: &Disagreement) -> bool {
    scope != Scope::DisagreementsOwnAgencyIsPartyTo || d.involves(&caller.agency)
}

/// The disagreements, oldest raised first, each with its stages, positions and resolution.
#[utoipa::path(get, path = "/v1/disagreements", operation_id = "list_disagreements", tag = "review", params(ReviewQuery),
    responses(
        (status = 200, description = "The disagreements the caller may see, reflecting every record acknowledged before the request (and at least `min_position`)", body = views::DisagreementList),
        (status = 400, description = "`status` is not open or resolved, or `min_position` is not a whole number", body = Problem, content_type = "application/problem+json"),
        consistency::ModelBehind,
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ReviewQuery>,
) -> ApiResult<HttpResponse> {
    let scope = caller.may(Action::ReadDisagreements)?;
    let min_position = consistency::min_position(query.min_position.as_deref())?;
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
    let model = consistency::model_at_least(&state, min_position).await?;
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
    params(("disagreement_id" = Uuid, Path, description = "The disagreement"), AtPosition),
    responses(
        (status = 200, description = "The disagreement, reflecting every record acknowledged before the request (and at least `min_position`)", body = views::Disagreement),
        (status = 400, description = "`min_position` is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such disagreement (or not one the caller's agency is party to)", body = Problem, content_type = "application/problem+json"),
        consistency::ModelBehind,
    ))]
pub async fn one(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: web::Query<AtPosition>,
) -> ApiResult<HttpResponse> {
    let scope = caller.may(Action::ReadDisagreements)?;
    let id = path.into_inner();
    let min_position = consistency::min_position(query.min_position.as_deref())?;
    let model = consistency::model_at_least(&state, min_position).await?;
    let d = model
        .disagreement(id)
        .filter(|d| visible(scope, &caller, d))
        .ok_or_else(|| ApiError::new(ErrorKind::NotFound, format!("no disagreement with id {id}")))?
        .clone()
        .with_days_to(Utc::now());
    log_read(&state, &caller, d.child_id, format!("disagreement:{id}")).await?;
    Ok(HttpResponse::Ok().json(d))
}
