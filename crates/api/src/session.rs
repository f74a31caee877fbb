//! People's browser sessions: the cookie, its expiry, the CSRF token every form carries, and
//! the single-use sign-in links `caseline signin-link` prints.
//!
//! A session is a row in the store holding only a hash of the cookie's secret (a stolen
//! backup opens no session), the person's name, role and agency, and when it was made and
//! last used. The cookie authorises only the pages (a `GET` that asks for HTML on a page
//! route, [`page_request`]); the JSON API keeps bearer tokens, so no cookie can make the API
//! write anything on a person's behalf. A person who opens a page without a session is sent
//! to sign in, and back to the page afterwards (only ever to a local path: [`safe_next`]).
//!
//! What it deliberately does not do: talk to the identity provider (`oidc`), or decide what
//! the person may read (`access`, as for a token).

use actix_web::HttpRequest;
use actix_web::http::{Method, header};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::access::Role;
use crate::auth::{self, Caller, TokenError};
use crate::config::Config;
use crate::problem::{ApiError, ErrorKind};
use crate::state::AppState;
use store::{EventStore, SessionRecord, SigninGrant};

/// The cookie's name over plain HTTP on a loopback listener.
pub const COOKIE: &str = "caseline_session";
/// The cookie's name everywhere else: the `__Host-` prefix makes browsers refuse it unless it
/// is `Secure`, for this host only and for every path, so a sibling subdomain cannot plant one.
pub const SECURE_COOKIE: &str = "__Host-caseline_session";
/// How long a sign-in link can be used.
pub const LINK_MINUTES: i64 = 10;
/// Where a person lands after signing in when no page was asked for.
pub const LANDING: &str = "/session";

/// The routes whose pages a session may open: the journey and the inspection report.
const PAGE_ROUTES: [&str; 2] = ["/v1/children/{child_id}/journey", "/v1/reports/inspection"];

/// The person behind a session-authenticated request.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    /// The session's public id, as the read log records it.
    pub session_id: Uuid,
    /// The token this session's forms carry.
    pub csrf_token: String,
}

/// Who a new session is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub role: String,
    pub agency: String,
    pub name: String,
}

impl Identity {
    /// Checks role, agency and name as a token's are checked.
    pub fn new(role: &str, agency: &str, name: &str) -> Result<Identity, TokenError> {
        let role: Role = role
            .parse()
            .map_err(|_| TokenError::UnknownRole(role.to_owned()))?;
        if !auth::valid_agency(agency) {
            return Err(TokenError::BadAgency(agency.to_owned()));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(TokenError::BadName);
        }
        Ok(Identity {
            role: role.as_str().to_owned(),
            agency: agency.to_owned(),
            name: name.to_owned(),
        })
    }
}

