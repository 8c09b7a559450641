/**
 * @module Applies change plans to the store in batches: resolves (and creates) the manufacturers,
 * models and sites the plans name, inserts new devices, updates changed ones, and writes facts and
 * identifiers with a few multi-row statements. Used for one device (a person's edit) and for ten
 * thousand (a CMMS import) alike; the caller owns the transaction and the audit entry.
 */

import { findingSeverity } from '../discovery/finding-severity.js';
import type { FindingType } from '../discovery/host-observation.js';
import { resiteDeviceAlerts } from '../store/alert-store.js';
import { resiteDeviceBaseline } from '../store/communication-store.js';
import { ensureModels, type ModelSpec, modelMapKey } from '../store/device-model-store.js';
import {
  type DeviceRow,
  deleteIdentifierValues,
  type FactRow,
  getDevices,
  type IdentifierRow,
  insertDevices,
  insertIdentifiers,
  type StoredDevice,
  updateDevice,
  upsertFacts,
} from '../store/device-store.js';
import { findingsOfDevices, updateFinding } from '../store/discovery-store.js';
import { newId } from '../store/ids.js';
import { ensureSites, siteNameKey } from '../store/site-store.js';
import type { DbHandle } from '../store/transaction.js';
import { type DeviceState, FACT_FIELDS, type FactField, factText } from './device.js';
import type { CurrentDevice, DeviceChangePlan } from './device-changes.js';
import { cleanText, nameKey } from './identity.js';

export interface PendingWrite {
  /** The id of the device to update, or the new id of a device to create. */
  deviceId: string;
  current: StoredDevice | null;
  plan: DeviceChangePlan;
  /** Where the declaration came from (`cmms.csv:17`, `cli:alice`). */
  sourceRef: string | null;
}

export interface WriteOptions {
  source: string;
  now: string;
  /** State of a created device when its plan sets none. */
  newDeviceState: DeviceState;
  /**
   * When an observing source saw the device (first and last packet, scan time …): first/last seen of
   * created devices and of the identifiers it adds. Declaring sources (CMMS, a person) leave it out and
   * their identifiers carry the time of the write.
   */
  seenAt?: string | null;
  firstSeenAt?: string | null;
}

export interface WriteResult {
  manufacturersCreated: number;
  modelsCreated: number;
  sitesCreated: string[];
}

export function currentOf(d: StoredDevice): CurrentDevice {
  const values = {} as Record<FactField, string | null>;
  for (const f of FACT_FIELDS) values[f] = factText(d[f]);
  return {
    state: d.state,
    values,
    identifiers: d.identifiers.map((i) => ({ kind: i.kind, value: i.value })),
  };
}

/** Manufacturer and model names → catalogue spec; null when neither is known (the device has no model). */
function modelSpec(
  c: NonNullable<DeviceChangePlan['catalog']>,
  deviceClass: string | null,
): ModelSpec | null {
  const makerName = cleanText(c.manufacturer);
  const modelName = cleanText(c.model) ?? cleanText(c.modelNumber);
  if (!makerName && !modelName) return null;
  return {
    manufacturer: { name: makerName ?? '', key: nameKey(makerName) ?? '' },
    model: { name: modelName ?? '', key: nameKey(modelName) ?? '' },
    modelNumber: cleanText(c.modelNumber),
    deviceClass,
  };
}

