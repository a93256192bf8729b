//! The write floor, measured the way the server writes: N loopback TCP connections whose readers wait for data
//! in epoll (one tokio task per socket on a reader thread, as a client process would), and one `write()` of a
//! `PAYLOAD`-byte message to each per round, rounds paced at `HZ` so the readers are asleep when data arrives.
//! Prints the median over the rounds of the writing thread's time per write: the cost of one write per client
//! per tick, including the kernel's loopback delivery and the reader's wake-up that the sender pays for.
//! `benches/load.sh` runs it right after its load window with the same client count, delta size and tick rate,
//! so the server's CPU per client per tick can be compared with it from one run.
//!
//! `cargo bench --bench floor -- N PAYLOAD HZ SECONDS` (defaults 1000 1400 30 5). Run it pinned to one core
//! (`taskset -c 0`) on a machine whose other core is free for the readers.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .filter(|a| !a.starts_with('-'))
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let n = arg(1, 1000) as usize;
    let payload = arg(2, 1400) as usize;
    let hz = arg(3, 30).max(1);
    let seconds = arg(4, 5).max(1);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut writers = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    for _ in 0..n {
        let w = TcpStream::connect(addr)?;
        let (r, _) = listener.accept()?;
        w.set_nodelay(true)?;
        r.set_nonblocking(true)?;
        writers.push(w);
        readers.push(r);
    }
    // The readers: one task per socket, each blocked in the reactor until its data arrives.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("floor-readers".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("reader runtime");
            rt.block_on(async move {
                for r in readers {
                    let mut r = tokio::net::TcpStream::from_std(r).expect("register");
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = r.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                        }
                    });
                }
                let _ = ready_tx.send(());
                std::future::pending::<()>().await;
            });
        })?;
    let _ = ready_rx.recv();
    let message = vec![0xa5u8; payload];
    let period = Duration::from_secs_f64(1.0 / hz as f64);
    let rounds = (hz * seconds) as usize;
    let mut per_write = Vec::with_capacity(rounds);
    let mut next = Instant::now() + period;
    for round in 0..rounds + hz as usize {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next += period;
        let start = Instant::now();
        for w in writers.iter_mut() {
            w.write_all(&message)?;
        }
        // The first second warms up the connections (slow start, buffer growth); it is not counted.
        if round >= hz as usize {
            per_write.push(start.elapsed().as_secs_f64() * 1e6 / n as f64);
        }
    }
    per_write.sort_by(f64::total_cmp);
    let median = per_write[per_write.len() / 2];
    let p90 = per_write[per_write.len() * 9 / 10];
    println!(
        "floor clients={n} payload_bytes={payload} hz={hz} rounds={} floor_us_per_write={median:.2} floor_p90_us_per_write={p90:.2}",
        per_write.len()
    );
    Ok(())
}
