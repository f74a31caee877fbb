//! A list that only grows at its end and is copied cheaply: its full chunks, and the list of
//! them, are shared between copies, and only the last, partly filled chunk is copied.
//!
//! A child's facts ([`super::cases::Case`]) hold a line per record (when each was made and
//! recorded, each conversation). The published read model shares them, so extending them with
//! a new record copies them first; with plain vectors that copy grew with the child's history
//! (`Arc::make_mut` in `CaseFold::extend`, 4.4% of the server late in a long load,
//! docs/BENCHMARKS.md, ninth round). Sharing each full chunk left a count to raise per chunk
//! on every copy, each on a line of memory of its own (the copy was still 3.4% of the server in
//! the fifteenth round); with the list of chunks shared too, a copy costs one count and the
//! tail, and the list is copied only when a chunk fills while shared.
//!
//! Serialised as a plain sequence, so the read model's rows are the same bytes as before.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Items per shared chunk: the most a copy copies, less one.
const CHUNK: usize = 32;

#[derive(Debug, Clone)]
pub(crate) struct Grown<T> {
    /// `None` until a chunk fills: most of a county's children never fill one, and an empty
    /// shared list would be an allocation per list (three a child) for nothing.
    full: Option<Arc<Vec<Arc<[T]>>>>,
    tail: Vec<T>,
}

impl<T> Default for Grown<T> {
    fn default() -> Self {
        Grown {
            full: None,
            tail: Vec::new(),
        }
    }
}

impl<T> Grown<T> {
    pub(crate) fn push(&mut self, item: T) {
        self.tail.push(item);
        if self.tail.len() == CHUNK {
            // The next tail grows as a vector does: a child with a few records more than a
            // chunk does not hold room for a whole chunk (66,000 children in a county's model).
            let chunk = Arc::from(std::mem::take(&mut self.tail));
            Arc::make_mut(self.full.get_or_insert_default()).push(chunk);
        }
    }

    fn chunks(&self) -> &[Arc<[T]>] {
        self.full.as_deref().map_or(&[], Vec::as_slice)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks()
            .iter()
            .flat_map(|c| c.iter())
            .chain(&self.tail)
    }

    pub(crate) fn len(&self) -> usize {
        self.chunks().len() * CHUNK + self.tail.len()
    }
}

impl<'a, T> IntoIterator for &'a Grown<T> {
    type Item = &'a T;
    type IntoIter = Box<dyn Iterator<Item = &'a T> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<T> FromIterator<T> for Grown<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut grown = Grown::default();
        items.into_iter().for_each(|item| grown.push(item));
        grown
    }
}

impl<T: PartialEq> PartialEq for Grown<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Serialize> Serialize for Grown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Grown<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever its length, it holds what a vector would, in order; a copy grown further
        /// leaves the original as it was; and it is written as the vector is.
        #[test]
        fn it_holds_and_writes_what_a_vector_would(items in proptest::collection::vec(any::<u32>(), 0..300), more in 0usize..100) {
            let grown: Grown<u32> = items.iter().copied().collect();
            prop_assert_eq!(grown.len(), items.len());
            prop_assert_eq!(grown.iter().copied().collect::<Vec<_>>(), items.clone());
            let mut copy = grown.clone();
            (0..more).for_each(|i| copy.push(i as u32));
            prop_assert_eq!(grown.iter().copied().collect::<Vec<_>>(), items.clone());
            prop_assert_eq!(copy.len(), items.len() + more);
            prop_assert_eq!(rmp_serde::to_vec(&grown).unwrap(), rmp_serde::to_vec(&items).unwrap());
            let back: Grown<u32> = rmp_serde::from_slice(&rmp_serde::to_vec(&items).unwrap()).unwrap();
            prop_assert!(back == grown);
        }
    }
}
