//! The bots against the real server: 200 bots for 10 s through the library API, on 127.0.0.1:0.

use std::time::Duration;
use tickwire_bots::{Behaviour, Config, ExitCode, InputTiming, Progress};
use tickwire_testkit::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_bots_for_ten_seconds_see_every_tick_without_errors() {
    let server = TestServer::start().await;
    let mut config = Config::new(server.ws_url(), 200);
    config.ramp = Duration::from_secs(2);
    config.duration = Duration::from_secs(10);
    config.behaviour = Behaviour::Wander;
    // Debug builds decode slowly: 20 bots keep a full mirror, the rest follow the headers (tick, base, ack).
    config.decoders = Some(20);
    let report = tickwire_bots::run(config, Progress::Off)
        .await
        .expect("the run completes");
    let summary = tickwire_bots::render_table(&report);
    eprintln!("{summary}");

    assert_eq!(report.connections.established, 200, "{summary}");
    assert_eq!(
        report.connections.failed, 0,
        "no bot fails to join: {summary}"
    );
    assert_eq!(
        report.connections.dropped, 0,
        "no bot is dropped: {summary}"
    );
    assert_eq!(
        report.protocol_errors.total, 0,
        "no protocol error: {summary}"
    );
    for bot in &report.bots {
        assert!(
            bot.tick_coverage.is_some_and(|c| c >= 0.95),
            "bot {} received {:?} of the ticks, below 95 %: {summary}",
            bot.index,
            bot.tick_coverage
        );
    }
    assert_eq!(
        report.bot0_mirror_entities,
        Some(200),
        "bot 0's mirror holds every player: {summary}"
    );
    assert!(report.input_latency_ms.count > 0, "inputs are acknowledged");
    assert_eq!(report.exit_code(), ExitCode::Ok, "{summary}");
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_server_that_is_not_there_is_reported_as_connection_failures() {
    // Bind and drop a listener: its port is then (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut config = Config::new(format!("ws://127.0.0.1:{port}/ws"), 3);
    config.duration = Duration::from_millis(100);
    let report = tickwire_bots::run(config, Progress::Off)
        .await
        .expect("the run completes");
    assert_eq!(report.connections.failed, 3);
    assert_eq!(
        report.connections.failed_reasons.get("connection refused"),
        Some(&3),
        "{:?}",
        report.connections.failed_reasons
    );
    assert_eq!(report.exit_code(), ExitCode::NotRun);
}

#[tokio::test]
async fn a_full_server_shows_http_503_and_a_latency_threshold_fails_the_run() {
    let server = TestServer::start_with(|c| c.limits.max_clients = 2).await;
    let mut config = Config::new(server.ws_url(), 3);
    config.duration = Duration::from_secs(1);
    let report = tickwire_bots::run(config, Progress::Off)
        .await
        .expect("the run completes");
    assert_eq!(report.connections.established, 2);
    assert_eq!(
        report
            .connections
            .failed_reasons
            .get("HTTP 503 (the server is full: its --max-clients)"),
        Some(&1),
        "{:?}",
        report.connections.failed_reasons
    );

    // The bots end with the closing handshake: a run returns once the server has answered each close and ended
    // the connection, so the server has given every place back and a run started now finds them free.
    let open = server
        .server()
        .hub()
        .open
        .load(std::sync::atomic::Ordering::Acquire);
    assert_eq!(
        open, 0,
        "the first run's connections are all closed when it returns"
    );
    let mut config = Config::new(server.ws_url(), 2);
    config.duration = Duration::from_secs(1);
    config.thresholds.max_p99_latency_ms = Some(0.001);
    let report = tickwire_bots::run(config, Progress::Off)
        .await
        .expect("the run completes");
    assert_eq!(report.connections.failed, 0);
    assert_eq!(report.exit_code(), ExitCode::Failed, "{:?}", report.verdict);
    assert!(report.verdict.reasons[0].contains("input latency p99"));
}

/// An operator changes the tick rate mid-run: bots whose input rate is the server's follow it (a bot that kept
/// sending 30 inputs a second into a 20 Hz server would fill its input queue, 8 deep, and every input would wait
/// behind it), and the report says the rate changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_follow_a_tick_rate_change_and_the_report_says_so() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut config = Config::new(server.ws_url(), 4);
    config.duration = Duration::from_secs(5);
    config.behaviour = Behaviour::Wander;
    config.decoders = Some(1);
    let run = tokio::spawn(tickwire_bots::run(config, Progress::Off));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (ok, answer) = server.admin().await.run("tickrate 20").await;
    assert!(ok, "{answer}");
    let report = run
        .await
        .expect("the run's task")
        .expect("the run completes");
    let summary = tickwire_bots::render_table(&report);
    assert_eq!(report.run.tick_rate_hz, Some(30), "{summary}");
    assert_eq!(report.run.tick_rate_changes_hz, vec![20], "{summary}");
    assert!(
        report.verdict.warnings.iter().any(|w| w.contains(
            "the server's tick rate changed during the run (30 Hz, then 20 Hz): the bots' inputs followed it (to 20 Hz)"
        )),
        "{summary}"
    );
    // Inputs keep pace with the ticks: at the end only the last one or two of each bot wait for their
    // acknowledgement, not a full queue of 8.
    assert!(
        report.totals.inputs_unacked <= 4 * 3,
        "{} inputs unacknowledged at the end: {summary}",
        report.totals.inputs_unacked
    );
    assert_eq!(report.protocol_errors.total, 0, "{summary}");
    server.shutdown(Duration::from_secs(5)).await;
}

