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
    /// The admin token (prefer the environment variable: a flag shows in the process list).
    #[arg(
        long,
        env = "TICKWIRE_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// A command to run once (e.g. `status`, `kick 3 spamming`); none: interactive console.
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(token) = cli.token.clone() else {
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
    let conn = match runtime.block_on(AdminConnection::connect(&cli.url, &token)) {
        Ok(c) => c,
        Err(ConnectError(e)) => {
            eprintln!("tickwire-console: {e:#}");
            return ExitCode::from(2);
        }
    };
    let result = if cli.command.is_empty() {
        interactive(&runtime, conn)
    } else {
        one_shot(&runtime, conn, &cli.command.join(" "))
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tickwire-console: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn one_shot(
    runtime: &tokio::runtime::Runtime,
    mut conn: AdminConnection,
    line: &str,
) -> anyhow::Result<ExitCode> {
    if let Some(args) = watch::parse(line) {
        watch::run(runtime, &mut conn, args)?;
        return Ok(ExitCode::SUCCESS);
    }
    let answer = runtime.block_on(conn.run(line))?;
    runtime.block_on(conn.close());
    if answer.ok {
        println!("{}", answer.text);
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
    println!(
        "connected; `help` lists the commands, `watch [secs]` shows a live status, `quit` leaves"
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
        if let Some(args) = watch::parse(line) {
            watch::run(runtime, &mut conn, args)?;
            continue;
        }
        let answer = runtime.block_on(conn.run(line))?;
        if answer.ok {
            println!("{}", answer.text);
        } else {
            println!("error: {}", answer.text);
        }
        if line == "help" {
            println!(
                "  watch [secs] [command]   repeat a command (default: status every 2 s) until Enter\n  quit                     leave the console"
            );
        }
    }
    runtime.block_on(conn.close());
    Ok(ExitCode::SUCCESS)
}
