//! Signing people in with the council's identity provider: OpenID Connect, authorization code
//! with PKCE (S256), `state` and `nonce` checked, the ID token's signature checked against the
//! issuer's published keys, everything else learnt from `/.well-known/openid-configuration`.
//!
//! The provider is asked nothing until the first person signs in, so the server starts (and the
//! API serves agency systems) while the provider is down. Its metadata and keys are then kept,
//! and the keys fetched again once when a token names a key not yet seen (the provider rotated).
//!
//! What it deliberately does not do: keep sessions (`session`), or trust anything from the
//! browser but the code and the state it brings back.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use crate::config::OidcConfig;
use crate::session::Identity;

/// Why a sign-in at the provider did not give a person a role.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be asked ({0})")]
    Unreachable(String),
    #[error("the identity provider answered in a way that cannot be used ({0})")]
    BadAnswer(String),
    #[error("the identity provider's ID token was not accepted ({0})")]
    BadIdToken(String),
    #[error(
        "your account holds none of the {claim:?} values this council maps to a role in Caseline; ask its administrators"
    )]
    NoRole { claim: String },
}

/// What the provider publishes and this server uses.
#[derive(Debug, Clone, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

#[derive(Debug)]
struct Discovered {
    metadata: Metadata,
    keys: JwkSet,
}

/// A sign-in under way, kept (as a single-use grant, by the hash of its `state`) between
/// sending the browser to the provider and its coming back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub verifier: String,
    pub nonce: String,
    pub next: String,
}

