//! Who may append what (docs/CONTRACT.md, "Who may do what"), as a table the API enforces from
//! one place.
//!
//! Recorders (an agency's system) may append every type but the front door's own, and may
//! change a child's tier only between 1 and 2; the front door may append everything; auditors,
//! inspectors and admins append nothing. Reading rules (which children a recorder may see) are
//! the API's, since they depend on the store; this module knows only record types and levels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::child::{Child, EventBody};
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

/// Whether `role` may ever append a record of type `t`, known before its data is read: a role
/// that may not record a type hears that before any complaint about the data's shape.
pub fn may_append_type(role: Role, t: RecordType) -> Result<(), Denied> {
    match role {
        Role::FrontDoor => Ok(()),
        Role::Auditor | Role::Inspector | Role::Admin => Err(Denied(format!(
            "a token with the {role} role records nothing; {t} needs a recorder or front_door token"
        ))),
        Role::Recorder if FRONT_DOOR_ONLY.contains(&t) => {
            Err(Denied(format!("{t} is recorded by the front door only")))
        }
        Role::Recorder => Ok(()),
    }
}

/// Whether `role` may append `record`.
pub fn may_append(role: Role, record: &RecordData) -> Result<(), Denied> {
    let t = record.record_type();
    may_append_type(role, t)?;
    match role {
        Role::FrontDoor | Role::Auditor | Role::Inspector | Role::Admin => Ok(()),
        Role::Recorder => {
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

/// Whether `role`, recording for `agency`, may append `record` to `child` as it stands now:
/// [`may_append_at`] against the child's level, and for a correction or retraction
/// (docs/CONTRACT.md):
/// an agency corrects or retracts only its own agency's records (the front door may also
/// retract any record, one entered on the wrong child), and corrected data passes the same
/// role rules as recording that type where the original stands, so a correction cannot do what
/// recording could not. On refusal, the field (relative to the record) it concerns.
///
/// A correction whose target is not on the child's record, or whose corrected data does not
/// parse, passes here: deciding it refuses it with the rule (422) or the shape (400).
pub fn may_append_to(
    role: Role,
    agency: &str,
    child: &Child,
    record: &RecordData,
) -> Result<(), (&'static str, Denied)> {
    may_append_at(role, record, child.state().current_level()).map_err(|d| ("type", d))?;
    let RecordData::RecordCorrected(c) = record else {
        return Ok(());
    };
    let Some((target, before)) = child.record_and_state_before(c.corrects_event_id) else {
        return Ok(());
    };
    let EventBody::Record(original) = &target.body else {
        return Ok(());
    };
    let owner = target.recorded_by.agency.as_str();
    let retraction = c.retract == Some(true) && c.corrected_data.is_none();
    if owner != agency && !(role == Role::FrontDoor && retraction) {
        let what = if retraction { "retract" } else { "correct" };
        let front_door = if role == Role::FrontDoor {
            " (the front door may retract another agency's record entered on the wrong child, but not correct it)"
        } else {
            ""
        };
        return Err((
            "data.corrects_event_id",
            Denied(format!(
                "{agency} may {what} only its own agency's records; this {} was recorded by {owner}{front_door}",
                original.record_type()
            )),
        ));
    }
    if let Some(data) = &c.corrected_data
        && let Ok(corrected) = RecordData::parse(original.record_type(), data.clone())
    {
        may_append_at(role, &corrected, before.current_level()).map_err(|d| {
            (
                "data.corrected_data",
                Denied(format!(
                    "the corrected data could not be recorded by this token: {d}"
                )),
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::StepReasonKind;
    use crate::testing::{self, Build, tier};
    use serde_json::json;

    fn step(t: &str, from: u8, to: u8) -> RecordData {
        let step = match t {
            "stepped_up" => testing::stepped_up(),
            _ => testing::stepped_down(),
        };
        step.from(tier(from))
            .to(tier(to))
            .reason(StepReasonKind::Other)
            .build()
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), json!(r.as_str()));
            assert_eq!(r.to_string(), r.as_str());
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
    fn recorders_may_not_step_a_child_to_or_from_tier_4() {
        let up = may_append(Role::Recorder, &step("stepped_up", 2, 4)).unwrap_err();
        assert!(up.0.contains("front door's decision"), "{up}");
        assert!(may_append(Role::Recorder, &step("stepped_down", 4, 2)).is_err());
        assert!(may_append(Role::Recorder, &step("stepped_down", 4, 1)).is_err());
    }

    #[test]
    fn recorders_close_cases_only_below_tier_3() {
        let closed = testing::case_closed().build();
        assert!(may_append_at(Role::Recorder, &closed, tier(2)).is_ok());
        assert!(may_append_at(Role::Recorder, &closed, tier(3)).is_err());
        let e = may_append_at(Role::Recorder, &closed, tier(4)).unwrap_err();
        assert!(e.0.contains("at tier 4"), "{e}");
        assert!(may_append_at(Role::FrontDoor, &closed, tier(4)).is_ok());
    }

    #[test]
    fn front_door_types_are_the_front_doors() {
        let decided = testing::referral_decided().build();
        let e = may_append(Role::Recorder, &decided).unwrap_err();
        assert!(e.0.contains("front door only"), "{e}");
        assert!(may_append(Role::FrontDoor, &decided).is_ok());
        for r in [Role::Auditor, Role::Inspector, Role::Admin] {
            assert!(may_append(r, &decided).is_err());
            assert!(may_append(r, &step("stepped_up", 1, 2)).is_err());
        }
    }
}
