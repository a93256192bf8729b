//! When a bot sends its inputs (`--input-timing`).
//!
//! The server reads every client's socket once at the start of each tick and applies what it found in that tick
//! (see docs/ARCHITECTURE.md, the read pass). An input therefore waits in the server's socket from its arrival to
//! the next tick's read; the delta of that tick acknowledges it.
//!
//! - **`free`** (the default): each bot sends on its own timer at a random phase, as a client does that ignores the
//!   server's tick. An input waits for the next tick between nothing and a whole tick period (half a tick on
//!   average).
//! - **`tick`**: each bot times its inputs to reach the server just before the tick that applies them, as a client
//!   does that keeps its input clock in step with the server's tick. It learns where that moment is from the
//!   acknowledgements alone ([`TickTiming`]), so it needs no clock shared with the server and nothing on the wire.
//!   This search narrows down to a fraction of a millisecond, to measure the server's part of the latency. The
//!   browser client (client-web/src/net/timing.ts) uses the same signal but crosses the read only once and keeps
//!   an eighth of a tick of margin: each missed read stalls a player for a tick in the others' view.
//!
//! The signal is the input latency itself (sending an input to receiving the first delta that acknowledges it,
//! timed by the kernel's receive timestamps). For an input that reaches the server before a tick's read, it is
//! the time the input waited for that read (its *slack*) plus a part that does not depend on when the bot sends
//! (the tick, the fan-out up to this client, the way back). The smallest latency of the last few seconds stands in
//! for that part, so the latency above it is the slack. An input that misses a read by a little waits nearly a
//! whole tick more: a latency more than half a tick above the smallest is *late*, and how far above says by how
//! much it missed. The next input then goes out earlier by that much (and a margin): the read it reaches takes
//! both, as the server banks the tick the late one missed.

use std::time::Duration;

/// How the bots time their inputs against the server's ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputTiming {
    /// Each bot sends on its own timer at a random phase (a client that ignores the server's tick).
    #[default]
    Free,
    /// Each bot times its inputs to reach the server just before the tick that applies them.
    Tick,
}

impl InputTiming {
    /// The name `--input-timing` takes (and the JSON report writes).
    pub fn name(self) -> &'static str {
        match self {
            InputTiming::Free => "free",
            InputTiming::Tick => "tick",
        }
    }
}

/// The smallest step the send time moves by.
const MIN_STEP: Duration = Duration::from_micros(250);
/// The least slack the search keeps before a tick's read.
const MIN_MARGIN: Duration = Duration::from_micros(500);
/// How much more slack it keeps after each late input (the bot's own timer jitter, or a server whose read moved
/// earlier).
const MARGIN_UP: Duration = Duration::from_millis(1);
/// Once the search has narrowed down to [`MIN_STEP`]: inputs in a row near the smallest latency before it tries
/// a step later (and a step less margin). About one input in `2 × PATIENCE` ends up late.
const PATIENCE: u32 = 100;
/// About how many inputs the search takes to settle from a random phase (the report warns when the warm-up is
/// shorter).
pub(crate) const SETTLE_INPUTS: u32 = 60;
/// How many acknowledged inputs a block of the smallest-latency window holds (it spans two blocks).
const BLOCK: u32 = 64;

/// One bot's search for the latest send time that still makes a tick's read, from the latency of its inputs.
///
/// Starting from the bot's random phase it moves its inputs later by an eighth of a tick after each input, until
/// one is late; then the next input goes out earlier by how far the late one missed its read and a margin, so that
/// the next read takes both (the server banks the tick the late one missed: nothing is lost or queued), the step
/// halves, and the search goes on until the step is [`MIN_STEP`]. From then on it tries a step later only after
/// [`PATIENCE`] good inputs in a row, and each late input adds to the margin. Any input that waited longer than
/// the margin (the server's read moved later, the search started far off) moves the send time later by the
/// difference at once. Two late inputs in a row mean inputs queued up in the server rather than a missed read:
/// then it moves later, skipping a tick, which drains the queue. So a bot sends more than one input into a tick
/// only right after a missed read, never faster than the server ticks for longer. Only inputs sent since the last
/// move took effect count: those sent before say nothing about the new send time.
#[derive(Debug, Clone)]
pub(crate) struct TickTiming {
    period: Duration,
    step: Duration,
    margin: Duration,
    /// Good inputs in a row since the last move.
    streak: u32,
    /// The smallest recent latency, less each delta's lateness on the grid.
    best: RecentMin<Duration>,
    arrivals: ArrivalGrid,
    /// How far to move the next input's send time, in nanoseconds (later when positive); taken by the timer.
    shift_ns: i64,
    /// The input acknowledged before was late.
    last_late: bool,
    /// A move was decided and the timer has not taken it yet: inputs acknowledged meanwhile were sent before it.
    pending: bool,
    /// Counts the moves the timer took; each input carries the one it was sent under.
    generation: u32,
}

