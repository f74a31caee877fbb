//! JSON Schemas (OpenAPI 3.1, i.e. JSON Schema 2020-12 keywords) of every posted shape: each
//! record type's `data`, a child's details, and the shapes they share. The API puts them in
//! `/openapi.json` under `components.schemas`, with [`example`] beside each record type.
//!
//! Why this exists: agency systems are written by other teams against `/openapi.json`, which
//! docs/CONTRACT.md calls the full contract. A schema that says less than the parser, or something
//! else, sends those teams into a loop of 400s. So each schema here says what the domain's parser
//! ([`crate::record::RecordData::parse`], [`crate::registration::ChildDetails::parse`]) accepts:
//! the same fields, the same required ones, the same enum spellings, the same limits. What the
//! parser cannot know from the value alone (whether an id exists, a level is allowed, a consent
//! was given) is a rule, checked against the child's record and refused with a 422; the
//! descriptions name those rules in words a practitioner understands.
//!
//! The schemas are written by hand from small builders rather than derived, because the parser's
//! shapes are not what a derive would see: free text is a checked newtype, a `child_voice` and a
//! child's dates are one-of checks behind `try_from`, a referral's consent is an untagged enum.
//! The tests below hold the schemas to the parser mechanically, field by field.
//!
//! One serde detail runs through everything: an `Option` field accepts `null` as "left out", so
//! every optional field is nullable here (`"type": ["string", "null"]`), while a field with a
//! plain default (a level's `statutory_basis`, a child's `disability`) may be left out but not
//! sent as `null`.

use serde_json::{Map, Value, json};

use crate::codes::{
    AssessmentFactor, ClosureReason, Disability, Ethnicity, PrimaryNeed, ReferralSource, UpnUnknown,
};
use crate::record::RecordType;
use crate::shapes::MAX_TEXT_CHARS;

/// Where OpenAPI keeps named schemas; every `$ref` here points into it.
const COMPONENTS: &str = "#/components/schemas/";

// --- Building blocks ------------------------------------------------------------------------
// Small enums are written inline where they are used, so a reader sees a field's values where
// the field is; objects that recur are named components (`shared_schemas`).

/// Free text ([`crate::shapes::Text`]): not blank, at most 20,000 characters. JSON Schema's
/// `maxLength` counts code points, as the parser does (`chars().count()`).
fn text() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS, "pattern": "\\S" })
}

