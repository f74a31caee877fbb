//! The OpenAPI descriptions of the read views `projection` computes: the journey, the audit,
//! the consent ledger, the raw stream, the disagreements and the inspection report.
//!
//! The projection's types are the one definition of what these answers carry: the handlers
//! serialise them as they are. `projection` is no place for an HTTP document's vocabulary
//! (it knows no HTTP), so the description of each view lives here, one type per view type,
//! with the same name, fields and serde attributes, deriving utoipa's `ToSchema`. They are
//! never built. What keeps them true is the test below: every description's properties (or
//! an enum's values) are exactly the names serde reads and writes for the projection's type,
//! so a field added, removed or renamed there fails it until the description follows.
//!
//! Why not API-side response types converted from the projection's: that would be a second
//! definition of every shape *and* a conversion to keep in step, and a copy of every record
//! of a long journey on each read (the projection's records borrow the stored JSON).
//!
//! The doc comments are the document's descriptions, so they speak to a client.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

// From `projection::record`.
/// One record as the journey, the consent ledger and the raw stream show it.
#[derive(Serialize, ToSchema)]
pub struct Record {
    pub event_id: Uuid,
    pub sequence: u64,
    /// The record type, e.g. `referral_made`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub record_type: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The person who recorded it: `{ name, role, agency }`.
    #[schema(value_type = Object)]
    pub recorded_by: Value,
    /// The data as it now reads: the latest correction's `corrected_data` on a corrected
    /// record, else as recorded.
    #[schema(value_type = Object)]
    pub data: Value,
    /// On a `record_corrected`: the event it corrects or retracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Uuid>,
    /// On a corrected record: the corrections whose data applies, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrected_by: Vec<Uuid>,
    /// On a corrected record: the data as first recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub original_data: Option<Value>,
}

// From `projection::journey`.
/// `GET /v1/children/{child_id}/journey`.
#[derive(Serialize, ToSchema)]
pub struct Journey {
    pub child_id: Uuid,
    /// The tier history, oldest first, by `occurred_at`. Empty before registration.
    pub levels: Vec<LevelInterval>,
    /// Every record that stands (retracted ones are left out), oldest first by
    /// `occurred_at`, ties by `sequence`. Corrections are records too: a `record_corrected`
    /// appears at its own place with `corrects` naming the record it changes, and the
    /// corrected record carries `corrected_by`, its current `data` and `original_data`.
    pub records: Vec<Record>,
}

/// One interval of the tier history: `{ tier, name, statutory_basis, from, to }`, `to` being
/// `null` while the level is current.
#[derive(Serialize, ToSchema)]
pub struct LevelInterval {
    #[schema(value_type = u8, minimum = 1, maximum = 4)]
    pub tier: u8,
    /// The tier's name in the deployment's framework.
    pub name: String,
    #[schema(value_type = String, example = "section_17")]
    pub statutory_basis: String,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    /// The record that began this interval: the registration, a step or a closure.
    pub event_id: Uuid,
}

// From `projection::audit`.
/// `GET /v1/children/{child_id}/audit`.
#[derive(Serialize, ToSchema)]
pub struct Audit {
    pub child_id: Uuid,
    /// Every record, retracted or not, in `sequence` order.
    pub records: Vec<AuditRecord>,
    /// Every read of this child's data, oldest first.
    pub reads: Vec<Read>,
}

/// A record with who appended it and what later records say about it.
#[derive(Serialize, ToSchema)]
pub struct AuditRecord {
    /// The shared record shape: `data` as it now reads, `corrected_by` the corrections that
    /// count, `original_data` as first recorded, `corrects` on a correction.
    #[serde(flatten)]
    pub record: Record,
    /// The token that appended it; `null` for history imported or written by the command
    /// line.
    pub token_id: Option<Uuid>,
    /// The agency of that token.
    pub agency: String,
    /// The version of the record type's schema the data was written in.
    pub event_version: u32,
    /// Whether a retraction that still counts takes this record out of the journey.
    pub retracted: bool,
    /// That retraction.
    pub retracted_by: Option<Uuid>,
    /// The hash chain link, for a reader who wants to check it.
    pub prev_hash: String,
    pub hash: String,
}

