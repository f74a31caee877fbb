//! `caseline backup`: a SQLite store copied while the server may be running, without the
//! pseudonym key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{StoreArg, open, progress};

/// The flags of `caseline backup`.
#[derive(Args)]
pub(crate) struct Backup {
    #[command(flatten)]
    store: StoreArg,
    /// The new file (never overwritten).
    #[arg(long)]
    to: PathBuf,
}

pub(crate) async fn run(args: Backup) -> Result<ExitCode> {
    let (url, to) = (args.store.store.as_str(), args.to);
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
