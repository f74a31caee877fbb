//! How often things happen in the synthetic council, in one place, so the mix can be read,
//! argued with and tuned without reading the journeys.
//!
//! The seed documents (`/work/shared/seeds`) give the shape rather than numbers: too many
//! referrals end in "no further action" (002), decisions are due within a working day and one
//! front door screens every referral within 24 hours (001), police, schools and health make most
//! referrals, consent is sought unless that would put someone at risk and a refusal alone never
//! escalates a case, older children who are exploited are too often judged below threshold
//! (000), and disagreements are resolved in stages (004). Where they give no figure, the rates
//! follow the rough shape of the national Children in Need returns (police about three
//! referrals in ten, schools two, health one and a half; about a fifth of referrals within 12
//! months of a previous one; about three initial conferences in four within 15 working days).
//! These are plausible figures for a demonstration and for tests, not statistics.
//!
//! Probabilities are `f64` in 0..=1; weights are relative.

use rand::Rng;

/// True with probability `p`.
pub(crate) fn chance(rng: &mut impl Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// One of `items`, each as likely as its weight. An empty list or all-zero weights give the
/// first item (or `None` for an empty list).
pub(crate) fn pick<'a, T>(rng: &mut impl Rng, items: &'a [(T, u32)]) -> Option<&'a T> {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return items.first().map(|(t, _)| t);
    }
    let mut n = rng.random_range(0..total);
    for (t, w) in items {
        if n < *w {
            return Some(t);
        }
        n -= w;
    }
    items.last().map(|(t, _)| t)
}

/// One item of a plain list, uniformly.
pub(crate) fn one<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> Option<&'a T> {
    if items.is_empty() {
        None
    } else {
        items.get(rng.random_range(0..items.len()))
    }
}

// --- Who the children are ---------------------------------------------------------------

/// Age at first contact, in years (`-1` is an unborn baby): weights per band, roughly the
/// age profile of referrals (babies and teenagers over-represented against the population).
pub(crate) const AGE_BANDS: &[((i32, i32), u32)] = &[
    ((-1, -1), 3),
    ((0, 0), 8),
    ((1, 4), 18),
    ((5, 9), 26),
    ((10, 13), 22),
    ((14, 15), 13),
    ((16, 17), 10),
];

/// Census ethnicity codes, weighted for a mostly white British county.
pub(crate) const ETHNICITIES: &[(&str, u32)] = &[
    ("WBRI", 800),
    ("WOTH", 50),
    ("WIRI", 5),
    ("WROM", 10),
    ("MWBC", 25),
    ("MWBA", 10),
    ("MWAS", 10),
    ("MOTH", 15),
    ("AIND", 5),
    ("APKN", 3),
    ("ABAN", 3),
    ("AOTH", 5),
    ("BAFR", 10),
    ("BCRB", 4),
    ("CHNE", 3),
    ("OOTH", 8),
    ("REFU", 10),
    ("NOBT", 15),
];
/// A recorded ethnicity (the rest leave it out).
pub(crate) const ETHNICITY_RECORDED: f64 = 0.94;
/// A disability recorded: `NONE` said explicitly, or one or two codes.
pub(crate) const DISABILITY_NONE_STATED: f64 = 0.45;
pub(crate) const DISABILITY_SOME: f64 = 0.08;
pub(crate) const DISABILITIES: &[(&str, u32)] = &[
    ("AUT", 30),
    ("LD", 20),
    ("BEH", 20),
    ("COMM", 15),
    ("CON", 5),
    ("HEAR", 3),
    ("VIS", 3),
    ("MOB", 3),
    ("PC", 3),
];
/// Registered with an NHS number (every born child has one; some systems do not send it).
pub(crate) const NHS_NUMBER_KNOWN: f64 = 0.92;
/// A school-age child registered with their UPN.
pub(crate) const UPN_KNOWN: f64 = 0.85;
/// Registered with the council's own case number.
pub(crate) const LA_ID_KNOWN: f64 = 0.35;
/// Moves house (a new locality) during the year.
pub(crate) const MOVES: f64 = 0.03;

