/**
 * @module Documented manufacturer default logins (data in default-credentials.json, each entry citing
 * its public source) and the in-process check the cleartext-login dissectors call. Passwords exist here
 * only as SHA-256 hashes; a match is reported by entry id, vendor and product, never by value.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CredentialCheck } from '../../dissect/credential-check.js';
import type { Evidence, FindingObservation } from '../host-observation.js';
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

/** What the server answered to a login with default credentials (a refused one raises nothing). */
export type DefaultLoginOutcome = 'accepted' | 'not refused';

/**
 * The `default-credentials` finding for a login that matched entry `id` on `ip`:`port` and was not refused.
 * One shape for every source (captures, Suricata EVE): subject `PROTOCOL:PORT:ENTRY`.
 */
export function defaultCredentialFinding(
  id: string,
  login: { protocol: string; ip: string; port: number; evidence: Evidence; outcome: DefaultLoginOutcome },
): FindingObservation | undefined {
  const entry = byId.get(id);
  if (!entry) return undefined;
  const { protocol, port, outcome } = login;
  return {
    type: 'default-credentials',
    host: { ip: login.ip },
    subject: `${protocol}:${port}:${entry.id}`,
    evidence: {
      ...login.evidence,
      summary: `${protocol} login with the documented default credentials of ${entry.vendor} ${entry.product} (${outcome})`,
    },
    details: {
      protocol,
      port,
      entry: entry.id,
      vendor: entry.vendor,
      product: entry.product,
      loginResult: outcome,
      source: entry.url,
    },
  };
}