/// One logged read: `{ at, token_id, agency, role, what }`.
#[derive(Serialize, ToSchema)]
pub struct Read {
    pub at: DateTime<Utc>,
    pub token_id: Option<Uuid>,
    pub agency: String,
    pub role: String,
    /// What was read, e.g. `journey?as_of=…`.
    pub what: String,
}

// From `projection::consent`.
/// `GET /v1/children/{child_id}/consent`.
#[derive(Serialize, ToSchema)]
pub struct ConsentLedger {
    pub child_id: Uuid,
    /// In the order each consent was first recorded.
    pub consents: Vec<Consent>,
    /// `information_shared` and `information_withheld` records, in `sequence` order.
    pub information_sharing: Vec<Record>,
}

/// One consent: `{ consent_id, purpose, status, history }`.
#[derive(Serialize, ToSchema)]
pub struct Consent {
    /// As recorded; a UUID in every record this server accepted.
    pub consent_id: String,
    /// From `consent_sought` or `consent_dispensed_with`; `null` if neither is on record.
    pub purpose: Option<String>,
    pub status: ConsentStatus,
    /// Every standing record about this consent, in `sequence` order.
    pub history: Vec<Record>,
}

/// The latest of sought / given / refused / withdrawn / dispensed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Sought,
    Given,
    Refused,
    Withdrawn,
    /// `consent_dispensed_with`: not sought, with the grounds recorded.
    Dispensed,
}

// From `projection::raw`.
/// `GET /v1/children/{child_id}/events?after=&limit=`.
#[derive(Serialize, ToSchema)]
pub struct RawEvents {
    pub events: Vec<RawEvent>,
    /// The `after` that asks for the next page; `null` when this page reaches the end of the
    /// events handed in.
    pub next_after: Option<u64>,
}

/// One stored event: the record shape every view shares (as recorded, never corrected) and
/// what the store keeps besides.
#[derive(Serialize, ToSchema)]
pub struct RawEvent {
    #[serde(flatten)]
    pub record: Record,
    pub event_version: u32,
    pub agency: String,
    pub token_id: Option<Uuid>,
    pub global_position: u64,
    pub prev_hash: String,
    pub hash: String,
}

// From `projection::disagreements`.
/// Whether a disagreement is still being worked on.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisagreementStatus {
    Open,
    Resolved,
}

/// `GET /v1/disagreements/{disagreement_id}`: docs/CONTRACT.md's `{ disagreement_id, child_id,
/// status, stage, about_event_id, stages, resolution }` and what a reviewer needs besides.
#[derive(Serialize, ToSchema)]
pub struct Disagreement {
    pub disagreement_id: Uuid,
    pub child_id: Uuid,
    pub status: DisagreementStatus,
    /// The stage it is at now (or ended at): 1 to 4.
    pub stage: u8,
    /// The decision in dispute, as recorded; `null` only if the raising record's id cannot
    /// be read (data of an older shape).
    pub about_event_id: Option<Uuid>,
    /// The record in dispute as it now reads (corrections applied), if it is among the
    /// child's events and stands.
    pub about: Option<Record>,
    /// True when the record in dispute was later retracted (it is then absent from `about`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub about_retracted: bool,
    /// The practitioner who raised it: `{ name, role, agency }`.
    #[schema(value_type = Object)]
    pub raised_by: Value,
    /// When it was raised (`occurred_at` of the `disagreement_raised`).
    pub raised_at: DateTime<Utc>,
    /// The `disagreement_raised` record.
    pub raised_event_id: Uuid,
    /// What the raiser wanted instead.
    pub desired_outcome: Option<String>,
    /// Every stage entered, in order. Stages passed over by an escalation (1 straight to 3)
    /// are not listed.
    pub stages: Vec<Stage>,
    /// How it ended; `null` while open.
    pub resolution: Option<Resolution>,
    /// Every agency involved, sorted: the raiser's, the agency that recorded the decision in
    /// dispute, and every agency that recorded, escalated, stated a position in or resolved
    /// the disagreement.
    pub parties: Vec<String>,
}

