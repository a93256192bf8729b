// A reconnect keeps the last frame on screen (dimmed by the page) until the new connection's snapshot arrives;
// every attempt clears the session's world, which used to blank the arena half a second after a drop.

import { describe, expect, it } from 'vitest';
import { Session } from '../src/game/session';
import { SceneHolder } from '../src/render/scene';
import { ARENA } from './helpers';

const player = (id: number, x: number, y: number) => ({ id, kind: 0, x: x * 16, y: y * 16, name: `p${id}`, health: 100, flags: 0 });

describe('the scene drawn while reconnecting', () => {
  it('holds the last frame, with its arena, view and player, until a new snapshot', () => {
    const s = new Session();
    const holder = new SceneHolder();
    // Nothing to draw before a welcome.
    expect(holder.pick(s, s.frame(0))).toBe(false);
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 1, arena: ARENA, view: 437.5 }, 0);
    // The arena alone until the snapshot.
    expect(holder.pick(s, s.frame(0))).toBe(true);
    expect(holder.frame).toBeNull();
    expect(holder.scene.arena).toBe(ARENA);
    s.handle({ type: 'snapshot', tick: 1, ack: 0, entities: [player(1, 200, 200), player(2, 500, 500)] }, 0);
    const live = s.frame(50)!;
    expect(holder.pick(s, live)).toBe(true);
    expect(holder).toMatchObject({ frame: live, holding: false });

    // The connection drops and a reconnect attempt starts: the session holds nothing to draw.
    s.closed(1006, '');
    s.beginConnecting('ann', true);
    expect(s.frame(600)).toBeNull();
    expect(s.arena).toBeNull();
    for (const at of [600, 1500, 4000]) {
      expect(holder.pick(s, s.frame(at))).toBe(true);
      expect(holder).toMatchObject({ frame: live, holding: true });
      expect(holder.scene).toMatchObject({ arena: ARENA, view: 437.5, you: 1 });
      expect(holder.frame!.others.map((v) => v.id)).toEqual([2]);
    }
    // The attempt fails, another starts; then the server takes the player back: held until its snapshot.
    s.closed(1006, '');
    s.beginConnecting('ann', true);
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 90, arena: ARENA, view: 437.5 }, 5000);
    expect(holder.pick(s, s.frame(5000))).toBe(true);
    expect(holder).toMatchObject({ frame: live, holding: true });
    s.handle({ type: 'snapshot', tick: 90, ack: 0, entities: [player(1, 300, 200)] }, 5000);
    const next = s.frame(5050)!;
    expect(holder.pick(s, next)).toBe(true);
    expect(holder).toMatchObject({ frame: next, holding: false });
    expect(holder.frame!.others).toEqual([]);
  });
});
