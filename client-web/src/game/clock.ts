// The render clock: which server tick (fractional) to draw other entities at, right now.
//
// Every delta carries its tick, so each arrival is a sample of the server's clock: `arrivalMs - tick * tickMs`
// is the local time at which tick 0 would have arrived. Network jitter only ever makes a message later, so the
// smallest such offset over the last CLOCK_WINDOW_MS is the best estimate of the clock with the least latency;
// late messages and bunches of messages released together after a stall do not move it. The target render tick
// is that clock minus INTERP_DELAY_TICKS. The render clock advances with real time and slews at most
// CLOCK_MAX_SLEW faster or slower to follow the target, so it never jumps while the stream is healthy; it waits
// (stops) rather than run past the newest state held, and it jumps only on a large error (join, tick-rate
// change, long stall) — and only to a state it holds: when it has caught up with the newest state and the
// target is further on, it is starved, and jumping would only make it hop from one arrival to the next.
//
// A stall on the server (it skipped time, not ticks) shifts its clock: every delta after it arrives late by the
// stall's length. Once a steady stream of deltas (spread over at least two ticks, not a bunch released at once)
// has all arrived later than the delay allows, the estimate is re-anchored on them, and the render clock slews
// back to its delay behind the stream instead of running on the edge of it for CLOCK_WINDOW_MS.

import { CLOCK_MAX_SLEW, CLOCK_SNAP_TICKS, CLOCK_WINDOW_MS, INTERP_DELAY_TICKS } from './constants';

interface Sample {
  at: number;
  offset: number;
}

/** How many consecutive late arrivals, spread over at least two ticks, re-anchor the clock. */
const REANCHOR_AFTER = 4;

export class RenderClock {
  private samples: Sample[] = [];
  /** The last REANCHOR_AFTER arrivals, oldest first. */
  private recent: Sample[] = [];
  private tickMs: number;
  private renderTick: number | null = null;
  private lastFrameMs: number | null = null;

  constructor(
    tickRate: number,
    readonly delayTicks = INTERP_DELAY_TICKS,
  ) {
    this.tickMs = 1000 / tickRate;
  }

  /** The tick currently drawn (null before the first frame after a sample). */
  get tick(): number | null {
    return this.renderTick;
  }

  reset(): void {
    this.samples = [];
    this.recent = [];
    this.renderTick = null;
    this.lastFrameMs = null;
  }

  /** The server changed its tick rate: older samples are in the wrong unit. */
  setTickRate(tickRate: number): void {
    this.tickMs = 1000 / tickRate;
    this.samples = [];
    this.recent = [];
  }

  /** Records that the state for `tick` arrived at `nowMs`. */
  onTick(tick: number, nowMs: number): void {
    const offset = nowMs - tick * this.tickMs;
    // Drop samples that are outside the window or can no longer be the minimum.
    while (this.samples.length > 0) {
      const last = this.samples[this.samples.length - 1]!;
      if (last.offset >= offset) this.samples.pop();
      else break;
    }
    this.samples.push({ at: nowMs, offset });
    while (this.samples.length > 1 && this.samples[0]!.at < nowMs - CLOCK_WINDOW_MS) this.samples.shift();
    this.recent.push({ at: nowMs, offset });
    if (this.recent.length > REANCHOR_AFTER) this.recent.shift();
    const best = this.samples[0]!.offset;
    const first = this.recent[0]!;
    if (
      this.recent.length === REANCHOR_AFTER &&
      nowMs - first.at >= 2 * this.tickMs &&
      this.recent.every((s) => s.offset - best > this.delayTicks * this.tickMs)
    ) {
      // The server's clock moved: estimate it from the recent arrivals only.
      this.samples = [];
      for (const s of this.recent) {
        while (this.samples.length > 0 && this.samples[this.samples.length - 1]!.offset >= s.offset) this.samples.pop();
        this.samples.push(s);
      }
    }
  }

  /** The tick the render clock is heading for at `nowMs`. */
  target(nowMs: number): number | null {
    const best = this.samples[0];
    if (!best) return null;
    return (nowMs - best.offset) / this.tickMs - this.delayTicks;
  }

  /**
   * Advances the clock to `nowMs` (call once per frame) and returns the tick to draw, never beyond
   * `newestTick` nor before `oldestTick`.
   */
  advance(nowMs: number, oldestTick: number, newestTick: number): number {
    const target = this.target(nowMs);
    const last = this.lastFrameMs;
    this.lastFrameMs = nowMs;
    if (target === null) return (this.renderTick = newestTick);
    // Snap only towards what can be drawn: a starved clock (target past the newest state) does not jump.
    const reachable = Math.min(target, newestTick);
    if (this.renderTick === null || last === null || Math.abs(reachable - this.renderTick) > CLOCK_SNAP_TICKS) {
      this.renderTick = reachable;
    } else {
      const err = target - this.renderTick;
      const rate = 1 + Math.max(-CLOCK_MAX_SLEW, Math.min(CLOCK_MAX_SLEW, err));
      this.renderTick += ((nowMs - last) / this.tickMs) * rate;
    }
    this.renderTick = Math.max(oldestTick, Math.min(newestTick, this.renderTick));
    return this.renderTick;
  }
}