/// `GET /v1/disagreements`: `{ "disagreements": [...] }`, oldest raised first.
#[derive(Serialize, ToSchema)]
pub struct DisagreementList {
    pub disagreements: Vec<Disagreement>,
}

/// One stage of a disagreement: `{ stage, entered_at, left_at, positions }` and more.
#[derive(Serialize, ToSchema)]
pub struct Stage {
    pub stage: u8,
    pub entered_at: DateTime<Utc>,
    /// When the next stage began or the disagreement was resolved; `null` while current.
    pub left_at: Option<DateTime<Utc>>,
    /// The positions stated on entering the stage: the raiser's at stage 1, those the
    /// escalation listed at later stages.
    pub positions: Vec<StagePosition>,
    /// Who raised (stage 1) or escalated (later stages) it to here.
    #[schema(value_type = Object)]
    pub entered_by: Value,
    /// Why it was escalated to this stage; `null` at stage 1.
    pub reason: Option<String>,
    /// The record that began this stage.
    pub event_id: Uuid,
    /// Working days in England after the day the stage began, up to and including the day it
    /// ended (or `days_counted_to`); `null` while open and not measured.
    pub working_days: Option<i64>,
    /// Calendar days between the UTC dates the stage began and ended.
    pub calendar_days: Option<i64>,
    /// For a stage still open whose days were counted to a time the caller gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_counted_to: Option<DateTime<Utc>>,
}

/// A party's position: `{ party, position }` as docs/RECORDS.md has it.
#[derive(Serialize, ToSchema)]
pub struct StagePosition {
    /// `{ name, role, agency }`.
    #[schema(value_type = Object)]
    pub party: Value,
    pub position: Option<String>,
}

/// How a disagreement ended, as recorded.
#[derive(Serialize, ToSchema)]
pub struct Resolution {
    /// `decision_upheld`, `decision_changed` or `withdrawn`, as recorded.
    pub outcome: Option<String>,
    /// What was agreed.
    pub resolution: Option<String>,
    #[schema(value_type = Object)]
    pub resolved_by: Value,
    pub resolved_at: DateTime<Utc>,
    /// The record that follows the resolution through (e.g. a corrected decision), if named.
    pub follow_up_event_id: Option<Uuid>,
    /// The `disagreement_resolved` record.
    pub event_id: Uuid,
    /// From raising to resolution, counted as the stages are.
    pub working_days_to_resolve: i64,
    pub calendar_days_to_resolve: i64,
}

// From `projection::inspection`.
/// The days a report covers, both ends included, as UTC dates. `from` is never after `to`.
#[derive(Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// `GET /v1/reports/inspection`: docs/CONTRACT.md's shape, with the figures it leaves open after
/// the ones it names. Children appear only as pseudonyms.
///
/// With a `locality`, every figure that rests on 1 to 4 children (a count of them, or the
/// events of fewer than 5 children, or a rate or median over them) is the string `"<5"` in
/// place of its number, in a child's row too; 0 stays 0 (docs/REPORT.md, "Small numbers").
#[derive(Serialize, ToSchema)]
pub struct InspectionReport {
    pub period: Period,
    /// The locality asked for; `null` for all.
    pub locality: Option<String>,
    /// The deployment's framework: `norfolk` or `staffordshire`.
    pub framework: String,
    /// Its title, e.g. "Norfolk Threshold Guide".
    pub framework_title: String,
    /// The version of the catalogue and suggestion rules in force when the report was made.
    pub rules_version: String,
    pub referrals: Referrals,
    pub consent: ConsentFigures,
    pub child_voice: ChildVoiceFigures,
    pub levels: Levels,
    pub threshold_consistency: ThresholdConsistency,
    pub child_protection: ChildProtection,
    pub disagreements: DisagreementFigures,
    pub older_children_exploitation: OlderChildrenExploitation,
    pub timeliness: Timeliness,
    pub obligations: Obligations,
    pub recording_delay: RecordingDelay,
    /// The children with a record in the period (and locality), sorted by pseudonym.
    pub children: Vec<ChildRow>,
}

