//! Statutory returns produced straight from the record: the Department for Education's
//! Children in Need census ([`census`], [`census_xml`]) and Ofsted's Annex A child-level lists
//! ([`annex_a`], [`workbook`]).
//!
//! Everything here is a pure function of one child's record as the domain folds it
//! (`domain::child::Child`, corrections applied and retractions left out by
//! `Child::standing`), plus writers that take one child at a time, so a caller can
//! stream a whole county through them with memory bounded by one page of children.
//!
//! What this crate deliberately does not do: read a store, know HTTP, decide who may see a
//! return, or log its production (the API and the command line do those), and it never reads
//! stored JSON itself: the domain's typed events are its only input.

pub mod annex_a;
pub mod census;
pub mod census_xml;
pub mod workbook;
pub mod year;

#[cfg(test)]
mod testkit;

pub use annex_a::{AnnexA, Shown, Window};
pub use census::{CensusChild, census_child};
pub use census_xml::{CensusWriter, Source};
pub use year::{CollectionYear, InvalidYear};
