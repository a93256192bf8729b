// The connection-status overlay's lines (connecting, closed with code and reason, reconnecting), from the session.
// Each thing is said once: a page that never reached the server says so in the main line, and the retry line only
// adds "cannot be reached" when the main line gave another reason (the server shut down, the connection dropped).

import type { CloseInfo } from '../protocol/close';
import type { Phase } from '../game/session';

export interface StatusLines {
  title: string;
  text: string;
  retry: string;
}

export interface StatusSource {
  phase: Phase;
  resuming: boolean;
  lastClose: CloseInfo | null;
  lastAttempt: CloseInfo | null;
}

/** The overlay's title, main line and retry line; `reconnectInMs`: time to the next automatic attempt, or null. */
export function statusLines(s: StatusSource, reconnectInMs: number | null): StatusLines {
  const c = s.lastClose;
  if (s.phase === 'connecting') {
    return {
      title: s.resuming ? 'Reconnecting to your player…' : 'Connecting…',
      text: c ? `Last close: ${c.message} (code ${c.code})` : '',
      retry: '',
    };
  }
  const title = c?.code === 4001 ? 'Kicked' : c?.unreached ? 'Cannot connect' : 'Disconnected';
  const text = c ? `${c.message} (code ${c.code})` : 'The connection closed.';
  // The attempts since failed without reaching the server: worth saying unless the main line says just that.
  const failed = s.lastAttempt && !c?.unreached ? 'The server cannot be reached or is full. ' : '';
  const countdown = reconnectInMs === null ? '' : `Reconnecting in ${Math.max(0, Math.ceil(reconnectInMs / 1000))} s…`;
  return { title, text, retry: failed + countdown };
}
