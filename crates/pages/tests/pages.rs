//! The pages as a reader gets them: snapshots of both pages for small inputs, and checks that
//! hold for any page: the HTML is balanced, nothing is fetched or run, text is escaped, and
//! identities appear only where the page means them to.
//!
//! The journey is made by `projection::journey` from a small stream built here, so the
//! corrections and retractions on the page are linked as the real projection links them; the
//! report is read from a fixture, and once more made by `projection::inspection_report` from
//! two children's streams to check that only pseudonyms reach the page.

// A test's fixtures are built to be valid: a failure to build one is the test failing.
#![allow(clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::framework::Framework;
use pages::{JourneyView, journey_page, report_page};
use projection::{InspectionReport, Journey, Period, Record, TimeFilter};
use serde_json::{Value, json};
use store::StoredEvent;
use uuid::Uuid;

const MASH: &str = "front_door:norfolk-mash";
const SCHOOL: &str = "school:norwich-high";

/// A name that must be escaped wherever it appears, and must not run.
const GIVEN_NAME: &str = "Zoë <script>alert(1)</script>";
const FAMILY_NAME: &str = "O'Brien & \"Sons\"";
const NHS_NUMBER: &str = "9434765919";

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid test time")
}

fn person(name: &str, role: &str, agency: &str) -> Value {
    json!({ "name": name, "role": role, "agency": agency })
}

/// One child's stream, built record by record with deterministic ids.
struct Stream {
    n: u128,
    events: Vec<StoredEvent>,
}

impl Stream {
    fn new(n: u128) -> Stream {
        Stream {
            n,
            events: Vec::new(),
        }
    }

    fn child_id(&self) -> Uuid {
        Uuid::from_u128(self.n << 64)
    }

    /// Appends a record of `kind` that happened at `occurred` and was recorded `delay` later.
    fn add(
        &mut self,
        kind: &str,
        occurred: DateTime<Utc>,
        delay: Duration,
        agency: &str,
        data: Value,
    ) -> Uuid {
        let sequence = self.events.len() as u64 + 1;
        let event_id = Uuid::from_u128((self.n << 64) | u128::from(sequence));
        self.events.push(StoredEvent {
            global_position: 0,
            child_id: self.child_id(),
            sequence,
            event_id,
            event_type: kind.to_owned(),
            event_version: 1,
            occurred_at: occurred,
            recorded_at: occurred + delay,
            recorded_by: person("Pat Worker", "practitioner", agency),
            agency: agency.to_owned(),
            token_id: None,
            data,
            prev_hash: String::new(),
            hash: String::new(),
        });
        event_id
    }

    fn register(&mut self, occurred: DateTime<Utc>, given_name: &str, nhs_number: &str) -> Uuid {
        self.add(
            "child_registered",
            occurred,
            Duration::minutes(5),
            MASH,
            json!({
                "given_name": given_name,
                "family_name": FAMILY_NAME,
                "date_of_birth": "2011-03-04",
                "gender": "female",
                "locality": "Norwich",
                "identifiers": { "nhs_number": nhs_number, "upn": "A801200012345" },
            }),
        )
    }
}

fn norfolk() -> &'static Framework {
    Framework::by_name("norfolk").expect("the Norfolk framework loads")
}

