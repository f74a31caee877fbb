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
}

/// An error from the event store.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
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
            source: Some(Box::new(source)),
        }
    }

    pub fn kind(&self) -> &StoreErrorKind {
        &self.kind
    }
}
