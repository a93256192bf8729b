//! One bot's life: connect and join (in the bot's own task), then send inputs on its timer and follow the server's
//! tick stream until the run ends (inside a shard, see [`crate::shard`]), measuring as it goes.
//!
//! Every frame's header is read with [`tickwire_shared::peek_header`] to follow the tick numbers and the input acknowledgements;
//! a *decoder* bot then also decodes the whole frame into its [`tickwire_shared::Mirror`] (through
//! `tickwire-client`), which checks every spawn, change and despawn. Anything that does not fit is a protocol
//! error: an undecodable frame, a delta before any snapshot, a tick going backwards, a delta whose base is not
//! the tick held, a change or despawn of an unknown entity.

use crate::run::RunCtx;
use crate::stats::{BotOutcome, Dropped, Histograms, Live, MAX_ERROR_EXAMPLES};
use crate::timing::TickTiming;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tickwire_client::ProtocolError;
use tickwire_client::tls::Trust;
use tickwire_client::{ClientError, LeanClient, WsError};
use tickwire_shared::{ClientMessage, Hello, Mirror, PROTOCOL_VERSION, Welcome};
use tokio::time::{Instant, sleep_until, timeout_at};

/// What a run's bots trust for `wss://`: a certificate refusal can only come with `--ca-cert` or with nothing
/// (`--insecure` refuses none).
pub(crate) fn trust_of(ctx: &RunCtx) -> Trust {
    if ctx.config.tls.is_some() {
        Trust::CaFile
    } else {
        Trust::PublicRoots
    }
}

/// Inputs remembered while waiting for their acknowledgement (about 8 s at 30 Hz).
const MAX_PENDING_INPUTS: usize = 256;

/// A short, groupable description of why a connection failed or ended.
/// `trust`: what the bots were told to trust for `wss://` (`--ca-cert` or not), for a certificate refusal's advice.
pub(crate) fn describe(e: &ClientError, trust: Trust) -> String {
    match e {
        ClientError::Ws(WsError::Http(resp)) => {
            let status = resp.status().as_u16();
            match status {
                503 => "HTTP 503 (the server is full: its --max-clients)".into(),
                404 => "HTTP 404 (no such path: the game's is /ws)".into(),
                401 | 403 => {
                    format!("HTTP {status} (refused: is --url an admin path? the game's is /ws)")
                }
                200..=299 => {
                    format!("HTTP {status} (a page, not a WebSocket: the game's path is /ws)")
                }
                _ => format!("HTTP {status}"),
            }
        }
        ClientError::Ws(WsError::Io(io)) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::ConnectionReset => "connection reset".into(),
            std::io::ErrorKind::TimedOut => "timeout".into(),
            // rustls's refusal, through tokio-rustls's I/O error.
            _ => tickwire_client::tls::explain_refusal(io, trust)
                .unwrap_or_else(|| format!("i/o error: {io}")),
        },
        // The server's side ended without a close frame (a reset is the `ConnectionReset` above).
        ClientError::Ws(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)) => {
            "connection ended".into()
        }
        ClientError::Ws(e @ WsError::Protocol(_)) if e.to_string().contains("httparse") => {
            format!("{e} (the server's answer is not HTTP: if it serves TLS, use a wss:// URL)")
        }
        ClientError::Closed { code, reason } => format!("closed {code} {reason}"),
        other => other.to_string(),
    }
}

/// One bot's state and figures: joined in the bot's own task, then played inside a shard.
#[derive(Debug)]
pub(crate) struct Bot {
    pub(crate) ctx: Arc<RunCtx>,
    pub(crate) out: BotOutcome,
    held: Option<u32>,
    mirror_lost: bool,
    tick_period: Duration,
    /// The tick rate `tick_period` was computed for.
    period_hz: u64,
    last_delta_at: Option<Instant>,
    /// Inputs waiting for their acknowledgement, oldest first.
    pending: VecDeque<Sent>,
    /// With `--input-timing tick`: the search for the send time (see [`crate::timing`]).
    pub(crate) timing: Option<TickTiming>,
    window: Option<(Instant, u64, u64)>,
    /// The world as this bot holds it (decoders only; the others keep it empty).
    pub(crate) mirror: Mirror,
    /// The welcome, once received.
    pub(crate) welcome: Option<Welcome>,
    /// Deltas received since the shard last added them to the live counter.
    pub(crate) unreported_deltas: u64,
}

/// An input waiting for its acknowledgement.
#[derive(Debug, Clone, Copy)]
struct Sent {
    seq: u32,
    at: Instant,
    /// The tick timing's generation it was sent under.
    generation: u32,
}

