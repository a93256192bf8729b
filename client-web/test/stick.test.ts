// The touch joystick's maths and its way into the input samples (the same path as the keyboard's).

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEAD_ZONE, STICK_RADIUS, Stick, stickVector } from '../src/ui/stick';
import { BUTTON_FIRE, InputState } from '../src/ui/input';
import { sanitizeDir } from '../src/game/movement';

const R = STICK_RADIUS;

describe('joystick maths', () => {
  it('does nothing within the dead zone, rises linearly to full speed at the rim, full beyond', () => {
    expect(stickVector(100, 100, 100, 100)).toEqual({ dx: 0, dy: 0 });
    expect(stickVector(100, 100, 100 + DEAD_ZONE * R - 0.01, 100)).toEqual({ dx: 0, dy: 0 });
    const half = stickVector(0, 0, DEAD_ZONE * R + (R - DEAD_ZONE * R) / 2, 0);
    expect(half.dx).toBeCloseTo(0.5, 9);
    expect(half.dy).toBe(0);
    expect(stickVector(0, 0, 0, -R)).toEqual({ dx: 0, dy: -1 });
    const far = stickVector(0, 0, 3 * R, 4 * R);
    expect(far.dx).toBeCloseTo(0.6, 9);
    expect(far.dy).toBeCloseTo(0.8, 9);
    // Never longer than 1, in any direction, at any distance; the direction is the drag's.
    for (let a = 0; a < 2 * Math.PI; a += 0.1) {
      for (const d of [10, 30, 56, 80, 400]) {
        const v = stickVector(0, 0, Math.cos(a) * d, Math.sin(a) * d);
        expect(Math.hypot(v.dx, v.dy)).toBeLessThanOrEqual(1 + 1e-12);
        if (v.dx !== 0 || v.dy !== 0) expect(Math.atan2(v.dy, v.dx)).toBeCloseTo(Math.atan2(Math.sin(a), Math.cos(a)), 9);
      }
    }
  });

  it('floats: dragged beyond the rim its base follows, so turning back reverses at once', () => {
    const s = new Stick();
    s.start(3, 100, 500);
    expect(s).toMatchObject({ active: true, baseX: 100, baseY: 500, dx: 0, dy: 0 });
    s.move(100 + R / 2, 500);
    expect(s.baseX).toBe(100);
    expect(s.dx).toBeGreaterThan(0.3);
    s.move(400, 500); // far right: the base is dragged to one radius behind the thumb
    expect(s.baseX).toBeCloseTo(400 - R, 9);
    expect(s.dx).toBeCloseTo(1, 9);
    // Back a little past the base: already moving left, not after 300 px.
    s.move(400 - R - 30, 500);
    expect(s.dx).toBeLessThan(-0.3);
    s.end();
    expect(s).toMatchObject({ active: false, dx: 0, dy: 0 });
  });
});

describe('touch input goes through the same samples as the keyboard', () => {
  let win: EventTarget;
  beforeEach(() => {
    win = new EventTarget();
    vi.stubGlobal('window', win);
  });
  afterEach(() => vi.unstubAllGlobals());

  const setup = () => {
    const canvas = new EventTarget() as unknown as HTMLElement;
    const input = new InputState(canvas, () => ({ x: 200, y: 300 }));
    input.enabled = true;
    return input;
  };

  it('moves with the stick, aims at the touch and fires while it is held; a tap fires once', () => {
    const input = setup();
    expect(input.sample()).toEqual({ dx: 0, dy: 0, aim: 0, buttons: 0 });
    input.setStick(-0.6, 0.8);
    expect(input.sample()).toMatchObject({ dx: -0.6, dy: 0.8, buttons: 0 });
    // Touch above the player: aim up, fire.
    input.touchAim(200, 100);
    let s = input.sample();
    expect(s.aim).toBeCloseTo(-Math.PI / 2, 9);
    expect(s.buttons & BUTTON_FIRE).toBe(BUTTON_FIRE);
    expect(input.sample().buttons).toBe(BUTTON_FIRE); // held
    input.touchRelease();
    expect(input.sample().buttons).toBe(0);
    // A tap between two samples still fires, once.
    input.touchAim(300, 300);
    input.touchRelease();
    s = input.sample();
    expect(s.buttons).toBe(BUTTON_FIRE);
    expect(s.aim).toBeCloseTo(0, 9);
    expect(input.sample().buttons).toBe(0);
    // Keys and the stick add up, each axis within [-1, 1], as the server takes it.
    win.dispatchEvent(Object.assign(new Event('keydown'), { code: 'KeyD' }));
    input.setStick(0.7, -0.5);
    s = input.sample();
    expect(s).toMatchObject({ dx: 1, dy: -0.5 });
    expect(Math.hypot(sanitizeDir(s.dx, s.dy).x, sanitizeDir(s.dx, s.dy).y)).toBeLessThanOrEqual(1 + 1e-6);
    // Leaving the game lets go of everything.
    input.reset();
    expect(input.sample()).toMatchObject({ dx: 0, dy: 0, buttons: 0 });
  });

  it('ignores touches while not playing (the join form)', () => {
    const input = setup();
    input.enabled = false;
    input.touchAim(10, 10);
    expect(input.sample().buttons).toBe(0);
  });
});
