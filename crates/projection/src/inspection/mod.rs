//! The inspection report: figures across all children for a period, optionally for one
//! locality, showing children only as pseudonyms.
//!
//! Inspectors ask whether thresholds were applied consistently, whether decisions were
//! timely, whether consent was sought and recorded, whether the child's voice was heard, and
//! whether older children at risk of exploitation were judged "not meeting threshold". Every
//! figure that answers them is defined in `docs/REPORT.md`; docs/CONTRACT.md fixes the names of
//! the first ones (never rename them; add freely).
//!
//! - `cases`: one child's events read into facts, corrections and retractions resolved.
//! - `figures`: the figures, counted from the cases.
//! - `pseudonyms`: the child rows named by the caller's pseudonymiser, nothing else.
//! - `csv`: the report as `section,figure,value` rows.
//!
//! What it deliberately does not do: read the store or a clock, or show an identity. No
//! name, date of birth, NHS number, UPN, local child id, child id or event id appears in a
//! report: the child's id goes only to the pseudonymiser the caller hands in (an HMAC under
//! the deployment's key), and event ids are left out because they would lead back to a child.

pub(crate) mod cases;
mod csv;
mod figures;
mod grown;
mod pseudonyms;
mod row_time;
mod suppression;

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::framework::Framework;
use serde::{Deserialize, Serialize};
use store::StoredEvent;
use uuid::Uuid;

pub use figures::{
    AssessmentTimeliness, AtEnd, ChildProtection, ChildRow, ChildVoiceFigures,
    ConferenceTimeliness, ConsentFigures, Consistency, DelayFigures, DisagreementFigures,
    LevelAtEnd, Levels, ObligationFigures, Obligations, OlderChildrenExploitation, RecordingDelay,
    ReferralTimeliness, Referrals, SourceFigures, ThresholdConsistency, Timeliness,
};

use cases::Case;
use figures::Scope;
use suppression::Tree;
pub use suppression::{SUPPRESSED, SmallCounts};

/// The days a report covers, both ends included, as UTC dates. `from` is never after `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PeriodFields")]
pub struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Deserialize)]
struct PeriodFields {
    from: NaiveDate,
    to: NaiveDate,
}

/// A period whose `from` is after its `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl fmt::Display for InvalidPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the period starts ({}) after it ends ({}); give from on or before to",
            self.from, self.to
        )
    }
}

impl std::error::Error for InvalidPeriod {}