/// A plain string the parser takes as it comes (framework codes are checked by rules).
fn string() -> Value {
    json!({ "type": "string" })
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn integer(minimum: i64, maximum: i64) -> Value {
    json!({ "type": "integer", "minimum": minimum, "maximum": maximum })
}

/// A string from a closed list: serde's spelling of a Rust enum, or a census code list.
fn one_of(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

fn list(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// A [`crate::record::NonEmpty`] list: refused when empty.
fn non_empty(items: Value) -> Value {
    json!({ "type": "array", "items": items, "minItems": 1 })
}

/// A named component. 2020-12 allows `description` beside `$ref`, so each use keeps its own.
fn shared(name: &str) -> Value {
    json!({ "$ref": format!("{COMPONENTS}{name}") })
}

fn describe(mut schema: Value, description: &str) -> Value {
    if let Value::Object(map) = &mut schema {
        map.insert("description".to_owned(), Value::from(description));
    }
    schema
}

/// The same schema, also accepting `null` (what serde does for an `Option` field).
fn nullable(schema: Value) -> Value {
    let Value::Object(mut map) = schema else {
        return schema;
    };
    if let Some(Value::String(t)) = map.get("type").cloned() {
        map.insert("type".to_owned(), json!([t, "null"]));
        // `enum` is checked on its own, so null must be one of its values too.
        if let Some(Value::Array(values)) = map.get_mut("enum") {
            values.push(Value::Null);
        }
        return Value::Object(map);
    }
    // A reference or a union: null becomes one more choice, the description stays outside.
    let description = map.remove("description");
    let mut out = Map::new();
    if let Some(d) = description {
        out.insert("description".to_owned(), d);
    }
    out.insert(
        "anyOf".to_owned(),
        json!([Value::Object(map), { "type": "null" }]),
    );
    Value::Object(out)
}

/// How serde treats a field that is left out.
#[derive(Clone, Copy)]
enum Presence {
    /// No default: left out (or `null`) is a 400.
    Required,
    /// An `Option` with `#[serde(default)]`: may be left out or sent as `null`.
    Optional,
    /// A plain `#[serde(default)]`: may be left out, but `null` is a wrong type.
    Defaulted,
}

struct Field {
    name: &'static str,
    presence: Presence,
    schema: Value,
}

fn field(name: &'static str, presence: Presence, schema: Value, description: &str) -> Field {
    let schema = describe(schema, description);
    let schema = match presence {
        Presence::Optional => nullable(schema),
        Presence::Required | Presence::Defaulted => schema,
    };
    Field {
        name,
        presence,
        schema,
    }
}

fn req(name: &'static str, schema: Value, description: &str) -> Field {
    field(name, Presence::Required, schema, description)
}

fn opt(name: &'static str, schema: Value, description: &str) -> Field {
    field(name, Presence::Optional, schema, description)
}

fn dflt(name: &'static str, schema: Value, description: &str) -> Field {
    field(name, Presence::Defaulted, schema, description)
}

/// An object of these fields and no others: every struct the parser reads uses
/// `deny_unknown_fields`, so `additionalProperties` is always false.
fn object(fields: Vec<Field>) -> Value {
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| matches!(f.presence, Presence::Required))
        .map(|f| f.name)
        .collect();
    let properties: Map<String, Value> = fields
        .into_iter()
        .map(|f| (f.name.to_owned(), f.schema))
        .collect();
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn record(description: &str, fields: Vec<Field>) -> Value {
    describe(object(fields), description)
}

/// A constraint that one of the optional `names` is present and not null (`anyOf`) or that
/// exactly one is (`oneOf`): the parser's one-of checks behind `try_from`.
fn present(keyword: &str, names: &[&str]) -> Value {
    let branches: Vec<Value> = names
        .iter()
        .map(|n| json!({ "required": [n], "properties": { *n: { "not": { "type": "null" } } } }))
        .collect();
    json!({ keyword: branches })
}

fn with(mut schema: Value, constraint: Value) -> Value {
    if let (Value::Object(map), Value::Object(extra)) = (&mut schema, constraint) {
        map.extend(extra);
    }
    schema
}

/// Steps and service changes leave an obligation to tell the family unless they say it is done.
const FAMILY_INFORMED: &str = "Whether the family was told. Unless `true`, an obligation to tell \
                               them stays open until a `family_informed` record.";

fn new_id(what: &str) -> String {
    format!("Client-chosen UUID of this {what}; must not be used before for this child.")
}

fn known_id(what: &str) -> String {
    format!("The {what}'s id; it must be on this child's record.")
}

// --- Enums, spelled as serde spells them ----------------------------------------------------

const CONSENT_PURPOSES: &[&str] = &[
    "early_help",
    "family_support_process",
    "referral",
    "information_sharing",
    "service",
    "step_down",
    "assessment",
];

const PLAN_CATEGORIES: &[&str] = &[
    "neglect",
    "physical_abuse",
    "emotional_abuse",
    "sexual_abuse",
    "multiple",
];

const GENDERS: &[&str] = &["male", "female", "unknown", "not_stated"];

// --- Shared shapes --------------------------------------------------------------------------

/// Shared shapes, by component name (`Person`, `Level`, ...), referenced from the others as
/// `#/components/schemas/<Name>`.
pub fn shared_schemas() -> Vec<(&'static str, Value)> {
    vec![
        ("Person", person()),
        ("FamilyMember", family_member()),
        ("Party", party()),
        ("Action", action()),
        ("Scaling", scaling()),
        ("ChildVoice", child_voice()),
        ("Level", level()),
        ("Identifiers", identifiers()),
    ]
}

fn person() -> Value {
    describe(
        object(vec![
            req("name", text(), "The practitioner's name."),
            req(
                "role",
                text(),
                "Their role, e.g. `social_worker`, `designated_safeguarding_lead`.",
            ),
            req(
                "agency",
                text(),
                "Their agency, spelled as in tokens: `police:norfolk`, `school:norwich-high`.",
            ),
        ]),
        "A practitioner: who recorded, decided, led or took part.",
    )
}

fn family_member() -> Value {
    describe(
        object(vec![
            opt("name", text(), "Their name, where it is known."),
            req(
                "relationship",
                text(),
                "Their relationship to the child: `mother`, `father`, `carer`, `young_person`, \
                 `child`, ...",
            ),
        ]),
        "Someone in the child's family, or the child.",
    )
}

/// Untagged in the parser: the fields tell a person from a family member, and since both refuse
/// unknown fields no value can be both, so `oneOf` is exact.
fn party() -> Value {
    json!({
        "description": "A practitioner (`name`, `role`, `agency`) or a family member \
                        (`relationship`, `name`?), told apart by their fields.",
        "oneOf": [shared("Person"), shared("FamilyMember")],
    })
}

fn action() -> Value {
    describe(
        object(vec![
            req("description", text(), "What is to be done."),
            req(
                "owner",
                shared("Party"),
                "Who does it: a practitioner or a family member.",
            ),
            req("due_by", date(), "By when."),
        ]),
        "Who does what by when.",
    )
}

fn scaling() -> Value {
    describe(
        object(vec![
            req(
                "question",
                text(),
                "The scaling question, e.g. \"How safe is Maya at home?\"",
            ),
            req(
                "score",
                integer(0, 10),
                "The score, a whole number from 0 to 10.",
            ),
            req("zero_means", text(), "What 0 means."),
            req("ten_means", text(), "What 10 means."),
            req("rationale", text(), "What makes it this number."),
        ]),
        "A Signs of Safety scaling question: a score from 0 to 10, what its ends mean and why \
         this number.",
    )
}

fn child_voice() -> Value {
    let fields = object(vec![
        opt(
            "views",
            text(),
            "The child's own views, in their words where possible.",
        ),
        opt(
            "behaviour_observed",
            text(),
            "What the child's behaviour showed (for a child too young or unable to say).",
        ),
        opt(
            "not_captured_reason",
            text(),
            "Why neither the child's views nor their behaviour was captured.",
        ),
    ]);
    describe(
        with(
            fields,
            present(
                "anyOf",
                &["views", "behaviour_observed", "not_captured_reason"],
            ),
        ),
        "The child's voice: give at least one of `views`, `behaviour_observed` or \
         `not_captured_reason`, so it is never an empty box ticked.",
    )
}

fn level() -> Value {
    let mut basis = one_of(&["none", "section_17", "section_47"]);
    basis["default"] = json!("none");
    describe(
        object(vec![
            req(
                "tier",
                integer(1, 4),
                "The tier, 1 (universal) to 4 (child protection); each framework names its \
                 tiers.",
            ),
            dflt(
                "statutory_basis",
                basis,
                "The statute the level rests on: `none`, `section_17` (a child in need) or \
                 `section_47` (significant harm or its likelihood). Left out, it is `none`.",
            ),
        ]),
        "A level of need: a tier and its statutory basis, ordered by tier, then basis (`none` < \
         `section_17` < `section_47`). Which levels may be decided is the deployment \
         framework's rule.",
    )
}

/// An NHS number as accepted: ten digits, spaces and hyphens anywhere (dropped before the
/// check digit is checked).
pub const NHS_NUMBER_PATTERN: &str = "^[ -]*([0-9][ -]*){10}$";

/// A UPN as accepted: a check letter, 11 digits, then a digit or (temporary UPN) a letter; I, O
/// and S are never used. Case and surrounding spaces are ignored.
pub const UPN_PATTERN: &str =
    "^\\s*[A-HJ-NP-RT-Za-hj-np-rt-z][0-9]{11}[0-9A-HJ-NP-RT-Za-hj-np-rt-z]\\s*$";

fn identifiers() -> Value {
    describe(
        object(vec![
            opt(
                "nhs_number",
                // Ten digits; spaces and hyphens anywhere are dropped before the check.
                json!({ "type": "string", "pattern": NHS_NUMBER_PATTERN }),
                "NHS number: 10 digits, the last a modulus 11 check digit, which is checked. \
                 Spaces and hyphens are allowed and dropped (`943 476 5919`). A second child \
                 registered under the same NHS number is a 409.",
            ),
            opt(
                "upn",
                // A check letter, 11 digits, then a digit or (temporary UPN) a letter; I, O and
                // S are never used. Case and surrounding spaces are ignored.
                json!({ "type": "string", "pattern": UPN_PATTERN }),
                "Unique Pupil Number: 13 characters, a check letter (which is checked) then 12 \
                 characters (LA number, establishment, year, serial), the last a letter in a \
                 temporary UPN.",
            ),
            opt("la_child_id", text(), "The council's own id for the child."),
            opt(
                "former_upn",
                json!({ "type": "string", "pattern": UPN_PATTERN }),
                "A UPN the child was known by before (the census's FormerUPN), checked like \
                 `upn`.",
            ),
            opt(
                "upn_unknown",
                one_of(UpnUnknown::ALL),
                "Why the child has no UPN (the census's UPNunknown): `UN1` under 6 and not yet \
                 assigned one, ... `UN7` a referral with no further action.",
            ),
        ]),
        "The identifiers other systems know the child by.",
    )
}

// --- A child's details ----------------------------------------------------------------------

/// A child's fields with the presence each has in a registration; a `child_details_updated`'s
/// `changes` takes the same fields, all optional.
fn child_fields() -> Vec<(Presence, &'static str, Value, &'static str)> {
    use Presence::{Defaulted, Optional, Required};
    vec![
        (Required, "given_name", text(), "The child's given name."),
        (Required, "family_name", text(), "The child's family name."),
        (
            Optional,
            "date_of_birth",
            date(),
            "Date of birth. Recording it for an unborn child replaces the expected date.",
        ),
        (
            Optional,
            "expected_date_of_birth",
            date(),
            "Expected date of birth, for an unborn child.",
        ),
        (
            Required,
            "gender",
            one_of(GENDERS),
            "The census's Sex: `male`, `female`, `unknown` or `not_stated`.",
        ),
        (
            Optional,
            "ethnicity",
            one_of(Ethnicity::ALL),
            "Census ethnicity code (`WBRI`, ...).",
        ),
        (
            Defaulted,
            "disability",
            list(one_of(Disability::ALL)),
            "Census disability codes (`NONE` for none recorded as such).",
        ),
        (
            Required,
            "locality",
            text(),
            "The locality the child lives in (reports are filtered by it).",
        ),
        (
            Optional,
            "identifiers",
            shared("Identifiers"),
            "NHS number, UPN and the council's own id, where known.",
        ),
    ]
}

/// The schema of `child` in a registration (and of `child_registered`'s data).
pub fn child_details_schema() -> Value {
    let fields = child_fields()
        .into_iter()
        .map(|(presence, name, schema, d)| field(name, presence, schema, d))
        .collect();
    describe(
        with(
            object(fields),
            present("oneOf", &["date_of_birth", "expected_date_of_birth"]),
        ),
        "A child as registered (`child` in `POST /v1/children`, and `child_registered`'s \
         data). Give exactly one of `date_of_birth` and `expected_date_of_birth` (an unborn \
         child): both, or neither, is refused.",
    )
}

fn child_details_changes() -> Value {
    // Every field of `ChildDetailsChanges` is an `Option`, `disability` included, so each may
    // be left out or sent as null.
    object(
        child_fields()
            .into_iter()
            .map(|(_, name, schema, d)| opt(name, schema, d))
            .collect(),
    )
}

// --- Record types ---------------------------------------------------------------------------

/// The schema of one record type's `data`.
pub fn record_data_schema(t: RecordType) -> Value {
    use RecordType as T;
    match t {
        T::ChildDetailsUpdated => record(
            "A change to the child's details: a birth, a new locality, a new identifier. Fields \
             left out of `changes` stay as they were.",
            vec![
                req(
                    "changes",
                    child_details_changes(),
                    "The fields of `child` that change, e.g. `date_of_birth` once an unborn \
                     child is born, or a new `locality`. Must name at least one change, and the \
                     child's details after it must still be complete (422 otherwise).",
                ),
                req("reason", text(), "Why the details change."),
            ],
        ),
        T::ConversationRecorded => conversation_recorded(),
        T::NeedsAssessed => needs_assessed(),
        T::ConsentSought => record(
            "Consent asked of the family, with what they were told.",
            vec![
                req("consent_id", uuid(), &new_id("consent")),
                req(
                    "purpose",
                    one_of(CONSENT_PURPOSES),
                    "What the consent is for.",
                ),
                req("sought_from", shared("FamilyMember"), "Who was asked."),
                req(
                    "explained",
                    text(),
                    "What the family was told: the service, what will be shared, with whom, \
                     and why.",
                ),
            ],
        ),
        T::ConsentGiven => record(
            "Consent given. A consent's status is the latest of sought, given, refused, \
             withdrawn or dispensed with for its id.",
            vec![
                req(
                    "consent_id",
                    uuid(),
                    "The consent given, usually the id it was sought under. A consent already \
                     given, withdrawn or dispensed with cannot be given again: that needs a new \
                     id.",
                ),
                req("given_by", shared("FamilyMember"), "Who gave it."),
                opt(
                    "scope",
                    object(vec![
                        opt(
                            "agencies",
                            list(text()),
                            "Agencies the consent covers, e.g. `police:norfolk`.",
                        ),
                        opt(
                            "information",
                            list(text()),
                            "Information the consent covers.",
                        ),
                    ]),
                    "What the consent covers, where it is limited.",
                ),
                opt("expires_on", date(), "When the consent lapses, if it does."),
            ],
        ),
        T::ConsentRefused => record(
            "Consent refused.",
            vec![
                req(
                    "consent_id",
                    uuid(),
                    "The consent being refused; one already refused, withdrawn or dispensed \
                     with cannot be refused again (a new request needs a new id).",
                ),
                req("refused_by", shared("FamilyMember"), "Who refused."),
                opt(
                    "reasons_given",
                    text(),
                    "The reasons the family gave, if any.",
                ),
            ],
        ),
        T::ConsentWithdrawn => record(
            "Consent withdrawn. Given again later, it needs a new `consent_id`.",
            vec![
                req(
                    "consent_id",
                    uuid(),
                    "The consent withdrawn; it must have been given.",
                ),
                req("withdrawn_by", shared("FamilyMember"), "Who withdrew it."),
                opt("note", text(), "Anything said about it."),
            ],
        ),
        T::ConsentDispensedWith => record(
            "A decision not to seek consent, or to proceed without it. Give `approved_by` (a \
             manager) or, where approval was not possible, `approval_not_possible_reason`.",
            vec![
                req("consent_id", uuid(), &new_id("consent decision")),
                req(
                    "purpose",
                    one_of(CONSENT_PURPOSES),
                    "What consent is dispensed with for.",
                ),
                req(
                    "grounds",
                    non_empty(one_of(&[
                        "risk_to_child",
                        "risk_to_others",
                        "risk_to_referrer",
                        "would_undermine_criminal_investigation",
                        "delay_would_increase_risk",
                    ])),
                    "The grounds, at least one.",
                ),
                req("reasons", text(), "Why, in this child's circumstances."),
                opt(
                    "approved_by",
                    shared("Person"),
                    "The manager who approved the decision.",
                ),
                opt(
                    "approval_not_possible_reason",
                    text(),
                    "Why a manager's approval was not possible (when `approved_by` is left \
                     out).",
                ),
            ],
        ),
        T::InformationShared => record(
            "Information shared with other agencies. It rests on a consent given for a matching \
             purpose (`consent_id`), or says why it was shared without consent.",
            vec![
                req(
                    "purpose",
                    text(),
                    "Why it was shared. When it rests on a consent, spell it as that consent's \
                     purpose (e.g. `referral`) unless the consent is for `information_sharing`.",
                ),
                req(
                    "shared_with",
                    non_empty(text()),
                    "The agencies it was shared with, at least one (e.g. `police:norfolk`).",
                ),
                req("what", text(), "What was shared."),
                opt(
                    "consent_id",
                    uuid(),
                    "The consent it rests on; it must be given, for a matching purpose.",
                ),
                opt(
                    "without_consent_reason",
                    text(),
                    "Why it was shared without consent (when `consent_id` is left out).",
                ),
            ],
        ),
        T::InformationWithheld => record(
            "Information withheld, e.g. from the family during a police investigation.",
            vec![
                req("what", text(), "What was withheld."),
                req(
                    "withheld_from",
                    text(),
                    "Who it was withheld from: `family`, or an agency.",
                ),
                req("reason", text(), "Why."),
                opt(
                    "requested_by",
                    shared("Person"),
                    "Who asked for it to be withheld, e.g. the police officer.",
                ),
                opt("review_by", date(), "When the decision is to be reviewed."),
            ],
        ),
        T::ReferralMade => referral_made(),
        T::ReferralDecided => record(
            "The front door's decision on a referral. A referral is decided once: a change is a \
             `record_corrected` or a professional disagreement. The level decided is recorded \
             here; the child's level changes with the `stepped_up` or `stepped_down` that \
             follows.",
            vec![
                req(
                    "referral_id",
                    uuid(),
                    "The referral decided; it must be on this child's record and not yet \
                     decided.",
                ),
                req(
                    "decision",
                    one_of(&[
                        "no_further_action",
                        "advice_and_signposting",
                        "early_help",
                        "targeted_early_help",
                        "child_in_need_assessment",
                        "strategy_discussion",
                        "emergency_protection",
                    ]),
                    "What the front door decided.",
                ),
                req(
                    "decided_level",
                    shared("Level"),
                    "The level decided; the deployment's framework must allow it.",
                ),
                req("rationale", text(), "Why."),
                opt(
                    "primary_need",
                    one_of(PrimaryNeed::ALL),
                    "Census primary need code, `N0` to `N9`.",
                ),
                opt(
                    "referrer_informed",
                    object(vec![req("how", text(), "How the referrer was told.")]),
                    "How the referrer was told of the decision. Left out, an obligation to tell \
                     the referrer stays open until a `referrer_informed`.",
                ),
            ],
        ),
        T::ReferrerInformed => record(
            "The referrer told of the decision on their referral.",
            vec![
                req("referral_id", uuid(), &known_id("referral")),
                req(
                    "how",
                    text(),
                    "How the referrer was told (a phone call, a letter, ...).",
                ),
            ],
        ),
        T::FamilyInformed => record(
            "The family told of a referral, a service change or a change of level.",
            vec![
                req(
                    "about_event_id",
                    uuid(),
                    "The event id of the record they were told of; it must be on this child's \
                     record and be a referral_made, referral_decided, service_started, \
                     service_ended, stepped_up, stepped_down or case_closed.",
                ),
                req("how", text(), "How they were told."),
                req("by", shared("Person"), "Who told them."),
            ],
        ),
        T::SteppedUp => step(true),
        T::SteppedDown => step(false),
        T::LeadWorkerAssigned => record(
            "A lead worker assigned to the child and family.",
            vec![
                req("lead_worker", shared("Person"), "The lead worker."),
                opt(
                    "team",
                    text(),
                    "The team the lead worker works in (Ofsted's Annex A \"Allocated Team\"; \
                     the lead worker is its \"Allocated Worker\").",
                ),
                opt(
                    "chosen_with_family",
                    boolean(),
                    "Whether the family had a say in the choice.",
                ),
                opt(
                    "plan_id",
                    uuid(),
                    "The plan they lead, if any; it must be on this child's record.",
                ),
            ],
        ),
        T::ServiceStarted => record(
            "A service started for the child or family.",
            vec![
                req("service_id", uuid(), &new_id("service")),
                req(
                    "service",
                    text(),
                    "The service, by name (e.g. a parenting group).",
                ),
                req(
                    "provider",
                    text(),
                    "The agency providing it, spelled as in tokens (`council:early-help`).",
                ),
                opt("family_informed", boolean(), FAMILY_INFORMED),
            ],
        ),
        T::ServiceEnded => record(
            "A service ended.",
            vec![
                req(
                    "service_id",
                    uuid(),
                    "The service ending; it must be on this child's record and still in place.",
                ),
                req("reason", text(), "Why it ended."),
                opt(
                    "agreed_in_plan_id",
                    uuid(),
                    "The plan in which the ending was agreed; it must be on this child's record.",
                ),
                opt("family_informed", boolean(), FAMILY_INFORMED),
            ],
        ),
        T::PlanStarted => record(
            "A plan started. A child protection plan must carry its `category`.",
            vec![
                req("plan_id", uuid(), &new_id("plan")),
                req(
                    "kind",
                    one_of(&[
                        "family_support_plan",
                        "early_help_plan",
                        "child_in_need_plan",
                        "child_protection_plan",
                    ]),
                    "The kind of plan.",
                ),
                req("lead", shared("Person"), "Who leads the plan."),
                req(
                    "review_by",
                    date(),
                    "When it is to be reviewed; an obligation to review it stays open until then.",
                ),
                opt("actions", list(shared("Action")), "Who does what by when."),
                opt(
                    "category",
                    one_of(PLAN_CATEGORIES),
                    "The category of abuse; required for a `child_protection_plan`.",
                ),
            ],
        ),
        T::PlanReviewed => record(
            "A plan reviewed.",
            vec![
                req(
                    "plan_id",
                    uuid(),
                    "The plan reviewed; it must be on this child's record and open.",
                ),
                req(
                    "progress",
                    text(),
                    "What has changed since the plan began or was last reviewed.",
                ),
                opt(
                    "scaling",
                    list(shared("Scaling")),
                    "Scaling questions asked at the review.",
                ),
                req("next_review_by", date(), "When it is next to be reviewed."),
                opt(
                    "actions",
                    list(shared("Action")),
                    "Who does what by when, from now on.",
                ),
            ],
        ),
        T::PlanEnded => record(
            "A plan ended.",
            vec![
                req(
                    "plan_id",
                    uuid(),
                    "The plan ended; it must be on this child's record and open.",
                ),
                req(
                    "reason",
                    one_of(&[
                        "needs_met",
                        "stepped_up",
                        "stepped_down",
                        "moved_away",
                        "other",
                    ]),
                    "Why it ended.",
                ),
                opt("note", text(), "Anything more to say."),
            ],
        ),
        T::StrategyDiscussionHeld => record(
            "A strategy discussion, held when there is reasonable cause to suspect significant \
             harm.",
            vec![
                req(
                    "strategy_discussion_id",
                    uuid(),
                    &new_id("strategy discussion"),
                ),
                req(
                    "participants",
                    non_empty(shared("Person")),
                    "The professionals who took part: at least two (police and children's \
                     services expected); fewer is refused (422).",
                ),
                req(
                    "decision",
                    one_of(&[
                        "section_47_enquiry",
                        "no_section_47",
                        "immediate_protection",
                    ]),
                    "What was decided.",
                ),
                req("rationale", text(), "Why."),
            ],
        ),
        T::Section47EnquiryStarted => record(
            "A section 47 enquiry started.",
            vec![
                req("enquiry_id", uuid(), &new_id("enquiry")),
                req(
                    "strategy_discussion_id",
                    uuid(),
                    "The strategy discussion it starts from; it must be on this child's record \
                     and have decided on a `section_47_enquiry`.",
                ),
                req("lead", shared("Person"), "Who leads the enquiry."),
            ],
        ),
        T::Section47EnquiryConcluded => record(
            "A section 47 enquiry concluded.",
            vec![
                req(
                    "enquiry_id",
                    uuid(),
                    "The enquiry concluded; it must be on this child's record and open.",
                ),
                req(
                    "outcome",
                    one_of(&[
                        "conference_needed",
                        "substantiated_no_conference",
                        "not_substantiated",
                    ]),
                    "What the enquiry found.",
                ),
                req("rationale", text(), "Why."),
            ],
        ),
        T::ChildProtectionConferenceHeld => record(
            "A child protection conference, initial or review.",
            vec![
                req("conference_id", uuid(), &new_id("conference")),
                req(
                    "kind",
                    one_of(&["initial", "review"]),
                    "Initial or review conference.",
                ),
                req("chair", shared("Person"), "Who chaired it."),
                req(
                    "attendees",
                    non_empty(text()),
                    "The agencies that attended, at least one (e.g. `police:norfolk`).",
                ),
                req(
                    "outcome",
                    one_of(&["plan_started", "plan_continued", "plan_ended", "no_plan"]),
                    "What the conference decided about a child protection plan.",
                ),
                opt(
                    "plan_id",
                    uuid(),
                    "The child protection plan concerned, if any.",
                ),
                opt(
                    "category",
                    one_of(PLAN_CATEGORIES),
                    "The category of abuse, for a plan.",
                ),
                opt(
                    "child_voice",
                    shared("ChildVoice"),
                    "The child's views as brought to the conference.",
                ),
            ],
        ),
        T::DisagreementRaised => record(
            "A professional disagreement raised about a decision. It starts at stage 1: the \
             practitioner's own line manager or designated safeguarding lead.",
            vec![
                req("disagreement_id", uuid(), &new_id("disagreement")),
                req(
                    "about_event_id",
                    uuid(),
                    "The event id of the decision in dispute; it must be on this child's record.",
                ),
                req("raised_by", shared("Person"), "Who raised it."),
                req(
                    "position",
                    text(),
                    "Their position: what they disagree with and why.",
                ),
                req("desired_outcome", text(), "What they want to happen."),
            ],
        ),
        T::DisagreementEscalated => record(
            "A professional disagreement escalated to a higher stage of the Resolving \
             Professional Disagreement policy.",
            vec![
                req(
                    "disagreement_id",
                    uuid(),
                    "The disagreement; it must be on this child's record and open.",
                ),
                req(
                    "to_stage",
                    integer(0, i64::from(u8::MAX)),
                    "The stage it goes to: 2 (agency leads), 3 (senior managers) or 4 (the \
                     safeguarding partnership). It must be higher than the current stage and \
                     at most 4; other numbers are refused as a rule (422).",
                ),
                req("escalated_by", shared("Person"), "Who escalated it."),
                req(
                    "positions",
                    non_empty(object(vec![
                        req("party", shared("Person"), "Whose position it is."),
                        req("position", text(), "Their position."),
                    ])),
                    "Each party's position, at least one.",
                ),
                req("reason", text(), "Why it was escalated."),
            ],
        ),
        T::DisagreementResolved => record(
            "A professional disagreement resolved.",
            vec![
                req(
                    "disagreement_id",
                    uuid(),
                    "The disagreement; it must be on this child's record and open.",
                ),
                req(
                    "outcome",
                    one_of(&["decision_upheld", "decision_changed", "withdrawn"]),
                    "How it ended.",
                ),
                req("resolution", text(), "What was agreed, and why."),
                req("resolved_by", shared("Person"), "Who resolved it."),
                opt(
                    "follow_up_event_id",
                    uuid(),
                    "The event id of the record that carries a changed decision out; it must \
                     be on this child's record.",
                ),
            ],
        ),
        T::RecordCorrected => record(
            "A correction of an earlier record: either its whole corrected `data`, or \
             `retract: true` (entered on the wrong child or in error: it leaves the journey and \
             the figures, and stays in the audit). Give one of the two, not both. A \
             correction may not leave a later record resting on something that no longer \
             stands (a review of a retracted plan, a step from a level the child was no longer \
             at): correct or retract those records too, in the same batch or first.",
            vec![
                req(
                    "corrects_event_id",
                    uuid(),
                    "The event id of the record corrected: a record of this child, not its \
                     registration or another correction, and not already retracted.",
                ),
                req("reason", text(), "Why it is corrected."),
                opt(
                    "corrected_data",
                    // Any object at this level: it is parsed as the corrected record's own
                    // type once that is known, with errors at `data.corrected_data.…`.
                    json!({ "type": "object" }),
                    "The whole corrected `data` of the original record's type, which must pass \
                     that type's schema and rules.",
                ),
                opt(
                    "retract",
                    boolean(),
                    "`true` to retract the record instead of correcting it.",
                ),
            ],
        ),
        T::CaseClosed => record(
            "The case closed; the child returns to tier 1. No plan, section 47 enquiry or \
             referral may still be open. On a closed case only corrections, detail updates, \
             telling the referrer or family, information sharing and disagreements may be \
             recorded until a `case_reopened`.",
            vec![
                req("reason", text(), "Why the case closes."),
                req("closed_by", shared("Person"), "Who closed it."),
                opt(
                    "closure_reason",
                    one_of(ClosureReason::ALL),
                    "Census reason for closure, `RC1` to `RC9`.",
                ),
            ],
        ),
        T::CaseReopened => record(
            "A closed case reopened (only a closed case can be).",
            vec![req("reason", text(), "Why the case reopens.")],
        ),
    }
}

fn conversation_recorded() -> Value {
    record(
        "A conversation with the family, the child or other practitioners, in Signs of Safety \
         terms. Give at least one of `worries`, `working_well`, `needs_to_happen` or `facts`; \
         a `front_door_consultation` must carry `advice` (no anonymous consultations).",
        vec![
            req("conversation_id", uuid(), &new_id("conversation")),
            req(
                "kind",
                one_of(&[
                    "with_family",
                    "with_child",
                    "between_practitioners",
                    "front_door_consultation",
                    "team_around_the_family",
                ]),
                "Who the conversation was with.",
            ),
            req(
                "participants",
                non_empty(shared("Party")),
                "Who took part, at least one: practitioners and family members.",
            ),
            opt("worries", list(text()), "What we are worried about."),
            opt("working_well", list(text()), "What is working well."),
            opt("needs_to_happen", list(text()), "What needs to happen."),
            opt(
                "scaling",
                list(shared("Scaling")),
                "Scaling questions asked.",
            ),
            opt(
                "facts",
                list(text()),
                "Facts: what was seen, heard or is known, kept apart from opinion.",
            ),
            opt(
                "opinions",
                list(text()),
                "Opinions, kept apart from the facts.",
            ),
            opt(
                "child_voice",
                shared("ChildVoice"),
                "The child's views or behaviour observed, or why neither was captured.",
            ),
            opt("decisions", list(text()), "Decisions made."),
            opt("actions", list(shared("Action")), "Who does what by when."),
            opt(
                "advice",
                object(vec![
                    req("advised", text(), "What was advised."),
                    req("rationale", text(), "Why."),
                ]),
                "What the front door advised, and why; required for a \
                 `front_door_consultation`.",
            ),
            opt(
                "about_referral_id",
                uuid(),
                "The referral the conversation is about; it must be on this child's record.",
            ),
        ],
    )
}

fn needs_assessed() -> Value {
    record(
        "An assessment of the child's needs, completed and authorised (the record's \
         `occurred_at`), with the level decided. The server adds `suggested` to the stored \
         record: the level the framework's catalogue and rules suggest, with the reasons and \
         the rules' version. It never overrides the decision, and a client may not send it.",
        vec![
            req("assessment_id", uuid(), &new_id("assessment")),
            req(
                "assessment",
                one_of(&[
                    "screening",
                    "early_help_assessment",
                    "family_support_assessment",
                    "single_assessment",
                    "section_47_assessment",
                ]),
                "The kind of assessment.",
            ),
            opt(
                "indicators",
                list(object(vec![
                    req(
                        "code",
                        string(),
                        "An indicator from the deployment framework's descriptor catalogue, \
                         `<row code>-T<tier>` (e.g. `NOR-CD-05-T3`); an unknown code is refused \
                         (422).",
                    ),
                    opt("note", text(), "What was seen, in this child's case."),
                ])),
                "Indicators of need identified, from the framework's descriptor catalogue.",
            ),
            opt(
                "section_47_indicators",
                list(string()),
                "Codes from the framework's section 47 list (e.g. `NOR-S47-08`); an unknown \
                 code is refused (422).",
            ),
            opt(
                "strengths",
                list(text()),
                "Strengths in the child's life and family.",
            ),
            opt(
                "child_voice",
                shared("ChildVoice"),
                "The child's views or behaviour observed, or why neither was captured.",
            ),
            req(
                "decided_level",
                shared("Level"),
                "The level decided; the deployment's framework must allow it. The child's \
                 level changes with the `stepped_up` or `stepped_down` that follows.",
            ),
            req("rationale", text(), "Why this level."),
            opt(
                "started_on",
                date(),
                "When the assessment began (the record's `occurred_at` is when it was \
                 completed and authorised).",
            ),
            opt("child_seen", boolean(), "Whether the child was seen."),
            opt(
                "factors",
                list(one_of(AssessmentFactor::ALL)),
                "Census factors identified at the end of assessment (`1A` ... `24A`); `21` \
                 (no factors identified) only on its own.",
            ),
        ],
    )
}

/// `consent` is untagged in the parser: which of the three forms is told by its fields, and
/// each refuses the others' fields, so exactly one can match.
fn referral_consent() -> Value {
    let given = describe(
        object(vec![req(
            "consent_id",
            uuid(),
            "A consent given (for the referral) on this child's record.",
        )]),
        "With consent.",
    );
    let dispensed = describe(
        object(vec![req(
            "dispensed_consent_id",
            uuid(),
            "The `consent_dispensed_with` on this child's record.",
        )]),
        "Without seeking consent, as recorded in a `consent_dispensed_with`.",
    );
    let refused = describe(
        object(vec![
            req(
                "refused_consent_id",
                uuid(),
                "The refused consent on this child's record.",
            ),
            opt(
                "proceeding_reason",
                text(),
                "Why the referral goes ahead without consent; needed (422 otherwise).",
            ),
            opt(
                "front_door_told_consent_withheld",
                boolean(),
                "Must be `true`: the front door is told consent was withheld (422 otherwise).",
            ),
        ]),
        "Although consent was refused: say why, and tell the front door. The family must then \
         be told (`family_informed`).",
    );
    json!({ "oneOf": [given, dispensed, refused] })
}

fn referral_made() -> Value {
    record(
        "A referral to the front door or the early help hub.",
        vec![
            req("referral_id", uuid(), &new_id("referral")),
            req(
                "to",
                one_of(&["front_door", "early_help_hub"]),
                "Where the referral goes.",
            ),
            req("concerns", non_empty(text()), "The concerns, at least one."),
            req(
                "immediate_risk",
                boolean(),
                "Whether the child is at immediate risk.",
            ),
            opt("child_location", text(), "Where the child is now."),
            req(
                "family_aware",
                boolean(),
                "Whether the family knows of the referral.",
            ),
            req(
                "consent",
                referral_consent(),
                "How consent stands: exactly one of `{ consent_id }` (given), \
                 `{ dispensed_consent_id }` (dispensed with) or `{ refused_consent_id, \
                 proceeding_reason, front_door_told_consent_withheld: true }` (refused, \
                 proceeding anyway).",
            ),
            opt(
                "source",
                one_of(ReferralSource::ALL),
                "Census referral source: `1A`-`1D` individuals, `2A` schools, `2B` education \
                 services, `3A`-`3F` health, `4` housing, `5A`-`5D` the council, `6` police, `7` \
                 other legal agency, `8` other, `9` anonymous, `10` unknown.",
            ),
        ],
    )
}

/// `stepped_up` and `stepped_down` carry the same fields; only the direction differs.
fn step(up: bool) -> Value {
    let (description, to) = if up {
        (
            "A step up: the child's level rises. A decision (`referral_decided`, \
             `needs_assessed`) records what was decided; this records the change. Reasons that \
             are all `consent_refused` are refused: refusal alone is no reason to escalate.",
            "The new level: strictly higher than `from` (by tier, then basis), and one the \
             framework allows.",
        )
    } else {
        (
            "A step down: the child's level falls. A step down from `section_17` to `none` \
             within a tier needs the family's given consent (`consent_id`).",
            "The new level: strictly lower than `from` (by tier, then basis), and one the \
             framework allows.",
        )
    };
    record(
        description,
        vec![
            req(
                "from",
                shared("Level"),
                "The child's current level; it must equal it (422 otherwise).",
            ),
            req("to", shared("Level"), to),
            req(
                "reasons",
                non_empty(object(vec![
                    req(
                        "kind",
                        one_of(&[
                            "indicators",
                            "assessment",
                            "incident",
                            "disclosure",
                            "plan_not_working",
                            "needs_met",
                            "consent_refused",
                            "other",
                        ]),
                        "The kind of reason.",
                    ),
                    req("detail", text(), "The reason, in this child's case."),
                ])),
                "Why, at least one reason.",
            ),
            req("rationale", text(), "The reasoning behind the decision."),
            req("decided_by", shared("Person"), "Who decided."),
            opt(
                "assessment_id",
                uuid(),
                "The `needs_assessed` this rests on; it must be on this child's record.",
            ),
            opt(
                "consent_id",
                uuid(),
                "The family's consent, which must be given.",
            ),
            opt(
                "continuing_services",
                list(uuid()),
                "The service ids of services that carry on after the step.",
            ),
            opt("family_informed", boolean(), FAMILY_INFORMED),
        ],
    )
}

// --- Examples -------------------------------------------------------------------------------
// One family's journey: a school's designated safeguarding lead worried about a 13-year-old,
// early help, a referral to the front door, a section 47 enquiry. Ids are fixed so the
// documentation does not change from build to build.

const CONVERSATION_ID: &str = "5f0c7a2e-1b3d-4e6f-8a9b-0c1d2e3f4a51";
const ASSESSMENT_ID: &str = "7a1e3c5b-2d4f-4a6b-9c8d-1e2f3a4b5c62";
const CONSENT_ID: &str = "9c2d4e6f-3a5b-4c7d-8e9f-2a3b4c5d6e73";
const DISPENSED_CONSENT_ID: &str = "b3e5f7a9-4b6c-4d8e-9fa0-3b4c5d6e7f84";
const REFERRAL_ID: &str = "d4f6a8b0-5c7d-4e9f-a0b1-4c5d6e7f8095";
const DECISION_EVENT_ID: &str = "e5a7b9c1-6d8e-4fa0-b1c2-5d6e7f8091a6";
const SERVICE_ID: &str = "f6b8cad2-7e9f-40b1-82d3-6e7f8091a2b7";
const PLAN_ID: &str = "a7c9dbe3-8fa0-41c2-93e4-7f8091a2b3c8";
const CP_PLAN_ID: &str = "1e304a5b-f617-4839-8a5b-e6f708192a3f";
const STRATEGY_DISCUSSION_ID: &str = "b8dae0f4-90b1-42d3-a4f5-8091a2b3c4d9";
const ENQUIRY_ID: &str = "c9ebf105-a1c2-43e4-b506-91a2b3c4d5ea";
const CONFERENCE_ID: &str = "dafc0216-b2d3-44f5-8617-a2b3c4d5e6fb";
const DISAGREEMENT_ID: &str = "eb0d1327-c3e4-4506-9728-b3c4d5e6f70c";
const CORRECTED_EVENT_ID: &str = "fc1e2438-d4f5-4617-a839-c4d5e6f7081d";
const FOLLOW_UP_EVENT_ID: &str = "0d2f3549-e506-4728-b94a-d5e6f708192e";

fn practitioner(name: &str, role: &str, agency: &str) -> Value {
    json!({ "name": name, "role": role, "agency": agency })
}

fn dsl() -> Value {
    practitioner(
        "Priya Shah",
        "designated_safeguarding_lead",
        "school:norwich-high",
    )
}

fn early_help_worker() -> Value {
    practitioner(
        "Jo Bennett",
        "early_help_practitioner",
        "council:early-help",
    )
}

fn social_worker() -> Value {
    practitioner("Tom Reeve", "social_worker", "front_door:norfolk-mash")
}

fn team_manager() -> Value {
    practitioner("Helen Carter", "team_manager", "front_door:norfolk-mash")
}

fn police_officer() -> Value {
    practitioner("DS Mark Ellis", "detective_sergeant", "police:norfolk")
}

fn action_example(description: &str, owner: Value, due_by: &str) -> Value {
    json!({ "description": description, "owner": owner, "due_by": due_by })
}

fn mother() -> Value {
    json!({ "name": "Sarah Thompson", "relationship": "mother" })
}

fn father() -> Value {
    json!({ "name": "Daniel Thompson", "relationship": "father" })
}

/// A valid `child` of a registration, for the documentation.
pub fn child_details_example() -> Value {
    json!({
        "given_name": "Maya",
        "family_name": "Thompson",
        "date_of_birth": "2013-05-02",
        "gender": "female",
        "ethnicity": "WBRI",
        "disability": ["NONE"],
        "locality": "Norwich",
        "identifiers": {
            "nhs_number": "943 476 5919",
            "upn": "Z926200124001",
            "la_child_id": "NCC-004417",
            "former_upn": "N926200124002"
        }
    })
}

/// A valid `data` of one record type, for the documentation.
pub fn example(t: RecordType) -> Value {
    use RecordType as T;
    match t {
        T::ChildDetailsUpdated => json!({
            "changes": {
                "locality": "Great Yarmouth",
                "identifiers": { "la_child_id": "NCC-004417", "upn_unknown": "UN5" }
            },
            "reason": "Family moved to Great Yarmouth in March 2026; council id added; the UPN the school gave does not match the DfE's."
        }),
        T::ConversationRecorded => json!({
            "conversation_id": CONVERSATION_ID,
            "kind": "with_family",
            "participants": [dsl(), mother(), { "relationship": "young_person", "name": "Maya" }],
            "worries": ["Maya has arrived hungry most mornings this term and has missed 11 days."],
            "working_well": ["Maya's mother came in as soon as she was asked and is open about \
                money being tight."],
            "needs_to_happen": ["Help with food and the family's budget; Maya back in school \
                every day."],
            "scaling": [{
                "question": "How confident are we that Maya's basic needs are met at home?",
                "score": 4,
                "zero_means": "Maya's needs are not being met at all",
                "ten_means": "Maya's needs are met every day",
                "rationale": "Mum is trying hard, but there is often no food in the house at \
                    the end of the month."
            }],
            "facts": [
                "Attendance this term is 78%.",
                "Maya asked for breakfast club on 9 of the last 10 mornings."
            ],
            "opinions": ["Mum thinks the change to her benefits is the cause."],
            "child_voice": {
                "views": "\"I'm tired at school because I'm hungry. I don't want Mum to get in \
                    trouble.\"",
                "behaviour_observed": "Quiet and withdrawn in lessons; brighter after breakfast \
                    club."
            },
            "decisions": ["Offer an early help assessment with the family's consent."],
            "actions": [
                action_example(
                    "Refer to the food bank and the welfare rights service.",
                    dsl(),
                    "2026-03-13"
                ),
                action_example("Bring Maya to breakfast club each morning.", mother(), "2026-03-09")
            ]
        }),
        T::NeedsAssessed => json!({
            "assessment_id": ASSESSMENT_ID,
            "assessment": "early_help_assessment",
            "indicators": [
                { "code": "NOR-PC-15-T2", "note": "Often no food in the house at the end of the \
                    month." },
                { "code": "NOR-FE-02-T2" }
            ],
            "strengths": ["Close, warm relationship between Maya and her mother."],
            "child_voice": { "views": "Maya wants help for Mum and to stay in her school." },
            "decided_level": { "tier": 2, "statutory_basis": "none" },
            "rationale": "Needs can be met by early help with the family's agreement.",
            "started_on": "2026-03-10",
            "child_seen": true
        }),
        T::ConsentSought => json!({
            "consent_id": CONSENT_ID,
            "purpose": "early_help",
            "sought_from": mother(),
            "explained": "What early help is, that the school, the early help team and the \
                school nurse would share what they know to plan support, and that she can say \
                no or change her mind."
        }),
        T::ConsentGiven => json!({
            "consent_id": CONSENT_ID,
            "given_by": mother(),
            "scope": {
                "agencies": [
                    "school:norwich-high",
                    "council:early-help",
                    "health:norfolk-community"
                ],
                "information": ["attendance", "health", "family finances"]
            },
            "expires_on": "2026-12-31"
        }),
        T::ConsentRefused => json!({
            "consent_id": CONSENT_ID,
            "refused_by": father(),
            "reasons_given": "Does not want the council involved in the family's business."
        }),
        T::ConsentWithdrawn => json!({
            "consent_id": CONSENT_ID,
            "withdrawn_by": mother(),
            "note": "Mum says things are better now and she wants to manage on her own."
        }),
        T::ConsentDispensedWith => json!({
            "consent_id": DISPENSED_CONSENT_ID,
            "purpose": "referral",
            "grounds": ["risk_to_child", "would_undermine_criminal_investigation"],
            "reasons": "Maya disclosed an injury caused by her mother's partner; asking first \
                could put her at risk and alert him.",
            "approved_by": team_manager()
        }),
        T::InformationShared => json!({
            "purpose": "early_help",
            "shared_with": ["council:early-help", "health:norfolk-community"],
            "what": "Attendance record and the school's notes of the conversation of 4 March 2026.",
            "consent_id": CONSENT_ID
        }),
        T::InformationWithheld => json!({
            "what": "The police investigation into the mother's partner.",
            "withheld_from": "family",
            "reason": "Telling the family now could undermine the criminal investigation.",
            "requested_by": police_officer(),
            "review_by": "2026-04-30"
        }),
        T::ReferralMade => json!({
            "referral_id": REFERRAL_ID,
            "to": "front_door",
            "concerns": [
                "Bruise to Maya's upper arm; she says her mother's partner grabbed her.",
                "Maya says she is scared to go home tonight."
            ],
            "immediate_risk": false,
            "child_location": "At school (Norwich High) until 15:30.",
            "family_aware": false,
            "consent": { "dispensed_consent_id": DISPENSED_CONSENT_ID },
            "source": "2A"
        }),
        T::ReferralDecided => json!({
            "referral_id": REFERRAL_ID,
            "decision": "strategy_discussion",
            "decided_level": { "tier": 4, "statutory_basis": "section_47" },
            "rationale": "A disclosure of physical harm by an adult in the household: \
                reasonable cause to suspect significant harm.",
            "primary_need": "N1",
            "referrer_informed": { "how": "Phone call to the school's DSL, 16 March 2026, 14:10." }
        }),
        T::ReferrerInformed => json!({
            "referral_id": REFERRAL_ID,
            "how": "Letter to the school's DSL, 17 March 2026."
        }),
        T::FamilyInformed => json!({
            "about_event_id": DECISION_EVENT_ID,
            "how": "Home visit with Maya's mother, 18 March 2026.",
            "by": social_worker()
        }),
        T::SteppedUp => json!({
            "from": { "tier": 1 },
            "to": { "tier": 2, "statutory_basis": "none" },
            "reasons": [
                { "kind": "assessment", "detail": "The early help assessment found needs around \
                    food, money and attendance." }
            ],
            "rationale": "The family agrees to early help; universal services alone are not \
                meeting Maya's needs.",
            "decided_by": early_help_worker(),
            "assessment_id": ASSESSMENT_ID,
            "consent_id": CONSENT_ID,
            "family_informed": true
        }),
        T::SteppedDown => json!({
            "from": { "tier": 2 },
            "to": { "tier": 1 },
            "reasons": [
                { "kind": "needs_met", "detail": "Attendance is 97% this half term and the \
                    family's budget is stable." }
            ],
            "rationale": "The plan's goals are met; school and the school nurse carry on as \
                universal services.",
            "decided_by": early_help_worker(),
            "continuing_services": [SERVICE_ID],
            "family_informed": true
        }),
        T::LeadWorkerAssigned => json!({
            "lead_worker": early_help_worker(),
            "team": "Norwich early help team",
            "chosen_with_family": true,
            "plan_id": PLAN_ID
        }),
        T::ServiceStarted => json!({
            "service_id": SERVICE_ID,
            "service": "Welfare rights advice and food bank referral",
            "provider": "council:early-help",
            "family_informed": true
        }),
        T::ServiceEnded => json!({
            "service_id": SERVICE_ID,
            "reason": "Benefits sorted out; the family no longer needs the food bank.",
            "agreed_in_plan_id": PLAN_ID,
            "family_informed": true
        }),
        T::PlanStarted => json!({
            "plan_id": PLAN_ID,
            "kind": "early_help_plan",
            "lead": early_help_worker(),
            "review_by": "2026-05-15",
            "actions": [
                action_example(
                    "Book a welfare rights appointment.",
                    early_help_worker(),
                    "2026-03-27"
                ),
                action_example("Walk Maya to school each day.", mother(), "2026-04-17")
            ]
        }),
        T::PlanReviewed => json!({
            "plan_id": PLAN_ID,
            "progress": "Attendance up to 94%; the family's benefits have been corrected.",
            "scaling": [{
                "question": "How confident are we that Maya's basic needs are met at home?",
                "score": 8,
                "zero_means": "Maya's needs are not being met at all",
                "ten_means": "Maya's needs are met every day",
                "rationale": "Food in the house all month; Maya no longer asks for breakfast club."
            }],
            "next_review_by": "2026-07-10",
            "actions": [
                action_example("Keep Maya's attendance above 95%.", mother(), "2026-07-10")
            ]
        }),
        T::PlanEnded => json!({
            "plan_id": PLAN_ID,
            "reason": "needs_met",
            "note": "Closed with the family's agreement at the July review."
        }),
        T::StrategyDiscussionHeld => json!({
            "strategy_discussion_id": STRATEGY_DISCUSSION_ID,
            "participants": [social_worker(), police_officer(), dsl()],
            "decision": "section_47_enquiry",
            "rationale": "Maya's disclosure and the bruise give reasonable cause to suspect she \
                is suffering significant harm."
        }),
        T::Section47EnquiryStarted => json!({
            "enquiry_id": ENQUIRY_ID,
            "strategy_discussion_id": STRATEGY_DISCUSSION_ID,
            "lead": social_worker()
        }),
        T::Section47EnquiryConcluded => json!({
            "enquiry_id": ENQUIRY_ID,
            "outcome": "conference_needed",
            "rationale": "Physical harm substantiated; the mother's partner still lives in the \
                home."
        }),
        T::ChildProtectionConferenceHeld => json!({
            "conference_id": CONFERENCE_ID,
            "kind": "initial",
            "chair": practitioner("Ruth Okafor", "independent_chair", "council:safeguarding"),
            "attendees": [
                "front_door:norfolk-mash",
                "police:norfolk",
                "school:norwich-high",
                "health:norfolk-community"
            ],
            "outcome": "plan_started",
            "plan_id": CP_PLAN_ID,
            "category": "physical_abuse",
            "child_voice": {
                "views": "Maya wants to stay with her mum but not with Mum's partner.",
                "behaviour_observed": "Settled and talkative when seen alone at school."
            }
        }),
        T::DisagreementRaised => json!({
            "disagreement_id": DISAGREEMENT_ID,
            "about_event_id": DECISION_EVENT_ID,
            "raised_by": dsl(),
            "position": "The front door decided advice and signposting; the school believes \
                Maya needs a child in need assessment.",
            "desired_outcome": "A child in need assessment."
        }),
        T::DisagreementEscalated => json!({
            "disagreement_id": DISAGREEMENT_ID,
            "to_stage": 2,
            "escalated_by": dsl(),
            "positions": [
                { "party": dsl(), "position": "The concerns have grown since the referral; an \
                    assessment is needed." },
                { "party": team_manager(), "position": "Early help can meet the need; the \
                    threshold for assessment is not met." }
            ],
            "reason": "No agreement at stage 1 within five working days."
        }),
        T::DisagreementResolved => json!({
            "disagreement_id": DISAGREEMENT_ID,
            "outcome": "decision_changed",
            "resolution": "Agency leads agreed a child in need assessment.",
            "resolved_by": practitioner("Sam Patel", "service_manager", "front_door:norfolk-mash"),
            "follow_up_event_id": FOLLOW_UP_EVENT_ID
        }),
        T::RecordCorrected => json!({
            "corrects_event_id": CORRECTED_EVENT_ID,
            "reason": "The referrer was told by phone, not by letter.",
            "corrected_data": {
                "referral_id": REFERRAL_ID,
                "how": "Phone call to the school's DSL, 17 March 2026."
            }
        }),
        T::CaseClosed => json!({
            "reason": "Needs met through the early help plan; the family agrees to closure.",
            "closed_by": early_help_worker(),
            "closure_reason": "RC7"
        }),
        T::CaseReopened => json!({
            "reason": "New referral from the school: Maya's attendance has dropped again."
        }),
    }
}

#[cfg(test)]
mod tests {
    //! The schemas are held to the parser, not to themselves: every claim a schema makes about a
    //! field (required, nullable, its enum values, bounds, length, unknown fields refused) is
    //! tried against `RecordData::parse` / `ChildDetails::parse` on a changed copy of an example.

    use std::cell::RefCell;
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::record::RecordData;
    use crate::registration::ChildDetails;

    /// Examples for the branches the documentation's examples do not take, so that every
    /// property of every schema is tried at least once.
    fn other_examples() -> Vec<(RecordType, Value)> {
        use RecordType as T;
        vec![
            (
                T::ChildDetailsUpdated,
                json!({
                    "changes": {
                        "given_name": "Ava",
                        "date_of_birth": "2026-03-14",
                        "gender": "female",
                        "identifiers": { "nhs_number": "9434765919" }
                    },
                    "reason": "Baby born at the Norfolk and Norwich on 14 March 2026."
                }),
            ),
            (
                T::ChildDetailsUpdated,
                json!({
                    "changes": {
                        "family_name": "Thompson-Reid",
                        "expected_date_of_birth": "2026-08-01",
                        "ethnicity": "MWBC",
                        "disability": ["NONE"],
                        "identifiers": { "upn": "Z926200124001" }
                    },
                    "reason": "Details corrected after the booking appointment."
                }),
            ),
            (
                T::ConversationRecorded,
                json!({
                    "conversation_id": CONVERSATION_ID,
                    "kind": "front_door_consultation",
                    "participants": [dsl(), social_worker()],
                    "worries": ["Maya says she is scared of her mother's partner."],
                    "child_voice": { "not_captured_reason": "A phone consultation; Maya was in \
                        class." },
                    "advice": {
                        "advised": "Make a referral today; do not tell the family first.",
                        "rationale": "Telling the family could put Maya at risk."
                    },
                    "about_referral_id": REFERRAL_ID
                }),
            ),
            (
                T::NeedsAssessed,
                json!({
                    "assessment_id": ASSESSMENT_ID,
                    "assessment": "section_47_assessment",
                    "section_47_indicators": ["NOR-S47-02"],
                    "decided_level": { "tier": 4, "statutory_basis": "section_47" },
                    "rationale": "Physical harm substantiated.",
                    "factors": ["3B"]
                }),
            ),
            (
                T::ConsentDispensedWith,
                json!({
                    "consent_id": DISPENSED_CONSENT_ID,
                    "purpose": "information_sharing",
                    "grounds": ["delay_would_increase_risk"],
                    "reasons": "Out of hours; Maya would go home tonight.",
                    "approval_not_possible_reason": "No manager reachable out of hours."
                }),
            ),
            (
                T::InformationShared,
                json!({
                    "purpose": "referral",
                    "shared_with": ["police:norfolk"],
                    "what": "Maya's disclosure.",
                    "without_consent_reason": "Consent dispensed with: risk to the child."
                }),
            ),
            (
                T::ReferralMade,
                json!({
                    "referral_id": REFERRAL_ID,
                    "to": "early_help_hub",
                    "concerns": ["Attendance 78%; often hungry."],
                    "immediate_risk": false,
                    "family_aware": true,
                    "consent": {
                        "refused_consent_id": CONSENT_ID,
                        "proceeding_reason": "Maya's needs are growing and school cannot meet \
                            them alone.",
                        "front_door_told_consent_withheld": true
                    }
                }),
            ),
            (
                T::ReferralMade,
                json!({
                    "referral_id": REFERRAL_ID,
                    "to": "early_help_hub",
                    "concerns": ["Attendance 78%; often hungry."],
                    "immediate_risk": false,
                    "family_aware": true,
                    "consent": { "consent_id": CONSENT_ID }
                }),
            ),
            (
                T::SteppedUp,
                json!({
                    "from": { "tier": 2 },
                    "to": { "tier": 3, "statutory_basis": "section_17" },
                    "reasons": [
                        { "kind": "plan_not_working", "detail": "No change after two reviews." }
                    ],
                    "rationale": "Needs a child in need plan.",
                    "decided_by": team_manager(),
                    "continuing_services": [SERVICE_ID]
                }),
            ),
            (
                T::SteppedDown,
                json!({
                    "from": { "tier": 3, "statutory_basis": "section_17" },
                    "to": { "tier": 3 },
                    "reasons": [{ "kind": "assessment", "detail": "Review assessment." }],
                    "rationale": "Targeted support without a social worker.",
                    "decided_by": team_manager(),
                    "assessment_id": ASSESSMENT_ID,
                    "consent_id": CONSENT_ID
                }),
            ),
            (
                T::PlanStarted,
                json!({
                    "plan_id": CP_PLAN_ID,
                    "kind": "child_protection_plan",
                    "lead": social_worker(),
                    "review_by": "2026-06-10",
                    "category": "physical_abuse"
                }),
            ),
            (
                T::RecordCorrected,
                json!({
                    "corrects_event_id": CORRECTED_EVENT_ID,
                    "reason": "Entered on the wrong child.",
                    "retract": true
                }),
            ),
        ]
    }

    fn unborn_child() -> Value {
        json!({
            "given_name": "Baby",
            "family_name": "Thompson",
            "expected_date_of_birth": "2026-08-01",
            "gender": "unknown",
            "locality": "Norwich"
        })
    }

    fn parses(t: RecordType, v: &Value) -> bool {
        RecordData::parse(t, v.clone()).is_ok()
    }

    fn child_parses(v: &Value) -> bool {
        ChildDetails::parse(v.clone(), "child").is_ok()
    }

    // --- Reading schemas --------------------------------------------------------------------

    struct Schemas {
        components: BTreeMap<&'static str, Value>,
    }

    impl Schemas {
        fn new() -> Schemas {
            Schemas {
                components: shared_schemas().into_iter().collect(),
            }
        }

        /// Follows `$ref`s into the shared schemas.
        fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
            match s.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let name = r.strip_prefix(COMPONENTS).unwrap_or(r);
                    let target = self
                        .components
                        .get(name)
                        .unwrap_or_else(|| panic!("$ref {r} names no shared schema"));
                    self.resolve(target)
                }
                None => s,
            }
        }

        fn allows_null(&self, s: &Value) -> bool {
            let s = self.resolve(s);
            types(s).contains(&"null") || branches(s).iter().any(|b| self.allows_null(b))
        }

        /// Whether `v` has the shape of `s`, loosely: enough to tell a union's branches apart.
        fn fits(&self, v: &Value, s: &Value) -> bool {
            let s = self.resolve(s);
            if is_union(s) {
                return branches(s).iter().any(|b| self.fits(v, b));
            }
            let ts = types(s);
            match v {
                Value::Null => ts.contains(&"null"),
                Value::Bool(_) => ts.contains(&"boolean"),
                Value::Number(_) => ts.contains(&"integer"),
                Value::String(_) => ts.contains(&"string"),
                Value::Array(_) => ts.contains(&"array"),
                Value::Object(m) => {
                    let props = s.get("properties").and_then(Value::as_object);
                    ts.contains(&"object")
                        && names(s, "required").iter().all(|n| m.contains_key(n))
                        && (s.get("additionalProperties") != Some(&json!(false))
                            || m.keys().all(|k| props.is_some_and(|p| p.contains_key(k))))
                }
            }
        }
    }

    fn types(s: &Value) -> Vec<&str> {
        match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// A union is a choice between schemas (`Party`, a nullable reference); an object with
    /// `properties` and an `anyOf` is one shape with a constraint (`ChildVoice`).
    fn is_union(s: &Value) -> bool {
        s.get("properties").is_none() && (s.get("oneOf").is_some() || s.get("anyOf").is_some())
    }

    fn branches(s: &Value) -> Vec<&Value> {
        ["oneOf", "anyOf"]
            .iter()
            .filter_map(|k| s.get(*k).and_then(Value::as_array))
            .flatten()
            .collect()
    }

    fn names(s: &Value, keyword: &str) -> Vec<String> {
        s.get(keyword)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether an object's one-of constraints hold: a branch holds when its `required` fields
    /// are there and not null.
    fn constraints_hold(obj: &Map<String, Value>, s: &Value) -> bool {
        let holding = |keyword: &str| {
            s.get(keyword).and_then(Value::as_array).map(|bs| {
                bs.iter()
                    .filter(|b| {
                        names(b, "required")
                            .iter()
                            .all(|n| obj.get(n).is_some_and(|v| !v.is_null()))
                    })
                    .count()
            })
        };
        holding("anyOf").is_none_or(|n| n >= 1) && holding("oneOf").is_none_or(|n| n == 1)
    }

    fn address(s: &Value) -> usize {
        std::ptr::from_ref(s) as usize
    }

    /// `root` with the value at JSON pointer `ptr` replaced (`Some`) or removed (`None`).
    fn changed(root: &Value, ptr: &str, new: Option<Value>) -> Value {
        let mut out = root.clone();
        let Some((parent, key)) = ptr.rsplit_once('/') else {
            return new.unwrap_or(Value::Null);
        };
        match (out.pointer_mut(parent), new) {
            (Some(Value::Object(m)), Some(v)) => {
                m.insert(key.to_owned(), v);
            }
            (Some(Value::Object(m)), None) => {
                m.remove(key);
            }
            (Some(Value::Array(a)), Some(v)) => a[key.parse::<usize>().unwrap()] = v,
            (p, n) => panic!("cannot change {ptr} ({p:?}, {n:?})"),
        }
        out
    }

    /// A value of another JSON type than the schema's, where the schema fixes one.
    fn wrong_type(s: &Value) -> Option<Value> {
        let ts = types(s);
        let t = ts.iter().find(|t| **t != "null")?;
        match *t {
            "string" => Some(json!(7)),
            "integer" => Some(json!("7")),
            "boolean" => Some(json!("yes")),
            "array" => Some(json!("a list")),
            // A free-form object (`corrected_data`) is parsed later, as its own type.
            "object" if s.get("properties").is_some() => Some(json!("an object")),
            _ => None,
        }
    }

    // --- Walking an example with its schema -------------------------------------------------

    struct Walk<'a> {
        schemas: &'a Schemas,
        parses: &'a dyn Fn(&Value) -> bool,
        what: String,
        /// (object schema, property) pairs an example has tried.
        seen: &'a RefCell<BTreeSet<(usize, String)>>,
    }

    impl Walk<'_> {
        fn ok(&self, root: &Value, ptr: &str, new: Option<Value>) -> bool {
            (self.parses)(&changed(root, ptr, new))
        }

        fn node(&self, root: &Value, ptr: &str, schema: &Value) {
            let schema = self.schemas.resolve(schema);
            let at = format!("{} at `{ptr}`", self.what);
            let value = root
                .pointer(ptr)
                .unwrap_or_else(|| panic!("{at}: no value"));
            if is_union(schema) {
                let fitting: Vec<&Value> = branches(schema)
                    .into_iter()
                    .filter(|b| self.schemas.fits(value, b))
                    .collect();
                assert!(!fitting.is_empty(), "{at}: no branch fits {value}");
                if schema.get("oneOf").is_some() {
                    assert_eq!(fitting.len(), 1, "{at}: oneOf, but several branches fit");
                }
                return self.node(root, ptr, fitting[0]);
            }
            if let Some(wrong) = wrong_type(schema) {
                assert!(
                    !self.ok(root, ptr, Some(wrong)),
                    "{at}: a wrong type parses"
                );
            }
            match value {
                Value::Object(map) => self.object(root, ptr, map, schema),
                Value::Array(items) => {
                    let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
                    assert_eq!(
                        self.ok(root, ptr, Some(json!([]))),
                        min == 0,
                        "{at}: an empty list (minItems {min})"
                    );
                    let item = schema
                        .get("items")
                        .unwrap_or_else(|| panic!("{at}: no items"));
                    for i in 0..items.len() {
                        self.node(root, &format!("{ptr}/{i}"), item);
                    }
                }
                Value::String(_) => self.string(root, ptr, schema),
                Value::Number(_) => {
                    let bound = |k: &str| schema.get(k).and_then(Value::as_i64);
                    let (min, max) = (bound("minimum"), bound("maximum"));
                    let (Some(min), Some(max)) = (min, max) else {
                        panic!("{at}: a number without bounds");
                    };
                    for (n, accepted) in
                        [(min, true), (max, true), (min - 1, false), (max + 1, false)]
                    {
                        assert_eq!(self.ok(root, ptr, Some(json!(n))), accepted, "{at}: {n}");
                    }
                }
                Value::Bool(_) | Value::Null => {}
            }
        }

        fn string(&self, root: &Value, ptr: &str, schema: &Value) {
            let at = format!("{} at `{ptr}`", self.what);
            let set = |v: Value| self.ok(root, ptr, Some(v));
            if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                for v in values.iter().filter(|v| !v.is_null()) {
                    assert!(set(v.clone()), "{at}: enum value {v} is refused");
                }
                assert!(
                    !set(json!("not_on_the_list")),
                    "{at}: a value off the list parses"
                );
            }
            match schema.get("format").and_then(Value::as_str) {
                Some("uuid") => assert!(!set(json!("not-a-uuid")), "{at}: a bad uuid parses"),
                Some("date") => assert!(!set(json!("2026-02-30")), "{at}: a bad date parses"),
                Some(f) => panic!("{at}: unexpected format {f}"),
                None => {}
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                let max = usize::try_from(max).unwrap();
                assert!(
                    set(json!("é".repeat(max))),
                    "{at}: {max} characters are refused"
                );
                assert!(
                    !set(json!("x".repeat(max + 1))),
                    "{at}: {max}+1 characters parse"
                );
            }
            if schema.get("minLength").is_some() || schema.get("pattern").is_some() {
                assert!(!set(json!("  ")), "{at}: blank parses");
            }
        }

        fn object(&self, root: &Value, ptr: &str, map: &Map<String, Value>, schema: &Value) {
            let at = format!("{} at `{ptr}`", self.what);
            // A free-form object (`corrected_data`) is the corrected type's business.
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let required = names(schema, "required");
            for key in map.keys() {
                assert!(
                    props.contains_key(key),
                    "{at}: `{key}` is not in the schema"
                );
            }
            for name in &required {
                assert!(
                    props.contains_key(name),
                    "{at}: required `{name}` has no property"
                );
                assert!(map.contains_key(name), "{at}: the example lacks `{name}`");
            }
            for key in map.keys() {
                let field = format!("{ptr}/{key}");
                // Left out: refused exactly when required, or when a one-of constraint breaks.
                let mut rest = map.clone();
                rest.remove(key);
                let expected = !required.contains(key) && constraints_hold(&rest, schema);
                assert_eq!(
                    self.ok(root, &field, None),
                    expected,
                    "{at}: leaving out `{key}`"
                );
                // Null: accepted exactly when the schema allows it (an `Option`).
                rest.insert(key.clone(), Value::Null);
                let expected =
                    self.schemas.allows_null(&props[key]) && constraints_hold(&rest, schema);
                assert_eq!(
                    self.ok(root, &field, Some(Value::Null)),
                    expected,
                    "{at}: `{key}: null`"
                );
                self.seen
                    .borrow_mut()
                    .insert((address(schema), key.clone()));
            }
            let closed = schema.get("additionalProperties") == Some(&json!(false));
            assert_eq!(
                self.ok(root, &format!("{ptr}/surplus"), Some(json!(1))),
                !closed,
                "{at}: an unknown field (additionalProperties false: {closed})"
            );
            for key in map.keys() {
                self.node(root, &format!("{ptr}/{key}"), &props[key]);
            }
        }
    }

    /// Every (object schema, property) pair a schema declares, with a readable label.
    fn declared(s: &Value, label: &str, out: &mut BTreeMap<(usize, String), String>) {
        if s.get("$ref").is_some() {
            return; // walked as a shared schema of its own
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                let l = format!("{label}.{k}");
                out.insert((address(s), k.clone()), l.clone());
                declared(p, &l, out);
            }
        } else {
            for (i, b) in branches(s).into_iter().enumerate() {
                declared(b, &format!("{label}|{i}"), out);
            }
        }
        if let Some(items) = s.get("items") {
            declared(items, &format!("{label}[]"), out);
        }
    }

    fn collect_refs<'a>(s: &'a Value, out: &mut Vec<&'a str>) {
        match s {
            Value::Object(m) => {
                assert!(
                    !m.contains_key("nullable"),
                    "OpenAPI 3.1: nullable is a type"
                );
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => collect_refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }

    // --- The tests --------------------------------------------------------------------------

    #[test]
    fn every_example_parses_as_its_type() {
        for t in RecordType::ALL {
            if let Err(e) = RecordData::parse(*t, example(*t)) {
                panic!("{t}: {e}");
            }
        }
        for (t, v) in other_examples() {
            if let Err(e) = RecordData::parse(t, v) {
                panic!("{t} (other example): {e}");
            }
        }
        for v in [child_details_example(), unborn_child()] {
            if let Err(e) = ChildDetails::parse(v, "child") {
                panic!("child: {e}");
            }
        }
    }

    #[test]
    fn every_schema_is_an_object_with_required_fields_it_declares() {
        let mut all: Vec<(String, Value)> = RecordType::ALL
            .iter()
            .map(|t| (t.to_string(), record_data_schema(*t)))
            .collect();
        all.push(("child".to_owned(), child_details_schema()));
        for (name, s) in &all {
            assert_eq!(s["type"], "object", "{name}");
            assert_eq!(s["additionalProperties"], false, "{name}");
            assert!(s["description"].is_string(), "{name}");
            let props = s["properties"].as_object().unwrap();
            for r in names(s, "required") {
                assert!(props.contains_key(&r), "{name}: required {r} undeclared");
            }
            for (k, p) in props {
                assert!(
                    p["description"].is_string(),
                    "{name}.{k} has no description"
                );
            }
        }
    }

    /// Tests (2) and (3) of the brief, at every level of every example rather than the top
    /// only: a field is required exactly when leaving it out makes the parser refuse, nullable
    /// exactly when the parser takes `null`, and an unknown field is refused exactly when the
    /// schema says `additionalProperties: false`; enum values, bounds, lengths and formats are
    /// tried too. Then every property of every schema must have been tried by some example.
    #[test]
    fn each_schema_agrees_with_the_parser_field_by_field() {
        let schemas = Schemas::new();
        let records: BTreeMap<RecordType, Value> = RecordType::ALL
            .iter()
            .map(|t| (*t, record_data_schema(*t)))
            .collect();
        let child = child_details_schema();
        let seen = RefCell::new(BTreeSet::new());

        let mut examples: Vec<(RecordType, Value)> =
            RecordType::ALL.iter().map(|t| (*t, example(*t))).collect();
        examples.extend(other_examples());
        for (t, ex) in &examples {
            let parses = |v: &Value| parses(*t, v);
            let walk = Walk {
                schemas: &schemas,
                parses: &parses,
                what: t.to_string(),
                seen: &seen,
            };
            walk.node(ex, "", &records[t]);
        }
        for ex in [child_details_example(), unborn_child()] {
            let walk = Walk {
                schemas: &schemas,
                parses: &child_parses,
                what: "child".to_owned(),
                seen: &seen,
            };
            walk.node(&ex, "", &child);
        }

        let mut all = BTreeMap::new();
        for (t, s) in &records {
            declared(s, t.as_str(), &mut all);
        }
        declared(&child, "child", &mut all);
        for (name, s) in &schemas.components {
            declared(s, name, &mut all);
        }
        let seen = seen.borrow();
        let untried: Vec<&String> = all
            .iter()
            .filter(|(k, _)| !seen.contains(*k))
            .map(|(_, label)| label)
            .collect();
        assert!(untried.is_empty(), "no example tries {untried:?}");
    }

    #[test]
    fn every_ref_names_a_shared_schema_and_every_shared_schema_is_used() {
        let shared = shared_schemas();
        let names: BTreeSet<&str> = shared.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), shared.len(), "a shared name twice");
        let mut all: Vec<Value> = RecordType::ALL
            .iter()
            .map(|t| record_data_schema(*t))
            .collect();
        all.push(child_details_schema());
        all.extend(shared.iter().map(|(_, s)| s.clone()));
        let mut refs = Vec::new();
        for s in &all {
            collect_refs(s, &mut refs);
        }
        let mut used = BTreeSet::new();
        for r in refs {
            let name = r
                .strip_prefix(COMPONENTS)
                .unwrap_or_else(|| panic!("{r} is not under {COMPONENTS}"));
            assert!(names.contains(name), "{r} names no shared schema");
            used.insert(name);
        }
        assert_eq!(used, names, "a shared schema nobody uses");
    }

    #[test]
    fn a_child_has_exactly_one_of_the_two_dates() {
        let mut both = child_details_example();
        both["expected_date_of_birth"] = json!("2026-08-01");
        assert!(!child_parses(&both));
        let mut neither = child_details_example();
        neither.as_object_mut().unwrap().remove("date_of_birth");
        assert!(!child_parses(&neither));
        let s = child_details_schema();
        assert_eq!(s["oneOf"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn identifiers_as_people_type_them_parse() {
        for (nhs, upn) in [
            ("943-476-5919", "z926200124001"),
            ("9434765919", " Z926200124001 "),
        ] {
            let mut child = child_details_example();
            child["identifiers"] = json!({ "nhs_number": nhs, "upn": upn });
            assert!(child_parses(&child), "{nhs} / {upn}");
        }
    }
}
