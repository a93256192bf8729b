// Asking the server's /status why a connection never opened: the URL next to the WebSocket's, the answer checked,
// the request bounded in time, and what the player is told.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  fetchStatus,
  parseStatus,
  refusalOf,
  statusUrl,
  STATUS_TIMEOUT_MS,
  type FetchLike,
  type ServerStatus,
} from '../src/net/probe';

/** What the server sends (server/src/status.rs's unit test has the same text). */
const FULL_BODY =
  '{"players":1,"connections":2,"max_clients":2,"full":true,"shutting_down":true,"retry_after":5,"protocol":2}';
const OPEN_BODY =
  '{"players":3,"connections":4,"max_clients":1024,"full":false,"shutting_down":false,"retry_after":null,"protocol":2}';

const status = (over: Partial<ServerStatus> = {}): ServerStatus => ({
  players: 0,
  connections: 0,
  maxClients: 4,
  full: false,
  shuttingDown: false,
  retryAfterS: null,
  protocol: 2,
  ...over,
});

describe('the /status URL', () => {
  it('is on the WebSocket URL’s host and port, http for ws and https for wss', () => {
    expect(statusUrl('ws://127.0.0.1:8080/ws')).toBe('http://127.0.0.1:8080/status');
    expect(statusUrl('wss://play.example/ws')).toBe('https://play.example/status');
    expect(statusUrl('wss://play.example:8443/ws?x=1#y')).toBe('https://play.example:8443/status');
    expect(statusUrl('ws://[::1]:9000/ws')).toBe('http://[::1]:9000/status');
    // The schemes' default ports are the same (80, 443): dropped from one, dropped from the other.
    expect(statusUrl('ws://play.example:80/ws')).toBe('http://play.example/status');
    expect(statusUrl('http://play.example/ws')).toBeNull();
    expect(statusUrl('not a url')).toBeNull();
  });
});

describe('parsing /status', () => {
  it("reads the server's answer", () => {
    expect(parseStatus(JSON.parse(FULL_BODY))).toEqual({
      players: 1,
      connections: 2,
      maxClients: 2,
      full: true,
      shuttingDown: true,
      retryAfterS: 5,
      protocol: 2,
    });
    expect(parseStatus(JSON.parse(OPEN_BODY))).toMatchObject({ connections: 4, maxClients: 1024, full: false, retryAfterS: null });
  });

  it('refuses answers without the fields it relies on, or with the wrong types; tolerates extra ones', () => {
    const full = JSON.parse(FULL_BODY) as Record<string, unknown>;
    for (const bad of [
      null,
      'full',
      [full],
      { ...full, full: 'true' },
      { ...full, shutting_down: undefined },
      { ...full, connections: -1 },
      { ...full, connections: 1.5 },
      { ...full, max_clients: '2' },
      { ...full, max_clients: undefined },
    ]) {
      expect(parseStatus(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseStatus({ ...full, players: undefined, protocol: undefined, extra: [1] })).toMatchObject({
      players: null,
      protocol: null,
      full: true,
    });
    // A retry_after of 0 (or nonsense) would mean reconnecting in a loop: treated as not given.
    expect(parseStatus({ ...full, retry_after: 0 })!.retryAfterS).toBeNull();
    expect(parseStatus({ ...full, retry_after: 'soon' })!.retryAfterS).toBeNull();
  });
});

describe('fetching /status', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const answering =
    (ok: boolean, body: () => Promise<unknown>): FetchLike & { calls: Parameters<FetchLike>[] } => {
      const calls: Parameters<FetchLike>[] = [];
      return Object.assign(
        async (...args: Parameters<FetchLike>) => {
          calls.push(args);
          return { ok, json: body };
        },
        { calls },
      );
    };

  it('resolves with the checked answer; asks without cookies or cache', async () => {
    const fetch = answering(true, async () => JSON.parse(FULL_BODY));
    expect(await fetchStatus('http://h/status', { fetch })).toMatchObject({ full: true, connections: 2 });
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]![0]).toBe('http://h/status');
    expect(fetch.calls[0]![1]).toMatchObject({ cache: 'no-store', credentials: 'omit' });
  });

  it('is null for an error status, a body that is not the JSON, or a failed request', async () => {
    expect(await fetchStatus('http://h/status', { fetch: answering(false, async () => JSON.parse(FULL_BODY)) })).toBeNull();
    expect(await fetchStatus('http://h/status', { fetch: answering(true, async () => ({ hello: 1 })) })).toBeNull();
    const badJson = answering(true, () => Promise.reject(new SyntaxError('Unexpected token <')));
    expect(await fetchStatus('http://h/status', { fetch: badJson })).toBeNull();
    expect(await fetchStatus('http://h/status', { fetch: () => Promise.reject(new TypeError('Failed to fetch')) })).toBeNull();
  });

  it('gives up after the timeout, aborting the request, even when the request ignores the signal', async () => {
    let seen: AbortSignal | null = null;
    const hanging: FetchLike = (_, init) => {
      seen = init.signal;
      return new Promise(() => undefined); // never settles, whatever the signal says
    };
    let result: ServerStatus | null | 'pending' = 'pending';
    void fetchStatus('http://h/status', { fetch: hanging }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(STATUS_TIMEOUT_MS - 1);
    expect(result).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toBeNull();
    expect(seen!.aborted).toBe(true);
  });

  it("stops when the caller's signal aborts", async () => {
    let seen: AbortSignal | null = null;
    const hanging: FetchLike = (_, init) => {
      seen = init.signal;
      return new Promise(() => undefined);
    };
    const caller = new AbortController();
    let result: ServerStatus | null | 'pending' = 'pending';
    void fetchStatus('http://h/status', { fetch: hanging, signal: caller.signal }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(10);
    expect(result).toBe('pending');
    caller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeNull();
    expect(seen!.aborted).toBe(true);
  });
});

describe('what the answer means', () => {
  it('full with the counts and the Retry-After; shutting down first; neither: refused; no answer: unreachable', () => {
    expect(refusalOf(status({ full: true, connections: 1024, maxClients: 1024, retryAfterS: 7 }))).toEqual({
      kind: 'full',
      connections: 1024,
      maxClients: 1024,
      retryAfterS: 7,
    });
    expect(refusalOf(status({ full: true, retryAfterS: null }))).toMatchObject({ kind: 'full', retryAfterS: 5 });
    expect(refusalOf(status({ full: true, shuttingDown: true }))).toEqual({ kind: 'shutting_down' });
    expect(refusalOf(status())).toEqual({ kind: 'refused' });
    expect(refusalOf(null)).toEqual({ kind: 'unreachable' });
  });
});