// From `projection::inspection::figures`.
/// `referrals`: the referrals received in the period and what became of them.
#[derive(Serialize, ToSchema)]
pub struct Referrals {
    /// `referral_made` in the period.
    pub received: u64,
    /// Of those, decided (a `referral_decided` on record, whenever made).
    pub decided: u64,
    /// Of those, decided by the end of the next working day after the referral.
    pub decided_within_one_working_day: u64,
    /// Of those decided, `no_further_action`.
    pub no_further_action: u64,
    /// Of those decided, the referrer told the outcome (on the decision or later).
    pub referrer_informed: u64,
    /// Of those received, for a child referred already in the 12 months before.
    pub re_referrals_within_12_months: u64,
    /// `no_further_action / decided`, `null` when nothing was decided.
    pub no_further_action_rate: Option<f64>,
    /// `re_referrals_within_12_months / received`.
    pub re_referral_rate: Option<f64>,
    /// The same referrals by census referral source (`not_recorded` when the referral names
    /// none).
    pub by_source: BTreeMap<String, SourceFigures>,
}

/// Referrals from one source: how many ended in no further action.
#[derive(Serialize, ToSchema)]
pub struct SourceFigures {
    pub received: u64,
    pub decided: u64,
    pub no_further_action: u64,
    pub no_further_action_rate: Option<f64>,
}

/// `consent`: how consent stood for the referrals received in the period.
#[derive(Serialize, ToSchema)]
pub struct ConsentFigures {
    pub referrals_with_consent: u64,
    pub referrals_consent_dispensed: u64,
    pub referrals_consent_refused_proceeded: u64,
    /// Of the refused-and-proceeded referrals, the family told afterwards (`family_informed`
    /// naming the referral, whenever recorded).
    pub family_told_after_refusal: u64,
    /// Referrals whose consent this report cannot read (older data).
    pub referrals_consent_not_recorded: u64,
}

/// `child_voice`.
#[derive(Serialize, ToSchema)]
pub struct ChildVoiceFigures {
    /// `conversation_recorded` in the period.
    pub conversations: u64,
    /// Of those, the child's views or observed behaviour recorded.
    pub conversations_with_child_voice: u64,
    /// Of those, only a reason why the child was not heard.
    pub conversations_child_voice_not_captured: u64,
    /// `needs_assessed` in the period, and those with the child's views or behaviour.
    pub assessments: u64,
    pub assessments_with_child_voice: u64,
}

/// `levels`.
#[derive(Serialize, ToSchema)]
pub struct Levels {
    /// Children registered by the end of the period, by their tier at its end.
    pub at_end: AtEnd,
    /// `stepped_up` / `stepped_down` in the period.
    pub step_ups: u64,
    pub step_downs: u64,
    /// The same steps by tier stepped from and to, keyed `1_to_2`, `4_to_3`, ... (steps whose
    /// levels cannot be read are counted above only).
    #[serde(default)]
    pub flows: BTreeMap<String, u64>,
}

/// Children by tier at the end of the period: `{ "1", "2", "3", "4" }`.
#[derive(Serialize, ToSchema)]
pub struct AtEnd {
    #[serde(rename = "1")]
    pub tier_1: u64,
    #[serde(rename = "2")]
    pub tier_2: u64,
    #[serde(rename = "3")]
    pub tier_3: u64,
    #[serde(rename = "4")]
    pub tier_4: u64,
}

/// Decided against suggested, by tier.
#[derive(Serialize, ToSchema)]
pub struct Consistency {
    /// `needs_assessed` in the period with a readable decided level.
    pub assessments: u64,
    pub decided_as_suggested: u64,
    pub decided_above_suggested: u64,
    pub decided_below_suggested: u64,
    /// Of `assessments`, those whose suggestion was worked out again because the stored
    /// one was missing (a corrected assessment).
    pub suggestion_recomputed: u64,
}

