//! JSON Schemas (OpenAPI 3.1 flavour) of every posted shape: each record type's `data`, a
//! child's details, and the shapes they share. The API puts them in `/openapi.json`.
//!
//! Being written: until then the API documents `data` as any object.

use serde_json::Value;

use crate::record::RecordType;

/// The schema of one record type's `data`.
pub fn record_data_schema(_t: RecordType) -> Value {
    Value::Null
}

/// The schema of `child` in a registration.
pub fn child_details_schema() -> Value {
    Value::Null
}

/// Shared shapes, by component name.
pub fn shared_schemas() -> Vec<(&'static str, Value)> {
    Vec::new()
}

/// A valid `data` of one record type.
pub fn example(_t: RecordType) -> Value {
    Value::Null
}
