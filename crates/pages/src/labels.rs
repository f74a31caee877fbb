//! Words for codes: record types, field names, statutory bases, census referral sources,
//! obligation kinds, and how times and rates are written on a page.
//!
//! What it deliberately does not do: translate free text or guess at codes it does not know.
//! An unknown code is shown as it was recorded (made readable, never dropped), because an
//! older record or a newer census list must still be legible.

use chrono::{DateTime, NaiveDate, Utc};
use domain::codes::{
    AssessmentFactor, ClosureReason, Disability, Ethnicity, PrimaryNeed, ReferralSource,
};

/// `referral_made` → "Referral made"; `section_47_enquiry_started` → "Section 47 enquiry
/// started". Words that are acronyms are written as such (`nhs_number` → "NHS number").
pub(crate) fn humanise(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for (i, word) in code.split(['_', '-']).filter(|w| !w.is_empty()).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match acronym(word) {
            Some(a) => out.push_str(a),
            None if i == 0 => {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(chars.as_str());
                }
            }
            None => out.push_str(word),
        }
    }
    if out.is_empty() { code.to_owned() } else { out }
}

fn acronym(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_lowercase().as_str() {
        "id" => "ID",
        "nhs" => "NHS",
        "upn" => "UPN",
        "la" => "LA",
        "gp" => "GP",
        "dsl" => "DSL",
        "mash" => "MASH",
        "scas" => "SCAS",
        "cp" => "CP",
        "url" => "URL",
        _ => return None,
    })
}

/// The label of a record type. A `record_corrected` that retracts is a retraction.
pub(crate) fn record_type(code: &str, retracts: bool) -> String {
    match code {
        "record_corrected" if retracts => "Record retracted".to_owned(),
        _ => humanise(code),
    }
}

/// "Section 17 (child in need)" for `section_17`.
pub(crate) fn statutory_basis(code: &str) -> String {
    match code {
        "none" => "no statutory basis".to_owned(),
        "section_17" => "section 17 (child in need)".to_owned(),
        "section_47" => "section 47 (significant harm)".to_owned(),
        other => humanise(other),
    }
}

/// The Children in Need census referral source (`domain::codes::ReferralSource`) in words,
/// with its code: "Schools (2A)".
pub(crate) fn referral_source(code: &str) -> String {
    match code {
        "not_recorded" => "Source not recorded".to_owned(),
        other => census(ReferralSource::label_of(other), other),
    }
}

/// A census code with its label, "White British (WBRI)"; a code not in the list as recorded.
fn census(label: Option<&str>, code: &str) -> String {
    match label {
        Some(label) => format!("{label} ({code})"),
        None => code.to_owned(),
    }
}

/// A census code recorded under the field `field` of a record, with its label: `ethnicity`
/// `WBRI` → "White British (WBRI)", `source` `2A` → "Schools (2A)", `primary_need`,
/// `closure_reason`, `disability` and `factors` likewise. `None` for any other field, or a
/// code the field's census list does not hold (it is then shown as recorded).
pub(crate) fn census_code(field: &str, code: &str) -> Option<String> {
    let label = match field {
        "ethnicity" => Ethnicity::label_of(code),
        "disability" => Disability::label_of(code),
        "source" => ReferralSource::label_of(code),
        "factors" => AssessmentFactor::label_of(code),
        "primary_need" => PrimaryNeed::label_of(code),
        "closure_reason" => ClosureReason::label_of(code),
        _ => None,
    }?;
    Some(census(Some(label), code))
}

/// A value of a closed list written in snake case (`physical_abuse`, `no_further_action`,
/// `child_in_need_assessment`) in words; `None` for anything else (free text stays as
/// recorded).
pub(crate) fn enum_word(value: &str) -> Option<String> {
    let snake = value.contains('_')
        && !value.starts_with('_')
        && !value.ends_with('_')
        && !value.contains("__")
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    snake.then(|| humanise(value))
}

/// The short forms of the report's pseudonyms, in the same order. A pseudonym the API makes
/// is `c-` and 32 hex digits (an HMAC of the child id); a page shows its first
/// [`SHORT_PSEUDONYM`] hex digits (`c-1a2b3c4d`), lengthened only for a child whose short form
/// would be the start of another child's pseudonym, so no two children ever share a short
/// form, and each is the start of the full pseudonym in the JSON and CSV. A pseudonym of any
/// other shape is shown whole.
pub(crate) fn short_pseudonyms(names: &[&str]) -> Vec<String> {
    let chars: Vec<Vec<char>> = names.iter().map(|n| n.chars().collect()).collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|a, b| chars[*a].cmp(&chars[*b]));
    let common = |a: &[char], b: &[char]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let mut out = vec![String::new(); names.len()];
    for (k, &i) in order.iter().enumerate() {
        let name = &chars[i];
        // Names sharing a prefix sit together when sorted, so if any other name starts with a
        // prefix, a neighbour does: the prefix one longer than both common parts is unique.
        let mut len = shortest(name);
        if k > 0 {
            len = len.max(common(name, &chars[order[k - 1]]) + 1);
        }
        if let Some(&next) = order.get(k + 1) {
            len = len.max(common(name, &chars[next]) + 1);
        }
        out[i] = name[..len.min(name.len())].iter().collect();
    }
    out
}

