//! # tickwire-server
//!
//! The network layer and the tick driver around the simulation in `tickwire-sim`:
//!
//! - [`http`]: the listening port: request heads, `/healthz`, the embedded browser client, the upgrade to `/ws`.
//! - [`session`]: one WebSocket connection: hello, inputs in, frames out, close codes.
//! - [`hub`]: the two bounded queues where sessions and the tick driver meet, and shared counters.
//! - [`tick`]: the tick driver, on its own thread: drain inputs → step → encode once → hand off.
//! - [`config`]: flags, config file, defaults and limits.
//!
//! [`start`] runs all of it inside the caller's tokio runtime and returns a [`RunningServer`] handle; the
//! `tickwire-server` binary and the end-to-end tests both use it.

pub mod config;
pub mod fanout;
pub mod http;
pub mod hub;
pub mod session;
pub mod tick;
pub mod web;

use config::ServerConfig;
use hub::Hub;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tickwire_sim::{Sim, SimConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{error, info, warn};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The simulation refused its configuration.
    #[error(transparent)]
    Sim(#[from] tickwire_sim::SimError),
    /// The tick thread could not be started.
    #[error("cannot start the tick thread: {0}")]
    Thread(std::io::Error),
}

/// A started server.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    hub: Arc<Hub>,
    shutdown_tx: watch::Sender<bool>,
    tick_thread: Option<std::thread::JoinHandle<()>>,
    accept_task: tokio::task::JoinHandle<()>,
}

/// Binds the listener, starts the tick thread and the accept loop. Must be called inside a tokio runtime.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    let sim = Sim::new(SimConfig {
        map: config.map.clone(),
        rules: config.rules.clone(),
        tick_rate: config.tick_rate,
        seed: config.seed,
        scenario: config.scenario,
    })?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.bind,
        source,
    })?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let limits = config.limits.clone();
    let (hub, receivers) = Hub::new(
        limits.input_queue,
        limits.max_clients,
        config.tick_rate,
        shutdown_rx,
    );

    let driver = tick::TickDriver::new(sim, hub.clone(), receivers, &limits, config.record.clone());
    let tick_thread = std::thread::Builder::new()
        .name("tickwire-tick".into())
        .spawn(move || driver.run())
        .map_err(StartError::Thread)?;

    let accept_task = tokio::spawn(accept_loop(listener, hub.clone(), limits));
    info!(
        "listening on http://{local_addr} (game WebSocket: ws://{local_addr}{})",
        tickwire_shared::GAME_PATH
    );
    Ok(RunningServer {
        local_addr,
        hub,
        shutdown_tx,
        tick_thread: Some(tick_thread),
        accept_task,
    })
}

async fn accept_loop(listener: TcpListener, hub: Arc<Hub>, limits: config::Limits) {
    let mut shutdown = hub.shutdown.clone();
    loop {
        tokio::select! {
            _ = crate::hub::shutdown_signalled(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(http::serve_connection(stream, peer, hub.clone(), limits.clone()));
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

    /// Starts shutting down without waiting: no new connections, every client gets 1001 after the last tick.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
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
