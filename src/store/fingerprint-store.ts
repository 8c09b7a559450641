/**
 * @module SQL for what fingerprinting saw and guessed (0020-fingerprint-evidence): a device's hints (one
 * row per kind and value, with the first sighting's evidence, capped per device) and its identity
 * suggestions (values under the fact threshold, one per field). A suggestion is only replaced by one at
 * least as confident, so re-importing the same capture, or one that shows less, changes nothing.
 */
import { sql } from 'kysely';
import { chunks } from './batch.js';
import type { DeviceHintTable, DeviceSuggestionTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type SuggestionRow = DeviceSuggestionTable;

/** Items grouped by a key, in first-seen order. */
function groupBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const key = keyOf(t);
    const list = out.get(key);
    if (list) list.push(t);
    else out.set(key, [t]);
  }
  return out;
}
export type HintRow = DeviceHintTable;

/**
 * Distinct hints kept per device. A device says the same few things again and again (its vendor class,
 * its banner); what keeps growing past this is noise (a browser's every User-Agent), and the first ones
 * seen are kept.
 */
export const MAX_HINTS_PER_DEVICE = 200;

/**
 * Adds hints and widens the first/last seen of known ones (an earlier sighting brings its evidence);
 * new hints past a device's cap are left out. Rows must be one per (device_id, kind, value).
 */
export async function upsertHints(h: DbHandle, rows: readonly HintRow[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const part of chunks([...new Set(rows.map((r) => r.device_id))], 500)) {
    if (part.length === 0) continue;
    const found = await h.db
      .selectFrom('device_hints')
      .select(['device_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('device_id', 'in', part)
      .groupBy('device_id')
      .execute();
    for (const r of found) counts.set(r.device_id, Number(r.n));
  }
  // Only a device near its cap needs to know which of its rows are new.
  const keep: HintRow[] = [];
  for (const [deviceId, mine] of groupBy(rows, (r) => r.device_id)) {
    const have = counts.get(deviceId) ?? 0;
    if (have + mine.length <= MAX_HINTS_PER_DEVICE) {
      keep.push(...mine);
      continue;
    }
    const known = new Set(
      (
        await h.db
          .selectFrom('device_hints')
          .select(['kind', 'value'])
          .where('device_id', '=', deviceId)
          .execute()
      ).map((r) => `${r.kind}\u0000${r.value}`),
    );
    let room = MAX_HINTS_PER_DEVICE - have;
    for (const r of mine) {
      if (known.has(`${r.kind}\u0000${r.value}`)) keep.push(r);
      else if (room > 0) {
        keep.push(r);
        room--;
      }
    }
  }
  for (const part of chunks(keep, 500)) {
    if (part.length === 0) continue;
    await h.db
      .insertInto('device_hints')
      .values([...part])
      .onConflict((oc) =>
        oc.columns(['device_id', 'kind', 'value']).doUpdateSet((eb) => {
          // An older capture imported later moves the first sighting, and its evidence, back.
          const earlier = (col: 'first_seen' | 'evidence' | 'source' | 'source_ref') =>
            eb
              .case()
              .when('excluded.first_seen', '<', eb.ref('device_hints.first_seen'))
              .then(eb.ref(`excluded.${col}`))
              .else(eb.ref(`device_hints.${col}`))
              .end();
          return {
            first_seen: earlier('first_seen'),
            evidence: earlier('evidence'),
            source: earlier('source'),
            source_ref: earlier('source_ref'),
            last_seen: eb
              .case()
              .when('excluded.last_seen', '>', eb.ref('device_hints.last_seen'))
              .then(eb.ref('excluded.last_seen'))
              .else(eb.ref('device_hints.last_seen'))
              .end(),
          };
        }),
      )
      .execute();
  }
}

/**
 * Each device's hints, with those of duplicates merged into it, by kind and value, by device id. A
 * duplicate and its record may both have seen a hint: it is listed once, with the earliest sighting.
 */
export async function hintsOf(h: DbHandle, deviceIds: readonly string[]): Promise<Map<string, HintRow[]>> {
  const out = new Map<string, HintRow[]>();
  for (const part of chunks(deviceIds, 500)) {
    if (part.length === 0) continue;
    const asked = new Set(part);
    const rows = await h.db
      .selectFrom('device_hints as x')
      .innerJoin('devices as d', 'd.id', 'x.device_id')
      .selectAll('x')
      .select('d.merged_into')
      .where((eb) => eb.or([eb('d.id', 'in', part), eb('d.merged_into', 'in', part)]))
      .orderBy('x.kind')
      .orderBy('x.value')
      .orderBy('x.first_seen')
      .execute();
    const seen = new Set<string>();
    for (const { merged_into, ...r } of rows) {
      const owner = asked.has(r.device_id) || !merged_into ? r.device_id : merged_into;
      const key = `${owner}\u0000${r.kind}\u0000${r.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const list = out.get(owner);
      if (list) list.push(r);
      else out.set(owner, [r]);
    }
  }
  return out;
}

/** One device's own hints, without those of duplicates merged into it. */
export async function ownHints(h: DbHandle, deviceId: string): Promise<HintRow[]> {
  return h.db.selectFrom('device_hints').selectAll().where('device_id', '=', deviceId).execute();
}

export async function deleteHints(
  h: DbHandle,
  deviceId: string,
  keys: readonly { kind: string; value: string }[],
): Promise<void> {
  for (const [kind, mine] of groupBy(keys, (k) => k.kind))
    for (const part of chunks(
      mine.map((k) => k.value),
      500,
    ))
      await h.db
        .deleteFrom('device_hints')
        .where('device_id', '=', deviceId)
        .where('kind', '=', kind)
        .where('value', 'in', part)
        .execute();
}

/** One device's own suggestions, without those of duplicates merged into it. */
export async function ownSuggestions(h: DbHandle, deviceId: string): Promise<SuggestionRow[]> {
  return h.db.selectFrom('device_suggestions').selectAll().where('device_id', '=', deviceId).execute();
}

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
  for (const [field, mine] of groupBy(pairs, (p) => p.field))
    for (const part of chunks(
      mine.map((p) => p.deviceId),
      500,
    ))
      await h.db
        .deleteFrom('device_suggestions')
        .where('field', '=', field)
        .where('device_id', 'in', part)
        .execute();
}

/**
 * Forgets one device's suggestions that hold one of these values for their field (a source learned they
 * described other equipment). Values compare as written.
 */
export async function deleteSuggestionValues(
  h: DbHandle,
  deviceId: string,
  values: Readonly<Partial<Record<string, readonly string[]>>>,
): Promise<void> {
  for (const [field, mine] of Object.entries(values)) {
    if (!mine?.length) continue;
    await h.db
      .deleteFrom('device_suggestions')
      .where('device_id', '=', deviceId)
      .where('field', '=', field)
      .where('value', 'in', [...mine])
      .execute();
  }
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
    const asked = new Set(part);
    const best = new Map<string, SuggestionRow & { own: boolean }>();
    for (const { merged_into, ...r } of rows) {
      const owner = asked.has(r.device_id) || !merged_into ? r.device_id : merged_into;
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
