//! The read pass (`server/src/reader.rs`, `server/src/inlet.rs`): once a plain-TCP client has joined, its session
//! hands reading to the reader thread, which reads the socket once per tick without waking anyone; at anything
//! only a session handles, and when the client has gone quiet, reading is handed back, and over again after the
//! session's next message. Over real sockets, with the real server.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwire_server::hub::Hub;
use tickwire_shared::ServerMessage;
use tickwire_testkit::{Client, TestServer, WAIT};
use tokio_tungstenite::tungstenite::Message;

/// Waits until `cond` holds (the pass runs once per tick; the server's state is polled).
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Whether the pass is reading the session of the player called `name`.
fn read_by_pass(hub: &Hub, name: &str) -> bool {
    hub.sessions
        .iter()
        .find(|s| s.value().name.as_deref() == Some(name))
        .is_some_and(|s| hub.readers.is_reading(*s.key()))
}

/// Sends one input and waits until the server acknowledges it (a delta's `ack`): it was read and applied.
async fn acked(c: &mut Client) {
    let seq = c.send_input(1.0, 0.0, 0.0, 0).await.expect("input");
    c.recv_until(WAIT, |c, _| c.mirror.ack >= seq)
        .await
        .expect("the input was read and acknowledged");
}

#[tokio::test]
async fn joined_clients_are_read_by_the_pass_and_get_reading_back_for_what_only_a_session_handles()
{
    let server = TestServer::start().await;
    let hub: Arc<Hub> = server.server().hub().clone();
    let mut ann = server.join("ann").await;
    let bob = server.join("bob").await;
    assert_eq!(hub.readers.len(), 2, "both joined clients are in the pass");

    // Inputs and game pings go through the pass.
    acked(&mut ann).await;
    eventually("ann is read by the pass", || read_by_pass(&hub, "ann")).await;
    acked(&mut ann).await;
    ann.ping(1.5).await.expect("ping");
    ann.recv_until(
        WAIT,
        |_, m| matches!(m, ServerMessage::Pong(p) if p.client_time == 1.5),
    )
    .await
    .expect("a pong to the game ping");
    assert!(
        read_by_pass(&hub, "ann"),
        "inputs and pings leave reading with the pass"
    );

    // A WebSocket ping is the session's business: the pass hands ann's reading back ...
    ann.send_raw(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("websocket ping");
    eventually("ann's session reads again", || !read_by_pass(&hub, "ann")).await;
    // ... her session reads the next input itself, then hands reading over again.
    acked(&mut ann).await;
    eventually("ann is read by the pass again", || {
        read_by_pass(&hub, "ann")
    })
    .await;
    acked(&mut ann).await;

    // A client that leaves is no longer read.
    bob.close().await.expect("close");
    eventually("bob's connection left the pass", || hub.readers.len() == 1).await;
    acked(&mut ann).await;
}

#[tokio::test]
async fn a_quiet_client_goes_back_to_its_session_and_returns_to_the_pass_with_its_next_input() {
    let server = TestServer::start().await;
    let hub: Arc<Hub> = server.server().hub().clone();
    let mut dan = server.join("dan").await;
    let mut eve = server.join("eve").await;
    // Both send one input; their sessions read it and hand reading to the pass.
    acked(&mut dan).await;
    acked(&mut eve).await;
    eventually("both are read by the pass", || {
        read_by_pass(&hub, "dan") && read_by_pass(&hub, "eve")
    })
    .await;
    // Dan keeps sending: he stays with the pass. Eve sends nothing.
    let quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_millis(1500) {
        acked(&mut dan).await;
        assert!(
            read_by_pass(&hub, "dan"),
            "a client sending every tick stays with the pass"
        );
    }
    assert!(
        !read_by_pass(&hub, "eve"),
        "a second and a half of silence hands eve back to her session"
    );
    // Her next input is read by her session (woken by the reactor again), which hands her over once more.
    acked(&mut eve).await;
    eventually("eve is read by the pass again", || {
        read_by_pass(&hub, "eve")
    })
    .await;
    acked(&mut eve).await;
}

#[tokio::test]
async fn a_pong_longer_than_a_control_frame_may_be_is_closed_with_1002_on_either_path() {
    // RFC 6455 5.5: control frames carry at most 125 bytes. The pass takes pongs itself, so it must hand a longer
    // one to the session (which closes 1002), as a session reading for itself does.
    let server = TestServer::start().await;
    let hub: Arc<Hub> = server.server().hub().clone();
    let mut ann = server.join("ann").await;
    acked(&mut ann).await;
    eventually("ann is read by the pass", || read_by_pass(&hub, "ann")).await;
    let mut bob = server.join("bob").await;
    for (who, c) in [
        ("read by the pass", &mut ann),
        ("read by its session", &mut bob),
    ] {
        c.send_raw(Message::Pong(vec![7u8; 200].into()))
            .await
            .expect("send the pong");
        let (code, reason) = c.expect_close(WAIT).await.expect("closed");
        assert_eq!(code, 1002, "{who}: {reason}");
    }
}

#[tokio::test]
async fn with_the_read_pass_off_sessions_read_their_own_inputs() {
    let server = TestServer::start_with(|c| c.limits.read_pass = false).await;
    let hub: Arc<Hub> = server.server().hub().clone();
    let mut ann = server.join("ann").await;
    for _ in 0..5 {
        acked(&mut ann).await;
    }
    ann.ping(2.5).await.expect("ping");
    ann.recv_until(
        WAIT,
        |_, m| matches!(m, ServerMessage::Pong(p) if p.client_time == 2.5),
    )
    .await
    .expect("a pong");
    assert!(hub.readers.is_empty(), "nobody is handed to the pass");
}
