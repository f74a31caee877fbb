//! The server's configuration: what `caseline serve` reads from flags and `CASELINE_*`
//! variables, and what the tests build by hand.
//!
//! Plain data with defaults; parsing flags is the binary's job, not this module's.

use std::net::SocketAddr;

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; port 0 picks a free one (the tests do).
    pub listen: SocketAddr,
    /// The event store URL (`sqlite://…`, `postgres://…`, `kurrentdb://…`).
    pub store_url: String,
    /// The threshold framework's name: `norfolk` or `staffordshire`.
    pub framework: String,
    /// Requests a token may make per second, sustained.
    pub rate_per_second: u32,
    /// Requests a token may make at once before the sustained rate applies.
    pub rate_burst: u32,
    /// Failed authentications a client address may make at once, then at
    /// `auth_failures_per_minute`; beyond that a 429.
    pub auth_failure_burst: u32,
    pub auth_failures_per_minute: u32,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The most records in one batch.
    pub batch_limit: usize,
    /// How many HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// How long a graceful shutdown waits for in-flight requests, in seconds.
    pub shutdown_timeout_secs: u64,
    /// How many events' worth of folded children to keep in memory (least recently used go
    /// first); a child's fold costs roughly 2-3 KB an event.
    pub child_cache_events: usize,
    /// How many bytes of journeys' JSON to keep for reading again (`kept_journeys`); 0 keeps
    /// none.
    pub kept_journeys_bytes: usize,
    /// The most connections held open at once (clamped below the open-files limit).
    pub max_connections: usize,
    /// How long a new connection may take to send its first request's head, in ms.
    pub request_head_timeout_ms: u64,
    /// How long an idle kept-alive connection is held between requests, in seconds.
    pub keep_alive_secs: u64,
    /// How long a cross-child read waits for the read model to reflect what it must, in ms,
    /// before it answers 503 with `Retry-After`.
    pub read_wait_ms: u64,
    /// Where the inspection report's pseudonym key comes from (never the store).
    pub pseudonym_key: crate::pseudonym_key::KeySource,
    /// The address people's browsers reach this server at, e.g. `https://caseline.council.gov.uk`
    /// (the identity provider sends them back to it); `http://<listen>` when not given.
    pub public_url: Option<String>,
    /// A browser session ends after this long without a page being opened, in seconds.
    pub session_idle_secs: u64,
    /// A browser session ends this long after sign-in, however busy, in seconds.
    pub session_max_secs: u64,
    /// The council's identity provider; without one, people sign in with links from
    /// `caseline signin-link`.
    pub oidc: Option<OidcConfig>,
    /// The council's three-digit DfE LA code, for the census header (`--la-code`); the census
    /// route answers 503 without it.
    pub la_code: Option<String>,
    /// The software code the census header names (`--software-code`).
    pub software_code: String,
}

/// An OpenID Connect provider people sign in with (authorization code with PKCE).
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer URL; its `/.well-known/openid-configuration` names everything else.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The claim whose values (a string or a list of strings) are mapped to a role and agency.
    pub role_claim: String,
    /// Claim value to role and agency, in order: the first value the person holds wins.
    pub map: Vec<ClaimMapping>,
    /// The scopes asked for; `openid` is always among them.
    pub scopes: String,
}

/// One row of the claim mapping: `GROUP=ROLE:AGENCY`, e.g.
/// `caseline-auditors=auditor:council:norfolk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    pub value: String,
    pub role: String,
    pub agency: String,
}

impl std::str::FromStr for ClaimMapping {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "{s:?} is not GROUP=ROLE:AGENCY, e.g. caseline-auditors=auditor:council:norfolk"
            )
        };
        // The last `=`: a role and an agency never hold one, a group's name might.
        let (value, rest) = s.rsplit_once('=').ok_or_else(bad)?;
        let (role, agency) = rest.split_once(':').ok_or_else(bad)?;
        if value.is_empty() {
            return Err(bad());
        }
        role.parse::<crate::access::Role>()
            .map_err(|_| format!("{s:?}: unknown role {role:?}: one of recorder, front_door, auditor, inspector, admin"))?;
        if !crate::auth::valid_agency(agency) {
            return Err(format!(
                "{s:?}: an agency is written kind:name in lower case, e.g. council:norfolk"
            ));
        }
        Ok(ClaimMapping {
            value: value.to_owned(),
            role: role.to_owned(),
            agency: agency.to_owned(),
        })
    }
}

