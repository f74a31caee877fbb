//! `caseline`: the one binary. Serves the API and administers a store from the command line.
//!
//! Every subcommand takes `--store` (env `CASELINE_STORE`); operators script these, so their
//! flags and output are stable (docs/CONTRACT.md, "The command line"). Long work shows progress on
//! a terminal (not when piped) and ends with a count.

use std::io::{BufRead, BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use api::Config;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use store::StoredEvent;
use uuid::Uuid;

mod signin;
mod statutory;

/// mimalloc rather than glibc's malloc: under load, glibc's free-list consolidation across the
/// server's threads was about a third of its CPU (profile in docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "caseline",
    version,
    about = "The shared, append-only record of a child's journey through a council's threshold guide."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct StoreArg {
    /// The event store: sqlite://PATH, postgres://…, or kurrentdb://… / esdb://…
    #[arg(long, env = "CASELINE_STORE", default_value = Config::DEFAULT_STORE)]
    store: String,
}

/// What the census header says about who is returning.
#[derive(Args, Clone)]
struct CensusSource {
    /// The council's three-digit DfE LA code (e.g. 926 for Norfolk), for the census header.
    #[arg(long, env = "CASELINE_LA_CODE")]
    la_code: Option<String>,
    /// The software code the census header names.
    #[arg(long, env = "CASELINE_SOFTWARE_CODE", default_value = Config::DEFAULT_SOFTWARE_CODE)]
    software_code: String,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve(Box<Serve>),
    /// Prints a single-use link, valid for 10 minutes, that opens a browser session for a
    /// person (for deployments without an identity provider, and the demo).
    SigninLink(signin::SigninLink),
    /// Creates an empty store and its pseudonym key; does nothing to one that exists.
    ///
    /// The pseudonym key is made beside a SQLite store or at --pseudonym-key-file. Run it
    /// before the first `token create`, which refuses a store that does not exist.
    Init {
        #[command(flatten)]
        store: StoreArg,
        /// The pseudonym key's file (created, owner-only). Default: pseudonym.key beside a
        /// SQLite store; for other stores the server makes it where it is told to.
        #[arg(long, env = "CASELINE_PSEUDONYM_KEY_FILE")]
        pseudonym_key_file: Option<PathBuf>,
    },
    /// Writes a statutory return from the store: the Children in Need census or Annex A.
    Returns {
        #[command(subcommand)]
        command: statutory::ReturnsCommand,
    },
    /// Creates, lists and revokes bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Checks every child's hash chain; exits non-zero naming the child and record if anything
    /// was altered or removed.
    Verify {
        #[command(flatten)]
        store: StoreArg,
        /// Check one child only.
        #[arg(long)]
        child: Option<Uuid>,
    },
    /// Rebuilds the read models (disagreement review, inspection report) from the first event
    /// and saves them; a running server picks the result up at its next start.
    Rebuild {
        #[command(flatten)]
        store: StoreArg,
        /// The threshold framework: norfolk or staffordshire.
        #[arg(long, env = "CASELINE_FRAMEWORK", default_value = Config::DEFAULT_FRAMEWORK)]
        framework: String,
    },
    /// Writes a synthetic council's year into a store that exists (`init` first).
    ///
    /// Realistic journeys, every record through the domain's rules, each with a realistic
    /// `recorded_at` (most written up within hours, some days late). Refuses a store that
    /// holds children (unless --into-existing) and one a server is running on.
    Generate {
        /// How many children.
        #[arg(long, default_value_t = 1000)]
        children: usize,
        /// The same seed gives the same council.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The last day of the generated year (default: yesterday).
        #[arg(long)]
        end: Option<chrono::NaiveDate>,
        #[command(flatten)]
        store: StoreArg,
        /// The threshold framework: norfolk or staffordshire.
        #[arg(long, env = "CASELINE_FRAMEWORK", default_value = Config::DEFAULT_FRAMEWORK)]
        framework: String,
        /// Add the generated children to a store that already holds children (by default
        /// such a store is refused, so a real record is never mixed with invented ones by
        /// mistake).
        #[arg(long)]
        into_existing: bool,
    },
    /// A first look: a server on a temporary store loaded with a generated council.
    ///
    /// Prints tokens and the URLs of a journey page (as it happened and as it was known),
    /// the report, and the report as an inspector sees it. The temporary store is removed
    /// when the demo stops (Ctrl-C, SIGTERM).
    Demo {
        /// Where to listen: HOST:PORT, the host a name (localhost) or an address. When the
        /// port is taken, any free port on that host is used instead.
        #[arg(long, env = "CASELINE_LISTEN", default_value = Config::DEFAULT_LISTEN, value_parser = listen_addr)]
        listen: SocketAddr,
        /// How many children to generate.
        #[arg(long, default_value_t = 500)]
        children: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Writes every event as NDJSON to stdout, in global order.
    Export {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Copies a SQLite store into a new file while the server may be running.
    ///
    /// SQLite's online backup, one consistent moment of everything (events, tokens, read
    /// log). The pseudonym key is not in it (back up its file apart). For PostgreSQL use
    /// pg_dump; for any backend, export.
    Backup {
        #[command(flatten)]
        store: StoreArg,
        /// The new file (never overwritten).
        #[arg(long)]
        to: PathBuf,
    },
    /// Moves a deployment's store to another (SQLite to PostgreSQL, say), verified.
    ///
    /// Copies every event (as import keeps them), tokens, idempotency keys and their
    /// answers, and the read log. The source must not be served meanwhile; the target must
    /// hold no events. The pseudonym key is a file, not in the store: it is copied beside a
    /// SQLite target, and for any other target the server is pointed at it (the command
    /// says how).
    Migrate {
        /// The store to copy from (it must exist).
        #[arg(long)]
        from: String,
        /// The store to copy to (created if need be; it must hold no events).
        #[arg(long)]
        to: String,
        /// The source's pseudonym key file. Default: pseudonym.key beside a SQLite source.
        #[arg(long, env = "CASELINE_PSEUDONYM_KEY_FILE")]
        pseudonym_key_file: Option<PathBuf>,
    },
    /// Loads an export into an empty store, keeping ids, times, sequences and hashes.
    Import {
        /// The NDJSON file written by `caseline export` (`-` reads stdin).
        file: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Args)]
struct Serve {
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

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token and prints `{ "id", "token" }`; the secret is shown only this once.
    Create {
        /// recorder, front_door, auditor, inspector or admin.
        #[arg(long)]
        role: String,
        /// kind:name, e.g. school:norwich-high.
        #[arg(long)]
        agency: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Lists tokens (never their secrets) as JSON.
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Revokes a token at once.
    Revoke {
        id: Uuid,
        #[command(flatten)]
        store: StoreArg,
    },
}

/// `--listen` as HOST:PORT: an address as it is, a name (`localhost:8085`) resolved, the first
/// address it resolves to taken.
fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    s.to_socket_addrs()
        .map_err(|e| {
            format!("{s} is not HOST:PORT (such as 127.0.0.1:8080 or localhost:8080): {e}")
        })?
        .next()
        .ok_or_else(|| format!("{s} resolves to no address"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("caseline: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("caseline: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(s) => serve(*s).await,
        Command::SigninLink(s) => signin::signin_link(s).await,
        Command::Init {
            store,
            pseudonym_key_file,
        } => init(&store.store, pseudonym_key_file).await,
        Command::Returns { command } => statutory::run(command).await,
        Command::Token { command } => token(command).await,
        Command::Verify { store, child } => verify(&store.store, child).await,
        Command::Rebuild { store, framework } => rebuild(&store.store, &framework).await,
        Command::Export { store } => export(&store.store).await,
        Command::Backup { store, to } => backup(&store.store, to).await,
        Command::Generate {
            children,
            seed,
            end,
            store,
            framework,
            into_existing,
        } => generate_cmd(&store.store, &framework, children, seed, end, into_existing).await,
        Command::Demo {
            listen,
            children,
            seed,
        } => demo(listen, children, seed).await,
        Command::Import { file, store } => import(&file, &store.store).await,
        Command::Migrate {
            from,
            to,
            pseudonym_key_file,
        } => migrate(&from, &to, pseudonym_key_file).await,
    }
}

/// The environment variable that may carry the pseudonym key itself, as hex.
const PSEUDONYM_KEY_ENV: &str = "CASELINE_PSEUDONYM_KEY";

/// Opens a store that must already exist: an administrative command on a mistyped store
/// refuses (non-zero, nothing created) rather than make an empty one and report success on it.
pub(crate) async fn open_existing(url: &str) -> Result<std::sync::Arc<dyn store::EventStore>> {
    let there = store::exists(url)
        .await
        .with_context(|| format!("checking the store {}", redacted(url)))?;
    if !there {
        bail!(
            "there is no Caseline store at {}: check --store (or CASELINE_STORE); `caseline init` creates a new, empty store, `caseline import` loads one",
            redacted(url)
        );
    }
    open(url).await
}

/// A store URL as it may be printed: a password in it is replaced.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

async fn open(url: &str) -> Result<std::sync::Arc<dyn store::EventStore>> {
    store::open(url)
        .await
        .with_context(|| format!("opening the store {}", redacted(url)))
}

/// Creates the store if it is not there, and the pseudonym key where one belongs.
async fn init(url: &str, pseudonym_key_file: Option<PathBuf>) -> Result<ExitCode> {
    let existed = store::exists(url)
        .await
        .with_context(|| format!("checking the store {}", redacted(url)))?;
    if existed {
        // Not even a key: a deployment whose key lives elsewhere must not grow a stray one.
        eprintln!(
            "a Caseline store is already at {}: nothing changed",
            redacted(url)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = open(url).await?;
    let source = match (std::env::var(PSEUDONYM_KEY_ENV), pseudonym_key_file) {
        (Ok(hexed), _) if !hexed.trim().is_empty() => {
            Some(api::pseudonym_key::KeySource::Hex(hexed))
        }
        (_, Some(path)) => Some(api::pseudonym_key::KeySource::File(path)),
        _ if store::sqlite_path(url).is_ok() => Some(api::pseudonym_key::KeySource::BesideStore),
        _ => None,
    };
    let key = match &source {
        Some(source) => {
            api::pseudonym_key::load(source, url, store.as_ref())
                .await
                .context("making the pseudonym key")?;
            api::pseudonym_key::key_file(source, url)
                .ok()
                .flatten()
                .map(|p| format!("; pseudonym key in {}", p.display()))
                .unwrap_or_default()
        }
        None => "; give the server --pseudonym-key-file (or CASELINE_PSEUDONYM_KEY) for the pseudonym key".to_owned(),
    };
    eprintln!("created an empty Caseline store at {}{key}", redacted(url));
    Ok(ExitCode::SUCCESS)
}

async fn serve(s: Serve) -> Result<ExitCode> {
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

async fn token(command: TokenCommand) -> Result<ExitCode> {
    match command {
        TokenCommand::Create {
            role,
            agency,
            name,
            store,
        } => {
            let store = open_existing(&store.store).await?;
            let (record, secret) =
                api::auth::create_token(store.as_ref(), &agency, &role, &name).await?;
            let out = serde_json::json!({
                "id": record.id, "token": secret, "agency": record.agency, "role": record.role, "name": record.name,
            });
            println!("{out}");
        }
        TokenCommand::List { store } => {
            let store = open_existing(&store.store).await?;
            let tokens: Vec<serde_json::Value> = store
                .tokens()
                .await?
                .into_iter()
                .map(|t| {
                    serde_json::json!({
                        "id": t.id, "agency": t.agency, "role": t.role, "name": t.name,
                        "created_at": t.created_at, "revoked_at": t.revoked_at,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "tokens": tokens }))?
            );
        }
        TokenCommand::Revoke { id, store } => {
            let store = open_existing(&store.store).await?;
            if !store.revoke_token(id, chrono::Utc::now()).await? {
                bail!("no token with id {id}");
            }
            eprintln!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on a terminal; hidden when stderr is not one (scripts, CI).
fn progress(len: Option<u64>, what: &str) -> ProgressBar {
    let bar = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    let template = if len.is_some() {
        "{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})"
    } else {
        "{spinner} {msg} {pos} ({per_sec})"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Pages through every event in global order.
async fn for_each_event(
    store: &dyn store::EventStore,
    mut f: impl FnMut(StoredEvent) -> Result<()>,
) -> Result<u64> {
    const PAGE: usize = 1000;
    let (mut after, mut count) = (0, 0u64);
    loop {
        let page = store.read_all(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.global_position;
        let n = page.len();
        for e in page {
            f(e)?;
            count += 1;
        }
        if n < PAGE {
            break;
        }
    }
    Ok(count)
}

async fn verify(url: &str, child: Option<Uuid>) -> Result<ExitCode> {
    let store = open_existing(url).await?;
    let children: Vec<Uuid> = match child {
        Some(c) => {
            if store.stream_sequence(c).await? == 0 {
                bail!("no child {c} in this store: nothing to verify");
            }
            vec![c]
        }
        None => {
            let bar = progress(None, "finding children");
            let mut seen = std::collections::BTreeSet::new();
            for_each_event(store.as_ref(), |e| {
                seen.insert(e.child_id);
                bar.inc(1);
                Ok(())
            })
            .await?;
            bar.finish_and_clear();
            seen.into_iter().collect()
        }
    };
    let bar = progress(Some(children.len() as u64), "verifying");
    let (mut events, mut broken) = (0u64, Vec::new());
    for c in &children {
        let v = store.verify(Some(*c)).await?;
        events += v.events;
        broken.extend(v.broken);
        bar.inc(1);
    }
    bar.finish_and_clear();
    for b in &broken {
        let record = b
            .event_id
            .map(|id| format!(" (event {id})"))
            .unwrap_or_default();
        println!(
            "BROKEN child {} at sequence {}{record}: {}",
            b.child_id, b.sequence, b.problem
        );
    }
    println!(
        "verified {} children, {events} events: {} broken",
        children.len(),
        broken.len()
    );
    Ok(if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn rebuild(url: &str, framework_name: &str) -> Result<ExitCode> {
    let framework = framework(framework_name)?;
    let store = open_existing(url).await?;
    let projections = projection::Projections::load(store, framework).await?;
    let bar = progress(None, "rebuilding: global position");
    let started = std::time::Instant::now();
    let applied = projections.rebuild(&|at| bar.set_position(at)).await?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let model = projections.model();
    println!(
        "rebuilt from {applied} events: {} children in {secs:.1} s ({:.0} events/s)",
        model.children(),
        applied as f64 / secs.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn framework(name: &str) -> Result<&'static domain::framework::Framework> {
    domain::framework::Framework::by_name(name)
        .map_err(|_| anyhow::anyhow!("unknown framework {name:?}: use norfolk or staffordshire"))
}

/// `caseline generate`: only into a store that exists, that no server holds, and that holds
/// no children unless `into_existing`.
async fn generate_cmd(
    url: &str,
    framework_name: &str,
    children: usize,
    seed: u64,
    end: Option<chrono::NaiveDate>,
    into_existing: bool,
) -> Result<ExitCode> {
    let store = open_existing(url).await?;
    let _lock = store::lock::lock(url, store::lock::LockMode::Exclusive)
        .await
        .with_context(|| format!("generating into {}", redacted(url)))?;
    if !into_existing && store.head_position().await? > 0 {
        bail!(
            "the store {} already holds children: generated children are invented, and are not mixed with a council's record by mistake; use a new store (`caseline init --store …`), or --into-existing to add them anyway",
            redacted(url)
        );
    }
    generate_into(store, framework_name, children, seed, end).await?;
    Ok(ExitCode::SUCCESS)
}

/// Generates a council into `store`; returns the options used.
async fn generate_into(
    store: std::sync::Arc<dyn store::EventStore>,
    framework_name: &str,
    children: usize,
    seed: u64,
    end: Option<chrono::NaiveDate>,
) -> Result<generate::Options> {
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let end = end.unwrap_or(yesterday);
    if end > yesterday {
        bail!(
            "--end {end} is not in the past: a generated year ends by yesterday ({yesterday}), since nothing is recorded before it happens"
        );
    }
    let options = generate::Options::new(children, seed, framework(framework_name)?).ending(end);
    let bar = progress(None, "generating");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    let summary = generate::generate(store.as_ref(), &options)
        .await
        .context("generating")?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "generated {} children, {} events ({} to {}) in {secs:.1} s ({:.0} events/s)",
        summary.children,
        summary.events,
        options.start,
        options.end(),
        summary.events as f64 / secs.max(1e-9)
    );
    Ok(options)
}

/// Waits for Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The demo's temporary folder, removed when the demo ends however it returns.
struct TempStore(PathBuf);

impl Drop for TempStore {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("caseline: could not remove {}: {e}", self.0.display());
        }
    }
}

/// `listen` if it can be bound now, else any free port on the same host.
fn free_listen(listen: SocketAddr) -> SocketAddr {
    match std::net::TcpListener::bind(listen) {
        Ok(_) => listen,
        Err(_) => SocketAddr::new(listen.ip(), 0),
    }
}

/// A record of the generated council written up days after it happened: its child and a
/// moment between the two, when the journey as it had happened (`as_of`) already holds it
/// but the record as it stood (`known_at`) did not yet. The longest such journey is chosen.
fn late_record(
    events: &[(
        Uuid,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    )],
    counts: &std::collections::HashMap<Uuid, u64>,
) -> Option<(Uuid, chrono::DateTime<chrono::Utc>)> {
    events
        .iter()
        .filter(|(_, occurred, recorded)| *recorded - *occurred > chrono::Duration::days(3))
        .max_by_key(|(child, occurred, _)| {
            (
                counts.get(child).copied().unwrap_or(0),
                *child,
                std::cmp::Reverse(*occurred),
            )
        })
        .map(|(child, occurred, recorded)| {
            let between = *occurred + (*recorded - *occurred) / 2;
            (
                *child,
                chrono::Timelike::with_nanosecond(&between, 0).unwrap_or(between),
            )
        })
}

async fn demo(listen: SocketAddr, children: usize, seed: u64) -> Result<ExitCode> {
    api::telemetry::init_logging(false);
    let dir = std::env::temp_dir().join(format!("caseline-demo-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let temp = TempStore(dir.clone());
    let url = format!("sqlite://{}", dir.join("caseline.db").display());
    let store = open(&url).await?;
    let options = tokio::select! {
        made = generate_into(store.clone(), Config::DEFAULT_FRAMEWORK, children, seed, None) => made?,
        _ = stop_signal() => {
            drop(store);
            drop(temp);
            eprintln!("stopped; the temporary store is removed");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let mut tokens = Vec::new();
    for (role, agency) in [
        ("front_door", "front_door:norfolk-mash"),
        ("auditor", "council:audit"),
        ("inspector", "ofsted:inspection"),
        ("admin", "council:admin"),
    ] {
        let (_, secret) = api::auth::create_token(store.as_ref(), agency, role, "demo").await?;
        tokens.push((role, secret));
    }
    // The child with the longest journey makes the most telling page.
    let mut counts: std::collections::HashMap<Uuid, u64> = std::collections::HashMap::new();
    let mut times = Vec::new();
    for_each_event(store.as_ref(), |e| {
        *counts.entry(e.child_id).or_default() += 1;
        times.push((e.child_id, e.occurred_at, e.recorded_at));
        Ok(())
    })
    .await?;
    let late = late_record(&times, &counts);
    let busiest = counts
        .iter()
        .max_by_key(|(id, n)| (**n, **id))
        .map(|(id, _)| *id);
    let people = signin::DemoPeople::create(
        store.as_ref(),
        busiest.map(|child| format!("/v1/children/{child}/journey")),
        format!(
            "/v1/reports/inspection?from={}&to={}",
            options.start,
            options.end()
        ),
    )
    .await?;
    drop(store);

    let mut config = Config::new(url.clone());
    config.listen = free_listen(listen);
    let running = api::start(config).await.context("starting the server")?;
    let base = format!("http://{}", running.addr);
    if listen.port() != 0 && running.addr.port() != listen.port() {
        println!(
            "({listen} is taken, so the demo listens on {})",
            running.addr
        );
    }
    println!(
        "Caseline demo: {children} generated children, {} to {}",
        options.start,
        options.end()
    );
    println!("store (removed when the demo stops): {url}");
    println!();
    for (role, secret) in &tokens {
        println!("{role:>10} token: {secret}");
    }
    let front_door = &tokens[0].1;
    let inspector = &tokens[2].1;
    println!();
    println!("API documentation (use Authorize with a token): {base}/docs/");
    if let Some(child) = busiest {
        println!("a journey page:");
        println!(
            "  curl -H 'Authorization: Bearer {front_door}' -H 'Accept: text/html' {base}/v1/children/{child}/journey > journey.html"
        );
    }
    if let Some((child, at)) = late {
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        println!(
            "a journey as it had happened by {at} (as_of), and as the record stood then (known_at: a record written up days later is not in it yet):"
        );
        println!(
            "  curl -H 'Authorization: Bearer {front_door}' -H 'Accept: text/html' '{base}/v1/children/{child}/journey?as_of={at}' > as-of.html"
        );
        println!(
            "  curl -H 'Authorization: Bearer {front_door}' -H 'Accept: text/html' '{base}/v1/children/{child}/journey?as_of={at}&known_at={at}' > known-at.html"
        );
    }
    println!("the inspection report:");
    println!(
        "  curl -H 'Authorization: Bearer {front_door}' -H 'Accept: text/html' '{base}/v1/reports/inspection?from={}&to={}' > report.html",
        options.start,
        options.end()
    );
    println!("the same report as an inspector sees it (pseudonyms only):");
    println!(
        "  curl -H 'Authorization: Bearer {inspector}' -H 'Accept: text/html' '{base}/v1/reports/inspection?from={}&to={}' > report-inspector.html",
        options.start,
        options.end()
    );
    println!();
    people.print(running.addr);
    println!();
    println!("listening on {base} (Ctrl-C stops the demo and removes its store)");
    let served = running.wait().await.context("serving");
    drop(temp);
    served?;
    Ok(ExitCode::SUCCESS)
}

async fn export(url: &str) -> Result<ExitCode> {
    let store = open_existing(url).await?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let bar = progress(None, "exporting");
    let count = for_each_event(store.as_ref(), |e| {
        serde_json::to_writer(&mut out, &e)?;
        out.write_all(b"\n")?;
        bar.inc(1);
        Ok(())
    })
    .await?;
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("exported {count} events");
    Ok(ExitCode::SUCCESS)
}

async fn backup(url: &str, to: PathBuf) -> Result<ExitCode> {
    let Ok(path) = store::sqlite_path(url) else {
        bail!(
            "backup copies a SQLite store; for {} use its own tools (pg_dump for PostgreSQL), or `caseline export` for any store",
            url.split_once("://").map_or(url, |(scheme, _)| scheme)
        );
    };
    let source = PathBuf::from(path);
    if !source.is_file() {
        bail!(
            "there is no Caseline store at {}: check --store (or CASELINE_STORE)",
            source.display()
        );
    }
    let bar = progress(None, "backing up");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let target = to.clone();
    let copied = tokio::task::spawn_blocking(move || store::sqlite::backup(&source, &target))
        .await
        .context("the backup task failed")??;
    // A store not yet opened by a server of this version may still hold the pseudonym key;
    // the copy must not carry it, whatever the source holds.
    let copy = open(&format!("sqlite://{}", to.display())).await?;
    let carried = copy
        .secret(api::pseudonym_key::LEGACY_SECRET, Vec::new())
        .await?;
    copy.forget_secret(api::pseudonym_key::LEGACY_SECRET)
        .await?;
    drop(copy);
    bar.finish_and_clear();
    if !carried.is_empty() {
        eprintln!(
            "the store still holds the pseudonym key (no server of this version has started on it): \
             it was left out of the backup; start the server once to move it to its key file, and \
             back that file up apart"
        );
    }
    eprintln!(
        "backed up {} events ({:.1} MiB) to {}",
        copied.events,
        copied.bytes as f64 / (1024.0 * 1024.0),
        to.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn import(file: &std::path::Path, url: &str) -> Result<ExitCode> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let bar = progress(None, "reading");
    let mut events = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: StoredEvent = serde_json::from_str(&line)
            .with_context(|| format!("line {} is not an exported event", i + 1))?;
        events.push(e);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let store = open(url).await?;
    let bar = progress(None, "importing");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let n = store.import(events).await.context("importing")?;
    bar.finish_and_clear();
    eprintln!("imported {n} events");
    Ok(ExitCode::SUCCESS)
}

/// `caseline migrate`: everything a deployment's store holds that a server needs, copied.
/// Checkpoints and read models are left behind: the server rebuilds them on its first start.
async fn migrate(from: &str, to: &str, key_file: Option<PathBuf>) -> Result<ExitCode> {
    use store::lock::{LockMode, lock};
    let source = open_existing(from).await?;
    let _source_lock = lock(from, LockMode::Exclusive)
        .await
        .with_context(|| format!("migrating from {}", redacted(from)))?;
    let _target_lock = lock(to, LockMode::Exclusive)
        .await
        .with_context(|| format!("migrating to {}", redacted(to)))?;
    let target = open(to).await?;
    if target.head_position().await? > 0 {
        bail!(
            "the store {} already holds events: migrate needs an empty target",
            redacted(to)
        );
    }

    let bar = progress(None, "reading events");
    let mut events = Vec::new();
    let mut children = std::collections::BTreeSet::new();
    for_each_event(source.as_ref(), |e| {
        children.insert(e.child_id);
        events.push(e);
        bar.inc(1);
        Ok(())
    })
    .await?;
    bar.finish_and_clear();
    let bar = progress(None, "writing events");
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let n_events = target.import(events).await.context("copying the events")?;
    bar.finish_and_clear();

    let tokens = source.tokens().await.context("reading the tokens")?;
    let n_tokens = tokens.len();
    for t in tokens {
        target.create_token(t).await.context("copying the tokens")?;
    }
    let keys = source
        .idempotency_records()
        .await
        .context("reading the idempotency keys")?;
    let n_keys = target
        .restore_idempotency(keys)
        .await
        .context("copying the idempotency keys")?;

    let bar = progress(Some(children.len() as u64), "copying the read log");
    let mut n_reads = 0u64;
    for child in &children {
        for entry in source.reads(*child).await.context("reading the read log")? {
            target
                .log_read(entry)
                .await
                .context("copying the read log")?;
            n_reads += 1;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let verified = target.verify(None).await.context("verifying the copy")?;
    eprintln!(
        "migrated {n_events} events of {} children, {n_tokens} tokens, {n_keys} idempotency keys, {n_reads} reads; verified {} children: {} broken",
        children.len(),
        verified.children,
        verified.broken.len()
    );
    for b in &verified.broken {
        println!(
            "BROKEN child {} at sequence {}: {}",
            b.child_id, b.sequence, b.problem
        );
    }

    // The key is a file beside the deployment, never in the store.
    let source_key = match key_file {
        Some(p) => Some(p),
        None => api::pseudonym_key::key_file(&api::pseudonym_key::KeySource::BesideStore, from)
            .ok()
            .flatten(),
    };
    match source_key.filter(|p| p.is_file()) {
        Some(path) => {
            let beside_target =
                api::pseudonym_key::key_file(&api::pseudonym_key::KeySource::BesideStore, to)
                    .ok()
                    .flatten();
            match beside_target {
                Some(dest) if !dest.exists() => {
                    copy_key(&path, &dest)?;
                    eprintln!(
                        "the pseudonym key {} is copied to {} beside the new store, so pseudonyms stay the same",
                        path.display(),
                        dest.display()
                    );
                }
                Some(dest) => eprintln!(
                    "a pseudonym key is already at {}: left as it is; pseudonyms are the same only if it is {}",
                    dest.display(),
                    path.display()
                ),
                None => eprintln!(
                    "the pseudonym key stays in {}: start the server with --pseudonym-key-file {} (or its contents in CASELINE_PSEUDONYM_KEY), so pseudonyms stay the same",
                    path.display(),
                    path.display()
                ),
            }
        }
        None => eprintln!(
            "no pseudonym key file was found for the source: start the server with the deployment's key (--pseudonym-key-file or CASELINE_PSEUDONYM_KEY), or it makes a new one and every pseudonym changes"
        ),
    }
    Ok(if verified.broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Copies a pseudonym key file, readable by its owner only, never over an existing one.
fn copy_key(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    let key = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(to)
        .with_context(|| format!("creating {}", to.display()))?;
    file.write_all(&key)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", to.display()))?;
    Ok(())
}
