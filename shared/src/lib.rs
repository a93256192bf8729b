//! # tickwire-shared: the wire protocol, defined once
//!
//! Everything that crosses the socket is defined here and nowhere else: the server, the bots, the console and
//! the tests all use these types, so a change to the wire is a change to this crate. `docs/PROTOCOL.md` is the
//! prose form of the same definitions, written for someone implementing a client in another language.
//!
//! Every game message is one binary WebSocket frame holding exactly one MessagePack value: an array whose first
//! element is the message type. The modules split the protocol by direction:
//!
//! - [`client`]: client → server messages (hello, input, ping).
//! - [`server`]: server → client messages (welcome, snapshot, delta, pong, error).
//! - [`entity`]: the replicated entity fields and their fixed-point encodings.
//! - [`close`]: the WebSocket close codes tickwire uses and what each means.
//! - [`codec`]: encode/decode entry points and the decode error type.
//! - [`mirror`]: the client-side copy of the world, built by applying snapshots and deltas.
//! - [`admin`]: the operator console's messages (command, reply), spoken only on `/admin`.
//!
//! Besides the wire, [`duration`] holds the one duration syntax (`500ms`, `1m30s`, `3`) that the server, the bots,
//! the console and the server's config file all accept.

pub mod admin;
pub mod client;
pub mod close;
pub mod codec;
pub mod duration;
pub mod entity;
pub mod hint;
pub mod mirror;
mod read;
pub mod server;

pub use client::{ClientMessage, Hello, Input, Ping, ResumeToken};
pub use codec::{
    DecodeError, FrameHeader, decode_client, decode_server, encode_client, encode_client_into,
    encode_server, peek_header,
};
pub use duration::{DurationError, parse_duration};
pub use entity::{EntityFields, EntityId, EntityState};
pub use mirror::{Mirror, MirrorError};
pub use server::{
    Arena, Delta, Event, GameRules, Move, Pong, ProtocolError, ServerMessage, Snapshot, Wall,
    Welcome,
};

/// The protocol version a client must announce in its hello. Bumped on any incompatible wire change.
pub const PROTOCOL_VERSION: u32 = 2;

/// The HTTP path on which the server accepts game WebSocket connections.
pub const GAME_PATH: &str = "/ws";

/// Longest player name the server keeps, in characters (longer names are truncated).
pub const MAX_NAME_CHARS: usize = 16;

/// Input button bit: the fire button is held.
pub const BUTTON_FIRE: u8 = 0b0000_0001;
