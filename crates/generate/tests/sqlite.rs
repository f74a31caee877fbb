//! The generator against a real store: 500 children into a fresh SQLite file, every chain
//! intact, and the store holding exactly what the summary says was written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::framework::Framework;
use generate::{Options, generate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_children_into_sqlite_verify() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caseline.db").display());
    let store = store::open(&url).await.unwrap();
    let options = Options::new(500, 2026, Framework::by_name("norfolk").unwrap());

    let started = std::time::Instant::now();
    let summary = generate(store.as_ref(), &options).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    if std::env::var_os("TEST_LOG").is_some() {
        eprintln!(
            "500 children, {} events in {secs:.2}s: {:.0} children/s, {:.0} events/s",
            summary.events,
            500.0 / secs,
            summary.events as f64 / secs
        );
    }

    assert_eq!(summary.children, 500);
    assert_eq!(
        summary.by_type.values().sum::<u64>(),
        summary.events,
        "every event is counted under its type"
    );
    assert_eq!(summary.by_type.get("child_registered"), Some(&500));

    let verification = store.verify(None).await.unwrap();
    assert!(verification.broken.is_empty(), "{:?}", verification.broken);
    assert_eq!(verification.children, 500);
    assert_eq!(verification.events, summary.events);

    // The store's global order holds every event once.
    let mut after = 0;
    let mut read = 0u64;
    loop {
        let page = store.read_all(after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.global_position;
        read += page.len() as u64;
    }
    assert_eq!(read, summary.events);

    // A second run of the same seed claims the same NHS numbers, so the store refuses it.
    let again = generate(store.as_ref(), &options).await;
    assert!(matches!(again, Err(generate::GenerateError::Store { .. })));
}
