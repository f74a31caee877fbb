//! Decide: whether a command may join a child's record, and the events it becomes. Every rule
//! of docs/RECORDS.md that depends on the child's state is checked here or in `rules` (one
//! record against the state), and a correction or retraction may not leave a later record
//! resting on something that no longer stands.
//!
//! It does not change the child (`Child::apply` does, once the events are stored), does not read
//! a clock (`Services::now` is handed in) and does not know who is asking (`crate::access`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{Child, ChildEvent, ChildState, EventBody, fold_standing, rules, standing};
use crate::envelope::RecordInput;
use crate::error::{FieldError, Invalid};
use crate::framework::Framework;
use crate::record::*;
use crate::registration::ChildDetails;
use crate::shapes::Person;

/// How far ahead of the server's clock `occurred_at` may be (clock skew between systems).
pub const FUTURE_TOLERANCE_MINUTES: i64 = 5;

/// What a decision needs from outside: the deployment's framework and the current time.
#[derive(Debug, Clone, Copy)]
pub struct Services {
    pub framework: &'static Framework,
    pub now: DateTime<Utc>,
}

/// What an agency asks of a child's record.
#[derive(Debug, Clone, PartialEq)]
pub enum ChildCommand {
    Register {
        event_id: Uuid,
        occurred_at: DateTime<Utc>,
        recorded_by: Person,
        details: Box<ChildDetails>,
    },
    /// One record (`batch: false`, errors at `data.…`) or a batch (errors at `records[i].…`),
    /// all accepted or none. Each record comes with the event id the caller minted for it.
    Append {
        records: Vec<(Uuid, RecordInput)>,
        batch: bool,
    },
}

impl Child {
    /// Decides a command against the current state: the events to record, or why not.
    pub fn decide(
        &self,
        command: ChildCommand,
        services: &Services,
    ) -> Result<Vec<ChildEvent>, Invalid> {
        match command {
            ChildCommand::Register {
                event_id,
                occurred_at,
                recorded_by,
                details,
            } => {
                if self.state.registered {
                    return Err(Invalid::rule(
                        "This child is already registered.",
                        "child",
                        "already registered",
                    ));
                }
                check_not_future(occurred_at, services, "occurred_at")?;
                crate::dates::check_registration(&details, occurred_at)?;
                Ok(vec![ChildEvent {
                    event_id,
                    occurred_at,
                    recorded_by,
                    body: EventBody::Registered(*details),
                }])
            }
            ChildCommand::Append { mut records, batch } => {
                // One record that corrects nothing joins the state as it is: no copy of the
                // history to decide against (what keeps an append to a long record cheap).
                if !batch
                    && records.len() == 1
                    && !records[0].1.corrects()
                    && let Some((event_id, input)) = records.pop()
                {
                    return Ok(vec![self.decide_one(event_id, input, services)?]);
                }
                // Each record is decided against the state its earlier ones made. A command
                // that corrects nothing reads no history (the same rules as one record), so its
                // scratch is the state alone: copying the history, and folding a child from its
                // whole stream to have one, made a batch's cost grow with the child's record
                // (docs/BENCHMARKS.md, twentieth round). A correction weighs the history.
                let mut scratch = if records.iter().any(|(_, r)| r.corrects()) {
                    self.clone()
                } else {
                    self.state_alone()
                };
                let mut out = Vec::with_capacity(records.len());
                for (i, (event_id, input)) in records.into_iter().enumerate() {
                    let prefix = if batch {
                        format!("records[{i}]")
                    } else {
                        String::new()
                    };
                    let event = scratch
                        .decide_one(event_id, input, services)
                        .map_err(|e| e.prefixed(&prefix))?;
                    scratch.apply(event.clone());
                    out.push(event);
                }
                self.check_still_sound(&scratch, &out, batch, services)?;
                Ok(out)
            }
        }
    }

    /// A correction or retraction may not pull the ground from under a later record: retracting
    /// a plan that was since reviewed, or correcting a step so the next step's `from` no longer
    /// matches, would leave the journey telling something that could not have been recorded.
    /// Checked once for the whole command, so a batch may correct a record and its dependants
    /// together; only records that break because of this command count, so a history recorded
    /// under older rules does not block new corrections.
    fn check_still_sound(
        &self,
        after: &Child,
        recorded: &[ChildEvent],
        batch: bool,
        services: &Services,
    ) -> Result<(), Invalid> {
        let Some(first) = recorded
            .iter()
            .position(|e| matches!(&e.body, EventBody::Record(RecordData::RecordCorrected(_))))
        else {
            return Ok(());
        };
        let broken = unsound(&after.history, services);
        if broken.is_empty() {
            return Ok(());
        }
        let before = unsound(&self.history, services);
        let Some((id, (kind, why))) = broken.into_iter().find(|(id, _)| !before.contains_key(id))
        else {
            return Ok(());
        };
        let field = if batch {
            format!("records[{first}].data.corrects_event_id")
        } else {
            "data.corrects_event_id".to_owned()
        };
        Err(Invalid::rule(
            "A correction or retraction may not leave a later record resting on something that no longer stands: correct or retract that record first, or in the same batch.",
            field,
            format!(
                "record {id} ({}) would no longer pass: {why}",
                kind.as_str()
            ),
        ))
    }

