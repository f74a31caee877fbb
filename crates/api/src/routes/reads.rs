//! Reading one child: the case now, the journey (at any time, as known at any time), the
//! audit, the consent ledger and the raw stream.
//!
//! Every handler goes through [`child::read_child`], which authorises, finds the child, checks
//! a recorder's agency and logs the read before anything is answered. The views are folded on
//! demand from the child's stream (`projection`), so they can never lag behind an append.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use domain::child::{ConsentStatus, ObligationKind};
use domain::level::{StatutoryBasis, Tier};
use domain::record::{ConsentPurpose, PlanKind};
use domain::registration::ChildDetails;
use domain::shapes::Person;
use projection::TimeFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::access::Action;
use crate::auth::Caller;
use crate::problem::{ApiError, ApiResult, ErrorKind, Problem};
use crate::routes::child::{self, etag, read_child};
use crate::state::AppState;
use crate::views;

/// A level with its name in the deployment's framework.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseLevel {
    #[schema(value_type = u8, minimum = 1, maximum = 4)]
    pub tier: Tier,
    /// The framework's name for the tier, e.g. "Early Help" or "Specialist/Statutory".
    pub name: String,
    /// `none`, `section_17` or `section_47`.
    #[schema(value_type = String)]
    pub statutory_basis: StatutoryBasis,
    /// When the child reached this level.
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenReferral {
    pub referral_id: Uuid,
    pub made_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenPlan {
    pub plan_id: Uuid,
    /// `family_support_plan`, `early_help_plan`, `child_in_need_plan` or
    /// `child_protection_plan`.
    #[schema(value_type = String)]
    pub kind: PlanKind,
    pub review_by: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceInPlace {
    pub service_id: Uuid,
    pub service: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentNow {
    pub consent_id: Uuid,
    /// What the consent is for (`consent_sought.purpose`).
    #[schema(value_type = Option<String>)]
    pub purpose: Option<ConsentPurpose>,
    /// `sought`, `given`, `refused`, `withdrawn` or `dispensed`.
    #[schema(value_type = String)]
    pub status: ConsentStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenDisagreement {
    pub disagreement_id: Uuid,
    pub stage: u8,
    pub about_event_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationOwed {
    /// `inform_referrer`, `inform_family`, `decide_referral` or `review_plan`.
    #[schema(value_type = String)]
    pub kind: ObligationKind,
    pub about_event_id: Uuid,
    pub due_by: DateTime<Utc>,
    /// Whether `due_by` has passed.
    pub overdue: bool,
}

/// The case now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Case {
    pub child_id: Uuid,
    /// The stream's sequence (also the `ETag`).
    pub sequence: u64,
    /// The child's details as registered and updated.
    #[schema(value_type = Object)]
    pub child: Option<ChildDetails>,
    pub level: CaseLevel,
    /// The framework the tier names come from.
    pub framework: String,
    #[schema(value_type = Option<Object>)]
    pub lead_worker: Option<Person>,
    pub open_referrals: Vec<OpenReferral>,
    pub open_plans: Vec<OpenPlan>,
    pub services: Vec<ServiceInPlace>,
    pub consent: Vec<ConsentNow>,
    pub open_disagreements: Vec<OpenDisagreement>,
    /// What is owed now, soonest first.
    pub obligations: Vec<ObligationOwed>,
    pub closed: bool,
}

/// The case now: identity, tier, lead worker, open plans and referrals, services, consent,
/// open disagreements, obligations owed, closed or not.
#[utoipa::path(get, path = "/v1/children/{child_id}", operation_id = "get_case", tag = "reading",
    params(("child_id" = Uuid, Path, description = "The child")),
    responses(
        (status = 200, description = "The case now", body = Case, headers(("ETag" = String, description = "The stream's sequence"))),
        child::NoStanding, child::NoSuchChild, child::NotLogged,
    ))]
pub async fn case(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    let read = read_child(&state, &caller, child_id, Action::ReadCase, "case".into()).await?;
    let child = read.child();
    let s = child.state();
    let level = s.current_level();
    let now = Utc::now();
    let case = Case {
        child_id,
        sequence: child.sequence(),
        child: s.details.clone(),
        level: CaseLevel {
            tier: level.tier,
            name: state.framework.tier_name(level.tier).to_owned(),
            statutory_basis: level.statutory_basis,
            since: s.level_since,
        },
        framework: state.framework.name().to_owned(),
        lead_worker: s.lead_worker.clone(),
        open_referrals: s
            .referrals
            .values()
            .filter(|r| r.decided.is_none())
            .map(|r| OpenReferral {
                referral_id: r.referral_id,
                made_at: r.made_at,
            })
            .collect(),
        open_plans: s
            .plans
            .values()
            .filter(|p| p.open)
            .map(|p| OpenPlan {
                plan_id: p.plan_id,
                kind: p.kind,
                review_by: p.review_by,
            })
            .collect(),
        services: s
            .services
            .values()
            .filter(|v| v.open)
            .map(|v| ServiceInPlace {
                service_id: v.service_id,
                service: v.service.clone(),
            })
            .collect(),
        consent: s
            .consents
            .values()
            .map(|c| ConsentNow {
                consent_id: c.consent_id,
                purpose: c.purpose,
                status: c.status,
            })
            .collect(),
        open_disagreements: s
            .disagreements
            .values()
            .filter(|d| d.open)
            .map(|d| OpenDisagreement {
                disagreement_id: d.disagreement_id,
                stage: d.stage,
                about_event_id: d.about_event_id,
            })
            .collect(),
        obligations: s
            .obligations()
            .into_iter()
            .map(|o| ObligationOwed {
                kind: o.kind,
                about_event_id: o.about_event_id,
                due_by: o.due_by,
                overdue: o.due_by < now,
            })
            .collect(),
        closed: s.closed,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(case.sequence)))
        .json(case))
}

