//! Client → server messages.
//!
//! Each is a MessagePack array whose first element is the type number:
//!
//! | type | message | shape |
//! |---|---|---|
//! | 0 | [`Hello`] | `[0, version, name]` or `[0, version, name, resume]` |
//! | 1 | [`Input`] | `[1, seq, dx, dy, aim, buttons]` |
//! | 2 | [`Ping`]  | `[2, client_time]` |

use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A message from a client to the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// The first message on every connection.
    Hello(Hello),
    /// The player's intent for the coming tick.
    Input(Input),
    /// An application-level ping, answered by a pong (browsers cannot see WebSocket pings).
    Ping(Ping),
}

/// Joins the game. Must be the first message; the server answers with a welcome and a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Hello {
    /// The client's [`crate::PROTOCOL_VERSION`]; a mismatch closes the connection with code 4000.
    pub version: u32,
    /// The requested display name. The server trims and shortens it.
    pub name: String,
    /// The resume token of a previous connection, to get the same player back after a drop.
    pub resume: Option<ResumeToken>,
}

/// An unguessable token (128 random bits) that lets a client reclaim its player after a dropped connection.
pub type ResumeToken = [u8; 16];

/// The player's intent. Intents, never positions: the server decides what they do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    /// Client sequence number, strictly increasing per connection; echoed back as `ack` in deltas.
    pub seq: u32,
    /// Desired movement direction, x component in [-1, 1] (clamped by the server).
    pub dx: f32,
    /// Desired movement direction, y component in [-1, 1] (clamped by the server).
    pub dy: f32,
    /// Aim angle in radians.
    pub aim: f32,
    /// Held buttons, see [`crate::BUTTON_FIRE`].
    pub buttons: u8,
}

/// A round-trip probe. The server echoes `client_time` back in a pong.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ping {
    /// Any number the client chooses, typically its clock in milliseconds.
    pub client_time: f64,
}

const HELLO: u8 = 0;
const INPUT: u8 = 1;
const PING: u8 = 2;

impl Serialize for ClientMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ClientMessage::Hello(h) => {
                let mut t = serializer.serialize_tuple(3 + usize::from(h.resume.is_some()))?;
                t.serialize_element(&HELLO)?;
                t.serialize_element(&h.version)?;
                t.serialize_element(&h.name)?;
                if let Some(token) = &h.resume {
                    t.serialize_element(serde_bytes::Bytes::new(token))?;
                }
                t.end()
            }
            ClientMessage::Input(i) => {
                let mut t = serializer.serialize_tuple(6)?;
                t.serialize_element(&INPUT)?;
                t.serialize_element(&i.seq)?;
                t.serialize_element(&i.dx)?;
                t.serialize_element(&i.dy)?;
                t.serialize_element(&i.aim)?;
                t.serialize_element(&i.buttons)?;
                t.end()
            }
            ClientMessage::Ping(p) => {
                let mut t = serializer.serialize_tuple(2)?;
                t.serialize_element(&PING)?;
                t.serialize_element(&p.client_time)?;
                t.end()
            }
        }
    }
}

/// Reads the next element of a message array, naming the field when it is missing.
pub(crate) fn field<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    name: &str,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::custom(format_args!("message is missing `{name}`")))
}

/// Fails when a message array has elements beyond the ones its type defines.
pub(crate) fn end<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(), A::Error> {
    match seq.next_element::<de::IgnoredAny>()? {
        None => Ok(()),
        Some(_) => Err(de::Error::custom(
            "message has more elements than its type defines",
        )),
    }
}

impl<'de> Deserialize<'de> for ClientMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ClientMessage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a client message array [type, ...]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ClientMessage, A::Error> {
                let kind: u8 = field(&mut seq, "type")?;
                let msg = match kind {
                    HELLO => ClientMessage::Hello(Hello {
                        version: field(&mut seq, "version")?,
                        name: field(&mut seq, "name")?,
                        resume: match seq.next_element::<Option<TokenBytes>>()?.flatten() {
                            None => None,
                            Some(TokenBytes(bytes)) => {
                                Some(token(&bytes).map_err(de::Error::custom)?)
                            }
                        },
                    }),
                    INPUT => ClientMessage::Input(Input {
                        seq: field(&mut seq, "seq")?,
                        dx: field(&mut seq, "dx")?,
                        dy: field(&mut seq, "dy")?,
                        aim: field(&mut seq, "aim")?,
                        buttons: field(&mut seq, "buttons")?,
                    }),
                    PING => ClientMessage::Ping(Ping {
                        client_time: field(&mut seq, "client_time")?,
                    }),
                    other => {
                        return Err(de::Error::custom(format_args!(
                            "unknown client message type {other}"
                        )));
                    }
                };
                end(&mut seq)?;
                Ok(msg)
            }
        }
        deserializer.deserialize_seq(V)
    }
}

/// A resume token's bytes as the wire carries them: a MessagePack bin, never a str (PROTOCOL.md; a string of 16
/// characters is not a token, and is refused as the malformed message it is).
struct TokenBytes(Vec<u8>);

impl<'de> Deserialize<'de> for TokenBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TokenBytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a resume token: bin of 16 bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<TokenBytes, E> {
                Ok(TokenBytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<TokenBytes, E> {
                Ok(TokenBytes(v))
            }
        }
        deserializer.deserialize_bytes(V)
    }
}

/// A resume token from its bytes: exactly 16 of them.
pub(crate) fn token(bytes: &[u8]) -> Result<ResumeToken, String> {
    bytes
        .try_into()
        .map_err(|_| format!("a resume token is 16 bytes, not {}", bytes.len()))
}
