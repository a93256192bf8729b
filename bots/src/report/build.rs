//! Building the report from the bots' outcomes, and the verdict.

use super::{BotFigures, Connections, Dist, DropCount, ExitCode, RunInfo, SCHEMA, Spread};
use crate::config::Config;
use crate::stats::{BotOutcome, Histograms};
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything a run measured. `--json` writes exactly this.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// What ran.
    pub run: RunInfo,
    /// Connections.
    pub connections: Connections,
    /// Per-client rates and tick coverage, spread over the bots that joined.
    pub per_client: PerClient,
    /// Totals over all bots (window figures: deltas, bytes; whole-run: inputs, resyncs).
    pub totals: Totals,
    /// Delta payload size, bytes.
    pub delta_bytes: Dist,
    /// Gaps in the server tick numbers.
    pub missed_ticks: Missed,
    /// |delta inter-arrival − tick period|, ms.
    pub jitter_ms: Dist,
    /// Input sent → first delta acknowledging it, ms.
    pub input_latency_ms: Dist,
    /// Ping → pong, ms (with the server's read pass on, a ping waits in the socket for the next pass, so this
    /// includes up to one tick period).
    pub rtt_ms: Dist,
    /// How late the bots' own timers fired, ms: the load generator's scheduling delay (up to one look period,
    /// `--look-every`, when it keeps up). When it is large the bots were short of CPU and sent their inputs late; the
    /// latencies above are measured from the actual writes and the kernel's arrival times, so they do not include
    /// that delay, but the load was not quite the one asked for.
    pub timer_lag_ms: Dist,
    /// Protocol errors (must be 0).
    pub protocol_errors: Errors,
    /// Entities in bot 0's mirror at the end (it always decodes).
    pub bot0_mirror_entities: Option<usize>,
    /// Bot 0's mirror at the end (after the linger), for tests that compare it with the server's state; `None`
    /// when bot 0 did not join or its mirror was lost to a protocol error. Not in the JSON.
    #[serde(skip)]
    pub bot0_mirror: Option<tickwire_shared::Mirror>,
    /// Pass or fail.
    pub verdict: Verdict,
    /// Each bot's figures, by index.
    pub bots: Vec<BotFigures>,
}

/// Per-client figures, spread over the bots that joined.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PerClient {
    /// Deltas received per second.
    pub deltas_per_s: Spread,
    /// Payload bytes received per second.
    pub bytes_received_per_s: Spread,
    /// Bytes received per second including the WebSocket frame headers.
    pub wire_bytes_received_per_s: Spread,
    /// Payload bytes sent per second.
    pub bytes_sent_per_s: Spread,
    /// Inputs sent per second (the input rate, when the bots keep up).
    pub inputs_per_s: Spread,
    /// Fraction of the server's ticks received (1.0 = every tick).
    pub tick_coverage: Spread,
}

/// Run totals.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Deltas received in the window.
    pub deltas: u64,
    /// Payload bytes received in the window.
    pub bytes_received: u64,
    /// Payload bytes sent in the window.
    pub bytes_sent: u64,
    /// Inputs sent.
    pub inputs_sent: u64,
    /// Inputs never acknowledged.
    pub inputs_unacked: u64,
    /// With `--input-timing tick`: inputs acknowledged in the window a tick later than the bot timed them for
    /// (always 0 with `free`).
    pub inputs_late: u64,
    /// Snapshots after the first (the server resynchronised a bot that fell behind).
    pub resyncs: u64,
}

/// Missed ticks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Missed {
    /// Ticks missed, all bots.
    pub total: u64,
    /// Bots that missed at least one.
    pub clients_with_gaps: u64,
    /// The most one bot missed.
    pub max_per_client: u64,
}

