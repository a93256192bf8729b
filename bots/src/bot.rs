//! One bot's life: connect, join, then send inputs on its timer and follow the server's tick stream until the run
//! ends, measuring as it goes.
//!
//! Every frame's header is read with [`tickwire_shared::peek_header`] to follow the tick numbers and the input acknowledgements;
//! a *decoder* bot then also decodes the whole frame into its [`tickwire_shared::Mirror`] (through
//! `tickwire-client`), which checks every spawn, change and despawn. Anything that does not fit is a protocol
//! error: an undecodable frame, a delta before any snapshot, a tick going backwards, a delta whose base is not
//! the tick held, a change or despawn of an unknown entity.

use crate::run::RunCtx;
use crate::stats::{BotOutcome, Dropped, Live, MAX_ERROR_EXAMPLES, Samples};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tickwire_client::{Client, ClientError, WebSocketConfig, WsError};
use tickwire_shared::{ClientMessage, Hello, PROTOCOL_VERSION};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until, timeout_at};

/// Inputs remembered while waiting for their acknowledgement (about 8 s at 30 Hz).
const MAX_PENDING_INPUTS: usize = 256;
/// How often a bot pings and merges its samples into the shared histograms.
const PING_EVERY: Duration = Duration::from_secs(1);

/// The per-connection WebSocket settings: an 8 KiB read buffer instead of tungstenite's 128 KiB
/// (tungstenite zero-fills the free part of its read buffer before every read, so a big buffer costs a memset per
/// wake-up).
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .max_message_size(Some(64 << 20))
}

/// A short, groupable description of why a connection failed or ended.
fn describe(e: &ClientError) -> String {
    match e {
        ClientError::Ws(WsError::Http(resp)) => format!("HTTP {}", resp.status().as_u16()),
        ClientError::Ws(WsError::Io(io)) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
            std::io::ErrorKind::ConnectionReset => "connection reset".into(),
            std::io::ErrorKind::TimedOut => "timeout".into(),
            _ => format!("i/o error: {io}"),
        },
        ClientError::Closed { code, reason } => format!("closed {code} {reason}"),
        other => other.to_string(),
    }
}

/// One bot's state while it runs.
struct Bot {
    ctx: Arc<RunCtx>,
    out: BotOutcome,
    samples: Samples,
    held: Option<u32>,
    mirror_lost: bool,
    tick_period: Duration,
    last_delta_at: Option<Instant>,
    pending: VecDeque<(u32, Instant)>,
    window: Option<(Instant, u64, u64)>,
}

