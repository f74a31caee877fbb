//! The cross-child read model kept by `Projections`: a rebuild (one scan in child order) gives
//! what folding each child's stream gives; rows are published before they are persisted, and
//! what is persisted (rows and position) always reloads to a model that catches up to the same
//! one; appends to a child whose stream is kept extend it correctly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Utc;
use domain::child::ChildEvent;
use domain::framework::Framework;
use domain::record::RecordType;
use domain::testing::{self, Build};
use projection::{Across, Projections};
use store::{AppendRequest, EventStore, Expected, NewEvent};
use uuid::Uuid;

fn framework() -> &'static Framework {
    Framework::by_name("norfolk").unwrap()
}

async fn council(children: usize) -> (tempfile::TempDir, Arc<dyn EventStore>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("follow.db").display());
    let store = store::open(&url).await.unwrap();
    let options = generate::Options::new(children, 11, framework());
    generate::generate(store.as_ref(), &options).await.unwrap();
    (dir, store)
}

/// The model built the slow, obvious way: every child folded from its whole stream.
async fn folded(store: &dyn EventStore) -> Across {
    let events = store.read_all(0, usize::MAX).await.unwrap();
    let mut model = Across::default();
    let mut children: Vec<Uuid> = events.iter().map(|e| e.child_id).collect();
    children.sort();
    children.dedup();
    for child in children {
        let stream = store.read_stream(child, 0, usize::MAX).await.unwrap();
        model.refresh_child(child, &stream, framework());
    }
    model.set_position(events.last().map_or(0, |e| e.global_position));
    model
}

/// Two models are the same when they hold the same position and the same rows.
fn assert_same(a: &Across, b: &Across, what: &str) {
    assert_eq!(a.position(), b.position(), "{what}: position");
    let ids: Vec<Uuid> = a.child_ids().collect();
    assert_eq!(ids, b.child_ids().collect::<Vec<_>>(), "{what}: children");
    for id in ids {
        // Rows are deterministic (no hash map order in them), so equal facts are equal bytes.
        assert!(a.row(id) == b.row(id), "{what}: child {id} differs");
    }
}

/// A record appended straight to the store (the read model reads data tolerantly); its id.
async fn append(
    store: &dyn EventStore,
    child: Uuid,
    event_type: &str,
    data: serde_json::Value,
) -> Uuid {
    let event_id = Uuid::new_v4();
    store
        .append(AppendRequest {
            child_id: child,
            expected: Expected::Any,
            events: vec![NewEvent {
                event_id,
                event_type: event_type.into(),
                event_version: 1,
                occurred_at: Utc::now(),
                recorded_by: serde_json::json!({ "name": "A Worker", "role": "social_worker", "agency": "la:norfolk" }),
                agency: "la:norfolk".into(),
                token_id: None,
                data,
            }],
            idempotency: None,
            claims: vec![],
        })
        .await
        .unwrap();
    event_id
}

