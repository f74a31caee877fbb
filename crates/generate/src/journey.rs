//! One child's year: the records practitioners would make, in order, from the first worry to
//! wherever the year ends (closed, stepped down, on a plan, or part way through).
//!
//! A journey is a small state machine over the paths the threshold guides describe: an
//! agency's own early help (tiers 1-2, no front door), a consultation with the front door, or a
//! referral that the front door decides; then early help, targeted support, a child in need
//! assessment and plan, or a strategy discussion, section 47 enquiry, conference and child
//! protection plan; step-ups and step-downs between them; closure and, for some, a return
//! within the year. Along the way it records what good and not-so-good practice leaves behind:
//! consent sought, given, refused (and referrals made anyway) or dispensed with; the child's
//! voice heard or missing; decisions on time or late; families and referrers told or not;
//! disagreements; corrections and retractions.
//!
//! Each record's data is the domain's record type (`ConversationRecorded`, `Step`, ...), built
//! after the random draws it needs, in the order the journey has always drawn them, so a seed
//! gives the same council record for record. A value that is not valid (blank text, a code not
//! on its list) travels with the record as an `Err` and stops the run as a
//! `GenerateError::Shape` naming the child and record type.
//!
//! The journey keeps just enough state of its own to choose valid next steps (the level, open
//! plans, services and enquiries, whether the case is closed). It does not check rules: every
//! record it writes is decided by `domain::child::Child` afterwards, and a refusal is a bug
//! here, reported by the caller, never skipped.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use domain::level::Level;
use domain::record::{
    self, Advice, AssessmentKind, CaseClosed, CaseReopened, ChildDetailsUpdated,
    ChildProtectionConferenceHeld, ClosureReason, ConferenceKind, ConferenceOutcome,
    ConsentDispensedWith, ConsentGiven, ConsentPurpose, ConsentRefused, ConsentScope,
    ConsentSought, ConsentWithdrawn, ConversationKind, ConversationRecorded, DisagreementEscalated,
    DisagreementOutcome, DisagreementRaised, DisagreementResolved, EnquiryOutcome, FamilyInformed,
    How, IndicatorRef, InformationShared, InformationWithheld, LeadWorkerAssigned, NeedsAssessed,
    NonEmpty, PlanEndReason, PlanEnded, PlanKind, PlanReviewed, PlanStarted, Position,
    RecordCorrected, ReferralDecided, ReferralDecision, ReferralMade, ReferralTo, ReferrerInformed,
    Section47EnquiryConcluded, Section47EnquiryStarted, ServiceEnded, ServiceStarted, Step,
    StepReason, StepReasonKind, StrategyDecision, StrategyDiscussionHeld,
};
use domain::registration::{ChildDetailsChanges, Identifiers};
use domain::shapes::{Action, ChildVoice, FamilyMember, Party, Scaling, Score};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::build::{posted, record_data, text, texts, wire};
use crate::identifiers::{mix, uuid};
use crate::identity::Identity;
use crate::people::{Council, Locality, Staff, family};
use crate::rates::{self, Entry, Need, ReferralConsent, chance, one, pick};
use crate::text::{self, Theme, line, lines, some_lines};
use crate::timing::{
    any_hour, days_earlier, days_later, decision_time, minutes_later, office_hours,
    office_minutes_later, working_days_later,
};

/// A record the journey wrote, before the domain decides it.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub event_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: Staff,
    pub kind: &'static str,
    /// The record's `data` as a client would post it, or why the generator could not build
    /// it (a bug here, reported by the caller as a `GenerateError::Shape`).
    pub data: Result<Value, String>,
}

/// Everything one child's journey wrote.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub child_id: Uuid,
    pub registration: Pending,
    pub records: Vec<Pending>,
}

/// `None`: the year ended part way through this step; the journey stops there, as open cases
/// do at the end of a reporting year.
type Flow = Option<()>;

/// The front door's decisions, in `rates::decision_weights`' order.
const DECISIONS: [ReferralDecision; 7] = [
    ReferralDecision::NoFurtherAction,
    ReferralDecision::AdviceAndSignposting,
    ReferralDecision::EarlyHelp,
    ReferralDecision::TargetedEarlyHelp,
    ReferralDecision::ChildInNeedAssessment,
    ReferralDecision::StrategyDiscussion,
    ReferralDecision::EmergencyProtection,
];

/// How deep re-referrals may nest in one journey: enough for a year, never unbounded.
const MAX_REFERRALS: u32 = 4;

struct Journey<'c> {
    c: &'c Council,
    rng: StdRng,
    end: DateTime<Utc>,
    /// When the last thing happened.
    t: DateTime<Utc>,
    who: Identity,
    loc: Locality,
    need: Need,
    theme: Theme,
    exploitation: bool,
    registration: Option<Pending>,
    records: Vec<Pending>,
    stopped: bool,
    level: Level,
    closed: bool,
    /// Whether the case since it last closed has had a section 47 enquiry or a CIN or CP
    /// plan: the census keeps RC8 and RC9 for cases with none of these.
    statutory_work: bool,
    open_plans: Vec<Uuid>,
    open_services: Vec<Uuid>,
    referrals: u32,
    birth_recorded: bool,
    /// The day the family moves to another locality, for the few who do.
    moves_on: Option<NaiveDate>,
}

/// Builds the journey of the `index`-th child of a run.
pub(crate) fn build(
    c: &Council,
    seed: u64,
    index: u64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Built {
    let mut rng = StdRng::seed_from_u64(mix(seed, index.wrapping_add(0x5EED)));
    let child_id = uuid(&mut rng);
    let span = (end - start).num_days().max(2) as u64;
    // Leave the last day free so every child has at least its first records.
    let first_day = start.date_naive() + Days::new(rng.random_range_u64(0, span - 1));
    let who = Identity::new(&mut rng, c, seed, index, first_day);
    let loc = c
        .localities
        .get(who.locality)
        .cloned()
        .unwrap_or_else(|| Locality {
            name: "Unknown".into(),
            slug: "unknown".into(),
            weight: 1,
        });
    let entry = *pick(&mut rng, rates::ENTRIES).unwrap_or(&Entry::Referral);
    let need = match entry {
        Entry::Referral => *pick(&mut rng, rates::REFERRAL_NEEDS).unwrap_or(&Need::Universal),
        Entry::EarlyHelp => {
            if chance(&mut rng, 0.85) {
                Need::EarlyHelp
            } else {
                Need::Targeted
            }
        }
        Entry::Consultation => {
            if chance(&mut rng, 0.6) {
                Need::Universal
            } else {
                Need::EarlyHelp
            }
        }
    };
    let age = who.age_on(first_day);
    let exploitation = need > Need::Universal
        && (((14..=17).contains(&age) && chance(&mut rng, rates::EXPLOITATION_14_17))
            || ((10..=13).contains(&age) && chance(&mut rng, rates::EXPLOITATION_10_13)));
    let theme = Theme::choose(&mut rng, need, age, exploitation);
    // Agencies start work on working days; the police, on any day, move this later.
    let t = office_hours(&mut rng, crate::timing::working_day(first_day));
    let moves_on = (c.localities.len() > 1 && chance(&mut rng, rates::MOVES))
        .then(|| first_day + Days::new(rng.random_range_u64(20, span)));
    let mut j = Journey {
        c,
        rng,
        end,
        t,
        who,
        loc,
        need,
        theme,
        exploitation,
        registration: None,
        records: Vec::new(),
        stopped: false,
        level: Level::UNIVERSAL,
        closed: false,
        statutory_work: false,
        open_plans: Vec::new(),
        open_services: Vec::new(),
        referrals: 0,
        birth_recorded: false,
        moves_on,
    };
    // `None` only says the year ended; what was written stands.
    let _ = j.run(entry);
    let fallback_id = uuid(&mut j.rng);
    let registration = j.registration.take().unwrap_or_else(|| Pending {
        event_id: fallback_id,
        at: start,
        by: c.staff_in_slot(&c.front_door, "mash_social_worker", 0),
        kind: domain::child::CHILD_REGISTERED,
        data: posted(j.who.details.clone()),
    });
    Built {
        child_id,
        registration,
        records: j.records,
    }
}

/// A family member as a conversation's participant.
fn kin(member: Result<FamilyMember, String>) -> Result<Party, String> {
    member.map(Party::FamilyMember)
}

/// `rand`'s range on `u64`, named so the call above reads plainly.
trait RangeU64 {
    fn random_range_u64(&mut self, lo: u64, hi: u64) -> u64;
}
impl RangeU64 for StdRng {
    fn random_range_u64(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.random_range(lo..hi)
        }
    }
}

