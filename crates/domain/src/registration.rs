//! A child as registered (`child_registered`'s data, [`ChildDetails`]), the changes a
//! `child_details_updated` may make, and the identifiers' own checks: the NHS number's modulus
//! 11 check digit and the Unique Pupil Number's check letter (DfE's algorithm).
//!
//! Uniqueness of an identifier across children (the 409 on a second registration under the same
//! NHS number) is the store's business: this module sees one child at a time.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::codes::{Disability, Ethnicity, UpnUnknown};
use crate::shapes::Text;

/// The census's Sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Unknown,
    NotStated,
}

/// A ten-digit NHS number whose last digit is its modulus 11 check digit. Spaces and hyphens
/// (`943 476 5919`) are accepted and dropped, so the same number is always kept the same way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber(String);

impl NhsNumber {
    pub fn new(s: &str) -> Result<NhsNumber, String> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let ds: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
        if ds.len() != 10 || digits.chars().count() != 10 {
            return Err("an NHS number is 10 digits".to_owned());
        }
        // Weights 10 down to 2 on the first nine digits; 11 minus the remainder is the check
        // digit, 11 counts as 0 and 10 means no valid number has these nine digits.
        let sum: u32 = ds[..9].iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => {
                return Err("this NHS number cannot be valid (its check digit would be 10)".into());
            }
            c => c,
        };
        if ds[9] != check {
            return Err("this NHS number's check digit is wrong: is it mistyped?".to_owned());
        }
        Ok(NhsNumber(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NhsNumber::new(&s)
    }
}

/// The pattern alone: the check digit is the parser's to check.
impl JsonSchema for NhsNumber {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "NhsNumber".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": NHS_NUMBER_PATTERN })
    }
}

impl From<NhsNumber> for String {
    fn from(n: NhsNumber) -> String {
        n.0
    }
}

impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An NHS number as accepted: ten digits, spaces and hyphens anywhere (dropped before the
/// check digit is checked).
pub const NHS_NUMBER_PATTERN: &str = "^[ -]*([0-9][ -]*){10}$";

/// A UPN as accepted: a check letter, 11 digits, then a digit or (temporary UPN) a letter; I, O
/// and S are never used. Case and surrounding spaces are ignored.
pub const UPN_PATTERN: &str =
    "^\\s*[A-HJ-NP-RT-Za-hj-np-rt-z][0-9]{11}[0-9A-HJ-NP-RT-Za-hj-np-rt-z]\\s*$";

/// The letters a UPN's check character (and a temporary UPN's last character) are drawn from:
/// the alphabet without I, O and S, indexed 0 to 22.
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// A Unique Pupil Number: a check letter, then 12 characters (LA number, establishment, year,
/// serial), the last of which is a letter in a temporary UPN. The check letter is the sum of
/// characters 2 to 13 weighted 2 to 13, modulo 23, as a letter of [`UPN_LETTERS`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

impl Upn {
    pub fn new(s: &str) -> Result<Upn, String> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 13 {
            return Err("a UPN is 13 characters: a check letter and 12 more".to_owned());
        }
        let mut sum = 0usize;
        for (i, &c) in b[1..].iter().enumerate() {
            let value = if c.is_ascii_digit() {
                usize::from(c - b'0')
            } else if i == 11 {
                UPN_LETTERS
                    .iter()
                    .position(|&l| l == c)
                    .ok_or("a UPN's last character is a digit or a letter other than I, O, S")?
            } else {
                return Err("a UPN's characters 2 to 12 are digits".to_owned());
            };
            sum += value * (i + 2);
        }
        if UPN_LETTERS[sum % 23] != b[0] {
            return Err("this UPN's check letter is wrong: is it mistyped?".to_owned());
        }
        Ok(Upn(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Upn {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Upn::new(&s)
    }
}

/// The pattern alone: the check letter is the parser's to check.
impl JsonSchema for Upn {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Upn".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": UPN_PATTERN })
    }
}

