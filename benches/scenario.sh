#!/usr/bin/env bash
# The side-by-side load scenarios of docs/scenarios/crowd.md ("crowd") and the Gaffer scene ("gaffer"):
# the release server on 127.0.0.1:0 pinned to CPU 0, tickwire-bots pinned to CPU 1 (taskset), all N clients
# join, settle, then a steady window over which the server's CPU (utime+stime of all threads, /proc/PID/stat) and
# RSS (/proc/PID/status), the bots' CPU, and the bots' per-client figures are taken. Prints the one line
# crowd.md defines (same names, same units) on stdout; details and diagnostics go to stderr.
#
#   benches/scenario.sh [--force] crowd|gaffer N [SECONDS]     N clients, a steady window of SECONDS (default 20)
#
# crowd:  `--scenario crowd` (30 Hz), the bots' `crowd` behaviour (30 Hz inputs, mulberry32 seeded k + 1).
# gaffer: `--scenario gaffer` (60 Hz, 900 cubes, 90 moving), the bots only watch (`idle`).
#
# The run is refused (a message instead of the line, exit 3) when the load generator was the bottleneck: the
# bots' process used >= 90 % of its core over the window, or a client got fewer deltas per second than the
# scenario's floor (28 for crowd, 56 for gaffer) while the bots' own timers ran more than a tick late (timer-lag
# p99) and their core (CPU 1, /proc/stat) was >= 90 % busy, with the bots or with other work. A shortfall while
# the bots' core had room is the server's and is reported (with a note on stderr). `--force` (or FORCE=1) prints
# a refused line anyway, with `forced=<reason>` appended. Bots that could not all join, dropped, or saw protocol
# errors also refuse the run (exit 2 / 1), forced or not.
#
# Environment: RAMP (seconds over which the bots start; default N/200, at least 1), SETTLE (default 5),
# DECODERS (bots that keep a full mirror; default N up to 200, else 50), MAX_CLIENTS (default max(1024, N+100)),
# PROFILE (release, or debug for a quick check with the test build), NO_BUILD=1 to skip the build, KEEP=DIR to
# keep the logs and the JSON report, NICE=-10 to raise both processes' priority (as root).
# A figure that was not measured (no samples: the gaffer's idle bots send no inputs, so there is no input latency)
# prints as n/a, never as 0. Exit status 2 for a missing or malformed argument, before anything is built.
# Needs: cargo, taskset (util-linux), awk, python3; the helpers in benches/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

FORCE=${FORCE:-}
if [ "${1:-}" = --force ]; then FORCE=1; shift; fi
USAGE="usage: benches/scenario.sh [--force] crowd|gaffer N [SECONDS]"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then echo "$USAGE" >&2; exit 2; fi
SCENARIO=$1
N=$2
WINDOW=${3:-20}
case "$SCENARIO" in
    crowd) TICK_HZ=30; BEHAVIOUR=crowd; MIN_PATCHES=28 ;;
    gaffer) TICK_HZ=60; BEHAVIOUR=idle; MIN_PATCHES=56 ;;
    *) echo "$USAGE (the scenario is crowd or gaffer, not '$SCENARIO')" >&2; exit 2 ;;
esac
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "$USAGE (N is a positive integer, not '$N')" >&2; exit 2; }
[[ "$WINDOW" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk "BEGIN { exit !($WINDOW > 0) }" \
    || { echo "$USAGE (SECONDS is a number above 0, not '$WINDOW')" >&2; exit 2; }
RAMP=${RAMP:-$(( N / 200 > 1 ? N / 200 : 1 ))}
SETTLE=${SETTLE:-5}
if [ -z "${DECODERS:-}" ]; then DECODERS=$(( N <= 200 ? N : 50 )); fi
MAX_CLIENTS=${MAX_CLIENTS:-$(( N + 100 > 1024 ? N + 100 : 1024 ))}
export TICKWIRE_SKIP_WEB_BUILD=1
. benches/lib.sh
build_bins

WORK=$(mktemp -d)
SERVER_PID=""
BOTS_PID=""
cleanup() {
    # Stop exactly the processes this script started, by their ids.
    stop_pid "$BOTS_PID"
    stop_pid "$SERVER_PID"
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/* "$KEEP"/ 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# taskset and nice exec the program, so $! is the bots' own process id.
start_server "$WORK/server.log" --scenario "$SCENARIO" --tick-rate "$TICK_HZ" --max-clients "$MAX_CLIENTS"
sleep 0.5
RSS_IDLE=$(rss_kb "$SERVER_PID")

"${PRIO[@]}" taskset -c 1 "$BOTS_BIN" --url "ws://127.0.0.1:$PORT/ws" --clients "$N" --ramp "${RAMP}s" \
    --warmup "${SETTLE}s" --duration "${WINDOW}s" --decoders "$DECODERS" --behaviour "$BEHAVIOUR" --quiet \
    --json "$WORK/report.json" > "$WORK/bots.txt" 2> "$WORK/bots.log" &
BOTS_PID=$!
START=$(now_ns)
# Sleeps until START + $1 seconds (absolute deadlines: a loaded machine delays each step, and delays must not add
# up past the bots' own end).
sleep_until() { local left; left=$(awk "BEGIN { d = $1 - ($(now_ns) - $START) / 1e9; print (d > 0 ? d : 0) }"); sleep "$left"; }
alive() { kill -0 "$BOTS_PID" 2>/dev/null || { cat "$WORK/bots.log" >&2; echo "the bots ended before the window was read" >&2; exit 2; }; }
# The bots' window opens RAMP+SETTLE after they start and lasts WINDOW; read /proc 0.25 s after it opens and
# 0.75 s before it closes.
sleep_until "$(awk "BEGIN { print $RAMP + $SETTLE + 0.25 }")"
alive
S0=$(cpu_ticks "$SERVER_PID"); B0=$(cpu_ticks "$BOTS_PID"); C0=$(cpu_busy); T0=$(now_ns)
sleep_until "$(awk "BEGIN { print $RAMP + $SETTLE + $WINDOW - 0.75 }")"
alive
S1=$(cpu_ticks "$SERVER_PID"); B1=$(cpu_ticks "$BOTS_PID"); C1=$(cpu_busy); T1=$(now_ns)
RSS_END=$(rss_kb "$SERVER_PID")
BOTS_EXIT=0
wait "$BOTS_PID" || BOTS_EXIT=$?
BOTS_PID=""
[ -s "$WORK/report.json" ] || { cat "$WORK/bots.log" >&2; echo "the bots wrote no report" >&2; exit 2; }

python3 benches/scenario_line.py "$WORK/report.json" "$N" "$TICK_HZ" "$MIN_PATCHES" "$HZ" "$S0" "$S1" \
    "$B0" "$B1" "$T0" "$T1" "$RSS_IDLE" "$RSS_END" "$BOTS_EXIT" "$DECODERS" "${FORCE:-0}" "$C0" "$C1"
