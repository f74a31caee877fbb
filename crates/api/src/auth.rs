//! Bearer tokens: how they are made, stored (a SHA-256 hash only) and checked.
//!
//! The [`Caller`] extractor authenticates every request that needs it: it hashes the presented
//! secret, looks the hash up in the store (after the request arrived: on the request's own
//! thread with SQLite, in one read shared by requests arriving together with PostgreSQL,
//! `token_checks`), compares in constant time, refuses a
//! revoked token at once (no cache to go stale), and counts the request against the token's
//! rate limit.
//! A revoked token and an unknown one get the very same answer, so a guesser cannot tell a
//! secret that once worked from one that never did. A request that fails to authenticate
//! counts against its client address's budget of failures (`rate_limit`), so guessing is slow.
//! What the caller may then do is `access`'s business, not this module's.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::access::{self, Action, Role, Scope};
use crate::problem::{ApiError, ErrorKind};
use crate::state::AppState;
use store::{EventStore, TokenRecord};

/// An authenticated caller: an agency system with a token, or a person in a browser with a
/// session (`session`), who may only open the pages.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token, for a caller with one.
    pub token_id: Option<Uuid>,
    /// The person and their session, for a caller signed in through a browser.
    pub person: Option<crate::session::Person>,
    pub agency: String,
    pub role: Role,
}

impl Caller {
    /// The read log's entry for a read by this caller now: its token, or the person and
    /// session of a browser.
    pub fn read_log_entry(&self, child_id: Uuid, what: String) -> store::ReadLogEntry {
        store::ReadLogEntry {
            child_id,
            at: chrono::Utc::now(),
            token_id: self.token_id,
            agency: self.agency.clone(),
            role: self.role.as_str().to_owned(),
            what,
            person: self.person.as_ref().map(|p| p.name.clone()),
            session_id: self.person.as_ref().map(|p| p.session_id),
        }
    }

    /// The caller as the use cases see it.
    pub fn actor(&self) -> casework::Actor {
        casework::Actor {
            role: self.role,
            agency: self.agency.clone(),
            token_id: self.token_id,
        }
    }

    /// Asks the role table; see `access`.
    pub fn may(&self, action: Action) -> Result<Scope, ApiError> {
        access::authorize(self.role, action)
    }
}

/// The prefix of every secret, so one found in a log or a repository is recognisable.
pub const SECRET_PREFIX: &str = "cl_";

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret: 32 bytes from the OS generator, base64url.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Why a token could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("unknown role {0:?}: one of recorder, front_door, auditor, inspector, admin")]
    UnknownRole(String),
    #[error("an agency is written kind:name in lower case, e.g. school:norwich-high, not {0:?}")]
    BadAgency(String),
    #[error("a token's name must be 1 to 200 characters")]
    BadName,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Checks an agency's spelling: `kind:name`, lower-case letters, digits, `-`, `_`, `.`.
pub fn valid_agency(agency: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
    };
    agency.len() <= 200 && matches!(agency.split_once(':'), Some((k, n)) if ok(k) && ok(n))
}

/// Creates a token and returns its record and its secret; the secret is never stored.
pub async fn create_token(
    store: &dyn EventStore,
    agency: &str,
    role: &str,
    name: &str,
) -> Result<(TokenRecord, String), TokenError> {
    let role: Role = role
        .parse()
        .map_err(|_| TokenError::UnknownRole(role.to_owned()))?;
    if !valid_agency(agency) {
        return Err(TokenError::BadAgency(agency.to_owned()));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(TokenError::BadName);
    }
    let secret = new_secret();
    let record = TokenRecord {
        id: Uuid::new_v4(),
        agency: agency.to_owned(),
        role: role.as_str().to_owned(),
        name: name.to_owned(),
        secret_hash: hash_secret(&secret),
        created_at: Utc::now(),
        revoked_at: None,
    };
    store.create_token(record.clone()).await?;
    Ok((record, secret))
}

fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(ErrorKind::Unauthenticated, detail)
}

/// The one answer for a well-formed token that does not let the caller in, whether it never
/// existed or was revoked.
const NOT_VALID: &str = "this token is not known, or is no longer valid";

async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::new(ErrorKind::Internal, "application state missing"))?
        .clone();
    match check(&req, &state).await {
        Err(e) if e.kind() == ErrorKind::Unauthenticated => {
            // Behind a proxy every client has the proxy's address; the budget is then the
            // proxy's, which still slows a guesser down (docs/OPERATIONS.md).
            if let Some(peer) = req.peer_addr() {
                state.limiter.check_failure(peer.ip())?;
            }
            Err(e)
        }
        other => other,
    }
}

async fn check(req: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    if crate::session::page_request(req) {
        let caller = crate::session::caller(req, state).await?;
        req.extensions_mut().insert(caller.clone());
        return Ok(caller);
    }
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthenticated("send Authorization: Bearer <token>"))?;
    let value = header
        .to_str()
        .map_err(|_| unauthenticated("the Authorization header is not readable text"))?;
    let secret = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unauthenticated("the Authorization header must be Bearer <token>"))?;
    let presented = hash_secret(secret);
    let record = state
        .token_checks
        .token(presented.clone())
        .await?
        .ok_or_else(|| unauthenticated(NOT_VALID))?;
    // The lookup already matched on the hash; comparing again in constant time keeps a
    // backend whose index compares early-out from leaking how much of a guess was right.
    if !bool::from(record.secret_hash.as_bytes().ct_eq(presented.as_bytes())) {
        return Err(unauthenticated(NOT_VALID));
    }
    if record.revoked_at.is_some() {
        return Err(unauthenticated(NOT_VALID));
    }
    let role: Role = record
        .role
        .parse()
        .map_err(|_| ApiError::new(ErrorKind::Internal, "stored token has an unknown role"))?;
    state.limiter.check(record.id)?;
    let caller = Caller {
        token_id: Some(record.id),
        person: None,
        agency: record.agency,
        role,
    };
    // The request log line names the token, so a request can be traced to an agency system.
    req.extensions_mut().insert(caller.clone());
    Ok(caller)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agencies_are_kind_colon_name() {
        assert!(valid_agency("school:norwich-high"));
        assert!(valid_agency("front_door:norfolk-mash"));
        assert!(!valid_agency("school"));
        assert!(!valid_agency("School:X"));
        assert!(!valid_agency(":x"));
    }

    #[test]
    fn secrets_differ_and_hash_to_hex() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
