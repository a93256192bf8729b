//! Encoding and decoding of whole messages, and the pieces the server shares between clients.
//!
//! Decoding is strict: one MessagePack value per frame, no trailing bytes, no unknown message types, nesting at
//! most [`MAX_DEPTH`] deep. A claimed length larger than the frame fails at once without allocating for it.
//! Client messages (small, one per input) are decoded with rmp-serde; server messages, which every client
//! decodes every tick, by a reader written for them (`read.rs`), which follows the same rules.
//!
//! Encoding a delta for many clients is split in two: [`encode_delta_body`] writes the part every client shares
//! (spawns, changes, despawns, events, moves) once per tick; [`delta_frame`] prefixes one client's header (tick,
//! base, ack). The concatenation is byte-for-byte what [`encode_server`] produces for the same [`Delta`](crate::server::Delta).

use crate::client::ClientMessage;
use crate::entity::{EntityId, EntityState};
use crate::server::{self, Event, Move, MovesOut, ServerMessage};
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// The deepest nesting a message may have. The deepest legal message (a delta's entity) is 4 levels deep.
pub const MAX_DEPTH: usize = 8;

/// Why a frame could not be decoded into a message.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not a valid message (bad MessagePack, wrong shape, unknown type, bad field).
    #[error("malformed message: {0}")]
    Malformed(#[from] rmp_serde::decode::Error),
    /// The bytes are not a valid message (what is wrong and where, in words).
    #[error("malformed message: {0}")]
    Invalid(std::borrow::Cow<'static, str>),
    /// A valid message was followed by more bytes in the same frame.
    #[error("{0} unexpected bytes after the message")]
    TrailingBytes(usize),
}

pub(crate) fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, DecodeError> {
    let mut de = rmp_serde::Deserializer::new(Cursor::new(bytes));
    de.set_max_depth(MAX_DEPTH);
    let value = T::deserialize(&mut de)?;
    let used = de.position() as usize;
    if used != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - used));
    }
    Ok(value)
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Bytes {
    let mut out = Vec::with_capacity(64);
    // Serialising our own types into a Vec cannot fail: every type here has a MessagePack form and Vec never
    // returns an I/O error.
    value
        .serialize(&mut rmp_serde::Serializer::new(&mut out))
        .expect("tickwire messages serialise to a Vec (moves in ascending id order)");
    Bytes::from(out)
}

/// Decodes one client → server frame.
pub fn decode_client(bytes: &[u8]) -> Result<ClientMessage, DecodeError> {
    decode(bytes)
}

/// Decodes one server → client frame.
pub fn decode_server(bytes: &[u8]) -> Result<ServerMessage, DecodeError> {
    crate::read::server_message(bytes)
}

/// Encodes a client → server message into one frame's payload.
pub fn encode_client(msg: &ClientMessage) -> Bytes {
    encode(msg)
}

/// [`encode_client`] into `out` (cleared first), a buffer the caller keeps: no allocation once it has grown.
pub fn encode_client_into(msg: &ClientMessage, out: &mut Vec<u8>) {
    out.clear();
    msg.serialize(&mut rmp_serde::Serializer::new(&mut *out))
        .expect("tickwire messages always serialise to a Vec");
}

/// Encodes a server → client message into one frame's payload.
pub fn encode_server(msg: &ServerMessage) -> Bytes {
    encode(msg)
}

/// Encodes the shared part of a delta: `spawns, changes, despawns, events, moves` (five values, no array
/// header). `moves` must be in strictly ascending id order (as [`crate::Delta::moves`]); the flat moves array
/// cannot express anything else, so other orders are a programming error and panic.
pub fn encode_delta_body(
    spawns: &[EntityState],
    changes: &[EntityState],
    despawns: &[EntityId],
    events: &[Event],
    moves: &[Move],
) -> Bytes {
    let mut out = Vec::with_capacity(
        16 + 12 * (spawns.len() * 4 + changes.len()) + 5 * despawns.len() + 3 * moves.len(),
    );
    let mut ser = rmp_serde::Serializer::new(&mut out);
    (|| -> Result<(), rmp_serde::encode::Error> {
        spawns.serialize(&mut ser)?;
        changes.serialize(&mut ser)?;
        despawns.serialize(&mut ser)?;
        events.serialize(&mut ser)?;
        MovesOut(moves).serialize(&mut ser)
    })()
    .expect("tickwire messages serialise to a Vec (moves in ascending id order)");
    Bytes::from(out)
}

