//! Names each child's row by the pseudonym the caller's pseudonymiser gives, and makes sure
//! nothing about a row's order or name leads back to the child.
//!
//! The pseudonymiser is the API's (an HMAC of the child id under the deployment's key, so a
//! pseudonym is stable within a deployment and cannot be turned back without the key). This
//! module only calls it, and guards against two mistakes that would leak or muddle: a
//! pseudonym that is empty or carries the child's id (a pseudonymiser wired up wrongly) is
//! replaced by a numbered placeholder, and two children given the same pseudonym (a hash cut
//! too short) are told apart by a suffix rather than merged.
//!
//! What it deliberately does not do: make pseudonyms itself, or keep the child id anywhere in
//! what it returns.

use std::collections::HashMap;

use uuid::Uuid;

use super::figures::ChildRow;

/// The rows named and sorted by pseudonym, ids dropped.
pub(super) fn name_rows(
    rows: Vec<(Uuid, ChildRow)>,
    pseudonymise: &dyn Fn(Uuid) -> String,
) -> Vec<ChildRow> {
    let mut named: Vec<(String, Uuid, ChildRow)> = rows
        .into_iter()
        .map(|(id, row)| (pseudonymise(id), id, row))
        .collect();

    // Sorted by pseudonym, so the order reveals nothing about registration order or ids.
    // Ties (only from a faulty pseudonymiser) are broken by id, inside this function only,
    // so the output is still the same for the same events. No two rows share both, so an
    // unstable sort gives the one order (and moves a county's rows less).
    named.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));

    let mut placeholders = 0usize;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(named.len());
    for (pseudonym, id, mut row) in named {
        let mut pseudonym = if safe(&pseudonym, id) {
            pseudonym
        } else {
            placeholders += 1;
            format!("withheld-{placeholders}")
        };
        let n = seen.entry(pseudonym.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            pseudonym = format!("{pseudonym}~{n}");
        }
        row.pseudonym = pseudonym;
        out.push(row);
    }
    // Placeholders and suffixes may have moved a name; the rows are shown in name order.
    // Without them (every sound pseudonymiser) they are in it already.
    if !out.is_sorted_by(|a, b| a.pseudonym <= b.pseudonym) {
        out.sort_by(|a, b| a.pseudonym.cmp(&b.pseudonym));
    }
    out
}

/// A pseudonym may be shown if it is not blank and does not spell out the child's id in any
/// of the ways a UUID is written.
fn safe(pseudonym: &str, id: Uuid) -> bool {
    if pseudonym.trim().is_empty() {
        return false;
    }
    let lower = pseudonym.to_ascii_lowercase();
    let hyphenated = id.hyphenated().to_string();
    let simple = id.simple().to_string();
    !lower.contains(&hyphenated) && !lower.contains(&simple)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspection::figures::ChildRow;

    fn row() -> ChildRow {
        ChildRow {
            pseudonym: String::new(),
            age_band: "unknown".into(),
            level_at_end: None,
            referrals: 0,
            re_referrals: 0,
            no_further_action: 0,
            assessments: 0,
            decided_below_suggested: 0,
            conversations: 0,
            conversations_with_child_voice: 0,
            step_ups: 0,
            step_downs: 0,
            disagreements_raised: 0,
            older_child_exploitation_decided_tier_1_or_2: false,
            obligations_met_late: 0,
            obligations_not_met: 0,
        }
    }

    #[test]
    fn rows_are_sorted_by_pseudonym_and_an_id_is_never_shown() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let c = Uuid::from_u128(3);
        let rows = vec![(a, row()), (b, row()), (c, row())];
        let named = name_rows(rows, &|id| match id.as_u128() {
            1 => "zeta".to_owned(),
            2 => format!("P-{}", id.simple()).to_ascii_uppercase(),
            _ => "alpha".to_owned(),
        });
        let names: Vec<&str> = named.iter().map(|r| r.pseudonym.as_str()).collect();
        assert_eq!(names, ["alpha", "withheld-1", "zeta"]);
    }

    #[test]
    fn two_children_with_one_pseudonym_stay_two_rows() {
        let rows = vec![(Uuid::from_u128(1), row()), (Uuid::from_u128(2), row())];
        let named = name_rows(rows, &|_| "same".to_owned());
        let names: Vec<&str> = named.iter().map(|r| r.pseudonym.as_str()).collect();
        assert_eq!(names, ["same", "same~2"]);
    }
}
