//! Caseline's domain: what a child's record may contain and which rules it must pass.
//!
//! (Overview to be completed by the crate's authors: record types, validation, the child
//! aggregate, the role table, the threshold frameworks, the tier suggestion, working days.)
//!
//! This crate does no I/O: no files, no clock, no network. The frameworks' data files are
//! compiled in with `include_str!`; the current time is handed in by the caller.

// --- framework, suggestion and working days (owned by the frameworks work) ---
pub mod calendar;
pub mod framework;
pub mod level;
pub mod suggestion;

// --- records, validation, the aggregate, the role table (owned by the records work) ---
pub mod codes;
pub mod error;
pub mod registration;
pub mod shapes;

pub use error::{FieldError, Invalid, InvalidKind};
pub mod envelope;
pub mod record;
