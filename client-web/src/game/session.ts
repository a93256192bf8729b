// The state of one play session: everything the renderer, the HUD and the debug hook read, updated by server
// messages (in the WebSocket handler, never in the render loop) and by the input timer.

import { describeClose, refusalMessage, type CloseInfo, type Refusal } from '../protocol/close';
import { decodeServerMessage } from '../protocol/codec';
import {
  KIND_PLAYER,
  POSITION_SCALE,
  type Arena,
  type Delta,
  type EntityFields,
  type GameEvent,
  type GameRules,
  type Input,
  type ServerMessage,
  type Welcome,
} from '../protocol/types';
import { RateMeter, RttEstimator } from '../net/meter';
import { MinRtt } from '../net/ping';
import { RenderClock } from './clock';
import { MAX_HEALTH, PLAYER_RADIUS, PLAYER_SPEED, PROJECTILE_RADIUS } from './constants';
import { debugState, type DebugState } from './debug';
import { Feed, UNKNOWN_COLOUR, UNKNOWN_NAME, killLine, type FeedName } from './feed';
import { History, type EntityView } from './interpolation';
import { moveContext, type MoveContext, type Vec2 } from './movement';
import { InputPacer } from './pacing';
import { Predictor } from './prediction';
import { RespawnDelay, deathView, isDead, type Death, type DeathView } from './respawn';
import { World } from './world';

export type Phase = 'idle' | 'connecting' | 'joined' | 'closed';

/** What the player is doing right now, sampled at the tick rate. */
export interface InputSample {
  dx: number;
  dy: number;
  aim: number;
  buttons: number;
}

/** What one rendered frame shows. */
export interface RenderFrame {
  renderTick: number;
  /** Every entity but the local player, interpolated. */
  others: EntityView[];
  /** The local player at its predicted position (null when not spawned or dead: then it is in `others`). */
  me: EntityView | null;
}

/** The rules a server that sends none plays by: the constants block, which mirrors assets/rules.toml. */
export const DEFAULT_RULES: Readonly<GameRules> = Object.freeze({
  player_speed: PLAYER_SPEED,
  player_radius: PLAYER_RADIUS,
  projectile_radius: PROJECTILE_RADIUS,
  max_health: MAX_HEALTH,
});

/** Closes remembered for the debug hook. */
const CLOSE_LOG_LEN = 8;
/** How many players that left the state (out of view, or gone) keep their name for the kill feed. */
const NAME_MEMORY = 512;

interface Known {
  name: string;
  colour: number;
}

export class Session {
  phase: Phase = 'idle';
  name = '';
  you: number | null = null;
  tickRate = 20;
  arena: Arena | null = null;
  /**
   * Interest management (the welcome's `view`): the half-size in world units of the square around the own player
   * inside which every entity is replicated; the camera follows the player and shows no more than that. Null: the
   * whole arena is replicated (and fitted on screen).
   */
  view: number | null = null;
  /** The server's rules (from the welcome) or the client's own constants. */
  rules: Readonly<GameRules> = DEFAULT_RULES;
  ctx: MoveContext | null = null;
  readonly world = new World();
  readonly history = new History();
  readonly predictor = new Predictor();
  readonly pacer = new InputPacer();
  readonly clock = new RenderClock(20);
  readonly feed = new Feed();
  /** The server's respawn delay, learnt from the respawns seen (game/respawn.ts). */
  readonly respawn = new RespawnDelay();
  /** The local player's death while it lasts (for the death overlay), null while alive. */
  death: Death | null = null;
  /** When the local player last came back from a death (ms), for the renderer's "here you are" ring. */
  respawnedAtMs: number | null = null;
  /** Every ping's round trip, smoothed (what the input pacer allows for in flight). */
  readonly rtt = new RttEstimator();
  /** The HUD's ping: the smallest round trip of recent pings sent after the welcome (net/ping.ts). */
  readonly ping = new MinRtt();
  /** When this connection's welcome arrived (ms), null before it: pings sent earlier are not the HUD's. */
  private welcomedAt: number | null = null;
  readonly inBytes = new RateMeter();
  /** The latest tick the server reported in a pong. */
  serverTick: number | null = null;
  /** Why the game last ended: the server's close, kept while reconnect attempts fail without reaching it. */
  lastClose: CloseInfo | null = null;
  /**
   * The last reconnect attempt that could not reach the server (no close frame), since `lastClose` when that is a
   * game that ended (a page that never got in keeps its latest attempt in `lastClose`).
   */
  lastAttempt: CloseInfo | null = null;
  /** The newest closes, oldest first (at most CLOSE_LOG_LEN), for the debug hook. */
  readonly closes: CloseInfo[] = [];
  /**
   * The latest resume token from a welcome, kept while it may still be good (the last close left the player held
   * or the connection is live); memory only (see README). The next connection presents it.
   */
  resumeToken: Uint8Array | null = null;
  /** This connection presented a resume token in its hello. */
  resuming = false;
  /** The current player was taken back with a resume token (rather than joined fresh). */
  resumed = false;
  /** Successful resumes since the page loaded. */
  resumes = 0;
  lastError: { code: number; message: string } | null = null;
  maxHealth = MAX_HEALTH;
  lastFrame: RenderFrame | null = null;
  /** Called when the tick rate changes (welcome or event), to reschedule the input timer. */
  onTickRate: ((hz: number) => void) | null = null;
  private nextSeq = 1;
  private lastAim = 0;
  /**
   * Names and colours of players no longer in the state (despawned: out of view with interest management, or
   * gone), newest last, at most NAME_MEMORY, for kill events that name them. Entity ids are not reused within a
   * server run; a fresh join (possibly to another run) forgets them.
   */
  private readonly known = new Map<number, Known>();
  private lastFrameMs: number | null = null;

