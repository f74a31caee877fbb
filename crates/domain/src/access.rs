//! Who may append what (CONTRACT.md, "Who may do what"), as a table the API enforces from
//! one place.
//!
//! Recorders (an agency's system) may append every type but the front door's own, and may
//! change a child's tier only between 1 and 2; the front door may append everything; auditors,
//! inspectors and admins append nothing. Reading rules (which children a recorder may see) are
//! the API's, since they depend on the store; this module knows only record types and levels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::level::Tier;
use crate::record::{RecordData, RecordType};

/// A token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Recorder,
    FrontDoor,
    Auditor,
    Inspector,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Recorder,
        Role::FrontDoor,
        Role::Auditor,
        Role::Inspector,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Recorder => "recorder",
            Role::FrontDoor => "front_door",
            Role::Auditor => "auditor",
            Role::Inspector => "inspector",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role; the roles are recorder, front_door, auditor, inspector, admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The record types only the front door may append, whatever the level.
pub const FRONT_DOOR_ONLY: [RecordType; 5] = [
    RecordType::ReferralDecided,
    RecordType::StrategyDiscussionHeld,
    RecordType::Section47EnquiryStarted,
    RecordType::Section47EnquiryConcluded,
    RecordType::ChildProtectionConferenceHeld,
];

/// Why a role may not append a record, in words for the 403's detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Whether `role` may append `record`.
pub fn may_append(role: Role, record: &RecordData) -> Result<(), Denied> {
    let t = record.record_type();
    match role {
        Role::FrontDoor => Ok(()),
        Role::Auditor | Role::Inspector | Role::Admin => Err(Denied(format!(
            "a token with the {role} role records nothing; {t} needs a recorder or front_door token"
        ))),
        Role::Recorder => {
            if FRONT_DOOR_ONLY.contains(&t) {
                return Err(Denied(format!("{t} is recorded by the front door only")));
            }
            if let RecordData::SteppedUp(s) | RecordData::SteppedDown(s) = record
                && (s.from.tier >= Tier::THREE || s.to.tier >= Tier::THREE)
            {
                return Err(Denied(format!(
                    "a step to or from tier 3 or 4 is the front door's decision ({t} from {} to {})",
                    s.from, s.to
                )));
            }
            Ok(())
        }
    }
}

/// Whether `role` may append `record` to a child now at `current`: [`may_append`], and a
/// recorder may not close a case at tier 3 or 4, since closing takes the child back to tier 1
/// and a change out of tier 3 or 4 is the front door's decision.
pub fn may_append_at(
    role: Role,
    record: &RecordData,
    current: crate::level::Level,
) -> Result<(), Denied> {
    may_append(role, record)?;
    if role == Role::Recorder
        && matches!(record, RecordData::CaseClosed(_))
        && current.tier >= Tier::THREE
    {
        return Err(Denied(format!(
            "closing a case at tier {} takes the child back to tier 1: that is the front door's decision",
            current.tier
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(t: &str, from: u8, to: u8) -> RecordData {
        let p = json!({ "name": "A", "role": "r", "agency": "school:x" });
        RecordData::parse(
            t.parse().unwrap(),
            json!({ "from": { "tier": from }, "to": { "tier": to }, "reasons": [{ "kind": "other", "detail": "d" }], "rationale": "r", "decided_by": p }),
        )
        .unwrap()
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), json!(r.as_str()));
        }
        assert!("mash".parse::<Role>().is_err());
    }

    #[test]
    fn recorders_change_tiers_only_between_1_and_2() {
        assert!(may_append(Role::Recorder, &step("stepped_up", 1, 2)).is_ok());
        assert!(may_append(Role::Recorder, &step("stepped_down", 2, 1)).is_ok());
        assert!(may_append(Role::Recorder, &step("stepped_up", 2, 3)).is_err());
        assert!(may_append(Role::Recorder, &step("stepped_down", 3, 2)).is_err());
        assert!(may_append(Role::FrontDoor, &step("stepped_up", 2, 3)).is_ok());
    }

    #[test]
    fn recorders_close_cases_only_below_tier_3() {
        let p = json!({ "name": "A", "role": "r", "agency": "school:x" });
        let closed = RecordData::parse(
            RecordType::CaseClosed,
            json!({ "reason": "done", "closed_by": p }),
        )
        .unwrap();
        let at = |t: u8| {
            crate::level::Level::new(Tier::new(t).unwrap(), crate::level::StatutoryBasis::None)
        };
        assert!(may_append_at(Role::Recorder, &closed, at(2)).is_ok());
        assert!(may_append_at(Role::Recorder, &closed, at(3)).is_err());
        assert!(may_append_at(Role::FrontDoor, &closed, at(4)).is_ok());
    }

    #[test]
    fn front_door_types_are_the_front_doors() {
        let decided = RecordData::parse(
            RecordType::ReferralDecided,
            json!({ "referral_id": uuid::Uuid::new_v4(), "decision": "early_help", "decided_level": { "tier": 2 }, "rationale": "r" }),
        )
        .unwrap();
        let e = may_append(Role::Recorder, &decided).unwrap_err();
        assert!(e.0.contains("front door only"), "{e}");
        assert!(may_append(Role::FrontDoor, &decided).is_ok());
        for r in [Role::Auditor, Role::Inspector, Role::Admin] {
            assert!(may_append(r, &decided).is_err());
            assert!(may_append(r, &step("stepped_up", 1, 2)).is_err());
        }
    }
}
