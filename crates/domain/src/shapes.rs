//! The small shapes records share (docs/RECORDS.md, "Shared shapes"): free text, a person, a family
//! member, an action, a scaling question, the child's voice; and [`parse`], which turns JSON into
//! any of the record types with every shape error reported at its JSON path.
//!
//! A shape here checks only what can be known from the value alone (a score is 0 to 10, text is
//! not blank and not longer than the limit). Whether an id exists, or a level is allowed, is a
//! rule and lives in `crate::rules`.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_path_to_error::Segment;

use crate::error::{Invalid, join_path};

/// The most characters a free-text field may hold (docs/CONTRACT.md's limits).
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Free text: not blank, at most [`MAX_TEXT_CHARS`] characters. Too long is a shape error
/// (400) rather than a rule (422): it is a limit of the field, known from the value alone, and
/// the contract lists it with the other limits of the request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

impl Text {
    pub fn new(s: impl Into<String>) -> Result<Text, String> {
        let s = s.into();
        if s.trim().is_empty() {
            return Err("must not be blank".to_owned());
        }
        // Every stored event's texts pass through here again when it is read, so the usual
        // case is kept to one pass over the bytes: none below U+0020, no DEL, and no 0xC2 lead
        // byte (the C1 controls, U+0080-U+009F, are 0xC2 0x80-0x9F) means no control
        // character; anything else takes the exact check below.
        // A fold rather than `all`: with no early exit the compiler checks many bytes at a
        // time.
        let plain = !s
            .bytes()
            .fold(false, |odd, b| odd | (b < 0x20) | (b == 0x7F) | (b == 0xC2));
        if !plain && let Some((i, c)) = s.char_indices().find(|(_, c)| !printable(*c)) {
            return Err(format!(
                "contains the control character U+{:04X} at character {}; text may hold tabs and line breaks but no other control characters",
                c as u32,
                s[..i].chars().count() + 1
            ));
        }
        // A character is at least a byte, so only a text longer in bytes needs counting.
        if s.len() > MAX_TEXT_CHARS {
            let n = s.chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(format!(
                    "is {n} characters long; a field holds at most {MAX_TEXT_CHARS}"
                ));
            }
        }
        Ok(Text(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` may stand in stored text: anything but a control character, except tabs and
/// line breaks. NUL cannot be stored by PostgreSQL at all, and the rest cannot be printed or
/// exported faithfully (a CSV, a page, the census XML).
pub fn printable(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

impl TryFrom<String> for Text {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Text::new(s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// Not blank (`\\S`: a character that is not white space), at most [`MAX_TEXT_CHARS`]. JSON
/// Schema's `maxLength` counts code points, as [`Text::new`] does (`chars().count()`); control
/// characters are left to the parser, which names them.
impl JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS, "pattern": "\\S" })
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A practitioner: who recorded, decided, led or took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// The practitioner's name.
    pub name: Text,
    /// Their role, e.g. `social_worker`, `designated_safeguarding_lead`.
    pub role: Text,
    /// Their agency, spelled as in tokens: `police:norfolk`, `school:norwich-high`.
    pub agency: Text,
}

/// Someone in the child's family, or the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FamilyMember {
    /// Their name, where it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// Their relationship to the child: `mother`, `father`, `carer`, `young_person`, `child`, ...
    pub relationship: Text,
}

/// A practitioner or a family member (participants, action owners). Told apart by their
/// fields: a person has `role` and `agency`, a family member a `relationship`.
// Written (and documented) as an untagged enum; read by hand, below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(transform = crate::schema::exactly_one)]
pub enum Party {
    Person(Person),
    FamilyMember(FamilyMember),
}

/// Reads a field that is there (with `#[serde(default)]` for one that is not): `Some` of its
/// value, so that `null` is read as `T` reads it (refused, unless `T` is an `Option`). For the
/// types read by hand, which tell their shapes apart by the fields present ([`Party`],
/// [`crate::record::ReferralConsent`]).
pub(crate) fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A JSON object's text with the fields `(name, value)` picked from `names` and `values` by
/// index, in order and repeats kept (a map would drop them): for the proptests of the types
/// read by hand.
#[cfg(test)]
pub(crate) fn object_text(fields: &[(usize, usize)], names: &[&str], values: &[&str]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|&(n, v)| format!("\"{}\": {}", names[n], values[v]))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// What [`Party`] says when its fields fit neither shape.
const PARTY_SHAPES: &str =
    "must be a person { name, role, agency } or a family member { name?, relationship }";

impl<'de> Deserialize<'de> for Party {
    /// Reads the fields once and decides by which are present. serde's untagged enums buffer
    /// the object and try each variant in turn (4% of a county rebuild's samples, for the
    /// participants alone), and when neither fits they can only say so of the whole object;
    /// here a person missing its `agency` is told `agency` is required, and a bad text is named
    /// at its field.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Party, D::Error> {
        use serde::de::Error;

        // Absent is `None`; `null` is refused, as the schema refuses it (only a family
        // member's `name` may be null).
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Fields {
            name: Option<Text>,
            #[serde(default, deserialize_with = "present")]
            role: Option<Text>,
            #[serde(default, deserialize_with = "present")]
            agency: Option<Text>,
            #[serde(default, deserialize_with = "present")]
            relationship: Option<Text>,
        }
        let Fields {
            name,
            role,
            agency,
            relationship,
        } = Fields::deserialize(d)?;
        match (relationship, role, agency) {
            (Some(relationship), None, None) => {
                Ok(Party::FamilyMember(FamilyMember { name, relationship }))
            }
            (Some(_), _, _) => Err(D::Error::custom(format!(
                "{PARTY_SHAPES}, not both: `relationship` cannot be given with `role` or `agency`"
            ))),
            (None, None, None) => Err(D::Error::custom(PARTY_SHAPES)),
            (None, role, agency) => Ok(Party::Person(Person {
                name: name.ok_or_else(|| D::Error::missing_field("name"))?,
                role: role.ok_or_else(|| D::Error::missing_field("role"))?,
                agency: agency.ok_or_else(|| D::Error::missing_field("agency"))?,
            })),
        }
    }
}

/// Who does what by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// What is to be done.
    pub description: Text,
    /// Who does it: a practitioner or a family member.
    pub owner: Party,
    /// By when.
    pub due_by: NaiveDate,
}

/// A Signs of Safety scaling score, 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Score(u8);

impl Score {
    pub fn new(n: i64) -> Option<Score> {
        u8::try_from(n).ok().filter(|n| *n <= 10).map(Score)
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Score {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        Score::new(n).ok_or_else(|| format!("a score is a whole number from 0 to 10, not {n}"))
    }
}

impl JsonSchema for Score {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Score".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 0, "maximum": 10 })
    }
}

impl From<Score> for u8 {
    fn from(s: Score) -> u8 {
        s.0
    }
}

/// A Signs of Safety scaling question: a score from 0 to 10, what its ends mean and why this
/// number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    /// The scaling question, e.g. "How safe is Maya at home?"
    pub question: Text,
    /// The score, a whole number from 0 to 10.
    pub score: Score,
    /// What 0 means.
    pub zero_means: Text,
    /// What 10 means.
    pub ten_means: Text,
    /// What makes it this number.
    pub rationale: Text,
}

