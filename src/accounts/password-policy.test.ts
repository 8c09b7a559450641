import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPassword, MIN_PASSWORD_LENGTH } from './password-policy.js';

describe('password policy (NIST SP 800-63B)', () => {
  it('accepts long passphrases without composition rules', () => {
    expect(checkPassword('correct horse battery staple')).toEqual([]);
    expect(checkPassword('infusionpumpsneedpatching')).toEqual([]);
    expect(checkPassword('Ünïcödé pässwörd ☕ ok')).toEqual([]);
  });

  it('refuses short passwords', () => {
    expect(checkPassword('Xy7$kq2!')).toContain(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  });

  it('refuses common and breached passwords, also padded with digits', () => {
    for (const p of [
      'qwerty123456',
      '1qaz2wsx3edc4rfv',
      'password1234!',
      'baseball2024!!',
      'iloveyou123456',
    ]) {
      expect(checkPassword(p), p).toContain('is a commonly used or breached password');
    }
  });

  it('refuses the username, repeats and sequences', () => {
    expect(checkPassword('nurse.jones-2026-secure', { username: 'nurse.jones' })).toContain(
      'must not contain the username',
    );
    expect(checkPassword('aaaaaaaaaaaaaa')).toContain('must not be one repeated character');
    expect(checkPassword('abcdefghijklmn')).toContain('must not be a simple sequence');
    expect(checkPassword('vigilvigil2026')).toContain('is too easy to guess');
  });

  it('never accepts anything shorter than the minimum', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: MIN_PASSWORD_LENGTH - 1 }), (p) => checkPassword(p).length > 0),
    );
  });
});
