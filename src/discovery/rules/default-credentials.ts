/**
 * @module Documented manufacturer default logins (data in default-credentials.json, each entry citing
 * its public source) and the in-process check the cleartext-login dissectors call. Passwords exist here
 * only as SHA-256 hashes; a match is reported by entry id, vendor and product, never by value.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CredentialCheck } from '../../dissect/credential-check.js';
import data from './default-credentials.json' with { type: 'json' };

const entrySchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  vendor: z.string().min(1),
  product: z.string().min(1),
  /** Compared case-sensitively; null matches any user name (a PIN-only login). */
  username: z.string().nullable(),
  passwordSha256: z.string().regex(/^[0-9a-f]{64}$/),
  protocols: z.array(z.enum(['telnet', 'ftp', 'http', 'mqtt'])).min(1),
  source: z.string().min(10),
  url: z.string().url(),
});

export type DefaultCredential = z.infer<typeof entrySchema>;

/** The validated list (a broken data file fails at load, naming the entry). */
export const DEFAULT_CREDENTIALS: readonly DefaultCredential[] = z
  .object({ entries: z.array(entrySchema) })
  .parse(data).entries;

const byHash = new Map<string, DefaultCredential[]>();
for (const e of DEFAULT_CREDENTIALS)
  byHash.set(e.passwordSha256, [...(byHash.get(e.passwordSha256) ?? []), e]);
const byId = new Map(DEFAULT_CREDENTIALS.map((e) => [e.id, e]));

/**
 * Whether a cleartext login is a documented default: the id of the matching entry, or undefined. The
 * password is hashed once and compared with the stored hashes; neither value is kept.
 * @example
 * checkDefaultCredential('apc', new TextEncoder().encode('apc')); // 'apc-nmc-administrator'
 */
export const checkDefaultCredential: CredentialCheck = (username, password) => {
  if (password.length === 0 || password.length > 128) return undefined;
  const candidates = byHash.get(createHash('sha256').update(password).digest('hex'));
  if (!candidates) return undefined;
  return candidates.find((e) => e.username === null || e.username === username)?.id;
};

export function defaultCredentialEntry(id: string): DefaultCredential | undefined {
  return byId.get(id);
}
