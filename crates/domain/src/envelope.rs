//! The envelope every posted record comes in (docs/CONTRACT.md): `{ "type", "occurred_at",
//! "recorded_by", "data" }`, and a batch of them, `{ "records": [ ... ] }`.
//!
//! Parsing here checks the shape only and turns the JSON into a [`RecordInput`]; who may post
//! it and whether it breaks a rule are decided later against the token and the child's state.
//! The server's `recorded_at` is never taken from a client, so the envelope has none.

use chrono::{DateTime, FixedOffset, Utc};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Invalid, join_path};
use crate::record::{RecordData, RecordType};
use crate::shapes::{self, Person};

/// The most records one batch may carry.
pub const MAX_BATCH: usize = 500;

/// A record as posted, its data typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordInput {
    pub occurred_at: DateTime<Utc>,
    pub recorded_by: Person,
    pub data: RecordData,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    #[serde(rename = "type")]
    record_type: String,
    /// RFC 3339 with an offset: a time without one is ambiguous across the clock change.
    occurred_at: DateTime<FixedOffset>,
    recorded_by: Person,
    /// Required here, parsed apart (`parse_data`) so its errors and the envelope's are
    /// reported together.
    #[serde(rename = "data")]
    _data: serde::de::IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    records: Vec<Value>,
}

impl RecordInput {
    pub fn record_type(&self) -> RecordType {
        self.data.record_type()
    }

    /// Whether it corrects or retracts an earlier record: the one kind of record whose decision
    /// reads the child's history (its target, and what rests on it), not just its state.
    pub fn corrects(&self) -> bool {
        matches!(self.data, RecordData::RecordCorrected(_))
    }

