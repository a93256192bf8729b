//! Tick timing for the operator: the tick driver records how long each tick took, how late it started, and how
//! long the fan-out writer took to put the previous tick on the sockets; it keeps the last minute in a ring, and
//! once a second publishes percentiles and the per-second rates into atomics. Readers (`status`) only
//! load atomics, so the tick never waits for them, and the tick's own cost is one push per tick plus a sort of at
//! most 3,600 numbers once a second, into a buffer allocated once.

use crate::hub::Counters;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The window the percentiles cover.
pub const WINDOW: Duration = Duration::from_secs(60);
/// How often the published figures are refreshed.
pub const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// What the tick driver publishes; read with [`TickStats::read`].
#[derive(Debug)]
pub struct TickStats {
    p50_us: AtomicU32,
    p99_us: AtomicU32,
    max_us: AtomicU32,
    late_p99_us: AtomicU32,
    late_max_us: AtomicU32,
    write_p99_us: AtomicU32,
    write_max_us: AtomicU32,
    read_p99_us: AtomicU32,
    read_max_us: AtomicU32,
    /// The reader thread's last pass, in microseconds, until the tick driver takes it (`u32::MAX`: none).
    last_read_us: AtomicU32,
    samples: AtomicU32,
    players: AtomicU32,
    inputs_per_s: AtomicU64,
    bytes_in_per_s: AtomicU64,
    bytes_out_per_s: AtomicU64,
}

/// A consistent-enough copy of [`TickStats`] (each figure is exact; they may be a second apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsView {
    /// Median tick duration over the window, in microseconds.
    pub p50_us: u32,
    /// 99th percentile tick duration, in microseconds.
    pub p99_us: u32,
    /// Longest tick in the window, in microseconds.
    pub max_us: u32,
    /// 99th percentile of how late ticks started after their scheduled time (tick-start jitter), microseconds.
    pub late_p99_us: u32,
    /// Latest tick start in the window, microseconds after its scheduled time.
    pub late_max_us: u32,
    /// 99th percentile of the fan-out writer's time to write one tick to every socket, microseconds.
    pub write_p99_us: u32,
    /// Longest fan-out write in the window, microseconds.
    pub write_max_us: u32,
    /// 99th percentile of the read pass's time to read every joined client's socket once, microseconds.
    pub read_p99_us: u32,
    /// Longest read pass in the window, microseconds.
    pub read_max_us: u32,
    /// Ticks in the window.
    pub samples: u32,
    /// Joined players.
    pub players: u32,
    /// Inputs received per second (last second).
    pub inputs_per_s: u64,
    /// Bytes received from clients per second.
    pub bytes_in_per_s: u64,
    /// Bytes handed to client sockets per second.
    pub bytes_out_per_s: u64,
}

impl TickStats {
    /// Loads the published figures.
    pub fn read(&self) -> StatsView {
        StatsView {
            p50_us: self.p50_us.load(Ordering::Relaxed),
            p99_us: self.p99_us.load(Ordering::Relaxed),
            max_us: self.max_us.load(Ordering::Relaxed),
            late_p99_us: self.late_p99_us.load(Ordering::Relaxed),
            late_max_us: self.late_max_us.load(Ordering::Relaxed),
            write_p99_us: self.write_p99_us.load(Ordering::Relaxed),
            write_max_us: self.write_max_us.load(Ordering::Relaxed),
            read_p99_us: self.read_p99_us.load(Ordering::Relaxed),
            read_max_us: self.read_max_us.load(Ordering::Relaxed),
            samples: self.samples.load(Ordering::Relaxed),
            players: self.players.load(Ordering::Relaxed),
            inputs_per_s: self.inputs_per_s.load(Ordering::Relaxed),
            bytes_in_per_s: self.bytes_in_per_s.load(Ordering::Relaxed),
            bytes_out_per_s: self.bytes_out_per_s.load(Ordering::Relaxed),
        }
    }

