//! Read-your-writes across children (docs/CONTRACT.md, "Read your writes"): every `201`
//! carries the global position of its last event (`Caseline-Position`), and a cross-child
//! read (the disagreement review, the inspection report) first waits until the read model
//! reflects every record this process acknowledged before the request began and the
//! `?min_position=N` the client asks for, whichever is later.
//!
//! Records acknowledged by other processes on the same store (servers behind one balancer) are
//! covered by also waiting for the store's last position as the request begins
//! (`EventStore::head_position`, one indexed read): a `201` is sent only once committed, so
//! whatever any server acknowledged before lies at or below it. The wait wakes the follower and looks at the model's
//! position every few milliseconds until it is far enough or the configured time
//! (`Config::read_wait_ms`) runs out; then the read is a 503 with `Retry-After`, never a stale
//! answer.
//!
//! What it deliberately does not do: change how the follower catches up (`projection::follow`),
//! or wait on per-child reads, which fold the child's stream on every read and never lag.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::HttpResponseBuilder;
use projection::Across;
use store::GlobalPosition;
use tokio::time::Instant;

use crate::problem::{ApiError, ErrorKind};
use crate::state::AppState;

/// The answer of a cross-child read whose read model cannot reach the position it must
/// reflect in time ([`model_at_least`]). Described once for the OpenAPI document
/// (`responses(consistency::ModelBehind)`); never built.
#[derive(utoipa::IntoResponses)]
pub enum ModelBehind {
    #[response(status = 503, description = "The read model could not reach the position it must reflect in time; see `Retry-After`", content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds to wait before asking again")))]
    Behind(crate::problem::Problem),
}

/// The header a `201` carries: the global position of its last event.
pub const POSITION_HEADER: &str = "Caseline-Position";

/// The query parameter a cross-child read takes.
pub const MIN_POSITION: &str = "min_position";

/// How long a 503 of a read that could not catch up asks the client to wait.
const RETRY_AFTER_SECS: u64 = 1;

/// The highest global position this process has acknowledged with a `201`.
#[derive(Debug, Default)]
pub struct Acknowledged(AtomicU64);

impl Acknowledged {
    pub fn get(&self) -> GlobalPosition {
        self.0.load(Ordering::Acquire)
    }

    fn raise(&self, position: GlobalPosition) {
        self.0.fetch_max(position, Ordering::AcqRel);
    }
}

/// Marks a `201` about to be sent: adds `Caseline-Position` and raises the process's
/// acknowledged position, before the answer leaves, so a read that starts after the client
/// has it waits for it. The position is the append's last event's (a replay carries the first
/// answer's).
pub fn acknowledge(
    state: &AppState,
    appended: &casework::Acknowledged,
    res: &mut HttpResponseBuilder,
) {
    if let Some(p) = appended.position() {
        state.acknowledged.raise(p);
        res.insert_header((POSITION_HEADER, p.to_string()));
    }
}

/// `min_position` as given: absent or empty is none; anything but a whole number from 0 is a
/// 400 naming the parameter.
pub fn min_position(raw: Option<&str>) -> Result<Option<GlobalPosition>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    raw.parse::<GlobalPosition>().map(Some).map_err(|_| {
        let message =
            "a global position: a whole number from 0, as in the Caseline-Position header of a 201";
        ApiError::new(
            ErrorKind::InvalidParameter,
            format!("min_position {raw:?} is not {message}"),
        )
        .with_field(MIN_POSITION, message)
    })
}

/// The cross-child read model once it reflects every record this process had acknowledged when
/// the request began, every record in the store then (whichever process acknowledged it) and at
/// least `min_position`; a 503 with `Retry-After` if it cannot get there within the configured
/// wait.
pub async fn model_at_least(
    state: &AppState,
    min_position: Option<GlobalPosition>,
) -> Result<Arc<Across>, ApiError> {
    let model = state.projections.model();
    let target = state
        .acknowledged
        .get()
        .max(min_position.unwrap_or(0))
        .max(state.store.head_position().await?);
    if model.position() >= target {
        return Ok(model);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_millis(state.config.read_wait_ms);
    let mut pause = Duration::from_millis(1);
    loop {
        // The follower keeps a wake-up it was not waiting for, so one sent while it is busy
        // catching up is not lost.
        state.projections.notify();
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        let model = state.projections.model();
        if model.position() >= target {
            metrics::histogram!("caseline_read_wait_seconds")
                .record(started.elapsed().as_secs_f64());
            return Ok(model);
        }
        pause = (pause * 2).min(Duration::from_millis(25));
    }
    let reached = state.projections.model().position();
    metrics::counter!("caseline_read_wait_timeouts_total").increment(1);
    tracing::warn!(
        target_position = target,
        reached,
        "a cross-child read could not reach the position it must reflect in time"
    );
    Err(ApiError::new(
        ErrorKind::Unavailable,
        format!(
            "the cross-child read model is at position {reached} and could not reach {target} \
             in time; try again shortly"
        ),
    )
    .with_retry_after(RETRY_AFTER_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_position_is_a_whole_number_or_absent() {
        assert_eq!(min_position(None).unwrap(), None);
        assert_eq!(min_position(Some("")).unwrap(), None);
        assert_eq!(min_position(Some("0")).unwrap(), Some(0));
        assert_eq!(min_position(Some("42")).unwrap(), Some(42));
        for bad in ["-1", "1.5", "ten", "18446744073709551616"] {
            let e = min_position(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidParameter, "{bad}");
            assert_eq!(e.errors()[0].field, MIN_POSITION, "{bad}");
        }
    }

    #[test]
    fn the_acknowledged_position_only_rises() {
        let a = Acknowledged::default();
        a.raise(7);
        a.raise(3);
        assert_eq!(a.get(), 7);
    }
}
