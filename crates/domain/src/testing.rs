//! Test data from typed builders, so a test reads as the practice it describes rather than as
//! a wall of JSON: `testing::referral_made().consent_given(k).concern("bruising")`.
//!
//! Every record type `x` has a builder `testing::x()` with defaults that make a valid shape (a
//! fresh id, a practitioner, a worry, a level) and setters named in the record's own words.
//! `.build()` gives the [`RecordData`], `.data()` the record's own struct, and `.json()` the
//! `data` object a client posts, through the same serde derives the server parses with, so a
//! black-box test never spells a field name by hand. [`posted`] wraps a record in its
//! envelope (`type`, `occurred_at`, `recorded_by`, `data`).
//!
//! Defaults pass parsing, not necessarily the rules: whether a referral's consent was given or
//! a plan exists depends on the child's history, which the test builds; so a test sets the ids
//! that link its records.
//!
//! Each builder spells its record's struct in full, so a field added to a record type is added
//! to its default here too (the compiler points at the place).
//!
//! Compiled for this crate's tests and, with the `testing` feature, for other crates' tests.
//! It is not for a client's data: a bad literal here panics, naming the invariant, because it
//! is a bug in the test that wrote it.

// A panic is the right answer to a test's own bad literal (see the module's doc); clippy's
// test exemption does not reach code compiled for another crate's tests through the feature.
#![allow(clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::codes::{AssessmentFactor, PrimaryNeed, ReferralSource};
use crate::envelope::RecordInput;
use crate::level::{Level, StatutoryBasis, Tier};
use crate::record::*;
use crate::registration::ChildDetailsChanges;
use crate::shapes::{ChildVoice, FamilyMember, Party, Person, Text};

// --- small shapes -------------------------------------------------------------------------

/// Free text from a test's literal.
pub fn text(s: &str) -> Text {
    Text::new(s).expect("test text is not blank and has no control characters")
}

fn texts(items: &[&str]) -> Vec<Text> {
    items.iter().map(|s| text(s)).collect()
}

fn non_empty<T>(items: Vec<T>) -> NonEmpty<T> {
    NonEmpty::try_from(items).expect("a test's list that must not be empty has an entry")
}

/// A practitioner of `agency` (`school:norwich-high`, `police:norfolk`).
pub fn person(agency: &str) -> Person {
    Person {
        name: text("A Practitioner"),
        role: text("practitioner"),
        agency: text(agency),
    }
}

/// The practitioner the builders default to: a school's.
pub fn practitioner() -> Person {
    person("school:norwich-high")
}

/// A family member by relationship (`mother`, `father`, `child`).
pub fn family(relationship: &str) -> FamilyMember {
    FamilyMember {
        name: None,
        relationship: text(relationship),
    }
}

pub fn mother() -> FamilyMember {
    family("mother")
}

/// A level with no statutory basis: `tier(2)`.
pub fn tier(n: u8) -> Level {
    level(n, StatutoryBasis::None)
}

/// A level: `level(4, StatutoryBasis::Section47)`.
pub fn level(n: u8, basis: StatutoryBasis) -> Level {
    Level::new(Tier::new(n).expect("a test's tier is 1 to 4"), basis)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a test's date is a real date")
}

// --- what every builder gives -------------------------------------------------------------

/// What a record builder gives: the typed record, and its JSON as a client posts it.
pub trait Build: Sized {
    fn build(self) -> RecordData;

    /// The `data` object as posted and as stored.
    fn json(self) -> Value {
        self.build().to_json()
    }
}

impl Build for RecordData {
    fn build(self) -> RecordData {
        self
    }
}

/// A builder per record struct: a newtype whose setters change the struct.
macro_rules! builder {
    ($(#[$doc:meta])* $builder:ident($data:ident) => $variant:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        #[must_use]
        pub struct $builder($data);

        impl $builder {
            /// The record's own struct.
            pub fn data(self) -> $data {
                self.0
            }
        }

        impl Build for $builder {
            fn build(self) -> RecordData {
                RecordData::$variant(self.0)
            }
        }
    };
}

// --- registration ------------------------------------------------------------------------

builder!(ChildDetailsUpdatedBuilder(ChildDetailsUpdated) => ChildDetailsUpdated);

/// A move to Thetford.
pub fn child_details_updated() -> ChildDetailsUpdatedBuilder {
    ChildDetailsUpdatedBuilder(ChildDetailsUpdated {
        changes: ChildDetailsChanges {
            locality: Some(text("Thetford")),
            ..ChildDetailsChanges::default()
        },
        reason: text("moved house"),
    })
}

impl ChildDetailsUpdatedBuilder {
    pub fn changes(mut self, changes: ChildDetailsChanges) -> Self {
        self.0.changes = changes;
        self
    }
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
}

// --- conversations and assessment --------------------------------------------------------

builder!(ConversationRecordedBuilder(ConversationRecorded) => ConversationRecorded);

/// A conversation with the child, who is hungry at school.
pub fn conversation_recorded() -> ConversationRecordedBuilder {
    ConversationRecordedBuilder(ConversationRecorded {
        conversation_id: Uuid::new_v4(),
        kind: ConversationKind::WithChild,
        participants: non_empty(vec![Party::FamilyMember(family("child"))]),
        worries: Some(texts(&["hungry"])),
        working_well: None,
        needs_to_happen: None,
        scaling: None,
        facts: None,
        opinions: None,
        child_voice: None,
        decisions: None,
        actions: None,
        advice: None,
        about_referral_id: None,
    })
}

impl ConversationRecordedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.conversation_id = id;
        self
    }
    pub fn kind(mut self, kind: ConversationKind) -> Self {
        self.0.kind = kind;
        self
    }
    pub fn participants(mut self, participants: Vec<Party>) -> Self {
        self.0.participants = non_empty(participants);
        self
    }
    pub fn worries(mut self, worries: &[&str]) -> Self {
        self.0.worries = Some(texts(worries));
        self
    }
    /// No worries recorded (the default has one).
    pub fn no_worries(mut self) -> Self {
        self.0.worries = None;
        self
    }
    pub fn facts(mut self, facts: &[&str]) -> Self {
        self.0.facts = Some(texts(facts));
        self
    }
    pub fn opinions(mut self, opinions: &[&str]) -> Self {
        self.0.opinions = Some(texts(opinions));
        self
    }
    pub fn advice(mut self, advised: &str, rationale: &str) -> Self {
        self.0.advice = Some(Advice {
            advised: text(advised),
            rationale: text(rationale),
        });
        self
    }
    pub fn about_referral(mut self, referral_id: Uuid) -> Self {
        self.0.about_referral_id = Some(referral_id);
        self
    }
    pub fn child_voice(mut self, voice: ChildVoice) -> Self {
        self.0.child_voice = Some(voice);
        self
    }
}

