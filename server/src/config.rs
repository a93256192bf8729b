//! Configuration: command-line flags, an optional TOML file, and the defaults. Flags override the file, the file
//! overrides the defaults. Everything is resolved and validated here, before anything starts.

use crate::sched::Scheduling;
use clap::{Parser, ValueEnum};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tickwire_sim::{MapAsset, RulesAsset, Scenario, TICK_RATE_RANGE};

/// Command-line interface of `tickwire-server`.
#[derive(Debug, Parser)]
#[command(
    name = "tickwire-server",
    version,
    about = "tickwire game server: an authoritative fixed-tick world over WebSocket, with the browser client at /",
    after_help = "Open http://ADDR/ in a browser to play. Game clients connect to ws://ADDR/ws.\n\
                  Durations (DUR): a number of seconds (3, 2.5), a number with a unit us, ms, s, m or h \
                  (500ms, 2m), or a sequence of those (1m30s); the config file takes the same strings or a \
                  number of seconds.\n\
                  Log filtering follows RUST_LOG (e.g. RUST_LOG=debug or RUST_LOG=tickwire_server=trace)."
)]
pub struct Cli {
    /// Address to listen on (HTTP, browser client and WebSocket on one port), IP:PORT or HOST:PORT (default
    /// 127.0.0.1:8080; 0.0.0.0:8080 for every interface). Port 0 picks a free port.
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub bind: Option<SocketAddr>,
    /// Simulation ticks per second, 20–60 (default 30; 60 for the gaffer scenario).
    #[arg(long, value_name = "HZ")]
    pub tick_rate: Option<u16>,
    /// The world to run: `arena` (the game), or the benchmark scenes `crowd` and `gaffer`
    /// (see docs/BENCHMARKS.md).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<Scenario>,
    /// TOML configuration file; its keys are these flags' names with underscores (`tick_rate = 30`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Map file (default: the embedded assets/map.toml).
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Rules file (default: the embedded assets/rules.toml).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Most simultaneous WebSocket connections on the game path; more are refused with HTTP 503 (default 1024).
    #[arg(long, value_name = "N")]
    pub max_clients: Option<usize>,
    /// Largest WebSocket message or frame a client may send, in bytes; larger closes it with 1009 (default 4096).
    #[arg(long, value_name = "BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Log output format (default text).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Browser origins (comma-separated, exact, e.g. `https://game.example`) allowed to open game WebSockets
    /// besides the server's own; `*` allows any. Clients that send no Origin (bots, native) are always allowed.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
    /// Time a new connection has to complete TLS and its HTTP request head (default 5s).
    #[arg(long, value_name = "DUR", value_parser = parse_positive_duration)]
    pub handshake_timeout: Option<Duration>,
    /// Time a client may stay silent (no message, no pong) before it is closed (default 20s).
    #[arg(long, value_name = "DUR", value_parser = parse_positive_duration)]
    pub idle_timeout: Option<Duration>,
    /// Time a dropped player is held for its resume token (default 15s).
    #[arg(long, value_name = "DUR", value_parser = parse_positive_duration)]
    pub resume_grace: Option<Duration>,
    /// Serve the WebSocket conformance echo endpoint /echo (for the Autobahn test suite; never in production).
    #[arg(long, hide = true)]
    pub conformance_echo: bool,
    /// PEM certificate chain: serve https:// and wss:// on the listener (needs --tls-key; either may come from
    /// the config file).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Thread scheduling: `auto` runs the tick thread SCHED_FIFO when permitted (root, CAP_SYS_NICE or
    /// RLIMIT_RTPRIO) and the I/O threads SCHED_BATCH, so ticks start on time on a busy core; `realtime` refuses
    /// to start without SCHED_FIFO; `normal` leaves every thread as the OS started it (default auto).
    #[arg(long, value_enum, value_name = "MODE")]
    pub scheduling: Option<Scheduling>,
    /// How joined clients' inputs are read: `on` reads every plain-TCP client's socket once per tick just before
    /// the tick, without waking anything per input (about a quarter less server CPU per client; inputs wait up
    /// to a few ms longer, and pings up to a tick, which shows in round trips); `off` reads each message as it
    /// arrives (default on).
    #[arg(long, value_enum, value_name = "MODE")]
    pub read_pass: Option<Switch>,
    /// Seed of the simulation's random numbers (default: from the clock). Recorded with --record.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Record every join, leave and input to FILE as the match runs (flushed every second), for --replay.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Replay a recording made with --record and print how the match went (its ticks, who played, the final
    /// scoreboard), then exit: no server starts, so it takes no other flag.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Token for remote administration (`/admin`, RCON). Prefer the environment variable or the config file: a
    /// flag is visible to other local users in the process list. Without a token remote admin is off.
    #[arg(
        long,
        env = "TICKWIRE_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub admin_token: Option<String>,
    /// Serve the admin WebSocket on this separate (private) address instead of `/admin` on the main listener.
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub admin_bind: Option<SocketAddr>,
    /// Also speak the Source RCON protocol on this TCP address (off by default; the admin token is the password).
    #[arg(long, value_name = "ADDR", value_parser = parse_addr)]
    pub rcon_bind: Option<SocketAddr>,
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// How logs are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The configuration file's keys; every one optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default, with = "addr_value")]
    bind: Option<SocketAddr>,
    tick_rate: Option<u16>,
    scenario: Option<Scenario>,
    map: Option<PathBuf>,
    rules: Option<PathBuf>,
    max_clients: Option<usize>,
    max_message_bytes: Option<usize>,
    log_format: Option<LogFormat>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default, with = "list_value")]
    allowed_origins: Option<Vec<String>>,
    #[serde(default, with = "duration_value")]
    handshake_timeout: Option<Duration>,
    #[serde(default, with = "duration_value")]
    idle_timeout: Option<Duration>,
    #[serde(default, with = "duration_value")]
    resume_grace: Option<Duration>,
    scheduling: Option<Scheduling>,
    #[serde(default, with = "switch_value")]
    read_pass: Option<Switch>,
    seed: Option<u64>,
    record: Option<PathBuf>,
    admin_token: Option<String>,
    #[serde(default, with = "addr_value")]
    admin_bind: Option<SocketAddr>,
    #[serde(default, with = "addr_value")]
    rcon_bind: Option<SocketAddr>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file is missing or not valid.
    #[error("config file {file}: {message}")]
    File {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
    /// The map or rules file is not valid.
    #[error("{which}")]
    Asset {
        /// Which: `--map` or `--rules` (with its config key).
        which: &'static str,
        /// What is wrong with it.
        #[source]
        source: tickwire_sim::AssetError,
    },
}

