/**
 * @module Password hashing with argon2id (RFC 9106), at OWASP's recommended minimum cost
 * (19 MiB, 2 iterations, 1 lane). The encoded hash carries its parameters, so raising them later
 * still verifies old hashes.
 */
import { hash, verify } from '@node-rs/argon2';

const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum the compiler cannot inline here) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the same time as a real check when the account does not exist (no user enumeration by timing). */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword('vigil-dummy-password-for-timing');
  await verifyPassword(await dummy, password);
}
