//! One server tick for 1,000 and 10,000 moving players: apply inputs, step, build the delta, encode the shared
//! body once, and frame it for every client. This is the per-tick CPU cost before any socket write; run with
//! `cargo bench --bench tick`. Figures go to docs/BENCHMARKS.md.

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tickwire_server::fanout::{Fanout, Held};
use tickwire_server::writer::Batch;
use tickwire_shared::Input;
use tickwire_shared::codec::{
    delta_frame, delta_frame_in, encode_delta_body, encode_snapshot_body,
};
use tickwire_sim::Sim;
use tickwire_sim::interest::ViewAsset;
use tickwire_testkit::{open_field_sim, open_field_sim_with};

/// Clients framed per tick in `frame_all`: 1,000 in both sizes (10,000 entities are watched by 1,000 clients,
/// not 10,000: the capacity target is 2,000 players on one core).
const CLIENTS: u64 = 1_000;

fn feed_inputs(sim: &mut Sim, players: u64, seq: u32) {
    for c in 0..players {
        let a = (c as f32) * 0.37 + seq as f32 * 0.01;
        sim.push_input(
            c,
            &Input {
                seq,
                dx: a.cos(),
                dy: a.sin(),
                aim: a,
                buttons: 0,
            },
        );
    }
}

fn bench_tick(c: &mut Criterion) {
    for players in [1_000, 10_000] {
        bench_players(c, players);
    }
    bench_interest(c);
}

/// The tick driver's whole per-tick CPU before the writer, for 2,000 wandering players on an 8000 × 8000 field:
/// inputs, step, and every client's frame (the distinct bodies encoded once each), without interest management
/// (everyone sees all 2,000) and with it: cells of 300 seen 2 cells around, or cells of 600 seen 1 around (both
/// about 100 players in view; the second encodes each cell into 9 views instead of 25).
fn bench_interest(c: &mut Criterion) {
    const PLAYERS: u64 = 2_000;
    let mut group = c.benchmark_group("hand_off_2000_players");
    group.throughput(Throughput::Elements(PLAYERS));
    for (name, view) in [
        ("see_all", None),
        (
            "view_300x2",
            Some(ViewAsset {
                cell: 300.0,
                radius: 2,
            }),
        ),
        (
            "view_600x1",
            Some(ViewAsset {
                cell: 600.0,
                radius: 1,
            }),
        ),
    ] {
        let mut s = open_field_sim_with(PLAYERS, 8000.0, view);
        let mut fanout = Fanout::new(8, s.interest());
        let mut held = vec![Held::default(); PLAYERS as usize];
        let mut seq = 0;
        let mut tick = |s: &mut Sim, held: &mut [Held], fanout: &mut Fanout| {
            seq += 1;
            feed_inputs(s, PLAYERS, seq);
            s.step();
            let tick = s.tick();
            fanout.begin(tick, s.take_changes(), s.grid());
            let mut batch = Batch::default();
            for (key, h) in held.iter_mut().enumerate() {
                let key = key as u64;
                let to = fanout.view_for(s.player_id(key), h.view);
                black_box(fanout.frame(&mut batch, *h, to, s.ack(key), s));
                *h = Held {
                    tick: Some(tick),
                    view: to,
                };
            }
            fanout.bodies()
        };
        for _ in 0..30 {
            tick(&mut s, &mut held, &mut fanout);
        }
        println!(
            "{name}: {} distinct bodies per tick",
            tick(&mut s, &mut held, &mut fanout)
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(tick(&mut s, &mut held, &mut fanout)))
        });
    }
    group.finish();
}

fn bench_players(c: &mut Criterion, players: u64) {
    let mut group = c.benchmark_group(format!("tick_{players}_players"));
    group.throughput(Throughput::Elements(players));

    let mut s = open_field_sim(players);
    let mut seq = 0;
    group.bench_function("inputs+step", |b| {
        b.iter(|| {
            seq += 1;
            feed_inputs(&mut s, players, seq);
            black_box(s.step().changes.len())
        })
    });

    let mut s = open_field_sim(players);
    let mut seq = 0;
    group.bench_function("inputs+step+encode+frame_1000_clients", |b| {
        b.iter(|| {
            seq += 1;
            feed_inputs(&mut s, players, seq);
            let ch = s.step();
            let body =
                encode_delta_body(&ch.spawns, &ch.changes, &ch.despawns, &ch.events, &ch.moves);
            let tick = s.tick();
            let mut bytes = 0;
            for client in 0..CLIENTS {
                bytes += delta_frame(tick, tick - 1, s.ack(client), &body).len();
            }
            black_box(bytes)
        })
    });

    let mut s = open_field_sim(players);
    feed_inputs(&mut s, players, 1);
    let ch = s.step().clone();
    group.bench_function("encode_delta_body", |b| {
        b.iter(|| {
            black_box(
                encode_delta_body(&ch.spawns, &ch.changes, &ch.despawns, &ch.events, &ch.moves)
                    .len(),
            )
        })
    });
    let body = encode_delta_body(&ch.spawns, &ch.changes, &ch.despawns, &ch.events, &ch.moves);
    // Framing alone, as the tick driver does it: every client's frame is held (queued) until all are built, then
    // all are dropped (written by the sessions). `alloc` allocates each frame; `kept_buffer` writes it into the
    // client's own buffer, whose allocation comes back once the frame is dropped (the server's path).
    let mut held = Vec::with_capacity(CLIENTS as usize);
    group.bench_function("frame_1000_clients/alloc", |b| {
        b.iter(|| {
            for client in 0..CLIENTS {
                held.push(delta_frame(7, 6, client as u32, &body));
            }
            held.clear();
        })
    });
    let mut bufs: Vec<BytesMut> = (0..CLIENTS).map(|_| BytesMut::new()).collect();
    group.bench_function("frame_1000_clients/kept_buffer", |b| {
        b.iter(|| {
            for (client, buf) in bufs.iter_mut().enumerate() {
                held.push(delta_frame_in(buf, 7, 6, client as u32, &body));
            }
            held.clear();
        })
    });
    println!(
        "delta body for {players} moving players: {} bytes ({:.1} bytes/player)",
        body.len(),
        body.len() as f64 / players as f64
    );
    // The body above is the first step after the players spawned (up to 100 on each spawn point, so the
    // separation pushes some far in that step); a later tick shows the steady cost of walking players.
    let mut steady = open_field_sim(players);
    for seq in 1..=30 {
        feed_inputs(&mut steady, players, seq);
        steady.step();
    }
    feed_inputs(&mut steady, players, 31);
    let ch = steady.step();
    let body = encode_delta_body(&ch.spawns, &ch.changes, &ch.despawns, &ch.events, &ch.moves);
    println!(
        "delta body for {players} moving players, 1 s later: {} bytes ({:.1} bytes/player; {} changes, {} moves)",
        body.len(),
        body.len() as f64 / players as f64,
        ch.changes.len(),
        ch.moves.len()
    );

    group.bench_function("snapshot+encode", |b| {
        b.iter_batched(
            || (),
            |_| black_box(encode_snapshot_body(&s.snapshot()).len()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench_tick
}
criterion_main!(benches);
