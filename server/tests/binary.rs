//! The `tickwire-server` binary itself: started as a process, stopped by SIGTERM or by the `shutdown` command,
//! with connected clients that must receive close 1001 before it exits with status 0.

use futures_util::{SinkExt, StreamExt};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tickwire_client::Client;
use tickwire_shared::admin::{
    AdminRequest, AdminResponse, decode_admin_response, encode_admin_request,
};
use tickwire_shared::close;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(5);
const TOKEN: &str = "binary-test-token-0123456789";

/// A running `tickwire-server` process and everything it has logged so far.
struct Server {
    child: Child,
    addr: String,
    log: mpsc::Receiver<String>,
}

impl Drop for Server {
    /// A failed test must not leave a server running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickwire-server"))
            .args(["--bind", "127.0.0.1:0"])
            .env("TICKWIRE_ADMIN_TOKEN", TOKEN)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Owned from here on: a panic below still kills the process.
        let mut server = Server {
            child,
            addr: String::new(),
            log,
        };
        let deadline = Instant::now() + WAIT;
        while server.addr.is_empty() {
            let line = server
                .log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the server logs its address");
            if let Some(rest) = line.split("listening on http://").nth(1) {
                server.addr = rest.split_whitespace().next().expect("address").to_string();
            }
        }
        server
    }

    fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Waits for the process to exit; returns its status and the rest of its log.
    fn wait_exit(mut self, within: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at the pipe's end, after the last line.
        let mut log = Vec::new();
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(2)) {
            log.push(line);
        }
        (status, log.join("\n"))
    }
}

async fn expect_1001(clients: &mut [Client]) {
    for c in clients {
        let (code, reason) = c.expect_close(WAIT).await.expect("a close frame");
        assert_eq!(
            (code, reason.as_str()),
            (close::GOING_AWAY, "server shutting down")
        );
    }
}

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_exits_0() {
    let server = Server::start();
    let mut clients = vec![
        Client::join(&server.ws_url(), "a", WAIT)
            .await
            .expect("join"),
        Client::join(&server.ws_url(), "b", WAIT)
            .await
            .expect("join"),
    ];
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let started = Instant::now();
    expect_1001(&mut clients).await;
    let (status, log) = server.wait_exit(Duration::from_secs(7));
    assert!(status.success(), "exit status {status:?}; log:\n{log}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "within the 5 s grace period"
    );
    assert!(
        !log.contains("local console"),
        "no console without a terminal:\n{log}"
    );
}

#[tokio::test]
async fn the_shutdown_command_closes_every_client_with_1001_and_exits_0() {
    let server = Server::start();
    let mut clients = vec![
        Client::join(&server.ws_url(), "a", WAIT)
            .await
            .expect("join"),
        Client::join(&server.ws_url(), "b", WAIT)
            .await
            .expect("join"),
    ];
    let url = format!("ws://{}/admin", server.addr);
    // A failed login first: it must be logged without the token.
    let mut bad = url.as_str().into_client_request().expect("request");
    bad.headers_mut().insert(
        "Authorization",
        "Bearer guess-guess-guess".parse().expect("header"),
    );
    assert!(tokio_tungstenite::connect_async(bad).await.is_err());

    let mut request = url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let (mut admin, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("admin connects");
    let cmd = AdminRequest::Command {
        id: 1,
        line: "shutdown 1".into(),
    };
    admin
        .send(Message::Binary(encode_admin_request(&cmd)))
        .await
        .expect("send");
    let reply = loop {
        match admin.next().await.expect("reply").expect("reply") {
            Message::Binary(b) => break decode_admin_response(&b).expect("valid reply"),
            _ => continue,
        }
    };
    let AdminResponse::Reply { ok, text, .. } = reply;
    assert!(ok, "{text}");
    expect_1001(&mut clients).await;
    let (status, log) = server.wait_exit(Duration::from_secs(4));
    assert!(status.success(), "exit status {status:?}; log:\n{log}");
    assert!(
        log.contains("admin login refused"),
        "the failure is logged:\n{log}"
    );
    assert!(
        !log.contains(TOKEN) && !log.contains("guess-guess"),
        "no token ever appears in the log:\n{log}"
    );
}
