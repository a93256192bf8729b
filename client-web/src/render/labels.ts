// Where the players' name labels go on screen, once per frame: players that stand close would draw their names
// on top of each other. A greedy pass in screen space (CSS pixels):
//
// - The labels are taken in a fixed order: the local player's first (it never moves and never fades), then by
//   priority (the renderer gives the distance from the local player: the nearest keep their place), then by id.
//   The same positions give the same layout.
// - Each label wants its place above its player (`x`: its middle, `y`: its bottom). If that overlaps a label
//   already placed, it moves up to just above the highest one it overlaps, and again, until it overlaps none or
//   it would move more than `maxShift`: then it stays where it wanted to be and is **faded** (the renderer draws
//   it faint, under the readable ones).
// - Given the screen's width, a label whose player is on screen is first moved sideways, as little as needed, to lie
//   within it (whole, when it is not wider than the screen): a player at the left or right edge keeps its name
//   readable instead of cut off by the edge. `dx` says how far. Labels of players beyond the edge stay where they
//   are (off screen).
// - Placed labels are kept in a uniform grid of cells, so a label is only checked against the labels in the cells
//   it covers: the cost grows with the number of labels and how crowded a spot is (at most about maxShift /
//   height labels stack at one place), not with the square of the number of labels.

/** A label's box height for 13 px text (CSS pixels), and the gap kept between two stacked labels. */
export const LABEL_HEIGHT = 15;
export const LABEL_GAP = 1;
/** How far up a label may move from its place (CSS pixels): three labels stacked above it. */
export const LABEL_MAX_SHIFT = 3 * (LABEL_HEIGHT + LABEL_GAP);

export interface LabelInput {
  id: number;
  /** Where the label wants to be: its horizontal middle and its bottom (CSS pixels). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Lower goes first and keeps its place (the renderer: squared distance from the local player). */
  priority: number;
  /** The local player's label: placed first, never moved, never faded. */
  fixed: boolean;
}

export interface PlacedLabel {
  id: number;
  /** The label's box as placed (CSS pixels). */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** How far it moved up from where it wanted to be (≤ 0). */
  dy: number;
  /** How far it moved sideways to lie within the screen (0 when no width was given or it did). */
  dx: number;
  /** It could not be placed without overlapping a readable label within LABEL_MAX_SHIFT: drawn faint. */
  faded: boolean;
}

export interface LabelOptions {
  maxShift: number;
  gap: number;
}

const DEFAULTS: LabelOptions = { maxShift: LABEL_MAX_SHIFT, gap: LABEL_GAP };
/** Grid cells (CSS pixels): about a short name wide and two labels high. */
const CELL_W = 64;
const CELL_H = 32;
/** Boxes closer than the gap by less than this count as apart (rounding: x − gap + gap may not be x). */
const EPS = 1e-6;

/**
 * Places labels; one instance per renderer, reused every frame (its grid and arrays are kept, the placed labels
 * are rewritten in place).
 */
export class LabelPlacer {
  private readonly grid = new Map<number, number[]>();
  /** Grid cells in use this frame, to clear them for the next. */
  private readonly used: number[][] = [];
  private readonly spare: number[][] = [];
  private readonly order: number[] = [];
  /** The placed labels of the last `place`, in input order. */
  readonly placed: PlacedLabel[] = [];
  /** Label pairs compared by the last `place` (its cost). */
  comparisons = 0;

  constructor(private readonly opts: LabelOptions = DEFAULTS) {}

