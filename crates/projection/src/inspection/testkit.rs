//! Builders of stored events for the tests of this crate's cross-child views.
//!
//! A [`ChildBuilder`] registers a child and appends records with chosen times and agencies.
//! Every record goes through the domain's own `Child::decide`, so the data is valid by
//! docs/RECORDS.md's shapes and rules (a builder that asked for an impossible record fails the
//! test at once) and carries what the server adds (a `needs_assessed`'s suggestion). Ids are
//! deterministic (`Uuid::from_u128`) so snapshots are stable.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::child::{Child, ChildCommand, Services};
use domain::envelope::RecordInput;
use domain::framework::Framework;
use domain::registration::ChildDetails;
use domain::shapes::Person;
use serde_json::{Value, json};
use store::StoredEvent;
use uuid::Uuid;

pub(crate) const MASH: &str = "front_door:norfolk-mash";
pub(crate) const SCHOOL: &str = "school:norwich-high";
pub(crate) const POLICE: &str = "police:norfolk";
pub(crate) const HEALTH: &str = "health:norfolk-community";

pub(crate) fn norfolk() -> &'static Framework {
    Framework::by_name("norfolk").expect("the Norfolk framework loads")
}

/// `y-m-d` at `h`:00 UTC.
pub(crate) fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid test time")
}

/// November 2026 (the 20th is a Friday) on day `d` at `h`:00 UTC.
pub(crate) fn nov(d: u32, h: u32) -> DateTime<Utc> {
    at(2026, 11, d, h)
}

pub(crate) fn person(agency: &str) -> Value {
    json!({ "name": format!("Pat Worker of {agency}"), "role": "practitioner", "agency": agency })
}

pub(crate) fn level(tier: u8, basis: &str) -> Value {
    json!({ "tier": tier, "statutory_basis": basis })
}

/// An NHS number with a valid check digit, different for every `n`.
pub(crate) fn nhs_number(n: u128) -> String {
    let mut base = 400_000_000 + (n as u64 % 100_000) * 7;
    loop {
        let digits: Vec<u64> = format!("{base:09}")
            .bytes()
            .map(|b| u64::from(b - b'0'))
            .collect();
        let sum: u64 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => {
                base += 1;
                continue;
            }
            c => c,
        };
        return format!("{base:09}{check}");
    }
}

/// A UPN with a valid check letter, different for every `n`.
pub(crate) fn upn(n: u128) -> String {
    const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";
    let rest = format!("8012000{:05}", n % 100_000);
    let sum: usize = rest
        .bytes()
        .enumerate()
        .map(|(i, c)| usize::from(c - b'0') * (i + 2))
        .sum();
    format!("{}{rest}", char::from(LETTERS[sum % 23]))
}

/// How a referral stands on consent.
pub(crate) enum ConsentFor {
    Given,
    Dispensed,
    Refused,
}

/// One child's stream, built record by record.
pub(crate) struct ChildBuilder {
    n: u128,
    child: Child,
    events: Vec<StoredEvent>,
    counter: u128,
    /// How long after it happened each record is recorded, unless a record says otherwise.
    pub delay: Duration,
}

impl ChildBuilder {
    /// Registers child `n` (its id is `Uuid::from_u128(n << 64)`) in `locality`, born on
    /// `dob` (`YYYY-MM-DD`), by the front door at `at`.
    pub(crate) fn register(n: u128, locality: &str, dob: &str, at: DateTime<Utc>) -> ChildBuilder {
        let details = json!({
            "given_name": format!("Given{n}"),
            "family_name": format!("Family{n}"),
            "date_of_birth": dob,
            "gender": "female",
            "locality": locality,
            "identifiers": { "nhs_number": nhs_number(n), "upn": upn(n), "la_child_id": format!("LA-{n}-77") },
        });
        let mut b = ChildBuilder {
            n,
            child: Child::default(),
            events: Vec::new(),
            counter: 0,
            delay: Duration::hours(1),
        };
        let details = ChildDetails::parse(details, "child").expect("valid test details");
        let recorded_by: Person = serde_json::from_value(person(MASH)).expect("a person");
        let event_id = b.next_event_id();
        let cmd = ChildCommand::Register {
            event_id,
            occurred_at: at,
            recorded_by,
            details: Box::new(details),
        };
        let recorded_at = at + b.delay;
        let decided = b
            .child
            .decide(cmd, &services(recorded_at))
            .expect("registration is accepted");
        b.store(decided, recorded_at, MASH);
        b
    }

