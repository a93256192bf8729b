//! Replication: turning this tick's component changes into the delta every client receives.
//!
//! Game systems keep each replicated entity's [`NetFields`] current (with `set_if_neq`, so an unchanged value
//! is not a change). The [`replicate`] system then runs last in the tick: a `NetFields` changed since the last
//! tick is compared with [`NetSent`] (what clients hold) and only the differing fields go out — a new position
//! as a [`Move`] (the difference from the position sent, a byte or two per axis), every other field as a change;
//! a new entity goes out whole as a spawn; a removed `NetId` becomes a despawn. Cost grows with what changed, not
//! with the world.

use crate::components::*;
use crate::interest::Grid;
use bevy_ecs::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use tickwire_shared::{EntityId, EntityState, Event, Move};

/// Everything that changed during the last step, in ascending id order: the shared part of every client's delta.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct TickChanges {
    /// Entities that appeared, with all fields.
    pub spawns: Vec<EntityState>,
    /// Entities whose fields other than the position changed, with the changed fields only (never `x`, `y`).
    pub changes: Vec<EntityState>,
    /// Entities that disappeared.
    pub despawns: Vec<EntityId>,
    /// One-off events.
    pub events: Vec<Event>,
    /// Entities whose wire position changed: by how much. An entity can have both a change and a move.
    pub moves: Vec<Move>,
}

impl TickChanges {
    /// Empties the buffers, keeping their memory for the next tick.
    pub fn clear(&mut self) {
        self.spawns.clear();
        self.changes.clear();
        self.despawns.clear();
        self.events.clear();
        self.moves.clear();
    }
}

/// Which replicated id each live entity has, so a despawn can be reported after the entity is gone, and which
/// entity has an id, to look up what clients coming into view need.
#[derive(Resource, Debug, Default)]
pub struct NetIndex {
    /// The id of each replicated entity.
    pub ids: HashMap<Entity, EntityId>,
    /// The entity of each id.
    pub entities: HashMap<EntityId, Entity>,
}

/// Builds [`TickChanges`] from this tick's changes. Runs last in the tick.
pub fn replicate(
    mut changed: Query<(Entity, &NetId, &NetFields, &mut NetSent), Changed<NetFields>>,
    mut removed: RemovedComponents<NetId>,
    mut index: ResMut<NetIndex>,
    mut out: ResMut<TickChanges>,
) {
    for entity in removed.read() {
        if let Some(id) = index.ids.remove(&entity) {
            index.entities.remove(&id);
            out.despawns.push(id);
        }
    }
    for (entity, id, fields, mut sent) in &mut changed {
        match &mut sent.0 {
            None => {
                index.ids.insert(entity, id.0);
                index.entities.insert(id.0, entity);
                out.spawns.push(EntityState {
                    id: id.0,
                    fields: fields.0.clone(),
                });
                sent.0 = Some(fields.0.clone());
            }
            Some(old) => {
                let mut diff = fields.0.changed_since(old);
                if diff.is_empty() {
                    continue;
                }
                let (x, y) = (old.x, old.y);
                old.apply(&diff);
                let m = Move {
                    id: id.0,
                    dx: shift(x, diff.x.take()),
                    dy: shift(y, diff.y.take()),
                };
                if m.dx != 0 || m.dy != 0 {
                    out.moves.push(m);
                }
                if !diff.is_empty() {
                    out.changes.push(EntityState {
                        id: id.0,
                        fields: diff,
                    });
                }
            }
        }
    }
    out.spawns.sort_unstable_by_key(|e| e.id);
    out.changes.sort_unstable_by_key(|e| e.id);
    out.moves.sort_unstable_by_key(|m| m.id);
    out.despawns.sort_unstable();
}

/// The move of one coordinate from `old` (as sent) to `new` (`None`: unchanged).
///
/// Every replicated entity has x and y from its spawn on, and arenas are at most
/// [`crate::assets::MAX_ARENA_SIZE`] units across, so the difference is exact (the wrap never happens).
fn shift(old: Option<i32>, new: Option<i32>) -> i32 {
    match (old, new) {
        (Some(old), Some(new)) => new.wrapping_sub(old),
        (None, Some(_)) => {
            debug_assert!(false, "an entity gained a position after its spawn");
            0
        }
        (_, None) => 0,
    }
}

