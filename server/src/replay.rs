//! `tickwire-server --replay FILE`: plays a recording (from `--record`) back in a fresh simulation, as fast as
//! the machine goes, and tells how the match went. The simulation is deterministic, so this is the match as it
//! was played: the same ticks, the same kills, the same final scoreboard.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use tickwire_sim::{
    ChunkReader, ClientKey, Ending, Entry, Recording, RecordingError, ScoreRow, Sim, SimError,
};

/// Why a recording could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a recording this build reads.
    #[error("{}", path.display())]
    Recording {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: RecordingError,
    },
    /// The recording's configuration or entries were refused by the simulation.
    #[error("the recording does not replay")]
    Sim(#[from] SimError),
}

/// One player's part in a replayed match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Life {
    /// The name asked for at the join (the name played under is in `row`).
    pub asked: String,
    /// The tick of the join.
    pub joined: u32,
    /// The tick of the leave, if the player left before the end.
    pub left: Option<u32>,
    /// The player's scoreboard row when they left, or at the end (`None`: the connection never had a player).
    pub row: Option<ScoreRow>,
}

/// A replayed match.
#[derive(Debug)]
pub struct Replayed {
    /// The recording file.
    pub path: PathBuf,
    /// The recording's start (map, rules, rate, seed), without its entries (read and replayed a chunk at a time,
    /// never held whole), and `end_tick`, where it ends.
    pub recording: Recording,
    /// How the file ended.
    pub ending: Ending,
    /// The simulation at the recording's last tick.
    pub sim: Sim,
    /// Everyone who joined, in order of joining.
    pub players: Vec<Life>,
    /// `(tick, hz)`: the tick rate at the start (tick 0) and after each change.
    pub rates: Vec<(u32, u16)>,
    /// Entries replayed, by kind.
    pub joins: usize,
    /// Leaves replayed.
    pub leaves: usize,
    /// Inputs replayed.
    pub inputs: usize,
    /// How long the replay took.
    pub took: std::time::Duration,
}

/// Reads and replays the recording at `path` a chunk at a time (memory does not grow with the match), following
/// every player from join to leave (or the end).
pub fn replay(path: &Path) -> Result<Replayed, ReplayError> {
    let read_error = |source| ReplayError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let len = file.metadata().map_err(read_error)?.len();
    let mut chunks = ChunkReader::new(std::io::BufReader::with_capacity(256 * 1024, file), len)
        .map_err(|source| ReplayError::Recording {
            path: path.to_path_buf(),
            source,
        })?;
    let started = std::time::Instant::now();
    let mut recording = chunks.start().clone();
    let mut sim = Sim::for_replay(&recording)?;
    let mut players: Vec<Life> = Vec::new();
    let mut playing: HashMap<ClientKey, usize> = HashMap::new();
    let mut rates = vec![(0, recording.tick_rate)];
    let (mut joins, mut leaves, mut inputs) = (0, 0, 0);
    for chunk in &mut chunks {
        for (tick, entry) in &chunk.entries {
            sim.step_to(*tick);
            match entry {
                Entry::Join(client, name) => {
                    joins += 1;
                    playing.insert(*client, players.len());
                    players.push(Life {
                        asked: name.clone(),
                        joined: sim.tick(),
                        left: None,
                        row: None,
                    });
                }
                Entry::Leave(client) => {
                    leaves += 1;
                    if let Some(i) = playing.remove(client) {
                        players[i].left = Some(sim.tick());
                        players[i].row = sim.scoreboard().into_iter().find(|r| r.client == *client);
                    }
                }
                Entry::Rebind(old, new) => {
                    if let Some(i) = playing.remove(old) {
                        playing.insert(*new, i);
                    }
                }
                Entry::TickRate(hz) => rates.push((sim.tick(), *hz)),
                Entry::Input(..) => inputs += 1,
            }
            sim.apply_entry(entry)?;
        }
        sim.step_to(chunk.through);
    }
    recording.end_tick = chunks.end_tick();
    let ending = chunks.ending().cloned().unwrap_or(Ending::Open);
    for row in sim.scoreboard() {
        if let Some(&i) = playing.get(&row.client) {
            players[i].row = Some(row);
        }
    }
    Ok(Replayed {
        path: path.to_path_buf(),
        recording,
        ending,
        sim,
        players,
        rates,
        joins,
        leaves,
        inputs,
        took: started.elapsed(),
    })
}

