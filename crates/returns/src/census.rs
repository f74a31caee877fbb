//! One child's entry in the Children in Need census, worked out from the child's record as it
//! stands (corrections applied, retractions left out): identifiers, characteristics and the
//! episodes of need the DfE counts, each with its assessments, CIN plans, section 47 enquiries
//! and child protection plans.
//!
//! An episode opens with a referral to the front door and ends with the case's closure (or, for
//! a referral the front door decided needs no statutory work, on the day of that decision).
//! A child appears when an episode was open at any point of the collection year. docs/RETURNS.md
//! maps every element to the records it comes from.
//!
//! What it deliberately does not do: write XML (that is `census_xml`), read a store, or check
//! the census's rules (the DfE's validator does that in CI; the practice they encode is enforced
//! or flagged when records are made).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::calendar;
use domain::child::{Child, ChildEvent, EventBody};
use domain::record::{
    AssessmentKind, ClosureReason, ConferenceKind, ConferenceOutcome, EnquiryOutcome, PlanCategory,
    PlanKind, RecordData, ReferralDecision, ReferralTo,
};
use domain::registration::Gender;
use uuid::Uuid;

use crate::year::CollectionYear;

/// Working days from a section 47 enquiry's start to its initial conference's target date
/// (Working Together: an ICPC within 15 working days of the strategy discussion).
pub const ICPC_TARGET_WORKING_DAYS: u32 = 15;

/// A child as the census returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CensusChild {
    pub la_child_id: String,
    pub upn: Option<String>,
    pub former_upn: Option<String>,
    pub upn_unknown: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub expected_birth_date: Option<NaiveDate>,
    /// `M`, `F` or `U`.
    pub sex: &'static str,
    pub ethnicity: Option<String>,
    pub disabilities: Vec<String>,
    pub episodes: Vec<Episode>,
}

/// One episode of need (`CINdetails`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    pub referral_date: NaiveDate,
    pub referral_source: Option<String>,
    pub primary_need: Option<String>,
    /// Closure date and reason, when the episode closed within the year.
    pub closure: Option<(NaiveDate, String)>,
    /// An initial child protection conference not preceded by a section 47 enquiry in the
    /// episode (one that was is on its `Section47`).
    pub initial_cpc: Option<NaiveDate>,
    pub referral_nfa: bool,
    pub assessments: Vec<Assessment>,
    pub cin_plans: Vec<(NaiveDate, Option<NaiveDate>)>,
    pub section_47: Vec<Section47>,
    pub cp_plans: Vec<CpPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub start: NaiveDate,
    /// The day it was completed and authorised; `None` when that fell after the year.
    pub authorised: Option<NaiveDate>,
    pub factors: Vec<String>,
    /// Whether the child was seen (Annex A; not a census element).
    pub child_seen: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section47 {
    pub start: NaiveDate,
    pub icpc_target: NaiveDate,
    pub icpc: Option<NaiveDate>,
    pub icpc_not_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpPlan {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub initial_category: Option<&'static str>,
    pub latest_category: Option<&'static str>,
    pub previous_plans: u32,
    pub reviews: Vec<NaiveDate>,
}

/// The census's category of abuse code.
pub fn category_code(c: PlanCategory) -> &'static str {
    match c {
        PlanCategory::Neglect => "NEG",
        PlanCategory::PhysicalAbuse => "PHY",
        PlanCategory::EmotionalAbuse => "EMO",
        PlanCategory::SexualAbuse => "SAB",
        PlanCategory::Multiple => "MUL",
    }
}

/// The census's code of a closure reason.
pub fn closure_code(c: ClosureReason) -> &'static str {
    match c {
        ClosureReason::RC1 => "RC1",
        ClosureReason::RC2 => "RC2",
        ClosureReason::RC3 => "RC3",
        ClosureReason::RC4 => "RC4",
        ClosureReason::RC5 => "RC5",
        ClosureReason::RC6 => "RC6",
        ClosureReason::RC7 => "RC7",
        ClosureReason::RC8 => "RC8",
        ClosureReason::RC9 => "RC9",
    }
}

/// The census's `LAchildID`: the council's own id with anything but letters and digits left
/// out (the DfE allows only those, 20 at most), else the first 20 hex digits of Caseline's
/// child id, which is as unique as an id needs to be within one council.
pub fn la_child_id(child_id: Uuid, recorded: Option<&str>) -> String {
    if let Some(id) = recorded {
        let kept: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
        if !kept.is_empty() && kept.len() <= 20 {
            return kept;
        }
    }
    child_id.simple().to_string()[..20].to_owned()
}

