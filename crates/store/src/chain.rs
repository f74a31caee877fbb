//! The hash chain that makes tampering detectable.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's canonical
//! bytes: a JSON object of every stored field but the hashes and the global position (which
//! differs between backends and survives no export), with object keys sorted at every depth
//! and no insignificant white space. Sorting is done here, not left to `serde_json`'s map
//! type, because a dependency turning on `preserve_order` would otherwise silently change
//! every hash.
//!
//! This module computes and checks; it does not read or write any backend.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{BrokenLink, StoredEvent};

/// The `prev_hash` of a stream's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Times in canonical bytes and in storage: RFC 3339, UTC, microseconds. Every backend keeps
/// at least microseconds, so a time read back hashes exactly as it was written.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Drops precision finer than a microsecond, so what is hashed is what every backend stores.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// The fields of an event that its hash covers.
pub struct Hashed<'a> {
    pub child_id: Uuid,
    pub sequence: u64,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub event_version: u32,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: &'a Value,
    pub agency: &'a str,
    pub token_id: Option<Uuid>,
    pub data: &'a Value,
}

impl<'a> From<&'a StoredEvent> for Hashed<'a> {
    fn from(e: &'a StoredEvent) -> Self {
        Hashed {
            child_id: e.child_id,
            sequence: e.sequence,
            event_id: e.event_id,
            event_type: &e.event_type,
            event_version: e.event_version,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            recorded_by: &e.recorded_by,
            agency: &e.agency,
            token_id: e.token_id,
            data: &e.data,
        }
    }
}

/// The canonical bytes of an event.
pub fn canonical_bytes(e: &Hashed<'_>) -> Vec<u8> {
    canonical_bytes_with(e, &canonical_json(e.data), &canonical_json(e.recorded_by))
}

/// The canonical bytes of an event whose `data` and `recorded_by` were already put in
/// canonical form (appenders do that before they queue, so the single writer does less).
/// The top-level keys are written in sorted order by hand; the result equals
/// `canonical_json` of the whole object.
pub fn canonical_bytes_with(e: &Hashed<'_>, data: &str, recorded_by: &str) -> Vec<u8> {
    // The fixed fields, the agency and the type: under 400 bytes.
    let mut out = Vec::with_capacity(data.len() + recorded_by.len() + 400);
    // Writing to a `Vec` cannot fail, and neither can serialising a string.
    let written = write_top_level(e, data, recorded_by, &mut out);
    debug_assert!(written.is_ok(), "{written:?}");
    out
}

fn write_top_level(
    e: &Hashed<'_>,
    data: &str,
    recorded_by: &str,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    use std::io::Write as _;
    out.write_all(b"{\"agency\":")?;
    serde_json::to_writer(&mut *out, e.agency)?;
    write!(
        out,
        ",\"child_id\":\"{}\",\"data\":{data},\"event_id\":\"{}\",\"event_type\":",
        e.child_id, e.event_id,
    )?;
    serde_json::to_writer(&mut *out, e.event_type)?;
    write!(
        out,
        ",\"event_version\":{},\"occurred_at\":\"{}\",\"recorded_at\":\"{}\",\"recorded_by\":{recorded_by},\"sequence\":{},\"token_id\":",
        e.event_version,
        format_time(e.occurred_at),
        format_time(e.recorded_at),
        e.sequence,
    )?;
    match e.token_id {
        Some(t) => write!(out, "\"{t}\"}}"),
        None => out.write_all(b"null}"),
    }
}

/// `hex(sha256(prev_hash ‖ canonical bytes))` from bytes already made.
pub fn hash_bytes(prev_hash: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical);
    hex::encode(h.finalize())
}

/// `hex(sha256(prev_hash ‖ canonical bytes))`.
pub fn hash(prev_hash: &str, e: &Hashed<'_>) -> String {
    hash_bytes(prev_hash, &canonical_bytes(e))
}

/// JSON with object keys sorted at every depth and no white space.
pub fn canonical_json(v: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(v, &mut out);
    // Only serde_json's output and ASCII punctuation were written, which is always UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes `v` canonically. Keys and scalars go straight into `out` through serde_json's
/// serialiser (before, each was first made into a `String` of its own: a copy of every key and
/// two allocations a field, 2.5% of the server under single records); an object's keys are
/// sorted only when the map does not already hold them in order.
fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            if map.keys().is_sorted() {
                for (i, (k, child)) in map.iter().enumerate() {
                    write_field(i, k, child, out);
                }
            } else {
                let mut fields: Vec<(&String, &Value)> = map.iter().collect();
                fields.sort_by_key(|(k, _)| *k);
                for (i, (k, child)) in fields.into_iter().enumerate() {
                    write_field(i, k, child, out);
                }
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        // Scalars have one serialisation in serde_json already.
        scalar => write_json(scalar, out),
    }
}

fn write_field(i: usize, key: &str, value: &Value, out: &mut Vec<u8>) {
    if i > 0 {
        out.push(b',');
    }
    write_json(key, out);
    out.push(b':');
    write_canonical(value, out);
}

/// serde_json's one serialisation of a string or a scalar, appended to `out`.
fn write_json<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    // Writing to a `Vec` cannot fail, and neither can serialising a string or a JSON scalar
    // (no map with non-string keys, no non-finite number: `Value` cannot hold one).
    let written = serde_json::to_writer(&mut *out, v);
    debug_assert!(written.is_ok(), "{written:?}");
}

