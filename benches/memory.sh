#!/usr/bin/env bash
# Memory slope: the server's resident memory per connection between two connection counts.
#
#   benches/memory.sh [LOW] [HIGH]     default 1000 and 5000
#
# Starts the release server (pinned to CPU 0, --max-clients HIGH+1000), connects LOW bots (one tickwire-bots
# process, pinned to CPU 1), waits SETTLE seconds, reads VmRSS from /proc/PID/status (the median of 5 readings
# 0.5 s apart) and the server's open descriptors; then connects HIGH-LOW more bots in a second process and reads
# again. Prints one line: KB per connection = (RSS at HIGH - RSS at LOW) / (HIGH - LOW).
#
# Environment: BEHAVIOUR (idle by default: connected spectators that only ping; wander for active players),
# DECODERS (bots keeping a full mirror; default 1), SETTLE (default 5 s), RAMP_RATE (connections per second,
# default 500), TICK_RATE (default 30), NO_BUILD=1 to skip the build, KEEP=DIR to keep the logs.
# Needs: cargo, taskset (util-linux), awk. Raises the open-file limit to 20000 (the bots raise their own).
set -euo pipefail
cd "$(dirname "$0")/.."

LOW=${1:-1000}
HIGH=${2:-5000}
BEHAVIOUR=${BEHAVIOUR:-idle}
DECODERS=${DECODERS:-1}
SETTLE=${SETTLE:-5}
RAMP_RATE=${RAMP_RATE:-500}
TICK_RATE=${TICK_RATE:-30}
export TICKWIRE_SKIP_WEB_BUILD=1
ulimit -n 20000

if [ "${NO_BUILD:-}" != 1 ]; then
    cargo build --release -q -p tickwire-server -p tickwire-bots
fi
SERVER_BIN=target/release/tickwire-server
BOTS_BIN=target/release/tickwire-bots

WORK=$(mktemp -d)
SERVER_PID=""
BOTS_A=""
BOTS_B=""
cleanup() {
    # Stop exactly the processes this script started.
    for pid in $BOTS_A $BOTS_B; do kill "$pid" 2>/dev/null || true; done
    for pid in $BOTS_A $BOTS_B; do wait "$pid" 2>/dev/null || true; done
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && wait "$SERVER_PID" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/* "$KEEP"/; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
rss_median() {
    local v=()
    for _ in 1 2 3 4 5; do v+=("$(rss_kb "$1")"); sleep 0.5; done
    printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

RUST_LOG=warn,tickwire_server=info taskset -c 0 "$SERVER_BIN" --bind 127.0.0.1:0 --tick-rate "$TICK_RATE" \
    --max-clients $(( HIGH + 1000 )) 2> "$WORK/server.log" &
SERVER_PID=$!
PORT=""
for _ in $(seq 100); do
    PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$WORK/server.log" | grep -o '[0-9]*$' || true)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "server exited" >&2; exit 2; }
    sleep 0.05
done
[ -n "$PORT" ] || { echo "no 'listening on' line from the server" >&2; exit 2; }
sleep 0.5
RSS0=$(rss_median "$SERVER_PID")

# bots N SEED LOG: N bots that stay connected far longer than the measurement.
bots() {
    local n=$1 seed=$2 log=$3 ramp
    ramp=$(( n / RAMP_RATE > 1 ? n / RAMP_RATE : 1 ))
    taskset -c 1 "$BOTS_BIN" --url "ws://127.0.0.1:$PORT/ws" --clients "$n" --ramp "${ramp}s" --duration 3600s \
        --decoders "$DECODERS" --behaviour "$BEHAVIOUR" --seed "$seed" --quiet > "$log.txt" 2> "$log.log" &
    echo $!
}
wait_level() {
    local n=$1
    sleep "$(( n / RAMP_RATE > 1 ? n / RAMP_RATE : 1 ))"
    sleep "$SETTLE"
}

BOTS_A=$(bots "$LOW" 0 "$WORK/bots-low")
wait_level "$LOW"
RSS1=$(rss_median "$SERVER_PID"); FD1=$(fds "$SERVER_PID")
BOTS_B=$(bots $(( HIGH - LOW )) "$LOW" "$WORK/bots-high")
wait_level $(( HIGH - LOW ))
RSS2=$(rss_median "$SERVER_PID"); FD2=$(fds "$SERVER_PID")
for pid in $BOTS_A $BOTS_B; do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK"/bots-*.log >&2; echo "a bots process exited early" >&2; exit 2; }
done

awk -v b="$BEHAVIOUR" -v lo="$LOW" -v hi="$HIGH" -v r0="$RSS0" -v r1="$RSS1" -v r2="$RSS2" -v f1="$FD1" -v f2="$FD2" \
    -v hz="$TICK_RATE" 'BEGIN {
    printf "behaviour=%s tick_hz=%d low=%d high=%d server_fds_low=%d server_fds_high=%d rss_empty_kb=%d rss_low_kb=%d rss_high_kb=%d kb_per_conn_0_low=%.1f kb_per_conn_low_high=%.1f\n",
        b, hz, lo, hi, f1, f2, r0, r1, r2, (r1 - r0) / lo, (r2 - r1) / (hi - lo)
}'