impl From<Upn> for String {
    fn from(u: Upn) -> String {
        u.0
    }
}

/// The identifiers other systems know the child by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifiers {
    /// NHS number: 10 digits, the last a modulus 11 check digit, which is checked. Spaces and
    /// hyphens are allowed and dropped (`943 476 5919`). A second child registered under the same
    /// NHS number is a 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nhs_number: Option<NhsNumber>,
    /// Unique Pupil Number: 13 characters, a check letter (which is checked) then 12 characters (LA
    /// number, establishment, year, serial), the last a letter in a temporary UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<Upn>,
    /// The council's own id for the child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub la_child_id: Option<Text>,
    // Added for the Children in Need census; registrations stored before it simply lack it.
    /// A UPN the child was known by before (the census's FormerUPN), checked like `upn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_upn: Option<Upn>,
    /// Why the child has no UPN (the census's UPNunknown): `UN1` under 6 and not yet assigned one,
    /// ... `UN7` a referral with no further action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn_unknown: Option<UpnUnknown>,
}

/// `child_registered`'s data: who the child is. Exactly one of `date_of_birth` and
/// `expected_date_of_birth` (an unborn child), kept so by the constructor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ChildDetailsFields")]
pub struct ChildDetails {
    given_name: Text,
    family_name: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_of_birth: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_date_of_birth: Option<NaiveDate>,
    gender: Gender,
    #[serde(skip_serializing_if = "Option::is_none")]
    ethnicity: Option<Ethnicity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    disability: Vec<Disability>,
    locality: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifiers: Option<Identifiers>,
}

/// A child as registered (`child` in `POST /v1/children`, and `child_registered`'s data). Give
/// exactly one of `date_of_birth` and `expected_date_of_birth` (an unborn child): both, or neither,
/// is refused.
// `skip_serializing_if` only tells the derived schema that a field left out has no default
// worth showing (this struct is never serialised).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ChildDetailsFields {
    /// The child's given name.
    pub given_name: Text,
    /// The child's family name.
    pub family_name: Text,
    /// Date of birth. Recording it for an unborn child replaces the expected date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Expected date of birth, for an unborn child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_date_of_birth: Option<NaiveDate>,
    /// The census's Sex: `male`, `female`, `unknown` or `not_stated`.
    pub gender: Gender,
    /// Census ethnicity code (`WBRI`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<Ethnicity>,
    /// Census disability codes (`NONE` for none recorded as such).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disability: Vec<Disability>,
    /// The locality the child lives in (reports are filtered by it).
    pub locality: Text,
    /// NHS number, UPN and the council's own id, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<Identifiers>,
}

/// The fields' schema with the constraint [`ChildDetails::new`] checks: exactly one of the two
/// dates.
impl JsonSchema for ChildDetails {
    fn schema_name() -> Cow<'static, str> {
        "ChildDetails".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = ChildDetailsFields::json_schema(generator);
        crate::schema::require_present(
            &mut schema,
            "oneOf",
            &["date_of_birth", "expected_date_of_birth"],
        );
        schema
    }
}

impl TryFrom<ChildDetailsFields> for ChildDetails {
    type Error = String;
    fn try_from(f: ChildDetailsFields) -> Result<Self, Self::Error> {
        match (f.date_of_birth, f.expected_date_of_birth) {
            (Some(_), Some(_)) => {
                return Err("give date_of_birth or expected_date_of_birth, not both".to_owned());
            }
            (None, None) => {
                return Err(
                    "give date_of_birth (or expected_date_of_birth for an unborn child)".to_owned(),
                );
            }
            _ => {}
        }
        if let Some(ids) = &f.identifiers
            && ids.upn.is_some()
            && ids.upn_unknown.is_some()
        {
            return Err(
                "give identifiers.upn or identifiers.upn_unknown (why there is none), not both"
                    .to_owned(),
            );
        }
        Ok(ChildDetails {
            given_name: f.given_name,
            family_name: f.family_name,
            date_of_birth: f.date_of_birth,
            expected_date_of_birth: f.expected_date_of_birth,
            gender: f.gender,
            ethnicity: f.ethnicity,
            disability: f.disability,
            locality: f.locality,
            identifiers: f.identifiers,
        })
    }
}

