//! What the bots measure while they run: live counters every bot bumps, the run-wide histograms they feed in
//! batches, and the outcome each bot hands back when it ends.
//!
//! Bots never lock per frame: the bots of a shard record into the shard's own [`Histograms`], which the shard
//! merges into the shared ones about once a second (and at its end), so one lock per shard per second is all the
//! contention there is, and the live p99 is at most a second stale.

use crate::histogram::Histogram;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters the progress line reads while the run goes on.
#[derive(Debug, Default)]
pub struct Live {
    /// Bots that started connecting.
    pub attempted: AtomicU64,
    /// Bots that joined (welcome and first snapshot received).
    pub established: AtomicU64,
    /// Bots connected right now.
    pub connected: AtomicU64,
    /// Bots that failed to connect or join.
    pub failed: AtomicU64,
    /// Bots whose connection ended before the run did.
    pub dropped: AtomicU64,
    /// Deltas received by all bots.
    pub deltas: AtomicU64,
    /// Protocol errors seen by all bots.
    pub protocol_errors: AtomicU64,
    /// The server's tick rate as the bots know it, with the server tick it was known at (`tick << 16 | hz`; 0
    /// before the first welcome): see [`Live::learn_tick_rate`]. Bots whose input rate is the server's follow it.
    tick_rate: AtomicU64,
}

impl Live {
    /// The server's tick rate was `hz` at server tick `tick` (a welcome, or a decoder's tick-rate event). The
    /// latest tick wins, whatever order the bots' threads learn things in: a welcome from before a change cannot
    /// undo it, and a bot that joins after a change its decoder missed brings the new rate.
    pub fn learn_tick_rate(&self, tick: u32, hz: u16) {
        let learnt = u64::from(tick) << 16 | u64::from(hz);
        let _ = self
            .tick_rate
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |known| {
                (known == 0 || known >> 16 <= u64::from(tick)).then_some(learnt)
            });
    }

    /// The server's tick rate as the bots know it (0 before the first welcome).
    pub fn tick_rate_hz(&self) -> u64 {
        self.tick_rate.load(Ordering::Relaxed) & 0xffff
    }

    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The run-wide distributions, all bots merged.
#[derive(Debug, Default, Clone)]
pub struct Histograms {
    /// TCP connect + WebSocket upgrade, µs.
    pub handshake_us: Histogram,
    /// Hello sent → first snapshot received, µs.
    pub join_us: Histogram,
    /// Input sent → first delta whose ack covers it, µs.
    pub input_latency_us: Histogram,
    /// Delta payload sizes, bytes.
    pub delta_bytes: Histogram,
    /// |delta inter-arrival time − tick period|, µs.
    pub jitter_us: Histogram,
    /// Ping → pong round trip, µs.
    pub rtt_us: Histogram,
    /// How late a bot's timer fired (its input or ping), µs: the load generator's own scheduling delay.
    pub timer_lag_us: Histogram,
}

/// The shared histograms behind a lock.
#[derive(Debug, Default)]
pub struct SharedHistograms(Mutex<Histograms>);

impl SharedHistograms {
    /// Merges a shard's histograms and empties them.
    pub fn absorb(&self, local: &mut Histograms) {
        // A poisoned lock means another thread panicked mid-merge; the counts are still usable.
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let h = &mut *guard;
        for (dst, src) in [
            (&mut h.input_latency_us, &mut local.input_latency_us),
            (&mut h.delta_bytes, &mut local.delta_bytes),
            (&mut h.jitter_us, &mut local.jitter_us),
            (&mut h.rtt_us, &mut local.rtt_us),
            (&mut h.timer_lag_us, &mut local.timer_lag_us),
        ] {
            dst.merge(src);
            src.clear();
        }
    }

    /// Records one connection's handshake and join times.
    pub fn record_join(&self, handshake_us: u64, join_us: u64) {
        let mut h = self.0.lock().unwrap_or_else(|e| e.into_inner());
        h.handshake_us.record(handshake_us);
        h.join_us.record(join_us);
    }

