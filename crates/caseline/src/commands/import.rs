//! `caseline import`: an export loaded into an empty store, keeping ids, times, sequences and
//! hashes.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use store::StoredEvent;

use super::{StoreArg, open, progress};

/// The flags of `caseline import`.
#[derive(Args)]
pub(crate) struct Import {
    /// The NDJSON file written by `caseline export` (`-` reads stdin).
    file: PathBuf,
    #[command(flatten)]
    store: StoreArg,
}

pub(crate) async fn run(args: Import) -> Result<ExitCode> {
    let (file, url) = (args.file.as_path(), args.store.store.as_str());
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
    store.settle().await.context("writing out the store")?;
    bar.finish_and_clear();
    eprintln!("imported {n} events");
    Ok(ExitCode::SUCCESS)
}
