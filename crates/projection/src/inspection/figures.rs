//! The figures of the inspection report: what each section counts, computed from the cases.
//!
//! Every figure is defined in `docs/REPORT.md`; the comments here say only why the code does
//! what it does. The rules every figure shares: a record counts when it stands (not
//! retracted; read as corrected), when its `occurred_at` falls on a day of the period (UTC
//! dates, both ends included), and when the child lived in the asked locality at that time.
//! Referral figures follow the referrals *received* in the period to whatever happened to
//! them since, so a decision made after the period still counts for the referral it decides.
//!
//! What it deliberately does not do: name a child. Per-child rows carry only counts, a level
//! and an age band; the pseudonym is added by the caller.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use domain::calendar;
use domain::framework::Framework;
use domain::level::Tier;
use serde::{Deserialize, Serialize};

use super::Period;
use super::cases::{Case, ReferralConsent, below_targeted};

/// `referrals`: the referrals received in the period and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Referrals {
    /// `referral_made` in the period.
    pub received: u64,
    /// Of those, decided (a `referral_decided` on record, whenever made).
    pub decided: u64,
    /// Of those, decided by the end of the next working day after the referral.
    pub decided_within_one_working_day: u64,
    /// Of those decided, `no_further_action`.
    pub no_further_action: u64,
    /// Of those decided, the referrer told the outcome (on the decision or later).
    pub referrer_informed: u64,
    /// Of those received, for a child referred already in the 12 months before.
    pub re_referrals_within_12_months: u64,
    /// `no_further_action / decided`, `null` when nothing was decided.
    pub no_further_action_rate: Option<f64>,
    /// `re_referrals_within_12_months / received`.
    pub re_referral_rate: Option<f64>,
    /// The same referrals by census referral source (`not_recorded` when the referral names
    /// none).
    pub by_source: BTreeMap<String, SourceFigures>,
}

/// Referrals from one source: how many ended in no further action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceFigures {
    pub received: u64,
    pub decided: u64,
    pub no_further_action: u64,
    pub no_further_action_rate: Option<f64>,
}

/// `consent`: how consent stood for the referrals received in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentFigures {
    pub referrals_with_consent: u64,
    pub referrals_consent_dispensed: u64,
    pub referrals_consent_refused_proceeded: u64,
    /// Of the refused-and-proceeded referrals, the family told afterwards (`family_informed`
    /// naming the referral, whenever recorded).
    pub family_told_after_refusal: u64,
    /// Referrals whose consent this report cannot read (older data).
    pub referrals_consent_not_recorded: u64,
}

/// `child_voice`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildVoiceFigures {
    /// `conversation_recorded` in the period.
    pub conversations: u64,
    /// Of those, the child's views or observed behaviour recorded.
    pub conversations_with_child_voice: u64,
    /// Of those, only a reason why the child was not heard.
    pub conversations_child_voice_not_captured: u64,
    /// `needs_assessed` in the period, and those with the child's views or behaviour.
    pub assessments: u64,
    pub assessments_with_child_voice: u64,
}

/// `levels`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Levels {
    /// Children registered by the end of the period, by their tier at its end.
    pub at_end: AtEnd,
    /// `stepped_up` / `stepped_down` in the period.
    pub step_ups: u64,
    pub step_downs: u64,
    /// The same steps by tier stepped from and to, keyed `1_to_2`, `4_to_3`, ... (steps whose
    /// levels cannot be read are counted above only).
    #[serde(default)]
    pub flows: BTreeMap<String, u64>,
}

/// Children by tier at the end of the period: `{ "1", "2", "3", "4" }`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AtEnd {
    #[serde(rename = "1")]
    pub tier_1: u64,
    #[serde(rename = "2")]
    pub tier_2: u64,
    #[serde(rename = "3")]
    pub tier_3: u64,
    #[serde(rename = "4")]
    pub tier_4: u64,
}

impl AtEnd {
    fn add(&mut self, tier: Tier) {
        match tier.get() {
            1 => self.tier_1 += 1,
            2 => self.tier_2 += 1,
            3 => self.tier_3 += 1,
            _ => self.tier_4 += 1,
        }
    }
}

