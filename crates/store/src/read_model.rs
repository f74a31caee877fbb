//! The rows of a read model packed into one snapshot, for backends that keep no row per child
//! (the default of [`crate::EventStore::save_read_model`]): for each row its child id (16
//! bytes), the length of its data (8 bytes, little-endian) and the data, in child id order.
//!
//! It does not know what a row holds; the projection decides that.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::{StoreError, StoreErrorKind};

pub(crate) fn encode(rows: &BTreeMap<Uuid, Vec<u8>>) -> Vec<u8> {
    let size = rows.values().map(|d| 24 + d.len()).sum();
    let mut out = Vec::with_capacity(size);
    for (id, data) in rows {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

pub(crate) fn decode(mut bytes: &[u8]) -> Result<Vec<(Uuid, Vec<u8>)>, StoreError> {
    let broken = || StoreError::new(StoreErrorKind::Corrupt, "a read model's rows are cut short");
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (id, rest) = bytes.split_at_checked(16).ok_or_else(broken)?;
        let (len, rest) = rest.split_at_checked(8).ok_or_else(broken)?;
        let len = u64::from_le_bytes(len.try_into().map_err(|_| broken())?);
        let len = usize::try_from(len).map_err(|_| broken())?;
        let (data, rest) = rest.split_at_checked(len).ok_or_else(broken)?;
        out.push((Uuid::from_slice(id).map_err(|_| broken())?, data.to_vec()));
        bytes = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_as_written_and_a_cut_is_refused() {
        let rows: BTreeMap<Uuid, Vec<u8>> = [
            (Uuid::from_u128(2), b"two".to_vec()),
            (Uuid::from_u128(1), Vec::new()),
        ]
        .into();
        let bytes = encode(&rows);
        assert_eq!(
            decode(&bytes).unwrap_or_default(),
            rows.clone().into_iter().collect::<Vec<_>>()
        );
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
