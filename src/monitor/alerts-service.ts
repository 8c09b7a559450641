/**
 * @module Alerts: what detection rules raise, de-duplicated, rate-limited, stored with capped evidence,
 * worked through their states by people, and audited. One alert per (rule, deviceId ?? siteId ?? '-',
 * subject): a repeat counts on the existing alert; a repeat of a resolved alert re-opens it; a false
 * positive stays closed and only counts. Beyond the rate limit (new alerts per rule and device per hour)
 * candidates are counted as `suppressed` on one summary alert per rule and device instead of flooding.
 * Created and re-opened alerts are published on the event bus (`alert-raised`) after they commit.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels } from '../inventory/device-label.js';
import {
  type AlertEventRow,
  type AlertRow,
  alertEvents,
  alertsByKey,
  alertsOfDevice,
  countCreatedSince,
  deliveriesOf,
  foldAlertInto,
  getAlertRow,
  insertAlert,
  insertAlertEvent,
  listAlertRows,
  lockAlerts,
  updateAlert,
} from '../store/alert-store.js';
import { newId } from '../store/ids.js';
import { afterCommit, type DbHandle, transaction } from '../store/transaction.js';
import {
  ALERT_SEVERITIES,
  type AlertCandidate,
  type AlertEvidence,
  type AlertSeverity,
} from './alert-candidate.js';
import { type EventBus, processEventBus } from './event-bus.js';

export const ALERT_STATES = ['new', 'acknowledged', 'resolved', 'false-positive'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** The Alert JSON contract (docs/alerts.md). */
export interface Alert {
  id: string;
  rule: string;
  severity: AlertSeverity;
  title: string;
  deviceId: string | null;
  /**
   * What people call that device (inventory/device-label.ts), for display; `deviceId` stays the key.
   * Null when the alert is about no device, or its device has been deleted.
   */
  deviceLabel: string | null;
  siteId: string | null;
  subject: string;
  state: AlertState;
  /** Times the rule raised it (the first time included). */
  count: number;
  /** Candidates folded into this summary alert by the rate limit (0 on ordinary alerts). */
  suppressed: number;
  firstSeen: string;
  lastSeen: string;
  /** The first few and the latest few sightings. */
  evidence: AlertEvidence[];
  details: Record<string, unknown>;
  stateReason: string | null;
  stateBy: string | null;
  stateAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AlertEvent {
  at: string;
  actor: string;
  /** created | reoccurred | reopened | state */
  action: string;
  fromState: AlertState | null;
  toState: AlertState;
  reason: string | null;
  details: Record<string, unknown>;
}

export interface AlertDelivery {
  id: string;
  destinationId: string;
  destination: string;
  kind: string;
  /** pending | delivered | dead */
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export interface AlertDetail extends Alert {
  events: AlertEvent[];
  deliveries: AlertDelivery[];
}

/** Evidence kept per alert: the first sightings say how it started, the latest that it goes on. */
export const EVIDENCE_HEAD = 5;
export const EVIDENCE_TAIL = 5;
/** Default rate limit: new alerts per rule per device (or site) per hour (config `alertRateLimitPerHour`). */
export const DEFAULT_RATE_LIMIT = 20;
const RATE_WINDOW_MS = 3_600_000;
/** The subject of the summary alert that collects what the rate limit held back. */
export const RATE_LIMITED_SUBJECT = 'rate-limited';
const SYSTEM_ACTOR = 'system:monitor';

export function dedupeKey(c: Pick<AlertCandidate, 'rule' | 'deviceId' | 'siteId' | 'subject'>): string {
  return `${c.rule}|${scopeOf(c)}|${c.subject}`;
}

const scopeOf = (c: Pick<AlertCandidate, 'deviceId' | 'siteId'>) => c.deviceId ?? c.siteId ?? '-';

/** Keeps the first EVIDENCE_HEAD and the last EVIDENCE_TAIL items of `before` followed by `added`. */
export function capEvidence(before: AlertEvidence[], added: AlertEvidence[]): AlertEvidence[] {
  const all = [...before, ...added];
  if (all.length <= EVIDENCE_HEAD + EVIDENCE_TAIL) return all;
  return [...all.slice(0, EVIDENCE_HEAD), ...all.slice(-EVIDENCE_TAIL)];
}

const EvidenceSchema = z.strictObject({
  time: z.string().min(1).max(64),
  connection: z.string().max(200).optional(),
  file: z.string().max(500).optional(),
  packet: z.number().int().nonnegative().optional(),
  summary: z.string().max(1000),
});

const CandidateSchema = z.strictObject({
  rule: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a rule id in kebab-case'),
  severity: z.enum(ALERT_SEVERITIES),
  title: z.string().min(1).max(300),
  deviceId: z.string().max(64).nullable(),
  siteId: z.string().max(64).nullable(),
  subject: z.string().min(1).max(500),
  evidence: z.array(EvidenceSchema).max(1000),
  details: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
    .optional(),
});

export interface RaiseOptions {
  now?: Date;
  /** Who raised them, for the audit log: a rule engine name; default `system:monitor`. */
  actor?: string;
  /** Where `alert-raised` goes; default the process's bus. */
  bus?: EventBus;
  /** New alerts per rule per device (or site) per hour; default DEFAULT_RATE_LIMIT. */
  rateLimit?: number;
}

export interface RaiseResult {
  created: number;
  updated: number;
  suppressed: number;
  alertIds: string[];
}

const later = (a: string, b: string) => (a > b ? a : b);
const earlier = (a: string, b: string) => (a < b ? a : b);
const moreSevere = (a: string, b: string): AlertSeverity =>
  ALERT_SEVERITIES[
    Math.max(ALERT_SEVERITIES.indexOf(a as AlertSeverity), ALERT_SEVERITIES.indexOf(b as AlertSeverity))
  ] ?? 'info';

function timesOf(c: AlertCandidate, now: string): { first: string; last: string } {
  const times = c.evidence.map((e) => e.time).filter((t) => !Number.isNaN(Date.parse(t)));
  if (!times.length) return { first: now, last: now };
  return { first: times.reduce(earlier), last: times.reduce(later) };
}

export async function raiseAlerts(
  h: DbHandle,
  candidates: AlertCandidate[],
  opts: RaiseOptions = {},
): Promise<RaiseResult> {
  const valid = candidates.map((c, i) => parseInput(CandidateSchema, c, `alert candidate ${i + 1}`));
  const result: RaiseResult = { created: 0, updated: 0, suppressed: 0, alertIds: [] };
  if (!valid.length) return result;
  const nowDate = opts.now ?? new Date();
  const now = nowDate.toISOString();
  const windowStart = new Date(nowDate.getTime() - RATE_WINDOW_MS).toISOString();
  const limit = opts.rateLimit ?? DEFAULT_RATE_LIMIT;
  const actorName = opts.actor ?? SYSTEM_ACTOR;
  const auditActor = { kind: 'system' as const, name: actorName };

  const raised = await transaction(h, async (tx) => {
    await lockAlerts(tx);
    const cache = await alertsByKey(
      tx,
      valid.map((c) => dedupeKey(c as AlertCandidate)),
    );
    const recent = new Map<string, number>();
    /** What each alert touched in this call ended as, and whether to publish it. */
    const touched = new Map<string, { row: AlertRow; raised?: 'created' | 'reopened'; added: number }>();
    const touch = (row: AlertRow, added: number, raised?: 'created' | 'reopened') => {
      const t = touched.get(row.id);
      if (t) {
        t.row = row;
        t.added += added;
        t.raised ??= raised;
      } else touched.set(row.id, { row, added, ...(raised ? { raised } : {}) });
    };

    for (const input of valid) {
      const c = input as AlertCandidate;
      const key = dedupeKey(c);
      const { first, last } = timesOf(c, now);
      const existing = cache.get(key);
      if (existing) {
        const row = await reoccur(tx, existing, c, { first, last, now, actorName }, touched.has(existing.id));
        cache.set(key, row.row);
        touch(row.row, 1, row.reopened ? 'reopened' : undefined);
        result.updated++;
        continue;
      }
      // Counted once per rule and scope per call, then kept up to date here: a chatty rule costs one query.
      const rateKey = `${c.rule}|${scopeOf(c)}`;
      let createdRecently = recent.get(rateKey);
      if (createdRecently === undefined) {
        createdRecently = await countCreatedSince(
          tx,
          c.rule,
          scopeOf(c),
          windowStart,
          `${rateKey}|${RATE_LIMITED_SUBJECT}`,
        );
        recent.set(rateKey, createdRecently);
      }
      if (createdRecently >= limit) {
        const summary = summaryCandidate(c, limit);
        const skey = dedupeKey(summary);
        const prev = cache.get(skey) ?? (await alertsByKey(tx, [skey])).get(skey);
        let row: AlertRow;
        if (prev) {
          const r = await reoccur(tx, prev, summary, { first, last, now, actorName }, touched.has(prev.id));
          row = { ...r.row, suppressed: r.row.suppressed + 1 };
          await updateAlert(tx, row.id, { suppressed: row.suppressed });
          touch(row, 1, r.reopened ? 'reopened' : undefined);
        } else {
          row = newRow(summary, { first, last, now });
          row.suppressed = 1;
          await insertAlert(tx, row);
          await recordEvent(tx, row.id, now, actorName, 'created', null, 'new', null, { suppressed: 1 });
          touch(row, 1, 'created');
          result.created++;
        }
        cache.set(skey, row);
        result.suppressed++;
        continue;
      }
      const row = newRow(c, { first, last, now });
      recent.set(rateKey, createdRecently + 1);
      await insertAlert(tx, row);
      await recordEvent(tx, row.id, now, actorName, 'created', null, 'new', null, {});
      cache.set(key, row);
      touch(row, 1, 'created');
      result.created++;
    }

    for (const t of touched.values()) {
      if (!t.raised) continue;
      await appendAudit(tx, {
        actor: auditActor,
        action: t.raised === 'created' ? 'alert.raise' : 'alert.reopen',
        target: { type: 'alert', id: t.row.id },
        summary: {
          rule: t.row.rule,
          severity: t.row.severity,
          subject: t.row.subject,
          deviceId: t.row.device_id,
          siteId: t.row.site_id,
        },
      });
    }
    result.alertIds = [...touched.keys()];
    return [...touched.values()].filter((t) => t.raised);
  });

  const bus = opts.bus ?? processEventBus();
  if (!raised.length) return result;
  const alerts = await toAlerts(
    h,
    raised.map((t) => t.row),
  );
  for (const [i, t] of raised.entries())
    bus.publish('alert-raised', { alert: alerts[i]!, reason: t.raised! });
  return result;
}

/** A repeat of a stored alert: counts it, and re-opens it when it was resolved. */
async function reoccur(
  tx: DbHandle,
  prev: AlertRow,
  c: AlertCandidate,
  t: { first: string; last: string; now: string; actorName: string },
  alreadyRecorded: boolean,
): Promise<{ row: AlertRow; reopened: boolean }> {
  const base = {
    count: prev.count + 1,
    first_seen: earlier(prev.first_seen, t.first),
    last_seen: later(prev.last_seen, t.last),
    updated_at: t.now,
  };
  // A dismissed alert stays dismissed: it only counts, so a person can see it keeps happening.
  if (prev.state === 'false-positive') {
    const row = { ...prev, ...base };
    await updateAlert(tx, prev.id, base);
    return { row, reopened: false };
  }
  const reopened = prev.state === 'resolved';
  const patch: Partial<AlertRow> = {
    ...base,
    severity: moreSevere(prev.severity, c.severity),
    evidence: JSON.stringify(capEvidence(JSON.parse(prev.evidence) as AlertEvidence[], c.evidence)),
    details: JSON.stringify({ ...(JSON.parse(prev.details) as object), ...(c.details ?? {}) }),
    ...(reopened ? { state: 'new', state_reason: null, state_by: t.actorName, state_at: t.now } : {}),
  };
  await updateAlert(tx, prev.id, patch);
  if (reopened)
    await recordEvent(tx, prev.id, t.now, t.actorName, 'reopened', 'resolved', 'new', 'seen again', {});
  // One re-occurrence event per alert and raise call keeps the history readable for chatty rules.
  else if (!alreadyRecorded)
    await recordEvent(tx, prev.id, t.now, t.actorName, 'reoccurred', prev.state, prev.state, null, {});
  return { row: { ...prev, ...patch } as AlertRow, reopened };
}

/**
 * Moves a duplicate device's alerts to the device it is merged into (inventory merge, same transaction).
 * An alert's key holds its device, so each is re-keyed; where the target already has that alert (same
 * rule and subject) the two become the target's one, as if every sighting had been on it: counts summed,
 * the wider first/last-seen window, the evidence of both in time order, and the duplicate's history.
 * A dismissal by a person wins; a resolved alert the duplicate still saw later is new again.
 */
export async function moveDeviceAlerts(
  tx: DbHandle,
  fromDeviceId: string,
  toDeviceId: string,
  now: string,
): Promise<{ moved: number; folded: number }> {
  await lockAlerts(tx);
  const theirs = await alertsOfDevice(tx, fromDeviceId);
  if (!theirs.length) return { moved: 0, folded: 0 };
  const keyOn = (a: AlertRow) =>
    dedupeKey({ rule: a.rule, deviceId: toDeviceId, siteId: a.site_id, subject: a.subject });
  const ours = await alertsByKey(tx, theirs.map(keyOn));
  let moved = 0;
  let folded = 0;
  for (const a of theirs) {
    const key = keyOn(a);
    const b = ours.get(key);
    if (!b) {
      await updateAlert(tx, a.id, {
        device_id: toDeviceId,
        scope: toDeviceId,
        dedupe_key: key,
        updated_at: now,
      });
      moved++;
      continue;
    }
    // Details as a repeat merges them: the later sighting's over the earlier's.
    const [older, newer] = a.last_seen > b.last_seen ? [b, a] : [a, b];
    const evidence = [
      ...(JSON.parse(a.evidence) as AlertEvidence[]),
      ...(JSON.parse(b.evidence) as AlertEvidence[]),
    ];
    evidence.sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
    const judged =
      b.state === 'false-positive'
        ? b
        : a.state === 'false-positive'
          ? a
          : b.state === 'resolved' && a.state === 'new' && a.last_seen > b.last_seen
            ? a
            : b;
    await foldAlertInto(tx, a.id, b.id);
    await updateAlert(tx, b.id, {
      severity: moreSevere(a.severity, b.severity),
      count: a.count + b.count,
      suppressed: a.suppressed + b.suppressed,
      first_seen: earlier(a.first_seen, b.first_seen),
      last_seen: later(a.last_seen, b.last_seen),
      evidence: JSON.stringify(capEvidence([], evidence)),
      details: JSON.stringify({
        ...(JSON.parse(older.details) as object),
        ...(JSON.parse(newer.details) as object),
      }),
      state: judged.state,
      state_reason: judged.state_reason,
      state_by: judged.state_by,
      state_at: judged.state_at,
      updated_at: now,
    });
    folded++;
  }
  return { moved, folded };
}

/**
 * Resolves open (new or acknowledged) alerts as part of another change a person made, in that change's
 * transaction (a device merge): each gets a `state` event and an `alert.state` audit entry with the
 * reason, as a resolution by hand does, and `context` (what the change was) in both. Once the
 * transaction commits (never before, never on a rollback) each is published as `alert-state-changed` on
 * `bus`, as `changeAlertState` does: a subscriber hears of it as of a person's change. Returns the ids.
 */
export async function resolveAlertsFor(
  tx: DbHandle,
  actor: Actor,
  rows: readonly AlertRow[],
  reason: string,
  now: string,
  context: Record<string, unknown>,
  bus?: EventBus,
): Promise<string[]> {
  const resolved: { from: AlertState; row: AlertRow }[] = [];
  for (const r of rows) {
    if (r.state !== 'new' && r.state !== 'acknowledged') continue;
    const patch = {
      state: 'resolved',
      state_reason: reason,
      state_by: actor.name,
      state_at: now,
      updated_at: now,
    } as const;
    await updateAlert(tx, r.id, patch);
    await recordEvent(tx, r.id, now, actor.name, 'state', r.state, 'resolved', reason, context);
    await appendAudit(tx, {
      actor,
      action: 'alert.state',
      target: { type: 'alert', id: r.id },
      summary: {
        rule: r.rule,
        subject: r.subject,
        before: { state: r.state },
        after: { state: 'resolved' },
        reason,
        ...context,
      },
    });
    resolved.push({ from: r.state, row: { ...r, ...patch } });
  }
  if (resolved.length === 0) return [];
  // The alerts as they are once committed (the device's label as the change left it).
  const alerts = await toAlerts(
    tx,
    resolved.map((r) => r.row),
  );
  afterCommit(tx, () => {
    const to = bus ?? processEventBus();
    for (const [i, r] of resolved.entries())
      to.publish('alert-state-changed', {
        alert: alerts[i]!,
        from: r.from,
        to: 'resolved',
        actor: actor.name,
        reason,
      });
  });
  return resolved.map((r) => r.row.id);
}

function summaryCandidate(c: AlertCandidate, limit: number): AlertCandidate {
  return {
    rule: c.rule,
    severity: c.severity,
    title: `More than ${limit} ${c.rule} alerts in an hour; further ones are counted here`,
    deviceId: c.deviceId,
    siteId: c.siteId,
    subject: RATE_LIMITED_SUBJECT,
    evidence: c.evidence.slice(0, 1),
    details: { rateLimit: limit, latestSubject: c.subject },
  };
}

function newRow(c: AlertCandidate, t: { first: string; last: string; now: string }): AlertRow {
  return {
    id: newId(),
    rule: c.rule,
    severity: c.severity,
    title: c.title,
    device_id: c.deviceId,
    site_id: c.siteId,
    scope: scopeOf(c),
    subject: c.subject,
    dedupe_key: dedupeKey(c),
    state: 'new',
    first_seen: t.first,
    last_seen: t.last,
    count: 1,
    suppressed: 0,
    evidence: JSON.stringify(capEvidence([], c.evidence)),
    details: JSON.stringify(c.details ?? {}),
    state_reason: null,
    state_by: null,
    state_at: null,
    created_at: t.now,
    updated_at: t.now,
  };
}

async function recordEvent(
  tx: DbHandle,
  alertId: string,
  at: string,
  actor: string,
  action: string,
  from: string | null,
  to: string,
  reason: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  const row: AlertEventRow = {
    id: newId(),
    alert_id: alertId,
    at,
    actor,
    action,
    from_state: from,
    to_state: to,
    reason,
    details: JSON.stringify(details),
  };
  await insertAlertEvent(tx, row);
}

/** The stored alert with its device's label taken from `labels` (by device id; see toAlerts). */
export function toAlert(r: AlertRow, labels: ReadonlyMap<string, string>): Alert {
  return {
    id: r.id,
    rule: r.rule,
    severity: r.severity as AlertSeverity,
    title: r.title,
    deviceId: r.device_id,
    deviceLabel: r.device_id ? (labels.get(r.device_id) ?? null) : null,
    siteId: r.site_id,
    subject: r.subject,
    state: r.state as AlertState,
    count: Number(r.count),
    suppressed: Number(r.suppressed),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    evidence: JSON.parse(r.evidence) as AlertEvidence[],
    details: JSON.parse(r.details) as Record<string, unknown>,
    stateReason: r.state_reason,
    stateBy: r.state_by,
    stateAt: r.state_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Stored alerts as the API gives them, the labels of their devices read in one batch. */
export async function toAlerts(h: DbHandle, rows: readonly AlertRow[]): Promise<Alert[]> {
  const labels = await deviceLabels(
    h,
    rows.flatMap((r) => (r.device_id ? [r.device_id] : [])),
  );
  return rows.map((r) => toAlert(r, labels));
}

// ---- reading ----

/**
 * One value or several. `values` names the allowed ones in the error: a union's own message is only
 * "Invalid input", which does not tell `--state acked` what to write instead.
 */
const many = <T extends z.ZodType>(item: T, values?: readonly string[]) =>
  z
    .union([item, z.array(item)], values ? { error: `one of ${values.join(', ')}` } : {})
    .transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[])
    .optional();

export const AlertQuerySchema = z.strictObject({
  state: many(z.enum(ALERT_STATES), ALERT_STATES),
  rule: many(z.string().min(1).max(64)),
  severity: many(z.enum(ALERT_SEVERITIES), ALERT_SEVERITIES),
  deviceId: z.string().max(64).optional(),
  siteId: z.string().max(64).optional(),
  since: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'a date or date-time (ISO-8601)')
    .transform((v) => new Date(v).toISOString())
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type AlertQuery = z.input<typeof AlertQuerySchema>;

export async function listAlerts(
  h: DbHandle,
  actor: Actor,
  query: AlertQuery = {},
): Promise<{ items: Alert[]; total: number; limit: number; offset: number }> {
  assertCan(actor, 'alerts:read');
  const q = parseInput(AlertQuerySchema, query, 'alert query');
  const { rows, total } = await listAlertRows(
    h,
    {
      ...(q.state ? { states: q.state } : {}),
      ...(q.rule ? { rules: q.rule } : {}),
      ...(q.severity ? { severities: q.severity } : {}),
      ...(q.deviceId ? { deviceId: q.deviceId } : {}),
      ...(q.siteId ? { siteId: q.siteId } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(actor.siteIds ? { siteIds: actor.siteIds } : {}),
    },
    { limit: q.limit, offset: q.offset },
  );
  return { items: await toAlerts(h, rows), total, limit: q.limit, offset: q.offset };
}

/** Alerts of no site are visible only to actors not limited to sites. */
const visibleTo = (actor: Actor, r: AlertRow) =>
  !actor.siteIds || (r.site_id !== null && actor.siteIds.includes(r.site_id));

async function visibleRow(h: DbHandle, actor: Actor, id: string): Promise<AlertRow> {
  const row = await getAlertRow(h, id);
  if (!row || !visibleTo(actor, row)) throw notFound(`Alert ${id}`);
  return row;
}

export async function getAlert(h: DbHandle, actor: Actor, id: string): Promise<AlertDetail> {
  assertCan(actor, 'alerts:read');
  const row = await visibleRow(h, actor, id);
  const events = await alertEvents(h, id);
  const deliveries = await deliveriesOf(h, id);
  const [alert] = await toAlerts(h, [row]);
  return {
    ...alert!,
    events: events.map((e) => ({
      at: e.at,
      actor: e.actor,
      action: e.action,
      fromState: e.from_state as AlertState | null,
      toState: e.to_state as AlertState,
      reason: e.reason,
      details: JSON.parse(e.details) as Record<string, unknown>,
    })),
    deliveries: deliveries.map((d) => ({
      id: d.id,
      destinationId: d.destination_id,
      destination: d.destination_name,
      kind: d.destination_kind,
      state: d.state,
      attempts: Number(d.attempts),
      lastError: d.last_error,
      createdAt: d.created_at,
      updatedAt: d.updated_at,
      deliveredAt: d.delivered_at,
    })),
  };
}

// ---- people changing states ----

/** Which state a person may move an alert to from each state. */
export const ALERT_TRANSITIONS: Record<AlertState, readonly AlertState[]> = {
  new: ['acknowledged', 'resolved', 'false-positive'],
  acknowledged: ['resolved', 'false-positive'],
  // Re-opening by hand; a re-occurrence re-opens a resolved alert by itself.
  resolved: ['new'],
  // Undoing a mistaken dismissal.
  'false-positive': ['new'],
};

export const AlertStateChangeSchema = z.strictObject({
  state: z.enum(ALERT_STATES),
  reason: z.string().trim().max(1000).optional(),
});
export type AlertStateChange = z.input<typeof AlertStateChangeSchema>;

export async function changeAlertState(
  h: DbHandle,
  actor: Actor,
  id: string,
  input: AlertStateChange,
  opts: { bus?: EventBus; now?: Date } = {},
): Promise<Alert> {
  assertCan(actor, 'alerts:write');
  const { state, reason } = parseInput(AlertStateChangeSchema, input, 'alert state change');
  if (state === 'false-positive' && !reason)
    throw invalidInput('Say why it is a false positive: a reason is required', [
      { field: 'reason', reason: 'required' },
    ]);
  const now = (opts.now ?? new Date()).toISOString();
  const changed = await transaction(h, async (tx) => {
    await lockAlerts(tx);
    const before = await visibleRow(tx, actor, id);
    const from = before.state as AlertState;
    if (!ALERT_TRANSITIONS[from].includes(state)) {
      throw invalidInput(`An alert that is ${from} cannot become ${state}`, [
        {
          field: 'state',
          reason: ALERT_TRANSITIONS[from].length
            ? `from ${from} it may become ${ALERT_TRANSITIONS[from].join(', ')}`
            : `${from} is final`,
        },
      ]);
    }
    const patch = {
      state,
      state_reason: reason ?? null,
      state_by: actor.name,
      state_at: now,
      updated_at: now,
    };
    await updateAlert(tx, id, patch);
    await recordEvent(tx, id, now, actor.name, 'state', from, state, reason ?? null, {});
    await appendAudit(tx, {
      actor,
      action: 'alert.state',
      target: { type: 'alert', id },
      summary: {
        rule: before.rule,
        subject: before.subject,
        before: { state: from },
        after: { state },
        reason: reason ?? null,
      },
    });
    const [alert] = await toAlerts(tx, [{ ...before, ...patch }]);
    return { alert: alert!, from };
  });
  (opts.bus ?? processEventBus()).publish('alert-state-changed', {
    alert: changed.alert,
    from: changed.from,
    to: state,
    actor: actor.name,
    reason: reason ?? null,
  });
  return changed.alert;
}
