//! Caseline's read views: what the API answers about one child, and the read model across
//! children, both computed from events.
//!
//! Two parts, with different duties:
//! - **The views** are pure functions over the events the caller hands in: no I/O, no store
//!   calls, no clock, no HTTP. The same events always give the same answer, so a view can be
//!   thrown away and recomputed at will.
//!   - [`journey()`]: the tier history as intervals and every record that stands, at any
//!     `as_of` (by `occurred_at`) and `known_at` (by `recorded_at`).
//!   - [`audit()`]: every record, retracted or not, with tokens, agencies and correction links
//!     both ways, and every logged read.
//!   - [`consent_ledger()`]: consents by id with status and history; information shared and
//!     withheld.
//!   - [`raw_events()`]: the stream as stored, paged.
//!   - [`inspection_report()`] and [`disagreements()`]: the cross-child figures and review of a
//!     set of events.
//!   - The case now is the domain's `ChildState`, shaped by the API.
//! - **The read model's keeper**, [`follow::Projections`]: the one part that does I/O. It reads
//!   new events from the store and saves the model's rows back (never events), keeping
//!   [`Across`], each child's facts read from its typed record ([`ChildRecord`]). It lives here,
//!   beside the model it keeps, because the model's rows, their format and the order they may
//!   be saved in are this crate's to decide; the API only starts it and reads the model.
//!
//! Corrections are resolved for the per-child views in `history` (every view reads the same
//! resolution: a `record_corrected` with `corrected_data` changes what its target's `data` reads,
//! the first data staying as `original_data`; one with `retract: true` takes its target out of
//! every view but the audit and the raw stream; only corrections among the events handed in, after
//! a time filter, count, so a retraction not yet known does not retract), and for the read model
//! by the domain itself (`domain::child::Child::standing`).
//!
//! The response field names are docs/CONTRACT.md's "Shapes of answers"; other teams parse them.
//! Fields may be added; none may be renamed.
//!
//! What this crate deliberately does not do: write events, decide who may see what, log reads,
//! or validate records. Stored data may be of an older shape than today's rules; the views read
//! it tolerantly and never panic on it, and the read model leaves out (and logs) an event the
//! domain cannot read.

mod audit;
mod consent;
mod history;
mod journey;
mod raw;
mod record;

pub use audit::{Audit, AuditRecord, Read, audit};
pub use consent::{Consent, ConsentLedger, ConsentStatus, consent_ledger};
pub use journey::{Journey, LevelInterval, journey};
pub use raw::{RawEvent, RawEvents, raw_events};
pub use record::{Record, TimeFilter};

mod disagreements;
pub use disagreements::{
    Disagreement, DisagreementList, DisagreementReview, DisagreementStatus, Resolution, Stage,
    StagePosition, UnknownStatus, disagreements,
};

pub mod inspection;
pub use inspection::{InspectionReport, InvalidPeriod, Period, inspection_report};

mod across;
mod child_record;
pub use child_record::ChildRecord;
pub mod follow;
mod kept;
pub use across::{Across, UnreadableSnapshot};
pub use follow::Projections;