/// `threshold_consistency`: the professional's decision against the catalogue's suggestion.
#[derive(Serialize, ToSchema)]
pub struct ThresholdConsistency {
    #[serde(flatten)]
    pub all: Consistency,
    /// By the child's locality at the time of the assessment.
    pub by_locality: BTreeMap<String, Consistency>,
    /// By the agency of the child's latest referral at or before the assessment
    /// (`no_referral` when there was none).
    pub by_referring_agency: BTreeMap<String, Consistency>,
}

/// `child_protection`.
#[derive(Serialize, ToSchema)]
pub struct ChildProtection {
    pub strategy_discussions: u64,
    pub section_47_enquiries: u64,
    pub initial_conferences: u64,
    /// Child protection plans started / ended in the period.
    pub plans_started: u64,
    pub plans_ended: u64,
}

/// `disagreements`.
#[derive(Serialize, ToSchema)]
pub struct DisagreementFigures {
    /// Raised in the period.
    pub raised: u64,
    /// Resolved in the period (whenever raised).
    pub resolved: u64,
    /// Of those resolved, the median calendar days from raising to resolution.
    pub median_days_to_resolve: Option<f64>,
    /// The same in working days.
    pub median_working_days_to_resolve: Option<f64>,
    /// Raised by the end of the period and not resolved by then.
    pub open_at_end: u64,
    /// Of those raised in the period, escalated beyond stage 1 (by now).
    pub escalated: u64,
}

/// `older_children_exploitation`: older children with exploitation indicators judged below
/// targeted support.
#[derive(Serialize, ToSchema)]
pub struct OlderChildrenExploitation {
    /// Assessments in the period of a child aged 14 to 17 on the day of the decision that
    /// name an indicator the framework tags `exploitation`.
    pub assessments: u64,
    /// Of those, decided at tier 1 or 2.
    pub decided_tier_1_or_2: u64,
    /// Of those decided at tier 1 or 2, the catalogue suggested tier 3 or 4.
    pub suggested_tier_3_or_4: u64,
    /// Distinct children with an assessment decided at tier 1 or 2.
    pub children: u64,
}

/// `timeliness`, on England's working days.
#[derive(Serialize, ToSchema)]
pub struct Timeliness {
    pub referral_decisions: ReferralTimeliness,
    pub assessments: AssessmentTimeliness,
    pub initial_conferences: ConferenceTimeliness,
}