/// The cookie's name for this deployment.
pub fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies() {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// Writes a single-use sign-in link's grant and returns the link's secret (to be put in
/// `/signin/link/<secret>`); only its hash is kept.
pub async fn create_link(
    store: &dyn EventStore,
    identity: &Identity,
    now: DateTime<Utc>,
) -> Result<String, TokenError> {
    let secret = auth::new_secret();
    let payload = serde_json::to_string(identity).map_err(|e| {
        TokenError::Store(store::StoreError::new(
            store::StoreErrorKind::Corrupt,
            format!("a sign-in link could not be written: {e}"),
        ))
    })?;
    store
        .create_grant(SigninGrant {
            secret_hash: auth::hash_secret(&secret),
            purpose: "link".to_owned(),
            payload,
            expires_at: now + Duration::minutes(LINK_MINUTES),
        })
        .await?;
    Ok(secret)
}

/// Why a sign-in link did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this sign-in link is not known, was used already, or has expired: ask for a new one")]
    NotValid,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Takes a link's grant: at most once, and only within its ten minutes.
pub async fn take_link(store: &dyn EventStore, secret: &str) -> Result<Identity, LinkError> {
    let grant = store
        .take_grant(&auth::hash_secret(secret))
        .await?
        .ok_or(LinkError::NotValid)?;
    if grant.purpose != "link" || grant.expires_at <= Utc::now() {
        return Err(LinkError::NotValid);
    }
    serde_json::from_str(&grant.payload).map_err(|_| LinkError::NotValid)
}

/// Opens a new session for `identity` and returns the cookie's secret. Always a new id and
/// secret, whatever the browser had before, so a session planted before sign-in (fixation)
/// never becomes a signed-in one.
pub async fn open(
    state: &AppState,
    identity: &Identity,
    via: &str,
) -> Result<(SessionRecord, String), ApiError> {
    let now = Utc::now();
    let secret = auth::new_secret();
    let record = SessionRecord {
        id: Uuid::new_v4(),
        secret_hash: auth::hash_secret(&secret),
        csrf_token: auth::new_secret(),
        role: identity.role.clone(),
        agency: identity.agency.clone(),
        name: identity.name.clone(),
        via: via.to_owned(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + seconds(state.config.session_max_secs),
    };
    state.store.create_session(record.clone()).await?;
    tracing::info!(session_id = %record.id, person = %record.name, role = %record.role, agency = %record.agency, via, "signed in");
    Ok((record, secret))
}

fn seconds(secs: u64) -> Duration {
    Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
}

/// The `Set-Cookie` value that hands the browser its session.
pub fn set_cookie(config: &Config, secret: &str) -> String {
    // No Max-Age: the cookie goes when the browser closes; the server's expiry is what counts.
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Lax{secure}",
        cookie_name(config)
    )
}

/// The `Set-Cookie` value that removes it.
pub fn clear_cookie(config: &Config) -> String {
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        cookie_name(config)
    )
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The session the request's cookie names, if it is still good: not past its absolute expiry
/// and used within the idle time. An expired one is deleted on the way.
pub async fn current(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<SessionRecord>, ApiError> {
    let Some(secret) = cookie(req, cookie_name(&state.config)) else {
        return Ok(None);
    };
    let presented = auth::hash_secret(secret);
    let Some(session) = state.store.session_by_secret_hash(&presented).await? else {
        return Ok(None);
    };
    // As for tokens: the lookup matched on the hash; compare again in constant time.
    if !bool::from(session.secret_hash.as_bytes().ct_eq(presented.as_bytes())) {
        return Ok(None);
    }
    let now = Utc::now();
    let idle = now - session.last_seen_at >= seconds(state.config.session_idle_secs);
    if now >= session.expires_at || idle {
        state.store.delete_session(session.id).await?;
        tracing::info!(session_id = %session.id, idle, "session expired");
        return Ok(None);
    }
    state.store.touch_session(session.id, now).await?;
    Ok(Some(session))
}

/// Whether a session may authenticate this request: a `GET` (or `HEAD`) asking for HTML on
/// one of the page routes, with no `Authorization` header (a token, when sent, decides).
pub fn page_request(req: &HttpRequest) -> bool {
    (req.method() == Method::GET || req.method() == Method::HEAD)
        && req.headers().get(header::AUTHORIZATION).is_none()
        && req
            .match_pattern()
            .is_some_and(|p| PAGE_ROUTES.contains(&p.as_str()))
        && crate::pages::wants_html(req)
}

/// Authenticates a page request by its session; without one, the answer sends the browser to
/// sign in and come back here.
pub async fn caller(req: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    let Some(session) = current(req, state).await? else {
        let here = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => req.path().to_owned(),
        };
        return Err(
            ApiError::new(ErrorKind::Unauthenticated, "sign in to open this page")
                .with_sign_in(sign_in_location(&here)),
        );
    };
    let role: Role = session
        .role
        .parse()
        .map_err(|_| ApiError::new(ErrorKind::Internal, "stored session has an unknown role"))?;
    // A person's pages count against a budget of their own, as a token's requests do.
    state.limiter.check(session.id)?;
    Ok(Caller {
        token_id: None,
        person: Some(Person {
            name: session.name,
            session_id: session.id,
            csrf_token: session.csrf_token,
        }),
        agency: session.agency,
        role,
    })
}

/// `/signin?next=…` for a page.
pub fn sign_in_location(next: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .finish();
    format!("/signin?{query}")
}

/// Where to go after signing in: `next` if it is a path on this server, else the landing page.
/// Only a single leading `/` followed by something other than `/` or `\` is local: `//host`
/// and `/\host` are read by browsers as another site, and a scheme (`https:`) is another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= 2000
                && n.is_ascii()
                && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n.to_owned()
        }
        _ => LANDING.to_owned(),
    }
}

/// Whether a form's CSRF token is this session's, compared in constant time.
pub fn csrf_matches(session: &SessionRecord, presented: &str) -> bool {
    !presented.is_empty() && bool::from(session.csrf_token.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/v1/reports/inspection?from=2026-01-01")),
            "/v1/reports/inspection?from=2026-01-01"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "evil.example",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x=1",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), LANDING, "{bad:?}");
        }
        assert_eq!(safe_next(None), LANDING);
    }

    #[test]
    fn a_sign_in_location_carries_the_page() {
        assert_eq!(
            sign_in_location("/v1/children/x/journey?as_of=a&b=c"),
            "/signin?next=%2Fv1%2Fchildren%2Fx%2Fjourney%3Fas_of%3Da%26b%3Dc"
        );
    }

    #[tokio::test]
    async fn a_link_opens_once_and_only_within_its_ten_minutes() {
        let dir = std::env::temp_dir().join(format!("caseline-link-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = store::sqlite::Sqlite::open(dir.join("caseline.db")).unwrap();
        let who = Identity::new("auditor", "council:audit", "Ann").unwrap();

        let fresh = create_link(&store, &who, Utc::now()).await.unwrap();
        assert_eq!(take_link(&store, &fresh).await.unwrap().name, "Ann");
        assert!(matches!(
            take_link(&store, &fresh).await,
            Err(LinkError::NotValid)
        ));

        let stale = create_link(
            &store,
            &who,
            Utc::now() - Duration::minutes(LINK_MINUTES + 1),
        )
        .await
        .unwrap();
        assert!(matches!(
            take_link(&store, &stale).await,
            Err(LinkError::NotValid)
        ));
        assert!(matches!(
            take_link(&store, "cl_never-made").await,
            Err(LinkError::NotValid)
        ));
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn identities_are_checked_like_tokens() {
        assert!(Identity::new("auditor", "council:norfolk", "Ann").is_ok());
        assert!(Identity::new("boss", "council:norfolk", "Ann").is_err());
        assert!(Identity::new("auditor", "Norfolk", "Ann").is_err());
        assert!(Identity::new("auditor", "council:norfolk", " ").is_err());
    }
}
