// What the renderer draws: the session's current frame, or, while there is none (a reconnect attempt clears the
// session's world until the new connection's snapshot arrives), the last frame drawn, with the arena, view, ids and
// rules it was drawn with. So a dropped connection leaves the arena on screen, dimmed by the page's offline style
// (body.offline #arena), instead of a blank canvas half a second later.

import type { RenderFrame } from '../game/session';
import type { Arena, GameRules } from '../protocol/types';

/** The session's fields a frame is drawn with. */
export interface Scene {
  arena: Arena;
  view: number | null;
  you: number | null;
  rules: Readonly<GameRules>;
  tickRate: number;
  maxHealth: number;
  /** When the local player last came back from a death (ms), or null. */
  respawnedAtMs: number | null;
}

/** The parts of the session the renderer reads (`Session` has them): a scene whose arena may not be known yet. */
export type SceneSource = Omit<Scene, 'arena'> & { arena: Arena | null };

/**
 * Keeps the last frame and its scene. One per renderer; `pick` runs once per animation frame and allocates nothing
 * (the scene is rewritten in place).
 */
export class SceneHolder {
  /** The scene to draw (valid after `pick` returned true). */
  readonly scene: Scene = {
    arena: { width: 0, height: 0, walls: [] },
    view: null,
    you: null,
    rules: { player_speed: 0, player_radius: 0, projectile_radius: 0, max_health: 1 },
    tickRate: 20,
    maxHealth: 1,
    respawnedAtMs: null,
  };
  /** The frame to draw in it: null draws the arena alone. */
  frame: RenderFrame | null = null;
  /** The frame is the held one (the session has none now). */
  holding = false;
  private held: RenderFrame | null = null;

  /**
   * Chooses what to draw now: the session's frame (then remembered), else the last one remembered, else (nothing
   * drawn yet) the session's arena alone. False: nothing at all (no arena yet).
   */
  pick(session: SceneSource, frame: RenderFrame | null): boolean {
    if ((frame || !this.held) && session.arena) {
      const s = this.scene;
      s.arena = session.arena;
      s.view = session.view;
      s.you = session.you;
      s.rules = session.rules;
      s.tickRate = session.tickRate;
      s.maxHealth = session.maxHealth;
      s.respawnedAtMs = session.respawnedAtMs;
      if (frame) this.held = frame;
      this.frame = frame;
      this.holding = false;
      return true;
    }
    this.frame = this.held;
    this.holding = this.held !== null;
    return this.holding;
  }
}
