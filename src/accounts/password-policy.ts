/**
 * @module Password policy after NIST SP 800-63B §3.1.1.2: at least 12 characters, at most 128 (long
 * passphrases allowed), checked against ~49,000 common and breached passwords (the zxcvbn-ts common
 * list, MIT) and against context words (the username, "vigil", the hospital's product words); no
 * composition rules (no "one digit, one symbol"), which the guideline says not to impose.
 */
import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  // Built on first use so CLI start-up does not pay for it.
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

const CONTEXT_WORDS = ['vigil', 'password', 'hospital', 'welcome', 'changeme', 'letmein', 'admin'];

/** Returns the reasons a password is refused; an empty list means it is acceptable. */
export function checkPassword(password: string, context: { username?: string } = {}): string[] {
  const reasons: string[] = [];
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) reasons.push(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) reasons.push(`must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  // Common passwords padded with digits or symbols ("password1234!") are still common.
  const core = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  if (commonPasswords().has(lower) || (core.length >= 4 && commonPasswords().has(core))) {
    reasons.push('is a commonly used or breached password');
  }
  const username = context.username?.toLowerCase();
  if (username && username.length >= 3 && lower.includes(username))
    reasons.push('must not contain the username');
  if (CONTEXT_WORDS.some((w) => core === w || core === w.repeat(2))) reasons.push('is too easy to guess');
  if (/^(.)\1+$/u.test(password)) reasons.push('must not be one repeated character');
  if (isSequence(lower)) reasons.push('must not be a simple sequence');
  return reasons;
}

function isSequence(s: string): boolean {
  if (s.length < 4) return false;
  const step = s.charCodeAt(1) - s.charCodeAt(0);
  if (Math.abs(step) !== 1) return false;
  for (let i = 2; i < s.length; i++) if (s.charCodeAt(i) - s.charCodeAt(i - 1) !== step) return false;
  return true;
}
