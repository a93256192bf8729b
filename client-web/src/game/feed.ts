// The kill feed and operator messages: short-lived lines built from delta events.

import { FEED_TTL_MS, SAY_TTL_MS } from './constants';

/** A player as the kill feed names it. */
export interface FeedName {
  id: number;
  name: string;
  colour: number;
}

export interface FeedLine {
  at: number;
  text: string;
  killer?: FeedName;
  victim?: FeedName;
  /** The local player is the killer or the victim. */
  mine: boolean;
}

/** The kill feed's name for a player the client does not know (never held, or forgotten). */
export const UNKNOWN_NAME = 'someone';
export const UNKNOWN_COLOUR = 0xcccccc;

/**
 * The kill feed's line for a kill of `victimId` by `killerId`, or null when the feed does not show it. `killer`
 * and `victim` are the players as the client knows them (held now or a moment ago, or remembered from when it held
 * them), null for one it does not know; `you` is the local player's id.
 *
 * Kill events are not filtered by interest management (docs/PROTOCOL.md sections 4.2 and 6): on a map with a view
 * every client hears of every kill on the field, most of them between players it has never held. Such a line
 * ("someone killed someone") tells the player nothing and pushes the ones that matter out of the feed, so a kill
 * in which the client knows neither player is not shown, unless it is the local player's own (which it always
 * knows). A kill where it knows one of them names that one, and "someone" for the other.
 */
export function killLine(
  killerId: number,
  killer: FeedName | null,
  victimId: number,
  victim: FeedName | null,
  you: number | null,
  at: number,
): FeedLine | null {
  const mine = you !== null && (killerId === you || victimId === you);
  if (!killer && !victim && !mine) return null;
  const k = killer ?? { id: killerId, name: UNKNOWN_NAME, colour: UNKNOWN_COLOUR };
  const v = victim ?? { id: victimId, name: UNKNOWN_NAME, colour: UNKNOWN_COLOUR };
  return { at, text: `${k.name} ⟶ ${v.name}`, killer: k, victim: v, mine };
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
