/**
 * @module Recording that a device's ePHI was sanitized before its disposal or re-use (HIPAA
 * §164.310(d)(2)(i)–(ii)), in the categories of NIST SP 800-88 Rev. 1: `clear`, `purge`, `destroy`. For
 * the CLI and the API alike: validated here, devices:write and the actor's sites checked, one audit
 * entry per record. Recording does not retire the device (a sanitized device may be re-used).
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict } from '../errors.js';
import { newId, nowIso } from '../store/ids.js';
import { insertSanitization, type SanitizationRow, sanitizationsOf } from '../store/sanitization-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { parseInput } from './device-input.js';
import { cleanText } from './identity.js';
import { resolveDevice } from './inventory-service.js';

/** NIST SP 800-88 Rev. 1 §2.5 sanitization categories, weakest first. */
export const SANITIZATION_METHODS = ['clear', 'purge', 'destroy'] as const;
export type SanitizationMethod = (typeof SANITIZATION_METHODS)[number];

/** A date a few hours ahead of UTC is still today somewhere; anything later has not happened yet. */
const AHEAD_MS = 14 * 3_600_000;

const name = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .transform((v) => cleanText(v) ?? '')
    .refine((v) => v !== '', 'must not be empty');

export const SanitizationInputSchema = z.strictObject({
  method: z
    .string()
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(SANITIZATION_METHODS, 'clear, purge or destroy (NIST SP 800-88)')),
  // Piped so that a malformed date gets one complaint, not also "in the future".
  performedOn: z.iso
    .date('a date as YYYY-MM-DD')
    .pipe(
      z
        .string()
        .refine(
          (v) => v <= new Date(Date.now() + AHEAD_MS).toISOString().slice(0, 10),
          'must not be in the future',
        ),
    ),
  performedBy: name(200),
  reference: z
    .string()
    .max(500, 'at most 500 characters')
    .transform((v) => cleanText(v))
    .nullable()
    .optional(),
});
export type SanitizationInput = z.input<typeof SanitizationInputSchema>;

/** The Sanitization JSON contract (docs/inventory.md). */
export interface Sanitization {
  id: string;
  deviceId: string;
  method: SanitizationMethod;
  performedOn: string;
  performedBy: string;
  reference: string | null;
  recordedBy: string;
  recordedAt: string;
}

const toSanitization = (r: SanitizationRow): Sanitization => ({
  id: r.id,
  deviceId: r.device_id,
  method: r.method as SanitizationMethod,
  performedOn: r.performed_on,
  performedBy: r.performed_by,
  reference: r.reference,
  recordedBy: r.recorded_by,
  recordedAt: r.created_at,
});

/** Records a sanitization of the device `ref` (id, asset tag, serial number, UDI or MAC). */
export async function recordSanitization(
  h: DbHandle,
  actor: Actor,
  ref: string,
  input: unknown,
): Promise<Sanitization> {
  assertCan(actor, 'devices:write');
  const s = parseInput(SanitizationInputSchema, input, 'sanitization');
  return transaction(h, async (tx) => {
    const d = await resolveDevice(tx, actor, ref);
    // A duplicate is not a device of its own: the record belongs with the one it was merged into.
    if (d.state === 'merged')
      throw conflict(`Device ${d.id} was merged into ${d.mergedInto}; record the sanitization there`);
    const row: SanitizationRow = {
      id: newId(),
      device_id: d.id,
      method: s.method,
      performed_on: s.performedOn,
      performed_by: s.performedBy,
      reference: s.reference ?? null,
      recorded_by: actor.name,
      created_at: nowIso(),
    };
    await insertSanitization(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'device.sanitize',
      target: { type: 'device', id: d.id },
      summary: {
        sanitization: row.id,
        method: row.method,
        performedOn: row.performed_on,
        performedBy: row.performed_by,
        hasReference: row.reference !== null,
        state: d.state,
      },
    });
    return toSanitization(row);
  });
}

/** A device's sanitization records, newest first. */
export async function listSanitizations(h: DbHandle, actor: Actor, ref: string): Promise<Sanitization[]> {
  assertCan(actor, 'devices:read');
  const d = await resolveDevice(h, actor, ref);
  return (await sanitizationsOf(h, d.id)).map(toSanitization);
}
