//! Per-token rate limiting with `governor` (a GCRA, so bursts are allowed and then paced).
//!
//! Keyed by token id: one agency's runaway system slows itself, not its neighbours. The
//! limiter is in memory, per process; a deployment behind several processes gets a limit per
//! process, which is what "generous by default" is for.
//!
//! Requests that fail to authenticate (no token, a malformed or unknown or revoked one) have a
//! budget of their own per client address: once it is spent, they get a 429 instead of a 401
//! until it refills, so guessing tokens or hammering the token lookup is slow. A request with
//! a valid token never spends it.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::problem::{ApiError, ErrorKind};

pub struct Limiter {
    inner: DefaultKeyedRateLimiter<Uuid>,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl Limiter {
    /// A zero rate or burst is read as one, the smallest limit that still lets work through.
    /// Failed authentications get `failure_burst` at once per client address, refilled at
    /// `failures_per_minute`.
    pub fn new(
        per_second: u32,
        burst: u32,
        failures_per_minute: u32,
        failure_burst: u32,
    ) -> Limiter {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let failure_rate = NonZeroU32::new(failures_per_minute).unwrap_or(NonZeroU32::MIN);
        let failure_burst = NonZeroU32::new(failure_burst).unwrap_or(NonZeroU32::MIN);
        Limiter {
            inner: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            failures: RateLimiter::keyed(
                Quota::per_minute(failure_rate).allow_burst(failure_burst),
            ),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one failed authentication from `addr`; a 429 with `Retry-After` once the
    /// address has spent its budget.
    pub fn check_failure(&self, addr: IpAddr) -> Result<(), ApiError> {
        match self.failures.check_key(&addr) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                metrics::counter!("caseline_auth_failures_limited_total").increment(1);
                Err(ApiError::new(
                    ErrorKind::RateLimited,
                    "too many requests without a valid token from this address; wait and retry",
                )
                .with_retry_after(whole_seconds(not_until.wait_time_from(self.clock.now()))))
            }
        }
    }

    /// Counts one request for `token`; a 429 with `Retry-After` (whole seconds, at least one)
    /// when over the limit.
    pub fn check(&self, token: Uuid) -> Result<(), ApiError> {
        match self.inner.check_key(&token) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                metrics::counter!("caseline_rate_limited_total").increment(1);
                Err(ApiError::new(
                    ErrorKind::RateLimited,
                    "this token has made too many requests; wait and retry",
                )
                .with_retry_after(whole_seconds(not_until.wait_time_from(self.clock.now()))))
            }
        }
    }

    /// Forgets tokens that have not been seen for a while, so memory stays bounded.
    pub fn shrink(&self) {
        self.inner.retain_recent();
        self.failures.retain_recent();
    }
}

/// A wait as `Retry-After` gives it: whole seconds, rounded up, at least one.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}
