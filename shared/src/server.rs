//! Server → client messages.
//!
//! Each is a MessagePack array whose first element is the type number:
//!
//! | type | message | shape |
//! |---|---|---|
//! | 0 | [`Welcome`]  | `[0, version, you, tick_rate, tick, arena, rules, resume]`, then `view` on a map with one |
//! | 1 | [`Snapshot`] | `[1, tick, ack, entities]` |
//! | 2 | [`Delta`]    | `[2, tick, base, ack, spawns, changes, despawns, events, moves]` |
//! | 3 | [`Pong`]     | `[3, client_time, server_tick]` |
//! | 4 | [`ProtocolError`] | `[4, code, message]` |

use crate::entity::{EntityId, EntityState};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A message from the server to a client.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// The answer to a hello: who you are and how the world runs.
    Welcome(Welcome),
    /// The whole world, sent after the welcome and whenever a client must resynchronise.
    Snapshot(Snapshot),
    /// What changed in one tick.
    Delta(Delta),
    /// The answer to a ping.
    Pong(Pong),
    /// Why the server is about to close the connection.
    Error(ProtocolError),
}

/// Sent once, right after a valid hello.
#[derive(Debug, Clone, PartialEq)]
pub struct Welcome {
    /// The server's protocol version.
    pub version: u32,
    /// The id of the entity this client controls.
    pub you: EntityId,
    /// Ticks per second of the simulation (and of deltas).
    pub tick_rate: u16,
    /// The server tick at the moment of joining.
    pub tick: u32,
    /// The static arena geometry.
    pub arena: Arena,
    /// The game's tuning numbers a client needs to predict and draw.
    pub rules: GameRules,
    /// The token to present in a later hello to get this player back after a dropped connection.
    pub resume: crate::client::ResumeToken,
    /// With interest management, the half-size in world units of the square around the client's own player
    /// inside which it receives every entity (entities come into and leave its world as they cross into and out
    /// of view); `None` when every client sees the whole arena, and then the welcome has 8 elements, not 9 (a
    /// decoder also accepts nil).
    pub view: Option<f32>,
}

/// Tuning numbers the client needs: `[player_speed, player_radius, projectile_radius, max_health]`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GameRules {
    /// Player speed, units per second (one input moves `player_speed / tick_rate`).
    pub player_speed: f32,
    /// Player collision radius, units.
    pub player_radius: f32,
    /// Projectile radius, units.
    pub projectile_radius: f32,
    /// Full health.
    pub max_health: u16,
}

/// The arena's static geometry, in world units.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Arena {
    /// Width: x lies in [0, width].
    pub width: f32,
    /// Height: y lies in [0, height].
    pub height: f32,
    /// Solid axis-aligned rectangles.
    pub walls: Vec<Wall>,
}

/// A solid axis-aligned rectangle: `[x, y, w, h]`, its top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Wall {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// The full state of every entity at `tick`. Replaces whatever the client held.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// The server tick this state belongs to.
    pub tick: u32,
    /// The last input sequence number the server has applied for this client (0 before any).
    pub ack: u32,
    /// Every entity, with all its fields, in ascending id order.
    pub entities: Vec<EntityState>,
}

/// The changes that turn the state at tick `base` into the state at tick `tick`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Delta {
    /// The server tick this delta brings the client to.
    pub tick: u32,
    /// The tick of the state this delta applies to; it must equal the tick the client holds.
    pub base: u32,
    /// The last input sequence number the server has applied for this client (0 before any).
    pub ack: u32,
    /// New entities, with all their fields.
    pub spawns: Vec<EntityState>,
    /// Existing entities: only the fields that changed, never `x` or `y` (those go in `moves`).
    pub changes: Vec<EntityState>,
    /// Ids of removed entities.
    pub despawns: Vec<EntityId>,
    /// One-off events of this tick.
    pub events: Vec<Event>,
    /// Position changes of entities that exist at `base` and at `tick`, in strictly ascending id order.
    pub moves: Vec<Move>,
}

/// How far one entity's wire position moved between a delta's `base` and its `tick`.
///
/// On the wire all of a delta's moves are one flat array `[gap, dx, dy, gap, dx, dy, ...]` (see [`Delta`] and
/// docs/PROTOCOL.md): `gap` is the id minus the previous move's id (the first one minus 0), so the ids are
/// strictly ascending and every gap after the first is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Move {
    /// The entity.
    pub id: EntityId,
    /// Change of `x`, in 1/16 world units (0 when x did not change).
    pub dx: i32,
    /// Change of `y`, in 1/16 world units (0 when y did not change).
    pub dy: i32,
}