/// A journey with a referral, two steps up, a corrected step, a retracted conversation and a
/// record recorded days late.
fn journey_stream() -> Stream {
    let mut s = Stream::new(1);
    s.register(at(2026, 1, 5, 9), GIVEN_NAME, NHS_NUMBER);
    s.add(
        "referral_made",
        at(2026, 1, 10, 11),
        Duration::minutes(20),
        SCHOOL,
        json!({
            "referral_id": "00000000-0000-0000-0000-00000000aaaa",
            "to": "front_door",
            "concerns": ["Missing school on Fridays", "Seen with older <adults>"],
            "consent": { "consent_id": "00000000-0000-0000-0000-00000000bbbb" },
            "source": "2A",
        }),
    );
    s.add(
        "stepped_up",
        at(2026, 1, 12, 10),
        Duration::hours(2),
        MASH,
        json!({
            "from": { "tier": 1, "statutory_basis": "none" },
            "to": { "tier": 2, "statutory_basis": "none" },
            "reasons": [{ "kind": "indicators", "detail": "Attendance below 80%" }],
            "rationale": "Early help offered and accepted",
            "decided_by": person("Sam Lead", "team_manager", MASH),
            "family_informed": true,
        }),
    );
    let conversation = s.add(
        "conversation_recorded",
        at(2026, 2, 1, 15),
        Duration::days(3),
        SCHOOL,
        json!({
            "conversation_id": "00000000-0000-0000-0000-00000000cccc",
            "kind": "with_child",
            "child_voice": { "views": "Says home is fine" },
        }),
    );
    let step = s.add(
        "stepped_up",
        at(2026, 2, 15, 10),
        Duration::hours(1),
        MASH,
        json!({
            "from": { "tier": 2, "statutory_basis": "none" },
            "to": { "tier": 3, "statutory_basis": "section_17" },
            "reasons": [{ "kind": "assessment", "detail": "Needs not met at early help" }],
            "rationale": "Mistyped rationale",
            "decided_by": person("Sam Lead", "team_manager", MASH),
        }),
    );
    s.add(
        "record_corrected",
        at(2026, 2, 16, 9),
        Duration::hours(1),
        MASH,
        json!({
            "corrects_event_id": step.to_string(),
            "reason": "The rationale was mistyped",
            "corrected_data": {
                "from": { "tier": 2, "statutory_basis": "none" },
                "to": { "tier": 3, "statutory_basis": "section_17" },
                "reasons": [{ "kind": "assessment", "detail": "Needs not met at early help" }],
                "rationale": "Child in need assessment recommends targeted support",
                "decided_by": person("Sam Lead", "team_manager", MASH),
            },
        }),
    );
    s.add(
        "family_informed",
        at(2026, 2, 17, 12),
        Duration::hours(1),
        MASH,
        json!({
            "about_event_id": step.to_string(),
            "how": "phone",
            "by": person("Sam Lead", "team_manager", MASH),
        }),
    );
    s.add(
        "record_corrected",
        at(2026, 2, 20, 9),
        Duration::hours(1),
        SCHOOL,
        json!({
            "corrects_event_id": conversation.to_string(),
            "reason": "Entered on the wrong child",
            "retract": true,
        }),
    );
    s
}

/// The journey and, as the API would hand them in, the records retracted by what passes the
/// same filter.
fn journey_of(stream: &Stream, filter: TimeFilter) -> (Journey<'_>, Vec<Record<'static>>) {
    let journey = projection::journey(&stream.events, norfolk(), filter);
    let admitted: Vec<StoredEvent> = stream
        .events
        .iter()
        .filter(|e| filter.admits(e))
        .cloned()
        .collect();
    let retracted = projection::audit(&admitted, &[])
        .records
        .into_iter()
        .filter(|r| r.retracted)
        .map(|r| r.record.into_owned())
        .collect();
    (journey, retracted)
}

fn view(
    title: Option<&str>,
    filter: TimeFilter,
    retracted: Vec<Record<'static>>,
) -> JourneyView<'static> {
    JourneyView {
        title: title.map(str::to_owned),
        framework_title: "Norfolk Threshold Guide".to_owned(),
        filter,
        retracted,
        generated_at: at(2026, 3, 1, 12),
    }
}

fn journey_html(title: Option<&str>, filter: TimeFilter) -> String {
    let stream = journey_stream();
    let (journey, retracted) = journey_of(&stream, filter);
    journey_page(&journey, &view(title, filter, retracted)).expect("the journey page renders")
}

fn fixture_report() -> InspectionReport {
    let text = include_str!("fixtures/report.json");
    serde_json::from_str(text).expect("the fixture is a report")
}

fn report_html() -> String {
    report_page(&fixture_report()).expect("the report page renders")
}

