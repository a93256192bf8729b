//! Property test of the slow-consumer path: random world changes, random drop patterns and reconnects. After
//! every message a client receives, its mirror must equal the server's state — the desync bug class — and every
//! delta's moves must be exactly where each entity is now minus where the client held it (no more, no fewer).

use proptest::prelude::*;
use std::sync::Arc;
use tickwire_shared::{
    Delta, Input, Mirror, Move, ServerMessage, Snapshot, decode_server, encode_server,
    mirror::EntityMap,
};
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
        view: None,
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
            step_and_observe(&mut sim, &mut history, &mut mirror, &mut base, link)?;
        }
    }
}

proptest! {
    // 900 entities per snapshot and check: fewer cases.
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn gaffer_cubes_moves_compose_across_drops_and_edge_wraps(
        links in prop::collection::vec(link(), 1..150),
        history_len in 1usize..12,
        seed in any::<u64>(),
    ) {
        let mut sim = Sim::new(SimConfig {
            map: small_arena(),
            rules: RulesAsset::default_rules(),
            tick_rate: 60,
            seed,
            scenario: Scenario::Gaffer,
        }).expect("valid");
        let mut history = History::new(history_len);
        let mut mirror = Mirror::new();
        let mut base: Option<u32> = None;
        for link in links {
            step_and_observe(&mut sim, &mut history, &mut mirror, &mut base, link)?;
        }
    }
}

/// Steps the simulation and records the tick; then, as the observed client's `link` says, delivers it what the
/// server would send from its baseline (and [`check`]s it), drops it, or reconnects it (no baseline, no state).
fn step_and_observe(
    sim: &mut Sim,
    history: &mut History,
    mirror: &mut Mirror,
    base: &mut Option<u32>,
    link: Link,
) -> Result<(), TestCaseError> {
    let changes = Arc::new(sim.step().clone());
    let tick = sim.tick();
    history.push(tick, changes.clone(), None);
    match link {
        Link::Dropped => return Ok(()),
        Link::Reconnect => {
            *mirror = Mirror::new();
            *base = None;
            return Ok(());
        }
        Link::Delivered => {}
    }
    let msg = match history.catchup(*base) {
        Catchup::Shared => delta(tick, tick - 1, &changes),
        Catchup::Composed(c) => delta(tick, base.expect("composed needs a base"), &c),
        Catchup::Snapshot => ServerMessage::Snapshot(Snapshot {
            tick,
            ack: 0,
            entities: sim.snapshot(),
        }),
    };
    check(mirror, &msg, sim)?;
    *base = Some(tick);
    Ok(())
}

/// Applies `msg` to the mirror, then checks the mirror against the server and a delta's moves against the
/// positions the mirror held before and holds now.
/// The message goes through the encoder and decoder first, as on the wire.
fn check(mirror: &mut Mirror, msg: &ServerMessage, sim: &mut Sim) -> Result<(), TestCaseError> {
    let wire = encode_server(msg);
    let msg = &decode_server(&wire).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let before = mirror.entities.clone();
    let tick = sim.tick();
    mirror
        .apply(msg)
        .map_err(|e| TestCaseError::fail(format!("tick {tick}: {e}")))?;
    let truth: EntityMap = sim
        .snapshot()
        .into_iter()
        .map(|e| (e.id, e.fields))
        .collect();
    if mirror.entities != truth {
        // Name the first difference: a whole Gaffer world is 900 entities.
        let held = mirror.entities.iter().map(|(id, f)| (*id, Some(f)));
        let first = held
            .chain(truth.keys().map(|id| (*id, None)))
            .find(|(id, f)| *f != truth.get(id) || !mirror.entities.contains_key(id));
        return Err(TestCaseError::fail(format!(
            "mirror diverged at tick {tick}: first at {first:?}, server has {:?}",
            first.and_then(|(id, _)| truth.get(&id))
        )));
    }
    if let ServerMessage::Delta(d) = msg {
        prop_assert_eq!(
            &d.moves,
            &moves_between(&before, &truth),
            "the moves of delta {} (base {}) are not now minus base",
            d.tick,
            d.base
        );
        for c in &d.changes {
            prop_assert!(c.fields.x.is_none() && c.fields.y.is_none(), "{:?}", c);
        }
        for s in &d.spawns {
            prop_assert!(!before.contains_key(&s.id), "spawn of held entity {}", s.id);
            prop_assert!(s.fields.x.is_some() && s.fields.y.is_some(), "{:?}", s);
        }
    }
    Ok(())
}

/// Every entity held at `base` and at `now` whose position differs, with the difference, by ascending id.
fn moves_between(base: &EntityMap, now: &EntityMap) -> Vec<Move> {
    now.iter()
        .filter_map(|(&id, n)| {
            let b = base.get(&id)?;
            let d = |n: Option<i32>, b: Option<i32>| n.unwrap_or(0) - b.unwrap_or(0);
            let m = Move {
                id,
                dx: d(n.x, b.x),
                dy: d(n.y, b.y),
            };
            (m.dx != 0 || m.dy != 0).then_some(m)
        })
        .collect()
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
        moves: c.moves.clone(),
    })
}
