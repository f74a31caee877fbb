//! A child's folded state kept in the store, so that a child not in the cache starts from it
//! rather than from its whole stream: an append to a cold child with a long history reads its
//! kept state and only the events after it, and costs about what one to a short history does.
//!
//! The state is the domain's [`ChildState`] as MessagePack, behind a format byte and the
//! domain's [`FOLD_VERSION`]; a state of another format or fold version is not used (the child
//! is folded from its events, and a new state kept). Events never change once stored, so a
//! state kept at sequence N stays true for every later read of the first N events.
//!
//! What it deliberately does not do: serve reads (the journey, the audit and the rest need
//! every event, and read them), or decide a batch or a correction, which weigh the whole
//! history: [`domain::child::Child::is_whole`] says when the whole stream is needed.

use domain::child::{ChildState, FOLD_VERSION};
use store::{EventStore, StoreError};
use uuid::Uuid;

/// A state is kept once a child has this many events more than its last kept state.
pub const KEEP_EVERY: u64 = 100;

/// The layout of a kept state: this byte, the fold version (4 bytes, big-endian), MessagePack.
const FORMAT: u8 = 1;

/// The snapshot's name in the store.
fn name(child_id: Uuid) -> String {
    format!("child/{child_id}")
}

/// The kept state of a child and the sequence it reflects, if one of this build's fold
/// version is kept. One that cannot be read is ignored (and named in the log).
pub async fn load(
    store: &dyn EventStore,
    child_id: Uuid,
) -> Result<Option<(u64, ChildState)>, StoreError> {
    let Some((sequence, bytes)) = store.load_snapshot(&name(child_id)).await? else {
        return Ok(None);
    };
    Ok(decode(&bytes)
        .map_err(|why| tracing::debug!(%child_id, %why, "a kept child state is not used"))
        .ok()
        .map(|state| (sequence, state)))
}

/// Keeps `state` as the child's state at `sequence`. Never moves a kept state backwards (the
/// store's own condition).
pub async fn save(
    store: &dyn EventStore,
    child_id: Uuid,
    sequence: u64,
    state: &ChildState,
) -> Result<(), StoreError> {
    let Some(bytes) = encode(state) else {
        return Ok(());
    };
    store
        .save_snapshot(&name(child_id), sequence, bytes)
        .await?;
    metrics::counter!("caseline_child_states_kept_total").increment(1);
    Ok(())
}

fn encode(state: &ChildState) -> Option<Vec<u8>> {
    let mut out = vec![FORMAT];
    out.extend_from_slice(&FOLD_VERSION.to_be_bytes());
    // Encoding to a Vec fails only for a value MessagePack cannot represent, which a state
    // has none of; such a state is simply not kept.
    rmp_serde::encode::write_named(&mut out, state)
        .map_err(|e| tracing::warn!(error = %e, "a child's state cannot be encoded"))
        .ok()?;
    Some(out)
}

fn decode(bytes: &[u8]) -> Result<ChildState, String> {
    let (&format, rest) = bytes.split_first().ok_or("empty")?;
    if format != FORMAT {
        return Err(format!("format {format}, not {FORMAT}"));
    }
    let (version, body) = rest.split_at_checked(4).ok_or("no fold version")?;
    let version = u32::from_be_bytes(version.try_into().map_err(|_| "no fold version")?);
    if version != FOLD_VERSION {
        return Err(format!("fold version {version}, not {FOLD_VERSION}"));
    }
    rmp_serde::from_slice(body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_of_another_fold_version_or_format_is_not_used() {
        let state = ChildState {
            registered: true,
            closed: true,
            ..ChildState::default()
        };
        let bytes = encode(&state).expect("encodes");
        assert_eq!(decode(&bytes), Ok(state));
        let mut other = bytes.clone();
        other[4] ^= 1;
        assert!(decode(&other).is_err());
        let mut other = bytes;
        other[0] = 9;
        assert!(decode(&other).is_err());
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn a_states_hashed_ids_are_kept_in_id_order() {
        let ids: Vec<Uuid> = (0..40).map(|_| Uuid::new_v4()).collect();
        let state = |order: &mut dyn Iterator<Item = &Uuid>| {
            let mut s = ChildState::default();
            for id in order {
                s.conversations.insert(*id);
                s.events.insert(*id, "conversation_recorded");
            }
            s
        };
        let forwards = state(&mut ids.iter());
        let backwards = state(&mut ids.iter().rev());
        let bytes = encode(&forwards).expect("encodes");
        assert_eq!(
            bytes,
            encode(&backwards).expect("encodes"),
            "the same state, the same bytes"
        );
        assert_eq!(decode(&bytes), Ok(forwards));
    }
}
