// Input timing: the search for the send time that reaches the server just before its tick's read, against a
// simulated server (the same scenes as the bots' tests in bots/src/timing.rs).

import { describe, expect, it } from 'vitest';
import { RecentMin, TickTiming } from '../src/net/timing';

interface Scene {
  periodMs: number;
  /** When, into each tick, the server reads the socket. */
  readAtMs: number;
  /** How long after the read the tick's delta arrives, plus up to `deltaSpreadMs` more, tick by tick. */
  deltaAfterMs: number;
  deltaSpreadMs: number;
  /** When the first input goes out. */
  phaseMs: number;
  /** Each send is late by a deterministic pattern of up to this much (the page's timer). */
  jitterMs: number;
}

/**
 * Runs `inputs` inputs through the search against a server that applies queued inputs as the arena does (one per
 * tick, up to 3 banked by ticks without one). Returns late inputs, mean and p99 latency over the last `measured`,
 * and the most inputs any one tick applied.
 */
function run(scene: Scene, inputs: number, measured: number) {
  const { periodMs, readAtMs } = scene;
  const deltaArrives = (tick: number) =>
    tick * periodMs + readAtMs + scene.deltaAfterMs + (scene.deltaSpreadMs * ((tick * 7877) % 17)) / 16;
  const t = new TickTiming(periodMs);
  let due = scene.phaseMs;
  const flight: { applied: number; sent: number; generation: number; measured: boolean }[] = [];
  let nextDelta = Math.floor(scene.phaseMs / periodMs);
  let late = 0;
  const latencies: number[] = [];
  const perTick = new Map<number, number>();
  let lastTick = -Infinity;
  let budget = 0;
  for (let n = 0; n < inputs; n++) {
    const jitter = (scene.jitterMs * ((n * 7919) % 13)) / 12;
    let sent = due + jitter;
    // Deltas that arrived before this send feed the search; a move decided meanwhile applies to this input at once
    // (as the connection re-arms its input timer when an acknowledgement decides one).
    for (;;) {
      if (deltaArrives(nextDelta) > sent) break;
      const arrived = deltaArrives(nextDelta);
      t.deltaArrived(nextDelta, arrived);
      for (const f of flight.filter((f) => f.applied === nextDelta)) {
        const wasLate = t.acknowledged(f.generation, arrived - f.sent);
        if (f.measured) {
          late += wasLate ? 1 : 0;
          latencies.push(arrived - f.sent);
        }
      }
      flight.splice(0, flight.length, ...flight.filter((f) => f.applied !== nextDelta));
      nextDelta++;
      const shift = t.peekShift();
      if (shift !== 0 && due + shift >= arrived) {
        t.takeShift();
        due += shift;
        sent = due + jitter;
      }
    }
    const arrives = Math.ceil((sent - readAtMs) / periodMs);
    let applied: number;
    if (arrives > lastTick) {
      const gap = Number.isFinite(lastTick) ? arrives - lastTick : 1;
      budget = Math.min(budget + Math.min(gap, 3), 3) - 1;
      applied = arrives;
    } else if (budget > 0) {
      budget--;
      applied = lastTick;
    } else {
      applied = lastTick + 1;
    }
    lastTick = applied;
    perTick.set(applied, (perTick.get(applied) ?? 0) + 1);
    flight.push({ applied, sent, generation: t.generation, measured: n >= inputs - measured });
    due += periodMs + t.takeShift();
  }
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return { late, mean, p99: latencies[Math.floor(latencies.length * 0.99)]!, mostPerTick: Math.max(...perTick.values()) };
}

const scene = (over: Partial<Scene>): Scene => ({
  periodMs: 1000 / 30,
  readAtMs: 2,
  deltaAfterMs: 8,
  deltaSpreadMs: 0,
  phaseMs: 1000,
  jitterMs: 0,
  ...over,
});

