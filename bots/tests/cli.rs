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
