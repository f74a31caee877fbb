//! `docs/RECORDS.md`, rendered from the definitions the server validates with.
//!
//! Each record type's fields, which are required, their types, allowed values and descriptions
//! come from [`crate::schema`] (the JSON Schemas the OpenAPI document serves, which the schema
//! tests hold to the parser field by field). Who may record a type comes from
//! [`crate::access`]. The rules a record must pass against the child's record are listed from
//! [`RULES`] below: each text is the `detail` the server sends with the 422 (a test checks that
//! every text marked as such is word for word in the code that enforces it), with the place it
//! is enforced.
//!
//! The test `records_md_matches` renders this and compares it with `docs/RECORDS.md`; run
//! `UPDATE_DOCS=1 cargo test -p domain records_md` to write the file after a change.

use std::fmt::Write as _;

use serde_json::Value;

use crate::access::FRONT_DOOR_ONLY;
use crate::record::RecordType;
use crate::schema::{child_details_schema, record_data_schema, shared_schemas};
use crate::shapes::MAX_TEXT_CHARS;

/// Where a rule is enforced, as a path from the repository's root.
const RULES_RS: &str = "crates/domain/src/child/rules.rs";
const DECIDE_RS: &str = "crates/domain/src/child/decide.rs";
const DATES_RS: &str = "crates/domain/src/dates.rs";

/// A rule as documented: its text, where it is enforced, and whether the text is the 422's
/// `detail` word for word (`false` for details the code fills in, such as a framework's name).
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub text: &'static str,
    pub enforced_in: &'static str,
    pub verbatim: bool,
}

const fn exact(text: &'static str, enforced_in: &'static str) -> Rule {
    Rule {
        text,
        enforced_in,
        verbatim: true,
    }
}

const fn loose(text: &'static str, enforced_in: &'static str) -> Rule {
    Rule {
        text,
        enforced_in,
        verbatim: false,
    }
}

/// Rules every record passes, whatever its type.
pub const COMMON_RULES: &[Rule] = &[
    exact(
        "Records can only be added to a registered child.",
        DECIDE_RS,
    ),
    loose(
        "A new id (a `*_id` the record introduces) needs an id not used before for this child.",
        RULES_RS,
    ),
    loose(
        "An id the record refers to must be on this child's record.",
        RULES_RS,
    ),
    exact(
        "The case is closed: reopen it (case_reopened) before recording new work on it.",
        RULES_RS,
    ),
    exact(
        "A record cannot say it happened more than 5 minutes in the future.",
        DECIDE_RS,
    ),
    exact(
        "A record about a child cannot be dated before their birth, unless the child was registered before birth (an unborn child).",
        DATES_RS,
    ),
    exact(
        "A date a record sets (a review, an action's due date, an expiry) falls on or after the day it was recorded as happening, and within 5 years of it.",
        DATES_RS,
    ),
    exact(
        "A date a record reports (when an assessment began) falls on or before the day it was completed, and within 2 years before it.",
        DATES_RS,
    ),
];

