//! What a client pays per delta: decoding a frame (`decode_server`) and applying it to its `Mirror`, for deltas
//! in which 100 and 1,000 players moved. This is the cost of a decoder bot beyond reading the socket (see
//! docs/BENCHMARKS.md, "Bots per core"); run with `cargo bench --bench client`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tickwire_client::apply_frame;
use tickwire_shared::codec::{
    decode_server, delta_frame, encode_delta_body, encode_snapshot_body, snapshot_frame,
};
use tickwire_shared::{Input, Mirror};
use tickwire_testkit::open_field_sim;

fn bench_client(c: &mut Criterion) {
    for players in [100u64, 1_000] {
        let mut sim = open_field_sim(players);
        let step = |sim: &mut tickwire_sim::Sim, seq: u32| {
            for p in 0..players {
                let a = (p as f32) * 0.37 + seq as f32 * 0.01;
                let input = Input {
                    seq,
                    dx: a.cos(),
                    dy: a.sin(),
                    aim: a,
                    buttons: 0,
                };
                sim.push_input(p, &input);
            }
            sim.step().clone()
        };
        for seq in 1..=30 {
            step(&mut sim, seq);
        }
        let snapshot = snapshot_frame(sim.tick(), 0, &encode_snapshot_body(&sim.snapshot()));
        let mut base = Mirror::new();
        apply_frame(&mut base, &mut None, &snapshot).expect("the snapshot applies");
        let ch = step(&mut sim, 31);
        let body = encode_delta_body(&ch.spawns, &ch.changes, &ch.despawns, &ch.events, &ch.moves);
        let frame = delta_frame(sim.tick(), sim.tick() - 1, 0, &body);
        let decoded = decode_server(&frame).expect("the delta decodes");
        {
            let mut check = base.clone();
            apply_frame(&mut check, &mut None, &frame).expect("the delta applies");
            assert_eq!(check.tick, Some(sim.tick()));
        }
        println!(
            "delta for {players} moving players: {} bytes, {} moves, {} changes",
            frame.len(),
            ch.moves.len(),
            ch.changes.len()
        );

        let mut group = c.benchmark_group(format!("client_{players}_players"));
        group.throughput(Throughput::Elements(players));
        group.bench_function("decode", |b| {
            b.iter(|| black_box(decode_server(&frame).map(|_| ()).is_ok()))
        });
        group.bench_function("apply", |b| {
            b.iter_batched(
                || base.clone(),
                // The mirror is returned, so that freeing it is not timed (criterion drops outputs afterwards).
                |mut m| {
                    let ok = m.apply(&decoded).is_ok();
                    (black_box(ok), m)
                },
                BatchSize::SmallInput,
            )
        });
        // A load-test process keeps one mirror per bot: each delta lands on a mirror the cache has not held since
        // that bot's previous delta. 200 mirrors in turn (their tick set back after each apply, so the same delta
        // applies again; the positions drift by one move each time).
        let mut mirrors = vec![base.clone(); 200];
        let mut next = 0;
        group.bench_function("apply, 200 mirrors in turn", |b| {
            b.iter(|| {
                let m = &mut mirrors[next];
                next = (next + 1) % 200;
                let ok = m.apply(&decoded).is_ok();
                m.tick = base.tick;
                black_box(ok)
            })
        });
        group.bench_function("decode+apply", |b| {
            b.iter_batched(
                || base.clone(),
                |mut m| {
                    let ok = apply_frame(&mut m, &mut None, &frame).is_ok();
                    (black_box(ok), m)
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = bench_client
}
criterion_main!(benches);
