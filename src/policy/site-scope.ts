/**
 * @module What belongs to a policy's scope (one site, or every site): its segments, its devices and its
 * stored communications. A site's network is its segments, so a device nobody has placed at a site yet
 * (passive discovery stages devices without one) belongs to the site whose segments hold one of its
 * addresses, and so does a communication with such a device at one end. Without this a site's policy
 * would not know the PACS a capture found on the site's own segment: its rules would resolve to no
 * address and be left out of the exported ruleset, blocking the DICOM traffic they were proposed for.
 */
import { listCommunications, type StoredCommunication } from '../store/communication-store.js';
import {
  allSegmentRows,
  identifiersByDevice,
  type PolicyDeviceRow,
  policyDevices,
} from '../store/policy-store.js';
import type { DbHandle } from '../store/transaction.js';
import { addressMatches, type PolicySegment } from './policy-inventory.js';

/** The segments of a site (every segment when `siteId` is null). */
export async function scopeSegments(h: DbHandle, siteId: string | null): Promise<PolicySegment[]> {
  return segmentsInScope(await allSegmentRows(h), siteId);
}

/** `scopeSegments` over rows already read, for several scopes from one read. */
export function segmentsInScope(
  rows: Awaited<ReturnType<typeof allSegmentRows>>,
  siteId: string | null,
): PolicySegment[] {
  return rows
    .filter((s) => !siteId || s.site_id === siteId)
    .map((s) => ({ siteId: s.site_id, name: s.name, cidrs: JSON.parse(s.cidrs) as string[], zone: s.zone }));
}

/** Whether an address lies in one of the segments. */
export function inSegments(segments: readonly PolicySegment[]): (ip: string) => boolean {
  const cidrs = segments.flatMap((s) => s.cidrs);
  return (ip) => cidrs.some((c) => addressMatches(ip, c));
}

/**
 * The devices of a scope, each with its addresses: a site's own devices, and devices at no site with an
 * address in one of the site's segments. Every active or staged device when `siteId` is null.
 */
export async function scopeDevices(
  h: DbHandle,
  siteId: string | null,
  segments: readonly PolicySegment[],
): Promise<{ rows: PolicyDeviceRow[]; ips: Map<string, string[]> }> {
  const ips = await identifiersByDevice(h, 'ip');
  return { rows: devicesInScope(await policyDevices(h), ips, siteId, segments), ips };
}

/** `scopeDevices` over rows already read, for several scopes from one read. */
export function devicesInScope(
  rows: PolicyDeviceRow[],
  ips: ReadonlyMap<string, string[]>,
  siteId: string | null,
  segments: readonly PolicySegment[],
): PolicyDeviceRow[] {
  if (!siteId) return rows;
  const onSite = inSegments(segments);
  return rows.filter(
    (d) => d.site_id === siteId || (d.site_id === null && (ips.get(d.id) ?? []).some(onSite)),
  );
}

/**
 * The stored communications of a scope: those of the site's devices, and those of no site with either
 * end in one of the site's segments. Every communication when `siteId` is null.
 */
export async function scopeCommunications(
  h: DbHandle,
  siteId: string | null,
  segments: readonly PolicySegment[],
): Promise<StoredCommunication[]> {
  if (!siteId) return listCommunications(h);
  const onSite = inSegments(segments);
  return (await listCommunications(h, { siteId, orUnassigned: true })).filter(
    (c) => c.siteId === siteId || onSite(c.clientIp) || onSite(c.serverIp),
  );
}
