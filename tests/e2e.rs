//! End-to-end tests over real sockets: the real server on 127.0.0.1:0, real WebSocket clients.

use std::time::{Duration, Instant};
use tickwire_shared::entity::position_from_wire;
use tickwire_shared::{ClientMessage, Hello, PROTOCOL_VERSION, ServerMessage, close};
use tickwire_testkit::{Client, ClientError, TestServer, WAIT, raw_http};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn two_players_see_each_other_move_and_leave() {
    let server = TestServer::start().await;
    let mut ann = server.join("ann").await;
    let ann_id = ann.you().expect("ann has an entity");
    let mut bob = server.join("bob").await;
    assert!(
        bob.mirror.entities.contains_key(&ann_id),
        "bob's first snapshot must contain ann"
    );
    assert_eq!(bob.mirror.entities[&ann_id].name.as_deref(), Some("ann"));
    let start_x = bob.mirror.entities[&ann_id].x.expect("ann has an x");

    // Ann moves right; bob must see it within 3 ticks of the input being sent.
    let sent_at_tick = bob.mirror.tick.expect("bob holds a tick");
    ann.send_input(1.0, 0.0, 0.0, 0).await.expect("send input");
    bob.recv_until(WAIT, |c, _| {
        c.mirror.entities.get(&ann_id).and_then(|e| e.x) != Some(start_x)
    })
    .await
    .expect("bob sees ann move");
    let seen_at_tick = bob.mirror.tick.expect("tick");
    assert!(
        seen_at_tick <= sent_at_tick + 3,
        "move seen at tick {seen_at_tick}, sent at {sent_at_tick}"
    );
    let moved = position_from_wire(bob.mirror.entities[&ann_id].x.unwrap_or_default())
        - position_from_wire(start_x);
    assert!(
        (moved - 220.0 / 30.0).abs() < 0.1,
        "one input moves one step of speed/tick_rate, moved {moved}"
    );

    // Ann's own deltas acknowledge the input.
    ann.recv_until(WAIT, |c, _| c.mirror.ack == 1)
        .await
        .expect("ann's input is acknowledged");

    // Ann leaves; bob gets a despawn.
    ann.close().await.expect("close");
    let msg = bob
        .recv_until(
            WAIT,
            |_, m| matches!(m, ServerMessage::Delta(d) if d.despawns.contains(&ann_id)),
        )
        .await
        .expect("bob gets ann's despawn");
    assert!(matches!(msg, ServerMessage::Delta(_)));
    assert!(!bob.mirror.entities.contains_key(&ann_id));
}

#[tokio::test]
async fn a_wrong_protocol_version_gets_an_error_and_close_4000() {
    let server = TestServer::start().await;
    let mut c = Client::connect(&server.ws_url()).await.expect("connect");
    // A client of the previous protocol version.
    let old = PROTOCOL_VERSION - 1;
    c.send(&ClientMessage::Hello(Hello {
        version: old,
        name: "old".into(),
        resume: None,
    }))
    .await
    .expect("send");
    let msg = c.recv().await.expect("an error message first");
    match msg {
        ServerMessage::Error(e) => {
            assert_eq!(e.code, close::VERSION_MISMATCH);
            assert!(
                e.message.contains(&format!("version {old} "))
                    && e.message.contains(&format!("version {PROTOCOL_VERSION}")),
                "message names both versions: {}",
                e.message
            );
        }
        other => panic!("expected an error message, got {other:?}"),
    }
    let (code, reason) = c.expect_close(WAIT).await.expect("then a close frame");
    assert_eq!(code, close::VERSION_MISMATCH);
    assert!(reason.contains("version"), "reason: {reason}");
}

#[tokio::test]
async fn deltas_arrive_at_the_tick_rate_with_consecutive_ticks() {
    let server = TestServer::start().await;
    let mut c = server.join("clock").await;
    let mut ticks = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        if let ServerMessage::Delta(d) = c.recv().await.expect("delta") {
            ticks.push((d.base, d.tick));
        }
    }
    let n = ticks.len();
    assert!(
        (81..=99).contains(&n),
        "expected 90 ± 10% deltas in 3 s at 30 Hz, got {n}"
    );
    for pair in ticks.windows(2) {
        assert_eq!(
            pair[1].0, pair[0].1,
            "each delta's base is the previous delta's tick"
        );
        assert_eq!(pair[1].1, pair[0].1 + 1, "ticks are consecutive");
    }
}

