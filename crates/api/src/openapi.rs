//! `/openapi.json`: the full contract, generated from the handlers (utoipa) and completed with
//! the schemas of every record type's `data` that `domain::schema` derives from the record types
//! themselves, so the document cannot drift from what the server parses.
//!
//! utoipa describes the routes, answers and error bodies; `domain::schema` describes what a
//! record may contain. [`document`] joins them: each record type gets a `…Data` schema and an
//! envelope, `NewRecord` becomes a `oneOf` over the envelopes keyed by `type`, and every
//! secured operation lists the 401 and 429 that any of them can answer.

use domain::record::RecordType;
use serde_json::{Value, json};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::problem::{ErrorKind, TYPE_BASE};
use crate::routes::{admin, children, health, reads, records, report, returns, review, tokens};
use crate::views;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Caseline",
        description = "The shared, append-only record of a child's journey through a council's threshold guide. \
Every request but /health, /ready, /metrics and /openapi.json carries `Authorization: Bearer <token>`. \
Errors are application/problem+json (RFC 9457) with `type`, `title`, `status`, `detail` and, for invalid input, \
`errors: [{ field, message }]` where `field` is a JSON path into the request.\n\n\
**Times and dates.** `occurred_at` is RFC 3339 with an offset, from 1900-01-01 on and at most 5 minutes ahead of the \
server's clock; it is kept to the microsecond (finer digits are dropped), so every store reads back what it acknowledged. \
A date of birth is on or before the registration and at most 25 years before it; an expected date of birth lies up to \
300 days after the registration (60 before, for a child past their due date). A record about a child cannot be dated \
before their birth unless the child was registered unborn. Dates a record sets (`review_by`, `next_review_by`, \
`due_by`, `expires_on`) fall from the day before the record's `occurred_at` to 5 years after; `started_on` from 2 years \
before to the day after. Out of range: 400 for `occurred_at`, 422 naming the field for the rest.\n\n\
**Text** may hold tabs and line breaks but no other control characters (400 naming the field).\n\n\
**Standing.** Any agency may record about any child, but recording grants no read. A recorder reads a child only \
where its agency has standing: it registered the child, made a referral about them, is named in an \
`information_shared` record's `shared_with`, provides one of their open services, leads or owns an action in one of \
their open plans, or is the lead worker's agency. It then sees the case summary and, in the journey and the consent \
ledger, its own agency's records and the `information_shared` records that name it. Refused reads (403, 404) are \
logged like reads; a 409 on registration is logged as a lookup of the child it names.\n\n\
**Corrections** follow the role table: an agency corrects or retracts only its own agency's records (the front door \
may also retract any record, entered on the wrong child), and corrected data must be recordable by the same token \
where the original stands (403 at `data.corrected_data` otherwise).\n\n\
**Retries.** A request repeated with the same `Idempotency-Key` and body, even while the first is still being \
written, gets the first answer with `Idempotent-Replayed: true`."
    ),
    paths(
        health::health, health::ready, health::metrics,
        children::register, children::lookup,
        records::append_one, records::append_batch,
        reads::case, reads::journey, reads::audit, reads::consent, reads::events,
        review::list, review::one, report::inspection, returns::cin_census, returns::annex_a, admin::rebuild,
        tokens::create, tokens::list, tokens::revoke,
    ),
    components(schemas(
        crate::problem::Problem, crate::problem::FieldError,
        health::Health,
        children::NewChild, children::Registered, children::Found,
        records::NewRecord, records::NewRecords, records::Recorded, records::RecordedItem, records::RecordedBatch,
        reads::Case, reads::CaseLevel, reads::OpenReferral, reads::OpenPlan, reads::ServiceInPlace,
        reads::ConsentNow, reads::OpenDisagreement, reads::ObligationOwed,
        views::Journey, views::LevelInterval, views::Record, views::Audit,
        views::AuditRecord, views::Read, views::ConsentLedger, views::Consent,
        views::ConsentStatus, views::RawEvents, views::RawEvent,
        admin::Rebuilt,
        views::Disagreement, views::DisagreementList, views::Stage, views::StagePosition, views::Resolution, views::DisagreementStatus,
        views::InspectionReport,
        tokens::NewToken, tokens::CreatedToken, tokens::TokenInfo, tokens::TokenList,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "children", description = "Registering and finding children"),
        (name = "records", description = "Appending to a child's record"),
        (name = "reading", description = "A child's case, journey, audit, consent and events; every read is logged"),
        (name = "returns", description = "Statutory returns produced from the record: the DfE's Children in Need census and Ofsted's Annex A; every production is logged"),
        (name = "tokens", description = "Administration"),
        (name = "operations", description = "Health, readiness and metrics; no token"),
        (name = "review", description = "The professional-disagreement review and the inspection report, from the cross-child read model"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.description = Some(
            "A token created by an admin (`caseline token create` or POST /v1/tokens); it has one agency and one role."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

/// The name of a record type's data schema: `conversation_recorded` → `ConversationRecordedData`.
pub fn data_schema_name(t: RecordType) -> String {
    let mut out = String::new();
    for part in t.as_str().split('_') {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str("Data");
    out
}

fn or_any(v: Value) -> Value {
    if v.is_null() { json!({}) } else { v }
}

/// The whole document as JSON.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    let schemas = &mut doc["components"]["schemas"];

    for (name, schema) in domain::schema::shared_schemas() {
        schemas[name] = schema;
    }
    schemas["ChildDetails"] = or_any(domain::schema::child_details_schema());
    schemas["NewChild"]["properties"]["child"] =
        json!({ "$ref": "#/components/schemas/ChildDetails" });
    if schemas.get("Person").is_some() {
        schemas["NewChild"]["properties"]["recorded_by"] =
            json!({ "$ref": "#/components/schemas/Person" });
    }

    let mut envelopes = Vec::new();
    let mut mapping = serde_json::Map::new();
    for &t in RecordType::ALL {
        let data = data_schema_name(t);
        let envelope = format!("New{}", &data[..data.len() - "Data".len()]);
        let mut data_schema = or_any(domain::schema::record_data_schema(t));
        let example = domain::schema::example(t);
        if !example.is_null() && data_schema.is_object() {
            data_schema["example"] = example;
        }
        schemas[&data] = data_schema;
        let recorded_by = if schemas.get("Person").is_some() {
            json!({ "$ref": "#/components/schemas/Person" })
        } else {
            json!({ "type": "object" })
        };
        schemas[&envelope] = json!({
            "type": "object",
            "description": format!("A `{}` record.", t.as_str()),
            "required": ["type", "occurred_at", "recorded_by", "data"],
            "additionalProperties": false,
            "properties": {
                "type": { "type": "string", "enum": [t.as_str()] },
                "occurred_at": { "type": "string", "format": "date-time",
                    "description": "When it happened (RFC 3339 with offset); at most 5 minutes ahead of the server's clock." },
                "recorded_by": recorded_by,
                "data": { "$ref": format!("#/components/schemas/{data}") },
            }
        });
        let reference = format!("#/components/schemas/{envelope}");
        envelopes.push(json!({ "$ref": reference }));
        mapping.insert(t.as_str().to_owned(), Value::String(reference));
    }
    schemas["NewRecord"] = json!({
        "description": "One record: `type` picks the schema of `data` (docs/RECORDS.md).",
        "oneOf": envelopes,
        "discriminator": { "propertyName": "type", "mapping": mapping },
    });
    schemas["NewRecords"]["properties"]["records"]["minItems"] = json!(1);
    schemas["NewRecords"]["properties"]["records"]["maxItems"] = json!(domain::envelope::MAX_BATCH);
    schemas["NewRecords"]["additionalProperties"] = json!(false);
    schemas["NewChild"]["additionalProperties"] = json!(false);

    // A read by a person in a browser also names them and their session (`routes::reads::audit`
    // adds both to the fold's reads).
    if let Some(props) = schemas
        .pointer_mut("/Read/properties")
        .and_then(Value::as_object_mut)
    {
        props.insert(
            "person".into(),
            json!({ "type": "string", "description": "The person who read it through a browser session; absent for a token's read." }),
        );
        props.insert(
            "session_id".into(),
            json!({ "type": ["string", "null"], "format": "uuid", "description": "That session's public id (never its secret)." }),
        );
    }

    // The closed table of problem types, so clients can match on `type`.
    let types: Vec<Value> = ErrorKind::ALL
        .iter()
        .map(|k| Value::String(format!("{TYPE_BASE}{}", k.row().slug)))
        .collect();
    schemas["Problem"]["properties"]["type"]["enum"] = Value::Array(types);

    // The lookup's identifiers take the same shapes as at registration.
    if let Some(params) = doc
        .pointer_mut("/paths/~1v1~1children/get/parameters")
        .and_then(Value::as_array_mut)
    {
        for p in params {
            let pattern = match p["name"].as_str() {
                Some("nhs_number") => domain::schema::NHS_NUMBER_PATTERN,
                Some("upn") => domain::schema::UPN_PATTERN,
                _ => continue,
            };
            p["schema"]["pattern"] = json!(pattern);
        }
    }

    add_common_responses(&mut doc);
    add_links(&mut doc);
    allow_suppressed_figures(&mut doc);
    doc
}

/// The report's schemas whose numbers are not figures (a period's dates, a level's tier).
const NOT_FIGURES: [&str; 2] = ["Period", "LevelAtEnd"];

/// With a `locality`, a figure resting on 1 to 4 children is published as the string `"<5"`
/// (docs/REPORT.md), so every number in the report's schemas may be that string instead. The
/// Rust types keep their numbers; this says what the wire carries.
fn allow_suppressed_figures(doc: &mut Value) {
    let Some(schemas) = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // The report's schemas: InspectionReport and every schema it refers to, transitively.
    let mut names = vec!["InspectionReport".to_owned()];
    let mut i = 0;
    while let Some(name) = names.get(i).cloned() {
        i += 1;
        let mut refs = Vec::new();
        if let Some(schema) = schemas.get(&name) {
            collect_refs(schema, &mut refs);
        }
        for r in refs {
            if !names.contains(&r) && !NOT_FIGURES.contains(&r.as_str()) {
                names.push(r);
            }
        }
    }
    for name in names {
        if let Some(schema) = schemas.get_mut(&name) {
            wrap_numbers(schema);
        }
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str)
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.push(name.to_owned());
            }
            m.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Replaces every number schema under `v` with "that number, or `<5`".
fn wrap_numbers(v: &mut Value) {
    let numeric = |t: &Value| match t {
        Value::String(s) => s == "integer" || s == "number",
        Value::Array(a) => a.iter().any(|t| t == "integer" || t == "number"),
        _ => false,
    };
    match v {
        Value::Object(m) if m.get("type").is_some_and(numeric) => {
            let number = Value::Object(std::mem::take(m));
            *v = json!({ "oneOf": [number, {
                "type": "string",
                "enum": [projection::inspection::SUPPRESSED],
                "description": "A figure resting on 1 to 4 children, in a report for one locality",
            }] });
        }
        Value::Object(m) => m.values_mut().for_each(wrap_numbers),
        Value::Array(a) => a.iter_mut().for_each(wrap_numbers),
        _ => {}
    }
}

/// OpenAPI links: where an answer's ids lead next (a registered child to its case and records,
/// a created token to its revocation). Code generators and
/// stateful API testers (Schemathesis) follow them.
fn add_links(doc: &mut Value) {
    let child_from_body = json!({ "child_id": "$response.body#/child_id" });
    let child_reads = [
        ("case", "get_case"),
        ("journey", "get_journey"),
        ("audit", "get_audit"),
        ("consent", "get_consent_ledger"),
        ("events", "get_events"),
        ("record", "append_record"),
        ("records", "append_records"),
    ];
    let to_child = |skip: &str| -> Value {
        let mut links = serde_json::Map::new();
        for (name, op) in child_reads {
            if op != skip {
                links.insert(
                    name.to_owned(),
                    json!({ "operationId": op, "parameters": child_from_body }),
                );
            }
        }
        Value::Object(links)
    };
    let targets = [
        ("/v1/children", "post", "201", to_child("")),
        (
            "/v1/children/{child_id}/records",
            "post",
            "201",
            to_child("append_record"),
        ),
        (
            "/v1/children/{child_id}/records:batch",
            "post",
            "201",
            to_child("append_records"),
        ),
        (
            "/v1/tokens",
            "post",
            "201",
            json!({ "revoke": { "operationId": "revoke_token",
                "parameters": { "token_id": "$response.body#/id" } } }),
        ),
    ];
    for (path, method, status, links) in targets {
        if let Some(response) = doc
            .pointer_mut(&format!(
                "/paths/{}/{method}/responses/{status}",
                path.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_object_mut)
        {
            response.insert("links".to_owned(), links);
        }
    }
}

/// Every secured operation can answer 401 (no or bad token), 429 (rate limited) and 503 (the
/// store is unreachable); every operation with a path or query parameter can answer 400.
fn add_common_responses(doc: &mut Value) {
    let problem = |description: &str| {
        json!({
            "description": description,
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let open = op.get("security").is_some_and(|s| s == &json!([{}]));
            let has_params = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|p| !p.is_empty());
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            if !open {
                responses
                    .entry("401")
                    .or_insert_with(|| problem("No, unknown or revoked bearer token"));
                responses
                    .entry("403")
                    .or_insert_with(|| problem("This role may not do this"));
                responses.entry("429").or_insert_with(|| {
                    let mut p = problem("Rate limited; see Retry-After");
                    p["headers"] = json!({ "Retry-After": { "description": "Seconds to wait", "schema": { "type": "integer" } } });
                    p
                });
                responses
                    .entry("503")
                    .or_insert_with(|| problem("The store cannot be reached"));
            }
            if has_params {
                responses
                    .entry("400")
                    .or_insert_with(|| problem("A parameter is not valid"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_figures_may_be_withheld_but_tiers_and_dates_may_not() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let received = &schemas["Referrals"]["properties"]["received"];
        assert_eq!(received["oneOf"][1]["enum"], json!(["<5"]), "{received}");
        assert_eq!(received["oneOf"][0]["type"], "integer", "{received}");
        let rate = &schemas["Referrals"]["properties"]["no_further_action_rate"];
        assert!(rate["oneOf"].is_array(), "{rate}");
        let tier = &schemas["LevelAtEnd"]["properties"]["tier"];
        assert!(tier.get("oneOf").is_none(), "{tier}");
        let row = &schemas["ChildRow"]["properties"]["referrals"];
        assert!(row["oneOf"].is_array(), "{row}");
        // Nothing outside the report changes.
        assert!(
            !doc["components"]["schemas"]["Problem"]
                .to_string()
                .contains("<5")
        );
    }
}
