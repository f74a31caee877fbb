//! Every error the API answers with, as `application/problem+json` (RFC 9457).
//!
//! One closed table, [`ErrorKind`], maps each kind of failure to its status, its `type` URI
//! and its title; handlers never pick a status themselves. A 500 carries an opaque body: its
//! cause goes to the log, never to the client. This module does not decide *whether* something
//! is an error (that is the domain's, the store's and the role table's business), only how it
//! is told.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every kind of failure the API can answer with. Closed: adding a kind means adding a row to
/// [`ErrorKind::row`], and the OpenAPI document lists them all from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The body is not well-formed JSON, or a field has the wrong type or is missing.
    InvalidInput,
    /// The query string or a path segment is malformed.
    InvalidParameter,
    /// No bearer token, or one the server does not know or has revoked.
    Unauthenticated,
    /// The caller's role or agency may not do this.
    Forbidden,
    /// No such child, record, token or route.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The answer cannot be given in the media type asked for.
    NotAcceptable,
    /// `If-Match` named a sequence the child's stream is no longer at.
    VersionConflict,
    /// A child with this NHS number (or other unique identifier) is already registered.
    AlreadyRegistered,
    /// The request body is larger than the limit.
    PayloadTooLarge,
    /// The request body is not JSON.
    UnsupportedMediaType,
    /// Well-formed, but breaks a rule of the domain.
    RuleBroken,
    /// An `Idempotency-Key` reused with a different request.
    IdempotencyKeyReused,
    /// Too many requests for this token.
    RateLimited,
    /// The store cannot be reached, or a read could not be logged.
    Unavailable,
    /// A fault of the server's own; the body says nothing more.
    Internal,
}

/// One row of the table: what a kind looks like on the wire.
pub struct Row {
    pub status: StatusCode,
    /// The last segment of the `type` URI.
    pub slug: &'static str,
    pub title: &'static str,
}

/// The base of every problem `type` URI. Not dereferenceable; a stable name.
pub const TYPE_BASE: &str = "https://caseline.example/problems/";

impl ErrorKind {
    /// Every kind, for the OpenAPI document and the tests.
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::InvalidInput,
        ErrorKind::InvalidParameter,
        ErrorKind::Unauthenticated,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::MethodNotAllowed,
        ErrorKind::NotAcceptable,
        ErrorKind::VersionConflict,
        ErrorKind::AlreadyRegistered,
        ErrorKind::PayloadTooLarge,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::RuleBroken,
        ErrorKind::IdempotencyKeyReused,
        ErrorKind::RateLimited,
        ErrorKind::Unavailable,
        ErrorKind::Internal,
    ];

    /// The table.
    pub fn row(self) -> Row {
        use ErrorKind::*;
        let (status, slug, title) = match self {
            InvalidInput => (
                StatusCode::BAD_REQUEST,
                "invalid-input",
                "The request body is not valid",
            ),
            InvalidParameter => (
                StatusCode::BAD_REQUEST,
                "invalid-parameter",
                "A query or path parameter is not valid",
            ),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "A valid bearer token is required",
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "This token may not do that",
            ),
            NotFound => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed here",
            ),
            NotAcceptable => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "No representation for that Accept",
            ),
            VersionConflict => (
                StatusCode::CONFLICT,
                "version-conflict",
                "The child's record has moved on",
            ),
            AlreadyRegistered => (
                StatusCode::CONFLICT,
                "already-registered",
                "This child is already registered",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "The request body is too large",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "The request body must be JSON",
            ),
            RuleBroken => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "rule-broken",
                "The record breaks a rule",
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "This Idempotency-Key was used with a different request",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service is not available now",
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side",
            ),
        };
        Row {
            status,
            slug,
            title,
        }
    }

    /// The kind a bare status maps to, for answers produced outside our handlers (actix's own
    /// 404s and 405s, an extractor we did not configure).
    pub fn for_status(status: StatusCode) -> ErrorKind {
        match status.as_u16() {
            400 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            405 => ErrorKind::MethodNotAllowed,
            406 => ErrorKind::NotAcceptable,
            409 => ErrorKind::VersionConflict,
            413 => ErrorKind::PayloadTooLarge,
            415 => ErrorKind::UnsupportedMediaType,
            422 => ErrorKind::RuleBroken,
            429 => ErrorKind::RateLimited,
            503 => ErrorKind::Unavailable,
            _ if status.is_client_error() => ErrorKind::InvalidInput,
            _ => ErrorKind::Internal,
        }
    }
}

/// One field that failed, with a message a practitioner can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// A JSON path into the request, e.g. `data.scaling[0].score` or `records[3].data.decision`.
    pub field: String,
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Present for invalid input and broken rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<FieldError>,
    /// Present on a 409 for a child already registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub existing_child_id: Option<Uuid>,
}

