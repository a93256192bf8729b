//! What a bot does with its input: the behaviours, and the seeded random numbers that make runs reproducible.
//!
//! Every bot draws from its own [`Mulberry32`] seeded with `seed + index + 1` (so with `--seed 0` bot `k` uses
//! `k + 1`, as the "crowd" scenario specifies). The first draw is the bot's send phase; after that a wandering
//! bot draws a new direction on input number `n` when `n % change_every == 0` (once a second at the default input
//! rate) and repeats its last direction otherwise.
//!
//! [`Behaviour::Crowd`] is the client side of the "crowd" load scenario (`docs/scenarios/crowd.md`) to the
//! letter: the same walk, but the direction changes on every 30th input whatever the input rate, the inputs go
//! out at 30 Hz unless `--input-rate` says otherwise, and at the end of the run every crowd bot sends one zero
//! input (`dx = dy = 0`) so that its walker stops (the server keeps applying the last input it got).

use clap::ValueEnum;
use serde::Serialize;
use std::f32::consts::TAU;
use tickwire_shared::entity::{FLAG_DEAD, KIND_PLAYER};
use tickwire_shared::{BUTTON_FIRE, EntityId, Mirror};

/// What a bot does once joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Behaviour {
    /// Random walk: a new random direction about once a second.
    #[default]
    Wander,
    /// Walk towards the nearest other living player (needs a mirror; bots without one wander).
    Chase,
    /// Send no inputs at all, only a ping a second: measures the cost of connected spectators.
    Idle,
    /// Wander while holding the fire button, aiming where it walks.
    Fire,
    /// The "crowd" scenario's walk: 30 Hz inputs, a new direction on every 30th, a zero input at the end.
    Crowd,
}

/// The "crowd" scenario's input rate, Hz.
pub const CROWD_INPUT_HZ: f64 = 30.0;
/// The "crowd" scenario's direction change: on input `n` when `n % 30 == 0`.
pub const CROWD_CHANGE_EVERY: u64 = 30;

impl Behaviour {
    /// The name `--behaviour` takes (and the JSON report writes).
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Wander => "wander",
            Behaviour::Chase => "chase",
            Behaviour::Idle => "idle",
            Behaviour::Fire => "fire",
            Behaviour::Crowd => "crowd",
        }
    }

    /// The input rate this behaviour runs at when `--input-rate` is not given; `None` = the server's tick rate.
    pub fn default_input_rate(self) -> Option<f64> {
        (self == Behaviour::Crowd).then_some(CROWD_INPUT_HZ)
    }

    /// Every how many inputs a walking bot draws a new direction, at `rate` inputs per second.
    pub fn change_every(self, rate: f64) -> u64 {
        match self {
            Behaviour::Crowd => CROWD_CHANGE_EVERY,
            _ => rate.round().max(1.0) as u64,
        }
    }

    /// Whether a bot sends a zero input (stand still) when the run ends.
    pub fn stops_at_end(self) -> bool {
        self == Behaviour::Crowd
    }
}

/// The mulberry32 generator: 32 bits of state, fast, and the same sequence in every language.
#[derive(Debug, Clone)]
pub struct Mulberry32(u32);

impl Mulberry32 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u32) -> Self {
        Self(seed)
    }

    /// The next number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x6D2B_79F5);
        let mut t = self.0;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        f64::from(t ^ (t >> 14)) / 4_294_967_296.0
    }
}

/// One input's worth of intent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Command {
    /// Movement direction, x.
    pub dx: f32,
    /// Movement direction, y.
    pub dy: f32,
    /// Aim angle in radians.
    pub aim: f32,
    /// Buttons held.
    pub buttons: u8,
}

/// A bot's steering: its behaviour, its generator and its current direction.
#[derive(Debug, Clone)]
pub struct Steering {
    behaviour: Behaviour,
    rng: Mulberry32,
    change_every: u64,
    n: u64,
    dir: (f32, f32),
}

impl Steering {
    /// Steering for bot `index` of a run seeded with `seed`; the direction changes every `change_every` inputs.
    pub fn new(behaviour: Behaviour, seed: u32, index: usize, change_every: u64) -> Self {
        let seed = seed.wrapping_add(index as u32).wrapping_add(1);
        Self {
            behaviour,
            rng: Mulberry32::new(seed),
            change_every: change_every.max(1),
            n: 0,
            dir: (0.0, 0.0),
        }
    }

    /// The bot's send phase as a fraction of the input period: the generator's first draw.
    pub fn phase(&mut self) -> f64 {
        self.rng.next_f64()
    }

    /// Whether this behaviour sends inputs at all.
    pub fn sends_inputs(&self) -> bool {
        self.behaviour != Behaviour::Idle
    }

    /// The next input, given the bot's mirror (if it keeps one) and its own entity id.
    pub fn next(&mut self, view: Option<(&Mirror, EntityId)>) -> Option<Command> {
        let wander = |s: &mut Self| {
            if s.n.is_multiple_of(s.change_every) {
                let theta = (s.rng.next_f64() * f64::from(TAU)) as f32;
                s.dir = (theta.cos(), theta.sin());
            }
            s.dir
        };
        let (dx, dy) = match self.behaviour {
            Behaviour::Idle => return None,
            Behaviour::Wander | Behaviour::Fire | Behaviour::Crowd => wander(self),
            Behaviour::Chase => match view.and_then(|(m, you)| towards_nearest(m, you)) {
                Some(d) => d,
                None => wander(self),
            },
        };
        self.n += 1;
        let buttons = if self.behaviour == Behaviour::Fire {
            BUTTON_FIRE
        } else {
            0
        };
        Some(Command {
            dx,
            dy,
            aim: dy.atan2(dx),
            buttons,
        })
    }
}

