//! The inspection report page: every figure of `InspectionReport` in a table, section by
//! section in the order `docs/REPORT.md` defines them, with the charts an inspector reads
//! first: the tier mix at the end of the period, the steps up and down, timeliness, and no
//! further action by referral source.
//!
//! A figure is labelled in words; a rate is a percentage, and a rate the report does not
//! carry is worked out here only as a count over the denominator REPORT.md gives it (shown
//! beside the count, with what it is "of"). Children appear as the pseudonyms in the report's
//! rows and nothing else.
//!
//! What it deliberately does not do: compute or correct figures, or show anything the report
//! does not hold. The report counts steps up and down, not the levels they went between, so
//! the page shows those two counts; a flow between levels would have to be added to the
//! report first.

use std::collections::BTreeMap;

use askama::Template;
use domain::codes::ReferralSource;
use domain::framework::Framework;
use domain::level::Tier;
use projection::InspectionReport;
use projection::inspection::{
    ChildRow, Consistency, DelayFigures, ObligationFigures, SourceFigures,
};

use crate::PagesError;
use crate::charts::{self, Bar, Part, RateBar, Segment, Stack, Svg};
use crate::labels;

/// The inspection report as an HTML page.
pub fn report_page(report: &InspectionReport) -> Result<String, PagesError> {
    let render = || -> Result<String, askama::Error> { ReportPage::new(report)?.render() };
    render().map_err(|source| PagesError::Render {
        page: "report",
        source,
    })
}

/// A table: a caption, column headings (the first over the row headings), and rows. Columns
/// of numbers are aligned right; a column of words (`text`) left.
struct Table {
    caption: String,
    class: Option<&'static str>,
    columns: Vec<Cell>,
    rows: Vec<Row>,
}

struct Cell {
    text: String,
    num: bool,
    /// A column heading's second line, in smaller type: what the parts of a cell are.
    sub: Option<String>,
}

struct Row {
    header: String,
    /// A row heading's definition, shown under it: what the figure counts, out of what, and
    /// by which clock.
    def: Option<String>,
    cells: Vec<Cell>,
}

