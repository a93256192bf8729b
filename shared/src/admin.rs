//! Admin messages: the operator console's family, spoken only on the admin WebSocket (`/admin`).
//!
//! The game endpoint never decodes these: its decoder knows only [`crate::ClientMessage`], and the admin types
//! are numbered from 64 so that an admin frame sent to `/ws` is an unknown type there (close 1007) and a game
//! frame sent to `/admin` is an unknown type here. Authentication happens before the WebSocket exists (an
//! `Authorization: Bearer TOKEN` header on the upgrade), so no message carries the token.
//!
//! | type | message | shape |
//! |---|---|---|
//! | 64 | [`AdminRequest::Command`] | `[64, id, line]` |
//! | 65 | [`AdminResponse::Reply`]  | `[65, id, ok, text]` |
//!
//! A command line is the same text an operator types at the local console (`status`, `kick 3 spamming`); the
//! server parses it, so every front-end (local console, remote console, RCON) behaves identically.

use crate::client::{end, field};
use crate::codec::{DecodeError, decode, encode};
use bytes::Bytes;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The HTTP path of the admin WebSocket.
pub const ADMIN_PATH: &str = "/admin";

const COMMAND: u8 = 64;
const REPLY: u8 = 65;

/// From the operator's console to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRequest {
    /// Run one command line.
    Command {
        /// Chosen by the console, echoed in the reply.
        id: u32,
        /// The command text, e.g. `kick ann cheating`.
        line: String,
    },
}

/// From the server to the operator's console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminResponse {
    /// The outcome of one command.
    Reply {
        /// The request's id.
        id: u32,
        /// False when the command failed or was refused; `text` says why.
        ok: bool,
        /// Human-readable output, possibly several lines.
        text: String,
    },
}

impl Serialize for AdminRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let AdminRequest::Command { id, line } = self;
        let mut t = serializer.serialize_tuple(3)?;
        t.serialize_element(&COMMAND)?;
        t.serialize_element(id)?;
        t.serialize_element(line)?;
        t.end()
    }
}

impl Serialize for AdminResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let AdminResponse::Reply { id, ok, text } = self;
        let mut t = serializer.serialize_tuple(4)?;
        t.serialize_element(&REPLY)?;
        t.serialize_element(id)?;
        t.serialize_element(ok)?;
        t.serialize_element(text)?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for AdminRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AdminRequest;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an admin request array [64, id, line]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AdminRequest, A::Error> {
                let kind: u8 = field(&mut seq, "type")?;
                if kind != COMMAND {
                    return Err(de::Error::custom(format_args!(
                        "unknown admin request type {kind}"
                    )));
                }
                let msg = AdminRequest::Command {
                    id: field(&mut seq, "id")?,
                    line: field(&mut seq, "line")?,
                };
                end(&mut seq)?;
                Ok(msg)
            }
        }
        deserializer.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for AdminResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AdminResponse;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an admin response array [65, id, ok, text]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AdminResponse, A::Error> {
                let kind: u8 = field(&mut seq, "type")?;
                if kind != REPLY {
                    return Err(de::Error::custom(format_args!(
                        "unknown admin response type {kind}"
                    )));
                }
                let msg = AdminResponse::Reply {
                    id: field(&mut seq, "id")?,
                    ok: field(&mut seq, "ok")?,
                    text: field(&mut seq, "text")?,
                };
                end(&mut seq)?;
                Ok(msg)
            }
        }
        deserializer.deserialize_seq(V)
    }
}

/// Encodes an admin request into one binary frame's payload.
pub fn encode_admin_request(msg: &AdminRequest) -> Bytes {
    encode(msg)
}

/// Decodes one admin request frame (strictly, like the game messages).
pub fn decode_admin_request(bytes: &[u8]) -> Result<AdminRequest, DecodeError> {
    decode(bytes)
}

/// Encodes an admin response into one binary frame's payload.
pub fn encode_admin_response(msg: &AdminResponse) -> Bytes {
    encode(msg)
}

/// Decodes one admin response frame.
pub fn decode_admin_response(bytes: &[u8]) -> Result<AdminResponse, DecodeError> {
    decode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_client;

    #[test]
    fn requests_and_replies_round_trip() {
        let req = AdminRequest::Command {
            id: 7,
            line: "kick ann bye".into(),
        };
        let bytes = encode_admin_request(&req);
        assert_eq!(&bytes[..3], &[0x93, 64, 7], "[64, 7, line]");
        assert_eq!(decode_admin_request(&bytes).expect("decodes"), req);
        let rep = AdminResponse::Reply {
            id: 7,
            ok: false,
            text: "no such player".into(),
        };
        assert_eq!(
            decode_admin_response(&encode_admin_response(&rep)).expect("decodes"),
            rep
        );
    }

    #[test]
    fn the_families_do_not_overlap() {
        let admin = encode_admin_request(&AdminRequest::Command {
            id: 1,
            line: "shutdown".into(),
        });
        assert!(
            decode_client(&admin).is_err(),
            "the game decoder must refuse an admin command"
        );
        let hello = crate::encode_client(&crate::ClientMessage::Hello(crate::Hello {
            version: 1,
            name: "shutdown".into(),
            resume: None,
        }));
        assert!(
            decode_admin_request(&hello).is_err(),
            "the admin decoder must refuse a game hello"
        );
    }
}
