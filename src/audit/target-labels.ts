/**
 * @module What the audit log's targets are called, for people reading it: a device by its label, a task
 * or an alert by its title, an account by its user name. The chain stores ids only (a name may change;
 * what was done to which record may not), so names are read when a page of entries is shown: one query
 * per kind of target the page has, for that page's ids. A target deleted since has none and is shown by
 * its id.
 */
import { deviceLabels } from '../inventory/device-label.js';
import type { DbHandle } from '../store/transaction.js';

type Target = { targetType: string | null; targetId: string | null };

const key = (type: string, id: string) => `${type}:${id}`;

/** Target kinds other than devices: where each is stored and which column names it. */
const NAMED = [
  { type: 'task', table: 'remediation_tasks', name: 'title' },
  { type: 'alert', table: 'alerts', name: 'title' },
  { type: 'user', table: 'users', name: 'username' },
] as const;

/** `column` of the rows of `table` with these ids, by id; no ids, no query. */
async function namesIn(
  h: DbHandle,
  table: (typeof NAMED)[number]['table'],
  column: (typeof NAMED)[number]['name'],
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  // An audit page holds at most 1,000 entries: one IN list per kind is enough.
  const rows = await h.db
    .selectFrom(table)
    .select(['id', `${column} as name`])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function auditTargetLabels(
  h: DbHandle,
  entries: readonly Target[],
): Promise<Map<string, string>> {
  const ids = (type: string) => [
    ...new Set(entries.flatMap((e) => (e.targetType === type && e.targetId ? [e.targetId] : []))),
  ];
  const out = new Map<string, string>();
  const [devices, ...named] = await Promise.all([
    deviceLabels(h, ids('device')),
    ...NAMED.map((k) => namesIn(h, k.table, k.name, ids(k.type))),
  ]);
  for (const [id, label] of devices) out.set(key('device', id), label);
  NAMED.forEach((k, i) => {
    for (const [id, name] of named[i]!) out.set(key(k.type, id), name);
  });
  return out;
}

/** The label of an entry's target in `labels` (from auditTargetLabels), or null. */
export const targetLabelIn = (labels: ReadonlyMap<string, string>, e: Target): string | null =>
  e.targetType && e.targetId ? (labels.get(key(e.targetType, e.targetId)) ?? null) : null;
