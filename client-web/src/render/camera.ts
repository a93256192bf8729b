// World ↔ screen. Two modes:
//
// - **Fit** (no interest management, `welcome.view` absent): the whole arena fitted into the canvas, centred, with
//   a margin.
// - **Follow** (`welcome.view` set): the server replicates only the entities near the own player, and guarantees
//   every entity whose position is within ±view (a square) of the player's server position. The camera follows the
//   local player as drawn, and its scale is chosen so that the whole canvas maps inside that square, less a margin
//   (`followMargin`) for what is drawn around an entity's position (body, barrel, name) and for the local player
//   being drawn ahead of the position the server chose the others for (prediction and interpolation delay).
//   Nothing can therefore appear or vanish at the edge of the screen: entities enter and leave view off screen.
//   Near the arena's edges the camera shifts towards the inside as far as that guarantee allows (on the shorter
//   screen axis there is room for it; on the longer one the player stays centred and outside the arena is drawn
//   as background). An arena so small that it lies within that square wherever the player is, is fitted.
//
// **HUD insets.** The HUD's panels (stats, scoreboard, kill feed: DOM over the canvas) take room at the canvas'
// sides (`Insets`, measured from the panels' real rectangles by render/insets.ts). The fitted arena goes in the
// rest, the usable area. The follow camera keeps the player in the middle of the canvas (its scale and the
// guarantee above are the canvas'), but near an arena edge it keeps that edge inside the usable area, never
// under a panel: it stops with the edge at the usable area's side, as it stopped with it at the screen's side, and
// where that side is under a panel it moves ahead of the player towards the edge (`followAxis`). Going ahead shows
// more than the view beyond the player only outside the arena, where nothing can be.
//
// Every function here writes into a Camera it is given and allocates nothing: they run once per frame.

import type { Arena, GameRules } from '../protocol/types';
import { INTERP_DELAY_TICKS } from '../game/constants';

export interface Camera {
  /** CSS pixels per world unit. */
  scale: number;
  /** Screen position (CSS pixels) of world (0, 0). */
  ox: number;
  oy: number;
}

export function newCamera(): Camera {
  return { scale: 1, ox: 0, oy: 0 };
}

/**
 * How far the HUD's panels reach into the canvas from each side (CSS pixels): what the camera keeps clear of the
 * arena's edges. The usable area is the canvas less these.
 */
