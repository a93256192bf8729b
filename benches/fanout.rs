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

/// How the server puts a client's frame on its socket: its own few header bytes, then the body every client
/// shares. Three ways, at 1,000 clients: `writev` of the two parts; the header written into room kept in front of
/// one staged copy of the body, then one `write` (what `server/src/writer.rs` does); and the floor's `write` of
/// one buffer, for reference. The header is 12 bytes, a WebSocket header and a message head.
fn bench_frame(c: &mut Criterion) {
    use std::io::IoSlice;
    let mut group = c.benchmark_group("frame");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    let clients = 1000usize;
    for payload in [1400usize, 3200] {
        let mut socks = pairs(clients);
        let body = vec![0xa5u8; payload];
        let head = [0x82u8; 12];
        let mut staged = vec![0u8; 32 + payload];
        staged[32..].copy_from_slice(&body);
        let whole = [&head[..], &body[..]].concat();
        group.throughput(Throughput::Elements(clients as u64));
        let mut run = |name: &str, write: &mut dyn FnMut(&mut TcpStream, usize)| {
            group.bench_function(BenchmarkId::new(name, payload), |b| {
                b.iter_custom(|rounds| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..rounds {
                        let start = Instant::now();
                        for (i, (w, _)) in socks.iter_mut().enumerate() {
                            write(w, i);
                        }
                        spent += start.elapsed();
                        drain(&mut socks);
                    }
                    spent
                })
            });
        };
        run("writev head+body", &mut |w, _| {
            let n = w
                .write_vectored(&[IoSlice::new(&head), IoSlice::new(&body)])
                .expect("writev");
            assert_eq!(n, head.len() + body.len(), "a short writev");
        });
        run("head into room + write", &mut |w, _| {
            let room = 32 - head.len();
            staged[room..32].copy_from_slice(&head);
            w.write_all(&staged[room..]).expect("write");
        });
        run("write of one buffer", &mut |w, _| {
            w.write_all(&whole).expect("write");
        });
    }
    group.finish();
}

criterion_group!(benches, bench_floor, bench_frame);
criterion_main!(benches);
