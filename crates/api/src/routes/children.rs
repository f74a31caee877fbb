//! `POST /v1/children` (register a child) and `GET /v1/children?nhs_number=…` (find one).
//!
//! A registration is the first event of a new stream; the identifiers it carries are claimed
//! in the same transaction, so two registrations can never both hold an NHS number and the
//! second learns the first's `child_id` (409).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use casework::Acknowledged;
use chrono::{DateTime, FixedOffset, Utc};
use domain::registration::{ChildDetails, Identifiers, NhsNumber, Upn};
use domain::shapes::Person;
use serde::{Deserialize, Serialize};
use store::IdentifierClaim;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Action;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::consistency;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::routes::child::{self, etag, idempotency};
use crate::state::AppState;

/// The envelope of a registration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    /// Required here, parsed apart (`ChildDetails::parse`) so its errors and the envelope's
    /// are reported together.
    #[serde(rename = "child")]
    _child: serde::de::IgnoredAny,
    occurred_at: DateTime<FixedOffset>,
    recorded_by: Person,
}

/// A registration as posted (documentation only: the body is parsed by the domain).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewChild {
    /// The child's details (`ChildDetails`).
    #[schema(value_type = Object)]
    child: serde_json::Value,
    /// When the child became known to the recording agency; at most 5 minutes ahead.
    occurred_at: DateTime<Utc>,
    /// Who recorded it (`Person`); its agency must be the token's.
    #[schema(value_type = Object)]
    recorded_by: serde_json::Value,
}

/// The answer to a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub child_id: Uuid,
    /// Always 1: the registration is the stream's first event.
    pub sequence: u64,
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
}

