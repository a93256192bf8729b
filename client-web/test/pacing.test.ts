// Input pacing: one input per tick normally, and a server-side backlog drained without any correction.

import { describe, expect, it } from 'vitest';
import { InputPacer } from '../src/game/pacing';
import { Predictor } from '../src/game/prediction';
import { CTX, FakeServer } from './helpers';

const TICK_MS = 50;

/** Client and server on loopback for `ms`; the server misses the ticks in `lostTicks` (a stalled tick thread). */
function run(ms: number, lostTicks: Set<number>) {
  const pacer = new InputPacer();
  const p = new Predictor();
  const server = new FakeServer({ x: 400, y: 600 });
  p.reconcile(0, server.wirePos(), CTX);
  let seq = 1;
  let sent = 0;
  let maxCorrection = 0;
  const pendingAt: number[] = [];
  for (let now = 0; now < ms; now += 1) {
    if (now % TICK_MS === 10) {
      // Walking right for the first half, then standing still.
      const dx = now < ms / 2 ? 1 : 0;
      if (pacer.shouldSend(p.pending.length, 1, TICK_MS, now, dx === 0)) {
        const input = { seq: seq++, dx, dy: 0 };
        p.applyLocal(input, now, CTX);
        server.receive(input);
        sent++;
      }
      pendingAt.push(p.pending.length);
    }
    if (now % TICK_MS === 0 && !lostTicks.has(now / TICK_MS)) {
      server.tick();
      p.reconcile(server.ack, server.wirePos(), CTX);
      maxCorrection = Math.max(maxCorrection, p.lastCorrection);
    }
  }
  // The client stops sending; the server applies what it still holds.
  for (let i = 0; i < 10; i++) {
    server.tick();
    p.reconcile(server.ack, server.wirePos(), CTX);
  }
  return { pacer, p, server, sent, maxCorrection, pendingAt };
}

describe('input pacing', () => {
  it('sends one input per tick on a healthy connection', () => {
    const { pacer, sent, pendingAt } = run(5000, new Set());
    expect(pacer.skipped).toBe(0);
    expect(sent).toBe(100);
    expect(Math.max(...pendingAt)).toBeLessThanOrEqual(1);
  });

  it('drains a backlog left by lost server ticks once the player stands still, with no visible correction', () => {
    const lost = new Set([20, 21, 22, 23, 24, 25]);
    const { pacer, p, server, maxCorrection, pendingAt } = run(6000, lost);
    expect(Math.max(...pendingAt)).toBeGreaterThanOrEqual(6);
    // While walking (ticks 26-59) nothing is skipped: the backlog stays.
    expect(pendingAt.slice(30, 59).every((n) => n >= 6)).toBe(true);
    // Six inputs were stranded; all but at most one (within normal tick-phase variation) get drained.
    expect(pacer.skipped + pacer.held).toBeGreaterThanOrEqual(4);
    expect(pacer.skipped + pacer.held).toBeLessThanOrEqual(6);
    expect(pendingAt.slice(-40).every((n) => n <= 2)).toBe(true);
    expect(maxCorrection).toBeLessThan(0.05);
    expect(Math.abs(p.current!.x - server.pos.x)).toBeLessThanOrEqual(1 / 16);
  });
});