/// Serialises moves as the flat `[gap, dx, dy, ...]` array. Fails when the ids are not strictly ascending.
pub(crate) struct MovesOut<'a>(pub(crate) &'a [Move]);

impl Serialize for MovesOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(3 * self.0.len()))?;
        let mut prev: Option<EntityId> = None;
        for m in self.0 {
            let gap = match prev {
                None => m.id,
                Some(p) if m.id > p => m.id - p,
                Some(p) => {
                    return Err(S::Error::custom(format_args!(
                        "moves must be in strictly ascending id order ({} after {p})",
                        m.id
                    )));
                }
            };
            prev = Some(m.id);
            seq.serialize_element(&gap)?;
            seq.serialize_element(&m.dx)?;
            seq.serialize_element(&m.dy)?;
        }
        seq.end()
    }
}

/// A one-off occurrence that is not entity state.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `[0, killer, victim]`: one entity killed another.
    Kill {
        /// The entity credited with the kill.
        killer: EntityId,
        /// The entity that died.
        victim: EntityId,
    },
    /// `[1, text]`: a message from the server operator, shown to every player.
    Say {
        /// The text.
        text: String,
    },
    /// `[2, hz]`: the simulation now runs at `hz` ticks per second.
    TickRate {
        /// The new rate.
        hz: u16,
    },
}

/// The answer to a ping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pong {
    /// The `client_time` of the ping, unchanged.
    pub client_time: f64,
    /// The server tick when the ping was answered.
    pub server_tick: u32,
}

/// Sent just before the server closes a connection because of the client, with the same code as the close frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    /// The close code that follows (see [`crate::close`]).
    pub code: u16,
    /// A human-readable explanation.
    pub message: String,
}

pub(crate) const WELCOME: u8 = 0;
pub(crate) const SNAPSHOT: u8 = 1;
pub(crate) const DELTA: u8 = 2;
pub(crate) const PONG: u8 = 3;
pub(crate) const ERROR: u8 = 4;

impl Serialize for Arena {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.width, self.height, &self.walls).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Arena {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (width, height, walls) = <(f32, f32, Vec<Wall>)>::deserialize(deserializer)?;
        Ok(Arena {
            width,
            height,
            walls,
        })
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Event::Kill { killer, victim } => (0u8, killer, victim).serialize(serializer),
            Event::Say { text } => (1u8, text).serialize(serializer),
            Event::TickRate { hz } => (2u8, hz).serialize(serializer),
        }
    }
}

impl Serialize for ServerMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ServerMessage::Welcome(w) => {
                // Without a view the welcome keeps its 8 elements, so clients older than `view` still read it.
                let mut t = serializer.serialize_tuple(if w.view.is_some() { 9 } else { 8 })?;
                t.serialize_element(&WELCOME)?;
                t.serialize_element(&w.version)?;
                t.serialize_element(&w.you)?;
                t.serialize_element(&w.tick_rate)?;
                t.serialize_element(&w.tick)?;
                t.serialize_element(&w.arena)?;
                t.serialize_element(&w.rules)?;
                t.serialize_element(serde_bytes::Bytes::new(&w.resume))?;
                if let Some(view) = &w.view {
                    t.serialize_element(view)?;
                }
                t.end()
            }
            ServerMessage::Snapshot(s) => {
                let mut t = serializer.serialize_tuple(4)?;
                t.serialize_element(&SNAPSHOT)?;
                t.serialize_element(&s.tick)?;
                t.serialize_element(&s.ack)?;
                t.serialize_element(&s.entities)?;
                t.end()
            }
            ServerMessage::Delta(d) => {
                let mut t = serializer.serialize_tuple(9)?;
                t.serialize_element(&DELTA)?;
                t.serialize_element(&d.tick)?;
                t.serialize_element(&d.base)?;
                t.serialize_element(&d.ack)?;
                t.serialize_element(&d.spawns)?;
                t.serialize_element(&d.changes)?;
                t.serialize_element(&d.despawns)?;
                t.serialize_element(&d.events)?;
                t.serialize_element(&MovesOut(&d.moves))?;
                t.end()
            }
            ServerMessage::Pong(p) => (PONG, p.client_time, p.server_tick).serialize(serializer),
            ServerMessage::Error(e) => (ERROR, e.code, &e.message).serialize(serializer),
        }
    }
}
