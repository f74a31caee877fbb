//! The store's errors, told apart by [`StoreErrorKind`] so callers can map each to an answer.

use uuid::Uuid;

/// What went wrong, as a caller must handle it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The stream was not at the expected sequence; nothing was written.
    Conflict { expected: String, actual: u64 },
    /// The idempotency key was used before with a different request; nothing was written.
    IdempotencyKeyReused,
    /// An identifier claimed by this append is held by another child; nothing was written.
    IdentifierTaken {
        kind: String,
        existing_child_id: Uuid,
    },
    /// An event id is already in the store; nothing was written.
    DuplicateEventId(Uuid),
    /// The store URL or its options cannot be used.
    Config,
    /// `import` into a store that already holds events.
    NotEmpty,
    /// The backend cannot be reached or refused the operation for a reason of its own.
    Unavailable,
    /// Stored data could not be read back (corrupt row, bad JSON).
    Corrupt,
    /// The writer's queue is full: nothing was queued and nothing written. The append may be
    /// retried unchanged after about `retry_after_secs` seconds.
    Busy { retry_after_secs: u64 },
    /// An event carries a value this store could not read back (a time outside years
    /// 0001-9999, a NUL character in a string): nothing was written. `field` names it, e.g.
    /// `occurred_at` or `data.notes`.
    Unstorable { field: String },
    /// The store is locked by another process in a way that excludes this one (a server
    /// holds it and a wholesale writer asked, or the other way round; see [`crate::lock`]).
    Locked,
    /// A migration this store already applied differs from the one compiled into this binary
    /// (its recorded checksum does not match): the store is not opened. `name` is the
    /// migration's, e.g. `0002_snapshots` (see `migrations.rs`).
    MigrationChanged { name: String },
}

/// An error from the event store.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    /// The backend's own error. Not reported as `Error::source` (and so not named `source`,
    /// which thiserror would report): the message already carries its text, and a chain
    /// printed from here would say it twice.
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    pub fn with_source(
        kind: StoreErrorKind,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            cause: Some(Box::new(source)),
        }
    }

    /// An idempotency key already bound to another request, in every backend's words.
    pub fn idempotency_key_reused(key: &str) -> Self {
        Self::new(
            StoreErrorKind::IdempotencyKeyReused,
            format!("the idempotency key {key:?} was already used with a different request"),
        )
    }

    /// An identifier another child holds, in every backend's words.
    pub fn identifier_taken(kind: &str, existing_child_id: uuid::Uuid) -> Self {
        Self::new(
            StoreErrorKind::IdentifierTaken {
                kind: kind.to_owned(),
                existing_child_id,
            },
            format!("a child is already registered with this {kind}"),
        )
    }

    pub fn kind(&self) -> &StoreErrorKind {
        &self.kind
    }

    /// The backend's own error, when there was one (its text is already in the message).
    pub fn cause(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.cause.as_deref()
    }
}

/// A backend could not do `what` (`"open"`, `"read all"`): [`StoreErrorKind::Unavailable`],
/// its message `{backend}: {what}: {cause}`. One definition for every backend, so their
/// messages keep one form (the API logs them; operators search for them).
pub(crate) fn unavailable(
    backend: &str,
    what: &str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::with_source(
        StoreErrorKind::Unavailable,
        format!("{backend}: {what}: {}", describe(&e)),
        e,
    )
}

/// Something a backend holds cannot be read back as what it should be:
/// [`StoreErrorKind::Corrupt`], its message `{backend}: {what}`.
pub(crate) fn corrupt(backend: &str, what: &str) -> StoreError {
    StoreError::new(StoreErrorKind::Corrupt, format!("{backend}: {what}"))
}

/// An error and its causes on one line, each cause once: backends' errors often repeat their
/// cause's text in their own, and a pool's error may hide the one that matters ("connection
/// refused") two levels down.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(cause) = cur {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Layer(&'static str, #[source] Option<Box<Layer>>);

    #[test]
    fn a_chain_is_told_once_each() {
        let root = Layer("connection refused", None);
        let mid = Layer("error connecting to server", Some(Box::new(root)));
        let top = Layer(
            "could not create: error connecting to server",
            Some(Box::new(mid)),
        );
        assert_eq!(
            describe(&top),
            "could not create: error connecting to server: connection refused"
        );
    }
}
