//! The one conformance suite every backend passes: SQLite always, PostgreSQL when
//! `CASELINE_TEST_POSTGRES_URL` is set (each test in a fresh database), KurrentDB when
//! `CASELINE_TEST_KURRENTDB_URL` is set. A backend that is skipped says so on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use store::{EventStore, Expected, IdentifierClaim, ReadLogEntry, StoreErrorKind, TokenRecord};
use support::{append, event, key};
use uuid::Uuid;

mod cases {
    use super::*;

    pub(crate) async fn append_and_read_back(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        let first = s
            .append(append(child, Expected::NoStream, vec![event(1)]))
            .await
            .unwrap();
        assert_eq!(first.events[0].sequence, 1);
        assert!(!first.replayed);
        let second = s
            .append(append(
                child,
                Expected::Exactly(1),
                vec![event(2), event(3)],
            ))
            .await
            .unwrap();
        assert_eq!(
            second.events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            vec![2, 3]
        );
        let stream = s.read_stream(child, 0, 100).await.unwrap();
        assert_eq!(stream.len(), 3);
        assert_eq!(
            stream[1], second.events[0],
            "what is read back is what the append answered"
        );
        assert_eq!(s.stream_sequence(child).await.unwrap(), 3);
        assert_eq!(s.stream_sequence(Uuid::new_v4()).await.unwrap(), 0);
        assert_eq!(
            s.read_stream(child, 1, 1).await.unwrap()[0].sequence,
            2,
            "paged after a sequence"
        );
    }

