// Rates over a sliding one-second window: inbound bytes per second, frames per second.

export class RateMeter {
  private events: { at: number; amount: number }[] = [];
  private sum = 0;

  constructor(private readonly windowMs = 1000) {}

  add(nowMs: number, amount = 1): void {
    this.events.push({ at: nowMs, amount });
    this.sum += amount;
    this.trim(nowMs);
  }

  /** Amount per second over the window ending at `nowMs`. */
  rate(nowMs: number): number {
    this.trim(nowMs);
    return (this.sum * 1000) / this.windowMs;
  }

  private trim(nowMs: number): void {
    while (this.events.length > 0 && this.events[0]!.at <= nowMs - this.windowMs) {
      this.sum -= this.events.shift()!.amount;
    }
  }
}

/** Exponentially smoothed round-trip time. */
export class RttEstimator {
  value: number | null = null;
  last: number | null = null;

  add(rttMs: number): void {
    this.last = rttMs;
    this.value = this.value === null ? rttMs : this.value * 0.75 + rttMs * 0.25;
  }

  reset(): void {
    this.value = null;
    this.last = null;
  }
}