  /**
   * Starts a new connection: per-connection state is forgotten, the last close is kept for the screen. With
   * `resuming` (the hello presents the resume token) the input seq keeps counting up: the server remembers the
   * last seq it applied for the player and ignores replayed ones. A fresh join starts again at 1.
   */
  beginConnecting(name: string, resuming = false): void {
    this.phase = 'connecting';
    this.name = name;
    this.resuming = resuming;
    this.resumed = false;
    this.you = null;
    this.arena = null;
    this.view = null;
    this.ctx = null;
    this.world.clear();
    this.history.clear();
    this.predictor.reset(null);
    this.pacer.reset();
    this.clock.reset();
    this.rtt.reset();
    this.ping.reset();
    this.welcomedAt = null;
    this.lastError = null;
    this.lastFrame = null;
    this.death = null;
    this.respawnedAtMs = null;
    this.respawn.resync();
    if (!resuming) {
      this.nextSeq = 1;
      this.known.clear();
      // Maybe another server run, with other rules.
      this.respawn.ticks = null;
    }
  }

  /** The seq the next input will carry. */
  get nextInputSeq(): number {
    return this.nextSeq;
  }

  /** Forgets the resume token (the server no longer holds the player, or it must not be taken back). */
  forgetResume(): void {
    this.resumeToken = null;
  }

  /** Decodes and applies one binary frame; returns what it was. */
  receive(data: ArrayBuffer, nowMs: number): ServerMessage {
    this.inBytes.add(nowMs, data.byteLength);
    const msg = decodeServerMessage(data);
    this.handle(msg, nowMs);
    return msg;
  }

  handle(msg: ServerMessage, nowMs: number): void {
    switch (msg.type) {
      case 'welcome':
        this.welcomedAt = nowMs;
        return this.onWelcome(msg);
      case 'snapshot': {
        const before = this.world.entities;
        this.world.applySnapshot(msg);
        for (const id of before.keys()) if (!this.world.entities.has(id)) this.remember(id, before);
        this.respawn.resync();
        return this.afterState(nowMs);
      }
      case 'delta': {
        // A despawn is a disappearance, not a death: with interest management the entity only left the view and
        // may spawn again later (same id, anywhere). The world drops it; the history keeps it in the frames up to
        // its last tick, so it is drawn until the render tick passes that and then simply no longer (no effect).
        const before = this.world.entities;
        this.world.applyDelta(msg);
        for (const id of msg.despawns) this.remember(id, before);
        this.respawn.observe(msg, before, this.world.entities);
        this.afterState(nowMs);
        return this.onEvents(msg, nowMs);
      }
      case 'pong': {
        const rtt = Math.max(0, nowMs - msg.client_time);
        this.rtt.add(rtt);
        // A ping sent before the welcome was answered only after it (after the join's work on both sides).
        if (this.welcomedAt !== null && msg.client_time > this.welcomedAt) this.ping.add(nowMs, rtt);
        this.serverTick = msg.server_tick;
        return;
      }
      case 'error':
        this.lastError = { code: msg.code, message: msg.message };
        return;
    }
  }

  private onWelcome(w: Welcome): void {
    this.phase = 'joined';
    this.you = w.you;
    this.arena = w.arena;
    this.view = w.view ?? null;
    this.rules = w.rules ?? DEFAULT_RULES;
    this.maxHealth = Math.max(1, this.rules.max_health);
    this.lastClose = null;
    this.lastAttempt = null;
    // Always keep the newest token: the server replaces the old one with every welcome.
    this.resumeToken = w.resume ?? null;
    this.resumed = this.resuming;
    if (this.resumed) this.resumes++;
    this.setTickRate(w.tick_rate);
  }