/// What the walk over a child's records keeps for an episode while it is open.
#[derive(Debug, Clone)]
struct Open {
    episode: Episode,
    /// Referrals that joined this episode (the first opened it).
    referrals: Vec<Uuid>,
    /// Open CIN plans by id, with their index in `cin_plans`.
    cin_plans: BTreeMap<Uuid, usize>,
    cp_plans: BTreeMap<Uuid, usize>,
    /// Section 47 enquiries by id, with their index in `section_47`.
    enquiries: BTreeMap<Uuid, usize>,
}

impl Open {
    fn new(referral_date: NaiveDate, referral: Uuid, source: Option<String>) -> Open {
        Open {
            episode: Episode {
                referral_date,
                referral_source: source,
                primary_need: None,
                closure: None,
                initial_cpc: None,
                referral_nfa: false,
                assessments: Vec::new(),
                cin_plans: Vec::new(),
                section_47: Vec::new(),
                cp_plans: Vec::new(),
            },
            referrals: vec![referral],
            cin_plans: BTreeMap::new(),
            cp_plans: BTreeMap::new(),
            enquiries: BTreeMap::new(),
        }
    }
}

/// Every episode of the child's whole record, as it stands, oldest first, with nothing cut to
/// a year yet.
pub fn episodes(child: &Child) -> Vec<Episode> {
    let standing = child.standing();
    let mut records: Vec<&ChildEvent> = standing.iter().filter_map(|s| s.event()).collect();
    // Records may be made late; episodes follow when things happened. The sort is stable, so
    // records of one moment keep the order they were recorded in.
    records.sort_by_key(|e| e.occurred_at);

    let mut done: Vec<Episode> = Vec::new();
    let mut open: Option<Open> = None;
    let mut cp_plans_started: u32 = 0;
    for e in records {
        let EventBody::Record(r) = &e.body else {
            continue;
        };
        let day = e.occurred_at.date_naive();
        match r {
            RecordData::ReferralMade(m) if m.to == ReferralTo::FrontDoor => match &mut open {
                Some(o) => o.referrals.push(m.referral_id),
                None => {
                    open = Some(Open::new(
                        day,
                        m.referral_id,
                        m.source.as_ref().map(|s| s.as_str().to_owned()),
                    ));
                }
            },
            RecordData::ReferralDecided(d) => {
                let Some(o) = &mut open else { continue };
                if o.referrals.first() != Some(&d.referral_id) {
                    continue;
                }
                o.episode.primary_need = d.primary_need.as_ref().map(|p| p.as_str().to_owned());
                let nfa_reason = match d.decision {
                    ReferralDecision::NoFurtherAction | ReferralDecision::AdviceAndSignposting => {
                        Some("RC8")
                    }
                    ReferralDecision::EarlyHelp | ReferralDecision::TargetedEarlyHelp => {
                        Some("RC9")
                    }
                    _ => None,
                };
                if let Some(reason) = nfa_reason {
                    // No statutory work follows: the episode is a referral with no further
                    // action and ends the day it was decided.
                    let mut ended = o.episode.clone();
                    ended.referral_nfa = true;
                    ended.closure = Some((day, reason.to_owned()));
                    done.push(ended);
                    open = None;
                }
            }
            RecordData::NeedsAssessed(a) if a.assessment == AssessmentKind::SingleAssessment => {
                let Some(o) = &mut open else { continue };
                o.episode.assessments.push(Assessment {
                    start: a.started_on.unwrap_or(day).min(day),
                    authorised: Some(day),
                    factors: a
                        .factors
                        .iter()
                        .flatten()
                        .map(|f| f.as_str().to_owned())
                        .collect(),
                    child_seen: a.child_seen,
                });
            }
            RecordData::PlanStarted(p) => {
                let Some(o) = &mut open else {
                    if p.kind == PlanKind::ChildProtectionPlan {
                        cp_plans_started += 1;
                    }
                    continue;
                };
                match p.kind {
                    PlanKind::ChildInNeedPlan => {
                        o.cin_plans.insert(p.plan_id, o.episode.cin_plans.len());
                        o.episode.cin_plans.push((day, None));
                    }
                    PlanKind::ChildProtectionPlan => {
                        let category = p.category.map(category_code);
                        o.cp_plans.insert(p.plan_id, o.episode.cp_plans.len());
                        o.episode.cp_plans.push(CpPlan {
                            start: day,
                            end: None,
                            initial_category: category,
                            latest_category: category,
                            previous_plans: cp_plans_started,
                            reviews: Vec::new(),
                        });
                        cp_plans_started += 1;
                    }
                    _ => {}
                }
            }
            RecordData::PlanEnded(p) => {
                let Some(o) = &mut open else { continue };
                if let Some(&i) = o.cin_plans.get(&p.plan_id)
                    && let Some(plan) = o.episode.cin_plans.get_mut(i)
                {
                    plan.1 = Some(day);
                }
                if let Some(&i) = o.cp_plans.get(&p.plan_id)
                    && let Some(plan) = o.episode.cp_plans.get_mut(i)
                {
                    plan.end = Some(day);
                }
            }
            RecordData::Section47EnquiryStarted(s) => {
                let Some(o) = &mut open else { continue };
                o.enquiries.insert(s.enquiry_id, o.episode.section_47.len());
                o.episode.section_47.push(Section47 {
                    start: day,
                    icpc_target: calendar::add_working_days(day, ICPC_TARGET_WORKING_DAYS),
                    icpc: None,
                    icpc_not_required: false,
                });
            }
            RecordData::Section47EnquiryConcluded(s) => {
                let Some(o) = &mut open else { continue };
                if let Some(&i) = o.enquiries.get(&s.enquiry_id)
                    && let Some(enquiry) = o.episode.section_47.get_mut(i)
                {
                    enquiry.icpc_not_required = s.outcome != EnquiryOutcome::ConferenceNeeded;
                }
            }
            RecordData::ChildProtectionConferenceHeld(c) => {
                let Some(o) = &mut open else { continue };
                match c.kind {
                    ConferenceKind::Initial => {
                        // The conference answers the latest enquiry that wanted one and has
                        // not had it; without such an enquiry it is the episode's own.
                        let starts_plan = c.outcome == ConferenceOutcome::PlanStarted;
                        let waiting = o
                            .episode
                            .section_47
                            .iter()
                            .rposition(|s| s.icpc.is_none() && !s.icpc_not_required);
                        let latest = o.episode.section_47.len().checked_sub(1);
                        match (waiting, latest) {
                            (Some(i), _) => o.episode.section_47[i].icpc = Some(day),
                            // A conference reconvened after one that started no plan (a
                            // disagreement changed the decision): the one that started the
                            // plan is the initial conference the census counts.
                            (None, Some(i))
                                if starts_plan && o.episode.section_47[i].icpc.is_some() =>
                            {
                                o.episode.section_47[i].icpc = Some(day);
                            }
                            (None, _) if o.episode.initial_cpc.is_none() || starts_plan => {
                                o.episode.initial_cpc = Some(day);
                            }
                            _ => {}
                        }
                    }
                    ConferenceKind::Review => {
                        let plan = match c.plan_id {
                            Some(id) => o.cp_plans.get(&id).copied(),
                            None => o.episode.cp_plans.iter().rposition(|p| p.end.is_none()),
                        };
                        if let Some(plan) = plan.and_then(|i| o.episode.cp_plans.get_mut(i)) {
                            plan.reviews.push(day);
                            if let Some(category) = c.category {
                                plan.latest_category = Some(category_code(category));
                            }
                        }
                    }
                }
            }
            RecordData::CaseClosed(c) => {
                let Some(mut o) = open.take() else { continue };
                // A closure without the census's reason is "services ceased for any other
                // reason": the record says the case closed, not why in census terms.
                let reason = c.closure_reason.map_or("RC7", closure_code);
                o.episode.closure = Some((day, reason.to_owned()));
                done.push(o.episode);
            }
            _ => {}
        }
    }
    if let Some(o) = open {
        done.push(o.episode);
    }
    for e in &mut done {
        // A referral still awaiting the front door's decision (or decided before the record
        // carried a primary need) has none recorded; the census's N0 ("not stated") says so.
        if !e.referral_nfa && e.primary_need.is_none() {
            e.primary_need = Some("N0".to_owned());
        }
    }
    done
}

