//! The load scripts in benches/ that run these bots and read their JSON report: their usage errors, and the lines
//! they print from a report (benches/load_line.py, benches/scenario_line.py) when a figure was not measured.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root (this crate is `bots/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// Runs `benches/<script>` with `args`; nothing is built or started when the arguments are refused.
fn script(script: &str, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(root().join("benches").join(script))
        .args(args)
        // Were the arguments accepted, nothing would be built: the run would fail at once on a missing binary.
        .env("NO_BUILD", "1")
        .env("SERVER_BIN", "/nonexistent/tickwire-server")
        .env("BOTS_BIN", "/nonexistent/tickwire-bots")
        .output()
        .expect("bash runs")
}

#[test]
fn missing_or_malformed_arguments_get_the_usage_and_status_2() {
    for (name, usage, cases) in [
        (
            "load.sh",
            "usage: benches/load.sh N [SECONDS]",
            &[
                &[][..],
                &["abc"],
                &["0"],
                &["5", "abc"],
                &["5", "0"],
                &["5", "2", "extra"],
            ][..],
        ),
        (
            "scenario.sh",
            "usage: benches/scenario.sh [--force] crowd|gaffer N [SECONDS]",
            &[
                &[][..],
                &["--force"],
                &["gaffer"],
                &["crowd", "abc"],
                &["gaffer", "20", "-5"],
                &["stroll", "20"],
                &["gaffer", "20", "5", "extra"],
            ][..],
        ),
        (
            "memory.sh",
            "usage: benches/memory.sh [LOW] [HIGH]",
            &[&["abc"][..], &["5000", "1000"], &["1", "2", "3"]][..],
        ),
    ] {
        for args in cases {
            let out = script(name, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
            assert!(err.starts_with(usage), "{name} {args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{name} {args:?}: {err}");
            for noise in ["line ", "unbound variable", "parameter null or not set"] {
                assert!(!err.contains(noise), "{name} {args:?}: {err}");
            }
            assert!(out.stdout.is_empty(), "{name} {args:?}: {out:?}");
        }
    }
}

/// A report as the bots write it, from `established` bots that joined a 30 Hz server: deltas measured, and no
/// input latency when `inputs` is false (idle bots send none).
fn report(inputs: bool) -> serde_json::Value {
    let dist = |v: Option<f64>| json!({"count": if v.is_some() { 100 } else { 0 }, "p50": v, "p99": v, "max": v, "mean": v});
    let spread = |v: f64| json!({"min": v, "p50": v, "mean": v, "max": v});
    json!({
        "schema": "tickwire-bots/report/v1",
        "connections": {
            "attempted": 4, "established": 4, "failed": 0, "failed_reasons": {}, "dropped": 0,
            "dropped_reasons": [], "drop_rate": 0.0,
            "handshake_ms": dist(Some(1.0)), "join_to_first_snapshot_ms": dist(Some(2.0)),
        },
        "per_client": {
            "deltas_per_s": spread(30.0), "bytes_received_per_s": spread(700.0),
            "wire_bytes_received_per_s": spread(760.0), "bytes_sent_per_s": spread(if inputs { 300.0 } else { 0.0 }),
            "inputs_per_s": spread(if inputs { 30.0 } else { 0.0 }), "tick_coverage": spread(1.0),
        },
        "totals": {"deltas": 1200, "bytes_received": 28000, "bytes_sent": 0, "inputs_sent": 0, "inputs_unacked": 0,
                   "inputs_late": 0, "resyncs": 0},
        "delta_bytes": dist(Some(23.0)),
        "missed_ticks": {"total": 0, "clients_with_gaps": 0, "max_per_client": 0},
        "jitter_ms": dist(Some(0.5)),
        "input_latency_ms": dist(inputs.then_some(12.5)),
        "rtt_ms": dist(Some(15.0)),
        "timer_lag_ms": dist(Some(0.8)),
        "protocol_errors": {"total": 0, "clients": 0, "examples": []},
        "bot0_mirror_entities": 4,
    })
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tickwire-bench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Runs `python3 benches/<helper>` with `args`: (status, stdout, stderr).
fn python(helper: &str, args: &[String]) -> (Option<i32>, String, String) {
    let out = Command::new("python3")
        .arg(root().join("benches").join(helper))
        .args(args)
        .output()
        .expect("python3 runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The /proc readings both scripts pass: 1 s of wall time in which the server used 0.1 s and the bots 0.05 s.
const PROC: [&str; 6] = ["100", "110", "200", "205", "0", "1000000000"];

#[test]
fn scenario_line_prints_n_a_for_a_figure_that_was_not_measured() {
    let dir = scratch("scenario");
    let path = dir.join("report.json");
    let run = |inputs: bool| {
        std::fs::write(&path, report(inputs).to_string()).expect("written");
        let mut args = vec![
            path.display().to_string(),
            "4".into(),
            "60".into(),
            "56".into(),
            "100".into(),
        ];
        args.extend(PROC.iter().map(|s| s.to_string()));
        // rss_idle, rss_end, bots_exit, decoders, force, CPU 0 and 1 busy before and after.
        args.extend(
            [
                "10000",
                "12000",
                "0",
                "4",
                "1",
                "100,0 100,0",
                "110,0 105,0",
            ]
            .map(String::from),
        );
        python("scenario_line.py", &args)
    };
    let (code, line, details) = run(false);
    assert_eq!(code, Some(0), "{details}");
    assert!(
        details.contains("input_latency_p50_ms=n/a input_latency_p99_ms=n/a"),
        "{details}"
    );
    assert!(!details.contains("input_latency_p50_ms=0.0"), "{details}");
    assert!(line.starts_with("clients=4 tick_hz=60 "), "{line}");
    // Measured, the figures are there.
    let (code, _, details) = run(true);
    assert_eq!(code, Some(0), "{details}");
    assert!(
        details.contains("input_latency_p50_ms=12.5 input_latency_p99_ms=12.5"),
        "{details}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn load_line_prints_n_a_for_a_figure_that_was_not_measured() {
    let dir = scratch("load");
    let path = dir.join("report.json");
    let (m0, m1) = (dir.join("metrics0.txt"), dir.join("metrics1.txt"));
    let run = |inputs: bool, metrics: bool| {
        std::fs::write(&path, report(inputs).to_string()).expect("written");
        let page = |overruns: u32| {
            if metrics {
                format!(
                    "# TYPE tickwire_tick_overruns_total counter\ntickwire_tick_overruns_total {overruns}\n\
                     tickwire_fanout_skipped_total 0\ntickwire_frames_skipped_total 0\n\
                     tickwire_tick_duration_p99_seconds 0.002\ntickwire_tick_start_lateness_p99_seconds 0.0001\n\
                     tickwire_fanout_write_p99_seconds 0.0003\ntickwire_read_pass_p99_seconds 0.0002\n"
                )
            } else {
                // The scrape failed: the script leaves an empty file.
                String::new()
            }
        };
        std::fs::write(&m0, page(1)).expect("written");
        std::fs::write(&m1, page(3)).expect("written");
        let mut args = vec![
            path.display().to_string(),
            "4".into(),
            "30".into(),
            "100".into(),
        ];
        args.extend(PROC.iter().map(|s| s.to_string()));
        args.extend(["10000", "12000", "0", "4"].map(String::from));
        args.extend([
            m0.display().to_string(),
            m1.display().to_string(),
            String::new(),
            "SCHED_FIFO".into(),
        ]);
        python("load_line.py", &args)
    };
    let (code, line, err) = run(false, false);
    assert_eq!(code, Some(0), "{err}");
    for absent in [
        "input_latency_p50_ms=n/a",
        "input_latency_p99_ms=n/a",
        "floor_us_per_write=n/a",
        "tick_p99_ms=n/a",
        "tick_p99_pct_budget=n/a",
        "read_pass_p99_ms=n/a",
        "overruns=n/a",
        "frames_skipped=n/a",
    ] {
        assert!(line.contains(absent), "{absent}: {line}");
    }
    assert!(line.contains("patches_per_client_s=30.00 "), "{line}");
    let (code, line, err) = run(true, true);
    assert_eq!(code, Some(0), "{err}");
    for present in [
        "input_latency_p50_ms=12.5",
        "tick_p99_ms=2.00",
        "tick_p99_pct_budget=6.0",
        "overruns=2",
        "frames_skipped=0",
    ] {
        assert!(line.contains(present), "{present}: {line}");
    }
    assert_eq!(line.matches("n/a").count(), 3, "only the floor: {line}");
    let _ = std::fs::remove_dir_all(&dir);
}