// --- Where journeys start ---------------------------------------------------------------

/// How a child first comes to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A referral to the front door (or its early help hub).
    Referral,
    /// An agency's own early help, tiers 1-2, without the front door.
    EarlyHelp,
    /// A consultation with the front door and its advice, with no referral.
    Consultation,
}

pub(crate) const ENTRIES: &[(Entry, u32)] = &[
    (Entry::Referral, 75),
    (Entry::EarlyHelp, 18),
    (Entry::Consultation, 7),
];

/// The need a child really has, which the records approximate (and sometimes misjudge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Need {
    Universal,
    EarlyHelp,
    Targeted,
    /// A child in need: social work under section 17.
    Section17,
    Protection,
}

/// The need behind a referral.
pub(crate) const REFERRAL_NEEDS: &[(Need, u32)] = &[
    (Need::Universal, 33),
    (Need::EarlyHelp, 30),
    (Need::Targeted, 10),
    (Need::Section17, 15),
    (Need::Protection, 12),
];

/// Of children of 14-17 with more than universal need, those whose worries are exploitation.
pub(crate) const EXPLOITATION_14_17: f64 = 0.35;
/// Of children of 10-13 likewise.
pub(crate) const EXPLOITATION_10_13: f64 = 0.08;

/// Census referral sources: police, schools and health make most referrals; individuals
/// (`1A`-`1D`), anonymous callers and unknown sources are recorded by the front door.
pub(crate) const REFERRAL_SOURCES: &[(&str, u32)] = &[
    ("6", 290),
    ("2A", 200),
    ("2B", 15),
    ("3A", 25),
    ("3B", 30),
    ("3C", 5),
    ("3D", 20),
    ("3E", 30),
    ("3F", 40),
    ("5A", 50),
    ("5B", 25),
    ("5C", 20),
    ("5D", 15),
    ("1A", 40),
    ("1B", 10),
    ("1C", 10),
    ("1D", 10),
    ("4", 20),
    ("7", 40),
    ("8", 60),
    ("9", 10),
    ("10", 15),
];

/// A referral that goes to the early help hub rather than the front door proper.
pub(crate) const TO_EARLY_HELP_HUB: f64 = 0.3;
/// Conversations the referrer records before referring (at least one).
pub(crate) const CONVERSATIONS_BEFORE_REFERRAL: (usize, usize) = (1, 3);
/// A consultation with the front door before the referral.
pub(crate) const CONSULTATION_FIRST: f64 = 0.25;
/// The front door screens the referral with a recorded needs assessment before deciding.
pub(crate) const SCREENING_RECORDED: f64 = 0.2;

// --- Consent ----------------------------------------------------------------------------

/// How consent to refer stands: sought and given, sought and refused, or dispensed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReferralConsent {
    Given,
    Refused,
    Dispensed,
}

pub(crate) const REFERRAL_CONSENT: &[(ReferralConsent, u32)] = &[
    (ReferralConsent::Given, 72),
    (ReferralConsent::Refused, 14),
    (ReferralConsent::Dispensed, 14),
];
/// Where harm is suspected, asking first more often puts the child at risk.
pub(crate) const REFERRAL_CONSENT_PROTECTION: &[(ReferralConsent, u32)] = &[
    (ReferralConsent::Given, 45),
    (ReferralConsent::Refused, 15),
    (ReferralConsent::Dispensed, 40),
];
/// A relative or member of the public who rings the front door is often the parent
/// themselves, who consents there and then; otherwise the front door proceeds without.
pub(crate) const CALLER_CONSENTS: f64 = 0.5;
/// Refused, the practitioner refers anyway (telling the front door); otherwise they do not.
pub(crate) const PROCEED_DESPITE_REFUSAL: f64 = 0.65;
/// Told afterwards that a referral was made without their consent: within a working day,
/// later, or (the remainder) never.
pub(crate) const FAMILY_TOLD_PROMPTLY: f64 = 0.7;
pub(crate) const FAMILY_TOLD_LATE: f64 = 0.2;
/// A dispensation approved by a manager (the rest record why approval was not possible).
pub(crate) const DISPENSATION_APPROVED: f64 = 0.85;
/// Information shared with partners when a referral is made.
pub(crate) const INFORMATION_SHARED_ON_REFERRAL: f64 = 0.4;
/// Consent to early help given when asked (the rest refuse and early help does not start).
pub(crate) const EARLY_HELP_CONSENT_GIVEN: f64 = 0.88;
/// A family withdraws consent part way through early help.
pub(crate) const EARLY_HELP_CONSENT_WITHDRAWN: f64 = 0.06;
/// Consent to a social-work assessment given when asked.
pub(crate) const ASSESSMENT_CONSENT_GIVEN: f64 = 0.9;
/// Consent to step down from a social worker to targeted support given.
pub(crate) const STEP_DOWN_CONSENT_GIVEN: f64 = 0.85;

