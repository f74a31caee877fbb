//! Caseline's domain: what a child's record may contain and which rules it must pass.
//!
//! - [`level`]: a tier (1-4) and its statutory basis.
//! - [`framework`]: the threshold frameworks (Norfolk, Staffordshire) as data: tier names,
//!   allowed levels, descriptor catalogue, section 47 indicators; [`suggestion`]: the tier the
//!   catalogue suggests; [`calendar`]: working days in England.
//! - [`envelope`]: a posted record (`type`, `occurred_at`, `recorded_by`, `data`) and batches;
//!   [`record`]: every record type's data, typed; [`shapes`]: the shapes records share;
//!   [`registration`]: a child's details (NHS number and UPN checks); [`codes`]: census codes;
//!   [`error`]: `Invalid`, a shape error (400) or a broken rule (422) with JSON paths.
//!
//! - [`child`]: the child aggregate, its state and obligations, and every rule checked
//!   against it; [`access`]: which role may append which record.
//! - `testing` (this crate's tests, and other crates' with the `testing` feature): typed
//!   builders of every record type, the test data in place of JSON literals.
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
pub mod dates;
pub mod error;
pub mod registration;
pub mod shapes;

pub use error::{FieldError, Invalid, InvalidKind};
pub mod access;
pub mod child;
pub mod docs;
pub mod envelope;
pub mod examples;
pub mod record;
pub mod schema;

// Test data for this crate's tests and, through the `testing` feature, for other crates'.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
