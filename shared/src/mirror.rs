//! The client-side copy of the world: what a client holds after applying the server's snapshots and deltas.
//!
//! Bots, tests and the console use it to check that what the server sent adds up. Applying a message that does
//! not fit the state held (a delta for another base tick, a change or move of an unknown entity, a spawn of an
//! entity that exists, a position in a change) is a [`MirrorError`]: with a correct server and a correct client
//! that never happens.

use crate::entity::EntityId;
use crate::server::{Delta, ServerMessage, Snapshot};

/// How many entities ahead of a move the walk asks for the entity's fields to be loaded.
const MOVE_PREFETCH_AHEAD: usize = 4;

mod map;
pub use map::{EntityMap, Iter as EntityIter};

/// Why a server message could not be applied to the mirror.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MirrorError {
    /// A delta arrived before any snapshot.
    #[error("delta for tick {0} before any snapshot")]
    NoSnapshot(u32),
    /// A delta's base tick is not the tick the mirror holds.
    #[error("delta {tick} applies to tick {base}, but the mirror holds tick {held}")]
    WrongBase {
        /// The delta's tick.
        tick: u32,
        /// The delta's base.
        base: u32,
        /// The tick the mirror holds.
        held: u32,
    },
    /// A delta or snapshot went back in time.
    #[error("tick went backwards from {held} to {tick}")]
    TickBackwards {
        /// The tick the mirror holds.
        held: u32,
        /// The message's tick.
        tick: u32,
    },
    /// A spawn named an entity the mirror already holds.
    #[error("spawn of entity {0}, which already exists")]
    SpawnExisting(EntityId),
    /// A change named an entity the mirror does not hold.
    #[error("change to unknown entity {0}")]
    ChangeUnknown(EntityId),
    /// A despawn named an entity the mirror does not hold.
    #[error("despawn of unknown entity {0}")]
    DespawnUnknown(EntityId),
    /// A change carried `x` or `y`: positions of existing entities travel only as moves.
    #[error("change to entity {0} carries a position (positions change only through moves)")]
    ChangeCarriesPosition(EntityId),
    /// A move named an entity the mirror does not hold (or one the same delta despawns).
    #[error("move of unknown entity {0}")]
    MoveUnknown(EntityId),
    /// A move would take a coordinate the entity does not have, or one outside the int32 range.
    #[error("move of entity {0} does not fit its position")]
    MoveOutOfRange(EntityId),
}

/// What applying one message did, for clients that keep statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Ticks skipped between the previous state and this one (0 when the stream is consecutive).
    pub skipped_ticks: u32,
}

/// The world as one client sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mirror {
    /// The server tick of the state held, or `None` before the first snapshot.
    pub tick: Option<u32>,
    /// The last input sequence number the server has acknowledged.
    pub ack: u32,
    /// Every entity, by id.
    pub entities: EntityMap,
}

impl Mirror {
    /// An empty mirror, waiting for its first snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a snapshot or delta; other messages leave the mirror unchanged.
    pub fn apply(&mut self, msg: &ServerMessage) -> Result<Applied, MirrorError> {
        match msg {
            ServerMessage::Snapshot(s) => self.apply_snapshot(s),
            ServerMessage::Delta(d) => self.apply_delta(d),
            _ => Ok(Applied::default()),
        }
    }

    /// Replaces the whole state with a snapshot.
    pub fn apply_snapshot(&mut self, s: &Snapshot) -> Result<Applied, MirrorError> {
        let skipped_ticks = match self.tick {
            Some(held) if s.tick < held => {
                return Err(MirrorError::TickBackwards { held, tick: s.tick });
            }
            Some(held) => s.tick.saturating_sub(held).saturating_sub(1),
            None => 0,
        };
        self.entities = s
            .entities
            .iter()
            .map(|e| (e.id, e.fields.clone()))
            .collect();
        self.tick = Some(s.tick);
        self.ack = s.ack;
        Ok(Applied { skipped_ticks })
    }

