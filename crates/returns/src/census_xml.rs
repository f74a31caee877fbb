//! The census as the DfE's XML, written child by child so a county's return never has to be
//! held in memory: [`CensusWriter::start`] writes the header, [`CensusWriter::child`] one
//! child, [`CensusWriter::finish`] closes the message.
//!
//! The elements, their order and their names follow the DfE's CIN census specification for
//! 2025-26 (the community validator reads the same names). Text is escaped here; nothing else
//! about XML is needed, so no XML library is used.

use std::io::{self, Write};

use chrono::{DateTime, NaiveDate, Utc};

use crate::census::{CensusChild, Episode};
use crate::year::CollectionYear;

/// Who is returning: the council's three-digit LA code and the software code the DfE knows
/// the system by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    la_code: String,
    software_code: String,
}

/// An LA code that is not three digits, or an empty software code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSource {
    #[error("the LA code must be the council's three-digit DfE code (e.g. 926), not `{0}`")]
    LaCode(String),
    #[error("the software code must be 1 to 40 letters, digits, spaces or - _ .")]
    SoftwareCode,
}

impl Source {
    pub fn new(la_code: &str, software_code: &str) -> Result<Source, InvalidSource> {
        let la = la_code.trim();
        if la.len() != 3 || !la.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidSource::LaCode(la_code.to_owned()));
        }
        let sc = software_code.trim();
        if sc.is_empty()
            || sc.len() > 40
            || !sc
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
        {
            return Err(InvalidSource::SoftwareCode);
        }
        Ok(Source {
            la_code: la.to_owned(),
            software_code: sc.to_owned(),
        })
    }
    pub fn la_code(&self) -> &str {
        &self.la_code
    }
    pub fn software_code(&self) -> &str {
        &self.software_code
    }
}

/// Writes one census return.
pub struct CensusWriter<W: Write> {
    out: W,
    children: u64,
}

impl<W: Write> CensusWriter<W> {
    /// Writes the declaration and the header; `produced_at` is the header's `DateTime`.
    pub fn start(
        mut out: W,
        year: CollectionYear,
        source: &Source,
        produced_at: DateTime<Utc>,
    ) -> io::Result<CensusWriter<W>> {
        write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n      <Collection>CIN</Collection>\n      <Year>{}</Year>\n      <ReferenceDate>{}</ReferenceDate>\n    </CollectionDetails>\n    <Source>\n      <SourceLevel>L</SourceLevel>\n      <LEA>{}</LEA>\n      <SoftwareCode>{}</SoftwareCode>\n      <Release>{}</Release>\n      <SerialNo>001</SerialNo>\n      <DateTime>{}</DateTime>\n    </Source>\n  </Header>\n  <Children>\n",
            year.census_year(),
            year.reference_date(),
            escape(&source.la_code),
            escape(&source.software_code),
            env!("CARGO_PKG_VERSION"),
            produced_at.format("%Y-%m-%dT%H:%M:%S"),
        )?;
        Ok(CensusWriter { out, children: 0 })
    }

    /// Writes one child.
    pub fn child(&mut self, c: &CensusChild) -> io::Result<()> {
        write_child(&mut self.out, c)?;
        self.children += 1;
        Ok(())
    }

    /// The output written so far (a caller streaming into a buffer takes it from here).
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Counts children a caller wrote itself with [`write_child`] (on another thread, say)
    /// and added to the output.
    pub fn count_written(&mut self, n: u64) {
        self.children += n;
    }

    /// Closes the message; the writer and how many children were written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out.write_all(FOOTER)?;
        self.out.flush()?;
        Ok((self.out, self.children))
    }
}

/// What closes the message.
pub const FOOTER: &[u8] = b"  </Children>\n</Message>\n";

/// Writes one child's `<Child>` element, for a caller that writes children apart from the
/// header (one page at a time, on a blocking thread).
pub fn write_child(o: &mut impl Write, c: &CensusChild) -> io::Result<()> {
    o.write_all(b"    <Child>\n      <ChildIdentifiers>\n")?;
    leaf(o, 8, "LAchildID", Some(&c.la_child_id))?;
    leaf(o, 8, "UPN", c.upn.as_deref())?;
    leaf(o, 8, "FormerUPN", c.former_upn.as_deref())?;
    leaf(o, 8, "UPNunknown", c.upn_unknown.as_deref())?;
    date(o, 8, "PersonBirthDate", c.birth_date)?;
    date(o, 8, "ExpectedPersonBirthDate", c.expected_birth_date)?;
    leaf(o, 8, "Sex", Some(c.sex))?;
    o.write_all(b"      </ChildIdentifiers>\n      <ChildCharacteristics>\n")?;
    leaf(o, 8, "Ethnicity", c.ethnicity.as_deref())?;
    if !c.disabilities.is_empty() {
        o.write_all(b"        <Disabilities>\n")?;
        for d in &c.disabilities {
            leaf(o, 10, "Disability", Some(d))?;
        }
        o.write_all(b"        </Disabilities>\n")?;
    }
    o.write_all(b"      </ChildCharacteristics>\n")?;
    for e in &c.episodes {
        episode(o, e)?;
    }
    o.write_all(b"    </Child>\n")?;
    Ok(())
}

