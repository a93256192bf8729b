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
    assert!(err.contains("--url must be a ws:// or wss:// URL"), "{err}");
    assert!(
        !err.contains("cannot write the report there"),
        "refused first: {err}"
    );
}
