// Asking the server why a connection never opened. A browser reports a refused WebSocket upgrade as a close with
// code 1006 whatever the HTTP answer was: a full server's 503, a 403 for this page's origin and a server that is
// down all look alike. The server's public `GET /status` (docs/PROTOCOL.md section 1) says whether it is full or
// shutting down; `fetchStatus` asks it (bounded in time), `parseStatus` checks the answer and `refusalOf` turns it
// into what the player is told (protocol/close.ts `Refusal`).

import type { Refusal } from '../protocol/close';

/** What `/status` says (the wire's snake_case fields, checked). */
export interface ServerStatus {
  /** Joined players, as of the server's last tick; null when the answer did not say. */
  players: number | null;
  /** Open game connections, joined or not: what `maxClients` limits. */
  connections: number;
  maxClients: number;
  /** A game connection would be refused now (HTTP 503). */
  full: boolean;
  shuttingDown: boolean;
  /** While full: the seconds the server asks a refused client to wait (its 503's Retry-After); else null. */
  retryAfterS: number | null;
  /** The protocol version the server speaks; null when the answer did not say. */
  protocol: number | null;
}

/** How long to wait for `/status` before calling the server unreachable. */
export const STATUS_TIMEOUT_MS = 2000;
/** The wait a full server asks for when its answer does not say (tickwire's 503 says Retry-After: 5). */
export const DEFAULT_RETRY_AFTER_S = 5;

/** The `/status` URL of the server behind a WebSocket URL: same host and port, http for ws, https for wss. */
export function statusUrl(wsUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(wsUrl);
  } catch {
    return null;
  }
  const scheme = url.protocol === 'ws:' ? 'http:' : url.protocol === 'wss:' ? 'https:' : null;
  if (scheme === null) return null;
  // `host` keeps a port that is not the scheme's default; ws and http (wss and https) share theirs.
  return `${scheme}//${url.host}/status`;
}

const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

/** Checks a `/status` body: null unless it has the fields the page relies on, of the right types. */
export function parseStatus(body: unknown): ServerStatus | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const o = body as Record<string, unknown>;
  const connections = count(o.connections);
  const maxClients = count(o.max_clients);
  if (connections === null || maxClients === null) return null;
  if (typeof o.full !== 'boolean' || typeof o.shutting_down !== 'boolean') return null;
  const retry = count(o.retry_after);
  return {
    players: count(o.players),
    connections,
    maxClients,
    full: o.full,
    shuttingDown: o.shutting_down,
    retryAfterS: retry !== null && retry > 0 ? retry : null,
    protocol: count(o.protocol),
  };
}

/** The part of `fetch` used here (tests pass their own). */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; cache: RequestCache; credentials: RequestCredentials },
) => Promise<{ ok: boolean; json(): Promise<unknown> }>;

export interface FetchStatusOptions {
  /** Give up after this long (the answer counts as none). */
  timeoutMs?: number;
  /** Aborts the request early (the page moved on). */
  signal?: AbortSignal;
  fetch?: FetchLike;
}

/**
 * Asks `/status` at `url`; resolves with the checked answer, or null when there is none within the timeout (no
 * connection, an error status, not the expected JSON, aborted). Never rejects.
 */
export async function fetchStatus(url: string, options: FetchStatusOptions = {}): Promise<ServerStatus | null> {
  const { timeoutMs = STATUS_TIMEOUT_MS, signal } = options;
  const doFetch: FetchLike = options.fetch ?? ((u, init) => fetch(u, init));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const stop = () => controller.abort();
  if (signal?.aborted) controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  // Settles with null at the timeout or abort even if the request does not notice the signal.
  const aborted = new Promise<null>((resolve) => {
    if (controller.signal.aborted) resolve(null);
    controller.signal.addEventListener('abort', () => resolve(null), { once: true });
  });
  const ask = async (): Promise<ServerStatus | null> => {
    // No cookies: the answer is public. `no-store`: it is only true now.
    const res = await doFetch(url, { signal: controller.signal, cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return null;
    // The body is read under the same signal and timeout.
    return parseStatus(await res.json());
  };
  try {
    return await Promise.race([ask(), aborted]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}

/** What the player is told about a connection that never opened, from the server's `/status` (null: no answer). */
export function refusalOf(status: ServerStatus | null): Refusal {
  if (status === null) return { kind: 'unreachable' };
  // Shutting down outlasts being full: a slot that frees up will not take a new player.
  if (status.shuttingDown) return { kind: 'shutting_down' };
  if (status.full) {
    return {
      kind: 'full',
      connections: status.connections,
      maxClients: status.maxClients,
      retryAfterS: status.retryAfterS ?? DEFAULT_RETRY_AFTER_S,
    };
  }
  return { kind: 'refused' };
}
