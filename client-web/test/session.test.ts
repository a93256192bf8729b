// The session: server messages (the golden fixtures) applied to the state the renderer and debug hook read.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Session } from '../src/game/session';
import { DesyncError } from '../src/game/world';
import type { Delta, EntityRecord, GameEvent, Snapshot } from '../src/protocol/types';
import { ARENA } from './helpers';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'fixtures');
const fixture = (name: string): ArrayBuffer => {
  const b = readFileSync(join(FIXTURES, `${name}.msgpack`));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

function joined(): Session {
  const s = new Session();
  s.beginConnecting('ann');
  s.receive(fixture('welcome'), 0);
  s.receive(fixture('snapshot'), 10);
  return s;
}

const player = (id: number, x: number, y: number) => ({ id, kind: 0, x: x * 16, y: y * 16, name: `p${id}`, health: 100, flags: 0 });

describe('session', () => {
  it('applies the welcome, snapshot and delta fixtures in order', () => {
    const s = joined();
    let st = s.debugState();
    expect(st).toMatchObject({ connected: true, you: 9, tick: 4000, ack: 0, tickRate: 30 });
    expect(st.entities[9]).toMatchObject({ x: 100, y: 50, angle: -1.5708, name: 'ann', colour: 0x3fa9f5, health: 100 });
    // Velocities are decoded to units per second, like positions to units.
    expect(st.entities[70000]).toEqual({ id: 70000, kind: 1, owner: 9, x: -1, y: 2500, vx: -700, vy: 0, since: 3999 });
    expect(st.rules).toEqual({ player_speed: 220, player_radius: 16, projectile_radius: 4, max_health: 100 });
    expect(st.predicted).toEqual({ x: 100, y: 50 });

    s.receive(fixture('delta'), 40);
    st = s.debugState();
    expect(st.tick).toBe(4001);
    expect(st.ack).toBe(300);
    expect(st.entities[9]).toMatchObject({ x: 1613 / 16, y: 50, health: 75, name: 'ann' });
    expect(st.entities[40]).toMatchObject({ kind: 2, x: 3199 / 16, y: 4600 / 16 });
    expect(st.entities[70000]).toBeUndefined();
    expect(st.entities[70001]).toMatchObject({ kind: 1, owner: 9 });
    expect(st.tickRate).toBe(20);
    // Entity 12 was never held (out of view, or gone before the snapshot): a placeholder name.
    expect(s.feed.kills).toMatchObject([{ killer: { id: 9, name: 'ann' }, victim: { id: 12, name: 'someone' }, mine: true }]);
    expect(s.feed.kills[0]!.text).toBe('ann ⟶ someone');
    expect(s.feed.says.map((l) => l.text)).toEqual(['hello, arena']);
  });

  it('rejects a delta whose base is not the tick held', () => {
    const s = joined();
    const d: Delta = { type: 'delta', tick: 4100, base: 4099, ack: 0, spawns: [], changes: [], despawns: [], events: [], moves: [] };
    expect(() => s.handle(d, 50)).toThrow(DesyncError);
  });

  it('rejects moves of unknown or despawned entities, positions in changes and moves off int32, keeping its state', () => {
    const s = joined();
    const before = s.debugState();
    const delta = (over: Partial<Delta>): Delta => ({
      type: 'delta', tick: 4001, base: 4000, ack: 0, spawns: [], changes: [], despawns: [], events: [], moves: [], ...over,
    });
    for (const [d, why] of [
      [delta({ moves: [{ id: 41, dx: 1, dy: 0 }] }), /move of unknown entity 41/],
      [delta({ despawns: [40], moves: [{ id: 40, dx: 1, dy: 0 }] }), /move of unknown entity 40/],
      [delta({ moves: [{ id: 40, dx: 0x7fff_ffff, dy: 0 }] }), /does not fit/],
      [delta({ changes: [{ id: 9, x: 5 }] }), /carries a position/],
      [delta({ changes: [{ id: 9, y: 5 }] }), /carries a position/],
    ] as const) {
      expect(() => s.handle(d, 50)).toThrow(why);
      expect(s.debugState()).toEqual(before);
    }
  });

  it('accepts a snapshot at any time and replaces the whole state', () => {
    const s = joined();
    const snap: Snapshot = { type: 'snapshot', tick: 5000, ack: 0, entities: [player(9, 300, 300)] };
    s.handle(snap, 100);
    expect(Object.keys(s.debugState().entities)).toEqual(['9']);
    expect(s.debugState().tick).toBe(5000);
  });

  it('predicts its own inputs, limits unacknowledged ones, and draws itself at the predicted position', () => {
    const s = new Session();
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 1, you: 1, tick_rate: 20, tick: 1, arena: ARENA }, 0);
    s.handle({ type: 'snapshot', tick: 1, ack: 0, entities: [player(1, 200, 200), player(2, 500, 500)] }, 0);
    const sent = [];
    for (let i = 0; i < 20; i++) {
      const input = s.makeInput({ dx: 1, dy: 0, aim: 0.5, buttons: 0 }, i * 50);
      if (input) sent.push(input);
    }
    expect(sent.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(s.debugState().predicted).toEqual({ x: 277, y: 200 });
    // The server applied the first two: the player moved 22 units along x, a move of 352 wire units.
    s.handle({ type: 'delta', tick: 2, base: 1, ack: 2, spawns: [], changes: [], despawns: [], events: [], moves: [{ id: 1, dx: 22 * 16, dy: 0 }] }, 300);
    expect(s.debugState().entities[1]).toMatchObject({ x: 222, y: 200 });
    expect(s.debugState().pending).toBe(5);
    expect(s.debugState().predicted).toEqual({ x: 277, y: 200 });
    expect(s.predictor.lastCorrection).toBe(0);
    // A server that disagrees by 2 units (it held the player back): the prediction is reconciled onto its moves.
    s.handle({ type: 'delta', tick: 3, base: 2, ack: 3, spawns: [], changes: [], despawns: [], events: [], moves: [{ id: 1, dx: 9 * 16, dy: 2 * 16 }] }, 350);
    expect(s.debugState().entities[1]).toMatchObject({ x: 231, y: 202 });
    expect(s.debugState().pending).toBe(4);
    expect(s.debugState().predicted).toEqual({ x: 275, y: 202 });
    const frame = s.frame(400)!;
    expect(frame.me).toMatchObject({ id: 1, angle: 0.5 });
    expect(frame.others.map((v) => v.id)).toEqual([2]);
  });

  it("keeps the welcome's view for the camera (null without one), and forgets it on a new connection", () => {
    const s = new Session();
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 1, arena: ARENA, view: 437.5 }, 0);
    expect(s.view).toBe(437.5);
    expect(s.debugState().view).toBe(437.5);
    s.beginConnecting('ann', true);
    expect(s.view).toBeNull();
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 1, arena: ARENA }, 0);
    expect(s.debugState().view).toBeNull();
  });

  it('says a connection that never opened could not connect (and asks why), not that it was lost', () => {
    const s = new Session();
    s.beginConnecting('ann');
    const info = s.closed(1006, '');
    expect(info).toMatchObject({ message: 'Could not connect. Asking the server why…', unreached: true, transient: true });
    // Lost while playing: the plain description.
    const p = joined();
    expect(p.closed(1006, '').message).toBe('The connection was lost (abnormal closure).');
  });

  it("explains an unreached close with /status's answer, only while it is still the close shown", () => {
    const full = { kind: 'full', connections: 3, maxClients: 3, retryAfterS: 5 } as const;
    const s = new Session();
    s.beginConnecting('ann');
    const info = s.closed(1006, '');
    const explained = s.explainRefusal(info, full)!;
    expect(explained).toMatchObject({ code: 1006, unreached: true, refusal: full, message: 'The server is full (3 of 3 players).' });
    expect(s.lastClose).toBe(explained);
    expect(s.closes).toEqual([explained]);
    expect(s.debugState().lastClose).toMatchObject({ refusal: full });
    // A retry's unreached close under another reason is the attempt's.
    const played = joined();
    played.closed(1001, 'server shutting down');
    played.beginConnecting('ann', true);
    const attempt = played.closed(1006, '');
    expect(played.explainRefusal(attempt, { kind: 'unreachable' })).toMatchObject({ message: 'Cannot reach the server.' });
    expect(played.lastClose).toMatchObject({ code: 1001 });
    expect(played.lastAttempt).toMatchObject({ refusal: { kind: 'unreachable' } });
    // A page that never got in shows its latest attempt, and the answer about it.
    s.beginConnecting('ann');
    const next = s.closed(1006, '');
    expect(s.lastClose).toBe(next);
    expect(s.lastAttempt).toBeNull();
    expect(s.explainRefusal(next, { kind: 'unreachable' })).toMatchObject({ message: 'Cannot reach the server.' });
    // Too late: a new attempt began, or a newer close came.
    s.beginConnecting('ann');
    const stale = s.closed(1006, '');
    s.beginConnecting('ann');
    expect(s.explainRefusal(stale, full)).toBeNull();
    s.closed(1006, '');
    expect(s.explainRefusal(stale, full)).toBeNull();
    expect(s.lastClose!.refusal).toBeUndefined();
    const lost = joined().closed(1006, '');
    expect(joined().explainRefusal(lost, full)).toBeNull();
  });

  it('turns the error message before a close into the close reason', () => {
    const s = joined();
    s.receive(fixture('error'), 50);
    const info = s.closed(4000, '');
    expect(info.message).toMatch(/version mismatch/i);
    expect(info.message).toContain('this server speaks version 2');
    expect(info.transient).toBe(false);
    expect(s.debugState()).toMatchObject({ connected: false, phase: 'closed', lastClose: { code: 4000 } });
  });
});

