//! The tick driver: the only code that sees both the simulation and the network queues.
//!
//! It runs on a thread of its own at a fixed rate. Every tick it (1) drains joins, leaves and operator requests
//! (`ops`: kick, say, tickrate, players, answered in the same tick), (2) drains
//! decoded inputs into the simulation, (3) steps the simulation, (4) encodes the shared part of the delta once
//! (see [`crate::fanout`]), and (5) hands every client's frame to the fan-out writer thread in one batch
//! ([`crate::writer`]) without waiting for it. A client whose socket and outbox are full skips the tick; when it
//! has room again it gets one delta from the last state it was handed (or a snapshot if that is too old), never
//! a backlog. One that stays full for too long is closed. Nothing here ever waits on a socket.

use crate::config::Limits;
use crate::fanout::{Fanout, Held};
use crate::hub::Hub;
use crate::hub::{ClientKey, Control, HubReceivers, Join, SessionCtl};
use crate::outbox::{Offer, Outbox};
use crate::reader::Reader;
use crate::recorder::Recorder;
use crate::sched::Scheduling;
use crate::writer::Writer;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tickwire_shared::{
    PROTOCOL_VERSION, ProtocolError, ServerMessage, Welcome, close, encode_server,
};
use tickwire_sim::Sim;
use tokio::sync::mpsc::error::TryRecvError;
use tracing::{debug, debug_span, info, warn};

mod ops;
mod resume;

/// If a tick starts this many periods late, the driver stops trying to catch up and restarts its clock.
const MAX_CATCH_UP_TICKS: u32 = 5;

/// One joined client as the tick driver sees it.
#[derive(Debug)]
struct Link {
    out: Arc<Outbox>,
    ctl: Arc<SessionCtl>,
    /// The last frame this client's outbox took: the state its next frame builds on.
    held: Held,
    /// The frame handed to the writer and not yet reported on: what the client holds if its outbox takes it.
    offered: Held,
    /// When the client first could not take a frame, in the current run of full outboxes.
    behind_since: Option<Instant>,
}

impl Link {
    /// Drops the client: its session writes what is pending, then closes with this code and reason.
    fn close(self, code: u16, reason: &str) {
        self.ctl.set_close(code, reason);
        self.out.close();
    }
}

/// Owns the simulation and the tick loop.
#[derive(Debug)]
pub struct TickDriver {
    sim: Sim,
    hub: Arc<Hub>,
    rx: HubReceivers,
    links: BTreeMap<ClientKey, Link>,
    too_slow_after: Duration,
    fanout: Fanout,
    writer: Writer,
    /// The read pass thread, told when each tick starts.
    reader: Reader,
    /// The writer's time for the batch that came back this tick, for the tick timer.
    last_write: Option<std::time::Duration>,
    resume: resume::Resume,
    /// The match recording (`--record`) and its file's header, written when the loop starts.
    record: Option<(Recorder, Vec<u8>)>,
}

impl TickDriver {
    /// Creates the driver and starts its fan-out writer thread; call [`TickDriver::run`] on a dedicated thread.
    pub fn new(
        mut sim: Sim,
        hub: Arc<Hub>,
        rx: HubReceivers,
        limits: &Limits,
        record: Option<Recorder>,
        scheduling: Scheduling,
    ) -> std::io::Result<Self> {
        let record = record.map(|r| (r, sim.start_recording()));
        let writer = Writer::spawn(hub.clone(), scheduling)?;
        let reader = Reader::spawn(hub.clone(), scheduling)?;
        let interest = sim.interest();
        Ok(TickDriver {
            sim,
            hub,
            rx,
            links: BTreeMap::new(),
            too_slow_after: limits.too_slow_after,
            fanout: Fanout::new(limits.catchup_ticks, interest),
            writer,
            reader,
            last_write: None,
            resume: resume::Resume::new(limits.resume_grace),
            record,
        })
    }

