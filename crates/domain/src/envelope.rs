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
    data: Value,
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

    /// Parses one posted record; shape errors carry paths from the top of the body.
    pub fn parse(body: Value) -> Result<RecordInput, Invalid> {
        let fields: Fields = shapes::parse(body, "")?;
        let record_type: RecordType = fields.record_type.parse().map_err(|_| {
            let known: Vec<&str> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
            Invalid::shape(
                "type",
                format!(
                    "`{}` is not a record type; expected one of {}",
                    fields.record_type,
                    known.join(", ")
                ),
            )
        })?;
        let data = RecordData::parse(record_type, fields.data)?;
        Ok(RecordInput {
            occurred_at: crate::dates::instant(fields.occurred_at, "occurred_at")?,
            recorded_by: fields.recorded_by,
            data,
        })
    }

    /// Parses `{ "records": [...] }`: at least one record, at most [`MAX_BATCH`]; an error
    /// names the failing record by index (`records[3].data.decision`).
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
        batch
            .records
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                RecordInput::parse(r)
                    .map_err(|e| e.prefixed(&join_path("records", &format!("[{i}]"))))
            })
            .collect()
    }
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
}
