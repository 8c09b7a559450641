/**
 * @module Overrides of SSVC decision points for one device or for every device of a model: a person
 * with `risk:write` sets a value with a reason and an expiry; the queue applies it (device before
 * model) and shows it in the explanation; the change is audited in the same transaction.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, invalidInput, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { resolveDevice } from '../inventory/inventory-service.js';
import { newId, nowIso } from '../store/ids.js';
import {
  deviceIdsAtSites,
  insertOverride,
  listOverrides,
  markOverrideRevoked,
  modelExists,
  overrideById,
  type RiskOverrideRow,
} from '../store/risk-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { OVERRIDE_POINTS, type OverridePoint, type RiskOverride } from './priority.js';

/** Longest an override may run before someone has to look again. */
export const MAX_OVERRIDE_DAYS = 366;

export const OverrideInputSchema = z.strictObject({
  scope: z.enum(['device', 'model']),
  /** Device id or asset tag; for scope `model`, the device whose model is meant (or give modelId). */
  device: z.string().min(1).max(200).optional(),
  modelId: z.string().min(1).max(64).optional(),
  point: z.enum(Object.keys(OVERRIDE_POINTS) as [OverridePoint, ...OverridePoint[]]),
  value: z.string().min(1).max(32),
  // "a reason is required" was shown for a given but short reason ("ok"), which reads as a bug.
  reason: z.string().trim().min(3, 'a reason of at least 3 characters is required').max(2000),
  expiresAt: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'a date or date-time (ISO-8601)')
    .transform((v) => new Date(v).toISOString()),
});
export type OverrideInput = z.input<typeof OverrideInputSchema>;

export function toOverride(r: RiskOverrideRow): RiskOverride {
  return {
    id: r.id,
    scope: r.scope as 'device' | 'model',
    deviceId: r.device_id,
    modelId: r.model_id,
    point: r.point as OverridePoint,
    value: r.value,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

export async function addOverride(h: DbHandle, actor: Actor, input: unknown): Promise<RiskOverride> {
  assertCan(actor, 'risk:write');
  const o = parseInput(OverrideInputSchema, input, 'risk override');
  const allowed = OVERRIDE_POINTS[o.point] as readonly string[];
  const value = allowed.find((v) => v.toLowerCase() === o.value.toLowerCase());
  if (!value)
    throw invalidInput('Invalid risk override', [
      { field: 'value', reason: `${o.point} takes one of ${allowed.join(', ')}` },
    ]);
  const now = new Date();
  const expires = new Date(o.expiresAt);
  if (expires.getTime() <= now.getTime())
    throw invalidInput('Invalid risk override', [{ field: 'expiresAt', reason: 'must be in the future' }]);
  if (expires.getTime() > now.getTime() + MAX_OVERRIDE_DAYS * 86_400_000)
    throw invalidInput('Invalid risk override', [
      { field: 'expiresAt', reason: `at most ${MAX_OVERRIDE_DAYS} days ahead` },
    ]);
  return transaction(h, async (tx) => {
    let deviceId: string | null = null;
    let modelId: string | null = null;
    if (o.scope === 'device') {
      if (!o.device)
        throw invalidInput('Invalid risk override', [
          { field: 'device', reason: 'required for scope device' },
        ]);
      deviceId = (await resolveDevice(tx, actor, o.device)).id;
    } else {
      assertAllSites(actor, 'A model-wide override');
      if (o.modelId) {
        if (!(await modelExists(tx, o.modelId))) throw notFound(`Model ${o.modelId}`);
        modelId = o.modelId;
      } else if (o.device) {
        modelId = (await resolveDevice(tx, actor, o.device)).modelId;
        if (!modelId)
          throw invalidInput('Invalid risk override', [
            { field: 'device', reason: 'the device has no model' },
          ]);
      } else
        throw invalidInput('Invalid risk override', [
          { field: 'modelId', reason: 'give modelId or a device of the model' },
        ]);
    }
    const row: RiskOverrideRow = {
      id: newId(),
      scope: o.scope,
      device_id: deviceId,
      model_id: modelId,
      point: o.point,
      value,
      reason: o.reason,
      expires_at: o.expiresAt,
      created_by: actor.name,
      created_at: nowIso(),
      revoked_at: null,
    };
    await insertOverride(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'risk.override',
      target: { type: o.scope, id: (deviceId ?? modelId)! },
      summary: { after: { point: o.point, value, reason: o.reason, expiresAt: o.expiresAt } },
    });
    return toOverride(row);
  });
}

/** Ends an override before its expiry (the evidence is used again from the next queue on); audited. */
export async function revokeOverride(
  h: DbHandle,
  actor: Actor,
  id: string,
  reason: unknown,
): Promise<RiskOverride> {
  assertCan(actor, 'risk:write');
  const why = parseInput(RevokeReasonSchema, reason, 'revocation');
  return transaction(h, async (tx) => {
    const row = await overrideById(tx, id);
    if (!row) throw notFound(`Risk override ${id}`);
    if (row.scope === 'model') assertAllSites(actor, 'A model-wide override');
    else if (actor.siteIds && !(await deviceIdsAtSites(tx, actor.siteIds)).includes(row.device_id ?? ''))
      throw notFound(`Risk override ${id}`);
    if (row.revoked_at) throw conflict(`Risk override ${id} was revoked on ${row.revoked_at.slice(0, 10)}`);
    const at = nowIso();
    await markOverrideRevoked(tx, id, at);
    await appendAudit(tx, {
      actor,
      action: 'risk.override-revoke',
      target: { type: row.scope, id: (row.device_id ?? row.model_id)! },
      summary: { override: id, point: row.point, value: row.value, reason: why },
    });
    return toOverride({ ...row, revoked_at: at });
  });
}

const RevokeReasonSchema = z.string().trim().min(1, 'say why the override ends').max(2000);

/** Overrides in force (not expired, not revoked), or with `all` also the expired and revoked ones. */
export async function listRiskOverrides(
  h: DbHandle,
  actor: Actor,
  opts: { all?: boolean } = {},
): Promise<RiskOverride[]> {
  assertCan(actor, 'risk:read');
  const rows = await listOverrides(h, opts.all ? { includeRevoked: true } : { activeAt: nowIso() });
  if (!actor.siteIds) return rows.map(toOverride);
  // Site-limited actors see model-wide overrides and those of their sites' devices.
  const visible = new Set(await deviceIdsAtSites(h, actor.siteIds));
  return rows.filter((r) => r.scope === 'model' || visible.has(r.device_id ?? '')).map(toOverride);
}
