//! # tickwire-sim: the authoritative simulation
//!
//! A `bevy_ecs` [`World`] stepped at a fixed rate with a fixed `dt`. The simulation does no I/O and knows no
//! sockets: the crate does not depend on tokio or on any WebSocket code. The server's tick driver talks to it
//! through [`Sim`] only: it hands in joins, leaves and decoded inputs, calls [`Sim::step`], and reads back the
//! tick's [`TickChanges`] and, for joining clients, a [`Sim::snapshot`].
//!
//! ## Steps run in this order every tick
//! 1. [`movement::apply_inputs`]: each player's queued inputs are applied, one movement step per input (bounded
//!    by the player's banked budget), with arena bounds and wall collision.
//! 2. [`export_players`]: client-visible player state is written into [`NetFields`] (fixed-point).
//! 3. [`replication::replicate`]: changed `NetFields` become spawns and changes, removed entities despawns.
//!
//! Everything a system reads comes from the world: no wall clock, no global RNG, no hash-order iteration that
//! reaches the output (outputs are sorted by entity id), so the same inputs give the same ticks.

pub mod assets;
pub mod components;
pub mod movement;
pub mod replication;
pub mod roster;

pub use assets::{AssetError, MapAsset, RulesAsset};
use bevy_ecs::prelude::*;
use components::*;
pub use components::{ClientKey, InputStats};
use glam::Vec2;
pub use movement::InputVerdict;
pub use replication::TickChanges;
use tickwire_shared::entity::{EntityFields, KIND_PLAYER, angle_to_wire, position_to_wire};
use tickwire_shared::{Arena, EntityId, EntityState, Event, Input, MAX_NAME_CHARS};

/// Lowest and highest tick rates the simulation accepts.
pub const TICK_RATE_RANGE: std::ops::RangeInclusive<u16> = 20..=60;

/// Player colours, handed out in join order.
const PALETTE: [u32; 8] = [
    0x3fa9f5, 0xf55f3f, 0x7ac943, 0xffc107, 0xb36ae2, 0x2ec4b6, 0xff7eb6, 0xe0e0e0,
];

/// Why a simulation could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The tick rate is outside [`TICK_RATE_RANGE`].
    #[error("tick rate {0} Hz is outside the supported range 20–60 Hz")]
    TickRate(u16),
}

/// What the simulation needs to start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The arena.
    pub map: MapAsset,
    /// The tuning numbers.
    pub rules: RulesAsset,
    /// Ticks per second, within [`TICK_RATE_RANGE`].
    pub tick_rate: u16,
}

