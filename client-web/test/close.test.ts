import { describe, expect, it } from 'vitest';
import { describeClose, reconnectDelayMs, reconnectMode, refusalMessage, retryDelayMs } from '../src/protocol/close';

describe('close codes', () => {
  it('reconnects by itself after transient closes only', () => {
    for (const code of [1001, 1005, 1006, 1011, 1013, 1015, 4002, 4004, 4005, 4006]) {
      expect(describeClose(code, '').transient, `code ${code}`).toBe(true);
    }
    for (const code of [1000, 1002, 1003, 1007, 1008, 1009, 4000, 4001, 4003, 4999]) {
      expect(describeClose(code, '').transient, `code ${code}`).toBe(false);
    }
  });

  it('resumes after drops and idle timeouts, joins fresh after a removal or a refused token, else stops', () => {
    // The server holds the player: a lost connection (1006), an idle timeout (4005); and closes a proxy or the
    // network may produce while the player is still held.
    for (const code of [1006, 4005, 1001, 1005, 1011, 1013, 1015, 4002]) expect(reconnectMode(code), `${code}`).toBe('resume');
    // The server removed the player (too slow) or refused the token: reconnect without one.
    for (const code of [4004, 4006]) expect(reconnectMode(code), `${code}`).toBe('fresh');
    // Normal close, kick, version mismatch, protocol or policy faults (flooding): no automatic reconnect.
    for (const code of [1000, 1002, 1003, 1007, 1008, 1009, 4000, 4001, 4003, 4999]) {
      expect(reconnectMode(code), `${code}`).toBe('none');
    }
    expect(describeClose(4005, '').reconnect).toBe('resume');
    expect(describeClose(4006, '').reconnect).toBe('fresh');
  });

  it("shows the operator's reason for a kick and names every tickwire code", () => {
    const kick = describeClose(4001, 'spamming');
    expect(kick.message).toContain('kicked');
    expect(kick.message).toContain('spamming');
    expect(describeClose(4000, 'server speaks version 1').message).toMatch(/version mismatch/i);
    expect(describeClose(1013, '').message).toMatch(/full/);
    expect(describeClose(1001, 'server shutting down').message).toMatch(/shutting down/);
    expect(describeClose(1008, 'too many messages').message).toMatch(/policy violation.*too many messages/i);
    expect(describeClose(4005, 'no answer to pings').message).toMatch(/no answer to pings/);
    expect(describeClose(4006, 'resume token unknown, expired or already in use').message).toMatch(/resume refused/);
    expect(describeClose(4999, '').message).toContain('4999');
    for (const code of [1008, 4002, 4003, 4004, 4005, 4006]) {
      expect(describeClose(code, '').message, `${code}`).not.toContain('closed (code');
    }
  });

  it('backs off exponentially with a cap, longer when the server is full, at once after a refused resume', () => {
    const mid = () => 0.5;
    expect(reconnectDelayMs(1006, 0, mid)).toBe(500);
    expect(reconnectDelayMs(1006, 1, mid)).toBe(1000);
    expect(reconnectDelayMs(1006, 3, mid)).toBe(4000);
    expect(reconnectDelayMs(1006, 30, mid)).toBe(15000);
    expect(reconnectDelayMs(1013, 0, mid)).toBe(5000);
    expect(reconnectDelayMs(4006, 3, mid)).toBe(0);
  });

  it("waits a full server's Retry-After after a refusal /status explained, backing off as after 1013", () => {
    const mid = () => 0.5;
    const full = { code: 1006, refusal: { kind: 'full' as const, connections: 8, maxClients: 8, retryAfterS: 5 } };
    expect([0, 1, 2, 3].map((a) => retryDelayMs(full, a, mid))).toEqual([5000, 10000, 15000, 15000]);
    expect([0, 1, 2].map((a) => retryDelayMs(full, a, mid))).toEqual([0, 1, 2].map((a) => reconnectDelayMs(1013, a, mid)));
    // With jitter: 4 to 6 s the first time.
    expect(retryDelayMs(full, 0, () => 0)).toBe(4000);
    expect(retryDelayMs(full, 0, () => 1)).toBe(6000);
    expect(retryDelayMs({ ...full, refusal: { ...full.refusal, retryAfterS: 2 } }, 0, mid)).toBe(2000);
    // Any other refusal, or none: the close code's backoff.
    for (const refusal of [{ kind: 'unreachable' as const }, { kind: 'refused' as const }, { kind: 'shutting_down' as const }, undefined]) {
      expect(retryDelayMs({ code: 1006, refusal }, 1, mid), JSON.stringify(refusal)).toBe(1000);
    }
  });

  it('says each refusal in a sentence', () => {
    expect(refusalMessage({ kind: 'full', connections: 1024, maxClients: 1024, retryAfterS: 5 })).toBe(
      'The server is full (1024 of 1024 players).',
    );
    expect(refusalMessage({ kind: 'shutting_down' })).toBe('The server is shutting down.');
    expect(refusalMessage({ kind: 'unreachable' })).toBe('Cannot reach the server.');
    expect(refusalMessage({ kind: 'refused' })).toMatch(/^The server refused this page/);
  });
});
