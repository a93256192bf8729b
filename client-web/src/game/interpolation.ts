// Entity interpolation: the states of the last HISTORY_TICKS server ticks, and the view of every entity at a
// fractional render tick between two of them.

import type { EntityFields } from '../protocol/types';
import { ANGLE_SCALE, POSITION_SCALE } from '../protocol/types';
import { HISTORY_TICKS, TELEPORT_DISTANCE } from './constants';
import type { Entities } from './world';

export interface Frame {
  tick: number;
  entities: Entities;
}

/** One entity as drawn: world units and radians, plus the latest fields of the frame drawn. */
export interface EntityView {
  id: number;
  x: number;
  y: number;
  angle: number;
  fields: Readonly<EntityFields>;
}

export function lerp(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/** Interpolates angles the short way round; the result is in (-π, π]. */
export function lerpAngle(a: number, b: number, t: number): number {
  let d = (b - a) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  if (d < -Math.PI) d += 2 * Math.PI;
  let r = a + d * t;
  if (r > Math.PI) r -= 2 * Math.PI;
  if (r <= -Math.PI) r += 2 * Math.PI;
  return r;
}

export class History {
  private frames: Frame[] = [];

  clear(): void {
    this.frames = [];
  }

  get oldest(): Frame | undefined {
    return this.frames[0];
  }

  get newest(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  get size(): number {
    return this.frames.length;
  }

  /** Adds the state at `tick`. A tick not after the newest (a fresh snapshot) replaces the frames it follows. */
  push(tick: number, entities: Entities): void {
    while (this.frames.length > 0 && this.frames[this.frames.length - 1]!.tick >= tick) this.frames.pop();
    this.frames.push({ tick, entities });
    while (this.frames.length > 1 && this.frames[0]!.tick < tick - HISTORY_TICKS) this.frames.shift();
  }

  /** The two frames around `renderTick` and the fraction between them. */
  bracket(renderTick: number): { a: Frame; b: Frame; t: number } | null {
    const n = this.frames.length;
    if (n === 0) return null;
    const first = this.frames[0]!;
    const last = this.frames[n - 1]!;
    if (renderTick <= first.tick) return { a: first, b: first, t: 0 };
    if (renderTick >= last.tick) return { a: last, b: last, t: 0 };
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.frames[mid]!.tick <= renderTick) lo = mid;
      else hi = mid;
    }
    const a = this.frames[lo]!;
    const b = this.frames[hi]!;
    return { a, b, t: (renderTick - a.tick) / (b.tick - a.tick) };
  }

  /**
   * Every entity of the frame at or before `renderTick`, moved towards the next frame by the fraction; an
   * entity with a velocity (vx, vy, since) is placed where its straight line puts it at `renderTick`.
   */
  sample(renderTick: number, tickRate: number): EntityView[] {
    const br = this.bracket(renderTick);
    if (!br) return [];
    const out: EntityView[] = [];
    for (const [id, fa] of br.a.entities) {
      if (fa.since !== undefined && (fa.vx !== undefined || fa.vy !== undefined)) {
        out.push(extrapolateEntity(id, fa, renderTick, tickRate));
      } else {
        out.push(interpolateEntity(id, fa, br.b.entities.get(id), br.t));
      }
    }
    return out;
  }
}

/** An entity moving in a straight line: (x, y) + v·(tick − since) / tick_rate, never before `since`. */
export function extrapolateEntity(
  id: number,
  f: Readonly<EntityFields>,
  renderTick: number,
  tickRate: number,
): EntityView {
  const seconds = Math.max(0, renderTick - (f.since ?? renderTick)) / tickRate;
  return {
    id,
    x: ((f.x ?? 0) + (f.vx ?? 0) * seconds) / POSITION_SCALE,
    y: ((f.y ?? 0) + (f.vy ?? 0) * seconds) / POSITION_SCALE,
    angle: f.angle !== undefined ? f.angle / ANGLE_SCALE : Math.atan2(f.vy ?? 0, f.vx ?? 0),
    fields: f,
  };
}

/** The view of one entity a fraction `t` of the way from fields `fa` to `fb` (fb absent: it stays at fa). */
export function interpolateEntity(
  id: number,
  fa: Readonly<EntityFields>,
  fb: Readonly<EntityFields> | undefined,
  t: number,
): EntityView {
  const ax = (fa.x ?? 0) / POSITION_SCALE;
  const ay = (fa.y ?? 0) / POSITION_SCALE;
  const aa = (fa.angle ?? 0) / ANGLE_SCALE;
  if (!fb || t <= 0) return { id, x: ax, y: ay, angle: aa, fields: fa };
  const bx = (fb.x ?? 0) / POSITION_SCALE;
  const by = (fb.y ?? 0) / POSITION_SCALE;
  const ba = (fb.angle ?? 0) / ANGLE_SCALE;
  const fields = t >= 0.5 ? fb : fa;
  if (Math.hypot(bx - ax, by - ay) > TELEPORT_DISTANCE) {
    // A respawn: no sliding across the arena.
    return t >= 0.5 ? { id, x: bx, y: by, angle: ba, fields } : { id, x: ax, y: ay, angle: aa, fields };
  }
  return { id, x: lerp(ax, bx, t), y: lerp(ay, by, t), angle: lerpAngle(aa, ba, t), fields };
}
