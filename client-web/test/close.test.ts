import { describe, expect, it } from 'vitest';
import { describeClose, reconnectDelayMs } from '../src/protocol/close';

describe('close codes', () => {
  it('reconnects by itself after transient closes only', () => {
    for (const code of [1001, 1006, 1013, 4004]) expect(describeClose(code, '').transient, `code ${code}`).toBe(true);
    for (const code of [1000, 1003, 1007, 1008, 4000, 4001, 4003]) {
      expect(describeClose(code, '').transient, `code ${code}`).toBe(false);
    }
  });

  it("shows the operator's reason for a kick and names version mismatches", () => {
    const kick = describeClose(4001, 'spamming');
    expect(kick.message).toContain('kicked');
    expect(kick.message).toContain('spamming');
    expect(describeClose(4000, 'server speaks version 1').message).toMatch(/version mismatch/i);
    expect(describeClose(1013, '').message).toMatch(/full/);
    expect(describeClose(1001, 'server shutting down').message).toMatch(/shutting down/);
    expect(describeClose(4999, '').message).toContain('4999');
  });

  it('backs off exponentially with a cap, longer when the server is full', () => {
    const mid = () => 0.5;
    expect(reconnectDelayMs(1006, 0, mid)).toBe(500);
    expect(reconnectDelayMs(1006, 1, mid)).toBe(1000);
    expect(reconnectDelayMs(1006, 3, mid)).toBe(4000);
    expect(reconnectDelayMs(1006, 30, mid)).toBe(15000);
    expect(reconnectDelayMs(1013, 0, mid)).toBe(5000);
  });
});
