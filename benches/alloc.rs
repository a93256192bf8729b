//! Heap traffic per client per tick in the steady-state hand-off path, counted by a byte-counting global
//! allocator (`cap` with its `stats` feature; the workspace forbids `unsafe`, so no hand-written allocator).
//!
//! The path is the server's: the tick driver's [`Fanout`] builds every client's frame and `try_send`s it into
//! the client's bounded queue (as `TickDriver::hand_off` does), then each session drains its queue into its
//! `WebSocketStream` (feed every frame, flush once) with the server's `ws_config`, writing into a sink.
//! `cap` counts bytes, not calls: a figure close to the frame size means one allocation of the frame per client
//! per tick; zero means none. Run with `cargo bench --bench alloc`; prints one line per scenario.

use bytes::Bytes;
use cap::Cap;
use futures_util::SinkExt;
use std::alloc::System;
use tickwire_server::config::Limits;
use tickwire_server::fanout::Fanout;
use tickwire_server::http::ws_config;
use tickwire_shared::Input;
use tickwire_sim::assets::Point;
use tickwire_sim::{MapAsset, RulesAsset, Sim, SimConfig};
use tokio::io::{Empty, Join, Sink};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const CLIENTS: u64 = 1_000;
const WARMUP_TICKS: u32 = 50;
const TICKS: u32 = 200;

type Ws = WebSocketStream<Join<Empty, Sink>>;

fn sim(players: u64) -> Sim {
    let spawns = (0..100)
        .map(|i| Point {
            x: 100.0 + (i % 10) as f32 * 380.0,
            y: 100.0 + (i / 10) as f32 * 380.0,
        })
        .collect();
    let map = MapAsset {
        width: 4000.0,
        height: 4000.0,
        walls: Vec::new(),
        spawns,
    };
    let mut sim = Sim::new(SimConfig {
        map,
        rules: RulesAsset::default_rules(),
        tick_rate: 30,
        seed: 1,
        scenario: Default::default(),
    })
    .expect("valid");
    for c in 0..players {
        sim.join(c, &format!("bot-{c}"));
    }
    sim.step();
    sim
}

/// One client as both ends of the hand-off see it.
struct Client {
    tx: mpsc::Sender<Bytes>,
    rx: mpsc::Receiver<Bytes>,
    ws: Ws,
    last_sent: Option<u32>,
    buf: bytes::BytesMut,
}

#[derive(Default)]
struct Totals {
    sim: usize,
    hand_off: usize,
    session: usize,
    frame_bytes: usize,
}

fn run(rt: &tokio::runtime::Runtime, moving: bool) -> Totals {
    let limits = Limits::default();
    let mut s = sim(CLIENTS);
    let mut fanout = Fanout::new(limits.catchup_ticks);
    let mut clients: Vec<Client> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..CLIENTS {
            let (tx, rx) = mpsc::channel(limits.outbound_queue);
            let io = tokio::io::join(tokio::io::empty(), tokio::io::sink());
            let ws =
                WebSocketStream::from_raw_socket(io, Role::Server, Some(ws_config(&limits))).await;
            v.push(Client {
                tx,
                rx,
                ws,
                last_sent: None,
                buf: bytes::BytesMut::new(),
            });
        }
        v
    });
    let mut totals = Totals::default();
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
        fanout.begin(tick, s.take_changes());
        let mut frame_bytes = 0;
        for (key, c) in clients.iter_mut().enumerate() {
            let frame = fanout.frame_in(&mut c.buf, c.last_sent, s.ack(key as u64), &mut s);
            frame_bytes += frame.len();
            if c.tx.try_send(frame).is_ok() {
                c.last_sent = Some(tick);
            }
        }
        let a2 = ALLOCATOR.total_allocated();
        rt.block_on(async {
            for c in clients.iter_mut() {
                while let Ok(f) = c.rx.try_recv() {
                    c.ws.feed(Message::Binary(f)).await.expect("feed");
                }
                c.ws.flush().await.expect("flush");
            }
        });
        let a3 = ALLOCATOR.total_allocated();
        if measure {
            totals.sim += a1 - a0;
            totals.hand_off += a2 - a1;
            totals.session += a3 - a2;
            totals.frame_bytes += frame_bytes;
        }
    }
    totals
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for moving in [false, true] {
        let t = run(&rt, moving);
        let per = |bytes: usize| bytes as f64 / (f64::from(TICKS) * CLIENTS as f64);
        println!(
            "alloc/{}: {CLIENTS} clients, {TICKS} ticks: frame {:.0} B/client/tick; heap bytes allocated per client \
             per tick: hand-off (fanout + try_send) {:.1}, session (feed + flush) {:.1}; sim step {:.0} B/tick",
            if moving { "moving" } else { "idle" },
            per(t.frame_bytes),
            per(t.hand_off),
            per(t.session),
            t.sim as f64 / f64::from(TICKS),
        );
    }
}
