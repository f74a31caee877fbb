//! Every record type's `data` (docs/RECORDS.md), as typed values parsed with unknown fields
//! refused.
//!
//! One struct per type, named after the event it becomes (`ReferralMade`); the enum
//! [`RecordData`] holds any of them and [`RecordType`] names them. Parsing checks shapes only:
//! a missing field, a wrong type, an unknown field or value, a score out of range, a census code
//! not on its list, an empty list that must have one entry. Whether an id exists, a level is
//! allowed or a consent was given are rules checked against the child's state elsewhere.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
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

impl<T: JsonSchema> JsonSchema for NonEmpty<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("NonEmpty_{}", T::schema_name()).into()
    }
    fn schema_id() -> Cow<'static, str> {
        format!("NonEmpty<{}>", T::schema_id()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "array", "items": generator.subschema_for::<T>(), "minItems": 1 })
    }
}

impl<T> From<NonEmpty<T>> for Vec<T> {
    fn from(n: NonEmpty<T>) -> Vec<T> {
        n.0
    }
}

// --- Registration ------------------------------------------------------------------------

/// A change to the child's details: a birth, a new locality, a new identifier. Fields left out of
/// `changes` stay as they were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ChildDetailsUpdated {
    /// The fields of `child` that change, e.g. `date_of_birth` once an unborn child is born, or a
    /// new `locality`. Must name at least one change, and the child's details after it must still
    /// be complete (422 otherwise).
    pub changes: ChildDetailsChanges,
    /// Why the details change.
    pub reason: Text,
}

// --- Conversations and assessment ------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    WithFamily,
    WithChild,
    BetweenPractitioners,
    FrontDoorConsultation,
    TeamAroundTheFamily,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    /// What was advised.
    pub advised: Text,
    /// Why.
    pub rationale: Text,
}

/// A conversation with the family, the child or other practitioners, in Signs of Safety terms. Give
/// at least one of `worries`, `working_well`, `needs_to_happen` or `facts`; a
/// `front_door_consultation` must carry `advice` (no anonymous consultations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConversationRecorded {
    /// Client-chosen UUID of this conversation; must not be used before for this child.
    pub conversation_id: Uuid,
    /// Who the conversation was with.
    pub kind: ConversationKind,
    /// Who took part, at least one: practitioners and family members.
    pub participants: NonEmpty<Party>,
    /// What we are worried about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worries: Option<Vec<Text>>,
    /// What is working well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_well: Option<Vec<Text>>,
    /// What needs to happen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_to_happen: Option<Vec<Text>>,
    /// Scaling questions asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Vec<Scaling>>,
    /// Facts: what was seen, heard or is known, kept apart from opinion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<Vec<Text>>,
    /// Opinions, kept apart from the facts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opinions: Option<Vec<Text>>,
    /// The child's views or behaviour observed, or why neither was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_voice: Option<ChildVoice>,
    /// Decisions made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Vec<Text>>,
    /// Who does what by when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    /// What the front door advised, and why; required for a `front_door_consultation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
    /// The referral the conversation is about; it must be on this child's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about_referral_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentKind {
    Screening,
    EarlyHelpAssessment,
    FamilySupportAssessment,
    SingleAssessment,
    #[serde(rename = "section_47_assessment")]
    Section47Assessment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRef {
    /// An indicator from the deployment framework's descriptor catalogue, `<row code>-T<tier>`
    /// (e.g. `NOR-CD-05-T3`); an unknown code is refused (422).
    pub code: String,
    /// What was seen, in this child's case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// An assessment of the child's needs, completed and authorised (the record's `occurred_at`), with
/// the level decided. The server adds `suggested` to the stored record: the level the framework's
/// catalogue and rules suggest, with the reasons and the rules' version. It never overrides the
/// decision, and a client may not send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct NeedsAssessed {
    /// Client-chosen UUID of this assessment; must not be used before for this child.
    pub assessment_id: Uuid,
    /// The kind of assessment.
    pub assessment: AssessmentKind,
    /// Indicators of need identified, from the framework's descriptor catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<Vec<IndicatorRef>>,
    /// Codes from the framework's section 47 list (e.g. `NOR-S47-08`); an unknown code is refused
    /// (422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_47_indicators: Option<Vec<String>>,
    /// Strengths in the child's life and family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strengths: Option<Vec<Text>>,
    /// The child's views or behaviour observed, or why neither was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_voice: Option<ChildVoice>,
    /// The level decided; the deployment's framework must allow it. The child's level changes with
    /// the `stepped_up` or `stepped_down` that follows.
    pub decided_level: Level,
    /// Why this level.
    pub rationale: Text,
    /// When the assessment began (the record's `occurred_at` is when it was completed and
    /// authorised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_on: Option<NaiveDate>,
    /// Whether the child was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_seen: Option<bool>,
    /// Census factors identified at the end of assessment (`1A` ... `24A`); `21` (no factors
    /// identified) only on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<AssessmentFactor>>,
    /// Added by the server from the framework's catalogue; refused if a client sends it
    /// ([`RecordData::parse`]), read back from a stored record like any other field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub suggested: Option<crate::suggestion::Suggestion>,
}

