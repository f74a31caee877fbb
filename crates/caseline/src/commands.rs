//! The subcommands, one module each, and what several of them share: the `--store` flag and
//! opening the store it names, the census header's flags, `--listen`, the variable that may
//! carry the pseudonym key, progress bars, paging through every event, a framework by name.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use api::Config;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use store::StoredEvent;

pub(crate) mod backup;
pub(crate) mod demo;
pub(crate) mod export;
pub(crate) mod generate;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod migrate;
pub(crate) mod rebuild;
pub(crate) mod serve;
pub(crate) mod signin;
pub(crate) mod statutory;
pub(crate) mod token;
pub(crate) mod verify;

#[derive(Args, Clone)]
pub(crate) struct StoreArg {
    /// The event store: sqlite://PATH, postgres://…, or kurrentdb://… / esdb://…
    #[arg(long, env = "CASELINE_STORE", default_value = Config::DEFAULT_STORE)]
    store: String,
}

/// What the census header says about who is returning.
#[derive(Args, Clone)]
pub(crate) struct CensusSource {
    /// The council's three-digit DfE LA code (e.g. 926 for Norfolk), for the census header.
    #[arg(long, env = "CASELINE_LA_CODE")]
    la_code: Option<String>,
    /// The software code the census header names.
    #[arg(long, env = "CASELINE_SOFTWARE_CODE", default_value = Config::DEFAULT_SOFTWARE_CODE)]
    software_code: String,
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

fn framework(name: &str) -> Result<&'static domain::framework::Framework> {
    domain::framework::Framework::by_name(name)
        .map_err(|_| anyhow::anyhow!("unknown framework {name:?}: use norfolk or staffordshire"))
}