/// Protocol errors.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Errors {
    /// All bots.
    pub total: u64,
    /// Bots with at least one.
    pub clients: u64,
    /// The first few messages, prefixed with the bot index.
    pub examples: Vec<String>,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The exit status: 0 ok, 1 threshold crossed or protocol errors, 2 load not applied.
    pub exit_code: super::ExitCode,
    /// Why it is not 0, one line each.
    pub reasons: Vec<String>,
    /// Signs that the figures do not describe the load asked for (the bots fell behind); they do not change
    /// the exit status.
    pub warnings: Vec<String>,
    /// The thresholds checked.
    pub max_p99_latency_ms: Option<f64>,
    /// The thresholds checked.
    pub max_drop_rate: Option<f64>,
}

impl Report {
    /// Assembles the report.
    pub(crate) fn build(
        config: &Config,
        outcomes: &[BotOutcome],
        hist: &Histograms,
        elapsed_s: f64,
        interrupted: Option<usize>,
    ) -> Report {
        let joined: Vec<&BotOutcome> = outcomes.iter().filter(|o| o.failed.is_none()).collect();
        let tick_rate = joined.iter().find_map(|o| o.tick_rate);
        let last_tick = joined.iter().filter_map(|o| o.last_tick).max();
        let bots: Vec<BotFigures> = outcomes.iter().map(|o| figures(o, last_tick)).collect();
        let joined_figs: Vec<&BotFigures> = bots.iter().filter(|b| b.established).collect();
        let spread =
            |f: fn(&BotFigures) -> Option<f64>| Spread::of(joined_figs.iter().map(|b| f(b)));

        let mut connections = Connections {
            attempted: outcomes.len() as u64,
            established: joined.len() as u64,
            failed: (outcomes.len() - joined.len()) as u64,
            handshake_ms: Dist::of(&hist.handshake_us, 1000.0),
            join_to_first_snapshot_ms: Dist::of(&hist.join_us, 1000.0),
            ..Default::default()
        };
        let mut drops: BTreeMap<(Option<u16>, String), u64> = BTreeMap::new();
        for o in outcomes {
            if let Some(reason) = &o.failed {
                *connections
                    .failed_reasons
                    .entry(reason.clone())
                    .or_default() += 1;
            }
            if let Some(d) = &o.dropped {
                *drops.entry((d.code, d.reason.clone())).or_default() += 1;
                connections.dropped += 1;
            }
        }
        connections.dropped_reasons = drops
            .into_iter()
            .map(|((code, reason), count)| DropCount {
                code,
                reason,
                count,
            })
            .collect();
        connections.drop_rate = (connections.established > 0)
            .then(|| connections.dropped as f64 / connections.established as f64);

        let mut totals = Totals::default();
        let mut missed = Missed::default();
        let mut errors = Errors::default();
        for o in outcomes {
            totals.deltas += o.deltas;
            totals.bytes_received += o.bytes_received;
            totals.bytes_sent += o.bytes_sent;
            totals.inputs_sent += o.inputs_sent;
            totals.inputs_unacked += o.inputs_unacked;
            totals.inputs_late += o.inputs_late;
            totals.resyncs += o.resyncs;
            missed.total += o.missed_ticks;
            missed.clients_with_gaps += u64::from(o.missed_ticks > 0);
            missed.max_per_client = missed.max_per_client.max(o.missed_ticks);
            errors.total += o.protocol_errors;
            errors.clients += u64::from(o.protocol_errors > 0);
            for e in &o.error_examples {
                if errors.examples.len() < 10 {
                    errors.examples.push(format!("bot {}: {e}", o.index));
                }
            }
        }
        let decoders = config.decoder_count();
        let mut report = Report {
            schema: SCHEMA,
            run: RunInfo {
                url: config.url.clone(),
                clients: config.clients,
                ramp_s: config.ramp.as_secs_f64(),
                warmup_s: config.warmup.as_secs_f64(),
                duration_s: config.duration.as_secs_f64(),
                behaviour: config.behaviour,
                input_rate_hz: config
                    .input_rate
                    .or(config.behaviour.default_input_rate())
                    .or(tick_rate.map(f64::from)),
                input_timing: config.input_timing,
                seed: config.seed,
                decoders,
                decode_mode: if decoders == config.clients {
                    "full"
                } else {
                    "partial"
                },
                tick_rate_hz: tick_rate,
                // What the decoder that saw the most of them saw (a decoder that joined later saw fewer).
                tick_rate_changes_hz: outcomes
                    .iter()
                    .map(|o| &o.tick_rate_changes)
                    .max_by_key(|c| c.len())
                    .cloned()
                    .unwrap_or_default(),
                elapsed_s,
                look_every_ms: config.look_every.as_secs_f64() * 1000.0,
                interrupted: interrupted.is_some(),
                not_started: interrupted.unwrap_or(0),
            },
            connections,
            per_client: PerClient {
                deltas_per_s: spread(|b| b.deltas_per_s),
                bytes_received_per_s: spread(|b| b.bytes_received_per_s),
                wire_bytes_received_per_s: spread(|b| b.wire_bytes_received_per_s),
                bytes_sent_per_s: spread(|b| b.bytes_sent_per_s),
                inputs_per_s: spread(|b| b.inputs_per_s),
                tick_coverage: spread(|b| b.tick_coverage),
            },
            totals,
            delta_bytes: Dist::of(&hist.delta_bytes, 1.0),
            missed_ticks: missed,
            jitter_ms: Dist::of(&hist.jitter_us, 1000.0),
            input_latency_ms: Dist::of(&hist.input_latency_us, 1000.0),
            rtt_ms: Dist::of(&hist.rtt_us, 1000.0),
            timer_lag_ms: Dist::of(&hist.timer_lag_us, 1000.0),
            protocol_errors: errors,
            bot0_mirror_entities: outcomes.first().and_then(|o| o.mirror_entities),
            bot0_mirror: outcomes.first().and_then(|o| o.mirror.clone()),
            verdict: Verdict {
                exit_code: ExitCode::Ok,
                reasons: Vec::new(),
                warnings: Vec::new(),
                max_p99_latency_ms: config.thresholds.max_p99_latency_ms,
                max_drop_rate: config.thresholds.max_drop_rate,
            },
            bots,
        };
        report.judge();
        if report.connections.established == 0 {
            // No bot joined: nothing was measured, so nothing is warned about (the verdict says why).
        } else if interrupted.is_some() && !outcomes.iter().any(|o| o.measured_secs > 0.0) {
            // Stopped before the window opened: no figure describes the load, so none is warned about.
            if let Some(line) = report.verdict.reasons.first_mut() {
                *line += " (before the measurement window opened: nothing was measured)";
            }
        } else {
            report.warn(config);
        }
        report
    }

