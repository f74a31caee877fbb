//! `caseline migrate`: a deployment's store copied to another (events, tokens, idempotency keys,
//! the read log), verified, and the pseudonym key carried over or pointed at.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{for_each_event, open, open_existing, progress, redacted};

/// The flags of `caseline migrate`.
#[derive(Args)]
pub(crate) struct Migrate {
    /// The store to copy from (it must exist).
    #[arg(long)]
    from: String,
    /// The store to copy to (created if need be; it must hold no events).
    #[arg(long)]
    to: String,
    /// The source's pseudonym key file. Default: pseudonym.key beside a SQLite source.
    #[arg(long, env = "CASELINE_PSEUDONYM_KEY_FILE")]
    pseudonym_key_file: Option<PathBuf>,
}

/// `caseline migrate`: everything a deployment's store holds that a server needs, copied.
/// Checkpoints and read models are left behind: the server rebuilds them on its first start.
pub(crate) async fn run(args: Migrate) -> Result<ExitCode> {
    let (from, to, key_file) = (
        args.from.as_str(),
        args.to.as_str(),
        args.pseudonym_key_file,
    );
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
