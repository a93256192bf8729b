// Player colours, from the entity id: the same on every page, distinct for players who join one after another, and
// never so light that the local player's white ring disappears into its body nor so dark that a body disappears
// into the arena.
//
// The server hands out 8 colours in join order (sim's PALETTE), so at 21 players three share each colour, and one
// of them, 0xE0E0E0, is the white of the local player's ring. The client draws its own instead: the hue steps by
// the golden angle (137.5°) from one id to the next, so consecutive ids never get close hues and any run of ids
// fills the colour wheel evenly; the brightness (relative luminance) steps by another irrational fraction within
// [MIN_LUMINANCE, MAX_LUMINANCE], so two ids whose hues do come close (ids far apart) mostly differ in brightness.
// The wire's `colour` field is still decoded and kept (objects, kind 2, are drawn in it).

/** The arena's floor and the local player's ring (render/renderer.ts). */
export const ARENA_FLOOR = 0x161b22;
export const RING = 0xffffff;
/**
 * The luminance range of player bodies: at most MAX_LUMINANCE keeps a contrast ratio of 2.3 against the white ring,
 * at least MIN_LUMINANCE one of 3.5 against the arena's floor (WCAG: 3 for graphics).
 */
export const MIN_LUMINANCE = 0.16;
export const MAX_LUMINANCE = 0.4;
const GOLDEN = (Math.sqrt(5) - 1) / 2;
/** 1/ρ, ρ the plastic number: steps independent of the golden ratio's (the R2 sequence's second axis). */
const PLASTIC = 0.5698402909980532;
const SATURATION = 0.78;

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

/** HSL (each in [0, 1]) to 0xRRGGBB. */
export function hsl(h: number, s: number, l: number): number {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return (f(0) << 16) | (f(8) << 8) | f(4);
}

/** The hue (turns, [0, 1)) of player `id`. */
export function playerHue(id: number): number {
  return (id * GOLDEN) % 1;
}

/** The colour of player `id` (0xRRGGBB): its hue at the lightness that gives its luminance. */
export function playerColour(id: number): number {
  const h = playerHue(id);
  const target = MIN_LUMINANCE + (MAX_LUMINANCE - MIN_LUMINANCE) * ((0.5 + id * PLASTIC) % 1);
  // Luminance grows with lightness: bisect.
  let lo = 0.2;
  let hi = 0.9;
  for (let i = 0; i < 24; i++) {
    const mid = (lo + hi) / 2;
    if (luminance(hsl(h, SATURATION, mid)) < target) lo = mid;
    else hi = mid;
  }
  let rgb = hsl(h, SATURATION, (lo + hi) / 2);
  // Rounding to 8 bits can step just outside the range.
  const y = luminance(rgb);
  if (y > MAX_LUMINANCE) rgb = hsl(h, SATURATION, lo - 0.005);
  else if (y < MIN_LUMINANCE) rgb = hsl(h, SATURATION, hi + 0.005);
  return rgb;
}

const cache = new Map<number, string>();

/** The CSS colour of player `id` (cached). */
export function playerCss(id: number): string {
  let css = cache.get(id);
  if (css === undefined) {
    if (cache.size > 4096) cache.clear();
    css = `#${playerColour(id).toString(16).padStart(6, '0')}`;
    cache.set(id, css);
  }
  return css;
}