    pub(crate) fn child_id(&self) -> Uuid {
        Uuid::from_u128(self.n << 64)
    }

    pub(crate) fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    /// The registration's data (to test that identities stay out of reports).
    pub(crate) fn registration(&self) -> &Value {
        &self.events[0].data
    }

    /// A fresh client-chosen id (referral, plan, consent ...).
    pub(crate) fn id(&mut self) -> Uuid {
        self.counter += 1;
        Uuid::from_u128((self.n << 64) | (1 << 32) | self.counter)
    }

    fn next_event_id(&mut self) -> Uuid {
        self.next_event_id_after(0)
    }

    /// The id of the event `k` places after the next one (for batches).
    fn next_event_id_after(&self, k: usize) -> Uuid {
        Uuid::from_u128((self.n << 64) | (self.events.len() as u128 + 1 + k as u128))
    }

    /// Appends one record of `kind` happening at `at`, recorded `self.delay` later by
    /// `agency`; returns its event id.
    pub(crate) fn record(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        kind: &str,
        data: Value,
    ) -> Uuid {
        let recorded_at = at + self.delay;
        self.record_at(at, recorded_at, agency, kind, data)
    }

    /// As [`record`](Self::record), recorded at `recorded_at`.
    pub(crate) fn record_at(
        &mut self,
        at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
        agency: &str,
        kind: &str,
        data: Value,
    ) -> Uuid {
        let body = json!({ "type": kind, "occurred_at": at.to_rfc3339(), "recorded_by": person(agency), "data": data });
        let input = RecordInput::parse(body).unwrap_or_else(|e| panic!("{kind} is not valid: {e}"));
        let event_id = self.next_event_id();
        let cmd = ChildCommand::Append {
            records: vec![(event_id, input)],
            batch: false,
        };
        let decided = self
            .child
            .decide(cmd, &services(recorded_at))
            .unwrap_or_else(|e| panic!("{kind} breaks a rule: {e}"));
        self.store(decided, recorded_at, agency);
        event_id
    }

    fn store(
        &mut self,
        decided: Vec<domain::child::ChildEvent>,
        recorded_at: DateTime<Utc>,
        agency: &str,
    ) {
        for e in decided {
            let sequence = self.events.len() as u64 + 1;
            self.events.push(StoredEvent {
                global_position: 0,
                child_id: self.child_id(),
                sequence,
                event_id: e.event_id,
                event_type: e.event_type().to_owned(),
                event_version: e.event_version(),
                occurred_at: e.occurred_at,
                recorded_at,
                recorded_by: serde_json::to_value(&e.recorded_by).unwrap_or(Value::Null),
                agency: agency.to_owned(),
                token_id: None,
                data: e.data_json(),
                prev_hash: String::new(),
                hash: String::new(),
            });
            self.child.apply(e);
        }
    }

    // --- records -----------------------------------------------------------------------

    pub(crate) fn update_details(&mut self, at: DateTime<Utc>, changes: Value) -> Uuid {
        self.record(
            at,
            MASH,
            "child_details_updated",
            json!({ "changes": changes, "reason": "moved house" }),
        )
    }

    /// A consent for `purpose` sought and then given / refused, or dispensed with; its id.
    pub(crate) fn consent(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        purpose: &str,
        how: ConsentFor,
    ) -> Uuid {
        let id = self.id();
        let mother = json!({ "relationship": "mother" });
        match how {
            ConsentFor::Dispensed => {
                self.record(
                    at,
                    agency,
                    "consent_dispensed_with",
                    json!({ "consent_id": id, "purpose": purpose, "grounds": ["risk_to_child"], "reasons": "asking would put the child at risk", "approved_by": person(agency) }),
                );
            }
            ConsentFor::Given | ConsentFor::Refused => {
                self.record(
                    at,
                    agency,
                    "consent_sought",
                    json!({ "consent_id": id, "purpose": purpose, "sought_from": mother, "explained": "what a referral is and who sees it" }),
                );
                if matches!(how, ConsentFor::Given) {
                    self.record(
                        at,
                        agency,
                        "consent_given",
                        json!({ "consent_id": id, "given_by": mother }),
                    );
                } else {
                    self.record(
                        at,
                        agency,
                        "consent_refused",
                        json!({ "consent_id": id, "refused_by": mother }),
                    );
                }
            }
        }
        id
    }