builder!(NeedsAssessedBuilder(NeedsAssessed) => NeedsAssessed);

/// A single assessment deciding tier 2.
pub fn needs_assessed() -> NeedsAssessedBuilder {
    NeedsAssessedBuilder(NeedsAssessed {
        assessment_id: Uuid::new_v4(),
        assessment: AssessmentKind::SingleAssessment,
        indicators: None,
        section_47_indicators: None,
        strengths: None,
        child_voice: None,
        decided_level: tier(2),
        rationale: text("what the assessment found"),
        started_on: None,
        child_seen: None,
        factors: None,
        suggested: None,
    })
}

impl NeedsAssessedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.assessment_id = id;
        self
    }
    pub fn kind(mut self, kind: AssessmentKind) -> Self {
        self.0.assessment = kind;
        self
    }
    /// The framework's descriptor codes, without notes.
    pub fn indicators(mut self, codes: &[&str]) -> Self {
        self.0.indicators = Some(
            codes
                .iter()
                .map(|c| IndicatorRef {
                    code: (*c).to_owned(),
                    note: None,
                })
                .collect(),
        );
        self
    }
    pub fn section_47_indicators(mut self, codes: &[&str]) -> Self {
        self.0.section_47_indicators = Some(codes.iter().map(|c| (*c).to_owned()).collect());
        self
    }
    pub fn decided(mut self, level: Level) -> Self {
        self.0.decided_level = level;
        self
    }
    pub fn rationale(mut self, rationale: &str) -> Self {
        self.0.rationale = text(rationale);
        self
    }
    pub fn started_on(mut self, day: NaiveDate) -> Self {
        self.0.started_on = Some(day);
        self
    }
    pub fn child_seen(mut self, seen: bool) -> Self {
        self.0.child_seen = Some(seen);
        self
    }
    pub fn child_voice(mut self, voice: ChildVoice) -> Self {
        self.0.child_voice = Some(voice);
        self
    }
    /// Census assessment factor codes (`1A`, `21`).
    pub fn factors(mut self, codes: &[&str]) -> Self {
        self.0.factors = Some(
            codes
                .iter()
                .map(|c| AssessmentFactor::new(c).expect("a census assessment factor code"))
                .collect(),
        );
        self
    }
}

// --- consent and information sharing -----------------------------------------------------

builder!(ConsentSoughtBuilder(ConsentSought) => ConsentSought);

/// Consent to a referral, sought from the mother.
pub fn consent_sought() -> ConsentSoughtBuilder {
    ConsentSoughtBuilder(ConsentSought {
        consent_id: Uuid::new_v4(),
        purpose: ConsentPurpose::Referral,
        sought_from: mother(),
        explained: text("who sees what and why"),
    })
}

impl ConsentSoughtBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.consent_id = id;
        self
    }
    pub fn purpose(mut self, purpose: ConsentPurpose) -> Self {
        self.0.purpose = purpose;
        self
    }
    pub fn from(mut self, member: FamilyMember) -> Self {
        self.0.sought_from = member;
        self
    }
    pub fn explained(mut self, explained: &str) -> Self {
        self.0.explained = text(explained);
        self
    }
}

builder!(ConsentGivenBuilder(ConsentGiven) => ConsentGiven);

/// Consent given by the mother.
pub fn consent_given() -> ConsentGivenBuilder {
    ConsentGivenBuilder(ConsentGiven {
        consent_id: Uuid::new_v4(),
        given_by: mother(),
        scope: None,
        expires_on: None,
    })
}

impl ConsentGivenBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.consent_id = id;
        self
    }
    pub fn by(mut self, member: FamilyMember) -> Self {
        self.0.given_by = member;
        self
    }
    pub fn expires_on(mut self, day: NaiveDate) -> Self {
        self.0.expires_on = Some(day);
        self
    }
}

builder!(ConsentRefusedBuilder(ConsentRefused) => ConsentRefused);

