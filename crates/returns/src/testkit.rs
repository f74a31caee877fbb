//! A child's record built from typed records, day by day, for the returns' tests: the domain's
//! own types through its builders (`domain::testing`), so a test reads as the journey it
//! describes.

use chrono::{DateTime, NaiveDate, Utc};
use domain::child::{Child, ChildEvent, EventBody};
use domain::codes::{Disability, Ethnicity, UpnUnknown};
use domain::level::Level;
use domain::record::{
    AssessmentKind, ClosureReason, ConferenceKind, ConferenceOutcome, EnquiryOutcome, PlanCategory,
    PlanKind, ReferralDecision,
};
use domain::registration::{ChildDetails, ChildDetailsFields, Gender, Identifiers, Upn};
use domain::shapes::{Person, Text};
use domain::testing::{self, Build};
use uuid::Uuid;

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a test date is a real date")
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(12, 0, 0).expect("noon exists").and_utc()
}

fn t(s: &str) -> Text {
    Text::new(s).expect("test text is valid")
}

fn worker() -> Person {
    Person {
        name: t("A Social Worker"),
        role: t("social_worker"),
        agency: t("front_door:norfolk-mash"),
    }
}

/// A child's record under construction. Ids are counted, so a test's children repeat.
pub(crate) struct Journey {
    events: Vec<ChildEvent>,
    next: u128,
    /// The latest referral, plan and enquiry, which the next record about one refers to.
    pub referral: Uuid,
    pub plan: Uuid,
    pub enquiry: Uuid,
}

/// Who the child is, for [`Journey::register`].
pub(crate) struct Who {
    pub born: Option<NaiveDate>,
    pub expected: Option<NaiveDate>,
    pub gender: Gender,
    pub ethnicity: Option<&'static str>,
    pub disability: Vec<&'static str>,
    pub upn: Option<&'static str>,
    pub former_upn: Option<&'static str>,
    pub upn_unknown: Option<&'static str>,
    pub la_child_id: Option<&'static str>,
}

impl Default for Who {
    fn default() -> Who {
        Who {
            born: Some(day(2015, 6, 1)),
            expected: None,
            gender: Gender::Female,
            ethnicity: Some("WBRI"),
            disability: vec!["NONE"],
            upn: None,
            former_upn: None,
            upn_unknown: None,
            la_child_id: Some("NCC-000123"),
        }
    }
}

impl Journey {
    pub(crate) fn register(on: NaiveDate, who: Who) -> Journey {
        let details = ChildDetails::new(ChildDetailsFields {
            given_name: t("Maya"),
            family_name: t("Thompson"),
            date_of_birth: who.born,
            expected_date_of_birth: who.expected,
            gender: who.gender,
            ethnicity: who
                .ethnicity
                .map(|e| Ethnicity::new(e).expect("a census code")),
            disability: who
                .disability
                .iter()
                .map(|d| Disability::new(d).expect("a census code"))
                .collect(),
            locality: t("Norwich"),
            identifiers: Some(Identifiers {
                nhs_number: None,
                upn: who.upn.map(|u| Upn::new(u).expect("a valid UPN")),
                la_child_id: who.la_child_id.map(t),
                former_upn: who.former_upn.map(|u| Upn::new(u).expect("a valid UPN")),
                upn_unknown: who.upn_unknown.map(|u| UpnUnknown::new(u).expect("a code")),
            }),
        })
        .expect("one date of birth");
        let mut j = Journey {
            events: Vec::new(),
            next: 1,
            referral: Uuid::nil(),
            plan: Uuid::nil(),
            enquiry: Uuid::nil(),
        };
        let id = j.id();
        j.events.push(ChildEvent {
            event_id: id,
            occurred_at: noon(on),
            recorded_by: worker(),
            body: EventBody::Registered(details),
        });
        j
    }

    fn id(&mut self) -> Uuid {
        self.next += 1;
        Uuid::from_u128(self.next)
    }

    fn push(&mut self, on: NaiveDate, r: impl Build) -> &mut Journey {
        let r = r.build();
        let id = self.id();
        self.events.push(ChildEvent {
            event_id: id,
            occurred_at: noon(on),
            recorded_by: worker(),
            body: EventBody::Record(r),
        });
        self
    }

