//! The HTTP side of the one listening port: reads a request head (bounded in size and time), then either
//! upgrades `GET /ws` to a WebSocket session, or answers plain HTTP (`/healthz`, `/status`, the browser client's
//! files).
//!
//! The upgrade is validated here per RFC 6455 §4.2.1 (method, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
//! `Sec-WebSocket-Version: 13`) and answered with `101 Switching Protocols`; the socket is then handed to
//! tokio-tungstenite with the server's limits, keeping any bytes the client sent after its request head.

use crate::config::Limits;
use crate::conn::Conn;
use crate::hub::Hub;
use crate::session;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tracing::{Instrument, debug, info_span};

/// Largest request head accepted, in bytes.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Most headers in a request head.
const MAX_HEADERS: usize = 32;

/// A parsed request head: what routing needs.
#[derive(Debug, Default)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) upgrade_websocket: bool,
    pub(crate) connection_upgrade: bool,
    pub(crate) ws_key: Option<String>,
    pub(crate) ws_version: Option<String>,
    /// The `Authorization` header, read only by the admin endpoint.
    pub(crate) authorization: Option<String>,
    /// The `Origin` header (browsers send it on WebSocket upgrades).
    pub(crate) origin: Option<String>,
    /// The `Host` header.
    pub(crate) host: Option<String>,
}

/// Serves one TCP connection: one HTTP request, or a WebSocket session.
pub async fn serve_connection(mut stream: Conn, peer: SocketAddr, hub: Arc<Hub>, limits: Limits) {
    let head = match tokio::time::timeout(limits.handshake_timeout, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge)) => {
            let _ = respond(
                &mut stream,
                431,
                "Request Header Fields Too Large",
                "text/plain",
                b"request head too large\n",
                &[],
            )
            .await;
            return;
        }
        Ok(Err(HeadError::Closed)) => return,
        Ok(Err(HeadError::NotHttp)) => return refuse_not_http(&mut stream, peer).await,
        Err(_) => {
            debug!(%peer, "request head not complete in time; closing");
            let _ = respond(
                &mut stream,
                408,
                "Request Timeout",
                "text/plain",
                b"request timeout\n",
                &[],
            )
            .await;
            return;
        }
    };
    let (head_len, request) = match parse_head(&head) {
        Some(parsed) => parsed,
        None => {
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
        }
    };
    let leftover = head[head_len..].to_vec();
    let head_only = request.method == "HEAD";
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", tickwire_shared::GAME_PATH) => {
            upgrade(stream, peer, request, leftover, hub, limits).await
        }
        ("GET", crate::echo::ECHO_PATH) if limits.conformance_echo => {
            crate::echo::serve(stream, request, leftover, limits).await
        }
        ("GET" | "HEAD", "/healthz") => healthz(&mut stream, head_only).await,
        ("GET" | "HEAD", crate::status::STATUS_PATH) => {
            crate::status::serve(&mut stream, head_only, &hub, &limits).await
        }
        // With a separate admin listener (`--admin-bind`) the metrics are served there only: off the public port.
        ("GET" | "HEAD", "/metrics") if hub.admin.admin_addr.is_none() => {
            crate::metrics::serve(&mut stream, head_only, &hub).await
        }
        ("GET", tickwire_shared::admin::ADMIN_PATH) if hub.admin.admin_addr.is_none() => {
            crate::admin::ws::serve(stream, peer, request, leftover, hub).await
        }
        ("GET" | "HEAD", path) => match crate::web::find(path) {
            Some((content_type, body)) => {
                let _ = answer(
                    &mut stream,
                    head_only,
                    200,
                    "OK",
                    content_type,
                    body,
                    &[("Cache-Control", "no-cache")],
                )
                .await;
            }
            None => {
                let _ = answer(
                    &mut stream,
                    head_only,
                    404,
                    "Not Found",
                    "text/plain",
                    b"not found\n",
                    &[],
                )
                .await;
            }
        },
        _ => {
            let _ = respond(
                &mut stream,
                405,
                "Method Not Allowed",
                "text/plain",
                b"method not allowed\n",
                &[("Allow", "GET, HEAD")],
            )
            .await;
        }
    }
}

/// Why an upgrade request is refused: the HTTP answer to send instead of 101.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: u16,
    reason: &'static str,
    body: &'static [u8],
    headers: &'static [(&'static str, &'static str)],
}