impl Journey<'_> {
    fn run(&mut self, entry: Entry) -> Flow {
        match entry {
            Entry::Referral => self.referral(None)?,
            Entry::EarlyHelp => self.agency_early_help()?,
            Entry::Consultation => self.consultation()?,
        }
        // Some children come back within the year.
        while self.closed
            && self.referrals < MAX_REFERRALS
            && chance(&mut self.rng, rates::REFERRED_AGAIN)
        {
            self.wait_days(20, 150);
            if self.t > self.end {
                break;
            }
            // Needs rarely vanish: a return is as serious or a little more.
            if chance(&mut self.rng, 0.4) && self.need < Need::Protection {
                self.need = match self.need {
                    Need::Universal => Need::EarlyHelp,
                    Need::EarlyHelp => Need::Targeted,
                    Need::Targeted => Need::Section17,
                    _ => Need::Protection,
                };
            }
            self.referral(None)?;
        }
        Some(())
    }

    // --- Time ---------------------------------------------------------------------------

    fn wait_days(&mut self, min: u64, max: u64) {
        self.t = days_later(&mut self.rng, self.t, min, max);
        self.births();
        self.moves();
    }
    fn wait_working_days(&mut self, min: u32, max: u32) {
        self.t = working_days_later(&mut self.rng, self.t, min, max);
        self.births();
        self.moves();
    }
    /// The next thing in the same piece of work: minutes or hours later, in office hours.
    fn wait_minutes(&mut self, min: i64, max: i64) {
        self.t = office_minutes_later(&mut self.rng, self.t, min, max);
    }
    fn age(&self) -> i32 {
        self.who.age_on(self.t.date_naive())
    }
    fn girl(&self) -> bool {
        self.who.gender == "female"
    }

    /// An unborn child's birth, recorded once the journey passes the day it happened.
    fn births(&mut self) {
        let Some(due) = self.who.expected_date_of_birth else {
            return;
        };
        if self.birth_recorded || self.registration.is_none() {
            return;
        }
        let born = due + Days::new(self.rng.random_range_u64(0, 14)) - Days::new(7);
        let recorded_on = born + Days::new(self.rng.random_range_u64(1, 6));
        let at = office_hours(&mut self.rng, recorded_on);
        if at > self.t || at > self.end {
            return;
        }
        self.birth_recorded = true;
        self.who.date_of_birth = Some(born);
        self.who.expected_date_of_birth = None;
        let girl = chance(&mut self.rng, 0.49);
        let name = if girl {
            one(&mut self.rng, crate::people::GIRLS)
        } else {
            one(&mut self.rng, crate::people::BOYS)
        };
        self.who.given_name = name.copied().unwrap_or("Sam").to_owned();
        self.who.gender = if girl { "female" } else { "male" };
        let who = &self.who;
        let data = record_data(|| {
            let identifiers = match &who.nhs_at_birth {
                Some(n) => Some(Identifiers {
                    nhs_number: Some(wire(n)?),
                    ..Identifiers::default()
                }),
                None => None,
            };
            Ok(ChildDetailsUpdated {
                changes: ChildDetailsChanges {
                    date_of_birth: Some(born),
                    given_name: Some(text(&who.given_name)?),
                    gender: Some(wire(who.gender)?),
                    identifiers,
                    ..ChildDetailsChanges::default()
                },
                reason: text(format!(
                    "Born on {born}: name, sex and NHS number recorded at the new birth visit."
                ))?,
            })
        });
        let by = self
            .c
            .staff(&mut self.rng, &self.c.community_health(), "health_visitor");
        // The birth may be recorded after later records: recorded late, as births often are.
        self.emit_at(at, &by, "child_details_updated", data, false);
    }

    /// A move to another locality, recorded once the journey passes the day it happened.
    fn moves(&mut self) {
        let Some(day) = self.moves_on else {
            return;
        };
        if self.t.date_naive() < day || self.registration.is_none() {
            return;
        }
        self.moves_on = None;
        let others: Vec<Locality> = self
            .c
            .localities
            .iter()
            .filter(|l| l.name != self.loc.name)
            .cloned()
            .collect();
        let Some(next) = one(&mut self.rng, &others).cloned() else {
            return;
        };
        let by = self.universal_practitioner();
        let at = office_hours(&mut self.rng, day);
        let data = record_data(|| {
            Ok(ChildDetailsUpdated {
                changes: ChildDetailsChanges {
                    locality: Some(text(&next.name)?),
                    ..ChildDetailsChanges::default()
                },
                reason: text(format!(
                    "The family moved from {} to {}.",
                    self.loc.name, next.name
                ))?,
            })
        });
        self.loc = next;
        self.emit_at(at.max(self.t), &by, "child_details_updated", data, false);
    }

    // --- Writing records ------------------------------------------------------------------

    fn emit<T: Serialize>(
        &mut self,
        by: &Staff,
        kind: &'static str,
        data: Result<T, String>,
    ) -> Option<Uuid> {
        self.emit_at(self.t, by, kind, data, true)
    }

    /// Writes a record at `at`. Past the end of the year nothing is written; `stop` says
    /// whether that ends the journey (the main line) or only skips this record (an aside,
    /// such as a correction made days later).
    fn emit_at<T: Serialize>(
        &mut self,
        at: DateTime<Utc>,
        by: &Staff,
        kind: &'static str,
        data: Result<T, String>,
        stop: bool,
    ) -> Option<Uuid> {
        if self.stopped || at > self.end {
            if stop {
                self.stopped = true;
            }
            return None;
        }
        // Serialised as a client would post it; `decide` parses it the way the API does.
        let data = posted(data);
        let event_id = uuid(&mut self.rng);
        // A child in need or protection plan counts too: `start_plan` and `cp_plan` say so.
        match kind {
            "section_47_enquiry_started" => self.statutory_work = true,
            "case_closed" => self.statutory_work = false,
            _ => {}
        }
        self.records.push(Pending {
            event_id,
            at,
            by: by.clone(),
            kind,
            data,
        });
        Some(event_id)
    }

    fn register(&mut self, by: &Staff) {
        if self.registration.is_some() {
            return;
        }
        // A child first met in the last days of the year is still registered within it.
        let at = (self.t - Duration::minutes(self.rng.random_range(5..120)))
            .min(self.end - Duration::minutes(1));
        self.registration = Some(Pending {
            event_id: uuid(&mut self.rng),
            at,
            by: by.clone(),
            kind: domain::child::CHILD_REGISTERED,
            data: posted(self.who.details.clone()),
        });
    }

    fn name(&self) -> String {
        self.who.given_name.clone()
    }
    fn mother(&self) -> Result<FamilyMember, String> {
        family(
            "mother",
            Some(&format!("{} {}", self.who.mother, self.who.family_name)),
        )
    }
    fn father(&self) -> Result<FamilyMember, String> {
        family(
            "father",
            Some(&format!("{} {}", self.who.father, self.who.family_name)),
        )
    }
    fn child(&self) -> Result<FamilyMember, String> {
        let rel = if self.age() >= 12 {
            "young_person"
        } else {
            "child"
        };
        family(rel, Some(&self.who.given_name))
    }
    fn parent(&mut self) -> Result<FamilyMember, String> {
        if chance(&mut self.rng, 0.8) {
            self.mother()
        } else {
            self.father()
        }
    }
    /// Who gives or refuses consent: a parent, or a young person of 16 or 17 themselves.
    fn consenter(&mut self) -> Result<FamilyMember, String> {
        if self.age() >= 16 && chance(&mut self.rng, 0.5) {
            self.child()
        } else {
            self.parent()
        }
    }

    fn reopen_if_closed(&mut self, by: &Staff, reason: &str) -> Flow {
        if self.closed {
            let data = record_data(|| {
                Ok(CaseReopened {
                    reason: text(reason)?,
                })
            });
            self.emit(by, "case_reopened", data)?;
            self.closed = false;
        }
        Some(())
    }

    // --- Conversations ----------------------------------------------------------------------

    fn child_voice(&mut self, kind: ConversationKind) -> Option<Result<ChildVoice, String>> {
        let p = match kind {
            ConversationKind::WithChild => 1.0,
            ConversationKind::WithFamily => rates::VOICE_WITH_FAMILY,
            ConversationKind::BetweenPractitioners => rates::VOICE_BETWEEN_PRACTITIONERS,
            ConversationKind::FrontDoorConsultation => rates::VOICE_CONSULTATION,
            _ => rates::VOICE_TEAM_AROUND_FAMILY,
        };
        if !chance(&mut self.rng, p) || self.age() < 0 {
            return None;
        }
        let name = self.name();
        if kind != ConversationKind::WithChild && chance(&mut self.rng, rates::VOICE_NOT_CAPTURED) {
            let reason = line(&mut self.rng, text::NOT_CAPTURED, &name);
            return Some(text(reason).and_then(|r| ChildVoice::new(None, None, Some(r))));
        }
        let words = self.theme.words();
        let age = self.age();
        let views = text::voice_views(&mut self.rng, words, age, &name);
        let behaviour = if views.is_none() || chance(&mut self.rng, 0.4) {
            let list = if self.age() < 3 {
                text::BABY_BEHAVIOUR
            } else {
                words.behaviour
            };
            Some(line(&mut self.rng, list, &name))
        } else {
            None
        };
        Some(record_data(|| {
            ChildVoice::new(
                views.map(text).transpose()?,
                behaviour.map(text).transpose()?,
                None,
            )
        }))
    }

    fn scaling(&mut self) -> Result<Scaling, String> {
        let (lo, hi) = match self.need {
            Need::Universal => (7, 9),
            Need::EarlyHelp => (5, 7),
            Need::Targeted => (4, 6),
            Need::Section17 => (3, 5),
            Need::Protection => (1, 3),
        };
        let score: i64 = self.rng.random_range_u64(lo, hi + 1) as i64;
        let name = self.name();
        let (q, zero, ten) = one(&mut self.rng, text::SCALING_QUESTIONS)
            .copied()
            .unwrap_or(("How worried are we?", "very worried", "not worried"));
        let working = line(&mut self.rng, self.theme.words().working_well, &name);
        Ok(Scaling {
            question: text(q.replace("{name}", &name))?,
            score: Score::new(score).ok_or_else(|| format!("the score {score} is not 0 to 10"))?,
            zero_means: text(zero.replace("{name}", &name))?,
            ten_means: text(ten.replace("{name}", &name))?,
            rationale: text(format!("It is a {score} because: {working}"))?,
        })
    }

    /// Records a conversation; sometimes late, corrected or retracted.
    fn conversation(
        &mut self,
        by: &Staff,
        kind: ConversationKind,
        others: Vec<Result<Party, String>>,
        about_referral: Option<Uuid>,
        advice: Option<(String, String)>,
    ) -> Flow {
        let data = self.conversation_data(by, kind, others, about_referral, advice);
        let id = if chance(&mut self.rng, rates::CONVERSATION_RECORDED_LATE) {
            // Written up days after it happened, after records of later events.
            let floor = self.registration.as_ref().map_or(self.t, |r| r.at);
            let at = days_earlier(&mut self.rng, self.t, 3, 20, floor);
            self.emit_at(at, by, "conversation_recorded", data.clone(), true)?
        } else {
            self.emit(by, "conversation_recorded", data.clone())?
        };
        self.maybe_correct(id, by, data);
        Some(())
    }

    /// What a conversation's record says; the random draws in the order the journey has
    /// always made them, so a seed gives the same words.
    fn conversation_data(
        &mut self,
        by: &Staff,
        kind: ConversationKind,
        others: Vec<Result<Party, String>>,
        about_referral: Option<Uuid>,
        advice: Option<(String, String)>,
    ) -> Result<ConversationRecorded, String> {
        let name = self.name();
        let words = self.theme.words();
        let conversation_id = uuid(&mut self.rng);
        let mut participants = vec![by.party()?];
        for o in others {
            participants.push(o?);
        }
        let worries = texts(some_lines(&mut self.rng, words.worries, 1, 2, &name))?;
        let well = some_lines(&mut self.rng, words.working_well, 0, 2, &name);
        let needs_to_happen = if chance(&mut self.rng, 0.6) {
            Some(texts(lines(&mut self.rng, words.needs, 1, &name))?)
        } else {
            None
        };
        let scaling = if chance(&mut self.rng, 0.5) {
            Some(vec![self.scaling()?])
        } else {
            None
        };
        let facts = some_lines(&mut self.rng, words.facts, 0, 2, &name);
        let opinions = if chance(&mut self.rng, 0.5) {
            Some(texts(lines(&mut self.rng, words.opinions, 1, &name))?)
        } else {
            None
        };
        let child_voice = self.child_voice(kind).transpose()?;
        let (actions, decisions) = if chance(&mut self.rng, 0.4) {
            let due = self.t.date_naive() + Days::new(self.rng.random_range_u64(7, 29));
            let owner = if chance(&mut self.rng, 0.5) {
                by.party()?
            } else {
                Party::FamilyMember(self.parent()?)
            };
            let action = Action {
                description: text(line(&mut self.rng, words.needs, &name))?,
                owner,
                due_by: due,
            };
            (
                Some(vec![action]),
                Some(vec![text("Agreed the actions below with the family.")?]),
            )
        } else {
            (None, None)
        };
        let advice = match advice {
            Some((advised, rationale)) => Some(Advice {
                advised: text(advised)?,
                rationale: text(rationale)?,
            }),
            None => None,
        };
        Ok(ConversationRecorded {
            conversation_id,
            kind,
            participants: NonEmpty::try_from(participants)?,
            worries: Some(worries),
            working_well: (!well.is_empty()).then(|| texts(well)).transpose()?,
            needs_to_happen,
            scaling,
            facts: (!facts.is_empty()).then(|| texts(facts)).transpose()?,
            opinions,
            child_voice,
            decisions,
            actions,
            advice,
            about_referral_id: about_referral,
        })
    }

    /// Puts a conversation right days later, or retracts it as entered on the wrong child.
    fn maybe_correct(
        &mut self,
        id: Uuid,
        by: &Staff,
        conversation: Result<ConversationRecorded, String>,
    ) {
        let r = self.rng.random::<f64>();
        let at = office_minutes_later(&mut self.rng, self.t, 120, 96 * 60);
        if r < rates::CORRECTED {
            let name = self.name();
            let data = record_data(|| {
                let mut corrected = conversation?;
                match corrected.facts.as_mut() {
                    Some(facts) => facts.push(text(
                        "Correction: the date of the last incident was a week earlier than first noted.",
                    )?),
                    None => {
                        corrected.facts = Some(vec![text(format!(
                            "{name} was seen at school on the day of this conversation."
                        ))?]);
                    }
                }
                Ok(RecordCorrected {
                    corrects_event_id: id,
                    reason: text(
                        "A fact was recorded wrongly; corrected after checking the school's register.",
                    )?,
                    corrected_data: Some(
                        serde_json::to_value(corrected).map_err(|e| e.to_string())?,
                    ),
                    retract: None,
                })
            });
            self.emit_at(at, by, "record_corrected", data, false);
        } else if r < rates::CORRECTED + rates::RETRACTED {
            let data = record_data(|| {
                Ok(RecordCorrected {
                    corrects_event_id: id,
                    reason: text(
                        "Recorded on the wrong child in error; it belongs to a sibling's record.",
                    )?,
                    corrected_data: None,
                    retract: Some(true),
                })
            });
            self.emit_at(at, by, "record_corrected", data, false);
        }
    }

    // --- Consent ----------------------------------------------------------------------------

    fn seek(
        &mut self,
        by: &Staff,
        purpose: ConsentPurpose,
        explained: &str,
    ) -> Option<(Uuid, Result<FamilyMember, String>)> {
        let id = uuid(&mut self.rng);
        let from = self.consenter();
        let data = record_data(|| {
            Ok(ConsentSought {
                consent_id: id,
                purpose,
                sought_from: from.clone()?,
                explained: text(explained)?,
            })
        });
        self.emit(by, "consent_sought", data)?;
        Some((id, from))
    }

    fn give(
        &mut self,
        by: &Staff,
        id: Uuid,
        from: Result<FamilyMember, String>,
        agencies: Vec<String>,
    ) -> Flow {
        self.wait_minutes(5, 60 * 24);
        let scoped = chance(&mut self.rng, 0.6);
        let expires_on = chance(&mut self.rng, 0.3).then(|| self.t.date_naive() + Days::new(365));
        let data = record_data(|| {
            let scope = if scoped {
                Some(ConsentScope {
                    agencies: Some(texts(agencies)?),
                    information: Some(texts([
                        "the worries discussed",
                        "school and health information",
                    ])?),
                })
            } else {
                None
            };
            Ok(ConsentGiven {
                consent_id: id,
                given_by: from?,
                scope,
                expires_on,
            })
        });
        self.emit(by, "consent_given", data)?;
        Some(())
    }

    fn refuse(&mut self, by: &Staff, id: Uuid, from: Result<FamilyMember, String>) -> Flow {
        self.wait_minutes(5, 60 * 24);
        let reasons = if chance(&mut self.rng, 0.7) {
            Some(*one(&mut self.rng, &[
                "Does not want social services involved; worried the children will be taken away.",
                "Says the family is coping and does not need help.",
                "Had a bad experience with services before.",
            ]).unwrap_or(&"No reason given."))
        } else {
            None
        };
        let data = record_data(|| {
            Ok(ConsentRefused {
                consent_id: id,
                refused_by: from?,
                reasons_given: reasons.map(text).transpose()?,
            })
        });
        self.emit(by, "consent_refused", data)?;
        Some(())
    }

    // --- Tiers --------------------------------------------------------------------------

    /// Steps to `to` (up or down) if the child is not there already.
    fn move_to(
        &mut self,
        to: Level,
        recorder: &Staff,
        reasons: &[(StepReasonKind, String)],
        assessment: Option<Uuid>,
        consent: Option<Uuid>,
    ) -> Flow {
        if self.level != to {
            self.step(to, recorder, reasons, assessment, consent)?;
        }
        Some(())
    }

    /// A step up or down; recorded by the front door when tier 3 or 4 is involved (recorders
    /// change tiers only between 1 and 2).
    fn step(
        &mut self,
        to: Level,
        recorder: &Staff,
        reasons: &[(StepReasonKind, String)],
        assessment: Option<Uuid>,
        consent: Option<Uuid>,
    ) -> Option<Uuid> {
        let from = self.level;
        let up = to > from;
        let by = if from.tier.get() >= 3 || to.tier.get() >= 3 {
            self.c.front_door_manager(&mut self.rng)
        } else {
            recorder.clone()
        };
        let rationale = if up {
            format!(
                "Needs have grown beyond what {} can meet.",
                self.c.framework.describe(from)
            )
        } else {
            format!("Needs can now be met at {}.", self.c.framework.describe(to))
        };
        let continuing_services =
            (!up && !self.open_services.is_empty() && chance(&mut self.rng, 0.6))
                .then(|| self.open_services.clone());
        let informed = chance(&mut self.rng, rates::STEP_FAMILY_INFORMED);
        let family_informed = if informed {
            Some(true)
        } else if chance(&mut self.rng, 0.5) {
            Some(false)
        } else {
            None
        };
        let d = record_data(|| {
            let reasons = reasons
                .iter()
                .map(|(k, d)| {
                    Ok(StepReason {
                        kind: *k,
                        detail: text(d.as_str())?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Step {
                from,
                to,
                reasons: NonEmpty::try_from(reasons)?,
                rationale: text(rationale)?,
                decided_by: by.person()?,
                assessment_id: assessment,
                consent_id: consent,
                continuing_services,
                family_informed,
            })
        });
        let kind = if up { "stepped_up" } else { "stepped_down" };
        let id = self.emit(&by, kind, d)?;
        self.level = to;
        if !informed && chance(&mut self.rng, rates::STEP_FAMILY_TOLD_AFTER) {
            self.wait_days(0, 6);
            let how =
                *one(&mut self.rng, &["home visit", "phone call", "letter"]).unwrap_or(&"letter");
            let data = record_data(|| {
                Ok(FamilyInformed {
                    about_event_id: id,
                    how: text(how)?,
                    by: recorder.person()?,
                })
            });
            self.emit(&by, "family_informed", data)?;
        }
        Some(id)
    }

    // --- Plans and services ---------------------------------------------------------------

    fn start_service(&mut self, by: &Staff, provider: &str) -> Flow {
        let id = uuid(&mut self.rng);
        let service = *one(&mut self.rng, self.theme.words().services).unwrap_or(&"Family support");
        let family_informed = chance(&mut self.rng, 0.9);
        let data = record_data(|| {
            Ok(ServiceStarted {
                service_id: id,
                service: text(service)?,
                provider: text(provider)?,
                family_informed: Some(family_informed),
            })
        });
        self.emit(by, "service_started", data)?;
        self.open_services.push(id);
        Some(())
    }

    fn end_services(&mut self, by: &Staff, reason: &str, plan: Option<Uuid>) -> Flow {
        for id in std::mem::take(&mut self.open_services) {
            self.wait_minutes(5, 120);
            let family_informed = chance(&mut self.rng, 0.85);
            let d = record_data(|| {
                Ok(ServiceEnded {
                    service_id: id,
                    reason: text(reason)?,
                    agreed_in_plan_id: plan,
                    family_informed: Some(family_informed),
                })
            });
            self.emit(by, "service_ended", d)?;
        }
        Some(())
    }

    fn actions(&mut self, by: &Staff, weeks: u64) -> Result<Vec<Action>, String> {
        let name = self.name();
        let due = self.t.date_naive() + Days::new(7 * weeks);
        let needs = lines(&mut self.rng, self.theme.words().needs, 2, &name);
        let mut out = Vec::new();
        for (i, n) in needs.into_iter().enumerate() {
            let owner = if i == 0 {
                by.party()?
            } else {
                Party::FamilyMember(self.parent()?)
            };
            out.push(Action {
                description: text(n)?,
                owner,
                due_by: due,
            });
        }
        Ok(out)
    }

    fn start_plan(
        &mut self,
        by: &Staff,
        kind: PlanKind,
        weeks: (u64, u64),
        category: Option<&str>,
    ) -> Option<(Uuid, NaiveDate)> {
        let id = uuid(&mut self.rng);
        let review_by =
            self.t.date_naive() + Days::new(7 * self.rng.random_range_u64(weeks.0, weeks.1 + 1));
        let actions = if chance(&mut self.rng, 0.8) {
            Some(self.actions(by, weeks.0))
        } else {
            None
        };
        let d = record_data(|| {
            Ok(PlanStarted {
                plan_id: id,
                kind,
                lead: by.person()?,
                review_by,
                actions: actions.transpose()?,
                category: category.map(wire).transpose()?,
            })
        });
        self.emit(by, "plan_started", d)?;
        if matches!(
            kind,
            PlanKind::ChildInNeedPlan | PlanKind::ChildProtectionPlan
        ) {
            self.statutory_work = true;
        }
        self.open_plans.push(id);
        Some((id, review_by))
    }

    /// Reviews a plan around its review date (or late); returns the next review date.
    fn review_plan(
        &mut self,
        plan: Uuid,
        by: &Staff,
        due: NaiveDate,
        weeks: (u64, u64),
    ) -> Option<NaiveDate> {
        let date = if chance(&mut self.rng, rates::REVIEW_LATE) {
            due + Days::new(self.rng.random_range_u64(3, 21))
        } else {
            due - Days::new(self.rng.random_range_u64(0, 7))
        };
        let at = office_hours(&mut self.rng, crate::timing::working_day(date));
        self.t = if at > self.t {
            at
        } else {
            minutes_later(&mut self.rng, self.t, 60, 600)
        };
        self.births();
        let next =
            self.t.date_naive() + Days::new(7 * self.rng.random_range_u64(weeks.0, weeks.1 + 1));
        let progress = *one(
            &mut self.rng,
            &[
                "Good progress on most actions; the family is engaging well.",
                "Some progress, but the main worry remains.",
                "Little progress since the last review; actions revised.",
                "Things have improved: the child reports feeling happier and safer.",
            ],
        )
        .unwrap_or(&"Reviewed.");
        let scaling = if chance(&mut self.rng, 0.6) {
            Some(self.scaling())
        } else {
            None
        };
        let actions = if chance(&mut self.rng, 0.5) {
            Some(self.actions(by, 4))
        } else {
            None
        };
        let d = record_data(|| {
            Ok(PlanReviewed {
                plan_id: plan,
                progress: text(progress)?,
                scaling: scaling.transpose()?.map(|s| vec![s]),
                next_review_by: next,
                actions: actions.transpose()?,
            })
        });
        self.emit(by, "plan_reviewed", d)?;
        Some(next)
    }

    fn end_plan(&mut self, plan: Uuid, by: &Staff, reason: PlanEndReason) -> Flow {
        let note = match reason {
            PlanEndReason::NeedsMet => "The plan's outcomes were achieved.",
            PlanEndReason::SteppedUp => "Needs grew beyond this plan; stepping up.",
            PlanEndReason::SteppedDown => "Needs can be met with less help; stepping down.",
            PlanEndReason::MovedAway | PlanEndReason::Other => "The plan ended.",
        };
        let data = record_data(|| {
            Ok(PlanEnded {
                plan_id: plan,
                reason,
                note: Some(text(note)?),
            })
        });
        self.emit(by, "plan_ended", data)?;
        self.open_plans.retain(|p| *p != plan);
        Some(())
    }

    fn close(&mut self, by: &Staff, reason: &str, closure: Option<ClosureReason>) -> Flow {
        if self.closed {
            return Some(());
        }
        self.end_services(by, "The case is closing.", None)?;
        for p in self.open_plans.clone() {
            self.end_plan(p, by, PlanEndReason::Other)?;
        }
        // Closing takes the child back to tier 1. The domain lets any recorder close, but
        // a recorder may not change tiers 3 and 4, so the front door closes those cases.
        let closer = if self.level.tier.get() >= 3 {
            self.c.front_door_manager(&mut self.rng)
        } else {
            by.clone()
        };
        // RC8 and RC9 say the case closed after an assessment and nothing more; after an
        // enquiry or a plan the census wants RC7.
        let closure = match closure {
            Some(ClosureReason::RC8 | ClosureReason::RC9) if self.statutory_work => {
                Some(ClosureReason::RC7)
            }
            other => other,
        };
        let d = record_data(|| {
            Ok(CaseClosed {
                reason: text(reason)?,
                closed_by: closer.person()?,
                closure_reason: closure,
            })
        });
        self.wait_minutes(10, 240);
        self.emit(&closer, "case_closed", d)?;
        self.closed = true;
        self.level = Level::UNIVERSAL;
        Some(())
    }

    // --- Assessments ----------------------------------------------------------------------

    /// A needs assessment whose decided level is `decided`; the indicators are drawn so the
    /// catalogue's suggestion usually agrees, and sometimes lands one level off.
    fn assess(
        &mut self,
        by: &Staff,
        kind: AssessmentKind,
        decided: Level,
        started: DateTime<Utc>,
    ) -> Option<Uuid> {
        let below = if self.exploitation {
            rates::DECIDED_BELOW_EXPLOITATION
        } else {
            rates::DECIDED_BELOW_SUGGESTION
        };
        let r = self.rng.random::<f64>();
        // Decided below the suggestion: indicators point one level higher; above: lower.
        let target = if r < below {
            self.c.catalogue.neighbour(decided, true)
        } else if r < below + rates::DECIDED_ABOVE_SUGGESTION {
            self.c.catalogue.neighbour(decided, false)
        } else {
            decided
        };
        let (age, girl) = (self.age(), self.girl());
        let (codes, s47) =
            self.c
                .catalogue
                .indicators_for(&mut self.rng, target, self.exploitation, age, girl);
        let name = self.name();
        let words = self.theme.words();
        let id = uuid(&mut self.rng);
        let mut indicators: Vec<(String, Option<String>)> = Vec::with_capacity(codes.len());
        for c in codes {
            let note = if chance(&mut self.rng, 0.4) {
                Some(line(&mut self.rng, words.facts, &name))
            } else {
                None
            };
            indicators.push((c, note));
        }
        let strengths = some_lines(&mut self.rng, words.working_well, 1, 2, &name);
        let child_voice = self.child_voice(ConversationKind::TeamAroundTheFamily);
        let rationale = if target == decided {
            format!(
                "The needs recorded fit {}.",
                self.c.framework.describe(decided)
            )
        } else if target > decided {
            format!(
                "The indicators point higher, but with the family's strengths {} can meet the need.",
                self.c.framework.describe(decided)
            )
        } else {
            format!(
                "Taken together the worries need more than the indicators alone suggest: {}.",
                self.c.framework.describe(decided)
            )
        };
        let child_seen = if kind != AssessmentKind::Screening {
            Some(self.age() >= 0 && chance(&mut self.rng, rates::CHILD_SEEN))
        } else {
            None
        };
        let factors = if matches!(
            kind,
            AssessmentKind::SingleAssessment | AssessmentKind::Section47Assessment
        ) {
            let mut f: Vec<&str> = words.factors.to_vec();
            if f.len() > 1 && chance(&mut self.rng, 0.5) {
                f.truncate(1);
            }
            Some(f)
        } else {
            None
        };
        let d = record_data(|| {
            let indicators = indicators
                .into_iter()
                .map(|(code, note)| {
                    Ok(IndicatorRef {
                        code,
                        note: note.map(text).transpose()?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            let factors = match factors {
                Some(f) => Some(
                    f.into_iter()
                        .map(wire)
                        .collect::<Result<Vec<_>, String>>()?,
                ),
                None => None,
            };
            Ok(NeedsAssessed {
                assessment_id: id,
                assessment: kind,
                indicators: (!indicators.is_empty()).then_some(indicators),
                section_47_indicators: (!s47.is_empty()).then_some(s47),
                strengths: Some(texts(strengths)?),
                child_voice: child_voice.transpose()?,
                decided_level: decided,
                rationale: text(rationale)?,
                started_on: Some(started.date_naive()),
                child_seen,
                factors,
                suggested: None,
            })
        });
        self.emit(by, "needs_assessed", d)?;
        Some(id)
    }

    // --- Disagreement ---------------------------------------------------------------------

    /// A practitioner disputes a decision; returns the disagreement if the decision was
    /// changed (the caller records the follow-up and resolves it), `None` if the year ended.
    fn dispute(&mut self, about: Uuid, raiser: &Staff, defender: &Staff) -> Option<Option<Uuid>> {
        let id = uuid(&mut self.rng);
        self.wait_days(1, 5);
        let name = self.name();
        let worry = line(&mut self.rng, self.theme.words().worries, &name);
        let data = record_data(|| {
            Ok(DisagreementRaised {
                disagreement_id: id,
                about_event_id: about,
                raised_by: raiser.person()?,
                position: text(format!(
                    "The decision does not reflect the risk to {name}: {worry}"
                ))?,
                desired_outcome: text("The referral reconsidered and the family offered help.")?,
            })
        });
        self.emit(raiser, "disagreement_raised", data)?;
        let mut stage = 1u8;
        for (p, to) in [
            (rates::ESCALATE_TO_2, 2u8),
            (rates::ESCALATE_TO_3, 3),
            (rates::ESCALATE_TO_4, 4),
        ] {
            if !chance(&mut self.rng, p) {
                break;
            }
            self.wait_days(3, 15);
            let escalated_by = self
                .c
                .staff(&mut self.rng, &raiser.agency, "safeguarding_lead");
            let data = record_data(|| {
                let positions = vec![
                    Position {
                        party: raiser.person()?,
                        position: text("The threshold was applied too high for this child.")?,
                    },
                    Position {
                        party: defender.person()?,
                        position: text(
                            "The information given did not meet the threshold for more.",
                        )?,
                    },
                ];
                Ok(DisagreementEscalated {
                    disagreement_id: id,
                    to_stage: to,
                    escalated_by: escalated_by.person()?,
                    positions: NonEmpty::try_from(positions)?,
                    reason: text(format!("Not resolved at stage {stage}."))?,
                })
            });
            self.emit(&escalated_by, "disagreement_escalated", data)?;
            stage = to;
        }
        if !chance(&mut self.rng, rates::DISAGREEMENT_RESOLVED) {
            return Some(None);
        }
        self.wait_days(4, 25);
        let r = self.rng.random::<f64>();
        if r < rates::DISAGREEMENT_CHANGED {
            return Some(Some(id));
        }
        let (outcome, resolution) = if r < rates::DISAGREEMENT_CHANGED
            + rates::DISAGREEMENT_WITHDRAWN
        {
            (
                DisagreementOutcome::Withdrawn,
                "New information satisfied the referrer; disagreement withdrawn.",
            )
        } else {
            (
                DisagreementOutcome::DecisionUpheld,
                "The decision was explained and upheld; the referrer was advised what to do if worries grow.",
            )
        };
        let resolver = self.c.front_door_manager(&mut self.rng);
        let data = record_data(|| {
            Ok(DisagreementResolved {
                disagreement_id: id,
                outcome,
                resolution: text(resolution)?,
                resolved_by: resolver.person()?,
                follow_up_event_id: None,
            })
        });
        self.emit(&resolver, "disagreement_resolved", data)?;
        Some(None)
    }

    fn resolve_changed(&mut self, id: Uuid, follow_up: Uuid) -> Flow {
        let resolver = self.c.front_door_manager(&mut self.rng);
        let data = record_data(|| {
            Ok(DisagreementResolved {
                disagreement_id: id,
                outcome: DisagreementOutcome::DecisionChanged,
                resolution: text(
                    "On review the threshold for more help was met; the decision was changed.",
                )?,
                resolved_by: resolver.person()?,
                follow_up_event_id: Some(follow_up),
            })
        });
        self.emit(&resolver, "disagreement_resolved", data)?;
        Some(())
    }

    // --- Entry paths ----------------------------------------------------------------------

    /// The practitioner who knows the child best at this age.
    fn universal_practitioner(&mut self) -> Staff {
        let age = self.age();
        if age < 4 {
            self.c
                .staff(&mut self.rng, &self.c.community_health(), "health_visitor")
        } else {
            let variant = self.rng.random_range_u64(0, 3);
            let school = self.c.school(&self.loc, age, variant);
            self.c
                .staff(&mut self.rng, &school, "designated_safeguarding_lead")
        }
    }

    /// An agency's own early help, with no front door.
    fn agency_early_help(&mut self) -> Flow {
        let by = self.universal_practitioner();
        self.register(&by);
        let mother = self.mother();
        self.conversation(
            &by,
            ConversationKind::WithFamily,
            vec![kin(mother)],
            None,
            None,
        )?;
        if self.age() >= 5 && chance(&mut self.rng, 0.6) {
            self.wait_days(1, 10);
            let child = self.child();
            self.conversation(
                &by,
                ConversationKind::WithChild,
                vec![kin(child)],
                None,
                None,
            )?;
        }
        self.wait_days(3, 20);
        let lead = if chance(&mut self.rng, 0.5) {
            by.clone()
        } else {
            self.c.early_help_worker(&mut self.rng, &self.loc.clone())
        };
        self.early_help(&lead)
    }

    /// A consultation with the front door, and its advice; sometimes early help follows.
    fn consultation(&mut self) -> Flow {
        let by = self.universal_practitioner();
        self.register(&by);
        let fd = self.c.front_door_worker(&mut self.rng);
        let (advised, rationale) = match self.need {
            Need::Universal => (
                "Continue universal support, talk with the family and review in six weeks.",
                "The worries described are met by the school and family; no referral needed.",
            ),
            _ => (
                "Offer early help with the family's consent and name a lead professional.",
                "Several early-help needs, no indication of significant harm.",
            ),
        };
        self.conversation(
            &by,
            ConversationKind::FrontDoorConsultation,
            vec![fd.party()],
            None,
            Some((advised.to_owned(), rationale.to_owned())),
        )?;
        if self.need > Need::Universal && chance(&mut self.rng, 0.7) {
            self.wait_days(2, 15);
            let mother = self.mother();
            self.conversation(
                &by,
                ConversationKind::WithFamily,
                vec![kin(mother)],
                None,
                None,
            )?;
            self.wait_days(2, 10);
            return self.early_help(&by);
        }
        Some(())
    }

    /// The referrer for a census source code, adjusted for the child's age.
    fn referrer(&mut self, source: &str) -> (String, Staff) {
        let age = self.age();
        let mut source = source.to_owned();
        // Only older children refer themselves; younger ones' calls come from family.
        if source == "1C" && age < 11 {
            source = "1A".into();
        }
        if age < 0 && matches!(source.as_str(), "2A" | "2B" | "3B" | "3C" | "3E") {
            source = "3D".into();
        } else if age < 4 && matches!(source.as_str(), "2A" | "2B" | "3C") {
            source = "3B".into();
        }
        let c = self.c;
        let loc = self.loc.clone();
        let staff = match source.as_str() {
            "6" => c.police_officer(&mut self.rng),
            "2A" => {
                let v = self.rng.random_range_u64(0, 3);
                let school = c.school(&loc, age, v);
                c.staff(&mut self.rng, &school, "designated_safeguarding_lead")
            }
            "2B" => c.staff(&mut self.rng, &c.education(), "education_welfare_officer"),
            "3A" => c.staff(&mut self.rng, &c.gp(&loc), "gp"),
            "3B" => c.staff(&mut self.rng, &c.community_health(), "health_visitor"),
            "3C" => c.staff(&mut self.rng, &c.community_health(), "school_nurse"),
            "3D" => c.staff(&mut self.rng, &c.community_health(), "community_midwife"),
            "3E" => c.staff(&mut self.rng, &c.hospital(), "emergency_department_nurse"),
            "3F" => {
                if age >= 11 && chance(&mut self.rng, 0.5) {
                    c.staff(&mut self.rng, &c.camhs(), "camhs_practitioner")
                } else {
                    c.staff(&mut self.rng, &c.hospital(), "paediatrician")
                }
            }
            "4" => c.staff(&mut self.rng, &c.housing(&loc), "housing_officer"),
            "5A" => c.staff(&mut self.rng, &c.adult_social_care(), "social_worker"),
            "5B" => c.staff(&mut self.rng, &c.youth_service(), "youth_worker"),
            "5C" => c.staff(&mut self.rng, &c.out_of_area(), "social_worker"),
            "5D" => c.early_help_worker(&mut self.rng, &loc),
            "7" => c.staff(&mut self.rng, &c.youth_justice(), "youth_justice_officer"),
            "8" => c.staff(&mut self.rng, &c.voluntary(&loc), "family_worker"),
            // Relatives, members of the public, anonymous callers: the front door takes the
            // call and records the referral itself.
            _ => c.staff(&mut self.rng, &c.front_door, "contact_officer"),
        };
        (source, staff)
    }

    /// A referral to the front door, its decision, and what follows from it.
    fn referral(&mut self, forced_source: Option<&str>) -> Flow {
        if self.referrals >= MAX_REFERRALS {
            return Some(());
        }
        self.referrals += 1;
        let source = match forced_source {
            Some(s) => s.to_owned(),
            None => (*pick(&mut self.rng, rates::REFERRAL_SOURCES).unwrap_or(&"8")).to_owned(),
        };
        let (source, referrer) = self.referrer(&source);
        let fd_records = referrer.agency == self.c.front_door;
        if source == "6" {
            // The police meet children at any hour of any day.
            let date = self.t.date_naive() + Days::new(self.rng.random_range_u64(0, 3));
            let at = any_hour(&mut self.rng, date);
            if at > self.t {
                self.t = at;
            }
        }
        self.register(&referrer);
        self.reopen_if_closed(
            &referrer,
            "New worries reported; the case is reopened for a new referral.",
        )?;
        let name = self.name();

        // Conversations before referring.
        if !fd_records {
            let (lo, hi) = rates::CONVERSATIONS_BEFORE_REFERRAL;
            let n = self.rng.random_range_u64(lo as u64, hi as u64 + 1);
            for i in 0..n {
                let kind = if i == 0 && self.age() >= 5 && chance(&mut self.rng, 0.4) {
                    ConversationKind::WithChild
                } else if chance(&mut self.rng, 0.7) {
                    ConversationKind::WithFamily
                } else {
                    ConversationKind::BetweenPractitioners
                };
                let others = match kind {
                    ConversationKind::WithChild => vec![kin(self.child())],
                    ConversationKind::WithFamily => vec![kin(self.parent())],
                    _ => {
                        let other = self.universal_practitioner();
                        vec![other.party()]
                    }
                };
                self.conversation(&referrer, kind, others, None, None)?;
                self.wait_minutes(30, 60 * 30);
            }
            if chance(&mut self.rng, rates::CONSULTATION_FIRST) {
                let fd = self.c.front_door_worker(&mut self.rng);
                self.conversation(
                    &referrer,
                    ConversationKind::FrontDoorConsultation,
                    vec![fd.party()],
                    None,
                    Some((
                        "Make a referral to the front door with the family's consent if it is safe to ask.".into(),
                        format!("The worries about {name} may meet the threshold for more than early help."),
                    )),
                )?;
                self.wait_minutes(30, 240);
            }
        } else {
            let caller = if source.starts_with('1') {
                vec![kin(family("relative", None))]
            } else {
                vec![kin(family("caller", None))]
            };
            self.conversation(&referrer, ConversationKind::WithFamily, caller, None, None)?;
        }

        // Consent.
        let table = if self.need == Need::Protection {
            rates::REFERRAL_CONSENT_PROTECTION
        } else {
            rates::REFERRAL_CONSENT
        };
        let how = if fd_records {
            if source.starts_with('1') && chance(&mut self.rng, rates::CALLER_CONSENTS) {
                ReferralConsent::Given
            } else {
                ReferralConsent::Dispensed
            }
        } else {
            *pick(&mut self.rng, table).unwrap_or(&ReferralConsent::Given)
        };
        let explained =
            "What a referral to the front door is, what will be shared and with whom, and why.";
        let mut refused_proceeding = false;
        let (consent, consent_id, family_aware) = match how {
            ReferralConsent::Given => {
                let (id, from) = self.seek(&referrer, ConsentPurpose::Referral, explained)?;
                let agencies = vec![self.c.front_door.clone(), self.c.children_services()];
                self.give(&referrer, id, from, agencies)?;
                (
                    Ok(record::ReferralConsent::Given { consent_id: id }),
                    Some(id),
                    true,
                )
            }
            ReferralConsent::Refused => {
                let (id, from) = self.seek(&referrer, ConsentPurpose::Referral, explained)?;
                self.refuse(&referrer, id, from)?;
                let proceed = self.need == Need::Protection
                    || chance(&mut self.rng, rates::PROCEED_DESPITE_REFUSAL);
                if !proceed {
                    // A refusal alone is no reason to escalate: the worry is kept under review.
                    self.wait_days(2, 20);
                    let parent = self.parent();
                    return self.conversation(
                        &referrer,
                        ConversationKind::WithFamily,
                        vec![kin(parent)],
                        None,
                        None,
                    );
                }
                refused_proceeding = true;
                let consent = text(format!(
                    "The worries about {name} are too serious to leave without the front door's view."
                ))
                .map(|reason| record::ReferralConsent::RefusedProceeding {
                    refused_consent_id: id,
                    proceeding_reason: Some(reason),
                    front_door_told_consent_withheld: Some(true),
                });
                (consent, None, true)
            }
            ReferralConsent::Dispensed => {
                let id = uuid(&mut self.rng);
                let grounds: Vec<&str> = if self.need == Need::Protection {
                    vec!["risk_to_child", "would_undermine_criminal_investigation"]
                } else {
                    vec![
                        *one(
                            &mut self.rng,
                            &[
                                "risk_to_child",
                                "delay_would_increase_risk",
                                "risk_to_referrer",
                            ],
                        )
                        .unwrap_or(&"risk_to_child"),
                    ]
                };
                let manager = if chance(&mut self.rng, rates::DISPENSATION_APPROVED) {
                    Some(
                        self.c
                            .staff(&mut self.rng, &referrer.agency, "line_manager"),
                    )
                } else {
                    None
                };
                let d = record_data(|| {
                    let grounds = grounds
                        .into_iter()
                        .map(wire)
                        .collect::<Result<Vec<_>, String>>()?;
                    let (approved_by, approval_not_possible_reason) = match &manager {
                        Some(m) => (Some(m.person()?), None),
                        None => (
                            None,
                            Some(text("Out of hours; no manager could be reached in time.")?),
                        ),
                    };
                    Ok(ConsentDispensedWith {
                        consent_id: id,
                        purpose: ConsentPurpose::Referral,
                        grounds: NonEmpty::try_from(grounds)?,
                        reasons: text(
                            "Asking the family first could put the child at greater risk.",
                        )?,
                        approved_by,
                        approval_not_possible_reason,
                    })
                });
                self.emit(&referrer, "consent_dispensed_with", d)?;
                (
                    Ok(record::ReferralConsent::Dispensed {
                        dispensed_consent_id: id,
                    }),
                    None,
                    false,
                )
            }
        };

        // The referral.
        self.wait_minutes(10, 180);
        let referral_id = uuid(&mut self.rng);
        let words = self.theme.words();
        let to = if self.need <= Need::EarlyHelp && chance(&mut self.rng, rates::TO_EARLY_HELP_HUB)
        {
            ReferralTo::EarlyHelpHub
        } else {
            ReferralTo::FrontDoor
        };
        let concerns = some_lines(&mut self.rng, words.concerns, 1, 3, &name);
        let immediate_risk = self.need == Need::Protection && chance(&mut self.rng, 0.4);
        let child_location = if chance(&mut self.rng, 0.5) {
            Some(
                *one(
                    &mut self.rng,
                    &[
                        "at school",
                        "at home with mother",
                        "with grandparents",
                        "in hospital",
                        "whereabouts unknown",
                    ],
                )
                .unwrap_or(&"at home"),
            )
        } else {
            None
        };
        let d = record_data(|| {
            Ok(ReferralMade {
                referral_id,
                to,
                concerns: NonEmpty::try_from(texts(concerns)?)?,
                immediate_risk,
                child_location: child_location.map(text).transpose()?,
                family_aware,
                consent: consent?,
                source: Some(wire(&source)?),
            })
        });
        let made_at = self.t;
        let referral_event = self.emit(&referrer, "referral_made", d.clone())?;
        if chance(&mut self.rng, 0.03) {
            // The census source was keyed wrongly and put right the same day.
            let at = office_minutes_later(&mut self.rng, self.t, 60, 8 * 60);
            let data = record_data(|| {
                let mut corrected = d?;
                corrected.source = Some(wire(if source == "8" { "10" } else { "8" })?);
                Ok(RecordCorrected {
                    corrects_event_id: referral_event,
                    reason: text("Referral source keyed wrongly.")?,
                    corrected_data: Some(
                        serde_json::to_value(corrected).map_err(|e| e.to_string())?,
                    ),
                    retract: None,
                })
            });
            self.emit_at(at, &referrer, "record_corrected", data, false);
        }
        // Told afterwards that the referral was made without their consent.
        let mut tell_family_late = false;
        if refused_proceeding {
            let r = self.rng.random::<f64>();
            if r < rates::FAMILY_TOLD_PROMPTLY {
                self.wait_minutes(30, 300);
                let how =
                    *one(&mut self.rng, &["phone call", "face to face"]).unwrap_or(&"phone call");
                let data = record_data(|| {
                    Ok(FamilyInformed {
                        about_event_id: referral_event,
                        how: text(how)?,
                        by: referrer.person()?,
                    })
                });
                self.emit(&referrer, "family_informed", data)?;
            } else if r < rates::FAMILY_TOLD_PROMPTLY + rates::FAMILY_TOLD_LATE {
                tell_family_late = true;
            }
        }
        if chance(&mut self.rng, rates::INFORMATION_SHARED_ON_REFERRAL) {
            self.wait_minutes(5, 120);
            let shared_with = [self.c.front_door.clone(), self.c.community_health()];
            let d = record_data(|| {
                let without_consent_reason = match consent_id {
                    Some(_) => None,
                    None => Some(text(
                        "Shared to safeguard the child; consent was refused or asking would increase the risk.",
                    )?),
                };
                Ok(InformationShared {
                    purpose: text("referral")?,
                    shared_with: NonEmpty::try_from(texts(shared_with)?)?,
                    what: text(
                        "Attendance, health history and the worries recorded in our conversations.",
                    )?,
                    consent_id,
                    without_consent_reason,
                })
            });
            self.emit(&referrer, "information_shared", d)?;
        }

        // The front door.
        let fd = self.c.front_door_manager(&mut self.rng);
        if chance(&mut self.rng, rates::SCREENING_RECORDED) {
            self.wait_minutes(30, 240);
            let level = self.level_for_need();
            let started = self.t;
            self.assess(&fd, AssessmentKind::Screening, level, started)?;
        }
        let weights = rates::decision_weights(self.need, self.exploitation);
        let table: Vec<(usize, u32)> = weights.iter().copied().enumerate().collect();
        let decision = *pick(&mut self.rng, &table).unwrap_or(&0);
        let on_time = chance(&mut self.rng, rates::DECIDED_WITHIN_A_WORKING_DAY);
        self.t = decision_time(&mut self.rng, made_at, on_time).max(self.t + Duration::minutes(5));
        let s = self.c.scale;
        let decided_level = match decision {
            0 | 1 => s.universal,
            2 => s.early,
            3 => s.targeted,
            4 => s.cin,
            _ => s.cp,
        };
        let rationale = self.decision_rationale(decision);
        let primary_need = if decision >= 2 {
            Some(words.primary_need)
        } else if chance(&mut self.rng, 0.5) {
            Some("N9")
        } else {
            None
        };
        let told_in_decision = chance(&mut self.rng, rates::REFERRER_TOLD_IN_DECISION);
        let d = record_data(|| {
            Ok(ReferralDecided {
                referral_id,
                decision: DECISIONS
                    .get(decision)
                    .copied()
                    .unwrap_or(ReferralDecision::NoFurtherAction),
                decided_level,
                rationale: text(rationale)?,
                primary_need: primary_need.map(wire).transpose()?,
                referrer_informed: if told_in_decision {
                    Some(How {
                        how: text("secure email")?,
                    })
                } else {
                    None
                },
            })
        });
        let decided_event = self.emit(&fd, "referral_decided", d)?;
        if !told_in_decision {
            let r = self.rng.random::<f64>();
            if r < rates::REFERRER_TOLD_PROMPTLY + rates::REFERRER_TOLD_LATE {
                if r < rates::REFERRER_TOLD_PROMPTLY {
                    self.wait_minutes(30, 300);
                } else {
                    self.wait_days(3, 10);
                }
                let data = record_data(|| {
                    Ok(ReferrerInformed {
                        referral_id,
                        how: text("phone call")?,
                    })
                });
                self.emit(&fd, "referrer_informed", data)?;
            }
        }
        if tell_family_late {
            self.wait_days(3, 12);
            let data = record_data(|| {
                Ok(FamilyInformed {
                    about_event_id: referral_event,
                    how: text("letter")?,
                    by: referrer.person()?,
                })
            });
            self.emit(&referrer, "family_informed", data)?;
        }

        // A referrer who thinks the threshold was set too high says so.
        let low = decision <= 1;
        let p = if low && self.need > Need::Universal {
            rates::DISPUTE_LOW_DECISION
        } else {
            rates::DISPUTE_OTHERWISE
        };
        let mut changed = None;
        if chance(&mut self.rng, p) {
            changed = self.dispute(decided_event, &referrer, &fd)?;
        }

        self.after_decision(decision, &referrer, referral_id, changed)
    }

    fn level_for_need(&self) -> Level {
        let s = self.c.scale;
        match self.need {
            Need::Universal => s.universal,
            Need::EarlyHelp => s.early,
            Need::Targeted => s.targeted,
            Need::Section17 => s.cin,
            Need::Protection => s.cp,
        }
    }

    fn decision_rationale(&self, decision: usize) -> String {
        let f = self.c.framework;
        match decision {
            0 => "The information does not indicate needs beyond universal services.".into(),
            1 => "Universal services can meet the need; the referrer was given advice and details of local support.".into(),
            2 => format!("Needs fit {}: early help with the family's consent.", f.describe(self.c.scale.early)),
            3 => format!("Complex needs: {}.", f.describe(self.c.scale.targeted)),
            4 => "The child may be in need: a social work assessment under section 17.".into(),
            5 => "Reasonable cause to suspect significant harm: a strategy discussion is needed.".into(),
            _ => "Immediate risk: the child's safety must be secured today.".into(),
        }
    }

    fn after_decision(
        &mut self,
        decision: usize,
        referrer: &Staff,
        referral: Uuid,
        changed: Option<Uuid>,
    ) -> Flow {
        if let Some(disagreement) = changed {
            // The decision is changed: early help (or more) after all.
            let fd = self.c.front_door_manager(&mut self.rng);
            self.reopen_if_closed(
                &fd,
                "Reopened after a professional disagreement changed the decision.",
            )?;
            let target = if decision <= 1 {
                self.c.scale.early
            } else {
                self.c.scale.targeted
            };
            if self.level == target {
                return Some(());
            }
            let reasons = [(
                StepReasonKind::Other,
                "Decision changed after a professional disagreement.".to_owned(),
            )];
            let step = self.step(target, &fd, &reasons, None, None)?;
            self.resolve_changed(disagreement, step)?;
            return if target == self.c.scale.early {
                let lead = self.c.early_help_worker(&mut self.rng, &self.loc.clone());
                self.early_help(&lead)
            } else {
                self.targeted()
            };
        }
        match decision {
            0 | 1 => {
                if decision == 1 && chance(&mut self.rng, 0.3) {
                    self.wait_days(1, 7);
                    let parent = self.parent();
                    self.conversation(
                        referrer,
                        ConversationKind::WithFamily,
                        vec![kin(parent)],
                        Some(referral),
                        None,
                    )?;
                }
                if chance(&mut self.rng, rates::CLOSED_AFTER_NO_ACTION) {
                    let fd = self.c.front_door_worker(&mut self.rng);
                    self.close(
                        &fd,
                        "No further action after the referral was screened.",
                        None,
                    )?;
                }
                Some(())
            }
            2 => {
                self.wait_days(1, 10);
                let lead = self.c.early_help_worker(&mut self.rng, &self.loc.clone());
                self.early_help(&lead)
            }
            3 => self.targeted(),
            4 => self.child_in_need(),
            5 => self.protection(false),
            _ => self.protection(true),
        }
    }

    // --- Support --------------------------------------------------------------------------

    /// Early help at tier 2, led by `lead`: consent, assessment, step, plan, services,
    /// reviews, and an ending.
    fn early_help(&mut self, lead: &Staff) -> Flow {
        self.reopen_if_closed(lead, "The family asked for early help.")?;
        let purpose = if self.c.framework.name() == "norfolk" && chance(&mut self.rng, 0.5) {
            ConsentPurpose::FamilySupportProcess
        } else {
            ConsentPurpose::EarlyHelp
        };
        let (cid, from) = self.seek(lead, purpose, "What early help is, who would be involved and what they would share; that the family can say no or change their mind.")?;
        if !chance(&mut self.rng, rates::EARLY_HELP_CONSENT_GIVEN) {
            self.refuse(lead, cid, from)?;
            if self.level > self.c.scale.universal {
                self.wait_days(1, 5);
                let reasons = [(
                    StepReasonKind::ConsentRefused,
                    "The family declined early help.".to_owned(),
                )];
                self.move_to(self.c.scale.universal, lead, &reasons, None, None)?;
            }
            return Some(());
        }
        let agencies = vec![lead.agency.clone(), self.c.community_health()];
        self.give(lead, cid, from, agencies)?;
        self.wait_days(3, 20);
        let started = self.t - Duration::days(self.rng.random_range(5..20));
        let assessment = self.assess(
            lead,
            AssessmentKind::EarlyHelpAssessment,
            self.c.scale.early,
            started,
        )?;
        self.wait_minutes(30, 600);
        let reasons = [(
            StepReasonKind::Assessment,
            "The early help assessment identified needs for coordinated support.".to_owned(),
        )];
        self.move_to(
            self.c.scale.early,
            lead,
            &reasons,
            Some(assessment),
            Some(cid),
        )?;
        self.early_help_plan(lead, Some(cid))
    }

    /// The plan part of early help (also used after a step down from higher tiers).
    fn early_help_plan(&mut self, lead: &Staff, consent: Option<Uuid>) -> Flow {
        let (plan, mut due) = self.start_plan(lead, PlanKind::EarlyHelpPlan, (6, 8), None)?;
        let team = format!("{} early help team", self.loc.name);
        let chosen_with_family = chance(&mut self.rng, 0.7);
        let data = lead_worker_assigned(lead, team, Some(chosen_with_family), plan);
        self.emit(lead, "lead_worker_assigned", data)?;
        let n = self.rng.random_range_u64(1, 3);
        for _ in 0..n {
            self.wait_minutes(30, 60 * 48);
            let provider = if chance(&mut self.rng, 0.5) {
                self.c.early_help(&self.loc)
            } else {
                self.c.voluntary(&self.loc)
            };
            self.start_service(lead, &provider)?;
        }
        if chance(&mut self.rng, 0.5) {
            self.wait_days(7, 30);
            let others = vec![kin(self.mother()), self.universal_practitioner().party()];
            self.conversation(
                lead,
                ConversationKind::TeamAroundTheFamily,
                others,
                None,
                None,
            )?;
        }
        let reviews = self.rng.random_range_u64(1, 4);
        for _ in 0..reviews {
            if let Some(c) = consent
                && chance(&mut self.rng, rates::EARLY_HELP_CONSENT_WITHDRAWN)
            {
                self.wait_days(5, 30);
                let from = self.parent();
                let data = record_data(|| {
                    Ok(ConsentWithdrawn {
                        consent_id: c,
                        withdrawn_by: from?,
                        note: Some(text("The family no longer wants early help.")?),
                    })
                });
                self.emit(lead, "consent_withdrawn", data)?;
                self.end_plan(plan, lead, PlanEndReason::Other)?;
                self.end_services(lead, "The family withdrew consent.", Some(plan))?;
                let reasons = [(
                    StepReasonKind::Other,
                    "The family withdrew their consent to early help.".to_owned(),
                )];
                self.move_to(self.c.scale.universal, lead, &reasons, None, None)?;
                return self.close(lead, "The family withdrew from early help.", None);
            }
            due = self.review_plan(plan, lead, due, (6, 8))?;
        }
        if chance(&mut self.rng, rates::EARLY_HELP_WORKS) || self.referrals >= MAX_REFERRALS {
            self.wait_days(3, 20);
            self.end_plan(plan, lead, PlanEndReason::NeedsMet)?;
            self.end_services(lead, "Outcomes achieved.", Some(plan))?;
            let reasons = [(
                StepReasonKind::NeedsMet,
                "The early help plan's outcomes were achieved.".to_owned(),
            )];
            self.move_to(self.c.scale.universal, lead, &reasons, None, None)?;
            if chance(&mut self.rng, 0.75) {
                self.close(lead, "Early help outcomes achieved.", None)?;
            }
            Some(())
        } else {
            // Not working: back to the front door.
            self.wait_days(3, 15);
            self.end_plan(plan, lead, PlanEndReason::SteppedUp)?;
            if self.need < Need::Section17 {
                self.need = Need::Targeted;
            }
            self.referral(Some("5D"))
        }
    }

    /// Targeted support at tier 3 without a statutory basis (Family Focus, Targeted Early Help).
    fn targeted(&mut self) -> Flow {
        let fd = self.c.front_door_manager(&mut self.rng);
        self.reopen_if_closed(&fd, "Reopened for targeted support.")?;
        let practitioner = self.c.staff(
            &mut self.rng,
            &self.c.early_help(&self.loc),
            "family_practitioner",
        );
        self.wait_days(1, 7);
        let (cid, from) = self.seek(
            &practitioner,
            ConsentPurpose::Service,
            "What targeted family support involves and what will be shared with whom.",
        )?;
        if !chance(&mut self.rng, rates::EARLY_HELP_CONSENT_GIVEN) {
            self.refuse(&practitioner, cid, from)?;
            return self.close(
                &practitioner,
                "The family declined targeted support; advice given.",
                None,
            );
        }
        self.give(&practitioner, cid, from, vec![practitioner.agency.clone()])?;
        let reasons = [(
            StepReasonKind::Indicators,
            "Complex needs across several areas of the child's life.".to_owned(),
        )];
        self.move_to(self.c.scale.targeted, &fd, &reasons, None, Some(cid))?;
        self.wait_days(5, 25);
        let started = self.t - Duration::days(self.rng.random_range(7..25));
        self.assess(
            &practitioner,
            AssessmentKind::FamilySupportAssessment,
            self.c.scale.targeted,
            started,
        )?;
        let (plan, mut due) =
            self.start_plan(&practitioner, PlanKind::FamilySupportPlan, (6, 10), None)?;
        let team = format!("{} family support team", self.loc.name);
        let chosen_with_family = chance(&mut self.rng, 0.6);
        let data = lead_worker_assigned(&practitioner, team, Some(chosen_with_family), plan);
        self.emit(&practitioner, "lead_worker_assigned", data)?;
        for _ in 0..self.rng.random_range_u64(1, 3) {
            self.wait_minutes(30, 60 * 72);
            let provider = self.c.early_help(&self.loc);
            self.start_service(&practitioner, &provider)?;
        }
        for _ in 0..self.rng.random_range_u64(1, 4) {
            due = self.review_plan(plan, &practitioner, due, (6, 10))?;
        }
        let r = self.rng.random::<f64>();
        if r < 0.7 {
            self.end_plan(plan, &practitioner, PlanEndReason::SteppedDown)?;
            let reasons = [(
                StepReasonKind::NeedsMet,
                "Targeted support achieved its outcomes.".to_owned(),
            )];
            self.move_to(self.c.scale.early, &practitioner, &reasons, None, None)?;
            self.wait_days(20, 60);
            self.end_services(&practitioner, "No longer needed.", Some(plan))?;
            let reasons = [(
                StepReasonKind::NeedsMet,
                "Universal services can meet the remaining needs.".to_owned(),
            )];
            self.move_to(self.c.scale.universal, &practitioner, &reasons, None, None)?;
            self.close(&practitioner, "Needs met by targeted support.", None)
        } else if r < 0.85 {
            self.end_plan(plan, &practitioner, PlanEndReason::SteppedUp)?;
            self.need = Need::Section17;
            self.child_in_need()
        } else {
            Some(())
        }
    }

    /// A child in need assessment under section 17 and what it leads to.
    fn child_in_need(&mut self) -> Flow {
        let fd = self.c.front_door_manager(&mut self.rng);
        self.reopen_if_closed(&fd, "Reopened for a social work assessment.")?;
        let sw = self.c.social_worker(&mut self.rng);
        self.wait_days(0, 3);
        let (cid, from) = self.seek(&sw, ConsentPurpose::Assessment, "What a child and family assessment is, who will be spoken to, and what will be shared.")?;
        if !chance(&mut self.rng, rates::ASSESSMENT_CONSENT_GIVEN) {
            self.refuse(&sw, cid, from)?;
            let parent = self.parent();
            self.conversation(
                &sw,
                ConversationKind::WithFamily,
                vec![kin(parent)],
                None,
                None,
            )?;
            return self.close(
                &sw,
                "The family declined an assessment; no grounds to proceed without consent.",
                // No assessment took place, so not RC8 ("closed after assessment").
                Some(ClosureReason::RC7),
            );
        }
        self.give(
            &sw,
            cid,
            from,
            vec![sw.agency.clone(), self.c.community_health()],
        )?;
        let reasons = [(
            StepReasonKind::Assessment,
            "A social work assessment under section 17 is needed.".to_owned(),
        )];
        self.move_to(self.c.scale.cin, &fd, &reasons, None, Some(cid))?;
        let started = self.t;
        self.wait_days(2, 10);
        let child = self.child();
        let kind = if self.age() >= 3 {
            ConversationKind::WithChild
        } else {
            ConversationKind::WithFamily
        };
        let others = if kind == ConversationKind::WithChild {
            vec![kin(child)]
        } else {
            vec![kin(self.mother())]
        };
        self.conversation(&sw, kind, others, None, None)?;
        self.wait_days(2, 10);
        let parents = vec![kin(self.mother()), kin(self.father())];
        self.conversation(&sw, ConversationKind::WithFamily, parents, None, None)?;
        if chance(&mut self.rng, rates::ASSESSMENT_WITHIN_45_DAYS) {
            self.wait_working_days(10, 40);
        } else {
            self.wait_working_days(46, 70);
        }
        let outcome = self.rng.random::<f64>();
        let decided = if outcome < rates::CIN_PLAN {
            self.c.scale.cin
        } else if outcome < rates::CIN_PLAN + rates::CIN_TO_STRATEGY {
            self.c.scale.cp
        } else if outcome < rates::CIN_PLAN + rates::CIN_TO_STRATEGY + rates::CIN_TO_EARLY_HELP {
            self.c.scale.early
        } else {
            self.c.scale.universal
        };
        let assessment = self.assess(&sw, AssessmentKind::SingleAssessment, decided, started)?;
        if decided == self.c.scale.cin {
            self.cin_plan(&sw)
        } else if decided == self.c.scale.cp {
            self.need = Need::Protection;
            self.protection(false)
        } else if decided == self.c.scale.early {
            let reasons = [(
                StepReasonKind::Assessment,
                "The assessment found early help can meet the needs.".to_owned(),
            )];
            self.move_to(self.c.scale.early, &fd, &reasons, Some(assessment), None)?;
            let lead = self.c.early_help_worker(&mut self.rng, &self.loc.clone());
            self.wait_days(3, 15);
            self.early_help_plan(&lead, None)
        } else {
            self.close(
                &sw,
                "Assessment completed: no further action.",
                Some(ClosureReason::RC8),
            )
        }
    }

    /// A child in need plan, its reviews and its ending.
    fn cin_plan(&mut self, sw: &Staff) -> Flow {
        let fd = self.c.front_door_manager(&mut self.rng);
        let reasons = [(
            StepReasonKind::Assessment,
            "Assessed as a child in need.".to_owned(),
        )];
        self.move_to(self.c.scale.cin, &fd, &reasons, None, None)?;
        self.wait_days(1, 10);
        let (plan, mut due) = self.start_plan(sw, PlanKind::ChildInNeedPlan, (10, 13), None)?;
        let team = format!("{} children in need team", self.loc.name);
        self.emit(
            sw,
            "lead_worker_assigned",
            lead_worker_assigned(sw, team, None, plan),
        )?;
        for _ in 0..self.rng.random_range_u64(1, 3) {
            self.wait_minutes(60, 60 * 96);
            let provider = if chance(&mut self.rng, 0.5) {
                self.c.children_services()
            } else {
                self.c.voluntary(&self.loc)
            };
            self.start_service(sw, &provider)?;
        }
        for _ in 0..self.rng.random_range_u64(1, 4) {
            due = self.review_plan(plan, sw, due, (10, 13))?;
        }
        self.wait_days(3, 15);
        let r = self.rng.random::<f64>();
        let s = self.c.scale;
        if r < 0.4 && s.targeted.tier == s.cin.tier {
            // Within one tier a step down needs the family's consent.
            let (cid, from) = self.seek(
                sw,
                ConsentPurpose::StepDown,
                "Stepping down from a social worker to targeted family support.",
            )?;
            if chance(&mut self.rng, rates::STEP_DOWN_CONSENT_GIVEN) {
                self.give(sw, cid, from, vec![self.c.early_help(&self.loc)])?;
                self.end_plan(plan, sw, PlanEndReason::SteppedDown)?;
                let reasons = [(
                    StepReasonKind::NeedsMet,
                    "The child in need plan's outcomes were achieved.".to_owned(),
                )];
                self.move_to(s.targeted, &fd, &reasons, None, Some(cid))?;
                self.wait_days(30, 90);
                self.end_services(sw, "Support no longer needed.", Some(plan))?;
                let reasons = [(
                    StepReasonKind::NeedsMet,
                    "Targeted support no longer needed.".to_owned(),
                )];
                self.move_to(s.universal, &fd, &reasons, None, None)?;
                return self.close(
                    sw,
                    "Needs met after a period of targeted support.",
                    Some(ClosureReason::RC7),
                );
            }
            self.refuse(sw, cid, from)?;
            self.end_plan(plan, sw, PlanEndReason::NeedsMet)?;
            return self.close(
                sw,
                "Plan outcomes met; the family did not want further support.",
                Some(ClosureReason::RC7),
            );
        }
        if r < 0.8 {
            self.end_plan(plan, sw, PlanEndReason::SteppedDown)?;
            let reasons = [(
                StepReasonKind::NeedsMet,
                "Needs can be met by early help.".to_owned(),
            )];
            self.move_to(s.early, &fd, &reasons, None, None)?;
            let lead = self.c.early_help_worker(&mut self.rng, &self.loc.clone());
            self.wait_days(3, 15);
            return self.early_help_plan(&lead, None);
        }
        self.end_plan(plan, sw, PlanEndReason::NeedsMet)?;
        self.close(
            sw,
            "Child in need plan ended: needs met.",
            Some(ClosureReason::RC7),
        )
    }

    /// A strategy discussion and, if it decides on one, a section 47 enquiry, conference and
    /// child protection plan.
    fn protection(&mut self, immediate: bool) -> Flow {
        let fd = self.c.front_door_manager(&mut self.rng);
        self.reopen_if_closed(&fd, "Reopened: concerns of significant harm.")?;
        let sw = self.c.social_worker(&mut self.rng);
        let police = self.c.police_officer(&mut self.rng);
        let health = self.c.staff(
            &mut self.rng,
            &self.c.community_health(),
            "named_nurse_safeguarding",
        );
        // Held the same day or the next working day.
        self.wait_working_days(0, 1);
        let r = self.rng.random::<f64>();
        let decision = if immediate || r < rates::STRATEGY_IMMEDIATE {
            StrategyDecision::ImmediateProtection
        } else if r < rates::STRATEGY_IMMEDIATE + rates::STRATEGY_SECTION_47 {
            StrategyDecision::Section47Enquiry
        } else {
            StrategyDecision::NoSection47
        };
        let sd = uuid(&mut self.rng);
        let rationale = match decision {
            StrategyDecision::NoSection47 => {
                "Threshold for a section 47 enquiry not met; a child in need assessment instead."
            }
            StrategyDecision::ImmediateProtection => {
                "The child cannot safely stay at home tonight."
            }
            StrategyDecision::Section47Enquiry => "Reasonable cause to suspect significant harm.",
        };
        let data = strategy_discussion(sd, &[&sw, &police, &health], decision, rationale);
        self.emit(&fd, "strategy_discussion_held", data)?;
        let sd_date = self.t.date_naive();
        let s = self.c.scale;
        if decision == StrategyDecision::NoSection47 {
            self.need = Need::Section17;
            return self.child_in_need();
        }
        let reasons = [(
            if immediate {
                StepReasonKind::Incident
            } else {
                StepReasonKind::Disclosure
            },
            "A strategy discussion found reasonable cause to suspect significant harm.".to_owned(),
        )];
        self.move_to(s.cp, &fd, &reasons, None, None)?;
        let sd = if decision == StrategyDecision::ImmediateProtection {
            // The child is safe tonight; the next working day a second discussion starts the enquiry.
            self.wait_working_days(1, 1);
            let sd2 = uuid(&mut self.rng);
            let data = strategy_discussion(
                sd2,
                &[&sw, &police],
                StrategyDecision::Section47Enquiry,
                "Child now safe with relatives; enquiries to continue under section 47.",
            );
            self.emit(&fd, "strategy_discussion_held", data)?;
            sd2
        } else {
            sd
        };
        self.wait_minutes(30, 300);
        let enquiry = uuid(&mut self.rng);
        let data = record_data(|| {
            Ok(Section47EnquiryStarted {
                enquiry_id: enquiry,
                strategy_discussion_id: sd,
                lead: sw.person()?,
            })
        });
        self.emit(&fd, "section_47_enquiry_started", data)?;
        if chance(&mut self.rng, 0.6) {
            self.wait_minutes(30, 600);
            let shared_with = [self.c.police(), self.c.community_health()];
            let data = record_data(|| {
                Ok(InformationShared {
                    purpose: text("section 47 enquiry")?,
                    shared_with: NonEmpty::try_from(texts(shared_with)?)?,
                    what: text(
                        "Records of previous concerns, the child's health history and school attendance.",
                    )?,
                    consent_id: None,
                    without_consent_reason: Some(text(
                        "Shared to protect the child from significant harm during a section 47 enquiry.",
                    )?),
                })
            });
            self.emit(&sw, "information_shared", data)?;
        }
        if chance(&mut self.rng, rates::INFORMATION_WITHHELD) {
            let review = self.t.date_naive() + Days::new(28);
            let data = record_data(|| {
                Ok(InformationWithheld {
                    what: text(
                        "The details of the police investigation and the account given in interview.",
                    )?,
                    withheld_from: text("family")?,
                    reason: text("Sharing now would undermine the criminal investigation.")?,
                    requested_by: Some(police.person()?),
                    review_by: Some(review),
                })
            });
            self.emit(&sw, "information_withheld", data)?;
        }
        self.wait_days(0, 3);
        if self.age() >= 3 {
            let child = self.child();
            self.conversation(
                &sw,
                ConversationKind::WithChild,
                vec![kin(child)],
                None,
                None,
            )?;
        }
        let started = self.t;
        self.wait_working_days(5, 12);
        let r = self.rng.random::<f64>();
        let outcome = if r < rates::ENQUIRY_CONFERENCE {
            EnquiryOutcome::ConferenceNeeded
        } else if r < rates::ENQUIRY_CONFERENCE + rates::ENQUIRY_SUBSTANTIATED {
            EnquiryOutcome::SubstantiatedNoConference
        } else {
            EnquiryOutcome::NotSubstantiated
        };
        let decided = match outcome {
            EnquiryOutcome::NotSubstantiated => s.early,
            EnquiryOutcome::SubstantiatedNoConference => s.cin,
            EnquiryOutcome::ConferenceNeeded => s.cp,
        };
        let assessment = self.assess(&sw, AssessmentKind::Section47Assessment, decided, started)?;
        self.wait_minutes(60, 600);
        let rationale = match outcome {
            EnquiryOutcome::ConferenceNeeded => {
                "Concerns substantiated and the child is likely to suffer significant harm: an initial conference is needed."
            }
            EnquiryOutcome::SubstantiatedNoConference => {
                "Concerns substantiated, but the family is working with us: a child in need plan can keep the child safe."
            }
            EnquiryOutcome::NotSubstantiated => "Concerns not substantiated.",
        };
        let data = record_data(|| {
            Ok(Section47EnquiryConcluded {
                enquiry_id: enquiry,
                outcome,
                rationale: text(rationale)?,
            })
        });
        self.emit(&fd, "section_47_enquiry_concluded", data)?;
        match outcome {
            EnquiryOutcome::NotSubstantiated => {
                if chance(&mut self.rng, 0.4) {
                    let reasons = [(
                        StepReasonKind::Assessment,
                        "Enquiry concluded: early help offered.".to_owned(),
                    )];
                    self.move_to(s.early, &fd, &reasons, Some(assessment), None)?;
                    let lead = self.c.early_help_worker(&mut self.rng, &self.loc.clone());
                    self.wait_days(3, 15);
                    self.early_help_plan(&lead, None)
                } else {
                    // Not RC8: the census keeps RC8 and RC9 for cases closed after an
                    // assessment with no section 47, CIN or CP plan activity.
                    self.close(
                        &sw,
                        "Section 47 enquiry: concerns not substantiated.",
                        Some(ClosureReason::RC7),
                    )
                }
            }
            EnquiryOutcome::SubstantiatedNoConference => {
                let reasons = [(
                    StepReasonKind::Assessment,
                    "Harm substantiated; a child in need plan will keep the child safe.".to_owned(),
                )];
                self.move_to(s.cin, &fd, &reasons, Some(assessment), None)?;
                self.cin_plan(&sw)
            }
            EnquiryOutcome::ConferenceNeeded => self.conference(&sw, &fd, sd_date),
        }
    }

    /// The initial child protection conference and any plan it starts, with its reviews.
    fn conference(&mut self, sw: &Staff, fd: &Staff, sd_date: NaiveDate) -> Flow {
        let within = chance(&mut self.rng, rates::CONFERENCE_WITHIN_15_DAYS);
        let days = if within {
            self.rng.random_range(10..=15)
        } else {
            self.rng.random_range(16..=25)
        };
        let date = domain::calendar::add_working_days(sd_date, days);
        let at = office_hours(&mut self.rng, date);
        // A conference sits on a working day (a census rule that encodes practice), so a
        // late one moves to the next office hours rather than into a weekend.
        self.t = if at > self.t {
            at
        } else {
            office_minutes_later(&mut self.rng, self.t, 60, 300)
        };
        self.births();
        let chair = self.c.conference_chair(&mut self.rng);
        let attendees = vec![
            self.c.police(),
            self.c.community_health(),
            self.c.children_services(),
            self.universal_practitioner().agency,
        ];
        let category = self.theme.words().category;
        let plan_started = chance(&mut self.rng, rates::CONFERENCE_STARTS_PLAN);
        let plan_id = uuid(&mut self.rng);
        let conference_id = uuid(&mut self.rng);
        let child_voice = self.child_voice(ConversationKind::TeamAroundTheFamily);
        let d = record_data(|| {
            Ok(ChildProtectionConferenceHeld {
                conference_id,
                kind: ConferenceKind::Initial,
                chair: chair.person()?,
                attendees: NonEmpty::try_from(texts(attendees)?)?,
                outcome: if plan_started {
                    ConferenceOutcome::PlanStarted
                } else {
                    ConferenceOutcome::NoPlan
                },
                plan_id: plan_started.then_some(plan_id),
                category: if plan_started {
                    Some(wire(category)?)
                } else {
                    None
                },
                child_voice: child_voice.transpose()?,
            })
        });
        let conference = self.emit(fd, "child_protection_conference_held", d)?;
        let s = self.c.scale;
        if !plan_started {
            if chance(&mut self.rng, 0.15) {
                let health = self.c.staff(
                    &mut self.rng,
                    &self.c.community_health(),
                    "named_nurse_safeguarding",
                );
                if let Some(changed) = self.dispute(conference, &health, &chair)? {
                    // Reconvened: the plan starts after all.
                    let conference_id = uuid(&mut self.rng);
                    let attendees = [self.c.police(), self.c.community_health()];
                    let data = record_data(|| {
                        Ok(ChildProtectionConferenceHeld {
                            conference_id,
                            kind: ConferenceKind::Initial,
                            chair: chair.person()?,
                            attendees: NonEmpty::try_from(texts(attendees)?)?,
                            outcome: ConferenceOutcome::PlanStarted,
                            plan_id: Some(plan_id),
                            category: Some(wire(category)?),
                            child_voice: None,
                        })
                    });
                    let step = self.emit(fd, "child_protection_conference_held", data)?;
                    self.resolve_changed(changed, step)?;
                    return self.cp_plan(sw, fd, plan_id, category);
                }
            }
            let reasons = [(
                StepReasonKind::Assessment,
                "The conference decided no plan was needed; support under section 17.".to_owned(),
            )];
            self.move_to(s.cin, fd, &reasons, None, None)?;
            return self.cin_plan(sw);
        }
        self.cp_plan(sw, fd, plan_id, category)
    }

    fn cp_plan(&mut self, sw: &Staff, fd: &Staff, plan_id: Uuid, category: &str) -> Flow {
        // A child protection plan starts on the day of the conference that decided it.
        let conference = self.t;
        self.wait_minutes(30, 240);
        if self.t.date_naive() != conference.date_naive() {
            self.t = conference + chrono::Duration::minutes(1);
        }
        let review_by = self.t.date_naive() + Days::new(90);
        let actions = self.actions(sw, 4);
        let d = record_data(|| {
            Ok(PlanStarted {
                plan_id,
                kind: PlanKind::ChildProtectionPlan,
                lead: sw.person()?,
                review_by,
                actions: Some(actions?),
                category: Some(wire(category)?),
            })
        });
        self.emit(sw, "plan_started", d)?;
        self.statutory_work = true;
        self.open_plans.push(plan_id);
        let team = format!("{} child protection team", self.loc.name);
        self.emit(
            sw,
            "lead_worker_assigned",
            lead_worker_assigned(sw, team, None, plan_id),
        )?;
        for _ in 0..self.rng.random_range_u64(1, 3) {
            self.wait_minutes(60, 60 * 72);
            let provider = self.c.children_services();
            self.start_service(sw, &provider)?;
        }
        let mut due = review_by;
        loop {
            due = self.review_plan(plan_id, sw, due, (24, 26))?;
            let chair = self.c.conference_chair(&mut self.rng);
            let ends = chance(&mut self.rng, rates::REVIEW_ENDS_PLAN);
            self.wait_minutes(30, 120);
            let conference_id = uuid(&mut self.rng);
            let attendees = [
                self.c.police(),
                self.c.community_health(),
                self.c.children_services(),
            ];
            let data = record_data(|| {
                Ok(ChildProtectionConferenceHeld {
                    conference_id,
                    kind: ConferenceKind::Review,
                    chair: chair.person()?,
                    attendees: NonEmpty::try_from(texts(attendees)?)?,
                    outcome: if ends {
                        ConferenceOutcome::PlanEnded
                    } else {
                        ConferenceOutcome::PlanContinued
                    },
                    plan_id: Some(plan_id),
                    category: None,
                    child_voice: None,
                })
            });
            self.emit(fd, "child_protection_conference_held", data)?;
            if ends {
                break;
            }
        }
        self.end_plan(plan_id, sw, PlanEndReason::SteppedDown)?;
        let reasons = [(
            StepReasonKind::NeedsMet,
            "The review conference ended the child protection plan.".to_owned(),
        )];
        self.move_to(self.c.scale.cin, fd, &reasons, None, None)?;
        self.cin_plan(sw)
    }
}

/// A `lead_worker_assigned` naming `lead` and their team for `plan`.
fn lead_worker_assigned(
    lead: &Staff,
    team: String,
    chosen_with_family: Option<bool>,
    plan: Uuid,
) -> Result<LeadWorkerAssigned, String> {
    Ok(LeadWorkerAssigned {
        lead_worker: lead.person()?,
        team: Some(text(team)?),
        chosen_with_family,
        plan_id: Some(plan),
    })
}

/// A `strategy_discussion_held` with these practitioners taking part.
fn strategy_discussion(
    id: Uuid,
    participants: &[&Staff],
    decision: StrategyDecision,
    rationale: &str,
) -> Result<StrategyDiscussionHeld, String> {
    let participants = participants
        .iter()
        .map(|p| p.person())
        .collect::<Result<Vec<_>, String>>()?;
    Ok(StrategyDiscussionHeld {
        strategy_discussion_id: id,
        participants: NonEmpty::try_from(participants)?,
        decision,
        rationale: text(rationale)?,
    })
}
