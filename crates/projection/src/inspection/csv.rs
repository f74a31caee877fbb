//! The inspection report as CSV: a `section,figure,value` header, then one row a figure, in
//! the order the JSON shows them.
//!
//! The rows are derived from the report's JSON, so a figure has the same name in both:
//! - `section` is the path of the object that holds the figure, fields joined by `.`
//!   (`referrals`, `timeliness.referral_decisions`, `levels.at_end`); the report's own
//!   top-level values (`locality`, `framework`, ...) are in section `report`.
//! - A breakdown (a field named `by_...`) keeps its path as the section, and its key goes
//!   into the figure before a `/`: `threshold_consistency.by_locality,Norwich/decided_as_suggested,3`.
//! - `children` is a breakdown by pseudonym: `children,<pseudonym>/referrals,2`, and a
//!   nested value inside a row joins with `.`: `children,<pseudonym>/level_at_end.tier,3`.
//! - `value` is the number or text; `null` (a rate or median with nothing to count) is empty.
//!
//! Text is quoted as RFC 4180 says when it holds a comma, a quote, a line break or edge
//! spaces; text beginning with `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet
//! does not run it as a formula. Lines end with `\n`.
//!
//! What it deliberately does not do: add or drop anything the JSON has.

use std::borrow::Cow;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The JSON of the report as an ordered tree: serde_json's own map may or may not keep
/// field order depending on features enabled elsewhere in the build, and the CSV must not
/// change order with them.
enum Node {
    Null,
    Scalar(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        // Written as JSON writes it, so the CSV and the JSON agree digit for digit.
        Ok(serde_json::Number::from_f64(v).map_or(Node::Null, |n| Node::Scalar(n.to_string())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            fields.push((k, v));
        }
        Ok(Node::Object(fields))
    }
}

const HEADER: &str = "section,figure,value\n";
const TOP: &str = "report";

/// The `section,figure,value` rows of a report's published JSON, in order.
type Rows = Vec<[String; 3]>;

/// The rows of the report published as `json` (see `InspectionReport::published_json`).
pub(super) fn rows(json: &str) -> Rows {
    let mut out = Rows::new();
    // The published JSON is written by this crate from plain structs, so reading it cannot
    // fail; should it ever, there are no rows rather than a panic.
    if let Ok(Node::Object(fields)) = serde_json::from_str::<Node>(json) {
        for (name, value) in fields {
            section(&mut out, TOP, &name, &value);
        }
    }
    out
}

pub(super) fn to_csv(json: &str) -> String {
    let rows = rows(json);
    // Sized first: a county's year is about 75 MB of CSV, which grown by doubling was copied
    // and faulted in about twice over. Quoting may add a little; the string grows if so.
    let size = rows
        .iter()
        .map(|r| r.iter().map(String::len).sum::<usize>() + 3)
        .sum::<usize>();
    let mut out = String::with_capacity(HEADER.len() + size);
    out.push_str(HEADER);
    for [section, figure, value] in rows {
        out.push_str(&cell(&section));
        out.push(',');
        out.push_str(&cell(&figure));
        out.push(',');
        out.push_str(&cell(&value));
        out.push('\n');
    }
    out
}

/// A field `name` of the object at path `path` (`report` at the top).
fn section(out: &mut Rows, path: &str, name: &str, value: &Node) {
    let here = if path == TOP {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    };
    match value {
        Node::Object(fields) if name.starts_with("by_") => {
            for (key, v) in fields {
                item(out, &here, key, v);
            }
        }
        Node::Object(fields) => {
            for (n, v) in fields {
                section(out, &here, n, v);
            }
        }
        Node::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let key = match v {
                    Node::Object(fs) => fs.iter().find_map(|(k, v)| match (k.as_str(), v) {
                        ("pseudonym", Node::Scalar(p)) => Some(p.clone()),
                        _ => None,
                    }),
                    _ => None,
                };
                item(out, &here, &key.unwrap_or_else(|| i.to_string()), v);
            }
        }
        scalar => row(out, path, name, scalar),
    }
}

/// One item of a breakdown: its figures are named `key/field.subfield`.
fn item(out: &mut Rows, section: &str, key: &str, value: &Node) {
    // `keyed` says whether the `/` after the key is written yet; a key may itself hold a
    // `/` (a locality such as "Breckland/Thetford"), so the figure's text cannot tell.
    fn walk(out: &mut Rows, section: &str, figure: &str, keyed: bool, value: &Node) {
        let sep = if keyed { "." } else { "/" };
        match value {
            Node::Object(fields) => {
                for (n, v) in fields {
                    // The pseudonym names the item and is already in the figure.
                    if n == "pseudonym" && !keyed {
                        continue;
                    }
                    walk(out, section, &format!("{figure}{sep}{n}"), true, v);
                }
            }
            Node::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(out, section, &format!("{figure}{sep}{i}"), true, v);
                }
            }
            scalar => row(out, section, figure, scalar),
        }
    }
    walk(out, section, key, false, value);
}

fn row(out: &mut Rows, section: &str, figure: &str, value: &Node) {
    let value = match value {
        Node::Scalar(s) => s.as_str(),
        _ => "",
    };
    out.push([section.to_owned(), figure.to_owned(), value.to_owned()]);
}

/// A cell as written: a formula's lead defused, quoted where CSV needs it; most cells (the
/// numbers and plain names) as they are, without a copy.
fn cell(text: &str) -> Cow<'_, str> {
    let guarded = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    let needs_quotes = guarded.contains([',', '"', '\n', '\r']) || guarded.trim() != guarded;
    if needs_quotes {
        Cow::Owned(format!("\"{}\"", guarded.replace('"', "\"\"")))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("Norwich"), "Norwich");
        assert_eq!(cell("King's Lynn, West"), "\"King's Lynn, West\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-3"), "-3");
        assert_eq!(cell(" padded"), "\" padded\"");
    }
}
