//! `POST /v1/children/{child_id}/records` and `…/records:batch`: appending to a child's record.
//!
//! The handlers parse the envelope and data (400 with paths), read the `Idempotency-Key` and
//! `If-Match` headers, and hand the rest to `casework::Casework::append`: the agency and the
//! role table against the child as it stands (403), the domain's decision (422 with the rule),
//! the append at exactly the sequence decided against, the retries, and the first answer to a
//! retried key.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use casework::Acknowledged;
use chrono::{DateTime, Utc};
use domain::envelope::RecordInput;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Action;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::consistency;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::routes::child::{self, etag, idempotency, if_match};
use crate::state::AppState;

/// One record as posted (documentation; the body is parsed by the domain). `data` is the
/// schema of its `type`: see the `…Data` schemas.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewRecord {
    /// The record type, e.g. `conversation_recorded`.
    #[schema(rename = "type")]
    record_type: String,
    /// When it happened; at most 5 minutes ahead of the server's clock.
    occurred_at: DateTime<Utc>,
    /// Who recorded it (`Person`); its agency must be the token's.
    #[schema(value_type = Object)]
    recorded_by: serde_json::Value,
    /// The fields of that type (docs/RECORDS.md).
    #[schema(value_type = Object)]
    data: serde_json::Value,
}

/// A batch: all recorded or none.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewRecords {
    /// 1 to 500 records, appended in this order.
    records: Vec<NewRecord>,
}

/// The answer to one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub child_id: Uuid,
    pub event_id: Uuid,
    pub sequence: u64,
    pub recorded_at: DateTime<Utc>,
}

/// One record of a batch's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedItem {
    pub event_id: Uuid,
    pub sequence: u64,
    pub recorded_at: DateTime<Utc>,
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedBatch {
    pub child_id: Uuid,
    /// The stream's sequence after the batch.
    pub sequence: u64,
    /// Each record's id and sequence, in the order posted.
    pub records: Vec<RecordedItem>,
}

/// What both appends may answer for the same reasons besides [`child::NoSuchChild`]: a stale
/// `If-Match`, and the body's limits (`body.rs`). Described once for the OpenAPI document;
/// never built.
#[derive(utoipa::IntoResponses)]
pub enum AppendAnswers {
    #[response(
        status = 409,
        description = "If-Match no longer holds",
        content_type = "application/problem+json"
    )]
    Stale(Problem),
    #[response(
        status = 413,
        description = "Body over 1 MiB",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Not JSON",
        content_type = "application/problem+json"
    )]
    NotJson(Problem),
}

