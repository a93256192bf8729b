//! One client's outgoing bytes, shared by the fan-out writer and the client's session.
//!
//! Every byte a client is sent passes through its [`Outbox`], in order: the tick's frames (handed over by the
//! fan-out writer thread, see [`crate::writer`]) and the session's own frames (pongs, pings, the close frame,
//! written by tungstenite through [`WsIo`]). For a plain TCP connection the writer puts a frame straight on the
//! socket with one non-blocking `send` — the per-client header written into the room the writer keeps before its
//! one copy of the body every client shares — and nobody else is woken. Only when the kernel's send buffer is full are the unsent bytes kept in
//! the outbox's `pending` buffer and the session woken to finish the write when the socket drains. Over TLS the
//! bytes must be encrypted by the session's TLS stream, so every frame goes to `pending` and wakes the session.
//!
//! `pending` is bounded: once it holds more than the cap, further frames are refused ([`Offer::Full`]) and the
//! tick driver treats the client as behind (it skips ticks and later catches up from its last state). A frame
//! is accepted whole or not at all, so frames never interleave.

use crate::inlet::Inlet;
use bytes::{Buf, BytesMut};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::server::TlsStream;

/// What happened to a frame offered to an [`Outbox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Offer {
    /// The whole frame is in the kernel's send buffer.
    Sent,
    /// The frame (or its unsent rest) waits in the outbox for the session to write it.
    Queued,
    /// The outbox is over its cap: the frame was not taken.
    Full,
    /// The connection is closing or gone: the frame was not taken.
    #[default]
    Gone,
}

impl Offer {
    /// True when the frame will reach the client (unless the connection breaks).
    pub fn accepted(self) -> bool {
        matches!(self, Offer::Sent | Offer::Queued)
    }
}

#[derive(Debug, Default)]
struct State {
    /// Accepted bytes not yet on the socket (plain) or not yet through the TLS stream.
    pending: BytesMut,
    /// The tick driver has dropped this client: the session closes once `pending` is written.
    closing: bool,
    /// The socket failed or the session ended: nothing more is accepted.
    dead: bool,
}

/// One client's outgoing bytes; see the module documentation.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    wake: Notify,
    /// The socket, for plain TCP: the writer writes to it directly.
    direct: Option<Arc<TcpStream>>,
    cap: usize,
    /// Bytes the session has written out of `pending` so far (its progress while draining).
    drained: std::sync::atomic::AtomicU64,
}

impl Outbox {
    /// An outbox that writes frames directly to a plain TCP socket; at most `cap` bytes wait in user space.
    pub fn direct(tcp: Arc<TcpStream>, cap: usize) -> Self {
        Self::new(Some(tcp), cap)
    }

    /// An outbox whose bytes the session writes (TLS).
    pub fn buffered(cap: usize) -> Self {
        Self::new(None, cap)
    }

