//! # tickwire-client: a game client in Rust
//!
//! Connects to a tickwire server, says hello, and keeps a [`Mirror`] of the world up to date from the server's
//! snapshots and deltas. The bots, the end-to-end tests and the tools all use this one client, so the wire
//! format is implemented once on the Rust side (in `tickwire-shared`) and exercised by everything.
//!
//! Two levels of receiving: [`Client::recv`] decodes every message and keeps the mirror; [`Client::recv_frame`]
//! hands back the raw payload (for tools that time, size or only peek at frames) and [`Client::handle_frame`]
//! turns such a payload into a message exactly as `recv` would. The client counts the payload bytes it sends
//! and receives.
//!
//! [`LeanClient`] is the same client on the wire without tungstenite's per-message work, driven by polling so that
//! one task can run thousands of connections (the load-test bots); [`apply_frame`] is the decoding step both share.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tickwire_shared::{
    ClientMessage, Hello, Input, Mirror, MirrorError, PROTOCOL_VERSION, Ping, ServerMessage,
    Welcome, decode_server, encode_client,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub mod lean;
pub mod tls;
pub use lean::LeanClient;

/// Why `url` cannot be connected to, before trying: not a `ws://` or `wss://` URL with a host (the same parse
/// [`LeanClient::connect`] does). The text suits a message about a `--url` flag.
pub fn check_url(url: &str) -> Result<(), String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let request = url.into_client_request().map_err(|e| e.to_string())?;
    let uri = request.uri();
    if !matches!(uri.scheme_str(), Some("ws" | "wss")) {
        return Err("the scheme must be ws:// or wss://".into());
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("no host".into());
    }
    Ok(())
}

