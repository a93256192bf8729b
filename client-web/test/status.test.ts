// The connection-status overlay says each thing once: a page that cannot reach a full or stopped server said
// "Could not connect: the server is down, full …" and, under it, "The server cannot be reached or is full."

import { describe, expect, it } from 'vitest';
import { Session } from '../src/game/session';
import { statusLines } from '../src/ui/status';
import { ARENA } from './helpers';

const all = (l: { title: string; text: string; retry: string }) => `${l.title}\n${l.text}\n${l.retry}`;
const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, `${re.flags}g`)) ?? []).length;

describe('status overlay', () => {
  it('a server that is full or down from the start: said once, in the main line, on every retry', () => {
    const s = new Session();
    s.beginConnecting('ann');
    s.closed(1006, '');
    let lines = statusLines(s, 500);
    expect(lines.title).toBe('Cannot connect');
    expect(lines.text).toMatch(/^Could not connect: the server is down, full .* \(code 1006\)$/);
    expect(lines.retry).toBe('Reconnecting in 1 s…');
    for (let attempt = 0; attempt < 3; attempt++) {
      s.beginConnecting('ann');
      expect(statusLines(s, null)).toMatchObject({ title: 'Connecting…', retry: '' });
      s.closed(1006, '');
      lines = statusLines(s, 2000);
      const text = all(lines);
      expect(count(text, /full/), text).toBe(1);
      expect(count(text, /cannot be reached|could not connect/i), text).toBe(1);
      expect(lines.retry).toBe('Reconnecting in 2 s…');
    }
  });

  it('the game ended for another reason: that reason, then that the retries cannot reach the server', () => {
    const s = new Session();
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 1, arena: ARENA }, 0);
    s.closed(1001, 'server shutting down');
    expect(statusLines(s, 400)).toEqual({
      title: 'Disconnected',
      text: expect.stringMatching(/server shutting down.*\(code 1001\)$/),
      retry: 'Reconnecting in 1 s…',
    });
    s.beginConnecting('ann', true);
    expect(statusLines(s, null)).toMatchObject({ title: 'Reconnecting to your player…', retry: '' });
    expect(statusLines(s, null).text).toMatch(/^Last close: .*server shutting down/);
    s.closed(1006, '');
    const lines = statusLines(s, 1000);
    expect(lines.text).toMatch(/server shutting down/);
    expect(lines.retry).toBe('The server cannot be reached or is full. Reconnecting in 1 s…');
    expect(count(all(lines), /full/)).toBe(1);
  });

  it('a kick is titled so, with no countdown', () => {
    const s = new Session();
    s.beginConnecting('ann');
    s.handle({ type: 'welcome', version: 2, you: 1, tick_rate: 20, tick: 1, arena: ARENA }, 0);
    s.closed(4001, 'spamming');
    expect(statusLines(s, null)).toMatchObject({ title: 'Kicked', retry: '' });
  });
});