    /// Applies a delta. Fails, leaving the mirror unchanged, when the delta does not fit the state held.
    pub fn apply_delta(&mut self, d: &Delta) -> Result<Applied, MirrorError> {
        let held = self.tick.ok_or(MirrorError::NoSnapshot(d.tick))?;
        if d.tick <= held {
            return Err(MirrorError::TickBackwards { held, tick: d.tick });
        }
        if d.base != held {
            return Err(MirrorError::WrongBase {
                tick: d.tick,
                base: d.base,
                held,
            });
        }
        // Validate everything first so that a bad delta leaves the mirror untouched.
        for s in &d.spawns {
            if self.entities.contains_key(&s.id) && !d.despawns.contains(&s.id) {
                return Err(MirrorError::SpawnExisting(s.id));
            }
        }
        for c in &d.changes {
            if c.fields.x.is_some() || c.fields.y.is_some() {
                return Err(MirrorError::ChangeCarriesPosition(c.id));
            }
        }
        let changed = locate(self.entities.ids(), d.changes.iter().map(|c| c.id))
            .map_err(MirrorError::ChangeUnknown)?;
        for id in &d.despawns {
            if !self.entities.contains_key(id) {
                return Err(MirrorError::DespawnUnknown(*id));
            }
        }
        if let Some(m) = d.moves.iter().find(|m| d.despawns.contains(&m.id)) {
            return Err(MirrorError::MoveUnknown(m.id));
        }
        // Moves come in ascending id order (the server sends them so): one walk forward along the ids finds them
        // all. Every move is checked before any entity changes.
        let (ids, fields) = self.entities.columns_mut();
        let mut targets = Vec::with_capacity(d.moves.len());
        let mut walk = Walk::default();
        for m in &d.moves {
            let Some((i, e)) = walk
                .find(ids, m.id)
                .and_then(|i| fields.get(i).map(|e| (i, e)))
            else {
                return Err(MirrorError::MoveUnknown(m.id));
            };
            // A load test holds one mirror per bot, each cold when its delta lands, and most entities move: ask
            // for the entity a few places on while this one is worked on (the load of `e.x` below was half of
            // this function's time in a profile of 1,000 bots).
            if let Some(ahead) = fields.get(i + MOVE_PREFETCH_AHEAD) {
                crate::hint::prefetch(ahead);
            }
            let x = shift(e.x, m.dx).ok_or(MirrorError::MoveOutOfRange(m.id))?;
            let y = shift(e.y, m.dy).ok_or(MirrorError::MoveOutOfRange(m.id))?;
            targets.push((i, x, y));
        }
        // Nothing below can fail. Changes never carry a position and moves only positions, so their order does
        // not matter; despawned entities have neither.
        for (i, x, y) in targets {
            if let Some(e) = fields.get_mut(i) {
                e.x = x;
                e.y = y;
            }
        }
        for (c, i) in d.changes.iter().zip(changed) {
            if let Some(e) = fields.get_mut(i) {
                e.apply(&c.fields);
            }
        }
        if !d.despawns.is_empty() || !d.spawns.is_empty() {
            self.entities.replace(
                &d.despawns,
                d.spawns.iter().map(|s| (s.id, s.fields.clone())),
            );
        }
        self.tick = Some(d.tick);
        self.ack = d.ack;
        Ok(Applied {
            skipped_ticks: d.tick - d.base - 1,
        })
    }
}

/// A search for ids along the ascending ids of a map, for ids that mostly come in ascending order themselves (a
/// delta's moves and changes): each search starts where the last one ended, a few steps forward first (the next
/// id is usually a few entities on), then a binary search of the rest; an id below the last one searches from
/// the start.
#[derive(Debug, Default)]
struct Walk {
    at: usize,
    last: Option<EntityId>,
}

impl Walk {
    /// Where `id` is in `ids`, if it is there.
    fn find(&mut self, ids: &[EntityId], id: EntityId) -> Option<usize> {
        if self.last.is_some_and(|last| id <= last) {
            self.at = 0;
        }
        self.last = Some(id);
        let rest = ids.get(self.at..).unwrap_or_default();
        let ahead = match rest.iter().take(8).position(|held| *held >= id) {
            Some(i) => i,
            None => {
                rest.len().min(8)
                    + rest
                        .get(8..)
                        .map_or(0, |r| r.partition_point(|held| *held < id))
            }
        };
        self.at += ahead;
        (ids.get(self.at) == Some(&id)).then_some(self.at)
    }
}

