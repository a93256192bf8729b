//! Inputs and movement: validating intents, applying one movement step per input, and keeping players inside
//! the arena and out of walls.

use crate::assets::{MapAsset, RulesAsset};
use crate::components::*;
use bevy_ecs::prelude::*;
use glam::Vec2;
use tickwire_shared::{Input, Wall};

/// After this many consecutive ticks with two or more inputs waiting, a player's tick takes one extra input.
/// That drains a standing backlog (one step per second, so at most ~3% faster than the tick rate for a client
/// that floods) without dropping movement the client has already predicted.
pub const BACKLOG_DRAIN_TICKS: u32 = 30;

/// What became of an input offered to the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputVerdict {
    /// Queued; it will be applied on a coming tick.
    Queued,
    /// A number was NaN or infinite: ignored.
    NonFinite,
    /// Its sequence number was not newer than one already accepted: ignored.
    Stale,
    /// The player's queue was full: dropped.
    QueueFull,
    /// No player for that client.
    NoPlayer,
}

/// Validates a raw input: rejects non-finite numbers, clamps each axis to [-1, 1], normalises longer vectors and
/// wraps the aim angle. The server trusts nothing else about an input.
pub fn sanitize(input: &Input) -> Option<Intent> {
    if !(input.dx.is_finite() && input.dy.is_finite() && input.aim.is_finite()) {
        return None;
    }
    let mut dir = Vec2::new(input.dx.clamp(-1.0, 1.0), input.dy.clamp(-1.0, 1.0));
    if dir.length_squared() > 1.0 {
        dir = dir.normalize();
    }
    let aim =
        (input.aim + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU) - std::f32::consts::PI;
    Some(Intent {
        seq: input.seq,
        dir,
        aim,
        buttons: input.buttons,
    })
}

/// Queues an input for a player, after validation.
pub fn offer_input(queue: &mut InputQueue, input: &Input, queue_len: usize) -> InputVerdict {
    let Some(intent) = sanitize(input) else {
        return InputVerdict::NonFinite;
    };
    if intent.seq <= queue.last_queued {
        return InputVerdict::Stale;
    }
    if queue.pending.len() >= queue_len {
        return InputVerdict::QueueFull;
    }
    queue.last_queued = intent.seq;
    queue.pending.push_back(intent);
    InputVerdict::Queued
}

/// Moves a circle of `radius` from `pos` by `delta`, then keeps it inside the arena and out of every wall.
/// The browser client runs the same function for prediction, so keep the two in step.
pub fn step_circle(pos: Vec2, delta: Vec2, radius: f32, map: &MapAsset) -> Vec2 {
    let mut p = pos + delta;
    for wall in &map.walls {
        p = push_out_of_wall(p, radius, wall);
    }
    p.x = p.x.clamp(radius, (map.width - radius).max(radius));
    p.y = p.y.clamp(radius, (map.height - radius).max(radius));
    p
}

/// Pushes a circle out of an axis-aligned rectangle along the shortest way.
pub fn push_out_of_wall(p: Vec2, radius: f32, wall: &Wall) -> Vec2 {
    let min = Vec2::new(wall.x, wall.y);
    let max = min + Vec2::new(wall.w, wall.h);
    let closest = p.clamp(min, max);
    let offset = p - closest;
    let dist2 = offset.length_squared();
    if dist2 >= radius * radius {
        return p;
    }
    if dist2 > 0.0 {
        // Centre outside the rectangle: push along the line to the nearest point.
        let dist = dist2.sqrt();
        return closest + offset / dist * radius;
    }
    // Centre inside the rectangle: leave through the nearest side.
    let exits = [
        (p.x - min.x, Vec2::new(min.x - radius, p.y)),
        (max.x - p.x, Vec2::new(max.x + radius, p.y)),
        (p.y - min.y, Vec2::new(p.x, min.y - radius)),
        (max.y - p.y, Vec2::new(p.x, max.y + radius)),
    ];
    exits
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(p, |e| e.1)
}