#[derive(Serialize, ToSchema)]
pub struct ReferralTimeliness {
    /// Referrals received in the period.
    pub received: u64,
    pub within_one_working_day: u64,
    pub later: u64,
    pub not_decided: u64,
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentTimeliness {
    /// Single and section 47 assessments completed in the period.
    pub completed: u64,
    pub within_45_working_days: u64,
    pub over_45_working_days: u64,
    /// Completed with no `started_on`: their length cannot be known.
    pub start_not_recorded: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ConferenceTimeliness {
    /// Initial child protection conferences held in the period.
    pub held: u64,
    pub within_15_working_days: u64,
    pub over_15_working_days: u64,
    /// No strategy discussion that started enquiries is on record before the conference.
    pub no_strategy_discussion: u64,
}

/// `obligations`: what was owed and fell due in the period, and whether it was met.
#[derive(Serialize, ToSchema)]
pub struct Obligations {
    #[serde(flatten)]
    pub all: ObligationFigures,
    /// By kind: `decide_referral`, `inform_referrer`, `inform_family`, `review_plan`.
    pub by_kind: BTreeMap<String, ObligationFigures>,
}

#[derive(Serialize, ToSchema)]
pub struct ObligationFigures {
    pub due: u64,
    pub met_on_time: u64,
    pub met_late: u64,
    /// Nothing on record meets it.
    pub not_met: u64,
}

/// `recording_delay`: `recorded_at − occurred_at` of the records in the period, in hours.
#[derive(Serialize, ToSchema)]
pub struct RecordingDelay {
    #[serde(flatten)]
    pub all: DelayFigures,
    /// By the agency whose token recorded them.
    pub by_agency: BTreeMap<String, DelayFigures>,
}

#[derive(Serialize, ToSchema)]
pub struct DelayFigures {
    pub records: u64,
    pub median_hours: Option<f64>,
    /// The 90th percentile (nearest rank).
    pub p90_hours: Option<f64>,
    /// Recorded more than 24 hours after they happened.
    pub over_24_hours: u64,
}

/// One child's row: counts only, never an identity.
#[derive(Serialize, ToSchema)]
pub struct ChildRow {
    pub pseudonym: String,
    /// `0-4`, `5-9`, `10-13`, `14-17`, `18+`, `unborn` or `unknown`, at the end of the period.
    pub age_band: String,
    /// The child's level at the end of the period.
    pub level_at_end: Option<LevelAtEnd>,
    pub referrals: u64,
    pub re_referrals: u64,
    pub no_further_action: u64,
    pub assessments: u64,
    pub decided_below_suggested: u64,
    pub conversations: u64,
    pub conversations_with_child_voice: u64,
    pub step_ups: u64,
    pub step_downs: u64,
    pub disagreements_raised: u64,
    /// Counted in `older_children_exploitation.decided_tier_1_or_2`.
    pub older_child_exploitation_decided_tier_1_or_2: bool,
    pub obligations_met_late: u64,
    pub obligations_not_met: u64,
}

/// A level as every answer shows it: `{ tier, name, statutory_basis }`.
#[derive(Serialize, ToSchema)]
pub struct LevelAtEnd {
    pub tier: u8,
    pub name: String,
    pub statutory_basis: String,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, Visitor};
    use serde_json::{Value, json};
    use utoipa::PartialSchema;

    /// What serde's derive hands a deserializer: a struct's field names or an enum's variant
    /// names, after renames. The deserializer below answers every call with this "error".
    #[derive(Debug)]
    struct Names(&'static [&'static str]);

    impl fmt::Display for Names {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    impl std::error::Error for Names {}

    impl de::Error for Names {
        fn custom<T: fmt::Display>(_: T) -> Self {
            Names(&[])
        }
    }

    struct Introspect;

    impl<'de> Deserializer<'de> for Introspect {
        type Error = Names;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Names> {
            Err(Names(&[]))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Names> {
            Err(Names(fields))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Names> {
            Err(Names(variants))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map identifier
            ignored_any
        }
    }

    /// The names serde reads for `T` (a type without `#[serde(flatten)]`).
    fn serde_names<T: Deserialize<'static>>() -> BTreeSet<String> {
        match T::deserialize(Introspect) {
            Err(Names(names)) => names.iter().map(|n| (*n).to_owned()).collect(),
            Ok(_) => BTreeSet::new(),
        }
    }

    /// The keys a value of a type with `#[serde(flatten)]` is written with (serde's derive
    /// reads such a type as a map, naming no fields).
    fn written_names<T: serde::Serialize>(value: &T) -> BTreeSet<String> {
        match serde_json::to_value(value) {
            Ok(Value::Object(m)) => m.keys().cloned().collect(),
            _ => BTreeSet::new(),
        }
    }

    /// The property names of a description (through `allOf` and references into the
    /// document), or an enum's values.
    fn described_names<T: PartialSchema>(doc: &Value) -> BTreeSet<String> {
        fn collect(schema: &Value, doc: &Value, out: &mut BTreeSet<String>) {
            if let Some(name) = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                collect(&doc["components"]["schemas"][name], doc, out);
            }
            if let Some(props) = schema["properties"].as_object() {
                out.extend(props.keys().cloned());
            }
            if let Some(values) = schema["enum"].as_array() {
                out.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            for part in schema["allOf"].as_array().into_iter().flatten() {
                collect(part, doc, out);
            }
        }
        let mut out = BTreeSet::new();
        let schema = serde_json::to_value(T::schema()).unwrap_or(Value::Null);
        collect(&schema, doc, &mut out);
        out
    }

