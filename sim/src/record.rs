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
//! 2. any number of [`Chunk`]s, arrays `[through, entries, last]`: `entries` are `(tick, entry)` pairs in the
//!    order they entered the simulation, after them the simulation had completed `through` steps, and `last` is
//!    true on the chunk written when the recording was finished (the server stopped).
//!
//! The recording ends at the last whole chunk's `through`: a file cut short inside a chunk (the process was
//! killed mid-write) reads as the match up to the chunk before, and [`Recording::read`] says how the file ended
//! ([`Ending`]). There is no checksum: damage that makes a chunk's length run past the end of the file reads as a
//! file cut short (the chunks before it still replay), and damage inside values that still decode is not seen.

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
    /// The recording's last chunk: the recording was finished (the server stopped), not cut off.
    #[serde(default)]
    pub last: bool,
}

/// How a recording file ended, as [`Recording::read`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// With the last chunk: the recording was finished (the server stopped).
    Finished,
    /// After a whole chunk, without the last one: the recording was still being written (the server is still
    /// running), or the process was killed between two writes.
    Open,
    /// Inside a chunk: the process was killed while writing it. Its `bytes` are ignored.
    CutShort {
        /// Bytes ignored at the end.
        bytes: usize,
    },
    /// At bytes that are not a chunk (the file was damaged or appended to). They, and all after them, are
    /// ignored.
    Damaged {
        /// Bytes ignored at the end.
        bytes: usize,
        /// What is wrong with them.
        error: String,
    },
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
            last: true,
        };
        chunk.encode_into(&mut bytes);
        bytes
    }

    /// Reads a recording file (see [the module](self)): the header, then every whole chunk. A file cut short
    /// inside its last chunk reads as the recording up to the chunk before; a damaged one is an error (see
    /// [`Recording::read`] for a reading that keeps what precedes the damage).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecordingError> {
        match Self::read(bytes)? {
            (_, Ending::Damaged { bytes, error }) => Err(RecordingError::Decode(format!(
                "{error} ({bytes} bytes from there to the end)"
            ))),
            (recording, _) => Ok(recording),
        }
    }

    /// Reads a recording file and says how it ended: every whole chunk up to the end, or up to bytes that are not
    /// a chunk. Only a file without a readable header is an error. (A long match's file is better replayed a
    /// chunk at a time: [`ChunkReader`].)
    pub fn read(bytes: &[u8]) -> Result<(Self, Ending), RecordingError> {
        let mut reader = ChunkReader::new(bytes, bytes.len() as u64)?;
        let mut recording = reader.start().clone();
        for chunk in &mut reader {
            recording.entries.extend(chunk.entries);
        }
        recording.end_tick = reader.end_tick();
        let ending = reader.ending().cloned().unwrap_or(Ending::Open);
        Ok((recording, ending))
    }
}

/// Reads a recording file a chunk at a time, so that replaying a long match never holds all of it: the header
/// when created, then a [`Chunk`] per [`Iterator::next`] until the end, or until bytes that are not a chunk
/// ([`ChunkReader::ending`] then says which).
#[derive(Debug)]
pub struct ChunkReader<R> {
    input: Counted<R>,
    /// The file's length.
    len: u64,
    /// The header, as a recording without entries.
    start: Recording,
    end_tick: u32,
    /// The last chunk was read.
    finished: bool,
    ending: Option<Ending>,
}