/// Decided against suggested, by tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consistency {
    /// `needs_assessed` in the period with a readable decided level.
    pub assessments: u64,
    pub decided_as_suggested: u64,
    pub decided_above_suggested: u64,
    pub decided_below_suggested: u64,
    /// Of `assessments`, those whose suggestion was worked out again because the stored
    /// one was missing (a corrected assessment).
    pub suggestion_recomputed: u64,
}

impl Consistency {
    fn add(&mut self, other: &Consistency) {
        self.assessments += other.assessments;
        self.decided_as_suggested += other.decided_as_suggested;
        self.decided_above_suggested += other.decided_above_suggested;
        self.decided_below_suggested += other.decided_below_suggested;
        self.suggestion_recomputed += other.suggestion_recomputed;
    }
}

/// `threshold_consistency`: the professional's decision against the catalogue's suggestion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThresholdConsistency {
    #[serde(flatten)]
    pub all: Consistency,
    /// By the child's locality at the time of the assessment.
    pub by_locality: BTreeMap<String, Consistency>,
    /// By the agency of the child's latest referral at or before the assessment
    /// (`no_referral` when there was none).
    pub by_referring_agency: BTreeMap<String, Consistency>,
}

/// `child_protection`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildProtection {
    pub strategy_discussions: u64,
    pub section_47_enquiries: u64,
    pub initial_conferences: u64,
    /// Child protection plans started / ended in the period.
    pub plans_started: u64,
    pub plans_ended: u64,
}

/// `disagreements`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DisagreementFigures {
    /// Raised in the period.
    pub raised: u64,
    /// Resolved in the period (whenever raised).
    pub resolved: u64,
    /// Of those resolved, the median calendar days from raising to resolution.
    pub median_days_to_resolve: Option<f64>,
    /// The same in working days.
    pub median_working_days_to_resolve: Option<f64>,
    /// Raised by the end of the period and not resolved by then.
    pub open_at_end: u64,
    /// Of those raised in the period, escalated beyond stage 1 (by now).
    pub escalated: u64,
}

/// `older_children_exploitation`: older children with exploitation indicators judged below
/// targeted support.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OlderChildrenExploitation {
    /// Assessments in the period of a child aged 14 to 17 on the day of the decision that
    /// name an indicator the framework tags `exploitation`.
    pub assessments: u64,
    /// Of those, decided at tier 1 or 2.
    pub decided_tier_1_or_2: u64,
    /// Of those decided at tier 1 or 2, the catalogue suggested tier 3 or 4.
    pub suggested_tier_3_or_4: u64,
    /// Distinct children with an assessment decided at tier 1 or 2.
    pub children: u64,
}

