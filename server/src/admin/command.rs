//! The command language, shared by every console: one line of words, parsed here once.

use std::time::Duration;
use tickwire_sim::TICK_RATE_RANGE;

/// Longest grace period `shutdown` accepts.
pub const MAX_GRACE: Duration = Duration::from_secs(300);
/// Longest `say` message, in characters.
pub const MAX_SAY_CHARS: usize = 200;

/// The help text, shown by `help`.
pub const HELP: &str = "\
commands:
  help                     this list
  status                   uptime, tick rate, tick time p50/p99/max (last minute), overruns, clients, rates
  players                  id, name, address, RTT, score and time connected of every player
  kick <id|name> [reason]  disconnect a player (close code 4001 with the reason)
  say <text>               show a server message to every player
  tickrate <hz>            change the tick rate, 20-60 (clients are told)
  shutdown [grace]         close every client with 1001 and exit; grace in seconds (default 5)";

/// One parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// List the commands.
    Help,
    /// Server health at a glance.
    Status,
    /// The player list.
    Players,
    /// Disconnect a player.
    Kick {
        /// Entity id or name.
        target: String,
        /// Shown to the player; a default when absent.
        reason: Option<String>,
    },
    /// A message to every player.
    Say(String),
    /// A new tick rate.
    TickRate(u16),
    /// Graceful shutdown, with an optional grace period.
    Shutdown(Option<Duration>),
}

impl Command {
    /// Parses one line; the error is a message for the operator.
    pub fn parse(line: &str) -> Result<Command, String> {
        let line = line.trim();
        let (word, rest) = match line.split_once(char::is_whitespace) {
            Some((w, r)) => (w, r.trim()),
            None => (line, ""),
        };
        match word.to_ascii_lowercase().as_str() {
            "" => Err("empty command; try `help`".into()),
            "help" | "?" => Ok(Command::Help),
            "status" => no_args(rest, Command::Status),
            "players" | "list" => no_args(rest, Command::Players),
            "kick" => {
                let (target, reason) = match rest.split_once(char::is_whitespace) {
                    Some((t, r)) => (t, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
                    None => (rest, None),
                };
                if target.is_empty() {
                    return Err("usage: kick <id|name> [reason]".into());
                }
                Ok(Command::Kick {
                    target: target.to_string(),
                    reason,
                })
            }
            "say" => {
                let text: String = rest.chars().filter(|c| !c.is_control()).collect();
                if text.trim().is_empty() {
                    return Err("usage: say <text>".into());
                }
                if text.chars().count() > MAX_SAY_CHARS {
                    return Err(format!(
                        "message too long (at most {MAX_SAY_CHARS} characters)"
                    ));
                }
                Ok(Command::Say(text.trim().to_string()))
            }
            "tickrate" => {
                let hz: u16 = rest.parse().map_err(|_| {
                    "usage: tickrate <hz> (a whole number from 20 to 60)".to_string()
                })?;
                if !TICK_RATE_RANGE.contains(&hz) {
                    return Err(format!("tick rate {hz} Hz refused: use 20 to 60"));
                }
                Ok(Command::TickRate(hz))
            }
            "shutdown" | "stop" => {
                if rest.is_empty() {
                    return Ok(Command::Shutdown(None));
                }
                let secs: f64 = rest
                    .trim_end_matches('s')
                    .parse()
                    .map_err(|_| "usage: shutdown [grace seconds]".to_string())?;
                if !(0.0..=MAX_GRACE.as_secs_f64()).contains(&secs) {
                    return Err(format!(
                        "grace must be 0 to {} seconds",
                        MAX_GRACE.as_secs()
                    ));
                }
                Ok(Command::Shutdown(Some(Duration::from_secs_f64(secs))))
            }
            other => Err(format!("unknown command `{other}`; try `help`")),
        }
    }
}

fn no_args(rest: &str, cmd: Command) -> Result<Command, String> {
    if rest.is_empty() {
        Ok(cmd)
    } else {
        Err(format!(
            "`{}` takes no arguments",
            format!("{cmd:?}").to_lowercase()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        assert_eq!(Command::parse(" help "), Ok(Command::Help));
        assert_eq!(Command::parse("STATUS"), Ok(Command::Status));
        assert_eq!(Command::parse("players"), Ok(Command::Players));
        assert_eq!(
            Command::parse("kick 3   spamming the chat "),
            Ok(Command::Kick {
                target: "3".into(),
                reason: Some("spamming the chat".into())
            })
        );
        assert_eq!(
            Command::parse("kick ann"),
            Ok(Command::Kick {
                target: "ann".into(),
                reason: None
            })
        );
        assert_eq!(
            Command::parse("say hello  all"),
            Ok(Command::Say("hello  all".into()))
        );
        assert_eq!(Command::parse("tickrate 20"), Ok(Command::TickRate(20)));
        assert_eq!(Command::parse("shutdown"), Ok(Command::Shutdown(None)));
        assert_eq!(
            Command::parse("shutdown 2s"),
            Ok(Command::Shutdown(Some(Duration::from_secs(2))))
        );
    }

    #[test]
    fn refuses_bad_input_with_a_useful_message() {
        for (line, needle) in [
            ("", "empty"),
            ("frobnicate", "unknown command"),
            ("kick", "usage"),
            ("say   ", "usage"),
            ("tickrate 61", "20 to 60"),
            ("tickrate 19", "20 to 60"),
            ("tickrate fast", "usage"),
            ("shutdown 1000", "grace"),
            ("status now", "no arguments"),
        ] {
            let err = Command::parse(line).expect_err(line);
            assert!(err.contains(needle), "{line:?} gave {err:?}");
        }
    }
}
