/**
 * @module SQL for identity suggestions (0020-device-suggestions): fingerprint values under the fact
 * threshold, one per device and field. A suggestion is only replaced by one at least as confident, so
 * re-importing the same capture, or one that shows less, changes nothing.
 */
import { sql } from 'kysely';
import { chunks } from './batch.js';
import type { DeviceSuggestionTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type SuggestionRow = DeviceSuggestionTable;

/** Rows must be one per (device_id, field): PostgreSQL refuses to update a row twice in one statement. */
export async function upsertSuggestions(h: DbHandle, rows: readonly SuggestionRow[]): Promise<void> {
  for (const part of chunks(rows, 500)) {
    if (part.length === 0) continue;
    await h.db
      .insertInto('device_suggestions')
      .values([...part])
      .onConflict((oc) =>
        oc
          .columns(['device_id', 'field'])
          .doUpdateSet({
            value: sql.ref('excluded.value'),
            confidence: sql.ref('excluded.confidence'),
            source: sql.ref('excluded.source'),
            source_ref: sql.ref('excluded.source_ref'),
            evidence: sql.ref('excluded.evidence'),
            updated_at: sql.ref('excluded.updated_at'),
          })
          .where((eb) => eb('device_suggestions.confidence', '<=', eb.ref('excluded.confidence'))),
      )
      .execute();
  }
}

/** Forgets suggestions for fields a source has now made facts of. */
export async function deleteSuggestions(
  h: DbHandle,
  pairs: readonly { deviceId: string; field: string }[],
): Promise<void> {
  const byField = new Map<string, string[]>();
  for (const p of pairs) byField.set(p.field, [...(byField.get(p.field) ?? []), p.deviceId]);
  for (const [field, ids] of byField)
    for (const part of chunks(ids, 500))
      await h.db
        .deleteFrom('device_suggestions')
        .where('field', '=', field)
        .where('device_id', 'in', part)
        .execute();
}

/**
 * Each device's suggestions, with those of duplicates merged into it (a device keeps its own where both
 * have one for a field, else the more confident), by device id.
 */
export async function suggestionsOf(
  h: DbHandle,
  deviceIds: readonly string[],
): Promise<Map<string, SuggestionRow[]>> {
  const out = new Map<string, SuggestionRow[]>();
  for (const part of chunks(deviceIds, 500)) {
    if (part.length === 0) continue;
    const rows = await h.db
      .selectFrom('device_suggestions as s')
      .innerJoin('devices as d', 'd.id', 's.device_id')
      .selectAll('s')
      .select('d.merged_into')
      .where((eb) => eb.or([eb('d.id', 'in', part), eb('d.merged_into', 'in', part)]))
      .orderBy('s.field')
      .execute();
    const best = new Map<string, SuggestionRow & { own: boolean }>();
    for (const { merged_into, ...r } of rows) {
      const owner = part.includes(r.device_id) || !merged_into ? r.device_id : merged_into;
      const own = owner === r.device_id;
      const key = `${owner}\u0000${r.field}`;
      const prev = best.get(key);
      if (!prev || (own && !prev.own) || (own === prev.own && r.confidence > prev.confidence))
        best.set(key, { ...r, own });
    }
    for (const [key, { own: _own, ...r }] of best) {
      const owner = key.slice(0, key.indexOf('\u0000'));
      out.set(owner, [...(out.get(owner) ?? []), r]);
    }
  }
  return out;
}
