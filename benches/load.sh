#!/usr/bin/env bash
# Load scenario: the release server on 127.0.0.1:0 (pinned to CPU 0) loaded by N tickwire-bots (pinned to CPU 1),
# measuring the server's CPU time from /proc over a steady window. Prints one line of figures.
#
#   benches/load.sh N [SECONDS]        N bots, a steady window of SECONDS (default 20)
#
# Phases: the bots connect over RAMP seconds, settle for SETTLE seconds, then the window opens; the server's
# utime+stime (all threads, /proc/PID/stat) is read when the window opens and when it closes. The bots measure
# the same window (their --warmup is the settle time), so every figure describes the same seconds.
#
# Environment: RAMP (default: N/200 s, at least 1), SETTLE (default 5), DECODERS (bots that keep a full
# mirror; default N up to 200, else 50), BEHAVIOUR (default wander), TICK_RATE (default 30), NO_BUILD=1 to
# skip the build, KEEP=DIR to keep the logs and the JSON report there, NICE=-10 to run both processes at a
# higher scheduling priority (as root) when other work shares the machine, SERVER_BIN / BOTS_BIN to run other
# binaries (a saved build, for a before/after comparison in the same hour).
# Needs: cargo, taskset (util-linux), awk, python3 (reads the JSON report); the helpers in benches/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:?usage: benches/load.sh N [SECONDS]}
WINDOW=${2:-20}
RAMP=${RAMP:-$(( N / 200 > 1 ? N / 200 : 1 ))}
SETTLE=${SETTLE:-5}
BEHAVIOUR=${BEHAVIOUR:-wander}
TICK_RATE=${TICK_RATE:-30}
if [ -z "${DECODERS:-}" ]; then DECODERS=$(( N <= 200 ? N : 50 )); fi
export TICKWIRE_SKIP_WEB_BUILD=1
PROFILE=release
. benches/lib.sh
build_bins

WORK=$(mktemp -d)
SERVER_PID=""
BOTS_PID=""
cleanup() {
    # Stop exactly the processes this script started.
    stop_pid "$BOTS_PID" "$SERVER_PID"
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/* "$KEEP"/; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

start_server "$WORK/server.log" --tick-rate "$TICK_RATE" --max-clients $(( N + 100 > 1024 ? N + 100 : 1024 ))
sleep 0.5
RSS_IDLE=$(rss_kb "$SERVER_PID")

set +e
"${PRIO[@]}" taskset -c 1 "$BOTS_BIN" --url "ws://127.0.0.1:$PORT/ws" --clients "$N" --ramp "${RAMP}s" --warmup "${SETTLE}s" \
    --duration "${WINDOW}s" --decoders "$DECODERS" --behaviour "$BEHAVIOUR" --quiet \
    --json "$WORK/report.json" > "$WORK/bots.txt" 2> "$WORK/bots.log" &
BOTS_PID=$!
set -e
START=$(now_ns)
# The window opens RAMP+SETTLE after the bots start; stay 0.25 s inside it at both ends.
sleep "$(awk "BEGIN { print $RAMP + $SETTLE + 0.25 }")"
S0=$(cpu_ticks "$SERVER_PID"); B0=$(cpu_ticks "$BOTS_PID"); T0=$(now_ns)
sleep "$(awk "BEGIN { print $WINDOW - 0.5 }")"
S1=$(cpu_ticks "$SERVER_PID"); B1=$(cpu_ticks "$BOTS_PID"); T1=$(now_ns)
RSS_END=$(rss_kb "$SERVER_PID")
set +e
wait "$BOTS_PID"
BOTS_EXIT=$?
set -e
BOTS_PID=""
[ -s "$WORK/report.json" ] || { cat "$WORK/bots.log" >&2; echo "the bots wrote no report" >&2; exit 2; }

python3 - "$WORK/report.json" "$N" "$TICK_RATE" "$HZ" "$S0" "$S1" "$B0" "$B1" "$T0" "$T1" \
    "$RSS_IDLE" "$RSS_END" "$BOTS_EXIT" "$DECODERS" <<'EOF'
import json, sys
(path, n, tick_hz, hz, s0, s1, b0, b1, t0, t1, rss_idle, rss_end, bots_exit, decoders) = sys.argv[1:]
r = json.load(open(path))
n, tick_hz, hz = int(n), int(tick_hz), int(hz)
wall = (int(t1) - int(t0)) / 1e9
server_cpu = (int(s1) - int(s0)) / hz
bots_cpu = (int(b1) - int(b0)) / hz
pc = r["per_client"]
bytes_s = pc["bytes_received_per_s"]["mean"] or 0.0
patches = pc["deltas_per_s"]["mean"] or 0.0
delta_mean = r["delta_bytes"]["mean"] or 0.0
header = 2 if delta_mean < 126 else (4 if delta_mean < 65536 else 10)
lat = r["input_latency_ms"]
fields = [
    ("clients", n),
    ("tick_hz", tick_hz),
    ("decoders", decoders),
    ("server_cpu_us_per_client_tick", f"{server_cpu * 1e6 / (wall * tick_hz) / n:.2f}"),
    ("server_cpu_pct", f"{100 * server_cpu / wall:.1f}"),
    ("bytes_per_client_s", f"{bytes_s:.0f}"),
    ("wire_bytes_per_client_s", f"{bytes_s + patches * header:.0f}"),
    ("patches_per_client_s", f"{patches:.2f}"),
    ("min_client_patches_s", f"{pc['deltas_per_s']['min'] or 0:.2f}"),
    ("input_latency_p50_ms", f"{lat['p50'] or 0:.1f}"),
    ("input_latency_p99_ms", f"{lat['p99'] or 0:.1f}"),
    ("missed_ticks", r["missed_ticks"]["total"]),
    ("protocol_errors", r["protocol_errors"]["total"]),
    ("dropped", r["connections"]["dropped"]),
    ("bots_cpu_pct", f"{100 * bots_cpu / wall:.1f}"),
    ("bots_cpu_us_per_bot_tick", f"{bots_cpu * 1e6 / (wall * tick_hz) / n:.2f}"),
    ("bots_timer_lag_p99_ms", f"{r['timer_lag_ms']['p99'] or 0:.1f}"),
    ("server_rss_mb", f"{int(rss_end) / 1024:.1f}"),
    ("rss_kb_per_client", f"{(int(rss_end) - int(rss_idle)) / n:.1f}"),
    ("bots_exit", bots_exit),
]
print(" ".join(f"{k}={v}" for k, v in fields))
EOF
