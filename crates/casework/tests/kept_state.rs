//! A child's state kept in the store: a process that has not folded a long child starts an
//! append from the kept state and the events after it, decides exactly as a whole fold would,
//! and folds the whole history when a correction needs it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration as Wait;

use casework::{Actor, Append, Casework};
use chrono::{Duration, Utc};
use domain::access::Role;
use domain::child::Child;
use domain::envelope::RecordInput;
use domain::framework::Framework;
use domain::registration::ChildDetails;
use domain::shapes::Person;
use domain::testing::{self, Build};
use serde_json::json;
use store::EventStore;
use uuid::Uuid;

const SCHOOL: &str = "school:norwich-high";

fn person() -> Person {
    Person {
        role: testing::text("designated_safeguarding_lead"),
        ..testing::person(SCHOOL)
    }
}

fn input(data: impl Build) -> RecordInput {
    testing::posted(data)
        .at(Utc::now() - Duration::minutes(10))
        .by(person())
        .input()
}

fn conversation() -> RecordInput {
    input(testing::conversation_recorded())
}

/// The fold `casework` keeps for `child` now, its turn let go at once.
async fn kept_fold(casework: &Casework, child: Uuid) -> Arc<casework::Folded> {
    let turn = casework.cache().turn(child).await;
    turn.folded().expect("the child is kept").clone()
}

/// A retraction of `event_id`, entered on the wrong child.
fn retraction_of(event_id: Uuid) -> RecordInput {
    input(
        testing::record_corrected()
            .corrects(event_id)
            .reason("Entered on the wrong child")
            .retract(),
    )
}

fn one(record: RecordInput) -> Append {
    Append {
        records: vec![record],
        ..Append::default()
    }
}

fn actor() -> Actor {
    Actor {
        role: Role::Recorder,
        agency: SCHOOL.into(),
        token_id: None,
    }
}

async fn fresh(store: &Arc<dyn EventStore>) -> Casework {
    Casework::new(
        store.clone(),
        Framework::by_name("norfolk").unwrap(),
        100_000,
    )
}

/// A child registered a month ago through `casework`.
/// A new SQLite store in a directory of its own (kept for as long as the store is used).
async fn new_store() -> (tempfile::TempDir, Arc<dyn EventStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open(&format!("sqlite://{}", dir.path().join("c.db").display()))
        .await
        .unwrap();
    (dir, store)
}

/// Appends `n` conversations to `child`, one record at a time.
async fn conversations(casework: &Casework, child: Uuid, n: usize) {
    for _ in 0..n {
        casework
            .append(&actor(), child, one(conversation()))
            .await
            .unwrap();
    }
}

async fn register(casework: &Casework) -> Uuid {
    let details = ChildDetails::parse(
        json!({ "given_name": "Sam", "family_name": "Example", "date_of_birth": "2014-03-02",
                "gender": "male", "locality": "Norwich" }),
        "child",
    )
    .unwrap();
    casework
        .register(
            &actor(),
            // To the microsecond, as every time the API parses (and the store keeps) is.
            chrono::DurationRound::duration_trunc(
                Utc::now() - Duration::days(30),
                Duration::microseconds(1),
            )
            .unwrap(),
            person(),
            details,
            None,
        )
        .await
        .unwrap()
        .child_id
}

/// Every event of `child` folded from the store.
async fn whole_fold(store: &Arc<dyn EventStore>, child: Uuid) -> Child {
    let all = store.read_stream(child, 0, usize::MAX).await.unwrap();
    Child::from_events(all.iter().map(|e| casework::cache::parse(e).unwrap()))
}

/// A child with `n` conversations, recorded through one process (which keeps its state as it
/// grows); waits until a state at `kept_at` or later is in the store.
async fn long_child(n: usize, kept_at: u64) -> (tempfile::TempDir, Arc<dyn EventStore>, Uuid) {
    let (dir, store) = new_store().await;
    let first = fresh(&store).await;
    let child = register(&first).await;
    conversations(&first, child, n).await;
    for _ in 0..200 {
        if let Some((at, _)) = store
            .load_snapshot(&format!("child/{child}"))
            .await
            .unwrap()
            && at >= kept_at
        {
            return (dir, store, child);
        }
        tokio::time::sleep(Wait::from_millis(20)).await;
    }
    panic!("no state kept at {kept_at} or later");
}

#[tokio::test]
async fn a_cold_long_child_is_appended_to_from_its_kept_state() {
    let (_dir, store, child) = long_child(250, 200).await;
    let cold = fresh(&store).await;
    let appended = cold
        .append(&actor(), child, one(conversation()))
        .await
        .unwrap();
    assert_eq!(appended.events[0].sequence, 252);

    let folded = kept_fold(&cold, child).await;
    assert!(!folded.child.is_whole(), "started from the kept state");
    assert!(
        folded.events.len() < 100,
        "only the events after the kept state were read: {}",
        folded.events.len()
    );
    // The same state as folding every event.
    let whole = whole_fold(&store, child).await;
    assert!(
        folded.child.state() == whole.state(),
        "the resumed state differs from the whole fold"
    );
    assert_eq!(folded.sequence(), whole.sequence());

    // A read needs every event: the child is folded whole for it.
    let read = cold.read(child).await.unwrap();
    assert!(read.child.is_whole());
    assert_eq!(read.events.len(), 252);
}