impl NeedsAssessed {
    /// The record from `data`. A client's may not carry `suggested`, which only the server
    /// adds: it is refused by name, beside whatever else is wrong with the record. A stored
    /// record's is read as the rest of it is.
    fn parse(data: shapes::Source<'_>) -> Result<NeedsAssessed, Invalid> {
        let shapes::Source::Value(shapes::Parse::Client, mut value) = data else {
            return data.parse("data");
        };
        let sent = value
            .as_object_mut()
            .and_then(|map| map.remove("suggested"))
            .map(|_| {
                Invalid::shape(
                    "data.suggested",
                    "is added by the server from the framework's catalogue; a client may not send it",
                )
            });
        let parsed = shapes::Source::Value(shapes::Parse::Client, value).parse("data");
        match (parsed, sent) {
            (parsed, None) => parsed,
            (Ok(_), Some(sent)) => Err(sent),
            (Err(e), Some(sent)) => Err(Invalid::merge([sent, e])
                .unwrap_or_else(|| Invalid::shape("data.suggested", "a client may not send it"))),
        }
    }

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

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[schemars(inline)]
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

/// Consent asked of the family, with what they were told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConsentSought {
    /// Client-chosen UUID of this consent; must not be used before for this child.
    pub consent_id: Uuid,
    /// What the consent is for.
    pub purpose: ConsentPurpose,
    /// Who was asked.
    pub sought_from: FamilyMember,
    /// What the family was told: the service, what will be shared, with whom, and why.
    pub explained: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConsentScope {
    /// Agencies the consent covers, e.g. `police:norfolk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agencies: Option<Vec<Text>>,
    /// Information the consent covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information: Option<Vec<Text>>,
}

/// Consent given. A consent's status is the latest of sought, given, refused, withdrawn or
/// dispensed with for its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConsentGiven {
    /// The consent given, usually the id it was sought under. A consent already given, withdrawn or
    /// dispensed with cannot be given again: that needs a new id.
    pub consent_id: Uuid,
    /// Who gave it.
    pub given_by: FamilyMember,
    /// What the consent covers, where it is limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ConsentScope>,
    /// When the consent lapses, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
}

/// Consent refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConsentRefused {
    /// The consent being refused; one already refused, withdrawn or dispensed with cannot be
    /// refused again (a new request needs a new id).
    pub consent_id: Uuid,
    /// Who refused.
    pub refused_by: FamilyMember,
    /// The reasons the family gave, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons_given: Option<Text>,
}

/// Consent withdrawn. Given again later, it needs a new `consent_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConsentWithdrawn {
    /// The consent withdrawn; it must have been given.
    pub consent_id: Uuid,
    /// Who withdrew it.
    pub withdrawn_by: FamilyMember,
    /// Anything said about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum DispensationGround {
    RiskToChild,
    RiskToOthers,
    RiskToReferrer,
    WouldUndermineCriminalInvestigation,
    DelayWouldIncreaseRisk,
}

/// A decision not to seek consent, or to proceed without it. Give `approved_by` (a manager) or,
/// where approval was not possible, `approval_not_possible_reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConsentDispensedWith {
    /// Client-chosen UUID of this consent decision; must not be used before for this child.
    pub consent_id: Uuid,
    /// What consent is dispensed with for.
    pub purpose: ConsentPurpose,
    /// The grounds, at least one.
    pub grounds: NonEmpty<DispensationGround>,
    /// Why, in this child's circumstances.
    pub reasons: Text,
    /// The manager who approved the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Person>,
    /// Why a manager's approval was not possible (when `approved_by` is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_not_possible_reason: Option<Text>,
}

/// Information shared with other agencies. It rests on a consent given for a matching purpose
/// (`consent_id`), or says why it was shared without consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct InformationShared {
    /// Why it was shared. When it rests on a consent, spell it as that consent's purpose (e.g.
    /// `referral`) unless the consent is for `information_sharing`.
    pub purpose: Text,
    /// The agencies it was shared with, at least one (e.g. `police:norfolk`).
    pub shared_with: NonEmpty<Text>,
    /// What was shared.
    pub what: Text,
    /// The consent it rests on; it must be given, for a matching purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<Uuid>,
    /// Why it was shared without consent (when `consent_id` is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_consent_reason: Option<Text>,
}

/// Information withheld, e.g. from the family during a police investigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct InformationWithheld {
    /// What was withheld.
    pub what: Text,
    /// Who it was withheld from: `family`, or an agency.
    pub withheld_from: Text,
    /// Why.
    pub reason: Text,
    /// Who asked for it to be withheld, e.g. the police officer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<Person>,
    /// When the decision is to be reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_by: Option<NaiveDate>,
}

