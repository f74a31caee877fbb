//! Golden vectors for the hash chain: fixed events, the canonical bytes the store hashes for
//! each and the hash it stores, computed once by the code of 2026-11-29 and written here by hand.
//!
//! Why these are frozen: every stored event carries `hash = sha256(prev_hash ‖ canonical
//! bytes)`, and `verify` recomputes it from the row. A refactor that changes the canonical bytes
//! in any way (key order, number or string formatting, the time format, a field added or
//! renamed, a `serde_json` feature such as `preserve_order` or `arbitrary_precision` turned on by
//! some dependency) would make every chain already on disk fail `verify`, in every deployment,
//! with nothing to tell an operator that the code changed rather than the records. So these
//! vectors must never be regenerated to make this test pass; a failure here means the change
//! to the canonical form is the bug. (A deliberate new form would need a new event version or
//! chain version that old rows keep hashing under the old form, and new vectors beside these.)
//!
//! This test checks the canonical form and the hash only; what the backends store and read
//! back is the conformance suite's job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use store::StoredEvent;
use store::chain::{self, GENESIS, Hashed};
use uuid::Uuid;

/// One golden vector: the exact canonical bytes of one of [`events`] and its stored hash.
struct Golden {
    name: &'static str,
    canonical: &'static str,
    hash: &'static str,
}

/// The expected bytes and hashes of [`events`], in the same order. The first four are one
/// child's chain (each hashed after the hash before it), the last starts another child's chain
/// (after [`GENESIS`]). Vector 2 is written with Rust escapes so that its invisible characters
/// (DEL, U+2028, a zero-width joiner, a combining accent) survive editors; the others are raw.
const GOLDEN: [Golden; 5] = [
    Golden {
        name: "a registration",
        canonical: r#"{"agency":"school:norwich-high","child_id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f","data":{"date_of_birth":"2015-03-14","identifiers":{"la_child_id":null,"nhs_number":"9434765919","upn":"A123456789012"},"name":{"family":"Okafor","given":"Amira"},"school":"Norwich High"},"event_id":"11111111-2222-4333-8444-555555555501","event_type":"child_registered","event_version":1,"occurred_at":"2026-09-01T08:30:00.000000Z","recorded_at":"2026-09-01T08:31:12.345678Z","recorded_by":{"agency":"school:norwich-high","name":"Priya Shah","role":"designated_safeguarding_lead"},"sequence":1,"token_id":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"}"#,
        hash: "9fdd3a853db0ac95d0b0bfe5b705362156cdf91809a9c54d076d9fe304607ed5",
    },
    Golden {
        name: "a record with nested data, numbers and keys that sort by bytes",
        canonical: r#"{"agency":"school:norwich-high","child_id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f","data":{"Zeta":"capital Z sorts before lower case","a":null,"concerns":[{"category":"neglect","evidence":["hungry","unwashed uniform"],"weight":0.75},{"category":"emotional","evidence":[],"weight":1e-7}],"consent":{"by":"mother","given":true,"recorded":false},"counts":{"big":18446744073709551615,"exp":1.5e+300,"float":2.0,"negative":-42,"zero":0},"level":3,"to":"children_services","éclair":"non-ASCII keys sort by their UTF-8 bytes"},"event_id":"11111111-2222-4333-8444-555555555502","event_type":"referral_made","event_version":1,"occurred_at":"2026-09-03T14:05:00.000001Z","recorded_at":"2026-09-03T14:20:00.000000Z","recorded_by":{"agency":"school:norwich-high","name":"Priya Shah","role":"designated_safeguarding_lead"},"sequence":2,"token_id":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"}"#,
        hash: "5fd985bd2eb1fcb82ba296f10789dba6809a53d35c351cff194afb398974223d",
    },
    Golden {
        name: "Unicode and escapes",
        canonical: "{\"agency\":\"school:norwich-high\",\"child_id\":\"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f\",\"data\":{\"combining\":\"e\u{301} is not é\",\"emoji\":\"😢 (U+1F622), ZWJ family 👨\u{200d}👩\u{200d}👧, flag 🇬🇧\",\"language\":\"Zoë spoke in Polish: \\\"Łódź\\\", then Welsh: \\\"Llanfair\\\", Arabic: \\\"مرحبا\\\"\",\"separators\":\"line\u{2028}paragraph\u{2029}end\",\"summary\":\"She said \\\"I'm fine\\\" \\\\ then cried.\\nTab:\\there. Bell:\\u0007 DEL:\u{7f} slash: / </script>\",\"控制\":\"key in CJK\"},\"event_id\":\"11111111-2222-4333-8444-555555555503\",\"event_type\":\"conversation_recorded\",\"event_version\":1,\"occurred_at\":\"2026-09-04T09:00:00.000000Z\",\"recorded_at\":\"2026-09-04T09:15:30.500000Z\",\"recorded_by\":{\"agency\":\"school:norwich-high\",\"name\":\"Priya Shah\",\"role\":\"designated_safeguarding_lead\"},\"sequence\":3,\"token_id\":\"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d\"}",
        hash: "41b2cc67b600202045fe39638fce9be474fc387391c29112c606484a3dcb2d4d",
    },
    Golden {
        name: "a correction",
        canonical: r#"{"agency":"school:norwich-high","child_id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f","data":{"corrected_data":{"language":"English","summary":"She said she was fine, then cried."},"corrects_event_id":"11111111-2222-4333-8444-555555555503","reason":"wrong child's name in the summary"},"event_id":"11111111-2222-4333-8444-555555555504","event_type":"record_corrected","event_version":1,"occurred_at":"2026-09-05T10:00:00.000000Z","recorded_at":"2026-09-05T10:00:00.000100Z","recorded_by":{"agency":"school:norwich-high","name":"Priya Shah","role":"designated_safeguarding_lead"},"sequence":4,"token_id":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"}"#,
        hash: "ab22c26e7b0b82580b5f34586cedbe32c1819f35900d1021d28f9bb0c2cc74fc",
    },
    Golden {
        name: "an imported registration with no token",
        canonical: r#"{"agency":"school:norwich-high","child_id":"0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b","data":{"imported_from":"legacy-cms","name":{"family":"Brown","given":"Leo"}},"event_id":"99999999-8888-4777-8666-555555555501","event_type":"child_registered","event_version":1,"occurred_at":"2019-01-31T23:59:59.999999Z","recorded_at":"2019-02-01T00:00:00.000000Z","recorded_by":{"agency":"school:norwich-high","name":"Priya Shah","role":"designated_safeguarding_lead"},"sequence":1,"token_id":null}"#,
        hash: "ccc082313078b49902a156daf37c53158af728e3fc6869af8dfd36e44d054385",
    },
];

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const CHILD: &str = "6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f";
const IMPORTED_CHILD: &str = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";
const TOKEN: &str = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

