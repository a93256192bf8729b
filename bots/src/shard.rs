//! Shards: the joined bots of a run, played by one thread per CPU instead of one task and three timers per bot.
//!
//! A bot connects and joins in its own tokio task (see [`crate::bot`]), then hands its connection to a shard and
//! waits for its outcome. The shard takes the socket out of tokio's reactor into a `mio` poll of its own and does
//! everything a bot does while it plays, in a loop that wakes once a look period (`--look-every`, 1 ms by default):
//!
//! - **Reading.** On each wake-up the shard asks its poll which sockets received bytes since the last look and
//!   reads each of them (one `read()` for one delta) and checks every frame. Deltas that arrive while the shard
//!   sleeps wait in their sockets: a burst of arrivals costs one wake-up, not one each (a process that sleeps in
//!   `epoll_wait` on every socket is woken for nearly every delta, and on this kind of machine a wake-up costs
//!   more than reading the delta). A frame is therefore handled up to one look period (`--look-every`, [`crate::Config::look_every`]) after it
//!   arrived, and it is timed by the kernel's receive timestamp, not by the read: latency, jitter and round trips
//!   stay exact.
//! - **Timers.** Every bot's next input and next ping are entries in one timing wheel; each wake-up sends
//!   everything due (each input with one `write()`). Each bot keeps its own random send phase and its own grid, to the look
//!   period (a tokio interval per bot had the same 1 ms resolution); a late wake-up skips missed inputs rather than
//!   bunching them (`MissedTickBehavior::Skip`, as before). With `--input-timing tick` each input's due time moves
//!   by what the bot's [`TickTiming`] learnt from the acknowledgements (see [`crate::timing`]).
//! - **The run's stages.** Opening the measurement window, the end of the window (and the crowd behaviour's stop
//!   input), the linger and the final close happen for all of a shard's bots in one pass.
//! - **Order.** Each wake-up sends the inputs due before it reads, and again after every 64 sockets of a burst of
//!   arrivals (a server's fan-out reaches every bot at once): a frame waiting in its socket keeps the kernel's
//!   arrival time, an input sent late stays late.
//! - **Measurements** go into the shard's own histograms, merged into the run's once a second.
//!
//! Nothing spins: between wake-ups the thread sleeps (on its channel, so a newly joined bot is taken at once).

use crate::bot::Bot;
use crate::run::RunCtx;
use crate::stats::{BotOutcome, Dropped, Histograms};
use crate::timing::{TickTiming, shifted};
use wheel::{Entry, Wheel};

mod wheel;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, SystemTime};
use tickwire_client::{ClientError, LeanClient};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// How often a bot pings.
const PING_EVERY: Duration = Duration::from_secs(1);
/// How often a shard merges its measurements into the run's histograms (what the progress line shows).
const MERGE_EVERY: Duration = Duration::from_secs(1);
/// How long a closing bot may take to write its close frame when the socket cannot take it at once.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long, at the end of the run, the bots wait for the server to answer their close frames and end the
/// connections (RFC 6455's closing handshake). A server has given a connection's place back by then, so a run
/// started right after this one finds it free.
const CLOSE_ANSWER_WAIT: Duration = Duration::from_secs(2);
/// Readiness events taken from the poll at a time.
const EVENTS: usize = 1024;
/// While reading a burst, the timers due are sent after every this many sockets.
const TIMERS_EVERY: usize = 64;

/// A joined bot handed to a shard.
#[derive(Debug)]
pub(crate) struct Joined {
    bot: Bot,
    client: LeanClient,
    /// When the first snapshot arrived: the bot's timers count their phase from here.
    joined_at: Instant,
    done: oneshot::Sender<BotOutcome>,
}

/// What a shard is sent.
#[derive(Debug)]
pub(crate) enum ToShard {
    /// A bot to play.
    Play(Box<Joined>),
    /// Every bot has its outcome: end now.
    Stop,
}

/// Where bots are handed to a shard.
pub(crate) type ShardTx = Sender<ToShard>;

