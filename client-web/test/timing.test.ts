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
    // Deltas that arrived before this send feed the search; a move later decided meanwhile applies to this input
    // (as the connection's input timer does).
    for (;;) {
      const later = t.takeLater();
      if (later !== null) {
        due += later;
        sent = due + jitter;
      }
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
  it('finds the latest send time that makes the read, from any phase', () => {
    for (const deltaAfterMs of [8, 1]) {
      for (let k = 0; k < 10; k++) {
        const r = run(scene({ deltaAfterMs, phaseMs: 1000 + (k * 1000) / 300 }), 3000, 2000);
        // On a free timer an input waits half a tick on average; here a few milliseconds at most.
        expect(r.mean, `delta ${deltaAfterMs}, phase ${k}`).toBeLessThan(deltaAfterMs + 3);
        expect(r.p99, `delta ${deltaAfterMs}, phase ${k}`).toBeLessThan(deltaAfterMs + 4);
        expect(r.late).toBeLessThanOrEqual(20);
      }
    }
  });

  it('keeps late inputs rare when the timer fires late, and never queues inputs up in the server', () => {
    for (const jitterMs of [1, 2, 4]) {
      const r = run(scene({ periodMs: 1000 / 60, readAtMs: 1, deltaAfterMs: 4, phaseMs: 1003, jitterMs }), 8000, 6000);
      expect(r.late * 100, `jitter ${jitterMs}`).toBeLessThanOrEqual(6000);
      expect(r.p99, `jitter ${jitterMs}`).toBeLessThan(4 + jitterMs + 4);
      // Two inputs in one tick only right after a missed read (the tick it missed was banked).
      expect(r.mostPerTick).toBeLessThanOrEqual(2);
    }
  });

  it('is not moved by deltas that arrive late (a slow tick, a busy page)', () => {
    for (let k = 0; k < 5; k++) {
      const r = run(scene({ deltaAfterMs: 5, deltaSpreadMs: 10, jitterMs: 1, phaseMs: 1000 + (k * 1000) / 150 }), 4000, 3000);
      expect(r.late * 100, `phase ${k}`).toBeLessThanOrEqual(3000);
      expect(r.p99, `phase ${k}`).toBeLessThan(5 + 10 + 1 + 4);
    }
  });

  it('moves back before the next read after a missed one, and skips a tick after two', () => {
    const t = new TickTiming(32);
    expect(t.acknowledged(0, 20)).toBe(false);
    expect(t.takeShift()).toBe(4); // an eighth of the tick later
    // 20 ms above the best: it missed a read by 12 ms; the next input goes out that and the margin earlier.
    expect(t.acknowledged(t.generation, 40)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(-12.5);
    // Late again right after: inputs queued in the server; later by the 20 ms less the margin instead.
    expect(t.acknowledged(t.generation, 40)).toBe(true);
    expect(t.takeShift()).toBeCloseTo(19.5);
    expect(t.late).toBe(2);
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
