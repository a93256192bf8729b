// WebSocket close codes (docs/PROTOCOL.md section 7): what to tell the player, whether to reconnect by itself and
// whether the reconnect may present the resume token to get the same player back.

/**
 * What to do after a close:
 * - `resume`: reconnect by itself, presenting the latest resume token (if any). The server holds the player of a
 *   connection that dropped without a close frame (1006) or stopped answering pings (4005) for its grace period.
 *   Closes that a proxy or the network may produce while the server still holds the player (1001, 1005, 1011,
 *   1013, 1015, 4002) also try the token: a refused one costs a single 4006 and an immediate fresh join.
 * - `fresh`: reconnect by itself as a new player (the token is dead): the server removed the player (4004 too
 *   slow) or refused the token (4006).
 * - `none`: stay disconnected until the player clicks Reconnect; the token is dead (normal close, kick, a client
 *   or protocol fault that reconnecting would only repeat).
 */
export type ReconnectMode = 'resume' | 'fresh' | 'none';

export interface CloseInfo {
  code: number;
  reason: string;
  /** A sentence for the player. */
  message: string;
  /** Reconnect automatically (with backoff) after this close (`reconnect !== 'none'`). */
  transient: boolean;
  /** Whether and how to reconnect automatically. */
  reconnect: ReconnectMode;
  /** Milliseconds since the epoch when the close happened. */
  at: number;
  /** The connection never reached the game (1006 before the welcome: down, full or refused). */
  unreached?: boolean;
  /**
   * Why an unreached connection was refused, as the server's `GET /status` explained it (net/probe.ts); absent
   * while the page is still asking (and for every other close).
   */
  refusal?: Refusal;
}

/**
 * Why a connection that never opened (1006 before the welcome) failed: a browser is not shown the HTTP status of a
 * refused upgrade, so the page asks the server's `/status` (docs/PROTOCOL.md section 1).
 * - `full`: it has `--max-clients` connections (its 503 says Retry-After `retryAfterS`).
 * - `shutting_down`: it is stopping.
 * - `refused`: it answers and is neither: most likely it refused this page's origin (403).
 * - `unreachable`: no answer (down, or the network).
 */
export type Refusal =
  | { kind: 'full'; connections: number; maxClients: number; retryAfterS: number }
  | { kind: 'shutting_down' }
  | { kind: 'refused' }
  | { kind: 'unreachable' };

/** A sentence for the player about a refusal. */
export function refusalMessage(r: Refusal): string {
  switch (r.kind) {
    case 'full':
      return `The server is full (${r.connections} of ${r.maxClients} players).`;
    case 'shutting_down':
      return 'The server is shutting down.';
    case 'refused':
      return "The server refused this page: it is up and not full, so most likely it does not allow this page's address.";
    case 'unreachable':
      return 'Cannot reach the server.';
  }
}

const NAMES: Record<number, string> = {
  1000: 'The connection was closed normally.',
  1001: 'The server is going away (shutting down).',
  1002: 'Protocol error: the client broke the WebSocket framing rules.',
  1003: 'The server refused a text frame.',
  1005: 'The connection closed without a status code.',
  1006: 'The connection was lost (abnormal closure).',
  1007: 'The server could not understand a message from this client.',
  1008: 'Policy violation (for example sending too fast).',
  1009: 'A message was too big for the server.',
  1011: 'The server hit an internal error.',
  1013: 'The server is full: try again later.',
  1015: 'The secure (TLS) connection failed.',
  4000: 'Version mismatch: this page speaks another protocol version than the server. Reload the page.',
  4001: 'You were kicked by the server operator.',
  4002: 'The server did not receive a hello in time.',
  4003: 'The server received an unexpected message.',
  4004: 'This client was too slow to receive updates.',
  4005: 'The server stopped hearing from this client (no answer to pings).',
  4006: 'The server could not give your player back (resume refused): joining as a new player.',
};

/** Codes after which reconnecting with the resume token is reasonable: the problem is the network or passing. */
const RESUME = new Set([1001, 1005, 1006, 1011, 1013, 1015, 4002, 4005]);
/** Codes after which reconnecting as a new player is reasonable. */
const FRESH = new Set([4004, 4006]);

/** The reconnect policy for a close code (see ReconnectMode). */
export function reconnectMode(code: number): ReconnectMode {
  if (RESUME.has(code)) return 'resume';
  if (FRESH.has(code)) return 'fresh';
  return 'none';
}

export function describeClose(code: number, reason: string, at = Date.now()): CloseInfo {
  const base = NAMES[code] ?? `The connection closed (code ${code}).`;
  const message = reason ? `${base} Reason: ${reason}` : base;
  const reconnect = reconnectMode(code);
  return { code, reason, message, transient: reconnect !== 'none', reconnect, at };
}

/** The first wait after a full server refused us (1013 from a proxy; tickwire's 503 says Retry-After: 5). */
export const FULL_BACKOFF_MS = 5000;

/** `baseMs` doubling with every attempt (0-based), at most 15 s, ±20 % jitter. */
export function backoffMs(baseMs: number, attempt: number, random: () => number = Math.random): number {
  const capped = Math.min(15_000, baseMs * 2 ** Math.min(attempt, 10));
  return Math.round(capped * (0.8 + 0.4 * random()));
}

/**
 * Backoff before reconnect attempt `attempt` (0-based): 0.5 s doubling to 15 s, longer when the server is full.
 * A refused resume (4006) reconnects at once: the fresh join that follows has no token, so it cannot loop.
 */
export function reconnectDelayMs(code: number, attempt: number, random: () => number = Math.random): number {
  if (code === 4006) return 0;
  return backoffMs(code === 1013 ? FULL_BACKOFF_MS : 500, attempt, random);
}

/**
 * The backoff after `info`: by its code, except that a connection a full server refused (its `/status` said so)
 * waits as after 1013, from the server's Retry-After.
 */
export function retryDelayMs(info: Pick<CloseInfo, 'code' | 'refusal'>, attempt: number, random: () => number = Math.random): number {
  if (info.refusal?.kind === 'full') return backoffMs(info.refusal.retryAfterS * 1000, attempt, random);
  return reconnectDelayMs(info.code, attempt, random);
}
