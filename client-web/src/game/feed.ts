// The kill feed and operator messages: short-lived lines built from delta events.

import { FEED_TTL_MS, SAY_TTL_MS } from './constants';

export interface FeedLine {
  at: number;
  text: string;
  killer?: { id: number; name: string; colour: number };
  victim?: { id: number; name: string; colour: number };
  /** The local player is the killer or the victim. */
  mine: boolean;
}

export interface SayLine {
  at: number;
  text: string;
}

const MAX_LINES = 6;

export class Feed {
  kills: FeedLine[] = [];
  says: SayLine[] = [];
  /** Bumped on every change, so the HUD redraws only when needed. */
  version = 0;

  addKill(line: FeedLine): void {
    this.kills.push(line);
    if (this.kills.length > MAX_LINES) this.kills.shift();
    this.version++;
  }

  addSay(text: string, at: number): void {
    this.says.push({ text, at });
    if (this.says.length > 3) this.says.shift();
    this.version++;
  }

  /** Drops lines older than their time to live. */
  expire(nowMs: number): void {
    const k = this.kills.length;
    const s = this.says.length;
    this.kills = this.kills.filter((l) => nowMs - l.at < FEED_TTL_MS);
    this.says = this.says.filter((l) => nowMs - l.at < SAY_TTL_MS);
    if (k !== this.kills.length || s !== this.says.length) this.version++;
  }

  clear(): void {
    this.kills = [];
    this.says = [];
    this.version++;
  }
}