impl TickTiming {
    /// The search for a server ticking every `period`.
    pub(crate) fn new(period: Duration) -> Self {
        TickTiming {
            period,
            step: (period / 8).max(MIN_STEP),
            margin: MIN_MARGIN,
            streak: 0,
            best: RecentMin::default(),
            arrivals: ArrivalGrid::new(period),
            shift_ns: 0,
            last_late: false,
            pending: false,
            generation: 0,
        }
    }

    /// The generation an input sent now carries (give it back to [`TickTiming::acknowledged`]).
    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// The delta of `tick` arrived at `at` (before its acknowledgements are passed on).
    pub(crate) fn delta_arrived(&mut self, tick: u32, at: tokio::time::Instant) {
        self.arrivals.arrived(tick, at);
    }

    /// An input sent under `generation` was acknowledged, by the latest delta, `latency` after it was sent.
    /// Returns whether it was late (it waited about a tick longer than the bot's best).
    pub(crate) fn acknowledged(&mut self, generation: u32, latency: Duration) -> bool {
        // A delta more than half a tick later than the grid says (a tick that overran, whose catch-up read may
        // have taken the input early; a server that moved its tick grid) says nothing reliable about the send
        // time, and taking its lateness out could make a normal latency look like the best ever.
        if self.arrivals.latest_excess > self.period / 2 {
            return false;
        }
        // What the input's timing decided: the latency less the delta's own lateness.
        let latency = latency.saturating_sub(self.arrivals.latest_excess);
        self.best.push(latency);
        let above = latency.saturating_sub(self.best.get().unwrap_or(latency));
        let late = above > self.period / 2;
        if generation != self.generation || self.pending {
            return late;
        }
        // Only inputs of the current generation: one sent at the old time and late with the one before says
        // nothing about queues in the server.
        let after_late = std::mem::replace(&mut self.last_late, late);
        if late && !after_late && above < self.period {
            // It missed a read by a period less what it waited above the best: send the next one that much (and
            // the margin) earlier, before the next read. That read then takes both (the server banks the tick
            // this one missed), and no input is lost.
            let missed_by = self.period - above;
            self.shift_ns -= nanos(missed_by + self.margin);
            self.after_miss();
            self.moved();
        } else if above > self.margin + self.step {
            // It waited longer than it had to: send as much later as that, less the margin. After two late
            // inputs in a row (inputs queued up in the server, not a missed read) that skips a tick or more,
            // which lets the queue drain.
            self.shift_ns += nanos(above - self.margin);
            if late {
                self.after_miss();
            }
            self.moved();
        } else {
            self.streak += 1;
            if self.streak >= if self.step > MIN_STEP { 1 } else { PATIENCE } {
                self.shift_ns += nanos(self.step);
                if self.step == MIN_STEP {
                    self.margin = self.margin.saturating_sub(MIN_STEP).max(MIN_MARGIN);
                }
                self.moved();
            }
        }
        late
    }

    /// A late input: the search narrows (a smaller step), or, once narrowed, keeps more margin.
    fn after_miss(&mut self) {
        if self.step > MIN_STEP {
            self.step = (self.step / 2).max(MIN_STEP);
        } else {
            self.margin = (self.margin + MARGIN_UP).min(self.period / 4);
        }
    }

    fn moved(&mut self) {
        self.streak = 0;
        self.pending = true;
    }

    /// The move decided and not taken yet, in nanoseconds (0 when none): the shard applies it to the input it
    /// has scheduled when that one has not gone out yet, and else to the one after.
    pub(crate) fn peek_shift(&self) -> i64 {
        if self.pending { self.shift_ns } else { 0 }
    }

    /// How far to move the next input's send time (later when positive); the timer takes it once, after the
    /// input it just sent (which carries the generation before the move) and before scheduling the next one.
    pub(crate) fn take_shift(&mut self) -> i64 {
        if !std::mem::take(&mut self.pending) {
            return 0;
        }
        self.generation = self.generation.wrapping_add(1);
        std::mem::take(&mut self.shift_ns)
    }
}

