// Pacing of inputs: one per server tick, minus the occasional skip that drains a backlog on the server.
//
// The server applies one queued input per tick (banking at most a few idle ticks), so when it falls behind
// (for example a stalled tick thread catching up while inputs were still on their way) the queue can keep a
// few inputs for good: with the client sending exactly one per tick it never drains, and every move of ours
// shows up that many ticks late to the other players. The client sees it as inputs that stay unacknowledged
// longer than the round trip explains. When even the fewest unacknowledged inputs over the last second exceed
// that, it skips sending one idle input (no movement, no fire; at most one every few ticks): the server then
// applies one queued input less, and since the skipped one would not have moved the player, nothing shows.

import { MAX_UNACKED_BEYOND_RTT } from './constants';

/** How long the backlog must persist before the client drains it, in milliseconds. */
const WINDOW_MS = 1000;
/** At most one skipped input per this many ticks. */
const SKIP_EVERY_TICKS = 4;
/** Unacknowledged inputs that are normal on top of those in flight (one waiting for the next server tick). */
const SLACK = 1;

export class InputPacer {
  private samples: { at: number; pending: number }[] = [];
  private lastSkipAt = -Infinity;
  /** Idle inputs skipped to drain a backlog (for the debug hook). */
  skipped = 0;
  /** Inputs held back because too many were unacknowledged (acks stopped coming for a while). */
  held = 0;

  reset(): void {
    this.samples = [];
    this.lastSkipAt = -Infinity;
    this.skipped = 0;
    this.held = 0;
  }

  /**
   * Whether to send an input now, given how many are unacknowledged. `idle` says the input would change
   * nothing (no movement, no fire): only such an input is skipped to drain a backlog, so draining never shows.
   */
  shouldSend(pending: number, rttMs: number, tickMs: number, nowMs: number, idle = true): boolean {
    // Inputs normally unacknowledged because they are still on their way or their state is coming back.
    const inFlight = Math.round(Math.max(0, rttMs) / tickMs);
    // Hard cap: the server queues only a few inputs per player and drops the rest.
    if (pending >= MAX_UNACKED_BEYOND_RTT + inFlight + 1) {
      this.held++;
      return false;
    }
    this.samples.push({ at: nowMs, pending });
    while (this.samples.length > 0 && this.samples[0]!.at < nowMs - WINDOW_MS) this.samples.shift();
    const covered = this.samples.length > 0 && nowMs - this.samples[0]!.at >= WINDOW_MS - 2 * tickMs;
    if (!idle || !covered || nowMs - this.lastSkipAt < SKIP_EVERY_TICKS * tickMs) return true;
    let fewest = Infinity;
    for (const s of this.samples) fewest = Math.min(fewest, s.pending);
    return fewest > inFlight + SLACK ? this.skip(nowMs) : true;
  }

  private skip(nowMs: number): false {
    this.lastSkipAt = nowMs;
    this.skipped++;
    return false;
  }
}
