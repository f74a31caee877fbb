//! A valid example of every record type's `data` and of a child's details: beside each schema
//! in `/openapi.json`, in docs/RECORDS.md, and the values the schema tests start from.
//!
//! One family's journey: a school's designated safeguarding lead worried about a 13-year-old,
//! early help, a referral to the front door, a section 47 enquiry. Ids are fixed so the
//! documentation does not change from build to build.

use serde_json::{Value, json};

use crate::record::RecordType;

pub(crate) const CONVERSATION_ID: &str = "5f0c7a2e-1b3d-4e6f-8a9b-0c1d2e3f4a51";
pub(crate) const ASSESSMENT_ID: &str = "7a1e3c5b-2d4f-4a6b-9c8d-1e2f3a4b5c62";
pub(crate) const CONSENT_ID: &str = "9c2d4e6f-3a5b-4c7d-8e9f-2a3b4c5d6e73";
pub(crate) const DISPENSED_CONSENT_ID: &str = "b3e5f7a9-4b6c-4d8e-9fa0-3b4c5d6e7f84";
pub(crate) const REFERRAL_ID: &str = "d4f6a8b0-5c7d-4e9f-a0b1-4c5d6e7f8095";
pub(crate) const DECISION_EVENT_ID: &str = "e5a7b9c1-6d8e-4fa0-b1c2-5d6e7f8091a6";
pub(crate) const SERVICE_ID: &str = "f6b8cad2-7e9f-40b1-82d3-6e7f8091a2b7";
pub(crate) const PLAN_ID: &str = "a7c9dbe3-8fa0-41c2-93e4-7f8091a2b3c8";
pub(crate) const CP_PLAN_ID: &str = "1e304a5b-f617-4839-8a5b-e6f708192a3f";
pub(crate) const STRATEGY_DISCUSSION_ID: &str = "b8dae0f4-90b1-42d3-a4f5-8091a2b3c4d9";
pub(crate) const ENQUIRY_ID: &str = "c9ebf105-a1c2-43e4-b506-91a2b3c4d5ea";
pub(crate) const CONFERENCE_ID: &str = "dafc0216-b2d3-44f5-8617-a2b3c4d5e6fb";
pub(crate) const DISAGREEMENT_ID: &str = "eb0d1327-c3e4-4506-9728-b3c4d5e6f70c";
pub(crate) const CORRECTED_EVENT_ID: &str = "fc1e2438-d4f5-4617-a839-c4d5e6f7081d";
pub(crate) const FOLLOW_UP_EVENT_ID: &str = "0d2f3549-e506-4728-b94a-d5e6f708192e";

pub(crate) fn practitioner(name: &str, role: &str, agency: &str) -> Value {
    json!({ "name": name, "role": role, "agency": agency })
}

pub(crate) fn dsl() -> Value {
    practitioner(
        "Priya Shah",
        "designated_safeguarding_lead",
        "school:norwich-high",
    )
}

pub(crate) fn early_help_worker() -> Value {
    practitioner(
        "Jo Bennett",
        "early_help_practitioner",
        "council:early-help",
    )
}

pub(crate) fn social_worker() -> Value {
    practitioner("Tom Reeve", "social_worker", "front_door:norfolk-mash")
}

pub(crate) fn team_manager() -> Value {
    practitioner("Helen Carter", "team_manager", "front_door:norfolk-mash")
}

pub(crate) fn police_officer() -> Value {
    practitioner("DS Mark Ellis", "detective_sergeant", "police:norfolk")
}

pub(crate) fn action_example(description: &str, owner: Value, due_by: &str) -> Value {
    json!({ "description": description, "owner": owner, "due_by": due_by })
}

pub(crate) fn mother() -> Value {
    json!({ "name": "Sarah Thompson", "relationship": "mother" })
}

pub(crate) fn father() -> Value {
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