    pub(crate) async fn a_stale_expected_sequence_writes_nothing(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        s.append(append(child, Expected::NoStream, vec![event(1)]))
            .await
            .unwrap();
        let err = s
            .append(append(child, Expected::Exactly(0), vec![event(2)]))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            &StoreErrorKind::Conflict {
                expected: "0".into(),
                actual: 1
            }
        );
        let err = s
            .append(append(child, Expected::NoStream, vec![event(2)]))
            .await
            .unwrap_err();
        assert!(matches!(err.kind(), StoreErrorKind::Conflict { .. }));
        assert_eq!(s.stream_sequence(child).await.unwrap(), 1);
    }

    pub(crate) async fn a_batch_is_all_or_nothing(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        let taken = event(1);
        s.append(append(child, Expected::Any, vec![taken.clone()]))
            .await
            .unwrap();
        // The third event reuses an id already recorded: the whole batch must fail.
        let batch = vec![event(2), event(3), taken];
        let err = s
            .append(append(child, Expected::Any, batch))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), StoreErrorKind::DuplicateEventId(_)),
            "{err}"
        );
        assert_eq!(s.stream_sequence(child).await.unwrap(), 1, "no half batch");
        assert_eq!(s.read_all(0, 100).await.unwrap().len(), 1);
    }

    pub(crate) async fn an_idempotent_retry_returns_the_first_answer(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        let mut req = append(child, Expected::Any, vec![event(1)]);
        req.idempotency = key("school:a", "k-1", "hash-1");
        let first = s.append(req.clone()).await.unwrap();
        // A retry carries new event ids (the client's body is the same; ids are minted per try).
        let mut retry = req.clone();
        retry.events = vec![event(1)];
        let again = s.append(retry).await.unwrap();
        assert!(again.replayed);
        assert_eq!(again.events, first.events);
        assert_eq!(
            s.stream_sequence(child).await.unwrap(),
            1,
            "nothing new recorded"
        );

        let mut changed = req.clone();
        changed.idempotency = key("school:a", "k-1", "hash-2");
        let err = s.append(changed).await.unwrap_err();
        assert_eq!(err.kind(), &StoreErrorKind::IdempotencyKeyReused);

        // The same answers without appending, for callers that decide before they append.
        let looked = s
            .idempotent_answer(key("school:a", "k-1", "hash-1").as_ref().unwrap())
            .await
            .unwrap()
            .expect("the key was used");
        assert!(looked.replayed);
        assert_eq!(looked.events, first.events);
        let err = s
            .idempotent_answer(key("school:a", "k-1", "hash-2").as_ref().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &StoreErrorKind::IdempotencyKeyReused);
        assert!(
            s.idempotent_answer(key("school:a", "k-unused", "hash-1").as_ref().unwrap())
                .await
                .unwrap()
                .is_none()
        );

        // Keys are scoped to the agency: another agency's same key is a new request.
        let mut other = append(child, Expected::Any, vec![event(2)]);
        other.idempotency = key("police:norfolk", "k-1", "hash-2");
        assert!(!s.append(other).await.unwrap().replayed);
        assert_eq!(s.stream_sequence(child).await.unwrap(), 2);
    }

    pub(crate) async fn an_identifier_belongs_to_one_child(s: Arc<dyn EventStore>) {
        let nhs = IdentifierClaim {
            kind: "nhs_number".into(),
            value: "9434765919".into(),
        };
        let a = Uuid::new_v4();
        let mut req = append(a, Expected::NoStream, vec![event(1)]);
        req.claims = vec![nhs.clone()];
        s.append(req).await.unwrap();
        let b = Uuid::new_v4();
        let mut req = append(b, Expected::NoStream, vec![event(1)]);
        req.claims = vec![nhs.clone()];
        let err = s.append(req).await.unwrap_err();
        assert_eq!(
            err.kind(),
            &StoreErrorKind::IdentifierTaken {
                kind: "nhs_number".into(),
                existing_child_id: a
            }
        );
        assert_eq!(
            s.stream_sequence(b).await.unwrap(),
            0,
            "nothing written for the second child"
        );
        assert_eq!(
            s.find_by_identifier("nhs_number", "9434765919")
                .await
                .unwrap(),
            Some(a)
        );
        assert_eq!(
            s.find_by_identifier("upn", "9434765919").await.unwrap(),
            None
        );
        // The same child may claim its own identifier again (e.g. details re-sent).
        let mut again = append(a, Expected::Any, vec![event(2)]);
        again.claims = vec![nhs];
        s.append(again).await.unwrap();
    }

    pub(crate) async fn recorded_at_is_the_stores_and_never_goes_back(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        let before = Utc::now() - chrono::Duration::seconds(5);
        let mut last = None;
        for n in 0..5 {
            let a = s
                .append(append(child, Expected::Any, vec![event(n)]))
                .await
                .unwrap();
            let at = a.events[0].recorded_at;
            assert!(at >= before, "recorded_at comes from the store's clock");
            if let Some(prev) = last {
                assert!(
                    at >= prev,
                    "recorded_at never goes backwards within a stream"
                );
            }
            last = Some(at);
        }
    }

    pub(crate) async fn readers_never_skip_a_position(s: Arc<dyn EventStore>) {
        let writers = 16;
        let per_writer = 20;
        let mut handles = Vec::new();
        for _ in 0..writers {
            let s = Arc::clone(&s);
            handles.push(tokio::spawn(async move {
                let child = Uuid::new_v4();
                for n in 0..per_writer {
                    s.append(append(child, Expected::Any, vec![event(n)]))
                        .await
                        .unwrap();
                }
            }));
        }
        // Page through everything while the writers run; positions seen must only grow, and in
        // the end every event must have been seen exactly once.
        let total = writers * per_writer;
        let mut seen: Vec<u64> = Vec::new();
        let mut after = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while (seen.len() as u64) < total && std::time::Instant::now() < deadline {
            let page = s.read_all(after, 7).await.unwrap();
            for e in &page {
                assert!(e.global_position > after, "positions grow");
                after = e.global_position;
                seen.push(e.global_position);
            }
            if page.is_empty() {
                tokio::task::yield_now().await;
            }
        }
        for h in handles {
            h.await.unwrap();
        }
        let rest = s.read_all(after, 10_000).await.unwrap();
        seen.extend(rest.iter().map(|e| e.global_position));
        let all: Vec<u64> = s
            .read_all(0, 10_000)
            .await
            .unwrap()
            .iter()
            .map(|e| e.global_position)
            .collect();
        assert_eq!(all.len() as u64, total);
        assert_eq!(
            seen, all,
            "the paging reader saw every event once, in order"
        );
    }

    pub(crate) async fn verify_walks_every_chain(s: Arc<dyn EventStore>) {
        for _ in 0..3 {
            let child = Uuid::new_v4();
            s.append(append(child, Expected::Any, vec![event(1), event(2)]))
                .await
                .unwrap();
            s.append(append(child, Expected::Any, vec![event(3)]))
                .await
                .unwrap();
        }
        let v = s.verify(None).await.unwrap();
        assert_eq!((v.children, v.events), (3, 9));
        assert!(v.broken.is_empty(), "{:?}", v.broken);
    }

    pub(crate) async fn import_keeps_everything_and_needs_an_empty_store(s: Arc<dyn EventStore>) {
        let source = support::sqlite().await;
        let child = Uuid::new_v4();
        source
            .store
            .append(append(child, Expected::Any, vec![event(1), event(2)]))
            .await
            .unwrap();
        source
            .store
            .append(append(Uuid::new_v4(), Expected::Any, vec![event(3)]))
            .await
            .unwrap();
        let exported = source.store.read_all(0, 1000).await.unwrap();
        assert_eq!(s.import(exported.clone()).await.unwrap(), 3);
        assert_eq!(s.read_all(0, 1000).await.unwrap(), exported);
        assert!(s.verify(None).await.unwrap().broken.is_empty());
        let err = s.import(exported).await.unwrap_err();
        assert_eq!(err.kind(), &StoreErrorKind::NotEmpty);
        // Appends continue the imported chain.
        let next = s
            .append(append(child, Expected::Exactly(2), vec![event(4)]))
            .await
            .unwrap();
        assert_eq!(next.events[0].sequence, 3);
        assert!(s.verify(Some(child)).await.unwrap().broken.is_empty());
    }

    pub(crate) async fn the_read_log_keeps_every_read(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        for what in ["case", "journey?as_of=2026-01-01T00:00:00Z"] {
            s.log_read(ReadLogEntry {
                child_id: child,
                at: store::chain::truncate_to_micros(Utc::now()),
                token_id: Some(Uuid::new_v4()),
                agency: "police:norfolk".into(),
                role: "auditor".into(),
                what: what.into(),
                person: Some("Ann Auditor".into()),
                session_id: Some(Uuid::nil()),
            })
            .await
            .unwrap();
        }
        let reads = s.reads(child).await.unwrap();
        assert_eq!(
            reads.iter().map(|r| r.what.as_str()).collect::<Vec<_>>(),
            vec!["case", "journey?as_of=2026-01-01T00:00:00Z"]
        );
        assert_eq!(reads[0].person.as_deref(), Some("Ann Auditor"));
        assert_eq!(reads[0].session_id, Some(Uuid::nil()));
        assert!(s.reads(Uuid::new_v4()).await.unwrap().is_empty());
    }

    pub(crate) async fn sessions_and_single_use_grants(s: Arc<dyn EventStore>) {
        let now = store::chain::truncate_to_micros(Utc::now());
        let session = store::SessionRecord {
            id: Uuid::new_v4(),
            secret_hash: format!("{:064x}", Uuid::new_v4().as_u128()),
            csrf_token: "csrf".into(),
            role: "auditor".into(),
            agency: "council:norfolk".into(),
            name: "Ann Auditor".into(),
            via: "link".into(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + chrono::Duration::hours(12),
        };
        match s.create_session(session.clone()).await {
            Err(e) if matches!(e.kind(), StoreErrorKind::Config) => {
                eprintln!("skipped: this backend keeps no browser sessions");
                return;
            }
            other => other.unwrap(),
        }
        let found = s
            .session_by_secret_hash(&session.secret_hash)
            .await
            .unwrap();
        assert_eq!(found.as_ref(), Some(&session));
        let later = now + chrono::Duration::minutes(5);
        s.touch_session(session.id, later).await.unwrap();
        // Never back in time: an older touch arriving late does not undo a newer one.
        s.touch_session(session.id, now).await.unwrap();
        let found = s
            .session_by_secret_hash(&session.secret_hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.last_seen_at, later);
        assert!(s.delete_session(session.id).await.unwrap());
        assert!(!s.delete_session(session.id).await.unwrap());
        assert!(
            s.session_by_secret_hash(&session.secret_hash)
                .await
                .unwrap()
                .is_none()
        );

        let grant = store::SigninGrant {
            secret_hash: format!("{:064x}", Uuid::new_v4().as_u128()),
            purpose: "link".into(),
            payload: "{}".into(),
            expires_at: now + chrono::Duration::minutes(10),
        };
        s.create_grant(grant.clone()).await.unwrap();
        let (a, b) = tokio::join!(
            s.take_grant(&grant.secret_hash),
            s.take_grant(&grant.secret_hash)
        );
        let taken: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(taken, vec![grant], "a grant is taken once");
    }

    pub(crate) async fn tokens_are_kept_as_hashes_and_revoked_at_once(s: Arc<dyn EventStore>) {
        let t = TokenRecord {
            id: Uuid::new_v4(),
            agency: "school:norwich-high".into(),
            role: "recorder".into(),
            name: "MIS".into(),
            secret_hash: "ab".repeat(32),
            created_at: store::chain::truncate_to_micros(Utc::now()),
            revoked_at: None,
        };
        s.create_token(t.clone()).await.unwrap();
        assert_eq!(
            s.token_by_secret_hash(&t.secret_hash).await.unwrap(),
            Some(t.clone())
        );
        assert_eq!(s.token_by_secret_hash("nope").await.unwrap(), None);
        // Many at once (the checks of requests that arrived together): the known ones only.
        assert_eq!(
            s.tokens_by_secret_hashes(&["nope".to_owned(), t.secret_hash.clone()])
                .await
                .unwrap(),
            vec![t.clone()]
        );
        assert_eq!(s.tokens().await.unwrap(), vec![t.clone()]);
        // Read on the calling thread, where the store offers it: the same answers.
        let here = |hash: &str| s.token_here(hash).map(Result::unwrap);
        if let Some(found) = here(&t.secret_hash) {
            assert_eq!(found, Some(t.clone()));
            assert_eq!(here("nope"), Some(None));
        }
        assert!(s.revoke_token(t.id, Utc::now()).await.unwrap());
        assert!(
            s.token_by_secret_hash(&t.secret_hash)
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        // ... and a revocation seen at once there too.
        if let Some(found) = here(&t.secret_hash) {
            assert!(found.unwrap().revoked_at.is_some());
        }
        assert!(!s.revoke_token(Uuid::new_v4(), Utc::now()).await.unwrap());
    }

    pub(crate) async fn checkpoints_and_secrets(s: Arc<dyn EventStore>) {
        assert_eq!(s.checkpoint("case").await.unwrap(), 0);
        s.save_checkpoint("case", 42).await.unwrap();
        s.save_checkpoint("case", 43).await.unwrap();
        assert_eq!(s.checkpoint("case").await.unwrap(), 43);
        let first = s.secret("pseudonym_key", vec![1, 2, 3]).await.unwrap();
        let second = s.secret("pseudonym_key", vec![9, 9, 9]).await.unwrap();
        assert_eq!(
            (first, second),
            (vec![1, 2, 3], vec![1, 2, 3]),
            "the first init wins"
        );
        // Forgetting a secret, or one that is not there, never fails; once forgotten, the
        // next init wins again. KurrentDB's streams are append-only and keep theirs (the
        // trait's default), which docs/OPERATIONS.md tells operators.
        s.forget_secret("pseudonym_key").await.unwrap();
        s.forget_secret("pseudonym_key").await.unwrap();
        s.forget_secret("never_made").await.unwrap();
        let after = s.secret("pseudonym_key", vec![4]).await.unwrap();
        assert!(
            after == vec![4] || after == vec![1, 2, 3],
            "a forgotten secret is made anew, or kept by a backend that cannot forget: {after:?}"
        );
        assert_eq!(s.load_snapshot("across").await.unwrap(), None);
        s.save_snapshot("across", 7, b"first".to_vec())
            .await
            .unwrap();
        s.save_snapshot("across", 9, b"second".to_vec())
            .await
            .unwrap();
        assert_eq!(
            s.load_snapshot("across").await.unwrap(),
            Some((9, b"second".to_vec())),
            "the last save wins, state and position together"
        );
        s.ping().await.unwrap();
    }

    pub(crate) async fn values_no_store_could_read_back_are_refused(s: Arc<dyn EventStore>) {
        use chrono::TimeZone;
        let child = Uuid::new_v4();
        let unstorable = |field: &str| StoreErrorKind::Unstorable {
            field: field.into(),
        };
        let mut bc = event(1);
        bc.occurred_at = Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap();
        let err = s
            .append(append(child, Expected::Any, vec![bc]))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &unstorable("occurred_at"), "{err}");
        let mut far = event(2);
        far.occurred_at = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
        let err = s
            .append(append(child, Expected::Any, vec![event(1), far]))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &unstorable("events[1].occurred_at"), "{err}");
        let mut nul = event(3);
        nul.data = serde_json::json!({ "notes": ["fine", "not\u{0}fine"] });
        let err = s
            .append(append(child, Expected::Any, vec![nul]))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), &unstorable("data.notes[1]"), "{err}");
        assert_eq!(
            s.stream_sequence(child).await.unwrap(),
            0,
            "nothing written"
        );

        // The same rules hold for an import, which names the event.
        let mut exported = s
            .append(append(child, Expected::Any, vec![event(4)]))
            .await
            .unwrap()
            .events;
        exported[0].occurred_at = Utc.with_ymd_and_hms(0, 6, 1, 0, 0, 0).unwrap();
        let err = s.import(exported.clone()).await.unwrap_err();
        assert!(
            matches!(err.kind(), StoreErrorKind::Unstorable { field } if field.contains("occurred_at")),
            "{err}"
        );
    }

    pub(crate) async fn a_snapshot_never_goes_back_to_an_older_position(s: Arc<dyn EventStore>) {
        s.save_snapshot("older", 20, b"at 20".to_vec())
            .await
            .unwrap();
        s.save_snapshot("older", 10, b"at 10".to_vec())
            .await
            .unwrap();
        assert_eq!(
            s.load_snapshot("older").await.unwrap(),
            Some((20, b"at 20".to_vec())),
            "saving position 10 after 20 keeps 20"
        );
        s.save_snapshot("older", 20, b"at 20 again".to_vec())
            .await
            .unwrap();
        assert_eq!(
            s.load_snapshot("older").await.unwrap(),
            Some((20, b"at 20 again".to_vec())),
            "an equal position replaces (a newer format of the same events)"
        );
        // Racing saves end at the highest position whatever order they land in.
        let saves: Vec<_> = (1..=16u64)
            .map(|p| {
                let s = s.clone();
                tokio::spawn(
                    async move { s.save_snapshot("race", p, p.to_be_bytes().to_vec()).await },
                )
            })
            .collect();
        for save in saves {
            save.await.unwrap().unwrap();
        }
        assert_eq!(
            s.load_snapshot("race").await.unwrap(),
            Some((16, 16u64.to_be_bytes().to_vec()))
        );
        s.ping().await.unwrap();
    }

    pub(crate) async fn a_read_model_saves_what_changed_and_never_goes_back(
        s: Arc<dyn EventStore>,
    ) {
        let [a, b, c] = [1u128, 2, 3].map(Uuid::from_u128);
        assert_eq!(s.load_read_model("m").await.unwrap(), (0, vec![]));
        s.save_read_model(
            "m",
            7,
            vec![(b, b"b1".to_vec()), (a, b"a1".to_vec())],
            vec![],
        )
        .await
        .unwrap();
        assert_eq!(
            s.load_read_model("m").await.unwrap(),
            (7, vec![(a, b"a1".to_vec()), (b, b"b1".to_vec())]),
            "rows come back in child id order with their position"
        );
        s.save_read_model("m", 9, vec![(a, b"a2".to_vec())], vec![b])
            .await
            .unwrap();
        assert_eq!(
            s.load_read_model("m").await.unwrap(),
            (9, vec![(a, b"a2".to_vec())]),
            "a save replaces the rows it names, removes those it removes, keeps the rest"
        );
        s.save_read_model("m", 8, vec![(c, b"c-old".to_vec())], vec![a])
            .await
            .unwrap();
        assert_eq!(
            s.load_read_model("m").await.unwrap(),
            (9, vec![(a, b"a2".to_vec())]),
            "a save at a lower position writes nothing, rows nor position"
        );
        s.save_read_model("m", 9, vec![(c, b"c1".to_vec())], vec![])
            .await
            .unwrap();
        s.save_read_model("other", 1, vec![(a, b"x".to_vec())], vec![])
            .await
            .unwrap();
        assert_eq!(
            s.load_read_model("m").await.unwrap(),
            (9, vec![(a, b"a2".to_vec()), (c, b"c1".to_vec())]),
            "an equal position applies; another model's rows are its own"
        );
        // Racing saves end at the highest position, with that save's rows.
        let saves: Vec<_> = (10..=25u64)
            .map(|p| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.save_read_model("m", p, vec![(b, p.to_be_bytes().to_vec())], vec![])
                        .await
                })
            })
            .collect();
        for save in saves {
            save.await.unwrap().unwrap();
        }
        let (position, rows) = s.load_read_model("m").await.unwrap();
        assert_eq!(position, 25);
        assert_eq!(rows[1], (b, 25u64.to_be_bytes().to_vec()));
    }

    /// A save of many large rows (over a megabyte: SQLite writes it in pieces) keeps every
    /// row and removes what it removes, with the position; racing large saves end at the
    /// highest position with that save's rows, never a mix.
    pub(crate) async fn a_large_read_model_save_is_whole(s: Arc<dyn EventStore>) {
        let ids: Vec<Uuid> = (1..=300u128).map(Uuid::from_u128).collect();
        let rows = |fill: u8| -> Vec<(Uuid, Vec<u8>)> {
            ids.iter().map(|id| (*id, vec![fill; 4096])).collect()
        };
        s.save_read_model("m", 3, rows(1), vec![]).await.unwrap();
        s.save_read_model("m", 4, rows(2), vec![ids[0]])
            .await
            .unwrap();
        let (position, saved) = s.load_read_model("m").await.unwrap();
        assert_eq!(position, 4);
        assert_eq!(
            saved,
            rows(2)[1..].to_vec(),
            "every row, the removed one gone"
        );
        let saves: Vec<_> = (10..=13u64)
            .map(|p| {
                let (s, rows) = (s.clone(), rows(p as u8));
                tokio::spawn(async move { s.save_read_model("m", p, rows, vec![]).await })
            })
            .collect();
        for save in saves {
            save.await.unwrap().unwrap();
        }
        let (position, saved) = s.load_read_model("m").await.unwrap();
        assert_eq!(position, 13);
        assert_eq!(saved, rows(13));
    }

    /// A rebuild's rows saved apart from the position: written without moving it, refused
    /// once a later model has been saved. A backend that keeps rows only with a position
    /// declines every such save and writes nothing.
    pub(crate) async fn a_rebuilds_rows_are_saved_without_moving_the_position(
        s: Arc<dyn EventStore>,
    ) {
        let [a, b] = [1u128, 2].map(Uuid::from_u128);
        s.save_read_model("m", 5, vec![(a, b"a1".to_vec())], vec![])
            .await
            .unwrap();
        let saved = s
            .save_read_model_rows("m", 8, vec![(b, b"b8".to_vec()), (a, b"a8".to_vec())])
            .await
            .unwrap();
        // The backends that keep a row per child (the SQL ones, which also scan by child)
        // save rows apart; one that keeps the rows in one snapshot (KurrentDB) does not.
        let row_per_child = s.read_children(None, 1, 0).await.unwrap().is_some();
        assert_eq!(saved, row_per_child);
        if !saved {
            assert_eq!(
                s.load_read_model("m").await.unwrap(),
                (5, vec![(a, b"a1".to_vec())]),
                "a declined save writes nothing"
            );
            return;
        }
        assert_eq!(
            s.load_read_model("m").await.unwrap(),
            (5, vec![(a, b"a8".to_vec()), (b, b"b8".to_vec())]),
            "the rows are written and the position stays"
        );
        s.save_read_model("m", 10, vec![(a, b"a10".to_vec())], vec![])
            .await
            .unwrap();
        assert!(
            !s.save_read_model_rows("m", 9, vec![(a, b"a9".to_vec())])
                .await
                .unwrap(),
            "rows of an earlier position than the saved one are declined"
        );
        assert!(
            s.save_read_model_rows("m", 10, vec![(b, b"b10".to_vec())])
                .await
                .unwrap(),
            "rows of the saved position are written"
        );
        assert_eq!(
            s.load_read_model("m").await.unwrap(),
            (10, vec![(a, b"a10".to_vec()), (b, b"b10".to_vec())])
        );
        assert!(
            s.save_read_model_rows("new", 3, vec![(a, b"x".to_vec())])
                .await
                .unwrap(),
            "a model never saved takes rows"
        );
        assert_eq!(
            s.load_read_model("new").await.unwrap(),
            (0, vec![(a, b"x".to_vec())])
        );
    }

    pub(crate) async fn a_scan_by_child_returns_whole_children_up_to_a_position(
        s: Arc<dyn EventStore>,
    ) {
        let mut ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        for (i, id) in ids.iter().enumerate() {
            s.append(append(*id, Expected::NoStream, vec![event(i as u64)]))
                .await
                .unwrap();
        }
        for id in &ids {
            s.append(append(*id, Expected::Exactly(1), vec![event(9), event(10)]))
                .await
                .unwrap();
        }
        let head = s.head_position().await.unwrap();
        assert_eq!(
            head,
            s.read_all(0, 100)
                .await
                .unwrap()
                .last()
                .unwrap()
                .global_position
        );
        // Appended after the head was taken: not in the scan.
        s.append(append(ids[0], Expected::Exactly(3), vec![event(11)]))
            .await
            .unwrap();
        let Some(first) = s.read_children(None, 2, head).await.unwrap() else {
            eprintln!("this backend does not scan by child; the caller reads by position");
            return;
        };
        ids.sort();
        let of = |page: &[store::StoredEvent]| {
            page.iter()
                .map(|e| (e.child_id, e.sequence))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            of(&first),
            vec![
                (ids[0], 1),
                (ids[0], 2),
                (ids[0], 3),
                (ids[1], 1),
                (ids[1], 2),
                (ids[1], 3)
            ],
            "two whole children in id order, each in sequence order, nothing above the head"
        );
        let second = s
            .read_children(Some(ids[1]), 2, head)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(of(&second), vec![(ids[2], 1), (ids[2], 2), (ids[2], 3)]);
        assert!(
            s.read_children(Some(ids[2]), 2, head)
                .await
                .unwrap()
                .unwrap()
                .is_empty()
        );
        let all = s.read_children(None, 10, u64::MAX).await.unwrap().unwrap();
        assert_eq!(all.len(), 10);
        // The same scan with the JSON left as text: the same events, the same JSON.
        let text = s
            .read_children_text(None, 10, u64::MAX)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(text.len(), all.len());
        for (t, e) in text.iter().zip(&all) {
            assert_eq!(
                (t.global_position, t.child_id, t.sequence, t.event_id),
                (e.global_position, e.child_id, e.sequence, e.event_id)
            );
            assert_eq!(
                (t.occurred_at, t.recorded_at),
                (e.occurred_at, e.recorded_at)
            );
            assert_eq!((&t.agency, t.token_id), (&e.agency, e.token_id));
            let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
            assert_eq!(json(&t.data), e.data);
            assert_eq!(json(&t.recorded_by), e.recorded_by);
        }
    }

    pub(crate) async fn many_appends_share_commits_but_not_fates(s: Arc<dyn EventStore>) {
        let child = Uuid::new_v4();
        s.append(append(child, Expected::Any, vec![event(0)]))
            .await
            .unwrap();
        let requests = vec![
            append(Uuid::new_v4(), Expected::Any, vec![event(1)]),
            append(child, Expected::Exactly(0), vec![event(2)]), // stale: must fail alone
            append(Uuid::new_v4(), Expected::Any, vec![event(3)]),
        ];
        let results = s.append_many(requests).await;
        assert!(results[0].is_ok() && results[2].is_ok());
        assert!(results[1].is_err());
        let children: BTreeSet<Uuid> = s
            .read_all(0, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.child_id)
            .collect();
        assert_eq!(children.len(), 3);
    }

    /// One group holding every kind of decision, in queue order: each append is decided as
    /// if it had been made alone after the ones before it (a stream extended twice, a claim
    /// and a key taken by an earlier append of the same group, a reused event id that only
    /// the store's unique index knows), and each gets its own answer.
    pub(crate) async fn one_group_decides_each_append_as_if_alone(s: Arc<dyn EventStore>) {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let first = s
            .append(append(a, Expected::Any, vec![event(0)]))
            .await
            .unwrap();
        let nhs = IdentifierClaim {
            kind: "nhs_number".into(),
            value: "9434765919".into(),
        };
        let claiming = |child| {
            let mut r = append(child, Expected::NoStream, vec![event(1)]);
            r.claims = vec![nhs.clone()];
            r
        };
        let keyed = |child, hash: &str| {
            let mut r = append(child, Expected::Any, vec![event(1)]);
            r.idempotency = key("school:a", "k-group", hash);
            r
        };
        let results = s
            .append_many(vec![
                append(a, Expected::Exactly(1), vec![event(1), event(2)]), // 0: a to 3
                append(a, Expected::Exactly(3), vec![event(3)]),           // 1: a to 4
                append(a, Expected::Exactly(3), vec![event(4)]),           // 2: stale
                claiming(b),                                               // 3: b claims
                claiming(c),                                               // 4: taken by b
                keyed(c, "h-1"),                                           // 5: c's first
                keyed(c, "h-1"),                                           // 6: replay of 5
                keyed(c, "h-2"),                                           // 7: key reused
                append(b, Expected::Exactly(1), vec![event(5)]),           // 8: b to 2
            ])
            .await;
        let kinds: Vec<String> = results
            .iter()
            .map(|r| match r {
                Ok(a) if a.replayed => "replayed".to_owned(),
                Ok(a) => format!("ok {}", a.events.last().unwrap().sequence),
                Err(e) => format!("{:?}", e.kind())
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap()
                    .to_owned(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "ok 3",
                "ok 4",
                "Conflict",
                "ok 1",
                "IdentifierTaken",
                "ok 1",
                "replayed",
                "IdempotencyKeyReused",
                "ok 2",
            ],
            "{results:?}"
        );
        if let (Ok(five), Ok(six)) = (&results[5], &results[6]) {
            assert_eq!(five.events, six.events);
        }
        assert_eq!(s.stream_sequence(a).await.unwrap(), 4);
        assert_eq!(s.stream_sequence(b).await.unwrap(), 2);
        assert_eq!(s.stream_sequence(c).await.unwrap(), 1);
        assert_eq!(
            s.find_by_identifier("nhs_number", "9434765919")
                .await
                .unwrap(),
            Some(b)
        );
        // A reused event id, which only the store's unique index knows, fails its own append
        // and no other.
        let mut reused = append(c, Expected::Any, vec![event(9)]);
        reused.events[0].event_id = first.events[0].event_id;
        let results = s
            .append_many(vec![
                append(a, Expected::Exactly(4), vec![event(6)]),
                reused,
                append(c, Expected::Exactly(1), vec![event(7)]),
            ])
            .await;
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(
            matches!(
                results[1].as_ref().map_err(store::StoreError::kind),
                Err(StoreErrorKind::DuplicateEventId(_))
            ),
            "{results:?}"
        );
        assert_eq!(s.stream_sequence(a).await.unwrap(), 5);
        assert_eq!(s.stream_sequence(c).await.unwrap(), 2);
        // Positions are dense and the chains whole.
        let all = s.read_all(0, 100).await.unwrap();
        let positions: Vec<u64> = all.iter().map(|e| e.global_position).collect();
        assert_eq!(positions, (1..=all.len() as u64).collect::<Vec<_>>());
        let report = s.verify(None).await.unwrap();
        assert!(report.broken.is_empty(), "{report:?}");
    }
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let fresh = crate::support::sqlite().await;
                    crate::cases::$case(fresh.store.clone()).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(fresh) = crate::support::postgres().await else {
                        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
                        return;
                    };
                    crate::cases::$case(fresh.store.clone()).await;
                }
            )*
        }
        #[cfg(feature = "kurrentdb")]
        mod kurrentdb_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Ok(url) = std::env::var("CASELINE_TEST_KURRENTDB_URL") else {
                        eprintln!("skipped: CASELINE_TEST_KURRENTDB_URL is not set, so KurrentDB is not tested");
                        return;
                    };
                    let store = store::open(&url).await.expect("the KurrentDB test server answers");
                    crate::cases::$case(store).await;
                }
            )*
        }
    };
}