impl Replayed {
    /// Seconds of play from the start to `tick`, following the tick rate's changes.
    pub fn seconds_at(&self, tick: u32) -> f64 {
        let mut seconds = 0.0;
        for (i, &(from, hz)) in self.rates.iter().enumerate() {
            if from >= tick {
                break;
            }
            let until = self.rates.get(i + 1).map_or(tick, |&(t, _)| t.min(tick));
            seconds += f64::from(until - from) / f64::from(hz.max(1));
        }
        seconds
    }
}

/// `n word`, with an `s` unless `n` is 1.
fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl fmt::Display for Replayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.recording;
        let (joins, leaves, inputs) = (self.joins, self.leaves, self.inputs);
        let ending = match &self.ending {
            Ending::Finished => "finished".to_string(),
            Ending::Open => {
                "still open: the server is running, or was stopped without finishing it".into()
            }
            Ending::CutShort { bytes } => format!(
                "cut short inside its last chunk, probably killed mid-write: {bytes} bytes ignored"
            ),
            Ending::Damaged { bytes, error } => {
                format!("damaged: {error}; the {bytes} bytes from there on are ignored")
            }
        };
        writeln!(f, "recording {} ({ending})", self.path.display())?;
        writeln!(
            f,
            "  {} on a {}x{} map, seed {}",
            format!("{:?}", r.scenario).to_lowercase(),
            r.map.width,
            r.map.height,
            r.seed
        )?;
        let mut rates = format!("{} Hz at the start", r.tick_rate);
        for &(tick, hz) in &self.rates[1..] {
            rates.push_str(&format!(
                ", {hz} Hz from tick {tick} ({:.1} s)",
                self.seconds_at(tick)
            ));
        }
        writeln!(
            f,
            "  {} ticks, {:.1} s of play: {rates}",
            r.end_tick,
            self.seconds_at(r.end_tick)
        )?;
        writeln!(
            f,
            "  {}, {}, {}",
            count(joins, "join"),
            count(leaves, "leave"),
            count(inputs, "input")
        )?;
        writeln!(
            f,
            "replayed to tick {} in {:.2} s",
            self.sim.tick(),
            self.took.as_secs_f64()
        )?;
        if self.players.is_empty() {
            return writeln!(f, "nobody joined");
        }
        let mut lives: Vec<&Life> = self.players.iter().collect();
        // Best score first, as the scoreboard ranks (players without a row last, in order of joining).
        lives.sort_by(|a, b| match (&a.row, &b.row) {
            (Some(a), Some(b)) => b
                .score
                .cmp(&a.score)
                .then(a.deaths.cmp(&b.deaths))
                .then(a.id.cmp(&b.id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.joined.cmp(&b.joined),
        });
        let name = |l: &Life| l.row.as_ref().map_or(l.asked.clone(), |r| r.name.clone());
        let width = lives
            .iter()
            .map(|l| name(l).chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        let still = self.players.iter().filter(|l| l.left.is_none()).count();
        writeln!(
            f,
            "players ({} in all, {still} at the end; best score first)",
            self.players.len()
        )?;
        writeln!(
            f,
            "  {:>4}  {:<width$}  {:>8}  {:>8}  {:>5}  {:>6}  {:>5}",
            "rank", "name", "joined", "left", "kills", "deaths", "score"
        )?;
        for (rank, life) in lives.iter().enumerate() {
            let left = life
                .left
                .map_or("-".to_string(), |t| format!("{:.1} s", self.seconds_at(t)));
            let (kills, deaths, score) = life.row.as_ref().map_or(
                ("-".to_string(), "-".to_string(), "-".to_string()),
                |r| {
                    (
                        r.kills.to_string(),
                        r.deaths.to_string(),
                        r.score.to_string(),
                    )
                },
            );
            writeln!(
                f,
                "  {:>4}  {:<width$}  {:>8}  {:>8}  {:>5}  {:>6}  {:>5}",
                rank + 1,
                name(life),
                format!("{:.1} s", self.seconds_at(life.joined)),
                left,
                kills,
                deaths,
                score
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwire_sim::{MapAsset, RulesAsset, Scenario, SimConfig};

    #[test]
    fn a_replay_follows_every_player_and_the_tick_rate() {
        let mut live = Sim::new(SimConfig {
            map: MapAsset::default_map(),
            rules: RulesAsset::default_rules(),
            tick_rate: 30,
            seed: 3,
            scenario: Scenario::default(),
        })
        .expect("sim");
        let mut file = live.start_recording();
        live.join(1, "ada");
        live.join(2, "bob");
        live.join(3, "cy");
        let mut bob_at_leave = None;
        for tick in 0..120u32 {
            match tick {
                30 => live.set_tick_rate(60).expect("60 Hz"),
                60 => {
                    bob_at_leave = live.scoreboard().into_iter().find(|r| r.client == 2);
                    live.leave(2);
                }
                // cy's connection drops and a new one (key 4) resumes the player.
                70 => assert!(live.rebind(3, 4)),
                90 => live.set_tick_rate(20).expect("20 Hz"),
                _ => {}
            }
            let a = tick as f32 * 0.1;
            for client in [1, 2, if tick < 70 { 3 } else { 4 }] {
                live.push_input(client, &Entry::input(tick, a.cos(), a.sin(), a, 1));
            }
            live.step();
            if let Some(mut chunk) = live.take_chunk() {
                chunk.last = tick == 119;
                chunk.encode_into(&mut file);
            }
        }
        let path = std::env::temp_dir().join(format!("tickwire-replay-{}.rec", std::process::id()));
        std::fs::write(&path, &file).expect("write");
        let replayed = replay(&path).expect("replays");
        let _ = std::fs::remove_file(&path);
        assert_eq!(replayed.sim.tick(), 120);
        assert_eq!(replayed.ending, Ending::Finished);
        // 30 ticks at 30 Hz, 60 at 60 Hz, 30 at 20 Hz.
        assert_eq!(replayed.seconds_at(120), 3.5);
        assert_eq!(replayed.seconds_at(60), 1.5);
        let end = live.scoreboard();
        let row = |client| end.iter().find(|r| r.client == client).cloned();
        assert_eq!(
            replayed.players,
            vec![
                Life {
                    asked: "ada".into(),
                    joined: 0,
                    left: None,
                    row: row(1)
                },
                Life {
                    asked: "bob".into(),
                    joined: 0,
                    left: Some(60),
                    row: bob_at_leave
                },
                Life {
                    asked: "cy".into(),
                    joined: 0,
                    left: None,
                    // Followed through the resume: the row under the new connection's key.
                    row: row(4)
                },
            ]
        );
        let text = replayed.to_string();
        for expected in [
            "(finished)",
            "120 ticks, 3.5 s of play: 30 Hz at the start, 60 Hz from tick 30 (1.0 s), 20 Hz from tick 90 (2.0 s)",
            "3 joins, 1 leave, 300 inputs",
            "replayed to tick 120",
            "players (3 in all, 2 at the end; best score first)",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} is missing from:\n{text}"
            );
        }
        let bob = text
            .lines()
            .find(|l| l.contains("bob"))
            .expect("bob's line");
        assert_eq!(
            bob.split_whitespace().collect::<Vec<_>>()[1..6],
            ["bob", "0.0", "s", "1.5", "s"],
            "joined at the start, left 1.5 s in: {bob}"
        );

        // The same file cut inside its last chunk: the match up to the chunk before, and the reason.
        std::fs::write(&path, &file[..file.len() - 3]).expect("write");
        let cut = replay(&path).expect("replays");
        let _ = std::fs::remove_file(&path);
        assert_eq!(cut.sim.tick(), 119);
        assert!(
            cut.to_string().contains("cut short inside its last chunk"),
            "{cut}"
        );
    }

    #[test]
    fn what_is_not_a_recording_is_named() {
        let path = std::env::temp_dir().join(format!("tickwire-notrec-{}.txt", std::process::id()));
        std::fs::write(&path, "hello").expect("write");
        let e = replay(&path).expect_err("not a recording");
        let _ = std::fs::remove_file(&path);
        let text = format!("{:#}", anyhow_like(&e));
        assert!(text.contains("not a tickwire recording"), "{text}");
        let e = replay(Path::new("/nonexistent/match.rec")).expect_err("missing");
        assert!(
            e.to_string().contains("cannot read /nonexistent/match.rec"),
            "{e}"
        );
    }

    /// The error and its causes on one line, as the binary prints them.
    fn anyhow_like(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}
