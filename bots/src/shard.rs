//! Shards: the joined bots of a run, played by one task per runtime worker instead of one task and three timers
//! per bot.
//!
//! A bot connects and joins in its own task (see [`crate::bot`]), then hands its connection to a shard and waits
//! for its outcome. The shard owns every bot it was given and does everything a bot does while it plays:
//!
//! - **Reading.** Each bot's socket is polled with a waker of its own; when the socket has bytes, the waker puts
//!   the bot on the shard's ready list and wakes the shard task, which reads every frame the socket holds (one
//!   `read()` for one delta) and checks it. One task wake-up serves every bot whose delta arrived in the same
//!   turn of the I/O driver.
//! - **Timers.** Every bot's next input and next ping are entries in one heap; the shard sleeps on a single timer
//!   until the earliest one, then sends everything due (each input with one `write()`). Each bot keeps its own
//!   random send phase and its own grid, to the timer's resolution (1 ms, as a tokio interval per bot had); a late
//!   wake-up skips missed inputs rather than bunching them (`MissedTickBehavior::Skip`, as before).
//! - **The run's stages.** Opening the measurement window, the end of the window (and the crowd behaviour's stop
//!   input), the linger and the final close happen for all of a shard's bots in one pass.
//!
//! Nothing spins: the shard task sleeps until a socket or its timer wakes it.

use crate::bot::Bot;
use crate::run::RunCtx;
use crate::stats::{BotOutcome, Dropped};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tickwire_client::{ClientError, LeanClient};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Sleep, sleep_until};

/// How often a bot pings (and merges its samples into the shared histograms).
const PING_EVERY: Duration = Duration::from_secs(1);
/// How long a closing bot may take to write its close frame when the socket cannot take it at once.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// A joined bot handed to a shard.
#[derive(Debug)]
pub(crate) struct Joined {
    bot: Bot,
    client: LeanClient,
    /// When the first snapshot arrived: the bot's timers count their phase from here.
    joined_at: Instant,
    done: oneshot::Sender<BotOutcome>,
}

/// Where bots are handed to a shard.
pub(crate) type ShardTx = mpsc::UnboundedSender<Joined>;

/// Hands a joined bot to its shard and waits for its outcome. A bot that joins after its shard has closed
/// (after the run) is ended here.
pub(crate) async fn play(bot: Bot, client: LeanClient, joined_at: Instant) -> BotOutcome {
    let (done, outcome) = oneshot::channel();
    let index = bot.out.index;
    let ctx = bot.ctx.clone();
    let joined = Joined {
        bot,
        client,
        joined_at,
        done,
    };
    match ctx.shards[index % ctx.shards.len()].send(joined) {
        Ok(()) => outcome.await.unwrap_or_else(|_| BotOutcome {
            // Only when the shard task panicked, which the run reports as an error.
            index,
            dropped: Some(Dropped {
                code: None,
                reason: "the shard playing this bot ended".into(),
            }),
            ..Default::default()
        }),
        Err(mpsc::error::SendError(j)) => {
            ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
            end(j.bot, j.client, None)
        }
    }
}

/// Ends a bot: its outcome, then (when the connection did not drop) a close frame with 1000 and the socket
/// closed once it is written.
fn end(bot: Bot, mut client: LeanClient, dropped: Option<Dropped>) -> BotOutcome {
    let closing = dropped.is_none();
    let out = bot.finish(&client, dropped);
    if closing {
        client.queue_close(1000, "bye");
        let mut cx = Context::from_waker(Waker::noop());
        if client.poll_flush(&mut cx).is_pending() {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, client.flush()).await;
            });
        }
    }
    out
}

