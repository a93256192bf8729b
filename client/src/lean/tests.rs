//! `LeanClient` against tungstenite's own server side, over real sockets: what the server sends arrives whole
//! (including bytes sent right after the handshake response, fragments, and frames larger than the read buffer),
//! what the client sends is valid, masked WebSocket that tungstenite's server accepts, pings get pongs, and
//! closes and text frames are reported as `Client` reports them.

use super::*;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tickwire_shared::decode_client;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::{WebSocketStream, accept_async};

/// A listener and a client connected to it through `LeanClient::connect`, with the server's side of the socket.
async fn pair() -> (LeanClient, WebSocketStream<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        accept_async(tcp).await.expect("server handshake")
    });
    let client = LeanClient::connect(&url).await.expect("client handshake");
    (client, server.await.expect("server task"))
}

#[tokio::test]
async fn bytes_sent_with_the_handshake_response_are_not_lost() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.ends_with(b"\r\n\r\n") {
            let n = tcp.read(&mut buf).await.expect("read the request");
            assert!(n > 0, "the client hung up");
            request.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&request);
        let key = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("sec-websocket-key: ")
                    .or(l.strip_prefix("Sec-WebSocket-Key: "))
            })
            .expect("a key")
            .trim()
            .to_string();
        // The response and two binary frames in one write: they arrive in the same read as the response.
        let mut out = format!(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            derive_accept_key(key.as_bytes())
        )
        .into_bytes();
        out.extend_from_slice(&[0x82, 5]);
        out.extend_from_slice(b"first");
        out.extend_from_slice(&[0x82, 6]);
        out.extend_from_slice(b"second");
        tcp.write_all(&out).await.expect("write");
        tcp
    });
    let mut client = LeanClient::connect(&url).await.expect("client handshake");
    let _tcp = server.await.expect("server task");
    assert_eq!(client.recv().await.expect("first"), b"first");
    assert_eq!(client.recv().await.expect("second"), b"second");
    assert_eq!(client.bytes_received(), 11);
}

#[tokio::test]
async fn messages_of_every_size_arrive_whole_and_in_order() {
    let (mut client, mut server) = pair().await;
    let sizes = [0usize, 1, 125, 126, 4000, 65_535, 65_536, 300_000, 7];
    let sent: Vec<Vec<u8>> = sizes
        .iter()
        .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
        .collect();
    let to_send = sent.clone();
    let writer = tokio::spawn(async move {
        for m in to_send {
            server.feed(Message::Binary(m.into())).await.expect("feed");
        }
        server.flush().await.expect("flush");
        server
    });
    for expected in &sent {
        assert_eq!(&client.recv().await.expect("message"), expected);
    }
    assert_eq!(client.bytes_received(), sizes.iter().sum::<usize>() as u64);
    client.shrink_read_buffer();
    assert_eq!(client.read_buffer_len(), READ_BUFFER, "back to the default");
    drop(writer.await);
}

#[tokio::test]
async fn fragmented_messages_are_reassembled_and_pings_answered_in_between() {
    let (mut client, mut server) = pair().await;
    let frame = |data: &'static [u8], opcode, fin| {
        Message::Frame(Frame::message(Bytes::from_static(data), opcode, fin))
    };
    server
        .send(frame(b"hel", OpCode::Data(Data::Binary), false))
        .await
        .expect("first fragment");
    server
        .send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .expect("ping");
    server
        .send(frame(b"lo ", OpCode::Data(Data::Continue), false))
        .await
        .expect("middle fragment");
    server
        .send(frame(b"world", OpCode::Data(Data::Continue), true))
        .await
        .expect("last fragment");
    server
        .send(Message::Binary(Bytes::from_static(b"next")))
        .await
        .expect("next");
    assert_eq!(client.recv().await.expect("reassembled"), b"hello world");
    assert_eq!(client.recv().await.expect("next"), b"next");
    match server.next().await {
        Some(Ok(Message::Pong(p))) => assert_eq!(&p[..], b"are you there"),
        other => panic!("expected the pong, got {other:?}"),
    }
}

