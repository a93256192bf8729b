// The connection-status overlay says each thing once, and says why a page could not get in: what the server's
// /status told it (full, shutting down, refused this page) or that it cannot be reached. (It used to say "Could not
// connect: the server is down, full …" for all of them, and under it "The server cannot be reached or is full.")

import { describe, expect, it } from 'vitest';
import { Session } from '../src/game/session';
import type { Refusal } from '../src/protocol/close';
import { statusLines } from '../src/ui/status';
import { ARENA } from './helpers';

const all = (l: { title: string; text: string; retry: string }) => `${l.title}\n${l.text}\n${l.retry}`;
const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, `${re.flags}g`)) ?? []).length;
const FULL: Refusal = { kind: 'full', connections: 1024, maxClients: 1024, retryAfterS: 5 };

/** One attempt that never opened, explained by `refusal` (undefined: still asking). */
function refused(s: Session, refusal?: Refusal, resuming = false): void {
  s.beginConnecting('ann', resuming);
  const info = s.closed(1006, '');
  if (refusal) s.explainRefusal(info, refusal);
}

describe('status overlay', () => {
  it('a full server from the start: said once, in the main line, with the wait, on every retry', () => {
    const s = new Session();
    refused(s);
    expect(statusLines(s, null)).toEqual({ title: 'Cannot connect', text: 'Could not connect. Asking the server why…', retry: '' });
    s.explainRefusal(s.lastClose!, FULL);
    expect(statusLines(s, 4600)).toEqual({
      title: 'Server full',
      text: 'The server is full (1024 of 1024 players).',
      retry: 'Trying again in 5 s.',
    });
    for (let attempt = 0; attempt < 3; attempt++) {
      s.beginConnecting('ann');
      expect(statusLines(s, null)).toEqual({
        title: 'Connecting…',
        text: 'Last close: The server is full (1024 of 1024 players).',
        retry: '',
      });
      s.closed(1006, '');
      s.explainRefusal(s.lastClose!, FULL);
      const lines = statusLines(s, 9200);
      const text = all(lines);
      expect(count(text, /full/), text).toBe(2); // the title and the sentence
      expect(count(text, /cannot|could not|code/i), text).toBe(0);
      expect(lines.retry).toBe('Trying again in 10 s.');
    }
  });

  it('says what /status said: shutting down, no answer, or up and refusing this page', () => {
    for (const [refusal, title, text] of [
      [{ kind: 'shutting_down' }, 'Server shutting down', 'The server is shutting down.'],
      [{ kind: 'unreachable' }, 'Cannot connect', 'Cannot reach the server.'],
      [{ kind: 'refused' }, 'Cannot connect', /^The server refused this page/],
    ] as const) {
      const s = new Session();
      refused(s, refusal);
      const lines = statusLines(s, 500);
      expect(lines.title).toBe(title);
      expect(lines.text).toMatch(text);
      expect(lines.retry).toBe('Trying again in 1 s.');
    }
    // The latest attempt is the news: a server that was full and is down now says so.
    const s = new Session();
    refused(s, FULL);
    refused(s, { kind: 'unreachable' });
    expect(statusLines(s, 500)).toMatchObject({ title: 'Cannot connect', text: 'Cannot reach the server.' });
  });

  it('the game ended for another reason: that reason, then why the retries do not get in', () => {
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
    // Still asking: nothing to add yet.
    expect(statusLines(s, null)).toMatchObject({ title: 'Disconnected', retry: '' });
    s.explainRefusal(s.lastAttempt!, { kind: 'unreachable' });
    let lines = statusLines(s, 1000);
    expect(lines.text).toMatch(/server shutting down/);
    expect(lines.retry).toBe('Cannot reach the server. Reconnecting in 1 s…');
    // The server is back, and full.
    refused(s, { ...FULL, connections: 3, maxClients: 3 }, true);
    lines = statusLines(s, 5000);
    expect(lines.text).toMatch(/server shutting down/);
    expect(lines.retry).toBe('The server is full (3 of 3 players). Reconnecting in 5 s…');
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
