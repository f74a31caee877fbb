//! The HTML pages (the `pages` crate renders them), the content negotiation that picks
//! them (a page when the client asks for `text/html` before JSON), and the
//! `Content-Security-Policy` they are sent with.

use std::sync::OnceLock;

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use chrono::{NaiveDate, Utc};
use projection::inspection::InspectionReport;
use projection::{Journey, Record, TimeFilter};
use sha2::{Digest, Sha256};
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

/// A page opened by a person in a browser, with who they are and a sign-out form (carrying
/// their session's CSRF token) at the top. A page fetched with a token is left as it is.
pub fn with_person(page: String, person: Option<&crate::session::Person>) -> String {
    let Some(person) = person else {
        return page;
    };
    let bar = format!(
        "<div class=\"note\">Signed in as <strong>{}</strong>; every page you open is recorded under your name. {}</div>\n",
        crate::routes::signin::escape(&person.name),
        crate::routes::signin::sign_out_form(&person.csrf_token)
    );
    match page.find("<body>") {
        Some(at) => {
            let at = at + "<body>".len();
            let mut out = String::with_capacity(page.len() + bar.len() + 1);
            out.push_str(&page[..at]);
            out.push('\n');
            out.push_str(&bar);
            out.push_str(&page[at..]);
            out
        }
        None => page,
    }
}

/// For a person in a browser, a refusal (a role that may not read this, a malformed date) is a
/// page they can read, with the same status; a token's client keeps its problem. A fault of the
/// server's own stays a problem either way, so its cause is logged as for any other.
pub fn for_person(
    person: bool,
    answer: Result<actix_web::HttpResponse, ApiError>,
) -> Result<actix_web::HttpResponse, ApiError> {
    match answer {
        Err(e) if person && e.kind().row().status.is_client_error() => {
            let row = e.kind().row();
            let body = format!(
                "<p>{}.</p>\n<p><a href=\"{}\">What you may open</a></p>",
                crate::routes::signin::escape(e.detail().trim_end_matches('.')),
                crate::session::LANDING
            );
            Ok(html(
                row.status,
                crate::routes::signin::page(row.title, &body),
            ))
        }
        other => other,
    }
}

/// A page as the answer to a reader: with the bar naming the person who opened it, if a
/// person did ([`with_person`]).
pub fn answer(page: String, person: Option<&crate::session::Person>) -> actix_web::HttpResponse {
    html(actix_web::http::StatusCode::OK, with_person(page, person))
}

/// An HTML answer of the pages that show a child's or the council's data. A person's page is
/// theirs: no cache keeps it for the next user of the machine.
fn html(status: actix_web::http::StatusCode, page: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page)
}

/// The journey as a page: the child's name in the heading (whoever may read the journey may
/// read the case), retracted records listed apart.
pub fn journey(
    journey: &Journey<'_>,
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
    let retracted: Vec<Record<'_>> = projection::audit(&known, &[])
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

/// The policy every page is sent with: nothing may load or run but the page's own inline
/// stylesheet (allowed by its hash, so an injected `<style>` would not apply either); no
/// script, no frame around it, no form posting elsewhere, no `<base>` to redirect links.
/// The charts are inline SVG elements, not images; `img-src 'self'` is only for the icon a
/// browser asks this server for on its own (`/favicon.ico`), which would otherwise be refused
/// with an error in the browser's console.
pub fn content_security_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        // The sign-in pages carry a stylesheet of their own.
        let signin = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(crate::routes::signin::STYLE.as_bytes()));
        let style = match style_hash() {
            Some(hash) => format!("'sha256-{hash}' 'sha256-{signin}'"),
            // Rendering cannot fail for an empty report; if it did, inline styles would be
            // allowed rather than the page shown unstyled. Scripts stay forbidden either way.
            None => "'unsafe-inline'".to_owned(),
        };
        format!(
            "default-src 'none'; style-src {style}; img-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
    })
}

/// The base64 SHA-256 of the pages' one `<style>` element, as CSP hashes it. Both pages
/// share the base template, so rendering one (an empty report) gives the hash of both.
fn style_hash() -> Option<String> {
    let framework = domain::framework::Framework::by_name("norfolk").ok()?;
    let day = NaiveDate::from_ymd_opt(2026, 1, 1)?;
    let period = projection::inspection::Period::new(day, day).ok()?;
    let empty =
        projection::inspection::inspection_report(&[], framework, period, None, &|_| String::new());
    let page = pages::report_page(&empty).ok()?;
    inline_style_hash(&page)
}

/// The hash of the first `<style>` element's text in `page`.
pub fn inline_style_hash(page: &str) -> Option<String> {
    let start = page.find("<style>")? + "<style>".len();
    let len = page[start..].find("</style>")?;
    let digest = Sha256::digest(&page.as_bytes()[start..start + len]);
    Some(base64::engine::general_purpose::STANDARD.encode(digest))
}
