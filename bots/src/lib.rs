//! # tickwire-bots: headless bot clients for load tests
//!
//! Starts N real clients against a tickwire server (each does the real WebSocket handshake, says hello, sends
//! inputs with sequence numbers and follows the server's tick stream), measures what they experience, and
//! returns a [`Report`] that the `tickwire-bots` binary prints as a table and writes as JSON.
//!
//! All wire work goes through `tickwire-client` and `tickwire-shared`: a bot is a client, not a second
//! implementation of the protocol. Each bot connects and joins in a tokio task of its own; once joined, it is
//! played by a shard, one thread per CPU that wakes once a millisecond, reads the sockets that received bytes and
//! sends the inputs and pings that are due, and sleeps in between (no thread per bot, no busy loop).
//!
//! Modules:
//! - [`config`]: the run's parameters ([`Config`]) and their validation.
//! - [`behaviour`]: what a bot does with its inputs, and the seeded generator that makes runs reproducible.
//! - `bot`: one bot's life: connect, join, send, receive, check, measure.
//! - `shard`: plays the joined bots, many per thread: their sockets, their input and ping timers, the run's stages.
//! - [`stats`]: live counters, the shared histograms, and each bot's outcome.
//! - [`histogram`]: the histogram and the percentile rule behind every figure.
//! - [`report`]: the report (what the JSON holds) and the pass/fail verdict.
//! - `table`: the human-readable summary.
//! - `progress`: the live progress line.
//! - `run`: starts the bots on the ramp and collects their outcomes.

pub mod behaviour;
mod bot;
pub mod config;
pub mod histogram;
mod progress;
pub mod report;
mod run;
mod shard;
pub mod stats;
mod table;
pub mod timing;

pub use behaviour::Behaviour;
pub use config::{Config, ConfigError, Thresholds};
pub use progress::Progress;
pub use report::{ExitCode, Report};
pub use run::{run, run_until};
pub use table::render as render_table;
pub use timing::InputTiming;

/// Why a run could not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum BotsError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A bot task panicked (a bug in the bots, not in the server).
    #[error("a bot task failed: {0}")]
    BotPanicked(String),
    /// A shard thread could not be started.
    #[error("could not start a thread for the bots: {0}")]
    Shard(std::io::Error),
}
