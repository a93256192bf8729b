// When to send each input: a little before the server's tick reads it.
//
// The server reads every client's socket once per tick, a little before the tick (docs/ARCHITECTURE.md, the read
// pass; a TLS session's inputs are taken when the tick drains its queue, which is as good a deadline), and applies
// what it found in that tick. An input sent on a timer of our own waits for that read anywhere from nothing to a
// whole tick (half a tick on average). This moves the input timer so that inputs arrive a margin before the read,
// from nothing but the acknowledgements.
//
// The signal is the input latency: sending an input to receiving the first delta whose ack covers it. It is the
// time the input waited for the read (its slack) plus a part that does not depend on when we send (the tick, the
// fan-out, the way back). Each delta's arrival is measured against the tick grid and how much later than the
// earliest recent one it came is taken out (a slow tick, a late fan-out or a busy page delays every
// acknowledgement in it); what is left above the smallest recent latency is the slack. An input more than half a
// tick above the smallest just missed a read: it is late.
//
// A missed read shows to the other players: the server applies nothing of ours in that tick and two inputs in the
// next (the tick is banked, nothing is lost), so they see us stall for a tick. So unlike the bots' search
// (bots/src/timing.rs, which measures latency and narrows down to a fraction of a millisecond), this one crosses the
// read once to find it and then keeps a margin of an eighth of a tick (at least 2 ms; more after each later miss):
// - until the first miss it moves the timer later by an eighth of a tick per acknowledged input;
// - after a miss (a tick that applied nothing of ours, then a late acknowledgement) the next input goes out earlier
//   by how far it missed and the margin (the next read takes both); a late acknowledgement while every tick applied
//   one of ours (a late delivery, inputs queued in the server) never sends earlier, which could put two inputs
//   into one read;
// - an input that waited more than the margin and an eighth of a tick moves the timer later by the difference
//   (the read moved later);
// - whole ticks above the best are inputs queued in the server, which the server and the input pacer
//   (game/pacing.ts) drain; the timer never moves by whole ticks (it would send nothing meanwhile, and the local
//   player would stop).

/** The least slack kept before the read, ms (a browser's timers keep whole milliseconds and run late by a few). */
const MIN_MARGIN_MS = 2;
/** How much more slack is kept after each input that missed its read once settled, ms. */
const MARGIN_UP_MS = 2;
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
  /** The median time the last RECENT inputs waited for their read (their latency above the best), ms. */
  waitedMs: number | null;
  /** The read was found (crossed once) and the timer holds its margin before it. */
  settled: boolean;
}

/** How many recent latencies the debug hook's median covers (about a second). */
const RECENT = 30;

export class TickTiming {
  private readonly step: number;
  private margin: number;
  /** A read was missed once: its place is known, and the timer holds a margin before it. */
  private found = false;
  private readonly best = new RecentMin();
  private shift = 0;
  private pending = false;
  private lastLate = false;
  private readonly recent: number[] = [];
  private readonly waited: number[] = [];
  /** Counts the moves the timer took; each input carries the one it was sent under. */
  generation = 0;
  /** Inputs that missed the read they were timed for (for the debug hook). */
  late = 0;
  // The arrival grid: the first delta's tick and arrival, the earliest recent offset, the latest delta's excess.
  private origin: { tick: number; at: number } | null = null;
  private readonly earliest = new RecentMin();
  private excess = 0;

  constructor(private readonly periodMs: number) {
    this.step = periodMs / 8;
    this.margin = Math.max(periodMs / 8, MIN_MARGIN_MS);
  }

  /** The delta of `tick` arrived at `atMs` (call before passing on the acknowledgements it carries). */
  deltaArrived(tick: number, atMs: number): void {
    if (this.origin === null) this.origin = { tick, at: atMs };
    const offset = atMs - this.origin.at - (tick - this.origin.tick) * this.periodMs;
    this.earliest.push(offset);
    this.excess = offset - (this.earliest.get() ?? offset);
  }

  /**
   * An input sent under `generation` was acknowledged by the latest delta, `latencyMs` after it was sent;
   * `missedRead` says the tick before applied nothing of ours (a read was really missed, rather than a delivery
   * delayed). Returns whether it was late.
   */
  acknowledged(generation: number, latencyMs: number, missedRead = true): boolean {
    this.recent.push(latencyMs);
    if (this.recent.length > RECENT) this.recent.shift();
    // A delta more than half a tick off the grid (a tick that overran, a page that was busy) says nothing reliable
    // about the send time.
    if (this.excess > this.periodMs / 2) return false;
    const latency = Math.max(0, latencyMs - this.excess);
    this.best.push(latency);
    const above = latency - (this.best.get() ?? latency);
    this.waited.push(above);
    if (this.waited.length > RECENT) this.waited.shift();
    const late = above > this.periodMs / 2;
    if (late) this.late++;
    if (generation !== this.generation || this.pending) return late;
    const afterLate = this.lastLate;
    this.lastLate = late && missedRead;
    // Whole periods above the best are inputs queued in the server, not timing: the server and the input pacer
    // drain those. Only the phase counts (moving later by whole periods would send nothing meanwhile, and the
    // local player would stop).
    const phase = above % this.periodMs;
    if (late && missedRead && !afterLate && above < this.periodMs) {
      // It missed a read by a period less what it waited above the best: send the next one that much (and the
      // margin) earlier. The next read takes both (the server banks the tick this one missed): nothing is lost.
      if (this.found) this.margin = Math.min(this.margin + MARGIN_UP_MS, this.periodMs / 2);
      this.found = true;
      this.move(-(this.periodMs - above + this.margin));
    } else if (phase > this.margin + this.step) {
      // It waited longer than it had to (or, late while every tick applied one of ours, it waited behind inputs
      // queued in the server: only the part within a tick counts): send that much later, less the margin.
      this.move(phase - this.margin);
    } else if (!this.found) {
      // Still looking for the read: a step later.
      this.move(this.step);
    }
    return late;
  }

  private move(ms: number): void {
    this.shift += ms;
    this.pending = true;
  }

  debugState(): InputTimingState {
    return {
      latencyMs: median(this.recent),
      late: this.late,
      marginMs: this.margin,
      waitedMs: median(this.waited),
      settled: this.found,
    };
  }

  /**
   * How much later (earlier when negative) to send the next input, ms, once: the connection takes it as soon as
   * the acknowledgement that decided it arrives and moves the input timer at once (a timer set from a message
   * handler is not stretched to 4 ms as one re-armed from its own callback would be). Inputs sent from then on carry
   * the new generation.
   */
  /** The move decided and not taken yet, ms (0 when none). */
  peekShift(): number {
    return this.pending ? this.shift : 0;
  }

  takeShift(): number {
    if (!this.pending) return 0;
    this.pending = false;
    this.generation++;
    const s = this.shift;
    this.shift = 0;
    return s;
  }
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}