// --- Referrals and the front door -------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum ReferralTo {
    FrontDoor,
    EarlyHelpHub,
}

/// How consent stands for a referral: given, dispensed with, or refused and proceeding anyway.
// Written (and documented) as an untagged enum; read by hand, below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
#[schemars(inline, transform = crate::schema::exactly_one)]
pub enum ReferralConsent {
    /// With consent.
    Given {
        /// A consent given (for the referral) on this child's record.
        consent_id: Uuid,
    },
    /// Without seeking consent, as recorded in a `consent_dispensed_with`.
    Dispensed {
        /// The `consent_dispensed_with` on this child's record.
        dispensed_consent_id: Uuid,
    },
    /// Although consent was refused: say why, and tell the front door. The family must then be
    /// told (`family_informed`).
    RefusedProceeding {
        /// The refused consent on this child's record.
        refused_consent_id: Uuid,
        /// Why the referral goes ahead without consent; needed (422 otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proceeding_reason: Option<Text>,
        /// Must be `true`: the front door is told consent was withheld (422 otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        front_door_told_consent_withheld: Option<bool>,
    },
}

/// What [`ReferralConsent`] says when its fields fit none of its shapes.
const CONSENT_SHAPES: &str = "must be one of { consent_id }, { dispensed_consent_id } or { \
     refused_consent_id, proceeding_reason, front_door_told_consent_withheld }";

impl<'de> Deserialize<'de> for ReferralConsent {
    /// Reads the fields once and decides by which id is present, as [`Party`] does: serde's
    /// untagged enum buffered the object, tried each shape in turn, and could only say that
    /// none fitted, so a blank `proceeding_reason` or a malformed id was reported as a consent
    /// of no known shape. Here those are named at their field, and a consent with two ids, or
    /// with a reason but no refused consent, is told which fields do not go together. It
    /// accepts exactly what the untagged enum accepted.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ReferralConsent, D::Error> {
        use serde::de::Error;

        // Absent is `None`. The ids are never null; the refused shape's other two fields may
        // be (they were `Option`s), but only in that shape, so their presence is kept apart
        // from their value: `Some(None)` is a `null` given.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Fields {
            #[serde(default, deserialize_with = "shapes::present")]
            consent_id: Option<Uuid>,
            #[serde(default, deserialize_with = "shapes::present")]
            dispensed_consent_id: Option<Uuid>,
            #[serde(default, deserialize_with = "shapes::present")]
            refused_consent_id: Option<Uuid>,
            #[serde(default, deserialize_with = "shapes::present")]
            proceeding_reason: Option<Option<Text>>,
            #[serde(default, deserialize_with = "shapes::present")]
            front_door_told_consent_withheld: Option<Option<bool>>,
        }
        let Fields {
            consent_id,
            dispensed_consent_id,
            refused_consent_id,
            proceeding_reason,
            front_door_told_consent_withheld,
        } = Fields::deserialize(d)?;
        let refusal_only =
            proceeding_reason.is_some() || front_door_told_consent_withheld.is_some();
        match (consent_id, dispensed_consent_id, refused_consent_id) {
            (None, None, None) => Err(D::Error::custom(CONSENT_SHAPES)),
            (Some(consent_id), None, None) if !refusal_only => {
                Ok(ReferralConsent::Given { consent_id })
            }
            (None, Some(dispensed_consent_id), None) if !refusal_only => {
                Ok(ReferralConsent::Dispensed {
                    dispensed_consent_id,
                })
            }
            (None, None, Some(refused_consent_id)) => Ok(ReferralConsent::RefusedProceeding {
                refused_consent_id,
                proceeding_reason: proceeding_reason.flatten(),
                front_door_told_consent_withheld: front_door_told_consent_withheld.flatten(),
            }),
            (_, None, None) | (None, _, None) => Err(D::Error::custom(format!(
                "{CONSENT_SHAPES}: `proceeding_reason` and `front_door_told_consent_withheld` \
                 go only with `refused_consent_id`"
            ))),
            _ => Err(D::Error::custom(format!(
                "{CONSENT_SHAPES}: give only one of `consent_id`, `dispensed_consent_id` and \
                 `refused_consent_id`"
            ))),
        }
    }
}

