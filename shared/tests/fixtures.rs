//! Golden MessagePack fixtures shared with the browser client's tests.
//!
//! Each fixture is `shared/fixtures/NAME.msgpack` (the exact bytes the Rust side encodes) and an entry in
//! `shared/fixtures/index.json` giving the same message with named fields. The browser client's tests decode
//! every `.msgpack` and compare with the JSON, and encode the client messages and compare with the bytes, so
//! both implementations of the wire format are held to one definition. This test fails when a fixture on disk
//! differs from what the code encodes; run it with `UPDATE_FIXTURES=1` to rewrite them after a deliberate change.

use serde_json::{Value, json};
use std::path::PathBuf;
use tickwire_shared::entity::EntityFields;
use tickwire_shared::*;

fn fixtures() -> Vec<(&'static str, bytes::Bytes, Value)> {
    let ann = EntityState {
        id: 9,
        fields: EntityFields {
            kind: Some(0),
            x: Some(1600),
            y: Some(800),
            angle: Some(-15708),
            name: Some("ann".into()),
            colour: Some(0x3fa9f5),
            health: Some(100),
            score: Some(0),
            kills: Some(0),
            deaths: Some(0),
            flags: Some(0),
            ..Default::default()
        },
    };
    let ann_json = json!({"id": 9, "kind": 0, "x": 1600, "y": 800, "angle": -15708, "name": "ann",
        "colour": 0x3fa9f5, "health": 100, "score": 0, "kills": 0, "deaths": 0, "flags": 0});
    let shot = EntityState {
        id: 70000,
        fields: EntityFields {
            kind: Some(1),
            x: Some(-16),
            y: Some(40000),
            owner: Some(9),
            vx: Some(-11200),
            vy: Some(0),
            since: Some(3999),
            ..Default::default()
        },
    };
    let shot_json = json!({"id": 70000, "kind": 1, "x": -16, "y": 40000, "owner": 9, "vx": -11200, "vy": 0, "since": 3999});
    let cube = EntityState {
        id: 40,
        fields: EntityFields {
            kind: Some(2),
            x: Some(3200),
            y: Some(4800),
            angle: Some(0),
            ..Default::default()
        },
    };
    let cube_json = json!({"id": 40, "kind": 2, "x": 3200, "y": 4800, "angle": 0});
    vec![
        (
            "hello",
            encode_client(&ClientMessage::Hello(Hello {
                version: PROTOCOL_VERSION,
                name: "ann".into(),
                resume: None,
            })),
            json!({"type": "hello", "version": 2, "name": "ann"}),
        ),
        (
            "hello_resume",
            encode_client(&ClientMessage::Hello(Hello {
                version: PROTOCOL_VERSION,
                name: "ann".into(),
                resume: Some([0xa5; 16]),
            })),
            json!({"type": "hello", "version": 2, "name": "ann", "resume": vec![0xa5; 16]}),
        ),
        (
            "input",
            encode_client(&ClientMessage::Input(Input {
                seq: 300,
                dx: 0.5,
                dy: -1.0,
                aim: 1.25,
                buttons: 1,
            })),
            json!({"type": "input", "seq": 300, "dx": 0.5, "dy": -1.0, "aim": 1.25, "buttons": 1}),
        ),
        (
            "ping",
            encode_client(&ClientMessage::Ping(Ping {
                client_time: 123456.75,
            })),
            json!({"type": "ping", "client_time": 123456.75}),
        ),
        (
            "welcome",
            encode_server(&ServerMessage::Welcome(Welcome {
                version: PROTOCOL_VERSION,
                you: 9,
                tick_rate: 30,
                tick: 4000,
                arena: Arena {
                    width: 1600.0,
                    height: 900.0,
                    walls: vec![Wall {
                        x: 100.0,
                        y: 50.5,
                        w: 20.0,
                        h: 300.0,
                    }],
                },
                rules: GameRules {
                    player_speed: 220.0,
                    player_radius: 16.0,
                    projectile_radius: 4.0,
                    max_health: 100,
                },
                resume: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
                view: Some(437.5),
            })),
            json!({"type": "welcome", "version": 2, "you": 9, "tick_rate": 30, "tick": 4000,
                "arena": {"width": 1600.0, "height": 900.0, "walls": [{"x": 100.0, "y": 50.5, "w": 20.0, "h": 300.0}]},
                "rules": {"player_speed": 220.0, "player_radius": 16.0, "projectile_radius": 4.0, "max_health": 100},
                "resume": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "view": 437.5}),
        ),
        (
            "snapshot",
            encode_server(&ServerMessage::Snapshot(Snapshot {
                tick: 4000,
                ack: 0,
                entities: vec![ann.clone(), cube, shot.clone()],
            })),
            json!({"type": "snapshot", "tick": 4000, "ack": 0, "entities": [ann_json, cube_json, shot_json]}),
        ),
        (
            "delta",
            encode_server(&ServerMessage::Delta(Delta {
                tick: 4001,
                base: 4000,
                ack: 300,
                spawns: vec![EntityState {
                    id: 70001,
                    fields: shot.fields.clone(),
                }],
                changes: vec![EntityState {
                    id: 9,
                    fields: EntityFields {
                        health: Some(75),
                        ..Default::default()
                    },
                }],
                despawns: vec![70000],
                events: vec![
                    Event::Kill {
                        killer: 9,
                        victim: 12,
                    },
                    Event::Say {
                        text: "hello, arena".into(),
                    },
                    Event::TickRate { hz: 20 },
                ],
                moves: vec![
                    Move {
                        id: 9,
                        dx: 13,
                        dy: 0,
                    },
                    Move {
                        id: 40,
                        dx: -1,
                        dy: -200,
                    },
                ],
            })),
            json!({"type": "delta", "tick": 4001, "base": 4000, "ack": 300,
                "spawns": [{"id": 70001, "kind": 1, "x": -16, "y": 40000, "owner": 9, "vx": -11200, "vy": 0, "since": 3999}],
                "changes": [{"id": 9, "health": 75}],
                "despawns": [70000],
                "events": [{"type": "kill", "killer": 9, "victim": 12}, {"type": "say", "text": "hello, arena"},
                    {"type": "tick_rate", "hz": 20}],
                "moves": [{"id": 9, "dx": 13, "dy": 0}, {"id": 40, "dx": -1, "dy": -200}]}),
        ),
        (
            "pong",
            encode_server(&ServerMessage::Pong(Pong {
                client_time: 123456.75,
                server_tick: 4002,
            })),
            json!({"type": "pong", "client_time": 123456.75, "server_tick": 4002}),
        ),
        (
            "error",
            encode_server(&ServerMessage::Error(ProtocolError {
                code: close::VERSION_MISMATCH,
                message: "protocol version 1 is not supported; this server speaks version 2".into(),
            })),
            json!({"type": "error", "code": 4000, "message": "protocol version 1 is not supported; this server speaks version 2"}),
        ),
    ]
}

#[test]
fn golden_fixtures_match_the_encoder() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut index = serde_json::Map::new();
    let mut stale = Vec::new();
    for (name, bytes, value) in fixtures() {
        // Every fixture must decode back with our own decoder first.
        if name.starts_with("hello") || name == "input" || name == "ping" {
            decode_client(&bytes).expect("client fixture decodes");
        } else {
            decode_server(&bytes).expect("server fixture decodes");
        }
        let path = dir.join(format!("{name}.msgpack"));
        if update {
            std::fs::write(&path, &bytes).expect("write fixture");
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(name);
        }
        index.insert(name.to_string(), value);
    }
    let index_text = serde_json::to_string_pretty(&Value::Object(index)).expect("json") + "\n";
    let index_path = dir.join("index.json");
    if update {
        std::fs::write(&index_path, &index_text).expect("write index");
    } else if std::fs::read_to_string(&index_path).ok().as_deref() != Some(&index_text[..]) {
        stale.push("index.json");
    }
    assert!(
        stale.is_empty(),
        "fixtures out of date: {stale:?}; rerun with UPDATE_FIXTURES=1 and commit them"
    );
}