/// The child's own views, the behaviour seen, or why neither was captured: at least one, so a
/// `child_voice` is never an empty box ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ChildVoiceFields")]
pub struct ChildVoice {
    #[serde(skip_serializing_if = "Option::is_none")]
    views: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    behaviour_observed: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_captured_reason: Option<Text>,
}

/// The child's voice: give at least one of `views`, `behaviour_observed` or `not_captured_reason`,
/// so it is never an empty box ticked.
// `skip_serializing_if` only tells the derived schema that a field left out has no default
// worth showing (this struct is never serialised).
#[derive(Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
struct ChildVoiceFields {
    /// The child's own views, in their words where possible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    views: Option<Text>,
    /// What the child's behaviour showed (for a child too young or unable to say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    behaviour_observed: Option<Text>,
    /// Why neither the child's views nor their behaviour was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_captured_reason: Option<Text>,
}

/// The fields' schema with the constraint [`ChildVoice::new`] checks: at least one present.
impl JsonSchema for ChildVoice {
    fn schema_name() -> Cow<'static, str> {
        "ChildVoice".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = ChildVoiceFields::json_schema(generator);
        crate::schema::require_present(
            &mut schema,
            "anyOf",
            &["views", "behaviour_observed", "not_captured_reason"],
        );
        schema
    }
}

