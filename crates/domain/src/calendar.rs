//! Working days in England: every "within N working days" clock (a referral decided within one
//! working day, an assessment within 45, an initial conference within 15 of the strategy
//! discussion) counts on this calendar.
//!
//! Bank holidays in England and Wales from 2015 to 2030 are a table, not a rule, so that the
//! one-off days (VE Day 2020, the Platinum Jubilee and the state funeral in 2022, the Coronation
//! in 2023) and substitute days are plain to audit. Outside the table only weekends are known:
//! [`covers`] says whether a date is inside it, and the table must be extended before 2031.
//! Times are UTC: a clock that ends "at the end of a working day" ends at UTC midnight, which in
//! British Summer Time is 01:00 the next morning, never earlier than the local end of day.
//!
//! This module reads no clock; callers hand in the time.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};

/// England and Wales bank holidays, 2015-2030 (year, month, day, name).
const BANK_HOLIDAYS: &[(i32, u32, u32, &str)] = &[
    (2015, 1, 1, "New Year's Day"),
    (2015, 4, 3, "Good Friday"),
    (2015, 4, 6, "Easter Monday"),
    (2015, 5, 4, "Early May bank holiday"),
    (2015, 5, 25, "Spring bank holiday"),
    (2015, 8, 31, "Summer bank holiday"),
    (2015, 12, 25, "Christmas Day"),
    (2015, 12, 28, "Boxing Day (substitute day)"),
    (2016, 1, 1, "New Year's Day"),
    (2016, 3, 25, "Good Friday"),
    (2016, 3, 28, "Easter Monday"),
    (2016, 5, 2, "Early May bank holiday"),
    (2016, 5, 30, "Spring bank holiday"),
    (2016, 8, 29, "Summer bank holiday"),
    (2016, 12, 26, "Boxing Day"),
    (2016, 12, 27, "Christmas Day (substitute day)"),
    (2017, 1, 2, "New Year's Day"),
    (2017, 4, 14, "Good Friday"),
    (2017, 4, 17, "Easter Monday"),
    (2017, 5, 1, "Early May bank holiday"),
    (2017, 5, 29, "Spring bank holiday"),
    (2017, 8, 28, "Summer bank holiday"),
    (2017, 12, 25, "Christmas Day"),
    (2017, 12, 26, "Boxing Day"),
    (2018, 1, 1, "New Year's Day"),
    (2018, 3, 30, "Good Friday"),
    (2018, 4, 2, "Easter Monday"),
    (2018, 5, 7, "Early May bank holiday"),
    (2018, 5, 28, "Spring bank holiday"),
    (2018, 8, 27, "Summer bank holiday"),
    (2018, 12, 25, "Christmas Day"),
    (2018, 12, 26, "Boxing Day"),
    (2019, 1, 1, "New Year's Day"),
    (2019, 4, 19, "Good Friday"),
    (2019, 4, 22, "Easter Monday"),
    (2019, 5, 6, "Early May bank holiday"),
    (2019, 5, 27, "Spring bank holiday"),
    (2019, 8, 26, "Summer bank holiday"),
    (2019, 12, 25, "Christmas Day"),
    (2019, 12, 26, "Boxing Day"),
    (2020, 1, 1, "New Year's Day"),
    (2020, 4, 10, "Good Friday"),
    (2020, 4, 13, "Easter Monday"),
    (2020, 5, 8, "Early May bank holiday (VE Day)"),
    (2020, 5, 25, "Spring bank holiday"),
    (2020, 8, 31, "Summer bank holiday"),
    (2020, 12, 25, "Christmas Day"),
    (2020, 12, 28, "Boxing Day (substitute day)"),
    (2021, 1, 1, "New Year's Day"),
    (2021, 4, 2, "Good Friday"),
    (2021, 4, 5, "Easter Monday"),
    (2021, 5, 3, "Early May bank holiday"),
    (2021, 5, 31, "Spring bank holiday"),
    (2021, 8, 30, "Summer bank holiday"),
    (2021, 12, 27, "Christmas Day (substitute day)"),
    (2021, 12, 28, "Boxing Day (substitute day)"),
    (2022, 1, 3, "New Year's Day"),
    (2022, 4, 15, "Good Friday"),
    (2022, 4, 18, "Easter Monday"),
    (2022, 5, 2, "Early May bank holiday"),
    (2022, 6, 2, "Spring bank holiday"),
    (2022, 6, 3, "Platinum Jubilee"),
    (2022, 8, 29, "Summer bank holiday"),
    (2022, 9, 19, "State funeral of Queen Elizabeth II"),
    (2022, 12, 26, "Boxing Day"),
    (2022, 12, 27, "Christmas Day (substitute day)"),
    (2023, 1, 2, "New Year's Day"),
    (2023, 4, 7, "Good Friday"),
    (2023, 4, 10, "Easter Monday"),
    (2023, 5, 1, "Early May bank holiday"),
    (2023, 5, 8, "Coronation of King Charles III"),
    (2023, 5, 29, "Spring bank holiday"),
    (2023, 8, 28, "Summer bank holiday"),
    (2023, 12, 25, "Christmas Day"),
    (2023, 12, 26, "Boxing Day"),
    (2024, 1, 1, "New Year's Day"),
    (2024, 3, 29, "Good Friday"),
    (2024, 4, 1, "Easter Monday"),
    (2024, 5, 6, "Early May bank holiday"),
    (2024, 5, 27, "Spring bank holiday"),
    (2024, 8, 26, "Summer bank holiday"),
    (2024, 12, 25, "Christmas Day"),
    (2024, 12, 26, "Boxing Day"),
    (2025, 1, 1, "New Year's Day"),
    (2025, 4, 18, "Good Friday"),
    (2025, 4, 21, "Easter Monday"),
    (2025, 5, 5, "Early May bank holiday"),
    (2025, 5, 26, "Spring bank holiday"),
    (2025, 8, 25, "Summer bank holiday"),
    (2025, 12, 25, "Christmas Day"),
    (2025, 12, 26, "Boxing Day"),
    (2026, 1, 1, "New Year's Day"),
    (2026, 4, 3, "Good Friday"),
    (2026, 4, 6, "Easter Monday"),
    (2026, 5, 4, "Early May bank holiday"),
    (2026, 5, 25, "Spring bank holiday"),
    (2026, 8, 31, "Summer bank holiday"),
    (2026, 12, 25, "Christmas Day"),
    (2026, 12, 28, "Boxing Day (substitute day)"),
    (2027, 1, 1, "New Year's Day"),
    (2027, 3, 26, "Good Friday"),
    (2027, 3, 29, "Easter Monday"),
    (2027, 5, 3, "Early May bank holiday"),
    (2027, 5, 31, "Spring bank holiday"),
    (2027, 8, 30, "Summer bank holiday"),
    (2027, 12, 27, "Christmas Day (substitute day)"),
    (2027, 12, 28, "Boxing Day (substitute day)"),
    (2028, 1, 3, "New Year's Day"),
    (2028, 4, 14, "Good Friday"),
    (2028, 4, 17, "Easter Monday"),
    (2028, 5, 1, "Early May bank holiday"),
    (2028, 5, 29, "Spring bank holiday"),
    (2028, 8, 28, "Summer bank holiday"),
    (2028, 12, 25, "Christmas Day"),
    (2028, 12, 26, "Boxing Day"),
    (2029, 1, 1, "New Year's Day"),
    (2029, 3, 30, "Good Friday"),
    (2029, 4, 2, "Easter Monday"),
    (2029, 5, 7, "Early May bank holiday"),
    (2029, 5, 28, "Spring bank holiday"),
    (2029, 8, 27, "Summer bank holiday"),
    (2029, 12, 25, "Christmas Day"),
    (2029, 12, 26, "Boxing Day"),
    (2030, 1, 1, "New Year's Day"),
    (2030, 4, 19, "Good Friday"),
    (2030, 4, 22, "Easter Monday"),
    (2030, 5, 6, "Early May bank holiday"),
    (2030, 5, 27, "Spring bank holiday"),
    (2030, 8, 26, "Summer bank holiday"),
    (2030, 12, 25, "Christmas Day"),
    (2030, 12, 26, "Boxing Day"),
];

