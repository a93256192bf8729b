// The typed name, cut as the server counts (code points), never inside a character as the reader sees it.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cutName, MAX_NAME_CHARS, NAME_FIELD_MAXLENGTH } from '../src/protocol/types';

const INDEX_HTML = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'index.html'), 'utf8');
const SHARED_LIB = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'src', 'lib.rs'), 'utf8');

describe('cutName', () => {
  it('keeps 16 code points, not 16 UTF-16 units', () => {
    // 16 characters the server keeps whole: 8 of them emoji, two UTF-16 units each.
    const name = 'Zoë 日本語 🎮🎮🎮🎮🎮🎮🎮🎮';
    expect(Array.from(name).length).toBe(16);
    expect(cutName(name)).toBe(name);
    expect(cutName(`${name}x`)).toBe(name);
    expect(MAX_NAME_CHARS).toBe(16);
  });

  it('never leaves half an emoji', () => {
    const cut = cutName('abcdefghijklmno🎮');
    expect(cut).toBe('abcdefghijklmno🎮');
    expect(cutName('abcdefghijklmnop🎮')).toBe('abcdefghijklmnop');
    expect(cut).not.toContain('\uFFFD');
  });

  it('keeps a joined emoji whole or drops it whole', () => {
    const family = '\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}'; // 5 code points, one character on screen
    expect(cutName(`abcdefghijk${family}`)).toBe(`abcdefghijk${family}`); // 11 + 5 = 16
    expect(cutName(`abcdefghijkl${family}`)).toBe('abcdefghijkl'); // 12 + 5 > 16: not split
  });

  it('drops leading spaces only', () => {
    expect(cutName('  ann smith ')).toBe('ann smith ');
    expect(cutName('')).toBe('');
  });
});

describe('the join form', () => {
  it("keeps the server's limit: MAX_NAME_CHARS is shared's, and the form says it", () => {
    expect(SHARED_LIB).toMatch(new RegExp(`pub const MAX_NAME_CHARS: usize = ${MAX_NAME_CHARS};`));
    const input = INDEX_HTML.match(/<input id="name"[^>]*>/)?.[0] ?? '';
    expect(input).toMatch(new RegExp(`maxlength="${NAME_FIELD_MAXLENGTH}"`));
    expect(INDEX_HTML).toContain(`up to <span id="name-limit">${MAX_NAME_CHARS}</span> characters`);
  });

  it('has a maxlength that never cuts a name the server keeps, and no more', () => {
    // The longest name the server keeps, in UTF-16 units: 16 code points beyond the BMP.
    const widest = '🎮'.repeat(MAX_NAME_CHARS);
    expect(cutName(widest)).toBe(widest);
    expect(widest.length).toBe(NAME_FIELD_MAXLENGTH);
    expect(cutName(`${widest}🎮`).length).toBeLessThanOrEqual(NAME_FIELD_MAXLENGTH);
  });
});
