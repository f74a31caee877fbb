//! The served `/openapi.json` stays what it was before the record types' schemas were derived
//! from the types (issue 15). `fixtures/openapi-before.json` is the document as the hand-built
//! schemas made it; this test builds today's and compares the two after normalising what may
//! change without a client noticing (descriptions' wording, key order, the order of `required`
//! and of a `type` list). Every other difference must be in [`INTENDED`], with its reason, and
//! every entry there must still be a difference. docs/ARCHITECTURE.md lists the same.
//!
//! The fixture was written from main at 47ce156, the last commit with hand-built schemas, by
//! running this test there with `CASELINE_WRITE_OPENAPI_BEFORE=1` (which rewrites it from the
//! code at hand: never do that here, or "before" becomes "now").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use serde_json::Value;

/// Differences meant, by JSON pointer into the document, each with why it is harmless.
const INTENDED: &[(&str, &str)] = &[
    (
        "/components/schemas/DisagreementEscalatedData/properties/to_stage/format",
        "schemars names the integer's width (`uint8`); a format is an annotation and the 0-255 bounds are as before",
    ),
    (
        "/components/schemas/RecordCorrectedData/properties/corrected_data/additionalProperties",
        "`true` is what an object without the keyword allows anyway: any corrected data, parsed later as its own type",
    ),
    // The raw stream's event is now the shared record shape plus the store's fields (issue 15
    // item 6, RawEvent and Record written once): the same properties, described as `allOf`.
    (
        "/components/schemas/RawEvent/allOf",
        "the record shape (`Record`: the same event_id, sequence, type, occurred_at, recorded_at, recorded_by, data and corrects) and the store's fields, as the answer is built",
    ),
    (
        "/components/schemas/RawEvent/properties",
        "moved into the `allOf` above, unchanged but for `Record`'s optional correction links, which a raw event never carries",
    ),
    (
        "/components/schemas/RawEvent/required",
        "moved into the `allOf` above: the store's fields here, the record's in `Record`",
    ),
    (
        "/components/schemas/RawEvent/type",
        "each part of the `allOf` is an object",
    ),
];

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi-before.json")
}

/// Drops what may change freely and puts sets in one order.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(map) => {
            // `description` as a keyword is a string; as a property's name it is a schema.
            if map.get("description").is_some_and(Value::is_string) {
                map.remove("description");
            }
            for key in ["required", "type"] {
                if let Some(Value::Array(items)) = map.get_mut(key) {
                    items.sort_by_key(ToString::to_string);
                }
            }
            map.values_mut().for_each(normalise);
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// Every JSON pointer at which `a` and `b` differ, as far down as both are objects.
fn differences(a: &Value, b: &Value, at: &str, out: &mut Vec<(String, String, String)>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => differences(p, q, &path, out),
                    (p, q) => out.push((path, show(p), show(q))),
                }
            }
        }
        _ if a != b => out.push((at.to_owned(), a.to_string(), b.to_string())),
        _ => {}
    }
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "(absent)".to_owned(), ToString::to_string)
}

#[test]
fn the_served_document_is_the_one_before_but_for_the_listed_differences() {
    let doc = api::openapi::document();
    if std::env::var_os("CASELINE_WRITE_OPENAPI_BEFORE").is_some() {
        let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
        std::fs::write(fixture(), pretty).unwrap();
    }
    let mut before: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    let mut now = doc;
    normalise(&mut before);
    normalise(&mut now);
    let mut found = Vec::new();
    differences(&before, &now, "", &mut found);

    let unlisted: Vec<String> = found
        .iter()
        .filter(|(path, _, _)| !INTENDED.iter().any(|(p, _)| p == path))
        .map(|(path, a, b)| format!("{path}\n    before: {a}\n    now:    {b}"))
        .collect();
    assert!(
        unlisted.is_empty(),
        "{} differences not listed as intended:\n{}",
        unlisted.len(),
        unlisted.join("\n")
    );
    let stale: Vec<&str> = INTENDED
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !found.iter().any(|(path, _, _)| path == p))
        .collect();
    assert!(
        stale.is_empty(),
        "listed but no longer different: {stale:?}"
    );
}