impl Refusal {
    /// Sends the refusal and closes.
    pub(crate) async fn send(self, stream: &mut Conn) {
        let _ = respond(
            stream,
            self.status,
            self.reason,
            "text/plain",
            self.body,
            self.headers,
        )
        .await;
    }
}

/// Checks an upgrade request per RFC 6455 §4.2.1 and the Origin policy; returns the client's key.
pub(crate) fn check_upgrade(req: &Request, limits: &Limits, tls: bool) -> Result<String, Refusal> {
    let key = check_ws_request(req)?;
    if !origin_allowed(req, &limits.allowed_origins, tls) {
        return Err(Refusal {
            status: 403,
            reason: "Forbidden",
            body: b"origin not allowed\n",
            headers: &[],
        });
    }
    Ok(key)
}

/// Checks that a request is a WebSocket upgrade per RFC 6455 §4.2.1 (426 when it is not one or asks for another
/// version, 400 for a bad key), whatever the endpoint; returns the client's key.
pub(crate) fn check_ws_request(req: &Request) -> Result<String, Refusal> {
    if !(req.upgrade_websocket && req.connection_upgrade) {
        return Err(Refusal {
            status: 426,
            reason: "Upgrade Required",
            body: b"this endpoint speaks WebSocket only\n",
            headers: &[("Upgrade", "websocket"), ("Connection", "Upgrade")],
        });
    }
    if req.ws_version.as_deref() != Some("13") {
        return Err(Refusal {
            status: 426,
            reason: "Upgrade Required",
            body: b"unsupported WebSocket version\n",
            headers: &[("Sec-WebSocket-Version", "13")],
        });
    }
    let Some(key) = req.ws_key.as_deref().filter(|k| valid_ws_key(k)) else {
        return Err(Refusal {
            status: 400,
            reason: "Bad Request",
            body: b"missing or invalid Sec-WebSocket-Key\n",
            headers: &[],
        });
    };
    Ok(key.to_string())
}

/// The Origin policy (CSWSH defence): a request without `Origin` (bots, native clients) is allowed; a browser's
/// `Origin` must be the server's own (`http(s)://` + the `Host` it asked for) or one of `allowed` exactly
/// (`*` allows any).
pub(crate) fn origin_allowed(req: &Request, allowed: &[String], tls: bool) -> bool {
    let Some(origin) = req.origin.as_deref() else {
        return true;
    };
    if allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let scheme = if tls { "https" } else { "http" };
    req.host
        .as_deref()
        .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
}

/// Answers `101 Switching Protocols` and wraps the connection with the server's WebSocket limits, keeping any
/// bytes the client sent after its request head.
pub(crate) async fn accept_ws(
    mut stream: Conn,
    key: &str,
    leftover: Vec<u8>,
    limits: &Limits,
) -> Option<(
    crate::session::Ws,
    Arc<crate::outbox::Outbox>,
    Arc<crate::inlet::Inlet>,
)> {
    let accept = derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(response.as_bytes()).await.ok()?;
    let up = crate::outbox::WsIo::upgrade(stream, leftover, limits.outbound_bytes, limits);
    let ws = WebSocketStream::from_partially_read(
        up.io,
        up.leftover,
        Role::Server,
        Some(ws_config(limits)),
    )
    .await;
    Some((ws, up.outbox, up.inlet))
}

/// Answers `GET /healthz` (no body for `HEAD`): `200 ok` while the process serves, on either listener.
pub(crate) async fn healthz(stream: &mut Conn, head_only: bool) {
    let _ = answer(stream, head_only, 200, "OK", "text/plain", b"ok\n", &[]).await;
}

/// How often, at most, the log says the server is full while it keeps refusing players.
pub(crate) const FULL_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Counts a refusal for a full server, and says so in the log: at the first, then at most every
/// [`FULL_LOG_EVERY`] with how many were refused meanwhile (a flood of refused players must not flood the log).
fn log_full(hub: &Hub, max_clients: usize) {
    let refused = hub.counters.refused_full.fetch_add(1, Ordering::Relaxed) + 1;
    let now_ms = hub.started_at.elapsed().as_millis() as u64 + 1;
    let last = hub.counters.full_logged_at_ms.load(Ordering::Relaxed);
    let every = FULL_LOG_EVERY.as_millis() as u64;
    if (last == 0 || now_ms.saturating_sub(last) >= every)
        && hub
            .counters
            .full_logged_at_ms
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::warn!(
            max_clients,
            refused_total = refused,
            "server full: refusing new players with HTTP 503 (raise --max-clients to admit more)"
        );
    }
}

