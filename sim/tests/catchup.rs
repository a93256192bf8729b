//! Property test of the slow-consumer path: random world changes, random drop patterns and reconnects. After
//! every message a client receives, its mirror must equal the server's state — the desync bug class.

use proptest::prelude::*;
use std::sync::Arc;
use tickwire_shared::{Delta, Input, Mirror, ServerMessage, Snapshot};
use tickwire_sim::assets::Point;
use tickwire_sim::replication::{Catchup, History};
use tickwire_sim::{MapAsset, RulesAsset, Scenario, Sim, SimConfig};

#[derive(Debug, Clone)]
enum Op {
    Join(u8),
    Leave(u8),
    Input {
        client: u8,
        dx: f32,
        dy: f32,
        aim: f32,
        fire: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0u8..6).prop_map(Op::Join),
        1 => (0u8..6).prop_map(Op::Leave),
        8 => (0u8..6, -1.5f32..1.5, -1.5f32..1.5, -3.2f32..3.2, any::<bool>())
            .prop_map(|(client, dx, dy, aim, fire)| Op::Input { client, dx, dy, aim, fire }),
    ]
}

/// What happens to the observed client's frame this tick.
#[derive(Debug, Clone, Copy)]
enum Link {
    Delivered,
    Dropped,
    Reconnect,
}

fn link() -> impl Strategy<Value = Link> {
    prop_oneof![6 => Just(Link::Delivered), 3 => Just(Link::Dropped), 1 => Just(Link::Reconnect)]
}

fn small_arena() -> MapAsset {
    MapAsset {
        width: 400.0,
        height: 300.0,
        walls: vec![tickwire_shared::Wall {
            x: 180.0,
            y: 100.0,
            w: 40.0,
            h: 100.0,
        }],
        spawns: vec![
            Point { x: 40.0, y: 40.0 },
            Point { x: 360.0, y: 260.0 },
            Point { x: 40.0, y: 260.0 },
        ],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_mirror_always_equals_the_server_state(
        ticks in prop::collection::vec((prop::collection::vec(op(), 0..6), link()), 1..250),
        history_len in 1usize..12,
    ) {
        let mut sim = Sim::new(SimConfig {
            map: small_arena(),
            rules: RulesAsset::default_rules(),
            tick_rate: 30,
            seed: 9,
            scenario: Scenario::Arena,
        }).expect("valid");
        let mut history = History::new(history_len);
        let mut mirror = Mirror::new();
        let mut base: Option<u32> = None;
        let mut seqs = [0u32; 6];
        for (ops, link) in ticks {
            for op in ops {
                match op {
                    Op::Join(c) => { sim.join(u64::from(c), "p"); }
                    Op::Leave(c) => sim.leave(u64::from(c)),
                    Op::Input { client, dx, dy, aim, fire } => {
                        seqs[client as usize] += 1;
                        let input = Input { seq: seqs[client as usize], dx, dy, aim, buttons: fire as u8 };
                        sim.push_input(u64::from(client), &input);
                    }
                }
            }
            let changes = Arc::new(sim.step().clone());
            let tick = sim.tick();
            history.push(tick, changes.clone());
            match link {
                Link::Dropped => continue,
                Link::Reconnect => {
                    mirror = Mirror::new();
                    base = None;
                    continue;
                }
                Link::Delivered => {}
            }
            let msg = match history.catchup(base) {
                Catchup::Shared => delta(tick, tick - 1, &changes),
                Catchup::Composed(c) => delta(tick, base.expect("composed needs a base"), &c),
                Catchup::Snapshot => ServerMessage::Snapshot(Snapshot { tick, ack: 0, entities: sim.snapshot() }),
            };
            mirror.apply(&msg).map_err(|e| TestCaseError::fail(format!("tick {tick}: {e}")))?;
            base = Some(tick);
            let truth: std::collections::BTreeMap<_, _> =
                sim.snapshot().into_iter().map(|e| (e.id, e.fields)).collect();
            prop_assert_eq!(&mirror.entities, &truth, "mirror diverged at tick {}", tick);
        }
    }
}

fn delta(tick: u32, base: u32, c: &tickwire_sim::TickChanges) -> ServerMessage {
    ServerMessage::Delta(Delta {
        tick,
        base,
        ack: 0,
        spawns: c.spawns.clone(),
        changes: c.changes.clone(),
        despawns: c.despawns.clone(),
        events: c.events.clone(),
    })
}
