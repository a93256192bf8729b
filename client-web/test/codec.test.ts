// The codec against the golden fixtures written by the Rust encoder (shared/fixtures).

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '@msgpack/msgpack';
import { decodeMoves, decodeServerMessage, encodeHello, encodeInput, encodePing } from '../src/protocol/codec';
import { decodeEntityRecord } from '../src/protocol/entity';
import { ProtocolError, type Delta, type Hello, type Input, type Ping, type Welcome } from '../src/protocol/types';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'fixtures');
const index = JSON.parse(readFileSync(join(FIXTURES, 'index.json'), 'utf8')) as Record<string, { type: string }>;
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, `${name}.msgpack`)));
const strip = <T extends { type: string }>(m: T): Omit<T, 'type'> => {
  const { type: _type, ...rest } = m;
  return rest;
};
/** index.json's entry with its byte arrays (the resume token, a MessagePack bin) as the Uint8Array it decodes to. */
const expected = (name: string): Record<string, unknown> => {
  const entry = { ...index[name] } as Record<string, unknown>;
  if (Array.isArray(entry.resume)) entry.resume = Uint8Array.from(entry.resume as number[]);
  return entry;
};

const SERVER = ['welcome', 'snapshot', 'delta', 'pong', 'error'];
const CLIENT = ['hello', 'hello_resume', 'input', 'ping'];

describe('fixtures', () => {
  it('index.json names every fixture file, and the client knows every one of them', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.msgpack')).map((f) => f.replace('.msgpack', ''));
    expect(files.sort()).toEqual(Object.keys(index).sort());
    expect([...SERVER, ...CLIENT].sort()).toEqual(files.sort());
  });
});

