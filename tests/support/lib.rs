//! # tickwire-testkit: the end-to-end test harness
//!
//! Starts the real server in-process on `127.0.0.1:0` and connects real WebSocket clients to it. Used by the
//! integration tests in `tests/` and by the benchmarks.

use futures_util::{SinkExt, StreamExt};
mod honest;

pub use honest::{Honest, HonestReport};
use std::net::SocketAddr;
use std::time::Duration;
pub use tickwire_client::{Client, ClientError};
use tickwire_server::RunningServer;
use tickwire_server::admin::AdminToken;
use tickwire_server::config::ServerConfig;
use tickwire_shared::admin::{
    ADMIN_PATH, AdminRequest, AdminResponse, decode_admin_response, encode_admin_request,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// How long tests wait for something that should happen within a few ticks.
pub const WAIT: Duration = Duration::from_secs(5);

/// The admin token of [`TestServer::start_admin`].
pub const TEST_TOKEN: &str = "test-admin-token-0123456789";

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

    /// Starts a server with remote admin enabled (token [`TEST_TOKEN`]) after `adjust`.
    pub async fn start_admin(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        Self::start_with(|c| {
            c.admin.token = Some(AdminToken::new(TEST_TOKEN));
            adjust(c);
        })
        .await
    }

    /// The admin WebSocket URL (on the separate admin listener when there is one).
    pub fn admin_url(&self) -> String {
        let addr = self.server.admin_addr().unwrap_or(self.addr());
        format!("ws://{addr}{ADMIN_PATH}")
    }

    /// An authenticated admin session with [`TEST_TOKEN`].
    pub async fn admin(&self) -> Admin {
        Admin::connect(&self.admin_url(), TEST_TOKEN)
            .await
            .expect("admin connects with the right token")
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

/// A minimal admin client: one command, one reply.
#[derive(Debug)]
pub struct Admin {
    ws: tickwire_client::Socket,
    next_id: u32,
}

impl Admin {
    /// Opens the admin WebSocket with `Authorization: Bearer TOKEN`.
    pub async fn connect(url: &str, token: &str) -> Result<Admin, tungstenite::Error> {
        let mut request = url.into_client_request()?;
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| tungstenite::Error::Url(tungstenite::error::UrlError::NoHostName))?;
        request.headers_mut().insert("Authorization", value);
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Admin { ws, next_id: 1 })
    }

    /// Waits for the server's close frame: its code and reason (`None`: the connection ended without one).
    pub async fn expect_close(&mut self) -> Option<(u16, String)> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the admin connection ends in time");
            match msg {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Runs `line`; returns the reply's `ok` and text.
    pub async fn run(&mut self, line: &str) -> (bool, String) {
        let id = self.next_id;
        self.next_id += 1;
        let req = AdminRequest::Command {
            id,
            line: line.into(),
        };
        self.ws
            .send(Message::Binary(encode_admin_request(&req)))
            .await
            .expect("send admin command");
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("an admin reply in time")
                .expect("the admin connection stays open")
                .expect("admin read");
            if let Message::Binary(bytes) = msg {
                let AdminResponse::Reply { id: got, ok, text } =
                    decode_admin_response(&bytes).expect("a valid admin reply");
                assert_eq!(got, id, "the reply carries the request's id");
                return (ok, text);
            }
        }
    }
}

/// Fetches `GET /metrics` and returns the body.
pub async fn metrics(addr: SocketAddr) -> String {
    let response = raw_http(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// A simulation for benchmarks: a 4000 × 4000 open arena with 100 spawn points, so `players` players (client
/// keys `0..players`) are spread out; stepped once after they join.
pub fn open_field_sim(players: u64) -> tickwire_sim::Sim {
    open_field_sim_with(players, 4000.0, None)
}

/// [`open_field_sim`] on a `size` × `size` field (spawn points 10 × 10, evenly spread) with an optional
/// interest grid.
pub fn open_field_sim_with(
    players: u64,
    size: f32,
    view: Option<tickwire_sim::interest::ViewAsset>,
) -> tickwire_sim::Sim {
    let step = size / 10.0;
    let spawns = (0..100)
        .map(|i| tickwire_sim::assets::Point {
            x: step / 2.0 + (i % 10) as f32 * step,
            y: step / 2.0 + (i / 10) as f32 * step,
        })
        .collect();
    let map = tickwire_sim::MapAsset {
        width: size,
        height: size,
        walls: Vec::new(),
        spawns,
        view,
    };
    let mut sim = tickwire_sim::Sim::new(tickwire_sim::SimConfig {
        map,
        rules: tickwire_sim::RulesAsset::default_rules(),
        tick_rate: 30,
        seed: 1,
        scenario: Default::default(),
    })
    .expect("valid");
    for c in 0..players {
        sim.join(c, &format!("bot-{c}"));
    }
    sim.step();
    sim
}
