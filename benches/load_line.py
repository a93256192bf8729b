#!/usr/bin/env python3
"""The line of one benches/load.sh run: reads the bots' JSON report, the server's /metrics pages scraped when the
window opened and closed, and the /proc readings the script took, and prints one line of figures on stdout.

A figure that was not measured prints as n/a, never as 0: a distribution without samples (input latency when the
bots send no inputs, `--behaviour idle`), a spread without bots, a /metrics gauge or counter missing from a page
that could not be read, the floor when it was not run."""
import json
import sys

(path, n, tick_hz, hz, s0, s1, b0, b1, t0, t1, rss_idle, rss_end, bots_exit, decoders, m0, m1, floor,
 tick_thread) = sys.argv[1:]
r = json.load(open(path))

NA = "n/a"


def fig(value, spec):
    """`value` formatted with `spec`, or n/a when there is none."""
    return NA if value is None else format(value, spec)


def metrics(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        try:
            out[name] = float(value)
        except ValueError:
            pass
    return out


m0, m1 = metrics(m0), metrics(m1)


def delta(k):
    """A counter's increase over the window; None when either page lacks it."""
    if k not in m0 or k not in m1:
        return None
    return int(m1[k] - m0[k])


def gauge(k, scale):
    """A gauge from the page read when the window closed, times `scale`; None when the page lacks it."""
    return m1[k] * scale if k in m1 else None


floor_us = None
for part in floor.split():
    if part.startswith("floor_us_per_write="):
        floor_us = float(part.split("=", 1)[1])
n, tick_hz, hz = int(n), int(tick_hz), int(hz)
wall = (int(t1) - int(t0)) / 1e9
server_cpu = (int(s1) - int(s0)) / hz
bots_cpu = (int(b1) - int(b0)) / hz
pc = r["per_client"]
bytes_s = pc["bytes_received_per_s"]["mean"]
patches = pc["deltas_per_s"]["mean"]
delta_mean = r["delta_bytes"]["mean"]
# The WebSocket frame header of each delta: 2 bytes below 126, 4 below 65,536, else 10.
header = 2 if (delta_mean or 0) < 126 else (4 if delta_mean < 65536 else 10)
wire_s = bytes_s + patches * header if bytes_s is not None and patches is not None else None
lat = r["input_latency_ms"]
server_us_tick = server_cpu * 1e6 / (wall * tick_hz) / n
server_us_delta = server_cpu * 1e6 / (wall * patches) / n if patches else None
tick_p99 = gauge("tickwire_tick_duration_p99_seconds", 1.0)
fields = [
    ("clients", n),
    ("tick_hz", tick_hz),
    ("decoders", decoders),
    ("server_cpu_us_per_client_tick", f"{server_us_tick:.2f}"),
    ("server_cpu_pct", f"{100 * server_cpu / wall:.1f}"),
    ("bytes_per_client_s", fig(bytes_s, ".0f")),
    ("wire_bytes_per_client_s", fig(wire_s, ".0f")),
    ("patches_per_client_s", fig(patches, ".2f")),
    ("min_client_patches_s", fig(pc["deltas_per_s"]["min"], ".2f")),
    ("input_latency_p50_ms", fig(lat["p50"], ".1f")),
    ("input_latency_p99_ms", fig(lat["p99"], ".1f")),
    ("missed_ticks", r["missed_ticks"]["total"]),
    ("protocol_errors", r["protocol_errors"]["total"]),
    ("dropped", r["connections"]["dropped"]),
    ("bots_cpu_pct", f"{100 * bots_cpu / wall:.1f}"),
    ("bots_cpu_us_per_bot_tick", f"{bots_cpu * 1e6 / (wall * tick_hz) / n:.2f}"),
    ("bots_timer_lag_p99_ms", fig(r["timer_lag_ms"]["p99"], ".1f")),
    ("floor_us_per_write", fig(floor_us or None, ".2f")),
    ("server_vs_floor", fig(server_us_tick / floor_us if floor_us else None, ".2f")),
    # Per delta actually delivered: when the writer skips ticks, the per-tick figure above flatters the server.
    ("server_cpu_us_per_delta", fig(server_us_delta, ".2f")),
    ("server_delta_vs_floor", fig(server_us_delta / floor_us if server_us_delta is not None and floor_us else None, ".2f")),
    ("tick_p99_ms", fig(gauge("tickwire_tick_duration_p99_seconds", 1e3), ".2f")),
    ("tick_p99_pct_budget", fig(tick_p99 * 100 * tick_hz if tick_p99 is not None else None, ".1f")),
    ("tick_late_p99_ms", fig(gauge("tickwire_tick_start_lateness_p99_seconds", 1e3), ".2f")),
    ("fanout_write_p99_ms", fig(gauge("tickwire_fanout_write_p99_seconds", 1e3), ".2f")),
    ("read_pass_p99_ms", fig(gauge("tickwire_read_pass_p99_seconds", 1e3), ".2f")),
    ("overruns", fig(delta("tickwire_tick_overruns_total"), "d")),
    ("fanout_skipped", fig(delta("tickwire_fanout_skipped_total"), "d")),
    ("frames_skipped", fig(delta("tickwire_frames_skipped_total"), "d")),
    ("server_rss_mb", f"{int(rss_end) / 1024:.1f}"),
    ("rss_kb_per_client", f"{(int(rss_end) - int(rss_idle)) / n:.1f}"),
    ("bots_exit", bots_exit),
    ("tick_thread", tick_thread),
]
print(" ".join(f"{k}={v}" for k, v in fields))