describe('decoding server messages', () => {
  for (const name of SERVER) {
    it(`decodes ${name}.msgpack exactly as index.json describes it`, () => {
      expect(decodeServerMessage(bytes(name))).toEqual(expected(name));
    });
  }

  it('decodes the resume token as 16 bytes (a copy, not a view of the frame)', () => {
    const frame = bytes('welcome');
    const w = decodeServerMessage(frame) as Welcome;
    expect(w.resume).toBeInstanceOf(Uint8Array);
    expect([...w.resume!]).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(w.resume!.byteLength).toBe(w.resume!.buffer.byteLength);
  });

  it('accepts the welcome of servers without a view (8 elements), a token (7) or rules (6)', () => {
    const raw = decode(bytes('welcome')) as unknown[];
    const seven = decodeServerMessage(encode(raw.slice(0, 7))) as Welcome;
    expect(seven.resume).toBeUndefined();
    expect(seven.rules).toEqual(expected('welcome').rules);
    const six = decodeServerMessage(encode(raw.slice(0, 6))) as Welcome;
    expect(six.rules).toBeUndefined();
    expect(six.you).toBe(9);
  });

  it('rejects a resume token that is not a 16-byte bin', () => {
    const raw = decode(bytes('welcome')) as unknown[];
    const withToken = (t: unknown) => encode([...raw.slice(0, 7), t]);
    expect(() => decodeServerMessage(withToken(new Uint8Array(15)))).toThrow(/16 bytes, got 15/);
    expect(() => decodeServerMessage(withToken(new Uint8Array(17)))).toThrow(/16 bytes, got 17/);
    expect(() => decodeServerMessage(withToken(Array.from({ length: 16 }, () => 1)))).toThrow(/expected a bin/);
    expect(() => decodeServerMessage(withToken('0123456789abcdef'))).toThrow(/expected a bin/);
    expect(() => decodeServerMessage(encode([...raw, new Uint8Array(16)]))).toThrow(/welcome: expected 9/);
  });

  it('decodes the view of a 9-element welcome: a number, or nil for the whole arena', () => {
    // The fixture is the 9-element welcome of a map with a [view]: view 437.5.
    const raw = decode(bytes('welcome')) as unknown[];
    expect(raw).toHaveLength(9);
    expect(raw[8]).toBe(437.5);
    expect((decodeServerMessage(bytes('welcome')) as Welcome).view).toBe(437.5);
    const eight = raw.slice(0, 8);
    // A whole number (rmp writes f32 450.0 as a float, msgpack-javascript as an int) is a view too.
    expect((decodeServerMessage(encode([...eight, 450])) as Welcome).view).toBe(450);
    // nil: the whole arena; everything else decodes as before.
    const nil = decodeServerMessage(encode([...eight, null])) as Welcome;
    expect(nil.view).toBeUndefined();
    expect('view' in nil).toBe(false);
    expect(nil).toEqual({ ...expected('welcome'), view: undefined });
    // Servers that predate it: 8 elements, no view.
    expect((decodeServerMessage(encode(eight)) as Welcome).view).toBeUndefined();
    expect(decodeServerMessage(encode(eight))).toEqual(nil);
  });

  it('rejects a view that is not a positive finite number', () => {
    const raw = decode(bytes('welcome')) as unknown[];
    const withView = (v: unknown) => encode([...raw.slice(0, 8), v]);
    expect(() => decodeServerMessage(withView('437.5'))).toThrow(/view: expected a number/);
    expect(() => decodeServerMessage(withView(new Uint8Array(16)))).toThrow(/view: expected a number/);
    expect(() => decodeServerMessage(withView([437.5]))).toThrow(/view: expected a number/);
    expect(() => decodeServerMessage(withView(true))).toThrow(/view: expected a number/);
    expect(() => decodeServerMessage(withView(Infinity))).toThrow(/view: expected a number/);
    expect(() => decodeServerMessage(withView(NaN))).toThrow(/view: expected a number/);
    expect(() => decodeServerMessage(withView(0))).toThrow(/view: expected a positive number/);
    expect(() => decodeServerMessage(withView(-10))).toThrow(/view: expected a positive number/);
    expect(() => decodeServerMessage(encode([...raw, 1]))).toThrow(/welcome: expected 9 elements, got 10/);
  });

  it('accepts an ArrayBuffer as the browser hands it over', () => {
    const b = bytes('delta');
    const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    expect(decodeServerMessage(copy)).toEqual(expected('delta'));
  });

  it('rejects trailing bytes, bad shapes, unknown types and masks above the last field', () => {
    const pong = bytes('pong');
    expect(() => decodeServerMessage(new Uint8Array([...pong, 0x00]))).toThrow(ProtocolError);
    expect(() => decodeServerMessage(new Uint8Array([0x92, 0x03, 0x01]))).toThrow(/pong: expected 3/);
    expect(() => decodeServerMessage(new Uint8Array([0x91, 0x09]))).toThrow(/unknown server message type 9/);
    expect(() => decodeServerMessage(new Uint8Array([0xc1]))).toThrow(ProtocolError);
    expect(() => decodeEntityRecord([1, 0x8000])).toThrow(/bits above 14/);
    expect(() => decodeEntityRecord([1, 0b11, 0])).toThrow(/missing value for x/);
    expect(() => decodeEntityRecord([1, 0b1, 0, 5])).toThrow(/beyond its mask/);
    expect(() => decodeEntityRecord([1, 0b1000, 40000])).toThrow(/angle/);
    expect(() => decodeEntityRecord([1, 0b10000, 7])).toThrow(/name must be a string/);
  });
});

