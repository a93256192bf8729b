// The death overlay: while the local player is dead, who killed it and a countdown to its respawn (the server keeps
// a dead player out for its respawn delay and ignores its input meanwhile). It goes away when the player is back.
// Plain DOM over the canvas, never in the way of input (pointer-events: none).

import type { Session } from '../game/session';
import { countdownText } from '../game/respawn';
import { colourCss } from '../render/colours';

export class DeathOverlay {
  private readonly who: HTMLElement;
  private readonly countdown: HTMLElement;
  private readonly bar: HTMLElement;
  private shownKiller = '';

  constructor(private readonly root: HTMLElement) {
    this.who = root.querySelector('.killed')!;
    this.countdown = root.querySelector('.countdown')!;
    this.bar = root.querySelector('.bar > div')!;
  }

  /** Once per animation frame. */
  update(session: Session, nowMs: number): void {
    const v = session.deathView(nowMs);
    if (!v) {
      if (!this.root.hidden) this.root.hidden = true;
      this.shownKiller = '';
      return;
    }
    const k = v.killer;
    const key = k ? `${k.id}:${k.name}` : '-';
    if (key !== this.shownKiller) {
      this.shownKiller = key;
      if (!k) this.who.replaceChildren('You died');
      else if (k.id === session.you) this.who.replaceChildren('You shot yourself');
      else {
        const name = document.createElement('span');
        name.className = 'who';
        name.textContent = k.name;
        name.style.color = colourCss(k.colour);
        this.who.replaceChildren('Killed by ', name);
      }
    }
    const text = countdownText(v.remainingMs);
    if (this.countdown.textContent !== text) this.countdown.textContent = text;
    this.bar.style.transform = `scaleX(${v.delayMs > 0 ? v.remainingMs / v.delayMs : 0})`;
    if (this.root.hidden) this.root.hidden = false;
  }
}
