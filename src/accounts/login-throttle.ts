/**
 * @module Per-address login throttling (a sliding window in memory), on top of the per-account lockout
 * kept in the database. Slows password spraying across many accounts from one address, which the
 * per-account lockout alone would not stop.
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly maxAttempts = 20,
    private readonly windowMs = 5 * 60_000,
  ) {}

  /** Seconds until the address may try again, or 0 if it may try now. */
  retryAfter(address: string, now = Date.now()): number {
    const recent = this.recent(address, now);
    if (recent.length < this.maxAttempts) return 0;
    return Math.ceil((recent[0]! + this.windowMs - now) / 1000);
  }

  recordFailure(address: string, now = Date.now()): void {
    const recent = this.recent(address, now);
    recent.push(now);
    this.attempts.set(address, recent);
    if (this.attempts.size > 10_000) this.prune(now);
  }

  private recent(address: string, now: number): number[] {
    return (this.attempts.get(address) ?? []).filter((t) => t > now - this.windowMs);
  }

  private prune(now: number): void {
    for (const [addr, times] of this.attempts) {
      if (times.every((t) => t <= now - this.windowMs)) this.attempts.delete(addr);
    }
  }
}