/// How many hex digits of a pseudonym a page shows at least.
pub(crate) const SHORT_PSEUDONYM: usize = 8;

/// The length of the shortest form of `name`: its prefix up to the last `-` and
/// [`SHORT_PSEUDONYM`] hex digits, if what follows the `-` is a longer run of hex digits;
/// else the whole name.
fn shortest(name: &[char]) -> usize {
    let body = name
        .iter()
        .rposition(|c| *c == '-')
        .map_or(0, |dash| dash + 1);
    let hex = &name[body..];
    if hex.len() > SHORT_PSEUDONYM && hex.iter().all(char::is_ascii_hexdigit) {
        body + SHORT_PSEUDONYM
    } else {
        name.len()
    }
}

/// What an obligation kind asks for.
pub(crate) fn obligation_kind(code: &str) -> String {
    match code {
        "decide_referral" => "Decide the referral".to_owned(),
        "inform_referrer" => "Tell the referrer the decision".to_owned(),
        "inform_family" => "Tell the family".to_owned(),
        "review_plan" => "Review the plan".to_owned(),
        other => humanise(other),
    }
}

/// A rate (0 to 1) as a percentage to one place; a dash when there is no rate.
pub(crate) fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.1}%", r * 100.0),
        _ => "–".to_owned(),
    }
}

/// `n` of `d` as a percentage; a dash when `d` is 0.
pub(crate) fn share(n: u64, d: u64) -> String {
    percent((d > 0).then(|| n as f64 / d as f64))
}

/// An optional measure (days, hours) to two places at most; a dash when absent.
pub(crate) fn measure(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        _ => "–".to_owned(),
    }
}

/// A time as a person reads it and as a machine does, for `<time datetime="…">`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TimeText {
    /// RFC 3339, for the `datetime` attribute.
    pub iso: String,
    /// "20 Nov 2026, 10:15 UTC".
    pub human: String,
}

impl TimeText {
    pub(crate) fn new(at: DateTime<Utc>) -> TimeText {
        TimeText {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            human: at.format("%-d %b %Y, %H:%M UTC").to_string(),
        }
    }
}

/// A date or a time recorded in a record's data, written as every other date and time on the
/// page: `2026-11-20` → "20 Nov 2026", `2026-11-20T10:15:00Z` (any offset) → "20 Nov 2026,
/// 10:15 UTC". `None` for anything else, which stays as recorded.
pub(crate) fn recorded_time(value: &str) -> Option<TimeText> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        // Only the canonical spelling: "2026-1-2" is text, not a date.
        return (day.format("%Y-%m-%d").to_string() == value).then(|| TimeText {
            iso: value.to_owned(),
            human: date(day),
        });
    }
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|at| TimeText::new(at.with_timezone(&Utc)))
}