/// A reader that counts what it read.
#[derive(Debug)]
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: std::io::Read> ChunkReader<R> {
    /// Reads and checks the header of a recording file of `len` bytes (buffer a file: MessagePack is read a few
    /// bytes at a time).
    pub fn new(input: R, len: u64) -> Result<Self, RecordingError> {
        if len == 0 {
            return Err(RecordingError::Decode("the file is empty".into()));
        }
        let mut input = Counted {
            inner: input,
            read: 0,
        };
        let header: Header = rmp_serde::from_read(&mut input).map_err(|e| {
            RecordingError::Decode(if cut_short(&e) {
                format!("the file ends inside its header ({len} bytes)")
            } else {
                format!(
                    "not a tickwire recording: it does not start with a recording's header ({e})"
                )
            })
        })?;
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
        // The map and rules get the checks a map or rules file gets: a damaged header must not reach the
        // simulation (a map without spawns, say).
        header
            .map
            .validate("the recording's map")
            .and_then(|()| header.rules.validate("the recording's rules"))
            .map_err(|e| RecordingError::Decode(e.to_string()))?;
        Ok(ChunkReader {
            input,
            len,
            start: Recording {
                map: header.map,
                rules: header.rules,
                tick_rate: header.tick_rate,
                seed: header.seed,
                scenario: header.scenario,
                entries: Vec::new(),
                end_tick: 0,
            },
            end_tick: 0,
            finished: false,
            ending: None,
        })
    }

    /// The recording's start: everything but the entries (which the chunks bring).
    pub fn start(&self) -> &Recording {
        &self.start
    }

    /// The steps completed after the last chunk read so far: where the recording ends once all are read.
    pub fn end_tick(&self) -> u32 {
        self.end_tick
    }

    /// How the file ended, once [`Iterator::next`] returned `None`.
    pub fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }
}

