//! Reading a session's messages: decoding, the per-client message rate limit, and when it was last heard from.
//!
//! Every frame counts against the client's token bucket ([`crate::inlet::Bucket`]): inputs, pings, pongs,
//! anything. Over the limit a message is dropped and counted; a flood that lasts longer than
//! [`crate::inlet::FLOOD_TOLERANCE`] closes the client with 1008. Fragmented messages are assembled by
//! tungstenite within the message size limit, so a fragment flood is bounded by the same two limits.

use crate::closing::{read_error_reason, reason};
use crate::hub::{ClientKey, CloseReason, Hub};
use crate::inlet::Inlet;
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tickwire_shared::{ClientMessage, close, decode_client};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tracing::debug;

/// Why reading stopped.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The client sent a close frame.
    Closed,
    /// The connection ended without a close frame (network loss, reset).
    Vanished,
    /// The client broke the protocol or a policy: close it with this reason.
    Close(CloseReason),
}

/// A session's reading state: the client's [`Inlet`] holds the rate limit and when it was last heard from,
/// shared with the tick's read pass.
#[derive(Debug)]
pub(crate) struct Inbound {
    inlet: Arc<Inlet>,
}

impl Inbound {
    pub(crate) fn new(inlet: Arc<Inlet>) -> Self {
        inlet.heard_now();
        Inbound { inlet }
    }

    /// Reads until the next tickwire message within the rate limit.
    pub(crate) async fn next<S>(
        &mut self,
        ws: &mut WebSocketStream<S>,
        hub: &Hub,
        key: ClientKey,
    ) -> Result<ClientMessage, Stop>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        loop {
            let msg = match ws.next().await {
                None => return Err(Stop::Vanished),
                Some(Ok(msg)) => msg,
                Some(Err(e)) => {
                    return Err(read_error_reason(e).map_or(Stop::Vanished, Stop::Close));
                }
            };
            let now = Instant::now();
            self.inlet.heard_now();
            if !self.inlet.admit(now).map_err(Stop::Close)? {
                hub.counters
                    .messages_dropped
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            }
            match msg {
                Message::Binary(bytes) => {
                    hub.counters
                        .bytes_in
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    return decode_client(&bytes).map_err(|e| {
                        debug!(error = %e, "undecodable message");
                        Stop::Close(reason(
                            close::INVALID_PAYLOAD,
                            &format!("invalid message: {e}"),
                        ))
                    });
                }
                Message::Text(_) => {
                    return Err(Stop::Close(reason(
                        close::UNSUPPORTED_DATA,
                        "text frames are not supported; send binary MessagePack",
                    )));
                }
                Message::Close(_) => return Err(Stop::Closed),
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
}