/// Consent refused by the mother.
pub fn consent_refused() -> ConsentRefusedBuilder {
    ConsentRefusedBuilder(ConsentRefused {
        consent_id: Uuid::new_v4(),
        refused_by: mother(),
        reasons_given: None,
    })
}

impl ConsentRefusedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.consent_id = id;
        self
    }
    pub fn by(mut self, member: FamilyMember) -> Self {
        self.0.refused_by = member;
        self
    }
    pub fn reasons_given(mut self, reasons: &str) -> Self {
        self.0.reasons_given = Some(text(reasons));
        self
    }
}

builder!(ConsentWithdrawnBuilder(ConsentWithdrawn) => ConsentWithdrawn);

/// Consent withdrawn by the mother.
pub fn consent_withdrawn() -> ConsentWithdrawnBuilder {
    ConsentWithdrawnBuilder(ConsentWithdrawn {
        consent_id: Uuid::new_v4(),
        withdrawn_by: mother(),
        note: None,
    })
}

impl ConsentWithdrawnBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.consent_id = id;
        self
    }
    pub fn by(mut self, member: FamilyMember) -> Self {
        self.0.withdrawn_by = member;
        self
    }
}

builder!(ConsentDispensedWithBuilder(ConsentDispensedWith) => ConsentDispensedWith);

/// Consent to a referral dispensed with for the risk to the child, approved by a manager.
pub fn consent_dispensed_with() -> ConsentDispensedWithBuilder {
    ConsentDispensedWithBuilder(ConsentDispensedWith {
        consent_id: Uuid::new_v4(),
        purpose: ConsentPurpose::Referral,
        grounds: non_empty(vec![DispensationGround::RiskToChild]),
        reasons: text("asking would put the child at risk"),
        approved_by: Some(practitioner()),
        approval_not_possible_reason: None,
    })
}

impl ConsentDispensedWithBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.consent_id = id;
        self
    }
    pub fn purpose(mut self, purpose: ConsentPurpose) -> Self {
        self.0.purpose = purpose;
        self
    }
    pub fn grounds(mut self, grounds: Vec<DispensationGround>) -> Self {
        self.0.grounds = non_empty(grounds);
        self
    }
    pub fn reasons(mut self, reasons: &str) -> Self {
        self.0.reasons = text(reasons);
        self
    }
    pub fn approved_by(mut self, manager: Person) -> Self {
        self.0.approved_by = Some(manager);
        self
    }
    /// No manager could approve it, and why (instead of an approval).
    pub fn approval_not_possible(mut self, reason: &str) -> Self {
        self.0.approved_by = None;
        self.0.approval_not_possible_reason = Some(text(reason));
        self
    }
    /// Neither approved nor saying why not.
    pub fn unapproved(mut self) -> Self {
        self.0.approved_by = None;
        self.0.approval_not_possible_reason = None;
        self
    }
}

builder!(InformationSharedBuilder(InformationShared) => InformationShared);

/// The referral shared with the police, without consent because of the risk to the child.
pub fn information_shared() -> InformationSharedBuilder {
    InformationSharedBuilder(InformationShared {
        purpose: text("referral"),
        shared_with: non_empty(texts(&["police:norfolk"])),
        what: text("the referral"),
        consent_id: None,
        without_consent_reason: Some(text("risk to the child")),
    })
}

impl InformationSharedBuilder {
    pub fn purpose(mut self, purpose: &str) -> Self {
        self.0.purpose = text(purpose);
        self
    }
    pub fn shared_with(mut self, agencies: &[&str]) -> Self {
        self.0.shared_with = non_empty(texts(agencies));
        self
    }
    pub fn what(mut self, what: &str) -> Self {
        self.0.what = text(what);
        self
    }
    /// Shared with this consent (and so no reason for sharing without).
    pub fn consent(mut self, consent_id: Uuid) -> Self {
        self.0.consent_id = Some(consent_id);
        self.0.without_consent_reason = None;
        self
    }
    pub fn without_consent_because(mut self, reason: &str) -> Self {
        self.0.without_consent_reason = Some(text(reason));
        self
    }
    /// Neither a consent nor a reason for sharing without one.
    pub fn nothing_said_of_consent(mut self) -> Self {
        self.0.consent_id = None;
        self.0.without_consent_reason = None;
        self
    }
}

builder!(InformationWithheldBuilder(InformationWithheld) => InformationWithheld);

/// A police enquiry withheld from the family.
pub fn information_withheld() -> InformationWithheldBuilder {
    InformationWithheldBuilder(InformationWithheld {
        what: text("police enquiry"),
        withheld_from: text("family"),
        reason: text("criminal investigation"),
        requested_by: None,
        review_by: None,
    })
}

impl InformationWithheldBuilder {
    pub fn what(mut self, what: &str) -> Self {
        self.0.what = text(what);
        self
    }
    pub fn withheld_from(mut self, from: &str) -> Self {
        self.0.withheld_from = text(from);
        self
    }
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
}

// --- referrals and the front door ----------------------------------------------------------

builder!(ReferralMadeBuilder(ReferralMade) => ReferralMade);

/// A referral to the front door about bruising, the family aware, consent given (under a fresh
/// consent id: set the one the child's history gave with [`ReferralMadeBuilder::consent_given`]).
pub fn referral_made() -> ReferralMadeBuilder {
    ReferralMadeBuilder(ReferralMade {
        referral_id: Uuid::new_v4(),
        to: ReferralTo::FrontDoor,
        concerns: non_empty(texts(&["bruising"])),
        immediate_risk: false,
        child_location: None,
        family_aware: true,
        consent: ReferralConsent::Given {
            consent_id: Uuid::new_v4(),
        },
        source: None,
    })
}

