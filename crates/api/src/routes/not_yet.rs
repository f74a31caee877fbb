//! Routes of the contract that arrive with the next version: disagreements, the inspection
//! report, projection rebuilds. They authenticate and apply the role table like the rest, so
//! a client learns about its permissions now, then answer 501.

use actix_web::HttpResponse;

use crate::access::Action;
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult, ErrorKind};

fn not_yet(what: &str) -> ApiError {
    ApiError::new(
        ErrorKind::NotImplemented,
        format!("{what} is not available in this version yet"),
    )
}

/// The professional-disagreement review. Not available yet: always 501 once authorised.
#[utoipa::path(get, path = "/v1/disagreements", tag = "not yet available",
    params(("status" = Option<String>, Query, description = "`open` or `resolved`")),
    responses((status = 501, description = "Not available in this version", body = crate::problem::Problem,
        content_type = "application/problem+json")))]
pub async fn disagreements(caller: Caller) -> ApiResult<HttpResponse> {
    caller.may(Action::ReadDisagreements)?;
    Err(not_yet("the professional-disagreement review"))
}

/// One professional disagreement. Not available yet: always 501 once authorised.
#[utoipa::path(get, path = "/v1/disagreements/{disagreement_id}", tag = "not yet available",
    params(("disagreement_id" = uuid::Uuid, Path, description = "The disagreement's id")),
    responses((status = 501, description = "Not available in this version", body = crate::problem::Problem,
        content_type = "application/problem+json")))]
pub async fn disagreement(caller: Caller) -> ApiResult<HttpResponse> {
    caller.may(Action::ReadDisagreements)?;
    Err(not_yet("the professional-disagreement review"))
}

/// The inspection report. Not available yet: always 501 once authorised.
#[utoipa::path(get, path = "/v1/reports/inspection", tag = "not yet available",
    params(
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD"),
        ("locality" = Option<String>, Query, description = "A locality"),
    ),
    responses((status = 501, description = "Not available in this version", body = crate::problem::Problem,
        content_type = "application/problem+json")))]
pub async fn inspection(caller: Caller) -> ApiResult<HttpResponse> {
    caller.may(Action::ReadInspectionReport)?;
    Err(not_yet("the inspection report"))
}

/// Rebuilds the read models. Not available yet: always 501 once authorised (this version folds
/// each child's views on demand, so there is nothing to rebuild).
#[utoipa::path(post, path = "/v1/admin/projections/rebuild", tag = "not yet available",
    responses((status = 501, description = "Not available in this version", body = crate::problem::Problem,
        content_type = "application/problem+json")))]
pub async fn rebuild(caller: Caller) -> ApiResult<HttpResponse> {
    caller.may(Action::RebuildProjections)?;
    Err(not_yet("rebuilding projections"))
}
