//! How fast the generator fills a store: `cargo run --release -p generate --example rate --
//! [CHILDREN] [STORE_URL]` (2000 children into a temporary SQLite file by default). Prints
//! children and events per second, generation alone and generation with writing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use domain::framework::Framework;
use generate::{Options, generate, journeys};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let children: usize = args
        .next()
        .map_or(2000, |a| a.parse().expect("CHILDREN is a number"));
    let dir = tempfile::tempdir().unwrap();
    let url = args
        .next()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("caseline.db").display()));
    let options = Options::new(children, 1, Framework::by_name("norfolk").unwrap());

    let t = Instant::now();
    let events: usize = journeys(&options).map(|c| c.unwrap().events.len()).sum();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "generate only:   {children} children, {events} events in {secs:.2}s = {:.0} children/s, {:.0} events/s",
        children as f64 / secs,
        events as f64 / secs
    );

    let store = store::open(&url).await.unwrap();
    let t = Instant::now();
    let summary = generate(store.as_ref(), &options).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "into {}: {} children, {} events in {secs:.2}s = {:.0} children/s, {:.0} events/s",
        url.split("://").next().unwrap_or("store"),
        summary.children,
        summary.events,
        summary.children as f64 / secs,
        summary.events as f64 / secs
    );
}