#[tokio::test]
async fn a_cold_long_child_takes_a_batch_from_its_kept_state() {
    // A batch that corrects nothing reads no history either: a cold child does not fold its
    // whole stream for it, and the state it leaves is the whole fold's.
    let (_dir, store, child) = long_child(250, 200).await;
    let cold = fresh(&store).await;
    let appended = cold
        .append(
            &actor(),
            child,
            Append {
                records: vec![conversation(), conversation(), conversation()],
                batch: true,
                ..Append::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(appended.events.last().map(|e| e.sequence), Some(254));
    let folded = kept_fold(&cold, child).await;
    assert!(!folded.child.is_whole(), "started from the kept state");
    let whole = whole_fold(&store, child).await;
    assert!(folded.child.state() == whole.state());
    assert_eq!(folded.sequence(), whole.sequence());
}

#[tokio::test]
async fn a_correction_folds_the_whole_history_first() {
    let (_dir, store, child) = long_child(120, 100).await;
    let early = store.read_stream(child, 1, 1).await.unwrap()[0].event_id;
    let cold = fresh(&store).await;
    // One record first, so the cold process holds the child resumed from its kept state.
    cold.append(&actor(), child, one(conversation()))
        .await
        .unwrap();
    let retraction = retraction_of(early);
    let appended = cold
        .append(&actor(), child, one(retraction))
        .await
        .expect("the early record is found in the whole history");
    assert_eq!(appended.events[0].sequence, 123);
    let folded = kept_fold(&cold, child).await;
    assert!(folded.child.is_whole());
    assert!(!folded.child.state().events.contains_key(&early));
}

#[tokio::test]
async fn a_correction_recorded_elsewhere_after_the_kept_state_is_folded_whole() {
    let (_dir, store, child) = long_child(110, 100).await;
    let early = store.read_stream(child, 1, 1).await.unwrap()[0].event_id;
    // Another process retracts an early record after the state was kept.
    let other = fresh(&store).await;
    let retraction = retraction_of(early);
    other
        .append(&actor(), child, one(retraction))
        .await
        .unwrap();
    let cold = fresh(&store).await;
    cold.append(&actor(), child, one(conversation()))
        .await
        .unwrap();
    let folded = kept_fold(&cold, child).await;
    assert!(folded.child.is_whole(), "a correction after the kept state");
    assert!(!folded.child.state().events.contains_key(&early));
}

/// Past the cache's budget the least recently used child is kept as its state alone: appended
/// to from it without reading its history back, as a whole fold would decide; folded whole
/// again for a correction and for a read.
#[tokio::test]
async fn a_child_kept_as_its_state_past_the_budget_decides_as_a_whole_fold() {
    let (_dir, store) = new_store().await;
    // Room for one child of 41 events whole and the other's state, not for both whole.
    let casework = Casework::new(store.clone(), Framework::by_name("norfolk").unwrap(), 60);
    let (a, b) = (register(&casework).await, register(&casework).await);
    for child in [a, b] {
        // Read once, so the child is held whole from here on (a child only written to is
        // kept as its state from its registration).
        assert!(casework.read(child).await.unwrap().child.is_whole());
        conversations(&casework, child, 40).await;
    }
    let kept = kept_fold(&casework, a).await;
    assert!(
        kept.events.is_empty() && !kept.child.is_whole(),
        "a is kept as its state"
    );
    assert!(casework.cache().held() <= 60, "{}", casework.cache().held());

    let appended = casework
        .append(&actor(), a, one(conversation()))
        .await
        .unwrap();
    assert_eq!(appended.events[0].sequence, 42);
    let folded = kept_fold(&casework, a).await;
    assert!(
        folded.events.is_empty() && !folded.child.is_whole(),
        "nothing was read back: the record joined the kept state alone"
    );
    let whole = whole_fold(&store, a).await;
    assert!(folded.child.state() == whole.state());
    assert_eq!(folded.sequence(), whole.sequence());

    // A retraction of a's first conversation needs its history: folded whole first.
    let early = store.read_stream(a, 1, 1).await.unwrap()[0].event_id;
    let retracted = casework
        .append(&actor(), a, one(retraction_of(early)))
        .await
        .unwrap();
    assert_eq!(retracted.events[0].sequence, 43);
    let read = casework.read(a).await.unwrap();
    assert!(read.child.is_whole());
    assert_eq!(read.events.len(), 43);
    assert!(!read.child.state().events.contains_key(&early));
}

#[tokio::test]
async fn a_child_registered_here_is_kept_as_its_state_until_something_reads_it() {
    let (_dir, store) = new_store().await;
    let casework = fresh(&store).await;
    let child = register(&casework).await;
    conversations(&casework, child, 5).await;
    // Written to and never read: the fold alone, no events, and the same fold as the store's.
    let kept = kept_fold(&casework, child).await;
    assert!(kept.events.is_empty() && !kept.child.is_whole());
    let whole = whole_fold(&store, child).await;
    assert!(kept.child.state() == whole.state());
    assert_eq!(kept.sequence(), 6);

    // A read folds it whole from the store, once; it stays whole as records join it.
    let read = casework.read(child).await.unwrap();
    assert!(read.child.is_whole());
    assert_eq!(read.events.len(), 6);
    drop(read);
    casework
        .append(&actor(), child, one(conversation()))
        .await
        .unwrap();
    let kept = kept_fold(&casework, child).await;
    assert!(kept.child.is_whole());
    assert_eq!(kept.events.len(), 7);
    assert!(kept.child.state() == whole_fold(&store, child).await.state());

    // A correction of its first conversation, on a child registered and only written to in
    // another process, is decided against the whole history there.
    let other = fresh(&store).await;
    let second = register(&other).await;
    let first = other
        .append(&actor(), second, one(conversation()))
        .await
        .unwrap()
        .events[0]
        .event_id;
    other
        .append(&actor(), second, one(retraction_of(first)))
        .await
        .unwrap();
    let read = other.read(second).await.unwrap();
    assert!(read.child.is_whole() && read.events.len() == 3);
    assert!(!read.child.state().events.contains_key(&first));
}