/// The child's census entry for `year`, or `None` when no episode was open during it.
pub fn census_child(child_id: Uuid, child: &Child, year: CollectionYear) -> Option<CensusChild> {
    let details = child.state().details.as_ref()?;
    let (first, last) = (year.first_day(), year.reference_date());
    let episodes: Vec<Episode> = episodes(child)
        .into_iter()
        .filter(|e| e.referral_date <= last && e.closure.as_ref().is_none_or(|c| c.0 >= first))
        .map(|e| cut_to_year(e, first, last))
        .collect();
    if episodes.is_empty() {
        return None;
    }
    let identifiers = details.identifiers();
    let upn = details.upn().map(|u| u.as_str().to_owned());
    let birth_date = details.date_of_birth().filter(|d| *d <= last);
    // A child born after the year was unborn throughout it: the census wants the expected date.
    let expected_birth_date = match (details.date_of_birth(), details.expected_date_of_birth()) {
        (Some(born), _) if born > last => Some(born),
        (None, expected) => expected,
        _ => None,
    };
    let upn_unknown = if upn.is_some() {
        None
    } else {
        identifiers
            .and_then(|i| i.upn_unknown.as_ref())
            .map(|u| u.as_str().to_owned())
            .or_else(|| {
                // Under six at the reference date (or not yet born): not yet of an age to
                // have been given one. This is a fact of the dates, not a guess.
                let six = birth_date.and_then(|b| b.checked_add_months(chrono::Months::new(72)));
                match (birth_date, six) {
                    (None, _) => Some("UN1".to_owned()),
                    (Some(_), Some(six)) if six > last => Some("UN1".to_owned()),
                    _ => None,
                }
            })
    };
    let sex = match (birth_date, details.gender()) {
        // The census has no sex for a child not yet born.
        (None, _) => "U",
        (_, Gender::Male) => "M",
        (_, Gender::Female) => "F",
        (_, Gender::Unknown | Gender::NotStated) => "U",
    };
    Some(CensusChild {
        la_child_id: la_child_id(
            child_id,
            identifiers
                .and_then(|i| i.la_child_id.as_ref())
                .map(domain::shapes::Text::as_str),
        ),
        upn,
        former_upn: identifiers
            .and_then(|i| i.former_upn.as_ref())
            .map(|u| u.as_str().to_owned()),
        upn_unknown,
        birth_date,
        expected_birth_date,
        sex,
        // The census wants an ethnicity for every child; a record without one has not
        // obtained it, which the census says with its own code.
        ethnicity: Some(
            details
                .ethnicity()
                .map_or("NOBT", |e| e.as_str())
                .to_owned(),
        ),
        disabilities: details
            .disability()
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect(),
        episodes,
    })
}

