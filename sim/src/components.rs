//! Components and resources of the simulation. Game state lives here as plain data; systems live elsewhere.

use bevy_ecs::prelude::*;
use glam::Vec2;
use std::collections::{BTreeMap, VecDeque};
use tickwire_shared::EntityId;

/// The opaque key the network layer uses for a connection. The simulation never learns what it stands for.
pub type ClientKey = u64;

/// World position, in world units.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Position(pub Vec2);

/// Velocity of the last movement step, in world units per second.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity(pub Vec2);

/// Facing angle in radians.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Facing(pub f32);

/// A player-controlled avatar.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Player {
    /// The connection that controls it.
    pub client: ClientKey,
    /// Display name, already cleaned.
    pub name: String,
    /// Colour 0xRRGGBB.
    pub colour: u32,
}

/// An input after validation: a direction of length at most 1, an aim angle, buttons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intent {
    /// Client sequence number.
    pub seq: u32,
    /// Movement direction, length ≤ 1.
    pub dir: Vec2,
    /// Aim angle, radians.
    pub aim: f32,
    /// Button bits.
    pub buttons: u8,
}

/// Inputs received for a player and not yet applied, and the input bookkeeping.
#[derive(Component, Debug, Clone, Default)]
pub struct InputQueue {
    /// Validated intents waiting, oldest first.
    pub pending: VecDeque<Intent>,
    /// Highest sequence number accepted into the queue.
    pub last_queued: u32,
    /// Sequence number of the last input applied (the `ack` sent to the client).
    pub last_applied: u32,
    /// Ticks of movement the player may still use (refilled by one per tick, capped by the rules).
    pub budget: u32,
    /// Consecutive ticks that started with two or more inputs waiting.
    pub backlog_ticks: u32,
}

/// The replicated identity of an entity: the id clients know it by.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetId(pub EntityId);

/// The entity's replicated fields as they are now (encoded, fixed-point). Systems update it with
/// `set_if_neq`, so its change tick means "a client-visible change happened".
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct NetFields(pub tickwire_shared::EntityFields);

/// The replicated fields as last sent to clients: the base that changes are computed against.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct NetSent(pub Option<tickwire_shared::EntityFields>);

/// The current tick number: the number of completed steps.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct Tick(pub u32);

/// The fixed time step in seconds.
#[derive(Resource, Debug, Clone, Copy)]
pub struct FixedDt(pub f32);

/// Which entity each connected client controls.
#[derive(Resource, Debug, Default)]
pub struct Clients(pub BTreeMap<ClientKey, Entity>);

/// Allocates replicated ids; ids are never reused within a run.
#[derive(Resource, Debug)]
pub struct NextNetId(pub EntityId);

impl Default for NextNetId {
    fn default() -> Self {
        NextNetId(1)
    }
}

impl NextNetId {
    /// Takes the next id.
    pub fn take(&mut self) -> NetId {
        let id = self.0;
        self.0 = self.0.wrapping_add(1).max(1);
        NetId(id)
    }
}

/// Counters about inputs, for the operator's metrics.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputStats {
    /// Inputs applied to the world.
    pub applied: u64,
    /// Inputs refused because a number was NaN or infinite.
    pub rejected_non_finite: u64,
    /// Inputs refused because their sequence number was not newer than the last one.
    pub rejected_stale: u64,
    /// Inputs dropped because the player's queue was full.
    pub dropped_queue_full: u64,
}

/// Events raised between steps, delivered with the next step's changes.
#[derive(Resource, Debug, Default)]
pub struct PendingEvents(pub Vec<tickwire_shared::Event>);

/// The tick rate the simulation runs at.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickRate(pub u16);

/// Health points.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health(pub u16);

/// A player's match record.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Players this one killed.
    pub kills: u16,
    /// Times this one died.
    pub deaths: u16,
    /// Score.
    pub score: i32,
}

/// Alive or dead; a dead player respawns at `respawn_at`.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Life {
    /// The tick at which a dead player respawns; `None` while alive.
    pub respawn_at: Option<u32>,
}

impl Life {
    /// True while alive.
    pub fn alive(&self) -> bool {
        self.respawn_at.is_none()
    }
}

/// A player's gun.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Weapon {
    /// The first tick at which it may fire again.
    pub ready_at: u32,
    /// The aim angle of a fire request made by this tick's inputs, if any.
    pub trigger: Option<f32>,
}

/// A projectile in flight.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Projectile {
    /// The shooter.
    pub owner: Entity,
    /// The shooter's replicated id (for the kill feed, even if the shooter left).
    pub owner_id: EntityId,
    /// Velocity, units per second.
    pub velocity: Vec2,
    /// The tick it was fired at (it starts moving on the next one).
    pub born: u32,
    /// The tick at which it vanishes.
    pub expires_at: u32,
}

/// A projectile hit, found this tick and applied by the damage system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Who was hit.
    pub victim: Entity,
    /// Who fired.
    pub shooter: Entity,
    /// The shooter's replicated id.
    pub shooter_id: EntityId,
}

/// This tick's hits, in the order they happened.
#[derive(Resource, Debug, Default)]
pub struct Hits(pub Vec<Hit>);

/// The simulation's only source of randomness: seeded, so runs replay exactly (splitmix64).
#[derive(Resource, Debug, Clone)]
pub struct SimRng(pub u64);

impl SimRng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}
