//! Words for codes: record types, field names, statutory bases, census referral sources,
//! obligation kinds, and how times and rates are written on a page.
//!
//! What it deliberately does not do: translate free text or guess at codes it does not know.
//! An unknown code is shown as it was recorded (made readable, never dropped), because an
//! older record or a newer census list must still be legible.

use chrono::{DateTime, Utc};

/// `referral_made` → "Referral made"; `section_47_enquiry_started` → "Section 47 enquiry
/// started". Words that are acronyms are written as such (`nhs_number` → "NHS number").
pub fn humanise(code: &str) -> String {
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
pub fn record_type(code: &str, retracts: bool) -> String {
    match code {
        "record_corrected" if retracts => "Record retracted".to_owned(),
        _ => humanise(code),
    }
}

/// "Section 17 (child in need)" for `section_17`.
pub fn statutory_basis(code: &str) -> String {
    match code {
        "none" => "no statutory basis".to_owned(),
        "section_17" => "section 17 (child in need)".to_owned(),
        "section_47" => "section 47 (significant harm)".to_owned(),
        other => humanise(other),
    }
}

/// The Children in Need census referral source (`domain::codes::ReferralSource`) in words,
/// as the census guide names them.
pub fn referral_source(code: &str) -> String {
    let words = match code {
        "1A" => "Individual: family member, relative or carer",
        "1B" => "Individual: acquaintance",
        "1C" => "Individual: self",
        "1D" => "Individual: other",
        "2A" => "Schools",
        "2B" => "Education services",
        "3A" => "Health: GP",
        "3B" => "Health: health visitor",
        "3C" => "Health: school nurse",
        "3D" => "Health: other primary health",
        "3E" => "Health: A&E",
        "3F" => "Health: other",
        "4" => "Housing",
        "5A" => "LA: social care",
        "5B" => "LA: other internal",
        "5C" => "LA: external",
        "5D" => "LA: early help",
        "6" => "Police",
        "7" => "Other legal agency",
        "8" => "Other",
        "9" => "Anonymous",
        "10" => "Unknown",
        "not_recorded" => return "Source not recorded".to_owned(),
        other => return humanise(other),
    };
    format!("{code} {words}")
}

/// What an obligation kind asks for.
pub fn obligation_kind(code: &str) -> String {
    match code {
        "decide_referral" => "Decide the referral".to_owned(),
        "inform_referrer" => "Tell the referrer the decision".to_owned(),
        "inform_family" => "Tell the family".to_owned(),
        "review_plan" => "Review the plan".to_owned(),
        other => humanise(other),
    }
}

/// A rate (0 to 1) as a percentage to one place; a dash when there is no rate.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.1}%", r * 100.0),
        _ => "–".to_owned(),
    }
}

/// `n` of `d` as a percentage; a dash when `d` is 0.
pub fn share(n: u64, d: u64) -> String {
    percent((d > 0).then(|| n as f64 / d as f64))
}

/// An optional measure (days, hours) to two places at most; a dash when absent.
pub fn measure(value: Option<f64>) -> String {
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
pub struct TimeText {
    /// RFC 3339, for the `datetime` attribute.
    pub iso: String,
    /// "20 Nov 2026, 10:15 UTC".
    pub human: String,
}

impl TimeText {
    pub fn new(at: DateTime<Utc>) -> TimeText {
        TimeText {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            human: at.format("%-d %b %Y, %H:%M UTC").to_string(),
        }
    }
}

/// A date as a page shows it: "1 Jan 2026".
pub fn date(day: chrono::NaiveDate) -> String {
    day.format("%-d %b %Y").to_string()
}

/// A day as a chart's axis shows it: "20 Nov 2026".
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

/// How long after it happened a record was recorded, when that was a day or more: "recorded
/// 3 days later".
pub fn recording_delay(occurred: DateTime<Utc>, recorded: DateTime<Utc>) -> Option<String> {
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
        assert_eq!(referral_source("2A"), "2A Schools");
        assert_eq!(referral_source("6"), "6 Police");
        assert_eq!(referral_source("not_recorded"), "Source not recorded");
        assert_eq!(referral_source("99Z"), "99Z");
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
