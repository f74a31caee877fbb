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

/// The most field errors one refusal lists: enough to fix a body in one go, few enough that a
/// body of garbage does not become a page of them.
pub const MAX_ERRORS: usize = 50;

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

    /// Several refusals as one, so a client hears of every wrong field at once: the first's
    /// kind and detail, then every field error in order, at most [`MAX_ERRORS`] (the same
    /// field and message once). `None` when there is nothing to refuse.
    pub fn merge(all: impl IntoIterator<Item = Invalid>) -> Option<Invalid> {
        let mut all = all.into_iter();
        let mut first = all.next()?;
        let mut errors = std::mem::take(&mut first.errors);
        for e in all {
            errors.extend(e.errors);
        }
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert((e.field.clone(), e.message.clone())));
        errors.truncate(MAX_ERRORS);
        first.errors = errors;
        Some(first)
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

    #[test]
    fn merged_refusals_keep_the_first_detail_and_at_most_fifty_fields() {
        let all = (0..60).map(|i| Invalid::shape(format!("data.f{i}"), "is wrong"));
        let e = Invalid::merge(all).unwrap();
        assert_eq!(e.errors().len(), MAX_ERRORS);
        assert_eq!(e.errors()[0].field, "data.f0");
        assert_eq!(e.kind(), InvalidKind::Shape);
        assert!(Invalid::merge(Vec::new()).is_none());
        let twice = [Invalid::shape("a", "m"), Invalid::shape("a", "m")];
        assert_eq!(Invalid::merge(twice).unwrap().errors().len(), 1);
    }
}
