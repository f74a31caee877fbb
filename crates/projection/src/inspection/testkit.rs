//! Builders of stored events for the tests of this crate's cross-child views.
//!
//! A [`ChildBuilder`] registers a child and appends records with chosen times and agencies.
//! Every record goes through the domain's own `Child::decide`, so the data is valid by
//! docs/RECORDS.md's shapes and rules (a builder that asked for an impossible record fails the
//! test at once) and carries what the server adds (a `needs_assessed`'s suggestion). The records
//! are made with the domain's typed builders (`domain::testing`). Ids are deterministic
//! (`Uuid::from_u128`) so snapshots are stable.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::child::{Child, ChildCommand, EventBody, Services};
use domain::framework::Framework;
use domain::record::{ConsentPurpose, PlanCategory, Position, StepReasonKind};
use domain::registration::ChildDetails;
use domain::shapes::{ChildVoice, Party, Person};
use domain::testing::{self, Build};

// What the builder's methods take, for the tests that call them.
pub(crate) use domain::level::{Level, StatutoryBasis};
pub(crate) use domain::record::{
    AssessmentKind, ConferenceKind, ConferenceOutcome, DisagreementOutcome, PlanKind, RecordData,
    ReferralDecision, StrategyDecision,
};
pub(crate) use domain::registration::ChildDetailsChanges;
pub(crate) use domain::testing::{level, tier};
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

