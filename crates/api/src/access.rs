//! Who may do what: docs/CONTRACT.md's table, as data, enforced from here and nowhere else.
//!
//! Every handler names the [`Action`] it performs and asks [`authorize`]; the answer is a
//! [`Scope`] that, for a recorder reading a child, still has to be checked against the child's
//! folded state ([`Scope::check_child`]: its agency's standing) and narrows what it sees
//! ([`Sight`]: its own agency's records and what was shared with it). Which *record types* a role may append is the domain's
//! table (`domain::access`), consulted by the append path; this module does not know record
//! types.

use domain::child::ChildState;

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
    /// The Children in Need census (child ids, dates of birth).
    ProduceCinCensus,
    /// Ofsted's Annex A lists.
    ProduceAnnexA,
    ManageTokens,
    RebuildProjections,
}

impl Action {
    pub const ALL: [Action; 14] = [
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
        Action::ProduceCinCensus,
        Action::ProduceAnnexA,
        Action::ManageTokens,
        Action::RebuildProjections,
    ];
}

/// How far an allowed action reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Any child (or no child is involved).
    All,
    /// Only children the caller's agency has standing with (docs/CONTRACT.md), and of those only
    /// its own agency's records and what was shared with it.
    ChildrenOwnAgencyHasStandingWith,
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
            Some(Scope::ChildrenOwnAgencyHasStandingWith)
        }
        (ReadCase | ReadJourney | ReadConsent, FrontDoor | Auditor) => Some(Scope::All),
        (ReadAudit, Auditor) => Some(Scope::All),
        (ReadEvents | LookupByIdentifier, FrontDoor | Auditor) => Some(Scope::All),
        (ReadDisagreements, Recorder) => Some(Scope::DisagreementsOwnAgencyIsPartyTo),
        (ReadDisagreements, FrontDoor | Auditor) => Some(Scope::All),
        (ReadInspectionReport, FrontDoor | Auditor) => Some(Scope::All),
        (ReadInspectionReport, Inspector) => Some(Scope::PseudonymsOnly),
        (ProduceCinCensus | ProduceAnnexA, FrontDoor | Auditor) => Some(Scope::All),
        // An inspector's Annex A shows the report's pseudonyms and months of birth only.
        (ProduceAnnexA, Inspector) => Some(Scope::PseudonymsOnly),
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
    /// For a read of one child: whether the caller's agency may see this child, and what of
    /// its records. Recording about a child grants no read: only standing does.
    pub fn check_child(self, agency: &str, child: &ChildState) -> Result<Sight, ApiError> {
        match self {
            Scope::ChildrenOwnAgencyHasStandingWith => {
                if child.has_standing(agency) {
                    Ok(Sight::OwnAgency(agency.to_owned()))
                } else {
                    Err(ApiError::new(
                        ErrorKind::Forbidden,
                        format!(
                            "{agency} has no standing with this child, so may not read its record: an agency has standing when it registered the child, made a referral about them, was named in an information_shared record, provides one of their services, leads or owns an action in one of their open plans, or is the lead worker's agency; recording about a child grants no read"
                        ),
                    ))
                }
            }
            _ => Ok(Sight::All),
        }
    }
}

/// What of a child's records a caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sight {
    /// Every record.
    All,
    /// A recorder with standing: the records its own agency made, and `information_shared`
    /// records that name it in `shared_with`.
    OwnAgency(String),
}

impl Sight {
    /// Whether a record recorded by `recorded_by` (a person, as JSON), of `record_type` with
    /// `data`, is in sight.
    pub fn sees(
        &self,
        recorded_by: &serde_json::Value,
        record_type: &str,
        data: &serde_json::Value,
    ) -> bool {
        let Sight::OwnAgency(agency) = self else {
            return true;
        };
        if recorded_by.get("agency").and_then(|a| a.as_str()) == Some(agency.as_str()) {
            return true;
        }
        record_type == "information_shared"
            && data
                .get("shared_with")
                .and_then(|w| w.as_array())
                .is_some_and(|w| w.iter().any(|a| a.as_str() == Some(agency.as_str())))
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
        Action::ProduceCinCensus => "produce the Children in Need census",
        Action::ProduceAnnexA => "produce Ofsted's Annex A",
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
    fn a_recorder_reads_only_children_its_agency_has_standing_with() {
        let s = scope(Role::Recorder, Action::ReadCase).unwrap();
        let mut child = ChildState::default();
        child.agencies.insert("school:a".to_owned());
        assert!(
            s.check_child("school:a", &child).is_err(),
            "recording grants no read"
        );
        child.registered_by = Some("school:a".to_owned());
        assert_eq!(
            s.check_child("school:a", &child).unwrap(),
            Sight::OwnAgency("school:a".to_owned())
        );
        assert!(s.check_child("police:b", &child).is_err());
        let all = scope(Role::Auditor, Action::ReadCase).unwrap();
        assert_eq!(all.check_child("audit:x", &child).unwrap(), Sight::All);
    }

    #[test]
    fn a_recorder_sees_its_own_records_and_what_was_shared_with_it() {
        use serde_json::json;
        let sight = Sight::OwnAgency("school:a".to_owned());
        let by = |a: &str| json!({ "name": "N", "role": "r", "agency": a });
        assert!(sight.sees(&by("school:a"), "conversation_recorded", &json!({})));
        assert!(!sight.sees(&by("police:b"), "conversation_recorded", &json!({})));
        assert!(sight.sees(
            &by("police:b"),
            "information_shared",
            &json!({ "shared_with": ["health:c", "school:a"] })
        ));
        assert!(!sight.sees(
            &by("police:b"),
            "information_shared",
            &json!({ "shared_with": ["health:c"] })
        ));
        assert!(Sight::All.sees(&by("police:b"), "referral_made", &json!({})));
    }
}