/// The page from `<body>` on: the stylesheet in the head would only make the snapshots long.
fn body(html: &str) -> &str {
    html.find("<body>").map_or(html, |i| &html[i..])
}

// --- What any page must be -----------------------------------------------------------------

const VOID: &[&str] = &["meta", "link", "br", "hr", "img", "input", "wbr", "col"];

/// Checks that every element opened is closed, in order, and returns the problem if not.
/// Text inside `<style>` is skipped; `<!…>` (the doctype) and `/>` self-closed elements are not
/// elements that need closing.
fn balance(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest
            .find('>')
            .ok_or_else(|| format!("a tag is never closed: <{}", &rest[..rest.len().min(40)]))?;
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match stack.pop() {
                Some(top) if top == name => continue,
                Some(top) => return Err(format!("</{name}> closes <{top}>")),
                None => return Err(format!("</{name}> closes nothing")),
            }
        }
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!("a `<` that starts no tag: <{tag}>"));
        }
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "style" {
            let end = rest.find("</style>").ok_or("<style> is never closed")?;
            rest = &rest[end + "</style>".len()..];
            continue;
        }
        stack.push(name);
    }
    match stack.last() {
        None => Ok(()),
        Some(top) => Err(format!("<{top}> is never closed (open: {stack:?})")),
    }
}

/// Everything a self-contained, script-free page must be.
fn assert_self_contained(html: &str) {
    if let Err(problem) = balance(html) {
        panic!("unbalanced HTML: {problem}");
    }
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script",
        "http://",
        "https://",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "src=",
        "javascript:",
        " on", // an inline event handler (`onclick=`) would need a space before it
    ] {
        if banned == " on" {
            let handler = lower.match_indices(" on").any(|(i, _)| {
                lower[i + 3..].starts_with(|c: char| c.is_ascii_alphabetic()) && {
                    let attr: String = lower[i + 1..]
                        .chars()
                        .take_while(char::is_ascii_alphabetic)
                        .collect();
                    lower[i + 1 + attr.len()..].starts_with('=')
                }
            });
            assert!(!handler, "the page has an inline event handler");
            continue;
        }
        assert!(!lower.contains(banned), "the page contains `{banned}`");
    }
    assert_eq!(lower.matches("<style").count(), 1, "one inline <style>");
    assert!(lower.contains("@media print"), "a print stylesheet");
}

#[test]
fn the_checker_finds_unbalanced_html() {
    assert!(balance("<p><b>x</b></p>").is_ok());
    assert!(balance("<p><b>x</p></b>").is_err());
    assert!(balance("<div><p>x</p>").is_err());
    assert!(balance("<br><meta charset=\"utf-8\"><rect/>").is_ok());
    assert!(balance("<style>a > b {}</style><p></p>").is_ok());
    assert!(balance("a < b").is_err());
}

// --- The journey page ------------------------------------------------------------------------

#[test]
fn journey_page_snapshot() {
    let html = journey_html(None, TimeFilter::NONE);
    insta::assert_snapshot!("journey", body(&html));
}

#[test]
fn journey_page_is_self_contained_and_balanced() {
    assert_self_contained(&journey_html(Some(GIVEN_NAME), TimeFilter::NONE));
    let filtered = TimeFilter {
        as_of: Some(at(2026, 2, 18, 0)),
        known_at: Some(at(2026, 2, 19, 0)),
    };
    assert_self_contained(&journey_html(None, filtered));
}

