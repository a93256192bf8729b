//! The command executor: turns a parsed [`Command`] into an action and a text reply.

use super::command::{Command, HELP};
use super::{TickAnswer, TickOp, TickRequest};
use crate::hub::{Control, Hub};
use crate::shutdown::DEFAULT_GRACE;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tickwire_sim::roster::RosterEntry;
use tokio::sync::oneshot;
use tracing::{debug, info};

/// How long a command waits for the tick driver (it answers within one tick unless the server is stuck).
const TICK_ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// The reason a kicked client sees when the operator gave none.
pub const DEFAULT_KICK_REASON: &str = "kicked by the operator";

/// A command's outcome, as every front-end shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// False when the command was refused or failed.
    pub ok: bool,
    /// What to print.
    pub text: String,
}

impl Reply {
    fn ok(text: impl Into<String>) -> Reply {
        Reply {
            ok: true,
            text: text.into(),
        }
    }

    fn err(text: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            text: text.into(),
        }
    }
}

/// Parses and runs one command line. `origin` names the front-end and peer, for the log.
pub async fn execute(hub: &Hub, origin: &str, line: &str) -> Reply {
    let parsed = Command::parse(line);
    // Remote commands are an audit trail, refused ones too; the local operator sees their own typing already.
    match (&parsed, origin == "console") {
        (Ok(_), true) => debug!(%origin, command = line.trim(), "admin command"),
        (Ok(_), false) => info!(%origin, command = line.trim(), "admin command"),
        (Err(e), true) => {
            debug!(%origin, command = line.trim(), error = %e, "admin command refused")
        }
        (Err(e), false) => {
            info!(%origin, command = line.trim(), error = %e, "admin command refused")
        }
    }
    let command = match parsed {
        Ok(c) => c,
        Err(e) => return Reply::err(e),
    };
    match command {
        Command::Help => Reply::ok(HELP),
        Command::Status => Reply::ok(status(hub)),
        Command::Players => match ask_tick(hub, TickOp::Players).await {
            Ok(TickAnswer::Players(rows)) => Reply::ok(players(hub, &rows)),
            Ok(TickAnswer::Done(text)) => Reply::ok(text),
            Err(e) => Reply::err(e),
        },
        Command::Kick(target) => done(ask_tick(hub, TickOp::Kick(target)).await),
        Command::Say(text) => done(ask_tick(hub, TickOp::Say { text }).await),
        Command::TickRate(hz) => done(ask_tick(hub, TickOp::TickRate { hz }).await),
        Command::Shutdown(grace) => {
            if hub.shutting_down() {
                return Reply::err("already shutting down");
            }
            hub.stop.trigger(grace);
            let grace = grace.unwrap_or(DEFAULT_GRACE);
            Reply::ok(format!(
                "shutting down: every client gets close 1001, grace period {:.1} s",
                grace.as_secs_f64()
            ))
        }
    }
}

fn done(answer: Result<TickAnswer, String>) -> Reply {
    match answer {
        Ok(TickAnswer::Done(text)) => Reply::ok(text),
        Ok(TickAnswer::Players(_)) => Reply::ok(""),
        Err(e) => Reply::err(e),
    }
}

/// Sends `op` to the tick driver and waits for its answer.
async fn ask_tick(hub: &Hub, op: TickOp) -> Result<TickAnswer, String> {
    if hub.shutting_down() {
        return Err("the server is shutting down".into());
    }
    let (tx, rx) = oneshot::channel();
    let request = Control::Admin(TickRequest { op, reply: tx });
    let answer = async {
        hub.control
            .send(request)
            .await
            .map_err(|_| "the tick loop has stopped".to_string())?;
        rx.await
            .map_err(|_| "the tick loop stopped before answering".to_string())?
    };
    tokio::time::timeout(TICK_ANSWER_TIMEOUT, answer)
        .await
        .unwrap_or_else(|_| Err("the tick loop did not answer in time".into()))
}

