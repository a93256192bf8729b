// The HUD's panels as insets of the canvas: the usable area must be clear of every panel, as large as the choice
// of sides allows, capped on small windows; over time the insets grow at once and shrink late and smoothly.

import { describe, expect, it } from 'vitest';
import { NO_INSETS, type Insets } from '../src/render/camera';
import {
  INSET_PAD,
  InsetTracker,
  MAX_AXIS_FRACTION,
  MAX_SIDE_FRACTION,
  RESIZE_SETTLE_MS,
  SHRINK_HOLD_MS,
  coveredPanels,
  hudInsets,
  overlaps,
  usableRect,
  type Rect,
} from '../src/render/insets';
import { rng } from './helpers';

const rect = (left: number, top: number, w: number, h: number): Rect => ({
  left,
  top,
  right: left + w,
  bottom: top + h,
});

/** The HUD as style.css lays it out at 800 × 600: stats top left, scoreboard and kill feed in the right column. */
const STATS = rect(8, 8, 262, 27);
const BOARD = rect(566, 8, 226, 290);
const FEED = rect(610, 440, 182, 148);

const area = (r: Rect) => Math.max(0, r.right - r.left) * Math.max(0, r.bottom - r.top);

describe('HUD insets', () => {
  it('keeps the usable area clear of the real HUD: the column on the right, the stats line on top', () => {
    const ins = hudInsets(800, 600, [STATS, BOARD, FEED]);
    expect(ins).toEqual({ left: 0, top: STATS.bottom + INSET_PAD, right: 800 - BOARD.left + INSET_PAD, bottom: 0 });
    const usable = usableRect(800, 600, ins);
    for (const p of [STATS, BOARD, FEED]) expect(overlaps(usable, p), JSON.stringify(p)).toBe(false);
    // Most of the screen stays usable.
    expect(area(usable) / (800 * 600)).toBeGreaterThan(0.6);
  });

  it('ignores hidden and empty panels (0 × 0) and what lies outside the canvas', () => {
    expect(hudInsets(800, 600, [rect(0, 0, 0, 0), rect(792, 8, 0, 0), rect(900, 10, 100, 100)])).toEqual(NO_INSETS);
    expect(hudInsets(800, 600, [])).toEqual(NO_INSETS);
  });

  it('clears any corner and side panels with the largest usable area over every choice of sides', () => {
    const r = rng(7);
    let feasible = 0;
    for (let trial = 0; trial < 300; trial++) {
      const [w, h] = [600 + Math.floor(r() * 1400), 500 + Math.floor(r() * 900)];
      const panels: Rect[] = [];
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) {
        const pw = 20 + r() * 0.28 * w;
        const ph = 20 + r() * 0.28 * h;
        // Anchored at a corner or the middle of a side, 8 px in, as HUD panels are.
        const ax = [8, w - 8 - pw, (w - pw) / 2][Math.floor(r() * 3)]!;
        const ay = ax === (w - pw) / 2 ? [8, h - 8 - ph][Math.floor(r() * 2)]! : [8, h - 8 - ph, (h - ph) / 2][Math.floor(r() * 3)]!;
        panels.push(rect(ax, ay, pw, ph));
      }
      const ins = hudInsets(w, h, panels);
      const usable = usableRect(w, h, ins);
      const where = `${w}×${h} ${JSON.stringify(panels)} → ${JSON.stringify(ins)}`;
      expect(ins.left + ins.right, where).toBeLessThanOrEqual(MAX_AXIS_FRACTION * w + 1e-9);
      expect(ins.top + ins.bottom, where).toBeLessThanOrEqual(MAX_AXIS_FRACTION * h + 1e-9);
      // Brute force over "each panel kept clear of from each of the four sides", within the caps.
      let best = -1;
      const n = panels.length;
      for (let m = 0; m < 4 ** n; m++) {
        const o: Insets = { left: 0, top: 0, right: 0, bottom: 0 };
        for (let i = 0, mm = m; i < n; i++, mm = Math.floor(mm / 4)) {
          const p = panels[i]!;
          const side = mm % 4;
          if (side === 0) o.left = Math.max(o.left, p.right + INSET_PAD);
          if (side === 1) o.right = Math.max(o.right, w - p.left + INSET_PAD);
          if (side === 2) o.top = Math.max(o.top, p.bottom + INSET_PAD);
          if (side === 3) o.bottom = Math.max(o.bottom, h - p.top + INSET_PAD);
        }
        const sides = Math.max(o.left, o.right) <= MAX_SIDE_FRACTION * w && Math.max(o.top, o.bottom) <= MAX_SIDE_FRACTION * h;
        if (sides && o.left + o.right <= MAX_AXIS_FRACTION * w && o.top + o.bottom <= MAX_AXIS_FRACTION * h) {
          best = Math.max(best, area(usableRect(w, h, o)));
        }
      }
      if (best < 0) continue; // no way to keep them all clear in this window: only the caps hold
      feasible++;
      // Every panel is clear of the usable area, with the pad, and no choice of sides leaves more.
      for (const p of panels) {
        const padded = { left: p.left - INSET_PAD, top: p.top - INSET_PAD, right: p.right + INSET_PAD, bottom: p.bottom + INSET_PAD };
        expect(overlaps(usable, padded, 1e-9), where).toBe(false);
      }
      expect(area(usable), where).toBeGreaterThanOrEqual(best - 1e-6);
    }
    expect(feasible).toBeGreaterThan(200);
  });

  it('caps each side and each axis on a small window, so the middle stays usable', () => {
    // A 375 px wide phone: the scoreboard column alone is 64 % of the width, or 46 % of the height.
    const panels = [rect(141, 8, 226, 290), rect(8, 8, 200, 27)];
    const ins = hudInsets(375, 667, panels);
    for (const [side, dim] of [['left', 375], ['right', 375], ['top', 667], ['bottom', 667]] as const) {
      expect(ins[side], side).toBeLessThanOrEqual(MAX_SIDE_FRACTION * dim + 1e-9);
    }
    expect(ins.left + ins.right).toBeLessThanOrEqual(MAX_AXIS_FRACTION * 375 + 1e-9);
    expect(ins.top + ins.bottom).toBeLessThanOrEqual(MAX_AXIS_FRACTION * 667 + 1e-9);
    // It still keeps as much clear as the caps allow: here the whole top strip.
    expect(ins.top).toBeCloseTo(MAX_SIDE_FRACTION * 667, 9);
    // Panels on both sides: the two share the axis' half.
    const both = hudInsets(800, 600, [rect(8, 100, 300, 400), rect(492, 100, 300, 400)]);
    expect(both.left + both.right).toBeCloseTo(MAX_AXIS_FRACTION * 800, 9);
    expect(both.left).toBeCloseTo(both.right, 9);
  });

  it('prefers the sides that keep every panel clear to a larger area that would leave one under the caps', () => {
    // Three panels that would all be cheapest as one big right inset, too big for its cap.
    const panels = [rect(588, 8, 380, 264), rect(627, 969, 303, 352), rect(1109, 474, 440, 380)];
    const ins = hudInsets(1557, 1329, panels);
    const usable = usableRect(1557, 1329, ins);
    for (const p of panels) expect(overlaps(usable, p), JSON.stringify(ins)).toBe(false);
  });

  it('tells which panels have something beneath them', () => {
    const marks = [
      { x: 700, y: 100, r: 10 },
      { x: 400, y: 300, r: 10 },
      { x: 275, y: 20, r: 10 },
    ];
    expect(coveredPanels([BOARD, FEED, STATS, rect(0, 0, 0, 0)], marks)).toEqual([true, false, true, false]);
    expect(coveredPanels([FEED], [{ x: 600, y: 430, r: 9 }])).toEqual([false]);
    expect(coveredPanels([FEED], [{ x: 600, y: 430, r: 11 }])).toEqual([true]);
  });
});

