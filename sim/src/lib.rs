//! # tickwire-sim: the authoritative simulation
//!
//! A `bevy_ecs` [`World`] stepped at a fixed rate with a fixed `dt`. The simulation does no I/O and knows no
//! sockets: the crate does not depend on tokio or on any WebSocket code. The server's tick driver talks to it
//! through [`Sim`] only: it hands in joins, leaves and decoded inputs, calls [`Sim::step`], and reads back the
//! tick's [`TickChanges`] and, for joining clients, a [`Sim::snapshot`].
//!
//! ## Steps run in this order every tick
//! 1. [`movement::apply_inputs`]: each player's queued inputs are applied, one movement step per input (bounded
//!    by the player's banked budget), with arena bounds and wall collision; fire buttons arm the gun.
//! 2. [`collision::separate_players`]: overlapping living players are pushed apart.
//! 3. [`combat::fire_weapons`]: armed guns whose cooldown has passed fire a projectile.
//! 4. [`combat::move_projectiles`]: projectiles sweep their path; hits on walls, the edge or players end them.
//! 5. [`combat::apply_hits`]: damage, deaths, kills, score, kill events.
//! 6. [`combat::respawn`]: dead players whose delay is over come back at the safest spawn point.
//! 7. [`export_players`]: client-visible player state is written into [`NetFields`] (fixed-point).
//! 8. [`replication::replicate`]: changed `NetFields` become spawns, changes and moves (positions), removed
//!    entities despawns.
//!
//! Everything a system reads comes from the world: no wall clock, only the seeded [`SimRng`], no hash-order
//! iteration that reaches the output (outputs are sorted by entity id), so the same inputs give the same ticks
//! ([`record`] relies on that to replay matches).

pub mod assets;
pub mod collision;
pub mod combat;
pub mod components;
pub mod interest;
pub mod movement;
pub mod record;
pub mod replication;
pub mod roster;
pub mod scenario;

pub use assets::{AssetError, MapAsset, RulesAsset};
use bevy_ecs::prelude::*;
use components::*;
pub use components::{ClientKey, InputStats};
use glam::Vec2;
pub use movement::InputVerdict;
pub use record::{Chunk, ChunkReader, Ending, Entry, Recording, RecordingError};
pub use replication::TickChanges;
pub use scenario::Scenario;
use std::hash::{Hash, Hasher};
use tickwire_shared::entity::{
    EntityFields, FLAG_DEAD, KIND_PLAYER, angle_to_wire, position_to_wire,
};
use tickwire_shared::{Arena, EntityId, EntityState, Event, GameRules, Input, MAX_NAME_CHARS};

/// Lowest and highest tick rates the simulation accepts.
pub const TICK_RATE_RANGE: std::ops::RangeInclusive<u16> = 20..=60;

/// Player colours: 24 hues 15° apart (HSL saturation 0.78), each at a relative luminance between 0.16 and 0.40
/// (three levels in turn), so that every body stands out from the arena's floor (contrast ≥ 4.8 against
/// 0x161b22) and the browser's white ring around the local player stands out from every body (≥ 2.6). Handed out
/// in join order by [`PALETTE_ORDER`].
pub const PALETTE: [u32; 24] = [
    0xea5353, 0xeb805d, 0xda7b1b, 0xa78215, 0xa2a214, 0x7c9f14, 0x559813, 0x3eb516, 0x15ab15,
    0x139d36, 0x16b565, 0x15a782, 0x139797, 0x1baad9, 0x4596e8, 0x6082eb, 0x9595f2, 0x9d81ef,
    0xaa68ec, 0xd27bef, 0xe951e9, 0xe741be, 0xee74b1, 0xec6688,
];
/// The order in which joins take [`PALETTE`]'s colours: each new one halves the largest gaps left between the hues
/// in use, so any 3 players in a row are 120° apart, any 6 at least 60°, any 12 at least 30°, and the first 24
/// all differ (a fixed stride leaves some close pair early: with 7, players 1 and 8 were 15° apart).
pub const PALETTE_ORDER: [usize; 24] = [
    0, 8, 16, 4, 12, 20, 2, 10, 18, 6, 14, 22, 1, 9, 17, 5, 13, 21, 3, 11, 19, 7, 15, 23,
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
    /// Seed of the simulation's random numbers.
    pub seed: u64,
    /// Which world to run.
    pub scenario: Scenario,
}

