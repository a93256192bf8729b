// Touch controls (phones, tablets): a floating joystick for the left thumb, anywhere on the left half of the
// screen, moves the player; a touch on the right half aims at the touched point and fires while held (a tap fires
// once). Both feed the same input path as the keyboard and mouse (ui/input.ts `InputState`), which samples them at
// the tick rate. The joystick is drawn as two DOM circles: where the base is and where the thumb is; at rest a
// faint one bottom left shows where it is used.

import { Stick } from './stick';
import type { InputState } from './input';

/** Whether this is a touch-first device (a phone or tablet: the primary pointer is coarse). */
export function touchFirst(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
}

export class TouchControls {
  readonly stick = new Stick();
  /** The touch that aims and fires (null: none). */
  private aimId: number | null = null;

  constructor(
    target: HTMLElement,
    private readonly input: InputState,
    private readonly base: HTMLElement,
    private readonly knob: HTMLElement,
  ) {
    const opts = { passive: false } as const;
    target.addEventListener('touchstart', (e) => this.onStart(e), opts);
    target.addEventListener('touchmove', (e) => this.onMove(e), opts);
    target.addEventListener('touchend', (e) => this.onEnd(e), opts);
    target.addEventListener('touchcancel', (e) => this.onEnd(e), opts);
  }

  private onStart(e: TouchEvent): void {
    // A touch is a touch device, whatever the media query said (a laptop's touch screen).
    document.body.classList.add('touch');
    if (!this.input.enabled) return;
    // No emulated mouse events, no scrolling or zooming.
    e.preventDefault();
    for (const t of Array.from(e.changedTouches)) {
      if (t.clientX < window.innerWidth / 2 && !this.stick.active) {
        this.stick.start(t.identifier, t.clientX, t.clientY);
        this.input.setStick(0, 0);
      } else if (this.aimId === null) {
        this.aimId = t.identifier;
        this.input.touchAim(t.clientX, t.clientY);
      }
    }
    this.show();
  }

  private onMove(e: TouchEvent): void {
    if (!this.input.enabled) return;
    e.preventDefault();
    for (const t of Array.from(e.changedTouches)) {
      if (t.identifier === this.stick.id) {
        this.stick.move(t.clientX, t.clientY);
        this.input.setStick(this.stick.dx, this.stick.dy);
      } else if (t.identifier === this.aimId) {
        this.input.touchAim(t.clientX, t.clientY);
      }
    }
    this.show();
  }

  private onEnd(e: TouchEvent): void {
    if (this.input.enabled) e.preventDefault();
    for (const t of Array.from(e.changedTouches)) {
      if (t.identifier === this.stick.id) {
        this.stick.end();
        this.input.setStick(0, 0);
      } else if (t.identifier === this.aimId) {
        this.aimId = null;
        this.input.touchRelease();
      }
    }
    this.show();
  }

  /** Lets go of everything (leaving the game, a lost focus). */
  reset(): void {
    this.stick.end();
    this.aimId = null;
    this.show();
  }

  /** Draws the joystick where the thumb holds it, or its resting place. */
  private show(): void {
    const s = this.stick;
    this.base.classList.toggle('active', s.active);
    this.knob.classList.toggle('active', s.active);
    if (s.active) {
      this.base.style.transform = `translate(${s.baseX}px, ${s.baseY}px)`;
      this.knob.style.transform = `translate(${s.knobX}px, ${s.knobY}px)`;
    } else {
      this.base.style.transform = '';
      this.knob.style.transform = '';
    }
  }
}
