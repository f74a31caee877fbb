//! Annex A written out: the seven lists as one .xlsx workbook (a sheet a list, headings in
//! bold, dates as spreadsheet dates), or one list as CSV.
//!
//! The workbook is written with `rust_xlsxwriter` (MIT OR Apache-2.0, no default features);
//! the tests read it back with `calamine`, an independent reader.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use crate::annex_a::{AnnexA, Cell, List};

/// The workbook could not be written (a value the format cannot hold).
#[derive(Debug, thiserror::Error)]
#[error("the Annex A workbook could not be written: {0}")]
pub struct WorkbookError(#[from] XlsxError);

/// The lists as an .xlsx workbook's bytes.
pub fn xlsx(annex: &AnnexA) -> Result<Vec<u8>, WorkbookError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let month = Format::new().set_num_format("mm/yyyy");
    for list in annex.lists() {
        let sheet = book.add_worksheet();
        sheet.set_name(list.name)?;
        for (c, h) in list.headings.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
            sheet.set_column_width(c as u16, 18)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in list.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, c, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, f64::from(*n))?;
                    }
                    Cell::Date(d) | Cell::Month(d) => {
                        let format = if matches!(cell, Cell::Month(_)) {
                            &month
                        } else {
                            &day
                        };
                        let when = excel_date(*d)?;
                        sheet.write_datetime_with_format(r, c, &when, format)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

/// One list as CSV (RFC 4180: CRLF line ends, fields quoted when they must be), dates as
/// `YYYY-MM-DD` (a month of birth as `YYYY-MM`).
pub fn csv(list: &List) -> String {
    let mut out = String::new();
    line(&mut out, list.headings.iter().map(|h| (*h).to_owned()));
    for row in &list.rows {
        line(
            &mut out,
            row.iter().map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
                Cell::Month(d) => d.format("%Y-%m").to_string(),
                Cell::Empty => String::new(),
            }),
        );
    }
    out
}

