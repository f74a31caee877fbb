//! The synthetic council's places and people: its localities, its agencies (spelled as tokens
//! spell them, `school:norwich-high`, `police:norfolk`, `front_door:norfolk-mash`), the
//! practitioners who record, and the families they talk to.
//!
//! Practitioners come from a small roster per agency and role, named from a hash of both, so
//! the same designated safeguarding lead appears on many children, as in a real school.
//! Names are invented from common English first and family names; they belong to nobody.
//!
//! This module does not decide when anyone acts; `journey` does.

use domain::framework::Framework;
use domain::shapes::{FamilyMember, Party, Person};
use rand::Rng;

use crate::build::text;
use crate::catalogue::{Catalogue, Scale};
use crate::identifiers::mix;
use crate::rates::one;

/// A practitioner as records name them: `{ name, role, agency }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Staff {
    pub name: String,
    pub role: &'static str,
    pub agency: String,
}

impl Staff {
    /// The practitioner as records name them; `Err` says which field is not valid text (a bug
    /// in the roster, reported by the caller).
    pub(crate) fn person(&self) -> Result<Person, String> {
        Ok(Person {
            name: text(&self.name)?,
            role: text(self.role)?,
            agency: text(&self.agency)?,
        })
    }

    /// The practitioner as a participant or an action's owner.
    pub(crate) fn party(&self) -> Result<Party, String> {
        self.person().map(Party::Person)
    }
}

/// A place children live, with how much of the council's need it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Locality {
    pub name: String,
    /// For agency names: lower case, words joined by hyphens, no apostrophes.
    pub slug: String,
    pub weight: u32,
}

/// The council the journeys happen in: its framework, places and agencies.
#[derive(Debug, Clone)]
pub(crate) struct Council {
    pub framework: &'static Framework,
    /// `norfolk`: the second half of most agency names.
    pub slug: String,
    pub front_door: String,
    pub localities: Vec<Locality>,
    /// The DfE's three-digit local authority number, the first digits of a UPN.
    pub la_number: u16,
    /// The prefix of the council's own case numbers.
    pub la_prefix: &'static str,
    pub scale: Scale,
    pub catalogue: Catalogue,
}

/// Norfolk's districts, weighted towards where more families need help.
const NORFOLK: &[(&str, u32)] = &[
    ("Norwich", 22),
    ("Great Yarmouth", 14),
    ("King's Lynn", 16),
    ("Breckland", 14),
    ("North Norfolk", 10),
    ("South Norfolk", 12),
    ("Broadland", 12),
];

const STAFFORDSHIRE: &[(&str, u32)] = &[
    ("Cannock Chase", 13),
    ("East Staffordshire", 13),
    ("Lichfield", 11),
    ("Newcastle-under-Lyme", 14),
    ("South Staffordshire", 10),
    ("Stafford", 13),
    ("Staffordshire Moorlands", 10),
    ("Tamworth", 12),
];

/// The localities a framework's council uses when none are given.
pub fn default_localities(framework: &Framework) -> Vec<String> {
    let list = match framework.name() {
        "staffordshire" => STAFFORDSHIRE,
        _ => NORFOLK,
    };
    list.iter().map(|(n, _)| (*n).to_owned()).collect()
}

pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // King's Lynn is kings-lynn.
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("area");
    }
    out
}

impl Council {
    pub(crate) fn new(framework: &'static Framework, localities: &[String]) -> Council {
        let known: &[(&str, u32)] = match framework.name() {
            "staffordshire" => STAFFORDSHIRE,
            _ => NORFOLK,
        };
        let localities = localities
            .iter()
            .map(|name| Locality {
                name: name.clone(),
                slug: slug(name),
                weight: known
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(12, |(_, w)| *w),
            })
            .collect();
        let slug = slug(framework.name());
        let (front_door, la_number, la_prefix) = match framework.name() {
            "norfolk" => ("front_door:norfolk-mash".to_owned(), 926, "NCC"),
            "staffordshire" => ("front_door:staffordshire-scas".to_owned(), 860, "SCC"),
            _ => (format!("front_door:{slug}"), 999, "LA"),
        };
        Council {
            framework,
            slug,
            front_door,
            localities,
            la_number,
            la_prefix,
            scale: Scale::of(framework),
            catalogue: Catalogue::of(framework),
        }
    }