describe('input timing', () => {
  it('finds the read from any phase, then keeps an eighth of a tick before it', () => {
    const period = 1000 / 30;
    for (const deltaAfterMs of [8, 1]) {
      for (let k = 0; k < 10; k++) {
        const r = run(scene({ deltaAfterMs, phaseMs: 1000 + (k * 1000) / 300 }), 3000, 2000);
        // On a free timer an input waits half a tick on average; here the margin (an eighth to a quarter of one).
        expect(r.mean, `delta ${deltaAfterMs}, phase ${k}`).toBeLessThan(deltaAfterMs + period / 4 + 1);
        expect(r.p99, `delta ${deltaAfterMs}, phase ${k}`).toBeLessThan(deltaAfterMs + period / 4 + 2);
        // Settled: no read missed any more (each miss stalls us for a tick in the other players' view).
        expect(r.late, `delta ${deltaAfterMs}, phase ${k}`).toBe(0);
      }
    }
  });

  it('keeps missed reads rare when the timer fires late, and never queues inputs up in the server', () => {
    const period = 1000 / 60;
    for (const jitterMs of [1, 2, 4]) {
      const r = run(scene({ periodMs: period, readAtMs: 1, deltaAfterMs: 4, phaseMs: 1003, jitterMs }), 8000, 6000);
      expect(r.late * 200, `jitter ${jitterMs}`).toBeLessThanOrEqual(6000);
      expect(r.p99, `jitter ${jitterMs}`).toBeLessThan(4 + jitterMs + period / 2);
      // Two inputs in one tick only right after a missed read (the tick it missed was banked).
      expect(r.mostPerTick).toBeLessThanOrEqual(2);
    }
  });

  it('is not moved by deltas that arrive late (a slow tick, a busy page)', () => {
    const period = 1000 / 30;
    for (let k = 0; k < 5; k++) {
      const r = run(scene({ deltaAfterMs: 5, deltaSpreadMs: 10, jitterMs: 1, phaseMs: 1000 + (k * 1000) / 150 }), 4000, 3000);
      expect(r.late * 200, `phase ${k}`).toBeLessThanOrEqual(3000);
      expect(r.p99, `phase ${k}`).toBeLessThan(5 + 10 + 1 + period / 4 + 2);
    }
  });

  it('moves back before the next read after a missed one, and never by whole ticks', () => {
    const t = new TickTiming(32);
    expect(t.acknowledged(0, 20)).toBe(false);
    expect(t.takeShift()).toBe(4); // an eighth of the tick later
    // 20 ms above the best: it missed a read by 12 ms; the next input goes out that and the margin (4 ms) earlier.
    expect(t.acknowledged(t.generation, 40)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(-16);
    // Late again right after: on by the phase, 20 ms less the margin.
    expect(t.acknowledged(t.generation, 40)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(16);
    // A whole tick and 5 ms above the best (an input queued in the server): only the 5 ms count, within the
    // margin and a step: no move.
    expect(t.acknowledged(t.generation, 20 + 32 + 5)).toBe(true);
    expect(t.takeShift()).toBe(0);
    expect(t.late).toBe(3);
  });

  it('sends earlier only when a tick really applied nothing of ours', () => {
    const t = new TickTiming(32);
    expect(t.acknowledged(0, 20)).toBe(false);
    expect(t.takeShift()).toBe(4);
    // Late by its latency, but the tick before advanced our ack (a late delivery, or inputs queued in the
    // server): never earlier, which could put two inputs into one read.
    expect(t.acknowledged(t.generation, 40, false)).toBe(true);
    expect(t.takeShift()).toBeGreaterThanOrEqual(0);
    // The same with the tick before idle: the read was missed; the next input goes out earlier.
    const u = new TickTiming(32);
    expect(u.acknowledged(0, 20)).toBe(false);
    expect(u.takeShift()).toBe(4);
    expect(u.acknowledged(u.generation, 40, true)).toBe(true);
    expect(u.takeShift()).toBeLessThan(0);
  });

  it('learns only from inputs sent since the last move', () => {
    const t = new TickTiming(32);
    const old = t.generation;
    expect(t.acknowledged(old, 20)).toBe(false);
    // Before the move is taken, an input sent at the old time says nothing.
    expect(t.acknowledged(old, 40)).toBe(true);
    expect(t.takeShift()).toBe(4);
    expect(t.takeShift()).toBe(0);
    // Sent before the move, acknowledged after: nothing either, and it does not count as the last late one.
    expect(t.acknowledged(old, 40)).toBe(true);
    expect(t.takeShift()).toBe(0);
    expect(t.acknowledged(t.generation, 40)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(-16, 5);
  });

  it('finds the read once, then holds its margin, adding to it after a later miss', () => {
    const t = new TickTiming(32);
    for (const latency of [10, 6, 2]) {
      expect(t.acknowledged(t.generation, latency)).toBe(false);
      expect(t.takeShift()).toBe(4);
    }
    // Missed by 4 ms (28 above the best of 2): back by that and the margin.
    expect(t.acknowledged(t.generation, 30)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(-8);
    // Holding: no tries later, however many good inputs.
    for (let i = 0; i < 500; i++) {
      expect(t.acknowledged(t.generation, 6)).toBe(false);
      expect(t.takeShift()).toBe(0);
    }
    // A miss after settling (the read came earlier; the best is 6 ms by now): 2 ms more margin.
    expect(t.acknowledged(t.generation, 32)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(-(32 - 26 + 6));
    // The read moved later: inputs wait 14 ms longer than the best; later by that less the margin.
    expect(t.acknowledged(t.generation, 6 + 14)).toBe(false);
    expect(t.takeShift()).toBeCloseTo(14 - 6);
  });

  it('learns nothing from a delta far off the tick grid', () => {
    const t = new TickTiming(32);
    t.deltaArrived(10, 1000);
    expect(t.acknowledged(0, 5)).toBe(false);
    expect(t.takeShift()).toBe(4);
    // Tick 11's delta 20 ms late (an overrun, a busy page): the latency less that lateness is not used.
    t.deltaArrived(11, 1000 + 32 + 20);
    expect(t.acknowledged(t.generation, 21)).toBe(false);
    expect(t.takeShift()).toBe(0);
    // Back on the grid, 5 ms is still the best: a step later, not a move by what it "waited above" 1 ms.
    t.deltaArrived(12, 1000 + 64);
    expect(t.acknowledged(t.generation, 5)).toBe(false);
    expect(t.takeShift()).toBe(4);
  });

  it('remembers the smallest of the last one to two blocks', () => {
    const m = new RecentMin();
    expect(m.get()).toBeNull();
    m.push(1);
    for (let i = 0; i < 64; i++) m.push(5);
    expect(m.get()).toBe(1);
    for (let i = 0; i < 64; i++) m.push(5);
    expect(m.get()).toBe(5);
  });
});