// --- The front door's decisions -----------------------------------------------------------

/// What the front door decides, in `domain::record::ReferralDecision`'s order: no further
/// action, advice and signposting, early help, targeted early help, child in need assessment,
/// strategy discussion, emergency protection. One row per need: the front door mostly gets it
/// right, and sometimes does not.
pub(crate) fn decision_weights(need: Need, exploitation: bool) -> [u32; 7] {
    let mut w = match need {
        Need::Universal => [72, 25, 3, 0, 0, 0, 0],
        Need::EarlyHelp => [20, 15, 55, 8, 2, 0, 0],
        Need::Targeted => [8, 5, 20, 52, 15, 0, 0],
        Need::Section17 => [5, 2, 8, 12, 65, 8, 0],
        Need::Protection => [0, 0, 0, 3, 17, 72, 8],
    };
    // Older children being exploited are too often judged not to meet the threshold (000).
    if exploitation {
        w[0] += 12;
        w[1] += 6;
    }
    w
}

/// A referral decided within one working day (North Yorkshire screens all within 24 hours;
/// statutory guidance expects a working day).
pub(crate) const DECIDED_WITHIN_A_WORKING_DAY: f64 = 0.82;
/// The decision records that the referrer was told; or they are told by a later record,
/// promptly or late; or (the remainder) never.
pub(crate) const REFERRER_TOLD_IN_DECISION: f64 = 0.55;
pub(crate) const REFERRER_TOLD_PROMPTLY: f64 = 0.2;
pub(crate) const REFERRER_TOLD_LATE: f64 = 0.1;
/// A case closed after a decision of no further action or advice.
pub(crate) const CLOSED_AFTER_NO_ACTION: f64 = 0.7;

// --- Assessments ----------------------------------------------------------------------------

/// A decided level one allowed level above or below what the catalogue suggests (the
/// professional decides; the record keeps both).
pub(crate) const DECIDED_ABOVE_SUGGESTION: f64 = 0.1;
pub(crate) const DECIDED_BELOW_SUGGESTION: f64 = 0.16;
/// For exploited older children, judged below the suggestion far more often (000).
pub(crate) const DECIDED_BELOW_EXPLOITATION: f64 = 0.35;
/// The child seen during a social-work assessment.
pub(crate) const CHILD_SEEN: f64 = 0.93;
/// A single assessment completed within 45 working days.
pub(crate) const ASSESSMENT_WITHIN_45_DAYS: f64 = 0.85;

/// The child's voice in a conversation, by kind: with the child always; otherwise often
/// missing, as inspections keep finding.
pub(crate) const VOICE_WITH_FAMILY: f64 = 0.55;
pub(crate) const VOICE_BETWEEN_PRACTITIONERS: f64 = 0.35;
pub(crate) const VOICE_CONSULTATION: f64 = 0.3;
pub(crate) const VOICE_TEAM_AROUND_FAMILY: f64 = 0.65;
/// Of recorded voices, those that only say why it was not captured.
pub(crate) const VOICE_NOT_CAPTURED: f64 = 0.1;
/// A conversation recorded days after it happened (after records of later events).
pub(crate) const CONVERSATION_RECORDED_LATE: f64 = 0.08;

