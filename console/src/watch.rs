//! `watch [secs] [command]`: re-runs a command (default `status`) every few seconds on a cleared screen, like
//! watch(1), until the operator presses Enter.

use crate::conn::AdminConnection;
use crate::out;
use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

/// What to repeat, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchArgs {
    /// Time between refreshes.
    pub every: Duration,
    /// The command line to repeat.
    pub command: String,
}

/// The commands `watch` repeats: the ones that only read (repeating `kick` or `shutdown` is never meant).
const WATCHABLE: &[&str] = &["status", "players"];

/// Parses `watch [secs] [command]`; `None` when the line is not a watch, `Some(Err)` with what to fix when it is a
/// watch that cannot run.
pub fn parse(line: &str) -> Option<Result<WatchArgs, String>> {
    let mut words = line.split_whitespace();
    if words.next()? != "watch" {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let (every, command) = match rest.first().and_then(|w| w.parse::<f64>().ok()) {
        Some(secs) if !(0.2..=3600.0).contains(&secs) => {
            return Some(Err(format!(
                "watch: the interval is seconds from 0.2 to 3600, not {}",
                rest[0]
            )));
        }
        Some(secs) => (secs, &rest[1..]),
        None => (2.0, &rest[..]),
    };
    let command = if command.is_empty() {
        "status".to_string()
    } else {
        command.join(" ")
    };
    let mut words = command.split_whitespace();
    let Some(name) = words.next().filter(|c| WATCHABLE.contains(c)) else {
        return Some(Err(format!(
            "watch repeats {} only, not `{command}`",
            WATCHABLE.join(" or ")
        )));
    };
    // Checked here, before anything is sent or shown, with the server's own words for the same mistake: the
    // commands watch repeats take no arguments.
    if words.next().is_some() {
        return Some(Err(format!("`{name}` takes no arguments")));
    }
    Some(Ok(WatchArgs {
        every: Duration::from_secs_f64(every),
        command,
    }))
}

/// Refreshes until Enter (or end of input). `Ok(None)` when the operator stopped it, `Ok(Some(why))` when the server
/// refused the command (nothing of that refresh is shown but the reason, for the caller to print), `Err` when no
/// answer came (the connection ended, or the timeout passed).
pub fn run(
    runtime: &tokio::runtime::Runtime,
    conn: &mut AdminConnection,
    args: WatchArgs,
) -> anyhow::Result<Option<String>> {
    let (tx, stop) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = tx.send(());
    });
    let terminal = std::io::stdout().is_terminal();
    loop {
        let answer = runtime.block_on(conn.run(&args.command))?;
        if !answer.ok {
            return Ok(Some(answer.text));
        }
        if terminal {
            // Clear the screen, cursor home.
            out("\x1b[2J\x1b[H");
        }
        out(format_args!(
            "every {:.1} s: {}    (press Enter to stop)\n\n{}\n",
            args.every.as_secs_f64(),
            args.command,
            answer.text
        ));
        match stop.recv_timeout(args.every) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_watch_lines() {
        assert_eq!(parse("status"), None);
        let w = parse("watch").expect("watch").expect("valid");
        assert_eq!(
            (w.every, w.command.as_str()),
            (Duration::from_secs(2), "status")
        );
        let w = parse("watch 5 players").expect("watch").expect("valid");
        assert_eq!(
            (w.every, w.command.as_str()),
            (Duration::from_secs(5), "players")
        );
        let w = parse("watch players").expect("watch").expect("valid");
        assert_eq!(w.command, "players");
    }

    #[test]
    fn refuses_intervals_out_of_range_and_commands_that_change_things() {
        for (line, why) in [
            ("watch nan", "not nan"),
            ("watch inf status", "not inf"),
            ("watch -5 players", "not -5"),
            ("watch 0.1", "not 0.1"),
            ("watch 1 kick bot-3", "not `kick bot-3`"),
            ("watch shutdown", "not `shutdown`"),
            ("watch 2 frobnicate", "status or players only"),
            ("watch 1 status extra", "`status` takes no arguments"),
            ("watch players now", "`players` takes no arguments"),
        ] {
            match parse(line) {
                Some(Err(e)) => assert!(e.contains(why), "{line}: `{e}` should say `{why}`"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }
}
