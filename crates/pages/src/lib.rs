//! Caseline's pages: the journey of one child and the inspection report as server-side HTML,
//! for a person to read in a browser or on paper.
//!
//! - [`journey_page()`]: a child's tier history as a step chart (time across, tiers 1 to 4
//!   up), the same history as a table, then every record in order with who recorded it and
//!   when, its data as nested definition lists, corrections badged and linked both ways (the
//!   first data in a `<details>`), and the retracted records struck through in a section of
//!   their own.
//! - [`report_page()`]: every figure of the inspection report in tables with words for labels
//!   and rates as percentages, with charts of the tier mix at the end of the period, the steps
//!   up and down, timeliness, and no further action by referral source. The three figures of
//!   referrals decided on time (of those decided, of all received, and the obligation to decide
//!   by deadlines in the period) each carry their definition beside them. The children table
//!   is ten columns (related counts share a cell, "made / NFA / re-referred"), so it fits 1280
//!   px and a sheet of A4, and each pseudonym is shortened to `c-` and 8 hex digits, more only
//!   where two children's would match (`labels::short_pseudonyms`).
//!
//! Codes are shown with their words: census codes as "White British (WBRI)" from the labels
//! in `domain::codes`, snake-case values of closed lists as words. Dates are written "20 Nov
//! 2026" and times "20 Nov 2026, 10:15 UTC" everywhere, in record data too, and each page says
//! its times are UTC.
//!
//! A page is one self-contained document: one inline `<style>` (with a print stylesheet), the
//! charts as inline SVG drawn by the `charts` module from the same numbers the tables show
//! (each chart titled and described for screen readers), and nothing fetched: no script, no
//! external font, image or stylesheet, no URL at all. Every piece of text, including text
//! inside the charts, goes through askama's HTML escaping; no template marks anything `safe`,
//! and the only markup inserted as is is a chart this crate drew from escaped templates of its
//! own (`charts::Svg`).
//!
//! The templates are in `templates/`: `base.html` (the document and its stylesheet,
//! `style.css`), `journey.html`, `report.html`, `macros.html` (a record's data, links, tables)
//! and `charts/*.svg`.
//!
//! What it deliberately does not do: decide who may see a page, read the store, log the read,
//! or read a clock (the caller hands in the time the page is generated). It shows what it is
//! given: whether a child's name appears in a journey's heading is the caller's choice
//! ([`JourneyView::title`]), and the report page shows children only by the pseudonyms the
//! report carries. It does not compute figures either: a percentage beside a count is that
//! count over the denominator `docs/REPORT.md` defines, nothing the report does not hold. Nor
//! does it time-travel: the journey and the retracted records come filtered by the caller (a
//! record the journey holds is never also shown as retracted).

mod charts;
mod data;
mod journey;
mod labels;
mod report;

pub use journey::{JourneyView, journey_page};
pub use report::report_page;

/// A page that could not be rendered. Rendering fails only if a template cannot write its
/// output, which no input should cause; the caller answers with a 500 and logs this.
#[derive(Debug, thiserror::Error)]
pub enum PagesError {
    #[error("the {page} page could not be rendered")]
    Render {
        /// `journey` or `report`.
        page: &'static str,
        #[source]
        source: askama::Error,
    },
}
