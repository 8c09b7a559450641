/**
 * AES-256-GCM sealing of stored secrets: round trips for any text (fast-check), and every way a sealed
 * value can fail to open says why: another key (named by id), another row, a changed byte, a bad shape.
 * The known-answer check opens the published AES-256-GCM vector: test case 14 of McGrew & Viega, "The
 * Galois/Counter Mode of Operation" (all-zero 256-bit key and 96-bit IV, one zero block →
 * cea7403d4d606b6e074ec5d3baf39d18, tag d0d1c8a799996bf0265b98b5d48ab919).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSealed, keyIdOf, openSecret, SecretBoxError, sealedKeyId, sealSecret } from './secret-box.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const ring = (...keys: Buffer[]) => new Map(keys.map((k) => [keyIdOf(k), k]));

describe('secret box', () => {
  it('opens what it sealed, for any text, and the sealed form never contains the text', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 300 }),
        fc.string({ maxLength: 60 }),
        (secret, aad) => {
          const sealed = sealSecret(keyA, secret, aad);
          expect(isSealed(sealed)).toBe(true);
          expect(sealedKeyId(sealed)).toBe(keyIdOf(keyA));
          expect(sealed.includes(secret)).toBe(false);
          expect(openSecret(ring(keyA), sealed, aad)).toBe(secret);
        },
      ),
    );
  });

  it('seals the same text differently each time (random IV)', () => {
    expect(sealSecret(keyA, 'same secret text', 'x')).not.toBe(sealSecret(keyA, 'same secret text', 'x'));
  });

  it('matches the published AES-256-GCM test vector (test case 14)', () => {
    const zero = Buffer.alloc(32);
    const body = Buffer.from('cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919', 'hex');
    const sealed = `vgs1:${keyIdOf(zero)}:${Buffer.alloc(12).toString('base64url')}:${body.toString('base64url')}`;
    // The vector's plaintext is one zero block and it has no associated data.
    expect(openSecret(ring(zero), sealed, '')).toBe('\0'.repeat(16));
  });

  it('names the key a value needs when another key is configured', () => {
    const sealed = sealSecret(keyA, 'webhook-secret-0123456789abcdef-xyz', 'row-1');
    expect(() => openSecret(ring(keyB), sealed, 'row-1')).toThrow(
      new SecretBoxError(`sealed with key ${keyIdOf(keyA)}, but the configured key is ${keyIdOf(keyB)}`),
    );
    expect(openSecret(ring(keyB, keyA), sealed, 'row-1')).toBe('webhook-secret-0123456789abcdef-xyz');
  });

  it('refuses a value moved to another row or changed in any character', () => {
    const sealed = sealSecret(keyA, 'webhook-secret-0123456789abcdef-xyz', 'row-1');
    expect(() => openSecret(ring(keyA), sealed, 'row-2')).toThrow(/altered or belongs elsewhere/);
    fc.assert(
      fc.property(fc.integer({ min: 'vgs1:'.length + 17, max: sealed.length - 1 }), (i) => {
        const c = sealed[i] === 'A' ? 'B' : 'A';
        const changed = sealed.slice(0, i) + c + sealed.slice(i + 1);
        if (changed[i] === ':' || sealed[i] === ':') return;
        expect(() => openSecret(ring(keyA), changed, 'row-1')).toThrow(SecretBoxError);
      }),
    );
    expect(() => openSecret(ring(keyA), 'vgs1:nonsense', 'row-1')).toThrow(/malformed/);
    expect(() => openSecret(ring(keyA), 'plain text secret', 'row-1')).toThrow(/not sealed/);
    expect(sealedKeyId('plain text secret')).toBeNull();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => sealSecret(randomBytes(16), 'x', 'y')).toThrow(/32 bytes/);
  });
});
