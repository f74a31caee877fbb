//! How many connections the server holds open, so that idle ones cannot use up the process's
//! open files and starve the store and new, legitimate clients.
//!
//! Three parts. At start the soft open-files limit is raised toward the hard one, and the
//! connection cap is clamped below it with room left for the store, logs and the listener
//! ([`effective_cap`]). actix stops accepting once each worker holds its share of the cap
//! (`HttpServer::max_connections`), so connections beyond it wait in the kernel's listen
//! queue instead of failing `accept` with "too many open files"; short timeouts for
//! connections that send nothing (`client_request_timeout`, `keep_alive`) make room again.
//! And every connection is counted ([`Connections`], from `HttpServer::on_connect`): a
//! connection accepted beyond the cap (each worker's share is rounded up) is answered 503
//! with `Connection: close` on its first request. `/metrics` shows
//! `caseline_connections_open`, `caseline_connections_max` and
//! `caseline_connections_refused_total`.
//!
//! What it deliberately does not do: limit requests (`rate_limit` does), or tell one client
//! from another: the cap is for the process's resources, not fairness.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;

use crate::problem::{ApiError, ErrorKind};

/// File descriptors kept free of connections: the store's files and pooled connections, the
/// log, the listener, a backup's copy. Generous, since running out is what this prevents.
pub const HEADROOM: u64 = 256;

/// The fewest connections a cap is clamped to, however low the file limit.
pub const MIN_CAP: usize = 16;

/// Raises the soft open-files limit toward the hard one (at least to what `cap` needs, and
/// to 65,536 where allowed) and returns the soft limit now in force, or `None` where it cannot
/// be read.
pub fn raise_file_limit(cap: usize) -> Option<u64> {
    let wanted = (cap as u64).saturating_add(HEADROOM).max(65_536);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!(error = %e, "could not read or raise the open-files limit");
            None
        }
    }
}

/// The cap in force: the configured one, but never so high that connections could take the
/// file descriptors the store needs.
pub fn effective_cap(configured: usize, file_limit: Option<u64>) -> usize {
    let configured = configured.max(1);
    match file_limit {
        Some(limit) => {
            let room = usize::try_from(limit.saturating_sub(HEADROOM)).unwrap_or(usize::MAX);
            configured.min(room.max(MIN_CAP))
        }
        None => configured,
    }
}

/// Each worker's share of the cap, rounded up so the shares add up to at least the cap.
pub fn per_worker(cap: usize, workers: usize) -> usize {
    cap.div_ceil(workers.max(1)).max(1)
}

/// The open connections of the process, against the cap.
pub struct Connections {
    open: AtomicUsize,
    cap: usize,
}

impl Connections {
    pub fn new(cap: usize) -> Arc<Connections> {
        metrics::gauge!("caseline_connections_max").set(cap as f64);
        Arc::new(Connections {
            open: AtomicUsize::new(0),
            cap,
        })
    }

    /// Counts a new connection; the guard, kept in the connection's data, uncounts it when
    /// actix drops the connection.
    fn connect(self: &Arc<Self>) -> ConnectionGuard {
        let now = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        metrics::gauge!("caseline_connections_open").increment(1.0);
        let over = now > self.cap;
        if over {
            metrics::counter!("caseline_connections_refused_total").increment(1);
        }
        ConnectionGuard {
            connections: self.clone(),
            over,
        }
    }

    /// The callback for `HttpServer::on_connect`.
    pub fn on_connect(
        self: &Arc<Self>,
    ) -> impl Fn(&dyn Any, &mut Extensions) + Send + Sync + 'static {
        let connections = self.clone();
        move |_, data| {
            data.insert(connections.connect());
        }
    }
}

/// One open connection, counted while it lives.
pub struct ConnectionGuard {
    connections: Arc<Connections>,
    /// Accepted while the cap was already reached.
    over: bool,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.connections.open.fetch_sub(1, Ordering::SeqCst);
        metrics::gauge!("caseline_connections_open").decrement(1.0);
    }
}

/// The middleware: a request on a connection accepted beyond the cap gets a 503 and the
/// connection is closed after it, which frees its file at once.
pub async fn refuse_over_cap(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.conn_data::<ConnectionGuard>().is_some_and(|g| g.over) {
        let mut res = ApiError::new(
            ErrorKind::Unavailable,
            "the server holds as many connections as it may; retry shortly on a new connection",
        )
        .with_retry_after(1)
        .error_response();
        res.head_mut().set_connection_type(ConnectionType::Close);
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_file_limit() {
        assert_eq!(effective_cap(10_000, Some(1024)), 1024 - HEADROOM as usize);
        assert_eq!(effective_cap(500, Some(1024)), 500);
        assert_eq!(effective_cap(500, Some(100)), MIN_CAP);
        assert_eq!(effective_cap(500, None), 500);
        assert_eq!(effective_cap(0, None), 1);
    }

    #[test]
    fn worker_shares_add_up_to_the_cap() {
        assert_eq!(per_worker(20, 2), 10);
        assert_eq!(per_worker(21, 2), 11);
        assert_eq!(per_worker(1, 8), 1);
        assert_eq!(per_worker(20, 0), 20);
    }
}