    fn new(direct: Option<Arc<TcpStream>>, cap: usize) -> Self {
        Outbox {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            direct,
            cap,
            drained: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves only bytes behind; the state stays usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts loading this outbox into the cache ahead of its turn in the fan-out ([`crate::sys::prefetch`]).
    pub fn prefetch(&self) {
        crate::sys::prefetch(self);
    }

    /// Likewise the socket's user-space half (where its descriptor is), once the outbox itself is in the cache.
    pub fn prefetch_socket(&self) {
        if let Some(tcp) = &self.direct {
            crate::sys::prefetch(&**tcp);
        }
    }

    /// Offers one frame made of `parts` (written in order, never interleaved with another frame). Never blocks.
    pub fn offer(&self, parts: &[&[u8]]) -> Offer {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let mut st = self.lock();
        if st.dead || st.closing {
            return Offer::Gone;
        }
        if st.pending.is_empty() {
            if let Some(tcp) = &self.direct {
                return match write_now(tcp, parts) {
                    Ok(n) if n == total => Offer::Sent,
                    Ok(n) => {
                        append_from(&mut st.pending, parts, n);
                        self.wake.notify_one();
                        Offer::Queued
                    }
                    Err(_) => {
                        st.dead = true;
                        self.wake.notify_one();
                        Offer::Gone
                    }
                };
            }
        } else if st.pending.len() + total > self.cap {
            return Offer::Full;
        }
        let was_empty = st.pending.is_empty();
        append_from(&mut st.pending, parts, 0);
        if was_empty {
            self.wake.notify_one();
        }
        Offer::Queued
    }

    /// Offers one whole WebSocket binary message with `payload` (framing it).
    pub fn offer_message(&self, payload: &[u8]) -> Offer {
        let header = WsHeader::binary(payload.len());
        self.offer(&[header.as_bytes(), payload])
    }

    /// Marks the client dropped by the tick driver: nothing more is accepted, and the session is woken to write
    /// what is pending and close (with the reason the driver recorded in `SessionCtl`).
    pub fn close(&self) {
        self.lock().closing = true;
        self.wake.notify_one();
    }

    /// True once [`Outbox::close`] was called.
    pub fn is_closing(&self) -> bool {
        self.lock().closing
    }

    /// Marks the connection finished (the session ended): later offers are refused.
    pub fn finish(&self) {
        self.lock().dead = true;
    }

    /// Waits until the writer or the tick driver wakes the session: bytes are pending, the connection closed, or
    /// it failed. Wake-ups are not lost while nobody waits.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Bytes the session has written out of the pending buffer so far: it moves while a slow client reads.
    pub fn drained(&self) -> u64 {
        self.drained.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Bytes waiting to be written.
    pub fn pending_len(&self) -> usize {
        self.lock().pending.len()
    }

    /// The session's own bytes (tungstenite's frames): accepted whole, whatever the cap, behind any pending ones.
    fn push(&self, buf: &[u8]) -> io::Result<()> {
        match self.offer_uncapped(buf) {
            Offer::Gone => Err(io::ErrorKind::BrokenPipe.into()),
            _ => Ok(()),
        }
    }

    fn offer_uncapped(&self, buf: &[u8]) -> Offer {
        let mut st = self.lock();
        if st.dead {
            return Offer::Gone;
        }
        if st.pending.is_empty()
            && let Some(tcp) = &self.direct
        {
            return match write_now(tcp, &[buf]) {
                Ok(n) if n == buf.len() => Offer::Sent,
                Ok(n) => {
                    st.pending.extend_from_slice(&buf[n..]);
                    Offer::Queued
                }
                Err(_) => {
                    st.dead = true;
                    Offer::Gone
                }
            };
        }
        st.pending.extend_from_slice(buf);
        Offer::Queued
    }

    /// Writes pending bytes until none are left (plain TCP), or pushes them through `tls` and flushes it.
    fn poll_drain(
        &self,
        cx: &mut Context<'_>,
        mut tls: Option<&mut TlsStream<TcpStream>>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut st = self.lock();
            if st.pending.is_empty() {
                if st.pending.capacity() > 0 {
                    // Only slow moments fill it: free it rather than keep a buffer per client that once was slow.
                    st.pending = BytesMut::new();
                }
                drop(st);
                return match tls {
                    Some(tls) => Pin::new(tls).poll_flush(cx),
                    None => Poll::Ready(Ok(())),
                };
            }
            let written = match (&mut tls, &self.direct) {
                (Some(tls), _) => match Pin::new(&mut **tls).poll_write(cx, &st.pending) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                },
                (None, Some(tcp)) => match tcp.try_write(&st.pending) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        drop(st);
                        ready!(tcp.poll_write_ready(cx))?;
                        continue;
                    }
                    r => r,
                },
                (None, None) => Err(io::Error::other("a buffered outbox drains through TLS")),
            };
            match written {
                Ok(0) => {
                    st.dead = true;
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Ok(n) => {
                    st.pending.advance(n);
                    self.drained
                        .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    st.dead = true;
                    return Poll::Ready(Err(e));
                }
            }
        }
    }
}

/// Writes as much of `parts` as the socket takes now; returns the bytes written (fewer when it would block).
fn write_now(tcp: &TcpStream, parts: &[&[u8]]) -> io::Result<usize> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if let [frame] = parts {
        // One buffer (the fan-out writer's frames): `send` on the socket itself, not through tokio. No readiness
        // to consult, and `send` of one buffer is the cheapest write the kernel has. tokio's readiness is left as
        // it was, which is safe: a session draining what did not fit learns from its own write that the socket is
        // full, and waits for it to drain.
        let sock = socket2::SockRef::from(tcp);
        return write_while_taken(total, |done| sock.send(&frame[done..]));
    }
    write_while_taken(total, |done| {
        let mut slices = [IoSlice::new(&[]); 4];
        let n = slices_from(parts, done, &mut slices);
        tcp.try_write_vectored(&slices[..n])
    })
}

