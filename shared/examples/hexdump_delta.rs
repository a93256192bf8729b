//! Prints the hex of a small real delta, as annotated in docs/PROTOCOL.md.
use tickwire_shared::entity::EntityFields;
use tickwire_shared::{Delta, EntityState, ServerMessage, encode_server};

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
                x: Some(4112),
                y: Some(-20),
                ..Default::default()
            },
        }],
        despawns: vec![5],
        events: vec![],
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
