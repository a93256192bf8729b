// Player colours are the server's (sim/src/lib.rs, PALETTE, tested there for contrast and spread); the client only
// formats them for the canvas and the HUD.

import { describe, expect, it } from 'vitest';
import { NO_COLOUR, RING, colourCss, contrast, luminance } from '../src/render/colours';

describe('colourCss', () => {
  it('formats 0xRRGGBB as #rrggbb, the same string each time', () => {
    expect(colourCss(0x3eb516)).toBe('#3eb516');
    expect(colourCss(0x000a0b)).toBe('#000a0b');
    expect(colourCss(0x1_3eb516)).toBe('#3eb516');
    expect(colourCss(0xea5353)).toBe(colourCss(0xea5353));
  });

  it('draws an entity without a colour in the fallback', () => {
    expect(colourCss(undefined)).toBe(`#${NO_COLOUR.toString(16)}`);
    expect(colourCss(undefined, 0xcccccc)).toBe('#cccccc');
  });

  it('measures contrast as WCAG does', () => {
    expect(luminance(0xffffff)).toBeCloseTo(1, 6);
    expect(luminance(0)).toBe(0);
    expect(contrast(0, RING)).toBeCloseTo(21, 6);
    // The server's old palette had a near-white (0xe0e0e0) that hid the local player's ring.
    expect(contrast(0xe0e0e0, RING)).toBeLessThan(1.4);
  });
});
