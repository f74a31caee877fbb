//! `GET /v1/reports/inspection`: the inspection report as JSON, CSV or an HTML page with
//! charts, from the cross-child read model. Children appear only as pseudonyms: an HMAC of the
//! child's id under the deployment's key (a file outside the store: `pseudonym_key`), so a
//! pseudonym is stable within a deployment and cannot be turned back into an id without it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Months, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use projection::inspection::Period;
use serde::Deserialize;
use sha2::Sha256;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::access::Action;
use crate::auth::Caller;
use crate::consistency;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::state::AppState;
use crate::views;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day, `YYYY-MM-DD` (default: a year before `to`).
    pub from: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD`, included (default: today).
    pub to: Option<NaiveDate>,
    /// One locality (compared without regard to case); all when left out. Figures resting on
    /// 1 to 4 children are then shown as `"<5"`.
    pub locality: Option<String>,
    /// Reflect at least the record at this global position: the `Caseline-Position` of a
    /// `201` (from any server on the same store). Every record this server acknowledged
    /// before the request is reflected without it. A 503 with `Retry-After` if the read model
    /// cannot get there in time.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub min_position: Option<String>,
}

/// A child's pseudonym: the first 16 bytes of HMAC-SHA256(key, child id), hex.
pub fn pseudonym(key: &[u8], child_id: Uuid) -> String {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(child_id.as_bytes());
            let bytes = mac.finalize().into_bytes();
            format!("c-{}", hex::encode(&bytes[..16]))
        }
        // HMAC takes keys of any length; this cannot happen, and if it did nothing would be shown.
        Err(_) => "withheld".to_owned(),
    }
}

enum Format {
    Json,
    Csv,
    Html,
}

/// Picks the format from `Accept`: the first of JSON, CSV or HTML it names, JSON when it
/// names none or anything (`*/*`); a 406 when it names only others.
fn format(req: &HttpRequest) -> Result<Format, ApiError> {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(Format::Json);
    };
    for part in accept.split(',') {
        let media = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json" | "application/*" | "*/*" => return Ok(Format::Json),
            "text/csv" => return Ok(Format::Csv),
            "text/html" | "text/*" => return Ok(Format::Html),
            _ => {}
        }
    }
    Err(ApiError::new(
        ErrorKind::NotAcceptable,
        "the report is available as application/json, text/csv or text/html",
    ))
}

/// The report for the period, as JSON (`application/json`), CSV (`text/csv`: one row a
/// figure, `section,figure,value`) or an HTML page with charts (`text/html`). It reflects
/// every record acknowledged before the request (and at least `min_position`).
#[utoipa::path(get, path = "/v1/reports/inspection", operation_id = "get_inspection_report", tag = "review", params(ReportQuery),
    responses(
        (status = 200, description = "The report. With `locality`, every figure that rests on 1 to 4 children is the string \"<5\" in place of its number (in JSON, CSV and HTML alike); 0 stays 0. See docs/REPORT.md, \"Small numbers\".", content(
            (views::InspectionReport = "application/json"),
            (String = "text/csv"),
            (String = "text/html"),
        )),
        (status = 303, description = "A browser (`Accept: text/html`, no `Authorization`) without a session is sent to `/signin?next=…` to sign in (docs/CONTRACT.md, \"People in a browser\")"),
        (status = 400, description = "A date is not YYYY-MM-DD, `from` is after `to`, or `min_position` is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "None of JSON, CSV or HTML is acceptable", body = Problem, content_type = "application/problem+json"),
        consistency::ModelBehind,
    ))]
pub async fn inspection(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let person = caller.person.is_some();
    crate::pages::for_person(person, report_answer(caller, state, req, query).await)
}

async fn report_answer(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    caller.may(Action::ReadInspectionReport)?;
    let format = format(&req)?;
    let to = query.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = query
        .from
        .unwrap_or_else(|| to.checked_sub_months(Months::new(12)).unwrap_or(to));
    let period = Period::new(from, to).map_err(|e| {
        ApiError::new(ErrorKind::InvalidParameter, e.to_string())
            .with_field("from", "must not be after to")
    })?;
    let min_position = consistency::min_position(query.min_position.as_deref())?;
    let key = state.pseudonym_key.clone();
    let model = consistency::model_at_least(&state, min_position).await?;
    let framework = state.framework;
    let locality = query.into_inner().locality;
    // A county's year takes the better part of a second of one core to work out and write;
    // on a thread of the blocking pool, so the HTTP worker goes on answering its other
    // connections (a worker serves many, and an append waiting behind a report is an agency
    // waiting) while it is made.
    let body = web::block(move || {
        let report = model.report(framework, period, locality.as_deref(), &|id| {
            pseudonym(&key, id)
        });
        match format {
            // Published, not serialised: with a locality, small figures are "<5".
            Format::Json => Ok(Body::Json(report.published_json())),
            Format::Csv => Ok(Body::Csv(report.to_csv())),
            Format::Html => crate::pages::report(&report).map(Body::Html),
        }
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(match body {
        Body::Json(json) => HttpResponse::Ok()
            .content_type("application/json")
            .body(json),
        Body::Csv(csv) => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "inline; filename=\"inspection.csv\"",
            ))
            .body(csv),
        Body::Html(page) => crate::pages::answer(page, caller.person.as_ref()),
    })
}

/// The report written in the format asked for.
enum Body {
    Json(String),
    Csv(String),
    Html(String),
}
