//! The stored event: what one event of a child's stream says happened ([`ChildEvent`]), how
//! it is written (`data_json`, its serde form) and how it is read back (`from_stored`), with the
//! upcasting hook that brings an older version of a type's data up to today's.
//!
//! It does not fold events (`state`) nor decide whether they may be recorded (`decide`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::record::*;
use crate::registration::ChildDetails;
use crate::shapes::{Parse, Person, Source};

/// The type name of the registration event, which is never posted as a record.
pub const CHILD_REGISTERED: &str = "child_registered";

/// What an event says happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Registered(ChildDetails),
    Record(RecordData),
}

impl EventBody {
    pub fn event_type(&self) -> &'static str {
        match self {
            EventBody::Registered(_) => CHILD_REGISTERED,
            EventBody::Record(r) => r.record_type().as_str(),
        }
    }
}

/// One event of a child's stream, as the domain sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildEvent {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_by: Person,
    pub body: EventBody,
}

/// The version every event type is written at today.
pub const EVENT_VERSION: u32 = 1;

/// An event read back could not be understood (a type this build does not know, or data
/// that no longer parses). Stored events are a contract with the future: this should never
/// happen for events this code wrote.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("event {event_id} of type {event_type} v{version} cannot be read: {problem}")]
pub struct UnreadableEvent {
    pub event_id: Uuid,
    pub event_type: String,
    pub version: u32,
    pub problem: String,
}

impl ChildEvent {
    pub fn event_type(&self) -> &'static str {
        self.body.event_type()
    }

    pub fn event_version(&self) -> u32 {
        EVENT_VERSION
    }

    /// The event's `data` as stored.
    pub fn data_json(&self) -> serde_json::Value {
        match &self.body {
            EventBody::Registered(d) => serde_json::to_value(d).unwrap_or(serde_json::Value::Null),
            EventBody::Record(r) => r.to_json(),
        }
    }

    /// Reads a stored event back, upcasting older versions of its data first.
    pub fn from_stored(
        event_id: Uuid,
        event_type: &str,
        version: u32,
        occurred_at: DateTime<Utc>,
        recorded_by: serde_json::Value,
        data: serde_json::Value,
    ) -> Result<ChildEvent, UnreadableEvent> {
        let stored = Stored {
            event_id,
            event_type,
            version,
            occurred_at,
        };
        let data = upcast(event_type, version, data).map_err(|e| stored.unreadable(e))?;
        stored.read(
            Source::Value(Parse::Stored, recorded_by),
            Source::Value(Parse::Stored, data),
        )
    }

    /// [`ChildEvent::from_stored`] from the JSON text a store holds, read straight into the
    /// domain's types (one pass over the text, where `from_stored` is handed values a store
    /// already parsed). Data of an older version goes through the upcasters as a value.
    pub fn from_stored_text(
        event_id: Uuid,
        event_type: &str,
        version: u32,
        occurred_at: DateTime<Utc>,
        recorded_by: &str,
        data: &str,
    ) -> Result<ChildEvent, UnreadableEvent> {
        let stored = Stored {
            event_id,
            event_type,
            version,
            occurred_at,
        };
        if version != EVENT_VERSION {
            let value = |text: &str, what: &str| {
                serde_json::from_str(text).map_err(|e| stored.unreadable(format!("{what}: {e}")))
            };
            return ChildEvent::from_stored(
                event_id,
                event_type,
                version,
                occurred_at,
                value(recorded_by, "recorded_by")?,
                value(data, "data")?,
            );
        }
        stored.read(Source::Text(recorded_by), Source::Text(data))
    }
}

/// What a store says of an event besides its JSON, for reading it back.
struct Stored<'a> {
    event_id: Uuid,
    event_type: &'a str,
    version: u32,
    occurred_at: DateTime<Utc>,
}

impl Stored<'_> {
    fn unreadable(&self, problem: impl ToString) -> UnreadableEvent {
        UnreadableEvent {
            event_id: self.event_id,
            event_type: self.event_type.to_owned(),
            version: self.version,
            problem: problem.to_string(),
        }
    }

    /// The event, from its `recorded_by` and its data at today's version.
    fn read(
        &self,
        recorded_by: Source<'_>,
        data: Source<'_>,
    ) -> Result<ChildEvent, UnreadableEvent> {
        let recorded_by: Person = recorded_by
            .parse("recorded_by")
            .map_err(|e| self.unreadable(e))?;
        let body = if self.event_type == CHILD_REGISTERED {
            EventBody::Registered(data.parse("data").map_err(|e| self.unreadable(e))?)
        } else {
            let t: RecordType = self
                .event_type
                .parse()
                .map_err(|e: crate::record::UnknownRecordType| self.unreadable(e))?;
            EventBody::Record(
                RecordData::parse_stored_from(t, data).map_err(|e| self.unreadable(e))?,
            )
        };
        Ok(ChildEvent {
            event_id: self.event_id,
            occurred_at: self.occurred_at,
            recorded_by,
            body,
        })
    }
}

/// Brings an older version of a type's data up to today's. Every type is at version 1, so
/// there is nothing to do yet; version 0 never existed and is refused, which the tests use to
/// prove the hook is consulted.
fn upcast(
    event_type: &str,
    version: u32,
    data: serde_json::Value,
) -> Result<serde_json::Value, String> {
    match version {
        EVENT_VERSION => Ok(data),
        v => Err(format!(
            "no upcaster from version {v} of {event_type} to version {EVENT_VERSION}"
        )),
    }
}

impl Serialize for ChildEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ChildEvent", 5)?;
        st.serialize_field("event_id", &self.event_id)?;
        st.serialize_field("type", self.event_type())?;
        st.serialize_field("occurred_at", &self.occurred_at)?;
        st.serialize_field("recorded_by", &self.recorded_by)?;
        st.serialize_field("data", &self.data_json())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for ChildEvent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            event_id: Uuid,
            #[serde(rename = "type")]
            event_type: String,
            occurred_at: DateTime<Utc>,
            recorded_by: serde_json::Value,
            data: serde_json::Value,
        }
        let r = Raw::deserialize(d)?;
        ChildEvent::from_stored(
            r.event_id,
            &r.event_type,
            EVENT_VERSION,
            r.occurred_at,
            r.recorded_by,
            r.data,
        )
        .map_err(serde::de::Error::custom)
    }
}