    /// Sets the verdict from the figures and the thresholds.
    fn judge(&mut self) {
        let mut failed = Vec::new();
        let mut not_run = Vec::new();
        let c = &self.connections;
        if c.failed > 0 {
            not_run.push(format!(
                "{} of {} bots could not connect or join",
                c.failed, c.attempted
            ));
        }
        if self.protocol_errors.total > 0 {
            failed.push(format!(
                "{} protocol errors in {} bots",
                self.protocol_errors.total, self.protocol_errors.clients
            ));
        }
        if let Some(max) = self.verdict.max_p99_latency_ms {
            match self.input_latency_ms.p99 {
                Some(p99) if p99 > max => {
                    failed.push(format!("input latency p99 {p99:.1} ms > {max} ms"))
                }
                None if c.established > 0 => {
                    failed.push("input latency p99 unknown: no input was acknowledged".into())
                }
                _ => {}
            }
        }
        if c.established > 0 && c.dropped == c.established {
            not_run.push(format!(
                "all {} bots that joined were dropped before the end of the run",
                c.dropped
            ));
        } else {
            match self.verdict.max_drop_rate {
                Some(max) => {
                    if let Some(rate) = c.drop_rate.filter(|&rate| rate > max) {
                        failed.push(format!("drop rate {rate:.4} > {max}"));
                    }
                }
                // Without a threshold, any drop fails the run: a server that drops players under load is what a
                // load test is there to find.
                None if c.dropped > 0 => failed.push(format!(
                    "{} of {} bots were dropped mid-run (--max-drop-rate tolerates some)",
                    c.dropped, c.established
                )),
                _ => {}
            }
        }
        if self.run.interrupted {
            let mut line = format!(
                "interrupted after {:.1} s: the figures cover the part that ran",
                self.run.elapsed_s
            );
            if self.run.not_started > 0 {
                line += &format!(
                    "; {} of {} bots never started",
                    self.run.not_started, self.run.clients
                );
            }
            not_run.insert(0, line);
        }
        self.verdict.exit_code = if self.run.interrupted {
            ExitCode::Interrupted
        } else if !not_run.is_empty() {
            ExitCode::NotRun
        } else if !failed.is_empty() {
            ExitCode::Failed
        } else {
            ExitCode::Ok
        };
        not_run.extend(failed);
        self.verdict.reasons = not_run;
    }

