//! Which times and dates a record may carry: the ones that make sense for a child's record and
//! that every backend stores and reads back exactly.
//!
//! Two layers. [`instant`] checks an `occurred_at` from the value alone when a request is
//! parsed (a shape error, HTTP 400): it must fall in [`EARLIEST`]..[`LATEST`] and is kept to
//! the microsecond, the finest every backend holds (PostgreSQL's `timestamptz`), so a time
//! reads back exactly as it was acknowledged. [`check_record`] and [`check_registration`] then
//! check each date against the record's own `occurred_at` and the child (a broken rule, HTTP
//! 422): a date of birth no later than the registration, a review date not before the plan,
//! nothing dated before the child's birth unless the child was registered unborn.
//!
//! What this deliberately does not do: read a clock (the "at most 5 minutes ahead" rule is the
//! aggregate's, with the `now` it is handed) or check dates of records already stored, which
//! always fold whatever they say.

use chrono::{DateTime, Days, DurationRound, FixedOffset, Months, NaiveDate, TimeDelta, Utc};

use crate::error::Invalid;
use crate::record::RecordData;
use crate::registration::{ChildDetails, ChildDetailsChanges};
use crate::shapes::Action;

/// The earliest time a record may say something happened: nobody now a child, or their parent
/// as a child, has a record before it.
pub const EARLIEST: &str = "1900-01-01T00:00:00Z";

/// The first time a record may not carry (the future rule refuses far earlier; this bound
/// keeps every time inside what each backend can store).
pub const LATEST: &str = "2200-01-01T00:00:00Z";

/// How far before its registration a child may have been born: 25, the oldest age at which a
/// care leaver is still supported.
pub const OLDEST_YEARS: u32 = 25;

/// How far after the day a record was made a date it sets (a review, an action's due date, an
/// expiry) may lie.
pub const FORWARD_YEARS: u32 = 5;

/// How far before the day a record was made a date it reports (an assessment's start) may lie.
pub const BACKWARD_YEARS: u32 = 2;

/// An unborn child's expected date: at most this many days after registration (a pregnancy),
/// and at most [`OVERDUE_DAYS`] before it.
pub const EXPECTED_AHEAD_DAYS: u64 = 300;
pub const OVERDUE_DAYS: u64 = 60;

fn bound(s: &str) -> DateTime<Utc> {
    // The constants above are valid RFC 3339; a test pins that, so the fallback is never used.
    DateTime::parse_from_rfc3339(s).map_or(DateTime::<Utc>::UNIX_EPOCH, |t| t.with_timezone(&Utc))
}

/// A posted `occurred_at` (or any instant) as kept: in range, in UTC, to the microsecond.
pub fn instant(at: DateTime<FixedOffset>, field: &str) -> Result<DateTime<Utc>, Invalid> {
    let at = at.with_timezone(&Utc);
    if at < bound(EARLIEST) || at >= bound(LATEST) {
        return Err(Invalid::shape(
            field,
            format!(
                "{} is not a time a record can carry: give a time from 1900 on, such as 2026-11-20T10:15:00Z",
                at.to_rfc3339()
            ),
        ));
    }
    // Truncation cannot fail inside the range checked above; keep the value if it ever did.
    Ok(at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at))
}

/// The day of `at` (UTC) and the window around it, for messages and checks.
struct Window {
    from: NaiveDate,
    to: NaiveDate,
}