/// Limits that protect the server and its honest players from any one client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most WebSocket connections on the game path at once.
    pub max_clients: usize,
    /// Largest client message or frame, in bytes.
    pub max_message_bytes: usize,
    /// Time a new TCP connection has to send its complete HTTP request head.
    pub handshake_timeout: Duration,
    /// Time a new WebSocket has to send its hello.
    pub hello_timeout: Duration,
    /// Bytes that may wait in user space for one client's full socket (beyond its kernel send buffer); beyond
    /// that it skips ticks and catches up later.
    pub outbound_bytes: usize,
    /// How long a client may stay unable to take updates before it is closed with 4004.
    pub too_slow_after: Duration,
    /// Ticks of changes kept so a client that skipped ticks catches up with one delta (older: a snapshot).
    pub catchup_ticks: usize,
    /// How long a client may stay silent (no message, no pong to the server's pings) before it is closed with
    /// 4005; its player is then held for resume.
    pub idle_timeout: Duration,
    /// How long the player of a dropped connection is held for its resume token.
    pub resume_grace: Duration,
    /// Messages per second a client may send (inputs, pings, anything), with a burst of twice that; the excess
    /// is dropped and counted, and a flood that lasts over a second closes the client with 1008.
    pub max_messages_per_second: u32,
    /// The kernel send buffer per game connection, in bytes: bounds the memory a client that stops reading can
    /// pin, and makes it fall behind (and catch up or be closed) promptly.
    pub send_buffer_bytes: usize,
    /// Browser origins allowed to open game WebSockets besides the server's own (`*`: any).
    pub allowed_origins: std::sync::Arc<[String]>,
    /// Serve the conformance echo endpoint `/echo` (for the Autobahn test suite; off in production).
    pub conformance_echo: bool,
    /// Decoded inputs waiting for the tick, across all clients; beyond that inputs are dropped and counted.
    pub input_queue: usize,
    /// Joined plain-TCP clients are read by the read pass (`crate::reader`) rather than by their sessions.
    pub read_pass: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clients: 1024,
            max_message_bytes: 4096,
            handshake_timeout: Duration::from_secs(5),
            hello_timeout: Duration::from_secs(10),
            outbound_bytes: 64 * 1024,
            too_slow_after: Duration::from_secs(5),
            catchup_ticks: 64,
            idle_timeout: Duration::from_secs(20),
            resume_grace: Duration::from_secs(15),
            max_messages_per_second: 120,
            send_buffer_bytes: 256 * 1024,
            allowed_origins: std::sync::Arc::from(Vec::new()),
            conformance_echo: false,
            input_queue: 16_384,
            read_pass: true,
        }
    }
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Listen address.
    pub bind: SocketAddr,
    /// Ticks per second.
    pub tick_rate: u16,
    /// Which world to run.
    pub scenario: Scenario,
    /// The arena.
    pub map: MapAsset,
    /// The rules.
    pub rules: RulesAsset,
    /// Per-client and global limits.
    pub limits: Limits,
    /// Log format (used by the binary).
    pub log_format: LogFormat,
    /// Certificate chain and private key files: the listener speaks TLS when set.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Seed of the simulation's random numbers.
    pub seed: u64,
    /// Where to write the match recording, if recording.
    pub record: Option<PathBuf>,
    /// How the server's threads are scheduled (`Normal` here; the binary's flag defaults to `Auto`).
    pub scheduling: Scheduling,
    /// Remote administration.
    pub admin: AdminConfig,
    /// The files the configuration came from (for the start-up log).
    pub sources: Sources,
}

