// Draws one frame on the 2D canvas: the arena and its walls, projectiles, objects and players (colour, health bar,
// aim), then the players' names on top, laid out so that they do not overlap (render/labels.ts). Everything else
// (HUD, scoreboard, feeds) is DOM, see ui/hud.ts; its panels' rectangles come in every frame and the camera keeps
// the arena's edges out from under them (render/insets.ts, camera.ts).

import type { EntityView } from '../game/interpolation';
import type { RenderFrame } from '../game/session';
import { OBJECT_RADIUS } from '../game/constants';
import { FLAG_DEAD, KIND_OBJECT, KIND_PROJECTILE, type Arena } from '../protocol/types';
import { colourCss } from './colours';
import { fitArena, followCamera, followMargin, newCamera, visibleWorld, type Camera, type Insets } from './camera';
import { InsetTracker, hudInsets, newInsets, usableRect, type Rect } from './insets';
import { LABEL_HEIGHT, LabelPlacer, type LabelInput, type PlacedLabel } from './labels';
import { SceneHolder, type Scene, type SceneSource } from './scene';

/** What the camera showed in the last frame, for the debug hook (`window.__tickwire.camera()`). */
export interface CameraState {
  /** The camera follows the local player (the welcome had a view); otherwise the arena is fitted. */
  following: boolean;
  scale: number;
  ox: number;
  oy: number;
  /** Canvas size in CSS pixels. */
  width: number;
  height: number;
  /** The world rectangle on screen. */
  visible: { left: number; top: number; right: number; bottom: number };
  /** Where the local player was drawn (CSS pixels), null when it was not. */
  me: { x: number; y: number } | null;
  /** The HUD's insets the camera used (CSS pixels), and the usable area they leave. */
  insets: Insets;
  usable: Rect;
  /** The frame shown is the last one drawn, held while the session has none (reconnecting). */
  held: boolean;
}

/** A name label as the last frame drew it (CSS pixels), for the debug hook (`window.__tickwire.labels()`). */
export interface LabelState extends PlacedLabel {
  text: string;
  /** The player's x on screen (the middle of the label's place). */
  x: number;
  mine: boolean;
}

/** Something drawn on screen (CSS pixels, `r`: its reach), for the see-through panels (ui/hud.ts). */
export interface ScreenMark {
  x: number;
  y: number;
  r: number;
}

/** A label to place, with what drawing it needs. */
interface LabelJob extends LabelInput {
  text: string;
  mine: boolean;
  dead: boolean;
}

/** Name font size (CSS pixels) and the label's padding on each side. */
const LABEL_FONT_PX = 13;
const LABEL_PAD_X = 3;
/** A label's bottom above its player's body: the health bar (10 px above it) and 3 px (CSS pixels). */
const LABEL_ABOVE_BODY = 13;
/** Labels whose place is further than this outside the canvas are not drawn (CSS pixels). */
const LABEL_CULL = 200;
/** How long the rings around a respawned local player last (ms). */
const RESPAWN_RING_MS = 900;
/** Faded labels (no room within their shift) are drawn this faint. */
const FADED_ALPHA = 0.25;

/** The narrowest health bar (CSS pixels): readable over a small body (a fitted arena, a phone). */
export const HEALTH_BAR_MIN_PX = 24;

/**
 * The health bar's width over a body `bodyPx` CSS pixels across (the player's drawn diameter): a quarter wider than
 * the body, never narrower than HEALTH_BAR_MIN_PX. It grows with the body in a zoomed-in view (where a fixed 40 px
 * bar was narrower than the body) and shrinks with it in a small fitted arena (a phone: bodies 6 px across, where
 * 40 px bars ran into each other).
 */
export function healthBarWidth(bodyPx: number): number {
  return Math.max(HEALTH_BAR_MIN_PX, 1.25 * bodyPx);
}

/** Its height: 5 px, up to 7 over a big body. Its bottom is 5 px above the body, its top at most 12 px (the label is 13). */
export function healthBarHeight(bodyPx: number): number {
  return Math.min(7, Math.max(5, bodyPx / 12));
}

