//! What the SQL backends' single writers share: the bound on their queues, the error an append
//! gets when the queue is full, and the flag that tells `/ready` whether a writer runs.
//!
//! It deliberately does not run anything itself: each backend owns its writer (a thread for
//! SQLite, a task for PostgreSQL) and its own restart loop, because what "restart" must rebuild
//! (a connection, prepared statements) is the backend's business.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::{StoreError, StoreErrorKind};

/// Appends that may wait for a writer before new ones are refused with
/// [`StoreErrorKind::Busy`]. At the group size of 512 this is some twenty commits' worth: a
/// queue longer than that only makes every waiter's answer later, and an unbounded one turns
/// overload into memory growth and timeouts instead of a prompt "try again".
pub const DEFAULT_QUEUE: usize = 10_000;

/// The `Retry-After` a full queue suggests: a queue drains in well under a second when the
/// disk keeps up, so one second is long enough to matter and short enough not to idle.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// How long a writer waits before it starts again after a panic, so a fault that repeats on
/// every attempt (a poisoned row, a broken disk) does not spin a core.
pub(crate) const RESTART_BACKOFF: Duration = Duration::from_millis(200);

/// The refusal of an append because the writer's queue is full.
pub(crate) fn busy(backend: &str, capacity: usize) -> StoreError {
    StoreError::new(
        StoreErrorKind::Busy {
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        },
        format!(
            "{backend}: the writer's queue is full ({capacity} appends waiting); nothing was written, try again shortly"
        ),
    )
}

/// Whether a backend's writer is running, and how often it was restarted. Shared between the
/// writer (which sets it) and the store handle (which reports it).
#[derive(Debug, Default)]
pub(crate) struct WriterHealth {
    running: AtomicBool,
    restarts: AtomicU64,
}

impl WriterHealth {
    pub(crate) fn new() -> Arc<WriterHealth> {
        Arc::new(WriterHealth::default())
    }

    pub(crate) fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    pub(crate) fn set_running(&self, running: bool) {
        self.running.store(running, Ordering::Release);
    }

    /// Records a restart after a panic (for the log and the metrics).
    pub(crate) fn restarted(&self, backend: &'static str) -> u64 {
        metrics::counter!("caseline_writer_restarts_total", "backend" => backend).increment(1);
        self.restarts.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// How many times the writer has restarted: a job that spans several of the writer's
    /// transactions tells by it that the connection under them changed.
    pub(crate) fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Acquire)
    }
}

/// Runs an async writer until it returns (every sender gone: the store was dropped), starting
/// it again after a panic. `run` is handed the writer's state each time; what a run builds
/// (a connection, prepared statements) it builds afresh, since a panic may have left the old
/// one anywhere. A panic unwinds through the group in flight, dropping its transaction
/// uncommitted and its reply channels, so each waiter hears "the writer stopped before
/// answering" and none is told its append is durable. While a run is not going, `health`
/// says so (`/ready` is false).
pub(crate) async fn supervise<S, F>(
    state: &mut S,
    health: &WriterHealth,
    backend: &'static str,
    mut run: F,
) where
    F: for<'a> FnMut(&'a mut S) -> futures::future::BoxFuture<'a, ()>,
{
    use futures::FutureExt;
    loop {
        health.set_running(true);
        let outcome = std::panic::AssertUnwindSafe(run(state))
            .catch_unwind()
            .await;
        health.set_running(false);
        match outcome {
            Ok(()) => return,
            Err(panic) => {
                let n = health.restarted(backend);
                tracing::error!(
                    restarts = n,
                    "{backend}: the writer panicked ({}); its group was rolled back and every waiter in it told so; restarting",
                    panic_message(panic.as_ref())
                );
                tokio::time::sleep(RESTART_BACKOFF).await;
            }
        }
    }
}

/// A panic's message, for the log line that says the writer restarted.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_is_busy_with_a_retry_hint() {
        let e = busy("sqlite", 3);
        assert_eq!(
            e.kind(),
            &StoreErrorKind::Busy {
                retry_after_secs: 1
            }
        );
        assert!(e.to_string().contains("nothing was written"), "{e}");
    }

    #[tokio::test]
    async fn a_panicking_async_writer_is_started_again_until_it_returns() {
        let health = WriterHealth::new();
        let mut runs = 0u32;
        supervise(&mut runs, &health, "test", |runs| {
            Box::pin(async move {
                *runs += 1;
                if *runs < 3 {
                    panic!("a bug in the writer (this panic is the test)");
                }
            })
        })
        .await;
        assert_eq!(runs, 3);
        assert_eq!(health.restarts(), 2);
        assert!(!health.running(), "not running once it has returned");
    }

    #[test]
    fn panic_messages_are_read_from_both_payload_types() {
        let a = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        let b = std::panic::catch_unwind(|| panic!("formatted {}", 1)).unwrap_err();
        assert_eq!(panic_message(a.as_ref()), "plain");
        assert_eq!(panic_message(b.as_ref()), "formatted 1");
    }
}
