//! Building the domain's values from the generator's words, fallibly: free text and the
//! values records spell as strings (codes on closed lists, identifiers). A value that is not
//! valid is a bug in the generator; it comes back as an `Err` naming the value, which the
//! caller reports as a `GenerateError` for the child and record, never a panic.

use domain::shapes::Text;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Free text for a record, or why it is not valid.
pub(crate) fn text(s: impl Into<String>) -> Result<Text, String> {
    let s = s.into();
    Text::new(s.as_str()).map_err(|e| format!("the text {s:?} {e}"))
}

/// Lines of free text for a record.
pub(crate) fn texts<S: Into<String>>(
    items: impl IntoIterator<Item = S>,
) -> Result<Vec<Text>, String> {
    items.into_iter().map(text).collect()
}

/// A value of one of the domain's types that records spell as a string (a code or name on a
/// closed list, an NHS number, a UPN), parsed from that spelling.
pub(crate) fn wire<T: DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(Value::String(s.to_owned())).map_err(|e| format!("{s:?}: {e}"))
}

/// Builds a value field by field, stopping at the first that is not valid: a block with `?`
/// in it, for the records built in functions that do not return a `Result`.
pub(crate) fn record_data<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    f()
}

/// A record's data as a client would post it: the typed value serialised to JSON, which
/// `decide` parses the way the API parses a post.
pub(crate) fn posted<T: Serialize>(data: Result<T, String>) -> Result<Value, String> {
    data.and_then(|d| serde_json::to_value(d).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use domain::record::ReferralDecision;

    use super::*;

    #[test]
    fn text_that_is_not_valid_is_an_error_naming_it() {
        assert_eq!(
            text("Seen at school.").map(String::from),
            Ok("Seen at school.".to_owned())
        );
        let blank = text("  ").map(String::from);
        assert_eq!(blank, Err("the text \"  \" must not be blank".to_owned()));
        assert!(texts(["one", ""]).is_err());
    }

    #[test]
    fn a_spelling_not_on_the_list_is_an_error_naming_it() {
        assert_eq!(
            wire::<ReferralDecision>("early_help"),
            Ok(ReferralDecision::EarlyHelp)
        );
        let wrong = wire::<ReferralDecision>("earlyhelp").map(|_| ());
        assert!(wrong.is_err_and(|e| e.starts_with("\"earlyhelp\"")));
    }
}
