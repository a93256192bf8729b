//! # tickwire-testkit: the end-to-end test harness
//!
//! Starts the real server in-process on `127.0.0.1:0` and connects real WebSocket clients to it. Used by the
//! integration tests in `tests/` and by the benchmarks.

use std::net::SocketAddr;
use std::time::Duration;
pub use tickwire_client::{Client, ClientError};
use tickwire_server::RunningServer;
use tickwire_server::config::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long tests wait for something that should happen within a few ticks.
pub const WAIT: Duration = Duration::from_secs(5);

/// A server running in this process on an ephemeral port.
#[derive(Debug)]
pub struct TestServer {
    server: RunningServer,
}

impl TestServer {
    /// Starts a server with the default configuration on `127.0.0.1:0`.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed its configuration (the bind address is forced to port 0).
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let mut config = ServerConfig::default();
        adjust(&mut config);
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = tickwire_server::start(config)
            .await
            .expect("the test server starts");
        TestServer { server }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The game WebSocket URL.
    pub fn ws_url(&self) -> String {
        format!("ws://{}{}", self.addr(), tickwire_shared::GAME_PATH)
    }

    /// The running server.
    pub fn server(&self) -> &RunningServer {
        &self.server
    }

    /// Joins a new client named `name`, waiting for its welcome and first snapshot.
    pub async fn join(&self, name: &str) -> Client {
        Client::join(&self.ws_url(), name, WAIT)
            .await
            .expect("client joins")
    }

    /// Shuts the server down gracefully.
    pub async fn shutdown(self, grace: Duration) {
        self.server.shutdown(grace).await;
    }
}

/// Sends raw bytes on a fresh TCP connection and returns everything the server answers until it closes.
pub async fn raw_http(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tcp connect");
    stream.write_all(request).await.expect("write request");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
