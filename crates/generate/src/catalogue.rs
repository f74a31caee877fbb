//! What the generator needs from the deployment's framework: the levels its journeys move
//! between, and indicator codes to record for a level the catalogue should suggest.
//!
//! Journeys speak of early help, targeted support, child in need and child protection; each
//! framework says which (tier, basis) pair that is (a child in need is tier 3 under section 17
//! in Norfolk, level 4 in Staffordshire). Indicators are drawn so that the domain's own
//! suggestion lands on a chosen level; the professional's decided level is then recorded
//! beside it, equal or not. This module does not suggest anything itself: the domain does.

use domain::framework::{Framework, TriangleDomain};
use domain::level::{Level, StatutoryBasis, Tier};
use rand::Rng;

use crate::rates::{chance, one};

/// The levels journeys move between, as this framework spells them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub universal: Level,
    pub early: Level,
    pub targeted: Level,
    pub cin: Level,
    pub cp: Level,
}

impl Scale {
    pub(crate) fn of(f: &Framework) -> Scale {
        let at = |t: Tier, fallback: Level| f.lowest_level_of(t).unwrap_or(fallback);
        let with_basis = |b: StatutoryBasis, fallback: Level| {
            f.allowed_levels()
                .iter()
                .copied()
                .find(|l| l.statutory_basis == b)
                .unwrap_or(fallback)
        };
        let universal = Level::UNIVERSAL;
        let early = at(Tier::TWO, universal);
        let targeted = at(Tier::THREE, early);
        let cin = with_basis(StatutoryBasis::Section17, targeted);
        let cp = with_basis(StatutoryBasis::Section47, at(Tier::FOUR, cin));
        Scale {
            universal,
            early,
            targeted,
            cin,
            cp,
        }
    }
}

#[derive(Debug, Clone)]
struct Code {
    code: String,
    domain: TriangleDomain,
    tier: Tier,
    exploitation: bool,
}

/// The framework's indicator codes, ready to draw from.
#[derive(Debug, Clone)]
pub(crate) struct Catalogue {
    codes: Vec<Code>,
    s47: Vec<(String, String, bool)>,
    allowed: Vec<Level>,
}

/// Section 47 indicators that fit only some children, by words in their labels.
fn s47_fits(label: &str, age: i32, girl: bool) -> bool {
    let l = label.to_ascii_lowercase();
    if l.contains("pregnan") {
        return girl && (11..=12).contains(&age);
    }
    if l.contains("unborn") {
        return age < 0;
    }
    if l.contains("mobile") || l.contains("non-verbal") || l.contains("baby") {
        return (0..2).contains(&age);
    }
    if l.contains("under-five") || l.contains("under five") || l.contains("under-fives") {
        return (0..5).contains(&age);
    }
    if l.contains("remand") || l.contains("custody") {
        return age >= 12;
    }
    age >= 0 || l.contains("person posing") || l.contains("domestic")
}

impl Catalogue {
    pub(crate) fn of(f: &Framework) -> Catalogue {
        let codes = f
            .indicators()
            .iter()
            .map(|i| Code {
                code: i.code.clone(),
                domain: i.domain,
                tier: i.tier,
                exploitation: i.has_tag("exploitation"),
            })
            .collect();
        let s47 = f
            .section_47_indicators()
            .iter()
            .map(|s| {
                (
                    s.code.clone(),
                    s.label.clone(),
                    s.tags.iter().any(|t| t == "exploitation"),
                )
            })
            .collect();
        let mut allowed = f.allowed_levels().to_vec();
        allowed.sort();
        Catalogue {
            codes,
            s47,
            allowed,
        }
    }

    /// The allowed level next to `level`, above (`up`) or below; `level` itself at the ends.
    pub(crate) fn neighbour(&self, level: Level, up: bool) -> Level {
        let i = self.allowed.iter().position(|l| *l == level);
        match (i, up) {
            (Some(i), true) => self.allowed.get(i + 1).copied().unwrap_or(level),
            (Some(i), false) if i > 0 => self.allowed.get(i - 1).copied().unwrap_or(level),
            _ => level,
        }
    }