impl TryFrom<PeriodFields> for Period {
    type Error = InvalidPeriod;
    fn try_from(f: PeriodFields) -> Result<Self, Self::Error> {
        Period::new(f.from, f.to)
    }
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, InvalidPeriod> {
        if from > to {
            return Err(InvalidPeriod { from, to });
        }
        Ok(Period { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// The first instant after the period: midnight UTC at the end of `to`.
    pub fn end(&self) -> DateTime<Utc> {
        // The last representable date has no next day; its own midnight is the nearest
        // instant a report could mean, and no child's record is dated there.
        self.to
            .succ_opt()
            .unwrap_or(self.to)
            .and_time(NaiveTime::MIN)
            .and_utc()
    }
}

/// `GET /v1/reports/inspection`: docs/CONTRACT.md's shape, with the figures it leaves open after
/// the ones it names. Children appear only as pseudonyms.
///
/// With a `locality`, every figure that rests on 1 to 4 children (a count of them, or the
/// events of fewer than 5 children, or a rate or median over them) is the string `"<5"` in
/// place of its number, in a child's row too; 0 stays 0 (docs/REPORT.md, "Small numbers").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionReport {
    pub period: Period,
    /// The locality asked for; `null` for all.
    pub locality: Option<String>,
    /// The deployment's framework: `norfolk` or `staffordshire`.
    pub framework: String,
    /// Its title, e.g. "Norfolk Threshold Guide".
    pub framework_title: String,
    /// The version of the catalogue and suggestion rules in force when the report was made.
    pub rules_version: String,
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
    /// The children with a record in the period (and locality), sorted by pseudonym.
    pub children: Vec<ChildRow>,
    /// The figures that rest on too few children to be published; inactive without a
    /// locality. Not part of the serialised report, whose numbers stay exact: what leaves the
    /// server is [`InspectionReport::published_json`].
    #[serde(skip)]
    pub small_counts: SmallCounts,
}

impl InspectionReport {
    /// The report as published, with suppressed figures as `<5`; and whether any was.
    fn published(&self) -> (Tree, bool) {
        // The report is plain structs, numbers and strings, so writing and reading its JSON
        // cannot fail; should it ever, the answer is an empty object rather than a panic.
        let mut tree = serde_json::to_string(self)
            .ok()
            .and_then(|s| serde_json::from_str::<Tree>(&s).ok())
            .unwrap_or(Tree::Object(Vec::new()));
        let replaced = self.small_counts.apply(&mut tree);
        (tree, replaced > 0)
    }

    /// The report as the JSON answer: its fields in order, suppressed figures as `"<5"`.
    ///
    /// A report of every locality withholds nothing, so it is written straight from its
    /// structs; only one with a locality goes through the [`Tree`] that suppression edits.
    /// Either way the answer is written into a buffer sized for it first: a county's year is
    /// about 30 MB, and growing one by doubling copied it and faulted in fresh pages about
    /// twice over (a third of the report's time, with writing it twice, in the fifteenth
    /// round's profile).
    pub fn published_json(&self) -> String {
        let mut out = Vec::with_capacity(self.published_size_hint());
        let written = if self.small_counts.is_active() {
            serde_json::to_writer(&mut out, &self.published().0)
        } else {
            serde_json::to_writer(&mut out, self)
        };
        // Plain structs, numbers and strings: writing them cannot fail, and serde_json writes
        // UTF-8. Should either ever fail, the answer is an empty object rather than a panic.
        match written.map(|()| String::from_utf8(out)) {
            Ok(Ok(json)) => json,
            _ => "{}".to_owned(),
        }
    }

    /// About how long the published JSON is: the figures (a few KB, more with many
    /// localities and agencies) and a child's row each (about 450 bytes in a county's
    /// report). A guess only; the buffer grows if it is short.
    fn published_size_hint(&self) -> usize {
        64 * 1024 + 512 * self.children.len()
    }

    /// Whether any figure is published as `<5`: never without a locality, when nothing is
    /// written to find out.
    pub fn suppresses_any(&self) -> bool {
        self.small_counts.is_active() && self.published().1
    }

    /// The published figures as `[section, figure, value]` rows, as the CSV has them.
    pub fn published_rows(&self) -> Vec<[String; 3]> {
        csv::rows(&self.published_json())
    }

    /// The report as CSV: a `section,figure,value` header and one row a figure (see
    /// `docs/REPORT.md` for how sections and figures are named), suppressed figures as `<5`.
    pub fn to_csv(&self) -> String {
        csv::to_csv(&self.published_json())
    }
}

/// The inspection report of `period` (and `locality`, compared without regard to case or
/// surrounding spaces) over the events of every child, in any order.
///
/// `pseudonymise` turns a child's id into its pseudonym; it is called once per child shown
/// and never sees anything else.
pub fn inspection_report(
    events: &[StoredEvent],
    framework: &Framework,
    period: Period,
    locality: Option<&str>,
    pseudonymise: &dyn Fn(Uuid) -> String,
) -> InspectionReport {
    let mut by_child: HashMap<Uuid, Vec<&StoredEvent>> = HashMap::new();
    for e in events {
        by_child.entry(e.child_id).or_default().push(e);
    }
    let mut ids: Vec<Uuid> = by_child.keys().copied().collect();
    // A fixed order, so sums and medians never depend on how the events were handed in.
    ids.sort();
    let cases: Vec<Case> = ids
        .iter()
        .filter_map(|id| by_child.get(id).map(|evs| Case::read(*id, evs, framework)))
        .collect();
    report_of_cases(cases.iter(), framework, period, locality, pseudonymise)
}

/// The report over cases already read (the cross-child read model keeps them), in child id
/// order.
pub(crate) fn report_of_cases<'a>(
    cases: impl Iterator<Item = &'a Case>,
    framework: &Framework,
    period: Period,
    locality: Option<&str>,
    pseudonymise: &dyn Fn(Uuid) -> String,
) -> InspectionReport {
    let cases: Vec<&Case> = cases.collect();
    let locality = locality.map(str::trim).filter(|l| !l.is_empty());
    let scope = Scope { period, locality };
    let f = figures::compute(&cases, &scope, framework);
    let small_counts = if locality.is_some() {
        // Each child's own figures say which figures it gives a value to. Most of a county's
        // children have no record in the one locality (or the period), and their figures
        // are those of no child at all: those are written out and counted once, as many
        // times over as there are such children, rather than once each (writing each
        // child's figures out was most of a locality's report).
        let as_json = |alone: figures::Figures| {
            serde_json::to_value(report_of(
                alone,
                framework,
                &scope,
                &|_| String::new(),
                SmallCounts::default(),
            ))
            .unwrap_or(serde_json::Value::Null)
        };
        let nobody = figures::compute(&[], &scope, framework);
        let like_nobody = std::cell::Cell::new(0u64);
        // One child's report at a time, as the tally takes them: never all at once.
        let per_child = cases.iter().filter_map(|case| {
            let alone = figures::compute(&[*case], &scope, framework);
            if alone == nobody {
                like_nobody.set(like_nobody.get() + 1);
                None
            } else {
                Some((as_json(alone), 1))
            }
        });
        // Asked for only once every child has been looked at, so the count is complete.
        let nobodys = std::iter::once_with(|| like_nobody.get())
            .filter(|&times| times > 0)
            .map(|times| (as_json(nobody.clone()), times));
        SmallCounts::tally(per_child.chain(nobodys))
    } else {
        SmallCounts::default()
    };
    report_of(f, framework, &scope, pseudonymise, small_counts)
}

fn report_of(
    f: figures::Figures,
    framework: &Framework,
    scope: &Scope<'_>,
    pseudonymise: &dyn Fn(Uuid) -> String,
    small_counts: SmallCounts,
) -> InspectionReport {
    InspectionReport {
        period: scope.period,
        locality: scope.locality.map(str::to_owned),
        framework: framework.name().to_owned(),
        framework_title: framework.title().to_owned(),
        rules_version: framework.rules_version().to_owned(),
        referrals: f.referrals,
        consent: f.consent,
        child_voice: f.child_voice,
        levels: f.levels,
        threshold_consistency: f.threshold_consistency,
        child_protection: f.child_protection,
        disagreements: f.disagreements,
        older_children_exploitation: f.older_children_exploitation,
        timeliness: f.timeliness,
        obligations: f.obligations,
        recording_delay: f.recording_delay,
        children: pseudonyms::name_rows(f.children, pseudonymise),
        small_counts,
    }
}
