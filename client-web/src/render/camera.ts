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

/** Room around the arena (CSS pixels); more at the top for the HUD line. */
const MARGIN = 16;
const TOP = 44;

/** The whole arena in the canvas (`width` × `height` CSS pixels), written into `out`. */
export function fitArena(arena: Arena, width: number, height: number, out: Camera = newCamera()): Camera {
  const scale = Math.max(
    0.05,
    Math.min((width - 2 * MARGIN) / arena.width, (height - TOP - MARGIN) / arena.height),
  );
  out.scale = scale;
  out.ox = (width - arena.width * scale) / 2;
  out.oy = TOP + (height - TOP - MARGIN - arena.height * scale) / 2;
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
 * along this axis, `safe`: the half-size around the player that everything visible must stay in (half ≤ safe).
 * The centre is the one that shows the most arena (the player, pushed away from the arena's edges, or the
 * arena's middle when it is narrower than the screen), but no further than safe − half from the player. It is
 * continuous in `p`: the camera never jumps while the player moves.
 */
export function followAxis(p: number, len: number, half: number, safe: number): number {
  const target = len <= 2 * half ? len / 2 : clamp(p, half, len - half);
  const slack = Math.max(0, safe - half);
  return clamp(target, p - slack, p + slack);
}

/**
 * The follow camera for a player drawn at (px, py) in a `width` × `height` canvas, written into `out`. `view`:
 * the welcome's view; `marginWorld`: followMargin(); `marginPx`: FOLLOW_MARGIN_PX. An arena that fits inside the
 * safe square wherever the player is (every entity is always replicated) is simply fitted.
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
): Camera {
  const longPx = Math.max(1, width, height);
  const safe = followHalfSize(view, marginWorld, marginPx, longPx);
  if (arena.width <= safe && arena.height <= safe) return fitArena(arena, width, height, out);
  const scale = longPx / (2 * safe);
  const cx = followAxis(px, arena.width, width / (2 * scale), safe);
  const cy = followAxis(py, arena.height, height / (2 * scale), safe);
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
