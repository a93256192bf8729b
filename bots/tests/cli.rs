//! The `tickwire-bots` binary's own checks, before any load is applied.

use std::process::Command;

#[test]
fn a_report_path_that_cannot_be_written_fails_before_the_run() {
    // Nothing listens on port 1: were the run attempted, it would fail on connecting instead.
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-bots"))
        .args([
            "--url",
            "ws://127.0.0.1:1/ws",
            "--clients",
            "1",
            "--duration",
            "1s",
            "-q",
            "--json",
            "/nonexistent-dir/report.json",
        ])
        .output()
        .expect("tickwire-bots runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--json /nonexistent-dir/report.json: cannot write the report there"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no report was printed: {out:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// Runs the bots with a report path that cannot be written: a command line that parses and validates stops right
/// there (status 2, the `--json` message) without connecting anywhere. Returns the status and stderr.
fn bots_until_the_report_path(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-bots"))
        .args(["--url", "ws://127.0.0.1:1/ws", "--clients", "1", "-q"])
        .args(["--json", "/nonexistent-dir/report.json"])
        .args(args)
        .output()
        .expect("tickwire-bots runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn duration_flags_take_a_number_of_seconds_and_sequences() {
    const PARSED: &str = "--json /nonexistent-dir/report.json: cannot write the report there";
    // --look-every names the value it refuses: a bare number is seconds, a sequence adds up.
    for (value, shown) in [
        ("90", "90s"),
        ("2.5", "2.5s"),
        ("1m30s", "90s"),
        ("1m 30s", "90s"),
    ] {
        let (code, err) = bots_until_the_report_path(&["--look-every", value]);
        assert_eq!(code, Some(2), "{value}: {err}");
        assert!(
            err.contains(&format!(
                "--look-every must be between 100us and 20ms, got {shown}"
            )),
            "{value}: {err}"
        );
    }
    // Every duration flag takes both forms (and zero where zero means "none").
    for (flag, values) in [
        ("--ramp", ["3", "1m30s", "0"]),
        ("--warmup", ["3", "1m30s", "0s"]),
        ("--duration", ["3", "1m30s", "1m 30s"]),
        ("--connect-timeout", ["3", "1m30s", "0.5"]),
        ("--look-every", ["0.002", "1ms 500us", "250us"]),
    ] {
        for value in values {
            let (code, err) = bots_until_the_report_path(&[flag, value]);
            assert!(
                code == Some(2) && err.contains(PARSED),
                "{flag} {value}: {code:?} {err}"
            );
        }
    }
    let (code, err) = bots_until_the_report_path(&["--ramp", "5y"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("invalid value '5y' for '--ramp <DURATION>'")
            && err.contains("unknown unit `y`")
            && !err.contains(PARSED),
        "{err}"
    );
    let (code, err) = bots_until_the_report_path(&["--duration", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--duration must be longer than 0 s"), "{err}");
}

#[test]
fn tick_timing_is_refused_with_an_input_rate_of_its_own() {
    let (code, err) = bots_until_the_report_path(&["--input-timing", "tick", "--input-rate", "30"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "--input-timing tick times one input per server tick: it cannot be used with --input-rate"
        ),
        "{err}"
    );
    // On its own it parses and validates (and stops at the report path).
    let (code, err) = bots_until_the_report_path(&["--input-timing", "tick"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot write the report there"), "{err}");
}

#[test]
fn zero_threads_and_a_malformed_url_are_refused_before_the_run() {
    let (code, err) = bots_until_the_report_path(&["--threads", "0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--threads") && err.contains("at least one thread"),
        "{err}"
    );
    let (code, err) = bots_until_the_report_path(&["--threads", "1"]);
    assert!(
        code == Some(2) && err.contains("cannot write the report there"),
        "one thread is fine: {err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-bots"))
        .args(["--url", "ws://[::1", "--clients", "1", "-q"])
        .args(["--json", "/nonexistent-dir/report.json"])
        .output()
        .expect("tickwire-bots runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: --url `ws://[::1` is not a valid URL"),
        "{err}"
    );
    assert!(
        !err.contains("cannot write the report there"),
        "refused first: {err}"
    );
}

/// A usage error in clap's format: `error: …`, a blank line, the usage line, the pointer to --help.
fn assert_clap_usage_error(err: &str) {
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("\n\nUsage: tickwire-bots ")
            && err.ends_with("\n\nFor more information, try '--help'.\n"),
        "{err}"
    );
    assert!(!err.contains("tickwire-bots: "), "one format: {err}");
}

#[test]
fn the_bots_own_usage_errors_look_like_clap_s() {
    // clap's own, for comparison.
    let (code, err) = bots_until_the_report_path(&["--bogus"]);
    assert_eq!(code, Some(2), "{err}");
    assert_clap_usage_error(&err);
    for (args, message) in [
        (
            &["--duration", "0"][..],
            "error: --duration must be longer than 0 s",
        ),
        (
            &["--connect-concurrency", "0"],
            "error: --connect-concurrency must be at least 1",
        ),
        (
            &["--input-timing", "tick", "--behaviour", "idle"],
            "error: --input-timing tick times inputs",
        ),
        (
            &["--ca-cert", "/nonexistent-dir/ca.pem"],
            "error: --ca-cert: CA certificate file /nonexistent-dir/ca.pem",
        ),
        (
            &[],
            "error: --json /nonexistent-dir/report.json: cannot write the report there",
        ),
    ] {
        let (code, err) = bots_until_the_report_path(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.starts_with(message), "{args:?}: {err}");
        assert_clap_usage_error(&err);
    }
}

#[test]
fn a_url_of_another_scheme_is_refused_in_one_clear_sentence() {
    let out = Command::new(env!("CARGO_BIN_EXE_tickwire-bots"))
        .args(["--url", "http://127.0.0.1:8080/ws", "-q"])
        .output()
        .expect("tickwire-bots runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(
            "error: --url must be a ws:// or wss:// URL (such as ws://127.0.0.1:8080/ws), got \
             `http://127.0.0.1:8080/ws`\n"
        ),
        "{err}"
    );
    assert_eq!(err.matches("ws://").count(), 2, "said once: {err}");
    assert_clap_usage_error(&err);
}

#[test]
fn negative_and_out_of_range_thresholds_get_a_range_error() {
    for (args, message) in [
        (
            &["--max-drop-rate", "-0.5"][..],
            "error: --max-drop-rate must be between 0 and 1",
        ),
        (
            &["--max-drop-rate", "1.5"],
            "error: --max-drop-rate must be between 0 and 1",
        ),
        (
            &["--max-p99-latency-ms", "-3"],
            "error: --max-p99-latency-ms must be a number of milliseconds above 0",
        ),
        (
            &["--max-p99-latency-ms", "0"],
            "error: --max-p99-latency-ms must be a number of milliseconds above 0",
        ),
        (
            &["--input-rate", "-30"],
            "error: --input-rate must be between 0.1 and 1000 Hz, got -30",
        ),
        (
            &["--connect-concurrency", "-1"],
            "error: invalid value '-1' for '--connect-concurrency <N>': `-1` is not a whole number",
        ),
        (
            &["--decoders", "-2"],
            "error: invalid value '-2' for '--decoders <K>': `-2` is not a whole number",
        ),
        (
            &["--threads", "-1"],
            "error: invalid value '-1' for '--threads <N>'",
        ),
    ] {
        let (code, err) = bots_until_the_report_path(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.starts_with(message), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
    // In range, they parse and validate (and the run stops at the report path).
    let (code, err) =
        bots_until_the_report_path(&["--max-drop-rate", "0", "--max-p99-latency-ms", "0.5"]);
    assert!(
        code == Some(2) && err.contains("cannot write the report there"),
        "{err}"
    );
}

/// A port nothing listens on: bound, then closed.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn when_no_bot_connects_the_report_is_short_and_the_json_has_no_figures() {
    let url = format!("ws://127.0.0.1:{}/ws", closed_port());
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tickwire-bots"))
            .args([
                "--url",
                &url,
                "--clients",
                "3",
                "--ramp",
                "0",
                "--duration",
                "1s",
            ])
            .args(["-q", "--threads", "1"])
            .args(extra)
            .output()
            .expect("tickwire-bots runs")
    };
    let out = run(&[]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        table.contains(&format!("3 clients (wander) against {url}"))
            && table.contains("connections: attempted 3, established 0, failed 3\n")
            && table.contains("  failed       3 × connection refused\n")
            && table.contains("result: LOAD NOT APPLIED (exit 2)")
            && table.contains("3 of 3 bots could not connect or join"),
        "{table}"
    );
    for absent in [
        "distribution",
        "per client",
        "handshake",
        "n=0",
        "drop rate",
        "totals:",
    ] {
        assert!(!table.contains(absent), "no `{absent}`: {table}");
    }

    let out = run(&["--json", "-"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the JSON report");
    assert_eq!(json["connections"]["established"], 0, "{json}");
    assert!(json["connections"]["drop_rate"].is_null(), "{json}");
    let bots = json["bots"].as_array().expect("bots");
    assert_eq!(bots.len(), 3, "{json}");
    for bot in bots {
        for field in [
            "tick_coverage",
            "deltas_per_s",
            "bytes_received_per_s",
            "wire_bytes_received_per_s",
            "bytes_sent_per_s",
            "inputs_per_s",
        ] {
            assert!(bot[field].is_null(), "{field}: {bot}");
        }
    }
    for spread in json["per_client"].as_object().expect("per_client").values() {
        assert!(
            spread
                .as_object()
                .expect("a spread")
                .values()
                .all(|v| v.is_null()),
            "{spread}"
        );
    }
}
