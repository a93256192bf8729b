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
# mirror; default N up to 200, else 50), BEHAVIOUR (default wander), TICK_RATE (default 30), MAP (a map file for
# the server, e.g. benches/maps/field.toml for thousands of players), SERVER_BIN, SERVER_ARGS and BOTS_ARGS (more flags for
# either), NO_BUILD=1 to skip the build,
# KEEP=DIR to keep the logs and the JSON report there, NICE=-10 to run both processes at a higher scheduling
# priority (as root) when other work shares the machine, FLOOR=0 to skip the floor measurement, BOTS_BIN to run
# other bots (a saved build, for a before/after comparison in the same hour).
#
# Besides the bots' figures, the line gives the server's own: tick duration p99 (and as % of the tick budget),
# tick-start lateness p99, the fan-out writer's time per tick p99 and the read pass's p99 (the server's last-minute gauges, read when
# the window closes), and the overruns, whole-tick fan-out skips and per-client frame skips inside the window
# (/metrics counters). After the run, with the server stopped, benches/floor.rs measures the write floor on the
# same machine: N loopback sockets, one write of the run's mean delta size each per tick, readers waiting in epoll;
# server_vs_floor = server CPU per client per tick / floor per write; server_delta_vs_floor divides by the deltas
# actually delivered instead (the two differ when the writer skips ticks). tick_thread: the policy the server logged.
# A figure that was not measured (no samples: idle bots acknowledge no input; a /metrics page that could not be read)
# is printed as n/a, never as 0. Exit status 2 for a missing or malformed N or SECONDS, before anything is built.
# Needs: cargo, taskset (util-linux), awk, python3 (benches/load_line.py reads the JSON report and prints the line);
# the helpers in benches/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

USAGE="usage: benches/load.sh N [SECONDS]"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "$USAGE" >&2; exit 2; fi
N=$1
WINDOW=${2:-20}
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "$USAGE (N is a positive integer, not '$N')" >&2; exit 2; }
[[ "$WINDOW" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk "BEGIN { exit !($WINDOW > 0) }" \
    || { echo "$USAGE (SECONDS is a number above 0, not '$WINDOW')" >&2; exit 2; }
RAMP=${RAMP:-$(( N / 200 > 1 ? N / 200 : 1 ))}
SETTLE=${SETTLE:-5}
BEHAVIOUR=${BEHAVIOUR:-wander}
TICK_RATE=${TICK_RATE:-30}
if [ -z "${DECODERS:-}" ]; then DECODERS=$(( N <= 200 ? N : 50 )); fi
export TICKWIRE_SKIP_WEB_BUILD=1
PROFILE=release
. benches/lib.sh
build_bins
if [ "${NO_BUILD:-}" != 1 ] && [ "${FLOOR:-1}" = 1 ]; then cargo bench -q --bench floor --no-run 2>/dev/null; fi

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

# The server's /metrics page (tick timing gauges, overrun and skip counters) into a file.
scrape() {
    python3 -c "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$PORT/metrics', timeout=5).read().decode())" \
        > "$1" 2>/dev/null || : > "$1"
}
MAP_ARGS=()
if [ -n "${MAP:-}" ]; then MAP_ARGS=(--map "$MAP"); fi
# SERVER_ARGS: more server flags, e.g. SERVER_ARGS="--scheduling normal" for an A/B of the thread scheduling.
read -r -a EXTRA_ARGS <<< "${SERVER_ARGS:-}"
start_server "$WORK/server.log" --tick-rate "$TICK_RATE" --max-clients $(( N + 100 > 1024 ? N + 100 : 1024 )) \
    "${MAP_ARGS[@]}" "${EXTRA_ARGS[@]}"
TICK_THREAD=$(grep -o 'tick_thread=[A-Za-z_]*' "$WORK/server.log" | head -1 | cut -d= -f2 || true)
sleep 0.5
RSS_IDLE=$(rss_kb "$SERVER_PID")

# BOTS_ARGS: more bots flags, e.g. BOTS_ARGS="--look-every 4ms".
read -r -a EXTRA_BOTS_ARGS <<< "${BOTS_ARGS:-}"
set +e
"${PRIO[@]}" taskset -c 1 "$BOTS_BIN" --url "ws://127.0.0.1:$PORT/ws" --clients "$N" --ramp "${RAMP}s" --warmup "${SETTLE}s" \
    --duration "${WINDOW}s" --decoders "$DECODERS" --behaviour "$BEHAVIOUR" --quiet "${EXTRA_BOTS_ARGS[@]}" \
    --json "$WORK/report.json" > "$WORK/bots.txt" 2> "$WORK/bots.log" &
BOTS_PID=$!
set -e
START=$(now_ns)
# The window opens RAMP+SETTLE after the bots start; stay 0.25 s inside it at both ends.
sleep "$(awk "BEGIN { print $RAMP + $SETTLE + 0.25 }")"
scrape "$WORK/metrics0.txt"
S0=$(cpu_ticks "$SERVER_PID"); B0=$(cpu_ticks "$BOTS_PID"); T0=$(now_ns)
# Until 0.25 s before the window closes, however long the scrape took.
sleep "$(awk -v start="$START" -v now="$(now_ns)" \
    "BEGIN { s = $RAMP + $SETTLE + $WINDOW - 0.25 - (now - start) / 1e9; print (s > 0 ? s : 0) }")"
S1=$(cpu_ticks "$SERVER_PID"); B1=$(cpu_ticks "$BOTS_PID"); T1=$(now_ns)
scrape "$WORK/metrics1.txt"
RSS_END=$(rss_kb "$SERVER_PID")
set +e
wait "$BOTS_PID"
BOTS_EXIT=$?
set -e
BOTS_PID=""
[ -s "$WORK/report.json" ] || { cat "$WORK/bots.log" >&2; echo "the bots wrote no report" >&2; exit 2; }
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

# The write floor in the same run: the same number of loopback sockets, the measured mean delta size and the
# same tick rate, readers waiting in epoll (benches/floor.rs). FLOOR=0 skips it.
FLOOR_LINE=""
if [ "${FLOOR:-1}" = 1 ]; then
    # No delta received, no mean size: no floor to compare with (the line says n/a).
    DELTA_BYTES=$(python3 -c "import json; m = json.load(open('$WORK/report.json'))['delta_bytes']['mean']; print(int(m) if m else '')")
    FLOOR_BIN=$(ls -t target/release/deps/floor-* 2>/dev/null | grep -v '\.d$' | head -1 || true)
    if [ -n "$FLOOR_BIN" ] && [ -n "$DELTA_BYTES" ]; then
        FLOOR_LINE=$("$FLOOR_BIN" "$N" "$DELTA_BYTES" "$TICK_RATE" 5 2>/dev/null | grep '^floor' || true)
    fi
fi

python3 benches/load_line.py "$WORK/report.json" "$N" "$TICK_RATE" "$HZ" "$S0" "$S1" "$B0" "$B1" "$T0" "$T1" \
    "$RSS_IDLE" "$RSS_END" "$BOTS_EXIT" "$DECODERS" "$WORK/metrics0.txt" "$WORK/metrics1.txt" "$FLOOR_LINE" \
    "${TICK_THREAD:-unknown}"
