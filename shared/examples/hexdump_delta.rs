//! Prints the hex of a small real delta, as annotated in docs/PROTOCOL.md.
use tickwire_shared::entity::EntityFields;
use tickwire_shared::{Delta, EntityState, Move, ServerMessage, encode_server};

fn main() {
    let d = Delta {
        tick: 1234,
        base: 1233,
        ack: 57,
        spawns: vec![EntityState {
            id: 9,
            fields: EntityFields {
                kind: Some(0),
                x: Some(1600),
                y: Some(800),
                angle: Some(0),
                name: Some("ann".into()),
                colour: Some(0x3fa9f5),
                ..Default::default()
            },
        }],
        changes: vec![EntityState {
            id: 3,
            fields: EntityFields {
                health: Some(75),
                ..Default::default()
            },
        }],
        despawns: vec![5],
        events: vec![],
        moves: vec![
            Move {
                id: 3,
                dx: 16,
                dy: -3,
            },
            Move {
                id: 4,
                dx: 0,
                dy: 12,
            },
            Move {
                id: 300,
                dx: -200,
                dy: 0,
            },
        ],
    };
    let bytes = encode_server(&ServerMessage::Delta(d));
    println!("{} bytes", bytes.len());
    println!(
        "{}",
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
}
