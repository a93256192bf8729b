//! The "crowd" scenario over real sockets: 20 crowd bots (`tickwire-bots --behaviour crowd`) walk on the
//! in-process server for 3 s, then bot 0's mirror — built from one snapshot and 90 ticks of deltas — is checked
//! entity by entity against the server's state.
//!
//! How the server's state is read without reaching into its tick thread:
//!
//! 1. At the end of the window every crowd bot sends one zero input. The server keeps applying a walker's last
//!    input, so from the next tick on no walker moves or turns, and the world stands still until someone joins
//!    or leaves. The bots stay connected for a linger of 2 s, still following the tick stream.
//! 2. Half a second into the linger (15 ticks after the stop inputs) an observer joins. Its first snapshot is
//!    the server's full state at its join tick `T_o`, encoded in one piece — a different path from the deltas
//!    bot 0 accumulated. It includes the observer's own walker, whose spawn bot 0 receives as a delta.
//! 3. When the linger ends every bot closes; bot 0's mirror at its last tick `T_b` is in the report.
//! 4. The observer then applies whatever it received for ticks up to `T_b` (empty deltas, if the world stood
//!    still; the bots' departures come at later ticks), so both mirrors describe the same tick, and they must be
//!    equal: the same entities with the same fields. That no delta between `T_o` and `T_b` spawned, changed or
//!    despawned anything is asserted too, so the state compared is the snapshot itself, i.e. the server's.
//!
//! The timing (stop, then join 0.5 s later, then close 1.5 s after that) only has to be loose: if a stop input
//! were applied after the observer's snapshot, the observer would receive a non-empty delta before `T_b`, and the
//! test says so rather than comparing the wrong things.

use std::collections::BTreeSet;
use std::time::Duration;
use tickwire_bots::{Behaviour, Config, ExitCode, Progress};
use tickwire_shared::entity::{KIND_PLAYER, position_from_wire};
use tickwire_shared::{FrameHeader, ServerMessage, peek_header};
use tickwire_sim::scenario::crowd;
use tickwire_testkit::{TestServer, WAIT};
use tokio::time::{Instant, sleep_until, timeout};

const BOTS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crowd_bot_zeros_mirror_matches_the_servers_state() {
    let server = TestServer::start_with(|c| {
        c.scenario = tickwire_sim::Scenario::Crowd;
        c.tick_rate = 30;
    })
    .await;
    let mut config = Config::new(server.ws_url(), BOTS);
    config.behaviour = Behaviour::Crowd;
    config.ramp = Duration::from_millis(500);
    config.duration = Duration::from_secs(3);
    config.linger = Duration::from_secs(2);
    let t0 = Instant::now();
    let window_end = t0 + config.ramp + config.duration;
    let bots = tokio::spawn(tickwire_bots::run(config, Progress::Off));

    // Half a second after the stop inputs, while every bot is still connected.
    sleep_until(window_end + Duration::from_millis(500)).await;
    let mut observer = server.join("observer").await;
    let t_o = observer.mirror.tick.expect("the observer holds a snapshot");
    let observer_id = observer.you().expect("the observer has a walker");
    assert!(
        Instant::now() < window_end + Duration::from_millis(1_900),
        "the observer joined too late to be seen by the bots (the machine is overloaded)"
    );

    let report = bots
        .await
        .expect("the bots' task")
        .expect("the run completes");
    let summary = tickwire_bots::render_table(&report);
    assert_eq!(report.connections.established, BOTS as u64, "{summary}");
    assert_eq!(report.connections.dropped, 0, "{summary}");
    assert_eq!(report.protocol_errors.total, 0, "{summary}");
    assert_eq!(report.exit_code(), ExitCode::Ok, "{summary}");
    assert_eq!(report.run.input_rate_hz, Some(30.0));
    let bot0 = report.bot0_mirror.clone().expect("bot 0's mirror");
    let t_b = bot0.tick.expect("bot 0 holds a tick");
    assert!(
        t_o <= t_b,
        "the observer joined at tick {t_o}, after bot 0's last tick {t_b}"
    );

    // Bring the observer to tick T_b: apply what it received for ticks up to T_b, stop at the first later one.
    let mut deltas_before_t_b = 0usize;
    while let Ok(frame) = timeout(Duration::from_millis(500), observer.recv_frame()).await {
        let frame = frame.expect("the observer stays connected");
        let tick = match peek_header(&frame) {
            Some(FrameHeader::Delta { tick, .. } | FrameHeader::Snapshot { tick, .. }) => tick,
            _ => continue,
        };
        if tick > t_b {
            break;
        }
        if let ServerMessage::Delta(d) = observer.handle_frame(&frame).expect("the frame applies") {
            deltas_before_t_b += usize::from(
                !(d.spawns.is_empty() && d.changes.is_empty() && d.despawns.is_empty()),
            );
        }
    }
    assert_eq!(
        deltas_before_t_b, 0,
        "the world changed between the observer's snapshot (tick {t_o}) and bot 0's last tick ({t_b}): \
         the walkers did not stop"
    );

    // Bot 0's mirror holds every bot's walker and the observer's, and nothing else.
    let names: BTreeSet<String> = bot0
        .entities
        .values()
        .filter(|e| e.kind == Some(KIND_PLAYER))
        .filter_map(|e| e.name.clone())
        .collect();
    let mut expected: BTreeSet<String> = (0..BOTS).map(|k| format!("bot-{k}")).collect();
    expected.insert("observer".into());
    assert_eq!(names, expected, "bot 0's mirror holds all {BOTS} players");
    assert_eq!(bot0.entities.len(), BOTS + 1);
    assert!(bot0.entities.contains_key(&observer_id));

    // The walkers walked: none is where it spawned.
    for (id, e) in bot0.entities.iter().filter(|(id, _)| **id != observer_id) {
        let (x, y) = (
            position_from_wire(e.x.expect("x")),
            position_from_wire(e.y.expect("y")),
        );
        let spawned = (0..BOTS as u32).any(|i| {
            let p = crowd::spawn_point(i);
            (p.x, p.y) == (x, y)
        });
        assert!(
            !spawned,
            "walker {id} ({:?}) is still at a spawn point",
            e.name
        );
        assert!((0.0..crowd::SIZE).contains(&x) && (0.0..crowd::SIZE).contains(&y));
    }

    // And entity by entity, field by field, it is the server's state.
    for (id, fields) in &observer.mirror.entities {
        assert_eq!(
            bot0.entities.get(id),
            Some(fields),
            "entity {id}: bot 0's mirror differs from the server's snapshot"
        );
    }
    assert_eq!(bot0.entities.len(), observer.mirror.entities.len());
    server.shutdown(WAIT).await;
}
