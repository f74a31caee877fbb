//! Query parameters that could not be read, explained: which parameter, what form it wants, and
//! an example. The framework's own message ("Query deserialize error: input contains invalid
//! characters") names neither.
//!
//! Used by the query extractor's error handler: the query string is read again here, each
//! known parameter checked against its form, and the first that fails is named. What the
//! handlers accept is still decided by their query types; this only explains a refusal.

use chrono::{DateTime, NaiveDate};

use crate::problem::{ApiError, ErrorKind};

/// The example every time parameter's message gives.
pub const TIME_EXAMPLE: &str = "2026-11-20T10:15:00Z";

/// What a known parameter must look like.
enum Form {
    Time,
    Date,
    Count,
}

fn form(name: &str) -> Option<Form> {
    match name {
        "as_of" | "known_at" => Some(Form::Time),
        "from" | "to" => Some(Form::Date),
        "min_position" | "after" | "limit" | "months" => Some(Form::Count),
        _ => None,
    }
}

/// Why `value` is not of `form`, in words for the parameter `name`; `None` if it is.
fn wrong(name: &str, form: &Form, value: &str) -> Option<String> {
    match form {
        Form::Time => {
            if DateTime::parse_from_rfc3339(value).is_ok() {
                return None;
            }
            let hint = if NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() {
                " (a date alone is not enough: give the time and its offset)".to_owned()
            } else if chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S").is_ok()
                || chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M").is_ok()
            {
                " (it has no offset from UTC: add Z or +01:00)".to_owned()
            } else {
                String::new()
            };
            Some(format!(
                "{name} must be a date and time with its offset from UTC (RFC 3339), such as {TIME_EXAMPLE} or 2026-11-20T10:15:00%2B01:00 in a URL; got `{value}`{hint}"
            ))
        }
        Form::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .is_err()
            .then(|| {
                format!("{name} must be a date as YYYY-MM-DD, such as 2026-11-20; got `{value}`")
            }),
        Form::Count => value.parse::<u64>().is_err().then(|| {
            format!("{name} must be a whole number of 0 or more, such as 12; got `{value}`")
        }),
    }
}

/// The 400 for a query string the extractor refused: the first parameter whose value is not of
/// its form, named with the form and an example; else the framework's words.
pub fn explain(query: &str, framework_error: &str) -> ApiError {
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if let Some(f) = form(&name)
            && let Some(message) = wrong(&name, &f, &value)
        {
            return ApiError::new(ErrorKind::InvalidParameter, message.clone())
                .with_field(name.into_owned(), message);
        }
    }
    let detail = framework_error
        .strip_prefix("Query deserialize error: ")
        .unwrap_or(framework_error);
    let message = if let Some(name) = detail
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
    {
        format!("`{name}` is not a parameter of this route")
    } else {
        format!("the query string is not valid: {detail}")
    };
    ApiError::new(ErrorKind::InvalidParameter, message.clone()).with_field("query", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_for_a_time_names_the_parameter_and_the_form() {
        let e = explain(
            "as_of=2026-05-01",
            "Query deserialize error: input contains invalid characters",
        );
        assert_eq!(e.errors()[0].field, "as_of");
        assert!(e.detail().contains(TIME_EXAMPLE), "{}", e.detail());
        assert!(e.detail().contains("a date alone"), "{}", e.detail());
        let e = explain("known_at=2026-05-01T10:00:00", "x");
        assert!(e.detail().contains("no offset"), "{}", e.detail());
    }

    #[test]
    fn dates_and_counts_and_unknown_parameters() {
        let e = explain("from=01/05/2026", "x");
        assert_eq!(e.errors()[0].field, "from");
        assert!(e.detail().contains("YYYY-MM-DD"));
        let e = explain("limit=lots", "x");
        assert_eq!(e.errors()[0].field, "limit");
        let e = explain(
            "colour=red",
            "Query deserialize error: unknown field `colour`, expected `as_of` or `known_at`",
        );
        assert!(
            e.detail().contains("`colour` is not a parameter"),
            "{}",
            e.detail()
        );
    }
}
