//! `tickwire-bots`: headless bot clients that load a tickwire server and report what the players experience.

use anyhow::Context;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use std::path::PathBuf;
use std::time::Duration;
use tickwire_bots::{Behaviour, Config, InputTiming, Progress, Thresholds};
use tickwire_shared::parse_duration;
use tracing_subscriber::EnvFilter;

/// Command-line interface.
#[derive(Debug, Parser)]
#[command(
    name = "tickwire-bots",
    version,
    about = "Headless tickwire bots for load tests: N real clients join a server, play, and report what they saw",
    long_about = "Headless tickwire bots for load tests.\n\n\
        Each bot is a real client: WebSocket handshake, hello with a name, inputs with sequence numbers, and it \
        follows every tick the server sends. Bots connect evenly over --ramp, play through --warmup, and are \
        measured over --duration; then a summary table is printed (and --json writes the same figures).",
    after_help = "Durations: a number of seconds (30, 2.5), a number with a unit us, ms, s, m or h (250us, 500ms, \
        2m), or a sequence of those (1m30s, 1m 30s).\n\n\
        Exit status:\n  \
        0    every bot joined, no protocol error, no threshold crossed\n  \
        1    a protocol error, or a --max-* threshold crossed; without --max-drop-rate any bot dropped\n       \
        mid-run fails the run\n  \
        2    bad usage (checked before the run), or the load asked for was not applied: a bot could not\n       \
        connect or join, or every bot that joined was dropped (wins over 1)\n  \
        130  stopped with Ctrl-C: the report covers the part that ran (wins over the others)\n\n\
        The process raises its open-file limit (RLIMIT_NOFILE) to what --clients needs when the hard limit \
        allows. A tickwire server accepts 1024 clients by default: start it with --max-clients for more.\n\
        Logs go to stderr and follow RUST_LOG (default: warn). See docs/BOTS.md for the report's fields."
)]
struct Cli {
    /// Game WebSocket URL of the server.
    #[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:8080/ws")]
    url: String,
    /// Number of bots.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count, value_name = "N", default_value_t = 100)]
    clients: usize,
    /// Spread connection starts evenly over this long (bot k of N starts at k/N × ramp).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    ramp: Duration,
    /// Wait this long after the ramp before measuring (lets the server and the bots settle).
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    warmup: Duration,
    /// Length of the measurement window, after ramp and warm-up; then every bot closes with 1000.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    duration: Duration,
    /// What bots do: wander (random walk, new direction every second), chase (the nearest player; needs a
    /// mirror, so non-decoding bots wander), idle (no inputs, a ping a second), fire (wander holding fire),
    /// crowd (the "crowd" scenario's walk: 30 Hz inputs, new direction every 30th, a zero input at the end).
    #[arg(long, value_enum, value_name = "BEHAVIOUR", default_value_t = Behaviour::Wander)]
    behaviour: Behaviour,
    /// Inputs per second per bot (default: 30 for crowd, else the server's tick rate, from the welcome).
    #[arg(long, allow_negative_numbers = true, value_name = "HZ")]
    input_rate: Option<f64>,
    /// Seed for the bots' random walks: bot k uses mulberry32(seed + k + 1). Same seed, same inputs.
    #[arg(
        long,
        allow_negative_numbers = true,
        value_name = "N",
        default_value_t = 0
    )]
    seed: u32,
    /// Only this many bots decode every frame into a full mirror; the others read each frame's header (tick,
    /// base, ack) to check tick continuity and measure latency. Bot 0 always decodes. Default: all.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count, value_name = "K")]
    decoders: Option<usize>,
    /// Most connections in the handshake/join phase at once.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count, value_name = "N", default_value_t = 100)]
    connect_concurrency: usize,
    /// Time a bot gets from starting to connect to holding its first snapshot.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    connect_timeout: Duration,
    /// Write the report as JSON to this file ("-" for stdout, which then gets no table).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Exit 1 when the input latency p99 (input sent → first delta acknowledging it) exceeds this.
    #[arg(long, allow_negative_numbers = true, value_name = "MS")]
    max_p99_latency_ms: Option<f64>,
    /// Exit 1 when more than this fraction (0–1) of the established connections dropped mid-run (default: any
    /// drop fails the run).
    #[arg(long, allow_negative_numbers = true, value_name = "FRACTION")]
    max_drop_rate: Option<f64>,
    /// When bots send their inputs: `free` = each on its own timer at a random phase (a client that ignores the
    /// server's tick: an input waits up to a tick for the server's next read); `tick` = each times its inputs to
    /// reach the server just before the tick that applies them, learning when from the acknowledgements (a client
    /// in step with the server's tick; the latency left is the server's part). `tick` needs the input rate to be
    /// the server's tick rate; one core times about 500 bots well.
    #[arg(long, value_enum, value_name = "TIMING", default_value_t = InputTiming::Free)]
    input_timing: InputTiming,
    /// How often each shard wakes to send the inputs and pings that are due and read what arrived (100us–20ms):
    /// the resolution of the bots' timers. Coarser costs less CPU per bot; latencies and jitter are measured from
    /// the kernel's arrival timestamps either way. Keep it below the input period: a bot sends at most one input
    /// per look.
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    look_every: Duration,
    /// For a wss:// URL: also trust the CA certificate(s) in this PEM file (a server whose certificate a private
    /// CA signed, or a self-signed one).
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    ca_cert: Option<PathBuf>,
    /// For a wss:// URL: accept any server certificate (a test server with a self-signed certificate on a machine
    /// you control).
    #[arg(long)]
    insecure: bool,
    /// Worker threads of the bots' runtime (default: the CPUs this process may use).
    #[arg(long, allow_negative_numbers = true, value_name = "N", value_parser = parse_threads)]
    threads: Option<usize>,
    /// No progress display.
    #[arg(long, short)]
    quiet: bool,
}