/// The smallest of the last `BLOCK` to `2 × BLOCK` values pushed, in constant time.
#[derive(Debug, Clone)]
struct RecentMin<T> {
    current: Option<T>,
    previous: Option<T>,
    count: u32,
}

impl<T> Default for RecentMin<T> {
    fn default() -> Self {
        RecentMin {
            current: None,
            previous: None,
            count: 0,
        }
    }
}

impl<T: Ord + Copy> RecentMin<T> {
    fn push(&mut self, v: T) {
        if self.count == BLOCK {
            self.previous = self.current.take();
            self.count = 0;
        }
        self.current = Some(self.current.map_or(v, |c| c.min(v)));
        self.count += 1;
    }

    fn get(&self) -> Option<T> {
        match (self.current, self.previous) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// When the deltas arrive against the server's tick grid: how much later than the earliest of the last few seconds
/// (in the grid's phase) the latest one came. A tick that took longer, or a fan-out that reached this client later,
/// delays its delta and every acknowledgement in it, however well the input was timed.
#[derive(Debug, Clone)]
struct ArrivalGrid {
    period_ns: i64,
    /// The first delta seen: its tick and arrival.
    origin: Option<(u32, tokio::time::Instant)>,
    /// Each delta's arrival less its tick's place on the grid, in nanoseconds.
    earliest: RecentMin<i64>,
    /// How much later than the earliest the latest delta arrived.
    latest_excess: Duration,
}

impl ArrivalGrid {
    fn new(period: Duration) -> Self {
        ArrivalGrid {
            period_ns: nanos(period),
            origin: None,
            earliest: RecentMin::default(),
            latest_excess: Duration::ZERO,
        }
    }

    fn arrived(&mut self, tick: u32, at: tokio::time::Instant) {
        let (tick0, at0) = *self.origin.get_or_insert((tick, at));
        let since = nanos(at.saturating_duration_since(at0));
        let offset = since - i64::from(tick.wrapping_sub(tick0)) * self.period_ns;
        self.earliest.push(offset);
        let excess = offset - self.earliest.get().unwrap_or(offset);
        self.latest_excess = Duration::from_nanos(excess.unsigned_abs());
    }
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// `at` moved by `shift_ns` nanoseconds (later when positive).
pub(crate) fn shifted(at: tokio::time::Instant, shift_ns: i64) -> tokio::time::Instant {
    let by = Duration::from_nanos(shift_ns.unsigned_abs());
    if shift_ns >= 0 {
        at + by
    } else {
        at.checked_sub(by).unwrap_or(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server ticking every `period` from 0 and the bot's side of it.
    struct Scene {
        period: f64,
        /// When, into each tick, the server reads the bot's socket.
        read_at: f64,
        /// How long after the read the tick's delta reaches the bot, plus up to `delta_spread` more (a
        /// deterministic pattern: ticks that took longer, fan-outs that reached the bot later).
        delta_after: f64,
        delta_spread: f64,
        /// When the bot's first input goes out.
        phase: f64,
        /// Each send is late by a deterministic pattern of up to this much (the bot's timer).
        jitter: f64,
    }

    impl Scene {
        fn new(period: f64, read_at: f64, delta_after: f64, phase: f64) -> Self {
            Scene {
                period,
                read_at,
                delta_after,
                delta_spread: 0.0,
                phase,
                jitter: 0.0,
            }
        }

        fn delta_arrives(&self, tick: f64) -> f64 {
            let pattern = ((tick as u64 * 7877) % 17) as f64 / 16.0;
            tick * self.period + self.read_at + self.delta_after + self.delta_spread * pattern
        }

        /// Runs `inputs` inputs through the search; the server applies queued inputs as the arena does (one per
        /// tick, up to 3 banked by ticks without one). Returns (late inputs, mean latency, p99 latency) over the
        /// last `measured`, in seconds.
        fn run(&self, inputs: usize, measured: usize) -> (usize, f64, f64) {
            let base = tokio::time::Instant::now();
            let at = |t: f64| base + Duration::from_secs_f64(t);
            let mut t = TickTiming::new(Duration::from_secs_f64(self.period));
            let mut due = self.phase;
            // Inputs in flight: (tick that applies it, sent, generation, measured).
            let mut flight: Vec<(f64, f64, u32, bool)> = Vec::new();
            let mut next_delta = (self.phase / self.period).floor();
            let mut late = 0;
            let mut latencies = Vec::new();
            // The server's queue: the tick the last input was applied in, and the budget left in it.
            let (mut last_tick, mut budget) = (f64::NEG_INFINITY, 0u32);
            for n in 0..inputs {
                let jitter = self.jitter * ((n * 7919) % 13) as f64 / 12.0;
                let mut sent = due + jitter;
                // The deltas that arrived before this send, and the acknowledgements in them, feed the search; a
                // move decided meanwhile applies to this input when its new time has not passed (as the shard
                // does).
                loop {
                    if self.delta_arrives(next_delta) > sent {
                        break;
                    }
                    let arrived = self.delta_arrives(next_delta);
                    t.delta_arrived(next_delta as u32, at(arrived));
                    for &(_, sent, generation, measured) in
                        flight.iter().filter(|f| f.0 == next_delta)
                    {
                        let latency = Duration::from_secs_f64(arrived - sent);
                        let was_late = t.acknowledged(generation, latency);
                        if measured {
                            late += usize::from(was_late);
                            latencies.push(arrived - sent);
                        }
                    }
                    flight.retain(|f| f.0 != next_delta);
                    let shift = t.peek_shift() as f64 / 1e9;
                    if shift != 0.0 && due + shift >= arrived {
                        t.take_shift();
                        due += shift;
                        sent = due + jitter;
                    }
                    next_delta += 1.0;
                }
                // The first tick whose read sees this input, and the tick that applies it.
                let arrives = ((sent - self.read_at) / self.period).ceil();
                let applied = if arrives > last_tick {
                    let gap = if last_tick.is_finite() {
                        arrives - last_tick
                    } else {
                        1.0
                    };
                    budget = (budget + gap.min(3.0) as u32).min(3) - 1;
                    arrives
                } else if budget > 0 {
                    budget -= 1;
                    last_tick
                } else {
                    last_tick + 1.0
                };
                last_tick = applied;
                flight.push((applied, sent, t.generation(), n >= inputs - measured));
                due += self.period + t.take_shift() as f64 / 1e9;
            }
            let mean = latencies.iter().sum::<f64>() / latencies.len() as f64;
            latencies.sort_by(f64::total_cmp);
            let p99 = latencies[latencies.len() * 99 / 100];
            (late, mean, p99)
        }
    }

    #[test]
    fn finds_the_latest_send_time_that_makes_the_read_from_any_phase() {
        let period = 1.0 / 30.0;
        // The delta arrives 8 ms after the read, or 1 ms: less than the first step, so a step later can jump past
        // the read and the delta's arrival at once.
        for delta_after in [0.008, 0.001] {
            for k in 0..10 {
                let phase = 1.0 + period * k as f64 / 10.0;
                let (late, mean, p99) =
                    Scene::new(period, 0.002, delta_after, phase).run(3000, 2000);
                // A free-running bot waits half a tick on average; this one a few milliseconds at most.
                assert!(
                    mean < delta_after + 0.003 && p99 < delta_after + 0.004,
                    "delta {delta_after}, phase {k}/10: latency mean {mean}, p99 {p99}"
                );
                assert!(
                    late <= 2000 / 100,
                    "delta {delta_after}, phase {k}/10: {late} late"
                );
            }
        }
    }

    #[test]
    fn keeps_late_inputs_rare_when_the_bot_sends_with_jitter() {
        let period = 1.0 / 60.0;
        for jitter in [0.001, 0.002, 0.004] {
            let scene = Scene {
                jitter,
                ..Scene::new(period, 0.001, 0.004, 1.003)
            };
            let (late, mean, p99) = scene.run(8000, 6000);
            assert!(late * 100 <= 6000, "jitter {jitter}: {late} of 6000 late");
            assert!(
                p99 < 0.004 + jitter + 0.004,
                "jitter {jitter}: latency mean {mean}, p99 {p99}"
            );
        }
    }

    #[test]
    fn late_deltas_do_not_move_the_send_time() {
        // A loaded server: its deltas reach the bot 5 to 15 ms after the read, varying tick by tick. That
        // delay says nothing about when the bot sent; the inputs keep making their read.
        let period = 1.0 / 30.0;
        for k in 0..5 {
            let scene = Scene {
                delta_spread: 0.010,
                jitter: 0.001,
                ..Scene::new(period, 0.002, 0.005, 1.0 + period * k as f64 / 5.0)
            };
            let (late, mean, p99) = scene.run(4000, 3000);
            assert!(late * 100 <= 3000, "phase {k}/5: {late} of 3000 late");
            assert!(
                p99 < 0.005 + 0.010 + 0.001 + 0.004,
                "phase {k}/5: latency mean {mean}, p99 {p99}"
            );
        }
    }

    #[test]
    fn only_inputs_sent_since_the_last_move_count() {
        let ms = Duration::from_millis;
        let mut t = TickTiming::new(ms(32));
        let old = t.generation();
        assert!(!t.acknowledged(old, ms(20)));
        // Before the timer takes the move, an input sent under the same generation went out at the old time.
        assert!(t.acknowledged(old, ms(40)), "20 ms above the best: late");
        assert_eq!(
            t.take_shift(),
            4_000_000,
            "an eighth of the tick later, once"
        );
        assert_eq!(t.take_shift(), 0);
        // An input sent before that move, late: it says nothing about the new send time.
        assert!(!t.acknowledged(old, ms(20)));
        assert_eq!(t.take_shift(), 0);
        // 20 ms above the best: it missed a read by 32 - 20 = 12 ms. The next input goes out that much and the
        // margin (0.5 ms) earlier, for the next read.
        assert!(t.acknowledged(t.generation(), ms(40)));
        assert_eq!(t.take_shift(), -12_500_000);
        // Late again right after a late one: inputs queued up in the server. Skip a tick instead: later by the
        // 20 ms less the margin.
        assert!(t.acknowledged(t.generation(), ms(40)));
        assert_eq!(t.take_shift(), 19_500_000);
    }

    #[test]
    fn a_late_start_moves_later_at_once_and_patience_follows_the_search() {
        let ms = Duration::from_millis;
        let mut t = TickTiming::new(ms(32));
        assert!(!t.acknowledged(0, ms(2)));
        assert_eq!(t.take_shift(), 4_000_000);
        // The server's read moved 10 ms later: inputs wait 10 ms longer than the best; move later by that, less
        // the margin.
        let g = t.generation();
        assert!(!t.acknowledged(g, ms(12)));
        assert_eq!(t.take_shift(), 9_500_000);
        // Halve the step down to the smallest with late inputs; then a step later only after PATIENCE good ones.
        for _ in 0..5 {
            let g = t.generation();
            assert!(t.acknowledged(g, ms(30)));
            assert_eq!(
                t.take_shift(),
                -4_500_000,
                "missed by 4 ms: earlier by that and the margin"
            );
            let g = t.generation();
            assert!(!t.acknowledged(g, ms(2)));
            t.take_shift();
        }
        // The last good input counted once already.
        for _ in 0..PATIENCE - 2 {
            let g = t.generation();
            assert!(!t.acknowledged(g, ms(2)));
        }
        assert_eq!(t.take_shift(), 0);
        let g = t.generation();
        t.acknowledged(g, ms(2));
        assert_eq!(t.take_shift(), 250_000);
    }

    #[test]
    fn a_delta_far_off_the_grid_teaches_nothing() {
        let ms = Duration::from_millis;
        let base = tokio::time::Instant::now();
        let mut t = TickTiming::new(ms(32));
        t.delta_arrived(10, base);
        assert!(!t.acknowledged(0, ms(5)));
        assert_eq!(t.take_shift(), 4_000_000);
        // Tick 11's delta comes 20 ms late (the tick overran; its catch-up read took the input early): the
        // latency less that lateness would be a best ever. It is not used.
        t.delta_arrived(11, base + ms(32 + 20));
        assert!(!t.acknowledged(t.generation(), ms(21)));
        assert_eq!(t.take_shift(), 0, "nothing learnt");
        // Back on the grid, 5 ms is still the best: a step later, not a move by what it "waited above" 1 ms.
        t.delta_arrived(12, base + ms(64));
        assert!(!t.acknowledged(t.generation(), ms(5)));
        assert_eq!(t.take_shift(), 4_000_000);
    }

    #[test]
    fn the_best_latency_forgets_after_two_blocks() {
        let mut m = RecentMin::default();
        m.push(Duration::from_millis(1));
        for _ in 0..BLOCK {
            m.push(Duration::from_millis(5));
        }
        assert_eq!(m.get(), Some(Duration::from_millis(1)));
        for _ in 0..BLOCK {
            m.push(Duration::from_millis(5));
        }
        assert_eq!(m.get(), Some(Duration::from_millis(5)));
    }
}
