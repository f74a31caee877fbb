//! Producing a statutory return from the store: every child read once, in child order, a page
//! of whole children at a time (`EventStore::read_children`, up to the store's head as the
//! production began), each folded by the domain and handed to the `returns` crate.
//!
//! Reading the store itself (not the cross-child read model) means a return reflects every
//! record acknowledged before it began, from any server on the store: positions follow commit
//! order and a `201` is sent only once committed. Memory holds one page of children at a time
//! (the census is sent on as each page is written; Annex A keeps only its rows).
//!
//! Used by the API's routes and by `caseline returns`. What it does not do: decide who may
//! produce a return, or log it (the callers do, through [`log_production`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::child::{Child, ChildEvent};
use returns::census_xml::{CensusWriter, Source};
use returns::{AnnexA, CollectionYear, Shown, Window};
use store::{EventStore, GlobalPosition, ReadLogEntry, StoreError, StoredEvent};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Whole children read from the store per page.
pub const PAGE_CHILDREN: usize = 512;

/// Bytes of census XML gathered before they are sent on.
const CHUNK: usize = 256 * 1024;

/// The id a production is logged under in the read log: no child has it (child ids are
/// random UUIDs), so the council-wide productions sit apart from any child's reads and are
/// read back with `EventStore::reads(Uuid::nil())`.
pub const PRODUCTIONS: Uuid = Uuid::nil();

/// Why a return could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "this store cannot be read child by child (KurrentDB); returns need SQLite or PostgreSQL"
    )]
    NoChildScan,
    #[error("a stored event could not be read, so the return would be wrong: {0}")]
    Unreadable(#[from] domain::child::UnreadableEvent),
    #[error("the return could not be written: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Workbook(#[from] returns::workbook::WorkbookError),
    /// A task of the production panicked or was cancelled.
    #[error("a production task failed: {0}")]
    Task(String),
    /// Whoever was receiving the return went away.
    #[error("the receiver of the return went away")]
    Closed,
}

/// Pages of whole children, folded, up to the store's head when the pages were opened.
pub struct Children {
    store: Arc<dyn EventStore>,
    head: GlobalPosition,
    after: Option<Uuid>,
    finished: bool,
}

impl Children {
    pub async fn open(store: Arc<dyn EventStore>) -> Result<Children, ProductionError> {
        let head = store.head_position().await?;
        if store.read_children(None, 1, head).await?.is_none() {
            return Err(ProductionError::NoChildScan);
        }
        Ok(Children {
            store,
            head,
            after: None,
            finished: false,
        })
    }

    /// The store's head the production reflects.
    pub fn head(&self) -> GlobalPosition {
        self.head
    }

    /// The next page of children, each folded; `None` when none is left.
    pub async fn next_page(&mut self) -> Result<Option<Vec<(Uuid, Child)>>, ProductionError> {
        match self.next_events().await? {
            Some(events) => Ok(Some(fold(events)?)),
            None => Ok(None),
        }
    }

    /// The next page's events, whole children in child order; `None` when none is left.
    pub async fn next_events(&mut self) -> Result<Option<Vec<StoredEvent>>, ProductionError> {
        if self.finished {
            return Ok(None);
        }
        let events = self
            .store
            .read_children(self.after, PAGE_CHILDREN, self.head)
            .await?
            .ok_or(ProductionError::NoChildScan)?;
        let Some(last) = events.last() else {
            self.finished = true;
            return Ok(None);
        };
        self.after = Some(last.child_id);
        Ok(Some(events))
    }
}

/// A page's events (whole children, in child order) folded child by child. The events are
/// taken, not borrowed: their JSON moves into the domain's parse instead of being copied.
pub fn fold(events: Vec<StoredEvent>) -> Result<Vec<(Uuid, Child)>, ProductionError> {
    let mut out: Vec<(Uuid, Child)> = Vec::new();
    let mut current: Option<(Uuid, Vec<ChildEvent>)> = None;
    for e in events {
        let child_id = e.child_id;
        let parsed = parse(e)?;
        match &mut current {
            Some((id, list)) if *id == child_id => list.push(parsed),
            _ => {
                if let Some((id, list)) = current.take() {
                    out.push((id, Child::from_events(list)));
                }
                current = Some((child_id, vec![parsed]));
            }
        }
    }
    if let Some((id, list)) = current {
        out.push((id, Child::from_events(list)));
    }
    Ok(out)
}

fn parse(e: StoredEvent) -> Result<ChildEvent, domain::child::UnreadableEvent> {
    ChildEvent::from_stored(
        e.event_id,
        &e.event_type,
        e.event_version,
        e.occurred_at,
        e.recorded_by,
        e.data,
    )
}

