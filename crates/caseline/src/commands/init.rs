//! `caseline init`: creates an empty store and its pseudonym key, and leaves one that exists
//! as it is.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use super::{PSEUDONYM_KEY_ENV, StoreArg, open, redacted};

/// The flags of `caseline init`.
#[derive(Args)]
pub(crate) struct Init {
    #[command(flatten)]
    store: StoreArg,
    /// The pseudonym key's file (created, owner-only). Default: pseudonym.key beside a
    /// SQLite store; for other stores the server makes it where it is told to.
    #[arg(long, env = "CASELINE_PSEUDONYM_KEY_FILE")]
    pseudonym_key_file: Option<PathBuf>,
}

/// Creates the store if it is not there, and the pseudonym key where one belongs.
pub(crate) async fn run(args: Init) -> Result<ExitCode> {
    let (url, pseudonym_key_file) = (args.store.store.as_str(), args.pseudonym_key_file);
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
