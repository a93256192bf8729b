//! One authenticated connection to the server's admin WebSocket.

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use tickwire_shared::admin::{
    AdminRequest, AdminResponse, decode_admin_response, encode_admin_request,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
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
    /// Connects to `url` (e.g. `ws://127.0.0.1:8080/admin`) with `Authorization: Bearer TOKEN`.
    pub async fn connect(url: &str, token: &str) -> Result<AdminConnection, ConnectError> {
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
        match tokio_tungstenite::connect_async_with_config(request, None, true).await {
            Ok((ws, _)) => Ok(AdminConnection { ws, next_id: 1 }),
            Err(WsError::Http(response)) => {
                let body = response
                    .body()
                    .as_deref()
                    .map(|b| String::from_utf8_lossy(b).trim().to_string())
                    .unwrap_or_default();
                let status = response.status();
                let why = match status.as_u16() {
                    401 => "authentication failed: wrong admin token".to_string(),
                    403 => format!("refused: {body}"),
                    404 => {
                        "no admin endpoint at this URL (is it on a separate --admin-bind listener?)"
                            .to_string()
                    }
                    _ => format!("the server answered {status}: {body}"),
                };
                Err(ConnectError(anyhow!(why)))
            }
            Err(e) => Err(ConnectError(anyhow!("cannot connect to {url}: {e}"))),
        }
    }

    /// Runs one command line and returns the server's answer.
    pub async fn run(&mut self, line: &str) -> anyhow::Result<Answer> {
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
                Some(msg) => msg.context("reading the answer")?,
                None => bail!("the server closed the admin connection"),
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
                    let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                    bail!("the server closed the admin connection {why}");
                }
                _ => {}
            }
        }
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
