// The local player's death and respawn, for the death overlay: who killed it, and when it comes back.
//
// The wire does not carry the respawn delay (the welcome's rules hold only what prediction and drawing need,
// docs/PROTOCOL.md); what it does carry is each player's dead flag (flags bit 0) in every tick's delta. A player
// that died in tick T comes back in tick T + n, n the server's respawn delay in ticks; so the client learns n from
// any respawn it watches: a player it held whose dead flag went on and later off, both seen in deltas that follow
// their base by one tick (so both ticks are exact). Until it has seen one, it assumes RESPAWN_DELAY_S, which
// mirrors assets/rules.toml. Deaths it did not see happen (an entity that spawned dead, a skipped tick, a
// snapshot) teach nothing.

import { FLAG_DEAD, KIND_PLAYER, type Delta, type EntityFields } from '../protocol/types';
import { RESPAWN_DELAY_S } from './constants';
import type { Entities } from './world';

export function isDead(f: Readonly<EntityFields> | undefined): boolean {
  return ((f?.flags ?? 0) & FLAG_DEAD) !== 0;
}

/** Learns the server's respawn delay (in ticks) from the respawns it watches. */
export class RespawnDelay {
  /** Players seen dying, by id: the tick their dead flag went on. */
  private readonly diedAt = new Map<number, number>();
  /** The delay in ticks the last watched respawn took (null: none watched yet). */
  ticks: number | null = null;

  /**
   * A delta was applied: `before` is the state at its base, `after` at its tick. Only the entities whose flags
   * changed are looked at.
   */
  observe(d: Delta, before: Entities, after: Entities): void {
    const exact = d.base === d.tick - 1;
    if (!exact) this.diedAt.clear();
    for (const id of d.despawns) this.diedAt.delete(id);
    for (const c of d.changes) {
      if (c.flags === undefined) continue;
      const was = before.get(c.id);
      const now = after.get(c.id);
      if (!was || !now || now.kind !== KIND_PLAYER) continue;
      const dead = isDead(now);
      if (dead && !isDead(was)) {
        if (exact) this.diedAt.set(c.id, d.tick);
      } else if (!dead && isDead(was)) {
        const died = this.diedAt.get(c.id);
        this.diedAt.delete(c.id);
        if (exact && died !== undefined && d.tick > died) this.ticks = d.tick - died;
      }
    }
  }

  /** A snapshot replaced the state: the deaths being watched are lost (not the delay learnt). */
  resync(): void {
    this.diedAt.clear();
  }

  /** The respawn delay in ms at `tickRate` Hz: learnt, or RESPAWN_DELAY_S. */
  delayMs(tickRate: number): number {
    return this.ticks === null ? RESPAWN_DELAY_S * 1000 : (this.ticks * 1000) / tickRate;
  }
}

/** The local player's death, while it lasts. */
export interface Death {
  /** When its dead flag arrived (ms, the page's clock) and in which tick. */
  atMs: number;
  tick: number;
  /** Who killed it, from the kill event (null: no kill event named it), with the colour it is drawn in. */
  killer: { id: number; name: string; colour: number } | null;
}

/** What the death overlay shows at `nowMs`. */
export interface DeathView {
  killer: { id: number; name: string; colour: number } | null;
  /** Until the respawn is expected (ms, ≥ 0). */
  remainingMs: number;
  /** The whole delay (ms), and whether it was learnt from a respawn (or assumed). */
  delayMs: number;
  learnt: boolean;
}

export function deathView(death: Death, nowMs: number, delay: RespawnDelay, tickRate: number): DeathView {
  const delayMs = delay.delayMs(tickRate);
  return {
    killer: death.killer && { ...death.killer },
    remainingMs: Math.max(0, death.atMs + delayMs - nowMs),
    delayMs,
    learnt: delay.ticks !== null,
  };
}

/** The countdown's text: "Respawning in 1.4 s", or "Respawning…" once the time is up (the respawn is on its way). */
export function countdownText(remainingMs: number): string {
  return remainingMs <= 0 ? 'Respawning…' : `Respawning in ${(Math.ceil(remainingMs / 100) / 10).toFixed(1)} s`;
}