export async function writeDeviceChanges(
  tx: DbHandle,
  writes: readonly PendingWrite[],
  opts: WriteOptions,
): Promise<WriteResult> {
  const { now, source } = opts;
  // Catalogue: every model the plans name, found or created in one batch.
  const specs: ModelSpec[] = [];
  const specOf = new Map<string, ModelSpec | null>();
  for (const w of writes) {
    if (!w.plan.catalog) continue;
    const spec = modelSpec(w.plan.catalog, w.plan.deviceClass ?? null);
    specOf.set(w.deviceId, spec);
    if (spec) specs.push(spec);
  }
  const catalog = specs.length
    ? await ensureModels(tx, specs)
    : { models: new Map(), manufacturersCreated: 0, modelsCreated: 0 };

  // Sites by name, created when missing.
  const sites = await ensureSites(
    tx,
    writes.flatMap((w) => (w.plan.site ? [w.plan.site] : [])),
    now,
  );
  const siteIds = sites.ids;

  const inserts: DeviceRow[] = [];
  const facts: FactRow[] = [];
  const identifiers: IdentifierRow[] = [];
  for (const w of writes) {
    const { plan } = w;
    const patch: Partial<DeviceRow> = { ...plan.columns };
    if (plan.catalog) {
      const spec = specOf.get(w.deviceId) ?? null;
      const model = spec ? catalog.models.get(modelMapKey(spec.manufacturer.key, spec.model.key)) : undefined;
      patch.model_id = model?.id ?? null;
      // The model's class is the default for a device whose own class is not known.
      const currentClass = w.current?.deviceClass ?? 'unknown';
      if (
        plan.deviceClass === undefined &&
        currentClass === 'unknown' &&
        model &&
        model.device_class !== 'unknown'
      ) {
        patch.device_class = model.device_class;
      }
    }
    if (plan.site !== undefined)
      patch.site_id = plan.site ? (siteIds.get(siteNameKey(plan.site)) ?? null) : null;
    if (plan.state) patch.state = plan.state;

    if (!w.current) {
      inserts.push({
        id: w.deviceId,
        model_id: null,
        asset_tag: null,
        asset_tag_key: null,
        serial_number: null,
        serial_key: null,
        udi: null,
        udi_key: null,
        device_class: 'unknown',
        firmware_version: null,
        software_version: null,
        os: null,
        os_version: null,
        os_end_of_support: null,
        criticality: null,
        ephi: null,
        site_id: null,
        building: null,
        floor: null,
        room: null,
        department: null,
        owner: null,
        state: opts.newDeviceState,
        lifecycle_status: null,
        merged_into: null,
        first_seen: opts.firstSeenAt ?? opts.seenAt ?? null,
        last_seen: opts.seenAt ?? null,
        created_at: now,
        updated_at: now,
        ...patch,
      });
    } else {
      await updateDevice(tx, w.deviceId, { ...patch, updated_at: now });
      // Its alerts go with it: the next repeat counts on the device's one alert, and the new site's
      // readers must see it (findings and tasks take their device's site when read).
      if (patch.site_id !== undefined && patch.site_id !== w.current.siteId) {
        await resiteDeviceAlerts(tx, w.deviceId, patch.site_id);
        await resiteDeviceBaseline(tx, w.deviceId, patch.site_id);
      }
    }
    for (const [field, value] of plan.facts) {
      facts.push({
        id: newId(),
        device_id: w.deviceId,
        field,
        value,
        source,
        source_ref: w.sourceRef,
        first_seen: now,
        last_seen: now,
        // A declaration is no guess: it has no confidence, and observations never replace it anyway.
        confidence: null,
      });
    }
    for (const i of plan.addIdentifiers) {
      identifiers.push({
        id: newId(),
        device_id: w.deviceId,
        kind: i.kind,
        value: i.value,
        source,
        // An address seen in a capture was seen when its packets were, not when the file was imported:
        // the newest address is the device's current one, whatever order captures are imported in.
        first_seen: opts.firstSeenAt ?? opts.seenAt ?? now,
        last_seen: opts.seenAt ?? now,
      });
    }
    if (plan.removeIdentifiers.length) await deleteIdentifierValues(tx, w.deviceId, plan.removeIdentifiers);
  }
  await insertDevices(tx, inserts);
  await upsertFacts(tx, facts);
  await insertIdentifiers(tx, identifiers);
  await rescoreFindings(
    tx,
    writes
      .filter((w) => w.current && ('criticality' in w.plan.changes || 'ephi' in w.plan.changes))
      .map((w) => w.deviceId),
    now,
  );
  return {
    manufacturersCreated: catalog.manufacturersCreated,
    modelsCreated: catalog.modelsCreated,
    sitesCreated: sites.created,
  };
}

/**
 * A finding's severity rests on its device's criticality and ePHI (discovery/finding-severity.ts). When a
 * person or the CMMS declares either, the device's findings are scored again now: a pump just marked
 * life-sustaining must not keep listing its cleartext logins as `high` until a capture sees it again;
 * findings a merge brings to a device take that device's score the same way.
 */
export async function rescoreFindings(
  tx: DbHandle,
  deviceIds: readonly string[],
  now: string,
): Promise<void> {
  if (deviceIds.length === 0) return;
  const devices = new Map((await getDevices(tx, deviceIds)).map((d) => [d.id, d]));
  for (const f of await findingsOfDevices(tx, [...devices.keys()])) {
    const d = devices.get(f.device_id)!;
    const details = JSON.parse(f.details) as Record<string, unknown>;
    const severity = findingSeverity(f.type as FindingType, d, details);
    if (severity !== f.severity) await updateFinding(tx, f.id, { severity, updated_at: now });
  }
}