/// `timeliness`, on England's working days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeliness {
    pub referral_decisions: ReferralTimeliness,
    pub assessments: AssessmentTimeliness,
    pub initial_conferences: ConferenceTimeliness,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferralTimeliness {
    /// Referrals received in the period.
    pub received: u64,
    pub within_one_working_day: u64,
    pub later: u64,
    pub not_decided: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssessmentTimeliness {
    /// Single and section 47 assessments completed in the period.
    pub completed: u64,
    pub within_45_working_days: u64,
    pub over_45_working_days: u64,
    /// Completed with no `started_on`: their length cannot be known.
    pub start_not_recorded: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConferenceTimeliness {
    /// Initial child protection conferences held in the period.
    pub held: u64,
    pub within_15_working_days: u64,
    pub over_15_working_days: u64,
    /// No strategy discussion that started enquiries is on record before the conference.
    pub no_strategy_discussion: u64,
}

/// `obligations`: what was owed and fell due in the period, and whether it was met.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Obligations {
    #[serde(flatten)]
    pub all: ObligationFigures,
    /// By kind: `decide_referral`, `inform_referrer`, `inform_family`, `review_plan`.
    pub by_kind: BTreeMap<String, ObligationFigures>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObligationFigures {
    pub due: u64,
    pub met_on_time: u64,
    pub met_late: u64,
    /// Nothing on record meets it.
    pub not_met: u64,
}

impl ObligationFigures {
    fn count(&mut self, due_by: DateTime<Utc>, met_at: Option<DateTime<Utc>>) {
        self.due += 1;
        match met_at {
            Some(t) if t <= due_by => self.met_on_time += 1,
            Some(_) => self.met_late += 1,
            None => self.not_met += 1,
        }
    }
}

/// `recording_delay`: `recorded_at − occurred_at` of the records in the period, in hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordingDelay {
    #[serde(flatten)]
    pub all: DelayFigures,
    /// By the agency whose token recorded them.
    pub by_agency: BTreeMap<String, DelayFigures>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DelayFigures {
    pub records: u64,
    pub median_hours: Option<f64>,
    /// The 90th percentile (nearest rank).
    pub p90_hours: Option<f64>,
    /// Recorded more than 24 hours after they happened.
    pub over_24_hours: u64,
}

/// One child's row: counts only, never an identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildRow {
    pub pseudonym: String,
    /// `0-4`, `5-9`, `10-13`, `14-17`, `18+`, `unborn` or `unknown`, at the end of the period.
    pub age_band: String,
    /// The child's level at the end of the period.
    pub level_at_end: Option<LevelAtEnd>,
    pub referrals: u64,
    pub re_referrals: u64,
    pub no_further_action: u64,
    pub assessments: u64,
    pub decided_below_suggested: u64,
    pub conversations: u64,
    pub conversations_with_child_voice: u64,
    pub step_ups: u64,
    pub step_downs: u64,
    pub disagreements_raised: u64,
    /// Counted in `older_children_exploitation.decided_tier_1_or_2`.
    pub older_child_exploitation_decided_tier_1_or_2: bool,
    pub obligations_met_late: u64,
    pub obligations_not_met: u64,
}

/// A level as every answer shows it: `{ tier, name, statutory_basis }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelAtEnd {
    pub tier: u8,
    pub name: String,
    pub statutory_basis: String,
}

/// Every figure but the header and the pseudonyms, from the cases of all children.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Figures {
    pub referrals: Referrals,
    pub consent: ConsentFigures,
    pub child_voice: ChildVoiceFigures,
    pub levels: Levels,
    pub threshold_consistency: ThresholdConsistency,
    pub child_protection: ChildProtection,
    pub disagreements: DisagreementFigures,
    pub older_children_exploitation: OlderChildrenExploitation,
    pub timeliness: Timeliness,
    pub obligations: Obligations,
    pub recording_delay: RecordingDelay,
    /// Rows of the children active in the period, with their ids for the pseudonymiser.
    pub children: Vec<(uuid::Uuid, ChildRow)>,
}

/// Which records count: in the period, in the locality (if one was asked for).
pub(super) struct Scope<'a> {
    pub period: Period,
    pub locality: Option<&'a str>,
}

impl Scope<'_> {
    fn in_period(&self, at: DateTime<Utc>) -> bool {
        self.period.contains(at.date_naive())
    }

    fn in_locality(&self, case: &Case, at: DateTime<Utc>) -> bool {
        match self.locality {
            None => true,
            Some(wanted) => case
                .locality_at(at)
                .is_some_and(|l| same_locality(l, wanted)),
        }
    }

    /// Whether a record of `case` that happened at `at` counts.
    fn counts(&self, case: &Case, at: DateTime<Utc>) -> bool {
        self.in_period(at) && self.in_locality(case, at)
    }
}

