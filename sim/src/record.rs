//! Recording and replay: everything that enters the simulation, with the tick it entered at.
//!
//! Because the simulation is deterministic (fixed `dt`, a seeded RNG, systems in a fixed order, no wall clock,
//! sorted outputs), feeding a [`Recording`] to a fresh [`Sim`](crate::Sim) reproduces the match tick for tick.
//! Recording is opt-in (the server's `--record FILE`): its memory grows with the inputs (about 20 bytes each).

use crate::assets::{MapAsset, RulesAsset};
use crate::components::ClientKey;
use serde::{Deserialize, Serialize};
use tickwire_shared::Input;

/// One thing that entered the simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Entry {
    /// A client joined with this requested name.
    Join(ClientKey, String),
    /// A client left.
    Leave(ClientKey),
    /// A client's input: seq, dx, dy, aim, buttons.
    Input(ClientKey, u32, f32, f32, f32, u8),
    /// The tick rate changed.
    TickRate(u16),
    /// A resumed connection took over a player: (old client, new client).
    Rebind(ClientKey, ClientKey),
}

impl Entry {
    /// The input as the protocol type.
    pub fn input(seq: u32, dx: f32, dy: f32, aim: f32, buttons: u8) -> Input {
        Input {
            seq,
            dx,
            dy,
            aim,
            buttons,
        }
    }
}

/// A whole match: the configuration it started with and every entry, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The map.
    pub map: MapAsset,
    /// The rules.
    pub rules: RulesAsset,
    /// The tick rate at the start.
    pub tick_rate: u16,
    /// The RNG seed.
    pub seed: u64,
    /// Which world ran.
    #[serde(default)]
    pub scenario: crate::Scenario,
    /// `(tick, entry)`: the entry was applied when `tick` steps had completed (before the next step).
    pub entries: Vec<(u32, Entry)>,
    /// The number of steps completed when the recording was taken.
    pub end_tick: u32,
}

/// Why a recording file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// Reading or writing failed.
    #[error("recording file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a recording.
    #[error("not a tickwire recording: {0}")]
    Decode(String),
}

impl Recording {
    /// Serialises the recording (MessagePack).
    pub fn to_bytes(&self) -> Vec<u8> {
        rmp_serde::to_vec(self).unwrap_or_default()
    }

    /// Reads a recording written by [`Recording::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecordingError> {
        rmp_serde::from_slice(bytes).map_err(|e| RecordingError::Decode(e.to_string()))
    }
}
