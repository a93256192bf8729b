//! A client's incoming bytes, and the read pass that takes a joined client's inputs without waking its session.
//!
//! Reading each input in the client's session costs an epoll wake-up, a task wake-up and poll, and two `recv`s
//! (the second one to learn the socket is empty) — about as much CPU as the tick's write to that client — and
//! the client's `send` pays for waking the server. So once a plain-TCP client has joined, its session hands
//! reading over to the read pass ([`crate::reader`]): once per tick, just before the tick, the reader thread
//! calls [`Inlet::pass`], which does one non-blocking read of whatever the socket holds and decodes the
//! complete frames in it. While the pass reads, the socket's receive low-water mark is raised so that arriving
//! inputs do not signal it readable: neither the reactor nor the session is woken per input (the end of the
//! stream and errors still signal; see [`crate::sys::set_recv_low_water`]). The pass takes only the common
//! case: final, masked, unextended binary frames holding an input or a ping, and pongs to the server's pings,
//! all within the size and rate limits. At anything else — a close, a WebSocket ping, a text or fragmented
//! frame, an oversized or undecodable message, a flood, the end of the connection — it stops at the start of
//! that frame, leaves the unread bytes in the inlet and hands reading back to the session, which reads them
//! through tungstenite as if the pass had never been there: every rule and close code stays in one place.
//!
//! The session reads through [`crate::outbox::WsIo`], which serves the inlet's bytes first and delivers them to
//! tungstenite one frame at a time, so tungstenite never holds part of a frame when reading is handed over.
//! Only one side reads at a time: the session only while `fast` is false, the pass only while it is true.

use crate::hub::{ClientKey, CloseReason, Hub};
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tickwire_shared::{ClientMessage, close, decode_client};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// A flood is over once no message has been dropped for this long (see [`Bucket::admit`]): several read passes
/// at 20 Hz, so that a flood read in one batch per tick stays one flood.
const FLOOD_QUIET: Duration = Duration::from_millis(250);

/// How long a client may keep exceeding its message rate before it is closed with 1008.
pub const FLOOD_TOLERANCE: Duration = Duration::from_secs(1);

/// Bytes one pass reads from one client at most (a few hundred inputs): a client sending faster than that is
/// read again next tick, and the pass never spends long on one socket. A flood meets the rate limit here.
const PASS_READ: usize = 16 * 1024;

/// A client's incoming side, shared by its session, its [`crate::outbox::WsIo`] and the read pass.
#[derive(Debug)]
pub struct Inlet {
    /// The socket, for a plain TCP connection (a TLS connection is read by its session only).
    tcp: Option<Arc<TcpStream>>,
    /// Largest client frame.
    max_frame: usize,
    /// The read pass reads (the session waits for [`Inlet::handed_back`]).
    fast: AtomicBool,
    handback: Notify,
    state: Mutex<State>,
    /// When the client was last heard from, in milliseconds since `epoch`.
    heard: AtomicU64,
    epoch: Instant,
}

#[derive(Debug)]
struct State {
    /// Bytes read from the socket and not yet consumed: what the pass handed back, or the rest of a frame that
    /// has not fully arrived.
    pending: Vec<u8>,
    bucket: Bucket,
    /// Passes in a row that found nothing to read.
    empty_passes: u32,
}

/// The per-client message rate limit: a token bucket ([`crate::config::Limits::max_messages_per_second`], burst
/// twice that). Over the limit a message is dropped and counted; a flood that lasts longer than
/// [`FLOOD_TOLERANCE`] closes the client with 1008.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    refilled: Instant,
    flooding_since: Option<Instant>,
    last_drop: Option<Instant>,
}

impl Bucket {
    pub(crate) fn new(per_second: u32, now: Instant) -> Self {
        let rate = f64::from(per_second.max(1));
        Bucket {
            tokens: 2.0 * rate,
            rate,
            burst: 2.0 * rate,
            refilled: now,
            flooding_since: None,
            last_drop: None,
        }
    }

