// Player colours come from the server (each player entity's `colour`, 0xRRGGBB): one palette for every client,
// chosen in the sim (`PALETTE` in sim/src/lib.rs) to stand out from the arena's floor and under the local player's
// white ring, and handed out so that players who join one after another get far-apart hues. This module turns them
// into CSS colours without building a string per entity per frame.

/** The arena's floor and the local player's ring (render/renderer.ts). */
export const ARENA_FLOOR = 0x161b22;
export const RING = 0xffffff;
/** What an entity without a colour is drawn in. */
export const NO_COLOUR = 0x8b949e;

const cache = new Map<number, string>();

/** The CSS colour (`#rrggbb`) of 0xRRGGBB, `fallback` when there is none (cached). */
export function colourCss(rgb: number | undefined, fallback = NO_COLOUR): string {
  const c = (rgb ?? fallback) & 0xffffff;
  let css = cache.get(c);
  if (css === undefined) {
    if (cache.size > 4096) cache.clear();
    css = `#${c.toString(16).padStart(6, '0')}`;
    cache.set(c, css);
  }
  return css;
}

/** WCAG relative luminance of 0xRRGGBB. */
export function luminance(rgb: number): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin((rgb >> 16) & 0xff) + 0.7152 * lin((rgb >> 8) & 0xff) + 0.0722 * lin(rgb & 0xff);
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrast(a: number, b: number): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
