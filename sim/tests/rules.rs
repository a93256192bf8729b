//! The arena's rules, one test each, on a bare simulation: no sockets, no server, just `Sim` and its world.

use glam::Vec2;
use tickwire_shared::entity::{FLAG_DEAD, KIND_PROJECTILE, position_from_wire};
use tickwire_shared::{BUTTON_FIRE, Event, Input, Wall};
use tickwire_sim::assets::Point;
use tickwire_sim::components::{Clients, Position};
use tickwire_sim::{MapAsset, RulesAsset, Sim, SimConfig};

const TICK_RATE: u16 = 30;

/// An open 1000×1000 arena with one wall in the middle of the right half and spawns in the corners.
fn arena() -> MapAsset {
    MapAsset {
        width: 1000.0,
        height: 1000.0,
        walls: vec![Wall {
            x: 700.0,
            y: 400.0,
            w: 40.0,
            h: 200.0,
        }],
        spawns: vec![
            Point { x: 50.0, y: 50.0 },
            Point { x: 950.0, y: 950.0 },
            Point { x: 50.0, y: 950.0 },
        ],
        view: None,
    }
}

fn sim() -> Sim {
    let config = SimConfig {
        map: arena(),
        rules: RulesAsset::default_rules(),
        tick_rate: TICK_RATE,
        seed: 1,
        scenario: Default::default(),
    };
    Sim::new(config).expect("valid")
}

fn place(sim: &mut Sim, client: u64, x: f32, y: f32) {
    let entity = sim.world_mut().resource::<Clients>().0[&client];
    sim.world_mut()
        .get_mut::<Position>(entity)
        .expect("player has a position")
        .0 = Vec2::new(x, y);
}

/// Sends `client` one input per call with an increasing sequence number.
struct Pad {
    client: u64,
    seq: u32,
}

impl Pad {
    fn press(&mut self, sim: &mut Sim, dx: f32, dy: f32, aim: f32, fire: bool) {
        self.seq += 1;
        let buttons = if fire { BUTTON_FIRE } else { 0 };
        sim.push_input(
            self.client,
            &Input {
                seq: self.seq,
                dx,
                dy,
                aim,
                buttons,
            },
        );
    }
}

fn row(sim: &mut Sim, client: u64) -> tickwire_sim::ScoreRow {
    sim.scoreboard()
        .into_iter()
        .find(|r| r.client == client)
        .expect("player on the scoreboard")
}

fn fields(sim: &mut Sim, client: u64) -> tickwire_shared::EntityFields {
    let id = sim.player_id(client).expect("player");
    sim.snapshot()
        .into_iter()
        .find(|e| e.id == id)
        .expect("in snapshot")
        .fields
}

#[test]
fn walls_stop_players() {
    let mut s = sim();
    s.join(1, "a");
    place(&mut s, 1, 650.0, 500.0);
    let mut pad = Pad { client: 1, seq: 0 };
    for _ in 0..30 {
        pad.press(&mut s, 1.0, 0.0, 0.0, false);
        s.step();
    }
    let p = s.player_position(1).expect("player");
    assert!(
        (p.x - (700.0 - 16.0)).abs() < 0.01,
        "player should rest against the wall's left face, is at {p:?}"
    );
}

#[test]
fn players_cannot_overlap() {
    let mut s = sim();
    s.join(1, "a");
    s.join(2, "b");
    place(&mut s, 1, 500.0, 500.0);
    place(&mut s, 2, 510.0, 500.0);
    s.step();
    let (a, b) = (
        s.player_position(1).expect("a"),
        s.player_position(2).expect("b"),
    );
    assert!(a.distance(b) >= 32.0 - 1e-3, "players overlap: {a:?} {b:?}");
    // Walking into each other keeps them apart too.
    let (mut pa, mut pb) = (Pad { client: 1, seq: 0 }, Pad { client: 2, seq: 0 });
    for _ in 0..20 {
        pa.press(&mut s, 1.0, 0.0, 0.0, false);
        pb.press(&mut s, -1.0, 0.0, 0.0, false);
        s.step();
    }
    let (a, b) = (
        s.player_position(1).expect("a"),
        s.player_position(2).expect("b"),
    );
    assert!(
        a.distance(b) >= 32.0 - 1e-3,
        "players pushed through each other: {a:?} {b:?}"
    );
}

