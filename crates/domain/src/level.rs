//! A child's level of need: a tier (1 to 4) and the statutory basis it rests on.
//!
//! The pair is what can be compared across councils, because frameworks cut their tiers at
//! different places (a Child in Need case is tier 3 in Norfolk and level 4 in Staffordshire).
//! Which pairs a deployment allows, and what each tier is called, is the framework's business
//! (`crate::framework`), not this module's.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A tier of need, 1 (universal) to 4 (child protection / statutory). The constructor keeps
/// it in range, so code holding a `Tier` never checks again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Tier(u8);

impl Tier {
    pub const ONE: Tier = Tier(1);
    pub const TWO: Tier = Tier(2);
    pub const THREE: Tier = Tier(3);
    pub const FOUR: Tier = Tier(4);
    pub const ALL: [Tier; 4] = [Tier::ONE, Tier::TWO, Tier::THREE, Tier::FOUR];

    /// `None` outside 1..=4.
    pub fn new(n: u8) -> Option<Tier> {
        (1..=4).contains(&n).then_some(Tier(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Tier {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Tier::new(n).ok_or_else(|| format!("a tier is a whole number from 1 to 4, not {n}"))
    }
}

impl JsonSchema for Tier {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Tier".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": 4 })
    }
}

impl From<Tier> for u8 {
    fn from(t: Tier) -> u8 {
        t.0
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The statute a level rests on. Ordered so that, within a tier, `none < section_17 <
/// section_47`: a step from `section_17` to `none` is a step down.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum StatutoryBasis {
    #[default]
    None,
    // Children Act 1989 section 17: a child in need.
    #[serde(rename = "section_17")]
    Section17,
    // Children Act 1989 section 47: significant harm or its likelihood.
    #[serde(rename = "section_47")]
    Section47,
}

impl StatutoryBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            StatutoryBasis::None => "none",
            StatutoryBasis::Section17 => "section_17",
            StatutoryBasis::Section47 => "section_47",
        }
    }
}

impl fmt::Display for StatutoryBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level of need: a tier and its statutory basis, ordered by tier, then basis (`none` <
/// `section_17` < `section_47`). Which levels may be decided is the deployment framework's rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// The tier, 1 (universal) to 4 (child protection); each framework names its tiers.
    pub tier: Tier,
    /// The statute the level rests on: `none`, `section_17` (a child in need) or `section_47`
    /// (significant harm or its likelihood). Left out, it is `none`.
    #[serde(default)]
    pub statutory_basis: StatutoryBasis,
}

impl Level {
    /// Where every registered child starts, and where `case_closed` returns them.
    pub const UNIVERSAL: Level = Level {
        tier: Tier::ONE,
        statutory_basis: StatutoryBasis::None,
    };

    pub fn new(tier: Tier, statutory_basis: StatutoryBasis) -> Level {
        Level {
            tier,
            statutory_basis,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.statutory_basis {
            StatutoryBasis::None => write!(f, "tier {}", self.tier),
            basis => write!(f, "tier {} ({basis})", self.tier),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_by_tier_then_basis() {
        let t3 = Level::new(Tier::THREE, StatutoryBasis::None);
        let t3_17 = Level::new(Tier::THREE, StatutoryBasis::Section17);
        let t4_47 = Level::new(Tier::FOUR, StatutoryBasis::Section47);
        assert!(t3 < t3_17 && t3_17 < t4_47);
    }

    #[test]
    fn a_tier_outside_one_to_four_is_refused() {
        let err = serde_json::from_str::<Level>(r#"{"tier":5}"#).unwrap_err();
        assert!(err.to_string().contains("from 1 to 4"), "{err}");
    }

    #[test]
    fn bases_are_written_as_the_contract_spells_them() {
        for b in [
            StatutoryBasis::None,
            StatutoryBasis::Section17,
            StatutoryBasis::Section47,
        ] {
            assert_eq!(
                serde_json::to_value(b).unwrap(),
                serde_json::json!(b.as_str())
            );
        }
    }

    #[test]
    fn basis_defaults_to_none() {
        let l: Level = serde_json::from_str(r#"{"tier":2}"#).unwrap();
        assert_eq!(l, Level::new(Tier::TWO, StatutoryBasis::None));
    }
}