/// A fixed event; its `prev_hash` and `hash` are set by [`events`].
#[allow(clippy::too_many_arguments)]
fn event(
    child: &str,
    sequence: u64,
    event_id: &str,
    event_type: &str,
    occurred_at: &str,
    recorded_at: &str,
    token: Option<&str>,
    data: Value,
) -> StoredEvent {
    StoredEvent {
        // Not covered by the hash: a different position must not change anything below.
        global_position: 1000 + sequence,
        child_id: uuid(child),
        sequence,
        event_id: uuid(event_id),
        event_type: event_type.to_owned(),
        event_version: 1,
        occurred_at: time(occurred_at),
        recorded_at: time(recorded_at),
        recorded_by: json!({
            "name": "Priya Shah",
            "role": "designated_safeguarding_lead",
            "agency": "school:norwich-high",
        }),
        agency: "school:norwich-high".to_owned(),
        token_id: token.map(uuid),
        data,
        // Set by `events`.
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The events the vectors are made of: each with `prev_hash` set to the hash before it in its
/// chain and `hash` as stored.
fn events() -> Vec<StoredEvent> {
    let mut out = inputs();
    for (i, e) in out.iter_mut().enumerate() {
        e.prev_hash = match i {
            0 | 4 => GENESIS.to_owned(),
            _ => GOLDEN[i - 1].hash.to_owned(),
        };
        e.hash = GOLDEN[i].hash.to_owned();
    }
    out
}

/// Shows where two canonical forms part, which a 600-character `assert_eq!` hides.
fn first_difference(expected: &str, actual: &str) -> String {
    let at = expected
        .char_indices()
        .zip(actual.chars())
        .find(|((_, a), b)| a != b)
        .map_or(expected.len().min(actual.len()), |((i, _), _)| i);
    let tail = |s: &str| {
        s.get(at..)
            .unwrap_or("")
            .chars()
            .take(60)
            .collect::<String>()
    };
    format!(
        "they part at byte {at}: expected …{:?}, got …{:?}",
        tail(expected),
        tail(actual)
    )
}

#[test]
fn the_canonical_bytes_are_unchanged() {
    for (e, g) in events().iter().zip(&GOLDEN) {
        let actual = chain::canonical_bytes(&Hashed::from(e));
        let actual = String::from_utf8(actual).expect("canonical bytes are UTF-8");
        assert!(
            actual == g.canonical,
            "the canonical bytes of {} changed, which breaks every stored chain; {}",
            g.name,
            first_difference(g.canonical, &actual)
        );
    }
}

#[test]
fn the_appenders_path_gives_the_same_bytes() {
    // Appenders make `data` and `recorded_by` canonical before they queue and the writer
    // joins them with the top level by hand; that path must give the very same bytes.
    for (e, g) in events().iter().zip(&GOLDEN) {
        let actual = chain::canonical_bytes_with(
            &Hashed::from(e),
            &chain::canonical_json(&e.data),
            &chain::canonical_json(&e.recorded_by),
        );
        assert_eq!(
            String::from_utf8(actual).expect("canonical bytes are UTF-8"),
            g.canonical,
            "{}",
            g.name
        );
    }
}

#[test]
fn the_hashes_are_unchanged() {
    for (e, g) in events().iter().zip(&GOLDEN) {
        assert_eq!(
            chain::hash(&e.prev_hash, &Hashed::from(e)),
            g.hash,
            "the hash of {} changed, which breaks every stored chain",
            g.name
        );
        // The hash is of `prev_hash` (as its 64 hex characters) followed by the bytes.
        assert_eq!(
            chain::hash_bytes(&e.prev_hash, g.canonical.as_bytes()),
            g.hash
        );
    }
}

#[test]
fn the_golden_chains_verify() {
    let events = events();
    let (first, imported) = events.split_at(4);
    assert_eq!(chain::verify_chain(first[0].child_id, first), None);
    assert_eq!(chain::verify_chain(imported[0].child_id, imported), None);
}

#[test]
fn the_global_position_is_not_covered() {
    // Positions differ between backends and an import may renumber them.
    let mut events = events();
    events[1].global_position = 7;
    assert_eq!(
        chain::hash(&events[1].prev_hash, &Hashed::from(&events[1])),
        GOLDEN[1].hash
    );
}

/// The fixed events, before [`events`] links them.
fn inputs() -> Vec<StoredEvent> {
    vec![
        event(
            CHILD,
            1,
            "11111111-2222-4333-8444-555555555501",
            "child_registered",
            "2026-09-01T08:30:00Z",
            "2026-09-01T08:31:12.345678Z",
            Some(TOKEN),
            json!({
                "name": { "given": "Amira", "family": "Okafor" },
                "date_of_birth": "2015-03-14",
                "identifiers": { "nhs_number": "9434765919", "upn": "A123456789012", "la_child_id": null },
                "school": "Norwich High",
            }),
        ),
        event(
            CHILD,
            2,
            "11111111-2222-4333-8444-555555555502",
            "referral_made",
            "2026-09-03T14:05:00.000001Z",
            "2026-09-03T14:20:00Z",
            Some(TOKEN),
            json!({
                "to": "children_services",
                "level": 3,
                "concerns": [
                    { "category": "neglect", "evidence": ["hungry", "unwashed uniform"], "weight": 0.75 },
                    { "category": "emotional", "evidence": [], "weight": 1e-7 },
                ],
                "consent": { "given": true, "by": "mother", "recorded": false },
                "counts": { "big": 18446744073709551615_u64, "negative": -42, "zero": 0, "float": 2.0, "exp": 1.5e300 },
                "Zeta": "capital Z sorts before lower case",
                "éclair": "non-ASCII keys sort by their UTF-8 bytes",
                "a": null,
            }),
        ),
        event(
            CHILD,
            3,
            "11111111-2222-4333-8444-555555555503",
            "conversation_recorded",
            "2026-09-04T09:00:00Z",
            "2026-09-04T09:15:30.5Z",
            Some(TOKEN),
            json!({
                "summary": "She said \"I'm fine\" \\ then cried.\nTab:\there. Bell:\u{0007} DEL:\u{007f} slash: / </script>",
                "language": "Zoë spoke in Polish: \"Łódź\", then Welsh: \"Llanfair\", Arabic: \"مرحبا\"",
                "emoji": "😢 (U+1F622), ZWJ family 👨‍👩‍👧, flag 🇬🇧",
                "separators": "line\u{2028}paragraph\u{2029}end",
                "combining": "e\u{0301} is not é",
                "控制": "key in CJK",
            }),
        ),
        event(
            CHILD,
            4,
            "11111111-2222-4333-8444-555555555504",
            "record_corrected",
            "2026-09-05T10:00:00Z",
            "2026-09-05T10:00:00.000100Z",
            Some(TOKEN),
            json!({
                "corrects_event_id": "11111111-2222-4333-8444-555555555503",
                "reason": "wrong child's name in the summary",
                "corrected_data": { "summary": "She said she was fine, then cried.", "language": "English" },
            }),
        ),
        event(
            IMPORTED_CHILD,
            1,
            "99999999-8888-4777-8666-555555555501",
            "child_registered",
            "2019-01-31T23:59:59.999999Z",
            "2019-02-01T00:00:00Z",
            None,
            json!({ "name": { "given": "Leo", "family": "Brown" }, "imported_from": "legacy-cms" }),
        ),
    ]
}
