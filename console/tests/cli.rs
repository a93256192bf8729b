//! The `tickwire-console` binary against a real server: one-shot commands, exit statuses, the token check.

use std::process::{Command, Output};
use tickwire_shared::{Event, ServerMessage};
use tickwire_testkit::{TEST_TOKEN, TestServer, WAIT};

/// Runs the console on a blocking thread (the server under test lives on this runtime).
async fn console(url: &str, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tickwire-console"));
    cmd.args(["--url", url])
        .args(args)
        .env_remove("TICKWIRE_ADMIN_TOKEN");
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
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not nan"), "{err}");
    let (code, err) = console_err(
        &server.admin_url(),
        Some(TEST_TOKEN),
        &["watch", "1", "shutdown"],
    )
    .await;
    assert_eq!(code, Some(2), "{err}");
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
    let _ = std::fs::remove_dir_all(&dir);
}