    /// A copy of the histograms as they are now.
    pub fn snapshot(&self) -> Histograms {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The input-latency p99 so far, in µs.
    pub fn latency_p99_us(&self) -> Option<u64> {
        let h = self.0.lock().unwrap_or_else(|e| e.into_inner());
        h.input_latency_us.percentile(99.0)
    }
}

/// How a bot's connection ended before the run did.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dropped {
    /// The close code, or `None` when the connection ended without a close frame.
    pub code: Option<u16>,
    /// The close reason or the error.
    pub reason: String,
}

/// Everything one bot reports when it ends.
#[derive(Debug, Clone, Default)]
pub struct BotOutcome {
    /// The bot's index (start order).
    pub index: usize,
    /// Whether this bot decoded every frame into a mirror.
    pub decoder: bool,
    /// Why it could not connect or join, when it could not.
    pub failed: Option<String>,
    /// The run was stopped before this bot's place on the ramp: it never connected.
    pub not_started: bool,
    /// How its connection ended early, when it did.
    pub dropped: Option<Dropped>,
    /// The server's tick rate from the welcome.
    pub tick_rate: Option<u16>,
    /// The tick rates the server changed to during the run, in order, as this bot saw them (decoders only: the
    /// change is an event inside a delta).
    pub tick_rate_changes: Vec<u16>,
    /// Seconds of the measurement window this bot was connected for.
    pub measured_secs: f64,
    /// Deltas received in the window.
    pub deltas: u64,
    /// Payload bytes received in the window.
    pub bytes_received: u64,
    /// WebSocket frame header bytes of the binary frames received in the window (2, 4 or 10 per frame).
    pub frame_header_bytes: u64,
    /// Payload bytes sent in the window.
    pub bytes_sent: u64,
    /// Inputs sent over the whole connection.
    pub inputs_sent: u64,
    /// Inputs sent in the window.
    pub inputs_in_window: u64,
    /// Inputs never acknowledged (still pending at the end, or pushed out of the bounded pending list).
    pub inputs_unacked: u64,
    /// With `--input-timing tick`: inputs acknowledged in the window a tick later than the bot timed them for.
    pub inputs_late: u64,
    /// Snapshots received after the first (resynchronisations).
    pub resyncs: u64,
    /// First tick held (the first snapshot's).
    pub first_tick: Option<u32>,
    /// Last tick held.
    pub last_tick: Option<u32>,
    /// Distinct ticks received after the first snapshot (deltas and snapshots).
    pub ticks_received: u64,
    /// Ticks skipped in the stream (gaps in the tick numbers).
    pub missed_ticks: u64,
    /// Protocol errors: count and the first few messages.
    pub protocol_errors: u64,
    /// The first protocol error messages (at most [`MAX_ERROR_EXAMPLES`]).
    pub error_examples: Vec<String>,
    /// Entities in the mirror at the end (decoders only).
    pub mirror_entities: Option<usize>,
    /// The mirror itself at the end (bot 0 only, unless a protocol error made it unreliable).
    pub mirror: Option<tickwire_shared::Mirror>,
}

/// How many protocol error messages a bot keeps.
pub const MAX_ERROR_EXAMPLES: usize = 3;

#[cfg(test)]
mod live_tests {
    use super::Live;

    #[test]
    fn the_latest_tick_rate_wins_whatever_order_it_is_learnt_in() {
        let live = Live::default();
        assert_eq!(live.tick_rate_hz(), 0);
        live.learn_tick_rate(100, 30);
        assert_eq!(live.tick_rate_hz(), 30);
        live.learn_tick_rate(250, 20); // a decoder saw the change at tick 250
        assert_eq!(live.tick_rate_hz(), 20);
        live.learn_tick_rate(200, 30); // a welcome from before the change, handled late
        assert_eq!(live.tick_rate_hz(), 20);
        live.learn_tick_rate(400, 60); // a bot that joined after a change the decoders missed
        assert_eq!(live.tick_rate_hz(), 60);
    }
}
