//! The local console: when `tickwire-server` runs on a terminal, stdin takes commands (rustyline: line editing
//! and history). It runs on its own thread and calls the same executor as the remote front-ends.
//!
//! Without a terminal (a service, CI, a pipe) it is never started and nothing reads stdin. While the prompt is
//! shown the terminal is in raw mode, so Ctrl-C arrives as a key rather than a signal: the console treats it
//! like SIGINT (first: graceful shutdown; second: exit at once with status 130). [`TerminalGuard`] puts the
//! terminal back as it found it when the server exits, whether or not the prompt was active.

use super::execute;
use crate::hub::Hub;
use nix::sys::termios::{SetArg, Termios, tcgetattr, tcsetattr};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use std::io::IsTerminal;
use std::sync::Arc;
use tracing::warn;

/// The prompt.
const PROMPT: &str = "tickwire> ";

/// Restores the terminal settings saved when the console started (on drop).
#[derive(Debug)]
pub struct TerminalGuard {
    saved: Option<Termios>,
}

impl TerminalGuard {
    fn save() -> TerminalGuard {
        TerminalGuard {
            saved: tcgetattr(std::io::stdin()).ok(),
        }
    }

    /// Puts the terminal back now.
    pub fn restore(&self) {
        if let Some(saved) = &self.saved {
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, saved);
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Starts the console thread when stdin is a terminal and the server is the terminal's foreground job; `None`
/// (and nothing reads stdin) otherwise.
pub fn spawn(hub: Arc<Hub>, runtime: tokio::runtime::Handle) -> Option<TerminalGuard> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    if !in_foreground() {
        // A background job (`tickwire-server &`) that reads the terminal or changes its mode is stopped by the
        // shell (SIGTTIN, SIGTTOU), and a stopped server serves nobody.
        tracing::info!(
            "the server runs in the background of its terminal: the local console is off (run it in the \
             foreground for the console, or use tickwire-console)"
        );
        return None;
    }
    let guard = TerminalGuard::save();
    let restore_on_exit = TerminalGuard::save();
    let started = std::thread::Builder::new()
        .name("tickwire-console".into())
        .spawn(move || run(&hub, &runtime, &restore_on_exit));
    match started {
        Ok(_) => Some(guard),
        Err(e) => {
            warn!(error = %e, "cannot start the console thread; the console is off");
            None
        }
    }
}

/// Whether this process's group is the foreground job of the terminal on stdin.
fn in_foreground() -> bool {
    rustix::termios::tcgetpgrp(std::io::stdin())
        .is_ok_and(|foreground| foreground == rustix::process::getpgrp())
}

fn run(hub: &Hub, runtime: &tokio::runtime::Handle, terminal: &TerminalGuard) {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            warn!(error = %e, "cannot open the console; it is off");
            return;
        }
    };
    tracing::info!("local console on this terminal");
    println!("tickwire console: type `help` for the commands");
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line.as_str());
                let reply = runtime.block_on(execute(hub, "console", &line));
                if reply.ok {
                    println!("{}", reply.text);
                } else {
                    println!("error: {}", reply.text);
                }
            }
            Err(ReadlineError::Interrupted) => {
                if hub.shutting_down() {
                    println!("exiting now");
                    terminal.restore();
                    std::process::exit(130);
                }
                println!("shutting down (Ctrl-C again to exit at once)");
                hub.stop.trigger(None);
            }
            Err(ReadlineError::Eof) => {
                println!(
                    "console closed; the server keeps running (stop it with SIGINT or SIGTERM)"
                );
                return;
            }
            Err(e) => {
                warn!(error = %e, "console input failed; the console is off");
                return;
            }
        }
    }
}
