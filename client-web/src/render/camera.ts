// World ↔ screen: the whole arena fitted into the canvas, centred, with a margin.

import type { Arena } from '../protocol/types';

export interface Camera {
  /** CSS pixels per world unit. */
  scale: number;
  /** Screen position (CSS pixels) of world (0, 0). */
  ox: number;
  oy: number;
}

/** Room around the arena (CSS pixels); more at the top for the HUD line. */
const MARGIN = 16;
const TOP = 44;

export function fitArena(arena: Arena, width: number, height: number): Camera {
  const scale = Math.max(
    0.05,
    Math.min((width - 2 * MARGIN) / arena.width, (height - TOP - MARGIN) / arena.height),
  );
  return {
    scale,
    ox: (width - arena.width * scale) / 2,
    oy: TOP + (height - TOP - MARGIN - arena.height * scale) / 2,
  };
}

export function worldToScreen(cam: Camera, x: number, y: number): { x: number; y: number } {
  return { x: cam.ox + x * cam.scale, y: cam.oy + y * cam.scale };
}