    fn decide_one(
        &self,
        event_id: Uuid,
        input: RecordInput,
        services: &Services,
    ) -> Result<ChildEvent, Invalid> {
        if !self.state.registered {
            return Err(Invalid::rule(
                "Records can only be added to a registered child.",
                "",
                "the child is not registered",
            ));
        }
        // Every event that stands is in the state's map, so the history is searched only
        // when some event no longer stands (a retraction): then its id is in the history
        // alone. Without one, a child's thousandth record costs what its tenth does here.
        let all_stand = self.state.events.len() as u64 == self.sequence();
        if self.state.events.contains_key(&event_id)
            || (!all_stand && self.history.iter().any(|e| e.event_id == event_id))
        {
            return Err(Invalid::rule(
                "Each record has its own event id.",
                "event_id",
                "already used for this child",
            ));
        }
        check_not_future(input.occurred_at, services, "occurred_at")?;
        let RecordInput {
            occurred_at,
            recorded_by,
            data,
        } = input;
        crate::dates::check_record(&data, occurred_at, self.state.born())?;
        let data = match data {
            RecordData::RecordCorrected(c) => {
                RecordData::RecordCorrected(self.check_correction(c, services)?)
            }
            other => rules::check(&self.state, other, occurred_at, services)?,
        };
        Ok(ChildEvent {
            event_id,
            occurred_at,
            recorded_by,
            body: EventBody::Record(data),
        })
    }

    fn check_correction(
        &self,
        c: RecordCorrected,
        services: &Services,
    ) -> Result<RecordCorrected, Invalid> {
        const RULE: &str = "A correction points at a record of this child (not its registration or another correction) and either gives the whole corrected data or retracts it.";
        let Some(pos) = self
            .history
            .iter()
            .position(|e| e.event_id == c.corrects_event_id)
        else {
            return Err(Invalid::rule(
                RULE,
                "data.corrects_event_id",
                "no record of this child has this id",
            ));
        };
        let target = &self.history[pos];
        let target_type = match &target.body {
            EventBody::Registered(_) => {
                return Err(Invalid::rule(
                    RULE,
                    "data.corrects_event_id",
                    "a registration is changed with child_details_updated, not corrected",
                ));
            }
            EventBody::Record(RecordData::RecordCorrected(_)) => {
                return Err(Invalid::rule(
                    RULE,
                    "data.corrects_event_id",
                    "correct the original record, not a correction",
                ));
            }
            EventBody::Record(r) => r.record_type(),
        };
        if !self.state.events.contains_key(&c.corrects_event_id) {
            return Err(Invalid::rule(
                RULE,
                "data.corrects_event_id",
                "this record was retracted",
            ));
        }
        match (&c.corrected_data, c.retract) {
            (Some(_), Some(true)) => Err(Invalid::rule(
                RULE,
                "data.retract",
                "give corrected_data or retract: true, not both",
            )),
            (None, Some(true)) => Ok(c),
            (None, _) => Err(Invalid::rule(
                RULE,
                "data.corrected_data",
                "give the whole corrected data, or retract: true",
            )),
            (Some(data), _) => {
                let parsed = RecordData::parse(target_type, data.clone())
                    .map_err(|e| reroot(e, "data.corrected_data"))?;
                // The corrected data must pass its type's rules against the records before the
                // original as they stand now (earlier corrections, in this batch too, applied).
                let before = fold_standing(&self.history, pos);
                crate::dates::check_record(&parsed, target.occurred_at, before.born())
                    .map_err(|e| reroot(e, "data.corrected_data"))?;
                rules::check(&before, parsed, target.occurred_at, services)
                    .map_err(|e| reroot(e, "data.corrected_data"))?;
                Ok(c)
            }
        }
    }
}

/// Moves an error's `data.…` paths under `root` (a correction's corrected data).
fn reroot(e: Invalid, root: &str) -> Invalid {
    let errors: Vec<FieldError> = e
        .errors()
        .iter()
        .map(|f| FieldError {
            field: f.field.replacen("data", root, 1),
            message: f.message.clone(),
        })
        .collect();
    e.with_errors(errors)
}

fn check_not_future(at: DateTime<Utc>, services: &Services, field: &str) -> Result<(), Invalid> {
    if at > services.now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        return Err(Invalid::rule(
            "A record cannot say it happened more than 5 minutes in the future.",
            field,
            format!(
                "is after the server's clock ({}) by more than 5 minutes",
                services.now.to_rfc3339()
            ),
        ));
    }
    Ok(())
}

/// The records of a history that, as it stands after its corrections, would not pass their
/// rules against what stood before them: each with its type and the rule it breaks.
///
/// Corrections themselves are not re-checked (they were checked against the history they
/// corrected), nor is the registration.
fn unsound(history: &[ChildEvent], services: &Services) -> BTreeMap<Uuid, (RecordType, String)> {
    let mut out = BTreeMap::new();
    let mut state = ChildState::default();
    for s in standing(history) {
        let Some(e) = s.event() else {
            state.agencies.insert(s.agency().to_owned());
            continue;
        };
        if let EventBody::Record(r) = &e.body
            && !matches!(r, RecordData::RecordCorrected(_))
            && let Err(why) = rules::check(&state, r.clone(), e.occurred_at, services)
        {
            out.insert(e.event_id, (r.record_type(), why.detail().to_owned()));
        }
        state.apply(e);
    }
    out
}
