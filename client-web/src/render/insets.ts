// The HUD's panels as insets of the canvas: what the camera keeps the arena's edges out from under (camera.ts),
// and which panels have something of the game beneath them (they turn see-through, ui/hud.ts).
//
// The panels are DOM over the canvas; their real rectangles (getBoundingClientRect, CSS pixels) change with the
// window and with their content. Each one reaches into the canvas from a corner or a side, and the camera keeps
// clear either the strip beside it (a left or right inset) or the strip above or below it (a top or bottom inset):
// `hudInsets` picks, for all panels together, the sides that leave the largest usable area within some caps (the
// scoreboard column on the right is a right inset, the one-line stats panel top left a top inset). `InsetTracker` smooths them over
// time: they grow at once (nothing new is hidden for a moment) and shrink only once the smaller size has held for
// a while, then smoothly (a kill-feed line that comes and goes does not make the camera pump). When the canvas
// changes size (a phone rotated, a window resized) they follow the panels at once for a moment, both ways: the
// old sizes belong to another layout.

import { NO_INSETS, type Insets } from './camera';

/** A rectangle in CSS pixels (as getBoundingClientRect gives it). */
export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Room kept between a panel and the arena edge the camera keeps clear of it (CSS pixels). */
export const INSET_PAD = 6;
/** The most one side's inset may take of the canvas' width or height: the player's middle stays clear. */
export const MAX_SIDE_FRACTION = 0.35;
/** The most both insets of one axis may take together. */
export const MAX_AXIS_FRACTION = 0.5;
/** Up to this many panels the best choice of sides is searched exhaustively (4^n); beyond, each picks alone. */
const EXHAUSTIVE = 5;

export function newInsets(): Insets {
  return { left: 0, top: 0, right: 0, bottom: 0 };
}

/** Whether two rectangles share more than `eps` pixels along both axes. */
export function overlaps(a: Readonly<Rect>, b: Readonly<Rect>, eps = 0): boolean {
  return Math.min(a.right, b.right) - Math.max(a.left, b.left) > eps &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > eps;
}

/** The part of `r` inside the canvas, or null when nothing of it is (hidden panels measure 0 × 0). */
function clip(r: Readonly<Rect>, width: number, height: number): Rect | null {
  const left = Math.max(0, r.left);
  const top = Math.max(0, r.top);
  const right = Math.min(width, r.right);
  const bottom = Math.min(height, r.bottom);
  return right - left > 0 && bottom - top > 0 ? { left, top, right, bottom } : null;
}

/**
 * The insets that keep the usable area of a `width` × `height` canvas clear of every panel in `panels`. A panel
 * is kept clear of from one side of the canvas (left: up to its right edge, top: down to its bottom, …), INSET_PAD
 * more; the sides are chosen for all panels together: the choice that leaves the largest usable area among those
 * within the caps (each side at most MAX_SIDE_FRACTION of the canvas, each axis MAX_AXIS_FRACTION), so that a
 * very small window keeps the middle of the screen. When no choice is within them (a window too small for its
 * HUD), the insets are capped, panels are partly over the usable area, and the choice is the one that leaves the
 * least of them there. Ties: the first side in the order left, right, top, bottom, panel by panel.
 */
export function hudInsets(width: number, height: number, panels: readonly Readonly<Rect>[], out = newInsets()): Insets {
  const clipped: Rect[] = [];
  for (const p of panels) {
    const c = clip(p, width, height);
    if (c) clipped.push(c);
  }
  const n = clipped.length;
  const sideW = MAX_SIDE_FRACTION * width;
  const sideH = MAX_SIDE_FRACTION * height;
  const axisW = MAX_AXIS_FRACTION * width;
  const axisH = MAX_AXIS_FRACTION * height;
  /** The insets for `choice` (two bits a panel: 0 left, 1 right, 2 top, 3 bottom) into `o`; its score. */
  const score = (choice: number, o: Insets): number => {
    o.left = o.top = o.right = o.bottom = 0;
    for (let i = 0; i < n; i++) {
      const r = clipped[i]!;
      const side = n <= EXHAUSTIVE ? (choice >> (2 * i)) & 3 : cheaper(r, width, height);
      if (side === 0) o.left = Math.max(o.left, r.right + INSET_PAD);
      else if (side === 1) o.right = Math.max(o.right, width - r.left + INSET_PAD);
      else if (side === 2) o.top = Math.max(o.top, r.bottom + INSET_PAD);
      else o.bottom = Math.max(o.bottom, height - r.top + INSET_PAD);
    }
    const within = o.left <= sideW && o.right <= sideW && o.top <= sideH && o.bottom <= sideH &&
      o.left + o.right <= axisW && o.top + o.bottom <= axisH;
    cap(o, sideW, sideH, axisW, axisH);
    // Within the caps: the usable area (positive). Otherwise (every choice within them beats every one that is
    // not): the less of the panels left over the usable area, the better.
    if (within) return (width - o.left - o.right) * (height - o.top - o.bottom);
    let over = 0;
    for (const r of clipped) {
      over += Math.max(0, Math.min(r.right, width - o.right) - Math.max(r.left, o.left)) *
        Math.max(0, Math.min(r.bottom, height - o.bottom) - Math.max(r.top, o.top));
    }
    return -over;
  };
  let best = 0;
  if (n <= EXHAUSTIVE) {
    let bestScore = -Infinity;
    for (let choice = 0; choice < 1 << (2 * n); choice++) {
      const sc = score(choice, out);
      if (sc > bestScore) {
        bestScore = sc;
        best = choice;
      }
    }
  }
  score(best, out);
  return out;
}