/// The unit vector from `you` to the nearest other living player in the mirror.
fn towards_nearest(mirror: &Mirror, you: EntityId) -> Option<(f32, f32)> {
    let me = mirror.entities.get(&you)?;
    let (mx, my) = (me.x? as f32, me.y? as f32);
    let (_, dx, dy) = mirror
        .entities
        .iter()
        .filter(|(id, e)| {
            **id != you && e.kind == Some(KIND_PLAYER) && e.flags.unwrap_or(0) & FLAG_DEAD == 0
        })
        .filter_map(|(_, e)| {
            let (dx, dy) = (e.x? as f32 - mx, e.y? as f32 - my);
            Some((dx * dx + dy * dy, dx, dy))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    let len = (dx * dx + dy * dy).sqrt();
    (len > 0.0).then(|| (dx / len, dy / len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwire_shared::EntityFields;

    #[test]
    fn names_are_the_flag_values() {
        for b in Behaviour::value_variants() {
            let value = b.to_possible_value().expect("every behaviour is a value");
            assert_eq!(b.name(), value.get_name());
            assert_eq!(
                serde_json::to_string(b).expect("json"),
                format!("\"{}\"", b.name())
            );
        }
    }

    #[test]
    fn mulberry32_matches_the_reference_sequence() {
        // Values from the JavaScript reference implementation.
        let mut r = Mulberry32::new(1);
        assert_eq!(r.next_f64(), 0.6270739405881613);
        assert_eq!(r.next_f64(), 0.002735721180215478);
        assert_eq!(Mulberry32::new(42).next_f64(), 0.6011037519201636);
    }

    #[test]
    fn wander_changes_direction_every_n_inputs_and_is_reproducible() {
        let mut a = Steering::new(Behaviour::Wander, 7, 3, 30);
        let mut b = Steering::new(Behaviour::Wander, 7, 3, 30);
        let cmds: Vec<_> = (0..61)
            .map(|_| a.next(None).expect("wander sends"))
            .collect();
        let again: Vec<_> = (0..61)
            .map(|_| b.next(None).expect("wander sends"))
            .collect();
        assert_eq!(cmds, again, "same seed, same inputs");
        assert!(cmds[..30].iter().all(|c| *c == cmds[0]));
        assert_ne!(cmds[29], cmds[30], "a new direction on input 30");
        let len = (cmds[0].dx.powi(2) + cmds[0].dy.powi(2)).sqrt();
        assert!((len - 1.0).abs() < 1e-5);
        assert_eq!(cmds[0].buttons, 0);
    }

    #[test]
    fn crowd_follows_the_scenario_definition() {
        // Bot k uses mulberry32(k + 1): draw 1 is the phase, draw 2 the direction of inputs 0..29, draw 3 of 30..59.
        let k = 4;
        let mut reference = Mulberry32::new(k as u32 + 1);
        let phase = reference.next_f64();
        let theta0 = (reference.next_f64() * f64::from(TAU)) as f32;
        let theta1 = (reference.next_f64() * f64::from(TAU)) as f32;
        let b = Behaviour::Crowd;
        assert_eq!(b.default_input_rate(), Some(30.0));
        assert_eq!(
            b.change_every(60.0),
            30,
            "every 30th input whatever the rate"
        );
        assert!(b.stops_at_end() && !Behaviour::Wander.stops_at_end());
        let mut s = Steering::new(b, 0, k, b.change_every(30.0));
        assert_eq!(s.phase(), phase);
        let cmds: Vec<_> = (0..60)
            .map(|_| s.next(None).expect("crowd sends"))
            .collect();
        for (n, c) in cmds.iter().enumerate() {
            let theta = if n < 30 { theta0 } else { theta1 };
            assert_eq!((c.dx, c.dy), (theta.cos(), theta.sin()), "input {n}");
            assert_eq!(c.aim, c.dy.atan2(c.dx));
            assert_eq!(c.buttons, 0);
        }
    }

    #[test]
    fn idle_sends_nothing_and_fire_holds_the_button() {
        assert_eq!(Steering::new(Behaviour::Idle, 0, 0, 30).next(None), None);
        let c = Steering::new(Behaviour::Fire, 0, 0, 30).next(None);
        assert_eq!(c.map(|c| c.buttons), Some(BUTTON_FIRE));
    }

    #[test]
    fn chase_walks_towards_the_nearest_living_player() {
        let player = |x: i32, y: i32, flags: u8| EntityFields {
            kind: Some(KIND_PLAYER),
            x: Some(x),
            y: Some(y),
            flags: Some(flags),
            ..Default::default()
        };
        let mut m = Mirror::new();
        m.entities.insert(1, player(0, 0, 0));
        m.entities.insert(2, player(0, 100, 0));
        m.entities.insert(3, player(-10, 0, FLAG_DEAD));
        m.entities.insert(4, player(500, 0, 0));
        let c = Steering::new(Behaviour::Chase, 0, 0, 30)
            .next(Some((&m, 1)))
            .expect("chase sends");
        assert!(
            c.dx.abs() < 1e-6 && (c.dy - 1.0).abs() < 1e-6,
            "towards 2: {c:?}"
        );
        let alone = Steering::new(Behaviour::Chase, 0, 0, 30).next(Some((&Mirror::new(), 1)));
        assert!(alone.is_some(), "without anyone to chase, a chaser wanders");
    }
}
