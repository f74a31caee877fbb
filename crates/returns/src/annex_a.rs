//! Ofsted's Annex A child-level lists 1 to 7 for a window of time, one child at a time: the
//! rows each list gets from a child's record as it stands.
//!
//! Every list starts with the same five columns (Child Unique ID, Gender, Ethnicity, Date of
//! Birth, Age of Child (Years)); coded values carry Ofsted's lettered labels (`a) Male`,
//! `a) 1A: Individual`, `a) Yes`). Who the child is shown as (the council's id, or the
//! inspection report's pseudonym with the month of birth only) is the caller's choice:
//! [`Shown`]. Episodes, assessments, enquiries and plans are the census's own
//! ([`crate::census::episodes`]), so the two returns never disagree.
//!
//! What it deliberately does not do: write a file (that is `workbook`), or decide who may see
//! which form of identity.

use chrono::{Datelike, Months, NaiveDate};
use domain::child::{Child, EventBody};
use domain::codes::{Ethnicity, ReferralSource};
use domain::record::{AssessmentKind, RecordData, ReferralTo};
use domain::registration::Gender;

use crate::census::{self, Episode};

/// The window the lists cover, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    from: NaiveDate,
    to: NaiveDate,
}

/// A window of no months, or one reaching before the calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("months must be 1 to 120")]
pub struct InvalidWindow;

impl Window {
    /// The `months` months that end on `to`: from the day after the same date `months`
    /// months earlier.
    pub fn ending(to: NaiveDate, months: u32) -> Result<Window, InvalidWindow> {
        if !(1..=120).contains(&months) {
            return Err(InvalidWindow);
        }
        let from = to
            .checked_sub_months(Months::new(months))
            .and_then(|d| d.succ_opt())
            .ok_or(InvalidWindow)?;
        Ok(Window { from, to })
    }
    pub fn from(&self) -> NaiveDate {
        self.from
    }
    pub fn to(&self) -> NaiveDate {
        self.to
    }
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
    /// Whether something running from `start` to `end` (open when `None`) overlaps it.
    fn overlaps(&self, start: NaiveDate, end: Option<NaiveDate>) -> bool {
        start <= self.to && end.is_none_or(|e| e >= self.from)
    }
}

/// One cell of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Date(NaiveDate),
    /// A month of birth shown without its day (the first of the month, formatted `mm/yyyy`).
    Month(NaiveDate),
    Number(u32),
    Empty,
}

/// How a child is shown: the council's id and date of birth (front door, auditor), or the
/// inspection report's pseudonym and month of birth only (inspector).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Council(String),
    Pseudonym(String),
}

/// One of the seven lists: its number, sheet name, headings and rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub number: u8,
    pub name: &'static str,
    pub headings: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The five columns every list starts with.
pub const COMMON: [&str; 5] = [
    "Child Unique ID",
    "Gender",
    "Ethnicity",
    "Date of Birth",
    "Age of Child (Years)",
];

/// The columns each list adds after [`COMMON`], and its sheet name.
const LISTS: [(&str, &[&str]); 7] = [
    ("List 1 Contacts", &["Date of Contact", "Contact Source"]),
    (
        "List 2 Early Help",
        &[
            "Date Early Help Assessment Started",
            "Date Early Help Assessment Completed",
            "Organisation Completing Early Help Assessment",
        ],
    ),
    (
        "List 3 Referrals",
        &[
            "Date of Referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            "Allocated Team",
            "Allocated Worker",
        ],
    ),
    (
        "List 4 Assessments",
        &[
            "Continuous Assessment Start Date",
            "Child Seen During Continuous Assessment",
            "Continuous Assessment Date of Authorisation",
            "Allocated Team",
            "Allocated Worker",
        ],
    ),
    (
        "List 5 Section 47",
        &[
            "Strategy Discussion Initiating Section 47 Enquiry Start Date",
            "Was an Initial Child Protection Conference Deemed Unnecessary?",
            "Date of Initial Child Protection Conference",
            "Did the Initial Child Protection Conference Result in a Child Protection Plan?",
            "Allocated Team",
            "Allocated Worker",
        ],
    ),
    (
        "List 6 Children in Need",
        &[
            "CIN Start Date",
            "Primary Need Code",
            "Case Status",
            "CIN Closure Date",
            "Reason for Closure",
            "Allocated Team",
            "Allocated Worker",
        ],
    ),
    (
        "List 7 Child Protection",
        &[
            "Child Protection Plan Start Date",
            "Initial Category of Abuse",
            "Latest Category of Abuse",
            "Date of Last Review",
            "Number of Previous Child Protection Plans",
            "Child Protection Plan End Date",
            "Allocated Team",
            "Allocated Worker",
        ],
    ),
];

