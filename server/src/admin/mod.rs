//! Operating the server while it runs: one command executor behind three front-ends.
//!
//! - [`console`]: the local console on the server's terminal (rustyline), only when stdin is a TTY.
//! - [`ws`]: the authenticated admin WebSocket (`/admin` on the main listener, or its own `--admin-bind`
//!   listener), spoken by `tickwire-console`.
//! - [`rcon`]: the Source RCON protocol on `--rcon-bind`, for the RCON tools operators already own.
//!
//! Every front-end hands a command line to [`execute`], so all three behave identically. Commands that read or
//! change the game (`players`, `kick`, `say`, `tickrate`) travel to the tick driver as a [`TickRequest`] on the
//! hub's control queue and are answered within the tick that drains them; the rest read atomics.

pub mod auth;
pub mod command;
pub mod console;
pub mod exec;
pub mod rcon;
pub mod ws;

pub use auth::AdminToken;
pub use command::{Command, KickTarget};
pub use exec::{Reply, execute};

use std::net::SocketAddr;
use tickwire_sim::roster::RosterEntry;
use tokio::sync::oneshot;

/// Where remote administration is reachable, and with which token.
#[derive(Debug, Default)]
pub struct AdminSettings {
    /// The shared secret; `None` disables remote administration (the local console still works).
    pub token: Option<AdminToken>,
    /// The separate admin listener's address, when `--admin-bind` moved `/admin` off the main listener.
    pub admin_addr: Option<SocketAddr>,
    /// The RCON listener's address, when enabled.
    pub rcon_addr: Option<SocketAddr>,
    /// Serialises failed logins so the server answers at most about one per [`auth::FAILURE_DELAY`].
    pub failures: tokio::sync::Mutex<()>,
}

impl AdminSettings {
    /// True when `/admin` is served on the main (game) listener.
    pub fn on_main_listener(&self) -> bool {
        self.token.is_some() && self.admin_addr.is_none()
    }
}

/// What an operator command asks of the tick driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickOp {
    /// Remove a player: by entity id or by name (the reason follows the name; a default when none is given).
    Kick(KickTarget),
    /// Show a message to every player (an `Event::Say` in the next delta).
    Say {
        /// The text.
        text: String,
    },
    /// Change the tick rate (clients are told with an `Event::TickRate`).
    TickRate {
        /// Ticks per second, 20–60.
        hz: u16,
    },
    /// List the players.
    Players,
}

/// The tick driver's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum TickAnswer {
    /// Done; a line for the operator.
    Done(String),
    /// The players in the game.
    Players(Vec<RosterEntry>),
}

/// A [`TickOp`] and where to put the answer.
#[derive(Debug)]
pub struct TickRequest {
    /// What to do.
    pub op: TickOp,
    /// Answered once, in the tick that drains the request (an `Err` is a message for the operator).
    pub reply: oneshot::Sender<Result<TickAnswer, String>>,
}
