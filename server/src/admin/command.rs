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
  kick <id|name> [reason]  disconnect a player (close code 4001 with the reason); a name with spaces
                           may be quoted (\"ann smith\" or 'ann smith'), else the longest run of words
                           that names a player is the name; id:N or name:X picks one when a number is
                           both a player's id and another player's name
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
    Kick(KickTarget),
    /// A message to every player.
    Say(String),
    /// A new tick rate.
    TickRate(u16),
    /// Graceful shutdown, with an optional grace period.
    Shutdown(Option<Duration>),
}

/// Who a `kick` names, and why. Names may hold spaces (the server itself names the second `ann` `ann #2`), so a
/// target is either quoted or found among the players.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KickTarget {
    /// `kick "ann smith" spamming`: exactly this id or name (in double or single quotes), then the reason.
    Quoted {
        /// Entity id or name.
        target: String,
        /// Shown to the player; a default when absent.
        reason: Option<String>,
    },
    /// `kick ann smith spamming`: the longest leading run of these words that is a player's id or name is the
    /// target, the words after it the reason ([`KickTarget::resolve`], against the players of that moment).
    Words(String),
}

impl KickTarget {
    /// Finds the player: `find` looks up one id or name (`Ok(None)`: nobody; `Err`: ambiguous, which stops the
    /// search). Returns the player and the reason given, if any.
    pub fn resolve<T>(
        &self,
        find: impl Fn(&str) -> Result<Option<T>, String>,
    ) -> Result<(T, Option<&str>), String> {
        let words = match self {
            KickTarget::Quoted { target, reason } => {
                return match find(target)? {
                    Some(found) => Ok((found, reason.as_deref())),
                    None => Err(not_found(target)),
                };
            }
            KickTarget::Words(words) => words.trim(),
        };
        // Where each word ends: the candidates, longest first.
        let mut ends: Vec<usize> = words
            .char_indices()
            .filter(|&(i, c)| {
                !c.is_whitespace()
                    && words[i + c.len_utf8()..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace)
            })
            .map(|(i, c)| i + c.len_utf8())
            .collect();
        ends.reverse();
        for end in ends {
            if let Some(found) = find(&words[..end])? {
                let reason = words[end..].trim();
                return Ok((found, (!reason.is_empty()).then_some(reason)));
            }
        }
        let first = words.split_whitespace().next().unwrap_or(words);
        Err(not_found(first))
    }
}

/// Why `kick target` found nobody, in the terms the operator used (`id:`, `name:`, or either).
fn not_found(target: &str) -> String {
    let prefixed = |prefix: &str| {
        target
            .get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|_| target[prefix.len()..].trim())
    };
    if let Some(id) = prefixed("id:") {
        return match id.parse::<u32>() {
            Ok(n) => format!("no player with id {n}"),
            Err(_) => {
                format!("`{id}` is not a player id (ids are numbers, as `players` lists them)")
            }
        };
    }
    if let Some(name) = prefixed("name:") {
        return format!("no player named `{name}`");
    }
    format!("no player with id or name `{target}`")
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
                if rest.is_empty() {
                    return Err("usage: kick <id|name> [reason]".into());
                }
                let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                    return Ok(Command::Kick(KickTarget::Words(rest.to_string())));
                };
                let inner = &rest[1..];
                let Some(close) = inner.find(quote) else {
                    return Err(format!("unclosed {quote} in kick's name"));
                };
                let target = &inner[..close];
                let reason = inner[close + 1..].trim();
                if target.trim().is_empty() {
                    return Err("usage: kick <id|name> [reason]".into());
                }
                Ok(Command::Kick(KickTarget::Quoted {
                    target: target.to_string(),
                    reason: (!reason.is_empty()).then(|| reason.to_string()),
                }))
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
    fn nobody_found_is_said_in_the_terms_of_the_target() {
        let nobody = |line: &str| match Command::parse(line) {
            Ok(Command::Kick(k)) => k
                .resolve(|_| Ok::<Option<u32>, String>(None))
                .expect_err("nobody"),
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(nobody("kick ID:99"), "no player with id 99");
        assert!(nobody("kick id:abc").starts_with("`abc` is not a player id"));
        assert!(nobody("kick id:").starts_with("`` is not a player id"));
        assert_eq!(nobody("kick name:zed away"), "no player named `zed`");
        assert_eq!(nobody("kick zed"), "no player with id or name `zed`");
    }

    #[test]
    fn parses_every_command() {
        assert_eq!(Command::parse(" help "), Ok(Command::Help));
        assert_eq!(Command::parse("STATUS"), Ok(Command::Status));
        assert_eq!(Command::parse("players"), Ok(Command::Players));
        assert_eq!(
            Command::parse("kick 3   spamming the chat "),
            Ok(Command::Kick(KickTarget::Words(
                "3   spamming the chat".into()
            )))
        );
        assert_eq!(
            Command::parse("kick \"ann #2\"  spamming "),
            Ok(Command::Kick(KickTarget::Quoted {
                target: "ann #2".into(),
                reason: Some("spamming".into())
            }))
        );
        assert_eq!(
            Command::parse("kick 'say \"hi\"'"),
            Ok(Command::Kick(KickTarget::Quoted {
                target: "say \"hi\"".into(),
                reason: None
            }))
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
            ("kick \"ann", "unclosed"),
            ("kick \"\" x", "usage"),
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

    #[test]
    fn a_kick_names_the_longest_run_of_words_that_is_a_player() {
        let names = ["ann", "ann #2", "ann smith", "7"];
        let find = |t: &str| Ok::<_, String>(names.iter().position(|n| *n == t));
        let kick = |line: &str| match Command::parse(line) {
            Ok(Command::Kick(k)) => k
                .resolve(find)
                .map(|(i, reason)| (names[i], reason.map(str::to_string))),
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(kick("kick ann #2"), Ok(("ann #2", None)));
        assert_eq!(
            kick("kick ann #2 spamming  the chat"),
            Ok(("ann #2", Some("spamming  the chat".into())))
        );
        assert_eq!(kick("kick ann  #3"), Ok(("ann", Some("#3".into()))));
        assert_eq!(kick("kick 7 seven"), Ok(("7", Some("seven".into()))));
        assert_eq!(kick("kick 'ann' #2"), Ok(("ann", Some("#2".into()))));
        assert_eq!(kick("kick \"ann #2\""), Ok(("ann #2", None)));
        let err = kick("kick \"ann smith jr\"").expect_err("quoted: exactly that name");
        assert!(err.contains("`ann smith jr`"), "{err}");
        let err = kick("kick bob the builder").expect_err("nobody");
        assert!(err.contains("`bob`"), "{err}");
        // An ambiguous name stops the search rather than falling back to a shorter one.
        let ambiguous = |t: &str| {
            if t == "ann #2" {
                Err("2 players are named `ann #2`".to_string())
            } else {
                Ok(names.iter().position(|n| *n == t))
            }
        };
        let Ok(Command::Kick(k)) = Command::parse("kick ann #2") else {
            panic!("parses")
        };
        assert!(k.resolve(ambiguous).is_err());
    }
}