/// The simulation: a world, its schedule, and the narrow interface the tick driver uses.
pub struct Sim {
    world: World,
    schedule: Schedule,
    tick_rate: u16,
    joined: u32,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("tick", &self.tick())
            .field("tick_rate", &self.tick_rate)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Builds the world and its schedule.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        if !TICK_RATE_RANGE.contains(&config.tick_rate) {
            return Err(SimError::TickRate(config.tick_rate));
        }
        let mut world = World::new();
        world.insert_resource(config.map);
        world.insert_resource(config.rules);
        world.insert_resource(FixedDt(1.0 / f32::from(config.tick_rate)));
        world.init_resource::<Tick>();
        world.init_resource::<Clients>();
        world.init_resource::<NextNetId>();
        world.init_resource::<InputStats>();
        world.init_resource::<TickChanges>();
        world.init_resource::<PendingEvents>();
        world.init_resource::<replication::NetIndex>();
        let mut schedule = Schedule::default();
        schedule.add_systems(
            (
                movement::apply_inputs,
                export_players,
                replication::replicate,
            )
                .chain(),
        );
        Ok(Sim {
            world,
            schedule,
            tick_rate: config.tick_rate,
            joined: 0,
        })
    }

    /// The number of completed steps.
    pub fn tick(&self) -> u32 {
        self.world.resource::<Tick>().0
    }

    /// Ticks per second.
    pub fn tick_rate(&self) -> u16 {
        self.tick_rate
    }

    /// Changes the tick rate (the fixed `dt` follows) and tells every client with an event.
    pub fn set_tick_rate(&mut self, hz: u16) -> Result<(), SimError> {
        if !TICK_RATE_RANGE.contains(&hz) {
            return Err(SimError::TickRate(hz));
        }
        self.tick_rate = hz;
        self.world.insert_resource(FixedDt(1.0 / f32::from(hz)));
        self.world
            .resource_mut::<PendingEvents>()
            .0
            .push(Event::TickRate { hz });
        Ok(())
    }

    /// The arena as clients are told about it.
    pub fn arena(&self) -> Arena {
        self.world.resource::<MapAsset>().arena()
    }

    /// Adds a player for `client`, at the spawn point farthest from everyone else. Returns its entity id.
    /// A client that already has a player keeps it.
    pub fn join(&mut self, client: ClientKey, name: &str) -> EntityId {
        if let Some(id) = self.player_id(client) {
            return id;
        }
        let name = clean_name(name);
        let colour = PALETTE[self.joined as usize % PALETTE.len()];
        self.joined = self.joined.wrapping_add(1);
        let spawn = self.farthest_spawn();
        let id = self.world.resource_mut::<NextNetId>().take();
        let fields = EntityFields {
            kind: Some(KIND_PLAYER),
            x: Some(position_to_wire(spawn.x)),
            y: Some(position_to_wire(spawn.y)),
            angle: Some(0),
            name: Some(name.clone()),
            colour: Some(colour),
            ..Default::default()
        };
        let entity = self
            .world
            .spawn((
                Player {
                    client,
                    name,
                    colour,
                },
                Position(spawn),
                Velocity::default(),
                Facing(0.0),
                InputQueue::default(),
                id,
                NetFields(fields),
                NetSent::default(),
            ))
            .id();
        self.world
            .resource_mut::<Clients>()
            .0
            .insert(client, entity);
        id.0
    }

    /// Removes `client`'s player, if any.
    pub fn leave(&mut self, client: ClientKey) {
        if let Some(entity) = self.world.resource_mut::<Clients>().0.remove(&client) {
            self.world.despawn(entity);
        }
    }

    /// Offers a decoded input from `client`; it is validated and queued for the coming ticks.
    pub fn push_input(&mut self, client: ClientKey, input: &Input) -> InputVerdict {
        let Some(&entity) = self.world.resource::<Clients>().0.get(&client) else {
            return InputVerdict::NoPlayer;
        };
        let rules = self.world.resource::<RulesAsset>().clone();
        let verdict = match self.world.get_mut::<InputQueue>(entity) {
            Some(mut queue) => movement::offer_input(&mut queue, input, &rules),
            None => InputVerdict::NoPlayer,
        };
        let mut stats = self.world.resource_mut::<InputStats>();
        match verdict {
            InputVerdict::NonFinite => stats.rejected_non_finite += 1,
            InputVerdict::Stale => stats.rejected_stale += 1,
            InputVerdict::QueueFull => stats.dropped_queue_full += 1,
            InputVerdict::Queued | InputVerdict::NoPlayer => {}
        }
        verdict
    }

    /// Runs one fixed step and returns what changed in it.
    pub fn step(&mut self) -> &TickChanges {
        // Events raised between steps (a tick-rate change, an operator message) belong to this step's output.
        let pending = std::mem::take(&mut self.world.resource_mut::<PendingEvents>().0);
        let mut changes = self.world.resource_mut::<TickChanges>();
        changes.clear();
        changes.events.extend(pending);
        self.schedule.run(&mut self.world);
        self.world.resource_mut::<Tick>().0 += 1;
        self.world.resource::<TickChanges>()
    }

    /// Queues an event (for example an operator message) for the next step's delta.
    pub fn push_event(&mut self, event: Event) {
        self.world.resource_mut::<PendingEvents>().0.push(event);
    }

    /// The changes of the last step.
    pub fn last_changes(&self) -> &TickChanges {
        self.world.resource::<TickChanges>()
    }

    /// Every replicated entity with all its fields, in ascending id order.
    pub fn snapshot(&mut self) -> Vec<EntityState> {
        replication::snapshot(&mut self.world)
    }

    /// The sequence number of the last input applied for `client` (0 before any).
    pub fn ack(&self, client: ClientKey) -> u32 {
        self.client_entity(client)
            .and_then(|e| self.world.get::<InputQueue>(e))
            .map_or(0, |q| q.last_applied)
    }

    /// The entity id of `client`'s player.
    pub fn player_id(&self, client: ClientKey) -> Option<EntityId> {
        self.client_entity(client)
            .and_then(|e| self.world.get::<NetId>(e))
            .map(|id| id.0)
    }

    /// The world position of `client`'s player.
    pub fn player_position(&self, client: ClientKey) -> Option<Vec2> {
        self.client_entity(client)
            .and_then(|e| self.world.get::<Position>(e))
            .map(|p| p.0)
    }

    /// Input counters since start.
    pub fn input_stats(&self) -> InputStats {
        *self.world.resource::<InputStats>()
    }

    /// The number of players in the world.
    pub fn player_count(&self) -> usize {
        self.world.resource::<Clients>().0.len()
    }

    /// Direct access to the world, for tests and tools that inspect state.
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    fn client_entity(&self, client: ClientKey) -> Option<Entity> {
        self.world.resource::<Clients>().0.get(&client).copied()
    }

    fn farthest_spawn(&mut self) -> Vec2 {
        let spawns: Vec<Vec2> = self
            .world
            .resource::<MapAsset>()
            .spawns
            .iter()
            .map(|p| Vec2::new(p.x, p.y))
            .collect();
        let mut q = self.world.query_filtered::<&Position, With<Player>>();
        let others: Vec<Vec2> = q.iter(&self.world).map(|p| p.0).collect();
        let nearest = |s: &Vec2| {
            others
                .iter()
                .map(|o| o.distance_squared(*s))
                .fold(f32::INFINITY, f32::min)
        };
        // Ties (no players yet) go to the first spawn in file order, so spawning is deterministic.
        let mut best = spawns[0];
        let mut best_d = nearest(&best);
        for s in &spawns[1..] {
            let d = nearest(s);
            if d > best_d {
                best = *s;
                best_d = d;
            }
        }
        best
    }
}

/// Players whose position or facing changed this tick.
pub type MovedPlayer = (With<Player>, Or<(Changed<Position>, Changed<Facing>)>);

/// Writes players' client-visible state into their [`NetFields`], only where it changed at wire precision.
pub fn export_players(mut players: Query<(&Position, &Facing, &mut NetFields), MovedPlayer>) {
    for (pos, facing, mut fields) in &mut players {
        let (x, y, angle) = (
            position_to_wire(pos.0.x),
            position_to_wire(pos.0.y),
            angle_to_wire(facing.0),
        );
        let f = &fields.0;
        if f.x != Some(x) || f.y != Some(y) || f.angle != Some(angle) {
            let f = &mut fields.0;
            f.x = Some(x);
            f.y = Some(y);
            f.angle = Some(angle);
        }
    }
}

/// Cleans a requested display name: trims it, drops control characters, keeps at most [`MAX_NAME_CHARS`]
/// characters; an empty result becomes `player`.
pub fn clean_name(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim_end().to_string();
    if cleaned.is_empty() {
        "player".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests;
