// Name labels: players that touch must not draw their names over each other. The placement pass moves labels up
// (at most LABEL_MAX_SHIFT), fades the ones it cannot place, never moves the local player's, and stays cheap.

import { describe, expect, it } from 'vitest';
import {
  LABEL_GAP,
  LABEL_HEIGHT,
  LABEL_MAX_SHIFT,
  LabelPlacer,
  placeLabels,
  type LabelInput,
  type PlacedLabel,
} from '../src/render/labels';
import { rng } from './helpers';

const label = (id: number, x: number, y: number, width = 60, priority = id, fixed = false): LabelInput => ({
  id,
  x,
  y,
  width,
  height: LABEL_HEIGHT,
  priority,
  fixed,
});

const overlap = (a: PlacedLabel, b: PlacedLabel) =>
  Math.min(a.right, b.right) > Math.max(a.left, b.left) && Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top);

/** Every pair of readable labels that overlaps (the check is O(n²) here on purpose: it is the reference). */
function overlaps(placed: PlacedLabel[]): [number, number][] {
  const out: [number, number][] = [];
  const readable = placed.filter((p) => !p.faded);
  for (let i = 0; i < readable.length; i++) {
    for (let j = i + 1; j < readable.length; j++) {
      if (overlap(readable[i]!, readable[j]!)) out.push([readable[i]!.id, readable[j]!.id]);
    }
  }
  return out;
}

/** Each label stays above its player: same x, moved up by no more than the cap, same size; faded ones unmoved. */
function expectNearTheirPlayers(inputs: LabelInput[], placed: PlacedLabel[]): void {
  inputs.forEach((l, i) => {
    const p = placed[i]!;
    expect(p.id).toBe(l.id);
    expect((p.left + p.right) / 2).toBeCloseTo(l.x, 9);
    expect(p.right - p.left).toBeCloseTo(l.width, 9);
    expect(p.bottom - p.top).toBeCloseTo(l.height, 9);
    expect(p.bottom).toBeCloseTo(l.y + p.dy, 9);
    expect(p.dy).toBeLessThanOrEqual(0);
    expect(-p.dy).toBeLessThanOrEqual(LABEL_MAX_SHIFT + 1e-9);
    if (p.faded) expect(p.dy).toBe(0);
  });
}

/** Players standing in touching groups of `size` (about a body apart), like a brawl, at `scale` px per unit. */
function crowd(seed: number, groups: number, size: number, scale = 1.4): LabelInput[] {
  const r = rng(seed);
  const out: LabelInput[] = [];
  let id = 1;
  for (let g = 0; g < groups; g++) {
    const cx = 100 + r() * 1600;
    const cy = 100 + r() * 800;
    for (let k = 0; k < size; k++) {
      const x = cx + (r() - 0.5) * 40 * scale;
      const y = cy + (r() - 0.5) * 40 * scale;
      out.push(label(id, x, y, 30 + r() * 70, Math.hypot(x - 900, y - 500)));
      id++;
    }
  }
  return out;
}