#[test]
fn the_fire_cooldown_holds_under_input_spam() {
    let mut s = sim();
    s.join(1, "spammer");
    place(&mut s, 1, 100.0, 500.0);
    let mut pad = Pad { client: 1, seq: 0 };
    let mut shots = 0;
    for _ in 0..TICK_RATE {
        for _ in 0..5 {
            pad.press(&mut s, 0.0, 0.0, 0.0, true); // five fire inputs per tick
        }
        shots += s
            .step()
            .spawns
            .iter()
            .filter(|e| e.fields.kind == Some(KIND_PROJECTILE))
            .count();
    }
    // fire_cooldown = 0.25 s = 8 ticks at 30 Hz: shots at ticks 1, 9, 17, 25 in one second.
    assert_eq!(
        shots, 4,
        "one second of spamming fire must give 4 shots, got {shots}"
    );
}

#[test]
fn projectiles_hit_players_and_miss_when_aimed_away() {
    let mut s = sim();
    s.join(1, "shooter");
    s.join(2, "target");
    place(&mut s, 1, 100.0, 200.0);
    place(&mut s, 2, 300.0, 200.0);
    let mut pad = Pad { client: 1, seq: 0 };
    pad.press(&mut s, 0.0, 0.0, 0.0, true); // aim right, at the target
    for _ in 0..15 {
        s.step();
    }
    assert_eq!(
        fields(&mut s, 2).health,
        Some(75),
        "a hit takes projectile_damage (25)"
    );

    pad.press(&mut s, 0.0, 0.0, std::f32::consts::PI, true); // aim left, away
    for _ in 0..60 {
        s.step();
    }
    assert_eq!(
        fields(&mut s, 2).health,
        Some(75),
        "a shot aimed away must miss"
    );
    let live_projectiles = s
        .snapshot()
        .iter()
        .filter(|e| e.fields.kind == Some(KIND_PROJECTILE))
        .count();
    assert_eq!(
        live_projectiles, 0,
        "missed shots vanish at the edge or at the end of their lifetime"
    );
}

#[test]
fn projectiles_stop_at_walls() {
    let mut s = sim();
    s.join(1, "shooter");
    s.join(2, "hidden");
    place(&mut s, 1, 600.0, 500.0);
    place(&mut s, 2, 800.0, 500.0); // behind the wall at x 700–740
    let mut pad = Pad { client: 1, seq: 0 };
    pad.press(&mut s, 0.0, 0.0, 0.0, true);
    let mut despawned_at = None;
    for t in 0..20 {
        if !s.step().despawns.is_empty() {
            despawned_at.get_or_insert(t);
        }
    }
    assert_eq!(
        fields(&mut s, 2).health,
        Some(100),
        "the wall must shield the player behind it"
    );
    assert!(
        despawned_at.is_some_and(|t| t <= 5),
        "the projectile should end at the wall within a few ticks"
    );
}

#[test]
fn death_scores_and_respawns_after_the_delay() {
    let mut s = sim();
    s.join(1, "killer");
    s.join(2, "victim");
    place(&mut s, 1, 100.0, 200.0);
    place(&mut s, 2, 250.0, 200.0);
    let victim_id = s.player_id(2).expect("victim");
    let killer_id = s.player_id(1).expect("killer");
    let mut pad = Pad { client: 1, seq: 0 };
    let mut kill_tick = None;
    let mut events = Vec::new();
    for _ in 0..60 {
        pad.press(&mut s, 0.0, 0.0, 0.0, true);
        let ch = s.step();
        if !ch.events.is_empty() {
            events.extend(ch.events.clone());
            kill_tick.get_or_insert(s.tick());
        }
    }
    let kill_tick = kill_tick.expect("four hits of 25 kill a 100-health player within 2 s");
    assert_eq!(
        events,
        vec![Event::Kill {
            killer: killer_id,
            victim: victim_id
        }],
        "exactly one kill"
    );
    let k = row(&mut s, 1);
    let v = row(&mut s, 2);
    assert_eq!(
        (k.kills, k.deaths, k.score),
        (1, 0, 1),
        "the killer scores kill_score"
    );
    assert_eq!(
        (v.kills, v.deaths, v.score),
        (0, 1, 0),
        "the victim gets a death"
    );

    // Dead: flagged, not hit again, respawns exactly respawn_delay (2 s = 60 ticks) after death.
    while s.tick() < kill_tick + 59 {
        s.step();
        assert_eq!(
            fields(&mut s, 2).flags,
            Some(FLAG_DEAD),
            "dead until the delay is over (tick {})",
            s.tick()
        );
    }
    s.step();
    let f = fields(&mut s, 2);
    assert_eq!(
        (f.flags, f.health),
        (Some(0), Some(100)),
        "respawned at tick {} with full health",
        s.tick()
    );
    let p = Vec2::new(
        position_from_wire(f.x.unwrap_or(0)),
        position_from_wire(f.y.unwrap_or(0)),
    );
    // The killer stands near (100, 200): the farthest spawn from it is (950, 950).
    assert!(
        p.distance(Vec2::new(950.0, 950.0)) < 1.0,
        "respawn at the spawn farthest from enemies, got {p:?}"
    );
}