    fn draw(
        &self,
        rng: &mut impl Rng,
        tier: Tier,
        exploitation: bool,
        domain: Option<TriangleDomain>,
    ) -> Option<&Code> {
        let fits = |c: &&Code| {
            c.tier == tier
                && domain.is_none_or(|d| c.domain == d)
                && (exploitation == c.exploitation)
        };
        let list: Vec<&Code> = self.codes.iter().filter(fits).collect();
        if let Some(c) = one(rng, &list) {
            return Some(*c);
        }
        // Not every framework has every tier for every kind of need: any code of the tier.
        let list: Vec<&Code> = self.codes.iter().filter(|c| c.tier == tier).collect();
        one(rng, &list).copied()
    }

    /// Indicator codes (and section 47 codes) whose suggestion should be `target`.
    /// `exploitation` puts an exploitation-tagged indicator first where the tier has one.
    pub(crate) fn indicators_for(
        &self,
        rng: &mut impl Rng,
        target: Level,
        exploitation: bool,
        age: i32,
        girl: bool,
    ) -> (Vec<String>, Vec<String>) {
        let mut codes: Vec<String> = Vec::new();
        let mut s47 = Vec::new();
        let mut push = |c: Option<&Code>| {
            if let Some(c) = c
                && !codes.contains(&c.code)
            {
                codes.push(c.code.clone());
            }
        };
        match (target.tier.get(), target.statutory_basis) {
            (1, _) => {
                if chance(rng, 0.6) {
                    push(self.draw(rng, Tier::ONE, false, None));
                }
            }
            (2, _) => {
                // Tier 2 indicators kept to one domain of the triangle, or the catalogue
                // would read several early-help needs together as a tier 3 case.
                let first = self.draw(rng, Tier::TWO, exploitation, None).cloned();
                let domain = first.as_ref().map(|c| c.domain);
                push(first.as_ref());
                if chance(rng, 0.4) {
                    push(self.draw(rng, Tier::TWO, false, domain));
                }
                if chance(rng, 0.3) {
                    push(self.draw(rng, Tier::ONE, false, None));
                }
            }
            (3, _) | (4, StatutoryBasis::None | StatutoryBasis::Section17) => {
                let tier = target.tier;
                push(self.draw(rng, tier, exploitation, None));
                if chance(rng, 0.4) {
                    push(self.draw(rng, tier, false, None));
                }
                for _ in 0..rng.random_range(0..=2) {
                    push(self.draw(rng, Tier::TWO, false, None));
                }
            }
            _ => {
                let fitting: Vec<&(String, String, bool)> = self
                    .s47
                    .iter()
                    .filter(|(_, label, ex)| s47_fits(label, age, girl) && (!exploitation || *ex))
                    .collect();
                let fitting = if fitting.is_empty() {
                    self.s47
                        .iter()
                        .filter(|(_, label, _)| s47_fits(label, age, girl))
                        .collect()
                } else {
                    fitting
                };
                if let Some((code, _, _)) = one(rng, &fitting) {
                    s47.push(code.clone());
                }
                push(self.draw(rng, Tier::THREE, exploitation, None));
                if chance(rng, 0.5) {
                    push(self.draw(rng, Tier::FOUR, false, None));
                }
            }
        }
        (codes, s47)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn drawn_indicators_lead_the_domain_to_the_target_level() {
        let mut rng = StdRng::seed_from_u64(9);
        for name in domain::framework::NAMES {
            let f = Framework::by_name(name).expect("framework loads");
            let cat = Catalogue::of(f);
            let s = Scale::of(f);
            for target in [s.universal, s.early, s.targeted, s.cp] {
                let mut hits = 0;
                for _ in 0..200 {
                    let (codes, s47) = cat.indicators_for(&mut rng, target, false, 8, true);
                    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
                    let s47: Vec<&str> = s47.iter().map(String::as_str).collect();
                    if f.suggest(&codes, &s47).level == target {
                        hits += 1;
                    }
                }
                assert!(hits >= 190, "{name} {target}: {hits} of 200");
            }
        }
    }

    #[test]
    fn levels_follow_each_framework() {
        let n = Scale::of(Framework::by_name("norfolk").expect("norfolk"));
        assert_eq!(n.cin.tier, Tier::THREE);
        let s = Scale::of(Framework::by_name("staffordshire").expect("staffordshire"));
        assert_eq!(s.cin.tier, Tier::FOUR);
        assert!(n.early < n.targeted && n.targeted < n.cin && n.cin < n.cp);
        assert!(s.early < s.targeted && s.targeted < s.cin && s.cin < s.cp);
    }
}
