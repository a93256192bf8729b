//! Starts the bots on the ramp, shows progress, and collects every bot's outcome into the report.

use crate::config::Config;
use crate::progress::{self, Progress};
use crate::report::Report;
use crate::shard::{self, ShardTx, ToShard};
use crate::stats::{Live, SharedHistograms};
use crate::{BotsError, bot};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What every bot of a run shares.
#[derive(Debug)]
pub(crate) struct RunCtx {
    pub config: Config,
    /// When bot 0 starts connecting.
    pub start: Instant,
    /// When the measurement window opens (after ramp and warm-up).
    pub measure_from: Instant,
    /// When the measurement window closes (and crowd bots send their stop input).
    pub end_at: Instant,
    /// When every bot closes its connection (`end_at` + the linger).
    pub close_at: Instant,
    pub live: Live,
    pub hist: SharedHistograms,
    /// Bounds the connections in the handshake/join phase.
    pub connecting: Semaphore,
    /// The shards that play the joined bots (bot `k` goes to shard `k % shards.len()`).
    pub shards: Vec<ShardTx>,
    /// The run was stopped early ([`run_until`]): bots not yet started stay unstarted.
    pub interrupted: AtomicBool,
    /// Wakes the bots still waiting for their place on the ramp when the run is stopped.
    pub interrupt: Notify,
}

impl RunCtx {
    /// Stops the run now: the shards close every playing bot (close 1000, as at the end of a run) and end;
    /// bots still waiting on the ramp do not start; bots connecting finish joining and are closed at once.
    fn stop_early(&self) {
        self.interrupted.store(true, Ordering::Release);
        self.interrupt.notify_waiters();
        for shard in &self.shards {
            let _ = shard.send(ToShard::Stop);
        }
    }
}

/// Runs the bots described by `config` to the end and returns the report.
///
/// Must be called inside a tokio runtime; the bots are tasks on it. A server that cannot be reached is not an
/// error here: every bot's failure is in the report (and its verdict).
pub async fn run(config: Config, progress: Progress) -> Result<Report, BotsError> {
    run_until(config, progress, std::future::pending()).await
}

/// [`run`], stopped early when `stop` completes (the binary's Ctrl-C): every playing bot closes its connection
/// properly, bots not yet started never start, and the report covers what ran, marked interrupted (its exit
/// status is [`crate::ExitCode::Interrupted`]).
pub async fn run_until(
    config: Config,
    progress: Progress,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Report, BotsError> {
    config.validate()?;
    let start = Instant::now() + Duration::from_millis(10);
    let measure_from = start + config.ramp + config.warmup;
    let end_at = measure_from + config.duration;
    // As many shards (threads playing the joined bots) as the runtime has worker threads: the CPUs the bots may
    // use, or `--threads`.
    let workers = tokio::runtime::Handle::current()
        .metrics()
        .num_workers()
        .max(1);
    let (shards, receivers): (Vec<_>, Vec<_>) = (0..workers).map(|_| mpsc::channel()).unzip();
    let ctx = Arc::new(RunCtx {
        start,
        measure_from,
        end_at,
        close_at: end_at + config.linger,
        live: Live::default(),
        hist: SharedHistograms::default(),
        connecting: Semaphore::new(config.connect_concurrency),
        shards,
        interrupted: AtomicBool::new(false),
        interrupt: Notify::new(),
        config,
    });
    // Whatever way this function returns, the shards stop (at once, or when their bots are done).
    let _stop = StopShards(ctx.clone());
    let mut finished = Vec::with_capacity(workers);
    for rx in receivers {
        let (done, ended) = oneshot::channel();
        shard::spawn(ctx.clone(), rx, done).map_err(BotsError::Shard)?;
        finished.push(ended);
    }
    tracing::info!(
        clients = ctx.config.clients,
        url = %ctx.config.url,
        decoders = ctx.config.decoder_count(),
        "starting bots"
    );
    let mut bots = JoinSet::new();
    for index in 0..ctx.config.clients {
        bots.spawn(bot::run(ctx.clone(), index));
    }
    let shown = progress::spawn(ctx.clone(), progress);
    let mut outcomes = Vec::with_capacity(ctx.config.clients);
    let mut stop = std::pin::pin!(stop);
    let mut stopped = false;
    loop {
        let joined = tokio::select! {
            joined = bots.join_next() => joined,
            () = &mut stop, if !stopped => {
                stopped = true;
                tracing::info!("stopping early: closing every bot");
                ctx.stop_early();
                continue;
            }
        };
        match joined {
            None => break,
            Some(Ok(outcome)) => outcomes.push(outcome),
            Some(Err(e)) => {
                shown.stop().await;
                return Err(BotsError::BotPanicked(e.to_string()));
            }
        }
    }
    shown.stop().await;
    // Every bot has its outcome, so the shards hold no bot any more: stop them, and make sure none panicked.
    for shard in &ctx.shards {
        let _ = shard.send(ToShard::Stop);
    }
    for ended in finished {
        if ended.await.is_err() {
            return Err(BotsError::BotPanicked("a shard thread panicked".into()));
        }
    }
    outcomes.sort_by_key(|o| o.index);
    let elapsed = start.elapsed().as_secs_f64();
    // Bots an early stop kept from starting are not part of the figures, only counted.
    let before = outcomes.len();
    outcomes.retain(|o| !o.not_started);
    let interrupted = stopped.then_some(before - outcomes.len());
    Ok(Report::build(
        &ctx.config,
        &outcomes,
        &ctx.hist.snapshot(),
        elapsed,
        interrupted,
    ))
}

/// Stops every shard when dropped (a run that ends early must not leave them playing).
struct StopShards(Arc<RunCtx>);

impl Drop for StopShards {
    fn drop(&mut self) {
        for shard in &self.0.shards {
            let _ = shard.send(ToShard::Stop);
        }
    }
}