  /**
   * Lays out the first `count` of `labels`; the result (`placed`, in the same order as `labels`) is valid until the
   * next call. `screenWidth` (CSS pixels): labels of players on screen (0 ≤ x ≤ screenWidth) are kept within it.
   */
  place(labels: readonly LabelInput[], count = labels.length, screenWidth?: number): readonly PlacedLabel[] {
    this.clear();
    this.comparisons = 0;
    const placed = this.placed;
    while (placed.length < count) placed.push({ id: 0, left: 0, top: 0, right: 0, bottom: 0, dy: 0, dx: 0, faded: false });
    placed.length = count;
    const order = this.order;
    order.length = 0;
    for (let i = 0; i < count; i++) order.push(i);
    order.sort((a, b) => {
      const la = labels[a]!;
      const lb = labels[b]!;
      return Number(lb.fixed) - Number(la.fixed) || la.priority - lb.priority || la.id - lb.id || a - b;
    });
    for (const i of order) {
      const l = labels[i]!;
      const p = placed[i]!;
      p.id = l.id;
      const half = l.width / 2;
      let x = l.x;
      if (screenWidth !== undefined && x >= 0 && x <= screenWidth) {
        // Within the screen, whole; a label wider than the screen starts at its left edge.
        x = Math.max(half, Math.min(screenWidth - half, x));
        if (l.width > screenWidth) x = half;
      }
      p.dx = x - l.x;
      p.left = x - half;
      p.right = x + half;
      p.faded = false;
      let bottom = l.y;
      if (!l.fixed) {
        for (;;) {
          const blockTop = this.highestOverlap(placed, p.left, bottom - l.height, p.right, bottom);
          if (blockTop === null) break;
          // Just above it (each step moves up by more than EPS: the blocker cannot match again).
          bottom = blockTop - this.opts.gap;
          if (l.y - bottom > this.opts.maxShift) {
            p.faded = true;
            bottom = l.y;
            break;
          }
        }
      }
      p.bottom = bottom;
      p.top = bottom - l.height;
      p.dy = bottom - l.y;
      if (!p.faded) this.insert(i, p);
    }
    return placed;
  }

  /** The top of the highest readable label overlapping the box, or null when none does. */
  private highestOverlap(
    placed: readonly PlacedLabel[],
    left: number,
    top: number,
    right: number,
    bottom: number,
  ): number | null {
    let best: number | null = null;
    const x0 = Math.floor(left / CELL_W);
    const x1 = Math.floor(right / CELL_W);
    const y0 = Math.floor((top - this.opts.gap) / CELL_H);
    const y1 = Math.floor((bottom + this.opts.gap) / CELL_H);
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        const cell = this.grid.get(key(cx, cy));
        if (!cell) continue;
        for (const j of cell) {
          this.comparisons++;
          const q = placed[j]!;
          if (
            q.left < right && q.right > left && q.top < bottom + this.opts.gap - EPS &&
            q.bottom + this.opts.gap - EPS > top
          ) {
            if (best === null || q.top < best) best = q.top;
          }
        }
      }
    }
    return best;
  }

  private insert(i: number, p: PlacedLabel): void {
    const x0 = Math.floor(p.left / CELL_W);
    const x1 = Math.floor(p.right / CELL_W);
    const y0 = Math.floor(p.top / CELL_H);
    const y1 = Math.floor(p.bottom / CELL_H);
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        const k = key(cx, cy);
        let cell = this.grid.get(k);
        if (!cell) {
          cell = this.spare.pop() ?? [];
          this.grid.set(k, cell);
          this.used.push(cell);
        }
        cell.push(i);
      }
    }
  }

  private clear(): void {
    for (const cell of this.used) {
      cell.length = 0;
      this.spare.push(cell);
    }
    this.used.length = 0;
    this.grid.clear();
  }
}

/** One number per grid cell (cells within ±2^20 of the origin: far beyond any screen). */
function key(cx: number, cy: number): number {
  return (cx + 0x100000) * 0x200000 + (cy + 0x100000);
}

/** Places `labels` with a fresh placer (tests; the renderer keeps one). */
export function placeLabels(
  labels: readonly LabelInput[],
  opts: Partial<LabelOptions> = {},
  screenWidth?: number,
): PlacedLabel[] {
  return new LabelPlacer({ ...DEFAULTS, ...opts }).place(labels, labels.length, screenWidth).map((p) => ({ ...p }));
}