/// One row of the scoreboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRow {
    /// The connection.
    pub client: ClientKey,
    /// The player's entity id.
    pub id: EntityId,
    /// Display name.
    pub name: String,
    /// Kills.
    pub kills: u16,
    /// Deaths.
    pub deaths: u16,
    /// Score.
    pub score: i32,
}

/// The simulation: a world, its schedule, and the narrow interface the tick driver uses.
pub struct Sim {
    world: World,
    schedule: Schedule,
    tick_rate: u16,
    joined: u32,
    seed: u64,
    scenario: Scenario,
    spectators: std::collections::BTreeSet<ClientKey>,
    recording: Option<Recording>,
    /// The map's interest grid, if it has a `[view]`, and where every entity was after the last step.
    interest: Option<(interest::Interest, std::sync::Arc<interest::Grid>)>,
    positions: QueryState<(&'static NetId, &'static NetSent)>,
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
        let map = match config.scenario {
            Scenario::Arena => config.map,
            Scenario::Crowd => scenario::crowd::map(),
            Scenario::Gaffer => scenario::gaffer::map(),
        };
        world.insert_resource(map);
        world.insert_resource(config.rules);
        world.insert_resource(FixedDt(1.0 / f32::from(config.tick_rate)));
        world.insert_resource(TickRate(config.tick_rate));
        world.insert_resource(SimRng(config.seed));
        world.init_resource::<Tick>();
        world.init_resource::<Clients>();
        world.init_resource::<NextNetId>();
        world.init_resource::<InputStats>();
        world.init_resource::<TickChanges>();
        world.init_resource::<PendingEvents>();
        world.init_resource::<Hits>();
        world.init_resource::<replication::NetIndex>();
        let mut schedule = Schedule::default();
        match config.scenario {
            Scenario::Arena => {
                schedule.add_systems(
                    (
                        movement::apply_inputs,
                        collision::separate_players,
                        combat::fire_weapons,
                        combat::move_projectiles,
                        combat::apply_hits,
                        combat::respawn,
                        export_players,
                        replication::replicate,
                    )
                        .chain(),
                );
            }
            Scenario::Crowd => {
                schedule.add_systems(
                    (
                        scenario::crowd::walk,
                        scenario::export_motion,
                        replication::replicate,
                    )
                        .chain(),
                );
            }
            Scenario::Gaffer => {
                scenario::gaffer::populate(&mut world);
                schedule.add_systems(
                    (
                        scenario::gaffer::animate,
                        scenario::export_motion,
                        replication::replicate,
                    )
                        .chain(),
                );
            }
        }
        let interest = world
            .resource::<MapAsset>()
            .view
            .map(|v| (interest::Interest::new(&v), Default::default()));
        let positions = world.query();
        Ok(Sim {
            interest,
            positions,
            world,
            schedule,
            tick_rate: config.tick_rate,
            joined: 0,
            seed: config.seed,
            scenario: config.scenario,
            spectators: Default::default(),
            recording: None,
        })
    }

    /// Starts recording everything that enters the simulation from now on (see [`record`]); returns the header
    /// of the recording's file, which [`Sim::take_chunk`]'s chunks follow.
    pub fn start_recording(&mut self) -> Vec<u8> {
        let recording = Recording {
            map: self.world.resource::<MapAsset>().clone(),
            rules: self.world.resource::<RulesAsset>().clone(),
            tick_rate: self.tick_rate,
            seed: self.seed,
            scenario: self.scenario,
            entries: Vec::new(),
            end_tick: self.tick(),
        };
        let header = recording.header();
        self.recording = Some(recording);
        header
    }

    /// While recording: the entries since the last call (or since recording started), as the next [`Chunk`] of a
    /// recording file. A server calls it after every tick, so the recording goes to disk as the match runs.
    pub fn take_chunk(&mut self) -> Option<Chunk> {
        let through = self.tick();
        self.recording.as_mut().map(|r| {
            r.end_tick = through;
            Chunk {
                through,
                entries: std::mem::take(&mut r.entries),
                last: false,
            }
        })
    }

    /// Stops recording and returns what was recorded (valid only if recording started at tick 0), without the
    /// entries already taken by [`Sim::take_chunk`].
    pub fn take_recording(&mut self) -> Option<Recording> {
        let tick = self.tick();
        self.recording.take().map(|mut r| {
            r.end_tick = tick;
            r
        })
    }

    /// Replays a recording in a fresh simulation, up to the tick at which it was taken.
    pub fn replay(recording: &Recording) -> Result<Sim, SimError> {
        Self::replay_watching(recording, |_, _| {})
    }

    /// [`Sim::replay`], calling `watch` with the simulation just before each entry is applied (at the tick it
    /// was recorded at): what a player had when they left, when the tick rate changed.
    pub fn replay_watching(
        recording: &Recording,
        mut watch: impl FnMut(&mut Sim, &Entry),
    ) -> Result<Sim, SimError> {
        let mut sim = Sim::for_replay(recording)?;
        for (tick, entry) in recording
            .entries
            .iter()
            .take_while(|(t, _)| *t < recording.end_tick)
        {
            sim.step_to(*tick);
            watch(&mut sim, entry);
            sim.apply_entry(entry)?;
        }
        sim.step_to(recording.end_tick);
        Ok(sim)
    }

    /// A fresh simulation set up as `recording`'s match started (its map, rules, rate, seed and world), for a
    /// replay that feeds it the entries as it reads them: [`Sim::step_to`] each entry's tick, then
    /// [`Sim::apply_entry`] (what [`Sim::replay`] does with a whole recording).
    pub fn for_replay(recording: &Recording) -> Result<Sim, SimError> {
        Sim::new(SimConfig {
            map: recording.map.clone(),
            rules: recording.rules.clone(),
            tick_rate: recording.tick_rate,
            seed: recording.seed,
            scenario: recording.scenario,
        })
    }

    /// Steps until `tick` steps are complete (nothing when they are).
    pub fn step_to(&mut self, tick: u32) {
        while self.tick() < tick {
            self.step();
        }
    }

    /// Applies one recorded entry now, as it was applied when recorded.
    pub fn apply_entry(&mut self, entry: &Entry) -> Result<(), SimError> {
        match entry {
            Entry::Join(client, name) => {
                self.join(*client, name);
            }
            Entry::Leave(client) => self.leave(*client),
            Entry::Input(client, seq, dx, dy, aim, buttons) => {
                self.push_input(*client, &Entry::input(*seq, *dx, *dy, *aim, *buttons));
            }
            Entry::TickRate(hz) => self.set_tick_rate(*hz)?,
            Entry::Rebind(old, new) => {
                self.rebind(*old, *new);
            }
        }
        Ok(())
    }

    fn record(&mut self, entry: Entry) {
        let tick = self.tick();
        if let Some(r) = &mut self.recording {
            r.entries.push((tick, entry));
        }
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
        self.record(Entry::TickRate(hz));
        self.tick_rate = hz;
        self.world.insert_resource(FixedDt(1.0 / f32::from(hz)));
        self.world.insert_resource(TickRate(hz));
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

    /// The tuning numbers clients need to predict and draw.
    pub fn game_rules(&self) -> GameRules {
        let r = self.world.resource::<RulesAsset>();
        GameRules {
            player_speed: r.player_speed,
            player_radius: r.player_radius,
            projectile_radius: r.projectile_radius,
            max_health: r.max_health,
        }
    }

    /// Adds a player for `client`, at the spawn point farthest from everyone else. Returns its entity id.
    /// A client that already has a player keeps it.
    pub fn join(&mut self, client: ClientKey, name: &str) -> EntityId {
        if let Some(id) = self.player_id(client) {
            return id;
        }
        self.record(Entry::Join(client, name.to_string()));
        match self.scenario {
            Scenario::Arena => {}
            Scenario::Crowd => {
                let index = self.joined;
                self.joined = self.joined.wrapping_add(1);
                return scenario::crowd::join(&mut self.world, client, &clean_name(name), index);
            }
            Scenario::Gaffer => {
                // Spectators: the scene has no entity for them.
                self.spectators.insert(client);
                return 0;
            }
        }
        let name = self.distinct_name(&clean_name(name));
        let colour = PALETTE[PALETTE_ORDER[self.joined as usize % PALETTE_ORDER.len()]];
        self.joined = self.joined.wrapping_add(1);
        let others: Vec<Vec2> = self
            .world
            .query_filtered::<(&Position, &Life), With<Player>>()
            .iter(&self.world)
            .filter(|(_, life)| life.alive())
            .map(|(p, _)| p.0)
            .collect();
        let spawn = self.world.resource_scope(|world, mut rng: Mut<SimRng>| {
            combat::farthest_spawn(world.resource::<MapAsset>(), &others, &mut rng)
        });
        let max_health = self.world.resource::<RulesAsset>().max_health;
        let id = self.world.resource_mut::<NextNetId>().take();
        let fields = EntityFields {
            kind: Some(KIND_PLAYER),
            x: Some(position_to_wire(spawn.x)),
            y: Some(position_to_wire(spawn.y)),
            angle: Some(0),
            name: Some(name.clone()),
            colour: Some(colour),
            health: Some(max_health),
            score: Some(0),
            kills: Some(0),
            deaths: Some(0),
            flags: Some(0),
            ..Default::default()
        };
        let entity = self
            .world
            .spawn((
                (
                    Player {
                        client,
                        name,
                        colour,
                    },
                    Position(spawn),
                    Velocity::default(),
                    Facing(0.0),
                ),
                (
                    Health(max_health),
                    Stats::default(),
                    Life::default(),
                    Weapon::default(),
                    InputQueue::default(),
                ),
                (id, NetFields(fields), NetSent::default()),
            ))
            .id();
        self.world
            .resource_mut::<Clients>()
            .0
            .insert(client, entity);
        id.0
    }

    /// Hands `old`'s player to the connection `new` (a resumed session). False when `old` has no player or
    /// `new` already has one.
    pub fn rebind(&mut self, old: ClientKey, new: ClientKey) -> bool {
        let mut clients = self.world.resource_mut::<Clients>();
        if clients.0.contains_key(&new) {
            return false;
        }
        let Some(entity) = clients.0.remove(&old) else {
            return false;
        };
        clients.0.insert(new, entity);
        if let Some(mut player) = self.world.get_mut::<Player>(entity) {
            player.client = new;
        }
        self.record(Entry::Rebind(old, new));
        true
    }

    /// Removes `client`'s player, if any.
    pub fn leave(&mut self, client: ClientKey) {
        if self.spectators.remove(&client) {
            self.record(Entry::Leave(client));
        }
        if let Some(entity) = self.world.resource_mut::<Clients>().0.remove(&client) {
            self.record(Entry::Leave(client));
            self.world.despawn(entity);
        }
    }

    /// Offers a decoded input from `client`; it is validated and queued for the coming ticks.
    pub fn push_input(&mut self, client: ClientKey, input: &Input) -> InputVerdict {
        let Some(&entity) = self.world.resource::<Clients>().0.get(&client) else {
            return InputVerdict::NoPlayer;
        };
        self.record(Entry::Input(
            client,
            input.seq,
            input.dx,
            input.dy,
            input.aim,
            input.buttons,
        ));
        let queue_len = self.world.resource::<RulesAsset>().input_queue_len;
        let verdict = if let Some(mut queue) = self.world.get_mut::<InputQueue>(entity) {
            movement::offer_input(&mut queue, input, queue_len)
        } else {
            match self.world.get_mut::<scenario::crowd::Walker>(entity) {
                Some(mut walker) => scenario::crowd::offer_input(&mut walker, input),
                None => InputVerdict::NoPlayer,
            }
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

    /// Queues an event (for example an operator message) for the next step's delta.
    pub fn push_event(&mut self, event: Event) {
        self.world.resource_mut::<PendingEvents>().0.push(event);
    }

    /// Runs one fixed step and returns what changed in it. Systems see [`Sim::tick`] already advanced: the
    /// number of the state they compute.
    pub fn step(&mut self) -> &TickChanges {
        // Events raised between steps (a tick-rate change, an operator message) belong to this step's output.
        let pending = std::mem::take(&mut self.world.resource_mut::<PendingEvents>().0);
        let mut changes = self.world.resource_mut::<TickChanges>();
        changes.clear();
        changes.events.extend(pending);
        self.world.resource_mut::<Tick>().0 += 1;
        self.schedule.run(&mut self.world);
        if let Some((interest, grid)) = &mut self.interest {
            // Entities as clients hold them: replicated, at their wire position — or, for one that flies in a
            // straight line (a projectile), where clients draw it now.
            let (tick, rate) = (self.world.resource::<Tick>().0, i64::from(self.tick_rate));
            let placed = self.positions.iter(&self.world).filter_map(|(id, sent)| {
                let f = sent.0.as_ref()?;
                let (mut x, mut y) = (f.x?, f.y?);
                if let (Some(vx), Some(vy), Some(since)) = (f.vx, f.vy, f.since) {
                    let ticks = i64::from(tick.saturating_sub(since));
                    let along =
                        |p: i32, v: i32| (i64::from(p) + i64::from(v) * ticks / rate) as i32;
                    (x, y) = (along(x, vx), along(y, vy));
                }
                Some((id.0, x, y))
            });
            *grid = std::sync::Arc::new(interest::Grid::build(interest, grid, placed));
        }
        self.world.resource::<TickChanges>()
    }

    /// The map's interest grid geometry, if clients see only what is near them.
    pub fn interest(&self) -> Option<interest::Interest> {
        self.interest.as_ref().map(|(i, _)| *i)
    }

    /// Where every replicated entity was after the last step (with interest management).
    pub fn grid(&self) -> Option<std::sync::Arc<interest::Grid>> {
        self.interest.as_ref().map(|(_, g)| g.clone())
    }

    /// The fields clients hold for each of `ids` now (ids without a replicated entity are left out).
    pub fn states(&self, ids: &[EntityId]) -> Vec<EntityState> {
        let index = self.world.resource::<replication::NetIndex>();
        ids.iter()
            .filter_map(|&id| {
                let sent = self.world.get::<NetSent>(*index.entities.get(&id)?)?;
                Some(EntityState {
                    id,
                    fields: sent.0.clone()?,
                })
            })
            .collect()
    }

    /// Takes the changes of the last step out of the world (leaving them empty), to share them without a copy.
    pub fn take_changes(&mut self) -> TickChanges {
        std::mem::take(&mut *self.world.resource_mut::<TickChanges>())
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
        let Some(e) = self.client_entity(client) else {
            return 0;
        };
        if let Some(q) = self.world.get::<InputQueue>(e) {
            return q.last_applied;
        }
        self.world
            .get::<scenario::crowd::Walker>(e)
            .map_or(0, |w| w.seq)
    }

    /// The entity id of `client`'s player.
    pub fn player_id(&self, client: ClientKey) -> Option<EntityId> {
        self.client_entity(client)
            .and_then(|e| self.world.get::<NetId>(e))
            .map(|id| id.0)
    }

    /// The name `client`'s player plays under (the name asked for, cleaned and made distinct: `ann #2`).
    pub fn player_name(&self, client: ClientKey) -> Option<String> {
        self.client_entity(client)
            .and_then(|e| self.world.get::<Player>(e))
            .map(|p| p.name.clone())
    }

    /// The world position of `client`'s player.
    pub fn player_position(&self, client: ClientKey) -> Option<Vec2> {
        self.client_entity(client)
            .and_then(|e| self.world.get::<Position>(e))
            .map(|p| p.0)
    }

    /// The scoreboard: every player, best score first (ties by fewer deaths, then id).
    pub fn scoreboard(&mut self) -> Vec<ScoreRow> {
        let mut rows: Vec<ScoreRow> = self
            .world
            .query::<(&Player, &NetId, &Stats)>()
            .iter(&self.world)
            .map(|(p, id, s)| ScoreRow {
                client: p.client,
                id: id.0,
                name: p.name.clone(),
                kills: s.kills,
                deaths: s.deaths,
                score: s.score,
            })
            .collect();
        rows.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.deaths.cmp(&b.deaths))
                .then(a.id.cmp(&b.id))
        });
        rows
    }

    /// A hash of the whole simulation state (replicated fields and exact positions), for determinism checks.
    pub fn state_hash(&mut self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.tick().hash(&mut h);
        let mut rows: Vec<(u32, EntityFields, [u32; 2])> = self
            .world
            .query::<(&NetId, &NetFields, &Position)>()
            .iter(&self.world)
            .map(|(id, f, p)| (id.0, f.0.clone(), [p.0.x.to_bits(), p.0.y.to_bits()]))
            .collect();
        rows.sort_by_key(|r| r.0);
        rows.hash(&mut h);
        h.finish()
    }

    /// Input counters since start.
    pub fn input_stats(&self) -> InputStats {
        *self.world.resource::<InputStats>()
    }

    /// The number of clients in the world (players and spectators).
    pub fn player_count(&self) -> usize {
        self.world.resource::<Clients>().0.len() + self.spectators.len()
    }

    /// Which world this simulation runs.
    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// Direct access to the world, for tests and tools that inspect state.
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    fn client_entity(&self, client: ClientKey) -> Option<Entity> {
        self.world.resource::<Clients>().0.get(&client).copied()
    }

    /// Makes a name distinguishable from the names of players already in the game by appending ` #2`, ` #3`, …
    fn distinct_name(&mut self, name: &str) -> String {
        let taken: Vec<String> = self
            .world
            .query::<&Player>()
            .iter(&self.world)
            .map(|p| p.name.clone())
            .collect();
        if !taken.iter().any(|t| t == name) {
            return name.to_string();
        }
        (2u32..)
            .map(|n| {
                let suffix = format!(" #{n}");
                let keep = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
                format!(
                    "{}{suffix}",
                    name.chars().take(keep).collect::<String>().trim_end()
                )
            })
            .find(|candidate| !taken.contains(candidate))
            .unwrap_or_else(|| name.to_string())
    }
}

