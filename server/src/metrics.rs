//! `GET /metrics`: Prometheus text exposition, through the `metrics` facade and `metrics-exporter-prometheus`
//! (built without its HTTP server: the page is served by our own listener).
//!
//! Each server owns its recorder (no global one, so tests can run several servers in one process). Most figures
//! already live in atomics ([`crate::hub::Counters`], [`crate::hub::Hub::open`]); they are copied into the
//! recorder when the page is rendered, so the hot paths keep a single relaxed `fetch_add`. Only the tick duration
//! histogram is recorded as it happens (one atomic push per tick), and disconnects are counted by close code when a
//! session ends.

use crate::hub::Hub;
use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use std::sync::atomic::Ordering;
use std::time::Duration;

const META: Metadata<'static> = Metadata::new("tickwire", Level::INFO, None);

/// Histogram buckets for tick durations, in seconds: 50 µs to 50 ms.
const TICK_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.004, 0.008, 0.016, 0.033, 0.05,
];

/// How often recorded histogram samples are folded into the buckets when nobody scrapes.
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// A counter copied from a hub atomic when the page is rendered.
type Mirrored = (Counter, fn(&Hub) -> u64);
/// A gauge read from the hub when the page is rendered.
type Sampled = (Gauge, fn(&Hub) -> f64);

/// The server's metrics and its Prometheus recorder.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Time spent in each tick (drain, step, encode, hand-off).
    pub tick_duration: Histogram,
    /// Failed admin authentications (WebSocket and RCON).
    pub admin_auth_failures: Counter,
    mirrored: Vec<Mirrored>,
    gauges: Vec<Sampled>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn load(a: &std::sync::atomic::AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

impl Metrics {
    /// Registers every tickwire metric.
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new().set_buckets_for_metric(
            Matcher::Full("tickwire_tick_duration_seconds".into()),
            TICK_BUCKETS,
        );
        // Only an empty bucket list is refused, and ours is not empty; a summary would still be served.
        let builder = builder.unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let counter = |name: &'static str, help: &'static str, unit: Option<Unit>| {
            recorder.describe_counter(name.into(), unit, help.into());
            recorder.register_counter(&Key::from_static_name(name), &META)
        };
        // A counter with one label (the help is described once per name).
        let labelled = |name: &'static str, label: &'static str, value: &'static str| {
            recorder.register_counter(
                &Key::from_parts(name, vec![Label::new(label, value)]),
                &META,
            )
        };
        recorder.describe_counter(
            "tickwire_connections_refused_total".into(),
            None,
            "Game WebSocket upgrades refused: reason=\"full\" (--max-clients reached, HTTP 503), reason=\"origin\" (a browser origin not allowed, HTTP 403).".into(),
        );
        let gauge = |name: &'static str, help: &'static str| {
            recorder.describe_gauge(name.into(), None, help.into());
            recorder.register_gauge(&Key::from_static_name(name), &META)
        };
        recorder.describe_histogram(
            "tickwire_tick_duration_seconds".into(),
            Some(Unit::Seconds),
            "Time spent in one tick: drain inputs, step, encode, hand off.".into(),
        );
        let tick_duration = recorder.register_histogram(
            &Key::from_static_name("tickwire_tick_duration_seconds"),
            &META,
        );
        recorder.describe_counter(
            "tickwire_disconnects_total".into(),
            None,
            "Game sessions ended, by close code (code=\"none\": the client left without one from us).".into(),
        );
        let admin_auth_failures = counter(
            "tickwire_admin_auth_failures_total",
            "Refused admin logins (wrong or missing token), WebSocket and RCON.",
            None,
        );
        let mirrored: Vec<Mirrored> = vec![
            (
                counter(
                    "tickwire_tick_overruns_total",
                    "Ticks that started more than one period late.",
                    None,
                ),
                |h| load(&h.counters.tick_overruns),
            ),
            (
                counter(
                    "tickwire_connections_total",
                    "Game WebSocket connections accepted.",
                    None,
                ),
                |h| load(&h.counters.connections),
            ),
            (
                labelled("tickwire_connections_refused_total", "reason", "full"),
                |h| load(&h.counters.refused_full),
            ),
            (
                labelled("tickwire_connections_refused_total", "reason", "origin"),
                |h| load(&h.counters.refused_origin),
            ),
            (
                counter(
                    "tickwire_joins_total",
                    "Clients that completed their hello and joined.",
                    None,
                ),
                |h| load(&h.counters.joins),
            ),
            (
                counter(
                    "tickwire_leaves_total",
                    "Joined clients that left the game, for any reason.",
                    None,
                ),
                |h| load(&h.counters.leaves),
            ),
            (
                counter(
                    "tickwire_inputs_received_total",
                    "Inputs decoded from clients.",
                    None,
                ),
                |h| load(&h.counters.inputs_received),
            ),
            (
                counter(
                    "tickwire_messages_dropped_total",
                    "Client messages dropped by the per-client message rate limit.",
                    None,
                ),
                |h| load(&h.counters.messages_dropped),
            ),
            (
                counter(
                    "tickwire_inputs_dropped_total",
                    "Inputs dropped because the tick's input queue was full.",
                    None,
                ),
                |h| load(&h.counters.inputs_dropped),
            ),
            (
                counter(
                    "tickwire_frames_skipped_total",
                    "Frames not sent because a slow client's outbox was full (it catches up later).",
                    None,
                ),
                |h| load(&h.counters.frames_skipped),
            ),
            (
                counter(
                    "tickwire_fanout_skipped_total",
                    "Ticks sent to nobody because the fan-out writer was still writing the previous tick.",
                    None,
                ),
                |h| load(&h.counters.fanout_skipped),
            ),
            (
                counter(
                    "tickwire_bytes_in_total",
                    "WebSocket payload bytes received from game clients.",
                    Some(Unit::Bytes),
                ),
                |h| load(&h.counters.bytes_in),
            ),
            (
                counter(
                    "tickwire_bytes_out_total",
                    "WebSocket payload bytes handed to game clients' sockets.",
                    Some(Unit::Bytes),
                ),
                |h| load(&h.counters.bytes_out),
            ),
        ];
        let gauges: Vec<Sampled> = vec![
            (
                gauge(
                    "tickwire_clients_connected",
                    "Open game WebSocket connections (joined or not).",
                ),
                |h| h.open.load(Ordering::Relaxed) as f64,
            ),
            (gauge("tickwire_players", "Players in the game."), |h| {
                f64::from(h.stats.read().players)
            }),
            (
                gauge("tickwire_tick_rate_hz", "Current simulation tick rate."),
                |h| f64::from(h.tick_rate.load(Ordering::Relaxed)),
            ),
            (
                gauge(
                    "tickwire_tick_duration_p99_seconds",
                    "99th percentile tick duration over the last minute.",
                ),
                |h| f64::from(h.stats.read().p99_us) / 1e6,
            ),
            (
                gauge(
                    "tickwire_tick_start_lateness_p99_seconds",
                    "99th percentile of how late ticks started after their scheduled time, over the last minute.",
                ),
                |h| f64::from(h.stats.read().late_p99_us) / 1e6,
            ),
            (
                gauge(
                    "tickwire_fanout_write_p99_seconds",
                    "99th percentile time the fan-out writer took to write one tick to every socket, last minute.",
                ),
                |h| f64::from(h.stats.read().write_p99_us) / 1e6,
            ),
            (
                gauge(
                    "tickwire_read_pass_p99_seconds",
                    "99th percentile time the read pass took to read every joined client's socket once, last minute.",
                ),
                |h| f64::from(h.stats.read().read_p99_us) / 1e6,
            ),
            (
                gauge(
                    "tickwire_uptime_seconds",
                    "Seconds since the server started.",
                ),
                |h| h.started_at.elapsed().as_secs_f64(),
            ),
        ];
        Metrics {
            recorder,
            handle,
            tick_duration,
            admin_auth_failures,
            mirrored,
            gauges,
        }
    }

    /// Counts a game session that ended with `code` (`None`: the peer closed or vanished).
    pub fn disconnect(&self, code: Option<u16>) {
        let label = match code {
            Some(code) => code.to_string(),
            None => "none".to_string(),
        };
        let key = Key::from_parts(
            "tickwire_disconnects_total",
            vec![Label::new("code", label)],
        );
        self.recorder.register_counter(&key, &META).increment(1);
    }

    /// Folds recorded histogram samples into their buckets (call periodically; rendering does it too).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The Prometheus text page, with the mirrored counters and gauges brought up to date.
    pub fn render(&self, hub: &Hub) -> String {
        for (counter, read) in &self.mirrored {
            counter.absolute(read(hub));
        }
        for (gauge, read) in &self.gauges {
            gauge.set(read(hub));
        }
        sorted_families(&self.handle.render())
    }
}