    // --- Agencies -------------------------------------------------------------------------

    pub(crate) fn police(&self) -> String {
        format!("police:{}", self.slug)
    }
    pub(crate) fn school(&self, loc: &Locality, age: i32, variant: u64) -> String {
        match (age < 11, variant % 3) {
            (true, 0) => format!("school:{}-infant-and-junior", loc.slug),
            (true, _) => format!("school:{}-primary", loc.slug),
            (false, 0) => format!("school:{}-academy", loc.slug),
            (false, _) => format!("school:{}-high", loc.slug),
        }
    }
    pub(crate) fn community_health(&self) -> String {
        format!("health:{}-community", self.slug)
    }
    pub(crate) fn hospital(&self) -> String {
        format!("health:{}-hospital", self.slug)
    }
    pub(crate) fn gp(&self, loc: &Locality) -> String {
        format!("health:gp-{}", loc.slug)
    }
    pub(crate) fn camhs(&self) -> String {
        format!("health:{}-camhs", self.slug)
    }
    pub(crate) fn early_help(&self, loc: &Locality) -> String {
        format!("early_help:{}", loc.slug)
    }
    pub(crate) fn children_services(&self) -> String {
        format!("children_services:{}", self.slug)
    }
    pub(crate) fn education(&self) -> String {
        format!("education:{}-inclusion", self.slug)
    }
    pub(crate) fn housing(&self, loc: &Locality) -> String {
        format!("housing:{}", loc.slug)
    }
    pub(crate) fn adult_social_care(&self) -> String {
        format!("adult_social_care:{}", self.slug)
    }
    pub(crate) fn youth_service(&self) -> String {
        format!("youth_service:{}", self.slug)
    }
    pub(crate) fn youth_justice(&self) -> String {
        format!("youth_justice:{}", self.slug)
    }
    pub(crate) fn voluntary(&self, loc: &Locality) -> String {
        format!("voluntary:{}-family-centre", loc.slug)
    }
    pub(crate) fn out_of_area(&self) -> String {
        "children_services:out-of-area".to_owned()
    }

    // --- People -----------------------------------------------------------------------------

    /// One of the few practitioners holding `role` at `agency`.
    pub(crate) fn staff(&self, rng: &mut impl Rng, agency: &str, role: &'static str) -> Staff {
        let slot = rng.random_range(0..3u64);
        self.staff_in_slot(agency, role, slot)
    }

    /// The practitioner in a given slot of an agency's roster, the same on every child.
    pub(crate) fn staff_in_slot(&self, agency: &str, role: &'static str, slot: u64) -> Staff {
        let h = agency
            .bytes()
            .chain(role.bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let h = mix(h, slot);
        let first = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
        let last = FAMILY_NAMES[((h >> 20) % FAMILY_NAMES.len() as u64) as usize];
        Staff {
            name: format!("{first} {last}"),
            role,
            agency: agency.to_owned(),
        }
    }

    /// A front-door practitioner (screening social worker or the team manager who decides).
    pub(crate) fn front_door_worker(&self, rng: &mut impl Rng) -> Staff {
        let role = *one(rng, &["mash_social_worker", "mash_team_manager"]).unwrap_or(&"mash");
        self.staff(rng, &self.front_door.clone(), role)
    }

    pub(crate) fn front_door_manager(&self, rng: &mut impl Rng) -> Staff {
        self.staff(rng, &self.front_door.clone(), "mash_team_manager")
    }

    pub(crate) fn social_worker(&self, rng: &mut impl Rng) -> Staff {
        self.staff(rng, &self.children_services(), "social_worker")
    }

    pub(crate) fn police_officer(&self, rng: &mut impl Rng) -> Staff {
        let role = *one(
            rng,
            &["police_officer", "detective_constable", "mash_police"],
        )
        .unwrap_or(&"police_officer");
        self.staff(rng, &self.police(), role)
    }

    pub(crate) fn conference_chair(&self, rng: &mut impl Rng) -> Staff {
        self.staff(
            rng,
            &self.children_services(),
            "independent_conference_chair",
        )
    }

    pub(crate) fn early_help_worker(&self, rng: &mut impl Rng, loc: &Locality) -> Staff {
        let role = *one(rng, &["early_help_practitioner", "family_support_worker"])
            .unwrap_or(&"early_help_practitioner");
        self.staff(rng, &self.early_help(loc), role)
    }
}

/// A family member: `{ name?, relationship }`.
pub(crate) fn family(relationship: &str, name: Option<&str>) -> Result<FamilyMember, String> {
    Ok(FamilyMember {
        name: name.map(text).transpose()?,
        relationship: text(relationship)?,
    })
}

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Alex", "Amina", "Ben", "Bethany", "Callum", "Chloe", "Daniel", "Demi", "Ellie", "Ethan",
    "Faye", "George", "Grace", "Hannah", "Harvey", "Imogen", "Isaac", "Jade", "Jake", "Jasmine",
    "Kai", "Kerry", "Leah", "Liam", "Lily", "Mason", "Megan", "Nathan", "Niamh", "Oliver",
    "Olivia", "Priya", "Rachel", "Reece", "Ruby", "Ryan", "Sophie", "Tom", "Tyler", "Zara",
];