impl TryFrom<ChildVoiceFields> for ChildVoice {
    type Error = String;
    fn try_from(f: ChildVoiceFields) -> Result<Self, Self::Error> {
        ChildVoice::new(f.views, f.behaviour_observed, f.not_captured_reason)
    }
}

impl ChildVoice {
    pub fn new(
        views: Option<Text>,
        behaviour_observed: Option<Text>,
        not_captured_reason: Option<Text>,
    ) -> Result<ChildVoice, String> {
        if views.is_none() && behaviour_observed.is_none() && not_captured_reason.is_none() {
            return Err(
                "give the child's views, the behaviour observed, or why neither was \
                        captured"
                    .to_owned(),
            );
        }
        Ok(ChildVoice {
            views,
            behaviour_observed,
            not_captured_reason,
        })
    }
    pub fn views(&self) -> Option<&Text> {
        self.views.as_ref()
    }
    pub fn behaviour_observed(&self) -> Option<&Text> {
        self.behaviour_observed.as_ref()
    }
    pub fn not_captured_reason(&self) -> Option<&Text> {
        self.not_captured_reason.as_ref()
    }
    /// Whether the child was actually heard or seen (not only a reason why not).
    pub fn heard(&self) -> bool {
        self.views.is_some() || self.behaviour_observed.is_some()
    }
}

