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
# default 500), TICK_RATE (default 30), MAP (default benches/maps/field.toml: an 8000 x 8000 field where thousands
# of joined players spread out and come to rest; the default 1600 x 1000 arena holds about 1,500 players body to
# body, so beyond that "idle" players jostle forever and every client's delta grows with N), SERVER_BIN (default
# the release build), NO_BUILD=1 to skip the build, KEEP=DIR to keep the logs.
# Needs: cargo, taskset (util-linux), awk; the helpers in benches/lib.sh. Raises the open-file limit to 20000 (the bots raise their own).
set -euo pipefail
cd "$(dirname "$0")/.."

USAGE="usage: benches/memory.sh [LOW] [HIGH]"
if [ $# -gt 2 ]; then echo "$USAGE" >&2; exit 2; fi
LOW=${1:-1000}
HIGH=${2:-5000}
[[ "$LOW" =~ ^[1-9][0-9]*$ && "$HIGH" =~ ^[1-9][0-9]*$ ]] && [ "$LOW" -lt "$HIGH" ] \
    || { echo "$USAGE (positive integers, LOW below HIGH; not '$LOW' '$HIGH')" >&2; exit 2; }
BEHAVIOUR=${BEHAVIOUR:-idle}
DECODERS=${DECODERS:-1}
SETTLE=${SETTLE:-5}
RAMP_RATE=${RAMP_RATE:-500}
TICK_RATE=${TICK_RATE:-30}
MAP=${MAP:-benches/maps/field.toml}
export TICKWIRE_SKIP_WEB_BUILD=1
ulimit -n 20000
PROFILE=release
. benches/lib.sh
build_bins

WORK=$(mktemp -d)
SERVER_PID=""
BOTS_A=""
BOTS_B=""
cleanup() {
    # Stop exactly the processes this script started.
    stop_pid "$BOTS_A" "$BOTS_B"
    stop_pid "$SERVER_PID"
    if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$WORK"/* "$KEEP"/; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

start_server "$WORK/server.log" --tick-rate "$TICK_RATE" --max-clients $(( HIGH + 1000 )) --map "$MAP"
sleep 0.5
RSS0=$(rss_median "$SERVER_PID"); FD0=$(fds "$SERVER_PID")

# bots N SEED LOG: N bots that stay connected far longer than the measurement.
bots() {
    local n=$1 seed=$2 log=$3 ramp
    ramp=$(( n / RAMP_RATE > 1 ? n / RAMP_RATE : 1 ))
    taskset -c 1 "$BOTS_BIN" --url "ws://127.0.0.1:$PORT/ws" --clients "$n" --ramp "${ramp}s" --duration 3600s \
        --decoders "$DECODERS" --behaviour "$BEHAVIOUR" --seed "$seed" --quiet > "$log.txt" 2> "$log.log" &
    echo $!
}
# wait_level TOTAL: until the server holds TOTAL connections (or their number stops growing for 5 s, or 120 s
# pass), then SETTLE seconds more.
wait_level() {
    local total=$1 deadline=$(( SECONDS + 120 )) last=-1 still=0 n
    while [ "$SECONDS" -lt "$deadline" ]; do
        n=$(( $(fds "$SERVER_PID") - FD0 ))
        [ "$n" -ge "$total" ] && break
        if [ "$n" -eq "$last" ]; then still=$(( still + 1 )); [ "$still" -ge 5 ] && break; else still=0; fi
        last=$n
        sleep 1
    done
    sleep "$SETTLE"
}

BOTS_A=$(bots "$LOW" 0 "$WORK/bots-low")
wait_level "$LOW"
RSS1=$(rss_median "$SERVER_PID"); FD1=$(fds "$SERVER_PID")
BOTS_B=$(bots $(( HIGH - LOW )) "$LOW" "$WORK/bots-high")
wait_level "$HIGH"
RSS2=$(rss_median "$SERVER_PID"); FD2=$(fds "$SERVER_PID")
for pid in $BOTS_A $BOTS_B; do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK"/bots-*.log >&2; echo "a bots process exited early" >&2; exit 2; }
done

# The slope is taken over the connections the server really holds (its open descriptors), not the ones asked
# for: a server that cannot keep up with the joins has fewer, and the line says so.
awk -v b="$BEHAVIOUR" -v lo="$LOW" -v hi="$HIGH" -v r0="$RSS0" -v r1="$RSS1" -v r2="$RSS2" -v f0="$FD0" -v f1="$FD1" \
    -v f2="$FD2" -v hz="$TICK_RATE" 'BEGIN {
    c1 = f1 - f0; c2 = f2 - f0
    printf "behaviour=%s tick_hz=%d low=%d high=%d conns_low=%d conns_high=%d rss_empty_kb=%d rss_low_kb=%d rss_high_kb=%d kb_per_conn_0_low=%.1f kb_per_conn_low_high=%.1f%s\n",
        b, hz, lo, hi, c1, c2, r0, r1, r2, (r1 - r0) / c1, (r2 - r1) / (c2 - c1), (c2 < hi * 0.98 ? " short_of_high=1" : "")
}'
