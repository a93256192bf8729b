//! The client-side mirror against the real simulation: a snapshot followed by every tick's delta, each
//! encoded and decoded with the shared codec exactly as on the wire, gives the server's state.

use tickwire_shared::codec::{
    delta_frame, encode_delta_body, encode_snapshot_body, snapshot_frame,
};
use tickwire_shared::{Input, Mirror, decode_server};
use tickwire_sim::{MapAsset, RulesAsset, Sim, SimConfig};

fn sim() -> Sim {
    Sim::new(SimConfig {
        map: MapAsset::default_map(),
        rules: RulesAsset::default_rules(),
        tick_rate: 30,
        seed: 5,
        scenario: Default::default(),
    })
    .expect("a valid sim")
}

fn server_state(sim: &mut Sim) -> Mirror {
    let mut m = Mirror::new();
    let tick = sim.tick();
    let frame = snapshot_frame(tick, 0, &encode_snapshot_body(&sim.snapshot()));
    m.apply(&decode_server(&frame).expect("snapshot decodes"))
        .expect("snapshot applies");
    m
}

#[test]
fn snapshot_then_deltas_give_the_servers_state() {
    let mut sim = sim();
    for k in 0..5u64 {
        sim.join(k, &format!("p{k}"));
    }
    sim.step();
    let mut mirror = server_state(&mut sim);
    let mut seq = 0;
    for t in 0..120u64 {
        // Players come and go while everyone moves in changing directions.
        if t == 10 {
            sim.join(100, "late");
        }
        if t == 40 {
            sim.leave(2);
        }
        for k in [0u64, 1, 3, 4, 100] {
            seq += 1;
            let a = (t as f32 * 0.1) + k as f32;
            sim.push_input(
                k,
                &Input {
                    seq,
                    dx: a.cos(),
                    dy: a.sin(),
                    aim: a,
                    buttons: 0,
                },
            );
        }
        let base = sim.tick();
        let c = sim.step();
        let body = encode_delta_body(&c.spawns, &c.changes, &c.despawns, &c.events, &c.moves);
        let frame = delta_frame(sim.tick(), base, 0, &body);
        let applied = mirror
            .apply(&decode_server(&frame).expect("delta decodes"))
            .expect("every delta fits the mirror");
        assert_eq!(applied.skipped_ticks, 0);
    }
    let truth = server_state(&mut sim);
    assert_eq!(mirror.tick, truth.tick);
    assert_eq!(mirror.entities.len(), 5, "4 original players + 1 late");
    assert_eq!(
        mirror.entities, truth.entities,
        "the mirror equals a fresh snapshot of the server"
    );
}
