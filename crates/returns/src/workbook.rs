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
