//! `POST /v1/children/{child_id}/records` and `…/records:batch`: appending to a child's record.
//!
//! The path of one record: parse the envelope and data (400 with paths), check the agency and
//! the role table for each record (403), answer a retried `Idempotency-Key` from the store,
//! then read the stream, fold it, check the role table against the child as it stands
//! (corrections included: only one's own agency's records, corrected data under the same role
//! rules), let the domain decide (422 with the rule) and append at exactly the sequence that
//! was decided against. If another append got in first and the client did not pin a sequence
//! with `If-Match`, decide again against the new stream: the rules are always checked against
//! the state the record joins.
//!
//! A retried `Idempotency-Key` is answered from the store before anything is decided, and
//! again once this child's turn comes and whenever deciding refuses the record: a retry sent
//! while its first attempt was still being written (a client that timed out, twelve parallel
//! retries) gets the first answer, never a 422 about the record it already made.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use domain::child::{ChildCommand, ChildEvent, EventBody, Services};
use domain::envelope::RecordInput;
use domain::record::RecordData;
use serde::Serialize;
use store::{AppendRequest, Appended, Expected, StoreErrorKind};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::access::Action;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::routes::child::{self, etag, idempotency, if_match};
use crate::routes::children::{claims, new_event};
use crate::state::AppState;

/// How often an append without `If-Match` decides again after losing a race.
const ATTEMPTS: usize = 8;

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
    /// The fields of that type (RECORDS.md).
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