/// A referral to the front door or the early help hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ReferralMade {
    /// Client-chosen UUID of this referral; must not be used before for this child.
    pub referral_id: Uuid,
    /// Where the referral goes.
    pub to: ReferralTo,
    /// The concerns, at least one.
    pub concerns: NonEmpty<Text>,
    /// Whether the child is at immediate risk.
    pub immediate_risk: bool,
    /// Where the child is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_location: Option<Text>,
    /// Whether the family knows of the referral.
    pub family_aware: bool,
    /// How consent stands: exactly one of `{ consent_id }` (given), `{ dispensed_consent_id }`
    /// (dispensed with) or `{ refused_consent_id, proceeding_reason,
    /// front_door_told_consent_withheld: true }` (refused, proceeding anyway).
    pub consent: ReferralConsent,
    /// Census referral source: `1A`-`1D` individuals, `2A` schools, `2B` education services,
    /// `3A`-`3F` health, `4` housing, `5A`-`5D` the council, `6` police, `7` other legal agency,
    /// `8` other, `9` anonymous, `10` unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ReferralSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct How {
    /// How the referrer was told.
    pub how: Text,
}

/// The front door's decision on a referral. A referral is decided once: a change is a
/// `record_corrected` or a professional disagreement. The level decided is recorded here; the
/// child's level changes with the `stepped_up` or `stepped_down` that follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ReferralDecided {
    /// The referral decided; it must be on this child's record and not yet decided.
    pub referral_id: Uuid,
    /// What the front door decided.
    pub decision: ReferralDecision,
    /// The level decided; the deployment's framework must allow it.
    pub decided_level: Level,
    /// Why.
    pub rationale: Text,
    /// Census primary need code, `N0` to `N9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_need: Option<PrimaryNeed>,
    /// How the referrer was told of the decision. Left out, an obligation to tell the referrer
    /// stays open until a `referrer_informed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer_informed: Option<How>,
}

/// The referrer told of the decision on their referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ReferrerInformed {
    /// The referral's id; it must be on this child's record.
    pub referral_id: Uuid,
    /// How the referrer was told (a phone call, a letter, ...).
    pub how: Text,
}

/// The family told of a referral, a service change or a change of level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct FamilyInformed {
    /// The event id of the record they were told of; it must be on this child's record and be a
    /// referral_made, referral_decided, service_started, service_ended, stepped_up, stepped_down or
    /// case_closed.
    pub about_event_id: Uuid,
    /// How they were told.
    pub how: Text,
    /// Who told them.
    pub by: Person,
}

// --- Tiers, lead workers, services, plans ------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct StepReason {
    /// The kind of reason.
    pub kind: StepReasonKind,
    /// The reason, in this child's case.
    pub detail: Text,
}

/// A change of the child's level: `stepped_up` and `stepped_down` carry the same fields (each
/// type's own description is in `crate::schema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The child's current level; it must equal it (422 otherwise).
    pub from: Level,
    /// The new level: strictly higher than `from` for a step up, strictly lower for a step down
    /// (by tier, then basis), and one the framework allows.
    pub to: Level,
    /// Why, at least one reason.
    pub reasons: NonEmpty<StepReason>,
    /// The reasoning behind the decision.
    pub rationale: Text,
    /// Who decided.
    pub decided_by: Person,
    /// The `needs_assessed` this rests on; it must be on this child's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<Uuid>,
    /// The family's consent, which must be given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<Uuid>,
    /// The service ids of services that carry on after the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuing_services: Option<Vec<Uuid>>,
    /// Whether the family was told. Unless `true`, an obligation to tell them stays open until a
    /// `family_informed` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_informed: Option<bool>,
}

/// A lead worker assigned to the child and family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct LeadWorkerAssigned {
    /// The lead worker.
    pub lead_worker: Person,
    /// The team the lead worker works in (Ofsted's Annex A "Allocated Team"; the lead worker is
    /// its "Allocated Worker").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Text>,
    /// Whether the family had a say in the choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen_with_family: Option<bool>,
    /// The plan they lead, if any; it must be on this child's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
}

/// A service started for the child or family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ServiceStarted {
    /// Client-chosen UUID of this service; must not be used before for this child.
    pub service_id: Uuid,
    /// The service, by name (e.g. a parenting group).
    pub service: Text,
    /// The agency providing it, spelled as in tokens (`council:early-help`).
    pub provider: Text,
    /// Whether the family was told. Unless `true`, an obligation to tell them stays open until a
    /// `family_informed` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_informed: Option<bool>,
}

/// A service ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ServiceEnded {
    /// The service ending; it must be on this child's record and still in place.
    pub service_id: Uuid,
    /// Why it ended.
    pub reason: Text,
    /// The plan in which the ending was agreed; it must be on this child's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_in_plan_id: Option<Uuid>,
    /// Whether the family was told. Unless `true`, an obligation to tell them stays open until a
    /// `family_informed` record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_informed: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    FamilySupportPlan,
    EarlyHelpPlan,
    ChildInNeedPlan,
    ChildProtectionPlan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum PlanCategory {
    Neglect,
    PhysicalAbuse,
    EmotionalAbuse,
    SexualAbuse,
    Multiple,
}

