//! The census's collection year, written `2025-26`: 1 April 2025 to 31 March 2026.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// A collection year, from 1 April of its first year to 31 March of the next (the reference
/// date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CollectionYear {
    first: i32,
}

/// A year not written as `2025-26`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a collection year; write it as the first year and the next year's last two digits, e.g. 2025-26"
)]
pub struct InvalidYear(pub String);

impl CollectionYear {
    /// The year that starts on 1 April of `first` (2000 to 2199).
    pub fn starting(first: i32) -> Option<CollectionYear> {
        (2000..2200)
            .contains(&first)
            .then_some(CollectionYear { first })
    }

    /// 1 April of the first year.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.first, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 31 March of the next year: the census's reference date.
    pub fn reference_date(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.first + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    /// Whether `day` falls in the year.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.first_day() <= day && day <= self.reference_date()
    }

    /// The census header's `Year`: the year the collection ends in (`2026` for 2025-26).
    pub fn census_year(&self) -> i32 {
        self.first + 1
    }
}

impl FromStr for CollectionYear {
    type Err = InvalidYear;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidYear(s.to_owned());
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        if a.len() != 4 || b.len() != 2 || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let first: i32 = a.parse().map_err(|_| bad())?;
        let next: i32 = b.parse().map_err(|_| bad())?;
        if (first + 1) % 100 != next {
            return Err(bad());
        }
        CollectionYear::starting(first).ok_or_else(bad)
    }
}

impl fmt::Display for CollectionYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.first, (self.first + 1) % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_reads_and_prints_as_the_dfe_writes_it() {
        let y: CollectionYear = "2025-26".parse().unwrap();
        assert_eq!(y.first_day(), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        assert_eq!(
            y.reference_date(),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
        assert_eq!(y.census_year(), 2026);
        assert_eq!(y.to_string(), "2025-26");
        assert_eq!(
            "2099-00".parse::<CollectionYear>().unwrap().to_string(),
            "2099-00"
        );
        for bad in ["2025", "2025-27", "25-26", "2025-2026", "abcd-ef", ""] {
            assert!(bad.parse::<CollectionYear>().is_err(), "{bad}");
        }
    }
}
