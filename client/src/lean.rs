//! A lean, non-blocking client connection for programs that run thousands of clients on one core (the load-test
//! bots).
//!
//! [`LeanClient`] is the same client on the wire as [`crate::Client`]: the handshake is tungstenite's (request,
//! key, `Sec-WebSocket-Accept` check), every message is a masked binary frame, and the server's pings are answered
//! with pongs. What it leaves out is the per-message work a load generator cannot afford thousands of times per
//! tick:
//!
//! - **reads** go into one buffer per connection that is allocated and zeroed once and then reused (tungstenite
//!   zero-fills its free read buffer before every read and allocates a payload per message); a received message is
//!   handed out as a slice of that buffer ([`LeanClient::try_recv`]), valid until the next call;
//! - **writes** are framed (tungstenite's [`FrameHeader`] formats the header) and masked into one reused output
//!   buffer and written with a single `write()`, without a `Sink` flushing before and after every message;
//! - after the handshake the socket is a **non-blocking standard socket, outside tokio's reactor**: `try_recv` and
//!   `try_flush` never wait, and the program decides when to look at which sockets (the bots watch thousands with
//!   one `mio` poll of their own, looked at once a millisecond, so a burst of arriving frames costs one wake-up,
//!   not one each). [`LeanClient::recv`] and [`LeanClient::flush`] wait through tokio for the odd call (joining,
//!   tests).
//!
//! The frame headers are parsed and written by tungstenite's [`FrameHeader`]; this module adds the buffering, the
//! RFC 6455 checks a client makes on server frames (no mask, no reserved bits, control frames short and final, no
//! unexpected continuation), fragment reassembly, and the masking of outgoing payloads. Errors are tungstenite's
//! error values ([`WsError`]) where tungstenite has one, so they read the same as [`crate::Client`]'s. `wss://`
//! works too: rustls runs over the same non-blocking socket.

use crate::{ClientError, WsError};
use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg, setsockopt, sockopt};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Cursor, Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tickwire_shared::{ClientMessage, Input, Ping, encode_client_into};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError, TlsError, UrlError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// The read buffer a connection starts with, and shrinks back to with [`LeanClient::shrink_read_buffer`]. It
/// grows to hold the largest frame received.
pub const READ_BUFFER: usize = 8 * 1024;
/// The largest message accepted (as `tickwire-client`'s default configuration).
pub const MAX_MESSAGE: usize = 64 << 20;

/// The socket: in tokio's reactor (to wait for it with `.await`), or a plain non-blocking socket outside it, for
/// a program that watches it with a poller of its own ([`LeanClient::detach`]).
#[derive(Debug)]
enum Sock {
    Tokio(tokio::net::TcpStream),
    Std(std::net::TcpStream),
    /// Only while `detach` or `attach` moves the socket from one form to the other (or after that failed).
    Gone,
}

fn detached() -> io::Error {
    io::Error::other("the socket is detached from tokio: attach it to wait for it")
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the socket was lost")
}

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sock::Tokio(s) => s.try_read(buf),
            Sock::Std(s) => s.read(buf),
            Sock::Gone => Err(gone()),
        }
    }
}

impl Write for Sock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sock::Tokio(s) => s.try_write(buf),
            Sock::Std(s) => s.write(buf),
            Sock::Gone => Err(gone()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Kernel receive timestamps (`SO_TIMESTAMPNS`): when the bytes of the last read arrived.
#[derive(Debug)]
struct Stamps {
    last: Option<SystemTime>,
    /// Control-message buffer for `recvmsg` (sized and aligned by `nix`).
    cmsg: Vec<u8>,
}

/// The socket, reading with `recvmsg` to keep the kernel's receive timestamp when stamps are on (detached only).
struct Stamped<'a> {
    sock: &'a mut Sock,
    stamps: Option<&'a mut Stamps>,
}