    /// The reader thread records how long its pass took (see [`crate::reader`]).
    pub fn record_read_pass(&self, took: Duration) {
        self.last_read_us
            .store(micros(took).min(u32::MAX - 1), Ordering::Relaxed);
    }

    /// The tick driver takes the last read pass's time, once.
    pub fn take_read_pass(&self) -> Option<u32> {
        Some(self.last_read_us.swap(u32::MAX, Ordering::Relaxed)).filter(|&us| us != u32::MAX)
    }
}

impl Default for TickStats {
    fn default() -> Self {
        TickStats {
            p50_us: AtomicU32::new(0),
            p99_us: AtomicU32::new(0),
            max_us: AtomicU32::new(0),
            late_p99_us: AtomicU32::new(0),
            late_max_us: AtomicU32::new(0),
            write_p99_us: AtomicU32::new(0),
            write_max_us: AtomicU32::new(0),
            read_p99_us: AtomicU32::new(0),
            read_max_us: AtomicU32::new(0),
            last_read_us: AtomicU32::new(u32::MAX),
            samples: AtomicU32::new(0),
            players: AtomicU32::new(0),
            inputs_per_s: AtomicU64::new(0),
            bytes_in_per_s: AtomicU64::new(0),
            bytes_out_per_s: AtomicU64::new(0),
        }
    }
}

/// One tick's timings, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TickSample {
    /// How long the tick took (drain, step, encode, hand-off).
    pub took_us: u32,
    /// How late it started after its scheduled time.
    pub late_us: u32,
    /// How long the writer took to write the previous tick's batch (`None` if no batch came back this tick).
    pub write_us: Option<u32>,
    /// How long the reader thread's last pass took (`None` if it did not finish one since the last tick).
    pub read_us: Option<u32>,
}

/// Microseconds in `d`, saturating.
pub fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// The tick driver's side: the last minute of tick timings and the counters at the last publication.
#[derive(Debug)]
pub struct TickTimer {
    window: VecDeque<(Instant, TickSample)>,
    scratch: Vec<u32>,
    last_publish: Instant,
    last_counts: [u64; 3],
}

impl TickTimer {
    /// An empty timer; room for a minute at 60 Hz is reserved up front.
    pub fn new(now: Instant) -> Self {
        TickTimer {
            window: VecDeque::with_capacity(4096),
            scratch: Vec::with_capacity(4096),
            last_publish: now,
            last_counts: [0; 3],
        }
    }

    /// Records one tick that ended at `end`; publishes when a second has passed.
    pub fn record(
        &mut self,
        end: Instant,
        sample: TickSample,
        players: usize,
        counters: &Counters,
        out: &TickStats,
    ) {
        self.window.push_back((end, sample));
        while let Some(&(at, _)) = self.window.front() {
            if end.duration_since(at) <= WINDOW {
                break;
            }
            self.window.pop_front();
        }
        out.players.store(
            u32::try_from(players).unwrap_or(u32::MAX),
            Ordering::Relaxed,
        );
        let since = end.duration_since(self.last_publish);
        if since >= PUBLISH_EVERY {
            self.publish(since, counters, out);
            self.last_publish = end;
        }
    }