/// Parses `value` as a `T`, reporting every shape error it can find (at most
/// [`crate::error::MAX_ERRORS`]) at its JSON path under `prefix`
/// (`parse::<ConversationRecorded>(v, "data")` reports `data.scaling[0].score`).
///
/// serde stops at the first error. To reach the fields after it, the field of the object that
/// holds the error is taken out and the value parsed again (and the other elements of a list
/// that held one are each tried alone, at most [`MAX_ELEMENT_TRIES`] in all), until it parses or the next error
/// cannot be told apart from one the taking-out caused: a field taken out that is required shows
/// as missing (already reported), and an error of the object as a whole (a one-of check across
/// fields) may be about a field taken out. Every error listed is one the client's value has;
/// errors after such a stop (further missing fields, say) may go unlisted, and the caller may add
/// what it knows (a type's required fields). The first error is what [`Invalid::detail`] and the
/// first entry describe, as before.
pub fn parse<T: DeserializeOwned>(value: serde_json::Value, prefix: &str) -> Result<T, Invalid> {
    // Parsed from a reference, so the value stays whole to look for more errors without a
    // copy of it up front (a deep copy of every body was a large part of each append's cost).
    // First without tracking the path, which only an error needs (as `parse_stored_text`).
    if let Ok(t) = T::deserialize(&value) {
        return Ok(t);
    }
    let first = match parse_first::<T>(&value, prefix) {
        Ok(t) => return Ok(t),
        Err(e) => e,
    };
    let original = value.clone();
    let mut value = value;
    let mut found = vec![first.clone()];
    let mut taken: Vec<String> = Vec::new();
    let mut last = first.errors().first().map(|f| f.field.clone());
    while found.len() < crate::error::MAX_ERRORS {
        let Some(field) = last.take() else { break };
        let Some(key) = top_key(&field, prefix) else {
            break;
        };
        let Some(object) = value.as_object_mut() else {
            break;
        };
        if object.remove(&key).is_none() {
            break;
        }
        taken.push(key);
        match parse_first::<T>(&value, prefix) {
            Ok(_) => break,
            Err(e) => {
                let Some(next) = e.errors().first() else {
                    break;
                };
                match top_key(&next.field, prefix) {
                    Some(k) if !taken.contains(&k) => {
                        last = Some(next.field.clone());
                        found.push(e);
                    }
                    _ => break,
                }
            }
        }
    }
    // An array field that held an error may hold more in its other elements: each is tried
    // alone in the field's place, the other fields as above, and an error there is named at
    // its own index.
    // Each try parses the whole body again, so their number is bounded whatever the body:
    // a list of hundreds of good elements beside one bad one costs at most this many parses.
    let mut tries = 0;
    for key in &taken {
        if found.iter().map(|e| e.errors().len()).sum::<usize>() >= crate::error::MAX_ERRORS
            || tries >= MAX_ELEMENT_TRIES
        {
            break;
        }
        let Some(items) = original.get(key).and_then(|v| v.as_array()) else {
            continue;
        };
        let base = join_path(prefix, key);
        let already: Vec<String> = found
            .iter()
            .flat_map(|e| e.errors().iter().map(|f| f.field.clone()))
            .collect();
        for (j, item) in items.iter().enumerate() {
            let at = format!("{base}[{j}]");
            if already.iter().any(|f| within(f, &at)) {
                continue;
            }
            if tries >= MAX_ELEMENT_TRIES {
                break;
            }
            tries += 1;
            let mut alone = value.clone();
            let Some(object) = alone.as_object_mut() else {
                break;
            };
            object.insert(key.clone(), serde_json::Value::Array(vec![item.clone()]));
            let Err(e) = parse_first::<T>(&alone, prefix) else {
                continue;
            };
            let zero = format!("{base}[0]");
            if let Some(f) = e.errors().first().filter(|f| within(&f.field, &zero)) {
                let field = format!("{at}{}", &f.field[zero.len()..]);
                found.push(Invalid::shape(field, f.message.clone()));
            }
        }
    }
    // An object field that held an error may hold more among its own fields: the object is
    // put back and its fields taken out one by one, as the top level's were (one level down).
    for key in &taken {
        if found.iter().map(|e| e.errors().len()).sum::<usize>() >= crate::error::MAX_ERRORS
            || tries >= MAX_ELEMENT_TRIES
        {
            break;
        }
        let Some(inner) = original.get(key).filter(|v| v.is_object()) else {
            continue;
        };
        let base = join_path(prefix, key);
        let mut trial = value.clone();
        let Some(object) = trial.as_object_mut() else {
            break;
        };
        object.insert(key.clone(), inner.clone());
        let mut inner_taken: Vec<String> = Vec::new();
        while tries < MAX_ELEMENT_TRIES {
            tries += 1;
            let Err(e) = parse_first::<T>(&trial, prefix) else {
                break;
            };
            let Some(f) = e.errors().first() else { break };
            let Some(sub) = top_key(&f.field, &base) else {
                break;
            };
            if inner_taken.contains(&sub) {
                break;
            }
            let known = found
                .iter()
                .flat_map(super::error::Invalid::errors)
                .any(|g| g.field == f.field);
            if !known {
                found.push(Invalid::shape(f.field.clone(), f.message.clone()));
            }
            let removed = trial
                .get_mut(key)
                .and_then(|v| v.as_object_mut())
                .and_then(|o| o.remove(&sub));
            if removed.is_none() {
                break;
            }
            inner_taken.push(sub);
        }
    }
    Err(Invalid::merge(found).unwrap_or(first))
}

/// [`parse`] of a value the caller keeps using: read from the reference, and copied only when
/// it has an error to explain, which a well-formed body (nearly every one) never has.
pub fn parse_ref<T: DeserializeOwned>(
    value: &serde_json::Value,
    prefix: &str,
) -> Result<T, Invalid> {
    match T::deserialize(value) {
        Ok(t) => Ok(t),
        Err(_) => parse(value.clone(), prefix),
    }
}