/// The files a configuration came from; `None` is the embedded default (no config file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--map` (or the config key `map`).
    pub map: Option<PathBuf>,
    /// `--rules` (or the config key `rules`).
    pub rules: Option<PathBuf>,
}

impl Sources {
    /// How the start-up log names a file: its path, or `embedded`.
    pub fn name(path: &Option<PathBuf>) -> String {
        path.as_ref()
            .map_or_else(|| "embedded".to_string(), |p| p.display().to_string())
    }
}

/// Remote administration settings.
#[derive(Debug, Clone, Default)]
pub struct AdminConfig {
    /// The token; `None` disables remote administration.
    pub token: Option<crate::admin::AdminToken>,
    /// A separate listener for `/admin`, instead of the main one.
    pub bind: Option<SocketAddr>,
    /// The RCON listener, off when `None`.
    pub rcon_bind: Option<SocketAddr>,
    /// True when the token is shorter than [`crate::admin::auth::WEAK_TOKEN_CHARS`] (warned about at start).
    pub weak_token: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tick_rate: 30,
            scenario: Scenario::Arena,
            map: MapAsset::default_map(),
            rules: RulesAsset::default_rules(),
            limits: Limits::default(),
            log_format: LogFormat::Text,
            tls: None,
            seed: 0,
            record: None,
            scheduling: Scheduling::Normal,
            admin: AdminConfig::default(),
            sources: Sources::default(),
        }
    }
}

/// Whether `o` can equal a browser's `Origin` header: `*`, or `http(s)://host[:port]` with nothing after it.
fn is_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty() && !rest.contains(['/', '?', '#', ' ', '@'])
}