#[test]
fn journey_page_names_the_child_only_where_the_caller_asks() {
    let escaped_given = "Zoë &#60;script&#62;alert(1)&#60;/script&#62;";
    let unnamed = journey_html(None, TimeFilter::NONE);
    let named = journey_html(Some(GIVEN_NAME), TimeFilter::NONE);
    for html in [&unnamed, &named] {
        assert!(!html.contains("<script"), "the name is escaped");
        assert!(!html.contains("O'Brien"), "the quote is escaped");
    }

    // Without a title, the name is only in the registration's data.
    assert_eq!(unnamed.matches(escaped_given).count(), 1, "{unnamed}");
    assert!(unnamed.contains("<title>A child&#39;s journey"));
    let data_start = unnamed.find("id=\"records\"").expect("a records section");
    assert!(unnamed.find(escaped_given) > Some(data_start));

    // With one, also in the page title and the heading, escaped.
    assert_eq!(named.matches(escaped_given).count(), 3);
    assert!(named.contains(&format!("<title>Journey of {escaped_given}")));
    assert!(named.contains(&format!("<h1>Journey of {escaped_given}</h1>")));
}

#[test]
fn journey_page_shows_identifiers_only_in_the_data_and_the_header() {
    let stream = journey_stream();
    let html = journey_html(None, TimeFilter::NONE);
    // The NHS number only where it was recorded: the registration's identifiers.
    assert_eq!(html.matches(NHS_NUMBER).count(), 1);
    let registration = html
        .find(&format!("id=\"record-{}\"", stream.events[0].event_id))
        .expect("the registration is on the page");
    let next = html
        .find(&format!("id=\"record-{}\"", stream.events[1].event_id))
        .expect("the referral is on the page");
    let at = html
        .find(NHS_NUMBER)
        .expect("the NHS number is in the data");
    assert!(registration < at && at < next);
    // The child's id once, in the header.
    assert_eq!(html.matches(&stream.child_id().to_string()).count(), 1);
    assert!(html.contains(&format!(
        "<dt>Child record</dt><dd><code>{}</code></dd>",
        stream.child_id()
    )));
}

#[test]
fn journey_page_links_corrections_and_strikes_through_retractions() {
    let stream = journey_stream();
    let html = journey_html(None, TimeFilter::NONE);
    let conversation = stream.events[3].event_id;
    let step = stream.events[4].event_id;
    let retraction = stream.events[7].event_id;

    // The corrected step: a badge, its correction linked, the first data kept.
    assert!(html.contains("<span class=\"badge corrected\">corrected</span>"));
    assert!(html.contains(&format!(
        "<a href=\"#record-{}\">record 6, Record corrected</a>",
        stream.events[5].event_id
    )));
    assert!(html.contains("<summary>The data as first recorded</summary>"));
    assert!(html.contains("Mistyped rationale"));
    assert!(html.contains("Child in need assessment recommends targeted support"));
    // The correction and the family_informed link back to the step.
    assert!(html.matches(&format!("href=\"#record-{step}\"")).count() >= 2);

    // The retracted conversation: out of the records, into the retracted section, struck.
    let retracted_section = html.find("id=\"retracted\"").expect("a retracted section");
    let shown = html
        .find(&format!("id=\"record-{conversation}\""))
        .expect("the retracted record is shown");
    assert!(shown > retracted_section);
    assert_eq!(
        html.matches(&format!("id=\"record-{conversation}\""))
            .count(),
        1
    );
    assert!(html.contains("<span class=\"badge retracted\">retracted</span>"));
    assert!(html.contains("<div class=\"data struck\">"));
    assert!(html.contains(&format!(
        "<a href=\"#record-{retraction}\">record 8, Record retracted</a>"
    )));
    assert!(html.contains(&format!(
        "<dt>Retracts</dt><dd><a href=\"#record-{conversation}\">"
    )));
}

#[test]
fn journey_chart_marks_the_filter_and_labels_tiers() {
    let filtered = TimeFilter {
        as_of: Some(at(2026, 2, 18, 0)),
        known_at: Some(at(2026, 2, 19, 0)),
    };
    let html = journey_html(None, filtered);
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("<title id=\"journey-levels-title\">"));
    assert!(html.contains("As of: 18 Feb 2026"));
    assert!(html.contains("Known at: 19 Feb 2026"));
    assert!(html.contains("Targeted Support"));
    assert!(html.contains("section 17 (child in need)"));
    // Known by the 19th: the retraction of the 20th is not yet known, so the conversation
    // still stands and nothing is retracted.
    assert!(html.contains("<h2 id=\"retracted-heading\">Retracted records</h2>"));
    assert!(html.contains("<p>None.</p>"));
}