/// How many list elements [`parse`] tries alone for further errors, across all lists.
const MAX_ELEMENT_TRIES: usize = 100;

/// Whether the path `field` is `at` or lies inside it (`data.items[1].x` inside
/// `data.items[1]`, not inside `data.items[10]`).
fn within(field: &str, at: &str) -> bool {
    field
        .strip_prefix(at)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The key of the top-level object a field path under `prefix` lies in: `data.scaling[0].score`
/// under `data` is `scaling`. `None` for the object itself.
fn top_key(field: &str, prefix: &str) -> Option<String> {
    let rest = if prefix.is_empty() {
        field
    } else {
        field.strip_prefix(prefix)?.strip_prefix('.')?
    };
    let key = rest.split(['.', '[']).next().unwrap_or_default();
    (!key.is_empty()).then(|| key.to_owned())
}

/// [`parse`] stopping at the first error, as serde does.
/// How a value is parsed: a client's, with every error found ([`parse`]), or a stored one,
/// which is moved into the type at once and names only its first error (stored data was
/// checked when it was recorded; a failure only says the event cannot be read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    Client,
    Stored,
}

/// [`parse`] or [`parse_stored`], as `how` says.
pub fn parse_as<T: DeserializeOwned>(
    how: Parse,
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, Invalid> {
    match how {
        Parse::Client => parse(value, prefix),
        Parse::Stored => parse_stored(value, prefix),
    }
}

/// Where a record's data is read from: a parsed value (a client's, or a stored one), or the
/// JSON text a store holds, read straight into the type.
pub enum Source<'a> {
    Value(Parse, serde_json::Value),
    Text(&'a str),
}

impl Source<'_> {
    pub fn parse<T: DeserializeOwned>(self, prefix: &str) -> Result<T, Invalid> {
        match self {
            Source::Value(how, value) => parse_as(how, value, prefix),
            Source::Text(text) => parse_stored_text(text, prefix),
        }
    }
}

/// Parses stored data from its JSON text, straight into the type; only the first error is
/// named.
///
/// Stored data was checked when it was written, so it is read first without tracking where
/// the reader is (without it a county rebuild ran 15% faster); only text that fails
/// is read again, with the path, to name where.
pub fn parse_stored_text<T: DeserializeOwned>(text: &str, prefix: &str) -> Result<T, Invalid> {
    if let Ok(parsed) = serde_json::from_str(text) {
        return Ok(parsed);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed =
        serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| path_error(e, prefix))?;
    de.end()
        .map_err(|e| Invalid::shape(prefix.to_owned(), e.to_string()))?;
    Ok(parsed)
}

/// Parses stored data: the value is moved into the type (no copy of its strings), and only
/// the first error is named.
pub fn parse_stored<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, Invalid> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| path_error(e, prefix))
}

fn parse_first<T: DeserializeOwned>(value: &serde_json::Value, prefix: &str) -> Result<T, Invalid> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| path_error(e, prefix))
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> Invalid {
    {
        let mut path = String::new();
        for seg in e.path() {
            match seg {
                Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    path = join_path(&path, key);
                }
                Segment::Unknown => {}
            }
        }
        let (path, message) = explain(&path, &e.inner().to_string());
        Invalid::shape(join_path(prefix, &path), message)
    }
}

/// Turns serde's messages into ones a practitioner's system can act on, moving the name of a
/// missing or unknown field into the path.
/// chrono's words for a time or date it could not read, which name neither the field nor the
/// form wanted.
const CHRONO_ERRORS: [&str; 7] = [
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "bad or unsupported format string",
];

/// Fields that hold a date alone (`YYYY-MM-DD`); every other time field is an instant.
const DATE_FIELDS: [&str; 7] = [
    "date_of_birth",
    "expected_date_of_birth",
    "review_by",
    "next_review_by",
    "due_by",
    "expires_on",
    "started_on",
];