/// The exporter's page with its metric families (blocks separated by a blank line) in name order: the exporter
/// keeps them in a hash map, so each scrape had its own order, which made two scrapes hard to compare by eye.
fn sorted_families(page: &str) -> String {
    let mut families: Vec<&str> = page
        .split("\n\n")
        .map(|b| b.trim_matches('\n'))
        .filter(|b| !b.is_empty())
        .collect();
    let name = |block: &str| -> String {
        let first = block.lines().next().unwrap_or_default();
        let mut words = first.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("#"), Some(_), Some(name)) => name.to_string(),
            (Some(sample), ..) => sample.to_string(),
            _ => String::new(),
        }
    };
    families.sort_by_cached_key(|b| name(b));
    let mut out = String::with_capacity(page.len());
    for block in families {
        out.push_str(block);
        out.push_str("\n\n");
    }
    out
}

/// Answers `GET /metrics` (no body for `HEAD`).
pub(crate) async fn serve(stream: &mut crate::conn::Conn, head_only: bool, hub: &Hub) {
    let body = hub.metrics.render(hub);
    let _ = crate::http::answer(
        stream,
        head_only,
        200,
        "OK",
        "text/plain; version=0.0.4; charset=utf-8",
        body.as_bytes(),
        &[],
    )
    .await;
}

/// Runs [`Metrics::upkeep`] every [`UPKEEP_EVERY`] until shutdown, so unscraped histogram samples do not pile up.
pub(crate) async fn upkeep_loop(hub: std::sync::Arc<Hub>) {
    let mut shutdown = hub.shutdown.clone();
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tokio::select! {
            _ = crate::hub::shutdown_signalled(&mut shutdown) => break,
            _ = every.tick() => hub.metrics.upkeep(),
        }
    }
}
