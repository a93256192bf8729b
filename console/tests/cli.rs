//! The `tickwire-console` binary against a real server: one-shot commands, exit statuses, the token check.

use std::process::{Command, Output};
use tickwire_shared::{Event, ServerMessage, close};
use tickwire_testkit::{TEST_TOKEN, TestServer, WAIT};

/// Runs the console with `--url url` then `args`, on a blocking thread (the server under test lives on this
/// runtime).
async fn console(url: &str, token: Option<&str>, args: &[&str]) -> Output {
    run_console(&[&["--url", url], args].concat(), token).await
}

/// Runs the console with exactly `args`, `token` in its environment.
async fn run_console(args: &[&str], token: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tickwire-console"));
    cmd.args(args).env_remove("TICKWIRE_ADMIN_TOKEN");
    if let Some(token) = token {
        cmd.env("TICKWIRE_ADMIN_TOKEN", token);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("tickwire-console runs"))
        .await
        .expect("the console process finishes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_commands_print_the_answer_and_set_the_exit_status() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut player = server.join("ann").await;
    let url = server.admin_url();

    let out = console(&url, Some(TEST_TOKEN), &["status"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("tick rate   30 Hz"),
        "{out:?}"
    );

    let out = console(
        &url,
        Some(TEST_TOKEN),
        &["say", "hello", "from", "the", "console"],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    player
        .recv_until(WAIT, |_, m| {
            matches!(m, ServerMessage::Delta(d)
                if d.events.contains(&Event::Say { text: "hello from the console".into() }))
        })
        .await
        .expect("the player sees the message");

    let out = console(&url, Some(TEST_TOKEN), &["tickrate", "99"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed command exits 1: {out:?}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("20 to 60"));

    let out = console(&url, Some("wrong-token"), &["shutdown"]).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "a refused login exits 2: {out:?}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong admin token"));
    assert!(
        !server.server().hub().shutting_down(),
        "the command did not run"
    );

    let out = console(&url, None, &["status"]).await;
    assert_eq!(out.status.code(), Some(2), "no token exits 2: {out:?}");
}

/// Runs the console and returns its exit status and stderr.
async fn console_err(url: &str, token: Option<&str>, args: &[&str]) -> (Option<i32>, String) {
    let out = console(url, token, args).await;
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_addresses_and_tokens_say_what_to_fix() {
    let server = TestServer::start_admin(|_| {}).await;
    let addr = server.addr();

    let (code, err) = console_err(&format!("ws://{addr}/ws"), Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ends in /admin"), "the game endpoint: {err}");

    // The game path on a separate admin listener: the path is what is wrong, and the message says so.
    let separate =
        TestServer::start_admin(|c| c.admin.bind = Some(([127, 0, 0, 1], 0).into())).await;
    let admin = separate.server().admin_addr().expect("the admin listener");
    let (code, err) = console_err(&format!("ws://{admin}/ws"), Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no admin endpoint at this URL") && err.contains("ends in /admin"),
        "the game path on the admin listener: {err}"
    );

    let (code, err) = console_err(&format!("ws://{addr}/"), Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("with a web page") && err.len() < 400,
        "the page: {err}"
    );

    // No path at all (the page's head may arrive without its body): still named as a page, with the path to use.
    let (code, err) = console_err(&format!("ws://{addr}"), Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not a WebSocket endpoint") && err.contains("ends in /admin"),
        "no path: {err}"
    );

    let (code, err) = console_err(
        &format!("http://{addr}/admin"),
        Some(TEST_TOKEN),
        &["status"],
    )
    .await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("must start with ws:// or wss://"), "{err}");

    // A port nobody listens on (the server's, after it stopped).
    let free = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let (code, err) =
        console_err(&format!("ws://{free}/admin"), Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is the server running"), "{err}");

    let (code, err) = console_err(&server.admin_url(), Some(""), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no token"),
        "an empty token is no token: {err}"
    );

    let (code, err) = console_err(&server.admin_url(), Some(TEST_TOKEN), &["watch", "nan"]).await;
    assert_eq!(code, Some(1), "a refused command: {err}");
    assert!(err.contains("not nan"), "{err}");
    let (code, err) = console_err(
        &server.admin_url(),
        Some(TEST_TOKEN),
        &["watch", "1", "shutdown"],
    )
    .await;
    assert_eq!(code, Some(1), "a refused command: {err}");
    assert!(err.contains("status or players only"), "{err}");
    assert!(
        !server.server().hub().shutting_down(),
        "watch did not run shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_answer_times_out() {
    // A listener that accepts TCP connections and never answers the upgrade.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let started = std::time::Instant::now();
    let (code, err) = console_err(
        &format!("ws://{addr}/admin"),
        Some(TEST_TOKEN),
        &["--timeout", "500ms", "status"],
    )
    .await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no answer") && err.contains("500ms"), "{err}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "it gave up in time"
    );
    drop(listener);
}

/// `--timeout` takes the durations every tickwire binary takes: a bare number is seconds, a sequence adds up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_takes_a_number_of_seconds_and_sequences() {
    let server = TestServer::start_admin(|_| {}).await;
    let url = server.admin_url();
    for timeout in ["90", "1m30s", "1m 30s", "2.5"] {
        let out = console(&url, Some(TEST_TOKEN), &["--timeout", timeout, "status"]).await;
        assert!(out.status.success(), "--timeout {timeout}: {out:?}");
    }
    // The value, from the message of a listener that never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent = format!("ws://{}/admin", listener.local_addr().expect("addr"));
    for timeout in ["0.5", "0.25s 250ms"] {
        let (code, err) =
            console_err(&silent, Some(TEST_TOKEN), &["--timeout", timeout, "status"]).await;
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("no answer") && err.contains("within 500ms"),
            "--timeout {timeout}: {err}"
        );
    }
    drop(listener);
    for (timeout, message) in [
        ("5y", "unknown unit `y`"),
        ("1m30", "`30` needs a unit"),
        ("0", "`0`: must be longer than zero"),
    ] {
        let (code, err) =
            console_err(&url, Some(TEST_TOKEN), &["--timeout", timeout, "status"]).await;
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "invalid value '{timeout}' for '--timeout <DURATION>'"
            )) && err.contains(message),
            "{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_the_console_quietly() {
    let server = TestServer::start_admin(|_| {}).await;
    let url = server.admin_url();
    let status = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickwire-console"))
            .args(["--url", &url, "help"])
            .env("TICKWIRE_ADMIN_TOKEN", TEST_TOKEN)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        // Close the reading end at once, as `| head -0` would.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("finishes");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("joined");
    assert_eq!(status.0, Some(141), "{status:?}");
    assert!(!status.1.contains("panicked"), "{status:?}");
}

/// Over `wss://` with a certificate no public CA signed: refused with the public roots alone (exit 2, a message
/// naming the certificate), answered with `--ca-cert` and with `--insecure`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_admin_endpoint_with_a_private_certificate() {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generate certificate");
    let dir = std::env::temp_dir().join(format!("tickwire-console-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, key.cert.pem()).expect("write cert");
    std::fs::write(&key_file, key.signing_key.serialize_pem()).expect("write key");
    let tls = (cert.clone(), key_file);
    let server = TestServer::start_admin(move |c| c.tls = Some(tls)).await;
    let url = format!("wss://localhost:{}/admin", server.addr().port());

    let (code, err) = console_err(&url, Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("the server's certificate is not trusted") && err.contains("--ca-cert"),
        "{err}"
    );

    let ca = cert.display().to_string();
    let out = console(&url, Some(TEST_TOKEN), &["--ca-cert", &ca, "status"]).await;
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("tick rate"),
        "{out:?}"
    );
    let out = console(&url, Some(TEST_TOKEN), &["--insecure", "status"]).await;
    assert!(out.status.success(), "{out:?}");

    // Given --ca-cert, the advice is never "use --ca-cert": a host the certificate does not name is named as the
    // problem, with the names it has; a wrong CA file is called that.
    let by_ip = format!("wss://127.0.0.1:{}/admin", server.addr().port());
    let (code, err) = console_err(&by_ip, Some(TEST_TOKEN), &["--ca-cert", &ca, "status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not valid for the host in --url")
            && err.contains("localhost")
            && !err.contains("use --ca-cert"),
        "{err}"
    );
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generate certificate");
    let wrong = dir.join("other.pem");
    std::fs::write(&wrong, other.cert.pem()).expect("write cert");
    let wrong = wrong.display().to_string();
    let (code, err) = console_err(&url, Some(TEST_TOKEN), &["--ca-cert", &wrong, "status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--ca-cert") && !err.contains("use --ca-cert") && !err.contains("--insecure"),
        "a CA file that did not sign the certificate: {err}"
    );

    // A separate admin listener (--admin-bind) serves TLS too: the token never crosses in clear.
    let tls = (cert.clone(), dir.join("key.pem"));
    let separate = TestServer::start_admin(move |c| {
        c.tls = Some(tls);
        c.admin.bind = Some(([127, 0, 0, 1], 0).into());
    })
    .await;
    let port = separate
        .server()
        .admin_addr()
        .expect("the admin listener")
        .port();
    let out = console(
        &format!("wss://localhost:{port}/admin"),
        Some(TEST_TOKEN),
        &["--ca-cert", &ca, "status"],
    )
    .await;
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("tick rate"),
        "{out:?}"
    );
    let (code, err) = console_err(
        &format!("ws://localhost:{port}/admin"),
        Some(TEST_TOKEN),
        &["status"],
    )
    .await;
    assert_eq!(code, Some(2), "plain ws:// to a TLS admin listener: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the console with exactly `args` (no `--url` put first).
async fn console_raw(args: &[&str]) -> Output {
    run_console(args, Some(TEST_TOKEN)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_after_the_command_are_options_not_words_of_it() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut ann = server.join("ann").await;
    let url = server.admin_url();

    // `--url` after the command names the server: the command must not go to the default address with the
    // option as its words (a kick "bot-0" with the reason "--url ...", on whatever listens on 127.0.0.1:8080).
    let out = console_raw(&["say", "hi", "there", "--url", &url]).await;
    assert!(out.status.success(), "{out:?}");
    ann.recv_until(WAIT, |_, m| {
        matches!(m, ServerMessage::Delta(d)
            if d.events.contains(&Event::Say { text: "hi there".into() }))
    })
    .await
    .expect("ann sees exactly the words of the command");

    let out = console_raw(&["status", "--timeout", "5s", "--url", &url]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("tick rate"),
        "{out:?}"
    );

    // An unknown option is a usage error, before anything is sent.
    let out = console_raw(&["--url", &url, "kick", "ann", "--bogus"]).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--bogus"),
        "{out:?}"
    );
    let out = console_raw(&["--url", &url, "players"]).await;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ann"),
        "ann was not kicked: {out:?}"
    );

    // Words that start with `-` go after `--`; negative numbers need nothing.
    let out = console_raw(&["--url", &url, "say", "--", "-", "x", "-5"]).await;
    assert!(out.status.success(), "{out:?}");
    ann.recv_until(WAIT, |_, m| {
        matches!(m, ServerMessage::Delta(d)
            if d.events.contains(&Event::Say { text: "- x -5".into() }))
    })
    .await
    .expect("ann sees the words after --");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_remote_admin_says_so_every_time() {
    // No admin token: /admin answers 403 with a body that says how to turn it on. Head and body go out in one
    // write; sent apart, the console often printed "refused: " and nothing else.
    let server = TestServer::start().await;
    let url = format!("ws://{}/admin", server.addr());
    for _ in 0..10 {
        let (code, err) = console_err(&url, Some(TEST_TOKEN), &["status"]).await;
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("remote admin is disabled") && err.contains("--admin-token"),
            "{err}"
        );
    }
}

/// An interactive console on pipes: lines typed in, what it prints read line by line.
struct Interactive {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Interactive {
    fn start(url: &str) -> Interactive {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickwire-console"))
            .args(["--url", url, "--timeout", "3s"])
            .env("TICKWIRE_ADMIN_TOKEN", TEST_TOKEN)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("tickwire-console runs");
        let stdin = child.stdin.take().expect("stdin");
        let (tx, lines) = std::sync::mpsc::channel();
        // Piped, it prints answers on stdout and the rest on stderr; both are read, as a terminal would show them.
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        fn forward(from: impl std::io::Read + Send + 'static, tx: std::sync::mpsc::Sender<String>) {
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(from).lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        forward(stdout, tx.clone());
        forward(stderr, tx);
        Interactive {
            child,
            stdin,
            lines,
        }
    }

    fn type_line(&mut self, line: &str) {
        use std::io::Write;
        writeln!(self.stdin, "{line}").expect("the console reads");
    }

    /// Everything printed up to and including the first line that contains `what`.
    async fn until(&mut self, what: &str) -> String {
        let mut seen = String::new();
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = tokio::task::block_in_place(|| self.lines.recv_timeout(left))
                .unwrap_or_else(|_| panic!("no line with {what:?}; printed:\n{seen}"));
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(what) {
                return seen;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interactive_console_outlives_a_server_restart() {
    let admin_listener =
        |addr| move |c: &mut tickwire_server::config::ServerConfig| c.admin.bind = Some(addr);
    let server = TestServer::start_admin(admin_listener(([127, 0, 0, 1], 0).into())).await;
    let addr = server.server().admin_addr().expect("the admin listener");
    let mut console = Interactive::start(&format!("ws://{addr}/admin"));
    console.type_line("status");
    console.until("tick rate").await;

    // The server goes away while the operator is not typing; the next command says so and cannot reconnect.
    server.shutdown(std::time::Duration::from_millis(100)).await;
    console.type_line("status");
    let said = console.until("not connected").await;
    assert!(
        said.contains("the server closed the admin connection (1001"),
        "{said}"
    );
    assert!(said.contains("connection refused"), "{said}");

    // Back on the same address: the next command opens a new session and runs.
    let _again = TestServer::start_admin(admin_listener(addr)).await;
    console.type_line("status");
    let said = console.until("tick rate").await;
    assert!(said.contains("connected"), "{said}");
    console.type_line("quit");
    let status = tokio::task::block_in_place(|| console.child.wait()).expect("it exits");
    assert_eq!(
        status.code(),
        Some(2),
        "a piped session in which a command could not be sent exits 2"
    );
}

/// Runs the console with `script` on its stdin: (exit status, stdout, stderr).
async fn script(url: &str, script: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickwire-console"))
        .args(["--url", url])
        .env("TICKWIRE_ADMIN_TOKEN", TEST_TOKEN)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tickwire-console runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(script.as_bytes()).expect("written");
    drop(stdin);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().expect("it exits"))
        .await
        .expect("joined");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_piped_in_run_as_a_script() {
    let server = TestServer::start_admin(|_| {}).await;
    let _ann = server.join("ann").await;
    let url = server.admin_url();

    let (code, stdout, stderr) = script(&url, "players\nsay hello\n").await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("ann") && !stdout.contains("help"),
        "answers only: {stdout}"
    );
    assert!(stderr.is_empty(), "{stderr}");

    // A failed command: its error on stderr, the others still run, and the exit status says one failed.
    let (code, stdout, stderr) = script(&url, "kick nobody\nstatus\n").await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("error:") && stderr.contains("nobody"),
        "{stderr}"
    );
    assert!(
        stdout.contains("tick rate") && !stdout.contains("error"),
        "{stdout}"
    );
}

/// A port nothing listens on: bound, then closed.
fn closed_admin_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("ws://{}/admin", l.local_addr().expect("addr"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_command_is_checked_before_anything_is_sent_with_the_plain_commands_status() {
    let server = TestServer::start_admin(|_| {}).await;
    let url = server.admin_url();

    // The plain command: the server refuses it, status 1.
    let plain = console(&url, Some(TEST_TOKEN), &["status", "extra"]).await;
    let plain_err = String::from_utf8_lossy(&plain.stderr);
    assert_eq!(plain.status.code(), Some(1), "{plain:?}");
    assert_eq!(plain_err, "error: `status` takes no arguments\n");

    // Watched: the same words, the same status, and nothing shown before (no header, no screen).
    for args in [
        &["watch", "1", "status", "extra"][..],
        &["watch", "status", "extra"],
    ] {
        let out = console(&url, Some(TEST_TOKEN), args).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), plain_err, "{args:?}");
        assert!(out.stdout.is_empty(), "no header: {out:?}");
    }
    let out = console(&url, Some(TEST_TOKEN), &["watch", "0.5", "players", "x"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: `players` takes no arguments\n"
    );

    // Before anything is sent: not even a connection is opened (nothing listens there, and that is not what it
    // says).
    let (code, err) = console_err(
        &closed_admin_url(),
        Some(TEST_TOKEN),
        &["watch", "1", "status", "extra"],
    )
    .await;
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err, "error: `status` takes no arguments\n");

    // Piped in, the same status.
    let (code, stdout, stderr) = script(&url, "watch 1 status extra\n").await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(stderr, "error: `status` takes no arguments\n");
    assert!(!stdout.contains("every"), "no header: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_starts_with_error_whatever_the_mode() {
    let server = TestServer::start_admin(|_| {}).await;
    let url = server.admin_url();

    // A refused one-shot command, and the same piped in as a script.
    let (code, err) = console_err(&url, Some(TEST_TOKEN), &["kick", "nobody"]).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.starts_with("error: no player"), "{err}");
    let (code, _, stderr) = script(&url, "kick nobody\n").await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr, err, "the same line in both modes");

    // No session.
    let (code, err) = console_err(&closed_admin_url(), Some(TEST_TOKEN), &["status"]).await;
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("error: cannot connect to "), "{err}");

    // The console's own usage errors are clap's: `error: …`, the usage line, the pointer to --help, status 2.
    for (args, token, message) in [
        (&["status"][..], None, "error: no token: pass --token"),
        (
            &["--url", "http://127.0.0.1:1/admin", "status"],
            Some(TEST_TOKEN),
            "error: --url must start with ws://",
        ),
        (
            &["--ca-cert", "/nonexistent-dir/ca.pem", "status"],
            Some(TEST_TOKEN),
            "error: --ca-cert: CA certificate file /nonexistent-dir/ca.pem",
        ),
        (
            &["--bogus"],
            Some(TEST_TOKEN),
            "error: unexpected argument '--bogus'",
        ),
    ] {
        let out = run_console(args, token).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(message), "{args:?}: {err}");
        assert!(
            err.contains("\n\nUsage: tickwire-console ")
                && err.ends_with("\n\nFor more information, try '--help'.\n"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn help_lists_every_exit_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-console"))
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    let section = help
        .split_once("Exit status:")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("an exit status section: {help}"));
    for needle in [
        "0  done",
        "1  the command was refused or failed",
        "watch's own check",
        "2  bad options",
        "no token",
        "within --timeout",
        "connection lost",
        "piped in, the highest status",
    ] {
        assert!(section.contains(needle), "`{needle}` in {section}");
    }
}

/// A word that is one player's id and another player's name: refused, both play on, and `id:` / `name:` choose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_refuses_a_number_that_is_an_id_and_another_players_name() {
    let server = TestServer::start_admin(|_| {}).await;
    let url = server.admin_url();
    let mut ann = server.join("ann").await;
    let id = ann.you().expect("ann's id").to_string();
    let mut namesake = server.join(&id).await;
    let namesake_id = namesake.you().expect("an id").to_string();
    assert_ne!(namesake_id, id);

    let (code, err) = console_err(&url, Some(TEST_TOKEN), &["kick", &id, "cheating"]).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with(&format!("error: `{id}` is ambiguous"))
            && err.contains(&format!("`kick id:{id}`"))
            && err.contains(&format!("`kick name:{id}`")),
        "{err}"
    );
    let players = console(&url, Some(TEST_TOKEN), &["players"]).await;
    let list = String::from_utf8_lossy(&players.stdout);
    assert!(
        list.contains("ann") && list.lines().count() == 3,
        "nobody was kicked: {list}"
    );

    let out = console(
        &url,
        Some(TEST_TOKEN),
        &["kick", &format!("name:{id}"), "x"],
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let (code, reason) = namesake
        .expect_close(WAIT)
        .await
        .expect("the player named so is closed");
    assert_eq!((code, reason.as_str()), (close::KICKED, "x"));

    let out = console(&url, Some(TEST_TOKEN), &["kick", &format!("id:{id}")]).await;
    assert!(out.status.success(), "{out:?}");
    let (code, _) = ann.expect_close(WAIT).await.expect("ann is closed");
    assert_eq!(code, close::KICKED);
}
