// The render clock: which server tick (fractional) to draw other entities at, right now.
//
// Every delta carries its tick, so each arrival is a sample of the server's clock: `arrivalMs - tick * tickMs`
// is the local time at which tick 0 would have arrived. Network jitter only ever makes a message later, so the
// smallest such offset over the last CLOCK_WINDOW_MS is the best estimate of the clock with the least latency;
// late messages and bunches of messages released together after a stall do not move it. The target render tick
// is that clock minus INTERP_DELAY_TICKS. The render clock advances with real time and slews at most
// CLOCK_MAX_SLEW faster or slower to follow the target, so it never jumps while the stream is healthy; it waits
// (stops) rather than run past the newest state held, and it jumps only on a large error (join, tick-rate
// change, long stall).

import { CLOCK_MAX_SLEW, CLOCK_SNAP_TICKS, CLOCK_WINDOW_MS, INTERP_DELAY_TICKS } from './constants';

interface Sample {
  at: number;
  offset: number;
}

export class RenderClock {
  private samples: Sample[] = [];
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
    this.renderTick = null;
    this.lastFrameMs = null;
  }

  /** The server changed its tick rate: older samples are in the wrong unit. */
  setTickRate(tickRate: number): void {
    this.tickMs = 1000 / tickRate;
    this.samples = [];
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
    if (this.renderTick === null || last === null || Math.abs(target - this.renderTick) > CLOCK_SNAP_TICKS) {
      this.renderTick = target;
    } else {
      const err = target - this.renderTick;
      const rate = 1 + Math.max(-CLOCK_MAX_SLEW, Math.min(CLOCK_MAX_SLEW, err));
      this.renderTick += ((nowMs - last) / this.tickMs) * rate;
    }
    this.renderTick = Math.max(oldestTick, Math.min(newestTick, this.renderTick));
    return this.renderTick;
  }
}
