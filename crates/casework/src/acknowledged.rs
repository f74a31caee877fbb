//! What an append acknowledged, as its caller answers with it.

use chrono::{DateTime, Utc};
use store::{Appended, GlobalPosition};
use uuid::Uuid;

/// What the store acknowledged for one register or append: for each event recorded, the
/// id, sequence, global position and `recorded_at` it was given. That is all an answer to the
/// client needs. The events themselves go to the child's kept fold and to whoever is told of
/// appends ([`crate::Casework::on_appended`]), not into the answer as well: copying each
/// event's data for the answer was a fiftieth of the server's CPU under single records
/// (docs/BENCHMARKS.md, twelfth round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    pub child_id: Uuid,
    /// The first answer to a request given again with its `Idempotency-Key`: nothing new was
    /// recorded.
    pub replayed: bool,
    /// In the order recorded.
    pub events: Vec<AcknowledgedEvent>,
}

/// One recorded event, as the store numbered and stamped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcknowledgedEvent {
    pub event_id: Uuid,
    pub sequence: u64,
    pub global_position: GlobalPosition,
    pub recorded_at: DateTime<Utc>,
}

impl Acknowledged {
    pub fn of(appended: &Appended) -> Acknowledged {
        Acknowledged {
            child_id: appended.child_id,
            replayed: appended.replayed,
            events: appended
                .events
                .iter()
                .map(|e| AcknowledgedEvent {
                    event_id: e.event_id,
                    sequence: e.sequence,
                    global_position: e.global_position,
                    recorded_at: e.recorded_at,
                })
                .collect(),
        }
    }

    /// The global position of the last event recorded: a cross-child read that asks for it
    /// (`?min_position=`) reflects this append.
    pub fn position(&self) -> Option<GlobalPosition> {
        self.events.iter().map(|e| e.global_position).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::StoredEvent;

    fn stored(sequence: u64, global_position: GlobalPosition) -> StoredEvent {
        StoredEvent {
            global_position,
            child_id: Uuid::nil(),
            sequence,
            event_id: Uuid::now_v7(),
            event_type: "conversation_recorded".into(),
            event_version: 1,
            occurred_at: Utc::now(),
            recorded_at: Utc::now(),
            recorded_by: serde_json::Value::Null,
            agency: "school:norwich-high".into(),
            token_id: None,
            data: serde_json::Value::Null,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn an_acknowledgement_names_each_event_as_stored_and_the_last_position() {
        let appended = Appended {
            child_id: Uuid::nil(),
            events: vec![stored(4, 90), stored(5, 91)],
            replayed: false,
        };
        let ack = Acknowledged::of(&appended);
        assert_eq!(ack.position(), Some(91));
        assert_eq!(
            ack.events
                .iter()
                .map(|e| (e.event_id, e.sequence))
                .collect::<Vec<_>>(),
            appended
                .events
                .iter()
                .map(|e| (e.event_id, e.sequence))
                .collect::<Vec<_>>()
        );
        assert!(!ack.replayed);
    }
}
