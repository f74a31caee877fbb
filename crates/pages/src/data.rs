//! A record's `data` as a page shows it: nested definition lists and lists, never raw JSON.
//!
//! The JSON is flattened into a sequence of [`Token`]s that the template writes one by one,
//! so every piece of text still goes through the template's escaping and every element opened
//! here is closed here (the template cannot recurse, the tokens need not). A string that is
//! the event id of a record on the same page becomes a link to it (`corrects_event_id`,
//! `about_event_id`).
//!
//! What it deliberately does not do: interpret the data. Keys are made readable and values
//! shown as recorded; which fields a record type has is docs/RECORDS.md's business, and a record of
//! an older shape is shown as it was written.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use crate::labels;

/// Deeper than this, a value is shown as compact text: stored data comes from JSON parsed
/// with serde_json's own depth limit, so this only bounds the page, never loses a record.
const MAX_DEPTH: usize = 24;

/// One step of writing a value as HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// `<dl>` … `</dl>`: an object.
    DlOpen,
    DlClose,
    /// `<dt>key</dt>` followed by a `<dd>` … `</dd>`.
    Term(String),
    DdOpen,
    DdClose,
    /// `<ul>` … `</ul>` and `<li>` … `</li>`: an array.
    UlOpen,
    UlClose,
    LiOpen,
    LiClose,
    /// Text as recorded.
    Text(String),
    /// A yes/no, a number or an absence, shown apart from recorded text.
    Value(String),
    /// A date or time recorded in the data: `<time datetime="iso">human</time>`.
    Time(String, String),
    /// A link to a record on this page: `href` (`#record-…`), the record's words ("record
    /// 5, Stepped up") and the id as recorded.
    Link(String, String, String),
}

/// The anchor of a record on a page.
pub(crate) fn anchor(event_id: Uuid) -> String {
    format!("record-{event_id}")
}

/// The tokens of `value`; `linkable` holds the event ids shown on the page, with the words
/// a link to each says.
pub(crate) fn tokens(value: &Value, linkable: &HashMap<Uuid, String>) -> Vec<Token> {
    let mut out = Vec::new();
    write(value, "", linkable, 0, &mut out);
    out
}

/// Writes `value`, recorded under the field `field` (the nearest object key; an array's items
/// are under the array's), so a census code can be read by the list its field names.
fn write(
    value: &Value,
    field: &str,
    linkable: &HashMap<Uuid, String>,
    depth: usize,
    out: &mut Vec<Token>,
) {
    match value {
        Value::Null => out.push(Token::Value("not recorded".to_owned())),
        Value::Bool(true) => out.push(Token::Value("yes".to_owned())),
        Value::Bool(false) => out.push(Token::Value("no".to_owned())),
        Value::Number(n) => out.push(Token::Value(n.to_string())),
        Value::String(s) => match Uuid::parse_str(s)
            .ok()
            .and_then(|id| linkable.get(&id).map(|words| (id, words)))
        {
            Some((id, words)) => out.push(Token::Link(
                format!("#{}", anchor(id)),
                words.clone(),
                s.clone(),
            )),
            None => out.push(text(field, s)),
        },
        Value::Array(items) if items.is_empty() => out.push(Token::Value("none".to_owned())),
        Value::Object(fields) if fields.is_empty() => out.push(Token::Value("none".to_owned())),
        _ if depth >= MAX_DEPTH => out.push(Token::Text(value.to_string())),
        Value::Array(items) => {
            out.push(Token::UlOpen);
            for item in items {
                out.push(Token::LiOpen);
                write(item, field, linkable, depth + 1, out);
                out.push(Token::LiClose);
            }
            out.push(Token::UlClose);
        }
        Value::Object(fields) => {
            out.push(Token::DlOpen);
            for (key, item) in fields {
                out.push(Token::Term(labels::humanise(key)));
                out.push(Token::DdOpen);
                write(item, key, linkable, depth + 1, out);
                out.push(Token::DdClose);
            }
            out.push(Token::DlClose);
        }
    }
}

/// A recorded string as the page shows it: a census code with its label ("White British
/// (WBRI)"), a date or time in the page's one format, a snake-case value of a closed list in
/// words ("Physical abuse"), anything else as recorded.
fn text(field: &str, s: &str) -> Token {
    if let Some(words) = labels::census_code(field, s) {
        return Token::Text(words);
    }
    if field == "statutory_basis" {
        return Token::Text(labels::statutory_basis(s));
    }
    if let Some(t) = labels::recorded_time(s) {
        return Token::Time(t.iso, t.human);
    }
    match labels::enum_word(s) {
        Some(words) => Token::Text(words),
        None => Token::Text(s.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn objects_become_definition_lists_and_arrays_lists() {
        let t = tokens(
            &json!({ "concerns": ["a", "b"], "consent": { "consent_id": null }, "urgent": true }),
            &HashMap::new(),
        );
        use Token::*;
        assert_eq!(
            t,
            vec![
                DlOpen,
                Term("Concerns".into()),
                DdOpen,
                UlOpen,
                LiOpen,
                Text("a".into()),
                LiClose,
                LiOpen,
                Text("b".into()),
                LiClose,
                UlClose,
                DdClose,
                Term("Consent".into()),
                DdOpen,
                DlOpen,
                Term("Consent ID".into()),
                DdOpen,
                Value("not recorded".into()),
                DdClose,
                DlClose,
                DdClose,
                Term("Urgent".into()),
                DdOpen,
                Value("yes".into()),
                DdClose,
                DlClose,
            ]
        );
    }

    #[test]
    fn codes_dates_and_list_values_are_shown_in_words() {
        let t = tokens(
            &json!({
                "ethnicity": "WBRI",
                "disability": ["AUT", "HEAR"],
                "source": "2A",
                "primary_need": "N1",
                "closure_reason": "RC8",
                "category": "physical_abuse",
                "review_by": "2026-12-01",
                "concerns": ["2A", "see_notes please"],
            }),
            &HashMap::new(),
        );
        for words in [
            "White British (WBRI)",
            "Autism or Asperger syndrome (AUT)",
            "Hearing (HEAR)",
            "Schools (2A)",
            "Abuse or neglect (N1)",
            "Case closed after assessment, no further action (RC8)",
            "Physical abuse",
            // Free text is never read as a code.
            "2A",
            "see_notes please",
        ] {
            assert!(t.contains(&Token::Text(words.into())), "{words}");
        }
        assert!(t.contains(&Token::Time("2026-12-01".into(), "1 Dec 2026".into())));
    }

    #[test]
    fn event_ids_on_the_page_become_links_and_others_stay_text() {
        let shown = Uuid::from_u128(1);
        let other = Uuid::from_u128(2);
        let t = tokens(
            &json!({ "a": shown.to_string(), "b": other.to_string() }),
            &HashMap::from([(shown, "record 1, Referral made".to_owned())]),
        );
        assert!(t.contains(&Token::Link(
            format!("#record-{shown}"),
            "record 1, Referral made".to_owned(),
            shown.to_string()
        )));
        assert!(t.contains(&Token::Text(other.to_string())));
    }

    #[test]
    fn very_deep_data_is_cut_to_text_not_lost() {
        let mut v = json!("bottom");
        for _ in 0..100 {
            v = json!([v]);
        }
        let t = tokens(&v, &HashMap::new());
        let opened = t.iter().filter(|t| **t == Token::UlOpen).count();
        assert_eq!(opened, MAX_DEPTH);
        assert!(
            t.iter()
                .any(|t| matches!(t, Token::Text(s) if s.contains("bottom")))
        );
    }
}