    pub(crate) fn child(&self) -> Child {
        Child::from_events(self.events.clone())
    }

    /// The id of the latest event.
    pub(crate) fn last_event(&self) -> Uuid {
        self.events.last().map_or(Uuid::nil(), |e| e.event_id)
    }

    pub(crate) fn refer(&mut self, on: NaiveDate, source: &str) -> &mut Journey {
        self.referral = self.id();
        let consent_id = self.id();
        let referral = testing::referral_made()
            .id(self.referral)
            .consent_given(consent_id)
            .source(source);
        self.push(on, referral)
    }

    pub(crate) fn decide(
        &mut self,
        on: NaiveDate,
        decision: ReferralDecision,
        need: &str,
    ) -> &mut Journey {
        let decided = testing::referral_decided()
            .referral(self.referral)
            .decision(decision)
            .decided(Level::UNIVERSAL)
            .rationale("as the threshold guide says")
            .primary_need(need);
        self.push(on, decided)
    }

    pub(crate) fn assess(
        &mut self,
        kind: AssessmentKind,
        started: NaiveDate,
        on: NaiveDate,
        factors: &[&str],
    ) -> &mut Journey {
        let assessed = testing::needs_assessed()
            .id(self.id())
            .kind(kind)
            .decided(Level::UNIVERSAL)
            .started_on(started)
            .child_seen(true)
            .factors(factors);
        self.push(on, assessed)
    }

    pub(crate) fn start_plan(
        &mut self,
        on: NaiveDate,
        kind: PlanKind,
        category: Option<PlanCategory>,
    ) -> &mut Journey {
        self.plan = self.id();
        let mut plan = testing::plan_started()
            .id(self.plan)
            .kind(kind)
            .lead(worker())
            .review_by(on + chrono::Days::new(90));
        if let Some(c) = category {
            plan = plan.category(c);
        }
        self.push(on, plan)
    }

    /// The social worker (`worker()`) made the child's lead worker, in `team`.
    pub(crate) fn assign_lead_worker(&mut self, on: NaiveDate, team: &str) -> &mut Journey {
        let assigned = testing::lead_worker_assigned()
            .lead_worker(worker())
            .team(team)
            .plan(self.plan);
        self.push(on, assigned)
    }

    pub(crate) fn end_plan(&mut self, on: NaiveDate) -> &mut Journey {
        let ended = testing::plan_ended().plan(self.plan);
        self.push(on, ended)
    }

    pub(crate) fn start_enquiry(&mut self, on: NaiveDate) -> &mut Journey {
        self.enquiry = self.id();
        let started = testing::section_47_enquiry_started()
            .id(self.enquiry)
            .strategy_discussion(self.id())
            .lead(worker());
        self.push(on, started)
    }

    pub(crate) fn conclude_enquiry(
        &mut self,
        on: NaiveDate,
        outcome: EnquiryOutcome,
    ) -> &mut Journey {
        let concluded = testing::section_47_enquiry_concluded()
            .enquiry(self.enquiry)
            .outcome(outcome)
            .rationale("what the enquiry found");
        self.push(on, concluded)
    }

    pub(crate) fn conference(
        &mut self,
        on: NaiveDate,
        kind: ConferenceKind,
        outcome: ConferenceOutcome,
        category: Option<PlanCategory>,
    ) -> &mut Journey {
        let mut held = testing::child_protection_conference_held()
            .id(self.id())
            .kind(kind)
            .chair(worker())
            .outcome(outcome);
        if kind == ConferenceKind::Review {
            held = held.plan(self.plan);
        }
        if let Some(c) = category {
            held = held.category(c);
        }
        self.push(on, held)
    }

    pub(crate) fn close(&mut self, on: NaiveDate, reason: Option<ClosureReason>) -> &mut Journey {
        let mut closed = testing::case_closed()
            .reason("work finished")
            .closed_by(worker());
        if let Some(r) = reason {
            closed = closed.closure_reason(r);
        }
        self.push(on, closed)
    }

    /// Corrects the latest event by retracting it.
    pub(crate) fn retract_last(&mut self, on: NaiveDate) -> &mut Journey {
        let retraction = testing::record_corrected()
            .corrects(self.last_event())
            .reason("entered on the wrong child")
            .retract();
        self.push(on, retraction)
    }
}
