// WebSocket close codes (docs/PROTOCOL.md section 7): what to tell the player and whether to reconnect by itself.

export interface CloseInfo {
  code: number;
  reason: string;
  /** A sentence for the player. */
  message: string;
  /** Reconnect automatically (with backoff) after this close. */
  transient: boolean;
  /** Milliseconds since the epoch when the close happened. */
  at: number;
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
};

/** Codes after which reconnecting on our own is reasonable: the problem is the network or a passing state. */
const TRANSIENT = new Set([1001, 1005, 1006, 1011, 1013, 1015, 4002, 4004]);

export function describeClose(code: number, reason: string, at = Date.now()): CloseInfo {
  const base = NAMES[code] ?? `The connection closed (code ${code}).`;
  const message = reason ? `${base} Reason: ${reason}` : base;
  return { code, reason, message, transient: TRANSIENT.has(code), at };
}

/** Backoff before reconnect attempt `attempt` (0-based): 0.5 s doubling to 15 s, longer when the server is full. */
export function reconnectDelayMs(code: number, attempt: number, random: () => number = Math.random): number {
  const base = code === 1013 ? 5000 : 500;
  const capped = Math.min(15_000, base * 2 ** Math.min(attempt, 10));
  return Math.round(capped * (0.8 + 0.4 * random()));
}
