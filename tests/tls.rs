//! `https://` and `wss://` on the same listener, with a certificate generated for the test.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tickwire_testkit::{Client, TestServer, WAIT, raw_http};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, pki_types::ServerName};

struct Certs {
    dir: std::path::PathBuf,
    client: Arc<rustls::ClientConfig>,
}

/// A self-signed certificate for `localhost`, written to PEM files, and a client configuration trusting it.
fn certs(tag: &str) -> Certs {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generate certificate");
    let dir = std::env::temp_dir().join(format!("tickwire-tls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("cert.pem"), key.cert.pem()).expect("write cert");
    std::fs::write(dir.join("key.pem"), key.signing_key.serialize_pem()).expect("write key");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(key.cert.der().clone())
        .expect("trust the test certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Certs {
        dir,
        client: Arc::new(client),
    }
}

async fn tls_server(certs: &Certs) -> TestServer {
    let (cert, key) = (certs.dir.join("cert.pem"), certs.dir.join("key.pem"));
    TestServer::start_with(move |c| c.tls = Some((cert, key))).await
}

#[tokio::test]
async fn wss_clients_play_and_https_serves_the_page() {
    let certs = certs("play");
    let server = tls_server(&certs).await;
    let url = format!("wss://localhost:{}/ws", server.addr().port());
    let mut a = Client::connect_tls(&url, certs.client.clone())
        .await
        .expect("wss connects");
    a.hello("ann", WAIT).await.expect("joins over TLS");
    let mut b = Client::connect_tls(&url, certs.client.clone())
        .await
        .expect("wss connects");
    b.hello("bob", WAIT).await.expect("joins over TLS");
    let ann = a.you().expect("id");
    assert!(
        b.mirror.entities.contains_key(&ann),
        "bob sees ann over wss"
    );
    let tick = b.mirror.tick.expect("tick");
    b.recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 10))
        .await
        .expect("deltas keep coming over TLS");

    // https on the same port.
    let tcp = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("tcp");
    let connector = tokio_rustls::TlsConnector::from(certs.client.clone());
    let mut tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("tls");
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut body = Vec::new();
    let _ = tokio::time::timeout(WAIT, tls.read_to_end(&mut body)).await;
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "https GET /healthz: {text}"
    );
    let _ = std::fs::remove_dir_all(&certs.dir);
}

