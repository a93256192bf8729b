//! `tickwire-console`: the operator's remote console for a running `tickwire-server`.
//!
//! With a command it runs it, prints the answer and exits (0: done; 1: the command was refused or failed; 2: bad
//! options, or no session: could not connect or authenticate, no answer in time). Without one it is an interactive
//! console (line editing, history) with a `watch` mode that refreshes `status` until Enter. Every error it prints
//! starts with `error: `, as clap's own do.

mod conn;
mod watch;

use anyhow::Context;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
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
        Exit status:\n  \
        0  done\n  \
        1  the command was refused or failed: an unknown command, wrong words or values (the server's\n     \
        answer, or watch's own check), a player not found\n  \
        2  bad options (an unknown option, a bad --timeout or --url, no token, an unreadable --ca-cert),\n     \
        or no answer: cannot connect or authenticate, nothing within --timeout, connection lost\n\
        With commands piped in, the highest status of any command."
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
    /// A command to run once (e.g. `status`, `kick 3 spamming`); none: interactive console. Options may come
    /// before or after it (`status --url ...`); words of the command that start with `-` go after `--`
    /// (`say -- -- maintenance at noon --`).
    #[arg(value_name = "COMMAND", allow_negative_numbers = true)]
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

/// A usage error in clap's format (`error: …`, the usage line, a pointer to --help; status 2), for a check clap
/// cannot make itself.
fn usage_error(kind: ErrorKind, message: impl std::fmt::Display) -> ! {
    Cli::command().error(kind, message).exit()
}

/// Prints an error the way every other error of the console is printed.
fn error(text: impl std::fmt::Display) {
    eprintln!("error: {text}");
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(token) = cli.token.clone().filter(|t| !t.is_empty()) else {
        usage_error(
            ErrorKind::MissingRequiredArgument,
            "no token: pass --token or set TICKWIRE_ADMIN_TOKEN (the server's admin token)",
        );
    };
    if !(cli.url.starts_with("ws://") || cli.url.starts_with("wss://")) {
        usage_error(
            ErrorKind::ValueValidation,
            format_args!(
                "--url must start with ws:// or wss://, e.g. ws://127.0.0.1:8080/admin (got `{}`)",
                cli.url
            ),
        );
    }
    let tls = match (&cli.ca_cert, cli.insecure) {
        (Some(file), _) => match tickwire_client::tls::trusting(file) {
            Ok(tls) => Some(tls),
            Err(e) => usage_error(ErrorKind::Io, format_args!("--ca-cert: {e}")),
        },
        (None, true) => Some(tickwire_client::tls::without_verification()),
        (None, false) => None,
    };
    let line = (!cli.command.is_empty()).then(|| command_line(&cli.command));
    // A `watch` that cannot run is refused before anything is sent, with the status of a refused command.
    let watch = match line.as_deref().and_then(watch::parse) {
        Some(Err(e)) => {
            error(e);
            return ExitCode::from(1);
        }
        other => other.and_then(Result::ok),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error(e);
            return ExitCode::from(2);
        }
    };
    let target = Target {
        url: cli.url.clone(),
        token,
        timeout: cli.timeout,
        tls,
    };
    let conn = match runtime.block_on(target.connect()) {
        Ok(c) => c,
        Err(ConnectError(e)) => {
            error(format_args!("{e:#}"));
            return ExitCode::from(2);
        }
    };
    let result = match (line, watch) {
        (None, _) => interactive(&runtime, &target, conn),
        (Some(_), Some(args)) => one_watch(&runtime, conn, args),
        (Some(line), None) => one_shot(&runtime, conn, &line),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            error(format_args!("{e:#}"));
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
    let answer = runtime.block_on(conn.run(line))?;
    runtime.block_on(conn.close());
    if answer.ok {
        out(format_args!("{}\n", answer.text));
        Ok(ExitCode::SUCCESS)
    } else {
        error(answer.text);
        Ok(ExitCode::from(1))
    }
}

/// `tickwire-console watch …`: refreshes until Enter; a refused command ends it with status 1, as a one-shot
/// command's refusal does.
fn one_watch(
    runtime: &tokio::runtime::Runtime,
    mut conn: AdminConnection,
    args: watch::WatchArgs,
) -> anyhow::Result<ExitCode> {
    let refused = watch::run(runtime, &mut conn, args)?;
    runtime.block_on(conn.close());
    match refused {
        None => Ok(ExitCode::SUCCESS),
        Some(why) => {
            error(why);
            Ok(ExitCode::from(1))
        }
    }
}

