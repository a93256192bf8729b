//! One WebSocket session: hello, then inputs in and frames out, until either side closes.
//!
//! The session decodes client frames with the shared codec and forwards them; it never reads game state. Its
//! outbound queue is filled only by the tick driver; the session coalesces whatever is queued into one socket
//! write per wake-up (feed every frame, flush once). Bad input closes this session alone with the close code the
//! protocol names for it.

use crate::config::Limits;
use crate::hub::{ClientKey, CloseReason, Control, Hub, Join, SessionCtl, SessionInfo};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tickwire_shared::{
    ClientMessage, PROTOCOL_VERSION, Pong, ProtocolError, ServerMessage, close, decode_client,
    encode_server,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info};

/// How long the server waits for its close frame to be written before dropping the TCP connection.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs a session to its end. The WebSocket handshake is already done.
pub async fn run<S>(
    mut ws: WebSocketStream<S>,
    key: ClientKey,
    peer: SocketAddr,
    hub: Arc<Hub>,
    limits: Limits,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    hub.sessions.insert(
        key,
        SessionInfo {
            peer,
            connected_at: Instant::now(),
            name: None,
            rtt: None,
        },
    );
    let reason = serve(&mut ws, key, &hub, &limits).await;
    if let Some(reason) = &reason {
        close_with(&mut ws, reason).await;
    }
    hub.sessions.remove(&key);
    hub.metrics.disconnect(reason.as_ref().map(|r| r.code));
    info!(
        code = reason.as_ref().map(|r| r.code),
        reason = reason
            .as_ref()
            .map(|r| r.reason.as_str())
            .unwrap_or("peer closed"),
        "session ended"
    );
}

/// The session's life; returns the reason the server closes it, or `None` when the peer closed or vanished.
async fn serve<S>(
    ws: &mut WebSocketStream<S>,
    key: ClientKey,
    hub: &Hub,
    limits: &Limits,
) -> Option<CloseReason>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut shutdown = hub.shutdown.clone();
    // 1. The hello, within the time limit.
    let hello = tokio::select! {
        _ = crate::hub::shutdown_signalled(&mut shutdown) => return Some(going_away()),
        first = tokio::time::timeout(limits.hello_timeout, next_client_message(ws, hub, key)) => match first {
            Err(_) => return Some(reason(close::HELLO_TIMEOUT, "no hello within the time limit")),
            Ok(Err(end)) => return end,
            Ok(Ok(ClientMessage::Hello(hello))) => hello,
            Ok(Ok(_)) => return Some(reason(close::UNEXPECTED_MESSAGE, "the first message must be a hello")),
        },
    };
    if hello.version != PROTOCOL_VERSION {
        let message = format!(
            "protocol version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
            hello.version
        );
        let error = ServerMessage::Error(ProtocolError {
            code: close::VERSION_MISMATCH,
            message: message.clone(),
        });
        let _ = ws.send(Message::Binary(encode_server(&error))).await;
        return Some(reason(close::VERSION_MISMATCH, &message));
    }
    tracing::Span::current().record("name", hello.name.as_str());
    if let Some(mut info) = hub.sessions.get_mut(&key) {
        info.name = Some(hello.name.clone());
    }

    // 2. Join: from now on the tick driver fills our outbound queue.
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(limits.outbound_queue);
    let ctl = Arc::new(SessionCtl::default());
    let join = Join {
        key,
        name: hello.name,
        out: out_tx,
        ctl: ctl.clone(),
    };
    if hub.control.send(Control::Join(join)).await.is_err() {
        return Some(going_away());
    }
    let end = pump(ws, key, &mut out_rx, &ctl, hub, &mut shutdown).await;
    // Leave before anything else: the tick removes the player and stops writing to our queue.
    let _ = hub.control.send(Control::Leave(key)).await;
    end
}

