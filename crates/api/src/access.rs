//! Who may do what: CONTRACT.md's table, as data, enforced from here and nowhere else.
//!
//! Every handler names the [`Action`] it performs and asks [`authorize`]; the answer is a
//! [`Scope`] that, for a recorder reading a child, still has to be checked against the child's
//! events ([`Scope::check_child`]). Which *record types* a role may append is the domain's
//! table (`domain::access`), consulted by the append path; this module does not know record
//! types.

use crate::problem::{ApiError, ErrorKind};

/// The role a token holds: the domain's, so the role table for records and the one for routes
/// speak of the same roles.
pub use domain::access::Role;

/// What a route does, in the words of the contract's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    RegisterChild,
    AppendRecords,
    ReadCase,
    ReadJourney,
    ReadConsent,
    ReadAudit,
    ReadEvents,
    LookupByIdentifier,
    ReadDisagreements,
    ReadInspectionReport,
    ManageTokens,
    RebuildProjections,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::RegisterChild,
        Action::AppendRecords,
        Action::ReadCase,
        Action::ReadJourney,
        Action::ReadConsent,
        Action::ReadAudit,
        Action::ReadEvents,
        Action::LookupByIdentifier,
        Action::ReadDisagreements,
        Action::ReadInspectionReport,
        Action::ManageTokens,
        Action::RebuildProjections,
    ];
}

/// How far an allowed action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Any child (or no child is involved).
    All,
    /// Only children the caller's agency has recorded on.
    ChildrenOwnAgencyRecordedOn,
    /// Only disagreements the caller's agency raised or is party to.
    DisagreementsOwnAgencyIsPartyTo,
    /// Figures and pseudonyms only.
    PseudonymsOnly,
}

/// The table. `None` is "no".
pub fn scope(role: Role, action: Action) -> Option<Scope> {
    use Action::*;
    use Role::*;
    match (action, role) {
        (RegisterChild | AppendRecords, Recorder | FrontDoor) => Some(Scope::All),
        (ReadCase | ReadJourney | ReadConsent, Recorder) => {
            Some(Scope::ChildrenOwnAgencyRecordedOn)
        }
        (ReadCase | ReadJourney | ReadConsent, FrontDoor | Auditor) => Some(Scope::All),
        (ReadAudit, Auditor) => Some(Scope::All),
        (ReadEvents | LookupByIdentifier, FrontDoor | Auditor) => Some(Scope::All),
        (ReadDisagreements, Recorder) => Some(Scope::DisagreementsOwnAgencyIsPartyTo),
        (ReadDisagreements, FrontDoor | Auditor) => Some(Scope::All),
        (ReadInspectionReport, FrontDoor | Auditor) => Some(Scope::All),
        (ReadInspectionReport, Inspector) => Some(Scope::PseudonymsOnly),
        (ManageTokens | RebuildProjections, Admin) => Some(Scope::All),
        _ => None,
    }
}

/// Whether `role` may perform `action` at all; the 403 names both.
pub fn authorize(role: Role, action: Action) -> Result<Scope, ApiError> {
    scope(role, action).ok_or_else(|| {
        ApiError::new(
            ErrorKind::Forbidden,
            format!("a {role} token may not do this ({})", describe(action)),
        )
    })
}

impl Scope {
    /// For a read of one child: whether the caller's agency may see this child, given the
    /// agencies that have recorded on it.
    pub fn check_child<'a>(
        self,
        agency: &str,
        mut recorded_by_agencies: impl Iterator<Item = &'a str>,
    ) -> Result<(), ApiError> {
        match self {
            Scope::ChildrenOwnAgencyRecordedOn => {
                if recorded_by_agencies.any(|a| a == agency) {
                    Ok(())
                } else {
                    Err(ApiError::new(
                        ErrorKind::Forbidden,
                        format!(
                            "{agency} has not recorded on this child, so may not read its record"
                        ),
                    ))
                }
            }
            _ => Ok(()),
        }
    }
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::RegisterChild => "register a child",
        Action::AppendRecords => "append records",
        Action::ReadCase => "read a child's case",
        Action::ReadJourney => "read a child's journey",
        Action::ReadConsent => "read a child's consent ledger",
        Action::ReadAudit => "read a child's audit trail",
        Action::ReadEvents => "read a child's raw events",
        Action::LookupByIdentifier => "look a child up by identifier",
        Action::ReadDisagreements => "read professional disagreements",
        Action::ReadInspectionReport => "read the inspection report",
        Action::ManageTokens => "manage tokens",
        Action::RebuildProjections => "rebuild projections",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_sees_no_child_data() {
        for a in [
            Action::ReadCase,
            Action::ReadAudit,
            Action::ReadEvents,
            Action::AppendRecords,
        ] {
            assert_eq!(scope(Role::Admin, a), None, "{a:?}");
        }
    }

    #[test]
    fn only_admin_manages_tokens() {
        for r in Role::ALL {
            assert_eq!(
                scope(r, Action::ManageTokens).is_some(),
                r == Role::Admin,
                "{r}"
            );
        }
    }

    #[test]
    fn a_recorder_reads_only_children_its_agency_recorded_on() {
        let s = scope(Role::Recorder, Action::ReadCase).unwrap();
        assert!(s.check_child("school:a", ["school:a"].into_iter()).is_ok());
        assert!(s.check_child("school:a", ["police:b"].into_iter()).is_err());
    }
}
