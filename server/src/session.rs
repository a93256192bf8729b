//! One WebSocket session: hello, then inputs in and frames out, until either side closes.
//!
//! The session decodes client frames with the shared codec and forwards them; it never reads game state. Its
//! outbound queue is filled only by the tick driver; the session coalesces whatever is queued into one socket
//! write per wake-up (feed every frame, flush once). Bad input closes this session alone with the close code the
//! protocol names for it. A connection that drops without a close (or stops answering pings) leaves its player
//! held for resume; one that closes normally or is closed for misbehaving leaves for good.

mod inbound;

use crate::closing::{close_with, going_away, reason};
use crate::config::Limits;
use crate::hub::{ClientKey, CloseReason, Control, Hub, Join, SessionCtl, SessionInfo};
use bytes::Bytes;
use futures_util::SinkExt;
use inbound::{Inbound, Stop};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tickwire_shared::{
    ClientMessage, PROTOCOL_VERSION, Pong, ProtocolError, ServerMessage, close, encode_server,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tracing::info;

/// How a session ended.
#[derive(Debug)]
struct End {
    /// The close the server sends, if it closes.
    reason: Option<CloseReason>,
    /// Hold the player for resume (the connection dropped rather than being closed on purpose).
    hold: bool,
}

impl End {
    fn close(reason: CloseReason) -> Self {
        End {
            reason: Some(reason),
            hold: false,
        }
    }

    fn from_stop(stop: Stop) -> Self {
        match stop {
            Stop::Closed => End {
                reason: None,
                hold: false,
            },
            Stop::Vanished => End {
                reason: None,
                hold: true,
            },
            Stop::Close(r) => End::close(r),
        }
    }
}

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
    let end = serve(&mut ws, key, &hub, &limits).await;
    if let Some(reason) = &end.reason {
        close_with(&mut ws, reason).await;
    }
    hub.sessions.remove(&key);
    hub.metrics.disconnect(end.reason.as_ref().map(|r| r.code));
    info!(
        code = end.reason.as_ref().map(|r| r.code),
        reason = end
            .reason
            .as_ref()
            .map(|r| r.reason.as_str())
            .unwrap_or("peer closed"),
        held_for_resume = end.hold,
        "session ended"
    );
}

/// The session's life.
async fn serve<S>(ws: &mut WebSocketStream<S>, key: ClientKey, hub: &Hub, limits: &Limits) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut shutdown = hub.shutdown.clone();
    let mut inbound = Inbound::new(limits);
    // 1. The hello, within the time limit.
    let hello = tokio::select! {
        _ = crate::hub::shutdown_signalled(&mut shutdown) => return End::close(going_away()),
        first = tokio::time::timeout(limits.hello_timeout, inbound.next(ws, hub, key)) => match first {
            Err(_) => return End::close(reason(close::HELLO_TIMEOUT, "no hello within the time limit")),
            Ok(Err(stop)) => return End { hold: false, ..End::from_stop(stop) },
            Ok(Ok(ClientMessage::Hello(hello))) => hello,
            Ok(Ok(_)) => return End::close(reason(close::UNEXPECTED_MESSAGE, "the first message must be a hello")),
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
        return End::close(reason(close::VERSION_MISMATCH, &message));
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
        resume: hello.resume,
    };
    if hub.control.send(Control::Join(join)).await.is_err() {
        return End::close(going_away());
    }
    let end = pump(
        ws,
        key,
        &mut out_rx,
        &ctl,
        hub,
        limits,
        &mut inbound,
        &mut shutdown,
    )
    .await;
    // Tell the tick before anything else: it removes (or holds) the player and stops writing to our queue.
    let _ = hub
        .control
        .send(if end.hold {
            Control::Detach(key)
        } else {
            Control::Leave(key)
        })
        .await;
    end
}

/// The joined phase: frames out, messages in, pings, the idle timeout.
async fn pump<S>(
    ws: &mut WebSocketStream<S>,
    key: ClientKey,
    out_rx: &mut mpsc::Receiver<Bytes>,
    ctl: &SessionCtl,
    hub: &Hub,
    limits: &Limits,
    inbound: &mut Inbound,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> End
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Ping often enough that a live client always answers well within the idle timeout.
    let mut ping_every =
        tokio::time::interval(crate::rtt::PING_INTERVAL.min(limits.idle_timeout / 3));
    let mut named = false;
    loop {
        tokio::select! {
            // Keepalive and round-trip probe (see `crate::rtt`); a client silent for too long is gone.
            _ = ping_every.tick() => {
                if inbound.last_heard.elapsed() > limits.idle_timeout {
                    return End { reason: Some(reason(close::IDLE_TIMEOUT, "no answer to pings")), hold: true };
                }
                if let Err(end) = bounded(limits, ws.send(Message::Ping(crate::rtt::ping_payload()))).await {
                    return end;
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
                    let write = async {
                        let mut batch = Some(frame);
                        while let Some(f) = batch.take() {
                            ws.feed(Message::Binary(f)).await?;
                            batch = out_rx.try_recv().ok();
                        }
                        ws.flush().await
                    };
                    if let Err(end) = bounded(limits, write).await {
                        return end;
                    }
                }
                // The tick driver dropped us: it recorded why (too slow, kicked, resume refused).
                None => return End::close(ctl.close_reason().unwrap_or_else(going_away)),
            },
            msg = inbound.next(ws, hub, key) => match msg {
                Ok(ClientMessage::Input(input)) => {
                    hub.counters.inputs_received.fetch_add(1, Ordering::Relaxed);
                    if hub.inputs.try_send((key, input)).is_err() {
                        hub.counters.inputs_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(ClientMessage::Ping(ping)) => {
                    let pong = ServerMessage::Pong(Pong { client_time: ping.client_time, server_tick: hub.tick.load(Ordering::Relaxed) });
                    if let Err(end) = bounded(limits, ws.send(Message::Binary(encode_server(&pong)))).await {
                        return end;
                    }
                }
                Ok(ClientMessage::Hello(_)) => return End::close(reason(close::UNEXPECTED_MESSAGE, "hello sent twice")),
                Err(stop) => return End::from_stop(stop),
            },
            _ = crate::hub::shutdown_signalled(shutdown) => {
                // Let the tick driver finish its last tick and flush what it queued (bounded in time).
                let flush = async {
                    while let Some(frame) = out_rx.recv().await {
                        ws.feed(Message::Binary(frame)).await?;
                    }
                    ws.flush().await
                };
                let _ = bounded(limits, flush).await;
                return End::close(going_away());
            }
        }
    }
}

/// Runs one write with a time limit: a socket that cannot take it within `too_slow_after` belongs to a client
/// that stopped reading, and a write error means the connection is gone (its player is held for resume).
async fn bounded<F>(limits: &Limits, write: F) -> Result<(), End>
where
    F: std::future::Future<Output = Result<(), tokio_tungstenite::tungstenite::Error>>,
{
    match tokio::time::timeout(limits.too_slow_after, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End {
            reason: None,
            hold: true,
        }),
        Err(_) => Err(End::close(reason(
            close::TOO_SLOW,
            "client too slow: it stopped reading",
        ))),
    }
}
