//! The entities a [`Mirror`](super::Mirror) holds: an ordered map from id to fields, kept as two arrays.
//!
//! The ids are kept in ascending order in one array and the fields, in the same order, in another. A delta lists
//! its moves in ascending id order, so applying them is one forward walk along the ids (4 bytes each: a mirror of
//! 1,000 entities walks 4 KB) that touches only the fields of the entities that moved, in address order. In a
//! `BTreeMap` the same walk went from node to node through memory no cache held: a load-test process keeps a
//! mirror per bot, and their walks were the bots' largest cost after the kernel's (docs/BENCHMARKS.md, eighth
//! session). Inserting or removing one entity moves the entries after it; a delta's spawns and despawns are
//! therefore applied together in one pass ([`EntityMap::replace`]).

use crate::entity::{EntityFields, EntityId};
use std::ops::Index;

/// An ordered map from entity id to fields, with the read API of a `BTreeMap`; see the module documentation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntityMap {
    ids: Vec<EntityId>,
    fields: Vec<EntityFields>,
}

impl EntityMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entities it holds.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The fields of entity `id`.
    pub fn get(&self, id: &EntityId) -> Option<&EntityFields> {
        let i = self.ids.binary_search(id).ok()?;
        self.fields.get(i)
    }

    /// The fields of entity `id`, to change.
    pub fn get_mut(&mut self, id: &EntityId) -> Option<&mut EntityFields> {
        let i = self.ids.binary_search(id).ok()?;
        self.fields.get_mut(i)
    }

    /// True when it holds entity `id`.
    pub fn contains_key(&self, id: &EntityId) -> bool {
        self.ids.binary_search(id).is_ok()
    }

    /// Sets the fields of entity `id`; returns the fields it had, if it existed.
    pub fn insert(&mut self, id: EntityId, fields: EntityFields) -> Option<EntityFields> {
        match self.ids.binary_search(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.fields[i], fields)),
            Err(i) => {
                self.ids.insert(i, id);
                self.fields.insert(i, fields);
                None
            }
        }
    }

    /// Removes entity `id`; returns its fields, if it existed.
    pub fn remove(&mut self, id: &EntityId) -> Option<EntityFields> {
        let i = self.ids.binary_search(id).ok()?;
        self.ids.remove(i);
        Some(self.fields.remove(i))
    }

    /// The ids, ascending.
    pub fn keys(&self) -> std::slice::Iter<'_, EntityId> {
        self.ids.iter()
    }

    /// The fields, in ascending id order.
    pub fn values(&self) -> std::slice::Iter<'_, EntityFields> {
        self.fields.iter()
    }

    /// Every entity with its fields, in ascending id order.
    pub fn iter(&self) -> Iter<'_> {
        self.ids.iter().zip(self.fields.iter())
    }

    /// The ids, ascending.
    pub(crate) fn ids(&self) -> &[EntityId] {
        &self.ids
    }

    /// The ids (ascending) and the fields to change in place, for a walk along both.
    pub(crate) fn columns_mut(&mut self) -> (&[EntityId], &mut [EntityFields]) {
        (&self.ids, &mut self.fields)
    }

    /// Removes the entities of `gone` (each must be held) and inserts `new` (ids not held once `gone` is removed),
    /// in one pass over the map. Of two entries of `new` with the same id, the later wins.
    pub(crate) fn replace(
        &mut self,
        gone: &[EntityId],
        new: impl IntoIterator<Item = (EntityId, EntityFields)>,
    ) {
        let mut new: Vec<(EntityId, EntityFields)> = new.into_iter().collect();
        if gone.len() + new.len() <= 1 {
            // One change: moving the entries after it is all a pass would do.
            for id in gone {
                self.remove(id);
            }
            for (id, fields) in new {
                self.insert(id, fields);
            }
            return;
        }
        let mut gone = gone.to_vec();
        gone.sort_unstable();
        // Stable, then keep the last of equal ids (as repeated inserts would).
        new.sort_by_key(|(id, _)| *id);
        new.reverse();
        new.dedup_by_key(|(id, _)| *id);
        new.reverse();
        let capacity = (self.len() + new.len()).saturating_sub(gone.len());
        let mut ids = Vec::with_capacity(capacity);
        let mut fields = Vec::with_capacity(capacity);
        let mut gone = gone.into_iter().peekable();
        let mut new = new.into_iter().peekable();
        for (id, f) in std::mem::take(&mut self.ids)
            .into_iter()
            .zip(std::mem::take(&mut self.fields))
        {
            while let Some((n, nf)) = new.next_if(|(n, _)| *n < id) {
                ids.push(n);
                fields.push(nf);
            }
            if gone.next_if_eq(&id).is_some() {
                continue;
            }
            if let Some((n, nf)) = new.next_if(|(n, _)| *n == id) {
                // Not expected (a spawn of an entity held), but a map keeps one entry per id: the new one.
                ids.push(n);
                fields.push(nf);
                continue;
            }
            ids.push(id);
            fields.push(f);
        }
        for (id, f) in new {
            ids.push(id);
            fields.push(f);
        }
        self.ids = ids;
        self.fields = fields;
    }
}

