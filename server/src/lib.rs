//! # tickwire-server
//!
//! The network layer and the tick driver around the simulation in `tickwire-sim`:
//!
//! - [`http`]: the listening port: request heads, `/healthz`, the embedded browser client, the upgrade to `/ws`.
//! - [`session`]: one WebSocket connection: hello, inputs in, frames out, close codes.
//! - [`hub`]: the two bounded queues where sessions and the tick driver meet, and shared counters.
//! - [`tick`]: the tick driver, on its own thread: drain inputs → step → encode once → hand off.
//! - [`config`]: flags, config file, defaults and limits.
//! - [`admin`]: the operator's commands and their front-ends (local console, `/admin` WebSocket, RCON).
//! - [`metrics`]: `GET /metrics` in Prometheus text format.
//! - [`stats`]: tick timing (p50/p99/max over the last minute) and rates for `status`.
//! - [`status`]: `GET /status`, public JSON saying whether the server is full or shutting down (for browsers).
//! - [`rtt`]: WebSocket pings that measure each client's round trip.
//! - [`shutdown`]: the one switch that starts a graceful shutdown.
//!
//! [`start`] runs all of it inside the caller's tokio runtime and returns a [`RunningServer`] handle; the
//! `tickwire-server` binary and the end-to-end tests both use it.

pub mod admin;
pub mod closing;
pub mod config;
pub mod conn;
pub mod echo;
pub mod fanout;
pub mod http;
pub mod hub;
pub mod inlet;
pub mod metrics;
pub mod outbox;
pub mod reader;
pub mod recorder;
pub mod replay;
pub mod rtt;
pub mod sched;
pub mod session;
pub mod shutdown;
pub mod stats;
pub mod status;
pub mod sys;
pub mod tick;
pub mod tls;
pub mod web;
pub mod writer;

use config::ServerConfig;
use hub::Hub;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tickwire_sim::{Sim, SimConfig};
use tokio::net::TcpListener;
use tracing::{error, info, warn};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    // The OS error is the source (printed after this by error reports), not repeated in the message.
    #[error("cannot listen on {addr} ({flag})")]
    Bind {
        /// Which listener, by the flag (or config key) that set its address: `--bind`, `--admin-bind`, `--rcon-bind`.
        flag: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The simulation refused its configuration.
    #[error(transparent)]
    Sim(#[from] tickwire_sim::SimError),
    /// The TLS certificate or key could not be used.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The tick thread could not be started.
    #[error("cannot start the tick thread: {0}")]
    Thread(std::io::Error),
    /// `--scheduling realtime` was asked for and the OS refused it.
    #[error(transparent)]
    Scheduling(#[from] sched::RealtimeRefused),
    /// The recording file (`--record`) cannot be written.
    #[error("cannot write the recording to {}", path.display())]
    Record {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    hub: Arc<Hub>,
    tick_thread: Option<std::thread::JoinHandle<()>>,
    accept_task: tokio::task::JoinHandle<()>,
}

/// Binds the listener, starts the tick thread and the accept loop. Must be called inside a tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    // Everything that can fail on bad configuration is checked before any thread starts.
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    let sim = Sim::new(SimConfig {
        map: config.map.clone(),
        rules: config.rules.clone(),
        tick_rate: config.tick_rate,
        seed: config.seed,
        scenario: config.scenario,
    })?;
    // A path that cannot be written stops the start, rather than losing the match.
    let recorder = match &config.record {
        Some(path) => {
            Some(
                recorder::Recorder::open(path).map_err(|source| StartError::Record {
                    path: path.clone(),
                    source,
                })?,
            )
        }
        None => None,
    };
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            flag: "--bind",
            addr: config.bind,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        flag: "--bind",
        addr: config.bind,
        source,
    })?;
    let limits = config.limits.clone();
    // Without a token there is no remote admin: the extra listeners are not even bound.
    let remote = |addr: Option<SocketAddr>| addr.filter(|_| config.admin.token.is_some());
    let admin_listener = bind_optional("--admin-bind", remote(config.admin.bind)).await?;
    let rcon_listener = bind_optional("--rcon-bind", remote(config.admin.rcon_bind)).await?;
    let settings = admin::AdminSettings {
        token: config.admin.token.clone(),
        admin_addr: admin_listener.as_ref().map(|(_, a)| *a),
        rcon_addr: rcon_listener.as_ref().map(|(_, a)| *a),
        failures: tokio::sync::Mutex::new(()),
    };
    let (hub, receivers) = Hub::new(
        limits.input_queue,
        limits.max_clients,
        config.tick_rate,
        settings,
    );

    let scheduling = config.scheduling;
    let driver = tick::TickDriver::new(sim, hub.clone(), receivers, &limits, recorder, scheduling)
        .map_err(StartError::Thread)?;
    let (policy_tx, policy_rx) = tokio::sync::oneshot::channel();
    let tick_thread = std::thread::Builder::new()
        .name("tickwire-tick".into())
        .spawn(move || {
            let policy = scheduling.tick_thread();
            let refused = policy.is_err();
            let _ = policy_tx.send(policy);
            if !refused {
                driver.run();
            }
        })
        .map_err(StartError::Thread)?;
    match policy_rx.await {
        Ok(Ok(policy)) => info!(tick_thread = %policy, %scheduling, "thread scheduling"),
        Ok(Err(refused)) => return Err(StartError::Scheduling(refused)),
        Err(_) => {
            return Err(StartError::Thread(std::io::Error::other(
                "the tick thread ended before it started",
            )));
        }
    }

    let (http, ws) = if tls.is_some() {
        ("https", "wss")
    } else {
        ("http", "ws")
    };
    // The separate admin listener serves TLS as the game's does: the admin token never crosses in clear.
    let tls_admin = tls.clone();
    let accept_task = tokio::spawn(accept_loop(listener, hub.clone(), limits.clone(), tls));
    tokio::spawn(metrics::upkeep_loop(hub.clone()));
    info!(
        "listening on {http}://{local_addr} (game WebSocket: {ws}://{local_addr}{})",
        tickwire_shared::GAME_PATH
    );
    announce_admin(
        &config.admin,
        (ws, local_addr),
        admin_listener.as_ref().map(|(_, a)| *a),
    );
    if let Some((listener, _)) = admin_listener {
        tokio::spawn(admin::ws::listen(listener, hub.clone(), limits, tls_admin));
    }
    if let Some((listener, addr)) = rcon_listener {
        info!("RCON on {addr} (the admin token is the password)");
        tokio::spawn(admin::rcon::listen(listener, hub.clone()));
    }
    Ok(RunningServer {
        local_addr,
        hub,
        tick_thread: Some(tick_thread),
        accept_task,
    })
}

