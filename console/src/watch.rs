//! `watch [secs] [command]`: re-runs a command (default `status`) every few seconds on a cleared screen, like
//! watch(1), until the operator presses Enter.

use crate::conn::AdminConnection;
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

/// Parses `watch [secs] [command]`; `None` when the line is not a watch.
pub fn parse(line: &str) -> Option<WatchArgs> {
    let mut words = line.split_whitespace();
    if words.next()? != "watch" {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let (every, command) = match rest.first().and_then(|w| w.parse::<f64>().ok()) {
        Some(secs) => (secs, &rest[1..]),
        None => (2.0, &rest[..]),
    };
    let command = if command.is_empty() {
        "status".to_string()
    } else {
        command.join(" ")
    };
    Some(WatchArgs {
        every: Duration::from_secs_f64(every.clamp(0.2, 3600.0)),
        command,
    })
}

/// Refreshes until Enter (or end of input).
pub fn run(
    runtime: &tokio::runtime::Runtime,
    conn: &mut AdminConnection,
    args: WatchArgs,
) -> anyhow::Result<()> {
    let (tx, stop) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = tx.send(());
    });
    loop {
        let answer = runtime.block_on(conn.run(&args.command))?;
        // Clear the screen, cursor home.
        print!("\x1b[2J\x1b[H");
        println!(
            "every {:.1} s: {}    (press Enter to stop)\n",
            args.every.as_secs_f64(),
            args.command
        );
        if answer.ok {
            println!("{}", answer.text);
        } else {
            println!("error: {}", answer.text);
        }
        match stop.recv_timeout(args.every) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_watch_lines() {
        assert_eq!(parse("status"), None);
        let w = parse("watch").expect("watch");
        assert_eq!(
            (w.every, w.command.as_str()),
            (Duration::from_secs(2), "status")
        );
        let w = parse("watch 5 players").expect("watch");
        assert_eq!(
            (w.every, w.command.as_str()),
            (Duration::from_secs(5), "players")
        );
        let w = parse("watch players").expect("watch");
        assert_eq!(w.command, "players");
    }
}