/// Registers a child.
///
/// The NHS number must pass its check digit and the UPN its check letter. A child already
/// registered under the same NHS number (or UPN or local id) is a 409 whose problem carries
/// `existing_child_id`. `Idempotency-Key` makes a retry safe.
#[utoipa::path(post, path = "/v1/children", operation_id = "register_child", tag = "children", request_body = NewChild,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key; a retry with the same key and body returns the first answer")),
    responses(
        (status = 201, description = "Registered", body = Registered,
            headers(("Location" = String, description = "The child's case"), ("ETag" = String, description = "The stream's sequence"), ("Caseline-Position" = u64, description = "The registration's global position (a replay carries the first answer's): a cross-child read with `?min_position=` this reflects it"))),
        (status = 400, description = "Malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not register, or `recorded_by.agency` is not the token's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already registered under this identifier: see `existing_child_id`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Breaks a rule, or the Idempotency-Key was used with a different body", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    caller.may(Action::RegisterChild)?;
    // The envelope and the child's details are checked apart and their errors reported
    // together, so a client fixes every field in one go.
    let parsed: Result<Registration, _> = domain::shapes::parse_ref(&body.value, "");
    let details = body
        .value
        .get("child")
        .map(|child| ChildDetails::parse(child.clone(), "child"));
    let occurred_at = parsed
        .as_ref()
        .ok()
        .map(|r| domain::dates::instant(r.occurred_at, "occurred_at"));
    let refusals = [
        parsed.as_ref().err().cloned(),
        details.as_ref().and_then(|d| d.as_ref().err().cloned()),
        occurred_at.as_ref().and_then(|t| t.as_ref().err().cloned()),
    ];
    if let Some(e) = domain::Invalid::merge(refusals.into_iter().flatten()) {
        return Err(e.into());
    }
    let (Ok(registration), Some(Ok(details)), Some(Ok(occurred_at))) =
        (parsed, details, occurred_at)
    else {
        // Every way here is refused above; this only keeps the compiler sure of it.
        return Err(domain::Invalid::shape("child", "is required").into());
    };
    let key = idempotency(&req, &caller, || body.request_hash("register"))?;
    let appended = match state
        .casework
        .register(
            &caller.actor(),
            occurred_at,
            registration.recorded_by,
            details,
            key,
        )
        .await
    {
        Ok(appended) => appended,
        Err(casework::CaseworkError::Store(e)) => {
            // The 409 tells the caller which child holds the identifier: that is a lookup,
            // and is logged against that child as one (docs/CONTRACT.md), before it is answered.
            if let store::StoreErrorKind::IdentifierTaken {
                kind,
                existing_child_id,
            } = e.kind()
            {
                child::log_read(
                    &state,
                    &caller,
                    *existing_child_id,
                    format!("lookup:{kind} (registration refused: already registered)"),
                )
                .await?;
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    // The read model was handed the registration and woken by casework (`on_appended`).
    child::count_appended(&appended);
    registered(&state, &appended, appended.replayed)
}

fn registered(
    state: &AppState,
    appended: &Acknowledged,
    replayed: bool,
) -> ApiResult<HttpResponse> {
    let first = appended
        .events
        .first()
        .ok_or_else(|| ApiError::new(ErrorKind::Internal, "an append returned no events"))?;
    let mut res = HttpResponse::Created();
    res.insert_header((
        header::LOCATION,
        format!("/v1/children/{}", appended.child_id),
    ))
    .insert_header((header::ETAG, etag(first.sequence)));
    consistency::acknowledge(state, appended, &mut res);
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(Registered {
        child_id: appended.child_id,
        sequence: first.sequence,
        event_id: first.event_id,
        recorded_at: first.recorded_at,
    }))
}

/// The identifiers a child's details claim (see [`casework::identifier_claims`]).
pub fn claims(identifiers: Option<&Identifiers>) -> Vec<IdentifierClaim> {
    casework::identifier_claims(identifiers)
}

/// Exactly one identifier to look a child up by.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Lookup {
    /// 10 digits with a valid check digit (spaces allowed).
    pub nhs_number: Option<String>,
    /// 13 characters with a valid check letter.
    pub upn: Option<String>,
    /// The council's own id for the child.
    pub la_child_id: Option<String>,
}

/// The child an identifier belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Found {
    pub child_id: Uuid,
    /// The child's case: `/v1/children/{child_id}`.
    pub href: String,
}

/// Finds a registered child by one identifier (front door and auditor only; the lookup is
/// logged against the child found like any read).
#[utoipa::path(get, path = "/v1/children", operation_id = "find_child", tag = "children", params(Lookup),
    responses(
        (status = 200, description = "Found", body = Found),
        (status = 400, description = "Not exactly one valid identifier", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role may not look up", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No child holds this identifier", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn lookup(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<Lookup>,
) -> ApiResult<HttpResponse> {
    caller.may(Action::LookupByIdentifier)?;
    let (kind, value) = identifier(query.into_inner())?;
    let child_id = state
        .store
        .find_by_identifier(kind, &value)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::NotFound,
                format!("no child is registered with this {kind}"),
            )
        })?;
    child::log_read(&state, &caller, child_id, format!("lookup:{kind}")).await?;
    Ok(HttpResponse::Ok().json(Found {
        child_id,
        href: format!("/v1/children/{child_id}"),
    }))
}

fn identifier(q: Lookup) -> Result<(&'static str, String), ApiError> {
    let bad = |field: &str, message: String| {
        ApiError::new(ErrorKind::InvalidParameter, message.clone()).with_field(field, message)
    };
    match (q.nhs_number, q.upn, q.la_child_id) {
        (Some(n), None, None) => NhsNumber::new(&n)
            .map(|n| ("nhs_number", n.as_str().to_owned()))
            .map_err(|m| bad("nhs_number", m)),
        (None, Some(u), None) => Upn::new(&u)
            .map(|u| ("upn", u.as_str().to_owned()))
            .map_err(|m| bad("upn", m)),
        (None, None, Some(l)) if !l.trim().is_empty() => Ok(("la_child_id", l.trim().to_owned())),
        _ => Err(bad(
            "nhs_number",
            "give exactly one of nhs_number, upn or la_child_id".to_owned(),
        )),
    }
}
