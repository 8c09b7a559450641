/**
 * @module How long the sensor waits before restarting a capture tool that died: exponential, capped, and
 * back to the start once a run has lasted long enough to count as healthy. Pure arithmetic, so it is tested
 * without waiting.
 */

export interface BackoffOptions {
  /** First delay (default 1 s). */
  initialMs?: number;
  /** Largest delay (default 60 s): a tool that keeps dying is retried once a minute, not given up on. */
  maxMs?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** A run at least this long resets the delay (default 60 s): one crash a day is not a crash loop. */
  healthyRunMs?: number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly healthyRunMs: number;
  /** Consecutive short runs so far. */
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 60_000);
    this.factor = options.factor ?? 2;
    this.healthyRunMs = options.healthyRunMs ?? 60_000;
  }

  /** The delay before the next start, given how long the run that just ended lasted. */
  next(runMs: number): number {
    if (runMs >= this.healthyRunMs) this.failures = 0;
    const delay = Math.min(this.maxMs, this.initialMs * this.factor ** this.failures);
    // Past the cap the exponent no longer matters; stop it growing towards Infinity.
    if (delay < this.maxMs) this.failures++;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }
}
