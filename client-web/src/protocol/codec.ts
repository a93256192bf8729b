// Encoding client messages and decoding server messages (docs/PROTOCOL.md sections 3 and 4).
//
// Decoding uses @msgpack/msgpack and then checks the shape strictly. The three client messages are written by a
// small hand-made writer: their float fields must go out as float32 (Input dx, dy, aim) and float64 (Ping
// client_time) even when the value is a whole number (the library would write `1.0` as the integer 1), and
// leaving the library's encoder out keeps the bundle small. The server accepts either, but writing exactly
// what the Rust encoder writes keeps the output byte-identical to the fixtures.

import { decode } from '@msgpack/msgpack';
import { decodeEntityRecord, expectUint } from './entity';
import {
  ProtocolError,
  RESUME_TOKEN_BYTES,
  type Arena,
  type EntityRecord,
  type GameRules,
  type GameEvent,
  type Hello,
  type Input,
  type Move,
  type Ping,
  type ServerMessage,
  type Wall,
  type Welcome,
} from './types';

const U32 = 0xffff_ffff;

function expectArray(v: unknown, what: string, len?: number): unknown[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what}: expected an array`);
  if (len !== undefined && v.length !== len) {
    throw new ProtocolError(`${what}: expected ${len} elements, got ${v.length}`);
  }
  return v;
}

function expectNumber(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ProtocolError(`${what}: expected a number`);
  return v;
}

function expectString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ProtocolError(`${what}: expected a string`);
  return v;
}

function expectToken(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new ProtocolError(`${what}: expected a bin`);
  if (v.length !== RESUME_TOKEN_BYTES) {
    throw new ProtocolError(`${what}: expected ${RESUME_TOKEN_BYTES} bytes, got ${v.length}`);
  }
  // A copy: the decoder hands out a view into the whole frame.
  return v.slice();
}

/** The welcome's view: the half-size of the square around the own player that is always replicated. */
function expectView(v: unknown): number {
  const view = expectNumber(v, 'view');
  if (!(view > 0)) throw new ProtocolError(`view: expected a positive number, got ${view}`);
  return view;
}

function decodeArena(raw: unknown): Arena {
  const [w, h, walls] = expectArray(raw, 'arena', 3);
  return {
    width: expectNumber(w, 'arena width'),
    height: expectNumber(h, 'arena height'),
    walls: expectArray(walls, 'arena walls').map((wall, i): Wall => {
      const [x, y, ww, wh] = expectArray(wall, `wall ${i}`, 4);
      return {
        x: expectNumber(x, 'wall x'),
        y: expectNumber(y, 'wall y'),
        w: expectNumber(ww, 'wall w'),
        h: expectNumber(wh, 'wall h'),
      };
    }),
  };
}

function decodeRules(raw: unknown): GameRules {
  const [speed, radius, projectileRadius, maxHealth] = expectArray(raw, 'rules', 4);
  return {
    player_speed: expectNumber(speed, 'player_speed'),
    player_radius: expectNumber(radius, 'player_radius'),
    projectile_radius: expectNumber(projectileRadius, 'projectile_radius'),
    max_health: expectUint(maxHealth, 0xffff, 'max_health'),
  };
}

function decodeEvent(raw: unknown): GameEvent {
  const a = expectArray(raw, 'event');
  const type = expectUint(a[0], 0xff, 'event type');
  switch (type) {
    case 0:
      expectArray(raw, 'kill event', 3);
      return { type: 'kill', killer: expectUint(a[1], U32, 'killer'), victim: expectUint(a[2], U32, 'victim') };
    case 1:
      expectArray(raw, 'say event', 2);
      return { type: 'say', text: expectString(a[1], 'say text') };
    case 2:
      expectArray(raw, 'tick-rate event', 2);
      return { type: 'tick_rate', hz: expectUint(a[1], 0xffff, 'tick rate') };
    default:
      throw new ProtocolError(`unknown event type ${type}`);
  }
}

const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;

function expectInt32(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < I32_MIN || v > I32_MAX) {
    throw new ProtocolError(`${what}: expected an integer in [${I32_MIN}, ${I32_MAX}], got ${String(v)}`);
  }
  return v;
}

/**
 * The flat moves array `[gap, dx, dy, ...]`: a multiple of 3 values, ids (running sums of the gaps, the first
 * from 0) strictly ascending and within uint32, dx and dy int32.
 */
export function decodeMoves(raw: unknown): Move[] {
  const a = expectArray(raw, 'moves');
  if (a.length % 3 !== 0) throw new ProtocolError(`moves: ${a.length} values is not a multiple of 3`);
  const out: Move[] = new Array<Move>(a.length / 3);
  let id = 0;
  for (let i = 0; i < a.length; i += 3) {
    const gap = expectUint(a[i], U32, 'move gap');
    if (i > 0 && gap === 0) throw new ProtocolError('moves: ids must be strictly ascending (a gap of 0)');
    id += gap;
    if (id > U32) throw new ProtocolError('moves: an id beyond the uint32 range');
    out[i / 3] = { id, dx: expectInt32(a[i + 1], 'move dx'), dy: expectInt32(a[i + 2], 'move dy') };
  }
  return out;
}

function decodeEntities(raw: unknown, what: string): EntityRecord[] {
  return expectArray(raw, what).map(decodeEntityRecord);
}

/** Decodes one binary frame from the server. Throws ProtocolError on anything outside the contract. */
export function decodeServerMessage(bytes: Uint8Array | ArrayBuffer): ServerMessage {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (e) {
    throw new ProtocolError(`bad MessagePack: ${(e as Error).message}`);
  }
  const a = expectArray(value, 'message');
  const type = expectUint(a[0], 0xff, 'message type');
  switch (type) {
    case 0: {
      // 9 elements (view); 8, 7 or 6 from servers that predate the view, the token or the rules.
      if (a.length < 6 || a.length > 9) expectArray(a, 'welcome', 9);
      const welcome: Welcome = {
        type: 'welcome',
        version: expectUint(a[1], 0xffff, 'version'),
        you: expectUint(a[2], U32, 'you'),
        tick_rate: expectUint(a[3], 0xffff, 'tick_rate'),
        tick: expectUint(a[4], U32, 'tick'),
        arena: decodeArena(a[5]),
      };
      if (a.length >= 7) welcome.rules = decodeRules(a[6]);
      if (a.length >= 8) welcome.resume = expectToken(a[7], 'resume token');
      if (a.length === 9 && a[8] !== null && a[8] !== undefined) welcome.view = expectView(a[8]);
      return welcome;
    }
    case 1:
      expectArray(a, 'snapshot', 4);
      return {
        type: 'snapshot',
        tick: expectUint(a[1], U32, 'tick'),
        ack: expectUint(a[2], U32, 'ack'),
        entities: decodeEntities(a[3], 'snapshot entities'),
      };
    case 2:
      expectArray(a, 'delta', 9);
      return {
        type: 'delta',
        tick: expectUint(a[1], U32, 'tick'),
        base: expectUint(a[2], U32, 'base'),
        ack: expectUint(a[3], U32, 'ack'),
        spawns: decodeEntities(a[4], 'spawns'),
        changes: decodeEntities(a[5], 'changes'),
        despawns: expectArray(a[6], 'despawns').map((id) => expectUint(id, U32, 'despawned id')),
        events: expectArray(a[7], 'events').map(decodeEvent),
        moves: decodeMoves(a[8]),
      };
    case 3:
      expectArray(a, 'pong', 3);
      return {
        type: 'pong',
        client_time: expectNumber(a[1], 'client_time'),
        server_tick: expectUint(a[2], U32, 'server_tick'),
      };
    case 4:
      expectArray(a, 'error', 3);
      return { type: 'error', code: expectUint(a[1], 0xffff, 'code'), message: expectString(a[2], 'message') };
    default:
      throw new ProtocolError(`unknown server message type ${type}`);
  }
}

/** A tiny MessagePack writer for the fixed-shape messages whose float widths matter. */
class Writer {
  private buf = new Uint8Array(32);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): this {
    this.grow(1);
    this.buf[this.len++] = b;
    return this;
  }

  /** Smallest encoding of a non-negative integer, as rmp does. */
  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > U32) throw new RangeError(`not a uint32: ${v}`);
    if (v < 0x80) return this.byte(v);
    if (v <= 0xff) return this.byte(0xcc).byte(v);
    this.grow(5);
    if (v <= 0xffff) {
      this.buf[this.len++] = 0xcd;
      this.view.setUint16(this.len, v);
      this.len += 2;
    } else {
      this.buf[this.len++] = 0xce;
      this.view.setUint32(this.len, v);
      this.len += 4;
    }
    return this;
  }

  f32(v: number): this {
    this.grow(5);
    this.buf[this.len++] = 0xca;
    this.view.setFloat32(this.len, v);
    this.len += 4;
    return this;
  }

  f64(v: number): this {
    this.grow(9);
    this.buf[this.len++] = 0xcb;
    this.view.setFloat64(this.len, v);
    this.len += 8;
    return this;
  }

  /** A UTF-8 string with its smallest header (fixstr, str8, str16, str32). */
  str(v: string): this {
    const bytes = new TextEncoder().encode(v);
    const n = bytes.length;
    this.grow(5 + n);
    if (n < 32) this.byte(0xa0 | n);
    else if (n <= 0xff) this.byte(0xd9).byte(n);
    else if (n <= 0xffff) this.byte(0xda).byte(n >> 8).byte(n & 0xff);
    else this.byte(0xdb).byte(n >>> 24).byte((n >> 16) & 0xff).byte((n >> 8) & 0xff).byte(n & 0xff);
    this.buf.set(bytes, this.len);
    this.len += n;
    return this;
  }

  /** Binary data with its smallest header (bin8, bin16, bin32). */
  bin(v: Uint8Array): this {
    const n = v.length;
    this.grow(5 + n);
    if (n <= 0xff) this.byte(0xc4).byte(n);
    else if (n <= 0xffff) this.byte(0xc5).byte(n >> 8).byte(n & 0xff);
    else this.byte(0xc6).byte(n >>> 24).byte((n >> 16) & 0xff).byte((n >> 8) & 0xff).byte(n & 0xff);
    this.buf.set(v, this.len);
    this.len += n;
    return this;
  }

  /** Array header for up to 15 elements. */
  fixarray(n: number): this {
    return this.byte(0x90 | n);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** `[0, version, name]`, or `[0, version, name, resume]` with a resume token. */
export function encodeHello(m: Omit<Hello, 'type'>): Uint8Array {
  const w = new Writer().fixarray(m.resume ? 4 : 3).uint(0).uint(m.version).str(m.name);
  if (m.resume) {
    if (m.resume.length !== RESUME_TOKEN_BYTES) throw new RangeError(`a resume token is ${RESUME_TOKEN_BYTES} bytes`);
    w.bin(m.resume);
  }
  return w.finish();
}

export function encodeInput(m: Omit<Input, 'type'>): Uint8Array {
  return new Writer().fixarray(6).uint(1).uint(m.seq).f32(m.dx).f32(m.dy).f32(m.aim).uint(m.buttons & 0xff).finish();
}

export function encodePing(m: Omit<Ping, 'type'>): Uint8Array {
  return new Writer().fixarray(2).uint(2).f64(m.client_time).finish();
}
