// The connection-status overlay's lines (connecting, closed with code and reason, reconnecting), from the session.
// Each thing is said once: a page that never reached the server says why in the main line (full, shutting down,
// cannot be reached, refused this page: what the server's /status told it, net/probe.ts), and the retry line only
// adds that when the main line gave another reason (the server shut down, the connection dropped).

import { refusalMessage, type CloseInfo } from '../protocol/close';
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

/** A close as the overlay says it: a connection that never opened by what the server said, else with its code. */
function said(c: CloseInfo): string {
  return c.unreached ? c.message : `${c.message} (code ${c.code})`;
}

function title(c: CloseInfo | null): string {
  if (c?.code === 4001) return 'Kicked';
  if (!c?.unreached) return 'Disconnected';
  switch (c.refusal?.kind) {
    case 'full':
      return 'Server full';
    case 'shutting_down':
      return 'Server shutting down';
    default:
      return 'Cannot connect';
  }
}

/** The overlay's title, main line and retry line; `reconnectInMs`: time to the next automatic attempt, or null. */
export function statusLines(s: StatusSource, reconnectInMs: number | null): StatusLines {
  const c = s.lastClose;
  if (s.phase === 'connecting') {
    return {
      title: s.resuming ? 'Reconnecting to your player…' : 'Connecting…',
      text: c ? `Last close: ${said(c)}` : '',
      retry: '',
    };
  }
  const text = c ? said(c) : 'The connection closed.';
  // The attempts since failed without reaching the server: worth saying why unless the main line says just that.
  const why = s.lastAttempt?.refusal && !c?.unreached ? `${refusalMessage(s.lastAttempt.refusal)} ` : '';
  const seconds = reconnectInMs === null ? 0 : Math.max(0, Math.ceil(reconnectInMs / 1000));
  // A page that never got in tries again; one that played reconnects.
  const countdown = reconnectInMs === null ? '' : c?.unreached ? `Trying again in ${seconds} s.` : `Reconnecting in ${seconds} s…`;
  return { title: title(c), text, retry: why + countdown };
}