describe('name labels', () => {
  it('leaves labels that do not touch where they are', () => {
    const inputs = [label(1, 100, 100), label(2, 300, 100), label(3, 100, 200), label(4, 161, 100)];
    const placed = placeLabels(inputs);
    expect(placed.map((p) => [p.id, p.dy, p.faded])).toEqual([
      [1, 0, false],
      [2, 0, false],
      [3, 0, false],
      [4, 0, false],
    ]);
  });

  it('moves the second of two touching labels up just above the first', () => {
    const placed = placeLabels([label(2, 105, 100, 60, 5), label(1, 100, 100, 60, 1)]);
    // Input order is kept; label 1 (lower priority value: nearer the local player) keeps its place.
    expect(placed[1]).toMatchObject({ id: 1, dy: 0, faded: false, bottom: 100 });
    expect(placed[0]).toMatchObject({ id: 2, faded: false });
    expect(placed[0]!.dy).toBeCloseTo(-(LABEL_HEIGHT + LABEL_GAP), 9);
    expect(placed[0]!.bottom).toBeCloseTo(placed[1]!.top - LABEL_GAP, 9);
    expect(overlaps(placed)).toEqual([]);
  });

  it("never moves or fades the local player's label, whatever the others' priorities", () => {
    const inputs = [label(1, 100, 100, 60, -1000), label(2, 100, 110, 60, -500), label(7, 102, 100, 80, 1e9, true)];
    const placed = placeLabels(inputs);
    expect(placed[2]).toMatchObject({ id: 7, dy: 0, faded: false, bottom: 100 });
    expect(placed.filter((p) => !p.faded).length).toBeGreaterThanOrEqual(2);
    expect(overlaps(placed)).toEqual([]);
    expectNearTheirPlayers(inputs, placed);
  });

  it('stacks a pile at most LABEL_MAX_SHIFT high and fades the rest (the farthest)', () => {
    // Ten players on one spot, priority = distance: the nearest four are readable, stacked, the others faded.
    const inputs = Array.from({ length: 10 }, (_, i) => label(10 - i, 500, 300, 50, 10 - i));
    const placed = placeLabels(inputs);
    const readable = placed.filter((p) => !p.faded).sort((a, b) => b.bottom - a.bottom);
    const rows = Math.floor(LABEL_MAX_SHIFT / (LABEL_HEIGHT + LABEL_GAP)) + 1;
    expect(readable.map((p) => p.id)).toEqual([1, 2, 3, 4].slice(0, rows));
    readable.forEach((p, k) => expect(p.dy).toBeCloseTo(-k * (LABEL_HEIGHT + LABEL_GAP), 9));
    expect(placed.filter((p) => p.faded).map((p) => p.id).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(overlaps(placed)).toEqual([]);
    expectNearTheirPlayers(inputs, placed);
  });

  it('leaves no two readable labels overlapping in a crowd of 150, each near its player', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const inputs = crowd(seed, 30, 5);
      inputs[17]!.fixed = true;
      const placed = placeLabels(inputs);
      expect(overlaps(placed), `seed ${seed}`).toEqual([]);
      expectNearTheirPlayers(inputs, placed);
      expect(placed[17]).toMatchObject({ dy: 0, faded: false });
      // Touching groups of five mostly fit in the stack: most labels stay readable.
      const readable = placed.filter((p) => !p.faded).length;
      expect(readable, `seed ${seed}`).toBeGreaterThan(0.7 * inputs.length);
      // And some really had to move (the test is not vacuous).
      expect(placed.filter((p) => p.dy < 0).length, `seed ${seed}`).toBeGreaterThan(10);
    }
  });

  it('is deterministic: the same labels in any order give the same layout', () => {
    const inputs = crowd(9, 20, 6);
    const byId = (ps: PlacedLabel[]) => new Map(ps.map((p) => [p.id, p]));
    const a = byId(placeLabels(inputs));
    const r = rng(99);
    const shuffled = [...inputs].sort(() => r() - 0.5);
    const b = byId(placeLabels(shuffled));
    for (const [id, p] of a) expect(b.get(id), `label ${id}`).toEqual(p);
    // A reused placer gives the same as a fresh one, frame after frame.
    const placer = new LabelPlacer();
    placer.place(crowd(3, 10, 3));
    const again = byId(placer.place(inputs).map((p) => ({ ...p })));
    for (const [id, p] of a) expect(again.get(id)).toEqual(p);
  });

  it('keeps the labels of players at the left and right edges inside the screen, over their player', () => {
    const W = 360;
    const inputs = [
      label(1, 4, 100, 80), // at the left edge: would start 36 px off screen
      label(2, W - 10, 100, 120), // at the right edge
      label(3, 180, 100, 60), // in the middle: unmoved
      label(4, 0, 300, 50, 4, true), // the local player's own, at the very edge: moved sideways only
      label(5, -30, 200, 60), // beyond the edge (off screen): left where it is
      label(6, 100, 400, 500), // wider than the screen: starts at its left edge
    ];
    const placed = placeLabels(inputs, {}, W);
    expect(placed.map((p) => [p.id, Math.round(p.left), Math.round(p.right), p.dy])).toEqual([
      [1, 0, 80, 0],
      [2, W - 120, W, 0],
      [3, 150, 210, 0],
      [4, 0, 50, 0],
      [5, -60, 0, 0],
      [6, 0, 500, 0],
    ]);
    expect(placed.map((p) => Math.round(p.dx))).toEqual([36, -50, 0, 25, 0, 150]);
    // Without a width (and by default) nothing moves sideways: the layout is what it always was.
    expect(placeLabels(inputs).every((p) => p.dx === 0)).toBe(true);
  });

  it('clamps before laying out: a crowd at the edge stays readable, inside, unoverlapped, each over its player', () => {
    const W = 390;
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      // Players in touching groups along both edges (bodies half off screen, too).
      const inputs: LabelInput[] = [];
      for (let i = 0; i < 40; i++) {
        const edge = i % 2 === 0 ? r() * 30 : W - r() * 30;
        inputs.push(label(i + 1, edge, 100 + Math.floor(i / 8) * 120 + r() * 30, 40 + r() * 70, r() * 1000, i === 7));
      }
      const placed = placeLabels(inputs, {}, W);
      expect(overlaps(placed), `seed ${seed}`).toEqual([]);
      placed.forEach((p, i) => {
        const l = inputs[i]!;
        expect(p.left, `seed ${seed} label ${p.id}`).toBeGreaterThanOrEqual(-1e-9);
        expect(p.right, `seed ${seed} label ${p.id}`).toBeLessThanOrEqual(W + 1e-9);
        // Still over its player, the same size, moved up within the cap (faded ones not at all).
        expect(p.left).toBeLessThanOrEqual(l.x + 1e-9);
        expect(p.right).toBeGreaterThanOrEqual(l.x - 1e-9);
        expect(p.right - p.left).toBeCloseTo(l.width, 9);
        expect(p.dy).toBeLessThanOrEqual(0);
        expect(-p.dy).toBeLessThanOrEqual(LABEL_MAX_SHIFT + 1e-9);
        if (p.faded) expect(p.dy).toBe(0);
      });
      expect(placed[7]).toMatchObject({ dy: 0, faded: false });
      expect(placed.filter((p) => p.dx !== 0).length, `seed ${seed}`).toBeGreaterThan(10);
      expect(placed.filter((p) => !p.faded).length, `seed ${seed}`).toBeGreaterThan(20);
    }
  });

  it('lays out the first `count` labels only (the renderer pools its inputs)', () => {
    const inputs = [label(1, 100, 100), label(2, 100, 100), label(3, 100, 100)];
    const placed = new LabelPlacer().place(inputs, 2);
    expect(placed).toHaveLength(2);
    expect(placed.map((p) => p.id)).toEqual([1, 2]);
  });

  it('costs a bounded number of comparisons per label, not one per pair', () => {
    // A pair-wise pass would compare each label with about n / 2 others; the grid compares it with its neighbours.
    const placer = new LabelPlacer();
    const perLabel: number[] = [];
    for (const n of [200, 2000, 8000]) {
      // Spread like players over a big screen, with touching pairs here and there.
      const r = rng(n);
      const inputs = Array.from({ length: n }, (_, i) =>
        label(i + 1, r() * Math.sqrt(n) * 60, r() * Math.sqrt(n) * 30, 40 + r() * 40, r()));
      const placed = placer.place(inputs).map((p) => ({ ...p }));
      perLabel.push(placer.comparisons / n);
      if (n <= 2000) expect(overlaps(placed)).toEqual([]);
    }
    expect(Math.max(...perLabel), perLabel.join(', ')).toBeLessThan(40);
    expect(perLabel[2]!, perLabel.join(', ')).toBeLessThan(1.5 * perLabel[0]! + 2);
    // The worst spot: everyone on one point. The stack is capped, so each label checks the few placed ones, however
    // many pile up.
    const pile = (n: number) => Array.from({ length: n }, (_, i) => label(i + 1, 500, 500, 60, i));
    placer.place(pile(100));
    const few = placer.comparisons / 100;
    placer.place(pile(2000));
    const many = placer.comparisons / 2000;
    expect(many, `${few} vs ${many}`).toBeLessThan(40);
    expect(many, `${few} vs ${many}`).toBeLessThan(1.1 * few + 1);
  });
});
