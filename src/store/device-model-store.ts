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

export const modelMapKey = (manufacturerKey: string, modelKey: string) =>
  `${manufacturerKey}\u0000${modelKey}`;

export interface CatalogResult {
  /** By `modelMapKey(manufacturerKey, modelKey)`. */
  models: Map<string, DeviceModelRow>;
  manufacturersCreated: number;
  modelsCreated: number;
}

/**
 * Finds or creates every manufacturer and model named in `specs`. Existing models keep their data,
 * except that a missing model number or an `unknown` class is filled in from the first spec that has
 * one (the catalogue learns from imports but is never overwritten by them). Safe against a concurrent
 * import creating the same names: inserts skip what exists, then the stored rows are read back.
 */
export async function ensureModels(h: DbHandle, specs: readonly ModelSpec[]): Promise<CatalogResult> {
  const now = nowIso();
  const wantedMakers = new Map<string, string>();
  for (const s of specs) {
    if (!wantedMakers.has(s.manufacturer.key)) wantedMakers.set(s.manufacturer.key, s.manufacturer.name);
  }
  const loadMakers = async (keys: string[]) => {
    for (const part of chunks(keys)) {
      const rows = await h.db.selectFrom('manufacturers').selectAll().where('name_key', 'in', part).execute();
      for (const r of rows) makers.set(r.name_key, r);
    }
  };
  const makers = new Map<string, ManufacturerRow>();
  await loadMakers([...wantedMakers.keys()]);
  const newMakers: ManufacturerRow[] = [];
  for (const [key, name] of wantedMakers) {
    if (!makers.has(key))
      newMakers.push({ id: newId(), name, name_key: key, created_at: now, updated_at: now });
  }
  for (const part of rowChunks(newMakers)) {
    await h.db
      .insertInto('manufacturers')
      .values(part)
      .onConflict((oc) => oc.column('name_key').doNothing())
      .execute();
  }
  // A concurrent import may have created some of them first: the stored rows are the truth.
  await loadMakers(newMakers.map((m) => m.name_key));
  const madeMakers = new Set(newMakers.map((m) => m.id));

  const models = new Map<string, DeviceModelRow>();
  const keyOf = new Map([...makers.values()].map((m) => [m.id, m.name_key]));
  const wantedModelKeys = new Set(specs.map((s) => s.model.key));
  const loadModels = async (makerIds: string[]) => {
    for (const part of chunks(makerIds)) {
      const rows = await h.db
        .selectFrom('device_models')
        .selectAll()
        .where('manufacturer_id', 'in', part)
        .execute();
      for (const r of rows) {
        if (wantedModelKeys.has(r.name_key))
          models.set(modelMapKey(keyOf.get(r.manufacturer_id)!, r.name_key), r);
      }
    }
  };
  await loadModels([...keyOf.keys()]);
  const newModels = new Map<string, DeviceModelRow>();
  for (const s of specs) {
    const mk = modelMapKey(s.manufacturer.key, s.model.key);
    if (models.has(mk) || newModels.has(mk)) continue;
    newModels.set(mk, {
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
    });
  }
  for (const part of rowChunks([...newModels.values()])) {
    await h.db
      .insertInto('device_models')
      .values(part)
      .onConflict((oc) => oc.columns(['manufacturer_id', 'name_key']).doNothing())
      .execute();
  }
  if (newModels.size) await loadModels([...new Set([...newModels.values()].map((m) => m.manufacturer_id))]);
  const madeModels = new Set([...newModels.values()].map((m) => m.id));

  // The catalogue learns from imports: a missing model number or an unknown class is filled in once.
  const filled = new Map<string, Partial<DeviceModelRow>>();
  for (const s of specs) {
    const model = models.get(modelMapKey(s.manufacturer.key, s.model.key))!;
    const patch: Partial<DeviceModelRow> = {};
    if (model.model_number === null && s.modelNumber) patch.model_number = s.modelNumber;
    if (model.device_class === 'unknown' && s.deviceClass && s.deviceClass !== 'unknown')
      patch.device_class = s.deviceClass;
    if (Object.keys(patch).length === 0) continue;
    Object.assign(model, patch);
    filled.set(model.id, { ...filled.get(model.id), ...patch, updated_at: now });
  }
  for (const [id, patch] of filled)
    await h.db.updateTable('device_models').set(patch).where('id', '=', id).execute();
  return {
    models,
    manufacturersCreated: [...makers.values()].filter((m) => madeMakers.has(m.id)).length,
    modelsCreated: [...models.values()].filter((m) => madeModels.has(m.id)).length,
  };
}

export async function getModel(h: DbHandle, id: string): Promise<DeviceModelRow | undefined> {
  return h.db.selectFrom('device_models').selectAll().where('id', '=', id).executeTakeFirst();
}
