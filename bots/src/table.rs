//! The human-readable summary: the report's figures as a few aligned tables and a verdict line.

use crate::report::{Dist, ExitCode, Report, Spread};
use std::fmt::Write;

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.decimals$}"))
}

/// Rows fit an 80-column terminal: a 26-column name, four 9-column figures, the unit and the count.
fn dist_row(out: &mut String, name: &str, d: &Dist, unit: &str, decimals: usize) {
    let _ = writeln!(
        out,
        "  {name:<26}{:>9}{:>9}{:>9}{:>9}  {unit:<5} n={}",
        num(d.p50, decimals),
        num(d.p99, decimals),
        num(d.max, decimals),
        num(d.mean, decimals),
        count(d.count)
    );
}

/// A sample count in at most 6 characters: `950`, `12.3k`, `1.2M`.
fn count(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..999_950 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

fn spread_row(out: &mut String, name: &str, s: &Spread, decimals: usize) {
    let _ = writeln!(
        out,
        "  {name:<26}{:>9}{:>9}{:>9}{:>9}",
        num(s.min, decimals),
        num(s.p50, decimals),
        num(s.mean, decimals),
        num(s.max, decimals),
    );
}

/// Renders the report as text for a terminal. When no bot joined, only what was attempted, the failures and the
/// verdict: there are no figures to show.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let run = &r.run;
    let c = &r.connections;
    let _ = writeln!(
        out,
        "tickwire-bots: {} {} ({}) against {}",
        run.clients,
        if run.clients == 1 {
            "client"
        } else {
            "clients"
        },
        run.behaviour.name(),
        run.url,
    );
    // A run that ended before its window did (every bot dropped or failed, or Ctrl-C): say how long it ran,
    // beside the window it was given.
    let planned = run.ramp_s + run.warmup_s + run.duration_s;
    let ended_early = (run.elapsed_s + 0.5 < planned).then(|| {
        format!(
            "  the run ended after {:.1} s of the {planned:.1} s planned",
            run.elapsed_s
        )
    });
    if c.established == 0 {
        let _ = writeln!(
            out,
            "  ramp {:.1} s, warm-up {:.1} s, window {:.1} s",
            run.ramp_s, run.warmup_s, run.duration_s
        );
        if let Some(line) = ended_early {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(
            out,
            "\nconnections: attempted {}, established 0, failed {}",
            c.attempted, c.failed
        );
        failures(&mut out, r);
        let _ = writeln!(
            out,
            "\nno bot joined the game: nothing was measured, so there are no figures"
        );
        verdict(&mut out, r);
        return out;
    }
    let _ = writeln!(
        out,
        "  ramp {:.1} s, warm-up {:.1} s, window {:.1} s; server {} Hz\n  \
         inputs {}; look every {} ms\n  decoding: {} ({} of {} bots keep a full mirror)",
        run.ramp_s,
        run.warmup_s,
        run.duration_s,
        run.tick_rate_hz.map_or("?".into(), |t| t.to_string()),
        if run.behaviour != crate::Behaviour::Idle {
            format!(
                "{} Hz, {} timing",
                num(run.input_rate_hz, 1),
                run.input_timing.name()
            )
        } else {
            "none".to_string()
        },
        run.look_every_ms,
        run.decode_mode,
        run.decoders,
        run.clients,
    );
    if let Some(line) = ended_early {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "\nconnections: attempted {}, established {}, failed {}, dropped {} (drop rate {})",
        c.attempted,
        c.established,
        c.failed,
        c.dropped,
        num(c.drop_rate, 4)
    );
    failures(&mut out, r);
    let _ = writeln!(
        out,
        "\n  {:<26}{:>9}{:>9}{:>9}{:>9}",
        "distribution", "p50", "p99", "max", "mean"
    );
    dist_row(&mut out, "handshake", &c.handshake_ms, "ms", 2);
    dist_row(
        &mut out,
        "join → first snapshot",
        &c.join_to_first_snapshot_ms,
        "ms",
        2,
    );
    dist_row(&mut out, "input latency", &r.input_latency_ms, "ms", 2);
    dist_row(
        &mut out,
        "delta inter-arrival jitter",
        &r.jitter_ms,
        "ms",
        2,
    );
    dist_row(&mut out, "ping round trip", &r.rtt_ms, "ms", 2);
    dist_row(&mut out, "bots' timer lag", &r.timer_lag_ms, "ms", 2);
    dist_row(&mut out, "delta size", &r.delta_bytes, "bytes", 0);
    let _ = writeln!(
        out,
        "\n  {:<26}{:>9}{:>9}{:>9}{:>9}",
        "per client", "min", "p50", "mean", "max"
    );
    let p = &r.per_client;
    spread_row(&mut out, "deltas/s", &p.deltas_per_s, 2);
    spread_row(&mut out, "bytes/s received", &p.bytes_received_per_s, 0);
    spread_row(
        &mut out,
        "bytes/s on the wire",
        &p.wire_bytes_received_per_s,
        0,
    );
    spread_row(&mut out, "bytes/s sent", &p.bytes_sent_per_s, 0);
    spread_row(&mut out, "inputs/s sent", &p.inputs_per_s, 2);
    spread_row(&mut out, "tick coverage", &p.tick_coverage, 4);
    let t = &r.totals;
    let late = if r.run.input_timing == crate::InputTiming::Tick {
        format!(", {} late for their tick", t.inputs_late)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\ntotals: {} deltas, {} bytes received, {} bytes sent\n        {} inputs ({} unacknowledged{late}), {} resyncs",
        t.deltas, t.bytes_received, t.bytes_sent, t.inputs_sent, t.inputs_unacked, t.resyncs
    );
    let m = &r.missed_ticks;
    let _ = writeln!(
        out,
        "missed ticks: {} (in {} clients, at most {} in one)",
        m.total, m.clients_with_gaps, m.max_per_client
    );
    let _ = writeln!(out, "protocol errors: {}", r.protocol_errors.total);
    for e in &r.protocol_errors.examples {
        let _ = writeln!(out, "  {e}");
    }
    if let Some(n) = r.bot0_mirror_entities {
        let _ = writeln!(out, "bot 0 mirror: {n} entities at the end");
    }
    verdict(&mut out, r);
    out
}

/// The connections that failed and the ones that dropped, by reason.
fn failures(out: &mut String, r: &Report) {
    let c = &r.connections;
    for (reason, n) in &c.failed_reasons {
        let _ = writeln!(out, "  failed  {n:>6} × {reason}");
    }
    for d in &c.dropped_reasons {
        let code = d.code.map_or("no close frame".into(), |c| {
            format!("{c} {}", tickwire_shared::close::describe(c))
        });
        // The server's reason often is the code's meaning itself (a kick without a reason): say it once.
        if d.code
            .is_some_and(|c| tickwire_shared::close::describe(c) == d.reason)
            || d.reason.is_empty()
        {
            let _ = writeln!(out, "  dropped {:>6} × {code}", d.count);
        } else {
            let _ = writeln!(out, "  dropped {:>6} × {code}: {}", d.count, d.reason);
        }
    }
}

/// The result line, its reasons and the warnings.
fn verdict(out: &mut String, r: &Report) {
    let v = &r.verdict;
    let code: u8 = v.exit_code.into();
    let word = match v.exit_code {
        ExitCode::Ok => "PASS",
        ExitCode::Failed => "FAIL",
        ExitCode::NotRun => "LOAD NOT APPLIED",
        ExitCode::Interrupted => "INTERRUPTED",
    };
    let _ = writeln!(out, "\nresult: {word} (exit {code})");
    for reason in &v.reasons {
        wrapped(out, "  - ", "    ", reason);
    }
    for w in &v.warnings {
        wrapped(out, "warning: ", "         ", w);
    }
}

/// Writes `text` after `first`, broken between words into lines of at most 80 columns, the ones after the first
/// indented by `rest`. A word longer than a line stays whole.
fn wrapped(out: &mut String, first: &str, rest: &str, text: &str) {
    const WIDTH: usize = 80;
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let width = line.chars().count();
        if !empty && width + 1 + word.chars().count() > WIDTH {
            let _ = writeln!(out, "{line}");
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use super::{count, wrapped};

    #[test]
    fn long_lines_wrap_at_80_columns_between_words() {
        let text = "each bot needs about 60 inputs (2.0 s here) to find when to send, longer than --warmup: \
                    the window's first seconds include that search (and its late inputs); use --warmup 2s or more";
        let mut out = String::new();
        wrapped(&mut out, "warning: ", "         ", text);
        assert!(out.lines().count() > 1, "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
        assert!(out.starts_with("warning: each bot"), "{out}");
        assert!(
            out.lines()
                .skip(1)
                .all(|l| l.starts_with("         ") && !l[9..].starts_with(' ')),
            "{out}"
        );
        let words: Vec<&str> = out.split_whitespace().skip(1).collect();
        assert_eq!(
            words,
            text.split_whitespace().collect::<Vec<_>>(),
            "every word, in order"
        );
    }

    #[test]
    fn sample_counts_fit_six_characters() {
        assert_eq!(count(0), "0");
        assert_eq!(count(9_999), "9999");
        assert_eq!(count(10_000), "10.0k");
        assert_eq!(count(999_949), "999.9k");
        assert_eq!(count(999_950), "1.0M");
        assert_eq!(count(1_200_000), "1.2M");
    }
}
