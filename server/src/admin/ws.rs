//! The admin WebSocket: `GET /admin` with `Authorization: Bearer TOKEN`, on the main listener or on the
//! separate `--admin-bind` listener.
//!
//! The token travels in the upgrade request, not in a message: a wrong or missing token is answered with HTTP 401
//! (after the failure delay) and no WebSocket ever exists for an unauthenticated peer, so there is no
//! half-authenticated session state to get wrong. Without a configured token the endpoint answers 403 and says
//! how to enable it. Once open, each binary frame is an [`AdminRequest`] answered by an [`AdminResponse`]
//! (MessagePack, like the game); as a convenience for tools like `websocat`, a text frame is a command line
//! answered with a text frame.

use super::{auth, execute};
use crate::config::Limits;
use crate::conn::Conn;
use crate::http::{
    HeadError, Request, check_ws_request, healthz, parse_head, read_head, refuse_not_http, respond,
};
use crate::hub::Hub;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use tickwire_shared::admin::{
    ADMIN_PATH, AdminRequest, AdminResponse, decode_admin_request, encode_admin_response,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tracing::{Instrument, debug, info, info_span, warn};

/// Largest admin message (a command line), in bytes.
const MAX_ADMIN_MESSAGE: usize = 16 * 1024;

/// Serves `GET /admin`: checks the token, upgrades, runs commands until the console disconnects.
pub(crate) async fn serve(
    mut stream: Conn,
    peer: SocketAddr,
    req: Request,
    leftover: Vec<u8>,
    hub: Arc<Hub>,
) {
    let Some(token) = hub.admin.token.clone() else {
        let _ = respond(
            &mut stream,
            403,
            "Forbidden",
            "text/plain",
            b"remote admin is disabled: start the server with --admin-token, TICKWIRE_ADMIN_TOKEN or admin_token in the config file\n",
            &[],
        )
        .await;
        return;
    };
    // The same answers as the game path's for a request that is not a WebSocket upgrade (426, 400); no Origin
    // check: the token, in a header a browser page cannot set, is what admits a console.
    let key = match check_ws_request(&req) {
        Ok(key) => key,
        Err(refusal) => return refusal.send(&mut stream).await,
    };
    let presented = req.authorization.as_deref().and_then(auth::bearer);
    if !presented.is_some_and(|t| token.matches(t.as_bytes())) {
        let why = if presented.is_some() {
            "wrong token"
        } else {
            "no bearer token"
        };
        auth::failed(&hub, peer, "websocket", why).await;
        let _ = respond(
            &mut stream,
            401,
            "Unauthorized",
            "text/plain",
            b"invalid admin token\n",
            &[("WWW-Authenticate", "Bearer realm=\"tickwire admin\"")],
        )
        .await;
        return;
    }
    let accept = derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if stream.write_all(response.as_bytes()).await.is_err() {
        return;
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(MAX_ADMIN_MESSAGE))
        .max_frame_size(Some(MAX_ADMIN_MESSAGE));
    let ws =
        WebSocketStream::from_partially_read(stream, leftover, Role::Server, Some(config)).await;
    let span = info_span!("admin", %peer);
    session(ws, peer, hub).instrument(span).await;
}

async fn session(mut ws: WebSocketStream<Conn>, peer: SocketAddr, hub: Arc<Hub>) {
    info!("admin console connected");
    let origin = format!("admin websocket {peer}");
    let mut shutdown = hub.shutdown.clone();
    loop {
        let msg = tokio::select! {
            // A server shutting down says so (1001), as it does to players, instead of resetting the connection.
            _ = crate::hub::shutdown_signalled(&mut shutdown) => {
                let frame = CloseFrame {
                    code: CloseCode::Away,
                    reason: "server shutting down".into(),
                };
                let _ = ws.close(Some(frame)).await;
                info!("admin console disconnected (shutdown)");
                return;
            }
            msg = ws.next() => match msg {
                Some(Ok(msg)) => msg,
                _ => break,
            },
        };
        let answer = match msg {
            Message::Binary(bytes) => match decode_admin_request(&bytes) {
                Ok(AdminRequest::Command { id, line }) => {
                    let reply = execute(&hub, &origin, &line).await;
                    Message::Binary(encode_admin_response(&AdminResponse::Reply {
                        id,
                        ok: reply.ok,
                        text: reply.text,
                    }))
                }
                Err(e) => {
                    debug!(error = %e, "undecodable admin request");
                    break;
                }
            },
            Message::Text(line) => {
                let reply = execute(&hub, &origin, line.as_str()).await;
                let text = if reply.ok {
                    reply.text
                } else {
                    format!("error: {}", reply.text)
                };
                Message::Text(text.into())
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        if ws.send(answer).await.is_err() {
            break;
        }
    }
    let _ = ws.close(None).await;
    info!("admin console disconnected");
}

/// The separate admin listener (`--admin-bind`): serves `/admin`, `/metrics` and `/healthz`, nothing of the game.
pub(crate) async fn listen(
    listener: TcpListener,
    hub: Arc<Hub>,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut shutdown = hub.shutdown.clone();
    loop {
        tokio::select! {
            _ = crate::hub::shutdown_signalled(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(admin_connection(
                        stream,
                        peer,
                        hub.clone(),
                        limits.clone(),
                        tls.clone(),
                    ));
                }
                Err(e) => {
                    warn!(error = %e, "admin accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn admin_connection(
    stream: TcpStream,
    peer: SocketAddr,
    hub: Arc<Hub>,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let _ = stream.set_nodelay(true);
    let Some(mut stream) = Conn::accept(stream, peer, tls.as_ref(), limits.handshake_timeout).await
    else {
        return;
    };
    let head = match tokio::time::timeout(limits.handshake_timeout, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::NotHttp)) => return refuse_not_http(&mut stream, peer).await,
        Ok(Err(HeadError::TooLarge | HeadError::Closed)) | Err(_) => return,
    };
    let Some((head_len, request)) = parse_head(&head) else {
        let _ = respond(
            &mut stream,
            400,
            "Bad Request",
            "text/plain",
            b"malformed request\n",
            &[],
        )
        .await;
        return;
    };
    let leftover = head[head_len..].to_vec();
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", ADMIN_PATH) => serve(stream, peer, request, leftover, hub).await,
        ("GET" | "HEAD", "/metrics") => {
            crate::metrics::serve(&mut stream, request.method == "HEAD", &hub).await
        }
        ("GET" | "HEAD", "/healthz") => healthz(&mut stream, request.method == "HEAD").await,
        _ => {
            let _ = respond(
                &mut stream,
                404,
                "Not Found",
                "text/plain",
                b"not found\n",
                &[],
            )
            .await;
        }
    }
}