/// Appends one record.
// One record and a batch share their headers and most refusals (`AppendHeaders`,
// `child::NoSuchChild`, `AppendAnswers`): described once, so the two cannot drift apart. What
// differs is written at each: the body, the answer, and what a 400, 403 or 422 means for one or
// many.
#[utoipa::path(post, path = "/v1/children/{child_id}/records", operation_id = "append_record", tag = "records", request_body = NewRecord,
    params(("child_id" = Uuid, Path, description = "The child"), AppendHeaders),
    responses(
        (status = 201, description = "Recorded and durable", body = Recorded, headers(("ETag" = String, description = "The stream's sequence"), ("Caseline-Position" = u64, description = "The global position of the last event recorded (a replay carries the first answer's): a cross-child read with `?min_position=` this reflects it"))),
        (status = 400, description = "Malformed, or a field of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or agency may not record this", body = Problem, content_type = "application/problem+json"),
        child::NoSuchChild, AppendAnswers,
        (status = 422, description = "Breaks a rule (the detail says which), or the Idempotency-Key was used with a different body", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn append_one(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    caller.may(Action::AppendRecords)?;
    may_record_types(&caller, std::slice::from_ref(&body.value), false)?;
    // The hash an Idempotency-Key is bound to is taken before the body is moved into its
    // type (only when there is a key: the canonical form costs a pass over the body).
    let hash = keyed(&req).then(|| body.request_hash(&format!("record {child_id}")));
    let input = RecordInput::parse(body.value)?;
    let hash = move || hash.unwrap_or_default();
    let appended = record(&state, &caller, &req, child_id, vec![input], false, hash).await?;
    let first = appended
        .events
        .first()
        .ok_or_else(|| ApiError::new(ErrorKind::Internal, "an append returned no events"))?;
    Ok(created(&state, &appended, first.sequence).json(Recorded {
        child_id,
        event_id: first.event_id,
        sequence: first.sequence,
        recorded_at: first.recorded_at,
    }))
}

/// Appends a batch atomically: all or none. An error names the failing record by index.
#[utoipa::path(post, path = "/v1/children/{child_id}/records:batch", operation_id = "append_records", tag = "records", request_body = NewRecords,
    params(("child_id" = Uuid, Path, description = "The child"), AppendHeaders),
    responses(
        (status = 201, description = "All recorded and durable", body = RecordedBatch, headers(("ETag" = String, description = "The stream's sequence"), ("Caseline-Position" = u64, description = "The global position of the last event recorded (a replay carries the first answer's): a cross-child read with `?min_position=` this reflects it"))),
        (status = 400, description = "Malformed (`records[3].data.decision`), empty or over 500 records", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or agency may not record one of them", body = Problem, content_type = "application/problem+json"),
        child::NoSuchChild, AppendAnswers,
        (status = 422, description = "A record breaks a rule; nothing was recorded", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn append_batch(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    caller.may(Action::AppendRecords)?;
    if let Some(records) = body.value.get("records").and_then(|r| r.as_array()) {
        may_record_types(&caller, records, true)?;
    }
    let hash = keyed(&req).then(|| body.request_hash(&format!("batch {child_id}")));
    let inputs = RecordInput::parse_batch(body.value)?;
    if inputs.len() > state.config.batch_limit {
        let message = format!("a batch holds at most {} records", state.config.batch_limit);
        return Err(
            ApiError::new(ErrorKind::InvalidInput, message.clone()).with_field("records", message)
        );
    }
    let hash = move || hash.unwrap_or_default();
    let appended = record(&state, &caller, &req, child_id, inputs, true, hash).await?;
    let sequence = appended
        .events
        .last()
        .map(|e| e.sequence)
        .unwrap_or_default();
    Ok(created(&state, &appended, sequence).json(RecordedBatch {
        child_id,
        sequence,
        records: appended
            .events
            .iter()
            .map(|e| RecordedItem {
                event_id: e.event_id,
                sequence: e.sequence,
                recorded_at: e.recorded_at,
            })
            .collect(),
    }))
}

/// The headers both appends read (documentation: `child::idempotency` and `child::if_match`
/// read them from the request).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "a description for the document; the handlers read the headers"
)]
struct AppendHeaders {
    // utoipa keeps a doc comment's line breaks, so each description is one line.
    /// Client-chosen key, scoped to the token's agency; a retry with the same key and body returns the first answer and records nothing
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
    /// The child's sequence as an entity tag ("7"): append only if the stream is still there
    #[param(rename = "If-Match")]
    if_match: Option<String>,
}

/// Whether the request carries an `Idempotency-Key` (whose checks are `child::idempotency`'s).
fn keyed(req: &HttpRequest) -> bool {
    req.headers().contains_key("idempotency-key")
}

fn created(
    state: &AppState,
    appended: &Acknowledged,
    sequence: u64,
) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Created();
    res.insert_header((header::ETAG, etag(sequence)));
    consistency::acknowledge(state, appended, &mut res);
    if appended.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res
}

/// The role table on each record's `type` alone, before the body's shape is checked: a token
/// that may never record a type hears that first (a `type` that is missing or unknown is left
/// for parsing to explain).
fn may_record_types(
    caller: &Caller,
    records: &[serde_json::Value],
    batch: bool,
) -> Result<(), ApiError> {
    for (i, r) in records.iter().enumerate() {
        let Some(t) = r
            .get("type")
            .and_then(|t| t.as_str())
            .and_then(|t| t.parse::<domain::record::RecordType>().ok())
        else {
            continue;
        };
        domain::access::may_append_type(caller.role, t).map_err(|d| {
            let field = if batch {
                format!("records[{i}].type")
            } else {
                "type".to_owned()
            };
            ApiError::from(d).with_field(field, "this token may not record this type")
        })?;
    }
    Ok(())
}

/// The append path shared by one record and a batch: the use case is `casework`'s.
async fn record(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    child_id: Uuid,
    records: Vec<RecordInput>,
    batch: bool,
    request_hash: impl FnOnce() -> String,
) -> Result<Acknowledged, ApiError> {
    let idempotency = idempotency(req, caller, request_hash)?;
    let pinned = if_match(req)?;
    let appended = state
        .casework
        .append(
            &caller.actor(),
            child_id,
            casework::Append {
                records,
                batch,
                idempotency,
                pinned,
            },
        )
        .await?;
    // The read model was handed the records and woken by casework (`on_appended`).
    child::count_appended(&appended);
    Ok(appended)
}
