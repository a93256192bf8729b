//! `tickwire-console`: the operator's remote console for a running `tickwire-server`.
//!
//! With a command it runs it, prints the answer and exits (0: done, 1: the command failed, 2: could not connect
//! or authenticate). Without one it is an interactive console (line editing, history) with a `watch` mode that
//! refreshes `status` until Enter.

mod conn;
mod watch;

use anyhow::Context;
use clap::Parser;
use conn::{AdminConnection, ConnectError};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use std::process::ExitCode;

/// Command-line interface.
#[derive(Debug, Parser)]
#[command(
    name = "tickwire-console",
    version,
    about = "Remote console for a running tickwire-server (status, players, kick, say, tickrate, shutdown)",
    after_help = "Examples:\n  \
        TICKWIRE_ADMIN_TOKEN=... tickwire-console status\n  \
        tickwire-console --url ws://10.0.0.5:9100/admin kick ann \"cheating\"\n  \
        tickwire-console watch          (live status, Enter to stop)\n  \
        tickwire-console                (interactive; `help` lists the commands)\n\n\
        Exit status: 0 done, 1 the command failed, 2 cannot connect or authenticate."
)]
struct Cli {
    /// The server's admin WebSocket URL.
    #[arg(long, default_value = "ws://127.0.0.1:8080/admin", value_name = "URL")]
    url: String,
    /// Longest wait for the connection and for each answer: a number of seconds (`10`, `2.5`), or with a unit
    /// us, ms, s, m or h (`500ms`, `1m`), or a sequence of those (`1m30s`).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_timeout)]
    timeout: std::time::Duration,
    /// The admin token (prefer the environment variable: a flag shows in the process list).
    #[arg(
        long,
        env = "TICKWIRE_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// For a wss:// URL: also trust the CA certificate(s) in this PEM file (a private CA, or a self-signed
    /// certificate that is not marked as a CA).
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    ca_cert: Option<std::path::PathBuf>,
    /// For a wss:// URL: accept any server certificate (a self-signed one on a machine you control).
    #[arg(long)]
    insecure: bool,
    /// A command to run once (e.g. `status`, `kick 3 spamming`); none: interactive console.
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<String>,
}

/// `--timeout`: any duration [`tickwire_shared::parse_duration`] accepts but zero (no answer could ever come).
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    match tickwire_shared::parse_duration(text) {
        Ok(d) if d.is_zero() => Err(format!("`{text}`: must be longer than zero")),
        other => other.map_err(|e| e.to_string()),
    }
}

/// The command line sent for a one-shot command's words. The shell already split them, so a `kick` target with
/// spaces (`tickwire-console kick "ann #2" flooding`) is quoted to stay one name.
fn command_line(words: &[String]) -> String {
    match words {
        [kick, target, rest @ ..]
            if kick.eq_ignore_ascii_case("kick") && target.contains(char::is_whitespace) =>
        {
            let quote = if target.contains('"') { '\'' } else { '"' };
            let mut line = format!("{kick} {quote}{target}{quote}");
            for word in rest {
                line.push(' ');
                line.push_str(word);
            }
            line
        }
        _ => words.join(" "),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(token) = cli.token.clone().filter(|t| !t.is_empty()) else {
        eprintln!("tickwire-console: no token: pass --token or set TICKWIRE_ADMIN_TOKEN");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tickwire-console: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = match (&cli.ca_cert, cli.insecure) {
        (Some(file), _) => match tickwire_client::tls::trusting(file) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("tickwire-console: {e}");
                return ExitCode::from(2);
            }
        },
        (None, true) => Some(tickwire_client::tls::without_verification()),
        (None, false) => None,
    };
    let conn = match runtime.block_on(AdminConnection::connect(&cli.url, &token, cli.timeout, tls))
    {
        Ok(c) => c,
        Err(ConnectError(e)) => {
            eprintln!("tickwire-console: {e:#}");
            return ExitCode::from(2);
        }
    };
    let result = if cli.command.is_empty() {
        interactive(&runtime, conn)
    } else {
        one_shot(&runtime, conn, &command_line(&cli.command))
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tickwire-console: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout. When stdout is closed (`tickwire-console players | head -3`) the program ends as command-line
/// tools do on SIGPIPE, with status 141 and no panic.
pub(crate) fn out(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if write!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(141);
    }
}

fn one_shot(
    runtime: &tokio::runtime::Runtime,
    mut conn: AdminConnection,
    line: &str,
) -> anyhow::Result<ExitCode> {
    if let Some(args) = watch::parse(line) {
        watch::run(runtime, &mut conn, args.map_err(anyhow::Error::msg)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let answer = runtime.block_on(conn.run(line))?;
    runtime.block_on(conn.close());
    if answer.ok {
        out(format_args!("{}\n", answer.text));
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {}", answer.text);
        Ok(ExitCode::from(1))
    }
}

fn interactive(
    runtime: &tokio::runtime::Runtime,
    mut conn: AdminConnection,
) -> anyhow::Result<ExitCode> {
    let mut editor = DefaultEditor::new().context("cannot open the terminal")?;
    out(
        "connected; `help` lists the commands, `watch [secs]` shows a live status, `quit` leaves\n",
    );
    loop {
        let line = match editor.readline("tickwire> ") {
            Ok(line) => line,
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading the terminal"),
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line);
        match line {
            "quit" | "exit" => break,
            _ => {}
        }
        match watch::parse(line) {
            Some(Ok(args)) => {
                if let Err(e) = watch::run(runtime, &mut conn, args) {
                    out(format_args!("error: {e:#}\n"));
                }
                continue;
            }
            Some(Err(e)) => {
                out(format_args!("error: {e}\n"));
                continue;
            }
            None => {}
        }
        let answer = runtime.block_on(conn.run(line))?;
        if answer.ok {
            out(format_args!("{}\n", answer.text));
        } else {
            out(format_args!("error: {}\n", answer.text));
        }
        if line == "help" {
            out(
                "  watch [secs] [command]   repeat status or players (default: status every 2 s) until Enter\n  \
                 quit                     leave the console\n",
            );
        }
    }
    runtime.block_on(conn.close());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::command_line;

    fn line(words: &[&str]) -> String {
        command_line(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_kick_target_with_spaces_stays_one_name() {
        assert_eq!(
            line(&["kick", "ann #2", "flooding"]),
            "kick \"ann #2\" flooding"
        );
        assert_eq!(line(&["kick", "say \"hi\" x"]), "kick 'say \"hi\" x'");
        assert_eq!(
            line(&["kick", "ann", "being", "rude"]),
            "kick ann being rude"
        );
        assert_eq!(line(&["say", "hello world"]), "say hello world");
        assert_eq!(line(&["status"]), "status");
    }
}
