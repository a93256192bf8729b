//! Replication: turning this tick's component changes into the delta every client receives.
//!
//! Game systems keep each replicated entity's [`NetFields`] current (with `set_if_neq`, so an unchanged value
//! is not a change). The [`replicate`] system then runs last in the tick: a `NetFields` changed since the last
//! tick is compared with [`NetSent`] (what clients hold) and only the differing fields go out; a new entity goes
//! out whole as a spawn; a removed `NetId` becomes a despawn. Cost grows with what changed, not with the world.

use crate::components::*;
use bevy_ecs::prelude::*;
use std::collections::HashMap;
use tickwire_shared::{EntityId, EntityState, Event};

/// Everything that changed during the last step, in ascending id order: the shared part of every client's delta.
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct TickChanges {
    /// Entities that appeared, with all fields.
    pub spawns: Vec<EntityState>,
    /// Entities whose fields changed, with the changed fields only.
    pub changes: Vec<EntityState>,
    /// Entities that disappeared.
    pub despawns: Vec<EntityId>,
    /// One-off events.
    pub events: Vec<Event>,
}

impl TickChanges {
    /// Empties the buffers, keeping their memory for the next tick.
    pub fn clear(&mut self) {
        self.spawns.clear();
        self.changes.clear();
        self.despawns.clear();
        self.events.clear();
    }
}

/// Which replicated id each live entity has, so a despawn can be reported after the entity is gone.
#[derive(Resource, Debug, Default)]
pub struct NetIndex(pub HashMap<Entity, EntityId>);

/// Builds [`TickChanges`] from this tick's changes. Runs last in the tick.
pub fn replicate(
    mut changed: Query<(Entity, &NetId, &NetFields, &mut NetSent), Changed<NetFields>>,
    mut removed: RemovedComponents<NetId>,
    mut index: ResMut<NetIndex>,
    mut out: ResMut<TickChanges>,
) {
    for entity in removed.read() {
        if let Some(id) = index.0.remove(&entity) {
            out.despawns.push(id);
        }
    }
    for (entity, id, fields, mut sent) in &mut changed {
        match &mut sent.0 {
            None => {
                index.0.insert(entity, id.0);
                out.spawns.push(EntityState {
                    id: id.0,
                    fields: fields.0.clone(),
                });
                sent.0 = Some(fields.0.clone());
            }
            Some(old) => {
                let diff = fields.0.changed_since(old);
                if !diff.is_empty() {
                    old.apply(&diff);
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
    out.despawns.sort_unstable();
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
    /// `(tick, changes of that tick)`, oldest first, consecutive.
    ticks: std::collections::VecDeque<(u32, std::sync::Arc<TickChanges>)>,
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

    /// Records the changes that produced `tick` (call once per tick, in order).
    pub fn push(&mut self, tick: u32, changes: std::sync::Arc<TickChanges>) {
        if self
            .ticks
            .back()
            .is_some_and(|(t, _)| t.wrapping_add(1) != tick)
        {
            self.ticks.clear(); // a gap: older entries can no longer be composed with newer ones
        }
        if self.ticks.len() == self.capacity {
            self.ticks.pop_front();
        }
        self.ticks.push_back((tick, changes));
    }

    /// The newest tick recorded.
    pub fn newest(&self) -> Option<u32> {
        self.ticks.back().map(|(t, _)| *t)
    }

    /// What a client holding the state of tick `base` (or nothing) needs to reach the newest tick.
    pub fn catchup(&self, base: Option<u32>) -> Catchup {
        let (Some(base), Some(newest)) = (base, self.newest()) else {
            return Catchup::Snapshot;
        };
        if base.wrapping_add(1) == newest {
            return Catchup::Shared;
        }
        let Some(oldest) = self.ticks.front().map(|(t, _)| *t) else {
            return Catchup::Snapshot;
        };
        if base >= newest || base.wrapping_add(1) < oldest {
            return Catchup::Snapshot;
        }
        let from = (base + 1 - oldest) as usize;
        Catchup::Composed(compose(
            self.ticks.iter().skip(from).map(|(_, c)| c.as_ref()),
        ))
    }
}

/// Combines consecutive ticks' changes into one set that has the same effect when applied at once.
pub fn compose<'a>(ticks: impl IntoIterator<Item = &'a TickChanges>) -> TickChanges {
    use std::collections::BTreeMap;
    use tickwire_shared::EntityFields;
    enum Op {
        Spawn(EntityFields),
        Change(EntityFields),
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
                Some(Op::Spawn(f) | Op::Change(f)) => f.apply(&c.fields),
                Some(Op::Despawn) => {}
                None => {
                    ops.insert(c.id, Op::Change(c.fields.clone()));
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
            Op::Change(fields) => out.changes.push(EntityState { id, fields }),
            Op::Despawn => out.despawns.push(id),
        }
    }
    out
}
