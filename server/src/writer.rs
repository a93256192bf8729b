//! The fan-out writer: a thread that puts one tick's frames on every client's socket.
//!
//! The tick driver fills a [`Batch`] — the tick's distinct encoded bodies (the shared delta, any composed
//! catch-up deltas, the snapshot) and, per client, a few bytes of header and which body follows it — and hands it
//! over without waiting. The writer offers each frame to the client's [`Outbox`]: for a plain TCP client that is
//! one non-blocking `send` of header and shared body (staged once per tick with room for each client's header in
//! front, so the two are contiguous), on this thread, with no task woken; only a client whose
//! socket is full (or a TLS client) wakes its session. The batch then goes back to the tick driver with each
//! client's [`Offer`], which the driver reads before building the next batch, so it always knows which state
//! each client holds. One batch is in flight at a time: if the writer has not finished the previous tick when
//! the next is ready, that tick is not sent to anyone (clients catch up from the last one they got), and the
//! tick driver never waits.

use crate::hub::{ClientKey, Hub};
use crate::outbox::{Offer, Outbox, WsHeader};
use crate::reader::PREFETCH_AHEAD;
use crate::sched::Scheduling;
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use tickwire_shared::codec::Head;

/// One client's frame in a batch.
#[derive(Debug)]
pub struct Send {
    /// The client.
    pub key: ClientKey,
    outbox: Arc<Outbox>,
    /// WebSocket header then message head.
    head: [u8; 32],
    head_len: u8,
    body: u16,
    /// The message's length without its WebSocket header.
    payload: u32,
    /// What became of the frame (filled by the writer).
    pub result: Offer,
}

/// One tick's frames for every client.
#[derive(Debug, Default)]
pub struct Batch {
    /// The tick these frames bring clients to.
    pub tick: u32,
    /// How long the writer took to write this batch (set by the writer).
    pub write_time: std::time::Duration,
    bodies: Vec<Bytes>,
    sends: Vec<Send>,
    /// The writer's copy of the bodies, each behind [`HEAD_ROOM`] bytes of room for a client's header.
    staged: Vec<u8>,
    /// Where each body starts in `staged`, and its length.
    spans: Vec<(usize, usize)>,
}

/// Room left before each staged body: the longest header a [`Send`] holds.
const HEAD_ROOM: usize = 32;

impl Batch {
    /// Adds a body shared by several clients; returns its index for [`Batch::push`].
    pub fn body(&mut self, body: Bytes) -> u16 {
        self.bodies.push(body);
        (self.bodies.len() - 1) as u16
    }

    /// Adds one client's frame: its `head`, then body `body` (an index from [`Batch::body`]).
    pub fn push(&mut self, key: ClientKey, outbox: &Arc<Outbox>, head: Head, body: u16) {
        let body_len = self.bodies.get(usize::from(body)).map_or(0, Bytes::len);
        let head = head.as_bytes();
        let ws = WsHeader::binary(head.len() + body_len);
        let ws = ws.as_bytes();
        let mut bytes = [0u8; 32];
        bytes[..ws.len()].copy_from_slice(ws);
        bytes[ws.len()..ws.len() + head.len()].copy_from_slice(head);
        self.sends.push(Send {
            key,
            outbox: outbox.clone(),
            head: bytes,
            head_len: (ws.len() + head.len()) as u8,
            body,
            payload: (head.len() + body_len) as u32,
            result: Offer::Gone,
        });
    }

    /// The bytes of body `i`, for tests that decode what clients would receive.
    #[cfg(test)]
    pub(crate) fn body_bytes(&self, i: u16) -> &Bytes {
        &self.bodies[usize::from(i)]
    }