/// The letter Ofsted puts before the `i`th value of a list (`a)`, `b)`, ...).
fn lettered(i: usize, label: &str) -> String {
    let letter = char::from(b'a' + (i % 26) as u8);
    format!("{letter}) {label}")
}

/// `a) Yes` / `b) No`.
pub fn yes_no(b: bool) -> String {
    if b {
        lettered(0, "Yes")
    } else {
        lettered(1, "No")
    }
}

pub fn gender_label(g: Gender) -> String {
    match g {
        Gender::Male => lettered(0, "Male"),
        Gender::Female => lettered(1, "Female"),
        Gender::Unknown => lettered(2, "Unknown"),
        Gender::NotStated => lettered(3, "Not stated"),
    }
}

/// `a) WBRI: White British`.
pub fn ethnicity_label(code: &str) -> String {
    match Ethnicity::LABELS.iter().position(|(c, _)| *c == code) {
        Some(i) => lettered(i, &format!("{code}: {}", Ethnicity::LABELS[i].1)),
        None => code.to_owned(),
    }
}

/// `a) 1A: Individual`: the source's code and its group, as Ofsted's list words it.
pub fn source_label(code: &str) -> String {
    match ReferralSource::LABELS.iter().position(|(c, _)| *c == code) {
        Some(i) => {
            let label = ReferralSource::LABELS[i].1;
            let group = label.split(':').next().unwrap_or(label);
            lettered(i, &format!("{code}: {group}"))
        }
        None => code.to_owned(),
    }
}

/// `a) Neglect` ... `e) Multiple`, from the census code.
pub fn category_label(code: &str) -> String {
    let all = ["NEG", "PHY", "EMO", "SAB", "MUL"];
    let words = [
        "Neglect",
        "Physical abuse",
        "Emotional abuse",
        "Sexual abuse",
        "Multiple",
    ];
    match all.iter().position(|c| *c == code) {
        Some(i) => lettered(i, words[i]),
        None => code.to_owned(),
    }
}

/// Whole years from `born` to `on`.
fn age(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < born {
        return None;
    }
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// The seven lists, filled one child at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnexA {
    window: Window,
    lists: Vec<List>,
}

impl AnnexA {
    pub fn new(window: Window) -> AnnexA {
        let lists = LISTS
            .iter()
            .enumerate()
            .map(|(i, (name, extra))| List {
                number: (i + 1) as u8,
                name,
                headings: COMMON.iter().chain(extra.iter()).copied().collect(),
                rows: Vec::new(),
            })
            .collect();
        AnnexA { window, lists }
    }

    pub fn window(&self) -> Window {
        self.window
    }

    pub fn lists(&self) -> &[List] {
        &self.lists
    }

    /// List `n` (1 to 7).
    pub fn list(&self, n: u8) -> Option<&List> {
        self.lists.get(usize::from(n).checked_sub(1)?)
    }

