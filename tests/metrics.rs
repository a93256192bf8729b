//! `GET /metrics`: valid Prometheus text whose counters move with the game.

use std::collections::BTreeMap;
use std::time::Duration;
use tickwire_testkit::{TestServer, WAIT, metrics};

/// Parses the Prometheus text exposition format strictly enough to catch a malformed page: every line is a
/// `# HELP`/`# TYPE` comment or `name{labels} value`; returns `name{labels}` → value.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# ") {
            let kind = rest.split_whitespace().next().unwrap_or("");
            assert!(matches!(kind, "HELP" | "TYPE"), "unknown comment: {line}");
            if kind == "TYPE" {
                let t = rest.split_whitespace().nth(2).unwrap_or("");
                assert!(
                    matches!(t, "counter" | "gauge" | "histogram" | "summary" | "untyped"),
                    "bad type: {line}"
                );
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let name = series.split('{').next().unwrap_or("");
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "bad metric name: {line}"
        );
        if series.contains('{') {
            assert!(series.ends_with('}'), "unclosed labels: {line}");
        }
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        samples.insert(series.to_string(), value);
    }
    samples
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_move_when_clients_join() {
    let server = TestServer::start().await;
    let before = parse(&metrics(server.addr()).await);
    for name in [
        "tickwire_joins_total",
        "tickwire_leaves_total",
        "tickwire_clients_connected",
        "tickwire_tick_overruns_total",
        "tickwire_inputs_received_total",
        "tickwire_messages_dropped_total",
        "tickwire_bytes_in_total",
        "tickwire_bytes_out_total",
        "tickwire_frames_skipped_total",
        "tickwire_tick_rate_hz",
    ] {
        assert!(before.contains_key(name), "{name} missing: {before:?}");
    }
    assert_eq!(before["tickwire_joins_total"], 0.0);

    let mut a = server.join("a").await;
    let b = server.join("b").await;
    a.send_input(1.0, 0.0, 0.0, 0).await.expect("input");
    let tick = a.mirror.tick.expect("tick");
    a.recv_until(WAIT, |c, _| c.mirror.tick >= Some(tick + 5))
        .await
        .expect("deltas");
    b.close().await.expect("close");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let text = metrics(server.addr()).await;
    let after = parse(&text);
    assert_eq!(after["tickwire_joins_total"], 2.0, "{text}");
    assert_eq!(after["tickwire_leaves_total"], 1.0, "{text}");
    assert_eq!(after["tickwire_clients_connected"], 1.0, "{text}");
    assert_eq!(after["tickwire_inputs_received_total"], 1.0, "{text}");
    assert!(after["tickwire_bytes_out_total"] > 0.0);
    assert!(after["tickwire_bytes_in_total"] > 0.0);
    assert!(
        after["tickwire_tick_duration_seconds_count"] > 0.0,
        "the tick histogram is filled: {text}"
    );
    assert!(
        text.contains("# TYPE tickwire_tick_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        after.contains_key("tickwire_tick_duration_seconds_bucket{le=\"+Inf\"}"),
        "{text}"
    );
    assert_eq!(
        after.get("tickwire_disconnects_total{code=\"none\"}"),
        Some(&1.0),
        "b's normal close is counted by code: {text}"
    );
}

/// The page lists its metric families in name order, every scrape the same, each family's HELP and TYPE first.
#[tokio::test]
async fn metric_families_come_in_name_order() {
    let server = TestServer::start().await;
    let families = |page: &str| -> Vec<String> {
        page.lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect()
    };
    let first = metrics(server.addr()).await;
    let names = families(&first);
    assert!(names.len() >= 10, "{first}");
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "{first}");
    for _ in 0..3 {
        assert_eq!(families(&metrics(server.addr()).await), names);
    }
    // Every sample follows its own family's HELP and TYPE.
    let mut current = String::new();
    for line in first.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            current = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        } else if !line.starts_with('#') {
            assert!(
                line.starts_with(current.as_str()),
                "{line} outside its family"
            );
        }
    }
    let parsed = parse(&first);
    assert!(parsed.contains_key("tickwire_joins_total"), "{parsed:?}");
}