    /// Flags runs whose bots could not keep up: their timers fired late or they sent fewer inputs than asked.
    /// When the look period is longer than the input period the timers cannot fire in time however much CPU the
    /// bots have, and the warning says so instead of blaming the CPU.
    fn warn(&mut self, config: &Config) {
        if let (Some(from), Some(&to)) =
            (self.run.tick_rate_hz, self.run.tick_rate_changes_hz.last())
        {
            let rates: Vec<String> = self
                .run
                .tick_rate_changes_hz
                .iter()
                .map(|hz| format!("{hz} Hz"))
                .collect();
            let inputs =
                if config.input_rate.is_none() && config.behaviour.default_input_rate().is_none() {
                    format!("the bots' inputs followed it (to {to} Hz)")
                } else {
                    "the bots kept the input rate they were given".into()
                };
            self.verdict.warnings.push(format!(
                "the server's tick rate changed during the run ({from} Hz, then {}): {inputs}; the figures mix \
                 the rates (measure each rate in a run of its own)",
                rates.join(", then ")
            ));
        }
        let Some(mut rate) = self.run.input_rate_hz else {
            return;
        };
        // Inputs that followed the server's rate ran at each rate in turn: the checks below hold for the fastest.
        let follows =
            config.input_rate.is_none() && config.behaviour.default_input_rate().is_none();
        if follows {
            for &hz in &self.run.tick_rate_changes_hz {
                rate = rate.max(f64::from(hz));
            }
        }
        let period_ms = 1000.0 / rate;
        let look_ms = self.run.look_every_ms;
        let look_too_coarse = look_ms > period_ms;
        if look_too_coarse {
            self.verdict.warnings.push(format!(
                "--look-every {look_ms} ms is longer than the input period ({period_ms:.1} ms): a bot sends at \
                 most one input per look, so the bots sent fewer inputs than the {rate:.1} Hz asked for; use a \
                 look period below {period_ms:.1} ms"
            ));
        } else if let Some(p99) = self.timer_lag_ms.p99
            && p99 > period_ms
        {
            self.verdict.warnings.push(format!(
                "the bots' timers fired up to {p99:.1} ms late (p99), more than one input period \
                 ({period_ms:.1} ms): the load generator was short of CPU and sent its inputs late"
            ));
        }
        if config.input_timing == crate::InputTiming::Tick {
            // To a tenth of a second, so that 60 inputs at 30 Hz are 2.0 s, not a hair above.
            let settle_ms =
                (f64::from(crate::timing::SETTLE_INPUTS) * period_ms / 100.0).round() * 100.0;
            let short_warmup = config.warmup.as_secs_f64() * 1000.0 < settle_ms;
            if short_warmup {
                self.verdict.warnings.push(format!(
                    "--input-timing tick: each bot needs about {} inputs ({:.1} s here) to find when to send, \
                     longer than --warmup: the window's first seconds include that search (and its late \
                     inputs); use --warmup {:.0}s or more",
                    crate::timing::SETTLE_INPUTS,
                    settle_ms / 1000.0,
                    (settle_ms / 1000.0).ceil()
                ));
            }
            let acked = self.input_latency_ms.count;
            if !short_warmup && acked > 0 && self.totals.inputs_late * 100 > acked {
                let share = self.totals.inputs_late as f64 * 100.0 / acked as f64;
                // Late timers by more than the slack the search keeps (a few ms): the bots sent late. Else the
                // server moved: its read came earlier, or its ticks ran late.
                let why = match self.timer_lag_ms.p99 {
                    Some(lag) if lag > 2.0 * look_ms + 2.0 => format!(
                        "the bots' timers fired late (p99 {lag:.1} ms): fewer bots per core time their \
                         inputs better"
                    ),
                    _ => "the bots sent on time, so the server's read came earlier or its ticks ran late \
                          (a busy server core)"
                        .to_string(),
                };
                self.verdict.warnings.push(format!(
                    "--input-timing tick: {share:.2} % of the inputs missed the read they were timed for: {why}"
                ));
            }
        }
        // After a change of the server's rate, followed, the rate asked for is not one number.
        let followed_a_change = !self.run.tick_rate_changes_hz.is_empty()
            && config.input_rate.is_none()
            && config.behaviour.default_input_rate().is_none();
        if config.behaviour != crate::Behaviour::Idle
            && !followed_a_change
            && let Some(mean) = self.per_client.inputs_per_s.mean
            && mean < 0.9 * rate
        {
            let cause = if look_too_coarse {
                "the look period is too coarse (see above)"
            } else {
                "the load generator may be short of CPU"
            };
            self.verdict.warnings.push(format!(
                "bots sent {mean:.1} inputs/s on average, below 90 % of the {rate:.1} Hz asked for: {cause}"
            ));
        }
    }

