//! A lean, poll-driven client connection for programs that run thousands of clients on one core (the load-test
//! bots).
//!
//! [`LeanClient`] is the same client on the wire as [`crate::Client`]: the handshake is tungstenite's (request,
//! key, `Sec-WebSocket-Accept` check), every message is a masked binary frame, and the server's pings are answered
//! with pongs. What it leaves out is the per-message work a load generator cannot afford thousands of times per
//! tick:
//!
//! - **reads** go into one buffer per connection that is allocated and zeroed once and then reused (tungstenite
//!   zero-fills its free read buffer before every read and allocates a payload per message); a received message is
//!   handed out as a slice of that buffer ([`LeanClient::poll_recv`]), valid until the next call;
//! - **writes** are framed (tungstenite's [`FrameHeader`] formats the header) and masked into one reused output
//!   buffer and written with a single `write()`, without a `Sink` flushing before and after every message;
//! - it is **poll-driven** (`poll_recv`, `poll_flush` with any [`Context`]), so one task can drive many connections,
//!   each with its own waker, instead of one task (and one timer) per connection.
//!
//! The frame headers are parsed and written by tungstenite's [`FrameHeader`]; this module adds the buffering, the
//! RFC 6455 checks a client makes on server frames (no mask, no reserved bits, control frames short and final, no
//! unexpected continuation), fragment reassembly, and the masking of outgoing payloads. Errors are tungstenite's
//! error values ([`WsError`]) where tungstenite has one, so they read the same as [`crate::Client`]'s.

use crate::{ClientError, WsError};
use std::future::poll_fn;
use std::hash::{BuildHasher, Hasher};
use std::io::Cursor;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tickwire_shared::{ClientMessage, Input, Ping, encode_client_into};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError, UrlError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// The read buffer a connection starts with, and shrinks back to with [`LeanClient::shrink_read_buffer`]. It
/// grows to hold the largest frame received.
pub const READ_BUFFER: usize = 8 * 1024;
/// The largest message accepted (as `tickwire-client`'s default configuration).
pub const MAX_MESSAGE: usize = 64 << 20;

/// The connection's stream: plain TCP, or TLS over TCP for `wss://`.
type Io = MaybeTlsStream<TcpStream>;

/// A connected client without a per-message allocation: see the [module documentation](self).
#[derive(Debug)]
pub struct LeanClient {
    io: Io,
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
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(WsError::Io)?;
        let io = if secure {
            let config = tls.unwrap_or_else(webpki_config);
            let name = rustls::pki_types::ServerName::try_from(host).map_err(|_| {
                WsError::Tls(tokio_tungstenite::tungstenite::error::TlsError::InvalidDnsName)
            })?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(WsError::Io)?;
            MaybeTlsStream::Rustls(stream)
        } else {
            MaybeTlsStream::Plain(tcp)
        };
        // tungstenite does the handshake over a stream that never hands it a byte past the response's header
        // block: whatever the server sent after it stays in `UntilHeaders` and becomes the start of our buffer.
        let config = WebSocketConfig::default().read_buffer_size(256);
        let (ws, _response) = tokio_tungstenite::client_async_with_config(
            request,
            UntilHeaders::new(io),
            Some(config),
        )
        .await?;
        let (io, leftover) = ws.into_inner().into_parts()?;
        Ok(LeanClient::over(io, leftover))
    }

    fn over(io: Io, leftover: Vec<u8>) -> LeanClient {
        let mut rbuf = leftover;
        let rend = rbuf.len();
        rbuf.resize(READ_BUFFER.max(rend.next_power_of_two()), 0);
        LeanClient {
            io,
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

    /// The next binary message from the server, as a slice valid until the next call. Answers pings on the way.
    /// A close frame is `Err(Closed)`, the end of the stream without one `Err(Ws(..))`, a text message
    /// `Err(Protocol)` (the connection stays usable after that one), as [`crate::Client::recv_frame`] reports
    /// them. `Pending` registers `cx` for more bytes.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<&[u8], ClientError>> {
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
                    match self.on_frame(cx, header, start, len)? {
                        Some(Whole::Buffer { start, len }) => {
                            self.bytes_received += len as u64;
                            return Poll::Ready(Ok(&self.rbuf[start..start + len]));
                        }
                        Some(Whole::Fragments) => {
                            self.bytes_received += self.frag.len() as u64;
                            self.frag_done = true;
                            return Poll::Ready(Ok(&self.frag));
                        }
                        None => continue,
                    }
                }
                self.make_room(need);
            } else {
                self.make_room(MAX_FRAME_HEADER);
            }
            let mut buf = ReadBuf::new(&mut self.rbuf[self.rend..]);
            match Pin::new(&mut self.io).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => {
                    let n = buf.filled().len();
                    if n == 0 {
                        return Poll::Ready(Err(WsError::Protocol(
                            ProtocolError::ResetWithoutClosingHandshake,
                        )
                        .into()));
                    }
                    self.rend += n;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(WsError::Io(e).into())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Receives the next binary message as an owned copy (for the join phase and tests; loops use `poll_recv`).
    pub async fn recv(&mut self) -> Result<Vec<u8>, ClientError> {
        poll_fn(|cx| self.poll_recv(cx).map(|r| r.map(<[u8]>::to_vec))).await
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
        cx: &mut Context<'_>,
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
                            if let Poll::Ready(Err(e)) = self.poll_flush(cx) {
                                return Err(e);
                            }
                        }
                        Ok(None)
                    }
                    Control::Pong => Ok(None),
                    Control::Close => Err(self.on_close(cx, payload)),
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
    fn on_close(&mut self, cx: &mut Context<'_>, payload: std::ops::Range<usize>) -> ClientError {
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
            let _ = self.poll_flush(cx);
        }
        ClientError::Closed { code, reason }
    }

    /// Queues one message (a masked binary frame); write it with [`LeanClient::poll_flush`].
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
        self.wpos < self.wbuf.len()
    }

    /// Writes the queued bytes. `Pending` registers `cx` for when the socket can take more.
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        while self.wpos < self.wbuf.len() {
            match Pin::new(&mut self.io).poll_write(cx, &self.wbuf[self.wpos..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(
                        WsError::Io(std::io::ErrorKind::WriteZero.into()).into()
                    ));
                }
                Poll::Ready(Ok(n)) => self.wpos += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(WsError::Io(e).into())),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        // A no-op for TCP; TLS writes its records here.
        Pin::new(&mut self.io)
            .poll_flush(cx)
            .map_err(|e| WsError::Io(e).into())
    }

    /// Writes the queued bytes.
    pub async fn flush(&mut self) -> Result<(), ClientError> {
        poll_fn(|cx| self.poll_flush(cx)).await
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