#[tokio::test]
async fn inputs_and_pings_reach_the_server_as_masked_binary_messages() {
    let (mut client, mut server) = pair().await;
    assert_eq!(client.queue_input(1.0, 0.0, 0.5, 1).expect("queued"), 1);
    assert_eq!(client.queue_input(0.0, -1.0, 0.0, 0).expect("queued"), 2);
    client.queue_ping(42.0).expect("queued");
    assert!(client.wants_flush());
    client.flush().await.expect("flush");
    assert!(!client.wants_flush());
    let mut got = Vec::new();
    for _ in 0..3 {
        // tungstenite's server side refuses unmasked client frames: arriving at all proves the masking.
        match server.next().await {
            Some(Ok(Message::Binary(b))) => got.push(decode_client(&b).expect("decodes")),
            other => panic!("expected a binary message, got {other:?}"),
        }
    }
    assert_eq!(
        got[0],
        ClientMessage::Input(Input {
            seq: 1,
            dx: 1.0,
            dy: 0.0,
            aim: 0.5,
            buttons: 1
        })
    );
    assert!(matches!(&got[1], ClientMessage::Input(i) if i.seq == 2 && i.dy == -1.0));
    assert_eq!(got[2], ClientMessage::Ping(Ping { client_time: 42.0 }));
    let mut expected = 0;
    for m in &got {
        let mut v = Vec::new();
        encode_client_into(m, &mut v);
        expected += v.len() as u64;
    }
    assert_eq!(client.bytes_sent(), expected);
}

