/**
 * @module What a declaration changes on a device, decided without touching the database. A CMMS import
 * compares each value with what the CMMS said last time (its own facts), so re-importing a file changes
 * nothing and a manual correction survives until the CMMS itself changes that value; a person's edit
 * compares with the device's current value. Either way each changed value becomes a fact of that source
 * and the device's current value; the result says which fields changed, for the audit log.
 */
import type { DeviceRow } from '../store/device-store.js';
import {
  type DeviceAttributes,
  type DeviceClass,
  type DeviceState,
  FACT_FIELDS,
  type FactField,
  factText,
  type IdentifierKind,
  stateForLifecycleStatus,
} from './device.js';
import { identifierKey, nameKey } from './identity.js';

/** The device as planning needs it: the contract values plus identifiers. */
export interface CurrentDevice {
  state: DeviceState;
  values: Record<FactField, string | null>;
  identifiers: { kind: IdentifierKind; value: string }[];
}

export interface DeviceChangePlan {
  /** Device values that change, field → before/after (the audit summary). */
  changes: Record<string, { before: unknown; after: unknown }>;
  /** Facts of the declaring source to write: field → text. */
  facts: Map<FactField, string | null>;
  /** Plain columns to set. */
  columns: Partial<DeviceRow>;
  /** The model to link, when manufacturer, model or model number changed (resolved by the writer). */
  catalog: { manufacturer: string | null; model: string | null; modelNumber: string | null } | undefined;
  /** The site to link, by name (null: none), when it changed. */
  site: string | null | undefined;
  /** A class stated in this declaration; the writer otherwise falls back to the model's class. */
  deviceClass: DeviceClass | null | undefined;
  state: DeviceState | undefined;
  addIdentifiers: { kind: IdentifierKind; value: string }[];
  removeIdentifiers: { kind: IdentifierKind; value: string }[];
}

export interface PlanOptions {
  /**
   * `facts`: compare with this source's previous facts (imports). `values`: compare with the current
   * values (a person's edit).
   */
  baseline: 'facts' | 'values';
  /** The declaring source's existing facts (field → text); used when baseline is `facts`. */
  sourceFacts?: ReadonlyMap<string, string | null>;
  /** `add`: stated identifiers are added to the device's. `replace`: the device's become exactly these. */
  identifiers: 'add' | 'replace';
}

const DIRECT_COLUMNS: Partial<Record<FactField, keyof DeviceRow>> = {
  firmwareVersion: 'firmware_version',
  softwareVersion: 'software_version',
  os: 'os',
  osVersion: 'os_version',
  osEndOfSupport: 'os_end_of_support',
  criticality: 'criticality',
  building: 'building',
  floor: 'floor',
  room: 'room',
  department: 'department',
  owner: 'owner',
  lifecycleStatus: 'lifecycle_status',
};

const CATALOG_FIELDS = new Set<FactField>(['manufacturer', 'model', 'modelNumber']);

/** Whether two texts name the same thing for this field (catalogue and site names compare by key). */
function sameForField(field: FactField, a: string | null, b: string | null): boolean {
  if (field === 'manufacturer' || field === 'model') return nameKey(a) === nameKey(b);
  if (field === 'site') return (a ?? '').trim().toLowerCase() === (b ?? '').trim().toLowerCase();
  return a === b;
}

export const EMPTY_VALUES: Record<FactField, string | null> = Object.fromEntries(
  FACT_FIELDS.map((f) => [f, null]),
) as Record<FactField, string | null>;