/// Runs bot `index` to the end of the run and returns what it saw: it connects and joins in this task, then a
/// shard plays it (see [`crate::shard`]) while this task waits for the outcome.
pub(crate) async fn run(ctx: Arc<RunCtx>, index: usize) -> BotOutcome {
    let n = ctx.config.clients as f64;
    let slot = ctx.start + ctx.config.ramp.mul_f64(index as f64 / n);
    {
        // Registered before the flag is read, so a stop between the two is not missed.
        let interrupt = ctx.interrupt.notified();
        let mut interrupt = std::pin::pin!(interrupt);
        interrupt.as_mut().enable();
        if !ctx.interrupted.load(std::sync::atomic::Ordering::Acquire) {
            tokio::select! {
                () = sleep_until(slot) => {}
                () = interrupt => {}
            }
        }
    }
    if ctx.interrupted.load(std::sync::atomic::Ordering::Acquire) {
        return BotOutcome {
            index,
            not_started: true,
            ..Default::default()
        };
    }
    Live::bump(&ctx.live.attempted);
    let mut bot = Bot {
        out: BotOutcome {
            index,
            decoder: ctx.config.is_decoder(index),
            ..Default::default()
        },
        ctx,
        held: None,
        mirror_lost: false,
        tick_period: Duration::from_millis(33),
        period_hz: 0,
        last_delta_at: None,
        pending: VecDeque::new(),
        timing: None,
        window: None,
        mirror: Mirror::new(),
        welcome: None,
        unreported_deltas: 0,
    };
    let (client, joined_at) = match bot.join().await {
        Ok(c) => c,
        Err(reason) => {
            tracing::debug!(index, %reason, "bot failed to join");
            Live::bump(&bot.ctx.live.failed);
            bot.out.failed = Some(reason);
            return bot.out;
        }
    };
    Live::bump(&bot.ctx.live.established);
    Live::bump(&bot.ctx.live.connected);
    crate::shard::play(bot, client, joined_at).await
}

impl Bot {
    /// Connects, says hello and waits for the welcome and the first snapshot; returns the connection and when
    /// the first snapshot arrived.
    async fn join(&mut self) -> Result<(LeanClient, Instant), String> {
        let ctx = self.ctx.clone();
        let _permit = ctx
            .connecting
            .acquire()
            .await
            .map_err(|_| "run stopped".to_string())?;
        let t0 = Instant::now();
        let deadline = t0 + ctx.config.connect_timeout;
        let trust = trust_of(&ctx);
        let connect = async {
            match &ctx.config.tls {
                Some(tls) => LeanClient::connect_tls(&ctx.config.url, tls.clone()).await,
                None => LeanClient::connect(&ctx.config.url).await,
            }
        };
        let mut client = timeout_at(deadline, connect)
            .await
            .map_err(|_| "timeout (handshake)".to_string())?
            .map_err(|e| describe(&e, trust))?;
        let handshake = t0.elapsed();
        let name = format!("{}{}", ctx.config.name_prefix, self.out.index);
        let hello = ClientMessage::Hello(Hello {
            version: PROTOCOL_VERSION,
            name,
            resume: None,
        });
        client.queue(&hello).map_err(|e| describe(&e, trust))?;
        timeout_at(deadline, client.flush())
            .await
            .map_err(|_| "timeout (join)".to_string())?
            .map_err(|e| describe(&e, trust))?;
        let t1 = Instant::now();
        while self.welcome.is_none() || self.held.is_none() {
            let frame = timeout_at(deadline, client.recv())
                .await
                .map_err(|_| "timeout (join)".to_string())?
                .map_err(|e| describe(&e, trust))?;
            // Nothing is measured before the window opens, in the shard: no sample goes to these histograms.
            self.on_frame(&frame, Instant::now(), &mut Histograms::default());
        }
        let joined_at = Instant::now();
        ctx.hist.record_join(
            handshake.as_micros() as u64,
            joined_at.duration_since(t1).as_micros() as u64,
        );
        if let Some(w) = &self.welcome {
            self.out.tick_rate = Some(w.tick_rate);
            self.tick_period = period_of(u64::from(w.tick_rate));
            self.period_hz = u64::from(w.tick_rate);
            ctx.live.learn_tick_rate(w.tick, w.tick_rate);
        }
        // The join's snapshot can be far larger than the deltas that follow.
        client.shrink_read_buffer();
        Ok((client, joined_at))
    }

    /// Whether this bot's input rate is the server's tick rate (no `--input-rate`, no rate of the behaviour's
    /// own), so that it follows a change of the server's rate.
    pub(crate) fn follows_tick_rate(&self) -> bool {
        self.ctx.config.input_rate.is_none()
            && self.ctx.config.behaviour.default_input_rate().is_none()
    }