fn episode(o: &mut impl Write, e: &Episode) -> io::Result<()> {
    o.write_all(b"      <CINdetails>\n")?;
    date(o, 8, "CINreferralDate", Some(e.referral_date))?;
    leaf(o, 8, "ReferralSource", e.referral_source.as_deref())?;
    leaf(o, 8, "PrimaryNeedCode", e.primary_need.as_deref())?;
    date(o, 8, "CINclosureDate", e.closure.as_ref().map(|c| c.0))?;
    leaf(
        o,
        8,
        "ReasonForClosure",
        e.closure.as_ref().map(|c| c.1.as_str()),
    )?;
    date(o, 8, "DateOfInitialCPC", e.initial_cpc)?;
    leaf(o, 8, "ReferralNFA", Some(bool_text(e.referral_nfa)))?;
    for a in &e.assessments {
        o.write_all(b"        <Assessments>\n")?;
        date(o, 10, "AssessmentActualStartDate", Some(a.start))?;
        date(o, 10, "AssessmentAuthorisationDate", a.authorised)?;
        if !a.factors.is_empty() {
            o.write_all(b"          <FactorsIdentifiedAtAssessment>\n")?;
            for f in &a.factors {
                leaf(o, 12, "AssessmentFactors", Some(f))?;
            }
            o.write_all(b"          </FactorsIdentifiedAtAssessment>\n")?;
        }
        o.write_all(b"        </Assessments>\n")?;
    }
    for (start, end) in &e.cin_plans {
        o.write_all(b"        <CINPlanDates>\n")?;
        date(o, 10, "CINPlanStartDate", Some(*start))?;
        date(o, 10, "CINPlanEndDate", *end)?;
        o.write_all(b"        </CINPlanDates>\n")?;
    }
    for s in &e.section_47 {
        o.write_all(b"        <Section47>\n")?;
        date(o, 10, "S47ActualStartDate", Some(s.start))?;
        date(o, 10, "InitialCPCtarget", Some(s.icpc_target))?;
        date(o, 10, "DateOfInitialCPC", s.icpc)?;
        leaf(
            o,
            10,
            "ICPCnotRequired",
            Some(bool_text(s.icpc_not_required)),
        )?;
        o.write_all(b"        </Section47>\n")?;
    }
    for p in &e.cp_plans {
        o.write_all(b"        <ChildProtectionPlans>\n")?;
        date(o, 10, "CPPstartDate", Some(p.start))?;
        date(o, 10, "CPPendDate", p.end)?;
        leaf(o, 10, "InitialCategoryOfAbuse", p.initial_category)?;
        leaf(o, 10, "LatestCategoryOfAbuse", p.latest_category)?;
        leaf(
            o,
            10,
            "NumberOfPreviousCPP",
            Some(p.previous_plans.to_string().as_str()),
        )?;
        if !p.reviews.is_empty() {
            o.write_all(b"          <Reviews>\n")?;
            for r in &p.reviews {
                date(o, 12, "CPPreviewDate", Some(*r))?;
            }
            o.write_all(b"          </Reviews>\n")?;
        }
        o.write_all(b"        </ChildProtectionPlans>\n")?;
    }
    o.write_all(b"      </CINdetails>\n")
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// An element with text, left out when there is none.
fn leaf(o: &mut impl Write, indent: usize, name: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(v) => writeln!(o, "{:indent$}<{name}>{}</{name}>", "", escape(v)),
        None => Ok(()),
    }
}

fn date(o: &mut impl Write, indent: usize, name: &str, value: Option<NaiveDate>) -> io::Result<()> {
    match value {
        Some(d) => writeln!(o, "{:indent$}<{name}>{}</{name}>", "", d.format("%Y-%m-%d")),
        None => Ok(()),
    }
}

/// Escapes the five characters XML gives meaning to. Control characters other than tab and
/// line breaks cannot occur: `domain::shapes::Text` refuses them.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_needs_a_three_digit_la_code() {
        assert!(Source::new("926", "Caseline").is_ok());
        assert!(Source::new("92", "Caseline").is_err());
        assert!(Source::new("9a6", "Caseline").is_err());
        assert!(Source::new("926", "").is_err());
        assert!(Source::new("926", "<x>").is_err());
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a&b<c>'\""), "a&amp;b&lt;c&gt;&apos;&quot;");
        assert_eq!(escape("plain"), "plain");
    }
}
