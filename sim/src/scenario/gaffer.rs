//! The "Gaffer" scene: 900 server-owned cubes on a 30 × 30 grid in a 1200 × 1200 field, of which exactly 90
//! (10%) are moving at any moment. A moving cube glides in a seeded random direction at 60 units per second for
//! a seeded random 1–3 s, wrapping around the edges; when it stops, a seeded random resting cube starts.
//! Clients only watch: a join creates no entity. Named after Glenn Fiedler's state-synchronisation demo, whose
//! 901 cubes at 60 Hz took 17.4 Mbit/s per client as naive float state.

use crate::components::*;
use crate::{MapAsset, assets::Point};
use bevy_ecs::prelude::*;
use glam::Vec2;
use tickwire_shared::entity::{EntityFields, KIND_OBJECT, position_to_wire};

/// Number of cubes.
pub const CUBES: usize = 900;
/// Cubes moving at any moment.
pub const MOVING: usize = CUBES / 10;
/// The side of the square field.
pub const SIZE: f32 = 1200.0;
/// Gliding speed, units per second.
pub const SPEED: f32 = 60.0;

/// A cube's motion: resting, or gliding with `velocity` until `until`.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Cube {
    /// Velocity while moving, units per second.
    pub velocity: Vec2,
    /// The tick at which the current glide ends; `None` while resting.
    pub until: Option<u32>,
}

/// The field as a map.
pub fn map() -> MapAsset {
    MapAsset {
        width: SIZE,
        height: SIZE,
        walls: Vec::new(),
        spawns: vec![Point { x: 0.0, y: 0.0 }],
        view: None,
    }
}

/// Creates the cubes, all resting on the grid.
pub fn populate(world: &mut World) {
    let side = (CUBES as f32).sqrt().ceil() as usize;
    let step = SIZE / side as f32;
    for i in 0..CUBES {
        let p = Vec2::new(
            (i % side) as f32 * step + step / 2.0,
            (i / side) as f32 * step + step / 2.0,
        );
        let id = world.resource_mut::<NextNetId>().take();
        let fields = EntityFields {
            kind: Some(KIND_OBJECT),
            x: Some(position_to_wire(p.x)),
            y: Some(position_to_wire(p.y)),
            angle: Some(0),
            ..Default::default()
        };
        world.spawn((
            Cube::default(),
            Position(p),
            Facing(0.0),
            id,
            NetFields(fields),
            NetSent::default(),
        ));
    }
}

/// Ends finished glides, starts new ones so that exactly [`MOVING`] cubes move, and moves the moving ones.
pub fn animate(
    mut cubes: Query<(&NetId, &mut Cube, &mut Position, &mut Facing)>,
    tick: Res<Tick>,
    rate: Res<TickRate>,
    dt: Res<FixedDt>,
    mut rng: ResMut<SimRng>,
) {
    let mut moving = 0;
    for (_, mut cube, _, _) in &mut cubes {
        match cube.until {
            Some(until) if until <= tick.0 => *cube = Cube::default(),
            Some(_) => moving += 1,
            None => {}
        }
    }
    if moving < MOVING {
        // Pick resting cubes by id order and the seeded RNG, so the scene is the same for a given seed.
        let mut resting: Vec<u32> = cubes
            .iter()
            .filter(|(_, cube, _, _)| cube.until.is_none())
            .map(|(id, ..)| id.0)
            .collect();
        resting.sort_unstable();
        let mut chosen: Vec<u32> = Vec::with_capacity(MOVING - moving);
        for _ in moving..MOVING {
            if resting.is_empty() {
                break;
            }
            chosen.push(resting.swap_remove(rng.below(resting.len())));
        }
        chosen.sort_unstable();
        let per_second = u64::from(rate.0);
        for (id, mut cube, _, mut facing) in &mut cubes {
            if chosen.binary_search(&id.0).is_ok() {
                let angle = (rng.next_u64() % 62_832) as f32 / 10_000.0;
                let duration = per_second + rng.next_u64() % (2 * per_second + 1);
                cube.velocity = Vec2::from_angle(angle) * SPEED;
                cube.until = Some(tick.0 + duration as u32);
                facing.0 = angle;
            }
        }
    }
    for (_, cube, mut pos, _) in &mut cubes {
        if cube.until.is_some() {
            let p = pos.0 + cube.velocity * dt.0;
            pos.0 = Vec2::new(p.x.rem_euclid(SIZE), p.y.rem_euclid(SIZE));
        }
    }
}