impl Read for Stamped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (Sock::Std(s), Some(stamps)) = (&*self.sock, self.stamps.as_deref_mut()) else {
            return self.sock.read(buf);
        };
        let mut iov = [io::IoSliceMut::new(buf)];
        let msg = recvmsg::<()>(
            s.as_raw_fd(),
            &mut iov,
            Some(&mut stamps.cmsg[..]),
            MsgFlags::empty(),
        )
        .map_err(io::Error::from)?;
        let n = msg.bytes;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::ScmTimestampns(ts) = c {
                    let since =
                        Duration::new(ts.tv_sec().max(0) as u64, ts.tv_nsec().max(0) as u32);
                    stamps.last = Some(UNIX_EPOCH + since);
                }
            }
        }
        Ok(n)
    }
}

/// The connection's transport after the handshake: the socket, with rustls over it for `wss://`.
#[derive(Debug)]
struct Transport {
    sock: Sock,
    tls: Option<Box<rustls::ClientConnection>>,
    stamps: Option<Stamps>,
}

impl Transport {
    /// Reads what is there into `buf`; `Ok((0, _))` is the end of the stream, `WouldBlock` means nothing now. The
    /// flag says whether more may be waiting: a short read of a plain socket means it was drained (edge-triggered
    /// readiness reports the next arrival), as tokio also relies on.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<(usize, bool)> {
        let mut sock = Stamped {
            sock: &mut self.sock,
            stamps: self.stamps.as_mut(),
        };
        let Some(tls) = &mut self.tls else {
            return sock.read(buf).map(|n| (n, n == buf.len()));
        };
        loop {
            match tls.reader().read(buf) {
                Ok(n) => return Ok((n, n > 0)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if tls.read_tls(&mut sock)? == 0 {
                return Ok((0, false));
            }
            tls.process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
    }

    /// Writes from `buf`; for TLS, takes it into rustls and writes the records that fit (the rest stays in rustls
    /// for [`Transport::write_tls`]: the bytes it took count as written).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(tls) = &mut self.tls else {
            return self.sock.write(buf);
        };
        let n = tls.writer().write(buf)?;
        match self.write_tls() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        if n == 0 && !buf.is_empty() {
            // rustls holds as much as it takes until its records are written.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    /// Whether TLS records wait to be written (always `false` for a plain socket).
    fn tls_pending(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Writes waiting TLS records.
    fn write_tls(&mut self) -> io::Result<()> {
        if let Some(tls) = &mut self.tls {
            while tls.wants_write() {
                if tls.write_tls(&mut self.sock)? == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
            }
        }
        Ok(())
    }
}

/// A connected client without a per-message allocation: see the [module documentation](self).
#[derive(Debug)]
pub struct LeanClient {
    io: Transport,
    /// The socket may hold bytes not read yet (cleared by a read that drained it, set by
    /// [`LeanClient::mark_readable`]).
    read_ready: bool,
    /// Received bytes; `rbuf[rpos..rend]` is not parsed yet. Its length is its usable size (all initialised).
    rbuf: Vec<u8>,
    rpos: usize,
    rend: usize,
    /// A fragmented message being reassembled, and its type once the first fragment is in.
    frag: Vec<u8>,
    frag_kind: Option<Data>,
    /// `frag` was handed out whole and is emptied on the next call.
    frag_done: bool,
    /// Bytes to write; `wbuf[wpos..]` is not written yet.
    wbuf: Vec<u8>,
    wpos: usize,
    /// Encoding scratch for one message.
    scratch: Vec<u8>,
    mask_state: u64,
    next_seq: u32,
    bytes_sent: u64,
    bytes_received: u64,
    /// A close frame was queued: nothing more may be sent.
    closing: bool,
}

impl LeanClient {
    /// Opens the WebSocket (`ws://`, or `wss://` trusting the webpki roots); no hello yet.
    pub async fn connect(url: &str) -> Result<LeanClient, ClientError> {
        Self::connect_inner(url, None).await
    }

    /// Opens a `wss://` WebSocket trusting the roots in `tls` (a server with a private certificate).
    pub async fn connect_tls(
        url: &str,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<LeanClient, ClientError> {
        Self::connect_inner(url, Some(tls)).await
    }

    async fn connect_inner(
        url: &str,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<LeanClient, ClientError> {
        let request = url.into_client_request()?;
        let uri = request.uri();
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => return Err(WsError::Url(UrlError::UnsupportedUrlScheme).into()),
        };
        let host = uri
            .host()
            .ok_or(WsError::Url(UrlError::NoHostName))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(WsError::Io)?;
        // As browsers do for WebSockets: an input goes out when written, not when the server has acknowledged the
        // previous segment (Nagle's algorithm held inputs for up to a delta period).
        tcp.set_nodelay(true).map_err(WsError::Io)?;
        // tungstenite does the handshake over a stream that never hands it a byte past the response's header
        // block: whatever the server sent after it stays in `UntilHeaders` and becomes the start of our buffer.
        let config = WebSocketConfig::default().read_buffer_size(256);
        if secure {
            let config_tls = tls.unwrap_or_else(webpki_config);
            let name = rustls::pki_types::ServerName::try_from(host)
                .map_err(|_| WsError::Tls(TlsError::InvalidDnsName))?;
            let stream = tokio_rustls::TlsConnector::from(config_tls)
                .connect(name, tcp)
                .await
                .map_err(WsError::Io)?;
            let (ws, _response) = tokio_tungstenite::client_async_with_config(
                request,
                UntilHeaders::new(stream),
                Some(config),
            )
            .await?;
            let (stream, leftover) = ws.into_inner().into_parts()?;
            let (tcp, tls) = stream.into_inner();
            let io = Transport {
                sock: Sock::Tokio(tcp),
                tls: Some(Box::new(tls)),
                stamps: None,
            };
            Ok(LeanClient::over(io, leftover))
        } else {
            let (ws, _response) = tokio_tungstenite::client_async_with_config(
                request,
                UntilHeaders::new(tcp),
                Some(config),
            )
            .await?;
            let (tcp, leftover) = ws.into_inner().into_parts()?;
            let io = Transport {
                sock: Sock::Tokio(tcp),
                tls: None,
                stamps: None,
            };
            Ok(LeanClient::over(io, leftover))
        }
    }

    fn over(io: Transport, leftover: Vec<u8>) -> LeanClient {
        let mut rbuf = leftover;
        let rend = rbuf.len();
        rbuf.resize(READ_BUFFER.max(rend.next_power_of_two()), 0);
        LeanClient {
            io,
            read_ready: true,
            rbuf,
            rpos: 0,
            rend,
            frag: Vec::new(),
            frag_kind: None,
            frag_done: false,
            wbuf: Vec::with_capacity(256),
            wpos: 0,
            scratch: Vec::with_capacity(64),
            mask_state: std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
                | 1,
            next_seq: 1,
            bytes_sent: 0,
            bytes_received: 0,
            closing: false,
        }
    }

    /// The socket's descriptor, to watch it with a poller of one's own after [`LeanClient::detach`] (`None` if
    /// the socket was lost in a failed `detach` or `attach`).
    pub fn raw_fd(&self) -> Option<RawFd> {
        match &self.io.sock {
            Sock::Tokio(s) => Some(s.as_raw_fd()),
            Sock::Std(s) => Some(s.as_raw_fd()),
            Sock::Gone => None,
        }
    }

    /// Takes the socket out of tokio's reactor: from now on nothing wakes a task when it is ready; the program
    /// watches [`LeanClient::raw_fd`] itself and calls [`LeanClient::mark_readable`], `try_recv` and `try_flush`.
    pub fn detach(&mut self) -> Result<(), ClientError> {
        if let Sock::Tokio(s) = std::mem::replace(&mut self.io.sock, Sock::Gone) {
            self.io.sock = Sock::Std(s.into_std().map_err(WsError::Io)?);
        }
        Ok(())
    }

    /// Puts a detached socket back into tokio's reactor, so that `recv` and `flush` can wait again. Needs a tokio
    /// runtime.
    pub fn attach(&mut self) -> Result<(), ClientError> {
        if let Sock::Std(s) = std::mem::replace(&mut self.io.sock, Sock::Gone) {
            self.io.sock = Sock::Tokio(tokio::net::TcpStream::from_std(s).map_err(WsError::Io)?);
        }
        Ok(())
    }

    /// Asks the kernel to timestamp what this socket receives (`SO_TIMESTAMPNS`), so that
    /// [`LeanClient::arrived_at`] can say when a message arrived however late it is read. Takes effect for reads
    /// of a detached socket.
    pub fn stamp_arrivals(&mut self) -> Result<(), ClientError> {
        let sock: &dyn AsFd = match &self.io.sock {
            Sock::Tokio(s) => s,
            Sock::Std(s) => s,
            Sock::Gone => return Err(WsError::Io(gone()).into()),
        };
        setsockopt(&sock, sockopt::ReceiveTimestampns, &true)
            .map_err(|e| WsError::Io(io::Error::from(e)))?;
        self.io.stamps = Some(Stamps {
            last: None,
            cmsg: nix::cmsg_space!(nix::sys::time::TimeSpec),
        });
        Ok(())
    }

    /// When the kernel received the bytes of the last read from the socket (with
    /// [`LeanClient::stamp_arrivals`], once detached): the arrival time of the message `try_recv` just returned,
    /// which that read completed. `None` without stamps.
    pub fn arrived_at(&self) -> Option<SystemTime> {
        self.io.stamps.as_ref().and_then(|s| s.last)
    }

    /// The socket reported readable: the next [`LeanClient::try_recv`] reads from it.
    pub fn mark_readable(&mut self) {
        self.read_ready = true;
    }

    /// Payload bytes of the game messages sent so far (WebSocket frame headers not included).
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Payload bytes of the binary messages received so far (WebSocket frame headers not included).
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// The size of the read buffer now.
    pub fn read_buffer_len(&self) -> usize {
        self.rbuf.len()
    }

    /// Gives back read-buffer memory above [`READ_BUFFER`] (a join's snapshot can be far bigger than the deltas
    /// that follow), keeping any bytes not handed out yet.
    pub fn shrink_read_buffer(&mut self) {
        let live = self.rend - self.rpos;
        let want = READ_BUFFER.max(live.next_power_of_two());
        if self.rbuf.len() > want {
            self.rbuf.copy_within(self.rpos..self.rend, 0);
            self.rpos = 0;
            self.rend = live;
            self.rbuf.truncate(want);
            self.rbuf.shrink_to_fit();
        }
    }

    /// The next binary message from the server, as a slice valid until the next call, or `None` when no whole
    /// message is there (the socket would block). Answers pings on the way. A close frame is `Err(Closed)`, the
    /// end of the stream without one `Err(Ws(..))`, a text message `Err(Protocol)` (the connection stays usable
    /// after that one), as [`crate::Client::recv_frame`] reports them.
    pub fn try_recv(&mut self) -> Result<Option<&[u8]>, ClientError> {
        Ok(self.try_recv_at()?.map(|(bytes, _)| bytes))
    }

    /// [`LeanClient::try_recv`], with the kernel's receive time of the message when
    /// [`LeanClient::stamp_arrivals`] is on (see [`LeanClient::arrived_at`]).
    pub fn try_recv_at(&mut self) -> Result<Option<(&[u8], Option<SystemTime>)>, ClientError> {
        if self.frag_done {
            self.frag.clear();
            self.frag_done = false;
        }
        loop {
            if let Some((header, header_len, len)) = self.parse_header()? {
                let need = header_len + len;
                if self.rend - self.rpos >= need {
                    let start = self.rpos + header_len;
                    self.rpos += need;
                    if self.rpos == self.rend {
                        // Everything parsed: the next read starts at the front. The slice handed out below stays
                        // valid, since nothing is written before the next call.
                        (self.rpos, self.rend) = (0, 0);
                    }
                    let at = self.arrived_at();
                    match self.on_frame(header, start, len)? {
                        Some(Whole::Buffer { start, len }) => {
                            self.bytes_received += len as u64;
                            return Ok(Some((&self.rbuf[start..start + len], at)));
                        }
                        Some(Whole::Fragments) => {
                            self.bytes_received += self.frag.len() as u64;
                            self.frag_done = true;
                            return Ok(Some((&self.frag, at)));
                        }
                        None => continue,
                    }
                }
                self.make_room(need);
            } else {
                self.make_room(MAX_FRAME_HEADER);
            }
            if !self.read_ready {
                return Ok(None);
            }
            match self.io.read(&mut self.rbuf[self.rend..]) {
                Ok((0, _)) => {
                    return Err(
                        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake).into(),
                    );
                }
                Ok((n, more)) => {
                    self.rend += n;
                    self.read_ready = more;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.read_ready = false;
                    if self.io.tls_pending() {
                        self.io.write_tls().map_err(WsError::Io)?;
                    }
                    return Ok(None);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WsError::Io(e).into()),
            }
        }
    }

    /// Waits for the next binary message and returns an owned copy (for the join phase and tests; loops that
    /// watch many connections use `try_recv`). The socket must be attached (it is until [`LeanClient::detach`]).
    pub async fn recv(&mut self) -> Result<Vec<u8>, ClientError> {
        loop {
            if let Some(m) = self.try_recv()? {
                return Ok(m.to_vec());
            }
            match &self.io.sock {
                Sock::Tokio(s) => s.readable().await.map_err(WsError::Io)?,
                _ => return Err(WsError::Io(detached()).into()),
            }
            self.read_ready = true;
        }
    }

    /// The header of the frame at `rpos`, its length and the payload length; `None` when more bytes are needed.
    fn parse_header(&self) -> Result<Option<(FrameHeader, usize, usize)>, ClientError> {
        let mut cursor = Cursor::new(&self.rbuf[self.rpos..self.rend]);
        let Some((header, len)) = FrameHeader::parse(&mut cursor)? else {
            return Ok(None);
        };
        if header.rsv1 || header.rsv2 || header.rsv3 {
            return Err(WsError::Protocol(ProtocolError::NonZeroReservedBits).into());
        }
        if header.mask.is_some() {
            return Err(WsError::Protocol(ProtocolError::MaskedFrameFromServer).into());
        }
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= MAX_MESSAGE)
            .ok_or_else(|| {
                WsError::Capacity(CapacityError::MessageTooLong {
                    size: usize::try_from(len).unwrap_or(usize::MAX),
                    max_size: MAX_MESSAGE,
                })
            })?;
        Ok(Some((header, cursor.position() as usize, len)))
    }

    /// Makes `rbuf` able to hold `need` bytes from `rpos` and leaves room to read into.
    fn make_room(&mut self, need: usize) {
        if self.rpos > 0 && (self.rbuf.len() - self.rpos < need || self.rend == self.rbuf.len()) {
            self.rbuf.copy_within(self.rpos..self.rend, 0);
            self.rend -= self.rpos;
            self.rpos = 0;
        }
        if self.rbuf.len() < need || self.rend == self.rbuf.len() {
            let size = need.max(self.rend + 1).next_power_of_two();
            self.rbuf.resize(size, 0);
        }
    }

    /// Acts on one complete frame whose payload is `rbuf[start..start + len]`; returns the message it completes.
    fn on_frame(
        &mut self,
        header: FrameHeader,
        start: usize,
        len: usize,
    ) -> Result<Option<Whole>, ClientError> {
        let payload = start..start + len;
        match header.opcode {
            OpCode::Control(control) => {
                if !header.is_final {
                    return Err(WsError::Protocol(ProtocolError::FragmentedControlFrame).into());
                }
                if len > 125 {
                    return Err(WsError::Protocol(ProtocolError::ControlFrameTooBig).into());
                }
                match control {
                    Control::Ping => {
                        if !self.closing {
                            let data = self.rbuf[payload].to_vec();
                            self.queue_frame(OpCode::Control(Control::Pong), &data);
                            // Best effort now; a pong that cannot be written yet goes with the next write.
                            self.try_flush()?;
                        }
                        Ok(None)
                    }
                    Control::Pong => Ok(None),
                    Control::Close => Err(self.on_close(payload)),
                    Control::Reserved(op) => {
                        Err(WsError::Protocol(ProtocolError::UnknownControlFrameType(op)).into())
                    }
                }
            }
            OpCode::Data(Data::Reserved(op)) => {
                Err(WsError::Protocol(ProtocolError::UnknownDataFrameType(op)).into())
            }
            OpCode::Data(Data::Continue) => {
                let Some(kind) = self.frag_kind else {
                    return Err(WsError::Protocol(ProtocolError::UnexpectedContinueFrame).into());
                };
                if self.frag.len() + len > MAX_MESSAGE {
                    return Err(WsError::Capacity(CapacityError::MessageTooLong {
                        size: self.frag.len() + len,
                        max_size: MAX_MESSAGE,
                    })
                    .into());
                }
                self.frag.extend_from_slice(&self.rbuf[payload]);
                if !header.is_final {
                    return Ok(None);
                }
                self.frag_kind = None;
                if kind == Data::Text {
                    self.frag.clear();
                    return Err(text_frame());
                }
                Ok(Some(Whole::Fragments))
            }
            OpCode::Data(kind) => {
                if self.frag_kind.is_some() {
                    return Err(WsError::Protocol(ProtocolError::ExpectedFragment(kind)).into());
                }
                if !header.is_final {
                    self.frag_kind = Some(kind);
                    self.frag.extend_from_slice(&self.rbuf[payload]);
                    return Ok(None);
                }
                if kind == Data::Text {
                    return Err(text_frame());
                }
                Ok(Some(Whole::Buffer { start, len }))
            }
        }
    }

    /// A close frame from the server: answer it (echoing the code) and report it.
    fn on_close(&mut self, payload: std::ops::Range<usize>) -> ClientError {
        let bytes = &self.rbuf[payload];
        let (code, reason) = match bytes.len() {
            0 => (1005, String::new()),
            1 => return WsError::Protocol(ProtocolError::InvalidCloseSequence).into(),
            _ => (
                u16::from_be_bytes([bytes[0], bytes[1]]),
                String::from_utf8_lossy(&bytes[2..]).into_owned(),
            ),
        };
        if !self.closing {
            let reply = if code == 1005 {
                Vec::new()
            } else {
                code.to_be_bytes().to_vec()
            };
            self.queue_frame(OpCode::Control(Control::Close), &reply);
            self.closing = true;
            let _ = self.try_flush();
        }
        ClientError::Closed { code, reason }
    }

    /// Queues one message (a masked binary frame); write it with [`LeanClient::try_flush`].
    pub fn queue(&mut self, msg: &ClientMessage) -> Result<(), ClientError> {
        if self.closing {
            return Err(WsError::Protocol(ProtocolError::SendAfterClosing).into());
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        encode_client_into(msg, &mut scratch);
        self.bytes_sent += scratch.len() as u64;
        self.queue_frame(OpCode::Data(Data::Binary), &scratch);
        self.scratch = scratch;
        Ok(())
    }

    /// Queues an input with the next sequence number; returns that number.
    pub fn queue_input(
        &mut self,
        dx: f32,
        dy: f32,
        aim: f32,
        buttons: u8,
    ) -> Result<u32, ClientError> {
        let seq = self.next_seq;
        self.queue(&ClientMessage::Input(Input {
            seq,
            dx,
            dy,
            aim,
            buttons,
        }))?;
        self.next_seq += 1;
        Ok(seq)
    }

    /// Queues a ping carrying `client_time`.
    pub fn queue_ping(&mut self, client_time: f64) -> Result<(), ClientError> {
        self.queue(&ClientMessage::Ping(Ping { client_time }))
    }

    /// Queues a close frame (code and reason); nothing can be sent after it.
    pub fn queue_close(&mut self, code: u16, reason: &str) {
        if self.closing {
            return;
        }
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason.as_bytes());
        self.queue_frame(OpCode::Control(Control::Close), &payload);
        self.closing = true;
    }

    /// Whether queued bytes wait to be written.
    pub fn wants_flush(&self) -> bool {
        self.wpos < self.wbuf.len() || self.io.tls_pending()
    }

    /// Writes what is queued, as far as the socket takes it now; `Ok(true)` when everything is written. The rest
    /// waits for the next call (when the socket reports writable).
    pub fn try_flush(&mut self) -> Result<bool, ClientError> {
        while self.wpos < self.wbuf.len() {
            match self.io.write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err(WsError::Io(io::ErrorKind::WriteZero.into()).into()),
                Ok(n) => self.wpos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(WsError::Io(e).into()),
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        match self.io.write_tls() {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(WsError::Io(e).into()),
        }
    }

    /// Writes everything queued, waiting through tokio when the socket is full. The socket must be attached.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        while !self.try_flush()? {
            match &self.io.sock {
                Sock::Tokio(s) => s.writable().await.map_err(WsError::Io)?,
                _ => return Err(WsError::Io(detached()).into()),
            }
        }
        Ok(())
    }

    /// Frames `payload` as one final frame of type `opcode`, masked with a fresh key, into the output buffer.
    fn queue_frame(&mut self, opcode: OpCode, payload: &[u8]) {
        let mask = self.next_mask();
        let header = FrameHeader {
            is_final: true,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: Some(mask),
        };
        if self.wpos == self.wbuf.len() {
            self.wbuf.clear();
            self.wpos = 0;
        }
        // Formatting into a Vec cannot fail.
        let _ = header.format(payload.len() as u64, &mut self.wbuf);
        let start = self.wbuf.len();
        self.wbuf.extend_from_slice(payload);
        for (i, b) in self.wbuf[start..].iter_mut().enumerate() {
            *b ^= mask[i & 3];
        }
    }

    /// A masking key from the connection's xorshift generator, seeded from the process's random hasher keys:
    /// unpredictable to the server, which is what RFC 6455 asks of a client's keys.
    fn next_mask(&mut self) -> [u8; 4] {
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.mask_state = x;
        ((x >> 16) as u32).to_ne_bytes()
    }
}

/// What a complete frame completed.
enum Whole {
    /// A binary message in `rbuf[start..start + len]`.
    Buffer { start: usize, len: usize },
    /// A binary message reassembled in `frag`.
    Fragments,
}

/// The longest frame header (a 64-bit length and a mask).
const MAX_FRAME_HEADER: usize = 14;

fn text_frame() -> ClientError {
    ClientError::Protocol("text frame from the server".into())
}

/// A rustls configuration trusting the webpki roots (what `tokio-tungstenite` uses for `wss://`).
fn webpki_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// The handshake's stream: reads from `inner` into its own buffer and hands tungstenite the bytes up to the end
/// of the HTTP response's header block (the first empty line) and no further, so that nothing the server sends
/// after the response is lost inside tungstenite's buffers.
#[derive(Debug)]
struct UntilHeaders<S> {
    inner: S,
    buf: Vec<u8>,
    handed: usize,
    /// Bytes past the header block were handed out (tungstenite asked for more after a complete response).
    overread: bool,
}

impl<S> UntilHeaders<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(512),
            handed: 0,
            overread: false,
        }
    }

    /// Where the header block ends in `buf` (after its empty line), if it is complete.
    fn header_end(&self) -> Option<usize> {
        // An empty line is "\r\n\r\n" or, as httparse also accepts, "\n\n".
        (1..self.buf.len()).find_map(|i| match &self.buf[..=i] {
            [.., b'\n', b'\n'] => Some(i + 1),
            [.., b'\n', b'\r', b'\n'] => Some(i + 1),
            _ => None,
        })
    }

    /// The stream and every byte read but not handed to tungstenite.
    fn into_parts(self) -> Result<(S, Vec<u8>), ClientError> {
        if self.overread {
            return Err(ClientError::Protocol(
                "the handshake read past the server's response".into(),
            ));
        }
        let mut buf = self.buf;
        buf.drain(..self.handed);
        Ok((self.inner, buf))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for UntilHeaders<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        loop {
            let end = this.header_end();
            let limit = match end {
                Some(end) if this.handed < end => end,
                Some(_) => {
                    this.overread = true;
                    this.buf.len()
                }
                None => this.buf.len(),
            };
            if this.handed < limit {
                let n = (limit - this.handed).min(out.remaining());
                out.put_slice(&this.buf[this.handed..this.handed + n]);
                this.handed += n;
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0u8; 1024];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) if rb.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => this.buf.extend_from_slice(rb.filled()),
                other => return other,
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for UntilHeaders<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