impl ReferralMadeBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.referral_id = id;
        self
    }
    pub fn to(mut self, to: ReferralTo) -> Self {
        self.0.to = to;
        self
    }
    /// The one concern (replacing the default).
    pub fn concern(self, concern: &str) -> Self {
        self.concerns(&[concern])
    }
    pub fn concerns(mut self, concerns: &[&str]) -> Self {
        self.0.concerns = non_empty(texts(concerns));
        self
    }
    pub fn immediate_risk(mut self, risk: bool) -> Self {
        self.0.immediate_risk = risk;
        self
    }
    pub fn family_aware(mut self, aware: bool) -> Self {
        self.0.family_aware = aware;
        self
    }
    pub fn child_location(mut self, location: &str) -> Self {
        self.0.child_location = Some(text(location));
        self
    }
    /// A census referral source code (`1A`, `3E`).
    pub fn source(mut self, code: &str) -> Self {
        self.0.source = Some(ReferralSource::new(code).expect("a census referral source code"));
        self
    }
    pub fn consent_given(mut self, consent_id: Uuid) -> Self {
        self.0.consent = ReferralConsent::Given { consent_id };
        self
    }
    pub fn consent_dispensed(mut self, dispensed_consent_id: Uuid) -> Self {
        self.0.consent = ReferralConsent::Dispensed {
            dispensed_consent_id,
        };
        self
    }
    /// Made although consent was refused; say why and whether the front door was told with
    /// [`Self::proceeding_because`] and [`Self::front_door_told_consent_withheld`].
    pub fn consent_refused(mut self, refused_consent_id: Uuid) -> Self {
        self.0.consent = ReferralConsent::RefusedProceeding {
            refused_consent_id,
            proceeding_reason: None,
            front_door_told_consent_withheld: None,
        };
        self
    }
    /// Why a referral goes ahead without consent (after [`Self::consent_refused`]).
    pub fn proceeding_because(mut self, reason: &str) -> Self {
        if let ReferralConsent::RefusedProceeding {
            proceeding_reason, ..
        } = &mut self.0.consent
        {
            *proceeding_reason = Some(text(reason));
        }
        self
    }
    /// The front door was told consent is withheld (after [`Self::consent_refused`]).
    pub fn front_door_told_consent_withheld(mut self) -> Self {
        if let ReferralConsent::RefusedProceeding {
            front_door_told_consent_withheld,
            ..
        } = &mut self.0.consent
        {
            *front_door_told_consent_withheld = Some(true);
        }
        self
    }
}

builder!(ReferralDecidedBuilder(ReferralDecided) => ReferralDecided);

/// Early help at tier 2, for a fresh referral id: set the referral's with
/// [`ReferralDecidedBuilder::referral`].
pub fn referral_decided() -> ReferralDecidedBuilder {
    ReferralDecidedBuilder(ReferralDecided {
        referral_id: Uuid::new_v4(),
        decision: ReferralDecision::EarlyHelp,
        decided_level: tier(2),
        rationale: text("early help can meet the need"),
        primary_need: None,
        referrer_informed: None,
    })
}

impl ReferralDecidedBuilder {
    pub fn referral(mut self, referral_id: Uuid) -> Self {
        self.0.referral_id = referral_id;
        self
    }
    pub fn decision(mut self, decision: ReferralDecision) -> Self {
        self.0.decision = decision;
        self
    }
    pub fn decided(mut self, level: Level) -> Self {
        self.0.decided_level = level;
        self
    }
    pub fn rationale(mut self, rationale: &str) -> Self {
        self.0.rationale = text(rationale);
        self
    }
    /// A census primary need code (`N1` to `N9`).
    pub fn primary_need(mut self, code: &str) -> Self {
        self.0.primary_need = Some(PrimaryNeed::new(code).expect("a census primary need code"));
        self
    }
    pub fn referrer_informed(mut self, how: &str) -> Self {
        self.0.referrer_informed = Some(How { how: text(how) });
        self
    }
}

builder!(ReferrerInformedBuilder(ReferrerInformed) => ReferrerInformed);

/// The referrer told by phone.
pub fn referrer_informed() -> ReferrerInformedBuilder {
    ReferrerInformedBuilder(ReferrerInformed {
        referral_id: Uuid::new_v4(),
        how: text("phone"),
    })
}

impl ReferrerInformedBuilder {
    pub fn referral(mut self, referral_id: Uuid) -> Self {
        self.0.referral_id = referral_id;
        self
    }
    pub fn how(mut self, how: &str) -> Self {
        self.0.how = text(how);
        self
    }
}

builder!(FamilyInformedBuilder(FamilyInformed) => FamilyInformed);

/// The family told by letter.
pub fn family_informed() -> FamilyInformedBuilder {
    FamilyInformedBuilder(FamilyInformed {
        about_event_id: Uuid::new_v4(),
        how: text("letter"),
        by: practitioner(),
    })
}

impl FamilyInformedBuilder {
    pub fn about(mut self, event_id: Uuid) -> Self {
        self.0.about_event_id = event_id;
        self
    }
    pub fn how(mut self, how: &str) -> Self {
        self.0.how = text(how);
        self
    }
    pub fn by(mut self, person: Person) -> Self {
        self.0.by = person;
        self
    }
}

