//! The `tickwire-server` binary itself: started as a process, stopped by SIGTERM or by the `shutdown` command,
//! with connected clients that must receive close 1001 before it exits with status 0.

use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tickwire_client::Client;
use tickwire_shared::admin::{
    AdminRequest, AdminResponse, decode_admin_response, encode_admin_request,
};
use tickwire_shared::close;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(5);
const TOKEN: &str = "binary-test-token-0123456789";

/// A running `tickwire-server` process and everything it has logged so far.
struct Server {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
    /// What it logged up to its address.
    startup: Vec<String>,
}

impl Drop for Server {
    /// A failed test must not leave a server running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    fn start_with(args: &[&str]) -> Server {
        Server::start_as(Command::new(env!("CARGO_BIN_EXE_tickwire-server")), args)
    }

    /// Starts the server with `command` (the binary, or a wrapper such as `setpriv` followed by it).
    fn start_as(mut command: Command, args: &[&str]) -> Server {
        let mut child = command
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .env("TICKWIRE_ADMIN_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Owned from here on: a panic below still kills the process.
        let mut server = Server {
            child,
            addr: String::new(),
            log,
            startup: Vec::new(),
        };
        let deadline = Instant::now() + WAIT;
        while server.addr.is_empty() {
            let line = server
                .log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the server logs its address");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                server.addr = rest.split_whitespace().next().expect("address").to_string();
            }
            server.startup.push(line);
        }
        server
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Waits for the process to exit; returns its status and the rest of its log.
    fn wait_exit(mut self, within: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at the pipe's end, after the last line.
        let mut log = Vec::new();
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(2)) {
            log.push(line);
        }
        (status, log.join("\n"))
    }
}

async fn expect_1001(clients: &mut [Client]) {
    for c in clients {
        let (code, reason) = c.expect_close(WAIT).await.expect("a close frame");
        assert_eq!(
            (code, reason.as_str()),
            (close::GOING_AWAY, "server shutting down")
        );
    }
}

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_exits_0() {
    stopped_by_signal("TERM").await;
}

/// The terminal the server ran in went away (an SSH session ended): the same graceful shutdown, not a death
/// without a close frame.
#[tokio::test]
async fn sighup_closes_every_client_with_1001_and_exits_0() {
    stopped_by_signal("HUP").await;
}

async fn stopped_by_signal(signal: &str) {
    let server = Server::start();
    let mut clients = vec![
        Client::join(&server.ws_url(), "a", WAIT)
            .await
            .expect("join"),
        Client::join(&server.ws_url(), "b", WAIT)
            .await
            .expect("join"),
    ];
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let started = Instant::now();
    expect_1001(&mut clients).await;
    let (status, log) = server.wait_exit(Duration::from_secs(7));
    assert!(status.success(), "exit status {status:?}; log:\n{log}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "within the 5 s grace period"
    );
    assert!(
        !log.contains("local console"),
        "no console without a terminal:\n{log}"
    );
}

