//! People signing in and out: `/signin` (to the identity provider, or how to get a link),
//! `/signin/callback` (back from it), `/signin/link/{token}` (a link from the command line),
//! `/session` (who you are signed in as), `POST /signout`.
//!
//! These answer a browser with small HTML pages, not problems: a person reads them. They are
//! not in the OpenAPI document, which is the agency systems' contract.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Duration, Utc};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::access::{Action, Role};
use crate::auth;
use crate::oidc::{OidcError, Pending};
use crate::problem::{ApiError, ApiResult, ErrorKind};
use crate::session::{self, Identity, LinkError};
use crate::state::AppState;
use store::SigninGrant;

/// The sign-in pages' stylesheet; its hash is in the pages' `Content-Security-Policy`.
pub const STYLE: &str = "body{margin:0 auto;padding:2rem 1rem;max-width:40rem;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b}h1{font-size:1.6rem}code{font-size:.95em}a{color:#0b4f8a}.note{color:#4a4a4a}button{font:inherit;padding:.3rem .9rem}";

/// The cookie that ties a sign-in at the provider to the browser that started it, so a
/// callback URL with someone else's code and state cannot sign this browser in (login CSRF).
fn pending_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-caseline_signin"
    } else {
        "caseline_signin"
    }
}

/// HTML-escapes text for a page.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole sign-in page around `body` (HTML already escaped where it must be).
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>{} · Caseline</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n{body}\n</body>\n</html>\n",
        escape(title),
        escape(title)
    )
}

fn html(status: actix_web::http::StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page(title, body))
}