/// An episode as the census of one year sees it: what happened after the year is not yet
/// known to it, and modules finished before the year belong to earlier returns.
fn cut_to_year(mut e: Episode, first: NaiveDate, last: NaiveDate) -> Episode {
    if e.closure.as_ref().is_some_and(|c| c.0 > last) {
        e.closure = None;
    }
    e.initial_cpc = e.initial_cpc.filter(|d| first <= *d && *d <= last);
    e.assessments
        .retain(|a| a.start <= last && a.authorised.is_none_or(|d| d >= first));
    for a in &mut e.assessments {
        if a.authorised.is_some_and(|d| d > last) {
            a.authorised = None;
            a.factors.clear();
        }
    }
    e.cin_plans
        .retain(|(start, end)| *start <= last && end.is_none_or(|d| d >= first));
    for p in &mut e.cin_plans {
        if p.1.is_some_and(|d| d > last) {
            p.1 = None;
        }
    }
    e.section_47.retain(|s| {
        // One that ended (its conference held, or none needed) before the year is done with.
        s.start <= last && s.icpc.is_none_or(|d| d >= first)
    });
    for s in &mut e.section_47 {
        if s.icpc.is_some_and(|d| d > last) {
            s.icpc = None;
        }
    }
    e.section_47
        .retain(|s| !(s.icpc_not_required && s.icpc.is_none() && s.start < first));
    e.cp_plans
        .retain(|p| p.start <= last && p.end.is_none_or(|d| d >= first));
    for p in &mut e.cp_plans {
        if p.end.is_some_and(|d| d > last) {
            p.end = None;
        }
        p.reviews.retain(|d| first <= *d && *d <= last);
    }
    e
}

#[cfg(test)]
mod tests;
