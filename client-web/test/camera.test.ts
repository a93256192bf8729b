// The camera: the fitted arena (no view), and the follow camera of interest management, which must never show
// anything beyond the square around the player inside which the server guarantees every entity.

import { describe, expect, it } from 'vitest';
import {
  FOLLOW_MARGIN_PX,
  NO_INSETS,
  PULL_RATE,
  fitArena,
  followAxis,
  followCamera,
  followHalfSize,
  followMargin,
  newCamera,
  visibleWorld,
  type Camera,
  type Insets,
} from '../src/render/camera';
import { DEFAULT_RULES } from '../src/game/session';
import type { Arena } from '../src/protocol/types';
import { ARENA } from './helpers';

const BIG: Arena = { width: 4000, height: 4000, walls: [] };
const VIEW = 437.5;
const MARGIN = followMargin(DEFAULT_RULES, 20);
const SCREENS: [number, number][] = [
  [1280, 800],
  [800, 1280],
  [1000, 1000],
  [375, 667],
  [2560, 1080],
];

const onScreen = (cam: Camera, x: number, y: number) => ({ x: cam.ox + x * cam.scale, y: cam.oy + y * cam.scale });

describe('fit camera (no view)', () => {
  it('fits the whole arena, centred below the HUD line, as before', () => {
    const cam = fitArena(ARENA, 1280, 800);
    // (800 - 44 - 16) / 1000 = 0.74 < (1280 - 32) / 1600 = 0.78
    expect(cam.scale).toBeCloseTo(0.74, 12);
    expect(cam.ox).toBeCloseTo((1280 - 1600 * 0.74) / 2, 9);
    expect(cam.oy).toBeCloseTo(44, 9);
    const v = visibleWorld(cam, 1280, 800);
    expect(v.left).toBeLessThan(0);
    expect(v.right).toBeGreaterThan(ARENA.width);
    expect(v.top).toBeLessThan(0);
    expect(v.bottom).toBeGreaterThan(ARENA.height);
  });

  it('writes into the camera it is given (no allocation per frame)', () => {
    const out = newCamera();
    expect(fitArena(ARENA, 1280, 800, out)).toBe(out);
    expect(followCamera(out, BIG, VIEW, 2000, 2000, 1280, 800, MARGIN)).toBe(out);
    expect(followCamera(out, ARENA, 5000, 200, 200, 1280, 800, MARGIN)).toBe(out);
  });
});

