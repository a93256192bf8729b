//! One authenticated connection to the server's admin WebSocket.

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tickwire_client::tls::{TlsClientConfig, Trust};
use tickwire_shared::admin::{
    AdminRequest, AdminResponse, decode_admin_response, encode_admin_request,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Why the console could not get a session (exit status 2), as opposed to a command that failed (status 1).
#[derive(Debug)]
pub struct ConnectError(pub anyhow::Error);

/// An open admin session.
#[derive(Debug)]
pub struct AdminConnection {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u32,
    /// Longest wait for an answer.
    timeout: Duration,
    /// What to say when the server closes the connection on a URL that is not the admin endpoint.
    hint: &'static str,
}

/// The hint for a URL whose path is not `/admin`.
fn path_hint(url: &str) -> &'static str {
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or("");
    if path.trim_end_matches('/').ends_with("/admin") {
        ""
    } else {
        " (is --url the admin endpoint? It ends in /admin, e.g. ws://127.0.0.1:8080/admin)"
    }
}

/// A command's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// False when the server refused or failed the command.
    pub ok: bool,
    /// What the server said.
    pub text: String,
}

impl AdminConnection {
    /// Connects to `url` (e.g. `ws://127.0.0.1:8080/admin`) with `Authorization: Bearer TOKEN`, giving up after
    /// `timeout` (which also bounds the wait for every answer).
    pub async fn connect(
        url: &str,
        token: &str,
        timeout: Duration,
        tls: Option<TlsClientConfig>,
    ) -> Result<AdminConnection, ConnectError> {
        match tokio::time::timeout(timeout, Self::open(url, token, timeout, tls)).await {
            Ok(result) => result,
            Err(_) => Err(ConnectError(anyhow!(
                "no answer from {url} within {timeout:?}: is the server running (and not stopped or overloaded)?"
            ))),
        }
    }

    async fn open(
        url: &str,
        token: &str,
        timeout: Duration,
        tls: Option<TlsClientConfig>,
    ) -> Result<AdminConnection, ConnectError> {
        let mut request = url
            .into_client_request()
            .with_context(|| format!("invalid admin URL `{url}`"))
            .map_err(ConnectError)?;
        let header = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ConnectError(anyhow!(
                "the token contains characters a header cannot carry"
            ))
        })?;
        request.headers_mut().insert("Authorization", header);
        // `true`: TCP_NODELAY, so a command goes out at once even while an earlier reply is unacknowledged.
        // `None` for `tls`: the public roots (tokio-tungstenite's default for wss://).
        let trust = if tls.is_some() {
            Trust::CaFile
        } else {
            Trust::PublicRoots
        };
        let connector = tls.map(tokio_tungstenite::Connector::Rustls);
        match tokio_tungstenite::connect_async_tls_with_config(request, None, true, connector).await
        {
            Ok((ws, _)) => Ok(AdminConnection {
                ws,
                next_id: 1,
                timeout,
                hint: path_hint(url),
            }),
            Err(WsError::Http(response)) => {
                let body = response
                    .body()
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).trim().to_string())
                    .unwrap_or_default();
                let status = response.status();
                let why = match status.as_u16() {
                    401 => "authentication failed: wrong admin token".to_string(),
                    403 if body.is_empty() => {
                        "refused (403 Forbidden): is remote admin enabled on this server (--admin-token)?"
                            .to_string()
                    }
                    403 => format!("refused: {body}"),
                    404 if !path_hint(url).is_empty() => {
                        format!("no admin endpoint at this URL{}", path_hint(url))
                    }
                    404 => {
                        "no admin endpoint at this URL (is it on a separate --admin-bind listener?)"
                            .to_string()
                    }
                    _ if body.starts_with('<') || status.is_success() => format!(
                        "the server answered {status} with a web page: {url} is not a WebSocket endpoint{}",
                        path_hint(url)
                    ),
                    _ => format!("the server answered {status}: {body}"),
                };
                Err(ConnectError(anyhow!(why)))
            }
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                Err(ConnectError(anyhow!(
                    "cannot connect to {url}: connection refused (is the server running, and is --url its \
                     address?)"
                )))
            }
            // rustls's refusal comes through the TLS stream's I/O error: explained; other I/O errors as they are.
            Err(WsError::Io(e)) => {
                let why = tickwire_client::tls::explain_refusal(&e, trust)
                    .unwrap_or_else(|| WsError::Io(e).to_string());
                Err(ConnectError(anyhow!("cannot connect to {url}: {why}")))
            }
            Err(e @ WsError::Protocol(_)) if e.to_string().contains("httparse") => {
                Err(ConnectError(anyhow!(
                    "cannot connect to {url}: {e} (the server's answer is not HTTP: if it serves TLS, use a wss:// URL)"
                )))
            }
            Err(e) => Err(ConnectError(anyhow!("cannot connect to {url}: {e}"))),
        }
    }

    /// Runs one command line and returns the server's answer (an error when none comes within the timeout).
    pub async fn run(&mut self, line: &str) -> anyhow::Result<Answer> {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.exchange(line)).await {
            Ok(answer) => answer,
            Err(_) => {
                bail!("no answer within {timeout:?}: the server may be stopped or overloaded")
            }
        }
    }

    async fn exchange(&mut self, line: &str) -> anyhow::Result<Answer> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let request = AdminRequest::Command {
            id,
            line: line.to_string(),
        };
        self.ws
            .send(Message::Binary(encode_admin_request(&request)))
            .await
            .context("sending the command")?;
        loop {
            let msg = match self.ws.next().await {
                Some(Ok(msg)) => msg,
                Some(Err(
                    WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)
                    | WsError::ConnectionClosed
                    | WsError::AlreadyClosed,
                ))
                | None => {
                    bail!(
                        "the server closed the admin connection without a word (did it shut down?)"
                    )
                }
                Some(Err(e)) => return Err(e).context("reading the answer"),
            };
            match msg {
                Message::Binary(bytes) => {
                    let AdminResponse::Reply { id: got, ok, text } =
                        decode_admin_response(&bytes).context("undecodable answer")?;
                    if got == id {
                        return Ok(Answer { ok, text });
                    }
                }
                Message::Close(frame) => {
                    let why = frame
                        .map(|f| format!(" ({}: {})", u16::from(f.code), f.reason))
                        .unwrap_or_default();
                    bail!("the server closed the admin connection{why}{}", self.hint);
                }
                _ => {}
            }
        }
    }

    /// Whether the server ended the session while the console waited for the operator (it shut down, restarted or
    /// dropped the connection): `Some` with what it said (`" (1001: server shutting down)"`, or nothing), `None`
    /// while the session is open. Reads what waits on the socket without waiting for more; late answers and pings
    /// are skipped. Call it inside the runtime, after the reactor had a chance to see the socket.
    pub async fn ended(&mut self) -> Option<String> {
        use futures_util::FutureExt;
        loop {
            match self.ws.next().now_or_never() {
                None => return None,
                Some(Some(Ok(Message::Close(frame)))) => {
                    return Some(
                        frame
                            .map(|f| format!(" ({}: {})", u16::from(f.code), f.reason))
                            .unwrap_or_default(),
                    );
                }
                Some(Some(Ok(_))) => {}
                Some(Some(Err(_)) | None) => return Some(String::new()),
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
