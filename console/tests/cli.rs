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