#[tokio::test]
async fn clients_that_vanish_mid_game_do_not_disturb_others() {
    let server = TestServer::start_with(|c| c.limits.resume_grace = Duration::from_secs(1)).await;
    let mut watcher = server.join("watcher").await;
    for i in 0..5 {
        let c = server.join(&format!("short{i}")).await;
        drop(c); // vanish without a close frame: held for resume, then removed after the grace period
    }
    let leaver = server.join("leaver").await;
    let leaver_id = leaver.you().expect("id");
    leaver.close().await.expect("a normal close");
    watcher
        .recv_until(WAIT, |c, _| c.mirror.entities.contains_key(&leaver_id))
        .await
        .expect("sees the leaver");
    watcher
        .recv_until(Duration::from_millis(800), |c, _| {
            !c.mirror.entities.contains_key(&leaver_id)
        })
        .await
        .expect("a player who closes normally is removed at once, not held");
    let tick = watcher.mirror.tick.expect("tick");
    watcher
        .recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 30))
        .await
        .expect("watcher keeps receiving");
    watcher
        .recv_until(WAIT, |c, _| c.mirror.entities.len() == 1)
        .await
        .expect("the vanished players are despawned");
}

#[tokio::test]
async fn bad_input_closes_only_that_client_with_the_right_code() {
    let server = TestServer::start().await;
    let mut honest = server.join("honest").await;
    let cases: Vec<(Message, u16)> = vec![
        (Message::Text("hello".into()), close::UNSUPPORTED_DATA),
        (
            Message::Binary(vec![0xc1, 0xff, 0x00].into()),
            close::INVALID_PAYLOAD,
        ),
        (
            Message::Binary(vec![0x92, 0x09, 0x00].into()),
            close::INVALID_PAYLOAD,
        ),
        (
            Message::Binary(vec![0u8; 10_000].into()),
            close::MESSAGE_TOO_BIG,
        ),
    ];
    for (msg, expected) in cases {
        let mut bad = server.join("bad").await;
        bad.send_raw(msg).await.expect("send");
        let (code, reason) = bad.expect_close(WAIT).await.expect("closed");
        assert_eq!(code, expected, "reason was: {reason}");
        assert!(!reason.is_empty(), "a close carries a reason");
    }
    // An input before the hello is a protocol-order error.
    let mut early = Client::connect(&server.ws_url()).await.expect("connect");
    early.send_input(1.0, 0.0, 0.0, 0).await.expect("send");
    assert_eq!(
        early.expect_close(WAIT).await.expect("closed").0,
        close::UNEXPECTED_MESSAGE
    );

    let tick = honest.mirror.tick.expect("tick");
    honest
        .recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 10))
        .await
        .expect("the honest client keeps receiving");
}

#[tokio::test]
async fn pings_are_answered_with_pongs() {
    let server = TestServer::start().await;
    let mut c = server.join("pinger").await;
    c.ping(4242.5).await.expect("ping");
    let pong = c
        .recv_until(WAIT, |_, m| matches!(m, ServerMessage::Pong(_)))
        .await
        .expect("pong");
    let ServerMessage::Pong(p) = pong else {
        unreachable!()
    };
    assert_eq!(p.client_time, 4242.5);
    assert!(p.server_tick > 0);
}

