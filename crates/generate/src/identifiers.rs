//! Identifiers a synthetic child can carry without colliding with another synthetic child or
//! with a real one: NHS numbers, Unique Pupil Numbers, council ids and the UUIDs of events.
//!
//! Each is a function of the run's seed and the child's index, so the same seed always gives
//! the same numbers and no two children of one run ever share one (the store refuses a second
//! claim on a number). Check digits and letters are computed here with the published
//! algorithms; `domain::registration` checks them again when the registration is parsed, so a
//! mistake here is a refused registration, never a bad record.
//!
//! This module does not decide who gets which identifier (that is `identity`'s business).

use rand::Rng;
use uuid::Uuid;

/// A version 4 UUID whose random bits come from the child's generator, so runs repeat.
pub(crate) fn uuid(rng: &mut impl Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Mixes a seed with a number into a well-spread 64-bit value (SplitMix64's finaliser).
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The modulus 11 check digit of an NHS number's first nine digits, or `None` when the
/// algorithm gives 10 (no valid number starts with those nine digits).
pub(crate) fn nhs_check_digit(base: u64) -> Option<u64> {
    let digits: Vec<u64> = format!("{base:09}")
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    let sum: u64 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// How many candidate bases each child has: with a 1 in 11 chance that a base has no valid
/// check digit, eleven candidates all failing is about one child in 300 billion.
const NHS_CANDIDATES: u64 = 11;
/// NHS numbers here start with 9: the 9 range is not issued to patients in England (999 is
/// the NHS's own test range), so a synthetic number never names a real person.
const NHS_FIRST: u64 = 900_000_000;
const NHS_SPACE: u64 = 100_000_000;
/// An odd multiplier not divisible by 5 is coprime with every power of ten, so
/// `(a * n + b) mod 10^k` visits each value once as `n` counts up.
const SPREAD: u64 = 48_271_239;

/// The child's NHS number: ten digits, unique within a run of up to nine million children.
pub(crate) fn nhs_number(seed: u64, index: u64) -> Option<String> {
    let offset = mix(seed, 1) % NHS_SPACE;
    (0..NHS_CANDIDATES).find_map(|k| {
        let n = index * NHS_CANDIDATES + k;
        let base = NHS_FIRST + (SPREAD.wrapping_mul(n) % NHS_SPACE + offset) % NHS_SPACE;
        nhs_check_digit(base).map(|check| format!("{base:09}{check}"))
    })
}

/// The letters a UPN's check character is drawn from (the alphabet without I, O and S).
const UPN_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// The check letter of a UPN's last twelve characters (all digits here): their values
/// weighted 2 to 13, modulo 23.
pub(crate) fn upn_check_letter(rest: &str) -> char {
    let sum: usize = rest
        .bytes()
        .enumerate()
        .map(|(i, c)| usize::from(c.wrapping_sub(b'0')) * (i + 2))
        .sum();
    char::from(UPN_LETTERS[sum % 23])
}

/// A Unique Pupil Number: the check letter, the council's three-digit LA number, a
/// four-digit establishment, the two-digit year it was allocated and a three-digit serial.
/// Establishment and serial together come from the child's index, so UPNs never repeat in a
/// run of up to ten million children.
pub(crate) fn upn(seed: u64, index: u64, la_number: u16, allocated_year: i32) -> String {
    let space = 10_000_000;
    let n = (SPREAD.wrapping_mul(index) % space + mix(seed, 2) % space) % space;
    let establishment = n / 1000;
    let rest = format!(
        "{la_number:03}{establishment:04}{:02}{:03}",
        allocated_year.rem_euclid(100),
        n % 1000
    );
    format!("{}{rest}", upn_check_letter(&rest))
}

/// The council's own case number, unique within a run.
pub(crate) fn la_child_id(prefix: &str, seed: u64, index: u64) -> String {
    let space = 100_000_000;
    let n = (SPREAD.wrapping_mul(index) % space + mix(seed, 3) % space) % space;
    format!("{prefix}-{n:08}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::registration::{NhsNumber, Upn};
    use std::collections::BTreeSet;

    #[test]
    fn nhs_numbers_pass_the_domains_check_and_never_repeat() {
        let mut seen = BTreeSet::new();
        for i in 0..20_000 {
            let n = nhs_number(7, i).expect("eleven candidates");
            assert!(NhsNumber::new(&n).is_ok(), "{n}");
            assert!(n.starts_with('9'), "{n}");
            assert!(seen.insert(n), "repeated at {i}");
        }
        // The published example.
        assert_eq!(nhs_check_digit(943_476_591), Some(9));
    }

    #[test]
    fn upns_pass_the_domains_check_and_never_repeat() {
        let mut seen = BTreeSet::new();
        for i in 0..20_000 {
            let u = upn(7, i, 926, 2019);
            assert!(Upn::new(&u).is_ok(), "{u}");
            assert!(seen.insert(u), "repeated at {i}");
        }
    }

    #[test]
    fn council_ids_never_repeat() {
        let ids: BTreeSet<String> = (0..20_000).map(|i| la_child_id("NCC", 7, i)).collect();
        assert_eq!(ids.len(), 20_000);
    }
}
