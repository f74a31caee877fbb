//! What every route about one child shares: reading its stream, folding it, checking that the
//! caller may see it, logging the read, and the headers of appends (`If-Match`,
//! `Idempotency-Key`).
//!
//! The order in [`read_child`] is the contract's: authorise the role, find the child (404),
//! check the agency's standing (403), log the read (503 if it cannot be logged), and only then
//! let the handler build its answer. A refused read (403 or 404 with a valid token) is logged
//! too, so an auditor sees attempts as well as reads.

use actix_web::HttpRequest;
use actix_web::http::header;
use std::sync::Arc;

use casework::Folded;
use domain::child::Child;
use store::{IdempotencyKey, StoredEvent};
use uuid::Uuid;

use crate::access::{Action, Sight};
use crate::auth::Caller;
use crate::problem::{ApiError, ErrorKind, Problem};
use crate::state::AppState;

/// The 404 of every route about one child that names no child on record (its reads and
/// appends). Described once for the OpenAPI document (`responses(child::NoSuchChild)`), as
/// the two below; never built.
#[derive(utoipa::IntoResponses)]
pub enum NoSuchChild {
    #[response(
        status = 404,
        description = "No such child",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
}

/// The 503 of every read of one child whose read [`read_child`] cannot log: the read is then
/// not answered.
#[derive(utoipa::IntoResponses)]
pub enum NotLogged {
    #[response(
        status = 503,
        description = "The read could not be logged",
        content_type = "application/problem+json"
    )]
    Unavailable(Problem),
}

/// The 403 of a read that a recorder may make where its agency has standing with the child
/// (the case, the journey, the consent ledger): [`read_child`]'s standing check.
#[derive(utoipa::IntoResponses)]
pub enum NoStanding {
    #[response(
        status = 403,
        description = "Role may not, or a recorder whose agency has no standing with this child",
        content_type = "application/problem+json"
    )]
    Refused(Problem),
}

/// A child read for a caller: its events and their fold (shared with the cache), and what of
/// them the caller sees.
pub struct ChildRead {
    pub folded: Arc<Folded>,
    pub sight: Sight,
}

impl ChildRead {
    pub fn events(&self) -> &[StoredEvent] {
        &self.folded.events
    }

    pub fn child(&self) -> &Child {
        &self.folded.child
    }

    /// The events in the caller's sight (all of them, or a recorder's own and those shared
    /// with it).
    pub fn events_in_sight(&self) -> Vec<StoredEvent> {
        self.events()
            .iter()
            .filter(|e| self.sight.sees(&e.recorded_by, &e.event_type, &e.data))
            .cloned()
            .collect()
    }
}

/// Reads a child for `action` on behalf of `caller`, and logs the read as `what` before
/// returning: the handler may answer only after this succeeds. A read refused with 403 or
/// 404 is logged as a refusal before the refusal is answered.
pub async fn read_child(
    state: &AppState,
    caller: &Caller,
    child_id: Uuid,
    action: Action,
    what: String,
) -> Result<ChildRead, ApiError> {
    match authorised_read(state, caller, child_id, action).await {
        Ok(read) => {
            log_read(state, caller, child_id, what).await?;
            Ok(read)
        }
        Err(e) => Err(logged_refusal(state, caller, child_id, &what, e).await),
    }
}

/// Logs a refused read of a child (403 or 404 to a valid token) as `refused 403: what`, so an
/// auditor sees attempts too, and hands the refusal back. Other errors pass unlogged.
pub async fn logged_refusal(
    state: &AppState,
    caller: &Caller,
    child_id: Uuid,
    what: &str,
    e: ApiError,
) -> ApiError {
    if matches!(e.kind(), ErrorKind::Forbidden | ErrorKind::NotFound) {
        let status = e.kind().row().status.as_u16();
        // The refusal is answered even if it cannot be logged: the caller learns nothing
        // from it, and a 503 would invite retries of a read that is refused anyway.
        if let Err(log) =
            log_read(state, caller, child_id, format!("refused {status}: {what}")).await
        {
            tracing::warn!(%child_id, error = %log.detail(), "a refused read could not be logged");
        }
    }
    e
}

async fn authorised_read(
    state: &AppState,
    caller: &Caller,
    child_id: Uuid,
    action: Action,
) -> Result<ChildRead, ApiError> {
    let scope = caller.may(action)?;
    let folded = state.casework.read(child_id).await?;
    let sight = scope.check_child(&caller.agency, folded.child.state())?;
    Ok(ChildRead { folded, sight })
}

/// Writes one entry to the read log; a failure is a 503 and the read is not answered.
pub async fn log_read(
    state: &AppState,
    caller: &Caller,
    child_id: Uuid,
    what: String,
) -> Result<(), ApiError> {
    let entry = caller.read_log_entry(child_id, what);
    state.store.log_read(entry).await.map_err(|e| {
        ApiError::new(
            ErrorKind::Unavailable,
            "the read could not be logged, so it is not answered; try again",
        )
        .with_source(e)
    })?;
    metrics::counter!("caseline_read_log_writes_total").increment(1);
    Ok(())
}

/// The `If-Match` header as a sequence: `"7"`, `7` or `W/"7"`. Absent is `None`; anything else
/// is a 400 that says what is expected.
pub fn if_match(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(
            ErrorKind::InvalidParameter,
            "If-Match must be the child's sequence as an entity tag, e.g. If-Match: \"7\"",
        )
        .with_field("If-Match", "expected a quoted whole number such as \"7\"")
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    text.parse::<u64>().map(Some).map_err(|_| bad())
}

/// The most characters an `Idempotency-Key` may have.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The `Idempotency-Key` header, scoped to the caller's agency and bound to a hash of what
/// the request asks (route, child and canonical body), so the same key with a different body
/// or for another child is told apart from a retry.
pub fn idempotency(
    req: &HttpRequest,
    caller: &Caller,
    request_hash: impl FnOnce() -> String,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::InvalidParameter,
                "Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)",
            )
            .with_field("Idempotency-Key", "1 to 255 visible ASCII characters")
        })?;
    Ok(Some(IdempotencyKey {
        agency: caller.agency.clone(),
        key: key.to_owned(),
        // Hashed only when a key is given: most appends carry none.
        request_hash: request_hash(),
    }))
}

/// The entity tag of a child's stream at `sequence`.
pub fn etag(sequence: u64) -> String {
    format!("\"{sequence}\"")
}

/// Counts an acknowledged append in the metrics.
pub fn count_appended(appended: &casework::Acknowledged) {
    if appended.replayed {
        metrics::counter!("caseline_idempotent_replays_total").increment(1);
    } else {
        metrics::counter!("caseline_events_appended_total").increment(appended.events.len() as u64);
        metrics::histogram!("caseline_append_batch_size").record(appended.events.len() as f64);
    }
}
