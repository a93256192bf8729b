//! One WebSocket session: hello, then inputs in and frames out, until either side closes.
//!
//! The session decodes client frames with the shared codec and forwards them; it never reads game state. The
//! tick's frames reach the socket without it (the fan-out writer puts them there, see [`crate::outbox`]); the
//! session is woken only to finish writing what a full socket could not take, or to close when the tick driver
//! dropped the client. Bad input closes this session alone with the close code the protocol names for it. A connection that drops without a close (or stops answering pings) leaves its player
//! held for resume; one that closes normally or is closed for misbehaving leaves for good.

mod inbound;

use crate::closing::{answer_close, close_with, going_away, reason};
use crate::config::Limits;
use crate::hub::{ClientKey, CloseReason, Control, Hub, Join, SessionCtl, SessionInfo};
use crate::inlet::Inlet;
use crate::outbox::{Outbox, WsIo};
use futures_util::SinkExt;
use inbound::{Inbound, Stop};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tickwire_shared::{
    ClientMessage, PROTOCOL_VERSION, Pong, ProtocolError, ServerMessage, close, encode_server,
};
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

/// The session's WebSocket: tungstenite over the connection, every write going through the client's outbox.
pub type Ws = WebSocketStream<WsIo>;

/// Runs a session to its end. The WebSocket handshake is already done, and the connection counted in `hub.open`;
/// `out` is the connection's outbox.
// Not an async fn on purpose (see the comment inside).
#[allow(clippy::manual_async_fn)]
pub fn run(
    mut ws: Ws,
    out: Arc<Outbox>,
    inlet: Arc<Inlet>,
    key: ClientKey,
    peer: SocketAddr,
    hub: Arc<Hub>,
    limits: Limits,
) -> impl std::future::Future<Output = ()> + Send {
    // An async block rather than an async fn: it keeps its arguments where they were captured, where an async
    // fn would also hold a moved copy of each for the session's whole life (about 0.5 KB).
    async move {
        hub.sessions.insert(
            key,
            SessionInfo {
                peer,
                connected_at: Instant::now(),
                name: None,
                rtt: None,
            },
        );
        let end = serve(&mut ws, &out, &inlet, key, &hub, &limits).await;
        match &end.reason {
            Some(reason) => close_with(&mut ws, reason).await,
            // The client closed: tungstenite queued the reply close frame (RFC 6455 5.5.1); write it.
            None => answer_close(&mut ws).await,
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
        // The upgrade counted the connection against `--max-clients`.
        hub.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The session's life.
async fn serve(
    ws: &mut Ws,
    out: &Arc<Outbox>,
    inlet: &Arc<Inlet>,
    key: ClientKey,
    hub: &Hub,
    limits: &Limits,
) -> End {
    let mut shutdown = hub.shutdown.clone();
    let mut inbound = Inbound::new(inlet.clone());
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

    // 2. Join: from now on the tick driver sends us frames.
    let ctl = Arc::new(SessionCtl::default());
    let join = Join {
        key,
        name: hello.name,
        out: out.clone(),
        ctl: ctl.clone(),
        resume: hello.resume,
    };
    if hub.control.send(Control::Join(join)).await.is_err() {
        return End::close(going_away());
    }
    // From now on the read pass may read this client (when the session hands reading over, in `pump`).
    if limits.read_pass && inlet.readable_by_pass() {
        hub.readers.add(key, inlet.clone(), out.clone());
    }
    let end = pump(
        ws,
        key,
        out,
        inlet,
        &ctl,
        hub,
        limits,
        &mut inbound,
        &mut shutdown,
    )
    .await;
    // Whatever ended it, reading is ours again (the close handshake reads through tungstenite).
    inlet.take_back();
    hub.readers.remove(key);
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

/// Writes everything pending in the outbox: the frames a full socket could not take.
async fn drain(ws: &mut Ws) -> std::io::Result<()> {
    std::future::poll_fn(|cx| ws.get_mut().poll_drain(cx)).await
}

/// [`drain`] for as long as the client keeps reading: it is too slow (4004) only when nothing at all could be
/// written for `too_slow_after`. A client that reads slower than the server sends still makes progress; the
/// outbox's cap makes it skip ticks (and catch up) instead of being dropped.
async fn drain_while_reading(ws: &mut Ws, out: &Outbox, limits: &Limits) -> Result<(), End> {
    loop {
        let before = out.drained();
        match tokio::time::timeout(limits.too_slow_after, drain(ws)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(_)) => {
                return Err(End {
                    reason: None,
                    hold: true,
                });
            }
            Err(_) if out.drained() != before => continue,
            Err(_) => {
                return Err(End::close(reason(
                    close::TOO_SLOW,
                    "client too slow: it stopped reading",
                )));
            }
        }
    }
}

/// The joined phase: frames out, messages in, pings, the idle timeout.
///
/// Between messages, a plain-TCP session hands reading to the read pass ([`crate::reader`]) and waits
/// until the pass hands it back (at anything but an input, a ping or a pong); meanwhile it only writes, pings
/// and watches the idle timeout.
#[allow(clippy::too_many_arguments)]
async fn pump(
    ws: &mut Ws,
    key: ClientKey,
    out: &Outbox,
    inlet: &Inlet,
    ctl: &SessionCtl,
    hub: &Hub,
    limits: &Limits,
    inbound: &mut Inbound,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> End {
    // Ping often enough that a live client always answers well within the idle timeout (never every 0 s, which
    // tokio refuses: the binary's minimum idle timeout is 1 s, but embedders set `Limits` themselves).
    let mut ping_every = tokio::time::interval(
        crate::rtt::PING_INTERVAL
            .min(limits.idle_timeout / 3)
            .max(std::time::Duration::from_millis(1)),
    );
    let mut named = false;
    // Futures that live across iterations (re-created only once they fire): registering and dropping a waiter
    // on every input would cost two lock round-trips per message.
    let woken = out.woken();
    tokio::pin!(woken);
    let stop = crate::hub::shutdown_signalled(shutdown);
    tokio::pin!(stop);
    // Reading is handed to the read pass once the client is welcomed, and again after each message this session
    // read itself — not right after the pass handed it back: that was for something only the session handles.
    let (mut fast, mut hand_over) = (false, true);
    loop {
        // Only between frames (tungstenite then holds nothing the pass would miss), and only once the welcome is
        // out: the pass answers pings at once, and a pong must not overtake the welcome.
        if limits.read_pass && hand_over && !fast && ws.get_ref().between_frames() && ctl.welcomed()
        {
            fast = inlet.go_fast();
        }
        if !named && let Some(id) = ctl.player() {
            // The tick driver took the join: from now on the span names the player.
            tracing::Span::current().record("player", id);
            named = true;
        }
        // In this order: a close from the tick driver first, then messages, and the ping timer only when nothing
        // else is ready (it is not polled at all on the hot path, one input per tick). What an arm awaits is boxed:
        // those futures exist only while their arm runs (a full socket, a ping, shutdown), and kept inline they
        // would make every session's future larger for its whole life.
        tokio::select! {
            biased;
            // The writer left bytes a full socket could not take, or the tick driver dropped us.
            () = &mut woken => {
                woken.set(out.woken());
                if let Err(end) = Box::pin(drain_while_reading(ws, out, limits)).await {
                    return end;
                }
                if out.is_closing() {
                    // It recorded why (too slow, kicked, resume refused, shutdown).
                    return End::close(ctl.close_reason().unwrap_or_else(going_away));
                }
            }
            () = inlet.handed_back(), if fast => (fast, hand_over) = (false, false),
            msg = inbound.next(ws, hub, key), if !fast => match msg {
                Ok(ClientMessage::Input(input)) => {
                    hand_over = true;
                    hub.counters.inputs_received.fetch_add(1, Ordering::Relaxed);
                    if hub.inputs.try_send((key, input)).is_err() {
                        hub.counters.inputs_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(ClientMessage::Ping(ping)) => {
                    hand_over = true;
                    // A ping that overtook the join is answered after the welcome, which the tick driver sends
                    // through the same outbox at its next tick.
                    Box::pin(await_welcome(ctl, out, limits)).await;
                    let pong = ServerMessage::Pong(Pong { client_time: ping.client_time, server_tick: hub.tick.load(Ordering::Relaxed) });
                    if let Err(end) = Box::pin(bounded(limits, ws.send(Message::Binary(encode_server(&pong))))).await {
                        return end;
                    }
                }
                Ok(ClientMessage::Hello(_)) => return End::close(reason(close::UNEXPECTED_MESSAGE, "hello sent twice")),
                Err(stop) => return End::from_stop(stop),
            },
            () = &mut stop => {
                // Let the tick driver finish its last tick and write what it handed over (bounded in time).
                // (Through the pinned waiter: it is the one registered with the outbox, so it gets the wake-up.)
                let flush = async {
                    while !out.is_closing() {
                        (&mut woken).await;
                        woken.set(out.woken());
                    }
                    drain(ws).await
                };
                let _ = Box::pin(bounded(limits, flush)).await;
                return End::close(going_away());
            }
            // Keepalive and round-trip probe (see `crate::rtt`); a client silent for too long is gone.
            _ = ping_every.tick() => {
                if inlet.silent_for() > limits.idle_timeout {
                    return End { reason: Some(reason(close::IDLE_TIMEOUT, "no answer to pings")), hold: true };
                }
                if let Err(end) = Box::pin(bounded(limits, ws.send(Message::Ping(crate::rtt::ping_payload())))).await {
                    return end;
                }
            }
        }
    }
}

/// Waits until the tick driver has sent the welcome (at most `too_slow_after`; a refused resume closes instead).
async fn await_welcome(ctl: &SessionCtl, out: &Outbox, limits: &Limits) {
    let deadline = tokio::time::Instant::now() + limits.too_slow_after;
    while !ctl.welcomed() && !out.is_closing() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// Runs one write with a time limit: a socket that cannot take it within `too_slow_after` belongs to a client
/// that stopped reading, and a write error means the connection is gone (its player is held for resume).
async fn bounded<F, E>(limits: &Limits, write: F) -> Result<(), End>
where
    F: std::future::Future<Output = Result<(), E>>,
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