/// Applies queued inputs: one movement step of `dt` per input, at most the player's banked budget per tick.
/// A player with no input this tick stands still and banks the tick (up to `input_burst_ticks`), so an input
/// that arrives late still moves the player as far as the client predicted, and sending inputs faster than the
/// tick rate never moves anyone faster. A fire button in any applied input asks the gun to fire this tick.
/// Dead players' inputs are consumed (and acknowledged) without effect.
pub fn apply_inputs(
    mut players: Query<
        (
            &mut InputQueue,
            &mut Position,
            &mut Velocity,
            &mut Facing,
            &Life,
            &mut Weapon,
        ),
        With<Player>,
    >,
    map: Res<MapAsset>,
    rules: Res<RulesAsset>,
    dt: Res<FixedDt>,
    mut stats: ResMut<InputStats>,
) {
    let dt = dt.0;
    for (mut queue, mut pos, mut vel, mut facing, life, mut weapon) in &mut players {
        let queue = &mut *queue;
        queue.budget = (queue.budget + 1).min(rules.input_burst_ticks);
        // A backlog that persists (inputs arriving just after the tick that should have taken them, then
        // one per tick) would delay this player for good: once a second, take one extra input to drain it.
        if queue.pending.len() >= 2 {
            queue.backlog_ticks += 1;
            if queue.backlog_ticks >= BACKLOG_DRAIN_TICKS {
                queue.budget += 1;
                queue.backlog_ticks = 0;
            }
        } else {
            queue.backlog_ticks = 0;
        }
        let start = pos.0;
        let mut p = start;
        while queue.budget > 0 {
            let Some(intent) = queue.pending.pop_front() else {
                break;
            };
            queue.budget -= 1;
            queue.last_applied = intent.seq;
            stats.applied += 1;
            if !life.alive() {
                continue;
            }
            p = step_circle(
                p,
                intent.dir * rules.player_speed * dt,
                rules.player_radius,
                &map,
            );
            facing.set_if_neq(Facing(intent.aim));
            if intent.buttons & tickwire_shared::BUTTON_FIRE != 0 {
                weapon.trigger = Some(intent.aim);
            }
        }
        pos.set_if_neq(Position(p));
        vel.set_if_neq(Velocity((p - start) / dt));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> MapAsset {
        MapAsset {
            width: 100.0,
            height: 100.0,
            walls: vec![Wall {
                x: 40.0,
                y: 40.0,
                w: 20.0,
                h: 20.0,
            }],
            spawns: vec![crate::assets::Point { x: 10.0, y: 10.0 }],
            view: None,
        }
    }

    fn input(dx: f32, dy: f32) -> Input {
        Input {
            seq: 1,
            dx,
            dy,
            aim: 0.0,
            buttons: 0,
        }
    }

    #[test]
    fn inputs_are_clamped_and_normalised() {
        let i = sanitize(&input(5.0, 0.0)).expect("finite");
        assert_eq!(
            i.dir,
            Vec2::new(1.0, 0.0),
            "an axis beyond 1 is clamped to 1"
        );
        let i = sanitize(&input(1.0, 1.0)).expect("finite");
        assert!(
            (i.dir.length() - 1.0).abs() < 1e-6,
            "a diagonal is normalised, got {:?}",
            i.dir
        );
        let i = sanitize(&input(0.3, -0.4)).expect("finite");
        assert_eq!(
            i.dir,
            Vec2::new(0.3, -0.4),
            "a short vector is kept as is (walking slowly)"
        );
    }

    #[test]
    fn non_finite_inputs_are_rejected() {
        for (dx, dy) in [
            (f32::NAN, 0.0),
            (0.0, f32::INFINITY),
            (f32::NEG_INFINITY, 1.0),
        ] {
            assert_eq!(sanitize(&input(dx, dy)), None);
        }
        let mut bad_aim = input(0.0, 0.0);
        bad_aim.aim = f32::NAN;
        assert_eq!(sanitize(&bad_aim), None);
    }

    #[test]
    fn bounds_keep_the_circle_inside() {
        let m = map();
        assert_eq!(
            step_circle(Vec2::new(10.0, 10.0), Vec2::new(-50.0, 0.0), 5.0, &m),
            Vec2::new(5.0, 10.0)
        );
        assert_eq!(
            step_circle(Vec2::new(90.0, 90.0), Vec2::new(50.0, 50.0), 5.0, &m),
            Vec2::new(95.0, 95.0)
        );
    }

    #[test]
    fn walls_stop_the_circle() {
        let m = map();
        // Walking right into the wall's left side at y = 50 stops at x = 40 - radius.
        let p = step_circle(Vec2::new(30.0, 50.0), Vec2::new(8.0, 0.0), 5.0, &m);
        assert!(
            (p.x - 35.0).abs() < 1e-4 && (p.y - 50.0).abs() < 1e-4,
            "got {p:?}"
        );
        // A step that would land the centre inside the wall leaves through the nearest side.
        let p = step_circle(Vec2::new(30.0, 45.0), Vec2::new(12.0, 0.0), 5.0, &m);
        assert!((p.x - 35.0).abs() < 1e-4, "got {p:?}");
        // Sliding along the wall keeps the tangential motion.
        let p = step_circle(Vec2::new(35.0, 45.0), Vec2::new(1.0, 3.0), 5.0, &m);
        assert!(
            (p.x - 35.0).abs() < 1e-4 && (p.y - 48.0).abs() < 1e-4,
            "got {p:?}"
        );
    }

    #[test]
    fn a_standing_backlog_drains_by_one_extra_step_per_second() {
        let rules = RulesAsset::default_rules();
        let mut world = World::new();
        world.insert_resource(MapAsset {
            width: 1.0e6,
            height: 1.0e6,
            walls: vec![],
            spawns: vec![crate::assets::Point { x: 10.0, y: 10.0 }],
            view: None,
        });
        world.insert_resource(rules.clone());
        world.insert_resource(FixedDt(1.0 / 30.0));
        world.init_resource::<InputStats>();
        let player = Player {
            client: 1,
            name: "a".into(),
            colour: 0,
        };
        let mut queue = InputQueue::default();
        let mut seq = 0;
        for _ in 0..3 {
            seq += 1;
            offer_input(
                &mut queue,
                &Input {
                    seq,
                    dx: 1.0,
                    dy: 0.0,
                    aim: 0.0,
                    buttons: 0,
                },
                rules.input_queue_len,
            );
        }
        let e = world
            .spawn((
                player,
                queue,
                Position(Vec2::new(10.0, 10.0)),
                Velocity::default(),
                Facing(0.0),
            ))
            .insert((Life::default(), Weapon::default()))
            .id();
        let mut schedule = bevy_ecs::schedule::Schedule::default();
        schedule.add_systems(apply_inputs);
        // One new input per tick on top of a backlog of three: without draining it would stay at three.
        for _ in 0..(2 * BACKLOG_DRAIN_TICKS) {
            seq += 1;
            let mut q = world.get_mut::<InputQueue>(e).expect("queue");
            offer_input(
                &mut q,
                &Input {
                    seq,
                    dx: 1.0,
                    dy: 0.0,
                    aim: 0.0,
                    buttons: 0,
                },
                rules.input_queue_len,
            );
            schedule.run(&mut world);
        }
        let left = world.get::<InputQueue>(e).expect("queue").pending.len();
        assert!(
            left < 3,
            "the standing backlog must shrink, {left} inputs still wait"
        );
    }

    #[test]
    fn stale_and_overflowing_inputs_are_refused() {
        let mut rules = RulesAsset::default_rules();
        rules.input_queue_len = 2;
        let mut q = InputQueue::default();
        let mut i = input(1.0, 0.0);
        i.seq = 5;
        assert_eq!(
            offer_input(&mut q, &i, rules.input_queue_len),
            InputVerdict::Queued
        );
        assert_eq!(
            offer_input(&mut q, &i, rules.input_queue_len),
            InputVerdict::Stale,
            "a replayed seq is applied once"
        );
        i.seq = 4;
        assert_eq!(
            offer_input(&mut q, &i, rules.input_queue_len),
            InputVerdict::Stale,
            "an older seq is ignored"
        );
        i.seq = 6;
        assert_eq!(
            offer_input(&mut q, &i, rules.input_queue_len),
            InputVerdict::Queued
        );
        i.seq = 7;
        assert_eq!(
            offer_input(&mut q, &i, rules.input_queue_len),
            InputVerdict::QueueFull
        );
    }
}