/// The journey's time filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JourneyQuery {
    /// The journey as it stood at this time (by `occurred_at`), RFC 3339.
    pub as_of: Option<DateTime<FixedOffset>>,
    /// Only what had been recorded by this time (by `recorded_at`), RFC 3339.
    pub known_at: Option<DateTime<FixedOffset>>,
}

impl JourneyQuery {
    fn filter(&self) -> TimeFilter {
        TimeFilter {
            as_of: self.as_of.map(|t| t.with_timezone(&Utc)),
            known_at: self.known_at.map(|t| t.with_timezone(&Utc)),
        }
    }

    fn describe(&self) -> String {
        let mut what = String::from("journey");
        let mut sep = '?';
        for (name, t) in [("as_of", self.as_of), ("known_at", self.known_at)] {
            if let Some(t) = t {
                what.push(sep);
                what.push_str(&format!("{name}={}", t.to_rfc3339()));
                sep = '&';
            }
        }
        what
    }
}

/// The tier history as intervals and every record in order, corrections applied and linked.
#[utoipa::path(get, path = "/v1/children/{child_id}/journey", operation_id = "get_journey", tag = "reading",
    params(("child_id" = Uuid, Path, description = "The child"), JourneyQuery),
    responses(
        (status = 200, description = "The journey; with `Accept: text/html`, a page with a timeline of the levels and the records", content(
            (views::Journey = "application/json"),
            (String = "text/html"),
        )),
        (status = 303, description = "A browser (`Accept: text/html`, no `Authorization`) without a session is sent to `/signin?next=…` to sign in (docs/CONTRACT.md, \"People in a browser\")"),
        (status = 400, description = "A time filter is not RFC 3339", body = Problem, content_type = "application/problem+json"),
        child::NoStanding, child::NoSuchChild, child::NotLogged,
    ))]
pub async fn journey(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<JourneyQuery>,
) -> ApiResult<HttpResponse> {
    let person = caller.person.is_some();
    crate::pages::for_person(
        person,
        journey_answer(caller, state, req, path, query).await,
    )
}

async fn journey_answer(
    caller: Caller,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<JourneyQuery>,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    let html = crate::pages::wants_html(&req);
    let what = if html {
        format!("{} (page)", query.describe())
    } else {
        query.describe()
    };
    let read = read_child(&state, &caller, child_id, Action::ReadJourney, what).await?;
    // The whole journey in JSON is kept per child version and sight (`kept_journeys`): the read
    // above is authorised and logged either way.
    let keep = !html && query.filter() == TimeFilter::NONE;
    let sequence = read.child().sequence();
    if keep && let Some(json) = state.kept_journeys.get(child_id, sequence, &read.sight) {
        return Ok(json_answer(json));
    }
    let mut journey = projection::journey(read.events(), state.framework, query.filter());
    journey
        .records
        .retain(|r| read.sight.sees(&r.recorded_by, &r.record_type, &r.data));
    if !html {
        let json = Bytes::from(serde_json::to_vec(&journey).map_err(ApiError::internal)?);
        if keep {
            state
                .kept_journeys
                .keep(child_id, sequence, &read.sight, json.clone());
        }
        return Ok(json_answer(json));
    }
    let name = read
        .child()
        .state()
        .details
        .as_ref()
        .map(|d| format!("{} {}", d.given_name(), d.family_name()));
    let page = crate::pages::journey(
        &journey,
        &read.events_in_sight(),
        query.filter(),
        name,
        state.framework.title(),
    )?;
    Ok(crate::pages::answer(page, caller.person.as_ref()))
}

