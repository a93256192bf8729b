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
use rustyline::error::ReadlineError;
use rustyline::{DefaultEditor, ExternalPrinter};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use tracing::warn;

/// The prompt.
const PROMPT: &str = "tickwire> ";

/// While the prompt is up, log lines go through rustyline, which prints them above the line being typed instead of
/// through it.
static PRINTER: Mutex<Option<Box<dyn ExternalPrinter + Send>>> = Mutex::new(None);

/// The server's log writer (`tracing_subscriber`'s `with_writer`): stderr, or above the console's prompt while
/// one is shown on the same terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

/// One log event's bytes, written out when the event is complete.
#[derive(Debug, Default)]
pub struct LogLine(Vec<u8>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;
    fn make_writer(&'a self) -> LogLine {
        LogLine::default()
    }
}

impl std::io::Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        thread_local! {
            /// Set while this thread prints through rustyline: a log line from inside it goes to stderr instead
            /// of waiting for the lock this thread holds.
            static PRINTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }
        if self.0.is_empty() {
            return;
        }
        if !PRINTING.replace(true) {
            let mut printer = PRINTER
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let printed = printer.as_mut().is_some_and(|p| {
                p.print(String::from_utf8_lossy(&self.0).into_owned())
                    .is_ok()
            });
            drop(printer);
            PRINTING.set(false);
            if printed {
                return;
            }
        }
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), &self.0);
    }
}

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

/// Sends logs back to stderr when the console ends.
struct PrinterGuard;

impl Drop for PrinterGuard {
    fn drop(&mut self) {
        *PRINTER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

fn run(hub: &Hub, runtime: &tokio::runtime::Handle, terminal: &TerminalGuard) {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            warn!(error = %e, "cannot open the console; it is off");
            return;
        }
    };
    // Logs go above the prompt only when they go to this terminal anyway (not when stderr is redirected).
    if std::io::stderr().is_terminal()
        && let Ok(printer) = editor.create_external_printer()
    {
        *PRINTER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Box::new(printer));
    }
    let _printing = PrinterGuard;
    tracing::info!("local console on this terminal");
    println!("tickwire console: type `help` for the commands");
    loop {
        match editor.readline(PROMPT) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line.as_str());
                if let Some(text) = console_only(&line) {
                    println!("{text}");
                    continue;
                }
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

/// What the server's own console answers to the words `tickwire-console` takes for itself: leaving (which here
/// would be ambiguous: the console, or the server?) and `watch`.
fn console_only(line: &str) -> Option<&'static str> {
    match line.split_whitespace().next()? {
        "quit" | "exit" => Some(
            "this is the server's own console: Ctrl-D closes it and the server keeps running; \
             `shutdown` stops the server",
        ),
        "watch" => Some("`watch` is tickwire-console's; here, type `status` or `players`"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Records what it is asked to print; the first time, it also logs from inside `print`, as a library might.
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl ExternalPrinter for Recorder {
        fn print(&mut self, msg: String) -> rustyline::Result<()> {
            let mut seen = self.0.lock().expect("lock");
            let first = seen.is_empty();
            seen.push(msg);
            drop(seen);
            if first {
                // A log line from inside the printer must not wait for the lock its caller holds.
                let mut nested = LogLine::default();
                let _ = nested.write_all(b"nested\n");
            }
            Ok(())
        }
    }

    #[test]
    fn quit_and_watch_are_answered_not_refused() {
        assert!(
            console_only("quit").is_some_and(|t| t.contains("Ctrl-D") && t.contains("shutdown"))
        );
        assert!(console_only("  exit ").is_some());
        assert!(console_only("watch 2").is_some_and(|t| t.contains("status")));
        assert_eq!(console_only("status"), None);
        assert_eq!(console_only("kick quit"), None);
        assert_eq!(console_only(""), None);
    }

    #[test]
    fn log_lines_go_through_the_printer_while_a_prompt_is_up() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        *PRINTER.lock().expect("lock") = Some(Box::new(Recorder(seen.clone())));
        {
            let _printing = PrinterGuard;
            let mut line = tracing_subscriber::fmt::MakeWriter::make_writer(&LogWriter);
            line.write_all(b"one ").expect("buffered");
            line.write_all(b"event\n").expect("buffered");
            drop(line);
            let mut line = LogLine::default();
            line.write_all(b"two\n").expect("buffered");
        }
        assert_eq!(
            *seen.lock().expect("lock"),
            vec!["one event\n".to_string(), "two\n".to_string()],
            "each event whole, in order; the nested line went to stderr"
        );
        assert!(
            PRINTER.lock().expect("lock").is_none(),
            "the guard hands logs back to stderr"
        );
    }
}