impl Window {
    fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

fn forward(at: DateTime<Utc>) -> Window {
    let day = at.date_naive();
    Window {
        // A day of slack: a record made just after midnight in the UK is the evening before in UTC.
        from: day.checked_sub_days(Days::new(1)).unwrap_or(day),
        to: day
            .checked_add_months(Months::new(12 * FORWARD_YEARS))
            .unwrap_or(day),
    }
}

fn backward(at: DateTime<Utc>) -> Window {
    let day = at.date_naive();
    Window {
        from: day
            .checked_sub_months(Months::new(12 * BACKWARD_YEARS))
            .unwrap_or(day),
        to: day.checked_add_days(Days::new(1)).unwrap_or(day),
    }
}

fn birth(at: DateTime<Utc>) -> Window {
    let day = at.date_naive();
    Window {
        from: day
            .checked_sub_months(Months::new(12 * OLDEST_YEARS))
            .unwrap_or(day),
        to: day.checked_add_days(Days::new(1)).unwrap_or(day),
    }
}

fn expected(at: DateTime<Utc>) -> Window {
    let day = at.date_naive();
    Window {
        from: day.checked_sub_days(Days::new(OVERDUE_DAYS)).unwrap_or(day),
        to: day
            .checked_add_days(Days::new(EXPECTED_AHEAD_DAYS))
            .unwrap_or(day),
    }
}

fn outside(rule: &str, field: &str, d: NaiveDate, w: &Window) -> Invalid {
    Invalid::rule(
        rule,
        field,
        format!("{d} is outside {} to {}", w.from, w.to),
    )
}

const FORWARD_RULE: &str = "A date a record sets (a review, an action's due date, an expiry) falls on or after the day it was recorded as happening, and within 5 years of it.";
const BACKWARD_RULE: &str = "A date a record reports (when an assessment began) falls on or before the day it was completed, and within 2 years before it.";
const BIRTH_RULE: &str = "A date of birth is on or before the day it was recorded, and within 25 years before it (an unborn child is registered with expected_date_of_birth).";
const EXPECTED_RULE: &str = "An expected date of birth lies within 300 days after the day it was recorded (or up to 60 days before it, for a child not yet born past their due date).";
const BEFORE_BIRTH_RULE: &str = "A record about a child cannot be dated before their birth, unless the child was registered before birth (an unborn child).";

fn check_forward(d: NaiveDate, at: DateTime<Utc>, field: &str) -> Result<(), Invalid> {
    let w = forward(at);
    if w.contains(d) {
        Ok(())
    } else {
        Err(outside(FORWARD_RULE, field, d, &w))
    }
}

fn check_actions(actions: Option<&Vec<Action>>, at: DateTime<Utc>) -> Result<(), Invalid> {
    for (i, a) in actions.into_iter().flatten().enumerate() {
        check_forward(a.due_by, at, &format!("data.actions[{i}].due_by"))?;
    }
    Ok(())
}

fn check_changes(changes: &ChildDetailsChanges, at: DateTime<Utc>) -> Result<(), Invalid> {
    if let Some(d) = changes.date_of_birth {
        let w = birth(at);
        if !w.contains(d) {
            return Err(outside(BIRTH_RULE, "data.changes.date_of_birth", d, &w));
        }
    }
    if let Some(d) = changes.expected_date_of_birth {
        let w = expected(at);
        if !w.contains(d) {
            return Err(outside(
                EXPECTED_RULE,
                "data.changes.expected_date_of_birth",
                d,
                &w,
            ));
        }
    }
    Ok(())
}

/// A registration's dates against its `occurred_at`; errors at `child.…`.
pub fn check_registration(details: &ChildDetails, at: DateTime<Utc>) -> Result<(), Invalid> {
    if let Some(d) = details.date_of_birth() {
        let w = birth(at);
        if !w.contains(d) {
            return Err(outside(BIRTH_RULE, "child.date_of_birth", d, &w));
        }
    }
    if let Some(d) = details.expected_date_of_birth() {
        let w = expected(at);
        if !w.contains(d) {
            return Err(outside(
                EXPECTED_RULE,
                "child.expected_date_of_birth",
                d,
                &w,
            ));
        }
    }
    Ok(())
}

/// What [`check_record`] needs to know of the child.
#[derive(Debug, Clone, Copy)]
pub struct Born {
    /// The date of birth as the record stands, if known.
    pub date_of_birth: Option<NaiveDate>,
    /// Whether the child was registered before birth: records dated before the birth are
    /// then about an unborn child and allowed.
    pub registered_unborn: bool,
}

/// A record's dates against its `occurred_at` (errors at `data.…`), and the record against the
/// child's birth (at `occurred_at`).
pub fn check_record(data: &RecordData, at: DateTime<Utc>, born: Born) -> Result<(), Invalid> {
    if let (Some(dob), false) = (born.date_of_birth, born.registered_unborn) {
        // A day of slack for the UK's offset from UTC.
        let earliest = dob.checked_sub_days(Days::new(1)).unwrap_or(dob);
        if at.date_naive() < earliest {
            return Err(Invalid::rule(
                BEFORE_BIRTH_RULE,
                "occurred_at",
                format!("is before the child's date of birth ({dob})"),
            ));
        }
    }
    match data {
        RecordData::ChildDetailsUpdated(u) => check_changes(&u.changes, at),
        RecordData::ConversationRecorded(c) => check_actions(c.actions.as_ref(), at),
        RecordData::NeedsAssessed(n) => match n.started_on {
            Some(d) if !backward(at).contains(d) => {
                Err(outside(BACKWARD_RULE, "data.started_on", d, &backward(at)))
            }
            _ => Ok(()),
        },
        RecordData::ConsentGiven(c) => match c.expires_on {
            Some(d) => check_forward(d, at, "data.expires_on"),
            None => Ok(()),
        },
        RecordData::InformationWithheld(w) => match w.review_by {
            Some(d) => check_forward(d, at, "data.review_by"),
            None => Ok(()),
        },
        RecordData::PlanStarted(p) => {
            check_forward(p.review_by, at, "data.review_by")?;
            check_actions(p.actions.as_ref(), at)
        }
        RecordData::PlanReviewed(p) => {
            check_forward(p.next_review_by, at, "data.next_review_by")?;
            check_actions(p.actions.as_ref(), at)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// As serde reads a posted time (more lenient than RFC 3339: it takes years below 0).
    fn fixed(s: &str) -> DateTime<FixedOffset> {
        serde_json::from_value(serde_json::json!(s)).unwrap()
    }

    #[test]
    fn bounds_parse() {
        assert_ne!(bound(EARLIEST), DateTime::<Utc>::UNIX_EPOCH);
        assert_ne!(bound(LATEST), DateTime::<Utc>::UNIX_EPOCH);
    }

    #[test]
    fn instants_outside_the_range_are_shape_errors() {
        for bad in [
            "-0001-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            let e = instant(fixed(bad), "occurred_at").unwrap_err();
            assert_eq!(e.kind(), crate::InvalidKind::Shape, "{bad}");
            assert_eq!(e.errors()[0].field, "occurred_at");
            assert!(e.errors()[0].message.contains("2026-11-20T10:15:00Z"));
        }
        assert!(instant(fixed("1900-01-01T00:00:00Z"), "occurred_at").is_ok());
    }

    #[test]
    fn instants_are_kept_to_the_microsecond() {
        let t = instant(fixed("2026-11-20T10:15:00.123456789+01:00"), "occurred_at").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T09:15:00.123456+00:00");
    }

    #[test]
    fn a_date_of_birth_is_not_after_registration_nor_25_years_before() {
        let now = at("2026-11-20T10:00:00Z");
        let w = birth(now);
        assert!(w.contains(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()));
        assert!(w.contains(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()));
        assert!(!w.contains(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()));
        assert!(w.contains(NaiveDate::from_ymd_opt(2001, 11, 20).unwrap()));
        assert!(!w.contains(NaiveDate::from_ymd_opt(2001, 11, 19).unwrap()));
    }

    #[test]
    fn an_expected_date_lies_within_a_pregnancy() {
        let now = at("2026-11-20T10:00:00Z");
        let w = expected(now);
        assert!(w.contains(NaiveDate::from_ymd_opt(2027, 5, 1).unwrap()));
        assert!(!w.contains(NaiveDate::from_ymd_opt(2028, 1, 1).unwrap()));
        assert!(!w.contains(NaiveDate::from_ymd_opt(2026, 8, 1).unwrap()));
    }

    #[test]
    fn forward_dates_are_not_before_the_record_nor_far_after() {
        let now = at("2026-11-20T10:00:00Z");
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(check_forward(d(2026, 11, 19), now, "f").is_ok());
        assert!(check_forward(d(2031, 11, 20), now, "f").is_ok());
        let e = check_forward(d(2026, 11, 18), now, "data.review_by").unwrap_err();
        assert_eq!(e.kind(), crate::InvalidKind::Rule);
        assert_eq!(e.errors()[0].field, "data.review_by");
        assert!(check_forward(d(2031, 11, 21), now, "f").is_err());
        assert!(check_forward(d(-1, 1, 1), now, "f").is_err());
    }

    #[test]
    fn nothing_is_dated_before_birth_unless_registered_unborn() {
        let data = RecordData::CaseReopened(
            serde_json::from_value(serde_json::json!({ "reason": "r" })).unwrap(),
        );
        let dob = NaiveDate::from_ymd_opt(2020, 6, 1);
        let born = Born {
            date_of_birth: dob,
            registered_unborn: false,
        };
        let e = check_record(&data, at("2020-05-01T10:00:00Z"), born).unwrap_err();
        assert_eq!(e.errors()[0].field, "occurred_at");
        assert!(check_record(&data, at("2020-05-31T23:30:00Z"), born).is_ok());
        let unborn = Born {
            registered_unborn: true,
            ..born
        };
        assert!(check_record(&data, at("2020-05-01T10:00:00Z"), unborn).is_ok());
    }
}