/// The full state of every replicated entity, in ascending id order (what a joining client receives).
pub fn snapshot(world: &mut World) -> Vec<EntityState> {
    let mut query = world.query::<(&NetId, &NetFields)>();
    let mut all: Vec<EntityState> = query
        .iter(world)
        .map(|(id, fields)| EntityState {
            id: id.0,
            fields: fields.0.clone(),
        })
        .collect();
    all.sort_unstable_by_key(|e| e.id);
    all
}

/// The last few ticks' changes, so a client that skipped ticks can be brought up to date with one delta.
///
/// This is the Quake 3 / bevy_replicon model over a reliable stream: each client has a baseline (the last tick
/// whose frame was handed to its socket); its next frame is the composition of every tick since that baseline.
/// A client whose baseline is older than the history gets a snapshot instead.
#[derive(Debug, Clone)]
pub struct History {
    capacity: usize,
    /// `(tick, changes of that tick, where entities were after it)`, oldest first, consecutive.
    ticks: std::collections::VecDeque<(u32, Arc<TickChanges>, Option<Arc<Grid>>)>,
}

/// What a client with a given baseline should receive this tick.
#[derive(Debug, Clone, PartialEq)]
pub enum Catchup {
    /// Its baseline is the previous tick: the shared delta of this tick applies.
    Shared,
    /// Its baseline is older but still in the history: these combined changes bring it to this tick.
    Composed(TickChanges),
    /// No baseline, or one older than the history: a full snapshot.
    Snapshot,
}

impl History {
    /// Keeps the changes of the last `capacity` ticks.
    pub fn new(capacity: usize) -> Self {
        History {
            capacity: capacity.max(1),
            ticks: std::collections::VecDeque::new(),
        }
    }

    /// Records the changes that produced `tick` and, with interest management, the grid after it (call once per
    /// tick, in order).
    pub fn push(&mut self, tick: u32, changes: Arc<TickChanges>, grid: Option<Arc<Grid>>) {
        if self
            .ticks
            .back()
            .is_some_and(|(t, ..)| t.wrapping_add(1) != tick)
        {
            self.ticks.clear(); // a gap: older entries can no longer be composed with newer ones
        }
        if self.ticks.len() == self.capacity {
            self.ticks.pop_front();
        }
        self.ticks.push_back((tick, changes, grid));
        // Of the grids of older ticks only the cells are read (the fan-out compares a client's cells at its
        // baseline with its cells now); the per-entity index is needed for the newest two alone.
        if let Some((_, _, Some(grid))) = self
            .ticks
            .len()
            .checked_sub(3)
            .and_then(|i| self.ticks.get_mut(i))
            && grid.is_indexed()
        {
            *grid = Arc::new(grid.cells_only());
        }
    }

    /// The newest tick recorded.
    pub fn newest(&self) -> Option<u32> {
        self.ticks.back().map(|(t, ..)| *t)
    }

    /// The grid recorded with `tick`, if that tick is still in the history.
    pub fn grid(&self, tick: u32) -> Option<&Arc<Grid>> {
        let oldest = self.ticks.front()?.0;
        let (t, _, grid) = self.ticks.get(tick.wrapping_sub(oldest) as usize)?;
        debug_assert_eq!(*t, tick);
        grid.as_ref()
    }

    /// What a client holding the state of tick `base` (or nothing) needs to reach the newest tick.
    pub fn catchup(&self, base: Option<u32>) -> Catchup {
        let (Some(base), Some(newest)) = (base, self.newest()) else {
            return Catchup::Snapshot;
        };
        if base.wrapping_add(1) == newest {
            return Catchup::Shared;
        }
        let Some(oldest) = self.ticks.front().map(|(t, ..)| *t) else {
            return Catchup::Snapshot;
        };
        if base >= newest || base.wrapping_add(1) < oldest {
            return Catchup::Snapshot;
        }
        let from = (base + 1 - oldest) as usize;
        Catchup::Composed(compose(
            self.ticks.iter().skip(from).map(|(_, c, _)| c.as_ref()),
        ))
    }
}

