//! Building each client's frame for a tick, encoding every distinct payload once.
//!
//! Most clients hold the previous tick and share one encoded delta body. A client that skipped ticks (its queue
//! was full) is brought up to date from its baseline with one composed delta — clients with the same baseline
//! share that body too — and a client with no usable baseline gets the snapshot, encoded at most once per tick.
//! Each client's delta (its header, then the shared body) is written into a buffer the caller keeps for that
//! client, whose allocation is reused once the previous frame has gone out: no allocation per client per tick in
//! steady state. Snapshots (a join, a resync) get a fresh allocation, so a client's kept buffer is never
//! snapshot-sized.

use bytes::{Bytes, BytesMut};
use std::collections::BTreeMap;
use std::sync::Arc;
use tickwire_shared::codec::{
    delta_frame_in, encode_delta_body, encode_snapshot_body, snapshot_frame,
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
        self.frame_in(&mut BytesMut::new(), base, ack, sim)
    }

    /// [`Fanout::frame_for`] with deltas written into `buf`, the client's own frame buffer (see
    /// [`tickwire_shared::codec::delta_frame_in`]); a snapshot is allocated on its own.
    pub fn frame_in(
        &mut self,
        buf: &mut BytesMut,
        base: Option<u32>,
        ack: u32,
        sim: &mut Sim,
    ) -> Bytes {
        let tick = self.tick;
        match self.history.catchup(base) {
            Catchup::Shared => {
                let c = &self.changes;
                let body = self.shared.get_or_insert_with(|| {
                    encode_delta_body(&c.spawns, &c.changes, &c.despawns, &c.events, &c.moves)
                });
                delta_frame_in(buf, tick, tick.wrapping_sub(1), ack, body)
            }
            Catchup::Composed(c) => {
                let base = base.unwrap_or_default();
                let body = self.composed.entry(base).or_insert_with(|| {
                    encode_delta_body(&c.spawns, &c.changes, &c.despawns, &c.events, &c.moves)
                });
                delta_frame_in(buf, tick, base, ack, body)
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