    /// Parses one posted record; shape errors carry paths from the top of the body, and every
    /// wrong field is reported at once (at most [`crate::error::MAX_ERRORS`]): the envelope's
    /// fields and `data`'s are checked apart, so a bad `occurred_at` does not hide a bad
    /// `data.kind`.
    pub fn parse(body: Value) -> Result<RecordInput, Invalid> {
        let mut errors: Vec<Invalid> = Vec::new();
        // `data` is checked on its own below; the envelope is parsed without it, so an error in
        // one never hides the other.
        let mut envelope = body;
        let data = envelope.as_object_mut().and_then(|o| o.remove("data"));
        if data.is_some()
            && let Some(o) = envelope.as_object_mut()
        {
            o.insert("data".to_owned(), Value::Null);
        }
        let fields: Option<Fields> = match shapes::parse_ref(&envelope, "") {
            Ok(f) => Some(f),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let type_name = fields.as_ref().map(|f| f.record_type.clone()).or_else(|| {
            envelope
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let record_type = match &type_name {
            Some(name) => match name.parse::<RecordType>() {
                Ok(t) => Some(t),
                Err(_) => {
                    // The envelope parses `type` as any string, so this is never said twice.
                    let known: Vec<&str> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
                    errors.push(Invalid::shape(
                        "type",
                        format!(
                            "`{name}` is not a record type; expected one of {}",
                            known.join(", ")
                        ),
                    ));
                    None
                }
            },
            None => None,
        };
        let parsed_data = match (record_type, data) {
            (Some(t), Some(data)) => match parse_data(t, data) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            _ => None,
        };
        let occurred_at = match &fields {
            Some(f) => match crate::dates::instant(f.occurred_at, "occurred_at") {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        if let Some(e) = Invalid::merge(errors) {
            return Err(e);
        }
        match (fields, parsed_data, occurred_at) {
            (Some(f), Some(data), Some(occurred_at)) => Ok(RecordInput {
                occurred_at,
                recorded_by: f.recorded_by,
                data,
            }),
            // Every path that leaves one out has pushed an error, except a body with no `data`
            // (or not an object), which the envelope's parse reports.
            _ => Err(Invalid::shape("data", "is required")),
        }
    }

    /// Parses `{ "records": [...] }`: at least one record, at most [`MAX_BATCH`]; errors name
    /// the failing records by index (`records[3].data.decision`, `records[7].occurred_at`),
    /// every failing record's errors together (at most [`crate::error::MAX_ERRORS`]).
    pub fn parse_batch(body: Value) -> Result<Vec<RecordInput>, Invalid> {
        let batch: Batch = shapes::parse(body, "")?;
        if batch.records.is_empty() {
            return Err(Invalid::shape(
                "records",
                "a batch needs at least one record",
            ));
        }
        if batch.records.len() > MAX_BATCH {
            return Err(Invalid::shape(
                "records",
                format!(
                    "a batch holds at most {MAX_BATCH} records, not {}",
                    batch.records.len()
                ),
            ));
        }
        let mut records = Vec::with_capacity(batch.records.len());
        let mut errors = Vec::new();
        for (i, r) in batch.records.into_iter().enumerate() {
            match RecordInput::parse(r) {
                Ok(r) => records.push(r),
                Err(e) => errors.push(e.prefixed(&join_path("records", &format!("[{i}]")))),
            }
        }
        match Invalid::merge(errors) {
            Some(e) => Err(e),
            None => Ok(records),
        }
    }
}

/// A record type's `data`, with every shape error [`shapes::parse`] finds, and then each of the
/// type's required fields that is absent (serde names only the first missing one, and only
/// once every field present has parsed).
fn parse_data(t: RecordType, data: Value) -> Result<RecordData, Invalid> {
    let present: Vec<String> = data
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let is_object = data.is_object();
    RecordData::parse(t, data).map_err(|e| {
        if !is_object {
            return e;
        }
        let schema = crate::schema::record_data_schema(t);
        let missing = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|name| !present.iter().any(|p| p == name))
            .map(|name| Invalid::shape(join_path("data", name), "is required"));
        Invalid::merge(std::iter::once(e).chain(missing))
            .unwrap_or_else(|| Invalid::shape("data", "is not valid"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "type": "referrer_informed",
            "occurred_at": "2026-11-20T10:15:00+01:00",
            "recorded_by": { "name": "A", "role": "dsl", "agency": "school:norwich-high" },
            "data": { "referral_id": "6a1f0c2e-4d3b-4b8e-9a57-2f1d3c4b5a69", "how": "phone" }
        })
    }

    #[test]
    fn a_record_parses_and_its_time_is_kept_in_utc() {
        let r = RecordInput::parse(body()).unwrap();
        assert_eq!(r.record_type(), RecordType::ReferrerInformed);
        assert_eq!(r.occurred_at.to_rfc3339(), "2026-11-20T09:15:00+00:00");
    }

    #[test]
    fn an_unknown_type_lists_the_types() {
        let mut b = body();
        b["type"] = json!("child_registered");
        let e = RecordInput::parse(b).unwrap_err();
        assert_eq!(e.errors()[0].field, "type");
        assert!(e.errors()[0].message.contains("conversation_recorded"));
    }

    #[test]
    fn envelope_errors_name_their_fields() {
        let mut b = body();
        b["recorded_at"] = json!("2026-11-20T10:15:00Z");
        assert_eq!(
            RecordInput::parse(b).unwrap_err().errors()[0].field,
            "recorded_at"
        );
        let mut b = body();
        b["occurred_at"] = json!("2026-11-20T10:15:00");
        assert_eq!(
            RecordInput::parse(b).unwrap_err().errors()[0].field,
            "occurred_at"
        );
        let mut b = body();
        b["data"]["how"] = json!(3);
        assert_eq!(
            RecordInput::parse(b).unwrap_err().errors()[0].field,
            "data.how"
        );
    }

    #[test]
    fn a_batch_names_the_failing_record_by_index() {
        let mut bad = body();
        bad["data"]["surplus"] = json!(true);
        let e = RecordInput::parse_batch(json!({ "records": [body(), body(), body(), bad] }))
            .unwrap_err();
        assert_eq!(e.errors()[0].field, "records[3].data.surplus");
        assert!(RecordInput::parse_batch(json!({ "records": [] })).is_err());
        let many: Vec<Value> = (0..=MAX_BATCH).map(|_| body()).collect();
        let e = RecordInput::parse_batch(json!({ "records": many })).unwrap_err();
        assert!(e.errors()[0].message.contains("at most 500"));
        assert_eq!(
            RecordInput::parse_batch(json!({ "records": [body(), body()] }))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn every_wrong_field_of_a_record_is_reported_at_once() {
        let mut b = body();
        b["occurred_at"] = json!("yesterday");
        b["data"]["how"] = json!(3);
        b["data"]["surplus"] = json!(true);
        let e = RecordInput::parse(b).unwrap_err();
        let fields: Vec<&str> = e.errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields.len(), 3, "{fields:?}");
        for f in ["occurred_at", "data.how", "data.surplus"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert_eq!(
            e.detail(),
            "The request does not have the shape this record type needs."
        );

        // Every required field that is missing, not only the first.
        let mut b = body();
        b["data"] = json!({});
        b["recorded_by"] = json!("someone");
        let e = RecordInput::parse(b).unwrap_err();
        let fields: Vec<&str> = e.errors().iter().map(|f| f.field.as_str()).collect();
        assert!(
            fields.contains(&"data.referral_id") && fields.contains(&"data.how"),
            "{fields:?}"
        );
    }

    #[test]
    fn a_batch_names_every_failing_record() {
        let mut third = body();
        third["data"]["how"] = json!(3);
        let mut seventh = body();
        seventh["occurred_at"] = json!("2026-11-20");
        let mut records = vec![body(); 8];
        records[3] = third;
        records[7] = seventh;
        let e = RecordInput::parse_batch(json!({ "records": records })).unwrap_err();
        let fields: Vec<&str> = e.errors().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["records[3].data.how", "records[7].occurred_at"]
        );
    }

    #[test]
    fn at_most_fifty_errors_are_listed() {
        let mut b = body();
        for i in 0..60 {
            b["data"][format!("unknown_{i:02}")] = json!(i);
        }
        let e = RecordInput::parse(b).unwrap_err();
        assert_eq!(e.errors().len(), crate::error::MAX_ERRORS);
    }

    #[test]
    fn every_wrong_field_of_a_nested_object_is_reported() {
        let b = json!({
            "type": "conversation_recorded",
            "occurred_at": "2026-11-20T10:15:00Z",
            "recorded_by": { "name": "A", "role": "dsl", "agency": "school:norwich-high" },
            "data": {
                "conversation_id": "6a1f0c2e-4d3b-4b8e-9a57-2f1d3c4b5a69",
                "kind": "with_child",
                "participants": [{ "relationship": "child" }],
                "child_voice": { "views": 5, "behaviour_observed": 7, "mood": "quiet" },
                "worries": "hungry"
            }
        });
        let e = RecordInput::parse(b).unwrap_err();
        let fields: Vec<&str> = e.errors().iter().map(|f| f.field.as_str()).collect();
        for f in [
            "data.child_voice.views",
            "data.child_voice.behaviour_observed",
            "data.child_voice.mood",
            "data.worries",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert_eq!(fields.len(), 4, "each once: {fields:?}");
    }

    #[test]
    fn every_wrong_element_of_a_list_is_reported() {
        let b = json!({
            "type": "conversation_recorded",
            "occurred_at": "2026-11-20T10:15:00Z",
            "recorded_by": { "name": "A", "role": "dsl", "agency": "school:norwich-high" },
            "data": {
                "conversation_id": "6a1f0c2e-4d3b-4b8e-9a57-2f1d3c4b5a69",
                "kind": "with_child",
                "participants": [
                    { "relationship": 1 },
                    { "relationship": "child" },
                    { "relationship": "mother", "shoe_size": 9 }
                ],
                "worries": ["hungry", 7]
            }
        });
        let e = RecordInput::parse(b).unwrap_err();
        let fields: Vec<&str> = e.errors().iter().map(|f| f.field.as_str()).collect();
        // A participant is a person or a family member: a wrong one is named as a whole.
        for f in [
            "data.participants[0]",
            "data.participants[2]",
            "data.worries[1]",
        ] {
            assert!(fields.iter().any(|x| x.starts_with(f)), "{f} in {fields:?}");
        }
        assert!(
            !fields.iter().any(|f| f.starts_with("data.participants[1]")),
            "{fields:?}"
        );
    }
}