    /// A referral to the front door by `agency` from census `source`; (referral id, event id).
    pub(crate) fn referral(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        source: Option<&str>,
        how: ConsentFor,
    ) -> (Uuid, Uuid) {
        let consent = match how {
            ConsentFor::Given => {
                json!({ "consent_id": self.consent(at, agency, "referral", ConsentFor::Given) })
            }
            ConsentFor::Dispensed => {
                json!({ "dispensed_consent_id": self.consent(at, agency, "referral", ConsentFor::Dispensed) })
            }
            ConsentFor::Refused => json!({
                "refused_consent_id": self.consent(at, agency, "referral", ConsentFor::Refused),
                "proceeding_reason": "the risk outweighs the refusal",
                "front_door_told_consent_withheld": true,
            }),
        };
        let id = self.id();
        let mut data = json!({ "referral_id": id, "to": "front_door", "concerns": ["bruising seen at school"], "immediate_risk": false, "family_aware": true, "consent": consent });
        if let Some(s) = source {
            data["source"] = json!(s);
        }
        let event = self.record(at, agency, "referral_made", data);
        (id, event)
    }

    /// The front door's decision on `referral`; `tell` records the referrer told on it.
    pub(crate) fn decide(
        &mut self,
        at: DateTime<Utc>,
        referral: Uuid,
        decision: &str,
        tier: u8,
        tell: bool,
    ) -> Uuid {
        let mut data = json!({ "referral_id": referral, "decision": decision, "decided_level": level(tier, "none"), "rationale": "what the referral shows" });
        if tell {
            data["referrer_informed"] = json!({ "how": "phone call" });
        }
        self.record(at, MASH, "referral_decided", data)
    }

    pub(crate) fn referrer_informed(&mut self, at: DateTime<Utc>, referral: Uuid) -> Uuid {
        self.record(
            at,
            MASH,
            "referrer_informed",
            json!({ "referral_id": referral, "how": "email" }),
        )
    }

    pub(crate) fn family_informed(&mut self, at: DateTime<Utc>, about: Uuid) -> Uuid {
        self.record(
            at,
            MASH,
            "family_informed",
            json!({ "about_event_id": about, "how": "letter", "by": person(MASH) }),
        )
    }

