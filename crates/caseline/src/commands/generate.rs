//! `caseline generate`: a synthetic council's year written into a store that exists, and the
//! generation `caseline demo` shares.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use api::Config;
use clap::Args;

use super::{StoreArg, framework, open_existing, progress, redacted};

/// The flags of `caseline generate`.
#[derive(Args)]
pub(crate) struct Generate {
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
}

/// `caseline generate`: only into a store that exists, that no server holds, and that holds
/// no children unless `into_existing`.
pub(crate) async fn run(args: Generate) -> Result<ExitCode> {
    let (url, framework_name) = (args.store.store.as_str(), args.framework.as_str());
    let (children, seed, end, into_existing) =
        (args.children, args.seed, args.end, args.into_existing);
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
pub(crate) async fn generate_into(
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
    store.settle().await.context("writing out the store")?;
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
