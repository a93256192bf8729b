//! The meeting point of the network layer and the tick driver: the two bounded queues and the state both read.
//!
//! Sessions push [`Control`] messages (join, leave) and decoded inputs in; the tick driver drains them at the
//! start of every tick. Outbound, each session has a bounded [`crate::outbox::Outbox`] that the tick driver's
//! fan-out writer fills ([`Join::out`]). Nothing here knows a game rule, and nothing here blocks the tick.

use dashmap::DashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tickwire_shared::Input;
use tokio::sync::{mpsc, watch};

/// The network layer's name for one connection. The simulation treats it as an opaque number.
pub type ClientKey = u64;

/// Why the server is closing a session: sent as the close frame's code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseReason {
    /// Close code, see `tickwire_shared::close`.
    pub code: u16,
    /// Human-readable reason (at most 123 bytes on the wire).
    pub reason: String,
}

/// Per-session state the tick driver may set: the reason it dropped the session's outbound queue, and the
/// player's entity id once it joined (for the session's log span).
#[derive(Debug, Default)]
pub struct SessionCtl {
    close: Mutex<Option<CloseReason>>,
    player: AtomicU32,
    welcomed: AtomicBool,
}

impl SessionCtl {
    /// Records the entity id the tick gave this session's player.
    pub fn set_player(&self, id: u32) {
        self.player.store(id, Ordering::Relaxed);
    }

    /// Records that the client's outbox took the welcome: whatever the session sends from now on follows it.
    pub fn set_welcomed(&self) {
        self.welcomed.store(true, Ordering::Release);
    }

    /// Whether the welcome is on its way (see [`SessionCtl::set_welcomed`]).
    pub fn welcomed(&self) -> bool {
        self.welcomed.load(Ordering::Acquire)
    }

    /// The player's entity id, once joined.
    pub fn player(&self) -> Option<u32> {
        Some(self.player.load(Ordering::Relaxed)).filter(|&id| id != 0)
    }

    /// Records why the session must close (the first reason wins).
    pub fn set_close(&self, code: u16, reason: impl Into<String>) {
        if let Ok(mut slot) = self.close.lock() {
            slot.get_or_insert(CloseReason {
                code,
                reason: reason.into(),
            });
        }
    }

    /// The recorded close reason, if any.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close.lock().ok().and_then(|slot| slot.clone())
    }
}

/// A session asking to join the game.
#[derive(Debug)]
pub struct Join {
    /// The connection.
    pub key: ClientKey,
    /// The requested name.
    pub name: String,
    /// Where this client's frames go (see [`crate::outbox`]).
    pub out: Arc<crate::outbox::Outbox>,
    /// Where the tick driver records why it dropped the client.
    pub ctl: Arc<SessionCtl>,
    /// The resume token from the hello: take back a held player instead of creating one.
    pub resume: Option<tickwire_shared::ResumeToken>,
}

/// Connection lifecycle messages, which must never be lost (sent with `send().await` on a bounded queue).
#[derive(Debug)]
pub enum Control {
    /// A client completed its hello.
    Join(Join),
    /// A joined client left for good (it closed normally, or broke the protocol).
    Leave(ClientKey),
    /// A joined client's connection dropped without a close: hold its player for the resume grace period.
    Detach(ClientKey),
    /// An operator command that changes or reads the game; answered within the tick that drains it.
    Admin(crate::admin::TickRequest),
}

/// What the console and metrics show about a connection.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// The peer's address.
    pub peer: SocketAddr,
    /// When the WebSocket opened.
    pub connected_at: Instant,
    /// The name from the hello, once joined.
    pub name: Option<String>,
    /// The last measured WebSocket ping round trip (see `crate::rtt`).
    pub rtt: Option<Duration>,
}

