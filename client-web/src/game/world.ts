// The client's copy of the authoritative world: a map id → fields, replaced by snapshots and advanced by deltas
// (docs/PROTOCOL.md section 2). Field objects are never mutated once stored, so older frames kept for
// interpolation can share them.

import { mergeFields } from '../protocol/entity';
import type { Delta, EntityFields, Snapshot } from '../protocol/types';

export type Entities = ReadonlyMap<number, Readonly<EntityFields>>;

/** A delta that does not fit the state held; the client needs a fresh snapshot (it reconnects). */
export class DesyncError extends Error {
  override name = 'DesyncError';
}

/** A coordinate of entity `id` moved by `by` (non-zero); it must exist and stay within int32. */
function shift(id: number, at: number | undefined, by: number): number {
  const v = at === undefined ? NaN : at + by;
  if (!(v >= -0x8000_0000 && v <= 0x7fff_ffff)) throw new DesyncError(`move of entity ${id} does not fit its position`);
  return v;
}

export class World {
  /** Server tick of the state held; null before the first snapshot. */
  tick: number | null = null;
  /** Last input sequence number the server applied. */
  ack = 0;
  private map = new Map<number, Readonly<EntityFields>>();

  get entities(): Entities {
    return this.map;
  }

  clear(): void {
    this.tick = null;
    this.ack = 0;
    this.map = new Map();
  }

  applySnapshot(s: Snapshot): void {
    const next = new Map<number, Readonly<EntityFields>>();
    for (const rec of s.entities) next.set(rec.id, mergeFields(undefined, rec));
    this.map = next;
    this.tick = s.tick;
    this.ack = s.ack;
  }

  /**
   * Applies a delta to the state at its base: despawns, then changes, then moves, then spawns. The previous map
   * object is left untouched (a new one is built), so a frame that holds it keeps seeing the old state. A delta
   * that does not fit (an unknown entity, a position in a change, a move off the int32 range) throws and leaves
   * the state as it was.
   */
  applyDelta(d: Delta): void {
    if (this.tick === null) throw new DesyncError(`delta for tick ${d.tick} before any snapshot`);
    if (d.base !== this.tick) {
      throw new DesyncError(`delta ${d.tick} applies to tick ${d.base}, but the client holds tick ${this.tick}`);
    }
    const next = new Map(this.map);
    for (const id of d.despawns) {
      if (!next.delete(id)) throw new DesyncError(`despawn of unknown entity ${id}`);
    }
    for (const rec of d.changes) {
      const held = next.get(rec.id);
      if (!held) throw new DesyncError(`change to unknown entity ${rec.id}`);
      if (rec.x !== undefined || rec.y !== undefined) {
        throw new DesyncError(`change to entity ${rec.id} carries a position (positions change only through moves)`);
      }
      next.set(rec.id, mergeFields(held, rec));
    }
    for (const m of d.moves) {
      const held = next.get(m.id);
      if (!held) throw new DesyncError(`move of unknown entity ${m.id}`);
      const moved: EntityFields = { ...held };
      if (m.dx !== 0) moved.x = shift(m.id, held.x, m.dx);
      if (m.dy !== 0) moved.y = shift(m.id, held.y, m.dy);
      next.set(m.id, moved);
    }
    for (const rec of d.spawns) {
      if (next.has(rec.id)) throw new DesyncError(`spawn of entity ${rec.id}, which already exists`);
      next.set(rec.id, mergeFields(undefined, rec));
    }
    this.map = next;
    this.tick = d.tick;
    this.ack = d.ack;
  }
}
