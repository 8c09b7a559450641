/**
 * @module Where alerts are delivered, as people manage it: add, list, remove and test destinations
 * (syslog or signed webhook, validated by `delivery/destination.ts`), list dead letters and retry them.
 * A webhook's secret is written once and never shown again: listings say only whether one is set, and
 * a URL is shown without its query. Every change is audited.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import {
  type AlertDestinationRow,
  assetTagOf,
  deadDeliveries,
  deleteDestination,
  getAlertRow,
  getDeliveryById,
  getDestinationRow,
  insertDestination,
  listDestinationRows,
  updateDelivery,
} from '../store/alert-store.js';
import { newId } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { createTaskEventSender } from '../tasks/task-event-dispatcher.js';
import { sampleTaskEvent, type TaskEventMessage } from '../tasks/task-event-message.js';
import { loadDestination, toDeliverable } from './alert-dispatcher.js';
import { toAlerts } from './alerts-service.js';
import type { AlertSender, MessageSender } from './delivery/alert-sender.js';
import type { DeliverableAlert } from './delivery/deliverable-alert.js';
import { type QueuedMessage, retryDeadLetter as sendOnce } from './delivery/delivery-queue.js';
import {
  createSender,
  type Destination,
  type DestinationEvent,
  describeDestination,
  eventsOf,
  parseDestination,
  type WebhookDestination,
} from './delivery/destination.js';
import { confineTlsFiles } from './delivery/tls-directory.js';
import { safeUrl, splitUrlQuery } from './delivery/webhook.js';
import { sealDestinationSecret, sealDestinationUrlQuery } from './destination-secret.js';

/** The AlertDestination JSON contract (docs/alerts.md). Never carries the secret. */
export interface AlertDestination {
  id: string;
  name: string;
  kind: 'syslog' | 'webhook';
  /** Where it sends, safe to show: `syslog+tls://siem.example:6514`, `https://hooks.example/vigil`. */
  target: string;
  /** The settings without the secret (a webhook URL without its query). */
  config: Record<string, unknown>;
  hasSecret: boolean;
  enabled: boolean;
  /** What it receives: `alerts` and/or `tasks` (task events, webhooks only; docs/tasks.md). */
  events: DestinationEvent[];
  createdBy: string;
  createdAt: string;
}

export interface DeadLetterView {
  /** The delivery record's id: what `retry` takes. */
  id: string;
  alertId: string;
  rule: string;
  severity: string;
  title: string;
  destinationId: string;
  destination: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

const NameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64, no spaces)');

/** Sends through the real transports unless a test passes its own. */
export type SenderFactory = (d: Destination) => AlertSender;

