//! `GET /v1/returns/cin-census` and `GET /v1/returns/annex-a`: the statutory returns, produced
//! from the store on demand (`crate::production`), every production logged before it is sent.
//!
//! The front door and auditors get both with the council's child ids; an inspector gets Annex
//! A with the inspection report's pseudonyms (the same function, `report::pseudonym`) and
//! months of birth only, and never the census, which carries identities by design.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{Months, NaiveDate, Utc};
use returns::census_xml::Source;
use returns::{CollectionYear, Window};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::access::{Action, Scope};
use crate::auth::Caller;
use crate::consistency;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::production::{self, Naming, ProductionError};
use crate::routes::report::pseudonym;
use crate::state::AppState;

/// The media type of an .xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CensusQuery {
    /// The collection year, 1 April to 31 March, written `2025-26` (the second part is the
    /// next year's last two digits).
    #[param(example = "2025-26", pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub year: String,
    /// Reflect at least the record at this global position (a `Caseline-Position`). The
    /// return is read from the store itself, so it already reflects every acknowledged record.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub min_position: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnnexAQuery {
    /// The window's last day, `YYYY-MM-DD` (default: today).
    pub to: Option<NaiveDate>,
    /// How many months the window covers, ending on `to` (default 6, at most 120).
    #[param(minimum = 1, maximum = 120)]
    pub months: Option<u32>,
    /// `xlsx` (default): the workbook of lists 1 to 7; `csv`: one list as CSV (needs `list`).
    #[param(example = "csv", pattern = "^(xlsx|csv)$")]
    pub format: Option<String>,
    /// With `format=csv`: which list, 1 to 7.
    #[param(minimum = 1, maximum = 7)]
    pub list: Option<u8>,
    #[param(value_type = Option<u64>, minimum = 0)]
    pub min_position: Option<String>,
}

fn year(s: &str) -> Result<CollectionYear, ApiError> {
    s.parse::<CollectionYear>().map_err(|e| {
        ApiError::new(ErrorKind::InvalidParameter, e.to_string()).with_field(
            "year",
            format!("must be a collection year such as 2025-26; got `{s}`"),
        )
    })
}

/// A production failed before anything was sent.
fn failed(e: ProductionError) -> ApiError {
    match e {
        ProductionError::Store(s) => ApiError::from(s),
        ProductionError::NoChildScan => ApiError::new(
            ErrorKind::Unavailable,
            "this store cannot be read child by child, so returns cannot be produced from it",
        ),
        other => ApiError::internal(other),
    }
}

/// The store's head must be at least `min_position` (a position another server acknowledged
/// is committed, so this only fails for a position not yet written anywhere).
async fn reaches(state: &AppState, min_position: Option<&str>) -> Result<(), ApiError> {
    if let Some(wanted) = consistency::min_position(min_position)? {
        let head = state.store.head_position().await.map_err(ApiError::from)?;
        if head < wanted {
            return Err(ApiError::new(
                ErrorKind::Unavailable,
                format!("the store holds records up to position {head}, not yet {wanted}"),
            )
            .with_retry_after(1));
        }
    }
    Ok(())
}

async fn log(state: &AppState, caller: &Caller, what: String) -> Result<(), ApiError> {
    // Returns are read with a token (a session opens only the pages); a person is named too
    // should that ever change.
    state
        .store
        .log_read(caller.read_log_entry(production::PRODUCTIONS, what))
        .await
        .map_err(|e| {
            ApiError::new(
                ErrorKind::Unavailable,
                "the production could not be logged, so it is not answered; try again",
            )
            .with_source(e)
        })
}

/// The Department for Education's Children in Need census for a collection year, as its XML
/// (Message, Header, Children), streamed as it is written. Every child with an episode of need
/// open at any point of the year appears, with the council's child id (docs/RETURNS.md maps
/// each element to the records it comes from). Front door and auditor only; the production
/// is logged (who, when, which year) before anything is sent.
#[utoipa::path(get, path = "/v1/returns/cin-census", operation_id = "get_cin_census", tag = "returns", params(CensusQuery),
    responses(
        (status = 200, description = "The census XML for the year", content_type = "application/xml", body = String),
        (status = 400, description = "`year` is not a collection year written like 2025-26, or `min_position` is not a whole number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the front door and auditors may produce the census", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable, the production could not be logged, the council's LA code is not configured, or `min_position` is beyond the store's last record", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before asking again"))),
    ))]
