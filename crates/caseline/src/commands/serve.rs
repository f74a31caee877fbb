//! `caseline serve`: the server's flags (each with its environment variable) turned into its
//! `api::Config`, and the server run on them until it is stopped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use api::Config;
use clap::Args;

use super::{CensusSource, PSEUDONYM_KEY_ENV, StoreArg, listen_addr, redacted, signin};

/// The flags of `caseline serve`.
#[derive(Args)]
pub(crate) struct Serve {
    /// Where to listen: HOST:PORT, the host a name (localhost) or an address.
    #[arg(long, env = "CASELINE_LISTEN", default_value = Config::DEFAULT_LISTEN, value_parser = listen_addr)]
    listen: SocketAddr,
    #[command(flatten)]
    store: StoreArg,
    /// The threshold framework: norfolk or staffordshire.
    #[arg(long, env = "CASELINE_FRAMEWORK", default_value = Config::DEFAULT_FRAMEWORK)]
    framework: String,
    /// Requests a token may make per second, sustained.
    #[arg(long, env = "CASELINE_RATE_PER_SECOND", default_value_t = Config::DEFAULT_RATE_PER_SECOND)]
    rate_per_second: u32,
    /// Requests a token may make in a burst.
    #[arg(long, env = "CASELINE_RATE_BURST", default_value_t = Config::DEFAULT_RATE_BURST)]
    rate_burst: u32,
    /// Requests without a valid token one client address may make at once before it gets
    /// 429s.
    #[arg(long, env = "CASELINE_AUTH_FAILURE_BURST", default_value_t = Config::DEFAULT_AUTH_FAILURE_BURST)]
    auth_failure_burst: u32,
    /// How fast that budget refills, per minute.
    #[arg(long, env = "CASELINE_AUTH_FAILURES_PER_MINUTE", default_value_t = Config::DEFAULT_AUTH_FAILURES_PER_MINUTE)]
    auth_failures_per_minute: u32,
    /// The most connections held open at once; clamped below the open-files limit, which is
    /// raised toward its hard limit at start.
    #[arg(long, env = "CASELINE_MAX_CONNECTIONS", default_value_t = Config::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Milliseconds a new connection may take to send its first request before it is dropped.
    #[arg(long, env = "CASELINE_REQUEST_HEAD_TIMEOUT_MS", default_value_t = Config::DEFAULT_REQUEST_HEAD_TIMEOUT_MS)]
    request_head_timeout_ms: u64,
    /// Seconds an idle kept-alive connection is held between requests.
    #[arg(long, env = "CASELINE_KEEP_ALIVE", default_value_t = Config::DEFAULT_KEEP_ALIVE_SECS)]
    keep_alive: u64,
    /// Milliseconds a cross-child read (disagreements, report) waits for the read model to
    /// reflect every record acknowledged before it (and `?min_position`), then a 503.
    #[arg(long, env = "CASELINE_READ_WAIT_MS", default_value_t = Config::DEFAULT_READ_WAIT_MS)]
    read_wait_ms: u64,
    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "CASELINE_WORKERS", default_value_t = 0)]
    workers: usize,
    /// Seconds a graceful stop waits for in-flight requests.
    #[arg(long, env = "CASELINE_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    shutdown_timeout: u64,
    /// Log format: json (one object a line) or text.
    #[arg(long, env = "CASELINE_LOG_FORMAT", default_value = "json", value_parser = ["json", "text"])]
    log_format: String,
    /// How many events' worth of folded children to keep in memory (about 2-3 KB an event);
    /// the least recently used are dropped first.
    #[arg(long, env = "CASELINE_CHILD_CACHE_EVENTS", default_value_t = Config::DEFAULT_CHILD_CACHE_EVENTS)]
    child_cache_events: usize,
    /// How many bytes of journeys' JSON to keep, so a long child's journey read again is not
    /// serialised again (kept per child version and sight; 0 keeps none).
    #[arg(long, env = "CASELINE_KEPT_JOURNEYS_BYTES", default_value_t = Config::DEFAULT_KEPT_JOURNEYS_BYTES)]
    kept_journeys_bytes: usize,
    /// The pseudonym key's file (created, owner-only, on first start). Default: pseudonym.key
    /// beside a SQLite store; required for other stores unless CASELINE_PSEUDONYM_KEY (the key
    /// itself, hex) is set, which wins over any file.
    #[arg(long, env = "CASELINE_PSEUDONYM_KEY_FILE")]
    pseudonym_key_file: Option<PathBuf>,
    #[command(flatten)]
    signin: signin::ServeSignin,
    #[command(flatten)]
    census: CensusSource,
}

pub(crate) async fn run(s: Serve) -> Result<ExitCode> {
    api::telemetry::init_logging(s.log_format == "json");
    let mut config = Config::new(s.store.store);
    config.listen = s.listen;
    config.framework = s.framework;
    config.rate_per_second = s.rate_per_second;
    config.rate_burst = s.rate_burst;
    config.auth_failure_burst = s.auth_failure_burst;
    config.auth_failures_per_minute = s.auth_failures_per_minute;
    config.workers = s.workers;
    config.max_connections = s.max_connections;
    config.request_head_timeout_ms = s.request_head_timeout_ms;
    config.keep_alive_secs = s.keep_alive;
    config.read_wait_ms = s.read_wait_ms;
    config.shutdown_timeout_secs = s.shutdown_timeout;
    config.child_cache_events = s.child_cache_events;
    config.kept_journeys_bytes = s.kept_journeys_bytes;
    signin::configure(&mut config, s.signin)?;
    if let Some(la) = &s.census.la_code {
        // Checked now, so a mistyped code stops the start rather than every census later.
        returns::Source::new(la, &s.census.software_code).context("--la-code / --software-code")?;
    }
    config.la_code = s.census.la_code;
    config.software_code = s.census.software_code;
    // The key itself is taken from the environment only: a flag would show it to anyone who
    // can list processes.
    config.pseudonym_key = match (std::env::var(PSEUDONYM_KEY_ENV), s.pseudonym_key_file) {
        (Ok(hexed), _) if !hexed.trim().is_empty() => api::pseudonym_key::KeySource::Hex(hexed),
        (_, Some(path)) => api::pseudonym_key::KeySource::File(path),
        _ => api::pseudonym_key::KeySource::BesideStore,
    };
    // Held while serving, so `caseline generate` cannot write behind the server's back.
    let _lock = store::lock::lock(&config.store_url, store::lock::LockMode::Serving)
        .await
        .with_context(|| format!("opening the store {}", redacted(&config.store_url)))?;
    let running = api::start(config).await.context("starting the server")?;
    // Scripts and the tests read the address from here when they asked for port 0.
    println!("listening on http://{}", running.addr);
    running.wait().await.context("serving")?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