impl Config {
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";
    pub const DEFAULT_STORE: &'static str = "sqlite://./data/caseline.db";
    pub const DEFAULT_FRAMEWORK: &'static str = "norfolk";
    /// 1 MiB, as docs/CONTRACT.md says.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
    pub const DEFAULT_BATCH_LIMIT: usize = 500;
    /// Generous: an agency system catching up a day's records should not hit it.
    pub const DEFAULT_RATE_PER_SECOND: u32 = 200;
    pub const DEFAULT_RATE_BURST: u32 = 400;
    /// About 250-300 MB of folded children.
    pub const DEFAULT_CHILD_CACHE_EVENTS: usize = 100_000;
    /// 64 MiB: about a hundred 1,000-record journeys.
    pub const DEFAULT_KEPT_JOURNEYS_BYTES: usize = 64 * 1024 * 1024;
    /// Enough for a misconfigured system to show its 401s plainly, far too few to guess a
    /// token (2^256 secrets).
    pub const DEFAULT_AUTH_FAILURE_BURST: u32 = 30;
    pub const DEFAULT_AUTH_FAILURES_PER_MINUTE: u32 = 30;
    /// Far more agency systems and browsers than a council has, far fewer than a default
    /// open-files limit of 1,024 would let idle connections exhaust once raised.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
    /// A client that connects and sends nothing for this long is dropped.
    pub const DEFAULT_REQUEST_HEAD_TIMEOUT_MS: u64 = 5000;
    pub const DEFAULT_KEEP_ALIVE_SECS: u64 = 15;
    /// The follower applies an append within milliseconds; seconds mean it is stuck.
    pub const DEFAULT_READ_WAIT_MS: u64 = 5000;
    /// Half an hour without opening a page.
    pub const DEFAULT_SESSION_IDLE_SECS: u64 = 30 * 60;
    /// A working day.
    pub const DEFAULT_SESSION_MAX_SECS: u64 = 12 * 60 * 60;

    /// Where browsers reach this server, without a trailing slash.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Whether the session cookie is marked `Secure`: always, unless browsers reach a
    /// loopback listener over plain HTTP (a developer's machine, the demo, the tests), where
    /// a `Secure` cookie would never be sent back.
    pub fn secure_cookies(&self) -> bool {
        let plain = self.public_base().starts_with("http://");
        !(plain && self.listen.ip().is_loopback())
    }
    /// The census header's software code when none is configured.
    pub const DEFAULT_SOFTWARE_CODE: &'static str = "Caseline";

    /// A configuration with every default but the store.
    pub fn new(store_url: impl Into<String>) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            store_url: store_url.into(),
            framework: Self::DEFAULT_FRAMEWORK.to_owned(),
            rate_per_second: Self::DEFAULT_RATE_PER_SECOND,
            rate_burst: Self::DEFAULT_RATE_BURST,
            auth_failure_burst: Self::DEFAULT_AUTH_FAILURE_BURST,
            auth_failures_per_minute: Self::DEFAULT_AUTH_FAILURES_PER_MINUTE,
            body_limit: Self::DEFAULT_BODY_LIMIT,
            batch_limit: Self::DEFAULT_BATCH_LIMIT,
            workers: 0,
            shutdown_timeout_secs: 30,
            child_cache_events: Self::DEFAULT_CHILD_CACHE_EVENTS,
            kept_journeys_bytes: Self::DEFAULT_KEPT_JOURNEYS_BYTES,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            request_head_timeout_ms: Self::DEFAULT_REQUEST_HEAD_TIMEOUT_MS,
            keep_alive_secs: Self::DEFAULT_KEEP_ALIVE_SECS,
            read_wait_ms: Self::DEFAULT_READ_WAIT_MS,
            pseudonym_key: crate::pseudonym_key::KeySource::default(),
            public_url: None,
            session_idle_secs: Self::DEFAULT_SESSION_IDLE_SECS,
            session_max_secs: Self::DEFAULT_SESSION_MAX_SECS,
            oidc: None,
            la_code: None,
            software_code: Self::DEFAULT_SOFTWARE_CODE.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_mapping_is_value_equals_role_colon_agency() {
        let m: ClaimMapping = "cn=auditors=auditor:council:norfolk".parse().unwrap();
        assert_eq!(
            (m.value.as_str(), m.role.as_str(), m.agency.as_str()),
            ("cn=auditors", "auditor", "council:norfolk")
        );
        for bad in [
            "auditors",
            "=auditor:council:norfolk",
            "auditors=boss:council:norfolk",
            "auditors=auditor:Norfolk",
            "auditors=auditor",
        ] {
            assert!(bad.parse::<ClaimMapping>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cookies_are_secure_but_on_plain_loopback() {
        let mut c = Config::new("sqlite://x");
        assert!(!c.secure_cookies());
        c.public_url = Some("https://caseline.example".into());
        assert!(c.secure_cookies());
        c.public_url = None;
        c.listen = SocketAddr::from(([0, 0, 0, 0], 8080));
        assert!(c.secure_cookies());
    }
}
