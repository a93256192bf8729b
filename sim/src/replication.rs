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