/// The joined phase: frames out, messages in.
async fn pump<S>(
    ws: &mut WebSocketStream<S>,
    key: ClientKey,
    out_rx: &mut mpsc::Receiver<Bytes>,
    ctl: &SessionCtl,
    hub: &Hub,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<CloseReason>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut ping_every = tokio::time::interval(crate::rtt::PING_INTERVAL);
    let mut named = false;
    loop {
        tokio::select! {
            // Round-trip probe for the console's `players` (see `crate::rtt`).
            _ = ping_every.tick() => {
                if ws.send(Message::Ping(crate::rtt::ping_payload())).await.is_err() {
                    return None;
                }
            }
            frame = out_rx.recv() => match frame {
                Some(frame) => {
                    if !named && let Some(id) = ctl.player() {
                        // The first frame is the welcome: from now on the span names the player.
                        tracing::Span::current().record("player", id);
                        named = true;
                    }
                    // Coalesce: everything queued now goes out in one write.
                    let mut batch = Some(frame);
                    while let Some(f) = batch.take() {
                        if ws.feed(Message::Binary(f)).await.is_err() {
                            return None;
                        }
                        batch = out_rx.try_recv().ok();
                    }
                    if ws.flush().await.is_err() {
                        return None;
                    }
                }
                // The tick driver dropped us: it recorded why (too slow, kicked, shutdown).
                None => return Some(ctl.close_reason().unwrap_or_else(going_away)),
            },
            msg = next_client_message(ws, hub, key) => match msg {
                Ok(ClientMessage::Input(input)) => {
                    hub.counters.inputs_received.fetch_add(1, Ordering::Relaxed);
                    if hub.inputs.try_send((key, input)).is_err() {
                        hub.counters.inputs_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(ClientMessage::Ping(ping)) => {
                    let pong = ServerMessage::Pong(Pong { client_time: ping.client_time, server_tick: hub.tick.load(Ordering::Relaxed) });
                    if ws.send(Message::Binary(encode_server(&pong))).await.is_err() {
                        return None;
                    }
                }
                Ok(ClientMessage::Hello(_)) => return Some(reason(close::UNEXPECTED_MESSAGE, "hello sent twice")),
                Err(end) => return end,
            },
            _ = crate::hub::shutdown_signalled(shutdown) => {
                // Let the tick driver finish its last tick and flush what it queued.
                while let Some(frame) = out_rx.recv().await {
                    if ws.feed(Message::Binary(frame)).await.is_err() {
                        break;
                    }
                }
                let _ = ws.flush().await;
                return Some(going_away());
            }
        }
    }
}

/// Reads until the next tickwire message. `Err(None)`: the peer closed or the connection died;
/// `Err(Some(reason))`: the client broke the protocol and must be closed with that reason.
async fn next_client_message<S>(
    ws: &mut WebSocketStream<S>,
    hub: &Hub,
    key: ClientKey,
) -> Result<ClientMessage, Option<CloseReason>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let msg = match ws.next().await {
            None => return Err(None),
            Some(Ok(msg)) => msg,
            Some(Err(e)) => return Err(read_error_reason(e)),
        };
        match msg {
            Message::Binary(bytes) => {
                hub.counters
                    .bytes_in
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                return decode_client(&bytes).map_err(|e| {
                    debug!(error = %e, "undecodable message");
                    Some(reason(
                        close::INVALID_PAYLOAD,
                        &format!("invalid message: {e}"),
                    ))
                });
            }
            Message::Text(_) => {
                return Err(Some(reason(
                    close::UNSUPPORTED_DATA,
                    "text frames are not supported; send binary MessagePack",
                )));
            }
            Message::Close(_) => return Err(None),
            Message::Pong(payload) => {
                if let Some(rtt) = crate::rtt::rtt_from_pong(&payload)
                    && let Some(mut info) = hub.sessions.get_mut(&key)
                {
                    info.rtt = Some(rtt);
                }
            }
            // Pings are answered by tungstenite itself; raw frames need nothing.
            Message::Ping(_) | Message::Frame(_) => continue,
        }
    }
}

/// Maps a read error to the close the server should send, if any.
fn read_error_reason(e: WsError) -> Option<CloseReason> {
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Some(reason(
            close::MESSAGE_TOO_BIG,
            &format!("message of {size} bytes exceeds the limit of {max_size}"),
        )),
        WsError::Capacity(e) => Some(reason(close::MESSAGE_TOO_BIG, &e.to_string())),
        WsError::Protocol(e) => Some(reason(close::PROTOCOL_ERROR, &e.to_string())),
        WsError::Utf8(_) => Some(reason(
            close::INVALID_PAYLOAD,
            "invalid UTF-8 in a text frame",
        )),
        // The connection is gone (reset, closed, I/O error): nobody to tell.
        _ => None,
    }
}

fn reason(code: u16, text: &str) -> CloseReason {
    CloseReason {
        code,
        reason: truncate_reason(text),
    }
}

fn going_away() -> CloseReason {
    reason(close::GOING_AWAY, "server shutting down")
}

/// Close reasons are limited to 123 bytes by RFC 6455; cut on a character boundary.
fn truncate_reason(text: &str) -> String {
    let mut end = text.len().min(123);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Sends a close frame (bounded in time) and waits briefly for the peer's reply.
async fn close_with<S>(ws: &mut WebSocketStream<S>, why: &CloseReason)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::from(why.code),
        reason: why.reason.clone().into(),
    };
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, async {
        if ws.close(Some(frame)).await.is_ok() {
            // Drain until the peer's close reply (or the end of the stream).
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
}