#[test]
fn an_empty_journey_still_makes_a_page() {
    let journey = Journey {
        child_id: Uuid::nil(),
        levels: Vec::new(),
        records: Vec::new(),
    };
    let html = journey_page(&journey, &view(None, TimeFilter::NONE, Vec::new()))
        .expect("an empty journey renders");
    assert_self_contained(&html);
    assert!(html.contains("No tier on record"));
    assert!(!html.contains("<svg"));
}

// --- The report page -------------------------------------------------------------------------

#[test]
fn report_page_snapshot() {
    let html = report_html();
    insta::assert_snapshot!("report", body(&html));
}

#[test]
fn report_page_is_self_contained_and_balanced() {
    assert_self_contained(&report_html());
}

#[test]
fn report_page_shows_figures_in_words_and_rates_as_percentages() {
    let html = report_html();
    for words in [
        "<th scope=\"row\">Decided within one working day<span class=\"def\">",
        "<th scope=\"row\">No further action</th><td class=\"num\">2</td><td class=\"num\">40.0%</td>",
        "<th scope=\"row\">Schools (2A)</th>",
        "<th scope=\"row\">Police (6)</th>",
        "<th scope=\"row\">Source not recorded</th>",
        "Child Protection",
        "Tell the referrer the decision",
        "16.7%",
        // The locality is escaped.
        "Norwich &#60;North&#62; &#38; &#34;Broads&#34;",
    ] {
        assert!(html.contains(words), "missing {words}");
    }
    // Census order: schools before health before police, and "not recorded" last.
    let schools = html.find(">Schools (2A)<");
    let health = html.find(">Health: GP (3A)<");
    let police = html.find(">Police (6)<");
    let none = html.find(">Source not recorded<");
    assert!(schools < health && health < police && police < none);
    for chart in [
        "chart-tier-mix",
        "chart-steps",
        "chart-timeliness",
        "chart-nfa-by-source",
    ] {
        assert!(
            html.contains(&format!("aria-labelledby=\"{chart}-title {chart}-desc\"")),
            "{chart}"
        );
    }
}

/// The children table fits a screen and a sheet of A4: ten columns, related counts sharing
/// a cell, and a print stylesheet that repeats the headings and keeps each row whole.
#[test]
fn report_children_table_is_ten_columns_of_grouped_counts() {
    let html = report_html();
    let table = &html[html
        .find("<table class=\"children\">")
        .expect("the children table")..];
    let table = &table[..table.find("</table>").expect("closed")];
    let head = &table[..table.find("</thead>").expect("a head")];
    assert_eq!(head.matches("<th scope=\"col\"").count(), 10);
    for sub in [
        "made / NFA / re-referred",
        "up / down",
        "met late / not met",
    ] {
        assert!(
            head.contains(&format!("<span class=\"sub\">{sub}</span>")),
            "{sub}"
        );
    }
    // C-1a2b3c: 2 referrals, 1 no further action, 1 re-referral; 1 met late, 0 not met.
    assert!(table.contains(
        "<th scope=\"row\">C-1a2b3c</th><td>14-17</td><td>2 Early Help</td>\
         <td class=\"num\">2 / 1 / 1</td>"
    ));
    assert!(table.contains("<td class=\"num\">1 / 0</td></tr>"));
    for rule in [
        "thead { display: table-header-group; }",
        "tr, th, td { break-inside: avoid; page-break-inside: avoid; }",
        "table.children { break-inside: auto; table-layout: auto; width: 100%; }",
    ] {
        assert!(html.contains(rule), "{rule}");
    }
}