/// A plan started. A child protection plan must carry its `category`, follows a child protection
/// conference with outcome `plan_started` (naming this plan or none) and is dated on the day that
/// conference sat; a child in need plan and a child protection plan never run together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct PlanStarted {
    /// Client-chosen UUID of this plan; must not be used before for this child.
    pub plan_id: Uuid,
    /// The kind of plan.
    pub kind: PlanKind,
    /// Who leads the plan.
    pub lead: Person,
    /// When it is to be reviewed; an obligation to review it stays open until then.
    pub review_by: NaiveDate,
    /// Who does what by when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
    /// The category of abuse; required for a `child_protection_plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<PlanCategory>,
}

/// A plan reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct PlanReviewed {
    /// The plan reviewed; it must be on this child's record and open.
    pub plan_id: Uuid,
    /// What has changed since the plan began or was last reviewed.
    pub progress: Text,
    /// Scaling questions asked at the review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<Vec<Scaling>>,
    /// When it is next to be reviewed.
    pub next_review_by: NaiveDate,
    /// Who does what by when, from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum PlanEndReason {
    NeedsMet,
    SteppedUp,
    SteppedDown,
    MovedAway,
    Other,
}

/// A plan ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct PlanEnded {
    /// The plan ended; it must be on this child's record and open.
    pub plan_id: Uuid,
    /// Why it ended.
    pub reason: PlanEndReason,
    /// Anything more to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

// --- Child protection ----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum StrategyDecision {
    #[serde(rename = "section_47_enquiry")]
    Section47Enquiry,
    #[serde(rename = "no_section_47")]
    NoSection47,
    ImmediateProtection,
}

/// A strategy discussion, held when there is reasonable cause to suspect significant harm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct StrategyDiscussionHeld {
    /// Client-chosen UUID of this strategy discussion; must not be used before for this child.
    pub strategy_discussion_id: Uuid,
    /// The professionals who took part: at least two (police and children's services expected);
    /// fewer is refused (422).
    pub participants: NonEmpty<Person>,
    /// What was decided.
    pub decision: StrategyDecision,
    /// Why.
    pub rationale: Text,
}

/// A section 47 enquiry started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct Section47EnquiryStarted {
    /// Client-chosen UUID of this enquiry; must not be used before for this child.
    pub enquiry_id: Uuid,
    /// The strategy discussion it starts from; it must be on this child's record and have decided
    /// on a `section_47_enquiry`.
    pub strategy_discussion_id: Uuid,
    /// Who leads the enquiry.
    pub lead: Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum EnquiryOutcome {
    ConferenceNeeded,
    SubstantiatedNoConference,
    NotSubstantiated,
}

/// A section 47 enquiry concluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct Section47EnquiryConcluded {
    /// The enquiry concluded; it must be on this child's record and open.
    pub enquiry_id: Uuid,
    /// What the enquiry found.
    pub outcome: EnquiryOutcome,
    /// Why.
    pub rationale: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum ConferenceKind {
    Initial,
    Review,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum ConferenceOutcome {
    PlanStarted,
    PlanContinued,
    PlanEnded,
    NoPlan,
}

/// A child protection conference, initial or review. An initial conference is dated on a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ChildProtectionConferenceHeld {
    /// Client-chosen UUID of this conference; must not be used before for this child.
    pub conference_id: Uuid,
    /// Initial or review conference.
    pub kind: ConferenceKind,
    /// Who chaired it.
    pub chair: Person,
    /// The agencies that attended, at least one (e.g. `police:norfolk`).
    pub attendees: NonEmpty<Text>,
    /// What the conference decided about a child protection plan.
    pub outcome: ConferenceOutcome,
    /// The child protection plan concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<Uuid>,
    /// The category of abuse, for a plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<PlanCategory>,
    /// The child's views as brought to the conference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_voice: Option<ChildVoice>,
}

// --- Professional disagreement ------------------------------------------------------------

/// A professional disagreement raised about a decision. It starts at stage 1: the practitioner's
/// own line manager or designated safeguarding lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DisagreementRaised {
    /// Client-chosen UUID of this disagreement; must not be used before for this child.
    pub disagreement_id: Uuid,
    /// The event id of the decision in dispute; it must be on this child's record.
    pub about_event_id: Uuid,
    /// Who raised it.
    pub raised_by: Person,
    /// Their position: what they disagree with and why.
    pub position: Text,
    /// What they want to happen.
    pub desired_outcome: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Whose position it is.
    pub party: Person,
    /// Their position.
    pub position: Text,
}

/// A professional disagreement escalated to a higher stage of the Resolving Professional
/// Disagreement policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DisagreementEscalated {
    /// The disagreement; it must be on this child's record and open.
    pub disagreement_id: Uuid,
    /// The stage it goes to: 2 (agency leads), 3 (senior managers) or 4 (the safeguarding
    /// partnership). It must be higher than the current stage and at most 4; other numbers are
    /// refused as a rule (422).
    pub to_stage: u8,
    /// Who escalated it.
    pub escalated_by: Person,
    /// Each party's position, at least one.
    pub positions: NonEmpty<Position>,
    /// Why it was escalated.
    pub reason: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementOutcome {
    DecisionUpheld,
    DecisionChanged,
    Withdrawn,
}