/// Runs bot `index` to the end of the run and returns what it saw.
pub(crate) async fn run(ctx: Arc<RunCtx>, index: usize) -> BotOutcome {
    let n = ctx.config.clients as f64;
    sleep_until(ctx.start + ctx.config.ramp.mul_f64(index as f64 / n)).await;
    Live::bump(&ctx.live.attempted);
    let mut bot = Bot {
        out: BotOutcome {
            index,
            decoder: ctx.config.is_decoder(index),
            ..Default::default()
        },
        ctx,
        samples: Samples::default(),
        held: None,
        mirror_lost: false,
        tick_period: Duration::from_millis(33),
        last_delta_at: None,
        pending: VecDeque::new(),
        window: None,
    };
    let mut client = match bot.join().await {
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
    let end = bot.play(&mut client).await;
    bot.ctx
        .live
        .connected
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    bot.finish(&mut client, end);
    if bot.out.dropped.is_none() {
        let _ = tokio::time::timeout(Duration::from_secs(1), client.close()).await;
    }
    bot.out
}

impl Bot {
    /// Connects, says hello and waits for the welcome and the first snapshot.
    async fn join(&mut self) -> Result<Client, String> {
        let ctx = self.ctx.clone();
        let _permit = ctx
            .connecting
            .acquire()
            .await
            .map_err(|_| "run stopped".to_string())?;
        let t0 = Instant::now();
        let deadline = t0 + ctx.config.connect_timeout;
        let mut client = timeout_at(
            deadline,
            Client::connect_with_config(&ctx.config.url, ws_config()),
        )
        .await
        .map_err(|_| "timeout (handshake)".to_string())?
        .map_err(|e| describe(&e))?;
        let handshake = t0.elapsed();
        let name = format!("{}{}", ctx.config.name_prefix, self.out.index);
        let hello = ClientMessage::Hello(Hello {
            version: PROTOCOL_VERSION,
            name,
            resume: None,
        });
        client.send(&hello).await.map_err(|e| describe(&e))?;
        let t1 = Instant::now();
        while client.welcome.is_none() || self.held.is_none() {
            let frame = timeout_at(deadline, client.recv_frame())
                .await
                .map_err(|_| "timeout (join)".to_string())?
                .map_err(|e| describe(&e))?;
            self.on_frame(&mut client, &frame, Instant::now());
        }
        ctx.hist.record_join(
            handshake.as_micros() as u64,
            t1.elapsed().as_micros() as u64,
        );
        if let Some(w) = &client.welcome {
            self.out.tick_rate = Some(w.tick_rate);
            self.tick_period = Duration::from_secs_f64(1.0 / f64::from(w.tick_rate.max(1)));
        }
        Ok(client)
    }

    /// The joined phase; returns how the connection ended early, or `None` when the run ended.
    async fn play(&mut self, client: &mut Client) -> Option<Dropped> {
        let ctx = self.ctx.clone();
        let behaviour = ctx.config.behaviour;
        let rate = ctx
            .config
            .input_rate
            .or(behaviour.default_input_rate())
            .or(self.out.tick_rate.map(f64::from))
            .unwrap_or(30.0);
        let period = Duration::from_secs_f64(1.0 / rate);
        let mut steering = crate::behaviour::Steering::new(
            behaviour,
            ctx.config.seed,
            self.out.index,
            behaviour.change_every(rate),
        );
        let phase = steering.phase();
        let now = Instant::now();
        let mut inputs = interval_at(now + period.mul_f64(phase), period);
        // Skip keeps the inputs on their grid (a late tick does not push the later ones back), so the rate holds
        // while the bots keep up; when they cannot, the timer-lag figure shows it.
        inputs.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut pings = interval_at(now + PING_EVERY.mul_f64(phase), PING_EVERY);
        pings.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let sends = steering.sends_inputs();
        let window_at = sleep_until(ctx.measure_from);
        let end = sleep_until(ctx.end_at);
        tokio::pin!(window_at, end);
        loop {
            tokio::select! {
                _ = &mut end => break,
                _ = &mut window_at, if self.window.is_none() => self.open_window(client),
                due = inputs.tick(), if sends => {
                    self.timer_lag(due);
                    let you = client.you().unwrap_or(0);
                    let view = self.out.decoder.then_some((&client.mirror, you));
                    if let Some(c) = steering.next(view) {
                        match client.send_input(c.dx, c.dy, c.aim, c.buttons).await {
                            Ok(seq) => self.sent_input(seq),
                            Err(e) => return Some(self.dropped(e)),
                        }
                    }
                }
                due = pings.tick() => {
                    self.timer_lag(due);
                    let t = ctx.start.elapsed().as_micros() as f64;
                    if let Err(e) = client.ping(t).await {
                        return Some(self.dropped(e));
                    }
                    ctx.hist.absorb(&mut self.samples);
                }
                frame = client.recv_frame() => match frame {
                    Ok(bytes) => self.on_frame(client, &bytes, Instant::now()),
                    Err(ClientError::Protocol(m)) => self.protocol_error(m),
                    Err(e) => return Some(self.dropped(e)),
                },
            }
        }
        self.close_window(client);
        if sends && behaviour.stops_at_end() {
            // Not counted as an input: it is outside the window and nobody waits for its acknowledgement.
            if let Err(e) = client.send_input(0.0, 0.0, 0.0, 0).await {
                return Some(self.dropped(e));
            }
        }
        self.linger(client).await
    }

    /// After the run: keep following the tick stream (no inputs, no pings, nothing measured) until the bots close.
    async fn linger(&mut self, client: &mut Client) -> Option<Dropped> {
        let close = sleep_until(self.ctx.close_at);
        tokio::pin!(close);
        loop {
            tokio::select! {
                _ = &mut close => return None,
                frame = client.recv_frame() => match frame {
                    Ok(bytes) => self.on_frame(client, &bytes, Instant::now()),
                    Err(ClientError::Protocol(m)) => self.protocol_error(m),
                    Err(e) => return Some(self.dropped(e)),
                },
            }
        }
    }

    fn open_window(&mut self, client: &Client) {
        self.window = Some((Instant::now(), client.bytes_received(), client.bytes_sent()));
    }

    /// Ends the measurement window (at the end of the run, or when the connection drops inside it).
    fn close_window(&mut self, client: &Client) {
        if let Some((at, recv0, sent0)) = self.window.take() {
            self.out.measured_secs = at.elapsed().as_secs_f64();
            self.out.bytes_received = client.bytes_received() - recv0;
            self.out.bytes_sent = client.bytes_sent() - sent0;
        }
    }

    fn timer_lag(&mut self, due: Instant) {
        if self.window.is_some() {
            let lag = Instant::now().saturating_duration_since(due);
            self.samples.timer_lag_us.push(lag.as_micros() as u64);
        }
    }

    fn sent_input(&mut self, seq: u32) {
        self.out.inputs_sent += 1;
        self.out.inputs_in_window += u64::from(self.window.is_some());
        if self.pending.len() >= MAX_PENDING_INPUTS {
            self.pending.pop_front();
            self.out.inputs_unacked += 1;
        }
        self.pending.push_back((seq, Instant::now()));
    }

    fn dropped(&mut self, e: ClientError) -> Dropped {
        let code = match &e {
            ClientError::Closed { code, .. } => Some(*code),
            _ => None,
        };
        let reason = match e {
            ClientError::Closed { reason, .. } => reason,
            other => describe(&other),
        };
        Live::bump(&self.ctx.live.dropped);
        Dropped { code, reason }
    }

    fn protocol_error(&mut self, message: String) {
        tracing::warn!(bot = self.out.index, %message, "protocol error");
        Live::bump(&self.ctx.live.protocol_errors);
        self.out.protocol_errors += 1;
        if self.out.error_examples.len() < MAX_ERROR_EXAMPLES {
            self.out.error_examples.push(message);
        }
    }

    /// Records the end of the bot's connection.
    fn finish(&mut self, client: &mut Client, dropped: Option<Dropped>) {
        self.close_window(client);
        self.ctx.hist.absorb(&mut self.samples);
        self.out.dropped = dropped;
        self.out.inputs_unacked += self.pending.len() as u64;
        self.out.last_tick = self.held;
        if self.out.decoder {
            self.out.mirror_entities = Some(client.mirror.entities.len());
        }
        if self.out.index == 0 && !self.mirror_lost {
            // Bot 0's final state goes into the report, for tests that check it against the server's.
            self.out.mirror = Some(std::mem::take(&mut client.mirror));
        }
    }
}

mod frames;
