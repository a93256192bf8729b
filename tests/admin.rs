//! The operator's commands over the real admin WebSocket, against a real server and real game clients.

use std::time::{Duration, Instant};
use tickwire_shared::{Event, ServerMessage, close};
use tickwire_testkit::{Admin, Client, TEST_TOKEN, TestServer, WAIT, raw_http};
use tokio_tungstenite::tungstenite;

fn says(msg: &ServerMessage, text: &str) -> bool {
    matches!(msg, ServerMessage::Delta(d)
        if d.events.iter().any(|e| matches!(e, Event::Say { text: t } if t == text)))
}

#[tokio::test]
async fn kick_closes_exactly_that_client_with_4001_and_the_reason() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut ann = server.join("ann").await;
    let mut bob = server.join("bob").await;
    let ann_id = ann.you().expect("ann's id");
    let mut admin = server.admin().await;

    let (ok, text) = admin.run("kick ann being rude").await;
    assert!(ok, "kick by name succeeds: {text}");
    let (code, reason) = ann.expect_close(WAIT).await.expect("ann is closed");
    assert_eq!((code, reason.as_str()), (close::KICKED, "being rude"));

    let tick = bob.mirror.tick.expect("tick");
    bob.recv_until(WAIT, |c, _| {
        c.mirror.tick >= Some(tick + 10) && !c.mirror.entities.contains_key(&ann_id)
    })
    .await
    .expect("bob keeps receiving deltas and sees ann despawned");

    // By id, with the default reason; an unknown target is an error.
    let mut cy = server.join("cy").await;
    let cy_id = cy.you().expect("cy's id");
    let (ok, _) = admin.run(&format!("kick {cy_id}")).await;
    assert!(ok);
    let (code, reason) = cy.expect_close(WAIT).await.expect("cy is closed");
    assert_eq!(
        (code, reason.as_str()),
        (close::KICKED, "kicked by the operator")
    );
    let (ok, text) = admin.run("kick nobody").await;
    assert!(!ok && text.contains("no player"), "{text}");
}

/// The server names a second `ann` `ann #2`: kicking that name, with or without quotes, closes that player and
/// no other.
#[tokio::test]
async fn kick_finds_a_name_with_spaces() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut ann = server.join("ann").await;
    let mut ann2 = server.join("ann").await;
    let mut admin = server.admin().await;
    let (ok, text) = admin.run("players").await;
    assert!(
        ok && text.contains("ann #2"),
        "the second ann's name: {text}"
    );

    let (ok, text) = admin.run("kick ann #2 flooding the chat").await;
    assert!(ok && text.contains("(ann #2): flooding the chat"), "{text}");
    let (code, reason) = ann2.expect_close(WAIT).await.expect("ann #2 is closed");
    assert_eq!(
        (code, reason.as_str()),
        (close::KICKED, "flooding the chat")
    );
    let tick = ann.mirror.tick.expect("tick");
    ann.recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 5))
        .await
        .expect("the first ann plays on");

    let mut ann_smith = server.join("ann smith").await;
    let (ok, text) = admin.run("kick \"ann smith\"").await;
    assert!(ok, "{text}");
    let (code, _) = ann_smith
        .expect_close(WAIT)
        .await
        .expect("ann smith is closed");
    assert_eq!(code, close::KICKED);
    let (ok, text) = admin.run("kick \"ann smith\"").await;
    assert!(
        !ok && text.contains("no player"),
        "quoted: that name exactly, not `ann`: {text}"
    );
    let tick = ann.mirror.tick.expect("tick");
    ann.recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 5))
        .await
        .expect("the first ann still plays");
}

#[tokio::test]
async fn say_reaches_every_client() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut clients = vec![
        server.join("a").await,
        server.join("b").await,
        server.join("c").await,
    ];
    let mut admin = server.admin().await;
    let (ok, text) = admin.run("say server restarts in 5 minutes").await;
    assert!(ok, "{text}");
    for c in &mut clients {
        c.recv_until(WAIT, |_, m| says(m, "server restarts in 5 minutes"))
            .await
            .expect("every client gets the message as a Say event");
    }
}

#[tokio::test]
async fn tickrate_20_changes_the_delta_rate_clients_observe() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut c = server.join("clock").await;
    let mut admin = server.admin().await;
    let (ok, text) = admin.run("tickrate 61").await;
    assert!(!ok && text.contains("20 to 60"), "61 Hz is refused: {text}");

    let (ok, text) = admin.run("tickrate 20").await;
    assert!(ok, "{text}");
    c.recv_until(WAIT, |_, m| {
        matches!(m, ServerMessage::Delta(d) if d.events.contains(&Event::TickRate { hz: 20 }))
    })
    .await
    .expect("the client is told the new rate");
    let start = Instant::now();
    let mut deltas = 0;
    while start.elapsed() < Duration::from_secs(2) {
        if let ServerMessage::Delta(_) = c.recv().await.expect("delta") {
            deltas += 1;
        }
    }
    assert!(
        (36..=44).contains(&deltas),
        "expected 40 ± 10% deltas in 2 s at 20 Hz, got {deltas}"
    );
    let (_, status) = admin.run("status").await;
    assert!(status.contains("tick rate   20 Hz"), "{status}");
}

