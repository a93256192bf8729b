//! The live progress display: a bar with the counts that matter (clients connected, deltas per second, the
//! input-latency p99 so far, errors) on a terminal, or a plain line every 5 s when stderr is not a terminal.

use crate::run::RunCtx;
use crate::stats::Live;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How progress is shown while the bots run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// A live bar on a terminal, a line every 5 s otherwise (both on stderr).
    #[default]
    Auto,
    /// Nothing (tests, or `--quiet`).
    Off,
}

/// The running progress display.
#[derive(Debug)]
pub(crate) struct Shown {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Shown {
    /// Stops the display and clears the bar.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// How far back the live deltas/s looks.
const RATE_WINDOW: Duration = Duration::from_secs(2);

/// A count's rate over the last [`RATE_WINDOW`]: deltas come a tick's worth at a time, and over one 250 ms refresh
/// a tick more or less swung the figure by a tenth or more.
struct RateWindow {
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    fn new(start: Instant) -> RateWindow {
        RateWindow {
            samples: VecDeque::from([(start, 0)]),
        }
    }

    /// The count is `count` at `now`: its rate per second since the oldest sample inside the window.
    fn rate(&mut self, now: Instant, count: u64) -> f64 {
        while self.samples.len() > 1 && self.samples[1].0 + RATE_WINDOW <= now {
            self.samples.pop_front();
        }
        let (since, counted) = self.samples.front().copied().unwrap_or((now, count));
        self.samples.push_back((now, count));
        count.saturating_sub(counted) as f64 / now.duration_since(since).as_secs_f64().max(1e-3)
    }
}

/// Starts the progress task.
pub(crate) fn spawn(ctx: Arc<RunCtx>, mode: Progress) -> Shown {
    let (stop, mut stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        if mode == Progress::Off {
            return;
        }
        let tty = std::io::stderr().is_terminal();
        let total = ctx.config.total().as_millis() as u64;
        let bar = if tty {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{bar:24} {elapsed:>4}/{duration:4} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            Some(bar)
        } else {
            None
        };
        let every = if tty { 250 } else { 5000 };
        let mut ticker = tokio::time::interval(Duration::from_millis(every));
        let mut window = RateWindow::new(Instant::now());
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = &mut stopped => break,
            }
            let now = Instant::now();
            let deltas = Live::get(&ctx.live.deltas);
            let rate = window.rate(now, deltas);
            let line = status_line(&ctx, rate);
            match &bar {
                Some(bar) => {
                    bar.set_position(now.saturating_duration_since(ctx.start).as_millis() as u64);
                    bar.set_message(line);
                }
                None => eprintln!(
                    "[{:>5.1}s] {line}",
                    now.saturating_duration_since(ctx.start).as_secs_f64()
                ),
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    });
    Shown { stop, task }
}

fn status_line(ctx: &RunCtx, deltas_per_s: f64) -> String {
    let live = &ctx.live;
    let p99 = ctx.hist.latency_p99_us().map_or("-".to_string(), |us| {
        format!("{:.1} ms", us as f64 / 1000.0)
    });
    let phase = if Instant::now() < ctx.measure_from {
        "ramp"
    } else {
        "measuring"
    };
    format!(
        "{phase} | connected {}/{} | failed {} | dropped {} | deltas/s {:.0} | input p99 {p99} | protocol errors {}",
        Live::get(&live.connected),
        ctx.config.clients,
        Live::get(&live.failed),
        Live::get(&live.dropped),
        deltas_per_s,
        Live::get(&live.protocol_errors),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_rate_does_not_swing_with_the_tick_bursts() {
        // 50 bots at 30 Hz: 50 deltas every 33.3 ms, shown every 250 ms.
        let start = Instant::now();
        let mut window = RateWindow::new(start);
        let mut shown = Vec::new();
        for refresh in 1..=40u32 {
            let at = Duration::from_millis(250) * refresh;
            let ticks = (at.as_secs_f64() * 30.0).floor() as u64;
            shown.push(window.rate(start + at, ticks * 50));
        }
        for r in &shown[8..] {
            assert!((1400.0..=1600.0).contains(r), "{shown:?}");
        }
        let (lo, hi) = shown[8..]
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        assert!(
            hi - lo <= 60.0,
            "steady within a tick over the window: {shown:?}"
        );
    }
}