/// The iterator of [`EntityMap::iter`].
pub type Iter<'a> =
    std::iter::Zip<std::slice::Iter<'a, EntityId>, std::slice::Iter<'a, EntityFields>>;

impl Index<&EntityId> for EntityMap {
    type Output = EntityFields;

    /// The fields of entity `id`; panics when it is not held (as a `BTreeMap` does).
    fn index(&self, id: &EntityId) -> &EntityFields {
        match self.get(id) {
            Some(f) => f,
            None => panic!("no entity {id} in the mirror"),
        }
    }
}

impl FromIterator<(EntityId, EntityFields)> for EntityMap {
    /// Of two entries with the same id, the later wins (as for a `BTreeMap`).
    fn from_iter<I: IntoIterator<Item = (EntityId, EntityFields)>>(iter: I) -> Self {
        let mut map = EntityMap::new();
        map.replace(&[], iter);
        map
    }
}

impl<'a> IntoIterator for &'a EntityMap {
    type Item = (&'a EntityId, &'a EntityFields);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn f(health: u16) -> EntityFields {
        EntityFields {
            health: Some(health),
            ..Default::default()
        }
    }

    #[test]
    fn it_reads_like_an_ordered_map() {
        let mut m: EntityMap = [(5, f(5)), (1, f(1)), (3, f(3)), (1, f(10))]
            .into_iter()
            .collect();
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), vec![1, 3, 5]);
        assert_eq!(m[&1].health, Some(10), "the later of two entries wins");
        assert_eq!(m.get(&2), None);
        assert!(m.contains_key(&3) && !m.contains_key(&4));
        assert_eq!(m.insert(4, f(4)), None);
        assert_eq!(m.insert(4, f(40)).map(|e| e.health), Some(Some(4)));
        assert_eq!(m.remove(&3).map(|e| e.health), Some(Some(3)));
        assert_eq!(m.remove(&3), None);
        assert_eq!(
            m.iter().map(|(id, e)| (*id, e.health)).collect::<Vec<_>>(),
            vec![(1, Some(10)), (4, Some(40)), (5, Some(5))]
        );
        assert_eq!(m.len(), 3);
    }

    proptest! {
        /// Removing and inserting in one pass ends where removing and inserting one at a time does.
        #[test]
        fn replace_agrees_with_one_at_a_time(
            held in proptest::collection::btree_set(0u32..64, 0..40),
            gone_picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
            new in proptest::collection::vec((0u32..64, 0u16..100), 0..12),
        ) {
            let held: Vec<u32> = held.into_iter().collect();
            let mut gone: Vec<u32> = if held.is_empty() {
                vec![]
            } else {
                gone_picks.iter().map(|i| held[i.index(held.len())]).collect()
            };
            gone.sort_unstable();
            gone.dedup();
            // New ids are those not held once `gone` is removed (a mirror checks that before it replaces).
            let new: Vec<(u32, EntityFields)> = new
                .into_iter()
                .filter(|(id, _)| !held.contains(id) || gone.contains(id))
                .map(|(id, h)| (id, f(h)))
                .collect();
            let mut map: EntityMap = held.iter().map(|id| (*id, f(0))).collect();
            let mut reference: BTreeMap<u32, EntityFields> = held.iter().map(|id| (*id, f(0))).collect();
            for id in &gone {
                reference.remove(id);
            }
            for (id, e) in &new {
                reference.insert(*id, e.clone());
            }
            map.replace(&gone, new);
            let got: Vec<(u32, EntityFields)> = map.iter().map(|(id, e)| (*id, e.clone())).collect();
            let want: Vec<(u32, EntityFields)> = reference.into_iter().collect();
            prop_assert_eq!(got, want);
        }
    }
}
