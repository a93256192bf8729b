//! Round-trip time of game connections, measured with WebSocket pings.
//!
//! Every [`PING_INTERVAL`] a session sends a ping whose payload is the send time (microseconds since a
//! process-wide epoch, 8 bytes little-endian); the pong echoes it, so the RTT is computed without any per-session
//! state. The result is shown by the `players` command. A client could forge a pong and fake its RTT: it is only a
//! display figure, and an implausible payload (from the future) is ignored. The hardening work adds the idle
//! timeout on top of these pings.

use bytes::Bytes;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How often a session pings its client.
pub const PING_INTERVAL: Duration = Duration::from_secs(5);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// The payload of a ping sent now.
pub fn ping_payload() -> Bytes {
    let micros = epoch().elapsed().as_micros() as u64;
    Bytes::copy_from_slice(&micros.to_le_bytes())
}

/// The round trip a pong's payload reveals, if it is one of our pings.
pub fn rtt_from_pong(payload: &[u8]) -> Option<Duration> {
    let sent = u64::from_le_bytes(payload.try_into().ok()?);
    let now = epoch().elapsed().as_micros() as u64;
    now.checked_sub(sent).map(Duration::from_micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pong_echoing_our_ping_gives_a_small_rtt() {
        let ping = ping_payload();
        std::thread::sleep(Duration::from_millis(2));
        let rtt = rtt_from_pong(&ping).expect("our own payload");
        assert!(rtt >= Duration::from_millis(2) && rtt < Duration::from_secs(1));
        assert_eq!(rtt_from_pong(b"hello"), None, "not ours");
        assert_eq!(
            rtt_from_pong(&u64::MAX.to_le_bytes()),
            None,
            "from the future"
        );
    }
}