    /// Runs ticks at the simulation's rate until shutdown, then closes every client with 1001.
    pub fn run(mut self) {
        let mut period = period_of(self.sim.tick_rate());
        let mut next = Instant::now() + period;
        let mut timer = crate::stats::TickTimer::new(Instant::now());
        if let Some((recorder, header)) = &mut self.record {
            recorder.begin(header);
        }
        info!(tick_rate = self.sim.tick_rate(), "tick loop started");
        loop {
            self.reader.next_tick(next);
            let now = Instant::now();
            if now < next {
                std::thread::sleep(next - now);
            }
            let late = Instant::now().saturating_duration_since(next);
            if late > period {
                self.hub
                    .counters
                    .tick_overruns
                    .fetch_add(1, Ordering::Relaxed);
                if late > period * MAX_CATCH_UP_TICKS {
                    warn!(
                        late_ms = late.as_millis() as u64,
                        "tick loop fell far behind; skipping ahead"
                    );
                    next = Instant::now();
                }
            }
            if self.hub.shutting_down() {
                break;
            }
            let started = Instant::now();
            self.tick();
            let ended = Instant::now();
            let took = ended - started;
            self.hub.metrics.tick_duration.record(took.as_secs_f64());
            let sample = crate::stats::TickSample {
                took_us: crate::stats::micros(took),
                late_us: crate::stats::micros(started.saturating_duration_since(next)),
                write_us: self.last_write.take().map(crate::stats::micros),
                read_us: self.hub.stats.take_read_pass(),
            };
            timer.record(
                ended,
                sample,
                self.links.len(),
                &self.hub.counters,
                &self.hub.stats,
            );
            if period != period_of(self.sim.tick_rate()) {
                period = period_of(self.sim.tick_rate());
            }
            next += period;
        }
        // Flush: every client gets what was handed over, then a close frame from its session.
        let _ = self.writer.wait_idle();
        for (_, link) in std::mem::take(&mut self.links) {
            link.close(close::GOING_AWAY, "server shutting down");
            self.hub.counters.leaves.fetch_add(1, Ordering::Relaxed);
        }
        info!(tick = self.sim.tick(), "tick loop stopped");
        if let Some((mut recorder, _)) = self.record.take() {
            recorder.finish(self.sim.take_chunk());
        }
    }

    /// One whole tick: drain, step, encode, hand off.
    pub fn tick(&mut self) {
        let span = debug_span!("tick", tick = self.sim.tick() + 1);
        let _enter = span.enter();
        self.drain_control();
        for key in self.resume.expired(Instant::now()) {
            debug!(client = key, "resume grace period over; player removed");
            self.sim.leave(key);
        }
        self.drain_inputs();
        self.sim.step();
        self.record();
        let tick = self.sim.tick();
        self.hub.tick.store(tick, Ordering::Relaxed);
        self.hand_off(tick);
    }

    /// Hands this tick's entries to the recorder (which never waits on the disk); stops recording for good if
    /// the recorder stopped.
    fn record(&mut self) {
        let Some((recorder, _)) = &mut self.record else {
            return;
        };
        if let Some(chunk) = self.sim.take_chunk()
            && !recorder.push(chunk)
        {
            self.sim.take_recording();
            self.record = None;
        }
    }

