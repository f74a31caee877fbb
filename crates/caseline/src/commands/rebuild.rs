//! `caseline rebuild`: the read models rebuilt from the first event and saved.

use std::process::ExitCode;

use anyhow::Result;
use api::Config;
use clap::Args;

use super::{StoreArg, framework, open_existing, progress};

/// The flags of `caseline rebuild`.
#[derive(Args)]
pub(crate) struct Rebuild {
    #[command(flatten)]
    store: StoreArg,
    /// The threshold framework: norfolk or staffordshire.
    #[arg(long, env = "CASELINE_FRAMEWORK", default_value = Config::DEFAULT_FRAMEWORK)]
    framework: String,
}

pub(crate) async fn run(args: Rebuild) -> Result<ExitCode> {
    let (url, framework_name) = (args.store.store.as_str(), args.framework.as_str());
    let framework = framework(framework_name)?;
    let store = open_existing(url).await?;
    let projections = projection::Projections::empty(store, framework);
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