fn again(next: &str) -> String {
    format!(
        "<p><a href=\"{}\">Sign in again</a></p>",
        escape(&session::sign_in_location(next))
    )
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn callback_uri(state: &AppState) -> String {
    format!("{}/signin/callback", state.config.public_base())
}

/// `GET /signin`: to the identity provider, or, without one, how to get a link.
pub async fn start(
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> ApiResult<HttpResponse> {
    let next = session::safe_next(query.next.as_deref());
    let Some(oidc) = state.oidc.as_ref() else {
        return Ok(html(
            actix_web::http::StatusCode::OK,
            "Sign in",
            "<p>This Caseline has no identity provider configured. Ask an administrator for a sign-in link: they make one with</p>\n<p><code>caseline signin-link --role ROLE --agency AGENCY --name \"YOUR NAME\"</code></p>\n<p class=\"note\">A link works once, for ten minutes.</p>",
        ));
    };
    let (url, state_value, pending) = match oidc.start(&callback_uri(&state), next).await {
        Ok(started) => started,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in could not start");
            return Ok(html(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "Sign-in is not available",
                &format!("<p>{}. Try again in a minute.</p>", escape(&e.to_string())),
            ));
        }
    };
    let payload = serde_json::to_string(&pending).map_err(ApiError::internal)?;
    state
        .store
        .create_grant(SigninGrant {
            secret_hash: auth::hash_secret(&state_value),
            purpose: "oidc".to_owned(),
            payload,
            expires_at: Utc::now() + Duration::minutes(session::LINK_MINUTES),
        })
        .await?;
    let secure = state.config.secure_cookies();
    let cookie = format!(
        "{}={state_value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600{}",
        pending_cookie(secure),
        if secure { "; Secure" } else { "" }
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url))
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /signin/callback`: back from the identity provider.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Callback>,
) -> ApiResult<HttpResponse> {
    use actix_web::http::StatusCode;
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(ApiError::new(
            ErrorKind::NotFound,
            "there is no identity provider configured",
        ));
    };
    if let Some(error) = &query.error {
        return Ok(html(
            StatusCode::BAD_REQUEST,
            "You are not signed in",
            &format!(
                "<p>The identity provider did not sign you in ({}).</p>{}",
                escape(error),
                again(session::LANDING)
            ),
        ));
    }
    let secure = state.config.secure_cookies();
    let (Some(code), Some(state_value)) = (query.code.as_deref(), query.state.as_deref()) else {
        return Ok(html(
            StatusCode::BAD_REQUEST,
            "You are not signed in",
            &format!(
                "<p>The identity provider sent you back without a code.</p>{}",
                again(session::LANDING)
            ),
        ));
    };
    let started_here = session::cookie(&req, pending_cookie(secure))
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(state_value.as_bytes())));
    let grant = state
        .store
        .take_grant(&auth::hash_secret(state_value))
        .await?;
    let pending: Option<Pending> = grant
        .filter(|g| g.purpose == "oidc" && g.expires_at > Utc::now())
        .and_then(|g| serde_json::from_str(&g.payload).ok());
    let (true, Some(pending)) = (started_here, pending) else {
        return Ok(html(
            StatusCode::BAD_REQUEST,
            "You are not signed in",
            &format!(
                "<p>This sign-in was not started in this browser, was finished already, or took longer than ten minutes.</p>{}",
                again(session::LANDING)
            ),
        ));
    };
    let identity = match oidc.finish(code, &pending, &callback_uri(&state)).await {
        Ok(identity) => identity,
        Err(e @ OidcError::NoRole { .. }) => {
            tracing::info!(error = %e, "signed in at the provider without a role here");
            return Ok(html(
                StatusCode::FORBIDDEN,
                "No access to Caseline",
                &format!("<p>{}.</p>", escape(&e.to_string())),
            ));
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in could not finish");
            return Ok(html(
                StatusCode::BAD_GATEWAY,
                "You are not signed in",
                &format!("<p>{}.</p>{}", escape(&e.to_string()), again(&pending.next)),
            ));
        }
    };
    let mut res = sign_in(&state, &req, &identity, "oidc", &pending.next).await?;
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        pending_cookie(secure),
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = header::HeaderValue::from_str(&clear) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// `GET /signin/link/{token}`: a single-use link from `caseline signin-link`.
pub async fn link(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<NextQuery>,
) -> ApiResult<HttpResponse> {
    let next = session::safe_next(query.next.as_deref());
    match session::take_link(state.store.as_ref(), &path.into_inner()).await {
        Ok(identity) => sign_in(&state, &req, &identity, "link", &next).await,
        Err(LinkError::NotValid) => {
            // As for a bad token, a guesser's failures are counted against its address.
            if let Some(peer) = req.peer_addr() {
                state.limiter.check_failure(peer.ip())?;
            }
            Ok(html(
                actix_web::http::StatusCode::GONE,
                "This link does not sign you in",
                &format!("<p>{}.</p>", escape(&LinkError::NotValid.to_string())),
            ))
        }
        Err(LinkError::Store(e)) => Err(e.into()),
    }
}

/// Opens a session (ending any the browser had) and sends the browser on to `next`.
async fn sign_in(
    state: &AppState,
    req: &HttpRequest,
    identity: &Identity,
    via: &str,
    next: &str,
) -> ApiResult<HttpResponse> {
    if let Some(old) = session::current(req, state).await? {
        state.store.delete_session(old.id).await?;
    }
    let (_, secret) = session::open(state, identity, via).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .insert_header((
            header::SET_COOKIE,
            session::set_cookie(&state.config, &secret),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The sign-out form, with this session's CSRF token.
pub fn sign_out_form(csrf: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
        escape(csrf)
    )
}

/// `GET /session`: who you are signed in as, what you may open, and the sign-out button.
pub async fn landing(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let Some(s) = session::current(&req, &state).await? else {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                session::sign_in_location(session::LANDING),
            ))
            .finish());
    };
    let role: Option<Role> = s.role.parse().ok();
    let report = role
        .filter(|r| crate::access::scope(*r, Action::ReadInspectionReport).is_some())
        .map_or(
            "",
            |_| "<li><a href=\"/v1/reports/inspection\">The inspection report</a></li>",
        );
    let journey = role
        .filter(|r| crate::access::scope(*r, Action::ReadJourney).is_some())
        .map_or("", |_| "<li>A child's journey: <code>/v1/children/CHILD_ID/journey</code>, from a link you were sent</li>");
    let body = format!(
        "<p>You are signed in as <strong>{}</strong>, {} for <code>{}</code>, until {} at the latest.</p>\n<ul>{report}{journey}</ul>\n{}\n<p class=\"note\">Every page you open is recorded under your name.</p>",
        escape(&s.name),
        escape(&s.role),
        escape(&s.agency),
        s.expires_at.format("%H:%M UTC on %-d %B %Y"),
        sign_out_form(&s.csrf_token)
    );
    Ok(html(actix_web::http::StatusCode::OK, "Caseline", &body))
}

/// `POST /signout`: ends the session, if the form carries its CSRF token.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let signed_out = |state: &AppState| {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::SET_COOKIE, session::clear_cookie(&state.config)))
            .body(page(
                "You are signed out",
                &format!(
                    "<p>Your session has ended; its cookie no longer opens any page.</p>{}",
                    again(session::LANDING)
                ),
            ))
    };
    let Some(s) = session::current(&req, &state).await? else {
        return Ok(signed_out(&state));
    };
    let csrf = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !session::csrf_matches(&s, &csrf) {
        return Err(ApiError::new(
            ErrorKind::Forbidden,
            "the form's CSRF token is missing or not this session's: sign out from a Caseline page",
        )
        .with_field("csrf", "must be the token of the form Caseline served"));
    }
    state.store.delete_session(s.id).await?;
    tracing::info!(session_id = %s.id, person = %s.name, "signed out");
    Ok(signed_out(&state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
