//! Why a record or a registration was refused: `Invalid`, either a shape error (the JSON does
//! not have the form docs/RECORDS.md gives it, HTTP 400) or a broken rule (well-formed, but the
//! domain says no, HTTP 422). Both carry `errors: [{ field, message }]` where `field` is a JSON
//! path a practitioner's system can point at (`data.scaling[0].score`).
//!
//! This module knows nothing of HTTP: the mapping of [`InvalidKind`] to a status and a problem
//! `type` lives in `api`'s one table.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One field that was wrong, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// A JSON path from the top of the request: `data.participants[1].agency`.
    pub field: String,
    pub message: String,
}

/// The two ways input can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidKind {
    /// Wrong or missing field, wrong type, unknown field or value, text too long: HTTP 400.
    Shape,
    /// Well-formed, but breaks a rule of the domain: HTTP 422.
    Rule,
}

/// Input refused. Fields are private so every `Invalid` has at least one field error and a
/// detail; build one with [`Invalid::shape`] or [`Invalid::rule`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub struct Invalid {
    kind: InvalidKind,
    detail: String,
    errors: Vec<FieldError>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.detail)?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl Invalid {
    /// A shape error at one field.
    pub fn shape(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            kind: InvalidKind::Shape,
            detail: "The request does not have the shape this record type needs.".to_owned(),
            errors: vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        }
    }

    /// A broken rule: `detail` names the rule in a practitioner's words; `field` is where.
    pub fn rule(
        detail: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Invalid {
        Invalid {
            kind: InvalidKind::Rule,
            detail: detail.into(),
            errors: vec![FieldError {
                field: field.into(),
                message: message.into(),
            }],
        }
    }

    pub fn kind(&self) -> InvalidKind {
        self.kind
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The same error with its field errors replaced (kept non-empty: an empty list leaves
    /// the errors as they were).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Invalid {
        if !errors.is_empty() {
            self.errors = errors;
        }
        self
    }

    /// The same error seen from further out: `prefixed("records[3]")` turns `data.decision`
    /// into `records[3].data.decision` (a batch names its failing record by index).
    pub fn prefixed(mut self, prefix: &str) -> Invalid {
        for e in &mut self.errors {
            e.field = join_path(prefix, &e.field);
        }
        self
    }
}

/// `a` + `b` as one JSON path: `data` + `scaling[0]` = `data.scaling[0]`, `records` + `[1]`
/// = `records[1]`.
pub(crate) fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ if b.starts_with('[') => format!("{a}{b}"),
        _ => format!("{a}.{b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixing_keeps_paths_readable() {
        let e = Invalid::rule("r", "data.decision", "m").prefixed("records[3]");
        assert_eq!(e.errors()[0].field, "records[3].data.decision");
        assert_eq!(e.kind(), InvalidKind::Rule);
        assert_eq!(join_path("records", "[1]"), "records[1]");
    }
}
