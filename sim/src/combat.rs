//! Shooting, projectiles, damage, death and respawn.
//!
//! A fire request from this tick's inputs becomes a projectile when the gun's cooldown allows (however often a
//! client presses fire). Projectiles fly in a straight line: they are replicated once, at spawn, with their
//! velocity and spawn tick, and clients extrapolate them, so a projectile costs one spawn and one despawn on the
//! wire whatever its lifetime. Each tick a projectile sweeps its path against walls, the arena edge and living
//! players other than its shooter; the first contact wins.

use crate::assets::{MapAsset, RulesAsset};
use crate::components::*;
use bevy_ecs::prelude::*;
use glam::Vec2;
use tickwire_shared::entity::{KIND_PROJECTILE, position_to_wire};
use tickwire_shared::{EntityFields, Event, Wall};

/// Fires the guns whose owners asked this tick and whose cooldown has passed.
pub fn fire_weapons(
    mut commands: Commands,
    mut shooters: Query<(Entity, &NetId, &Position, &Life, &mut Weapon), With<Player>>,
    rules: Res<RulesAsset>,
    tick: Res<Tick>,
    rate: Res<TickRate>,
    mut ids: ResMut<NextNetId>,
) {
    for (entity, id, pos, life, mut weapon) in &mut shooters {
        let Some(aim) = weapon.trigger.take() else {
            continue;
        };
        if !life.alive() || tick.0 < weapon.ready_at {
            continue;
        }
        weapon.ready_at = tick.0 + RulesAsset::ticks(rules.fire_cooldown, rate.0);
        let dir = Vec2::from_angle(aim);
        let muzzle = pos.0 + dir * (rules.player_radius + rules.projectile_radius + 1.0);
        let velocity = dir * rules.projectile_speed;
        let net_id = ids.take();
        let fields = EntityFields {
            kind: Some(KIND_PROJECTILE),
            x: Some(position_to_wire(muzzle.x)),
            y: Some(position_to_wire(muzzle.y)),
            owner: Some(id.0),
            vx: Some(position_to_wire(velocity.x)),
            vy: Some(position_to_wire(velocity.y)),
            since: Some(tick.0),
            ..Default::default()
        };
        commands.spawn((
            Projectile {
                owner: entity,
                owner_id: id.0,
                velocity,
                born: tick.0,
                expires_at: tick.0 + RulesAsset::ticks(rules.projectile_lifetime, rate.0),
            },
            Position(muzzle),
            net_id,
            NetFields(fields),
            NetSent::default(),
        ));
    }
}

/// Moves projectiles one tick along their path; despawns those that hit something or expire.
pub fn move_projectiles(
    mut commands: Commands,
    mut projectiles: Query<(Entity, &mut Position, &Projectile)>,
    players: Query<(Entity, &Position, &Life), (With<Player>, Without<Projectile>)>,
    map: Res<MapAsset>,
    rules: Res<RulesAsset>,
    dt: Res<FixedDt>,
    tick: Res<Tick>,
    mut hits: ResMut<Hits>,
) {
    let reach = rules.player_radius + rules.projectile_radius;
    for (entity, mut pos, shot) in &mut projectiles {
        if shot.born == tick.0 {
            continue; // it appears this tick at the muzzle and starts moving on the next
        }
        let a = pos.0;
        let b = a + shot.velocity * dt.0;
        let mut first: Option<(f32, Option<Entity>)> = None;
        let mut consider = |t: f32, victim: Option<Entity>| {
            if first.is_none_or(|(best, _)| t < best) {
                first = Some((t, victim));
            }
        };
        for wall in &map.walls {
            if let Some(t) = segment_hits_box(a, b, wall, rules.projectile_radius) {
                consider(t, None);
            }
        }
        if let Some(t) = segment_leaves_arena(a, b, map.width, map.height) {
            consider(t, None);
        }
        for (player, ppos, life) in &players {
            if player == shot.owner || !life.alive() {
                continue;
            }
            if let Some(t) = segment_hits_circle(a, b, ppos.0, reach) {
                consider(t, Some(player));
            }
        }
        match first {
            Some((_, victim)) => {
                if let Some(victim) = victim {
                    hits.0.push(Hit {
                        victim,
                        shooter: shot.owner,
                        shooter_id: shot.owner_id,
                    });
                }
                commands.entity(entity).despawn();
            }
            None if tick.0 >= shot.expires_at => commands.entity(entity).despawn(),
            None => pos.0 = b,
        }
    }
}

/// Applies this tick's hits: damage, deaths, kills, score and the kill feed.
pub fn apply_hits(
    mut hits: ResMut<Hits>,
    mut players: Query<(&NetId, &mut Health, &mut Stats, &mut Life), With<Player>>,
    rules: Res<RulesAsset>,
    tick: Res<Tick>,
    rate: Res<TickRate>,
    mut out: ResMut<crate::replication::TickChanges>,
) {
    for hit in hits.0.drain(..) {
        let Ok((victim_id, mut health, mut stats, mut life)) = players.get_mut(hit.victim) else {
            continue;
        };
        if !life.alive() {
            continue; // two hits in one tick: the second finds a corpse
        }
        health.0 = health.0.saturating_sub(rules.projectile_damage);
        if health.0 > 0 {
            continue;
        }
        let victim_id = victim_id.0;
        life.respawn_at = Some(tick.0 + RulesAsset::ticks(rules.respawn_delay, rate.0));
        stats.deaths = stats.deaths.saturating_add(1);
        if let Ok((_, _, mut shooter, _)) = players.get_mut(hit.shooter) {
            shooter.kills = shooter.kills.saturating_add(1);
            shooter.score = shooter.score.saturating_add(rules.kill_score);
        }
        out.events.push(Event::Kill {
            killer: hit.shooter_id,
            victim: victim_id,
        });
    }
}