/// Binds an optional extra listener (admin or RCON).
async fn bind_optional(
    flag: &'static str,
    addr: Option<SocketAddr>,
) -> Result<Option<(TcpListener, SocketAddr)>, StartError> {
    let Some(addr) = addr else { return Ok(None) };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { flag, addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| StartError::Bind { flag, addr, source })?;
    Ok(Some((listener, local)))
}

/// Says at startup where remote admin is, or that it is off (never the token).
/// `main`: the game listener's scheme (`ws` or `wss`) and address; the separate admin listener uses the same
/// scheme.
fn announce_admin(
    cfg: &config::AdminConfig,
    main: (&str, SocketAddr),
    separate: Option<SocketAddr>,
) {
    let path = tickwire_shared::admin::ADMIN_PATH;
    if cfg.token.is_none() {
        info!(
            "remote admin disabled: no admin token (set --admin-token, TICKWIRE_ADMIN_TOKEN or admin_token)"
        );
        if cfg.bind.is_some() || cfg.rcon_bind.is_some() {
            warn!("--admin-bind/--rcon-bind ignored: they need an admin token");
        }
        return;
    }
    let (scheme, addr) = separate.map_or(main, |a| (main.0, a));
    info!("remote admin on {scheme}://{addr}{path}");
    if cfg.weak_token {
        warn!(
            "the admin token is shorter than {} characters; use a long random one",
            admin::auth::WEAK_TOKEN_CHARS
        );
    }
}

async fn accept_loop(
    listener: TcpListener,
    hub: Arc<Hub>,
    limits: config::Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut shutdown = hub.shutdown.clone();
    loop {
        tokio::select! {
            _ = crate::hub::shutdown_signalled(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    // A bounded kernel send buffer: a client that stops reading pins at most this much.
                    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(limits.send_buffer_bytes);
                    let (hub, limits, tls) = (hub.clone(), limits.clone(), tls.clone());
                    tokio::spawn(async move {
                        let Some(conn) = conn::Conn::accept(stream, peer, tls.as_ref(), limits.handshake_timeout).await else {
                            return;
                        };
                        http::serve_connection(conn, peer, hub, limits).await;
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

impl RunningServer {
    /// The address the server listens on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state, for tools and tests that inspect the server.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// The separate admin listener's address (`--admin-bind`), when there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.hub.admin.admin_addr
    }

    /// The RCON listener's address (`--rcon-bind`), when there is one.
    pub fn rcon_addr(&self) -> Option<SocketAddr> {
        self.hub.admin.rcon_addr
    }

    /// Starts shutting down without waiting: no new connections, every client gets 1001 after the last tick.
    pub fn begin_shutdown(&self) {
        self.hub.stop.trigger(None);
    }

    /// Resolves once something started the shutdown (the `shutdown` command, [`Self::begin_shutdown`]); returns
    /// the grace period the command asked for, if any. The host then calls [`Self::shutdown`].
    pub async fn shutdown_requested(&self) -> Option<Duration> {
        let mut rx = self.hub.stop.subscribe();
        hub::shutdown_signalled(&mut rx).await;
        self.hub.stop.requested_grace()
    }

    /// Shuts down gracefully: stops accepting, lets the tick finish, sends every client a close frame 1001
    /// "server shutting down", and waits up to `grace` for the sessions to end.
    pub async fn shutdown(mut self, grace: Duration) {
        self.begin_shutdown();
        let deadline = Instant::now() + grace;
        if let Some(thread) = self.tick_thread.take() {
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                error!("the tick thread panicked");
            }
        }
        let _ = (&mut self.accept_task).await;
        while self.hub.open.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let left = self.hub.open.load(Ordering::Acquire);
        if left > 0 {
            warn!(
                sessions = left,
                "grace period over; dropping remaining sessions"
            );
        } else {
            info!("all sessions closed");
        }
    }
}