pub(crate) fn person(agency: &str) -> Person {
    Person {
        name: testing::text(&format!("Pat Worker of {agency}")),
        ..testing::person(agency)
    }
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
        let recorded_by = person(MASH);
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

    /// Appends one record happening at `at`, recorded `self.delay` later by `agency`;
    /// returns its event id.
    pub(crate) fn record(&mut self, at: DateTime<Utc>, agency: &str, data: impl Build) -> Uuid {
        let recorded_at = at + self.delay;
        self.record_at(at, recorded_at, agency, data)
    }

    /// As [`record`](Self::record), recorded at `recorded_at`.
    pub(crate) fn record_at(
        &mut self,
        at: DateTime<Utc>,
        recorded_at: DateTime<Utc>,
        agency: &str,
        data: impl Build,
    ) -> Uuid {
        let input = testing::posted(data).at(at).by(person(agency)).input();
        let kind = input.record_type();
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

    pub(crate) fn update_details(
        &mut self,
        at: DateTime<Utc>,
        changes: ChildDetailsChanges,
    ) -> Uuid {
        self.record(at, MASH, testing::child_details_updated().changes(changes))
    }

    /// A consent for `purpose` sought and then given / refused, or dispensed with; its id.
    pub(crate) fn consent(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        purpose: ConsentPurpose,
        how: ConsentFor,
    ) -> Uuid {
        let id = self.id();
        match how {
            ConsentFor::Dispensed => {
                let dispensed = testing::consent_dispensed_with()
                    .id(id)
                    .purpose(purpose)
                    .approved_by(person(agency));
                self.record(at, agency, dispensed);
            }
            ConsentFor::Given | ConsentFor::Refused => {
                let sought = testing::consent_sought()
                    .id(id)
                    .purpose(purpose)
                    .explained("what a referral is and who sees it");
                self.record(at, agency, sought);
                if matches!(how, ConsentFor::Given) {
                    self.record(at, agency, testing::consent_given().id(id));
                } else {
                    self.record(at, agency, testing::consent_refused().id(id));
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
        let made = testing::referral_made().concern("bruising seen at school");
        let purpose = ConsentPurpose::Referral;
        let made = match how {
            ConsentFor::Given => made.consent_given(self.consent(at, agency, purpose, how)),
            ConsentFor::Dispensed => made.consent_dispensed(self.consent(at, agency, purpose, how)),
            ConsentFor::Refused => made
                .consent_refused(self.consent(at, agency, purpose, how))
                .proceeding_because("the risk outweighs the refusal")
                .front_door_told_consent_withheld(),
        };
        let id = self.id();
        let made = match source {
            Some(s) => made.id(id).source(s),
            None => made.id(id),
        };
        let event = self.record(at, agency, made);
        (id, event)
    }

    /// The front door's decision on `referral`; `tell` records the referrer told on it.
    pub(crate) fn decide(
        &mut self,
        at: DateTime<Utc>,
        referral: Uuid,
        decision: ReferralDecision,
        tier: u8,
        tell: bool,
    ) -> Uuid {
        let decided = testing::referral_decided()
            .referral(referral)
            .decision(decision)
            .decided(testing::tier(tier))
            .rationale("what the referral shows");
        let decided = if tell {
            decided.referrer_informed("phone call")
        } else {
            decided
        };
        self.record(at, MASH, decided)
    }

    pub(crate) fn referrer_informed(&mut self, at: DateTime<Utc>, referral: Uuid) -> Uuid {
        let informed = testing::referrer_informed().referral(referral).how("email");
        self.record(at, MASH, informed)
    }

    pub(crate) fn family_informed(&mut self, at: DateTime<Utc>, about: Uuid) -> Uuid {
        let informed = testing::family_informed().about(about).by(person(MASH));
        self.record(at, MASH, informed)
    }

    /// A `needs_assessed` completed at `at` by `agency`, started on `started_on`
    /// (`YYYY-MM-DD`) if given.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn assess(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        kind: AssessmentKind,
        indicators: &[&str],
        section_47: &[&str],
        decided: Level,
        started_on: Option<&str>,
    ) -> Uuid {
        let mut assessed = testing::needs_assessed()
            .id(self.id())
            .kind(kind)
            .indicators(indicators)
            .decided(decided)
            .rationale("the assessment's reasons")
            .child_voice(
                ChildVoice::new(Some(testing::text("wants to stay at school")), None, None)
                    .expect("the child's views"),
            );
        if !section_47.is_empty() {
            assessed = assessed.section_47_indicators(section_47);
        }
        if let Some(s) = started_on {
            assessed = assessed.started_on(s.parse().expect("a test's date is YYYY-MM-DD"));
        }
        self.record(at, agency, assessed)
    }

    /// A conversation with the child; `voice` is `"heard"`, `"reason"` or `"none"`.
    pub(crate) fn conversation(&mut self, at: DateTime<Utc>, agency: &str, voice: &str) -> Uuid {
        let talk = testing::conversation_recorded()
            .id(self.id())
            .participants(vec![
                Party::Person(person(agency)),
                Party::FamilyMember(testing::family("child")),
            ])
            .worries(&["often hungry"]);
        let t = |s: &str| Some(testing::text(s));
        let talk = match voice {
            "heard" => talk.child_voice(
                ChildVoice::new(t("says there is no food at home"), None, None)
                    .expect("the child's views"),
            ),
            "reason" => talk.child_voice(
                ChildVoice::new(None, None, t("the child was asleep")).expect("a reason"),
            ),
            _ => talk,
        };
        self.record(at, agency, talk)
    }

    pub(crate) fn step(
        &mut self,
        at: DateTime<Utc>,
        up: bool,
        from: Level,
        to: Level,
        family_informed: bool,
    ) -> Uuid {
        let (step, reason) = if up {
            (testing::stepped_up(), StepReasonKind::Assessment)
        } else {
            (testing::stepped_down(), StepReasonKind::NeedsMet)
        };
        let step = step
            .from(from)
            .to(to)
            .reason_because(reason, "as assessed")
            .rationale("the assessment")
            .decided_by(person(MASH))
            .family_informed(family_informed);
        self.record(at, MASH, step)
    }

    pub(crate) fn strategy(&mut self, at: DateTime<Utc>, decision: StrategyDecision) -> Uuid {
        let id = self.id();
        let held = testing::strategy_discussion_held()
            .id(id)
            .participants(vec![person(POLICE), person(MASH)])
            .decision(decision)
            .rationale("what is known");
        self.record(at, MASH, held);
        id
    }

    pub(crate) fn enquiry(&mut self, at: DateTime<Utc>, strategy_discussion: Uuid) -> Uuid {
        let id = self.id();
        let started = testing::section_47_enquiry_started()
            .id(id)
            .strategy_discussion(strategy_discussion)
            .lead(person(MASH));
        self.record(at, MASH, started);
        id
    }

    pub(crate) fn conference(
        &mut self,
        at: DateTime<Utc>,
        kind: ConferenceKind,
        outcome: ConferenceOutcome,
    ) -> Uuid {
        let held = testing::child_protection_conference_held()
            .id(self.id())
            .kind(kind)
            .chair(person(MASH))
            .attendees(&[POLICE, SCHOOL])
            .outcome(outcome);
        self.record(at, MASH, held)
    }

    /// A plan of `kind` to be reviewed by `review_by` (`YYYY-MM-DD`); its id.
    pub(crate) fn plan(&mut self, at: DateTime<Utc>, kind: PlanKind, review_by: &str) -> Uuid {
        let id = self.id();
        let plan = testing::plan_started()
            .id(id)
            .kind(kind)
            .lead(person(MASH))
            .review_by(review_by.parse().expect("a test's date is YYYY-MM-DD"));
        let plan = if kind == PlanKind::ChildProtectionPlan {
            plan.category(PlanCategory::Neglect)
        } else {
            plan
        };
        self.record(at, MASH, plan);
        id
    }

    pub(crate) fn review(&mut self, at: DateTime<Utc>, plan: Uuid, next_review_by: &str) -> Uuid {
        let reviewed = testing::plan_reviewed()
            .plan(plan)
            .progress("some")
            .next_review_by(next_review_by.parse().expect("a test's date is YYYY-MM-DD"));
        self.record(at, MASH, reviewed)
    }

    pub(crate) fn end_plan(&mut self, at: DateTime<Utc>, plan: Uuid) -> Uuid {
        self.record(at, MASH, testing::plan_ended().plan(plan))
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
                let started = testing::service_started()
                    .id(id)
                    .family_informed(family_informed);
                let e = self.record(at, MASH, started);
                (id, e)
            }
            Some(id) => {
                let ended = testing::service_ended()
                    .service(id)
                    .family_informed(family_informed);
                let e = self.record(at, MASH, ended);
                (id, e)
            }
        }
    }

    /// A disagreement raised by `agency` about `about`; its id.
    pub(crate) fn raise(&mut self, at: DateTime<Utc>, agency: &str, about: Uuid) -> Uuid {
        let id = self.id();
        let raised = testing::disagreement_raised()
            .id(id)
            .about(about)
            .raised_by(person(agency))
            .position("the child needs more help")
            .desired_outcome("an assessment");
        self.record(at, agency, raised);
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
        let escalated = testing::disagreement_escalated()
            .disagreement(disagreement)
            .to_stage(to_stage)
            .escalated_by(person(agency))
            .positions(vec![
                Position {
                    party: person(agency),
                    position: testing::text("still worried"),
                },
                Position {
                    party: person(other),
                    position: testing::text("threshold not met"),
                },
            ])
            .reason("no agreement at the stage before");
        self.record(at, agency, escalated)
    }

    pub(crate) fn resolve(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        disagreement: Uuid,
        outcome: DisagreementOutcome,
    ) -> Uuid {
        let resolved = testing::disagreement_resolved()
            .disagreement(disagreement)
            .outcome(outcome)
            .resolution("agreed at the meeting")
            .resolved_by(person(agency));
        self.record(at, agency, resolved)
    }

    pub(crate) fn correct(
        &mut self,
        at: DateTime<Utc>,
        agency: &str,
        target: Uuid,
        corrected: impl Build,
    ) -> Uuid {
        let correction = testing::record_corrected()
            .corrects(target)
            .reason("typed wrongly")
            .corrected_to(corrected);
        self.record(at, agency, correction)
    }

    fn retraction(target: Uuid) -> testing::RecordCorrectedBuilder {
        testing::record_corrected()
            .corrects(target)
            .reason("entered on the wrong child")
            .retract()
    }

    pub(crate) fn retract(&mut self, at: DateTime<Utc>, agency: &str, target: Uuid) -> Uuid {
        self.record(at, agency, Self::retraction(target))
    }

    /// Retracts several records in one batch (a record and those resting on it go together).
    pub(crate) fn retract_together(&mut self, at: DateTime<Utc>, agency: &str, targets: &[Uuid]) {
        let recorded_at = at + self.delay;
        let mut records = Vec::new();
        for target in targets {
            let input = testing::posted(Self::retraction(*target))
                .at(at)
                .by(person(agency))
                .input();
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
        let event = domain::child::ChildEvent {
            event_id: self.next_event_id(),
            occurred_at: at,
            recorded_by: person(agency),
            body: domain::child::EventBody::Record(Self::retraction(target).build()),
        };
        self.store(vec![event], at + self.delay, agency);
    }

    /// The data of the record `id`, typed (to build a correction from it).
    pub(crate) fn data_of(&self, id: Uuid) -> RecordData {
        self.child
            .history()
            .iter()
            .find(|e| e.event_id == id)
            .and_then(|e| match &e.body {
                EventBody::Record(data) => Some(data.clone()),
                EventBody::Registered(_) => None,
            })
            .unwrap_or_else(|| panic!("{id} is a record of this child"))
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