// --- tiers, lead workers, services, plans ------------------------------------------------

/// `stepped_up` or `stepped_down`: the two share their fields.
#[derive(Debug, Clone)]
#[must_use]
pub struct StepBuilder {
    up: bool,
    step: Step,
}

impl Build for StepBuilder {
    fn build(self) -> RecordData {
        if self.up {
            RecordData::SteppedUp(self.step)
        } else {
            RecordData::SteppedDown(self.step)
        }
    }
}

fn step(up: bool, from: Level, to: Level, reason: StepReasonKind) -> StepBuilder {
    StepBuilder {
        up,
        step: Step {
            from,
            to,
            reasons: non_empty(vec![StepReason {
                kind: reason,
                detail: text("d"),
            }]),
            rationale: text("r"),
            decided_by: practitioner(),
            assessment_id: None,
            consent_id: None,
            continuing_services: None,
            family_informed: None,
        },
    }
}

/// From tier 1 to tier 2 on the indicators.
pub fn stepped_up() -> StepBuilder {
    step(true, tier(1), tier(2), StepReasonKind::Indicators)
}

/// From tier 2 to tier 1, the needs met.
pub fn stepped_down() -> StepBuilder {
    step(false, tier(2), tier(1), StepReasonKind::NeedsMet)
}

impl StepBuilder {
    pub fn data(self) -> Step {
        self.step
    }
    pub fn from(mut self, level: Level) -> Self {
        self.step.from = level;
        self
    }
    pub fn to(mut self, level: Level) -> Self {
        self.step.to = level;
        self
    }
    /// The one reason (replacing the default), with a short detail.
    pub fn reason(mut self, kind: StepReasonKind) -> Self {
        self.step.reasons = non_empty(vec![StepReason {
            kind,
            detail: text("d"),
        }]);
        self
    }
    /// The one reason (replacing the default), with its detail.
    pub fn reason_because(mut self, kind: StepReasonKind, detail: &str) -> Self {
        self.step.reasons = non_empty(vec![StepReason {
            kind,
            detail: text(detail),
        }]);
        self
    }
    pub fn rationale(mut self, rationale: &str) -> Self {
        self.step.rationale = text(rationale);
        self
    }
    pub fn decided_by(mut self, person: Person) -> Self {
        self.step.decided_by = person;
        self
    }
    pub fn assessment(mut self, assessment_id: Uuid) -> Self {
        self.step.assessment_id = Some(assessment_id);
        self
    }
    pub fn consent(mut self, consent_id: Uuid) -> Self {
        self.step.consent_id = Some(consent_id);
        self
    }
    pub fn continuing_services(mut self, service_ids: Vec<Uuid>) -> Self {
        self.step.continuing_services = Some(service_ids);
        self
    }
    pub fn family_informed(mut self, told: bool) -> Self {
        self.step.family_informed = Some(told);
        self
    }
}

builder!(LeadWorkerAssignedBuilder(LeadWorkerAssigned) => LeadWorkerAssigned);

/// The school's practitioner as lead worker.
pub fn lead_worker_assigned() -> LeadWorkerAssignedBuilder {
    LeadWorkerAssignedBuilder(LeadWorkerAssigned {
        lead_worker: practitioner(),
        team: None,
        chosen_with_family: None,
        plan_id: None,
    })
}

impl LeadWorkerAssignedBuilder {
    pub fn lead_worker(mut self, person: Person) -> Self {
        self.0.lead_worker = person;
        self
    }
    pub fn plan(mut self, plan_id: Uuid) -> Self {
        self.0.plan_id = Some(plan_id);
        self
    }
    /// The team the lead worker is allocated in (Annex A's Allocated Team).
    pub fn team(mut self, team: &str) -> Self {
        self.0.team = Some(text(team));
        self
    }
    pub fn chosen_with_family(mut self, chosen: bool) -> Self {
        self.0.chosen_with_family = Some(chosen);
        self
    }
}

builder!(ServiceStartedBuilder(ServiceStarted) => ServiceStarted);

/// A parenting group from the council's early help.
pub fn service_started() -> ServiceStartedBuilder {
    ServiceStartedBuilder(ServiceStarted {
        service_id: Uuid::new_v4(),
        service: text("parenting group"),
        provider: text("council:early-help"),
        family_informed: None,
    })
}

impl ServiceStartedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.service_id = id;
        self
    }
    pub fn service(mut self, service: &str) -> Self {
        self.0.service = text(service);
        self
    }
    pub fn provider(mut self, provider: &str) -> Self {
        self.0.provider = text(provider);
        self
    }
    pub fn family_informed(mut self, told: bool) -> Self {
        self.0.family_informed = Some(told);
        self
    }
}

builder!(ServiceEndedBuilder(ServiceEnded) => ServiceEnded);

/// A service completed.
pub fn service_ended() -> ServiceEndedBuilder {
    ServiceEndedBuilder(ServiceEnded {
        service_id: Uuid::new_v4(),
        reason: text("completed"),
        agreed_in_plan_id: None,
        family_informed: None,
    })
}

