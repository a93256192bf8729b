// The local player's death: who killed it and when it comes back (the death overlay), with the respawn delay
// learnt from the respawns the client watches (the wire does not carry it).

import { describe, expect, it } from 'vitest';
import { Session } from '../src/game/session';
import { RESPAWN_DELAY_S } from '../src/game/constants';
import { countdownText } from '../src/game/respawn';
import type { Delta, EntityRecord } from '../src/protocol/types';
import { ARENA } from './helpers';

const player = (id: number, x: number, y: number, flags = 0): EntityRecord =>
  ({ id, kind: 0, x: x * 16, y: y * 16, name: `p${id}`, colour: 0xea5300 + id, health: 100, flags });

/** Joined as player 1 at 20 Hz with players 2 and 3; deltas one tick apart, 50 ms apart. */
function game(): { s: Session; step: (over?: Partial<Delta>, gap?: number) => number } {
  const s = new Session();
  s.beginConnecting('ann');
  s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 100, arena: ARENA }, 0);
  s.handle({ type: 'snapshot', tick: 100, ack: 0, entities: [player(1, 200, 200), player(2, 600, 200), player(3, 900, 600)] }, 0);
  let tick = 100;
  const step = (over: Partial<Delta> = {}, gap = 1): number => {
    const base = tick;
    tick += gap;
    s.handle({ type: 'delta', tick, base, ack: 0, spawns: [], changes: [], despawns: [], events: [], moves: [], ...over }, tick * 50 - 5000);
    return tick * 50 - 5000;
  };
  return { s, step };
}

const dies = (id: number) => ({ id, health: 0, flags: 1 });
const lives = (id: number) => ({ id, health: 100, flags: 0 });

describe('death overlay state', () => {
  it('names the killer and counts down the assumed delay until the respawn, then gives way', () => {
    const { s, step } = game();
    step();
    expect(s.deathView()).toBeNull();
    // Player 2 kills us: our dead flag and the kill event come in the same delta.
    const at = step({ changes: [dies(1)], events: [{ type: 'kill', killer: 2, victim: 1 }] });
    const v = s.deathView(at)!;
    // The killer in the colour the server gave it.
    expect(v).toEqual({ killer: { id: 2, name: 'p2', colour: 0xea5302 }, remainingMs: RESPAWN_DELAY_S * 1000, delayMs: 2000, learnt: false });
    expect(s.deathView(at + 1234)!.remainingMs).toBeCloseTo(766, 9);
    expect(s.deathView(at + 5000)!.remainingMs).toBe(0);
    expect(s.debugState().death).toMatchObject({ killer: { name: 'p2' } });
    // Still dead in the next deltas: the same death (not restarted).
    step();
    expect(s.deathView(at)!.remainingMs).toBe(2000);
    // Back: no overlay, and the renderer's "here you are" ring starts now.
    const back = step({ changes: [lives(1)], moves: [{ id: 1, dx: 500 * 16, dy: 0 }] });
    expect(s.deathView(back)).toBeNull();
    expect(s.respawnedAtMs).toBe(back);
    expect(s.debugState().death).toBeNull();
  });

  it('learns the respawn delay from a respawn it watched, and counts down that', () => {
    const { s, step } = game();
    step({ changes: [dies(3)], events: [{ type: 'kill', killer: 2, victim: 3 }] }); // tick 101
    for (let i = 0; i < 59; i++) step();
    expect(s.debugState().respawnDelayLearnt).toBe(false);
    step({ changes: [lives(3)] }); // tick 161: 60 ticks at 20 Hz
    expect(s.debugState()).toMatchObject({ respawnDelayMs: 3000, respawnDelayLearnt: true });
    const at = step({ changes: [dies(1)], events: [{ type: 'kill', killer: 3, victim: 1 }] });
    expect(s.deathView(at)).toMatchObject({ killer: { id: 3, name: 'p3' }, remainingMs: 3000, learnt: true });
    // Our own respawn (60 ticks later) confirms it.
    for (let i = 0; i < 59; i++) step();
    step({ changes: [lives(1)] });
    expect(s.debugState()).toMatchObject({ respawnDelayMs: 3000, respawnDelayLearnt: true, death: null });
  });

  it('learns nothing from deaths it did not see happen tick by tick', () => {
    const { s, step } = game();
    // Skipped ticks (a slow page): the death's tick is not known.
    step({ changes: [dies(3)] }, 3);
    for (let i = 0; i < 10; i++) step();
    step({ changes: [lives(3)] });
    // A player out of view in between (despawned and back): not watched.
    step({ changes: [dies(2)] });
    step({ despawns: [2] });
    step({ spawns: [player(2, 600, 200, 1)] });
    step({ changes: [lives(2)] });
    // One that spawned dead.
    step({ spawns: [player(4, 100, 100, 1)] });
    step({ changes: [lives(4)] });
    expect(s.debugState()).toMatchObject({ respawnDelayMs: RESPAWN_DELAY_S * 1000, respawnDelayLearnt: false });
    // A death without a kill event naming us: no killer.
    const at = step({ changes: [dies(1)] });
    expect(s.deathView(at)).toMatchObject({ killer: null, remainingMs: 2000 });
    // Not joined (the connection dropped): no overlay.
    s.closed(1006, '');
    expect(s.deathView(at)).toBeNull();
  });

  it('writes the countdown in tenths, never below zero', () => {
    expect(countdownText(2000)).toBe('Respawning in 2.0 s');
    expect(countdownText(1401)).toBe('Respawning in 1.5 s');
    expect(countdownText(1400)).toBe('Respawning in 1.4 s');
    expect(countdownText(1)).toBe('Respawning in 0.1 s');
    expect(countdownText(0)).toBe('Respawning…');
  });
});