conformance!(
    append_and_read_back,
    a_stale_expected_sequence_writes_nothing,
    a_batch_is_all_or_nothing,
    an_idempotent_retry_returns_the_first_answer,
    an_identifier_belongs_to_one_child,
    recorded_at_is_the_stores_and_never_goes_back,
    readers_never_skip_a_position,
    verify_walks_every_chain,
    import_keeps_everything_and_needs_an_empty_store,
    the_read_log_keeps_every_read,
    tokens_are_kept_as_hashes_and_revoked_at_once,
    sessions_and_single_use_grants,
    checkpoints_and_secrets,
    many_appends_share_commits_but_not_fates,
    one_group_decides_each_append_as_if_alone,
    a_snapshot_never_goes_back_to_an_older_position,
    values_no_store_could_read_back_are_refused,
    a_read_model_saves_what_changed_and_never_goes_back,
    a_large_read_model_save_is_whole,
    a_rebuilds_rows_are_saved_without_moving_the_position,
    a_scan_by_child_returns_whole_children_up_to_a_position,
);

/// A KurrentDB URL reaches the KurrentDB backend even with no server to answer (the client
/// connects lazily): opening succeeds and the first request fails as "unavailable", never as a
/// configuration error and never by hanging. This runs everywhere; the suite above needs a
/// server.
#[cfg(feature = "kurrentdb")]
#[tokio::test]
async fn a_kurrentdb_url_opens_the_kurrentdb_backend() {
    // Port 9 (discard) on the loopback: nothing listens there.
    let store = store::open("kurrentdb://127.0.0.1:9?tls=false")
        .await
        .unwrap_or_else(|e| panic!("a kurrentdb:// URL should open the backend: {e}"));
    let answer = tokio::time::timeout(std::time::Duration::from_secs(60), store.ping())
        .await
        .expect("the ping gives up rather than hanging");
    let err = answer.expect_err("no KurrentDB server listens on port 9");
    assert!(
        matches!(err.kind(), store::StoreErrorKind::Unavailable),
        "{err}"
    );
}