    /// Takes a token for one message: `Ok(false)` when it must be dropped, `Err` when the client has flooded
    /// for too long.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<bool, CloseReason> {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        // A flood lasts while messages keep being dropped: a client that keeps sending above the rate loses some
        // every few messages, however many get through. One that sent a burst and then plays normally stops
        // losing any, and its flood is over after FLOOD_QUIET. (Waiting for the bucket to refill halfway, as
        // before, closed such a client: at 30 inputs a second it refills 120 tokens in 1.3 s, past the
        // tolerance. A token threshold fails the other way: read in one batch per tick, a flood finds a few
        // tokens refilled at the start of every batch.)
        if self
            .last_drop
            .is_some_and(|at| now.saturating_duration_since(at) > FLOOD_QUIET)
        {
            self.flooding_since = None;
        }
        let admitted = self.tokens >= 1.0;
        if admitted {
            self.tokens -= 1.0;
        } else {
            self.flooding_since.get_or_insert(now);
            self.last_drop = Some(now);
        }
        if self
            .flooding_since
            .is_some_and(|since| now.duration_since(since) > FLOOD_TOLERANCE)
        {
            return Err(crate::closing::reason(
                close::POLICY_VIOLATION,
                "too many messages: the client is flooding the server",
            ));
        }
        Ok(admitted)
    }
}

/// A WebSocket frame header (RFC 6455 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHead {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    /// Bytes of header.
    pub len: usize,
    pub payload: u64,
}

impl FrameHead {
    /// Parses the header at the start of `bytes`; `None` until all of it has arrived.
    pub(crate) fn parse(bytes: &[u8]) -> Option<FrameHead> {
        let (&b0, rest) = bytes.split_first()?;
        let &b1 = rest.first()?;
        let (mut len, payload) = match b1 & 0x7f {
            126 => (
                4,
                u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            ),
            127 => (10, u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)),
            n => (2, u64::from(n)),
        };
        let mask = if b1 & 0x80 != 0 {
            let m: [u8; 4] = bytes.get(len..len + 4)?.try_into().ok()?;
            len += 4;
            Some(m)
        } else {
            None
        };
        Some(FrameHead {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0x7,
            opcode: b0 & 0x0f,
            mask,
            len,
            payload,
        })
    }

    /// Header and payload.
    pub(crate) fn total(&self) -> u64 {
        self.len as u64 + self.payload
    }
}

/// After this many passes in a row with nothing to read, a client goes back to its session (about half a second
/// at 30 Hz): an idle connection then costs nothing per tick instead of one `recv`.
const IDLE_PASSES: u32 = 16;

/// Largest frame the pass decodes itself (larger ones, within the limit, go to the session).
const MAX_PASS_FRAME: usize = 4096;

/// The read pass's working memory, allocated once by the thread that runs it and used for every client (zeroing
/// 20 KiB of stack per client and tick showed in profiles).
#[derive(Debug)]
pub struct PassBuffers {
    read: Box<[u8]>,
    frame: Box<[u8]>,
}

impl Default for PassBuffers {
    fn default() -> Self {
        PassBuffers {
            read: vec![0; PASS_READ].into_boxed_slice(),
            frame: vec![0; MAX_PASS_FRAME].into_boxed_slice(),
        }
    }
}

const OP_BINARY: u8 = 0x2;
const OP_PONG: u8 = 0xa;
/// RFC 6455 5.5: a control frame carries at most 125 bytes (a longer pong goes to the session, which closes 1002).
const MAX_CONTROL_PAYLOAD: u64 = 125;

