//! `GET /status` over a real socket: a server filled to `--max-clients` with real WebSocket clients says it is
//! full (with the counts the 503 refusal uses), and says it is not once a client has left.

use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tickwire_testkit::{Client, ClientError, TestServer, WAIT, raw_http};

/// `GET /status`: the head (asserted to be a 200 with the documented headers) and the parsed body.
async fn status(addr: SocketAddr) -> Value {
    let answer = raw_http(addr, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    for header in [
        "Content-Type: application/json",
        "Cache-Control: no-store",
        "Access-Control-Allow-Origin: *",
        &format!("Content-Length: {}", body.len()),
    ] {
        assert!(
            format!("{head}\r\n").contains(&format!("\r\n{header}\r\n")),
            "{header}: {head}"
        );
    }
    serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON ({e}): {body}"))
}

/// Polls `/status` until `done` holds (the player count follows the tick), failing with the last answer.
async fn status_until(addr: SocketAddr, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let s = status(addr).await;
        if done(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{what}: still {s}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn expect_503(server: &TestServer) {
    match Client::connect(&server.ws_url()).await {
        Err(ClientError::Ws(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
            assert_eq!(resp.status().as_u16(), 503);
            assert_eq!(
                resp.headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
                Some("5"),
                "the refusal's Retry-After"
            );
        }
        other => panic!("a connection beyond --max-clients should get HTTP 503, got {other:?}"),
    }
}

#[tokio::test]
async fn status_says_full_at_max_clients_and_not_full_once_a_client_leaves() {
    let server = TestServer::start_with(|c| c.limits.max_clients = 2).await;
    let addr = server.addr();

    let empty = status(addr).await;
    assert_eq!(
        empty,
        serde_json::json!({
            "players": 0, "connections": 0, "max_clients": 2, "full": false, "shutting_down": false,
            "retry_after": null, "protocol": tickwire_shared::PROTOCOL_VERSION,
        })
    );

    // Fill the server with real clients: a joined one, and one that has opened its WebSocket but not said hello
    // (it counts against --max-clients, not as a player).
    let a = server.join("a").await;
    let _b = Client::connect(&server.ws_url()).await.expect("b connects");
    let full = status_until(addr, "one player in", |s| s["players"] == 1).await;
    assert_eq!(
        full,
        serde_json::json!({
            "players": 1, "connections": 2, "max_clients": 2, "full": true, "shutting_down": false,
            "retry_after": 5, "protocol": tickwire_shared::PROTOCOL_VERSION,
        })
    );
    // What /status said is what an upgrade gets now: refused, as before.
    expect_503(&server).await;
    assert_eq!(
        status(addr).await["connections"],
        2,
        "a refused upgrade is not counted"
    );
    // The operator sees the refusals: counted in the metrics, by reason.
    expect_503(&server).await;
    let metrics = tickwire_testkit::metrics(addr).await;
    assert!(
        metrics.contains("tickwire_connections_refused_total{reason=\"full\"} 2\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tickwire_connections_refused_total{reason=\"origin\"} 0\n"),
        "{metrics}"
    );

    // One leaves: not full any more, and a new client does get in.
    a.close().await.expect("a closes");
    let open = status_until(addr, "a's place given back", |s| s["full"] == false).await;
    assert_eq!(
        (
            &open["connections"],
            &open["max_clients"],
            &open["retry_after"]
        ),
        (&Value::from(1), &Value::from(2), &Value::Null),
        "{open}"
    );
    status_until(addr, "a gone from the players", |s| s["players"] == 0).await;
    let _c = server.join("c").await;
    let again = status_until(addr, "c in", |s| s["players"] == 1).await;
    assert_eq!(
        (&again["connections"], &again["full"]),
        (&Value::from(2), &Value::from(true))
    );
}

#[tokio::test]
async fn head_status_answers_the_get_head_without_a_body() {
    let server = TestServer::start().await;
    let get = raw_http(server.addr(), b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let head = raw_http(server.addr(), b"HEAD /status HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (get_head, get_body) = get.split_once("\r\n\r\n").expect("a GET answer");
    assert!(get_body.contains("\"max_clients\":1024"), "{get_body}");
    assert_eq!(
        head,
        format!("{get_head}\r\n\r\n"),
        "HEAD: the GET's head, no body"
    );
    let post = raw_http(
        server.addr(),
        b"POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert!(post.starts_with("HTTP/1.1 405"), "read-only: {post}");
}