/// Runs a shard until the run's close time; then every bot it holds (or is still handed) is ended.
pub(crate) async fn run(ctx: Arc<RunCtx>, rx: mpsc::UnboundedReceiver<Joined>) {
    let mut shard = Shard {
        stage: Stage::Warmup,
        sleep: Box::pin(sleep_until(ctx.measure_from)),
        sleep_at: ctx.measure_from,
        ctx,
        rx,
        bots: Vec::new(),
        ready: Arc::new(Ready::default()),
        taken: Vec::new(),
        timers: BinaryHeap::new(),
        live_deltas: 0,
    };
    poll_fn(|cx| shard.poll(cx)).await;
}

/// Where the run is, for a shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Ramp and warm-up: playing, nothing measured yet.
    Warmup,
    /// The measurement window.
    Window,
    /// After the window: following the tick stream, no inputs or pings.
    Linger,
}

/// A timer entry: bot `bot`'s next input or ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    due: Instant,
    bot: usize,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Input,
    Ping,
}

/// The bots whose sockets woke since the shard last looked, and the shard task's waker.
#[derive(Debug, Default)]
struct Ready(Mutex<ReadyInner>);

#[derive(Debug, Default)]
struct ReadyInner {
    bots: Vec<usize>,
    task: Option<Waker>,
}

