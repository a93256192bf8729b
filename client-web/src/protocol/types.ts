// The tickwire wire protocol, version 2: message and entity types as the client holds them.
// The contract is docs/PROTOCOL.md; every number here is a wire value (fixed-point where the protocol says so).

/** The protocol version this client speaks (Hello.version, Welcome.version). */
export const PROTOCOL_VERSION = 2;

/** Fixed-point scale of positions: one world unit is 16 wire units. */
export const POSITION_SCALE = 16;
/** Fixed-point scale of angles: one radian is 10,000 wire units. */
export const ANGLE_SCALE = 10_000;

export const KIND_PLAYER = 0;
export const KIND_PROJECTILE = 1;
export const KIND_OBJECT = 2;

/** Length of a resume token (Welcome.resume, Hello.resume). */
export const RESUME_TOKEN_BYTES = 16;

/** The longest display name the server keeps, in Unicode scalar values (code points), as `MAX_NAME_CHARS` in Rust. */
export const MAX_NAME_CHARS = 16;
/**
 * The join form's `maxlength` (index.html): the HTML attribute counts UTF-16 code units, two for a code point
 * beyond the BMP (an emoji), so a name of MAX_NAME_CHARS code points takes up to twice as many. It only stops a
 * paste far beyond the limit; the field itself is cut to MAX_NAME_CHARS code points as the server counts them on
 * every input (`cutName`, ui/screens.ts).
 */
export const NAME_FIELD_MAXLENGTH = 2 * MAX_NAME_CHARS;

/**
 * A typed name as the server will keep it, at most `max` code points, cut between whole characters as the reader
 * sees them (grapheme clusters, where the browser can tell: an emoji family or an accented letter stays whole or
 * goes whole) rather than by UTF-16 units, which split emoji in half. Leading spaces go; the server does the rest
 * of the cleaning.
 */
export function cutName(raw: string, max = MAX_NAME_CHARS): string {
  const text = raw.trimStart();
  const pieces: string[] =
    typeof Intl !== 'undefined' && 'Segmenter' in Intl
      ? Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text), (s) => s.segment)
      : Array.from(text);
  let out = '';
  let used = 0;
  for (const piece of pieces) {
    const n = Array.from(piece).length;
    if (used + n > max) break;
    out += piece;
    used += n;
  }
  return out;
}

/** Flag bit 0: the entity is dead (a player waiting to respawn). */
export const FLAG_DEAD = 0b1;

/**
 * The replicated fields of one entity, as wire values: `x`/`y` in 1/16 units, `angle` in 1/10,000 rad.
 * A field that is `undefined` was not present in the message (or is not known yet).
 */
export interface EntityFields {
  kind?: number;
  x?: number;
  y?: number;
  angle?: number;
  name?: string;
  colour?: number;
  health?: number;
  score?: number;
  kills?: number;
  deaths?: number;
  owner?: number;
  flags?: number;
  /** Velocity in 1/16 units per second, for entities moving in a straight line (projectiles). */
  vx?: number;
  vy?: number;
  /** The tick at which the entity was at (x, y); at tick t it is at (x, y) + v·(t − since) / tick_rate. */
  since?: number;
}

/** An entity record: its id and the fields the message carried. */
export interface EntityRecord extends EntityFields {
  id: number;
}

export interface Wall {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Arena {
  width: number;
  height: number;
  walls: Wall[];
}

export type GameEvent =
  | { type: 'kill'; killer: number; victim: number }
  | { type: 'say'; text: string }
  | { type: 'tick_rate'; hz: number };

/** The tuning numbers a client needs to predict and draw (the welcome's 7th element). */
export interface GameRules {
  player_speed: number;
  player_radius: number;
  projectile_radius: number;
  max_health: number;
}

export interface Welcome {
  type: 'welcome';
  version: number;
  you: number;
  tick_rate: number;
  tick: number;
  arena: Arena;
  /** Absent from servers that predate it: the client then uses its own constants (game/constants.ts). */
  rules?: GameRules;
  /**
   * The resume token (a MessagePack bin of exactly RESUME_TOKEN_BYTES bytes, the 8th element): presented in a
   * later hello, it gives this player back after a dropped connection. Absent from servers that predate it.
   */
  resume?: Uint8Array;
  /**
   * Interest management (the 9th element): the half-size, in world units, of the square around the own player
   * inside which every entity is guaranteed to be replicated; entities outside it may be absent (they despawn on
   * leaving the view and spawn again on entering it). Absent (nil on the wire, or an older server): every
   * client sees the whole arena.
   */
  view?: number;
}

export interface Snapshot {
  type: 'snapshot';
  tick: number;
  ack: number;
  entities: EntityRecord[];
}

/**
 * How far an entity's wire position (1/16 units) moved from the delta's base to its tick. On the wire all moves
 * of a delta are one flat array `[gap, dx, dy, gap, dx, dy, ...]` with `gap` = id − previous id; decoded here.
 */
export interface Move {
  id: number;
  dx: number;
  dy: number;
}

export interface Delta {
  type: 'delta';
  tick: number;
  base: number;
  ack: number;
  spawns: EntityRecord[];
  /** Fields that changed, never x or y: positions of entities held at base change only through `moves`. */
  changes: EntityRecord[];
  despawns: number[];
  events: GameEvent[];
  /** Position changes, by strictly ascending id. */
  moves: Move[];
}

export interface Pong {
  type: 'pong';
  client_time: number;
  server_tick: number;
}

export interface ServerError {
  type: 'error';
  code: number;
  message: string;
}

export type ServerMessage = Welcome | Snapshot | Delta | Pong | ServerError;

export interface Hello {
  type: 'hello';
  version: number;
  name: string;
  /** The latest resume token (4th element, a 16-byte bin), to take back the player of a dropped connection. */
  resume?: Uint8Array;
}

export interface Input {
  type: 'input';
  seq: number;
  dx: number;
  dy: number;
  aim: number;
  buttons: number;
}

export interface Ping {
  type: 'ping';
  client_time: number;
}

export type ClientMessage = Hello | Input | Ping;

/** A message the client could not decode: the server broke the contract (or the client did). */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}
