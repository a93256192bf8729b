//! The parameters of a run, with defaults and validation. The command line (`main.rs`) fills a [`Config`];
//! tests build one directly.
//!
//! A run has up to four phases, all bots ending together: the **ramp** (bot `k` of N starts connecting at
//! `k/N × ramp`), the **warm-up** (everyone connected, nothing measured yet) and the **window** of `duration`, over
//! which rates, latencies, sizes and jitter are measured, and an optional **linger** (connected, following the tick
//! stream, no inputs, nothing measured). Connection figures (handshake, join time, failures) and
//! protocol errors, missed ticks and drops count over the whole run.

use crate::behaviour::Behaviour;
use std::time::Duration;

/// Pass/fail limits; `None` means "not checked".
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    /// Fail when the input latency p99 exceeds this many milliseconds.
    pub max_p99_latency_ms: Option<f64>,
    /// Fail when more than this fraction (0–1) of the established connections dropped mid-run.
    pub max_drop_rate: Option<f64>,
}

/// Everything that defines a run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The game WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`.
    pub url: String,
    /// How many bots.
    pub clients: usize,
    /// Connection starts are spread evenly over this long.
    pub ramp: Duration,
    /// Time after the ramp before measuring starts.
    pub warmup: Duration,
    /// Length of the measurement window (after ramp and warm-up).
    pub duration: Duration,
    /// After the window: how long the bots stay connected, following the tick stream without sending inputs
    /// (crowd bots send their stop input first). Nothing is measured; bot 0's mirror is kept at its end.
    pub linger: Duration,
    /// What every bot does.
    pub behaviour: Behaviour,
    /// Inputs per second per bot; `None` = the server's tick rate (from the welcome).
    pub input_rate: Option<f64>,
    /// When the bots send their inputs: on their own timers (`Free`), or timed to reach the server just before its
    /// tick (`Tick`, only when the input rate is the server's tick rate). See [`crate::timing`].
    pub input_timing: crate::InputTiming,
    /// Seed of the bots' generators (bot `k` uses `seed + k + 1`).
    pub seed: u32,
    /// How many bots decode every frame into a full mirror; `None` = all. Bot 0 always decodes.
    pub decoders: Option<usize>,
    /// Most connections in the handshake/join phase at once.
    pub connect_concurrency: usize,
    /// Time allowed from starting to connect to holding the first snapshot.
    pub connect_timeout: Duration,
    /// Bot names are this prefix followed by the bot's index.
    pub name_prefix: String,
    /// Pass/fail limits.
    pub thresholds: Thresholds,
    /// How often each shard wakes to send what is due and read what arrived: the resolution of the bots' input
    /// and ping timers. Coarser costs less CPU per bot (fewer wake-ups); arrival times stay exact either way.
    pub look_every: Duration,
    /// For `wss://`: trust these roots (a private CA, or no verification); `None` = the public roots.
    pub tls: Option<tickwire_client::tls::TlsClientConfig>,
}

/// The default [`Config::look_every`].
pub const DEFAULT_LOOK_EVERY: Duration = Duration::from_millis(1);
/// The range [`Config::look_every`] may take.
pub const LOOK_EVERY_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_micros(100)..=Duration::from_millis(20);

/// Why a configuration cannot be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The URL's scheme is not `ws://` or `wss://`.
    #[error("--url must be a ws:// or wss:// URL (such as ws://127.0.0.1:8080/ws), got `{0}`")]
    UrlScheme(String),
    /// A `ws://` or `wss://` URL that does not parse: the URL, and why.
    #[error("--url `{0}` is not a valid URL: {1}")]
    Url(String, String),
    /// No bots asked for.
    #[error("--clients must be at least 1")]
    NoClients,
    /// A zero-length window.
    #[error("--duration must be longer than 0 s")]
    NoDuration,
    /// A connect timeout too short for any handshake.
    #[error("--connect-timeout must be at least 100ms, got {0:?}")]
    ConnectTimeout(std::time::Duration),
    /// An input rate out of range.
    #[error("--input-rate must be between 0.1 and 1000 Hz, got {0}")]
    InputRate(f64),
    /// A threshold out of range: what it must be.
    #[error("{0}")]
    Threshold(String),
    /// Connection concurrency of zero.
    #[error("--connect-concurrency must be at least 1")]
    Concurrency,
    /// Tick timing asked for inputs that do not follow the server's tick rate, or for bots that send none.
    #[error("--input-timing tick {0}")]
    InputTiming(&'static str),
    /// A look period out of range.
    #[error("--look-every must be between 100us and 20ms, got {0:?}")]
    LookEvery(Duration),
}

