// The read-only debug view behind `window.__tickwire.state()`: a plain copy of the session the renderer draws
// from (no separate bookkeeping), with wire values decoded to world units.

import type { CloseInfo } from '../protocol/close';
import { ANGLE_SCALE, POSITION_SCALE, type Arena, type EntityFields, type GameRules } from '../protocol/types';
import type { Vec2 } from './movement';
import type { DeathView } from './respawn';
import type { Phase, Session } from './session';

/** An entity with positions in world units, velocities in units per second and the angle in radians. */
export type DecodedEntity = EntityFields & { id: number };

export function decodeFields(id: number, f: Readonly<EntityFields>): DecodedEntity {
  const { x, y, angle, vx, vy, ...rest } = f;
  const out: DecodedEntity = { ...rest, id };
  if (x !== undefined) out.x = x / POSITION_SCALE;
  if (y !== undefined) out.y = y / POSITION_SCALE;
  if (angle !== undefined) out.angle = angle / ANGLE_SCALE;
  if (vx !== undefined) out.vx = vx / POSITION_SCALE;
  if (vy !== undefined) out.vy = vy / POSITION_SCALE;
  return out;
}

export interface DebugState {
  /** Joined: welcome received and the connection open. */
  connected: boolean;
  phase: Phase;
  name: string;
  /** Your entity id. */
  you: number | null;
  /** The server tick of the newest state held. */
  tick: number | null;
  /** The last input seq the server applied. */
  ack: number;
  tickRate: number;
  arena: Arena | null;
  /** The welcome's view (interest management), null when the whole arena is replicated. */
  view: number | null;
  rules: GameRules;
  /** The newest authoritative state, by entity id. */
  entities: Record<number, DecodedEntity>;
  /** Your predicted position (after every input sent). */
  predicted: Vec2 | null;
  /** Inputs sent and not yet acknowledged. */
  pending: number;
  /** Idle inputs skipped to drain a server-side backlog. */
  skippedInputs: number;
  /** Inputs held back because too many were unacknowledged. */
  heldInputs: number;
  lastCorrection: number;
  /** The (fractional) server tick the last frame drew other entities at. */
  renderTick: number | null;
  /** Where the last frame drew each entity (world units). */
  drawn: { id: number; x: number; y: number }[];
  /** The HUD's ping: the smallest round trip of the last 10 s of pings (net/ping.ts), without the server's read wait. */
  pingMs: number | null;
  /** Every ping's round trip (server read wait included), smoothed: what the input pacer uses. */
  rttMs: number | null;
  /** The newest raw round trip of a ping. */
  rttLastMs: number | null;
  lastClose: CloseInfo | null;
  /**
   * The last reconnect attempt that failed without reaching the server, since `lastClose` (a game that ended; a
   * page that never got in has its latest attempt in `lastClose`). `refusal`: what the server's /status said.
   */
  lastAttempt: CloseInfo | null;
  /** The newest closes, oldest first (a few). */
  closes: CloseInfo[];
  /** A resume token is held (the next connection would present it). */
  resumable: boolean;
  /** The current player was taken back with a resume token. */
  resumed: boolean;
  /** Successful resumes since the page loaded. */
  resumes: number;
  /** The seq the next input will carry. */
  nextSeq: number;
  /** The local player's death as the overlay shows it (killer, time to the respawn), null while alive. */
  death: DeathView | null;
  /** The respawn delay the client expects (ms), and whether it learnt it from a respawn it watched. */
  respawnDelayMs: number;
  respawnDelayLearnt: boolean;
  lastError: { code: number; message: string } | null;
}

const copyClose = (c: CloseInfo): CloseInfo => (c.refusal ? { ...c, refusal: { ...c.refusal } } : { ...c });

export function debugState(s: Session): DebugState {
  const entities: Record<number, DecodedEntity> = {};
  for (const [id, f] of s.world.entities) entities[id] = decodeFields(id, f);
  const f = s.lastFrame;
  return {
    connected: s.phase === 'joined',
    phase: s.phase,
    name: s.name,
    you: s.you,
    tick: s.world.tick,
    ack: s.world.ack,
    tickRate: s.tickRate,
    arena: s.arena,
    view: s.view,
    rules: { ...s.rules },
    entities,
    predicted: s.predictor.current && { ...s.predictor.current },
    pending: s.predictor.pending.length,
    skippedInputs: s.pacer.skipped,
    heldInputs: s.pacer.held,
    lastCorrection: s.predictor.lastCorrection,
    renderTick: f?.renderTick ?? null,
    drawn: f ? [...(f.me ? [f.me] : []), ...f.others].map((v) => ({ id: v.id, x: v.x, y: v.y })) : [],
    pingMs: s.pingMs(),
    rttMs: s.rtt.value,
    rttLastMs: s.rtt.last,
    lastClose: s.lastClose && copyClose(s.lastClose),
    lastAttempt: s.lastAttempt && copyClose(s.lastAttempt),
    closes: s.closes.map(copyClose),
    resumable: s.resumeToken !== null,
    resumed: s.resumed,
    resumes: s.resumes,
    nextSeq: s.nextInputSeq,
    death: s.deathView(),
    respawnDelayMs: s.respawn.delayMs(s.tickRate),
    respawnDelayLearnt: s.respawn.ticks !== null,
    lastError: s.lastError && { ...s.lastError },
  };
}
