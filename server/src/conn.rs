//! One accepted connection on the main listener: plain TCP, or TLS over TCP when the server has a certificate.
//! Everything above (HTTP, WebSocket, admin) reads and writes a [`Conn`] and does not care which.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// A plain or TLS connection.
#[derive(Debug)]
pub enum Conn {
    /// `http://` and `ws://`.
    Plain(TcpStream),
    /// `https://` and `wss://`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    /// An accepted connection, after its TLS handshake when `tls` is given. The handshake has `timeout` (the same
    /// limit as the HTTP request head that follows, each of its own); `None` when it failed or took too long.
    pub(crate) async fn accept(
        stream: TcpStream,
        peer: std::net::SocketAddr,
        tls: Option<&tokio_rustls::TlsAcceptor>,
        timeout: std::time::Duration,
    ) -> Option<Conn> {
        let Some(acceptor) = tls else {
            return Some(Conn::Plain(stream));
        };
        // A TLS connection opens with a handshake record (0x16). Anything else is most likely plain HTTP typed
        // as `http://` (or `ws://`): say so in plain HTTP, as nginx does, rather than with a TLS alert that a
        // browser or curl shows as garbage.
        let mut first = [0u8; 1];
        match tokio::time::timeout(timeout, stream.peek(&mut first)).await {
            Ok(Ok(1)) if first[0] != 0x16 => {
                tracing::debug!(%peer, "plain HTTP on the TLS port");
                refuse_plain(stream).await;
                return None;
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => return None,
        }
        match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => Some(Conn::Tls(Box::new(tls))),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake not complete in time");
                None
            }
        }
    }

    /// True for a TLS connection.
    pub fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Answers a plain-text request on a TLS port with a plain 400 that says what to do, then closes. The request is
/// read (up to a few KiB) first: closing a socket with unread bytes resets it, and the client would never see the
/// answer.
async fn refuse_plain(mut stream: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        stream.read(&mut sink),
    )
    .await;
    let body = b"this port speaks TLS: use https:// (or wss:// for the WebSocket)\n";
    let mut answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    let _ = stream.write_all(&answer).await;
    let _ = stream.shutdown().await;
}