/// Combines consecutive ticks' changes into one set that has the same effect when applied at once.
///
/// An entity alive across the whole span gets one change (its fields' latest values) and one move (the sum of
/// its moves: where it is now minus where it was at the start); one spawned inside the span gets a spawn with
/// its latest fields and position; one despawned inside it a despawn; one that came and went, nothing.
pub fn compose<'a>(ticks: impl IntoIterator<Item = &'a TickChanges>) -> TickChanges {
    use std::collections::BTreeMap;
    use tickwire_shared::EntityFields;
    enum Op {
        Spawn(EntityFields),
        /// The changed fields and the summed move.
        Change(EntityFields, i32, i32),
        Despawn,
    }
    let mut ops: BTreeMap<EntityId, Op> = BTreeMap::new();
    let mut events = Vec::new();
    for t in ticks {
        for id in &t.despawns {
            match ops.get(id) {
                // Appeared and vanished within the window: the client never needs to hear of it.
                Some(Op::Spawn(_)) => {
                    ops.remove(id);
                }
                _ => {
                    ops.insert(*id, Op::Despawn);
                }
            }
        }
        for c in &t.changes {
            match ops.get_mut(&c.id) {
                Some(Op::Spawn(f) | Op::Change(f, ..)) => f.apply(&c.fields),
                Some(Op::Despawn) => {}
                None => {
                    ops.insert(c.id, Op::Change(c.fields.clone(), 0, 0));
                }
            }
        }
        for m in &t.moves {
            match ops.get_mut(&m.id) {
                // A spawn carries its absolute position: move it along.
                Some(Op::Spawn(f)) => {
                    f.x = f.x.map(|x| x.wrapping_add(m.dx));
                    f.y = f.y.map(|y| y.wrapping_add(m.dy));
                }
                Some(Op::Change(_, dx, dy)) => {
                    *dx = dx.wrapping_add(m.dx);
                    *dy = dy.wrapping_add(m.dy);
                }
                Some(Op::Despawn) => {}
                None => {
                    ops.insert(m.id, Op::Change(EntityFields::default(), m.dx, m.dy));
                }
            }
        }
        for s in &t.spawns {
            ops.insert(s.id, Op::Spawn(s.fields.clone()));
        }
        events.extend(t.events.iter().cloned());
    }
    let mut out = TickChanges {
        events,
        ..Default::default()
    };
    for (id, op) in ops {
        match op {
            Op::Spawn(fields) => out.spawns.push(EntityState { id, fields }),
            Op::Change(fields, dx, dy) => {
                if !fields.is_empty() {
                    out.changes.push(EntityState { id, fields });
                }
                // Moves that cancel out (there and back again) need no bytes.
                if dx != 0 || dy != 0 {
                    out.moves.push(Move { id, dx, dy });
                }
            }
            Op::Despawn => out.despawns.push(id),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwire_shared::EntityFields;

    fn mv(id: EntityId, dx: i32, dy: i32) -> Move {
        Move { id, dx, dy }
    }

    #[test]
    fn composed_moves_are_the_sum_and_spawns_inside_the_span_are_absolute() {
        let spawn = |id, x, y| EntityState {
            id,
            fields: EntityFields {
                kind: Some(2),
                x: Some(x),
                y: Some(y),
                ..Default::default()
            },
        };
        let health = |id, h| EntityState {
            id,
            fields: EntityFields {
                health: Some(h),
                ..Default::default()
            },
        };
        let t1 = TickChanges {
            moves: vec![mv(1, 3, 0), mv(2, 5, 5), mv(4, 1, 1)],
            spawns: vec![spawn(7, 100, 200)],
            ..Default::default()
        };
        let t2 = TickChanges {
            changes: vec![health(1, 90)],
            moves: vec![mv(1, 4, -2), mv(2, -5, -5), mv(7, -10, 1)],
            despawns: vec![4],
            ..Default::default()
        };
        let t3 = TickChanges {
            moves: vec![mv(3, 0, 9), mv(7, 1, 1)],
            spawns: vec![spawn(8, 5, 5)],
            ..Default::default()
        };
        let c = compose([&t1, &t2, &t3]);
        assert_eq!(
            c.moves,
            vec![mv(1, 7, -2), mv(3, 0, 9)],
            "2 came back: no move"
        );
        assert_eq!(c.changes, vec![health(1, 90)]);
        assert_eq!(c.spawns, vec![spawn(7, 91, 202), spawn(8, 5, 5)]);
        assert_eq!(c.despawns, vec![4]);
    }
}