#[tokio::test]
async fn a_close_is_reported_with_its_code_and_answered() {
    let (mut client, mut server) = pair().await;
    server
        .send(Message::Text("not binary".into()))
        .await
        .expect("text");
    server
        .close(Some(CloseFrame {
            code: 4004.into(),
            reason: "client too slow".into(),
        }))
        .await
        .expect("close");
    match client.recv().await {
        Err(ClientError::Protocol(m)) => assert!(m.contains("text frame"), "{m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    match client.recv().await {
        Err(ClientError::Closed { code, reason }) => {
            assert_eq!((code, reason.as_str()), (4004, "client too slow"));
        }
        other => panic!("expected the close, got {other:?}"),
    }
    assert!(
        client.queue_ping(1.0).is_err(),
        "nothing is sent after a close"
    );
    // The server's side completes its closing handshake with our reply.
    match server.next().await {
        Some(Ok(Message::Close(Some(f)))) => assert_eq!(u16::from(f.code), 4004),
        other => panic!("expected the echoed close, got {other:?}"),
    }
}

#[tokio::test]
async fn the_end_of_the_stream_without_a_close_is_an_error() {
    let (mut client, server) = pair().await;
    drop(server);
    match client.recv().await {
        Err(ClientError::Ws(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {}
        other => panic!("expected a reset without closing handshake, got {other:?}"),
    }
}

#[tokio::test]
async fn our_close_reaches_the_server_with_code_and_reason() {
    let (mut client, mut server) = pair().await;
    client.queue_close(1000, "bye");
    client.flush().await.expect("flush");
    match server.next().await {
        Some(Ok(Message::Close(Some(f)))) => {
            assert_eq!((u16::from(f.code), f.reason.as_str()), (1000, "bye"));
        }
        other => panic!("expected our close, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refused_upgrade_is_an_http_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/ws", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 1024];
        let _ = tcp.read(&mut buf).await;
        let _ = tcp
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
            .await;
    });
    match LeanClient::connect(&url).await {
        Err(ClientError::Ws(WsError::Http(resp))) => assert_eq!(resp.status().as_u16(), 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
}

#[test]
fn the_handshake_stream_stops_at_the_empty_line() {
    for (bytes, end) in [
        (&b"HTTP/1.1 101 OK\r\nA: b\r\n\r\nxyz"[..], Some(25)),
        (&b"HTTP/1.1 101 OK\nA: b\n\nxyz"[..], Some(22)),
        (&b"HTTP/1.1 101 OK\r\nA: b\r\n"[..], None),
    ] {
        let mut u = UntilHeaders::new(());
        u.buf.extend_from_slice(bytes);
        assert_eq!(u.header_end(), end, "{:?}", String::from_utf8_lossy(bytes));
    }
}

#[tokio::test]
async fn a_detached_connection_is_driven_by_try_recv_and_try_flush_then_attached_again() {
    let (mut client, mut server) = pair().await;
    client.detach().expect("detach");
    assert!(client.raw_fd().is_some());
    // Detached: nothing can wait on it through tokio.
    assert!(
        client
            .recv()
            .await
            .is_err_and(|e| e.to_string().contains("detached"))
    );
    server
        .send(Message::Binary(Bytes::from_static(b"while detached")))
        .await
        .expect("send");
    let got = loop {
        // No poller in this test: look again until the bytes are there.
        client.mark_readable();
        if let Some(m) = client.try_recv().expect("no error") {
            break m.to_vec();
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    };
    assert_eq!(got, b"while detached");
    assert_eq!(client.try_recv().expect("no error"), None, "nothing more");
    assert_eq!(client.queue_input(0.0, 1.0, 0.0, 0).expect("queued"), 1);
    assert!(
        client.try_flush().expect("written"),
        "a small frame fits at once"
    );
    match server.next().await {
        Some(Ok(Message::Binary(b))) => {
            assert!(matches!(decode_client(&b), Ok(ClientMessage::Input(i)) if i.seq == 1));
        }
        other => panic!("expected the input, got {other:?}"),
    }
    client.attach().expect("attach");
    server
        .send(Message::Binary(Bytes::from_static(b"attached")))
        .await
        .expect("send");
    assert_eq!(client.recv().await.expect("waits again"), b"attached");
}

#[tokio::test]
async fn a_stamped_connection_tells_when_a_message_arrived_not_when_it_was_read() {
    let (mut client, mut server) = pair().await;
    client.stamp_arrivals().expect("timestamps on");
    client.detach().expect("detach");
    // Linux turns receive timestamping on for the whole stack asynchronously (a deferred static-key switch the
    // first time any socket asks), so packets that arrive just after the option is set may carry no stamp. Wait
    // until a probe comes back stamped.
    let mut stamped = false;
    for _ in 0..100 {
        server
            .send(Message::Binary(Bytes::from_static(b"probe")))
            .await
            .expect("send");
        tokio::time::sleep(Duration::from_millis(10)).await;
        client.mark_readable();
        if let Ok(Some((_, Some(_)))) = client.try_recv_at() {
            stamped = true;
            break;
        }
    }
    assert!(stamped, "the kernel never stamped a received packet");
    let before = SystemTime::now();
    server
        .send(Message::Binary(Bytes::from_static(b"stamped")))
        .await
        .expect("send");
    // Read it well after it arrived.
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.mark_readable();
    let (bytes, at) = client
        .try_recv_at()
        .expect("no error")
        .expect("the message is there");
    assert_eq!(bytes, b"stamped");
    let at = at.expect("a kernel timestamp");
    let read = SystemTime::now();
    assert!(at >= before, "{at:?} is not before the send ({before:?})");
    assert!(
        read.duration_since(at).expect("arrived before it was read") >= Duration::from_millis(40),
        "the stamp is the arrival, not the read"
    );
    assert_eq!(client.arrived_at(), Some(at));
}

#[tokio::test]
async fn inputs_are_not_held_back_by_nagle() {
    let (client, _server) = pair().await;
    let Sock::Tokio(tcp) = &client.io.sock else {
        panic!("a new client is in tokio's reactor");
    };
    assert!(
        tcp.nodelay().expect("read TCP_NODELAY"),
        "TCP_NODELAY, as browsers set it for WebSockets"
    );
}