impl<R: std::io::Read> Iterator for ChunkReader<R> {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        if self.ending.is_some() {
            return None;
        }
        let left = self.len.saturating_sub(self.input.read) as usize;
        let mut damaged = |error: String| {
            self.ending = Some(Ending::Damaged { bytes: left, error });
            None
        };
        if left == 0 {
            self.ending = Some(if self.finished {
                Ending::Finished
            } else {
                Ending::Open
            });
            return None;
        }
        if self.finished {
            return damaged(format!(
                "bytes after the recording's last chunk (tick {})",
                self.end_tick
            ));
        }
        let chunk: Chunk = match rmp_serde::from_read(&mut self.input) {
            Ok(chunk) => chunk,
            // Cut short inside its last chunk: the recording ends at the chunk before.
            Err(e) if cut_short(&e) => {
                self.ending = Some(Ending::CutShort { bytes: left });
                return None;
            }
            Err(e) => {
                return damaged(format!("not a chunk after tick {}: {e}", self.end_tick));
            }
        };
        if chunk.through < self.end_tick {
            return damaged(format!(
                "a chunk through tick {} follows one through tick {}",
                chunk.through, self.end_tick
            ));
        }
        self.end_tick = chunk.through;
        self.finished = chunk.last;
        Some(chunk)
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
                (2, Entry::TickRate(60)),
                (2, Entry::Rebind(1, 2)),
                (3, Entry::Leave(2)),
            ],
            end_tick: 5,
        }
    }

    fn chunk(through: u32, entries: &[(u32, Entry)], last: bool) -> Chunk {
        Chunk {
            through,
            entries: entries.to_vec(),
            last,
        }
    }

    /// The header, then chunks through ticks 1 (a join and an input), 3 (a tick-rate change and a rebind), 4
    /// (nothing) and 5 (a leave, the last); and where the header and each chunk end.
    fn file() -> (Vec<u8>, Vec<usize>) {
        let whole = recording();
        let mut file = whole.header();
        let mut ends = vec![file.len()];
        for c in [
            chunk(1, &whole.entries[..2], false),
            chunk(3, &whole.entries[2..4], false),
            chunk(4, &[], false),
            chunk(5, &whole.entries[4..], true),
        ] {
            c.encode_into(&mut file);
            ends.push(file.len());
        }
        (file, ends)
    }

    #[test]
    fn a_file_of_chunks_reads_as_one_recording_that_was_finished() {
        let (file, _) = file();
        assert_eq!(
            Recording::read(&file).expect("reads"),
            (recording(), Ending::Finished)
        );
        assert_eq!(Recording::from_bytes(&file).expect("reads"), recording());
        assert_eq!(
            Recording::read(&recording().to_bytes()).expect("reads"),
            (recording(), Ending::Finished)
        );
    }

    #[test]
    fn a_file_cut_inside_a_chunk_ends_at_the_chunk_before() {
        let (file, ends) = file();
        let whole = recording();
        // Cut at every byte inside every chunk (every kind of entry, its strings, tags and floats): the chunks
        // before it, and the cut bytes counted.
        let before = [(0, 0), (1, 2), (3, 4), (4, 4)];
        for (k, &(end_tick, entries)) in before.iter().enumerate() {
            for cut in ends[k] + 1..ends[k + 1] {
                let (read, ending) = Recording::read(&file[..cut]).expect("a prefix reads");
                assert_eq!(
                    (read.end_tick, &read.entries[..]),
                    (end_tick, &whole.entries[..entries]),
                    "cut at {cut}"
                );
                let bytes = cut - ends[k];
                assert_eq!(ending, Ending::CutShort { bytes }, "cut at {cut}");
                assert_eq!(Recording::from_bytes(&file[..cut]).expect("reads"), read);
            }
        }
        // At a chunk's end, before the last: still open.
        let (read, ending) = Recording::read(&file[..ends[2]]).expect("reads");
        assert_eq!((read.end_tick, ending), (3, Ending::Open));
        // Only the header: a recording of nothing, at tick 0.
        let header = recording().header();
        assert_eq!(
            Recording::read(&header).expect("reads"),
            (
                Recording {
                    entries: Vec::new(),
                    end_tick: 0,
                    ..recording()
                },
                Ending::Open
            )
        );
    }

    #[test]
    fn damage_keeps_what_precedes_it() {
        let (file, ends) = file();
        // A chunk that is not one (wrong data, not cut short).
        let mut damaged = file[..ends[1]].to_vec();
        damaged.extend(rmp_serde::to_vec(&"not a chunk").expect("encode"));
        damaged.extend_from_slice(&file[ends[1]..]);
        let (read, ending) = Recording::read(&damaged).expect("reads up to the damage");
        assert_eq!(read.end_tick, 1);
        let Ending::Damaged { bytes, error } = ending else {
            panic!("{ending:?}");
        };
        assert_eq!(bytes, damaged.len() - ends[1]);
        assert!(error.contains("not a chunk after tick 1"), "{error}");
        let e = Recording::from_bytes(&damaged).expect_err("strict");
        assert!(e.to_string().contains("not a chunk after tick 1"), "{e}");
        // Bytes appended after the last chunk.
        let mut appended = file.clone();
        appended.extend_from_slice(b"trailing");
        let (read, ending) = Recording::read(&appended).expect("reads");
        assert_eq!(read, recording());
        assert!(
            matches!(&ending, Ending::Damaged { bytes: 8, error } if error.contains("after the recording's last chunk")),
            "{ending:?}"
        );
    }

    #[test]
    fn a_header_with_a_map_or_rules_a_file_could_not_have_is_refused() {
        let mut bad = recording();
        bad.map.spawns.clear();
        let e = Recording::read(&bad.header()).expect_err("no spawns");
        let text = e.to_string();
        assert!(
            text.contains("the recording's map") && text.contains("spawns"),
            "{text}"
        );
        let mut bad = recording();
        bad.rules.input_queue_len = 0;
        let e = Recording::read(&bad.header()).expect_err("no input queue");
        assert!(e.to_string().contains("input_queue_len"), "{e}");
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        let e = Recording::from_bytes(b"").expect_err("empty");
        assert!(e.to_string().contains("the file is empty"), "{e}");
        let e = Recording::from_bytes(&recording().header()[..100]).expect_err("cut header");
        assert!(
            e.to_string()
                .contains("the file ends inside its header (100 bytes)"),
            "{e}"
        );
        let e = Recording::from_bytes(b"{\"json\": true}").expect_err("json");
        assert!(e.to_string().contains("not a tickwire recording"), "{e}");
        let mut other = rmp_serde::to_vec(&("something-else", FORMAT)).expect("encode");
        other.extend_from_slice(&[0; 8]);
        let e = Recording::from_bytes(&other).expect_err("another magic");
        assert!(e.to_string().contains("not a tickwire recording"), "{e}");
    }
}