impl ServerConfig {
    /// Resolves flags, the config file and defaults into a validated configuration.
    pub fn from_cli(cli: Cli) -> Result<Self, ConfigError> {
        let file = match &cli.config {
            Some(path) => read_file_config(path)?,
            None => FileConfig::default(),
        };
        let mut cfg = ServerConfig::default();
        cfg.sources.config = cli.config.clone();
        if let Some(bind) = cli.bind.or(file.bind) {
            cfg.bind = bind;
        }
        cfg.scenario = cli.scenario.or(file.scenario).unwrap_or_default();
        cfg.tick_rate = cli
            .tick_rate
            .or(file.tick_rate)
            .unwrap_or(cfg.scenario.default_tick_rate());
        if !TICK_RATE_RANGE.contains(&cfg.tick_rate) {
            return Err(ConfigError::Invalid(format!(
                "tick rate {} Hz is not supported: use a value from 20 to 60 (--tick-rate, config key tick_rate)",
                cfg.tick_rate
            )));
        }
        let map_path = cli.map.or(file.map);
        let rules_path = cli.rules.or(file.rules);
        if cfg.scenario != Scenario::Arena && (map_path.is_some() || rules_path.is_some()) {
            // A benchmark scene builds its own arena and moves its entities itself: a map or rules given with it
            // would be ignored, and a run on the "wrong" map would look valid.
            return Err(ConfigError::Invalid(format!(
                "--scenario {} builds its own arena: --map and --rules (config keys map, rules) apply to the arena \
                 scenario only",
                cfg.scenario.name()
            )));
        }
        cfg.sources.map = map_path.clone();
        cfg.sources.rules = rules_path.clone();
        if let Some(path) = map_path {
            cfg.map = MapAsset::load(&path).map_err(|source| ConfigError::Asset {
                which: "--map (config key map)",
                source,
            })?;
        }
        if let Some(path) = rules_path {
            cfg.rules = RulesAsset::load(&path).map_err(|source| ConfigError::Asset {
                which: "--rules (config key rules)",
                source,
            })?;
        }
        // A player must fit in the arena (the map and the rules are checked each on its own when loaded).
        let room = cfg.map.width.min(cfg.map.height);
        if cfg.rules.player_radius * 2.0 >= room {
            return Err(ConfigError::Invalid(format!(
                "--rules (config key rules): {}: player_radius {} makes a player {} units across, which does not \
                 fit in the {} x {} arena of the map ({})",
                Sources::name(&cfg.sources.rules),
                cfg.rules.player_radius,
                cfg.rules.player_radius * 2.0,
                cfg.map.width,
                cfg.map.height,
                Sources::name(&cfg.sources.map),
            )));
        }
        if let Some(n) = cli.max_clients.or(file.max_clients) {
            if n == 0 {
                return Err(ConfigError::Invalid(
                    "--max-clients (config key max_clients) must be at least 1".into(),
                ));
            }
            cfg.limits.max_clients = n;
        }
        if let Some(n) = cli.max_message_bytes.or(file.max_message_bytes) {
            if !(64..=1 << 20).contains(&n) {
                return Err(ConfigError::Invalid(
                    "--max-message-bytes (config key max_message_bytes) must be between 64 and 1048576".into(),
                ));
            }
            cfg.limits.max_message_bytes = n;
        }
        cfg.log_format = cli.log_format.or(file.log_format).unwrap_or_default();
        cfg.scheduling = cli
            .scheduling
            .or(file.scheduling)
            .unwrap_or(Scheduling::Auto);
        if let Some(origins) = cli.allowed_origins.or(file.allowed_origins) {
            let origins: Vec<String> = origins
                .into_iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            if let Some(bad) = origins.iter().find(|o| !is_origin(o)) {
                return Err(ConfigError::Invalid(format!(
                    "--allowed-origins: {bad:?} can never match: a browser sends its origin as scheme://host[:port] \
                     with no path or trailing slash, e.g. https://game.example.com (or * for any)"
                )));
            }
            cfg.limits.allowed_origins = origins.into();
        }
        if let Some(d) = cli.handshake_timeout.or(file.handshake_timeout) {
            cfg.limits.handshake_timeout =
                at_least(d, MIN_HANDSHAKE_TIMEOUT, "--handshake-timeout")?;
        }
        if let Some(d) = cli.idle_timeout.or(file.idle_timeout) {
            cfg.limits.idle_timeout = at_least(d, MIN_IDLE_TIMEOUT, "--idle-timeout")?;
        }
        if let Some(d) = cli.resume_grace.or(file.resume_grace) {
            cfg.limits.resume_grace = d;
        }
        cfg.limits.conformance_echo = cli.conformance_echo;
        if let Some(switch) = cli.read_pass.or(file.read_pass) {
            cfg.limits.read_pass = switch == Switch::On;
        }
        cfg.tls = match (cli.tls_cert.or(file.tls_cert), cli.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "TLS needs both a certificate and a key: --tls-cert FILE and --tls-key FILE (or tls_cert \
                     and tls_key in the config file)"
                        .into(),
                ));
            }
        };
        cfg.seed = cli.seed.or(file.seed).unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
        cfg.record = cli.record.or(file.record);
        if let Some(token) = cli.admin_token.or(file.admin_token) {
            if token.trim().is_empty() {
                return Err(ConfigError::Invalid(
                    "the admin token must not be empty (unset it to disable remote admin)".into(),
                ));
            }
            cfg.admin.weak_token = token.chars().count() < crate::admin::auth::WEAK_TOKEN_CHARS;
            cfg.admin.token = Some(crate::admin::AdminToken::new(&token));
        }
        cfg.admin.bind = cli.admin_bind.or(file.admin_bind);
        cfg.admin.rcon_bind = cli.rcon_bind.or(file.rcon_bind);
        Ok(cfg)
    }
}

/// A duration that must be longer than zero (the timeouts and the resume grace cannot be turned off): any form
/// [`tickwire_shared::parse_duration`] accepts, such as `500ms`, `2m`, `1m30s` or `3` (seconds).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match tickwire_shared::parse_duration(text) {
        Ok(d) if d.is_zero() => Err(format!("`{text}`: must be longer than zero")),
        other => other.map_err(|e| e.to_string()),
    }
}

/// The shortest `--idle-timeout`: the server pings a third of it before, and a client must have time to answer.
pub const MIN_IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// The shortest `--handshake-timeout`: below it no client completes a handshake, even on loopback with TLS.
pub const MIN_HANDSHAKE_TIMEOUT: Duration = Duration::from_millis(100);

/// `value`, unless it is below `min` (a setting that would close every client).
fn at_least(value: Duration, min: Duration, flag: &str) -> Result<Duration, ConfigError> {
    if value < min {
        return Err(ConfigError::Invalid(format!(
            "{flag} (config key {}): at least {min:?}, got {value:?} (every client would be closed)",
            flag.trim_start_matches("--").replace('-', "_")
        )));
    }
    Ok(value)
}

