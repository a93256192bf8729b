//! The physical floor under fan-out: N loopback TCP sockets, one `write()` of a delta-sized payload to each per
//! round, as a server must do once per client per tick. Only the writes are timed (the reading side is drained
//! outside the measurement). Compare the server's CPU per client per tick (from the load scenario) with
//! `floor/…/per write` here, measured on the same machine: the performance target is ≤ 1.5× this floor.
//! Run with `cargo bench --bench fanout`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// `n` connected loopback pairs: (writer, reader).
fn pairs(n: usize) -> Vec<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    (0..n)
        .map(|_| {
            let w = TcpStream::connect(addr).expect("connect");
            let (r, _) = listener.accept().expect("accept");
            w.set_nodelay(true).expect("nodelay");
            r.set_nonblocking(true).expect("nonblocking");
            (w, r)
        })
        .collect()
}

fn drain(readers: &mut [(TcpStream, TcpStream)]) {
    let mut buf = [0u8; 64 * 1024];
    for (_, r) in readers.iter_mut() {
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    }
}

fn bench_floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    for clients in [100usize, 1000] {
        // 64 B: a small delta; 1,400 B: a 100-player delta at ~14 bytes per player.
        for payload in [64usize, 1400] {
            let mut socks = pairs(clients);
            let bytes = vec![0xa5u8; payload];
            group.throughput(Throughput::Elements(clients as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("{payload}B"), clients),
                &clients,
                |b, _| {
                    b.iter_custom(|rounds| {
                        let mut spent = Duration::ZERO;
                        for _ in 0..rounds {
                            let start = Instant::now();
                            for (w, _) in socks.iter_mut() {
                                w.write_all(&bytes).expect("write");
                            }
                            spent += start.elapsed();
                            drain(&mut socks);
                        }
                        spent
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_floor);
criterion_main!(benches);