/// A date as a page shows it: "1 Jan 2026".
pub(crate) fn date(day: NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// A time as a chart's axis shows it, the page saying the times are UTC: "20 Nov 2026, 10:15".
pub(crate) fn clock(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M").to_string()
}

/// A day as a chart's axis shows it: "20 Nov 2026".
pub(crate) fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// How long after it happened a record was recorded, when that was a day or more: "recorded
/// 3 days later".
pub(crate) fn recording_delay(occurred: DateTime<Utc>, recorded: DateTime<Utc>) -> Option<String> {
    let days = (recorded - occurred).num_days();
    match days {
        ..=0 => None,
        1 => Some("recorded 1 day after it happened".to_owned()),
        n => Some(format!("recorded {n} days after it happened")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(humanise("referral_made"), "Referral made");
        assert_eq!(humanise("nhs_number"), "NHS number");
        assert_eq!(humanise("corrects_event_id"), "Corrects event ID");
        assert_eq!(humanise("_"), "_");
        assert_eq!(record_type("record_corrected", true), "Record retracted");
        assert_eq!(referral_source("2A"), "Schools (2A)");
        assert_eq!(referral_source("6"), "Police (6)");
        assert_eq!(referral_source("not_recorded"), "Source not recorded");
        assert_eq!(referral_source("99Z"), "99Z");
        assert_eq!(
            census_code("ethnicity", "WBRI").as_deref(),
            Some("White British (WBRI)")
        );
        assert_eq!(
            census_code("primary_need", "N1").as_deref(),
            Some("Abuse or neglect (N1)")
        );
        assert_eq!(
            census_code("closure_reason", "RC8").as_deref(),
            Some("Case closed after assessment, no further action (RC8)")
        );
        assert_eq!(
            census_code("disability", "AUT").as_deref(),
            Some("Autism or Asperger syndrome (AUT)")
        );
        assert_eq!(census_code("ethnicity", "XXXX"), None);
        assert_eq!(census_code("concerns", "WBRI"), None);
        assert_eq!(
            enum_word("physical_abuse").as_deref(),
            Some("Physical abuse")
        );
        assert_eq!(enum_word("section_47").as_deref(), Some("Section 47"));
        assert_eq!(enum_word("Worried about_him"), None);
        assert_eq!(enum_word("neglect"), None);
        assert_eq!(enum_word("police:norfolk"), None);
    }

    #[test]
    fn pseudonyms_are_short_and_never_collide() {
        let a = "c-1a2b3c4d5e6f70819a2b3c4d5e6f7081";
        let b = "c-99999999aaaaaaaabbbbbbbbcccccccc";
        // Shares its first 11 hex digits with `d`.
        let c = "c-0123456789a0000000000000000000ff";
        let d = "c-0123456789a1111111111111111111ff";
        let short = short_pseudonyms(&[a, b, c, d, "P-1a2b", "withheld-1", "same~2"]);
        assert_eq!(
            short,
            [
                "c-1a2b3c4d",
                "c-99999999",
                "c-0123456789a0",
                "c-0123456789a1",
                "P-1a2b",
                "withheld-1",
                "same~2",
            ]
        );
        // A short form that is another child's whole pseudonym is lengthened too.
        let e = "c-1a2b3c4d";
        assert_eq!(short_pseudonyms(&[a, e]), ["c-1a2b3c4d5", "c-1a2b3c4d"]);
        assert_eq!(short_pseudonyms(&[]), Vec::<String>::new());
    }

    /// Many children, with pseudonyms made to share long prefixes: the short forms are all
    /// different, each is the start of its pseudonym, and none is longer than it need be.
    #[test]
    fn short_pseudonyms_are_unique_over_many_children() {
        let mut names = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Every 50th shares 10 hex digits with the one before it.
            let hex = if i % 50 == 1 {
                let prev: &String = names.last().expect("a name before");
                format!("{}{:022x}", &prev[2..12], u128::from(x))
            } else {
                format!("{:016x}{:016x}", x, x.rotate_left(29))
            };
            names.push(format!("c-{hex}"));
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let short = short_pseudonyms(&refs);
        let distinct: std::collections::HashSet<&String> = short.iter().collect();
        assert_eq!(distinct.len(), names.len());
        for (s, n) in short.iter().zip(&names) {
            assert!(n.starts_with(s.as_str()));
            assert!(s.len() >= 2 + SHORT_PSEUDONYM);
            // Not one character longer than needed: the prefix one shorter is shared.
            if s.len() > 2 + SHORT_PSEUDONYM {
                let shorter = &s[..s.len() - 1];
                assert!(names.iter().filter(|m| m.starts_with(shorter)).count() > 1);
            }
        }
        assert!(short.iter().any(|s| s.len() > 2 + SHORT_PSEUDONYM));
    }

    #[test]
    fn recorded_dates_and_times_read_as_the_page_writes_them() {
        let d = recorded_time("2026-11-20").expect("a date");
        assert_eq!(
            (d.iso.as_str(), d.human.as_str()),
            ("2026-11-20", "20 Nov 2026")
        );
        let t = recorded_time("2026-11-20T11:15:00+01:00").expect("a time");
        assert_eq!(t.human, "20 Nov 2026, 10:15 UTC");
        assert_eq!(t.iso, "2026-11-20T10:15:00Z");
        assert_eq!(recorded_time("2026-1-2"), None);
        assert_eq!(recorded_time("soon"), None);
    }

    #[test]
    fn rates_are_percentages_and_missing_ones_a_dash() {
        assert_eq!(percent(Some(0.3333)), "33.3%");
        assert_eq!(percent(Some(1.0)), "100.0%");
        assert_eq!(percent(None), "–");
        assert_eq!(share(1, 0), "–");
        assert_eq!(share(1, 4), "25.0%");
        assert_eq!(measure(Some(14.0)), "14");
        assert_eq!(measure(Some(1.25)), "1.25");
        assert_eq!(measure(None), "–");
    }
}
