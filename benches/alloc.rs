//! Heap traffic per client per tick in the steady-state hand-off path, counted by a byte-counting global
//! allocator (`cap` with its `stats` feature; the workspace forbids `unsafe`, so no hand-written allocator).
//!
//! The path is the server's: the tick driver's [`Fanout`] chooses every client's frame and puts it in the
//! tick's [`Batch`] (as `TickDriver::hand_off` does), and the fan-out [`Writer`] thread offers each frame to the
//! client's [`Outbox`], which writes it to a real loopback socket (one `send` of header and shared body, which
//! the writer stages contiguously once per tick). The reading ends are drained between ticks, outside the count. `cap` counts bytes, not calls: a figure close to
//! the frame size means one allocation of the frame per client per tick; zero means none. Run with
//! `cargo bench --bench alloc`; prints one line per scenario.

use cap::Cap;
use std::alloc::System;
use std::io::Read;
use std::sync::Arc;
use tickwire_server::config::Limits;
use tickwire_server::fanout::{Fanout, Held};
use tickwire_server::hub::Hub;
use tickwire_server::outbox::{Offer, Outbox};
use tickwire_server::writer::{Batch, Writer};
use tickwire_shared::Input;
use tickwire_sim::interest::View;
use tickwire_testkit::open_field_sim;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const CLIENTS: u64 = 1_000;
const WARMUP_TICKS: u32 = 50;
const TICKS: u32 = 200;

/// One client as both ends of the hand-off see it.
struct Client {
    out: Arc<Outbox>,
    reader: std::net::TcpStream,
    held: Held,
}

#[derive(Default)]
struct Totals {
    sim: usize,
    hand_off: usize,
    writer: usize,
    frame_bytes: usize,
    queued: usize,
}

/// `CLIENTS` loopback connections: the server ends registered with `rt`'s reactor behind outboxes.
fn clients(rt: &tokio::runtime::Runtime, limits: &Limits) -> Vec<Client> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let _guard = rt.enter();
    (0..CLIENTS)
        .map(|_| {
            let reader = std::net::TcpStream::connect(addr).expect("connect");
            reader.set_nonblocking(true).expect("nonblocking");
            let (server_end, _) = listener.accept().expect("accept");
            server_end.set_nonblocking(true).expect("nonblocking");
            server_end.set_nodelay(true).expect("nodelay");
            let tcp = tokio::net::TcpStream::from_std(server_end).expect("register");
            Client {
                out: Arc::new(Outbox::direct(Arc::new(tcp), limits.outbound_bytes)),
                reader,
                held: Held::default(),
            }
        })
        .collect()
}

fn run(rt: &tokio::runtime::Runtime, moving: bool) -> Totals {
    let limits = Limits::default();
    let mut s = open_field_sim(CLIENTS);
    let mut fanout = Fanout::new(limits.catchup_ticks, s.interest());
    let mut clients = clients(rt, &limits);
    let (hub, _receivers) = Hub::new(16, 16, 30, Default::default());
    let mut writer = Writer::spawn(hub, Default::default()).expect("writer thread");
    let mut batch: Batch = writer.ready().expect("an idle writer");
    // Let the reactor see the new sockets writable before the first write.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let mut totals = Totals::default();
    let mut scratch = vec![0u8; 1 << 20];
    for t in 0..WARMUP_TICKS + TICKS {
        let measure = t >= WARMUP_TICKS;
        let a0 = ALLOCATOR.total_allocated();
        if moving {
            for c in 0..CLIENTS {
                let a = (c as f32) * 0.37 + t as f32 * 0.01;
                let input = Input {
                    seq: t + 1,
                    dx: a.cos(),
                    dy: a.sin(),
                    aim: a,
                    buttons: 0,
                };
                s.push_input(c, &input);
            }
        }
        s.step();
        let tick = s.tick();
        let a1 = ALLOCATOR.total_allocated();
        fanout.begin(tick, s.take_changes(), s.grid());
        let written = batch.tick;
        for (key, offer) in batch.drain_results() {
            if measure && offer == Offer::Queued {
                totals.queued += 1;
            }
            if offer.accepted() {
                clients[key as usize].held = Held {
                    tick: Some(written),
                    view: View::All,
                };
            }
        }
        batch.tick = tick;
        for (key, c) in clients.iter().enumerate() {
            let (head, body) =
                fanout.frame(&mut batch, c.held, View::All, s.ack(key as u64), &mut s);
            batch.push(key as u64, &c.out, head, body);
        }
        let a2 = ALLOCATOR.total_allocated();
        writer.submit(batch);
        batch = loop {
            if let Some(b) = writer.ready() {
                break b;
            }
            std::thread::yield_now();
        };
        let a3 = ALLOCATOR.total_allocated();
        let mut frame_bytes = 0;
        for c in clients.iter_mut() {
            while let Ok(n) = c.reader.read(&mut scratch) {
                if n == 0 {
                    break;
                }
                frame_bytes += n;
            }
        }
        if measure {
            totals.sim += a1 - a0;
            totals.hand_off += a2 - a1;
            totals.writer += a3 - a2;
            totals.frame_bytes += frame_bytes;
        }
    }
    totals
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_io()
        .build()
        .expect("runtime");
    for moving in [false, true] {
        let t = run(&rt, moving);
        let per = |bytes: usize| bytes as f64 / (f64::from(TICKS) * CLIENTS as f64);
        println!(
            "alloc/{}: {CLIENTS} clients, {TICKS} ticks: {:.0} B/client/tick on the wire; heap bytes allocated per \
             client per tick: hand-off (fanout + batch) {:.1}, writer (stage + offer + send) {:.1}; sim step {:.0} B/tick; \
             frames left queued for a full socket: {}",
            if moving { "moving" } else { "idle" },
            per(t.frame_bytes),
            per(t.hand_off),
            per(t.writer),
            t.sim as f64 / f64::from(TICKS),
            t.queued,
        );
    }
}
