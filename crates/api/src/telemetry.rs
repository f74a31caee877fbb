//! Logs, request ids, metrics and the problem safety net: the middleware every request passes.
//!
//! One JSON log line per request (method, route, status, latency, token, request id), every
//! line inside the request's span carrying the same `request_id`. Prometheus counters and
//! histograms by route *pattern* (never the raw path: child ids would explode the series).
//! And a last line of defence: an error answer produced outside our handlers (actix's own 404,
//! 405, a payload error) is rewritten as a problem, so a client only ever sees problem+json.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use uuid::Uuid;

use crate::auth::Caller;
use crate::problem::{ApiError, ErrorKind, PROBLEM_JSON};

/// The header that carries a request's id both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global log subscriber: JSON lines (or human-readable ones) filtered by
/// `RUST_LOG`, `info` by default. A second call does nothing, so tests may call it freely.
pub fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init()
    } else {
        registry.with(tracing_subscriber::fmt::layer()).try_init()
    };
}

/// The process's Prometheus recorder, installed on first use. One per process because the
/// `metrics` facade has one global recorder; the tests start many servers in one process and
/// they share it.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        const BUCKETS: [f64; 12] = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ];
        // Counts, not seconds: how many appends shared a commit, how many records a batch held.
        const SIZES: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets(&BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full("caseline_group_commit_size".into()), &SIZES)
            })
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full("caseline_append_batch_size".into()), &SIZES)
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("caseline_token_checks_per_read".into()),
                    &SIZES,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then ours stays empty, which
        // costs metrics, not correctness.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "caseline_http_requests_total",
        "HTTP requests by route and status"
    );
    metrics::describe_histogram!(
        "caseline_http_request_duration_seconds",
        "HTTP request latency by route"
    );
    metrics::describe_counter!("caseline_events_appended_total", "Events appended");
    metrics::describe_histogram!(
        "caseline_group_commit_size",
        "Appends that shared one store commit (group commit)"
    );
    metrics::describe_histogram!(
        "caseline_append_batch_size",
        "Events per acknowledged append"
    );
    metrics::describe_histogram!(
        "caseline_token_checks_per_read",
        "Requests whose tokens one read of the store checked"
    );
    metrics::describe_histogram!(
        "caseline_read_wait_seconds",
        "How long a cross-child read waited for the read model to reflect what it must"
    );
    metrics::describe_counter!(
        "caseline_read_wait_timeouts_total",
        "Cross-child reads answered 503 because the read model could not get there in time"
    );
    metrics::describe_counter!(
        "caseline_idempotent_replays_total",
        "Appends answered from an idempotency key"
    );
    metrics::describe_counter!(
        "caseline_read_log_writes_total",
        "Reads of a child's data logged"
    );
    metrics::describe_counter!(
        "caseline_rate_limited_total",
        "Requests refused by the rate limiter"
    );
    metrics::describe_gauge!("caseline_connections_open", "Connections open now");
    metrics::describe_gauge!(
        "caseline_connections_max",
        "The connection cap in force (after clamping below the open-files limit)"
    );
    metrics::describe_counter!(
        "caseline_connections_refused_total",
        "Connections accepted beyond the cap, answered 503 and closed"
    );
    metrics::describe_counter!(
        "caseline_auth_failures_limited_total",
        "Requests without a valid token refused because their address failed too often"
    );
}

fn request_id(req: &ServiceRequest) -> String {
    // A client's id is kept if it is short and plain, so its logs and ours line up.
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

/// Headers every answer carries, and the policy of every page.
///
/// `nosniff` keeps a browser from reading a JSON or CSV answer as a page; `no-referrer`
/// keeps child ids in URLs from leaking to wherever a page links. Pages (any HTML answer but
/// the API explorer under `/docs/`, which needs its scripts) get the
/// `Content-Security-Policy` of `pages::content_security_policy`.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    let explorer = res.request().path().starts_with("/docs");
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if html
        && !explorer
        && let Ok(v) = HeaderValue::from_str(crate::pages::content_security_policy())
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

/// The middleware: see the module docs.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    // No clone of the request may be held across `next.call`: routing needs it unshared.
    // Errors are converted to responses by the handlers; one that still escapes is rendered
    // by actix through its `ResponseError`, which for ours is a problem too.
    let mut res = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    // A sign-in page's own refusal (a used link, no role for this person) is HTML for a person
    // and stays so; every other error answer becomes a problem.
    let path = res.request().path();
    let for_person = res
        .request()
        .extensions()
        .get::<Caller>()
        .is_some_and(|c| c.person.is_some());
    let is_page = (for_person
        || ["/signin", "/signout", "/session"]
            .iter()
            .any(|p| path.starts_with(p)))
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem && !is_page {
        let kind = ErrorKind::for_status(status);
        let detail = match kind {
            ErrorKind::NotFound => "there is no such route; see /openapi.json".to_owned(),
            ErrorKind::MethodNotAllowed => {
                "this route does not take that method; see /openapi.json".to_owned()
            }
            _ => res.response().error().map_or_else(
                || kind.row().title.to_owned(),
                std::string::ToString::to_string,
            ),
        };
        let replaced = ApiError::new(kind, detail).error_response();
        let mut replaced = replaced;
        // Keep the Allow header of a 405 so the client learns what is allowed.
        if let Some(allow) = res.headers().get(header::ALLOW) {
            replaced.headers_mut().insert(header::ALLOW, allow.clone());
        }
        res = res.into_response(replaced);
    }
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let (token, person, session) = res
        .request()
        .extensions()
        .get::<Caller>()
        .map(|c| {
            (
                c.token_id,
                c.person.as_ref().map(|p| p.name.clone()),
                c.person.as_ref().map(|p| p.session_id),
            )
        })
        .unwrap_or_default();
    let elapsed = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    metrics::counter!(
        "caseline_http_requests_total",
        "route" => route.clone(),
        "method" => method.clone(),
        "status" => status.as_u16().to_string()
    )
    .increment(1);
    metrics::histogram!(
        "caseline_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone()
    )
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            route = %route,
            status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            token_id = token.map(|t| t.to_string()),
            // A person's reads (the pages) are logged under their name and session.
            person = person,
            session_id = session.map(|s| s.to_string()),
            "request"
        );
    });
    Ok(res)
}
