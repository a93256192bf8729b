// When to send each input: just before the server's tick reads it.
//
// The server reads every client's socket once at the start of each tick and applies what it found in that tick
// (docs/ARCHITECTURE.md, the read pass). An input sent on a timer of our own waits for that read anywhere from
// nothing to a whole tick (half a tick on average) before anything happens to it. This search moves the input
// timer so that inputs arrive just before the read, from nothing but the acknowledgements: the server's part of
// the latency is left, and a small margin. It is the same search as the bots' `--input-timing tick`
// (bots/src/timing.rs, described in docs/BOTS.md).
//
// The signal is the input latency: sending an input to receiving the first delta whose ack covers it. It is the
// time the input waited for the read (its slack) plus a part that does not depend on when we send (the tick, the
// fan-out, the way back). Each delta's arrival is measured against the tick grid and how much later than the
// earliest recent one it came is taken out (a slow tick, a late fan-out or a busy page delays every
// acknowledgement in it); what is left above the smallest recent latency is the slack. An input more than half a
// tick above the smallest just missed a read: it is late, and the next input goes out earlier by how far it missed
// (and a margin), so that the next read takes both (the server banks the tick the late one missed): no input is
// lost and none queues up. Two late inputs in a row mean inputs queued in the server: then the timer moves later,
// skipping a tick, which drains the queue. Otherwise the timer moves later only, a step at a time.

/** The smallest step the send time moves by, ms. */
const MIN_STEP_MS = 0.25;
/** The least slack kept before a tick's read, ms. */
const MIN_MARGIN_MS = 0.5;
/** How much more slack is kept after each late input, ms (the timer's own jitter, a read that moved earlier). */
const MARGIN_UP_MS = 1;
/** Once the search has narrowed down to MIN_STEP_MS: good inputs in a row before trying a step later. */
const PATIENCE = 100;
/** Values per block of the recent-minimum window (it spans two blocks). */
const BLOCK = 64;

/** The smallest of the last BLOCK to 2 × BLOCK values pushed. */
export class RecentMin {
  private current: number | null = null;
  private previous: number | null = null;
  private count = 0;

  push(v: number): void {
    if (this.count === BLOCK) {
      this.previous = this.current;
      this.current = null;
      this.count = 0;
    }
    this.current = this.current === null ? v : Math.min(this.current, v);
    this.count++;
  }

  get(): number | null {
    if (this.current === null) return this.previous;
    if (this.previous === null) return this.current;
    return Math.min(this.current, this.previous);
  }
}

/** What the debug hook shows of the input timing. */
export interface InputTimingState {
  /** The median latency of the last RECENT inputs: sent → the first delta acknowledging it arrived, ms. */
  latencyMs: number | null;
  /** Inputs that missed the read they were timed for, since the search (re)started. */
  late: number;
  /** The slack kept before the read, ms. */
  marginMs: number;
}

/** How many recent latencies the debug hook's median covers (about a second). */
const RECENT = 30;

export class TickTiming {
  private step: number;
  private margin = MIN_MARGIN_MS;
  private streak = 0;
  private readonly best = new RecentMin();
  private shift = 0;
  private pending = false;
  private lastLate = false;
  private readonly recent: number[] = [];
  /** Counts the moves the timer took; each input carries the one it was sent under. */
  generation = 0;
  /** Inputs that missed the read they were timed for (for the debug hook). */
  late = 0;
  // The arrival grid: the first delta's tick and arrival, the earliest recent offset, the latest delta's excess.
  private origin: { tick: number; at: number } | null = null;
  private readonly earliest = new RecentMin();
  private excess = 0;

  constructor(private readonly periodMs: number) {
    this.step = Math.max(periodMs / 8, MIN_STEP_MS);
  }

  /** The delta of `tick` arrived at `atMs` (call before passing on the acknowledgements it carries). */
  deltaArrived(tick: number, atMs: number): void {
    if (this.origin === null) this.origin = { tick, at: atMs };
    const offset = atMs - this.origin.at - (tick - this.origin.tick) * this.periodMs;
    this.earliest.push(offset);
    this.excess = offset - (this.earliest.get() ?? offset);
  }

  /**
   * An input sent under `generation` was acknowledged by the latest delta, `latencyMs` after it was sent.
   * Returns whether it was late.
   */
  acknowledged(generation: number, latencyMs: number): boolean {
    this.recent.push(latencyMs);
    if (this.recent.length > RECENT) this.recent.shift();
    // A delta more than half a tick off the grid (a tick that overran, a page that was busy) says nothing reliable
    // about the send time.
    if (this.excess > this.periodMs / 2) return false;
    const latency = Math.max(0, latencyMs - this.excess);
    this.best.push(latency);
    const above = latency - (this.best.get() ?? latency);
    const late = above > this.periodMs / 2;
    if (late) this.late++;
    const afterLate = this.lastLate;
    this.lastLate = late;
    if (generation !== this.generation || this.pending) return late;
    if (late && !afterLate && above < this.periodMs) {
      // It missed a read by a period less what it waited above the best: send the next one that much (and the
      // margin) earlier. The next read takes both (the server banks the tick this one missed): nothing is lost.
      this.move(-(this.periodMs - above + this.margin));
      this.afterMiss();
    } else if (above > this.margin + this.step) {
      // It waited longer than it had to: send that much later, less the margin. After two late inputs in a row
      // (inputs queued up in the server, not a missed read) that skips a tick, which lets the queue drain.
      this.move(above - this.margin);
      if (late) this.afterMiss();
    } else if (++this.streak >= (this.step > MIN_STEP_MS ? 1 : PATIENCE)) {
      this.move(this.step);
      if (this.step <= MIN_STEP_MS) this.margin = Math.max(this.margin - MIN_STEP_MS, MIN_MARGIN_MS);
    }
    return late;
  }

  /** A late input: the search narrows (a smaller step), or, once narrowed, keeps more margin. */
  private afterMiss(): void {
    if (this.step > MIN_STEP_MS) this.step = Math.max(this.step / 2, MIN_STEP_MS);
    else this.margin = Math.min(this.margin + MARGIN_UP_MS, this.periodMs / 4);
  }

  private move(ms: number): void {
    this.shift += ms;
    this.streak = 0;
    this.pending = true;
  }

  debugState(): InputTimingState {
    const sorted = [...this.recent].sort((a, b) => a - b);
    return {
      latencyMs: sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)]! : null,
      late: this.late,
      marginMs: this.margin,
    };
  }

  /**
   * A move later decided and not taken yet: the timer applies it to the input due now instead of sending that one
   * at the old time (where it would miss its read as the one before did). Takes it; null when there is none.
   */
  takeLater(): number | null {
    return this.pending && this.shift > 0 ? this.takeShift() : null;
  }

  /**
   * How much later (earlier when negative) to send the next input, ms; the timer takes it once, after the input it just sent (which
   * carries the generation before the move) and before scheduling the next one.
   */
  takeShift(): number {
    if (!this.pending) return 0;
    this.pending = false;
    this.generation++;
    const s = this.shift;
    this.shift = 0;
    return s;
  }
}
