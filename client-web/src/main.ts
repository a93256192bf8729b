// Entry point: wires the session, the connection, input, the renderer and the HUD, runs the render loop, and
// exposes the read-only debug hook `window.__tickwire`.

import './style.css';
import type { DebugState } from './game/debug';
import { Session } from './game/session';
import { Connection } from './net/connection';
import { RateMeter } from './net/meter';
import type { InputTimingState } from './net/timing';
import { Renderer, type CameraState, type LabelState } from './render/renderer';
import { DeathOverlay } from './ui/death';
import { Hud } from './ui/hud';
import { InputState } from './ui/input';
import { Screens } from './ui/screens';
import { TouchControls, touchFirst } from './ui/touch';

declare global {
  interface Window {
    /** Read-only view of the client's state, for end-to-end tests and debugging. */
    __tickwire?: {
      /** The session's state, and the input timing (null before the first welcome). */
      state(): DebugState & { inputTiming: InputTimingState | null };
      fps(): number;
      camera(): CameraState;
      /** The players' name labels as the last frame laid them out. */
      labels(): LabelState[];
    };
  }
}

const canvas = document.getElementById('arena') as HTMLCanvasElement;
const session = new Session();
const renderer = new Renderer(canvas);
const input = new InputState(canvas, () => renderer.myScreenPos);
// Phones and tablets: a joystick and touch-to-aim-and-fire, into the same input state (ui/touch.ts).
document.body.classList.toggle('touch', touchFirst());
const touch = new TouchControls(canvas, input, document.getElementById('stick')!, document.getElementById('stick-knob')!);
const connection: Connection = new Connection(session, {
  onStatus: () => screens.refresh(),
  sampleInput: () => input.sample(),
});
const screens: Screens = new Screens(session, () => connection, (playing) => {
  input.enabled = playing;
  if (!playing) {
    input.reset();
    touch.reset();
  }
  document.body.classList.toggle('playing', playing);
});
const hud = new Hud(
  document.getElementById('stats')!,
  document.getElementById('scoreboard')!,
  document.getElementById('killfeed')!,
  document.getElementById('says')!,
);
const death = new DeathOverlay(document.getElementById('death')!);
const frames = new RateMeter();

window.__tickwire = Object.freeze({
  // The same Session object the renderer draws from; a fresh plain copy on every call.
  state: () => ({ ...session.debugState(), inputTiming: connection.timing?.debugState() ?? null }),
  fps: () => frames.rate(performance.now()),
  // What the last frame showed: follow or fit, scale, the visible world rectangle, the local player on screen.
  camera: () => renderer.cameraState(),
  labels: () => renderer.labelState(),
});

function loop(now: number): void {
  frames.add(now);
  const frame = session.frame(now);
  // The camera keeps the arena's edges out from under the HUD's panels as the last frame laid them out (measured
  // before the HUD changes anything this frame, so no extra layout is forced).
  renderer.draw(session, frame, hud.insetPanels(), now);
  hud.seeThrough(renderer.marks(), now);
  hud.update(session, now, frames.rate(now));
  death.update(session, now);
  screens.tickCountdown();
  requestAnimationFrame(loop);
}
requestAnimationFrame(loop);
