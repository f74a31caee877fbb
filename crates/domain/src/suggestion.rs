//! The tier suggestion: a pure function of the indicators an assessment names, the section 47
//! indicators it names, and the framework.
//!
//! The descriptor matrix is guidance, not a tick-box, so the product *suggests* and the
//! professional *decides*; the record keeps both. The rules, in order:
//!
//! 1. Any section 47 indicator suggests tier 4 under section 47, whatever else is recorded.
//! 2. Otherwise the highest tier among the indicators, read as the lowest level the framework
//!    allows at that tier (Norfolk tier 3 is suggested as tier 3 with no statutory basis; the
//!    section 17 decision is an assessment's, not the catalogue's).
//! 3. Two or more tier 2 indicators across two or more triangle domains, and nothing higher,
//!    suggest tier 3: several early-help needs together may make a complex case.
//! 4. One or two tier 3 indicators (and nothing higher) are still suggested as tier 3, with the
//!    reason that an enhanced early-help offer may meet the need: one or two tier 3 indicators
//!    need not mean a statutory response.
//! 5. No indicators (or only tier 1 ones) suggest tier 1.
//!
//! Codes the framework does not know are passed over here: validating a record refuses them
//! before a suggestion is made. This module never overrides a decision; it only says what the
//! catalogue points to and why.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::framework::Framework;
use crate::level::{Level, StatutoryBasis, Tier};

/// One reason for a suggestion, naming the code it rests on where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub text: String,
}

/// What the catalogue suggests, why, and under which version of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub level: Level,
    pub reasons: Vec<Reason>,
    pub rules_version: String,
}

fn reason(code: Option<&str>, text: String) -> Reason {
    Reason {
        code: code.map(str::to_owned),
        text,
    }
}

