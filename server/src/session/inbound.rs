//! Reading a session's messages: decoding, the per-client message rate limit, and when it was last heard from.
//!
//! Every frame counts against a token bucket ([`Limits::max_messages_per_second`], burst twice that): inputs,
//! pings, pongs, anything. Over the limit a message is dropped and counted; a flood that lasts longer than
//! [`FLOOD_TOLERANCE`] closes the client with 1008. Fragmented messages are assembled by tungstenite within the
//! message size limit, so a fragment flood is bounded by the same two limits.

use crate::closing::{read_error_reason, reason};
use crate::config::Limits;
use crate::hub::{ClientKey, CloseReason, Hub};
use futures_util::StreamExt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tickwire_shared::{ClientMessage, close, decode_client};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tracing::debug;

/// How long a client may keep exceeding its message rate before it is closed with 1008.
pub const FLOOD_TOLERANCE: Duration = Duration::from_secs(1);

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

/// A session's reading state.
#[derive(Debug)]
pub(crate) struct Inbound {
    /// When the client last sent anything (a message, a pong).
    pub(crate) last_heard: Instant,
    tokens: f64,
    rate: f64,
    burst: f64,
    refilled: Instant,
    flooding_since: Option<Instant>,
}

impl Inbound {
    pub(crate) fn new(limits: &Limits) -> Self {
        let rate = f64::from(limits.max_messages_per_second.max(1));
        let now = Instant::now();
        Inbound {
            last_heard: now,
            tokens: 2.0 * rate,
            rate,
            burst: 2.0 * rate,
            refilled: now,
            flooding_since: None,
        }
    }

    /// Takes a token for one message; `Err` when the client has flooded for too long.
    fn admit(&mut self, now: Instant) -> Result<bool, CloseReason> {
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        // A flood ends only when the client slows down enough for the bucket to refill halfway; a client
        // that keeps sending faster than the rate keeps the bucket near empty, however many get through.
        if self.tokens >= self.burst / 2.0 {
            self.flooding_since = None;
        }
        let admitted = self.tokens >= 1.0;
        if admitted {
            self.tokens -= 1.0;
        } else {
            self.flooding_since.get_or_insert(now);
        }
        if self
            .flooding_since
            .is_some_and(|since| now.duration_since(since) > FLOOD_TOLERANCE)
        {
            return Err(reason(
                close::POLICY_VIOLATION,
                "too many messages: the client is flooding the server",
            ));
        }
        Ok(admitted)
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
            self.last_heard = now;
            if !self.admit(now).map_err(Stop::Close)? {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_the_rate_and_closes_a_sustained_flood() {
        let limits = Limits {
            max_messages_per_second: 10,
            ..Limits::default()
        };
        let mut inbound = Inbound::new(&limits);
        let t0 = inbound.refilled;
        // The burst (20) passes at once, the 21st is dropped.
        for _ in 0..20 {
            assert_eq!(inbound.admit(t0), Ok(true));
        }
        assert_eq!(inbound.admit(t0), Ok(false));
        // At the allowed rate it keeps passing.
        for i in 1..=10 {
            assert_eq!(
                inbound.admit(t0 + Duration::from_millis(100 * i)),
                Ok(true),
                "message {i}"
            );
        }
        // A flood that outlasts the tolerance is closed with 1008.
        let t1 = t0 + Duration::from_secs(1);
        let mut closed = None;
        for i in 0..200u64 {
            if let Err(r) = inbound.admit(t1 + Duration::from_millis(10 * i)) {
                closed = Some(r.code);
                break;
            }
        }
        assert_eq!(closed, Some(close::POLICY_VIOLATION));
    }
}