async fn upgrade(
    mut stream: Conn,
    peer: SocketAddr,
    req: Request,
    leftover: Vec<u8>,
    hub: Arc<Hub>,
    limits: Limits,
) {
    let key = match check_upgrade(&req, &limits, stream.is_tls()) {
        Ok(key) => key,
        Err(refusal) => {
            if refusal.status == 403 {
                hub.counters.refused_origin.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%peer, origin = req.origin.as_deref().unwrap_or(""), "upgrade refused: origin not allowed");
            }
            return refusal.send(&mut stream).await;
        }
    };
    if hub.shutting_down() {
        let _ = respond(
            &mut stream,
            503,
            "Service Unavailable",
            "text/plain",
            b"server shutting down\n",
            &[],
        )
        .await;
        return;
    }
    // Count the connection before answering, so concurrent upgrades cannot overshoot the limit. (`/status` tells
    // a browser, which cannot see this answer, that the server is full: see crate::status.)
    if hub.open.fetch_add(1, Ordering::AcqRel) >= limits.max_clients {
        hub.open.fetch_sub(1, Ordering::AcqRel);
        log_full(&hub, limits.max_clients);
        let retry_after = crate::status::FULL_RETRY_AFTER_S.to_string();
        let _ = respond(
            &mut stream,
            503,
            "Service Unavailable",
            "text/plain",
            b"server full, try again later\n",
            &[("Retry-After", retry_after.as_str())],
        )
        .await;
        return;
    }
    let Some((ws, outbox, inlet)) = accept_ws(stream, &key, leftover, &limits).await else {
        hub.open.fetch_sub(1, Ordering::AcqRel);
        return;
    };
    let key = hub.next_key();
    hub.counters.connections.fetch_add(1, Ordering::Relaxed);
    let span = info_span!(
        "session",
        %peer,
        client = key,
        player = tracing::field::Empty,
        name = tracing::field::Empty
    );
    // The session is a task of its own (it gives the connection's place back when it ends): the handshake's
    // state (the request, this function's locals, the connection task around it) is freed now instead of being
    // held for the session's whole life, about 2 KB per connection.
    tokio::spawn(session::run(ws, outbox, inlet, key, peer, hub, limits).instrument(span));
}

/// tungstenite's limits for game sessions: small buffers, small messages (its defaults are 64 MiB messages and a
/// 128 KiB read buffer per connection). The inlet in front of tungstenite ([`crate::outbox::WsIo`]) hands it one
/// frame at a time, and client messages are tens of bytes, so 256 bytes hold any usual one; a larger message (up
/// to the limit) grows the buffer for that message.
pub fn ws_config(limits: &Limits) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(256)
        .write_buffer_size(0)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes))
}

#[derive(Debug)]
pub(crate) enum HeadError {
    TooLarge,
    Closed,
    /// The bytes so far cannot begin an HTTP request (a TLS handshake on the plain port, say).
    NotHttp,
}

/// Answers bytes that cannot start an HTTP request (a TLS handshake on a plain port, say) with 400, at once.
pub(crate) async fn refuse_not_http(stream: &mut Conn, peer: SocketAddr) {
    debug!(%peer, "not an HTTP request (TLS on the plain port?); closing");
    let _ = respond(
        stream,
        400,
        "Bad Request",
        "text/plain",
        b"not an HTTP request (if this is TLS: this port serves plain HTTP, ws://)\n",
        &[],
    )
    .await;
}

