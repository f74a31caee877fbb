//! The HTML pages (the `pages` crate renders them), and the content negotiation that picks
//! them: a page when the client asks for `text/html` before JSON.

use actix_web::HttpRequest;
use actix_web::http::header;
use chrono::Utc;
use projection::inspection::InspectionReport;
use projection::{Journey, Record, TimeFilter};
use store::StoredEvent;

use crate::problem::ApiError;

/// Whether the client prefers an HTML page to JSON: the first of the two its `Accept` names.
pub fn wants_html(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    for part in accept.split(',') {
        match part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "text/html" | "application/xhtml+xml" => return true,
            "application/json" | "application/*" => return false,
            _ => {}
        }
    }
    false
}

/// The inspection report as a page.
pub fn report(report: &InspectionReport) -> Result<String, ApiError> {
    pages::report_page(report).map_err(ApiError::internal)
}

/// The journey as a page: the child's name in the heading (whoever may read the journey may
/// read the case), retracted records listed apart.
pub fn journey(
    journey: &Journey,
    events: &[StoredEvent],
    filter: TimeFilter,
    name: Option<String>,
    framework_title: &str,
) -> Result<String, ApiError> {
    let known: Vec<StoredEvent> = events
        .iter()
        .filter(|e| filter.admits(e))
        .cloned()
        .collect();
    let retracted: Vec<Record> = projection::audit(&known, &[])
        .records
        .into_iter()
        .filter(|r| r.retracted)
        .map(|r| r.record)
        .collect();
    let view = pages::JourneyView {
        title: name,
        framework_title: framework_title.to_owned(),
        filter,
        retracted,
        generated_at: Utc::now(),
    };
    pages::journey_page(journey, &view).map_err(ApiError::internal)
}