export class Renderer {
  private readonly g: CanvasRenderingContext2D;
  /** Each entity's colour this frame, by id (reused: the render loop allocates nothing for it). */
  private readonly ownerColours = new Map<number, number>();
  /** The camera of the current frame, rewritten in place every frame (the render loop allocates nothing for it). */
  private readonly cam: Camera = newCamera();
  private cssW = 0;
  private cssH = 0;
  /** Where the local player was drawn last (CSS pixels), for aiming: `screenPos`, or null when not drawn. */
  myScreenPos: { x: number; y: number } | null = null;
  private readonly screenPos = { x: 0, y: 0 };
  /** The camera followed the local player in the last frame. */
  private following = false;
  /** The last position followed, and whose it was (entity ids are not reused within a server run). */
  private followX = 0;
  private followY = 0;
  private followId: number | null = null;
  /** The HUD's panels (CSS pixels), as last measured, and the insets the camera keeps clear of them. */
  private panels: readonly Rect[] = [];
  private readonly targetInsets = newInsets();
  private readonly insets = new InsetTracker();
  /** This frame's name labels (pooled: the first `labelCount` are used) and their layout. */
  private readonly labelJobs: LabelJob[] = [];
  private labelCount = 0;
  private readonly placer = new LabelPlacer();
  /** What is drawn: the session's frame, or the last one while it has none. */
  private readonly scenes = new SceneHolder();
  private readonly textWidths = new Map<string, number>();
  /** Where players and projectiles were drawn this frame (pooled: the first `markCount`). */
  private readonly markPool: ScreenMark[] = [];
  private markCount = 0;
  private myX = 0;
  private myY = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const g = canvas.getContext('2d', { alpha: false });
    if (!g) throw new Error('this browser has no 2D canvas');
    this.g = g;
  }

  /** Follows the canvas' CSS size (and the device pixel ratio); whether its CSS size changed. */
  private resize(): boolean {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const resized = w !== this.cssW || h !== this.cssH;
    if (resized || this.canvas.width !== Math.round(w * dpr)) {
      this.cssW = w;
      this.cssH = h;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    return resized;
  }

  /**
   * Places the camera for this frame: with a view (interest management) it follows the local player as drawn
   * (`mine`), or stays where it last followed that player while it is not drawn (a resume, before the snapshot);
   * otherwise (no view, or nothing of our own to follow yet: a spectator) it fits the arena.
   */
  private placeCamera(session: Scene, arena: Arena, mine: EntityView | null, nowMs: number): Camera {
    // A new canvas size (a rotation, a resized window): the insets follow the panels' new layout at once rather
    // than keep the old layout's for the shrink hold (render/insets.ts InsetTracker).
    const resized = this.resize();
    const insets = this.insets.update(hudInsets(this.cssW, this.cssH, this.panels, this.targetInsets), nowMs, resized);
    const view = session.view;
    if (view !== null) {
      if (mine) {
        this.followX = mine.x;
        this.followY = mine.y;
        this.followId = mine.id;
      }
      if (this.followId !== null && this.followId === session.you) {
        this.following = true;
        const margin = followMargin(session.rules, session.tickRate);
        return followCamera(
          this.cam, arena, view, this.followX, this.followY, this.cssW, this.cssH, margin, undefined, insets,
        );
      }
    }
    this.following = false;
    return fitArena(arena, this.cssW, this.cssH, this.cam, insets);
  }

  /** A copy of what the camera showed in the last frame (for the debug hook). */
  cameraState(): CameraState {
    const c = this.cam;
    return {
      following: this.following,
      scale: c.scale,
      ox: c.ox,
      oy: c.oy,
      width: this.cssW,
      height: this.cssH,
      visible: visibleWorld(c, this.cssW, this.cssH),
      me: this.myScreenPos && { ...this.myScreenPos },
      insets: { ...this.insets.current },
      usable: usableRect(this.cssW, this.cssH, this.insets.current),
      held: this.scenes.holding,
    };
  }

  /** The name labels of the last frame as drawn (for the debug hook). */
  labelState(): LabelState[] {
    const out: LabelState[] = [];
    const placed = this.placer.placed;
    for (let i = 0; i < this.labelCount; i++) {
      const j = this.labelJobs[i]!;
      const p = placed[i]!;
      out.push({ ...p, text: j.text, x: j.x, mine: j.mine });
    }
    return out;
  }

  /** Where players and projectiles were drawn in the last frame (valid until the next). */
  marks(): readonly ScreenMark[] {
    return this.markPool.slice(0, this.markCount);
  }

  /**
   * Draws a frame. `panels`: the HUD's panels' rectangles now (CSS pixels, viewport coordinates: the canvas fills
   * the viewport); `nowMs`: the frame's time (the insets follow the panels over time).
   */
  draw(source: SceneSource, current: RenderFrame | null, panels: readonly Rect[] = [], nowMs = 0): void {
    this.panels = panels;
    this.labelCount = 0;
    this.markCount = 0;
    const g = this.g;
    const dpr = window.devicePixelRatio || 1;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#0d1117';
    g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.myScreenPos = null;
    // The session's frame, or while it has none (reconnecting) the last one drawn (render/scene.ts).
    if (!this.scenes.pick(source, current)) return;
    const session = this.scenes.scene;
    const frame = this.scenes.frame;
    const arena = session.arena;
    // The local player as drawn: predicted, or (dead) interpolated among the others.
    let mine: EntityView | null = frame?.me ?? null;
    if (!mine && frame && session.you !== null) {
      for (const v of frame.others) {
        if (v.id === session.you) {
          mine = v;
          break;
        }
      }
    }
    const cam = this.placeCamera(session, arena, mine, nowMs);
    // Labels nearer the local player keep their place (the canvas' middle while there is none).
    this.myX = mine ? cam.ox + mine.x * cam.scale : this.cssW / 2;
    this.myY = mine ? cam.oy + mine.y * cam.scale : this.cssH / 2;
    g.setTransform(dpr * cam.scale, 0, 0, dpr * cam.scale, dpr * cam.ox, dpr * cam.oy);
    this.drawArena(arena, cam);
    if (!frame) return;
    // A projectile is drawn in its shooter's colour (white when the shooter is out of view).
    const colours = this.ownerColours;
    colours.clear();
    for (const v of frame.others) if (v.fields.colour !== undefined) colours.set(v.id, v.fields.colour);
    // Projectiles and objects under the players.
    for (const v of frame.others) {
      if (v.fields.kind === KIND_PROJECTILE) {
        const owner = colours.get(v.fields.owner ?? -1);
        this.drawProjectile(v, colourCss(owner, 0xffffff), session.rules.projectile_radius, cam);
        this.mark(cam, v.x, v.y, session.rules.projectile_radius);
      }
      else if (v.fields.kind === KIND_OBJECT) this.drawObject(v);
    }
    for (const v of frame.others) {
      if (v.fields.kind !== KIND_PROJECTILE && v.fields.kind !== KIND_OBJECT) this.drawPlayer(v, false, session, cam);
    }
    if (frame.me) {
      this.drawPlayer(frame.me, true, session, cam);
      this.drawRespawn(frame.me, session, cam, nowMs);
    }
    this.drawLabels(dpr);
    if (mine) {
      this.screenPos.x = cam.ox + mine.x * cam.scale;
      this.screenPos.y = cam.oy + mine.y * cam.scale;
      this.myScreenPos = this.screenPos;
    }
  }

  private drawArena(arena: Arena, cam: Camera): void {
    const g = this.g;
    g.fillStyle = '#161b22';
    g.fillRect(0, 0, arena.width, arena.height);
    g.strokeStyle = 'rgba(255,255,255,0.05)';
    g.lineWidth = 1 / cam.scale;
    g.beginPath();
    for (let x = 100; x < arena.width; x += 100) {
      g.moveTo(x, 0);
      g.lineTo(x, arena.height);
    }
    for (let y = 100; y < arena.height; y += 100) {
      g.moveTo(0, y);
      g.lineTo(arena.width, y);
    }
    g.stroke();
    g.strokeStyle = '#30363d';
    g.lineWidth = 3 / cam.scale;
    g.strokeRect(0, 0, arena.width, arena.height);
    for (const w of arena.walls) {
      g.fillStyle = '#3b4452';
      g.fillRect(w.x, w.y, w.w, w.h);
      g.strokeStyle = '#58657a';
      g.lineWidth = 2 / cam.scale;
      g.strokeRect(w.x, w.y, w.w, w.h);
    }
  }

  /** A projectile in its shooter's colour (`colour`, CSS). */
  private drawProjectile(v: EntityView, colour: string, radius: number, cam: Camera): void {
    const g = this.g;
    const r = Math.max(radius, 2.5 / cam.scale);
    const vx = (v.fields.vx ?? 0) / 16;
    const vy = (v.fields.vy ?? 0) / 16;
    if (vx !== 0 || vy !== 0) {
      // A short streak behind it (40 ms of flight) shows speed and direction.
      g.strokeStyle = colour;
      g.globalAlpha = 0.45;
      g.lineWidth = r * 1.4;
      g.lineCap = 'round';
      g.beginPath();
      g.moveTo(v.x - vx * 0.04, v.y - vy * 0.04);
      g.lineTo(v.x, v.y);
      g.stroke();
      g.globalAlpha = 1;
    }
    g.fillStyle = colour;
    g.beginPath();
    g.arc(v.x, v.y, r, 0, Math.PI * 2);
    g.fill();
    g.strokeStyle = 'rgba(255,255,255,0.85)';
    g.lineWidth = 1 / cam.scale;
    g.stroke();
  }

  private drawObject(v: EntityView): void {
    const g = this.g;
    g.save();
    g.translate(v.x, v.y);
    g.rotate(v.angle);
    g.fillStyle = colourCss(v.fields.colour);
    g.fillRect(-OBJECT_RADIUS, -OBJECT_RADIUS, OBJECT_RADIUS * 2, OBJECT_RADIUS * 2);
    g.restore();
  }

  private drawPlayer(v: EntityView, mine: boolean, session: Scene, cam: Camera): void {
    const g = this.g;
    const f = v.fields;
    const dead = ((f.flags ?? 0) & FLAG_DEAD) !== 0;
    const r = session.rules.player_radius;
    g.save();
    g.globalAlpha = dead ? 0.3 : 1;
    // Aim: a short barrel in the facing direction.
    g.strokeStyle = '#e6edf3';
    g.lineWidth = 5;
    g.lineCap = 'round';
    g.beginPath();
    g.moveTo(v.x, v.y);
    g.lineTo(v.x + Math.cos(v.angle) * (r + 9), v.y + Math.sin(v.angle) * (r + 9));
    g.stroke();
    g.fillStyle = colourCss(f.colour);
    g.beginPath();
    g.arc(v.x, v.y, r, 0, Math.PI * 2);
    g.fill();
    g.lineWidth = mine ? 3 : 2;
    g.strokeStyle = mine ? '#ffffff' : 'rgba(0,0,0,0.55)';
    g.stroke();
    // Health bar, sized in screen pixels: as wide as the body as drawn, 5 px above it.
    const px = 1 / cam.scale;
    const bodyPx = 2 * r * cam.scale;
    const barW = healthBarWidth(bodyPx) * px;
    const barH = healthBarHeight(bodyPx) * px;
    const barY = v.y - r - 5 * px - barH;
    const frac = Math.max(0, Math.min(1, (f.health ?? session.maxHealth) / session.maxHealth));
    g.fillStyle = 'rgba(0,0,0,0.6)';
    g.fillRect(v.x - barW / 2, barY, barW, barH);
    g.fillStyle = frac > 0.5 ? '#3fb950' : frac > 0.25 ? '#d29922' : '#f85149';
    g.fillRect(v.x - barW / 2, barY, barW * frac, barH);
    g.restore();
    if (!dead) this.mark(cam, v.x, v.y, r + 9);
    // The name: placed with the others' after every player is drawn (drawLabels).
    const text = dead ? `${f.name ?? ''} (dead)` : (f.name ?? `#${v.id}`);
    const x = cam.ox + v.x * cam.scale;
    const y = cam.oy + (v.y - r) * cam.scale - LABEL_ABOVE_BODY;
    if (x < -LABEL_CULL || y < -LABEL_CULL || x > this.cssW + LABEL_CULL || y > this.cssH + LABEL_CULL) return;
    const job = (this.labelJobs[this.labelCount] ??= {
      id: 0, x: 0, y: 0, width: 0, height: LABEL_HEIGHT, priority: 0, fixed: false, text: '', mine: false, dead: false,
    });
    this.labelCount++;
    // The local player's label stays put, alive (predicted) or dead (interpolated among the others).
    const own = mine || v.id === session.you;
    job.id = v.id;
    job.x = x;
    job.y = y;
    job.width = this.textWidth(text, own) + 2 * LABEL_PAD_X;
    job.priority = (x - this.myX) ** 2 + (y - this.myY) ** 2;
    job.fixed = own;
    job.text = text;
    job.mine = own;
    job.dead = dead;
  }

  /**
   * Just after the local player came back from a death, somewhere else: two rings closing in on it for
   * RESPAWN_RING_MS, so the eye finds where it reappeared.
   */
  private drawRespawn(v: EntityView, session: Scene, cam: Camera, nowMs: number): void {
    const since = session.respawnedAtMs === null ? Infinity : nowMs - session.respawnedAtMs;
    if (since < 0 || since >= RESPAWN_RING_MS) return;
    const t = since / RESPAWN_RING_MS;
    const g = this.g;
    const r = session.rules.player_radius;
    const px = 1 / cam.scale;
    g.save();
    g.strokeStyle = '#ffffff';
    g.lineWidth = 3 * px;
    for (let k = 0; k <= 0.25; k += 0.25) {
      const u = Math.min(1, t + k);
      g.globalAlpha = 0.9 * (1 - u);
      g.beginPath();
      g.arc(v.x, v.y, r + 6 * px + (1 - u) * 90 * px, 0, Math.PI * 2);
      g.stroke();
    }
    g.restore();
  }

  private labelFont(mine: boolean): string {
    return `${mine ? 'bold ' : ''}${LABEL_FONT_PX}px system-ui, sans-serif`;
  }

  /** The width of a name in CSS pixels, measured once per text (the cache is dropped when it grows large). */
  private textWidth(text: string, mine: boolean): number {
    const key = mine ? `*${text}` : ` ${text}`;
    let w = this.textWidths.get(key);
    if (w === undefined) {
      if (this.textWidths.size > 2048) this.textWidths.clear();
      const g = this.g;
      g.save();
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.font = this.labelFont(mine);
      w = g.measureText(text).width;
      g.restore();
      this.textWidths.set(key, w);
    }
    return w;
  }

  private mark(cam: Camera, x: number, y: number, reach: number): void {
    const m = (this.markPool[this.markCount++] ??= { x: 0, y: 0, r: 0 });
    m.x = cam.ox + x * cam.scale;
    m.y = cam.oy + y * cam.scale;
    m.r = reach * cam.scale;
  }

  /** Lays out this frame's name labels and draws them in screen space: the faded ones first, faint, then the rest. */
  private drawLabels(dpr: number): void {
    const jobs = this.labelJobs;
    const n = this.labelCount;
    // Names of players at the left or right edge are kept within the screen (not cut off by it).
    const placed = this.placer.place(jobs, n, this.cssW);
    const g = this.g;
    g.save();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.textAlign = 'center';
    g.textBaseline = 'bottom';
    for (let pass = 0; pass < 2; pass++) {
      const faded = pass === 0;
      for (let i = 0; i < n; i++) {
        const p = placed[i]!;
        if (p.faded !== faded) continue;
        const j = jobs[i]!;
        const alpha = (j.dead ? 0.3 : 1) * (faded ? FADED_ALPHA : 1);
        if (!faded) {
          g.globalAlpha = alpha * 0.5;
          g.fillStyle = '#0d1117';
          g.fillRect(p.left, p.top, p.right - p.left, p.bottom - p.top);
        }
        g.globalAlpha = alpha;
        g.font = this.labelFont(j.mine);
        g.fillStyle = '#e6edf3';
        g.fillText(j.text, (p.left + p.right) / 2, p.bottom);
      }
    }
    g.restore();
  }
}
