// The pings' schedule (spread over the phases of the server's tick) and the smallest recent round trip.

import { describe, expect, it } from 'vitest';
import { MinRtt, PING_FAST_COUNT, PING_WINDOW_MS, pingOffsetMs } from '../src/net/ping';

describe('ping schedule', () => {
  for (const hz of [20, 30, 60, 25]) {
    it(`spreads consecutive pings over the whole tick at ${hz} Hz`, () => {
      const tickMs = 1000 / hz;
      const offsets = Array.from({ length: 60 }, (_, i) => pingOffsetMs(i + 1, tickMs));
      for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThan(offsets[i - 1]! + tickMs);
      // About one a second after the first few.
      expect(offsets[PING_FAST_COUNT - 1]!).toBeLessThanOrEqual(1000 + tickMs);
      expect(offsets[59]! - offsets[PING_FAST_COUNT - 1]!).toBeCloseTo((60 - PING_FAST_COUNT) * 1000, -2);
      // The phases within the tick of any 5 consecutive pings leave no gap wider than 0.4 tick, of any 10 none
      // wider than 0.25: whatever the phase of the server's read, one of the last few pings meets it early.
      const phase = offsets.map((o) => ((o % tickMs) + tickMs) % tickMs / tickMs);
      for (const [n, widest] of [[5, 0.4], [10, 0.25]] as const) {
        for (let start = 0; start + n <= phase.length; start++) {
          const p = phase.slice(start, start + n).sort((a, b) => a - b);
          let gap = p[0]! + 1 - p[n - 1]!;
          for (let i = 1; i < n; i++) gap = Math.max(gap, p[i]! - p[i - 1]!);
          expect(gap, `pings ${start + 1}…${start + n}`).toBeLessThanOrEqual(widest);
        }
      }
    });
  }
});

describe('MinRtt', () => {
  it('is the smallest sample of the window, and forgets older ones', () => {
    const m = new MinRtt(10_000);
    expect(m.value(0)).toBeNull();
    m.add(0, 73);
    expect(m.value(0)).toBe(73);
    m.add(1000, 40);
    m.add(2000, 9);
    m.add(3000, 30);
    expect(m.value(3000)).toBe(9);
    expect(m.value(11_999)).toBe(9);
    // 9 leaves the window: the smallest of what is left.
    expect(m.value(12_000)).toBe(30);
    // A path that got slower shows within the window.
    m.add(12_500, 50);
    expect(m.value(12_500)).toBe(30);
    expect(m.value(3000 + PING_WINDOW_MS)).toBe(50);
    // The newest sample counts however old it is (pongs stopped coming).
    expect(m.value(100_000)).toBe(50);
    m.reset();
    expect(m.value(100_000)).toBeNull();
  });
});