/// The client: the configuration, an HTTP client, and what discovery found.
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Result<Oidc, OidcError> {
        let http = reqwest::Client::builder()
            // The provider's answers are small and near; a hung provider must not hold a
            // worker for long.
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        Ok(Oidc {
            config,
            http,
            discovered: RwLock::new(None),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let res = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(format!("{url}: {e}")))?;
        if !res.status().is_success() {
            return Err(OidcError::BadAnswer(format!("{url}: {}", res.status())));
        }
        res.json()
            .await
            .map_err(|e| OidcError::BadAnswer(format!("{url}: {e}")))
    }

    /// The provider's metadata and keys; fetched on first use, and again when `refresh` (a
    /// token named a key not in the set).
    async fn discovered(&self, refresh: bool) -> Result<Arc<Discovered>, OidcError> {
        if !refresh && let Some(d) = self.discovered.read().await.as_ref() {
            return Ok(d.clone());
        }
        let issuer = self.config.issuer.trim_end_matches('/');
        let metadata: Metadata = self
            .get_json(&format!("{issuer}/.well-known/openid-configuration"))
            .await?;
        // The issuer must call itself what it was configured as (OpenID Connect Discovery
        // 4.3), or another provider's metadata could stand in for it.
        if metadata.issuer.trim_end_matches('/') != issuer {
            return Err(OidcError::BadAnswer(format!(
                "the metadata names issuer {:?}, not the configured {issuer:?}",
                metadata.issuer
            )));
        }
        let keys: JwkSet = self.get_json(&metadata.jwks_uri).await?;
        let d = Arc::new(Discovered { metadata, keys });
        *self.discovered.write().await = Some(d.clone());
        Ok(d)
    }

    /// Where to send the browser, and what to keep until it comes back: `(url, state, pending)`.
    pub async fn start(
        &self,
        redirect_uri: &str,
        next: String,
    ) -> Result<(String, String, Pending), OidcError> {
        let d = self.discovered(false).await?;
        let state = random();
        let pending = Pending {
            verifier: random(),
            nonce: random(),
            next,
        };
        let mut scopes = self.config.scopes.clone();
        if !scopes.split_whitespace().any(|s| s == "openid") {
            scopes = format!("openid {scopes}");
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", scopes.trim())
            .append_pair("state", &state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge(&pending.verifier))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let endpoint = &d.metadata.authorization_endpoint;
        let sep = if endpoint.contains('?') { '&' } else { '?' };
        Ok((format!("{endpoint}{sep}{query}"), state, pending))
    }

    /// Exchanges the code, checks the ID token, and maps the person's claims to who they are
    /// in Caseline.
    pub async fn finish(
        &self,
        code: &str,
        pending: &Pending,
        redirect_uri: &str,
    ) -> Result<Identity, OidcError> {
        let d = self.discovered(false).await?;
        let res = self
            .http
            .post(&d.metadata.token_endpoint)
            .basic_auth(
                form_encode(&self.config.client_id),
                Some(form_encode(&self.config.client_secret)),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pending.verifier.as_str()),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(format!("token endpoint: {e}")))?;
        if !res.status().is_success() {
            let status = res.status();
            let body = res.text().await.unwrap_or_default();
            return Err(OidcError::BadAnswer(format!(
                "token endpoint answered {status}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        let tokens: Value = res
            .json()
            .await
            .map_err(|e| OidcError::BadAnswer(format!("token endpoint: {e}")))?;
        let id_token = tokens
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| OidcError::BadAnswer("no id_token in the token answer".into()))?;
        let mut claims = self.verify(id_token, &pending.nonce).await?;
        // Many providers put the group and name claims in the userinfo answer rather than the
        // ID token; ask there for what the ID token left out, for the same subject only.
        let missing = |c: &Map<String, Value>| {
            !c.contains_key(&self.config.role_claim) || !c.contains_key("name")
        };
        if missing(&claims)
            && let (Some(url), Some(access)) = (
                d.metadata.userinfo_endpoint.as_deref(),
                tokens.get("access_token").and_then(Value::as_str),
            )
        {
            let info: Map<String, Value> = self
                .http
                .get(url)
                .bearer_auth(access)
                .send()
                .await
                .map_err(|e| OidcError::Unreachable(format!("userinfo: {e}")))?
                .json()
                .await
                .map_err(|e| OidcError::BadAnswer(format!("userinfo: {e}")))?;
            if info.get("sub") != claims.get("sub") {
                return Err(OidcError::BadAnswer(
                    "userinfo is about another subject than the ID token".into(),
                ));
            }
            for (k, v) in info {
                claims.entry(k).or_insert(v);
            }
        }
        self.identity(&claims)
    }

    /// Checks the ID token's signature (by the issuer's key it names), issuer, audience,
    /// expiry and nonce, and returns its claims.
    async fn verify(&self, id_token: &str, nonce: &str) -> Result<Map<String, Value>, OidcError> {
        let bad = |e: &dyn std::fmt::Display| OidcError::BadIdToken(e.to_string());
        let header = jsonwebtoken::decode_header(id_token).map_err(|e| bad(&e))?;
        // Only signatures by the issuer's published (asymmetric) keys count; `none` and the
        // HMAC family, which a forger could make with what is public, never do.
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return Err(bad(&format!("{:?} is not accepted", header.alg)));
        }
        let mut d = self.discovered(false).await?;
        let find = |d: &Discovered| match header.kid.as_deref() {
            Some(kid) => d.keys.find(kid).cloned(),
            None if d.keys.keys.len() == 1 => d.keys.keys.first().cloned(),
            None => None,
        };
        let jwk = match find(&d) {
            Some(k) => k,
            None => {
                d = self.discovered(true).await?;
                find(&d).ok_or_else(|| bad(&"it names a key the issuer does not publish"))?
            }
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| bad(&e))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[d.metadata.issuer.as_str()]);
        validation.set_audience(&[self.config.client_id.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &validation)
            .map_err(|e| bad(&e))?;
        let claims = data.claims;
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(bad(&"its nonce is not this sign-in's"));
        }
        // With more than one audience, the token must have been issued to this client.
        if let Some(Value::Array(aud)) = claims.get("aud")
            && aud.len() > 1
            && claims.get("azp").and_then(Value::as_str) != Some(self.config.client_id.as_str())
        {
            return Err(bad(&"it was issued to another client"));
        }
        Ok(claims)
    }

    /// The first mapping whose value the person's role claim holds; their name from `name`,
    /// else `preferred_username`, `email` or `sub`.
    pub fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, OidcError> {
        let held: Vec<&str> = match claims.get(&self.config.role_claim) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let no_role = || OidcError::NoRole {
            claim: self.config.role_claim.clone(),
        };
        let mapping = self
            .config
            .map
            .iter()
            .find(|m| held.contains(&m.value.as_str()))
            .ok_or_else(no_role)?;
        let name = ["name", "preferred_username", "email", "sub"]
            .iter()
            .find_map(|k| claims.get(*k).and_then(Value::as_str))
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| OidcError::BadIdToken("it names no one".into()))?;
        Identity::new(&mapping.role, &mapping.agency, name)
            .map_err(|e| OidcError::BadIdToken(format!("the person's name: {e}")))
    }
}

/// `client_secret_basic` form-encodes the id and secret before joining them (RFC 6749 2.3.1).
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClaimMapping;

    fn client() -> Oidc {
        Oidc::new(OidcConfig {
            issuer: "http://127.0.0.1:1".into(),
            client_id: "caseline".into(),
            client_secret: "s".into(),
            role_claim: "groups".into(),
            map: vec![
                "auditors=auditor:council:norfolk"
                    .parse::<ClaimMapping>()
                    .unwrap(),
                "inspectors=inspector:ofsted:east"
                    .parse::<ClaimMapping>()
                    .unwrap(),
            ],
            scopes: "openid profile".into(),
        })
        .unwrap()
    }

    #[test]
    fn the_first_mapped_group_gives_the_role_and_agency() {
        let claims = serde_json::json!({ "sub": "1", "name": "Ann", "groups": ["staff", "inspectors", "auditors"] });
        let who = client().identity(claims.as_object().unwrap()).unwrap();
        assert_eq!(
            (who.role.as_str(), who.agency.as_str(), who.name.as_str()),
            ("auditor", "council:norfolk", "Ann")
        );
    }

    #[test]
    fn no_mapped_group_no_role() {
        let claims = serde_json::json!({ "sub": "1", "name": "Ann", "groups": "staff" });
        assert!(matches!(
            client().identity(claims.as_object().unwrap()),
            Err(OidcError::NoRole { .. })
        ));
    }

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