    /// Adds the child's rows to every list it belongs in.
    pub fn add_child(&mut self, shown: &Shown, child: &Child) {
        let Some(details) = child.state().details.as_ref() else {
            return;
        };
        let w = self.window;
        let born = details.date_of_birth();
        let (id, birth_cell) = match shown {
            Shown::Council(id) => (id.clone(), born.map_or(Cell::Empty, Cell::Date)),
            Shown::Pseudonym(p) => (
                p.clone(),
                born.and_then(|b| b.with_day(1))
                    .map_or(Cell::Empty, Cell::Month),
            ),
        };
        let common = |on: NaiveDate| -> Vec<Cell> {
            vec![
                Cell::Text(id.clone()),
                Cell::Text(gender_label(details.gender())),
                details
                    .ethnicity()
                    .map_or(Cell::Empty, |e| Cell::Text(ethnicity_label(e.as_str()))),
                birth_cell.clone(),
                born.and_then(|b| age(b, on))
                    .map_or(Cell::Empty, Cell::Number),
            ]
        };
        let text = |s: Option<String>| s.map_or(Cell::Empty, Cell::Text);
        let date = |d: Option<NaiveDate>| d.map_or(Cell::Empty, Cell::Date);

        // Lists 1 and 2 come from the records themselves.
        let mut rows: [Vec<Vec<Cell>>; 7] = Default::default();
        // Who the child is allocated to at the window's end: the last lead worker assigned by
        // then, unless the case closed after it.
        let mut allocated: Option<(Option<String>, String)> = None;
        for s in child.standing() {
            let Some(e) = s.event() else { continue };
            let EventBody::Record(r) = &e.body else {
                continue;
            };
            let day = e.occurred_at.date_naive();
            if day <= w.to {
                match r {
                    RecordData::LeadWorkerAssigned(l) => {
                        allocated = Some((
                            l.team.as_ref().map(|t| t.as_str().to_owned()),
                            l.lead_worker.name.as_str().to_owned(),
                        ));
                    }
                    RecordData::CaseClosed(_) => allocated = None,
                    _ => {}
                }
            }
            if !w.contains(day) {
                continue;
            }
            match r {
                RecordData::ReferralMade(m) if m.to == ReferralTo::FrontDoor => {
                    let mut row = common(day);
                    row.push(Cell::Date(day));
                    row.push(text(m.source.as_ref().map(|s| source_label(s.as_str()))));
                    rows[0].push(row);
                }
                RecordData::NeedsAssessed(a)
                    if matches!(
                        a.assessment,
                        AssessmentKind::EarlyHelpAssessment
                            | AssessmentKind::FamilySupportAssessment
                    ) =>
                {
                    let mut row = common(day);
                    row.push(Cell::Date(a.started_on.unwrap_or(day).min(day)));
                    row.push(Cell::Date(day));
                    row.push(Cell::Text(e.recorded_by.agency.as_str().to_owned()));
                    rows[1].push(row);
                }
                _ => {}
            }
        }

        let episodes: Vec<Episode> = census::episodes(child);
        for (i, ep) in episodes.iter().enumerate() {
            // List 3: referrals made in the window.
            if w.contains(ep.referral_date) {
                let year_before = ep
                    .referral_date
                    .checked_sub_months(Months::new(12))
                    .unwrap_or(ep.referral_date);
                let earlier = episodes[..i]
                    .iter()
                    .filter(|p| p.referral_date >= year_before)
                    .count();
                let mut row = common(ep.referral_date);
                row.push(Cell::Date(ep.referral_date));
                row.push(text(ep.referral_source.as_deref().map(source_label)));
                row.push(Cell::Text(yes_no(ep.referral_nfa)));
                row.push(Cell::Number(earlier as u32));
                rows[2].push(row);
            }
            // List 4: assessments under way in the window.
            for a in &ep.assessments {
                if w.overlaps(a.start, a.authorised) {
                    let mut row = common(a.start);
                    row.push(Cell::Date(a.start));
                    row.push(text(a.child_seen.map(yes_no)));
                    row.push(date(a.authorised.filter(|d| *d <= w.to)));
                    rows[3].push(row);
                }
            }
            // List 5: enquiries begun in the window.
            for s in &ep.section_47 {
                if w.contains(s.start) {
                    let icpc = s.icpc.filter(|d| *d <= w.to);
                    let plan = icpc.map(|d| ep.cp_plans.iter().any(|p| p.start == d));
                    let mut row = common(s.start);
                    row.push(Cell::Date(s.start));
                    row.push(Cell::Text(yes_no(s.icpc_not_required)));
                    row.push(date(icpc));
                    row.push(text(plan.map(yes_no)));
                    rows[4].push(row);
                }
            }
            // List 6: children in need at some point in the window.
            let closed = ep.closure.as_ref().map(|c| c.0);
            if !ep.referral_nfa && w.overlaps(ep.referral_date, closed) {
                let closed_in = ep.closure.as_ref().filter(|c| c.0 <= w.to);
                let mut row = common(w.to.min(closed.unwrap_or(w.to)));
                row.push(Cell::Date(ep.referral_date));
                row.push(text(ep.primary_need.clone()));
                row.push(Cell::Text(if closed_in.is_some() {
                    lettered(1, "Closed")
                } else {
                    lettered(0, "Open")
                }));
                row.push(date(closed_in.map(|c| c.0)));
                row.push(text(closed_in.map(|c| c.1.clone())));
                rows[5].push(row);
            }
            // List 7: child protection plans in force at some point in the window.
            for p in &ep.cp_plans {
                if w.overlaps(p.start, p.end) {
                    let reviewed = p.reviews.iter().filter(|d| **d <= w.to).max().copied();
                    let mut row = common(p.start);
                    row.push(Cell::Date(p.start));
                    row.push(text(p.initial_category.map(category_label)));
                    row.push(text(p.latest_category.map(category_label)));
                    row.push(date(reviewed));
                    row.push(Cell::Number(p.previous_plans));
                    row.push(date(p.end.filter(|d| *d <= w.to)));
                    rows[6].push(row);
                }
            }
        }
        // Lists 3 to 7 end with the allocation. An inspector sees the team but not the
        // worker's name: the pseudonymised lists carry no one's name.
        let team = text(allocated.as_ref().and_then(|a| a.0.clone()));
        let worker = match shown {
            Shown::Council(_) => text(allocated.map(|a| a.1)),
            Shown::Pseudonym(_) => Cell::Empty,
        };
        for list in &mut rows[2..] {
            for row in list.iter_mut() {
                row.push(team.clone());
                row.push(worker.clone());
            }
        }
        for (list, new) in self.lists.iter_mut().zip(rows) {
            list.rows.extend(new);
        }
    }

