//! A child's record built from typed records, day by day, for the returns' tests: the domain's
//! own types, so a test reads as the journey it describes.

use chrono::{DateTime, NaiveDate, Utc};
use domain::child::{Child, ChildEvent, EventBody};
use domain::codes::{
    AssessmentFactor, Disability, Ethnicity, PrimaryNeed, ReferralSource, UpnUnknown,
};
use domain::level::Level;
use domain::record::*;
use domain::registration::{ChildDetails, ChildDetailsFields, Gender, Identifiers, Upn};
use domain::shapes::{Person, Text};
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

    fn push(&mut self, on: NaiveDate, r: RecordData) -> &mut Journey {
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
        self.push(
            on,
            RecordData::ReferralMade(ReferralMade {
                referral_id: self.referral,
                to: ReferralTo::FrontDoor,
                concerns: vec![t("bruising")].try_into().expect("one concern"),
                immediate_risk: false,
                child_location: None,
                family_aware: true,
                consent: ReferralConsent::Given { consent_id },
                source: Some(ReferralSource::new(source).expect("a census code")),
            }),
        )
    }

    pub(crate) fn decide(
        &mut self,
        on: NaiveDate,
        decision: ReferralDecision,
        need: &str,
    ) -> &mut Journey {
        let referral_id = self.referral;
        self.push(
            on,
            RecordData::ReferralDecided(ReferralDecided {
                referral_id,
                decision,
                decided_level: Level::UNIVERSAL,
                rationale: t("as the threshold guide says"),
                primary_need: Some(PrimaryNeed::new(need).expect("a census code")),
                referrer_informed: None,
            }),
        )
    }

    pub(crate) fn assess(
        &mut self,
        kind: AssessmentKind,
        started: NaiveDate,
        on: NaiveDate,
        factors: &[&str],
    ) -> &mut Journey {
        let assessment_id = self.id();
        self.push(
            on,
            RecordData::NeedsAssessed(NeedsAssessed {
                assessment_id,
                assessment: kind,
                indicators: None,
                section_47_indicators: None,
                strengths: None,
                child_voice: None,
                decided_level: Level::UNIVERSAL,
                rationale: t("what the assessment found"),
                started_on: Some(started),
                child_seen: Some(true),
                factors: Some(
                    factors
                        .iter()
                        .map(|f| AssessmentFactor::new(f).expect("a census code"))
                        .collect(),
                ),
                suggested: None,
            }),
        )
    }

    pub(crate) fn start_plan(
        &mut self,
        on: NaiveDate,
        kind: PlanKind,
        category: Option<PlanCategory>,
    ) -> &mut Journey {
        self.plan = self.id();
        let plan_id = self.plan;
        self.push(
            on,
            RecordData::PlanStarted(PlanStarted {
                plan_id,
                kind,
                lead: worker(),
                review_by: on + chrono::Days::new(90),
                actions: None,
                category,
            }),
        )
    }

    /// The social worker (`worker()`) made the child's lead worker, in `team`.
    pub(crate) fn assign_lead_worker(&mut self, on: NaiveDate, team: &str) -> &mut Journey {
        let plan_id = self.plan;
        self.push(
            on,
            RecordData::LeadWorkerAssigned(LeadWorkerAssigned {
                lead_worker: worker(),
                team: Some(t(team)),
                chosen_with_family: None,
                plan_id: Some(plan_id),
            }),
        )
    }

    pub(crate) fn end_plan(&mut self, on: NaiveDate) -> &mut Journey {
        let plan_id = self.plan;
        self.push(
            on,
            RecordData::PlanEnded(PlanEnded {
                plan_id,
                reason: PlanEndReason::NeedsMet,
                note: None,
            }),
        )
    }

    pub(crate) fn start_enquiry(&mut self, on: NaiveDate) -> &mut Journey {
        self.enquiry = self.id();
        let (enquiry_id, strategy_discussion_id) = (self.enquiry, self.id());
        self.push(
            on,
            RecordData::Section47EnquiryStarted(Section47EnquiryStarted {
                enquiry_id,
                strategy_discussion_id,
                lead: worker(),
            }),
        )
    }

    pub(crate) fn conclude_enquiry(
        &mut self,
        on: NaiveDate,
        outcome: EnquiryOutcome,
    ) -> &mut Journey {
        let enquiry_id = self.enquiry;
        self.push(
            on,
            RecordData::Section47EnquiryConcluded(Section47EnquiryConcluded {
                enquiry_id,
                outcome,
                rationale: t("what the enquiry found"),
            }),
        )
    }

    pub(crate) fn conference(
        &mut self,
        on: NaiveDate,
        kind: ConferenceKind,
        outcome: ConferenceOutcome,
        category: Option<PlanCategory>,
    ) -> &mut Journey {
        let conference_id = self.id();
        let plan_id = (kind == ConferenceKind::Review).then_some(self.plan);
        self.push(
            on,
            RecordData::ChildProtectionConferenceHeld(ChildProtectionConferenceHeld {
                conference_id,
                kind,
                chair: worker(),
                attendees: vec![t("police:norfolk")].try_into().expect("one agency"),
                outcome,
                plan_id,
                category,
                child_voice: None,
            }),
        )
    }

    pub(crate) fn close(&mut self, on: NaiveDate, reason: Option<ClosureReason>) -> &mut Journey {
        self.push(
            on,
            RecordData::CaseClosed(CaseClosed {
                reason: t("work finished"),
                closed_by: worker(),
                closure_reason: reason,
            }),
        )
    }

    /// Corrects the latest event by retracting it.
    pub(crate) fn retract_last(&mut self, on: NaiveDate) -> &mut Journey {
        let corrects_event_id = self.last_event();
        self.push(
            on,
            RecordData::RecordCorrected(RecordCorrected {
                corrects_event_id,
                reason: t("entered on the wrong child"),
                corrected_data: None,
                retract: Some(true),
            }),
        )
    }
}
