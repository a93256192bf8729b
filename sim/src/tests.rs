//! Socket-free tests of the whole simulation: build a `Sim`, feed it inputs, step it, look at its output.

use super::*;
use tickwire_shared::entity::{position_from_wire, position_to_wire};

fn sim() -> Sim {
    Sim::new(SimConfig {
        map: MapAsset::default_map(),
        rules: RulesAsset::default_rules(),
        tick_rate: 30,
        seed: 7,
        scenario: Default::default(),
    })
    .expect("valid config")
}

fn input(seq: u32, dx: f32, dy: f32) -> Input {
    Input {
        seq,
        dx,
        dy,
        aim: 0.5,
        buttons: 0,
    }
}

#[test]
fn tick_rate_outside_20_to_60_is_refused() {
    for hz in [0, 19, 61, 1000] {
        let cfg = SimConfig {
            map: MapAsset::default_map(),
            rules: RulesAsset::default_rules(),
            tick_rate: hz,
            seed: 0,
            scenario: Default::default(),
        };
        assert!(
            matches!(Sim::new(cfg), Err(SimError::TickRate(h)) if h == hz),
            "{hz} Hz should be refused"
        );
    }
    assert!(sim().set_tick_rate(61).is_err());
}

#[test]
fn a_join_is_a_spawn_and_a_leave_is_a_despawn() {
    let mut s = sim();
    let a = s.join(1, "  ann\u{7}  ");
    let changes = s.step().clone();
    assert_eq!(
        changes.spawns.len(),
        1,
        "the new player is spawned in the next delta"
    );
    let spawn = &changes.spawns[0];
    assert_eq!(spawn.id, a);
    assert_eq!(
        spawn.fields.name.as_deref(),
        Some("ann"),
        "names are trimmed and control characters removed"
    );
    assert_eq!(spawn.fields.kind, Some(KIND_PLAYER));
    assert!(
        s.step().spawns.is_empty() && s.last_changes().changes.is_empty(),
        "an idle world sends nothing"
    );
    s.leave(1);
    assert_eq!(s.step().despawns, vec![a]);
    assert!(s.snapshot().is_empty());
}

#[test]
fn spawn_and_despawn_in_one_tick_send_nothing() {
    let mut s = sim();
    s.join(1, "a");
    s.leave(1);
    let c = s.step();
    assert!(c.spawns.is_empty() && c.despawns.is_empty(), "{c:?}");
}

#[test]
fn one_input_moves_one_step_and_is_acknowledged() {
    let mut s = sim();
    s.join(1, "a");
    s.step();
    let start = s.player_position(1).expect("player");
    s.push_input(1, &input(1, 1.0, 0.0));
    let c = s.step().clone();
    let end = s.player_position(1).expect("player");
    let expected = 220.0 / 30.0;
    assert!(
        ((end.x - start.x) - expected).abs() < 1e-3,
        "moved {} instead of {expected}",
        end.x - start.x
    );
    assert_eq!(s.ack(1), 1);
    assert_eq!(c.changes.len(), 1);
    let ch = &c.changes[0].fields;
    assert!(
        ch.x.is_none() && ch.y.is_none() && ch.angle.is_some(),
        "the turn is a change, the step is not: {ch:?}"
    );
    let id = c.changes[0].id;
    let dx = position_to_wire(end.x) - position_to_wire(start.x);
    assert!(dx > 0);
    assert_eq!(
        c.moves,
        vec![tickwire_shared::Move { id, dx, dy: 0 }],
        "only the axis that moved has a non-zero difference"
    );
    assert!((position_from_wire(dx) - expected).abs() <= 1.0 / 16.0);
    // No more input: the player stands still and nothing is sent.
    let c = s.step();
    assert!(c.changes.is_empty() && c.moves.is_empty());
}

#[test]
fn flooding_inputs_never_moves_faster_than_the_tick_rate_allows() {
    let mut s = sim();
    s.join(1, "a");
    s.step();
    let start = s.player_position(1).expect("player");
    let mut seq = 0;
    for _ in 0..10 {
        for _ in 0..20 {
            seq += 1;
            s.push_input(1, &input(seq, 0.0, 1.0));
        }
        s.step();
    }
    let moved = s.player_position(1).expect("player").y - start.y;
    // 10 ticks with a budget of 1 per tick plus the initial bank: at most 11 steps.
    let max = 11.0 * 220.0 / 30.0;
    assert!(moved <= max + 1e-3, "moved {moved}, more than {max}");
    assert!(
        s.input_stats().dropped_queue_full > 0,
        "the excess was dropped and counted"
    );
}

