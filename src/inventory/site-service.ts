/**
 * @module Sites (a hospital, a clinic, a campus) and their network segments (name, CIDR blocks, VLAN,
 * zone): list, show, create, add a segment. Mutations check `sites:write`, run in one transaction with
 * their audit entry; an actor limited to sites sees only those and cannot create new ones.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { newId, nowIso } from '../store/ids.js';
import {
  findSegmentByName,
  findSite,
  findSitesByKeys,
  insertSegment,
  insertSites,
  listSegments,
  listSites as listSiteRows,
  type SegmentRow,
  type SiteRow,
  siteName,
  siteNameKey,
} from '../store/site-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { parseCidr } from './cidr.js';
import { parseInput } from './device-input.js';

export interface Site {
  id: string;
  name: string;
  description: string | null;
  deviceCount: number;
  segmentCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Segment {
  id: string;
  siteId: string;
  name: string;
  cidrs: string[];
  vlan: number | null;
  zone: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SiteDetail extends Site {
  segments: Segment[];
}

export const SiteInputSchema = z.strictObject({
  name: z.string().transform(siteName).pipe(z.string().min(1, 'a site needs a name').max(200)),
  description: z.string().trim().max(1000).nullable().optional(),
});

export const SegmentInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'a segment needs a name').max(100),
  cidrs: z
    .array(
      z.string().transform((v, ctx) => {
        const r = parseCidr(v);
        if (r.ok) return r.value;
        ctx.addIssue({ code: 'custom', message: r.reason });
        return z.NEVER;
      }),
    )
    .min(1, 'give at least one CIDR block')
    .max(256)
    .transform((v) => [...new Set(v)]),
  vlan: z.coerce
    .number()
    .int()
    .min(1, 'VLAN ids are 1–4094')
    .max(4094, 'VLAN ids are 1–4094')
    .nullable()
    .optional(),
  zone: z.string().trim().min(1).max(50).nullable().optional(),
});

function toSegment(r: SegmentRow): Segment {
  return {
    id: r.id,
    siteId: r.site_id,
    name: r.name,
    cidrs: JSON.parse(r.cidrs) as string[],
    vlan: r.vlan === null ? null : Number(r.vlan),
    zone: r.zone,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const toSite = (r: SiteRow & { device_count?: number; segment_count?: number }): Site => ({
  id: r.id,
  name: r.name,
  description: r.description,
  deviceCount: r.device_count ?? 0,
  segmentCount: r.segment_count ?? 0,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function listSites(h: DbHandle, actor: Actor): Promise<Site[]> {
  assertCan(actor, 'sites:read');
  return (await listSiteRows(h, actor.siteIds)).map(toSite);
}

async function resolveSite(h: DbHandle, actor: Actor, ref: string): Promise<SiteRow> {
  const site = await findSite(h, ref.trim());
  if (!site || (actor.siteIds && !actor.siteIds.includes(site.id))) throw notFound(`Site "${ref}"`);
  return site;
}

export async function getSite(h: DbHandle, actor: Actor, ref: string): Promise<SiteDetail> {
  assertCan(actor, 'sites:read');
  const site = await resolveSite(h, actor, ref);
  const summary = (await listSiteRows(h, [site.id]))[0] ?? site;
  const segments = (await listSegments(h, [site.id])).map(toSegment);
  return { ...toSite(summary), segments };
}

export async function createSite(h: DbHandle, actor: Actor, input: unknown): Promise<SiteDetail> {
  assertCan(actor, 'sites:write');
  if (actor.siteIds) throw forbidden('Your access is limited to sites, so you cannot create new ones');
  const { name, description } = parseInput(SiteInputSchema, input, 'site');
  const id = await transaction(h, async (tx) => {
    // By name only: a name that is another site's id is still a new name.
    const [existing] = await findSitesByKeys(tx, [siteNameKey(name)]);
    if (existing) throw conflict(`A site named "${existing.name}" already exists (${existing.id})`);
    const now = nowIso();
    const row: SiteRow = {
      id: newId(),
      name,
      name_key: siteNameKey(name),
      description: description || null,
      created_at: now,
      updated_at: now,
    };
    await insertSites(tx, [row]);
    await appendAudit(tx, {
      actor,
      action: 'site.create',
      target: { type: 'site', id: row.id },
      summary: { after: { name, description: row.description } },
    });
    return row.id;
  });
  return getSite(h, actor, id);
}

export async function addSegment(
  h: DbHandle,
  actor: Actor,
  siteRef: string,
  input: unknown,
): Promise<Segment> {
  assertCan(actor, 'sites:write');
  const seg = parseInput(SegmentInputSchema, input, 'segment');
  return transaction(h, async (tx) => {
    const site = await resolveSite(tx, actor, siteRef);
    if (await findSegmentByName(tx, site.id, seg.name))
      throw conflict(`Site "${site.name}" already has a segment "${seg.name}"`);
    const now = nowIso();
    const row: SegmentRow = {
      id: newId(),
      site_id: site.id,
      name: seg.name,
      cidrs: JSON.stringify(seg.cidrs),
      vlan: seg.vlan ?? null,
      zone: seg.zone ?? null,
      created_at: now,
      updated_at: now,
    };
    await insertSegment(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'segment.create',
      target: { type: 'segment', id: row.id },
      summary: {
        after: { site: site.name, name: row.name, cidrs: seg.cidrs, vlan: row.vlan, zone: row.zone },
      },
    });
    return toSegment(row);
  });
}