    /// The exit status.
    pub fn exit_code(&self) -> ExitCode {
        self.verdict.exit_code
    }
}

fn figures(o: &BotOutcome, last_tick: Option<u32>) -> BotFigures {
    // A bot that was not connected during the window has no rates (not rates of 0).
    let per_s = |v: u64| (o.measured_secs > 0.0).then(|| v as f64 / o.measured_secs);
    let expected = match (o.first_tick, last_tick) {
        (Some(first), Some(last)) if last > first => u64::from(last - first),
        _ => 0,
    };
    BotFigures {
        index: o.index,
        decoder: o.decoder,
        established: o.failed.is_none(),
        deltas_per_s: per_s(o.deltas),
        bytes_received_per_s: per_s(o.bytes_received),
        wire_bytes_received_per_s: per_s(o.bytes_received + o.frame_header_bytes),
        bytes_sent_per_s: per_s(o.bytes_sent),
        inputs_per_s: per_s(o.inputs_in_window),
        // Nothing to measure when the bot never joined or no tick followed its first snapshot.
        tick_coverage: (o.failed.is_none() && expected > 0)
            .then(|| (o.ticks_received as f64 / expected as f64).min(1.0)),
        missed_ticks: o.missed_ticks,
        protocol_errors: o.protocol_errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// One bot that joined a 30 Hz server and sent `inputs_per_s` over a 10 s window, its timers `lag_us` late.
    fn report(config: Config, inputs_per_s: f64, lag_us: u64) -> Report {
        let bot = BotOutcome {
            tick_rate: Some(30),
            measured_secs: 10.0,
            inputs_in_window: (inputs_per_s * 10.0) as u64,
            ..BotOutcome::default()
        };
        let mut hist = Histograms::default();
        for _ in 0..100 {
            hist.timer_lag_us.record(lag_us);
        }
        Report::build(&config, &[bot], &hist, 10.0, None)
    }

    fn config(look_every: Duration, input_rate: Option<f64>) -> Config {
        Config {
            look_every,
            input_rate,
            ..Config::new("ws://127.0.0.1:1/ws", 1)
        }
    }

    #[test]
    fn an_interrupted_run_says_so_and_exits_130_whatever_else_it_found() {
        let played = BotOutcome {
            tick_rate: Some(30),
            measured_secs: 4.0,
            inputs_in_window: 120,
            protocol_errors: 1,
            ..BotOutcome::default()
        };
        let mut c = config(Duration::from_millis(1), None);
        c.clients = 4;
        let r = Report::build(&c, &[played], &Histograms::default(), 6.0, Some(3));
        assert_eq!(r.verdict.exit_code, ExitCode::Interrupted);
        assert!(r.run.interrupted && r.run.not_started == 3);
        assert_eq!(
            r.verdict.reasons[0],
            "interrupted after 6.0 s: the figures cover the part that ran; 3 of 4 bots never started"
        );
        assert!(
            r.verdict
                .reasons
                .iter()
                .any(|l| l.contains("protocol errors")),
            "what it found is still listed: {:?}",
            r.verdict.reasons
        );
        let r = Report::build(
            &c,
            &[BotOutcome::default()],
            &Histograms::default(),
            1.0,
            None,
        );
        assert!(!r.run.interrupted && r.verdict.exit_code != ExitCode::Interrupted);
    }

    #[test]
    fn a_run_in_which_no_bot_joined_has_no_figures_only_the_failures() {
        let failed = |index| BotOutcome {
            index,
            failed: Some("connection refused".into()),
            ..BotOutcome::default()
        };
        let mut c = config(Duration::from_millis(1), Some(30.0));
        c.clients = 3;
        c.thresholds.max_p99_latency_ms = Some(50.0);
        let r = Report::build(
            &c,
            &[failed(0), failed(1), failed(2)],
            &Histograms::default(),
            0.1,
            None,
        );
        assert_eq!(r.verdict.exit_code, ExitCode::NotRun);
        assert_eq!(r.connections.drop_rate, None, "nothing could drop");
        assert_eq!(r.per_client.tick_coverage, Spread::default());
        for bot in &r.bots {
            assert_eq!(
                (bot.deltas_per_s, bot.inputs_per_s, bot.tick_coverage),
                (None, None, None),
                "bot {} was never measured",
                bot.index
            );
        }
        assert_eq!(r.verdict.warnings, Vec::<String>::new(), "nothing measured");
        let json = serde_json::to_value(&r).expect("serialises");
        assert!(json["connections"]["drop_rate"].is_null(), "{json}");
        assert!(json["bots"][0]["tick_coverage"].is_null(), "{json}");
        assert!(json["bots"][0]["deltas_per_s"].is_null(), "{json}");

        let table = crate::table::render(&r);
        assert!(
            table.contains("connections: attempted 3, established 0, failed 3\n")
                && table.contains("failed       3 × connection refused")
                && table.contains("nothing was measured")
                && table.contains("3 of 3 bots could not connect or join"),
            "{table}"
        );
        for absent in ["distribution", "per client", "drop rate", "totals:", " -  "] {
            assert!(!table.contains(absent), "no `{absent}`: {table}");
        }
        assert!(table.lines().count() <= 12, "a short report: {table}");
    }

    #[test]
    fn a_bot_not_connected_in_the_window_has_no_rates_and_is_left_out_of_the_spread() {
        let played = BotOutcome {
            index: 0,
            tick_rate: Some(30),
            measured_secs: 10.0,
            deltas: 300,
            first_tick: Some(100),
            last_tick: Some(400),
            ticks_received: 300,
            ..BotOutcome::default()
        };
        // Joined, and dropped before the window opened.
        let gone = BotOutcome {
            index: 1,
            tick_rate: Some(30),
            first_tick: Some(100),
            last_tick: Some(110),
            ticks_received: 10,
            dropped: Some(crate::stats::Dropped {
                code: None,
                reason: "reset".into(),
            }),
            ..BotOutcome::default()
        };
        let mut c = config(Duration::from_millis(1), None);
        c.clients = 2;
        let r = Report::build(&c, &[played, gone], &Histograms::default(), 10.0, None);
        assert_eq!(r.bots[1].deltas_per_s, None);
        assert_eq!(r.bots[1].tick_coverage, Some(10.0 / 300.0));
        assert_eq!(r.per_client.deltas_per_s.min, Some(30.0), "not 0");
        assert_eq!(r.connections.drop_rate, Some(0.5));
    }

    #[test]
    fn drops_fail_the_run_unless_tolerated_and_all_dropped_is_not_run() {
        let dropped = |index| BotOutcome {
            index,
            tick_rate: Some(30),
            measured_secs: 10.0,
            inputs_in_window: 300,
            dropped: Some(crate::stats::Dropped {
                code: Some(1001),
                reason: "server shutting down".into(),
            }),
            ..BotOutcome::default()
        };
        let kept = |index| BotOutcome {
            dropped: None,
            ..dropped(index)
        };
        let base = config(Duration::from_millis(1), None);
        let verdict = |config: &Config, bots: &[BotOutcome]| {
            Report::build(config, bots, &Histograms::default(), 10.0, None).verdict
        };
        let v = verdict(&base, &[kept(0), kept(1)]);
        assert_eq!(v.exit_code, ExitCode::Ok, "{v:?}");
        let v = verdict(&base, &[kept(0), dropped(1)]);
        assert_eq!(v.exit_code, ExitCode::Failed, "{v:?}");
        assert!(v.reasons[0].contains("1 of 2 bots were dropped"), "{v:?}");
        let mut tolerant = base.clone();
        tolerant.thresholds.max_drop_rate = Some(0.5);
        assert_eq!(
            verdict(&tolerant, &[kept(0), dropped(1)]).exit_code,
            ExitCode::Ok
        );
        tolerant.thresholds.max_drop_rate = Some(0.4);
        assert_eq!(
            verdict(&tolerant, &[kept(0), dropped(1)]).exit_code,
            ExitCode::Failed
        );
        let v = verdict(&tolerant, &[dropped(0), dropped(1)]);
        assert_eq!(v.exit_code, ExitCode::NotRun, "{v:?}");
        assert!(
            v.reasons[0].contains("all 2 bots that joined were dropped"),
            "{v:?}"
        );
    }

    #[test]
    fn a_close_reason_that_is_the_codes_meaning_is_shown_once() {
        let dropped = |index, code, reason: &str| BotOutcome {
            index,
            tick_rate: Some(30),
            measured_secs: 10.0,
            dropped: Some(crate::stats::Dropped {
                code: Some(code),
                reason: reason.into(),
            }),
            ..BotOutcome::default()
        };
        let bots = [
            dropped(0, 4001, "kicked by the operator"),
            dropped(1, 4001, "team killing"),
        ];
        let r = Report::build(
            &config(Duration::from_millis(1), None),
            &bots,
            &Histograms::default(),
            10.0,
            None,
        );
        let table = crate::table::render(&r);
        assert!(
            table.contains("1 × 4001 kicked by the operator\n"),
            "{table}"
        );
        assert!(
            table.contains("1 × 4001 kicked by the operator: team killing\n"),
            "{table}"
        );
    }

    #[test]
    fn a_run_that_ended_early_says_how_long_it_ran() {
        let played = BotOutcome {
            tick_rate: Some(30),
            measured_secs: 2.0,
            ..BotOutcome::default()
        };
        let mut c = config(Duration::from_millis(1), None);
        (c.ramp, c.warmup, c.duration) = (
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(20),
        );
        let r = Report::build(
            &c,
            std::slice::from_ref(&played),
            &Histograms::default(),
            4.3,
            None,
        );
        let table = crate::table::render(&r);
        assert!(
            table.contains("window 20.0 s")
                && table.contains("the run ended after 4.3 s of the 23.0 s planned"),
            "{table}"
        );
        // Past the first line (which holds the URL), the report fits an 80-column terminal.
        assert!(
            table.lines().skip(1).all(|l| l.chars().count() <= 80),
            "{table}"
        );
        let r = Report::build(&c, &[played], &Histograms::default(), 23.2, None);
        let table = crate::table::render(&r);
        assert!(!table.contains("the run ended after"), "{table}");
    }

    #[test]
    fn after_a_followed_rate_change_the_checks_use_the_fastest_rate() {
        // 30 Hz at the start, then 60: a 20 ms look is too coarse for the 16.7 ms period of the second half.
        let changed = BotOutcome {
            tick_rate: Some(30),
            tick_rate_changes: vec![60],
            measured_secs: 10.0,
            inputs_in_window: 450,
            ..BotOutcome::default()
        };
        let r = Report::build(
            &config(Duration::from_millis(20), None),
            &[changed],
            &Histograms::default(),
            10.0,
            None,
        );
        assert!(
            r.verdict.warnings.iter().any(|w| w.contains("then 60 Hz")),
            "{:?}",
            r.verdict.warnings
        );
        assert!(
            r.verdict
                .warnings
                .iter()
                .any(|w| w.contains("--look-every 20 ms is longer than the input period (16.7 ms)")),
            "{:?}",
            r.verdict.warnings
        );
    }

    #[test]
    fn a_run_that_kept_up_has_no_warnings() {
        let r = report(config(Duration::from_millis(1), None), 30.0, 400);
        assert_eq!(r.verdict.warnings, Vec::<String>::new());
        assert_eq!(r.run.look_every_ms, 1.0);
        // A look shorter than the 33 ms input period is fine too.
        let r = report(config(Duration::from_millis(20), None), 30.0, 19_000);
        assert_eq!(r.verdict.warnings, Vec::<String>::new());
    }

    #[test]
    fn late_timers_with_a_fine_look_blame_the_cpu() {
        let r = report(config(Duration::from_millis(1), None), 20.0, 50_000);
        let w = &r.verdict.warnings;
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("short of CPU"), "{w:?}");
        assert!(w[1].contains("may be short of CPU"), "{w:?}");
        assert!(!w.iter().any(|w| w.contains("--look-every")), "{w:?}");
    }

    #[test]
    fn a_look_coarser_than_the_input_period_is_named_not_the_cpu() {
        // 100 Hz inputs are 10 ms apart; a 20 ms look sends at most one input per look.
        let r = report(config(Duration::from_millis(20), Some(100.0)), 50.0, 19_000);
        let w = &r.verdict.warnings;
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains("--look-every 20 ms is longer than the input period (10.0 ms)"),
            "{w:?}"
        );
        assert!(w[1].contains("look period is too coarse"), "{w:?}");
        assert!(!w.iter().any(|w| w.contains("short of CPU")), "{w:?}");
    }

    #[test]
    fn tick_timing_warns_of_a_short_warm_up_and_of_missed_reads() {
        let mut c = config(Duration::from_millis(1), None);
        c.input_timing = crate::InputTiming::Tick;
        c.warmup = Duration::from_secs(3);
        let r = report(c.clone(), 30.0, 400);
        let none = Vec::<String>::new();
        assert_eq!(r.verdict.warnings, none, "60 inputs at 30 Hz fit");
        c.warmup = Duration::from_secs(1);
        let r = report(c.clone(), 30.0, 400);
        let w = &r.verdict.warnings;
        assert!(
            w.len() == 1
                && w[0].contains("about 60 inputs (2.0 s here)")
                && w[0].contains("--warmup 2s"),
            "{w:?}"
        );
        // 3 of 100 acknowledged inputs late, the bots' timers on time: the server moved.
        c.warmup = Duration::from_secs(5);
        let bot = BotOutcome {
            tick_rate: Some(30),
            measured_secs: 10.0,
            inputs_in_window: 300,
            inputs_late: 3,
            ..BotOutcome::default()
        };
        let late = |lag_us| {
            let mut hist = Histograms::default();
            for _ in 0..100 {
                hist.timer_lag_us.record(lag_us);
                hist.input_latency_us.record(5_000);
            }
            Report::build(&c, std::slice::from_ref(&bot), &hist, 10.0, None)
                .verdict
                .warnings
        };
        let w = late(400);
        assert!(
            w.len() == 1
                && w[0].contains("3.00 % of the inputs missed the read")
                && w[0].contains("the bots sent on time, so the server's read came earlier"),
            "{w:?}"
        );
        // The bots' timers 9 ms late: their fault.
        let w = late(9_000);
        assert!(
            w.iter()
                .any(|w| w.contains("the bots' timers fired late (p99 9.0 ms)")),
            "{w:?}"
        );
    }
}