/// The three figures of referrals decided on time count different things, and each says what
/// beside it.
#[test]
fn report_decided_on_time_figures_carry_their_definitions() {
    let html = report_html();
    for (row, def) in [
        ("Decided within one working day", "out of those decided"),
        (
            "Referral decisions, within 1 working day",
            "out of every referral received",
        ),
        (
            "Decide the referral",
            "deadline (the end of the next working day",
        ),
    ] {
        let at = html
            .find(&format!("<th scope=\"row\">{row}<span class=\"def\">"))
            .unwrap_or_else(|| panic!("{row} has no definition"));
        let end = at + html[at..].find("</th>").expect("the heading ends");
        assert!(html[at..end].contains(def), "{row}: {def}");
    }
    assert!(html.contains("Clock: when the decision happened, not when it was recorded"));
}

/// The API's pseudonyms (`c-` and 32 hex digits) are shown by their first 8 digits, longer
/// only where two children share them.
#[test]
fn report_page_shortens_pseudonyms_without_collisions() {
    let mut report = fixture_report();
    let mut third = report.children[0].clone();
    report.children[0].pseudonym = "c-0f1e2d3c4b5a69788796a5b4c3d2e1f0".to_owned();
    report.children[1].pseudonym = "c-77aa77aa0000000000000000000000ff".to_owned();
    third.pseudonym = "c-77aa77aa1111111111111111111111ff".to_owned();
    report.children.push(third);
    let html = report_page(&report).expect("the report page renders");
    for short in ["c-0f1e2d3c", "c-77aa77aa0", "c-77aa77aa1"] {
        assert!(
            html.contains(&format!("<th scope=\"row\">{short}</th>")),
            "{short}"
        );
    }
    assert!(!html.contains("c-0f1e2d3c4b"));
}

/// A report made from events by the real projection: the page shows each pseudonym and no
/// child id, name or NHS number.
#[test]
fn report_page_shows_pseudonyms_and_no_identity() {
    let mut children = Vec::new();
    for n in 1..=2u128 {
        let mut s = Stream::new(n);
        // Valid NHS numbers (mod 11), as the domain reads a registration.
        let nhs = ["9434765927", "9434765935"][n as usize - 1].to_owned();
        s.register(at(2026, 11, 2, 9), &format!("Child{n}"), &nhs);
        s.add(
            "referral_made",
            at(2026, 11, 3, 10),
            Duration::hours(1),
            SCHOOL,
            json!({
                "referral_id": Uuid::from_u128(0xaaaa + n).to_string(),
                "to": "front_door",
                "concerns": ["Worried"],
                "immediate_risk": false,
                "family_aware": true,
                "consent": { "consent_id": Uuid::from_u128(0xbbbb + n).to_string() },
                "source": "2A",
            }),
        );
        children.push((s.child_id(), format!("Child{n}"), nhs, s.events));
    }
    let events: Vec<StoredEvent> = children
        .iter()
        .flat_map(|(_, _, _, e)| e.iter().cloned())
        .collect();
    let pseudonym = |id: Uuid| format!("P-{:04x}", (id.as_u128() >> 64) as u16 ^ 0x5a5a);
    let period = Period::new(
        at(2026, 11, 1, 0).date_naive(),
        at(2026, 11, 30, 0).date_naive(),
    )
    .expect("a period");
    let report = projection::inspection_report(&events, norfolk(), period, None, &pseudonym);
    assert_eq!(report.children.len(), 2);

    let html = report_page(&report).expect("the report page renders");
    assert_self_contained(&html);
    for (id, name, nhs, _) in &children {
        assert!(html.contains(&format!("<th scope=\"row\">{}</th>", pseudonym(*id))));
        assert!(!html.contains(&id.to_string()), "child id {id} on the page");
        assert!(!html.contains(&id.simple().to_string()));
        assert!(!html.contains(name.as_str()), "name {name} on the page");
        assert!(!html.contains(nhs.as_str()), "NHS number on the page");
    }
    assert!(!html.contains(FAMILY_NAME) && !html.contains("O&#39;Brien"));
    // No id of any kind: no UUID at all.
    let uuid_like = html
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .any(|w| Uuid::parse_str(w).is_ok() && w.len() == 36);
    assert!(!uuid_like, "a UUID on the report page");
}