impl ServiceEndedBuilder {
    pub fn service(mut self, service_id: Uuid) -> Self {
        self.0.service_id = service_id;
        self
    }
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
    pub fn agreed_in_plan(mut self, plan_id: Uuid) -> Self {
        self.0.agreed_in_plan_id = Some(plan_id);
        self
    }
    pub fn family_informed(mut self, told: bool) -> Self {
        self.0.family_informed = Some(told);
        self
    }
}

builder!(PlanStartedBuilder(PlanStarted) => PlanStarted);

/// An early help plan led by the school, reviewed by 20 December 2026.
pub fn plan_started() -> PlanStartedBuilder {
    PlanStartedBuilder(PlanStarted {
        plan_id: Uuid::new_v4(),
        kind: PlanKind::EarlyHelpPlan,
        lead: practitioner(),
        review_by: day(2026, 12, 20),
        actions: None,
        category: None,
    })
}

impl PlanStartedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.plan_id = id;
        self
    }
    pub fn kind(mut self, kind: PlanKind) -> Self {
        self.0.kind = kind;
        self
    }
    pub fn lead(mut self, person: Person) -> Self {
        self.0.lead = person;
        self
    }
    pub fn review_by(mut self, day: NaiveDate) -> Self {
        self.0.review_by = day;
        self
    }
    pub fn category(mut self, category: PlanCategory) -> Self {
        self.0.category = Some(category);
        self
    }
}

builder!(PlanReviewedBuilder(PlanReviewed) => PlanReviewed);

/// A review finding things better, next by 20 January 2027.
pub fn plan_reviewed() -> PlanReviewedBuilder {
    PlanReviewedBuilder(PlanReviewed {
        plan_id: Uuid::new_v4(),
        progress: text("better"),
        scaling: None,
        next_review_by: day(2027, 1, 20),
        actions: None,
    })
}

impl PlanReviewedBuilder {
    pub fn plan(mut self, plan_id: Uuid) -> Self {
        self.0.plan_id = plan_id;
        self
    }
    pub fn progress(mut self, progress: &str) -> Self {
        self.0.progress = text(progress);
        self
    }
    pub fn next_review_by(mut self, day: NaiveDate) -> Self {
        self.0.next_review_by = day;
        self
    }
}

builder!(PlanEndedBuilder(PlanEnded) => PlanEnded);

/// A plan ended with the needs met.
pub fn plan_ended() -> PlanEndedBuilder {
    PlanEndedBuilder(PlanEnded {
        plan_id: Uuid::new_v4(),
        reason: PlanEndReason::NeedsMet,
        note: None,
    })
}

impl PlanEndedBuilder {
    pub fn plan(mut self, plan_id: Uuid) -> Self {
        self.0.plan_id = plan_id;
        self
    }
    pub fn reason(mut self, reason: PlanEndReason) -> Self {
        self.0.reason = reason;
        self
    }
}

// --- child protection ----------------------------------------------------------------------

builder!(StrategyDiscussionHeldBuilder(StrategyDiscussionHeld) => StrategyDiscussionHeld);

/// The police and the school decide on a section 47 enquiry.
pub fn strategy_discussion_held() -> StrategyDiscussionHeldBuilder {
    StrategyDiscussionHeldBuilder(StrategyDiscussionHeld {
        strategy_discussion_id: Uuid::new_v4(),
        participants: non_empty(vec![person("police:norfolk"), practitioner()]),
        decision: StrategyDecision::Section47Enquiry,
        rationale: text("r"),
    })
}

impl StrategyDiscussionHeldBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.strategy_discussion_id = id;
        self
    }
    pub fn participants(mut self, people: Vec<Person>) -> Self {
        self.0.participants = non_empty(people);
        self
    }
    pub fn decision(mut self, decision: StrategyDecision) -> Self {
        self.0.decision = decision;
        self
    }
    pub fn rationale(mut self, rationale: &str) -> Self {
        self.0.rationale = text(rationale);
        self
    }
}

builder!(Section47EnquiryStartedBuilder(Section47EnquiryStarted) => Section47EnquiryStarted);

/// An enquiry led by the school's practitioner.
pub fn section_47_enquiry_started() -> Section47EnquiryStartedBuilder {
    Section47EnquiryStartedBuilder(Section47EnquiryStarted {
        enquiry_id: Uuid::new_v4(),
        strategy_discussion_id: Uuid::new_v4(),
        lead: practitioner(),
    })
}

impl Section47EnquiryStartedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.enquiry_id = id;
        self
    }
    pub fn strategy_discussion(mut self, id: Uuid) -> Self {
        self.0.strategy_discussion_id = id;
        self
    }
    pub fn lead(mut self, person: Person) -> Self {
        self.0.lead = person;
        self
    }
}

builder!(Section47EnquiryConcludedBuilder(Section47EnquiryConcluded) => Section47EnquiryConcluded);

/// An enquiry concluded, the concerns not substantiated.
pub fn section_47_enquiry_concluded() -> Section47EnquiryConcludedBuilder {
    Section47EnquiryConcludedBuilder(Section47EnquiryConcluded {
        enquiry_id: Uuid::new_v4(),
        outcome: EnquiryOutcome::NotSubstantiated,
        rationale: text("r"),
    })
}

impl Section47EnquiryConcludedBuilder {
    pub fn enquiry(mut self, enquiry_id: Uuid) -> Self {
        self.0.enquiry_id = enquiry_id;
        self
    }
    pub fn outcome(mut self, outcome: EnquiryOutcome) -> Self {
        self.0.outcome = outcome;
        self
    }
    pub fn rationale(mut self, rationale: &str) -> Self {
        self.0.rationale = text(rationale);
        self
    }
}

