//! Every record type's `data` (docs/RECORDS.md), as typed values parsed with unknown fields
//! refused.
//!
//! One struct per type, named after the event it becomes (`ReferralMade`); the enum
//! [`RecordData`] holds any of them and [`RecordType`] names them. Parsing checks shapes only:
//! a missing field, a wrong type, an unknown field or value, a score out of range, a census code
//! not on its list, an empty list that must have one entry. Whether an id exists, a level is
//! allowed or a consent was given are rules checked against the child's state elsewhere.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::codes::{AssessmentFactor, PrimaryNeed, ReferralSource};
use crate::error::Invalid;
use crate::level::Level;
use crate::registration::ChildDetailsChanges;
use crate::shapes::{self, Action, ChildVoice, FamilyMember, Party, Person, Scaling, Text};

/// A list that must hold at least one item (`participants`, `concerns`, `shared_with`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<T>", into = "Vec<T>")]
#[serde(bound(
    deserialize = "T: Deserialize<'de>",
    serialize = "T: Serialize + Clone"
))]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Never true: kept for clippy's sake beside `len`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> TryFrom<Vec<T>> for NonEmpty<T> {
    type Error = String;
    fn try_from(v: Vec<T>) -> Result<Self, Self::Error> {
        if v.is_empty() {
            Err("needs at least one entry".to_owned())
        } else {
            Ok(NonEmpty(v))
        }
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(n: NonEmpty<T>) -> Vec<T> {
        n.0
    }
}

// --- Registration ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildDetailsUpdated {
    pub changes: ChildDetailsChanges,
    pub reason: Text,
}

