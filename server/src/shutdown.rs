//! The one switch that starts a graceful shutdown, whoever pulls it: a signal, the `shutdown [grace]` console
//! command, or [`crate::RunningServer::shutdown`]. Flipping it stops the accept loops; the tick driver finishes
//! its tick and drops every client with 1001; sessions flush and close. The first caller's grace period wins.

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// Starts the shutdown, once.
#[derive(Debug)]
pub struct ShutdownSwitch {
    tx: watch::Sender<bool>,
    grace: Mutex<Option<Duration>>,
}

impl ShutdownSwitch {
    /// A switch and the receiver every task watches.
    pub fn new() -> (ShutdownSwitch, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        let switch = ShutdownSwitch {
            tx,
            grace: Mutex::new(None),
        };
        (switch, rx)
    }

    /// Starts shutting down. `grace` (from the `shutdown` command) is remembered for whoever waits for the
    /// sessions to end; a later call changes nothing.
    pub fn trigger(&self, grace: Option<Duration>) {
        if let Ok(mut slot) = self.grace.lock()
            && !*self.tx.borrow()
        {
            *slot = grace;
        }
        self.tx.send_replace(true);
    }

    /// The grace period asked for by the first trigger, if it named one.
    pub fn requested_grace(&self) -> Option<Duration> {
        self.grace.lock().ok().and_then(|g| *g)
    }

    /// A fresh receiver, to wait for the switch.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.tx.subscribe()
    }
}

/// The grace period when nobody names one: how long clients get to receive their close frames.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