/// A JSON body already written, answered as `HttpResponse::json` would answer it.
fn json_answer(json: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(json)
}

/// Every record with who recorded it, through which token, corrections and retractions
/// linked; and every read of this child's record.
#[utoipa::path(get, path = "/v1/children/{child_id}/audit", operation_id = "get_audit", tag = "reading",
    params(("child_id" = Uuid, Path, description = "The child")),
    responses(
        (status = 200, description = "The audit trail", body = views::Audit),
        (status = 403, description = "Only auditors", body = Problem, content_type = "application/problem+json"),
        child::NoSuchChild, child::NotLogged,
    ))]
pub async fn audit(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    let read = read_child(&state, &caller, child_id, Action::ReadAudit, "audit".into()).await?;
    // Read after logging, so this read is in the answer too.
    let mut reads = state.store.reads(child_id).await?;
    // The fold orders reads by time, stably; ordered so here already, the two lists line up,
    // and each read by a person gains their name and session (the fold does not carry them).
    reads.sort_by_key(|r| r.at);
    let audit = projection::audit(read.events(), &reads);
    let mut body = serde_json::to_value(&audit).map_err(ApiError::internal)?;
    if let Some(listed) = body.get_mut("reads").and_then(|r| r.as_array_mut()) {
        for (shown, read) in listed.iter_mut().zip(&reads) {
            if let (Some(shown), Some(person)) = (shown.as_object_mut(), &read.person) {
                shown.insert("person".into(), person.clone().into());
                shown.insert(
                    "session_id".into(),
                    read.session_id.map(|s| s.to_string()).into(),
                );
            }
        }
    }
    Ok(HttpResponse::Ok().json(body))
}

/// The consent and information-sharing ledger.
#[utoipa::path(get, path = "/v1/children/{child_id}/consent", operation_id = "get_consent_ledger", tag = "reading",
    params(("child_id" = Uuid, Path, description = "The child")),
    responses(
        (status = 200, description = "The consent ledger", body = views::ConsentLedger),
        child::NoStanding, child::NoSuchChild, child::NotLogged,
    ))]
pub async fn consent(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    let read = read_child(
        &state,
        &caller,
        child_id,
        Action::ReadConsent,
        "consent".into(),
    )
    .await?;
    let mut ledger = projection::consent_ledger(read.events());
    // A recorder sees a consent's status (it is in the case summary too) but only its own
    // agency's records of it, and only the sharing records it made or was named in.
    let sees =
        |r: &projection::Record<'_>| read.sight.sees(&r.recorded_by, &r.record_type, &r.data);
    for c in &mut ledger.consents {
        c.history.retain(sees);
    }
    ledger.information_sharing.retain(sees);
    Ok(HttpResponse::Ok().json(ledger))
}

/// The raw stream's paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events after this sequence (0, the default, starts at the registration).
    pub after: Option<u64>,
    /// At most this many, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

/// The most events one page may hold.
pub const MAX_PAGE: u32 = 1000;

/// The raw stream, paged: `next_after` is the sequence to ask after for the next page.
#[utoipa::path(get, path = "/v1/children/{child_id}/events", operation_id = "get_events", tag = "reading",
    params(("child_id" = Uuid, Path, description = "The child"), EventsQuery),
    responses(
        (status = 200, description = "A page of the stream", body = views::RawEvents),
        (status = 400, description = "`limit` out of range", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Front door and auditors only", body = Problem, content_type = "application/problem+json"),
        child::NoSuchChild, child::NotLogged,
    ))]
pub async fn events(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: web::Query<EventsQuery>,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(100);
    let what = format!("events?after={after}&limit={limit}");
    // The role first: a token that may never read events hears that before any paging error.
    if let Err(e) = caller.may(Action::ReadEvents) {
        return Err(child::logged_refusal(&state, &caller, child_id, &what, e).await);
    }
    if !(1..=MAX_PAGE).contains(&limit) {
        let message = format!("limit is 1 to {MAX_PAGE}");
        return Err(ApiError::new(ErrorKind::InvalidParameter, message.clone())
            .with_field("limit", message));
    }
    let read = read_child(&state, &caller, child_id, Action::ReadEvents, what).await?;
    Ok(HttpResponse::Ok().json(projection::raw_events(read.events(), after, limit as usize)))
}
