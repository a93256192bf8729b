//! Recording and replay: everything that enters the simulation, with the tick it entered at.
//!
//! Because the simulation is deterministic (fixed `dt`, a seeded RNG, systems in a fixed order, no wall clock,
//! sorted outputs), feeding a [`Recording`] to a fresh [`Sim`](crate::Sim) reproduces the match tick for tick.
//! Recording is opt-in (the server's `--record FILE`).
//!
//! # The file
//!
//! A recording file is a sequence of MessagePack values, written as the match goes (so a crash loses only what
//! was not written yet, and nothing accumulates in memory):
//!
//! 1. a header, an array `[magic, format, map, rules, tick_rate, seed, scenario]`, where `magic` is the string
//!    `"tickwire-recording"` and `format` is [`FORMAT`];
//! 2. any number of [`Chunk`]s, arrays `[through, entries]`: `entries` are `(tick, entry)` pairs in the order
//!    they entered the simulation, and after them the simulation had completed `through` steps.
//!
//! The recording ends at the last whole chunk's `through`: a file cut short inside a chunk (the process was
//! killed mid-write) reads as the match up to the chunk before.

use crate::Scenario;
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
    pub scenario: Scenario,
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

/// The header's first element.
pub const MAGIC: &str = "tickwire-recording";

/// The version of the file layout this build writes and reads.
pub const FORMAT: u16 = 2;

/// The first value of a recording file: everything but the entries.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    magic: String,
    format: u16,
    map: MapAsset,
    rules: RulesAsset,
    tick_rate: u16,
    seed: u64,
    scenario: Scenario,
}

/// A stretch of a recording, as written while the match runs: the entries since the chunk before, and the
/// number of steps the simulation had completed after them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Steps completed when the chunk was taken.
    pub through: u32,
    /// `(tick, entry)`, as in [`Recording::entries`].
    pub entries: Vec<(u32, Entry)>,
}

impl Chunk {
    /// Appends the chunk, encoded as it goes in a recording file, to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        // Into a `Vec`, encoding these types cannot fail.
        let _ = rmp_serde::encode::write(out, self);
    }
}

impl Recording {
    /// The header of this recording's file (what precedes the chunks).
    pub fn header(&self) -> Vec<u8> {
        let header = Header {
            magic: MAGIC.into(),
            format: FORMAT,
            map: self.map.clone(),
            rules: self.rules.clone(),
            tick_rate: self.tick_rate,
            seed: self.seed,
            scenario: self.scenario,
        };
        rmp_serde::to_vec(&header).unwrap_or_default()
    }

    /// The whole recording as a file: its header and one chunk holding every entry.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.header();
        let chunk = Chunk {
            through: self.end_tick,
            entries: self.entries.clone(),
        };
        chunk.encode_into(&mut bytes);
        bytes
    }

    /// Reads a recording file (see [the module](self)): the header, then every whole chunk.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecordingError> {
        let mut rest = bytes;
        let header: Header = rmp_serde::from_read(&mut rest)
            .map_err(|e| RecordingError::Decode(format!("no recording header ({e})")))?;
        if header.magic != MAGIC {
            return Err(RecordingError::Decode(format!(
                "the file starts with {:?}, not {MAGIC:?}",
                header.magic
            )));
        }
        if header.format != FORMAT {
            return Err(RecordingError::Decode(format!(
                "file format {} (this build reads {FORMAT})",
                header.format
            )));
        }
        let mut recording = Recording {
            map: header.map,
            rules: header.rules,
            tick_rate: header.tick_rate,
            seed: header.seed,
            scenario: header.scenario,
            entries: Vec::new(),
            end_tick: 0,
        };
        while !rest.is_empty() {
            let chunk: Chunk = match rmp_serde::from_read(&mut rest) {
                Ok(chunk) => chunk,
                // Cut short inside its last chunk: the recording ends at the chunk before.
                Err(e) if cut_short(&e) => break,
                Err(e) => {
                    return Err(RecordingError::Decode(format!(
                        "chunk after tick {}: {e}",
                        recording.end_tick
                    )));
                }
            };
            if chunk.through < recording.end_tick {
                return Err(RecordingError::Decode(format!(
                    "a chunk through tick {} follows one through tick {}",
                    chunk.through, recording.end_tick
                )));
            }
            recording.end_tick = chunk.through;
            recording.entries.extend(chunk.entries);
        }
        Ok(recording)
    }
}

/// Whether decoding failed because the bytes ran out.
fn cut_short(e: &rmp_serde::decode::Error) -> bool {
    use rmp_serde::decode::Error;
    match e {
        Error::InvalidMarkerRead(io) | Error::InvalidDataRead(io) => {
            io.kind() == std::io::ErrorKind::UnexpectedEof
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording() -> Recording {
        Recording {
            map: MapAsset::default_map(),
            rules: RulesAsset::default_rules(),
            tick_rate: 30,
            seed: 7,
            scenario: Scenario::default(),
            entries: vec![
                (0, Entry::Join(1, "ada".into())),
                (0, Entry::Input(1, 1, 1.0, 0.0, 0.5, 1)),
                (3, Entry::Leave(1)),
            ],
            end_tick: 5,
        }
    }

    #[test]
    fn a_file_of_chunks_reads_as_one_recording() {
        let whole = recording();
        let mut file = whole.header();
        for chunk in [
            Chunk {
                through: 1,
                entries: whole.entries[..2].to_vec(),
            },
            Chunk {
                through: 3,
                entries: Vec::new(),
            },
            Chunk {
                through: 5,
                entries: whole.entries[2..].to_vec(),
            },
        ] {
            chunk.encode_into(&mut file);
        }
        assert_eq!(Recording::from_bytes(&file).expect("reads"), whole);
        assert_eq!(
            Recording::from_bytes(&whole.to_bytes()).expect("reads"),
            whole
        );
    }

    #[test]
    fn a_file_cut_inside_a_chunk_ends_at_the_chunk_before() {
        let whole = recording();
        let mut file = whole.header();
        Chunk {
            through: 2,
            entries: whole.entries[..2].to_vec(),
        }
        .encode_into(&mut file);
        let whole_chunks = file.len();
        Chunk {
            through: 5,
            entries: whole.entries[2..].to_vec(),
        }
        .encode_into(&mut file);
        for cut in whole_chunks..file.len() {
            let read = Recording::from_bytes(&file[..cut]).expect("a prefix reads");
            assert_eq!(read.end_tick, 2, "cut at {cut}");
            assert_eq!(read.entries, whole.entries[..2]);
        }
        // Only the header: a recording of nothing, at tick 0.
        let header = whole.header();
        assert_eq!(Recording::from_bytes(&header).expect("reads").end_tick, 0);
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        let e = Recording::from_bytes(b"").expect_err("empty");
        assert!(e.to_string().contains("no recording header"), "{e}");
        let e = Recording::from_bytes(b"{\"json\": true}").expect_err("json");
        assert!(e.to_string().contains("not a tickwire recording"), "{e}");
        let mut other = rmp_serde::to_vec(&("something-else", FORMAT)).expect("encode");
        other.extend_from_slice(&[0; 8]);
        let e = Recording::from_bytes(&other).expect_err("another magic");
        assert!(e.to_string().contains("not a tickwire recording"), "{e}");
        // A chunk that is not one (not cut short: wrong data) is an error, not a silent end.
        let mut file = recording().header();
        file.extend(rmp_serde::to_vec(&"not a chunk").expect("encode"));
        let e = Recording::from_bytes(&file).expect_err("bad chunk");
        assert!(e.to_string().contains("chunk after tick 0"), "{e}");
    }
}
