# Helpers shared by benches/load.sh, benches/memory.sh and benches/scenario.sh: building the binaries, starting
# the pinned server and waiting for its port, and reading CPU time and memory from /proc. Sourced, not run:
#
#   . "$(dirname "$0")/lib.sh"      (after `cd` to the repository root, which every script does first)
#
# Scripts that source it may set NICE (scheduling priority of the processes they start, as root) and PROFILE
# (release, the default, or debug) before calling these. SERVER_BIN and BOTS_BIN run other binaries than the
# build's (say, a saved copy of the bots from before a change, to compare both on the same machine and hour).
# shellcheck shell=bash

HZ=$(getconf CLK_TCK)
PROFILE=${PROFILE:-release}
SERVER_BIN=${SERVER_BIN:-target/$PROFILE/tickwire-server}
BOTS_BIN=${BOTS_BIN:-target/$PROFILE/tickwire-bots}
PRIO=()
if [ -n "${NICE:-}" ]; then PRIO=(nice -n "$NICE"); fi

# build_bins: builds the server and the bots for $PROFILE, unless NO_BUILD=1.
build_bins() {
    [ "${NO_BUILD:-}" = 1 ] && return 0
    if [ "$PROFILE" = release ]; then
        cargo build --release -q -p tickwire-server -p tickwire-bots
    else
        cargo build -q -p tickwire-server -p tickwire-bots
    fi
}

# utime+stime of a process (all threads) in clock ticks ($HZ per second), and its resident memory in KiB.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# The median of 5 RSS readings 0.5 s apart.
rss_median() {
    local v=()
    for _ in 1 2 3 4 5; do v+=("$(rss_kb "$1")"); sleep 0.5; done
    printf '%s\n' "${v[@]}" | sort -n | sed -n 3p
}
# Open file descriptors of a process.
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
now_ns() { date +%s%N; }
# Busy (non-idle, non-iowait) and irq+softirq clock ticks of CPUs 0 and 1 from /proc/stat, to tell whether a
# pinned process was short of CPU because other work (or the kernel's loopback TCP) shared its core.
cpu_busy() { awk '/^cpu[01] / { printf "%d,%d ", $2 + $3 + $4 + $7 + $8 + $9, $7 + $8 }' /proc/stat; }

# start_server LOG ARGS...: starts the server on 127.0.0.1:0 pinned to CPU 0 with ARGS, its log in LOG; sets
# SERVER_PID (taskset and nice exec the program, so it is the server's own process id) and, once the server logs
# its address, PORT. Exits 2 when the server dies or never says where it listens.
start_server() {
    local log=$1
    shift
    NO_COLOR=1 RUST_LOG=warn,tickwire_server=info "${PRIO[@]}" taskset -c 0 "$SERVER_BIN" --bind 127.0.0.1:0 "$@" \
        2> "$log" &
    SERVER_PID=$!
    PORT=""
    for _ in $(seq 200); do
        PORT=$(grep -so 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        [ -n "$PORT" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; echo "the server exited" >&2; exit 2; }
        sleep 0.05
    done
    [ -n "$PORT" ] || { echo "no 'listening on' line from the server" >&2; exit 2; }
}

# stop_pid PID...: stops exactly these processes (started by the script) and reaps them.
stop_pid() {
    local pid
    for pid in "$@"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    for pid in "$@"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
}
