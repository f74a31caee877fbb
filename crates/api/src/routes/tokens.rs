//! `POST /v1/tokens`, `GET /v1/tokens`, `DELETE /v1/tokens/{token_id}`: the admin's.
//!
//! A secret is shown once, in the answer that creates it; only its hash is kept.

use actix_web::{HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::{Action, Role};
use crate::auth::{self, Caller, TokenError};
use crate::body::JsonBody;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// `kind:name`, e.g. `school:norwich-high`.
    #[schema(example = "school:norwich-high")]
    pub agency: String,
    /// `recorder`, `front_door`, `auditor`, `inspector` or `admin`.
    #[schema(value_type = String, example = "recorder")]
    pub role: Role,
    /// What the token is for, e.g. the agency system's name.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    /// The secret: shown this once, never again.
    pub token: String,
    pub agency: String,
    #[schema(value_type = String, example = "recorder")]
    pub role: Role,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub agency: String,
    pub role: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Store(s) => s.into(),
            TokenError::UnknownRole(_) => ApiError::new(ErrorKind::InvalidInput, e.to_string())
                .with_field("role", e.to_string()),
            TokenError::BadAgency(_) => ApiError::new(ErrorKind::RuleBroken, e.to_string())
                .with_field("agency", e.to_string()),
            TokenError::BadName => ApiError::new(ErrorKind::RuleBroken, e.to_string())
                .with_field("name", e.to_string()),
        }
    }
}

/// Creates a token.
#[utoipa::path(post, path = "/v1/tokens", operation_id = "create_token", tag = "tokens", request_body = NewToken,
    responses(
        (status = 201, description = "Created; the secret is in `token`, shown once", body = CreatedToken),
        (status = 400, description = "Malformed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Agency or name not acceptable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    caller.may(Action::ManageTokens)?;
    let new: NewToken = body.parse()?;
    let (record, secret) = auth::create_token(
        state.store.as_ref(),
        &new.agency,
        new.role.as_str(),
        &new.name,
    )
    .await?;
    tracing::info!(token_id = %record.id, agency = %record.agency, role = %record.role, by = ?caller.token_id, "token created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/tokens/{}", record.id)))
        .json(CreatedToken {
            id: record.id,
            token: secret,
            agency: record.agency,
            role: new.role,
            name: record.name,
            created_at: record.created_at,
        }))
}

/// Lists every token, without secrets.
#[utoipa::path(get, path = "/v1/tokens", operation_id = "list_tokens", tag = "tokens",
    responses((status = 200, description = "Every token", body = TokenList)))]
pub async fn list(caller: Caller, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    caller.may(Action::ManageTokens)?;
    let tokens = state
        .store
        .tokens()
        .await?
        .into_iter()
        .map(|t| TokenInfo {
            id: t.id,
            agency: t.agency,
            role: t.role,
            name: t.name,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(TokenList { tokens }))
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/v1/tokens/{token_id}", operation_id = "revoke_token", tag = "tokens",
    params(("token_id" = Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    caller.may(Action::ManageTokens)?;
    let id = path.into_inner();
    if state.store.revoke_token(id, Utc::now()).await? {
        tracing::info!(token_id = %id, by = ?caller.token_id, "token revoked");
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::new(
            ErrorKind::NotFound,
            format!("no token with id {id}"),
        ))
    }
}