pub(crate) const BOYS: &[&str] = &[
    "Alfie", "Archie", "Arthur", "Charlie", "Dylan", "Finley", "Freddie", "Harry", "Harrison",
    "Henry", "Jack", "Jacob", "Jayden", "Joshua", "Kacper", "Leo", "Logan", "Louie", "Mohammed",
    "Noah", "Oscar", "Reggie", "Riley", "Ronnie", "Sam", "Theo", "Tommy", "Zac",
];

pub(crate) const GIRLS: &[&str] = &[
    "Amelia", "Ava", "Bella", "Darcie", "Ella", "Elsie", "Emily", "Evie", "Florence", "Freya",
    "Isla", "Ivy", "Lacey", "Lola", "Maisie", "Maya", "Mia", "Millie", "Nadia", "Poppy", "Rosie",
    "Scarlett", "Sienna", "Skye", "Summer", "Willow", "Zuzanna",
];

pub(crate) const ADULTS_FEMALE: &[&str] = &[
    "Amy", "Carly", "Danielle", "Donna", "Emma", "Gemma", "Hayley", "Jodie", "Kayleigh", "Kelly",
    "Laura", "Lisa", "Natalie", "Sarah", "Stacey", "Vicky",
];

pub(crate) const ADULTS_MALE: &[&str] = &[
    "Adam", "Carl", "Craig", "Darren", "Dean", "Gary", "Jamie", "Lee", "Mark", "Matt", "Paul",
    "Ricky", "Scott", "Shaun", "Stuart", "Wayne",
];

pub(crate) const FAMILY_NAMES: &[&str] = &[
    "Allen", "Bailey", "Baker", "Barker", "Bennett", "Brown", "Carter", "Chapman", "Clarke",
    "Cooper", "Cox", "Davies", "Edwards", "Evans", "Fisher", "Fletcher", "Green", "Hall", "Harris",
    "Hill", "Howard", "Hughes", "Jackson", "James", "Johnson", "Kaur", "Kelly", "Khan", "King",
    "Kowalski", "Lee", "Lewis", "Marsh", "Martin", "Mason", "Miller", "Moore", "Morris", "Murphy",
    "Nowak", "Palmer", "Parker", "Patel", "Pearce", "Phillips", "Price", "Reynolds", "Roberts",
    "Robinson", "Rose", "Shaw", "Smith", "Spencer", "Taylor", "Thomas", "Thompson", "Turner",
    "Walker", "Ward", "Watson", "White", "Wilson", "Wood", "Wright", "Young",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localities_become_agency_slugs() {
        assert_eq!(slug("King's Lynn"), "kings-lynn");
        assert_eq!(slug("Newcastle-under-Lyme"), "newcastle-under-lyme");
        assert_eq!(slug("  Great  Yarmouth "), "great-yarmouth");
        assert_eq!(slug("'"), "area");
    }

    #[test]
    fn the_same_slot_is_the_same_person_on_every_child() {
        let f = Framework::by_name("norfolk").expect("norfolk loads");
        let c = Council::new(f, &default_localities(f));
        let a = c.staff_in_slot("school:norwich-high", "designated_safeguarding_lead", 1);
        let b = c.staff_in_slot("school:norwich-high", "designated_safeguarding_lead", 1);
        assert_eq!(a, b);
        assert_eq!(c.front_door, "front_door:norfolk-mash");
    }
}