pub use tokio_tungstenite::tungstenite::Error as WsError;
pub use tokio_tungstenite::tungstenite::error::ProtocolError;
pub use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The WebSocket type the client uses.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What can go wrong on the client side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The WebSocket layer failed (connect, handshake, I/O).
    #[error("websocket: {0}")]
    Ws(#[from] tokio_tungstenite::tungstenite::Error),
    /// The server sent a frame that is not a valid message.
    #[error("undecodable server message: {0}")]
    Decode(#[from] tickwire_shared::DecodeError),
    /// The server sent a text frame or something else outside the protocol.
    #[error("protocol violation by the server: {0}")]
    Protocol(String),
    /// A snapshot or delta did not fit the mirror.
    #[error("mirror: {0}")]
    Mirror(#[from] MirrorError),
    /// The server closed the connection.
    #[error("closed by the server: {code} {reason}")]
    Closed {
        /// The close code (1005 when the frame had none).
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// The connection ended without a close frame.
    #[error("connection ended without a close frame")]
    Ended,
    /// Nothing arrived in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// Decodes a server frame's payload and applies it as a client does: a welcome is kept in `welcome`, snapshots and
/// deltas go to `mirror`. What [`Client::handle_frame`] does, for clients that keep their state elsewhere.
pub fn apply_frame(
    mirror: &mut Mirror,
    welcome: &mut Option<Welcome>,
    bytes: &[u8],
) -> Result<ServerMessage, ClientError> {
    let msg = decode_server(bytes)?;
    match &msg {
        ServerMessage::Welcome(w) => *welcome = Some(w.clone()),
        ServerMessage::Snapshot(_) | ServerMessage::Delta(_) => {
            mirror.apply(&msg)?;
        }
        _ => {}
    }
    Ok(msg)
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    ws: Socket,
    /// The world as this client holds it.
    pub mirror: Mirror,
    /// The welcome, once received.
    pub welcome: Option<Welcome>,
    next_seq: u32,
    bytes_sent: u64,
    bytes_received: u64,
}

impl Client {
    /// Opens the WebSocket (no hello yet).
    pub async fn connect(url: &str) -> Result<Client, ClientError> {
        Self::connect_with_config(url, WebSocketConfig::default()).await
    }

    /// Opens the WebSocket with explicit buffer and size limits (tungstenite's defaults allocate a 128 KiB read
    /// buffer per connection, which adds up for thousands of bots).
    pub async fn connect_with_config(
        url: &str,
        config: WebSocketConfig,
    ) -> Result<Client, ClientError> {
        let (ws, _response) =
            // `true`: TCP_NODELAY, as browsers set for WebSockets (no input held back by Nagle's algorithm).
            tokio_tungstenite::connect_async_with_config(url, Some(config), true).await?;
        Ok(Client::over(ws))
    }

    /// Opens the WebSocket over a TCP connection the caller made (to choose its socket options, such as a
    /// small receive buffer).
    pub async fn connect_over(
        url: &str,
        tcp: tokio::net::TcpStream,
    ) -> Result<Client, ClientError> {
        let stream = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
        let (ws, _response) = tokio_tungstenite::client_async(url, stream).await?;
        Ok(Client::over(ws))
    }

    /// A client over an open WebSocket, before its hello.
    fn over(ws: Socket) -> Client {
        Client {
            ws,
            mirror: Mirror::new(),
            welcome: None,
            next_seq: 1,
            bytes_sent: 0,
            bytes_received: 0,
        }
    }

    /// Opens a `wss://` WebSocket trusting the roots in `tls` (for a server with a private or self-signed
    /// certificate); `connect` already handles `wss://` for certificates public roots vouch for.
    pub async fn connect_tls(
        url: &str,
        tls: std::sync::Arc<rustls::ClientConfig>,
    ) -> Result<Client, ClientError> {
        let connector = tokio_tungstenite::Connector::Rustls(tls);
        let (ws, _response) =
            tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector))
                .await?;
        Ok(Client::over(ws))
    }

    /// Says hello and waits for the welcome and the first snapshot (after `connect` or `connect_tls`).
    pub async fn hello(&mut self, name: &str, wait: Duration) -> Result<(), ClientError> {
        self.hello_resuming(name, None, wait).await
    }

    /// Says hello presenting a resume token (to take back the player of a dropped connection), and waits for
    /// the welcome and the first snapshot. A refused token ends in `ClientError::Closed` with code 4006.
    pub async fn hello_resuming(
        &mut self,
        name: &str,
        resume: Option<tickwire_shared::ResumeToken>,
        wait: Duration,
    ) -> Result<(), ClientError> {
        self.send(&ClientMessage::Hello(Hello {
            version: PROTOCOL_VERSION,
            name: name.to_string(),
            resume,
        }))
        .await?;
        self.recv_until(wait, |c, _| c.welcome.is_some() && c.mirror.tick.is_some())
            .await?;
        Ok(())
    }

    /// Connects, says hello and waits for the welcome and the first snapshot.
    pub async fn join(url: &str, name: &str, wait: Duration) -> Result<Client, ClientError> {
        let mut client = Client::connect(url).await?;
        client.hello(name, wait).await?;
        Ok(client)
    }

    /// Sends one message.
    pub async fn send(&mut self, msg: &ClientMessage) -> Result<(), ClientError> {
        let bytes = encode_client(msg);
        self.bytes_sent += bytes.len() as u64;
        self.ws.send(Message::Binary(bytes)).await?;
        Ok(())
    }

    /// Payload bytes of the game messages sent so far (WebSocket frame headers not included).
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Payload bytes of the binary frames received so far (WebSocket frame headers not included).
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// Sends raw WebSocket message (for tests of what the server does with bad input).
    pub async fn send_raw(&mut self, msg: Message) -> Result<(), ClientError> {
        self.ws.send(msg).await?;
        Ok(())
    }

    /// Sends an input with the next sequence number; returns that number.
    pub async fn send_input(
        &mut self,
        dx: f32,
        dy: f32,
        aim: f32,
        buttons: u8,
    ) -> Result<u32, ClientError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.send(&ClientMessage::Input(Input {
            seq,
            dx,
            dy,
            aim,
            buttons,
        }))
        .await?;
        Ok(seq)
    }

    /// Sends a ping carrying `client_time`.
    pub async fn ping(&mut self, client_time: f64) -> Result<(), ClientError> {
        self.send(&ClientMessage::Ping(Ping { client_time })).await
    }

    /// The resume token of the last welcome.
    pub fn resume_token(&self) -> Option<tickwire_shared::ResumeToken> {
        self.welcome.as_ref().map(|w| w.resume)
    }

    /// Continues the input sequence after `last` (for a resumed session: continue after the old one's).
    pub fn continue_seq_after(&mut self, last: u32) {
        self.next_seq = self.next_seq.max(last + 1);
    }

    /// The id of this client's own entity.
    pub fn you(&self) -> Option<u32> {
        self.welcome.as_ref().map(|w| w.you)
    }

    /// Receives the next game message, applying it to the mirror (and remembering the welcome).
    pub async fn recv(&mut self) -> Result<ServerMessage, ClientError> {
        let bytes = self.recv_frame().await?;
        self.handle_frame(&bytes)
    }

    /// Receives the payload of the next binary frame without decoding it. A close frame, a text frame or the
    /// end of the stream is an error, as in [`Client::recv`].
    pub async fn recv_frame(&mut self) -> Result<Bytes, ClientError> {
        loop {
            let msg = match self.ws.next().await {
                None => return Err(ClientError::Ended),
                Some(msg) => msg?,
            };
            match msg {
                Message::Binary(bytes) => {
                    self.bytes_received += bytes.len() as u64;
                    return Ok(bytes);
                }
                Message::Close(frame) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    });
                    return Err(ClientError::Closed { code, reason });
                }
                Message::Text(_) => {
                    return Err(ClientError::Protocol("text frame from the server".into()));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
            }
        }
    }

    /// Decodes a frame's payload and applies it: a welcome is remembered, snapshots and deltas go to the mirror.
    pub fn handle_frame(&mut self, bytes: &[u8]) -> Result<ServerMessage, ClientError> {
        apply_frame(&mut self.mirror, &mut self.welcome, bytes)
    }

    /// Receives messages until `done` says so, or fails after `wait`.
    pub async fn recv_until(
        &mut self,
        wait: Duration,
        mut done: impl FnMut(&Client, &ServerMessage) -> bool,
    ) -> Result<ServerMessage, ClientError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.recv())
                .await
                .map_err(|_| ClientError::Timeout(wait))??;
            if done(self, &msg) {
                return Ok(msg);
            }
        }
    }

    /// Waits for the server to close the connection and returns the close code and reason.
    pub async fn expect_close(&mut self, wait: Duration) -> Result<(u16, String), ClientError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.recv()).await {
                Err(_) => return Err(ClientError::Timeout(wait)),
                Ok(Err(ClientError::Closed { code, reason })) => return Ok((code, reason)),
                Ok(Err(e)) => return Err(e),
                Ok(Ok(_)) => continue,
            }
        }
    }

    /// Closes the connection normally (1000).
    pub async fn close(mut self) -> Result<(), ClientError> {
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        };
        self.ws.close(Some(frame)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn inputs_are_not_held_back_by_nagle() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            tokio_tungstenite::accept_async(tcp)
                .await
                .expect("server handshake")
        });
        let client = Client::connect(&url).await.expect("client handshake");
        let _server = server.await.expect("server task");
        let MaybeTlsStream::Plain(tcp) = client.ws.get_ref() else {
            panic!("ws:// is plain TCP");
        };
        assert!(tcp.nodelay().expect("read TCP_NODELAY"));
    }
}
