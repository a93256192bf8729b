//! The game endpoint can never reach admin code, whatever a client sends.

use std::sync::atomic::Ordering;
use tickwire_shared::admin::{AdminRequest, encode_admin_request};
use tickwire_shared::close;
use tickwire_testkit::{Client, TEST_TOKEN, TestServer, WAIT};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn admin_frame(line: &str) -> Message {
    Message::Binary(encode_admin_request(&AdminRequest::Command {
        id: 1,
        line: line.into(),
    }))
}

#[tokio::test]
async fn admin_messages_on_the_game_endpoint_are_invalid_payloads_with_no_effect() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut watcher = server.join("watcher").await;
    let watcher_id = watcher.you().expect("id");
    let hub = server.server().hub().clone();

    for line in [
        "shutdown",
        "tickrate 20",
        &format!("kick {watcher_id}"),
        "say pwned",
    ] {
        // Before the hello …
        let mut early = Client::connect(&server.ws_url()).await.expect("connect");
        early.send_raw(admin_frame(line)).await.expect("send");
        let (code, _) = early.expect_close(WAIT).await.expect("closed");
        assert_eq!(code, close::INVALID_PAYLOAD, "`{line}` before hello");
        // … and after it.
        let mut joined = server.join("joined").await;
        joined.send_raw(admin_frame(line)).await.expect("send");
        let (code, _) = joined.expect_close(WAIT).await.expect("closed");
        assert_eq!(code, close::INVALID_PAYLOAD, "`{line}` after hello");
        // As text, too.
        let mut text = server.join("text").await;
        text.send_raw(Message::Text(line.into()))
            .await
            .expect("send");
        let (code, _) = text.expect_close(WAIT).await.expect("closed");
        assert_eq!(code, close::UNSUPPORTED_DATA, "`{line}` as text");
    }

    // The right token in a header does not turn a game connection into an admin one.
    let mut request = server.ws_url().into_client_request().expect("request");
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {TEST_TOKEN}").parse().expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade");
    use futures_util::{SinkExt, StreamExt};
    ws.send(admin_frame("shutdown")).await.expect("send");
    let closed = tokio::time::timeout(WAIT, async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Close(Some(frame)) = msg {
                return u16::from(frame.code);
            }
        }
        0
    })
    .await
    .expect("closed in time");
    assert_eq!(closed, close::INVALID_PAYLOAD);

    // No effect: same rate, not shutting down, the watcher still in the game and receiving at 30 Hz.
    assert!(!hub.shutting_down());
    assert_eq!(hub.tick_rate.load(Ordering::Relaxed), 30);
    let tick = watcher.mirror.tick.expect("tick");
    watcher
        .recv_until(WAIT, |c, m| {
            if let tickwire_shared::ServerMessage::Delta(d) = m {
                assert!(d.events.is_empty(), "no event was injected: {:?}", d.events);
            }
            c.mirror.tick >= Some(tick + 30)
        })
        .await
        .expect("the watcher is unaffected");
}
