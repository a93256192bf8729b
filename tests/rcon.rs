//! RCON, tested with a client written here from the Source RCON protocol description (not the server's code):
//! packet = i32 LE size, i32 LE id, i32 LE type, body, two NUL bytes; auth = type 3, auth response = type 2
//! (id -1 on failure), exec command = type 2, response value = type 0, bodies split at 4096 bytes.

use std::net::SocketAddr;
use tickwire_testkit::{TEST_TOKEN, TestServer, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const AUTH: i32 = 3;
const AUTH_RESPONSE: i32 = 2;
const EXEC: i32 = 2;
const RESPONSE_VALUE: i32 = 0;

struct Rcon(TcpStream);

impl Rcon {
    async fn connect(addr: SocketAddr) -> Rcon {
        Rcon(TcpStream::connect(addr).await.expect("rcon connect"))
    }

    async fn send(&mut self, id: i32, kind: i32, body: &str) {
        let mut p = Vec::new();
        p.extend_from_slice(&((body.len() + 10) as i32).to_le_bytes());
        p.extend_from_slice(&id.to_le_bytes());
        p.extend_from_slice(&kind.to_le_bytes());
        p.extend_from_slice(body.as_bytes());
        p.extend_from_slice(&[0, 0]);
        self.0.write_all(&p).await.expect("rcon write");
    }

    /// `(id, type, body)`; `None` when the server closed the connection.
    async fn recv(&mut self) -> Option<(i32, i32, Vec<u8>)> {
        let read = async {
            let size = self.0.read_i32_le().await.ok()?;
            assert!((10..=4106).contains(&size), "packet size {size}");
            let mut rest = vec![0u8; size as usize];
            self.0.read_exact(&mut rest).await.ok()?;
            assert_eq!(&rest[rest.len() - 2..], &[0, 0], "two NUL terminators");
            let id = i32::from_le_bytes(rest[0..4].try_into().ok()?);
            let kind = i32::from_le_bytes(rest[4..8].try_into().ok()?);
            Some((id, kind, rest[8..rest.len() - 2].to_vec()))
        };
        tokio::time::timeout(WAIT, read)
            .await
            .expect("an RCON answer in time")
    }

    /// Runs a command; collects its (possibly split) output using the empty-packet terminator trick.
    async fn exec(&mut self, id: i32, command: &str) -> (String, usize) {
        self.send(id, EXEC, command).await;
        self.send(id + 1000, RESPONSE_VALUE, "").await;
        let mut body = Vec::new();
        let mut packets = 0;
        loop {
            let (got, kind, part) = self.recv().await.expect("response");
            assert_eq!(kind, RESPONSE_VALUE);
            if got == id + 1000 {
                return (String::from_utf8(body).expect("utf-8"), packets);
            }
            assert_eq!(got, id, "response packets carry the request id");
            assert!(part.len() <= 4096, "no body over 4096 bytes");
            body.extend_from_slice(&part);
            packets += 1;
        }
    }
}

async fn rcon_server() -> (TestServer, SocketAddr) {
    let server =
        TestServer::start_admin(|c| c.admin.rcon_bind = Some(([127, 0, 0, 1], 0).into())).await;
    let addr = server.server().rcon_addr().expect("rcon enabled");
    (server, addr)
}

#[tokio::test]
async fn rcon_refuses_a_wrong_password_and_runs_commands_after_a_right_one() {
    let (server, addr) = rcon_server().await;
    let mut bad = Rcon::connect(addr).await;
    bad.send(5, AUTH, "not the token").await;
    assert_eq!(
        bad.recv().await.map(|(id, kind, _)| (id, kind)),
        Some((-1, AUTH_RESPONSE))
    );

    let mut sneaky = Rcon::connect(addr).await;
    sneaky.send(9, EXEC, "shutdown").await;
    assert_eq!(
        sneaky.recv().await.map(|(id, _, _)| id),
        Some(-1),
        "a command before auth is refused"
    );
    assert!(sneaky.recv().await.is_none(), "and the connection closed");
    assert!(
        !server.server().hub().shutting_down(),
        "the command did not run"
    );

    let mut rcon = Rcon::connect(addr).await;
    rcon.send(42, AUTH, TEST_TOKEN).await;
    assert_eq!(
        rcon.recv().await.map(|(id, kind, _)| (id, kind)),
        Some((42, AUTH_RESPONSE))
    );
    let (status, packets) = rcon.exec(7, "status").await;
    assert!(
        status.contains("tick rate   30 Hz") && packets == 1,
        "{status}"
    );
    let (err, _) = rcon.exec(8, "tickrate 99").await;
    assert!(err.starts_with("error:"), "{err}");
}

#[tokio::test]
async fn long_rcon_answers_are_split_into_4096_byte_packets() {
    let (server, addr) = rcon_server().await;
    // About 75 bytes per player line: 70 players make a `players` answer of over 5 KB.
    let mut clients = Vec::new();
    for i in 0..70 {
        clients.push(server.join(&format!("player-number-{i:02}")).await);
    }
    let mut rcon = Rcon::connect(addr).await;
    rcon.send(1, AUTH, TEST_TOKEN).await;
    assert_eq!(rcon.recv().await.map(|(id, _, _)| id), Some(1));
    let (players, packets) = rcon.exec(2, "players").await;
    assert!(
        players.len() > 4096,
        "a long answer: {} bytes",
        players.len()
    );
    assert!(packets >= 2, "split into {packets} packets");
    for i in 0..70 {
        assert!(
            players.contains(&format!("player-number-{i:02}")),
            "player {i} missing"
        );
    }
}