#[test]
fn duplicate_names_are_made_distinguishable() {
    let mut s = sim();
    s.join(1, "ann");
    s.join(2, "ann");
    s.join(3, "  ann ");
    let names: Vec<String> = s.scoreboard().into_iter().map(|r| r.name).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["ann", "ann #2", "ann #3"]);
    // The name each plays under, as the server logs it.
    assert_eq!(s.player_name(2).as_deref(), Some("ann #2"));
    assert_eq!(s.player_name(4), None);
}

/// A scripted match: joins, wandering, shooting, a leave and a late join.
fn scripted_match(s: &mut Sim, ticks: u32) -> Vec<u64> {
    let mut hashes = Vec::new();
    let mut seqs = [0u32; 4];
    for t in 0..ticks {
        if t == 0 {
            for c in 0..3u64 {
                s.join(c, &format!("p{c}"));
            }
        }
        if t == 200 {
            s.leave(1);
        }
        if t == 250 {
            s.join(3, "late");
        }
        for c in 0..4u64 {
            let k = c as usize;
            seqs[k] += 1;
            // Wander around the middle and shoot at the next player.
            let Some(me) = s.player_position(c) else {
                continue;
            };
            let wobble = (t as f32 * 0.05) + c as f32 * 2.0;
            let goal = Vec2::new(500.0, 500.0) + Vec2::from_angle(wobble) * 150.0 - me;
            let target = (1..4)
                .map(|d| (c + d) % 4)
                .find_map(|o| s.player_position(o))
                .unwrap_or(me);
            let aim = (target - me).to_angle() + (t as f32 * 0.7).sin() * 0.1;
            let dir = goal.normalize_or_zero();
            let input = Input {
                seq: seqs[k],
                dx: dir.x,
                dy: dir.y,
                aim,
                buttons: (t % 3 == 0) as u8,
            };
            s.push_input(c, &input);
        }
        s.step();
        hashes.push(s.state_hash());
    }
    hashes
}

#[test]
fn the_same_input_log_gives_the_same_state_every_tick() {
    let (mut a, mut b) = (sim(), sim());
    let ha = scripted_match(&mut a, 400);
    let hb = scripted_match(&mut b, 400);
    assert_eq!(ha.len(), hb.len());
    for (t, (x, y)) in ha.iter().zip(&hb).enumerate() {
        assert_eq!(x, y, "state hashes differ at tick {t}");
    }
    assert_ne!(ha[10], ha[11], "the state actually changes");
}

#[test]
fn a_recorded_match_replays_to_the_same_scoreboard() {
    let mut live = sim();
    live.start_recording();
    scripted_match(&mut live, 400);
    let recording = live.take_recording().expect("recording");
    let bytes = recording.to_bytes();
    let decoded = tickwire_sim::Recording::from_bytes(&bytes).expect("decodes");
    let mut replayed = Sim::replay(&decoded).expect("replays");
    assert_eq!(replayed.tick(), live.tick());
    let board = live.scoreboard();
    assert!(
        board.iter().map(|r| r.deaths).sum::<u16>() > 0,
        "the scripted match should contain kills: {board:?}"
    );
    assert_eq!(replayed.scoreboard(), board);
    assert_eq!(replayed.state_hash(), live.state_hash());
}