/// Players whose client-visible state changed this tick.
pub type ChangedPlayer = (
    With<Player>,
    Or<(
        Changed<Position>,
        Changed<Facing>,
        Changed<Health>,
        Changed<Stats>,
        Changed<Life>,
    )>,
);

/// Writes players' client-visible state into their [`NetFields`], only where it changed at wire precision.
pub fn export_players(
    mut players: Query<(&Position, &Facing, &Health, &Stats, &Life, &mut NetFields), ChangedPlayer>,
) {
    for (pos, facing, health, stats, life, mut fields) in &mut players {
        let now = EntityFields {
            x: Some(position_to_wire(pos.0.x)),
            y: Some(position_to_wire(pos.0.y)),
            angle: Some(angle_to_wire(facing.0)),
            health: Some(health.0),
            score: Some(stats.score),
            kills: Some(stats.kills),
            deaths: Some(stats.deaths),
            flags: Some(if life.alive() { 0 } else { FLAG_DEAD }),
            ..Default::default()
        };
        if !now.changed_since(&fields.0).is_empty() {
            fields.0.apply(&now);
        }
    }
}

/// Cleans a requested display name: every run of whitespace (tabs and newlines too) becomes one space, control
/// characters and invisible formatting characters go ([`invisible`]), the ends are trimmed and at most
/// [`MAX_NAME_CHARS`] characters are kept; an empty result becomes `player`. So `alice` followed by a zero-width
/// space, or a name that reverses its text with a direction override, cannot pass for another player's name.
pub fn clean_name(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut cleaned = String::new();
    let mut space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            space = !cleaned.is_empty();
            continue;
        }
        let joiner = matches!(c, '\u{200C}' | '\u{200D}');
        // A joiner shapes the characters on both sides (Persian and Indic scripts, emoji sequences): kept between
        // two non-ASCII characters, dropped elsewhere (where it only hides).
        let shaping = joiner
            && i > 0
            && !chars[i - 1].is_ascii()
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_ascii() && !n.is_whitespace());
        if c.is_control() || (invisible(c) && !shaping) {
            continue;
        }
        if space {
            cleaned.push(' ');
            space = false;
        }
        cleaned.push(c);
    }
    let cleaned: String = cleaned.chars().take(MAX_NAME_CHARS).collect();
    let cleaned = cleaned.trim_end().to_string();
    if cleaned.is_empty() {
        "player".to_string()
    } else {
        cleaned
    }
}

/// Characters that draw nothing themselves: zero-width spaces and joiners, direction marks, embeddings,
/// overrides and isolates, the soft hyphen, word joiners and invisible operators, fillers, variation selectors,
/// the byte-order mark, interlinear annotation marks and tag characters.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

#[cfg(test)]
mod tests;