/** For many panels (not the HUD's few): the side from which keeping clear of `r` costs the least area. */
function cheaper(r: Readonly<Rect>, width: number, height: number): number {
  const costs = [r.right * height, (width - r.left) * height, r.bottom * width, (height - r.top) * width];
  return costs.indexOf(Math.min(...costs));
}

/** Caps each side and then each axis (the two sides scaled down together). */
function cap(o: Insets, sideW: number, sideH: number, axisW: number, axisH: number): void {
  o.left = Math.min(o.left, sideW);
  o.right = Math.min(o.right, sideW);
  o.top = Math.min(o.top, sideH);
  o.bottom = Math.min(o.bottom, sideH);
  if (o.left + o.right > axisW) {
    const k = axisW / (o.left + o.right);
    o.left *= k;
    o.right *= k;
  }
  if (o.top + o.bottom > axisH) {
    const k = axisH / (o.top + o.bottom);
    o.top *= k;
    o.bottom *= k;
  }
}

/** The usable area of a `width` × `height` canvas with `insets`. */
export function usableRect(width: number, height: number, insets: Readonly<Insets>): Rect {
  return { left: insets.left, top: insets.top, right: width - insets.right, bottom: height - insets.bottom };
}

/** How long an inset must have measured smaller before it shrinks (ms). */
export const SHRINK_HOLD_MS = 1500;
/** Time constant of a shrinking inset's easing (ms). */
export const SHRINK_EASE_MS = 150;
/**
 * After the canvas changes size the insets take the measured ones as they are, shrinking too, for this long (ms):
 * the HUD lays itself out again for the new size over a frame or two (the scoreboard's rows follow the window's
 * height and width, ui/hud.ts), and a browser may resize in a few steps while it rotates.
 */
export const RESIZE_SETTLE_MS = 500;
const SIDES = ['left', 'top', 'right', 'bottom'] as const;

/**
 * Insets over time, once per frame: an inset that grows takes the new size at once; one that measures smaller
 * keeps its size until it has measured smaller for SHRINK_HOLD_MS, then eases to the smaller size (time constant
 * SHRINK_EASE_MS). The first update, one after a pause of more than a second, and every update within
 * RESIZE_SETTLE_MS of a change of the canvas' size take the target as it is: the hold is there so that the panels'
 * content coming and going does not move the camera, but insets measured for another canvas size are simply
 * wrong (kept after a phone's rotation, the other orientation's insets squeezed the arena to a third or half of its
 * scale for 1.5 s).
 */
export class InsetTracker {
  /** The insets to use now. */
  readonly current: Insets = newInsets();
  /** What each side is easing to. */
  private readonly goal: Insets = newInsets();
  /** Since when each side has measured below its goal (null: it has not). */
  private readonly below: Record<keyof Insets, number | null> = { left: null, top: null, right: null, bottom: null };
  private lastMs: number | null = null;
  /** Until when the insets follow the target at once after a change of the canvas' size. */
  private settleUntil = -Infinity;

  /** `resized`: the canvas changed size since the last update (this frame's target is measured for the new one). */
  update(target: Readonly<Insets>, nowMs: number, resized = false): Readonly<Insets> {
    const dt = this.lastMs === null ? Infinity : Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    if (resized) this.settleUntil = nowMs + RESIZE_SETTLE_MS;
    const settling = nowMs < this.settleUntil;
    for (const side of SIDES) {
      const t = target[side];
      if (dt > 1000 || settling) {
        this.goal[side] = this.current[side] = t;
        this.below[side] = null;
        continue;
      }
      if (t >= this.current[side]) {
        // Growing, or back to what is shown: at once.
        this.goal[side] = this.current[side] = t;
        this.below[side] = null;
        continue;
      }
      const since = (this.below[side] ??= nowMs);
      // Easing down already and the panel measures bigger than the goal again: stop there; otherwise shrink only
      // once the smaller size has held.
      if (t > this.goal[side] || nowMs - since >= SHRINK_HOLD_MS) this.goal[side] = t;
      const c = this.current[side];
      const g = this.goal[side];
      if (c > g) {
        const eased = g + (c - g) * Math.exp(-dt / SHRINK_EASE_MS);
        this.current[side] = eased - g < 0.25 ? g : eased;
      }
    }
    return this.current;
  }

  reset(): void {
    Object.assign(this.current, NO_INSETS);
    Object.assign(this.goal, NO_INSETS);
    for (const side of SIDES) this.below[side] = null;
    this.lastMs = null;
    this.settleUntil = -Infinity;
  }
}

/**
 * Which of `panels` have one of `points` (CSS pixels; `r`: how far its drawing reaches around it) beneath them,
 * written into `out`: panels × points, a few panels and the entities on screen.
 */
export function coveredPanels(
  panels: readonly Readonly<Rect>[],
  points: readonly { x: number; y: number; r: number }[],
  out: boolean[] = [],
): boolean[] {
  out.length = panels.length;
  panels.forEach((p, i) => {
    out[i] = false;
    if (p.right <= p.left || p.bottom <= p.top) return;
    for (const q of points) {
      if (q.x + q.r > p.left && q.x - q.r < p.right && q.y + q.r > p.top && q.y - q.r < p.bottom) {
        out[i] = true;
        return;
      }
    }
  });
  return out;
}