impl Table {
    fn new(caption: &str, columns: &[&str]) -> Table {
        Table {
            caption: caption.to_owned(),
            class: None,
            columns: columns
                .iter()
                .enumerate()
                .map(|(i, c)| Cell {
                    text: (*c).to_owned(),
                    num: i > 0,
                    sub: None,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Marks the column headed `name` as words, not numbers.
    fn text(mut self, name: &str) -> Table {
        for c in self.columns.iter_mut().filter(|c| c.text == name) {
            c.num = false;
        }
        self
    }

    fn row(mut self, header: impl Into<String>, cells: Vec<String>) -> Table {
        // Column 0 heads the row headers; cell `i` is under column `i + 1`.
        let cells = cells
            .into_iter()
            .enumerate()
            .map(|(i, text)| Cell {
                num: self.columns.get(i + 1).is_none_or(|c| c.num),
                text,
                sub: None,
            })
            .collect();
        self.rows.push(Row {
            header: header.into(),
            def: None,
            cells,
        });
        self
    }

    /// Gives the last row its definition.
    fn defined(mut self, def: &str) -> Table {
        if let Some(row) = self.rows.last_mut() {
            row.def = Some(def.to_owned());
        }
        self
    }

    /// Gives the column headed `name` a second line.
    fn sub(mut self, name: &str, sub: &str) -> Table {
        for c in self.columns.iter_mut().filter(|c| c.text == name) {
            c.sub = Some(sub.to_owned());
        }
        self
    }
}

// The three "decided on time" figures for referrals: each counts something a little
// different, so each carries its definition beside it (docs/REPORT.md, `referrals`,
// `timeliness`, `obligations`).

/// `referrals.decided_within_one_working_day`, out of `decided`.
const DEF_DECIDED_ON_TIME: &str = "Referrals received in the period and decided, whose \
    decision happened by the end of the next working day after the day of the referral; out of \
    those decided (one not decided yet is left out). Clock: when the decision happened, not \
    when it was recorded; England's working days, days in UTC.";

/// `timeliness.referral_decisions.within_one_working_day`, out of `received`.
const DEF_DECISIONS_ON_TIME: &str = "Referrals received in the period whose decision happened \
    by the end of the next working day after the day of the referral (the clock of Referrals \
    above), out of every referral received: one not decided yet counts under Not known, not on \
    time.";

/// `obligations.by_kind.decide_referral.met_on_time`, out of `due`.
const DEF_DECIDE_OBLIGATION: &str = "Obligations to decide a referral whose deadline (the end \
    of the next working day after the referral) fell in the period, whenever the referral was \
    made: one made the day before the period counts, one made on its last day may not. On time: \
    decided by the deadline, on the same clock; out of those that fell due. Placed in the \
    child's locality when the referral was made.";

struct Chart {
    caption: String,
    svg: Svg,
}

enum Block {
    Table(Table),
    Chart(Chart),
    /// A sentence that says what a table or chart cannot.
    Note(String),
}

struct Section {
    id: &'static str,
    heading: &'static str,
    intro: &'static str,
    blocks: Vec<Block>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    period_from: String,
    period_to: String,
    period_from_text: String,
    period_to_text: String,
    locality: String,
    framework: String,
    rules_version: String,
    sections: Vec<Section>,
}

fn count(n: u64) -> String {
    n.to_string()
}

/// A row of a figure table: the count, its rate and what the rate is of.
fn figure(n: u64, rate: String, of: &str) -> Vec<String> {
    vec![count(n), rate, of.to_owned()]
}

/// A table of figures: each a count, and where it is part of a whole, its rate and the whole
/// it is out of.
fn figure_table(caption: &str) -> Table {
    Table::new(caption, &["Figure", "Count", "Rate", "Out of"]).text("Out of")
}

impl ReportPage {
    fn new(r: &InspectionReport) -> Result<ReportPage, askama::Error> {
        let tier_names = tier_names(r);
        let sections = if r.suppresses_any() {
            suppressed(r)
        } else {
            vec![
                referrals(r)?,
                consent(r),
                child_voice(r),
                levels(r, &tier_names)?,
                threshold_consistency(r),
                child_protection(r),
                disagreements(r),
                older_children(r),
                timeliness(r)?,
                obligations(r),
                recording_delay(r),
                children(r),
            ]
        };
        let period_from_text = labels::date(r.period.from());
        let period_to_text = labels::date(r.period.to());
        Ok(ReportPage {
            title: format!("Inspection report, {period_from_text} to {period_to_text}"),
            period_from: r.period.from().to_string(),
            period_to: r.period.to().to_string(),
            period_from_text,
            period_to_text,
            locality: r
                .locality
                .clone()
                .unwrap_or_else(|| "All localities".to_owned()),
            framework: if r.framework_title.is_empty() {
                r.framework.clone()
            } else {
                format!("{} ({})", r.framework_title, r.framework)
            },
            rules_version: r.rules_version.clone(),
            sections,
        })
    }
}

/// The page of a report some of whose figures rest on too few children to show: every
/// figure as published, `<5` included, one table a section, and no charts (a bar's length
/// would tell the number the table withholds, and so would a rate worked out here).
fn suppressed(r: &InspectionReport) -> Vec<Section> {
    let names: Vec<&str> = r.children.iter().map(|c| c.pseudonym.as_str()).collect();
    let short: BTreeMap<&str, String> = names
        .iter()
        .copied()
        .zip(labels::short_pseudonyms(&names))
        .collect();
    let mut tables: Vec<(String, Table)> = Vec::new();
    for [section, figure, value] in r.published_rows() {
        if section == "report" || section == "period" {
            continue;
        }
        // A breakdown's key leads the figure (`<key>/received`): a child's pseudonym in its
        // short form, a census referral source with its label.
        let figure = match figure.split_once('/') {
            Some((key, rest)) if section == "children" => match short.get(key) {
                Some(s) => format!("{s}/{rest}"),
                None => figure,
            },
            Some((key, rest)) if section == "referrals.by_source" => {
                format!("{}/{rest}", labels::referral_source(key))
            }
            _ => figure,
        };
        if tables.last().is_none_or(|(s, _)| *s != section) {
            let table = Table::new(&section, &["Figure", "Value"]);
            tables.push((section.clone(), table));
        }
        if let Some((_, table)) = tables.pop() {
            tables.push((section, table.row(figure, vec![value])));
        }
    }
    let mut blocks = vec![Block::Note(format!(
        "This report is for one locality, and some of its figures rest on fewer than 5 \
         children: they are shown as {}, and the page shows every figure as a plain table \
         without charts.",
        projection::inspection::SUPPRESSED
    ))];
    blocks.extend(tables.into_iter().map(|(_, t)| Block::Table(t)));
    vec![Section {
        id: "figures",
        heading: "Figures",
        intro: "Every figure of the report, named as in the CSV (docs/REPORT.md defines each).",
        blocks,
    }]
}

/// The name of each tier: from the framework the report names, else from the children's
/// levels, else none.
fn tier_names(r: &InspectionReport) -> BTreeMap<u8, String> {
    let mut names = BTreeMap::new();
    if let Ok(framework) = Framework::by_name(&r.framework) {
        for tier in Tier::ALL {
            names.insert(tier.get(), framework.tier_name(tier).to_owned());
        }
    }
    for row in &r.children {
        if let Some(level) = &row.level_at_end {
            names
                .entry(level.tier)
                .or_insert_with(|| level.name.clone());
        }
    }
    names
}

fn referrals(r: &InspectionReport) -> Result<Section, askama::Error> {
    let f = &r.referrals;
    let figures = figure_table("Referrals received in the period")
        .row(
            "Received",
            vec![count(f.received), String::new(), String::new()],
        )
        .row(
            "Decided",
            figure(f.decided, labels::share(f.decided, f.received), "received"),
        )
        .row(
            "Decided within one working day",
            figure(
                f.decided_within_one_working_day,
                labels::share(f.decided_within_one_working_day, f.decided),
                "decided",
            ),
        )
        .defined(DEF_DECIDED_ON_TIME)
        .row(
            "No further action",
            figure(
                f.no_further_action,
                labels::percent(f.no_further_action_rate),
                "decided",
            ),
        )
        .row(
            "Referrer told the decision",
            figure(
                f.referrer_informed,
                labels::share(f.referrer_informed, f.decided),
                "decided",
            ),
        )
        .row(
            "Re-referrals within 12 months",
            figure(
                f.re_referrals_within_12_months,
                labels::percent(f.re_referral_rate),
                "received",
            ),
        );

    let sources = sources_in_census_order(&f.by_source);
    let mut by_source = Table::new(
        "Referrals by census referral source",
        &[
            "Referral source",
            "Received",
            "Decided",
            "No further action",
            "No further action rate",
        ],
    );
    for (code, s) in &sources {
        by_source = by_source.row(
            labels::referral_source(code),
            vec![
                count(s.received),
                count(s.decided),
                count(s.no_further_action),
                labels::percent(s.no_further_action_rate),
            ],
        );
    }

    let mut blocks = vec![Block::Table(figures)];
    if sources.is_empty() {
        blocks.push(Block::Note(
            "No referral was received in the period, so there is nothing by source.".to_owned(),
        ));
    } else {
        let bars: Vec<RateBar> = sources
            .iter()
            .map(|(code, s)| RateBar {
                label: labels::referral_source(code),
                rate: s.no_further_action_rate,
                note: if s.decided == 0 {
                    "none decided yet".to_owned()
                } else {
                    format!("{} of {} decided", s.no_further_action, s.decided)
                },
            })
            .collect();
        blocks.push(Block::Chart(Chart {
            caption: "No further action rate by referral source".to_owned(),
            svg: charts::horizontal_bars(
                "chart-nfa-by-source",
                "Share of decided referrals that ended in no further action, by census referral source",
                &bars,
            )?,
        }));
        blocks.push(Block::Table(by_source));
    }

    Ok(Section {
        id: "referrals",
        heading: "Referrals",
        intro: "Referrals received in the period, followed to whatever happened to them since: \
                a referral made on the last day and decided the next still counts as decided.",
        blocks,
    })
}

/// The sources in the census's order, then any other key (older data), then "not recorded".
fn sources_in_census_order(
    by_source: &BTreeMap<String, SourceFigures>,
) -> Vec<(&str, &SourceFigures)> {
    let mut sources: Vec<(&str, &SourceFigures)> =
        by_source.iter().map(|(k, v)| (k.as_str(), v)).collect();
    sources.sort_by_key(|(code, _)| {
        let rank = match ReferralSource::ALL.iter().position(|c| c == code) {
            Some(i) => i,
            None if *code == "not_recorded" => usize::MAX,
            None => ReferralSource::ALL.len(),
        };
        (rank, *code)
    });
    sources
}

fn consent(r: &InspectionReport) -> Section {
    let c = &r.consent;
    let received = r.referrals.received;
    let refused = c.referrals_consent_refused_proceeded;
    let table = figure_table("Consent for the referrals received in the period")
        .row(
            "Consent given",
            figure(
                c.referrals_with_consent,
                labels::share(c.referrals_with_consent, received),
                "received",
            ),
        )
        .row(
            "Consent dispensed with",
            figure(
                c.referrals_consent_dispensed,
                labels::share(c.referrals_consent_dispensed, received),
                "received",
            ),
        )
        .row(
            "Consent refused, referred anyway",
            figure(refused, labels::share(refused, received), "received"),
        )
        .row(
            "Family told after a refusal",
            figure(
                c.family_told_after_refusal,
                labels::share(c.family_told_after_refusal, refused),
                "refused, referred anyway",
            ),
        )
        .row(
            "Consent not recorded (older data)",
            figure(
                c.referrals_consent_not_recorded,
                labels::share(c.referrals_consent_not_recorded, received),
                "received",
            ),
        );
    Section {
        id: "consent",
        heading: "Consent",
        intro: "How consent stood for each referral received in the period.",
        blocks: vec![Block::Table(table)],
    }
}

fn child_voice(r: &InspectionReport) -> Section {
    let v = &r.child_voice;
    let table = figure_table("The child's voice")
        .row(
            "Conversations",
            vec![count(v.conversations), String::new(), String::new()],
        )
        .row(
            "Conversations with the child heard or seen",
            figure(
                v.conversations_with_child_voice,
                labels::share(v.conversations_with_child_voice, v.conversations),
                "conversations",
            ),
        )
        .row(
            "Conversations with only a reason the child was not heard",
            figure(
                v.conversations_child_voice_not_captured,
                labels::share(v.conversations_child_voice_not_captured, v.conversations),
                "conversations",
            ),
        )
        .row(
            "Assessments",
            vec![count(v.assessments), String::new(), String::new()],
        )
        .row(
            "Assessments with the child heard or seen",
            figure(
                v.assessments_with_child_voice,
                labels::share(v.assessments_with_child_voice, v.assessments),
                "assessments",
            ),
        );
    Section {
        id: "child-voice",
        heading: "The child's voice",
        intro: "Conversations and assessments in the period that record the child's views or \
                what was seen of the child's behaviour.",
        blocks: vec![Block::Table(table)],
    }
}

fn levels(
    r: &InspectionReport,
    tier_names: &BTreeMap<u8, String>,
) -> Result<Section, askama::Error> {
    let a = &r.levels.at_end;
    let tiers = [(1u8, a.tier_1), (2, a.tier_2), (3, a.tier_3), (4, a.tier_4)];
    let total: u64 = tiers.iter().map(|(_, n)| n).sum();
    let name = |tier: u8| tier_names.get(&tier).cloned().unwrap_or_default();

    let mut mix = Table::new(
        "Children by tier at the end of the period",
        &["Tier", "Name", "Children", "Share"],
    )
    .text("Name");
    for (tier, n) in tiers {
        mix = mix.row(
            format!("Tier {tier}"),
            vec![name(tier), count(n), labels::share(n, total)],
        );
    }
    mix = mix.row(
        "All tiers",
        vec![String::new(), count(total), labels::share(total, total)],
    );

    let bars: Vec<Bar> = tiers
        .iter()
        .map(|(tier, n)| Bar {
            label: format!("Tier {tier}"),
            sublabel: Some(name(*tier)).filter(|s| !s.is_empty()),
            value: *n,
        })
        .collect();
    let mix_chart = charts::bar_chart(
        "chart-tier-mix",
        "Children by tier at the end of the period",
        &bars,
    )?;

    let steps = Table::new(
        "Steps between tiers in the period",
        &["Step", "Count", "Share of steps"],
    )
    .row(
        "Steps up",
        vec![
            count(r.levels.step_ups),
            labels::share(r.levels.step_ups, r.levels.step_ups + r.levels.step_downs),
        ],
    )
    .row(
        "Steps down",
        vec![
            count(r.levels.step_downs),
            labels::share(r.levels.step_downs, r.levels.step_ups + r.levels.step_downs),
        ],
    );
    let mut flows = Table::new(
        "Steps by tier stepped from and to",
        &["From tier", "To tier", "Count"],
    );
    for (key, n) in &r.levels.flows {
        let (from, to) = key.split_once("_to_").unwrap_or((key.as_str(), ""));
        flows = flows.row(
            format!("Tier {from}"),
            vec![format!("Tier {to}"), count(*n)],
        );
    }
    let steps_chart = charts::bar_chart(
        "chart-steps",
        "Steps up and steps down in the period",
        &[
            Bar {
                label: "Steps up".to_owned(),
                sublabel: None,
                value: r.levels.step_ups,
            },
            Bar {
                label: "Steps down".to_owned(),
                sublabel: None,
                value: r.levels.step_downs,
            },
        ],
    )?;

    Ok(Section {
        id: "levels",
        heading: "Tiers",
        intro: "Children registered by the end of the period by their tier at its end (a closed \
                case counts at tier 1), and the steps up and down recorded in the period.",
        blocks: vec![
            Block::Chart(Chart {
                caption: "Tier mix at the end of the period".to_owned(),
                svg: mix_chart,
            }),
            Block::Table(mix),
            Block::Chart(Chart {
                caption: "Steps up and down in the period".to_owned(),
                svg: steps_chart,
            }),
            Block::Table(steps),
            Block::Table(flows),
            Block::Note(
                "A step counts in the table by tier when both its levels can be read; \
                 statutory basis is left out (a step from section 47 to section 17 within tier 4 \
                 shows as 4 to 4)."
                    .to_owned(),
            ),
        ],
    })
}

const CONSISTENCY_COLUMNS: [&str; 7] = [
    "",
    "Assessments",
    "As suggested",
    "Above the suggestion",
    "Below the suggestion",
    "Below, share",
    "Suggestion worked out again",
];

fn consistency_cells(c: &Consistency) -> Vec<String> {
    vec![
        count(c.assessments),
        count(c.decided_as_suggested),
        count(c.decided_above_suggested),
        count(c.decided_below_suggested),
        labels::share(c.decided_below_suggested, c.assessments),
        count(c.suggestion_recomputed),
    ]
}

fn consistency_table(
    caption: &str,
    first: &str,
    rows: &BTreeMap<String, Consistency>,
    label: impl Fn(&str) -> String,
) -> Table {
    let mut columns = CONSISTENCY_COLUMNS;
    columns[0] = first;
    let mut table = Table::new(caption, &columns);
    for (key, c) in rows {
        table = table.row(label(key), consistency_cells(c));
    }
    table
}

fn threshold_consistency(r: &InspectionReport) -> Section {
    let t = &r.threshold_consistency;
    let all = &t.all;
    let overall = figure_table("Decisions against the threshold guide's suggestion")
        .row(
            "Assessments compared",
            vec![count(all.assessments), String::new(), String::new()],
        )
        .row(
            "Decided as suggested",
            figure(
                all.decided_as_suggested,
                labels::share(all.decided_as_suggested, all.assessments),
                "assessments",
            ),
        )
        .row(
            "Decided above the suggestion",
            figure(
                all.decided_above_suggested,
                labels::share(all.decided_above_suggested, all.assessments),
                "assessments",
            ),
        )
        .row(
            "Decided below the suggestion",
            figure(
                all.decided_below_suggested,
                labels::share(all.decided_below_suggested, all.assessments),
                "assessments",
            ),
        )
        .row(
            "Suggestion worked out again (corrected assessments)",
            figure(
                all.suggestion_recomputed,
                labels::share(all.suggestion_recomputed, all.assessments),
                "assessments",
            ),
        );
    let mut blocks = vec![Block::Table(overall)];
    if !t.by_locality.is_empty() {
        blocks.push(Block::Table(consistency_table(
            "By the child's locality at the assessment",
            "Locality",
            &t.by_locality,
            std::borrow::ToOwned::to_owned,
        )));
    }
    if !t.by_referring_agency.is_empty() {
        blocks.push(Block::Table(consistency_table(
            "By the agency of the child's latest referral",
            "Referring agency",
            &t.by_referring_agency,
            |k| match k {
                "no_referral" => "No referral".to_owned(),
                other => other.to_owned(),
            },
        )));
    }
    Section {
        id: "threshold-consistency",
        heading: "Threshold consistency",
        intro: "Each assessment in the period: the tier the professional decided against the \
                tier the threshold guide's catalogue suggested for the indicators recorded.",
        blocks,
    }
}

fn child_protection(r: &InspectionReport) -> Section {
    let c = &r.child_protection;
    let table = Table::new("Child protection in the period", &["Figure", "Count"])
        .row("Strategy discussions", vec![count(c.strategy_discussions)])
        .row(
            "Section 47 enquiries started",
            vec![count(c.section_47_enquiries)],
        )
        .row(
            "Initial child protection conferences",
            vec![count(c.initial_conferences)],
        )
        .row(
            "Child protection plans started",
            vec![count(c.plans_started)],
        )
        .row("Child protection plans ended", vec![count(c.plans_ended)]);
    Section {
        id: "child-protection",
        heading: "Child protection",
        intro: "Strategy discussions, enquiries, initial conferences and child protection plans \
                in the period.",
        blocks: vec![Block::Table(table)],
    }
}

fn disagreements(r: &InspectionReport) -> Section {
    let d = &r.disagreements;
    let table = Table::new("Professional disagreements", &["Figure", "Value"])
        .row("Raised in the period", vec![count(d.raised)])
        .row(
            "Escalated beyond stage 1 (of those raised)",
            vec![count(d.escalated)],
        )
        .row("Resolved in the period", vec![count(d.resolved)])
        .row(
            "Median calendar days to resolve",
            vec![labels::measure(d.median_days_to_resolve)],
        )
        .row(
            "Median working days to resolve",
            vec![labels::measure(d.median_working_days_to_resolve)],
        )
        .row("Open at the end of the period", vec![count(d.open_at_end)]);
    Section {
        id: "disagreements",
        heading: "Professional disagreements",
        intro: "Disagreements raised and resolved in the period under the escalation policy, and \
                how long resolution took.",
        blocks: vec![Block::Table(table)],
    }
}

fn older_children(r: &InspectionReport) -> Section {
    let o = &r.older_children_exploitation;
    let table = figure_table("Children aged 14 to 17 with exploitation indicators")
        .row(
            "Assessments naming an exploitation indicator",
            vec![count(o.assessments), String::new(), String::new()],
        )
        .row(
            "Decided at tier 1 or 2",
            figure(
                o.decided_tier_1_or_2,
                labels::share(o.decided_tier_1_or_2, o.assessments),
                "assessments",
            ),
        )
        .row(
            "Of those, the guide suggested tier 3 or 4",
            figure(
                o.suggested_tier_3_or_4,
                labels::share(o.suggested_tier_3_or_4, o.decided_tier_1_or_2),
                "decided at tier 1 or 2",
            ),
        )
        .row(
            "Children with an assessment decided at tier 1 or 2",
            vec![count(o.children), String::new(), String::new()],
        );
    Section {
        id: "older-children",
        heading: "Older children and exploitation",
        intro: "Assessments of children aged 14 to 17 that name an indicator of exploitation, and \
                how many were judged below targeted support.",
        blocks: vec![Block::Table(table)],
    }
}

fn timeliness(r: &InspectionReport) -> Result<Section, askama::Error> {
    let t = &r.timeliness;
    let rd = &t.referral_decisions;
    let a = &t.assessments;
    let c = &t.initial_conferences;

    let stacks = [
        Stack {
            label: "Referral decisions".to_owned(),
            sublabel: "within 1 working day".to_owned(),
            segments: vec![
                segment(
                    Part::OnTime,
                    "within one working day",
                    rd.within_one_working_day,
                ),
                segment(Part::Late, "later", rd.later),
                segment(Part::Unknown, "not decided", rd.not_decided),
            ],
        },
        Stack {
            label: "Assessments".to_owned(),
            sublabel: "within 45 working days".to_owned(),
            segments: vec![
                segment(
                    Part::OnTime,
                    "within 45 working days",
                    a.within_45_working_days,
                ),
                segment(Part::Late, "over 45 working days", a.over_45_working_days),
                segment(Part::Unknown, "start not recorded", a.start_not_recorded),
            ],
        },
        Stack {
            label: "Initial conferences".to_owned(),
            sublabel: "within 15 working days".to_owned(),
            segments: vec![
                segment(
                    Part::OnTime,
                    "within 15 working days",
                    c.within_15_working_days,
                ),
                segment(Part::Late, "over 15 working days", c.over_15_working_days),
                segment(
                    Part::Unknown,
                    "no strategy discussion on record",
                    c.no_strategy_discussion,
                ),
            ],
        },
    ];
    let chart = charts::stacked_bars(
        "chart-timeliness",
        "Timeliness: referral decisions, assessments and initial conferences on time and late",
        &stacks,
    )?;

    let table = Table::new(
        "Timeliness on England's working days",
        &[
            "Measure",
            "In all",
            "On time",
            "Late",
            "Not known",
            "On time, share",
        ],
    )
    .row(
        "Referral decisions, within 1 working day",
        vec![
            count(rd.received),
            count(rd.within_one_working_day),
            count(rd.later),
            count(rd.not_decided),
            labels::share(rd.within_one_working_day, rd.received),
        ],
    )
    .defined(DEF_DECISIONS_ON_TIME)
    .row(
        "Assessments, within 45 working days",
        vec![
            count(a.completed),
            count(a.within_45_working_days),
            count(a.over_45_working_days),
            count(a.start_not_recorded),
            labels::share(a.within_45_working_days, a.completed),
        ],
    )
    .row(
        "Initial conferences, within 15 working days",
        vec![
            count(c.held),
            count(c.within_15_working_days),
            count(c.over_15_working_days),
            count(c.no_strategy_discussion),
            labels::share(c.within_15_working_days, c.held),
        ],
    );

    Ok(Section {
        id: "timeliness",
        heading: "Timeliness",
        intro: "Referral decisions against one working day, single and section 47 assessments \
                against 45 working days, and initial child protection conferences against 15 \
                working days from the strategy discussion (Working Together).",
        blocks: vec![
            Block::Chart(Chart {
                caption: "On time and late, as a share of each whole".to_owned(),
                svg: chart,
            }),
            Block::Table(table),
            Block::Note(
                "Not known: a referral not decided yet; an assessment whose start is not \
                 recorded; a conference with no strategy discussion on record that started \
                 enquiries (the 15 days run from that discussion)."
                    .to_owned(),
            ),
        ],
    })
}

fn segment(part: Part, label: &str, value: u64) -> Segment {
    Segment {
        part,
        label: label.to_owned(),
        value,
    }
}

const OBLIGATION_COLUMNS: [&str; 6] = [
    "What was owed",
    "Fell due",
    "Met on time",
    "Met late",
    "Not met",
    "On time, share",
];

fn obligation_cells(o: &ObligationFigures) -> Vec<String> {
    vec![
        count(o.due),
        count(o.met_on_time),
        count(o.met_late),
        count(o.not_met),
        labels::share(o.met_on_time, o.due),
    ]
}

fn obligations(r: &InspectionReport) -> Section {
    let o = &r.obligations;
    let mut table = Table::new(
        "Obligations that fell due in the period",
        &OBLIGATION_COLUMNS,
    )
    .row("All obligations", obligation_cells(&o.all));
    for (kind, figures) in &o.by_kind {
        table = table.row(labels::obligation_kind(kind), obligation_cells(figures));
        if kind == "decide_referral" {
            table = table.defined(DEF_DECIDE_OBLIGATION);
        }
    }
    Section {
        id: "obligations",
        heading: "Obligations",
        intro: "What the records left owed (deciding a referral, telling the referrer or the \
                family, reviewing a plan) that fell due in the period, judged against what is \
                on record now.",
        blocks: vec![Block::Table(table)],
    }
}

fn delay_cells(d: &DelayFigures) -> Vec<String> {
    vec![
        count(d.records),
        labels::measure(d.median_hours),
        labels::measure(d.p90_hours),
        count(d.over_24_hours),
        labels::share(d.over_24_hours, d.records),
    ]
}

fn recording_delay(r: &InspectionReport) -> Section {
    let d = &r.recording_delay;
    let mut table = Table::new(
        "Hours from when something happened to when it was recorded",
        &[
            "Agency",
            "Records",
            "Median hours",
            "90th percentile, hours",
            "Over 24 hours",
            "Over 24 hours, share",
        ],
    )
    .row("All agencies", delay_cells(&d.all));
    for (agency, figures) in &d.by_agency {
        table = table.row(agency.clone(), delay_cells(figures));
    }
    Section {
        id: "recording-delay",
        heading: "Recording delay",
        intro: "How long after it happened each record in the period was recorded, by the \
                agency that recorded it.",
        blocks: vec![Block::Table(table)],
    }
}

fn children(r: &InspectionReport) -> Section {
    let mut table = Table::new(
        "Children with a record in the period, by pseudonym",
        &[
            "Pseudonym",
            "Age",
            "Tier at end",
            "Referrals",
            "Assessments",
            "Conversations",
            "Steps",
            "Disagreements",
            "Exploitation",
            "Obligations",
        ],
    )
    .text("Age")
    .text("Tier at end")
    .sub("Referrals", "made / NFA / re-referred")
    .sub("Assessments", "all / below the suggestion")
    .sub("Conversations", "all / child heard or seen")
    .sub("Steps", "up / down")
    .sub("Disagreements", "raised")
    .sub("Exploitation", "aged 14 to 17, tier 1 or 2")
    .sub("Obligations", "met late / not met");
    table.class = Some("children");
    let names: Vec<&str> = r.children.iter().map(|c| c.pseudonym.as_str()).collect();
    for (row, short) in r.children.iter().zip(labels::short_pseudonyms(&names)) {
        table = table.row(short, child_cells(row));
    }
    let blocks = if r.children.is_empty() {
        vec![Block::Note(
            "No child has a record in the period.".to_owned(),
        )]
    } else {
        vec![
            Block::Table(table),
            Block::Note(format!(
                "A cell with parts reads in the order its heading names them (NFA: no further \
                 action). Each pseudonym is shortened to its first {} hex digits, more only \
                 where two children's would match; it is the start of the child's pseudonym in \
                 the report's JSON and CSV.",
                labels::SHORT_PSEUDONYM
            )),
        ]
    };
    Section {
        id: "children",
        heading: "Children",
        intro: "One row per child with a record in the period, by pseudonym: counts only, never \
                a name, a date or an identifier.",
        blocks,
    }
}

/// Counts shown together in one cell: "2 / 1 / 0".
fn parts(counts: &[u64]) -> String {
    counts
        .iter()
        .map(std::string::ToString::to_string)
        .collect::<Vec<_>>()
        .join(" / ")
}

fn child_cells(c: &ChildRow) -> Vec<String> {
    vec![
        c.age_band.clone(),
        match &c.level_at_end {
            Some(l) => format!("{} {}", l.tier, l.name),
            None => "–".to_owned(),
        },
        parts(&[c.referrals, c.no_further_action, c.re_referrals]),
        parts(&[c.assessments, c.decided_below_suggested]),
        parts(&[c.conversations, c.conversations_with_child_voice]),
        parts(&[c.step_ups, c.step_downs]),
        count(c.disagreements_raised),
        if c.older_child_exploitation_decided_tier_1_or_2 {
            "yes".to_owned()
        } else {
            "no".to_owned()
        },
        parts(&[c.obligations_met_late, c.obligations_not_met]),
    ]
}
