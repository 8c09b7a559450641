/**
 * @module A device's history: the audit entries about it, newest first, paged by sequence number. That
 * is what people and imports did to the device itself (create, update, observe, stage, confirm, retire,
 * merge, risk overrides) and to the things that hang off it: its remediation tasks, risk acceptances,
 * alerts, findings and vulnerability decisions, each only with the permission that reads them. The
 * device is resolved like every device route, so a site-limited caller sees only its sites' devices.
 * Client addresses and the hash chain stay on the audit log's own routes (audit:read).
 */
import { type Actor, assertCan, can } from '../accounts/actor.js';
import type { Permission } from '../accounts/permissions.js';
import type { AuditLogTable } from '../store/schema.js';
import type { DbHandle } from '../store/transaction.js';
import { resolveDevice } from './inventory-service.js';

/** What an entry is about, beside the device itself. */
export const HISTORY_SUBJECTS = [
  'device',
  'task',
  'risk-acceptance',
  'alert',
  'finding',
  'vulnerability-match',
] as const;
export type HistorySubject = (typeof HISTORY_SUBJECTS)[number];

export interface DeviceHistoryEntry {
  seq: number;
  at: string;
  actor: string;
  actorKind: string;
  action: string;
  outcome: string;
  about: HistorySubject;
  targetType: string | null;
  targetId: string | null;
  summary: Record<string, unknown>;
}

export interface DeviceHistoryPage {
  deviceId: string;
  items: DeviceHistoryEntry[];
  /** Pass as beforeSeq for the next (older) page; null at the end. */
  nextBeforeSeq: number | null;
}

export const MAX_HISTORY_PAGE = 500;

/** Audit target types (as the services write them) per subject, and who may read that subject. */
const SUBJECTS: { about: Exclude<HistorySubject, 'device'>; targetType: string; permission: Permission }[] = [
  { about: 'task', targetType: 'task', permission: 'tasks:read' },
  { about: 'risk-acceptance', targetType: 'risk-acceptance', permission: 'risk:read' },
  { about: 'alert', targetType: 'alert', permission: 'alerts:read' },
  { about: 'finding', targetType: 'finding', permission: 'findings:read' },
  { about: 'vulnerability-match', targetType: 'vulnerability_match', permission: 'vulns:read' },
];

async function relatedIds(h: DbHandle, about: HistorySubject, deviceId: string): Promise<string[]> {
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
  switch (about) {
    case 'device':
      // Duplicates merged into this device bring their history along.
      return [
        deviceId,
        ...ids(await h.db.selectFrom('devices').select('id').where('merged_into', '=', deviceId).execute()),
      ];
    case 'task':
      return ids(
        await h.db.selectFrom('remediation_tasks').select('id').where('device_id', '=', deviceId).execute(),
      );
    case 'risk-acceptance':
      return ids(
        await h.db.selectFrom('risk_acceptances').select('id').where('device_id', '=', deviceId).execute(),
      );
    case 'alert':
      return ids(await h.db.selectFrom('alerts').select('id').where('device_id', '=', deviceId).execute());
    case 'finding':
      return ids(await h.db.selectFrom('findings').select('id').where('device_id', '=', deviceId).execute());
    case 'vulnerability-match':
      return ids(
        await h.db
          .selectFrom('vulnerability_matches')
          .select('id')
          .where('device_id', '=', deviceId)
          .execute(),
      );
  }
}

export async function deviceHistory(
  h: DbHandle,
  actor: Actor,
  ref: string,
  opts: { beforeSeq?: number | undefined; limit?: number | undefined } = {},
): Promise<DeviceHistoryPage> {
  assertCan(actor, 'devices:read');
  const device = await resolveDevice(h, actor, ref);
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), MAX_HISTORY_PAGE);

  const targets: { about: HistorySubject; targetType: string; ids: string[] }[] = [
    { about: 'device', targetType: 'device', ids: await relatedIds(h, 'device', device.id) },
  ];
  for (const s of SUBJECTS) {
    if (!can(actor, s.permission)) continue;
    const ids = await relatedIds(h, s.about, device.id);
    if (ids.length) targets.push({ about: s.about, targetType: s.targetType, ids });
  }
  const aboutOf = new Map(targets.flatMap((t) => t.ids.map((id) => [`${t.targetType} ${id}`, t.about])));

  let q = h.db
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) => {
      const any = targets.map((t) =>
        eb.and([eb('target_type', '=', t.targetType), eb('target_id', 'in', t.ids)]),
      );
      // A duplicate's own merge entry is recorded on the device it went into.
      if (device.mergedInto)
        any.push(
          eb.and([
            eb('target_type', '=', 'device'),
            eb('target_id', '=', device.mergedInto),
            eb('action', '=', 'device.merge'),
            // Device ids are generated UUIDs: nothing in them is special to LIKE.
            eb('summary', 'like', `%"source":${JSON.stringify(device.id)}%`),
          ]),
        );
      return eb.or(any);
    })
    .orderBy('seq', 'desc')
    .limit(limit + 1);
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  const rows = await q.execute();
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  return {
    deviceId: device.id,
    items: page.map((r) => toEntry(r, aboutOf.get(`${r.target_type} ${r.target_id}`) ?? 'device')),
    nextBeforeSeq: more ? Number(page.at(-1)!.seq) : null,
  };
}

function toEntry(r: AuditLogTable, about: HistorySubject): DeviceHistoryEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    actorKind: r.actor_kind,
    action: r.action,
    outcome: r.outcome,
    about,
    targetType: r.target_type,
    targetId: r.target_id,
    summary: JSON.parse(r.summary) as Record<string, unknown>,
  };
}