/// A professional disagreement resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DisagreementResolved {
    /// The disagreement; it must be on this child's record and open.
    pub disagreement_id: Uuid,
    /// How it ended.
    pub outcome: DisagreementOutcome,
    /// What was agreed, and why.
    pub resolution: Text,
    /// Who resolved it.
    pub resolved_by: Person,
    /// The event id of the record that carries a changed decision out; it must be on this child's
    /// record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_event_id: Option<Uuid>,
}

// --- Corrections and case status -----------------------------------------------------------

/// A correction of an earlier record: either its whole corrected `data`, or `retract: true`
/// (entered on the wrong child or in error: it leaves the journey and the figures, and stays in the
/// audit). Give one of the two, not both. A correction may not leave a later record resting on
/// something that no longer stands (a review of a retracted plan, a step from a level the child was
/// no longer at): correct or retract those records too, in the same batch or first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct RecordCorrected {
    /// The event id of the record corrected: a record of this child, not its registration or
    /// another correction, and not already retracted.
    pub corrects_event_id: Uuid,
    /// Why it is corrected.
    pub reason: Text,
    /// The whole corrected `data` of the original record's type, which must pass that type's schema
    /// and rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    pub corrected_data: Option<serde_json::Value>,
    /// `true` to retract the record instead of correcting it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retract: Option<bool>,
}

/// The case closed; the child returns to tier 1. No plan, section 47 enquiry or referral may still
/// be open. On a closed case only corrections, detail updates, telling the referrer or family,
/// information sharing and disagreements may be recorded until a `case_reopened`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct CaseClosed {
    /// Why the case closes.
    pub reason: Text,
    /// Who closed it.
    pub closed_by: Person,
    /// Census reason for closure, `RC1` to `RC9`. RC8 and RC9 (closed after an assessment) are
    /// refused when the case had a section 47 enquiry, a child in need or child protection plan
    /// or a conference since it last closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure_reason: Option<ClosureReason>,
}

/// Children in Need census reason for closure, `RC1` to `RC9`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
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

