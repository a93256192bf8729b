// Prediction and reconciliation: replaying unacknowledged inputs lands on the server's state, corrections on
// loopback are tiny and never visible as a jump.

import { describe, expect, it } from 'vitest';
import { stepPlayer } from '../src/game/movement';
import { Predictor, type PendingInput } from '../src/game/prediction';
import { CTX, FakeServer, rng } from './helpers';

const TICK_MS = 50;
const SPAWN = { x: 120, y: 120 };

function inputsToward(n: number, seed: number): PendingInput[] {
  const r = rng(seed);
  const out: PendingInput[] = [];
  let dx = 1;
  let dy = 0;
  for (let seq = 1; seq <= n; seq++) {
    if (r() < 0.15) {
      dx = Math.round(r() * 2 - 1);
      dy = Math.round(r() * 2 - 1);
    }
    out.push({ seq, dx, dy });
  }
  return out;
}

describe('reconciliation', () => {
  it('a replay of the unacknowledged inputs lands exactly on the server state', () => {
    const inputs = inputsToward(40, 7);
    const p = new Predictor();
    p.reset(SPAWN);
    const server = new FakeServer(SPAWN);
    inputs.forEach((i, k) => p.applyLocal(i, k * TICK_MS, CTX));
    // The server has applied the first 25 inputs when its state reaches the client.
    for (const i of inputs.slice(0, 25)) {
      server.receive(i);
      server.tick();
    }
    expect(server.ack).toBe(25);
    p.reconcile(server.ack, server.pos, CTX);
    expect(p.pending.map((i) => i.seq)).toEqual(inputs.slice(25).map((i) => i.seq));
    // Now the server applies the rest: it lands exactly where the client predicted.
    for (const i of inputs.slice(25)) {
      server.receive(i);
      server.tick();
    }
    expect(p.current).toEqual(server.pos);
    expect(p.lastCorrection).toBe(0);
  });

  it('drops acknowledged inputs and replays from the reported position', () => {
    const p = new Predictor();
    p.reset(SPAWN);
    p.applyLocal({ seq: 1, dx: 1, dy: 0 }, 0, CTX);
    p.applyLocal({ seq: 2, dx: 0, dy: 1 }, 50, CTX);
    // The server says: input 1 applied, but you were somewhere else (say a push we did not know about).
    const c = p.reconcile(1, { x: 200, y: 200 }, CTX);
    expect(p.pending).toEqual([{ seq: 2, dx: 0, dy: 1 }]);
    expect(p.current).toEqual(stepPlayer({ x: 200, y: 200 }, 0, 1, CTX));
    expect(c.x).toBeGreaterThan(60);
  });

  it('on loopback (wire rounding, latency, jitter, walls) corrections stay tiny and the drawn path never jumps', () => {
    const r = rng(42);
    const inputs = inputsToward(400, 3);
    const p = new Predictor();
    const server = new FakeServer(SPAWN);
    p.reconcile(0, server.wirePos(), CTX);
    const inFlight: { at: number; input: PendingInput }[] = [];
    const states: { at: number; ack: number; pos: { x: number; y: number } }[] = [];
    let maxCorrection = 0;
    let maxStep = 0;
    let prev = p.drawPosition(0, CTX)!;
    let next = 0;
    // 1 ms steps: inputs scheduled every 50 ms (the browser fires the timer 0-12 ms late), server ticks every
    // 50 ms, frames every 16 ms.
    let scheduled = 3;
    let fireAt = scheduled;
    for (let now = 0; now < 400 * TICK_MS + 500; now++) {
      if (now >= fireAt && next < inputs.length) {
        const i = inputs[next++]!;
        p.applyLocal(i, scheduled, CTX);
        inFlight.push({ at: now + 1 + Math.floor(r() * 3), input: i });
        scheduled += TICK_MS;
        fireAt = scheduled + Math.floor(r() * 12);
      }
      while (inFlight.length > 0 && inFlight[0]!.at <= now) server.receive(inFlight.shift()!.input);
      if (now % TICK_MS === 0) {
        server.tick();
        states.push({ at: now + 1 + Math.floor(r() * 4), ack: server.ack, pos: server.wirePos() });
      }
      while (states.length > 0 && states[0]!.at <= now) {
        const s = states.shift()!;
        p.reconcile(s.ack, s.pos, CTX);
        maxCorrection = Math.max(maxCorrection, p.lastCorrection);
      }
      if (now % 16 === 0) {
        p.decay(16);
        const d = p.drawPosition(now, CTX)!;
        const st = Math.hypot(d.x - prev.x, d.y - prev.y);
        maxStep = Math.max(maxStep, st);
        prev = d;
      }
    }
    expect(maxCorrection).toBeLessThan(0.05);
    // 220 units/s is 3.52 units per 16 ms frame: late timers do not show.
    expect(maxStep).toBeLessThan(3.52 * 1.02);
    expect(server.ack).toBe(400);
    const end = p.drawPosition(400 * TICK_MS + 2000, CTX)!;
    expect(Math.abs(end.x - server.pos.x)).toBeLessThan(1 / 16);
    expect(Math.abs(end.y - server.pos.y)).toBeLessThan(1 / 16);
  });

  it('smooths a real correction instead of snapping, and snaps a teleport', () => {
    const p = new Predictor();
    p.reset(SPAWN);
    p.applyLocal({ seq: 1, dx: 1, dy: 0 }, 0, CTX);
    const before = p.drawPosition(20, CTX)!;
    p.reconcile(1, { x: SPAWN.x + 11 + 6, y: SPAWN.y }, CTX);
    const at = p.drawPosition(20, CTX)!;
    expect(at.x).toBeCloseTo(before.x, 9);
    p.decay(600);
    const later = p.drawPosition(1000, CTX)!;
    expect(later.x).toBeCloseTo(SPAWN.x + 17, 1);
    // A respawn across the arena is shown at once.
    p.reconcile(1, { x: 1400, y: 800 }, CTX);
    expect(p.drawPosition(1000, CTX)).toEqual({ x: 1400, y: 800 });
  });
});
