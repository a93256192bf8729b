//! Closing WebSockets the way the protocol says: the close code for each kind of failure, reasons cut to the
//! RFC's 123 bytes, and a close handshake bounded in time so a dead peer cannot hold a task.

use crate::hub::CloseReason;
use crate::outbox::WsIo;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tickwire_shared::close;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How long the server waits for its close frame to be written and answered before dropping the connection.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Maps a read error to the close the server should send; `None` when the connection is already gone.
pub(crate) fn read_error_reason(e: WsError) -> Option<CloseReason> {
    match e {
        // The peer's TCP connection ended without a close frame: it is gone, not misbehaving.
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Some(reason(
            close::MESSAGE_TOO_BIG,
            &format!("message of {size} bytes exceeds the limit of {max_size}"),
        )),
        WsError::Capacity(e) => Some(reason(close::MESSAGE_TOO_BIG, &e.to_string())),
        WsError::Protocol(e) => Some(reason(close::PROTOCOL_ERROR, &e.to_string())),
        WsError::Utf8(_) => Some(reason(
            close::INVALID_PAYLOAD,
            "invalid UTF-8 in a text message or a close reason",
        )),
        // The connection is gone (reset, closed, I/O error): nobody to tell.
        _ => None,
    }
}

/// A close reason with its text cut to fit a close frame.
pub(crate) fn reason(code: u16, text: &str) -> CloseReason {
    CloseReason {
        code,
        reason: truncate_reason(text),
    }
}

/// The close every client gets when the server shuts down.
pub(crate) fn going_away() -> CloseReason {
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

/// Sends a close frame, waits for the peer's reply, then ends the stream and discards what the peer still sends
/// until it ends its side too (see [`WsIo::linger`]); all of it bounded in time.
pub(crate) async fn close_with(ws: &mut WebSocketStream<WsIo>, why: &CloseReason) {
    let frame = CloseFrame {
        code: CloseCode::from(why.code),
        reason: why.reason.clone().into(),
    };
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, async {
        if ws.close(Some(frame)).await.is_ok() {
            // Drain until the peer's close reply (or the end of the stream).
            while let Some(Ok(_)) = ws.next().await {}
            ws.get_mut().linger().await;
        }
    })
    .await;
}

/// Writes what tungstenite queued after the peer's close frame: its reply (RFC 6455 5.5.1: an endpoint that
/// receives a Close frame and has not sent one must answer with one). Nothing is written when nothing is queued
/// (a connection that ended without a close frame).
pub(crate) async fn answer_close<S>(ws: &mut WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, ws.flush()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_fit_a_close_frame() {
        let long = "é".repeat(100);
        let r = reason(1000, &long);
        assert!(r.reason.len() <= 123 && long.starts_with(&r.reason));
    }
}