    /// Sorts every list's rows by child, then by the list's first date, so the order says
    /// nothing about when children were registered.
    pub fn sort(&mut self) {
        for l in &mut self.lists {
            l.rows.sort_by(|a, b| {
                let key = |r: &Vec<Cell>| match (r.first(), r.get(5)) {
                    (Some(Cell::Text(id)), Some(Cell::Date(d))) => (id.clone(), Some(*d)),
                    (Some(Cell::Text(id)), _) => (id.clone(), None),
                    _ => (String::new(), None),
                };
                key(a).cmp(&key(b))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_lettered_as_ofsted_writes_them() {
        assert_eq!(source_label("1A"), "a) 1A: Individual");
        assert_eq!(source_label("2A"), "e) 2A: Schools");
        assert_eq!(gender_label(Gender::Male), "a) Male");
        assert_eq!(yes_no(true), "a) Yes");
        assert_eq!(yes_no(false), "b) No");
        assert_eq!(ethnicity_label("WBRI"), "a) WBRI: White British");
        assert_eq!(category_label("NEG"), "a) Neglect");
    }

    #[test]
    fn the_window_is_the_months_before_to() {
        let to = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let w = Window::ending(to, 6).unwrap();
        assert_eq!(w.from(), NaiveDate::from_ymd_opt(2026, 5, 31).unwrap());
        assert!(Window::ending(to, 0).is_err());
        assert_eq!(
            age(NaiveDate::from_ymd_opt(2020, 6, 1).unwrap(), to),
            Some(6)
        );
    }
}
