//! One child's record read into the facts the inspection figures count: referrals with their
//! decisions, assessments with their suggestions, conversations, steps, child protection
//! work, plans, obligations' sources, disagreements and recording times, each with the time
//! it happened and the locality the child lived in then.
//!
//! Corrections and retractions are resolved first (`crate::history`): a corrected record is
//! read as corrected, a retracted one is not read at all. Data is read tolerantly: a field of
//! an older shape that cannot be read leaves its fact out (or the fact's field empty); nothing
//! here panics or refuses.
//!
//! What it deliberately does not do: filter by period or locality (the figures do), or keep
//! anything that identifies the child beyond its id, which never leaves the report module.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use domain::framework::Framework;
use domain::level::{Level, Tier};
use serde_json::Value;
use store::StoredEvent;
use uuid::Uuid;

use crate::disagreements::{self, Disagreement};
use crate::history::{Entry, History};
use crate::journey::{LevelInterval, level_intervals, read_level};

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
    pub conversations: Vec<Conversation>,
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
    /// Every standing record: (agency, occurred_at, recorded_at).
    pub recordings: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
    /// `occurred_at` of every standing record, for "was this child active in the period".
    pub activity: Vec<DateTime<Utc>>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Referral {
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
    pub at: DateTime<Utc>,
    pub decision: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Assessment {
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
    pub at: DateTime<Utc>,
    pub child_voice_heard: bool,
    /// A `child_voice` that gives only the reason the child was not heard.
    pub child_voice_reason_only: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct StepFact {
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
    pub at: DateTime<Utc>,
    pub sequence: u64,
    pub decision: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Conference {
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
    pub fn read(child_id: Uuid, events: &[&StoredEvent], framework: &Framework) -> Case {
        let history = History::resolve(events.iter().copied());
        let mut standing: Vec<&Entry<'_>> = history.standing().collect();
        // Sequence order first: the order the rules were checked in, which is what "the
        // first decision of a referral" means.
        standing.sort_by_key(|e| e.event.sequence);

        let mut case = Case {
            child_id,
            registered_at: None,
            localities: Vec::new(),
            date_of_birth: None,
            unborn: false,
            levels: Vec::new(),
            referrals: Vec::new(),
            assessments: Vec::new(),
            conversations: Vec::new(),
            steps: Vec::new(),
            strategy_discussions: Vec::new(),
            enquiries_started: Vec::new(),
            conferences: Vec::new(),
            plans: Vec::new(),
            family_to_inform: Vec::new(),
            family_informed: BTreeMap::new(),
            disagreements: disagreements::threads(child_id, &history),
            recordings: Vec::new(),
            activity: Vec::new(),
        };
        let mut referral_index: HashMap<String, usize> = HashMap::new();
        let mut plan_index: HashMap<String, usize> = HashMap::new();
        // `referrer_informed` records may name a referral before its decision is read in
        // sequence; they are matched once everything is read.
        let mut referrer_told: Vec<(String, DateTime<Utc>)> = Vec::new();
        let mut dob_seen: Option<Born> = None;

        for entry in &standing {
            let e = entry.event;
            let at = e.occurred_at;
            let data = entry.data();
            case.recordings.push((e.agency.clone(), at, e.recorded_at));
            case.activity.push(at);
            match entry.record_type() {
                "child_registered" => {
                    case.registered_at = Some(case.registered_at.map_or(at, |r| r.min(at)));
                    if let Some(l) = text(data, "locality") {
                        case.localities.push((at, l));
                    }
                    note_dob(&mut dob_seen, at, e.sequence, data);
                }
                "child_details_updated" => {
                    let changes = data.get("changes").unwrap_or(&Value::Null);
                    if let Some(l) = text(changes, "locality") {
                        case.localities.push((at, l));
                    }
                    if changes.get("date_of_birth").is_some()
                        || changes.get("expected_date_of_birth").is_some()
                    {
                        note_dob(&mut dob_seen, at, e.sequence, changes);
                    }
                }
                "referral_made" => {
                    let Some(id) = id_text(data, "referral_id") else {
                        continue;
                    };
                    if referral_index.contains_key(&id) {
                        continue;
                    }
                    referral_index.insert(id, case.referrals.len());
                    if matches!(referral_consent(data), ReferralConsent::RefusedProceeding) {
                        case.family_to_inform.push((e.event_id, at));
                    }
                    case.referrals.push(Referral {
                        made_at: at,
                        made_sequence: e.sequence,
                        agency: e.agency.clone(),
                        source: text(data, "source"),
                        consent: referral_consent(data),
                        made_event_id: e.event_id,
                        decision: None,
                        referrer_informed_at: None,
                    });
                }
                "referral_decided" => {
                    let Some(r) = id_text(data, "referral_id")
                        .and_then(|id| referral_index.get(&id))
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
                        decision: text(data, "decision"),
                    });
                    if data.get("referrer_informed").is_some_and(|v| !v.is_null()) {
                        r.referrer_informed_at = Some(at);
                    }
                }
                "referrer_informed" => {
                    if let Some(id) = id_text(data, "referral_id") {
                        referrer_told.push((id, at));
                    }
                }
                "family_informed" => {
                    if let Some(about) = uuid(data, "about_event_id") {
                        let t = case.family_informed.entry(about).or_insert(at);
                        *t = (*t).min(at);
                    }
                }
                "needs_assessed" => case.assessments.push(assessment(entry, framework)),
                "conversation_recorded" => {
                    let voice = data.get("child_voice").filter(|v| v.is_object());
                    let heard = voice
                        .is_some_and(|v| has_text(v, "views") || has_text(v, "behaviour_observed"));
                    case.conversations.push(Conversation {
                        at,
                        child_voice_heard: heard,
                        child_voice_reason_only: !heard
                            && voice.is_some_and(|v| has_text(v, "not_captured_reason")),
                    });
                }
                t @ ("stepped_up" | "stepped_down") => {
                    let tier =
                        |field: &str| data.get(field).and_then(read_level).map(|l| l.tier.get());
                    case.steps.push(StepFact {
                        at,
                        up: t == "stepped_up",
                        from: tier("from"),
                        to: tier("to"),
                    });
                    if data.get("family_informed").and_then(Value::as_bool) != Some(true) {
                        case.family_to_inform.push((e.event_id, at));
                    }
                }
                // A service change the family was told of owes nothing.
                "service_started" | "service_ended"
                    if data.get("family_informed").and_then(Value::as_bool) != Some(true) =>
                {
                    case.family_to_inform.push((e.event_id, at));
                }
                "strategy_discussion_held" => case.strategy_discussions.push(StrategyDiscussion {
                    at,
                    sequence: e.sequence,
                    decision: text(data, "decision"),
                }),
                "section_47_enquiry_started" => case.enquiries_started.push(at),
                "child_protection_conference_held" => case.conferences.push(Conference {
                    at,
                    sequence: e.sequence,
                    initial: text(data, "kind").as_deref() == Some("initial"),
                }),
                "plan_started" => {
                    let Some(id) = id_text(data, "plan_id") else {
                        continue;
                    };
                    if plan_index.contains_key(&id) {
                        continue;
                    }
                    plan_index.insert(id, case.plans.len());
                    case.plans.push(Plan {
                        kind: text(data, "kind"),
                        started_at: at,
                        review_by: date(data, "review_by"),
                        reviews: Vec::new(),
                        ended_at: None,
                    });
                }
                "plan_reviewed" => {
                    if let Some(p) = id_text(data, "plan_id")
                        .and_then(|id| plan_index.get(&id))
                        .and_then(|&i| case.plans.get_mut(i))
                    {
                        p.reviews.push((at, date(data, "next_review_by")));
                    }
                }
                "plan_ended" => {
                    if let Some(p) = id_text(data, "plan_id")
                        .and_then(|id| plan_index.get(&id))
                        .and_then(|&i| case.plans.get_mut(i))
                    {
                        p.ended_at = Some(p.ended_at.map_or(at, |t| t.min(at)));
                    }
                }
                _ => {}
            }
        }

        for (id, at) in referrer_told {
            if let Some(r) = referral_index
                .get(&id)
                .and_then(|&i| case.referrals.get_mut(i))
            {
                r.referrer_informed_at = Some(r.referrer_informed_at.map_or(at, |t| t.min(at)));
            }
        }
        for p in &mut case.plans {
            p.reviews.sort_by_key(|r| r.0);
        }
        if let Some(born) = dob_seen {
            case.date_of_birth = born.date_of_birth;
            case.unborn = born.date_of_birth.is_none() && born.expected;
        }
        // Localities apply from when they happened; a stable sort keeps sequence order for
        // changes at the same instant, so the later-recorded one wins.
        case.localities.sort_by_key(|l| l.0);

        let mut by_time = standing;
        by_time.sort_by_key(|e| (e.event.occurred_at, e.event.sequence));
        case.levels = level_intervals(&by_time, framework);
        case
    }

    /// The locality the child lived in at `at`: the latest change at or before it, else the
    /// registration's (a record dated before the registration belongs to where the child was
    /// first known to live).
    pub fn locality_at(&self, at: DateTime<Utc>) -> Option<&str> {
        self.localities
            .iter()
            .rev()
            .find(|(from, _)| *from <= at)
            .or_else(|| self.localities.first())
            .map(|(_, l)| l.as_str())
    }

    /// The child's level at `at`: the last interval begun at or before it; `None` before the
    /// history begins.
    pub fn level_at(&self, at: DateTime<Utc>) -> Option<&LevelInterval> {
        self.levels.iter().rev().find(|l| l.from <= at)
    }

    /// The child's age in whole years on `day`; `None` if the date of birth is unknown or
    /// after `day`.
    pub fn age_on(&self, day: NaiveDate) -> Option<u32> {
        day.years_since(self.date_of_birth?)
    }
}

/// What the latest record about the child's birth says.
struct Born {
    at: DateTime<Utc>,
    sequence: u64,
    date_of_birth: Option<NaiveDate>,
    expected: bool,
}

/// Keeps what the latest record (by `occurred_at`, then `sequence`) says of the child's
/// birth; an `expected_date_of_birth` alone says the child is unborn.
fn note_dob(seen: &mut Option<Born>, at: DateTime<Utc>, sequence: u64, v: &Value) {
    if seen
        .as_ref()
        .is_none_or(|b| (at, sequence) >= (b.at, b.sequence))
    {
        *seen = Some(Born {
            at,
            sequence,
            date_of_birth: date(v, "date_of_birth"),
            expected: date(v, "expected_date_of_birth").is_some(),
        });
    }
}

fn referral_consent(data: &Value) -> ReferralConsent {
    let c = data.get("consent").unwrap_or(&Value::Null);
    if c.get("consent_id").is_some() {
        ReferralConsent::Given
    } else if c.get("dispensed_consent_id").is_some() {
        ReferralConsent::Dispensed
    } else if c.get("refused_consent_id").is_some() {
        ReferralConsent::RefusedProceeding
    } else {
        ReferralConsent::NotRecorded
    }
}

fn assessment(entry: &Entry<'_>, framework: &Framework) -> Assessment {
    let data = entry.data();
    let codes: Vec<&str> = data
        .get("indicators")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| i.get("code").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let s47: Vec<&str> = data
        .get("section_47_indicators")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
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
    let stored = data
        .get("suggested")
        .and_then(|s| s.get("level"))
        .and_then(read_level);
    let (suggested, suggestion_recomputed) = match stored {
        Some(level) => (Some(level), false),
        None => (Some(framework.suggest(&codes, &s47).level), true),
    };
    let voice = data.get("child_voice").filter(|v| v.is_object());
    Assessment {
        at: entry.event.occurred_at,
        kind: text(data, "assessment"),
        started_on: date(data, "started_on"),
        decided: data.get("decided_level").and_then(read_level),
        suggested,
        suggestion_recomputed,
        exploitation,
        child_voice_heard: voice
            .is_some_and(|v| has_text(v, "views") || has_text(v, "behaviour_observed")),
    }
}

/// Whether the tier of `level` is 1 or 2.
pub(super) fn below_targeted(level: Level) -> bool {
    level.tier <= Tier::TWO
}

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

fn has_text(v: &Value, field: &str) -> bool {
    v.get(field)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

fn uuid(v: &Value, field: &str) -> Option<Uuid> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// An id as text, one spelling per UUID (upper and lower case name the same id); text that
/// is not a UUID is kept as written so older data still pairs up.
fn id_text(v: &Value, field: &str) -> Option<String> {
    let s = v.get(field).and_then(Value::as_str)?;
    Some(
        Uuid::parse_str(s)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| s.to_owned()),
    )
}

fn date(v: &Value, field: &str) -> Option<NaiveDate> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}