    /// Takes the results of the last run, leaving the batch empty for the next tick.
    pub fn drain_results(&mut self) -> impl Iterator<Item = (ClientKey, Offer)> + '_ {
        self.bodies.clear();
        self.sends.drain(..).map(|s| (s.key, s.result))
    }

    fn write(&mut self) -> u64 {
        // Each distinct body is copied once, behind room for a header. A client's frame is then its header written
        // into that room and one contiguous `send`: a `writev` of header and body costs about 10 % more per write on
        // this kind of machine (`cargo bench --bench fanout -- frame`), far more than one copy per body and tick.
        self.staged.clear();
        self.spans.clear();
        for body in &self.bodies {
            self.staged.resize(self.staged.len() + HEAD_ROOM, 0);
            self.spans.push((self.staged.len(), body.len()));
            self.staged.extend_from_slice(body);
        }
        let mut bytes = 0;
        for i in 0..self.sends.len() {
            // Each client's outbox is cold by now: ask for the next ones' early (as the read pass does).
            if let Some(ahead) = self.sends.get(i + PREFETCH_AHEAD) {
                ahead.outbox.prefetch();
            }
            if let Some(ahead) = self.sends.get(i + PREFETCH_AHEAD / 2) {
                ahead.outbox.prefetch_socket();
            }
            let send = &mut self.sends[i];
            let head_len = usize::from(send.head_len);
            let (start, len) = self
                .spans
                .get(usize::from(send.body))
                .copied()
                .unwrap_or((HEAD_ROOM, 0));
            send.result = match self.staged.get_mut(start - head_len..start + len) {
                Some(frame) => {
                    frame[..head_len].copy_from_slice(&send.head[..head_len]);
                    send.outbox.offer(&[frame])
                }
                // Only a batch without bodies has no room staged: the frame is its header alone.
                None => send.outbox.offer(&[&send.head[..head_len]]),
            };
            if send.result.accepted() {
                bytes += u64::from(send.payload);
            }
        }
        // The shared bodies are no longer needed: free them now rather than at the next tick. The staging buffer
        // keeps its capacity for the next tick unless this tick's bodies were far smaller.
        self.bodies.clear();
        if self.staged.capacity() > 4 * self.staged.len().max(64 * 1024) {
            self.staged = Vec::new();
        }
        bytes
    }
}

/// The tick driver's handle on the writer thread.
#[derive(Debug)]
pub struct Writer {
    jobs: SyncSender<Batch>,
    done: Receiver<Batch>,
    idle: Option<Batch>,
}

impl Writer {
    /// Starts the writer thread.
    /// The thread runs with `scheduling`'s I/O policy.
    pub fn spawn(hub: Arc<Hub>, scheduling: Scheduling) -> std::io::Result<Writer> {
        let (jobs, job_rx) = sync_channel::<Batch>(1);
        let (done_tx, done) = sync_channel::<Batch>(1);
        std::thread::Builder::new()
            .name("tickwire-fanout".into())
            .spawn(move || {
                scheduling.io_thread();
                while let Ok(mut batch) = job_rx.recv() {
                    let started = std::time::Instant::now();
                    let bytes = batch.write();
                    batch.write_time = started.elapsed();
                    hub.counters.bytes_out.fetch_add(bytes, Ordering::Relaxed);
                    if done_tx.send(batch).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Writer {
            jobs,
            done,
            idle: Some(Batch::default()),
        })
    }

    /// The batch to fill for the next tick, holding the results of the previous one; `None` while the writer
    /// is still writing the previous tick.
    pub fn ready(&mut self) -> Option<Batch> {
        if let Some(batch) = self.idle.take() {
            return Some(batch);
        }
        self.done.try_recv().ok()
    }

    /// Hands a filled batch to the writer thread (which is idle: [`Writer::ready`] returned this batch).
    pub fn submit(&mut self, batch: Batch) {
        if let Err(e) = self.jobs.try_send(batch) {
            // The writer thread is gone (it only stops when this handle is dropped): keep the batch.
            let batch = match e {
                std::sync::mpsc::TrySendError::Full(b)
                | std::sync::mpsc::TrySendError::Disconnected(b) => b,
            };
            self.idle = Some(batch);
        }
    }

    /// Waits until the batch in flight (if any) is written; used once, at shutdown.
    pub fn wait_idle(&mut self) -> Option<Batch> {
        if let Some(batch) = self.idle.take() {
            return Some(batch);
        }
        self.done.recv().ok()
    }
}