#[tokio::test]
async fn http_routes_and_refused_upgrades() {
    let server = TestServer::start().await;
    let addr = server.addr();
    let health = raw_http(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let index = raw_http(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        index.starts_with("HTTP/1.1 200") && index.contains("text/html"),
        "{index}"
    );
    // HEAD: the head a GET gets, its Content-Length included, and no body (RFC 9110 §9.3.2).
    for path in ["/", "/healthz", "/status", "/nope"] {
        let get = raw_http(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        )
        .await;
        let head = raw_http(
            addr,
            format!("HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        )
        .await;
        let (get_head, get_body) = get.split_once("\r\n\r\n").expect("a GET answer");
        let (head_head, head_body) = head.split_once("\r\n\r\n").expect("a HEAD answer");
        assert!(!get_body.is_empty(), "GET {path}: {get}");
        assert_eq!(head_head, get_head, "HEAD {path} answers with GET's head");
        assert!(
            get_head.contains(&format!("Content-Length: {}\r\n", get_body.len())),
            "GET {path}: {get_head}"
        );
        assert_eq!(head_body, "", "HEAD {path} has no body");
    }
    let echo = raw_http(addr, b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        echo.starts_with("HTTP/1.1 404"),
        "the conformance echo endpoint is off by default: {echo}"
    );
    let missing = raw_http(addr, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    // The metrics' body changes between two requests (they count them): HEAD is a 200 without one.
    let head_metrics = raw_http(addr, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        head_metrics.starts_with("HTTP/1.1 200") && head_metrics.ends_with("\r\n\r\n"),
        "{head_metrics}"
    );
    let plain_get = raw_http(addr, b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        plain_get.starts_with("HTTP/1.1 426"),
        "a plain GET on /ws is refused: {plain_get}"
    );
    // One `Connection` header: the upgrade it asks for, and that this connection closes.
    assert_eq!(plain_get.matches("Connection:").count(), 1, "{plain_get}");
    assert!(
        plain_get.contains("Connection: Upgrade, close\r\n")
            && plain_get.contains("Upgrade: websocket\r\n"),
        "{plain_get}"
    );
    let wrong_version = raw_http(
        addr,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .await;
    assert!(
        wrong_version.starts_with("HTTP/1.1 426")
            && wrong_version.contains("Sec-WebSocket-Version: 13"),
        "{wrong_version}"
    );
    let no_key = raw_http(
        addr,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert!(no_key.starts_with("HTTP/1.1 400"), "{no_key}");
    let ok = raw_http(
        addr,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    let ok = tokio::time::timeout(Duration::from_secs(1), ok)
        .await
        .unwrap_or_default();
    assert!(
        ok.is_empty() || ok.starts_with("HTTP/1.1 101"),
        "a valid upgrade answers 101: {ok}"
    );
}

#[tokio::test]
async fn the_server_refuses_connections_beyond_max_clients() {
    let server = TestServer::start_with(|c| c.limits.max_clients = 2).await;
    let mut a = server.join("a").await;
    let _b = server.join("b").await;
    match Client::connect(&server.ws_url()).await {
        Err(ClientError::Ws(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
            assert_eq!(resp.status().as_u16(), 503);
        }
        other => panic!("the third connection should get HTTP 503, got {other:?}"),
    }
    let tick = a.mirror.tick.expect("tick");
    a.recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 5))
        .await
        .expect("existing players notice nothing");
}

#[tokio::test]
async fn shutdown_sends_1001_to_every_client() {
    let server = TestServer::start().await;
    let mut a = server.join("a").await;
    let mut b = server.join("b").await;
    let shutdown = tokio::spawn(server.shutdown(Duration::from_secs(5)));
    for c in [&mut a, &mut b] {
        let (code, reason) = c.expect_close(WAIT).await.expect("closed");
        assert_eq!(
            (code, reason.as_str()),
            (close::GOING_AWAY, "server shutting down")
        );
    }
    shutdown.await.expect("shutdown completes");
}

#[tokio::test]
async fn a_client_close_is_answered_with_a_close_frame() {
    // RFC 6455 5.5.1: an endpoint that receives a Close frame and has not sent one must send one in response.
    // Joined (the read pass hands the close back to the session) and before the hello.
    let server = TestServer::start().await;
    let joined = server.join("leaver").await;
    let unjoined = Client::connect(&server.ws_url()).await.expect("connect");
    for (what, mut c) in [("joined", joined), ("before the hello", unjoined)] {
        c.send_raw(Message::Close(Some(
            tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
                reason: "bye".into(),
            },
        )))
        .await
        .expect("send close");
        let (code, _) = c.expect_close(WAIT).await.unwrap_or_else(|e| {
            panic!("{what}: the server answered with {e:?}, not a close frame")
        });
        assert_eq!(code, 1000, "{what}: the reply echoes the code");
    }
}

#[tokio::test]
async fn a_ping_sent_with_the_hello_is_answered_after_the_welcome() {
    // PROTOCOL.md: the welcome is the first message. A ping right behind the hello (in the same TCP write, or
    // just after it) must not be answered before the tick has welcomed the client.
    let server = TestServer::start().await;
    for (i, gap) in [0u64, 0, 2, 2, 5, 5].into_iter().enumerate() {
        let mut c = Client::connect(&server.ws_url()).await.expect("connect");
        c.send(&ClientMessage::Hello(Hello {
            version: PROTOCOL_VERSION,
            name: format!("early{i}"),
            resume: None,
        }))
        .await
        .expect("hello");
        if gap > 0 {
            tokio::time::sleep(Duration::from_millis(gap)).await;
        }
        c.ping(0.5).await.expect("ping");
        let first = c.recv().await.expect("a first message");
        assert!(
            matches!(first, ServerMessage::Welcome(_)),
            "try {i} (ping {gap} ms after the hello): the first message was {first:?}"
        );
        c.recv_until(
            WAIT,
            |_, m| matches!(m, ServerMessage::Pong(p) if p.client_time == 0.5),
        )
        .await
        .expect("then the pong");
    }
}
