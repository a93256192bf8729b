// The movement model mirrors sim/src/movement.rs; these cases mirror its tests.

import { describe, expect, it } from 'vitest';
import { PLAYER_RADIUS, PLAYER_SPEED } from '../src/game/constants';
import { moveContext, pushOutOfWall, sanitizeDir, separateFrom, stepCircle, stepPlayer } from '../src/game/movement';
import type { Arena } from '../src/protocol/types';

const SMALL: Arena = { width: 100, height: 100, walls: [{ x: 40, y: 40, w: 20, h: 20 }] };

describe('movement', () => {
  it('mirrors the server rules (assets/rules.toml)', () => {
    expect(PLAYER_SPEED).toBe(220);
    expect(PLAYER_RADIUS).toBe(16);
  });

  it('clamps each axis and normalises long vectors, keeps short ones', () => {
    expect(sanitizeDir(5, 0)).toEqual({ x: 1, y: 0 });
    const d = sanitizeDir(1, 1);
    expect(Math.hypot(d.x, d.y)).toBeCloseTo(1, 6);
    expect(sanitizeDir(0.3, -0.4)).toEqual({ x: Math.fround(0.3), y: Math.fround(-0.4) });
    expect(sanitizeDir(Number.NaN, 1)).toEqual({ x: 0, y: 0 });
  });

  it('stops at a wall side and at the arena edge, radius-aware', () => {
    // Walking right into the wall's left side at y = 50 stops at x = 40 - radius.
    let p = { x: 10, y: 50 };
    for (let i = 0; i < 100; i++) p = stepCircle(p, { x: 1, y: 0 }, 5, SMALL);
    expect(p).toEqual({ x: 35, y: 50 });
    p = { x: 10, y: 10 };
    for (let i = 0; i < 100; i++) p = stepCircle(p, { x: -1, y: -1 }, 5, SMALL);
    expect(p).toEqual({ x: 5, y: 5 });
  });

  it('pushes a centre inside a wall out through the nearest side', () => {
    expect(pushOutOfWall({ x: 42, y: 50 }, 5, SMALL.walls[0]!)).toEqual({ x: 35, y: 50 });
    expect(pushOutOfWall({ x: 50, y: 58 }, 5, SMALL.walls[0]!)).toEqual({ x: 50, y: 65 });
    // Near a corner, outside: pushed along the line to the corner.
    const q = pushOutOfWall({ x: 38, y: 38 }, 5, SMALL.walls[0]!);
    expect(Math.hypot(q.x - 40, q.y - 40)).toBeCloseTo(5, 5);
  });

  it('moves speed / tick_rate per tick', () => {
    const ctx = moveContext({ width: 1600, height: 1000, walls: [] }, 20);
    const p = stepPlayer({ x: 100, y: 100 }, 1, 0, ctx);
    expect(p.x).toBeCloseTo(111, 4);
    expect(p.y).toBe(100);
  });
});

describe('player collision (approximation of sim/src/collision.rs)', () => {
  it('moves half the overlap away from another player', () => {
    const arena: Arena = { width: 1000, height: 1000, walls: [] };
    // 20 apart with radius 16: overlap 12, so 6 away along the line between the centres.
    expect(separateFrom({ x: 500, y: 500 }, [{ x: 520, y: 500 }], 16, arena)).toEqual({ x: 494, y: 500 });
    expect(separateFrom({ x: 500, y: 500 }, [{ x: 540, y: 500 }], 16, arena)).toEqual({ x: 500, y: 500 });
    const ctx = { ...moveContext(arena, 20), others: [{ x: 530, y: 500 }] };
    // Walking right 11 units to x = 511: 19 from the other, overlap 13, pushed back 6.5.
    expect(stepPlayer({ x: 500, y: 500 }, 1, 0, ctx)).toEqual({ x: 504.5, y: 500 });
  });
});
