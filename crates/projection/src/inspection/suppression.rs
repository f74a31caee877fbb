//! Small-number suppression: in a report for one locality, a figure that rests on fewer than
//! five children is shown as `<5`, so that a small place's figures cannot be read back to a
//! child someone there knows.
//!
//! Which figures count children and which count events is not decided field by field here:
//! for every figure, the children it rests on are the children whose own records give it a
//! value. The report is worked out once per child ([`SmallCounts::tally`]); a count rests on
//! the children for whom it is not 0, and a rate or median (`null` when it has nothing to go
//! on) also on the children for whom it is not `null`, which are those in its denominator.
//! A count of 0 rests on no child and stays 0; a rate of 0 over three children is withheld.
//! A figure is suppressed when either number is 1 to 4 (docs/REPORT.md). A child's own row
//! rests on one child, so every count in it other than 0 is suppressed.
//!
//! What it deliberately does not do: change the figures. The report keeps its numbers (the
//! tests and the read model reason with them); only what is published ([`Tree`], written as
//! the JSON answer, the CSV and the page) has `<5` in their place. It does not guard against
//! differencing (all localities' totals minus the others'); the unfiltered report is for
//! people who may see every child's figures anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// What a suppressed figure shows instead of its number.
pub const SUPPRESSED: &str = "<5";

/// Below this many children a figure is suppressed.
pub(super) const THRESHOLD: u64 = 5;

/// The report's top-level fields that are not figures.
const NOT_FIGURES: [&str; 6] = [
    "period",
    "locality",
    "framework",
    "framework_title",
    "rules_version",
    "children",
];

/// The figures of one report that rest on too few children. Empty (and inactive) for a
/// report of every locality.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmallCounts {
    /// Whether suppression applies at all: a locality was asked for.
    active: bool,
    /// Paths of the figures to suppress: `["referrals", "received"]`.
    figures: BTreeSet<Vec<String>>,
}

/// How many children give a figure a value: not 0, and not `null`; and whether the figure
/// is a ratio (a rate or median: a fraction, or `null` when it has nothing to go on), whose
/// children not `null` are its denominator's.
#[derive(Default, Clone, Copy)]
struct Children {
    nonzero: u64,
    nonnull: u64,
    ratio: bool,
}

impl SmallCounts {
    /// Works out the figures to suppress from the report of each child alone (as JSON), each
    /// with how many children it stands for (children whose reports are the same are
    /// counted as one report with their number).
    pub(super) fn tally(per_child: impl Iterator<Item = (serde_json::Value, u64)>) -> SmallCounts {
        let mut children: BTreeMap<Vec<String>, Children> = BTreeMap::new();
        for (report, times) in per_child {
            if let serde_json::Value::Object(fields) = report {
                for (name, value) in fields {
                    if !NOT_FIGURES.contains(&name.as_str()) {
                        count(&mut children, &mut vec![name], &value, times);
                    }
                }
            }
        }
        let small = |n: u64| (1..THRESHOLD).contains(&n);
        SmallCounts {
            active: true,
            figures: children
                .into_iter()
                .filter(|(_, c)| small(c.nonzero) || (c.ratio && small(c.nonnull)))
                .map(|(path, _)| path)
                .collect(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Replaces the suppressed figures of `tree` (the whole report) with `<5`; returns how
    /// many were replaced.
    pub(super) fn apply(&self, tree: &mut Tree) -> usize {
        if !self.active {
            return 0;
        }
        let mut replaced = 0;
        if let Tree::Object(fields) = tree {
            for (name, value) in fields.iter_mut() {
                if name == "children" {
                    if let Tree::Array(rows) = value {
                        for row in rows {
                            replaced += suppress_row(row);
                        }
                    }
                } else if !NOT_FIGURES.contains(&name.as_str()) {
                    replaced += self.walk(&mut vec![name.clone()], value);
                }
            }
        }
        replaced
    }

    fn walk(&self, path: &mut Vec<String>, tree: &mut Tree) -> usize {
        match tree {
            Tree::Object(fields) => {
                let mut n = 0;
                for (name, value) in fields.iter_mut() {
                    path.push(name.clone());
                    n += self.walk(path, value);
                    path.pop();
                }
                n
            }
            Tree::Number(_) if self.figures.contains(path) => {
                *tree = Tree::String(SUPPRESSED.to_owned());
                1
            }
            _ => 0,
        }
    }
}

/// A child's row: every count other than 0 rests on that one child. The level at the end is
/// a tier, not a count, and stays.
fn suppress_row(row: &mut Tree) -> usize {
    let mut n = 0;
    if let Tree::Object(fields) = row {
        for (name, value) in fields.iter_mut() {
            if name == "level_at_end" {
                continue;
            }
            if let Tree::Number(v) = value
                && v.as_f64().is_some_and(|x| x != 0.0)
            {
                *value = Tree::String(SUPPRESSED.to_owned());
                n += 1;
            }
        }
    }
    n
}

/// Counts the figures of `times` children whose reports alone are all `value`.
fn count(
    children: &mut BTreeMap<Vec<String>, Children>,
    path: &mut Vec<String>,
    value: &serde_json::Value,
    times: u64,
) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, v) in fields {
                path.push(name.clone());
                count(children, path, v, times);
                path.pop();
            }
        }
        serde_json::Value::Number(n) => {
            let c = children.entry(path.clone()).or_default();
            c.nonnull += times;
            c.ratio |= n.is_f64();
            if n.as_f64().is_some_and(|x| x != 0.0) {
                c.nonzero += times;
            }
        }
        // A rate or median with nothing to go on for this child: no child behind it. Make
        // sure the figure is known, so one that is `null` for every child is not forgotten.
        serde_json::Value::Null => {
            children.entry(path.clone()).or_default().ratio = true;
        }
        _ => {}
    }
}

/// The report as published: JSON in the order the report's fields are declared, whatever
/// features of serde_json the build enables (its map may or may not keep order), so the
/// answer and the CSV keep the order of the unsuppressed report.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tree {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

impl<'de> Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        d.deserialize_any(TreeVisitor)
    }
}

struct TreeVisitor;

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Tree;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Tree, E> {
        Ok(Tree::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Tree, E> {
        Ok(Tree::Bool(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Tree, E> {
        Ok(Tree::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Tree, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Tree::Null, Tree::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Tree, E> {
        Ok(Tree::String(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Tree::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Tree>()? {
            fields.push((k, v));
        }
        Ok(Tree::Object(fields))
    }
}

impl Serialize for Tree {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Null => s.serialize_unit(),
            Tree::Bool(b) => s.serialize_bool(*b),
            Tree::Number(n) => n.serialize(s),
            Tree::String(t) => s.serialize_str(t),
            Tree::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Tree::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}