describe('interest management: entities leaving and entering view', () => {
  const BIG = { width: 4000, height: 4000, walls: [] };
  /** Joined as player 1 at (200, 200) with a view; player 2 (named "far") at (500, 200), moving right. */
  function inView(): Session {
    const s = new Session();
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 1, arena: BIG, view: 437.5 }, 0);
    s.handle({ type: 'snapshot', tick: 1, ack: 0, entities: [player(1, 200, 200), { ...player(2, 500, 200), name: 'far', colour: 0x123456 }] }, 0);
    return s;
  }
  let tick = 1;
  const delta = (s: Session, over: Partial<Delta>, at = tick * 50): void => {
    const base = s.world.tick!;
    tick = base + 1;
    s.handle({ type: 'delta', tick, base, ack: s.world.ack, spawns: [], changes: [], despawns: [], events: [], moves: [], ...over }, at);
  };

  it('drops a despawned entity without a trace, and takes it back when it spawns again with the same id', () => {
    const s = inView();
    delta(s, { moves: [{ id: 2, dx: 20 * 16, dy: 0 }] }); // tick 2: at 520
    delta(s, { despawns: [2] }); // tick 3: out of view
    expect(s.debugState().entities[2]).toBeUndefined();
    expect(s.feed.kills).toEqual([]);
    for (let i = 0; i < 5; i++) delta(s, {}); // ticks 4–8: not held
    // Tick 9: back in view, far from where it left (it walked around out of view).
    const back: EntityRecord = { ...player(2, 900, 600), name: 'far', colour: 0x123456 };
    delta(s, { spawns: [back] });
    expect(s.debugState().entities[2]).toMatchObject({ x: 900, y: 600, name: 'far', health: 100 });
    delta(s, { moves: [{ id: 2, dx: 10 * 16, dy: 0 }] }); // tick 10: moves on from there
    expect(s.debugState().entities[2]).toMatchObject({ x: 910, y: 600 });
    expect(s.debugState().tick).toBe(10);

    // Drawn at every render tick from the old state to the new one: where it was until it left (never beyond, never
    // towards the new place), nowhere while out of view, then only from the place it came back to.
    const seen: [number, number, number][] = [];
    for (let rt = 1; rt <= 10.001; rt += 0.05) {
      const v = s.history.sample(rt, 20).find((e) => e.id === 2);
      if (v) seen.push([rt, v.x, v.y]);
    }
    for (const [rt, x, y] of seen) {
      if (rt < 3) {
        expect(x).toBeGreaterThanOrEqual(500);
        expect(x).toBeLessThanOrEqual(520);
        expect(y).toBe(200);
      } else {
        expect(rt).toBeGreaterThanOrEqual(9);
        expect(x).toBeGreaterThanOrEqual(900);
        expect(x).toBeLessThanOrEqual(910);
        expect(y).toBe(600);
      }
    }
    expect(seen.some(([rt]) => rt < 3)).toBe(true);
    expect(seen.some(([rt]) => rt >= 9)).toBe(true);
    expect(seen.some(([rt]) => rt >= 3 && rt < 9)).toBe(false);
    // The own player is unaffected.
    expect(s.debugState().entities[1]).toMatchObject({ x: 200, y: 200 });
    expect(s.debugState().predicted).toEqual({ x: 200, y: 200 });
  });

  it('takes a despawn and a spawn of the same id in one delta (out of view and back within a tick)', () => {
    const s = inView();
    delta(s, { despawns: [2], spawns: [{ ...player(2, 800, 300), name: 'far' }] });
    expect(s.debugState().entities[2]).toMatchObject({ x: 800, y: 300, name: 'far' });
    // Far from where it was: drawn there at once, not slid across (a teleport).
    const half = s.history.sample(1.5, 20).find((e) => e.id === 2)!;
    expect([half.x, half.y]).toEqual([800, 300]);
  });

  it('names kills of entities it does not hold: remembered after they left view, "someone" if never held', () => {
    const s = inView();
    const kill = (killer: number, victim: number): GameEvent => ({ type: 'kill', killer, victim });
    // Neither ever held (a kill far away on the field): no crash, and no "someone ⟶ someone" line.
    expect(() => delta(s, { events: [kill(77, 78)] })).not.toThrow();
    expect(s.feed.kills).toEqual([]);
    // One of them held: named, the other is "someone", either way round.
    delta(s, { events: [kill(2, 78), kill(77, 2)] });
    expect(s.feed.kills).toMatchObject([
      { text: 'far ⟶ someone', killer: { id: 2, name: 'far', colour: 0x123456 }, victim: { id: 78, name: 'someone' }, mine: false },
      { text: 'someone ⟶ far', killer: { id: 77, name: 'someone' }, victim: { id: 2, name: 'far' }, mine: false },
    ]);
    // An unknown killer of the local player; the local player killing an unknown one.
    delta(s, { events: [kill(77, 1), kill(1, 79)] });
    expect(s.feed.kills.slice(-2)).toMatchObject([
      { text: 'someone ⟶ p1', killer: { name: 'someone' }, victim: { name: 'p1' }, mine: true },
      { text: 'p1 ⟶ someone', mine: true },
    ]);
    // Player 2 leaves view; long after (beyond the interpolation history), a kill still names it.
    delta(s, { despawns: [2] });
    for (let i = 0; i < 100; i++) delta(s, {});
    expect(s.history.oldest!.entities.has(2)).toBe(false);
    delta(s, { events: [kill(2, 80)] });
    expect(s.feed.kills.at(-1)).toMatchObject({ text: 'far ⟶ someone', killer: { id: 2, name: 'far', colour: 0x123456 } });
    // Many far-away kills between strangers leave the feed as it was.
    const before = s.feed.kills.slice();
    for (let i = 0; i < 20; i++) delta(s, { events: [kill(100 + i, 200 + i)] });
    expect(s.feed.kills).toEqual(before);
    for (const line of s.feed.kills) expect(line.text).not.toMatch(/undefined|#\d/);
    // A fresh join (maybe another server run, where ids mean other entities) forgets the names.
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 2, you: 5, tick_rate: 20, tick: 1, arena: BIG, view: 437.5 }, 0);
    s.handle({ type: 'snapshot', tick: 1, ack: 0, entities: [player(5, 200, 200)] }, 0);
    delta(s, { events: [kill(2, 5)] });
    expect(s.feed.kills.at(-1)).toMatchObject({ text: 'someone ⟶ p5' });
  });
});
