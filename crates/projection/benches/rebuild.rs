//! Rebuilding the cross-child read model from a generated council, and the inspection report
//! over it: prints a table for docs/BENCHMARKS.md.
//!
//! `cargo bench -p projection --bench rebuild` (release build). `CASELINE_BENCH_CHILDREN` sets
//! the council's size (default 66,000 children, just over a million events); the store is a fresh
//! SQLite file in a temporary directory.

use std::time::Instant;

use domain::framework::Framework;
use projection::Projections;
use projection::inspection::Period;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let children: usize = std::env::var("CASELINE_BENCH_CHILDREN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(66_000);
    let framework = Framework::by_name("norfolk")?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = store::open(&url).await?;

    let options = generate::Options::new(children, 7, framework);
    let started = Instant::now();
    let summary = generate::generate(store.as_ref(), &options).await?;
    let generated = started.elapsed().as_secs_f64();

    let projections = Projections::load(store.clone(), framework).await?;
    let started = Instant::now();
    let applied = projections.rebuild(&|_| {}).await?;
    let rebuilt = started.elapsed().as_secs_f64();
    let rss = peak_rss_mib();
    let model = projections.model();
    let rows: usize = model
        .child_ids()
        .filter_map(|id| model.row(id))
        .map(|r| r.len())
        .sum();
    let rows = rows as f64 / (1024.0 * 1024.0);

    let period = Period::new(options.start, options.end())?;
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..3 {
        let started = Instant::now();
        report = Some(model.report(framework, period, None, &|id| id.simple().to_string()));
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let received = report.map(|r| r.referrals.received).unwrap_or_default();

    println!("| measure | value |");
    println!("| --- | --- |");
    println!("| children generated | {} |", summary.children);
    println!("| events | {} |", summary.events);
    println!(
        "| generate into SQLite | {generated:.1} s ({:.0} events/s) |",
        summary.events as f64 / generated
    );
    println!(
        "| rebuild from zero | {rebuilt:.1} s ({:.0} events/s, {applied} events) |",
        applied as f64 / rebuilt
    );
    println!("| peak memory (VmHWM) after rebuild | {rss:.0} MiB |");
    println!("| saved rows (one a child, MessagePack) | {rows:.1} MiB |");
    println!(
        "| inspection report, the whole year (median of 3) | {:.2} s ({received} referrals) |",
        times[1]
    );
    Ok(())
}
