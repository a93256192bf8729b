//! Player–player collision: overlapping players are pushed apart, then kept inside the arena and out of walls.
//!
//! A sort-and-sweep along x finds the overlapping pairs in O(n log n) for spread-out players, so the arena
//! scales to crowds without a grid.

use crate::assets::{MapAsset, RulesAsset};
use crate::components::*;
use crate::movement::step_circle;
use bevy_ecs::prelude::*;
use glam::Vec2;

/// Pushes overlapping living players apart (each moves half the overlap), in a deterministic order.
pub fn separate_players(
    mut players: Query<(Entity, &NetId, &mut Position, &Life), With<Player>>,
    map: Res<MapAsset>,
    rules: Res<RulesAsset>,
) {
    let r = rules.player_radius;
    let mut bodies: Vec<(Entity, u32, Vec2)> = players
        .iter()
        .filter(|(_, _, _, life)| life.alive())
        .map(|(e, id, p, _)| (e, id.0, p.0))
        .collect();
    if bodies.len() < 2 {
        return;
    }
    bodies.sort_unstable_by(|a, b| a.2.x.total_cmp(&b.2.x).then(a.1.cmp(&b.1)));
    let mut moved = vec![Vec2::ZERO; bodies.len()];
    for i in 0..bodies.len() {
        for j in i + 1..bodies.len() {
            let (pi, pj) = (bodies[i].2, bodies[j].2);
            if pj.x - pi.x >= 2.0 * r {
                break;
            }
            let d = pj - pi;
            let dist2 = d.length_squared();
            if dist2 >= 4.0 * r * r {
                continue;
            }
            let dist = dist2.sqrt();
            // Exactly on top of each other: separate along x, lower id to the left.
            let normal = if dist > 1e-4 { d / dist } else { Vec2::X };
            let push = normal * (2.0 * r - dist) * 0.5;
            moved[i] -= push;
            moved[j] += push;
        }
    }
    for (k, (entity, _, pos)) in bodies.iter().enumerate() {
        if moved[k] == Vec2::ZERO {
            continue;
        }
        if let Ok((_, _, mut p, _)) = players.get_mut(*entity) {
            p.set_if_neq(Position(step_circle(*pos, moved[k], r, &map)));
        }
    }
}