  private setTickRate(hz: number): void {
    if (hz <= 0) return;
    this.tickRate = hz;
    this.clock.setTickRate(hz);
    if (this.arena) this.ctx = moveContext(this.arena, hz, this.rules);
    this.onTickRate?.(hz);
  }

  private afterState(nowMs: number): void {
    const tick = this.world.tick!;
    // After a resume the server's ack may be ahead of what this connection sent (a reloaded page, inputs of the
    // old connection): continue above both, or the server would ignore the inputs as replays.
    this.nextSeq = Math.max(this.nextSeq, this.world.ack + 1);
    this.history.push(tick, this.world.entities);
    this.clock.onTick(tick, nowMs);
    for (const f of this.world.entities.values()) {
      if (f.health !== undefined && f.health > this.maxHealth) this.maxHealth = f.health;
    }
    const me = this.you === null ? undefined : this.world.entities.get(this.you);
    this.trackDeath(me, tick, nowMs);
    if (!me || !this.ctx) return this.predictor.reset(null);
    this.ctx.others = this.otherPlayers();
    const serverPos: Vec2 = { x: (me.x ?? 0) / POSITION_SCALE, y: (me.y ?? 0) / POSITION_SCALE };
    if (isDead(me)) return this.predictor.reset(serverPos);
    this.predictor.reconcile(this.world.ack, serverPos, this.ctx);
  }

  /** The local player died (its dead flag arrived now) or came back. */
  private trackDeath(me: Readonly<EntityFields> | undefined, tick: number, nowMs: number): void {
    if (!me) return;
    if (isDead(me)) {
      this.death ??= { atMs: nowMs, tick, killer: null };
    } else if (this.death) {
      this.death = null;
      this.respawnedAtMs = nowMs;
    }
  }

  /** What the death overlay shows at `nowMs`: null while the local player is alive (or not joined). */
  deathView(nowMs: number = performance.now()): DeathView | null {
    if (this.phase !== 'joined' || !this.death) return null;
    return deathView(this.death, nowMs, this.respawn, this.tickRate);
  }

  /** Where the other living players are in the newest state (for the collision approximation). */
  private otherPlayers(): Vec2[] {
    const out: Vec2[] = [];
    for (const [id, f] of this.world.entities) {
      if (id === this.you || f.kind !== KIND_PLAYER || isDead(f) || f.x === undefined || f.y === undefined) continue;
      out.push({ x: f.x / POSITION_SCALE, y: f.y / POSITION_SCALE });
    }
    return out;
  }

  private onEvents(d: Delta, nowMs: number): void {
    for (const e of d.events) this.onEvent(e, nowMs);
  }

  /** Keeps the name of player `id`, held in `from`, that is leaving the state. */
  private remember(id: number, from: ReadonlyMap<number, Readonly<EntityFields>>): void {
    const f = from.get(id);
    if (f?.kind !== KIND_PLAYER || f.name === undefined) return;
    this.known.delete(id);
    this.known.set(id, { name: f.name, colour: f.colour ?? UNKNOWN_COLOUR });
    if (this.known.size > NAME_MEMORY) this.known.delete(this.known.keys().next().value!);
  }

  /**
   * The name and colour of entity `id` for the kill feed: held now, held a moment ago, or remembered since it
   * left; null for one never held (with interest management a kill may name far-away entities). The local player
   * is always known: its own name while it is not held (before the first state after a resume).
   */
  private who(id: number): FeedName | null {
    const f = this.world.entities.get(id) ?? this.history.oldest?.entities.get(id);
    const k = f?.name === undefined ? this.known.get(id) : undefined;
    const name = f?.name ?? k?.name ?? (id === this.you && this.name !== '' ? this.name : undefined);
    return name === undefined ? null : { id, name, colour: f?.colour ?? k?.colour ?? UNKNOWN_COLOUR };
  }

  private onEvent(e: GameEvent, nowMs: number): void {
    switch (e.type) {
      case 'kill': {
        const killer = this.who(e.killer);
        // The kill comes in the delta whose state shows the local player dead: the death is known by now.
        if (e.victim === this.you && this.death && !this.death.killer) {
          this.death.killer = killer ?? { id: e.killer, name: UNKNOWN_NAME, colour: UNKNOWN_COLOUR };
        }
        // Far-away kills between players never held are left out (game/feed.ts killLine).
        const line = killLine(e.killer, killer, e.victim, this.who(e.victim), this.you, nowMs);
        if (line) this.feed.addKill(line);
        return;
      }
      case 'say':
        return this.feed.addSay(e.text, nowMs);
      case 'tick_rate':
        return this.setTickRate(e.hz);
    }
  }

  /** Whether the local player is on the field (spawned and alive). */
  get alive(): boolean {
    if (this.you === null) return false;
    const me = this.world.entities.get(this.you);
    return me !== undefined && !isDead(me);
  }

