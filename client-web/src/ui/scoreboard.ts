// Which rows the scoreboard shows: the players ranked, cut to the top few plus the local player's own row when it
// ranks below them (a compact board that never grows with the number of players). No DOM here; ui/hud.ts draws it.

import { KIND_PLAYER, type EntityFields } from '../protocol/types';

/** Top ranks the scoreboard shows when the window is tall enough (see `fittingRows`). */
export const SCOREBOARD_TOP = 10;
/** The fewest top ranks shown, however short the window. */
export const SCOREBOARD_MIN_TOP = 3;
/** Top ranks on a narrow (phone) window, where the board sits above the arena rather than beside it. */
export const SCOREBOARD_NARROW_TOP = 5;
/** A window this narrow or narrower (CSS pixels) is a phone's: style.css drops the K and D columns there too. */
export const NARROW_WIDTH = 560;

export interface RankedPlayer {
  id: number;
  /** 1-based; players with the same score and kills share a rank (1, 2, 2, 4, …). */
  rank: number;
  fields: Readonly<EntityFields>;
}

export interface CompactBoard {
  /** Players held in all. */
  total: number;
  /** The top `top` players, then the local player's row if it is not among them. */
  rows: RankedPlayer[];
  /** Rows left out between the top ones and the local player's (0 when nothing is left out there). */
  skipped: number;
}

/** The players among `entities`, best first: score, then kills, then the older id; ties share a rank. */
export function rankPlayers(entities: Iterable<readonly [number, Readonly<EntityFields>]>): RankedPlayer[] {
  const players: { id: number; fields: Readonly<EntityFields> }[] = [];
  for (const [id, fields] of entities) if (fields.kind === KIND_PLAYER) players.push({ id, fields });
  players.sort(
    (a, b) =>
      (b.fields.score ?? 0) - (a.fields.score ?? 0) || (b.fields.kills ?? 0) - (a.fields.kills ?? 0) || a.id - b.id,
  );
  const ranked: RankedPlayer[] = [];
  let prev: RankedPlayer | undefined;
  for (const [i, p] of players.entries()) {
    const tied =
      prev !== undefined &&
      (prev.fields.score ?? 0) === (p.fields.score ?? 0) &&
      (prev.fields.kills ?? 0) === (p.fields.kills ?? 0);
    prev = { id: p.id, rank: tied && prev ? prev.rank : i + 1, fields: p.fields };
    ranked.push(prev);
  }
  return ranked;
}

/**
 * The rows of a compact scoreboard: the first `top` of `ranked`, and the local player's (`you`) after them if it
 * comes later. When the local player is just one place below the top, it simply extends them (no gap to show).
 */
export function compactBoard(ranked: readonly RankedPlayer[], you: number | null, top: number): CompactBoard {
  const n = Math.max(1, Math.floor(top));
  const rows = ranked.slice(0, n);
  let skipped = 0;
  const mine = you === null ? -1 : ranked.findIndex((p) => p.id === you);
  const own = ranked[mine];
  if (mine >= n && own) {
    rows.push(own);
    skipped = mine - n;
  }
  return { total: ranked.length, rows, skipped };
}

/**
 * How many top ranks fit in a window `height` CSS pixels tall, between `SCOREBOARD_MIN_TOP` and `SCOREBOARD_TOP`:
 * the window less `reservedPx` (margins, the kill feed, the board's caption, header, gap and own rows), in rows of
 * `rowPx`. A window at most NARROW_WIDTH wide (a phone) shows at most SCOREBOARD_NARROW_TOP: there the board takes
 * the top of the screen across (the camera keeps the arena below it), not a column beside the arena.
 */
export function fittingRows(height: number, reservedPx: number, rowPx: number, width = Infinity): number {
  const fit = Math.floor((height - reservedPx) / Math.max(1, rowPx));
  const most = width <= NARROW_WIDTH ? SCOREBOARD_NARROW_TOP : SCOREBOARD_TOP;
  return Math.max(SCOREBOARD_MIN_TOP, Math.min(most, fit));
}