/// Calls `write(bytes written so far)` until `total` bytes are written or the socket would block; returns the
/// bytes written.
fn write_while_taken(
    total: usize,
    mut write: impl FnMut(usize) -> io::Result<usize>,
) -> io::Result<usize> {
    let mut done = 0;
    while done < total {
        match write(done) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Fills `out` with the parts that remain after skipping `skip` bytes; returns how many slices it used.
fn slices_from<'a>(parts: &[&'a [u8]], mut skip: usize, out: &mut [IoSlice<'a>; 4]) -> usize {
    let mut n = 0;
    for part in parts {
        if skip >= part.len() {
            skip -= part.len();
            continue;
        }
        if n == out.len() {
            break;
        }
        out[n] = IoSlice::new(&part[skip..]);
        skip = 0;
        n += 1;
    }
    n
}

/// Appends `parts` to `buf`, leaving out their first `skip` bytes.
fn append_from(buf: &mut BytesMut, parts: &[&[u8]], mut skip: usize) {
    for part in parts {
        if skip >= part.len() {
            skip -= part.len();
            continue;
        }
        buf.extend_from_slice(&part[skip..]);
        skip = 0;
    }
}

/// A server → client WebSocket frame header for one unfragmented binary message (servers do not mask).
#[derive(Debug, Clone, Copy)]
pub struct WsHeader {
    bytes: [u8; 10],
    len: u8,
}

impl WsHeader {
    /// The header of a binary message of `len` payload bytes (RFC 6455 §5.2).
    pub fn binary(len: usize) -> Self {
        let mut bytes = [0u8; 10];
        bytes[0] = 0x82; // FIN, opcode 2 (binary)
        let used = if len < 126 {
            bytes[1] = len as u8;
            2
        } else if len <= usize::from(u16::MAX) {
            bytes[1] = 126;
            bytes[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        } else {
            bytes[1] = 127;
            bytes[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        WsHeader { bytes, len: used }
    }

    /// The header's bytes (2, 4 or 10).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The byte stream under a game session's WebSocket: reads come from the socket (or TLS), and every write goes
/// through the client's [`Outbox`], so tungstenite's frames and the tick's frames never interleave.
///
/// On a plain connection, reads go through the client's [`Inlet`]: bytes read from the socket wait there and are
/// handed to tungstenite one frame at a time, so that between messages tungstenite holds no part of a frame and
/// reading can be handed to the tick's read pass (see [`crate::inlet`]); bytes the pass hands back are read
/// first.
#[derive(Debug)]
pub struct WsIo {
    io: Io,
    outbox: Arc<Outbox>,
    inlet: Arc<Inlet>,
    /// Bytes of the current frame not yet handed to tungstenite (0: between frames).
    rest_of_frame: u64,
}

#[derive(Debug)]
enum Io {
    Plain(Arc<TcpStream>),
    Tls(Box<TlsStream<TcpStream>>),
}

/// What [`WsIo::upgrade`] gives a session.
#[derive(Debug)]
pub struct Upgraded {
    /// The byte stream for tungstenite.
    pub io: WsIo,
    /// Every byte the client is sent goes through it.
    pub outbox: Arc<Outbox>,
    /// The client's incoming side.
    pub inlet: Arc<Inlet>,
    /// Bytes after the HTTP request head that tungstenite must read first (TLS; on a plain connection they wait
    /// in the inlet).
    pub leftover: Vec<u8>,
}

impl WsIo {
    /// Wraps an upgraded connection, with the bytes the client sent after its request head; `cap` bounds the
    /// bytes that wait for a slow client (see [`Outbox`]).
    pub fn upgrade(
        conn: crate::conn::Conn,
        leftover: Vec<u8>,
        cap: usize,
        limits: &crate::config::Limits,
    ) -> Upgraded {
        let inlet = |tcp, pending| {
            Arc::new(Inlet::new(
                tcp,
                pending,
                limits.max_message_bytes,
                limits.max_messages_per_second,
            ))
        };
        let (io, outbox, inlet, leftover) = match conn {
            crate::conn::Conn::Plain(tcp) => {
                let tcp = Arc::new(tcp);
                (
                    Io::Plain(tcp.clone()),
                    Outbox::direct(tcp.clone(), cap),
                    inlet(Some(tcp), leftover),
                    Vec::new(),
                )
            }
            crate::conn::Conn::Tls(tls) => (
                Io::Tls(tls),
                Outbox::buffered(cap),
                inlet(None, Vec::new()),
                leftover,
            ),
        };
        let outbox = Arc::new(outbox);
        Upgraded {
            io: WsIo {
                io,
                outbox: outbox.clone(),
                inlet: inlet.clone(),
                rest_of_frame: 0,
            },
            outbox,
            inlet,
            leftover,
        }
    }

    /// Writes everything pending in the outbox (the tick's frames and the session's own).
    pub fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(_) => self.outbox.poll_drain(cx, None),
            Io::Tls(tls) => self.outbox.poll_drain(cx, Some(tls)),
        }
    }

    /// The end of a close the server started (a lingering close): once its close frame is out, ends the stream
    /// and reads and discards whatever the client still sends until the client ends it too. A socket closed
    /// with unread bytes answers with a reset, and a client still writing (the rest of an oversized message,
    /// say) then fails its write before it reads the close frame, and sees 1006 instead of the code it was
    /// sent. The caller bounds the time this takes.
    pub async fn linger(&mut self) {
        if std::future::poll_fn(|cx| Pin::new(&mut *self).poll_shutdown(cx))
            .await
            .is_err()
        {
            return;
        }
        // The scratch space lives between awaits only on TLS (on the heap there): a buffer held across an await
        // would be part of every session's future, lingering or not.
        match &mut self.io {
            Io::Plain(tcp) => loop {
                if tcp.readable().await.is_err() {
                    return;
                }
                let mut scratch = [0u8; 4096];
                match tcp.try_read(&mut scratch) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            },
            Io::Tls(tls) => {
                use tokio::io::AsyncReadExt;
                let mut scratch = vec![0u8; 4096];
                while let Ok(1..) = tls.read(&mut scratch).await {}
            }
        }
    }

    /// Whether everything read so far has been handed to tungstenite in whole frames.
    pub fn between_frames(&self) -> bool {
        self.rest_of_frame == 0
    }
}

impl AsyncRead for WsIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &mut this.io {
            Io::Plain(tcp) => loop {
                if this.rest_of_frame == 0
                    && let Some(head) = this.inlet.pending_head()
                {
                    this.rest_of_frame = head.total();
                }
                if this.rest_of_frame > 0 && buf.remaining() > 0 {
                    let want = this.rest_of_frame.min(buf.remaining() as u64) as usize;
                    let n = this
                        .inlet
                        .take_pending(&mut buf.initialize_unfilled()[..want]);
                    if n > 0 {
                        buf.advance(n);
                        this.rest_of_frame -= n as u64;
                        return Poll::Ready(Ok(()));
                    }
                }
                // Nothing whole to hand over: read more (a frame's rest, or the rest of its header).
                ready!(tcp.poll_read_ready(cx))?;
                let mut chunk = [0u8; 1024];
                match tcp.try_read(&mut chunk) {
                    // The end of the stream (any unfinished frame is cut off with it).
                    Ok(0) => return Poll::Ready(Ok(())),
                    Ok(n) => this.inlet.put_pending(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Poll::Ready(Err(e)),
                }
            },
            Io::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.outbox.push(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        match &mut this.io {
            Io::Plain(tcp) => {
                Poll::Ready(socket2::SockRef::from(&**tcp).shutdown(std::net::Shutdown::Write))
            }
            Io::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

impl Drop for WsIo {
    fn drop(&mut self) {
        // The session is over: refuse further frames, and let the peer see the end of the stream now rather
        // than when the tick driver drops its handle on the socket.
        self.outbox.finish();
        if let Io::Plain(tcp) = &self.io {
            let _ = socket2::SockRef::from(&**tcp).shutdown(std::net::Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_headers_use_the_shortest_length_form() {
        assert_eq!(WsHeader::binary(0).as_bytes(), &[0x82, 0]);
        assert_eq!(WsHeader::binary(125).as_bytes(), &[0x82, 125]);
        assert_eq!(WsHeader::binary(126).as_bytes(), &[0x82, 126, 0, 126]);
        assert_eq!(
            WsHeader::binary(65_535).as_bytes(),
            &[0x82, 126, 0xff, 0xff]
        );
        assert_eq!(
            WsHeader::binary(65_536).as_bytes(),
            &[0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
    }

    #[test]
    fn slicing_skips_what_was_written() {
        let parts: [&[u8]; 3] = [b"ab", b"cde", b"f"];
        let mut out = [IoSlice::new(&[]); 4];
        let n = slices_from(&parts, 3, &mut out);
        let got: Vec<u8> = out[..n].iter().flat_map(|s| s.to_vec()).collect();
        assert_eq!(got, b"def");
        let mut buf = BytesMut::new();
        append_from(&mut buf, &parts, 2);
        assert_eq!(&buf[..], b"cdef");
    }

    #[test]
    fn a_buffered_outbox_takes_whole_frames_up_to_its_cap() {
        let outbox = Outbox::buffered(8);
        assert_eq!(outbox.offer(&[b"0123", b"456789"]), Offer::Queued);
        assert_eq!(
            outbox.offer(&[b"x"]),
            Offer::Full,
            "over the cap: refused whole"
        );
        assert_eq!(outbox.pending_len(), 10);
        outbox.close();
        assert_eq!(outbox.offer(&[b"x"]), Offer::Gone);
    }
}
