// Keyboard and mouse: WASD/arrows to move, the mouse to aim, click or space to fire (buttons bit 0). Touch
// controls (ui/touch.ts) feed the same state: a joystick's direction (`setStick`) and a touch that aims and fires
// (`touchAim`, `touchRelease`). One sample per tick goes to the server, whatever the source.

import type { InputSample } from '../game/session';

const LEFT = new Set(['KeyA', 'ArrowLeft']);
const RIGHT = new Set(['KeyD', 'ArrowRight']);
const UP = new Set(['KeyW', 'ArrowUp']);
const DOWN = new Set(['KeyS', 'ArrowDown']);
const FIRE = new Set(['Space']);
const GAME_KEYS = new Set([...LEFT, ...RIGHT, ...UP, ...DOWN, ...FIRE]);

export const BUTTON_FIRE = 0b1;

export class InputState {
  private keys = new Set<string>();
  private mouseDown = false;
  /** A press since the last sample, so a click shorter than a tick still fires. */
  private fireLatched = false;
  private mouse: { x: number; y: number } | null = null;
  /** The touch joystick's direction, and whether a touch is aiming (and firing). */
  private stickX = 0;
  private stickY = 0;
  private touchFire = false;
  private lastAim = 0;
  /** Enabled while playing; keys typed into the join form are not game input. */
  enabled = false;

  constructor(
    target: HTMLElement,
    /** Where the local player is on screen (CSS pixels), for the aim angle. */
    private readonly playerOnScreen: () => { x: number; y: number } | null,
  ) {
    window.addEventListener('keydown', (e) => {
      if (!this.enabled || !GAME_KEYS.has(e.code)) return;
      e.preventDefault();
      this.keys.add(e.code);
      if (FIRE.has(e.code)) this.fireLatched = true;
    });
    window.addEventListener('keyup', (e) => {
      this.keys.delete(e.code);
    });
    window.addEventListener('blur', () => {
      this.keys.clear();
      this.mouseDown = false;
      this.touchFire = false;
    });
    target.addEventListener('mousemove', (e) => {
      this.mouse = { x: e.clientX, y: e.clientY };
    });
    target.addEventListener('mousedown', (e) => {
      if (!this.enabled || e.button !== 0) return;
      e.preventDefault();
      this.mouse = { x: e.clientX, y: e.clientY };
      this.mouseDown = true;
      this.fireLatched = true;
    });
    window.addEventListener('mouseup', (e) => {
      if (e.button === 0) this.mouseDown = false;
    });
    target.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  private held(set: Set<string>): boolean {
    for (const k of set) if (this.keys.has(k)) return true;
    return false;
  }

  /** The touch joystick's direction (|(dx, dy)| ≤ 1; 0, 0 when the thumb is up). */
  setStick(dx: number, dy: number): void {
    this.stickX = dx;
    this.stickY = dy;
  }

  /** A touch aims at (x, y) (CSS pixels) and fires while it is held; a tap shorter than a tick still fires. */
  touchAim(x: number, y: number): void {
    if (!this.enabled) return;
    this.mouse = { x, y };
    if (!this.touchFire) this.fireLatched = true;
    this.touchFire = true;
  }

  /** The aiming touch let go. */
  touchRelease(): void {
    this.touchFire = false;
  }

  /** The input to send this tick. */
  sample(): InputSample {
    // Keys and the joystick add up (each axis within [-1, 1]; the server normalises a longer vector).
    const clamp = (v: number) => Math.max(-1, Math.min(1, v));
    const dx = clamp((this.held(RIGHT) ? 1 : 0) - (this.held(LEFT) ? 1 : 0) + this.stickX);
    const dy = clamp((this.held(DOWN) ? 1 : 0) - (this.held(UP) ? 1 : 0) + this.stickY);
    const fire = this.enabled && (this.mouseDown || this.held(FIRE) || this.fireLatched || this.touchFire);
    this.fireLatched = false;
    return { dx, dy, aim: this.aim(), buttons: fire ? BUTTON_FIRE : 0 };
  }

  /** atan2 from the player's screen position to the mouse; the last value while either is unknown. */
  aim(): number {
    const p = this.playerOnScreen();
    if (p && this.mouse && (this.mouse.x !== p.x || this.mouse.y !== p.y)) {
      this.lastAim = Math.atan2(this.mouse.y - p.y, this.mouse.x - p.x);
    }
    return this.lastAim;
  }

  reset(): void {
    this.keys.clear();
    this.mouseDown = false;
    this.fireLatched = false;
    this.stickX = this.stickY = 0;
    this.touchFire = false;
  }
}
