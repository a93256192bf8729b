//! `tickwire-server`: runs the game server with the browser client served at `/`, and the operator's console on
//! stdin when it is a terminal.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use std::io::Write as _;
use tickwire_server::config::{Cli, LogFormat, ServerConfig, Sources};
use tickwire_server::shutdown::DEFAULT_GRACE;
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    // Errors are printed with their causes and without a backtrace (RUST_BACKTRACE is for panics, and a bad flag
    // or a busy port is not one). Exit status 2 for a usage error (a flag or a configuration value refused, as
    // clap's own refusals), 1 for a server that could not start or run.
    match start() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e:#}");
            if e.is::<Usage>() {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

/// A usage error: what was asked cannot be run as given (exit status 2).
#[derive(Debug)]
struct Usage(String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

fn start() -> anyhow::Result<()> {
    let command = Cli::command();
    let flags: Vec<String> = command
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    let matches = command.get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(path) = &cli.replay {
        // Nothing else applies to a replay: a flag given with it is a mistake, not something to ignore. (Values
        // from the environment, such as the admin token, are not flags given with it.)
        let others: Vec<String> = matches
            .ids()
            .filter(|id| id.as_str() != "replay" && flags.iter().any(|f| f == id.as_str()))
            .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine))
            .map(|id| format!("--{}", id.as_str().replace('_', "-")))
            .collect();
        if !others.is_empty() {
            return Err(Usage(format!(
                "--replay runs alone (no server starts), without {}",
                others.join(", ")
            ))
            .into());
        }
        let replayed = tickwire_server::replay::replay(path)?;
        // A reader that stops early (`| head`) is not an error: stop writing, quietly.
        let mut out = std::io::stdout().lock();
        return match write!(out, "{replayed}").and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(()),
        };
    }
    let config = ServerConfig::from_cli(cli).map_err(|e| {
        Usage(format!(
            "invalid configuration: {:#}",
            anyhow::Error::from(e)
        ))
    })?;
    init_logging(config.log_format);
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        protocol = tickwire_shared::PROTOCOL_VERSION,
        config = %config
            .sources
            .config
            .as_ref()
            .map_or_else(|| "none".to_string(), |p| p.display().to_string()),
        scenario = config.scenario.name(),
        map = %Sources::name(&config.sources.map),
        rules = %Sources::name(&config.sources.rules),
        "tickwire-server starting"
    );
    let scheduling = config.scheduling;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tickwire-net")
        .on_thread_start(move || scheduling.io_thread())
        .build()?;
    runtime.block_on(run(config))
}

async fn run(config: ServerConfig) -> anyhow::Result<()> {
    let server = tickwire_server::start(config).await?;
    // Dropped last: puts the terminal back even if the prompt is still showing.
    let _terminal = tickwire_server::admin::console::spawn(
        server.hub().clone(),
        tokio::runtime::Handle::current(),
    );
    let grace = tokio::select! {
        _ = wait_for_signal() => DEFAULT_GRACE,
        requested = server.shutdown_requested() => requested.unwrap_or(DEFAULT_GRACE),
    };
    tracing::info!(
        grace_s = grace.as_secs_f64(),
        "shutting down (signal again to exit at once)"
    );
    tokio::select! {
        _ = server.shutdown(grace) => {}
        _ = wait_for_signal() => {
            tracing::warn!("second signal: exiting now");
        }
    }
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        // SIGHUP too: the terminal the server runs in went away (an SSH session ended), which would otherwise
        // kill it without a word to its players.
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: logs piped to a file or a journal stay plain text (and NO_COLOR turns them off).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(tickwire_server::admin::console::LogWriter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
