//! Building each client's frame for a tick, encoding every distinct payload once.
//!
//! Most clients hold the previous tick and share one encoded delta body. A client that skipped ticks (its queue
//! was full) is brought up to date from its baseline with one composed delta — clients with the same baseline
//! share that body too — and a client with no usable baseline gets the snapshot, encoded at most once per tick.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use tickwire_shared::codec::{
    delta_frame, encode_delta_body, encode_snapshot_body, snapshot_frame,
};
use tickwire_sim::replication::{Catchup, History};
use tickwire_sim::{Sim, TickChanges};

/// Per-tick encoding caches over the recent history of changes.
#[derive(Debug)]
pub struct Fanout {
    history: History,
    tick: u32,
    shared: Option<Bytes>,
    composed: BTreeMap<u32, Bytes>,
    snapshot: Option<Bytes>,
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

    /// Starts a new tick with the changes that produced `tick`; drops last tick's encodings.
    pub fn begin(&mut self, tick: u32, changes: TickChanges) {
        self.changes = Arc::new(changes);
        self.history.push(tick, self.changes.clone());
        self.tick = tick;
        self.shared = None;
        self.composed.clear();
        self.snapshot = None;
    }

    /// The frame for a client holding the state of tick `base` (or nothing), acknowledging input `ack`.
    pub fn frame_for(&mut self, base: Option<u32>, ack: u32, sim: &mut Sim) -> Bytes {
        let tick = self.tick;
        match self.history.catchup(base) {
            Catchup::Shared => {
                let c = &self.changes;
                let body = self.shared.get_or_insert_with(|| {
                    encode_delta_body(&c.spawns, &c.changes, &c.despawns, &c.events)
                });
                delta_frame(tick, tick.wrapping_sub(1), ack, body)
            }
            Catchup::Composed(c) => {
                let base = base.unwrap_or_default();
                let body = self.composed.entry(base).or_insert_with(|| {
                    encode_delta_body(&c.spawns, &c.changes, &c.despawns, &c.events)
                });
                delta_frame(tick, base, ack, body)
            }
            Catchup::Snapshot => {
                let body = self
                    .snapshot
                    .get_or_insert_with(|| encode_snapshot_body(&sim.snapshot()));
                snapshot_frame(tick, ack, body)
            }
        }
    }
}