    fn sample_record() -> projection::Record<'static> {
        let nil = uuid::Uuid::nil();
        let at = chrono::DateTime::<chrono::Utc>::MIN_UTC;
        projection::Record {
            event_id: nil,
            sequence: 1,
            record_type: "referral_made".into(),
            occurred_at: at,
            recorded_at: at,
            recorded_by: std::borrow::Cow::Owned(json!({})),
            data: std::borrow::Cow::Owned(json!({})),
            corrects: Some(nil),
            corrected_by: vec![nil],
            original_data: Some(std::borrow::Cow::Owned(json!({}))),
        }
    }

    #[test]
    fn every_description_names_what_serde_does() {
        use projection::inspection as i;
        let doc = crate::openapi::document();
        let mut wrong = Vec::new();
        macro_rules! same {
            ($($view:ident = $names:expr),* $(,)?) => {$(
                let described = described_names::<super::$view>(&doc);
                let names: BTreeSet<String> = $names;
                if described != names {
                    wrong.push(format!(
                        "{}: described {described:?}, serde {names:?}",
                        stringify!($view)
                    ));
                }
            )*};
        }
        let nil = uuid::Uuid::nil();
        let audit_record = projection::AuditRecord {
            record: sample_record(),
            token_id: None,
            agency: String::new(),
            event_version: 1,
            retracted: false,
            retracted_by: Some(nil),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let raw_event = projection::RawEvent {
            record: sample_record(),
            event_version: 1,
            agency: String::new(),
            token_id: None,
            global_position: 1,
            prev_hash: String::new(),
            hash: String::new(),
        };
        same! {
            Record = serde_names::<projection::Record<'static>>(),
            Journey = serde_names::<projection::Journey<'static>>(),
            LevelInterval = serde_names::<projection::LevelInterval>(),
            Audit = serde_names::<projection::Audit<'static>>(),
            AuditRecord = written_names(&audit_record),
            Read = serde_names::<projection::Read>(),
            ConsentLedger = serde_names::<projection::ConsentLedger<'static>>(),
            Consent = serde_names::<projection::Consent<'static>>(),
            ConsentStatus = serde_names::<projection::ConsentStatus>(),
            RawEvents = serde_names::<projection::RawEvents<'static>>(),
            RawEvent = written_names(&raw_event),
            DisagreementStatus = serde_names::<projection::DisagreementStatus>(),
            Disagreement = serde_names::<projection::Disagreement>(),
            DisagreementList = serde_names::<projection::DisagreementList>(),
            Stage = serde_names::<projection::Stage>(),
            StagePosition = serde_names::<projection::StagePosition>(),
            Resolution = serde_names::<projection::Resolution>(),
            Period = serde_names::<projection::Period>(),
            InspectionReport = serde_names::<i::InspectionReport>(),
            Referrals = serde_names::<i::Referrals>(),
            SourceFigures = serde_names::<i::SourceFigures>(),
            ConsentFigures = serde_names::<i::ConsentFigures>(),
            ChildVoiceFigures = serde_names::<i::ChildVoiceFigures>(),
            Levels = serde_names::<i::Levels>(),
            AtEnd = serde_names::<i::AtEnd>(),
            Consistency = serde_names::<i::Consistency>(),
            ThresholdConsistency = written_names(&i::ThresholdConsistency::default()),
            ChildProtection = serde_names::<i::ChildProtection>(),
            DisagreementFigures = serde_names::<i::DisagreementFigures>(),
            OlderChildrenExploitation = serde_names::<i::OlderChildrenExploitation>(),
            Timeliness = serde_names::<i::Timeliness>(),
            ReferralTimeliness = serde_names::<i::ReferralTimeliness>(),
            AssessmentTimeliness = serde_names::<i::AssessmentTimeliness>(),
            ConferenceTimeliness = serde_names::<i::ConferenceTimeliness>(),
            Obligations = written_names(&i::Obligations::default()),
            ObligationFigures = serde_names::<i::ObligationFigures>(),
            RecordingDelay = written_names(&i::RecordingDelay::default()),
            DelayFigures = serde_names::<i::DelayFigures>(),
            ChildRow = serde_names::<i::ChildRow>(),
            LevelAtEnd = serde_names::<i::LevelAtEnd>(),
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
