//! Reading a JSON request body so that nothing a client sends can become a 500.
//!
//! [`JsonBody`] takes the raw bytes (at most the configured limit: 413), insists on a JSON
//! content type in UTF-8 (415 for another type or another `charset`), on a body at all (400),
//! and on well-formed UTF-8 JSON without absurd nesting or a key given twice in one object
//! (400: which of two values a client meant is not ours to guess, and "last wins" would let
//! one body read differently here and in whatever system the client checked it with). It
//! hands the handler a `serde_json::Value` plus the bytes' canonical hash, and
//! [`parse`] turns a value into a typed request with `serde_path_to_error`, so a wrong type names
//! its field (`child.date_of_birth`). What the fields *mean* is the domain's business.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures::StreamExt;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
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

/// The `charset` a content type names, if it names one other than UTF-8 (compared without
/// regard to case, quotes allowed). JSON is UTF-8 (RFC 8259); a body declared in another
/// charset would be read as UTF-8 all the same, and a Latin-1 "é" would become a different
/// name or an error, so it is refused with the charset named.
fn foreign_charset(req: &HttpRequest) -> Option<String> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches('"').trim();
        (!value.eq_ignore_ascii_case("utf-8")).then(|| value.to_owned())
    })
}

/// Where in the body a value sits, as the problem's `field` names it: `data.worries`,
/// `records[3].data`.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, k) => f.write_str(k),
            Path::Key(parent, k) => write!(f, "{parent}.{k}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Builds a `serde_json::Value` like serde_json does, but fails on a key repeated within one
/// object, leaving the repeated key's path in `duplicate`. The nesting it recurses through is
/// bounded by [`MAX_DEPTH`], checked before.
struct Strict<'a> {
    path: Path<'a>,
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // JSON has no NaN or infinity, so this holds every number serde_json hands over.
        serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .ok_or_else(|| E::custom("a number out of range"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Strict {
            path: Path::Index(&self.path, items.len()),
            duplicate: self.duplicate,
        })? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = Path::Key(&self.path, &key);
            if object.contains_key(&key) {
                let named = path.to_string();
                let message = format!("the key {named} is given twice");
                *self.duplicate.borrow_mut() = Some(named);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(Strict {
                path,
                duplicate: self.duplicate,
            })?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// Parses a body into a value; a key repeated within one object is a 400 naming its path.
fn strict_value(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    let duplicate = RefCell::new(None);
    let mut d = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        path: Path::Root,
        duplicate: &duplicate,
    }
    .deserialize(&mut d)
    .and_then(|v| d.end().map(|()| v));
    parsed.map_err(|e| match duplicate.into_inner() {
        Some(field) => ApiError::new(
            ErrorKind::InvalidInput,
            format!("the key {field} is given twice in one object; send it once"),
        )
        .with_field(field, "given twice; send each key once"),
        None => ApiError::new(
            ErrorKind::InvalidInput,
            format!("the body is not well-formed JSON: {e}"),
        ),
    })
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
        .map_or(crate::config::Config::DEFAULT_BODY_LIMIT, |s| {
            s.config.body_limit
        });
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
    if let Some(charset) = foreign_charset(&req) {
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "the body is declared as charset {charset:?}; JSON is sent as UTF-8: use \
                 Content-Type: application/json (or application/json; charset=utf-8)"
            ),
        ));
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
    let value = strict_value(&bytes)?;
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
    fn a_key_given_twice_is_named_by_its_path() {
        let field = |body: &str| {
            strict_value(body.as_bytes()).err().map(|e| {
                e.errors()
                    .iter()
                    .map(|f| f.field.clone())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            field(r#"{"type":"a","type":"b"}"#),
            Some(vec!["type".into()])
        );
        assert_eq!(
            field(r#"{"data":{"worries":[],"worries":[1]}}"#),
            Some(vec!["data.worries".into()])
        );
        assert_eq!(
            field(r#"{"records":[{},{"data":{"a":1,"b":{"c":1,"c":2}}}]}"#),
            Some(vec!["records[1].data.b.c".into()])
        );
        // The same key in two objects is no repeat.
        assert_eq!(
            field(r#"{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}"#),
            None
        );
    }

    #[test]
    fn strict_values_equal_serde_jsons() {
        let body =
            r#"{"a":[1,-2,3.5,1e300,null,true,"s\u00e9"],"b":{"c":{}},"d":18446744073709551615}"#;
        let ours = strict_value(body.as_bytes()).ok();
        let theirs: Option<serde_json::Value> = serde_json::from_str(body).ok();
        assert!(ours.is_some());
        assert_eq!(ours, theirs);
        // Trailing garbage and malformed JSON stay errors without a field.
        for bad in [r#"{"a":1} x"#, r#"{"a":"#, "\u{ff}"] {
            let e = strict_value(bad.as_bytes()).err();
            assert!(e.is_some_and(|e| e.errors().is_empty()), "{bad}");
        }
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(depth(br#"{"a":"[[[[{{{"}"#), 1);
        assert_eq!(depth(b"[[[]]]"), 3);
    }
}
