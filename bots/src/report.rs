//! The report: every figure of a run, as the summary table shows it and as `--json` writes it (the schema is
//! documented in docs/BOTS.md), and the verdict that becomes the exit status.
//!
//! Times are in milliseconds, sizes in bytes, rates per second. A distribution (`Dist`) is over all samples of
//! all bots; a spread (`Spread`) is over the bots, one value per bot that joined. Percentiles follow the
//! nearest-rank rule (see [`crate::histogram`]). Missing figures (no samples) are `null`.

use crate::histogram::{Histogram, nearest_rank};
use serde::Serialize;
use std::collections::BTreeMap;

/// The JSON schema identifier; bumped on incompatible changes.
pub const SCHEMA: &str = "tickwire-bots/report/v1";

/// The exit status of the `tickwire-bots` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "u8")]
pub enum ExitCode {
    /// 0: every bot joined, no protocol error, no threshold crossed.
    Ok,
    /// 1: a `--max-*` threshold was crossed or a protocol error occurred.
    Failed,
    /// 2: bad usage, or bots could not connect/join: the load asked for was not applied.
    NotRun,
    /// 130: the run was stopped early (Ctrl-C); the figures cover the part that ran.
    Interrupted,
}

impl From<ExitCode> for u8 {
    fn from(c: ExitCode) -> u8 {
        match c {
            ExitCode::Ok => 0,
            ExitCode::Failed => 1,
            ExitCode::NotRun => 2,
            ExitCode::Interrupted => 130,
        }
    }
}

/// A distribution over samples.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Dist {
    /// Number of samples.
    pub count: u64,
    /// Median.
    pub p50: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest sample.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
}

impl Dist {
    fn of(h: &Histogram, scale: f64) -> Dist {
        let f = |v: Option<u64>| v.map(|v| v as f64 / scale);
        Dist {
            count: h.count(),
            p50: f(h.percentile(50.0)),
            p99: f(h.percentile(99.0)),
            max: f(h.max()),
            mean: h.mean().map(|m| m / scale),
        }
    }
}

/// A per-bot figure's spread over the bots.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Spread {
    /// The lowest bot.
    pub min: Option<f64>,
    /// The median bot.
    pub p50: Option<f64>,
    /// The mean over bots.
    pub mean: Option<f64>,
    /// The highest bot.
    pub max: Option<f64>,
}

impl Spread {
    /// The spread of the values there are (a bot without the figure is left out).
    fn of(values: impl IntoIterator<Item = Option<f64>>) -> Spread {
        let mut values: Vec<f64> = values.into_iter().flatten().collect();
        values.sort_by(f64::total_cmp);
        let n = values.len() as f64;
        Spread {
            min: values.first().copied(),
            p50: nearest_rank(&values, 50.0),
            mean: (!values.is_empty()).then(|| values.iter().sum::<f64>() / n),
            max: values.last().copied(),
        }
    }
}

/// The run's parameters as run.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// Server URL.
    pub url: String,
    /// Bots asked for.
    pub clients: usize,
    /// Ramp, seconds.
    pub ramp_s: f64,
    /// Warm-up, seconds.
    pub warmup_s: f64,
    /// Measurement window, seconds.
    pub duration_s: f64,
    /// Behaviour.
    pub behaviour: crate::Behaviour,
    /// Inputs per second per bot (`null` before any bot learnt the tick rate).
    pub input_rate_hz: Option<f64>,
    /// When the bots sent their inputs (`--input-timing`): `"free"` or `"tick"`.
    pub input_timing: crate::InputTiming,
    /// Seed.
    pub seed: u32,
    /// Bots that decoded every frame into a mirror.
    pub decoders: usize,
    /// `"full"` when every bot decoded, `"partial"` when only `decoders` did (the rest read headers only).
    pub decode_mode: &'static str,
    /// The server's tick rate, from the welcome.
    pub tick_rate_hz: Option<u16>,
    /// The tick rates the server changed to during the run (an operator's `tickrate`), in order; empty when it
    /// kept its rate. Bots whose input rate is the server's followed each change.
    pub tick_rate_changes_hz: Vec<u16>,
    /// Wall time of the whole run, seconds.
    pub elapsed_s: f64,
    /// The shards' look period (`--look-every`), ms: the resolution of the bots' timers.
    pub look_every_ms: f64,
    /// The run was stopped early (Ctrl-C): the figures cover the part that ran.
    pub interrupted: bool,
    /// Bots that never started because the run was stopped before their place on the ramp (not in any other
    /// figure).
    pub not_started: usize,
}

/// Connection figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Connections {
    /// Bots that started connecting.
    pub attempted: u64,
    /// Bots that joined (welcome and first snapshot).
    pub established: u64,
    /// Bots that could not connect or join.
    pub failed: u64,
    /// Failures by reason (`"HTTP 503"`, `"connection refused"`, `"timeout (join)"`, ...).
    pub failed_reasons: BTreeMap<String, u64>,
    /// Bots whose connection ended before the run did.
    pub dropped: u64,
    /// Drops by close code and reason.
    pub dropped_reasons: Vec<DropCount>,
    /// `dropped / established`; `null` when no bot was established (nothing could drop).
    pub drop_rate: Option<f64>,
    /// TCP connect + WebSocket upgrade, ms.
    pub handshake_ms: Dist,
    /// Hello sent → first snapshot, ms.
    pub join_to_first_snapshot_ms: Dist,
}

/// One kind of drop.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct DropCount {
    /// Close code, `null` when the connection ended without a close frame.
    pub code: Option<u16>,
    /// Close reason or error.
    pub reason: String,
    /// How many bots.
    pub count: u64,
}

/// One bot's figures (in the JSON for scripts that want to look at individual bots).
#[derive(Debug, Clone, Serialize)]
pub struct BotFigures {
    /// Start order.
    pub index: usize,
    /// Whether it kept a full mirror.
    pub decoder: bool,
    /// Joined.
    pub established: bool,
    /// Deltas per second over the window. The rates are `null` for a bot that was not connected during the
    /// window (it never joined, or its connection ended before the window opened): nothing was measured.
    pub deltas_per_s: Option<f64>,
    /// Payload bytes received per second over the window.
    pub bytes_received_per_s: Option<f64>,
    /// Bytes received per second over the window including the WebSocket frame headers (payload + 2, 4 or 10
    /// bytes per frame).
    pub wire_bytes_received_per_s: Option<f64>,
    /// Payload bytes sent per second over the window.
    pub bytes_sent_per_s: Option<f64>,
    /// Inputs sent per second over the window.
    pub inputs_per_s: Option<f64>,
    /// Ticks received / ticks the server ran from this bot's first snapshot to the end of the run; `null` when
    /// the bot never joined, or the server ran no tick after its first snapshot.
    pub tick_coverage: Option<f64>,
    /// Gaps in the tick numbers.
    pub missed_ticks: u64,
    /// Protocol errors.
    pub protocol_errors: u64,
}

mod build;
pub use build::Report;
