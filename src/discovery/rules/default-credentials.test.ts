import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkDefaultCredential,
  DEFAULT_CREDENTIALS,
  defaultCredentialEntry,
} from './default-credentials.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('default credentials', () => {
  it('every entry cites a source, stores only a SHA-256 of the password, and ids are unique', () => {
    expect(DEFAULT_CREDENTIALS.length).toBeGreaterThanOrEqual(8);
    expect(new Set(DEFAULT_CREDENTIALS.map((e) => e.id)).size).toBe(DEFAULT_CREDENTIALS.length);
    const raw = readFileSync(new URL('./default-credentials.json', import.meta.url), 'utf8');
    expect(raw).not.toMatch(/"password"\s*:/);
    for (const e of DEFAULT_CREDENTIALS) {
      expect(e.passwordSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(e.source.length).toBeGreaterThan(20);
    }
  });

  it('matches the documented APC Network Management Card logins (user guide: apc/apc, device/apc)', () => {
    expect(checkDefaultCredential('apc', enc('apc'))).toBe('apc-nmc-administrator');
    expect(checkDefaultCredential('device', enc('apc'))).toBe('apc-nmc-device');
    expect(defaultCredentialEntry('apc-nmc-administrator')).toMatchObject({
      vendor: 'APC (Schneider Electric)',
    });
  });

  it('needs both user name and password to match', () => {
    expect(checkDefaultCredential('apc', enc('APC'))).toBeUndefined();
    expect(checkDefaultCredential('admin', enc('apc'))).toBeUndefined();
    expect(checkDefaultCredential(undefined, enc('apc'))).toBeUndefined();
    expect(checkDefaultCredential('apc', enc(''))).toBeUndefined();
    expect(defaultCredentialEntry('nope')).toBeUndefined();
  });
});