builder!(ChildProtectionConferenceHeldBuilder(ChildProtectionConferenceHeld) => ChildProtectionConferenceHeld);

/// An initial conference, the police attending, deciding no plan.
pub fn child_protection_conference_held() -> ChildProtectionConferenceHeldBuilder {
    ChildProtectionConferenceHeldBuilder(ChildProtectionConferenceHeld {
        conference_id: Uuid::new_v4(),
        kind: ConferenceKind::Initial,
        chair: practitioner(),
        attendees: non_empty(texts(&["police:norfolk"])),
        outcome: ConferenceOutcome::NoPlan,
        plan_id: None,
        category: None,
        child_voice: None,
    })
}

impl ChildProtectionConferenceHeldBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.conference_id = id;
        self
    }
    pub fn kind(mut self, kind: ConferenceKind) -> Self {
        self.0.kind = kind;
        self
    }
    pub fn chair(mut self, person: Person) -> Self {
        self.0.chair = person;
        self
    }
    pub fn attendees(mut self, agencies: &[&str]) -> Self {
        self.0.attendees = non_empty(texts(agencies));
        self
    }
    pub fn outcome(mut self, outcome: ConferenceOutcome) -> Self {
        self.0.outcome = outcome;
        self
    }
    pub fn plan(mut self, plan_id: Uuid) -> Self {
        self.0.plan_id = Some(plan_id);
        self
    }
    pub fn category(mut self, category: PlanCategory) -> Self {
        self.0.category = Some(category);
        self
    }
}

// --- professional disagreement ------------------------------------------------------------

builder!(DisagreementRaisedBuilder(DisagreementRaised) => DisagreementRaised);

/// The school disagrees with a record (a fresh event id: set it with
/// [`DisagreementRaisedBuilder::about`]).
pub fn disagreement_raised() -> DisagreementRaisedBuilder {
    DisagreementRaisedBuilder(DisagreementRaised {
        disagreement_id: Uuid::new_v4(),
        about_event_id: Uuid::new_v4(),
        raised_by: practitioner(),
        position: text("p"),
        desired_outcome: text("o"),
    })
}

impl DisagreementRaisedBuilder {
    pub fn id(mut self, id: Uuid) -> Self {
        self.0.disagreement_id = id;
        self
    }
    pub fn about(mut self, event_id: Uuid) -> Self {
        self.0.about_event_id = event_id;
        self
    }
    pub fn raised_by(mut self, person: Person) -> Self {
        self.0.raised_by = person;
        self
    }
    pub fn position(mut self, position: &str) -> Self {
        self.0.position = text(position);
        self
    }
    pub fn desired_outcome(mut self, outcome: &str) -> Self {
        self.0.desired_outcome = text(outcome);
        self
    }
}

builder!(DisagreementEscalatedBuilder(DisagreementEscalated) => DisagreementEscalated);

/// Escalated to stage 2 by the school, stating its position.
pub fn disagreement_escalated() -> DisagreementEscalatedBuilder {
    DisagreementEscalatedBuilder(DisagreementEscalated {
        disagreement_id: Uuid::new_v4(),
        to_stage: 2,
        escalated_by: practitioner(),
        positions: non_empty(vec![Position {
            party: practitioner(),
            position: text("p"),
        }]),
        reason: text("r"),
    })
}

impl DisagreementEscalatedBuilder {
    pub fn disagreement(mut self, disagreement_id: Uuid) -> Self {
        self.0.disagreement_id = disagreement_id;
        self
    }
    pub fn to_stage(mut self, stage: u8) -> Self {
        self.0.to_stage = stage;
        self
    }
    pub fn escalated_by(mut self, person: Person) -> Self {
        self.0.escalated_by = person;
        self
    }
    pub fn positions(mut self, positions: Vec<Position>) -> Self {
        self.0.positions = non_empty(positions);
        self
    }
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
}

builder!(DisagreementResolvedBuilder(DisagreementResolved) => DisagreementResolved);

/// Resolved by the school, the decision upheld.
pub fn disagreement_resolved() -> DisagreementResolvedBuilder {
    DisagreementResolvedBuilder(DisagreementResolved {
        disagreement_id: Uuid::new_v4(),
        outcome: DisagreementOutcome::DecisionUpheld,
        resolution: text("r"),
        resolved_by: practitioner(),
        follow_up_event_id: None,
    })
}

impl DisagreementResolvedBuilder {
    pub fn disagreement(mut self, disagreement_id: Uuid) -> Self {
        self.0.disagreement_id = disagreement_id;
        self
    }
    pub fn outcome(mut self, outcome: DisagreementOutcome) -> Self {
        self.0.outcome = outcome;
        self
    }
    pub fn resolution(mut self, resolution: &str) -> Self {
        self.0.resolution = text(resolution);
        self
    }
    pub fn resolved_by(mut self, person: Person) -> Self {
        self.0.resolved_by = person;
        self
    }
    pub fn follow_up(mut self, event_id: Uuid) -> Self {
        self.0.follow_up_event_id = Some(event_id);
        self
    }
}

// --- corrections and case status -----------------------------------------------------------

builder!(RecordCorrectedBuilder(RecordCorrected) => RecordCorrected);