/// Appends one record.
#[utoipa::path(post, path = "/v1/children/{child_id}/records", operation_id = "append_record", tag = "records", request_body = NewRecord,
    params(
        ("child_id" = Uuid, Path, description = "The child"),
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key, scoped to the token's agency; a retry with the same key and body returns the first answer and records nothing"),
        ("If-Match" = Option<String>, Header, description = "The child's sequence as an entity tag (\"7\"): append only if the stream is still there"),
    ),
    responses(
        (status = 201, description = "Recorded and durable", body = Recorded, headers(("ETag" = String, description = "The stream's sequence"))),
        (status = 400, description = "Malformed, or a field of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or agency may not record this", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such child", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "If-Match no longer holds", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
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
    let input = RecordInput::parse(body.value.clone())?;
    let hash = body.request_hash(&format!("record {child_id}"));
    let appended = record(&state, &caller, &req, child_id, vec![input], false, &hash).await?;
    let first = appended
        .events
        .first()
        .ok_or_else(|| ApiError::new(ErrorKind::Internal, "an append returned no events"))?;
    Ok(created(&appended, first.sequence).json(Recorded {
        child_id,
        event_id: first.event_id,
        sequence: first.sequence,
        recorded_at: first.recorded_at,
    }))
}

/// Appends a batch atomically: all or none. An error names the failing record by index.
#[utoipa::path(post, path = "/v1/children/{child_id}/records:batch", operation_id = "append_records", tag = "records", request_body = NewRecords,
    params(
        ("child_id" = Uuid, Path, description = "The child"),
        ("Idempotency-Key" = Option<String>, Header, description = "As for one record"),
        ("If-Match" = Option<String>, Header, description = "As for one record"),
    ),
    responses(
        (status = 201, description = "All recorded and durable", body = RecordedBatch, headers(("ETag" = String, description = "The stream's sequence"))),
        (status = 400, description = "Malformed (`records[3].data.decision`), empty or over 500 records", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The role or agency may not record one of them", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such child", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "If-Match no longer holds", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
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
    let inputs = RecordInput::parse_batch(body.value.clone())?;
    if inputs.len() > state.config.batch_limit {
        let message = format!("a batch holds at most {} records", state.config.batch_limit);
        return Err(
            ApiError::new(ErrorKind::InvalidInput, message.clone()).with_field("records", message)
        );
    }
    let hash = body.request_hash(&format!("batch {child_id}"));
    let appended = record(&state, &caller, &req, child_id, inputs, true, &hash).await?;
    let sequence = appended
        .events
        .last()
        .map(|e| e.sequence)
        .unwrap_or_default();
    Ok(created(&appended, sequence).json(RecordedBatch {
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

fn created(appended: &Appended, sequence: u64) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Created();
    res.insert_header((header::ETAG, etag(sequence)));
    if appended.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res
}

/// The append path shared by one record and a batch; see the module docs.
async fn record(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    child_id: Uuid,
    inputs: Vec<RecordInput>,
    batch: bool,
    request_hash: &str,
) -> Result<Appended, ApiError> {
    for (i, input) in inputs.iter().enumerate() {
        let at = |field: &str| {
            if batch {
                format!("records[{i}].{field}")
            } else {
                field.to_owned()
            }
        };
        child::check_agency(caller, &input.recorded_by, &at("recorded_by.agency"))?;
        // The type alone: a role that may never record it hears so before the child is read.
        domain::access::may_append(caller.role, &input.data).map_err(|d| {
            ApiError::from(d).with_field(at("type"), "this role may not record this")
        })?;
    }
    let key = idempotency(req, caller, request_hash)?;
    if let Some(first) = replayed(state, key.as_ref()).await? {
        return Ok(first);
    }
    let pinned = if_match(req)?;
    let _turn = state.child_locks.lock(child_id).await;
    // A request with the same key may have been appended while this one waited its turn.
    if let Some(first) = replayed(state, key.as_ref()).await? {
        return Ok(first);
    }

    for _ in 0..ATTEMPTS {
        let events = child::stream(state, child_id).await?;
        let Some(last) = events.last() else {
            return Err(child::unknown_child(child_id));
        };
        let sequence = last.sequence;
        if let Some(p) = pinned
            && p != sequence
        {
            return Err(ApiError::new(
                ErrorKind::VersionConflict,
                format!(
                    "If-Match expected the child's record at sequence {p}, but it is at {sequence}"
                ),
            ));
        }
        let folded = child::fold(&events)?;
        // Checked against the state the records join: closing a case is a tier change too,
        // and a correction is judged by what it corrects.
        let denied = |i: usize, (field, d): (&str, domain::access::Denied)| {
            let at = if batch {
                format!("records[{i}].{field}")
            } else {
                field.to_owned()
            };
            ApiError::from(d).with_field(at, "this token may not record this here")
        };
        for (i, input) in inputs.iter().enumerate() {
            domain::access::may_append_to(caller.role, &caller.agency, &folded, &input.data)
                .map_err(|r| denied(i, r))?;
        }
        let decided = match folded.decide(
            ChildCommand::Append {
                records: inputs
                    .iter()
                    .cloned()
                    .map(|r| (Uuid::new_v4(), r))
                    .collect(),
                batch,
            },
            &Services {
                framework: state.framework,
                now: Utc::now(),
            },
        ) {
            Ok(decided) => decided,
            Err(invalid) => {
                // Another server may have appended this very request meanwhile.
                if let Some(first) = replayed(state, key.as_ref()).await? {
                    return Ok(first);
                }
                return Err(invalid.into());
            }
        };
        if batch {
            // A batch's later records join the state its earlier ones made (a correction of a
            // record made earlier in the same batch, a step after a step): walk it again.
            let mut scratch = folded.clone();
            for (i, event) in decided.iter().enumerate() {
                if let EventBody::Record(data) = &event.body {
                    domain::access::may_append_to(caller.role, &caller.agency, &scratch, data)
                        .map_err(|r| denied(i, r))?;
                }
                scratch.apply(event.clone());
            }
        }
        let request = AppendRequest {
            child_id,
            expected: Expected::Exactly(sequence),
            events: decided.iter().map(|e| new_event(e, caller)).collect(),
            idempotency: key.clone(),
            claims: identifier_claims(&decided),
        };
        match state.store.append(request).await {
            Ok(appended) => {
                child::count_appended(&appended);
                state.projections.notify();
                return Ok(appended);
            }
            Err(e) if matches!(e.kind(), StoreErrorKind::Conflict { .. }) => {
                if let Some(first) = replayed(state, key.as_ref()).await? {
                    return Ok(first);
                }
                if pinned.is_some() {
                    return Err(e.into());
                }
                tracing::debug!(%child_id, "lost an append race; deciding again");
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        ErrorKind::Unavailable,
        "this child's record is being written by many systems at once; try again",
    ))
}

/// The first answer to a request with this idempotency key, if it was recorded.
async fn replayed(
    state: &AppState,
    key: Option<&store::IdempotencyKey>,
) -> Result<Option<Appended>, ApiError> {
    let Some(k) = key else { return Ok(None) };
    let first = state.store.idempotent_answer(k).await?;
    if let Some(first) = &first {
        child::count_appended(first);
    }
    Ok(first)
}

/// Identifiers a `child_details_updated` adds, claimed with the append so no two children
/// hold the same NHS number.
fn identifier_claims(events: &[ChildEvent]) -> Vec<store::IdentifierClaim> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Record(RecordData::ChildDetailsUpdated(u)) => u.changes.identifiers.as_ref(),
            _ => None,
        })
        .flat_map(|ids| claims(Some(ids)))
        .collect()
}