/// A conversation of an older shape than this build reads (left out of the typed record).
async fn conversation(store: &dyn EventStore, child: Uuid) -> Uuid {
    let data =
        serde_json::json!({ "with": "child", "child_voice": { "heard": true, "summary": "fine" } });
    append(store, child, "conversation_recorded", data).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_folds_every_child_once_as_a_fold_of_its_stream_would() {
    let (_dir, store) = council(120).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    let applied = projections.rebuild(&|_| {}).await.unwrap();
    let expected = folded(store.as_ref()).await;
    assert_eq!(applied, expected.position(), "every event applied once");
    assert_same(&projections.model(), &expected, "rebuilt");
    assert_eq!(
        projections.persisted(),
        expected.position(),
        "a rebuild saves its rows"
    );
    let reloaded = Projections::load(store.clone(), framework()).await.unwrap();
    assert_same(&reloaded.model(), &expected, "reloaded from the rows");
}

/// A rebuild saves its rows while it scans, before the position: one cut short (a crash) has
/// left rows newer than the saved position beside older ones, and a restart that catches up
/// from that position still ends at the model a fold of every stream gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_cut_short_after_saving_some_rows_still_catches_up_the_same() {
    let (_dir, store) = council(60).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    projections.rebuild(&|_| {}).await.unwrap();
    let saved_at = projections.persisted();
    let children: Vec<Uuid> = projections.model().child_ids().collect();
    conversation(store.as_ref(), children[0]).await;
    conversation(store.as_ref(), children[40]).await;

    // The second rebuild's scan saved the first half of the children's rows, then stopped.
    let expected = folded(store.as_ref()).await;
    let half: Vec<(Uuid, Vec<u8>)> = children[..30]
        .iter()
        .map(|id| (*id, expected.row(*id).unwrap()))
        .collect();
    assert!(
        store
            .save_read_model_rows(projection::follow::READ_MODEL, expected.position(), half)
            .await
            .unwrap()
    );

    let restarted = Projections::load(store.clone(), framework()).await.unwrap();
    assert_eq!(
        restarted.model().position(),
        saved_at,
        "the position stayed"
    );
    restarted.catch_up(&|_| {}).await.unwrap();
    assert_same(&restarted.model(), &expected, "restarted and caught up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_catch_up_of_an_empty_model_builds_and_saves_it() {
    let (_dir, store) = council(40).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    projections.catch_up(&|_| {}).await.unwrap();
    let expected = folded(store.as_ref()).await;
    assert_same(&projections.model(), &expected, "caught up from nothing");
    assert_eq!(projections.persisted(), expected.position());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_is_published_before_it_is_persisted_and_either_way_catches_up_the_same() {
    let (_dir, store) = council(40).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    projections.rebuild(&|_| {}).await.unwrap();
    let saved_at = projections.persisted();
    let children: Vec<Uuid> = projections.model().child_ids().collect();

    // Twice to the same child (the second extends the kept stream), once to another.
    conversation(store.as_ref(), children[0]).await;
    projections.catch_up(&|_| {}).await.unwrap();
    conversation(store.as_ref(), children[0]).await;
    conversation(store.as_ref(), children[1]).await;
    projections.catch_up(&|_| {}).await.unwrap();
    let expected = folded(store.as_ref()).await;
    assert_same(&projections.model(), &expected, "published");
    assert_eq!(
        projections.persisted(),
        saved_at,
        "a catch-up publishes at once and leaves saving to the background step"
    );

    // A crash now: the rows saved reflect the old position, and catching up from them gives
    // the same model.
    let restarted = Projections::load(store.clone(), framework()).await.unwrap();
    assert_eq!(restarted.model().position(), saved_at);
    restarted.catch_up(&|_| {}).await.unwrap();
    assert_same(&restarted.model(), &expected, "restarted and caught up");

    // Persisting writes the changed children with the new position.
    projections.persist().await.unwrap();
    assert_eq!(projections.persisted(), expected.position());
    let reloaded = Projections::load(store.clone(), framework()).await.unwrap();
    assert_same(&reloaded.model(), &expected, "reloaded after persisting");
}

/// Children kept as their facts alone (no events budget at all) are extended by new records
/// as children kept whole are: conversations extend the facts, a child with a disagreement or
/// a correction is read again from its stream; either way the model is the fold of every
/// child's stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_kept_as_their_facts_alone_catch_up_as_whole_ones_do() {
    let (_dir, store) = council(40).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    projections.rebuild(&|_| {}).await.unwrap();
    projections.set_kept_events(0);
    let children: Vec<Uuid> = projections.model().child_ids().collect();
    for round in 0..4 {
        let mut last = Vec::new();
        for &child in &children {
            let data = testing::conversation_recorded().json();
            last.push(append(store.as_ref(), child, "conversation_recorded", data).await);
        }
        if round == 2 {
            // A disagreement about one child's record, a retraction of another's: both read
            // their child's whole stream again.
            let raised = testing::disagreement_raised()
                .about(last[0])
                .raised_by(testing::person("la:norfolk"))
                .json();
            append(store.as_ref(), children[0], "disagreement_raised", raised).await;
            let retracted = testing::record_corrected()
                .corrects(last[1])
                .retract()
                .json();
            append(store.as_ref(), children[1], "record_corrected", retracted).await;
        }
        projections.catch_up(&|_| {}).await.unwrap();
        assert_same(
            &projections.model(),
            &folded(store.as_ref()).await,
            &format!("round {round}"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_another_format_are_rebuilt_not_trusted() {
    let (_dir, store) = council(10).await;
    let child = store.read_all(0, 1).await.unwrap()[0].child_id;
    store
        .save_read_model(
            projection::follow::READ_MODEL,
            1,
            vec![(child, vec![0xff, 1, 2])],
            vec![],
        )
        .await
        .unwrap();
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    assert_eq!(
        projections.model().children(),
        0,
        "the unreadable rows are dropped"
    );
    projections.catch_up(&|_| {}).await.unwrap();
    assert_same(
        &projections.model(),
        &folded(store.as_ref()).await,
        "rebuilt",
    );
}

/// A store that appends while a rebuild's scan is under way: once to a child the scan has
/// yet to read or has read, and once as a new child.
struct AppendsDuringScan {
    inner: Arc<dyn EventStore>,
    appended: tokio::sync::Mutex<bool>,
    existing: Uuid,
    new: Uuid,
}

#[async_trait::async_trait]
impl EventStore for AppendsDuringScan {
    async fn read_children(
        &self,
        after: Option<Uuid>,
        limit: usize,
        up_to: store::GlobalPosition,
    ) -> Result<Option<Vec<store::StoredEvent>>, store::StoreError> {
        let mut appended = self.appended.lock().await;
        if !*appended {
            *appended = true;
            conversation(self.inner.as_ref(), self.existing).await;
            conversation(self.inner.as_ref(), self.new).await;
        }
        drop(appended);
        self.inner.read_children(after, limit, up_to).await
    }
    async fn head_position(&self) -> Result<store::GlobalPosition, store::StoreError> {
        self.inner.head_position().await
    }
    async fn load_read_model(&self, name: &str) -> Result<store::ReadModelRows, store::StoreError> {
        self.inner.load_read_model(name).await
    }
    async fn save_read_model(
        &self,
        name: &str,
        position: store::GlobalPosition,
        changed: Vec<(Uuid, Vec<u8>)>,
        removed: Vec<Uuid>,
    ) -> Result<(), store::StoreError> {
        self.inner
            .save_read_model(name, position, changed, removed)
            .await
    }
    async fn append(&self, r: AppendRequest) -> Result<store::Appended, store::StoreError> {
        self.inner.append(r).await
    }
    async fn idempotent_answer(
        &self,
        k: &store::IdempotencyKey,
    ) -> Result<Option<store::Appended>, store::StoreError> {
        self.inner.idempotent_answer(k).await
    }
    async fn read_stream(
        &self,
        c: Uuid,
        after: u64,
        limit: usize,
    ) -> Result<Vec<store::StoredEvent>, store::StoreError> {
        self.inner.read_stream(c, after, limit).await
    }
    async fn stream_sequence(&self, c: Uuid) -> Result<u64, store::StoreError> {
        self.inner.stream_sequence(c).await
    }
    async fn read_all(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<store::StoredEvent>, store::StoreError> {
        self.inner.read_all(after, limit).await
    }
    async fn find_by_identifier(
        &self,
        kind: &str,
        value: &str,
    ) -> Result<Option<Uuid>, store::StoreError> {
        self.inner.find_by_identifier(kind, value).await
    }
    async fn verify(&self, c: Option<Uuid>) -> Result<store::Verification, store::StoreError> {
        self.inner.verify(c).await
    }
    async fn import(&self, e: Vec<store::StoredEvent>) -> Result<u64, store::StoreError> {
        self.inner.import(e).await
    }
    async fn log_read(&self, e: store::ReadLogEntry) -> Result<(), store::StoreError> {
        self.inner.log_read(e).await
    }
    async fn reads(&self, c: Uuid) -> Result<Vec<store::ReadLogEntry>, store::StoreError> {
        self.inner.reads(c).await
    }
    async fn create_token(&self, t: store::TokenRecord) -> Result<(), store::StoreError> {
        self.inner.create_token(t).await
    }
    async fn tokens_by_secret_hashes(
        &self,
        h: &[String],
    ) -> Result<Vec<store::TokenRecord>, store::StoreError> {
        self.inner.tokens_by_secret_hashes(h).await
    }
    async fn tokens(&self) -> Result<Vec<store::TokenRecord>, store::StoreError> {
        self.inner.tokens().await
    }
    async fn revoke_token(
        &self,
        id: Uuid,
        at: chrono::DateTime<Utc>,
    ) -> Result<bool, store::StoreError> {
        self.inner.revoke_token(id, at).await
    }
    async fn checkpoint(&self, n: &str) -> Result<u64, store::StoreError> {
        self.inner.checkpoint(n).await
    }
    async fn save_checkpoint(&self, n: &str, at: u64) -> Result<(), store::StoreError> {
        self.inner.save_checkpoint(n, at).await
    }
    async fn load_snapshot(&self, n: &str) -> Result<Option<(u64, Vec<u8>)>, store::StoreError> {
        self.inner.load_snapshot(n).await
    }
    async fn save_snapshot(&self, n: &str, p: u64, d: Vec<u8>) -> Result<(), store::StoreError> {
        self.inner.save_snapshot(n, p, d).await
    }
    async fn secret(&self, n: &str, init: Vec<u8>) -> Result<Vec<u8>, store::StoreError> {
        self.inner.secret(n, init).await
    }
    async fn ping(&self) -> Result<(), store::StoreError> {
        self.inner.ping().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_appended_during_a_rebuilds_scan_is_caught_up_after_it() {
    let (_dir, inner) = council(30).await;
    let existing = inner.read_all(0, 1).await.unwrap()[0].child_id;
    let new = Uuid::new_v4();
    let store: Arc<dyn EventStore> = Arc::new(AppendsDuringScan {
        inner: inner.clone(),
        appended: tokio::sync::Mutex::new(false),
        existing,
        new,
    });
    let head = inner.head_position().await.unwrap();
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    let applied = projections.rebuild(&|_| {}).await.unwrap();
    let expected = folded(inner.as_ref()).await;
    assert_eq!(
        expected.position(),
        head + 2,
        "two events appended during the scan"
    );
    assert_eq!(applied, expected.position(), "each event applied once");
    assert_same(&projections.model(), &expected, "rebuilt and caught up");
    assert!(projections.model().child_ids().any(|c| c == new));
    let reloaded = Projections::load(inner.clone(), framework()).await.unwrap();
    assert_same(&reloaded.model(), &expected, "saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_publishes_and_then_persists_in_the_background() {
    let (_dir, store) = council(20).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    let follower = tokio::spawn(
        projections
            .clone()
            .follow(std::time::Duration::from_secs(60)),
    );
    let child = store.read_all(0, 1).await.unwrap()[0].child_id;
    conversation(store.as_ref(), child).await;
    projections.notify();
    let head = store.head_position().await.unwrap();
    // Waits for the outcome (no time is asserted): published, then saved.
    for _ in 0..600 {
        if projections.persisted() == head {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    follower.abort();
    assert_eq!(projections.model().position(), head, "published");
    assert_eq!(
        projections.persisted(),
        head,
        "persisted by the background step"
    );
    let reloaded = Projections::load(store.clone(), framework()).await.unwrap();
    assert_same(
        &reloaded.model(),
        &folded(store.as_ref()).await,
        "saved rows",
    );
}

/// A valid conversation record appended straight to the store; returns it as stored, with the
/// domain's event it reads back as (what an append of this process would hand over).
async fn handed(store: &dyn EventStore, child: Uuid) -> (store::StoredEvent, ChildEvent) {
    let recorded_by = serde_json::json!({
        "name": "A Worker", "role": "social_worker", "agency": "la:norfolk",
    });
    let appended = store
        .append(AppendRequest {
            child_id: child,
            expected: Expected::Any,
            events: vec![NewEvent {
                event_id: Uuid::now_v7(),
                event_type: "conversation_recorded".into(),
                event_version: 1,
                occurred_at: chrono::DurationRound::duration_trunc(
                    Utc::now(),
                    chrono::Duration::microseconds(1),
                )
                .unwrap(),
                recorded_by: recorded_by.clone(),
                agency: "la:norfolk".into(),
                token_id: None,
                data: domain::examples::example(RecordType::ConversationRecorded),
            }],
            idempotency: None,
            claims: vec![],
        })
        .await
        .unwrap();
    let stored = appended.events[0].clone();
    let event = ChildEvent::from_stored(
        stored.event_id,
        &stored.event_type,
        stored.event_version,
        stored.occurred_at,
        stored.recorded_by.clone(),
        stored.data.clone(),
    )
    .unwrap();
    (stored, event)
}

/// Events handed over by appends are applied only in an unbroken run from the model's
/// position; one missing from the run (appended by another process) is read from the store,
/// and the model is the same as if every event had been read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handed_over_events_fill_the_model_as_reading_them_back_would() {
    let (_dir, store) = council(30).await;
    let projections = Projections::load(store.clone(), framework()).await.unwrap();
    projections.rebuild(&|_| {}).await.unwrap();
    let children: Vec<Uuid> = projections.model().child_ids().collect();

    // All handed over, two of them to one child.
    let mut all = Vec::new();
    for child in [children[0], children[0], children[1]] {
        all.push(handed(store.as_ref(), child).await);
    }
    for (stored, event) in &all {
        projections.offer(std::slice::from_ref(stored), std::slice::from_ref(event));
    }
    projections.catch_up(&|_| {}).await.unwrap();
    assert_same(
        &projections.model(),
        &folded(store.as_ref()).await,
        "all handed over",
    );

    // The first of three is not handed over (another process appended it).
    let others: Vec<_> = [children[2], children[0], children[2]]
        .into_iter()
        .map(|c| handed(store.as_ref(), c))
        .collect();
    let mut later = Vec::new();
    for h in others {
        later.push(h.await);
    }
    for (stored, event) in &later[1..] {
        projections.offer(std::slice::from_ref(stored), std::slice::from_ref(event));
    }
    projections.catch_up(&|_| {}).await.unwrap();
    assert_same(
        &projections.model(),
        &folded(store.as_ref()).await,
        "one missing from the run",
    );

    // Handed over again after being applied: nothing changes.
    let (stored, event) = &later[2];
    projections.offer(std::slice::from_ref(stored), std::slice::from_ref(event));
    projections.catch_up(&|_| {}).await.unwrap();
    assert_same(
        &projections.model(),
        &folded(store.as_ref()).await,
        "handed over twice",
    );
}
