//! `caseline export`: every event as NDJSON on stdout, in global order.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::{StoreArg, for_each_event, open_existing, progress};

/// The flags of `caseline export`.
#[derive(Args)]
pub(crate) struct Export {
    #[command(flatten)]
    store: StoreArg,
}

pub(crate) async fn run(args: Export) -> Result<ExitCode> {
    let url = args.store.store.as_str();
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