/// Without the `kurrentdb` feature a KurrentDB URL is refused with a message that says how to
/// build a binary that has the backend, rather than "unknown scheme".
#[cfg(not(feature = "kurrentdb"))]
#[tokio::test]
async fn a_kurrentdb_url_says_how_to_build_with_kurrentdb() {
    let Err(err) = store::open("kurrentdb://127.0.0.1:2113?tls=false").await else {
        panic!("this build has no KurrentDB backend");
    };
    assert_eq!(err.kind(), &store::StoreErrorKind::Config);
    let text = err.to_string();
    assert!(
        text.contains("without KurrentDB support") && text.contains("--features kurrentdb"),
        "{text}"
    );
}

/// PostgreSQL's writer queue is bounded: with the writer held (another session holds the
/// writers' advisory lock) and the queue full, the next append is refused at once with
/// `Busy` and nothing of it is written; the queued ones complete once the lock is released.
/// (SQLite's is tested beside its writer, in `sqlite.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_full_writer_queue_is_busy() {
    let Some((admin, name, url)) = support::create_postgres_database().await else {
        eprintln!("skipped: CASELINE_TEST_POSTGRES_URL is not set, so PostgreSQL is not tested");
        return;
    };
    let pg = store::postgres::Postgres::connect_with_queue(&url, 1)
        .await
        .unwrap();
    let _cleanup = support::postgres_fresh_for(admin, name, url.clone(), Arc::new(pg.clone()));
    let (holder, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    holder
        .batch_execute("BEGIN; SELECT pg_advisory_xact_lock(x'434153454c494e45'::bigint)")
        .await
        .unwrap();

    let first = {
        let pg = pg.clone();
        tokio::spawn(async move {
            pg.append(append(Uuid::new_v4(), Expected::Any, vec![event(1)]))
                .await
        })
    };
    // Wait until the writer has taken the first append and is waiting for the lock.
    loop {
        let waiting: i64 = holder
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The second fills the queue (its first poll queues it) ...
    let mut second = Box::pin(pg.append(append(Uuid::new_v4(), Expected::Any, vec![event(2)])));
    assert!(futures::poll!(second.as_mut()).is_pending());
    // ... so the third is refused at once.
    let third = Uuid::new_v4();
    let err = pg
        .append(append(third, Expected::Any, vec![event(3)]))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        &StoreErrorKind::Busy {
            retry_after_secs: 1
        },
        "{err}"
    );
    holder.batch_execute("COMMIT").await.unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap();
    assert_eq!(pg.stream_sequence(third).await.unwrap(), 0);
    assert_eq!(pg.read_all(0, 10).await.unwrap().len(), 2);
}

