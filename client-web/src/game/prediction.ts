// Client-side prediction of the local player with reconciliation against the server's acknowledged input.
//
// Every input sent is one server tick of movement (the server applies one movement step per input, see
// sim/src/movement.rs `apply_inputs`). The client applies it at once to its predicted position and keeps it as
// pending. When a snapshot or delta arrives with `ack`, the server's position already includes every input up
// to `ack`: the pending inputs up to `ack` are dropped and the rest are replayed on top of the server's position.
// With the same movement code on both sides the replay lands where the client already was, except for the 1/16
// unit rounding of positions on the wire; any difference is not snapped on screen but folded into a visual
// offset that decays within about a tenth of a second.
//
// Drawing: each predicted step is stamped with the time its input was *scheduled* (the input timer keeps a
// drift-free schedule), and the player is drawn one tick plus a small margin (PREDICTION_DRAW_MARGIN) behind
// along those stamped points. Evenly spaced stamps make steady movement perfectly even at any frame rate, even
// when the browser fires the timer a few milliseconds late (a late step is still in the future of the drawn
// time as long as it is less late than the margin).

import { CORRECTION_SNAP_DISTANCE, CORRECTION_TAU_MS, predictionDrawDelayMs } from './constants';
import { stepPlayer, type MoveContext, type Vec2 } from './movement';

export interface PendingInput {
  seq: number;
  dx: number;
  dy: number;
}

interface TrailPoint {
  at: number;
  pos: Vec2;
}

/** Trail points kept for drawing (a few ticks are enough: the drawn time is one tick behind). */
const TRAIL_LEN = 8;

export class Predictor {
  /** Inputs sent and not yet acknowledged, in seq order. */
  readonly pending: PendingInput[] = [];
  /** Predicted position after every input sent; null until the server has placed the player. */
  current: Vec2 | null = null;
  /** Predicted positions stamped with their input's scheduled time, oldest first. */
  private trail: TrailPoint[] = [];
  /** Visual correction still to be absorbed, added to the drawn position. */
  offset: Vec2 = { x: 0, y: 0 };
  /** Size of the last reconciliation correction, for the HUD and tests. */
  lastCorrection = 0;

  /** Forgets everything (new connection, death). */
  reset(pos: Vec2 | null): void {
    this.pending.length = 0;
    this.current = pos && { ...pos };
    this.trail = pos ? [{ at: -Infinity, pos: { ...pos } }] : [];
    this.offset = { x: 0, y: 0 };
    this.lastCorrection = 0;
  }

  /** Applies an input the client is sending now; `atMs` is the time it was scheduled for. */
  applyLocal(input: PendingInput, atMs: number, ctx: MoveContext): void {
    this.pending.push(input);
    if (!this.current) return;
    this.current = stepPlayer(this.current, input.dx, input.dy, ctx);
    const last = this.trail[this.trail.length - 1];
    // The first step after standing still starts its glide from where the player stood one tick earlier.
    if (last && last.at < atMs - 2 * ctx.dt * 1000) this.trail.push({ at: atMs - ctx.dt * 1000, pos: { ...last.pos } });
    this.trail.push({ at: atMs, pos: { ...this.current } });
    if (this.trail.length > TRAIL_LEN) this.trail.splice(0, this.trail.length - TRAIL_LEN);
  }

  /**
   * Reconciles with the server's state: `serverPos` is the player's position after every input up to `ack`.
   * Returns the correction (new prediction minus old) in world units.
   */
  reconcile(ack: number, serverPos: Vec2, ctx: MoveContext): Vec2 {
    while (this.pending.length > 0 && this.pending[0]!.seq <= ack) this.pending.shift();
    let p: Vec2 = { ...serverPos };
    for (const input of this.pending) p = stepPlayer(p, input.dx, input.dy, ctx);
    if (!this.current) {
      this.reset(p);
      return { x: 0, y: 0 };
    }
    const c = { x: p.x - this.current.x, y: p.y - this.current.y };
    const len = Math.hypot(c.x, c.y);
    this.lastCorrection = len;
    if (len > CORRECTION_SNAP_DISTANCE) {
      // A teleport (respawn) or a long divergence: show the truth at once.
      const pending = [...this.pending];
      this.reset(p);
      this.pending.push(...pending);
      this.lastCorrection = len;
    } else if (len > 0) {
      // Shift the whole trail and absorb the shift in the visual offset: nothing moves on screen now.
      this.current = p;
      for (const t of this.trail) t.pos = { x: t.pos.x + c.x, y: t.pos.y + c.y };
      this.offset = { x: this.offset.x - c.x, y: this.offset.y - c.y };
    }
    return c;
  }

  /** Decays the visual offset by `elapsedMs` of real time. */
  decay(elapsedMs: number): void {
    const k = Math.exp(-Math.max(0, elapsedMs) / CORRECTION_TAU_MS);
    this.offset = { x: this.offset.x * k, y: this.offset.y * k };
    if (Math.hypot(this.offset.x, this.offset.y) < 1e-3) this.offset = { x: 0, y: 0 };
  }

  /** Where to draw the local player at `nowMs` (a little over one tick behind along the trail). */
  drawPosition(nowMs: number, ctx: MoveContext): Vec2 | null {
    const n = this.trail.length;
    if (!this.current || n === 0) return null;
    const at = nowMs - predictionDrawDelayMs(ctx.dt * 1000);
    let base = this.trail[n - 1]!.pos;
    if (at <= this.trail[0]!.at) base = this.trail[0]!.pos;
    else {
      for (let i = n - 1; i > 0; i--) {
        const a = this.trail[i - 1]!;
        const b = this.trail[i]!;
        if (at >= a.at && at < b.at) {
          const t = Number.isFinite(a.at) ? (at - a.at) / (b.at - a.at) : 1;
          base = { x: a.pos.x + (b.pos.x - a.pos.x) * t, y: a.pos.y + (b.pos.y - a.pos.y) * t };
          break;
        }
      }
    }
    return { x: base.x + this.offset.x, y: base.y + this.offset.y };
  }
}
