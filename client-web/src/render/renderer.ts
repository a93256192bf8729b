// Draws one frame on the 2D canvas: the arena and its walls, projectiles, objects and players (name, colour,
// health bar, aim). Everything else (HUD, scoreboard, feeds) is DOM, see ui/hud.ts.

import type { EntityView } from '../game/interpolation';
import type { RenderFrame, Session } from '../game/session';
import { OBJECT_RADIUS } from '../game/constants';
import { FLAG_DEAD, KIND_OBJECT, KIND_PROJECTILE, type Arena } from '../protocol/types';
import { fitArena, followCamera, followMargin, newCamera, visibleWorld, type Camera } from './camera';

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
}

export function cssColour(rgb: number | undefined, fallback = 0xcccccc): string {
  return `#${((rgb ?? fallback) & 0xffffff).toString(16).padStart(6, '0')}`;
}

export class Renderer {
  private readonly g: CanvasRenderingContext2D;
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

  constructor(private readonly canvas: HTMLCanvasElement) {
    const g = canvas.getContext('2d', { alpha: false });
    if (!g) throw new Error('this browser has no 2D canvas');
    this.g = g;
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (w !== this.cssW || h !== this.cssH || this.canvas.width !== Math.round(w * dpr)) {
      this.cssW = w;
      this.cssH = h;
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
  }

  /**
   * Places the camera for this frame: with a view (interest management) it follows the local player as drawn
   * (`mine`), or stays where it last followed that player while it is not drawn (a resume, before the snapshot);
   * otherwise (no view, or nothing of our own to follow yet: a spectator) it fits the arena.
   */
  private placeCamera(session: Session, arena: Arena, mine: EntityView | null): Camera {
    this.resize();
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
        return followCamera(this.cam, arena, view, this.followX, this.followY, this.cssW, this.cssH, margin);
      }
    }
    this.following = false;
    return fitArena(arena, this.cssW, this.cssH, this.cam);
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
    };
  }

  draw(session: Session, frame: RenderFrame | null): void {
    const g = this.g;
    const dpr = window.devicePixelRatio || 1;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#0d1117';
    g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const arena = session.arena;
    this.myScreenPos = null;
    if (!arena) return;
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
    const cam = this.placeCamera(session, arena, mine);
    g.setTransform(dpr * cam.scale, 0, 0, dpr * cam.scale, dpr * cam.ox, dpr * cam.oy);
    this.drawArena(arena, cam);
    if (!frame) return;
    const colours = new Map<number, number | undefined>();
    for (const [id, f] of session.world.entities) colours.set(id, f.colour);
    // Projectiles and objects under the players.
    for (const v of frame.others) {
      if (v.fields.kind === KIND_PROJECTILE) {
        this.drawProjectile(v, colours.get(v.fields.owner ?? -1), session.rules.projectile_radius, cam);
      }
      else if (v.fields.kind === KIND_OBJECT) this.drawObject(v);
    }
    for (const v of frame.others) {
      if (v.fields.kind !== KIND_PROJECTILE && v.fields.kind !== KIND_OBJECT) this.drawPlayer(v, false, session, cam);
    }
    if (frame.me) this.drawPlayer(frame.me, true, session, cam);
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

  private drawProjectile(v: EntityView, ownerColour: number | undefined, radius: number, cam: Camera): void {
    const g = this.g;
    const colour = cssColour(ownerColour, 0xffffff);
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
    g.fillStyle = cssColour(v.fields.colour, 0x8b949e);
    g.fillRect(-OBJECT_RADIUS, -OBJECT_RADIUS, OBJECT_RADIUS * 2, OBJECT_RADIUS * 2);
    g.restore();
  }

  private drawPlayer(v: EntityView, mine: boolean, session: Session, cam: Camera): void {
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
    g.fillStyle = cssColour(f.colour);
    g.beginPath();
    g.arc(v.x, v.y, r, 0, Math.PI * 2);
    g.fill();
    g.lineWidth = mine ? 3 : 2;
    g.strokeStyle = mine ? '#ffffff' : 'rgba(0,0,0,0.55)';
    g.stroke();
    // Health bar and name, sized in screen pixels.
    const px = 1 / cam.scale;
    const barW = 40 * px;
    const barH = 5 * px;
    const barY = v.y - r - 10 * px;
    const frac = Math.max(0, Math.min(1, (f.health ?? session.maxHealth) / session.maxHealth));
    g.fillStyle = 'rgba(0,0,0,0.6)';
    g.fillRect(v.x - barW / 2, barY, barW, barH);
    g.fillStyle = frac > 0.5 ? '#3fb950' : frac > 0.25 ? '#d29922' : '#f85149';
    g.fillRect(v.x - barW / 2, barY, barW * frac, barH);
    g.font = `${mine ? 'bold ' : ''}${13 * px}px system-ui, sans-serif`;
    g.textAlign = 'center';
    g.textBaseline = 'bottom';
    g.fillStyle = '#e6edf3';
    g.fillText(dead ? `${f.name ?? ''} (dead)` : (f.name ?? `#${v.id}`), v.x, barY - 3 * px);
    g.restore();
  }
}