/// Where each of `wanted` is in `ids`; the first one missing is the error.
fn locate(
    ids: &[EntityId],
    wanted: impl Iterator<Item = EntityId>,
) -> Result<Vec<usize>, EntityId> {
    let mut walk = Walk::default();
    wanted.map(|id| walk.find(ids, id).ok_or(id)).collect()
}

/// A coordinate after a move of `by`: unchanged when `by` is 0, `None` when there is no coordinate to move or
/// the result leaves the int32 range.
fn shift(at: Option<i32>, by: i32) -> Option<Option<i32>> {
    match (at, by) {
        (at, 0) => Some(at),
        (Some(v), by) => v.checked_add(by).map(Some),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{EntityFields, EntityState};
    use crate::server::Move;

    fn ent(id: u32, x: i32) -> EntityState {
        EntityState {
            id,
            fields: EntityFields {
                kind: Some(0),
                x: Some(x),
                ..Default::default()
            },
        }
    }

    #[test]
    fn snapshot_then_deltas_give_the_final_state() {
        let mut m = Mirror::new();
        m.apply_snapshot(&Snapshot {
            tick: 10,
            ack: 0,
            entities: vec![ent(1, 5), ent(2, 6)],
        })
        .expect("snapshot");
        let d = Delta {
            tick: 11,
            base: 10,
            ack: 4,
            spawns: vec![ent(3, 7)],
            changes: vec![EntityState {
                id: 1,
                fields: EntityFields {
                    health: Some(50),
                    ..Default::default()
                },
            }],
            despawns: vec![2],
            events: vec![],
            moves: vec![Move {
                id: 1,
                dx: 45,
                dy: 0,
            }],
        };
        m.apply_delta(&d).expect("delta applies");
        assert_eq!(m.tick, Some(11));
        assert_eq!(m.ack, 4);
        assert_eq!(m.entities.keys().copied().collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(m.entities[&1].x, Some(50), "5 moved by 45");
        assert_eq!(
            m.entities[&1].y, None,
            "a move of 0 leaves a missing y alone"
        );
        assert_eq!(m.entities[&1].health, Some(50));
        assert_eq!(
            m.entities[&1].kind,
            Some(0),
            "a change keeps the fields it does not mention"
        );
    }

    #[test]
    fn moves_that_do_not_fit_are_errors_and_change_nothing() {
        let mut m = Mirror::new();
        m.apply_snapshot(&Snapshot {
            tick: 10,
            ack: 0,
            entities: vec![ent(1, 5), ent(2, i32::MAX - 1)],
        })
        .expect("snapshot");
        let before = m.clone();
        let mv = |id, dx, dy| Move { id, dx, dy };
        let with = |moves: Vec<Move>, despawns: Vec<u32>| Delta {
            tick: 11,
            base: 10,
            moves,
            despawns,
            ..Default::default()
        };
        for (d, err) in [
            (with(vec![mv(3, 1, 1)], vec![]), MirrorError::MoveUnknown(3)),
            (
                with(vec![mv(1, 1, 0)], vec![1]),
                MirrorError::MoveUnknown(1),
            ),
            (
                with(vec![mv(1, 1, 0), mv(2, 2, 0)], vec![]),
                MirrorError::MoveOutOfRange(2),
            ),
            (
                // ent() has no y: only a move of 0 leaves it alone
                with(vec![mv(1, 0, 3)], vec![]),
                MirrorError::MoveOutOfRange(1),
            ),
        ] {
            assert_eq!(m.apply_delta(&d), Err(err));
            assert_eq!(
                m, before,
                "a rejected delta must leave the mirror untouched"
            );
        }
        let positioned = Delta {
            tick: 11,
            base: 10,
            changes: vec![EntityState {
                id: 1,
                fields: EntityFields {
                    y: Some(4),
                    ..Default::default()
                },
            }],
            ..Default::default()
        };
        assert_eq!(
            m.apply_delta(&positioned),
            Err(MirrorError::ChangeCarriesPosition(1))
        );
        assert_eq!(m, before);
        m.apply_delta(&with(vec![mv(1, -5, 0), mv(2, 1, 0)], vec![]))
            .expect("moves within range apply");
        assert_eq!(m.entities[&1].x, Some(0));
        assert_eq!(m.entities[&2].x, Some(i32::MAX));
    }

    #[test]
    fn deltas_that_do_not_fit_are_errors_and_change_nothing() {
        let mut m = Mirror::new();
        let early = Delta {
            tick: 1,
            base: 0,
            ..Default::default()
        };
        assert_eq!(m.apply_delta(&early), Err(MirrorError::NoSnapshot(1)));
        m.apply_snapshot(&Snapshot {
            tick: 10,
            ack: 0,
            entities: vec![ent(1, 5)],
        })
        .expect("snapshot");
        let before = m.clone();
        let wrong_base = Delta {
            tick: 12,
            base: 11,
            ..Default::default()
        };
        assert!(matches!(
            m.apply_delta(&wrong_base),
            Err(MirrorError::WrongBase { .. })
        ));
        let unknown = Delta {
            tick: 11,
            base: 10,
            despawns: vec![1, 9],
            ..Default::default()
        };
        assert_eq!(m.apply_delta(&unknown), Err(MirrorError::DespawnUnknown(9)));
        let dup = Delta {
            tick: 11,
            base: 10,
            spawns: vec![ent(1, 0)],
            ..Default::default()
        };
        assert_eq!(m.apply_delta(&dup), Err(MirrorError::SpawnExisting(1)));
        assert_eq!(
            m, before,
            "a rejected delta must leave the mirror untouched"
        );
        let back = Snapshot {
            tick: 9,
            ack: 0,
            entities: vec![],
        };
        assert!(matches!(
            m.apply_snapshot(&back),
            Err(MirrorError::TickBackwards { .. })
        ));
    }
}

#[cfg(test)]
mod walk_tests {
    //! `apply_delta` walks the ids for moves in ascending order and searches again from the start otherwise; it
    //! must give exactly what the plain definition gives (below: every id looked up, validated first), for valid
    //! and invalid deltas.
    use super::*;
    use crate::entity::{EntityFields, EntityState};
    use crate::server::Move;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The definition: validate every part by lookups, then apply.
    fn reference(m: &Mirror, d: &Delta) -> Result<Mirror, MirrorError> {
        let mut m = m.clone();
        let held = m.tick.ok_or(MirrorError::NoSnapshot(d.tick))?;
        if d.tick <= held {
            return Err(MirrorError::TickBackwards { held, tick: d.tick });
        }
        if d.base != held {
            return Err(MirrorError::WrongBase {
                tick: d.tick,
                base: d.base,
                held,
            });
        }
        for s in &d.spawns {
            if m.entities.contains_key(&s.id) && !d.despawns.contains(&s.id) {
                return Err(MirrorError::SpawnExisting(s.id));
            }
        }
        for c in &d.changes {
            if c.fields.x.is_some() || c.fields.y.is_some() {
                return Err(MirrorError::ChangeCarriesPosition(c.id));
            }
        }
        for c in &d.changes {
            if !m.entities.contains_key(&c.id) {
                return Err(MirrorError::ChangeUnknown(c.id));
            }
        }
        for id in &d.despawns {
            if !m.entities.contains_key(id) {
                return Err(MirrorError::DespawnUnknown(*id));
            }
        }
        if let Some(mv) = d.moves.iter().find(|mv| d.despawns.contains(&mv.id)) {
            return Err(MirrorError::MoveUnknown(mv.id));
        }
        let mut moved = Vec::new();
        for mv in &d.moves {
            let e = m
                .entities
                .get(&mv.id)
                .ok_or(MirrorError::MoveUnknown(mv.id))?;
            let x = shift(e.x, mv.dx).ok_or(MirrorError::MoveOutOfRange(mv.id))?;
            let y = shift(e.y, mv.dy).ok_or(MirrorError::MoveOutOfRange(mv.id))?;
            moved.push((mv.id, x, y));
        }
        for id in &d.despawns {
            m.entities.remove(id);
        }
        for c in &d.changes {
            if let Some(e) = m.entities.get_mut(&c.id) {
                e.apply(&c.fields);
            }
        }
        for (id, x, y) in moved {
            if let Some(e) = m.entities.get_mut(&id) {
                e.x = x;
                e.y = y;
            }
        }
        for s in &d.spawns {
            m.entities.insert(s.id, s.fields.clone());
        }
        m.tick = Some(d.tick);
        m.ack = d.ack;
        Ok(m)
    }

    fn fields(x: Option<i32>, health: Option<u16>) -> EntityFields {
        EntityFields {
            kind: Some(0),
            x,
            y: x.map(|v| -v),
            health,
            ..Default::default()
        }
    }

    prop_compose! {
        /// A mirror of up to 40 entities with ids below 64 (some without a position, some at the int32 edge), and
        /// a delta over ids below 70 (so some are unknown) whose moves are mostly ascending and often dense.
        fn case()(
            held in proptest::collection::btree_map(
                0u32..64,
                (prop_oneof![Just(None), (-1000i32..1000).prop_map(Some), Just(Some(i32::MAX - 1))], any::<u8>()),
                0..40,
            ),
            moves in proptest::collection::btree_map(0u32..70, (-3i32..4, -3i32..4), 0..50),
            changes in proptest::collection::btree_map(0u32..70, (any::<u8>(), any::<bool>()), 0..30),
            shuffle_changes in any::<bool>(),
            rotate_moves in 0usize..4,
            despawns in proptest::collection::btree_set(0u32..70, 0..3),
            spawns in proptest::collection::btree_set(0u32..70, 0..3),
            known_only in any::<bool>(),
        ) -> (Mirror, Delta) {
            // Half the cases refer only to entities the mirror holds, so that most of them apply.
            let known = |id: &u32| !known_only || held.contains_key(id);
            let moves: BTreeMap<u32, (i32, i32)> = moves.into_iter().filter(|(id, _)| known(id)).collect();
            let changes: BTreeMap<u32, (u8, bool)> = changes.into_iter().filter(|(id, _)| known(id)).collect();
            let despawns: Vec<u32> = despawns.into_iter().filter(|id| known(id) && !moves.contains_key(id)).collect();
            let mirror = Mirror {
                tick: Some(10),
                ack: 0,
                entities: held.into_iter().map(|(id, (x, hp))| (id, fields(x, Some(u16::from(hp))))).collect(),
            };
            let mut changes: Vec<EntityState> = changes
                .into_iter()
                .map(|(id, (hp, with_x))| EntityState {
                    id,
                    fields: EntityFields { health: Some(u16::from(hp)), x: with_x.then_some(1).filter(|_| hp == 7), ..Default::default() },
                })
                .collect();
            if shuffle_changes {
                changes.reverse();
            }
            // A quarter of the cases have their moves rotated, out of ascending order (a client must not rely on it).
            let mut moves: Vec<Move> = moves.into_iter().map(|(id, (dx, dy))| Move { id, dx, dy }).collect();
            if rotate_moves == 0 && !moves.is_empty() {
                let by = moves.len() / 2;
                moves.rotate_left(by);
            }
            let delta = Delta {
                tick: 11,
                base: 10,
                ack: 3,
                moves,
                changes,
                despawns,
                spawns: spawns.into_iter().map(|id| EntityState { id, fields: fields(Some(5), None) }).collect(),
                events: Vec::new(),
            };
            (mirror, delta)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn walking_and_looking_up_agree_with_the_definition((mirror, delta) in case()) {
            let expected = reference(&mirror, &delta);
            let mut got = mirror.clone();
            let result = got.apply_delta(&delta);
            match expected {
                Ok(want) => {
                    prop_assert!(result.is_ok(), "{result:?}");
                    prop_assert_eq!(got, want);
                }
                Err(e) => {
                    prop_assert_eq!(result, Err(e));
                    prop_assert_eq!(got, mirror, "a failed delta changes nothing");
                }
            }
        }
    }
}