impl Inlet {
    /// The inlet of a connection: `tcp` for a plain one (which the pass may read), `None` for TLS.
    pub fn new(
        tcp: Option<Arc<TcpStream>>,
        leftover: Vec<u8>,
        max_frame: usize,
        messages_per_second: u32,
    ) -> Self {
        let now = Instant::now();
        Inlet {
            tcp,
            max_frame,
            fast: AtomicBool::new(false),
            handback: Notify::new(),
            state: Mutex::new(State {
                pending: leftover,
                bucket: Bucket::new(messages_per_second, now),
                empty_passes: 0,
            }),
            heard: AtomicU64::new(0),
            epoch: now,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a token for one message (see [`Bucket`]).
    pub(crate) fn admit(&self, now: Instant) -> Result<bool, CloseReason> {
        self.lock().bucket.admit(now)
    }

    /// Records that the client was heard from now.
    pub(crate) fn heard_now(&self) {
        self.heard
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long since the client was last heard from.
    pub fn silent_for(&self) -> Duration {
        let heard = Duration::from_millis(self.heard.load(Ordering::Relaxed));
        self.epoch.elapsed().saturating_sub(heard)
    }

    /// Moves up to `buf.len()` bytes of what was read but not consumed into `buf`; 0 when there are none.
    pub(crate) fn take_pending(&self, buf: &mut [u8]) -> usize {
        let mut st = self.lock();
        let n = st.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&st.pending[..n]);
        st.pending.drain(..n);
        if st.pending.is_empty() {
            st.pending = Vec::new(); // an idle connection keeps no buffer
        }
        n
    }

    /// Appends bytes the session read from the socket.
    pub(crate) fn put_pending(&self, bytes: &[u8]) {
        self.lock().pending.extend_from_slice(bytes);
    }

    /// The header of the frame at the start of the unconsumed bytes, if it has fully arrived.
    pub(crate) fn pending_head(&self) -> Option<FrameHead> {
        FrameHead::parse(&self.lock().pending)
    }

    /// Hands reading to the read pass, if this connection can be read that way: a plain TCP connection with
    /// nothing unconsumed (the caller guarantees tungstenite holds no part of a frame). Returns whether it did.
    pub(crate) fn go_fast(&self) -> bool {
        if self.tcp.is_none() {
            return false;
        }
        let mut st = self.lock();
        if !st.pending.is_empty() {
            return false;
        }
        st.empty_passes = 0;
        self.set_low_water(PASS_READ as u32);
        self.fast.store(true, Ordering::Release);
        true
    }

    /// While the pass reads, arriving inputs must not make the socket readable: the reactor would wake for
    /// each one, and the client's `send` would pay for the wake-up. So the receive low-water mark goes up to
    /// [`PASS_READ`] (the end of the stream and errors still signal), and back to 1 before the session reads
    /// again (Linux then signals any bytes already waiting). If the mark cannot be set, the pass still works;
    /// the reactor is only woken as before.
    fn set_low_water(&self, bytes: u32) {
        if let Some(tcp) = &self.tcp
            && let Err(e) = crate::sys::set_recv_low_water(&**tcp, bytes)
        {
            tracing::debug!(error = %e, bytes, "could not set the socket's receive low-water mark");
        }
    }

    /// Whether the read pass can read this connection (plain TCP; TLS is read by its session only).
    pub fn readable_by_pass(&self) -> bool {
        self.tcp.is_some()
    }

    /// Starts loading this client's state into the cache ahead of its turn in the read pass
    /// ([`crate::sys::prefetch`]).
    pub fn prefetch(&self) {
        crate::sys::prefetch(self);
    }

    /// Likewise the socket's user-space half (where its descriptor is), once this inlet itself is in the cache.
    pub fn prefetch_socket(&self) {
        if let Some(tcp) = &self.tcp {
            crate::sys::prefetch(&**tcp);
        }
    }

    /// Whether the read pass is reading.
    pub fn is_fast(&self) -> bool {
        self.fast.load(Ordering::Acquire)
    }

    /// Waits until the pass hands reading back to the session.
    pub(crate) async fn handed_back(&self) {
        while self.is_fast() {
            self.handback.notified().await;
        }
    }

    /// Stops the pass from reading (the session reads again), e.g. when the session is about to close.
    pub(crate) fn take_back(&self) {
        let _st = self.lock();
        if self.is_fast() {
            self.set_low_water(1);
            self.fast.store(false, Ordering::Release);
        }
    }

    fn hand_back(&self) {
        self.set_low_water(1);
        self.fast.store(false, Ordering::Release);
        self.handback.notify_one();
    }

    /// The read pass over this client: reads what the socket holds without waiting and hands each
    /// complete input or ping to `deliver`, in order. Does nothing unless the session handed reading over.
    pub fn pass(
        &self,
        hub: &Hub,
        key: ClientKey,
        buffers: &mut PassBuffers,
        mut deliver: impl FnMut(ClientMessage),
    ) {
        if !self.is_fast() {
            return;
        }
        let Some(tcp) = &self.tcp else { return };
        let mut st = self.lock();
        if !self.is_fast() {
            return; // the session took it back meanwhile
        }
        let PassBuffers {
            read: buf,
            frame: scratch,
        } = buffers;
        // A read of the socket itself, not through tokio: tokio's readiness is not set (the low-water mark keeps
        // arriving inputs from signalling), and one `recv` per client per tick is the whole cost of reading.
        let n = match (&*socket2::SockRef::from(&**tcp)).read(buf) {
            Ok(0) => {
                // The peer closed its side: the session reads the end (and any close frame) itself.
                drop(st);
                self.hand_back();
                return;
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                // A client that has gone quiet (a spectator, a lobby, a player who stopped) is handed back: its
                // session waits for it in the reactor at no cost, and hands it over again after its next message.
                st.empty_passes += 1;
                if st.empty_passes >= IDLE_PASSES {
                    drop(st);
                    self.hand_back();
                }
                return;
            }
            Err(_) => {
                drop(st);
                self.hand_back();
                return;
            }
        };
        st.empty_passes = 0;
        let joined;
        let bytes: &[u8] = if st.pending.is_empty() {
            &buf[..n]
        } else {
            st.pending.extend_from_slice(&buf[..n]);
            joined = std::mem::take(&mut st.pending);
            &joined
        };
        let now = Instant::now();
        self.heard_now();
        let mut at = 0;
        let mut give_back = false;
        while at < bytes.len() {
            let Some(head) = FrameHead::parse(&bytes[at..]) else {
                break; // the rest of the header has not arrived
            };
            let simple = head.fin
                && head.rsv == 0
                && head.mask.is_some()
                && head.payload <= self.max_frame.min(MAX_PASS_FRAME) as u64
                && (head.opcode == OP_BINARY
                    || (head.opcode == OP_PONG && head.payload <= MAX_CONTROL_PAYLOAD));
            if !simple {
                give_back = true;
                break;
            }
            let end = at + head.total() as usize;
            if end > bytes.len() {
                break; // the rest of the frame has not arrived
            }
            match st.bucket.admit(now) {
                Err(_) => {
                    // A flood: the session reads this frame again, meets the same bucket and closes with 1008.
                    give_back = true;
                    break;
                }
                Ok(false) => {
                    hub.counters
                        .messages_dropped
                        .fetch_add(1, Ordering::Relaxed);
                    at = end;
                    continue;
                }
                Ok(true) => {}
            }
            let payload = &mut scratch[..head.payload as usize];
            payload.copy_from_slice(&bytes[at + head.len..end]);
            if let Some(mask) = head.mask {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= mask[i & 3];
                }
            }
            if head.opcode == OP_PONG {
                if let Some(rtt) = crate::rtt::rtt_from_pong(payload)
                    && let Some(mut info) = hub.sessions.get_mut(&key)
                {
                    info.rtt = Some(rtt);
                }
                at = end;
                continue;
            }
            match decode_client(payload) {
                Ok(msg @ (ClientMessage::Input(_) | ClientMessage::Ping(_))) => {
                    hub.counters
                        .bytes_in
                        .fetch_add(head.payload, Ordering::Relaxed);
                    deliver(msg);
                    at = end;
                }
                // A second hello or an undecodable message: the session reads it again and closes the client
                // with the right code.
                _ => {
                    give_back = true;
                    break;
                }
            }
        }
        if at < bytes.len() {
            st.pending = bytes[at..].to_vec();
        }
        drop(st);
        if give_back {
            self.hand_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_heads_parse_only_once_complete() {
        // Masked binary, 5 bytes.
        let f = [0x82, 0x85, 1, 2, 3, 4, 9, 9, 9, 9, 9];
        for cut in 0..6 {
            assert_eq!(FrameHead::parse(&f[..cut]), None, "cut at {cut}");
        }
        let h = FrameHead::parse(&f).expect("complete");
        assert!(h.fin);
        assert_eq!((h.opcode, h.rsv, h.len, h.payload), (2, 0, 6, 5));
        assert_eq!(h.mask, Some([1, 2, 3, 4]));
        assert_eq!(h.total(), 11);
        // 16-bit length, unmasked, not final, rsv1.
        let h = FrameHead::parse(&[0x42, 126, 0x01, 0x00]).expect("complete");
        assert_eq!(
            (h.fin, h.rsv, h.opcode, h.len, h.payload),
            (false, 4, 2, 4, 256)
        );
        assert_eq!(h.mask, None);
        // 64-bit length.
        let mut long = vec![0x82, 0xff];
        long.extend_from_slice(&(70_000u64).to_be_bytes());
        long.extend_from_slice(&[0; 4]);
        let h = FrameHead::parse(&long).expect("complete");
        assert_eq!((h.len, h.payload), (14, 70_000));
    }

    #[test]
    fn the_bucket_allows_the_rate_and_closes_a_sustained_flood() {
        let t0 = Instant::now();
        let mut bucket = Bucket::new(10, t0);
        // The burst (20) passes at once, the 21st is dropped.
        for _ in 0..20 {
            assert_eq!(bucket.admit(t0), Ok(true));
        }
        assert_eq!(bucket.admit(t0), Ok(false));
        // At the allowed rate it keeps passing.
        for i in 1..=10 {
            assert_eq!(
                bucket.admit(t0 + Duration::from_millis(100 * i)),
                Ok(true),
                "message {i}"
            );
        }
        // A flood that outlasts the tolerance is closed with 1008.
        let t1 = t0 + Duration::from_secs(1);
        let mut closed = None;
        for i in 0..200u64 {
            if let Err(r) = bucket.admit(t1 + Duration::from_millis(10 * i)) {
                closed = Some(r.code);
                break;
            }
        }
        assert_eq!(closed, Some(close::POLICY_VIOLATION));
    }

    #[test]
    fn one_burst_then_normal_play_is_not_a_flood_but_sending_above_the_rate_is() {
        let t0 = Instant::now();
        let at = |ms: f64| t0 + Duration::from_secs_f64(ms / 1000.0);
        // 120 messages a second allowed (burst 240); one burst of 1,000 at once, then 30 a second for 3 s.
        let mut bucket = Bucket::new(120, t0);
        let admitted = (0..1000).filter(|_| bucket.admit(t0) == Ok(true)).count();
        assert_eq!(admitted, 240, "the burst is cut at twice the rate");
        for i in 1..=90 {
            let r = bucket.admit(at(f64::from(i) * 33.3));
            assert_eq!(r, Ok(true), "input {i} after the burst");
        }
        // The same burst followed by 1.5 times the rate: still a flood, closed after the tolerance.
        let mut bucket = Bucket::new(120, t0);
        for _ in 0..1000 {
            let _ = bucket.admit(t0);
        }
        let closed_at = (1..=400)
            .map(|i| f64::from(i) * 1000.0 / 180.0)
            .find(|&ms| bucket.admit(at(ms)).is_err());
        let ms = closed_at.expect("a client above the rate is closed");
        assert!((1000.0..1100.0).contains(&ms), "closed after {ms} ms");
    }

    #[test]
    fn a_flood_read_in_one_batch_per_tick_is_still_one_flood() {
        // The read pass reads a flooding client once per tick: hundreds of messages at one instant, with the
        // bucket refilled a little since the last batch.
        let t0 = Instant::now();
        let mut bucket = Bucket::new(120, t0);
        let mut closed_at = None;
        'passes: for pass in 0..90u32 {
            let now = t0 + Duration::from_millis(u64::from(pass) * 33);
            for _ in 0..500 {
                if bucket.admit(now).is_err() {
                    closed_at = Some(pass * 33);
                    break 'passes;
                }
            }
        }
        let ms = closed_at.expect("the flood is closed");
        assert!((1000..1100).contains(&ms), "closed after {ms} ms");
    }
}
