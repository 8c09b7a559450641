/**
 * The hand-written recipient check against the age library itself (typage's `Encrypter.addRecipient`,
 * which decodes the key) on public keys printed by the real age-keygen, single-character changes of them,
 * keys with a valid checksum but bits past the 32 bytes, and random text.
 */
import { bech32 } from '@scure/base';
import { Encrypter } from 'age-encryption';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageKeygen, describeWithAge } from '../../test/age-tool.js';
import { ageRecipientProblem } from './age-recipient.js';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
/** Printed by age-keygen 1.1.1 (its secret key was not kept). */
const PRINTED = 'age1pm45n5vnf22evsa5y6840yc2uvmz3hvynk30wg6z6u06jgk285eskrx6xx';

const libraryAccepts = (value: string): boolean => {
  try {
    new Encrypter().addRecipient(value);
    return true;
  } catch {
    return false;
  }
};
const accepts = (value: string) => ageRecipientProblem(value) === null;

describe('age recipient check', () => {
  it('accepts what age-keygen prints and refuses every single-character change of it, as the age library does', () => {
    expect(accepts(PRINTED)).toBe(true);
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: PRINTED.length - 1 }),
        fc.integer({ min: 1, max: 31 }),
        (at, shift) => {
          const c = CHARSET[(CHARSET.indexOf(PRINTED[at]!) + shift) % 32]!;
          const changed = PRINTED.slice(0, at) + c + PRINTED.slice(at + 1);
          expect(accepts(changed)).toBe(false);
          expect(libraryAccepts(changed)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a valid checksum over more than the 32 bytes of a key (non-zero padding), as the library does', () => {
    const words = bech32.decode(PRINTED as `${string}1${string}`).words;
    for (const last of [1, 2, 4, 8]) {
      const padded = bech32.encode('age', [...words.slice(0, -1), words.at(-1)! | last]);
      expect(padded).toHaveLength(PRINTED.length);
      expect(accepts(padded)).toBe(false);
      expect(libraryAccepts(padded)).toBe(false);
    }
  });

  it('agrees with the library on any text, and on any 32 bytes encoded as a key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^age1[02-9ac-hj-np-z]{58}$/)), (text) => {
        expect(accepts(text)).toBe(libraryAccepts(text));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const recipient = bech32.encode('age', bech32.toWords(key));
        expect(accepts(recipient)).toBe(true);
        expect(libraryAccepts(recipient)).toBe(true);
      }),
    );
  });

  it('names what was given instead: a secret key (without repeating it), an SSH or post-quantum key', () => {
    expect(ageRecipientProblem(PRINTED.toUpperCase())).toMatch(/is not an age public key/);
    expect(ageRecipientProblem('AGE-SECRET-KEY-1QQQ')).not.toContain('1QQQ');
    expect(ageRecipientProblem('ssh-ed25519 AAAAC3Nza')).toMatch(/is an SSH public key/);
    expect(ageRecipientProblem('age1pq1abc')).toMatch(/post-quantum/);
    expect(ageRecipientProblem('age1tag1abc')).toMatch(/post-quantum or tag/);
  });

  it('accepts an X25519 key whose data begins like a post-quantum or tag recipient ("pq", "tag")', () => {
    // bech32 of 32 bytes beginning 0x08 0x00 (found by the property above): "age1pq…".
    const key = new Uint8Array(32);
    key[0] = 8;
    const pq = bech32.encode('age', bech32.toWords(key));
    expect(pq.startsWith('age1pq')).toBe(true);
    expect(libraryAccepts(pq)).toBe(true);
    expect(ageRecipientProblem(pq)).toBeNull();
  });
});

describeWithAge('age recipient check against age-keygen')('age recipient check with age-keygen', () => {
  it('accepts the public keys age-keygen makes', () => {
    for (let i = 0; i < 5; i++) {
      const { recipient } = ageKeygen();
      expect(accepts(recipient), recipient).toBe(true);
    }
  });
});
