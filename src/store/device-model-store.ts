/**
 * @module SQL for the catalogue: manufacturers and device models, found and created by normalised name
 * key (`identity.nameKey`), in batches so an import of thousands of rows costs a few statements. A
 * manufacturer without a known model gets a model with the empty name, and a model without a known
 * manufacturer hangs off the manufacturer with the empty name; both read back as `null`.
 */
import { chunks, rowChunks } from './batch.js';
import { newId, nowIso } from './ids.js';
import type { DeviceModelTable, ManufacturerTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type ManufacturerRow = ManufacturerTable;
export type DeviceModelRow = DeviceModelTable;

export interface ModelSpec {
  manufacturer: { name: string; key: string };
  model: { name: string; key: string };
  modelNumber: string | null;
  deviceClass: string | null;
}

export const modelMapKey = (manufacturerKey: string, modelKey: string) => `${manufacturerKey}\u0000${modelKey}`;

export interface CatalogResult {
  /** By `modelMapKey(manufacturerKey, modelKey)`. */
  models: Map<string, DeviceModelRow>;
  manufacturersCreated: number;
  modelsCreated: number;
}

/**
 * Finds or creates every manufacturer and model named in `specs`. Existing models keep their data,
 * except that a missing model number or an `unknown` class is filled in from the first spec that has
 * one (the catalogue learns from imports but is never overwritten by them).
 */
export async function ensureModels(h: DbHandle, specs: readonly ModelSpec[]): Promise<CatalogResult> {
  const now = nowIso();
  const wantedMakers = new Map<string, string>();
  for (const s of specs) if (!wantedMakers.has(s.manufacturer.key)) wantedMakers.set(s.manufacturer.key, s.manufacturer.name);

  const makers = new Map<string, ManufacturerRow>();
  for (const part of chunks([...wantedMakers.keys()])) {
    for (const r of await h.db.selectFrom('manufacturers').selectAll().where('name_key', 'in', part).execute()) makers.set(r.name_key, r);
  }
  const newMakers: ManufacturerRow[] = [];
  for (const [key, name] of wantedMakers) {
    if (makers.has(key)) continue;
    const row = { id: newId(), name, name_key: key, created_at: now, updated_at: now };
    newMakers.push(row);
    makers.set(key, row);
  }
  for (const part of rowChunks(newMakers)) await h.db.insertInto('manufacturers').values(part).execute();

  const models = new Map<string, DeviceModelRow>();
  const makerIds = [...new Set([...makers.values()].map((m) => m.id))];
  const wantedModelKeys = new Set(specs.map((s) => s.model.key));
  for (const part of chunks(makerIds)) {
    const rows = await h.db.selectFrom('device_models').selectAll().where('manufacturer_id', 'in', part).execute();
    const keyOf = new Map([...makers.values()].map((m) => [m.id, m.name_key]));
    for (const r of rows) {
      if (wantedModelKeys.has(r.name_key)) models.set(modelMapKey(keyOf.get(r.manufacturer_id)!, r.name_key), r);
    }
  }
  const newModels: DeviceModelRow[] = [];
  const newIds = new Set<string>();
  const filled = new Map<string, Partial<DeviceModelRow>>();
  for (const s of specs) {
    const mk = modelMapKey(s.manufacturer.key, s.model.key);
    const existing = models.get(mk);
    if (!existing) {
      const row: DeviceModelRow = {
        id: newId(),
        manufacturer_id: makers.get(s.manufacturer.key)!.id,
        name: s.model.name,
        name_key: s.model.key,
        model_number: s.modelNumber,
        device_class: s.deviceClass ?? 'unknown',
        fda_product_code: null,
        fda_risk_class: null,
        criticality: null,
        ephi_stores: null,
        ephi_transmits: null,
        default_services: '[]',
        end_of_support: null,
        created_at: now,
        updated_at: now,
      };
      newModels.push(row);
      newIds.add(row.id);
      models.set(mk, row);
      continue;
    }
    const patch: Partial<DeviceModelRow> = {};
    if (existing.model_number === null && s.modelNumber) patch.model_number = s.modelNumber;
    if (existing.device_class === 'unknown' && s.deviceClass && s.deviceClass !== 'unknown') patch.device_class = s.deviceClass;
    if (Object.keys(patch).length === 0) continue;
    // A model created in this batch is simply inserted with the filled-in values.
    Object.assign(existing, patch);
    if (!newIds.has(existing.id)) filled.set(existing.id, { ...filled.get(existing.id), ...patch, updated_at: now });
  }
  for (const part of rowChunks(newModels)) await h.db.insertInto('device_models').values(part).execute();
  for (const [id, patch] of filled) await h.db.updateTable('device_models').set(patch).where('id', '=', id).execute();
  return { models, manufacturersCreated: newMakers.length, modelsCreated: newModels.length };
}

export async function getModel(h: DbHandle, id: string): Promise<DeviceModelRow | undefined> {
  return h.db.selectFrom('device_models').selectAll().where('id', '=', id).executeTakeFirst();
}