    /// A `needs_assessed` completed at `at` by `agency`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assess(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        kind: &str,
        indicators: &[&str],
        section_47: &[&str],
        decided: Value,
        started_on: Option<&str>,
    ) -> Uuid {
        let id = self.id();
        let mut data = json!({
            "assessment_id": id,
            "assessment": kind,
            "indicators": indicators.iter().map(|c| json!({ "code": c })).collect::<Vec<_>>(),
            "decided_level": decided,
            "rationale": "the assessment's reasons",
            "child_voice": { "views": "wants to stay at school" },
        });
        if !section_47.is_empty() {
            data["section_47_indicators"] = json!(section_47);
        }
        if let Some(s) = started_on {
            data["started_on"] = json!(s);
        }
        self.record(at, agency, "needs_assessed", data)
    }

    /// A conversation with the child; `voice` is `"heard"`, `"reason"` or `"none"`.
    pub(crate) fn conversation(&mut self, at: DateTime<Utc>, agency: &str, voice: &str) -> Uuid {
        let id = self.id();
        let mut data = json!({ "conversation_id": id, "kind": "with_child", "participants": [person(agency), { "relationship": "child" }], "worries": ["often hungry"] });
        match voice {
            "heard" => data["child_voice"] = json!({ "views": "says there is no food at home" }),
            "reason" => {
                data["child_voice"] = json!({ "not_captured_reason": "the child was asleep" })
            }
            _ => {}
        }
        self.record(at, agency, "conversation_recorded", data)
    }

    pub(crate) fn step(
        &mut self,
        at: DateTime<Utc>,
        up: bool,
        from: Value,
        to: Value,
        family_informed: bool,
    ) -> Uuid {
        let kind = if up { "stepped_up" } else { "stepped_down" };
        let reason = if up { "assessment" } else { "needs_met" };
        self.record(
            at,
            MASH,
            kind,
            json!({ "from": from, "to": to, "reasons": [{ "kind": reason, "detail": "as assessed" }], "rationale": "the assessment", "decided_by": person(MASH), "family_informed": family_informed }),
        )
    }

    pub(crate) fn strategy(&mut self, at: DateTime<Utc>, decision: &str) -> Uuid {
        let id = self.id();
        self.record(
            at,
            MASH,
            "strategy_discussion_held",
            json!({ "strategy_discussion_id": id, "participants": [person(POLICE), person(MASH)], "decision": decision, "rationale": "what is known" }),
        );
        id
    }

    pub(crate) fn enquiry(&mut self, at: DateTime<Utc>, strategy_discussion: Uuid) -> Uuid {
        let id = self.id();
        self.record(
            at,
            MASH,
            "section_47_enquiry_started",
            json!({ "enquiry_id": id, "strategy_discussion_id": strategy_discussion, "lead": person(MASH) }),
        );
        id
    }

    pub(crate) fn conference(&mut self, at: DateTime<Utc>, kind: &str, outcome: &str) -> Uuid {
        let id = self.id();
        self.record(
            at,
            MASH,
            "child_protection_conference_held",
            json!({ "conference_id": id, "kind": kind, "chair": person(MASH), "attendees": [POLICE, SCHOOL], "outcome": outcome }),
        )
    }

    pub(crate) fn plan(&mut self, at: DateTime<Utc>, kind: &str, review_by: &str) -> Uuid {
        let id = self.id();
        let mut data =
            json!({ "plan_id": id, "kind": kind, "lead": person(MASH), "review_by": review_by });
        if kind == "child_protection_plan" {
            data["category"] = json!("neglect");
        }
        self.record(at, MASH, "plan_started", data);
        id
    }

    pub(crate) fn review(&mut self, at: DateTime<Utc>, plan: Uuid, next_review_by: &str) -> Uuid {
        self.record(
            at,
            MASH,
            "plan_reviewed",
            json!({ "plan_id": plan, "progress": "some", "next_review_by": next_review_by }),
        )
    }

    pub(crate) fn end_plan(&mut self, at: DateTime<Utc>, plan: Uuid) -> Uuid {
        self.record(
            at,
            MASH,
            "plan_ended",
            json!({ "plan_id": plan, "reason": "needs_met" }),
        )
    }

    pub(crate) fn service(
        &mut self,
        at: DateTime<Utc>,
        started: Option<Uuid>,
        family_informed: bool,
    ) -> (Uuid, Uuid) {
        match started {
            None => {
                let id = self.id();
                let e = self.record(
                    at,
                    MASH,
                    "service_started",
                    json!({ "service_id": id, "service": "parenting group", "provider": "council:early-help", "family_informed": family_informed }),
                );
                (id, e)
            }
            Some(id) => {
                let e = self.record(
                    at,
                    MASH,
                    "service_ended",
                    json!({ "service_id": id, "reason": "completed", "family_informed": family_informed }),
                );
                (id, e)
            }
        }
    }

    /// A disagreement raised by `agency` about `about`; its id.
    pub(crate) fn raise(&mut self, at: DateTime<Utc>, agency: &str, about: Uuid) -> Uuid {
        let id = self.id();
        self.record(
            at,
            agency,
            "disagreement_raised",
            json!({ "disagreement_id": id, "about_event_id": about, "raised_by": person(agency), "position": "the child needs more help", "desired_outcome": "an assessment" }),
        );
        id
    }

    pub(crate) fn escalate(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        disagreement: Uuid,
        to_stage: u8,
        other: &str,
    ) -> Uuid {
        self.record(
            at,
            agency,
            "disagreement_escalated",
            json!({ "disagreement_id": disagreement, "to_stage": to_stage, "escalated_by": person(agency), "positions": [{ "party": person(agency), "position": "still worried" }, { "party": person(other), "position": "threshold not met" }], "reason": "no agreement at the stage before" }),
        )
    }

    pub(crate) fn resolve(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        disagreement: Uuid,
        outcome: &str,
    ) -> Uuid {
        self.record(
            at,
            agency,
            "disagreement_resolved",
            json!({ "disagreement_id": disagreement, "outcome": outcome, "resolution": "agreed at the meeting", "resolved_by": person(agency) }),
        )
    }

    pub(crate) fn correct(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        target: Uuid,
        corrected: Value,
    ) -> Uuid {
        self.record(
            at,
            agency,
            "record_corrected",
            json!({ "corrects_event_id": target, "reason": "typed wrongly", "corrected_data": corrected }),
        )
    }

    pub(crate) fn retract(&mut self, at: DateTime<Utc>, agency: &str, target: Uuid) -> Uuid {
        self.record(
            at,
            agency,
            "record_corrected",
            json!({ "corrects_event_id": target, "reason": "entered on the wrong child", "retract": true }),
        )
    }

    /// Retracts several records in one batch (a record and those resting on it go together).
    pub(crate) fn retract_together(&mut self, at: DateTime<Utc>, agency: &str, targets: &[Uuid]) {
        let recorded_at = at + self.delay;
        let mut records = Vec::new();
        for target in targets {
            let body = json!({ "type": "record_corrected", "occurred_at": at.to_rfc3339(), "recorded_by": person(agency), "data": { "corrects_event_id": target, "reason": "entered on the wrong child", "retract": true } });
            let input = RecordInput::parse(body).unwrap_or_else(|e| panic!("retraction: {e}"));
            records.push((self.next_event_id_after(records.len()), input));
        }
        let decided = self
            .child
            .decide(
                ChildCommand::Append {
                    records,
                    batch: true,
                },
                &services(recorded_at),
            )
            .unwrap_or_else(|e| panic!("retractions break a rule: {e}"));
        self.store(decided, recorded_at, agency);
    }

    /// Stores a retraction without the domain's rules, as a history recorded before a rule
    /// existed may hold one: views must still read it.
    pub(crate) fn retract_unchecked(&mut self, at: DateTime<Utc>, agency: &str, target: Uuid) {
        let data = json!({ "corrects_event_id": target, "reason": "entered on the wrong child", "retract": true });
        let body =
            domain::record::RecordData::parse(domain::record::RecordType::RecordCorrected, data)
                .unwrap_or_else(|e| panic!("retraction: {e}"));
        let event = domain::child::ChildEvent {
            event_id: self.next_event_id(),
            occurred_at: at,
            recorded_by: serde_json::from_value(person(agency))
                .unwrap_or_else(|e| panic!("person: {e}")),
            body: domain::child::EventBody::Record(body),
        };
        self.store(vec![event], at + self.delay, agency);
    }

    /// The data of the event `id` as stored (to build a correction from it).
    pub(crate) fn data_of(&self, id: Uuid) -> Value {
        self.events
            .iter()
            .find(|e| e.event_id == id)
            .map(|e| e.data.clone())
            .unwrap_or(Value::Null)
    }
}

fn services(now: DateTime<Utc>) -> Services {
    Services {
        framework: norfolk(),
        now,
    }
}

/// The events of several children as the store would hand them over: in commit order (by
/// `recorded_at`, then child and sequence), with global positions.
pub(crate) fn world(children: &[&ChildBuilder]) -> Vec<StoredEvent> {
    let mut all: Vec<StoredEvent> = children
        .iter()
        .flat_map(|c| c.events.iter().cloned())
        .collect();
    all.sort_by_key(|e| (e.recorded_at, e.child_id, e.sequence));
    for (i, e) in all.iter_mut().enumerate() {
        e.global_position = i as u64 + 1;
    }
    all
}
