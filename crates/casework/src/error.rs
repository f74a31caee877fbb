//! Why a use case did not happen, told apart as a caller must answer it: input refused by the
//! domain (400/422), refused by the role table (403), no such child (404), not at the pinned
//! sequence (409), too contended to finish (503), the store, or an event that cannot be read.

use domain::Invalid;
use domain::access::Denied;
use domain::child::UnreadableEvent;
use store::StoreError;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CaseworkError {
    /// A shape (400) or a rule (422) of the domain.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The role table says no; `field` is where, relative to the request (`records[2].type`).
    #[error("{denied}")]
    Denied { field: String, denied: Denied },
    /// The child has no stream.
    #[error("no child is registered with id {0}")]
    UnknownChild(Uuid),
    /// `If-Match` named another sequence than the child's.
    #[error("If-Match expected the child's record at sequence {expected}, but it is at {actual}")]
    NotAtSequence { expected: u64, actual: u64 },
    /// Lost the race to append too many times in a row.
    #[error("this child's record is being written by many systems at once; try again")]
    Contended,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored event this build cannot read: a fault of the data or of this build, never the
    /// client's.
    #[error(transparent)]
    Unreadable(#[from] UnreadableEvent),
}