/// Hands a joined bot to its shard and waits for its outcome. Should the shard be gone (it only leaves when the run
/// has every outcome, or panicked), the bot is ended here.
pub(crate) async fn play(bot: Bot, client: LeanClient, joined_at: Instant) -> BotOutcome {
    let (done, outcome) = oneshot::channel();
    let index = bot.out.index;
    let ctx = bot.ctx.clone();
    let joined = Box::new(Joined {
        bot,
        client,
        joined_at,
        done,
    });
    match ctx.shards[index % ctx.shards.len()].send(ToShard::Play(joined)) {
        Ok(()) => outcome.await.unwrap_or_else(|_| BotOutcome {
            // Only when the shard thread panicked, which the run reports as an error.
            index,
            dropped: Some(Dropped {
                code: None,
                reason: "the shard playing this bot ended".into(),
            }),
            ..Default::default()
        }),
        Err(e) => {
            let ToShard::Play(j) = e.0 else {
                unreachable!("a bot sends only bots")
            };
            ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
            end(&tokio::runtime::Handle::current(), j.bot, j.client, None)
        }
    }
}

/// Ends a bot: its outcome, then (when the connection did not drop) a close frame with 1000 and the socket closed
/// once it is written. `client` may be attached to tokio or not.
fn end(
    rt: &tokio::runtime::Handle,
    bot: Bot,
    mut client: LeanClient,
    dropped: Option<Dropped>,
) -> BotOutcome {
    let closing = dropped.is_none();
    let out = bot.finish(&client, dropped);
    if closing {
        client.queue_close(1000, "bye");
        if let Ok(false) = client.try_flush() {
            let _entered = rt.enter();
            if client.attach().is_ok() {
                rt.spawn(async move {
                    let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, client.flush()).await;
                });
            }
        }
    }
    out
}

