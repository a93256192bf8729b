// The join screen and the connection-status overlay (connecting, closed with code and reason, reconnecting).

import type { Connection } from '../net/connection';
import type { Session } from '../game/session';
import { MAX_NAME_CHARS, NAME_FIELD_MAXLENGTH, cutName } from '../protocol/types';
import { statusLines, type StatusLines } from './status';

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
    // The form says how long a name may be, and holds no more than the server keeps (index.html has the same
    // numbers; test/name.test.ts checks them): 16 characters as the server counts them (not the UTF-16 units
    // `maxlength` counts, which take two per emoji, hence its 32), never half an emoji.
    this.nameInput.maxLength = NAME_FIELD_MAXLENGTH;
    document.getElementById('name-limit')!.textContent = String(MAX_NAME_CHARS);
    this.nameInput.value = cutName(localStorage.getItem(NAME_KEY) ?? '');
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
    const lines = this.lines();
    this.statusTitle.textContent = lines.title;
    this.statusText.textContent = lines.text;
    this.statusRetry.textContent = lines.retry;
    this.reconnectBtn.hidden = s.phase === 'connecting';
  }

  private lines(): StatusLines {
    const at = this.connection().reconnectAt;
    return statusLines(this.session, at === null ? null : at - performance.now());
  }

  /** Updates the "reconnecting in N s" line (called every frame while closed). */
  tickCountdown(): void {
    if (this.session.phase !== 'closed') return;
    const retry = this.lines().retry;
    if (this.statusRetry.textContent !== retry) this.statusRetry.textContent = retry;
  }
}