/// A closed case reopened (only a closed case can be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct CaseReopened {
    /// Why the case reopens.
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
        RecordData::parse_from(record_type, shapes::Source::Value(how, data))
    }

    fn parse_from(
        record_type: RecordType,
        data: shapes::Source<'_>,
    ) -> Result<RecordData, Invalid> {
        Ok(match record_type {
            RecordType::ChildDetailsUpdated => RecordData::ChildDetailsUpdated(data.parse("data")?),
            RecordType::ConversationRecorded => {
                RecordData::ConversationRecorded(data.parse("data")?)
            }
            RecordType::NeedsAssessed => RecordData::NeedsAssessed(NeedsAssessed::parse(data)?),
            RecordType::ConsentSought => RecordData::ConsentSought(data.parse("data")?),
            RecordType::ConsentGiven => RecordData::ConsentGiven(data.parse("data")?),
            RecordType::ConsentRefused => RecordData::ConsentRefused(data.parse("data")?),
            RecordType::ConsentWithdrawn => RecordData::ConsentWithdrawn(data.parse("data")?),
            RecordType::ConsentDispensedWith => {
                RecordData::ConsentDispensedWith(data.parse("data")?)
            }
            RecordType::InformationShared => RecordData::InformationShared(data.parse("data")?),
            RecordType::InformationWithheld => RecordData::InformationWithheld(data.parse("data")?),
            RecordType::ReferralMade => RecordData::ReferralMade(data.parse("data")?),
            RecordType::ReferralDecided => RecordData::ReferralDecided(data.parse("data")?),
            RecordType::ReferrerInformed => RecordData::ReferrerInformed(data.parse("data")?),
            RecordType::FamilyInformed => RecordData::FamilyInformed(data.parse("data")?),
            RecordType::SteppedUp => RecordData::SteppedUp(data.parse("data")?),
            RecordType::SteppedDown => RecordData::SteppedDown(data.parse("data")?),
            RecordType::LeadWorkerAssigned => RecordData::LeadWorkerAssigned(data.parse("data")?),
            RecordType::ServiceStarted => RecordData::ServiceStarted(data.parse("data")?),
            RecordType::ServiceEnded => RecordData::ServiceEnded(data.parse("data")?),
            RecordType::PlanStarted => RecordData::PlanStarted(data.parse("data")?),
            RecordType::PlanReviewed => RecordData::PlanReviewed(data.parse("data")?),
            RecordType::PlanEnded => RecordData::PlanEnded(data.parse("data")?),
            RecordType::StrategyDiscussionHeld => {
                RecordData::StrategyDiscussionHeld(data.parse("data")?)
            }
            RecordType::Section47EnquiryStarted => {
                RecordData::Section47EnquiryStarted(data.parse("data")?)
            }
            RecordType::Section47EnquiryConcluded => {
                RecordData::Section47EnquiryConcluded(data.parse("data")?)
            }
            RecordType::ChildProtectionConferenceHeld => {
                RecordData::ChildProtectionConferenceHeld(data.parse("data")?)
            }
            RecordType::DisagreementRaised => RecordData::DisagreementRaised(data.parse("data")?),
            RecordType::DisagreementEscalated => {
                RecordData::DisagreementEscalated(data.parse("data")?)
            }
            RecordType::DisagreementResolved => {
                RecordData::DisagreementResolved(data.parse("data")?)
            }
            RecordType::RecordCorrected => RecordData::RecordCorrected(data.parse("data")?),
            RecordType::CaseClosed => RecordData::CaseClosed(data.parse("data")?),
            RecordType::CaseReopened => RecordData::CaseReopened(data.parse("data")?),
        })
    }

    /// Parses data as stored, which may carry what the server added (a `needs_assessed`'s
    /// `suggested`), refused when a client sends it.
    pub fn parse_stored(
        record_type: RecordType,
        data: serde_json::Value,
    ) -> Result<RecordData, Invalid> {
        RecordData::parse_as(shapes::Parse::Stored, record_type, data)
    }

    /// [`RecordData::parse_stored`] or [`RecordData::parse_stored_text`], as the data came.
    pub fn parse_stored_from(
        record_type: RecordType,
        data: shapes::Source<'_>,
    ) -> Result<RecordData, Invalid> {
        match data {
            shapes::Source::Value(_, value) => RecordData::parse_stored(record_type, value),
            shapes::Source::Text(text) => RecordData::parse_stored_text(record_type, text),
        }
    }

    /// [`RecordData::parse_stored`] from the JSON text stored, parsed straight into the type
    /// (one pass over the text, no `Value` between): what a rebuild does with every event.
    pub fn parse_stored_text(record_type: RecordType, data: &str) -> Result<RecordData, Invalid> {
        RecordData::parse_from(record_type, shapes::Source::Text(data))
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

    /// The first error reading `consent` as a referral's: (field, message).
    fn consent_error(consent: Value) -> (String, String) {
        let mut d = example(RecordType::ReferralMade);
        d["consent"] = consent;
        let e = RecordData::parse(RecordType::ReferralMade, d).unwrap_err();
        let first = &e.errors()[0];
        (first.field.clone(), first.message.clone())
    }

    #[test]
    fn a_consent_of_no_shape_or_mixed_shapes_is_told_which_fields_go_together() {
        let (field, message) = consent_error(json!({}));
        assert_eq!(field, "data.consent");
        assert_eq!(message, CONSENT_SHAPES);
        let (field, message) =
            consent_error(json!({ "consent_id": id(), "dispensed_consent_id": id() }));
        assert_eq!(field, "data.consent");
        assert!(message.starts_with(CONSENT_SHAPES), "{message}");
        assert!(message.contains("only one of"), "{message}");
        // A reason, even a null one, is part of the refused shape alone.
        for extra in [json!("risk"), Value::Null] {
            let (field, message) =
                consent_error(json!({ "consent_id": id(), "proceeding_reason": extra }));
            assert_eq!(field, "data.consent");
            assert!(
                message.contains("go only with `refused_consent_id`"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_consent_field_is_named_where_it_is_wrong() {
        let (field, message) = consent_error(
            json!({ "refused_consent_id": id(), "proceeding_reason": "  ", "front_door_told_consent_withheld": true }),
        );
        assert_eq!(field, "data.consent.proceeding_reason");
        assert_eq!(message, "must not be blank");
        let (field, _) = consent_error(json!({ "consent_id": "not-a-uuid" }));
        assert_eq!(field, "data.consent.consent_id");
        let (field, _) = consent_error(json!({ "dispensed_consent_id": null }));
        assert_eq!(field, "data.consent.dispensed_consent_id");
        let (field, message) = consent_error(json!({ "consent_id": id(), "given_by": "mum" }));
        assert_eq!(field, "data.consent.given_by");
        assert!(message.starts_with("is not a field here"), "{message}");
        // The refused shape's other fields may be null, as before: the rules then say what
        // is missing (422), not the shape.
        let mut d = example(RecordType::ReferralMade);
        let refused = id();
        d["consent"] = json!({ "refused_consent_id": refused, "proceeding_reason": null, "front_door_told_consent_withheld": null });
        let Ok(RecordData::ReferralMade(r)) = RecordData::parse(RecordType::ReferralMade, d) else {
            panic!("a refused consent with null reason reads");
        };
        assert_eq!(
            r.consent,
            ReferralConsent::RefusedProceeding {
                refused_consent_id: refused.parse().unwrap(),
                proceeding_reason: None,
                front_door_told_consent_withheld: None,
            }
        );
    }

    /// The serde-derived reader [`ReferralConsent`] had before it was read by hand.
    #[derive(Debug, Deserialize)]
    #[serde(untagged, deny_unknown_fields)]
    enum UntaggedConsent {
        Given {
            consent_id: Uuid,
        },
        Dispensed {
            dispensed_consent_id: Uuid,
        },
        RefusedProceeding {
            refused_consent_id: Uuid,
            #[serde(default)]
            proceeding_reason: Option<Text>,
            #[serde(default)]
            front_door_told_consent_withheld: Option<bool>,
        },
    }

    impl From<UntaggedConsent> for ReferralConsent {
        fn from(c: UntaggedConsent) -> ReferralConsent {
            match c {
                UntaggedConsent::Given { consent_id } => ReferralConsent::Given { consent_id },
                UntaggedConsent::Dispensed {
                    dispensed_consent_id,
                } => ReferralConsent::Dispensed {
                    dispensed_consent_id,
                },
                UntaggedConsent::RefusedProceeding {
                    refused_consent_id,
                    proceeding_reason,
                    front_door_told_consent_withheld,
                } => ReferralConsent::RefusedProceeding {
                    refused_consent_id,
                    proceeding_reason,
                    front_door_told_consent_withheld,
                },
            }
        }
    }

    proptest::proptest! {
        // Enough cases that every accepted shape comes up many times.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// Read by hand, a consent is accepted exactly when the untagged enum accepted it, as
        /// the same value, so no stored referral becomes unreadable or reads differently:
        /// objects of any of its fields (repeated ones too) and an unknown one, each with
        /// a valid value, a wrong one or `null`.
        #[test]
        fn consent_is_read_as_the_untagged_enum_read_it(
            fields in proptest::collection::vec((0..6usize, 0..7usize), 0..5)
        ) {
            const NAMES: [&str; 6] = [
                "consent_id",
                "dispensed_consent_id",
                "refused_consent_id",
                "proceeding_reason",
                "front_door_told_consent_withheld",
                "given_by",
            ];
            const VALUES: [&str; 7] = [
                "\"6f1c1b2e-4a47-4d69-9a4e-0c6f4f0e9a11\"",
                "\"7a2d2c3f-5b58-4e7a-8b5f-1d7a5a1fab22\"",
                "null",
                "\"risk to the child\"",
                "\" \"",
                "true",
                "3",
            ];
            let text = shapes::object_text(&fields, &NAMES, &VALUES);
            let by_hand = serde_json::from_str::<ReferralConsent>(&text).ok();
            let untagged = serde_json::from_str::<UntaggedConsent>(&text)
                .ok()
                .map(ReferralConsent::from);
            proptest::prop_assert_eq!(by_hand, untagged, "{}", text);
        }
    }

    #[test]
    fn a_client_cannot_send_the_suggestion() {
        let mut d = example(RecordType::NeedsAssessed);
        d["suggested"] = json!({ "level": { "tier": 4 } });
        let e = RecordData::parse(RecordType::NeedsAssessed, d.clone()).unwrap_err();
        assert_eq!(e.errors().len(), 1, "{e:?}");
        assert_eq!(e.errors()[0].field, "data.suggested");
        assert!(
            e.errors()[0].message.contains("a client may not send it"),
            "{e:?}"
        );
        // Named beside the record's other errors, not instead of them.
        d["rationale"] = json!(" ");
        let e = RecordData::parse(RecordType::NeedsAssessed, d).unwrap_err();
        let fields: Vec<&str> = e.errors().iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"data.suggested"), "{fields:?}");
        assert!(fields.contains(&"data.rationale"), "{fields:?}");
    }

    /// A stored assessment carries the server's suggestion: read from its text or from a
    /// parsed value, it is the same record, the suggestion included.
    #[test]
    fn a_stored_assessment_keeps_its_suggestion() {
        let mut d = example(RecordType::NeedsAssessed);
        let RecordData::NeedsAssessed(mut n) =
            RecordData::parse(RecordType::NeedsAssessed, d.clone()).unwrap()
        else {
            unreachable!()
        };
        let norfolk = crate::framework::Framework::by_name("norfolk").unwrap();
        let suggestion =
            serde_json::to_value(crate::suggestion::suggest(norfolk, &[], &["NOR-S47-08"]))
                .unwrap();
        d["suggested"] = suggestion.clone();
        n.suggested = Some(serde_json::from_value(suggestion).unwrap());
        let text = d.to_string();
        let from_text = RecordData::parse_stored_text(RecordType::NeedsAssessed, &text).unwrap();
        let from_value = RecordData::parse_stored(RecordType::NeedsAssessed, d).unwrap();
        assert_eq!(from_text, RecordData::NeedsAssessed(n));
        assert_eq!(from_value, from_text);
    }
}
