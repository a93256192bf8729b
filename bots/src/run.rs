//! Starts the bots on the ramp, shows progress, and collects every bot's outcome into the report.

use crate::config::Config;
use crate::progress::{self, Progress};
use crate::report::Report;
use crate::shard::{self, ShardTx, ToShard};
use crate::stats::{Live, SharedHistograms};
use crate::{BotsError, bot};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};
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
}

/// Runs the bots described by `config` to the end and returns the report.
///
/// Must be called inside a tokio runtime; the bots are tasks on it. A server that cannot be reached is not an
/// error here: every bot's failure is in the report (and its verdict).
pub async fn run(config: Config, progress: Progress) -> Result<Report, BotsError> {
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
    while let Some(joined) = bots.join_next().await {
        match joined {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
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
    Ok(Report::build(
        &ctx.config,
        &outcomes,
        &ctx.hist.snapshot(),
        elapsed,
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