export function planDeviceChanges(
  current: CurrentDevice | null,
  attrs: DeviceAttributes,
  opts: PlanOptions,
): DeviceChangePlan {
  const values = current?.values ?? EMPTY_VALUES;
  const plan: DeviceChangePlan = {
    changes: {},
    facts: new Map(),
    columns: {},
    catalog: undefined,
    site: undefined,
    deviceClass: undefined,
    state: undefined,
    addIdentifiers: [],
    removeIdentifiers: [],
  };
  let catalogChanged = false;
  for (const field of FACT_FIELDS) {
    const stated = attrs[field];
    if (stated === undefined) continue;
    const text = factText(stated);
    if (opts.baseline === 'facts') {
      const facts = opts.sourceFacts ?? new Map<string, string | null>();
      if (facts.has(field) && facts.get(field) === text) continue;
    } else if (values[field] === text) continue;
    plan.facts.set(field, text);
    if (sameForField(field, values[field], text)) continue;
    plan.changes[field] = { before: values[field], after: text };
    if (CATALOG_FIELDS.has(field)) catalogChanged = true;
    else if (field === 'site') plan.site = text;
    else if (field === 'deviceClass') {
      plan.deviceClass = (stated as DeviceClass | null) ?? 'unknown';
      plan.columns.device_class = plan.deviceClass;
    } else if (field === 'ephi') plan.columns.ephi = stated === null ? null : stated ? 1 : 0;
    else if (field === 'assetTag')
      Object.assign(plan.columns, { asset_tag: text, asset_tag_key: identifierKey(text) });
    else if (field === 'serialNumber')
      Object.assign(plan.columns, { serial_number: text, serial_key: identifierKey(text) });
    else if (field === 'udi') Object.assign(plan.columns, { udi: text, udi_key: identifierKey(text) });
    else {
      const column = DIRECT_COLUMNS[field];
      if (column) Object.assign(plan.columns, { [column]: text });
    }
    if (field === 'lifecycleStatus') plan.state = nextState(current?.state ?? null, text);
  }
  if (catalogChanged) {
    const pick = (f: 'manufacturer' | 'model' | 'modelNumber') =>
      attrs[f] !== undefined ? (attrs[f] ?? null) : values[f];
    plan.catalog = {
      manufacturer: pick('manufacturer'),
      model: pick('model'),
      modelNumber: pick('modelNumber'),
    };
  }
  // A declaration about a device that was only observed so far confirms it.
  if (current?.state === 'staged' && plan.state === undefined && plan.facts.size > 0) plan.state = 'active';

  const have = new Set((current?.identifiers ?? []).map((i) => `${i.kind} ${i.value}`));
  const lists: [IdentifierKind, string[] | undefined][] = [
    ['mac', attrs.macs],
    ['ip', attrs.ips],
    ['hostname', attrs.hostnames],
  ];
  for (const [kind, list] of lists) {
    if (list === undefined) continue;
    const stated = new Set(list);
    for (const value of stated) if (!have.has(`${kind} ${value}`)) plan.addIdentifiers.push({ kind, value });
    if (opts.identifiers === 'replace') {
      for (const i of current?.identifiers ?? [])
        if (i.kind === kind && !stated.has(i.value)) plan.removeIdentifiers.push(i);
    }
    const before = (current?.identifiers ?? []).filter((i) => i.kind === kind).map((i) => i.value);
    const added = plan.addIdentifiers.filter((i) => i.kind === kind).map((i) => i.value);
    const removed = plan.removeIdentifiers.filter((i) => i.kind === kind).map((i) => i.value);
    if (added.length || removed.length) {
      const after = [...before.filter((v) => !removed.includes(v)), ...added];
      plan.changes[`${kind}s`] = { before, after };
    }
  }
  return plan;
}

/** Record state after the CMMS lifecycle word changes; ignored and merged records stay as they are. */
function nextState(current: DeviceState | null, status: string | null): DeviceState | undefined {
  const target = stateForLifecycleStatus(status);
  if (current === null) return target;
  if (current === 'ignored' || current === 'merged') return undefined;
  return current === target ? undefined : target;
}

export function isNoop(plan: DeviceChangePlan): boolean {
  return (
    plan.facts.size === 0 &&
    Object.keys(plan.changes).length === 0 &&
    plan.addIdentifiers.length === 0 &&
    plan.removeIdentifiers.length === 0 &&
    plan.state === undefined
  );
}