/// Writes the census for `year`, sending the XML on in chunks as it is written; the number of
/// children returned.
pub async fn census(
    store: Arc<dyn EventStore>,
    year: CollectionYear,
    source: &Source,
    produced_at: DateTime<Utc>,
    tx: mpsc::Sender<Vec<u8>>,
) -> Result<u64, ProductionError> {
    let mut children = Children::open(store).await?;
    let mut writer = CensusWriter::start(Vec::with_capacity(CHUNK), year, source, produced_at)?;
    // The store is read on one task while the page before is folded and written on a blocking
    // thread: the two halves of the work overlap, and neither holds more than two pages.
    let (pages_tx, mut pages) = mpsc::channel::<Result<Vec<StoredEvent>, ProductionError>>(1);
    let reader = tokio::spawn(async move {
        loop {
            let next = children.next_events().await;
            let stop = !matches!(next, Ok(Some(_)));
            let item = match next {
                Ok(Some(events)) => Ok(events),
                Ok(None) => break,
                Err(e) => Err(e),
            };
            if pages_tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    while let Some(page) = pages.recv().await {
        let events = page?;
        let (chunk, n) = tokio::task::spawn_blocking(move || census_page(events, year))
            .await
            .map_err(|e| ProductionError::Task(e.to_string()))??;
        writer.get_mut().extend_from_slice(&chunk);
        writer.count_written(n);
        if writer.get_ref().len() >= CHUNK {
            let chunk = std::mem::take(writer.get_mut());
            tx.send(chunk).await.map_err(|_| ProductionError::Closed)?;
        }
    }
    // The reader has ended (its channel closed); a panic in it would have closed it early.
    reader
        .await
        .map_err(|e| ProductionError::Task(e.to_string()))?;
    let (rest, count) = writer.finish()?;
    tx.send(rest).await.map_err(|_| ProductionError::Closed)?;
    Ok(count)
}

/// The events of the children that have a `referral_made` record at all (whole children, in
/// order). A child with none has no episode of need and is not in the census, so there is no
/// need to decode its record; only the event's type is looked at, never its data, so a
/// retracted or corrected referral still goes to the domain to be read as it stands.
fn with_a_referral(events: Vec<StoredEvent>) -> Vec<StoredEvent> {
    let referred: std::collections::HashSet<Uuid> = events
        .iter()
        .filter(|e| e.event_type == domain::record::RecordType::ReferralMade.as_str())
        .map(|e| e.child_id)
        .collect();
    events
        .into_iter()
        .filter(|e| referred.contains(&e.child_id))
        .collect()
}

/// One page's children folded and written as census XML: the bytes and how many children.
fn census_page(
    events: Vec<StoredEvent>,
    year: CollectionYear,
) -> Result<(Vec<u8>, u64), ProductionError> {
    let mut out = Vec::new();
    let mut n = 0;
    for (id, child) in fold(with_a_referral(events))? {
        if let Some(entry) = returns::census_child(id, &child, year) {
            returns::census_xml::write_child(&mut out, &entry)?;
            n += 1;
        }
    }
    Ok((out, n))
}

/// How children are named in an Annex A production.
pub enum Naming<'a> {
    /// The council's id (the census's LAchildID) and full dates of birth.
    Council,
    /// The inspection report's pseudonyms and months of birth only.
    Pseudonyms(&'a (dyn Fn(Uuid) -> String + Send + Sync)),
}

/// Annex A's lists for the window.
pub async fn annex_a(
    store: Arc<dyn EventStore>,
    window: Window,
    naming: Naming<'_>,
) -> Result<AnnexA, ProductionError> {
    let mut children = Children::open(store).await?;
    let mut annex = AnnexA::new(window);
    while let Some(page) = children.next_page().await? {
        for (id, child) in &page {
            let shown = match &naming {
                Naming::Council => {
                    let recorded = child
                        .state()
                        .details
                        .as_ref()
                        .and_then(|d| d.identifiers())
                        .and_then(|i| i.la_child_id.as_ref())
                        .map(|t| t.as_str().to_owned());
                    Shown::Council(returns::census::la_child_id(*id, recorded.as_deref()))
                }
                Naming::Pseudonyms(f) => Shown::Pseudonym(f(*id)),
            };
            annex.add_child(&shown, child);
        }
    }
    annex.sort();
    Ok(annex)
}

/// Logs one production of a return: who, when, which return and which period.
pub async fn log_production(
    store: &dyn EventStore,
    token_id: Option<Uuid>,
    agency: &str,
    role: &str,
    what: String,
) -> Result<(), StoreError> {
    store
        .log_read(ReadLogEntry {
            child_id: PRODUCTIONS,
            at: Utc::now(),
            token_id,
            agency: agency.to_owned(),
            role: role.to_owned(),
            what,
            person: None,
            session_id: None,
        })
        .await
}