impl Ready {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyInner> {
        // A poisoned lock means a shard panicked, which the run reports; the list is still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One bot's waker: queues the bot (once until the shard looks at it) and wakes the shard.
#[derive(Debug)]
struct BotWake {
    bot: usize,
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl Wake for BotWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut ready = self.ready.lock();
        ready.bots.push(self.bot);
        if ready.bots.len() == 1
            && let Some(task) = &ready.task
        {
            task.wake_by_ref();
        }
    }
}

/// A bot the shard plays.
#[derive(Debug)]
struct Playing {
    bot: Bot,
    client: LeanClient,
    waker: Waker,
    wake: Arc<BotWake>,
    done: oneshot::Sender<BotOutcome>,
    steering: crate::behaviour::Steering,
    input_period: Duration,
    /// Past the window: no more inputs or pings.
    lingering: bool,
}

#[derive(Debug)]
struct Shard {
    ctx: Arc<RunCtx>,
    rx: mpsc::UnboundedReceiver<Joined>,
    /// Every bot handed to this shard, by arrival; `None` once it ended.
    bots: Vec<Option<Playing>>,
    ready: Arc<Ready>,
    /// The ready list taken from `ready` (kept to reuse its allocation).
    taken: Vec<usize>,
    timers: BinaryHeap<Reverse<Timer>>,
    stage: Stage,
    sleep: Pin<Box<Sleep>>,
    sleep_at: Instant,
    /// Deltas received since the live counter was last updated.
    live_deltas: u64,
}

impl Shard {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        {
            let mut ready = self.ready.lock();
            if !ready.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                ready.task = Some(cx.waker().clone());
            }
        }
        while let Poll::Ready(Some(joined)) = self.rx.poll_recv(cx) {
            self.add(joined);
        }
        let now = Instant::now();
        if self.stage == Stage::Warmup && now >= self.ctx.measure_from {
            self.stage = Stage::Window;
            for p in self.bots.iter_mut().flatten() {
                p.bot.open_window(&p.client);
            }
        }
        if self.stage == Stage::Window && now >= self.ctx.end_at {
            self.stage = Stage::Linger;
            for i in 0..self.bots.len() {
                self.start_linger(i);
            }
        }
        if now >= self.ctx.close_at {
            self.close_all();
            return Poll::Ready(());
        }
        self.fire_timers(now);
        {
            let mut ready = self.ready.lock();
            std::mem::swap(&mut ready.bots, &mut self.taken);
        }
        let mut taken = std::mem::take(&mut self.taken);
        for &i in &taken {
            self.service(i);
        }
        taken.clear();
        self.taken = taken;
        if self.live_deltas > 0 {
            self.ctx
                .live
                .deltas
                .fetch_add(std::mem::take(&mut self.live_deltas), Ordering::Relaxed);
        }
        let next = [
            self.timers.peek().map(|t| t.0.due),
            Some(match self.stage {
                Stage::Warmup => self.ctx.measure_from,
                Stage::Window => self.ctx.end_at,
                Stage::Linger => self.ctx.close_at,
            }),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.ctx.close_at);
        if next != self.sleep_at {
            self.sleep.as_mut().reset(next);
            self.sleep_at = next;
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            // Something is due already: look again at once (after the other tasks had their turn).
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Takes a newly joined bot: schedules its first input and ping `phase` of a period after its first
    /// snapshot, and brings it to the run's stage.
    fn add(&mut self, j: Joined) {
        let i = self.bots.len();
        let wake = Arc::new(BotWake {
            bot: i,
            queued: AtomicBool::new(true),
            ready: self.ready.clone(),
        });
        let behaviour = self.ctx.config.behaviour;
        let rate = j.bot.input_rate();
        let input_period = Duration::from_secs_f64(1.0 / rate);
        let mut steering = crate::behaviour::Steering::new(
            behaviour,
            self.ctx.config.seed,
            j.bot.out.index,
            behaviour.change_every(rate),
        );
        let phase = steering.phase();
        if steering.sends_inputs() {
            self.timers.push(Reverse(Timer {
                due: j.joined_at + input_period.mul_f64(phase),
                bot: i,
                kind: Kind::Input,
            }));
        }
        self.timers.push(Reverse(Timer {
            due: j.joined_at + PING_EVERY.mul_f64(phase),
            bot: i,
            kind: Kind::Ping,
        }));
        let mut p = Playing {
            bot: j.bot,
            client: j.client,
            waker: Waker::from(wake.clone()),
            wake,
            done: j.done,
            steering,
            input_period,
            lingering: false,
        };
        if self.stage == Stage::Window {
            p.bot.open_window(&p.client);
        }
        self.bots.push(Some(p));
        if self.stage == Stage::Linger {
            self.start_linger(i);
        }
        // Frames may already wait in its buffer (received with the join's last read).
        self.service(i);
    }

    /// Sends everything due by `now`.
    fn fire_timers(&mut self, now: Instant) {
        while let Some(&Reverse(t)) = self.timers.peek() {
            if t.due > now {
                break;
            }
            self.timers.pop();
            let Some(p) = self.bots[t.bot].as_mut() else {
                continue;
            };
            if p.lingering {
                continue;
            }
            // The time of the write: how late the timer fired, and when the input left.
            let at = Instant::now();
            p.bot.timer_lag(t.due, at);
            let sent = match t.kind {
                Kind::Input => {
                    let you = p.bot.welcome.as_ref().map_or(0, |w| w.you);
                    let view = p.bot.out.decoder.then_some((&p.bot.mirror, you));
                    match p.steering.next(view) {
                        Some(c) => p
                            .client
                            .queue_input(c.dx, c.dy, c.aim, c.buttons)
                            .map(|seq| p.bot.sent_input(seq, at)),
                        None => Ok(()),
                    }
                }
                Kind::Ping => {
                    let client_time = at.duration_since(self.ctx.start).as_micros() as f64;
                    self.ctx.hist.absorb(&mut p.bot.samples);
                    p.client.queue_ping(client_time)
                }
            };
            let sent = sent.and_then(|()| {
                match p.client.poll_flush(&mut Context::from_waker(&p.waker)) {
                    Poll::Ready(Err(e)) => Err(e),
                    _ => Ok(()),
                }
            });
            let period = match t.kind {
                Kind::Input => p.input_period,
                Kind::Ping => PING_EVERY,
            };
            match sent {
                Ok(()) => self.timers.push(Reverse(Timer {
                    due: next_due(t.due, period, now),
                    ..t
                })),
                Err(e) => self.drop_bot(t.bot, e),
            }
        }
    }

    /// Reads and checks every frame bot `i`'s socket holds, and writes what waits to be written.
    fn service(&mut self, i: usize) {
        let Some(p) = self.bots.get_mut(i).and_then(Option::as_mut) else {
            return;
        };
        p.wake.queued.store(false, Ordering::Release);
        let mut cx = Context::from_waker(&p.waker);
        let now = Instant::now();
        let mut failed = loop {
            match p.client.poll_recv(&mut cx) {
                Poll::Ready(Ok(bytes)) => p.bot.on_frame(bytes, now),
                Poll::Ready(Err(ClientError::Protocol(m))) => p.bot.protocol_error(m),
                Poll::Ready(Err(e)) => break Some(e),
                Poll::Pending => break None,
            }
        };
        if failed.is_none()
            && p.client.wants_flush()
            && let Poll::Ready(Err(e)) = p.client.poll_flush(&mut cx)
        {
            failed = Some(e);
        }
        self.live_deltas += std::mem::take(&mut p.bot.unreported_deltas);
        if let Some(e) = failed {
            self.drop_bot(i, e);
        }
    }

    /// The window is over for bot `i`: its figures stop, a crowd bot sends its stop input, and it only follows
    /// the tick stream from now on.
    fn start_linger(&mut self, i: usize) {
        let Some(p) = self.bots[i].as_mut() else {
            return;
        };
        p.bot.close_window(&p.client);
        p.lingering = true;
        if !(p.steering.sends_inputs() && self.ctx.config.behaviour.stops_at_end()) {
            return;
        }
        // Not counted as an input: it is outside the window and nobody waits for its acknowledgement.
        let sent = p.client.queue_input(0.0, 0.0, 0.0, 0).and_then(|_| {
            match p.client.poll_flush(&mut Context::from_waker(&p.waker)) {
                Poll::Ready(Err(e)) => Err(e),
                _ => Ok(()),
            }
        });
        if let Err(e) = sent {
            self.drop_bot(i, e);
        }
    }

    /// Bot `i`'s connection ended early.
    fn drop_bot(&mut self, i: usize, e: ClientError) {
        if let Some(mut p) = self.bots[i].take() {
            let dropped = p.bot.dropped(e);
            self.ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
            let _ = p.done.send(end(p.bot, p.client, Some(dropped)));
        }
    }

    /// The run is over: every bot ends, including any handed over but not taken yet; bots joining later end in
    /// their own tasks.
    fn close_all(&mut self) {
        self.rx.close();
        while let Ok(j) = self.rx.try_recv() {
            self.ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
            let _ = j.done.send(end(j.bot, j.client, None));
        }
        for p in self.bots.iter_mut().filter_map(Option::take) {
            self.ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
            let _ = p.done.send(end(p.bot, p.client, None));
        }
        if self.live_deltas > 0 {
            self.ctx
                .live
                .deltas
                .fetch_add(std::mem::take(&mut self.live_deltas), Ordering::Relaxed);
        }
    }
}

/// The next time a periodic timer due at `due` fires, at `now`: one period later, or, when that is already past,
/// the first point of its grid after `now` (missed ones are skipped, as `MissedTickBehavior::Skip` does).
fn next_due(due: Instant, period: Duration, now: Instant) -> Instant {
    let next = due + period;
    if next > now {
        return next;
    }
    let behind = now.duration_since(due).as_nanos() % period.as_nanos().max(1);
    now + period - Duration::from_nanos(behind as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_timers_skip_to_the_next_point_of_their_grid() {
        let t0 = Instant::now();
        let p = Duration::from_millis(10);
        assert_eq!(next_due(t0, p, t0 + Duration::from_millis(3)), t0 + p);
        // 25 ms late: the points at 10 and 20 are gone, 30 is next.
        assert_eq!(
            next_due(t0, p, t0 + Duration::from_millis(25)),
            t0 + Duration::from_millis(30)
        );
        // Exactly on a point: the next one.
        assert_eq!(next_due(t0, p, t0 + p), t0 + 2 * p);
    }
}