/// Reads until the end of the request head (`\r\n\r\n`); returns everything read, which may include more.
pub(crate) async fn read_head(stream: &mut Conn) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        let scan_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if buf[scan_from..].windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(buf);
        }
        // Answer at once rather than at the handshake timeout: a `wss://` client on the plain port learns in
        // milliseconds that it is talking to something else.
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        if httparse::Request::new(&mut headers).parse(&buf).is_err() {
            return Err(HeadError::NotHttp);
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Parses a request head; returns its length and the fields routing needs.
pub(crate) fn parse_head(buf: &[u8]) -> Option<(usize, Request)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        _ => return None,
    };
    let mut out = Request {
        method: req.method?.to_string(),
        path: req.path?.split('?').next().unwrap_or("/").to_string(),
        ..Default::default()
    };
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        let has_token = |token: &str| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if h.name.eq_ignore_ascii_case("upgrade") {
            out.upgrade_websocket = has_token("websocket");
        } else if h.name.eq_ignore_ascii_case("connection") {
            out.connection_upgrade = has_token("upgrade");
        } else if h.name.eq_ignore_ascii_case("sec-websocket-key") {
            out.ws_key = Some(value.to_string());
        } else if h.name.eq_ignore_ascii_case("sec-websocket-version") {
            out.ws_version = Some(value.to_string());
        } else if h.name.eq_ignore_ascii_case("authorization") {
            out.authorization = Some(value.to_string());
        } else if h.name.eq_ignore_ascii_case("origin") {
            out.origin = Some(value.to_string());
        } else if h.name.eq_ignore_ascii_case("host") {
            out.host = Some(value.to_string());
        }
    }
    Some((len, out))
}

/// A key is the base64 encoding of 16 bytes: 24 characters ending in `==`.
pub(crate) fn valid_ws_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Answers the request with `status` and `body`, then closes the connection.
pub(crate) async fn respond(
    stream: &mut Conn,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
    extra: &[(&str, &str)],
) -> std::io::Result<()> {
    answer(stream, false, status, reason, content_type, body, extra).await
}

/// [`respond`], for a `HEAD` request when `head_only`: the same head, `Content-Length` the length of the body a
/// `GET` would get, and no body (RFC 9110 §9.3.2).
pub(crate) async fn answer(
    stream: &mut (impl tokio::io::AsyncWrite + Unpin),
    head_only: bool,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
    extra: &[(&str, &str)],
) -> std::io::Result<()> {
    // The connection closes after every answer: one `Connection` header says so, with any option the caller adds
    // (a 426 lists `Upgrade` there too).
    let connection = extra
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Connection"))
        .map_or_else(|| "close".to_string(), |(_, v)| format!("{v}, close"));
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n",
        body.len()
    );
    for (name, value) in extra {
        if !name.eq_ignore_ascii_case("Connection") {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    // One write for the head and the body: a client that reads the head may stop reading there (a WebSocket
    // client refused with 403 reports the body it has, which was empty when the body came in a second segment).
    let mut response = head.into_bytes();
    if !head_only {
        response.extend_from_slice(body);
    }
    stream.write_all(&response).await?;
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_upgrade_request() {
        let raw = b"GET /ws?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nEXTRA";
        let (len, req) = parse_head(raw).expect("complete head");
        assert_eq!(&raw[len..], b"EXTRA");
        assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", "/ws"));
        assert!(req.upgrade_websocket && req.connection_upgrade);
        assert!(valid_ws_key(req.ws_key.as_deref().unwrap_or("")));
        assert_eq!(req.ws_version.as_deref(), Some("13"));
    }

    /// Records every write it is given.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl tokio::io::AsyncWrite for Writes {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            self.0.push(buf.to_vec());
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_response_goes_out_in_one_write() {
        // A WebSocket client refused with 403 reports the body it read with the head: sent apart, the console
        // printed "refused: " with nothing after it most of the time.
        let mut w = Writes::default();
        answer(
            &mut w,
            false,
            403,
            "Forbidden",
            "text/plain",
            b"why\n",
            &[("Retry-After", "5")],
        )
        .await
        .expect("written");
        assert_eq!(w.0.len(), 1, "one write: {:?}", w.0);
        let text = String::from_utf8_lossy(&w.0[0]).into_owned();
        assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{text}");
        assert!(
            text.contains("Content-Length: 4\r\n") && text.contains("Retry-After: 5\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\r\n\r\nwhy\n"), "{text}");

        let mut w = Writes::default();
        answer(&mut w, true, 200, "OK", "text/plain", b"body", &[])
            .await
            .expect("written");
        let text = String::from_utf8_lossy(&w.0.concat()).into_owned();
        assert!(
            text.contains("Content-Length: 4\r\n") && text.ends_with("\r\n\r\n"),
            "HEAD: {text}"
        );
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(!valid_ws_key("short=="));
        assert!(!valid_ws_key("dGhlIHNhbXBsZSBub25jZQ!!"));
        assert!(valid_ws_key("dGhlIHNhbXBsZSBub25jZQ=="));
    }
}
