// When to send game pings, and what the HUD's "ping" is.
//
// The server answers a ping when its read pass reads the socket, once per tick (docs/PROTOCOL.md, Pong), so one
// round trip is the network path plus whatever time the ping waited for that read: from nothing to a whole tick.
// Pings sent on a plain 1 s timer all arrive at the same phase of the server's tick (a second is a whole number of
// ticks at any integer tick rate), so every sample waits about the same, and the HUD read 30 ms on loopback where
// the path takes 7. Instead each ping goes out a whole number of ticks after the welcome plus a fraction of a tick
// that steps by the golden ratio (k · 0.618… mod 1): any few consecutive pings meet the read at phases spread over
// the whole tick, so one of them waits almost nothing. The HUD shows the smallest round trip of the last
// PING_WINDOW_MS (`MinRtt`, like TCP's min_rtt): the network path, plus at most a few milliseconds of waiting.
// A few pings go out quickly after the welcome so the figure is right within a second; pings sent before the
// welcome (answered only after it, docs/PROTOCOL.md) do not count.

import { PING_INTERVAL_MS } from '../game/constants';

/** How long a round-trip sample counts for the HUD's ping (ms): about ten pings. */
export const PING_WINDOW_MS = 10_000;
/** Pings in the first second after a welcome, PING_FAST_MS apart, for a quick first figure. */
export const PING_FAST_COUNT = 5;
export const PING_FAST_MS = 200;
/** The golden ratio's fractional part: consecutive multiples, mod 1, fill [0, 1) evenly. */
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/**
 * When the `k`-th ping after a welcome (k ≥ 1) goes out, in ms after the welcome arrived, with ticks of `tickMs`:
 * PING_FAST_COUNT pings PING_FAST_MS apart, then one every PING_INTERVAL_MS, each rounded to whole ticks and
 * moved on by frac(k · golden ratio) of a tick. Strictly increasing in k.
 */
export function pingOffsetMs(k: number, tickMs: number): number {
  const base = k <= PING_FAST_COUNT ? k * PING_FAST_MS : PING_FAST_COUNT * PING_FAST_MS + (k - PING_FAST_COUNT) * PING_INTERVAL_MS;
  const ticks = Math.max(1, Math.round(base / tickMs));
  return (ticks + ((k * GOLDEN) % 1)) * tickMs;
}

/**
 * The smallest round trip over a sliding window (ms): what the network path takes, without the time a ping waited
 * for the server's read. The newest sample always counts, so the figure never goes blank while pongs are late.
 */
export class MinRtt {
  /** Samples that can still become the minimum: ascending in time and in round trip (a monotonic queue). */
  private samples: { at: number; rtt: number }[] = [];

  constructor(readonly windowMs = PING_WINDOW_MS) {}

  add(nowMs: number, rttMs: number): void {
    while (this.samples.length > 0 && this.samples[this.samples.length - 1]!.rtt >= rttMs) this.samples.pop();
    this.samples.push({ at: nowMs, rtt: rttMs });
    this.trim(nowMs);
  }

  /** The smallest round trip of the window ending at `nowMs`, or null before the first sample. */
  value(nowMs: number): number | null {
    this.trim(nowMs);
    return this.samples[0]?.rtt ?? null;
  }

  reset(): void {
    this.samples = [];
  }

  private trim(nowMs: number): void {
    while (this.samples.length > 1 && this.samples[0]!.at <= nowMs - this.windowMs) this.samples.shift();
  }
}