/// `--input-timing tick`: each bot learns from its acknowledgements when to send so that its input reaches the
/// server just before the tick's read. Against the same server at the same time, bots on free timers wait about
/// half a tick for the read; tick-timed bots wait a small part of that, few of their inputs miss their read, and
/// they never send faster than the server ticks (their search only ever moves the send time later).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_timed_bots_reach_the_read_just_in_time() {
    let server = TestServer::start_with(|c| c.tick_rate = 20).await;
    let run = |timing: InputTiming| {
        let mut config = Config::new(server.ws_url(), 10);
        // The search takes a few dozen inputs to settle.
        config.warmup = Duration::from_secs(4);
        config.duration = Duration::from_secs(5);
        config.behaviour = Behaviour::Wander;
        config.decoders = Some(1);
        config.input_timing = timing;
        config.name_prefix = format!("{}-", timing.name());
        tokio::spawn(tickwire_bots::run(config, Progress::Off))
    };
    let (free, tick) = (run(InputTiming::Free), run(InputTiming::Tick));
    let free = free.await.expect("task").expect("the free run completes");
    let tick = tick.await.expect("task").expect("the tick run completes");
    let summary = format!(
        "{}\n{}",
        tickwire_bots::render_table(&free),
        tickwire_bots::render_table(&tick)
    );
    eprintln!("{summary}");
    for r in [&free, &tick] {
        assert_eq!(r.protocol_errors.total, 0, "{summary}");
        assert_eq!(r.connections.dropped, 0, "{summary}");
    }
    assert_eq!(tick.run.input_timing, InputTiming::Tick, "{summary}");
    let p50 = |r: &tickwire_bots::Report| r.input_latency_ms.p50.expect("latencies measured");
    assert!(
        p50(&tick) < 0.6 * p50(&free),
        "tick-timed inputs wait a small part of a tick (p50 {:.1} ms against {:.1} ms free): {summary}",
        p50(&tick),
        p50(&free)
    );
    // A busy machine (CI runs other tests beside this one) moves the server's read now and then; a few misses
    // are the search doing its job, most inputs must make their read.
    let acked = tick.input_latency_ms.count;
    assert!(
        tick.totals.inputs_late * 100 <= acked * 15,
        "{} of {acked} inputs missed their read: {summary}",
        tick.totals.inputs_late
    );
    let fastest = tick.per_client.inputs_per_s.max.expect("inputs sent");
    assert!(
        fastest <= 20.5,
        "a tick-timed bot sent {fastest:.2} inputs a second into a 20 Hz server: {summary}"
    );
    server.shutdown(Duration::from_secs(5)).await;
}

/// Ctrl-C in `tickwire-bots` (here the library's stop future): the run ends early with a report of what ran,
/// marked interrupted; the playing bots close their connections properly, so the server holds no player for
/// resume; bots whose place on the ramp had not come never connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_early_reports_what_ran_and_leaves_no_player_behind() {
    let server = TestServer::start_admin(|_| {}).await;
    let mut config = Config::new(server.ws_url(), 10);
    // One bot every second: after 2.5 s three have started, seven have not.
    config.ramp = Duration::from_secs(10);
    config.duration = Duration::from_secs(60);
    let started = std::time::Instant::now();
    let stop = tokio::time::sleep(Duration::from_millis(2500));
    let report = tickwire_bots::run_until(config, Progress::Off, stop)
        .await
        .expect("the run completes");
    let summary = tickwire_bots::render_table(&report);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "it stopped early: {summary}"
    );
    assert!(report.run.interrupted, "{summary}");
    assert_eq!(report.exit_code(), ExitCode::Interrupted, "{summary}");
    assert!(summary.contains("INTERRUPTED (exit 130)"), "{summary}");
    assert!(
        report.verdict.reasons[0].contains("nothing was measured")
            && report.verdict.warnings.is_empty(),
        "stopped in the warm-up: {summary}"
    );
    assert_eq!(
        report.connections.attempted as usize + report.run.not_started,
        10,
        "{summary}"
    );
    assert!(
        (2..=4).contains(&report.connections.established) && report.run.not_started >= 6,
        "{summary}"
    );
    assert_eq!(report.connections.failed, 0, "{summary}");
    assert_eq!(report.connections.dropped, 0, "{summary}");
    assert_eq!(report.bots.len(), report.connections.attempted as usize);

    let open = server
        .server()
        .hub()
        .open
        .load(std::sync::atomic::Ordering::Acquire);
    assert_eq!(open, 0, "every connection is closed when the run returns");
    let mut admin = server.admin().await;
    let (ok, players) = admin.run("players").await;
    assert!(
        ok && !players.contains("bot-"),
        "no bot is held for resume: {players}"
    );
}
