import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('login throttle', () => {
  const t0 = Date.parse('2026-03-01T08:00:00Z');

  it('counts an attempt when it starts, so attempts still running fill the window', () => {
    const throttle = new LoginThrottle(3, 60_000);
    // Three attempts in flight, none finished: the fourth is turned away already.
    for (let i = 0; i < 3; i++) expect(throttle.reserve('10.9.9.9', t0)).toHaveProperty('release');
    expect(throttle.reserve('10.9.9.9', t0 + 1000)).toEqual({ retryAfter: 59 });
    expect(throttle.retryAfter('10.9.9.9', t0 + 1000)).toBe(59);
    // Another address is not affected; the window slides.
    expect(throttle.reserve('10.1.1.1', t0 + 1000)).toHaveProperty('release');
    expect(throttle.reserve('10.9.9.9', t0 + 60_001)).toHaveProperty('release');
  });

  it('an attempt that did not fail gives its place back, once', () => {
    const throttle = new LoginThrottle(2, 60_000);
    const failed = throttle.reserve('10.9.9.9', t0);
    expect(failed).toHaveProperty('release');
    // Successful sign-ins from the same address never use up the window.
    for (let i = 1; i <= 5; i++) {
      const ok = throttle.reserve('10.9.9.9', t0 + i);
      if (!('release' in ok)) throw new Error(`attempt ${i} refused`);
      ok.release();
      ok.release(); // a second release takes nothing more back
    }
    expect(throttle.reserve('10.9.9.9', t0 + 10)).toHaveProperty('release');
    expect(throttle.reserve('10.9.9.9', t0 + 11)).toEqual({ retryAfter: 60 });
  });
});
