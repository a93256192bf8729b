// Entity interpolation and the render clock: correct between two states, and no jumps when deltas arrive late
// or in bunches.

import { describe, expect, it } from 'vitest';
import { RenderClock } from '../src/game/clock';
import { History, interpolateEntity, lerpAngle } from '../src/game/interpolation';
import type { EntityFields } from '../src/protocol/types';
import { rng } from './helpers';

const ent = (x: number, y: number, angle = 0): EntityFields => ({ kind: 0, x: x * 16, y: y * 16, angle, name: 'a' });
const frame = (fields: EntityFields) => new Map([[7, fields]]);

describe('interpolation between two snapshots', () => {
  const h = new History();
  h.push(10, frame(ent(100, 200, 0)));
  h.push(11, frame(ent(110, 180, 10_000)));

  it('is exact at both ends and in the middle', () => {
    expect(h.sample(10, 20)).toMatchObject([{ id: 7, x: 100, y: 200, angle: 0 }]);
    expect(h.sample(11, 20)).toMatchObject([{ id: 7, x: 110, y: 180, angle: 1 }]);
    expect(h.sample(10.5, 20)).toMatchObject([{ id: 7, x: 105, y: 190, angle: 0.5 }]);
    expect(h.sample(10.25, 20)).toMatchObject([{ id: 7, x: 102.5, y: 195, angle: 0.25 }]);
  });

  it('holds the ends outside the history', () => {
    expect(h.sample(3, 20)).toMatchObject([{ x: 100, y: 200 }]);
    expect(h.sample(99, 20)).toMatchObject([{ x: 110, y: 180 }]);
  });

  it('interpolates across a gap of several ticks (a snapshot after skipped deltas)', () => {
    const g = new History();
    g.push(10, frame(ent(0, 0)));
    g.push(14, frame(ent(40, 0)));
    expect(g.sample(11, 20)).toMatchObject([{ x: 10 }]);
  });

  it('turns the short way round', () => {
    expect(Math.abs(lerpAngle(3.1, -3.1, 0.5))).toBeCloseTo(Math.PI, 6);
    expect(lerpAngle(-0.2, 0.2, 0.5)).toBeCloseTo(0, 9);
  });

  it('keeps despawned entities until the render tick passes them, and does not slide a teleport', () => {
    const g = new History();
    g.push(1, new Map([[1, ent(0, 0)], [2, ent(50, 50)]]));
    g.push(2, new Map([[1, ent(1000, 0)]]));
    expect(g.sample(1.5, 20).map((v) => v.id)).toEqual([1, 2]);
    expect(g.sample(2, 20).map((v) => v.id)).toEqual([1]);
    expect(interpolateEntity(1, ent(0, 0), ent(1000, 0), 0.25).x).toBe(0);
    expect(interpolateEntity(1, ent(0, 0), ent(1000, 0), 0.75).x).toBe(1000);
  });
});

/** An entity moving +4 units per tick; deltas arriving at the given times; the drawn x at 60 fps. */
function simulate(
  arrivals: (tick: number) => number,
  ticks: number,
): { xs: number[]; rts: number[]; newest: number[]; nows: number[] } {
  const clock = new RenderClock(20);
  const h = new History();
  // One TCP stream: a late delta holds back the ones behind it (arrival times never decrease).
  let last = 0;
  const pending = Array.from({ length: ticks }, (_, t) => ({ tick: t + 1, at: (last = Math.max(last, arrivals(t + 1))) }));
  const xs: number[] = [];
  const rts: number[] = [];
  const newest: number[] = [];
  const nows: number[] = [];
  // Frames while the stream lasts (the drawn entity stops, correctly, when it ends).
  for (let now = 0; now < ticks * 50 - 100; now += 1000 / 60) {
    while (pending.length > 0 && pending[0]!.at <= now) {
      // The WebSocket handler runs when the message arrives, between frames.
      const { tick, at } = pending.shift()!;
      h.push(tick, frame(ent(tick * 4, 0)));
      clock.onTick(tick, at);
    }
    if (!h.newest || !h.oldest) continue;
    const rt = clock.advance(now, h.oldest.tick, h.newest.tick);
    rts.push(rt);
    newest.push(h.newest.tick);
    nows.push(now);
    xs.push(h.sample(rt, 20)[0]!.x);
  }
  return { xs, rts, newest, nows };
}

