//! Two `Casework`s over one store, each with its own cache of folded children, as two server
//! processes on one database are: a record that refers to another process's record is decided
//! against the child as stored, not refused from a kept fold that is behind.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use casework::{Actor, Append, Casework, CaseworkError};
use chrono::{Duration, Utc};
use domain::access::Role;
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

fn record(data: impl Build) -> Append {
    let input = testing::posted(data)
        .at(Utc::now() - Duration::minutes(10))
        .by(person())
        .input();
    Append {
        records: vec![input],
        ..Append::default()
    }
}

fn conversation() -> Append {
    record(testing::conversation_recorded())
}

fn disagreement_about(about: Uuid) -> Append {
    record(
        testing::disagreement_raised()
            .about(about)
            .raised_by(person())
            .position("not met")
            .desired_outcome("review"),
    )
}

async fn two_processes() -> (tempfile::TempDir, Casework, Casework, Uuid) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        store::open(&format!("sqlite://{}", dir.path().join("c.db").display()))
            .await
            .unwrap();
    let framework = Framework::by_name("norfolk").unwrap();
    let a = Casework::new(store.clone(), framework, 10_000);
    let b = Casework::new(store, framework, 10_000);
    let details = ChildDetails::parse(
        json!({ "given_name": "Sam", "family_name": "Example", "date_of_birth": "2014-03-02",
                "gender": "male", "locality": "Norwich" }),
        "child",
    )
    .unwrap();
    let registered = a
        .register(
            &actor(),
            Utc::now() - Duration::days(30),
            person(),
            details,
            None,
        )
        .await
        .unwrap();
    (dir, a, b, registered.child_id)
}

fn actor() -> Actor {
    Actor {
        role: Role::Recorder,
        agency: SCHOOL.into(),
        token_id: None,
    }
}

#[tokio::test]
async fn a_record_about_another_processs_record_is_decided_against_the_stored_child() {
    let (_dir, a, b, child) = two_processes().await;
    // b folds and keeps the child; then a appends, so b's kept fold is one behind.
    b.append(&actor(), child, conversation()).await.unwrap();
    let about = a
        .append(&actor(), child, conversation())
        .await
        .unwrap()
        .events[0]
        .event_id;
    let raised = b
        .append(&actor(), child, disagreement_about(about))
        .await
        .expect("decided against the child as stored, not b's kept fold");
    assert_eq!(raised.events[0].sequence, 4);
}

#[tokio::test]
async fn a_record_that_breaks_a_rule_is_still_refused_after_a_fresh_look() {
    let (_dir, a, b, child) = two_processes().await;
    b.append(&actor(), child, conversation()).await.unwrap();
    a.append(&actor(), child, conversation()).await.unwrap();
    let refused = b
        .append(&actor(), child, disagreement_about(Uuid::new_v4()))
        .await
        .unwrap_err();
    assert!(matches!(refused, CaseworkError::Invalid(_)), "{refused:?}");
    // Nothing was appended, and b's fold is now up to date.
    let read = b.read(child).await.unwrap();
    assert_eq!(read.sequence(), 3);
}
