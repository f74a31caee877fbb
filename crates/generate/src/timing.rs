//! When things happen: office hours on working days for most work, any hour for the police,
//! and the clocks the inspection reads (a referral decided within one working day or not).
//!
//! Working days come from `domain::calendar`, the same calendar the obligations are counted
//! on, so a decision generated "within a working day" is within it by the domain's own reckoning.
//! Times are UTC, as the domain keeps them.
//!
//! Also when each record was written up ([`recorded_times`]): most within hours of what they
//! describe, a tail days later, some agencies slower than others, as a council's record
//! really fills. The generator hands these to the store as history, as an import would.

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

/// How promptly an agency's practitioners write things up.
struct Promptness {
    /// Half the prompt records are written within this many minutes.
    median_minutes: i64,
    /// The share written up a day or more later.
    late: f64,
    /// The latest a late record is written up, in days.
    late_days: u64,
}

/// By the kind of agency (`police` in `police:norfolk`): the front door records as it
/// decides; schools the same day; health between clinics; the police after a shift, and
/// their late tail is the longest.
fn promptness(agency: &str) -> Promptness {
    let (median_minutes, late, late_days) = match agency.split(':').next().unwrap_or_default() {
        "front_door" => (40, 0.02, 4),
        "school" => (150, 0.06, 10),
        "health" => (300, 0.10, 21),
        "police" => (540, 0.16, 28),
        _ => (240, 0.08, 14),
    };
    Promptness {
        median_minutes,
        late,
        late_days,
    }
}

/// How long after it happened one of `agency`'s records is written up.
pub(crate) fn recording_delay(rng: &mut impl Rng, agency: &str) -> Duration {
    let p = promptness(agency);
    if rng.random_bool(p.late) {
        Duration::days(rng.random_range(1..=p.late_days as i64))
            + Duration::minutes(rng.random_range(0..24 * 60))
    } else {
        // Uniform up to twice the median: half within it, all within the day.
        Duration::minutes(rng.random_range(2..=2 * p.median_minutes))
    }
}

/// When each of a stream's events (`(occurred_at, agency)`, in stream order) was recorded:
/// `occurred_at` plus its agency's delay, within three bounds. Never later than the next
/// event's `recorded_at` (the stream is the order things were written down, so a record
/// written up late was written before the next one); never earlier than the event before it
/// (the store's rule: "recorded by then" is a prefix of the stream) nor than what it records;
/// and never after `latest` (the generator does not read the clock, so the end of the
/// generated year is "now").
pub(crate) fn recorded_times(
    rng: &mut impl Rng,
    events: &[(DateTime<Utc>, &str)],
    latest: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = events
        .iter()
        .map(|(occurred, agency)| (*occurred + recording_delay(rng, agency)).min(latest))
        .collect();
    let mut next: Option<DateTime<Utc>> = None;
    for (t, (occurred, _)) in times.iter_mut().zip(events).rev() {
        if let Some(n) = next {
            *t = (*t).min(n).max(*occurred);
        }
        next = Some(*t);
    }
    let mut last: Option<DateTime<Utc>> = None;
    for t in &mut times {
        if let Some(before) = last {
            *t = (*t).max(before);
        }
        last = Some(*t);
    }
    times
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

    /// The generated council's recording delays look like a real council's: most records
    /// written up within a day, a tail beyond it, the police slower than the front door,
    /// and every stream's `recorded_at` in order, after what it records and not after the
    /// generated year.
    #[test]
    fn a_generated_council_records_most_things_within_a_day_and_some_late() {
        let framework =
            domain::framework::Framework::by_name("norfolk").unwrap_or_else(|e| panic!("{e}"));
        let options = crate::Options::new(400, 7, framework);
        let latest = options.period().1;
        let mut all = Vec::new();
        let mut by_kind: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
        for child in crate::journeys(&options) {
            let child = child.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(child.recorded_at.len(), child.events.len());
            for (i, (e, at)) in child.events.iter().zip(&child.recorded_at).enumerate() {
                assert!(
                    *at >= e.occurred_at,
                    "recorded before it happened: {e:?} at {at}"
                );
                assert!(*at <= latest, "recorded after the generated year: {at}");
                if i > 0 {
                    assert!(
                        *at >= child.recorded_at[i - 1],
                        "recorded_at went backwards in {}",
                        child.child_id
                    );
                }
                let minutes = (*at - e.occurred_at).num_minutes();
                all.push(minutes);
                let kind = e.agency.split(':').next().unwrap_or_default().to_owned();
                by_kind.entry(kind).or_default().push(minutes);
            }
        }
        let median = |v: &mut Vec<i64>| {
            v.sort_unstable();
            v[v.len() / 2]
        };
        let day = 24 * 60;
        if std::env::var_os("TEST_LOG").is_some() {
            for (kind, v) in &mut by_kind {
                let late = v.iter().filter(|m| **m > day).count();
                eprintln!(
                    "{kind}: {} records, median {} min, {late} over a day",
                    v.len(),
                    median(v)
                );
            }
        }
        assert!(
            median(&mut all) < day,
            "median {} minutes",
            median(&mut all)
        );
        let late = all.iter().filter(|m| **m > day).count() as f64 / all.len() as f64;
        assert!(
            (0.02..0.25).contains(&late),
            "{late:.3} of records over a day late"
        );
        assert!(all.iter().any(|m| *m > 7 * day), "no record a week late");
        let police = median(
            by_kind
                .get_mut("police")
                .unwrap_or_else(|| panic!("no police records")),
        );
        let front_door = median(
            by_kind
                .get_mut("front_door")
                .unwrap_or_else(|| panic!("no front door records")),
        );
        assert!(
            police > front_door,
            "police {police} min, front door {front_door} min"
        );
    }
}