/// Encodes the shared part of a snapshot: the entities array.
pub fn encode_snapshot_body(entities: &[EntityState]) -> Bytes {
    encode(&entities)
}

/// The largest header [`delta_frame`] writes: array marker, type, then three u32 values.
const MAX_DELTA_HEADER: usize = 1 + 1 + 3 * 5;

/// One client's part of a snapshot or delta message: the few bytes (at most 17) that go before the body every
/// client shares. A server writes `head` then the shared body to the socket (one vectored write) instead of
/// copying the body behind each client's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    bytes: [u8; MAX_DELTA_HEADER],
    len: u8,
}

impl Head {
    /// The header's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The head of one client's delta: `[2, tick, base, ack,` of an array of 9 (the shared body follows).
pub fn delta_head(tick: u32, base: u32, ack: u32) -> Head {
    head(9, server::DELTA, &[tick, base, ack])
}

/// The head of one client's snapshot: `[1, tick, ack,` (the shared entities array follows).
pub fn snapshot_head(tick: u32, ack: u32) -> Head {
    head(4, server::SNAPSHOT, &[tick, ack])
}

fn head(len: u32, kind: u8, values: &[u32]) -> Head {
    let mut bytes = [0u8; MAX_DELTA_HEADER];
    let mut w: &mut [u8] = &mut bytes;
    // At most 1 + 1 + 3 × 5 bytes go into a buffer of exactly that size: the writes cannot fail.
    let _ = rmp::encode::write_array_len(&mut w, len);
    let _ = rmp::encode::write_uint(&mut w, u64::from(kind));
    for v in values {
        let _ = rmp::encode::write_uint(&mut w, u64::from(*v));
    }
    let len = (MAX_DELTA_HEADER - w.len()) as u8;
    Head { bytes, len }
}

/// One client's delta: its header `[2, tick, base, ack,` (an array of 9) followed by the shared `body`.
pub fn delta_frame(tick: u32, base: u32, ack: u32, body: &[u8]) -> Bytes {
    delta_frame_in(&mut BytesMut::new(), tick, base, ack, body)
}

/// [`delta_frame`] written into `buf`, a buffer the caller keeps per client: once the previous frame taken from
/// `buf` has been dropped (written to the socket), its allocation is reused, so a steady stream of frames to one
/// client allocates nothing. If that frame is still queued, a new buffer is allocated as [`delta_frame`] would.
pub fn delta_frame_in(buf: &mut BytesMut, tick: u32, base: u32, ack: u32, body: &[u8]) -> Bytes {
    frame_in(buf, delta_head(tick, base, ack), body)
}

/// One client's snapshot: its header `[1, tick, ack,` followed by the shared entities `body`.
pub fn snapshot_frame(tick: u32, ack: u32, body: &[u8]) -> Bytes {
    snapshot_frame_in(&mut BytesMut::new(), tick, ack, body)
}

/// [`snapshot_frame`] written into a per-client buffer, reusing its allocation as [`delta_frame_in`] does.
pub fn snapshot_frame_in(buf: &mut BytesMut, tick: u32, ack: u32, body: &[u8]) -> Bytes {
    frame_in(buf, snapshot_head(tick, ack), body)
}

fn frame_in(buf: &mut BytesMut, head: Head, body: &[u8]) -> Bytes {
    buf.clear();
    buf.reserve(head.as_bytes().len() + body.len());
    buf.put_slice(head.as_bytes());
    buf.put_slice(body);
    buf.split().freeze()
}

/// The header of a server frame, read without decoding the body: what a load generator needs to follow the tick
/// stream and the input acknowledgements cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameHeader {
    /// `[1, tick, ack, ...]`: a snapshot.
    Snapshot {
        /// The snapshot's tick.
        tick: u32,
        /// The last input applied.
        ack: u32,
    },
    /// `[2, tick, base, ack, ...]`: a delta.
    Delta {
        /// The tick the delta brings the client to.
        tick: u32,
        /// The tick it applies to.
        base: u32,
        /// The last input applied.
        ack: u32,
    },
    /// Any other message type (welcome, pong, error): decode it with [`decode_server`].
    Other(u8),
}