/// A correction of a fresh event id for a typo, neither retracting nor correcting yet: say
/// which with [`RecordCorrectedBuilder::retract`] or [`RecordCorrectedBuilder::corrected_to`].
pub fn record_corrected() -> RecordCorrectedBuilder {
    RecordCorrectedBuilder(RecordCorrected {
        corrects_event_id: Uuid::new_v4(),
        reason: text("typo"),
        corrected_data: None,
        retract: None,
    })
}

impl RecordCorrectedBuilder {
    pub fn corrects(mut self, event_id: Uuid) -> Self {
        self.0.corrects_event_id = event_id;
        self
    }
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
    pub fn retract(mut self) -> Self {
        self.0.retract = Some(true);
        self
    }
    /// The whole corrected data, as the corrected record's own type.
    pub fn corrected_to(mut self, data: impl Build) -> Self {
        self.0.corrected_data = Some(data.json());
        self
    }
    /// Corrected data as raw JSON, for a test about data that is not of the corrected
    /// record's type (it is parsed only once that type is known).
    pub fn corrected_json(mut self, data: Value) -> Self {
        self.0.corrected_data = Some(data);
        self
    }
}

builder!(CaseClosedBuilder(CaseClosed) => CaseClosed);

/// Closed by the school, the needs met.
pub fn case_closed() -> CaseClosedBuilder {
    CaseClosedBuilder(CaseClosed {
        reason: text("needs met"),
        closed_by: practitioner(),
        closure_reason: None,
    })
}

impl CaseClosedBuilder {
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
    pub fn closed_by(mut self, person: Person) -> Self {
        self.0.closed_by = person;
        self
    }
    pub fn closure_reason(mut self, reason: ClosureReason) -> Self {
        self.0.closure_reason = Some(reason);
        self
    }
}

builder!(CaseReopenedBuilder(CaseReopened) => CaseReopened);

/// Reopened for new worries.
pub fn case_reopened() -> CaseReopenedBuilder {
    CaseReopenedBuilder(CaseReopened {
        reason: text("new worries"),
    })
}

impl CaseReopenedBuilder {
    pub fn reason(mut self, reason: &str) -> Self {
        self.0.reason = text(reason);
        self
    }
}

// --- the envelope --------------------------------------------------------------------------

/// A record in its envelope, as posted: when it happened and who recorded it.
#[derive(Debug, Clone)]
#[must_use]
pub struct Posted {
    occurred_at: DateTime<Utc>,
    recorded_by: Person,
    data: RecordData,
}

/// `data` posted by the school's practitioner at 10:00 on 20 November 2026.
pub fn posted(data: impl Build) -> Posted {
    Posted {
        occurred_at: Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .expect("a real instant"),
        recorded_by: practitioner(),
        data: data.build(),
    }
}

impl Posted {
    pub fn at(mut self, occurred_at: DateTime<Utc>) -> Self {
        self.occurred_at = occurred_at;
        self
    }
    pub fn by(mut self, person: Person) -> Self {
        self.recorded_by = person;
        self
    }
    /// The body a client posts: `{ "type", "occurred_at", "recorded_by", "data" }`.
    pub fn json(self) -> Value {
        let mut body = serde_json::Map::new();
        body.insert(
            "type".to_owned(),
            Value::from(self.data.record_type().as_str()),
        );
        body.insert(
            "occurred_at".to_owned(),
            Value::from(self.occurred_at.to_rfc3339()),
        );
        body.insert(
            "recorded_by".to_owned(),
            serde_json::to_value(&self.recorded_by).unwrap_or(Value::Null),
        );
        body.insert("data".to_owned(), self.data.to_json());
        Value::Object(body)
    }
    /// The record as the server takes it in: the body parsed as a client's post, so a
    /// builder can never hand a test something a client could not send.
    pub fn input(self) -> RecordInput {
        let record_type = self.data.record_type();
        RecordInput::parse(self.json())
            .unwrap_or_else(|e| panic!("a built {record_type} parses as a post: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every builder's default parses as its type, and parses back to the same value.
    #[test]
    fn every_default_is_a_valid_post_of_its_type() {
        let all: Vec<RecordData> = vec![
            child_details_updated().build(),
            conversation_recorded().build(),
            needs_assessed().build(),
            consent_sought().build(),
            consent_given().build(),
            consent_refused().build(),
            consent_withdrawn().build(),
            consent_dispensed_with().build(),
            information_shared().build(),
            information_withheld().build(),
            referral_made().build(),
            referral_decided().build(),
            referrer_informed().build(),
            family_informed().build(),
            stepped_up().build(),
            stepped_down().build(),
            lead_worker_assigned().build(),
            service_started().build(),
            service_ended().build(),
            plan_started().build(),
            plan_reviewed().build(),
            plan_ended().build(),
            strategy_discussion_held().build(),
            section_47_enquiry_started().build(),
            section_47_enquiry_concluded().build(),
            child_protection_conference_held().build(),
            disagreement_raised().build(),
            disagreement_escalated().build(),
            disagreement_resolved().build(),
            record_corrected().retract().build(),
            case_closed().build(),
            case_reopened().build(),
        ];
        let mut types: Vec<RecordType> = all.iter().map(RecordData::record_type).collect();
        types.sort();
        types.dedup();
        assert_eq!(types, RecordType::ALL, "one builder per record type");
        for data in all {
            let input = posted(data.clone()).input();
            assert_eq!(input.data, data);
        }
    }
}
