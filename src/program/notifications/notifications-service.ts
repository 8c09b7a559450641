/**
 * @module In-app notifications: an account sees only its own (those of the person linked to it, see
 * `vigil people update --user`); the local CLI operator may list anyone's. Marking one read is the only
 * change a reader makes, and it is audited.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { findApiToken } from '../../store/account-store.js';
import { nowIso } from '../../store/ids.js';
import {
  getNotificationView,
  listNotificationRows,
  type NotificationView,
  updateNotification,
} from '../../store/notification-store.js';
import { getPersonView } from '../../store/organization-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { personInScope } from '../organization/people-service.js';

/** The Notification JSON contract (docs/program.md). */
export interface Notification {
  id: string;
  personId: string;
  person: string;
  kind: string;
  severity: string;
  title: string;
  body: string;
  siteId: string | null;
  details: Record<string, unknown>;
  read: boolean;
  readAt: string | null;
  email: { state: string; attempts: number; error: string | null; sentAt: string | null };
  createdAt: string;
}

export const toNotification = (r: NotificationView): Notification => ({
  id: r.id,
  personId: r.person_id,
  person: r.person_name,
  kind: r.kind,
  severity: r.severity,
  title: r.title,
  body: r.body,
  siteId: r.site_id,
  details: JSON.parse(r.details) as Record<string, unknown>,
  read: r.read_at !== null,
  readAt: r.read_at,
  email: {
    state: r.email_state,
    attempts: Number(r.email_attempts),
    error: r.email_error,
    sentAt: r.emailed_at,
  },
  createdAt: r.created_at,
});

export const NotificationQuerySchema = z.strictObject({
  unread: z.boolean().optional(),
  kind: z.array(z.string().min(1).max(64)).max(20).optional(),
  /** Only for the local operator: whose notifications (person id, email or employee id). */
  person: z.string().trim().min(1).max(254).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type NotificationQuery = z.input<typeof NotificationQuerySchema>;

export interface NotificationPage {
  items: Notification[];
  total: number;
  unread: number;
  limit: number;
  offset: number;
}

/** The Vigil account an actor acts for (a token acts for its owner); null for the CLI and Vigil itself. */
async function accountOf(h: DbHandle, actor: Actor): Promise<string | null> {
  if (actor.kind === 'user') return actor.id;
  if (actor.kind === 'token') return (await findApiToken(h, actor.id))?.created_by ?? '\u0000';
  return null;
}

export async function listNotifications(
  h: DbHandle,
  actor: Actor,
  query: unknown = {},
): Promise<NotificationPage> {
  assertCan(actor, 'notifications:read');
  const q = parseInput(NotificationQuerySchema, query ?? {}, 'notification query');
  const account = await accountOf(h, actor);
  // An account reads its own notifications only, whatever it asks for.
  const personId = account === null && q.person ? (await personInScope(h, actor, q.person)).id : undefined;
  const page = await listNotificationRows(
    h,
    {
      ...(account !== null ? { userId: account } : {}),
      ...(personId ? { personId } : {}),
      ...(q.unread ? { unread: true } : {}),
      ...(q.kind ? { kinds: q.kind } : {}),
    },
    { limit: q.limit, offset: q.offset },
  );
  return {
    items: page.rows.map(toNotification),
    total: page.total,
    unread: page.unread,
    limit: q.limit,
    offset: q.offset,
  };
}

export async function markNotificationRead(h: DbHandle, actor: Actor, id: string): Promise<Notification> {
  assertCan(actor, 'notifications:read');
  return transaction(h, async (tx) => {
    const n = await getNotificationView(tx, id);
    const account = await accountOf(tx, actor);
    const linked =
      n && account !== null ? (await getPersonView(tx, n.person_id))?.user_id === account : false;
    // Someone else's notification is "not found", not "forbidden": its existence is not disclosed.
    if (!n || (account !== null && !linked)) throw notFound(`Notification ${id}`);
    if (n.read_at) return toNotification(n);
    const at = nowIso();
    await updateNotification(tx, id, { read_at: at, updated_at: at });
    await appendAudit(tx, {
      actor,
      action: 'notification.read',
      target: { type: 'notification', id },
      summary: { kind: n.kind, personId: n.person_id },
    });
    return toNotification({ ...n, read_at: at });
  });
}