fn status(hub: &Hub) -> String {
    let s = hub.stats.read();
    // Before the first figures are published (the first second of uptime) there is nothing to show: `-`, not 0.
    let ms = |us: u32| {
        if s.samples == 0 {
            "-".to_string()
        } else {
            format!("{:.3} ms", f64::from(us) / 1000.0)
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "uptime      {}",
        human_duration(hub.started_at.elapsed())
    );
    let _ = writeln!(
        out,
        "tick rate   {} Hz (tick {})",
        hub.tick_rate.load(Ordering::Relaxed),
        hub.tick.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "tick time   p50 {}  p99 {}  max {}  (last minute, {} ticks)",
        ms(s.p50_us),
        ms(s.p99_us),
        ms(s.max_us),
        s.samples
    );
    let _ = writeln!(
        out,
        "tick start  late p99 {}  max {}  (jitter against the schedule)",
        ms(s.late_p99_us),
        ms(s.late_max_us)
    );
    let _ = writeln!(
        out,
        "fan-out     write p99 {}  max {}  (one tick to every socket, writer thread)",
        ms(s.write_p99_us),
        ms(s.write_max_us)
    );
    let _ = writeln!(
        out,
        "read pass   p99 {}  max {}  (every joined socket read once, reader thread, before the tick)",
        ms(s.read_p99_us),
        ms(s.read_max_us)
    );
    let _ = writeln!(
        out,
        "overruns    {}",
        hub.counters.tick_overruns.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "clients     {} connected, {} playing",
        hub.open.load(Ordering::Relaxed),
        s.players
    );
    let _ = writeln!(out, "inputs/s    {}", s.inputs_per_s);
    let _ = write!(
        out,
        "bytes/s     in {}  out {}",
        human_bytes(s.bytes_in_per_s),
        human_bytes(s.bytes_out_per_s)
    );
    if hub.shutting_down() {
        out.push_str("\nstate       shutting down");
    }
    out
}

fn players(hub: &Hub, rows: &[RosterEntry]) -> String {
    if rows.is_empty() {
        return "no players".into();
    }
    let mut out = format!(
        "{:>5}  {:<16}  {:<21}  {:>9}  {:>6}  connected",
        "id", "name", "address", "rtt", "score"
    );
    for row in rows {
        let info = hub.sessions.get(&row.client).map(|i| i.clone());
        let (addr, rtt, since) = match &info {
            Some(i) => (
                i.peer.to_string(),
                i.rtt
                    .map(|r| format!("{:.1} ms", r.as_secs_f64() * 1000.0))
                    .unwrap_or_else(|| "-".into()),
                human_duration(i.connected_at.elapsed()),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let _ = write!(
            out,
            "\n{:>5}  {:<16}  {:<21}  {:>9}  {:>6}  {}",
            row.id, row.name, addr, rtt, row.score, since
        );
    }
    out
}

/// `1h 02m 03s`, `4m 05s`, `6s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m {sec:02}s"),
        (h, m, sec) => format!("{h}h {m:02}m {sec:02}s"),
    }
}

/// `512 B`, `1.5 KiB`, `2.0 MiB`.
pub fn human_bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations_and_sizes() {
        assert_eq!(human_duration(Duration::from_secs(6)), "6s");
        assert_eq!(human_duration(Duration::from_secs(245)), "4m 05s");
        assert_eq!(human_duration(Duration::from_secs(3723)), "1h 02m 03s");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(truncate("héllo", 2), "h");
    }

    #[test]
    fn status_before_the_first_figures_shows_dashes_not_zeros() {
        let (hub, _receivers) = Hub::new(
            16,
            16,
            30,
            crate::admin::AdminSettings {
                token: None,
                admin_addr: None,
                rcon_addr: None,
                failures: tokio::sync::Mutex::new(()),
            },
        );
        let text = status(&hub);
        assert!(
            text.contains("tick time   p50 -  p99 -  max -  (last minute, 0 ticks)"),
            "{text}"
        );
        assert!(text.contains("read pass   p99 -  max -"), "{text}");
        assert!(!text.contains("0.000 ms"), "{text}");
    }
}
