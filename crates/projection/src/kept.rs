//! The read model's kept children: recently touched children's typed records with their facts
//! kept open ([`CaseFold`]), so that a child's new events extend its facts without a read of its
//! stream or a parse of what came before.
//!
//! Bounded twice. By children ([`KeptChildren::new`]'s `children`, least recently touched
//! dropped first), and by the events their records hold: past that budget the least recently
//! touched keep their facts alone, without the record. A child's record grows with every event,
//! so a bound by children alone let a server under a long load hold every event of its busy
//! children (1.3 GB after 70 s of the HTTP bench's 640 children; docs/BENCHMARKS.md, twelfth
//! round). Facts alone still take most new events ([`CaseFold::extend_part`]); a correction or a
//! disagreement reads the child's whole stream again, as a child not kept does.

use lru::LruCache;
use std::num::NonZeroUsize;
use store::GlobalPosition;
use uuid::Uuid;

use crate::child_record::ChildRecord;
use crate::inspection::cases::CaseFold;

/// One kept child.
pub(crate) struct Kept {
    /// The child's typed record, up to `sequence`; `None` once let go for the events' budget.
    pub(crate) record: Option<ChildRecord>,
    /// The facts of the record up to `sequence`.
    pub(crate) fold: CaseFold,
    /// The last event read (readable or not).
    pub(crate) sequence: u64,
    /// The global position of the last event read.
    pub(crate) position: GlobalPosition,
}

impl Kept {
    /// A child whose whole record is kept.
    pub(crate) fn whole(record: ChildRecord, fold: CaseFold) -> Kept {
        Kept {
            sequence: record.sequence(),
            position: record.position(),
            record: Some(record),
            fold,
        }
    }

    fn events(&self) -> usize {
        self.record.as_ref().map_or(0, ChildRecord::len)
    }
}

/// The kept children, least recently touched first to go.
pub(crate) struct KeptChildren {
    children: LruCache<Uuid, Kept>,
    /// The events the kept records hold.
    events: usize,
    budget: usize,
}

impl KeptChildren {
    /// At most `children` children, and records of at most `events` events between them.
    pub(crate) fn new(children: usize, events: usize) -> KeptChildren {
        KeptChildren {
            children: LruCache::new(NonZeroUsize::new(children).unwrap_or(NonZeroUsize::MIN)),
            events: 0,
            budget: events,
        }
    }

    /// Takes a child out (the caller puts it back once it has read the child's new events).
    pub(crate) fn take(&mut self, child: Uuid) -> Option<Kept> {
        let kept = self.children.pop(&child)?;
        self.events = self.events.saturating_sub(kept.events());
        Some(kept)
    }

    /// Keeps a child as the most recently touched; past the events' budget the least recently
    /// touched records are let go, their facts kept.
    pub(crate) fn put(&mut self, child: Uuid, kept: Kept) {
        self.events = self.events.saturating_add(kept.events());
        if let Some((_, gone)) = self.children.push(child, kept) {
            self.events = self.events.saturating_sub(gone.events());
        }
        if self.events <= self.budget {
            return;
        }
        for (_, kept) in self.children.iter_mut().rev() {
            if let Some(record) = kept.record.take() {
                self.events = self.events.saturating_sub(record.len());
                if self.events <= self.budget {
                    break;
                }
            }
        }
    }

    /// A new budget of events, applied from the next [`KeptChildren::put`] on.
    pub(crate) fn set_budget(&mut self, events: usize) {
        self.budget = events;
    }

    pub(crate) fn clear(&mut self) {
        self.children.clear();
        self.events = 0;
    }

    /// The events the kept records hold (for `/metrics`).
    pub(crate) fn events(&self) -> usize {
        self.events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspection::testkit::{ChildBuilder, SCHOOL};
    use chrono::{Duration, TimeZone, Utc};
    use domain::framework::Framework;

    /// Child `n`: registered, then `records - 1` conversations.
    fn kept(n: u128, records: u64) -> (Uuid, Kept) {
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let mut child = ChildBuilder::register(n, "Norwich", "2014-03-03", at);
        for i in 1..records {
            child.conversation(at + Duration::hours(i as i64), SCHOOL, "heard");
        }
        let mut record = ChildRecord::new(child.child_id());
        for e in child.events() {
            record.push(e);
        }
        let fold = CaseFold::of(&record, Framework::by_name("norfolk").expect("norfolk"));
        (child.child_id(), Kept::whole(record, fold))
    }

    #[test]
    fn past_the_events_budget_the_least_recently_touched_keep_their_facts_alone() {
        let ((a, ka), (b, kb), (c, kc)) = (kept(1, 10), kept(2, 10), kept(3, 10));
        let mut kept_children = KeptChildren::new(10, 25);
        kept_children.put(a, ka);
        kept_children.put(b, kb);
        assert_eq!(kept_children.events(), 20);
        kept_children.put(c, kc);
        // a, the least recently touched, lets its record go; b and c keep theirs.
        assert_eq!(kept_children.events(), 20);
        let a_kept = kept_children.take(a).expect("a is kept");
        assert!(a_kept.record.is_none());
        assert_eq!((a_kept.sequence, a_kept.fold.case().child_id), (10, a));
        assert!(kept_children.take(b).expect("b").record.is_some());
        assert_eq!(kept_children.events(), 10);
    }

    #[test]
    fn past_the_children_budget_the_least_recently_touched_go() {
        let ((a, ka), (b, kb)) = (kept(1, 3), kept(2, 4));
        let mut kept_children = KeptChildren::new(1, 1000);
        kept_children.put(a, ka);
        kept_children.put(b, kb);
        assert!(kept_children.take(a).is_none());
        assert_eq!(kept_children.events(), 4);
        kept_children.clear();
        assert_eq!(kept_children.events(), 0);
    }
}
