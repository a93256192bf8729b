//! The read pass (`server/src/reader.rs`, `server/src/inlet.rs`): once a plain-TCP client has joined, its session
//! hands reading to the reader thread, which reads the socket once per tick without waking anyone; at anything
//! only a session handles, reading is handed back, and over again after the session's next message. Over real
//! sockets, with the real server.

use std::time::{Duration, Instant};
use tickwire_shared::ServerMessage;
use tickwire_shared::entity::position_from_wire;
use tickwire_testkit::{Client, TestServer, WAIT};
use tokio_tungstenite::tungstenite::Message;

/// Waits until `cond` holds (the pass runs once per tick; the server's state is polled).
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn x_of(c: &Client, id: u32) -> f32 {
    position_from_wire(c.mirror.entities[&id].x.unwrap_or_default())
}

/// Sends one input moving right and waits until `watcher` sees `mover` (entity `id`) move.
async fn moves(mover: &mut Client, watcher: &mut Client, id: u32) {
    let before = x_of(watcher, id);
    mover.send_input(1.0, 0.0, 0.0, 0).await.expect("input");
    watcher
        .recv_until(WAIT, |c, _| x_of(c, id) > before)
        .await
        .expect("the input was read and applied");
}

#[tokio::test]
async fn joined_clients_are_read_by_the_pass_and_get_reading_back_for_what_only_a_session_handles()
{
    let server = TestServer::start().await;
    let hub = server.server().hub().clone();
    let mut ann = server.join("ann").await;
    let ann_id = ann.you().expect("ann has an entity");
    let mut bob = server.join("bob").await;
    eventually("both joined clients are read by the pass", || {
        hub.readers.len() == 2 && hub.readers.reading() == 2
    })
    .await;

    // Inputs and game pings go through the pass.
    moves(&mut ann, &mut bob, ann_id).await;
    ann.ping(1.5).await.expect("ping");
    ann.recv_until(
        WAIT,
        |_, m| matches!(m, ServerMessage::Pong(p) if p.client_time == 1.5),
    )
    .await
    .expect("a pong to the game ping");
    assert_eq!(
        hub.readers.reading(),
        2,
        "inputs and pings leave reading with the pass"
    );

    // A WebSocket ping is the session's business: the pass hands ann's reading back ...
    ann.send_raw(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("websocket ping");
    eventually("ann's session reads again", || hub.readers.reading() == 1).await;
    // ... her session reads the next input itself, then hands reading over again.
    moves(&mut ann, &mut bob, ann_id).await;
    eventually("ann is read by the pass again", || {
        hub.readers.reading() == 2
    })
    .await;
    moves(&mut ann, &mut bob, ann_id).await;

    // A client that leaves is no longer read.
    bob.close().await.expect("close");
    eventually("bob's connection left the pass", || hub.readers.len() == 1).await;
    moves(&mut ann, &mut server.join("carol").await, ann_id).await;
}
