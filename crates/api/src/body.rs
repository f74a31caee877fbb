//! Reading a JSON request body so that nothing a client sends can become a 500.
//!
//! [`JsonBody`] takes the raw bytes (at most the configured limit: 413), insists on a JSON
//! content type (415), on a body at all (400), and on well-formed UTF-8 JSON without absurd
//! nesting (400). It hands the handler a `serde_json::Value` plus the bytes' canonical hash, and
//! [`parse`] turns a value into a typed request with `serde_path_to_error`, so a wrong type names
//! its field (`child.date_of_birth`). What the fields *mean* is the domain's business.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::problem::{ApiError, ErrorKind, FieldError};
use crate::state::AppState;

/// How deep objects and arrays may nest. `serde_json` stops at 128 on its own; nothing in the
/// contract needs more than a dozen, and a shallower limit keeps recursive walks cheap.
pub const MAX_DEPTH: usize = 64;

/// A JSON body, parsed to a value.
pub struct JsonBody {
    pub value: serde_json::Value,
}

impl JsonBody {
    /// Hex SHA-256 of the body's canonical form (keys sorted, no white space): the "same body"
    /// an `Idempotency-Key` retry must carry, whatever order the client wrote its keys in.
    pub fn canonical_hash(&self) -> String {
        let out = store::chain::canonical_json(&self.value);
        hex::encode(Sha256::digest(out.as_bytes()))
    }

    /// The hash an `Idempotency-Key` is bound to: what the request asks (`scope`, e.g. the
    /// route and the child) and its canonical body.
    pub fn request_hash(&self, scope: &str) -> String {
        let out = format!("{scope}\n{}", store::chain::canonical_json(&self.value));
        hex::encode(Sha256::digest(out.as_bytes()))
    }

    /// Parses into `T`, naming the failing field.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse(&self.value)
    }
}

/// Parses a value into `T`; a mismatch is a 400 naming the field by its JSON path.
pub fn parse<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let message = e.into_inner().to_string();
        ApiError::new(
            ErrorKind::InvalidInput,
            format!("the request does not match its schema: {message}"),
        )
        .with_errors(vec![FieldError { field, message }])
    })
}

fn is_json(req: &HttpRequest) -> Option<bool> {
    let ct = req.headers().get(header::CONTENT_TYPE)?;
    let ct = ct.to_str().ok()?;
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json")),
    )
}

/// Depth of the deepest array or object, counted without recursion so the count itself
/// cannot overflow the stack.
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorKind::PayloadTooLarge,
        format!("a request body may be at most {limit} bytes; send large batches in parts"),
    )
}

async fn read(req: HttpRequest, mut payload: Payload) -> Result<JsonBody, ApiError> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.body_limit)
        .unwrap_or(crate::config::Config::DEFAULT_BODY_LIMIT);
    // Refuse a declared oversize body before reading a byte of it.
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large(limit));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorKind::InvalidInput,
                format!("the request body could not be read: {e}"),
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    match is_json(&req) {
        Some(true) => {}
        Some(false) => {
            return Err(ApiError::new(
                ErrorKind::UnsupportedMediaType,
                "send the body as Content-Type: application/json",
            ));
        }
        None if bytes.is_empty() => {}
        None => {
            return Err(ApiError::new(
                ErrorKind::UnsupportedMediaType,
                "send the body with Content-Type: application/json",
            ));
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(
            ApiError::new(ErrorKind::InvalidInput, "a JSON request body is required").with_errors(
                vec![FieldError {
                    field: String::new(),
                    message: "missing body".into(),
                }],
            ),
        );
    }
    if depth(&bytes) > MAX_DEPTH {
        return Err(ApiError::new(
            ErrorKind::InvalidInput,
            format!("the body nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ErrorKind::InvalidInput,
            format!("the body is not well-formed JSON: {e}"),
        )
    })?;
    Ok(JsonBody { value })
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<JsonBody, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(read(req.clone(), payload.take()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_ignores_key_order() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":"s","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(
            JsonBody { value: a }.canonical_hash(),
            JsonBody { value: b }.canonical_hash()
        );
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(depth(br#"{"a":"[[[[{{{"}"#), 1);
        assert_eq!(depth(b"[[[]]]"), 3);
    }
}