/// The first and last years the bank-holiday table covers.
pub const FIRST_YEAR: i32 = 2015;
pub const LAST_YEAR: i32 = 2030;

/// Whether `date` falls inside the bank-holiday table.
pub fn covers(date: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&date.year())
}

/// The name of the bank holiday on `date`, if it is one.
pub fn bank_holiday(date: NaiveDate) -> Option<&'static str> {
    let key = (date.year(), date.month(), date.day());
    BANK_HOLIDAYS
        .binary_search_by(|(y, m, d, _)| (*y, *m, *d).cmp(&key))
        .ok()
        .and_then(|i| BANK_HOLIDAYS.get(i))
        .map(|(_, _, _, name)| *name)
}

/// Monday to Friday and not a bank holiday.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && bank_holiday(date).is_none()
}

/// The working day `n` working days after `date` (`n = 0` is `date` itself if it is a working
/// day, else the next one).
pub fn add_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    while !is_working_day(d) {
        d = next_day(d);
    }
    for _ in 0..n {
        d = next_day(d);
        while !is_working_day(d) {
            d = next_day(d);
        }
    }
    d
}

/// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = next_day(d);
        if is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// The deadline of a one-working-day clock started at `at`: the end (UTC midnight) of the
/// first working day after the day of `at`. A referral made on a Friday is due by the end of
/// Monday; one made on a Saturday also by the end of Monday.
pub fn end_of_next_working_day(at: DateTime<Utc>) -> DateTime<Utc> {
    let due_day = add_working_days(next_day(at.date_naive()), 0);
    let end = next_day(due_day);
    end.and_hms_opt(0, 0, 0).map_or(at, |t| t.and_utc())
}