/// See the module's rules.
pub fn suggest(framework: &Framework, indicators: &[&str], section_47: &[&str]) -> Suggestion {
    let rules_version = framework.rules_version().to_owned();
    let s47: Vec<_> = section_47
        .iter()
        .filter_map(|c| framework.section_47(c))
        .collect();
    if !s47.is_empty() {
        let level = Level::new(Tier::FOUR, StatutoryBasis::Section47);
        let reasons = s47
            .iter()
            .map(|s| {
                reason(
                    Some(&s.code),
                    format!("{}: a section 47 indicator points to a child protection enquiry (tier 4) whatever else is recorded", s.label),
                )
            })
            .collect();
        return Suggestion {
            level,
            reasons,
            rules_version,
        };
    }

    let known: Vec<_> = indicators
        .iter()
        .filter_map(|c| framework.indicator(c))
        .collect();
    let Some(highest) = known.iter().map(|i| i.tier).max() else {
        return Suggestion {
            level: Level::UNIVERSAL,
            reasons: vec![reason(
                None,
                "no indicators of additional need were recorded".into(),
            )],
            rules_version,
        };
    };
    let at = |tier: Tier| known.iter().filter(move |i| i.tier == tier);
    let level_of = |tier: Tier| {
        framework
            .lowest_level_of(tier)
            .unwrap_or(Level::new(tier, StatutoryBasis::None))
    };

    let mut reasons: Vec<Reason> = at(highest)
        .map(|i| {
            reason(
                Some(&i.code),
                format!("{} ({}): a tier {} indicator", i.label, i.area, i.tier),
            )
        })
        .collect();
    let mut tier = highest;

    if highest == Tier::TWO {
        let domains: BTreeSet<_> = at(Tier::TWO).map(|i| i.domain).collect();
        if at(Tier::TWO).count() >= 2 && domains.len() >= 2 {
            tier = Tier::THREE;
            reasons.push(reason(
                None,
                format!(
                    "{} tier 2 indicators across {} domains of the assessment triangle: several early-help needs together may make a tier 3 case",
                    at(Tier::TWO).count(),
                    domains.len()
                ),
            ));
        }
    }
    if highest == Tier::THREE && at(Tier::THREE).count() <= 2 {
        reasons.push(reason(
            None,
            "only one or two tier 3 indicators: an enhanced early-help offer may meet the need without a statutory response".into(),
        ));
    }
    let level = level_of(tier);
    if level.statutory_basis != StatutoryBasis::None || level.tier != tier {
        reasons.push(reason(
            None,
            format!(
                "read as {}, the lowest level this framework allows at that tier",
                framework.describe(level)
            ),
        ));
    }
    Suggestion {
        level,
        reasons,
        rules_version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::TriangleDomain;
    use proptest::prelude::*;

    fn norfolk() -> &'static Framework {
        Framework::by_name("norfolk").unwrap()
    }

    fn codes(f: &Framework, tier: Tier, domain: Option<TriangleDomain>) -> Vec<&str> {
        f.indicators()
            .iter()
            .filter(|i| i.tier == tier && domain.is_none_or(|d| i.domain == d))
            .map(|i| i.code.as_str())
            .collect()
    }

    #[test]
    fn a_section_47_indicator_suggests_tier_4() {
        let f = norfolk();
        let s47 = f.section_47_indicators()[0].code.as_str();
        let tier2 = codes(f, Tier::TWO, None)[0];
        let s = f.suggest(&[tier2], &[s47]);
        assert_eq!(s.level, Level::new(Tier::FOUR, StatutoryBasis::Section47));
        assert_eq!(s.reasons[0].code.as_deref(), Some(s47));
        assert_eq!(s.rules_version, f.rules_version());
    }

    #[test]
    fn two_tier_2_indicators_from_different_domains_suggest_tier_3() {
        let f = norfolk();
        let a = codes(f, Tier::TWO, Some(TriangleDomain::ChildDevelopment))[0];
        let b = codes(f, Tier::TWO, Some(TriangleDomain::FamilyAndEnvironment))[0];
        let s = f.suggest(&[a, b], &[]);
        assert_eq!(s.level, Level::new(Tier::THREE, StatutoryBasis::None));
        assert!(
            s.reasons
                .iter()
                .any(|r| r.text.contains("across 2 domains")),
            "{:?}",
            s.reasons
        );
    }

    #[test]
    fn two_tier_2_indicators_in_one_domain_stay_at_tier_2() {
        let f = norfolk();
        let same = codes(f, Tier::TWO, Some(TriangleDomain::ChildDevelopment));
        let s = f.suggest(&same[..2], &[]);
        assert_eq!(s.level, Level::new(Tier::TWO, StatutoryBasis::None));
    }

    #[test]
    fn one_tier_3_indicator_suggests_tier_3_with_the_early_help_reason() {
        let f = norfolk();
        let s = f.suggest(&[codes(f, Tier::THREE, None)[0]], &[]);
        assert_eq!(s.level, Level::new(Tier::THREE, StatutoryBasis::None));
        assert!(
            s.reasons
                .iter()
                .any(|r| r.text.contains("enhanced early-help offer")),
            "{:?}",
            s.reasons
        );
    }

    fn says(s: &Suggestion, words: &str) -> bool {
        s.reasons.iter().any(|r| r.text.contains(words))
    }

    #[test]
    fn two_tier_3_indicators_keep_the_early_help_reason_and_three_do_not() {
        let f = norfolk();
        let tier3 = codes(f, Tier::THREE, None);
        let two = f.suggest(&tier3[..2], &[]);
        assert!(says(&two, "enhanced early-help offer"), "{:?}", two.reasons);
        let three = f.suggest(&tier3[..3], &[]);
        assert_eq!(three.level, Level::new(Tier::THREE, StatutoryBasis::None));
        assert!(
            !says(&three, "enhanced early-help offer"),
            "{:?}",
            three.reasons
        );
    }

    #[test]
    fn one_tier_2_indicator_suggests_tier_2_for_that_indicator_alone() {
        let f = norfolk();
        let a = codes(f, Tier::TWO, None)[0];
        let s = f.suggest(&[a], &[]);
        assert_eq!(s.level, Level::new(Tier::TWO, StatutoryBasis::None));
        assert_eq!(s.reasons.len(), 1, "{:?}", s.reasons);
        assert_eq!(s.reasons[0].code.as_deref(), Some(a));
        assert!(
            s.reasons[0].text.contains("a tier 2 indicator"),
            "{:?}",
            s.reasons
        );
    }

    #[test]
    fn only_the_highest_tier_s_indicators_are_reasons() {
        let f = norfolk();
        let low = codes(f, Tier::TWO, None)[0];
        let high = codes(f, Tier::THREE, None)[0];
        let s = f.suggest(&[low, high], &[]);
        assert_eq!(s.level, Level::new(Tier::THREE, StatutoryBasis::None));
        let coded: Vec<_> = s.reasons.iter().filter_map(|r| r.code.as_deref()).collect();
        assert_eq!(coded, [high]);
    }

    #[test]
    fn a_norfolk_tier_4_indicator_is_read_as_tier_4_under_section_47() {
        let f = norfolk();
        let s = f.suggest(&[codes(f, Tier::FOUR, None)[0]], &[]);
        assert_eq!(s.level, Level::new(Tier::FOUR, StatutoryBasis::Section47));
        assert!(
            says(&s, "read as tier 4") && says(&s, "lowest level this framework allows"),
            "{:?}",
            s.reasons
        );
        let tier3 = f.suggest(&[codes(f, Tier::THREE, None)[0]], &[]);
        assert!(!says(&tier3, "read as"), "{:?}", tier3.reasons);
    }

    #[test]
    fn every_section_47_indicator_is_a_reason_and_unknown_ones_are_passed_over() {
        let f = norfolk();
        let all: Vec<&str> = f
            .section_47_indicators()
            .iter()
            .map(|s| s.code.as_str())
            .take(2)
            .collect();
        let s = f.suggest(&[], &all);
        let coded: Vec<_> = s.reasons.iter().filter_map(|r| r.code.as_deref()).collect();
        assert_eq!(coded, all);
        assert!(says(&s, "child protection enquiry"), "{:?}", s.reasons);
        assert_eq!(f.suggest(&[], &["NOT-A-CODE"]).level, Level::UNIVERSAL);
    }

    #[test]
    fn nothing_recorded_suggests_tier_1() {
        assert_eq!(norfolk().suggest(&[], &[]).level, Level::UNIVERSAL);
        assert_eq!(
            norfolk().suggest(&["NOT-A-CODE"], &[]).level,
            Level::UNIVERSAL
        );
    }

    #[test]
    fn a_staffordshire_tier_4_without_s47_is_read_as_its_lowest_allowed_level() {
        let f = Framework::by_name("staffordshire").unwrap();
        if let Some(code) = codes(f, Tier::FOUR, None).first() {
            let s = f.suggest(&[code], &[]);
            assert_eq!(s.level, Level::new(Tier::FOUR, StatutoryBasis::Section17));
        }
    }

    proptest! {
        #[test]
        fn a_suggestion_is_allowed_and_never_below_the_highest_indicator(
            name in prop::sample::select(vec!["norfolk", "staffordshire"]),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
            s47 in any::<Option<prop::sample::Index>>(),
        ) {
            let f = Framework::by_name(name).unwrap();
            let chosen: Vec<&str> = picks.iter().map(|i| f.indicators()[i.index(f.indicators().len())].code.as_str()).collect();
            let s47: Vec<&str> = s47.iter().map(|i| f.section_47_indicators()[i.index(f.section_47_indicators().len())].code.as_str()).collect();
            let s = f.suggest(&chosen, &s47);
            prop_assert!(f.allows(s.level), "{:?} not allowed", s.level);
            let highest = chosen.iter().filter_map(|c| f.indicator(c)).map(|i| i.tier).max().unwrap_or(Tier::ONE);
            prop_assert!(s.level.tier >= highest);
            prop_assert!(!s.reasons.is_empty());
        }
    }
}