fn line(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A leading = + - @ would make a spreadsheet evaluate the field; a quote before it
        // keeps it text (OWASP's advice on CSV injection).
        let f = if f.starts_with(['=', '+', '-', '@']) {
            format!("'{f}")
        } else {
            f
        };
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use chrono::NaiveDate;
    use domain::record::{
        AssessmentKind as A, ConferenceKind as K, ConferenceOutcome as O, EnquiryOutcome,
        PlanCategory, PlanKind, ReferralDecision as D,
    };

    use super::*;
    use crate::annex_a::{COMMON, Shown, Window};
    use crate::testkit::{Journey, Who, day};

    /// A child referred twice within a year, the second time on to a child protection plan.
    fn journey() -> Journey {
        let mut j = Journey::register(
            day(2026, 1, 5),
            Who {
                born: Some(day(2019, 8, 14)),
                gender: domain::registration::Gender::Male,
                ethnicity: Some("WBRI"),
                ..Who::default()
            },
        );
        j.refer(day(2026, 2, 2), "1A")
            .decide(day(2026, 2, 3), D::NoFurtherAction, "N9")
            .refer(day(2026, 6, 8), "2A")
            .decide(day(2026, 6, 8), D::StrategyDiscussion, "N1")
            .assess(
                A::SingleAssessment,
                day(2026, 6, 9),
                day(2026, 7, 1),
                &["16A"],
            )
            .start_enquiry(day(2026, 6, 10))
            .conclude_enquiry(day(2026, 6, 24), EnquiryOutcome::ConferenceNeeded)
            .conference(day(2026, 6, 29), K::Initial, O::PlanStarted, None)
            .start_plan(
                day(2026, 6, 29),
                PlanKind::ChildProtectionPlan,
                Some(PlanCategory::Neglect),
            )
            .assign_lead_worker(day(2026, 6, 29), "Norwich child protection team")
            .conference(day(2026, 9, 21), K::Review, O::PlanContinued, None);
        j
    }

    fn annex(shown: Shown) -> AnnexA {
        let window = Window::ending(day(2026, 11, 30), 6).expect("a window");
        let mut a = AnnexA::new(window);
        a.add_child(&shown, &journey().child());
        a.sort();
        a
    }

    fn date(c: &Data) -> Option<NaiveDate> {
        match c {
            Data::DateTime(d) => d.as_datetime().map(|t| t.date()),
            _ => None,
        }
    }

    fn text(c: &Data) -> String {
        match c {
            Data::String(s) => s.clone(),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Empty => String::new(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn the_workbook_reads_back_with_an_independent_reader() {
        let bytes = xlsx(&annex(Shown::Council("NCC000123".into()))).expect("written");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx");
        let names = book.sheet_names();
        assert_eq!(
            names,
            [
                "List 1 Contacts",
                "List 2 Early Help",
                "List 3 Referrals",
                "List 4 Assessments",
                "List 5 Section 47",
                "List 6 Children in Need",
                "List 7 Child Protection",
            ]
        );
        for name in &names {
            let sheet = book.worksheet_range(name).expect("a sheet");
            let headings: Vec<String> = sheet
                .rows()
                .next()
                .expect("headings")
                .iter()
                .map(text)
                .collect();
            assert_eq!(&headings[..5], &COMMON.map(str::to_owned), "{name}");
        }

        let referrals = book.worksheet_range("List 3 Referrals").expect("list 3");
        let rows: Vec<&[Data]> = referrals.rows().skip(1).collect();
        // The February referral is before the window; June's is in it, the second in 12 months.
        assert_eq!(rows.len(), 1);
        let r = rows[0];
        assert_eq!(text(&r[0]), "NCC000123");
        assert_eq!(text(&r[1]), "a) Male");
        assert_eq!(text(&r[2]), "a) WBRI: White British");
        assert_eq!(date(&r[3]), Some(day(2019, 8, 14)), "a spreadsheet date");
        assert_eq!(text(&r[4]), "6");
        assert_eq!(date(&r[5]), Some(day(2026, 6, 8)));
        assert_eq!(text(&r[6]), "e) 2A: Schools");
        assert_eq!(text(&r[7]), "b) No");
        assert_eq!(text(&r[8]), "1", "re-referred within 12 months");
        // Allocated at the window's end to the lead worker assigned with the plan.
        assert_eq!(text(&r[9]), "Norwich child protection team");
        assert_eq!(text(&r[10]), "A Social Worker");
        let headings: Vec<String> = referrals
            .rows()
            .next()
            .expect("headings")
            .iter()
            .map(text)
            .collect();
        assert_eq!(&headings[9..], ["Allocated Team", "Allocated Worker"]);

        let contacts = book.worksheet_range("List 1 Contacts").expect("list 1");
        assert_eq!(contacts.rows().count(), 2, "headings and June's contact");

        let s47 = book.worksheet_range("List 5 Section 47").expect("list 5");
        let s47_row = s47.rows().nth(1).expect("a row");
        assert_eq!(date(&s47_row[5]), Some(day(2026, 6, 10)));
        assert_eq!(text(&s47_row[6]), "b) No", "a conference was needed");
        assert_eq!(date(&s47_row[7]), Some(day(2026, 6, 29)));
        assert_eq!(text(&s47_row[8]), "a) Yes", "it started a plan");

        let cp = book
            .worksheet_range("List 7 Child Protection")
            .expect("list 7");
        let p = cp.rows().nth(1).expect("a plan");
        assert_eq!(date(&p[5]), Some(day(2026, 6, 29)));
        assert_eq!(text(&p[6]), "a) Neglect");
        assert_eq!(text(&p[7]), "a) Neglect");
        assert_eq!(date(&p[8]), Some(day(2026, 9, 21)));
        assert_eq!(text(&p[9]), "0");
        assert_eq!(text(&p[10]), "", "still in force");
        assert_eq!(text(&p[11]), "Norwich child protection team");
        assert_eq!(text(&p[12]), "A Social Worker");

        let cin = book
            .worksheet_range("List 6 Children in Need")
            .expect("list 6");
        let c = cin.rows().nth(1).expect("an episode");
        assert_eq!(text(&c[6]), "N1");
        assert_eq!(text(&c[7]), "a) Open");

        let assessed = book.worksheet_range("List 4 Assessments").expect("list 4");
        let a = assessed.rows().nth(1).expect("an assessment");
        assert_eq!(text(&a[6]), "a) Yes", "the child was seen");
        assert_eq!(date(&a[7]), Some(day(2026, 7, 1)));
    }

    #[test]
    fn an_inspector_sees_a_pseudonym_and_the_month_of_birth_only() {
        let a = annex(Shown::Pseudonym("c-0123abcd".into()));
        let referral = &a.list(3).expect("list 3").rows[0];
        assert_eq!(referral[0], Cell::Text("c-0123abcd".into()));
        assert_eq!(referral[3], Cell::Month(day(2019, 8, 1)));
        // The team, but no one's name.
        assert_eq!(
            referral[9],
            Cell::Text("Norwich child protection team".into())
        );
        assert_eq!(referral[10], Cell::Empty);
        let out = csv(a.list(3).expect("list 3"));
        assert!(out.starts_with("Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),Date of Referral"), "{out}");
        assert!(
            out.contains("c-0123abcd,a) Male,a) WBRI: White British,2019-08,6,2026-06-08"),
            "{out}"
        );
        assert!(
            !out.contains("NCC")
                && !out.contains("Maya")
                && !out.contains("2019-08-14")
                && !out.contains("A Social Worker"),
            "{out}"
        );
        let bytes = xlsx(&a).expect("written");
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an xlsx");
        let r = book.worksheet_range("List 3 Referrals").expect("list 3");
        let row = r.rows().nth(1).expect("a row");
        assert_eq!(date(&row[3]), Some(day(2019, 8, 1)));
    }
}
