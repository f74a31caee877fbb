//! The served `/openapi.json` as it was before the record types' schemas were derived
//! (issue 15): `fixtures/openapi-before.json` is that document, pretty-printed. Set
//! `CASELINE_WRITE_OPENAPI_BEFORE=1` to write it from the current code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi-before.json")
}

#[test]
fn the_fixture_is_the_served_document() {
    let doc = api::openapi::document();
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var_os("CASELINE_WRITE_OPENAPI_BEFORE").is_some() {
        std::fs::write(fixture(), &pretty).unwrap();
    }
    let before: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture()).unwrap()).unwrap();
    assert_eq!(doc, before);
}
