//! An honest client that watches the game while a test misbehaves next to it, and reports whether it received
//! every tick, in order, on time.

use crate::{Client, TestServer, WAIT};
use std::time::{Duration, Instant};
use tickwire_shared::ServerMessage;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The shortest time an honest client watches, so its report covers enough ticks to mean something.
pub const MIN_WATCH: Duration = Duration::from_secs(1);

/// What the honest client saw.
#[derive(Debug, Clone, Default)]
pub struct HonestReport {
    /// Deltas received.
    pub deltas: u64,
    /// Snapshots received after the first (a resynchronisation means it was skipped).
    pub resyncs: u64,
    /// Longest time between two deltas.
    pub max_gap: Duration,
    /// How long it watched.
    pub watched: Duration,
    /// The first failure (a delta that did not apply, a close, a decode error).
    pub error: Option<String>,
}

impl HonestReport {
    /// Asserts the honest client noticed nothing: no error, no resync, no late or missing delta.
    pub fn assert_unharmed(&self, tick_rate: u16) {
        assert!(
            self.error.is_none(),
            "the honest client failed: {:?}",
            self.error
        );
        assert_eq!(
            self.resyncs, 0,
            "the honest client was skipped and resynchronised"
        );
        let expected = self.watched.as_secs_f64() * f64::from(tick_rate);
        assert!(
            self.deltas as f64 >= 0.85 * expected,
            "the honest client got {} deltas in {:?}, expected about {expected:.0}",
            self.deltas,
            self.watched
        );
        assert!(
            self.max_gap < Duration::from_millis(500),
            "a delta came {:?} after the previous one",
            self.max_gap
        );
    }
}

/// A running honest client.
#[derive(Debug)]
pub struct Honest {
    stop: watch::Sender<bool>,
    task: JoinHandle<HonestReport>,
    started: Instant,
}

impl Honest {
    /// Joins an honest client and starts watching.
    pub async fn join(server: &TestServer) -> Honest {
        let client = server.join("honest").await;
        Self::watch(client)
    }

    /// Starts watching with an already joined client.
    pub fn watch(mut client: Client) -> Honest {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut report = HonestReport::default();
            let start = Instant::now();
            let mut last = Instant::now();
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    msg = tokio::time::timeout(WAIT, client.recv()) => {
                        let now = Instant::now();
                        match msg {
                            Ok(Ok(ServerMessage::Delta(_))) => {
                                report.deltas += 1;
                                report.max_gap = report.max_gap.max(now - last);
                                last = now;
                            }
                            Ok(Ok(ServerMessage::Snapshot(_))) => report.resyncs += 1,
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => {
                                report.error = Some(e.to_string());
                                break;
                            }
                            Err(_) => {
                                report.error = Some("no message for 5 s".into());
                                break;
                            }
                        }
                    }
                }
            }
            report.watched = start.elapsed();
            report
        });
        Honest {
            stop,
            task,
            started: Instant::now(),
        }
    }

    /// Stops watching (after at least `MIN_WATCH`, so every report covers many ticks) and returns the report.
    pub async fn finish(self) -> HonestReport {
        tokio::time::sleep_until(tokio::time::Instant::from_std(self.started + MIN_WATCH)).await;
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_else(|e| HonestReport {
            error: Some(e.to_string()),
            ..Default::default()
        })
    }
}