// --- Tiers, plans and services ------------------------------------------------------------

/// A step whose record says the family was told; the rest are followed by a
/// `family_informed` (most) or never (a few).
pub(crate) const STEP_FAMILY_INFORMED: f64 = 0.85;
pub(crate) const STEP_FAMILY_TOLD_AFTER: f64 = 0.7;
/// Early help that meets the need (the rest is not working and is stepped up).
pub(crate) const EARLY_HELP_WORKS: f64 = 0.8;
/// Plan reviews held after their due date.
pub(crate) const REVIEW_LATE: f64 = 0.15;
/// A single assessment's outcomes: a child in need plan, a strategy discussion, a step down
/// to early help, or (the rest) no further action.
pub(crate) const CIN_PLAN: f64 = 0.55;
pub(crate) const CIN_TO_STRATEGY: f64 = 0.1;
pub(crate) const CIN_TO_EARLY_HELP: f64 = 0.25;

// --- Child protection -----------------------------------------------------------------------

/// A strategy discussion decides on a section 47 enquiry, immediate protection, or (the
/// rest) no enquiry.
pub(crate) const STRATEGY_SECTION_47: f64 = 0.78;
pub(crate) const STRATEGY_IMMEDIATE: f64 = 0.05;
/// An enquiry concludes that a conference is needed, harm is substantiated without one, or
/// (the rest) the concern is not substantiated.
pub(crate) const ENQUIRY_CONFERENCE: f64 = 0.45;
pub(crate) const ENQUIRY_SUBSTANTIATED: f64 = 0.2;
/// An initial conference within 15 working days of the strategy discussion.
pub(crate) const CONFERENCE_WITHIN_15_DAYS: f64 = 0.77;
/// An initial conference that starts a plan.
pub(crate) const CONFERENCE_STARTS_PLAN: f64 = 0.88;
/// A review conference that ends the plan (the rest continue it).
pub(crate) const REVIEW_ENDS_PLAN: f64 = 0.4;
/// Information withheld from the family during a police investigation.
pub(crate) const INFORMATION_WITHHELD: f64 = 0.3;

// --- Disagreement, corrections, returns -----------------------------------------------------

/// A referrer disputes a decision of no further action or advice when the child has more
/// than universal need, or otherwise.
pub(crate) const DISPUTE_LOW_DECISION: f64 = 0.18;
pub(crate) const DISPUTE_OTHERWISE: f64 = 0.02;
/// Escalations: to stage 2, then on to 3, then to 4.
pub(crate) const ESCALATE_TO_2: f64 = 0.45;
pub(crate) const ESCALATE_TO_3: f64 = 0.25;
pub(crate) const ESCALATE_TO_4: f64 = 0.2;
/// A disagreement resolved (the rest stay open); how.
pub(crate) const DISAGREEMENT_RESOLVED: f64 = 0.85;
pub(crate) const DISAGREEMENT_CHANGED: f64 = 0.35;
pub(crate) const DISAGREEMENT_WITHDRAWN: f64 = 0.15;

/// A record put right with corrected data; a record retracted (entered on the wrong child).
pub(crate) const CORRECTED: f64 = 0.04;
pub(crate) const RETRACTED: f64 = 0.01;
/// A child referred again after the case closed, within the year.
pub(crate) const REFERRED_AGAIN: f64 = 0.3;

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn pick_follows_the_weights_and_copes_with_edge_cases() {
        let mut rng = StdRng::seed_from_u64(1);
        let items = [("a", 1), ("b", 3), ("c", 0)];
        let b = (0..4000)
            .filter(|_| pick(&mut rng, &items) == Some(&"b"))
            .count();
        assert!((2700..3300).contains(&b), "{b}");
        assert!((0..100).all(|_| pick(&mut rng, &items) != Some(&"c")));
        assert_eq!(pick::<&str>(&mut rng, &[]), None);
        assert_eq!(pick(&mut rng, &[("z", 0)]), Some(&"z"));
    }
}
