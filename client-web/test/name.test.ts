// The typed name, cut as the server counts (code points), never inside a character as the reader sees it.

import { describe, expect, it } from 'vitest';
import { cutName, MAX_NAME_CHARS } from '../src/protocol/types';

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
