// The compact scoreboard: ranking (ties share a rank) and the rows shown (top N plus the own row).

import { describe, expect, it } from 'vitest';
import type { EntityFields } from '../src/protocol/types';
import {
  SCOREBOARD_MIN_TOP,
  SCOREBOARD_NARROW_TOP,
  SCOREBOARD_TOP,
  compactBoard,
  fittingRows,
  rankPlayers,
} from '../src/ui/scoreboard';

const player = (score: number, kills = score): EntityFields => ({ kind: 0, name: 'p', score, kills, deaths: 0 });

/** `n` players, id i + 1 with score n − i (all different), plus a projectile that is not on the board. */
function field(n: number): [number, EntityFields][] {
  const out: [number, EntityFields][] = [[1000, { kind: 1, owner: 1 }]];
  for (let i = 0; i < n; i++) out.push([i + 1, player(n - i)]);
  return out;
}

describe('scoreboard', () => {
  it('ranks players by score, then kills, then id; ties share a rank; other entities are left out', () => {
    const ranked = rankPlayers([
      [5, player(1, 1)],
      [3, player(2, 2)],
      [9, { kind: 2 }],
      [4, player(2, 2)],
      [2, player(2, 3)],
      [7, player(0, 0)],
    ]);
    expect(ranked.map((p) => [p.id, p.rank])).toEqual([
      [2, 1],
      [3, 2],
      [4, 2],
      [5, 4],
      [7, 5],
    ]);
  });

  it('shows everyone when the field is small', () => {
    const board = compactBoard(rankPlayers(field(4)), 4, 10);
    expect(board.total).toBe(4);
    expect(board.rows.map((p) => p.id)).toEqual([1, 2, 3, 4]);
    expect(board.skipped).toBe(0);
  });

  it('shows the top N and, below them, the own row with its rank', () => {
    const board = compactBoard(rankPlayers(field(41)), 23, 10);
    expect(board.total).toBe(41);
    expect(board.rows.map((p) => p.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 23]);
    expect(board.rows[10]?.rank).toBe(23);
    expect(board.skipped).toBe(12);
  });

  it('adds nothing when the own row is in the top N, and no gap when it is just below', () => {
    expect(compactBoard(rankPlayers(field(41)), 3, 10).rows).toHaveLength(10);
    const next = compactBoard(rankPlayers(field(41)), 11, 10);
    expect(next.rows.map((p) => p.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(next.skipped).toBe(0);
    // A spectator (no own player) or an own player not held yet: just the top.
    expect(compactBoard(rankPlayers(field(41)), null, 10).rows).toHaveLength(10);
    expect(compactBoard(rankPlayers(field(41)), 99, 10).rows).toHaveLength(10);
  });

  it('fits fewer top rows in a short window, within bounds', () => {
    expect(fittingRows(700, 278, 19)).toBe(SCOREBOARD_TOP);
    expect(fittingRows(400, 278, 19)).toBe(6);
    expect(fittingRows(100, 278, 19)).toBe(SCOREBOARD_MIN_TOP);
    // A phone: at most the top 5 (the board lies above the arena there), however tall.
    expect(fittingRows(844, 278, 19, 390)).toBe(SCOREBOARD_NARROW_TOP);
    expect(fittingRows(640, 278, 19, 360)).toBe(SCOREBOARD_NARROW_TOP);
    expect(fittingRows(300, 278, 19, 360)).toBe(SCOREBOARD_MIN_TOP);
    expect(fittingRows(700, 278, 19, 800)).toBe(SCOREBOARD_TOP);
  });
});