impl ChildDetails {
    /// Builds the details, refusing both or neither of the two dates.
    pub fn new(fields: ChildDetailsFields) -> Result<ChildDetails, String> {
        fields.try_into()
    }
    /// Parses `{ "given_name", ... }` with shape errors under `prefix` (`child.upn`).
    pub fn parse(value: serde_json::Value, prefix: &str) -> Result<ChildDetails, crate::Invalid> {
        crate::shapes::parse(value, prefix)
    }
    /// Parses stored details (moved, not copied; the first error only).
    pub fn parse_stored(
        value: serde_json::Value,
        prefix: &str,
    ) -> Result<ChildDetails, crate::Invalid> {
        crate::shapes::parse_stored(value, prefix)
    }
    pub fn given_name(&self) -> &Text {
        &self.given_name
    }
    pub fn family_name(&self) -> &Text {
        &self.family_name
    }
    pub fn date_of_birth(&self) -> Option<NaiveDate> {
        self.date_of_birth
    }
    pub fn expected_date_of_birth(&self) -> Option<NaiveDate> {
        self.expected_date_of_birth
    }
    pub fn gender(&self) -> Gender {
        self.gender
    }
    pub fn ethnicity(&self) -> Option<&Ethnicity> {
        self.ethnicity.as_ref()
    }
    pub fn disability(&self) -> &[Disability] {
        &self.disability
    }
    pub fn locality(&self) -> &Text {
        &self.locality
    }
    pub fn identifiers(&self) -> Option<&Identifiers> {
        self.identifiers.as_ref()
    }
    pub fn nhs_number(&self) -> Option<&NhsNumber> {
        self.identifiers.as_ref()?.nhs_number.as_ref()
    }
    pub fn upn(&self) -> Option<&Upn> {
        self.identifiers.as_ref()?.upn.as_ref()
    }

    /// These details with `changes` made, or why the result would not be a valid child.
    pub fn with_changes(&self, changes: &ChildDetailsChanges) -> Result<ChildDetails, String> {
        let c = changes.clone();
        let mut expected = c.expected_date_of_birth.or(self.expected_date_of_birth);
        // A birth recorded replaces the expected date: that is what the update is for.
        if c.date_of_birth.is_some() && c.expected_date_of_birth.is_none() {
            expected = None;
        }
        let mut identifiers = self.identifiers.clone().unwrap_or_default();
        if let Some(i) = c.identifiers {
            if i.nhs_number.is_some() {
                identifiers.nhs_number = i.nhs_number;
            }
            if i.upn.is_some() {
                identifiers.upn = i.upn;
                // A UPN found answers why there was none.
                identifiers.upn_unknown = None;
            }
            if i.la_child_id.is_some() {
                identifiers.la_child_id = i.la_child_id;
            }
            if i.former_upn.is_some() {
                identifiers.former_upn = i.former_upn;
            }
            if i.upn_unknown.is_some() {
                identifiers.upn_unknown = i.upn_unknown;
            }
        }
        let has_identifiers = identifiers != Identifiers::default();
        ChildDetails::new(ChildDetailsFields {
            given_name: c.given_name.unwrap_or_else(|| self.given_name.clone()),
            family_name: c.family_name.unwrap_or_else(|| self.family_name.clone()),
            date_of_birth: c.date_of_birth.or(self.date_of_birth),
            expected_date_of_birth: expected,
            gender: c.gender.unwrap_or(self.gender),
            ethnicity: c.ethnicity.or_else(|| self.ethnicity.clone()),
            disability: c.disability.unwrap_or_else(|| self.disability.clone()),
            locality: c.locality.unwrap_or_else(|| self.locality.clone()),
            identifiers: has_identifiers.then_some(identifiers),
        })
    }
}

