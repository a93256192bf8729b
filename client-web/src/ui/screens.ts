// The join screen and the connection-status overlay (connecting, closed with code and reason, reconnecting).

import type { Connection } from '../net/connection';
import type { Session } from '../game/session';
import { cutName } from '../protocol/types';

const NAME_KEY = 'tickwire.name';

export class Screens {
  private readonly join = document.getElementById('join') as HTMLFormElement;
  private readonly nameInput = document.getElementById('name') as HTMLInputElement;
  private readonly status = document.getElementById('status') as HTMLElement;
  private readonly statusTitle = document.getElementById('status-title') as HTMLElement;
  private readonly statusText = document.getElementById('status-text') as HTMLElement;
  private readonly statusRetry = document.getElementById('status-retry') as HTMLElement;
  private readonly reconnectBtn = document.getElementById('reconnect') as HTMLButtonElement;
  private readonly changeNameBtn = document.getElementById('change-name') as HTMLButtonElement;

  constructor(
    private readonly session: Session,
    private readonly connection: () => Connection,
    private readonly onPlaying: (playing: boolean) => void,
  ) {
    this.nameInput.value = cutName(localStorage.getItem(NAME_KEY) ?? '');
    // The field holds no more than the server keeps: 16 characters as the server counts them (not the UTF-16
    // units `maxlength` counts, which take two per emoji), never half an emoji.
    this.nameInput.addEventListener('input', () => {
      const cut = cutName(this.nameInput.value);
      if (cut !== this.nameInput.value.trimStart()) this.nameInput.value = cut;
    });
    this.join.addEventListener('submit', (e) => {
      e.preventDefault();
      const name = cutName(this.nameInput.value).trim() || 'player';
      localStorage.setItem(NAME_KEY, name);
      this.connection().connect(name);
    });
    this.reconnectBtn.addEventListener('click', () => this.connection().connect(this.session.name));
    this.changeNameBtn.addEventListener('click', () => {
      this.connection().disconnect();
      this.showJoin();
    });
    this.showJoin();
  }

  private showJoin(): void {
    this.join.hidden = false;
    this.status.hidden = true;
    this.onPlaying(false);
    this.nameInput.focus();
  }

  /** Shows the right screen for the session's phase. */
  refresh(): void {
    const s = this.session;
    if (s.phase === 'idle') return this.showJoin();
    this.join.hidden = true;
    this.onPlaying(s.phase === 'joined');
    if (s.phase === 'joined') {
      this.status.hidden = true;
      document.body.classList.remove('offline');
      return;
    }
    this.status.hidden = false;
    document.body.classList.add('offline');
    if (s.phase === 'connecting') {
      this.statusTitle.textContent = s.resuming ? 'Reconnecting to your player…' : 'Connecting…';
      this.statusText.textContent = s.lastClose ? `Last close: ${s.lastClose.message} (code ${s.lastClose.code})` : '';
      this.reconnectBtn.hidden = true;
      this.statusRetry.textContent = '';
      return;
    }
    const c = s.lastClose;
    this.statusTitle.textContent = c?.code === 4001 ? 'Kicked' : 'Disconnected';
    this.statusText.textContent = c ? `${c.message} (code ${c.code})` : 'The connection closed.';
    this.reconnectBtn.hidden = false;
    this.tickCountdown();
  }

  /** Updates the "reconnecting in N s" line (called every frame while closed). */
  tickCountdown(): void {
    if (this.session.phase !== 'closed') return;
    const at = this.connection().reconnectAt;
    const failed = this.session.lastAttempt ? 'The server cannot be reached or is full. ' : '';
    this.statusRetry.textContent =
      failed + (at === null ? '' : `Reconnecting in ${Math.max(0, Math.ceil((at - performance.now()) / 1000))} s…`);
  }
}