/// Where the admin session is opened, and how: kept to open it again.
struct Target {
    url: String,
    token: String,
    timeout: std::time::Duration,
    tls: Option<tickwire_client::tls::TlsClientConfig>,
}

impl Target {
    async fn connect(&self) -> Result<AdminConnection, ConnectError> {
        AdminConnection::connect(&self.url, &self.token, self.timeout, self.tls.clone()).await
    }
}

/// Where the interactive console's words go. On a terminal everything goes to stdout, between prompts. With
/// commands piped in (`tickwire-console < commands.txt`) it is a script: answers on stdout, errors and the state of
/// the connection on stderr, no banner, and an exit status that says whether every command succeeded.
struct Tell {
    tty: bool,
    /// 0, or 1 once a command failed, or 2 once one could not be sent.
    status: u8,
}

impl Tell {
    fn answer(&self, text: impl std::fmt::Display) {
        out(format_args!("{text}\n"));
    }

    /// Something the operator should know that is not an answer (the connection's state).
    fn note(&self, text: impl std::fmt::Display) {
        if self.tty {
            out(format_args!("{text}\n"));
        } else {
            eprintln!("tickwire-console: {text}");
        }
    }

    /// A command that was refused or failed (`status` 1) or could not run (2): `error: …`, as every error of
    /// the console is printed, on stdout between prompts, on stderr in a script.
    fn error(&mut self, text: impl std::fmt::Display, status: u8) {
        self.status = self.status.max(status);
        if self.tty {
            out(format_args!("error: {text}\n"));
        } else {
            error(text);
        }
    }
}

/// The interactive console. Like redis-cli it outlives its connection: when the server shut down or restarted
/// while the operator was typing, the next command says so and opens a new session first; when that fails the
/// prompt says `not connected` and the command after tries again.
fn interactive(
    runtime: &tokio::runtime::Runtime,
    target: &Target,
    conn: AdminConnection,
) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let mut tell = Tell {
        tty: std::io::stdin().is_terminal(),
        status: 0,
    };
    let mut editor = DefaultEditor::new().context("cannot open the terminal")?;
    if tell.tty {
        tell.note(
            "connected; `help` lists the commands, `watch [secs]` shows a live status, `quit` leaves",
        );
    }
    let mut conn = Some(conn);
    loop {
        let prompt = if conn.is_some() {
            "tickwire> "
        } else {
            "tickwire (not connected)> "
        };
        let line = match editor.readline(prompt) {
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
        let watch = match watch::parse(line) {
            Some(Err(e)) => {
                tell.error(e, 1);
                continue;
            }
            other => other.and_then(Result::ok),
        };
        // A session the server ended while the operator typed: say so, and open a new one for this command.
        if let Some(c) = conn.as_mut() {
            let ended = runtime.block_on(async {
                // Lets the reactor see what arrived on the socket since the last command.
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                c.ended().await
            });
            if let Some(why) = ended {
                tell.note(format_args!(
                    "the server closed the admin connection{why}; reconnecting to {}",
                    target.url
                ));
                conn = None;
            }
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match runtime.block_on(target.connect()) {
                Ok(c) => {
                    tell.note("connected");
                    conn.insert(c)
                }
                Err(ConnectError(e)) => {
                    tell.error(format_args!("{e:#}"), 2);
                    tell.note("not connected: the next command tries again");
                    continue;
                }
            },
        };
        let result = match watch {
            Some(args) => watch::run(runtime, c, args)
                .map(|refused| refused.map(|text| conn::Answer { ok: false, text })),
            None => runtime.block_on(c.run(line)).map(Some),
        };
        match result {
            Ok(Some(answer)) if answer.ok => tell.answer(answer.text),
            Ok(Some(answer)) => tell.error(answer.text, 1),
            Ok(None) => {}
            Err(e) => {
                // No answer (the connection ended, or the timeout passed): this session is not trusted again.
                tell.error(format_args!("{e:#}"), 2);
                tell.note("not connected: the next command reconnects");
                conn = None;
                continue;
            }
        }
        if line == "help" {
            tell.answer(
                "  watch [secs] [command]   repeat status or players (default: status every 2 s) until Enter\n  \
                 quit                     leave the console",
            );
        }
    }
    if let Some(c) = conn {
        runtime.block_on(c.close());
    }
    Ok(ExitCode::from(tell.status))
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
