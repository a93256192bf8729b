//! The conformance echo endpoint, `GET /echo`, off unless `--conformance-echo` is given.
//!
//! It exists so that a WebSocket test suite nobody here wrote (Autobahn|Testsuite, which expects an echo peer)
//! can check tickwire's WebSocket layer: it goes through the same listener, request-head reader, upgrade
//! validation, tungstenite limits and close-code mapping as the game endpoint, and echoes text and binary
//! messages instead of playing the game. It never reaches the simulation.

use crate::closing::{close_with, read_error_reason};
use crate::config::Limits;
use crate::conn::Conn;
use crate::http::{Request, accept_ws, check_upgrade};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// The endpoint's path.
pub const ECHO_PATH: &str = "/echo";

/// Upgrades and echoes until the peer closes or breaks the protocol.
pub(crate) async fn serve(mut stream: Conn, req: Request, leftover: Vec<u8>, limits: Limits) {
    let key = match check_upgrade(&req, &limits, stream.is_tls()) {
        Ok(key) => key,
        Err(refusal) => return refusal.send(&mut stream).await,
    };
    let Some((mut ws, _outbox, _inlet)) = accept_ws(stream, &key, leftover, &limits).await else {
        return;
    };
    while let Some(msg) = ws.next().await {
        let reply = match msg {
            Ok(Message::Text(text)) => Message::Text(text),
            Ok(Message::Binary(bytes)) => Message::Binary(bytes),
            Ok(Message::Close(_)) => break,
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
            Err(e) => {
                if let Some(why) = read_error_reason(e) {
                    close_with(&mut ws, &why).await;
                }
                return;
            }
        };
        if ws.send(reply).await.is_err() {
            return;
        }
    }
    // tungstenite answers the peer's close frame itself; flush it out before dropping the socket.
    let _ = ws.flush().await;
}