/// Reads the header of a server frame (array length, type and, for snapshots and deltas, the tick numbers and
/// ack) without touching the body. Returns `None` when the header is not valid: wrong array length for the type,
/// a value that is not an unsigned integer, or truncated bytes. The body is not checked: a frame with a valid
/// header may still fail [`decode_server`].
pub fn peek_header(bytes: &[u8]) -> Option<FrameHeader> {
    let mut rd = bytes;
    let len = rmp::decode::read_array_len(&mut rd).ok()?;
    let kind: u8 = rmp::decode::read_int(&mut rd).ok()?;
    let mut next = || rmp::decode::read_int::<u32, _>(&mut rd).ok();
    match (kind, len) {
        (server::SNAPSHOT, 4) => Some(FrameHeader::Snapshot {
            tick: next()?,
            ack: next()?,
        }),
        (server::DELTA, 9) => Some(FrameHeader::Delta {
            tick: next()?,
            base: next()?,
            ack: next()?,
        }),
        (server::SNAPSHOT | server::DELTA, _) => None,
        (other, _) => Some(FrameHeader::Other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Hello, Input};
    use crate::entity::EntityFields;
    use crate::server::{Arena, Delta, Move, Snapshot, Wall, Welcome};

    fn player(id: u32) -> EntityState {
        EntityState {
            id,
            fields: EntityFields {
                kind: Some(0),
                x: Some(1600),
                y: Some(-3),
                angle: Some(-31415),
                name: Some(format!("p{id}")),
                colour: Some(0xff8800),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_resume_token_is_a_bin_of_16_bytes_never_a_string() {
        let hello = |token: &dyn Fn(&mut Vec<u8>)| {
            let mut b = Vec::new();
            rmp::encode::write_array_len(&mut b, 4).expect("vec");
            rmp::encode::write_uint(&mut b, 0).expect("vec");
            rmp::encode::write_uint(&mut b, 2).expect("vec");
            rmp::encode::write_str(&mut b, "ann").expect("vec");
            token(&mut b);
            decode_client(&b)
        };
        let ok = hello(&|b| rmp::encode::write_bin(b, &[7; 16]).expect("vec"));
        assert!(
            matches!(ok, Ok(ClientMessage::Hello(Hello { resume: Some(t), .. })) if t == [7; 16]),
            "{ok:?}"
        );
        let nil = hello(&|b| rmp::encode::write_nil(b).expect("vec"));
        assert!(
            matches!(nil, Ok(ClientMessage::Hello(Hello { resume: None, .. }))),
            "{nil:?}"
        );
        let err = hello(&|b| rmp::encode::write_str(b, "0123456789abcdef").expect("vec"))
            .expect_err("a string of 16 characters is no token");
        assert!(err.to_string().contains("bin of 16 bytes"), "{err}");
        let err =
            hello(&|b| rmp::encode::write_bin(b, &[7; 15]).expect("vec")).expect_err("15 bytes");
        assert!(err.to_string().contains("16 bytes, not 15"), "{err}");
    }

    #[test]
    fn client_messages_round_trip() {
        for msg in [
            ClientMessage::Hello(Hello {
                version: 1,
                name: "ann".into(),
                resume: Some([7; 16]),
            }),
            ClientMessage::Input(Input {
                seq: 70000,
                dx: 0.5,
                dy: -1.0,
                aim: 3.0,
                buttons: 1,
            }),
            ClientMessage::Ping(crate::Ping {
                client_time: 1234.5,
            }),
        ] {
            assert_eq!(decode_client(&encode_client(&msg)).expect("decodes"), msg);
            let mut kept = vec![0xff; 3];
            encode_client_into(&msg, &mut kept);
            assert_eq!(
                kept,
                encode_client(&msg),
                "the same bytes into a kept buffer"
            );
        }
    }

    #[test]
    fn a_welcome_without_a_view_keeps_its_eight_elements() {
        let welcome = Welcome {
            version: 2,
            you: 1,
            tick_rate: 30,
            tick: 0,
            arena: Arena::default(),
            rules: crate::GameRules::default(),
            resume: [1; 16],
            view: None,
        };
        let bytes = encode_server(&ServerMessage::Welcome(welcome.clone()));
        assert_eq!(bytes[0], 0x98, "an array of 8");
        assert_eq!(
            decode_server(&bytes).expect("decodes"),
            ServerMessage::Welcome(welcome.clone())
        );
        let with = encode_server(&ServerMessage::Welcome(Welcome {
            view: Some(100.0),
            ..welcome
        }));
        assert_eq!(with[0], 0x99, "an array of 9");
    }

    #[test]
    fn server_messages_round_trip() {
        let msgs = [
            ServerMessage::Welcome(Welcome {
                version: 1,
                you: 7,
                tick_rate: 30,
                tick: 99,
                arena: Arena {
                    width: 800.0,
                    height: 600.0,
                    walls: vec![Wall {
                        x: 1.0,
                        y: 2.0,
                        w: 3.0,
                        h: 4.0,
                    }],
                },
                rules: crate::GameRules {
                    player_speed: 220.0,
                    player_radius: 16.0,
                    projectile_radius: 4.0,
                    max_health: 100,
                },
                resume: [0xab; 16],
                view: Some(300.0),
            }),
            ServerMessage::Snapshot(Snapshot {
                tick: 5,
                ack: 2,
                entities: vec![player(1), player(300)],
            }),
            ServerMessage::Delta(Delta {
                tick: 6,
                base: 5,
                ack: 3,
                spawns: vec![player(2)],
                changes: vec![EntityState {
                    id: 1,
                    fields: EntityFields {
                        x: Some(1),
                        ..Default::default()
                    },
                }],
                despawns: vec![300],
                events: vec![
                    Event::Kill {
                        killer: 1,
                        victim: 2,
                    },
                    Event::Say { text: "hi".into() },
                ],
                moves: vec![
                    Move {
                        id: 0,
                        dx: 1,
                        dy: -1,
                    },
                    Move {
                        id: 1,
                        dx: i32::MIN,
                        dy: i32::MAX,
                    },
                    Move {
                        id: u32::MAX,
                        dx: 0,
                        dy: 200,
                    },
                ],
            }),
        ];
        for msg in msgs {
            assert_eq!(decode_server(&encode_server(&msg)).expect("decodes"), msg);
        }
    }

    #[test]
    fn shared_body_plus_header_equals_the_whole_message() {
        let d = Delta {
            tick: 100_000,
            base: 99_999,
            ack: 42,
            spawns: vec![player(9)],
            changes: vec![EntityState {
                id: 1,
                fields: EntityFields {
                    y: Some(77),
                    ..Default::default()
                },
            }],
            despawns: vec![3, 4],
            events: vec![Event::TickRate { hz: 20 }],
            moves: vec![
                Move {
                    id: 1,
                    dx: 16,
                    dy: -3,
                },
                Move {
                    id: 12,
                    dx: 0,
                    dy: 1000,
                },
            ],
        };
        let body = encode_delta_body(&d.spawns, &d.changes, &d.despawns, &d.events, &d.moves);
        let framed = delta_frame(d.tick, d.base, d.ack, &body);
        assert_eq!(framed, encode_server(&ServerMessage::Delta(d)));

        let s = Snapshot {
            tick: 3,
            ack: 0,
            entities: vec![player(1), player(2)],
        };
        let framed = snapshot_frame(s.tick, s.ack, &encode_snapshot_body(&s.entities));
        assert_eq!(framed, encode_server(&ServerMessage::Snapshot(s)));
    }

    #[test]
    fn frames_in_a_kept_buffer_are_the_same_bytes_and_reuse_its_allocation() {
        let body = encode_delta_body(&[], &[player(1), player(2)], &[7], &[], &[]);
        let mut buf = BytesMut::new();
        let first = delta_frame_in(&mut buf, 10, 9, 4, &body);
        assert_eq!(first, delta_frame(10, 9, 4, &body));
        let at = first.as_ptr();
        drop(first); // written: the next frame reuses the allocation
        let second = delta_frame_in(&mut buf, 11, 10, 5, &body);
        assert_eq!(second, delta_frame(11, 10, 5, &body));
        assert_eq!(second.as_ptr(), at);
        // Still queued: the next frame must not touch it.
        let third = snapshot_frame_in(&mut buf, 12, 6, &body);
        assert_eq!(third, snapshot_frame(12, 6, &body));
        assert_eq!(second, delta_frame(11, 10, 5, &body));
    }

    #[test]
    fn peek_header_reads_tick_base_and_ack_without_the_body() {
        let d = Delta {
            tick: 100_000,
            base: 99_999,
            ack: 70_000,
            changes: vec![player(3)],
            ..Default::default()
        };
        let bytes = encode_server(&ServerMessage::Delta(d));
        assert_eq!(
            peek_header(&bytes),
            Some(FrameHeader::Delta {
                tick: 100_000,
                base: 99_999,
                ack: 70_000
            })
        );
        let s = snapshot_frame(7, 3, &encode_snapshot_body(&[player(1)]));
        assert_eq!(
            peek_header(&s),
            Some(FrameHeader::Snapshot { tick: 7, ack: 3 })
        );
        let pong = encode_server(&ServerMessage::Pong(crate::Pong {
            client_time: 1.0,
            server_tick: 2,
        }));
        assert_eq!(peek_header(&pong), Some(FrameHeader::Other(3)));
        for bad in [
            &[][..],
            &[0x93, 0x02, 0x01, 0x00],
            &[0x99, 0x02, 0xcd],
            &[0x98, 0x02, 0x01, 0x00, 0x00], // a delta of 8 elements: protocol version 1
            &[0xc1],
        ] {
            assert_eq!(peek_header(bad), None, "{bad:02x?} has no valid header");
        }
    }

    #[test]
    fn a_position_change_costs_a_few_bytes() {
        let change = EntityState {
            id: 5,
            fields: EntityFields {
                x: Some(20_000),
                y: Some(31_000),
                ..Default::default()
            },
        };
        let bytes = encode(&change);
        assert_eq!(
            bytes.len(),
            1 + 1 + 1 + 3 + 3,
            "fixarray, id, mask, two int16: {bytes:02x?}"
        );
    }

    /// A delta `[2, 6, 5, 0, [], [], [], [], moves]` with the given raw moves array.
    fn delta_with_raw_moves(moves: &[u8]) -> Vec<u8> {
        let mut out = vec![0x99, 0x02, 0x06, 0x05, 0x00, 0x90, 0x90, 0x90, 0x90];
        out.extend_from_slice(moves);
        out
    }

    fn moves_of(bytes: &[u8]) -> Result<Vec<Move>, DecodeError> {
        match decode_server(bytes)? {
            ServerMessage::Delta(d) => Ok(d.moves),
            other => panic!("not a delta: {other:?}"),
        }
    }

    #[test]
    fn moves_are_one_flat_array_of_gaps_and_smallest_ints() {
        let moves = [
            Move {
                id: 3,
                dx: 16,
                dy: 0,
            },
            Move {
                id: 10,
                dx: -1,
                dy: -33,
            },
            Move {
                id: 300,
                dx: 200,
                dy: -19_200,
            },
        ];
        let body = encode_delta_body(&[], &[], &[], &[], &moves);
        assert_eq!(
            &body[..],
            &[
                0x90, 0x90, 0x90, 0x90, // spawns, changes, despawns, events: empty
                0x99, // moves: array of 9 values
                0x03, 0x10, 0x00, // id 3: gap 3, dx 16, dy 0
                0x07, 0xff, 0xd0,
                0xdf, // id 10: gap 7, dx -1 (negative fixint), dy -33 (int8)
                0xcd, 0x01, 0x22, 0xcc, 0xc8, 0xd1, 0xb5,
                0x00, // id 300: gap 290, dx 200, dy -19200
            ][..]
        );
        let frame = delta_frame(6, 5, 0, &body);
        assert_eq!(moves_of(&frame).expect("decodes"), moves);
        assert_eq!(&frame[..1], &[0x99], "a delta is an array of 9");
    }

    #[test]
    fn a_moving_entity_costs_three_bytes() {
        let moves: Vec<Move> = (1..=90)
            .map(|i| Move {
                id: i * 10,
                dx: 15,
                dy: -6,
            })
            .collect();
        let empty = encode_delta_body(&[], &[], &[], &[], &[]).len();
        let body = encode_delta_body(&[], &[], &[], &[], &moves).len();
        assert_eq!(
            body - empty,
            90 * 3 + 2,
            "array16 header, then 3 bytes per move"
        );
    }

    #[test]
    #[should_panic(expected = "ascending")]
    fn moves_out_of_order_are_a_programming_error() {
        let m = |id| Move { id, dx: 1, dy: 1 };
        let _ = encode_delta_body(&[], &[], &[], &[], &[m(5), m(5)]);
    }

    #[test]
    fn malformed_moves_are_rejected() {
        assert_eq!(
            moves_of(&delta_with_raw_moves(&[0x93, 0x00, 0x01, 0x02])).expect("id 0 is allowed"),
            vec![Move {
                id: 0,
                dx: 1,
                dy: 2
            }]
        );
        let bad: &[(&[u8], &str)] = &[
            (&[0x92, 0x01, 0x01], "multiple of 3"),
            (&[0x94, 0x01, 0x01, 0x01, 0x01], "multiple of 3"),
            (
                &[0x96, 0x01, 0x01, 0x01, 0x00, 0x01, 0x01],
                "strictly ascending",
            ),
            (
                &[
                    0x96, 0xce, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00,
                ],
                "uint32",
            ),
            (&[0x93, 0xff, 0x00, 0x00], ""), // a negative gap
            (&[0x93, 0x01, 0xce, 0x80, 0x00, 0x00, 0x00, 0x00], ""), // dx = 2^31
            (&[0x93, 0x01, 0x00, 0xca, 0x3f, 0x80, 0x00, 0x00], ""), // dy = 1.0f32
            (&[0x93, 0x01, 0x00, 0xc0], ""), // dy = nil
            (&[0x80], "moves"),              // a map
            (&[0xdd, 0x7f, 0xff, 0xff, 0xfe, 0x01, 0x01, 0x01], ""), // claims 2^31 - 2: truncated
            (
                &[0xdd, 0x7f, 0xff, 0xff, 0xff],
                "claims 2147483647 elements",
            ), // more than the bytes left
            (&[0x94, 0x01, 0x01, 0x01], "claims 4 elements"), // truncated
        ];
        for (moves, why) in bad {
            crate::read::tests::assert_refused(&delta_with_raw_moves(moves), why);
        }
    }

    #[test]
    fn hostile_frames_are_rejected_without_panicking() {
        let cases: &[&[u8]] = &[
            &[],
            &[0xc1],
            &[0x93, 0x00, 0x01],             // hello missing its name
            &[0x92, 0x09, 0x00],             // unknown type 9
            &[0xdd, 0xff, 0xff, 0xff, 0xff], // array claiming 2^32 elements
            &[0x92, 0x02, 0xcb],             // truncated float
            &[
                0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x90,
            ], // deep nesting
            &[0xa3, b'a', b'b', b'c'],       // a string, not an array
        ];
        for bytes in cases {
            assert!(
                decode_client(bytes).is_err(),
                "{bytes:02x?} should not decode"
            );
        }
        let mut ok_then_junk =
            encode_client(&ClientMessage::Ping(crate::Ping { client_time: 1.0 })).to_vec();
        ok_then_junk.push(0x00);
        assert!(matches!(
            decode_client(&ok_then_junk),
            Err(DecodeError::TrailingBytes(1))
        ));
    }

    #[test]
    fn numbers_from_dynamic_languages_are_accepted() {
        // JavaScript encoders send whole numbers as integers and fractions as float64.
        let bytes = [
            0x96, 0x01, 0x05, 0x01, 0xcb, 0xbf, 0xe0, 0, 0, 0, 0, 0, 0, 0x00, 0x00,
        ];
        let msg = decode_client(&bytes).expect("ints and float64 decode as f32 fields");
        assert_eq!(
            msg,
            ClientMessage::Input(Input {
                seq: 5,
                dx: 1.0,
                dy: -0.5,
                aim: 0.0,
                buttons: 0
            })
        );
    }
}
