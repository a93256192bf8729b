// The health bar follows the player's drawn size: never narrower than the body (a zoomed-in view), still readable
// over a small one (a fitted arena), and never up into the name label.

import { describe, expect, it } from 'vitest';
import { followCamera, followMargin, newCamera } from '../src/render/camera';
import { HEALTH_BAR_MIN_PX, healthBarHeight, healthBarWidth } from '../src/render/renderer';
import { DEFAULT_RULES } from '../src/game/session';

describe('health bar', () => {
  it('is a quarter wider than the body, at least HEALTH_BAR_MIN_PX over small bodies', () => {
    for (const body of [6, 8, 20, 32, 40, 41, 64, 91, 150]) {
      expect(healthBarWidth(body)).toBeGreaterThanOrEqual(body);
      expect(healthBarWidth(body)).toBeGreaterThanOrEqual(HEALTH_BAR_MIN_PX);
      expect(healthBarWidth(body)).toBeLessThanOrEqual(Math.max(1.25 * body, HEALTH_BAR_MIN_PX));
      // Grows with the body.
      expect(healthBarWidth(body * 2)).toBeGreaterThanOrEqual(healthBarWidth(body));
      // 5 px above the body, under the label 13 px above it.
      expect(healthBarHeight(body)).toBeGreaterThanOrEqual(5);
      expect(5 + healthBarHeight(body)).toBeLessThanOrEqual(12);
    }
  });

  it("covers the body's width on benches/maps/field.toml's view (300 units) at 1280 × 800", () => {
    const arena = { width: 8000, height: 8000, walls: [] };
    const cam = followCamera(newCamera(), arena, 300, 4000, 4000, 1280, 800, followMargin(DEFAULT_RULES, 30));
    const body = 2 * DEFAULT_RULES.player_radius * cam.scale;
    // The fixed 40 px bar was narrower than the body there.
    expect(body).toBeGreaterThan(HEALTH_BAR_MIN_PX);
    expect(healthBarWidth(body)).toBeGreaterThanOrEqual(body);
  });
});

describe('health bar on a phone', () => {
  it('shrinks with the bodies of a small fitted arena (360 px wide: bars do not run into each other)', () => {
    // The default 1600-unit arena fitted into a 360 px wide phone: about 0.2 px per unit, bodies 6.5 px across.
    const body = 2 * DEFAULT_RULES.player_radius * ((360 - 32) / 1600);
    expect(healthBarWidth(body)).toBeLessThan(30);
  });
});