/// A listen address from the command line: `IP:PORT`, or `HOST:PORT` resolved (`localhost:8080`; an IPv4 address
/// is preferred when the name has several).
pub fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("`{text}`: expected IP:PORT or HOST:PORT ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// Addresses in the config file: written as on the command line (`"0.0.0.0:8080"`, `"localhost:8080"`).
mod addr_value {
    use serde::{Deserialize, Deserializer};
    use std::net::SocketAddr;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_addr(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// On/off keys in the config file: `"on"`/`"off"` as on the command line, or `true`/`false`.
mod switch_value {
    use super::Switch;
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Switch>, D::Error> {
        d.deserialize_any(SwitchVisitor).map(Some)
    }

    struct SwitchVisitor;

    impl Visitor<'_> for SwitchVisitor {
        type Value = Switch;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("\"on\", \"off\", true or false")
        }

        fn visit_bool<E: Error>(self, v: bool) -> Result<Switch, E> {
            Ok(if v { Switch::On } else { Switch::Off })
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<Switch, E> {
            match v {
                "on" => Ok(Switch::On),
                "off" => Ok(Switch::Off),
                _ => Err(E::custom(format!(
                    "`{v}`: expected \"on\", \"off\", true or false"
                ))),
            }
        }
    }
}

/// Lists in the config file: an array of strings, or one string with commas as on the command line.
mod list_value {
    use serde::Deserializer;
    use serde::de::{Error, SeqAccess, Visitor};
    use std::fmt;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        d.deserialize_any(ListVisitor).map(Some)
    }

    struct ListVisitor;

    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of strings, or one string with commas between the items")
        }

        /// Split at the commas only: items are trimmed and empty ones dropped with the flag's (`from_cli`).
        fn visit_str<E: Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(v.split(',').map(String::from).collect())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.push(item);
            }
            Ok(items)
        }
    }
}

/// Durations in the config file: a string written like on the command line (`"5s"`, `"1m30s"`) or a number of
/// seconds (`5`, `2.5`).
mod duration_value {
    use serde::Deserializer;
    use serde::de::{Error, Visitor};
    use std::fmt;
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        d.deserialize_any(DurationVisitor).map(Some)
    }

    struct DurationVisitor;

    impl DurationVisitor {
        /// Numbers go through the same parser as text (Rust writes floats without an exponent), so that they get
        /// the same checks and messages: `-1` and `nan` are not durations, `0` is refused.
        fn parse<E: Error>(text: &str) -> Result<Duration, E> {
            super::parse_positive_duration(text).map_err(E::custom)
        }
    }

    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration: a string such as \"500ms\", \"30s\" or \"1m30s\", or a number of seconds")
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<Duration, E> {
            Self::parse(v)
        }

        fn visit_i64<E: Error>(self, v: i64) -> Result<Duration, E> {
            Self::parse(&v.to_string())
        }

        fn visit_u64<E: Error>(self, v: u64) -> Result<Duration, E> {
            Self::parse(&v.to_string())
        }

        fn visit_f64<E: Error>(self, v: f64) -> Result<Duration, E> {
            Self::parse(&v.to_string())
        }
    }
}