/// Counters kept by the network layer and the tick driver.
#[derive(Debug, Default)]
pub struct Counters {
    /// WebSocket connections accepted.
    pub connections: AtomicU64,
    /// Game upgrades refused because `--max-clients` connections were open (HTTP 503).
    pub refused_full: AtomicU64,
    /// Game upgrades refused for a browser origin that is not allowed (HTTP 403).
    pub refused_origin: AtomicU64,
    /// When (ms after the start, plus one) the log last said the server is full: it says so at most every
    /// [`crate::http::FULL_LOG_EVERY`].
    pub full_logged_at_ms: AtomicU64,
    /// Clients that joined.
    pub joins: AtomicU64,
    /// Joined clients that left the game, for any reason (closed, kicked, too slow, shutdown).
    pub leaves: AtomicU64,
    /// Inputs decoded and queued for the tick.
    pub inputs_received: AtomicU64,
    /// Client messages dropped by the per-client rate limit.
    pub messages_dropped: AtomicU64,
    /// Inputs dropped because the tick's input queue was full.
    pub inputs_dropped: AtomicU64,
    /// Ticks whose frame a client could not take (it skipped the tick and will catch up later).
    pub frames_skipped: AtomicU64,
    /// Ticks sent to nobody because the fan-out writer was still writing the previous tick.
    pub fanout_skipped: AtomicU64,
    /// Payload bytes received from clients.
    pub bytes_in: AtomicU64,
    /// Payload bytes handed to clients' sockets.
    pub bytes_out: AtomicU64,
    /// Ticks that started late by more than one period.
    pub tick_overruns: AtomicU64,
}

/// State shared by every session, the acceptor and the tick driver.
#[derive(Debug)]
pub struct Hub {
    /// Lifecycle messages to the tick.
    pub control: mpsc::Sender<Control>,
    /// Decoded inputs to the tick.
    pub inputs: mpsc::Sender<(ClientKey, Input)>,
    /// The last completed tick (for pongs).
    pub tick: AtomicU32,
    /// The current tick rate.
    pub tick_rate: AtomicU16,
    /// The clients the read pass reads (see [`crate::reader`]).
    pub readers: crate::reader::Readers,
    /// Live sessions, for the console.
    pub sessions: DashMap<ClientKey, SessionInfo>,
    /// Open WebSocket connections on the game path (joined or not).
    pub open: AtomicUsize,
    /// Counters for metrics.
    pub counters: Counters,
    /// Flips to `true` once when the server starts shutting down.
    pub shutdown: watch::Receiver<bool>,
    /// Starts the shutdown (signals, the `shutdown` command, [`crate::RunningServer::shutdown`]).
    pub stop: crate::shutdown::ShutdownSwitch,
    /// Tick timing and rates, published by the tick driver for the console.
    pub stats: crate::stats::TickStats,
    /// The Prometheus metrics behind `GET /metrics`.
    pub metrics: crate::metrics::Metrics,
    /// Remote administration settings (token, where the endpoints are).
    pub admin: crate::admin::AdminSettings,
    /// When the server started.
    pub started_at: Instant,
    next_key: AtomicU64,
}

/// The receiving ends of the hub's queues, owned by the tick driver.
#[derive(Debug)]
pub struct HubReceivers {
    /// Lifecycle messages.
    pub control: mpsc::Receiver<Control>,
    /// Decoded inputs.
    pub inputs: mpsc::Receiver<(ClientKey, Input)>,
}

impl Hub {
    /// Creates the hub and the receivers for the tick driver.
    pub fn new(
        input_queue: usize,
        max_clients: usize,
        tick_rate: u16,
        admin: crate::admin::AdminSettings,
    ) -> (Arc<Hub>, HubReceivers) {
        let (stop, shutdown) = crate::shutdown::ShutdownSwitch::new();
        // Each session sends at most one join and one leave, so twice the client limit never fills.
        let (control_tx, control_rx) = mpsc::channel(max_clients.saturating_mul(2).max(16));
        let (input_tx, input_rx) = mpsc::channel(input_queue.max(16));
        let hub = Hub {
            control: control_tx,
            inputs: input_tx,
            tick: AtomicU32::new(0),
            tick_rate: AtomicU16::new(tick_rate),
            readers: crate::reader::Readers::default(),
            sessions: DashMap::new(),
            open: AtomicUsize::new(0),
            counters: Counters::default(),
            shutdown,
            stop,
            stats: crate::stats::TickStats::default(),
            metrics: crate::metrics::Metrics::new(),
            admin,
            started_at: Instant::now(),
            next_key: AtomicU64::new(1),
        };
        (
            Arc::new(hub),
            HubReceivers {
                control: control_rx,
                inputs: input_rx,
            },
        )
    }

    /// A fresh connection key.
    pub fn next_key(&self) -> ClientKey {
        self.next_key.fetch_add(1, Ordering::Relaxed)
    }

    /// True once shutdown has begun.
    pub fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}

/// Resolves once `shutdown` flips to `true` (or its sender is gone).
pub async fn shutdown_signalled(shutdown: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across an await: drop it here.
    let _ = shutdown.wait_for(|s| *s).await.map(|_| ());
}
