//! `caseline demo`: a server on a temporary store loaded with a generated council, with the
//! tokens, links and sign-ins to look at it; the store is removed when the demo stops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use api::Config;
use clap::Args;
use uuid::Uuid;

use super::generate::generate_into;
use super::{for_each_event, listen_addr, open, signin};

/// The flags of `caseline demo`.
#[derive(Args)]
pub(crate) struct Demo {
    /// Where to listen: HOST:PORT, the host a name (localhost) or an address. When the
    /// port is taken, any free port on that host is used instead.
    #[arg(long, env = "CASELINE_LISTEN", default_value = Config::DEFAULT_LISTEN, value_parser = listen_addr)]
    listen: SocketAddr,
    /// How many children to generate.
    #[arg(long, default_value_t = 500)]
    children: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub(crate) async fn run(args: Demo) -> Result<ExitCode> {
    let (listen, children, seed) = (args.listen, args.children, args.seed);
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