#[tokio::test]
async fn a_wrong_token_is_refused_slowly_and_the_command_never_runs() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut watcher = server.join("watcher").await;
    for token in ["wrong-token", "", TEST_TOKEN.trim_end_matches('9')] {
        let started = Instant::now();
        match Admin::connect(&server.admin_url(), token).await {
            Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 401),
            other => panic!("token {token:?} must get HTTP 401, got {other:?}"),
        }
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "a failed login is slowed down"
        );
    }
    // No header at all.
    let no_auth = raw_http(
        server.addr(),
        b"GET /admin HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert!(no_auth.starts_with("HTTP/1.1 401"), "{no_auth}");

    // Nothing ran: the right token still finds the game untouched, and the failures are counted.
    let mut admin = server.admin().await;
    let (_, status) = admin.run("status").await;
    assert!(status.contains("30 Hz"), "{status}");
    assert!(!server.server().hub().shutting_down());
    let body = tickwire_testkit::metrics(server.addr()).await;
    assert!(
        body.contains("tickwire_admin_auth_failures_total 4"),
        "four refused logins are counted:\n{body}"
    );
    let tick = watcher.mirror.tick.expect("tick");
    watcher
        .recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 5))
        .await
        .expect("the game runs on");
}

#[tokio::test]
async fn without_a_token_remote_admin_is_disabled_and_says_so() {
    let server = TestServer::start().await;
    match Admin::connect(&server.admin_url(), "anything").await {
        Err(tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403);
            let body =
                String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).to_string();
            assert!(body.contains("remote admin is disabled"), "{body}");
        }
        other => panic!("expected HTTP 403, got {other:?}"),
    }
}

#[tokio::test]
async fn players_and_status_describe_the_server() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut ann = server.join("ann").await;
    let _bob = server.join("bob").await;
    let mut admin = server.admin().await;
    // The first WebSocket ping goes out at join; ann answers it while reading deltas.
    let tick = ann.mirror.tick.expect("tick");
    ann.recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 5))
        .await
        .expect("deltas");
    let (ok, players) = admin.run("players").await;
    assert!(ok, "{players}");
    for needle in ["ann", "bob", "127.0.0.1:", "score", " ms"] {
        assert!(
            players.contains(needle),
            "`{needle}` missing from:\n{players}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (ok, status) = admin.run("status").await;
    assert!(ok);
    for needle in [
        "uptime",
        "tick rate   30 Hz",
        "p50",
        "p99",
        "max",
        "overruns",
        "2 playing",
        "inputs/s",
        "bytes/s",
    ] {
        assert!(
            status.contains(needle),
            "`{needle}` missing from:\n{status}"
        );
    }
    let (ok, help) = admin.run("help").await;
    assert!(ok && help.contains("kick <id|name> [reason]"));
    let (ok, err) = admin.run("launch missiles").await;
    assert!(!ok && err.contains("unknown command"), "{err}");
}

#[tokio::test]
async fn the_shutdown_command_closes_every_client_with_1001() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut a = server.join("a").await;
    let mut b = server.join("b").await;
    let mut admin = server.admin().await;
    let (ok, text) = admin.run("shutdown 2").await;
    assert!(ok && text.contains("1001"), "{text}");
    assert_eq!(
        server.server().shutdown_requested().await,
        Some(Duration::from_secs(2)),
        "the host learns the requested grace period"
    );
    for c in [&mut a, &mut b] {
        let (code, reason) = c.expect_close(WAIT).await.expect("closed");
        assert_eq!(
            (code, reason.as_str()),
            (close::GOING_AWAY, "server shutting down")
        );
    }
    // The admin connection (the one that asked, too) is told the same way, not reset.
    assert_eq!(
        admin.expect_close().await,
        Some((close::GOING_AWAY, "server shutting down".to_string()))
    );
    server.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn admin_bind_moves_the_endpoint_to_a_separate_listener() {
    let server = TestServer::start_admin(|c| {
        c.admin.bind = Some(([127, 0, 0, 1], 0).into());
    })
    .await;
    let admin_addr = server
        .server()
        .admin_addr()
        .expect("a separate admin listener");
    assert_ne!(admin_addr, server.addr());
    let on_main = raw_http(server.addr(), b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        on_main.starts_with("HTTP/1.1 404"),
        "/admin is gone from the game port: {on_main}"
    );
    // The metrics move with it: off the public port.
    let metrics_on_main =
        raw_http(server.addr(), b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        metrics_on_main.starts_with("HTTP/1.1 404"),
        "/metrics is gone from the game port: {metrics_on_main}"
    );
    let metrics = tickwire_testkit::metrics(admin_addr).await;
    assert!(metrics.contains("tickwire_players"), "{metrics}");
    for path in ["/metrics", "/healthz"] {
        let head = raw_http(
            admin_addr,
            format!("HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(
            head.starts_with("HTTP/1.1 200") && head.ends_with("\r\n\r\n"),
            "HEAD {path} on the admin listener: {head}"
        );
    }
    // Not an upgrade: refused as on the game path (426 naming the upgrade it wants), before any token check.
    let plain = raw_http(admin_addr, b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        plain.starts_with("HTTP/1.1 426") && plain.contains("Upgrade: websocket\r\n"),
        "{plain}"
    );
    let mut admin = server.admin().await;
    let (ok, status) = admin.run("status").await;
    assert!(ok && status.contains("uptime"), "{status}");
    let game_on_admin = Client::connect(&format!("ws://{admin_addr}/ws")).await;
    assert!(game_on_admin.is_err(), "the admin listener serves no game");
}

#[tokio::test]
async fn without_a_token_the_admin_and_rcon_listeners_are_not_opened() {
    let server = TestServer::start_with(|c| {
        c.admin.bind = Some(([127, 0, 0, 1], 0).into());
        c.admin.rcon_bind = Some(([127, 0, 0, 1], 0).into());
    })
    .await;
    assert_eq!(server.server().admin_addr(), None);
    assert_eq!(server.server().rcon_addr(), None);
    let on_main = raw_http(server.addr(), b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        on_main.starts_with("HTTP/1.1 403") && on_main.contains("disabled"),
        "{on_main}"
    );
}