/// Brings dead players back, with full health, at the spawn point farthest from living enemies.
pub fn respawn(
    mut players: Query<
        (
            Entity,
            &mut Position,
            &mut Health,
            &mut Life,
            &mut InputQueue,
        ),
        With<Player>,
    >,
    map: Res<MapAsset>,
    rules: Res<RulesAsset>,
    tick: Res<Tick>,
    mut rng: ResMut<SimRng>,
) {
    let due: Vec<Entity> = players
        .iter()
        .filter(|(_, _, _, life, _)| life.respawn_at.is_some_and(|at| at <= tick.0))
        .map(|(e, ..)| e)
        .collect();
    for entity in due {
        let others: Vec<Vec2> = players
            .iter()
            .filter(|(e, _, _, life, _)| *e != entity && life.alive())
            .map(|(_, p, ..)| p.0)
            .collect();
        let spot = farthest_spawn(&map, &others, &mut rng);
        if let Ok((_, mut pos, mut health, mut life, mut queue)) = players.get_mut(entity) {
            pos.0 = spot;
            health.0 = rules.max_health;
            life.respawn_at = None;
            queue.pending.clear(); // inputs sent while dead do not carry over into the new life
        }
    }
}

/// The spawn point whose nearest other player is farthest away; ties are broken by the seeded RNG.
pub fn farthest_spawn(map: &MapAsset, others: &[Vec2], rng: &mut SimRng) -> Vec2 {
    let score = |s: Vec2| {
        others
            .iter()
            .map(|o| o.distance_squared(s))
            .fold(f32::INFINITY, f32::min)
    };
    let spawns: Vec<Vec2> = map.spawns.iter().map(|p| Vec2::new(p.x, p.y)).collect();
    let best = spawns
        .iter()
        .map(|s| score(*s))
        .fold(f32::NEG_INFINITY, f32::max);
    let tied: Vec<Vec2> = spawns.into_iter().filter(|s| score(*s) >= best).collect();
    tied[rng.below(tied.len())]
}

/// Where along `a → b` (0..=1) a circle of `radius` around the segment first touches `wall`, if it does.
pub fn segment_hits_box(a: Vec2, b: Vec2, wall: &Wall, radius: f32) -> Option<f32> {
    let min = Vec2::new(wall.x - radius, wall.y - radius);
    let max = Vec2::new(wall.x + wall.w + radius, wall.y + wall.h + radius);
    let d = b - a;
    let (mut t0, mut t1) = (0.0f32, 1.0f32);
    for axis in 0..2 {
        let (o, dv, lo, hi) = (a[axis], d[axis], min[axis], max[axis]);
        if dv.abs() < 1e-9 {
            if o < lo || o > hi {
                return None;
            }
        } else {
            let (mut ta, mut tb) = ((lo - o) / dv, (hi - o) / dv);
            if ta > tb {
                std::mem::swap(&mut ta, &mut tb);
            }
            t0 = t0.max(ta);
            t1 = t1.min(tb);
            if t0 > t1 {
                return None;
            }
        }
    }
    Some(t0)
}

/// Where along `a → b` (0..=1) the point comes within `radius` of `centre`, if it does.
pub fn segment_hits_circle(a: Vec2, b: Vec2, centre: Vec2, radius: f32) -> Option<f32> {
    let d = b - a;
    let f = a - centre;
    let c = f.length_squared() - radius * radius;
    if c <= 0.0 {
        return Some(0.0); // starts inside
    }
    let aa = d.length_squared();
    if aa < 1e-12 {
        return None;
    }
    let bb = 2.0 * f.dot(d);
    let disc = bb * bb - 4.0 * aa * c;
    if disc < 0.0 {
        return None;
    }
    let t = (-bb - disc.sqrt()) / (2.0 * aa);
    (0.0..=1.0).contains(&t).then_some(t)
}

/// Where along `a → b` (0..=1) the point leaves the arena `[0, w] × [0, h]`, if it does.
pub fn segment_leaves_arena(a: Vec2, b: Vec2, w: f32, h: f32) -> Option<f32> {
    let inside = |p: Vec2| p.x >= 0.0 && p.x <= w && p.y >= 0.0 && p.y <= h;
    if inside(b) {
        return None;
    }
    let d = b - a;
    let mut t = 1.0f32;
    for (o, dv, hi) in [(a.x, d.x, w), (a.y, d.y, h)] {
        if dv < 0.0 {
            t = t.min((0.0 - o) / dv);
        } else if dv > 0.0 && o + dv > hi {
            t = t.min((hi - o) / dv);
        }
    }
    Some(t.clamp(0.0, 1.0))
}
