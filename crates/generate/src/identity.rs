//! Who a synthetic child is: name, date of birth (or expected date for an unborn baby),
//! gender, ethnicity, disability, locality and identifiers, as a `child_registered` carries
//! them; and the identifier claims the store takes with the registration.
//!
//! Ages follow the age profile of referrals (`rates::AGE_BANDS`). Identifiers are unique in a
//! run (`identifiers`); whether a child has them follows how agencies actually know children:
//! most have an NHS number, school-age children a UPN, fewer a council case number.
//!
//! This module does not register anyone: `journey` hands these details to the domain.

use chrono::{Datelike, Days, NaiveDate};
use domain::registration::{ChildDetails, ChildDetailsFields, Identifiers};
use rand::Rng;
use store::IdentifierClaim;

use crate::build::{record_data, text, wire};
use crate::identifiers;
use crate::people::{ADULTS_FEMALE, ADULTS_MALE, BOYS, Council, FAMILY_NAMES, GIRLS};
use crate::rates::{self, chance, one, pick};

#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub given_name: String,
    pub family_name: String,
    pub mother: String,
    pub father: String,
    /// `male`, `female`, `unknown` or `not_stated`.
    pub gender: &'static str,
    pub date_of_birth: Option<NaiveDate>,
    pub expected_date_of_birth: Option<NaiveDate>,
    /// Index into the council's localities.
    pub locality: usize,
    /// The NHS number an unborn child is given at birth (recorded by `child_details_updated`).
    pub nhs_at_birth: Option<String>,
    /// `child_registered`'s data, or why the generator could not build it (a bug here).
    pub details: Result<ChildDetails, String>,
}

impl Identity {
    /// A child first known on `first_contact`, the `index`-th of a run with this seed.
    pub(crate) fn new(
        rng: &mut impl Rng,
        council: &Council,
        seed: u64,
        index: u64,
        first_contact: NaiveDate,
    ) -> Identity {
        let (lo, hi) = *pick(rng, rates::AGE_BANDS).unwrap_or(&(5, 9));
        let age = rng.random_range(lo..=hi);
        let unborn = age < 0;
        let gender = if unborn {
            "unknown"
        } else {
            *pick(
                rng,
                &[
                    ("male", 505),
                    ("female", 480),
                    ("unknown", 5),
                    ("not_stated", 10),
                ],
            )
            .unwrap_or(&"male")
        };
        let girl = gender == "female" || (gender != "male" && chance(rng, 0.5));
        let given_name = if unborn {
            "Baby".to_owned()
        } else if girl {
            (*one(rng, GIRLS).unwrap_or(&"Ava")).to_owned()
        } else {
            (*one(rng, BOYS).unwrap_or(&"Sam")).to_owned()
        };
        let family_name = (*one(rng, FAMILY_NAMES).unwrap_or(&"Smith")).to_owned();
        let mother = (*one(rng, ADULTS_FEMALE).unwrap_or(&"Sarah")).to_owned();
        let father = (*one(rng, ADULTS_MALE).unwrap_or(&"Mark")).to_owned();

        let (date_of_birth, expected_date_of_birth) = if unborn {
            let due = first_contact + Days::new(rng.random_range(20..=190));
            (None, Some(due))
        } else {
            let days = age as u64 * 365 + rng.random_range(0..365);
            (Some(first_contact - Days::new(days.max(1))), None)
        };

        let weights: Vec<(usize, u32)> = council
            .localities
            .iter()
            .enumerate()
            .map(|(i, l)| (i, l.weight))
            .collect();
        let locality = *pick(rng, &weights).unwrap_or(&0);
        let locality_name = council
            .localities
            .get(locality)
            .map_or_else(|| "Unknown".to_owned(), |l| l.name.clone());

        let nhs = identifiers::nhs_number(seed, index);
        let mut nhs_number = None;
        let mut nhs_at_birth = None;
        if unborn {
            nhs_at_birth = nhs;
        } else if chance(rng, rates::NHS_NUMBER_KNOWN)
            && let Some(n) = nhs
        {
            nhs_number = Some(n);
        }
        let upn = match date_of_birth {
            Some(dob) if age >= 4 && chance(rng, rates::UPN_KNOWN) => {
                // Allocated when the child started school, the September after they turned four.
                let year = dob.year() + if dob.month() >= 9 { 5 } else { 4 };
                Some(identifiers::upn(seed, index, council.la_number, year))
            }
            _ => None,
        };
        let upn_unknown = if upn.is_none() && date_of_birth.is_some() && age >= 4 {
            // A school-age child with no UPN on record has a reason the census asks for. It
            // comes from the seed, not the run's random stream, so every other draw stays
            // as it was.
            let reasons = ["UN2", "UN3", "UN4", "UN5", "UN6"];
            let pick = identifiers::mix(seed, index ^ 0x5550_4e00) % reasons.len() as u64;
            reasons.get(pick as usize).copied()
        } else {
            None
        };
        let la_child_id = chance(rng, rates::LA_ID_KNOWN)
            .then(|| identifiers::la_child_id(council.la_prefix, seed, index));

        let ethnicity = if chance(rng, rates::ETHNICITY_RECORDED) {
            Some(*pick(rng, rates::ETHNICITIES).unwrap_or(&"WBRI"))
        } else {
            None
        };
        let mut disability: Vec<&str> = Vec::new();
        if !unborn {
            let r = rng.random::<f64>();
            if r < rates::DISABILITY_SOME {
                disability.push(*pick(rng, rates::DISABILITIES).unwrap_or(&"LD"));
                if chance(rng, 0.3) {
                    let second = *pick(rng, rates::DISABILITIES).unwrap_or(&"LD");
                    if !disability.contains(&second) {
                        disability.push(second);
                    }
                }
            } else if r < rates::DISABILITY_SOME + rates::DISABILITY_NONE_STATED {
                disability.push("NONE");
            }
        }
        let details = record_data(|| {
            let identifiers = Identifiers {
                nhs_number: nhs_number.as_deref().map(wire).transpose()?,
                upn: upn.as_deref().map(wire).transpose()?,
                la_child_id: la_child_id.map(text).transpose()?,
                former_upn: None,
                upn_unknown: upn_unknown.map(wire).transpose()?,
            };
            let known = identifiers != Identifiers::default();
            ChildDetails::try_from(ChildDetailsFields {
                given_name: text(&given_name)?,
                family_name: text(&family_name)?,
                date_of_birth,
                expected_date_of_birth: if date_of_birth.is_some() {
                    None
                } else {
                    expected_date_of_birth
                },
                gender: wire(gender)?,
                ethnicity: ethnicity.map(wire).transpose()?,
                disability: disability
                    .into_iter()
                    .map(wire)
                    .collect::<Result<Vec<_>, String>>()?,
                locality: text(locality_name)?,
                identifiers: known.then_some(identifiers),
            })
        });
        Identity {
            given_name,
            family_name,
            mother,
            father,
            gender,
            date_of_birth,
            expected_date_of_birth,
            locality,
            nhs_at_birth,
            details,
        }
    }

    /// Age in whole years on `date`; -1 before birth.
    pub(crate) fn age_on(&self, date: NaiveDate) -> i32 {
        match self.date_of_birth {
            Some(b) if b <= date => date.years_since(b).map_or(0, |y| y as i32),
            Some(_) => -1,
            None => -1,
        }
    }
}

/// The identifiers a registration or update claims, spelled as the API claims them.
pub(crate) fn claims(ids: Option<&Identifiers>) -> Vec<IdentifierClaim> {
    casework::identifier_claims(ids)
}
