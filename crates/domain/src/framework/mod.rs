//! Threshold frameworks as data: what each tier is called, which (tier, statutory basis) pairs a
//! council allows, the descriptors of need and the section 47 indicators.
//!
//! Each framework is a TOML file in `crates/domain/frameworks/`, compiled in with
//! `include_str!` and parsed and checked once, on first use. A descriptor is one row of a
//! council's matrix ("the child's health and access to services") with what it looks like at
//! each tier; an *indicator* is one cell of that row, coded `<row code>-T<tier>`
//! (`NOR-CD-05-T3`). Records name indicators; the tier suggestion reads their tiers.
//!
//! This module does not decide anything about a child: it answers questions about the
//! framework. The suggestion lives in `crate::suggestion`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::level::{Level, StatutoryBasis, Tier};
use crate::suggestion::{self, Suggestion};

/// The frameworks a deployment can run, by name.
pub const NAMES: [&str; 2] = ["norfolk", "staffordshire"];

const NORFOLK: &str = include_str!("../../frameworks/norfolk.toml");
const STAFFORDSHIRE: &str = include_str!("../../frameworks/staffordshire.toml");

/// The three domains of the Assessment Triangle (Working Together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriangleDomain {
    /// The child's developmental needs.
    ChildDevelopment,
    /// Parenting capacity: parental and family factors.
    ParentingCapacity,
    /// Family and environmental factors.
    FamilyAndEnvironment,
}

impl TriangleDomain {
    pub fn as_str(self) -> &'static str {
        match self {
            TriangleDomain::ChildDevelopment => "child_development",
            TriangleDomain::ParentingCapacity => "parenting_capacity",
            TriangleDomain::FamilyAndEnvironment => "family_and_environment",
        }
    }
}

/// One cell of a descriptor row: what a need looks like at one tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Indicator {
    /// `<row code>-T<tier>`, e.g. `NOR-CD-05-T3`.
    pub code: String,
    /// The row's code, e.g. `NOR-CD-05`.
    pub descriptor: String,
    pub domain: TriangleDomain,
    pub area: String,
    /// A short label of the row, in our own words.
    pub label: String,
    pub tier: Tier,
    /// What the guide says the need looks like at this tier.
    pub description: String,
    /// E.g. `exploitation`, for the figures on older children.
    pub tags: Vec<String>,
}

impl Indicator {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// A circumstance that points to a section 47 enquiry (tier 4) whatever else is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section47Indicator {
    pub code: String,
    pub label: String,
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Why a framework file could not be used, or a name that is not a framework.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameworkError {
    #[error(
        "there is no threshold framework called {0:?}; the frameworks are: norfolk, staffordshire"
    )]
    Unknown(String),
    #[error("the {file} framework file is not valid: {problem}")]
    Invalid { file: &'static str, problem: String },
}

/// A council's threshold framework. Fields are private: a `Framework` exists only once its
/// file has passed every check in [`Framework::parse`].
#[derive(Debug)]
pub struct Framework {
    name: String,
    title: String,
    rules_version: String,
    tier_names: BTreeMap<Tier, String>,
    allowed: Vec<Level>,
    indicators: Vec<Indicator>,
    by_code: BTreeMap<String, usize>,
    section_47: Vec<Section47Indicator>,
}

// The file's shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    title: String,
    rules_version: String,
    tiers: BTreeMap<String, String>,
    allowed_levels: Vec<Level>,
    #[serde(default)]
    descriptors: Vec<Row>,
    #[serde(default)]
    section_47: Vec<Section47Indicator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    code: String,
    domain: TriangleDomain,
    area: String,
    label: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    tier1: Option<String>,
    #[serde(default)]
    tier2: Option<String>,
    #[serde(default)]
    tier3: Option<String>,
    #[serde(default)]
    tier4: Option<String>,
}

static FRAMEWORKS: OnceLock<Result<[Framework; 2], FrameworkError>> = OnceLock::new();