/// Starts a shard thread; it runs until the run's close time (or a [`ToShard::Stop`]), then ends every bot it
/// holds, and any handed over later, until a [`ToShard::Stop`]. `finished` is sent when it returns (dropped unsent
/// if it panics).
pub(crate) fn spawn(
    ctx: Arc<RunCtx>,
    rx: Receiver<ToShard>,
    finished: oneshot::Sender<()>,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Handle::current();
    let poll = Poll::new()?;
    std::thread::Builder::new()
        .name("tickwire-bots-shard".into())
        .spawn(move || {
            let mut shard = Shard {
                stage: Stage::Warmup,
                timers: Wheel::new(ctx.start, ctx.config.look_every),
                due: Vec::new(),
                hist: Histograms::default(),
                merged_at: ctx.start,
                ctx,
                rx,
                rt,
                poll,
                bots: Vec::new(),
                live: 0,
                hz: 0,
                live_deltas: 0,
                stop: false,
                over: false,
            };
            shard.run();
            let _ = finished.send(());
        })?;
    Ok(())
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

/// What a timer is for: bot `.0`'s next input or ping; `.2` is the input timer's token (an input timer moved by the
/// tick timing leaves its old entry in the wheel, which fires with an old token and is skipped).
type Timer = (usize, Kind, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Input,
    Ping,
}

/// A bot the shard plays.
#[derive(Debug)]
struct Playing {
    bot: Bot,
    client: LeanClient,
    done: oneshot::Sender<BotOutcome>,
    steering: crate::behaviour::Steering,
    input_period: Duration,
    /// The input rate is the server's tick rate: `input_period` follows its changes.
    follows_tick_rate: bool,
    /// Past the window: no more inputs or pings.
    lingering: bool,
    /// When the scheduled input is due, and its timer's token.
    input_due: Instant,
    input_token: u32,
}

#[derive(Debug)]
struct Shard {
    ctx: Arc<RunCtx>,
    rx: Receiver<ToShard>,
    rt: tokio::runtime::Handle,
    poll: Poll,
    /// Every bot handed to this shard, by arrival (its poll token); `None` once it ended.
    bots: Vec<Option<Playing>>,
    /// Bots still playing.
    live: usize,
    /// The server's tick rate the bots' input periods follow (see [`crate::stats::Live::learn_tick_rate`]).
    hz: u64,
    timers: Wheel<Timer>,
    /// The timers due at this look (kept to reuse its allocation).
    due: Vec<Entry<Timer>>,
    /// This shard's measurements since they were last merged into the run's.
    hist: Histograms,
    merged_at: Instant,
    stage: Stage,
    /// Deltas received since the live counter was last updated.
    live_deltas: u64,
    /// A [`ToShard::Stop`] came.
    stop: bool,
    /// The run is over for this shard: bots handed over now end at once.
    over: bool,
}

impl Shard {
    fn run(&mut self) {
        let mut events = Events::with_capacity(EVENTS);
        loop {
            while let Ok(msg) = self.rx.try_recv() {
                self.take(msg);
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
            if self.stop || now >= self.ctx.close_at {
                self.close_all();
                self.closed();
                return;
            }
            // Timers first: an input late for its send time stays late, while a frame that waits in its socket
            // keeps the kernel's arrival time.
            self.fire_timers(Instant::now());
            self.read_ready(&mut events);
            self.follow_tick_rate();
            self.fire_timers(Instant::now());
            self.report(now);
            let wake = self.next_wake();
            match self
                .rx
                .recv_timeout(wake.saturating_duration_since(Instant::now()))
            {
                Ok(msg) => self.take(msg),
                Err(RecvTimeoutError::Timeout) => {}
                // The run holds the senders until every shard finished; only a run that is gone gets here.
                Err(RecvTimeoutError::Disconnected) => self.stop = true,
            }
        }
    }

    /// When to look again: the next point of the look grid while bots play; else the next stage change (a bot
    /// handed over wakes the shard earlier).
    fn next_wake(&self) -> Instant {
        let stage_end = match self.stage {
            Stage::Warmup => self.ctx.measure_from,
            Stage::Window => self.ctx.end_at,
            Stage::Linger => self.ctx.close_at,
        };
        if self.live == 0 {
            return stage_end;
        }
        let now = Instant::now();
        let since = now.saturating_duration_since(self.ctx.start).as_nanos();
        let step = self.ctx.config.look_every.as_nanos();
        let next = self.ctx.start + Duration::from_nanos(((since / step + 1) * step) as u64);
        next.min(stage_end)
    }

    fn take(&mut self, msg: ToShard) {
        match msg {
            ToShard::Play(j) if self.over => self.end_late(*j),
            ToShard::Play(j) => self.add(*j),
            ToShard::Stop => self.stop = true,
        }
    }

    /// Takes a newly joined bot: moves its socket into the poll, schedules its first input and ping `phase` of a
    /// period after its first snapshot, and brings it to the run's stage.
    fn add(&mut self, j: Joined) {
        let i = self.bots.len();
        let Joined {
            mut bot,
            mut client,
            joined_at,
            done,
        } = j;
        // Frames are read up to a look period after they arrive: the kernel's receive timestamps keep their
        // arrival times exact. Without them (an error here), the time of the read stands in.
        if let Err(e) = client.stamp_arrivals() {
            tracing::debug!(bot = bot.out.index, error = %e, "no receive timestamps");
        }
        let registered = client.detach().and_then(|()| {
            let fd = client.raw_fd().ok_or(ClientError::Ended)?;
            self.poll
                .registry()
                .register(
                    &mut SourceFd(&fd),
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .map_err(|e| ClientError::Ws(e.into()))
        });
        if let Err(e) = registered {
            let dropped = bot.dropped(e);
            self.ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
            let _ = done.send(end(&self.rt, bot, client, Some(dropped)));
            self.bots.push(None);
            return;
        }
        let behaviour = self.ctx.config.behaviour;
        let follows_tick_rate = bot.follows_tick_rate();
        let live_hz = self.ctx.live.tick_rate_hz();
        let rate = if follows_tick_rate && live_hz > 0 {
            live_hz as f64
        } else {
            bot.input_rate()
        };
        let input_period = Duration::from_secs_f64(1.0 / rate);
        let mut steering = crate::behaviour::Steering::new(
            behaviour,
            self.ctx.config.seed,
            bot.out.index,
            behaviour.change_every(rate),
        );
        let phase = steering.phase();
        if follows_tick_rate && self.ctx.config.input_timing == crate::InputTiming::Tick {
            bot.timing = Some(TickTiming::new(input_period));
        }
        let input_due = joined_at + input_period.mul_f64(phase);
        if steering.sends_inputs() {
            self.timers.push(input_due, (i, Kind::Input, 0));
        }
        self.timers
            .push(joined_at + PING_EVERY.mul_f64(phase), (i, Kind::Ping, 0));
        if self.stage == Stage::Window {
            bot.open_window(&client);
        }
        self.bots.push(Some(Playing {
            bot,
            client,
            done,
            steering,
            input_period,
            follows_tick_rate,
            lingering: false,
            input_due,
            input_token: 0,
        }));
        self.live += 1;
        if self.stage == Stage::Linger {
            self.start_linger(i);
        }
        // Frames may already wait in its buffer (received with the join's last read).
        self.serve(i, true);
    }

    /// Reads every socket that reported bytes (or an error) since the last look, and writes to those that can
    /// take what waits.
    fn read_ready(&mut self, events: &mut Events) {
        loop {
            if self.poll.poll(events, Some(Duration::ZERO)).is_err() {
                // EINTR: look again at the next wake-up.
                return;
            }
            for (k, event) in events.iter().enumerate() {
                if k % TIMERS_EVERY == TIMERS_EVERY - 1 {
                    // A long burst of arrivals (a server's fan-out to every bot) must not hold back the inputs
                    // due meanwhile.
                    self.fire_timers(Instant::now());
                }
                let i = event.token().0;
                let readable = event.is_readable() || event.is_read_closed() || event.is_error();
                self.serve(i, readable);
                if event.is_writable()
                    && let Some(p) = self.bots.get_mut(i).and_then(Option::as_mut)
                    && p.client.wants_flush()
                    && let Err(e) = p.client.try_flush()
                {
                    self.drop_bot(i, e);
                }
            }
            if events.iter().count() < EVENTS {
                return;
            }
        }
    }

    /// When the server's tick rate changed (a decoder saw the event), bots whose input rate is the server's send
    /// at the new rate from their next input on.
    fn follow_tick_rate(&mut self) {
        let hz = self.ctx.live.tick_rate_hz();
        if hz == self.hz || hz == 0 {
            return;
        }
        self.hz = hz;
        let period = crate::bot::period_of(hz);
        for p in self.bots.iter_mut().flatten() {
            if p.follows_tick_rate {
                p.input_period = period;
                if let Some(timing) = &mut p.bot.timing {
                    // The ticks now fall elsewhere: search again.
                    *timing = TickTiming::new(period);
                }
            }
        }
    }

    /// Sends everything due by `now`.
    fn fire_timers(&mut self, now: Instant) {
        let mut due = std::mem::take(&mut self.due);
        self.timers.take_due(now, &mut due);
        for Entry {
            due,
            key: (i, kind, token),
        } in due.drain(..)
        {
            let Some(p) = self.bots[i].as_mut() else {
                continue;
            };
            if p.lingering || (kind == Kind::Input && token != p.input_token) {
                // Lingering, or an input timer the tick timing moved.
                continue;
            }
            // The time of the write: how late the timer fired, and when the input left.
            let at = Instant::now();
            p.bot.timer_lag(due, at, &mut self.hist);
            let sent = match kind {
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
                    p.client.queue_ping(client_time)
                }
            };
            let (period, due) = match kind {
                // With tick timing, the next input goes out as much earlier or later as the search says.
                Kind::Input => (
                    p.input_period,
                    p.bot
                        .timing
                        .as_mut()
                        .map_or(due, |t| shifted(due, t.take_shift())),
                ),
                Kind::Ping => (PING_EVERY, due),
            };
            match sent.and_then(|()| p.client.try_flush()) {
                Ok(_) => {
                    let next = next_due(due, period, now);
                    if kind == Kind::Input {
                        p.input_due = next;
                    }
                    self.timers.push(next, (i, kind, token));
                }
                Err(e) => self.drop_bot(i, e),
            }
        }
        self.due = due;
    }

    /// Passes on what this shard counted: deltas to the live counter at every look, measurements to the run's
    /// histograms once a second.
    fn report(&mut self, now: Instant) {
        if self.live_deltas > 0 {
            self.ctx
                .live
                .deltas
                .fetch_add(std::mem::take(&mut self.live_deltas), Ordering::Relaxed);
        }
        if now.saturating_duration_since(self.merged_at) >= MERGE_EVERY {
            self.merged_at = now;
            self.ctx.hist.absorb(&mut self.hist);
        }
    }

    /// Handles every frame bot `i` has (reading its socket when it reported bytes), and writes what waits.
    fn serve(&mut self, i: usize, readable: bool) {
        let Some(p) = self.bots.get_mut(i).and_then(Option::as_mut) else {
            return;
        };
        if readable {
            p.client.mark_readable();
        }
        let clock = Clock::now();
        let mut failed = loop {
            match p.client.try_recv_at() {
                Ok(Some((bytes, at))) => p.bot.on_frame(bytes, clock.instant(at), &mut self.hist),
                Ok(None) => break None,
                Err(ClientError::Protocol(m)) => p.bot.protocol_error(m),
                Err(e) => break Some(e),
            }
        };
        if failed.is_none()
            && p.client.wants_flush()
            && let Err(e) = p.client.try_flush()
        {
            failed = Some(e);
        }
        self.live_deltas += std::mem::take(&mut p.bot.unreported_deltas);
        if let Some(e) = failed {
            self.drop_bot(i, e);
        } else {
            self.move_input(i);
        }
    }

    /// When the tick timing decided a move (from the acknowledgements just read), bot `i`'s scheduled input takes
    /// it at once, unless its moved time has passed (then the input goes at its time and the move applies to the
    /// next one): sent at the old time it would miss its read as the one before did.
    fn move_input(&mut self, i: usize) {
        let Some(p) = self.bots.get_mut(i).and_then(Option::as_mut) else {
            return;
        };
        let Some(timing) = p.bot.timing.as_mut() else {
            return;
        };
        let shift = timing.peek_shift();
        if shift == 0 || p.lingering {
            return;
        }
        let moved = shifted(p.input_due, shift);
        if moved < Instant::now() {
            return;
        }
        timing.take_shift();
        p.input_due = moved;
        p.input_token = p.input_token.wrapping_add(1);
        self.timers.push(moved, (i, Kind::Input, p.input_token));
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
        let sent = p
            .client
            .queue_input(0.0, 0.0, 0.0, 0)
            .and_then(|_| p.client.try_flush());
        if let Err(e) = sent {
            self.drop_bot(i, e);
        }
    }

    /// Takes bot `i` out of the poll and the shard.
    fn remove(&mut self, i: usize) -> Option<Playing> {
        let p = self.bots.get_mut(i)?.take()?;
        if let Some(fd) = p.client.raw_fd() {
            let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        }
        self.live -= 1;
        self.ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
        Some(p)
    }

    /// Bot `i`'s connection ended early.
    fn drop_bot(&mut self, i: usize, e: ClientError) {
        if let Some(mut p) = self.remove(i) {
            let dropped = p.bot.dropped(e);
            let _ = p.done.send(end(&self.rt, p.bot, p.client, Some(dropped)));
        }
    }

    /// After the run: a bot that joins this late ends at once, until the run says every bot is done (a channel
    /// closed earlier could drop a bot handed over at the same moment, and its outcome with it).
    fn closed(&mut self) {
        while !self.stop {
            match self.rx.recv() {
                Ok(msg) => self.take(msg),
                Err(_) => return,
            }
        }
    }

    /// Ends a bot handed over after the run.
    fn end_late(&mut self, j: Joined) {
        self.ctx.live.connected.fetch_sub(1, Ordering::Relaxed);
        let _ = j.done.send(end(&self.rt, j.bot, j.client, None));
    }

    /// The run is over: every bot ends, including any handed over but not taken yet.
    fn close_all(&mut self) {
        self.over = true;
        while let Ok(msg) = self.rx.try_recv() {
            self.take(msg);
        }
        let mut closing = Vec::new();
        for i in 0..self.bots.len() {
            if let Some(mut p) = self.remove(i) {
                let out = p.bot.finish(&p.client, None);
                p.client.queue_close(1000, "bye");
                if p.client.try_flush().is_ok() {
                    closing.push(p.client);
                }
                let _ = p.done.send(out);
            }
        }
        self.merged_at = self.ctx.start;
        self.report(Instant::now());
        await_close_answers(closing, Instant::now() + CLOSE_ANSWER_WAIT);
    }
}

/// Waits until the server has answered every close frame and ended each connection (or `deadline`), writing what
/// is still queued when a socket can take it. Frames that arrive meanwhile are read and dropped. The end of the
/// stream, not the close answer, is what counts: the server gives the connection's place back between the two.
fn await_close_answers(mut closing: Vec<LeanClient>, deadline: Instant) {
    let Ok(mut poll) = Poll::new() else { return };
    // Out of the shard's poll (the bots were removed from it), into this one; tokens are positions in `closing`.
    let mut open = vec![false; closing.len()];
    for (i, c) in closing.iter().enumerate() {
        let registered = c.raw_fd().is_some_and(|fd| {
            poll.registry()
                .register(
                    &mut SourceFd(&fd),
                    Token(i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_ok()
        });
        open[i] = registered;
    }
    let mut events = Events::with_capacity(EVENTS);
    while open.iter().any(|o| *o) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || poll.poll(&mut events, Some(left)).is_err() {
            return;
        }
        for event in events.iter() {
            let i = event.token().0;
            let Some(c) = closing.get_mut(i) else {
                continue;
            };
            if !open[i] {
                continue;
            }
            if c.wants_flush() && c.try_flush().is_err() {
                open[i] = false;
                continue;
            }
            loop {
                // Read until the socket says it is empty: the close answer and the end of the stream often arrive
                // together, and a read that stops short of the end would wait for a readiness edge that never
                // comes (until the deadline: every run ended 2 s late that way).
                c.mark_readable();
                match c.try_recv() {
                    Ok(Some(_)) | Err(ClientError::Closed { .. }) => {}
                    Ok(None) => break,
                    // The end of the stream (after the server's close answer), or a reset: done either way.
                    Err(_) => {
                        open[i] = false;
                        break;
                    }
                }
            }
        }
    }
}

/// The monotonic and the wall clock read together, to turn the kernel's receive timestamps (wall clock) into
/// instants.
#[derive(Debug, Clone, Copy)]
struct Clock {
    instant: Instant,
    wall: SystemTime,
}

impl Clock {
    fn now() -> Clock {
        Clock {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// The instant of wall-clock time `at` (no later than now); now when there is no timestamp.
    fn instant(&self, at: Option<SystemTime>) -> Instant {
        match at.map(|at| self.wall.duration_since(at)) {
            Some(Ok(ago)) => self.instant.checked_sub(ago).unwrap_or(self.instant),
            _ => self.instant,
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
    fn receive_timestamps_become_instants_in_the_past() {
        let clock = Clock::now();
        let ago = Duration::from_millis(3);
        assert_eq!(clock.instant(Some(clock.wall - ago)), clock.instant - ago);
        assert_eq!(clock.instant(None), clock.instant);
        // A stamp from the future (the wall clock stepped back) counts as now.
        assert_eq!(
            clock.instant(Some(clock.wall + Duration::from_secs(1))),
            clock.instant
        );
    }

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