function view(row: AlertDestinationRow): AlertDestination {
  const config = JSON.parse(row.config) as Record<string, unknown>;
  const shown = typeof config['url'] === 'string' ? { ...config, url: safeUrl(config['url']) } : config;
  let target: string;
  try {
    target = describeDestination({ ...(shown as unknown as Destination), name: undefined });
  } catch {
    target = row.kind;
  }
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as AlertDestination['kind'],
    target,
    config: shown,
    hasSecret: row.has_secret,
    enabled: Number(row.enabled) === 1,
    events: eventsOf(config),
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

export interface AddDestinationOptions {
  /**
   * `alertTlsDir`: the directory whose files TLS destinations may name when added by anyone but the
   * server's operator at its CLI; unset, they may name none (delivery/tls-directory.ts).
   */
  alertTlsDir?: string | undefined;
}

export async function addDestination(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  opts: AddDestinationOptions = {},
): Promise<AlertDestination> {
  assertCan(actor, 'alerts:write');
  assertAllSites(actor, 'An alert destination');
  const raw = (input ?? {}) as Record<string, unknown>;
  const name = parseInput(NameSchema, raw['name'], 'destination name');
  const { enabled, ...rest } = raw;
  const valid = parseDestination({ ...rest, name });
  // The CLI runs on the server as its operator, who may read any file anyway; everyone else reaches the
  // server's files only through the directory set aside for them.
  const parsed = actor.kind === 'cli' ? valid : confineTlsFiles(valid, opts.alertTlsDir);
  const { secret, name: _name, ...config } = parsed as Destination & { secret?: string };
  const now = new Date().toISOString();
  const id = newId();
  // A URL's query may carry a token: it is sealed like the secret, and config.url keeps the rest.
  const split = parsed.kind === 'webhook' ? splitUrlQuery(parsed.url) : null;
  const stored = split ? { ...config, url: split.url } : config;
  await transaction(h, async (tx) => {
    if (await getDestinationRow(tx, name)) throw conflict(`An alert destination named ${name} exists`);
    await insertDestination(tx, {
      id,
      name,
      kind: parsed.kind,
      config: JSON.stringify(stored),
      // Sealed under the key outside the database (destination-secret.ts); never stored in clear.
      secret: secret ? sealDestinationSecret(id, secret) : null,
      url_query: split?.query ? sealDestinationUrlQuery(id, split.query) : null,
      enabled: enabled === false ? 0 : 1,
      created_by: actor.name,
      created_at: now,
    });
    await appendAudit(tx, {
      actor,
      action: 'alert-destination.add',
      target: { type: 'alert-destination', id },
      summary: { name, kind: parsed.kind, target: describeDestination({ ...parsed, name: undefined }) },
    });
  });
  return getDestination(h, actor, id);
}

/**
 * Destinations are the whole hospital's settings and name its SIEM, pager and ticketing hosts: an actor
 * limited to sites is refused rather than shown them (a dead letter of its sites names the destination
 * that failed, which is all a site needs to report it).
 */
export async function listDestinations(h: DbHandle, actor: Actor): Promise<AlertDestination[]> {
  assertCan(actor, 'alerts:read');
  assertAllSites(actor, 'The list of alert destinations');
  return (await listDestinationRows(h)).map(view);
}

export async function getDestination(h: DbHandle, actor: Actor, idOrName: string): Promise<AlertDestination> {
  assertCan(actor, 'alerts:read');
  assertAllSites(actor, 'An alert destination');
  const row = await getDestinationRow(h, idOrName);
  if (!row) throw notFound(`Alert destination ${idOrName}`);
  return view(row);
}

/** Removes a destination with its delivery records (its dead letters too). */
export async function removeDestination(
  h: DbHandle,
  actor: Actor,
  idOrName: string,
): Promise<AlertDestination> {
  assertCan(actor, 'alerts:write');
  assertAllSites(actor, 'An alert destination');
  return transaction(h, async (tx) => {
    const row = await getDestinationRow(tx, idOrName);
    if (!row) throw notFound(`Alert destination ${idOrName}`);
    await deleteDestination(tx, row.id);
    await appendAudit(tx, {
      actor,
      action: 'alert-destination.remove',
      target: { type: 'alert-destination', id: row.id },
      summary: { name: row.name, kind: row.kind },
    });
    return view(row);
  });
}

export interface SendOutcome {
  ok: boolean;
  destination: string;
  error?: string;
}

/**
 * Sends one test message to a destination, now, once: an alert (rule `test`, severity info), or for
 * `event: "task"` a sample `vigil.task.created` about no real task. By default what the destination
 * receives: an alert, or a task event for a destination of task events only.
 */
export async function testDestination(
  h: DbHandle,
  actor: Actor,
  idOrName: string,
  opts: {
    senderFor?: SenderFactory;
    taskSenderFor?: (d: Destination) => MessageSender<TaskEventMessage>;
    now?: Date;
    event?: 'alert' | 'task';
  } = {},
): Promise<SendOutcome & { event: 'alert' | 'task' }> {
  assertCan(actor, 'alerts:write');
  // A test message lands in the hospital's SIEM or pager like a real one, for every site's staff.
  assertAllSites(actor, 'An alert destination');
  const row = await getDestinationRow(h, idOrName);
  if (!row) throw notFound(`Alert destination ${idOrName}`);
  const event: 'alert' | 'task' =
    opts.event ?? (eventsOf(JSON.parse(row.config)).includes('alerts') ? 'alert' : 'task');
  if (event === 'task' && row.kind !== 'webhook')
    throw invalidInput(`${row.name} is a ${row.kind} destination: only webhooks take task events`);
  const at = opts.now ?? new Date();
  const now = at.toISOString();
  let r: { ok: boolean; error?: string };
  if (event === 'task') {
    const make = opts.taskSenderFor ?? ((d: Destination) => createTaskEventSender(d as WebhookDestination));
    r = await sendNow(h, row, sampleTaskEvent(at, actor.name), 'test', make);
  } else {
    const alert: DeliverableAlert = {
      id: newId(),
      rule: 'test',
      severity: 'info',
      title: 'Vigil test alert: this destination receives alerts',
      state: 'new',
      deviceId: null,
      assetTag: null,
      deviceLabel: null,
      siteId: null,
      subject: 'test',
      firstSeen: now,
      lastSeen: now,
      count: 1,
      evidence: [{ time: now, summary: `test sent by ${actor.name}` }],
    };
    r = await sendNow(h, row, alert, 'test', opts.senderFor ?? createSender);
  }
  await transaction(h, (tx) =>
    appendAudit(tx, {
      actor,
      action: 'alert-destination.test',
      outcome: r.ok ? 'success' : 'failure',
      target: { type: 'alert-destination', id: row.id },
      summary: { name: row.name, event, ...(r.error ? { error: r.error } : {}) },
    }),
  );
  return { ok: r.ok, destination: row.name, event, ...(r.error ? { error: r.error } : {}) };
}

/** Sends one message to a destination once, now (a test or a retry); the sender is closed after. */
export async function sendNow<M extends QueuedMessage>(
  h: DbHandle,
  row: AlertDestinationRow,
  message: M,
  deliveryId: string,
  senderFor: (d: Destination) => MessageSender<M>,
): Promise<{ ok: boolean; error?: string }> {
  let sender: MessageSender<M>;
  try {
    sender = senderFor(await loadDestination(h, row));
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  try {
    const r = await sendOnce(
      {
        message,
        destination: row.name,
        reason: 'failed',
        attempts: 0,
        lastError: '',
        firstAttemptAt: null,
        lastAttemptAt: null,
        enqueuedAt: new Date().toISOString(),
        deliveryId,
      },
      sender,
    );
    return r.ok ? { ok: true } : { ok: false, error: r.error };
  } finally {
    await sender.close().catch(() => {});
  }
}

/** The page of a dead-letter list (alerts here, task events in tasks/task-dead-letters.ts). */
export const PageSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export async function listDeadLetters(
  h: DbHandle,
  actor: Actor,
  page: z.input<typeof PageSchema> = {},
): Promise<DeadLetterView[]> {
  assertCan(actor, 'alerts:read');
  const p = parseInput(PageSchema, page, 'page');
  const rows = await deadDeliveries(h, { ...p, ...(actor.siteIds ? { siteIds: actor.siteIds } : {}) });
  const out: DeadLetterView[] = [];
  for (const d of rows) {
    const a = await getAlertRow(h, d.alert_id);
    if (!a) continue;
    out.push({
      id: d.id,
      alertId: d.alert_id,
      rule: a.rule,
      severity: a.severity,
      title: a.title,
      destinationId: d.destination_id,
      destination: d.destination_name,
      attempts: Number(d.attempts),
      lastError: d.last_error,
      createdAt: d.created_at,
      updatedAt: d.updated_at,
    });
  }
  return out;
}

/** Sends a dead letter again, once, now: delivered on success; otherwise it stays dead with the new error. */
export async function retryDeadLetter(
  h: DbHandle,
  actor: Actor,
  deliveryId: string,
  opts: { senderFor?: SenderFactory } = {},
): Promise<SendOutcome & { state: string; attempts: number }> {
  assertCan(actor, 'alerts:write');
  const d = await getDeliveryById(h, deliveryId);
  const alertRow = d && (await getAlertRow(h, d.alert_id));
  if (!d || !alertRow || (actor.siteIds && !actor.siteIds.includes(alertRow.site_id ?? '\u0000')))
    throw notFound(`Dead letter ${deliveryId}`);
  if (d.state !== 'dead') throw invalidInput(`Delivery ${deliveryId} is ${d.state}, not dead`);
  const dest = await getDestinationRow(h, d.destination_id);
  if (!dest) throw notFound(`Alert destination ${d.destination_id}`);
  const [stored] = await toAlerts(h, [alertRow]);
  const alert = toDeliverable(stored!, await assetTagOf(h, alertRow.device_id));
  const r = await sendNow(h, dest, alert, d.id, opts.senderFor ?? createSender);
  return recordRetry(
    h,
    actor,
    d,
    { ...r, destination: dest.name },
    {
      update: updateDelivery,
      target: 'alert-delivery',
      summary: { alertId: d.alert_id },
    },
  );
}

/** The columns a retry changes, the same on `alert_deliveries` and `task_deliveries`. */
export interface RetriedDelivery {
  state: string;
  attempts: number;
  last_error: string | null;
  updated_at: string;
  delivered_at?: string;
}

/**
 * What one retry of a dead letter leaves: the delivery row delivered, or still dead with the retry's
 * error, and the audit entry (`<target>.retry`), in one transaction. `attempted: false` when nothing
 * was sent (the attempts stay).
 */
export async function recordRetry(
  h: DbHandle,
  actor: Actor,
  d: { id: string; attempts: number | string; last_error: string | null },
  r: { ok: boolean; error?: string; destination: string; attempted?: boolean },
  how: {
    update: (tx: DbHandle, id: string, patch: RetriedDelivery) => Promise<void>;
    target: 'alert-delivery' | 'task-delivery';
    summary: Record<string, unknown>;
  },
): Promise<SendOutcome & { state: string; attempts: number }> {
  const now = new Date().toISOString();
  const attempts = Number(d.attempts) + (r.attempted === false ? 0 : 1);
  const state = r.ok ? 'delivered' : 'dead';
  await transaction(h, async (tx) => {
    await how.update(tx, d.id, {
      state,
      attempts,
      last_error: r.ok ? d.last_error : `retry: ${r.error ?? 'failed'}`.slice(0, 1000),
      updated_at: now,
      ...(r.ok ? { delivered_at: now } : {}),
    });
    await appendAudit(tx, {
      actor,
      action: `${how.target}.retry`,
      outcome: r.ok ? 'success' : 'failure',
      target: { type: how.target, id: d.id },
      summary: { ...how.summary, destination: r.destination, ...(r.error ? { error: r.error } : {}) },
    });
  });
  const { destination, ok, error } = r;
  return { ok, destination, state, attempts, ...(error ? { error } : {}) };
}