export interface Insets {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export const NO_INSETS: Readonly<Insets> = Object.freeze({ left: 0, top: 0, right: 0, bottom: 0 });

/** Room around the arena (CSS pixels); more at the top for the HUD line. */
const MARGIN = 16;
const TOP = 44;

/**
 * The whole arena in the canvas (`width` × `height` CSS pixels), written into `out`: centred in the usable area
 * (the canvas less `insets`) with a margin, and room above for the names of players at the top edge below a top
 * inset. Without insets, centred in the canvas below the HUD line.
 */
export function fitArena(
  arena: Arena,
  width: number,
  height: number,
  out: Camera = newCamera(),
  insets: Readonly<Insets> = NO_INSETS,
): Camera {
  const left = insets.left + MARGIN;
  const top = Math.max(TOP, insets.top + FOLLOW_MARGIN_PX);
  const w = width - left - insets.right - MARGIN;
  const h = height - top - insets.bottom - MARGIN;
  const scale = Math.max(0.05, Math.min(w / arena.width, h / arena.height));
  out.scale = scale;
  out.ox = left + (w - arena.width * scale) / 2;
  out.oy = top + (h - arena.height * scale) / 2;
  return out;
}

/**
 * How far beyond an entity's position its drawing reaches, in world units: the player's body and barrel
 * (radius + 9, line width 5), a projectile's radius and its 40 ms streak at usual speeds, an object's square.
 */
const DRAW_REACH = 16;
/** The same in screen pixels: the health bar and the name above a player (renderer.ts drawPlayer). */
export const FOLLOW_MARGIN_PX = 28;
/**
 * How many ticks of player movement the drawn local player may be away from the server position the others were
 * chosen for: the others are drawn INTERP_DELAY_TICKS behind the newest state, the local player about a tick
 * behind its newest prediction, which runs a round trip ahead of the server; two more ticks cover a round trip
 * of up to about two ticks (100 ms at 20 Hz) beyond that.
 */
const LEAD_TICKS = INTERP_DELAY_TICKS + 2;
/** With a tiny view the margins could eat it all: the camera shows at least this fraction of it. */
const MIN_VIEW_FRACTION = 0.5;
/**
 * How much faster than the player the camera moves ahead of it towards an arena edge that would be under a panel
 * (`followAxis`): the edge crosses the panel while the player covers 1 / (1 + PULL_RATE) of the panel's width.
 */
export const PULL_RATE = 2;

/** The follow camera's margin in world units for these rules and tick rate (see the file comment). */
export function followMargin(rules: Readonly<GameRules>, tickRate: number): number {
  return rules.player_radius + DRAW_REACH + (rules.player_speed * LEAD_TICKS) / Math.max(1, tickRate);
}

/**
 * The half-size in world units of what the follow camera shows along the longer screen axis (`longPx` CSS
 * pixels): `view` less `marginWorld` world units and `marginPx` screen pixels. With scale = longPx / (2 h), a
 * margin of m pixels is 2 h m / longPx world units, so h = view − marginWorld − 2 h marginPx / longPx.
 */
export function followHalfSize(view: number, marginWorld: number, marginPx: number, longPx: number): number {
  const h = (view - marginWorld) / (1 + (2 * marginPx) / Math.max(1, longPx));
  return Math.max(h, view * MIN_VIEW_FRACTION);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * The camera centre along one axis. `p`: the player, `len`: the arena's size, `half`: half of what is visible
 * along this axis, `safe`: the half-size around the player that everything visible must stay in (half ≤ safe),
 * `lo` and `hi`: the HUD's insets at the start and the end of the axis, in world units (lo + hi < 2 half).
 *
 * The centre is the one that shows the most arena in the usable area (the player, pushed away from the arena's
 * edges so that an edge stops at the usable area's side; or the arena's middle in the usable area when the arena
 * is narrower than it), but no further than safe − half from the player. Then, where that shows an arena edge
 * under an inset, the camera moves further towards that edge until the edge sits at the usable area's side: by
 * at most the inset, and by PULL_RATE times as much as the edge has come on screen (so it starts at 0 as the
 * edge comes on screen, and the edge crosses the panel quickly). What it shows beyond the player then reaches
 * past the view (safe) only outside the arena, where nothing can be: the edge is on screen, so within safe of the
 * player. Without insets none of this happens and it is the plain follow camera. It is continuous in `p`: the
 * camera never jumps while the player moves.
 */
export function followAxis(p: number, len: number, half: number, safe: number, lo = 0, hi = 0): number {
  /** The centres at which the arena's start (end) sits at the usable area's start (end). */
  const startAtSide = half - lo;
  const endAtSide = len - half + hi;
  const target = len <= 2 * half - lo - hi ? (len - lo + hi) / 2 : clamp(p, startAtSide, endAtSide);
  const slack = Math.max(0, safe - half);
  const c = clamp(target, p - slack, p + slack);
  // How far past each arena edge this shows (positive: the edge is on screen), how far ahead of it the camera may
  // go (0 while the edge is off screen, then growing PULL_RATE times as fast, at most the inset), and how far it
  // goes: to put the edge at the usable area's side, no further. All continuous in p, so the sum is.
  const aheadHi = Math.min(hi, PULL_RATE * Math.max(0, c + half - len));
  const aheadLo = Math.min(lo, PULL_RATE * Math.max(0, half - c));
  const up = Math.max(0, Math.min(endAtSide - c, aheadHi));
  const down = Math.max(0, Math.min(c - startAtSide, aheadLo));
  return c + up - down;
}

/**
 * The follow camera for a player drawn at (px, py) in a `width` × `height` canvas, written into `out`. `view`:
 * the welcome's view; `marginWorld`: followMargin(); `marginPx`: FOLLOW_MARGIN_PX; `insets`: the HUD's (see
 * followAxis). An arena that fits inside the safe square wherever the player is (every entity is always
 * replicated) is simply fitted, in the usable area.
 */
export function followCamera(
  out: Camera,
  arena: Arena,
  view: number,
  px: number,
  py: number,
  width: number,
  height: number,
  marginWorld: number,
  marginPx = FOLLOW_MARGIN_PX,
  insets: Readonly<Insets> = NO_INSETS,
): Camera {
  const longPx = Math.max(1, width, height);
  const safe = followHalfSize(view, marginWorld, marginPx, longPx);
  if (arena.width <= safe && arena.height <= safe) return fitArena(arena, width, height, out, insets);
  const scale = longPx / (2 * safe);
  const cx = followAxis(px, arena.width, width / (2 * scale), safe, insets.left / scale, insets.right / scale);
  const cy = followAxis(py, arena.height, height / (2 * scale), safe, insets.top / scale, insets.bottom / scale);
  out.scale = scale;
  out.ox = width / 2 - cx * scale;
  out.oy = height / 2 - cy * scale;
  return out;
}

export function worldToScreen(cam: Camera, x: number, y: number): { x: number; y: number } {
  return { x: cam.ox + x * cam.scale, y: cam.oy + y * cam.scale };
}

/** The world rectangle a `width` × `height` canvas shows through `cam` (for tests and the debug hook). */
export function visibleWorld(
  cam: Camera,
  width: number,
  height: number,
): { left: number; top: number; right: number; bottom: number } {
  return {
    left: -cam.ox / cam.scale,
    top: -cam.oy / cam.scale,
    right: (width - cam.ox) / cam.scale,
    bottom: (height - cam.oy) / cam.scale,
  };
}