#[test]
fn nan_inputs_are_ignored_and_stale_ones_applied_once() {
    let mut s = sim();
    s.join(1, "a");
    s.step();
    let start = s.player_position(1).expect("player");
    assert_eq!(
        s.push_input(1, &input(1, f32::NAN, 0.0)),
        InputVerdict::NonFinite
    );
    s.step();
    assert_eq!(
        s.player_position(1),
        Some(start),
        "a NaN input moves nothing"
    );
    assert_eq!(s.push_input(1, &input(2, 1.0, 0.0)), InputVerdict::Queued);
    assert_eq!(s.push_input(1, &input(2, 1.0, 0.0)), InputVerdict::Stale);
    s.step();
    s.step();
    let moved = s.player_position(1).expect("player").x - start.x;
    assert!(
        (moved - 220.0 / 30.0).abs() < 1e-3,
        "a duplicate input is applied once, moved {moved}"
    );
    assert_eq!(
        s.push_input(99, &input(1, 0.0, 0.0)),
        InputVerdict::NoPlayer
    );
}

#[test]
fn late_inputs_still_count_thanks_to_the_bank() {
    let mut s = sim();
    s.join(1, "a");
    s.step();
    let start = s.player_position(1).expect("player");
    s.step(); // no input this tick: one tick banked
    s.push_input(1, &input(1, 1.0, 0.0));
    s.push_input(1, &input(2, 1.0, 0.0));
    s.step(); // both applied
    let moved = s.player_position(1).expect("player").x - start.x;
    assert!((moved - 2.0 * 220.0 / 30.0).abs() < 1e-3, "moved {moved}");
    assert_eq!(s.ack(1), 2);
}

#[test]
fn players_spawn_far_from_each_other() {
    let mut s = sim();
    s.join(1, "a");
    s.join(2, "b");
    let a = s.player_position(1).expect("a");
    let b = s.player_position(2).expect("b");
    assert!(
        a.distance(b) > 500.0,
        "second spawn {b:?} should be far from {a:?}"
    );
}

#[test]
fn the_same_inputs_give_the_same_ticks() {
    fn run() -> Vec<TickChanges> {
        let mut s = sim();
        let mut out = Vec::new();
        for t in 0..120u32 {
            if t % 40 == 0 {
                s.join(u64::from(t), &format!("p{t}"));
            }
            for c in 0..=t / 40 {
                let angle = (t as f32 * 0.1) + c as f32;
                s.push_input(u64::from(c * 40), &input(t + 1, angle.cos(), angle.sin()));
            }
            if t == 100 {
                s.leave(0);
            }
            out.push(s.step().clone());
        }
        out
    }
    assert_eq!(run(), run());
}

#[test]
fn the_snapshot_equals_the_sum_of_deltas() {
    let mut s = sim();
    let mut mirror = tickwire_shared::Mirror::new();
    mirror
        .apply_snapshot(&tickwire_shared::Snapshot {
            tick: s.tick(),
            ack: 0,
            entities: s.snapshot(),
        })
        .expect("empty snapshot");
    for t in 0..60u32 {
        if t % 10 == 0 {
            s.join(u64::from(t), "x");
        }
        if t == 35 {
            s.leave(10);
        }
        for c in [0u64, 10, 20, 30, 40, 50] {
            s.push_input(c, &input(t + 1, (t as f32).sin(), 0.7));
        }
        let base = s.tick();
        let c = s.step().clone();
        let delta = tickwire_shared::Delta {
            tick: s.tick(),
            base,
            ack: 0,
            spawns: c.spawns,
            changes: c.changes,
            despawns: c.despawns,
            events: c.events,
            moves: c.moves,
        };
        mirror.apply_delta(&delta).expect("every delta applies");
        let truth: tickwire_shared::mirror::EntityMap =
            s.snapshot().into_iter().map(|e| (e.id, e.fields)).collect();
        assert_eq!(
            mirror.entities,
            truth,
            "mirror diverged at tick {}",
            s.tick()
        );
    }
}

