//! The JSON of recently read journeys, kept per child version and sight, so that reading a long
//! child's journey again costs what reading its case does.
//!
//! Why: a profile of the server answering a 1,000-record child's journey put about half its CPU
//! in serialising the records to JSON (docs/BENCHMARKS.md, "Third round"); the journey itself is
//! cheap to lay out from the kept fold. A journey is a pure function of the child's events up to
//! its head sequence and of what the caller may see, so an answer kept under (child, head
//! sequence, sight) can never be stale: an append moves the head and the old key is simply never
//! asked for again.
//!
//! What it deliberately does not keep: time-travelling journeys (`as_of`, `known_at`: too many
//! keys for one reader each), pages (HTML), and answers above [`LARGEST`] bytes. Every read is
//! still authorised and written to the read log before this is consulted.

use std::sync::Mutex;

use actix_web::web::Bytes;
use lru::LruCache;
use uuid::Uuid;

use crate::access::Sight;

/// A journey bigger than this is serialised for each read rather than kept (about 15,000
/// records), so one huge child cannot take the whole budget.
pub const LARGEST: usize = 8 * 1024 * 1024;

/// What a kept journey is keyed by: the child, its head sequence, and whose sight.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    child_id: Uuid,
    sequence: u64,
    /// `None` for every record in sight; the agency for a recorder's own.
    agency: Option<String>,
}

impl Key {
    fn new(child_id: Uuid, sequence: u64, sight: &Sight) -> Key {
        Key {
            child_id,
            sequence,
            agency: match sight {
                Sight::All => None,
                Sight::OwnAgency(a) => Some(a.clone()),
            },
        }
    }
}

struct Kept {
    answers: LruCache<Key, Bytes>,
    bytes: usize,
}

/// Journeys' JSON, least recently read evicted first, within a byte budget.
pub struct KeptJourneys {
    budget: usize,
    kept: Mutex<Kept>,
}

impl KeptJourneys {
    /// Keeps at most `budget` bytes of answers (0 keeps none).
    pub fn new(budget: usize) -> KeptJourneys {
        KeptJourneys {
            budget,
            kept: Mutex::new(Kept {
                answers: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    /// The kept answer for this child at this sequence and sight, if there is one.
    pub fn get(&self, child_id: Uuid, sequence: u64, sight: &Sight) -> Option<Bytes> {
        let key = Key::new(child_id, sequence, sight);
        let found = self.lock().answers.get(&key).cloned();
        metrics::counter!(
            "caseline_kept_journeys_total",
            "result" => if found.is_some() { "hit" } else { "miss" }
        )
        .increment(1);
        found
    }

    /// Keeps `json` as the answer for this child at this sequence and sight.
    pub fn keep(&self, child_id: Uuid, sequence: u64, sight: &Sight, json: Bytes) {
        if json.len() > LARGEST.min(self.budget) {
            return;
        }
        let key = Key::new(child_id, sequence, sight);
        let mut kept = self.lock();
        kept.bytes += json.len();
        if let Some(old) = kept.answers.put(key, json) {
            kept.bytes -= old.len();
        }
        while kept.bytes > self.budget {
            match kept.answers.pop_lru() {
                Some((_, old)) => kept.bytes -= old.len(),
                None => break,
            }
        }
        metrics::gauge!("caseline_kept_journeys_bytes").set(kept.bytes as f64);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // A panic while holding the lock leaves only a cache behind: what it holds is still
        // whole answers, so it is used as it is.
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Bytes {
        Bytes::from(vec![b' '; n])
    }

    #[test]
    fn an_answer_is_kept_per_child_version_and_sight() {
        let kept = KeptJourneys::new(1024);
        let child = Uuid::new_v4();
        let school = Sight::OwnAgency("school:norwich-high".into());
        kept.keep(child, 3, &Sight::All, Bytes::from_static(b"all"));
        kept.keep(child, 3, &school, Bytes::from_static(b"own"));
        assert_eq!(
            kept.get(child, 3, &Sight::All).as_deref(),
            Some(&b"all"[..])
        );
        assert_eq!(kept.get(child, 3, &school).as_deref(), Some(&b"own"[..]));
        assert_eq!(
            kept.get(child, 4, &Sight::All),
            None,
            "a new record moves the key"
        );
        let police = Sight::OwnAgency("police:norfolk".into());
        assert_eq!(
            kept.get(child, 3, &police),
            None,
            "another agency sees its own"
        );
    }

    #[test]
    fn the_least_recently_read_go_first_and_the_budget_holds() {
        let kept = KeptJourneys::new(300);
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        kept.keep(a, 1, &Sight::All, bytes(100));
        kept.keep(b, 1, &Sight::All, bytes(100));
        assert!(kept.get(a, 1, &Sight::All).is_some());
        kept.keep(c, 1, &Sight::All, bytes(150));
        assert!(
            kept.get(b, 1, &Sight::All).is_none(),
            "b was read least recently"
        );
        assert!(kept.get(a, 1, &Sight::All).is_some());
        assert!(kept.get(c, 1, &Sight::All).is_some());
        kept.keep(a, 2, &Sight::All, bytes(301));
        assert!(
            kept.get(a, 2, &Sight::All).is_none(),
            "larger than the budget"
        );
        assert!(kept.lock().bytes <= 300);
    }

    #[test]
    fn a_budget_of_nothing_keeps_nothing() {
        let kept = KeptJourneys::new(0);
        let child = Uuid::new_v4();
        kept.keep(child, 1, &Sight::All, bytes(1));
        assert!(kept.get(child, 1, &Sight::All).is_none());
    }
}