describe('moves', () => {
  it('are one flat array of [gap, dx, dy] triples in the delta fixture, ids rebuilt from the gaps', () => {
    const raw = decode(bytes('delta')) as unknown[];
    expect(raw).toHaveLength(9);
    expect(raw[8]).toEqual([9, 13, 0, 31, -1, -200]);
    expect((decodeServerMessage(bytes('delta')) as Delta).moves).toEqual([
      { id: 9, dx: 13, dy: 0 },
      { id: 40, dx: -1, dy: -200 },
    ]);
  });

  it('cost three bytes per moving entity when the steps are small', () => {
    const delta = decode(bytes('delta')) as unknown[];
    const moves = Array.from({ length: 90 }, (_, i) => [10, (i % 31) - 15, 16]).flat();
    const empty = encode([...delta.slice(0, 8), []]).length;
    expect(encode([...delta.slice(0, 8), moves]).length - empty).toBe(90 * 3 + 2);
  });

  it('accept id 0 first and a gap up to the uint32 range', () => {
    expect(decodeMoves([0, 1, 2, 0xffff_ffff, 0, 0])).toEqual([
      { id: 0, dx: 1, dy: 2 },
      { id: 0xffff_ffff, dx: 0, dy: 0 },
    ]);
    expect(decodeMoves([])).toEqual([]);
  });

  it('reject a length that is not a multiple of 3, ids not strictly ascending or past uint32, non-int32 values', () => {
    expect(() => decodeMoves([1, 1])).toThrow(/multiple of 3/);
    expect(() => decodeMoves([1, 1, 1, 0, 1, 1])).toThrow(/strictly ascending/);
    expect(() => decodeMoves([0xffff_ffff, 0, 0, 1, 0, 0])).toThrow(/uint32/);
    expect(() => decodeMoves([-1, 0, 0])).toThrow(/move gap/);
    expect(() => decodeMoves([1, 0x8000_0000, 0])).toThrow(/move dx/);
    expect(() => decodeMoves([1, 0, 1.5])).toThrow(/move dy/);
    expect(() => decodeMoves([1, 0, null])).toThrow(/move dy/);
    expect(() => decodeMoves({ 0: 1 })).toThrow(/moves: expected an array/);
    const delta = decode(bytes('delta')) as unknown[];
    expect(() => decodeServerMessage(encode(delta.slice(0, 8)))).toThrow(/delta: expected 9 elements, got 8/);
    expect(() => decodeServerMessage(encode([...delta.slice(0, 8), [1, 2, 3, 4]]))).toThrow(/multiple of 3/);
  });
});

describe('encoding client messages', () => {
  it('hello is byte-identical to hello.msgpack', () => {
    expect(encodeHello(strip(index.hello as Hello))).toEqual(bytes('hello'));
  });

  it('hello with a resume token is byte-identical to hello_resume.msgpack (a 4th element, bin 8)', () => {
    const hello = expected('hello_resume') as unknown as Hello;
    expect(hello.resume).toEqual(new Uint8Array(16).fill(165));
    const out = encodeHello(strip(hello));
    expect(out).toEqual(bytes('hello_resume'));
    expect([...out.slice(0, 1)]).toEqual([0x94]);
    expect([...out.slice(7, 9)]).toEqual([0xc4, 16]);
    // An absent token leaves the hello at 3 elements.
    expect(encodeHello({ version: 2, name: 'ann', resume: undefined })).toEqual(bytes('hello'));
  });

  it('refuses to send a resume token of the wrong length', () => {
    expect(() => encodeHello({ version: 1, name: 'ann', resume: new Uint8Array(15) })).toThrow(RangeError);
  });

  it('input is byte-identical to input.msgpack (dx, dy, aim as float32, even -1.0)', () => {
    expect(encodeInput(strip(index.input as Input))).toEqual(bytes('input'));
  });

  it('ping is byte-identical to ping.msgpack (client_time as float64)', () => {
    expect(encodePing(strip(index.ping as Ping))).toEqual(bytes('ping'));
  });

  it('writes whole-number floats as floats and integers in their smallest encoding', () => {
    expect([...encodePing({ client_time: 1000 })]).toEqual([0x92, 0x02, 0xcb, 0x40, 0x8f, 0x40, 0, 0, 0, 0, 0]);
    const small = encodeInput({ seq: 5, dx: 1, dy: 0, aim: 0, buttons: 0 });
    expect([...small.slice(0, 4)]).toEqual([0x96, 0x01, 0x05, 0xca]);
    const big = encodeInput({ seq: 70000, dx: 0, dy: 0, aim: 0, buttons: 0 });
    expect([...big.slice(2, 7)]).toEqual([0xce, 0x00, 0x01, 0x11, 0x70]);
    expect([...encodeInput({ seq: 200, dx: 0, dy: 0, aim: 0, buttons: 0 }).slice(2, 4)]).toEqual([0xcc, 200]);
  });

  it('encodes long and non-ASCII names with the right string header', () => {
    const long = encodeHello({ version: 1, name: 'x'.repeat(40) });
    expect([...long.slice(0, 5)]).toEqual([0x93, 0x00, 0x01, 0xd9, 40]);
    const utf8 = encodeHello({ version: 1, name: 'zoë' });
    expect([...utf8]).toEqual([0x93, 0x00, 0x01, 0xa4, 0x7a, 0x6f, 0xc3, 0xab]);
  });
});