fn loaded() -> Result<&'static [Framework; 2], FrameworkError> {
    FRAMEWORKS
        .get_or_init(|| {
            Ok([
                Framework::parse("norfolk.toml", NORFOLK)?,
                Framework::parse("staffordshire.toml", STAFFORDSHIRE)?,
            ])
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl Framework {
    /// The framework a deployment names (`norfolk` or `staffordshire`).
    pub fn by_name(name: &str) -> Result<&'static Framework, FrameworkError> {
        loaded()?
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| FrameworkError::Unknown(name.to_owned()))
    }

    /// Every framework, loaded and checked: call at start so a bad file stops the server
    /// before it takes a request.
    pub fn all() -> Result<&'static [Framework], FrameworkError> {
        Ok(loaded()?.as_slice())
    }

    fn parse(file: &'static str, text: &str) -> Result<Framework, FrameworkError> {
        let bad = |problem: String| FrameworkError::Invalid { file, problem };
        let f: File = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut tier_names = BTreeMap::new();
        for (k, v) in f.tiers {
            let tier = k
                .parse::<u8>()
                .ok()
                .and_then(Tier::new)
                .ok_or_else(|| bad(format!("tier {k:?} is not 1 to 4")))?;
            tier_names.insert(tier, v);
        }
        for t in Tier::ALL {
            if !tier_names.contains_key(&t) {
                return Err(bad(format!("tier {t} has no name")));
            }
        }
        if f.allowed_levels.is_empty() || !f.allowed_levels.contains(&Level::UNIVERSAL) {
            return Err(bad(
                "the allowed levels must include tier 1 with no statutory basis".into(),
            ));
        }
        let mut indicators = Vec::new();
        let mut codes = BTreeSet::new();
        for row in f.descriptors {
            if !codes.insert(row.code.clone()) {
                return Err(bad(format!("descriptor code {} is used twice", row.code)));
            }
            let cells = [
                (Tier::ONE, row.tier1),
                (Tier::TWO, row.tier2),
                (Tier::THREE, row.tier3),
                (Tier::FOUR, row.tier4),
            ];
            if cells.iter().all(|(_, d)| d.is_none()) {
                return Err(bad(format!(
                    "descriptor {} says nothing at any tier",
                    row.code
                )));
            }
            for (tier, description) in cells {
                let Some(description) = description else {
                    continue;
                };
                let code = format!("{}-T{}", row.code, tier);
                if !codes.insert(code.clone()) {
                    return Err(bad(format!("indicator code {code} is used twice")));
                }
                indicators.push(Indicator {
                    code,
                    descriptor: row.code.clone(),
                    domain: row.domain,
                    area: row.area.clone(),
                    label: row.label.clone(),
                    tier,
                    description: description.trim().to_owned(),
                    tags: row.tags.clone(),
                });
            }
        }
        for s in &f.section_47 {
            if !codes.insert(s.code.clone()) {
                return Err(bad(format!("section 47 code {} is used twice", s.code)));
            }
        }
        let by_code = indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| (ind.code.clone(), i))
            .collect();
        Ok(Framework {
            name: f.name,
            title: f.title,
            rules_version: f.rules_version,
            tier_names,
            allowed: f.allowed_levels,
            indicators,
            by_code,
            section_47: f.section_47,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The guide's own title, e.g. "Norfolk Threshold Guide".
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The version of the catalogue and suggestion rules, stored with every suggestion.
    pub fn rules_version(&self) -> &str {
        &self.rules_version
    }

    pub fn tier_name(&self, tier: Tier) -> &str {
        // Every tier is named: `parse` refuses a file that leaves one out.
        self.tier_names.get(&tier).map_or("", String::as_str)
    }

    /// Whether this framework records a child at `level` (Norfolk has no tier 4 under
    /// section 17; Staffordshire has no tier 3 under either statute).
    pub fn allows(&self, level: Level) -> bool {
        self.allowed.contains(&level)
    }

    pub fn allowed_levels(&self) -> &[Level] {
        &self.allowed
    }

    /// The lowest allowed level with this tier (how a tier alone is read as a level).
    pub fn lowest_level_of(&self, tier: Tier) -> Option<Level> {
        self.allowed
            .iter()
            .filter(|l| l.tier == tier)
            .min()
            .copied()
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.by_code.get(code).and_then(|i| self.indicators.get(*i))
    }

    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }

    pub fn section_47(&self, code: &str) -> Option<&Section47Indicator> {
        self.section_47.iter().find(|s| s.code == code)
    }

    pub fn section_47_indicators(&self) -> &[Section47Indicator] {
        &self.section_47
    }

    /// The level the catalogue suggests for these indicators (see `crate::suggestion`).
    pub fn suggest(&self, indicators: &[&str], section_47: &[&str]) -> Suggestion {
        suggestion::suggest(self, indicators, section_47)
    }

    /// A level with its name, as answers show it: "tier 3 (Targeted Support, section_17)".
    pub fn describe(&self, level: Level) -> String {
        match level.statutory_basis {
            StatutoryBasis::None => format!("tier {} ({})", level.tier, self.tier_name(level.tier)),
            basis => format!(
                "tier {} ({}, {basis})",
                level.tier,
                self.tier_name(level.tier)
            ),
        }
    }
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(tier: u8, basis: StatutoryBasis) -> Level {
        Level::new(Tier::new(tier).unwrap(), basis)
    }

    #[test]
    fn both_frameworks_load_and_name_every_tier() {
        for f in Framework::all().unwrap() {
            for t in Tier::ALL {
                assert!(!f.tier_name(t).is_empty(), "{} tier {t}", f.name());
            }
            assert!(!f.indicators().is_empty(), "{} has a catalogue", f.name());
            assert!(
                !f.section_47_indicators().is_empty(),
                "{} has a s47 list",
                f.name()
            );
        }
        assert_eq!(
            Framework::by_name("norfolk")
                .unwrap()
                .tier_name(Tier::THREE),
            "Targeted Support"
        );
        assert_eq!(
            Framework::by_name("staffordshire")
                .unwrap()
                .tier_name(Tier::TWO),
            "Earliest Help"
        );
    }

    #[test]
    fn an_unknown_framework_lists_the_known_ones() {
        let e = Framework::by_name("suffolk").unwrap_err();
        assert!(e.to_string().contains("norfolk, staffordshire"), "{e}");
    }

    #[test]
    fn allowed_levels_differ_where_the_councils_cut_differently() {
        use StatutoryBasis::*;
        let n = Framework::by_name("norfolk").unwrap();
        let s = Framework::by_name("staffordshire").unwrap();
        // Child in Need: tier 3 in Norfolk, level 4 in Staffordshire.
        assert!(n.allows(level(3, Section17)) && !n.allows(level(4, Section17)));
        assert!(s.allows(level(4, Section17)) && !s.allows(level(3, Section17)));
        for f in [n, s] {
            assert!(
                f.allows(level(1, None)) && f.allows(level(2, None)) && f.allows(level(3, None))
            );
            assert!(f.allows(level(4, Section47)));
            assert!(!f.allows(level(1, Section47)));
        }
        assert_eq!(n.allowed_levels().len(), 5);
        assert_eq!(s.allowed_levels().len(), 5);
    }

    #[test]
    fn every_code_is_unique_and_found() {
        for f in Framework::all().unwrap() {
            let mut seen = BTreeSet::new();
            for i in f.indicators() {
                assert!(seen.insert(i.code.clone()), "{} twice", i.code);
                assert_eq!(f.indicator(&i.code), Some(i));
                assert!(i.code.ends_with(&format!("-T{}", i.tier)));
            }
            for s in f.section_47_indicators() {
                assert!(seen.insert(s.code.clone()), "{} twice", s.code);
                assert_eq!(f.section_47(&s.code), Some(s));
            }
        }
    }

    #[test]
    fn a_bad_file_is_refused_with_its_problem() {
        let text = r#"
            name = "x"
            title = "X"
            rules_version = "x-1"
            tiers = { "1" = "a", "2" = "b", "3" = "c" }
            allowed_levels = [ { tier = 1 } ]
        "#;
        let e = Framework::parse("x.toml", text).unwrap_err();
        assert!(e.to_string().contains("tier 4 has no name"), "{e}");
        let dup = r#"
            name = "x"
            title = "X"
            rules_version = "x-1"
            tiers = { "1" = "a", "2" = "b", "3" = "c", "4" = "d" }
            allowed_levels = [ { tier = 1 } ]
            [[descriptors]]
            code = "A"
            domain = "child_development"
            area = "health"
            label = "l"
            tier2 = "t"
            [[descriptors]]
            code = "A"
            domain = "child_development"
            area = "health"
            label = "l"
            tier2 = "t"
        "#;
        let e = Framework::parse("x.toml", dup).unwrap_err();
        assert!(e.to_string().contains("used twice"), "{e}");
    }
}
