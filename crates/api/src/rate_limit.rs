//! Per-token rate limiting with `governor` (a GCRA, so bursts are allowed and then paced).
//!
//! Keyed by token id: one agency's runaway system slows itself, not its neighbours. The
//! limiter is in memory, per process; a deployment behind several processes gets a limit per
//! process, which is what "generous by default" is for. It does not limit unauthenticated
//! requests: those are refused before they cost anything but a hash lookup.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::problem::{ApiError, ErrorKind};

pub struct Limiter {
    inner: DefaultKeyedRateLimiter<Uuid>,
    clock: DefaultClock,
}

impl Limiter {
    /// A zero rate or burst is read as one, the smallest limit that still lets work through.
    pub fn new(per_second: u32, burst: u32) -> Limiter {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Limiter {
            inner: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request for `token`; a 429 with `Retry-After` (whole seconds, at least one)
    /// when over the limit.
    pub fn check(&self, token: Uuid) -> Result<(), ApiError> {
        match self.inner.check_key(&token) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                metrics::counter!("caseline_rate_limited_total").increment(1);
                Err(ApiError::new(
                    ErrorKind::RateLimited,
                    "this token has made too many requests; wait and retry",
                )
                .with_retry_after(secs.max(1)))
            }
        }
    }

    /// Forgets tokens that have not been seen for a while, so memory stays bounded.
    pub fn shrink(&self) {
        self.inner.retain_recent();
    }
}
