// Player colours from the id: distinct for players who join one after another, visible against the arena's floor,
// and never hiding the local player's white ring.

import { describe, expect, it } from 'vitest';
import { ARENA_FLOOR, RING, contrast, luminance, playerColour, playerCss, playerHue } from '../src/render/colours';

/** Hue distance in degrees (the short way round the wheel). */
const hueGap = (a: number, b: number) => {
  const d = Math.abs(a - b) % 1;
  return Math.min(d, 1 - d) * 360;
};

describe('player colours', () => {
  it('contrast with the white ring and with the arena floor, for every id', () => {
    for (let id = 0; id < 20_000; id++) {
      const c = playerColour(id);
      expect(contrast(c, RING), `id ${id}: #${c.toString(16)}`).toBeGreaterThanOrEqual(2.2);
      expect(contrast(c, ARENA_FLOOR), `id ${id}: #${c.toString(16)}`).toBeGreaterThanOrEqual(3.3);
    }
    // The old palette's near-white had a contrast of 1.3 with the ring.
    expect(contrast(0xe0e0e0, RING)).toBeLessThan(1.4);
  });

  it('give 21 players who join one after another 21 different colours, hues well apart', () => {
    for (const start of [1, 9, 100, 12_345]) {
      const ids = Array.from({ length: 21 }, (_, i) => start + i);
      const colours = new Set(ids.map(playerColour));
      expect(colours.size).toBe(21);
      // No two within 8° of hue (21 hues evenly spread would be 17° apart; the golden angle gets within half).
      let closest = 360;
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j < ids.length; j++) closest = Math.min(closest, hueGap(playerHue(ids[i]!), playerHue(ids[j]!)));
      }
      expect(closest, `ids from ${start}`).toBeGreaterThan(8);
    }
    // The server's palette: players 1 and 9 (8 joins apart) shared a colour.
    expect(playerColour(1)).not.toBe(playerColour(9));
  });

  it('is a pure function of the id (the same on every page), as CSS too', () => {
    expect(playerColour(42)).toBe(playerColour(42));
    expect(playerCss(42)).toBe(`#${playerColour(42).toString(16).padStart(6, '0')}`);
    expect(playerCss(7)).toMatch(/^#[0-9a-f]{6}$/);
    expect(luminance(0xffffff)).toBeCloseTo(1, 6);
    expect(luminance(0)).toBe(0);
  });
});
