//! The token checks of requests that arrive together, answered by one read of the store.
//!
//! Every request's token is looked up in the store after the request arrived, so that a
//! revocation takes effect at once, on every server (`auth`). Under load that was one read
//! per request: with PostgreSQL a round trip and a statement for the database to run, as many
//! as the appends themselves. Here a check is queued; one task reads the tokens of everything
//! queued in one statement ([`store::EventStore::tokens_by_secret_hashes`]) and answers each,
//! and the checks that arrive meanwhile go in the next read. A check is never answered from a
//! read that began before it was queued, so a token revoked before a request arrives is
//! refused, as it was.
//!
//! A store that reads a token quicker than the hand-off to that task and back
//! ([`EventStore::token_here`]: SQLite, from its own file, and from what it read since the
//! database last changed) is asked on the request's own thread instead: measured on two cores,
//! the hand-offs cost more than the reads they shared (docs/BENCHMARKS.md, seventeenth round).

use std::sync::Arc;

use store::{EventStore, StoreError, StoreErrorKind, TokenRecord};
use tokio::sync::{mpsc, oneshot};

/// At most this many checks share a read.
const MAX_BATCH: usize = 256;

type Check = (
    String,
    oneshot::Sender<Result<Option<TokenRecord>, StoreError>>,
);

/// The queue of checks; cheap to share.
pub struct TokenChecks {
    queue: mpsc::Sender<Check>,
    store: Arc<dyn EventStore>,
}

fn stopped() -> StoreError {
    StoreError::new(
        StoreErrorKind::Unavailable,
        "the token checks have stopped (the server is stopping)",
    )
}

impl TokenChecks {
    /// Starts the task that answers the checks (on the current tokio runtime); it ends when
    /// the last handle is dropped.
    pub fn start(store: Arc<dyn EventStore>) -> TokenChecks {
        let (queue, checks) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(answer(Arc::clone(&store), checks));
        TokenChecks { queue, store }
    }

    /// The token with this secret hash, as the store holds it now: read here when the store
    /// reads quicker than a hand-off ([`EventStore::token_here`]), else in the next batch.
    pub async fn token(&self, secret_hash: String) -> Result<Option<TokenRecord>, StoreError> {
        if let Some(found) = self.store.token_here(&secret_hash) {
            return found;
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((secret_hash, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn answer(store: Arc<dyn EventStore>, mut checks: mpsc::Receiver<Check>) {
    while let Some(first) = checks.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match checks.try_recv() {
                Ok(check) => batch.push(check),
                Err(_) => break,
            }
        }
        let mut hashes: Vec<String> = batch.iter().map(|(h, _)| h.clone()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        metrics::histogram!("caseline_token_checks_per_read").record(batch.len() as f64);
        let found = store.tokens_by_secret_hashes(&hashes).await;
        for (hash, reply) in batch {
            let answer = match &found {
                Ok(tokens) => Ok(tokens.iter().find(|t| t.secret_hash == hash).cloned()),
                Err(e) => Err(StoreError::new(e.kind().clone(), e.to_string())),
            };
            let _ = reply.send(answer);
        }
    }
}
