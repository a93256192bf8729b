//! `GET /status` (and `HEAD`): a small public JSON answer on the game port saying whether the server is full or
//! shutting down.
//!
//! A browser cannot see why its WebSocket upgrade was refused (a 503 from a full server, a 403 for its origin and
//! a server that is down all end in a close with code 1006), so the browser client asks here after a connection
//! that never opened. The answer is read-only information anyone could learn by trying to connect, hence
//! `Access-Control-Allow-Origin: *` (a page served from another origin may ask too); `Cache-Control: no-store`
//! because it is only true now.
//!
//! ```json
//! {"players":3,"connections":4,"max_clients":1024,"full":false,"shutting_down":false,"retry_after":null,"protocol":2}
//! ```

use crate::config::Limits;
use crate::hub::Hub;
use std::sync::atomic::Ordering;

/// The path.
pub const STATUS_PATH: &str = "/status";

/// The `Retry-After` a full server's 503 carries, in seconds; `/status` repeats it while the server is full.
pub const FULL_RETRY_AFTER_S: u32 = 5;

/// What `/status` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Joined players, as of the last tick (a connection that has not sent its hello yet is not one).
    pub players: u32,
    /// Open game WebSocket connections, joined or not: what `--max-clients` limits.
    pub connections: usize,
    /// `--max-clients`.
    pub max_clients: usize,
    /// `connections >= max_clients`: a new game connection would be refused with 503 now.
    pub full: bool,
    /// A shutdown has begun: new game connections are refused with 503.
    pub shutting_down: bool,
}

impl Status {
    /// The server's status now: the same count and test the upgrade uses to refuse a connection.
    pub fn of(hub: &Hub, limits: &Limits) -> Status {
        let connections = hub.open.load(Ordering::Acquire);
        Status {
            players: hub.stats.read().players,
            connections,
            max_clients: limits.max_clients,
            full: connections >= limits.max_clients,
            shutting_down: hub.shutting_down(),
        }
    }

    /// The JSON body (every field a number, a boolean or null: nothing to escape).
    pub fn to_json(&self) -> String {
        let retry_after = if self.full {
            FULL_RETRY_AFTER_S.to_string()
        } else {
            "null".to_string()
        };
        format!(
            "{{\"players\":{},\"connections\":{},\"max_clients\":{},\"full\":{},\"shutting_down\":{},\
             \"retry_after\":{},\"protocol\":{}}}\n",
            self.players,
            self.connections,
            self.max_clients,
            self.full,
            self.shutting_down,
            retry_after,
            tickwire_shared::PROTOCOL_VERSION,
        )
    }
}

/// Answers `GET /status` (no body for `HEAD`), in one write.
pub(crate) async fn serve(
    stream: &mut (impl tokio::io::AsyncWrite + Unpin),
    head_only: bool,
    hub: &Hub,
    limits: &Limits,
) {
    let body = Status::of(hub, limits).to_json();
    let _ = crate::http::answer(
        stream,
        head_only,
        200,
        "OK",
        "application/json",
        body.as_bytes(),
        &[
            ("Cache-Control", "no-store"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_names_every_field_and_retry_after_only_when_full() {
        let open = Status {
            players: 3,
            connections: 4,
            max_clients: 1024,
            full: false,
            shutting_down: false,
        };
        assert_eq!(
            open.to_json(),
            "{\"players\":3,\"connections\":4,\"max_clients\":1024,\"full\":false,\"shutting_down\":false,\
             \"retry_after\":null,\"protocol\":2}\n"
        );
        let full = Status {
            players: 1,
            connections: 2,
            max_clients: 2,
            full: true,
            shutting_down: true,
        };
        assert_eq!(
            full.to_json(),
            "{\"players\":1,\"connections\":2,\"max_clients\":2,\"full\":true,\"shutting_down\":true,\
             \"retry_after\":5,\"protocol\":2}\n"
        );
    }
}