// --- Conversations and assessment ------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    WithFamily,
    WithChild,
    BetweenPractitioners,
    FrontDoorConsultation,
    TeamAroundTheFamily,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    pub advised: Text,
    pub rationale: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationRecorded {
    pub conversation_id: Uuid,
    pub kind: ConversationKind,
    pub participants: NonEmpty<Party>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worries: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_well: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_to_happen: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Vec<Scaling>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinions: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_voice: Option<ChildVoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about_referral_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    Screening,
    EarlyHelpAssessment,
    FamilySupportAssessment,
    SingleAssessment,
    #[serde(rename = "section_47_assessment")]
    Section47Assessment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRef {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedsAssessed {
    pub assessment_id: Uuid,
    pub assessment: AssessmentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Vec<IndicatorRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_47_indicators: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strengths: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_voice: Option<ChildVoice>,
    pub decided_level: Level,
    pub rationale: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_seen: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<AssessmentFactor>>,
    /// Added by the server from the framework's catalogue; refused if a client sends it.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub suggested: Option<crate::suggestion::Suggestion>,
}

impl NeedsAssessed {
    /// The codes of the indicators and of the section 47 indicators named: what the
    /// framework's suggestion is asked for, and what a report reads tags from.
    pub fn indicator_codes(&self) -> (Vec<&str>, Vec<&str>) {
        let codes = self
            .indicators
            .iter()
            .flatten()
            .map(|i| i.code.as_str())
            .collect();
        let s47 = self
            .section_47_indicators
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        (codes, s47)
    }
}

// --- Consent and information sharing ------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    EarlyHelp,
    FamilySupportProcess,
    Referral,
    InformationSharing,
    Service,
    StepDown,
    Assessment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSought {
    pub consent_id: Uuid,
    pub purpose: ConsentPurpose,
    pub sought_from: FamilyMember,
    pub explained: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agencies: Option<Vec<Text>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information: Option<Vec<Text>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentGiven {
    pub consent_id: Uuid,
    pub given_by: FamilyMember,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ConsentScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRefused {
    pub consent_id: Uuid,
    pub refused_by: FamilyMember,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons_given: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentWithdrawn {
    pub consent_id: Uuid,
    pub withdrawn_by: FamilyMember,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispensationGround {
    RiskToChild,
    RiskToOthers,
    RiskToReferrer,
    WouldUndermineCriminalInvestigation,
    DelayWouldIncreaseRisk,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDispensedWith {
    pub consent_id: Uuid,
    pub purpose: ConsentPurpose,
    pub grounds: NonEmpty<DispensationGround>,
    pub reasons: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_not_possible_reason: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformationShared {
    pub purpose: Text,
    pub shared_with: NonEmpty<Text>,
    pub what: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_consent_reason: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformationWithheld {
    pub what: Text,
    /// `family` or an agency.
    pub withheld_from: Text,
    pub reason: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_by: Option<NaiveDate>,
}

// --- Referrals and the front door -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralTo {
    FrontDoor,
    EarlyHelpHub,
}

/// How consent stands for a referral: given, dispensed with, or refused and proceeding anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum ReferralConsent {
    Given {
        consent_id: Uuid,
    },
    Dispensed {
        dispensed_consent_id: Uuid,
    },
    RefusedProceeding {
        refused_consent_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proceeding_reason: Option<Text>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        front_door_told_consent_withheld: Option<bool>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralMade {
    pub referral_id: Uuid,
    pub to: ReferralTo,
    pub concerns: NonEmpty<Text>,
    pub immediate_risk: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_location: Option<Text>,
    pub family_aware: bool,
    pub consent: ReferralConsent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReferralSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralDecision {
    NoFurtherAction,
    AdviceAndSignposting,
    EarlyHelp,
    TargetedEarlyHelp,
    ChildInNeedAssessment,
    StrategyDiscussion,
    EmergencyProtection,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct How {
    pub how: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralDecided {
    pub referral_id: Uuid,
    pub decision: ReferralDecision,
    pub decided_level: Level,
    pub rationale: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_need: Option<PrimaryNeed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_informed: Option<How>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferrerInformed {
    pub referral_id: Uuid,
    pub how: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyInformed {
    pub about_event_id: Uuid,
    pub how: Text,
    pub by: Person,
}

// --- Tiers, lead workers, services, plans ------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepReasonKind {
    Indicators,
    Assessment,
    Incident,
    Disclosure,
    PlanNotWorking,
    NeedsMet,
    ConsentRefused,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepReason {
    pub kind: StepReasonKind,
    pub detail: Text,
}

/// `stepped_up` and `stepped_down` carry the same fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub from: Level,
    pub to: Level,
    pub reasons: NonEmpty<StepReason>,
    pub rationale: Text,
    pub decided_by: Person,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuing_services: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_informed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadWorkerAssigned {
    pub lead_worker: Person,
    /// The team the lead worker works in (Ofsted's Annex A "Allocated Team").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_with_family: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceStarted {
    pub service_id: Uuid,
    pub service: Text,
    pub provider: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_informed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceEnded {
    pub service_id: Uuid,
    pub reason: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_in_plan_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_informed: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    FamilySupportPlan,
    EarlyHelpPlan,
    ChildInNeedPlan,
    ChildProtectionPlan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanCategory {
    Neglect,
    PhysicalAbuse,
    EmotionalAbuse,
    SexualAbuse,
    Multiple,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStarted {
    pub plan_id: Uuid,
    pub kind: PlanKind,
    pub lead: Person,
    pub review_by: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<PlanCategory>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanReviewed {
    pub plan_id: Uuid,
    pub progress: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Vec<Scaling>>,
    pub next_review_by: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanEndReason {
    NeedsMet,
    SteppedUp,
    SteppedDown,
    MovedAway,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEnded {
    pub plan_id: Uuid,
    pub reason: PlanEndReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

// --- Child protection ----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyDecision {
    #[serde(rename = "section_47_enquiry")]
    Section47Enquiry,
    #[serde(rename = "no_section_47")]
    NoSection47,
    ImmediateProtection,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyDiscussionHeld {
    pub strategy_discussion_id: Uuid,
    pub participants: NonEmpty<Person>,
    pub decision: StrategyDecision,
    pub rationale: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section47EnquiryStarted {
    pub enquiry_id: Uuid,
    pub strategy_discussion_id: Uuid,
    pub lead: Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnquiryOutcome {
    ConferenceNeeded,
    SubstantiatedNoConference,
    NotSubstantiated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section47EnquiryConcluded {
    pub enquiry_id: Uuid,
    pub outcome: EnquiryOutcome,
    pub rationale: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConferenceKind {
    Initial,
    Review,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConferenceOutcome {
    PlanStarted,
    PlanContinued,
    PlanEnded,
    NoPlan,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildProtectionConferenceHeld {
    pub conference_id: Uuid,
    pub kind: ConferenceKind,
    pub chair: Person,
    pub attendees: NonEmpty<Text>,
    pub outcome: ConferenceOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<PlanCategory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_voice: Option<ChildVoice>,
}

// --- Professional disagreement ------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisagreementRaised {
    pub disagreement_id: Uuid,
    pub about_event_id: Uuid,
    pub raised_by: Person,
    pub position: Text,
    pub desired_outcome: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub party: Person,
    pub position: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisagreementEscalated {
    pub disagreement_id: Uuid,
    pub to_stage: u8,
    pub escalated_by: Person,
    pub positions: NonEmpty<Position>,
    pub reason: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementOutcome {
    DecisionUpheld,
    DecisionChanged,
    Withdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisagreementResolved {
    pub disagreement_id: Uuid,
    pub outcome: DisagreementOutcome,
    pub resolution: Text,
    pub resolved_by: Person,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_event_id: Option<Uuid>,
}

// --- Corrections and case status -----------------------------------------------------------

/// The corrected data stays JSON here: it is parsed as the corrected record's own type once
/// that type is known (from the child's history), so its errors carry that type's paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCorrected {
    pub corrects_event_id: Uuid,
    pub reason: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_data: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retract: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseClosed {
    pub reason: Text,
    pub closed_by: Person,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure_reason: Option<ClosureReason>,
}

/// Children in Need census reason for closure, `RC1` to `RC9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClosureReason {
    RC1,
    RC2,
    RC3,
    RC4,
    RC5,
    RC6,
    RC7,
    RC8,
    RC9,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseReopened {
    pub reason: Text,
}

// --- The closed set of record types --------------------------------------------------------

/// Every record type an agency may post (`child_registered` is written by registration only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    // serde's snake_case writes `Section47` as `section47`; the contract spells `section_47`.
    ChildDetailsUpdated,
    ConversationRecorded,
    NeedsAssessed,
    ConsentSought,
    ConsentGiven,
    ConsentRefused,
    ConsentWithdrawn,
    ConsentDispensedWith,
    InformationShared,
    InformationWithheld,
    ReferralMade,
    ReferralDecided,
    ReferrerInformed,
    FamilyInformed,
    SteppedUp,
    SteppedDown,
    LeadWorkerAssigned,
    ServiceStarted,
    ServiceEnded,
    PlanStarted,
    PlanReviewed,
    PlanEnded,
    StrategyDiscussionHeld,
    #[serde(rename = "section_47_enquiry_started")]
    Section47EnquiryStarted,
    #[serde(rename = "section_47_enquiry_concluded")]
    Section47EnquiryConcluded,
    ChildProtectionConferenceHeld,
    DisagreementRaised,
    DisagreementEscalated,
    DisagreementResolved,
    RecordCorrected,
    CaseClosed,
    CaseReopened,
}

impl RecordType {
    pub const ALL: &'static [RecordType] = &[
        RecordType::ChildDetailsUpdated,
        RecordType::ConversationRecorded,
        RecordType::NeedsAssessed,
        RecordType::ConsentSought,
        RecordType::ConsentGiven,
        RecordType::ConsentRefused,
        RecordType::ConsentWithdrawn,
        RecordType::ConsentDispensedWith,
        RecordType::InformationShared,
        RecordType::InformationWithheld,
        RecordType::ReferralMade,
        RecordType::ReferralDecided,
        RecordType::ReferrerInformed,
        RecordType::FamilyInformed,
        RecordType::SteppedUp,
        RecordType::SteppedDown,
        RecordType::LeadWorkerAssigned,
        RecordType::ServiceStarted,
        RecordType::ServiceEnded,
        RecordType::PlanStarted,
        RecordType::PlanReviewed,
        RecordType::PlanEnded,
        RecordType::StrategyDiscussionHeld,
        RecordType::Section47EnquiryStarted,
        RecordType::Section47EnquiryConcluded,
        RecordType::ChildProtectionConferenceHeld,
        RecordType::DisagreementRaised,
        RecordType::DisagreementEscalated,
        RecordType::DisagreementResolved,
        RecordType::RecordCorrected,
        RecordType::CaseClosed,
        RecordType::CaseReopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::ChildDetailsUpdated => "child_details_updated",
            RecordType::ConversationRecorded => "conversation_recorded",
            RecordType::NeedsAssessed => "needs_assessed",
            RecordType::ConsentSought => "consent_sought",
            RecordType::ConsentGiven => "consent_given",
            RecordType::ConsentRefused => "consent_refused",
            RecordType::ConsentWithdrawn => "consent_withdrawn",
            RecordType::ConsentDispensedWith => "consent_dispensed_with",
            RecordType::InformationShared => "information_shared",
            RecordType::InformationWithheld => "information_withheld",
            RecordType::ReferralMade => "referral_made",
            RecordType::ReferralDecided => "referral_decided",
            RecordType::ReferrerInformed => "referrer_informed",
            RecordType::FamilyInformed => "family_informed",
            RecordType::SteppedUp => "stepped_up",
            RecordType::SteppedDown => "stepped_down",
            RecordType::LeadWorkerAssigned => "lead_worker_assigned",
            RecordType::ServiceStarted => "service_started",
            RecordType::ServiceEnded => "service_ended",
            RecordType::PlanStarted => "plan_started",
            RecordType::PlanReviewed => "plan_reviewed",
            RecordType::PlanEnded => "plan_ended",
            RecordType::StrategyDiscussionHeld => "strategy_discussion_held",
            RecordType::Section47EnquiryStarted => "section_47_enquiry_started",
            RecordType::Section47EnquiryConcluded => "section_47_enquiry_concluded",
            RecordType::ChildProtectionConferenceHeld => "child_protection_conference_held",
            RecordType::DisagreementRaised => "disagreement_raised",
            RecordType::DisagreementEscalated => "disagreement_escalated",
            RecordType::DisagreementResolved => "disagreement_resolved",
            RecordType::RecordCorrected => "record_corrected",
            RecordType::CaseClosed => "case_closed",
            RecordType::CaseReopened => "case_reopened",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name is not a record type an agency may post.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a record type; see docs/RECORDS.md for the types")]
pub struct UnknownRecordType(pub String);

impl FromStr for RecordType {
    type Err = UnknownRecordType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownRecordType(s.to_owned()))
    }
}

/// Any record's data, typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RecordData {
    ChildDetailsUpdated(ChildDetailsUpdated),
    ConversationRecorded(ConversationRecorded),
    NeedsAssessed(NeedsAssessed),
    ConsentSought(ConsentSought),
    ConsentGiven(ConsentGiven),
    ConsentRefused(ConsentRefused),
    ConsentWithdrawn(ConsentWithdrawn),
    ConsentDispensedWith(ConsentDispensedWith),
    InformationShared(InformationShared),
    InformationWithheld(InformationWithheld),
    ReferralMade(ReferralMade),
    ReferralDecided(ReferralDecided),
    ReferrerInformed(ReferrerInformed),
    FamilyInformed(FamilyInformed),
    SteppedUp(Step),
    SteppedDown(Step),
    LeadWorkerAssigned(LeadWorkerAssigned),
    ServiceStarted(ServiceStarted),
    ServiceEnded(ServiceEnded),
    PlanStarted(PlanStarted),
    PlanReviewed(PlanReviewed),
    PlanEnded(PlanEnded),
    StrategyDiscussionHeld(StrategyDiscussionHeld),
    Section47EnquiryStarted(Section47EnquiryStarted),
    Section47EnquiryConcluded(Section47EnquiryConcluded),
    ChildProtectionConferenceHeld(ChildProtectionConferenceHeld),
    DisagreementRaised(DisagreementRaised),
    DisagreementEscalated(DisagreementEscalated),
    DisagreementResolved(DisagreementResolved),
    RecordCorrected(RecordCorrected),
    CaseClosed(CaseClosed),
    CaseReopened(CaseReopened),
}

impl RecordData {
    /// Parses `data` as a `record_type`, reporting shape errors at `data.…` paths.
    pub fn parse(record_type: RecordType, data: serde_json::Value) -> Result<RecordData, Invalid> {
        RecordData::parse_as(shapes::Parse::Client, record_type, data)
    }

    fn parse_as(
        how: shapes::Parse,
        record_type: RecordType,
        data: serde_json::Value,
    ) -> Result<RecordData, Invalid> {
        Ok(match record_type {
            RecordType::ChildDetailsUpdated => {
                RecordData::ChildDetailsUpdated(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ConversationRecorded => {
                RecordData::ConversationRecorded(shapes::parse_as(how, data, "data")?)
            }
            RecordType::NeedsAssessed => {
                RecordData::NeedsAssessed(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ConsentSought => {
                RecordData::ConsentSought(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ConsentGiven => {
                RecordData::ConsentGiven(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ConsentRefused => {
                RecordData::ConsentRefused(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ConsentWithdrawn => {
                RecordData::ConsentWithdrawn(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ConsentDispensedWith => {
                RecordData::ConsentDispensedWith(shapes::parse_as(how, data, "data")?)
            }
            RecordType::InformationShared => {
                RecordData::InformationShared(shapes::parse_as(how, data, "data")?)
            }
            RecordType::InformationWithheld => {
                RecordData::InformationWithheld(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ReferralMade => {
                RecordData::ReferralMade(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ReferralDecided => {
                RecordData::ReferralDecided(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ReferrerInformed => {
                RecordData::ReferrerInformed(shapes::parse_as(how, data, "data")?)
            }
            RecordType::FamilyInformed => {
                RecordData::FamilyInformed(shapes::parse_as(how, data, "data")?)
            }
            RecordType::SteppedUp => RecordData::SteppedUp(shapes::parse_as(how, data, "data")?),
            RecordType::SteppedDown => {
                RecordData::SteppedDown(shapes::parse_as(how, data, "data")?)
            }
            RecordType::LeadWorkerAssigned => {
                RecordData::LeadWorkerAssigned(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ServiceStarted => {
                RecordData::ServiceStarted(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ServiceEnded => {
                RecordData::ServiceEnded(shapes::parse_as(how, data, "data")?)
            }
            RecordType::PlanStarted => {
                RecordData::PlanStarted(shapes::parse_as(how, data, "data")?)
            }
            RecordType::PlanReviewed => {
                RecordData::PlanReviewed(shapes::parse_as(how, data, "data")?)
            }
            RecordType::PlanEnded => RecordData::PlanEnded(shapes::parse_as(how, data, "data")?),
            RecordType::StrategyDiscussionHeld => {
                RecordData::StrategyDiscussionHeld(shapes::parse_as(how, data, "data")?)
            }
            RecordType::Section47EnquiryStarted => {
                RecordData::Section47EnquiryStarted(shapes::parse_as(how, data, "data")?)
            }
            RecordType::Section47EnquiryConcluded => {
                RecordData::Section47EnquiryConcluded(shapes::parse_as(how, data, "data")?)
            }
            RecordType::ChildProtectionConferenceHeld => {
                RecordData::ChildProtectionConferenceHeld(shapes::parse_as(how, data, "data")?)
            }
            RecordType::DisagreementRaised => {
                RecordData::DisagreementRaised(shapes::parse_as(how, data, "data")?)
            }
            RecordType::DisagreementEscalated => {
                RecordData::DisagreementEscalated(shapes::parse_as(how, data, "data")?)
            }
            RecordType::DisagreementResolved => {
                RecordData::DisagreementResolved(shapes::parse_as(how, data, "data")?)
            }
            RecordType::RecordCorrected => {
                RecordData::RecordCorrected(shapes::parse_as(how, data, "data")?)
            }
            RecordType::CaseClosed => RecordData::CaseClosed(shapes::parse_as(how, data, "data")?),
            RecordType::CaseReopened => {
                RecordData::CaseReopened(shapes::parse_as(how, data, "data")?)
            }
        })
    }

    /// Parses data as stored, which may carry what the server added (a `needs_assessed`'s
    /// `suggested`), refused when a client sends it.
    pub fn parse_stored(
        record_type: RecordType,
        mut data: serde_json::Value,
    ) -> Result<RecordData, Invalid> {
        let suggested = match (record_type, data.as_object_mut()) {
            (RecordType::NeedsAssessed, Some(map)) => map.remove("suggested"),
            _ => None,
        };
        let mut parsed = RecordData::parse_as(shapes::Parse::Stored, record_type, data)?;
        if let (RecordData::NeedsAssessed(n), Some(s)) = (&mut parsed, suggested) {
            n.suggested = shapes::parse_stored(s, "data.suggested")?;
        }
        Ok(parsed)
    }

    pub fn record_type(&self) -> RecordType {
        match self {
            RecordData::ChildDetailsUpdated(_) => RecordType::ChildDetailsUpdated,
            RecordData::ConversationRecorded(_) => RecordType::ConversationRecorded,
            RecordData::NeedsAssessed(_) => RecordType::NeedsAssessed,
            RecordData::ConsentSought(_) => RecordType::ConsentSought,
            RecordData::ConsentGiven(_) => RecordType::ConsentGiven,
            RecordData::ConsentRefused(_) => RecordType::ConsentRefused,
            RecordData::ConsentWithdrawn(_) => RecordType::ConsentWithdrawn,
            RecordData::ConsentDispensedWith(_) => RecordType::ConsentDispensedWith,
            RecordData::InformationShared(_) => RecordType::InformationShared,
            RecordData::InformationWithheld(_) => RecordType::InformationWithheld,
            RecordData::ReferralMade(_) => RecordType::ReferralMade,
            RecordData::ReferralDecided(_) => RecordType::ReferralDecided,
            RecordData::ReferrerInformed(_) => RecordType::ReferrerInformed,
            RecordData::FamilyInformed(_) => RecordType::FamilyInformed,
            RecordData::SteppedUp(_) => RecordType::SteppedUp,
            RecordData::SteppedDown(_) => RecordType::SteppedDown,
            RecordData::LeadWorkerAssigned(_) => RecordType::LeadWorkerAssigned,
            RecordData::ServiceStarted(_) => RecordType::ServiceStarted,
            RecordData::ServiceEnded(_) => RecordType::ServiceEnded,
            RecordData::PlanStarted(_) => RecordType::PlanStarted,
            RecordData::PlanReviewed(_) => RecordType::PlanReviewed,
            RecordData::PlanEnded(_) => RecordType::PlanEnded,
            RecordData::StrategyDiscussionHeld(_) => RecordType::StrategyDiscussionHeld,
            RecordData::Section47EnquiryStarted(_) => RecordType::Section47EnquiryStarted,
            RecordData::Section47EnquiryConcluded(_) => RecordType::Section47EnquiryConcluded,
            RecordData::ChildProtectionConferenceHeld(_) => {
                RecordType::ChildProtectionConferenceHeld
            }
            RecordData::DisagreementRaised(_) => RecordType::DisagreementRaised,
            RecordData::DisagreementEscalated(_) => RecordType::DisagreementEscalated,
            RecordData::DisagreementResolved(_) => RecordType::DisagreementResolved,
            RecordData::RecordCorrected(_) => RecordType::RecordCorrected,
            RecordData::CaseClosed(_) => RecordType::CaseClosed,
            RecordData::CaseReopened(_) => RecordType::CaseReopened,
        }
    }

    /// The data as stored: JSON of the typed value (absent optional fields left out).
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising these plain structs cannot fail: every key is a string and no value is
        // a float NaN; an error here would be a bug in a derive, so it degrades to null.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn person() -> Value {
        json!({ "name": "A Practitioner", "role": "social_worker", "agency": "front_door:norfolk-mash" })
    }
    fn mother() -> Value {
        json!({ "relationship": "mother" })
    }
    fn id() -> String {
        Uuid::new_v4().to_string()
    }
    fn level(tier: u8) -> Value {
        json!({ "tier": tier })
    }

    /// A small valid `data` for every record type.
    fn example(t: RecordType) -> Value {
        use RecordType::*;
        match t {
            ChildDetailsUpdated => {
                json!({ "changes": { "locality": "Great Yarmouth" }, "reason": "moved house" })
            }
            ConversationRecorded => {
                json!({ "conversation_id": id(), "kind": "with_child", "participants": [{ "relationship": "child" }], "worries": ["hungry at school"] })
            }
            NeedsAssessed => {
                json!({ "assessment_id": id(), "assessment": "early_help_assessment", "decided_level": level(2), "rationale": "needs met with early help" })
            }
            ConsentSought => {
                json!({ "consent_id": id(), "purpose": "referral", "sought_from": mother(), "explained": "what a referral is and who sees it" })
            }
            ConsentGiven => json!({ "consent_id": id(), "given_by": mother() }),
            ConsentRefused => json!({ "consent_id": id(), "refused_by": mother() }),
            ConsentWithdrawn => json!({ "consent_id": id(), "withdrawn_by": mother() }),
            ConsentDispensedWith => {
                json!({ "consent_id": id(), "purpose": "referral", "grounds": ["risk_to_child"], "reasons": "asking would put the child at risk", "approved_by": person() })
            }
            InformationShared => {
                json!({ "purpose": "referral", "shared_with": ["police:norfolk"], "what": "the referral", "without_consent_reason": "risk to the child" })
            }
            InformationWithheld => {
                json!({ "what": "police enquiry", "withheld_from": "family", "reason": "criminal investigation" })
            }
            ReferralMade => {
                json!({ "referral_id": id(), "to": "front_door", "concerns": ["bruising"], "immediate_risk": false, "family_aware": true, "consent": { "consent_id": id() } })
            }
            ReferralDecided => {
                json!({ "referral_id": id(), "decision": "early_help", "decided_level": level(2), "rationale": "early help can meet the need" })
            }
            ReferrerInformed => json!({ "referral_id": id(), "how": "phone call" }),
            FamilyInformed => json!({ "about_event_id": id(), "how": "letter", "by": person() }),
            SteppedUp => {
                json!({ "from": level(1), "to": level(2), "reasons": [{ "kind": "indicators", "detail": "several needs" }], "rationale": "r", "decided_by": person() })
            }
            SteppedDown => {
                json!({ "from": level(2), "to": level(1), "reasons": [{ "kind": "needs_met", "detail": "plan worked" }], "rationale": "r", "decided_by": person() })
            }
            LeadWorkerAssigned => json!({ "lead_worker": person() }),
            ServiceStarted => {
                json!({ "service_id": id(), "service": "parenting group", "provider": "council:early-help" })
            }
            ServiceEnded => json!({ "service_id": id(), "reason": "completed" }),
            PlanStarted => {
                json!({ "plan_id": id(), "kind": "early_help_plan", "lead": person(), "review_by": "2026-12-20" })
            }
            PlanReviewed => {
                json!({ "plan_id": id(), "progress": "better", "next_review_by": "2027-01-20" })
            }
            PlanEnded => json!({ "plan_id": id(), "reason": "needs_met" }),
            StrategyDiscussionHeld => {
                json!({ "strategy_discussion_id": id(), "participants": [person(), person()], "decision": "section_47_enquiry", "rationale": "r" })
            }
            Section47EnquiryStarted => {
                json!({ "enquiry_id": id(), "strategy_discussion_id": id(), "lead": person() })
            }
            Section47EnquiryConcluded => {
                json!({ "enquiry_id": id(), "outcome": "not_substantiated", "rationale": "r" })
            }
            ChildProtectionConferenceHeld => {
                json!({ "conference_id": id(), "kind": "initial", "chair": person(), "attendees": ["police:norfolk"], "outcome": "no_plan" })
            }
            DisagreementRaised => {
                json!({ "disagreement_id": id(), "about_event_id": id(), "raised_by": person(), "position": "p", "desired_outcome": "o" })
            }
            DisagreementEscalated => {
                json!({ "disagreement_id": id(), "to_stage": 2, "escalated_by": person(), "positions": [{ "party": person(), "position": "p" }], "reason": "r" })
            }
            DisagreementResolved => {
                json!({ "disagreement_id": id(), "outcome": "decision_upheld", "resolution": "r", "resolved_by": person() })
            }
            RecordCorrected => {
                json!({ "corrects_event_id": id(), "reason": "typo", "retract": true })
            }
            CaseClosed => {
                json!({ "reason": "needs met", "closed_by": person(), "closure_reason": "RC8" })
            }
            CaseReopened => json!({ "reason": "new concerns" }),
        }
    }

    #[test]
    fn every_type_has_a_name_that_round_trips() {
        for t in RecordType::ALL {
            assert_eq!(t.as_str().parse::<RecordType>().unwrap(), *t);
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                json!(t.as_str()),
                "serde and as_str agree"
            );
        }
        assert!(
            "child_registered".parse::<RecordType>().is_err(),
            "registration is not postable"
        );
    }

    #[test]
    fn a_valid_example_of_every_type_parses_and_keeps_its_type() {
        for t in RecordType::ALL {
            let data = RecordData::parse(*t, example(*t)).unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(data.record_type(), *t);
            // What is stored parses back to the same value.
            assert_eq!(RecordData::parse(*t, data.to_json()).unwrap(), data, "{t}");
        }
    }

    #[test]
    fn an_unknown_field_is_refused_at_its_path_for_every_type() {
        for t in RecordType::ALL {
            let mut data = example(*t);
            data["surplus"] = json!(1);
            let e = RecordData::parse(*t, data).unwrap_err();
            assert_eq!(e.kind(), crate::InvalidKind::Shape, "{t}");
            assert_eq!(e.errors()[0].field, "data.surplus", "{t}: {e}");
        }
    }

    #[test]
    fn a_missing_field_a_bad_value_and_an_empty_list_name_their_paths() {
        let mut d = example(RecordType::ReferralMade);
        d.as_object_mut().unwrap().remove("concerns");
        let e = RecordData::parse(RecordType::ReferralMade, d).unwrap_err();
        assert_eq!(e.errors()[0].field, "data.concerns");

        let mut d = example(RecordType::ReferralDecided);
        d["decision"] = json!("send_a_letter");
        let e = RecordData::parse(RecordType::ReferralDecided, d).unwrap_err();
        assert_eq!(e.errors()[0].field, "data.decision");
        assert!(e.errors()[0].message.contains("no_further_action"), "{e}");

        let mut d = example(RecordType::StrategyDiscussionHeld);
        d["participants"] = json!([]);
        let e = RecordData::parse(RecordType::StrategyDiscussionHeld, d).unwrap_err();
        assert_eq!(e.errors()[0].field, "data.participants");

        let mut d = example(RecordType::ReferralMade);
        d["source"] = json!("99");
        let e = RecordData::parse(RecordType::ReferralMade, d).unwrap_err();
        assert_eq!(e.errors()[0].field, "data.source");
    }

    #[test]
    fn referral_consent_takes_exactly_one_of_its_forms() {
        let mut d = example(RecordType::ReferralMade);
        d["consent"] = json!({ "consent_id": id(), "refused_consent_id": id() });
        assert!(RecordData::parse(RecordType::ReferralMade, d).is_err());
        let mut d = example(RecordType::ReferralMade);
        d["consent"] = json!({ "refused_consent_id": id(), "proceeding_reason": "risk", "front_door_told_consent_withheld": true });
        assert!(RecordData::parse(RecordType::ReferralMade, d).is_ok());
    }

    #[test]
    fn a_client_cannot_send_the_suggestion() {
        let mut d = example(RecordType::NeedsAssessed);
        d["suggested"] = json!({ "level": { "tier": 4 } });
        assert!(RecordData::parse(RecordType::NeedsAssessed, d).is_err());
    }
}