/// An error on its way to becoming a problem answer.
#[derive(Debug)]
pub struct ApiError {
    kind: ErrorKind,
    detail: String,
    errors: Vec<FieldError>,
    existing_child_id: Option<Uuid>,
    retry_after_secs: Option<u64>,
    /// For a person's browser opening a page without a session: where to sign in. The answer
    /// is then a redirect there, not a problem a browser would show as text.
    sign_in: Option<Box<str>>,
    /// The cause, logged for a 5xx and never sent.
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        ApiError {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            existing_child_id: None,
            retry_after_secs: None,
            sign_in: None,
            source: None,
        }
    }

    /// A 500 whose cause is logged and whose body says nothing about it.
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::new(
            ErrorKind::Internal,
            "The server could not complete the request.",
        )
        .with_source(source)
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    pub fn with_existing_child(mut self, id: Uuid) -> Self {
        self.existing_child_id = Some(id);
        self
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Sends a browser to `location` (a local `/signin?next=…`) in place of the problem.
    pub fn with_sign_in(mut self, location: String) -> Self {
        self.sign_in = Some(location.into_boxed_str());
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// Prefixes every field path, so an error in one record of a batch names it by index.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for e in &mut self.errors {
            e.field = if e.field.is_empty() {
                prefix.to_owned()
            } else if e.field.starts_with('[') {
                format!("{prefix}{}", e.field)
            } else {
                format!("{prefix}.{}", e.field)
            };
        }
        self
    }

    pub fn problem(&self) -> Problem {
        let row = self.kind.row();
        Problem {
            type_: format!("{TYPE_BASE}{}", row.slug),
            title: row.title.to_owned(),
            status: row.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            existing_child_id: self.existing_child_id,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Writes an error and its chain of causes on one line, for the log (each cause once).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    store::describe_error(e)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.row().status
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(kind = ?self.kind, cause = %error_chain(self), "request failed");
        }
        if let Some(location) = &self.sign_in {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, &**location))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
        }
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.retry_after_secs {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.kind == ErrorKind::Unauthenticated {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        // Serialising a struct of strings cannot fail; if it ever did, an empty object is still
        // a problem body the client can read the status of.
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| b"{}".to_vec());
        res.body(body)
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        use store::StoreErrorKind as K;
        match e.kind().clone() {
            K::Conflict { expected, actual } => ApiError::new(
                ErrorKind::VersionConflict,
                format!(
                    "expected the child's record at {expected}, but it is at sequence {actual}"
                ),
            ),
            K::IdempotencyKeyReused => ApiError::new(
                ErrorKind::IdempotencyKeyReused,
                "this Idempotency-Key was already used by your agency with a different request; \
                 use a new key for a new request",
            ),
            K::IdentifierTaken {
                kind,
                existing_child_id,
            } => ApiError::new(
                ErrorKind::AlreadyRegistered,
                format!("a child is already registered with this {kind}"),
            )
            .with_existing_child(existing_child_id),
            K::DuplicateEventId(id) => ApiError::new(
                ErrorKind::RuleBroken,
                format!("an event with id {id} is already recorded"),
            ),
            K::Unavailable => {
                tracing::error!(cause = %error_chain(&e), "store unavailable");
                ApiError::new(
                    ErrorKind::Unavailable,
                    "the event store cannot be reached; try again",
                )
            }
            K::Busy { retry_after_secs } => {
                tracing::warn!(cause = %error_chain(&e), "store busy");
                ApiError::new(
                    ErrorKind::Unavailable,
                    "the event store has more appends waiting than it takes; nothing was written, try again shortly",
                )
                .with_retry_after(retry_after_secs.max(1))
            }
            K::Unstorable { field } => ApiError::new(
                ErrorKind::InvalidInput,
                format!("{field} holds a value the event store cannot keep"),
            )
            .with_field(field, e.to_string()),
            K::Config | K::NotEmpty | K::Corrupt | K::Locked | K::MigrationChanged { .. } => {
                ApiError::internal(e)
            }
        }
    }
}

impl From<domain::Invalid> for ApiError {
    fn from(e: domain::Invalid) -> Self {
        let kind = match e.kind() {
            domain::InvalidKind::Shape => ErrorKind::InvalidInput,
            domain::InvalidKind::Rule => ErrorKind::RuleBroken,
        };
        let errors = e
            .errors()
            .iter()
            .map(|f| FieldError {
                field: f.field.clone(),
                message: f.message.clone(),
            })
            .collect();
        ApiError::new(kind, e.detail()).with_errors(errors)
    }
}

impl From<domain::access::Denied> for ApiError {
    fn from(e: domain::access::Denied) -> Self {
        ApiError::new(ErrorKind::Forbidden, e.0)
    }
}

/// The result type of every handler.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<casework::CaseworkError> for ApiError {
    fn from(e: casework::CaseworkError) -> Self {
        use casework::CaseworkError as E;
        match e {
            E::Invalid(i) => i.into(),
            E::Denied { field, denied } => ApiError::new(ErrorKind::Forbidden, denied.0)
                .with_field(field, "this token may not record this here"),
            E::UnknownChild(id) => ApiError::new(
                ErrorKind::NotFound,
                format!("no child is registered with id {id}"),
            ),
            e @ E::NotAtSequence { .. } => ApiError::new(ErrorKind::VersionConflict, e.to_string()),
            e @ E::Contended => ApiError::new(ErrorKind::Unavailable, e.to_string()),
            E::Store(s) => s.into(),
            E::Unreadable(u) => ApiError::internal(u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::{StoreError, StoreErrorKind};

    fn check(given: StoreErrorKind, then_status: u16) -> HttpResponse {
        let res = ApiError::from(StoreError::new(given, "the store's words")).error_response();
        assert_eq!(res.status().as_u16(), then_status);
        res
    }

    #[test]
    fn a_busy_store_is_503_with_retry_after() {
        let res = check(
            StoreErrorKind::Busy {
                retry_after_secs: 1,
            },
            503,
        );
        assert_eq!(
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
    }

    #[test]
    fn an_unstorable_value_is_400_naming_the_field() {
        let e = ApiError::from(StoreError::new(
            StoreErrorKind::Unstorable {
                field: "data.notes".into(),
            },
            "data.notes: contains a NUL character",
        ));
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.errors()[0].field, "data.notes");
        check(
            StoreErrorKind::Unstorable {
                field: "occurred_at".into(),
            },
            400,
        );
    }
}