    fn publish(&mut self, since: Duration, counters: &Counters, out: &TickStats) {
        let (p50, p99, max) = self.percentiles_of(|s| Some(s.took_us));
        out.p50_us.store(p50, Ordering::Relaxed);
        out.p99_us.store(p99, Ordering::Relaxed);
        out.max_us.store(max, Ordering::Relaxed);
        out.samples.store(
            u32::try_from(self.scratch.len()).unwrap_or(u32::MAX),
            Ordering::Relaxed,
        );
        let (_, p99, max) = self.percentiles_of(|s| Some(s.late_us));
        out.late_p99_us.store(p99, Ordering::Relaxed);
        out.late_max_us.store(max, Ordering::Relaxed);
        let (_, p99, max) = self.percentiles_of(|s| s.write_us);
        out.write_p99_us.store(p99, Ordering::Relaxed);
        out.write_max_us.store(max, Ordering::Relaxed);
        let (_, p99, max) = self.percentiles_of(|s| s.read_us);
        out.read_p99_us.store(p99, Ordering::Relaxed);
        out.read_max_us.store(max, Ordering::Relaxed);
        let now = [
            counters.inputs_received.load(Ordering::Relaxed),
            counters.bytes_in.load(Ordering::Relaxed),
            counters.bytes_out.load(Ordering::Relaxed),
        ];
        let secs = since.as_secs_f64().max(1e-3);
        let rate = |i: usize| (now[i].saturating_sub(self.last_counts[i]) as f64 / secs) as u64;
        out.inputs_per_s.store(rate(0), Ordering::Relaxed);
        out.bytes_in_per_s.store(rate(1), Ordering::Relaxed);
        out.bytes_out_per_s.store(rate(2), Ordering::Relaxed);
        self.last_counts = now;
    }
}

impl TickTimer {
    /// p50, p99 and max of one figure over the window (samples without it are left out), sorted in `scratch`.
    fn percentiles_of(&mut self, figure: impl Fn(&TickSample) -> Option<u32>) -> (u32, u32, u32) {
        self.scratch.clear();
        self.scratch
            .extend(self.window.iter().filter_map(|(_, s)| figure(s)));
        self.scratch.sort_unstable();
        percentiles(&self.scratch)
    }
}

/// p50, p99 and max of sorted values (nearest-rank); zeros when empty.
pub fn percentiles(sorted: &[u32]) -> (u32, u32, u32) {
    let Some(&max) = sorted.last() else {
        return (0, 0, 0);
    };
    let rank = |p: f64| {
        let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[i - 1]
    };
    (rank(0.50), rank(0.99), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentiles(&v), (50, 99, 100));
        assert_eq!(percentiles(&[7]), (7, 7, 7));
        assert_eq!(percentiles(&[]), (0, 0, 0));
    }

    #[test]
    fn the_window_forgets_ticks_older_than_a_minute_and_publishes_each_second() {
        let start = Instant::now();
        let mut timer = TickTimer::new(start);
        let counters = Counters::default();
        let out = TickStats::default();
        let slow = TickSample {
            took_us: 50_000,
            late_us: 9_000,
            write_us: Some(7_000),
            read_us: Some(5_000),
        };
        timer.record(start, slow, 1, &counters, &out);
        for i in 1..=30u64 {
            let at = start + Duration::from_secs(61) + Duration::from_millis(i * 33);
            let sample = TickSample {
                took_us: 200,
                late_us: 60 + i as u32,
                write_us: (i % 2 == 0).then_some(300),
                read_us: (i % 3 == 0).then_some(100 + i as u32),
            };
            timer.record(at, sample, 2, &counters, &out);
        }
        // Publication happens once a second: one more tick, two seconds on, publishes all of the above.
        let last = TickSample {
            took_us: 200,
            late_us: 60,
            write_us: Some(300),
            read_us: None,
        };
        timer.record(start + Duration::from_secs(63), last, 2, &counters, &out);
        let view = out.read();
        assert_eq!(view.max_us, 200, "the 50 ms tick is over a minute old");
        assert_eq!((view.p50_us, view.players), (200, 2));
        assert_eq!((view.late_p99_us, view.late_max_us), (90, 90));
        assert_eq!((view.write_p99_us, view.write_max_us), (300, 300));
        assert_eq!((view.read_p99_us, view.read_max_us), (130, 130));
        assert_eq!(view.samples, 31);
        // The read pass's time is taken once.
        out.record_read_pass(Duration::from_micros(250));
        assert_eq!(out.take_read_pass(), Some(250));
        assert_eq!(out.take_read_pass(), None);
    }
}