#[tokio::test]
async fn the_shutdown_command_closes_every_client_with_1001_and_exits_0() {
    let server = Server::start();
    let mut clients = vec![
        Client::join(&server.ws_url(), "a", WAIT)
            .await
            .expect("join"),
        Client::join(&server.ws_url(), "b", WAIT)
            .await
            .expect("join"),
    ];
    let url = format!("ws://{}/admin", server.addr);
    // A failed login first: it must be logged without the token.
    let mut bad = url.as_str().into_client_request().expect("request");
    bad.headers_mut().insert(
        "Authorization",
        "Bearer guess-guess-guess".parse().expect("header"),
    );
    assert!(tokio_tungstenite::connect_async(bad).await.is_err());

    let mut request = url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let (mut admin, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("admin connects");
    let cmd = AdminRequest::Command {
        id: 1,
        line: "shutdown 1".into(),
    };
    admin
        .send(Message::Binary(encode_admin_request(&cmd)))
        .await
        .expect("send");
    let reply = loop {
        match admin.next().await.expect("reply").expect("reply") {
            Message::Binary(b) => break decode_admin_response(&b).expect("valid reply"),
            _ => continue,
        }
    };
    let AdminResponse::Reply { ok, text, .. } = reply;
    assert!(ok, "{text}");
    expect_1001(&mut clients).await;
    let (status, log) = server.wait_exit(Duration::from_secs(4));
    assert!(status.success(), "exit status {status:?}; log:\n{log}");
    assert!(
        log.contains("admin login refused"),
        "the failure is logged:\n{log}"
    );
    assert!(
        !log.contains(TOKEN) && !log.contains("guess-guess"),
        "no token ever appears in the log:\n{log}"
    );
}

/// One thread of a process, as `/proc/PID/task/TID/stat` describes it.
#[derive(Debug)]
struct Thread {
    name: String,
    /// `SCHED_OTHER` 0, `SCHED_FIFO` 1, `SCHED_BATCH` 3.
    policy: u32,
    nice: i32,
}

/// The server's threads once the tick, read pass and fan-out threads exist and every I/O thread has applied its
/// policy (each does as it starts; on a busy machine a thread may start a moment after the startup log), or as
/// they are after 2 s.
fn settled_threads(pid: u32) -> Vec<Thread> {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let threads = threads(pid);
        let started = ["tickwire-tick", "tickwire-reader", "tickwire-fanout"]
            .iter()
            .all(|name| threads.iter().any(|t| t.name == *name));
        let settled = started
            && threads
                .iter()
                .filter(|t| {
                    ["tickwire-net", "tickwire-fanout", "tickwire-reader"]
                        .contains(&t.name.as_str())
                })
                .all(|t| t.policy != 0);
        if settled || std::time::Instant::now() > deadline {
            return threads;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// This test process's nice value (a server it starts inherits it): 0 usually, 19 under `nice -n 19 cargo test`.
fn own_nice() -> i32 {
    threads(std::process::id()).first().map_or(0, |t| t.nice)
}

fn threads(pid: u32) -> Vec<Thread> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc lists the threads") {
        let stat = std::fs::read_to_string(task.expect("task entry").path().join("stat"))
            .expect("a thread's stat");
        // "TID (name) state ...": the name may hold spaces, so split at the last ')'.
        let (head, rest) = stat.rsplit_once(')').expect("stat has a name");
        let name = head.split_once('(').expect("stat has a name").1.to_string();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Fields are numbered from 1 in proc(5); `rest` starts at field 3 (state).
        let field = |n: usize| fields[n - 3];
        out.push(Thread {
            name,
            nice: field(19).parse().expect("nice"),
            policy: field(41).parse().expect("policy"),
        });
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn by_default_the_tick_thread_runs_first_and_the_io_threads_batch() {
    let server = Server::start();
    let log = server.startup.join("\n");
    let threads = settled_threads(server.child.id());
    let named = |name: &str| {
        threads
            .iter()
            .filter(|t| t.name == name)
            .collect::<Vec<_>>()
    };
    let tick = named("tickwire-tick");
    assert_eq!(tick.len(), 1, "{threads:?}");
    let reader = named("tickwire-reader");
    assert_eq!(reader.len(), 1, "{threads:?}");
    // The first line says what runs: the version, the protocol and where the map and rules came from.
    assert!(
        log.contains("tickwire-server starting")
            && log
                .contains("protocol=2 config=none scenario=\"arena\" map=embedded rules=embedded"),
        "{log}"
    );
    let realtime = log.contains("SCHED_FIFO priority 10");
    // With the tick thread real time, the I/O threads keep the server's nice value; without, they run at nice 10
    // so the tick runs first (started niced higher, the server keeps that: see the test below).
    let io_nice = if realtime {
        own_nice()
    } else {
        own_nice().max(10)
    };
    if realtime {
        assert_eq!(tick[0].policy, 1, "the log says SCHED_FIFO: {threads:?}");
        assert_eq!(
            reader[0].policy, 1,
            "the read pass runs SCHED_FIFO too: {threads:?}"
        );
    } else {
        // Not permitted here (no root, CAP_SYS_NICE or RLIMIT_RTPRIO): the server says so and goes on.
        assert!(log.contains("SCHED_FIFO refused"), "{log}");
        assert_eq!(tick[0].policy, 0, "{threads:?}");
        assert_eq!(
            (reader[0].policy, reader[0].nice),
            (3, io_nice),
            "{threads:?}"
        );
    }
    let io: Vec<_> = threads
        .iter()
        .filter(|t| t.name == "tickwire-net" || t.name == "tickwire-fanout")
        .collect();
    assert!(
        named("tickwire-fanout").len() == 1 && io.len() >= 2,
        "{threads:?}"
    );
    for t in io {
        assert_eq!(
            (t.policy, t.nice),
            (3, io_nice),
            "SCHED_BATCH at nice {io_nice}: {t:?}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn auto_never_raises_a_priority_the_operator_lowered() {
    // `nice -n 15 tickwire-server`: anyone may start a program at a higher nice value, and `nice` execs it.
    let base = own_nice().max(15);
    let mut command = Command::new("nice");
    command.args(["-n", &(base - own_nice()).to_string()]);
    command.arg(env!("CARGO_BIN_EXE_tickwire-server"));
    let server = Server::start_as(command, &[]);
    let log = server.startup.join("\n");
    let threads = settled_threads(server.child.id());
    assert!(log.contains(&format!("started at nice {base}")), "{log}");
    assert!(!log.contains("could not move"), "{log}");
    assert!(
        threads.iter().any(|t| t.name == "tickwire-tick"),
        "{threads:?}"
    );
    for t in &threads {
        assert!(
            t.nice >= base && t.policy != 1,
            "no thread above nice {base}: {t:?}"
        );
        if ["tickwire-net", "tickwire-fanout", "tickwire-reader"].contains(&t.name.as_str()) {
            assert_eq!(
                (t.policy, t.nice),
                (3, base),
                "SCHED_BATCH at the inherited nice: {t:?}"
            );
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn scheduling_normal_leaves_every_thread_alone() {
    let server = Server::start_with(&["--scheduling", "normal"]);
    let threads = threads(server.child.id());
    assert!(
        threads.iter().any(|t| t.name == "tickwire-tick"),
        "{threads:?}"
    );
    let base = own_nice();
    for t in &threads {
        assert_eq!((t.policy, t.nice), (0, base), "{t:?}");
    }
}

/// True when this process runs as root (it can then drop to `nobody` to show the unprivileged path).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[cfg(target_os = "linux")]
#[test]
fn without_privileges_auto_still_batches_the_io_threads_and_says_the_tick_is_not_realtime() {
    // Most servers run unprivileged. As root this test drops to `nobody` (uid 65534, no capabilities) with
    // util-linux's setpriv; as another user the default test above already runs unprivileged.
    if !is_root() {
        eprintln!("not root: the default-scheduling test covers the unprivileged path");
        return;
    }
    assert!(
        Command::new("setpriv").arg("--version").output().is_ok(),
        "setpriv (util-linux) is needed to drop privileges"
    );
    // `nobody` must be able to run the binary: copy it to a directory it can read.
    let dir = std::env::temp_dir().join(format!("tickwire-nobody-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bin = dir.join("tickwire-server");
    std::fs::copy(env!("CARGO_BIN_EXE_tickwire-server"), &bin).expect("copy the binary");
    use std::os::unix::fs::PermissionsExt;
    for path in [&dir, &bin] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let mut command = Command::new("setpriv");
    command.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
    ]);
    command.arg(&bin);
    let server = Server::start_as(command, &[]);
    let log = server.startup.join("\n");
    // The server's process id is setpriv's: setpriv execs the program.
    let threads = settled_threads(server.child.id());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(log.contains("SCHED_FIFO refused"), "{log}");
    assert!(
        !log.contains("could not move"),
        "the I/O threads need no privilege:\n{log}"
    );
    let base = own_nice();
    for t in &threads {
        let expected = match t.name.as_str() {
            "tickwire-net" | "tickwire-fanout" | "tickwire-reader" => (3, base.max(10)),
            _ => (0, base),
        };
        assert_eq!((t.policy, t.nice), expected, "{t:?}");
    }
}

#[test]
fn a_recording_path_that_cannot_be_written_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("tickwire-no-such-dir-{}", std::process::id()));
    let path = dir.join("match.rec");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
        .args(["--bind", "127.0.0.1:0", "--record"])
        .arg(&path)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary runs");
    // A server that starts anyway would run until stopped: give it 10 s to refuse, then stop it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("wait").is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("the output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it must not start: {stderr}");
    assert!(
        stderr.contains(&format!("cannot write the recording to {}", path.display()))
            && stderr.contains("No such file or directory"),
        "{stderr}"
    );
}

/// A match recorded with `--record`, killed with SIGKILL (no shutdown, no last write), replays with `--replay`: the
/// file holds what was flushed (every second) and the replay names the players and the final scoreboard.
#[tokio::test]
async fn a_recorded_match_survives_kill_9_and_replays_from_the_command_line() {
    let path = std::env::temp_dir().join(format!("tickwire-binary-{}.rec", std::process::id()));
    let server = Server::start_with(&["--record", path.to_str().expect("utf-8 path")]);
    let mut ada = Client::join(&server.ws_url(), "ada", WAIT)
        .await
        .expect("join");
    // Two seconds of play: the recorder flushes at least once a second.
    for i in 0..60u32 {
        let a = i as f32 * 0.1;
        ada.send_input(a.cos(), a.sin(), 0.0, 0)
            .await
            .expect("input");
        tokio::time::sleep(Duration::from_millis(33)).await;
    }
    let status = Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let _ = server.wait_exit(WAIT);

    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
        .arg("--replay")
        .arg(&path)
        .env("NO_COLOR", "1")
        .output()
        .expect("the replay runs");
    // A reader that goes away before the replay is printed (`| head`): a quiet end, no panic.
    let mut early = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
        .arg("--replay")
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the replay starts");
    drop(early.stdout.take());
    let early = early.wait_with_output().expect("the replay ends");
    let early_err = String::from_utf8_lossy(&early.stderr);
    assert!(
        early.status.success() && !early_err.contains("panicked"),
        "{:?}: {early_err}",
        early.status
    );
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 join, 0 leaves"), "{stdout}");
    // Killed: no last chunk, so the replay says the recording was not finished.
    assert!(
        stdout.contains("(still open") || stdout.contains("(cut short"),
        "{stdout}"
    );
    // At least the first second of inputs reached the disk before the kill.
    let inputs: u32 = stdout
        .split(" inputs")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("an input count");
    assert!(inputs >= 20, "{inputs} inputs on disk:\n{stdout}");
    assert!(
        stdout.contains("players (1 in all, 1 at the end") && stdout.contains("ada"),
        "{stdout}"
    );

    // A replay that must fail: its status, and what it printed on stderr.
    let refused = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
            .args(args)
            .env("TICKWIRE_ADMIN_TOKEN", TOKEN)
            .env_remove("RUST_BACKTRACE")
            .output()
            .expect("the replay runs");
        assert!(!out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Other flags do not apply to a replay: refused rather than ignored (the environment's token is no flag).
    let stderr = refused(&["--replay", "match.rec", "--tick-rate", "40"]);
    assert!(
        stderr.contains("--replay runs alone (no server starts), without --tick-rate\n"),
        "{stderr}"
    );
    // Not a recording: a clear error.
    let stderr = refused(&["--replay", "Cargo.toml"]);
    assert!(
        stderr.contains("Error: Cargo.toml: not a tickwire recording"),
        "{stderr}"
    );
}

/// What an operator's mistake exits with: 2 for a refused flag or configuration value, whichever check refused
/// it (clap's parsing or the configuration's own), 1 for a server that could not start (a busy port).
#[test]
fn usage_errors_exit_2_and_a_failed_start_exits_1() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .env_remove("TICKWIRE_ADMIN_TOKEN")
            .stdin(Stdio::null())
            .output()
            .expect("the server binary runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in [
        &["--tick-rate", "abc"][..],
        &["--tick-rate", "61"],
        &["--max-clients", "0"],
        &["--idle-timeout", "500ms"],
        &["--replay", "x.rec", "--tick-rate", "40"],
    ] {
        let (code, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
    }
    let (_, stderr) = run(&["--tick-rate", "61"]);
    assert!(
        stderr.starts_with("Error: invalid configuration: ") && stderr.contains("61"),
        "{stderr}"
    );

    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let (code, stderr) = run(&["--bind", &addr]);
    assert_eq!(code, Some(1), "a busy port: {stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr} (--bind)")),
        "{stderr}"
    );
    // Which listener's port is busy is named: here the admin one, the game's being free.
    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
        .args(["--bind", "127.0.0.1:0", "--admin-bind", &addr])
        .env("TICKWIRE_ADMIN_TOKEN", TOKEN)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .expect("the server binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {addr} (--admin-bind)")),
        "{stderr}"
    );
}
