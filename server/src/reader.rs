//! The read pass thread: once per tick, just before the tick starts, it reads every joined plain-TCP client's
//! socket once and queues what arrived for the tick.
//!
//! Reading an input in the client's session costs an epoll wake-up, a task wake-up and poll, and two `recv`s —
//! and the client's `send` pays for waking the server's reactor too. So once a plain-TCP session has joined, it
//! hands reading to this thread ([`crate::inlet`]: the socket's receive low-water mark keeps arriving inputs from
//! waking anyone). The thread sleeps until shortly before the next tick (the tick driver tells it when that is),
//! does one non-blocking `recv` per client ([`Inlet::pass`]), puts inputs on the hub's input queue exactly as a
//! session would, and answers game pings through the client's outbox. The tick itself never touches a socket: it
//! drains the queue.
//!
//! The pass starts `lead` before the tick, where `lead` follows the longest recent pass (with a margin), so that
//! it normally finishes before the tick starts; inputs it reads after the tick drained the queue wait for the
//! next tick. Under [`Scheduling::Auto`] the thread runs `SCHED_FIFO` one priority below the tick thread when it
//! may: it starts on time, and the tick preempts it if it runs long.

use crate::hub::{ClientKey, Hub};
use crate::inlet::{Inlet, PassBuffers};
use crate::outbox::Outbox;
use crate::sched::Scheduling;
use dashmap::DashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};
use tickwire_shared::{ClientMessage, Pong, ServerMessage, encode_server};

/// The shortest lead: the pass starts at least this long before the tick.
const MIN_LEAD: Duration = Duration::from_micros(500);

/// How many clients ahead the pass asks for their state to be loaded into the cache (their sockets' half as
/// far ahead): a client's turn takes a few microseconds, several loads from memory.
pub(crate) const PREFETCH_AHEAD: usize = 4;

/// How many recent passes the lead looks back at.
const LEAD_WINDOW: usize = 64;

/// The clients whose reading their sessions handed to the pass (plain TCP, joined), shared by the sessions (which
/// add and remove themselves) and the reader thread.
#[derive(Debug, Default)]
pub struct Readers {
    clients: DashMap<ClientKey, (Arc<Inlet>, Arc<Outbox>)>,
    /// Bumped on every change, so the thread re-reads the list only when it changed.
    generation: AtomicU64,
}

impl Readers {
    /// Adds a client to the pass (its session decides, through the inlet, when the pass may read it).
    pub fn add(&self, key: ClientKey, inlet: Arc<Inlet>, out: Arc<Outbox>) {
        self.clients.insert(key, (inlet, out));
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Removes a client from the pass.
    pub fn remove(&self, key: ClientKey) {
        if self.clients.remove(&key).is_some() {
            self.generation.fetch_add(1, Ordering::Release);
        }
    }

    /// How many clients the pass reads.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether the pass is reading this client now.
    pub fn is_reading(&self, key: ClientKey) -> bool {
        self.clients
            .get(&key)
            .is_some_and(|e| e.value().0.is_fast())
    }

    /// Whether the pass reads nobody.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    fn snapshot(&self, into: &mut Vec<(ClientKey, Arc<Inlet>, Arc<Outbox>)>) {
        into.clear();
        into.extend(
            self.clients
                .iter()
                .map(|e| (*e.key(), e.value().0.clone(), e.value().1.clone())),
        );
    }
}

/// The tick driver's handle on the reader thread: it tells the thread when each tick starts. Dropping it stops
/// the thread.
#[derive(Debug)]
pub struct Reader {
    schedule: SyncSender<Instant>,
}

impl Reader {
    /// Starts the reader thread.
    pub fn spawn(hub: Arc<Hub>, scheduling: Scheduling) -> std::io::Result<Reader> {
        let (schedule, next_tick) = sync_channel::<Instant>(1);
        std::thread::Builder::new()
            .name("tickwire-reader".into())
            .spawn(move || {
                scheduling.reader_thread();
                run(&hub, &next_tick);
            })?;
        Ok(Reader { schedule })
    }

    /// The next tick starts at `at`: read the clients just before it.
    pub fn next_tick(&self, at: Instant) {
        match self.schedule.try_send(at) {
            // Full: the thread has not taken the previous time yet (it is still reading); it reads again once
            // it has, which is what this time asks for too.
            Ok(()) | Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }
}

/// The thread's loop: wait for the next tick's time, sleep until `lead` before it, read everyone.
fn run(hub: &Hub, next_tick: &Receiver<Instant>) {
    let mut clients = Vec::new();
    let mut seen = u64::MAX;
    let mut recent = [Duration::ZERO; LEAD_WINDOW];
    let mut at = 0;
    let mut buffers = PassBuffers::default();
    while let Ok(tick_at) = next_tick.recv() {
        let lead = recent.iter().max().copied().unwrap_or_default() * 5 / 4 + MIN_LEAD;
        let start = tick_at.checked_sub(lead).unwrap_or(tick_at);
        let now = Instant::now();
        if start > now {
            std::thread::sleep(start - now);
        }
        let generation = hub.readers.generation.load(Ordering::Acquire);
        if generation != seen {
            hub.readers.snapshot(&mut clients);
            seen = generation;
        }
        let began = Instant::now();
        for (i, (key, inlet, out)) in clients.iter().enumerate() {
            // Every client's state is cold by now (a tick since the last pass): ask for the next ones' early.
            if let Some((_, ahead, _)) = clients.get(i + PREFETCH_AHEAD) {
                ahead.prefetch();
            }
            if let Some((_, ahead, _)) = clients.get(i + PREFETCH_AHEAD / 2) {
                ahead.prefetch_socket();
            }
            pass(hub, *key, inlet, out, &mut buffers);
        }
        let took = began.elapsed();
        hub.stats.record_read_pass(took);
        recent[at] = took;
        at = (at + 1) % LEAD_WINDOW;
    }
}

/// Reads one client and delivers what it sent: inputs to the tick's queue, pongs to game pings.
fn pass(hub: &Hub, key: ClientKey, inlet: &Inlet, out: &Outbox, buffers: &mut PassBuffers) {
    inlet.pass(hub, key, buffers, |msg| match msg {
        ClientMessage::Input(input) => {
            hub.counters.inputs_received.fetch_add(1, Ordering::Relaxed);
            if hub.inputs.try_send((key, input)).is_err() {
                hub.counters.inputs_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        ClientMessage::Ping(ping) => {
            let pong = ServerMessage::Pong(Pong {
                client_time: ping.client_time,
                server_tick: hub.tick.load(Ordering::Relaxed),
            });
            // Like a frame: a client whose outbox is full misses this pong (its next ping gets one).
            let _ = out.offer_message(&encode_server(&pong));
        }
        // The pass hands a hello back to the session (it closes the client); nothing reaches here.
        ClientMessage::Hello(_) => {}
    });
}