/// Two stores opened on one database (two servers, or a server and `caseline generate`) take
/// turns appending to the same child: each sees the other's appends, whatever it remembers of
/// the streams it wrote to (SQLite's writer keeps the heads it wrote), so no sequence is given
/// twice, a stale expectation is a conflict, and every chain stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_database_take_turns_on_a_child() {
    let sqlite = support::sqlite().await;
    let postgres = support::postgres().await;
    let mut pairs = vec![(
        sqlite.store.clone(),
        store::open(&sqlite.url).await.unwrap(),
    )];
    if let Some(p) = &postgres {
        pairs.push((p.store.clone(), store::open(&p.url).await.unwrap()));
    }
    for (one, other) in pairs {
        let child = Uuid::new_v4();
        one.append(append(child, Expected::NoStream, vec![event(1)]))
            .await
            .unwrap();
        for n in 1..=6u64 {
            let (writer, stale) = if n % 2 == 1 {
                (&other, &one)
            } else {
                (&one, &other)
            };
            let written = writer
                .append(append(child, Expected::Exactly(n), vec![event(n + 1)]))
                .await
                .unwrap();
            assert_eq!(written.events[0].sequence, n + 1);
            // The other store last wrote this child at n or before: told the truth, not what
            // it wrote.
            let err = stale
                .append(append(child, Expected::Exactly(n), vec![event(100 + n)]))
                .await
                .unwrap_err();
            assert_eq!(
                err.kind(),
                &StoreErrorKind::Conflict {
                    expected: n.to_string(),
                    actual: n + 1
                }
            );
        }
        // Appended with no expectation on either side, the sequence still follows.
        let a = one
            .append(append(child, Expected::Any, vec![event(8)]))
            .await
            .unwrap();
        let b = other
            .append(append(child, Expected::Any, vec![event(9)]))
            .await
            .unwrap();
        assert_eq!((a.events[0].sequence, b.events[0].sequence), (8, 9));
        assert_eq!(b.events[0].prev_hash, a.events[0].hash);
        let stream = one.read_stream(child, 0, 100).await.unwrap();
        assert_eq!(stream.len(), 9);
        assert!(one.verify(Some(child)).await.unwrap().broken.is_empty());
    }
}

