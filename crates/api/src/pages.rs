//! The HTML pages (the `pages` crate renders them), with their errors mapped to problems.

use projection::inspection::InspectionReport;

use crate::problem::{ApiError, ErrorKind};

/// The inspection report as a page.
pub fn report(_report: &InspectionReport) -> Result<String, ApiError> {
    Err(ApiError::new(
        ErrorKind::NotAcceptable,
        "HTML pages are being wired in",
    ))
}
