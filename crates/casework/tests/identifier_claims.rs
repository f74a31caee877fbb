//! `casework::identifier_claims`: the one place a child's identifiers become the store's claims,
//! spelled canonically so that a claim made at registration and one made by a later update
//! (or a lookup) always meet.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::registration::Identifiers;
use serde_json::json;
use store::IdentifierClaim;

fn claims(ids: serde_json::Value) -> Vec<(String, String)> {
    let ids: Identifiers = serde_json::from_value(ids).unwrap();
    casework::identifier_claims(Some(&ids))
        .into_iter()
        .map(|IdentifierClaim { kind, value }| (kind, value))
        .collect()
}

#[test]
fn each_identifier_is_claimed_in_its_canonical_spelling() {
    assert_eq!(
        claims(
            json!({ "nhs_number": "943 476 5919", "upn": "a123456789012", "la_child_id": "  L-77 " })
        ),
        vec![
            ("nhs_number".to_owned(), "9434765919".to_owned()),
            ("upn".to_owned(), "A123456789012".to_owned()),
            ("la_child_id".to_owned(), "L-77".to_owned()),
        ]
    );
}

#[test]
fn no_identifiers_claim_nothing() {
    assert!(casework::identifier_claims(None).is_empty());
    assert!(claims(json!({})).is_empty());
}
