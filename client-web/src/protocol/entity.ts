// Entity records on the wire: `[id, mask, value...]`, one value per set mask bit in ascending bit order.

import { ProtocolError, type EntityFields, type EntityRecord } from './types';

/** Field names by bit number (docs/PROTOCOL.md section 5). The order is part of the wire format. */
export const FIELD_BITS = [
  'kind',
  'x',
  'y',
  'angle',
  'name',
  'colour',
  'health',
  'score',
  'kills',
  'deaths',
  'owner',
  'flags',
  'vx',
  'vy',
  'since',
] as const satisfies readonly (keyof EntityFields)[];

export type FieldName = (typeof FIELD_BITS)[number];

/** A mask with a bit above the last known field is an error. */
const MAX_MASK = (1 << FIELD_BITS.length) - 1;

/** Integer range of each numeric field, for validation. */
const INT_RANGE: Record<Exclude<FieldName, 'name'>, readonly [number, number]> = {
  kind: [0, 0xff],
  x: [-0x8000_0000, 0x7fff_ffff],
  y: [-0x8000_0000, 0x7fff_ffff],
  angle: [-0x8000, 0x7fff],
  colour: [0, 0xffff_ffff],
  health: [0, 0xffff],
  score: [-0x8000_0000, 0x7fff_ffff],
  kills: [0, 0xffff],
  deaths: [0, 0xffff],
  owner: [0, 0xffff_ffff],
  flags: [0, 0xff],
  vx: [-0x8000_0000, 0x7fff_ffff],
  vy: [-0x8000_0000, 0x7fff_ffff],
  since: [0, 0xffff_ffff],
};

export function expectUint(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ProtocolError(`${what}: expected an integer in [0, ${max}], got ${String(v)}`);
  }
  return v;
}

/** Decodes one entity record from its MessagePack array. */
export function decodeEntityRecord(raw: unknown): EntityRecord {
  if (!Array.isArray(raw) || raw.length < 2) {
    throw new ProtocolError('entity record: expected an array [id, mask, ...]');
  }
  const id = expectUint(raw[0], 0xffff_ffff, 'entity id');
  const mask = expectUint(raw[1], 0xffff, `entity ${id} mask`);
  if (mask > MAX_MASK) {
    throw new ProtocolError(`entity ${id}: mask 0x${mask.toString(16)} has bits above ${FIELD_BITS.length - 1}`);
  }
  const record: EntityRecord = { id };
  let at = 2;
  for (let bit = 0; bit < FIELD_BITS.length; bit++) {
    if ((mask & (1 << bit)) === 0) continue;
    const field = FIELD_BITS[bit]!;
    if (at >= raw.length) throw new ProtocolError(`entity ${id}: missing value for ${field}`);
    const value: unknown = raw[at++];
    if (field === 'name') {
      if (typeof value !== 'string') throw new ProtocolError(`entity ${id}: name must be a string`);
      record.name = value;
    } else {
      const [lo, hi] = INT_RANGE[field];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
        throw new ProtocolError(`entity ${id}: ${field} must be an integer in [${lo}, ${hi}], got ${String(value)}`);
      }
      record[field] = value;
    }
  }
  if (at !== raw.length) {
    throw new ProtocolError(`entity ${id}: ${raw.length - at} value(s) beyond its mask`);
  }
  return record;
}

/** Merges a change (or spawn) into held fields, returning a new object: held records are never mutated. */
export function mergeFields(held: EntityFields | undefined, change: EntityRecord): EntityFields {
  const out: EntityFields = { ...held };
  for (const field of FIELD_BITS) {
    const v = change[field];
    if (v !== undefined) (out as Record<string, unknown>)[field] = v;
  }
  return out;
}