fn read_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let mut config: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::File {
        file,
        message: e.to_string(),
    })?;
    // A relative path in the file names a file beside it (as in most tools' config files), wherever the server
    // is started from; on the command line it is relative to the current directory, as usual.
    let beside = path.parent().unwrap_or(Path::new(""));
    for key in [
        &mut config.map,
        &mut config.rules,
        &mut config.tls_cert,
        &mut config.tls_key,
        &mut config.record,
    ] {
        if let Some(p) = key.as_mut()
            && p.is_relative()
        {
            *p = beside.join(&*p);
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ServerConfig, ConfigError> {
        let cli =
            Cli::try_parse_from(std::iter::once("tickwire-server").chain(args.iter().copied()))
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        ServerConfig::from_cli(cli)
    }

    #[test]
    fn defaults_are_local_and_30_hz() {
        let cfg = parse(&[]).expect("defaults are valid");
        assert_eq!(cfg.bind, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(cfg.tick_rate, 30);
        assert_eq!(cfg.scheduling, Scheduling::Auto, "the binary's default");
        assert_eq!(ServerConfig::default().scheduling, Scheduling::Normal);
    }

    #[test]
    fn remote_admin_is_off_without_a_token_and_an_empty_token_is_refused() {
        // Only meaningful when the environment does not set the token itself.
        if std::env::var_os("TICKWIRE_ADMIN_TOKEN").is_none() {
            let cfg = parse(&[]).expect("defaults are valid");
            assert!(cfg.admin.token.is_none() && cfg.admin.rcon_bind.is_none());
        }
        let err = parse(&["--admin-token", " "]).expect_err("empty token");
        assert!(err.to_string().contains("must not be empty"), "{err}");
        let cfg = parse(&["--admin-token", "s3cret-s3cret-s3cret"]).expect("valid");
        assert!(
            !format!("{cfg:?}").contains("s3cret"),
            "the token never appears in the config's Debug form"
        );
    }

    #[test]
    fn tick_rates_outside_20_to_60_are_refused_with_a_clear_message() {
        for hz in ["19", "61", "0"] {
            let err = parse(&["--tick-rate", hz]).expect_err("out of range");
            assert!(
                err.to_string().contains("from 20 to 60"),
                "message was: {err}"
            );
        }
        assert_eq!(
            parse(&["--tick-rate", "60"]).expect("60 is fine").tick_rate,
            60
        );
    }

    #[test]
    fn durations_and_origins_parse() {
        assert_eq!(
            parse_addr("localhost:8080"),
            Ok(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert_eq!(parse_addr("[::1]:9"), Ok("[::1]:9".parse().expect("addr")));
        assert!(parse_addr("localhost").is_err_and(|e| e.contains("HOST:PORT")));
        assert_eq!(
            parse_positive_duration("500ms"),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(parse_positive_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_positive_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(
            parse_positive_duration("2.5"),
            Ok(Duration::from_millis(2500))
        );
        assert_eq!(
            parse_positive_duration("1m 30s"),
            Ok(Duration::from_secs(90))
        );
        assert!(parse_positive_duration("soon").is_err_and(|e| e.contains("not a duration")));
        assert!(parse_positive_duration("5y").is_err_and(|e| e.contains("unknown unit `y`")));
        for zero in ["0s", "0", "0ms 0s"] {
            assert_eq!(
                parse_positive_duration(zero),
                Err(format!("`{zero}`: must be longer than zero"))
            );
        }
        assert!(
            parse_positive_duration("100000000000000000000000s")
                .is_err_and(|e| e.contains("too long"))
        );
        let cfg = parse(&[
            "--idle-timeout",
            "7s",
            "--resume-grace",
            "1m30s",
            "--handshake-timeout",
            "2.5",
            "--allowed-origins",
            "https://a.example, https://b.example",
        ])
        .expect("valid");
        assert_eq!(cfg.limits.idle_timeout, Duration::from_secs(7));
        assert_eq!(cfg.limits.resume_grace, Duration::from_secs(90));
        assert_eq!(cfg.limits.handshake_timeout, Duration::from_millis(2500));
        let err = parse(&["--idle-timeout", "0"]).expect_err("zero");
        assert!(
            err.to_string().contains("--idle-timeout")
                && err.to_string().contains("longer than zero"),
            "{err}"
        );
        assert_eq!(
            &*cfg.limits.allowed_origins,
            [
                "https://a.example".to_string(),
                "https://b.example".to_string()
            ]
        );
    }

    #[test]
    fn flags_override_the_config_file() {
        let dir = std::env::temp_dir().join(format!("tickwire-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("server.toml");
        std::fs::write(
            &path,
            "tick_rate = 20\nbind = \"127.0.0.1:9000\"\nscheduling = \"normal\"\n",
        )
        .expect("write config");
        let p = path.to_str().expect("utf-8 path");
        let cfg = parse(&["--config", p]).expect("valid file");
        assert_eq!((cfg.tick_rate, cfg.bind.port()), (20, 9000));
        assert_eq!(cfg.scheduling, Scheduling::Normal);
        let cfg = parse(&["--config", p, "--scheduling", "realtime"]).expect("valid");
        assert_eq!(cfg.scheduling, Scheduling::Realtime);
        let cfg = parse(&["--config", p, "--tick-rate", "40"]).expect("valid");
        assert_eq!(
            (cfg.tick_rate, cfg.bind.port()),
            (40, 9000),
            "the flag wins, the file keeps the rest"
        );
        std::fs::write(
            &path,
            "admin_token = \"from-the-file-0123456789\"\nrcon_bind = \"127.0.0.1:27015\"\n",
        )
        .expect("write config");
        let cfg = parse(&["--config", p, "--admin-bind", "127.0.0.1:9100"]).expect("valid");
        let token = cfg.admin.token.expect("the file's token");
        assert!(token.matches(b"from-the-file-0123456789") && !cfg.admin.weak_token);
        assert_eq!(cfg.admin.rcon_bind.map(|a| a.port()), Some(27015));
        assert_eq!(cfg.admin.bind.map(|a| a.port()), Some(9100));
        let cfg = parse(&["--config", p, "--admin-token", "short"]).expect("valid");
        assert!(
            cfg.admin.token.expect("the flag's token").matches(b"short") && cfg.admin.weak_token,
            "the flag wins over the file, and a short token is flagged as weak"
        );
        std::fs::write(&path, "read_pass = \"off\"\n").expect("write config");
        assert!(
            parse(&[]).expect("defaults").limits.read_pass,
            "on by default"
        );
        assert!(!parse(&["--config", p]).expect("valid").limits.read_pass);
        let cfg = parse(&["--config", p, "--read-pass", "on"]).expect("valid");
        assert!(cfg.limits.read_pass, "the flag wins over the file");
        // The certificate from the file, the key from a flag: they meet after the merge. A relative path in the
        // file is beside the file; on the command line, relative to the current directory.
        std::fs::write(
            &path,
            "tls_cert = \"cert.pem\"\nrecord = \"/var/tmp/m.rec\"\n",
        )
        .expect("write config");
        let cfg = parse(&["--config", p, "--tls-key", "key.pem"]).expect("valid");
        assert_eq!(
            cfg.tls,
            Some((dir.join("cert.pem"), PathBuf::from("key.pem")))
        );
        assert_eq!(
            cfg.record,
            Some(PathBuf::from("/var/tmp/m.rec")),
            "absolute stays"
        );
        let err = parse(&["--config", p]).expect_err("a certificate without a key");
        assert!(
            err.to_string().contains("--tls-key FILE"),
            "message was: {err}"
        );
        let err = parse(&["--tls-key", "key.pem"]).expect_err("a key without a certificate");
        assert!(
            err.to_string().contains("--tls-cert FILE"),
            "message was: {err}"
        );
        std::fs::write(&path, "tick_rat = 20\n").expect("write config");
        let err = parse(&["--config", p]).expect_err("unknown key");
        assert!(err.to_string().contains("tick_rat"), "message was: {err}");
    }

    #[test]
    fn the_example_config_file_is_the_defaults_and_names_only_real_keys() {
        let example = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../assets/tickwire.example.toml"
        );
        let mut from_file = parse(&["--config", example]).expect("the example file is valid");
        let defaults = parse(&[]).expect("defaults");
        from_file.sources = defaults.sources.clone();
        // The seed comes from the clock when neither sets it.
        from_file.seed = defaults.seed;
        assert_eq!(
            format!("{from_file:?}"),
            format!("{defaults:?}"),
            "the values the example sets are the defaults"
        );
        // Every commented-out key is a real key with a value of the right shape.
        let text = std::fs::read_to_string(example).expect("read the example");
        let commented: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.split_once(" = ")
                    .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            })
            .collect();
        assert!(commented.len() >= 9, "{commented:?}");
        for line in commented {
            toml::from_str::<FileConfig>(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }

    #[test]
    fn a_benchmark_scene_refuses_a_map_or_rules_it_would_ignore() {
        for (scenario, flag) in [("gaffer", "--map"), ("crowd", "--rules")] {
            let err = parse(&["--scenario", scenario, flag, "whatever.toml"])
                .expect_err("ignored files are refused")
                .to_string();
            assert!(
                err.contains(&format!("--scenario {scenario} builds its own arena")),
                "{err}"
            );
        }
    }

    #[test]
    fn rules_whose_player_does_not_fit_the_map_are_refused() {
        let dir = std::env::temp_dir().join(format!("tickwire-cfg-fit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("big.toml");
        std::fs::write(&path, "player_radius = 5000.0\n").expect("write rules");
        let err = parse(&["--rules", path.to_str().expect("utf-8")])
            .expect_err("a player larger than the arena")
            .to_string();
        assert!(
            err.contains("does not fit in the 1600 x 1000 arena"),
            "{err}"
        );
        std::fs::write(&path, "player_radius = 20.0\n").expect("write rules");
        let cfg = parse(&["--rules", path.to_str().expect("utf-8")]).expect("one key");
        assert_eq!(cfg.rules.player_radius, 20.0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn allowed_origins_that_can_never_match_are_refused() {
        for bad in [
            "game.example.com",
            "https://x.com/",
            "https://x.com/play",
            "ftp://x.com",
        ] {
            let err = parse(&["--allowed-origins", bad])
                .expect_err(bad)
                .to_string();
            assert!(err.contains("can never match"), "{bad}: {err}");
        }
        let cfg = parse(&[
            "--allowed-origins",
            "https://a.example, http://localhost:5173,*",
        ])
        .expect("origins");
        assert_eq!(
            &*cfg.limits.allowed_origins,
            ["https://a.example", "http://localhost:5173", "*"]
        );
    }

    #[test]
    fn timeouts_too_short_for_any_client_are_refused() {
        for (args, message) in [
            (
                ["--idle-timeout", "1us"],
                "--idle-timeout (config key idle_timeout): at least 1s",
            ),
            (
                ["--handshake-timeout", "10ms"],
                "--handshake-timeout (config key handshake_timeout): at least 100ms",
            ),
        ] {
            let err = parse(&args).expect_err(args[1]).to_string();
            assert!(err.contains(message), "{args:?}: {err}");
        }
        assert!(parse(&["--idle-timeout", "1s", "--handshake-timeout", "100ms"]).is_ok());
    }

    #[test]
    fn file_keys_take_what_their_flags_take() {
        let dir = std::env::temp_dir().join(format!("tickwire-cfg-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("keys.toml");
        let p = path.to_str().expect("utf-8 path");
        std::fs::write(
            &path,
            "bind = \"localhost:18084\"\nadmin_bind = \"localhost:18085\"\nrcon_bind = \"127.0.0.1:18086\"\n\
             admin_token = \"from-the-file-0123456789\"\nread_pass = false\n\
             allowed_origins = \"https://a.example, https://b.example\"\n",
        )
        .expect("write config");
        let cfg = parse(&["--config", p]).expect("HOST:PORT, a bool and a comma-separated list");
        assert_eq!(cfg.bind, "127.0.0.1:18084".parse().expect("addr"));
        assert_eq!(
            cfg.admin.bind,
            Some("127.0.0.1:18085".parse().expect("addr"))
        );
        assert_eq!(
            cfg.admin.rcon_bind,
            Some("127.0.0.1:18086".parse().expect("addr"))
        );
        assert!(!cfg.limits.read_pass);
        assert_eq!(
            &*cfg.limits.allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        std::fs::write(
            &path,
            "read_pass = true\nallowed_origins = [\"https://c.example\"]\n",
        )
        .expect("write config");
        let cfg = parse(&["--config", p]).expect("a bool and an array");
        assert!(cfg.limits.read_pass);
        assert_eq!(&*cfg.limits.allowed_origins, ["https://c.example"]);
        for (text, message) in [
            (
                "bind = \"nowhere\"",
                "`nowhere`: expected IP:PORT or HOST:PORT",
            ),
            (
                "read_pass = \"maybe\"",
                "`maybe`: expected \"on\", \"off\", true or false",
            ),
            ("read_pass = 1", "\"on\", \"off\", true or false"),
        ] {
            std::fs::write(&path, format!("{text}\n")).expect("write config");
            let err = parse(&["--config", p]).expect_err(text).to_string();
            assert!(err.contains(message), "{text}: {err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn durations_in_the_config_file_are_strings_or_numbers_of_seconds() {
        let dir = std::env::temp_dir().join(format!("tickwire-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("durations.toml");
        let p = path.to_str().expect("utf-8 path");
        std::fs::write(
            &path,
            "idle_timeout = 7\nresume_grace = 2.5\nhandshake_timeout = \"1m30s\"\n",
        )
        .expect("write config");
        let limits = parse(&["--config", p]).expect("valid file").limits;
        assert_eq!(limits.idle_timeout, Duration::from_secs(7), "an integer");
        assert_eq!(limits.resume_grace, Duration::from_millis(2500), "a float");
        assert_eq!(
            limits.handshake_timeout,
            Duration::from_secs(90),
            "a string"
        );
        let cfg = parse(&["--config", p, "--idle-timeout", "3s"]).expect("valid");
        assert_eq!(
            cfg.limits.idle_timeout,
            Duration::from_secs(3),
            "the flag wins"
        );
        for (value, message) in [
            ("\"7\"", ""),
            ("\"1500ms\"", ""),
            ("0", "`0`: must be longer than zero"),
            ("0.0", "`0`: must be longer than zero"),
            ("\"0s\"", "`0s`: must be longer than zero"),
            ("-1", "`-1`: a duration cannot be negative"),
            ("\"5y\"", "`5y`: unknown unit `y`"),
            ("nan", "`NaN`: not a duration"),
            ("true", "or a number of seconds"),
        ] {
            std::fs::write(&path, format!("idle_timeout = {value}\n")).expect("write config");
            let result = parse(&["--config", p]);
            if message.is_empty() {
                assert!(result.is_ok(), "{value}: {result:?}");
            } else {
                let err = result.expect_err(value).to_string();
                assert!(
                    err.contains(message) && err.contains("idle_timeout"),
                    "{value}: {err}"
                );
            }
        }
    }
}