    /// Inputs per second: `--input-rate`, else the behaviour's own rate, else the server's tick rate.
    pub(crate) fn input_rate(&self) -> f64 {
        let behaviour = self.ctx.config.behaviour;
        self.ctx
            .config
            .input_rate
            .or(behaviour.default_input_rate())
            .or(self.out.tick_rate.map(f64::from))
            .unwrap_or(30.0)
    }

    /// Opens the measurement window (when it opens for the run, or at once for a bot joining inside it).
    pub(crate) fn open_window(&mut self, client: &LeanClient) {
        self.window = Some((Instant::now(), client.bytes_received(), client.bytes_sent()));
    }

    /// Ends the measurement window (at the end of the run, or when the connection drops inside it).
    pub(crate) fn close_window(&mut self, client: &LeanClient) {
        if let Some((at, recv0, sent0)) = self.window.take() {
            self.out.measured_secs = at.elapsed().as_secs_f64();
            self.out.bytes_received = client.bytes_received() - recv0;
            self.out.bytes_sent = client.bytes_sent() - sent0;
        }
    }

    /// A timer due at `due` fired at `now`.
    pub(crate) fn timer_lag(&mut self, due: Instant, now: Instant, hist: &mut Histograms) {
        if self.window.is_some() {
            let lag = now.saturating_duration_since(due);
            hist.timer_lag_us.record(lag.as_micros() as u64);
        }
    }

    /// Input `seq` was written at `at`.
    pub(crate) fn sent_input(&mut self, seq: u32, at: Instant) {
        self.out.inputs_sent += 1;
        self.out.inputs_in_window += u64::from(self.window.is_some());
        if self.pending.len() >= MAX_PENDING_INPUTS {
            self.pending.pop_front();
            self.out.inputs_unacked += 1;
        }
        self.pending.push_back(Sent {
            seq,
            at,
            generation: self.timing.as_ref().map_or(0, TickTiming::generation),
        });
    }

    /// Every pending input whose sequence number `ack` covers was acknowledged by a frame received at `now`;
    /// `timed` says whether the input timing may learn from it.
    pub(crate) fn acked(&mut self, ack: u32, now: Instant, hist: &mut Histograms, timed: bool) {
        while let Some(&sent) = self.pending.front() {
            if sent.seq > ack {
                break;
            }
            self.pending.pop_front();
            let measuring = self.window.is_some();
            let latency = now.saturating_duration_since(sent.at);
            if measuring {
                hist.input_latency_us.record(latency.as_micros() as u64);
            }
            if let Some(timing) = self.timing.as_mut().filter(|_| timed) {
                let late = timing.acknowledged(sent.generation, latency);
                self.out.inputs_late += u64::from(measuring && late);
            }
        }
    }

    /// The connection ended with `e` before the run did.
    pub(crate) fn dropped(&mut self, e: ClientError) -> Dropped {
        let code = match &e {
            ClientError::Closed { code, .. } => Some(*code),
            _ => None,
        };
        let reason = match e {
            ClientError::Closed { reason, .. } => reason,
            other => describe(&other, trust_of(&self.ctx)),
        };
        Live::bump(&self.ctx.live.dropped);
        Dropped { code, reason }
    }

    pub(crate) fn protocol_error(&mut self, message: String) {
        tracing::warn!(bot = self.out.index, %message, "protocol error");
        Live::bump(&self.ctx.live.protocol_errors);
        self.out.protocol_errors += 1;
        if self.out.error_examples.len() < MAX_ERROR_EXAMPLES {
            self.out.error_examples.push(message);
        }
    }

    /// Records the end of the bot's connection and hands back its outcome.
    pub(crate) fn finish(mut self, client: &LeanClient, dropped: Option<Dropped>) -> BotOutcome {
        self.close_window(client);
        self.out.dropped = dropped;
        self.out.inputs_unacked += self.pending.len() as u64;
        self.out.last_tick = self.held;
        if self.out.decoder {
            self.out.mirror_entities = Some(self.mirror.entities.len());
        }
        if self.out.index == 0 && !self.mirror_lost {
            // Bot 0's final state goes into the report, for tests that check it against the server's.
            self.out.mirror = Some(std::mem::take(&mut self.mirror));
        }
        self.out
    }
}

mod frames;

/// One tick at `hz` ticks per second (a period of 1/30 s for an unknown rate).
pub(crate) fn period_of(hz: u64) -> Duration {
    Duration::from_secs_f64(1.0 / if hz == 0 { 30.0 } else { hz as f64 })
}