/// The fields of a child a `child_details_updated` changes; those left out stay as they were.
/// Identifiers are merged one by one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ChildDetailsChanges {
    /// The child's given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<Text>,
    /// The child's family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<Text>,
    /// Date of birth. Recording it for an unborn child replaces the expected date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// Expected date of birth, for an unborn child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_date_of_birth: Option<NaiveDate>,
    /// The census's Sex: `male`, `female`, `unknown` or `not_stated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Census ethnicity code (`WBRI`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<Ethnicity>,
    /// Census disability codes (`NONE` for none recorded as such).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability: Option<Vec<Disability>>,
    /// The locality the child lives in (reports are filtered by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<Text>,
    /// NHS number, UPN and the council's own id, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<Identifiers>,
}

impl ChildDetailsChanges {
    pub fn is_empty(&self) -> bool {
        self == &ChildDetailsChanges::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nhs_number_check_digit() {
        assert!(NhsNumber::new("943 476 5919").is_ok());
        assert_eq!(NhsNumber::new("9434765919").unwrap().as_str(), "9434765919");
        assert!(NhsNumber::new("9434765918").is_err());
        assert!(NhsNumber::new("943476591").is_err());
        assert!(NhsNumber::new("94347659x9").is_err());
    }

    #[test]
    fn upn_check_letter() {
        // A801200001001: weights 2..13 on 801200001001 give 128; 128 % 23 = 13 → 'P'.
        let sum: usize = "801200001001"
            .bytes()
            .enumerate()
            .map(|(i, c)| usize::from(c - b'0') * (i + 2))
            .sum();
        let letter = char::from(UPN_LETTERS[sum % 23]);
        let upn = format!("{letter}801200001001");
        assert!(Upn::new(&upn).is_ok(), "{upn}");
        let wrong = if letter == 'A' { 'B' } else { 'A' };
        assert!(Upn::new(&format!("{wrong}801200001001")).is_err());
        assert!(Upn::new("A80120000100").is_err());
    }

    #[test]
    fn a_upn_or_the_reason_there_is_none_not_both() {
        let v = serde_json::json!({
            "given_name": "A", "family_name": "B", "gender": "female", "locality": "north",
            "date_of_birth": "2015-01-01",
            "identifiers": { "upn": "Z926200124001", "upn_unknown": "UN2" }
        });
        let e = ChildDetails::parse(v, "child").unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
        let v = serde_json::json!({
            "given_name": "A", "family_name": "B", "gender": "female", "locality": "north",
            "date_of_birth": "2015-01-01",
            "identifiers": { "upn_unknown": "UN2", "former_upn": "N926200124002" }
        });
        let d = ChildDetails::parse(v, "child").unwrap();
        let changes = ChildDetailsChanges {
            identifiers: Some(Identifiers {
                upn: Some(Upn::new("Z926200124001").unwrap()),
                ..Identifiers::default()
            }),
            ..ChildDetailsChanges::default()
        };
        let after = d.with_changes(&changes).unwrap();
        let ids = after.identifiers().unwrap();
        assert_eq!(
            ids.upn_unknown, None,
            "a UPN found answers why there was none"
        );
        assert_eq!(
            ids.former_upn.as_ref().map(Upn::as_str),
            Some("N926200124002")
        );
        let v = serde_json::json!({
            "given_name": "A", "family_name": "B", "gender": "female", "locality": "north",
            "date_of_birth": "2015-01-01", "identifiers": { "upn_unknown": "UN9" }
        });
        let e = ChildDetails::parse(v, "child").unwrap_err();
        assert!(e.to_string().contains("UN1"), "the code list: {e}");
    }

    #[test]
    fn a_child_has_one_date() {
        let v = serde_json::json!({
            "given_name": "A", "family_name": "B", "gender": "female", "locality": "north"
        });
        let e = ChildDetails::parse(v, "child").unwrap_err();
        assert_eq!(e.errors()[0].field, "child");
    }
}
