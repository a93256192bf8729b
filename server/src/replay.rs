//! `tickwire-server --replay FILE`: plays a recording (from `--record`) back in a fresh simulation, as fast as
//! the machine goes, and tells how the match went. The simulation is deterministic, so this is the match as it
//! was played: the same ticks, the same kills, the same final scoreboard.

use std::fmt;
use std::path::{Path, PathBuf};
use tickwire_sim::{Entry, Recording, RecordingError, ScoreRow, Sim, SimError};

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

/// A replayed match.
#[derive(Debug)]
pub struct Replayed {
    /// The recording file.
    pub path: PathBuf,
    /// What it held.
    pub recording: Recording,
    /// The simulation at the recording's last tick.
    pub sim: Sim,
    /// The final scoreboard, best first.
    pub scoreboard: Vec<ScoreRow>,
}

/// Reads and replays the recording at `path`.
pub fn replay(path: &Path) -> Result<Replayed, ReplayError> {
    let bytes = std::fs::read(path).map_err(|source| ReplayError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let recording = Recording::from_bytes(&bytes).map_err(|source| ReplayError::Recording {
        path: path.to_path_buf(),
        source,
    })?;
    let mut sim = Sim::replay(&recording)?;
    let scoreboard = sim.scoreboard();
    Ok(Replayed {
        path: path.to_path_buf(),
        recording,
        sim,
        scoreboard,
    })
}

impl fmt::Display for Replayed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.recording;
        let (mut joins, mut leaves, mut inputs) = (0, 0, 0);
        for (_, entry) in &r.entries {
            match entry {
                Entry::Join(..) => joins += 1,
                Entry::Leave(_) => leaves += 1,
                Entry::Input(..) => inputs += 1,
                Entry::TickRate(_) | Entry::Rebind(..) => {}
            }
        }
        writeln!(f, "recording {}", self.path.display())?;
        writeln!(
            f,
            "  {:?} on a {}x{} map, seed {}, {} Hz at the start",
            r.scenario, r.map.width, r.map.height, r.seed, r.tick_rate
        )?;
        writeln!(
            f,
            "  {} ticks ({:.1} s at {} Hz); {joins} joins, {leaves} leaves, {inputs} inputs",
            r.end_tick,
            f64::from(r.end_tick) / f64::from(r.tick_rate.max(1)),
            r.tick_rate
        )?;
        writeln!(f, "replayed to tick {}", self.sim.tick())?;
        if self.scoreboard.is_empty() {
            return writeln!(f, "no players at the end");
        }
        writeln!(f, "final scoreboard ({} players)", self.scoreboard.len())?;
        let width = self
            .scoreboard
            .iter()
            .map(|row| row.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(
            f,
            "  {:>4}  {:<width$}  {:>5}  {:>6}  {:>5}",
            "rank", "name", "kills", "deaths", "score"
        )?;
        for (rank, row) in self.scoreboard.iter().enumerate() {
            writeln!(
                f,
                "  {:>4}  {:<width$}  {:>5}  {:>6}  {:>5}",
                rank + 1,
                row.name,
                row.kills,
                row.deaths,
                row.score
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
    fn a_recording_replays_to_its_scoreboard_and_says_so() {
        let mut live = Sim::new(SimConfig {
            map: MapAsset::default_map(),
            rules: RulesAsset::default_rules(),
            tick_rate: 30,
            seed: 3,
            scenario: Scenario::default(),
        })
        .expect("sim");
        let header = live.start_recording();
        live.join(1, "ada");
        live.join(2, "bob");
        let mut file = header;
        for tick in 0..90u32 {
            let a = tick as f32 * 0.1;
            live.push_input(1, &Entry::input(tick, a.cos(), a.sin(), 0.0, 1));
            live.step();
            if let Some(chunk) = live.take_chunk() {
                chunk.encode_into(&mut file);
            }
        }
        let path = std::env::temp_dir().join(format!("tickwire-replay-{}.rec", std::process::id()));
        std::fs::write(&path, &file).expect("write");
        let replayed = replay(&path).expect("replays");
        let _ = std::fs::remove_file(&path);
        assert_eq!(replayed.sim.tick(), 90);
        assert_eq!(replayed.scoreboard, live.scoreboard());
        let text = replayed.to_string();
        assert!(
            text.contains("90 ticks (3.0 s at 30 Hz); 2 joins, 0 leaves, 90 inputs"),
            "{text}"
        );
        assert!(text.contains("final scoreboard (2 players)"), "{text}");
        assert!(text.contains("ada") && text.contains("bob"), "{text}");
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