    fn drain_control(&mut self) {
        loop {
            match self.rx.control.try_recv() {
                Ok(Control::Join(join)) => self.join(join),
                Ok(Control::Leave(key)) => {
                    self.sim.leave(key);
                    self.resume.forget(key);
                    if self.links.remove(&key).is_some() {
                        self.hub.counters.leaves.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(Control::Detach(key)) => {
                    if self.links.remove(&key).is_some() {
                        self.hub.counters.leaves.fetch_add(1, Ordering::Relaxed);
                    }
                    if self.sim.player_id(key).is_some() {
                        self.resume.hold(key, Instant::now());
                    } else {
                        self.sim.leave(key); // a spectator: nothing to hold
                        self.resume.forget(key);
                    }
                }
                Ok(Control::Admin(request)) => self.admin(request),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
    }

    fn join(&mut self, join: Join) {
        let you = match join.resume {
            None => self.sim.join(join.key, &join.name),
            Some(token) => match self.resume.claim(&token) {
                Some(old) if self.sim.rebind(old, join.key) => {
                    info!(client = join.key, previous = old, "player resumed");
                    self.sim.player_id(join.key).unwrap_or_default()
                }
                _ => {
                    let message = "resume token unknown, expired or already in use";
                    let error = ProtocolError {
                        code: close::RESUME_REFUSED,
                        message: message.into(),
                    };
                    let _ = join
                        .out
                        .offer_message(&encode_server(&ServerMessage::Error(error)));
                    join.ctl.set_close(close::RESUME_REFUSED, message);
                    join.out.close(); // the session closes with that reason
                    return;
                }
            },
        };
        let welcome = encode_server(&ServerMessage::Welcome(Welcome {
            version: PROTOCOL_VERSION,
            you,
            tick_rate: self.sim.tick_rate(),
            tick: self.sim.tick(),
            arena: self.sim.arena(),
            rules: self.sim.game_rules(),
            resume: self.resume.issue(join.key),
            view: self.sim.interest().map(|i| i.guaranteed()),
        }));
        // A fresh outbox always takes it; if it does not, the session is already gone.
        join.ctl.set_player(you);
        if join.out.offer_message(&welcome).accepted() {
            join.ctl.set_welcomed();
            self.hub.counters.joins.fetch_add(1, Ordering::Relaxed);
            let name = self.sim.player_name(join.key).unwrap_or(join.name);
            info!(client = join.key, player = you, %name, "player joined");
            self.links.insert(
                join.key,
                Link {
                    out: join.out,
                    ctl: join.ctl,
                    held: Held::default(),
                    offered: Held::default(),
                    behind_since: None,
                },
            );
        } else {
            self.sim.leave(join.key);
            self.resume.forget(join.key);
        }
    }

    fn drain_inputs(&mut self) {
        // Inputs decoded by the read pass (crate::reader) and by sessions (before they hand reading to the pass,
        // and over TLS), bounded by what is queued now: inputs arriving during the drain wait for the next tick.
        let mut budget = self.rx.inputs.len();
        while budget > 0 {
            budget -= 1;
            match self.rx.inputs.try_recv() {
                Ok((key, input)) => {
                    self.sim.push_input(key, &input);
                }
                Err(_) => break,
            }
        }
    }

    fn hand_off(&mut self, tick: u32) {
        self.fanout
            .begin(tick, self.sim.take_changes(), self.sim.grid());
        let Some(mut batch) = self.writer.ready() else {
            // The writer is still on the previous tick: nobody gets this one; next tick every client catches up
            // from the last state it was handed.
            self.hub
                .counters
                .fanout_skipped
                .fetch_add(1, Ordering::Relaxed);
            return;
        };
        let now = Instant::now();
        let mut dropped = Vec::new();
        // What the writer did with the previous tick's frames.
        let written = batch.tick;
        if !batch.write_time.is_zero() {
            self.last_write = Some(batch.write_time);
        }
        for (key, offer) in batch.drain_results() {
            let Some(link) = self.links.get_mut(&key) else {
                continue;
            };
            match offer {
                Offer::Sent | Offer::Queued => {
                    debug_assert_eq!(link.offered.tick, Some(written));
                    link.held = link.offered;
                    link.behind_since = None;
                }
                Offer::Full => {
                    self.hub
                        .counters
                        .frames_skipped
                        .fetch_add(1, Ordering::Relaxed);
                    let since = *link.behind_since.get_or_insert(now);
                    if now.duration_since(since) >= self.too_slow_after {
                        dropped.push(key);
                    }
                }
                // The connection is going: its session tells us how (leave, or hold for resume).
                Offer::Gone => {}
            }
        }
        for key in dropped {
            if let Some(link) = self.links.remove(&key) {
                link.close(
                    close::TOO_SLOW,
                    "client too slow: could not keep up with updates",
                );
            }
            self.sim.leave(key);
            self.resume.forget(key);
            self.hub.counters.leaves.fetch_add(1, Ordering::Relaxed);
        }
        batch.tick = tick;
        for (&key, link) in &mut self.links {
            let ack = self.sim.ack(key);
            let to = self
                .fanout
                .view_for(self.sim.player_id(key), link.held.view);
            let (head, body) = self
                .fanout
                .frame(&mut batch, link.held, to, ack, &mut self.sim);
            link.offered = Held {
                tick: Some(tick),
                view: to,
            };
            batch.push(key, &link.out, head, body);
        }
        self.writer.submit(batch);
    }
}

fn period_of(hz: u16) -> Duration {
    Duration::from_secs_f64(1.0 / f64::from(hz.max(1)))
}
