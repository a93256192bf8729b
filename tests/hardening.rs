//! One bad client never hurts the others: every test here misbehaves over real sockets while an honest client
//! watches, and asserts both what happened to the bad client and that the honest one got every tick on time.

use futures_util::SinkExt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tickwire_shared::entity::position_from_wire;
use tickwire_shared::{ClientMessage, Hello, Input, PROTOCOL_VERSION, close, encode_client};
use tickwire_testkit::{Client, ClientError, Honest, TestServer, WAIT, raw_http};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const TICK_RATE: u16 = 30;

/// Joins, then sends `msg` as fast as it can for up to 5 s while reading everything the server sends (so only
/// the message rate limit can stop it). Returns the server's close code and how many messages were sent.
async fn flood(server: &TestServer, msg: Message) -> (Option<u16>, u32) {
    use futures_util::StreamExt;
    let (ws, _) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("connect");
    let (mut tx, mut rx) = ws.split();
    let hello = ClientMessage::Hello(Hello {
        version: PROTOCOL_VERSION,
        name: "flooder".into(),
        resume: None,
    });
    tx.send(Message::Binary(encode_client(&hello)))
        .await
        .expect("hello");
    let reader = tokio::spawn(async move {
        while let Some(msg) = rx.next().await {
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut sent = 0u32;
    while Instant::now() < deadline && !reader.is_finished() {
        sent += 1;
        if tx.send(msg.clone()).await.is_err() {
            break;
        }
        if sent.is_multiple_of(20) {
            tokio::task::yield_now().await;
        }
    }
    let code = tokio::time::timeout(WAIT, reader)
        .await
        .expect("the reader ends")
        .expect("reader task");
    (code, sent)
}

fn input(seq: u32, dx: f32, dy: f32) -> ClientMessage {
    ClientMessage::Input(Input {
        seq,
        dx,
        dy,
        aim: 0.0,
        buttons: 0,
    })
}

fn x_of(c: &Client, id: u32) -> f32 {
    position_from_wire(c.mirror.entities[&id].x.unwrap_or(0))
}

#[tokio::test]
async fn malformed_frames_close_only_their_sender() {
    let server = TestServer::start().await;
    let honest = Honest::join(&server).await;
    let cases: Vec<(Message, u16)> = vec![
        (
            Message::Binary(vec![0u8; 64 * 1024].into()),
            close::MESSAGE_TOO_BIG,
        ),
        (Message::Text("hi".into()), close::UNSUPPORTED_DATA),
        (
            Message::Binary(vec![0xc1, 0xc1, 0xc1].into()),
            close::INVALID_PAYLOAD,
        ),
        (
            Message::Binary(vec![0x92, 0x2a, 0x00].into()),
            close::INVALID_PAYLOAD,
        ), // unknown message type 42
    ];
    for (msg, code) in cases {
        let mut bad = server.join("bad").await;
        bad.send_raw(msg).await.expect("send");
        assert_eq!(bad.expect_close(WAIT).await.expect("closed").0, code);
    }
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn nan_and_huge_inputs_are_clamped_or_dropped() {
    let server = TestServer::start().await;
    let honest = Honest::join(&server).await;
    let mut bad = server.join("bad").await;
    let id = bad.you().expect("id");
    let start = x_of(&bad, id);
    let hostile = [
        Input {
            seq: 1,
            dx: f32::NAN,
            dy: 0.0,
            aim: 0.0,
            buttons: 0,
        },
        Input {
            seq: 2,
            dx: f32::INFINITY,
            dy: 0.0,
            aim: f32::NAN,
            buttons: 255,
        },
        Input {
            seq: 3,
            dx: 1e30,
            dy: 0.0,
            aim: 1e30,
            buttons: 255,
        },
    ];
    for i in hostile {
        bad.send(&ClientMessage::Input(i)).await.expect("send");
    }
    bad.recv_until(WAIT, |c, _| c.mirror.ack == 3)
        .await
        .expect("the valid input is applied and acknowledged");
    for _ in 0..5 {
        bad.recv()
            .await
            .expect("still connected: hostile numbers are not a reason to close");
    }
    let moved = x_of(&bad, id) - start;
    assert!(
        moved <= 220.0 / 30.0 + 0.1,
        "a huge input moves one normal step at most, moved {moved}"
    );
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn ten_thousand_inputs_in_one_second_change_nothing_for_others() {
    let server = TestServer::start().await;
    let honest = Honest::join(&server).await;
    let mut flooder = server.join("flooder").await;
    let id = flooder.you().expect("id");
    let start = x_of(&flooder, id);
    let began = Instant::now();
    let mut sent = 0u32;
    'flood: for ms in 0..1000u64 {
        for _ in 0..10 {
            sent += 1;
            if flooder.send(&input(sent, 1.0, 0.0)).await.is_err() {
                break 'flood; // closed for flooding: also a correct answer
            }
        }
        tokio::time::sleep_until(tokio::time::Instant::from_std(
            began + Duration::from_millis(ms + 1),
        ))
        .await;
    }
    let elapsed = began.elapsed();
    let hub = server.server().hub();
    let dropped = hub
        .counters
        .messages_dropped
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        dropped > 5_000,
        "most of the flood must be dropped at the door, dropped {dropped} of {sent}"
    );
    // Whatever got through moved the player at most one step per tick (plus the small bank).
    if let Ok(()) = flooder
        .recv_until(Duration::from_secs(1), |_, _| true)
        .await
        .map(|_| ())
    {
        let moved = x_of(&flooder, id) - start;
        let ticks = (elapsed.as_secs_f32() + 1.0) * 30.0 + 4.0;
        assert!(
            moved <= ticks * 220.0 / 30.0,
            "flooding moved the player {moved} in {elapsed:?}"
        );
    }
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn a_sustained_flood_is_closed_with_1008() {
    let server = TestServer::start().await;
    let honest = Honest::join(&server).await;
    let ping = encode_client(&ClientMessage::Ping(tickwire_shared::Ping {
        client_time: 0.0,
    }));
    let (code, sent) = flood(&server, Message::Binary(ping)).await;
    assert_eq!(
        code,
        Some(close::POLICY_VIOLATION),
        "a message flood is closed with 1008 after {sent} messages"
    );
    honest.finish().await.assert_unharmed(TICK_RATE);
}

/// A TCP connection to the server with a 4 KiB receive buffer: a client whose socket fills up fast.
async fn small_window(server: &TestServer) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(4096)
        .expect("small receive buffer");
    socket.connect(server.addr()).await.expect("connect")
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_others_keep_their_ticks() {
    // The Gaffer scene sends ~1 KB per tick at 60 Hz, so a client that stops reading fills its buffers fast.
    let server = TestServer::start_with(|c| {
        c.scenario = tickwire_sim::Scenario::Gaffer;
        c.tick_rate = 60;
        c.limits.send_buffer_bytes = 16 * 1024;
        c.limits.too_slow_after = Duration::from_secs(2);
    })
    .await;
    let honest = Honest::join(&server).await;
    let tcp = small_window(&server).await;
    let (mut sleeper, _) = tokio_tungstenite::client_async(server.ws_url(), tcp)
        .await
        .expect("upgrade");
    let hello = ClientMessage::Hello(Hello {
        version: PROTOCOL_VERSION,
        name: "sleeper".into(),
        resume: None,
    });
    sleeper
        .send(Message::Binary(encode_client(&hello)))
        .await
        .expect("hello");
    let hub = server.server().hub().clone();
    // It never reads again. Within the too-slow limit plus the close timeout, the server lets it go.
    let start = Instant::now();
    while hub.open.load(std::sync::atomic::Ordering::Acquire) > 1 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the server must drop a client that never reads"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = tickwire_testkit::metrics(server.addr()).await;
    assert!(
        metrics.contains("tickwire_disconnects_total{code=\"4004\"} 1"),
        "it was closed with 4004 (too slow):\n{metrics}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(sleeper);
    honest.finish().await.assert_unharmed(60);
}

#[tokio::test]
async fn a_client_that_stalls_catches_up_to_the_state_everyone_else_has() {
    // Small buffers everywhere, so a client that pauses for a second fills its socket and its outbox, has
    // ticks skipped, and must then be brought up to date with one catch-up delta.
    let server = TestServer::start_with(|c| {
        c.scenario = tickwire_sim::Scenario::Gaffer;
        c.tick_rate = 60;
        c.limits.send_buffer_bytes = 4 * 1024;
        c.limits.outbound_bytes = 2 * 1024;
        c.limits.catchup_ticks = 256;
        c.limits.too_slow_after = Duration::from_secs(10);
    })
    .await;
    let hub = server.server().hub().clone();
    let mut watcher = server.join("watcher").await;
    let tcp = small_window(&server).await;
    let mut staller = Client::connect_over(&server.ws_url(), tcp)
        .await
        .expect("upgrade");
    staller
        .hello("staller", WAIT)
        .await
        .expect("the welcome and the first snapshot");

    // It stops reading for 2.5 s while the watcher keeps reading.
    let skipped_before = hub.counters.frames_skipped.load(Ordering::Relaxed);
    let _ = watcher
        .recv_until(Duration::from_millis(2500), |_, _| false)
        .await;
    assert!(
        hub.counters.frames_skipped.load(Ordering::Relaxed) > skipped_before,
        "the stalled client had ticks skipped"
    );

    // It reads again: every frame applies cleanly, and it reaches the watcher's state tick for tick.
    let target = hub.tick.load(Ordering::Relaxed) + 30;
    staller
        .recv_until(WAIT, |c, _| c.mirror.tick >= Some(target))
        .await
        .expect("the stalled client catches up without a protocol error");
    let tick = staller.mirror.tick.expect("a tick");
    let seen = watcher
        .recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick))
        .await;
    assert!(seen.is_ok(), "the watcher reaches tick {tick}");
    assert_eq!(watcher.mirror.tick, Some(tick));
    assert_eq!(
        staller.mirror.entities, watcher.mirror.entities,
        "after catching up, the stalled client holds exactly the state of tick {tick}"
    );
}

/// A socket reader that takes at most `chunk` bytes per read: a client on a slow link.
struct Trickle {
    tcp: tokio::net::TcpStream,
    chunk: usize,
}

impl tokio::io::AsyncRead for Trickle {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let chunk = self.chunk.min(buf.remaining());
        let mut small = tokio::io::ReadBuf::new(&mut buf.initialize_unfilled()[..chunk]);
        let polled = std::pin::Pin::new(&mut self.tcp).poll_read(cx, &mut small);
        let n = small.filled().len();
        buf.advance(n);
        polled
    }
}

impl tokio::io::AsyncWrite for Trickle {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.tcp).poll_write(cx, data)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn a_client_that_reads_slower_than_the_server_sends_skips_ticks_but_stays() {
    // 60 Hz of ~300-byte deltas (18 KB/s) into tiny buffers, read off the socket at about 6 KB/s for four times
    // the too-slow limit: the client is behind all along but always making progress, so it must skip ticks and
    // catch up, not be dropped.
    use futures_util::StreamExt;
    let server = TestServer::start_with(|c| {
        c.scenario = tickwire_sim::Scenario::Gaffer;
        c.tick_rate = 60;
        c.limits.send_buffer_bytes = 4 * 1024;
        c.limits.outbound_bytes = 12 * 1024;
        c.limits.too_slow_after = Duration::from_secs(1);
    })
    .await;
    let hub = server.server().hub().clone();
    let tcp = small_window(&server).await;
    let (mut ws, _) = tokio_tungstenite::client_async(server.ws_url(), Trickle { tcp, chunk: 300 })
        .await
        .expect("upgrade");
    let hello = ClientMessage::Hello(Hello {
        version: PROTOCOL_VERSION,
        name: "slow".into(),
        resume: None,
    });
    ws.send(Message::Binary(encode_client(&hello)))
        .await
        .expect("hello");
    let mut mirror = tickwire_shared::Mirror::new();
    let skipped_before = hub.counters.frames_skipped.load(Ordering::Relaxed);
    let until = Instant::now() + Duration::from_secs(4);
    let mut last_tick = None;
    while Instant::now() < until || last_tick.is_none() {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time");
        match msg {
            Some(Ok(Message::Binary(bytes))) => {
                let decoded = tickwire_shared::decode_server(&bytes).expect("decodes");
                mirror.apply(&decoded).expect("every frame applies");
                last_tick = mirror.tick;
            }
            Some(Ok(Message::Close(frame))) => panic!("closed while reading slowly: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("connection failed: {e}"),
            None => panic!("connection ended"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        hub.counters.frames_skipped.load(Ordering::Relaxed) > skipped_before,
        "it was behind: ticks were skipped"
    );
    // Reading at full speed again, it catches up and follows the tick stream: it was never closed.
    let target = hub.tick.load(Ordering::Relaxed) + 30;
    while mirror.tick < Some(target) {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
        {
            Some(Ok(Message::Binary(bytes))) => {
                let decoded = tickwire_shared::decode_server(&bytes).expect("decodes");
                mirror.apply(&decoded).expect("every frame applies");
            }
            Some(Ok(Message::Close(frame))) => {
                panic!("it was closed for reading slowly: {frame:?}")
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("connection failed: {e}"),
            None => panic!("connection ended"),
        }
    }
}

#[tokio::test]
async fn a_slowloris_handshake_is_cut_off() {
    let server =
        TestServer::start_with(|c| c.limits.handshake_timeout = Duration::from_secs(2)).await;
    let honest = Honest::join(&server).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let start = Instant::now();
    let request = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n";
    let mut closed_after = None;
    let mut answer = Vec::new();
    for byte in request {
        if tcp.write_all(&[*byte]).await.is_err() {
            closed_after = Some(start.elapsed());
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_secs(1), tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed_after = Some(start.elapsed());
                break;
            }
            Ok(Ok(n)) => {
                // The 408 answer; the close follows.
                answer.extend_from_slice(&buf[..n]);
            }
            Err(_) => {} // nothing yet: one more byte per second
        }
    }
    let after =
        closed_after.expect("the server must close a connection that dribbles its request head");
    assert!(
        after < Duration::from_secs(5),
        "closed after {after:?}, the limit is 2 s"
    );
    // A request arriving a byte at a time is a request that is late (408), not bytes that are not HTTP (400).
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn bytes_that_are_not_http_get_400_at_once_not_at_the_handshake_timeout() {
    // The start of a TLS ClientHello: what a wss:// client sends to the plain port.
    let server = TestServer::start().await;
    let hello = [
        0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03,
    ];
    let answer = raw_http(server.addr(), &hello).await;
    // Waiting for a request head would have ended in 408 at the handshake timeout.
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("not an HTTP request"),
        "{answer}"
    );
    // A whole request is still answered: only bytes no request can start with are refused (the slowloris test
    // sends a request a byte at a time, and gets 408).
    let partial = raw_http(server.addr(), b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(partial.starts_with("HTTP/1.1 200"), "{partial}");
}

#[tokio::test]
async fn the_origin_allow_list_is_enforced() {
    let server = TestServer::start_with(|c| {
        c.limits.allowed_origins = vec!["https://play.example".to_string()].into()
    })
    .await;
    let honest = Honest::join(&server).await;
    let addr = server.addr();
    let upgrade = |origin: Option<&str>| {
        let origin = origin
            .map(|o| format!("Origin: {o}\r\n"))
            .unwrap_or_default();
        format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{origin}\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
    };
    let status = |answer: String| {
        answer
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
            .unwrap_or_default()
    };
    // Reads only the response head: after a 101 the connection stays open.
    let quick = |req: String| async move {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(req.as_bytes()).await.expect("write");
        let mut head = Vec::new();
        let mut buf = [0u8; 512];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match tokio::time::timeout(WAIT, tcp.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => head.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
        String::from_utf8_lossy(&head).into_owned()
    };
    assert_eq!(
        status(quick(upgrade(Some("https://evil.example"))).await),
        "403",
        "a foreign origin is refused"
    );
    assert_eq!(
        status(quick(upgrade(Some(&format!("http://{addr}")))).await),
        "101",
        "the server's own origin"
    );
    assert_eq!(
        status(quick(upgrade(Some("https://play.example"))).await),
        "101",
        "an allowed origin"
    );
    assert_eq!(
        status(quick(upgrade(None)).await),
        "101",
        "no Origin (bots, native clients)"
    );
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn beyond_max_clients_new_connections_are_refused() {
    let server = TestServer::start_with(|c| c.limits.max_clients = 3).await;
    let honest = Honest::join(&server).await;
    let _a = server.join("a").await;
    let _b = server.join("b").await;
    for _ in 0..5 {
        match Client::connect(&server.ws_url()).await {
            Err(ClientError::Ws(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
                assert_eq!(resp.status().as_u16(), 503)
            }
            other => panic!("expected HTTP 503, got {other:?}"),
        }
    }
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_closed_and_its_player_held_then_removed() {
    let server = TestServer::start_with(|c| {
        c.limits.idle_timeout = Duration::from_secs(2);
        c.limits.resume_grace = Duration::from_secs(3);
    })
    .await;
    let mut watcher = server.join("watcher").await;
    let silent = server.join("silent").await; // joins, then never reads or answers a ping
    let id = silent.you().expect("id");
    let start = Instant::now();
    watcher
        .recv_until(WAIT, |c, _| c.mirror.entities.contains_key(&id))
        .await
        .expect("sees the silent player");
    // Held through the idle timeout and most of the grace period...
    watcher
        .recv_until(Duration::from_secs(4), |_, _| {
            start.elapsed() > Duration::from_millis(3500)
        })
        .await
        .expect("keeps receiving");
    assert!(
        watcher.mirror.entities.contains_key(&id),
        "the player is held for resume after the idle close"
    );
    // ...and removed once the grace period is over.
    watcher
        .recv_until(Duration::from_secs(8), |c, _| {
            !c.mirror.entities.contains_key(&id)
        })
        .await
        .expect("the held player is removed after the grace period");
    let hub = server.server().hub();
    assert_eq!(
        hub.open.load(std::sync::atomic::Ordering::Acquire),
        1,
        "the silent connection was closed"
    );
    drop(silent);
}

/// Joins, moves, and returns the client with its entity id, last input seq and resume token.
async fn player_that_moved(
    server: &TestServer,
) -> (Client, u32, u32, tickwire_shared::ResumeToken) {
    let mut c = server.join("traveller").await;
    let id = c.you().expect("id");
    let mut last = 0;
    for _ in 0..5 {
        last = c.send_input(1.0, 0.0, 0.0, 0).await.expect("send");
    }
    c.recv_until(WAIT, |c, _| c.mirror.ack == last)
        .await
        .expect("moves applied");
    let token = c
        .resume_token()
        .expect("the welcome carries a resume token");
    (c, id, last, token)
}

async fn resume(
    server: &TestServer,
    token: tickwire_shared::ResumeToken,
) -> Result<Client, ClientError> {
    let mut c = Client::connect(&server.ws_url()).await?;
    c.hello_resuming("traveller", Some(token), WAIT).await?;
    Ok(c)
}

#[tokio::test]
async fn a_dropped_player_resumes_within_the_grace_period() {
    let server = TestServer::start().await;
    let mut honest_client = server.join("honest").await;
    let (old, id, last_seq, token) = player_that_moved(&server).await;
    let x_before = x_of(&old, id);
    drop(old); // the connection vanishes without a close frame
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut back = resume(&server, token)
        .await
        .expect("resumes with its token");
    assert_eq!(back.you(), Some(id), "the same player comes back");
    assert_eq!(x_of(&back, id), x_before, "with its position");
    assert_ne!(back.resume_token(), Some(token), "and a new token");
    // A replayed input from before the drop is applied once: it does not move the player again.
    back.send(&input(last_seq, 1.0, 0.0)).await.expect("send");
    back.continue_seq_after(last_seq);
    let next = back.send_input(0.0, 1.0, 0.0, 0).await.expect("send");
    back.recv_until(WAIT, |c, _| c.mirror.ack == next)
        .await
        .expect("new inputs continue the sequence");
    assert_eq!(
        x_of(&back, id),
        x_before,
        "the replayed input (dx = 1) was not applied again"
    );
    // The honest client never saw the player leave.
    honest_client
        .recv_until(WAIT, |c, _| c.mirror.tick > back.mirror.tick)
        .await
        .expect("honest keeps going");
    assert!(honest_client.mirror.entities.contains_key(&id));
    let honest = Honest::watch(honest_client);
    tokio::time::sleep(Duration::from_secs(1)).await;
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn resume_is_refused_after_the_grace_period_with_a_forged_token_and_twice_at_once() {
    let server = TestServer::start_with(|c| c.limits.resume_grace = Duration::from_secs(1)).await;
    let honest = Honest::join(&server).await;

    // After the grace period.
    let (old, _, _, token) = player_that_moved(&server).await;
    drop(old);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    match resume(&server, token).await {
        Err(ClientError::Closed { code, .. }) => assert_eq!(code, close::RESUME_REFUSED),
        other => panic!("a late resume must be refused with 4006, got {other:?}"),
    }

    // A forged token.
    match resume(&server, [0x42; 16]).await {
        Err(ClientError::Closed { code, .. }) => assert_eq!(code, close::RESUME_REFUSED),
        other => panic!("a forged token must be refused with 4006, got {other:?}"),
    }

    // Twice at once: the player is live again, so neither its old nor its new token can take it.
    let (old, _, _, token) = player_that_moved(&server).await;
    drop(old);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = resume(&server, token).await.expect("first resume works");
    let fresh = back.resume_token().expect("token");
    for t in [token, fresh] {
        match resume(&server, t).await {
            Err(ClientError::Closed { code, .. }) => assert_eq!(code, close::RESUME_REFUSED),
            other => panic!("a token of a live player must be refused, got {other:?}"),
        }
    }
    honest.finish().await.assert_unharmed(TICK_RATE);
}

#[tokio::test]
async fn a_websocket_ping_flood_is_closed_with_1008() {
    let server = TestServer::start().await;
    let honest = Honest::join(&server).await;
    // Control frames, answered by the server's WebSocket layer: they count against the rate limit too.
    let (code, sent) = flood(&server, Message::Ping(vec![0u8; 16].into())).await;
    assert_eq!(
        code,
        Some(close::POLICY_VIOLATION),
        "a ping flood is closed with 1008 after {sent} pings"
    );
    honest.finish().await.assert_unharmed(TICK_RATE);
}

/// A client that sends a message over the limit in one frame, header first and the payload after it in several
/// writes (as a browser sends a large message), must still get the close frame with 1009: the server closes
/// while the rest of the message is on its way, and a socket closed with unread bytes answers with a reset,
/// which makes the client's next write fail before it ever reads the close frame (Autobahn 9.1.3 saw it once).
#[tokio::test]
async fn an_oversized_message_still_arriving_gets_1009_not_a_reset() {
    let server = TestServer::start().await;
    let honest = Honest::join(&server).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    tcp.write_all(
        b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .expect("request");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tcp.read_exact(&mut byte).await.expect("response head");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "upgrade refused");

    // A masked binary frame of 1 MiB: the header now, the payload in 16 writes 20 ms apart.
    let len: u64 = 1 << 20;
    let mut header = vec![0x82, 0x80 | 127];
    header.extend_from_slice(&len.to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    tcp.write_all(&header).await.expect("frame header");
    let chunk = vec![0u8; 64 * 1024];
    for i in 0..16 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        tcp.write_all(&chunk).await.unwrap_or_else(|e| {
            panic!(
                "the server reset the connection while the message was arriving (write {i}: {e})"
            )
        });
    }
    let mut frame = [0u8; 2];
    tcp.read_exact(&mut frame)
        .await
        .expect("close frame header");
    assert_eq!(frame[0], 0x88, "a close frame");
    let mut payload = vec![0u8; usize::from(frame[1] & 0x7f)];
    tcp.read_exact(&mut payload)
        .await
        .expect("close frame payload");
    assert_eq!(
        u16::from_be_bytes([payload[0], payload[1]]),
        close::MESSAGE_TOO_BIG,
        "reason: {}",
        String::from_utf8_lossy(&payload[2..])
    );
    honest.finish().await.assert_unharmed(TICK_RATE);
}