/// A time or date chrono could not read, explained with the form wanted and an example.
fn time_message(path: &str, raw: &str) -> Option<String> {
    let reason = CHRONO_ERRORS.iter().find(|e| raw.starts_with(*e))?;
    let field = path.rsplit('.').next().unwrap_or(path);
    if DATE_FIELDS.contains(&field) {
        return Some("must be a date as YYYY-MM-DD, such as 2026-11-20".to_owned());
    }
    let hint = match *reason {
        "premature end of input" => {
            " (it ends too soon: a time needs its seconds and its offset from UTC, Z or +01:00)"
        }
        "input contains invalid characters" => {
            " (it has characters that do not belong there: the form is year-month-day, T, hours:minutes:seconds, offset)"
        }
        _ => "",
    };
    Some(format!(
        "must be a date and time with its offset from UTC (RFC 3339), such as 2026-11-20T10:15:00Z or 2026-11-20T10:15:00+01:00{hint}"
    ))
}

fn explain(path: &str, raw: &str) -> (String, String) {
    // serde_json appends " at line x column y" only when parsing text; values have none.
    if let Some(name) = between(raw, "missing field `", "`") {
        return (join_path(path, name), "is required".to_owned());
    }
    if let Some(name) = between(raw, "unknown field `", "`") {
        let expected = raw
            .split_once(", expected ")
            .map_or("no fields", |(_, e)| e);
        // serde_path_to_error already puts an unknown field's name at the end of the path.
        let at = if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            join_path(path, name)
        };
        return (at, format!("is not a field here (expected {expected})"));
    }
    if let Some(value) = between(raw, "unknown variant `", "`") {
        let expected = raw.split_once(", expected ").map_or("", |(_, e)| e);
        return (
            path.to_owned(),
            format!("`{value}` is not an allowed value; expected {expected}"),
        );
    }
    if let Some(message) = time_message(path, raw) {
        return (path.to_owned(), message);
    }
    (path.to_owned(), raw.to_owned())
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &s[s.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// What [`Text::new`] accepts, said the slow, obvious way.
    fn acceptable(s: &str) -> bool {
        !s.trim().is_empty() && s.chars().all(printable) && s.chars().count() <= MAX_TEXT_CHARS
    }

    proptest! {
        /// The byte-level short cuts (no control character, no need to count) decide exactly
        /// as the character-by-character rule does, for texts full of the characters near
        /// their edges: C0 and C1 controls, DEL, tabs and line breaks, and others sharing
        /// their lead bytes.
        #[test]
        fn text_is_accepted_exactly_as_the_rule_says(
            chars in prop::collection::vec(prop::sample::select(vec![
                'a', ' ', '\t', '\n', '\r', '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}',
                '\u{a0}', '\u{bf}', '\u{e9}', '\u{2028}', '\u{1F600}',
            ]), 0..40)
        ) {
            let s: String = chars.into_iter().collect();
            prop_assert_eq!(Text::new(s.clone()).is_ok(), acceptable(&s), "{:?}", s);
        }
    }

    #[test]
    fn a_text_is_counted_in_characters_not_bytes() {
        // 20,000 two-byte characters: 40,000 bytes, and within the limit.
        assert!(Text::new("é".repeat(MAX_TEXT_CHARS)).is_ok());
        let e = Text::new("é".repeat(MAX_TEXT_CHARS + 1)).unwrap_err();
        assert!(e.contains("20001 characters"), "{e}");
        assert!(Text::new("a".repeat(MAX_TEXT_CHARS + 1)).is_err());
    }

    /// A list of parties, as records hold them.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Parties {
        participants: Vec<Party>,
    }

    /// The first error reading `party` as a participant: (field, message).
    fn party_error(party: serde_json::Value) -> (String, String) {
        let e = parse::<Parties>(json!({ "participants": [party] }), "data").unwrap_err();
        let first = &e.errors()[0];
        (first.field.clone(), first.message.clone())
    }

    #[test]
    fn a_party_is_told_apart_by_its_fields_and_written_back_as_read() {
        let person = json!({"name": "Sam Ray", "role": "teacher", "agency": "school:norwich-high"});
        let member = json!({"name": "Jo", "relationship": "mother"});
        let unnamed = json!({"relationship": "child"});
        let read =
            parse::<Parties>(json!({ "participants": [person, member, unnamed] }), "data").unwrap();
        assert!(
            matches!(&read.participants[0], Party::Person(p) if p.agency.as_str() == "school:norwich-high")
        );
        assert!(matches!(&read.participants[1], Party::FamilyMember(m) if m.name.is_some()));
        assert!(matches!(&read.participants[2], Party::FamilyMember(m) if m.name.is_none()));
        // Stored as written, and read back from stored text the same.
        let written = serde_json::to_value(&read.participants).unwrap();
        assert_eq!(written, json!([person, member, unnamed]));
        let again: Vec<Party> = parse_stored_text(&written.to_string(), "data").unwrap();
        assert_eq!(again, read.participants);
    }

    #[test]
    fn a_person_missing_a_field_is_told_which() {
        let (field, message) = party_error(json!({"name": "Sam Ray", "role": "teacher"}));
        assert_eq!(field, "data.participants[0].agency");
        assert_eq!(message, "is required");
        let (field, _) = party_error(json!({"role": "teacher", "agency": "police:norfolk"}));
        assert_eq!(field, "data.participants[0].name");
    }

    #[test]
    fn a_party_that_is_neither_or_both_is_told_the_two_shapes() {
        let (field, message) = party_error(json!({"name": "Sam Ray"}));
        assert_eq!(field, "data.participants[0]");
        assert_eq!(message, PARTY_SHAPES);
        let (field, message) = party_error(
            json!({"name": "Jo", "relationship": "mother", "role": "teacher", "agency": "school:x"}),
        );
        assert_eq!(field, "data.participants[0]");
        assert!(message.starts_with(PARTY_SHAPES), "{message}");
        assert!(message.contains("not both"), "{message}");
    }

    /// The serde-derived reader [`Party`] had before it was read by hand.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    enum UntaggedParty {
        Person(Person),
        FamilyMember(FamilyMember),
    }

    proptest! {
        // Enough cases that every accepted shape comes up many times.
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// Read by hand, a party is accepted exactly when the untagged enum accepted it, as
        /// the same value, so no stored participant or owner becomes unreadable or reads
        /// differently: objects of any of its fields (repeated ones too) and an unknown one,
        /// each with a text, a blank, `null` or a number.
        #[test]
        fn a_party_is_read_as_the_untagged_enum_read_it(
            fields in prop::collection::vec((0..5usize, 0..5usize), 0..6)
        ) {
            const NAMES: [&str; 5] = ["name", "role", "agency", "relationship", "age"];
            const VALUES: [&str; 5] = ["\"Jo\"", "\"school:x\"", "\" \"", "null", "7"];
            let text = object_text(&fields, &NAMES, &VALUES);
            let by_hand = serde_json::from_str::<Party>(&text).ok();
            let untagged = serde_json::from_str::<UntaggedParty>(&text).ok().map(|p| match p {
                UntaggedParty::Person(p) => Party::Person(p),
                UntaggedParty::FamilyMember(m) => Party::FamilyMember(m),
            });
            prop_assert_eq!(by_hand, untagged, "{}", text);
        }
    }

    #[test]
    fn a_party_field_is_named_where_it_is_wrong() {
        let (field, message) = party_error(json!({"name": " ", "relationship": "mother"}));
        assert_eq!(field, "data.participants[0].name");
        assert_eq!(message, "must not be blank");
        let (field, message) = party_error(json!({"relationship": "mother", "age": 7}));
        assert_eq!(field, "data.participants[0].age");
        assert!(message.starts_with("is not a field here"), "{message}");
        // A person's fields and a relationship are never null (as the schema says); a family
        // member's name may be.
        let (field, _) = party_error(json!({"relationship": "mother", "role": null}));
        assert_eq!(field, "data.participants[0].role");
        let (field, _) = party_error(json!({"relationship": null, "name": "Jo"}));
        assert_eq!(field, "data.participants[0].relationship");
        let read = parse::<Parties>(
            json!({ "participants": [{"name": null, "relationship": "mother"}] }),
            "data",
        )
        .unwrap();
        assert!(matches!(&read.participants[0], Party::FamilyMember(m) if m.name.is_none()));
    }

    #[test]
    fn score_out_of_range_is_a_shape_error_at_its_path() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            scaling: Vec<Scaling>,
        }
        let s = json!({"question":"q","score":11,"zero_means":"z","ten_means":"t","rationale":"r"});
        let e = parse::<T>(json!({ "scaling": [s] }), "data").unwrap_err();
        assert_eq!(e.errors()[0].field, "data.scaling[0].score");
        assert!(e.errors()[0].message.contains("0 to 10"), "{e}");
    }

    #[test]
    fn missing_and_unknown_fields_name_the_field() {
        let e = parse::<Person>(json!({"name":"a","role":"b"}), "recorded_by").unwrap_err();
        assert_eq!(e.errors()[0].field, "recorded_by.agency");
        let e =
            parse::<Person>(json!({"name":"a","role":"b","agency":"c","x":1}), "p").unwrap_err();
        assert_eq!(e.errors()[0].field, "p.x");
    }

    #[test]
    fn parsing_a_kept_value_answers_as_parsing_it_whole() {
        let good = json!({"name":"a","role":"b","agency":"c"});
        let bad = json!({"name":"a","role":1,"x":1});
        assert_eq!(
            parse_ref::<Person>(&good, "p").ok(),
            parse::<Person>(good.clone(), "p").ok()
        );
        assert_eq!(
            parse_ref::<Person>(&bad, "p").unwrap_err(),
            parse::<Person>(bad.clone(), "p").unwrap_err()
        );
    }

    #[test]
    fn text_refuses_control_characters_but_keeps_tabs_and_line_breaks() {
        for bad in ["a\u{0}b", "\u{7}", "x\u{1b}[31m", "a\u{7f}", "a\u{85}b"] {
            let e = Text::new(bad).unwrap_err();
            assert!(e.contains("control character"), "{bad:?}: {e}");
        }
        assert!(Text::new("line one\nline two\r\n\tindented").is_ok());
        assert!(Text::new("Zoë 🙂 ħ").is_ok());
        let e = parse::<Person>(
            json!({"name":"a\u{0}","role":"b","agency":"c"}),
            "recorded_by",
        )
        .unwrap_err();
        assert_eq!(e.errors()[0].field, "recorded_by.name");
        assert!(e.errors()[0].message.contains("U+0000"), "{e}");
    }

    #[test]
    fn times_that_cannot_be_read_say_the_form_wanted() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            occurred_at: chrono::DateTime<chrono::FixedOffset>,
            #[serde(default)]
            review_by: Option<NaiveDate>,
        }
        for bad in ["20/11/2026 10:15", "2026-11-20T10:15:00", "2026-11-20"] {
            let e = parse::<T>(json!({ "occurred_at": bad }), "").unwrap_err();
            assert_eq!(e.errors()[0].field, "occurred_at");
            assert!(
                e.errors()[0].message.contains("2026-11-20T10:15:00Z"),
                "{bad}: {e}"
            );
        }
        let e = parse::<T>(
            json!({ "occurred_at": "2026-11-20T10:15:00Z", "review_by": "20/11/2026" }),
            "data",
        )
        .unwrap_err();
        assert_eq!(e.errors()[0].field, "data.review_by");
        assert!(e.errors()[0].message.contains("YYYY-MM-DD"), "{e}");
    }

    #[test]
    fn text_has_a_limit_and_may_not_be_blank() {
        assert!(Text::new("x".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(Text::new("x".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(Text::new("  ").is_err());
    }

    #[test]
    fn child_voice_needs_one_of_three() {
        assert!(parse::<ChildVoice>(json!({}), "child_voice").is_err());
        assert!(parse::<ChildVoice>(json!({"views":"likes school"}), "v").is_ok());
    }
}
