#!/usr/bin/env python3
"""The figures of one benches/scenario.sh run: reads the bots' JSON report and the /proc readings the script
took, refuses runs whose load generator was the bottleneck, and prints crowd.md's one line on stdout (details on
stderr). Exit status: 0 printed, 1 the bots saw protocol errors or drops, 2 not every bot joined, 3 refused
(saturated bots) without --force. A figure that was not measured (no samples: idle bots acknowledge no input) prints
as n/a, never as 0."""
import json
import sys

(path, n, tick_hz, min_patches_floor, hz, s0, s1, b0, b1, t0, t1, rss_idle, rss_end, bots_exit, decoders,
 force, cpus0, cpus1) = sys.argv[1:]
r = json.load(open(path))
n, tick_hz, hz = int(n), int(tick_hz), int(hz)
min_patches_floor = float(min_patches_floor)
force = force not in ("", "0")


def err(msg):
    print(f"scenario.sh: {msg}", file=sys.stderr)


def fig(value, spec):
    """`value` formatted with `spec`, or n/a when there is none."""
    return "n/a" if value is None else format(value, spec)


c = r["connections"]
if int(bots_exit) == 2 or c["established"] < n:
    err(f"not run: {c['established']} of {n} bots joined ({c['failed_reasons']}); no figures")
    sys.exit(2)
if r["protocol_errors"]["total"] > 0 or c["dropped"] > 0:
    err(f"the bots saw {r['protocol_errors']['total']} protocol errors and {c['dropped']} drops "
        f"({r['protocol_errors']['examples'][:3]}, {c['dropped_reasons']}); no figures")
    sys.exit(1)

wall = (int(t1) - int(t0)) / 1e9
server_cpu = (int(s1) - int(s0)) / hz
bots_cpu = (int(b1) - int(b0)) / hz
pc = r["per_client"]
bytes_s = pc["bytes_received_per_s"]["mean"]
wire_s = (pc.get("wire_bytes_received_per_s") or {}).get("mean")
patches = pc["deltas_per_s"]["mean"]
min_patches = pc["deltas_per_s"]["min"]
bots_cpu_pct = 100 * bots_cpu / wall
lag_p99 = r["timer_lag_ms"]["p99"]
# How busy CPU 0 (the server's) and CPU 1 (the bots') were over the window, whoever used them.
def core_pct(a, b, i):
    return 100 * (int(b.split(",")[i]) - int(a.split(",")[i])) / hz / wall


cores = list(zip(cpus0.split(), cpus1.split()))
server_core_pct, bots_core_pct = ([core_pct(a, b, 0) for a, b in cores] + [0.0, 0.0])[:2]
server_softirq_pct, bots_softirq_pct = ([core_pct(a, b, 1) for a, b in cores] + [0.0, 0.0])[:2]
tick_ms = 1000.0 / tick_hz

fields = [
    ("clients", n),
    ("tick_hz", tick_hz),
    ("server_cpu_us_per_client_tick", f"{server_cpu * 1e6 / (wall * tick_hz) / n:.2f}"),
    ("server_cpu_pct", f"{100 * server_cpu / wall:.1f}"),
    ("bytes_per_client_s", fig(bytes_s, ".0f")),
    ("wire_bytes_per_client_s", fig(wire_s, ".0f")),
    ("patches_per_client_s", fig(patches, ".2f")),
    ("min_client_patches_s", fig(min_patches, ".2f")),
    ("bots_cpu_pct", f"{bots_cpu_pct:.1f}"),
    ("server_rss_mb", f"{int(rss_end) / 1024:.1f}"),
    ("server_rss_idle_mb", f"{int(rss_idle) / 1024:.1f}"),
    ("rss_kb_per_client", f"{(int(rss_end) - int(rss_idle)) / n:.1f}"),
]
err("details: " + " ".join([
    f"decoders={decoders}",
    f"window_s={wall:.2f}",
    f"bots_timer_lag_p99_ms={fig(lag_p99, '.1f')}",
    f"cpu0_busy_pct={server_core_pct:.1f}",
    f"cpu0_irq_pct={server_softirq_pct:.1f}",
    f"cpu1_busy_pct={bots_core_pct:.1f}",
    f"cpu1_irq_pct={bots_softirq_pct:.1f}",
    f"input_latency_p50_ms={fig(r['input_latency_ms']['p50'], '.1f')}",
    f"input_latency_p99_ms={fig(r['input_latency_ms']['p99'], '.1f')}",
    f"missed_ticks={r['missed_ticks']['total']}",
    f"resyncs={r['totals']['resyncs']}",
    f"delta_bytes_mean={fig(r['delta_bytes']['mean'], '.0f')}",
    f"bot0_mirror_entities={fig(r['bot0_mirror_entities'], 'd')}",
]))

refusals = []
if bots_cpu_pct >= 90.0:
    refusals.append(("bots_cpu", f"the bots used {bots_cpu_pct:.1f} % of their core (>= 90 %)"))
# Without the figures (no deltas measured, no timer fired) there is nothing to compare.
short = min_patches is not None and min_patches < min_patches_floor
if short and lag_p99 is not None and lag_p99 > tick_ms and bots_core_pct >= 90.0:
    # The bots fell behind on a full core: whether they or the server caused the shortfall cannot be told.
    refusals.append(("bots_behind",
                     f"a client got {min_patches:.2f} deltas/s (< {min_patches_floor:g}) while the bots' timers "
                     f"ran {lag_p99:.1f} ms late (p99, > one tick of {tick_ms:.1f} ms) on a full core (CPU 1 "
                     f"{bots_core_pct:.0f} % busy: the bots {bots_cpu_pct:.0f} %, irq {bots_softirq_pct:.0f} %, "
                     f"the rest other work)"))
elif short:
    err(f"note: a client got {min_patches:.2f} deltas/s (< {min_patches_floor:g}) while the bots' core had room "
        f"(CPU 1 {bots_core_pct:.0f} % busy, timer lag p99 {fig(lag_p99, '.1f')} ms): the server fell behind "
        f"(CPU 0 {server_core_pct:.0f} % busy, the server {100 * server_cpu / wall:.0f} %)")

line = " ".join(f"{k}={v}" for k, v in fields)
if refusals:
    for _, why in refusals:
        err(f"saturated load generator: {why}")
    if not force:
        err(f"not a result, for diagnosis only: {line}")
        err("run refused: the figures may describe the load generator, not the server (--force prints them anyway)")
        sys.exit(3)
    line += " forced=" + ",".join(k for k, _ in refusals)
print(line)
