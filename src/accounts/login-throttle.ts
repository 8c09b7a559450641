/**
 * @module Per-address login throttling (a sliding window in memory), on top of the per-account lockout
 * kept in the database. Slows password spraying across many accounts from one address, which the
 * per-account lockout alone would not stop.
 *
 * An attempt is counted when it starts, before its password is checked (argon2 takes tens of ms), and
 * taken back if it was not a failure: attempts sent at the same time then see each other, where counting
 * failures once verified let any number through while the first ones were still being checked.
 */

/** A login attempt counted against its address; `release` takes it back (it did not fail). */
export interface LoginAttempt {
  release(): void;
}

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

  /**
   * Counts an attempt from `address` now, or answers how many seconds it must wait (the attempts in the
   * window, failed or still running, have reached the limit). Check and count are one synchronous step,
   * so two requests cannot both take the last place.
   */
  reserve(address: string, now = Date.now()): LoginAttempt | { retryAfter: number } {
    const wait = this.retryAfter(address, now);
    if (wait > 0) return { retryAfter: wait };
    const recent = this.recent(address, now);
    recent.push(now);
    this.attempts.set(address, recent);
    if (this.attempts.size > 10_000) this.prune(now);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const times = this.attempts.get(address);
        const at = times?.indexOf(now) ?? -1;
        if (at >= 0) times!.splice(at, 1);
      },
    };
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