pub async fn cin_census(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<CensusQuery>,
) -> ApiResult<HttpResponse> {
    caller.may(Action::ProduceCinCensus)?;
    let year = year(&query.year)?;
    reaches(&state, query.min_position.as_deref()).await?;
    let Some(la) = state.config.la_code.as_deref() else {
        return Err(ApiError::new(
            ErrorKind::Unavailable,
            "the council's LA code is not configured (--la-code or CASELINE_LA_CODE), so the census cannot be produced",
        ));
    };
    let source = Source::new(la, &state.config.software_code)
        .map_err(|e| ApiError::new(ErrorKind::Unavailable, e.to_string()))?;
    log(&state, &caller, format!("return:cin-census?year={year}")).await?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, ProductionError>>(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        let (inner_tx, mut inner_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let forward = {
            let tx = tx.clone();
            async move {
                while let Some(chunk) = inner_rx.recv().await {
                    if tx.send(Ok(chunk)).await.is_err() {
                        break;
                    }
                }
            }
        };
        let produce = production::census(store, year, &source, Utc::now(), inner_tx);
        let (result, ()) = tokio::join!(produce, forward);
        if let Err(e) = result {
            tracing::error!(error = %e, "the census production failed");
            let _ = tx.send(Err(e)).await;
        }
    });
    // The first chunk decides the status: a failure before it is a proper problem answer.
    let first = match rx.recv().await {
        Some(Ok(chunk)) => chunk,
        Some(Err(e)) => return Err(failed(e)),
        None => return Err(ApiError::internal(ProductionError::Closed)),
    };
    let rest = futures::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Some(Ok(chunk)) => Some((Ok(web::Bytes::from(chunk)), rx)),
            // A failure mid-way ends the answer with an error, so the client sees a broken
            // transfer rather than a short file.
            Some(Err(e)) => Some((Err(actix_web::error::ErrorInternalServerError(e)), rx)),
            None => None,
        }
    });
    let body = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<_, actix_web::Error>(web::Bytes::from(first)) }),
        rest,
    );
    Ok(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"cin-census-{year}.xml\""),
        ))
        .streaming(body))
}

/// Ofsted's Annex A child-level lists 1 to 7 for a window (the `months` months ending on
/// `to`): one .xlsx workbook, a sheet a list, Ofsted's headings and lettered labels, dates as
/// spreadsheet dates; or one list as CSV (`format=csv&list=N`). Front door and auditor see the
/// council's child ids and dates of birth; an inspector sees the inspection report's
/// pseudonyms and months of birth only. The production is logged before it is sent.
#[utoipa::path(get, path = "/v1/returns/annex-a", operation_id = "get_annex_a", tag = "returns", params(AnnexAQuery),
    responses(
        (status = 200, description = "The workbook, or one list as CSV", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, description = "`to` is not a date, `months` is not 1 to 120, `format` is not xlsx or csv, or `list` is not 1 to 7 (or missing with csv)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Recorders and administrators may not produce Annex A", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable, the production could not be logged, or `min_position` is beyond the store's last record", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before asking again"))),
    ))]
pub async fn annex_a(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<AnnexAQuery>,
) -> ApiResult<HttpResponse> {
    let scope = caller.may(Action::ProduceAnnexA)?;
    let to = query.to.unwrap_or_else(|| Utc::now().date_naive());
    let months = query.months.unwrap_or(6);
    let window = Window::ending(to, months).map_err(|e| {
        ApiError::new(ErrorKind::InvalidParameter, e.to_string())
            .with_field("months", "must be a whole number from 1 to 120")
    })?;
    let csv_list = match (query.format.as_deref(), query.list) {
        (None | Some("xlsx"), None) => None,
        (Some("csv"), Some(n @ 1..=7)) => Some(n),
        (Some("csv"), _) => {
            return Err(ApiError::new(
                ErrorKind::InvalidParameter,
                "format=csv gives one list: add list=1 to list=7",
            )
            .with_field("list", "must be 1 to 7 with format=csv"));
        }
        (None | Some("xlsx"), Some(_)) => {
            return Err(ApiError::new(
                ErrorKind::InvalidParameter,
                "list picks one list of the CSV form: add format=csv, or leave list out for the workbook",
            )
            .with_field("list", "only with format=csv"));
        }
        (Some(other), _) => {
            let m = format!("format must be xlsx or csv; got `{other}`");
            return Err(
                ApiError::new(ErrorKind::InvalidParameter, m.clone()).with_field("format", m)
            );
        }
    };
    reaches(&state, query.min_position.as_deref()).await?;
    let pseudonyms = scope == Scope::PseudonymsOnly;
    let from = to
        .checked_sub_months(Months::new(months))
        .and_then(|d| d.succ_opt())
        .unwrap_or(to);
    let what = format!(
        "return:annex-a?from={from}&to={to}{}{}",
        csv_list.map(|n| format!("&list={n}")).unwrap_or_default(),
        if pseudonyms { "&pseudonyms" } else { "" }
    );
    let key = state.pseudonym_key.clone();
    let name = move |id| pseudonym(&key, id);
    let naming = if pseudonyms {
        Naming::Pseudonyms(&name)
    } else {
        Naming::Council
    };
    let annex = production::annex_a(state.store.clone(), window, naming)
        .await
        .map_err(failed)?;
    log(&state, &caller, what).await?;
    match csv_list.and_then(|n| annex.list(n)) {
        Some(list) => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"annex-a-list-{}-{to}.csv\"",
                    list.number
                ),
            ))
            .body(returns::workbook::csv(list))),
        None => {
            let bytes = returns::workbook::xlsx(&annex).map_err(ApiError::internal)?;
            Ok(HttpResponse::Ok()
                .content_type(XLSX)
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"annex-a-{to}.xlsx\""),
                ))
                .body(bytes))
        }
    }
}
