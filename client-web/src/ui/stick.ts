// The virtual joystick's maths (no DOM): a thumb puts it down where it touches, and how far and which way it is
// dragged from there is the movement direction, as the keyboard's dx/dy (an analogue vector; the server clamps
// each axis to [-1, 1] and normalises longer vectors).
//
// - Within DEAD_ZONE of the radius nothing moves (a resting thumb wobbles); from there to the rim the speed rises
//   linearly to full; beyond the rim it is full speed.
// - The stick floats: dragged beyond the rim, its base follows the thumb (stays one radius behind it), so turning
//   back moves the other way at once instead of after crossing the whole way back.

/** The joystick's radius in CSS pixels: the knob's travel, and the drag that gives full speed. */
export const STICK_RADIUS = 56;
/** The dead zone, as a fraction of the radius. */
export const DEAD_ZONE = 0.15;

export interface StickVector {
  /** The movement direction, |(dx, dy)| ≤ 1. */
  dx: number;
  dy: number;
}

/** The direction for a thumb at (x, y) on a stick whose base is at (ox, oy). */
export function stickVector(ox: number, oy: number, x: number, y: number, radius = STICK_RADIUS, dead = DEAD_ZONE): StickVector {
  const vx = x - ox;
  const vy = y - oy;
  const len = Math.hypot(vx, vy);
  const rest = dead * radius;
  if (len <= rest) return { dx: 0, dy: 0 };
  const mag = Math.min(1, (len - rest) / (radius - rest));
  return { dx: (vx / len) * mag, dy: (vy / len) * mag };
}

/** One thumb's joystick: its base, its knob and its direction. */
export class Stick {
  /** The touch that holds it (null: up). */
  id: number | null = null;
  baseX = 0;
  baseY = 0;
  knobX = 0;
  knobY = 0;
  dx = 0;
  dy = 0;

  constructor(readonly radius = STICK_RADIUS) {}

  get active(): boolean {
    return this.id !== null;
  }

  /** The thumb `id` touched down at (x, y): the base goes there. */
  start(id: number, x: number, y: number): void {
    this.id = id;
    this.baseX = this.knobX = x;
    this.baseY = this.knobY = y;
    this.dx = this.dy = 0;
  }

  /** The thumb moved to (x, y). */
  move(x: number, y: number): void {
    const vx = x - this.baseX;
    const vy = y - this.baseY;
    const len = Math.hypot(vx, vy);
    if (len > this.radius) {
      // Beyond the rim: the base follows, one radius behind the thumb.
      this.baseX = x - (vx / len) * this.radius;
      this.baseY = y - (vy / len) * this.radius;
    }
    this.knobX = x;
    this.knobY = y;
    const v = stickVector(this.baseX, this.baseY, x, y, this.radius);
    this.dx = v.dx;
    this.dy = v.dy;
  }

  end(): void {
    this.id = null;
    this.dx = this.dy = 0;
  }
}
