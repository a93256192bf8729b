//! The benchmark scenes' rules, on a bare simulation: crowd walkers and Gaffer cubes.

use std::collections::BTreeSet;
use tickwire_shared::Input;
use tickwire_shared::entity::{angle_from_wire, position_from_wire};
use tickwire_sim::components::{Clients, Position};
use tickwire_sim::scenario::gaffer;
use tickwire_sim::{MapAsset, RulesAsset, Scenario, Sim, SimConfig};

fn sim(scenario: Scenario) -> Sim {
    Sim::new(SimConfig {
        map: MapAsset::default_map(),
        rules: RulesAsset::default_rules(),
        tick_rate: scenario.default_tick_rate(),
        seed: 3,
        scenario,
    })
    .expect("valid")
}

fn input(seq: u32, dx: f32, dy: f32) -> Input {
    Input {
        seq,
        dx,
        dy,
        aim: 0.0,
        buttons: 0,
    }
}

#[test]
fn crowd_walkers_spawn_by_the_formula() {
    let mut s = sim(Scenario::Crowd);
    for c in 0..3 {
        s.join(c, &format!("bot-{c}"));
    }
    let expected = [(100.0, 100.0), (237.0, 311.0), (374.0, 522.0)];
    for (c, (x, y)) in expected.into_iter().enumerate() {
        let p = s.player_position(c as u64).expect("walker");
        assert_eq!((p.x, p.y), (x, y), "walker {c}");
    }
    assert_eq!(s.arena().width, 2000.0);
    assert!(s.arena().walls.is_empty());
}

#[test]
fn crowd_walkers_wrap_around_the_edges() {
    let mut s = sim(Scenario::Crowd);
    s.join(0, "bot-0");
    let entity = s.world_mut().resource::<Clients>().0[&0];
    s.world_mut().get_mut::<Position>(entity).expect("pos").0 = glam::Vec2::new(1999.0, 0.5);
    s.push_input(0, &input(1, 1.0, -1.0));
    s.step();
    let p = s.player_position(0).expect("walker");
    let step = 200.0 / 30.0 / 2f32.sqrt();
    assert!(
        (p.x - (1999.0 + step - 2000.0)).abs() < 1e-3,
        "x wraps past 2000 to near 0: {p:?}"
    );
    assert!(
        (p.y - (0.5 - step + 2000.0)).abs() < 1e-3,
        "y wraps below 0 to near 2000: {p:?}"
    );
}

#[test]
fn crowd_angle_changes_only_with_a_new_direction() {
    let mut s = sim(Scenario::Crowd);
    s.join(0, "bot-0");
    s.step();
    s.push_input(1, &input(1, 0.0, 0.0)); // no such client: ignored
    s.push_input(0, &input(1, 0.0, 1.0));
    let c = s.step().clone();
    assert_eq!(c.moves.len(), 1, "the walker moved");
    let first = c.changes;
    assert_eq!(first.len(), 1);
    assert!(first[0].fields.x.is_none() && first[0].fields.y.is_none());
    let angle = first[0]
        .fields
        .angle
        .expect("the new direction turns the walker");
    assert!((angle_from_wire(angle) - std::f32::consts::FRAC_PI_2).abs() < 1e-3);
    for seq in 2..20 {
        s.push_input(0, &input(seq, 0.0, 1.0)); // the same direction, every tick
        let c = s.step();
        assert!(
            c.changes.is_empty(),
            "angle must not be re-sent while the direction stays"
        );
        assert_eq!(c.moves.len(), 1);
        assert!(
            c.moves[0].dy > 0 && c.moves[0].dx == 0,
            "only y changes when walking along y: {:?}",
            c.moves
        );
    }
    // The last input persists: with no new input the walker keeps walking.
    let before = s.player_position(0).expect("walker");
    s.step();
    assert!(s.player_position(0).expect("walker").y > before.y);
    // A zero input stops it, and nothing is sent.
    s.push_input(0, &input(100, 0.0, 0.0));
    s.step();
    let c = s.step();
    assert!(
        c.changes.is_empty() && c.moves.is_empty(),
        "a standing walker sends nothing"
    );
    assert_eq!(s.ack(0), 100);
}

#[test]
fn crowd_inputs_are_clamped_normalised_and_nan_refused() {
    let mut s = sim(Scenario::Crowd);
    s.join(0, "bot-0");
    let start = s.player_position(0).expect("walker");
    s.push_input(0, &input(1, 5.0, 5.0));
    s.step();
    let moved = s.player_position(0).expect("walker") - start;
    assert!(
        (moved.length() - 200.0 / 30.0).abs() < 1e-3,
        "a long input moves at walking speed: {moved:?}"
    );
    assert_eq!(
        s.push_input(0, &input(2, f32::NAN, 0.0)),
        tickwire_sim::InputVerdict::NonFinite
    );
}

#[test]
fn gaffer_keeps_exactly_a_tenth_of_the_cubes_moving() {
    let mut s = sim(Scenario::Gaffer);
    assert_eq!(s.snapshot().len(), gaffer::CUBES);
    let you = s.join(0, "watcher");
    assert_eq!(you, 0, "spectators get no entity");
    assert_eq!(s.snapshot().len(), gaffer::CUBES);
    let mut ever_moved = BTreeSet::new();
    s.step();
    for _ in 0..600 {
        let ch = s.step();
        assert_eq!(
            ch.moves.len(),
            gaffer::MOVING,
            "10% of 900 cubes move every tick"
        );
        assert!(
            ch.changes.len() < gaffer::MOVING / 2,
            "only cubes that start a glide turn: {} changes",
            ch.changes.len()
        );
        assert!(ch.spawns.is_empty() && ch.despawns.is_empty());
        ever_moved.extend(ch.moves.iter().map(|m| m.id));
    }
    assert!(
        ever_moved.len() > 400,
        "different cubes take turns moving: {} did",
        ever_moved.len()
    );
    // Positions stay inside the field.
    for e in s.snapshot() {
        let (x, y) = (
            position_from_wire(e.fields.x.unwrap_or(0)),
            position_from_wire(e.fields.y.unwrap_or(0)),
        );
        assert!(
            (0.0..=gaffer::SIZE).contains(&x) && (0.0..=gaffer::SIZE).contains(&y),
            "cube at {x},{y}"
        );
    }
}

#[test]
fn gaffer_is_deterministic_for_a_seed() {
    let (mut a, mut b) = (sim(Scenario::Gaffer), sim(Scenario::Gaffer));
    for _ in 0..120 {
        a.step();
        b.step();
    }
    assert_eq!(a.state_hash(), b.state_hash());
}