  /**
   * Builds the input to send now and predicts it; null when not joined or when the pacer holds this one back
   * (too many inputs waiting for acknowledgement, see pacing.ts). `scheduledMs` is when the input timer meant
   * to fire (its drift-free schedule), which places the predicted step for drawing.
   */
  makeInput(sample: InputSample, nowMs: number, scheduledMs = nowMs): Input | null {
    if (this.phase !== 'joined' || !this.ctx || this.world.tick === null) return null;
    const tickMs = 1000 / this.tickRate;
    const idle = sample.dx === 0 && sample.dy === 0 && sample.buttons === 0;
    if (!this.pacer.shouldSend(this.predictor.pending.length, this.rtt.value ?? 0, tickMs, nowMs, idle)) return null;
    const input: Input = { type: 'input', seq: this.nextSeq++, ...sample };
    this.lastAim = sample.aim;
    if (this.alive && this.predictor.current) {
      this.predictor.applyLocal({ seq: input.seq, dx: input.dx, dy: input.dy }, scheduledMs, this.ctx);
    }
    return input;
  }

  /** Computes what to draw at `nowMs` (once per animation frame). */
  frame(nowMs: number): RenderFrame | null {
    const newest = this.history.newest;
    const oldest = this.history.oldest;
    if (!newest || !oldest || !this.ctx) return (this.lastFrame = null);
    const renderTick = this.clock.advance(nowMs, oldest.tick, newest.tick);
    if (this.lastFrameMs !== null) this.predictor.decay(nowMs - this.lastFrameMs);
    this.lastFrameMs = nowMs;
    let others = this.history.sample(renderTick, this.tickRate);
    let me: EntityView | null = null;
    const myFields = this.you === null ? undefined : this.world.entities.get(this.you);
    const pos = this.predictor.drawPosition(nowMs, this.ctx);
    if (myFields && !isDead(myFields) && pos && this.you !== null) {
      me = { id: this.you, x: pos.x, y: pos.y, angle: this.lastAim, fields: myFields };
      others = others.filter((v) => v.id !== this.you);
    }
    return (this.lastFrame = { renderTick, others, me });
  }

  /** The HUD's ping at `nowMs` (ms): the network path's round trip, null before the first pong after the welcome. */
  pingMs(nowMs: number = performance.now()): number | null {
    return this.ping.value(nowMs);
  }

  /** The connection closed: remember why, for the screen and the debug hook. */
  closed(code: number, reason: string): CloseInfo {
    const useError = !reason && this.lastError && this.lastError.code === code;
    let info = describeClose(code, useError ? this.lastError!.message : reason);
    // 1006 while connecting: the socket never opened (or closed before the welcome). A browser is not shown why
    // (a refused connection, an HTTP 503 from a full server and a 403 for a foreign origin all look alike): the
    // connection asks the server's /status and explains it with `explainRefusal`.
    if (code === 1006 && this.phase === 'connecting') {
      info = { ...info, message: 'Could not connect. Asking the server why…', unreached: true };
    }
    // A reconnect attempt that never reached the server (1006 before any welcome) does not replace the reason
    // the game ended: "the server is shutting down" stays on the screen while the retries fail. A page that never
    // got in shows its latest attempt (the server that was full may be down now).
    if (code === 1006 && this.phase === 'connecting' && this.lastClose !== null && !this.lastClose.unreached) {
      this.lastAttempt = info;
    } else {
      this.lastClose = info;
      this.lastAttempt = null;
    }
    this.closes.push(info);
    if (this.closes.length > CLOSE_LOG_LEN) this.closes.shift();
    this.phase = 'closed';
    // Only a close that leaves the player held keeps the token worth presenting.
    if (info.reconnect !== 'resume') this.forgetResume();
    return info;
  }

  /**
   * The server's /status explained why the unreached connection `info` failed: its message says so now. Returns the
   * explained close, or null when `info` is no longer the state shown (a newer attempt, a welcome, a manual
   * reconnect came first): a late answer changes nothing.
   */
  explainRefusal(info: CloseInfo, refusal: Refusal): CloseInfo | null {
    if (this.phase !== 'closed' || !info.unreached) return null;
    if (info !== this.lastClose && info !== this.lastAttempt) return null;
    const explained: CloseInfo = { ...info, refusal, message: refusalMessage(refusal) };
    if (this.lastClose === info) this.lastClose = explained;
    else this.lastAttempt = explained;
    const i = this.closes.lastIndexOf(info);
    if (i >= 0) this.closes[i] = explained;
    return explained;
  }

  /** A read-only copy of the state for tests and debugging (`window.__tickwire.state()`). */
  debugState(): DebugState {
    return debugState(this);
  }
}