describe('insets over time', () => {
  const at = (right: number): Insets => ({ left: 0, top: 39, right, bottom: 0 });

  it('takes the first measure as it is, and grows at once', () => {
    const t = new InsetTracker();
    expect(t.update(at(240), 0)).toEqual(at(240));
    expect(t.update(at(300), 16)).toEqual(at(300));
  });

  it('shrinks only once the smaller size has held, then smoothly, and not on a brief dip', () => {
    const t = new InsetTracker();
    t.update(at(300), 0);
    // A kill-feed line goes and comes back within the hold: nothing moves.
    let now = 0;
    for (; now < SHRINK_HOLD_MS - 100; now += 16) expect(t.update(at(240), now).right).toBe(300);
    expect(t.update(at(300), now).right).toBe(300);
    // Now it stays smaller: the inset holds, then eases down without steps larger than a few pixels a frame.
    const start = now;
    let prev = 300;
    let reached: number | null = null;
    for (now += 16; now < start + SHRINK_HOLD_MS + 2000; now += 16) {
      const right = t.update(at(240), now).right;
      expect(right).toBeLessThanOrEqual(prev);
      expect(right).toBeGreaterThanOrEqual(240);
      expect(prev - right).toBeLessThan(8);
      if (now - start < SHRINK_HOLD_MS - 16) expect(right).toBe(300);
      if (right === 240 && reached === null) reached = now - start;
      prev = right;
    }
    expect(reached).not.toBeNull();
    expect(reached!).toBeLessThan(SHRINK_HOLD_MS + 1500);
    // And grows back at once.
    expect(t.update(at(260), now).right).toBe(260);
  });

  it('follows the panels at once, both ways, for a moment after the canvas changed size (a rotation)', () => {
    const t = new InsetTracker();
    let now = 0;
    for (; now < 3000; now += 16) t.update(at(240), now);
    // Rotated: the first frame at the new size measures a much smaller inset; it is taken at once.
    expect(t.update(at(80), now, true).right).toBe(80);
    // The HUD lays itself out again over the next frames (bigger, then smaller): each measure is taken as it is.
    now += 16;
    expect(t.update(at(120), now).right).toBe(120);
    now += 16;
    expect(t.update(at(90), now).right).toBe(90);
    // Another step of the same rotation (a browser resizing in steps) starts the moment again.
    now += RESIZE_SETTLE_MS - 20;
    expect(t.update(at(70), now, true).right).toBe(70);
    now += RESIZE_SETTLE_MS - 20;
    expect(t.update(at(60), now).right).toBe(60);
    // Once settled, a panel that shrinks waits for the hold again.
    now += 40;
    expect(t.update(at(60), now).right).toBe(60);
    const start = now;
    for (now += 16; now < start + SHRINK_HOLD_MS - 100; now += 16) expect(t.update(at(30), now).right).toBe(60);
    // And a reset forgets the moment.
    t.update(at(200), now, true);
    t.reset();
    t.update(at(200), now + 16);
    expect(t.update(at(100), now + 32).right).toBe(200);
  });

  it('starts over after a pause (a hidden tab) and after reset', () => {
    const t = new InsetTracker();
    t.update(at(300), 0);
    expect(t.update(at(200), 5000)).toEqual(at(200));
    t.reset();
    expect(t.update(at(100), 5016)).toEqual(at(100));
  });
});
