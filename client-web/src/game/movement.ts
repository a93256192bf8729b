// The player movement model, a line-by-line mirror of the server's sim/src/movement.rs (`sanitize`,
// `step_circle`, `push_out_of_wall`), computed in float32 like the server (every operation rounded with
// Math.fround) so that replaying inputs lands where the server lands. Player–player collision
// (sim/src/collision.rs) is approximated: the other players are taken where the client last saw them, and the
// local player moves half the overlap away from each, as the server does when the other one stands still.

import type { Arena, GameRules, Wall } from '../protocol/types';
import { PLAYER_RADIUS, PLAYER_SPEED } from './constants';

const f = Math.fround;

export interface Vec2 {
  x: number;
  y: number;
}

/** What prediction needs to know about the world and the rules. */
export interface MoveContext {
  arena: Arena;
  /** Seconds per server tick (1 / tick_rate), as float32. */
  dt: number;
  speed: number;
  radius: number;
  /** Other living players, where the client last saw them (for the collision approximation). */
  others: readonly Vec2[];
}

/** The movement context for a tick rate, with the server's rules when the welcome carried them. */
export function moveContext(arena: Arena, tickRate: number, rules?: GameRules): MoveContext {
  return {
    arena,
    dt: f(1 / tickRate),
    speed: rules?.player_speed ?? PLAYER_SPEED,
    radius: rules?.player_radius ?? PLAYER_RADIUS,
    others: [],
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** Clamps each axis to [-1, 1] and normalises a longer vector (`sanitize` on the server). */
export function sanitizeDir(dx: number, dy: number): Vec2 {
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) return { x: 0, y: 0 };
  let x = clamp(f(dx), -1, 1);
  let y = clamp(f(dy), -1, 1);
  const len2 = f(f(x * x) + f(y * y));
  if (len2 > 1) {
    const recip = f(1 / f(Math.sqrt(len2)));
    x = f(x * recip);
    y = f(y * recip);
  }
  return { x, y };
}

/** Pushes a circle out of an axis-aligned rectangle along the shortest way. */
export function pushOutOfWall(p: Vec2, radius: number, wall: Wall): Vec2 {
  const minX = f(wall.x);
  const minY = f(wall.y);
  const maxX = f(minX + f(wall.w));
  const maxY = f(minY + f(wall.h));
  const cx = clamp(p.x, minX, maxX);
  const cy = clamp(p.y, minY, maxY);
  const ox = f(p.x - cx);
  const oy = f(p.y - cy);
  const dist2 = f(f(ox * ox) + f(oy * oy));
  if (dist2 >= f(radius * radius)) return p;
  if (dist2 > 0) {
    // Centre outside the rectangle: push along the line to the nearest point.
    const dist = f(Math.sqrt(dist2));
    return { x: f(cx + f(f(ox / dist) * radius)), y: f(cy + f(f(oy / dist) * radius)) };
  }
  // Centre inside the rectangle: leave through the nearest side (the first one on a tie, like Rust's min_by).
  const exits: [number, Vec2][] = [
    [f(p.x - minX), { x: f(minX - radius), y: p.y }],
    [f(maxX - p.x), { x: f(maxX + radius), y: p.y }],
    [f(p.y - minY), { x: p.x, y: f(minY - radius) }],
    [f(maxY - p.y), { x: p.x, y: f(maxY + radius) }],
  ];
  let best = exits[0]!;
  for (const e of exits) if (e[0] < best[0]) best = e;
  return best[1];
}

/** Moves a circle by `delta`, then keeps it out of every wall and inside the arena (`step_circle`). */
export function stepCircle(pos: Vec2, delta: Vec2, radius: number, arena: Arena): Vec2 {
  let p: Vec2 = { x: f(pos.x + delta.x), y: f(pos.y + delta.y) };
  for (const wall of arena.walls) p = pushOutOfWall(p, radius, wall);
  return {
    x: clamp(p.x, radius, Math.max(f(f(arena.width) - radius), radius)),
    y: clamp(p.y, radius, Math.max(f(f(arena.height) - radius), radius)),
  };
}

/** Moves `p` half the overlap away from every other player it overlaps (`separate_players`, one side). */
export function separateFrom(p: Vec2, others: readonly Vec2[], radius: number, arena: Arena): Vec2 {
  let mx = 0;
  let my = 0;
  for (const o of others) {
    const dx = p.x - o.x;
    const dy = p.y - o.y;
    const dist2 = dx * dx + dy * dy;
    if (dist2 >= 4 * radius * radius || dist2 <= 1e-8) continue;
    const dist = Math.sqrt(dist2);
    const push = (2 * radius - dist) * 0.5;
    mx += (dx / dist) * push;
    my += (dy / dist) * push;
  }
  return mx === 0 && my === 0 ? p : stepCircle(p, { x: f(mx), y: f(my) }, f(radius), arena);
}

/** One server tick of movement for one input: what the server does when it applies that input. */
export function stepPlayer(pos: Vec2, dx: number, dy: number, ctx: MoveContext): Vec2 {
  const dir = sanitizeDir(dx, dy);
  const speed = f(ctx.speed);
  const delta = { x: f(f(dir.x * speed) * ctx.dt), y: f(f(dir.y * speed) * ctx.dt) };
  const p = stepCircle(pos, delta, f(ctx.radius), ctx.arena);
  return ctx.others.length > 0 ? separateFrom(p, ctx.others, ctx.radius, ctx.arena) : p;
}