/// Checks one child's events, in the order the backend returns them by sequence, and returns
/// the first broken link: a sequence out of place (a row removed or reordered), a `prev_hash`
/// that is not the previous event's hash, or a `hash` that does not match the event's bytes
/// (a row altered).
pub fn verify_chain(child_id: Uuid, events: &[StoredEvent]) -> Option<BrokenLink> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in events.iter().enumerate() {
        let expected_sequence = i as u64 + 1;
        let broken = |problem: String| BrokenLink {
            child_id,
            sequence: expected_sequence,
            event_id: Some(e.event_id),
            problem,
        };
        if e.child_id != child_id {
            return Some(broken(format!(
                "event {} belongs to child {}, not this child",
                e.event_id, e.child_id
            )));
        }
        if e.sequence != expected_sequence {
            return Some(broken(format!(
                "expected sequence {expected_sequence} but found {}: an event was removed or the events were reordered",
                e.sequence
            )));
        }
        if e.prev_hash != prev {
            return Some(broken(format!(
                "the link to the previous event is broken at sequence {}: an earlier event was removed, replaced or reordered",
                e.sequence
            )));
        }
        let actual = hash(&prev, &Hashed::from(e));
        if actual != e.hash {
            return Some(broken(format!(
                "event {} at sequence {} does not match its hash: it was altered after it was recorded",
                e.event_id, e.sequence
            )));
        }
        prev = e.hash.clone();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn event(child: Uuid, seq: u64, prev: &str, data: Value) -> StoredEvent {
        let mut e = StoredEvent {
            global_position: seq,
            child_id: child,
            sequence: seq,
            event_id: Uuid::new_v4(),
            event_type: "conversation_recorded".into(),
            event_version: 1,
            occurred_at: truncate_to_micros(Utc::now()),
            recorded_at: truncate_to_micros(Utc::now()),
            recorded_by: json!({"name": "A", "role": "dsl", "agency": "school:x"}),
            agency: "school:x".into(),
            token_id: None,
            data,
            prev_hash: prev.into(),
            hash: String::new(),
        };
        e.hash = hash(prev, &Hashed::from(&e));
        e
    }

    fn chain(child: Uuid, n: u64) -> Vec<StoredEvent> {
        let mut out: Vec<StoredEvent> = Vec::new();
        for s in 1..=n {
            let prev = out.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
            out.push(event(child, s, &prev, json!({ "n": s })));
        }
        out
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"d": [ {"z": 1, "y": 2} ], "c": "x"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    /// The canonical form as it was first written (each key and scalar made into a `String`,
    /// every object's keys sorted), kept as the reference the faster one must equal byte for
    /// byte: a different byte would change every hash.
    fn canonical_as_first_written(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*k).clone()).to_string());
                    out.push(':');
                    canonical_as_first_written(&map[k.as_str()], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    canonical_as_first_written(item, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        // Strings with escapes, control characters, quotes and non-ASCII, as keys and values.
        let text = prop::collection::vec(
            prop::sample::select(vec![
                'a', 'b', 'z', ' ', '"', '\\', '/', '\u{0}', '\n', '\u{1f}', '\u{7f}', 'é', '€',
                '\u{2028}', '😀',
            ]),
            0..6,
        )
        .prop_map(|chars| chars.into_iter().collect::<String>());
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text.clone().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((text.clone(), inner), 0..6)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_json_is_byte_for_byte_the_first_form(v in any_json()) {
            let mut first = String::new();
            canonical_as_first_written(&v, &mut first);
            prop_assert_eq!(canonical_json(&v), first);
        }
    }

    #[test]
    fn the_hand_written_top_level_equals_the_general_form() {
        for token_id in [None, Some(Uuid::new_v4())] {
            let mut e = event(
                Uuid::new_v4(),
                3,
                GENESIS,
                json!({"z": [1, {"b": "\u{00e9}\"q", "a": null}], "a": 1.5}),
            );
            e.token_id = token_id;
            e.agency = "school:\"quoted\" \u{00e9}".into();
            the_top_level_equals_the_general_form(&e);
        }
    }

    fn the_top_level_equals_the_general_form(e: &StoredEvent) {
        let h = Hashed::from(e);
        let general = serde_json::json!({
            "child_id": e.child_id.to_string(), "sequence": e.sequence, "event_id": e.event_id.to_string(),
            "event_type": e.event_type, "event_version": e.event_version,
            "occurred_at": format_time(e.occurred_at), "recorded_at": format_time(e.recorded_at),
            "recorded_by": e.recorded_by, "agency": e.agency, "token_id": e.token_id.map(|t| t.to_string()),
            "data": e.data,
        });
        assert_eq!(
            String::from_utf8(canonical_bytes(&h)).unwrap(),
            canonical_json(&general)
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = Uuid::new_v4();
        assert_eq!(verify_chain(c, &chain(c, 5)), None);
    }

    #[test]
    fn an_altered_event_is_named() {
        let c = Uuid::new_v4();
        let mut events = chain(c, 4);
        events[2].data = json!({"n": 99});
        let broken = verify_chain(c, &events).expect("alteration must be found");
        assert_eq!(broken.sequence, 3);
        assert_eq!(broken.event_id, Some(events[2].event_id));
        assert!(broken.problem.contains("altered"), "{}", broken.problem);
    }

    #[test]
    fn a_removed_event_is_named() {
        let c = Uuid::new_v4();
        let mut events = chain(c, 4);
        events.remove(1);
        let broken = verify_chain(c, &events).expect("removal must be found");
        assert_eq!(broken.sequence, 2);
    }

    #[test]
    fn swapped_events_are_named() {
        let c = Uuid::new_v4();
        let mut events = chain(c, 4);
        events.swap(1, 2);
        events[1].sequence = 2;
        events[2].sequence = 3;
        assert!(verify_chain(c, &events).is_some());
    }
}
