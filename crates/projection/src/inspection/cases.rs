//! One child's record read into the facts the inspection figures count: referrals with their
//! decisions, assessments with their suggestions, conversations, steps, child protection
//! work, plans, obligations' sources, disagreements and recording times, each with the time
//! it happened and the locality the child lived in then.
//!
//! The facts are read from the child's typed record ([`ChildRecord`]): the domain's events,
//! through its upcasters, with corrections and retractions resolved by the domain (a corrected
//! record is read as corrected, a retracted one is not read at all). An event this build
//! cannot read is left out of the record; nothing here panics or refuses.
//!
//! What it deliberately does not do: filter by period or locality (the figures do), or keep
//! anything that identifies the child beyond its id, which never leaves the report module.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::child::{ChildEvent, EventBody};
use domain::framework::Framework;
use domain::level::{Level, Tier};
use domain::record::{ConferenceKind, NeedsAssessed, RecordData};
use domain::shapes::ChildVoice;
use store::StoredEvent;
use uuid::Uuid;

use super::grown::Grown;
use crate::child_record::{ChildRecord, Entry, code};
use crate::disagreements::{self, Disagreement};
use crate::journey::{LevelChange, LevelInterval, lay_out_levels};

/// Everything the figures need from one child.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Case {
    pub child_id: Uuid,
    /// When the child was registered (`occurred_at`); `None` if the registration is not among
    /// the events handed in.
    pub registered_at: Option<DateTime<Utc>>,
    /// The child's locality from each time on, oldest first: the registration's, then each
    /// `child_details_updated` that changes it.
    localities: Vec<(DateTime<Utc>, String)>,
    /// The latest date of birth on record (a correction of the date is the truth, whenever
    /// it was recorded); `None` for an unborn child or one whose date cannot be read.
    pub date_of_birth: Option<NaiveDate>,
    /// The latest details give only an expected date of birth.
    pub unborn: bool,
    pub levels: Vec<LevelInterval>,
    pub referrals: Vec<Referral>,
    pub assessments: Vec<Assessment>,
    pub conversations: Grown<Conversation>,
    pub steps: Vec<StepFact>,
    pub strategy_discussions: Vec<StrategyDiscussion>,
    pub enquiries_started: Vec<DateTime<Utc>>,
    pub conferences: Vec<Conference>,
    pub plans: Vec<Plan>,
    /// Records that leave the family to be told (a referral made despite refusal, a step or
    /// a service change the family was not recorded as told of), with when they happened.
    pub family_to_inform: Vec<(Uuid, DateTime<Utc>)>,
    /// For each record the family was told of, the earliest time they were told. Ordered, so
    /// the same events always give the same saved row.
    pub family_informed: BTreeMap<Uuid, DateTime<Utc>>,
    pub disagreements: Vec<Disagreement>,
    /// The agencies that recorded the child's standing records, each once.
    pub agencies: Vec<Arc<str>>,
    /// Every standing record: (its agency's place in `agencies`, occurred_at, recorded_at).
    /// An index, not the agency's text, and the lists that grow a line per record shared in
    /// chunks ([`Grown`]): the model copies a child's facts each time it extends them while
    /// readers hold the old ones.
    #[serde(with = "super::row_time::recordings")]
    pub recordings: Grown<(u32, DateTime<Utc>, DateTime<Utc>)>,
    /// `occurred_at` of every standing record, for "was this child active in the period".
    #[serde(with = "super::row_time::many")]
    pub activity: Grown<DateTime<Utc>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Referral {
    #[serde(with = "super::row_time")]
    pub made_at: DateTime<Utc>,
    pub made_sequence: u64,
    /// The agency that made the referral (its token's agency).
    pub agency: String,
    /// The census referral source code, if recorded.
    pub source: Option<String>,
    pub consent: ReferralConsent,
    /// The `referral_made` record, which a `family_informed` names.
    pub made_event_id: Uuid,
    pub decision: Option<Decision>,
    /// The earliest time the referrer was told the outcome: the decision itself if it
    /// recorded telling them, else the earliest `referrer_informed`.
    pub referrer_informed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum ReferralConsent {
    Given,
    Dispensed,
    RefusedProceeding,
    /// No consent form this report can read (data of an older shape).
    NotRecorded,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Decision {
    #[serde(with = "super::row_time")]
    pub at: DateTime<Utc>,
    pub decision: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Assessment {
    #[serde(with = "super::row_time")]
    pub at: DateTime<Utc>,
    pub kind: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub decided: Option<Level>,
    pub suggested: Option<Level>,
    /// The stored suggestion was missing (a corrected assessment) and was worked out again
    /// from the framework.
    pub suggestion_recomputed: bool,
    /// Names an indicator (or section 47 indicator) the framework tags `exploitation`.
    pub exploitation: bool,
    pub child_voice_heard: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Conversation {
    #[serde(with = "super::row_time")]
    pub at: DateTime<Utc>,
    pub child_voice_heard: bool,
    /// A `child_voice` that gives only the reason the child was not heard.
    pub child_voice_reason_only: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StepFact {
    #[serde(with = "super::row_time")]
    pub at: DateTime<Utc>,
    pub up: bool,
    /// The tiers stepped from and to, when the record's levels can be read.
    #[serde(default)]
    pub from: Option<u8>,
    #[serde(default)]
    pub to: Option<u8>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StrategyDiscussion {
    #[serde(with = "super::row_time")]
    pub at: DateTime<Utc>,
    pub sequence: u64,
    pub decision: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Conference {
    #[serde(with = "super::row_time")]
    pub at: DateTime<Utc>,
    pub sequence: u64,
    pub initial: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Plan {
    pub kind: Option<String>,
    pub started_at: DateTime<Utc>,
    pub review_by: Option<NaiveDate>,
    /// (when, next review by), oldest first by `occurred_at`.
    pub reviews: Vec<(DateTime<Utc>, Option<NaiveDate>)>,
    pub ended_at: Option<DateTime<Utc>>,
}

const EXPLOITATION: &str = "exploitation";

impl Case {
    /// Reads one child's events (any order; all of the same child).
    pub(crate) fn read(child_id: Uuid, events: &[&StoredEvent], framework: &Framework) -> Case {
        Case::of(&ChildRecord::of(child_id, events), framework)
    }

    /// Reads one child's typed record: the events as they stand after the domain resolved
    /// their corrections, in sequence order (the order the rules were checked in, which is
    /// what "the first decision of a referral" means).
    pub(crate) fn of(record: &ChildRecord, framework: &Framework) -> Case {
        let fold = CaseFold::of(record, framework);
        Arc::try_unwrap(fold.case).unwrap_or_else(|shared| (*shared).clone())
    }

    /// The locality the child lived in at `at`: the latest change at or before it, else the
    /// registration's (a record dated before the registration belongs to where the child was
    /// first known to live).
    pub(crate) fn locality_at(&self, at: DateTime<Utc>) -> Option<&str> {
        self.localities
            .iter()
            .rev()
            .find(|(from, _)| *from <= at)
            .or_else(|| self.localities.first())
            .map(|(_, l)| l.as_str())
    }

    /// The child's level at `at`: the last interval begun at or before it; `None` before the
    /// history begins.
    pub(crate) fn level_at(&self, at: DateTime<Utc>) -> Option<&LevelInterval> {
        self.levels.iter().rev().find(|l| l.from <= at)
    }

    /// The child's age in whole years on `day`; `None` if the date of birth is unknown or
    /// after `day`.
    pub(crate) fn age_on(&self, day: NaiveDate) -> Option<u32> {
        day.years_since(self.date_of_birth?)
    }
}

/// [`Case::of`] kept open: the facts read so far, and what reading further records needs.
///
/// The read model keeps one for each recently touched child, so a child appended to costs
/// its new records, not its whole history: recomputing every touched child from the start
/// was 6% of the server's CPU under single records, about a quarter of the read model's
/// share (docs/BENCHMARKS.md, sixth round). What the new records cannot change is kept; what they can is updated in
/// place: lists ordered by time take each new entry where a stable sort would put it, and
/// the levels are laid out again only when a record sets one. A correction (or a new event
/// an earlier correction names) can change any earlier record, so it reads the whole record
/// again, as do disagreement threads, which are built from the records they name.
/// `extend` after `of` therefore equals `of` of the longer record (a proptest holds it).
#[derive(Debug, Clone)]
pub(crate) struct CaseFold {
    case: Arc<Case>,
    /// How many events of the record's history have been read.
    read: usize,
    referral_index: HashMap<Uuid, usize>,
    plan_index: HashMap<Uuid, usize>,
    /// `referrer_informed` records naming a referral not read (yet).
    referrer_told: Vec<(Uuid, DateTime<Utc>)>,
    born: Option<Born>,
    /// The records that set a level (registrations, steps, closures), ordered by
    /// (`occurred_at`, sequence) ...
    level_changes: Vec<(DateTime<Utc>, u64, Uuid, LevelChange)>,
    /// ... and the earliest record of all, where the levels start without a registration.
    earliest: Option<(DateTime<Utc>, u64, Uuid)>,
    /// Every event a correction in the history names.
    corrected: HashSet<Uuid>,
}

impl CaseFold {
    /// Reads a child's whole record.
    pub(crate) fn of(record: &ChildRecord, framework: &Framework) -> CaseFold {
        let standing = record.standing();
        let entries = ChildRecord::entries(&standing);
        let mut fold = CaseFold {
            case: Arc::new(Case {
                child_id: record.child_id(),
                registered_at: None,
                localities: Vec::new(),
                date_of_birth: None,
                unborn: false,
                levels: Vec::new(),
                referrals: Vec::new(),
                assessments: Vec::new(),
                conversations: Grown::default(),
                steps: Vec::new(),
                strategy_discussions: Vec::new(),
                enquiries_started: Vec::new(),
                conferences: Vec::new(),
                plans: Vec::new(),
                family_to_inform: Vec::new(),
                family_informed: BTreeMap::new(),
                disagreements: disagreements::threads(record, &standing),
                agencies: Vec::new(),
                recordings: Grown::default(),
                activity: Grown::default(),
            }),
            read: record.history().len(),
            referral_index: HashMap::new(),
            plan_index: HashMap::new(),
            referrer_told: Vec::new(),
            born: None,
            level_changes: Vec::new(),
            earliest: None,
            corrected: record
                .history()
                .iter()
                .filter_map(|e| match &e.body {
                    EventBody::Record(RecordData::RecordCorrected(c)) => Some(c.corrects_event_id),
                    _ => None,
                })
                .collect(),
        };
        fold.read_entries(entries, framework);
        fold
    }

    /// The facts as read so far (shared with the read model; the next `extend` copies them
    /// if the model still holds them).
    pub(crate) fn case(&self) -> Arc<Case> {
        self.case.clone()
    }

    /// Reads the events `record` gained since this fold last read it. `record` must be the
    /// record this fold read, grown; anything else is read from the start.
    pub(crate) fn extend(&mut self, record: &ChildRecord, framework: &Framework) {
        let history = record.history();
        let Some(new) = history.get(self.read..) else {
            *self = CaseFold::of(record, framework);
            return;
        };
        if new.is_empty() {
            return;
        }
        if self.case.child_id != record.child_id() || self.changes_what_was_read(new) {
            *self = CaseFold::of(record, framework);
            return;
        }
        let disagreement = new.iter().any(disagreements::is_about_a_disagreement);
        let from = self.read;
        self.read = history.len();
        self.read_entries(record.entries_from(from), framework);
        if disagreement || !self.case.disagreements.is_empty() {
            Arc::make_mut(&mut self.case).disagreements =
                disagreements::threads(record, &record.standing());
        }
    }

    /// Reads the events of `part`, a record of this child's events that follow on from those
    /// read so far and nothing before them, when they can be read without the rest of the
    /// record: none is a correction or named by one, none is about a disagreement, and the
    /// child has no disagreement (whose threads are built from the whole record). False, and
    /// nothing read, otherwise: the caller reads the whole record ([`CaseFold::of`]). What lets
    /// the read model keep a child's facts without its history.
    pub(crate) fn extend_part(&mut self, part: &ChildRecord, framework: &Framework) -> bool {
        let new = part.history();
        if new.is_empty() {
            return true;
        }
        if self.case.child_id != part.child_id()
            || !self.case.disagreements.is_empty()
            || self.changes_what_was_read(new)
            || new.iter().any(disagreements::is_about_a_disagreement)
        {
            return false;
        }
        self.read += new.len();
        self.read_entries(part.entries_from(0), framework);
        true
    }

    /// Whether new events change what was read before: a correction, or an event an earlier
    /// correction names. Then the facts are read again from the whole record.
    fn changes_what_was_read(&self, new: &[ChildEvent]) -> bool {
        new.iter().any(|e| {
            self.corrected.contains(&e.event_id)
                || matches!(&e.body, EventBody::Record(RecordData::RecordCorrected(_)))
        })
    }

    /// Reads standing entries that follow every entry read so far in sequence.
    fn read_entries<'a>(
        &mut self,
        entries: impl IntoIterator<Item = Entry<'a>>,
        framework: &Framework,
    ) {
        let CaseFold {
            case,
            referral_index,
            plan_index,
            referrer_told,
            born,
            level_changes,
            earliest,
            ..
        } = self;
        let case = Arc::make_mut(case);
        let mut levels_moved = false;

        for entry in entries {
            let e = entry.event;
            let sequence = entry.stored.sequence;
            let at = e.occurred_at;
            let agency = match case
                .agencies
                .iter()
                .position(|a| Arc::ptr_eq(a, &entry.stored.agency) || *a == entry.stored.agency)
            {
                Some(i) => i,
                None => {
                    case.agencies.push(entry.stored.agency.clone());
                    case.agencies.len() - 1
                }
            };
            // A child's agencies are a handful; a u32 holds any list a child could have.
            let agency = u32::try_from(agency).unwrap_or(u32::MAX);
            case.recordings.push((agency, at, entry.stored.recorded_at));
            case.activity.push(at);

            let change = match &e.body {
                EventBody::Registered(_) => LevelChange::Registered,
                EventBody::Record(RecordData::SteppedUp(s) | RecordData::SteppedDown(s)) => {
                    LevelChange::To(s.to)
                }
                EventBody::Record(RecordData::CaseClosed(_)) => LevelChange::To(Level::UNIVERSAL),
                EventBody::Record(_) => LevelChange::None,
            };
            if change != LevelChange::None {
                let i = level_changes.partition_point(|c| (c.0, c.1) <= (at, sequence));
                level_changes.insert(i, (at, sequence, e.event_id, change));
                levels_moved = true;
            }
            if earliest.is_none_or(|(t, s, _)| (at, sequence) < (t, s)) {
                *earliest = Some((at, sequence, e.event_id));
                levels_moved = true;
            }

            let data = match &e.body {
                EventBody::Registered(details) => {
                    case.registered_at = Some(case.registered_at.map_or(at, |r| r.min(at)));
                    insert_by_time(
                        &mut case.localities,
                        (at, details.locality().as_str().to_owned()),
                    );
                    note_dob(
                        born,
                        at,
                        sequence,
                        details.date_of_birth(),
                        details.expected_date_of_birth().is_some(),
                    );
                    continue;
                }
                EventBody::Record(data) => data,
            };
            match data {
                RecordData::ChildDetailsUpdated(u) => {
                    let changes = &u.changes;
                    if let Some(l) = &changes.locality {
                        insert_by_time(&mut case.localities, (at, l.as_str().to_owned()));
                    }
                    if changes.date_of_birth.is_some() || changes.expected_date_of_birth.is_some() {
                        note_dob(
                            born,
                            at,
                            sequence,
                            changes.date_of_birth,
                            changes.expected_date_of_birth.is_some(),
                        );
                    }
                }
                RecordData::ReferralMade(r) => {
                    if referral_index.contains_key(&r.referral_id) {
                        continue;
                    }
                    referral_index.insert(r.referral_id, case.referrals.len());
                    let consent = match r.consent {
                        domain::record::ReferralConsent::Given { .. } => ReferralConsent::Given,
                        domain::record::ReferralConsent::Dispensed { .. } => {
                            ReferralConsent::Dispensed
                        }
                        domain::record::ReferralConsent::RefusedProceeding { .. } => {
                            ReferralConsent::RefusedProceeding
                        }
                    };
                    if consent == ReferralConsent::RefusedProceeding {
                        case.family_to_inform.push((e.event_id, at));
                    }
                    // Telling the referrer may have been recorded before the referral was
                    // read (never by the rules, but data of other versions may say so).
                    let told = referrer_told
                        .iter()
                        .filter(|(id, _)| *id == r.referral_id)
                        .map(|(_, t)| *t)
                        .min();
                    referrer_told.retain(|(id, _)| *id != r.referral_id);
                    case.referrals.push(Referral {
                        made_at: at,
                        made_sequence: sequence,
                        agency: entry.stored.agency.to_string(),
                        source: r.source.as_ref().and_then(code),
                        consent,
                        made_event_id: e.event_id,
                        decision: None,
                        referrer_informed_at: told,
                    });
                }
                RecordData::ReferralDecided(d) => {
                    let Some(r) = referral_index
                        .get(&d.referral_id)
                        .and_then(|&i| case.referrals.get_mut(i))
                    else {
                        continue;
                    };
                    // A referral is decided once; a second decision is data the rules
                    // refuse, and the first stands.
                    if r.decision.is_some() {
                        continue;
                    }
                    r.decision = Some(Decision {
                        at,
                        decision: code(&d.decision),
                    });
                    if d.referrer_informed.is_some() {
                        r.referrer_informed_at = Some(earlier(r.referrer_informed_at, at));
                    }
                }
                RecordData::ReferrerInformed(r) => match referral_index
                    .get(&r.referral_id)
                    .and_then(|&i| case.referrals.get_mut(i))
                {
                    Some(referral) => {
                        referral.referrer_informed_at =
                            Some(earlier(referral.referrer_informed_at, at));
                    }
                    None => referrer_told.push((r.referral_id, at)),
                },
                RecordData::FamilyInformed(f) => {
                    let t = case.family_informed.entry(f.about_event_id).or_insert(at);
                    *t = (*t).min(at);
                }
                RecordData::NeedsAssessed(n) => case.assessments.push(assessment(at, n, framework)),
                RecordData::ConversationRecorded(c) => {
                    let voice = c.child_voice.as_ref();
                    let heard = voice.is_some_and(ChildVoice::heard);
                    case.conversations.push(Conversation {
                        at,
                        child_voice_heard: heard,
                        child_voice_reason_only: !heard
                            && voice.is_some_and(|v| v.not_captured_reason().is_some()),
                    });
                }
                RecordData::SteppedUp(step) | RecordData::SteppedDown(step) => {
                    case.steps.push(StepFact {
                        at,
                        up: matches!(data, RecordData::SteppedUp(_)),
                        from: Some(step.from.tier.get()),
                        to: Some(step.to.tier.get()),
                    });
                    if step.family_informed != Some(true) {
                        case.family_to_inform.push((e.event_id, at));
                    }
                }
                // A service change the family was told of owes nothing.
                RecordData::ServiceStarted(s) if s.family_informed != Some(true) => {
                    case.family_to_inform.push((e.event_id, at));
                }
                RecordData::ServiceEnded(s) if s.family_informed != Some(true) => {
                    case.family_to_inform.push((e.event_id, at));
                }
                RecordData::StrategyDiscussionHeld(s) => {
                    case.strategy_discussions.push(StrategyDiscussion {
                        at,
                        sequence,
                        decision: code(&s.decision),
                    });
                }
                RecordData::Section47EnquiryStarted(_) => case.enquiries_started.push(at),
                RecordData::ChildProtectionConferenceHeld(c) => case.conferences.push(Conference {
                    at,
                    sequence,
                    initial: c.kind == ConferenceKind::Initial,
                }),
                RecordData::PlanStarted(p) => {
                    if plan_index.contains_key(&p.plan_id) {
                        continue;
                    }
                    plan_index.insert(p.plan_id, case.plans.len());
                    case.plans.push(Plan {
                        kind: code(&p.kind),
                        started_at: at,
                        review_by: Some(p.review_by),
                        reviews: Vec::new(),
                        ended_at: None,
                    });
                }
                RecordData::PlanReviewed(r) => {
                    if let Some(p) = plan_index
                        .get(&r.plan_id)
                        .and_then(|&i| case.plans.get_mut(i))
                    {
                        let i = p.reviews.partition_point(|r| r.0 <= at);
                        p.reviews.insert(i, (at, Some(r.next_review_by)));
                    }
                }
                RecordData::PlanEnded(r) => {
                    if let Some(p) = plan_index
                        .get(&r.plan_id)
                        .and_then(|&i| case.plans.get_mut(i))
                    {
                        p.ended_at = Some(earlier(p.ended_at, at));
                    }
                }
                _ => {}
            }
        }

        if let Some(b) = born {
            case.date_of_birth = b.date_of_birth;
            case.unborn = b.date_of_birth.is_none() && b.expected;
        }
        if levels_moved {
            // The levels start at the registration, or without one at the earliest record
            // (which is then the first of the list, being the earliest of all).
            let registered = level_changes.iter().any(|c| c.3 == LevelChange::Registered);
            let start = earliest
                .filter(|_| !registered)
                .map(|(at, sequence, id)| (at, sequence, id, LevelChange::None));
            case.levels = lay_out_levels(
                start
                    .iter()
                    .chain(level_changes.iter())
                    .map(|&(at, _, id, change)| (at, id, change)),
                framework,
            );
        }
    }
}

/// Puts `entry` after every entry at or before its time: where a stable sort by time of the
/// entries in sequence order would put it, so that of two changes at the same instant the
/// later-recorded one wins.
fn insert_by_time<T>(list: &mut Vec<(DateTime<Utc>, T)>, entry: (DateTime<Utc>, T)) {
    let i = list.partition_point(|l| l.0 <= entry.0);
    list.insert(i, entry);
}

fn earlier(known: Option<DateTime<Utc>>, at: DateTime<Utc>) -> DateTime<Utc> {
    known.map_or(at, |t| t.min(at))
}

/// What the latest record about the child's birth says.
#[derive(Debug, Clone)]
struct Born {
    at: DateTime<Utc>,
    sequence: u64,
    date_of_birth: Option<NaiveDate>,
    expected: bool,
}

/// Keeps what the latest record (by `occurred_at`, then `sequence`) says of the child's
/// birth; an expected date of birth alone says the child is unborn.
fn note_dob(
    seen: &mut Option<Born>,
    at: DateTime<Utc>,
    sequence: u64,
    date_of_birth: Option<NaiveDate>,
    expected: bool,
) {
    if seen
        .as_ref()
        .is_none_or(|b| (at, sequence) >= (b.at, b.sequence))
    {
        *seen = Some(Born {
            at,
            sequence,
            date_of_birth,
            expected,
        });
    }
}

fn assessment(at: DateTime<Utc>, n: &NeedsAssessed, framework: &Framework) -> Assessment {
    let (codes, s47) = n.indicator_codes();
    let exploitation = codes.iter().any(|c| {
        framework
            .indicator(c)
            .is_some_and(|i| i.has_tag(EXPLOITATION))
    }) || s47.iter().any(|c| {
        framework
            .section_47(c)
            .is_some_and(|s| s.tags.iter().any(|t| t == EXPLOITATION))
    });
    // The suggestion the practitioner was shown is the one stored with the record. A
    // corrected assessment's data is the client's corrected data, which never carries one,
    // so the catalogue is asked again for the corrected indicators.
    let (suggested, suggestion_recomputed) = match &n.suggested {
        Some(s) => (Some(s.level), false),
        None => (Some(framework.suggest(&codes, &s47).level), true),
    };
    Assessment {
        at,
        kind: code(&n.assessment),
        started_on: n.started_on,
        decided: Some(n.decided_level),
        suggested,
        suggestion_recomputed,
        exploitation,
        child_voice_heard: n.child_voice.as_ref().is_some_and(ChildVoice::heard),
    }
}

/// Whether the tier of `level` is 1 or 2.
pub(super) fn below_targeted(level: Level) -> bool {
    level.tier <= Tier::TWO
}
