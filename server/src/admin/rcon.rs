//! The Source RCON protocol (TCP), so mcrcon, rcon-cli and web RCON panels can drive tickwire unchanged.
//!
//! A packet is `size: i32 LE` followed by `size` bytes: `id: i32 LE`, `type: i32 LE`, the body, and two NUL
//! bytes (the body's terminator and an empty string). Types: 3 = auth (body: the password, here the admin
//! token), 2 = exec command (from the client) and auth response (from the server, id -1 when refused),
//! 0 = response value. A command's output is sent as type-0 packets with the request's id, split so no body
//! exceeds [`MAX_BODY`] bytes. Clients that need to know where a split reply ends send an empty type-0 packet
//! after the command; the server echoes it (an empty type-0 with the same id), as Source servers do.
//!
//! Unlike Source (and like Minecraft), the auth answer is the type-2 packet alone, without a leading empty type-0
//! packet: every tool handles that form, and some (mcrcon) handle only it.

use super::{auth, execute};
use crate::hub::Hub;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{Instrument, debug, info, info_span, warn};

/// Packet type: authenticate with the password.
pub const SERVERDATA_AUTH: i32 = 3;
/// Packet type from the server: the auth answer.
pub const SERVERDATA_AUTH_RESPONSE: i32 = 2;
/// Packet type from the client: run a command.
pub const SERVERDATA_EXECCOMMAND: i32 = 2;
/// Packet type: command output (and the client's end-of-reply marker).
pub const SERVERDATA_RESPONSE_VALUE: i32 = 0;
/// Largest body in one response packet.
pub const MAX_BODY: usize = 4096;
/// Largest packet a client may send (`size` field): Source's 4096-byte limit plus the header.
const MAX_CLIENT_PACKET: i32 = 4096 + 10;
/// Failed logins allowed on one connection before it is closed.
const MAX_FAILURES: u32 = 3;

/// One RCON packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Chosen by the client, echoed in answers.
    pub id: i32,
    /// One of the `SERVERDATA_*` types.
    pub kind: i32,
    /// The payload (without the terminating NULs).
    pub body: Vec<u8>,
}

impl Packet {
    /// The packet's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let size = 10 + self.body.len();
        let mut out = Vec::with_capacity(4 + size);
        out.extend_from_slice(&(size as i32).to_le_bytes());
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.kind.to_le_bytes());
        out.extend_from_slice(&self.body);
        out.extend_from_slice(&[0, 0]);
        out
    }
}

/// Reads one packet; `None` when the peer closed or sent something that is not RCON.
async fn read_packet(stream: &mut TcpStream) -> Option<Packet> {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await.ok()?;
    let size = i32::from_le_bytes(size);
    if !(10..=MAX_CLIENT_PACKET).contains(&size) {
        debug!(size, "bad RCON packet size");
        return None;
    }
    let mut buf = vec![0u8; size as usize];
    stream.read_exact(&mut buf).await.ok()?;
    let id = i32::from_le_bytes(buf[0..4].try_into().ok()?);
    let kind = i32::from_le_bytes(buf[4..8].try_into().ok()?);
    let mut body = buf[8..].to_vec();
    // Drop the two terminating NULs (and tolerate clients that send only one).
    while body.last() == Some(&0) {
        body.pop();
    }
    Some(Packet { id, kind, body })
}

/// Splits `text` into bodies of at most [`MAX_BODY`] bytes, on character boundaries; at least one body.
pub fn split_body(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while rest.len() > MAX_BODY {
        let mut cut = MAX_BODY;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        parts.push(head);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// Accepts RCON connections until shutdown.
pub(crate) async fn listen(listener: TcpListener, hub: Arc<Hub>) {
    let mut shutdown = hub.shutdown.clone();
    loop {
        tokio::select! {
            _ = crate::hub::shutdown_signalled(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let span = info_span!("rcon", %peer);
                    tokio::spawn(connection(stream, peer, hub.clone()).instrument(span));
                }
                Err(e) => {
                    warn!(error = %e, "rcon accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn connection(mut stream: TcpStream, peer: SocketAddr, hub: Arc<Hub>) {
    let _ = stream.set_nodelay(true);
    let mut authed = false;
    let mut failures = 0;
    let origin = format!("rcon {peer}");
    while let Some(packet) = read_packet(&mut stream).await {
        let answers: Vec<Packet> = match packet.kind {
            SERVERDATA_AUTH => {
                let ok = hub
                    .admin
                    .token
                    .as_ref()
                    .is_some_and(|t| t.matches(&packet.body));
                if ok {
                    authed = true;
                    info!("rcon client authenticated");
                } else {
                    failures += 1;
                    auth::failed(&hub, peer, "rcon", "wrong password").await;
                }
                vec![Packet {
                    id: if ok { packet.id } else { -1 },
                    kind: SERVERDATA_AUTH_RESPONSE,
                    body: Vec::new(),
                }]
            }
            _ if !authed => {
                // Commands before a successful login: refused like a failed login, then closed.
                auth::failed(&hub, peer, "rcon", "command before auth").await;
                let refused = Packet {
                    id: -1,
                    kind: SERVERDATA_AUTH_RESPONSE,
                    body: Vec::new(),
                };
                let _ = stream.write_all(&refused.encode()).await;
                break;
            }
            SERVERDATA_EXECCOMMAND => {
                let line = String::from_utf8_lossy(&packet.body);
                let reply = execute(&hub, &origin, &line).await;
                let text = if reply.ok {
                    reply.text
                } else {
                    format!("error: {}", reply.text)
                };
                split_body(&text)
                    .into_iter()
                    .map(|part| Packet {
                        id: packet.id,
                        kind: SERVERDATA_RESPONSE_VALUE,
                        body: part.as_bytes().to_vec(),
                    })
                    .collect()
            }
            // The end-of-reply marker: echo it empty.
            SERVERDATA_RESPONSE_VALUE => vec![Packet {
                id: packet.id,
                kind: SERVERDATA_RESPONSE_VALUE,
                body: Vec::new(),
            }],
            other => {
                debug!(kind = other, "unknown RCON packet type; closing");
                break;
            }
        };
        let mut bytes = Vec::new();
        for answer in &answers {
            bytes.extend_from_slice(&answer.encode());
        }
        if stream.write_all(&bytes).await.is_err() || failures >= MAX_FAILURES {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_documented_layout() {
        let p = Packet {
            id: 7,
            kind: SERVERDATA_AUTH,
            body: b"pw".to_vec(),
        };
        assert_eq!(
            p.encode(),
            vec![12, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, b'p', b'w', 0, 0]
        );
    }

    #[test]
    fn splits_long_bodies_at_4096_bytes_on_char_boundaries() {
        assert_eq!(split_body(""), vec![""]);
        let long = "é".repeat(3000); // 6000 bytes
        let parts = split_body(&long);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.len() <= MAX_BODY));
        assert_eq!(parts.concat(), long);
        assert_eq!(split_body(&"a".repeat(8192)).len(), 2);
    }
}
