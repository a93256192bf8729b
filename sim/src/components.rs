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
