//! Choosing each client's frame for a tick, encoding every distinct payload once.
//!
//! Most clients hold the previous tick and share one encoded delta body. A client that skipped ticks (its
//! socket was full) is brought up to date from its baseline with one composed delta — clients with the same
//! baseline share that body too — and a client with no usable baseline gets the snapshot, encoded at most once
//! per tick. Each body goes into the tick's [`Batch`] once; a client's frame is a few bytes of its own header
//! (tick, base, ack) followed by one of those bodies, which the writer sends without copying it per client.

use crate::writer::Batch;
use std::collections::BTreeMap;
use std::sync::Arc;
use tickwire_shared::codec::{
    Head, delta_head, encode_delta_body, encode_snapshot_body, snapshot_head,
};
use tickwire_sim::replication::{Catchup, History};
use tickwire_sim::{Sim, TickChanges};

/// Per-tick encoding caches over the recent history of changes.
#[derive(Debug)]
pub struct Fanout {
    history: History,
    tick: u32,
    shared: Option<u16>,
    composed: BTreeMap<u32, u16>,
    snapshot: Option<u16>,
    changes: Arc<TickChanges>,
}

impl Fanout {
    /// Keeps `history` ticks of changes for clients that fall behind.
    pub fn new(history: usize) -> Self {
        Fanout {
            history: History::new(history),
            tick: 0,
            shared: None,
            composed: BTreeMap::new(),
            snapshot: None,
            changes: Arc::default(),
        }
    }

    /// Starts a new tick with the changes that produced `tick`; forgets last tick's bodies.
    pub fn begin(&mut self, tick: u32, changes: TickChanges) {
        self.changes = Arc::new(changes);
        self.history.push(tick, self.changes.clone());
        self.tick = tick;
        self.shared = None;
        self.composed.clear();
        self.snapshot = None;
    }

    /// The frame for a client holding the state of tick `base` (or nothing), acknowledging input `ack`: its
    /// head, and the index in `batch` of the body that follows it (encoded and added on first use this tick).
    pub fn frame(
        &mut self,
        batch: &mut Batch,
        base: Option<u32>,
        ack: u32,
        sim: &mut Sim,
    ) -> (Head, u16) {
        let tick = self.tick;
        // Clients that skipped the same ticks share one composed body: compose once per baseline, not per client
        // (after a tick that went to nobody, every client is in this case).
        if let Some(base) = base
            && let Some(&body) = self.composed.get(&base)
        {
            return (delta_head(tick, base, ack), body);
        }
        match self.history.catchup(base) {
            Catchup::Shared => {
                let changes = &self.changes;
                let body = *self
                    .shared
                    .get_or_insert_with(|| delta_body(batch, changes));
                (delta_head(tick, tick.wrapping_sub(1), ack), body)
            }
            Catchup::Composed(c) => {
                let base = base.unwrap_or_default();
                let body = *self
                    .composed
                    .entry(base)
                    .or_insert_with(|| delta_body(batch, &c));
                (delta_head(tick, base, ack), body)
            }
            Catchup::Snapshot => {
                let body = *self
                    .snapshot
                    .get_or_insert_with(|| batch.body(encode_snapshot_body(&sim.snapshot())));
                (snapshot_head(tick, ack), body)
            }
        }
    }
}

/// Encodes the shared part of a delta for `changes` into the batch; returns its index.
fn delta_body(batch: &mut Batch, c: &TickChanges) -> u16 {
    batch.body(encode_delta_body(
        &c.spawns,
        &c.changes,
        &c.despawns,
        &c.events,
        &c.moves,
    ))
}