impl Config {
    /// A configuration with the defaults: 30 s window, no ramp, wander, every bot decoding.
    pub fn new(url: impl Into<String>, clients: usize) -> Self {
        Self {
            url: url.into(),
            clients,
            ramp: Duration::ZERO,
            warmup: Duration::ZERO,
            duration: Duration::from_secs(30),
            linger: Duration::ZERO,
            behaviour: Behaviour::Wander,
            input_rate: None,
            input_timing: crate::InputTiming::Free,
            seed: 0,
            decoders: None,
            connect_concurrency: 100,
            connect_timeout: Duration::from_secs(10),
            name_prefix: "bot-".into(),
            thresholds: Thresholds::default(),
            look_every: DEFAULT_LOOK_EVERY,
            tls: None,
        }
    }

    /// Checks the configuration; every error names the flag to fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // The scheme first, with a message of its own: `check_url` would say the same thing again after ours.
        if !matches!(self.url.split_once("://"), Some(("ws" | "wss", _))) {
            return Err(ConfigError::UrlScheme(self.url.clone()));
        }
        tickwire_client::check_url(&self.url)
            .map_err(|why| ConfigError::Url(self.url.clone(), why))?;
        if self.clients == 0 {
            return Err(ConfigError::NoClients);
        }
        if self.duration.is_zero() {
            return Err(ConfigError::NoDuration);
        }
        if self.connect_timeout < std::time::Duration::from_millis(100) {
            return Err(ConfigError::ConnectTimeout(self.connect_timeout));
        }
        if let Some(hz) = self.input_rate
            && !(0.1..=1000.0).contains(&hz)
        {
            return Err(ConfigError::InputRate(hz));
        }
        if self.input_timing == crate::InputTiming::Tick {
            if self.input_rate.is_some() {
                return Err(ConfigError::InputTiming(
                    "times one input per server tick: it cannot be used with --input-rate (leave that out)",
                ));
            }
            if self.behaviour.default_input_rate().is_some() {
                return Err(ConfigError::InputTiming(
                    "times one input per server tick: --behaviour crowd sends at its own 30 Hz (leave out \
                     --input-timing)",
                ));
            }
            if self.behaviour == crate::Behaviour::Idle {
                return Err(ConfigError::InputTiming(
                    "times inputs, and --behaviour idle sends none (leave out --input-timing)",
                ));
            }
        }
        if self.connect_concurrency == 0 {
            return Err(ConfigError::Concurrency);
        }
        if !LOOK_EVERY_RANGE.contains(&self.look_every) {
            return Err(ConfigError::LookEvery(self.look_every));
        }
        if let Some(r) = self.thresholds.max_drop_rate
            && !(0.0..=1.0).contains(&r)
        {
            return Err(ConfigError::Threshold(format!(
                "--max-drop-rate must be between 0 and 1 (a fraction of the bots that joined), got {r}"
            )));
        }
        if let Some(ms) = self.thresholds.max_p99_latency_ms
            && !(ms.is_finite() && ms > 0.0)
        {
            return Err(ConfigError::Threshold(format!(
                "--max-p99-latency-ms must be a number of milliseconds above 0, got {ms}"
            )));
        }
        Ok(())
    }

    /// How many bots decode fully (at least 1: bot 0 always does).
    pub fn decoder_count(&self) -> usize {
        self.decoders.unwrap_or(self.clients).clamp(1, self.clients)
    }

    /// Whether bot `index` decodes fully: bots `0..decoder_count()`.
    pub fn is_decoder(&self, index: usize) -> bool {
        index < self.decoder_count()
    }

    /// Ramp + warm-up + window + linger.
    pub fn total(&self) -> Duration {
        self.ramp + self.warmup + self.duration + self.linger
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bot_zero_always_decodes() {
        let mut c = Config::new("ws://127.0.0.1:1/ws", 10);
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.decoder_count(), 10);
        c.decoders = Some(0);
        assert_eq!(c.decoder_count(), 1);
        assert!(c.is_decoder(0) && !c.is_decoder(1));
    }

    #[test]
    fn bad_values_name_the_flag() {
        let base = Config::new("ws://h/ws", 1);
        let mut c = base.clone();
        c.url = "http://h/ws".into();
        assert!(c.validate().is_err_and(|e| e.to_string().contains("--url")));
        c.url = "ws://[::1".into();
        assert!(c.validate().is_err_and(|e| e.to_string().contains("--url")));
        c.url = "ws:///ws".into();
        assert!(c.validate().is_err_and(|e| e.to_string().contains("--url")));
        c.url = "wss://[::1]:9/ws".into();
        assert_eq!(c.validate(), Ok(()));
        let mut c = base.clone();
        c.input_rate = Some(0.0);
        assert!(
            c.validate()
                .is_err_and(|e| e.to_string().contains("--input-rate"))
        );
        let mut c = base.clone();
        c.look_every = Duration::from_millis(50);
        assert!(
            c.validate()
                .is_err_and(|e| e.to_string().contains("--look-every"))
        );
        let mut c = base.clone();
        c.connect_timeout = Duration::ZERO;
        assert!(c.validate().is_err_and(|e| {
            e.to_string()
                .contains("--connect-timeout must be at least 100ms")
        }));
        let mut c = base.clone();
        c.input_timing = crate::InputTiming::Tick;
        assert_eq!(c.validate(), Ok(()));
        c.input_rate = Some(30.0);
        assert!(c.validate().is_err_and(|e| {
            let e = e.to_string();
            e.contains("--input-timing tick") && e.contains("--input-rate")
        }));
        c.input_rate = None;
        c.behaviour = crate::Behaviour::Crowd;
        assert!(c.validate().is_err_and(|e| {
            e.to_string()
                .contains("--behaviour crowd sends at its own 30 Hz")
        }));
        c.behaviour = crate::Behaviour::Idle;
        assert!(
            c.validate()
                .is_err_and(|e| { e.to_string().contains("--behaviour idle sends none") })
        );
        for rate in [2.0, -0.5, f64::NAN] {
            let mut c = base.clone();
            c.thresholds.max_drop_rate = Some(rate);
            assert!(
                c.validate().is_err_and(|e| e
                    .to_string()
                    .starts_with("--max-drop-rate must be between 0 and 1")),
                "{rate}"
            );
        }
        for ms in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let mut c = base.clone();
            c.thresholds.max_p99_latency_ms = Some(ms);
            assert!(
                c.validate().is_err_and(|e| e
                    .to_string()
                    .starts_with("--max-p99-latency-ms must be a number of milliseconds above 0")),
                "{ms}"
            );
        }
        let mut c = base;
        c.thresholds = Thresholds {
            max_p99_latency_ms: Some(0.5),
            max_drop_rate: Some(0.0),
        };
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn a_url_that_is_not_a_websocket_url_is_said_once() {
        for url in ["http://h/ws", "h:8080/ws", "wss//h", "WS://h/ws"] {
            let e = Config::new(url, 1).validate().expect_err(url).to_string();
            assert_eq!(
                e,
                format!(
                    "--url must be a ws:// or wss:// URL (such as ws://127.0.0.1:8080/ws), got `{url}`"
                )
            );
        }
        let e = Config::new("ws://[::1", 1)
            .validate()
            .expect_err("unclosed bracket")
            .to_string();
        assert!(
            e.starts_with("--url `ws://[::1` is not a valid URL: ")
                && !e.contains("ws:// or wss://"),
            "{e}"
        );
    }
}