/// A number of bots or connections: a whole number (a negative one is refused here, not taken for an option).
fn parse_count(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .map_err(|_| format!("`{text}` is not a whole number (0, 1, 2, ...)"))
}

/// `--threads`: a whole number of threads, at least one.
fn parse_threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least one thread is needed".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number of threads")),
    }
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The bots' own checks of the command line are usage errors too: the same format as clap's (`error: …`, the
    // usage line, a pointer to --help) and the same status, 2, before anything is started.
    let (config, json_file) = match prepare(&cli) {
        Ok(ready) => ready,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(2);
        }
    };
    match run(cli, config, json_file) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// A usage error in clap's format, for a check clap cannot make itself.
fn usage_error(kind: ErrorKind, message: impl std::fmt::Display) -> clap::Error {
    Cli::command().error(kind, message)
}

/// The run's configuration from the command line, checked, and the `--json` file, opened (so that a path that
/// cannot be written fails at once, not after the run). Every error is a usage error.
fn prepare(cli: &Cli) -> Result<(Config, Option<std::fs::File>), clap::Error> {
    let tls = match (&cli.ca_cert, cli.insecure) {
        (Some(file), _) => Some(
            tickwire_client::tls::trusting(file)
                .map_err(|e| usage_error(ErrorKind::Io, format!("--ca-cert: {e}")))?,
        ),
        (None, true) => Some(tickwire_client::tls::without_verification()),
        (None, false) => None,
    };
    let config = Config {
        url: cli.url.clone(),
        clients: cli.clients,
        ramp: cli.ramp,
        warmup: cli.warmup,
        duration: cli.duration,
        linger: Duration::ZERO,
        behaviour: cli.behaviour,
        input_rate: cli.input_rate,
        input_timing: cli.input_timing,
        seed: cli.seed,
        decoders: cli.decoders,
        connect_concurrency: cli.connect_concurrency,
        connect_timeout: cli.connect_timeout,
        name_prefix: "bot-".into(),
        thresholds: Thresholds {
            max_p99_latency_ms: cli.max_p99_latency_ms,
            max_drop_rate: cli.max_drop_rate,
        },
        look_every: cli.look_every,
        tls,
    };
    config
        .validate()
        .map_err(|e| usage_error(ErrorKind::ValueValidation, e))?;
    let json_file = match cli.json.as_deref() {
        Some(p) if p.as_os_str() != "-" => Some(std::fs::File::create(p).map_err(|e| {
            usage_error(
                ErrorKind::Io,
                format!("--json {}: cannot write the report there: {e}", p.display()),
            )
        })?),
        _ => None,
    };
    Ok((config, json_file))
}

fn run(cli: Cli, config: Config, json_file: Option<std::fs::File>) -> anyhow::Result<u8> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .with_writer(std::io::stderr)
        .init();
    raise_open_files(config.clients);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.threads {
        builder.worker_threads(n.max(1));
    }
    let runtime = builder.enable_all().thread_name("tickwire-bots").build()?;
    let progress = if cli.quiet {
        Progress::Off
    } else {
        Progress::Auto
    };
    // Ctrl-C stops the run early and still reports what ran (the bots close their connections properly, so the
    // server gives their places back at once); a second Ctrl-C quits at once.
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: never stop early.
            return std::future::pending().await;
        }
        eprintln!(
            "\ntickwire-bots: interrupted: closing the bots and writing the report (Ctrl-C again to quit at once)"
        );
        tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        });
    };
    let report = runtime.block_on(tickwire_bots::run_until(config, progress, interrupted))?;
    let json = serde_json::to_string_pretty(&report)?;
    match cli.json.as_deref() {
        Some(p) if p.as_os_str() == "-" => println!("{json}"),
        other => {
            print!("{}", tickwire_bots::render_table(&report));
            if let (Some(path), Some(mut file)) = (other, json_file) {
                use std::io::Write;
                file.write_all((json + "\n").as_bytes())
                    .with_context(|| format!("writing the report to {}", path.display()))?;
            }
        }
    }
    Ok(report.exit_code().into())
}

/// Raises the soft open-file limit to cover one socket per bot plus some headroom, as far as the hard limit
/// allows; warns when that is not enough.
fn raise_open_files(clients: usize) {
    let wanted = clients as u64 + 256;
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => tracing::warn!(
            wanted,
            got,
            "the open-file limit is below what --clients needs: some bots will fail to connect"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
}
