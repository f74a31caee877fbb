//! `caseline verify`: checks every child's hash chain (or one child's) and names what was
//! altered or removed.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use uuid::Uuid;

use super::{StoreArg, for_each_event, open_existing, progress};

/// The flags of `caseline verify`.
#[derive(Args)]
pub(crate) struct Verify {
    #[command(flatten)]
    store: StoreArg,
    /// Check one child only.
    #[arg(long)]
    child: Option<Uuid>,
}

pub(crate) async fn run(args: Verify) -> Result<ExitCode> {
    let (url, child) = (args.store.store.as_str(), args.child);
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
