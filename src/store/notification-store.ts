/**
 * @module SQL for notifications: the in-app copy per person (unique per person and de-duplication key,
 * which is how a trigger fires once per item), reading them per person or per account, marking them
 * read, the email delivery queue, and the few device facts the triggers need (site, model).
 */
import { sql } from 'kysely';
import { rowChunks, selectInChunks } from './batch.js';
import type { NotificationTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type NotificationRow = NotificationTable;
export type NotificationView = NotificationRow & { person_name: string; person_email: string | null };

function viewQuery(h: DbHandle) {
  return h.db
    .selectFrom('notifications as n')
    .innerJoin('people as p', 'p.id', 'n.person_id')
    .selectAll('n')
    .select(['p.name as person_name', 'p.email as person_email']);
}

/** Which of these (person, key) pairs already have a notification, as `person|key`. */
export async function existingKeys(
  h: DbHandle,
  personIds: readonly string[],
  keys: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  if (!personIds.length || !keys.length) return out;
  const rows = await selectInChunks([...new Set(keys)], (part) =>
    h.db
      .selectFrom('notifications')
      .select(['person_id', 'dedupe_key'])
      .where('dedupe_key', 'in', part)
      .where('person_id', 'in', [...new Set(personIds)])
      .execute(),
  );
  for (const r of rows) out.add(`${r.person_id}|${r.dedupe_key}`);
  return out;
}

/** Inserts notifications; one that already exists for its person and key is left as it is. */
export async function insertNotifications(h: DbHandle, rows: readonly NotificationRow[]): Promise<void> {
  for (const part of rowChunks(rows))
    await h.db
      .insertInto('notifications')
      .values(part)
      .onConflict((oc) => oc.columns(['person_id', 'dedupe_key']).doNothing())
      .execute();
}

export interface NotificationFilter {
  personId?: string;
  /** Notifications of the people linked to this Vigil account. */
  userId?: string;
  unread?: boolean;
  kinds?: readonly string[];
}

function filtered(h: DbHandle, f: NotificationFilter) {
  let q = viewQuery(h);
  if (f.personId) q = q.where('n.person_id', '=', f.personId);
  if (f.userId) q = q.where('p.user_id', '=', f.userId);
  if (f.unread) q = q.where('n.read_at', 'is', null);
  if (f.kinds?.length) q = q.where('n.kind', 'in', [...f.kinds]);
  return q;
}

export async function listNotificationRows(
  h: DbHandle,
  f: NotificationFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: NotificationView[]; total: number; unread: number }> {
  const rows = await filtered(h, f)
    .orderBy('n.created_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const counts = await filtered(h, { ...f, unread: false })
    .clearSelect()
    .select([
      sql<number>`count(*)`.as('total'),
      sql<number>`sum(case when n.read_at is null then 1 else 0 end)`.as('unread'),
    ])
    .executeTakeFirst();
  const total = f.unread ? Number(counts?.unread ?? 0) : Number(counts?.total ?? 0);
  return { rows, total, unread: Number(counts?.unread ?? 0) };
}

export async function getNotificationView(h: DbHandle, id: string): Promise<NotificationView | undefined> {
  return viewQuery(h).where('n.id', '=', id).executeTakeFirst();
}

export async function updateNotification(
  h: DbHandle,
  id: string,
  patch: Partial<NotificationRow>,
): Promise<void> {
  await h.db.updateTable('notifications').set(patch).where('id', '=', id).execute();
}

/**
 * Claims one email for sending by counting the attempt, only if no one else counted it since it was
 * read: two runs at once (serve's timer and a cron job) never send the same email twice.
 */
export async function claimEmail(
  h: DbHandle,
  id: string,
  attemptsSeen: number,
  at: string,
): Promise<boolean> {
  const r = await h.db
    .updateTable('notifications')
    .set({ email_attempts: attemptsSeen + 1, updated_at: at })
    .where('id', '=', id)
    .where('email_attempts', '=', attemptsSeen)
    .where('email_state', 'in', ['pending', 'failed'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Emails not yet delivered (new ones and earlier failures below the attempt limit), oldest first. */
export async function undeliveredEmails(h: DbHandle, maxAttempts: number): Promise<NotificationView[]> {
  return viewQuery(h)
    .where('n.email_state', 'in', ['pending', 'failed'])
    .where('n.email_attempts', '<', maxAttempts)
    .orderBy('n.created_at')
    .orderBy('n.id')
    .execute();
}

/** Site, model and manufacturer of devices, for the triggers that group or route by them. */
export async function deviceContext(
  h: DbHandle,
  ids: readonly string[],
): Promise<
  Map<
    string,
    {
      site_id: string | null;
      site: string | null;
      asset_tag: string | null;
      model_id: string | null;
      model: string | null;
      manufacturer: string | null;
    }
  >
> {
  const rows = await selectInChunks([...new Set(ids)], (part) =>
    h.db
      .selectFrom('devices as d')
      .leftJoin('device_models as m', 'm.id', 'd.model_id')
      .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
      .leftJoin('sites as s', 's.id', 'd.site_id')
      .select([
        'd.id',
        'd.site_id',
        's.name as site',
        'd.asset_tag',
        'd.model_id',
        'm.name as model',
        'f.name as manufacturer',
      ])
      .where('d.id', 'in', part)
      .execute(),
  );
  return new Map(rows.map((r) => [r.id, r]));
}