#[test]
fn tick_rate_changes_are_announced() {
    let mut s = sim();
    s.set_tick_rate(20).expect("in range");
    assert_eq!(s.step().events, vec![Event::TickRate { hz: 20 }]);
    assert!(s.step().events.is_empty());
    assert_eq!(s.tick_rate(), 20);
}

#[test]
fn names_are_cleaned() {
    assert_eq!(clean_name("  a\tb\u{0}c  "), "a bc");
    assert_eq!(clean_name("a\nb\t\t c\u{a0}d"), "a b c d");
    // Invisible characters cannot make a name pass for another, nor be a name.
    assert_eq!(clean_name("alice\u{200B}"), "alice");
    assert_eq!(clean_name("al\u{200D}ice\u{200C}"), "alice");
    assert_eq!(clean_name("\u{200B}"), "player");
    assert_eq!(clean_name("\u{202E}evil"), "evil");
    assert_eq!(clean_name("\u{2066}bob\u{2069}\u{FEFF}"), "bob");
    // Joiners that shape text stay: a Persian name with a ZWNJ, an emoji family sequence.
    assert_eq!(clean_name("می\u{200C}خواهم"), "می\u{200C}خواهم");
    assert_eq!(
        clean_name("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"),
        "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"
    );
    assert_eq!(clean_name("Zoë 日本語 🎮🎮"), "Zoë 日本語 🎮🎮");
    assert_eq!(clean_name(""), "player");
    assert_eq!(clean_name("\u{1b}[31m"), "[31m");
    assert_eq!(clean_name("abcdefghijklmnopqrstuvwxyz"), "abcdefghijklmnop");
}

/// WCAG relative luminance of 0xRRGGBB.
fn luminance(rgb: u32) -> f64 {
    let lin = |c: u32| {
        let s = f64::from(c & 0xff) / 255.0;
        if s <= 0.03928 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(rgb >> 16) + 0.7152 * lin(rgb >> 8) + 0.0722 * lin(rgb)
}

/// WCAG contrast ratio.
fn contrast(a: u32, b: u32) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn player_colours_stand_out_and_differ_for_24_joins() {
    // The browser draws the arena's floor in 0x161b22 and rings the local player in white.
    for &c in &crate::PALETTE {
        assert!(contrast(c, 0x16_1b22) >= 4.5, "{c:06x} on the floor");
        assert!(
            contrast(c, 0xff_ffff) >= 2.5,
            "{c:06x} under the white ring"
        );
    }
    let mut s = sim();
    let colours: Vec<u32> = (0..25)
        .map(|i| {
            let id = s.join(i, &format!("p{i}"));
            s.step();
            s.states(&[id])
                .first()
                .and_then(|e| e.fields.colour)
                .expect("a colour")
        })
        .collect();
    let mut first: Vec<u32> = colours[..24].to_vec();
    first.sort_unstable();
    first.dedup();
    assert_eq!(
        first.len(),
        24,
        "the first 24 players all differ: {colours:06x?}"
    );
    assert_eq!(
        colours[24], colours[0],
        "then the palette comes round again"
    );
    // The hues in use stay far apart as players join: the closest two of the first n, in palette steps of 15°.
    let step = |c: u32| {
        crate::PALETTE
            .iter()
            .position(|&p| p == c)
            .expect("a palette colour")
    };
    for n in 2..=24 {
        let steps: Vec<usize> = colours[..n].iter().map(|&c| step(c)).collect();
        let closest = steps
            .iter()
            .enumerate()
            .flat_map(|(i, a)| steps[i + 1..].iter().map(move |b| a.abs_diff(*b)))
            .map(|d| d.min(24 - d))
            .min()
            .expect("two players");
        let wanted = match n {
            ..=3 => 8,
            4..=6 => 4,
            7..=12 => 2,
            _ => 1,
        };
        assert!(
            closest >= wanted,
            "the first {n} players: two are {}° apart ({steps:?})",
            closest * 15
        );
    }
}