describe('follow camera (view)', () => {
  it('centres the player and shows exactly the safe square along the longer axis', () => {
    const cam = followCamera(newCamera(), BIG, VIEW, 2000, 1500, 1280, 800, MARGIN);
    const safe = followHalfSize(VIEW, MARGIN, FOLLOW_MARGIN_PX, 1280);
    expect(onScreen(cam, 2000, 1500).x).toBeCloseTo(640, 9);
    expect(onScreen(cam, 2000, 1500).y).toBeCloseTo(400, 9);
    const v = visibleWorld(cam, 1280, 800);
    expect(v.right - v.left).toBeCloseTo(2 * safe, 9);
    expect(v.bottom - v.top).toBeCloseTo((2 * safe * 800) / 1280, 9);
    expect(safe).toBeLessThan(VIEW - MARGIN);
    // Zoomed in compared with the fitted 4000 × 4000 arena.
    expect(cam.scale).toBeGreaterThan(fitArena(BIG, 1280, 800).scale);
  });

  it('never shows anything beyond the view less its margins, wherever the player is, on any screen shape', () => {
    for (const [w, h] of SCREENS) {
      for (let px = 0; px <= BIG.width; px += 125) {
        for (const py of [0, 16, 300, 1999, 3700, 4000]) {
          const cam = followCamera(newCamera(), BIG, VIEW, px, py, w, h, MARGIN);
          const v = visibleWorld(cam, w, h);
          // What is drawn of an entity reaches MARGIN world units and FOLLOW_MARGIN_PX pixels beyond its position:
          // the screen must end before any entity outside ±VIEW could reach into it.
          const reach = VIEW - MARGIN - FOLLOW_MARGIN_PX / cam.scale + 1e-9;
          const where = `player (${px}, ${py}) on ${w}×${h}: ${JSON.stringify(v)}`;
          expect(v.left, where).toBeGreaterThanOrEqual(px - reach);
          expect(v.right, where).toBeLessThanOrEqual(px + reach);
          expect(v.top, where).toBeGreaterThanOrEqual(py - reach);
          expect(v.bottom, where).toBeLessThanOrEqual(py + reach);
          // And the player is on screen: in the middle, or between the middle and the arena's edge.
          const p = onScreen(cam, px, py);
          expect(p.x, where).toBeGreaterThanOrEqual(px < BIG.width / 2 ? 0 : w / 2 - 1e-6);
          expect(p.x, where).toBeLessThanOrEqual(px < BIG.width / 2 ? w / 2 + 1e-6 : w);
          expect(p.y, where).toBeGreaterThanOrEqual(py < BIG.height / 2 ? 0 : h / 2 - 1e-6);
          expect(p.y, where).toBeLessThanOrEqual(py < BIG.height / 2 ? h / 2 + 1e-6 : h);
          if (px >= 1000 && px <= 3000 && py >= 1000 && py <= 3000) {
            expect(p.x, where).toBeCloseTo(w / 2, 6);
            expect(p.y, where).toBeCloseTo(h / 2, 6);
          }
        }
      }
    }
  });

  it('shifts towards the inside at an edge along the shorter axis, as far as the view allows', () => {
    const [w, h] = [1280, 800];
    const safe = followHalfSize(VIEW, MARGIN, FOLLOW_MARGIN_PX, w);
    // At the top edge (y is the shorter axis): the player is drawn above the middle, the screen ends at safe.
    const top = followCamera(newCamera(), BIG, VIEW, 2000, 0, w, h, MARGIN);
    const vt = visibleWorld(top, w, h);
    expect(onScreen(top, 2000, 0).y).toBeLessThan(h / 2 - 50);
    expect(vt.top).toBeCloseTo(safe - (2 * safe * h) / w, 6);
    expect(vt.bottom).toBeCloseTo(safe, 6);
    // At the bottom edge, the other way.
    const bottom = followCamera(newCamera(), BIG, VIEW, 2000, 4000, w, h, MARGIN);
    expect(onScreen(bottom, 2000, 4000).y).toBeGreaterThan(h / 2 + 50);
    expect(visibleWorld(bottom, w, h).top).toBeCloseTo(4000 - safe, 6);
    // Along the longer axis there is no room: the player stays centred, outside the arena is background.
    const left = followCamera(newCamera(), BIG, VIEW, 0, 2000, w, h, MARGIN);
    expect(onScreen(left, 0, 2000).x).toBeCloseTo(w / 2, 9);
    expect(visibleWorld(left, w, h).left).toBeCloseTo(-safe, 6);
    // Away from the edges nothing shifts.
    const mid = followCamera(newCamera(), BIG, VIEW, 2000, 1000, w, h, MARGIN);
    expect(onScreen(mid, 2000, 1000).y).toBeCloseTo(h / 2, 9);
  });

  it('moves continuously with the player (no jump at the edges)', () => {
    for (const [w, h] of SCREENS) {
      let prev: Camera | null = null;
      for (let py = -20; py <= 4020; py += 0.5) {
        const cam = followCamera(newCamera(), BIG, VIEW, 50, py, w, h, MARGIN);
        if (prev) {
          // The camera moves no more than the player (0.5 units per step), on screen as in the world.
          expect(Math.abs(cam.oy - prev.oy) / cam.scale).toBeLessThanOrEqual(0.5 + 1e-9);
          expect(cam.ox).toBe(prev.ox);
        }
        prev = cam;
      }
    }
  });

  it('follows one axis: the player, the arena side, the slack', () => {
    // Enough room: centred on the player.
    expect(followAxis(500, 4000, 200, 300)).toBe(500);
    // Near the start: pushed inside, but by no more than safe − half.
    expect(followAxis(50, 4000, 200, 300)).toBe(150);
    expect(followAxis(150, 4000, 200, 300)).toBe(200);
    expect(followAxis(3990, 4000, 200, 300)).toBe(3890);
    // No slack (half = safe): always the player.
    expect(followAxis(0, 4000, 300, 300)).toBe(0);
    // An arena narrower than the screen: its middle, within the slack.
    expect(followAxis(100, 300, 200, 300)).toBe(150);
    expect(followAxis(10, 300, 200, 300)).toBe(110);
  });

  it('fits an arena that lies inside the safe square wherever the player stands', () => {
    const small: Arena = { width: 300, height: 200, walls: [] };
    const cam = followCamera(newCamera(), small, 1000, 20, 20, 1280, 800, MARGIN);
    expect(cam).toEqual(fitArena(small, 1280, 800));
  });

  it('keeps at least half the view when the margins would eat it, and margins scale with speed and tick rate', () => {
    expect(followHalfSize(100, 500, FOLLOW_MARGIN_PX, 1280)).toBe(50);
    expect(followHalfSize(1000, 100, 0, 1280)).toBe(900);
    // 28 px on a 1280 px screen: h = 900 / (1 + 56/1280).
    expect(followHalfSize(1000, 100, 28, 1280)).toBeCloseTo(900 / (1 + 56 / 1280), 9);
    const m20 = followMargin(DEFAULT_RULES, 20);
    expect(followMargin(DEFAULT_RULES, 60)).toBeLessThan(m20);
    expect(followMargin({ ...DEFAULT_RULES, player_speed: 440 }, 20)).toBeGreaterThan(m20);
    // 220 units/s, 16 radius at 20 Hz: 16 + 16 + 220 × 4 / 20.
    expect(m20).toBeCloseTo(76, 9);
  });
});

