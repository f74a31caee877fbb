//! When things happen: office hours on working days for most work, any hour for the police,
//! and the clocks the inspection reads (a referral decided within one working day or not).
//!
//! Working days come from `domain::calendar`, the same calendar the obligations are counted
//! on, so a decision generated "within a working day" is within it by the domain's own reckoning.
//! Times are UTC, as the domain keeps them.

use chrono::{DateTime, Days, Duration, NaiveDate, Timelike, Utc};
use domain::calendar;
use rand::Rng;

/// A time on `date` between 08:30 and 17:30, on a five-minute step.
pub(crate) fn office_hours(rng: &mut impl Rng, date: NaiveDate) -> DateTime<Utc> {
    let minutes = 8 * 60 + 30 + 5 * rng.random_range(0..108i64);
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc() + Duration::minutes(minutes))
        .unwrap_or_default()
}

/// Any time on `date` (the police and the out-of-hours service work nights).
pub(crate) fn any_hour(rng: &mut impl Rng, date: NaiveDate) -> DateTime<Utc> {
    let minutes = 5 * rng.random_range(0..288i64);
    date.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc() + Duration::minutes(minutes))
        .unwrap_or_default()
}

/// Office hours on a working day `min..=max` calendar days before `t`, but not before
/// `floor`: when a record written up late says the thing happened.
pub(crate) fn days_earlier(
    rng: &mut impl Rng,
    t: DateTime<Utc>,
    min: u64,
    max: u64,
    floor: DateTime<Utc>,
) -> DateTime<Utc> {
    let days = rng.random_range(min..=max.max(min));
    let mut date = t.date_naive() - Days::new(days);
    while !calendar::is_working_day(date) {
        date = date - Days::new(1);
    }
    let at = office_hours(rng, date);
    if at > floor {
        at
    } else {
        floor + Duration::minutes(rng.random_range(1..=30))
    }
}

/// The first working day on or after `date`.
pub(crate) fn working_day(date: NaiveDate) -> NaiveDate {
    calendar::add_working_days(date, 0)
}

/// Office hours on a working day `min..=max` calendar days after `t`, and after `t`.
pub(crate) fn days_later(
    rng: &mut impl Rng,
    t: DateTime<Utc>,
    min: u64,
    max: u64,
) -> DateTime<Utc> {
    let days = rng.random_range(min..=max.max(min));
    let date = working_day(t.date_naive() + Days::new(days));
    let candidate = office_hours(rng, date);
    after(rng, t, candidate)
}

/// Office hours `min..=max` working days after `t`'s day, and after `t`.
pub(crate) fn working_days_later(
    rng: &mut impl Rng,
    t: DateTime<Utc>,
    min: u32,
    max: u32,
) -> DateTime<Utc> {
    let n = rng.random_range(min..=max.max(min));
    let date = calendar::add_working_days(t.date_naive(), n);
    let candidate = office_hours(rng, date);
    after(rng, t, candidate)
}

/// A few minutes to a few hours after `t`: the next record of the same sitting.
pub(crate) fn minutes_later(
    rng: &mut impl Rng,
    t: DateTime<Utc>,
    min: i64,
    max: i64,
) -> DateTime<Utc> {
    t + Duration::minutes(rng.random_range(min..=max.max(min)))
}

/// A few minutes to a few hours after `t`, moved to the next office morning when that
/// falls outside office hours or on a day off.
pub(crate) fn office_minutes_later(
    rng: &mut impl Rng,
    t: DateTime<Utc>,
    min: i64,
    max: i64,
) -> DateTime<Utc> {
    let next = minutes_later(rng, t, min, max);
    let date = next.date_naive();
    if calendar::is_working_day(date) && (8..18).contains(&next.hour()) {
        return next;
    }
    let day = if calendar::is_working_day(date) && next.hour() < 8 {
        date
    } else {
        calendar::add_working_days(date + Days::new(1), 0)
    };
    let candidate = office_hours(rng, day);
    after(rng, next, candidate)
}

/// `candidate`, unless it is not after `t`: then a little after `t`.
fn after(rng: &mut impl Rng, t: DateTime<Utc>, candidate: DateTime<Utc>) -> DateTime<Utc> {
    if candidate > t {
        candidate
    } else {
        t + Duration::minutes(rng.random_range(10..=90))
    }
}

/// When the front door decides a referral made at `made`: within one working day (the same
/// afternoon, or the next working day) or late (two to six working days on).
pub(crate) fn decision_time(
    rng: &mut impl Rng,
    made: DateTime<Utc>,
    on_time: bool,
) -> DateTime<Utc> {
    let date = made.date_naive();
    if on_time {
        if calendar::is_working_day(date) && (8..15).contains(&made.hour()) {
            return minutes_later(rng, made, 30, 150);
        }
        if calendar::is_working_day(date) && made.hour() < 8 {
            // Taken overnight: decided when the office opens.
            let candidate = office_hours(rng, date);
            return after(rng, made, candidate);
        }
        let next = calendar::add_working_days(date + Days::new(1), 0);
        let candidate = office_hours(rng, next);
        return after(rng, made, candidate);
    }
    working_days_later(rng, made, 2, 6)
}

/// Whether `decided` met the one-working-day clock started at `made`, as the domain counts.
#[cfg(test)]
pub(crate) fn within_a_working_day(made: DateTime<Utc>, decided: DateTime<Utc>) -> bool {
    decided <= calendar::end_of_next_working_day(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn decisions_on_time_and_late_are_so_by_the_domains_clock() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut t = Utc
            .with_ymd_and_hms(2025, 11, 1, 7, 0, 0)
            .single()
            .unwrap_or_default();
        for _ in 0..2000 {
            t += Duration::minutes(rng.random_range(60..3000));
            let on = decision_time(&mut rng, t, true);
            let late = decision_time(&mut rng, t, false);
            assert!(on > t && late > t);
            assert!(within_a_working_day(t, on), "{t} -> {on}");
            assert!(!within_a_working_day(t, late), "{t} -> {late}");
        }
    }

    #[test]
    fn later_times_fall_on_working_days_in_office_hours() {
        let mut rng = StdRng::seed_from_u64(4);
        let t = Utc
            .with_ymd_and_hms(2025, 12, 24, 16, 0, 0)
            .single()
            .unwrap_or_default();
        for _ in 0..500 {
            let l = days_later(&mut rng, t, 0, 10);
            assert!(l > t);
            let w = working_days_later(&mut rng, t, 1, 10);
            assert!(calendar::is_working_day(w.date_naive()), "{w}");
            assert!((8..18).contains(&w.hour()), "{w}");
        }
    }
}
