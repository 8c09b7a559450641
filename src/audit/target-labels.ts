/**
 * @module What the audit log's targets are called, for people reading it: a device by its label, a task
 * or an alert by its title, an account by its user name. The chain stores ids only (a name may change;
 * what was done to which record may not), so names are read when a page of entries is shown: one query
 * per kind of target, for that page's ids. A target deleted since has none and is shown by its id.
 */
import { deviceLabels } from '../inventory/device-label.js';
import type { DbHandle } from '../store/transaction.js';

type Target = { targetType: string | null; targetId: string | null };

const key = (type: string, id: string) => `${type}:${id}`;

export async function auditTargetLabels(
  h: DbHandle,
  entries: readonly Target[],
): Promise<Map<string, string>> {
  const ids = (type: string) => [
    ...new Set(entries.flatMap((e) => (e.targetType === type && e.targetId ? [e.targetId] : []))),
  ];
  const out = new Map<string, string>();
  // An audit page holds at most 1,000 entries: one IN list per kind is enough.
  const byId = async (rows: Promise<{ id: string; name: string }[]>) =>
    new Map((await rows).map((r) => [r.id, r.name]));
  const some = (list: string[]) => (list.length ? list : ['']);
  const [devices, tasks, alerts, users] = await Promise.all([
    deviceLabels(h, ids('device')),
    byId(
      h.db
        .selectFrom('remediation_tasks')
        .select(['id', 'title as name'])
        .where('id', 'in', some(ids('task')))
        .execute(),
    ),
    byId(
      h.db
        .selectFrom('alerts')
        .select(['id', 'title as name'])
        .where('id', 'in', some(ids('alert')))
        .execute(),
    ),
    byId(
      h.db
        .selectFrom('users')
        .select(['id', 'username as name'])
        .where('id', 'in', some(ids('user')))
        .execute(),
    ),
  ]);
  for (const [id, label] of devices) out.set(key('device', id), label);
  for (const [type, names] of [
    ['task', tasks],
    ['alert', alerts],
    ['user', users],
  ] as const)
    for (const [id, name] of names) out.set(key(type, id), name);
  return out;
}

/** The label of an entry's target in `labels` (from auditTargetLabels), or null. */
export const targetLabelIn = (labels: ReadonlyMap<string, string>, e: Target): string | null =>
  e.targetType && e.targetId ? (labels.get(key(e.targetType, e.targetId)) ?? null) : null;
