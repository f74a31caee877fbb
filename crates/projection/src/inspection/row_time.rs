//! How a child's facts write their times in the read model's rows ([`crate::Across::row`]):
//! seconds and nanoseconds since the epoch, as two integers.
//!
//! chrono writes a time as RFC 3339 text, formatted on every save and parsed on every load.
//! A child's facts hold two or three times per record (when it happened, when it was recorded,
//! the activity list): a profile of single records over HTTP found formatting them two
//! thirds of the cost of encoding rows (docs/BENCHMARKS.md, sixth round). Two integers lose
//! nothing (the nanoseconds are kept) and take about a third of the bytes.
//!
//! Only the facts that grow with a child's history use it (one entry per record); the
//! disagreement threads keep the API's shapes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::grown::Grown;

type Parts = (i64, u32);

fn parts(t: &DateTime<Utc>) -> Parts {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

fn time<E: serde::de::Error>((secs, nanos): Parts) -> Result<DateTime<Utc>, E> {
    DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| E::custom(format!("no such time: {secs} s and {nanos} ns")))
}

pub(crate) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    parts(t).serialize(s)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    time(Parts::deserialize(d)?)
}

/// A list of times.
pub(crate) mod many {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        v: &Grown<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(parts))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Grown<DateTime<Utc>>, D::Error> {
        Vec::<Parts>::deserialize(d)?
            .into_iter()
            .map(time)
            .collect()
    }
}

/// A child's recordings: (its agency's place in the child's list, occurred at, recorded at)
/// for each standing record.
pub(crate) mod recordings {
    use super::*;

    type Recording = (u32, DateTime<Utc>, DateTime<Utc>);

    pub(crate) fn serialize<S: Serializer>(v: &Grown<Recording>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            v.iter()
                .map(|(agency, occurred, recorded)| (agency, parts(occurred), parts(recorded))),
        )
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Grown<Recording>, D::Error> {
        Vec::<(u32, Parts, Parts)>::deserialize(d)?
            .into_iter()
            .map(|(agency, occurred, recorded)| Ok((agency, time(occurred)?, time(recorded)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Facts {
        #[serde(with = "super")]
        at: DateTime<Utc>,
        #[serde(with = "many")]
        activity: Grown<DateTime<Utc>>,
        #[serde(with = "recordings")]
        recordings: Grown<(u32, DateTime<Utc>, DateTime<Utc>)>,
    }

    fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
        // Every time chrono can hold, to the nanosecond.
        (
            DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            0u32..1_000_000_000,
        )
            .prop_filter_map("a time chrono holds", |(s, n)| {
                DateTime::from_timestamp(s, n)
            })
    }

    proptest! {
        /// Whatever time a record carries reads back exactly, in the row's encoding.
        #[test]
        fn times_read_back_exactly(
            at in any_time(),
            activity in proptest::collection::vec(any_time(), 0..5),
            recordings in proptest::collection::vec(
                (any::<u32>(), any_time(), any_time()),
                0..5,
            ),
        ) {
            let facts = Facts {
                at,
                activity: activity.into_iter().collect(),
                recordings: recordings.into_iter().collect(),
            };
            let bytes = rmp_serde::to_vec_named(&facts).unwrap();
            let back: Facts = rmp_serde::from_slice(&bytes).unwrap();
            prop_assert_eq!(back, facts);
        }
    }

    /// Integers that name no time are refused, not read as some other time.
    #[test]
    fn a_time_out_of_range_is_refused() {
        #[derive(Serialize)]
        struct Raw {
            at: (i64, u32),
        }
        #[derive(Debug, Deserialize)]
        struct When {
            #[serde(with = "super")]
            #[allow(dead_code)]
            at: DateTime<Utc>,
        }
        let bytes = rmp_serde::to_vec_named(&Raw { at: (i64::MAX, 0) }).unwrap();
        let refused = rmp_serde::from_slice::<When>(&bytes).unwrap_err();
        assert!(refused.to_string().contains("no such time"), "{refused}");
    }
}
