//! The "crowd" load scenario, exactly as `shared/scenarios/crowd.md` defines it.
//!
//! A toroidal 2000 × 2000 field; one walker per client, the i-th to join spawning at
//! `(100 + (i·137 mod 1800), 100 + (i·211 mod 1800))`. Every step, a walker with a non-zero last input moves
//! `200 · dt` units along it (clamped to [-1, 1] per axis, normalised when longer than 1), wraps around the edges,
//! and faces `atan2(dy, dx)`. Fields: x, y, angle, name, score (always 0). Unchanged fields are not sent.

use crate::components::*;
use crate::movement::sanitize;
use crate::{MapAsset, assets::Point};
use bevy_ecs::prelude::*;
use glam::Vec2;
use tickwire_shared::entity::{EntityFields, KIND_PLAYER, position_to_wire};
use tickwire_shared::{EntityId, Input};

/// The side of the square field.
pub const SIZE: f32 = 2000.0;
/// Walking speed, units per second.
pub const SPEED: f32 = 200.0;

/// A walker's last input.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Walker {
    /// The last valid direction received (clamped, normalised).
    pub dir: Vec2,
    /// Its sequence number (the `ack`).
    pub seq: u32,
}

/// The field as a map (no walls), so clients are told its size like any arena.
pub fn map() -> MapAsset {
    MapAsset {
        width: SIZE,
        height: SIZE,
        walls: Vec::new(),
        spawns: vec![Point { x: 100.0, y: 100.0 }],
        view: None,
    }
}

/// Where the `index`-th walker to join appears.
pub fn spawn_point(index: u32) -> Vec2 {
    let i = u64::from(index);
    Vec2::new(
        100.0 + ((i * 137) % 1800) as f32,
        100.0 + ((i * 211) % 1800) as f32,
    )
}

/// Adds the walker for the `index`-th join.
pub fn join(world: &mut World, client: ClientKey, name: &str, index: u32) -> EntityId {
    let spawn = spawn_point(index);
    let id = world.resource_mut::<NextNetId>().take();
    let fields = EntityFields {
        kind: Some(KIND_PLAYER),
        x: Some(position_to_wire(spawn.x)),
        y: Some(position_to_wire(spawn.y)),
        angle: Some(0),
        name: Some(name.to_string()),
        score: Some(0),
        ..Default::default()
    };
    let entity = world
        .spawn((
            Player {
                client,
                name: name.to_string(),
                colour: 0,
            },
            Position(spawn),
            Facing(0.0),
            Walker::default(),
            id,
            NetFields(fields),
            NetSent::default(),
        ))
        .id();
    world.resource_mut::<Clients>().0.insert(client, entity);
    id.0
}

/// Keeps a walker's newest valid input (older or non-finite ones are refused, like the arena's).
pub fn offer_input(walker: &mut Walker, input: &Input) -> crate::InputVerdict {
    let Some(intent) = sanitize(input) else {
        return crate::InputVerdict::NonFinite;
    };
    if intent.seq <= walker.seq {
        return crate::InputVerdict::Stale;
    }
    walker.seq = intent.seq;
    walker.dir = intent.dir;
    crate::InputVerdict::Queued
}

/// Moves every walker along its last input, wrapping around the field.
pub fn walk(mut walkers: Query<(&Walker, &mut Position, &mut Facing)>, dt: Res<FixedDt>) {
    for (walker, mut pos, mut facing) in &mut walkers {
        if walker.dir == Vec2::ZERO {
            continue;
        }
        let p = pos.0 + walker.dir * SPEED * dt.0;
        pos.0 = Vec2::new(p.x.rem_euclid(SIZE), p.y.rem_euclid(SIZE));
        facing.set_if_neq(Facing(walker.dir.y.atan2(walker.dir.x)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawn_formula_matches_the_definition() {
        assert_eq!(spawn_point(0), Vec2::new(100.0, 100.0));
        assert_eq!(spawn_point(1), Vec2::new(237.0, 311.0));
        assert_eq!(
            spawn_point(20),
            Vec2::new(100.0 + (2740 % 1800) as f32, 100.0 + (4220 % 1800) as f32)
        );
    }
}