/// SQLite reads a token on the asking thread (`EventStore::token_here`), so the suite's check
/// that those reads answer as the batched ones do is not passed by a store that declines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reads_a_token_on_the_asking_thread() {
    let fresh = support::sqlite().await;
    assert!(matches!(fresh.store.token_here("nope"), Some(Ok(None))));
}

/// SQLite and PostgreSQL really forget a secret (the pseudonym key moved out of the store must
/// not stay in it); the suite above also admits a backend that keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_forget_secrets() {
    let sqlite = support::sqlite().await;
    let postgres = support::postgres().await;
    let mut stores = vec![sqlite.store.clone()];
    stores.extend(postgres.as_ref().map(|p| p.store.clone()));
    for s in stores {
        assert_eq!(s.secret("k", vec![1]).await.unwrap(), vec![1]);
        s.forget_secret("k").await.unwrap();
        assert_eq!(s.secret("k", vec![2]).await.unwrap(), vec![2]);
    }
}

/// History keeps the `recorded_at` it is given (the generator's year, another system's
/// records), chained and verifiable like any append, and is refused in the future or going
/// backwards within a stream, writing nothing. (KurrentDB takes history through the same
/// checks, `append::history_times`; it is not run here without a server.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_keep_the_recorded_at_of_history() {
    let sqlite = support::sqlite().await;
    let postgres = support::postgres().await;
    let mut stores = vec![sqlite.store.clone()];
    stores.extend(postgres.as_ref().map(|p| p.store.clone()));
    let day = chrono::Duration::days(1);
    for s in stores {
        let child = Uuid::new_v4();
        let now = Utc::now();
        let (mut a, mut b) = (event(1), event(2));
        a.occurred_at = now - day * 30;
        b.occurred_at = now - day * 20;
        let times = vec![now - day * 29, now - day * 10];
        let written = s
            .append_history(vec![store::HistoricAppend {
                request: append(child, Expected::NoStream, vec![a, b]),
                recorded_at: times.clone(),
            }])
            .await
            .pop()
            .unwrap()
            .unwrap();
        let read = s.read_stream(child, 0, 10).await.unwrap();
        assert_eq!(read, written.events);
        for (e, t) in read.iter().zip(&times) {
            assert_eq!(e.recorded_at, store::chain::truncate_to_micros(*t));
        }
        assert!(s.verify(Some(child)).await.unwrap().broken.is_empty());

        // Before the stream's last recorded_at, or in the future: refused, nothing written.
        for bad in [now - day * 11, now + day] {
            let err = s
                .append_history(vec![store::HistoricAppend {
                    request: append(child, Expected::Exactly(2), vec![event(3)]),
                    recorded_at: vec![bad],
                }])
                .await
                .pop()
                .unwrap()
                .unwrap_err();
            assert!(
                matches!(err.kind(), StoreErrorKind::Unstorable { field } if field == "events[0].recorded_at"),
                "{err}"
            );
            assert_eq!(s.stream_sequence(child).await.unwrap(), 2);
        }
    }
}
