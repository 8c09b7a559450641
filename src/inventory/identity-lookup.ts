/**
 * @module Builds an IdentityLookup over the database for a batch of candidates: every record any of
 * their keys reaches is fetched once, with one query per key kind (see `findIdentityCandidates`).
 */
import { findIdentityCandidates } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';
import { type CandidateKeys, IdentityIndex } from './identity.js';

export async function loadIdentityIndex(
  h: DbHandle,
  candidates: readonly CandidateKeys[],
): Promise<IdentityIndex> {
  const sets = {
    assetTagKeys: new Set<string>(),
    udiKeys: new Set<string>(),
    serialKeys: new Set<string>(),
    macs: new Set<string>(),
    ips: new Set<string>(),
    hostnames: new Set<string>(),
  };
  for (const c of candidates) {
    if (c.assetTagKey) sets.assetTagKeys.add(c.assetTagKey);
    if (c.udiKey) sets.udiKeys.add(c.udiKey);
    if (c.serialKey) sets.serialKeys.add(c.serialKey);
    for (const m of c.macs) sets.macs.add(m);
    for (const ip of c.ips) sets.ips.add(ip);
    for (const hn of c.hostnames) sets.hostnames.add(hn);
  }
  const found = await findIdentityCandidates(h, {
    assetTagKeys: [...sets.assetTagKeys],
    udiKeys: [...sets.udiKeys],
    serialKeys: [...sets.serialKeys],
    macs: [...sets.macs],
    ips: [...sets.ips],
    hostnames: [...sets.hostnames],
  });
  const index = new IdentityIndex();
  const byId = new Map(found.devices.map((d) => [d.id, d]));
  for (const d of found.devices) index.add(d);
  for (const i of found.identifiers) {
    const d = byId.get(i.deviceId);
    if (d) index.addIdentifier(i.kind, i.value, d);
  }
  return index;
}