/// The rules of each record type beyond its schema and [`COMMON_RULES`].
pub fn rules(t: RecordType) -> &'static [Rule] {
    use RecordType as T;
    match t {
        T::ChildDetailsUpdated => {
            const {
                &[
                    exact("An update changes at least one detail.", RULES_RS),
                    exact(
                        "The child's details after the change must still be complete.",
                        RULES_RS,
                    ),
                    exact(
                        "A date of birth is on or before the day it was recorded, and within 25 years before it (an unborn child is registered with expected_date_of_birth).",
                        DATES_RS,
                    ),
                    exact(
                        "An expected date of birth lies within 300 days after the day it was recorded (or up to 60 days before it, for a child not yet born past their due date).",
                        DATES_RS,
                    ),
                ]
            }
        }
        T::ConversationRecorded => {
            const {
                &[
                    exact(
                        "A conversation records at least one of: what we are worried about, what is working well, what needs to happen, or the facts.",
                        RULES_RS,
                    ),
                    exact(
                        "Every consultation with the front door goes on the child's record with what was advised and why (no anonymous consultations).",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::NeedsAssessed => {
            const {
                &[
                    loose(
                        "Indicator codes come from the deployment framework's descriptor catalogue (docs/FRAMEWORKS.md; GET /openapi.json lists them).",
                        RULES_RS,
                    ),
                    loose(
                        "Section 47 indicator codes come from the deployment framework's section 47 list (docs/FRAMEWORKS.md).",
                        RULES_RS,
                    ),
                    loose(
                        "The decided level must be one the deployment's framework uses.",
                        RULES_RS,
                    ),
                    exact("Factor 21 (no factors identified) stands alone.", RULES_RS),
                ]
            }
        }
        T::ConsentSought => const { &[] },
        T::ConsentGiven => {
            const {
                &[exact(
                    "A consent given after it was withdrawn or dispensed with needs a new consent_id.",
                    RULES_RS,
                )]
            }
        }
        T::ConsentRefused => {
            const {
                &[exact(
                    "A refusal answers a consent that is being sought; a new request needs a new consent_id.",
                    RULES_RS,
                )]
            }
        }
        T::ConsentWithdrawn => {
            const {
                &[exact(
                    "Only a consent that was given can be withdrawn.",
                    RULES_RS,
                )]
            }
        }
        T::ConsentDispensedWith => {
            const {
                &[exact(
                    "A decision not to seek consent is approved by a manager where possible, or says why approval was not possible.",
                    RULES_RS,
                )]
            }
        }
        T::InformationShared => {
            const {
                &[exact(
                    "Information shared rests on a consent given for a matching purpose, or says why it was shared without consent.",
                    RULES_RS,
                )]
            }
        }
        T::InformationWithheld => const { &[] },
        T::ReferralMade => {
            const {
                &[
                    exact(
                        "A referral with consent names a consent that was given.",
                        RULES_RS,
                    ),
                    exact(
                        "A referral without seeking consent names the recorded decision to dispense with it.",
                        RULES_RS,
                    ),
                    exact(
                        "A referral made although consent was refused records why, and tells the front door that consent was withheld.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::ReferralDecided => {
            const {
                &[
                    exact(
                        "A referral is decided once; a change is a correction or a professional disagreement.",
                        RULES_RS,
                    ),
                    loose(
                        "The decided level must be one the deployment's framework uses.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::ReferrerInformed => const { &[] },
        T::FamilyInformed => {
            const {
                &[exact(
                    "A family is told of a referral, a service change or a change of tier.",
                    RULES_RS,
                )]
            }
        }
        T::SteppedUp => {
            const {
                &[
                    exact("A step starts from the child's current level.", RULES_RS),
                    exact("A step up goes to a higher level.", RULES_RS),
                    loose(
                        "The new level must be one the deployment's framework uses.",
                        RULES_RS,
                    ),
                    exact(
                        "A refusal of consent on its own is not a reason to escalate a case.",
                        RULES_RS,
                    ),
                    exact("A step names a consent that was given.", RULES_RS),
                    exact(
                        "Continuing services are services in place for this child.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::SteppedDown => {
            const {
                &[
                    exact("A step starts from the child's current level.", RULES_RS),
                    exact("A step down goes to a lower level.", RULES_RS),
                    loose(
                        "The new level must be one the deployment's framework uses.",
                        RULES_RS,
                    ),
                    exact(
                        "Stepping down from a social worker under section 17 within the same tier needs the family's consent.",
                        RULES_RS,
                    ),
                    exact("A step names a consent that was given.", RULES_RS),
                    exact(
                        "Continuing services are services in place for this child.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::LeadWorkerAssigned => const { &[] },
        T::ServiceStarted => const { &[] },
        T::ServiceEnded => const { &[exact("Only a service in place can end.", RULES_RS)] },
        T::PlanStarted => {
            const {
                &[
                    exact(
                        "A child protection plan records its category (neglect, physical, emotional or sexual abuse, or multiple).",
                        RULES_RS,
                    ),
                    exact(
                        "A child in need plan and a child protection plan do not run together (census rules 4001, 4016, 4017): end the one (plan_ended) before the other starts, in the same batch if they change on the same day.",
                        RULES_RS,
                    ),
                    exact(
                        "A child protection plan starts on the day of the child protection conference that decided it (census rules 2883, 2885): record the conference (outcome plan_started) first, and date the plan (occurred_at) on the day the conference sat.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::PlanReviewed | T::PlanEnded => {
            const {
                &[exact(
                    "Only an open plan can be reviewed or ended.",
                    RULES_RS,
                )]
            }
        }
        T::StrategyDiscussionHeld => {
            const {
                &[exact(
                    "A strategy discussion involves at least two professionals (police and children's services expected).",
                    RULES_RS,
                )]
            }
        }
        T::Section47EnquiryStarted => {
            const {
                &[exact(
                    "A section 47 enquiry starts from a strategy discussion that decided on one.",
                    RULES_RS,
                )]
            }
        }
        T::Section47EnquiryConcluded => {
            const {
                &[exact(
                    "Only an open section 47 enquiry can be concluded.",
                    RULES_RS,
                )]
            }
        }
        T::ChildProtectionConferenceHeld => {
            const {
                &[exact(
                    "An initial child protection conference sits on a working day (census rule 8875); date it (occurred_at) on the day it sat.",
                    RULES_RS,
                )]
            }
        }
        T::DisagreementRaised => const { &[] },
        T::DisagreementEscalated => {
            const {
                &[
                    exact(
                        "Only an open disagreement can be escalated or resolved.",
                        RULES_RS,
                    ),
                    exact(
                        "A disagreement escalates to a higher stage: 2 agency leads, 3 senior managers, 4 the safeguarding partnership.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::DisagreementResolved => {
            const {
                &[exact(
                    "Only an open disagreement can be escalated or resolved.",
                    RULES_RS,
                )]
            }
        }
        T::RecordCorrected => {
            const {
                &[
                    exact(
                        "A correction points at a record of this child (not its registration or another correction) and either gives the whole corrected data or retracts it.",
                        DECIDE_RS,
                    ),
                    exact(
                        "A correction or retraction may not leave a later record resting on something that no longer stands: correct or retract that record first, or in the same batch.",
                        DECIDE_RS,
                    ),
                    loose(
                        "Corrected data passes the schema and rules of the original record's type.",
                        DECIDE_RS,
                    ),
                ]
            }
        }
        T::CaseClosed => {
            const {
                &[
                    exact(
                        "A case closes only when no plan, section 47 enquiry or referral is still open.",
                        RULES_RS,
                    ),
                    exact(
                        "RC8 and RC9 say a case closed after an assessment and nothing more (census rule 2990); a case that went further closes with another reason, usually RC7.",
                        RULES_RS,
                    ),
                ]
            }
        }
        T::CaseReopened => const { &[exact("Only a closed case can be reopened.", RULES_RS)] },
    }
}

/// Who may record a type, from [`crate::access`].
fn who_may_record(t: RecordType) -> &'static str {
    if FRONT_DOOR_ONLY.contains(&t) {
        return "the front door only (`front_door` tokens).";
    }
    match t {
        RecordType::SteppedUp | RecordType::SteppedDown => {
            "`recorder` and `front_door` tokens; a step to or from tier 3 or 4 is the front \
             door's only."
        }
        RecordType::RecordCorrected => {
            "`recorder` and `front_door` tokens. An agency corrects or retracts only its own \
             agency's records; the front door may also retract another agency's record entered \
             on the wrong child, but not correct it. Corrected data passes the same role rules as \
             recording that type where the original stands (`domain::access::may_append_to`; \
             otherwise a 403)."
        }
        RecordType::CaseClosed => {
            "`recorder` and `front_door` tokens; closing a case at tier 3 or 4 is the front \
             door's only."
        }
        _ => "`recorder` and `front_door` tokens.",
    }
}

/// The section each record type is listed under, in order.
const SECTIONS: &[(&str, &[RecordType])] = &[
    ("The child's details", &[RecordType::ChildDetailsUpdated]),
    (
        "Conversations and assessment",
        &[RecordType::ConversationRecorded, RecordType::NeedsAssessed],
    ),
    (
        "Consent and information sharing",
        &[
            RecordType::ConsentSought,
            RecordType::ConsentGiven,
            RecordType::ConsentRefused,
            RecordType::ConsentWithdrawn,
            RecordType::ConsentDispensedWith,
            RecordType::InformationShared,
            RecordType::InformationWithheld,
        ],
    ),
    (
        "Referrals and the front door",
        &[
            RecordType::ReferralMade,
            RecordType::ReferralDecided,
            RecordType::ReferrerInformed,
            RecordType::FamilyInformed,
        ],
    ),
    (
        "Levels, lead workers, services and plans",
        &[
            RecordType::SteppedUp,
            RecordType::SteppedDown,
            RecordType::LeadWorkerAssigned,
            RecordType::ServiceStarted,
            RecordType::ServiceEnded,
            RecordType::PlanStarted,
            RecordType::PlanReviewed,
            RecordType::PlanEnded,
        ],
    ),
    (
        "Child protection",
        &[
            RecordType::StrategyDiscussionHeld,
            RecordType::Section47EnquiryStarted,
            RecordType::Section47EnquiryConcluded,
            RecordType::ChildProtectionConferenceHeld,
        ],
    ),
    (
        "Professional disagreement",
        &[
            RecordType::DisagreementRaised,
            RecordType::DisagreementEscalated,
            RecordType::DisagreementResolved,
        ],
    ),
    (
        "Corrections and the case's status",
        &[
            RecordType::RecordCorrected,
            RecordType::CaseClosed,
            RecordType::CaseReopened,
        ],
    ),
];

/// `docs/RECORDS.md`.
pub fn records_markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated by `domain::docs::records_markdown` (crates/domain/src/docs.rs) from the \
         schemas derived from the record types (crates/domain/src/schema.rs) and the rules \
         listed there. Do not edit by hand: \
         run `UPDATE_DOCS=1 cargo test -p domain records_md`. -->\n\n",
    );
    out.push_str("# The records\n\n");
    out.push_str(
        "What each record type carries in its `data`, and the rules it must pass. A record is \
         posted to `POST /v1/children/{child_id}/records` (or `records:batch`) in an envelope \
         `{ \"type\", \"occurred_at\", \"recorded_by\", \"data\" }`; see \
         [docs/CONTRACT.md](CONTRACT.md) for the envelope and the HTTP side, and \
         [docs/DOMAIN.md](DOMAIN.md) for what the records are for. `GET /openapi.json` carries the \
         same schemas (`components.schemas`), with an example of each type.\n\n",
    );
    out.push_str("How to read this:\n\n");
    let _ = writeln!(
        out,
        "- A field whose value is wrong in form (a missing required field, a wrong type, a \
         value not in its list, an unknown field) is a `400` with an `errors` entry at its JSON \
         path (`data.scaling[0].score`). Optional fields may be left out or sent as `null`, \
         unless the table says otherwise.\n\
         - `text` is free text: not blank, at most {} characters.\n\
         - A record that is well formed but breaks a rule is a `422` whose `detail` is the \
         rule's text, as listed under each type, and whose `errors` entry names the field.\n\
         - An id named `*_id` is a UUID the client chooses. One a record introduces must be new \
         for the child; one it refers to must be on the child's record.\n\
         - Shapes written in capitals (`Person`, `Level`, ...) are the shared shapes below.",
        group_thousands(MAX_TEXT_CHARS)
    );
    out.push('\n');

    out.push_str("## Rules every record passes\n\n");
    render_rules(&mut out, COMMON_RULES);
    out.push_str(
        "On a closed case only these may be recorded: `case_reopened`, `record_corrected`, \
         `child_details_updated`, `referrer_informed`, `family_informed`, \
         `information_shared`, `information_withheld` and the three disagreement records.\n\n",
    );

    out.push_str("## Shared shapes\n\n");
    for (name, schema) in shared_schemas() {
        let _ = writeln!(out, "### {name}\n");
        render_described(&mut out, &schema);
    }

    out.push_str("## Registration\n\n");
    out.push_str(
        "### child_registered\n\nWritten by `POST /v1/children` (the `child` object), never \
         posted as a record. A child starts at tier 1. Registration is refused with a `409` \
         (carrying `existing_child_id`) when another child already holds one of its identifiers: \
         the same NHS number, UPN or council id.\n\n",
    );
    render_described(&mut out, &child_details_schema());
    out.push_str("Rules (422):\n\n");
    render_rules(
        &mut out,
        &[
            exact(
                "A date of birth is on or before the day it was recorded, and within 25 years before it (an unborn child is registered with expected_date_of_birth).",
                DATES_RS,
            ),
            exact(
                "An expected date of birth lies within 300 days after the day it was recorded (or up to 60 days before it, for a child not yet born past their due date).",
                DATES_RS,
            ),
        ],
    );

    for (section, types) in SECTIONS {
        let _ = writeln!(out, "## {section}\n");
        for &t in *types {
            let _ = writeln!(out, "### {t}\n");
            let schema = record_data_schema(t);
            if let Some(d) = schema.get("description").and_then(Value::as_str) {
                let _ = writeln!(out, "{d}\n");
            }
            let _ = writeln!(out, "Who may record it: {}\n", who_may_record(t));
            render_fields(&mut out, &schema);
            let rules = rules(t);
            if !rules.is_empty() {
                out.push_str("Rules (422):\n\n");
                render_rules(&mut out, rules);
            }
        }
    }
    out
}

fn group_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn render_rules(out: &mut String, rules: &[Rule]) {
    for r in rules {
        let _ = writeln!(out, "- {} (`{}`)", r.text, r.enforced_in);
    }
    out.push('\n');
}

fn render_described(out: &mut String, schema: &Value) {
    if let Some(d) = schema.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "{d}\n");
    }
    if schema.get("properties").is_some() {
        render_fields(out, schema);
    } else if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        let names: Vec<String> = choices.iter().map(type_of).collect();
        let _ = writeln!(out, "One of: {}.\n", names.join(", "));
    }
}

/// A table of an object schema's fields, nested objects flattened as `parent.child`.
fn render_fields(out: &mut String, schema: &Value) {
    let mut rows = Vec::new();
    collect(schema, "", &mut rows);
    if rows.is_empty() {
        return;
    }
    out.push_str("| field | type | required | description |\n| --- | --- | --- | --- |\n");
    for [name, ty, required, description] in rows {
        let _ = writeln!(
            out,
            "| `{name}` | {} | {required} | {} |",
            cell(&ty),
            cell(&description)
        );
    }
    out.push('\n');
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The schema without its `null` choice (an optional field), with the description kept.
fn without_null(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Some(Value::Array(types)) = s.get("type").cloned() {
        let kept: Vec<Value> = types.into_iter().filter(|t| t != "null").collect();
        if kept.len() == 1 {
            s["type"] = kept[0].clone();
        }
        if let Some(Value::Array(values)) = s.get_mut("enum") {
            values.retain(|v| !v.is_null());
        }
        return s;
    }
    if let Some(Value::Array(choices)) = s.get("anyOf").cloned() {
        let kept: Vec<Value> = choices
            .into_iter()
            .filter(|c| c.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if kept.len() == 1 {
            let mut inner = kept[0].clone();
            if let (Some(d), Value::Object(map)) = (s.get("description"), &mut inner) {
                map.insert("description".to_owned(), d.clone());
            }
            return inner;
        }
    }
    s
}

fn collect(schema: &Value, prefix: &str, rows: &mut Vec<[String; 4]>) {
    let Some(Value::Object(properties)) = schema.get("properties") else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // Required fields first, then the rest, each group by name.
    let mut names: Vec<&String> = properties.keys().collect();
    names.sort_by_key(|n| !required.contains(&n.as_str()));
    for name in names {
        let field = without_null(&properties[name]);
        let path = format!("{prefix}{name}");
        let mut description = field
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if let Some(values) = allowed_values(&field) {
            let _ = write!(description, " Allowed: {values}.");
        }
        if let Some(d) = field.get("default")
            && !description.contains("Left out")
        {
            let _ = write!(description, " Default `{}`.", plain(d));
        }
        let req = if required.contains(&name.as_str()) {
            "yes"
        } else {
            "no"
        };
        rows.push([
            path.clone(),
            type_of(&field),
            req.to_owned(),
            description.trim().to_owned(),
        ]);
        // Inline objects, lists of them, and one-of forms are flattened below their field.
        if field.get("properties").is_some() {
            collect(&field, &format!("{path}."), rows);
        } else if let Some(items) = field.get("items")
            && items.get("properties").is_some()
        {
            collect(items, &format!("{path}[]."), rows);
        } else if let Some(Value::Array(forms)) = field.get("oneOf") {
            // Each form's fields, labelled with the form they belong to.
            for form in forms {
                let first = rows.len();
                collect(form, &format!("{path}."), rows);
                if let Some(label) = form.get("description").and_then(Value::as_str) {
                    for row in &mut rows[first..] {
                        row[3] = format!("Form \"{}\": {}", label.trim_end_matches('.'), row[3]);
                    }
                }
            }
        }
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn allowed_values(schema: &Value) -> Option<String> {
    let values = schema
        .get("enum")
        .or_else(|| schema.get("items").and_then(|i| i.get("enum")))?
        .as_array()?;
    let spelled: Vec<String> = values
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| format!("`{}`", plain(v)))
        .collect();
    Some(spelled.join(", "))
}

/// A schema's type in a few words: `text`, `uuid`, `date`, `integer 0-10`, `list of Person`.
fn type_of(schema: &Value) -> String {
    let schema = without_null(schema);
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(Value::Array(forms)) = schema.get("oneOf") {
        let each: Vec<String> = forms.iter().map(type_of).collect();
        if each.iter().all(|t| t == "object") {
            return format!("object, one of {} forms", forms.len());
        }
        return each.join(" or ");
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => {
            if schema.get("enum").is_some() {
                "string (a value from the list)".to_owned()
            } else if let Some(f) = schema.get("format").and_then(Value::as_str) {
                f.to_owned()
            } else if schema.get("maxLength").is_some() {
                "text".to_owned()
            } else if schema.get("pattern").is_some() {
                "string (pattern)".to_owned()
            } else {
                "string".to_owned()
            }
        }
        Some("integer") => match (schema.get("minimum"), schema.get("maximum")) {
            (Some(lo), Some(hi)) => format!("integer {lo}-{hi}"),
            _ => "integer".to_owned(),
        },
        Some("array") => {
            let items = schema.get("items").map(type_of).unwrap_or_default();
            match schema.get("minItems").and_then(Value::as_u64) {
                Some(n) => format!("list of {items}, at least {n}"),
                None => format!("list of {items}"),
            }
        }
        Some(t) => t.to_owned(),
        None => "any".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code that enforces the rules, as compiled: a rule marked verbatim must be there.
    const SOURCES: &[(&str, &str)] = &[
        (RULES_RS, include_str!("child/rules.rs")),
        (DECIDE_RS, include_str!("child/decide.rs")),
        (DATES_RS, include_str!("dates.rs")),
    ];

    #[test]
    fn every_verbatim_rule_is_the_detail_its_code_sends() {
        let all = RecordType::ALL
            .iter()
            .flat_map(|&t| rules(t).iter())
            .chain(COMMON_RULES);
        for rule in all {
            let (_, source) = SOURCES
                .iter()
                .find(|(path, _)| *path == rule.enforced_in)
                .expect("a rule names a source file the test reads");
            if rule.verbatim {
                assert!(
                    source.contains(&format!("\"{}\"", rule.text)),
                    "`{}` is not a string in {}: the rule's text changed there, so change it \
                     in crates/domain/src/docs.rs too",
                    rule.text,
                    rule.enforced_in
                );
            }
        }
    }

    #[test]
    fn every_record_type_is_listed_once() {
        let listed: Vec<RecordType> = SECTIONS
            .iter()
            .flat_map(|(_, types)| types.iter().copied())
            .collect();
        assert_eq!(listed.len(), RecordType::ALL.len());
        for t in RecordType::ALL {
            assert!(
                listed.contains(t),
                "{t} is not in a section of docs/RECORDS.md"
            );
        }
    }

    #[test]
    fn every_field_of_every_type_is_documented() {
        let md = records_markdown();
        for &t in RecordType::ALL {
            let schema = record_data_schema(t);
            for name in schema["properties"].as_object().unwrap().keys() {
                assert!(md.contains(&format!("| `{name}` |")), "{t}.{name}");
            }
        }
    }

    /// `docs/RECORDS.md` is this renderer's output, byte for byte. CI runs this with the
    /// workspace's tests, so the document cannot drift from what the server validates.
    #[test]
    fn records_md_matches() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/RECORDS.md");
        let rendered = records_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &rendered).expect("write docs/RECORDS.md");
            return;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/RECORDS.md does not match the schemas and rules it is generated from \
             (crates/domain/src/docs.rs). Regenerate it with \
             `UPDATE_DOCS=1 cargo test -p domain records_md` and commit the result."
        );
    }
}