/** The old follow axis, before HUD insets: with no insets the camera must be exactly this. */
function plainAxis(p: number, len: number, half: number, safe: number): number {
  const clampTo = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const target = len <= 2 * half ? len / 2 : clampTo(p, half, len - half);
  const slack = Math.max(0, safe - half);
  return clampTo(target, p - slack, p + slack);
}

describe('cameras with HUD insets', () => {
  // The HUD at 800 × 600 (render/insets.ts: the stats line on top, the scoreboard column on the right).
  const HUD_800: Insets = { left: 0, top: 41, right: 240, bottom: 0 };
  const CASES: [number, number, Insets][] = [
    [800, 600, HUD_800],
    [1000, 700, { left: 0, top: 41, right: 240, bottom: 0 }],
    [1280, 800, { left: 0, top: 41, right: 250, bottom: 0 }],
    [600, 900, { left: 0, top: 41, right: 210, bottom: 160 }],
    [800, 600, { left: 120, top: 0, right: 0, bottom: 150 }],
  ];
  const E2E_VIEW = 375;

  it('is the plain follow camera without insets', () => {
    for (let p = -10; p <= 4010; p += 7.25) {
      for (const [half, safe] of [[300, 300], [200, 300], [2500, 2600]]) {
        expect(followAxis(p, 4000, half!, safe!)).toBe(plainAxis(p, 4000, half!, safe!));
        expect(followAxis(p, 4000, half!, safe!, 0, 0)).toBe(plainAxis(p, 4000, half!, safe!));
      }
    }
    expect(followCamera(newCamera(), BIG, VIEW, 50, 3900, 800, 600, MARGIN, FOLLOW_MARGIN_PX, NO_INSETS)).toEqual(
      followCamera(newCamera(), BIG, VIEW, 50, 3900, 800, 600, MARGIN),
    );
    expect(fitArena(ARENA, 800, 600, newCamera(), NO_INSETS)).toEqual(fitArena(ARENA, 800, 600));
  });

  it('fits the arena inside the usable area, clear of the panels, centred in it', () => {
    for (const [w, h, ins] of CASES) {
      const cam = fitArena(ARENA, w, h, newCamera(), ins);
      const tl = onScreen(cam, 0, 0);
      const br = onScreen(cam, ARENA.width, ARENA.height);
      const where = `${w}×${h} ${JSON.stringify(ins)}: ${JSON.stringify([tl, br])}`;
      expect(tl.x, where).toBeGreaterThanOrEqual(ins.left + 16 - 1e-9);
      expect(tl.y, where).toBeGreaterThanOrEqual(ins.top + FOLLOW_MARGIN_PX - 1e-9);
      expect(br.x, where).toBeLessThanOrEqual(w - ins.right - 16 + 1e-9);
      expect(br.y, where).toBeLessThanOrEqual(h - ins.bottom - 16 + 1e-9);
      // It fills the usable area along one axis and is centred along the other.
      const fillsX = Math.abs(br.x - tl.x - (w - ins.left - ins.right - 32)) < 1e-6;
      const fillsY = Math.abs(br.y - tl.y - (h - Math.max(44, ins.top + FOLLOW_MARGIN_PX) - ins.bottom - 16)) < 1e-6;
      expect(fillsX || fillsY, where).toBe(true);
      expect(tl.x - ins.left - 16, where).toBeCloseTo(w - ins.right - 16 - br.x, 6);
    }
  });

  it('never shows anything of the arena beyond the view, wherever the player is', () => {
    // Beyond the arena nothing can be: there the camera may show more, to bring an edge out from under a panel.
    for (const [w, h, ins] of CASES) {
      for (let px = 0; px <= BIG.width; px += 125) {
        for (const py of [0, 16, 150, 300, 1999, 3700, 3900, 4000]) {
          const cam = followCamera(newCamera(), BIG, E2E_VIEW, px, py, w, h, MARGIN, FOLLOW_MARGIN_PX, ins);
          const v = visibleWorld(cam, w, h);
          const reach = E2E_VIEW - MARGIN - FOLLOW_MARGIN_PX / cam.scale + 1e-9;
          const where = `player (${px}, ${py}) on ${w}×${h} ${JSON.stringify(ins)}: ${JSON.stringify(v)}`;
          expect(Math.max(v.left, 0), where).toBeGreaterThanOrEqual(px - reach);
          expect(Math.min(v.right, BIG.width), where).toBeLessThanOrEqual(px + reach);
          expect(Math.max(v.top, 0), where).toBeGreaterThanOrEqual(py - reach);
          expect(Math.min(v.bottom, BIG.height), where).toBeLessThanOrEqual(py + reach);
          // The scale is the plain camera's: insets never zoom.
          expect(cam.scale).toBe(followCamera(newCamera(), BIG, E2E_VIEW, px, py, w, h, MARGIN).scale);
        }
      }
    }
  });

  it('keeps an arena edge near the player out from under the panels, and the player in the usable area', () => {
    let checked = 0;
    for (const [w, h, ins] of CASES) {
      const base = followCamera(newCamera(), BIG, E2E_VIEW, 2000, 2000, w, h, MARGIN);
      const halfX = w / (2 * base.scale);
      const halfY = h / (2 * base.scale);
      // An edge is near when it is within this of the player: a screen half less the panel's share that the
      // camera needs to bring it out (PULL_RATE: it moves ahead faster than the player walks).
      const near = (half: number, inset: number) => half - inset / base.scale / (1 + PULL_RATE);
      for (let px = 0; px <= BIG.width; px += 10) {
        for (const py of [16, 60, 120, 200, 2000, 3800, 3900, 3984]) {
          const cam = followCamera(newCamera(), BIG, E2E_VIEW, px, py, w, h, MARGIN, FOLLOW_MARGIN_PX, ins);
          const tl = onScreen(cam, 0, 0);
          const br = onScreen(cam, BIG.width, BIG.height);
          const me = onScreen(cam, px, py);
          const where = `player (${px}, ${py}) on ${w}×${h} ${JSON.stringify(ins)}: edges ${JSON.stringify([tl, br])}`;
          if (px <= near(halfX, ins.left)) (checked++, expect(tl.x, where).toBeGreaterThanOrEqual(ins.left - 1e-6));
          if (BIG.width - px <= near(halfX, ins.right)) {
            checked++;
            expect(br.x, where).toBeLessThanOrEqual(w - ins.right + 1e-6);
          }
          if (py <= near(halfY, ins.top)) (checked++, expect(tl.y, where).toBeGreaterThanOrEqual(ins.top - 1e-6));
          if (BIG.height - py <= near(halfY, ins.bottom)) {
            checked++;
            expect(br.y, where).toBeLessThanOrEqual(h - ins.bottom + 1e-6);
          }
          // The player is never under a panel.
          expect(me.x, where).toBeGreaterThanOrEqual(ins.left - 1e-6);
          expect(me.x, where).toBeLessThanOrEqual(w - ins.right + 1e-6);
          expect(me.y, where).toBeGreaterThanOrEqual(ins.top - 1e-6);
          expect(me.y, where).toBeLessThanOrEqual(h - ins.bottom + 1e-6);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('walks to the right wall at 800 × 600: the wall comes out from under the scoreboard, the player stays put', () => {
    const [w, h] = [800, 600];
    const seen: { d: number; wall: number; me: number }[] = [];
    for (let px = 3000; px <= BIG.width - 16; px += 4) {
      const cam = followCamera(newCamera(), BIG, E2E_VIEW, px, 2000, w, h, MARGIN, FOLLOW_MARGIN_PX, HUD_800);
      seen.push({ d: BIG.width - px, wall: onScreen(cam, BIG.width, 0).x, me: onScreen(cam, px, 2000).x });
    }
    // Far away: the player in the middle of the canvas, as without insets.
    expect(seen[0]!.me).toBeCloseTo(w / 2, 9);
    // Without insets the wall would lie under the scoreboard while it is 112 to 280 units away (scale ≈ 1.43):
    // with them it is under it only during a short stretch, and out from under it for the last 200 units.
    const hidden = seen.filter((s) => s.wall > w - HUD_800.right && s.wall < w);
    expect(hidden.length * 4).toBeLessThan(70);
    for (const s of seen.filter((s) => s.d <= 200)) expect(s.wall).toBeLessThanOrEqual(w - HUD_800.right + 1e-6);
    // At the wall the player stands clear of the panel, with room to see what comes along it.
    expect(seen.at(-1)!.wall - seen.at(-1)!.me).toBeGreaterThan(16);
    expect(seen.at(-1)!.me).toBeLessThan(w - HUD_800.right - 16);
  });

  it('moves continuously with the player, at most 1 + PULL_RATE times as fast', () => {
    for (const [w, h, ins] of CASES) {
      let prev: Camera | null = null;
      for (let p = -20; p <= 4020; p += 0.5) {
        const cam = followCamera(newCamera(), BIG, E2E_VIEW, p, p, w, h, MARGIN, FOLLOW_MARGIN_PX, ins);
        if (prev) {
          expect(Math.abs(cam.ox - prev.ox) / cam.scale).toBeLessThanOrEqual((1 + PULL_RATE) * 0.5 + 1e-9);
          expect(Math.abs(cam.oy - prev.oy) / cam.scale).toBeLessThanOrEqual((1 + PULL_RATE) * 0.5 + 1e-9);
        }
        prev = cam;
      }
    }
  });

  it('keeps both edges of a narrow arena in the usable area, centred when the player is in the middle', () => {
    // 500 units high at 1280 × 800: less than the usable height at this scale; y has slack (the shorter axis).
    const narrow: Arena = { width: 4000, height: 500, walls: [] };
    const [w, h, ins] = [1280, 800, { left: 0, top: 41, right: 250, bottom: 60 }];
    for (const py of [16, 100, 250, 400, 484]) {
      const cam = followCamera(newCamera(), narrow, 600, 2000, py, w, h, MARGIN, FOLLOW_MARGIN_PX, ins);
      const top = onScreen(cam, 0, 0).y;
      const bottom = onScreen(cam, 0, narrow.height).y;
      expect(top, `py ${py}`).toBeGreaterThanOrEqual(ins.top - 1e-6);
      expect(bottom, `py ${py}`).toBeLessThanOrEqual(h - ins.bottom + 1e-6);
      if (py === 250) expect(top - ins.top).toBeCloseTo(h - ins.bottom - bottom, 6);
    }
    const small: Arena = { width: 300, height: 200, walls: [] };
    expect(followCamera(newCamera(), small, 1000, 20, 20, w, h, MARGIN, FOLLOW_MARGIN_PX, ins)).toEqual(
      fitArena(small, w, h, newCamera(), ins),
    );
  });
});
