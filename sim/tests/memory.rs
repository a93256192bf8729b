//! The simulation's live heap does not grow while players play: a leak of a few bytes per input (there was one:
//! `World::resource_scope` in bevy_ecs 0.20 keeps about 16 bytes per call) becomes hundreds of megabytes over a
//! ten-minute match at 60 Hz. Counts live bytes with a counting global allocator (this test binary only).

use cap::Cap;
use std::alloc::System;
use tickwire_shared::Input;
use tickwire_sim::assets::Point;
use tickwire_sim::{MapAsset, RulesAsset, Sim, SimConfig};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

#[test]
fn playing_does_not_accumulate_memory() {
    const PLAYERS: u64 = 100;
    let spawns = (0..25)
        .map(|i| Point {
            x: 100.0 + (i % 5) as f32 * 400.0,
            y: 100.0 + (i / 5) as f32 * 400.0,
        })
        .collect();
    let mut sim = Sim::new(SimConfig {
        map: MapAsset {
            width: 2000.0,
            height: 2000.0,
            walls: Vec::new(),
            spawns,
            view: None,
        },
        rules: RulesAsset::default_rules(),
        tick_rate: 60,
        seed: 3,
        scenario: Default::default(),
    })
    .expect("valid");
    for c in 0..PLAYERS {
        sim.join(c, "p");
    }
    let play = |sim: &mut Sim, ticks: u32, from: u32| {
        for t in from..from + ticks {
            for c in 0..PLAYERS {
                let a = c as f32 + t as f32 * 0.05;
                let input = Input {
                    seq: t,
                    dx: a.cos(),
                    dy: a.sin(),
                    aim: a,
                    buttons: 0,
                };
                sim.push_input(c, &input);
            }
            sim.step();
            drop(sim.take_changes());
        }
    };
    // Warm up: buffers reach their working size.
    play(&mut sim, 300, 1);
    let before = ALLOCATOR.allocated() as i64;
    play(&mut sim, 3_000, 301);
    let grown = ALLOCATOR.allocated() as i64 - before;
    // 300,000 inputs: a leak of even one byte each would show.
    assert!(
        grown < 64 * 1024,
        "the live heap grew by {grown} bytes over 3,000 ticks of {PLAYERS} players"
    );
}