#[tokio::test]
async fn a_lean_client_joins_over_wss_and_follows_the_ticks_detached() {
    use tickwire_client::{LeanClient, apply_frame};
    use tickwire_shared::{
        ClientMessage, FrameHeader, Hello, Mirror, PROTOCOL_VERSION, peek_header,
    };
    let certs = certs("lean");
    let server = tls_server(&certs).await;
    let url = format!("wss://localhost:{}/ws", server.addr().port());
    let mut c = LeanClient::connect_tls(&url, certs.client.clone())
        .await
        .expect("wss connects");
    c.queue(&ClientMessage::Hello(Hello {
        version: PROTOCOL_VERSION,
        name: "lean".into(),
        resume: None,
    }))
    .expect("queued");
    c.flush().await.expect("hello written");
    let (mut mirror, mut welcome) = (Mirror::new(), None);
    while welcome.is_none() || mirror.tick.is_none() {
        let frame = tokio::time::timeout(WAIT, c.recv())
            .await
            .expect("in time")
            .expect("a frame");
        apply_frame(&mut mirror, &mut welcome, &frame).expect("applies");
    }
    // Out of tokio's reactor, driven by try_recv as the bots' shards do (this test just looks every few ms).
    c.stamp_arrivals().expect("timestamps");
    c.detach().expect("detach");
    c.queue_input(1.0, 0.0, 0.0, 0).expect("queued");
    assert!(c.try_flush().expect("written"));
    let deadline = Instant::now() + WAIT;
    let mut deltas = 0;
    while deltas < 10 {
        assert!(Instant::now() < deadline, "only {deltas} deltas over wss");
        c.mark_readable();
        while let Some((frame, at)) = c.try_recv_at().expect("no error") {
            if let Some(FrameHeader::Delta { .. }) = peek_header(frame) {
                deltas += 1;
                assert!(
                    at.is_some(),
                    "TLS records carry the kernel's receive time too"
                );
            }
            apply_frame(&mut mirror, &mut welcome, frame).expect("every delta applies");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let you = welcome.expect("welcome").you;
    assert!(
        mirror.entities.contains_key(&you),
        "our player is in the mirror"
    );
    c.queue_close(1000, "bye");
    c.attach().expect("attach");
    c.flush().await.expect("close written");
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_plain_text_client_on_the_tls_port_fails_cleanly() {
    let certs = certs("plain");
    let server = tls_server(&certs).await;
    let started = Instant::now();
    let answer = raw_http(
        server.addr(),
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await;
    assert!(
        !answer.contains("200"),
        "plain HTTP must not be served on the TLS port: {answer:?}"
    );
    // Told in plain HTTP what to do instead (not a TLS alert that curl shows as "HTTP/0.9").
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n") && answer.contains("use https://"),
        "{answer:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the server must close at once, not hang"
    );
    let plain_ws = tokio::time::timeout(
        Duration::from_secs(3),
        Client::connect(&format!("ws://{}/ws", server.addr())),
    )
    .await
    .expect("a ws:// client on the TLS port gets an answer, not a hang");
    let refused = plain_ws.expect_err("a ws:// client cannot connect to the TLS port");
    assert!(
        refused.to_string().contains("400"),
        "refused with the 400: {refused}"
    );
    let _ = std::fs::remove_dir_all(&certs.dir);
}

#[tokio::test]
async fn a_missing_certificate_is_a_clear_start_error() {
    let config = tickwire_server::config::ServerConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        tls: Some((
            "/nonexistent/cert.pem".into(),
            "/nonexistent/key.pem".into(),
        )),
        ..Default::default()
    };
    let err = tickwire_server::start(config)
        .await
        .expect_err("no certificate");
    assert!(
        err.to_string().contains("/nonexistent/cert.pem"),
        "the error names the file: {err}"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_private_key_is_a_clear_start_error() {
    let (a, b) = (certs("mismatch-a"), certs("mismatch-b"));
    let start_with = |cert: std::path::PathBuf, key: std::path::PathBuf| {
        tickwire_server::start(tickwire_server::config::ServerConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            tls: Some((cert, key)),
            ..Default::default()
        })
    };
    let cases = [
        // Another certificate's key.
        (
            b.dir.join("key.pem"),
            "the private key does not belong to the certificate",
        ),
        // A key file holding no key.
        (
            a.dir.join("cert.pem"),
            "cert.pem: no private key found in the file",
        ),
    ];
    for (key, says) in cases {
        let err = start_with(a.dir.join("cert.pem"), key)
            .await
            .expect_err("the key cannot be used");
        assert!(err.to_string().contains(says), "{err}");
    }
    let _ = std::fs::remove_dir_all(&a.dir);
    let _ = std::fs::remove_dir_all(&b.dir);
}

/// `tickwire-bots` against a `wss://` server whose certificate no public CA signed: refused with the public roots
/// alone, played with `--ca-cert` (the library's `tls::trusting`) and with `--insecure` (`without_verification`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_play_a_tls_server_with_a_private_certificate() {
    use tickwire_bots::{Config, Progress};
    let certs = certs("bots");
    let server = tls_server(&certs).await;
    let port = server.addr().port();
    let run = |tls: Option<tickwire_client::tls::TlsClientConfig>, host: &str| {
        let mut config = Config::new(format!("wss://{host}:{port}/ws"), 3);
        config.duration = Duration::from_secs(1);
        config.tls = tls;
        tickwire_bots::run(config, Progress::Off)
    };
    let public_roots = run(None, "localhost").await.expect("the run completes");
    assert_eq!(public_roots.connections.established, 0);
    assert_eq!(public_roots.connections.failed, 3);
    assert!(
        public_roots.connections.failed_reasons.keys().all(|r| r
            .starts_with("TLS: the server's certificate is not trusted")
            && r.contains("--ca-cert")),
        "{:?}",
        public_roots.connections.failed_reasons
    );

    let trusted = tickwire_client::tls::trusting(&certs.dir.join("cert.pem")).expect("CA file");
    let insecure = tickwire_client::tls::without_verification();
    for (tls, host) in [(trusted, "localhost"), (insecure, "127.0.0.1")] {
        let report = run(Some(tls), host).await.expect("the run completes");
        assert_eq!(
            report.connections.established, 3,
            "{host}: {:?}",
            report.connections.failed_reasons
        );
        assert_eq!(report.protocol_errors.total, 0);
    }
    let _ = std::fs::remove_dir_all(&certs.dir);
}

/// A certificate marked as a CA (openssl's default for `req -x509`) cannot be a server's own: rustls refuses it even
/// when it is the CA trusted, and the bots say what to do about it instead of rustls's debug text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_marked_as_a_ca_is_explained() {
    use tickwire_bots::{Config, Progress};
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("certificate params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed");
    let dir = std::env::temp_dir().join(format!("tickwire-tls-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("write cert");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write key");
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    // The server notices at start (and warns), as the bots will.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    assert!(tickwire_server::tls::marked_as_ca(
        &[cert.der().clone()],
        provider.clone()
    ));
    let plain = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    assert!(!tickwire_server::tls::marked_as_ca(
        &[plain.cert.der().clone()],
        provider
    ));
    let server = TestServer::start_with(move |cfg| cfg.tls = Some((c, k))).await;
    let mut config = Config::new(format!("wss://localhost:{}/ws", server.addr().port()), 2);
    config.duration = Duration::from_secs(1);
    config.tls = Some(tickwire_client::tls::trusting(&dir.join("cert.pem")).expect("CA file"));
    let report = tickwire_bots::run(config, Progress::Off)
        .await
        .expect("the run completes");
    assert_eq!(report.connections.established, 0);
    assert!(
        report
            .connections
            .failed_reasons
            .keys()
            .all(|r| r.contains("is a CA certificate")
                && r.contains("basicConstraints=critical,CA:FALSE")),
        "{:?}",
        report.connections.failed_reasons
    );
    let _ = std::fs::remove_dir_all(&dir);
}