/// Localities are free text typed by people: the same place may be written "Norwich" or
/// "norwich ".
pub(super) fn same_locality(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

const NO_REFERRAL: &str = "no_referral";
const NOT_RECORDED: &str = "not_recorded";
const UNKNOWN_LOCALITY: &str = "unknown";

pub(super) fn compute(cases: &[&Case], scope: &Scope<'_>, framework: &Framework) -> Figures {
    let mut f = Figures::default();
    let end = scope.period.end();
    let mut resolve_days: Vec<(i64, i64)> = Vec::new();
    let mut delays: Vec<(Arc<str>, i64)> = Vec::new();

    for case in cases {
        let mut row = ChildRow {
            pseudonym: String::new(),
            age_band: age_band(case, scope.period.to()),
            level_at_end: case.level_at(end).map(|l| LevelAtEnd {
                tier: l.tier.get(),
                name: framework.tier_name(l.tier).to_owned(),
                statutory_basis: l.statutory_basis.as_str().to_owned(),
            }),
            referrals: 0,
            re_referrals: 0,
            no_further_action: 0,
            assessments: 0,
            decided_below_suggested: 0,
            conversations: 0,
            conversations_with_child_voice: 0,
            step_ups: 0,
            step_downs: 0,
            disagreements_raised: 0,
            older_child_exploitation_decided_tier_1_or_2: false,
            obligations_met_late: 0,
            obligations_not_met: 0,
        };

        referrals(case, scope, &mut f, &mut row);
        assessments(case, scope, &mut f, &mut row);
        for c in case
            .conversations
            .iter()
            .filter(|c| scope.counts(case, c.at))
        {
            f.child_voice.conversations += 1;
            row.conversations += 1;
            if c.child_voice_heard {
                f.child_voice.conversations_with_child_voice += 1;
                row.conversations_with_child_voice += 1;
            } else if c.child_voice_reason_only {
                f.child_voice.conversations_child_voice_not_captured += 1;
            }
        }
        for s in case.steps.iter().filter(|s| scope.counts(case, s.at)) {
            if let (Some(from), Some(to)) = (s.from, s.to) {
                *f.levels.flows.entry(format!("{from}_to_{to}")).or_default() += 1;
            }
            if s.up {
                f.levels.step_ups += 1;
                row.step_ups += 1;
            } else {
                f.levels.step_downs += 1;
                row.step_downs += 1;
            }
        }
        // A child counts at the end of the period once registered by then, in the locality
        // it lived in at the end.
        let registered_by_end = case.registered_at.is_none_or(|r| r < end);
        if registered_by_end
            && scope.in_locality(case, end)
            && let Some(level) = case.level_at(end)
        {
            f.levels.at_end.add(level.tier);
        }
        child_protection(case, scope, &mut f);
        disagreements(case, scope, &mut f, &mut row, &mut resolve_days);
        obligations(case, scope, &mut f, &mut row);
        for (agency, occurred, recorded) in &case.recordings {
            if scope.counts(case, *occurred)
                && let Some(agency) = case.agencies.get(*agency as usize)
            {
                delays.push((agency.clone(), (*recorded - *occurred).num_seconds().max(0)));
            }
        }

        if case.activity.iter().any(|at| scope.counts(case, *at)) {
            f.children.push((case.child_id, row));
        }
    }

    f.referrals.no_further_action_rate = rate(f.referrals.no_further_action, f.referrals.decided);
    f.referrals.re_referral_rate = rate(
        f.referrals.re_referrals_within_12_months,
        f.referrals.received,
    );
    for s in f.referrals.by_source.values_mut() {
        s.no_further_action_rate = rate(s.no_further_action, s.decided);
    }
    f.disagreements.median_days_to_resolve =
        median(resolve_days.iter().map(|d| d.0 as f64).collect());
    f.disagreements.median_working_days_to_resolve =
        median(resolve_days.iter().map(|d| d.1 as f64).collect());
    f.recording_delay = recording_delay(delays);
    f
}

fn referrals(case: &Case, scope: &Scope<'_>, f: &mut Figures, row: &mut ChildRow) {
    for r in case
        .referrals
        .iter()
        .filter(|r| scope.counts(case, r.made_at))
    {
        let source = r.source.clone().unwrap_or_else(|| NOT_RECORDED.to_owned());
        let by_source = f.referrals.by_source.entry(source).or_default();
        f.referrals.received += 1;
        by_source.received += 1;
        row.referrals += 1;

        // A referral made within the 12 months before this one, on the same child: the
        // census's re-referral. "Before" is by when they happened, then by recording order
        // for two at the same instant.
        let year_before = r
            .made_at
            .checked_sub_months(Months::new(12))
            .unwrap_or(r.made_at);
        let re_referral = case.referrals.iter().any(|p| {
            (p.made_at, p.made_sequence) < (r.made_at, r.made_sequence) && p.made_at >= year_before
        });
        if re_referral {
            f.referrals.re_referrals_within_12_months += 1;
            row.re_referrals += 1;
        }

        match r.consent {
            ReferralConsent::Given => f.consent.referrals_with_consent += 1,
            ReferralConsent::Dispensed => f.consent.referrals_consent_dispensed += 1,
            ReferralConsent::RefusedProceeding => {
                f.consent.referrals_consent_refused_proceeded += 1;
                if case.family_informed.contains_key(&r.made_event_id) {
                    f.consent.family_told_after_refusal += 1;
                }
            }
            ReferralConsent::NotRecorded => f.consent.referrals_consent_not_recorded += 1,
        }

        f.timeliness.referral_decisions.received += 1;
        let Some(d) = &r.decision else {
            f.timeliness.referral_decisions.not_decided += 1;
            continue;
        };
        f.referrals.decided += 1;
        by_source.decided += 1;
        if d.at <= calendar::end_of_next_working_day(r.made_at) {
            f.referrals.decided_within_one_working_day += 1;
            f.timeliness.referral_decisions.within_one_working_day += 1;
        } else {
            f.timeliness.referral_decisions.later += 1;
        }
        if d.decision.as_deref() == Some("no_further_action") {
            f.referrals.no_further_action += 1;
            by_source.no_further_action += 1;
            row.no_further_action += 1;
        }
        if r.referrer_informed_at.is_some() {
            f.referrals.referrer_informed += 1;
        }
    }
}

fn assessments(case: &Case, scope: &Scope<'_>, f: &mut Figures, row: &mut ChildRow) {
    let mut older_low = false;
    for a in case.assessments.iter().filter(|a| scope.counts(case, a.at)) {
        f.child_voice.assessments += 1;
        if a.child_voice_heard {
            f.child_voice.assessments_with_child_voice += 1;
        }

        // Timeliness: the 45 working days of Working Together apply to the statutory
        // assessments (single and section 47), counted from `started_on` to the day the
        // assessment was completed (`occurred_at`).
        if matches!(
            a.kind.as_deref(),
            Some("single_assessment" | "section_47_assessment")
        ) {
            let t = &mut f.timeliness.assessments;
            t.completed += 1;
            match a.started_on {
                None => t.start_not_recorded += 1,
                Some(start) if calendar::working_days_between(start, a.at.date_naive()) <= 45 => {
                    t.within_45_working_days += 1;
                }
                Some(_) => t.over_45_working_days += 1,
            }
        }

        let Some(decided) = a.decided else { continue };
        row.assessments += 1;
        let mut c = Consistency {
            assessments: 1,
            ..Consistency::default()
        };
        if a.suggestion_recomputed {
            c.suggestion_recomputed = 1;
        }
        // Compared by tier: the catalogue suggests a tier (read as the lowest level the
        // framework allows there), while the statutory basis within a tier is the
        // assessment's to decide, so a Child in Need decision at the suggested tier is not
        // "above" it.
        if let Some(suggested) = a.suggested {
            match decided.tier.cmp(&suggested.tier) {
                std::cmp::Ordering::Equal => c.decided_as_suggested = 1,
                std::cmp::Ordering::Greater => c.decided_above_suggested = 1,
                std::cmp::Ordering::Less => {
                    c.decided_below_suggested = 1;
                    row.decided_below_suggested += 1;
                }
            }
        }
        f.threshold_consistency.all.add(&c);
        let locality = case
            .locality_at(a.at)
            .unwrap_or(UNKNOWN_LOCALITY)
            .trim()
            .to_owned();
        f.threshold_consistency
            .by_locality
            .entry(locality)
            .or_default()
            .add(&c);
        let referrer = case
            .referrals
            .iter()
            .filter(|r| r.made_at <= a.at)
            .max_by_key(|r| (r.made_at, r.made_sequence))
            .map_or_else(|| NO_REFERRAL.to_owned(), |r| r.agency.clone());
        f.threshold_consistency
            .by_referring_agency
            .entry(referrer)
            .or_default()
            .add(&c);

        let age = case.age_on(a.at.date_naive());
        if a.exploitation && age.is_some_and(|y| (14..=17).contains(&y)) {
            let o = &mut f.older_children_exploitation;
            o.assessments += 1;
            if below_targeted(decided) {
                o.decided_tier_1_or_2 += 1;
                older_low = true;
                if a.suggested.is_some_and(|s| s.tier >= Tier::THREE) {
                    o.suggested_tier_3_or_4 += 1;
                }
            }
        }
    }
    if older_low {
        f.older_children_exploitation.children += 1;
        row.older_child_exploitation_decided_tier_1_or_2 = true;
    }
}

fn child_protection(case: &Case, scope: &Scope<'_>, f: &mut Figures) {
    let cp = &mut f.child_protection;
    cp.strategy_discussions += case
        .strategy_discussions
        .iter()
        .filter(|s| scope.counts(case, s.at))
        .count() as u64;
    cp.section_47_enquiries += case
        .enquiries_started
        .iter()
        .filter(|at| scope.counts(case, **at))
        .count() as u64;
    for p in case
        .plans
        .iter()
        .filter(|p| p.kind.as_deref() == Some("child_protection_plan"))
    {
        if scope.counts(case, p.started_at) {
            cp.plans_started += 1;
        }
        if p.ended_at.is_some_and(|at| scope.counts(case, at)) {
            cp.plans_ended += 1;
        }
    }
    for c in case
        .conferences
        .iter()
        .filter(|c| c.initial && scope.counts(case, c.at))
    {
        cp.initial_conferences += 1;
        let t = &mut f.timeliness.initial_conferences;
        t.held += 1;
        // Working Together's 15 working days run from the strategy discussion at which
        // enquiries were started: the latest one before the conference that decided on an
        // enquiry or immediate protection.
        let discussion = case
            .strategy_discussions
            .iter()
            .filter(|s| {
                matches!(
                    s.decision.as_deref(),
                    Some("section_47_enquiry" | "immediate_protection")
                )
            })
            .filter(|s| (s.at, s.sequence) <= (c.at, c.sequence))
            .max_by_key(|s| (s.at, s.sequence));
        match discussion {
            None => t.no_strategy_discussion += 1,
            Some(s)
                if calendar::working_days_between(s.at.date_naive(), c.at.date_naive()) <= 15 =>
            {
                t.within_15_working_days += 1;
            }
            Some(_) => t.over_15_working_days += 1,
        }
    }
}

fn disagreements(
    case: &Case,
    scope: &Scope<'_>,
    f: &mut Figures,
    row: &mut ChildRow,
    resolve_days: &mut Vec<(i64, i64)>,
) {
    let end = scope.period.end();
    for d in &case.disagreements {
        if scope.counts(case, d.raised_at) {
            f.disagreements.raised += 1;
            row.disagreements_raised += 1;
            if d.stages.len() > 1 {
                f.disagreements.escalated += 1;
            }
        }
        if let Some(r) = &d.resolution
            && scope.counts(case, r.resolved_at)
        {
            f.disagreements.resolved += 1;
            resolve_days.push((r.calendar_days_to_resolve, r.working_days_to_resolve));
        }
        let open_at_end =
            d.raised_at < end && d.resolution.as_ref().is_none_or(|r| r.resolved_at >= end);
        if open_at_end && scope.in_locality(case, end) {
            f.disagreements.open_at_end += 1;
        }
    }
}

/// Obligations that fell due in the period, judged against what is on record now. Each is
/// placed in the locality the child lived in when it arose.
fn obligations(case: &Case, scope: &Scope<'_>, f: &mut Figures, row: &mut ChildRow) {
    let mut count =
        |kind: &str, arose: DateTime<Utc>, due_by: DateTime<Utc>, met_at: Option<DateTime<Utc>>| {
            // `due_by` is the instant the day ends; the day it falls due is the one before.
            let due_day = (due_by - Duration::seconds(1)).date_naive();
            if !scope.period.contains(due_day) || !scope.in_locality(case, arose) {
                return;
            }
            f.obligations.all.count(due_by, met_at);
            f.obligations
                .by_kind
                .entry(kind.to_owned())
                .or_default()
                .count(due_by, met_at);
            match met_at {
                Some(t) if t > due_by => row.obligations_met_late += 1,
                None => row.obligations_not_met += 1,
                _ => {}
            }
        };

    for r in &case.referrals {
        let due = calendar::end_of_next_working_day(r.made_at);
        count(
            "decide_referral",
            r.made_at,
            due,
            r.decision.as_ref().map(|d| d.at),
        );
        if let Some(d) = &r.decision {
            count(
                "inform_referrer",
                d.at,
                calendar::end_of_next_working_day(d.at),
                r.referrer_informed_at,
            );
        }
    }
    for (about, at) in &case.family_to_inform {
        count(
            "inform_family",
            *at,
            calendar::end_of_next_working_day(*at),
            case.family_informed.get(about).copied(),
        );
    }
    for p in &case.plans {
        // Each review date owes a review; the review that meets it sets the next date. A plan
        // that ended on or before a review date no longer owes that review.
        let mut review_by = p.review_by;
        let mut arose = p.started_at;
        let mut reviews = p.reviews.iter().peekable();
        while let Some(day) = review_by {
            let Some(due_by) = end_of_day(day) else { break };
            if p.ended_at.is_some_and(|e| e <= due_by)
                && reviews.peek().is_none_or(|r| r.0 > due_by)
            {
                break;
            }
            match reviews.next() {
                Some((at, next)) => {
                    count("review_plan", arose, due_by, Some(*at));
                    arose = *at;
                    review_by = *next;
                }
                None => {
                    count("review_plan", arose, due_by, None);
                    break;
                }
            }
        }
    }
}

fn end_of_day(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.succ_opt()?.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

fn recording_delay(delays: Vec<(Arc<str>, i64)>) -> RecordingDelay {
    let mut by_agency: BTreeMap<Arc<str>, Vec<i64>> = BTreeMap::new();
    let mut all = Vec::with_capacity(delays.len());
    for (agency, seconds) in delays {
        by_agency.entry(agency).or_default().push(seconds);
        all.push(seconds);
    }
    RecordingDelay {
        all: delay_figures(all),
        by_agency: by_agency
            .into_iter()
            .map(|(a, s)| (a.to_string(), delay_figures(s)))
            .collect(),
    }
}

fn delay_figures(mut seconds: Vec<i64>) -> DelayFigures {
    seconds.sort_unstable();
    let hours = |s: i64| round(s as f64 / 3600.0, 2);
    let p90 = if seconds.is_empty() {
        None
    } else {
        // Nearest rank: the smallest value with at least 90% of values at or below it.
        let rank = (seconds.len() * 9).div_ceil(10);
        seconds.get(rank.saturating_sub(1)).map(|s| hours(*s))
    };
    DelayFigures {
        records: seconds.len() as u64,
        median_hours: median(seconds.iter().map(|s| *s as f64).collect())
            .map(|m| round(m / 3600.0, 2)),
        p90_hours: p90,
        over_24_hours: seconds.iter().filter(|s| **s > 24 * 3600).count() as u64,
    }
}

fn age_band(case: &Case, day: NaiveDate) -> String {
    let band = match (case.date_of_birth, case.age_on(day)) {
        (None, _) if case.unborn => "unborn",
        (None, _) => "unknown",
        (Some(_), None) => "unborn",
        (_, Some(0..=4)) => "0-4",
        (_, Some(5..=9)) => "5-9",
        (_, Some(10..=13)) => "10-13",
        (_, Some(14..=17)) => "14-17",
        (_, Some(_)) => "18+",
    };
    band.to_owned()
}

/// `n / d` to four places; `None` when `d` is 0.
fn rate(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| round(n as f64 / d as f64, 4))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let m = if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    };
    Some(round(m, 2))
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}