function steps(xs: number[]): number[] {
  return xs.slice(61).map((x, i) => x - xs[i + 60]!); // after the first second (start-up)
}

// 4 units per tick at 20 Hz is 80 units/s, 1.333 units per 60 fps frame.
const PER_FRAME = (4 * 20) / 60;

describe('render clock', () => {
  it('draws about two ticks behind a steady 20 Hz stream, moving evenly', () => {
    const { xs, rts } = simulate((t) => t * 50 + 2, 100);
    const s = steps(xs);
    expect(Math.min(...s)).toBeGreaterThan(PER_FRAME * 0.98);
    expect(Math.max(...s)).toBeLessThan(PER_FRAME * 1.02);
    // The last frame was drawn at ~4883 ms, when tick 97 had just arrived: two ticks behind is ~95.6.
    expect(rts.at(-1)!).toBeGreaterThan(95);
    expect(rts.at(-1)!).toBeLessThan(96.5);
  });

  it('never even slows down when deltas arrive up to 0.9 tick late (what a two-tick delay is for)', () => {
    const r = rng(9);
    const { xs } = simulate((t) => t * 50 + 2 + r() * 45, 200);
    const s = steps(xs);
    expect(Math.max(...s)).toBeLessThan(PER_FRAME * 1.11);
    expect(Math.min(...s)).toBeGreaterThan(PER_FRAME * 0.89);
  });

  it('does not jump or go back when deltas arrive up to 1.5 ticks late (it may slow down)', () => {
    const r = rng(11);
    const { xs } = simulate((t) => t * 50 + 2 + r() * 75, 200);
    const s = steps(xs);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...s)).toBeLessThan(PER_FRAME * 1.11);
  });

  it('does not jump when deltas come in bunches after a stall', () => {
    // Every 5th tick the network holds deltas back for 180 ms and releases them together.
    const { xs } = simulate((t) => {
      const base = t * 50 + 2;
      return t % 20 >= 10 && t % 20 < 14 ? Math.floor(base / 200) * 200 + 200 : base;
    }, 200);
    const s = steps(xs);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...s)).toBeLessThan(PER_FRAME * 1.11);
  });

  it('after a server stall (every later delta 500 ms late) stops, then moves on evenly, without jumps', () => {
    const { xs, rts, newest, nows } = simulate((t) => (t < 60 ? t * 50 + 2 : t * 50 + 2 + 500), 200);
    const s = steps(xs);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(0);
    // No hopping from one arrival to the next on the edge of the stream (the old clock snapped there: 3x steps).
    expect(Math.max(...s)).toBeLessThan(PER_FRAME * 1.11);
    // A second after the stream resumed (at 3,500 ms), well before the old estimate leaves its 2 s window, it
    // is slewing back behind the newest state, not drawing on its edge (where every late delta pauses it).
    const i = nows.findIndex((n) => n >= 4500);
    expect(newest[i]! - rts[i]!).toBeGreaterThan(1);
  });

  it('stops rather than overshoot during a long outage, then catches up smoothly', () => {
    const { xs } = simulate((t) => (t >= 60 && t < 70 ? 70 * 50 + 2 : t * 50 + 2), 150);
    const s = steps(xs);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(0);
    // The 500 ms outage exceeds the snap threshold, so one forward jump is allowed; it must never go back.
    const big = s.filter((d) => d > PER_FRAME * 1.11);
    expect(big.length).toBeLessThanOrEqual(1);
  });
});

describe('straight-line movers (projectiles with vx, vy, since)', () => {
  it('are placed on their line at the render tick, not frozen between sparse updates', () => {
    const h = new History();
    const shot = { kind: 1, x: 100 * 16, y: 50 * 16, vx: 700 * 16, vy: -70 * 16, since: 9, owner: 1 };
    h.push(10, new Map([[5, shot]]));
    h.push(11, new Map([[5, shot]]));
    // 20 Hz: 1.5 ticks after `since` is 0.075 s, so 52.5 units along x and -5.25 along y.
    expect(h.sample(10.5, 20)[0]).toMatchObject({ x: 152.5, y: 44.75 });
    expect(h.sample(10.5, 20)[0]!.angle).toBeCloseTo(Math.atan2(-70, 700), 9);
    // Never drawn before its start.
    expect(h.sample(5, 20)[0]).toMatchObject({ x: 100, y: 50 });
  });
});