fn next_day(d: NaiveDate) -> NaiveDate {
    // Dates this far from chrono's limits (year 262,143) never occur in a child's record.
    d.checked_add_days(Days::new(1)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_table_is_sorted_and_every_year_has_eight_or_more() {
        assert!(
            BANK_HOLIDAYS
                .windows(2)
                .all(|w| (w[0].0, w[0].1, w[0].2) < (w[1].0, w[1].1, w[1].2))
        );
        for y in FIRST_YEAR..=LAST_YEAR {
            assert!(
                BANK_HOLIDAYS.iter().filter(|h| h.0 == y).count() >= 8,
                "{y}"
            );
        }
    }

    #[test]
    fn christmas_substitutes_are_holidays() {
        // 2021: Christmas on a Saturday, so Monday 27 and Tuesday 28 are off.
        assert!(!is_working_day(day(2021, 12, 27)) && !is_working_day(day(2021, 12, 28)));
        // 2022: Christmas on a Sunday: Boxing Day Monday 26, substitute Tuesday 27.
        assert!(!is_working_day(day(2022, 12, 26)) && !is_working_day(day(2022, 12, 27)));
        assert!(is_working_day(day(2022, 12, 28)));
    }

    #[test]
    fn easter_and_the_one_off_days() {
        assert_eq!(bank_holiday(day(2024, 3, 29)), Some("Good Friday"));
        assert_eq!(bank_holiday(day(2024, 4, 1)), Some("Easter Monday"));
        for d in [
            day(2020, 5, 8),
            day(2022, 6, 2),
            day(2022, 6, 3),
            day(2022, 9, 19),
            day(2023, 5, 8),
        ] {
            assert!(!is_working_day(d), "{d}");
        }
        assert!(
            is_working_day(day(2020, 5, 4)),
            "VE Day moved the early May holiday in 2020"
        );
    }

    #[test]
    fn a_friday_referral_is_due_by_the_end_of_monday() {
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
        assert_eq!(
            end_of_next_working_day(friday),
            Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap()
        );
        // Before Easter 2026 (Good Friday 3 April): Thursday 2 April is due by the end of Tuesday 7.
        let thursday = Utc.with_ymd_and_hms(2026, 4, 2, 9, 0, 0).unwrap();
        assert_eq!(
            end_of_next_working_day(thursday),
            Utc.with_ymd_and_hms(2026, 4, 8, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn counting_working_days() {
        assert_eq!(add_working_days(day(2026, 11, 20), 1), day(2026, 11, 23));
        assert_eq!(
            working_days_between(day(2026, 11, 20), day(2026, 11, 27)),
            5
        );
        assert_eq!(
            working_days_between(day(2022, 12, 23), day(2022, 12, 30)),
            3
        );
        assert!(covers(day(2030, 12, 31)) && !covers(day(2031, 1, 1)));
    }

    #[test]
    fn a_count_up_to_a_thursday_stops_on_the_thursday() {
        // Friday 20 to Thursday 26 November 2026: Monday to Thursday, not the Friday after.
        assert_eq!(
            working_days_between(day(2026, 11, 20), day(2026, 11, 26)),
            4
        );
        assert_eq!(
            working_days_between(day(2026, 11, 26), day(2026, 11, 20)),
            0
        );
    }

    #[test]
    fn zero_working_days_from_a_weekend_is_the_monday_and_from_a_weekday_is_that_day() {
        assert_eq!(add_working_days(day(2026, 11, 21), 0), day(2026, 11, 23));
        assert_eq!(add_working_days(day(2026, 11, 19), 0), day(2026, 11, 19));
        // Three working days from the Thursday before Easter 2026 skip Good Friday and Easter
        // Monday.
        assert_eq!(add_working_days(day(2026, 4, 2), 3), day(2026, 4, 9));
    }
}
