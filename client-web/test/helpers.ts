// Shared test helpers: a small arena and a stand-in for the server's movement loop.

import { moveContext, stepPlayer, type MoveContext, type Vec2 } from '../src/game/movement';
import type { PendingInput } from '../src/game/prediction';
import type { Arena } from '../src/protocol/types';

export const ARENA: Arena = {
  width: 1600,
  height: 1000,
  walls: [
    { x: 380, y: 180, w: 40, h: 260 },
    { x: 650, y: 470, w: 300, h: 40 },
  ],
};

export const CTX: MoveContext = moveContext(ARENA, 20);

/** What the server does (sim/src/movement.rs apply_inputs): one movement step per queued input, per tick. */
export class FakeServer {
  pos: Vec2;
  ack = 0;
  private queue: PendingInput[] = [];
  private budget = 0;

  constructor(
    start: Vec2,
    private readonly ctx: MoveContext = CTX,
    private readonly burst = 3,
  ) {
    this.pos = { ...start };
  }

  receive(input: PendingInput): void {
    if (input.seq > (this.queue.at(-1)?.seq ?? this.ack)) this.queue.push(input);
  }

  tick(): void {
    this.budget = Math.min(this.budget + 1, this.burst);
    while (this.budget > 0) {
      const i = this.queue.shift();
      if (!i) break;
      this.budget--;
      this.ack = i.seq;
      this.pos = stepPlayer(this.pos, i.dx, i.dy, this.ctx);
    }
  }

  /** The position as the wire carries it: 1/16 units. */
  wirePos(): Vec2 {
    return { x: Math.round(this.pos.x * 16) / 16, y: Math.round(this.pos.y * 16) / 16 };
  }
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
